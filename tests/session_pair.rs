//! An ESME session and an SMSC session talking to each other in memory, on
//! a virtual clock that jumps to the earliest deadline of either side or
//! of the wire. The wire can delay every write, cut it into 1-byte
//! fragments, drop everything (a black hole), or go away (transport closed
//! on both sides).

#[macro_use]
#[path = "common/mod.rs"]
mod common;

use common::*;
use smpp::pdu::{
    Address, Body, COctet, CommandId, CommandStatus, MessageIdResp, Pdu, ShortMessage, SubmitSm,
    ESM_TYPE_RECEIPT,
};
use smpp::session::{
    BindMode, CloseReason, Event, RequestId, Session, SessionConfig, SessionError, State,
};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Esme,
    Smsc,
}

/// Bytes on their way to `to`, arriving at `at`.
struct Chunk {
    at: Instant,
    to: Side,
    bytes: Vec<u8>,
}

/// What the applications on both ends do with their events.
#[derive(Clone, Copy)]
struct Apps {
    /// The SMSC accepts every bind.
    accept_binds: bool,
    /// The SMSC answers every submit_sm at once.
    answer_submits: bool,
    /// ... and follows each answer with a receipt (deliver_sm).
    receipts: bool,
    /// The ESME answers every deliver_sm at once.
    answer_deliveries: bool,
}

impl Default for Apps {
    fn default() -> Self {
        Apps {
            accept_binds: true,
            answer_submits: true,
            receipts: false,
            answer_deliveries: true,
        }
    }
}

struct Pair {
    esme: Session,
    smsc: Session,
    t0: Instant,
    now: Instant,
    /// One-way delay of every write.
    delay: Duration,
    /// Deliver every write one byte at a time.
    fragment: bool,
    /// Writes are lost (the link is a black hole).
    drop_all: bool,
    /// The connection is gone.
    down: bool,
    wire: VecDeque<Chunk>,
    apps: Apps,
    /// Every event, with the time it was drained.
    esme_log: Vec<(Instant, Event)>,
    smsc_log: Vec<(Instant, Event)>,
    /// Receipts the SMSC could not send yet (its window was full).
    receipt_queue: VecDeque<String>,
    messages: u64,
    /// Times the clock moved on.
    wakeups: u64,
    /// Chunks handed to a session.
    deliveries: u64,
}

impl Pair {
    fn new(esme: SessionConfig, smsc: SessionConfig) -> Pair {
        let t0 = Instant::now();
        Pair {
            esme: Session::esme(esme, t0),
            smsc: Session::smsc(smsc, t0),
            t0,
            now: t0,
            delay: Duration::ZERO,
            fragment: false,
            drop_all: false,
            down: false,
            wire: VecDeque::new(),
            apps: Apps::default(),
            esme_log: Vec::new(),
            smsc_log: Vec::new(),
            receipt_queue: VecDeque::new(),
            messages: 0,
            wakeups: 0,
            deliveries: 0,
        }
    }

    fn session(&mut self, side: Side) -> &mut Session {
        match side {
            Side::Esme => &mut self.esme,
            Side::Smsc => &mut self.smsc,
        }
    }

    /// Puts what both sessions wrote on the wire.
    fn flush(&mut self) {
        for from in [Side::Esme, Side::Smsc] {
            let mut buf = Vec::new();
            self.session(from).poll_transmit(&mut buf);
            if buf.is_empty() || self.down || self.drop_all {
                continue;
            }
            let to = match from {
                Side::Esme => Side::Smsc,
                Side::Smsc => Side::Esme,
            };
            let at = self.now + self.delay;
            if self.fragment {
                for b in buf {
                    self.wire.push_back(Chunk {
                        at,
                        to,
                        bytes: vec![b],
                    });
                }
            } else {
                self.wire.push_back(Chunk { at, to, bytes: buf });
            }
        }
    }

