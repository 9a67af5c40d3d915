//! Link monitoring: the counters a session keeps.

use crate::common::*;
use smpp::pdu::{Body, CommandId, CommandStatus, MessageIdResp};
use smpp::session::{BindMode, SessionConfig};
use std::time::Duration;

#[test]
fn counters_after_a_busy_session() {
    let config = SessionConfig {
        window: 200,
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transceiver, config);
    let seqs: Vec<u32> = (0..100).map(|_| h.send_ok(submit()).1).collect();
    assert_eq!(h.s.stats().in_flight, 100);

    // 98 answered in 10 ms, one refused and one throttled after 100 ms.
    h.at(ms(10));
    for &seq in &seqs[..98] {
        h.feed(&submit_resp(seq, "id"));
    }
    h.at(ms(100));
    h.feed(&err(
        CommandId::SubmitSm,
        seqs[98],
        CommandStatus::InvDstAdr,
    ));
    h.feed(&err(
        CommandId::SubmitSm,
        seqs[99],
        CommandStatus::Throttled,
    ));
    assert_eq!(h.events().len(), 100);

    // The peer's requests: three deliveries and an enquire_link.
    send!(
        h,
        deliver_pdu(1),
        deliver_pdu(2),
        deliver_pdu(3),
        enquire(4)
    );
    assert_eq!(h.events().len(), 3);
    for seq in [1, 2] {
        h.s.respond(
            h.now,
            h.inbound(seq),
            Body::DeliverSmResp(MessageIdResp::default()),
        )
        .unwrap();
    }
    h.s.respond_status(h.now, h.inbound(3), CommandStatus::SysErr)
        .unwrap();
    recv!(
        h,
        [
            enquire_resp(4),
            deliver_resp(1),
            deliver_resp(2),
            err(CommandId::DeliverSm, 3, CommandStatus::SysErr)
        ]
    );

    let stats = h.s.stats();
    assert_eq!(stats.sent.get(CommandId::BindTransceiver), 1);
    assert_eq!(stats.sent.get(CommandId::SubmitSm), 100);
    assert_eq!(stats.sent.get(CommandId::DeliverSmResp), 3);
    assert_eq!(stats.sent.get(CommandId::EnquireLinkResp), 1);
    assert_eq!(stats.sent.total(), 105);
    assert_eq!(stats.received.get(CommandId::BindTransceiverResp), 1);
    assert_eq!(stats.received.get(CommandId::SubmitSmResp), 100);
    assert_eq!(stats.received.get(CommandId::DeliverSm), 3);
    assert_eq!(stats.received.get(CommandId::EnquireLink), 1);
    assert_eq!(stats.received.total(), 105);
    assert_eq!(
        stats.received.iter().collect::<Vec<_>>(),
        // In command_id table order.
        vec![
            (CommandId::SubmitSmResp, 100),
            (CommandId::DeliverSm, 3),
            (CommandId::BindTransceiverResp, 1),
            (CommandId::EnquireLink, 1),
        ]
    );

    // The bind response counts with the submit responses.
    assert_eq!(
        stats.response_status_received.iter().collect::<Vec<_>>(),
        vec![
            (CommandStatus::Ok, 99),
            (CommandStatus::InvDstAdr, 1),
            (CommandStatus::Throttled, 1),
        ]
    );
    assert_eq!(
        stats.response_status_sent.iter().collect::<Vec<_>>(),
        vec![(CommandStatus::Ok, 3), (CommandStatus::SysErr, 1)]
    );

    // 98 at 10 ms and 2 at 100 ms, reported as their buckets' upper edges
    // (10 ms falls in 10.0..10.24 ms, 100 ms in 98.3..114.7 ms).
    assert_eq!(stats.latency.count(), 100);
    assert_eq!(stats.latency.p50(), Some(Duration::from_micros(10_239)));
    assert_eq!(stats.latency.p99(), Some(Duration::from_micros(114_687)));

    assert_eq!(stats.throttled, 1);
    assert_eq!(stats.timeouts, 0);
    assert_eq!(stats.rate_limited, 0);
    assert_eq!(stats.in_flight, 0);
    assert_eq!(stats.unexpected_responses, 0);
    assert_eq!(stats.bad_pdus, 0);
    assert_eq!(stats.enquire_link_failures, 0);
}

#[test]
fn no_latency_without_responses() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    h.send_ok(submit());
    let stats = h.s.stats();
    assert_eq!(stats.latency.count(), 0);
    assert_eq!(stats.latency.p50(), None);
    assert_eq!(stats.latency.p99(), None);
    assert_eq!(stats.in_flight, 1);
}

#[test]
fn timeouts_and_enquire_link_failures_are_counted() {
    let config = SessionConfig {
        enquire_link_interval: Some(secs(30)),
        response_timeout: secs(5),
        enquire_link_max_missed: 10,
        ..SessionConfig::default()
    };
    let mut h = Harness::bound_esme(BindMode::Transmitter, config);
    h.send_ok(submit());
    tick!(h, time 5_000);
    let _ = h.events();
    tick!(h, time 30_000);
    tick!(h, time 35_000);
    tick!(h, time 40_000);
    assert_eq!(h.out().len(), 3);
    let stats = h.s.stats();
    assert_eq!(stats.timeouts, 1);
    assert_eq!(stats.enquire_link_failures, 2);
    assert_eq!(stats.sent.get(CommandId::EnquireLink), 3);
    assert_eq!(stats.in_flight, 0);
}
