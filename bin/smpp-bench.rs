//! `smpp-bench`: a load generator for any SMSC. See `smpp-bench --help`.

#[path = "common/args.rs"]
mod args;
#[path = "cli/smpp_bench.rs"]
mod cli;
#[path = "common/latency.rs"]
mod latency;
#[path = "cli/values.rs"]
mod values;

use clap::Parser;
use crossbeam_channel::RecvTimeoutError;
use latency::Histogram;
use smpp::pdu::{Address, Body, ShortMessage, SubmitSm, Tlv, TlvTag};
use smpp::runtime::{
    Completion, Esme, EsmeConfig, LinkSubmitter, Runtime, RuntimeConfig, SubmitError, SubmitMode,
};
use smpp::session::BindMode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

const PROG: &str = "smpp-bench";

fn main() {
    let cli = cli::Cli::parse();
    args::init_logging(cli.verbose);
    let addr = cli.connect.as_str();
    let mode = match cli.bind {
        cli::Bind::Tx => BindMode::Transmitter,
        cli::Bind::Trx => BindMode::Transceiver,
    };
    let sessions = cli.sessions;
    let window = cli.window;
    let count = cli.count;
    let rate = cli.rate;
    let size = cli.size;
    let timeout = cli.timeout_secs;
    let hold = cli.hold_secs;
    let enquire = cli.enquire_link_secs;
    let system_id = cli.system_id.as_str();
    let password = cli.password.as_str();

    let mut config = EsmeConfig::new(addr, system_id, password);
    config.mode = mode;
    config.sessions = sessions;
    config.session.window = window;
    config.session.response_timeout = Duration::from_secs(timeout);
    config.session.max_inbound_pending = usize::MAX;
    config.reconnect = None;
    config.auto_ack = true;
    config.session.enquire_link_interval = (enquire > 0).then(|| Duration::from_secs(enquire));
    config.connect_timeout = Duration::from_secs(10 + sessions as u64 / 100);
    if cli.tls {
        #[cfg(feature = "tls")]
        {
            let options = smpp::tls::TlsClientOptions {
                ca_file: cli.tls_ca.clone(),
                insecure: cli.tls_insecure,
                ..Default::default()
            };
            match options.connector() {
                Ok(c) => config.tls = Some(c),
                Err(e) => {
                    eprintln!("{PROG}: --tls: {e}");
                    std::process::exit(2);
                }
            }
        }
        #[cfg(not(feature = "tls"))]
        {
            eprintln!("{PROG}: this build has no TLS (cargo feature `tls`)");
            std::process::exit(2);
        }
    }

    let mut rt_config = RuntimeConfig::default();
    rt_config.workers = cli.workers.unwrap_or(rt_config.workers.min(sessions));
    let rt = Runtime::start(rt_config).unwrap_or_else(|e| {
        eprintln!("{PROG}: cannot start: {e}");
        std::process::exit(1)
    });
    let bind_start = Instant::now();
    let esme = match Esme::connect(&rt, config) {
        Ok(e) => {
            let secs = bind_start.elapsed().as_secs_f64();
            eprintln!(
                "{PROG}: bound {sessions} session(s) in {secs:.3} s ({:.0} binds/s)",
                sessions as f64 / secs.max(1e-9)
            );
            Arc::new(e)
        }
        Err(e) => {
            eprintln!("{PROG}: {addr}: {e}");
            std::process::exit(1);
        }
    };

    let template = submit_template(size);
    // Deliveries (receipts, MO) are answered automatically; drain them so
    // the event channel never fills.
    let events = esme.clone();
    std::thread::spawn(move || while events.events().recv().is_ok() {});

    let run = Run {
        esme: &esme,
        template: &template,
        count,
        // Longer than any response takes: a submit times out before it.
        stall: Duration::from_secs(timeout + 5),
        slots: sessions.saturating_mul(window),
    };
    let (tally, seconds) = if rate == 0 {
        run.on_workers()
    } else {
        run.paced(rate)
    };
    let Tally {
        submitted,
        acked,
        failed,
        refused,
        first_error,
        latencies,
    } = tally;
    if hold > 0 {
        eprintln!("{PROG}: holding {sessions} session(s) for {hold} s");
        std::thread::sleep(Duration::from_secs(hold));
    }
    esme.unbind();
    if let Some(e) = first_error {
        eprintln!("{PROG}: first failure: {e}");
    }
    let failed = failed + refused;
    println!(
        "submitted={submitted} acked={acked} failed={failed} seconds={seconds:.3} rate={:.0} p50_us={} p99_us={}",
        acked as f64 / seconds.max(1e-9),
        latencies.quantile(0.50),
        latencies.quantile(0.99)
    );
    if acked == 0 && count > 0 {
        std::process::exit(1);
    }
}

