//! Hostile input, on both sides of the link.
//!
//! Each case of the catalogue runs against `smsc-sim` (a raw client written
//! here, on a blocking socket with bounded reads: tests named `simNN_*`)
//! and against the library's ESME (`Esme::connect` to a raw SMSC written
//! here that misbehaves: tests named `esmeNN_*`), where the input makes
//! sense for that side. Each test asserts exactly what comes back: the
//! response with its status and the echoed sequence number (octet for
//! octet for header-only refusals), the connection closed, or the session
//! still working afterwards.
//!
//! The catalogue, by the number in the test names:
//!
//! 1. `command_length` below 16
//! 2. `command_length` above the maximum (0x7FFFFFFF, `max_pdu_len` + 1)
//! 3. `command_length` larger than the bytes that follow, then silence
//! 4. unknown `command_id`
//! 5. a response with an unknown sequence number
//! 6. requests in a state that does not allow them
//! 7. bind twice
//! 8. wrong password, unknown system_id
//! 9. over-long C-Octet strings
//! 10. a missing NUL at the end of the body
//! 11. `sm_length` past the body
//! 12. a TLV running past the PDU
//! 13. a duplicated TLV
//! 14. garbage after a valid PDU in the same segment
//! 15. one byte at a time (slowloris), and a peer that never binds
//! 16. a peer that never answers enquire_link
//! 17. a peer that never reads
//! 18. connections past `--max-sessions` (smsc-sim only)
//! 19. unbind while requests are outstanding
//! 20. generic_nack with sequence 0
//! 21. a response with a matching sequence but the wrong command id
//! 22. outbind sent to an SMSC (and to a bound ESME)
//! 23. a bind_resp sent to the SMSC (a second one to the ESME)
//! 24. alert_notification sent to an SMSC (and to an ESME)
//! 25. zero-length C-Octet strings everywhere
//! 26. a non-zero `command_status` in a request
//! 27. a PDU of exactly `max_pdu_len`, and one octet more
//! 28. a thousand PDUs in one segment
//! 29. `sm_length` 255
//! 30. data_sm without `message_payload`
//! 31. a sequence number reused while its request is unanswered
//! 32. requests with the end of the stream right behind them
//!
//! and, for smsc-sim, a warning in the log for each kind of misbehaviour
//! and no password in any log line at trace level.
//!
//! Tests marked `#[ignore]` show a defect: the reason says what happens
//! instead. They fail until it is fixed (`cargo test --test hostile --
//! --ignored`).
//!
//! Choices this file pins down, where the spec leaves room:
//!
//! - An impossible `command_length` (below 16, above `max_pdu_len`) puts
//!   the stream out of step: generic_nack ESME_RINVCMDLEN (sequence from
//!   the header when all 16 octets are in, else 0), then the connection
//!   closes.
//! - A PDU whose mandatory fields run past its end (a C-Octet string with
//!   no NUL, `sm_length` past the body) is ESME_RINVCMDLEN in the
//!   request's own response; a TLV that overruns the PDU is
//!   ESME_RINVOPTPARSTREAM. Neither closes the session (the framing is
//!   intact).
//! - A partial PDU followed by silence is not an error by itself: the
//!   session waits without spinning, and its timers end it (the
//!   session-init timer before a bind, the inactivity timer once bound).
//! - A non-zero `command_status` in a request is ignored; the request is
//!   served.
//! - A peer's end of stream closes the session at once, even when it
//!   comes with the last requests; those are not answered (the
//!   connection is closed both ways).
//! - Responses that match no outstanding request (unknown sequence, or a
//!   known sequence with the wrong command id, or generic_nack with
//!   sequence 0) are ignored with a warning.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod hostile_support;

use hostile_support::*;
use smpp::pdu::{
    Address, Body, CancelSm, CommandId as C, CommandStatus as S, DataSm, DestAddress, Pdu, QuerySm,
    ReplaceSm, ShortMessage, SubmitMulti, Tlv, TlvTag, Tlvs,
};
use smpp::runtime::{EsmeError, EsmeEvent, Reconnect, SubmitError, SubmitMode};
use smpp::session::{BindMode, CloseReason};
use std::io::{ErrorKind, Write};
use std::time::{Duration, Instant};

use BindMode::{Receiver as Rx, Transceiver as Trx, Transmitter as Tx};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A submit_sm response carrying `message_id` (what smsc-sim answers).
fn submit_resp(seq: u32, message_id: &str) -> Vec<u8> {
    raw(
        u32::from(C::SubmitSmResp),
        0,
        seq,
        &message_id_body(message_id.as_bytes()),
    )
}

/// The ESME's answer to an acknowledged deliver_sm: status 0 and an
/// empty message_id.
fn deliver_resp_ok(seq: u32) -> Vec<u8> {
    raw(u32::from(C::DeliverSmResp), 0, seq, &[0])
}

// ===== 1. command_length below 16 =====

#[test]
fn sim01_command_length_below_16_is_nacked_and_closed() {
    let sim = Sim::start(&[]);
    let mut bystander = sim.bound(Trx);
    let cases: [(Vec<u8>, u32); 3] = [
        // Only the length has arrived: no sequence to echo.
        (vec![0, 0, 0, 0], 0),
        // A whole header with a length that cannot hold it.
        (header(15, u32::from(C::EnquireLink), 0, 7), 7),
        (
            header(8, u32::from(C::SubmitSm), 0, 0x0102_0304),
            0x0102_0304,
        ),
    ];
    for (bytes, seq) in cases {
        let mut c = sim.bound(Trx);
        c.send_raw(&bytes);
        c.expect_raw(&nack(S::InvCmdLen, seq));
        c.expect_closed(WAIT);
    }
    // Before a bind too.
    let mut c = sim.client();
    c.send_raw(&header(3, u32::from(C::BindTransmitter), 0, 1));
    c.expect_raw(&nack(S::InvCmdLen, 1));
    c.expect_closed(WAIT);
    bystander.ping();
    sim.expect_log(&["WARN", "command_length 15 is outside 16..=65536"]);
    sim.assert_serving();
}

#[test]
fn esme01_command_length_below_16_is_nacked_and_closed() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc
        .send_raw(&header(15, u32::from(C::EnquireLink), 0, 7));
    side.smsc.expect_raw(&nack(S::InvCmdLen, 7));
    side.smsc.expect_closed(WAIT);
    assert_eq!(side.expect_link_closed(WAIT), CloseReason::BadFrame);
}

// ===== 2. command_length above the maximum =====

#[test]
fn sim02_command_length_above_the_maximum_is_nacked_and_closed() {
    let sim = Sim::start(&["--max-pdu-len", "4096"]);
    let mut bystander = sim.bound(Trx);
    for len in [0x7FFF_FFFF, 0xFFFF_FFFF, 4097] {
        let mut c = sim.bound(Trx);
        // Only the header: the length is refused before any body is
        // waited for.
        c.send_raw(&header(len, u32::from(C::SubmitSm), 0, 3));
        c.expect_raw(&nack(S::InvCmdLen, 3));
        c.expect_closed(WAIT);
    }
    bystander.ping();
    sim.assert_serving();
}

#[test]
fn esme02_command_length_above_the_maximum_is_nacked_and_closed() {
    for len in [0x7FFF_FFFF, 4097] {
        let mut side = EsmeSide::bound(|c| c.session.max_pdu_len = 4096);
        side.smsc
            .send_raw(&header(len, u32::from(C::DeliverSm), 0, 9));
        side.smsc.expect_raw(&nack(S::InvCmdLen, 9));
        side.smsc.expect_closed(WAIT);
        assert_eq!(side.expect_link_closed(WAIT), CloseReason::BadFrame);
    }
}

// ===== 3. command_length larger than the bytes that follow, then silence =====

/// Bound, with `--inactivity-secs 1`: the half PDU never completes, the
/// inactivity timer unbinds and closes; the wait costs no CPU.
#[test]
fn sim03_truncated_pdu_then_silence_is_closed_by_the_inactivity_timer() {
    let sim = Sim::start(&["--inactivity-secs", "1", "--enquire-link-secs", "0"]);
    let mut c = sim.bound(Trx);
    let cpu = sim.cpu_ticks();
    let t0 = Instant::now();
    let mut partial = header(100, u32::from(C::SubmitSm), 0, 5);
    partial.extend_from_slice(b"only twenty");
    c.send_raw(&partial);
    let unbind = c.pdu();
    assert_eq!((unbind.command_id(), unbind.status), (C::Unbind, S::Ok));
    c.expect_closed(WAIT);
    let waited = t0.elapsed();
    assert!(
        waited >= ms(800) && waited < secs(4),
        "closed after {waited:?}"
    );
    let used = sim.cpu_ticks() - cpu;
    assert!(used < 30, "smsc-sim used {used} ticks while waiting");
    sim.expect_log(&["WARN", "peer silent"]);
    sim.assert_serving();
}

/// Before any bind: only the session-init (bind) timer can end it, after
/// its fixed 10 s; meanwhile the process stays idle and serves others.
#[test]
fn sim03_truncated_header_before_bind_is_closed_by_the_session_init_timer() {
    let sim = Sim::start(&[]);
    let mut c = sim.client();
    let cpu = sim.cpu_ticks();
    let t0 = Instant::now();
    c.send_raw(&header(64, u32::from(C::BindTransmitter), 0, 1)[..10]);
    let mut other = sim.bound(Tx);
    other.ping();
    c.expect_closed(secs(13));
    let waited = t0.elapsed();
    assert!(waited >= secs(9), "closed after {waited:?}");
    let used = sim.cpu_ticks() - cpu;
    assert!(used < 50, "smsc-sim used {used} ticks while waiting");
    other.ping();
    sim.expect_log(&["WARN", "no bind completed in time"]);
}

