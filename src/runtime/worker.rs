//! A worker thread: owns sessions and drives them with bytes from the
//! reactor, commands from handles, and time from its timer wheel.
//!
//! The loop: sleep in `recv_timeout` until the next message or the wheel's
//! next deadline; take that message and every other queued one (a batch);
//! fire due timers; then service every session the batch touched: dispatch
//! its events, send its output to the reactor in one message, re-arm its
//! timer. The reactor is woken once per batch.

use super::esme::{EsmeCmd, EsmeSlot};
use super::idmap::IdMap;
use super::reactor::{send_command, ReactorCmd, INPUT_HIGH_WATER};
use super::smsc::{SmscCmd, SmscShared};
use super::{ConnId, Origin};
use crate::pdu::Body;
use crate::session::Session;
use crate::timer::{TimerKey, TimerWheel};
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use mio::Waker;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most messages taken in one batch before servicing sessions.
const BATCH: usize = 512;

/// Messages to a worker.
pub(crate) enum WorkerMsg {
    /// A connection opened (accepted or dialed).
    Connected {
        conn: ConnId,
        peer: SocketAddr,
        origin: Origin,
    },
    /// A dial failed.
    ConnectFailed {
        origin: Origin,
        error: std::io::Error,
    },
    /// Bytes arrived.
    Data {
        conn: ConnId,
        bytes: Vec<u8>,
        /// The connection's count of bytes not yet processed: subtract
        /// these once handled.
        unprocessed: Arc<AtomicUsize>,
    },
    /// The connection closed (EOF or error).
    Closed { conn: ConnId },
    /// A command from an ESME handle.
    Esme(EsmeCmd),
    /// A command from an SMSC handle.
    Smsc(SmscCmd),
    /// Stop.
    Shutdown,
}

/// What a session serves.
pub(crate) enum Owner {
    /// A link of an ESME handle (the key of its [`EsmeSlot`]).
    Esme(u64),
    /// A session of an SMSC.
    Smsc(Arc<SmscShared>),
}

/// One session and its bookkeeping.
pub(crate) struct Slot {
    pub(crate) session: Session,
    pub(crate) owner: Owner,
    /// The session as handles and handlers see it (an SMSC session's
    /// system_id and mode once bound).
    pub(crate) info: super::SessionInfo,
    pub(crate) timer: Option<(TimerKey, Instant)>,
    /// SMSC: deliveries waiting for a window slot.
    pub(crate) queue: std::collections::VecDeque<Body>,
    /// SMSC: submits handled (see `SmscContext::submits`).
    pub(crate) submits: u64,
}

/// Why the wheel woke the worker.
pub(crate) enum Wake {
    /// A session's deadline.
    Session(ConnId),
    /// An ESME link's reconnect time or throttling pause ended.
    Esme(u64),
    /// An ESME link's completions may fit in the channel now.
    EsmeCompletions(u64),
    /// A delayed delivery (SMSC receipts).
    Deliver(ConnId, Box<Body>, Arc<SmscShared>),
    /// An SMSC handler's held-back answer.
    Respond(ConnId, Box<super::smsc::HeldAnswer>),
    /// An SMSC handler's timer: the session that set it, its token.
    SmscTimer(ConnId, u64, Arc<SmscShared>),
}

pub(crate) struct Worker {
    pub(crate) index: usize,
    rx: Receiver<WorkerMsg>,
    pub(crate) me: Sender<WorkerMsg>,
    reactor: Sender<ReactorCmd>,
    waker: Arc<Waker>,
    pub(crate) sessions: IdMap<ConnId, Slot>,
    pub(crate) esmes: IdMap<u64, EsmeSlot>,
    pub(crate) listeners: HashMap<super::ListenerId, Listening>,
    pub(crate) dials: HashMap<u64, Dial>,
    pub(crate) wheel: TimerWheel<Wake>,
    dirty: Vec<ConnId>,
    wrote: bool,
}

/// What a listener's connections are for.
pub(crate) enum Listening {
    Smsc(Arc<SmscShared>),
    /// An ESME link waiting for an SMSC's outbind.
    EsmeOutbind(u64),
}

/// What a dial is for.
pub(crate) enum Dial {
    Esme(u64),
    /// An SMSC sending outbind.
    Outbind(super::smsc::OutbindDial),
}

