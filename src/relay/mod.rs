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
//!   claim rule of the **watcher** module finds complete: closed by their
//!   writer or renamed in (inotify), or unchanged for `settle_ms`; never an
//!   empty one before `empty_grace_secs`. Each part takes one of
//!   window x sessions credits, given back once its outcome is recorded:
//!   running out blocks the submitter, and that is the backpressure. Files
//!   claimed and not yet finished are bounded too (4 per credit, at least
//!   1024), so that a disk slower than the SMSC holds the submitter back.
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
//!   acknowledges the deliver_sm.
//! - [`Relay::stop`] stops claiming, waits (bounded by the response
//!   timeout) for outstanding responses, and unbinds. Whatever is still
//!   unanswered stays in `checked/` and is resumed at the next start.

mod inbound;
mod outbound;
mod watch;

use crate::config::Config;
use crate::metrics::{Counter, Gauge, Metrics};
use crate::pdu::{COctet, CommandStatus};
use crate::runtime::{Esme, EsmeConfig, EsmeError, Reconnect, Runtime, SubmitError};
use crate::session::{BindMode, SessionConfig, Throughput};
use crate::spool::{MessageIdIndex, Spool, SpoolError};
use crossbeam_channel::{bounded, Sender};
use outbound::Outbound;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
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
    /// The SMSC refused the bind (bad credentials: retrying will not help).
    BindRefused(CommandStatus),
    /// Stopped before the first bind.
    Stopped,
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
            RelayError::BindRefused(s) => write!(f, "the SMSC refused the bind: {s}"),
            RelayError::Stopped => f.write_str("stopped before binding"),
            RelayError::Tls(e) => write!(f, "TLS: {e}"),
        }
    }
}

impl std::error::Error for RelayError {}

/// State shared by the relay's threads.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) spool: Spool,
    pub(crate) esme: Esme,
    pub(crate) index: Mutex<MessageIdIndex>,
    pub(crate) metrics: Metrics,
    pub(crate) stopping: AtomicBool,
    pub(crate) wake: Sender<()>,
    /// The inotify watch on `outgoing/`; `None` where inotify is not to
    /// be had (rescans only).
    pub(crate) watch: Option<watch::Watch>,
    pub(crate) events: Option<Sender<RelayEvent>>,
    pub(crate) outbound: Mutex<Outbound>,
    /// Parts submitted and not yet recorded: at most window x sessions.
    pub(crate) credits: Credits,
    /// Files claimed and not yet finished: the submitter claims no more
    /// than [`OPEN_FILES_PER_CREDIT`] per credit (at least
    /// [`MIN_OPEN_FILES`]), so that files waiting for their finish do not
    /// pile up when the disk is slower than the SMSC.
    pub(crate) open_files: OpenFiles,
}

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

/// A counting semaphore: the parts that may be between their submit and
/// the durable record of their outcome.
pub(crate) struct Credits {
    free: Mutex<usize>,
    freed: Condvar,
}

