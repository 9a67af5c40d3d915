//! The runtime: one I/O thread, N worker threads, and the blocking
//! [`Esme`] and [`Smsc`] handles that programs use.
//!
//! ```text
//!  application threads          I/O thread                worker threads (N)
//!  (blocking API calls)  <->  mio::Poll reactor   <->   sessions (sans-IO state machines)
//!    Esme / Smsc handles       sockets, accept,          + one timer wheel per worker
//!    crossbeam channels        read/write buffers        enquire_link, response, bind,
//!                              (no protocol logic)       unbind timers, throttling
//! ```
//!
//! - The reactor reads every byte that has arrived on a connection and hands
//!   the batch to the worker that owns the connection, in one bounded
//!   channel message; it writes what the workers send back. It never blocks:
//!   a full channel stops reading that socket.
//! - A session lives on one worker for its whole life, so no lock guards it.
//!   The worker feeds it bytes and time, answers the whole batch into one
//!   buffer, and wakes the reactor once per batch. Responses are matched on
//!   the worker, never behind application work.
//! - Application threads talk to workers over channels: an [`Esme`] submit
//!   takes a window permit (waiting for one, or failing fast), and its
//!   outcome comes back on a channel.
//!
//! The thread count does not grow with the number of sessions.
//!
//! # Sending messages: an ESME
//!
//! Start a [`Runtime`] once, connect an [`Esme`] (it returns once bound),
//! then submit from any thread. [`Esme::submit`] waits for the response;
//! [`Esme::submit_async`] returns a [`Ticket`] at once and the response
//! arrives on [`Esme::completions`]. Deliveries (MO messages and receipts)
//! and link changes arrive on [`Esme::events`]; a receipt names the ticket
//! of the submit it reports on. Acknowledge each [`Delivery`] once it is
//! safe to.
//!
//! ```no_run
//! use smpp::pdu::{Address, Body, ShortMessage, SubmitSm};
//! use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime, SubmitMode};
//! use std::time::Duration;
//!
//! let rt = Runtime::new()?;
//! let esme = Esme::connect(&rt, EsmeConfig::new("127.0.0.1:2775", "smppclient1", "password"))?;
//! let submit = SubmitSm {
//!     dest: Address::new(1, 1, "447700900123")?,
//!     short_message: ShortMessage::new(b"hello")?,
//!     registered_delivery: 1,
//!     ..SubmitSm::default()
//! };
//! let ticket = esme.submit_async(Body::SubmitSm(submit), SubmitMode::Wait(Duration::from_secs(5)))?;
//! let response = esme.completions().recv()?.outcome?;
//! println!("accepted: {:?}", response.body);
//! while let Ok(event) = esme.events().recv_timeout(Duration::from_secs(30)) {
//!     if let EsmeEvent::Delivery(d) = event {
//!         let mine = d.ticket == Some(ticket);
//!         if let (true, Some(receipt)) = (mine, &d.receipt) {
//!             println!("message {} is {:?}", receipt.id, receipt.stat);
//!         }
//!         d.ack();
//!         if mine {
//!             break;
//!         }
//!     }
//! }
//! esme.unbind();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A lost link reconnects with backoff ([`EsmeConfig::reconnect`]); a
//! submit that was on the wire when it went comes back as
//! [`SubmitError::LinkLost`]` { maybe_delivered: true }`. To take an SMSC's
//! outbind instead of dialing, use [`Esme::listen_outbind`].
//!
//! # Serving ESMEs: an SMSC
//!
//! Implement [`SmscHandler`] (check binds, answer submits with a message
//! id) and [`Smsc::listen`]. The handler runs on the worker threads, next
//! to the sessions: it must answer at once and never block. It can
//! schedule deliver_sm on the session, such as a receipt, with
//! [`SmscContext::deliver_after`]; [`Smsc::deliver`] sends one from any
//! thread.
//!
//! ```no_run
//! use smpp::datetime::DateTime;
//! use smpp::pdu::{Bind, COctet, CommandStatus, SubmitSm};
//! use smpp::receipt::{receipt_deliver_sm, MessageState};
//! use smpp::runtime::{Runtime, Smsc, SmscConfig, SmscContext, SmscHandler};
//! use smpp::session::BindMode;
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::time::{Duration, SystemTime};
//!
//! struct Handler(AtomicU64);
//!
//! impl SmscHandler for Handler {
//!     fn authenticate(&self, bind: &Bind, _mode: BindMode) -> Result<(), CommandStatus> {
//!         let ok = smpp::auth::constant_time_eq(bind.password.as_bytes(), b"password");
//!         if ok { Ok(()) } else { Err(CommandStatus::InvPaswd) }
//!     }
//!
//!     fn submit_sm(
//!         &self,
//!         ctx: &mut SmscContext<'_>,
//!         sm: &SubmitSm,
//!     ) -> Result<COctet<65>, CommandStatus> {
//!         let id = format!("{:x}", self.0.fetch_add(1, Ordering::Relaxed));
//!         if sm.registered_delivery & 0x03 == 1 {
//!             let now = DateTime::from_system_time(SystemTime::now());
//!             let receipt = receipt_deliver_sm(sm, &id, MessageState::Delivered, now, now);
//!             ctx.deliver_after(Duration::from_secs(1), receipt);
//!         }
//!         COctet::try_from(id.as_str()).map_err(|_| CommandStatus::SysErr)
//!     }
//! }
//!
//! let rt = Runtime::new()?;
//! let smsc = Smsc::listen(&rt, "127.0.0.1:2775", SmscConfig::default(), Handler(AtomicU64::new(1)))?;
//! println!("listening on {}", smsc.local_addr());
//! // ... until it is time to stop:
//! smsc.shutdown(Duration::from_secs(5));
//! println!("{}", smsc.stats());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Complete programs: `examples/send_one.rs` and `examples/minimal_smsc.rs`
//! (`cargo run --example minimal_smsc`, then `cargo run --example
//! send_one` in another terminal).

