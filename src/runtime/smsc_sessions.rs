//! The worker side of an SMSC: its sessions' events handed to the
//! application's [`SmscHandler`], and what the handler asks for after
//! (deliveries, timers, held-back answers) carried out. Its state lives in
//! the sessions themselves, so it is written as more methods of the
//! worker's [`Sessions`].

use super::channel::{OutbindDial, SmscCmd, SmscShared, WorkerMsg};
use super::ids::{conn_of, session_id, ConnId, Origin};
use super::reactor::ReactorCmd;
use super::sessions::{Dialing, Due, Listening, Owner, SessionSlot, Sessions};
use super::smsc_types::{
    AnswerPlan, HeldAnswer, Later, SessionInfo, SmscContext, SmscSchedule, SmscTimer,
};
use super::sync::lock;
use crate::pdu::{Body, CommandId, CommandStatus, MessageIdResp, ESM_TYPE_MASK, ESM_TYPE_RECEIPT};
use crate::session::{CloseReason, Event, InboundId, Session};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

impl Sessions {
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
                self.dials.insert(dial, Dialing::Outbind(outbind));
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
            id: session_id(conn),
            peer,
            system_id: String::new(),
            mode: None,
        };
        lock(&shared.sessions).insert(info.id, (self.index, info.clone()));
        let slot = SessionSlot {
            session,
            owner: Owner::Smsc(shared.clone()),
            info,
            timer: None,
            queue: VecDeque::new(),
            submits: 0,
            unreported_submit_sm: 0,
            direct: None,
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
            let id = session_id(conn);
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
        slot: &mut SessionSlot,
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
    fn smsc_drop(slot: &mut SessionSlot, now: Instant) {
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
                    let target = to.map_or(origin, conn_of);
                    if !delay.is_zero() {
                        let wake = Due::Deliver(target, Box::new(body), shared.clone());
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
                    let wake = Due::SmscTimer(origin, token, shared.clone());
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
                schedule: SmscSchedule { later: &mut later },
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
            origin: session_id(origin),
            schedule: SmscSchedule { later: &mut later },
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

    fn smsc_pump(slot: &mut SessionSlot, now: Instant) {
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

    /// Adds what a session's batch counted to its SMSC's stats.
    pub(crate) fn smsc_report(&mut self, conn: ConnId, shared: &SmscShared) {
        if let Some(slot) = self.sessions.get_mut(&conn) {
            let n = std::mem::take(&mut slot.unreported_submit_sm);
            if n > 0 {
                shared.stats.submit_sm.fetch_add(n, Ordering::Relaxed);
            }
        }
    }

    pub(crate) fn smsc_event(
        &mut self,
        shared: &Arc<SmscShared>,
        conn: ConnId,
        event: &mut Event,
        now: Instant,
    ) {
        let Some(slot) = self.sessions.get_mut(&conn) else {
            return;
        };
        match event {
            &mut Event::BindRequest { id, mode, ref bind } => {
                let verdict = shared.handler.authenticate(bind, mode);
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
                        schedule: SmscSchedule { later: &mut later },
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
            &mut Event::Request { id, ref pdu } => {
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
                    now,
                    schedule: SmscSchedule { later: &mut later },
                    plan: AnswerPlan::default(),
                };
                let h = &shared.handler;
                let stats = &shared.stats;
                let answer: Result<Body, CommandStatus> = match &pdu.body {
                    Body::SubmitSm(sm) => {
                        slot.unreported_submit_sm += 1;
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
                        .insert(now + plan.delay, Due::Respond(conn, Box::new(held)));
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
                let body = std::mem::replace(body, Body::GenericNack);
                self.smsc_undelivered(shared, conn, vec![body], now);
                if let Some(slot) = self.sessions.get_mut(&conn) {
                    Self::smsc_pump(slot, now);
                }
            }
            &mut Event::Closed(reason) => {
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
