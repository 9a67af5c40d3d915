//! `smpp-bench`'s command line: the definition `--help`, the man page and
//! the shell completions are made from.

use super::values::{host_port, in_range, short_string};
use clap::{ArgAction, Parser, ValueEnum};

/// A submit_sm load generator for SMPP 3.4 SMSCs.
#[derive(Debug, Parser)]
#[command(
    name = "smpp-bench",
    version,
    // A flag given twice: the last one counts (scripts add to defaults).
    args_override_self = true,
    about = "A submit_sm load generator for SMPP 3.4 SMSCs",
    after_help = "\
The last line of output is:
  submitted=N acked=N failed=N seconds=T rate=R p50_us=X p99_us=Y
p50_us and p99_us are the median and 99th percentile of the submits'
latencies (acknowledged or failed), in µs: exact below 1,024 µs, at most
0.2% low above.

Exit status: 0 when submits were acknowledged, 2 on bad arguments, 1 when
the bind failed or no submit was acknowledged."
)]
pub(crate) struct Cli {
    /// SMSC address
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2775", value_parser = host_port)]
    pub(crate) connect: String,

    /// Bind system_id (at most 15 characters)
    #[arg(long, value_name = "ID", default_value = "smppclient1", value_parser = |s: &str| short_string(s, 15))]
    pub(crate) system_id: String,

    /// Bind password (at most 8 characters)
    #[arg(long, value_name = "PW", default_value = "password", value_parser = |s: &str| short_string(s, 8))]
    pub(crate) password: String,

    /// Bind as transmitter or transceiver
    #[arg(long, value_name = "MODE", value_enum, default_value_t = Bind::Trx)]
    pub(crate) bind: Bind,

    /// Parallel binds
    #[arg(long, value_name = "S", default_value_t = 1, value_parser = |s: &str| in_range::<usize>(s, 1..=100_000))]
    pub(crate) sessions: usize,

    /// Outstanding submits per bind
    #[arg(long, value_name = "W", default_value_t = 64, value_parser = |s: &str| in_range::<usize>(s, 1..=1_000_000))]
    pub(crate) window: usize,

    /// Submits in total
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = |s: &str| in_range::<u64>(s, 1..=1_000_000_000))]
    pub(crate) count: u64,

    /// Submits per second, 0 = as fast as possible
    #[arg(long, value_name = "R", default_value_t = 0)]
    pub(crate) rate: u64,

    /// Short message size in bytes, 1..=254 (larger goes in
    /// message_payload, up to 65535)
    #[arg(long, value_name = "BYTES", default_value_t = 20, value_parser = |s: &str| in_range::<usize>(s, 1..=65_535))]
    pub(crate) size: usize,

    /// Response timeout, in seconds
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = |s: &str| in_range::<u64>(s, 1..=3600))]
    pub(crate) timeout_secs: u64,

    /// Stay bound N seconds after the last response, with enquire_link
    /// running, before unbinding
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) hold_secs: u64,

    /// enquire_link interval in seconds, 0 = never
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) enquire_link_secs: u64,

    /// Speak SMPP over TLS, trusting the system's root certificates
    #[arg(long)]
    pub(crate) tls: bool,

    /// With --tls: trust the CA certificates in FILE (PEM) instead
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls",
        conflicts_with = "tls_insecure"
    )]
    pub(crate) tls_ca: Option<std::path::PathBuf>,

    /// With --tls: accept any certificate (a self-signed test SMSC);
    /// encrypted, but not authenticated
    #[arg(long, requires = "tls")]
    pub(crate) tls_insecure: bool,

    /// Worker threads [default: one less than the number of CPUs, at least 1, at most one per session]
    #[arg(long, value_name = "N", value_parser = |s: &str| in_range::<usize>(s, 1..=1024))]
    pub(crate) workers: Option<usize>,

    /// Log info, debug, trace with -v, -vv, -vvv (RUST_LOG overrides)
    #[arg(short, long, action = ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// `--bind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Bind {
    /// bind_transmitter
    Tx,
    /// bind_transceiver
    Trx,
}