mod esme;
mod idmap;
mod reactor;
mod smsc;
pub(crate) mod sync;
mod tls;
mod worker;

pub use esme::{
    describe_io_error, Completion, Delivery, Esme, EsmeConfig, EsmeError, EsmeEvent, LinkState,
    Reconnect, SubmitError, SubmitMode, Ticket,
};
pub use smsc::{SessionInfo, Smsc, SmscConfig, SmscContext, SmscHandler, SmscStats, SmscTimer};

use crossbeam_channel::{bounded, Sender};
use mio::{Poll, Waker};
use reactor::{Reactor, ReactorCmd};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use worker::{Worker, WorkerMsg};

/// A connection, as the reactor names it: a slab index and a generation, so
/// a stale id never reaches a newer connection in the same slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ConnId {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

/// A listener registered with the reactor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ListenerId(pub(crate) u64);

/// Where a new connection came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Accepted on a listener.
    Accepted(ListenerId),
    /// Dialed for an endpoint (an ESME link, or an SMSC outbind).
    Dialed(u64),
}

/// Runtime settings.
#[derive(Clone, Debug)]
pub struct RuntimeConfig {
    /// Worker threads (default: the number of CPUs).
    pub workers: usize,
    /// Capacity of each worker's channel, in messages (default 1024).
    pub channel_capacity: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        RuntimeConfig {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            channel_capacity: 1024,
        }
    }
}

pub(crate) struct Inner {
    reactor: Sender<ReactorCmd>,
    waker: Arc<Waker>,
    workers: Vec<Sender<WorkerMsg>>,
    next_worker: AtomicUsize,
    next_id: AtomicU64,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

impl Inner {
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

impl Drop for Inner {
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
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.inner.workers.len())
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
            inner: Arc::new(Inner {
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
        self.inner.workers.len()
    }
}

/// Listens on `addr` with a deep accept queue (4096, the kernel caps it at
/// `net.core.somaxconn`): thousands of ESMEs reconnecting at once after an
/// outage must not wait out SYN retransmits behind the usual 128.
pub(crate) fn listen(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(4096)?;
    Ok(socket.into())
}

/// Resolves `addr` to its first socket address.
pub(crate) fn resolve(addr: &str) -> io::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    addr.to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{addr}: no address")))
}
