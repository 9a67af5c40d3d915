//! Bad input: unknown commands, PDUs whose fields do not decode, the limit
//! on bad PDUs in a row, impossible lengths, and fragmented reads.

use crate::common::*;
use smpp::pdu::{Body, CommandId, CommandStatus, Pdu, SubmitSm};
use smpp::session::{BindMode, CloseReason, SessionConfig, State};

/// The fields of a submit_sm body, each as raw wire bytes, so that any one
/// of them can be made invalid.
struct RawSubmit {
    service_type: Vec<u8>,
    source: Vec<u8>,
    dest: Vec<u8>,
    schedule: Vec<u8>,
    validity: Vec<u8>,
    short_message: Vec<u8>,
    tail: Vec<u8>,
}

impl Default for RawSubmit {
    fn default() -> Self {
        RawSubmit {
            service_type: b"".to_vec(),
            source: b"Shop".to_vec(),
            dest: b"447700900123".to_vec(),
            schedule: b"".to_vec(),
            validity: b"".to_vec(),
            short_message: b"hello".to_vec(),
            tail: vec![],
        }
    }
}

impl RawSubmit {
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let cstr = |b: &mut Vec<u8>, s: &[u8]| {
            b.extend_from_slice(s);
            b.push(0);
        };
        cstr(&mut b, &self.service_type);
        b.extend_from_slice(&[5, 0]);
        cstr(&mut b, &self.source);
        b.extend_from_slice(&[1, 1]);
        cstr(&mut b, &self.dest);
        // esm_class, protocol_id, priority_flag
        b.extend_from_slice(&[0, 0, 0]);
        cstr(&mut b, &self.schedule);
        cstr(&mut b, &self.validity);
        // registered_delivery, replace_if_present, data_coding, default id
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.push(self.short_message.len() as u8);
        b.extend_from_slice(&self.short_message);
        b.extend_from_slice(&self.tail);
        b
    }

    fn pdu(&self, seq: u32) -> Vec<u8> {
        raw(u32::from(CommandId::SubmitSm), 0, seq, &self.body())
    }
}

#[test]
fn the_raw_submit_builder_matches_the_codec() {
    let pdu = Pdu::decode(&RawSubmit::default().pdu(5)).unwrap();
    assert_eq!(pdu, submit_pdu(5));
    let digits = "12345678901234567890";
    let twenty = RawSubmit {
        dest: digits.as_bytes().to_vec(),
        ..RawSubmit::default()
    };
    let Body::SubmitSm(SubmitSm { dest, .. }) = Pdu::decode(&twenty.pdu(1)).unwrap().body else {
        panic!("not a submit_sm");
    };
    assert_eq!(dest.addr.as_bytes(), digits.as_bytes());
}

#[test]
fn unknown_command_id_gets_generic_nack_in_any_state() {
    for vendor in [0x0000_0099u32, 0x0100_0001, 0x0000_0111] {
        let mut h = Harness::bound_smsc(BindMode::Transceiver, quiet());
        h.feed_raw(&raw(vendor, 0, 42, b"opaque"));
        recv!(h, [nack(42, CommandStatus::InvCmdId)]);
        events!(h, []);
        state!(h, State::BoundTrx);
        assert_eq!(h.s.stats().received.get(CommandId::from(vendor)), 1);
        // Not a malformed PDU: it decoded, the command is just unknown.
        assert_eq!(h.s.stats().bad_pdus, 0);

        let mut h = Harness::smsc(quiet());
        h.feed_raw(&raw(vendor, 0, 0x7FFF_FFFF, b""));
        recv!(h, [nack(0x7FFF_FFFF, CommandStatus::InvCmdId)]);
        state!(h, State::Open);
    }
}

#[test]
fn unknown_response_id_is_an_unexpected_response() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    h.feed_raw(&raw(0x8000_0099, 0, 3, b""));
    recv!(h, []);
    events!(h, []);
    assert_eq!(h.s.stats().unexpected_responses, 1);
}