#[test]
fn esme03_truncated_pdu_then_silence_is_closed_by_the_inactivity_timer() {
    let mut side = EsmeSide::bound(|c| c.session.inactivity_timeout = Some(ms(500)));
    let t0 = Instant::now();
    let mut partial = header(100, u32::from(C::DeliverSm), 0, 5);
    partial.extend_from_slice(b"only twenty");
    side.smsc.send_raw(&partial);
    let unbind = side.smsc.pdu();
    assert_eq!((unbind.command_id(), unbind.status), (C::Unbind, S::Ok));
    side.smsc.expect_closed(WAIT);
    assert_eq!(side.expect_link_closed(WAIT), CloseReason::Inactive);
    let waited = t0.elapsed();
    assert!(
        waited >= ms(400) && waited < secs(3),
        "closed after {waited:?}"
    );
}

// ===== 4. unknown command_id =====

#[test]
fn sim04_unknown_command_id_gets_generic_nack_and_the_session_survives() {
    let sim = Sim::start(&[]);
    // Before a bind.
    let mut c = sim.client();
    c.send_raw(&raw(0x0100_0001, 0, 12, b""));
    c.expect_raw(&nack(S::InvCmdId, 12));
    c.bind(Trx);
    // Bound: vendor, 5.0 broadcast_sm, and an id from nowhere.
    for (id, seq) in [
        (0x0000_0099, 11),
        (0x0000_0111, 0x7FFF_FFFF),
        (0x0001_0200, 1),
    ] {
        c.send_raw(&raw(id, 0, seq, b"opaque body"));
        c.expect_raw(&nack(S::InvCmdId, seq));
    }
    c.ping();
    let seq = c.next_seq();
    c.send_raw(&Sm::default().submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    sim.expect_log(&["WARN", "unknown command_id 0x00000099"]);
}

#[test]
fn esme04_unknown_command_id_gets_generic_nack_and_the_session_survives() {
    let mut side = EsmeSide::bound(|_| {});
    for (id, seq) in [(0x0000_0099, 11), (0x0100_0002, 12)] {
        side.smsc.send_raw(&raw(id, 0, seq, b"opaque body"));
        side.smsc.expect_raw(&nack(S::InvCmdId, seq));
    }
    side.expect_no_event(QUIET);
    side.assert_submits();
}

// ===== 5. a response with an unknown sequence number =====

#[test]
fn sim05_response_with_unknown_sequence_is_ignored() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    c.send_raw(&submit_resp(4242, "stray"));
    c.send_raw(&deliver_resp_ok(4243));
    c.send_raw(&enquire_link_resp(4244));
    c.send_raw(&raw(0x8000_0099, 0, 4245, b""));
    c.expect_silence(QUIET);
    c.ping();
    let seq = c.next_seq();
    c.send_raw(&Sm::default().submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    sim.expect_log(&[
        "WARN",
        "deliver_sm_resp with sequence 4243 answers no outstanding request",
    ]);
}

#[test]
fn esme05_response_with_unknown_sequence_is_ignored() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc.send_raw(&submit_resp(777, "stray"));
    side.smsc.send_raw(&enquire_link_resp(778));
    side.smsc.send_raw(&nack(S::SysErr, 779));
    side.smsc.expect_silence(QUIET);
    side.expect_no_event(QUIET);
    side.assert_submits();
}

// ===== 6. requests in a state that does not allow them =====

/// One valid request of each kind an ESME sends, and deliver_sm.
fn requests() -> Vec<Body> {
    let dest = Address::new(1, 1, "447700900123").unwrap();
    let mut payload = Tlvs::new();
    payload.push(Tlv::octets(TlvTag::MessagePayload, b"hi".to_vec()));
    vec![
        Body::SubmitSm(plain_submit()),
        Body::SubmitMulti(SubmitMulti {
            service_type: Default::default(),
            source: Address::default(),
            dests: vec![DestAddress::Sme(dest)],
            esm_class: 0,
            protocol_id: 0,
            priority_flag: 0,
            schedule_delivery_time: Default::default(),
            validity_period: Default::default(),
            registered_delivery: 0,
            replace_if_present_flag: 0,
            data_coding: smpp::pdu::DataCoding::SmscDefault,
            sm_default_msg_id: 0,
            short_message: ShortMessage::new(b"hi").unwrap(),
            tlvs: Tlvs::new(),
        }),
        Body::DataSm(DataSm {
            dest: Address::new(1, 1, "447700900123").unwrap(),
            tlvs: payload,
            ..DataSm::default()
        }),
        Body::QuerySm(QuerySm::default()),
        Body::CancelSm(CancelSm::default()),
        Body::ReplaceSm(ReplaceSm::default()),
        Body::DeliverSm(plain_submit()),
    ]
}

/// Sends `body` with the next sequence; the answer must be its own
/// response, header only, with `status`.
fn refused(c: &mut Peer, body: Body, status: S) {
    let id = body.command_id();
    let seq = c.next_seq();
    c.send(&Pdu::new(seq, body));
    c.expect_raw(&refusal(id.response().unwrap(), status, seq));
}

#[test]
fn sim06_requests_in_the_wrong_state_get_esme_rinvbndsts() {
    let sim = Sim::start(&[]);
    // OPEN: nothing but a bind (and enquire_link, 5.0) is allowed.
    let mut c = sim.client();
    for body in requests() {
        refused(&mut c, body, S::InvBndSts);
    }
    refused(&mut c, Body::Unbind, S::InvBndSts);
    c.ping();
    c.bind(Rx);
    // BOUND_RX: a receiver cannot submit, query, cancel, replace.
    for body in requests() {
        refused(&mut c, body, S::InvBndSts);
    }
    c.ping();
    // BOUND_TX and BOUND_TRX: deliver_sm goes the other way.
    for mode in [Tx, Trx] {
        let mut c = sim.bound(mode);
        refused(&mut c, Body::DeliverSm(plain_submit()), S::InvBndSts);
        let seq = c.next_seq();
        c.send_raw(&Sm::default().submit(seq));
        c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    }
    sim.expect_log(&["WARN", "submit_sm not allowed in state OPEN"]);
}

#[test]
fn esme06_requests_in_the_wrong_state_get_esme_rinvbndsts() {
    // BOUND_TRX: an SMSC does not submit, query, cancel or replace.
    let mut side = EsmeSide::bound(|_| {});
    for body in requests() {
        if matches!(body, Body::DeliverSm(_) | Body::DataSm(_)) {
            continue;
        }
        refused(&mut side.smsc, body, S::InvBndSts);
    }
    side.expect_no_event(QUIET);
    side.assert_submits();

    // BOUND_TX: nothing may be delivered to a transmitter.
    let mut side = EsmeSide::bound(|c| c.mode = Tx);
    for body in requests() {
        if let Body::DataSm(_) | Body::DeliverSm(_) = body {
            refused(&mut side.smsc, body, S::InvBndSts);
        }
    }
    side.expect_no_event(QUIET);
    side.assert_submits();

    // OPEN: a deliver_sm before the bind_resp.
    let rt = runtime();
    let fake = FakeSmsc::new();
    let esme = std::thread::scope(|s| {
        let server = s.spawn(|| {
            let mut p = fake.accept();
            let bind = p.pdu();
            assert_eq!(bind.command_id(), C::BindTransceiver);
            p.send_raw(&Sm::default().deliver(1));
            p.expect_raw(&refusal(C::DeliverSmResp, S::InvBndSts, 1));
            p.send_raw(&raw(
                u32::from(C::BindTransceiverResp),
                0,
                bind.sequence,
                &bind_resp_body(b"fake"),
            ));
            p
        });
        let esme = smpp::runtime::Esme::connect(&rt, esme_config(&fake.addr));
        let p = server.join().unwrap();
        (esme.expect("bound after the refusal"), p)
    });
    drop(esme);
}

// ===== 7. bind twice =====

#[test]
fn sim07_second_bind_gets_esme_ralybnd_and_the_session_survives() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    for mode in [Trx, Rx, Tx] {
        let resp = c.bind_with(mode, SYSTEM_ID, PASSWORD);
        assert_eq!(
            bytes(&resp),
            refusal(bind_resp_id(mode), S::AlyBnd, resp.sequence)
        );
    }
    c.ping();
    let seq = c.next_seq();
    c.send_raw(&Sm::default().submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    c.expect_silence(QUIET);

    // Two binds in one segment: the second is refused at once, the first
    // is then accepted (responses out of order are allowed).
    let mut c = sim.client();
    let body = bind_body(SYSTEM_ID.as_bytes(), PASSWORD.as_bytes());
    let mut both = raw(bind_id(Tx), 0, 1, &body);
    both.extend_from_slice(&raw(bind_id(Tx), 0, 2, &body));
    c.send_raw(&both);
    let mut got = [c.pdu(), c.pdu()];
    got.sort_by_key(|p| p.sequence);
    assert_eq!(
        (got[0].command_id(), got[0].status, got[0].sequence),
        (C::BindTransmitterResp, S::Ok, 1)
    );
    assert_eq!(
        bytes(&got[1]),
        refusal(C::BindTransmitterResp, S::AlyBnd, 2)
    );
    c.ping();
}

#[test]
fn esme07_bind_sent_to_a_bound_esme_is_refused() {
    let mut side = EsmeSide::bound(|_| {});
    let body = bind_body(b"evil", b"evil");
    side.smsc.send_raw(&raw(bind_id(Trx), 0, 40, &body));
    side.smsc
        .expect_raw(&refusal(C::BindTransceiverResp, S::AlyBnd, 40));
    side.expect_no_event(QUIET);
    side.assert_submits();
}

// ===== 8. wrong password, unknown system_id =====

