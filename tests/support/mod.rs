//! Shared helpers for the interop tests: child processes that are killed
//! when dropped, smsc-sim on a free port, the outside peers' scripts, and
//! reading the JSON those scripts print.
//!
//! The peers are installed by `scripts/install-peers` (node-smpp and smpplib
//! under `.peers/`, Net::SMPP from the Debian package). A test whose peer is
//! missing fails and says so: it never passes without having talked to it.

#![allow(dead_code)]

pub(crate) mod json;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) use json::Json;
#[allow(unused_imports)] // not every test file reads members
pub(crate) use json::Member;

/// How long a peer script may run before the test gives up on it.
pub(crate) const PEER_TIMEOUT: Duration = Duration::from_secs(20);

const INSTALL_HINT: &str = "run scripts/install-peers (from the repository root) first";

/// The repository root.
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A peer script under `tests/peers/`.
pub(crate) fn peer_script(name: &str) -> PathBuf {
    repo().join("tests").join("peers").join(name)
}

/// A running child process with its output collected line by line. Dropping
/// it kills the process (if it still runs) and reaps it.
pub(crate) struct Proc {
    name: String,
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every line seen so far, both streams, for failure messages.
    log: Arc<Mutex<Vec<String>>>,
}

fn pump<R: Read + Send + 'static>(
    stream: R,
    tag: &'static str,
    tx: mpsc::Sender<String>,
    log: Arc<Mutex<Vec<String>>>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Ok(mut log) = log.lock() {
                log.push(format!("[{tag}] {line}"));
            }
            let _ = tx.send(line);
        }
    });
}

impl Proc {
    /// Starts `cmd` with piped output.
    pub(crate) fn spawn(name: &str, mut cmd: Command) -> Proc {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("{name}: cannot start {cmd:?}: {e} ({INSTALL_HINT})"));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (out_tx, stdout) = mpsc::channel();
        let (err_tx, stderr) = mpsc::channel();
        pump(
            child.stdout.take().expect("piped stdout"),
            "stdout",
            out_tx,
            log.clone(),
        );
        pump(
            child.stderr.take().expect("piped stderr"),
            "stderr",
            err_tx,
            log.clone(),
        );
        Proc {
            name: name.to_string(),
            child,
            stdout,
            stderr,
            log,
        }
    }

    /// The process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.id()
    }

    /// Everything printed so far, for a failure message.
    pub(crate) fn output(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    fn next_line(rx: &Receiver<String>, deadline: Instant) -> Option<String> {
        let left = deadline.saturating_duration_since(Instant::now());
        rx.recv_timeout(left).ok()
    }

    /// The next stdout line, waiting at most `timeout`; panics (with what
    /// the process printed) if none comes.
    pub(crate) fn stdout_line(&mut self, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        Self::next_line(&self.stdout, deadline).unwrap_or_else(|| {
            panic!(
                "{}: no line on stdout within {timeout:?}\n{}",
                self.name,
                self.output()
            )
        })
    }

    /// Waits for a stderr line starting with `prefix` and returns the rest.
    pub(crate) fn stderr_after(&mut self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        while let Some(line) = Self::next_line(&self.stderr, deadline) {
            if let Some(rest) = line.strip_prefix(prefix) {
                return rest.trim().to_string();
            }
        }
        panic!(
            "{}: no stderr line starting {prefix:?} within {timeout:?}\n{}",
            self.name,
            self.output()
        )
    }

    /// Waits for the process to exit (killing it after `timeout`) and
    /// returns its status and the stdout lines not yet read.
    pub(crate) fn wait(&mut self, timeout: Duration) -> (ExitStatus, Vec<String>) {
        let deadline = Instant::now() + timeout;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    panic!(
                        "{}: still running after {timeout:?}; killed\n{}",
                        self.name,
                        self.output()
                    );
                }
                Err(e) => panic!("{}: wait: {e}", self.name),
            }
        };
        // The pipes close when the process is gone: take what is left.
        let mut lines = Vec::new();
        let drain_deadline = Instant::now() + Duration::from_secs(2);
        while let Some(line) = Self::next_line(&self.stdout, drain_deadline) {
            lines.push(line);
        }
        (status, lines)
    }

    /// Sends SIGTERM.
    pub(crate) fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "{}: kill -TERM failed", self.name);
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// smsc-sim, started on a free loopback port.
pub(crate) struct SmscSim {
    pub(crate) proc: Proc,
    /// `127.0.0.1:PORT`, as smsc-sim reported it.
    pub(crate) addr: String,
}

impl SmscSim {
    /// Starts smsc-sim with `--listen 127.0.0.1:0` and `args`, and waits for
    /// its `smsc-sim: listening on ADDR` line.
    pub(crate) fn start(args: &[&str]) -> SmscSim {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_smsc-sim"));
        cmd.args(["--listen", "127.0.0.1:0"]).args(args);
        let mut proc = Proc::spawn("smsc-sim", cmd);
        let addr = proc.stderr_after("smsc-sim: listening on ", Duration::from_secs(10));
        SmscSim { proc, addr }
    }

    /// SIGTERM, then the totals line it prints on the way out (it must exit
    /// 0), as a map.
    pub(crate) fn stop(mut self) -> HashMap<String, u64> {
        self.proc.terminate();
        let (status, lines) = self.proc.wait(Duration::from_secs(10));
        assert!(
            status.success(),
            "smsc-sim exited {status} on SIGTERM\n{}",
            self.proc.output()
        );
        let totals = lines
            .iter()
            .rev()
            .find(|l| l.starts_with("sessions="))
            .unwrap_or_else(|| panic!("smsc-sim printed no totals line\n{}", self.proc.output()));
        parse_totals(totals)
    }
}

