//! Shared helpers for the tests that drive the real `smppd` and `smsc-sim`
//! binaries: temporary spools, child processes killed on drop, a config
//! writer, spool inspection, and bounded waits.
//!
//! Every wait here has a deadline; a test that times out panics with what
//! it was waiting for and the tail of the daemon's log.
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const SMPPD: &str = env!("CARGO_BIN_EXE_smppd");
pub const SMSC_SIM: &str = env!("CARGO_BIN_EXE_smsc-sim");

/// Milliseconds.
pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Seconds.
pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

// ----- temporary directories -----

/// A fresh directory under the system temp dir, removed on drop unless the
/// test failed (then its path is printed, to look at the spool and logs).
pub struct TestDir {
    pub path: PathBuf,
}

impl TestDir {
    pub fn new(tag: &str) -> TestDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "smppd-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TestDir { path }
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.path.join(p)
    }

    /// The spool root used by [`write_config`].
    pub fn spool(&self) -> PathBuf {
        self.path.join("spool")
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test files kept in {}", self.path.display());
        } else {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

// ----- child processes -----

/// A child process, killed (SIGKILL) and reaped on drop.
pub struct Proc {
    pub name: String,
    child: Option<Child>,
    status: Option<ExitStatus>,
}

impl Proc {
    pub fn new(name: &str, child: Child) -> Proc {
        Proc {
            name: name.to_owned(),
            child: Some(child),
            status: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Waits (at most 10 s) until the process has its handler for `sig`
    /// (`TERM`, `INT`, `HUP`) in place, or is gone. A signal sent before
    /// that ends it by the default action, which tests nothing of how the
    /// program handles the signal: see [`Daemon::stop`].
    pub fn wait_handler(&self, sig: &str) {
        let pid = self.pid();
        wait_for(secs(10), || handles(pid, sig) != Some(false));
    }

    /// Sends a signal by name (`TERM`, `INT`, `HUP`) with kill(1), at once
    /// (a handler not yet in place is not waited for).
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args(["-s", sig, &self.pid().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill -s {sig} {} ({}) failed", self.pid(), self.name);
    }

    /// Waits at most `timeout` for the process to exit.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        if let Some(s) = self.status {
            return Some(s);
        }
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Ok(Some(s)) = child.try_wait() {
                self.status = Some(s);
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(ms(5));
        }
    }

    /// SIGKILL now, and reap.
    pub fn kill9(&mut self) {
        if let Some(child) = self.child.as_mut() {
            if self.status.is_none() {
                let _ = child.kill();
                self.status = child.wait().ok();
            }
        }
    }

    pub fn take_stdout(&mut self) -> Option<std::process::ChildStdout> {
        self.child.as_mut().and_then(|c| c.stdout.take())
    }

    pub fn take_stderr(&mut self) -> Option<std::process::ChildStderr> {
        self.child.as_mut().and_then(|c| c.stderr.take())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Whether process `pid` has a handler for signal `sig` (`TERM`, `INT`,
/// `HUP`): its bit in the `SigCgt` mask of /proc/PID/status. `None` when
/// that cannot be told (the process is gone or a zombie, no /proc).
pub fn handles(pid: u32, sig: &str) -> Option<bool> {
    let num = match sig {
        "HUP" => 1,
        "INT" => 2,
        "TERM" => 15,
        _ => return None,
    };
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    if field("State:")?.starts_with('Z') {
        return None;
    }
    let mask = u64::from_str_radix(field("SigCgt:")?, 16).ok()?;
    Some(mask & (1 << (num - 1)) != 0)
}

/// Reads lines from a pipe on a thread; they arrive on the channel.
fn line_reader(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

// ----- smsc-sim -----

/// The totals line smsc-sim prints when it stops.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub sessions: u64,
    pub submit_sm: u64,
    pub deliver_sm: u64,
    pub receipts: u64,
    pub errors: u64,
}

impl Totals {
    pub fn parse(line: &str) -> Option<Totals> {
        let mut t = Totals::default();
        let mut seen = 0;
        for field in line.split_whitespace() {
            let (k, v) = field.split_once('=')?;
            let v: u64 = v.parse().ok()?;
            match k {
                "sessions" => t.sessions = v,
                "submit_sm" => t.submit_sm = v,
                "deliver_sm" => t.deliver_sm = v,
                "receipts" => t.receipts = v,
                "errors" => t.errors = v,
                _ => continue,
            }
            seen += 1;
        }
        (seen == 5).then_some(t)
    }
}

/// A running smsc-sim.
pub struct Sim {
    pub proc: Proc,
    pub addr: SocketAddr,
    stdout: mpsc::Receiver<String>,
}

impl Sim {
    /// Starts smsc-sim with `args`; listens on a free loopback port unless
    /// `args` has `--listen`. Waits (bounded) for its "listening on" line.
    pub fn start(args: &[&str]) -> Sim {
        let mut cmd = Command::new(SMSC_SIM);
        if !args.contains(&"--listen") {
            cmd.args(["--listen", "127.0.0.1:0"]);
        }
        cmd.args(["--workers", "1"]);
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut proc = Proc::new("smsc-sim", cmd.spawn().expect("spawn smsc-sim"));
        let stderr = line_reader(proc.take_stderr().unwrap());
        let stdout = line_reader(proc.take_stdout().unwrap());
        let deadline = Instant::now() + secs(10);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match stderr.recv_timeout(left) {
                Ok(line) => {
                    if let Some(a) = line.strip_prefix("smsc-sim: listening on ") {
                        break a.trim().parse::<SocketAddr>().expect("listen address");
                    }
                }
                Err(_) => panic!(
                    "smsc-sim {args:?} did not report its address (exit: {:?})",
                    proc.wait_timeout(ms(0))
                ),
            }
        };
        // Keep draining stderr so the simulator never blocks on it.
        std::thread::spawn(move || for _ in stderr {});
        Sim { proc, addr, stdout }
    }

    /// Starts smsc-sim on a given address, retrying while the port is still
    /// taken (bounded).
    pub fn start_on(addr: SocketAddr, args: &[&str]) -> Sim {
        let a = addr.to_string();
        let mut full = vec!["--listen", a.as_str()];
        full.extend_from_slice(args);
        let deadline = Instant::now() + secs(10);
        loop {
            let r = std::panic::catch_unwind(|| Sim::start(&full));
            match r {
                Ok(sim) => return sim,
                Err(e) if Instant::now() >= deadline => std::panic::resume_unwind(e),
                Err(_) => std::thread::sleep(ms(100)),
            }
        }
    }

    /// SIGTERM (once it is handled), wait (bounded) for exit 0 and the
    /// totals line.
    pub fn stop(mut self) -> Totals {
        self.proc.wait_handler("TERM");
        self.proc.signal("TERM");
        let status = self
            .proc
            .wait_timeout(secs(15))
            .expect("smsc-sim did not exit within 15 s of SIGTERM");
        assert!(status.success(), "smsc-sim exited with {status}");
        let deadline = Instant::now() + secs(2);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    if let Some(t) = Totals::parse(&line) {
                        return t;
                    }
                }
                Err(_) => panic!("smsc-sim printed no totals line"),
            }
        }
    }

    /// SIGKILL: no totals.
    pub fn kill9(mut self) {
        self.proc.kill9();
    }
}

// ----- smppd -----

/// Settings written into a test config.
#[derive(Clone, Debug)]
pub struct Conf {
    pub spool: PathBuf,
    pub instance: String,
    pub addr: SocketAddr,
    /// Extra top-level lines.
    pub top: String,
    /// Extra `[smsc]` lines (override the defaults below by not repeating
    /// a key: the defaults are left out when the key appears here).
    pub smsc: String,
}

impl Conf {
    pub fn new(spool: &Path, addr: SocketAddr) -> Conf {
        Conf {
            spool: spool.to_owned(),
            instance: "test1".into(),
            addr,
            top: String::new(),
            smsc: String::new(),
        }
    }

    pub fn text(&self) -> String {
        let mut s = format!(
            "# written by a test\nspool = \"{}\"\ninstance = \"{}\"\n",
            self.spool.display(),
            self.instance
        );
        if !self.top.contains("scan_interval_ms") {
            s.push_str("scan_interval_ms = 50\n");
        }
        s.push_str(&self.top);
        s.push_str(&format!(
            "\n[smsc]\nhost = \"{}\"\nport = {}\nsystem_id = \"smppclient1\"\npassword = \"password\"\n",
            self.addr.ip(),
            self.addr.port()
        ));
        let defaults = [
            ("response_timeout_secs", "2"),
            ("reconnect_min_ms", "50"),
            ("reconnect_max_ms", "300"),
            ("enquire_link_secs", "5"),
        ];
        for (k, v) in defaults {
            if !self.smsc.contains(k) {
                s.push_str(&format!("{k} = {v}\n"));
            }
        }
        s.push_str(&self.smsc);
        s
    }

    /// Writes the config to `path`.
    pub fn write(&self, path: &Path) -> PathBuf {
        fs::write(path, self.text()).unwrap();
        path.to_owned()
    }
}

/// A running smppd; its stderr goes to a log file (appended).
pub struct Daemon {
    pub proc: Proc,
    pub log: PathBuf,
}

impl Daemon {
    pub fn start(config: &Path, log: &Path) -> Daemon {
        Self::start_args(&["--config", config.to_str().unwrap()], log)
    }

    pub fn start_args(args: &[&str], log: &Path) -> Daemon {
        let mut full = args.to_vec();
        full.push("-v");
        Self::spawn(&full, log, &[])
    }

    /// Starts smppd with exactly `args` (no `-v` added) and these
    /// environment variables; stderr appended to `log`.
    pub fn spawn(args: &[&str], log: &Path, env: &[(&str, &str)]) -> Daemon {
        let file = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(SMPPD)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(file))
            .env_remove("NOTIFY_SOCKET")
            .env_remove("JOURNAL_STREAM")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .spawn()
            .expect("spawn smppd");
        Daemon {
            proc: Proc::new("smppd", child),
            log: log.to_owned(),
        }
    }

    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        log_tail(&self.log, n)
    }

    /// SIGTERM and wait (bounded) for the exit. The SIGTERM waits until
    /// smppd handles it: a test may stop a daemon it has only just started
    /// (everything was done before), and one killed by the default action
    /// would say nothing about smppd's stop.
    pub fn stop(mut self) -> ExitStatus {
        self.proc.wait_handler("TERM");
        self.proc.signal("TERM");
        match self.proc.wait_timeout(secs(20)) {
            Some(s) => s,
            None => panic!(
                "smppd did not exit within 20 s of SIGTERM\n{}",
                self.log_tail(30)
            ),
        }
    }

    /// SIGTERM, wait (bounded) for the exit, and panic unless it is exit 0,
    /// saying what it was instead (the code, or the signal) with the log's
    /// tail.
    pub fn stop_clean(self) {
        let log = self.log.clone();
        let status = self.stop();
        assert!(
            status.success(),
            "smppd stopped with {} after SIGTERM\n{}",
            describe(status),
            log_tail(&log, 30)
        );
    }

    /// Waits (bounded) until the log has a line containing `text`.
    pub fn wait_log(&self, text: &str, timeout: Duration) {
        let log = self.log.clone();
        wait_until(timeout, &format!("{text:?} in the smppd log"), || {
            fs::read_to_string(&log).is_ok_and(|l| l.contains(text))
        });
    }

    pub fn kill9(mut self) {
        self.proc.kill9();
    }
}

