//! Properties of the session under random use, and a long run over random
//! input chunks.
//!
//! The property test drives one session (either role, bound or not) with a
//! random interleaving of commands, peer PDUs (well formed, malformed, and
//! raw bytes) delivered in random chunks, jumps of the clock and closes.
//! Whatever happens: no panic; every request `send` accepted ends in
//! exactly one `Response` or `Returned` event; `Closed` is the last event;
//! and a deadline that is due never stays due after `handle_timeout`, so a
//! driver that sleeps until `poll_timeout` cannot spin.

#[macro_use]
#[path = "common/mod.rs"]
mod common;

use common::*;
use proptest::prelude::*;
use smpp::pdu::{Body, COctet, CommandId, CommandStatus, Framer, Pdu, DEFAULT_MAX_PDU_LEN};
use smpp::session::{
    BindMode, Event, InboundId, RequestId, Role, Session, SessionConfig, SessionError, State,
    Throughput,
};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
enum Op {
    /// The application sends a request (which one depends on the role).
    Send(u8),
    /// The application answers a pending peer request.
    Respond(u8, u8),
    /// SMSC: answer a pending bind.
    AnswerBind(bool),
    /// ESME: bind (when not bound yet).
    Bind(u8),
    /// ESME: wait for an outbind; SMSC: send one.
    Outbind,
    Unbind,
    Abort,
    TransportClosed,
    /// The peer answers one of the session's requests (status kind).
    PeerResponse(u8, u8),
    /// The peer sends a request of some kind with this sequence number.
    PeerRequest(u8, u32),
    /// The peer answers something nobody asked.
    StrayResponse(u32),
    /// A frame with a plausible length and an arbitrary id and body.
    Garbage(u32, u32, Vec<u8>),
    /// Raw bytes.
    RawBytes(Vec<u8>),
    /// Up to this many of the peer's bytes reach the session.
    Deliver(usize),
    /// The clock moves on by this many milliseconds.
    Advance(u64),
    /// The clock moves to the session's deadline.
    ToDeadline,
}

const KNOWN_IDS: [u32; 12] = [
    0x0000_0001,
    0x0000_0002,
    0x0000_0004,
    0x0000_0005,
    0x0000_0006,
    0x0000_0009,
    0x0000_000B,
    0x0000_0015,
    0x0000_0102,
    0x0000_0103,
    0x8000_0004,
    0x8000_0009,
];

fn op() -> impl Strategy<Value = Op> {
    let garbage_id = prop_oneof![prop::sample::select(KNOWN_IDS.to_vec()), any::<u32>()];
    // Ops that end the session are rare, so that most cases live long
    // enough to do something.
    let ending = prop_oneof![
        Just(Op::Unbind),
        Just(Op::Abort),
        Just(Op::TransportClosed),
        prop::collection::vec(any::<u8>(), 1..24).prop_map(Op::RawBytes),
    ];
    prop_oneof![
        12 => (0u8..4).prop_map(Op::Send),
        4 => (any::<u8>(), 0u8..4).prop_map(|(i, s)| Op::Respond(i, s)),
        1 => any::<bool>().prop_map(Op::AnswerBind),
        1 => (0u8..3).prop_map(Op::Bind),
        1 => Just(Op::Outbind),
        6 => (any::<u8>(), 0u8..5).prop_map(|(i, s)| Op::PeerResponse(i, s)),
        5 => (0u8..12, 1u32..40).prop_map(|(k, seq)| Op::PeerRequest(k, seq)),
        1 => any::<u32>().prop_map(Op::StrayResponse),
        1 => (garbage_id, 1u32..10, prop::collection::vec(any::<u8>(), 0..40))
            .prop_map(|(id, seq, body)| Op::Garbage(id, seq, body)),
        8 => (1usize..160).prop_map(Op::Deliver),
        4 => (0u64..3_000).prop_map(Op::Advance),
        1 => (0u64..60_000).prop_map(Op::Advance),
        2 => Just(Op::ToDeadline),
        1 => ending,
    ]
}

