//! Deliveries from the SMSC: receipts correlated to their submits, MO
//! messages, acknowledgements and their timeout.

use crate::support::*;
use smpp::pdu::{Address, Body, CommandStatus, DeliverSm, ShortMessage};
use smpp::receipt::MessageState;
use smpp::runtime::{Esme, EsmeEvent, SubmitMode};
use smpp::session::BindMode;
use std::time::Duration;

#[test]
fn receipt_correlates_with_its_submit() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), Some(Duration::from_millis(20)));
    let esme =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Transceiver)).expect("binds");

    // A submit without registered_delivery gets no receipt.
    let plain = esme.submit(submit_sm("no receipt", 0)).expect("answered");
    let ticket = esme
        .submit_async(Body::SubmitSm(submit_sm("hello", 1)), SubmitMode::FailFast)
        .expect("a window slot is free");
    let done = esme.completions().recv_timeout(WAIT).expect("completion");
    assert_eq!(done.ticket, ticket);
    let id = message_id(&done.outcome.expect("answered"));
    assert_ne!(id, message_id(&plain));

    let delivery = esme_event(&esme, WAIT, "the receipt", |e| match e {
        EsmeEvent::Delivery(d) => Some(d),
        _ => None,
    });
    let receipt = delivery.receipt.clone().expect("parsed as a receipt");
    assert_eq!(receipt.id, id);
    assert_eq!(receipt.stat, Some(MessageState::Delivered));
    assert_eq!(delivery.ticket, Some(ticket));
    delivery.ack();

    let (info, status) = wait_for(&seen, WAIT, "delivered callback", |s| match s {
        Seen::Delivered(info, status) => Some((info, status)),
        _ => None,
    });
    assert_eq!(status, Some(CommandStatus::Ok));
    assert_eq!(info, smsc.sessions()[0]);
    assert_eq!(info.system_id, SYSTEM_ID);
    assert_eq!(info.mode, Some(BindMode::Transceiver));
    assert_eq!(
        smsc.stats()
            .receipts
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // Only the one receipt.
    assert_quiet(esme.events(), Duration::from_millis(100), "more events");
}

#[test]
fn a_receipt_names_a_ticket_only_when_its_submit_asked_for_one() {
    let rt = runtime();
    let (smsc, _seen) = start_smsc(&rt, smsc_config(), None);
    let esme =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Transceiver)).expect("binds");

    // Two async submits, one asking for a receipt and one not; the SMSC
    // then sends a receipt for each (the second unasked, as some do).
    let mut ids = Vec::new();
    for (text, registered_delivery) in [("asked", 1), ("not asked", 0)] {
        let sm = submit_sm(text, registered_delivery);
        let ticket = esme
            .submit_async(Body::SubmitSm(sm.clone()), SubmitMode::FailFast)
            .expect("a window slot is free");
        let done = esme.completions().recv_timeout(WAIT).expect("completion");
        assert_eq!(done.ticket, ticket);
        ids.push((ticket, sm, message_id(&done.outcome.expect("answered"))));
    }
    let session = smsc.sessions()[0].id;
    for (_, sm, id) in &ids {
        let now = smpp::datetime::DateTime::from_system_time(std::time::SystemTime::now());
        let receipt = smpp::receipt::receipt_deliver_sm(sm, id, MessageState::Delivered, now, now);
        smsc.deliver(session, receipt)
            .expect("the session takes deliveries");
    }
    for (ticket, _, id) in &ids {
        let delivery = esme_event(&esme, WAIT, "a receipt", |e| match e {
            EsmeEvent::Delivery(d) => Some(d),
            _ => None,
        });
        assert_eq!(&delivery.receipt.clone().expect("a receipt").id, id);
        let expected = (ticket == &ids[0].0).then_some(*ticket);
        assert_eq!(delivery.ticket, expected, "receipt for {id}");
        delivery.ack();
    }
}

fn mo(text: &str) -> DeliverSm {
    DeliverSm {
        source: Address::new(1, 1, "447700900999").unwrap(),
        dest: Address::new(1, 1, "12345").unwrap(),
        short_message: ShortMessage::new(text.as_bytes()).unwrap(),
        ..DeliverSm::default()
    }
}

#[test]
fn mo_message_reaches_the_esme_without_receipt() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let esme =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Receiver)).expect("binds");
    let session = smsc.sessions()[0].id;
    smsc.deliver(session, mo("hi there")).expect("deliverable");

    let delivery = esme_event(&esme, WAIT, "the MO message", |e| match e {
        EsmeEvent::Delivery(d) => Some(d),
        _ => None,
    });
    assert!(delivery.receipt.is_none());
    assert!(delivery.ticket.is_none());
    match &delivery.pdu.body {
        Body::DeliverSm(d) => assert_eq!(d.short_message.as_bytes(), b"hi there"),
        other => panic!("expected a deliver_sm, got {other:?}"),
    }
    delivery.nack(CommandStatus::RxTAppn);
    let status = wait_for(&seen, WAIT, "delivered callback", |s| match s {
        Seen::Delivered(_, status) => Some(status),
        _ => None,
    });
    assert_eq!(status, Some(CommandStatus::RxTAppn));
}