/// An exit status in words: `exit code 1`, `signal 15 (core dumped)`.
pub fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) if status.core_dumped() => format!("signal {sig} (core dumped)"),
        (None, Some(sig)) => format!("signal {sig}"),
        (None, None) => format!("{status}"),
    }
}

pub fn log_tail(path: &Path, n: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// ----- the spool -----

/// Drops a file the way writers should: written as a dot-file in
/// `outgoing/`, then renamed to its name.
pub fn drop_file(spool: &Path, name: &str, data: &[u8]) {
    let out = spool.join("outgoing");
    fs::create_dir_all(&out).unwrap();
    let tmp = out.join(format!(".{name}.tmp"));
    fs::write(&tmp, data).unwrap();
    fs::rename(&tmp, out.join(name)).unwrap();
}

/// Writes `n` files `PREFIX-00000` ... into a staging directory beside the
/// spool, then renames them all into `outgoing/` (as fast as rename goes).
/// Returns the names.
pub fn drop_many(
    spool: &Path,
    prefix: &str,
    n: usize,
    data: impl Fn(usize) -> Vec<u8>,
) -> Vec<String> {
    let stage = spool.with_file_name(format!("stage-{prefix}"));
    fs::create_dir_all(&stage).unwrap();
    fs::create_dir_all(spool.join("outgoing")).unwrap();
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}-{i:05}")).collect();
    for (i, name) in names.iter().enumerate() {
        fs::write(stage.join(name), data(i)).unwrap();
    }
    for name in &names {
        fs::rename(stage.join(name), spool.join("outgoing").join(name)).unwrap();
    }
    names
}

