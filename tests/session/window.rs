//! Requests in flight: sequence numbers, the window, matching responses,
//! and the response timer.

use crate::common::*;
use smpp::pdu::{CommandId, CommandStatus};
use smpp::session::{BindMode, ReturnReason, SessionConfig, SessionError, State};

fn windowed(window: usize) -> SessionConfig {
    SessionConfig { window, ..quiet() }
}

#[test]
fn sequence_numbers_start_at_one_on_both_sides() {
    // The ESME's bind is its first request (Harness::bound_esme checks
    // sequence 1); its first submit is the second.
    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    let (_, seq) = h.send_ok(submit());
    assert_eq!(seq, 2);
    let (_, seq) = h.send_ok(submit());
    assert_eq!(seq, 3);
    events!(h, []);

    // The SMSC's first request is 1, whatever the ESME's numbers were.
    let mut h = Harness::smsc(quiet());
    send!(h, bind_pdu(BindMode::Receiver, 500, credentials(0x34)));
    let _ = h.events();
    h.s.accept_bind(h.now, h.inbound(500)).unwrap();
    let _ = h.out();
    let _ = h.events();
    let (_, seq) = h.send_ok(deliver());
    assert_eq!(seq, 1);
}

#[test]
fn internal_requests_share_the_numbering() {
    let config = SessionConfig {
        enquire_link_interval: Some(secs(30)),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transceiver, config);
    let (_, seq) = h.send_ok(submit());
    assert_eq!(seq, 2);
    // Nothing received for 30 s: enquire_link takes the next number.
    tick!(h, time 30_000);
    recv!(h, [enquire(3)]);
    let (_, seq) = h.send_ok(submit());
    assert_eq!(seq, 4);
    send!(h, enquire_resp(3), submit_resp(2, "a"), submit_resp(4, "b"));
    let events = h.events();
    assert_eq!(events.len(), 2);
}

#[test]
fn window_full_then_a_response_frees_a_slot() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, windowed(3));
    assert_eq!(h.s.window_available(), 3);
    let sent: Vec<_> = (0..3).map(|_| h.send_ok(submit())).collect();
    assert_eq!(
        sent.iter().map(|&(_, seq)| seq).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(h.s.in_flight(), 3);
    assert_eq!(h.s.window_available(), 0);
    assert_eq!(h.s.send(h.now, submit()), Err(SessionError::WindowFull));
    recv!(h, []);
    assert_eq!(h.s.stats().in_flight, 3);

    send!(h, time 10, submit_resp(3, "m3"));
    events!(
        h,
        [Ev::Response {
            id: sent[1].0 .0,
            pdu: submit_resp(3, "m3"),
            sent_at: h.t0,
        }]
    );
    assert_eq!(h.s.in_flight(), 2);
    assert_eq!(h.s.window_available(), 1);
    let (id, seq) = h.send_ok(submit());
    assert_eq!(seq, 5);
    assert_eq!(id.0, sent[2].0 .0 + 1);
    assert_eq!(h.s.send(h.now, submit()), Err(SessionError::WindowFull));
}

#[test]
fn responses_out_of_order() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, windowed(8));
    let sent: Vec<_> = (0..4).map(|_| h.send_ok(submit())).collect();
    // Answered 4th, 1st, 3rd, 2nd.
    let order = [3, 0, 2, 1];
    for (k, &i) in order.iter().enumerate() {
        let (id, seq) = sent[i];
        let resp = submit_resp(seq, &format!("msg{i}"));
        send!(h, time 10 * (k as u64 + 1), resp.clone());
        events!(
            h,
            [Ev::Response {
                id: id.0,
                pdu: resp,
                sent_at: h.t0,
            }]
        );
    }
    assert_eq!(h.s.in_flight(), 0);
    assert_eq!(h.s.stats().unexpected_responses, 0);
}

#[test]
fn responses_nobody_asked_for_are_ignored_and_counted() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, windowed(8));
    let (id, seq) = h.send_ok(submit());
    assert_eq!(seq, 2);
    // An unknown sequence number, the right one with the wrong command, and
    // a response to the bind that already completed.
    send!(
        h,
        submit_resp(99, "x"),
        deliver_resp(2),
        bind_resp(BindMode::Transceiver, 1, "SMSC", None),
        enquire_resp(2),
    );
    recv!(h, []);
    events!(h, []);
    assert_eq!(h.s.stats().unexpected_responses, 4);
    assert_eq!(h.s.in_flight(), 1);
    state!(h, State::BoundTrx);
    // The real answer still lands.
    send!(h, submit_resp(2, "ok"));
    events!(
        h,
        [Ev::Response {
            id: id.0,
            pdu: submit_resp(2, "ok"),
            sent_at: h.t0
        }]
    );
    // And a second copy of it is unexpected.
    send!(h, submit_resp(2, "ok"));
    events!(h, []);
    assert_eq!(h.s.stats().unexpected_responses, 5);
}

#[test]
fn error_statuses_and_generic_nack_are_responses() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, windowed(8));
    let (a, sa) = h.send_ok(submit());
    let (b, sb) = h.send_ok(submit());
    send!(
        h,
        err(CommandId::SubmitSm, sa, CommandStatus::InvDstAdr),
        nack(sb, CommandStatus::SysErr),
    );
    events!(
        h,
        [
            Ev::Response {
                id: a.0,
                pdu: err(CommandId::SubmitSm, sa, CommandStatus::InvDstAdr),
                sent_at: h.t0,
            },
            Ev::Response {
                id: b.0,
                pdu: nack(sb, CommandStatus::SysErr),
                sent_at: h.t0,
            },
        ]
    );
    assert_eq!(h.s.in_flight(), 0);
}