impl Worker {
    pub(crate) fn new(
        index: usize,
        rx: Receiver<WorkerMsg>,
        reactor: Sender<ReactorCmd>,
        waker: Arc<Waker>,
        me: Sender<WorkerMsg>,
    ) -> Worker {
        Worker {
            index,
            rx,
            me,
            reactor,
            waker,
            sessions: IdMap::default(),
            esmes: IdMap::default(),
            listeners: HashMap::new(),
            dials: HashMap::new(),
            wheel: TimerWheel::new(Instant::now(), Duration::from_millis(1)),
            dirty: Vec::new(),
            wrote: false,
        }
    }

    pub(crate) fn run(mut self) {
        loop {
            let now = Instant::now();
            let msg = match self.wheel.next_deadline() {
                Some(d) => match self.rx.recv_timeout(d.saturating_duration_since(now)) {
                    Ok(m) => Some(m),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match self.rx.recv() {
                    Ok(m) => Some(m),
                    Err(_) => return,
                },
            };
            let now = Instant::now();
            if let Some(msg) = msg {
                if !self.handle(msg, now) {
                    return self.shutdown(now);
                }
                for _ in 0..BATCH {
                    match self.rx.try_recv() {
                        Ok(msg) => {
                            if !self.handle(msg, now) {
                                return self.shutdown(now);
                            }
                        }
                        Err(_) => break,
                    }
                }
            }
            let now = Instant::now();
            while let Some((_, wake)) = self.wheel.poll(now) {
                self.fire(wake, now);
            }
            self.service_dirty(now);
            if self.wrote {
                self.wrote = false;
                let _ = self.waker.wake();
            }
        }
    }

    fn shutdown(&mut self, now: Instant) {
        let conns: Vec<ConnId> = self.sessions.keys().copied().collect();
        for conn in conns {
            if let Some(slot) = self.sessions.get_mut(&conn) {
                slot.session.abort(now);
            }
            self.service(conn, now);
        }
        let _ = self.waker.wake();
    }

    /// Handles one message; false on shutdown.
    fn handle(&mut self, msg: WorkerMsg, now: Instant) -> bool {
        match msg {
            WorkerMsg::Data {
                conn,
                bytes,
                unprocessed,
            } => {
                if let Some(slot) = self.sessions.get_mut(&conn) {
                    slot.session.handle_bytes(now, &bytes);
                    self.touch(conn);
                }
                let before = unprocessed.fetch_sub(bytes.len(), Ordering::AcqRel);
                if before >= INPUT_HIGH_WATER && before - bytes.len() < INPUT_HIGH_WATER {
                    // The reactor stopped reading this connection: wake it.
                    self.wrote = true;
                }
            }
            WorkerMsg::Closed { conn } => {
                if let Some(slot) = self.sessions.get_mut(&conn) {
                    slot.session.handle_transport_closed(now);
                    self.touch(conn);
                }
            }
            WorkerMsg::Connected { conn, peer, origin } => self.connected(conn, peer, origin, now),
            WorkerMsg::ConnectFailed { origin, error } => self.connect_failed(origin, error, now),
            WorkerMsg::Esme(cmd) => self.esme_cmd(cmd, now),
            WorkerMsg::Smsc(cmd) => self.smsc_cmd(cmd, now),
            WorkerMsg::Shutdown => return false,
        }
        true
    }

    fn connected(&mut self, conn: ConnId, peer: SocketAddr, origin: Origin, now: Instant) {
        match origin {
            Origin::Accepted(lid) => match self.listeners.get(&lid) {
                Some(Listening::Smsc(shared)) => {
                    let shared = shared.clone();
                    self.smsc_accepted(conn, peer, shared, now);
                }
                Some(Listening::EsmeOutbind(key)) => {
                    let key = *key;
                    self.esme_connected(key, conn, peer, now);
                }
                None => self.close_conn(conn),
            },
            Origin::Dialed(dial) => match self.dials.remove(&dial) {
                Some(Dial::Esme(key)) => self.esme_connected(key, conn, peer, now),
                Some(Dial::Outbind(dial)) => self.smsc_outbind_connected(conn, peer, dial, now),
                None => self.close_conn(conn),
            },
        }
    }

    fn connect_failed(&mut self, origin: Origin, error: std::io::Error, now: Instant) {
        if let Origin::Dialed(dial) = origin {
            match self.dials.remove(&dial) {
                Some(Dial::Esme(key)) => self.esme_connect_failed(key, error, now),
                Some(Dial::Outbind(dial)) => {
                    log::warn!("outbind connection failed: {error}");
                    dial.shared
                        .stats
                        .errors
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                None => {}
            }
        }
    }

    fn fire(&mut self, wake: Wake, now: Instant) {
        match wake {
            Wake::Session(conn) => {
                if let Some(slot) = self.sessions.get_mut(&conn) {
                    slot.timer = None;
                    slot.session.handle_timeout(now);
                    self.touch(conn);
                }
            }
            Wake::Esme(key) => self.esme_wake(key, now),
            Wake::EsmeCompletions(key) => self.esme_completions_due(key),
            Wake::Deliver(conn, body, shared) => self.smsc_deliver(conn, *body, &shared, now),
            Wake::Respond(conn, held) => self.smsc_answer_due(conn, *held, now),
            Wake::SmscTimer(conn, token, shared) => self.smsc_timer(conn, token, &shared, now),
        }
    }

    /// Marks a session for servicing at the end of the batch.
    pub(crate) fn touch(&mut self, conn: ConnId) {
        self.dirty.push(conn);
    }

    fn service_dirty(&mut self, now: Instant) {
        while !self.dirty.is_empty() {
            let mut dirty = std::mem::take(&mut self.dirty);
            dirty.sort_unstable_by_key(|c| (c.index, c.generation));
            dirty.dedup();
            for conn in dirty.drain(..) {
                self.service(conn, now);
            }
            if self.dirty.is_empty() {
                self.dirty = dirty;
            }
        }
    }

    /// Dispatches a session's events, sends its output, re-arms its timer,
    /// and removes it once closed.
    pub(crate) fn service(&mut self, conn: ConnId, now: Instant) {
        loop {
            let Some(slot) = self.sessions.get_mut(&conn) else {
                return;
            };
            let Some(event) = slot.session.poll_event() else {
                break;
            };
            match &slot.owner {
                Owner::Esme(key) => {
                    let key = *key;
                    self.esme_event(key, conn, event, now);
                }
                Owner::Smsc(shared) => {
                    let shared = shared.clone();
                    self.smsc_event(&shared, conn, event, now);
                }
            }
        }
        if let Some(Owner::Esme(key)) = self.sessions.get(&conn).map(|s| &s.owner) {
            let key = *key;
            self.esme_release_permits(key);
        }
        let Some(slot) = self.sessions.get_mut(&conn) else {
            return;
        };
        if slot.session.has_transmit() {
            let mut bytes = Vec::new();
            slot.session.poll_transmit(&mut bytes);
            send_command(
                &self.reactor,
                &self.waker,
                ReactorCmd::Write { conn, bytes },
            );
            self.wrote = true;
        }
        if slot.session.is_closed() {
            if let Some((key, _)) = slot.timer.take() {
                self.wheel.cancel(key);
            }
            self.sessions.remove(&conn);
            self.close_conn(conn);
            return;
        }
        match (slot.session.poll_timeout(), slot.timer) {
            (None, _) => {}
            // Re-armed only when the deadline moves earlier; a later one is
            // found when the earlier entry fires.
            (Some(d), Some((_, armed))) if armed <= d => {}
            (Some(d), Some((key, _))) => {
                if self.wheel.reset(key, d) {
                    slot.timer = Some((key, d));
                } else {
                    slot.timer = Some((self.wheel.insert(d, Wake::Session(conn)), d));
                }
            }
            (Some(d), None) => slot.timer = Some((self.wheel.insert(d, Wake::Session(conn)), d)),
        }
    }

    pub(crate) fn close_conn(&mut self, conn: ConnId) {
        send_command(&self.reactor, &self.waker, ReactorCmd::Close { conn });
        self.wrote = true;
    }

    pub(crate) fn reactor(&mut self, cmd: ReactorCmd) {
        send_command(&self.reactor, &self.waker, cmd);
        self.wrote = true;
    }

    /// A session's id for handles: its connection, packed.
    pub(crate) fn session_id(conn: ConnId) -> u64 {
        (u64::from(conn.generation) << 32) | u64::from(conn.index)
    }

    pub(crate) fn conn_of(id: u64) -> ConnId {
        ConnId {
            index: id as u32,
            generation: (id >> 32) as u32,
        }
    }
}