/// The names in `SPOOL/dir`, dot-files left out, sorted.
pub fn list(spool: &Path, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = match fs::read_dir(spool.join(dir)) {
        Ok(rd) => rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.'))
            .collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

pub fn count(spool: &Path, dir: &str) -> usize {
    list(spool, dir).len()
}

pub fn read(spool: &Path, dir: &str, name: &str) -> Vec<u8> {
    fs::read(spool.join(dir).join(name)).unwrap_or_else(|e| panic!("{dir}/{name}: {e}"))
}

/// A spool file split into its header lines and its body.
#[derive(Debug, Clone)]
pub struct SpoolFile {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl SpoolFile {
    pub fn parse(data: &[u8]) -> SpoolFile {
        let (head, body) = match find(data, b"\n\n") {
            Some(i) => (&data[..i + 1], data[i + 2..].to_vec()),
            None => (data, Vec::new()),
        };
        let headers = String::from_utf8_lossy(head)
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap_or((l, ""));
                (k.to_owned(), v.trim().to_owned())
            })
            .collect();
        SpoolFile { headers, body }
    }

    pub fn load(spool: &Path, dir: &str, name: &str) -> SpoolFile {
        Self::parse(&read(spool, dir, name))
    }

    /// The value of the only header `name`; panics if absent or repeated.
    pub fn get(&self, name: &str) -> &str {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "header {name} in {:?}", self.headers);
        all[0]
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Every header file in `SPOOL/dir`, by name.
pub fn load_all(spool: &Path, dir: &str) -> BTreeMap<String, SpoolFile> {
    list(spool, dir)
        .into_iter()
        .map(|n| {
            let f = SpoolFile::load(spool, dir, &n);
            (n, f)
        })
        .collect()
}

// ----- waiting -----

/// Polls `cond` until it holds; panics after `timeout` naming `what`.
pub fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return;
        }
        if Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(ms(10));
    }
}

