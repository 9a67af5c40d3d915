//! Throttling in both directions: the outgoing token bucket, the pause
//! after the peer's ESME_RTHROTTLED, the SMSC's inbound rate, and the
//! inbound queue limit.

use crate::common::*;
use smpp::pdu::{CommandId, CommandStatus, Pdu, QuerySm};
use smpp::session::{BindMode, ReturnReason, SessionConfig, SessionError, State, Throughput};

#[test]
fn token_bucket_refuses_with_the_instant_of_the_next_token() {
    let config = SessionConfig {
        throughput: Some(Throughput {
            per_second: 10,
            burst: 2,
        }),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transmitter, config);
    h.send_ok(submit());
    h.send_ok(submit());
    let at = h.now;
    assert_eq!(
        h.s.send(h.now, submit()),
        Err(SessionError::Throttled(at + ms(100)))
    );
    recv!(h, []);
    h.at(ms(50));
    assert_eq!(
        h.s.send(h.now, submit()),
        Err(SessionError::Throttled(at + ms(100)))
    );
    assert_eq!(h.s.stats().rate_limited, 2);
    h.at(ms(100));
    h.send_ok(submit());
    assert_eq!(
        h.s.send(h.now, submit()),
        Err(SessionError::Throttled(at + ms(200)))
    );
    // A long pause saves at most a burst.
    h.at(ms(60_000));
    h.send_ok(submit());
    h.send_ok(submit());
    assert_eq!(
        h.s.send(h.now, submit()),
        Err(SessionError::Throttled(h.now + ms(100)))
    );
    // Requests that carry no message are not rate limited.
    let query = sample_request(CommandId::QuerySm);
    h.s.send(h.now, query).unwrap();
    assert_eq!(h.out().len(), 1);
    assert_eq!(h.s.stats().rate_limited, 4);
    assert_eq!(h.s.stats().sent.get(CommandId::SubmitSm), 5);
    events!(h, []);
}

/// An ESME that sends a submit at `h.now` and gets ESME_RTHROTTLED back at
/// once; returns the request id.
fn throttled_once(h: &mut Harness) -> u64 {
    let (id, seq) = h.send_ok(submit());
    send!(h, err(CommandId::SubmitSm, seq, CommandStatus::Throttled));
    events!(
        h,
        [Ev::Returned {
            id: id.0,
            body: submit(),
            reason: ReturnReason::Throttled,
        }]
    );
    id.0
}

#[test]
fn throttled_response_pauses_sending_with_exponential_backoff() {
    let config = SessionConfig {
        throttle_backoff_min: ms(250),
        throttle_backoff_max: ms(1_000),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transceiver, config);
    let mut t = 0;
    for pause in [250, 500, 1_000, 1_000] {
        h.at(ms(t));
        throttled_once(&mut h);
        let until = h.now + ms(pause);
        assert_eq!(h.s.paused_until(h.now), Some(until));
        assert_eq!(
            h.s.send(h.now, submit()),
            Err(SessionError::Throttled(until))
        );
        assert_eq!(h.deadline(), Some(ms(t + pause)));
        // One millisecond early: still paused.
        tick!(h, time t + pause - 1);
        assert_eq!(
            h.s.send(h.now, submit()),
            Err(SessionError::Throttled(until))
        );
        tick!(h, time t + pause);
        assert_eq!(h.s.paused_until(h.now), None);
        assert_eq!(h.deadline(), None);
        t += pause;
    }
    // A success resets the pause to the minimum.
    let (id, seq) = h.send_ok(submit());
    send!(h, submit_resp(seq, "ok"));
    events!(
        h,
        [Ev::Response {
            id: id.0,
            pdu: submit_resp(seq, "ok"),
            sent_at: h.now,
        }]
    );
    throttled_once(&mut h);
    assert_eq!(h.s.paused_until(h.now), Some(h.now + ms(250)));

    let stats = h.s.stats();
    assert_eq!(stats.throttled, 5);
    assert_eq!(stats.timeouts, 0);
    assert_eq!(
        stats.response_status_received.get(CommandStatus::Throttled),
        5
    );
    state!(h, State::BoundTrx);
}

#[test]
fn an_error_other_than_throttled_keeps_the_backoff_growing() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    throttled_once(&mut h);
    tick!(h, time 250);
    let (_, seq) = h.send_ok(submit());
    send!(h, err(CommandId::SubmitSm, seq, CommandStatus::SysErr));
    let _ = h.events();
    throttled_once(&mut h);
    assert_eq!(h.s.paused_until(h.now), Some(h.now + ms(500)));
}

