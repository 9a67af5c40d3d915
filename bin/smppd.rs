//! `smppd`: relays messages between a spool directory and an SMSC. See
//! `smppd --help`.

#[path = "common/args.rs"]
mod args;
#[path = "cli/smppd.rs"]
mod cli;

use clap::Parser;
use smpp::config::{Config, ConfigError};
use smpp::metrics::Counter;
use smpp::pdu::{Address, COctet, DeliverSm, ShortMessage};
use smpp::relay::{Relay, RelayError, RelayEvent};
use smpp::runtime::{Runtime, RuntimeConfig, Smsc, SmscConfig};
use smpp::session::BindMode;
use smpp::sim::{SimConfig, SimHandler};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const PROG: &str = "smppd";

fn main() {
    let cli = cli::Cli::parse();
    args::init_logging(cli.verbose);
    if cli.demo {
        std::process::exit(demo(&cli.spool));
    }
    let config_path = cli.config;
    let config = Config::from_file(&config_path);
    if cli.check_config {
        std::process::exit(check_config(&config_path, config));
    }
    let config = config.unwrap_or_else(|e| {
        report_config_error(&config_path, &e);
        std::process::exit(2)
    });
    std::process::exit(run(config, Some(&config_path), None));
}

/// Prints every problem of a configuration, one per line, each naming the
/// file; a missing file once, with where to start from.
fn report_config_error(path: &Path, e: &ConfigError) {
    match e {
        ConfigError::Read { source, .. } => {
            eprintln!("{PROG}: {}: {source}", path.display());
            if source.kind() == std::io::ErrorKind::NotFound {
                eprintln!(
                    "{PROG}: hint: start from the example, /usr/share/doc/smppd/examples/smppd.toml \
                     (systemd/smppd.toml.example in the source), or try `{PROG} --demo`"
                );
            }
        }
        e => {
            for p in e.problems() {
                eprintln!("{PROG}: {}: {p}", path.display());
            }
        }
    }
}

/// `--check-config`: every problem of the file, then whether the places
/// the daemon writes are writable by this user. The exit code.
fn check_config(path: &Path, config: Result<Config, ConfigError>) -> i32 {
    match config {
        Ok(config) => {
            let problems = config.check_writable();
            for p in &problems {
                eprintln!("{PROG}: {}: {p}", path.display());
            }
            if problems.is_empty() {
                println!("{}: configuration is valid", path.display());
                0
            } else {
                2
            }
        }
        Err(e) => {
            report_config_error(path, &e);
            2
        }
    }
}

/// Signals forwarded from their own thread.
fn signals() -> crossbeam_channel::Receiver<i32> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let (tx, rx) = crossbeam_channel::unbounded();
    match signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    if tx.send(sig).is_err() {
                        return;
                    }
                }
            });
        }
        Err(e) => {
            eprintln!("{PROG}: cannot install signal handlers: {e}");
            std::process::exit(1);
        }
    }
    rx
}

/// Runs the relay until SIGTERM or SIGINT; returns the exit code.
fn run(
    config: Config,
    config_path: Option<&Path>,
    events: Option<crossbeam_channel::Sender<RelayEvent>>,
) -> i32 {
    let signals = signals();
    let stop = Arc::new(AtomicBool::new(false));
    // Stop signals during the first bind end the retries.
    let early = {
        let stop = stop.clone();
        let signals = signals.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                if let Ok(sig) = signals.recv_timeout(Duration::from_millis(100)) {
                    if sig != signal_hook::consts::SIGHUP {
                        stop.store(true, Ordering::Release);
                        return true;
                    }
                }
            }
            false
        })
    };
    let response_timeout = config.smsc.response_timeout;
    let _ = smpp::notify::status("binding to the SMSC");
    let relay = Relay::start(config, events, &stop);
    let stopped_early = stop.swap(true, Ordering::AcqRel);
    let signalled = early.join().unwrap_or(false) || stopped_early;
    let relay = match relay {
        Ok(r) => r,
        Err(RelayError::Stopped) => return 0,
        Err(e) => {
            eprintln!("{PROG}: {e}");
            return 1;
        }
    };
    if signalled {
        relay.stop(response_timeout);
        return 0;
    }
    let _ = smpp::notify::ready();
    log::info!("running");
    let watchdog = smpp::notify::watchdog_interval().map(|d| d / 2);
    let mut last_watchdog = Instant::now();
    let mut last_metrics = Instant::now();
    loop {
        let tick = watchdog
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(1));
        match signals.recv_timeout(tick) {
            Ok(signal_hook::consts::SIGHUP) => {
                log::info!("SIGHUP: rescanning the spool");
                if let Some(path) = config_path {
                    match Config::from_file(path) {
                        Ok(_) => log::info!(
                            "{}: valid; changed settings take effect at the next restart",
                            path.display()
                        ),
                        Err(e) => {
                            log::error!("{}: {e} (keeping the running settings)", path.display())
                        }
                    }
                }
                relay.rescan();
            }
            Ok(sig) => {
                log::info!("signal {sig}: stopping");
                break;
            }
            Err(_) => {}
        }
        if watchdog.is_some_and(|w| last_watchdog.elapsed() >= w) {
            let _ = smpp::notify::watchdog();
            last_watchdog = Instant::now();
        }
        if last_metrics.elapsed() >= Duration::from_secs(5) {
            relay.write_metrics();
            let m = relay.metrics();
            let _ = smpp::notify::status(&format!(
                "sent={} failed={} received={} receipts={} in flight={}",
                m.get(Counter::Sent),
                m.get(Counter::Failed),
                m.get(Counter::Received),
                m.get(Counter::Receipts),
                relay.files_in_flight()
            ));
            last_metrics = Instant::now();
        }
    }
    let _ = smpp::notify::stopping();
    relay.stop(response_timeout);
    0
}