/// Like [`wait_until`] but returns whether it held instead of panicking.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(ms(10));
    }
}

/// A small deterministic RNG (xorshift64*), for seeded fault injection.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo).max(1)
    }
}

// ----- an SMSC in the test process, from the library -----

use smpp::pdu::{Bind, COctet, CommandStatus, DeliverSm, SubmitSm};
use smpp::runtime::{Runtime, RuntimeConfig, Smsc, SmscConfig, SmscContext, SmscHandler};
use smpp::session::BindMode;
use std::sync::{Arc, Mutex};

/// What the in-test SMSC saw and holds.
#[derive(Default)]
pub struct Recorder {
    /// Every submit_sm, with the message id it was given.
    pub submits: Mutex<Vec<(String, SubmitSm)>>,
    /// Receipts built at submit time, held until the test sends them.
    pub receipts: Mutex<Vec<DeliverSm>>,
    next: std::sync::atomic::AtomicU64,
}

struct Handler(Arc<Recorder>);

impl SmscHandler for Handler {
    fn authenticate(&self, _bind: &Bind, _mode: BindMode) -> Result<(), CommandStatus> {
        Ok(())
    }

    fn submit_sm(
        &self,
        _ctx: &mut SmscContext<'_>,
        sm: &SubmitSm,
    ) -> Result<COctet<65>, CommandStatus> {
        let n = self.0.next.fetch_add(1, Ordering::Relaxed) + 1;
        let id = format!("lib{n:06}");
        if sm.registered_delivery & 0x03 != 0 {
            let now = smpp::datetime::DateTime::from_system_time(std::time::SystemTime::now());
            let r = smpp::receipt::receipt_deliver_sm(
                sm,
                &id,
                smpp::receipt::MessageState::Delivered,
                now,
                now,
            );
            self.0.receipts.lock().unwrap().push(r);
        }
        self.0
            .submits
            .lock()
            .unwrap()
            .push((id.clone(), sm.clone()));
        Ok(COctet::try_from(id.as_str()).unwrap())
    }
}

