//! `smsc-sim`: an SMSC simulator for testing ESMEs, built on the library's
//! SMSC side. See `smsc-sim --help`.

#[path = "common/args.rs"]
mod args;

use args::{usage_error, Args};
use smpp::pdu::{Address, COctet, DeliverSm, ShortMessage};
use smpp::receipt::MessageState;
use smpp::runtime::{Runtime, RuntimeConfig, Smsc, SmscConfig};
use smpp::session::{BindMode, Throughput};
use smpp::sim::{SimConfig, SimHandler};
use std::sync::Arc;
use std::time::Duration;

const PROG: &str = "smsc-sim";
const HELP: &str = "\
smsc-sim: an SMPP 3.4 SMSC simulator

Usage: smsc-sim [OPTIONS]

Options:
  --listen ADDR            address to listen on (default 127.0.0.1:2775)
  --account ID:PASSWORD    an account that may bind; repeatable
                           (default smppclient1:password)
  --dlr-delay-ms N         send a delivery receipt N ms after each submit_sm
                           that asks for one (default 0)
  --dlr-stat STAT          the receipts' stat: DELIVRD, UNDELIV, EXPIRED,
                           REJECTD, ... (default DELIVRD)
  --throttle-per-sec N     answer ESME_RTHROTTLED to submits above N per
                           second per session
  --reject-every N         answer every Nth submit_sm with ESME_RSUBMITFAIL
  --mo-every-ms N          send an MO deliver_sm to each receiver or
                           transceiver every N ms
  --outbind HOST:PORT      connect to an ESME, send outbind (system_id
                           smsc-sim, the first account's password), then
                           serve the bind_receiver it sends
  --enquire-link-secs N    send enquire_link after N idle seconds (default 30)
  --inactivity-secs N      close sessions silent for N seconds (default: never)
  --max-sessions N         most sessions at once (default 10000)
  --max-pdu-len N          largest PDU accepted (default 65536)
  --workers N              worker threads (default: the number of CPUs)
  -v, -vv, -vvv            log info, debug, trace (or set RUST_LOG)
  -h, --help               this text

On SIGTERM or SIGINT it unbinds every session, waits for the unbind_resp
(at most 5 s), prints one line of totals and exits 0:
  sessions=.. submit_sm=.. deliver_sm=.. receipts=.. errors=..
";

fn main() {
    let args = Args::parse(
        PROG,
        HELP,
        &[
            "--listen",
            "--account",
            "--dlr-delay-ms",
            "--dlr-stat",
            "--throttle-per-sec",
            "--reject-every",
            "--mo-every-ms",
            "--outbind",
            "--enquire-link-secs",
            "--inactivity-secs",
            "--max-sessions",
            "--max-pdu-len",
            "--workers",
        ],
        &[],
    );
    args.init_logging();

    let mut accounts = Vec::new();
    for a in args.all("--account") {
        match a.split_once(':') {
            Some((id, pw)) if !id.is_empty() && id.len() < 16 && pw.len() < 9 => {
                accounts.push((id.to_string(), pw.to_string()))
            }
            _ => usage_error(
                PROG,
                &format!(
                    "--account {a:?}: expected SYSTEM_ID:PASSWORD (at most 15 and 8 characters)"
                ),
            ),
        }
    }
    if accounts.is_empty() {
        accounts.push(("smppclient1".to_string(), "password".to_string()));
    }
    let stat = args.get("--dlr-stat").unwrap_or("DELIVRD");
    let Some(dlr_state) = MessageState::from_stat(stat) else {
        usage_error(PROG, &format!("--dlr-stat {stat:?}: not a receipt state"))
    };
    let sim = SimHandler::new(SimConfig {
        accounts,
        reject_every: args.parsed("--reject-every", 0),
        dlr_delay: Duration::from_millis(args.parsed("--dlr-delay-ms", 0)),
        dlr_state,
    });

    let mut config = SmscConfig::default();
    config.session.system_id = COctet::try_from("smsc-sim").unwrap_or_default();
    let enquire: u64 = args.parsed("--enquire-link-secs", 30);
    config.session.enquire_link_interval = (enquire > 0).then(|| Duration::from_secs(enquire));
    let inactivity: u64 = args.parsed("--inactivity-secs", 0);
    config.session.inactivity_timeout = (inactivity > 0).then(|| Duration::from_secs(inactivity));
    config.max_sessions = args.parsed("--max-sessions", 10_000);
    config.session.max_pdu_len = args.parsed("--max-pdu-len", smpp::pdu::DEFAULT_MAX_PDU_LEN);
    if config.session.max_pdu_len < 16 {
        usage_error(PROG, "--max-pdu-len must be at least 16");
    }
    let throttle: u32 = args.parsed("--throttle-per-sec", 0);
    if throttle > 0 {
        config.session.inbound_rate = Some(Throughput::per_second(throttle));
    }
    // Deliveries are answered by ESMEs at their pace: a deep window keeps
    // receipts flowing.
    config.session.window = 256;

    let mut rt_config = RuntimeConfig::default();
    rt_config.workers = args.parsed("--workers", rt_config.workers);
    let rt = match Runtime::start(rt_config) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{PROG}: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let listen = args.get("--listen").unwrap_or("127.0.0.1:2775");
    let smsc = match Smsc::listen(&rt, listen, config, sim) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            eprintln!("{PROG}: cannot listen on {listen}: {e}");
            std::process::exit(1);
        }
    };
    log::info!("listening on {}", smsc.local_addr());
    eprintln!("{PROG}: listening on {}", smsc.local_addr());

    if let Some(target) = args.get("--outbind") {
        // The outbind names this SMSC (SMPP 3.4 4.1.7) and carries the
        // first account's password, which the ESME checks.
        let accounts = args.all("--account");
        let password = accounts
            .first()
            .and_then(|a| a.split_once(':'))
            .map_or("password", |(_, pw)| pw);
        if let Err(e) = smsc.outbind(target, password) {
            eprintln!("{PROG}: --outbind {target}: {e}");
            std::process::exit(1);
        }
    }

    let mo_every: u64 = args.parsed("--mo-every-ms", 0);
    if mo_every > 0 {
        let smsc = smsc.clone();
        std::thread::spawn(move || mo_loop(&smsc, Duration::from_millis(mo_every)));
    }

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