/// `a=1 b=2` into a map (values that are not integers are left out).
pub(crate) fn parse_totals(line: &str) -> HashMap<String, u64> {
    line.split_whitespace()
        .filter_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            Some((k.to_string(), v.parse().ok()?))
        })
        .collect()
}

/// Checks `totals` has each `key=value` in `want`.
pub(crate) fn assert_totals(totals: &HashMap<String, u64>, want: &[(&str, u64)]) {
    for (k, v) in want {
        assert_eq!(
            totals.get(*k),
            Some(v),
            "smsc-sim totals: {k} (all: {totals:?})"
        );
    }
}

/// `node` with node-smpp on its module path, or a failure that says how to
/// install it.
pub(crate) fn node(script: &str) -> Command {
    let modules = repo().join(".peers").join("node").join("node_modules");
    assert!(
        modules.join("smpp").join("package.json").is_file(),
        "node-smpp is not installed in .peers/node: {INSTALL_HINT}"
    );
    let mut cmd = Command::new("node");
    cmd.env("NODE_PATH", modules).arg(peer_script(script));
    cmd
}

/// `python3` with smpplib on its path, or a failure that says how to install
/// it.
pub(crate) fn python(script: &str) -> Command {
    let path = repo().join(".peers").join("python");
    assert!(
        path.join("smpplib").join("client.py").is_file(),
        "smpplib is not installed in .peers/python: {INSTALL_HINT}"
    );
    let mut cmd = Command::new("python3");
    cmd.env("PYTHONPATH", path)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(peer_script(script));
    cmd
}

/// `perl` with Net::SMPP available, or a failure that says how to install
/// it.
pub(crate) fn perl(script: &str) -> Command {
    let ok = Command::new("perl")
        .args(["-MNet::SMPP", "-e1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "perl's Net::SMPP (Debian libnet-smpp-perl) is not installed: {INSTALL_HINT}"
    );
    let mut cmd = Command::new("perl");
    cmd.arg(peer_script(script));
    cmd
}

/// Runs a client script to the end; returns the JSON object on its last
/// stdout line. Panics (with its output) if it fails or prints no JSON.
pub(crate) fn run_client(name: &str, cmd: Command) -> Json {
    let mut proc = Proc::spawn(name, cmd);
    let (status, lines) = proc.wait(PEER_TIMEOUT);
    let last = lines.last().cloned().unwrap_or_default();
    let json = serde_json::from_str::<Json>(&last)
        .unwrap_or_else(|e| panic!("{name}: last line is not JSON ({e})\n{}", proc.output()));
    assert!(
        status.success(),
        "{name} exited {status}: {}\n{}",
        json["error"].as_str().unwrap_or("?"),
        proc.output()
    );
    json
}

/// Starts a server script that prints `{"listening":PORT}` first; returns
/// it and its address.
pub(crate) fn start_server(name: &str, cmd: Command) -> (Proc, String) {
    let mut proc = Proc::spawn(name, cmd);
    let first = proc.stdout_line(Duration::from_secs(10));
    let port = serde_json::from_str::<Json>(&first)
        .ok()
        .and_then(|j| j["listening"].as_u64())
        .unwrap_or_else(|| panic!("{name}: first line {first:?} is not {{\"listening\":PORT}}"));
    (proc, format!("127.0.0.1:{port}"))
}

/// Waits for a server script to finish; returns its last JSON line.
pub(crate) fn server_result(name: &str, mut proc: Proc) -> Json {
    let (status, lines) = proc.wait(PEER_TIMEOUT);
    let last = lines.last().cloned().unwrap_or_default();
    let json = serde_json::from_str::<Json>(&last)
        .unwrap_or_else(|e| panic!("{name}: last line is not JSON ({e})\n{}", proc.output()));
    assert!(
        status.success(),
        "{name} exited {status}: {}\n{}",
        json["error"].as_str().unwrap_or("?"),
        proc.output()
    );
    json
}

/// Checks what a peer's store script (`python_store_client.py`,
/// `node_store_client.js`) saw: submit_sm, query_sm (ENROUTE, no final
/// date), replace_sm, query_sm (still ENROUTE, the same id), cancel_sm,
/// query_sm (DELETED, a final date), cancel_sm and replace_sm of the final
/// message (ESME_RCANCELFAIL 0x11, ESME_RREPLACEFAIL 0x13), query_sm of an
/// unknown id (ESME_RQUERYFAIL 0x67); each answer the request's response.
pub(crate) fn check_store_steps(out: &Json) {
    let id = out.str("message_id").to_string();
    let steps = out["steps"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let seen: Vec<(String, String, u64)> = steps
        .iter()
        .map(|s| {
            (
                s.str("request").to_string(),
                s.str("command").to_string(),
                s.u64("status"),
            )
        })
        .collect();
    let want: Vec<(String, String, u64)> = [
        ("submit_sm", 0),
        ("query_sm", 0),
        ("replace_sm", 0),
        ("query_sm", 0),
        ("cancel_sm", 0),
        ("query_sm", 0),
        ("cancel_sm", 0x11),
        ("replace_sm", 0x13),
        ("query_sm", 0x67),
    ]
    .iter()
    .map(|(r, s)| (r.to_string(), format!("{r}_resp"), *s))
    .collect();
    assert_eq!(seen, want, "{out}");
    for (i, state, final_date) in [(1, 1, false), (3, 1, false), (5, 4, true)] {
        let q = &steps[i];
        assert_eq!(q.str("message_id"), id, "{q}");
        assert_eq!(q.u64("message_state"), state, "{q}");
        assert_eq!(!q.str("final_date").is_empty(), final_date, "{q}");
    }
}