/// A bound transmitter SMSC session receives `bytes` and must answer with
/// exactly `expected`.
fn answers(bytes: &[u8], expected: Pdu) {
    let mut h = Harness::bound_smsc(BindMode::Transmitter, quiet());
    h.feed_raw(bytes);
    recv!(h, [expected]);
    events!(h, []);
    state!(h, State::BoundTx);
    assert_eq!(h.s.stats().bad_pdus, 1);
}

#[test]
fn malformed_submit_gets_the_right_status_in_its_own_response() {
    let submit = CommandId::SubmitSm;
    let cases: [(RawSubmit, CommandStatus); 7] = [
        (
            // 22 characters: two more than a destination_addr holds.
            RawSubmit {
                dest: b"1234567890123456789012".to_vec(),
                ..RawSubmit::default()
            },
            CommandStatus::InvDstAdr,
        ),
        (
            RawSubmit {
                source: b"ABCDEFGHIJKLMNOPQRSTUV".to_vec(),
                ..RawSubmit::default()
            },
            CommandStatus::InvSrcAdr,
        ),
        (
            RawSubmit {
                service_type: b"TOOLONG".to_vec(),
                ..RawSubmit::default()
            },
            CommandStatus::InvSerTyp,
        ),
        (
            RawSubmit {
                schedule: b"2".to_vec(),
                ..RawSubmit::default()
            },
            CommandStatus::InvSched,
        ),
        (
            RawSubmit {
                validity: b"not-a-time".to_vec(),
                ..RawSubmit::default()
            },
            CommandStatus::InvExpiry,
        ),
        (
            RawSubmit {
                short_message: vec![b'x'; 255],
                ..RawSubmit::default()
            },
            CommandStatus::InvMsgLen,
        ),
        (
            // Two octets of a TLV header.
            RawSubmit {
                tail: vec![0x04, 0x24],
                ..RawSubmit::default()
            },
            CommandStatus::InvOptParStream,
        ),
    ];
    for (seq, (body, status)) in (100..).zip(cases) {
        answers(&body.pdu(seq), err(submit, seq, status));
    }
    // A body cut short after the destination.
    let mut cut = RawSubmit::default().body();
    cut.truncate(1 + 2 + 5 + 2 + 13);
    answers(
        &raw(u32::from(submit), 0, 7, &cut),
        err(submit, 7, CommandStatus::InvCmdLen),
    );
}

#[test]
fn malformed_requests_of_other_kinds() {
    // data_sm without its message_payload.
    let mut data = vec![0];
    data.extend_from_slice(&[1, 1]);
    data.extend_from_slice(b"447700900123\0");
    data.extend_from_slice(&[1, 1]);
    data.extend_from_slice(b"447700900456\0");
    data.extend_from_slice(&[0, 0, 0]);
    answers(
        &raw(u32::from(CommandId::DataSm), 0, 9, &data),
        err(CommandId::DataSm, 9, CommandStatus::MissingOptParam),
    );
    // submit_multi to no one.
    let mut multi = vec![0, 5, 0];
    multi.extend_from_slice(b"Shop\0");
    multi.push(0);
    answers(
        &raw(u32::from(CommandId::SubmitMulti), 0, 10, &multi),
        err(CommandId::SubmitMulti, 10, CommandStatus::InvNumDests),
    );
    // query_sm with a 65-character message id (64 is the most).
    let mut query = vec![b'9'; 65];
    query.push(0);
    query.extend_from_slice(&[1, 1]);
    query.extend_from_slice(b"1\0");
    answers(
        &raw(u32::from(CommandId::QuerySm), 0, 11, &query),
        err(CommandId::QuerySm, 11, CommandStatus::InvMsgId),
    );
}

#[test]
fn malformed_bind_gets_its_own_bind_response() {
    for (system_id, password, status) in [
        (
            &b"sixteen-chars-id"[..],
            &b"pw"[..],
            CommandStatus::InvSysId,
        ),
        (b"esme", b"ninechars", CommandStatus::InvPaswd),
    ] {
        let mut body = Vec::new();
        for s in [system_id, password, b"test"] {
            body.extend_from_slice(s);
            body.push(0);
        }
        body.extend_from_slice(&[0x34, 0, 0, 0]);
        let mut h = Harness::smsc(quiet());
        h.feed_raw(&raw(u32::from(CommandId::BindTransceiver), 0, 1, &body));
        recv!(h, [err(CommandId::BindTransceiver, 1, status)]);
        events!(h, []);
        state!(h, State::Open);
    }
}

