//! The values an SMSC's handle, its handler and its sessions share:
//! settings, the handler and what it may do, the totals.

use crate::pdu::{
    Bind, Body, COctet, CommandStatus, DataSm, DeliverSm, QuerySm, QuerySmResp, SubmitMulti,
    SubmitMultiResp, SubmitSm,
};
use crate::session::{BindMode, CloseReason, InboundId, SessionConfig};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// SMSC settings.
#[derive(Clone, Debug)]
pub struct SmscConfig {
    /// Settings for each session (inactivity, inbound rate, window for
    /// deliveries, ...). `system_id` is the id announced in bind responses.
    pub session: SessionConfig,
    /// Most sessions at once (default 10,000); connections above are
    /// refused.
    pub max_sessions: usize,
    /// Deliveries queued per session while its window is full, above which
    /// new ones are dropped and counted as errors (default 100,000).
    pub max_queued_deliveries: usize,
    /// Serve TLS on the listener (cargo feature `tls`); `None`: plaintext.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsAcceptor>,
    /// Speak TLS on the connections [`Smsc::outbind`](super::Smsc::outbind) opens (cargo feature
    /// `tls`); `None`: plaintext.
    #[cfg(feature = "tls")]
    pub outbind_tls: Option<crate::tls::TlsConnector>,
}

impl Default for SmscConfig {
    fn default() -> Self {
        SmscConfig {
            session: SessionConfig::default(),
            max_sessions: 10_000,
            max_queued_deliveries: 100_000,
            #[cfg(feature = "tls")]
            tls: None,
            #[cfg(feature = "tls")]
            outbind_tls: None,
        }
    }
}

/// A bound (or binding) SMSC session, as the application sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// Unique while the session lives; pass to [`Smsc::deliver`](super::Smsc::deliver).
    pub id: u64,
    /// The ESME's address.
    pub peer: SocketAddr,
    /// The ESME's system_id, once it bound.
    pub system_id: String,
    /// The bind mode, once bound.
    pub mode: Option<BindMode>,
}

