//! smsc-sim, through its binary: the message store and every operation an
//! ESME may send (query_sm, cancel_sm, replace_sm, data_sm, submit_multi)
//! with the spec's statuses, and each fault flag, driven by the library's
//! ESME.
#![cfg(feature = "daemon")]

mod support;

use smpp::pdu::{
    Address, Body, COctet, CancelSm, CommandStatus, DataSm, DestAddress, QuerySm, ReplaceSm,
    ShortMessage, SubmitMulti, SubmitSm, Tlv, TlvTag, Tlvs, ESM_TYPE_RECEIPT,
};
use smpp::receipt::{MessageState, Receipt};
use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime, SubmitError};
use smpp::session::BindMode;
use std::process::Command;
use std::time::{Duration, Instant};
use support::SmscSim;

/// Upper bound for anything the tests wait for; only a failure limit.
const WAIT: Duration = Duration::from_secs(15);

fn esme(rt: &Runtime, sim: &SmscSim, mode: BindMode) -> Esme {
    let mut config = EsmeConfig::new(&sim.addr, "smppclient1", "password");
    config.mode = mode;
    config.auto_ack = true;
    config.reconnect = None;
    config.connect_timeout = WAIT;
    Esme::connect(rt, config).expect("bind to smsc-sim")
}

fn addr(n: &str) -> Address<21> {
    Address::new(1, 1, n).unwrap()
}

fn submit(esme: &Esme, dest: &str, text: &str, registered: u8) -> Result<String, SubmitError> {
    let pdu = esme.submit(SubmitSm {
        source: addr("447000000001"),
        dest: addr(dest),
        registered_delivery: registered,
        short_message: ShortMessage::new(text.as_bytes()).unwrap(),
        ..SubmitSm::default()
    })?;
    match pdu.body {
        Body::SubmitSmResp(r) => Ok(r.message_id.to_string()),
        other => panic!("not a submit_sm_resp: {other:?}"),
    }
}

fn id(s: &str) -> COctet<65> {
    COctet::try_from(s).unwrap()
}

fn query(esme: &Esme, message_id: &str) -> Result<(u8, bool), SubmitError> {
    let r = esme.query_sm(QuerySm {
        message_id: id(message_id),
        source: addr("447000000001"),
        ..QuerySm::default()
    })?;
    assert_eq!(r.message_id.to_string(), message_id);
    Ok((r.message_state, !r.final_date.is_empty()))
}

fn cancel(esme: &Esme, message_id: &str) -> Result<(), SubmitError> {
    esme.cancel_sm(CancelSm {
        message_id: id(message_id),
        source: addr("447000000001"),
        ..CancelSm::default()
    })
}

fn replace(esme: &Esme, message_id: &str, text: &str) -> Result<(), SubmitError> {
    esme.replace_sm(ReplaceSm {
        message_id: id(message_id),
        source: addr("447000000001"),
        registered_delivery: 1,
        short_message: ShortMessage::new(text.as_bytes()).unwrap(),
        ..ReplaceSm::default()
    })
}

fn status(e: SubmitError) -> CommandStatus {
    match e {
        SubmitError::Status(s) => s,
        other => panic!("expected a status, got {other}"),
    }
}

/// The next receipt or MO on `esme`, with the PDU's body.
fn next_delivery(esme: &Esme) -> Body {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match esme.events().recv_timeout(left) {
            Ok(EsmeEvent::Delivery(d)) => return d.pdu.body,
            Ok(_) => {}
            Err(_) => panic!("no delivery within {WAIT:?}"),
        }
    }
}

fn receipt_of(body: &Body) -> Receipt {
    let text = match body {
        Body::DeliverSm(d) => {
            assert_eq!(d.esm_class, ESM_TYPE_RECEIPT, "not a receipt: {d:?}");
            d.short_message.as_bytes().to_vec()
        }
        Body::DataSm(d) => {
            assert_eq!(d.esm_class, ESM_TYPE_RECEIPT, "not a receipt: {d:?}");
            d.tlvs.message_payload().expect("payload").to_vec()
        }
        other => panic!("not a receipt: {other:?}"),
    };
    Receipt::parse(std::str::from_utf8(&text).unwrap()).unwrap()
}

