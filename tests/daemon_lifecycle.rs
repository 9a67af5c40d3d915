//! `smppd` as a service through its binary: start with the SMSC down
//! (systemd notifications on a socket the test binds), bounded shutdown in
//! every phase, the operator's log lines and journald priorities, the
//! metrics, `--status`, and SIGHUP applying settings live.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod daemon_util;

use daemon_util::*;
use std::collections::BTreeSet;
use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A loopback address nobody listens on (bound and released).
fn dead_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
}

/// The notification socket a test hands to smppd as `NOTIFY_SOCKET`.
struct Notify {
    socket: UnixDatagram,
    path: String,
    seen: Vec<String>,
}

impl Notify {
    fn bind(dir: &TestDir) -> Notify {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the notify socket");
        Notify {
            socket,
            path: path.to_str().unwrap().to_owned(),
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) for a datagram line satisfying `want`; returns it.
    fn wait(&mut self, timeout: Duration, what: &str, want: impl Fn(&str) -> bool) -> String {
        if let Some(hit) = self.seen.iter().find(|l| want(l)) {
            return hit.clone();
        }
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {what} within {timeout:?}; seen: {:?}",
                self.seen
            );
            self.socket.set_read_timeout(Some(left)).unwrap();
            if let Ok(n) = self.socket.recv(&mut buf) {
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                for line in text.lines() {
                    self.seen.push(line.to_owned());
                    if want(line) {
                        return line.to_owned();
                    }
                }
            }
        }
    }
}

fn message(i: usize) -> Vec<u8> {
    format!("To: 4917{i:08}\n\nMessage {i}\n").into_bytes()
}

/// Lines of the log containing `text`.
fn lines_with(log: &Path, text: &str) -> Vec<String> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(text))
        .map(str::to_owned)
        .collect()
}

/// SIGTERM; the exit status and how long it took.
fn stop_timed(d: &mut Daemon, limit: Duration) -> (std::process::ExitStatus, Duration) {
    let t0 = Instant::now();
    d.proc.signal("TERM");
    match d.proc.wait_timeout(limit + secs(10)) {
        Some(s) => (s, t0.elapsed()),
        None => panic!(
            "smppd did not exit within {:?} of SIGTERM\n{}",
            limit + secs(10),
            d.log_tail(30)
        ),
    }
}

/// Booted while the SMSC is down: READY=1 at once, STATUS= says why it is
/// not bound, a file waits in outgoing/ and is sent once the SMSC is up;
/// SIGTERM then exits 0 within 5 s with STOPPING=1.
#[test]
fn boots_with_the_smsc_down_and_sends_once_it_is_up() {
    let dir = TestDir::new("boot-down");
    let addr = dead_addr();
    let mut notify = Notify::bind(&dir);
    let cfg = Conf::new(&dir.spool(), addr).write(&dir.join("smppd.toml"));
    let log = dir.join("smppd.log");
    let t0 = Instant::now();
    let mut d = Daemon::spawn(
        &["--config", cfg.to_str().unwrap()],
        &log,
        &[
            ("NOTIFY_SOCKET", notify.path.as_str()),
            ("WATCHDOG_USEC", "400000"),
        ],
    );
    notify.wait(secs(10), "READY=1", |l| l == "READY=1");
    println!("READY=1 {:?} after exec, the SMSC down", t0.elapsed());
    let refused = format!("STATUS=connecting to {addr}: connection refused");
    notify.wait(secs(10), "STATUS= naming the cause", |l| {
        l.starts_with(&refused)
    });
    notify.wait(secs(10), "WATCHDOG=1", |l| l == "WATCHDOG=1");
    drop_file(&dir.spool(), "waiting", &message(1));
    notify.wait(secs(10), "STATUS= counting the file", |l| {
        l.starts_with(&refused) && l.ends_with("backlog 1")
    });
    assert_eq!(list(&dir.spool(), "outgoing"), vec!["waiting".to_string()]);
    assert_eq!(count(&dir.spool(), "checked"), 0);

    let sim = Sim::start_on(addr, &[]);
    wait_until(secs(20), "the file in sent/", || {
        count(&dir.spool(), "sent") == 1
    });
    notify.wait(secs(10), "STATUS=bound", |l| {
        l == format!("STATUS=bound 1/1 to {addr}, backlog 0")
    });
    let (status, took) = stop_timed(&mut d, secs(5));
    assert!(status.success(), "exit {status}\n{}", d.log_tail(20));
    assert!(took < secs(5), "SIGTERM took {took:?}");
    notify.wait(secs(1), "STOPPING=1", |l| l == "STOPPING=1");
    // The default log level: the refused connect named once, the bind.
    let refused_lines: Vec<String> = lines_with(&log, "connection refused")
        .into_iter()
        .filter(|l| !l.contains("running: spool"))
        .collect();
    assert_eq!(refused_lines.len(), 1, "{refused_lines:?}");
    assert!(refused_lines[0].contains(&format!("cannot bind to {addr}")));
    assert_eq!(
        lines_with(&log, &format!("bound as transceiver to {addr}")).len(),
        1,
        "{}",
        d.log_tail(20)
    );
    assert!(lines_with(&log, "not bound in time").is_empty());
    assert_eq!(sim.stop().submit_sm, 1);
}

