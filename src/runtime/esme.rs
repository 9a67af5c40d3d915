//! The blocking ESME handle and its worker-side links.
//!
//! ```no_run
//! use smpp::pdu::{Address, ShortMessage, SubmitSm};
//! use smpp::runtime::{Esme, EsmeConfig, Runtime};
//!
//! let rt = Runtime::new()?;
//! let esme = Esme::connect(&rt, EsmeConfig::new("127.0.0.1:2775", "smppclient1", "password"))?;
//! let resp = esme.submit(SubmitSm {
//!     dest: Address::new(1, 1, "447700900123").unwrap(),
//!     short_message: ShortMessage::new(b"hello").unwrap(),
//!     ..SubmitSm::default()
//! })?;
//! println!("message id {:?}", resp);
//! esme.unbind();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use super::idmap::IdMap;
use super::reactor::ReactorCmd;
use super::sync::{ReplySlot, Semaphore, Watch};
use super::tls::{ClientSetup, ServerSetup};
use super::worker::{Dial, Listening, Owner, Slot, Wake, Worker, WorkerMsg};
use super::{resolve, ConnId, ListenerId, Runtime, SessionInfo};
use crate::pdu::{
    Bind, Body, COctet, CancelSm, CommandId, CommandStatus, DataSm, MessageIdResp, Pdu, QuerySm,
    QuerySmResp, ReplaceSm, SubmitMulti, SubmitMultiResp, SubmitSm,
};
use crate::receipt::{normalize_id, Receipt};
use crate::session::{
    BindMode, CloseReason, Event, InboundId, Refused, RequestId, ReturnReason, Session,
    SessionConfig, SessionError, Throughput,
};
use crossbeam_channel::{bounded, Receiver, Sender, TrySendError};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// `host:port` of the SMSC (for [`Esme::listen_outbind`], the address to
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
    /// (default false: the application acknowledges each [`Delivery`]).
    pub auto_ack: bool,
    /// How long [`Esme::connect`] waits for the first bind (default 30 s).
    pub connect_timeout: Duration,
    /// Events waiting for the application above which deliveries are
    /// answered ESME_RX_T_APPN (the SMSC retries later) (default 4096);
    /// also the room of [`Esme::completions`] (at least the window of
    /// every link), past which submits wait (see [`Esme::submit_async`]).
    pub event_capacity: usize,
    /// For [`Esme::listen_outbind`]: the password the SMSC's outbind must
    /// carry.
    pub outbind_password: Option<String>,
    /// For [`Esme::listen_outbind`]: the SMSC's system_id the outbind must
    /// carry (SMPP 3.4 §4.1.7: it names the SMSC); `None` accepts any.
    pub outbind_system_id: Option<String>,
    /// Speak TLS to the SMSC (cargo feature `tls`); `None`: plaintext.
    #[cfg(feature = "tls")]
    pub tls: Option<crate::tls::TlsConnector>,
    /// For [`Esme::listen_outbind`]: serve TLS to the SMSC that connects
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

/// A deliver_sm or data_sm from the SMSC, waiting for the application's
/// answer. Answer with [`Delivery::ack`] once it is safe (for example, once
/// it is on disk); dropping it unanswered leaves the SMSC to time out and
/// retry.
pub struct Delivery {
    /// The request.
    pub pdu: Pdu,
    /// The parsed receipt, if this is a delivery receipt (text parsed,
    /// `receipted_message_id` and `message_state` TLVs preferred).
    pub receipt: Option<Receipt>,
    /// The ticket of the submit this receipt refers to, when this handle
    /// sent it and still remembers it.
    pub ticket: Option<Ticket>,
    answer: Option<(Sender<WorkerMsg>, u64, ConnId, InboundId)>,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("pdu", &self.pdu)
            .field("receipt", &self.receipt.is_some())
            .field("ticket", &self.ticket)
            .finish()
    }
}

impl Delivery {
    /// Answers ESME_ROK.
    pub fn ack(mut self) {
        self.answer(CommandStatus::Ok);
    }

    /// Answers with an error status (ESME_RX_T_APPN: retry later;
    /// ESME_RX_R_APPN: rejected).
    pub fn nack(mut self, status: CommandStatus) {
        self.answer(status);
    }

    fn answer(&mut self, status: CommandStatus) {
        if let Some((tx, key, conn, inbound)) = self.answer.take() {
            let _ = tx.send(WorkerMsg::Esme(EsmeCmd::Answer {
                key,
                conn,
                inbound,
                status,
            }));
        }
    }
}

