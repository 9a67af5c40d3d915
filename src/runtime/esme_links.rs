//! The worker side of an ESME's links: connecting, binding, reconnecting,
//! sending what the handle queued, and handing responses, deliveries and
//! link changes back. A worker holds its links in one [`EsmeLinks`] and
//! calls it with the worker's [`Sessions`] for every message, timer and
//! session event that concerns them.

use super::channel::{Delivery, EsmeCmd, EsmeEvent, EsmeShared};
use super::completion_handler::{CompletionHandler, DirectSend, LinkSubmitter};
use super::esme_types::{describe_io_error, Completion, LinkStatus, SubmitError, Ticket};
use super::idmap::IdMap;
use super::ids::{resolve, session_id, ConnId, ListenerId, Origin};
use super::reactor::ReactorCmd;
use super::requests::{Reply, Submission, Waiter};
use super::sessions::{Dialing, Due, Listening, Owner, SessionSlot, Sessions};
use super::smsc_types::SessionInfo;
use crate::pdu::{Body, COctet, CommandId, CommandStatus, MessageIdResp, Pdu};
use crate::receipt::{normalize_id, Receipt};
use crate::session::{
    CloseReason, Event, InboundId, Refused, RequestId, ReturnReason, Session, SessionError,
    Throughput,
};
use crossbeam_channel::TrySendError;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The ESME links one worker runs, by key.
#[derive(Default)]
pub(crate) struct EsmeLinks {
    links: IdMap<u64, EsmeLink>,
}

/// Remembered submit ids for receipt correlation.
const REMEMBERED_IDS: usize = 100_000;

/// A link's worker-side state.
pub(crate) struct EsmeLink {
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
    /// This batch's outcomes, and those waiting for room.
    outcomes: Outcomes,
    /// A retry of `unread` is on the wheel.
    unread_retry: bool,
    /// Takes the outcomes of tickets instead of the completions queue.
    handler: Option<Box<dyn CompletionHandler>>,
}

impl EsmeLink {
    /// The link takes requests: it is not closing, and it is connected or
    /// will reconnect (a request then waits for the bind).
    fn takes_requests(&self) -> bool {
        !self.closing && (self.conn.is_some() || self.shared.config.reconnect.is_some())
    }
}

/// A link's outcomes on their way out.
#[derive(Default)]
struct Outcomes {
    /// Blocked callers answered in this batch: their window permits go
    /// back at once (a waiting submitter wakes once per batch, not per
    /// response), then their answers, so a caller that sees its answer
    /// also sees its permit back.
    answered: Vec<(Waiter, Result<Pdu, SubmitError>)>,
    /// Completions of tickets not handed over yet, in order: this batch's,
    /// behind any the full completions queue could not take. Each keeps
    /// its window permit until it is handed over, so an application that
    /// stops reading completions stops its submits.
    unread: VecDeque<Completion>,
}

