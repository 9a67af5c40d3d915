//! The spool relay behind `smppd`: files from `outgoing/` to the SMSC,
//! deliveries from the SMSC to `incoming/` and `report/`.
//!
//! ```text
//!  watcher (inotify + rescan) --wake--> submitter --submit_async--> Esme --> SMSC
//!                                           |                       |
//!                      retries <--- completers <--- completions ----+
//!                                           |                       |
//!               sent/ failed/ <-------------+     events: deliveries, link changes
//!               incoming/ report/ <------------- receiver
//! ```
//!
//! - The **submitter** recovers the files this instance held in `checked/`
//!   (sending only the parts with no recorded `submit_sm_resp`), then claims
//!   files from `outgoing/` (high priority first, then oldest) a batch at a
//!   time, composes their parts and submits them. It claims only files the
//!   claim rule of the **watcher** (`outgoing_watch`) finds complete: closed by their
//!   writer or renamed in (inotify), or unchanged for `settle_ms`; never an
//!   empty one before `empty_grace_secs`. Each part takes one of
//!   window x sessions credits, given back once its outcome is recorded:
//!   running out blocks the submitter, and that is the backpressure. Files
//!   claimed and not yet finished are bounded too (4 per credit, at least
//!   1024), so that a disk slower than the SMSC holds the submitter back.
//!   Every `scan_interval_ms` it also takes over the files of other
//!   instances on the spool that are dead (their lock is free), and sends
//!   them as it sends its own after a restart.
//! - The **completers** (several, so that one batch is written while the
//!   previous one waits for the disk) take every outcome that has arrived,
//!   record the accepted parts in the progress log, sync it once, and
//!   finish the files that are done into `sent/` (or `failed/` on a
//!   permanent status) with one batch of syncs. Transient
//!   errors and timeouts are retried with backoff, at most `retries` times;
//!   a lost link is retried without limit (the file waits for the SMSC).
//!   Since a part holds its credit until its outcome is durable, a crash
//!   makes the SMSC see at most window x sessions parts twice.
//! - The **receiver** writes MO messages (parts joined) to `incoming/` and
//!   receipts to `report/` with `Original_file:`, and only then
//!   acknowledges the deliver_sm. A receipt whose message id is not known
//!   yet (sent by another instance, whose index line shows a moment later)
//!   waits up to 2 s for it, without holding up the other deliveries.
//! - [`Relay::start`] does not wait for the SMSC: the links bind in the
//!   background, with backoff, and files are claimed only while one is
//!   bound (until then they wait in `outgoing/`). The `[outbind]` listener
//!   is open from the start, independent of the `[smsc]` link, which may be
//!   left out (an SMSC that only outbinds).
//! - [`Relay::stop`] stops claiming, waits for outstanding responses, and
//!   unbinds, all within the response timeout (a link that does not answer
//!   the unbind is closed). Whatever is still unanswered stays in
//!   `checked/` and is resumed at the next start.
//! - [`run`] is the daemon around it: `READY=1`, `STATUS=`, the watchdog,
//!   the metrics and status files, SIGHUP's reload ([`Control`]), the
//!   operator's log lines (target `smppd`); [`query_status`] is
//!   `smppd --status`.
//!
//! Files: `outgoing_watch` (the inotify watch of `outgoing/` and the claim
//! rule), `outbound` (submitter and completers), `inbound` (receiver),
//! `links` (what each link is doing, from the ESME's events), `service`
//! ([`run`] and [`Control`]), `status` (the status file and
//! [`query_status`]); here, the shared state and [`Relay`].

mod inbound;
mod links;
mod outbound;
mod outgoing_watch;
mod service;
mod status;

pub use links::{LinkView, ViewState};
pub use service::{run, Control};
pub use status::{query_others, query_status, DaemonStatus};

