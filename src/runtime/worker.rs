//! A worker thread: owns sessions and drives them with bytes from the
//! reactor, requests from handles, and time from its timer wheel.
//!
//! The loop: sleep in `recv_timeout` until the next message or the wheel's
//! next deadline; take that message and every other queued one (a batch);
//! fire due timers; then service every session the batch touched: hand
//! its events to its role (the ESME links or the SMSC logic), write its
//! output (straight to a plain TCP socket, see `socket.rs`; what the socket
//! does not take, and TLS output, to the reactor in one message), re-arm
//! its timer. The reactor is woken at most once per batch.
//!
//! The worker only routes: what a message, a timer or an event means is
//! the role's business, and each role sees the worker only through
//! [`Sessions`].

use super::channel::WorkerMsg;
use super::esme_links::EsmeLinks;
use super::ids::{ConnId, Origin};
use super::reactor::{ReactorCmd, INPUT_HIGH_WATER};
use super::sessions::{Dialing, Due, Listening, Owner, Sessions};
use crate::session::Event;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use mio::Waker;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// Most messages taken in one batch before servicing sessions.
const BATCH: usize = 512;

pub(crate) struct Worker {
    rx: Receiver<WorkerMsg>,
    /// The sessions and what the roles may touch.
    core: Sessions,
    /// The ESME links this worker runs.
    esme: EsmeLinks,
    /// The sessions to service, reused batch after batch.
    dirty: Vec<ConnId>,
    /// A session's events while they are handled: its queue and this one
    /// trade buffers (see `Session::take_events`), so neither is
    /// allocated again and no event is copied out of the session.
    events: VecDeque<Event>,
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
            rx,
            core: Sessions::new(index, me, reactor, waker),
            esme: EsmeLinks::default(),
            dirty: Vec::new(),
            events: VecDeque::new(),
        }
    }

    pub(crate) fn run(mut self) {
        loop {
            let now = Instant::now();
            let msg = match self.core.wheel.next_deadline() {
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
            while let Some((_, due)) = self.core.wheel.poll(now) {
                self.fire(due, now);
            }
            self.service_dirty(now);
            self.core.wake_reactor();
        }
    }

    fn shutdown(&mut self, now: Instant) {
        let conns: Vec<ConnId> = self.core.sessions.keys().copied().collect();
        for conn in conns {
            if let Some(slot) = self.core.sessions.get_mut(&conn) {
                slot.session.abort(now);
            }
            self.service(conn, now);
        }
        self.core.wake_reactor_later();
        self.core.wake_reactor();
    }

    /// Handles one message; false on shutdown.
    fn handle(&mut self, msg: WorkerMsg, now: Instant) -> bool {
        match msg {
            WorkerMsg::Data {
                conn,
                bytes,
                unprocessed,
            } => {
                if let Some(slot) = self.core.sessions.get_mut(&conn) {
                    slot.session.handle_bytes(now, &bytes);
                    self.core.touch(conn);
                }
                let before = unprocessed.fetch_sub(bytes.len(), Ordering::AcqRel);
                if before >= INPUT_HIGH_WATER && before - bytes.len() < INPUT_HIGH_WATER {
                    // The reactor stopped reading this connection: wake it.
                    self.core.wake_reactor_later();
                }
            }
            WorkerMsg::Closed { conn } => {
                if let Some(slot) = self.core.sessions.get_mut(&conn) {
                    slot.direct = None;
                    slot.session.handle_transport_closed(now);
                    self.core.touch(conn);
                }
            }
            WorkerMsg::Connected {
                conn,
                peer,
                origin,
                socket,
            } => {
                self.connected(conn, peer, origin, now);
                if let Some(socket) = socket {
                    self.core.write_directly(conn, socket);
                }
            }
            WorkerMsg::ConnectFailed { origin, error } => self.connect_failed(origin, error, now),
            WorkerMsg::Esme(cmd) => self.esme.command(&mut self.core, cmd, now),
            WorkerMsg::Smsc(cmd) => self.core.smsc_cmd(cmd, now),
            WorkerMsg::Shutdown => return false,
        }
        true
    }

    fn connected(&mut self, conn: ConnId, peer: SocketAddr, origin: Origin, now: Instant) {
        let core = &mut self.core;
        match origin {
            Origin::Accepted(lid) => match core.listeners.get(&lid) {
                Some(Listening::Smsc(shared)) => {
                    let shared = shared.clone();
                    core.smsc_accepted(conn, peer, shared, now);
                }
                Some(Listening::EsmeOutbind(key)) => {
                    let key = *key;
                    self.esme.connected(core, key, conn, peer, now);
                }
                None => core.close_conn(conn),
            },
            Origin::Dialed(dial) => match core.dials.remove(&dial) {
                Some(Dialing::Esme(key)) => self.esme.connected(core, key, conn, peer, now),
                Some(Dialing::Outbind(dial)) => core.smsc_outbind_connected(conn, peer, dial, now),
                None => core.close_conn(conn),
            },
        }
    }

    fn connect_failed(&mut self, origin: Origin, error: std::io::Error, now: Instant) {
        if let Origin::Dialed(dial) = origin {
            match self.core.dials.remove(&dial) {
                Some(Dialing::Esme(key)) => {
                    self.esme.connect_failed(&mut self.core, key, error, now)
                }
                Some(Dialing::Outbind(dial)) => {
                    log::warn!("outbind connection failed: {error}");
                    dial.shared.stats.errors.fetch_add(1, Ordering::Relaxed);
                }
                None => {}
            }
        }
    }

    fn fire(&mut self, due: Due, now: Instant) {
        let core = &mut self.core;
        match due {
            Due::Session(conn) => {
                if let Some(slot) = core.sessions.get_mut(&conn) {
                    slot.timer = None;
                    slot.session.handle_timeout(now);
                    core.touch(conn);
                }
            }
            Due::Esme(key) => self.esme.wake(core, key, now),
            Due::EsmeCompletions(key) => self.esme.completions_due(core, key, now),
            Due::Deliver(conn, body, shared) => core.smsc_deliver(conn, *body, &shared, now),
            Due::Respond(conn, held) => core.smsc_answer_due(conn, *held, now),
            Due::SmscTimer(conn, token, shared) => core.smsc_timer(conn, token, &shared, now),
        }
    }

    fn service_dirty(&mut self, now: Instant) {
        loop {
            let mut dirty = std::mem::take(&mut self.dirty);
            self.core.take_dirty(&mut dirty);
            if dirty.is_empty() {
                self.dirty = dirty;
                return;
            }
            for conn in dirty.drain(..) {
                self.service(conn, now);
            }
            self.dirty = dirty;
        }
    }

    /// Hands a session's events to its role, then sends its output,
    /// re-arms its timer, and removes it once closed. (A session stays in
    /// `sessions` until `flush`.)
    fn service(&mut self, conn: ConnId, now: Instant) {
        let core = &mut self.core;
        let Some(slot) = core.sessions.get(&conn) else {
            return;
        };
        match &slot.owner {
            // Each event is handled in place, where the session queued
            // it: a request is only read, and a response is moved once,
            // into its completion.
            Owner::Esme(key) => {
                let key = *key;
                while core.take_events(conn, &mut self.events) {
                    for event in self.events.iter_mut() {
                        self.esme.event(core, key, conn, event, now);
                    }
                    self.events.clear();
                }
                self.esme.release_permits(core, key, now);
            }
            Owner::Smsc(shared) => {
                // One reference for the whole batch: its count is written
                // by every worker.
                let shared = shared.clone();
                while core.take_events(conn, &mut self.events) {
                    for event in self.events.iter_mut() {
                        core.smsc_event(&shared, conn, event, now);
                    }
                    self.events.clear();
                }
                core.smsc_report(conn, &shared);
            }
        }
        core.flush(conn);
    }
}
