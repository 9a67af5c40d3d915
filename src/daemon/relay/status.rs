//! The status file behind `smppd --status`: the running daemon rewrites
//! `SPOOL/.smppd/status/INSTANCE` every second (links, backlog, counts, last
//! error); [`query_status`] reads it and looks at the instance's lock, so
//! a dead daemon's last status is not taken for a running one.

use super::links::ViewState;
use super::{lock, Shared};
use crate::daemon::config::Config;
use crate::daemon::metrics::{Counter, Gauge};
use crate::datetime::DateTime;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

/// How recent a throttle must be for the links to show as throttled.
const THROTTLE_RECENT: Duration = Duration::from_secs(10);

/// The status file of `instance` under the spool `root`.
pub(crate) fn path(root: &Path, instance: &str) -> PathBuf {
    root.join(".smppd").join("status").join(instance)
}

/// The lock file a running daemon of `instance` holds.
fn lock_path(root: &Path, instance: &str) -> PathBuf {
    root.join(".smppd")
        .join("progress")
        .join(format!("{instance}.lock"))
}

/// Whether the links were throttled recently (a throttle counted since
/// the last look, or within [`THROTTLE_RECENT`]).
pub(super) fn throttled(shared: &Shared) -> bool {
    let now = shared.metrics.get(Counter::Throttled);
    let mut last = lock(&shared.throttle_mark);
    if now != last.0 {
        *last = (now, Some(Instant::now()));
    }
    last.1.is_some_and(|at| at.elapsed() < THROTTLE_RECENT)
}

/// Renders and replaces the status file (a dot-file renamed into place;
/// not synced: it is rewritten every second and means nothing after a
/// crash).
pub(super) fn write(shared: &Shared, started: Instant, state: &str) {
    let text = render(shared, started, state);
    let target = path(shared.spool.root(), &shared.config.instance);
    let result = (|| -> io::Result<()> {
        let dir = target.parent().unwrap_or(Path::new("."));
        crate::daemon::spool::ensure_dir(dir)?;
        let tmp = dir.join(format!(".{}.tmp", shared.config.instance));
        fs::write(&tmp, text.as_bytes())?;
        fs::rename(&tmp, &target)
    })();
    if let Err(e) = result {
        log::debug!("status file {}: {e}", target.display());
    }
}

fn render(shared: &Shared, started: Instant, state: &str) -> String {
    let m = &shared.metrics;
    let mut out = String::new();
    let now = DateTime::from_system_time(SystemTime::now());
    let _ = writeln!(
        out,
        "smppd {state}: instance {}, pid {}, up {} s, updated {now}",
        shared.config.instance,
        std::process::id(),
        started.elapsed().as_secs()
    );
    let files = lock(&shared.outbound).files_in_flight();
    let throttled = throttled(shared);
    let links = lock(&shared.links);
    for v in links.views() {
        let _ = writeln!(out, "{}: {v}", v.name);
    }
    let bound = links.views().iter().any(|v| v.state == ViewState::Bound);
    if bound || throttled {
        let _ = writeln!(out, "throttled: {}", if throttled { "yes" } else { "no" });
    }
    let _ = writeln!(
        out,
        "backlog: {} files waiting in outgoing/, oldest {} s",
        m.gauge(Gauge::SpoolBacklog),
        m.gauge(Gauge::OldestWaitingSeconds)
    );
    let _ = writeln!(
        out,
        "in flight: {} parts, {} files",
        shared.in_flight(),
        files
    );
    let _ = writeln!(
        out,
        "sent: {}, failed: {}, received: {}, receipts: {}",
        m.get(Counter::Sent),
        m.get(Counter::Failed),
        m.get(Counter::Received),
        m.get(Counter::Receipts)
    );
    let _ = writeln!(out, "retries: {}", shared.retries.load(Ordering::Relaxed));
    match &links.last_error {
        Some((at, what)) => {
            let _ = writeln!(
                out,
                "last error: {} {what}",
                DateTime::from_system_time(*at)
            );
        }
        None => out.push_str("last error: none\n"),
    }
    out
}

/// What `smppd --status` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DaemonStatus {
    /// A daemon of this instance holds its lock now.
    pub running: bool,
    /// The status file it (or, if not running, the last one) wrote.
    pub text: Option<String>,
    /// Where the status file is.
    pub path: PathBuf,
}

/// Looks for the daemon of `config`'s spool and instance: whether it runs
/// (its lock is held) and what it last published.
pub fn query_status(config: &Config) -> DaemonStatus {
    let path = path(&config.spool, &config.instance);
    let text = fs::read_to_string(&path).ok();
    DaemonStatus {
        running: lock_held(&lock_path(&config.spool, &config.instance)),
        text,
        path,
    }
}

/// The other instances of `config`'s spool that run now (each holds the
/// lock of its progress log, `.smppd/progress/NAME.lock`), with what each
/// publishes, sorted by name: on a spool shared by several hosts, every
/// live instance, whichever host it runs on.
pub fn query_others(config: &Config) -> Vec<(String, DaemonStatus)> {
    let locks = config.spool.join(".smppd").join("progress");
    let mut names: Vec<String> = fs::read_dir(&locks)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter_map(|n| n.strip_suffix(".lock").map(str::to_owned))
                .filter(|n| !n.starts_with('.') && *n != config.instance)
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|name| lock_held(&lock_path(&config.spool, name)))
        .map(|name| {
            let path = path(&config.spool, &name);
            let status = DaemonStatus {
                running: true,
                text: fs::read_to_string(&path).ok(),
                path,
            };
            (name, status)
        })
        .collect()
}

/// Whether another process holds the lock on `path`: a shared lock is
/// tried (and let go at once); a missing file is no daemon.
fn lock_held(path: &Path) -> bool {
    let Ok(file) = File::open(path) else {
        return false;
    };
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockShared) {
        Ok(()) => {
            let _ = rustix::fs::flock(&file, rustix::fs::FlockOperation::Unlock);
            false
        }
        Err(e) => e == rustix::io::Errno::WOULDBLOCK,
    }
}