/// An SMSC run by the library inside the test: records submits, holds
/// receipts, and sends deliveries when told.
pub struct LibSmsc {
    pub smsc: Smsc,
    pub rec: Arc<Recorder>,
    _rt: Runtime,
}

impl LibSmsc {
    pub fn start() -> LibSmsc {
        let rt = Runtime::start(RuntimeConfig {
            workers: 1,
            ..RuntimeConfig::default()
        })
        .unwrap();
        let rec = Arc::new(Recorder::default());
        let smsc = Smsc::listen(
            &rt,
            "127.0.0.1:0",
            SmscConfig::default(),
            Handler(rec.clone()),
        )
        .unwrap();
        LibSmsc { smsc, rec, _rt: rt }
    }

    pub fn addr(&self) -> SocketAddr {
        self.smsc.local_addr()
    }

    /// The id of a session that can take deliveries, waiting (bounded) for
    /// one to bind.
    pub fn receiver_session(&self) -> u64 {
        let mut id = None;
        wait_until(secs(10), "a receiving bind at the in-test SMSC", || {
            id = self
                .smsc
                .sessions()
                .into_iter()
                .find(|s| s.mode.is_some_and(BindMode::can_receive))
                .map(|s| s.id);
            id.is_some()
        });
        id.unwrap()
    }

    pub fn submits(&self) -> Vec<(String, SubmitSm)> {
        self.rec.submits.lock().unwrap().clone()
    }
}

/// Runs a command to its end, at most `timeout`, and returns its exit
/// status and output (through files, so a large output cannot block it).
pub fn run_bounded(cmd: &mut Command, timeout: Duration) -> (ExitStatus, String, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let base = std::env::temp_dir().join(format!(
        "smppd-test-cmd-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let (out_path, err_path) = (base.with_extension("out"), base.with_extension("err"));
    let child = cmd
        .stdin(Stdio::null())
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut proc = Proc::new("command", child);
    let status = proc
        .wait_timeout(timeout)
        .unwrap_or_else(|| panic!("{cmd:?} did not finish within {timeout:?}"));
    let read = |p: &Path| {
        let s = fs::read_to_string(p).unwrap_or_default();
        let _ = fs::remove_file(p);
        s
    };
    (status, read(&out_path), read(&err_path))
}