/// The metrics file's value of `name` (no labels).
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// At the default level: one bind line, one loss and one recovery line,
/// nothing per message; the metrics count each bind and reconnect once.
#[test]
fn link_loss_and_recovery_are_logged_once_and_counted_once() {
    let dir = TestDir::new("loss");
    let sim = Sim::start(&[]);
    let addr = sim.addr;
    let metrics = dir.join("smppd.prom");
    let mut conf = Conf::new(&dir.spool(), addr);
    conf.top = format!("metrics_file = \"{}\"\n", metrics.display());
    let cfg = conf.write(&dir.join("smppd.toml"));
    let log = dir.join("smppd.log");
    let mut d = Daemon::spawn(&["--config", cfg.to_str().unwrap()], &log, &[]);
    d.wait_log(&format!("bound as transceiver to {addr}"), secs(10));
    // Metrics from the start.
    wait_until(secs(10), "the metrics file", || metrics.exists());
    drop_many(&dir.spool(), "m", 3, message);
    wait_until(secs(10), "3 files sent", || {
        count(&dir.spool(), "sent") == 3
    });
    sim.kill9();
    d.wait_log("lost link 1/1", secs(10));
    let sim = Sim::start_on(addr, &[]);
    d.wait_log("recovered", secs(20));
    drop_many(&dir.spool(), "n", 2, message);
    wait_until(secs(10), "5 files sent", || {
        count(&dir.spool(), "sent") == 5
    });
    let (status, _) = stop_timed(&mut d, secs(2));
    assert!(status.success());
    let text = fs::read_to_string(&log).unwrap();
    println!("{text}");
    assert_eq!(lines_with(&log, "lost link").len(), 1, "{text}");
    assert_eq!(lines_with(&log, "recovered").len(), 1, "{text}");
    assert!(lines_with(&log, "lost link")[0].contains(&addr.to_string()));
    assert_eq!(
        lines_with(&log, &format!("bound as transceiver to {addr}")).len(),
        2
    );
    // Nothing per message at the default level.
    assert!(lines_with(&log, "m-0000").is_empty() && lines_with(&log, "n-0000").is_empty());
    assert!(lines_with(&log, ": sent (").is_empty(), "{text}");
    // Once each: two binds, one reconnect, down at the end.
    let m = fs::read_to_string(&metrics).unwrap();
    assert_eq!(metric(&m, "smppd_binds_total"), Some(2.0), "{m}");
    assert_eq!(metric(&m, "smppd_reconnects_total"), Some(1.0), "{m}");
    assert_eq!(metric(&m, "smppd_messages_sent_total"), Some(5.0), "{m}");
    assert_eq!(metric(&m, "smppd_up"), Some(0.0), "{m}");
    // The last line sums the run up.
    let stopped = lines_with(&log, "stopped: ");
    assert_eq!(stopped.len(), 1, "{text}");
    assert!(
        stopped[0].contains(&format!(
            "stopped: bound 1/1 to {addr}; sent 5, failed 0, received 0, receipts 0; backlog 0"
        )),
        "{text}"
    );
    assert_eq!(metric(&m, "smppd_links"), Some(1.0), "{m}");
    assert_eq!(
        metric(&m, "smppd_submit_latency_seconds_count"),
        Some(5.0),
        "{m}"
    );
    assert!(m.contains("# TYPE smppd_oldest_waiting_seconds gauge"));
    assert!(m.contains("smppd_submit_latency_seconds_bucket{le=\"+Inf\"} 5\n"));
    sim.stop();
}