/// What an ESME tells the application.
#[derive(Debug)]
pub enum EsmeEvent {
    /// A link bound.
    Bound {
        /// Which link (0-based).
        link: usize,
    },
    /// A link lost its session; it reconnects after `delay` unless
    /// reconnecting is off. (A link made by [`Esme::listen_outbind`] waits
    /// for the SMSC's next outbind instead; `delay` is zero.)
    Reconnecting {
        /// Which link.
        link: usize,
        /// Why the session ended.
        reason: CloseReason,
        /// When the next attempt starts.
        delay: Duration,
    },
    /// A link is closed for good.
    Closed {
        /// Which link.
        link: usize,
        /// Why.
        reason: CloseReason,
    },
    /// A mobile-originated message or a delivery receipt.
    Delivery(Delivery),
    /// An alert_notification.
    Alert(crate::pdu::AlertNotification),
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

pub(crate) struct EsmeShared {
    pub(crate) link: usize,
    /// Requests on their way to the worker.
    inbox: Inbox,
    pub(crate) permits: Semaphore,
    /// The window in force ([`Esme::tune`] may change it).
    pub(crate) window: AtomicUsize,
    /// Requests the SMSC answered ESME_RTHROTTLED (sent again after the
    /// pause).
    pub(crate) throttled: AtomicU64,
    pub(crate) status: Watch<LinkStatus>,
    pub(crate) events: Sender<EsmeEvent>,
    pub(crate) config: EsmeConfig,
    /// TLS for the dials, or for the outbind listener.
    tls_client: Option<ClientSetup>,
    tls_server: Option<ServerSetup>,
    /// Why the last connect failed: what [`Esme::connect`] reports when
    /// the link closes for good before it bound.
    last_error: std::sync::Mutex<Option<String>>,
}

/// A blocked caller's answer: what [`Esme::request`] waits on.
type Answer = ReplySlot<Result<Pdu, SubmitError>>;

thread_local! {
    /// The calling thread's answer slot, reused by each of its blocking
    /// requests (one at a time per thread).
    static ANSWER: Arc<Answer> = Arc::new(ReplySlot::new());
}

/// The worker's end of a blocked caller's [`Answer`]: answered exactly
/// once; dropped unanswered (a worker that stopped), it answers
/// [`SubmitError::NotBound`], so the caller never waits forever.
pub(crate) struct Waiter(Option<Arc<Answer>>);

impl Waiter {
    fn answer(mut self, outcome: Result<Pdu, SubmitError>) {
        if let Some(slot) = self.0.take() {
            slot.put(outcome);
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.put(Err(SubmitError::NotBound));
        }
    }
}

/// Where a completion goes.
pub(crate) enum Reply {
    /// A blocked caller.
    Wait(Waiter),
    /// The handle's completion channel.
    Ticket(Ticket, Sender<Completion>),
}

impl Reply {
    /// Hands the outcome over without blocking; a completion the full
    /// [`Esme::completions`] channel cannot take comes back, with its
    /// channel.
    fn send(
        self,
        outcome: Result<Pdu, SubmitError>,
    ) -> Result<(), (Sender<Completion>, Completion)> {
        match self {
            Reply::Wait(waiter) => waiter.answer(outcome),
            Reply::Ticket(ticket, tx) => match tx.try_send(Completion { ticket, outcome }) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => {}
                Err(TrySendError::Full(c)) => return Err((tx, c)),
            },
        }
        Ok(())
    }

    fn ticket(&self) -> Option<Ticket> {
        match self {
            Reply::Ticket(t, _) => Some(*t),
            Reply::Wait(_) => None,
        }
    }
}

/// A link's requests on their way from the application's threads to the
/// worker: one lock to put a request in, one message to the worker per
/// batch (the first request after the worker last looked announces it),
/// and the worker takes the whole batch by swapping queues, so neither a
/// request nor its body is moved through the worker's channel.
#[derive(Default)]
struct Inbox(std::sync::Mutex<InboxState>);

#[derive(Default)]
struct InboxState {
    queue: VecDeque<Submission>,
    /// The worker has been told and has not looked yet.
    announced: bool,
}

impl Inbox {
    /// Adds a request; true when the worker must be told.
    fn put(&self, sub: Submission) -> bool {
        let mut inbox = super::sync::lock(&self.0);
        inbox.queue.push_back(sub);
        !std::mem::replace(&mut inbox.announced, true)
    }

    /// Moves every request to the back of `queue` (by swapping buffers
    /// when `queue` is empty: the inbox gets the worker's empty buffer).
    fn take_into(&self, queue: &mut VecDeque<Submission>) {
        let mut inbox = super::sync::lock(&self.0);
        inbox.announced = false;
        if queue.is_empty() {
            std::mem::swap(queue, &mut inbox.queue);
        } else {
            queue.append(&mut inbox.queue);
        }
    }

    /// Takes every request (to refuse them).
    fn take_all(&self) -> VecDeque<Submission> {
        let mut inbox = super::sync::lock(&self.0);
        inbox.announced = false;
        std::mem::take(&mut inbox.queue)
    }
}

pub(crate) struct Submission {
    body: Body,
    reply: Reply,
    /// It was on the wire once (sent before a throttle sent it back).
    sent: bool,
}

/// Commands from handles to the worker that owns the link.
pub(crate) enum EsmeCmd {
    Open {
        key: u64,
        shared: Arc<EsmeShared>,
        listen: Option<std::net::TcpListener>,
    },
    /// The link's inbox has requests (see [`Inbox`]).
    Submitted {
        key: u64,
        shared: Arc<EsmeShared>,
    },
    Answer {
        key: u64,
        conn: ConnId,
        inbound: InboundId,
        status: CommandStatus,
    },
    Unbind {
        key: u64,
    },
    /// New window and throughput for the link's session and the next ones.
    Tune {
        key: u64,
        window: usize,
        throughput: Option<Throughput>,
    },
    /// The handle is gone: drop the link's state (aborting a session that
    /// is somehow still open).
    Forget {
        key: u64,
    },
}

/// Remembered submit ids for receipt correlation.
const REMEMBERED_IDS: usize = 100_000;

/// A link's worker-side state.
pub(crate) struct EsmeSlot {
    shared: Arc<EsmeShared>,
    conn: Option<ConnId>,
    queue: VecDeque<Submission>,
    /// Where each request on the wire is answered (its body is the
    /// session's, until the response).
    in_flight: IdMap<RequestId, Reply>,
    attempt: u32,
    closing: bool,
    /// Closed for good: the slot stays (until the handle is dropped) only
    /// to refuse submits, giving their window permits back.
    finished: bool,
    listening: Option<ListenerId>,
    wake: Option<crate::timer::TimerKey>,
    /// Window and throughput set by [`Esme::tune`], for the sessions to
    /// come.
    tuned: Option<(usize, Option<Throughput>)>,
    ids: HashMap<String, Ticket>,
    id_order: VecDeque<String>,
    rng: u64,
    /// Responses of this batch: their window permits go back at once (a
    /// waiting submitter wakes once per batch, not per response), then
    /// their outcomes go out, so a caller that sees an outcome also sees
    /// its permit back.
    answered: Vec<(Reply, Result<Pdu, SubmitError>)>,
    /// Completions the full completions channel could not take yet, in
    /// order; each keeps its window permit until it is taken, so an
    /// application that stops reading completions stops its submits.
    unread: VecDeque<(Sender<Completion>, Completion)>,
    /// A retry of `unread` is on the wheel.
    unread_retry: bool,
}

struct Link {
    worker: usize,
    key: u64,
    shared: Arc<EsmeShared>,
}

