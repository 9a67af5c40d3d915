//! `smpp-bench`: a load generator for any SMSC. See `smpp-bench --help`.

#[path = "common/args.rs"]
mod args;
#[path = "cli/smpp_bench.rs"]
mod cli;
#[path = "cli/values.rs"]
mod values;

use clap::Parser;
use crossbeam_channel::RecvTimeoutError;
use smpp::pdu::{Address, Body, ShortMessage, SubmitSm, Tlv, TlvTag};
use smpp::runtime::{Esme, EsmeConfig, Runtime, RuntimeConfig, SubmitError, SubmitMode};
use smpp::session::BindMode;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROG: &str = "smpp-bench";

fn main() {
    let cli = cli::Cli::parse();
    args::init_logging(cli.verbose);
    let addr = cli.connect.as_str();
    let mode = match cli.bind {
        cli::Bind::Tx => BindMode::Transmitter,
        cli::Bind::Trx => BindMode::Transceiver,
    };
    let sessions = cli.sessions;
    let window = cli.window;
    let count = cli.count;
    let rate = cli.rate;
    let size = cli.size;
    let timeout = cli.timeout_secs;
    let hold = cli.hold_secs;
    let enquire = cli.enquire_link_secs;
    let system_id = cli.system_id.as_str();
    let password = cli.password.as_str();

    let mut config = EsmeConfig::new(addr, system_id, password);
    config.mode = mode;
    config.sessions = sessions;
    config.session.window = window;
    config.session.response_timeout = Duration::from_secs(timeout);
    config.session.max_inbound_pending = usize::MAX;
    config.reconnect = None;
    config.auto_ack = true;
    config.session.enquire_link_interval = (enquire > 0).then(|| Duration::from_secs(enquire));
    config.connect_timeout = Duration::from_secs(10 + sessions as u64 / 100);
    if cli.tls {
        #[cfg(feature = "tls")]
        {
            let options = smpp::tls::TlsClientOptions {
                ca_file: cli.tls_ca.clone(),
                insecure: cli.tls_insecure,
                ..Default::default()
            };
            match options.connector() {
                Ok(c) => config.tls = Some(c),
                Err(e) => {
                    eprintln!("{PROG}: --tls: {e}");
                    std::process::exit(2);
                }
            }
        }
        #[cfg(not(feature = "tls"))]
        {
            eprintln!("{PROG}: this build has no TLS (cargo feature `tls`)");
            std::process::exit(2);
        }
    }

    let mut rt_config = RuntimeConfig::default();
    rt_config.workers = cli.workers.unwrap_or(rt_config.workers.min(sessions));
    let rt = Runtime::start(rt_config).unwrap_or_else(|e| {
        eprintln!("{PROG}: cannot start: {e}");
        std::process::exit(1)
    });
    let bind_start = Instant::now();
    let esme = match Esme::connect(&rt, config) {
        Ok(e) => {
            let secs = bind_start.elapsed().as_secs_f64();
            eprintln!(
                "{PROG}: bound {sessions} session(s) in {secs:.3} s ({:.0} binds/s)",
                sessions as f64 / secs.max(1e-9)
            );
            Arc::new(e)
        }
        Err(e) => {
            eprintln!("{PROG}: {addr}: {e}");
            std::process::exit(1);
        }
    };

    let template = submit_template(size);
    // Deliveries (receipts, MO) are answered automatically; drain them so
    // the event channel never fills.
    let events = esme.clone();
    std::thread::spawn(move || while events.events().recv().is_ok() {});

    // One thread keeps the window full and collects the outcomes, as a
    // non-async program would: submit until no window slot is free, then
    // take the completions that have come, waiting for at least one.
    let start = Instant::now();
    let mut sent_at = vec![0u64; count as usize];
    let mut latencies = Vec::with_capacity(count as usize);
    let (mut submitted, mut acked, mut failed, mut refused) = (0u64, 0u64, 0u64, 0u64);
    let mut first_error = None;
    // Longer than any response takes: a submit times out before it.
    let stall = Duration::from_secs(timeout + 5);
    let mut stopped = false;
    let mut batch = Vec::new();
    loop {
        let mut next_due = None;
        while submitted < count && !stopped {
            if let Some(step) = (submitted * 1_000_000_000).checked_div(rate) {
                let due = start + Duration::from_nanos(step);
                if due > Instant::now() {
                    next_due = Some(due);
                    break;
                }
            }
            sent_at[submitted as usize] = start.elapsed().as_nanos() as u64;
            match esme.submit_async(Body::SubmitSm(template.clone()), SubmitMode::FailFast) {
                Ok(_) => submitted += 1,
                Err(SubmitError::WindowFull) if submitted > acked + failed => break,
                Err(e) => {
                    refused += 1;
                    log::warn!("submit refused: {e}");
                    stopped = true;
                }
            }
        }
        if acked + failed == submitted && (submitted == count || stopped) {
            break;
        }
        let first = if submitted == acked + failed {
            // Nothing out: only the rate holds the next submit back.
            std::thread::sleep(next_due.map_or(Duration::ZERO, |d| {
                d.saturating_duration_since(Instant::now())
            }));
            continue;
        } else {
            let wait = next_due.map_or(stall, |d| d.saturating_duration_since(Instant::now()));
            match esme.completions().recv_timeout(wait) {
                Ok(c) => Some(c),
                Err(RecvTimeoutError::Timeout) if next_due.is_some() => None,
                Err(_) => {
                    eprintln!(
                        "{PROG}: no outcome for {} submits",
                        submitted - acked - failed
                    );
                    break;
                }
            }
        };
        batch.extend(first);
        esme.completions().take_all(&mut batch);
        for c in batch.drain(..) {
            let now = start.elapsed().as_nanos() as u64;
            let at = sent_at[c.ticket.0 as usize];
            latencies.push(((now.saturating_sub(at)) / 1000) as u32);
            match c.outcome {
                Ok(_) => acked += 1,
                Err(e) => {
                    failed += 1;
                    first_error.get_or_insert(e);
                }
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    if hold > 0 {
        eprintln!("{PROG}: holding {sessions} session(s) for {hold} s");
        std::thread::sleep(Duration::from_secs(hold));
    }
    esme.unbind();
    latencies.sort_unstable();
    let pct = |q: f64| -> u32 {
        if latencies.is_empty() {
            0
        } else {
            latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)]
        }
    };
    if let Some(e) = first_error {
        eprintln!("{PROG}: first failure: {e}");
    }
    let failed = failed + refused;
    println!(
        "submitted={submitted} acked={acked} failed={failed} seconds={seconds:.3} rate={:.0} p50_us={} p99_us={}",
        acked as f64 / seconds.max(1e-9),
        pct(0.50),
        pct(0.99)
    );
    if acked == 0 && count > 0 {
        std::process::exit(1);
    }
}

fn submit_template(size: usize) -> SubmitSm {
    let text: Vec<u8> = (0..size.max(1)).map(|i| b'a' + (i % 26) as u8).collect();
    let mut sm = SubmitSm {
        source: Address::new(5, 0, "bench").unwrap_or_default(),
        dest: Address::new(1, 1, "447700900123").unwrap_or_default(),
        ..SubmitSm::default()
    };
    if text.len() <= ShortMessage::MAX {
        sm.short_message = ShortMessage::new(&text).unwrap_or_default();
    } else {
        sm.tlvs.push(Tlv::octets(TlvTag::MessagePayload, text));
    }
    sm
}