#[test]
fn malformed_response_gets_generic_nack_and_the_request_stays() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    let (id, seq) = h.send_ok(submit());
    let mut long_id = vec![b'7'; 70];
    long_id.push(0);
    h.feed_raw(&raw(u32::from(CommandId::SubmitSmResp), 0, seq, &long_id));
    recv!(h, [nack(seq, CommandStatus::InvMsgId)]);
    events!(h, []);
    assert_eq!(h.s.in_flight(), 1);
    // A good response still completes it.
    send!(h, submit_resp(seq, "ok"));
    events!(
        h,
        [Ev::Response {
            id: id.0,
            pdu: submit_resp(seq, "ok"),
            sent_at: h.t0
        }]
    );
}

#[test]
fn malformed_alert_notification_gets_generic_nack() {
    let mut h = Harness::bound_esme(BindMode::Receiver, quiet());
    let mut body = vec![1, 1];
    body.extend_from_slice(&[b'1'; 70]);
    body.push(0);
    h.feed_raw(&raw(u32::from(CommandId::AlertNotification), 0, 5, &body));
    recv!(h, [nack(5, CommandStatus::InvSrcAdr)]);
    events!(h, []);
}

#[test]
fn too_many_bad_pdus_in_a_row_close_the_session() {
    let config = SessionConfig {
        max_bad_pdus: 3,
        ..quiet()
    };
    let bad = |seq| {
        RawSubmit {
            dest: b"1234567890123456789012".to_vec(),
            ..RawSubmit::default()
        }
        .pdu(seq)
    };
    let refusal = |seq| err(CommandId::SubmitSm, seq, CommandStatus::InvDstAdr);
    let mut h = Harness::bound_smsc(BindMode::Transmitter, config);
    h.feed_raw(&bad(2));
    h.feed_raw(&bad(3));
    // A good PDU in between restarts the count.
    send!(h, enquire(4));
    h.feed_raw(&bad(5));
    h.feed_raw(&bad(6));
    recv!(
        h,
        [
            refusal(2),
            refusal(3),
            enquire_resp(4),
            refusal(5),
            refusal(6)
        ]
    );
    events!(h, []);
    state!(h, State::BoundTx);
    // The third in a row is answered, then the session closes; what follows
    // in the same read is not looked at.
    let mut bytes = bad(7);
    bytes.extend_from_slice(&bad(8));
    bytes.extend_from_slice(&enquire(9).to_bytes().unwrap());
    h.feed_raw(&bytes);
    recv!(h, [refusal(7)]);
    events!(h, closed(State::BoundTx, CloseReason::TooManyBadPdus));
    assert_eq!(h.s.stats().bad_pdus, 5);
}

#[test]
fn impossible_command_length_closes_with_generic_nack() {
    // Shorter than a header, with the whole header there: the sequence
    // number is echoed.
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    let mut short = raw(u32::from(CommandId::EnquireLink), 0, 0x55, b"");
    short[3] = 8;
    h.feed_raw(&short);
    recv!(h, [nack(0x55, CommandStatus::InvCmdLen)]);
    events!(h, closed(State::BoundTrx, CloseReason::BadFrame));
    let stats = h.s.stats();
    assert_eq!(stats.bad_pdus, 1);
    assert_eq!(stats.sent.get(CommandId::GenericNack), 1);
    // The generic_nack is a response like any other in the counters.
    assert_eq!(stats.response_status_sent.get(CommandStatus::InvCmdLen), 1);

    // Longer than max_pdu_len: refused as soon as the length is in, before
    // any body is waited for; the sequence number is not known yet.
    let config = SessionConfig {
        max_pdu_len: 1024,
        ..quiet()
    };
    let mut h = Harness::smsc(config);
    h.feed_raw(&1025u32.to_be_bytes());
    recv!(h, [nack(0, CommandStatus::InvCmdLen)]);
    events!(h, closed(State::Open, CloseReason::BadFrame));

    // PDUs before the bad frame in the same read are handled first.
    let mut h = Harness::smsc(quiet());
    let mut bytes = enquire(1).to_bytes().unwrap();
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 2]);
    h.feed_raw(&bytes);
    recv!(h, [enquire_resp(1), nack(2, CommandStatus::InvCmdLen)]);
    events!(h, closed(State::Open, CloseReason::BadFrame));
}

