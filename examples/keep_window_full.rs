//! Sends COUNT messages as fast as the window allows, each outcome taken on
//! the runtime's worker, which sends the next message from there: no
//! thread of this program is woken between a response and the next
//! request.
//!
//! ```text
//! cargo run --example keep_window_full -- [ADDR [COUNT [SYSTEM_ID [PASSWORD]]]]
//! ```
//!
//! The defaults (`127.0.0.1:2775`, 10000, `smppclient1`, `password`) match
//! `smsc-sim` and the `minimal_smsc` example.

use smpp::pdu::{Address, Body, ShortMessage, SubmitSm};
use smpp::runtime::{Completion, Esme, EsmeConfig, LinkSubmitter, Runtime, SubmitMode};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

fn main() {
    if let Err(e) = run() {
        eprintln!("keep_window_full: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:2775".to_string());
    let count: usize = args.next().map_or(Ok(10_000), |c| c.parse())?;
    let system_id = args.next().unwrap_or_else(|| "smppclient1".to_string());
    let password = args.next().unwrap_or_else(|| "password".to_string());

    let rt = Runtime::new()?;
    let mut config = EsmeConfig::new(&addr, &system_id, &password);
    config.connect_timeout = Duration::from_secs(10);
    config.reconnect = None;
    let esme = Esme::connect(&rt, config)?;
    let message = Body::SubmitSm(SubmitSm {
        dest: Address::new(1, 1, "447700900123")?,
        short_message: ShortMessage::new(b"hello")?,
        ..SubmitSm::default()
    });

    // Messages still to send, taken one at a time by this thread (the
    // first window) and by the handler (the rest).
    let left = Arc::new(AtomicUsize::new(count));
    let take = |left: &AtomicUsize| {
        left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    };

    // The handler runs on the worker: it must not block, so it reports
    // each outcome on a channel and sends the next message while any are
    // left.
    let (outcomes, results) = mpsc::channel::<bool>();
    let (handler_left, next) = (left.clone(), message.clone());
    esme.set_completion_handler(move |_link| {
        let (outcomes, left, next) = (outcomes.clone(), handler_left.clone(), next.clone());
        move |done: Completion, link: &mut LinkSubmitter<'_>| {
            let _ = outcomes.send(done.outcome.is_ok());
            if take(&left) && link.submit(next.clone()).is_err() {
                left.fetch_add(1, Ordering::Relaxed);
            }
        }
    });

    // Fill the window from here; the handler keeps it full.
    let start = Instant::now();
    while take(&left) {
        if esme
            .submit_async(message.clone(), SubmitMode::FailFast)
            .is_err()
        {
            left.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    let (mut received, mut failed) = (0, 0);
    while received < count {
        let ok = results.recv_timeout(Duration::from_secs(30))?;
        received += 1;
        if !ok {
            failed += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "sent {received} messages in {secs:.3} s ({:.0}/s), {failed} failed",
        received as f64 / secs.max(1e-9)
    );
    esme.unbind();
    if failed > 0 {
        return Err(format!("{failed} messages failed").into());
    }
    Ok(())
}
