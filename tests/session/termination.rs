//! Ending a session: the local unbind and its drain, the unbind timer, the
//! peer's unbind, crossing unbinds, abort, the transport going away, and
//! what a closed session still does (nothing).

use crate::common::*;
use smpp::pdu::{AlertNotification, COctet, CommandStatus};
use smpp::session::{BindMode, CloseReason, ReturnReason, SessionError, State};

#[test]
fn local_unbind_waits_for_outstanding_requests() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    let (a, sa) = h.send_ok(submit());
    let (b, sb) = h.send_ok(submit());
    h.at(ms(100));
    h.s.unbind(h.now).unwrap();
    recv!(h, []);
    events!(h, []);
    assert!(h.s.is_unbinding());
    state!(h, State::BoundTrx);
    assert_eq!(h.s.send(h.now, submit()), Err(SessionError::Unbinding));
    // The drain timer (10 s after the unbind) comes before the response
    // timers (30 s after the sends).
    assert_eq!(h.deadline(), Some(ms(10_100)));

    send!(h, time 200, submit_resp(sb, "b"));
    events!(
        h,
        [Ev::Response {
            id: b.0,
            pdu: submit_resp(sb, "b"),
            sent_at: h.t0
        }]
    );
    recv!(h, []);
    send!(h, time 300, submit_resp(sa, "a"));
    events!(
        h,
        [Ev::Response {
            id: a.0,
            pdu: submit_resp(sa, "a"),
            sent_at: h.t0
        }]
    );
    // The window is empty: now the unbind.
    recv!(h, [unbind(4)]);
    state!(h, State::BoundTrx);
    assert_eq!(h.deadline(), Some(ms(5_300)));

    send!(h, time 400, unbind_resp(4));
    recv!(h, []);
    events!(
        h,
        [
            Ev::State(State::BoundTrx, State::Unbound),
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound),
        ]
    );
    assert_eq!(h.deadline(), None);
}

#[test]
fn unbind_with_nothing_outstanding_goes_out_at_once() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    h.s.unbind(h.now).unwrap();
    recv!(h, [unbind(2)]);
    // Asking again changes nothing.
    h.s.unbind(h.now).unwrap();
    recv!(h, []);
    // The peer may answer with a generic_nack: the session is over either
    // way.
    send!(h, nack(2, CommandStatus::InvBndSts));
    events!(
        h,
        [
            Ev::State(State::BoundTx, State::Unbound),
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound),
        ]
    );
}

#[test]
fn drain_timeout_sends_unbind_anyway() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    let (id, _) = h.send_ok(submit());
    h.at(ms(1_000));
    h.s.unbind(h.now).unwrap();
    recv!(h, []);
    tick!(h, time 10_999);
    recv!(h, []);
    tick!(h, time 11_000);
    recv!(h, [unbind(3)]);
    events!(h, []);
    // The outstanding request comes back at the close.
    send!(h, time 11_500, unbind_resp(3));
    events!(
        h,
        [
            Ev::State(State::BoundTrx, State::Unbound),
            Ev::Returned {
                id: id.0,
                body: submit(),
                reason: ReturnReason::Closed,
            },
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound),
        ]
    );
    assert_eq!(h.s.stats().timeouts, 0);
}

#[test]
fn a_request_timing_out_during_the_drain_lets_the_unbind_go() {
    let config = smpp::session::SessionConfig {
        response_timeout: secs(5),
        drain_timeout: secs(10),
        ..quiet()
    };
    let mut h = Harness::bound_esme(BindMode::Transmitter, config);
    let (id, _) = h.send_ok(submit());
    h.s.unbind(h.now).unwrap();
    recv!(h, []);
    assert_eq!(h.deadline(), Some(ms(5_000)));
    tick!(h, time 5_000);
    events!(
        h,
        [Ev::Returned {
            id: id.0,
            body: submit(),
            reason: ReturnReason::Timeout,
        }]
    );
    recv!(h, [unbind(3)]);
    send!(h, unbind_resp(3));
    events!(
        h,
        [
            Ev::State(State::BoundTx, State::Unbound),
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound),
        ]
    );
}

