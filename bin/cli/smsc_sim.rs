//! `smsc-sim`'s command line: the definition `--help`, the man page and
//! the shell completions are made from.

use super::values::{host_port, in_range};
use clap::{ArgAction, Parser};
use smpp::receipt::MessageState;

/// An SMPP 3.4 SMSC simulator, for testing ESMEs.
#[derive(Debug, Parser)]
#[command(
    name = "smsc-sim",
    version,
    // A flag given twice: the last one counts (scripts add to defaults).
    args_override_self = true,
    about = "An SMPP 3.4 SMSC simulator, for testing ESMEs",
    after_help = "\
On SIGTERM or SIGINT it unbinds every session, waits for the unbind_resp (at
most 5 s), prints one line of totals and exits 0:
  sessions=.. submit_sm=.. deliver_sm=.. receipts=.. errors=..

Exit status: 0 on success, 2 on bad arguments, 1 on a runtime failure."
)]
pub(crate) struct Cli {
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:2775", value_parser = host_port)]
    pub(crate) listen: String,

    /// An account that may bind; repeatable [default: smppclient1:password]
    #[arg(long = "account", value_name = "SYSTEM_ID:PASSWORD", value_parser = account)]
    pub(crate) accounts: Vec<(String, String)>,

    /// Send a delivery receipt N ms after each submit_sm that asks for one
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) dlr_delay_ms: u64,

    /// The receipts' stat: DELIVRD, UNDELIV, EXPIRED, REJECTD, ...
    #[arg(long, value_name = "STAT", default_value = "DELIVRD", value_parser = stat)]
    pub(crate) dlr_stat: MessageState,

    /// Answer ESME_RTHROTTLED to submits above N per second per session,
    /// 0 = never
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) throttle_per_sec: u32,

    /// Answer every Nth submit_sm with ESME_RSUBMITFAIL, 0 = never
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) reject_every: u64,

    /// Send an MO deliver_sm to each receiver or transceiver every N ms,
    /// 0 = never
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) mo_every_ms: u64,

    /// Connect to an ESME, send outbind (system_id smsc-sim, the first
    /// account's password), then serve the bind_receiver it sends
    #[arg(long, value_name = "HOST:PORT", value_parser = host_port)]
    pub(crate) outbind: Option<String>,

    /// Send enquire_link after N idle seconds, 0 = never
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub(crate) enquire_link_secs: u64,

    /// Close sessions silent for N seconds, 0 = never
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) inactivity_secs: u64,

    /// Most sessions at once
    #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = |s: &str| in_range::<usize>(s, 1..=usize::MAX))]
    pub(crate) max_sessions: usize,

    /// Largest PDU accepted, in bytes
    #[arg(long, value_name = "N", default_value_t = smpp::pdu::DEFAULT_MAX_PDU_LEN, value_parser = |s: &str| in_range::<usize>(s, 16..=16 * 1024 * 1024))]
    pub(crate) max_pdu_len: usize,

    /// Serve SMPP over TLS with this certificate chain (PEM, the server's
    /// certificate first)
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub(crate) tls_cert: Option<std::path::PathBuf>,

    /// The TLS certificate's private key (PEM)
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub(crate) tls_key: Option<std::path::PathBuf>,

    /// Worker threads [default: the number of CPUs]
    #[arg(long, value_name = "N", value_parser = |s: &str| in_range::<usize>(s, 1..=1024))]
    pub(crate) workers: Option<usize>,

    /// Log info, debug, trace with -v, -vv, -vvv (RUST_LOG overrides)
    #[arg(short, long, action = ArgAction::Count)]
    pub(crate) verbose: u8,
}

/// `SYSTEM_ID:PASSWORD`, at most 15 and 8 characters.
fn account(s: &str) -> Result<(String, String), String> {
    match s.split_once(':') {
        Some((id, pw)) if !id.is_empty() && id.len() < 16 && pw.len() < 9 => {
            Ok((id.to_owned(), pw.to_owned()))
        }
        _ => Err("expected SYSTEM_ID:PASSWORD (at most 15 and 8 characters)".to_owned()),
    }
}

/// A receipt state as written in a receipt's `stat:` field.
fn stat(s: &str) -> Result<MessageState, String> {
    MessageState::from_stat(s)
        .ok_or_else(|| "expected a receipt state: DELIVRD, UNDELIV, EXPIRED, REJECTD, DELETED, ACCEPTD, UNKNOWN or ENROUTE".to_owned())
}
