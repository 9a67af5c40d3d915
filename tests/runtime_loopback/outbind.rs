//! Outbind: the SMSC dials a listening ESME, which then binds as a
//! receiver; an outbind with the wrong credentials is hung up on.

use crate::raw_peer::RawConn;
use crate::support::*;
use smpp::pdu::{Address, Body, COctet, CommandId, DeliverSm, Outbind, ShortMessage};
use smpp::runtime::{Esme, EsmeError, EsmeEvent};
use smpp::session::BindMode;
use std::net::TcpListener;

const OUTBIND_PASSWORD: &str = "obpass";

/// Listens for an outbind on a free port, on another thread (listening
/// returns only once bound).
fn listen(
    rt: &smpp::runtime::Runtime,
) -> (
    std::net::SocketAddr,
    std::thread::JoinHandle<Result<Esme, EsmeError>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = esme_config(addr, BindMode::Receiver);
    config.outbind_password = Some(OUTBIND_PASSWORD.to_string());
    let rt = rt.clone();
    let handle = std::thread::spawn(move || Esme::listen_outbind_on(&rt, listener, config));
    (addr, handle)
}

#[test]
fn outbind_binds_a_receiver_that_gets_deliveries() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let (addr, listening) = listen(&rt);
    // The outbind carries the ESME's account id, as the ESME expects.
    smsc.outbind_as(&addr.to_string(), SYSTEM_ID, OUTBIND_PASSWORD)
        .expect("outbind starts");
    let esme = listening.join().unwrap().expect("bound after the outbind");
    assert!(esme.is_bound());

    let info = wait_for(&seen, WAIT, "bound callback", |s| match s {
        Seen::Bound(info) => Some(info),
        _ => None,
    });
    assert_eq!(info.mode, Some(BindMode::Receiver));
    assert_eq!(info.system_id, SYSTEM_ID);
    let mo = DeliverSm {
        source: Address::new(1, 1, "447700900999").unwrap(),
        dest: Address::new(1, 1, "12345").unwrap(),
        short_message: ShortMessage::new(b"via outbind").unwrap(),
        ..DeliverSm::default()
    };
    smsc.deliver(info.id, mo).expect("deliverable");
    let delivery = esme_event(&esme, WAIT, "the MO message", |e| match e {
        EsmeEvent::Delivery(d) => Some(d),
        _ => None,
    });
    assert!(delivery.receipt.is_none());
    delivery.ack();
    let status = wait_for(&seen, WAIT, "delivered callback", |s| match s {
        Seen::Delivered(_, status) => Some(status),
        _ => None,
    });
    assert_eq!(status, Some(smpp::pdu::CommandStatus::Ok));
}

#[test]
fn outbind_with_a_wrong_password_is_hung_up_on() {
    let rt = runtime();
    let (addr, listening) = listen(&rt);

    let mut intruder = RawConn::connect(addr);
    intruder.send_request(Body::Outbind(Outbind {
        system_id: COctet::try_from(SYSTEM_ID).unwrap(),
        password: COctet::try_from("guess").unwrap(),
    }));
    assert!(intruder.closed_within(WAIT), "the ESME hangs up");

    // The ESME keeps listening: the real SMSC's outbind still binds it.
    let mut smsc = RawConn::connect(addr);
    smsc.send_request(Body::Outbind(Outbind {
        system_id: COctet::try_from(SYSTEM_ID).unwrap(),
        password: COctet::try_from(OUTBIND_PASSWORD).unwrap(),
    }));
    assert_eq!(smsc.accept_bind(), CommandId::BindReceiver);
    let esme = listening.join().unwrap().expect("bound after the outbind");
    assert!(esme.is_bound());
}