use crate::daemon::config::Config;
use crate::daemon::metrics::{Gauge, Metrics};
use crate::daemon::spool::{MessageIdIndex, Spool, SpoolError};
use crate::datetime::DateTime;
use crate::pdu::{COctet, CommandStatus};
use crate::runtime::sync::Semaphore;
use crate::runtime::{Esme, EsmeConfig, Reconnect, Runtime, SubmitError};
use crate::session::{BindMode, SessionConfig, Throughput};
use crossbeam_channel::{bounded, Sender};
use outbound::Outbound;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// Something the relay did, for a front end to show (`smppd --demo`
/// prints these).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RelayEvent {
    /// The link to the SMSC is bound.
    Bound,
    /// The link went down; the relay reconnects.
    LinkDown(String),
    /// A file was claimed from `outgoing/` (or resumed from `checked/`).
    Claimed {
        /// Its name.
        file: String,
        /// How many parts it needs.
        parts: usize,
    },
    /// A file is in `sent/`.
    Sent {
        /// The name in `sent/`.
        file: String,
        /// The SMSC's id of each part.
        message_ids: Vec<String>,
    },
    /// A file is in `failed/`.
    Failed {
        /// The name in `failed/`.
        file: String,
        /// The `Fail_reason:`.
        reason: String,
    },
    /// A part will be sent again.
    Retrying {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// An MO message is in `incoming/`.
    Incoming {
        /// The name in `incoming/`.
        file: String,
    },
    /// A receipt is in `report/`.
    Report {
        /// The name in `report/`.
        file: String,
        /// The file the message was sent from, when known.
        original: Option<String>,
        /// The receipt's state word.
        status: String,
    },
}

/// Why the relay could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum RelayError {
    /// The spool is unusable.
    Spool(SpoolError),
    /// The message id index could not be opened.
    Index(std::io::Error),
    /// The runtime or a watcher could not start.
    Io(std::io::Error),
    /// The `[outbind]` listener could not be opened.
    Listen(std::net::SocketAddr, std::io::Error),
    /// The SMSC refused the bind (bad credentials: retrying will not help).
    BindRefused(CommandStatus),
    /// The TLS settings could not be made (a PEM file changed since the
    /// configuration was read, say).
    Tls(String),
}

impl fmt::Display for RelayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RelayError::Spool(e) => write!(f, "spool: {e}"),
            RelayError::Index(e) => write!(f, "message id index: {e}"),
            RelayError::Io(e) => write!(f, "{e}"),
            RelayError::Listen(addr, e) => {
                write!(f, "cannot listen for outbinds on {addr}: {e}")
            }
            RelayError::BindRefused(s) => write!(f, "the SMSC refused the bind: {s}"),
            RelayError::Tls(e) => write!(f, "TLS: {e}"),
        }
    }
}

impl std::error::Error for RelayError {}

/// State shared by the relay's threads.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) spool: Spool,
    /// The `[smsc]` link; `None` when only outbinds are taken.
    pub(crate) esme: Option<Esme>,
    /// The `[outbind]` link.
    pub(crate) outbind: Option<Esme>,
    /// What each link is doing, for logs, `STATUS=` and `--status`.
    pub(crate) links: Mutex<links::Links>,
    /// How many times a transient failure is retried (SIGHUP may change
    /// it).
    pub(crate) retries: AtomicU32,
    /// Set when the stop's time is up: threads stop waiting for
    /// outstanding responses.
    pub(crate) abandon: AtomicBool,
    /// The window and throughput in force (SIGHUP may change them).
    pub(crate) tuning: Mutex<(u32, u32)>,
    /// The links' throttle count already added to the metrics.
    pub(crate) throttled_seen: AtomicU64,
    /// The SMSC refused a bind for good (bad credentials).
    pub(crate) refused: Mutex<Option<CommandStatus>>,
    /// The throttle count last looked at, and when it last grew.
    pub(crate) throttle_mark: Mutex<(u64, Option<Instant>)>,
    pub(crate) index: Mutex<MessageIdIndex>,
    pub(crate) metrics: Metrics,
    pub(crate) stopping: AtomicBool,
    pub(crate) wake: Sender<()>,
    /// The inotify watch on `outgoing/`; `None` where inotify is not to
    /// be had (rescans only).
    pub(crate) watch: Option<outgoing_watch::Watch>,
    pub(crate) events: Option<Sender<RelayEvent>>,
    pub(crate) outbound: Mutex<Outbound>,
    /// Parts submitted and not yet recorded: at most window x sessions.
    pub(crate) credits: Semaphore,
    /// The files waiting in `outgoing/` and the oldest one's modification
    /// time, as the submitter's last scan found them, and when.
    pub(crate) backlog: Mutex<Option<(usize, Option<SystemTime>, Instant)>>,
    /// Files claimed and not yet finished: the submitter claims no more
    /// than [`OPEN_FILES_PER_CREDIT`] per credit (at least
    /// [`MIN_OPEN_FILES`]), so that files waiting for their finish do not
    /// pile up when the disk is slower than the SMSC.
    pub(crate) open_files: OpenFiles,
}

