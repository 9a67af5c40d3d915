//! `smppd`'s command line: the definition `--help`, the man page and the
//! shell completions are made from.

use clap::{ArgAction, Parser};
use std::path::PathBuf;

/// The default configuration file.
pub(crate) const DEFAULT_CONFIG: &str = "/etc/smppd/smppd.toml";

/// Relays messages between a smstools3-compatible spool directory and an
/// SMSC.
#[derive(Debug, Parser)]
#[command(
    name = "smppd",
    version,
    // A flag given twice: the last one counts (scripts add to defaults).
    args_override_self = true,
    about = "Relays messages between a spool directory and an SMSC",
    after_help = "\
Files dropped into SPOOL/outgoing/ (headers, an empty line, the text) are
sent; accepted ones move to SPOOL/sent/, rejected ones to SPOOL/failed/ with
a Fail_reason: line. MO messages arrive in SPOOL/incoming/, delivery receipts
in SPOOL/report/.

The configuration is TOML: every key, with its default, is described in the
example, /usr/share/doc/smppd/examples/smppd.toml (systemd/smppd.toml.example
in the source).

Signals: SIGTERM or SIGINT stops claiming files, waits for outstanding
responses, unbinds and exits 0, all within the response timeout; SIGHUP
rescans the spool and re-reads the configuration, applying throughput,
window and retries at once (other changes are logged as needing a restart).

Exit status: 0 on success, 2 on bad arguments or configuration, 1 on a
runtime failure."
)]
pub(crate) struct Cli {
    /// The configuration file
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub(crate) config: PathBuf,

    /// Check the configuration (every error, and that the spool and the
    /// metrics file's directory are writable), print what is wrong, exit
    /// 0 or 2
    #[arg(long, conflicts_with = "demo")]
    pub(crate) check_config: bool,

    /// Print what the running daemon of the configured spool publishes
    /// (each link's state, backlog, oldest waiting file, counts, last
    /// error); exit 0 if one runs, 1 if none does
    #[arg(long, conflicts_with_all = ["demo", "check_config"])]
    pub(crate) status: bool,

    /// The zero-configuration first run: the daemon against an SMSC
    /// simulator started in this process, on loopback
    #[arg(long)]
    pub(crate) demo: bool,

    /// The spool for --demo
    #[arg(long, value_name = "DIR", requires = "demo", default_value = "./spool")]
    pub(crate) spool: PathBuf,

    /// Log info, debug, trace with -v, -vv, -vvv (RUST_LOG overrides)
    #[arg(short, long, action = ArgAction::Count)]
    pub(crate) verbose: u8,
}