#[test]
fn a_pause_holds_messages_but_not_queries() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    throttled_once(&mut h);
    let query = smpp::pdu::Body::QuerySm(QuerySm::default());
    h.s.send(h.now, query).unwrap();
    assert_eq!(h.out().len(), 1);
    assert!(matches!(
        h.s.send(h.now, sample_request(CommandId::DataSm)),
        Err(SessionError::Throttled(_))
    ));
    assert!(matches!(
        h.s.send(h.now, sample_request(CommandId::SubmitMulti)),
        Err(SessionError::Throttled(_))
    ));
}

#[test]
fn throttled_requests_are_not_timeouts() {
    let config = SessionConfig {
        response_timeout: ms(100),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transmitter, config);
    throttled_once(&mut h);
    tick!(h, time 10_000);
    events!(h, []);
    assert_eq!(h.s.stats().timeouts, 0);
    assert_eq!(h.s.stats().throttled, 1);
}

#[test]
fn smsc_inbound_rate_is_answered_by_the_session() {
    let config = SessionConfig {
        inbound_rate: Some(Throughput {
            per_second: 2,
            burst: 2,
        }),
        ..quiet()
    };
    let mut h = Harness::bound_smsc(BindMode::Transceiver, config);
    send!(h, time 1_000, submit_pdu(2), submit_pdu(3), submit_pdu(4));
    recv!(h, [err(CommandId::SubmitSm, 4, CommandStatus::Throttled)]);
    let seqs: Vec<u32> = h
        .events()
        .into_iter()
        .map(|e| match e {
            Ev::Request { seq, .. } => seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(seqs, vec![2, 3]);
    // Not message traffic: not limited.
    send!(
        h,
        enquire(5),
        Pdu::new(6, sample_request(CommandId::QuerySm))
    );
    recv!(h, [enquire_resp(5)]);
    assert_eq!(h.events().len(), 1);
    // Half a second later one more token is there.
    send!(h, time 1_499, Pdu::new(7, sample_request(CommandId::DataSm)));
    recv!(h, [err(CommandId::DataSm, 7, CommandStatus::Throttled)]);
    send!(h, time 1_500, Pdu::new(8, sample_request(CommandId::SubmitMulti)));
    recv!(h, []);
    assert_eq!(h.events().len(), 1);
    assert_eq!(
        h.s.stats()
            .response_status_sent
            .get(CommandStatus::Throttled),
        2
    );
}

#[test]
fn esme_has_no_inbound_rate() {
    let config = SessionConfig {
        inbound_rate: Some(Throughput {
            per_second: 1,
            burst: 1,
        }),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Receiver, config);
    send!(h, deliver_pdu(10), deliver_pdu(11), deliver_pdu(12));
    recv!(h, []);
    assert_eq!(h.events().len(), 3);
}

#[test]
fn max_inbound_pending_answers_message_queue_full() {
    let config = SessionConfig {
        max_inbound_pending: 2,
        ..quiet()
    };
    let mut h = Harness::bound_smsc(BindMode::Transmitter, config);
    send!(h, submit_pdu(2), submit_pdu(3), submit_pdu(4));
    recv!(h, [err(CommandId::SubmitSm, 4, CommandStatus::MsgQFul)]);
    assert_eq!(h.events().len(), 2);
    // Answering one makes room for one.
    h.s.respond(h.now, h.inbound(2), submit_resp(2, "m2").body)
        .unwrap();
    recv!(h, [submit_resp(2, "m2")]);
    send!(h, submit_pdu(5), submit_pdu(6));
    recv!(h, [err(CommandId::SubmitSm, 6, CommandStatus::MsgQFul)]);
    events!(
        h,
        [Ev::Request {
            seq: 5,
            pdu: submit_pdu(5)
        }]
    );
    assert_eq!(
        h.s.stats().response_status_sent.get(CommandStatus::MsgQFul),
        2
    );
}

#[test]
fn respond_checks_the_request_and_the_body() {
    let mut h = Harness::bound_smsc(BindMode::Transceiver, quiet());
    send!(h, submit_pdu(2));
    let _ = h.events();
    let id = h.inbound(2);
    // A deliver_sm_resp does not answer a submit_sm.
    assert_eq!(
        h.s.respond(h.now, id, deliver_resp(2).body),
        Err(SessionError::NotARequest(CommandId::DeliverSmResp))
    );
    recv!(h, []);
    h.s.respond(h.now, id, submit_resp(2, "x").body).unwrap();
    recv!(h, [submit_resp(2, "x")]);
    // Once only.
    assert_eq!(
        h.s.respond(h.now, id, submit_resp(2, "x").body),
        Err(SessionError::UnknownInbound)
    );
    assert_eq!(
        h.s.respond_status(h.now, id, CommandStatus::SysErr),
        Err(SessionError::UnknownInbound)
    );
    recv!(h, []);
}
