//! The runtime's threads: one reactor and N workers, started together and
//! stopped when the last handle goes.

use super::channel::WorkerMsg;
use super::reactor::{self, Reactor, ReactorCmd};
use super::sync;
use super::worker::Worker;
use crossbeam_channel::{bounded, Sender};
use mio::{Poll, Waker};
use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Runtime settings.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Worker threads (default: one less than the number of CPUs, at
    /// least one).
    ///
    /// The reactor thread is busy whenever the workers are: it reads
    /// every socket. A worker per CPU on top of it puts more busy threads
    /// than CPUs, and the scheduler then switches between them within
    /// each batch. On two CPUs, one worker instead of two carried 4 binds'
    /// submits at 18% more per second for 22% less CPU (both ends on one
    /// machine; BENCHMARKS.md, the fourth round).
    pub workers: usize,
    /// Capacity of each worker's channel, in messages (default 1024).
    pub channel_capacity: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            workers: default_workers(),
            channel_capacity: 1024,
        }
    }
}

/// One worker per CPU the reactor leaves free, and at least one.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// What every clone of a [`Runtime`] shares: the way to each thread, and
/// the threads themselves (joined when the last clone goes).
pub(crate) struct Threads {
    reactor: Sender<ReactorCmd>,
    waker: Arc<Waker>,
    workers: Vec<Sender<WorkerMsg>>,
    next_worker: AtomicUsize,
    next_id: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Threads {
    pub(crate) fn reactor(&self, cmd: ReactorCmd) {
        if reactor::send_command(&self.reactor, &self.waker, cmd) {
            let _ = self.waker.wake();
        }
    }

    pub(crate) fn pick_worker(&self) -> usize {
        self.next_worker.fetch_add(1, Ordering::Relaxed) % self.workers.len()
    }

    pub(crate) fn worker(&self, index: usize) -> &Sender<WorkerMsg> {
        &self.workers[index % self.workers.len()]
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

impl Drop for Threads {
    fn drop(&mut self) {
        for w in &self.workers {
            let _ = w.send(WorkerMsg::Shutdown);
        }
        let _ = reactor::send_command(&self.reactor, &self.waker, ReactorCmd::Shutdown);
        let _ = self.waker.wake();
        let current = std::thread::current().id();
        for t in std::mem::take(&mut *sync::lock(&self.threads)) {
            if t.thread().id() != current {
                let _ = t.join();
            }
        }
    }
}

/// The threads that run sessions: one reactor and N workers. Cheap to
/// clone; the threads stop when the last clone (and every handle made from
/// it) is dropped.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) threads: Arc<Threads>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.threads.workers.len())
            .finish()
    }
}

impl Runtime {
    /// Starts the threads.
    pub fn start(config: RuntimeConfig) -> io::Result<Runtime> {
        let poll = Poll::new()?;
        let waker = Arc::new(Reactor::waker(&poll)?);
        let (reactor_tx, reactor_rx) = bounded(reactor::COMMAND_CAPACITY);
        let workers = config.workers.max(1);
        let mut senders = Vec::with_capacity(workers);
        let mut receivers = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (tx, rx) = bounded(config.channel_capacity.max(16));
            senders.push(tx);
            receivers.push(rx);
        }
        let mut threads = Vec::new();
        let reactor = Reactor::new(poll, reactor_rx, senders.clone());
        threads.push(
            std::thread::Builder::new()
                .name("smpp-io".into())
                .spawn(move || reactor.run())?,
        );
        for (i, rx) in receivers.into_iter().enumerate() {
            let worker = Worker::new(i, rx, reactor_tx.clone(), waker.clone(), senders[i].clone());
            threads.push(
                std::thread::Builder::new()
                    .name(format!("smpp-worker-{i}"))
                    .spawn(move || worker.run())?,
            );
        }
        Ok(Runtime {
            threads: Arc::new(Threads {
                reactor: reactor_tx,
                waker,
                workers: senders,
                next_worker: AtomicUsize::new(0),
                next_id: AtomicU64::new(1),
                threads: Mutex::new(threads),
            }),
        })
    }

    /// Starts a runtime with default settings.
    pub fn new() -> io::Result<Runtime> {
        Runtime::start(RuntimeConfig::default())
    }

    /// Worker threads.
    pub fn workers(&self) -> usize {
        self.threads.workers.len()
    }
}