#[test]
fn sim08_wrong_password_and_unknown_system_id_are_refused_and_closed() {
    let sim = Sim::start(&[]);
    let cases = [
        (SYSTEM_ID, "wrongpw", S::InvPaswd),
        (SYSTEM_ID, "", S::InvPaswd),
        ("nobody", PASSWORD, S::InvSysId),
        ("", "", S::InvSysId),
    ];
    for (system_id, password, status) in cases {
        for mode in [Tx, Rx, Trx] {
            let mut c = sim.client();
            let resp = c.bind_with(mode, system_id, password);
            assert_eq!(
                bytes(&resp),
                refusal(bind_resp_id(mode), status, resp.sequence)
            );
            c.expect_closed(WAIT);
        }
    }
    sim.expect_log(&["WARN", "by hostile with a wrong password"]);
    sim.expect_log(&["WARN", "unknown system_id nobody"]);
    sim.assert_serving();
}

/// The ESME gives up at once on bad credentials: one connection, one bind,
/// `Esme::connect` fails with the status, even with reconnecting on.
#[test]
fn esme08_refused_bind_fails_connect_without_retrying() {
    for status in [S::InvPaswd, S::InvSysId] {
        let rt = runtime();
        let fake = FakeSmsc::new();
        let mut config = esme_config(&fake.addr);
        config.reconnect = Some(Reconnect {
            min: ms(50),
            max: ms(100),
        });
        let result = std::thread::scope(|s| {
            let server = s.spawn(|| {
                let mut p = fake.accept();
                let bind = p.pdu();
                p.send_raw(&refusal(C::BindTransceiverResp, status, bind.sequence));
                p.expect_closed(WAIT);
                assert!(
                    fake.accept_within(ms(600)).is_none(),
                    "the ESME bound again after {status}"
                );
            });
            let result = smpp::runtime::Esme::connect(&rt, config);
            server.join().unwrap();
            result
        });
        match result {
            Err(EsmeError::BindRefused(s)) => assert_eq!(s, status),
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("bound despite {status}"),
        }
    }
}

// ===== 9. over-long C-Octet strings =====

#[test]
fn sim09_overlong_bind_strings_are_refused_with_the_field_status() {
    let sim = Sim::start(&[]);
    let mut c = sim.client();
    let cases: [(&[u8], &[u8], S); 4] = [
        (b"ABCDEFGHIJKLMNOPQ", PASSWORD.as_bytes(), S::InvSysId), // 17
        (b"ABCDEFGHIJKLMNOP", PASSWORD.as_bytes(), S::InvSysId),  // 16: no room for the NUL
        (SYSTEM_ID.as_bytes(), b"123456789", S::InvPaswd),        // 9
        (SYSTEM_ID.as_bytes(), b"1234567890123", S::InvPaswd),
    ];
    for (system_id, password, status) in cases {
        let seq = c.next_seq();
        c.send_raw(&raw(bind_id(Tx), 0, seq, &bind_body(system_id, password)));
        c.expect_raw(&refusal(C::BindTransmitterResp, status, seq));
    }
    // A malformed bind leaves the session OPEN: a good one still binds.
    c.ping();
    c.bind(Tx);
    c.ping();
    sim.expect_log(&["WARN", "malformed PDU: bind_transmitter", "system_id"]);
}

#[test]
fn sim09_overlong_submit_addresses_are_refused_with_the_field_status() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Tx);
    let cases = [
        (
            Sm {
                dest: b"1234567890123456789012".to_vec(), // 22
                ..Sm::default()
            },
            S::InvDstAdr,
        ),
        (
            Sm {
                dest: b"123456789012345678901".to_vec(), // 21: no room for the NUL
                ..Sm::default()
            },
            S::InvDstAdr,
        ),
        (
            Sm {
                source: b"ABCDEFGHIJKLMNOPQRSTUV".to_vec(),
                ..Sm::default()
            },
            S::InvSrcAdr,
        ),
        (
            Sm {
                service_type: b"TOOLONG".to_vec(),
                ..Sm::default()
            },
            S::InvSerTyp,
        ),
    ];
    for (sm, status) in cases {
        let seq = c.next_seq();
        c.send_raw(&sm.submit(seq));
        c.expect_raw(&refusal(C::SubmitSmResp, status, seq));
    }
    // 20 characters is the most a destination_addr holds.
    let seq = c.next_seq();
    let twenty = Sm {
        dest: b"12345678901234567890".to_vec(),
        ..Sm::default()
    };
    c.send_raw(&twenty.submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
}

#[test]
fn esme09_overlong_deliver_addresses_are_refused_with_the_field_status() {
    let mut side = EsmeSide::bound(|_| {});
    let cases = [
        (
            Sm {
                dest: b"1234567890123456789012".to_vec(),
                ..Sm::default()
            },
            S::InvDstAdr,
        ),
        (
            Sm {
                source: b"ABCDEFGHIJKLMNOPQRSTUV".to_vec(),
                ..Sm::default()
            },
            S::InvSrcAdr,
        ),
    ];
    for (seq, (sm, status)) in (1..).zip(cases) {
        side.smsc.send_raw(&sm.deliver(seq));
        side.smsc
            .expect_raw(&refusal(C::DeliverSmResp, status, seq));
    }
    side.expect_no_event(QUIET);
    side.assert_submits();
}

/// A bind_resp whose system_id has no NUL within 16 octets: the ESME
/// cannot read it, says so with generic_nack, and its bind then times out.
#[test]
fn esme09_overlong_system_id_in_bind_resp_fails_the_bind() {
    let rt = runtime();
    let fake = FakeSmsc::new();
    let mut config = esme_config(&fake.addr);
    config.session.bind_timeout = ms(500);
    let t0 = Instant::now();
    let result = std::thread::scope(|s| {
        let server = s.spawn(|| {
            let mut p = fake.accept();
            let bind = p.pdu();
            p.send_raw(&raw(
                u32::from(C::BindTransceiverResp),
                0,
                bind.sequence,
                &bind_resp_body(b"ABCDEFGHIJKLMNOPQ"),
            ));
            p.expect_raw(&nack(S::InvSysId, bind.sequence));
            p.expect_closed(WAIT);
        });
        let result = smpp::runtime::Esme::connect(&rt, config);
        server.join().unwrap();
        result
    });
    assert!(result.is_err(), "bound on an unreadable bind_resp");
    assert!(t0.elapsed() < WAIT, "took {:?}", t0.elapsed());
}

// ===== 10. a missing NUL at the end of the body =====

#[test]
fn sim10_missing_nul_at_the_end_of_the_body_is_esme_rinvcmdlen() {
    let sim = Sim::start(&[]);
    let mut c = sim.client();
    // A bind whose address_range (the last field) has no NUL.
    let mut body = bind_body(SYSTEM_ID.as_bytes(), PASSWORD.as_bytes());
    body.pop();
    body.extend_from_slice(b"123");
    let seq = c.next_seq();
    c.send_raw(&raw(bind_id(Trx), 0, seq, &body));
    c.expect_raw(&refusal(C::BindTransceiverResp, S::InvCmdLen, seq));
    c.bind(Trx);
    // query_sm and cancel_sm end with a C-Octet string too.
    let query = bytes(&Pdu::new(1, Body::QuerySm(QuerySm::default())));
    let cancel = bytes(&Pdu::new(1, Body::CancelSm(CancelSm::default())));
    for (id, pdu) in [(C::QuerySm, query), (C::CancelSm, cancel)] {
        let mut body = pdu[16..pdu.len() - 1].to_vec();
        body.extend_from_slice(b"447700900123");
        let seq = c.request_raw(id, &body);
        c.expect_raw(&refusal(id.response().unwrap(), S::InvCmdLen, seq));
    }
    c.ping();
}

#[test]
fn esme10_missing_nul_at_the_end_of_the_body_is_esme_rinvcmdlen() {
    let mut side = EsmeSide::bound(|c| c.session.response_timeout = ms(600));
    // A deliver_sm cut inside its first C-Octet string.
    side.smsc
        .send_raw(&raw(u32::from(C::DeliverSm), 0, 3, b"CMT"));
    side.smsc
        .expect_raw(&refusal(C::DeliverSmResp, S::InvCmdLen, 3));
    side.expect_no_event(QUIET);

    // A submit_sm_resp whose message_id has no NUL: the ESME cannot read
    // it, nacks it, and the submit ends as "no response in time".
    let t0 = Instant::now();
    std::thread::scope(|s| {
        let esme = &side.esme;
        let caller = s.spawn(move || esme.submit(plain_submit()));
        let submit = side.smsc.pdu();
        assert_eq!(submit.command_id(), C::SubmitSm);
        side.smsc
            .send_raw(&raw(u32::from(C::SubmitSmResp), 0, submit.sequence, b"abc"));
        side.smsc.expect_raw(&nack(S::InvCmdLen, submit.sequence));
        assert_eq!(caller.join().unwrap(), Err(SubmitError::Timeout));
    });
    assert!(t0.elapsed() < secs(2), "took {:?}", t0.elapsed());
    side.assert_submits();
}

// ===== 11. sm_length past the body =====

#[test]
fn sim11_sm_length_past_the_body_is_esme_rinvmsglen() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Tx);
    for (sm_length, tail) in [
        (50u8, &b""[..]),
        (6, b""),
        (200, b"\x02\x04\x00\x02\x00\x01"),
    ] {
        let sm = Sm {
            sm_length: Some(sm_length),
            tail: tail.to_vec(),
            ..Sm::default()
        };
        let seq = c.next_seq();
        c.send_raw(&sm.submit(seq));
        c.expect_raw(&refusal(C::SubmitSmResp, S::InvMsgLen, seq));
    }
    c.ping();
}

