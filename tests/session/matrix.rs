//! The operation matrix: every request a peer can send, in every state of
//! both roles. Allowed requests take effect; the others are answered with
//! ESME_RINVBNDSTS in their own response (ESME_RALYBND for a bind on a
//! bound session, generic_nack for outbind, nothing for
//! alert_notification) and leave the state as it was. Then the local side:
//! commands that the matrix does not allow are refused before anything is
//! written.

use crate::common::*;
use smpp::pdu::{Body, COctet, CommandId, CommandStatus, Pdu};
use smpp::session::{BindMode, CloseReason, Role, SessionError, State};

const STATES: [State; 5] = [
    State::Open,
    State::Outbound,
    State::BoundTx,
    State::BoundRx,
    State::BoundTrx,
];

/// A session of `role` in `state`, with its set-up drained.
fn session_in(role: Role, state: State) -> Harness {
    match (role, state) {
        (Role::Esme, State::Open) => Harness::esme(quiet()),
        (Role::Smsc, State::Open) => Harness::smsc(quiet()),
        (Role::Esme, State::Outbound) => {
            let mut h = Harness::esme(quiet());
            h.s.await_outbind(
                h.now,
                Some(COctet::new(b"smsc").unwrap()),
                COctet::new(b"pw").unwrap(),
                credentials(0x34),
            )
            .unwrap();
            send!(h, outbind_pdu(1, "smsc", "pw"));
            recv!(h, [bind_pdu(BindMode::Receiver, 1, credentials(0x34))]);
            events!(h, [Ev::State(State::Open, State::Outbound)]);
            h
        }
        (Role::Smsc, State::Outbound) => {
            let mut h = Harness::smsc(quiet());
            h.s.outbind(h.now, COctet::new(b"pw").unwrap()).unwrap();
            assert_eq!(h.out().len(), 1);
            events!(h, [Ev::State(State::Open, State::Outbound)]);
            h
        }
        (Role::Esme, s) => Harness::bound_esme(s.bind_mode().unwrap(), quiet()),
        (Role::Smsc, s) => Harness::bound_smsc(s.bind_mode().unwrap(), quiet()),
    }
}

/// SMPP 5.0 §2.4, read from the specification's table rather than from the
/// crate: may a `peer` send request `id` to a session in `state`?
fn allowed(peer: Role, state: State, id: CommandId) -> bool {
    use CommandId as C;
    let tx = matches!(state, State::BoundTx | State::BoundTrx);
    let rx = matches!(state, State::BoundRx | State::BoundTrx);
    match (peer, id) {
        (_, C::EnquireLink) => true,
        (_, C::Unbind) => tx || rx,
        // An outbind asks for a receiver (3.4 §2.2.1); this crate also
        // takes a transceiver after it, but not a transmitter.
        (Role::Esme, C::BindTransmitter) => state == State::Open,
        (Role::Esme, C::BindReceiver | C::BindTransceiver) => {
            matches!(state, State::Open | State::Outbound)
        }
        (
            Role::Esme,
            C::SubmitSm | C::SubmitMulti | C::QuerySm | C::CancelSm | C::ReplaceSm | C::DataSm,
        ) => tx,
        (Role::Smsc, C::DeliverSm | C::DataSm | C::AlertNotification) => rx,
        (Role::Smsc, C::Outbind) => state == State::Open,
        _ => false,
    }
}

/// What a refused request gets back.
fn refusal(id: CommandId, seq: u32, state: State) -> Vec<Pdu> {
    let is_bind = matches!(
        id,
        CommandId::BindTransmitter | CommandId::BindReceiver | CommandId::BindTransceiver
    );
    match id {
        CommandId::AlertNotification => vec![],
        CommandId::Outbind => vec![nack(seq, CommandStatus::InvBndSts)],
        _ if is_bind && state.bind_mode().is_some() => vec![err(id, seq, CommandStatus::AlyBnd)],
        _ => vec![err(id, seq, CommandStatus::InvBndSts)],
    }
}

#[test]
fn every_request_in_every_state_of_both_roles() {
    let mut refused = 0;
    let mut taken = 0;
    for role in [Role::Esme, Role::Smsc] {
        let peer = role.peer();
        for state in STATES {
            for id in REQUESTS {
                let mut h = session_in(role, state);
                let seq = 0x1234;
                let pdu = Pdu::new(seq, sample_request(id));
                send!(h, time 50, pdu.clone());
                let out = h.out();
                let events = h.events();
                let case = format!("{id} from the {peer:?} to a {role:?} in {state}");
                if !allowed(peer, state, id) {
                    refused += 1;
                    assert_eq!(out, refusal(id, seq, state), "{case}");
                    assert_eq!(events, vec![], "{case}");
                    assert_eq!(h.s.state(), state, "{case}");
                    continue;
                }
                taken += 1;
                let expected: (Vec<Pdu>, Vec<Ev>) = match id {
                    CommandId::EnquireLink => (vec![enquire_resp(seq)], vec![]),
                    CommandId::Unbind => (
                        vec![unbind_resp(seq)],
                        vec![
                            Ev::State(state, State::Unbound),
                            Ev::State(State::Unbound, State::Closed),
                            Ev::Closed(CloseReason::Unbound),
                        ],
                    ),
                    CommandId::BindTransmitter
                    | CommandId::BindReceiver
                    | CommandId::BindTransceiver => (
                        vec![],
                        vec![Ev::BindRequest {
                            seq,
                            mode: BindMode::from_command_id(id).unwrap(),
                            bind: credentials(0x34),
                        }],
                    ),
                    // Nobody asked this ESME to wait for an outbind.
                    CommandId::Outbind => {
                        (vec![], closed(State::Open, CloseReason::OutbindRejected))
                    }
                    CommandId::AlertNotification => {
                        let Body::AlertNotification(a) = pdu.body else {
                            unreachable!()
                        };
                        (vec![], vec![Ev::Alert(a)])
                    }
                    _ => (vec![], vec![Ev::Request { seq, pdu }]),
                };
                assert_eq!(out, expected.0, "{case}");
                assert_eq!(events, expected.1, "{case}");
            }
        }
    }
    // Both tables have the same shape: 2 roles x 5 states x 14 requests.
    assert_eq!(refused + taken, 140);
    assert_eq!(taken, 40);
}

