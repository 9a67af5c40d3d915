//! `smppd`: relays messages between a spool directory and an SMSC. See
//! `smppd --help`.

#[path = "common/args.rs"]
mod args;
#[path = "cli/smppd.rs"]
mod cli;

use clap::Parser;
use smpp::daemon::config::{Config, ConfigError};
use smpp::daemon::relay::{Control, RelayEvent};
use smpp::pdu::{Address, COctet, DeliverSm, ShortMessage};
use smpp::runtime::{Runtime, RuntimeConfig, Smsc, SmscConfig};
use smpp::session::BindMode;
use smpp::smsc_sim::{SimConfig, SimHandler};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const PROG: &str = "smppd";

fn main() {
    let cli = cli::Cli::parse();
    args::init_logging(cli.verbose);
    if cli.demo {
        // Signals first: a SIGTERM from here on stops the daemon cleanly.
        let control = signals();
        std::process::exit(demo(&cli.spool, &control));
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
    if cli.status {
        std::process::exit(status(&config));
    }
    smpp::daemon::logging::set_filter(&config.log_level);
    let control = signals();
    std::process::exit(run(config, Some(&config_path), None, &control));
}

/// `--status`: prints what the daemon of the configured spool and instance
/// publishes, then what every other instance running on that spool does;
/// 0 if the configured one runs, 1 if not.
fn status(config: &Config) -> i32 {
    let code = own_status(config);
    let others = smpp::daemon::relay::query_others(config);
    if !others.is_empty() {
        println!(
            "\nother instances running on spool {}:",
            config.spool.display()
        );
    }
    for (name, status) in others {
        println!();
        match status.text {
            Some(text) => print!("{text}"),
            None => println!("smppd running: instance {name}, no status published yet"),
        }
    }
    code
}

fn own_status(config: &Config) -> i32 {
    let status = smpp::daemon::relay::query_status(config);
    match (status.running, &status.text) {
        (true, Some(text)) => {
            print!("{text}");
            0
        }
        (true, None) => {
            println!(
                "smppd running: instance {}, no status published yet ({})",
                config.instance,
                status.path.display()
            );
            0
        }
        (false, text) => {
            println!(
                "smppd not running: instance {}, spool {}",
                config.instance,
                config.spool.display()
            );
            if let Some(text) = text {
                println!("last published:");
                print!("{text}");
            }
            1
        }
    }
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

/// Signals as [`Control`]s, forwarded from their own thread.
fn signals() -> crossbeam_channel::Receiver<Control> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let (tx, rx) = crossbeam_channel::unbounded();
    match signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                for sig in signals.forever() {
                    let control = if sig == SIGHUP {
                        Control::Reload
                    } else {
                        log::info!(target: "smppd", "signal {sig}: stopping");
                        Control::Stop
                    };
                    if tx.send(control).is_err() {
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

/// Runs the daemon until SIGTERM or SIGINT; returns the exit code.
fn run(
    config: Config,
    config_path: Option<&Path>,
    events: Option<crossbeam_channel::Sender<RelayEvent>>,
    control: &crossbeam_channel::Receiver<Control>,
) -> i32 {
    match smpp::daemon::relay::run(config, config_path, events, control) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("{PROG}: {e}");
            1
        }
    }
}

/// `--demo`: the relay against an in-process simulator.
fn demo(spool: &Path, control: &crossbeam_channel::Receiver<Control>) -> i32 {
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
    let code = run(config, None, Some(tx), control);
    let _ = printer.join();
    smsc.shutdown(Duration::from_secs(2));
    code
}