fn config() -> impl Strategy<Value = SessionConfig> {
    (
        1usize..9,
        prop::option::of(1u64..60),
        1u64..40,
        1u32..4,
        prop::option::of(5u64..120),
        prop::option::of((1u32..20, 1u32..5)),
        prop::option::of((1u32..20, 1u32..5)),
        (1usize..5, 2u32..6, 1u64..20),
    )
        .prop_map(
            |(window, enquire, response, missed, inactivity, out_rate, in_rate, misc)| {
                let rate = |(per_second, burst)| Throughput { per_second, burst };
                SessionConfig {
                    window,
                    enquire_link_interval: enquire.map(Duration::from_secs),
                    response_timeout: Duration::from_secs(response),
                    enquire_link_max_missed: missed,
                    inactivity_timeout: inactivity.map(Duration::from_secs),
                    throughput: out_rate.map(rate),
                    inbound_rate: in_rate.map(rate),
                    max_inbound_pending: misc.0,
                    max_bad_pdus: misc.1,
                    drain_timeout: Duration::from_secs(misc.2),
                    unbind_timeout: Duration::from_secs(misc.2),
                    bind_timeout: Duration::from_secs(misc.2 + 5),
                    throttle_backoff_min: Duration::from_millis(100),
                    throttle_backoff_max: Duration::from_millis(800),
                    ..SessionConfig::default()
                }
            },
        )
}

const MODES: [BindMode; 3] = [
    BindMode::Transmitter,
    BindMode::Receiver,
    BindMode::Transceiver,
];

/// One session and everything the test knows about it.
struct Model {
    s: Session,
    now: Instant,
    /// Peer bytes not delivered yet.
    outbox: Vec<u8>,
    /// Requests the session wrote that the peer has not answered.
    written: Vec<(u32, CommandId)>,
    framer: Framer,
    sent: HashSet<RequestId>,
    ended: HashMap<RequestId, u32>,
    inbound: Vec<InboundId>,
    bind_requests: Vec<InboundId>,
    closed: bool,
    /// handle_timeout calls made.
    ticks: u64,
}

impl Model {
    fn new(role: Role, config: SessionConfig, bound: Option<BindMode>) -> Model {
        let now = Instant::now();
        let s = match role {
            Role::Esme => Session::esme(config, now),
            Role::Smsc => Session::smsc(config, now),
        };
        let mut m = Model {
            s,
            now,
            outbox: Vec::new(),
            written: Vec::new(),
            framer: Framer::new(DEFAULT_MAX_PDU_LEN),
            sent: HashSet::new(),
            ended: HashMap::new(),
            inbound: Vec::new(),
            bind_requests: Vec::new(),
            closed: false,
            ticks: 0,
        };
        if let Some(mode) = bound {
            match role {
                Role::Esme => {
                    m.s.bind(now, mode, credentials(0x34)).unwrap();
                    m.drive();
                    let resp = bind_resp(mode, 1, "SMSC", Some(0x34));
                    m.s.handle_bytes(now, &resp.to_bytes().unwrap());
                    m.written.clear();
                }
                Role::Smsc => {
                    let bind = bind_pdu(mode, 1, credentials(0x34));
                    m.s.handle_bytes(now, &bind.to_bytes().unwrap());
                    m.drive();
                    let id = m.bind_requests.pop().unwrap();
                    m.s.accept_bind(now, id).unwrap();
                }
            }
            m.drive();
            assert_eq!(m.s.state(), mode.bound_state());
        }
        m
    }

    /// The drive rule, with the checks: write out (and note the requests
    /// written), drain events, and run timers that are due until none is.
    fn drive(&mut self) {
        for round in 0.. {
            assert!(
                round < 2,
                "handle_timeout at a due deadline made no progress"
            );
            let mut buf = Vec::new();
            let n = self.s.poll_transmit(&mut buf);
            assert_eq!(n, buf.len());
            self.framer.push(&buf);
            while let Some(frame) = self.framer.next_frame().expect("session wrote a bad frame") {
                let pdu = Pdu::decode(frame).expect("session wrote a bad PDU");
                let id = pdu.command_id();
                if !id.is_response() && id.response().is_some() {
                    self.written.push((pdu.sequence, id));
                }
            }
            while let Some(e) = self.s.poll_event() {
                assert!(!self.closed, "event after Closed: {e:?}");
                match e {
                    Event::Response { id, .. } | Event::Returned { id, .. } => {
                        assert!(self.sent.contains(&id), "unknown {id:?}");
                        *self.ended.entry(id).or_default() += 1;
                    }
                    Event::Request { id, .. } => self.inbound.push(id),
                    Event::BindRequest { id, .. } => self.bind_requests.push(id),
                    Event::Closed(_) => {
                        self.closed = true;
                        assert_eq!(self.s.state(), State::Closed);
                        assert_eq!(self.s.in_flight(), 0);
                    }
                    _ => {}
                }
            }
            match self.s.poll_timeout() {
                Some(deadline) if deadline <= self.now => {
                    self.s.handle_timeout(self.now);
                    self.ticks += 1;
                }
                _ => return,
            }
        }
    }

