//! The values an ESME's handle and its links share: settings, tickets
//! and outcomes, errors, a link's state. (How a request travels to its
//! link and its outcome back is `requests.rs`.)

use crate::pdu::{Bind, COctet, CommandId, CommandStatus, Pdu};
use crate::session::{BindMode, SessionConfig, SessionError};
use std::fmt;
use std::time::Duration;

/// How an ESME reconnects after losing its link.
#[derive(Clone, Copy, Debug)]
pub struct Reconnect {
    /// First delay (default 500 ms).
    pub min: Duration,
    /// Longest delay (default 30 s); each failure doubles the delay, with
    /// jitter of up to a half.
    pub max: Duration,
}

impl Default for Reconnect {
    fn default() -> Self {
        Reconnect {
            min: Duration::from_millis(500),
            max: Duration::from_secs(30),
        }
    }
}

/// How to reach and bind to an SMSC.
#[derive(Clone, Debug)]
pub struct EsmeConfig {
    /// `host:port` of the SMSC (for [`Esme::listen_outbind`](super::Esme::listen_outbind), the address to
    /// listen on).
    pub addr: String,
    /// The bind mode (default transceiver).
    pub mode: BindMode,
    /// The bind PDU: system_id, password, system_type, address range.
    pub bind: Bind,
    /// Parallel binds (default 1); submits are spread over them.
    pub sessions: usize,
    /// Session settings (window, timers, throughput).
    pub session: SessionConfig,
    /// Reconnect after losing the link (default: yes).
    pub reconnect: Option<Reconnect>,
    /// Answer deliver_sm/data_sm with ESME_ROK as soon as they arrive
    /// (default false: the application acknowledges each [`Delivery`](super::Delivery)).
    pub auto_ack: bool,
    /// How long [`Esme::connect`](super::Esme::connect) waits for the first bind (default 30 s).
    pub connect_timeout: Duration,
    /// Events waiting for the application above which deliveries are
    /// answered ESME_RX_T_APPN (the SMSC retries later) (default 4096);
    /// also the room of [`Esme::completions`](super::Esme::completions) (at least the window of
    /// every link), past which submits wait (see [`Esme::submit_async`](super::Esme::submit_async)).
    pub event_capacity: usize,
    /// For [`Esme::listen_outbind`](super::Esme::listen_outbind): the password the SMSC's outbind must
    /// carry.
    pub outbind_password: Option<String>,
    /// For [`Esme::listen_outbind`](super::Esme::listen_outbind): the SMSC's system_id the outbind must
    /// carry (SMPP 3.4 §4.1.7: it names the SMSC); `None` accepts any.
    pub outbind_system_id: Option<String>,
    /// Speak TLS to the SMSC (cargo feature `tls`); `None`: plaintext.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsConnector>,
    /// For [`Esme::listen_outbind`](super::Esme::listen_outbind): serve TLS to the SMSC that connects
    /// to send its outbind (cargo feature `tls`); `None`: plaintext.
    #[cfg(feature = "tls")]
    pub outbind_tls: Option<crate::tls::TlsAcceptor>,
}

impl EsmeConfig {
    /// Transceiver binds to `addr` with these credentials; defaults for the
    /// rest.
    pub fn new(addr: &str, system_id: &str, password: &str) -> EsmeConfig {
        EsmeConfig {
            addr: addr.to_string(),
            mode: BindMode::Transceiver,
            bind: Bind {
                system_id: COctet::try_from(system_id).unwrap_or_default(),
                password: COctet::try_from(password).unwrap_or_default(),
                interface_version: crate::pdu::SMPP_VERSION_34,
                ..Bind::default()
            },
            sessions: 1,
            session: SessionConfig::default(),
            reconnect: Some(Reconnect::default()),
            auto_ack: false,
            connect_timeout: Duration::from_secs(30),
            event_capacity: 4096,
            outbind_password: None,
            outbind_system_id: None,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            outbind_tls: None,
        }
    }
}

/// Names an asynchronous submit; its [`Completion`] carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ticket(pub u64);

