//! Shared helpers for the session tests: PDU builders, an event form that
//! compares with `==`, and a script harness around one [`Session`] on a
//! virtual clock.
//!
//! A script reads like the protocol exchange it checks:
//!
//! ```ignore
//! let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
//! send!(h, time 100, enquire(7));
//! recv!(h, [enquire_resp(7)]);
//! events!(h, []);
//! state!(h, State::BoundTrx);
//! ```
//!
//! Every test file includes this module and uses a different part of it.
#![allow(dead_code, unused_macros, unreachable_pub)]

use smpp::pdu::{
    Address, AlertNotification, Bind, BindResp, Body, COctet, CancelSm, CommandId, CommandStatus,
    DataSm, DestAddress, Framer, MessageIdResp, Outbind, Pdu, QuerySm, ReplaceSm, ShortMessage,
    SubmitMulti, SubmitSm, Tlv, TlvTag, DEFAULT_MAX_PDU_LEN,
};
use smpp::session::{
    BindMode, CloseReason, Event, InboundId, RequestId, ReturnReason, Session, SessionConfig, State,
};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Default settings without the enquire_link timer, so that only the timer
/// under test runs.
pub fn quiet() -> SessionConfig {
    SessionConfig {
        enquire_link_interval: None,
        ..SessionConfig::default()
    }
}

// ----- PDU builders -----

/// The credentials every test ESME binds with.
pub fn credentials(version: u8) -> Bind {
    Bind {
        system_id: COctet::new(b"esme1").unwrap(),
        password: COctet::new(b"secret").unwrap(),
        system_type: COctet::new(b"test").unwrap(),
        interface_version: version,
        ..Bind::default()
    }
}

/// A bind request in `mode`.
pub fn bind_pdu(mode: BindMode, seq: u32, bind: Bind) -> Pdu {
    let body = match mode {
        BindMode::Transmitter => Body::BindTransmitter(bind),
        BindMode::Receiver => Body::BindReceiver(bind),
        BindMode::Transceiver => Body::BindTransceiver(bind),
    };
    Pdu::new(seq, body)
}

/// A successful bind response in `mode`, with `sc_interface_version` when
/// `version` is given.
pub fn bind_resp(mode: BindMode, seq: u32, system_id: &str, version: Option<u8>) -> Pdu {
    let mut resp = BindResp {
        system_id: COctet::new(system_id.as_bytes()).unwrap(),
        ..BindResp::default()
    };
    if let Some(v) = version {
        resp.tlvs.push(Tlv::u8(TlvTag::ScInterfaceVersion, v));
    }
    let body = match mode {
        BindMode::Transmitter => Body::BindTransmitterResp(resp),
        BindMode::Receiver => Body::BindReceiverResp(resp),
        BindMode::Transceiver => Body::BindTransceiverResp(resp),
    };
    Pdu::new(seq, body)
}

/// An outbind from an SMSC.
pub fn outbind_pdu(seq: u32, system_id: &str, password: &str) -> Pdu {
    Pdu::new(
        seq,
        Body::Outbind(Outbind {
            system_id: COctet::new(system_id.as_bytes()).unwrap(),
            password: COctet::new(password.as_bytes()).unwrap(),
        }),
    )
}

/// A submit_sm body to `dest` carrying `text`.
pub fn submit_body(dest: &str, text: &str) -> Body {
    Body::SubmitSm(SubmitSm {
        source: Address::new(5, 0, "Shop").unwrap(),
        dest: Address::new(1, 1, dest).unwrap(),
        short_message: ShortMessage::new(text.as_bytes()).unwrap(),
        ..SubmitSm::default()
    })
}

/// The submit_sm most tests send.
pub fn submit() -> Body {
    submit_body("447700900123", "hello")
}

/// A submit_sm from the peer.
pub fn submit_pdu(seq: u32) -> Pdu {
    Pdu::new(seq, submit())
}