    fn peer(&mut self, pdu: Pdu) {
        pdu.encode(&mut self.outbox).unwrap();
    }

    fn apply(&mut self, op: Op) {
        let now = self.now;
        let role = self.s.role();
        match op {
            Op::Send(kind) => {
                let body = match (role, kind) {
                    (Role::Esme, 0) => submit(),
                    (Role::Esme, 1) => sample_request(CommandId::QuerySm),
                    (Role::Smsc, 0 | 1) => deliver(),
                    (_, 2) => sample_request(CommandId::DataSm),
                    _ => sample_request(CommandId::SubmitMulti),
                };
                match self.s.send(now, body) {
                    Ok(id) => assert!(self.sent.insert(id), "{id:?} given twice"),
                    Err(
                        SessionError::WindowFull
                        | SessionError::Throttled(_)
                        | SessionError::InvalidState { .. }
                        | SessionError::Unbinding,
                    ) => assert!(!self.closed),
                    Err(SessionError::Closed) => assert!(self.closed),
                    Err(e) => panic!("send: {e}"),
                }
            }
            Op::Respond(i, how) => {
                if self.inbound.is_empty() {
                    return;
                }
                let id = self.inbound.remove(usize::from(i) % self.inbound.len());
                let result = match how {
                    0 => self.s.respond_status(now, id, CommandStatus::SysErr),
                    _ => match Body::empty_response(id.command_id()) {
                        Some(body) => self.s.respond(now, id, body),
                        None => return,
                    },
                };
                match result {
                    Ok(()) => assert!(!self.closed),
                    // Answered already (the peer reused the number).
                    Err(SessionError::UnknownInbound) => {}
                    Err(SessionError::Closed) => assert!(self.closed),
                    Err(e) => panic!("respond: {e}"),
                }
            }
            Op::AnswerBind(accept) => {
                let Some(id) = self.bind_requests.pop() else {
                    return;
                };
                let result = if accept {
                    self.s.accept_bind(now, id)
                } else {
                    self.s.reject_bind(now, id, CommandStatus::InvPaswd)
                };
                assert!(matches!(
                    result,
                    Ok(()) | Err(SessionError::UnknownInbound | SessionError::Closed)
                ));
            }
            Op::Bind(mode) => {
                let _ = self
                    .s
                    .bind(now, MODES[usize::from(mode)], credentials(0x34));
            }
            Op::Outbind => {
                let _ = match role {
                    Role::Esme => self.s.await_outbind(
                        now,
                        Some(COctet::new(b"smsc").unwrap()),
                        COctet::new(b"pw").unwrap(),
                        credentials(0x34),
                    ),
                    Role::Smsc => self.s.outbind(now, COctet::new(b"pw").unwrap()),
                };
            }
            Op::Unbind => {
                let result = self.s.unbind(now);
                assert_eq!(result.is_err(), self.closed);
            }
            Op::Abort => self.s.abort(now),
            Op::TransportClosed => self.s.handle_transport_closed(now),
            Op::PeerResponse(i, status) => {
                if self.written.is_empty() {
                    return;
                }
                let (seq, id) = self.written.remove(usize::from(i) % self.written.len());
                let resp = id.response().unwrap();
                let pdu = match status {
                    0 => Pdu::new(seq, Body::empty_response(id).unwrap()),
                    1 => err(id, seq, CommandStatus::Throttled),
                    2 => err(id, seq, CommandStatus::SysErr),
                    3 => nack(seq, CommandStatus::InvCmdLen),
                    // The right number, the wrong command.
                    _ if resp == CommandId::EnquireLinkResp => unbind_resp(seq),
                    _ => enquire_resp(seq),
                };
                self.peer(pdu);
            }
            Op::PeerRequest(kind, seq) => {
                let body = match kind {
                    11 => {
                        self.outbox.extend(raw(0x0000_0099, 0, seq, b"vendor"));
                        return;
                    }
                    8 => outbind_pdu(seq, "smsc", "pw").body,
                    k => sample_request(
                        [
                            CommandId::SubmitSm,
                            CommandId::DeliverSm,
                            CommandId::EnquireLink,
                            CommandId::Unbind,
                            CommandId::BindTransceiver,
                            CommandId::BindReceiver,
                            CommandId::DataSm,
                            CommandId::QuerySm,
                            CommandId::Outbind,
                            CommandId::AlertNotification,
                            CommandId::SubmitMulti,
                        ][usize::from(k)],
                    ),
                };
                self.peer(Pdu::new(seq, body));
            }
            Op::StrayResponse(seq) => self.peer(submit_resp(seq, "stray")),
            Op::Garbage(id, seq, body) => self.outbox.extend(raw(id, 0, seq, &body)),
            Op::RawBytes(bytes) => self.outbox.extend(bytes),
            Op::Deliver(n) => {
                let n = n.min(self.outbox.len());
                let chunk: Vec<u8> = self.outbox.drain(..n).collect();
                self.s.handle_bytes(now, &chunk);
            }
            Op::Advance(ms) => {
                self.now += Duration::from_millis(ms);
                self.s.handle_timeout(self.now);
            }
            Op::ToDeadline => {
                if let Some(d) = self.s.poll_timeout() {
                    self.now = self.now.max(d);
                    self.s.handle_timeout(self.now);
                    self.ticks += 1;
                    self.drive();
                    // At its own deadline, the session moved on.
                    assert!(self.s.poll_timeout().is_none_or(|d| d > self.now));
                }
            }
        }
        self.drive();
    }

