//! Interoperability with node-smpp (npm `smpp`), in both roles:
//! its client against smsc-sim, and the library's ESME against its server.
//!
//! Needs `scripts/install-peers`; fails (never skips) without it.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod daemon_util;
mod support;

use smpp::pdu::{Address, Body, ShortMessage, SubmitSm};
use smpp::receipt::MessageState;
use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime, SubmitMode};
use std::time::{Duration, Instant};
use support::{assert_totals, node, run_client, server_result, start_server, Member, SmscSim};

/// node-smpp's client binds, submits with a receipt requested, gets the
/// message id, receives and answers the receipt, pings and unbinds.
#[test]
fn node_client_against_smsc_sim() {
    let sim = SmscSim::start(&[]);
    let mut cmd = node("node_client.js");
    cmd.arg(&sim.addr);
    let out = run_client("node_client.js", cmd);

    assert_eq!(out.u64("bind_status"), 0, "{out}");
    assert_eq!(out.str("bind_system_id"), "smsc-sim");
    assert_eq!(out.u64("submit_status"), 0, "{out}");
    let id = out.str("message_id");
    assert!(!id.is_empty() && id.len() <= 64, "message id {id:?}");

    let receipt = &out["receipt"];
    assert_eq!(receipt.u64("esm_class"), 0x04, "receipt esm_class: {out}");
    // Addresses swapped.
    assert_eq!(receipt.str("source_addr"), "447700900123");
    assert_eq!(receipt.str("destination_addr"), "447700900001");
    // TLVs: receipted_message_id and message_state DELIVERED (2).
    assert_eq!(receipt.str("receipted_message_id"), id);
    assert_eq!(receipt.u64("message_state"), 2);
    // Appendix B text.
    let text = receipt.str("text");
    assert!(
        text.starts_with(&format!("id:{id} ")),
        "receipt text {text:?}"
    );
    for field in [
        " sub:001 ",
        " dlvrd:001 ",
        " submit date:",
        " done date:",
        " stat:DELIVRD ",
        " err:000 ",
        " text:hello from node-smpp",
    ] {
        assert!(
            text.contains(field),
            "receipt text {text:?} lacks {field:?}"
        );
    }

    assert_eq!(out.u64("enquire_link_status"), 0, "{out}");
    assert_eq!(out.u64("unbind_status"), 0, "{out}");
    let events: Vec<_> = out["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e.as_str())
        .collect();
    assert_eq!(events.first(), Some(&"bind_transceiver_resp"), "{events:?}");
    for e in [
        "submit_sm_resp",
        "deliver_sm",
        "enquire_link_resp",
        "unbind_resp",
    ] {
        assert!(events.contains(&e), "node-smpp never saw {e}: {events:?}");
    }
    assert_eq!(events.last(), Some(&"close"), "{events:?}");

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

/// The library's ESME binds to node-smpp's server, answers its enquire_link,
/// submits, and receives both the receipt (correlated with its submit) and
/// an MO message.
#[test]
fn our_esme_against_node_server() {
    let (server, addr) = start_server("node_server.js", node("node_server.js"));

    let rt = Runtime::new().expect("runtime");
    let mut config = EsmeConfig::new(&addr, "smppclient1", "password");
    config.reconnect = None;
    config.connect_timeout = Duration::from_secs(5);
    config.session.response_timeout = Duration::from_secs(5);
    let esme = Esme::connect(&rt, config).expect("bind to node-smpp");

    let submit = SubmitSm {
        source: Address::new(1, 1, "447700900004").unwrap(),
        dest: Address::new(1, 1, "447700900123").unwrap(),
        registered_delivery: 1,
        short_message: ShortMessage::new(b"hello from smpp-rs").unwrap(),
        ..SubmitSm::default()
    };
    let ticket = esme
        .submit_async(
            Body::SubmitSm(submit),
            SubmitMode::Wait(Duration::from_secs(5)),
        )
        .expect("submit");
    let done = esme
        .completions()
        .recv_timeout(Duration::from_secs(10))
        .expect("a submit_sm_resp");
    assert_eq!(done.ticket, ticket);
    let resp = done.outcome.expect("submit_sm_resp with status 0");
    let Body::SubmitSmResp(r) = &resp.body else {
        panic!("not a submit_sm_resp: {resp:?}")
    };
    assert_eq!(r.message_id.as_bytes(), b"node-1");

    let mut receipt = None;
    let mut mo = None;
    let deadline = Instant::now() + Duration::from_secs(10);
    while receipt.is_none() || mo.is_none() {
        let left = deadline.saturating_duration_since(Instant::now());
        match esme.events().recv_timeout(left) {
            Ok(EsmeEvent::Delivery(d)) => {
                let Body::DeliverSm(sm) = &d.pdu.body else {
                    panic!("not a deliver_sm: {:?}", d.pdu)
                };
                if sm.is_receipt() {
                    let parsed = d.receipt.clone().expect("receipt parsed");
                    receipt = Some((parsed, d.ticket, sm.clone()));
                } else {
                    mo = Some(sm.clone());
                }
                d.ack();
            }
            Ok(EsmeEvent::Bound { .. }) => {}
            Ok(other) => panic!("unexpected event {other:?}"),
            Err(_) => panic!("deliveries missing: receipt {receipt:?}, MO {mo:?}"),
        }
    }
    let (parsed, receipt_ticket, sm) = receipt.unwrap();
    assert_eq!(parsed.id, "node-1");
    assert_eq!(parsed.stat, Some(MessageState::Delivered));
    assert_eq!(
        receipt_ticket,
        Some(ticket),
        "receipt not correlated with its submit"
    );
    assert_eq!(sm.source.addr.as_bytes(), b"447700900123");
    let mo = mo.unwrap();
    assert_eq!(mo.payload(), b"MO from node-smpp");
    assert_eq!(mo.source.addr.as_bytes(), b"447700900999");

    esme.unbind();
    let out = server_result("node_server.js", server);
    assert_eq!(out["bind"].str("system_id"), "smppclient1");
    assert_eq!(out["bind"].u64("interface_version"), 0x34);
    let submit = &out["submits"][0];
    assert_eq!(submit.str("text"), "hello from smpp-rs");
    assert_eq!(submit.str("destination_addr"), "447700900123");
    assert_eq!(submit.u64("registered_delivery"), 1);
    assert_eq!(out["submits"].as_array().map_or(0, Vec::len), 1, "{out}");
    let resps: Vec<_> = out["deliver_sm_resp"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_u64())
        .collect();
    assert_eq!(resps, [0, 0], "deliver_sm_resp statuses: {out}");
    assert_eq!(out["unbind"].as_bool(), Some(true), "{out}");
    assert_eq!(
        out["enquire_link_resp"].as_u64(),
        Some(0),
        "our ESME's answer to the server's enquire_link: {out}"
    );
}

/// A free loopback port (bound and released: another process could take
/// it in between, which is unlikely in a test run).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// node-smpp as an SMSC dialing the library's ESME and sending outbind with
/// `outbind_id` as its system_id; the ESME binds as a receiver, takes an MO
/// and unbinds.
fn node_outbind_to_our_esme(outbind_id: &str) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = node("node_outbind_smsc.js");
    cmd.arg(&addr).arg(outbind_id);
    let server = support::Proc::spawn("node_outbind_smsc.js", cmd);

    let rt = Runtime::new().expect("runtime");
    let mut config = EsmeConfig::new(&addr, "smppclient1", "password");
    config.outbind_password = Some("password".to_string());
    config.reconnect = None;
    config.connect_timeout = Duration::from_secs(5);
    let esme = Esme::listen_outbind(&rt, config).unwrap_or_else(|e| {
        panic!(
            "no bind after node-smpp's outbind (system_id {outbind_id:?}): {e}\n{}",
            server.output()
        )
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mo = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match esme.events().recv_timeout(left) {
            Ok(EsmeEvent::Delivery(d)) => {
                let Body::DeliverSm(sm) = &d.pdu.body else {
                    panic!("not a deliver_sm: {:?}", d.pdu)
                };
                let sm = sm.clone();
                d.ack();
                break sm;
            }
            Ok(EsmeEvent::Bound { .. }) => {}
            Ok(other) => panic!("unexpected event {other:?}"),
            Err(_) => panic!("no MO after outbind\n{}", server.output()),
        }
    };
    assert_eq!(mo.payload(), b"MO after outbind");
    esme.unbind();

    let out = server_result("node_outbind_smsc.js", server);
    assert_eq!(out["bind"].str("system_id"), "smppclient1", "{out}");
    assert_eq!(out["bind"].str("password"), "password", "{out}");
    assert_eq!(out["deliver_sm_resp"].as_u64(), Some(0), "{out}");
    assert_eq!(out["unbind"].as_bool(), Some(true), "{out}");
}

/// Outbind carrying the ESME's own system_id, which is what the library's
/// ESME checks today.
#[test]
fn node_outbind_to_our_esme_with_the_esme_system_id() {
    node_outbind_to_our_esme("smppclient1");
}

/// SMPP 3.4 4.1.7: the outbind's system_id identifies the SMSC to the ESME
/// (Net::SMPP's documentation says the same). The library's ESME compares
/// it with its own bind system_id instead, and closes the connection.
#[test]
fn node_outbind_to_our_esme_with_the_smsc_system_id() {
    node_outbind_to_our_esme("node-smsc");
}

/// smsc-sim `--outbind` dials node-smpp's ESME, which binds as a receiver
/// on that connection and gets an MO message.
#[test]
fn smsc_sim_outbind_to_node_esme() {
    let (esme, esme_addr) = start_server("node_outbind_esme.js", node("node_outbind_esme.js"));
    let sim = SmscSim::start(&["--outbind", &esme_addr, "--mo-every-ms", "100"]);
    let out = server_result("node_outbind_esme.js", esme);
    assert_eq!(out["outbind"].str("system_id"), "smsc-sim", "{out}");
    assert_eq!(out["outbind"].str("password"), "password", "{out}");
    assert_eq!(out.u64("bind_status"), 0, "{out}");
    let first = &out["deliveries"][0];
    assert_eq!(first.u64("esm_class"), 0, "{out}");
    assert!(first.str("text").starts_with("MO message "), "{out}");
    assert_eq!(out.u64("unbind_status"), 0, "{out}");
    let totals = sim.stop();
    assert_totals(&totals, &[("sessions", 1), ("errors", 0)]);
    assert!(totals["deliver_sm"] >= 1, "{totals:?}");
}

/// smsc-sim's refusals as node-smpp reads them: a wrong password
/// (ESME_RINVPASWD), submit_sm from a receiver and before any bind
/// (ESME_RINVBNDSTS), an unknown command_id (generic_nack ESME_RINVCMDID).
#[test]
fn node_client_refusals_from_smsc_sim() {
    let sim = SmscSim::start(&[]);
    let mut cmd = node("node_refusals.js");
    cmd.arg(&sim.addr);
    let out = run_client("node_refusals.js", cmd);
    let check = |key: &str, command: &str, status: u64| {
        let a = &out[key];
        assert_eq!(a.str("command"), command, "{key}: {out}");
        assert_eq!(a.u64("status"), status, "{key}: {out}");
    };
    check("wrong_password", "bind_transceiver_resp", 0x0E);
    check("bind_receiver", "bind_receiver_resp", 0);
    check("submit_as_receiver", "submit_sm_resp", 0x04);
    check("unknown_command", "generic_nack", 0x03);
    check("unbind", "unbind_resp", 0);
    check("submit_before_bind", "submit_sm_resp", 0x04);
    let totals = sim.stop();
    assert_totals(&totals, &[("submit_sm", 0), ("deliver_sm", 0)]);
}

/// smppd configured for an SMSC that only outbinds (`[outbind]`, no
/// `smsc.host`): node-smpp as the SMSC connects to the listener smppd
/// opened at start, sends outbind, serves the bind_receiver and an MO,
/// which lands in `incoming/`; smppd's stop unbinds it.
#[test]
fn smppd_outbind_only_takes_mo_from_node() {
    let dir = daemon_util::TestDir::new("outbind-only");
    let spool = dir.spool();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let cfg = dir.join("smppd.toml");
    std::fs::write(
        &cfg,
        format!(
            "spool = \"{}\"\ninstance = \"outbind\"\n\n[smsc]\nsystem_id = \"smppclient1\"\n\
             password = \"password\"\n\n[outbind]\nlisten = \"{addr}\"\n",
            spool.display()
        ),
    )
    .unwrap();
    let log = dir.join("smppd.log");
    let mut d = daemon_util::Daemon::start(&cfg, &log);
    d.wait_log("running", Duration::from_secs(10));
    let mut cmd = node("node_outbind_smsc.js");
    cmd.arg(&addr).arg("node-smsc");
    let server = support::Proc::spawn("node_outbind_smsc.js", cmd);
    if !daemon_util::wait_for(Duration::from_secs(15), || {
        daemon_util::count(&spool, "incoming") == 1
    }) {
        panic!(
            "no MO in incoming/\n{}\nnode: {}",
            d.log_tail(30),
            server.output()
        );
    }
    let name = daemon_util::list(&spool, "incoming").remove(0);
    let mo = daemon_util::SpoolFile::load(&spool, "incoming", &name);
    assert_eq!(mo.get("From"), "447700900999");
    assert_eq!(mo.body, b"MO after outbind");
    assert!(
        d.log_tail(50)
            .contains(&format!("bound as receiver after an outbind on {addr}")),
        "{}",
        d.log_tail(30)
    );
    d.proc.signal("TERM");
    let status = d
        .proc
        .wait_timeout(Duration::from_secs(10))
        .expect("smppd exits after SIGTERM");
    assert!(status.success(), "{status}");
    let out = server_result("node_outbind_smsc.js", server);
    assert_eq!(out["bind"].str("system_id"), "smppclient1", "{out}");
    assert_eq!(out["deliver_sm_resp"].as_u64(), Some(0), "{out}");
    assert_eq!(out["unbind"].as_bool(), Some(true), "{out}");
}

/// node-smpp against smsc-sim's message store: query_sm, replace_sm and
/// cancel_sm, with the spec's statuses for final and unknown messages
/// (see `support::check_store_steps`). node-smpp reads the final date into
/// a date, so it parsed as SMPP absolute time.
#[test]
fn node_query_replace_cancel_against_smsc_sim() {
    let sim = SmscSim::start(&["--dlr-delay-ms", "60000"]);
    let mut cmd = node("node_store_client.js");
    cmd.arg(&sim.addr);
    let out = run_client("node_store_client.js", cmd);
    assert_eq!(out.u64("bind_status"), 0, "{out}");
    support::check_store_steps(&out);
    let deleted = out["steps"][5].str("final_date").to_string();
    assert!(!deleted.contains("Invalid"), "{deleted}");
    let totals = sim.stop();
    assert_totals(
        &totals,
        &[
            ("sessions", 1),
            ("queries", 4),
            ("cancels", 2),
            ("replaces", 2),
            ("receipts", 0),
        ],
    );
}