/// What the SMSC's application decides. Every method but
/// [`SmscHandler::authenticate`] and [`SmscHandler::submit_sm`] has a
/// default: `data_sm` and `submit_multi` are refused with ESME_RINVCMDID (an
/// SMSC that does not offer them); `query_sm`, `cancel_sm` and `replace_sm`
/// answer ESME_RQUERYFAIL, ESME_RCANCELFAIL and ESME_RREPLACEFAIL, what the
/// spec prescribes for a message the SMSC does not know (an SMSC that keeps
/// no message store knows none).
///
/// Through the [`SmscContext`] a handler also decides how the answer goes
/// out (now, later, never, followed by a dropped connection) and what it
/// sends afterwards (receipts, MO messages, on this session or another).
pub trait SmscHandler: Send + Sync + 'static {
    /// Checks a bind's credentials (compare passwords with
    /// [`crate::auth::constant_time_eq`]). `Err` refuses it with that
    /// status (ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL).
    fn authenticate(&self, bind: &Bind, mode: BindMode) -> Result<(), CommandStatus>;

    /// A submit_sm: the message id to answer with, or a status.
    fn submit_sm(
        &self,
        ctx: &mut SmscContext<'_>,
        sm: &SubmitSm,
    ) -> Result<COctet<65>, CommandStatus>;

    /// A data_sm from the ESME.
    fn data_sm(
        &self,
        _ctx: &mut SmscContext<'_>,
        _sm: &DataSm,
    ) -> Result<COctet<65>, CommandStatus> {
        Err(CommandStatus::InvCmdId)
    }

    /// A submit_multi.
    fn submit_multi(
        &self,
        _ctx: &mut SmscContext<'_>,
        _sm: &SubmitMulti,
    ) -> Result<SubmitMultiResp, CommandStatus> {
        Err(CommandStatus::InvCmdId)
    }

    /// A query_sm.
    fn query_sm(
        &self,
        _ctx: &mut SmscContext<'_>,
        _q: &QuerySm,
    ) -> Result<QuerySmResp, CommandStatus> {
        Err(CommandStatus::QueryFail)
    }

    /// A cancel_sm.
    fn cancel_sm(
        &self,
        _ctx: &mut SmscContext<'_>,
        _c: &crate::pdu::CancelSm,
    ) -> Result<(), CommandStatus> {
        Err(CommandStatus::CancelFail)
    }

    /// A replace_sm.
    fn replace_sm(
        &self,
        _ctx: &mut SmscContext<'_>,
        _r: &crate::pdu::ReplaceSm,
    ) -> Result<(), CommandStatus> {
        Err(CommandStatus::ReplaceFail)
    }

    /// A timer set with [`SmscSchedule::timer`] is due. It fires whether or
    /// not the session that set it is still open.
    fn timer(&self, _ctx: &mut SmscTimer<'_>, _token: u64) {}

    /// A session bound (called after [`SmscHandler::bound`]): through
    /// `ctx` the handler may send it what waited for it (receipts held
    /// while the account had no receiver bound, say).
    fn ready(&self, _ctx: &mut SmscTimer<'_>) {}

    /// A deliver_sm or data_sm that did not reach the ESME comes back:
    /// its session closed with it queued or unanswered (`ctx.session` is
    /// `None` then), or the ESME did not answer it in time. The default
    /// drops it (it was counted as an error); a handler may send it again
    /// through `ctx`, elsewhere or later.
    fn undelivered(&self, _ctx: &mut SmscTimer<'_>, _body: Body) {}

    /// A deliver_sm or data_sm this side sent was answered (or timed out:
    /// `None`).
    fn delivered(&self, _session: &SessionInfo, _status: Option<CommandStatus>) {}

    /// A session bound.
    fn bound(&self, _session: &SessionInfo) {}

    /// A session ended.
    fn closed(&self, _session: &SessionInfo, _reason: CloseReason) {}
}

/// Something a handler asked to happen after its answer.
pub(crate) enum Later {
    /// Send a deliver_sm or data_sm on a session (`None`: the one the
    /// request or timer came from) after a delay.
    Send {
        to: Option<u64>,
        delay: Duration,
        body: Body,
    },
    /// Call [`SmscHandler::timer`] after a delay.
    Timer { delay: Duration, token: u64 },
}

/// An answer held back by [`SmscContext::respond_after`], and the
/// deliveries that follow it.
pub(crate) struct HeldAnswer {
    pub(crate) id: InboundId,
    pub(crate) answer: Result<Body, CommandStatus>,
    pub(crate) follow: Vec<Body>,
    pub(crate) close: bool,
}

/// How a request is answered: when, whether, and what follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AnswerPlan {
    pub(crate) delay: Duration,
    pub(crate) silent: bool,
    pub(crate) close: bool,
}

/// What a handler may do while it handles a request: what
/// [`SmscSchedule`] gives (sends to any session, timers), and the methods
/// below for this session and this answer.
pub struct SmscContext<'a> {
    /// The session the request came on.
    pub session: &'a SessionInfo,
    /// The submits (submit_sm, data_sm, submit_multi) this session has
    /// handed to the handler so far, this one included.
    pub submits: u64,
    pub(crate) now: Instant,
    pub(crate) schedule: SmscSchedule<'a>,
    pub(crate) plan: AnswerPlan,
}

/// What a handler may schedule, in a request ([`SmscContext`]) or outside
/// one ([`SmscTimer`]): both give these methods.
pub struct SmscSchedule<'a> {
    pub(crate) later: &'a mut Vec<Later>,
}

impl SmscSchedule<'_> {
    /// Sends a deliver_sm or a data_sm on a session of this SMSC (a
    /// [`SessionInfo::id`], for example one seen in
    /// [`SmscHandler::bound`]; any session, not only the one concerned)
    /// after `delay`.
    pub fn send_to(&mut self, session: u64, delay: Duration, body: Body) {
        self.later.push(Later::Send {
            to: Some(session),
            delay,
            body,
        });
    }

    /// Calls [`SmscHandler::timer`] with `token` after `delay`, on this
    /// worker thread, tied to the session concerned (the request's, or the
    /// timer's origin).
    pub fn timer(&mut self, delay: Duration, token: u64) {
        self.later.push(Later::Timer { delay, token });
    }
}

impl<'a> std::ops::Deref for SmscContext<'a> {
    type Target = SmscSchedule<'a>;
    fn deref(&self) -> &SmscSchedule<'a> {
        &self.schedule
    }
}