/// `--demo`: the relay against an in-process simulator.
fn demo(spool: &Path) -> i32 {
    let rt = match Runtime::start(RuntimeConfig {
        workers: 1,
        ..RuntimeConfig::default()
    }) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{PROG}: {e}");
            return 1;
        }
    };
    let sim = SimHandler::new(SimConfig {
        accounts: vec![("demo".into(), "demo".into())],
        dlr_delay: Duration::from_millis(500),
        ..SimConfig::default()
    });
    let mut smsc_config = SmscConfig::default();
    smsc_config.session.system_id = COctet::try_from("demo-smsc").unwrap_or_default();
    let smsc = match Smsc::listen(&rt, "127.0.0.1:0", smsc_config, sim) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{PROG}: cannot start the simulator: {e}");
            return 1;
        }
    };
    let spool_text = spool
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    let config_text = format!(
        "spool = \"{spool_text}\"\ninstance = \"demo\"\n\n[smsc]\nhost = \"127.0.0.1\"\nport = {}\n\
         system_id = \"demo\"\npassword = \"demo\"\nreconnect_min_ms = 200\n",
        smsc.local_addr().port()
    );
    let config = match Config::parse(&config_text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{PROG}: demo configuration: {e}");
            return 1;
        }
    };
    let outgoing = spool.join("outgoing");
    println!(
        "smppd demo: an SMSC simulator listens on {}",
        smsc.local_addr()
    );
    println!("smppd demo: spool in {}", spool.display());
    let (tx, rx) = crossbeam_channel::unbounded();
    let printer = std::thread::spawn(move || {
        for event in rx {
            match event {
                RelayEvent::Bound => println!("bound to the simulator"),
                RelayEvent::LinkDown(why) => println!("link down ({why}); reconnecting"),
                RelayEvent::Claimed { file, parts } => {
                    println!(
                        "claimed {file} ({parts} part{})",
                        if parts == 1 { "" } else { "s" }
                    )
                }
                RelayEvent::Sent { file, message_ids } => {
                    println!("sent: sent/{file} (message id {})", message_ids.join(", "))
                }
                RelayEvent::Failed { file, reason } => println!("failed: failed/{file}: {reason}"),
                RelayEvent::Retrying { file, reason } => println!("retrying {file}: {reason}"),
                RelayEvent::Incoming { file } => println!("MO message: incoming/{file}"),
                RelayEvent::Report {
                    file,
                    original,
                    status,
                } => println!(
                    "receipt: report/{file}: {status}{}",
                    original.map(|o| format!(" for {o}")).unwrap_or_default()
                ),
            }
        }
    });
    // Once bound: an example file, and one MO message from the simulator.
    let example = outgoing.clone();
    let smsc = Arc::new(smsc);
    let mo_smsc = smsc.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        let body = "To: +491721234567\nReport: yes\n\nHello from the smppd demo!\n";
        let tmp = example.join(".demo-hello");
        if std::fs::write(&tmp, body)
            .and_then(|()| std::fs::rename(&tmp, example.join("demo-hello")))
            .is_ok()
        {
            println!(
                "dropped an example into {}",
                example.join("demo-hello").display()
            );
        }
        println!(
            "try: printf 'To: 491721234567\\n\\nHi there\\n' > {0}/.new && mv {0}/.new {0}/hi",
            example.display()
        );
        println!("stop with Ctrl-C");
        std::thread::sleep(Duration::from_millis(700));
        for session in mo_smsc.sessions() {
            if session.mode.is_some_and(BindMode::can_receive) {
                let mo = DeliverSm {
                    source: Address::new(1, 1, "491729876543").unwrap_or_default(),
                    dest: Address::new(1, 1, "12345").unwrap_or_default(),
                    short_message: ShortMessage::new(b"A reply from a phone").unwrap_or_default(),
                    ..DeliverSm::default()
                };
                let _ = mo_smsc.deliver(session.id, mo);
            }
        }
    });
    let code = run(config, None, Some(tx));
    let _ = printer.join();
    smsc.shutdown(Duration::from_secs(2));
    code
}