/// How a submit finished.
#[derive(Debug)]
pub struct Completion {
    /// The submit.
    pub ticket: Ticket,
    /// The response, or why there is none.
    pub outcome: Result<Pdu, SubmitError>,
}

/// Whether a submit waits for a free window slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitMode {
    /// Wait up to this long for a slot.
    Wait(Duration),
    /// Fail at once with [`SubmitError::WindowFull`].
    FailFast,
}

/// Why a submit has no successful response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubmitError {
    /// The SMSC answered with this status (see
    /// [`CommandStatus::is_transient`]).
    Status(CommandStatus),
    /// No response in time: the SMSC may have taken the message.
    Timeout,
    /// The link was lost: `maybe_delivered` says whether the request had
    /// been sent.
    LinkLost {
        /// The request was on the wire.
        maybe_delivered: bool,
    },
    /// No window slot (fail-fast mode, or the wait ran out).
    WindowFull,
    /// Not bound and not reconnecting.
    NotBound,
    /// The session refused the request (wrong bind mode, say).
    Refused(SessionError),
    /// The answer was a generic_nack with status 0, not the request's
    /// response (a typed call cannot read it).
    UnexpectedResponse(CommandId),
}

impl fmt::Display for SubmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubmitError::Status(s) => write!(f, "SMSC answered {s}"),
            SubmitError::Timeout => f.write_str("no response in time (the SMSC may have it)"),
            SubmitError::LinkLost {
                maybe_delivered: true,
            } => f.write_str("link lost after sending (the SMSC may have it)"),
            SubmitError::LinkLost {
                maybe_delivered: false,
            } => f.write_str("link lost before sending"),
            SubmitError::WindowFull => f.write_str("window full"),
            SubmitError::NotBound => f.write_str("not bound"),
            SubmitError::Refused(e) => write!(f, "refused: {e}"),
            SubmitError::UnexpectedResponse(id) => write!(f, "answered with {id}, not a response"),
        }
    }
}

impl std::error::Error for SubmitError {}

/// Why an ESME could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum EsmeError {
    /// The address could not be resolved or listened on.
    Io(std::io::Error),
    /// The SMSC refused the bind.
    BindRefused(CommandStatus),
    /// Not bound within `connect_timeout`; the last problem seen.
    Timeout(String),
}

impl fmt::Display for EsmeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EsmeError::Io(e) => write!(f, "{e}"),
            EsmeError::BindRefused(s) => write!(f, "bind refused: {s}"),
            EsmeError::Timeout(last) => write!(f, "not bound in time ({last})"),
        }
    }
}

impl std::error::Error for EsmeError {}

impl From<std::io::Error> for EsmeError {
    fn from(e: std::io::Error) -> Self {
        EsmeError::Io(e)
    }
}

/// The state of one link, as handles see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum LinkStatus {
    Connecting,
    Bound,
    Refused(CommandStatus),
    Down(String),
    Closed,
}

/// The state of one link of an [`Esme`](super::Esme) ([`Esme::link_states`](super::Esme::link_states)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LinkState {
    /// Not bound yet: the first connection or bind is under way.
    Connecting,
    /// Bound.
    Bound,
    /// Not bound, trying again (or, for an outbind link, waiting for the
    /// next outbind); why the last attempt or session ended.
    Down(String),
    /// The SMSC refused the bind for good (bad credentials).
    Refused(CommandStatus),
    /// Closed (unbound, or given up).
    Closed,
}

/// An I/O error as an operator reads it: `connection refused`, not
/// `Connection refused (os error 111)`.
/// Errors with a text of their own (a failed TLS handshake, say) keep it.
pub fn describe_io_error(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    if e.raw_os_error().is_none() {
        return e.to_string();
    }
    let text = match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused",
        ErrorKind::ConnectionReset => "connection reset",
        ErrorKind::ConnectionAborted => "connection aborted",
        ErrorKind::TimedOut => "connection timed out",
        ErrorKind::HostUnreachable => "host unreachable",
        ErrorKind::NetworkUnreachable => "network unreachable",
        ErrorKind::AddrNotAvailable => "address not available",
        _ => return e.to_string(),
    };
    text.to_owned()
}
