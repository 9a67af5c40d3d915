//! Interoperability with Perl's Net::SMPP (Debian libnet-smpp-perl), in
//! both roles: its client against smsc-sim, and the library's ESME against
//! a Net::SMPP server.
//!
//! Needs `scripts/install-peers`; fails (never skips) without it.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod support;

use smpp::pdu::{Address, Body, ShortMessage, SubmitSm};
use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime};
use std::time::{Duration, Instant};
use support::{assert_totals, perl, run_client, server_result, start_server, Member, SmscSim};

/// Net::SMPP's synchronous client: bind_transceiver, submit_sm with a
/// receipt requested, the receipt, enquire_link, unbind.
#[test]
fn net_smpp_client_against_smsc_sim() {
    // Net::SMPP waits for each response synchronously and drops anything
    // else that arrives meanwhile: delay the receipt past the response.
    let sim = SmscSim::start(&["--dlr-delay-ms", "200"]);
    let mut cmd = perl("perl_client.pl");
    cmd.arg(&sim.addr);
    let out = run_client("perl_client.pl", cmd);

    assert_eq!(out.str("bind_cmd"), "0x80000009", "{out}");
    assert_eq!(out.u64("bind_status"), 0, "{out}");
    assert_eq!(out.str("bind_system_id"), "smsc-sim");
    assert_eq!(out.str("submit_cmd"), "0x80000004", "{out}");
    assert_eq!(out.u64("submit_status"), 0, "{out}");
    let id = out.str("message_id");
    assert!(!id.is_empty(), "{out}");

    assert_eq!(out.str("receipt_cmd"), "0x00000005", "{out}");
    assert_eq!(out.u64("receipt_esm_class"), 0x04);
    assert_eq!(out.str("receipt_source_addr"), "447700900123");
    assert_eq!(out.str("receipt_destination_addr"), "447700900003");
    assert_eq!(out.str("receipted_message_id"), id);
    assert_eq!(out.u64("message_state"), 2);
    let text = out.str("receipt_text");
    assert!(text.starts_with(&format!("id:{id} ")), "{text:?}");
    assert!(text.contains(" stat:DELIVRD "), "{text:?}");
    assert!(text.ends_with(" text:hello from Net::SMPP"), "{text:?}");

    assert_eq!(out.str("enquire_link_cmd"), "0x80000015", "{out}");
    assert_eq!(out.u64("enquire_link_status"), 0);
    assert_eq!(out.str("unbind_cmd"), "0x80000006", "{out}");
    assert_eq!(out.u64("unbind_status"), 0);

    let totals = sim.stop();
    assert_totals(
        &totals,
        &[
            ("sessions", 1),
            ("submit_sm", 1),
            ("deliver_sm", 1),
            ("receipts", 1),
            ("errors", 0),
        ],
    );
}

/// The library's ESME against a Net::SMPP server: bind, the server's
/// enquire_link answered, submit, an MO deliver_sm answered, unbind.
#[test]
fn our_esme_against_net_smpp_server() {
    let (server, addr) = start_server("perl_server.pl", perl("perl_server.pl"));

    let rt = Runtime::new().expect("runtime");
    let mut config = EsmeConfig::new(&addr, "smppclient1", "password");
    config.reconnect = None;
    config.connect_timeout = Duration::from_secs(5);
    config.session.response_timeout = Duration::from_secs(5);
    let esme = Esme::connect(&rt, config).expect("bind to Net::SMPP");

    let resp = esme
        .submit(SubmitSm {
            source: Address::new(1, 1, "447700900005").unwrap(),
            dest: Address::new(1, 1, "447700900123").unwrap(),
            short_message: ShortMessage::new(b"hello from smpp-rs").unwrap(),
            ..SubmitSm::default()
        })
        .expect("submit_sm_resp with status 0");
    let Body::SubmitSmResp(r) = &resp.body else {
        panic!("not a submit_sm_resp: {resp:?}")
    };
    assert_eq!(r.message_id.as_bytes(), b"perl-1");

    let deadline = Instant::now() + Duration::from_secs(10);
    let mo = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match esme.events().recv_timeout(left) {
            Ok(EsmeEvent::Delivery(d)) => {
                let Body::DeliverSm(sm) = &d.pdu.body else {
                    panic!("not a deliver_sm: {:?}", d.pdu)
                };
                let sm = sm.clone();
                assert!(d.receipt.is_none(), "an MO is no receipt: {:?}", d.pdu);
                d.ack();
                break sm;
            }
            Ok(EsmeEvent::Bound { .. }) => {}
            Ok(other) => panic!("unexpected event {other:?}"),
            Err(_) => panic!("no MO deliver_sm from Net::SMPP"),
        }
    };
    assert_eq!(mo.payload(), b"MO from Net::SMPP");
    assert_eq!(mo.source.addr.as_bytes(), b"447700900999");
    assert_eq!(mo.dest.addr.as_bytes(), b"12345");

    esme.unbind();
    let out = server_result("perl_server.pl", server);
    assert_eq!(out.str("bind_system_id"), "smppclient1");
    assert_eq!(out.str("bind_password"), "password");
    assert_eq!(out.u64("bind_interface_version"), 0x34);
    assert_eq!(out.str("submit_text"), "hello from smpp-rs");
    assert_eq!(out.str("submit_destination_addr"), "447700900123");
    assert_eq!(out.str("submit_source_addr"), "447700900005");
    assert_eq!(out.str("deliver_sm_resp_status"), "0", "{out}");
    assert_eq!(out.str("unbind"), "yes");
    assert_eq!(
        out["enquire_link_resp_status"].as_u64(),
        Some(0),
        "our ESME's answer to the server's enquire_link: {out}"
    );
    let events = out.str("events");
    assert!(events.starts_with("0x00000009 "), "Net::SMPP saw {events}");
}
