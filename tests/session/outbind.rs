//! Outbind: the SMSC connects to a listening ESME and asks it to bind as a
//! receiver on the same connection.

use crate::common::*;
use smpp::pdu::{COctet, CommandId, CommandStatus};
use smpp::session::{BindMode, CloseReason, SessionError, State};

fn octet<const N: usize>(s: &str) -> COctet<N> {
    COctet::new(s.as_bytes()).unwrap()
}

#[test]
fn smsc_sends_outbind_then_serves_bind_receiver() {
    let mut h = Harness::smsc(quiet());
    h.s.outbind(h.now, octet("pw")).unwrap();
    recv!(h, [outbind_pdu(1, "smppd", "pw")]);
    events!(h, [Ev::State(State::Open, State::Outbound)]);
    state!(h, State::Outbound);
    // Only once.
    assert_eq!(
        h.s.outbind(h.now, octet("pw")),
        Err(SessionError::InvalidState {
            command_id: CommandId::Outbind,
            state: State::Outbound
        })
    );
    // The bind timer still runs.
    assert_eq!(h.deadline(), Some(secs(10)));

    send!(h, time 200, bind_pdu(BindMode::Receiver, 1, credentials(0x34)));
    events!(
        h,
        [Ev::BindRequest {
            seq: 1,
            mode: BindMode::Receiver,
            bind: credentials(0x34)
        }]
    );
    h.s.accept_bind(h.now, h.inbound(1)).unwrap();
    recv!(h, [bind_resp(BindMode::Receiver, 1, "smppd", Some(0x34))]);
    events!(
        h,
        [
            Ev::State(State::Outbound, State::BoundRx),
            Ev::Bound {
                mode: BindMode::Receiver,
                system_id: "esme1".into(),
                version: Some(0x34),
            },
        ]
    );
    // Deliveries flow; the next request number follows the outbind's.
    let (_, seq) = h.send_ok(deliver());
    assert_eq!(seq, 2);
}

#[test]
fn smsc_in_outbound_refuses_bind_transmitter_and_messages() {
    let mut h = Harness::smsc(quiet());
    h.s.outbind(h.now, octet("pw")).unwrap();
    let _ = h.out();
    let _ = h.events();
    send!(
        h,
        bind_pdu(BindMode::Transmitter, 1, credentials(0x34)),
        submit_pdu(2)
    );
    recv!(
        h,
        [
            err(CommandId::BindTransmitter, 1, CommandStatus::InvBndSts),
            err(CommandId::SubmitSm, 2, CommandStatus::InvBndSts),
        ]
    );
    events!(h, []);
    state!(h, State::Outbound);
}

#[test]
fn smsc_outbound_times_out_without_a_bind() {
    let mut h = Harness::smsc(quiet());
    h.at(ms(4_000));
    h.s.outbind(h.now, octet("pw")).unwrap();
    let _ = h.out();
    let _ = h.events();
    // The session-init timer counts from the connection, not the outbind.
    tick!(h, time 10_000);
    events!(h, closed(State::Outbound, CloseReason::BindTimeout));
}

#[test]
fn esme_awaiting_outbind_binds_as_receiver_on_the_same_connection() {
    let mut h = Harness::esme(quiet());
    h.s.await_outbind(h.now, Some(octet("smsc")), octet("pw"), credentials(0x34))
        .unwrap();
    recv!(h, []);
    assert_eq!(h.deadline(), Some(secs(10)));
    send!(h, time 300, outbind_pdu(1, "smsc", "pw"));
    // The bind goes out at once, with the ESME's own first sequence
    // number.
    recv!(h, [bind_pdu(BindMode::Receiver, 1, credentials(0x34))]);
    events!(h, [Ev::State(State::Open, State::Outbound)]);
    state!(h, State::Outbound);
    // Now the bind timer runs from the bind.
    assert_eq!(h.deadline(), Some(ms(10_300)));

    send!(h, time 400, bind_resp(BindMode::Receiver, 1, "smsc", Some(0x34)));
    events!(
        h,
        [
            Ev::State(State::Outbound, State::BoundRx),
            Ev::Bound {
                mode: BindMode::Receiver,
                system_id: "smsc".into(),
                version: Some(0x34),
            },
        ]
    );
    send!(h, deliver_pdu(2));
    events!(
        h,
        [Ev::Request {
            seq: 2,
            pdu: deliver_pdu(2)
        }]
    );
    h.s.respond(h.now, h.inbound(2), deliver_resp(2).body)
        .unwrap();
    recv!(h, [deliver_resp(2)]);
}