#[test]
fn esme11_sm_length_past_the_body_is_esme_rinvmsglen() {
    let mut side = EsmeSide::bound(|_| {});
    let sm = Sm {
        sm_length: Some(50),
        ..Sm::default()
    };
    side.smsc.send_raw(&sm.deliver(4));
    side.smsc
        .expect_raw(&refusal(C::DeliverSmResp, S::InvMsgLen, 4));
    side.expect_no_event(QUIET);
    side.assert_submits();
}

// ===== 12. a TLV running past the PDU =====

/// TLV tails that do not fit the PDU: a length past the end, and one to
/// three stray octets (a TLV header cut short).
fn broken_tlv_tails() -> Vec<Vec<u8>> {
    let mut overrun = tlv(0x0204, &[0, 1]);
    overrun[3] = 10; // claims 10 octets, 2 follow
    vec![overrun, vec![0x02], vec![0x02, 0x04, 0x00]]
}

#[test]
fn sim12_tlv_running_past_the_pdu_is_esme_rinvoptparstream() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Tx);
    for tail in broken_tlv_tails() {
        let sm = Sm {
            tail,
            ..Sm::default()
        };
        let seq = c.next_seq();
        c.send_raw(&sm.submit(seq));
        c.expect_raw(&refusal(C::SubmitSmResp, S::InvOptParStream, seq));
    }
    c.ping();
    sim.expect_log(&["WARN", "TLV stream"]);
}

#[test]
fn esme12_tlv_running_past_the_pdu_is_esme_rinvoptparstream() {
    let mut side = EsmeSide::bound(|_| {});
    for (seq, tail) in (10..).zip(broken_tlv_tails()) {
        let sm = Sm {
            tail,
            ..Sm::default()
        };
        side.smsc.send_raw(&sm.deliver(seq));
        side.smsc
            .expect_raw(&refusal(C::DeliverSmResp, S::InvOptParStream, seq));
    }
    side.expect_no_event(QUIET);
    side.assert_submits();
}

// ===== 13. a duplicated TLV =====

/// Two message_payload TLVs: accepted, and the first one is the message
/// (the receipt's text: field shows it).
#[test]
fn sim13_duplicated_tlv_is_accepted_and_the_first_wins() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    let mut tail = tlv(0x0424, b"FIRST payload");
    tail.extend_from_slice(&tlv(0x0424, b"SECOND payload"));
    tail.extend_from_slice(&tlv(0x0204, &[0, 1]));
    tail.extend_from_slice(&tlv(0x0204, &[0, 2]));
    let sm = Sm {
        short_message: Vec::new(),
        registered_delivery: 1,
        tail,
        ..Sm::default()
    };
    let seq = c.next_seq();
    c.send_raw(&sm.submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    let receipt = c.pdu();
    let Body::DeliverSm(d) = &receipt.body else {
        panic!("expected a receipt, got {receipt:?}");
    };
    let text = String::from_utf8_lossy(d.short_message.as_bytes()).into_owned();
    assert!(text.ends_with("text:FIRST payload"), "{text}");
    c.send_raw(&deliver_resp_ok(receipt.sequence));
    c.ping();
}

#[test]
fn esme13_duplicated_tlv_is_accepted_and_the_first_wins() {
    let mut side = EsmeSide::bound(|_| {});
    let mut tail = tlv(0x001E, b"first-id\0");
    tail.extend_from_slice(&tlv(0x001E, b"second-id\0"));
    tail.extend_from_slice(&tlv(0x0427, &[2]));
    tail.extend_from_slice(&tlv(0x0427, &[5]));
    let sm = Sm {
        esm_class: 0x04,
        short_message: Vec::new(),
        tail,
        ..Sm::default()
    };
    side.smsc.send_raw(&sm.deliver(21));
    let d = side.delivery();
    let receipt = d.receipt.clone().expect("a receipt");
    assert_eq!(receipt.id, "first-id");
    assert_eq!(
        receipt.stat,
        Some(smpp::receipt::MessageState::Delivered),
        "{receipt:?}"
    );
    d.ack();
    side.smsc.expect_raw(&deliver_resp_ok(21));
    side.assert_submits();
}

// ===== 14. garbage after a valid PDU in the same segment =====

#[test]
fn sim14_garbage_after_a_valid_pdu_is_handled_by_its_length() {
    let sim = Sim::start(&[]);
    // Garbage whose first word is an impossible length: the valid PDU is
    // answered, then generic_nack (sequence from the garbage's octets
    // 12..16) and the close.
    let mut c = sim.bound(Trx);
    let mut segment = enquire_link(5);
    segment.extend_from_slice(b"GARBAGE!GARBAGE!GARBAGE!");
    c.send_raw(&segment);
    c.expect_raw(&enquire_link_resp(5));
    c.expect_raw(&nack(S::InvCmdLen, u32::from_be_bytes(*b"AGE!")));
    c.expect_closed(WAIT);

    // Garbage that frames (a plausible length): an unknown command,
    // nacked; the session goes on.
    let mut c = sim.bound(Trx);
    let mut segment = enquire_link(6);
    segment.extend_from_slice(&raw(0x5EAD_BEEF, 0xFFFF_FFFF, 7, b"\xFF\xFE\xFD"));
    c.send_raw(&segment);
    c.expect_raw(&enquire_link_resp(6));
    c.expect_raw(&nack(S::InvCmdId, 7));
    c.ping();

    // Fewer than four octets of garbage: the start of a PDU that never
    // completes; the session answers the valid one and waits.
    let mut c = sim.bound(Trx);
    let mut segment = enquire_link(8);
    segment.extend_from_slice(b"\x00\x00");
    c.send_raw(&segment);
    c.expect_raw(&enquire_link_resp(8));
    c.expect_silence(QUIET);
    // ...and the next bytes complete that PDU: 00 00 | 00 10 ... is an
    // enquire_link of length 16.
    c.send_raw(&enquire_link(9)[2..]);
    c.expect_raw(&enquire_link_resp(9));
    sim.assert_serving();
}

#[test]
fn esme14_garbage_after_a_valid_pdu_is_handled_by_its_length() {
    let mut side = EsmeSide::bound(|_| {});
    let mut segment = enquire_link(6);
    segment.extend_from_slice(&raw(0x5EAD_BEEF, 0xFFFF_FFFF, 7, b"\xFF\xFE\xFD"));
    side.smsc.send_raw(&segment);
    side.smsc.expect_raw(&enquire_link_resp(6));
    side.smsc.expect_raw(&nack(S::InvCmdId, 7));
    side.assert_submits();

    let mut segment = enquire_link(5);
    segment.extend_from_slice(b"GARBAGE!GARBAGE!GARBAGE!");
    side.smsc.send_raw(&segment);
    side.smsc.expect_raw(&enquire_link_resp(5));
    side.smsc
        .expect_raw(&nack(S::InvCmdLen, u32::from_be_bytes(*b"AGE!")));
    side.smsc.expect_closed(WAIT);
    assert_eq!(side.expect_link_closed(WAIT), CloseReason::BadFrame);
}

// ===== 15. one byte at a time (slowloris) =====

/// A bind that arrives one octet every 25 ms is still answered, and while
/// it trickles in another client is served at full speed.
#[test]
fn sim15_bind_one_byte_at_a_time_is_answered_and_blocks_no_one() {
    let sim = Sim::start(&[]);
    let mut slow = sim.client();
    let bind = raw(
        bind_id(Trx),
        0,
        1,
        &bind_body(SYSTEM_ID.as_bytes(), PASSWORD.as_bytes()),
    );
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut stream = slow.stream.try_clone().unwrap();
            for b in &bind {
                stream.write_all(std::slice::from_ref(b)).unwrap();
                std::thread::sleep(ms(25));
            }
        });
        let mut other = sim.bound(Tx);
        let mut rounds = 0;
        while !writer.is_finished() {
            let t = Instant::now();
            other.ping();
            assert!(t.elapsed() < SERVED, "ping took {:?}", t.elapsed());
            rounds += 1;
        }
        assert!(rounds > 10, "only {rounds} pings while the bind trickled");
        writer.join().unwrap();
    });
    let resp = slow.pdu();
    assert_eq!(
        (resp.command_id(), resp.status, resp.sequence),
        (C::BindTransceiverResp, S::Ok, 1)
    );
    slow.ping();
}

/// The bind_resp arrives one octet at a time: the ESME still binds, and
/// another ESME on the same runtime works meanwhile.
#[test]
fn esme15_bind_resp_one_byte_at_a_time_binds_and_blocks_no_one() {
    let rt = runtime();
    let slow_smsc = FakeSmsc::new();
    let other_smsc = FakeSmsc::new();
    std::thread::scope(|s| {
        let trickle = s.spawn(|| {
            let mut p = slow_smsc.accept();
            let bind = p.pdu();
            let resp = raw(
                u32::from(C::BindTransceiverResp),
                0,
                bind.sequence,
                &bind_resp_body(b"slow"),
            );
            for b in &resp {
                p.send_raw(std::slice::from_ref(b));
                std::thread::sleep(ms(40));
            }
            p
        });
        let slow = s.spawn(|| smpp::runtime::Esme::connect(&rt, esme_config(&slow_smsc.addr)));
        // Meanwhile: another link on the same runtime binds and submits.
        let server = s.spawn(|| other_smsc.accept_bind());
        let other = smpp::runtime::Esme::connect(&rt, esme_config(&other_smsc.addr)).unwrap();
        let mut p = server.join().unwrap();
        let submitter = s.spawn(move || other.submit(plain_submit()));
        let submit = p.pdu();
        p.send_raw(&submit_resp(submit.sequence, "x1"));
        assert_eq!(submitter.join().unwrap().unwrap().status, S::Ok);
        assert!(!trickle.is_finished(), "the bind_resp trickled too fast");
        let _p = trickle.join().unwrap();
        slow.join().unwrap().expect("bound byte by byte");
    });
}