/// Under journald (JOURNAL_STREAM names stderr): no timestamps, each line
/// starts with its syslog priority.
#[test]
fn journal_stream_lines_carry_priorities() {
    let dir = TestDir::new("journal");
    let addr = dead_addr();
    let cfg = Conf::new(&dir.spool(), addr).write(&dir.join("smppd.toml"));
    let log = dir.join("smppd.log");
    fs::write(&log, b"").unwrap();
    let meta = fs::metadata(&log).unwrap();
    let stream = format!("{}:{}", meta.dev(), meta.ino());
    let mut d = Daemon::spawn(
        &["--config", cfg.to_str().unwrap()],
        &log,
        &[("JOURNAL_STREAM", stream.as_str())],
    );
    d.wait_log("connection refused", secs(10));
    let (status, _) = stop_timed(&mut d, secs(2));
    assert!(status.success());
    let text = fs::read_to_string(&log).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("<6>running: spool ")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("<4>cannot bind to {addr}"))),
        "{text}"
    );
    for line in text.lines() {
        assert!(
            line.len() > 3 && line.starts_with('<') && line.as_bytes()[2] == b'>',
            "a line without a priority: {line:?}"
        );
        assert!(!line.contains("Z "), "a timestamp: {line:?}");
    }
}

fn status_cmd(cfg: &Path) -> (i32, String) {
    let (status, out, err) = run_bounded(
        Command::new(SMPPD).args(["--status", "--config", cfg.to_str().unwrap()]),
        secs(10),
    );
    (status.code().unwrap_or(-1), format!("{out}{err}"))
}

/// `--status` with and without a daemon; SIGHUP applies throughput, window,
/// retries and the log level live and names what needs a restart.
#[test]
fn status_and_sighup_reload() {
    const N: usize = 30;
    let dir = TestDir::new("status");
    let sim = Sim::start(&[]);
    let addr = sim.addr;
    let mut conf = Conf::new(&dir.spool(), addr);
    conf.smsc = "throughput = 2\nwindow = 1\nretries = 5\n".into();
    let cfg = conf.write(&dir.join("smppd.toml"));
    let (code, out) = status_cmd(&cfg);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("smppd not running: instance test1"), "{out}");

    let log = dir.join("smppd.log");
    let d = Daemon::spawn(&["--config", cfg.to_str().unwrap()], &log, &[]);
    d.wait_log(&format!("bound as transceiver to {addr}"), secs(10));
    drop_many(&dir.spool(), "s", N, message);
    wait_until(secs(20), "a file sent at 2 a second", || {
        count(&dir.spool(), "sent") >= 1
    });
    wait_until(secs(10), "--status showing the bind", || {
        let (code, out) = status_cmd(&cfg);
        code == 0 && out.contains(&format!("link 1/1: bound as transceiver to {addr}"))
    });
    let (_, out) = status_cmd(&cfg);
    println!("{out}");
    for want in [
        "backlog: ",
        "sent: ",
        "failed: 0",
        "last error: none",
        "retries: 5",
    ] {
        assert!(out.contains(want), "{want:?} missing:\n{out}");
    }
    // At 2 a second the rest would take 14 s; unlimited, well under 10.
    assert!(
        !fs::read_to_string(&log).unwrap().contains(" DEBUG "),
        "no debug lines at the default log level"
    );
    conf.smsc = "throughput = 0\nwindow = 8\nretries = 7\nsessions = 2\n".into();
    conf.top.push_str("log_level = \"debug\"\n");
    conf.write(&cfg);
    d.proc.signal("HUP");
    d.wait_log("SIGHUP: applied", secs(10));
    let applied = lines_with(&log, "SIGHUP: applied").join("\n");
    for want in [
        "smsc.retries: 5 -> 7",
        "smsc.window: 1 -> 8",
        "smsc.throughput: 2 -> 0",
        "log_level: \"warn,smppd=info\" -> \"debug\"",
    ] {
        assert!(applied.contains(want), "{want:?} missing: {applied}");
    }
    d.wait_log(" DEBUG ", secs(10));
    d.wait_log("only after a restart: smsc.sessions", secs(5));
    let t0 = Instant::now();
    wait_until(secs(10), "every file sent after the reload", || {
        count(&dir.spool(), "sent") == N
    });
    println!("the rest sent {:?} after the reload", t0.elapsed());
    wait_until(secs(10), "--status showing the new retries", || {
        status_cmd(&cfg).1.contains("retries: 7")
    });
    d.stop_clean();
    let (code, out) = status_cmd(&cfg);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("smppd not running"), "{out}");
    assert!(out.contains("smppd stopped"), "the last status: {out}");
    sim.stop();
}