/// What the completion handlers and the starting thread share in a run on
/// the workers. Tickets are numbered from 0 in submit order, so each
/// submit has its own slot in `sent_at`.
struct Progress {
    start: Instant,
    count: u64,
    /// Submits taken to start (one given back when it did not go out).
    started: AtomicU64,
    /// Outcomes recorded.
    done: AtomicU64,
    failures: AtomicU64,
    refused: AtomicU64,
    /// A link refused a submit (it closed): no more are started.
    stopped: AtomicBool,
    first_error: Mutex<Option<SubmitError>>,
    /// When each ticket's submit went out, in ns from `start`.
    sent_at: Vec<AtomicU64>,
    /// The latencies of the outcomes recorded (`done`).
    latencies: Mutex<Histogram>,
    finished: Mutex<bool>,
    wake: Condvar,
}

impl Progress {
    fn new(count: u64) -> Progress {
        Progress {
            start: Instant::now(),
            count,
            started: AtomicU64::new(0),
            done: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            stopped: AtomicBool::new(false),
            first_error: Mutex::new(None),
            sent_at: (0..count).map(|_| AtomicU64::new(0)).collect(),
            latencies: Mutex::new(Histogram::new()),
            finished: Mutex::new(false),
            wake: Condvar::new(),
        }
    }

    fn now(&self) -> u64 {
        self.at(Instant::now())
    }

    /// `time` in nanoseconds since the start.
    fn at(&self, time: Instant) -> u64 {
        time.saturating_duration_since(self.start).as_nanos() as u64
    }

    /// Takes the right to start up to `want` more submits: how many.
    fn reserve(&self, want: u64) -> u64 {
        if self.stopped.load(Ordering::SeqCst) {
            return 0;
        }
        let mut granted = 0;
        let _ = self
            .started
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                granted = want.min(self.count - n);
                (granted > 0).then_some(n + granted)
            });
        granted
    }

    /// `n` submits taken did not go out: one was refused with `e`. A full
    /// window is no failure (the next outcome frees a slot and tries
    /// again), but the link's close is: no more are started.
    fn not_sent(&self, n: u64, e: SubmitError) {
        self.started.fetch_sub(n, Ordering::SeqCst);
        if e != SubmitError::WindowFull {
            log::warn!("submit refused: {e}");
            self.refused.fetch_add(1, Ordering::SeqCst);
            self.stopped.store(true, Ordering::SeqCst);
        }
        self.check_finished();
    }

    fn failed(&self, e: SubmitError) {
        self.failures.fetch_add(1, Ordering::SeqCst);
        lock(&self.first_error).get_or_insert(e);
    }

    /// `n` outcomes recorded (after the submits they made room for).
    fn completed(&self, n: u64) {
        self.done.fetch_add(n, Ordering::SeqCst);
        self.check_finished();
    }

    fn check_finished(&self) {
        let started = self.started.load(Ordering::SeqCst);
        if self.done.load(Ordering::SeqCst) == started
            && (started == self.count || self.stopped.load(Ordering::SeqCst))
        {
            *lock(&self.finished) = true;
            self.wake.notify_all();
        }
    }

    /// Until every submit started has its outcome, or none came for
    /// `stall`.
    fn wait(&self, stall: Duration) {
        let mut finished = lock(&self.finished);
        let mut last = self.done.load(Ordering::SeqCst);
        while !*finished {
            let (f, waited) = self
                .wake
                .wait_timeout(finished, stall)
                .unwrap_or_else(PoisonError::into_inner);
            finished = f;
            if waited.timed_out() {
                let done = self.done.load(Ordering::SeqCst);
                if done == last {
                    return;
                }
                last = done;
            }
        }
    }
}