/// An SMSC that never answers the bind: the ESME's bind timer ends it.
#[test]
fn esme15_silent_smsc_is_left_when_the_bind_timer_fires() {
    let rt = runtime();
    let fake = FakeSmsc::new();
    let mut config = esme_config(&fake.addr);
    config.session.bind_timeout = ms(400);
    let t0 = Instant::now();
    std::thread::scope(|s| {
        let server = s.spawn(|| {
            let mut p = fake.accept();
            assert_eq!(p.pdu().command_id(), C::BindTransceiver);
            p.expect_closed(WAIT);
        });
        let result = smpp::runtime::Esme::connect(&rt, config);
        server.join().unwrap();
        match result {
            Err(EsmeError::Timeout(_)) => {}
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("bound to a silent SMSC"),
        }
    });
    let waited = t0.elapsed();
    assert!(waited >= ms(350) && waited < secs(2), "took {waited:?}");
}

// ===== 16. a peer that never answers enquire_link =====

/// smsc-sim probes after 1 idle second; the peer stays silent; the
/// inactivity timer (3 s) ends the session with an unbind.
#[test]
fn sim16_unanswered_enquire_link_then_inactivity_closes() {
    let sim = Sim::start(&["--enquire-link-secs", "1", "--inactivity-secs", "3"]);
    let mut c = sim.bound(Trx);
    let t0 = Instant::now();
    let probe = c.pdu();
    assert_eq!((probe.command_id(), probe.status), (C::EnquireLink, S::Ok));
    let at = t0.elapsed();
    assert!(at >= ms(800) && at < ms(2500), "enquire_link after {at:?}");
    // Each probe waits one interval for its answer, then the next goes out,
    // until the inactivity timer ends the session with an unbind.
    let unbind = loop {
        let pdu = c.pdu();
        if pdu.command_id() != C::EnquireLink {
            break pdu;
        }
    };
    assert_eq!(unbind.command_id(), C::Unbind);
    c.expect_closed(WAIT);
    let at = t0.elapsed();
    assert!(at >= ms(2800) && at < secs(5), "closed after {at:?}");
    sim.assert_serving();
}

/// With `--enquire-link-secs 1` alone, the misses should end the session
/// within a few seconds: 3 probes unanswered.
#[test]
fn sim16_unanswered_enquire_links_close_the_session() {
    let sim = Sim::start(&["--enquire-link-secs", "1"]);
    let mut c = sim.bound(Trx);
    let frames = c.drain_until_closed(secs(10));
    let probes = frames
        .iter()
        .filter(|f| Pdu::decode(f).is_ok_and(|p| p.command_id() == C::EnquireLink))
        .count();
    assert!(probes >= 1, "{frames:02X?}");
    sim.expect_log(&["WARN", "enquire_link unanswered"]);
}

#[test]
fn esme16_unanswered_enquire_links_close_after_the_configured_misses() {
    let mut side = EsmeSide::bound(|c| {
        c.session.enquire_link_interval = Some(ms(200));
        c.session.response_timeout = ms(300);
        c.session.enquire_link_max_missed = 2;
    });
    let t0 = Instant::now();
    let first = side.smsc.pdu();
    let second = side.smsc.pdu();
    for p in [&first, &second] {
        assert_eq!((p.command_id(), p.status), (C::EnquireLink, S::Ok));
    }
    assert_ne!(first.sequence, second.sequence);
    side.smsc.expect_closed(WAIT);
    assert_eq!(side.expect_link_closed(WAIT), CloseReason::LinkDead);
    let at = t0.elapsed();
    assert!(at >= ms(600) && at < secs(2), "closed after {at:?}");
}

// ===== 17. a peer that never reads =====

/// 4096 enquire_links, sequences 1 to 4096.
fn enquire_link_block() -> Vec<u8> {
    (1..=4096u32).flat_map(enquire_link).collect()
}

/// Writes enquire_links to `stream` without reading until a write blocks
/// for a second (the other side stopped reading): `Ok(octets written)`;
/// `Err(octets written)` if `limit` octets went in without a block.
fn flood_until_stalled(stream: &mut std::net::TcpStream, limit: usize) -> Result<usize, usize> {
    stream.set_write_timeout(Some(secs(1))).unwrap();
    let block = enquire_link_block();
    let (mut pos, mut written) = (0, 0);
    let t0 = Instant::now();
    while written < limit && t0.elapsed() < secs(20) {
        match stream.write(&block[pos..]) {
            Ok(n) => {
                written += n;
                pos = (pos + n) % block.len();
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(written);
            }
            Err(e) => panic!("flood write failed after {written} octets: {e}"),
        }
    }
    Err(written)
}

/// Reads the answers to `written` octets of [`enquire_link_block`]s: one
/// enquire_link_resp per whole enquire_link, in order, none lost. A flood
/// that stalled inside an enquire_link gets its last octets written once
/// the peer reads again, so the stream stays framed.
fn read_flood_answers(stream: &mut std::net::TcpStream, written: usize) {
    use std::io::{Read, Write};
    let partial = written % 16;
    let expected = written.div_ceil(16);
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let (mut have, mut seen) = (0usize, 0usize);
    let mut completed = partial == 0;
    while seen < expected {
        if !completed && seen + 1 == expected {
            let last = enquire_link(((expected - 1) % 4096) as u32 + 1);
            stream.set_write_timeout(Some(WAIT)).unwrap();
            stream.write_all(&last[partial..]).unwrap();
            completed = true;
        }
        let n = match stream.read(&mut buf[have..]) {
            Ok(0) => panic!("closed after {seen} of {expected} answers"),
            Ok(n) => n,
            Err(e) => panic!("{e} after {seen} of {expected} answers"),
        };
        have += n;
        let whole = have / 16 * 16;
        for resp in buf[..whole].chunks_exact(16) {
            let want = enquire_link_resp((seen % 4096) as u32 + 1);
            assert_eq!(resp, &want[..], "answer {seen} of {expected}");
            seen += 1;
        }
        buf.copy_within(whole..have, 0);
        have -= whole;
    }
}

/// This process's resident memory, in KiB.
fn own_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A flooding client that never reads: smsc-sim should stop reading it
/// once a few MiB of answers wait (its writes then block), keep its memory
/// flat, and keep serving a client on the same worker.
#[test]
fn sim17_peer_that_never_reads_is_paused_not_buffered() {
    let sim = Sim::start(&["--workers", "1"]);
    let mut flooder = sim.bound(Trx);
    let mut other = sim.bound(Tx);
    let rss_before = sim.rss_kib();
    let flood = flood_until_stalled(&mut flooder.stream, 256 << 20);
    let grown = sim.rss_kib().saturating_sub(rss_before);
    let written = flood.unwrap_or_else(|n| {
        panic!("smsc-sim still reads after {n} octets went unanswered; it grew {grown} KiB")
    });
    assert!(grown < 128 * 1024, "smsc-sim grew {grown} KiB");
    let t = Instant::now();
    other.ping();
    assert!(t.elapsed() < SERVED, "ping took {:?}", t.elapsed());
    read_flood_answers(&mut flooder.stream, written);
    flooder.ping();
}

/// What holds today: a 4 MiB burst left unread for a while loses nothing
/// (every answer arrives, in order), and another client is served.
#[test]
fn sim17_unread_burst_loses_nothing_and_others_are_served() {
    let sim = Sim::start(&[]);
    let mut flooder = sim.bound(Trx);
    let block = enquire_link_block();
    for _ in 0..64 {
        flooder.send_raw(&block);
    }
    std::thread::sleep(ms(300));
    let mut other = sim.bound(Tx);
    other.ping();
    read_flood_answers(&mut flooder.stream, 64 * block.len());
    flooder.expect_silence(QUIET);
    flooder.ping();
    other.ping();
}

#[test]
fn esme17_peer_that_never_reads_is_paused_not_buffered() {
    let rt = smpp::runtime::Runtime::start(smpp::runtime::RuntimeConfig {
        workers: 1,
        ..Default::default()
    })
    .unwrap();
    let mut side = EsmeSide::bound_on(rt, |_| {});
    let rss_before = own_rss_kib();
    let flood = flood_until_stalled(&mut side.smsc.stream, 256 << 20);
    let grown = own_rss_kib().saturating_sub(rss_before);
    let written = flood.unwrap_or_else(|n| {
        panic!(
            "the ESME still reads after {n} octets went unanswered; the process grew {grown} KiB"
        )
    });
    assert!(grown < 128 * 1024, "grew {grown} KiB");
    // Another ESME on the same (only) worker is served meanwhile.
    let other_smsc = FakeSmsc::new();
    std::thread::scope(|s| {
        let server = s.spawn(|| other_smsc.accept_bind());
        let other = smpp::runtime::Esme::connect(&side.rt, esme_config(&other_smsc.addr)).unwrap();
        let mut p = server.join().unwrap();
        let t = Instant::now();
        let submitter = s.spawn(move || other.submit(plain_submit()));
        let submit = p.pdu();
        p.send_raw(&submit_resp(submit.sequence, "x2"));
        assert_eq!(submitter.join().unwrap().unwrap().status, S::Ok);
        assert!(t.elapsed() < SERVED, "submit took {:?}", t.elapsed());
    });
    read_flood_answers(&mut side.smsc.stream, written);
    side.assert_submits();
}

