//! Binding: the ESME's bind in each mode and its outcomes, the SMSC's bind
//! request, accept and reject, and the session-init timer.

use crate::common::*;
use smpp::pdu::{CommandId, CommandStatus};
use smpp::session::{BindMode, CloseReason, SessionError, State};

const MODES: [BindMode; 3] = [
    BindMode::Transmitter,
    BindMode::Receiver,
    BindMode::Transceiver,
];

#[test]
fn esme_binds_in_each_mode() {
    for mode in MODES {
        let mut h = Harness::esme(quiet());
        h.s.bind(h.now, mode, credentials(0x34)).unwrap();
        recv!(h, [bind_pdu(mode, 1, credentials(0x34))]);
        events!(h, []);
        state!(h, State::Open);
        // The bind response timer.
        assert_eq!(h.deadline(), Some(secs(10)));

        send!(h, time 40, bind_resp(mode, 1, "SMSC", Some(0x34)));
        recv!(h, []);
        events!(
            h,
            [
                Ev::State(State::Open, mode.bound_state()),
                Ev::Bound {
                    mode,
                    system_id: "SMSC".into(),
                    version: Some(0x34),
                },
            ]
        );
        state!(h, mode.bound_state());
        // Bound, no enquire_link timer configured: no timer at all.
        assert_eq!(h.deadline(), None);
    }
}

#[test]
fn esme_bind_response_without_sc_interface_version() {
    let mut h = Harness::esme(quiet());
    h.s.bind(h.now, BindMode::Transmitter, credentials(0x34))
        .unwrap();
    recv!(h, [bind_pdu(BindMode::Transmitter, 1, credentials(0x34))]);
    send!(h, bind_resp(BindMode::Transmitter, 1, "old", None));
    events!(
        h,
        [
            Ev::State(State::Open, State::BoundTx),
            Ev::Bound {
                mode: BindMode::Transmitter,
                system_id: "old".into(),
                version: None,
            },
        ]
    );
}

#[test]
fn esme_bind_refused_closes() {
    for status in [
        CommandStatus::InvPaswd,
        CommandStatus::InvSysId,
        CommandStatus::BindFail,
    ] {
        for mode in MODES {
            let mut h = Harness::esme(quiet());
            h.s.bind(h.now, mode, credentials(0x34)).unwrap();
            recv!(h, [bind_pdu(mode, 1, credentials(0x34))]);
            send!(h, time 5, err(mode.command_id(), 1, status));
            recv!(h, []);
            let mut expected = vec![Ev::BindRefused(status)];
            expected.extend(closed(State::Open, CloseReason::BindRefused(status)));
            events!(h, expected);
            state!(h, State::Closed);
            assert_eq!(h.s.close_reason(), Some(CloseReason::BindRefused(status)));
            assert_eq!(h.deadline(), None);
        }
    }
}

#[test]
fn esme_bind_answered_by_generic_nack_is_refused() {
    let mut h = Harness::esme(quiet());
    h.s.bind(h.now, BindMode::Receiver, credentials(0x34))
        .unwrap();
    recv!(h, [bind_pdu(BindMode::Receiver, 1, credentials(0x34))]);
    send!(h, nack(1, CommandStatus::InvCmdId));
    let mut expected = vec![Ev::BindRefused(CommandStatus::InvCmdId)];
    expected.extend(closed(
        State::Open,
        CloseReason::BindRefused(CommandStatus::InvCmdId),
    ));
    events!(h, expected);
}

#[test]
fn esme_bind_times_out() {
    for mode in MODES {
        let mut h = Harness::esme(quiet());
        h.s.bind(h.now, mode, credentials(0x34)).unwrap();
        recv!(h, [bind_pdu(mode, 1, credentials(0x34))]);
        assert_eq!(h.deadline(), Some(ms(10_000)));
        tick!(h, time 9_999);
        events!(h, []);
        state!(h, State::Open);
        tick!(h, time 10_000);
        recv!(h, []);
        events!(h, closed(State::Open, CloseReason::BindTimeout));
        assert_eq!(h.s.close_reason(), Some(CloseReason::BindTimeout));
        // A late answer changes nothing.
        send!(h, time 10_001, bind_resp(mode, 1, "SMSC", Some(0x34)));
        recv!(h, []);
        events!(h, []);
        state!(h, State::Closed);
    }
}