/// How long the start waits for this instance's lock while another
/// process holds it (an instance taking over this one's files).
const LOCK_WAIT: Duration = Duration::from_secs(3);

/// Files that may be open (claimed, not finished) per credit.
pub(crate) const OPEN_FILES_PER_CREDIT: usize = 4;
/// The least number of files that may be open.
pub(crate) const MIN_OPEN_FILES: usize = 1024;

/// How many files are claimed and not yet finished, with a limit to wait
/// on.
pub(crate) struct OpenFiles {
    open: Mutex<usize>,
    changed: Condvar,
    limit: usize,
}

impl OpenFiles {
    pub(crate) fn new(limit: usize) -> OpenFiles {
        OpenFiles {
            open: Mutex::new(0),
            changed: Condvar::new(),
            limit: limit.max(1),
        }
    }

    /// How many more files may be claimed now, at most `want`. Waits a
    /// little while none may, then says 0: the caller must go back to
    /// work that closes files (retries are run by the same thread).
    pub(crate) fn room(&self, want: usize) -> usize {
        let mut open = lock(&self.open);
        if *open >= self.limit {
            open = self
                .changed
                .wait_timeout(open, Duration::from_millis(50))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
        want.min(self.limit.saturating_sub(*open))
    }

    /// `n` files claimed (or resumed).
    pub(crate) fn opened(&self, n: usize) {
        *lock(&self.open) += n;
    }

    /// `n` files finished (or given up on).
    pub(crate) fn closed(&self, n: usize) {
        if n > 0 {
            let mut open = lock(&self.open);
            *open = open.saturating_sub(n);
            self.changed.notify_all();
        }
    }
}

/// The wall-clock time now, for the times written into spool files.
pub(crate) fn now_dt() -> DateTime {
    DateTime::from_system_time(SystemTime::now())
}

impl Shared {
    pub(crate) fn event(&self, event: RelayEvent) {
        if let Some(tx) = &self.events {
            let _ = tx.try_send(event);
        }
    }

    pub(crate) fn wake(&self) {
        let _ = self.wake.try_send(());
    }

    pub(crate) fn stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Stopping, and nothing more to wait for: the link has no request
    /// outstanding (and `events` nothing waiting), or the stop's time is
    /// up.
    pub(crate) fn may_leave(&self, esme: &Esme, events_empty: bool) -> bool {
        self.stopping()
            && (self.abandon.load(Ordering::Acquire) || (esme.in_flight() == 0 && events_empty))
    }

    /// Requests outstanding on the `[smsc]` link.
    pub(crate) fn in_flight(&self) -> usize {
        self.esme.as_ref().map_or(0, Esme::in_flight)
    }

    /// Whether some `[smsc]` link is bound (files are claimed only then,
    /// so that they wait in `outgoing/` while the SMSC is away).
    pub(crate) fn can_send(&self) -> bool {
        self.esme
            .as_ref()
            .is_some_and(|e| e.link_states().contains(&crate::runtime::LinkState::Bound))
    }
}

/// A running relay.
pub struct Relay {
    shared: Arc<Shared>,
    threads: Vec<(String, JoinHandle<()>)>,
    _runtime: Runtime,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("spool", &self.shared.spool.root())
            .finish()
    }
}