#[test]
fn esme17_unread_burst_loses_nothing_and_others_are_served() {
    let mut side = EsmeSide::bound(|_| {});
    let block = enquire_link_block();
    for _ in 0..64 {
        side.smsc.send_raw(&block);
    }
    std::thread::sleep(ms(300));
    let other_smsc = FakeSmsc::new();
    std::thread::scope(|s| {
        let server = s.spawn(|| other_smsc.accept_bind());
        let other = smpp::runtime::Esme::connect(&side.rt, esme_config(&other_smsc.addr)).unwrap();
        let mut p = server.join().unwrap();
        let submitter = s.spawn(move || other.submit(plain_submit()));
        let submit = p.pdu();
        p.send_raw(&submit_resp(submit.sequence, "x2"));
        assert_eq!(submitter.join().unwrap().unwrap().status, S::Ok);
    });
    read_flood_answers(&mut side.smsc.stream, 64 * block.len());
    side.smsc.expect_silence(QUIET);
    side.assert_submits();
}

// ===== 18. connections past --max-sessions =====

#[test]
fn sim18_connections_past_max_sessions_are_closed_and_others_unaffected() {
    let sim = Sim::start(&["--max-sessions", "2"]);
    let mut a = sim.bound(Trx);
    let mut b = sim.bound(Tx);
    let mut refused: Vec<Peer> = (0..8).map(|_| sim.client()).collect();
    for c in &mut refused {
        // Writing may already fail (reset): the close is what counts.
        let _ = c.stream.write_all(&raw(
            bind_id(Trx),
            0,
            1,
            &bind_body(SYSTEM_ID.as_bytes(), PASSWORD.as_bytes()),
        ));
        c.expect_closed(WAIT);
    }
    a.ping();
    b.ping();
    let seq = b.next_seq();
    b.send_raw(&Sm::default().submit(seq));
    b.expect_resp(C::SubmitSmResp, S::Ok, seq);
    sim.expect_log(&["WARN", "session limit 2 reached"]);
    // A slot freed is a slot available again.
    drop(a);
    let deadline = Instant::now() + WAIT;
    let mut c = loop {
        let mut c = sim.client();
        let seq = c.next_seq();
        let _ = c.stream.write_all(&raw(
            bind_id(Trx),
            0,
            seq,
            &bind_body(SYSTEM_ID.as_bytes(), PASSWORD.as_bytes()),
        ));
        match c.next(WAIT) {
            Got::Frame(f) => {
                assert_eq!(Pdu::decode(&f).unwrap().status, S::Ok);
                break c;
            }
            _ => assert!(Instant::now() < deadline, "no slot freed"),
        }
        std::thread::sleep(ms(50));
    };
    c.ping();
    b.ping();
}

// ===== 19. unbind while requests are outstanding =====

/// The ESME unbinds behind three submits in one segment: smsc-sim should
/// answer all three, then the unbind, then close.
#[test]
fn sim19_unbind_behind_outstanding_requests_answers_them_first() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    let mut segment = Vec::new();
    for seq in 2..=4 {
        segment.extend_from_slice(&Sm::default().submit(seq));
    }
    segment.extend_from_slice(&raw(u32::from(C::Unbind), 0, 5, b""));
    c.send_raw(&segment);
    for (seq, id) in (2..=4).zip(["00000001", "00000002", "00000003"]) {
        c.expect_raw(&submit_resp(seq, id));
    }
    c.expect_raw(&raw(u32::from(C::UnbindResp), 0, 5, b""));
    c.expect_closed(WAIT);
}

/// smsc-sim has a receipt outstanding (unanswered) when the ESME unbinds:
/// the unbind is answered and the session ends anyway.
#[test]
fn sim19_unbind_with_the_smscs_own_request_outstanding() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    let sm = Sm {
        registered_delivery: 1,
        ..Sm::default()
    };
    let seq = c.next_seq();
    c.send_raw(&sm.submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    let receipt = c.pdu();
    assert_eq!(receipt.command_id(), C::DeliverSm);
    let seq = c.next_seq();
    c.send_raw(&raw(u32::from(C::Unbind), 0, seq, b""));
    c.expect_raw(&raw(u32::from(C::UnbindResp), 0, seq, b""));
    c.expect_closed(WAIT);
    sim.assert_serving();
}

/// The SMSC unbinds with three submits unanswered: the ESME answers the
/// unbind and hands each submit back as "link lost, maybe delivered".
#[test]
fn esme19_smsc_unbinds_with_submits_outstanding() {
    let mut side = EsmeSide::bound(|_| {});
    let tickets: Vec<_> = (0..3)
        .map(|_| {
            side.esme
                .submit_async(Body::SubmitSm(plain_submit()), SubmitMode::FailFast)
                .unwrap()
        })
        .collect();
    for _ in 0..3 {
        assert_eq!(side.smsc.pdu().command_id(), C::SubmitSm);
    }
    side.smsc.send_raw(&raw(u32::from(C::Unbind), 0, 9, b""));
    side.smsc
        .expect_raw(&raw(u32::from(C::UnbindResp), 0, 9, b""));
    side.smsc.expect_closed(WAIT);
    let mut done: Vec<_> = (0..3)
        .map(|_| side.esme.completions().recv_timeout(WAIT).unwrap())
        .collect();
    done.sort_by_key(|c| c.ticket);
    for (c, t) in done.iter().zip(&tickets) {
        assert_eq!(c.ticket, *t);
        assert_eq!(
            c.outcome,
            Err(SubmitError::LinkLost {
                maybe_delivered: true
            })
        );
    }
    assert_eq!(side.expect_link_closed(WAIT), CloseReason::Unbound);
}

/// The SMSC sends a deliver_sm and an unbind in one segment to an ESME
/// that acknowledges deliveries at once: the deliver_sm should be
/// answered before the unbind.
#[test]
fn esme19_unbind_behind_a_delivery_answers_the_delivery_first() {
    let mut side = EsmeSide::bound(|c| c.auto_ack = true);
    let mut segment = Sm::default().deliver(7);
    segment.extend_from_slice(&raw(u32::from(C::Unbind), 0, 8, b""));
    side.smsc.send_raw(&segment);
    let frames = side.smsc.drain_until_closed(WAIT);
    // The application has the message...
    assert_eq!(side.delivery().pdu.sequence, 7);
    // ...and the SMSC must hear that it was taken.
    let got: Vec<Pdu> = frames.iter().map(|f| Pdu::decode(f).unwrap()).collect();
    assert_eq!(
        frames,
        vec![deliver_resp_ok(7), raw(u32::from(C::UnbindResp), 0, 8, b"")],
        "{got:?}"
    );
}

// ===== 20. generic_nack with sequence 0 =====

#[test]
fn sim20_generic_nack_with_sequence_0_is_ignored() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    c.send_raw(&nack(S::InvCmdLen, 0));
    c.send_raw(&nack(S::Ok, 0));
    c.expect_silence(QUIET);
    c.ping();
    // Also before a bind.
    let mut c = sim.client();
    c.send_raw(&nack(S::InvCmdId, 0));
    c.expect_silence(QUIET);
    c.bind(Tx);
}

#[test]
fn esme20_generic_nack_with_sequence_0_is_ignored() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc.send_raw(&nack(S::InvCmdLen, 0));
    side.smsc.expect_silence(QUIET);
    side.expect_no_event(QUIET);
    // A sequence-0 nack while a submit is outstanding does not end it.
    std::thread::scope(|s| {
        let esme = &side.esme;
        let caller = s.spawn(move || esme.submit(plain_submit()));
        let submit = side.smsc.pdu();
        side.smsc.send_raw(&nack(S::SysErr, 0));
        std::thread::sleep(ms(100));
        assert!(
            !caller.is_finished(),
            "the nack for sequence 0 ended a submit"
        );
        side.smsc.send_raw(&submit_resp(submit.sequence, "n0"));
        assert_eq!(caller.join().unwrap().unwrap().status, S::Ok);
    });
}

// ===== 21. a response with the right sequence but the wrong command id =====

#[test]
fn sim21_response_with_matching_sequence_but_wrong_id_is_ignored() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    let sm = Sm {
        registered_delivery: 1,
        ..Sm::default()
    };
    let seq = c.next_seq();
    c.send_raw(&sm.submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    let receipt = c.pdu();
    assert_eq!(receipt.command_id(), C::DeliverSm);
    let r = receipt.sequence;
    // submit_sm_resp and data_sm_resp were never asked for.
    c.send_raw(&submit_resp(r, "bogus"));
    c.send_raw(&raw(u32::from(C::DataSmResp), 0, r, b"bogus\0"));
    c.expect_silence(QUIET);
    sim.expect_log(&[
        "WARN",
        &format!("submit_sm_resp with sequence {r} answers no outstanding request"),
    ]);
    // The real answer still matches.
    c.send_raw(&deliver_resp_ok(r));
    c.expect_silence(QUIET);
    c.ping();
    assert!(
        !sim.log()
            .iter()
            .any(|l| l.contains(&format!("deliver_sm_resp with sequence {r}"))),
        "{:#?}",
        sim.log()
    );
}

#[test]
fn esme21_response_with_matching_sequence_but_wrong_id_is_ignored() {
    let mut side = EsmeSide::bound(|_| {});
    std::thread::scope(|s| {
        let esme = &side.esme;
        let caller = s.spawn(move || esme.submit(plain_submit()));
        let submit = side.smsc.pdu();
        let seq = submit.sequence;
        side.smsc
            .send_raw(&raw(u32::from(C::QuerySmResp), 0, seq, b"x\0\0\x02\x00"));
        side.smsc
            .send_raw(&raw(u32::from(C::DataSmResp), 0, seq, b"x\0"));
        side.smsc.send_raw(&deliver_resp_ok(seq));
        side.smsc.send_raw(&enquire_link_resp(seq));
        side.smsc.expect_silence(QUIET);
        assert!(!caller.is_finished(), "a wrong response ended the submit");
        side.smsc.send_raw(&submit_resp(seq, "right"));
        let resp = caller.join().unwrap().unwrap();
        assert_eq!((resp.command_id(), resp.sequence), (C::SubmitSmResp, seq));
    });
}