#[test]
fn esme_ignores_a_bind_response_of_another_mode() {
    let mut h = Harness::esme(quiet());
    h.s.bind(h.now, BindMode::Transmitter, credentials(0x34))
        .unwrap();
    recv!(h, [bind_pdu(BindMode::Transmitter, 1, credentials(0x34))]);
    send!(h, bind_resp(BindMode::Receiver, 1, "SMSC", Some(0x34)));
    recv!(h, []);
    events!(h, []);
    state!(h, State::Open);
    assert_eq!(h.s.stats().unexpected_responses, 1);
    // The right one still binds.
    send!(h, bind_resp(BindMode::Transmitter, 1, "SMSC", Some(0x34)));
    events!(
        h,
        [
            Ev::State(State::Open, State::BoundTx),
            Ev::Bound {
                mode: BindMode::Transmitter,
                system_id: "SMSC".into(),
                version: Some(0x34),
            },
        ]
    );
}

#[test]
fn esme_cannot_bind_twice() {
    let mut h = Harness::esme(quiet());
    h.s.bind(h.now, BindMode::Transmitter, credentials(0x34))
        .unwrap();
    recv!(h, [bind_pdu(BindMode::Transmitter, 1, credentials(0x34))]);
    assert_eq!(
        h.s.bind(h.now, BindMode::Receiver, credentials(0x34)),
        Err(SessionError::InvalidState {
            command_id: CommandId::BindReceiver,
            state: State::Open,
        })
    );
    recv!(h, []);

    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    assert_eq!(
        h.s.bind(h.now, BindMode::Transceiver, credentials(0x34)),
        Err(SessionError::InvalidState {
            command_id: CommandId::BindTransceiver,
            state: State::BoundTx,
        })
    );
    recv!(h, []);
    events!(h, []);
}

#[test]
fn smsc_cannot_bind() {
    let mut h = Harness::smsc(quiet());
    assert_eq!(
        h.s.bind(h.now, BindMode::Transmitter, credentials(0x34)),
        Err(SessionError::InvalidState {
            command_id: CommandId::BindTransmitter,
            state: State::Open,
        })
    );
    recv!(h, []);
}

#[test]
fn smsc_accepts_each_mode_and_answers_the_interface_version() {
    for mode in MODES {
        for (version, sc_version) in [(0x34, Some(0x34)), (0x33, None), (0x50, Some(0x34))] {
            let mut h = Harness::smsc(quiet());
            send!(h, time 20, bind_pdu(mode, 7, credentials(version)));
            recv!(h, []);
            events!(
                h,
                [Ev::BindRequest {
                    seq: 7,
                    mode,
                    bind: credentials(version),
                }]
            );
            state!(h, State::Open);
            h.s.accept_bind(h.now, h.inbound(7)).unwrap();

            let mut wire = Vec::new();
            h.s.poll_transmit(&mut wire);
            // "smppd" and its NUL, then the 5-octet TLV when the ESME
            // speaks 3.4 or later.
            let tlv_len = if sc_version.is_some() { 5 } else { 0 };
            assert_eq!(wire.len(), 16 + 6 + tlv_len);
            assert_eq!(
                decode_all(&wire),
                vec![bind_resp(mode, 7, "smppd", sc_version)]
            );
            events!(
                h,
                [
                    Ev::State(State::Open, mode.bound_state()),
                    Ev::Bound {
                        mode,
                        system_id: "esme1".into(),
                        version: Some(version),
                    },
                ]
            );
            state!(h, mode.bound_state());
            // The session-init timer stopped.
            assert_eq!(h.deadline(), None);
            tick!(h, time 60_000);
            events!(h, []);
        }
    }
}

#[test]
fn smsc_rejects_a_bind_and_closes() {
    for status in [
        CommandStatus::InvSysId,
        CommandStatus::InvPaswd,
        CommandStatus::BindFail,
    ] {
        let mut h = Harness::smsc(quiet());
        send!(h, bind_pdu(BindMode::Transmitter, 3, credentials(0x34)));
        events!(
            h,
            [Ev::BindRequest {
                seq: 3,
                mode: BindMode::Transmitter,
                bind: credentials(0x34),
            }]
        );
        h.s.reject_bind(h.now, h.inbound(3), status).unwrap();
        recv!(h, [err(CommandId::BindTransmitter, 3, status)]);
        events!(h, closed(State::Open, CloseReason::BindRefused(status)));
        assert_eq!(h.deadline(), None);
    }
}