/// What one link's handler holds of the shared counts, so that the
/// workers seldom write the same cache line: submits are taken from
/// [`Progress`] `CHUNK` at a time, and outcomes are added `CHUNK` at a
/// time, each one once no submit is left to take (so the last outcome of
/// the run is always counted at once).
#[derive(Default)]
struct LinkShare {
    /// Submits taken and not started yet.
    budget: u64,
    /// Outcomes not added to the shared count yet, and their latencies
    /// in µs.
    done: u64,
    latencies: Vec<u32>,
    /// No submit was left to take.
    exhausted: bool,
}

const CHUNK: u64 = 64;

impl LinkShare {
    fn take_one(&mut self, shared: &Progress) -> bool {
        if self.budget == 0 && !self.exhausted {
            self.budget = shared.reserve(CHUNK);
            self.exhausted = self.budget == 0;
        }
        if self.budget == 0 {
            return false;
        }
        self.budget -= 1;
        true
    }

    fn not_sent(&mut self, shared: &Progress, e: SubmitError) {
        if e == SubmitError::WindowFull {
            // Kept for the next outcome.
            self.budget += 1;
        } else {
            self.exhausted = true;
            shared.not_sent(std::mem::take(&mut self.budget) + 1, e);
        }
    }

    /// An outcome, `us` µs after its submit.
    fn completed(&mut self, shared: &Progress, us: u32) {
        self.done += 1;
        self.latencies.push(us);
        if self.done >= CHUNK || self.exhausted {
            // The latencies first: whoever sees the count sees them.
            let mut all = lock(&shared.latencies);
            for us in self.latencies.drain(..) {
                all.record(us);
            }
            drop(all);
            shared.completed(std::mem::take(&mut self.done));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What a run counts.
#[derive(Default)]
struct Tally {
    submitted: u64,
    acked: u64,
    failed: u64,
    /// Submits the ESME refused (the link closed).
    refused: u64,
    first_error: Option<SubmitError>,
    /// Of each acknowledged or failed submit, in µs.
    latencies: Histogram,
}

/// One measured run: `count` submits of `template`.
struct Run<'a> {
    esme: &'a Esme,
    template: &'a SubmitSm,
    count: u64,
    /// No outcome for this long: the run gives up.
    stall: Duration,
    /// Window slots over all links.
    slots: usize,
}

impl Run<'_> {
    /// As fast as the window allows: each outcome is taken on the worker
    /// that matched its response, and the next submit goes out from there
    /// (a completion handler); this thread only starts the run and waits.
    fn on_workers(&self) -> (Tally, f64) {
        let shared = Arc::new(Progress::new(self.count));
        let template = Body::SubmitSm(self.template.clone());
        self.esme.set_completion_handler(|_link| {
            let shared = shared.clone();
            let template = template.clone();
            let mut mine = LinkShare::default();
            move |c: Completion, link: &mut LinkSubmitter<'_>| {
                // The batch's time: no clock read per outcome.
                let now = shared.at(link.now());
                let at = shared.sent_at[c.ticket.0 as usize].load(Ordering::Relaxed);
                let us = (now.saturating_sub(at) / 1000) as u32;
                if let Err(e) = c.outcome {
                    shared.failed(e);
                }
                if mine.take_one(&shared) {
                    match link.submit(template.clone()) {
                        Ok(t) => shared.sent_at[t.0 as usize].store(now, Ordering::Relaxed),
                        Err(e) => mine.not_sent(&shared, e),
                    }
                }
                mine.completed(&shared, us);
            }
        });
        // The first window of every link, from here.
        let first = shared.now();
        for at in shared.sent_at.iter().take(self.slots) {
            at.store(first, Ordering::Relaxed);
        }
        while shared.reserve(1) == 1 {
            let at = shared.now();
            match self
                .esme
                .submit_async(template.clone(), SubmitMode::FailFast)
            {
                Ok(t) => shared.sent_at[t.0 as usize].store(at, Ordering::Relaxed),
                Err(e) => {
                    shared.not_sent(1, e);
                    break;
                }
            }
        }
        shared.wait(self.stall);
        let seconds = shared.start.elapsed().as_secs_f64();
        let started = shared.started.load(Ordering::SeqCst);
        let completed = shared.done.load(Ordering::SeqCst);
        if completed < started {
            eprintln!("{PROG}: no outcome for {} submits", started - completed);
        }
        let failed = shared.failures.load(Ordering::SeqCst);
        let latencies = std::mem::take(&mut *lock(&shared.latencies));
        let tally = Tally {
            submitted: started,
            acked: completed - failed,
            failed,
            refused: shared.refused.load(Ordering::SeqCst),
            first_error: *lock(&shared.first_error),
            latencies,
        };
        (tally, seconds)
    }