/// A successful submit_sm_resp carrying `message_id`.
pub fn submit_resp(seq: u32, message_id: &str) -> Pdu {
    Pdu::new(
        seq,
        Body::SubmitSmResp(MessageIdResp::new(
            COctet::new(message_id.as_bytes()).unwrap(),
        )),
    )
}

/// A deliver_sm body (a mobile-originated message).
pub fn deliver() -> Body {
    Body::DeliverSm(SubmitSm {
        source: Address::new(1, 1, "447700900123").unwrap(),
        dest: Address::new(5, 0, "Shop").unwrap(),
        short_message: ShortMessage::new(b"reply").unwrap(),
        ..SubmitSm::default()
    })
}

/// A deliver_sm from the peer.
pub fn deliver_pdu(seq: u32) -> Pdu {
    Pdu::new(seq, deliver())
}

/// A successful deliver_sm_resp.
pub fn deliver_resp(seq: u32) -> Pdu {
    Pdu::new(seq, Body::DeliverSmResp(MessageIdResp::default()))
}

/// `enquire_link`.
pub fn enquire(seq: u32) -> Pdu {
    Pdu::new(seq, Body::EnquireLink)
}

/// `enquire_link_resp`.
pub fn enquire_resp(seq: u32) -> Pdu {
    Pdu::new(seq, Body::EnquireLinkResp)
}

/// `unbind`.
pub fn unbind(seq: u32) -> Pdu {
    Pdu::new(seq, Body::Unbind)
}

/// `unbind_resp`.
pub fn unbind_resp(seq: u32) -> Pdu {
    Pdu::new(seq, Body::UnbindResp)
}

/// The header-only response to `request` with `status` (generic_nack for
/// ids without a response of their own).
pub fn err(request: CommandId, seq: u32, status: CommandStatus) -> Pdu {
    Pdu::error_response(request, seq, status)
}

/// A generic_nack.
pub fn nack(seq: u32, status: CommandStatus) -> Pdu {
    err(CommandId::GenericNack, seq, status)
}