/// The ESME settings for the `[outbind]` listener on `listen`: a receiver
/// bound on the connection the SMSC opens, checked with the account's
/// password (any SMSC id); the listener stays open for the next outbind.
fn outbind_config(config: &Config, listen: std::net::SocketAddr, tls: &Tls) -> EsmeConfig {
    let mut e = esme_config(config);
    tls.apply(&mut e);
    e.addr = listen.to_string();
    e.mode = BindMode::Receiver;
    e.sessions = 1;
    e.outbind_password = Some(config.smsc.password.clone());
    e
}

/// TLS for the link and for the outbind listener, made once at the start.
#[derive(Clone, Default)]
struct Tls {
    #[cfg(feature = "tls")]
    client: Option<crate::tls::TlsConnector>,
    #[cfg(feature = "tls")]
    outbind: Option<crate::tls::TlsAcceptor>,
}

impl Tls {
    #[cfg(feature = "tls")]
    fn new(config: &Config) -> Result<Tls, RelayError> {
        let e = |e: crate::tls::TlsError| RelayError::Tls(e.to_string());
        Ok(Tls {
            client: config.tls_client().map_err(e)?,
            outbind: config.tls_outbind().map_err(e)?,
        })
    }

    #[cfg(not(feature = "tls"))]
    fn new(config: &Config) -> Result<Tls, RelayError> {
        if config.smsc.tls {
            return Err(RelayError::Tls("this smppd is built without TLS".into()));
        }
        Ok(Tls::default())
    }

    #[cfg_attr(not(feature = "tls"), allow(clippy::unused_self))]
    fn apply(&self, _config: &mut EsmeConfig) {
        #[cfg(feature = "tls")]
        {
            _config.tls.clone_from(&self.client);
            _config.outbind_tls.clone_from(&self.outbind);
        }
    }
}

/// The ESME settings the config asks for (TLS aside: see [`Config::tls_client`]).
pub fn esme_config(config: &Config) -> EsmeConfig {
    let smsc = &config.smsc;
    let addr = format!("{}:{}", smsc.host, smsc.port);
    let mut e = EsmeConfig::new(&addr, &smsc.system_id, &smsc.password);
    e.bind.system_type = COctet::try_from(smsc.system_type.as_str()).unwrap_or_default();
    e.mode = smsc.bind;
    e.sessions = smsc.sessions.max(1) as usize;
    // `throughput` is over all binds: each bind gets its share.
    let per_session = smsc.throughput.div_ceil(smsc.sessions.max(1));
    e.session = SessionConfig {
        window: smsc.window.max(1) as usize,
        enquire_link_interval: smsc.enquire_link,
        response_timeout: smsc.response_timeout,
        drain_timeout: smsc.response_timeout,
        throughput: (per_session > 0).then(|| Throughput::per_second(per_session)),
        ..SessionConfig::default()
    };
    e.reconnect = Some(Reconnect {
        min: smsc.reconnect_min,
        max: smsc.reconnect_max,
    });
    e.auto_ack = false;
    e.connect_timeout = Duration::from_secs(10);
    e
}

