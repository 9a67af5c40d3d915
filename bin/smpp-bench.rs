//! `smpp-bench`: a load generator for any SMSC. See `smpp-bench --help`.

#[path = "common/args.rs"]
mod args;
#[path = "cli/smpp_bench.rs"]
mod cli;
#[path = "cli/values.rs"]
mod values;

use clap::Parser;
use smpp::pdu::{Address, Body, ShortMessage, SubmitSm, Tlv, TlvTag};
use smpp::runtime::{Esme, EsmeConfig, Runtime, RuntimeConfig, SubmitMode};
use smpp::session::BindMode;
use std::sync::atomic::{AtomicU64, Ordering};
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
    let sent_at: Arc<Vec<AtomicU64>> = Arc::new((0..count).map(|_| AtomicU64::new(0)).collect());
    let start = Instant::now();

    // Deliveries (receipts, MO) are answered automatically; drain them so
    // the event channel never fills.
    let events = esme.clone();
    std::thread::spawn(move || while events.events().recv().is_ok() {});

    let collector = {
        let esme = esme.clone();
        let sent_at = sent_at.clone();
        std::thread::spawn(move || {
            let mut latencies = Vec::with_capacity(count as usize);
            let mut acked = 0u64;
            let mut failed = 0u64;
            let mut first_error = None;
            while acked + failed < count {
                let Ok(c) = esme.completions().recv() else {
                    break;
                };
                let at = sent_at[c.ticket.0 as usize].load(Ordering::Relaxed);
                let now = start.elapsed().as_nanos() as u64;
                latencies.push(((now.saturating_sub(at)) / 1000) as u32);
                match c.outcome {
                    Ok(_) => acked += 1,
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (acked, failed, latencies, first_error)
        })
    };

    let mut submitted = 0u64;
    let mut refused = 0u64;
    for i in 0..count {
        if let Some(step) = (i * 1_000_000_000).checked_div(rate) {
            let due = start + Duration::from_nanos(step);
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        sent_at[i as usize].store(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        match esme.submit_async(
            Body::SubmitSm(template.clone()),
            SubmitMode::Wait(Duration::from_secs(timeout + 5)),
        ) {
            Ok(_) => submitted += 1,
            Err(e) => {
                refused += 1;
                log::warn!("submit refused: {e}");
                break;
            }
        }
    }
    let (acked, failed, mut latencies, first_error) = if submitted == count {
        collector.join().unwrap_or((0, 0, Vec::new(), None))
    } else {
        // Some submits never left: wait only for those that did.
        std::thread::sleep(Duration::from_secs(1));
        (0, submitted, Vec::new(), None)
    };
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