    /// At `rate` submits a second: one thread keeps the window full up to
    /// the rate and collects the outcomes, as a non-async program would:
    /// submit until the rate or the window says wait, then take the
    /// completions that have come.
    fn paced(&self, rate: u64) -> (Tally, f64) {
        let (esme, count, stall) = (self.esme, self.count, self.stall);
        let template = self.template;
        let start = Instant::now();
        let mut sent_at = vec![0u64; count as usize];
        let mut latencies = Histogram::new();
        let (mut submitted, mut acked, mut failed, mut refused) = (0u64, 0u64, 0u64, 0u64);
        let mut first_error = None;
        let mut stopped = false;
        let mut batch = Vec::new();
        loop {
            let mut next_due = None;
            while submitted < count && !stopped {
                let due = start + Duration::from_nanos(submitted * 1_000_000_000 / rate);
                if due > Instant::now() {
                    next_due = Some(due);
                    break;
                }
                sent_at[submitted as usize] = start.elapsed().as_nanos() as u64;
                match esme.submit_async(Body::SubmitSm(template.clone()), SubmitMode::FailFast) {
                    Ok(_) => submitted += 1,
                    Err(SubmitError::WindowFull) if submitted > acked + failed => break,
                    Err(e) => {
                        refused += 1;
                        log::warn!("submit refused: {e}");
                        stopped = true;
                    }
                }
            }
            if acked + failed == submitted && (submitted == count || stopped) {
                break;
            }
            let first = if submitted == acked + failed {
                // Nothing out: only the rate holds the next submit back.
                std::thread::sleep(next_due.map_or(Duration::ZERO, |d| {
                    d.saturating_duration_since(Instant::now())
                }));
                continue;
            } else {
                let wait = next_due.map_or(stall, |d| d.saturating_duration_since(Instant::now()));
                match esme.completions().recv_timeout(wait) {
                    Ok(c) => Some(c),
                    Err(RecvTimeoutError::Timeout) if next_due.is_some() => None,
                    Err(_) => {
                        eprintln!(
                            "{PROG}: no outcome for {} submits",
                            submitted - acked - failed
                        );
                        break;
                    }
                }
            };
            batch.extend(first);
            esme.completions().take_all(&mut batch);
            for c in batch.drain(..) {
                let now = start.elapsed().as_nanos() as u64;
                let at = sent_at[c.ticket.0 as usize];
                latencies.record(((now.saturating_sub(at)) / 1000) as u32);
                match c.outcome {
                    Ok(_) => acked += 1,
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        let seconds = start.elapsed().as_secs_f64();
        let tally = Tally {
            submitted,
            acked,
            failed,
            refused,
            first_error,
            latencies,
        };
        (tally, seconds)
    }
}

fn submit_template(size: usize) -> SubmitSm {
    let text: Vec<u8> = (0..size.max(1)).map(|i| b'a' + (i % 26) as u8).collect();
    let mut sm = SubmitSm {
        source: Address::new(5, 0, "bench").unwrap_or_default(),
        dest: Address::new(1, 1, "447700900123").unwrap_or_default(),
        ..SubmitSm::default()
    };
    if text.len() <= ShortMessage::MAX {
        sm.short_message = ShortMessage::new(&text).unwrap_or_default();
    } else {
        sm.tlvs.push(Tlv::octets(TlvTag::MessagePayload, text));
    }
    sm
}