    /// The drive rule: after an input, write out, drain events (letting the
    /// applications act on them), and again, until nothing moves.
    fn settle(&mut self) {
        loop {
            self.flush();
            self.send_queued_receipts();
            let mut moved = false;
            while let Some(e) = self.esme.poll_event() {
                moved = true;
                self.esme_app(&e);
                self.esme_log.push((self.now, e));
            }
            while let Some(e) = self.smsc.poll_event() {
                moved = true;
                self.smsc_app(&e);
                self.smsc_log.push((self.now, e));
            }
            if !moved && !self.esme.has_transmit() && !self.smsc.has_transmit() {
                return;
            }
        }
    }

    fn esme_app(&mut self, e: &Event) {
        if let Event::Request { id, pdu } = e {
            if self.apps.answer_deliveries && pdu.command_id() == CommandId::DeliverSm {
                let body = Body::DeliverSmResp(MessageIdResp::default());
                self.esme.respond(self.now, *id, body).unwrap();
            }
        }
    }

    fn smsc_app(&mut self, e: &Event) {
        match e {
            Event::BindRequest { id, .. } if self.apps.accept_binds => {
                self.smsc.accept_bind(self.now, *id).unwrap();
            }
            Event::Request { id, pdu } if self.apps.answer_submits => {
                assert_eq!(pdu.command_id(), CommandId::SubmitSm);
                self.messages += 1;
                let message_id = format!("m{}", self.messages);
                let body = Body::SubmitSmResp(MessageIdResp::new(
                    COctet::new(message_id.as_bytes()).unwrap(),
                ));
                self.smsc.respond(self.now, *id, body).unwrap();
                if self.apps.receipts {
                    self.receipt_queue.push_back(message_id);
                }
            }
            _ => {}
        }
    }

    fn send_queued_receipts(&mut self) {
        while let Some(message_id) = self.receipt_queue.front() {
            let text = format!("id:{message_id} sub:001 dlvrd:001 stat:DELIVRD err:000");
            let receipt = Body::DeliverSm(SubmitSm {
                source: Address::new(1, 1, "447700900123").unwrap(),
                dest: Address::new(5, 0, "Shop").unwrap(),
                esm_class: ESM_TYPE_RECEIPT,
                short_message: ShortMessage::new(text.as_bytes()).unwrap(),
                ..SubmitSm::default()
            });
            match self.smsc.send(self.now, receipt) {
                Ok(_) => {
                    self.receipt_queue.pop_front();
                }
                Err(SessionError::WindowFull) => return,
                Err(e) => panic!("receipt refused: {e}"),
            }
        }
    }