#[test]
fn unbind_timeout_closes() {
    let mut h = Harness::bound_esme(BindMode::Receiver, quiet());
    h.s.unbind(h.now).unwrap();
    recv!(h, [unbind(2)]);
    assert_eq!(h.deadline(), Some(ms(5_000)));
    tick!(h, time 4_999);
    events!(h, []);
    tick!(h, time 5_000);
    recv!(h, []);
    events!(h, closed(State::BoundRx, CloseReason::UnbindTimeout));
    // Too late.
    send!(h, time 5_001, unbind_resp(2));
    events!(h, []);
    assert_eq!(h.s.close_reason(), Some(CloseReason::UnbindTimeout));
}

#[test]
fn peer_unbind_is_answered_and_outstanding_requests_come_back() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    let (a, _) = h.send_ok(submit_body("1", "a"));
    let (b, _) = h.send_ok(submit_body("2", "b"));
    send!(h, time 10, unbind(77));
    recv!(h, [unbind_resp(77)]);
    events!(
        h,
        [
            Ev::State(State::BoundTrx, State::Unbound),
            Ev::Returned {
                id: a.0,
                body: submit_body("1", "a"),
                reason: ReturnReason::Closed,
            },
            Ev::Returned {
                id: b.0,
                body: submit_body("2", "b"),
                reason: ReturnReason::Closed,
            },
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound),
        ]
    );
}

#[test]
fn peer_unbind_behind_requests_waits_for_their_answers() {
    let mut h = Harness::bound_smsc(BindMode::Transmitter, quiet());
    send!(h, submit_pdu(2), submit_pdu(3));
    let _ = h.events();
    send!(h, unbind(4));
    // Nothing yet: the two submits are answered before the unbind.
    recv!(h, []);
    events!(h, [Ev::State(State::BoundTx, State::Unbound)]);
    h.s.respond(h.now, h.inbound(3), submit_resp(3, "y").body)
        .unwrap();
    recv!(h, [submit_resp(3, "y")]);
    h.s.respond(h.now, h.inbound(2), submit_resp(2, "x").body)
        .unwrap();
    recv!(h, [submit_resp(2, "x"), unbind_resp(4)]);
    events!(
        h,
        [
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound)
        ]
    );
}

#[test]
fn peer_unbind_behind_unanswered_requests_gives_up_after_the_response_timeout() {
    let mut h = Harness::bound_smsc(BindMode::Transmitter, quiet());
    send!(h, submit_pdu(2));
    let _ = h.events();
    send!(h, unbind(3));
    recv!(h, []);
    let _ = h.events();
    tick!(h, time 29_999);
    recv!(h, []);
    tick!(h, time 30_000);
    recv!(h, [unbind_resp(3)]);
    events!(
        h,
        [
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound)
        ]
    );
    assert_eq!(
        h.s.respond(h.now, h.inbound(2), submit_resp(2, "x").body),
        Err(SessionError::Closed)
    );
}

#[test]
fn reused_sequence_number_is_answered_twice() {
    let mut h = Harness::bound_smsc(BindMode::Transmitter, quiet());
    send!(h, submit_pdu(5), submit_pdu(5));
    let _ = h.events();
    h.s.respond(h.now, h.inbound(5), submit_resp(5, "a").body)
        .unwrap();
    h.s.respond(h.now, h.inbound(5), submit_resp(5, "b").body)
        .unwrap();
    recv!(h, [submit_resp(5, "a"), submit_resp(5, "b")]);
    assert_eq!(
        h.s.respond(h.now, h.inbound(5), submit_resp(5, "c").body),
        Err(SessionError::UnknownInbound)
    );
}

#[test]
fn crossing_unbinds() {
    // Both ends unbind at the same time: each answers the other's unbind,
    // and the answer to its own is no longer needed.
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    h.s.unbind(h.now).unwrap();
    recv!(h, [unbind(2)]);
    send!(h, time 5, unbind(1));
    recv!(h, [unbind_resp(1)]);
    events!(
        h,
        [
            Ev::State(State::BoundTrx, State::Unbound),
            Ev::State(State::Unbound, State::Closed),
            Ev::Closed(CloseReason::Unbound),
        ]
    );
    send!(h, time 6, unbind_resp(2));
    recv!(h, []);
    events!(h, []);
}