// ===== 22. outbind sent to an SMSC =====

#[test]
fn sim22_outbind_sent_to_the_smsc_gets_generic_nack() {
    let sim = Sim::start(&[]);
    let body = outbind_body(b"evil", b"evil");
    let mut c = sim.client();
    let seq = c.request_raw(C::Outbind, &body);
    c.expect_raw(&nack(S::InvBndSts, seq));
    c.bind(Trx);
    let seq = c.request_raw(C::Outbind, &body);
    c.expect_raw(&nack(S::InvBndSts, seq));
    c.ping();
}

#[test]
fn esme22_outbind_sent_to_a_bound_esme_gets_generic_nack() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc.send_raw(&raw(
        u32::from(C::Outbind),
        0,
        30,
        &outbind_body(b"fake", b"pw"),
    ));
    side.smsc.expect_raw(&nack(S::InvBndSts, 30));
    side.expect_no_event(QUIET);
    side.assert_submits();
}

/// An outbind while the ESME waits for its bind_resp: the ESME drops the
/// connection (no PDU), and `Esme::connect` fails.
#[test]
fn esme22_outbind_before_the_bind_resp_closes_the_connection() {
    let rt = runtime();
    let fake = FakeSmsc::new();
    let result = std::thread::scope(|s| {
        let server = s.spawn(|| {
            let mut p = fake.accept();
            assert_eq!(p.pdu().command_id(), C::BindTransceiver);
            p.send_raw(&raw(
                u32::from(C::Outbind),
                0,
                1,
                &outbind_body(b"fake", b"pw"),
            ));
            p.expect_closed(WAIT);
        });
        let result = smpp::runtime::Esme::connect(&rt, esme_config(&fake.addr));
        server.join().unwrap();
        result
    });
    assert!(result.is_err(), "bound after an outbind");
}

// ===== 23. a bind_resp sent to the SMSC =====

#[test]
fn sim23_bind_resp_sent_to_the_smsc_is_ignored() {
    let sim = Sim::start(&[]);
    let mut c = sim.client();
    for mode in [Tx, Rx, Trx] {
        c.send_raw(&raw(
            u32::from(bind_resp_id(mode)),
            0,
            1,
            &bind_resp_body(b"evil"),
        ));
    }
    c.expect_silence(QUIET);
    c.bind(Trx);
    c.send_raw(&raw(
        u32::from(C::BindTransceiverResp),
        0,
        1,
        &bind_resp_body(b"evil"),
    ));
    c.expect_silence(QUIET);
    c.ping();
}

#[test]
fn esme23_second_bind_resp_is_ignored() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc.send_raw(&raw(
        u32::from(C::BindTransceiverResp),
        0,
        1,
        &bind_resp_body(b"again"),
    ));
    side.smsc
        .send_raw(&refusal(C::BindTransceiverResp, S::BindFail, 1));
    side.smsc.expect_silence(QUIET);
    side.expect_no_event(QUIET);
    side.assert_submits();
}

// ===== 24. alert_notification to an SMSC =====

#[test]
fn sim24_alert_notification_sent_to_the_smsc_is_dropped() {
    let sim = Sim::start(&[]);
    let mut c = sim.client();
    c.request_raw(C::AlertNotification, &alert_body());
    c.expect_silence(QUIET);
    c.bind(Trx);
    c.request_raw(C::AlertNotification, &alert_body());
    c.expect_silence(QUIET);
    c.ping();
    sim.expect_log(&["WARN", "alert_notification not allowed in state BOUND_TRX"]);
}

#[test]
fn esme24_alert_notification_reaches_receivers_only_and_is_not_answered() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc
        .send_raw(&raw(u32::from(C::AlertNotification), 0, 3, &alert_body()));
    match side.next_event() {
        EsmeEvent::Alert(a) => assert_eq!(a.esme.addr.as_bytes(), b"447700900123"),
        other => panic!("{other:?}"),
    }
    side.smsc.expect_silence(QUIET);

    let mut side = EsmeSide::bound(|c| c.mode = Tx);
    side.smsc
        .send_raw(&raw(u32::from(C::AlertNotification), 0, 3, &alert_body()));
    side.smsc.expect_silence(QUIET);
    side.expect_no_event(QUIET);
    side.assert_submits();
}

// ===== 25. zero-length C-Octet strings everywhere =====

#[test]
fn sim25_empty_strings_everywhere_are_accepted() {
    let sim = Sim::start(&["--account", "e:"]);
    let mut c = sim.client();
    // system_type and address_range empty as always; password empty too.
    let resp = c.bind_with(Trx, "e", "");
    assert_eq!(
        (resp.command_id(), resp.status),
        (C::BindTransceiverResp, S::Ok)
    );
    let empty = Sm {
        service_type: Vec::new(),
        source: Vec::new(),
        dest: Vec::new(),
        short_message: Vec::new(),
        ..Sm::default()
    };
    let seq = c.next_seq();
    c.send_raw(&empty.submit(seq));
    c.expect_resp(C::SubmitSmResp, S::Ok, seq);
    c.ping();
    // An empty system_id decodes fine and is an unknown account.
    let mut c = sim.client();
    let resp = c.bind_with(Tx, "", "");
    assert_eq!(
        bytes(&resp),
        refusal(C::BindTransmitterResp, S::InvSysId, resp.sequence)
    );
}

#[test]
fn esme25_empty_strings_everywhere_are_accepted() {
    let rt = runtime();
    let fake = FakeSmsc::new();
    let mut config = esme_config(&fake.addr);
    config.bind.system_id = Default::default();
    config.bind.password = Default::default();
    let (esme, mut p) = std::thread::scope(|s| {
        let server = s.spawn(|| {
            let mut p = fake.accept();
            let bind = p.pdu();
            // The ESME's bind: every string empty.
            assert_eq!(
                bytes(&bind),
                raw(bind_id(Trx), 0, bind.sequence, &bind_body(b"", b""))
            );
            // A bind_resp with an empty system_id and no TLV.
            p.send_raw(&raw(
                u32::from(C::BindTransceiverResp),
                0,
                bind.sequence,
                &[0],
            ));
            p
        });
        let esme = smpp::runtime::Esme::connect(&rt, config).expect("bound");
        (esme, server.join().unwrap())
    });
    let empty = Sm {
        service_type: Vec::new(),
        source: Vec::new(),
        dest: Vec::new(),
        short_message: Vec::new(),
        ..Sm::default()
    };
    p.send_raw(&empty.deliver(2));
    let d = loop {
        match esme.events().recv_timeout(WAIT).expect("a delivery") {
            EsmeEvent::Delivery(d) => break d,
            _ => continue,
        }
    };
    let Body::DeliverSm(sm) = &d.pdu.body else {
        panic!("{:?}", d.pdu)
    };
    assert!(sm.source.addr.is_empty() && sm.dest.addr.is_empty() && sm.short_message.is_empty());
    d.ack();
    p.expect_raw(&deliver_resp_ok(2));
    drop(p);
    drop(esme);
}

// ===== 26. a non-zero command_status in a request =====

#[test]
fn sim26_nonzero_status_in_a_request_is_ignored() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    c.send_raw(&raw(u32::from(C::EnquireLink), 0x08, 40, b""));
    c.expect_raw(&enquire_link_resp(40));
    let mut submit = Sm::default().submit(41);
    submit[8..12].copy_from_slice(&0x45u32.to_be_bytes());
    c.send_raw(&submit);
    c.expect_resp(C::SubmitSmResp, S::Ok, 41);
}

#[test]
fn esme26_nonzero_status_in_a_request_is_ignored() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc
        .send_raw(&raw(u32::from(C::EnquireLink), 0xFF, 40, b""));
    side.smsc.expect_raw(&enquire_link_resp(40));
    let mut deliver = Sm::default().deliver(41);
    deliver[8..12].copy_from_slice(&0x08u32.to_be_bytes());
    side.smsc.send_raw(&deliver);
    let d = side.delivery();
    assert_eq!(d.pdu.sequence, 41);
    d.ack();
    side.smsc.expect_raw(&deliver_resp_ok(41));
}

// ===== 27. a PDU of exactly max_pdu_len, and one octet more =====

#[test]
fn sim27_pdu_of_exactly_max_pdu_len_is_served_one_more_is_not() {
    let sim = Sim::start(&["--max-pdu-len", "512"]);
    let mut c = sim.bound(Tx);
    let exact = pad_to(&Sm::default().submit(7), 512);
    assert_eq!(exact.len(), 512);
    c.send_raw(&exact);
    c.expect_resp(C::SubmitSmResp, S::Ok, 7);
    let over = pad_to(&Sm::default().submit(8), 513);
    c.send_raw(&over);
    c.expect_raw(&nack(S::InvCmdLen, 8));
    c.expect_closed(WAIT);
    sim.assert_serving();
}

#[test]
fn esme27_pdu_of_exactly_max_pdu_len_is_served_one_more_is_not() {
    let mut side = EsmeSide::bound(|c| c.session.max_pdu_len = 512);
    side.smsc.send_raw(&pad_to(&Sm::default().deliver(7), 512));
    let d = side.delivery();
    assert_eq!(d.pdu.sequence, 7);
    d.ack();
    side.smsc.expect_raw(&deliver_resp_ok(7));
    side.smsc.send_raw(&pad_to(&Sm::default().deliver(8), 513));
    side.smsc.expect_raw(&nack(S::InvCmdLen, 8));
    side.smsc.expect_closed(WAIT);
    assert_eq!(side.expect_link_closed(WAIT), CloseReason::BadFrame);
}

// ===== 28. many PDUs in one segment =====

