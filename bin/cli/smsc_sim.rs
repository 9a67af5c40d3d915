//! `smsc-sim`'s command line: the definition `--help`, the man page and
//! the shell completions are made from.

use super::values::{host_port, in_range};
use clap::{ArgAction, Parser};
use smpp::receipt::MessageState;
use smpp::smsc_sim::{parse_dlr_mix, DlrRoute};

/// An SMPP 3.4 SMSC simulator, for testing ESMEs.
#[derive(Debug, Parser)]
#[command(
    name = "smsc-sim",
    version,
    // A flag given twice: the last one counts (scripts add to defaults).
    args_override_self = true,
    about = "An SMPP 3.4 SMSC simulator, for testing ESMEs",
    after_help = "\
Every accepted submit_sm, data_sm and submit_multi is stored with an id and a
state (ENROUTE, then the receipt's state); query_sm, cancel_sm and replace_sm
act on it, with ESME_RQUERYFAIL, ESME_RCANCELFAIL and ESME_RREPLACEFAIL for
unknown or final messages. A data_sm's receipt comes as a data_sm, the
others' as a deliver_sm.

On SIGTERM or SIGINT it unbinds every session, waits for the unbind_resp (at
most 5 s), prints one line of totals and exits 0:
  sessions=.. submit_sm=.. deliver_sm=.. receipts=.. errors=.. queries=..
  cancels=.. replaces=..

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

    /// The receipts' stat, or a weighted mix of them
    /// (DELIVRD:80,UNDELIV:15,EXPIRED:5): DELIVRD, UNDELIV, EXPIRED,
    /// REJECTD, ...
    #[arg(long, value_name = "STAT[:WEIGHT],...", default_value = "DELIVRD", value_parser = mix)]
    pub(crate) dlr_stat: DlrMix,

    /// Send receipts on the session that submitted (same) or on another
    /// receiving session of the same account (other)
    #[arg(long, value_name = "same|other", default_value = "same", value_parser = route)]
    pub(crate) dlr_route: DlrRoute,

    /// Messages the store keeps for query_sm, cancel_sm and replace_sm; the
    /// oldest final ones go first
    #[arg(long, value_name = "N", default_value_t = 100_000, value_parser = |s: &str| in_range::<usize>(s, 1..=usize::MAX))]
    pub(crate) store_max: usize,

    /// Answer each submit N ms late
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) response_delay_ms: u64,

    /// Never answer every Nth submit (it is forgotten), 0 = never
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) no_response_every: u64,

    /// Drop a session's connection, without unbind, right after its every
    /// Nth submit, 0 = never
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) close_every: u64,

    /// Answer ESME_RINVDSTADR for destinations starting with PREFIX (an
    /// unsuccess_sme in submit_multi); repeatable
    #[arg(long, value_name = "PREFIX", value_parser = prefix)]
    pub(crate) reject_dest: Vec<String>,

    /// A submit to one of the simulator's own numbers (447700900000 to
    /// 447700900999) comes back to the account's receiver as an MO message
    #[arg(long)]
    pub(crate) loopback: bool,

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

    /// Worker threads [default: one less than the number of CPUs, at least 1]
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

/// The receipts' states and their weights (one value to clap, not a list
/// of values).
#[derive(Clone, Debug)]
pub(crate) struct DlrMix(pub(crate) Vec<(MessageState, u32)>);

/// `STAT[:WEIGHT],...`: receipt states as written in a receipt's `stat:`
/// field, each with a weight (1 when left out).
fn mix(s: &str) -> Result<DlrMix, String> {
    parse_dlr_mix(s).map(DlrMix).map_err(|e| {
        format!(
            "{e}; expected STAT[:WEIGHT],... with states such as DELIVRD, UNDELIV, EXPIRED, \
             REJECTD, DELETED, ACCEPTD, UNKNOWN, ENROUTE"
        )
    })
}

/// `same` or `other`.
fn route(s: &str) -> Result<DlrRoute, String> {
    match s {
        "same" => Ok(DlrRoute::Same),
        "other" => Ok(DlrRoute::Other),
        _ => Err("expected same or other".to_owned()),
    }
}

/// A number prefix of 1 to 20 characters.
fn prefix(s: &str) -> Result<String, String> {
    if !s.is_empty() && s.len() <= 20 && s.is_ascii() {
        Ok(s.to_owned())
    } else {
        Err("expected a number prefix of 1 to 20 characters".to_owned())
    }
}