/// Every name in `dir`, dot-files included.
fn all_entries(spool: &Path, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(spool.join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// What the SMSC end of a round is.
#[derive(Clone, Copy, Debug)]
enum Peer {
    /// smsc-sim: binding, sending, recovery of checked/.
    Sim,
    /// A port nobody listens on: connect backoff.
    Dead,
    /// A listener that accepts and never answers: a bind pending.
    Silent,
}

/// 20 rounds of kill -9 at a random instant, a restart, and SIGTERM at a
/// random instant, against an SMSC that is up, down, or never answers the
/// bind: every SIGTERM ends the process within the response timeout, and
/// every file ends in sent/.
#[test]
fn sigterm_at_random_instants_exits_within_the_response_timeout() {
    const N: usize = 400;
    const ROUNDS: u64 = 20;
    const RESPONSE_TIMEOUT_SECS: u64 = 2;
    // Only for the process to start and exit (exec, the loader).
    let margin = ms(500);
    let limit = secs(RESPONSE_TIMEOUT_SECS) + margin;
    let dir = TestDir::new("sigterm");
    let spool = dir.spool();
    let sim = Sim::start(&[]);
    let dead = dead_addr();
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_addr = silent.local_addr().unwrap();
    // Accept and hold every connection, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in silent.incoming().flatten() {
            held.push(c);
        }
    });
    let cfg = dir.join("smppd.toml");
    let log = dir.join("smppd.log");
    let names = drop_many(&spool, "r", N, message);
    let mut rng = Rng::new(0x51_6E_A1);
    let mut worst = Duration::ZERO;
    let t_all = Instant::now();
    for round in 0..ROUNDS {
        let peer = match round % 4 {
            1 => Peer::Dead,
            3 => Peer::Silent,
            _ => Peer::Sim,
        };
        let addr = match peer {
            Peer::Sim => sim.addr,
            Peer::Dead => dead,
            Peer::Silent => silent_addr,
        };
        let mut conf = Conf::new(&spool, addr);
        conf.smsc =
            format!("response_timeout_secs = {RESPONSE_TIMEOUT_SECS}\nwindow = 16\nsessions = 2\n");
        conf.write(&cfg);
        let d = Daemon::start(&cfg, &log);
        std::thread::sleep(ms(rng.range(0, 400)));
        d.kill9();
        let mut d = Daemon::start(&cfg, &log);
        // From the first milliseconds after exec to well into the run.
        let delay = if round % 5 == 0 {
            ms(rng.range(0, 5))
        } else {
            ms(rng.range(0, 500))
        };
        std::thread::sleep(delay);
        let (status, took) = stop_timed(&mut d, limit);
        worst = worst.max(took);
        // Exit 0, or (a SIGTERM before the handlers are in place) the
        // signal's default action.
        assert!(
            status.success() || status.signal() == Some(15),
            "round {round}: exit {status}\n{}",
            d.log_tail(30)
        );
        println!(
            "round {round}: {peer:?}, SIGTERM {delay:?} after exec, exit {status} after {took:?}"
        );
        assert!(
            took <= limit,
            "round {round} ({peer:?}): exit {took:?} after SIGTERM, more than the response timeout {limit:?}\n{}",
            d.log_tail(30)
        );
    }
    println!(
        "{ROUNDS} rounds in {:?}; slowest exit {worst:?}",
        t_all.elapsed()
    );
    // The rest goes through, and nothing is lost.
    let mut conf = Conf::new(&spool, sim.addr);
    conf.smsc = format!("response_timeout_secs = {RESPONSE_TIMEOUT_SECS}\n");
    conf.write(&cfg);
    let runs = lines_with(&log, "running: spool").len();
    let mut d = Daemon::start(&cfg, &log);
    // Up (handlers installed) before the SIGTERM that must exit 0.
    wait_until(secs(10), "the last start", || {
        lines_with(&log, "running: spool").len() > runs
    });
    wait_until(secs(60), "every file in sent/", || {
        count(&spool, "sent") + count(&spool, "failed") >= N
    });
    let (status, _) = stop_timed(&mut d, limit);
    assert!(status.success(), "exit {status}\n{}", d.log_tail(20));
    let sent: BTreeSet<String> = list(&spool, "sent").into_iter().collect();
    let expected: BTreeSet<String> = names.into_iter().collect();
    assert_eq!(sent, expected, "sent/ differs from what was dropped");
    assert_eq!(count(&spool, "failed"), 0);
    assert_eq!(all_entries(&spool, "outgoing"), Vec::<String>::new());
    assert_eq!(all_entries(&spool, "checked"), Vec::<String>::new());
    sim.stop();
}