#[test]
fn unbind_when_not_bound_closes_at_once() {
    let mut h = Harness::esme(quiet());
    h.s.unbind(h.now).unwrap();
    recv!(h, []);
    events!(h, closed(State::Open, CloseReason::Unbound));

    let mut h = Harness::esme(quiet());
    h.s.bind(h.now, BindMode::Transmitter, credentials(0x34))
        .unwrap();
    let _ = h.out();
    h.s.unbind(h.now).unwrap();
    recv!(h, []);
    events!(h, closed(State::Open, CloseReason::Unbound));
}

#[test]
fn abort_hands_back_outstanding_requests_and_writes_nothing() {
    let mut h = Harness::bound_smsc(BindMode::Receiver, quiet());
    let (a, _) = h.send_ok(deliver());
    h.at(ms(1));
    let (b, _) = h.send_ok(deliver());
    h.s.abort(h.now);
    recv!(h, []);
    events!(
        h,
        [
            Ev::Returned {
                id: a.0,
                body: deliver(),
                reason: ReturnReason::Closed,
            },
            Ev::Returned {
                id: b.0,
                body: deliver(),
                reason: ReturnReason::Closed,
            },
            Ev::State(State::BoundRx, State::Closed),
            Ev::Closed(CloseReason::Aborted),
        ]
    );
    assert_eq!(h.s.in_flight(), 0);
    assert_eq!(h.s.stats().in_flight, 0);
}

#[test]
fn transport_closed_hands_back_outstanding_requests() {
    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    let (a, _) = h.send_ok(submit());
    h.s.handle_transport_closed(h.now);
    events!(
        h,
        [
            Ev::Returned {
                id: a.0,
                body: submit(),
                reason: ReturnReason::Closed,
            },
            Ev::State(State::BoundTx, State::Closed),
            Ev::Closed(CloseReason::TransportClosed),
        ]
    );

    let mut h = Harness::smsc(quiet());
    h.s.handle_transport_closed(h.now);
    events!(h, closed(State::Open, CloseReason::TransportClosed));
}

#[test]
fn a_closed_session_refuses_every_command_and_ignores_every_input() {
    let mut h = Harness::bound_smsc(BindMode::Transceiver, quiet());
    send!(h, submit_pdu(2));
    let _ = h.events();
    let inbound = h.inbound(2);
    h.s.abort(h.now);
    events!(h, closed(State::BoundTrx, CloseReason::Aborted));
    let received = h.s.stats().received.total();

    let now = h.now;
    let s = &mut h.s;
    let closed_err = Err(SessionError::Closed);
    assert_eq!(
        s.bind(now, BindMode::Transmitter, credentials(0x34)),
        closed_err
    );
    assert_eq!(
        s.await_outbind(now, Some(COctet::EMPTY), COctet::EMPTY, credentials(0x34)),
        closed_err
    );
    assert_eq!(s.outbind(now, COctet::EMPTY), closed_err);
    assert_eq!(s.accept_bind(now, inbound), closed_err);
    assert_eq!(
        s.reject_bind(now, inbound, CommandStatus::BindFail),
        closed_err
    );
    assert_eq!(s.send(now, deliver()), Err(SessionError::Closed));
    assert_eq!(s.send_alert(now, AlertNotification::default()), closed_err);
    assert_eq!(
        s.respond(now, inbound, submit_resp(2, "x").body),
        closed_err
    );
    assert_eq!(
        s.respond_status(now, inbound, CommandStatus::SysErr),
        closed_err
    );
    assert_eq!(s.unbind(now), closed_err);
    s.abort(now);
    recv!(h, []);
    events!(h, []);

    send!(h, time 10, enquire(9), unbind(10), submit_pdu(11));
    h.feed_raw(&[0, 0, 0, 1, 2, 3]);
    h.s.handle_transport_closed(h.now);
    tick!(h, time 3_600_000);
    recv!(h, []);
    events!(h, []);
    state!(h, State::Closed);
    assert_eq!(h.s.close_reason(), Some(CloseReason::Aborted));
    assert_eq!(h.deadline(), None);
    assert_eq!(h.s.stats().received.total(), received);
    assert_eq!(h.s.stats().bad_pdus, 0);
}