impl Credits {
    pub(crate) fn new(n: usize) -> Credits {
        Credits {
            free: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Takes a credit, waiting while none is free. `false` (and no credit)
    /// once `give_up` says so.
    pub(crate) fn acquire(&self, give_up: impl Fn() -> bool) -> bool {
        let mut free = lock(&self.free);
        loop {
            if *free > 0 {
                *free -= 1;
                return true;
            }
            if give_up() {
                return false;
            }
            free = self
                .freed
                .wait_timeout(free, Duration::from_millis(50))
                .map(|(g, _)| g)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Gives back `n` credits.
    pub(crate) fn release(&self, n: usize) {
        if n > 0 {
            *lock(&self.free) += n;
            self.freed.notify_all();
        }
    }
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
}

/// A running relay.
pub struct Relay {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    _runtime: Runtime,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Relay")
            .field("spool", &self.shared.spool.root())
            .finish()
    }
}

/// The `[outbind]` listener: waits for the SMSC's outbind on `listen`,
/// binds as a receiver on that connection, and handles its deliveries like
/// the main link's; listens again when that session ends.
fn outbind_listener(shared: &Shared, rt: &Runtime, listen: std::net::SocketAddr, tls: Tls) {
    let mut config = esme_config(&shared.config);
    tls.apply(&mut config);
    config.addr = listen.to_string();
    config.mode = BindMode::Receiver;
    config.sessions = 1;
    // The SMSC proves itself with the account's password; any SMSC id.
    config.outbind_password = Some(shared.config.smsc.password.clone());
    config.connect_timeout = Duration::from_secs(1);
    while !shared.stopping() {
        match Esme::listen_outbind(rt, config.clone()) {
            Ok(esme) => {
                log::info!("bound as receiver after an outbind on {listen}");
                inbound::receiver(shared, &esme);
                esme.unbind();
            }
            Err(EsmeError::Io(e)) => {
                log::error!("cannot listen for outbinds on {listen}: {e}");
                std::thread::sleep(Duration::from_secs(1));
            }
            // No outbind within the second: look at the stop flag, listen on.
            Err(_) => {}
        }
    }
}

/// The TLS client settings for the `[smsc]` link, when `tls = true`.
#[cfg(feature = "tls")]
pub fn tls_client(
    config: &Config,
) -> Result<Option<crate::tls::TlsConnector>, crate::tls::TlsError> {
    let smsc = &config.smsc;
    if !smsc.tls {
        return Ok(None);
    }
    let connector = crate::tls::TlsClientOptions {
        ca_file: smsc.tls_ca_file.clone(),
        insecure: false,
        server_name: smsc.tls_server_name.clone(),
        cert_file: smsc.tls_cert_file.clone(),
        key_file: smsc.tls_key_file.clone(),
    }
    .connector()?;
    // A host that is no valid TLS name is found now, not at each dial.
    connector.name_for(&format!("{}:{}", smsc.host, smsc.port))?;
    Ok(Some(connector))
}

/// The TLS server settings for the `[outbind]` listener, when `tls = true`:
/// the SMSC dials, so this side serves `tls_cert_file`.
#[cfg(feature = "tls")]
pub fn tls_outbind(
    config: &Config,
) -> Result<Option<crate::tls::TlsAcceptor>, crate::tls::TlsError> {
    let smsc = &config.smsc;
    match (
        &config.outbind,
        smsc.tls,
        &smsc.tls_cert_file,
        &smsc.tls_key_file,
    ) {
        (Some(_), true, Some(cert), Some(key)) => crate::tls::TlsServerOptions::new(cert, key)
            .acceptor()
            .map(Some),
        _ => Ok(None),
    }
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
            client: tls_client(config).map_err(e)?,
            outbind: tls_outbind(config).map_err(e)?,
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

/// The ESME settings the config asks for (TLS aside: see [`tls_client`]).
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
    /// Opens the spool, binds to the SMSC (retrying with backoff until bound
    /// or `stop` is set), and starts the threads.
    pub fn start(
        config: Config,
        events: Option<Sender<RelayEvent>>,
        stop: &AtomicBool,
    ) -> Result<Relay, RelayError> {
        let spool = Spool::open(&config.spool)
            .and_then(|s| s.with_owner(&config.instance))
            .map(|s| s.with_sync(config.sync))
            .map_err(RelayError::Spool)?;
        // A second daemon with this instance id stops here.
        spool.open_progress_log().map_err(RelayError::Spool)?;
        let index = MessageIdIndex::open(
            spool.root(),
            &config.instance,
            config.receipt_days,
            SystemTime::now(),
        )
        .map_err(RelayError::Index)?;
        let runtime = Runtime::new().map_err(RelayError::Io)?;
        let tls = Tls::new(&config)?;
        let esme = Self::connect(&runtime, &config, &tls, stop)?;
        let (wake, woken) = bounded(1);
        let outgoing = spool.dir(crate::spool::SpoolDir::Outgoing);
        let (watch, poll) = match watch::Watch::new(&outgoing) {
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
        let credits = Credits::new(credit_count);
        let open_files = OpenFiles::new((credit_count * OPEN_FILES_PER_CREDIT).max(MIN_OPEN_FILES));
        let shared = Arc::new(Shared {
            config,
            spool,
            esme,
            index: Mutex::new(index),
            metrics: Metrics::new(),
            stopping: AtomicBool::new(false),
            wake,
            watch,
            events,
            outbound: Mutex::new(Outbound::default()),
            credits,
            open_files,
        });
        shared.metrics.inc(Counter::Binds);
        let mut threads = Vec::new();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map_err(RelayError::Io)
        };
        let s = shared.clone();
        threads.push(spawn(
            "smppd-submit",
            Box::new(move || outbound::submitter(&s, &woken)),
        )?);
        // Several completers: while one waits for its batch's fsyncs, the
        // next batch is already being written.
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
            Box::new(move || inbound::receiver(&s, &s.esme)),
        )?);
        if let Some(outbind) = &shared.config.outbind {
            let s = shared.clone();
            let rt = runtime.clone();
            let listen = outbind.listen;
            threads.push(spawn(
                "smppd-outbind",
                Box::new(move || outbind_listener(&s, &rt, listen, tls)),
            )?);
        }
        if let Some(poll) = poll {
            let s = shared.clone();
            threads.push(spawn(
                "smppd-watch",
                Box::new(move || watch::watcher(&s, poll)),
            )?);
        }
        Ok(Relay {
            shared,
            threads,
            _runtime: runtime,
        })
    }

    fn connect(
        runtime: &Runtime,
        config: &Config,
        tls: &Tls,
        stop: &AtomicBool,
    ) -> Result<Esme, RelayError> {
        let mut esme_config = esme_config(config);
        tls.apply(&mut esme_config);
        let mut delay = config.smsc.reconnect_min.max(Duration::from_millis(100));
        loop {
            match Esme::connect(runtime, esme_config.clone()) {
                Ok(esme) => {
                    log::info!("bound to {}", esme_config.addr);
                    return Ok(esme);
                }
                Err(EsmeError::BindRefused(s))
                    if matches!(
                        s,
                        CommandStatus::InvPaswd
                            | CommandStatus::InvSysId
                            | CommandStatus::InvSysTyp
                    ) =>
                {
                    return Err(RelayError::BindRefused(s))
                }
                Err(e) => log::warn!("{}: {e}; retrying in {delay:?}", esme_config.addr),
            }
            let until = Instant::now() + delay;
            while Instant::now() < until {
                if stop.load(Ordering::Acquire) {
                    return Err(RelayError::Stopped);
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            delay = (delay * 2).min(config.smsc.reconnect_max.max(delay));
        }
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

    /// Writes the metrics file, if one is configured.
    pub fn write_metrics(&self) {
        let backlog = self.shared.spool.count_outgoing().unwrap_or(0);
        self.shared.metrics.set(Gauge::SpoolBacklog, backlog as u64);
        self.shared
            .metrics
            .set(Gauge::WindowInUse, self.shared.esme.in_flight() as u64);
        if let Some(path) = &self.shared.config.metrics_file {
            if let Err(e) = self.shared.metrics.write_textfile(path) {
                log::warn!("metrics file {}: {e}", path.display());
            }
        }
    }

    /// Stops: no new files; waits at most `timeout` for outstanding
    /// responses; unbinds. Files not finished stay in `checked/` and are
    /// resumed at the next start.
    pub fn stop(mut self, timeout: Duration) {
        let shared = self.shared.clone();
        shared.stopping.store(true, Ordering::Release);
        shared.wake();
        if let Some(w) = &shared.watch {
            w.wake();
        }
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && shared.esme.in_flight() > 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        // Let the completer record what just came in.
        std::thread::sleep(Duration::from_millis(20));
        shared.esme.unbind();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        if let Err(e) = lock(&shared.index).sync() {
            log::warn!("message id index: {e}");
        }
        self.write_metrics();
    }
}

/// Whether a failure is worth retrying, and whether it counts against the
/// retry limit.
pub(crate) fn classify(e: &SubmitError) -> Retry {
    match e {
        SubmitError::Status(s) if s.is_transient() => Retry::Counted,
        SubmitError::Status(_) | SubmitError::Refused(_) => Retry::Never,
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
