//! The SMSC side: listen, authenticate binds, handle submits, deliver.
//!
//! The application implements [`SmscHandler`]; its methods run on the
//! worker threads, next to the sessions, so answering a submit costs no
//! thread hop. A handler that must do slow work should answer quickly with
//! an id and do the work elsewhere.
//!
//! ```no_run
//! use smpp::pdu::{Bind, COctet, CommandStatus, SubmitSm};
//! use smpp::runtime::{Runtime, Smsc, SmscConfig, SmscContext, SmscHandler};
//! use smpp::session::BindMode;
//! use std::sync::atomic::{AtomicU64, Ordering};
//!
//! struct Accept(AtomicU64);
//!
//! impl SmscHandler for Accept {
//!     fn authenticate(&self, bind: &Bind, _mode: BindMode) -> Result<(), CommandStatus> {
//!         if bind.password.as_bytes() == b"secret" { Ok(()) } else { Err(CommandStatus::InvPaswd) }
//!     }
//!     fn submit_sm(&self, _ctx: &mut SmscContext<'_>, _sm: &SubmitSm) -> Result<COctet<65>, CommandStatus> {
//!         let id = self.0.fetch_add(1, Ordering::Relaxed);
//!         Ok(COctet::try_from(format!("{id:x}").as_str()).unwrap())
//!     }
//! }
//!
//! let rt = Runtime::new()?;
//! let smsc = Smsc::listen(&rt, "127.0.0.1:2775", SmscConfig::default(), Accept(AtomicU64::new(1)))?;
//! println!("listening on {}", smsc.local_addr());
//! # Ok::<(), std::io::Error>(())
//! ```

use super::reactor::ReactorCmd;
use super::sync::lock;
use super::tls::ClientSetup;
use super::worker::{Dial, Listening, Owner, Slot, Wake, Worker, WorkerMsg};
use super::{resolve, ConnId, ListenerId, Origin, Runtime};
use crate::pdu::{
    Bind, Body, COctet, CommandId, CommandStatus, DataSm, DeliverSm, MessageIdResp, Pdu, QuerySm,
    QuerySmResp, SubmitMulti, SubmitMultiResp, SubmitSm, ESM_TYPE_MASK, ESM_TYPE_RECEIPT,
};
use crate::session::{BindMode, CloseReason, Event, InboundId, Session, SessionConfig};
use crossbeam_channel::Sender;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Speak TLS on the connections [`Smsc::outbind`] opens (cargo feature
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
    /// Unique while the session lives; pass to [`Smsc::deliver`].
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

    /// A timer set with [`SmscContext::timer`] is due. It fires whether or
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
    id: InboundId,
    answer: Result<Body, CommandStatus>,
    follow: Vec<Body>,
    close: bool,
}

/// How a request is answered: when, whether, and what follows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct AnswerPlan {
    delay: Duration,
    silent: bool,
    close: bool,
}

/// What a handler may do while it handles a request.
pub struct SmscContext<'a> {
    /// The session the request came on.
    pub session: &'a SessionInfo,
    /// The submits (submit_sm, data_sm, submit_multi) this session has
    /// handed to the handler so far, this one included.
    pub submits: u64,
    later: &'a mut Vec<Later>,
    plan: AnswerPlan,
}