/// A PDU assembled by hand: the header fields and `body` as given, with
/// `command_length` computed.
pub fn raw(command_id: u32, status: u32, seq: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + body.len());
    out.extend_from_slice(&(16 + body.len() as u32).to_be_bytes());
    out.extend_from_slice(&command_id.to_be_bytes());
    out.extend_from_slice(&status.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// A valid body for every request a peer can send, keyed by its id.
pub fn sample_request(id: CommandId) -> Body {
    let addr21 = || Address::new(1, 1, "447700900123").unwrap();
    match id {
        CommandId::BindTransmitter => Body::BindTransmitter(credentials(0x34)),
        CommandId::BindReceiver => Body::BindReceiver(credentials(0x34)),
        CommandId::BindTransceiver => Body::BindTransceiver(credentials(0x34)),
        CommandId::QuerySm => Body::QuerySm(QuerySm {
            message_id: COctet::new(b"m1").unwrap(),
            source: addr21(),
            ..QuerySm::default()
        }),
        CommandId::SubmitSm => submit(),
        CommandId::DeliverSm => deliver(),
        CommandId::Unbind => Body::Unbind,
        CommandId::ReplaceSm => Body::ReplaceSm(ReplaceSm {
            message_id: COctet::new(b"m1").unwrap(),
            source: addr21(),
            short_message: ShortMessage::new(b"new text").unwrap(),
            ..ReplaceSm::default()
        }),
        CommandId::CancelSm => Body::CancelSm(CancelSm {
            message_id: COctet::new(b"m1").unwrap(),
            source: addr21(),
            dest: addr21(),
            ..CancelSm::default()
        }),
        CommandId::Outbind => outbind_pdu(1, "smsc", "pw").body,
        CommandId::EnquireLink => Body::EnquireLink,
        CommandId::SubmitMulti => Body::SubmitMulti(SubmitMulti {
            service_type: COctet::EMPTY,
            source: addr21(),
            dests: vec![
                DestAddress::Sme(addr21()),
                DestAddress::DistributionList(COctet::new(b"friends").unwrap()),
            ],
            esm_class: 0,
            protocol_id: 0,
            priority_flag: 0,
            schedule_delivery_time: Default::default(),
            validity_period: Default::default(),
            registered_delivery: 0,
            replace_if_present_flag: 0,
            data_coding: smpp::pdu::DataCoding::SmscDefault,
            sm_default_msg_id: 0,
            short_message: ShortMessage::new(b"to all").unwrap(),
            tlvs: Default::default(),
        }),
        CommandId::AlertNotification => Body::AlertNotification(AlertNotification {
            source: Address::new(1, 1, "447700900123").unwrap(),
            esme: Address::new(5, 0, "Shop").unwrap(),
            ..AlertNotification::default()
        }),
        CommandId::DataSm => {
            let mut data = DataSm {
                source: Address::new(1, 1, "447700900123").unwrap(),
                dest: Address::new(1, 1, "447700900456").unwrap(),
                ..DataSm::default()
            };
            data.tlvs
                .push(Tlv::octets(TlvTag::MessagePayload, b"payload".to_vec()));
            Body::DataSm(data)
        }
        other => panic!("{other} is not a request"),
    }
}

/// Every request id a peer may send, in command_id order.
pub const REQUESTS: [CommandId; 14] = [
    CommandId::BindReceiver,
    CommandId::BindTransmitter,
    CommandId::QuerySm,
    CommandId::SubmitSm,
    CommandId::DeliverSm,
    CommandId::Unbind,
    CommandId::ReplaceSm,
    CommandId::CancelSm,
    CommandId::BindTransceiver,
    CommandId::Outbind,
    CommandId::EnquireLink,
    CommandId::SubmitMulti,
    CommandId::AlertNotification,
    CommandId::DataSm,
];

/// Splits a byte stream into PDUs and decodes each; panics on anything
/// that is not a whole, valid PDU.
pub fn decode_all(bytes: &[u8]) -> Vec<Pdu> {
    let mut framer = Framer::new(DEFAULT_MAX_PDU_LEN);
    framer.push(bytes);
    let mut out = Vec::new();
    while let Some(frame) = framer.next_frame().expect("session wrote a bad frame") {
        out.push(Pdu::decode(frame).expect("session wrote an undecodable PDU"));
    }
    assert_eq!(framer.buffered(), 0, "session wrote a partial PDU");
    out
}

// ----- events -----

/// [`Event`] in a form that compares with `==`: inbound requests are named
/// by their sequence number, requests by the number inside their
/// [`RequestId`], and the bound peer's `system_id` by its text.
#[derive(Debug, PartialEq)]
pub enum Ev {
    Bound {
        mode: BindMode,
        system_id: String,
        version: Option<u8>,
    },
    BindRefused(CommandStatus),
    BindRequest {
        seq: u32,
        mode: BindMode,
        bind: Bind,
    },
    Request {
        seq: u32,
        pdu: Pdu,
    },
    Alert(AlertNotification),
    Response {
        id: u64,
        pdu: Pdu,
        sent_at: Instant,
    },
    Returned {
        id: u64,
        body: Body,
        reason: ReturnReason,
    },
    State(State, State),
    Closed(CloseReason),
}

impl From<Event> for Ev {
    fn from(e: Event) -> Ev {
        match e {
            Event::Bound {
                mode,
                system_id,
                interface_version,
            } => Ev::Bound {
                mode,
                system_id: system_id.to_string_lossy().into_owned(),
                version: interface_version,
            },
            Event::BindRefused { status } => Ev::BindRefused(status),
            Event::BindRequest { id, mode, bind } => Ev::BindRequest {
                seq: id.sequence(),
                mode,
                bind,
            },
            Event::Request { id, pdu } => {
                assert_eq!(id.sequence(), pdu.sequence);
                assert_eq!(id.command_id(), pdu.command_id());
                Ev::Request {
                    seq: id.sequence(),
                    pdu,
                }
            }
            Event::Alert(a) => Ev::Alert(a),
            Event::Response { id, pdu, sent_at } => Ev::Response {
                id: id.0,
                pdu,
                sent_at,
            },
            Event::Returned { id, body, reason } => Ev::Returned {
                id: id.0,
                body,
                reason,
            },
            Event::StateChanged { from, to } => Ev::State(from, to),
            Event::Closed(reason) => Ev::Closed(reason),
        }
    }
}

/// The events that end a session with nothing outstanding: the state
/// change into CLOSED and the close itself.
pub fn closed(from: State, reason: CloseReason) -> Vec<Ev> {
    vec![Ev::State(from, State::Closed), Ev::Closed(reason)]
}

// ----- the script harness -----

/// One session on a virtual clock, with the drive rule built in: every
/// script step drains what the session produced, and a harness dropped
/// with undrained output or events fails the test.
pub struct Harness {
    pub s: Session,
    pub t0: Instant,
    pub now: Instant,
    inbound: HashMap<u32, InboundId>,
}

impl Harness {
    /// A new ESME session at t0.
    pub fn esme(config: SessionConfig) -> Harness {
        let t0 = Instant::now();
        Harness {
            s: Session::esme(config, t0),
            t0,
            now: t0,
            inbound: HashMap::new(),
        }
    }

    /// A new SMSC session at t0.
    pub fn smsc(config: SessionConfig) -> Harness {
        let t0 = Instant::now();
        Harness {
            s: Session::smsc(config, t0),
            t0,
            now: t0,
            inbound: HashMap::new(),
        }
    }

    /// An ESME bound in `mode` at t0 (its bind took sequence 1).
    pub fn bound_esme(mode: BindMode, config: SessionConfig) -> Harness {
        let mut h = Harness::esme(config);
        h.s.bind(h.now, mode, credentials(0x34)).unwrap();
        assert_eq!(h.out(), vec![bind_pdu(mode, 1, credentials(0x34))]);
        h.feed(&bind_resp(mode, 1, "SMSC", Some(0x34)));
        assert_eq!(
            h.events(),
            vec![
                Ev::State(State::Open, mode.bound_state()),
                Ev::Bound {
                    mode,
                    system_id: "SMSC".into(),
                    version: Some(0x34),
                },
            ]
        );
        assert_eq!(h.out(), vec![]);
        h
    }

    /// An SMSC that accepted a bind in `mode` at t0 (sequence 1).
    pub fn bound_smsc(mode: BindMode, config: SessionConfig) -> Harness {
        let mut h = Harness::smsc(config);
        h.feed(&bind_pdu(mode, 1, credentials(0x34)));
        let events = h.events();
        assert!(
            matches!(&events[..], [Ev::BindRequest { seq: 1, mode: m, .. }] if *m == mode),
            "{events:?}"
        );
        let id = h.inbound(1);
        h.s.accept_bind(h.now, id).unwrap();
        assert_eq!(h.out(), vec![bind_resp(mode, 1, "smppd", Some(0x34))]);
        assert_eq!(
            h.events(),
            vec![
                Ev::State(State::Open, mode.bound_state()),
                Ev::Bound {
                    mode,
                    system_id: "esme1".into(),
                    version: Some(0x34),
                },
            ]
        );
        h
    }

    /// Moves the clock to `t` after t0 (never backwards).
    pub fn at(&mut self, t: Duration) {
        let to = self.t0 + t;
        assert!(to >= self.now, "the clock went backwards");
        self.now = to;
    }

    /// Moves the clock on by `d`.
    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    /// Time since t0.
    pub fn elapsed(&self) -> Duration {
        self.now - self.t0
    }

    /// The peer sends `pdu` now.
    pub fn feed(&mut self, pdu: &Pdu) {
        let bytes = pdu.to_bytes().expect("test PDU encodes");
        self.s.handle_bytes(self.now, &bytes);
    }

    /// The peer sends these bytes now.
    pub fn feed_raw(&mut self, bytes: &[u8]) {
        self.s.handle_bytes(self.now, bytes);
    }

    /// Calls `handle_timeout` now.
    pub fn tick(&mut self) {
        self.s.handle_timeout(self.now);
    }

    /// The PDUs the session wrote since the last call.
    pub fn out(&mut self) -> Vec<Pdu> {
        let mut buf = Vec::new();
        let n = self.s.poll_transmit(&mut buf);
        assert_eq!(n, buf.len());
        decode_all(&buf)
    }

    /// The events since the last call; remembers inbound ids for
    /// [`Harness::inbound`].
    pub fn events(&mut self) -> Vec<Ev> {
        let mut out = Vec::new();
        while let Some(e) = self.s.poll_event() {
            match &e {
                Event::Request { id, .. } | Event::BindRequest { id, .. } => {
                    self.inbound.insert(id.sequence(), *id);
                }
                _ => {}
            }
            out.push(Ev::from(e));
        }
        out
    }

    /// The id of the peer's request with this sequence number, as its event
    /// gave it.
    pub fn inbound(&self, seq: u32) -> InboundId {
        *self
            .inbound
            .get(&seq)
            .unwrap_or_else(|| panic!("no request with sequence {seq} was seen"))
    }

    /// The next deadline, as time after t0.
    pub fn deadline(&mut self) -> Option<Duration> {
        self.s.poll_timeout().map(|d| d - self.t0)
    }

    /// Sends `body`, asserting it was accepted; returns the request id and
    /// the sequence number it went out with.
    pub fn send_ok(&mut self, body: Body) -> (RequestId, u32) {
        let id = self.s.send(self.now, body.clone()).expect("send");
        let out = self.out();
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(out[0].body, body);
        assert_eq!(out[0].status, CommandStatus::Ok);
        (id, out[0].sequence)
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let out = self.out();
        assert!(out.is_empty(), "test ended with unchecked output: {out:?}");
        let events = self.events();
        assert!(
            events.is_empty(),
            "test ended with unchecked events: {events:?}"
        );
    }
}

// ----- script macros -----

/// The peer sends PDUs, optionally at a time (milliseconds after t0):
/// `send!(h, time 100, submit_pdu(2), enquire(3))`.
macro_rules! send {
    ($h:expr, time $t:expr, $($pdu:expr),+ $(,)?) => {{
        $h.at(ms($t));
        $( $h.feed(&$pdu); )+
    }};
    ($h:expr, $($pdu:expr),+ $(,)?) => {{
        $( $h.feed(&$pdu); )+
    }};
}

/// The session wrote exactly these PDUs: `recv!(h, [enquire_resp(3)])`.
macro_rules! recv {
    ($h:expr, [$($pdu:expr),* $(,)?]) => {
        assert_eq!($h.out(), vec![$($pdu),*], "PDUs written")
    };
}

/// The session reported exactly these events.
macro_rules! events {
    ($h:expr, [$($ev:expr),* $(,)?]) => {
        assert_eq!($h.events(), vec![$($ev),*], "events")
    };
    ($h:expr, $evs:expr) => {
        assert_eq!($h.events(), $evs, "events")
    };
}

/// The session is in this state.
macro_rules! state {
    ($h:expr, $s:expr) => {
        assert_eq!($h.s.state(), $s, "state")
    };
}

/// Time passes to `t` milliseconds after t0 and the session's timers run.
macro_rules! tick {
    ($h:expr, time $t:expr) => {{
        $h.at(ms($t));
        $h.tick();
    }};
}