#[test]
fn transmitter_session_takes_no_deliveries() {
    let rt = runtime();
    let (smsc, _seen) = start_smsc(&rt, smsc_config(), None);
    let _esme =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Transmitter)).expect("binds");
    let session = smsc.sessions()[0].id;
    assert_eq!(
        smsc.deliver(session, mo("nope")),
        Err(CommandStatus::InvBndSts)
    );
    assert_eq!(
        smsc.deliver(session ^ 0xFFFF, mo("nope")),
        Err(CommandStatus::BindFail)
    );
}

#[test]
fn unanswered_delivery_times_out_at_the_smsc() {
    let rt = runtime();
    let mut config = smsc_config();
    config.session.response_timeout = Duration::from_millis(300);
    let (smsc, seen) = start_smsc(&rt, config, None);
    let esme =
        Esme::connect(&rt, esme_config(smsc.local_addr(), BindMode::Transceiver)).expect("binds");
    let session = smsc.sessions()[0].id;
    smsc.deliver(session, mo("answer me")).expect("deliverable");

    // The ESME holds the delivery without answering.
    let held = esme_event(&esme, WAIT, "the MO message", |e| match e {
        EsmeEvent::Delivery(d) => Some(d),
        _ => None,
    });
    let status = wait_for(&seen, WAIT, "delivered callback", |s| match s {
        Seen::Delivered(_, status) => Some(status),
        _ => None,
    });
    assert_eq!(status, None, "the SMSC gave up on the delivery");
    // A late answer is ignored by the SMSC, and the session carries on.
    held.ack();
    assert_eq!(
        message_id(&esme.submit(submit_sm("still up", 0)).unwrap()),
        "a0"
    );
    std::thread::sleep(Duration::from_millis(100));
    for s in seen.try_iter() {
        assert!(matches!(s, Seen::Submit(_)), "unexpected {s:?}");
    }
}

#[test]
fn deliveries_beyond_the_event_capacity_are_refused_for_retry() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let mut config = esme_config(smsc.local_addr(), BindMode::Receiver);
    config.event_capacity = 1;
    let esme = Esme::connect(&rt, config).expect("binds");
    esme_event(&esme, WAIT, "bound", |e| match e {
        EsmeEvent::Bound { .. } => Some(()),
        _ => None,
    });
    let session = smsc.sessions()[0].id;
    for i in 0..3 {
        smsc.deliver(session, mo(&format!("mo{i}"))).unwrap();
    }
    // The application reads nothing yet: one delivery waits for it, the
    // others are refused with ESME_RX_T_APPN (the SMSC retries later).
    for _ in 0..2 {
        let status = wait_for(&seen, WAIT, "delivered callback", |s| match s {
            Seen::Delivered(_, status) => Some(status),
            _ => None,
        });
        assert_eq!(status, Some(CommandStatus::RxTAppn));
    }
    let delivery = esme_event(&esme, WAIT, "the one kept", |e| match e {
        EsmeEvent::Delivery(d) => Some(d),
        _ => None,
    });
    delivery.ack();
    let status = wait_for(&seen, WAIT, "delivered callback", |s| match s {
        Seen::Delivered(_, status) => Some(status),
        _ => None,
    });
    assert_eq!(status, Some(CommandStatus::Ok));
    assert_quiet(esme.events(), Duration::from_millis(100), "more events");
}

#[test]
fn auto_ack_answers_deliveries_on_arrival() {
    let rt = runtime();
    let (smsc, seen) = start_smsc(&rt, smsc_config(), None);
    let mut config = esme_config(smsc.local_addr(), BindMode::Transceiver);
    config.auto_ack = true;
    let esme = Esme::connect(&rt, config).expect("binds");
    smsc.deliver(smsc.sessions()[0].id, mo("auto")).unwrap();
    let status = wait_for(&seen, WAIT, "delivered callback", |s| match s {
        Seen::Delivered(_, status) => Some(status),
        _ => None,
    });
    assert_eq!(status, Some(CommandStatus::Ok));
    // The application still sees it; answering again changes nothing.
    let delivery = esme_event(&esme, WAIT, "the MO message", |e| match e {
        EsmeEvent::Delivery(d) => Some(d),
        _ => None,
    });
    delivery.ack();
    assert_quiet(&seen, Duration::from_millis(100), "SMSC callbacks");
}