#[test]
fn esme_rejects_an_outbind_with_wrong_credentials() {
    for (system_id, password) in [("smsc", "wrong"), ("other", "pw"), ("", "")] {
        let mut h = Harness::esme(quiet());
        h.s.await_outbind(h.now, Some(octet("smsc")), octet("pw"), credentials(0x34))
            .unwrap();
        send!(h, outbind_pdu(1, system_id, password));
        recv!(h, []);
        events!(h, closed(State::Open, CloseReason::OutbindRejected));
        assert_eq!(h.s.close_reason(), Some(CloseReason::OutbindRejected));
    }
}

#[test]
fn esme_outbind_refused_by_the_smsc() {
    let mut h = Harness::esme(quiet());
    h.s.await_outbind(h.now, Some(octet("smsc")), octet("pw"), credentials(0x34))
        .unwrap();
    send!(h, outbind_pdu(1, "smsc", "pw"));
    let _ = h.out();
    let _ = h.events();
    send!(h, err(CommandId::BindReceiver, 1, CommandStatus::InvPaswd));
    let mut expected = vec![Ev::BindRefused(CommandStatus::InvPaswd)];
    expected.extend(closed(
        State::Outbound,
        CloseReason::BindRefused(CommandStatus::InvPaswd),
    ));
    events!(h, expected);
}

#[test]
fn esme_awaiting_outbind_times_out() {
    let mut h = Harness::esme(quiet());
    h.s.await_outbind(h.now, Some(octet("smsc")), octet("pw"), credentials(0x34))
        .unwrap();
    tick!(h, time 9_999);
    events!(h, []);
    tick!(h, time 10_000);
    events!(h, closed(State::Open, CloseReason::BindTimeout));
}

#[test]
fn await_outbind_only_in_open_and_only_as_esme() {
    let mut h = Harness::bound_esme(BindMode::Transceiver, quiet());
    assert_eq!(
        h.s.await_outbind(h.now, Some(octet("smsc")), octet("pw"), credentials(0x34)),
        Err(SessionError::InvalidState {
            command_id: CommandId::Outbind,
            state: State::BoundTrx
        })
    );
    let mut h = Harness::smsc(quiet());
    assert_eq!(
        h.s.await_outbind(h.now, Some(octet("smsc")), octet("pw"), credentials(0x34)),
        Err(SessionError::InvalidState {
            command_id: CommandId::Outbind,
            state: State::Open
        })
    );
    recv!(h, []);
}

#[test]
fn a_second_outbind_is_refused() {
    let mut h = Harness::esme(quiet());
    h.s.await_outbind(h.now, Some(octet("smsc")), octet("pw"), credentials(0x34))
        .unwrap();
    send!(h, outbind_pdu(1, "smsc", "pw"));
    let _ = h.out();
    let _ = h.events();
    send!(h, outbind_pdu(2, "smsc", "pw"));
    recv!(h, [nack(2, CommandStatus::InvBndSts)]);
    events!(h, []);
    state!(h, State::Outbound);
}

#[test]
fn esme_without_an_expected_smsc_id_takes_any_outbind_with_the_password() {
    let mut h = Harness::esme(quiet());
    h.s.await_outbind(h.now, None, octet("pw"), credentials(0x34))
        .unwrap();
    send!(h, outbind_pdu(1, "any-smsc", "pw"));
    recv!(h, [bind_pdu(BindMode::Receiver, 1, credentials(0x34))]);
    events!(h, [Ev::State(State::Open, State::Outbound)]);
    state!(h, State::Outbound);
}

#[test]
fn esme_without_an_expected_smsc_id_still_checks_the_password() {
    let mut h = Harness::esme(quiet());
    h.s.await_outbind(h.now, None, octet("pw"), credentials(0x34))
        .unwrap();
    send!(h, outbind_pdu(1, "any-smsc", "wrong"));
    recv!(h, []);
    events!(h, closed(State::Open, CloseReason::OutbindRejected));
    state!(h, State::Closed);
}