/// A daemon stopped as soon as it handles SIGTERM, before it is running
/// (the restart of a daemon whose files were all done before it was
/// killed): exit 0, every time. So is smsc-sim as soon as it says where it
/// listens.
#[test]
fn sigterm_as_soon_as_it_is_handled_exits_0() {
    let dir = TestDir::new("term-at-once");
    let sim = Sim::start(&[]);
    assert_eq!(
        handles(sim.proc.pid(), "TERM"),
        Some(true),
        "smsc-sim said where it listens before it handled SIGTERM"
    );
    let cfg = Conf::new(&dir.spool(), sim.addr).write(&dir.join("smppd.toml"));
    for _ in 0..10 {
        Daemon::start(&cfg, &dir.join("smppd.log")).stop_clean();
    }
    sim.stop();
}

/// Bad credentials are not retried: the refusal is logged with the
/// address and the daemon exits 1.
#[test]
fn a_refused_bind_ends_the_daemon_with_exit_1() {
    let dir = TestDir::new("refused");
    let sim = Sim::start(&[]);
    let text = Conf::new(&dir.spool(), sim.addr)
        .text()
        .replace("password = \"password\"", "password = \"wrong\"");
    let cfg = dir.join("smppd.toml");
    fs::write(&cfg, text).unwrap();
    let log = dir.join("smppd.log");
    let mut d = Daemon::spawn(&["--config", cfg.to_str().unwrap()], &log, &[]);
    let status = d
        .proc
        .wait_timeout(secs(10))
        .unwrap_or_else(|| panic!("still running\n{}", d.log_tail(20)));
    assert_eq!(status.code(), Some(1), "{}", d.log_tail(20));
    let refused = lines_with(&log, &format!("{} refused the bind: ", sim.addr));
    assert_eq!(refused.len(), 1, "{}", d.log_tail(20));
    sim.stop();
}

/// An SMSC that throttles: `--status` and `STATUS=` say so, and the
/// throttling the links absorb is counted.
#[test]
fn throttling_shows_in_status_and_metrics() {
    const N: usize = 25;
    let dir = TestDir::new("throttled");
    let sim = Sim::start(&["--throttle-per-sec", "10"]);
    let metrics = dir.join("smppd.prom");
    let mut conf = Conf::new(&dir.spool(), sim.addr);
    conf.top = format!("metrics_file = \"{}\"\n", metrics.display());
    conf.smsc = "window = 32\n".into();
    let cfg = conf.write(&dir.join("smppd.toml"));
    let log = dir.join("smppd.log");
    let mut notify = Notify::bind(&dir);
    let mut d = Daemon::spawn(
        &["--config", cfg.to_str().unwrap()],
        &log,
        &[("NOTIFY_SOCKET", notify.path.as_str())],
    );
    d.wait_log("bound as transceiver", secs(10));
    drop_many(&dir.spool(), "t", N, message);
    wait_until(secs(20), "--status showing the throttling", || {
        status_cmd(&cfg).1.contains("throttled: yes")
    });
    notify.wait(secs(10), "STATUS= showing the throttling", |l| {
        l.starts_with("STATUS=bound 1/1") && l.contains(", throttled, backlog ")
    });
    wait_until(secs(60), "every file sent", || {
        count(&dir.spool(), "sent") == N
    });
    let (status, _) = stop_timed(&mut d, secs(2));
    assert!(status.success());
    let m = fs::read_to_string(&metrics).unwrap();
    let throttled = metric(&m, "smppd_throttled_total").unwrap_or(0.0);
    assert!(throttled > 0.0, "{m}");
    assert_eq!(count(&dir.spool(), "failed"), 0);
    sim.stop();
}