/// An ESME: one or more bound links to an SMSC, usable from many threads.
pub struct Esme {
    rt: Runtime,
    links: Vec<Link>,
    next: AtomicUsize,
    tickets: AtomicU64,
    completions_tx: Sender<Completion>,
    completions: Receiver<Completion>,
    events: Receiver<EsmeEvent>,
    response_wait: Duration,
}

impl fmt::Debug for Esme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Esme")
            .field("links", &self.links.len())
            .finish()
    }
}

impl Esme {
    /// Connects and binds every link, waiting until all are bound.
    pub fn connect(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        resolve(&config.addr)?;
        Self::start(rt, config, None)
    }

    /// Listens on `config.addr` for an SMSC's outbind (checked against
    /// `outbind_password` and, if set, `outbind_system_id`), then binds as a receiver
    /// on that connection. Returns once bound. An outbind with the wrong
    /// credentials is hung up on; with `config.reconnect` set, the listener
    /// stays open for the next outbind, then and after the session ends.
    pub fn listen_outbind(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        let listener = super::listen(resolve(&config.addr)?)?;
        Self::start(rt, config, Some(listener))
    }

    /// Starts connecting and binding every link and returns at once: the
    /// links bind in the background, reconnecting with `config.reconnect`
    /// (the first attempt's failures included) until [`Esme::unbind`].
    /// Submits made before a link is bound wait for it in the link's
    /// queue. [`Esme::link_states`] says how each link is doing. Fails
    /// only when the TLS settings cannot be loaded.
    pub fn open(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        Self::spawn(rt, config, None)
    }

    /// As [`Esme::listen_outbind`], but returns as soon as the listener is
    /// open: the bind happens when the SMSC's outbind comes, as often as
    /// it comes (with `config.reconnect` set the listener stays open).
    pub fn open_outbind(rt: &Runtime, config: EsmeConfig) -> Result<Esme, EsmeError> {
        let listener = super::listen(resolve(&config.addr)?)?;
        Self::spawn(rt, config, Some(listener))
    }

    /// As [`Esme::listen_outbind`], on a listener the caller bound (to
    /// learn the port of `127.0.0.1:0` before the SMSC needs it, say).
    /// `config.addr` is not used.
    pub fn listen_outbind_on(
        rt: &Runtime,
        listener: std::net::TcpListener,
        config: EsmeConfig,
    ) -> Result<Esme, EsmeError> {
        Self::start(rt, config, Some(listener))
    }

    fn start(
        rt: &Runtime,
        config: EsmeConfig,
        listener: Option<std::net::TcpListener>,
    ) -> Result<Esme, EsmeError> {
        let connect_timeout = config.connect_timeout;
        let esme = Self::spawn(rt, config, listener)?;
        let deadline = Instant::now() + connect_timeout;
        for link in &esme.links {
            let status = link.shared.status.wait_until(deadline, |s| {
                matches!(
                    s,
                    LinkStatus::Bound | LinkStatus::Refused(_) | LinkStatus::Closed
                )
            });
            match status {
                LinkStatus::Bound => {}
                LinkStatus::Refused(s) => {
                    esme.close_links();
                    return Err(EsmeError::BindRefused(s));
                }
                LinkStatus::Down(why) => {
                    esme.close_links();
                    return Err(EsmeError::Timeout(why));
                }
                other => {
                    esme.close_links();
                    let last = super::sync::lock(&link.shared.last_error).take();
                    return Err(EsmeError::Timeout(last.unwrap_or(format!("{other:?}"))));
                }
            }
        }
        Ok(esme)
    }

    /// Sends every link to its worker; binds happen in the background.
    fn spawn(
        rt: &Runtime,
        mut config: EsmeConfig,
        mut listener: Option<std::net::TcpListener>,
    ) -> Result<Esme, EsmeError> {
        let outbind = listener.is_some();
        if outbind {
            config.sessions = 1;
            config.mode = BindMode::Receiver;
        }
        let sessions = config.sessions.max(1);
        let tls_client = if outbind {
            None
        } else {
            super::tls::esme_client(&config)?
        };
        let tls_server = super::tls::esme_server(&config);
        let (events_tx, events) = bounded(config.event_capacity.max(1));
        // Room for every link's window at least: a reader that keeps up
        // never leaves a completion waiting on the worker.
        let room = config.session.window.max(1).saturating_mul(sessions);
        let (completions_tx, completions) = bounded(room.max(config.event_capacity).max(1));
        let response_wait = config.session.response_timeout + Duration::from_secs(5);
        let mut links = Vec::new();
        for link in 0..sessions {
            let shared = Arc::new(EsmeShared {
                link,
                inbox: Inbox::default(),
                permits: Semaphore::new(config.session.window.max(1)),
                window: AtomicUsize::new(config.session.window.max(1)),
                throttled: AtomicU64::new(0),
                status: Watch::new(LinkStatus::Connecting),
                events: events_tx.clone(),
                config: config.clone(),
                tls_client: tls_client.clone(),
                tls_server: tls_server.clone(),
                last_error: std::sync::Mutex::new(None),
            });
            let worker = rt.inner.pick_worker();
            let key = rt.inner.next_id();
            // Outbind links are one: the listener goes to it.
            let listen = listener.take();
            let cmd = EsmeCmd::Open {
                key,
                shared: shared.clone(),
                listen,
            };
            let _ = rt.inner.worker(worker).send(WorkerMsg::Esme(cmd));
            links.push(Link {
                worker,
                key,
                shared,
            });
        }
        Ok(Esme {
            rt: rt.clone(),
            links,
            next: AtomicUsize::new(0),
            tickets: AtomicU64::new(0),
            completions_tx,
            completions,
            events,
            response_wait,
        })
    }

    fn close_links(&self) {
        for link in &self.links {
            let cmd = EsmeCmd::Unbind { key: link.key };
            let _ = self.rt.inner.worker(link.worker).send(WorkerMsg::Esme(cmd));
        }
    }

