//! The binaries' command-line definitions (`bin/cli/`), the same ones
//! `--help` is made from, for the tests that check them and the files
//! generated from them.

#[path = "../../bin/cli/smpp_bench.rs"]
#[allow(dead_code)]
pub(crate) mod smpp_bench_cli;
#[path = "../../bin/cli/smppd.rs"]
#[allow(dead_code)]
pub(crate) mod smppd_cli;
#[path = "../../bin/cli/smsc_sim.rs"]
#[allow(dead_code)]
pub(crate) mod smsc_sim_cli;
#[path = "../../bin/cli/values.rs"]
mod values;