#[test]
fn smsc_reject_with_ok_sends_bind_fail() {
    let mut h = Harness::smsc(quiet());
    send!(h, bind_pdu(BindMode::Receiver, 9, credentials(0x34)));
    let _ = h.events();
    h.s.reject_bind(h.now, h.inbound(9), CommandStatus::Ok)
        .unwrap();
    recv!(
        h,
        [err(CommandId::BindReceiver, 9, CommandStatus::BindFail)]
    );
    events!(
        h,
        closed(
            State::Open,
            CloseReason::BindRefused(CommandStatus::BindFail)
        )
    );
}

#[test]
fn smsc_answers_a_second_bind_with_already_bound() {
    let mut h = Harness::bound_smsc(BindMode::Transceiver, quiet());
    for (seq, mode) in (5..).zip(MODES) {
        send!(h, time 100, bind_pdu(mode, seq, credentials(0x34)));
        recv!(h, [err(mode.command_id(), seq, CommandStatus::AlyBnd)]);
        events!(h, []);
        state!(h, State::BoundTrx);
    }
    assert_eq!(
        h.s.stats().response_status_sent.get(CommandStatus::AlyBnd),
        3
    );
}

#[test]
fn smsc_answers_a_bind_while_one_is_pending_with_already_bound() {
    let mut h = Harness::smsc(quiet());
    send!(h, bind_pdu(BindMode::Transmitter, 1, credentials(0x34)));
    let _ = h.events();
    send!(h, bind_pdu(BindMode::Receiver, 2, credentials(0x34)));
    recv!(h, [err(CommandId::BindReceiver, 2, CommandStatus::AlyBnd)]);
    events!(h, []);
    // The first is still there to accept.
    h.s.accept_bind(h.now, h.inbound(1)).unwrap();
    recv!(
        h,
        [bind_resp(BindMode::Transmitter, 1, "smppd", Some(0x34))]
    );
    let events = h.events();
    assert_eq!(events[0], Ev::State(State::Open, State::BoundTx));
}

#[test]
fn smsc_closes_when_no_bind_comes() {
    let mut h = Harness::smsc(quiet());
    assert_eq!(h.deadline(), Some(secs(10)));
    tick!(h, time 9_999);
    events!(h, []);
    // An enquire_link is answered but does not count as a bind.
    send!(h, enquire(1));
    recv!(h, [enquire_resp(1)]);
    assert_eq!(h.deadline(), Some(secs(10)));
    tick!(h, time 10_000);
    recv!(h, []);
    events!(h, closed(State::Open, CloseReason::BindTimeout));
}

#[test]
fn smsc_closes_when_the_application_never_answers_the_bind() {
    let mut h = Harness::smsc(quiet());
    send!(h, time 3_000, bind_pdu(BindMode::Receiver, 1, credentials(0x34)));
    let _ = h.events();
    tick!(h, time 10_000);
    events!(h, closed(State::Open, CloseReason::BindTimeout));
    assert_eq!(
        h.s.accept_bind(h.now, h.inbound(1)),
        Err(SessionError::Closed)
    );
}

#[test]
fn smsc_accept_and_reject_need_a_pending_bind() {
    let mut h = Harness::smsc(quiet());
    send!(h, bind_pdu(BindMode::Transceiver, 4, credentials(0x34)));
    let _ = h.events();
    let id = h.inbound(4);
    h.s.accept_bind(h.now, id).unwrap();
    let _ = h.out();
    let _ = h.events();
    assert_eq!(
        h.s.accept_bind(h.now, id),
        Err(SessionError::UnknownInbound)
    );
    assert_eq!(
        h.s.reject_bind(h.now, id, CommandStatus::BindFail),
        Err(SessionError::UnknownInbound)
    );
    recv!(h, []);
    state!(h, State::BoundTrx);
}

#[test]
fn esme_bind_answered_by_generic_nack_with_status_zero_is_still_refused() {
    let mut h = Harness::esme(quiet());
    h.s.bind(h.now, BindMode::Transceiver, credentials(0x34))
        .unwrap();
    recv!(h, [bind_pdu(BindMode::Transceiver, 1, credentials(0x34))]);
    send!(h, nack(1, CommandStatus::Ok));
    let mut expected = vec![Ev::BindRefused(CommandStatus::BindFail)];
    expected.extend(closed(
        State::Open,
        CloseReason::BindRefused(CommandStatus::BindFail),
    ));
    events!(h, expected);
}