    /// The next instant anything happens: a chunk arrives or a timer of
    /// either session fires.
    fn next_wake(&mut self) -> Option<Instant> {
        [
            self.wire.front().map(|c| c.at),
            self.esme.poll_timeout(),
            self.smsc.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Jumps to the next instant anything happens, if that is not after
    /// `limit`, and handles it. False when nothing is due by `limit`.
    fn step_until(&mut self, limit: Instant) -> bool {
        let Some(wake) = self.next_wake() else {
            return false;
        };
        if wake > limit {
            return false;
        }
        self.now = self.now.max(wake);
        self.wakeups += 1;
        while self.wire.front().is_some_and(|c| c.at <= self.now) {
            let chunk = self.wire.pop_front().unwrap();
            self.deliveries += 1;
            let now = self.now;
            self.session(chunk.to).handle_bytes(now, &chunk.bytes);
            self.settle();
        }
        for side in [Side::Esme, Side::Smsc] {
            let now = self.now;
            let s = self.session(side);
            if s.poll_timeout().is_some_and(|d| d <= now) {
                s.handle_timeout(now);
                // A deadline that was due has moved on.
                assert!(s.poll_timeout().is_none_or(|d| d > now));
                self.settle();
            }
        }
        true
    }

    /// Runs until nothing is due before `limit`; the clock ends at `limit`.
    fn run_until(&mut self, limit: Instant) {
        while self.step_until(limit) {}
        self.now = self.now.max(limit);
    }

    /// Runs while `busy` holds; panics if it still does after `limit` of
    /// virtual time.
    fn run_while(&mut self, limit: Duration, mut busy: impl FnMut(&Pair) -> bool) {
        let end = self.now + limit;
        while busy(self) {
            assert!(self.step_until(end), "stalled at {:?}", self.now - self.t0);
        }
    }

    /// The connection breaks: both ends see it close; bytes in flight are
    /// lost.
    fn lose_link(&mut self) {
        self.down = true;
        self.wire.clear();
        self.esme.handle_transport_closed(self.now);
        self.smsc.handle_transport_closed(self.now);
        self.settle();
    }

    /// ESME binds in `mode`; runs until both ends are bound.
    fn bind(&mut self, mode: BindMode) {
        self.esme.bind(self.now, mode, credentials(0x34)).unwrap();
        self.settle();
        self.run_while(secs(5), |p| {
            !(p.esme.state().is_bound() && p.smsc.state().is_bound())
        });
        assert_eq!(self.esme.state(), mode.bound_state());
        assert_eq!(self.smsc.state(), mode.bound_state());
    }
}

/// Request ids and how each request ended, from one side's log.
fn outcomes(log: &[(Instant, Event)]) -> HashMap<RequestId, Vec<String>> {
    let mut out: HashMap<RequestId, Vec<String>> = HashMap::new();
    for (_, e) in log {
        match e {
            Event::Response { id, pdu, .. } => out
                .entry(*id)
                .or_default()
                .push(format!("response {}", pdu.status)),
            Event::Returned { id, reason, .. } => out
                .entry(*id)
                .or_default()
                .push(format!("returned {reason:?}")),
            _ => {}
        }
    }
    out
}

fn close_reason(log: &[(Instant, Event)]) -> Vec<CloseReason> {
    log.iter()
        .filter_map(|(_, e)| match e {
            Event::Closed(r) => Some(*r),
            _ => None,
        })
        .collect()
}

fn windowed(window: usize) -> SessionConfig {
    SessionConfig {
        window,
        ..SessionConfig::default()
    }
}

#[test]
fn bind_then_a_thousand_submits_and_their_receipts_over_a_fragmenting_wire() {
    let mut p = Pair::new(windowed(10), windowed(10));
    p.delay = ms(5);
    p.fragment = true;
    p.apps.receipts = true;
    p.bind(BindMode::Transceiver);
    // Bind and bind_resp, 10 ms for the round trip.
    assert_eq!(p.now - p.t0, ms(10));

    let mut sent = Vec::new();
    let mut texts = Vec::new();
    while sent.len() < 1000 {
        while p.esme.window_available() > 0 && sent.len() < 1000 {
            let text = format!("message {}", sent.len());
            let id = p
                .esme
                .send(p.now, submit_body("447700900123", &text))
                .unwrap();
            sent.push(id);
            texts.push(text);
        }
        p.settle();
        let end = p.now + secs(1);
        assert!(p.step_until(end));
    }
    p.run_while(secs(60), |p| {
        p.esme.in_flight() > 0 || p.smsc.in_flight() > 0 || !p.receipt_queue.is_empty()
    });

    // Every submit answered once, with its own message id.
    let mut message_ids = Vec::new();
    for (_, e) in &p.esme_log {
        if let Event::Response { pdu, .. } = e {
            assert_eq!(pdu.status, CommandStatus::Ok);
            let Body::SubmitSmResp(r) = &pdu.body else {
                panic!("{pdu:?}")
            };
            message_ids.push(r.message_id.to_string_lossy().into_owned());
        }
    }
    let ends = outcomes(&p.esme_log);
    assert_eq!(ends.len(), 1000);
    for id in &sent {
        assert_eq!(ends[id], vec!["response ESME_ROK (0x00000000)".to_string()]);
    }
    let expected: Vec<String> = (1..=1000).map(|n| format!("m{n}")).collect();
    assert_eq!(message_ids, expected);

    // The SMSC saw the texts in order; the ESME got a receipt for each
    // message and answered it.
    let seen: Vec<String> = p
        .smsc_log
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Request { pdu, .. } => match &pdu.body {
                Body::SubmitSm(s) => Some(String::from_utf8(s.payload().to_vec()).unwrap()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(seen, texts);
    let receipts: Vec<&Pdu> = p
        .esme_log
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Request { pdu, .. } => Some(pdu),
            _ => None,
        })
        .collect();
    assert_eq!(receipts.len(), 1000);
    for (n, pdu) in receipts.iter().enumerate() {
        let Body::DeliverSm(d) = &pdu.body else {
            panic!("{pdu:?}")
        };
        assert!(d.is_receipt());
        let text = String::from_utf8(d.payload().to_vec()).unwrap();
        assert!(text.starts_with(&format!("id:m{} ", n + 1)), "{text}");
    }
    let smsc_ends = outcomes(&p.smsc_log);
    assert_eq!(smsc_ends.len(), 1000);
    assert!(smsc_ends
        .values()
        .all(|v| v == &["response ESME_ROK (0x00000000)".to_string()]));

    // Every write crossed the wire a byte at a time.
    let esme = p.esme.stats();
    let smsc = p.smsc.stats();
    assert_eq!(esme.sent.get(CommandId::SubmitSm), 1000);
    assert_eq!(smsc.received.get(CommandId::SubmitSm), 1000);
    assert_eq!(smsc.sent.get(CommandId::DeliverSm), 1000);
    assert_eq!(esme.received.get(CommandId::DeliverSm), 1000);
    assert_eq!(esme.latency.count(), 1000);
    // A round trip is 10 ms; the bucket edge is just above.
    assert_eq!(esme.latency.p50(), Some(Duration::from_micros(10_239)));
    assert_eq!(esme.unexpected_responses + smsc.unexpected_responses, 0);
    assert_eq!(esme.bad_pdus + smsc.bad_pdus, 0);
    assert!(p.deliveries > 1000 * 60, "{} deliveries", p.deliveries);

    // And a clean unbind.
    p.esme.unbind(p.now).unwrap();
    p.settle();
    p.run_while(secs(10), |p| !(p.esme.is_closed() && p.smsc.is_closed()));
    assert_eq!(close_reason(&p.esme_log), vec![CloseReason::Unbound]);
    assert_eq!(close_reason(&p.smsc_log), vec![CloseReason::Unbound]);
    // No request was handed back at any point.
    assert!(!p
        .esme_log
        .iter()
        .chain(&p.smsc_log)
        .any(|(_, e)| matches!(e, Event::Returned { .. })));
}

/// The instants an ESME idle since `bound` sends enquire_link until `end`,
/// with every answer back after `rtt`.
fn enquire_times(bound: Instant, interval: Duration, rtt: Duration, end: Instant) -> usize {
    let mut t = bound + interval;
    let mut n = 0;
    while t <= end {
        n += 1;
        t += rtt + interval;
    }
    n
}

#[test]
fn enquire_link_keeps_an_idle_link_alive_for_hours() {
    let esme = SessionConfig {
        enquire_link_interval: Some(secs(30)),
        ..SessionConfig::default()
    };
    // The SMSC would enquire after 45 s and give up after 60 s of silence;
    // the ESME's enquire_links keep both from happening.
    let smsc = SessionConfig {
        enquire_link_interval: Some(secs(45)),
        inactivity_timeout: Some(secs(60)),
        ..SessionConfig::default()
    };
    let mut p = Pair::new(esme, smsc);
    p.delay = ms(20);
    p.bind(BindMode::Transceiver);
    let bound = p.now;
    let end = p.t0 + Duration::from_secs(3 * 3600);
    p.run_until(end);

    let expected = enquire_times(bound, secs(30), ms(40), end);
    assert_eq!(expected, 359);
    let esme = p.esme.stats();
    let smsc = p.smsc.stats();
    assert_eq!(esme.sent.get(CommandId::EnquireLink), expected as u64);
    assert_eq!(smsc.received.get(CommandId::EnquireLink), expected as u64);
    assert_eq!(smsc.sent.get(CommandId::EnquireLinkResp), expected as u64);
    // The last answer is still on its way when the run ends, or not.
    let answered = esme.received.get(CommandId::EnquireLinkResp);
    assert!(answered == expected as u64 || answered + 1 == expected as u64);
    assert_eq!(smsc.sent.get(CommandId::EnquireLink), 0);
    assert_eq!(esme.enquire_link_failures + smsc.enquire_link_failures, 0);
    assert_eq!(p.esme.state(), State::BoundTrx);
    assert_eq!(p.smsc.state(), State::BoundTrx);
    // Two bind events each, and nothing since.
    assert_eq!(p.esme_log.len(), 2);
    assert_eq!(p.smsc_log.len(), 3);
    // The clock jumped: a few wake-ups per enquire_link, no polling.
    assert!(p.wakeups <= 3 * expected as u64 + 10, "{}", p.wakeups);
}

#[test]
fn a_black_hole_link_is_declared_dead() {
    let esme = SessionConfig {
        enquire_link_interval: Some(secs(30)),
        response_timeout: secs(10),
        enquire_link_max_missed: 3,
        ..SessionConfig::default()
    };
    let smsc = SessionConfig {
        enquire_link_interval: None,
        inactivity_timeout: Some(secs(120)),
        ..SessionConfig::default()
    };
    let mut p = Pair::new(esme, smsc);
    p.delay = ms(1);
    p.bind(BindMode::Transmitter);
    let bound = p.now;
    p.drop_all = true;
    p.run_until(p.t0 + secs(3600));
    // Idle for 30 s, then three enquire_links 10 s apart, unanswered.
    let esme_closed = p
        .esme_log
        .iter()
        .find(|(_, e)| matches!(e, Event::Closed(_)))
        .map(|(t, _)| *t)
        .unwrap();
    assert_eq!(esme_closed - bound, secs(60));
    assert_eq!(close_reason(&p.esme_log), vec![CloseReason::LinkDead]);
    assert_eq!(p.esme.stats().enquire_link_failures, 3);
    // The SMSC heard nothing after the bind for its inactivity timeout.
    let smsc_closed = p
        .smsc_log
        .iter()
        .find(|(_, e)| matches!(e, Event::Closed(_)))
        .map(|(t, _)| *t)
        .unwrap();
    // The SMSC last heard from the ESME when the bind arrived, 1 ms after
    // it was sent, and 1 ms before the ESME was bound.
    assert_eq!(smsc_closed - bound, secs(120) - ms(1));
    assert_eq!(close_reason(&p.smsc_log), vec![CloseReason::Inactive]);
}

#[test]
fn losing_the_link_mid_window_hands_back_every_outstanding_request_once() {
    let mut p = Pair::new(windowed(20), windowed(20));
    p.delay = ms(3);
    p.apps.answer_submits = false;
    p.apps.answer_deliveries = false;
    p.bind(BindMode::Transceiver);

    let mut sent: Vec<RequestId> = (0..20)
        .map(|i| {
            p.esme
                .send(p.now, submit_body("1", &i.to_string()))
                .unwrap()
        })
        .collect();
    p.settle();
    p.run_while(secs(1), |p| {
        p.smsc_log
            .iter()
            .filter(|(_, e)| matches!(e, Event::Request { .. }))
            .count()
            < 20
    });
    // The SMSC answers every other one and sends a delivery of its own for
    // each answer, which the ESME leaves unanswered.
    let inbound: Vec<_> = p
        .smsc_log
        .iter()
        .filter_map(|(_, e)| match e {
            Event::Request { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    for id in inbound.iter().step_by(2) {
        p.smsc
            .respond(p.now, *id, Body::SubmitSmResp(MessageIdResp::default()))
            .unwrap();
        p.smsc.send(p.now, deliver()).unwrap();
    }
    p.settle();
    p.run_while(secs(1), |p| p.esme.in_flight() > 10);
    // Five more go out and are still on the wire when it breaks.
    for i in 0..5 {
        sent.push(
            p.esme
                .send(p.now, submit_body("2", &i.to_string()))
                .unwrap(),
        );
    }
    p.settle();
    assert_eq!(p.esme.in_flight(), 15);
    assert_eq!(p.smsc.in_flight(), 10);
    p.lose_link();

    let esme_ends = outcomes(&p.esme_log);
    assert_eq!(esme_ends.len(), 25);
    let (mut answered, mut returned) = (0, 0);
    for id in &sent {
        match esme_ends[id].as_slice() {
            [one] if one.starts_with("response") => answered += 1,
            [one] if one == "returned Closed" => returned += 1,
            other => panic!("{id:?} ended as {other:?}"),
        }
    }
    assert_eq!((answered, returned), (10, 15));
    let smsc_ends = outcomes(&p.smsc_log);
    assert_eq!(smsc_ends.len(), 10);
    assert!(smsc_ends.values().all(|v| v == &["returned Closed"]));
    assert_eq!(
        close_reason(&p.esme_log),
        vec![CloseReason::TransportClosed]
    );
    assert_eq!(
        close_reason(&p.smsc_log),
        vec![CloseReason::TransportClosed]
    );
    // Nothing happens any more.
    let (e, s) = (p.esme_log.len(), p.smsc_log.len());
    p.run_until(p.t0 + secs(3600));
    assert_eq!((p.esme_log.len(), p.smsc_log.len()), (e, s));
    assert_eq!(p.next_wake(), None);
}

#[test]
fn requests_time_out_on_a_lossy_link_and_each_ends_once() {
    let config = SessionConfig {
        window: 5,
        response_timeout: secs(2),
        enquire_link_interval: None,
        ..SessionConfig::default()
    };
    let mut p = Pair::new(config.clone(), config);
    p.delay = ms(50);
    p.bind(BindMode::Transmitter);
    let mut sent = Vec::new();
    for _ in 0..5 {
        sent.push(p.esme.send(p.now, submit()).unwrap());
    }
    p.settle();
    p.drop_all = true;
    p.run_until(p.now + secs(10));
    let ends = outcomes(&p.esme_log);
    assert_eq!(ends.len(), 5);
    for id in &sent {
        // The answers are lost: every one times out.
        assert_eq!(ends[id], vec!["returned Timeout".to_string()]);
    }
    assert_eq!(p.esme.stats().timeouts, 5);
    assert_eq!(p.esme.state(), State::BoundTx);
}

#[test]
fn crossing_unbinds_close_both_ends() {
    let mut p = Pair::new(SessionConfig::default(), SessionConfig::default());
    p.delay = ms(10);
    p.bind(BindMode::Transceiver);
    p.esme.unbind(p.now).unwrap();
    p.smsc.unbind(p.now).unwrap();
    p.settle();
    p.run_while(secs(10), |p| !(p.esme.is_closed() && p.smsc.is_closed()));
    // Bound after 20 ms; each unbind crosses the other 10 ms later.
    assert_eq!(p.now - p.t0, ms(30));
    for s in [&p.esme, &p.smsc] {
        assert_eq!(s.close_reason(), Some(CloseReason::Unbound));
        assert_eq!(s.stats().sent.get(CommandId::Unbind), 1);
        assert_eq!(s.stats().sent.get(CommandId::UnbindResp), 1);
    }
}

#[test]
fn outbind_then_bind_receiver_on_the_same_connection() {
    let mut p = Pair::new(SessionConfig::default(), SessionConfig::default());
    p.delay = ms(2);
    p.fragment = true;
    p.esme
        .await_outbind(
            p.now,
            Some(COctet::new(b"smppd").unwrap()),
            COctet::new(b"pw").unwrap(),
            credentials(0x34),
        )
        .unwrap();
    p.smsc.outbind(p.now, COctet::new(b"pw").unwrap()).unwrap();
    p.settle();
    p.run_while(secs(5), |p| !p.smsc.state().is_bound());
    assert_eq!(p.esme.state(), State::Outbound);
    p.run_while(secs(5), |p| !p.esme.state().is_bound());
    assert_eq!(p.esme.state(), State::BoundRx);
    assert_eq!(p.smsc.state(), State::BoundRx);
    // outbind, bind_receiver, bind_receiver_resp: three one-way trips.
    assert_eq!(p.now - p.t0, ms(6));

    let id = p.smsc.send(p.now, deliver()).unwrap();
    p.settle();
    p.run_while(secs(5), |p| p.smsc.in_flight() > 0);
    assert_eq!(
        outcomes(&p.smsc_log)[&id],
        vec!["response ESME_ROK (0x00000000)".to_string()]
    );
}