#[test]
fn a_pdu_of_exactly_max_pdu_len_is_taken() {
    let config = SessionConfig {
        max_pdu_len: 64,
        ..quiet()
    };
    let mut h = Harness::bound_smsc(BindMode::Transmitter, config);
    let body = RawSubmit {
        short_message: vec![b'x'; 64 - 16 - 33],
        ..RawSubmit::default()
    };
    let bytes = body.pdu(2);
    assert_eq!(bytes.len(), 64);
    h.feed_raw(&bytes);
    recv!(h, []);
    assert_eq!(h.events().len(), 1);
}

#[test]
fn fragmented_and_coalesced_reads() {
    let mut h = Harness::bound_smsc(BindMode::Transmitter, quiet());
    let mut stream = submit_pdu(2).to_bytes().unwrap();
    stream.extend_from_slice(&enquire(3).to_bytes().unwrap());
    stream.extend_from_slice(&submit_pdu(4).to_bytes().unwrap());
    let first_len = submit_pdu(2).to_bytes().unwrap().len();
    // One byte at a time: nothing until the last byte of each PDU.
    for (i, b) in stream.iter().enumerate() {
        h.feed_raw(&[*b]);
        let events = h.events();
        if i + 1 == first_len {
            assert_eq!(
                events,
                vec![Ev::Request {
                    seq: 2,
                    pdu: submit_pdu(2)
                }]
            );
        } else if i + 1 == stream.len() {
            assert_eq!(
                events,
                vec![Ev::Request {
                    seq: 4,
                    pdu: submit_pdu(4)
                }]
            );
        } else {
            assert_eq!(events, vec![], "after byte {i}");
        }
    }
    recv!(h, [enquire_resp(3)]);
    for seq in [2, 4] {
        h.s.respond_status(h.now, h.inbound(seq), CommandStatus::SysErr)
            .unwrap();
    }
    let _ = h.out();
    // All at once.
    h.feed_raw(&stream);
    recv!(h, [enquire_resp(3)]);
    assert_eq!(h.events().len(), 2);
}

/// One read holding requests the session hands on, answers itself, finds
/// malformed and refuses (its pending limit is 2): each answered as if it
/// had come alone, the ones handed on in order and answerable.
#[test]
fn one_read_of_mixed_requests_answers_each() {
    let config = SessionConfig {
        max_inbound_pending: 2,
        ..quiet()
    };
    let mut h = Harness::bound_smsc(BindMode::Transmitter, config);
    let bad = RawSubmit {
        dest: b"1234567890123456789012".to_vec(),
        ..RawSubmit::default()
    };
    let mut stream = submit_pdu(2).to_bytes().unwrap();
    stream.extend_from_slice(&enquire(3).to_bytes().unwrap());
    stream.extend_from_slice(&bad.pdu(4));
    stream.extend_from_slice(&submit_pdu(5).to_bytes().unwrap());
    stream.extend_from_slice(&submit_pdu(6).to_bytes().unwrap());
    h.feed_raw(&stream);
    let submit = CommandId::SubmitSm;
    recv!(
        h,
        [
            enquire_resp(3),
            err(submit, 4, CommandStatus::InvDstAdr),
            err(submit, 6, CommandStatus::MsgQFul),
        ]
    );
    events!(
        h,
        [
            Ev::Request {
                seq: 2,
                pdu: submit_pdu(2)
            },
            Ev::Request {
                seq: 5,
                pdu: submit_pdu(5)
            },
        ]
    );
    assert_eq!(h.s.stats().bad_pdus, 1);
    for seq in [5, 2] {
        h.s.respond_status(h.now, h.inbound(seq), CommandStatus::SysErr)
            .unwrap();
    }
    recv!(
        h,
        [
            err(submit, 5, CommandStatus::SysErr),
            err(submit, 2, CommandStatus::SysErr),
        ]
    );
}