#[test]
fn refused_requests_are_counted_and_the_session_carries_on() {
    // submit_sm to an SMSC in OPEN, then to a receiver-only SMSC session,
    // and deliver_sm to a transmitter-only ESME.
    let mut h = Harness::smsc(quiet());
    send!(h, submit_pdu(1));
    recv!(h, [err(CommandId::SubmitSm, 1, CommandStatus::InvBndSts)]);
    state!(h, State::Open);
    send!(h, bind_pdu(BindMode::Receiver, 2, credentials(0x34)));
    let _ = h.events();
    h.s.accept_bind(h.now, h.inbound(2)).unwrap();
    let _ = h.out();
    let _ = h.events();
    send!(h, submit_pdu(3), enquire(4));
    recv!(
        h,
        [
            err(CommandId::SubmitSm, 3, CommandStatus::InvBndSts),
            enquire_resp(4)
        ]
    );
    events!(h, []);
    state!(h, State::BoundRx);
    let stats = h.s.stats();
    assert_eq!(stats.received.get(CommandId::SubmitSm), 2);
    assert_eq!(stats.response_status_sent.get(CommandStatus::InvBndSts), 2);
    assert_eq!(stats.bad_pdus, 0);

    let mut h = Harness::bound_esme(BindMode::Transmitter, quiet());
    send!(h, deliver_pdu(2));
    recv!(h, [err(CommandId::DeliverSm, 2, CommandStatus::InvBndSts)]);
    events!(h, []);
    state!(h, State::BoundTx);
}

/// The requests `send` takes, from each role in each state.
#[test]
fn local_side_refuses_to_send_in_a_wrong_state() {
    use CommandId as C;
    let requests = [
        C::SubmitSm,
        C::SubmitMulti,
        C::QuerySm,
        C::CancelSm,
        C::ReplaceSm,
        C::DataSm,
        C::DeliverSm,
    ];
    for role in [Role::Esme, Role::Smsc] {
        for state in STATES {
            for id in requests {
                let mut h = session_in(role, state);
                let tx = matches!(state, State::BoundTx | State::BoundTrx);
                let rx = matches!(state, State::BoundRx | State::BoundTrx);
                let ok = match (role, id) {
                    (Role::Esme, C::DeliverSm) | (Role::Smsc, C::SubmitSm) => false,
                    (Role::Esme, _) => tx,
                    (Role::Smsc, C::DeliverSm | C::DataSm) => rx,
                    (Role::Smsc, _) => false,
                };
                let result = h.s.send(h.now, sample_request(id));
                let case = format!("{id} by a {role:?} in {state}");
                if ok {
                    assert!(result.is_ok(), "{case}: {result:?}");
                    let out = h.out();
                    assert_eq!(out.len(), 1, "{case}");
                    assert_eq!(out[0].command_id(), id, "{case}");
                    assert_eq!(h.s.in_flight(), 1, "{case}");
                } else {
                    assert_eq!(
                        result,
                        Err(SessionError::InvalidState {
                            command_id: id,
                            state
                        }),
                        "{case}"
                    );
                    recv!(h, []);
                    assert_eq!(h.s.in_flight(), 0, "{case}");
                }
                events!(h, []);
            }
        }
    }
}

#[test]
fn send_takes_only_requests() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    for body in [
        Body::EnquireLink,
        Body::Unbind,
        Body::GenericNack,
        Body::SubmitSmResp(Default::default()),
        sample_request(CommandId::BindTransmitter),
    ] {
        let id = body.command_id();
        assert_eq!(h.s.send(h.now, body), Err(SessionError::NotARequest(id)));
    }
    recv!(h, []);
}

#[test]
fn alerts_and_outbinds_only_from_an_smsc_in_the_right_state() {
    let alert = || match sample_request(CommandId::AlertNotification) {
        Body::AlertNotification(a) => a,
        _ => unreachable!(),
    };
    let mut h = Harness::bound_smsc(BindMode::Transmitter, quiet());
    assert_eq!(
        h.s.send_alert(h.now, alert()),
        Err(SessionError::InvalidState {
            command_id: CommandId::AlertNotification,
            state: State::BoundTx
        })
    );
    assert_eq!(
        h.s.outbind(h.now, COctet::new(b"pw").unwrap()),
        Err(SessionError::InvalidState {
            command_id: CommandId::Outbind,
            state: State::BoundTx
        })
    );
    recv!(h, []);

    let mut h = Harness::bound_smsc(BindMode::Receiver, quiet());
    h.s.send_alert(h.now, alert()).unwrap();
    recv!(h, [Pdu::new(1, Body::AlertNotification(alert()))]);
    // No response is expected.
    assert_eq!(h.s.in_flight(), 0);

    let mut h = Harness::bound_esme(BindMode::Receiver, quiet());
    assert_eq!(
        h.s.send_alert(h.now, alert()),
        Err(SessionError::InvalidState {
            command_id: CommandId::AlertNotification,
            state: State::BoundRx
        })
    );
    assert_eq!(
        h.s.outbind(h.now, COctet::new(b"pw").unwrap()),
        Err(SessionError::InvalidState {
            command_id: CommandId::Outbind,
            state: State::BoundRx
        })
    );
    recv!(h, []);
}