#[test]
fn response_timeout_returns_the_request_exactly_on_time() {
    let config = SessionConfig {
        response_timeout: secs(30),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transmitter, config);
    h.at(ms(1_000));
    let (first, s1) = h.send_ok(submit_body("111", "one"));
    h.at(ms(1_500));
    let (second, _) = h.send_ok(submit_body("222", "two"));
    assert_eq!(h.deadline(), Some(ms(31_000)));

    tick!(h, time 30_999);
    events!(h, []);
    assert_eq!(h.s.in_flight(), 2);
    tick!(h, time 31_000);
    events!(
        h,
        [Ev::Returned {
            id: first.0,
            body: submit_body("111", "one"),
            reason: ReturnReason::Timeout,
        }]
    );
    assert_eq!(h.deadline(), Some(ms(31_500)));
    // A late response finds nothing.
    send!(h, submit_resp(s1, "late"));
    events!(h, []);
    assert_eq!(h.s.stats().unexpected_responses, 1);
    tick!(h, time 31_499);
    events!(h, []);
    tick!(h, time 31_500);
    events!(
        h,
        [Ev::Returned {
            id: second.0,
            body: submit_body("222", "two"),
            reason: ReturnReason::Timeout,
        }]
    );
    assert_eq!(h.s.stats().timeouts, 2);
    assert_eq!(h.s.in_flight(), 0);
    assert_eq!(h.deadline(), None);
    // The session stays bound: a timeout is the request's failure, not the
    // link's.
    state!(h, State::BoundTx);
}

#[test]
fn a_late_tick_returns_every_expired_request_at_once() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, windowed(8));
    let ids: Vec<_> = (0..3)
        .map(|i| {
            h.at(ms(i * 100));
            h.send_ok(submit()).0
        })
        .collect();
    tick!(h, time 3_600_000);
    let returned: Vec<u64> = h
        .events()
        .into_iter()
        .map(|e| match e {
            Ev::Returned {
                id,
                reason: ReturnReason::Timeout,
                ..
            } => id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(returned, ids.iter().map(|id| id.0).collect::<Vec<_>>());
}

#[test]
fn every_request_ends_in_exactly_one_event() {
    // Answered, refused with a status, timed out, and handed back at close.
    let mut h = Harness::bound_esme(BindMode::Transceiver, windowed(8));
    let (a, sa) = h.send_ok(submit());
    let (b, sb) = h.send_ok(submit());
    h.at(ms(20_000));
    let (c, _) = h.send_ok(submit());
    let (d, _) = h.send_ok(submit());
    send!(
        h,
        submit_resp(sa, "a"),
        err(CommandId::SubmitSm, sb, CommandStatus::SysErr)
    );
    tick!(h, time 30_000);
    h.s.abort(h.now);
    let mut ended = Vec::new();
    for e in h.events() {
        match e {
            Ev::Response { id, .. } | Ev::Returned { id, .. } => ended.push(id),
            Ev::State(_, State::Closed) | Ev::Closed(_) => {}
            other => panic!("{other:?}"),
        }
    }
    // c and d were sent at 20 s, so they had not timed out at 30 s.
    assert_eq!(ended, vec![a.0, b.0, c.0, d.0]);
    // Nothing more, ever.
    tick!(h, time 100_000);
    events!(h, []);
}

#[test]
fn request_ids_are_unique_and_increasing() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, windowed(4));
    let mut last = None;
    for round in 0..50u32 {
        let (id, seq) = h.send_ok(submit());
        assert!(last.is_none_or(|l| id > l));
        last = Some(id);
        send!(h, submit_resp(seq, &round.to_string()));
        assert_eq!(h.events().len(), 1);
    }
}

#[test]
fn generic_nack_for_an_unknown_sequence_is_ignored() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    send!(h, nack(77, CommandStatus::InvCmdLen));
    recv!(h, []);
    events!(h, []);
    assert_eq!(h.s.stats().unexpected_responses, 1);
    state!(h, State::BoundTrx);
}

/// One read holding a response to a window request, a request the session
/// answers itself, a response that answers nothing, a throttled response,
/// a request for the application and another window response: the events
/// come in the order of the wire, each as if its PDU had come alone.
#[test]
fn one_read_of_mixed_pdus_keeps_the_wire_order() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    let sent_at = h.now;
    let (id1, s1) = h.send_ok(submit());
    let (id2, s2) = h.send_ok(submit());
    let (id3, s3) = h.send_ok(submit());
    h.advance(ms(5));
    let mut stream = Vec::new();
    for pdu in [
        submit_resp(s1, "a1"),
        enquire(90),
        submit_resp(999, "x"),
        err(CommandId::SubmitSm, s2, CommandStatus::Throttled),
        deliver_pdu(91),
        submit_resp(s3, "a3"),
    ] {
        stream.extend_from_slice(&pdu.to_bytes().unwrap());
    }
    h.feed_raw(&stream);
    recv!(h, [enquire_resp(90)]);
    events!(
        h,
        [
            Ev::Response {
                id: id1.0,
                pdu: submit_resp(s1, "a1"),
                sent_at,
            },
            Ev::Returned {
                id: id2.0,
                body: submit(),
                reason: ReturnReason::Throttled,
            },
            Ev::Request {
                seq: 91,
                pdu: deliver_pdu(91),
            },
            Ev::Response {
                id: id3.0,
                pdu: submit_resp(s3, "a3"),
                sent_at,
            },
        ]
    );
    assert_eq!(h.s.stats().unexpected_responses, 1);
    assert_eq!(h.s.stats().in_flight, 0);
    h.s.respond_status(h.now, h.inbound(91), CommandStatus::Ok)
        .unwrap();
    recv!(h, [deliver_resp(91)]);
}