/// Every delivery left once the ESME has unbound (everything the SMSC sent
/// before it answered the unbind has arrived by then).
fn drain_after_unbind(esme: &Esme) -> Vec<Body> {
    esme.unbind();
    let mut rest = Vec::new();
    while let Ok(ev) = esme.events().try_recv() {
        if let EsmeEvent::Delivery(d) = ev {
            rest.push(d.pdu.body);
        }
    }
    rest
}

const ENROUTE: u8 = MessageState::Enroute as u8;
const DELIVERED: u8 = MessageState::Delivered as u8;
const DELETED: u8 = MessageState::Deleted as u8;

/// A pending message (its receipt a minute away): ENROUTE with no final
/// date; replace keeps it pending and its id; cancel makes it DELETED with
/// a final date; then cancel and replace fail as on a final message.
/// Unknown ids fail all three.
#[test]
fn pending_message_query_replace_cancel() {
    let sim = SmscSim::start(&["--dlr-delay-ms", "60000"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let m = submit(&e, "447700900001", "first text", 1).unwrap();
    assert_eq!(query(&e, &m).unwrap(), (ENROUTE, false));
    replace(&e, &m, "second text").unwrap();
    assert_eq!(query(&e, &m).unwrap(), (ENROUTE, false));
    cancel(&e, &m).unwrap();
    assert_eq!(query(&e, &m).unwrap(), (DELETED, true));
    assert_eq!(
        status(cancel(&e, &m).unwrap_err()),
        CommandStatus::CancelFail
    );
    assert_eq!(
        status(replace(&e, &m, "x").unwrap_err()),
        CommandStatus::ReplaceFail
    );
    for unknown in ["ffffff00", "not-an-id", ""] {
        assert_eq!(
            status(query(&e, unknown).unwrap_err()),
            CommandStatus::QueryFail
        );
        if !unknown.is_empty() {
            assert_eq!(
                status(cancel(&e, unknown).unwrap_err()),
                CommandStatus::CancelFail
            );
        }
        assert_eq!(
            status(replace(&e, unknown, "x").unwrap_err()),
            CommandStatus::ReplaceFail
        );
    }
    // A query naming another originator does not see the message.
    let other = e.query_sm(QuerySm {
        message_id: id(&m),
        source: addr("447000000999"),
        ..QuerySm::default()
    });
    assert_eq!(status(other.unwrap_err()), CommandStatus::QueryFail);
    e.unbind();
    let totals = sim.stop();
    support::assert_totals(&totals, &[("queries", 7), ("cancels", 4), ("replaces", 5)]);
}

/// With receipts at once a message is final on arrival: query shows
/// DELIVERED and its final date; cancel and replace fail.
#[test]
fn final_message_refuses_cancel_and_replace() {
    let sim = SmscSim::start(&[]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let m = submit(&e, "447700900001", "hello", 1).unwrap();
    let r = receipt_of(&next_delivery(&e));
    assert_eq!(
        (r.id.as_str(), r.stat),
        (m.as_str(), Some(MessageState::Delivered))
    );
    assert_eq!(query(&e, &m).unwrap(), (DELIVERED, true));
    assert_eq!(
        status(cancel(&e, &m).unwrap_err()),
        CommandStatus::CancelFail
    );
    assert_eq!(
        status(replace(&e, &m, "x").unwrap_err()),
        CommandStatus::ReplaceFail
    );
    e.unbind();
    sim.stop();
}

/// A cancelled message sends no receipt; a replaced one keeps its id and
/// its receipt shows the new text.
#[test]
fn cancelled_sends_no_receipt_replaced_keeps_its_id() {
    let sim = SmscSim::start(&["--dlr-delay-ms", "300"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let cancelled = submit(&e, "447700900001", "never delivered", 1).unwrap();
    cancel(&e, &cancelled).unwrap();
    let replaced = submit(&e, "447700900002", "old words", 1).unwrap();
    replace(&e, &replaced, "new words").unwrap();
    let r = receipt_of(&next_delivery(&e));
    assert_eq!(r.id, replaced);
    assert_eq!(r.text.as_deref(), Some("new words"));
    assert_eq!(query(&e, &replaced).unwrap(), (DELIVERED, true));
    assert_eq!(query(&e, &cancelled).unwrap(), (DELETED, true));
    // The cancelled message was due first: had its receipt gone out, it
    // would have arrived before the unbind's answer.
    let rest = drain_after_unbind(&e);
    assert!(rest.is_empty(), "deliveries after the receipt: {rest:?}");
    let totals = sim.stop();
    support::assert_totals(&totals, &[("receipts", 1)]);
}

/// cancel_sm with no id cancels every pending message between two
/// addresses, and fails when there is none.
#[test]
fn cancel_by_addresses() {
    let sim = SmscSim::start(&["--dlr-delay-ms", "60000"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let a = submit(&e, "447700900005", "a", 1).unwrap();
    let b = submit(&e, "447700900005", "b", 1).unwrap();
    let c = submit(&e, "447700900006", "c", 1).unwrap();
    let all = CancelSm {
        source: addr("447000000001"),
        dest: addr("447700900005"),
        ..CancelSm::default()
    };
    e.cancel_sm(all.clone()).unwrap();
    assert_eq!(query(&e, &a).unwrap().0, DELETED);
    assert_eq!(query(&e, &b).unwrap().0, DELETED);
    assert_eq!(query(&e, &c).unwrap().0, ENROUTE);
    assert_eq!(
        status(e.cancel_sm(all).unwrap_err()),
        CommandStatus::CancelFail
    );
    e.unbind();
    sim.stop();
}

/// data_sm is served like submit_sm: stored, queryable, and its receipt
/// comes back as a data_sm (esm_class 0x04, the text in message_payload,
/// receipted_message_id and message_state TLVs).
#[test]
fn data_sm_is_stored_and_receipted_by_data_sm() {
    let sim = SmscSim::start(&[]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let mut tlvs = Tlvs::new();
    tlvs.push(Tlv::octets(TlvTag::MessagePayload, b"by data sm".to_vec()));
    let resp = e
        .data_sm(DataSm {
            source: Address::new(1, 1, "447000000001").unwrap(),
            dest: Address::new(1, 1, "447700900001").unwrap(),
            registered_delivery: 1,
            tlvs,
            ..DataSm::default()
        })
        .unwrap();
    let m = resp.message_id.to_string();
    let body = next_delivery(&e);
    let Body::DataSm(d) = &body else {
        panic!("receipt not by data_sm: {body:?}")
    };
    assert_eq!(d.tlvs.receipted_message_id(), Some(m.as_bytes()));
    assert_eq!(d.tlvs.message_state(), Some(DELIVERED));
    let r = receipt_of(&body);
    assert_eq!(
        (r.id.as_str(), r.text.as_deref()),
        (m.as_str(), Some("by data sm"))
    );
    assert_eq!(query(&e, &m).unwrap(), (DELIVERED, true));
    e.unbind();
    let totals = sim.stop();
    support::assert_totals(&totals, &[("receipts", 1), ("deliver_sm", 0)]);
}

/// submit_multi: destinations matching --reject-dest come back as
/// unsuccess_sme with ESME_RINVDSTADR, a distribution list (the simulator
/// holds none) with ESME_RINVDLNAME; the rest are stored under one id and
/// each gets a receipt. A submit_sm to a rejected number gets
/// ESME_RINVDSTADR; a submit_multi with no destination left, the same.
#[test]
fn submit_multi_reports_rejected_destinations() {
    let sim = SmscSim::start(&["--reject-dest", "4479", "--reject-dest", "4478"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let multi = |dests: Vec<DestAddress>| SubmitMulti {
        service_type: COctet::default(),
        source: addr("447000000001"),
        dests,
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: Default::default(),
        validity_period: Default::default(),
        registered_delivery: 1,
        replace_if_present_flag: 0,
        data_coding: smpp::pdu::DataCoding::SmscDefault,
        sm_default_msg_id: 0,
        short_message: ShortMessage::new(b"to many").unwrap(),
        tlvs: Tlvs::new(),
    };
    let resp = e
        .submit_multi(multi(vec![
            DestAddress::Sme(addr("447700900001")),
            DestAddress::Sme(addr("447911111111")),
            DestAddress::Sme(addr("447700900002")),
            DestAddress::Sme(addr("447822222222")),
            DestAddress::DistributionList(COctet::try_from("friends").unwrap()),
        ]))
        .unwrap();
    let refused: Vec<(String, CommandStatus)> = resp
        .unsuccess
        .iter()
        .map(|u| (u.dest.addr.to_string(), u.error_status))
        .collect();
    assert_eq!(
        refused,
        vec![
            ("447911111111".to_string(), CommandStatus::InvDstAdr),
            ("447822222222".to_string(), CommandStatus::InvDstAdr),
            ("friends".to_string(), CommandStatus::InvDlName),
        ]
    );
    let m = resp.message_id.to_string();
    let mut receipted = Vec::new();
    for _ in 0..2 {
        let body = next_delivery(&e);
        assert_eq!(receipt_of(&body).id, m);
        let Body::DeliverSm(d) = body else {
            unreachable!()
        };
        receipted.push(d.source.addr.to_string());
    }
    receipted.sort();
    assert_eq!(receipted, ["447700900001", "447700900002"]);
    assert_eq!(query(&e, &m).unwrap(), (DELIVERED, true));
    let none_left = e.submit_multi(multi(vec![DestAddress::Sme(addr("447900000000"))]));
    assert_eq!(status(none_left.unwrap_err()), CommandStatus::InvDstAdr);
    let single = submit(&e, "447912345678", "refused", 1);
    assert_eq!(status(single.unwrap_err()), CommandStatus::InvDstAdr);
    e.unbind();
    sim.stop();
}

/// The store is bounded: the oldest final message makes room; a store
/// full of pending messages answers ESME_RMSGQFUL.
#[test]
fn store_max_evicts_the_oldest_final_message() {
    let sim = SmscSim::start(&["--store-max", "2"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let ids: Vec<String> = (0..3)
        .map(|i| submit(&e, "447700900001", &format!("m{i}"), 0).unwrap())
        .collect();
    assert_eq!(
        status(query(&e, &ids[0]).unwrap_err()),
        CommandStatus::QueryFail
    );
    assert_eq!(query(&e, &ids[1]).unwrap(), (DELIVERED, true));
    assert_eq!(query(&e, &ids[2]).unwrap(), (DELIVERED, true));
    e.unbind();
    sim.stop();

    let sim = SmscSim::start(&["--store-max", "2", "--dlr-delay-ms", "60000"]);
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let a = submit(&e, "447700900001", "a", 0).unwrap();
    submit(&e, "447700900001", "b", 0).unwrap();
    let full = submit(&e, "447700900001", "c", 0);
    assert_eq!(status(full.unwrap_err()), CommandStatus::MsgQFul);
    // Cancelling one makes it final, and so evictable.
    cancel(&e, &a).unwrap();
    submit(&e, "447700900001", "d", 0).unwrap();
    assert_eq!(status(query(&e, &a).unwrap_err()), CommandStatus::QueryFail);
    e.unbind();
    sim.stop();
}

/// `--dlr-stat` mixes outcomes by weight. With two equal weights, 200
/// receipts all of one kind has probability 2^-199.
#[test]
fn dlr_stat_mix_gives_every_outcome() {
    let sim = SmscSim::start(&["--dlr-stat", "DELIVRD:1,UNDELIV:1"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    for i in 0..200 {
        submit(&e, "447700900001", &format!("m{i}"), 1).unwrap();
    }
    let (mut delivered, mut undeliverable) = (0, 0);
    for _ in 0..200 {
        match receipt_of(&next_delivery(&e)).stat {
            Some(MessageState::Delivered) => delivered += 1,
            Some(MessageState::Undeliverable) => undeliverable += 1,
            other => panic!("unexpected stat {other:?}"),
        }
    }
    assert!(
        delivered > 0 && undeliverable > 0,
        "{delivered} / {undeliverable}"
    );
    // registered_delivery 2 asks for failure receipts only.
    for i in 0..40 {
        submit(&e, "447700900001", &format!("f{i}"), 2).unwrap();
    }
    let rest = drain_after_unbind(&e);
    assert!(!rest.is_empty());
    for body in rest {
        assert_eq!(receipt_of(&body).stat, Some(MessageState::Undeliverable));
    }
    sim.stop();
}

/// Every new flag refuses a bad value with exit status 2 and names itself.
#[test]
fn bad_values_exit_2_naming_the_flag() {
    for (flag, value) in [
        ("--dlr-stat", "DELIVRD:80,NOPE:20"),
        ("--dlr-stat", "DELIVRD:x"),
        ("--dlr-stat", "DELIVRD:0"),
        ("--dlr-route", "sideways"),
        ("--store-max", "0"),
        ("--store-max", "-1"),
        ("--response-delay-ms", "soon"),
        ("--no-response-every", "-2"),
        ("--close-every", "1.5"),
        ("--reject-dest", ""),
    ] {
        // FLAG=VALUE: a value starting with '-' is not taken for a flag.
        let out = Command::new(env!("CARGO_BIN_EXE_smsc-sim"))
            .args(["--listen", "127.0.0.1:0", &format!("{flag}={value}")])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value:?}: {err}");
        assert!(err.contains(flag), "{flag} {value:?}: {err}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_smsc-sim"))
        .args(["--loopback=yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `--response-delay-ms`: the answer comes no sooner than asked, and the
/// receipt (due at once) never overtakes it.
#[test]
fn response_delay_holds_the_answer() {
    let sim = SmscSim::start(&["--response-delay-ms", "400"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    let start = Instant::now();
    let m = submit(&e, "447700900001", "slow", 1).unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(receipt_of(&next_delivery(&e)).id, m);
    e.unbind();
    sim.stop();
}

/// `--no-response-every 2`: every second submit is never answered, so the
/// ESME's response timer fires (SubmitError::Timeout); the others are
/// answered. The unanswered ones are forgotten: no receipt comes for them.
#[test]
fn no_response_every_lets_response_timers_fire() {
    let sim = SmscSim::start(&["--no-response-every", "2"]);
    let rt = Runtime::new().unwrap();
    let mut config = EsmeConfig::new(&sim.addr, "smppclient1", "password");
    config.auto_ack = true;
    config.reconnect = None;
    config.connect_timeout = WAIT;
    config.session.response_timeout = Duration::from_millis(500);
    let e = Esme::connect(&rt, config).unwrap();
    let mut answered = Vec::new();
    for i in 1..=4 {
        match submit(&e, "447700900001", &format!("m{i}"), 1) {
            Ok(m) => {
                assert!(i % 2 == 1, "submit {i} was answered");
                answered.push(m);
            }
            Err(SubmitError::Timeout) => assert!(i % 2 == 0, "submit {i} timed out"),
            Err(other) => panic!("submit {i}: {other}"),
        }
    }
    let mut receipted: Vec<String> = drain_after_unbind(&e)
        .iter()
        .map(|b| receipt_of(b).id)
        .collect();
    receipted.sort();
    assert_eq!(receipted, answered);
    let totals = sim.stop();
    support::assert_totals(&totals, &[("submit_sm", 4), ("receipts", 2), ("errors", 0)]);
}

/// `--close-every 3`: the connection drops, without unbind, right after
/// the third submit's answer; the ESME reconnects and goes on.
#[test]
fn close_every_drops_the_connection_and_the_esme_reconnects() {
    let sim = SmscSim::start(&["--close-every", "3"]);
    let rt = Runtime::new().unwrap();
    let mut config = EsmeConfig::new(&sim.addr, "smppclient1", "password");
    config.auto_ack = true;
    config.connect_timeout = WAIT;
    config.reconnect = Some(smpp::runtime::Reconnect {
        min: Duration::from_millis(50),
        max: Duration::from_millis(200),
    });
    let e = Esme::connect(&rt, config).unwrap();
    for i in 0..3 {
        submit(&e, "447700900001", &format!("m{i}"), 0).unwrap();
    }
    let deadline = Instant::now() + WAIT;
    let (mut lost, mut rebound) = (false, false);
    while !(lost && rebound) {
        let left = deadline.saturating_duration_since(Instant::now());
        match e.events().recv_timeout(left) {
            Ok(EsmeEvent::Reconnecting { .. }) => lost = true,
            Ok(EsmeEvent::Bound { .. }) if lost => rebound = true,
            Ok(_) => {}
            Err(_) => panic!("no reconnect within {WAIT:?} (lost: {lost})"),
        }
    }
    submit(&e, "447700900001", "after", 0).unwrap();
    e.unbind();
    let totals = sim.stop();
    support::assert_totals(&totals, &[("sessions", 2), ("submit_sm", 4)]);
}

/// `--dlr-route other`: the receipt goes to the account's other receiving
/// session, not to the transceiver that submitted. With the default route
/// a transmitter's receipt goes to the account's receiver (the transmitter
/// cannot take it).
#[test]
fn dlr_route_sends_receipts_to_another_bind() {
    let rt = Runtime::new().unwrap();
    for (route, submitter) in [
        ("other", BindMode::Transceiver),
        ("same", BindMode::Transmitter),
    ] {
        let sim = SmscSim::start(&["--dlr-route", route]);
        let rx = esme(&rt, &sim, BindMode::Receiver);
        let tx = esme(&rt, &sim, submitter);
        let m = submit(&tx, "447700900001", "routed", 1).unwrap();
        assert_eq!(receipt_of(&next_delivery(&rx)).id, m, "route {route}");
        let stray = drain_after_unbind(&tx);
        assert!(stray.is_empty(), "route {route}: {stray:?}");
        rx.unbind();
        sim.stop();
    }
}

/// `--loopback`: a submit to one of the simulator's numbers comes back as
/// an MO message from that number with the same text; a submit elsewhere
/// does not.
#[test]
fn loopback_returns_submits_to_own_numbers_as_mo() {
    let sim = SmscSim::start(&["--loopback"]);
    let rt = Runtime::new().unwrap();
    let e = esme(&rt, &sim, BindMode::Transceiver);
    submit(&e, "447700900123", "ping", 0).unwrap();
    let Body::DeliverSm(mo) = next_delivery(&e) else {
        panic!("not a deliver_sm")
    };
    assert!(!mo.is_receipt());
    assert_eq!(mo.source.addr.to_string(), "447700900123");
    assert_eq!(mo.dest.addr.to_string(), "447000000001");
    assert_eq!(mo.short_message.as_bytes(), b"ping");
    submit(&e, "447712345678", "not ours", 0).unwrap();
    let rest = drain_after_unbind(&e);
    assert!(rest.is_empty(), "{rest:?}");
    sim.stop();
}

/// A receipt that falls due while its account has no receiver bound waits
/// for one: it comes as soon as a receiver binds.
#[test]
fn receipts_wait_for_a_receiver_to_bind() {
    let sim = SmscSim::start(&["--dlr-delay-ms", "200"]);
    let rt = Runtime::new().unwrap();
    let tx = esme(&rt, &sim, BindMode::Transmitter);
    let m = submit(&tx, "447700900001", "kept for later", 1).unwrap();
    let deadline = Instant::now() + WAIT;
    while query(&tx, &m).unwrap().0 != DELIVERED {
        assert!(Instant::now() < deadline, "the message never became final");
        std::thread::sleep(Duration::from_millis(20));
    }
    let rx = esme(&rt, &sim, BindMode::Receiver);
    assert_eq!(receipt_of(&next_delivery(&rx)).id, m);
    rx.unbind();
    tx.unbind();
    let totals = sim.stop();
    support::assert_totals(&totals, &[("receipts", 1)]);
}
