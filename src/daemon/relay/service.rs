//! The daemon's service loop: start the relay, tell systemd it is ready
//! (whether or not the SMSC is reachable), keep `STATUS=`, the watchdog,
//! the metrics file and the status file current, apply a reload, and stop
//! within the response timeout.

use super::{lock, status, Relay, RelayError, RelayEvent, Shared};
use crate::daemon::config::Config;
use crate::daemon::logging::FilterChange;
use crate::daemon::metrics::{Counter, Gauge};
use crate::daemon::notify;
use crate::session::Throughput;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

/// What the front end (the signal handler) asks of [`run`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control {
    /// Stop (SIGTERM, SIGINT).
    Stop,
    /// Re-read the configuration and rescan the spool (SIGHUP).
    Reload,
}

/// How often the loop wakes for its periodic work.
const TICK: Duration = Duration::from_millis(250);
/// How often `STATUS=` and the status file are refreshed.
const STATUS_EVERY: Duration = Duration::from_secs(1);
/// How often the gauges are measured (one `stat` per waiting file) and
/// the metrics file written.
const METRICS_EVERY: Duration = Duration::from_secs(5);
/// How often the one-line summary is logged.
const SUMMARY_EVERY: Duration = Duration::from_secs(300);

/// Runs the daemon until [`Control::Stop`] (or until `control` is
/// disconnected): starts the relay, sends `READY=1` as soon as the spool
/// and the listeners are ready, keeps `STATUS=` (the links' state and the
/// backlog), `WATCHDOG=1`, the metrics file and the status file
/// (`smppd --status`) current, applies [`Control::Reload`] from
/// `config_path`, and on stop sends `STOPPING=1` and stops within
/// `response_timeout`. Errors are start-up failures (the spool, the
/// listener) and a bind the SMSC refused for good (bad credentials), after
/// which the relay stops as for [`Control::Stop`].
pub fn run(
    config: Config,
    config_path: Option<&Path>,
    events: Option<Sender<RelayEvent>>,
    control: &Receiver<Control>,
) -> Result<(), RelayError> {
    let relay = Relay::start(config, events)?;
    let shared = relay.shared.clone();
    let started = Instant::now();
    relay.write_metrics();
    let mut last_status = publish_status(&shared, started, None);
    let _ = notify::ready();
    log::info!(
        target: "smppd",
        "running: spool {}, instance {}; {}",
        shared.spool.root().display(),
        shared.config.instance,
        lock(&shared.links).summary()
    );
    let watchdog = notify::watchdog_interval().map(|d| d / 2);
    if watchdog.is_some() {
        let _ = notify::watchdog();
    }
    let mut last_watchdog = Instant::now();
    let mut last_metrics = Instant::now();
    let mut last_status_at = Instant::now();
    let mut last_summary = Instant::now();
    let mut summary_base = Totals::of(&shared);
    let tick = watchdog.map_or(TICK, |w| w.min(TICK));
    let mut outcome = Ok(());
    loop {
        if let Some(status) = *lock(&shared.refused) {
            outcome = Err(RelayError::BindRefused(status));
            break;
        }
        match control.recv_timeout(tick) {
            Ok(Control::Stop) | Err(RecvTimeoutError::Disconnected) => break,
            Ok(Control::Reload) => {
                reload(&relay, config_path);
                relay.rescan();
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        if watchdog.is_some_and(|w| last_watchdog.elapsed() >= w) {
            let _ = notify::watchdog();
            last_watchdog = Instant::now();
        }
        if last_metrics.elapsed() >= METRICS_EVERY {
            relay.write_metrics();
            last_metrics = Instant::now();
        }
        if last_status_at.elapsed() >= STATUS_EVERY {
            last_status = publish_status(&shared, started, Some(&last_status));
            last_status_at = Instant::now();
        }
        if last_summary.elapsed() >= SUMMARY_EVERY {
            let now = Totals::of(&shared);
            log::info!(target: "smppd", "{}", summary_line(&shared, &summary_base, &now));
            summary_base = now;
            last_summary = Instant::now();
        }
    }
    let _ = notify::stopping();
    let _ = notify::status("stopping");
    log::info!(target: "smppd", "stopping");
    let timeout = shared.config.smsc.response_timeout;
    relay.stop(timeout);
    status::write(&shared, started, "stopped");
    log::info!(
        target: "smppd",
        "stopped: {}",
        summary_line(&shared, &Totals::default(), &Totals::of(&shared))
    );
    outcome
}

/// The counters the summary line shows.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    sent: u64,
    failed: u64,
    received: u64,
    receipts: u64,
}

impl Totals {
    fn of(shared: &Shared) -> Totals {
        let m = &shared.metrics;
        Totals {
            sent: m.get(Counter::Sent),
            failed: m.get(Counter::Failed),
            received: m.get(Counter::Received),
            receipts: m.get(Counter::Receipts),
        }
    }
}

/// `bound 2/2 to HOST:PORT; sent 120, failed 0, received 3, receipts 98
/// (since the last summary); backlog 0`.
fn summary_line(shared: &Shared, from: &Totals, to: &Totals) -> String {
    format!(
        "{}; sent {}, failed {}, received {}, receipts {}; backlog {}",
        lock(&shared.links).summary(),
        to.sent - from.sent,
        to.failed - from.failed,
        to.received - from.received,
        to.receipts - from.receipts,
        shared.metrics.gauge(Gauge::SpoolBacklog)
    )
}

/// Sends `STATUS=` if it changed and rewrites the status file; returns the
/// line.
fn publish_status(shared: &Shared, started: Instant, last: Option<&str>) -> String {
    let mut line = lock(&shared.links).summary();
    if status::throttled(shared) {
        line.push_str(", throttled");
    }
    line.push_str(&format!(
        ", backlog {}",
        shared.metrics.gauge(Gauge::SpoolBacklog)
    ));
    if last != Some(line.as_str()) {
        let _ = notify::status(&line);
    }
    status::write(shared, started, "running");
    line
}

/// Measures the gauges: backlog and oldest waiting file, window in use,
/// bound links, throttling seen by the links.
pub(super) fn refresh_gauges(shared: &Shared) {
    let m = &shared.metrics;
    // The submitter's scans see every waiting file: while they run, their
    // figures; else (no link bound: no scans) a listing with a stat of
    // each file.
    let recent = shared.config.scan_interval * 2 + Duration::from_secs(1);
    let scanned = lock(&shared.backlog)
        .filter(|(_, _, at)| at.elapsed() < recent)
        .map(|(count, oldest, _)| (count, oldest));
    match scanned.map_or_else(|| shared.spool.outgoing_backlog(), Ok) {
        Ok((count, oldest)) => {
            m.set(Gauge::SpoolBacklog, count as u64);
            let age = oldest
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .map_or(0, |d| d.as_secs());
            m.set(Gauge::OldestWaitingSeconds, age);
        }
        Err(e) => log::warn!("cannot count outgoing/: {e}"),
    }
    m.set(Gauge::WindowInUse, shared.in_flight() as u64);
    m.set(Gauge::BoundLinks, lock(&shared.links).bound_count() as u64);
    if let Some(esme) = &shared.esme {
        // Throttling the links absorb (they pause and resend) counts too.
        let seen = esme.throttled();
        let counted = shared.throttled_seen.swap(seen, Ordering::Relaxed);
        m.add(Counter::Throttled, seen.saturating_sub(counted));
    }
}

/// Writes the metrics file, if one is configured.
pub(super) fn write_metrics_file(shared: &Shared) {
    if let Some(path) = &shared.config.metrics_file {
        if let Err(e) = shared.metrics.write_textfile(path) {
            log::warn!(target: "smppd", "metrics file {}: {e}", path.display());
        }
    }
}

/// Re-reads the configuration and applies it; a bad file changes nothing.
fn reload(relay: &Relay, path: Option<&Path>) {
    let Some(path) = path else {
        log::info!(target: "smppd", "SIGHUP: rescanning the spool");
        return;
    };
    let new = match Config::from_file(path) {
        Ok(c) => c,
        Err(e) => {
            log::error!(
                target: "smppd",
                "SIGHUP: {}: {e}; keeping the running settings",
                path.display()
            );
            return;
        }
    };
    let (applied, restart) = relay.reload(&new);
    if applied.is_empty() && restart.is_empty() {
        log::info!(target: "smppd", "SIGHUP: {} unchanged; rescanning the spool", path.display());
    }
    if !applied.is_empty() {
        log::info!(target: "smppd", "SIGHUP: applied {}", applied.join(", "));
    }
    if !restart.is_empty() {
        log::warn!(
            target: "smppd",
            "SIGHUP: changed, but take effect only after a restart: {}",
            restart.join(", ")
        );
    }
}

/// Applies what may change while running (`throughput`, `window`,
/// `retries`, `log_level`); lists as `key: old -> new` what was applied and what
/// changed but needs a restart.
pub(super) fn apply_reload(shared: &Shared, new: &Config) -> (Vec<String>, Vec<String>) {
    let old = &shared.config;
    let mut applied = Vec::new();
    let retries = shared.retries.load(Ordering::Relaxed);
    if new.smsc.retries != retries {
        shared.retries.store(new.smsc.retries, Ordering::Relaxed);
        applied.push(format!("smsc.retries: {retries} -> {}", new.smsc.retries));
    }
    let (window, throughput) = *lock(&shared.tuning);
    if new.smsc.window != window || new.smsc.throughput != throughput {
        let sessions = old.smsc.sessions.max(1);
        if let Some(esme) = &shared.esme {
            let per_session = new.smsc.throughput.div_ceil(sessions);
            esme.tune(
                new.smsc.window.max(1) as usize,
                (per_session > 0).then(|| Throughput::per_second(per_session)),
            );
        }
        let credits = |w: u32| w.max(1) as usize * sessions as usize;
        shared.credits.resize(credits(new.smsc.window));
        if new.smsc.window != window {
            applied.push(format!("smsc.window: {window} -> {}", new.smsc.window));
        }
        if new.smsc.throughput != throughput {
            applied.push(format!(
                "smsc.throughput: {throughput} -> {}",
                new.smsc.throughput
            ));
        }
        *lock(&shared.tuning) = (new.smsc.window, new.smsc.throughput);
    }
    // Everything else needs a restart: compare with the live settings
    // taken out.
    match crate::daemon::logging::set_filter(&new.log_level) {
        FilterChange::Applied { from, to } => {
            applied.push(format!("log_level: \"{from}\" -> \"{to}\""));
        }
        FilterChange::Pinned if new.log_level != old.log_level => applied
            .push("log_level: not changed (RUST_LOG or -v set the filter for this run)".to_owned()),
        FilterChange::Pinned | FilterChange::Unchanged | FilterChange::NotInstalled => {}
    }
    let mut live = new.clone();
    live.log_level = old.log_level.clone();
    live.smsc.retries = old.smsc.retries;
    live.smsc.window = old.smsc.window;
    live.smsc.throughput = old.smsc.throughput;
    let mut restart = Vec::new();
    if live != *old {
        restart = changed_keys(old, &live);
    }
    (applied, restart)
}

/// The keys that differ between two configurations (passwords by name
/// only).
fn changed_keys(a: &Config, b: &Config) -> Vec<String> {
    let mut keys = Vec::new();
    let mut check = |key: &str, differs: bool| {
        if differs {
            keys.push(key.to_owned());
        }
    };
    check("spool", a.spool != b.spool);
    check("instance", a.instance != b.instance);
    check("metrics_file", a.metrics_file != b.metrics_file);
    check("split", a.split != b.split);
    check("latin1", a.latin1 != b.latin1);
    check("max_parts", a.max_parts != b.max_parts);
    check("scan_interval_ms", a.scan_interval != b.scan_interval);
    check("settle_ms", a.settle != b.settle);
    check("empty_grace_secs", a.empty_grace != b.empty_grace);
    check("receipt_days", a.receipt_days != b.receipt_days);
    check("sync", a.sync != b.sync);
    let (s, t) = (&a.smsc, &b.smsc);
    check("smsc.host", s.host != t.host);
    check("smsc.port", s.port != t.port);
    check("smsc.system_id", s.system_id != t.system_id);
    check("smsc.password", s.password != t.password);
    check("smsc.system_type", s.system_type != t.system_type);
    check("smsc.bind", s.bind != t.bind);
    check("smsc.sessions", s.sessions != t.sessions);
    check("smsc.enquire_link_secs", s.enquire_link != t.enquire_link);
    check(
        "smsc.response_timeout_secs",
        s.response_timeout != t.response_timeout,
    );
    check("smsc.reconnect_min_ms", s.reconnect_min != t.reconnect_min);
    check("smsc.reconnect_max_ms", s.reconnect_max != t.reconnect_max);
    check("smsc.source_addr", s.source_addr != t.source_addr);
    check("smsc.tls", s.tls != t.tls);
    check("smsc.tls_ca_file", s.tls_ca_file != t.tls_ca_file);
    check(
        "smsc.tls_server_name",
        s.tls_server_name != t.tls_server_name,
    );
    check("smsc.tls_cert_file", s.tls_cert_file != t.tls_cert_file);
    check("smsc.tls_key_file", s.tls_key_file != t.tls_key_file);
    check("outbind", a.outbind != b.outbind);
    if keys.is_empty() {
        // A key this list does not know yet.
        keys.push("(other settings)".to_owned());
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::changed_keys;
    use crate::daemon::config::Config;

    fn parse(extra: &str, smsc_extra: &str) -> Config {
        Config::parse(&format!(
            "spool = \"/tmp/s\"\n{extra}\n[smsc]\nhost = \"127.0.0.1\"\nsystem_id = \"a\"\n\
             password = \"b\"\n{smsc_extra}\n"
        ))
        .expect("valid configuration")
    }

    #[test]
    fn every_changed_key_is_named() {
        let old = parse("", "");
        assert!(changed_keys(&old, &old.clone()) == ["(other settings)"]);
        let new = parse("settle_ms = 100\nempty_grace_secs = 5", "port = 2776");
        assert_eq!(
            changed_keys(&old, &new),
            ["settle_ms", "empty_grace_secs", "smsc.port"]
        );
        let new = parse("", "tls = true\ntls_server_name = \"smsc.example\"");
        assert_eq!(
            changed_keys(&old, &new),
            ["smsc.tls", "smsc.tls_server_name"]
        );
    }
}
