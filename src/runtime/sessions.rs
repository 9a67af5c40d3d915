//! A worker's sessions and what the role logic may touch of the worker:
//! the one context ([`Sessions`]) that the ESME links (`esme_links`) and
//! the SMSC logic (`smsc_sessions`) are given. It holds the sessions, the timer wheel, the dials and
//! listeners this worker waits on, and the way out to the reactor; it
//! knows nothing of either role beyond the tags it files their entries
//! under.

use super::channel::{OutbindDial, SmscShared, WorkerMsg};
use super::idmap::IdMap;
use super::ids::{ConnId, ListenerId};
use super::reactor::{send_command, ReactorCmd};
use super::smsc_types::{HeldAnswer, SessionInfo};
use super::socket::{DirectWriter, SharedSocket};
use crate::pdu::Body;
use crate::session::Session;
use crate::timer::{TimerKey, TimerWheel};
use crossbeam_channel::Sender;
use mio::Waker;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most output capacity a session keeps between batches (see
/// [`Sessions::flush`]).
const SESSION_BUFFER: usize = 16 << 10;

/// Whose a session is: which role's logic its events go to. (The name
/// stays: an ESME link or an SMSC owns the session for its whole life.)
pub(crate) enum Owner {
    /// A link of an ESME handle (the link's key).
    Esme(u64),
    /// A session of an SMSC.
    Smsc(Arc<SmscShared>),
}

/// One session and its bookkeeping.
pub(crate) struct SessionSlot {
    pub(crate) session: Session,
    pub(crate) owner: Owner,
    /// The session as handles and handlers see it (an SMSC session's
    /// system_id and mode once bound).
    pub(crate) info: SessionInfo,
    /// The session's entry on the wheel, and its deadline.
    pub(crate) timer: Option<(TimerKey, Instant)>,
    /// SMSC: deliveries waiting for a window slot.
    pub(crate) queue: VecDeque<Body>,
    /// SMSC: submits handled (see `SmscContext::submits`).
    pub(crate) submits: u64,
    /// SMSC: submit_sm not yet added to the SMSC's stats. They are added
    /// once per batch: every worker writes that counter, and a write to a
    /// cache line another CPU holds costs more than the submit's own work.
    pub(crate) unreported_submit_sm: u64,
    /// A plain TCP connection's socket, which this worker writes to itself
    /// (see `socket.rs`); none for TLS, and none once the connection is
    /// closed.
    pub(crate) direct: Option<DirectWriter>,
}

/// What an entry on the worker's timer wheel is for.
pub(crate) enum Due {
    /// A session's deadline.
    Session(ConnId),
    /// An ESME link's reconnect time or throttling pause ended.
    Esme(u64),
    /// An ESME link's completions may fit in the channel now.
    EsmeCompletions(u64),
    /// A delayed delivery (SMSC receipts).
    Deliver(ConnId, Box<Body>, Arc<SmscShared>),
    /// An SMSC handler's held-back answer.
    Respond(ConnId, Box<HeldAnswer>),
    /// An SMSC handler's timer: the session that set it, its token.
    SmscTimer(ConnId, u64, Arc<SmscShared>),
}

/// What a listener's connections are for.
pub(crate) enum Listening {
    Smsc(Arc<SmscShared>),
    /// An ESME link waiting for an SMSC's outbind.
    EsmeOutbind(u64),
}

/// What a connection being dialed is for.
pub(crate) enum Dialing {
    /// An ESME link (its key).
    Esme(u64),
    /// An SMSC sending outbind.
    Outbind(OutbindDial),
}

/// A worker's sessions, wheel, dials and listeners, and its way out to
/// the reactor.
pub(crate) struct Sessions {
    /// The worker's number (for the reactor's replies).
    pub(crate) index: usize,
    /// The worker's own channel (for answers handed to the application).
    pub(crate) me: Sender<WorkerMsg>,
    reactor: Sender<ReactorCmd>,
    waker: Arc<Waker>,
    pub(crate) sessions: IdMap<ConnId, SessionSlot>,
    /// The output of one session, reused.
    out: Vec<u8>,
    pub(crate) listeners: HashMap<ListenerId, Listening>,
    pub(crate) dials: HashMap<u64, Dialing>,
    pub(crate) wheel: TimerWheel<Due>,
    /// Sessions to service at the end of the batch.
    dirty: Vec<ConnId>,
    /// Something went to the reactor this batch: wake it once.
    wrote: bool,
}

impl Sessions {
    pub(crate) fn new(
        index: usize,
        me: Sender<WorkerMsg>,
        reactor: Sender<ReactorCmd>,
        waker: Arc<Waker>,
    ) -> Sessions {
        Sessions {
            index,
            me,
            reactor,
            waker,
            sessions: IdMap::default(),
            out: Vec::new(),
            listeners: HashMap::new(),
            dials: HashMap::new(),
            wheel: TimerWheel::new(Instant::now(), Duration::from_millis(1)),
            dirty: Vec::new(),
            wrote: false,
        }
    }

    /// A session's queued events, moved into `into` (see
    /// [`crate::session::Session::take_events`]); false if it had none.
    pub(crate) fn take_events(
        &mut self,
        conn: ConnId,
        into: &mut VecDeque<crate::session::Event>,
    ) -> bool {
        self.sessions
            .get_mut(&conn)
            .is_some_and(|slot| slot.session.take_events(into))
    }

    /// Marks a session for servicing at the end of the batch.
    pub(crate) fn touch(&mut self, conn: ConnId) {
        self.dirty.push(conn);
    }

    /// The sessions touched since the last call, each once, in slab order
    /// (`buf` is reused).
    pub(crate) fn take_dirty(&mut self, buf: &mut Vec<ConnId>) {
        std::mem::swap(buf, &mut self.dirty);
        buf.sort_unstable_by_key(|c| (c.index, c.generation));
        buf.dedup();
    }

    /// The reactor must look: it was sent something, or a paused
    /// connection may be read again.
    pub(crate) fn wake_reactor_later(&mut self) {
        self.wrote = true;
    }

    /// Wakes the reactor once for the whole batch, if it was sent anything.
    pub(crate) fn wake_reactor(&mut self) {
        if std::mem::take(&mut self.wrote) {
            let _ = self.waker.wake();
        }
    }

    /// Lets this worker write a new plain TCP connection's output itself,
    /// if the role made a session for it.
    pub(crate) fn write_directly(&mut self, conn: ConnId, socket: Arc<SharedSocket>) {
        if let Some(slot) = self.sessions.get_mut(&conn) {
            slot.direct = Some(DirectWriter::new(socket));
        }
    }

    pub(crate) fn close_conn(&mut self, conn: ConnId) {
        if let Some(slot) = self.sessions.get_mut(&conn) {
            slot.direct = None;
        }
        self.reactor(ReactorCmd::Close { conn });
    }

    pub(crate) fn reactor(&mut self, cmd: ReactorCmd) {
        send_command(&self.reactor, &self.waker, cmd);
        self.wrote = true;
    }

    /// After a session's events: sends its output, re-arms its timer, and
    /// removes it once closed.
    pub(crate) fn flush(&mut self, conn: ConnId) {
        let Some(slot) = self.sessions.get_mut(&conn) else {
            return;
        };
        if slot.session.has_transmit() {
            // Straight to the socket when it takes it; the rest (or all,
            // for TLS) through the reactor. The session's buffer and the
            // worker's scratch swap places, so a busy session does not
            // allocate per batch; an idle one keeps at most
            // SESSION_BUFFER of capacity.
            if self.out.capacity() > SESSION_BUFFER {
                self.out = Vec::new();
            }
            self.out.clear();
            slot.session.poll_transmit(&mut self.out);
            let written = match slot.direct.as_mut() {
                Some(d) => {
                    let n = d.write(&self.out);
                    d.handed_over(self.out.len() - n);
                    n
                }
                None => 0,
            };
            if written < self.out.len() {
                let bytes = if written == 0 {
                    std::mem::take(&mut self.out)
                } else {
                    self.out[written..].to_vec()
                };
                send_command(
                    &self.reactor,
                    &self.waker,
                    ReactorCmd::Write { conn, bytes },
                );
                self.wrote = true;
            }
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
                    slot.timer = Some((self.wheel.insert(d, Due::Session(conn)), d));
                }
            }
            (Some(d), None) => slot.timer = Some((self.wheel.insert(d, Due::Session(conn)), d)),
        }
    }
}
