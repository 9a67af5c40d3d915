//! The link timers: enquire_link after an idle interval, its response timer
//! and the dead-link rule, the peer's enquire_link, and the inactivity
//! timeout.

use crate::common::*;
use smpp::pdu::{Body, CommandId, MessageIdResp};
use smpp::session::{BindMode, CloseReason, ReturnReason, SessionConfig, State};

fn enquiring() -> SessionConfig {
    SessionConfig {
        enquire_link_interval: Some(secs(30)),
        response_timeout: secs(5),
        enquire_link_max_missed: 3,
        ..SessionConfig::default()
    }
}

#[test]
fn enquire_link_only_after_the_link_is_idle_for_the_interval() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, enquiring());
    assert_eq!(h.deadline(), Some(ms(30_000)));
    tick!(h, time 29_999);
    recv!(h, []);
    tick!(h, time 30_000);
    recv!(h, [enquire(2)]);
    events!(h, []);
    // Now the response timer runs, not the idle one.
    assert_eq!(h.deadline(), Some(ms(35_000)));
    send!(h, time 30_100, enquire_resp(2));
    recv!(h, []);
    events!(h, []);
    assert_eq!(h.deadline(), Some(ms(60_100)));
    tick!(h, time 60_099);
    recv!(h, []);
    tick!(h, time 60_100);
    recv!(h, [enquire(3)]);
    let stats = h.s.stats();
    assert_eq!(stats.sent.get(CommandId::EnquireLink), 2);
    assert_eq!(stats.received.get(CommandId::EnquireLinkResp), 1);
    assert_eq!(stats.enquire_link_failures, 0);
}

#[test]
fn a_received_pdu_pushes_the_enquire_link_back() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, enquiring());
    send!(h, time 20_000, deliver_pdu(9));
    events!(
        h,
        [Ev::Request {
            seq: 9,
            pdu: deliver_pdu(9)
        }]
    );
    h.s.respond(
        h.now,
        h.inbound(9),
        Body::DeliverSmResp(MessageIdResp::default()),
    )
    .unwrap();
    recv!(h, [deliver_resp(9)]);
    assert_eq!(h.deadline(), Some(ms(50_000)));
    // The interval minus 1 ms after the received PDU: still quiet.
    tick!(h, time 49_999);
    recv!(h, []);
    tick!(h, time 50_000);
    recv!(h, [enquire(2)]);
}

#[test]
fn sent_traffic_does_not_push_the_enquire_link_back() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, enquiring());
    h.at(ms(10_000));
    let (_, seq) = h.send_ok(submit());
    assert_eq!(seq, 2);
    // The submit's own response timer comes first.
    assert_eq!(h.deadline(), Some(ms(15_000)));
    tick!(h, time 15_000);
    let events = h.events();
    assert!(matches!(
        events[..],
        [Ev::Returned {
            reason: ReturnReason::Timeout,
            ..
        }]
    ));
    tick!(h, time 30_000);
    recv!(h, [enquire(3)]);
}

#[test]
fn unanswered_enquire_links_declare_the_link_dead() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, enquiring());
    tick!(h, time 30_000);
    recv!(h, [enquire(2)]);
    tick!(h, time 34_999);
    recv!(h, []);
    // Missed once: try again at once.
    tick!(h, time 35_000);
    recv!(h, [enquire(3)]);
    events!(h, []);
    assert_eq!(h.s.stats().enquire_link_failures, 1);
    tick!(h, time 40_000);
    recv!(h, [enquire(4)]);
    assert_eq!(h.s.stats().enquire_link_failures, 2);
    state!(h, State::BoundTrx);
    // The third miss ends it.
    tick!(h, time 44_999);
    recv!(h, []);
    tick!(h, time 45_000);
    recv!(h, []);
    events!(h, closed(State::BoundTrx, CloseReason::LinkDead));
    assert_eq!(h.s.stats().enquire_link_failures, 3);
    assert_eq!(h.deadline(), None);
}

#[test]
fn one_allowed_miss_means_the_first_miss_is_fatal() {
    let config = SessionConfig {
        enquire_link_max_missed: 1,
        ..enquiring()
    };
    let mut h = Harness::bound_smsc(BindMode::Receiver, config);
    tick!(h, time 30_000);
    // The SMSC's own numbering starts at 1.
    recv!(h, [enquire(1)]);
    tick!(h, time 35_000);
    events!(h, closed(State::BoundRx, CloseReason::LinkDead));
}

#[test]
fn any_received_pdu_resets_the_missed_count() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, enquiring());
    tick!(h, time 30_000);
    tick!(h, time 35_000);
    tick!(h, time 40_000);
    recv!(h, [enquire(2), enquire(3), enquire(4)]);
    // Two misses so far; then the peer shows signs of life.
    send!(h, time 42_000, deliver_pdu(50));
    let _ = h.events();
    h.s.respond_status(h.now, h.inbound(50), smpp::pdu::CommandStatus::SysErr)
        .unwrap();
    recv!(
        h,
        [err(
            CommandId::DeliverSm,
            50,
            smpp::pdu::CommandStatus::SysErr
        )]
    );
    // The third enquire_link still goes unanswered, but the count restarted.
    tick!(h, time 45_000);
    recv!(h, [enquire(5)]);
    events!(h, []);
    assert_eq!(h.s.stats().enquire_link_failures, 3);
    state!(h, State::BoundTrx);
    send!(h, time 46_000, enquire_resp(5));
    assert_eq!(h.deadline(), Some(ms(76_000)));
}