impl SmscContext<'_> {
    /// Sends a deliver_sm (an MO message or a receipt) on this session
    /// after `delay`.
    pub fn deliver_after(&mut self, delay: Duration, deliver: DeliverSm) {
        self.send_after(delay, Body::DeliverSm(deliver));
    }

    /// Sends a deliver_sm or a data_sm on this session after `delay`
    /// (queued while the session's window is full; dropped, and counted as
    /// an error, if the session has closed by then).
    pub fn send_after(&mut self, delay: Duration, body: Body) {
        self.later.push(Later::Send {
            to: None,
            delay,
            body,
        });
    }

    /// Sends a deliver_sm or a data_sm on another session of this SMSC
    /// (a [`SessionInfo::id`], for example one seen in
    /// [`SmscHandler::bound`]) after `delay`.
    pub fn send_to(&mut self, session: u64, delay: Duration, body: Body) {
        self.later.push(Later::Send {
            to: Some(session),
            delay,
            body,
        });
    }

    /// Calls [`SmscHandler::timer`] with `token` after `delay`, on this
    /// session's worker thread.
    pub fn timer(&mut self, delay: Duration, token: u64) {
        self.later.push(Later::Timer { delay, token });
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
/// back ([`SmscHandler::undelivered`]).
pub struct SmscTimer<'a> {
    /// The session concerned (that set the timer, bound, or had the
    /// delivery), if it is still open.
    pub session: Option<&'a SessionInfo>,
    /// That session's id (open or not).
    pub origin: u64,
    later: &'a mut Vec<Later>,
}

impl SmscTimer<'_> {
    /// Sends a deliver_sm or a data_sm on a session of this SMSC (any, not
    /// only the one that set the timer) after `delay`.
    pub fn send_to(&mut self, session: u64, delay: Duration, body: Body) {
        self.later.push(Later::Send {
            to: Some(session),
            delay,
            body,
        });
    }

    /// Sets another timer, tied to the same origin session.
    pub fn timer(&mut self, delay: Duration, token: u64) {
        self.later.push(Later::Timer { delay, token });
    }
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

pub(crate) struct SmscShared {
    handler: Box<dyn SmscHandler>,
    config: SmscConfig,
    pub(crate) stats: SmscStats,
    sessions: Mutex<HashMap<u64, (usize, SessionInfo)>>,
    live: AtomicUsize,
    /// Every worker's channel, to hand a delivery to the worker that owns
    /// its session.
    workers: Vec<Sender<WorkerMsg>>,
}

/// Commands from the SMSC handle to workers.
pub(crate) enum SmscCmd {
    Register {
        id: ListenerId,
        shared: Arc<SmscShared>,
    },
    Deliver {
        conn: ConnId,
        body: Box<Body>,
        shared: Arc<SmscShared>,
    },
    Outbind {
        addr: SocketAddr,
        /// Unique among the runtime's dials.
        dial: u64,
        outbind: OutbindDial,
        tls: Option<ClientSetup>,
    },
    UnbindAll {
        shared: Arc<SmscShared>,
    },
    Forget {
        id: ListenerId,
    },
}

/// An outbind on its way: whose, and the credentials it carries.
pub(crate) struct OutbindDial {
    pub(crate) shared: Arc<SmscShared>,
    /// `None`: the SMSC's own `system_id`.
    system_id: Option<COctet<16>>,
    password: COctet<9>,
}

/// An SMSC: a listener and its sessions.
pub struct Smsc {
    rt: Runtime,
    shared: Arc<SmscShared>,
    listener: ListenerId,
    addr: SocketAddr,
}

impl fmt::Debug for Smsc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Smsc").field("addr", &self.addr).finish()
    }
}

