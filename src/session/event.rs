//! What a session tells its driver: events, request outcomes, close reasons,
//! and the errors its commands return.

use super::state::{BindMode, State};
use crate::pdu::{AlertNotification, Bind, Body, COctet, CommandId, CommandStatus, Pdu};
use std::fmt;
use std::time::Instant;

/// Names one request this side sent, from the command that sent it to the
/// event that ends it. Unique within a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Names one request the peer sent that waits for this side's answer
/// (pass it to [`super::Session::respond`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InboundId {
    pub(crate) sequence: u32,
    pub(crate) command_id: CommandId,
}

impl InboundId {
    /// The peer's sequence number.
    pub fn sequence(&self) -> u32 {
        self.sequence
    }

    /// The request's command id.
    pub fn command_id(&self) -> CommandId {
        self.command_id
    }
}

/// Why a request came back without a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnReason {
    /// No response within the response timeout. The peer may have acted on
    /// it.
    Timeout,
    /// The peer answered ESME_RTHROTTLED: it did not take the request. The
    /// session pauses sending; retry after the pause.
    Throttled,
    /// The session closed before the response came. The peer may have
    /// acted on it.
    Closed,
}

/// Something the driver must know or act on. Drain with
/// [`super::Session::poll_event`] after every input.
#[derive(Debug)]
pub enum Event {
    /// The session is bound (ESME: the bind response came back ESME_ROK;
    /// SMSC: the application accepted a bind).
    Bound {
        /// The mode.
        mode: BindMode,
        /// The peer's `system_id`.
        system_id: COctet<16>,
        /// The peer's interface version: the ESME's `interface_version`, or
        /// the SMSC's `sc_interface_version` (`None` if absent: no TLVs).
        interface_version: Option<u8>,
    },
    /// ESME: the SMSC refused the bind. The session closes.
    BindRefused {
        /// The status of the bind response.
        status: CommandStatus,
    },
    /// SMSC: an ESME asks to bind. Answer with
    /// [`super::Session::accept_bind`] or [`super::Session::reject_bind`].
    BindRequest {
        /// Pass this back with the answer.
        id: InboundId,
        /// The mode asked for.
        mode: BindMode,
        /// The credentials and the rest of the bind.
        bind: Bind,
    },
    /// The peer sent a request that needs the application's answer
    /// (SMSC: submit_sm, submit_multi, data_sm, query_sm, cancel_sm,
    /// replace_sm; ESME: deliver_sm, data_sm). Answer with
    /// [`super::Session::respond`].
    Request {
        /// Pass this back with the answer.
        id: InboundId,
        /// The request.
        pdu: Pdu,
    },
    /// ESME: an `alert_notification` (it has no response).
    Alert(AlertNotification),
    /// The response to a request this side sent (any status but
    /// ESME_RTHROTTLED, which comes back as [`Event::Returned`]).
    Response {
        /// The request it answers.
        id: RequestId,
        /// The response: `pdu.status` says how it went. A `generic_nack`
        /// answering the request comes here too.
        pdu: Pdu,
        /// When the request was sent (for latency).
        sent_at: Instant,
    },
    /// A request this side sent ended without a response: it is handed
    /// back so it can be sent again.
    Returned {
        /// The request.
        id: RequestId,
        /// Its body, as given.
        body: Body,
        /// Why.
        reason: ReturnReason,
    },
    /// The state changed.
    StateChanged {
        /// Before.
        from: State,
        /// After.
        to: State,
    },
    /// The session is closed; the last event. The transport can be closed.
    Closed(CloseReason),
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// Unbind completed (either side asked).
    Unbound,
    /// The transport went away.
    TransportClosed,
    /// The bind was refused (ESME) or not accepted (SMSC).
    BindRefused(CommandStatus),
    /// No bind response (ESME) or no bind (SMSC) in time.
    BindTimeout,
    /// No answer to `enquire_link`, `max_missed` times in a row.
    LinkDead,
    /// Nothing heard from the peer within the inactivity timeout.
    Inactive,
    /// No `unbind_resp` in time.
    UnbindTimeout,
    /// The peer's bytes could not be framed (impossible command_length).
    BadFrame,
    /// Too many undecodable PDUs in a row.
    TooManyBadPdus,
    /// ESME: an outbind with the wrong credentials.
    OutbindRejected,
    /// The driver closed the session without unbinding.
    Aborted,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::Unbound => f.write_str("unbound"),
            CloseReason::TransportClosed => f.write_str("connection closed"),
            CloseReason::BindRefused(s) => write!(f, "bind refused: {s}"),
            CloseReason::BindTimeout => f.write_str("bind timed out"),
            CloseReason::LinkDead => f.write_str("enquire_link unanswered"),
            CloseReason::Inactive => f.write_str("peer inactive"),
            CloseReason::UnbindTimeout => f.write_str("unbind_resp timed out"),
            CloseReason::BadFrame => f.write_str("unframeable input"),
            CloseReason::TooManyBadPdus => f.write_str("too many malformed PDUs"),
            CloseReason::OutbindRejected => f.write_str("outbind credentials rejected"),
            CloseReason::Aborted => f.write_str("aborted"),
        }
    }
}

/// Why a command was refused. Nothing was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The window is full: wait for a response and try again.
    WindowFull,
    /// Sending is paused (throughput limit or the peer's ESME_RTHROTTLED)
    /// until this instant.
    Throttled(Instant),
    /// This side may not send that in the current state (or at all).
    InvalidState {
        /// The command.
        command_id: CommandId,
        /// The state.
        state: State,
    },
    /// The session is unbinding: no new requests.
    Unbinding,
    /// The session is closed.
    Closed,
    /// No such inbound request waits for an answer (answered already?).
    UnknownInbound,
    /// The body is not a request this API sends (a response, say).
    NotARequest(CommandId),
    /// The body could not be encoded.
    Encode(crate::pdu::EncodeError),
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SessionError::WindowFull => f.write_str("window full"),
            SessionError::Throttled(_) => f.write_str("throttled"),
            SessionError::InvalidState { command_id, state } => {
                write!(f, "{command_id} not allowed in state {state}")
            }
            SessionError::Unbinding => f.write_str("session is unbinding"),
            SessionError::Closed => f.write_str("session is closed"),
            SessionError::UnknownInbound => f.write_str("no such request awaits an answer"),
            SessionError::NotARequest(id) => write!(f, "{id} is not a request"),
            SessionError::Encode(e) => write!(f, "cannot encode: {e}"),
        }
    }
}

impl std::error::Error for SessionError {}

/// A request [`super::Session::try_send`] did not send, handed back.
#[derive(Debug)]
pub struct Refused {
    /// Why.
    pub error: SessionError,
    /// The request, untouched.
    pub body: Body,
}
