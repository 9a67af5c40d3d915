//! `smsc-sim`: an SMSC simulator for testing ESMEs, built on the library's
//! SMSC side. See `smsc-sim --help`.

#[path = "common/args.rs"]
mod args;
#[path = "cli/smsc_sim.rs"]
mod cli;
#[path = "cli/values.rs"]
mod values;

use clap::Parser;
use smpp::pdu::{Address, COctet, DeliverSm, ShortMessage};
use smpp::runtime::{Runtime, RuntimeConfig, Smsc, SmscConfig};
use smpp::session::{BindMode, Throughput};
use smpp::smsc_sim::{SimConfig, SimHandler};
use std::sync::Arc;
use std::time::Duration;

const PROG: &str = "smsc-sim";

fn main() {
    let cli = cli::Cli::parse();
    args::init_logging(cli.verbose);

    let mut accounts = cli.accounts.clone();
    if accounts.is_empty() {
        accounts.push(("smppclient1".to_string(), "password".to_string()));
    }
    // The outbind names this SMSC (SMPP 3.4 4.1.7) and carries the first
    // account's password, which the ESME checks.
    let outbind_password = accounts[0].1.clone();
    let sim = SimHandler::new(SimConfig {
        accounts,
        reject_every: cli.reject_every,
        dlr_delay: Duration::from_millis(cli.dlr_delay_ms),
        dlr_mix: cli.dlr_stat.0.clone(),
        store_max: cli.store_max,
        response_delay: Duration::from_millis(cli.response_delay_ms),
        no_response_every: cli.no_response_every,
        close_every: cli.close_every,
        reject_dest: cli.reject_dest.clone(),
        dlr_route: cli.dlr_route,
        loopback: cli.loopback,
    });

    let mut config = SmscConfig::default();
    config.session.system_id = COctet::try_from("smsc-sim").unwrap_or_default();
    let enquire = cli.enquire_link_secs;
    config.session.enquire_link_interval = (enquire > 0).then(|| Duration::from_secs(enquire));
    let inactivity = cli.inactivity_secs;
    config.session.inactivity_timeout = (inactivity > 0).then(|| Duration::from_secs(inactivity));
    config.max_sessions = cli.max_sessions;
    config.session.max_pdu_len = cli.max_pdu_len;
    if cli.throttle_per_sec > 0 {
        config.session.inbound_rate = Some(Throughput::per_second(cli.throttle_per_sec));
    }
    // Deliveries are answered by ESMEs at their pace: a deep window keeps
    // receipts flowing.
    config.session.window = 256;
    if let (Some(cert), Some(key)) = (&cli.tls_cert, &cli.tls_key) {
        #[cfg(feature = "tls")]
        match smpp::tls::TlsServerOptions::new(cert, key).acceptor() {
            Ok(acceptor) => config.tls = Some(acceptor),
            Err(e) => {
                eprintln!("{PROG}: --tls-cert/--tls-key: {e}");
                std::process::exit(2);
            }
        }
        #[cfg(not(feature = "tls"))]
        {
            let _ = (cert, key);
            eprintln!("{PROG}: this build has no TLS (cargo feature `tls`)");
            std::process::exit(2);
        }
    }

    let mut rt_config = RuntimeConfig::default();
    rt_config.workers = cli.workers.unwrap_or(rt_config.workers);
    let rt = match Runtime::start(rt_config) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{PROG}: cannot start: {e}");
            std::process::exit(1);
        }
    };
    // The handlers before "listening on": whoever waited for that line may
    // stop the simulator at once and get its clean stop (a SIGTERM before
    // them would end it by the default action, without the totals line).
    let mut signals = match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ]) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{PROG}: cannot install signal handlers: {e}");
            std::process::exit(1);
        }
    };
    let listen = cli.listen.as_str();
    let smsc = match Smsc::listen(&rt, listen, config, sim) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("{PROG}: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    log::info!("listening on {}", smsc.local_addr());
    eprintln!("{PROG}: listening on {}", smsc.local_addr());

    if let Some(target) = &cli.outbind {
        if let Err(e) = smsc.outbind(target, &outbind_password) {
            eprintln!("{PROG}: --outbind {target}: {e}");
            std::process::exit(1);
        }
    }

    let mo_every = cli.mo_every_ms;
    if mo_every > 0 {
        let smsc = smsc.clone();
        std::thread::spawn(move || mo_loop(&smsc, Duration::from_millis(mo_every)));
    }

    if let Some(sig) = signals.forever().next() {
        log::info!("signal {sig}: unbinding every session");
    }
    smsc.shutdown(Duration::from_secs(5));
    println!("{}", smsc.stats());
}

/// Sends an MO message to every receiver and transceiver every `every`.
fn mo_loop(smsc: &Smsc, every: Duration) {
    let mut n: u64 = 0;
    loop {
        std::thread::sleep(every);
        for session in smsc.sessions() {
            if !session.mode.is_some_and(BindMode::can_receive) {
                continue;
            }
            n += 1;
            let text = format!("MO message {n} from smsc-sim");
            let mo = DeliverSm {
                source: Address::new(1, 1, "447700900999").unwrap_or_default(),
                dest: Address::new(1, 1, "12345").unwrap_or_default(),
                short_message: ShortMessage::new(text.as_bytes()).unwrap_or_default(),
                ..DeliverSm::default()
            };
            if let Err(status) = smsc.deliver(session.id, mo) {
                log::debug!("MO to session {} not sent: {status}", session.id);
            }
        }
    }
}
