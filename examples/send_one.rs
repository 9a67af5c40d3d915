//! Sends one message, asks for a delivery receipt, and waits for it.
//!
//! ```text
//! cargo run --example send_one -- [ADDR [SYSTEM_ID [PASSWORD]]]
//! ```
//!
//! The defaults (`127.0.0.1:2775`, `smppclient1`, `password`) match
//! `smsc-sim` and the `minimal_smsc` example, so either can play the SMSC:
//!
//! ```text
//! cargo run --bin smsc-sim -- --dlr-delay-ms 500 &
//! cargo run --example send_one
//! ```

use smpp::pdu::{Address, Body, ShortMessage, SubmitSm};
use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime, SubmitMode};
use std::time::{Duration, Instant};

fn main() {
    if let Err(e) = run() {
        eprintln!("send_one: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:2775".to_string());
    let system_id = args.next().unwrap_or_else(|| "smppclient1".to_string());
    let password = args.next().unwrap_or_else(|| "password".to_string());

    // The runtime's threads run the session; `connect` returns once bound.
    let rt = Runtime::new()?;
    let mut config = EsmeConfig::new(&addr, &system_id, &password);
    config.connect_timeout = Duration::from_secs(10);
    config.reconnect = None;
    let esme = Esme::connect(&rt, config)?;
    println!("bound to {addr} as {system_id}");

    let submit = SubmitSm {
        source: Address::new(5, 0, "smppd")?,
        dest: Address::new(1, 1, "447700900123")?,
        // 1: a receipt whatever happens to the message.
        registered_delivery: 1,
        short_message: ShortMessage::new(b"Hello from smppd")?,
        ..SubmitSm::default()
    };
    // `submit_async` hands back a ticket; the response comes on
    // `completions()`, and the receipt, on `events()`, names the same
    // ticket.
    let ticket = esme.submit_async(
        Body::SubmitSm(submit),
        SubmitMode::Wait(Duration::from_secs(10)),
    )?;
    let done = esme.completions().recv_timeout(Duration::from_secs(60))?;
    let resp = done.outcome?;
    if let Body::SubmitSmResp(r) = &resp.body {
        println!("message id {}", r.message_id);
    }

    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match esme.events().recv_deadline(deadline) {
            Ok(EsmeEvent::Delivery(d)) if d.ticket == Some(ticket) => {
                if let Some(receipt) = &d.receipt {
                    let state = receipt
                        .stat
                        .map_or(receipt.stat_text.as_str(), |s| s.stat_text());
                    println!("receipt for {}: {state}", receipt.id);
                }
                // Acknowledge once it is handled (here: printed).
                d.ack();
                break;
            }
            // An MO message or a receipt for something else.
            Ok(EsmeEvent::Delivery(d)) => d.ack(),
            Ok(EsmeEvent::Closed { reason, .. }) => {
                return Err(format!("link closed: {reason}").into());
            }
            Ok(_) => {}
            Err(_) => return Err("no receipt within 60 s".into()),
        }
    }
    esme.unbind();
    Ok(())
}