impl Relay {
    /// Opens the spool, opens the `[outbind]` listener, starts binding to
    /// the SMSC in the background and starts the threads. Returns without
    /// waiting for the SMSC: files wait in `outgoing/` until a link is
    /// bound ([`Relay::links`] says how the links are doing).
    pub fn start(config: Config, events: Option<Sender<RelayEvent>>) -> Result<Relay, RelayError> {
        let spool = Spool::open(&config.spool)
            .and_then(|s| s.with_owner(&config.instance))
            .map(|s| s.with_sync(config.sync))
            .map_err(RelayError::Spool)?;
        // A second daemon with this instance id stops here. Another
        // instance taking over this one's files (it died) holds the lock
        // for a moment: that is waited for, briefly.
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match spool.open_progress_log() {
                Ok(()) => break,
                Err(SpoolError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::WouldBlock
                        && Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(RelayError::Spool(e)),
            }
        }
        let index = MessageIdIndex::open(
            spool.root(),
            &config.instance,
            config.receipt_days,
            SystemTime::now(),
        )
        .map_err(RelayError::Index)?;
        let runtime = Runtime::new().map_err(RelayError::Io)?;
        let tls = Tls::new(&config)?;
        // The listener first: an SMSC that only outbinds must find it.
        let outbind = match &config.outbind {
            Some(o) => Some(
                Esme::open_outbind(&runtime, outbind_config(&config, o.listen, &tls)).map_err(
                    |e| {
                        let io = match e {
                            crate::runtime::EsmeError::Io(io) => io,
                            other => std::io::Error::other(other.to_string()),
                        };
                        RelayError::Listen(o.listen, io)
                    },
                )?,
            ),
            None => None,
        };
        let esme = if config.smsc.host.is_empty() {
            None
        } else {
            let mut esme_config = esme_config(&config);
            tls.apply(&mut esme_config);
            Some(Esme::open(&runtime, esme_config).map_err(|e| RelayError::Tls(e.to_string()))?)
        };
        let (wake, woken) = bounded(1);
        let outgoing = spool.dir(crate::daemon::spool::SpoolDir::Outgoing);
        let (watch, poll) = match outgoing_watch::Watch::new(&outgoing) {
            Ok((w, p)) => (Some(w), Some(p)),
            Err(e) => {
                log::warn!(
                    "cannot watch {} ({e}): relying on rescans",
                    outgoing.display()
                );
                (None, None)
            }
        };
        let credit_count =
            config.smsc.window.max(1) as usize * config.smsc.sessions.max(1) as usize;
        let credits = Semaphore::new(credit_count.max(1));
        let open_files = OpenFiles::new((credit_count * OPEN_FILES_PER_CREDIT).max(MIN_OPEN_FILES));
        let links = links::Links::new(&config, esme.is_some());
        let shared = Arc::new(Shared {
            retries: AtomicU32::new(config.smsc.retries),
            tuning: Mutex::new((config.smsc.window, config.smsc.throughput)),
            throttled_seen: AtomicU64::new(0),
            throttle_mark: Mutex::new((0, None)),
            refused: Mutex::new(None),
            config,
            spool,
            esme,
            outbind,
            links: Mutex::new(links),
            abandon: AtomicBool::new(false),
            index: Mutex::new(index),
            metrics: Metrics::new(),
            stopping: AtomicBool::new(false),
            wake,
            watch,
            events,
            outbound: Mutex::new(Outbound::default()),
            credits,
            open_files,
            backlog: Mutex::new(None),
        });
        shared.metrics.set(Gauge::Up, 1);
        let link_count = if shared.esme.is_some() {
            u64::from(shared.config.smsc.sessions.max(1))
        } else {
            0
        };
        shared.metrics.set(Gauge::Links, link_count);
        let mut threads = Vec::new();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map(|t| (name.to_owned(), t))
                .map_err(RelayError::Io)
        };
        if shared.esme.is_some() {
            let s = shared.clone();
            threads.push(spawn(
                "smppd-submit",
                Box::new(move || outbound::submitter(&s, &woken)),
            )?);
            // Several completers: while one waits for its batch's fsyncs,
            // the next batch is already being written.
            for _ in 0..outbound::COMPLETERS {
                let s = shared.clone();
                threads.push(spawn(
                    "smppd-complete",
                    Box::new(move || outbound::completer(&s)),
                )?);
            }
            let s = shared.clone();
            threads.push(spawn(
                "smppd-receive",
                Box::new(move || {
                    if let Some(esme) = &s.esme {
                        inbound::receiver(&s, esme, links::Side::Smsc);
                    }
                }),
            )?);
        } else {
            log::warn!(
                target: "smppd",
                "no [smsc] host: only outbinds are taken; files in outgoing/ are not sent"
            );
        }
        if shared.outbind.is_some() {
            let s = shared.clone();
            threads.push(spawn(
                "smppd-outbind",
                Box::new(move || {
                    if let Some(esme) = &s.outbind {
                        inbound::receiver(&s, esme, links::Side::Outbind);
                    }
                }),
            )?);
        }
        if let Some(poll) = poll {
            let s = shared.clone();
            threads.push(spawn(
                "smppd-watch",
                Box::new(move || outgoing_watch::watcher(&s, poll)),
            )?);
        }
        Ok(Relay {
            shared,
            threads,
            _runtime: runtime,
        })
    }

    /// How each link is doing: the `[smsc]` links, then the outbind link.
    pub fn links(&self) -> Vec<LinkView> {
        lock(&self.shared.links).views()
    }

    /// The configuration the relay started with.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Applies the settings of `new` that are safe to change while running
    /// (`throughput`, `window`, `retries`); returns what changed and was
    /// applied, and what changed but needs a restart, as `key: old -> new`.
    pub fn reload(&self, new: &Config) -> (Vec<String>, Vec<String>) {
        service::apply_reload(&self.shared, new)
    }

    /// Counters, for the metrics file and `STATUS=` lines.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Files in flight (claimed, not finished).
    pub fn files_in_flight(&self) -> usize {
        lock(&self.shared.outbound).files_in_flight()
    }

    /// Rescans `outgoing/` now (SIGHUP).
    pub fn rescan(&self) {
        self.shared.wake();
    }

    /// Refreshes the gauges (backlog, oldest waiting file, window, bound
    /// links) and writes the metrics file, if one is configured.
    pub fn write_metrics(&self) {
        service::refresh_gauges(&self.shared);
        service::write_metrics_file(&self.shared);
    }

    /// Stops, all within `timeout`: no new files; waits for outstanding
    /// responses; unbinds (a link that does not answer the unbind in time
    /// is closed). Files not finished stay in `checked/` and are resumed at
    /// the next start.
    pub fn stop(mut self, timeout: Duration) {
        let started = Instant::now();
        let deadline = started + timeout;
        let shared = self.shared.clone();
        shared.stopping.store(true, Ordering::Release);
        shared.wake();
        if let Some(w) = &shared.watch {
            w.wake();
        }
        // Leave a quarter of the time (at most a second) for the unbind.
        let unbind_share = (timeout / 4).min(Duration::from_secs(1));
        let drain_until = deadline - unbind_share;
        while Instant::now() < drain_until && shared.in_flight() > 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Every link unbinds (no short-circuit): collect, then look.
        let unbound: Vec<bool> = [&shared.esme, &shared.outbind]
            .into_iter()
            .flatten()
            .map(|esme| esme.unbind_until(deadline))
            .collect();
        let clean = unbound.iter().all(|&b| b);
        if !clean {
            log::warn!(target: "smppd", "the SMSC did not answer the unbind in time: links closed");
        }
        shared.abandon.store(true, Ordering::Release);
        // Threads notice the stop within their poll interval (100 ms); one
        // stuck in a system call is left behind rather than holding the
        // stop past its time. The watcher only wakes the submitter and
        // holds nothing to flush: it gets a moment, not the whole budget.
        let join_until = deadline.max(Instant::now() + Duration::from_millis(200));
        for (name, t) in self.threads.drain(..) {
            let until = if name == "smppd-watch" {
                join_until.min(Instant::now() + Duration::from_millis(200))
            } else {
                join_until
            };
            while !t.is_finished() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                let _ = t.join();
            } else {
                log::warn!("thread {name} did not stop in time; leaving it");
            }
        }
        if let Err(e) = lock(&shared.index).sync() {
            log::warn!("message id index: {e}");
        }
        shared.metrics.set(Gauge::Up, 0);
        self.write_metrics();
        log::debug!("stopped in {:?}", started.elapsed());
    }
}

/// Whether a failure is worth retrying, and whether it counts against the
/// retry limit.
pub(crate) fn classify(e: &SubmitError) -> Retry {
    match e {
        SubmitError::Status(s) if s.is_transient() => Retry::Counted,
        SubmitError::Status(_) | SubmitError::Refused(_) => Retry::Never,
        SubmitError::UnexpectedResponse(_) => Retry::Never,
        SubmitError::Timeout => Retry::Counted,
        SubmitError::LinkLost { .. } | SubmitError::NotBound | SubmitError::WindowFull => {
            Retry::Free
        }
    }
}

/// How a failure is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Retry {
    /// A permanent failure: the file goes to `failed/`.
    Never,
    /// Retried, at most `retries` times.
    Counted,
    /// Retried without limit (the link is down; the file waits).
    Free,
}

/// Locks, ignoring poisoning (a panicked thread leaves the maps usable).
pub(crate) use crate::runtime::sync::lock;