impl Outcomes {
    /// Files an outcome: a blocked caller's is answered at the end of the
    /// batch, a ticket's joins the completions to hand over.
    fn file(&mut self, reply: Reply, outcome: Result<Pdu, SubmitError>) {
        match reply {
            Reply::Wait(waiter) => self.answered.push((waiter, outcome)),
            Reply::Ticket { ticket, .. } => self.unread.push_back(Completion { ticket, outcome }),
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

impl EsmeLinks {
    pub(crate) fn command(&mut self, core: &mut Sessions, cmd: EsmeCmd, now: Instant) {
        match cmd {
            EsmeCmd::Open {
                key,
                shared,
                listen,
            } => {
                let seed =
                    (key ^ (now.elapsed().as_nanos() as u64) ^ u64::from(std::process::id())) | 1;
                let mut slot = EsmeLink {
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
                    outcomes: Outcomes::default(),
                    unread_retry: false,
                    handler: None,
                };
                if let Some(listener) = listen {
                    let id = ListenerId(key);
                    let tls = slot.shared.tls_server.clone();
                    slot.listening = Some(id);
                    core.listeners.insert(id, Listening::EsmeOutbind(key));
                    self.links.insert(key, slot);
                    core.reactor(ReactorCmd::Listen {
                        listener,
                        id,
                        max_conns: 1,
                        worker: Some(core.index),
                        tls,
                    });
                } else {
                    self.links.insert(key, slot);
                    self.dial(core, key);
                }
            }
            EsmeCmd::Submitted { key, shared } => {
                let Some(slot) = self.links.get_mut(&key) else {
                    // Forgotten: its handle, the only reader, is gone.
                    for sub in shared.inbox.take_all() {
                        let _ = sub
                            .reply
                            .send(&shared.completions, Err(SubmitError::NotBound));
                    }
                    return;
                };
                slot.shared.inbox.take_into(&mut slot.queue);
                if slot.closing {
                    for sub in slot.queue.drain(..) {
                        slot.outcomes.file(sub.reply, Err(SubmitError::NotBound));
                    }
                    return self.release_permits(core, key, now);
                }
                self.send_queued(core, key, now);
            }
            EsmeCmd::Answer {
                key,
                conn,
                inbound,
                status,
            } => {
                if self.links.get(&key).is_some_and(|s| s.conn == Some(conn)) {
                    self.answer_delivery(core, conn, inbound, status, now);
                }
            }
            EsmeCmd::Unbind { key } => {
                let Some(slot) = self.links.get_mut(&key) else {
                    return;
                };
                slot.closing = true;
                match slot.conn {
                    Some(conn) => {
                        if let Some(s) = core.sessions.get_mut(&conn) {
                            let _ = s.session.unbind(now);
                        }
                        core.touch(conn);
                    }
                    None => self.finish(core, key, CloseReason::Unbound, now),
                }
            }
            EsmeCmd::Tune {
                key,
                window,
                throughput,
            } => {
                let Some(slot) = self.links.get_mut(&key) else {
                    return;
                };
                slot.tuned = Some((window, throughput));
                if let Some(conn) = slot.conn {
                    if let Some(s) = core.sessions.get_mut(&conn) {
                        s.session.set_window(window);
                        s.session.set_throughput(now, throughput);
                    }
                }
                self.send_queued(core, key, now);
            }
            EsmeCmd::Handler { key, handler } => {
                if let Some(slot) = self.links.get_mut(&key) {
                    slot.handler = Some(handler);
                    // Completions waiting for room go to it now.
                    self.release_permits(core, key, now);
                }
            }
            EsmeCmd::Forget { key } => {
                let conn = self.links.get_mut(&key).and_then(|slot| {
                    slot.closing = true;
                    slot.conn
                });
                if let Some(conn) = conn {
                    if let Some(s) = core.sessions.get_mut(&conn) {
                        s.session.abort(now);
                    }
                    core.touch(conn);
                }
                self.finish(core, key, CloseReason::Aborted, now);
                self.release_permits(core, key, now);
                if let Some(mut slot) = self.links.remove(&key) {
                    // Still waiting for room: the handle may yet read them.
                    let shared = &slot.shared;
                    let unread = &mut slot.outcomes.unread;
                    shared.completions.hand_over_all(unread, &shared.permits);
                }
            }
        }
    }

    fn answer_delivery(
        &mut self,
        core: &mut Sessions,
        conn: ConnId,
        inbound: InboundId,
        status: CommandStatus,
        now: Instant,
    ) {
        let Some(s) = core.sessions.get_mut(&conn) else {
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
        core.touch(conn);
    }

    fn dial(&mut self, core: &mut Sessions, key: u64) {
        let Some(slot) = self.links.get(&key) else {
            return;
        };
        let addr = match resolve(&slot.shared.config.addr) {
            Ok(a) => a,
            Err(e) => {
                return self.connect_failed(core, key, e, Instant::now());
            }
        };
        let dial = key;
        let tls = slot.shared.tls_client.clone();
        core.dials.insert(dial, Dialing::Esme(key));
        let worker = core.index;
        core.reactor(ReactorCmd::Connect {
            addr,
            worker,
            origin: Origin::Dialed(dial),
            tls,
        });
    }

    pub(crate) fn connected(
        &mut self,
        core: &mut Sessions,
        key: u64,
        conn: ConnId,
        peer: SocketAddr,
        now: Instant,
    ) {
        let Some(slot) = self.links.get_mut(&key) else {
            return core.close_conn(conn);
        };
        if slot.conn.is_some() || slot.closing {
            return core.close_conn(conn);
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
            return core.close_conn(conn);
        }
        log::debug!("connected to {peer}");
        // Not bound yet: whatever ended the last attempt is history.
        slot.shared.status.set(LinkStatus::Connecting);
        slot.conn = Some(conn);
        let info = SessionInfo {
            id: session_id(conn),
            peer,
            system_id: String::new(),
            mode: None,
        };
        core.sessions.insert(
            conn,
            SessionSlot {
                session,
                owner: Owner::Esme(key),
                info,
                timer: None,
                queue: VecDeque::new(),
                submits: 0,
                unreported_submit_sm: 0,
                direct: None,
            },
        );
        core.touch(conn);
    }

    pub(crate) fn connect_failed(
        &mut self,
        core: &mut Sessions,
        key: u64,
        error: std::io::Error,
        now: Instant,
    ) {
        let why = describe_io_error(&error);
        if let Some(slot) = self.links.get(&key) {
            log::info!("connect to {} failed: {why}", slot.shared.config.addr);
            *super::sync::lock(&slot.shared.last_error) = Some(error.to_string());
            // A dial that fails after the link was closed says nothing.
            if !slot.closing {
                slot.shared.status.set(LinkStatus::Down(why));
            }
        }
        self.lost(core, key, CloseReason::TransportClosed, now);
    }

    /// The link has no session any more: reconnect or finish.
    fn lost(&mut self, core: &mut Sessions, key: u64, reason: CloseReason, now: Instant) {
        let Some(slot) = self.links.get_mut(&key) else {
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
                    core.wheel.cancel(k);
                }
                slot.wake = Some(core.wheel.insert(now + delay, Due::Esme(key)));
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
            _ => self.finish(core, key, reason, now),
        }
    }

    /// The link is done for good: everything waiting fails.
    fn finish(&mut self, core: &mut Sessions, key: u64, reason: CloseReason, now: Instant) {
        // Outcomes of this batch go out before the link's end.
        self.release_permits(core, key, now);
        let Some(slot) = self.links.get_mut(&key) else {
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
            slot.outcomes.file(sub.reply, Err(lost));
        }
        // Requests of a session closed without its events (aborted by
        // Forget): no response will come.
        for (_, reply) in slot.in_flight.drain() {
            let lost = SubmitError::LinkLost {
                maybe_delivered: true,
            };
            slot.outcomes.file(reply, Err(lost));
        }
        slot.ids = HashMap::new();
        slot.id_order = VecDeque::new();
        let wake = slot.wake.take();
        let listening = slot.listening.take();
        if let Some(k) = wake {
            core.wheel.cancel(k);
        }
        if let Some(id) = listening {
            core.listeners.remove(&id);
            core.reactor(ReactorCmd::Unlisten { id });
        }
        self.release_permits(core, key, now);
        let Some(slot) = self.links.get(&key) else {
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

    pub(crate) fn wake(&mut self, core: &mut Sessions, key: u64, now: Instant) {
        let Some(slot) = self.links.get_mut(&key) else {
            return;
        };
        slot.wake = None;
        if slot.conn.is_none() && !slot.closing {
            self.dial(core, key);
        } else {
            self.send_queued(core, key, now);
        }
        self.release_permits(core, key, now);
    }

    /// Sends queued submissions while the session takes them.
    fn send_queued(&mut self, core: &mut Sessions, key: u64, now: Instant) {
        let Some(slot) = self.links.get_mut(&key) else {
            return;
        };
        let Some(conn) = slot.conn else {
            if !slot.takes_requests() {
                for sub in slot.queue.drain(..) {
                    slot.outcomes.file(sub.reply, Err(SubmitError::NotBound));
                }
                self.release_permits(core, key, now);
            }
            return;
        };
        let Some(s) = core.sessions.get_mut(&conn) else {
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
                    slot.outcomes.file(reply, Err(SubmitError::Refused(error)));
                }
            }
        }
        if let Some(at) = wake_at {
            if slot.wake.is_none() {
                slot.wake = Some(core.wheel.insert(at, Due::Esme(key)));
            }
        }
        core.touch(conn);
    }

    /// Remembers a submit's message id for receipt correlation.
    fn remember_id(slot: &mut EsmeLink, pdu: &Pdu, ticket: Option<Ticket>) {
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

    /// Gives back the window permits a batch of outcomes freed as it hands
    /// the outcomes out. A completion the full completions queue cannot
    /// take waits in the link, in order, holding its permit (the window
    /// shrinks by it), and is tried again every millisecond.
    pub(crate) fn release_permits(&mut self, core: &mut Sessions, key: u64, now: Instant) {
        let Some(slot) = self.links.get_mut(&key) else {
            return;
        };
        // Blocked callers: their slots back, then their answers.
        let out = &mut slot.outcomes;
        if !out.answered.is_empty() {
            slot.shared.permits.release_n(out.answered.len());
            for (waiter, outcome) in out.answered.drain(..) {
                waiter.answer(outcome);
            }
        }
        if slot.handler.is_some() {
            return self.run_handler(core, key, now);
        }
        // Tickets: the whole batch at once, behind any still waiting for
        // room, each slot freed as its completion is handed over.
        slot.shared
            .completions
            .hand_over(&mut out.unread, &slot.shared.permits);
        if !out.unread.is_empty() && !slot.unread_retry {
            slot.unread_retry = true;
            let at = now + Duration::from_millis(1);
            core.wheel.insert(at, Due::EsmeCompletions(key));
        }
    }

    /// Gives a link's ticket outcomes to its handler, their window slots
    /// freed first, then sends what the handler submitted.
    fn run_handler(&mut self, core: &mut Sessions, key: u64, now: Instant) {
        let Some(slot) = self.links.get_mut(&key) else {
            return;
        };
        if slot.outcomes.unread.is_empty() {
            return;
        }
        let Some(mut handler) = slot.handler.take() else {
            return;
        };
        let mut unread = std::mem::take(&mut slot.outcomes.unread);
        slot.shared.permits.release_n(unread.len());
        let conn = slot.conn;
        let open = slot.takes_requests();
        let in_flight = &mut slot.in_flight;
        let direct = conn
            .and_then(|c| core.sessions.get_mut(&c))
            .filter(|s| s.session.state().is_bound())
            .map(|s| DirectSend {
                session: &mut s.session,
                in_flight,
                sent: false,
            });
        let mut link = LinkSubmitter {
            link: slot.shared.link,
            open,
            permits: &slot.shared.permits,
            tickets: &slot.shared.tickets,
            queue: &mut slot.queue,
            now,
            direct,
        };
        for completion in unread.drain(..) {
            handler.completed(completion, &mut link);
        }
        let sent_directly = link.direct.is_some_and(|d| d.sent);
        // The buffer is kept for the next batch.
        slot.outcomes.unread = unread;
        slot.handler = Some(handler);
        if let Some(conn) = conn.filter(|_| sent_directly) {
            core.touch(conn);
        }
        if slot.conn.is_some() && !slot.queue.is_empty() {
            self.send_queued(core, key, now);
        }
    }

    /// The retry of completions the application had not made room for.
    pub(crate) fn completions_due(&mut self, core: &mut Sessions, key: u64, now: Instant) {
        if let Some(slot) = self.links.get_mut(&key) {
            slot.unread_retry = false;
        }
        self.release_permits(core, key, now);
    }

    pub(crate) fn event(
        &mut self,
        core: &mut Sessions,
        key: u64,
        conn: ConnId,
        event: &mut Event,
        now: Instant,
    ) {
        let Some(slot) = self.links.get_mut(&key) else {
            return;
        };
        match event {
            &mut Event::Bound { mode, .. } => {
                log::debug!("link {} bound as {mode}", slot.shared.link);
                slot.attempt = 0;
                slot.shared.status.set(LinkStatus::Bound);
                let _ = slot.shared.events.try_send(EsmeEvent::Bound {
                    link: slot.shared.link,
                });
                self.send_queued(core, key, now);
            }
            &mut Event::BindRefused { status } => {
                slot.shared.status.set(if bind_retryable(status) {
                    LinkStatus::Down(format!("bind refused: {status}"))
                } else {
                    LinkStatus::Refused(status)
                });
            }
            Event::Response { id, pdu, .. } => {
                let Some(reply) = slot.in_flight.remove(id) else {
                    return;
                };
                if pdu.status.is_ok() {
                    Self::remember_id(slot, pdu, reply.receipt_ticket());
                    slot.outcomes.file(reply, Ok(take_pdu(pdu)));
                } else {
                    slot.outcomes
                        .file(reply, Err(SubmitError::Status(pdu.status)));
                }
            }
            Event::Returned { id, body, reason } => {
                let Some(reply) = slot.in_flight.remove(id) else {
                    return;
                };
                match reason {
                    ReturnReason::Throttled => {
                        slot.shared.throttled.fetch_add(1, Ordering::Relaxed);
                        // Not taken by the SMSC: send again after the pause.
                        slot.queue.push_front(Submission {
                            body: std::mem::replace(body, Body::GenericNack),
                            reply,
                            sent: true,
                        });
                        if let Some(until) = core
                            .sessions
                            .get(&conn)
                            .and_then(|s| s.session.paused_until(now))
                        {
                            if slot.wake.is_none() {
                                slot.wake = Some(core.wheel.insert(until, Due::Esme(key)));
                            }
                        }
                    }
                    ReturnReason::Timeout => {
                        slot.outcomes.file(reply, Err(SubmitError::Timeout));
                    }
                    ReturnReason::Closed => {
                        let lost = SubmitError::LinkLost {
                            maybe_delivered: true,
                        };
                        slot.outcomes.file(reply, Err(lost));
                    }
                }
            }
            &mut Event::Request { id, ref mut pdu } => {
                let receipt = receipt_of(pdu);
                let ticket = receipt
                    .as_ref()
                    .and_then(|r| slot.ids.get(&normalize_id(&r.id)).copied());
                let auto = slot.shared.config.auto_ack;
                let answer = (!auto).then(|| (core.me.clone(), key, conn, id));
                let delivery = Delivery {
                    pdu: take_pdu(pdu),
                    receipt,
                    ticket,
                    answer,
                };
                match slot.shared.events.try_send(EsmeEvent::Delivery(delivery)) {
                    Ok(()) if auto => self.answer_delivery(core, conn, id, CommandStatus::Ok, now),
                    Ok(()) => {}
                    Err(TrySendError::Full(EsmeEvent::Delivery(mut d)))
                    | Err(TrySendError::Disconnected(EsmeEvent::Delivery(mut d))) => {
                        log::warn!("application not reading events: ESME_RX_T_APPN");
                        d.answer = None;
                        self.answer_delivery(core, conn, id, CommandStatus::RxTAppn, now);
                    }
                    Err(_) => {}
                }
            }
            Event::Alert(alert) => {
                let alert = std::mem::take(alert);
                let _ = slot.shared.events.try_send(EsmeEvent::Alert(alert));
            }
            Event::BindRequest { .. } | Event::StateChanged { .. } => {}
            &mut Event::Closed(reason) => {
                if slot.conn == Some(conn) {
                    // Submissions still queued were never sent: they wait
                    // for the next session.
                    self.lost(core, key, reason, now);
                }
            }
        }
    }
}

/// An event's PDU, taken out for the application: what stays behind is
/// a bodiless stand-in, as the event is dropped next.
fn take_pdu(pdu: &mut Pdu) -> Pdu {
    std::mem::replace(pdu, Pdu::new(pdu.sequence, Body::GenericNack))
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