fn thousand_enquire_links() -> Vec<u8> {
    (1000..2000u32).flat_map(enquire_link).collect()
}

fn expect_thousand_answers(p: &mut Peer) {
    for seq in 1000..2000 {
        p.expect_raw(&enquire_link_resp(seq));
    }
}

#[test]
fn sim28_a_thousand_pdus_in_one_segment_are_answered_in_order() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    c.send_raw(&thousand_enquire_links());
    expect_thousand_answers(&mut c);
    c.expect_silence(QUIET);
}

#[test]
fn esme28_a_thousand_pdus_in_one_segment_are_answered_in_order() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc.send_raw(&thousand_enquire_links());
    expect_thousand_answers(&mut side.smsc);
    side.smsc.expect_silence(QUIET);
    side.assert_submits();
}

// ===== 29. sm_length 255 =====

#[test]
fn sim29_sm_length_255_is_esme_rinvmsglen() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Tx);
    let long = Sm {
        short_message: vec![b'a'; 255],
        ..Sm::default()
    };
    c.send_raw(&long.submit(2));
    c.expect_raw(&refusal(C::SubmitSmResp, S::InvMsgLen, 2));
    let most = Sm {
        short_message: vec![b'a'; 254],
        ..Sm::default()
    };
    c.send_raw(&most.submit(3));
    c.expect_resp(C::SubmitSmResp, S::Ok, 3);
}

#[test]
fn esme29_sm_length_255_is_esme_rinvmsglen() {
    let mut side = EsmeSide::bound(|_| {});
    let long = Sm {
        short_message: vec![b'a'; 255],
        ..Sm::default()
    };
    side.smsc.send_raw(&long.deliver(2));
    side.smsc
        .expect_raw(&refusal(C::DeliverSmResp, S::InvMsgLen, 2));
    side.expect_no_event(QUIET);
    let most = Sm {
        short_message: vec![b'a'; 254],
        ..Sm::default()
    };
    side.smsc.send_raw(&most.deliver(3));
    let d = side.delivery();
    assert_eq!(d.pdu.sequence, 3);
    d.ack();
    side.smsc.expect_raw(&deliver_resp_ok(3));
}

// ===== 30. data_sm without message_payload =====

#[test]
fn sim30_data_sm_without_message_payload_is_esme_rmissingoptparam() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Tx);
    let seq = c.request_raw(C::DataSm, &data_sm_body(&[]));
    c.expect_raw(&refusal(C::DataSmResp, S::MissingOptParam, seq));
    // Other TLVs do not stand in for it.
    let seq = c.request_raw(C::DataSm, &data_sm_body(&tlv(0x0204, &[0, 1])));
    c.expect_raw(&refusal(C::DataSmResp, S::MissingOptParam, seq));
    c.ping();
}

#[test]
fn esme30_data_sm_without_message_payload_is_esme_rmissingoptparam() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc
        .send_raw(&raw(u32::from(C::DataSm), 0, 5, &data_sm_body(&[])));
    side.smsc
        .expect_raw(&refusal(C::DataSmResp, S::MissingOptParam, 5));
    side.expect_no_event(QUIET);
    // With one, it is a delivery like any other.
    let body = data_sm_body(&tlv(0x0424, b"payload"));
    side.smsc.send_raw(&raw(u32::from(C::DataSm), 0, 6, &body));
    let d = side.delivery();
    assert_eq!(d.pdu.sequence, 6);
    d.ack();
    side.smsc
        .expect_raw(&raw(u32::from(C::DataSmResp), 0, 6, &[0]));
}

// ===== 31. a sequence number reused while its request is unanswered =====

/// Two submit_sm with one sequence number while the first is unanswered:
/// each must get a submit_sm_resp (ESME_ROK if the SMSC took it, an error
/// if it refused it without taking it).
#[test]
fn sim31_reused_sequence_number_is_answered_twice() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Tx);
    let mut segment = Sm::default().submit(5);
    segment.extend_from_slice(&Sm::default().submit(5));
    c.send_raw(&segment);
    for _ in 0..2 {
        let a = c.pdu();
        assert_eq!((a.command_id(), a.sequence), (C::SubmitSmResp, 5), "{a:?}");
    }
    c.ping();
}

/// The SMSC sends two deliver_sm with one sequence number; the
/// application acknowledges what it gets: every deliver_sm gets a
/// deliver_sm_resp, ESME_ROK exactly for those the application took.
#[test]
fn esme31_reused_sequence_number_is_answered_twice() {
    let mut side = EsmeSide::bound(|_| {});
    let mut segment = Sm::default().deliver(5);
    segment.extend_from_slice(&Sm::default().deliver(5));
    side.smsc.send_raw(&segment);
    let mut taken = 0;
    while let Ok(event) = side.esme.events().recv_timeout(QUIET) {
        if let EsmeEvent::Delivery(d) = event {
            d.ack();
            taken += 1;
        }
    }
    assert!(taken >= 1, "no delivery");
    let answers = [side.smsc.pdu(), side.smsc.pdu()];
    for a in &answers {
        assert_eq!((a.command_id(), a.sequence), (C::DeliverSmResp, 5), "{a:?}");
    }
    let ok = answers.iter().filter(|a| a.status == S::Ok).count();
    assert_eq!(ok, taken, "{answers:?}");
    side.assert_submits();
}

// ===== 32. requests with the end of the stream right behind them =====

/// Ten submit_sm in one write.
fn ten_submits() -> Vec<u8> {
    (100..110)
        .flat_map(|seq| Sm::default().submit(seq))
        .collect()
}

#[test]
fn sim32_end_of_stream_behind_requests_closes_the_session_at_once() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Trx);
    c.send_then_finish(&ten_submits());
    // Closed well before any timer would (the inactivity timer is
    // minutes): the end of the stream was read, not missed behind the
    // data that came with it.
    let frames = c.drain_until_closed(secs(10));
    assert!(frames.len() <= 10, "{frames:02X?}");
    sim.assert_serving();
}

#[test]
fn esme32_end_of_stream_behind_a_delivery_closes_the_link_at_once() {
    let mut side = EsmeSide::bound(|_| {});
    side.smsc.send_then_finish(&Sm::default().deliver(7));
    // No enquire_link, and the response timer is not running: only the
    // end of the stream can close the link.
    assert_eq!(
        side.expect_link_closed(secs(10)),
        CloseReason::TransportClosed
    );
}

// ===== logging =====

/// Misbehaviour leaves a warning in smsc-sim's log, one per kind.
#[test]
fn sim_logs_a_warning_for_each_kind_of_misbehaviour() {
    let sim = Sim::start(&[]);
    let mut c = sim.bound(Tx);
    let seq = c.request_raw(C::from(0x0000_0777), b"");
    c.expect_raw(&nack(S::InvCmdId, seq));
    c.send_raw(&submit_resp(31337, "stray"));
    let sm = Sm {
        dest: vec![b'9'; 22],
        ..Sm::default()
    };
    let seq = c.next_seq();
    c.send_raw(&sm.submit(seq));
    c.expect_raw(&refusal(C::SubmitSmResp, S::InvDstAdr, seq));
    refused(&mut c, Body::DeliverSm(plain_submit()), S::InvBndSts);
    c.send_raw(&header(0x7FFF_FFFF, u32::from(C::SubmitSm), 0, 99));
    c.drain_until_closed(WAIT);
    let mut bad = sim.client();
    bad.bind_with(Trx, SYSTEM_ID, "guessing");
    for needles in [
        &["WARN", "unknown command_id 0x00000777"][..],
        &[
            "WARN",
            "submit_sm_resp with sequence 31337 answers no outstanding request",
        ],
        &[
            "WARN",
            "malformed PDU: submit_sm",
            "destination_addr",
            "ESME_RINVDSTADR",
        ],
        &["WARN", "deliver_sm not allowed in state BOUND_TX"],
        &[
            "WARN",
            "closing: command_length 2147483647 is outside 16..=65536",
        ],
        &[
            "WARN",
            "bind as transceiver by hostile with a wrong password",
        ],
    ] {
        sim.expect_log(needles);
    }
    sim.assert_serving();
}

/// At trace level smsc-sim logs every PDU; no line holds a password, right
/// or wrong, whether the bind succeeds, fails or does not decode.
#[test]
fn sim_never_logs_a_password_even_at_trace_level() {
    let sim = Sim::start_logging("trace", &[]);
    let mut ok = sim.bound(Trx);
    ok.ping();
    let seq = ok.request_raw(C::Outbind, &outbind_body(b"x", b"0utb1ndP"));
    ok.expect_raw(&nack(S::InvBndSts, seq));
    let mut wrong = sim.client();
    let resp = wrong.bind_with(Tx, SYSTEM_ID, "Wr0ngPw9");
    assert_eq!(resp.status, S::InvPaswd);
    let mut malformed = sim.client();
    let seq = malformed.next_seq();
    malformed.send_raw(&raw(
        bind_id(Rx),
        0,
        seq,
        &bind_body(SYSTEM_ID.as_bytes(), b"T00L0ngPassw0rd"),
    ));
    malformed.expect_raw(&refusal(C::BindReceiverResp, S::InvPaswd, seq));
    ok.ping();
    // The binds were logged, at trace level, without their passwords.
    sim.expect_log(&["TRACE", "received", "BindTransceiver(Bind", "hostile"]);
    sim.expect_log(&["bind as transmitter by hostile with a wrong password"]);
    let log = sim.log();
    for secret in [
        PASSWORD,
        "Wr0ngPw9",
        "T00L0ngPassw0rd",
        "T00L0ngP",
        "0utb1ndP",
    ] {
        let leaks: Vec<_> = log.iter().filter(|l| l.contains(secret)).collect();
        assert!(leaks.is_empty(), "{secret:?} logged: {leaks:#?}");
    }
}
