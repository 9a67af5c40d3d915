//! Disagreements found while testing against outside peers, kept as
//! regression tests.
//!
//! Receipts: smsc-sim builds them with `smpp::receipt::receipt_deliver_sm`.
//! Its `text:` field once copied the submitted octets as UTF-8, UDH and
//! UCS-2 NULs included (smpplib saw `text:\x05\x00\x03\xc2\x96...`); it now
//! holds the first 20 characters, read in the submit's alphabet.
//!
//! Outbind: the SMSC side sends its own system_id in outbind (SMPP 3.4
//! 4.1.7: it identifies the SMSC to the ESME); the ESME side must check it
//! against the SMSC's id it expects, not against its own bind system_id.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod support;

use smpp::datetime::DateTime;
use smpp::pdu::{Address, Body, ShortMessage, SubmitSm, ESM_UDHI};
use smpp::receipt::{receipt_deliver_sm, MessageState};
use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime};
use std::time::Duration;

fn receipt_for(esm_class: u8, data_coding: u8, message: &[u8]) -> Vec<u8> {
    let submit = SubmitSm {
        source: Address::new(1, 1, "447700900001").unwrap(),
        dest: Address::new(1, 1, "447700900123").unwrap(),
        esm_class,
        data_coding: data_coding.into(),
        registered_delivery: 1,
        short_message: ShortMessage::new(message).unwrap(),
        ..SubmitSm::default()
    };
    let t = DateTime::new(2026, 11, 25, 12, 0, 0).unwrap();
    let d = receipt_deliver_sm(&submit, "1a2b", MessageState::Delivered, t, t);
    assert_eq!(d.data_coding, smpp::pdu::DataCoding::SmscDefault);
    d.short_message.as_bytes().to_vec()
}

fn text_field(receipt: &[u8]) -> &[u8] {
    let at = receipt
        .windows(5)
        .position(|w| w == b"text:")
        .expect("a text: field");
    &receipt[at + 5..]
}

/// The doc says "the first 20 octets of the original, read as Latin-1", but
/// octets 0x80..=0xFF come out as two UTF-8 octets each (0xE9 becomes
/// 0xC3 0xA9) in a short_message whose data_coding (0) says nothing of
/// UTF-8.
#[test]
fn receipt_text_field_keeps_the_original_octets() {
    let receipt = receipt_for(0, 3, b"caf\xe9 cr\xe8me");
    assert_eq!(text_field(&receipt), b"caf\xe9 cr\xe8me");
}

/// With UDHI set, the UDH (here 05 00 03 96 03 01, a concatenation header)
/// is copied into the text: field, NUL and control octets included, and
/// takes 6 of its 20 characters; the field is there to show a person the
/// start of the message.
#[test]
fn receipt_text_field_skips_the_udh() {
    let mut message = vec![0x05, 0x00, 0x03, 0x46, 0x03, 0x01];
    message.extend_from_slice(b"hello world");
    let receipt = receipt_for(ESM_UDHI, 0, &message);
    assert_eq!(text_field(&receipt), b"hello world");
}

/// A UCS-2 message's octets (00 68 00 65 ...) end up as NULs in a
/// data_coding 0 receipt; the text: field should be readable text (or
/// empty).
#[test]
fn receipt_text_field_has_no_nul_for_ucs2() {
    let receipt = receipt_for(0, 8, b"\x00h\x00e\x00l\x00l\x00o");
    assert!(
        !text_field(&receipt).contains(&0),
        "NUL in receipt text: {:?}",
        String::from_utf8_lossy(&receipt)
    );
}

/// smsc-sim `--outbind` to the library's ESME waiting with
/// `Esme::listen_outbind`: smsc-sim's outbind names itself ("smsc-sim"),
/// and the ESME, expecting no particular SMSC id, checks the password and
/// binds as a receiver.
#[test]
fn smsc_sim_outbind_reaches_our_esme() {
    let addr = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("its address").to_string()
    };
    let esme_addr = addr.clone();
    let esme = std::thread::spawn(move || {
        let rt = Runtime::new().expect("runtime");
        let mut config = EsmeConfig::new(&esme_addr, "smppclient1", "password");
        config.outbind_password = Some("password".to_string());
        config.reconnect = None;
        config.connect_timeout = Duration::from_secs(5);
        let esme = Esme::listen_outbind(&rt, config).map_err(|e| e.to_string())?;
        // smsc-sim sends an MO every 100 ms to receivers.
        let got = loop {
            match esme.events().recv_timeout(Duration::from_secs(5)) {
                Ok(EsmeEvent::Delivery(d)) => {
                    let Body::DeliverSm(sm) = &d.pdu.body else {
                        return Err(format!("not a deliver_sm: {:?}", d.pdu));
                    };
                    let text = sm.payload().to_vec();
                    d.ack();
                    break text;
                }
                Ok(_) => {}
                Err(_) => return Err("no MO from smsc-sim".to_string()),
            }
        };
        esme.unbind();
        Ok(got)
    });
    // Let the ESME's listener come up before smsc-sim dials it.
    std::thread::sleep(Duration::from_millis(300));
    let sim = support::SmscSim::start(&["--outbind", &addr, "--mo-every-ms", "100"]);
    let result = esme.join().expect("ESME thread");
    let output = sim.proc.output();
    let totals = sim.stop();
    let text = result.unwrap_or_else(|e| panic!("{e}\nsmsc-sim: {output}\n{totals:?}"));
    assert!(text.starts_with(b"MO message "), "{text:?}");
}