impl<'a> std::ops::DerefMut for SmscContext<'a> {
    fn deref_mut(&mut self) -> &mut SmscSchedule<'a> {
        &mut self.schedule
    }
}

impl<'a> std::ops::Deref for SmscTimer<'a> {
    type Target = SmscSchedule<'a>;
    fn deref(&self) -> &SmscSchedule<'a> {
        &self.schedule
    }
}

impl<'a> std::ops::DerefMut for SmscTimer<'a> {
    fn deref_mut(&mut self) -> &mut SmscSchedule<'a> {
        &mut self.schedule
    }
}

impl SmscContext<'_> {
    /// When the worker took the batch this request came in: read once per
    /// batch, so a handler that stamps each message needs no clock read of
    /// its own.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Sends a deliver_sm (an MO message or a receipt) on this session
    /// after `delay`.
    pub fn deliver_after(&mut self, delay: Duration, deliver: DeliverSm) {
        self.send_after(delay, Body::DeliverSm(deliver));
    }

    /// Sends a deliver_sm or a data_sm on this session after `delay`
    /// (queued while the session's window is full; dropped, and counted as
    /// an error, if the session has closed by then).
    pub fn send_after(&mut self, delay: Duration, body: Body) {
        self.schedule.later.push(Later::Send {
            to: None,
            delay,
            body,
        });
    }

    /// Holds the answer back for `delay` (a slow SMSC). Requests after it
    /// are still handled; their answers may overtake it. Deliveries this
    /// request scheduled on this session for no later than the answer go
    /// right after it.
    pub fn respond_after(&mut self, delay: Duration) {
        self.plan.delay = delay;
    }

    /// Never answers this request: the ESME's response timer is left to
    /// fire, as with an SMSC that lost it. What the handler scheduled still
    /// happens.
    pub fn no_response(&mut self) {
        self.plan.silent = true;
    }

    /// Drops the connection, without unbind, once the answer is written
    /// (or at once, with [`SmscContext::no_response`]) (as SMSCs do on
    /// overload or failover). Deliveries this request
    /// scheduled on this session with no delay go out before it, as far as
    /// the window allows; requests that arrived after this one are not
    /// handled.
    pub fn close_after_response(&mut self) {
        self.plan.close = true;
    }
}

/// What a handler may do outside a request: when one of its timers fires,
/// when a session binds ([`SmscHandler::ready`]), when a delivery comes
/// back ([`SmscHandler::undelivered`]): what [`SmscSchedule`] gives.
pub struct SmscTimer<'a> {
    /// The session concerned (that set the timer, bound, or had the
    /// delivery), if it is still open.
    pub session: Option<&'a SessionInfo>,
    /// That session's id (open or not).
    pub origin: u64,
    pub(crate) schedule: SmscSchedule<'a>,
}

/// Totals over all sessions of one SMSC.
#[derive(Debug, Default)]
pub struct SmscStats {
    /// Sessions accepted.
    pub sessions: AtomicU64,
    /// submit_sm received.
    pub submit_sm: AtomicU64,
    /// deliver_sm sent (receipts included).
    pub deliver_sm: AtomicU64,
    /// Receipts sent (as deliver_sm or data_sm).
    pub receipts: AtomicU64,
    /// query_sm received.
    pub queries: AtomicU64,
    /// cancel_sm received.
    pub cancels: AtomicU64,
    /// replace_sm received.
    pub replaces: AtomicU64,
    /// Errors: refused binds, malformed PDUs, failed deliveries, refused
    /// submits.
    pub errors: AtomicU64,
}

impl fmt::Display for SmscStats {
    /// The totals line: `sessions=.. submit_sm=.. deliver_sm=.. receipts=..
    /// errors=.. queries=.. cancels=.. replaces=..`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        write!(
            f,
            "sessions={} submit_sm={} deliver_sm={} receipts={} errors={} \
             queries={} cancels={} replaces={}",
            g(&self.sessions),
            g(&self.submit_sm),
            g(&self.deliver_sm),
            g(&self.receipts),
            g(&self.errors),
            g(&self.queries),
            g(&self.cancels),
            g(&self.replaces)
        )
    }
}