    /// Takes a window permit on some link.
    fn permit(&self, mode: SubmitMode) -> Result<&Link, SubmitError> {
        let n = self.links.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            let link = &self.links[(start + i) % n];
            if link.shared.permits.try_acquire() {
                return Ok(link);
            }
        }
        match mode {
            SubmitMode::FailFast => Err(SubmitError::WindowFull),
            SubmitMode::Wait(d) => {
                let link = &self.links[start % n];
                if link.shared.permits.acquire_until(Instant::now() + d) {
                    Ok(link)
                } else {
                    Err(SubmitError::WindowFull)
                }
            }
        }
    }

    /// Puts a request in its link's inbox; the first of a batch tells the
    /// worker, which takes the whole batch at once.
    fn dispatch(&self, link: &Link, body: Body, reply: Reply) {
        let announce = link.shared.inbox.put(Submission {
            body,
            reply,
            sent: false,
        });
        if !announce {
            return;
        }
        let cmd = EsmeCmd::Submitted {
            key: link.key,
            shared: link.shared.clone(),
        };
        if self
            .rt
            .inner
            .worker(link.worker)
            .send(WorkerMsg::Esme(cmd))
            .is_err()
        {
            // The runtime is gone: nobody is left to read a completion it
            // could not take.
            for sub in link.shared.inbox.take_all() {
                link.shared.permits.release();
                let _ = sub.reply.send(Err(SubmitError::NotBound));
            }
        }
    }

    /// Submits and waits for the response (a submit_sm_resp with status 0;
    /// any other status is [`SubmitError::Status`]).
    pub fn submit(&self, submit: SubmitSm) -> Result<Pdu, SubmitError> {
        self.request(Body::SubmitSm(submit), SubmitMode::Wait(self.response_wait))
    }

    /// Sends any request this side may send (submit_sm, submit_multi,
    /// data_sm, query_sm, cancel_sm, replace_sm) and waits for its response.
    pub fn request(&self, body: Body, mode: SubmitMode) -> Result<Pdu, SubmitError> {
        let link = self.permit(mode)?;
        let slot = ANSWER.with(Arc::clone);
        self.dispatch(link, body, Reply::Wait(Waiter(Some(slot.clone()))));
        slot.take()
    }

    /// Sends a data_sm and waits for its data_sm_resp: the message id.
    pub fn data_sm(&self, data: DataSm) -> Result<MessageIdResp, SubmitError> {
        match self.typed(Body::DataSm(data))? {
            Body::DataSmResp(r) => Ok(r),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Sends a submit_multi and waits for its response: the message id
    /// and the destinations the SMSC refused.
    pub fn submit_multi(&self, multi: SubmitMulti) -> Result<SubmitMultiResp, SubmitError> {
        match self.typed(Body::SubmitMulti(multi))? {
            Body::SubmitMultiResp(r) => Ok(r),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Asks for a message's state (query_sm). An unknown message is
    /// [`SubmitError::Status`] with ESME_RQUERYFAIL.
    pub fn query_sm(&self, query: QuerySm) -> Result<QuerySmResp, SubmitError> {
        match self.typed(Body::QuerySm(query))? {
            Body::QuerySmResp(r) => Ok(r),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Cancels a pending message (cancel_sm). A message that is unknown or
    /// already final is [`SubmitError::Status`] with ESME_RCANCELFAIL.
    pub fn cancel_sm(&self, cancel: CancelSm) -> Result<(), SubmitError> {
        match self.typed(Body::CancelSm(cancel))? {
            Body::CancelSmResp => Ok(()),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    /// Replaces a pending message (replace_sm). A message that is unknown
    /// or already final is [`SubmitError::Status`] with ESME_RREPLACEFAIL.
    pub fn replace_sm(&self, replace: ReplaceSm) -> Result<(), SubmitError> {
        match self.typed(Body::ReplaceSm(replace))? {
            Body::ReplaceSmResp => Ok(()),
            other => Err(SubmitError::UnexpectedResponse(other.command_id())),
        }
    }

    fn typed(&self, body: Body) -> Result<Body, SubmitError> {
        self.request(body, SubmitMode::Wait(self.response_wait))
            .map(|pdu| pdu.body)
    }

    /// Sends a request without waiting: the outcome arrives on
    /// [`Esme::completions`] with the returned ticket. With
    /// [`SubmitMode::Wait`] this blocks only while the window is full, so
    /// one thread can keep every window slot busy.
    ///
    /// Backpressure: a request holds a window slot of its link until its
    /// completion is in the completions channel. That channel is bounded
    /// ([`EsmeConfig::event_capacity`], at least every link's window);
    /// when the application
    /// leaves it full, further completions wait on the worker, in order,
    /// each still holding its slot, so the window empties: with
    /// [`SubmitMode::Wait`] this call then blocks (up to the wait) and
    /// fails with [`SubmitError::WindowFull`], with
    /// [`SubmitMode::FailFast`] it fails at once. Nothing is dropped, and
    /// no runtime thread blocks on the application.
    pub fn submit_async(&self, body: Body, mode: SubmitMode) -> Result<Ticket, SubmitError> {
        let link = self.permit(mode)?;
        let ticket = Ticket(self.tickets.fetch_add(1, Ordering::Relaxed));
        self.dispatch(
            link,
            body,
            Reply::Ticket(ticket, self.completions_tx.clone()),
        );
        Ok(ticket)
    }

    /// Outcomes of [`Esme::submit_async`], in a bounded channel: read it,
    /// or submits stop for want of window slots (see
    /// [`Esme::submit_async`]).
    pub fn completions(&self) -> &Receiver<Completion> {
        &self.completions
    }

    /// Deliveries, receipts and link changes.
    pub fn events(&self) -> &Receiver<EsmeEvent> {
        &self.events
    }

    /// Every link is bound now.
    pub fn is_bound(&self) -> bool {
        self.links
            .iter()
            .all(|l| l.shared.status.get() == LinkStatus::Bound)
    }

    /// Requests in flight or queued on all links.
    pub fn in_flight(&self) -> usize {
        self.links
            .iter()
            .map(|l| {
                let window = l.shared.window.load(Ordering::Relaxed) as isize;
                (window - l.shared.permits.available()).max(0) as usize
            })
            .sum()
    }

    /// Unbinds every link gracefully (outstanding requests get their
    /// responses first, within the drain timeout) and waits until they are
    /// closed.
    pub fn unbind(&self) {
        self.close_links();
        let c = &self.links[0].shared.config.session;
        let deadline = Instant::now() + c.drain_timeout + c.unbind_timeout + Duration::from_secs(1);
        for link in &self.links {
            link.shared.status.wait_until(deadline, |s| {
                matches!(s, LinkStatus::Closed | LinkStatus::Refused(_))
            });
        }
    }
}

impl Esme {
    /// How each link is doing now, in link order.
    pub fn link_states(&self) -> Vec<LinkState> {
        self.links
            .iter()
            .map(|l| match l.shared.status.get() {
                LinkStatus::Connecting => LinkState::Connecting,
                LinkStatus::Bound => LinkState::Bound,
                LinkStatus::Down(why) => LinkState::Down(why),
                LinkStatus::Refused(s) => LinkState::Refused(s),
                LinkStatus::Closed => LinkState::Closed,
            })
            .collect()
    }

    /// Changes the window (per link) and the throughput limit (per link;
    /// `None`: unlimited) of the running links and of those they reconnect
    /// with. A smaller window takes effect as the requests out complete.
    pub fn tune(&self, window: usize, throughput: Option<Throughput>) {
        let window = window.max(1);
        for link in &self.links {
            let old = link.shared.window.swap(window, Ordering::Relaxed);
            link.shared.permits.adjust(window as isize - old as isize);
            let cmd = EsmeCmd::Tune {
                key: link.key,
                window,
                throughput,
            };
            let _ = self.rt.inner.worker(link.worker).send(WorkerMsg::Esme(cmd));
        }
    }

    /// How many requests the SMSC answered ESME_RTHROTTLED (the links
    /// pause and send them again), over all links.
    pub fn throttled(&self) -> u64 {
        self.links
            .iter()
            .map(|l| l.shared.throttled.load(Ordering::Relaxed))
            .sum()
    }

    /// The address the links dial (or, for an outbind link, listen on).
    pub fn addr(&self) -> &str {
        &self.links[0].shared.config.addr
    }

    /// As [`Esme::unbind`], but gives up at `deadline`: links still open
    /// then are closed without waiting for the SMSC (their requests fail
    /// with [`SubmitError::LinkLost`]). `true` if every link unbound in
    /// time.
    pub fn unbind_until(&self, deadline: Instant) -> bool {
        self.close_links();
        let closed = |s: &LinkStatus| matches!(s, LinkStatus::Closed | LinkStatus::Refused(_));
        let mut forgotten = Vec::new();
        for link in &self.links {
            if !closed(&link.shared.status.wait_until(deadline, closed)) {
                let cmd = EsmeCmd::Forget { key: link.key };
                let _ = self.rt.inner.worker(link.worker).send(WorkerMsg::Esme(cmd));
                forgotten.push(link);
            }
        }
        // The worker closes a forgotten link at once; waiting for that
        // keeps the drop of this handle from waiting again.
        let moment = Instant::now() + Duration::from_millis(200);
        for link in &forgotten {
            link.shared.status.wait_until(moment, closed);
        }
        forgotten.is_empty()
    }
}

/// The state of one link of an [`Esme`] ([`Esme::link_states`]).
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

impl Drop for Esme {
    fn drop(&mut self) {
        if self
            .links
            .iter()
            .any(|l| l.shared.status.get() != LinkStatus::Closed)
        {
            self.unbind();
        }
        for link in &self.links {
            let cmd = EsmeCmd::Forget { key: link.key };
            let _ = self.rt.inner.worker(link.worker).send(WorkerMsg::Esme(cmd));
        }
    }
}

fn jitter(rng: &mut u64) -> u64 {
    // xorshift64: enough to spread reconnect storms.
    let mut x = *rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *rng = x;
    x
}

/// Whether a refused bind should be retried: bad credentials never get
/// better by retrying (Kannel stops on these too).
fn bind_retryable(status: CommandStatus) -> bool {
    !matches!(
        status,
        CommandStatus::InvPaswd | CommandStatus::InvSysId | CommandStatus::InvSysTyp
    )
}

impl Worker {
    pub(crate) fn esme_cmd(&mut self, cmd: EsmeCmd, now: Instant) {
        match cmd {
            EsmeCmd::Open {
                key,
                shared,
                listen,
            } => {
                let seed =
                    (key ^ (now.elapsed().as_nanos() as u64) ^ u64::from(std::process::id())) | 1;
                let mut slot = EsmeSlot {
                    shared,
                    conn: None,
                    queue: VecDeque::new(),
                    in_flight: IdMap::default(),
                    attempt: 0,
                    closing: false,
                    finished: false,
                    listening: None,
                    wake: None,
                    tuned: None,
                    ids: HashMap::new(),
                    id_order: VecDeque::new(),
                    rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    answered: Vec::new(),
                    unread: VecDeque::new(),
                    unread_retry: false,
                };
                if let Some(listener) = listen {
                    let id = ListenerId(key);
                    let tls = slot.shared.tls_server.clone();
                    slot.listening = Some(id);
                    self.listeners.insert(id, Listening::EsmeOutbind(key));
                    self.esmes.insert(key, slot);
                    self.reactor(ReactorCmd::Listen {
                        listener,
                        id,
                        max_conns: 1,
                        worker: Some(self.index),
                        tls,
                    });
                } else {
                    self.esmes.insert(key, slot);
                    self.esme_dial(key);
                }
            }
            EsmeCmd::Submitted { key, shared } => {
                let Some(slot) = self.esmes.get_mut(&key) else {
                    // Forgotten: its handle, the only reader, is gone.
                    for sub in shared.inbox.take_all() {
                        let _ = sub.reply.send(Err(SubmitError::NotBound));
                    }
                    return;
                };
                slot.shared.inbox.take_into(&mut slot.queue);
                if slot.closing {
                    for sub in slot.queue.drain(..) {
                        slot.answered.push((sub.reply, Err(SubmitError::NotBound)));
                    }
                    return self.esme_release_permits(key);
                }
                self.esme_pump(key, now);
            }
            EsmeCmd::Answer {
                key,
                conn,
                inbound,
                status,
            } => {
                if self.esmes.get(&key).is_some_and(|s| s.conn == Some(conn)) {
                    self.esme_answer(conn, inbound, status, now);
                }
            }
            EsmeCmd::Unbind { key } => {
                let Some(slot) = self.esmes.get_mut(&key) else {
                    return;
                };
                slot.closing = true;
                match slot.conn {
                    Some(conn) => {
                        if let Some(s) = self.sessions.get_mut(&conn) {
                            let _ = s.session.unbind(now);
                        }
                        self.touch(conn);
                    }
                    None => self.esme_finish(key, CloseReason::Unbound),
                }
            }
            EsmeCmd::Tune {
                key,
                window,
                throughput,
            } => {
                let Some(slot) = self.esmes.get_mut(&key) else {
                    return;
                };
                slot.tuned = Some((window, throughput));
                if let Some(conn) = slot.conn {
                    if let Some(s) = self.sessions.get_mut(&conn) {
                        s.session.set_window(window);
                        s.session.set_throughput(now, throughput);
                    }
                }
                self.esme_pump(key, now);
            }
            EsmeCmd::Forget { key } => {
                let conn = self.esmes.get_mut(&key).and_then(|slot| {
                    slot.closing = true;
                    slot.conn
                });
                if let Some(conn) = conn {
                    if let Some(s) = self.sessions.get_mut(&conn) {
                        s.session.abort(now);
                    }
                    self.touch(conn);
                }
                self.esme_finish(key, CloseReason::Aborted);
                self.esme_release_permits(key);
                self.esmes.remove(&key);
            }
        }
    }

    fn esme_answer(
        &mut self,
        conn: ConnId,
        inbound: InboundId,
        status: CommandStatus,
        now: Instant,
    ) {
        let Some(s) = self.sessions.get_mut(&conn) else {
            return;
        };
        let result = if status.is_ok() {
            let body = match inbound.command_id() {
                CommandId::DataSm => Body::DataSmResp(MessageIdResp::default()),
                _ => Body::DeliverSmResp(MessageIdResp::default()),
            };
            s.session.respond(now, inbound, body)
        } else {
            s.session.respond_status(now, inbound, status)
        };
        if let Err(e) = result {
            log::debug!("delivery answer dropped: {e}");
        }
        self.touch(conn);
    }

    fn esme_dial(&mut self, key: u64) {
        let Some(slot) = self.esmes.get(&key) else {
            return;
        };
        let addr = match resolve(&slot.shared.config.addr) {
            Ok(a) => a,
            Err(e) => {
                return self.esme_connect_failed(key, e, Instant::now());
            }
        };
        let dial = key;
        let tls = slot.shared.tls_client.clone();
        self.dials.insert(dial, Dial::Esme(key));
        let worker = self.index;
        self.reactor(ReactorCmd::Connect {
            addr,
            worker,
            origin: super::Origin::Dialed(dial),
            tls,
        });
    }

    pub(crate) fn esme_connected(
        &mut self,
        key: u64,
        conn: ConnId,
        peer: SocketAddr,
        now: Instant,
    ) {
        let Some(slot) = self.esmes.get_mut(&key) else {
            return self.close_conn(conn);
        };
        if slot.conn.is_some() || slot.closing {
            return self.close_conn(conn);
        }
        let config = &slot.shared.config;
        let mut session = Session::esme(config.session.clone(), now);
        if let Some((window, throughput)) = slot.tuned {
            session.set_window(window);
            session.set_throughput(now, throughput);
        }
        let started = match (&slot.listening, &config.outbind_password) {
            (Some(_), password) => {
                let password = password.as_deref().unwrap_or("");
                let smsc_id = config
                    .outbind_system_id
                    .as_deref()
                    .map(|id| COctet::try_from(id).unwrap_or_default());
                session.await_outbind(
                    now,
                    smsc_id,
                    COctet::try_from(password).unwrap_or_default(),
                    config.bind.clone(),
                )
            }
            (None, _) => session.bind(now, config.mode, config.bind.clone()),
        };
        if let Err(e) = started {
            log::error!("cannot start the session: {e}");
            return self.close_conn(conn);
        }
        log::debug!("connected to {peer}");
        // Not bound yet: whatever ended the last attempt is history.
        slot.shared.status.set(LinkStatus::Connecting);
        slot.conn = Some(conn);
        let info = SessionInfo {
            id: Worker::session_id(conn),
            peer,
            system_id: String::new(),
            mode: None,
        };
        self.sessions.insert(
            conn,
            Slot {
                session,
                owner: Owner::Esme(key),
                info,
                timer: None,
                queue: VecDeque::new(),
                submits: 0,
            },
        );
        self.touch(conn);
    }

    pub(crate) fn esme_connect_failed(&mut self, key: u64, error: std::io::Error, now: Instant) {
        let why = describe_io_error(&error);
        if let Some(slot) = self.esmes.get(&key) {
            log::info!("connect to {} failed: {why}", slot.shared.config.addr);
            *super::sync::lock(&slot.shared.last_error) = Some(error.to_string());
            // A dial that fails after the link was closed says nothing.
            if !slot.closing {
                slot.shared.status.set(LinkStatus::Down(why));
            }
        }
        self.esme_lost(key, CloseReason::TransportClosed, now);
    }

    /// The link has no session any more: reconnect or finish.
    fn esme_lost(&mut self, key: u64, reason: CloseReason, now: Instant) {
        let Some(slot) = self.esmes.get_mut(&key) else {
            return;
        };
        slot.conn = None;
        let refused_for_good = matches!(reason, CloseReason::BindRefused(s) if !bind_retryable(s));
        let reconnect = slot
            .shared
            .config
            .reconnect
            .filter(|_| !slot.closing && !refused_for_good);
        match reconnect {
            Some(policy) if slot.listening.is_none() => {
                let base = policy
                    .min
                    .saturating_mul(1u32 << slot.attempt.min(16))
                    .min(policy.max.max(policy.min));
                slot.attempt = slot.attempt.saturating_add(1);
                let spread = base.as_millis() as u64 / 2;
                let delay = base - Duration::from_millis(jitter(&mut slot.rng) % (spread + 1));
                // A failed connect has said why already.
                if !matches!(slot.shared.status.get(), LinkStatus::Down(_)) {
                    slot.shared.status.set(LinkStatus::Down(reason.to_string()));
                }
                let event = EsmeEvent::Reconnecting {
                    link: slot.shared.link,
                    reason,
                    delay,
                };
                let _ = slot.shared.events.try_send(event);
                log::debug!("reconnecting in {delay:?} ({reason})");
                if let Some(k) = slot.wake.take() {
                    self.wheel.cancel(k);
                }
                slot.wake = Some(self.wheel.insert(now + delay, Wake::Esme(key)));
            }
            Some(_) => {
                // An outbind link: the listener stays open for the SMSC's
                // next outbind.
                slot.shared.status.set(LinkStatus::Down(reason.to_string()));
                let event = EsmeEvent::Reconnecting {
                    link: slot.shared.link,
                    reason,
                    delay: Duration::ZERO,
                };
                let _ = slot.shared.events.try_send(event);
                log::info!("waiting for the next outbind ({reason})");
            }
            _ => self.esme_finish(key, reason),
        }
    }

    /// The link is done for good: everything waiting fails.
    fn esme_finish(&mut self, key: u64, reason: CloseReason) {
        // Outcomes of this batch go out before the link's end.
        self.esme_release_permits(key);
        let Some(slot) = self.esmes.get_mut(&key) else {
            return;
        };
        if slot.finished {
            return;
        }
        slot.finished = true;
        slot.closing = true;
        for sub in slot.queue.drain(..) {
            let lost = SubmitError::LinkLost {
                maybe_delivered: sub.sent,
            };
            slot.answered.push((sub.reply, Err(lost)));
        }
        // Requests of a session closed without its events (aborted by
        // Forget): no response will come.
        for (_, reply) in slot.in_flight.drain() {
            let lost = SubmitError::LinkLost {
                maybe_delivered: true,
            };
            slot.answered.push((reply, Err(lost)));
        }
        slot.ids = HashMap::new();
        slot.id_order = VecDeque::new();
        let wake = slot.wake.take();
        let listening = slot.listening.take();
        if let Some(k) = wake {
            self.wheel.cancel(k);
        }
        if let Some(id) = listening {
            self.listeners.remove(&id);
            self.reactor(ReactorCmd::Unlisten { id });
        }
        self.esme_release_permits(key);
        let Some(slot) = self.esmes.get(&key) else {
            return;
        };
        // The status first: whoever reads the event sees it already.
        let status = match reason {
            CloseReason::BindRefused(s) => LinkStatus::Refused(s),
            _ => LinkStatus::Closed,
        };
        slot.shared.status.set(status);
        let _ = slot.shared.events.try_send(EsmeEvent::Closed {
            link: slot.shared.link,
            reason,
        });
    }

    pub(crate) fn esme_wake(&mut self, key: u64, now: Instant) {
        let Some(slot) = self.esmes.get_mut(&key) else {
            return;
        };
        slot.wake = None;
        if slot.conn.is_none() && !slot.closing {
            self.esme_dial(key);
        } else {
            self.esme_pump(key, now);
        }
        self.esme_release_permits(key);
    }

    /// Sends queued submissions while the session takes them.
    fn esme_pump(&mut self, key: u64, now: Instant) {
        let Some(slot) = self.esmes.get_mut(&key) else {
            return;
        };
        let Some(conn) = slot.conn else {
            if slot.shared.config.reconnect.is_none() || slot.closing {
                for sub in slot.queue.drain(..) {
                    slot.answered.push((sub.reply, Err(SubmitError::NotBound)));
                }
                self.esme_release_permits(key);
            }
            return;
        };
        let Some(s) = self.sessions.get_mut(&conn) else {
            return;
        };
        if !s.session.state().is_bound() || slot.queue.is_empty() {
            return;
        }
        let mut wake_at = None;
        while let Some(Submission { body, reply, sent }) = slot.queue.pop_front() {
            match s.session.try_send(now, body) {
                Ok(id) => {
                    slot.in_flight.insert(id, reply);
                }
                Err(Refused {
                    error: SessionError::WindowFull,
                    body,
                }) => {
                    slot.queue.push_front(Submission { body, reply, sent });
                    break;
                }
                Err(Refused {
                    error: SessionError::Throttled(at),
                    body,
                }) => {
                    slot.queue.push_front(Submission { body, reply, sent });
                    wake_at = Some(at);
                    break;
                }
                Err(Refused { error, .. }) => {
                    slot.answered
                        .push((reply, Err(SubmitError::Refused(error))));
                }
            }
        }
        if let Some(at) = wake_at {
            if slot.wake.is_none() {
                slot.wake = Some(self.wheel.insert(at, Wake::Esme(key)));
            }
        }
        self.touch(conn);
    }

    /// Remembers a submit's message id for receipt correlation.
    fn esme_remember(slot: &mut EsmeSlot, pdu: &Pdu, ticket: Option<Ticket>) {
        let (Some(ticket), Body::SubmitSmResp(r)) = (ticket, &pdu.body) else {
            return;
        };
        if r.message_id.is_empty() {
            return;
        }
        let id = normalize_id(&r.message_id.to_string_lossy());
        if slot.id_order.len() >= REMEMBERED_IDS {
            if let Some(old) = slot.id_order.pop_front() {
                slot.ids.remove(&old);
            }
        }
        slot.id_order.push_back(id.clone());
        slot.ids.insert(id, ticket);
    }

    /// Gives back the window permits a batch of outcomes freed, then hands
    /// the outcomes out. A completion the full completions channel cannot
    /// take waits in the link, in order, holding its permit again (the
    /// window shrinks by it), and is tried again every millisecond.
    pub(crate) fn esme_release_permits(&mut self, key: u64) {
        let Some(slot) = self.esmes.get_mut(&key) else {
            return;
        };
        let mut freed = 0;
        while let Some((tx, c)) = slot.unread.pop_front() {
            match tx.try_send(c) {
                Ok(()) | Err(TrySendError::Disconnected(_)) => freed += 1,
                Err(TrySendError::Full(c)) => {
                    slot.unread.push_front((tx, c));
                    break;
                }
            }
        }
        if freed > 0 {
            slot.shared.permits.release_n(freed);
        }
        if !slot.answered.is_empty() {
            slot.shared.permits.release_n(slot.answered.len());
            let mut held = 0;
            for (reply, outcome) in slot.answered.drain(..) {
                let result = match reply {
                    // Behind completions still waiting: keep their order.
                    Reply::Ticket(ticket, tx) if !slot.unread.is_empty() => {
                        Err((tx, Completion { ticket, outcome }))
                    }
                    reply => reply.send(outcome),
                };
                if let Err(waiting) = result {
                    slot.unread.push_back(waiting);
                    held += 1;
                }
            }
            if held > 0 {
                slot.shared.permits.adjust(-held);
            }
        }
        if !slot.unread.is_empty() && !slot.unread_retry {
            slot.unread_retry = true;
            let at = Instant::now() + Duration::from_millis(1);
            self.wheel.insert(at, Wake::EsmeCompletions(key));
        }
    }

    /// The retry of completions the application had not made room for.
    pub(crate) fn esme_completions_due(&mut self, key: u64) {
        if let Some(slot) = self.esmes.get_mut(&key) {
            slot.unread_retry = false;
        }
        self.esme_release_permits(key);
    }

    pub(crate) fn esme_event(&mut self, key: u64, conn: ConnId, event: Event, now: Instant) {
        let Some(slot) = self.esmes.get_mut(&key) else {
            return;
        };
        match event {
            Event::Bound { mode, .. } => {
                log::debug!("link {} bound as {mode}", slot.shared.link);
                slot.attempt = 0;
                slot.shared.status.set(LinkStatus::Bound);
                let _ = slot.shared.events.try_send(EsmeEvent::Bound {
                    link: slot.shared.link,
                });
                self.esme_pump(key, now);
            }
            Event::BindRefused { status } => {
                slot.shared.status.set(if bind_retryable(status) {
                    LinkStatus::Down(format!("bind refused: {status}"))
                } else {
                    LinkStatus::Refused(status)
                });
            }
            Event::Response { id, pdu, .. } => {
                let Some(reply) = slot.in_flight.remove(&id) else {
                    return;
                };
                if pdu.status.is_ok() {
                    Self::esme_remember(slot, &pdu, reply.ticket());
                    slot.answered.push((reply, Ok(pdu)));
                } else {
                    slot.answered
                        .push((reply, Err(SubmitError::Status(pdu.status))));
                }
            }
            Event::Returned { id, body, reason } => {
                let Some(reply) = slot.in_flight.remove(&id) else {
                    return;
                };
                match reason {
                    ReturnReason::Throttled => {
                        slot.shared.throttled.fetch_add(1, Ordering::Relaxed);
                        // Not taken by the SMSC: send again after the pause.
                        slot.queue.push_front(Submission {
                            body,
                            reply,
                            sent: true,
                        });
                        if let Some(until) = self
                            .sessions
                            .get(&conn)
                            .and_then(|s| s.session.paused_until(now))
                        {
                            if slot.wake.is_none() {
                                slot.wake = Some(self.wheel.insert(until, Wake::Esme(key)));
                            }
                        }
                    }
                    ReturnReason::Timeout => {
                        slot.answered.push((reply, Err(SubmitError::Timeout)));
                    }
                    ReturnReason::Closed => {
                        let lost = SubmitError::LinkLost {
                            maybe_delivered: true,
                        };
                        slot.answered.push((reply, Err(lost)));
                    }
                }
            }
            Event::Request { id, pdu } => {
                let receipt = receipt_of(&pdu);
                let ticket = receipt
                    .as_ref()
                    .and_then(|r| slot.ids.get(&normalize_id(&r.id)).copied());
                let auto = slot.shared.config.auto_ack;
                let answer = (!auto).then(|| (self.me.clone(), key, conn, id));
                let delivery = Delivery {
                    pdu,
                    receipt,
                    ticket,
                    answer,
                };
                match slot.shared.events.try_send(EsmeEvent::Delivery(delivery)) {
                    Ok(()) if auto => self.esme_answer(conn, id, CommandStatus::Ok, now),
                    Ok(()) => {}
                    Err(TrySendError::Full(EsmeEvent::Delivery(mut d)))
                    | Err(TrySendError::Disconnected(EsmeEvent::Delivery(mut d))) => {
                        log::warn!("application not reading events: ESME_RX_T_APPN");
                        d.answer = None;
                        self.esme_answer(conn, id, CommandStatus::RxTAppn, now);
                    }
                    Err(_) => {}
                }
            }
            Event::Alert(alert) => {
                let _ = slot.shared.events.try_send(EsmeEvent::Alert(alert));
            }
            Event::BindRequest { .. } | Event::StateChanged { .. } => {}
            Event::Closed(reason) => {
                if slot.conn == Some(conn) {
                    // Submissions still queued were never sent: they wait
                    // for the next session.
                    self.esme_lost(key, reason, now);
                }
            }
        }
    }
}

/// The receipt a deliver_sm or data_sm carries, if it is one: the text
/// parsed leniently, then the TLVs (`receipted_message_id`,
/// `message_state`) preferred.
pub(crate) fn receipt_of(pdu: &Pdu) -> Option<Receipt> {
    let (esm_class, payload, tlvs) = match &pdu.body {
        Body::DeliverSm(d) => (d.esm_class, d.payload(), &d.tlvs),
        Body::DataSm(d) => (
            d.esm_class,
            d.tlvs.message_payload().unwrap_or_default(),
            &d.tlvs,
        ),
        _ => return None,
    };
    if esm_class & crate::pdu::ESM_TYPE_MASK != crate::pdu::ESM_TYPE_RECEIPT {
        return None;
    }
    let text = String::from_utf8_lossy(payload);
    let mut receipt = Receipt::parse(&text)
        .unwrap_or_else(|_| Receipt::new(String::new(), crate::receipt::MessageState::Unknown));
    if let Some(id) = tlvs.receipted_message_id() {
        receipt.id = String::from_utf8_lossy(id).into_owned();
    }
    if let Some(state) = tlvs
        .message_state()
        .and_then(crate::receipt::MessageState::from_u8)
    {
        receipt.stat = Some(state);
    }
    if receipt.id.is_empty() {
        return None;
    }
    Some(receipt)
}