#[test]
fn a_late_enquire_link_resp_is_unexpected() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, enquiring());
    tick!(h, time 30_000);
    tick!(h, time 35_000);
    recv!(h, [enquire(2), enquire(3)]);
    send!(h, time 36_000, enquire_resp(2));
    assert_eq!(h.s.stats().unexpected_responses, 1);
    // Still, it was traffic: the missed count restarted, and the
    // outstanding enquire_link keeps its timer.
    assert_eq!(h.deadline(), Some(ms(40_000)));
    send!(h, enquire_resp(3));
    assert_eq!(h.deadline(), Some(ms(66_000)));
    events!(h, []);
}

#[test]
fn the_peers_enquire_link_is_always_answered() {
    // ESME, not bound yet; ESME with its bind in flight; SMSC before any
    // bind; bound sessions; and an SMSC whose inbound queue is full.
    let mut h = Harness::esme(quiet());
    send!(h, enquire(1));
    recv!(h, [enquire_resp(1)]);
    h.s.bind(h.now, BindMode::Transmitter, credentials(0x34))
        .unwrap();
    let _ = h.out();
    send!(h, enquire(2));
    recv!(h, [enquire_resp(2)]);
    state!(h, State::Open);

    let mut h = Harness::smsc(quiet());
    send!(h, enquire(0x7FFF_FFFF));
    recv!(h, [enquire_resp(0x7FFF_FFFF)]);
    events!(h, []);
    state!(h, State::Open);

    let config = SessionConfig {
        max_inbound_pending: 1,
        ..quiet()
    };
    let mut h = Harness::bound_smsc(BindMode::Transceiver, config);
    send!(h, submit_pdu(2));
    let _ = h.events();
    send!(h, submit_pdu(3), enquire(4));
    recv!(
        h,
        [
            err(CommandId::SubmitSm, 3, smpp::pdu::CommandStatus::MsgQFul),
            enquire_resp(4)
        ]
    );
    assert_eq!(h.s.stats().sent.get(CommandId::EnquireLinkResp), 1);
}

#[test]
fn handle_timeout_early_or_twice_is_harmless() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, enquiring());
    for t in [0, 1, 10_000, 10_000, 29_999] {
        tick!(h, time t);
        recv!(h, []);
        events!(h, []);
    }
    tick!(h, time 30_000);
    tick!(h, time 30_000);
    recv!(h, [enquire(2)]);
    events!(h, []);
}

#[test]
fn inactivity_timeout_closes() {
    let config = SessionConfig {
        inactivity_timeout: Some(secs(60)),
        ..quiet()
    };
    let mut h = Harness::bound_smsc(BindMode::Transceiver, config);
    assert_eq!(h.deadline(), Some(ms(60_000)));
    // The peer's traffic restarts it; our own does not.
    send!(h, time 30_000, enquire(2));
    recv!(h, [enquire_resp(2)]);
    h.at(ms(40_000));
    let (id, seq) = h.send_ok(deliver());
    assert_eq!(seq, 1);
    assert_eq!(h.deadline(), Some(ms(70_000)));
    tick!(h, time 89_999);
    // The deliver_sm timed out at 70 s.
    let events = h.events();
    assert_eq!(
        events,
        vec![Ev::Returned {
            id: id.0,
            body: deliver(),
            reason: ReturnReason::Timeout
        }]
    );
    recv!(h, []);
    state!(h, State::BoundTrx);
    tick!(h, time 90_000);
    // An unbind goes out as a courtesy; the session does not wait for it.
    recv!(h, [unbind(2)]);
    events!(h, closed(State::BoundTrx, CloseReason::Inactive));
    assert_eq!(h.s.close_reason(), Some(CloseReason::Inactive));
}

#[test]
fn inactivity_close_hands_back_outstanding_requests() {
    let config = SessionConfig {
        inactivity_timeout: Some(secs(60)),
        response_timeout: secs(120),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transmitter, config);
    h.at(ms(59_000));
    let (id, _) = h.send_ok(submit());
    tick!(h, time 60_000);
    recv!(h, [unbind(3)]);
    events!(
        h,
        [
            Ev::Returned {
                id: id.0,
                body: submit(),
                reason: ReturnReason::Closed
            },
            Ev::State(State::BoundTx, State::Closed),
            Ev::Closed(CloseReason::Inactive),
        ]
    );
}

#[test]
fn timers_do_not_run_before_a_bind_completes() {
    // An ESME whose bind is in flight sends no enquire_link and has no
    // inactivity timer: only the bind timer runs.
    let config = SessionConfig {
        inactivity_timeout: Some(secs(1)),
        enquire_link_interval: Some(secs(1)),
        bind_timeout: secs(10),
        ..SessionConfig::default()
    };
    let mut h = Harness::esme(config);
    h.s.bind(h.now, BindMode::Transceiver, credentials(0x34))
        .unwrap();
    let _ = h.out();
    assert_eq!(h.deadline(), Some(secs(10)));
    tick!(h, time 5_000);
    recv!(h, []);
    events!(h, []);
}

#[test]
fn an_enquire_link_waits_no_longer_than_the_interval_for_its_answer() {
    // A 1 s interval with the default 30 s response timeout: each probe is
    // given 1 s, so three misses close the link after about 4 s.
    let config = SessionConfig {
        enquire_link_interval: Some(secs(1)),
        enquire_link_max_missed: 3,
        ..SessionConfig::default()
    };
    let mut h = Harness::bound_esme(BindMode::Transceiver, config);
    tick!(h, time 1_000);
    recv!(h, [enquire(2)]);
    assert_eq!(h.deadline(), Some(ms(2_000)));
    tick!(h, time 2_000);
    recv!(h, [enquire(3)]);
    tick!(h, time 3_000);
    recv!(h, [enquire(4)]);
    tick!(h, time 4_000);
    recv!(h, []);
    events!(h, closed(State::BoundTrx, CloseReason::LinkDead));
}