    /// Ends the session and checks the accounting.
    fn finish(mut self) {
        let rest = std::mem::take(&mut self.outbox);
        self.s.handle_bytes(self.now, &rest);
        self.drive();
        let was_closed = self.closed;
        self.s.abort(self.now);
        self.drive();
        assert!(self.closed);
        if was_closed {
            assert_eq!(self.s.unbind(self.now), Err(SessionError::Closed));
        }
        for id in &self.sent {
            assert_eq!(self.ended.get(id), Some(&1), "{id:?} ended wrongly");
        }
        assert_eq!(self.ended.len(), self.sent.len());
        assert_eq!(self.s.poll_timeout(), None);
        assert!(self.s.poll_event().is_none());
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_use_never_loses_or_duplicates_a_request(
        esme in any::<bool>(),
        bound in prop::option::weighted(0.8, 0usize..3),
        config in config(),
        ops in prop::collection::vec(op(), 1..60),
    ) {
        let role = if esme { Role::Esme } else { Role::Smsc };
        let mut m = Model::new(role, config, bound.map(|b| MODES[b]));
        for op in ops {
            m.apply(op);
        }
        m.finish();
    }
}

/// A busy bound session: the property's own accounting checked on a run
/// that is known to exercise every ending (response, throttled, timeout,
/// handed back at close).
#[test]
fn the_model_sees_every_kind_of_ending() {
    let config = SessionConfig {
        window: 8,
        enquire_link_interval: None,
        ..SessionConfig::default()
    };
    let mut m = Model::new(Role::Esme, config, Some(BindMode::Transceiver));
    for _ in 0..4 {
        m.apply(Op::Send(0));
    }
    assert_eq!(m.written.len(), 4);
    m.apply(Op::PeerResponse(0, 0));
    m.apply(Op::PeerResponse(0, 1));
    m.apply(Op::Deliver(1000));
    assert_eq!(m.ended.len(), 2);
    m.apply(Op::Advance(30_000));
    assert_eq!(m.ended.len(), 4);
    m.apply(Op::Advance(1_000));
    m.apply(Op::Send(0));
    m.finish();
}

// ----- random chunks -----

/// xorshift64*: small, seeded, good enough to pick cases.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// One PDU-sized piece of input: well formed, with a plausible header and
/// a random body, or raw noise.
fn piece(rng: &mut Rng) -> Vec<u8> {
    let seq = 1 + rng.below(12) as u32;
    match rng.below(100) {
        0..=39 => {
            let id = REQUESTS[rng.below(REQUESTS.len() as u64) as usize];
            Pdu::new(seq, sample_request(id)).to_bytes().unwrap()
        }
        40..=64 => {
            let pdu = match rng.below(6) {
                0 => submit_resp(seq, "m"),
                1 => deliver_resp(seq),
                2 => enquire_resp(seq),
                3 => unbind_resp(seq),
                4 => bind_resp(MODES[rng.below(3) as usize], seq, "SMSC", Some(0x34)),
                _ => nack(seq, CommandStatus::SysErr),
            };
            pdu.to_bytes().unwrap()
        }
        65..=96 => {
            let id = if rng.below(2) == 0 {
                KNOWN_IDS[rng.below(KNOWN_IDS.len() as u64) as usize]
            } else {
                rng.next() as u32
            };
            let len = rng.below(60) as usize;
            raw(id, 0, seq, &rng.bytes(len))
        }
        _ => {
            let len = 1 + rng.below(20) as usize;
            rng.bytes(len)
        }
    }
}

/// Feeds `chunks` random chunks to sessions of `role`, starting a new one
/// whenever one closes. Returns (sessions used, bytes fed).
fn soak(role: Role, seed: u64, chunks: usize) -> (usize, usize) {
    let mut rng = Rng(seed);
    let t0 = Instant::now();
    let mut now = t0;
    let config = SessionConfig {
        window: 4,
        response_timeout: Duration::from_secs(5),
        enquire_link_interval: Some(Duration::from_secs(20)),
        max_bad_pdus: 8,
        ..SessionConfig::default()
    };
    let fresh = |now: Instant, rng: &mut Rng| {
        let mut s = match role {
            Role::Esme => Session::esme(config.clone(), now),
            Role::Smsc => Session::smsc(config.clone(), now),
        };
        if role == Role::Esme {
            s.bind(now, MODES[rng.below(3) as usize], credentials(0x34))
                .unwrap();
        }
        s
    };
    let mut s = fresh(now, &mut rng);
    let mut sessions = 1;
    let (mut fed, mut total_fed) = (0usize, 0usize);
    let (mut out, mut commands, mut ticks) = (0usize, 0usize, 0usize);
    let mut pending: Vec<InboundId> = Vec::new();
    let mut input = Vec::new();
    let mut done = 0;
    while done < chunks {
        if input.is_empty() {
            input = piece(&mut rng);
        }
        let n = 1 + rng.below(input.len() as u64) as usize;
        let chunk: Vec<u8> = input.drain(..n).collect();
        s.handle_bytes(now, &chunk);
        done += 1;
        fed += chunk.len();

        // The application's side of the drive rule.
        let mut buf = Vec::new();
        out += s.poll_transmit(&mut buf);
        while let Some(e) = s.poll_event() {
            match e {
                Event::BindRequest { id, .. } => {
                    commands += 1;
                    if rng.below(5) == 0 {
                        let _ = s.reject_bind(now, id, CommandStatus::InvPaswd);
                    } else {
                        let _ = s.accept_bind(now, id);
                    }
                }
                Event::Request { id, .. } => pending.push(id),
                _ => {}
            }
        }
        if !pending.is_empty() && rng.below(2) == 0 {
            let id = pending.swap_remove(rng.below(pending.len() as u64) as usize);
            commands += 1;
            let _ = match Body::empty_response(id.command_id()) {
                Some(body) if rng.below(3) > 0 => s.respond(now, id, body),
                _ => s.respond_status(now, id, CommandStatus::SysErr),
            };
        }
        if rng.below(8) == 0 {
            commands += 1;
            let body = if role == Role::Esme {
                submit()
            } else {
                deliver()
            };
            let _ = s.send(now, body);
        }
        if rng.below(16) == 0 {
            now += Duration::from_millis(rng.below(15_000));
        }
        if s.poll_timeout().is_some_and(|d| d <= now) {
            s.handle_timeout(now);
            ticks += 1;
            assert!(s.poll_timeout().is_none_or(|d| d > now));
        }
        while s.poll_event().is_some() {}
        out += s.poll_transmit(&mut buf);

        // The session decodes no more PDUs than the input could hold (a
        // frame is at least 16 octets; the one unframeable length that ends
        // a session, at least 4), and writes no more than one short answer
        // per PDU plus what the bind, the application and the timers asked
        // for.
        let stats = s.stats();
        let frames = (stats.received.total() + stats.bad_pdus) as usize;
        assert!(frames * 16 <= fed + 12, "{frames} PDUs from {fed} bytes");
        assert!(
            out <= 2 * fed + 64 + 320 * commands + 32 * ticks,
            "{out} bytes out for {fed} in"
        );

        if s.is_closed() {
            sessions += 1;
            total_fed += fed;
            (fed, out, commands, ticks) = (0, 0, 0, 0);
            pending.clear();
            input.clear();
            s = fresh(now, &mut rng);
        }
    }
    (sessions, total_fed + fed)
}

#[test]
fn a_hundred_thousand_random_chunks_to_each_role() {
    for (role, seed) in [(Role::Smsc, 0x5EED_0001), (Role::Esme, 0x5EED_0002)] {
        let (sessions, fed) = soak(role, seed, 100_000);
        // The input is hostile enough to end sessions, and benign enough
        // to keep many alive for a while.
        assert!(sessions > 100, "{role:?}: {sessions} sessions");
        assert!(sessions < 20_000, "{role:?}: {sessions} sessions");
        assert!(fed > 100_000, "{role:?}: {fed} bytes");
    }
}