impl Smsc {
    /// Listens on `addr` (port 0 picks a free port: see
    /// [`Smsc::local_addr`]).
    pub fn listen(
        rt: &Runtime,
        addr: &str,
        config: SmscConfig,
        handler: impl SmscHandler,
    ) -> std::io::Result<Smsc> {
        let listener = super::listen(resolve(addr)?)?;
        let local = listener.local_addr()?;
        let max_conns = config.max_sessions.max(1);
        let tls = super::tls::smsc_server(&config);
        let shared = Arc::new(SmscShared {
            handler: Box::new(handler),
            config,
            stats: SmscStats::default(),
            sessions: Mutex::new(HashMap::new()),
            live: AtomicUsize::new(0),
            workers: (0..rt.workers())
                .map(|w| rt.inner.worker(w).clone())
                .collect(),
        });
        let id = ListenerId(rt.inner.next_id());
        for w in 0..rt.workers() {
            let cmd = SmscCmd::Register {
                id,
                shared: shared.clone(),
            };
            let _ = rt.inner.worker(w).send(WorkerMsg::Smsc(cmd));
        }
        rt.inner.reactor(ReactorCmd::Listen {
            listener,
            id,
            max_conns,
            worker: None,
            tls,
        });
        Ok(Smsc {
            rt: rt.clone(),
            shared,
            listener: id,
            addr: local,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Totals.
    pub fn stats(&self) -> &SmscStats {
        &self.shared.stats
    }

    /// The sessions now open.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        let mut v: Vec<SessionInfo> = lock(&self.shared.sessions)
            .values()
            .map(|(_, i)| i.clone())
            .collect();
        v.sort_by_key(|i| i.id);
        v
    }

    /// Sends a deliver_sm (MO or receipt) on a session bound as receiver or
    /// transceiver. Queued while the session's window is full.
    pub fn deliver(&self, session: u64, deliver: DeliverSm) -> Result<(), CommandStatus> {
        let worker = match lock(&self.shared.sessions).get(&session) {
            Some((w, info)) if info.mode.is_some_and(BindMode::can_receive) => *w,
            Some(_) => return Err(CommandStatus::InvBndSts),
            None => return Err(CommandStatus::BindFail),
        };
        let conn = Worker::conn_of(session);
        let cmd = SmscCmd::Deliver {
            conn,
            body: Box::new(Body::DeliverSm(deliver)),
            shared: self.shared.clone(),
        };
        self.rt
            .inner
            .worker(worker)
            .send(WorkerMsg::Smsc(cmd))
            .map_err(|_| CommandStatus::SysErr)
    }

    /// Connects to an ESME listening at `addr`, sends outbind with this
    /// SMSC's `system_id` and `password`, then serves its bind_receiver
    /// like any other bind.
    pub fn outbind(&self, addr: &str, password: &str) -> std::io::Result<()> {
        self.start_outbind(addr, None, password)
    }

    /// As [`Smsc::outbind`], with `system_id` in the outbind instead of
    /// this SMSC's own. An [`crate::runtime::Esme::listen_outbind`] ESME,
    /// like most simulators, expects its account's credentials
    /// (`system_id` and password) in the outbind. The session's
    /// bind_receiver_resp then carries `system_id` too.
    pub fn outbind_as(&self, addr: &str, system_id: &str, password: &str) -> std::io::Result<()> {
        let system_id = COctet::try_from(system_id).map_err(invalid_input)?;
        self.start_outbind(addr, Some(system_id), password)
    }

    fn start_outbind(
        &self,
        addr: &str,
        system_id: Option<COctet<16>>,
        password: &str,
    ) -> std::io::Result<()> {
        let tls = super::tls::smsc_client(&self.shared.config, addr)?;
        let addr = resolve(addr)?;
        let password = COctet::try_from(password).map_err(invalid_input)?;
        let worker = self.rt.inner.pick_worker();
        let cmd = SmscCmd::Outbind {
            addr,
            dial: self.rt.inner.next_id(),
            outbind: OutbindDial {
                shared: self.shared.clone(),
                system_id,
                password,
            },
            tls,
        };
        let _ = self.rt.inner.worker(worker).send(WorkerMsg::Smsc(cmd));
        Ok(())
    }

    /// Stops accepting, unbinds every session, and waits (at most
    /// `timeout`) for them to close.
    pub fn shutdown(&self, timeout: Duration) {
        self.rt
            .inner
            .reactor(ReactorCmd::Unlisten { id: self.listener });
        for w in 0..self.rt.workers() {
            let cmd = SmscCmd::UnbindAll {
                shared: self.shared.clone(),
            };
            let _ = self.rt.inner.worker(w).send(WorkerMsg::Smsc(cmd));
        }
        let deadline = Instant::now() + timeout;
        while self.shared.live.load(Ordering::Acquire) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Smsc {
    fn drop(&mut self) {
        self.rt
            .inner
            .reactor(ReactorCmd::Unlisten { id: self.listener });
        for w in 0..self.rt.workers() {
            let cmd = SmscCmd::Forget { id: self.listener };
            let _ = self.rt.inner.worker(w).send(WorkerMsg::Smsc(cmd));
        }
    }
}

fn invalid_input(e: crate::pdu::FieldError) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e.to_string())
}

impl Worker {
    pub(crate) fn smsc_cmd(&mut self, cmd: SmscCmd, now: Instant) {
        match cmd {
            SmscCmd::Register { id, shared } => {
                self.listeners.insert(id, Listening::Smsc(shared));
            }
            SmscCmd::Forget { id } => {
                self.listeners.remove(&id);
            }
            SmscCmd::Deliver { conn, body, shared } => self.smsc_deliver(conn, *body, &shared, now),
            SmscCmd::Outbind {
                addr,
                dial,
                outbind,
                tls,
            } => {
                self.dials.insert(dial, Dial::Outbind(outbind));
                let worker = self.index;
                self.reactor(ReactorCmd::Connect {
                    addr,
                    worker,
                    origin: Origin::Dialed(dial),
                    tls,
                });
            }
            SmscCmd::UnbindAll { shared } => {
                let conns: Vec<ConnId> = self
                    .sessions
                    .iter()
                    .filter(|(_, s)| matches!(&s.owner, Owner::Smsc(o) if Arc::ptr_eq(o, &shared)))
                    .map(|(c, _)| *c)
                    .collect();
                for conn in conns {
                    if let Some(slot) = self.sessions.get_mut(&conn) {
                        let _ = slot.session.unbind(now);
                    }
                    self.touch(conn);
                }
            }
        }
    }

    fn smsc_open(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        shared: Arc<SmscShared>,
        session: Session,
    ) {
        shared.stats.sessions.fetch_add(1, Ordering::Relaxed);
        shared.live.fetch_add(1, Ordering::AcqRel);
        let info = SessionInfo {
            id: Worker::session_id(conn),
            peer,
            system_id: String::new(),
            mode: None,
        };
        lock(&shared.sessions).insert(info.id, (self.index, info.clone()));
        let slot = Slot {
            session,
            owner: Owner::Smsc(shared.clone()),
            info,
            timer: None,
            queue: VecDeque::new(),
            submits: 0,
        };
        self.sessions.insert(conn, slot);
        self.touch(conn);
    }

    pub(crate) fn smsc_accepted(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        shared: Arc<SmscShared>,
        now: Instant,
    ) {
        log::debug!("accepted {peer}");
        let session = Session::smsc(shared.config.session.clone(), now);
        self.smsc_open(conn, peer, shared, session);
    }

    pub(crate) fn smsc_outbind_connected(
        &mut self,
        conn: ConnId,
        peer: SocketAddr,
        dial: OutbindDial,
        now: Instant,
    ) {
        let OutbindDial {
            shared,
            system_id,
            password,
        } = dial;
        let mut config = shared.config.session.clone();
        if let Some(id) = system_id {
            config.system_id = id;
        }
        let mut session = Session::smsc(config, now);
        if let Err(e) = session.outbind(now, password) {
            log::error!("outbind: {e}");
            return self.close_conn(conn);
        }
        log::info!("sent outbind to {peer}");
        self.smsc_open(conn, peer, shared, session);
    }

    /// Sends (or queues) a delivery on a session.
    pub(crate) fn smsc_deliver(
        &mut self,
        conn: ConnId,
        body: Body,
        shared: &Arc<SmscShared>,
        now: Instant,
    ) {
        let Some(slot) = self.sessions.get_mut(&conn) else {
            let id = Worker::session_id(conn);
            let owner = lock(&shared.sessions).get(&id).map(|(w, _)| *w);
            match owner {
                Some(w) if w != self.index => {
                    // Another worker's session: hand it over (without
                    // blocking: two workers waiting on each other's full
                    // channels would stop both).
                    let cmd = SmscCmd::Deliver {
                        conn,
                        body: Box::new(body),
                        shared: shared.clone(),
                    };
                    if shared.workers[w].try_send(WorkerMsg::Smsc(cmd)).is_err() {
                        shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                        log::warn!("worker {w} busy: a delivery to session {id} is dropped");
                    }
                }
                _ => {
                    // The session ended first (a receipt due after a
                    // disconnect).
                    shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                    log::debug!("session gone: a delivery is not sent");
                }
            }
            return;
        };
        if slot.queue.len() >= shared.config.max_queued_deliveries {
            shared.stats.errors.fetch_add(1, Ordering::Relaxed);
            log::warn!("delivery queue full: dropping a deliver_sm");
            return;
        }
        slot.queue.push_back(body);
        Self::smsc_pump(slot, now);
        self.touch(conn);
    }

    /// Answers a request now.
    fn smsc_answer(
        slot: &mut Slot,
        id: InboundId,
        answer: Result<Body, CommandStatus>,
        now: Instant,
    ) {
        let result = match answer {
            Ok(body) => slot.session.respond(now, id, body),
            Err(status) => slot.session.respond_status(now, id, status),
        };
        if let Err(e) = result {
            log::debug!("answer to {} not sent: {e}", id.command_id());
        }
    }

    /// Drops a session's connection without unbind (what it has written
    /// goes out first).
    fn smsc_drop(slot: &mut Slot, now: Instant) {
        log::info!("dropping the connection of session {}", slot.info.id);
        slot.session.abort(now);
    }

    /// A held-back answer is due.
    pub(crate) fn smsc_answer_due(&mut self, conn: ConnId, held: HeldAnswer, now: Instant) {
        let Some(slot) = self.sessions.get_mut(&conn) else {
            return;
        };
        let HeldAnswer {
            id,
            answer,
            follow,
            close,
        } = held;
        Self::smsc_answer(slot, id, answer, now);
        slot.queue.extend(follow);
        Self::smsc_pump(slot, now);
        if close {
            Self::smsc_drop(slot, now);
        }
        self.touch(conn);
    }

    /// Carries out what a handler asked for after its answer.
    fn smsc_later(
        &mut self,
        shared: &Arc<SmscShared>,
        origin: ConnId,
        later: Vec<Later>,
        now: Instant,
    ) {
        for item in later {
            match item {
                Later::Send { to, delay, body } => {
                    let target = to.map_or(origin, Worker::conn_of);
                    if !delay.is_zero() {
                        let wake = Wake::Deliver(target, Box::new(body), shared.clone());
                        self.wheel.insert(now + delay, wake);
                    } else if target == origin {
                        // The common case: straight onto this session's
                        // queue, pumped by the caller.
                        match self.sessions.get_mut(&origin) {
                            Some(slot) if !slot.session.is_closed() => slot.queue.push_back(body),
                            _ => self.smsc_deliver(target, body, shared, now),
                        }
                    } else {
                        self.smsc_deliver(target, body, shared, now);
                    }
                }
                Later::Timer { delay, token } => {
                    let wake = Wake::SmscTimer(origin, token, shared.clone());
                    self.wheel.insert(now + delay, wake);
                }
            }
        }
    }

    /// Hands deliveries that did not reach the ESME back to the handler.
    fn smsc_undelivered(
        &mut self,
        shared: &Arc<SmscShared>,
        conn: ConnId,
        bodies: Vec<Body>,
        now: Instant,
    ) {
        let mut later = Vec::new();
        if let Some(slot) = self.sessions.get(&conn) {
            let session = (!slot.session.is_closed()).then_some(&slot.info);
            let mut ctx = SmscTimer {
                session,
                origin: slot.info.id,
                later: &mut later,
            };
            for body in bodies {
                shared.handler.undelivered(&mut ctx, body);
            }
        }
        if !later.is_empty() {
            self.smsc_later(shared, conn, later, now);
        }
    }

    /// A handler's timer is due.
    pub(crate) fn smsc_timer(
        &mut self,
        origin: ConnId,
        token: u64,
        shared: &Arc<SmscShared>,
        now: Instant,
    ) {
        let mut later = Vec::new();
        let session = self
            .sessions
            .get(&origin)
            .filter(|s| !s.session.is_closed())
            .map(|s| &s.info);
        let mut ctx = SmscTimer {
            session,
            origin: Worker::session_id(origin),
            later: &mut later,
        };
        shared.handler.timer(&mut ctx, token);
        if !later.is_empty() {
            self.smsc_later(shared, origin, later, now);
            if let Some(slot) = self.sessions.get_mut(&origin) {
                Self::smsc_pump(slot, now);
                self.touch(origin);
            }
        }
    }

    fn smsc_pump(slot: &mut Slot, now: Instant) {
        let Owner::Smsc(shared) = &slot.owner else {
            return;
        };
        if slot.session.is_closed() {
            // What is queued goes back to the handler with Event::Closed.
            return;
        }
        while let Some(body) = slot.queue.pop_front() {
            let (deliver, receipt) = match &body {
                Body::DeliverSm(d) => (true, d.is_receipt()),
                Body::DataSm(d) => (false, d.esm_class & ESM_TYPE_MASK == ESM_TYPE_RECEIPT),
                _ => (false, false),
            };
            match slot.session.try_send(now, body) {
                Ok(_) => {
                    if deliver {
                        shared.stats.deliver_sm.fetch_add(1, Ordering::Relaxed);
                    }
                    if receipt {
                        shared.stats.receipts.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(r) if r.error == crate::session::SessionError::WindowFull => {
                    slot.queue.push_front(r.body);
                    return;
                }
                Err(r) => {
                    log::debug!("delivery not sent: {}", r.error);
                    shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    pub(crate) fn smsc_event(
        &mut self,
        shared: &Arc<SmscShared>,
        conn: ConnId,
        event: Event,
        now: Instant,
    ) {
        let Some(slot) = self.sessions.get_mut(&conn) else {
            return;
        };
        match event {
            Event::BindRequest { id, mode, bind } => {
                let verdict = shared.handler.authenticate(&bind, mode);
                let result = match verdict {
                    Ok(()) => slot.session.accept_bind(now, id),
                    Err(status) => {
                        shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                        slot.session.reject_bind(now, id, status)
                    }
                };
                if let Err(e) = result {
                    log::error!("bind answer: {e}");
                }
                if verdict.is_ok() {
                    slot.info.system_id = bind.system_id.to_string();
                    slot.info.mode = Some(mode);
                    if let Some((_, info)) = lock(&shared.sessions).get_mut(&slot.info.id) {
                        info.clone_from(&slot.info);
                    }
                    shared.handler.bound(&slot.info);
                    let mut later = Vec::new();
                    let mut ctx = SmscTimer {
                        session: Some(&slot.info),
                        origin: slot.info.id,
                        later: &mut later,
                    };
                    shared.handler.ready(&mut ctx);
                    if !later.is_empty() {
                        self.smsc_later(shared, conn, later, now);
                        if let Some(slot) = self.sessions.get_mut(&conn) {
                            Self::smsc_pump(slot, now);
                        }
                    }
                }
            }
            Event::Request { id, pdu } => {
                if slot.session.is_closed() {
                    // Arrived behind a request whose answer closed the
                    // connection: never handled, never answered.
                    return;
                }
                if matches!(
                    pdu.body,
                    Body::SubmitSm(_) | Body::DataSm(_) | Body::SubmitMulti(_)
                ) {
                    slot.submits += 1;
                }
                let mut later = Vec::new();
                let mut ctx = SmscContext {
                    session: &slot.info,
                    submits: slot.submits,
                    later: &mut later,
                    plan: AnswerPlan::default(),
                };
                let h = &shared.handler;
                let stats = &shared.stats;
                let answer: Result<Body, CommandStatus> = match &pdu.body {
                    Body::SubmitSm(sm) => {
                        stats.submit_sm.fetch_add(1, Ordering::Relaxed);
                        h.submit_sm(&mut ctx, sm)
                            .map(|m| Body::SubmitSmResp(MessageIdResp::new(m)))
                    }
                    Body::DataSm(d) => h
                        .data_sm(&mut ctx, d)
                        .map(|m| Body::DataSmResp(MessageIdResp::new(m))),
                    Body::SubmitMulti(m) => h.submit_multi(&mut ctx, m).map(Body::SubmitMultiResp),
                    Body::QuerySm(q) => {
                        stats.queries.fetch_add(1, Ordering::Relaxed);
                        h.query_sm(&mut ctx, q).map(Body::QuerySmResp)
                    }
                    Body::CancelSm(c) => {
                        stats.cancels.fetch_add(1, Ordering::Relaxed);
                        h.cancel_sm(&mut ctx, c).map(|()| Body::CancelSmResp)
                    }
                    Body::ReplaceSm(r) => {
                        stats.replaces.fetch_add(1, Ordering::Relaxed);
                        h.replace_sm(&mut ctx, r).map(|()| Body::ReplaceSmResp)
                    }
                    _ => Err(CommandStatus::InvCmdId),
                };
                let plan = ctx.plan;
                if answer.is_err() && !plan.silent {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                }
                if plan.silent {
                    if let Err(e) = slot.session.ignore(now, id) {
                        log::error!("dropping {}: {e}", pdu.command_id());
                    }
                } else if plan.delay.is_zero() {
                    Self::smsc_answer(slot, id, answer, now);
                } else {
                    // Deliveries due on this session before the answer
                    // follow it instead: a receipt never overtakes the
                    // answer that carries its message id.
                    let mut follow = Vec::new();
                    later.retain_mut(|l| match l {
                        Later::Send {
                            to: None,
                            delay,
                            body,
                        } if *delay <= plan.delay => {
                            follow.push(std::mem::replace(body, Body::GenericNack));
                            false
                        }
                        _ => true,
                    });
                    let held = HeldAnswer {
                        id,
                        answer,
                        follow,
                        close: plan.close,
                    };
                    self.wheel
                        .insert(now + plan.delay, Wake::Respond(conn, Box::new(held)));
                }
                self.smsc_later(shared, conn, later, now);
                if let Some(slot) = self.sessions.get_mut(&conn) {
                    Self::smsc_pump(slot, now);
                    if plan.close && (plan.silent || plan.delay.is_zero()) {
                        // After the answer and what the window lets follow
                        // it (a receipt due at once).
                        Self::smsc_drop(slot, now);
                    }
                }
            }
            Event::Response { pdu, .. } => {
                if pdu.command_id() == CommandId::DeliverSmResp
                    || pdu.command_id() == CommandId::DataSmResp
                    || pdu.command_id() == CommandId::GenericNack
                {
                    if !pdu.status.is_ok() {
                        shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                    }
                    shared.handler.delivered(&slot.info, Some(pdu.status));
                }
                Self::smsc_pump(slot, now);
            }
            Event::Returned { body, .. } => {
                shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                shared.handler.delivered(&slot.info, None);
                self.smsc_undelivered(shared, conn, vec![body], now);
                if let Some(slot) = self.sessions.get_mut(&conn) {
                    Self::smsc_pump(slot, now);
                }
            }
            Event::Closed(reason) => {
                // Deliveries still waiting for the window go back to the
                // handler.
                let queued: Vec<Body> = slot.queue.drain(..).collect();
                if !queued.is_empty() {
                    self.smsc_undelivered(shared, conn, queued, now);
                }
                let Some(slot) = self.sessions.get_mut(&conn) else {
                    return;
                };
                let id = slot.info.id;
                if matches!(reason, CloseReason::BadFrame | CloseReason::TooManyBadPdus) {
                    shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                }
                let info = lock(&shared.sessions).remove(&id).map(|(_, i)| i);
                shared.live.fetch_sub(1, Ordering::AcqRel);
                if let Some(info) = info {
                    shared.handler.closed(&info, reason);
                }
            }
            Event::Bound { .. }
            | Event::BindRefused { .. }
            | Event::Alert(_)
            | Event::StateChanged { .. } => {}
        }
    }
}

/// For [`Pdu`] users that want the response body type of a request.
#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<Pdu>();
}
