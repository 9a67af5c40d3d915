//! The I/O thread: one `mio::Poll` for every listener and connection.
//!
//! It holds no protocol logic. It accepts, connects, reads every byte that
//! has arrived into one buffer per readiness event and hands it to the
//! connection's worker in one channel message; it writes what workers hand
//! it: a TLS connection's output, and what a plain connection's socket did
//! not take when its worker wrote to it directly (`socket.rs`). Channels
//! are bounded: when a worker's channel is full, the reactor parks the
//! message and stops reading that connection until it can deliver
//! (backpressure), and it never blocks. A peer that stops reading fills our
//! write buffer; past a limit we stop reading from it too, so it cannot make
//! us buffer without end.
//!
//! A TLS connection carries a rustls connection ([`TlsConn`]) beside its
//! socket: what is read is decrypted before it goes to the worker, and the
//! worker's plaintext is encrypted on its way out, still one read and one
//! write per batch. Its worker hears of it (`Connected`) only when the
//! handshake has finished; a failed handshake is a `ConnectFailed` for a
//! dialed connection and one log line for an accepted one.

use super::channel::WorkerMsg;
use super::ids::{ConnId, ListenerId, Origin};
use super::socket::SharedSocket;
use super::tls::{ClientSetup, ServerSetup, TlsConn, TlsFailure};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use mio::net::{TcpListener, TcpStream};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The waker's token: the top of the token range, never a slab index.
pub(crate) const WAKER: Token = Token(usize::MAX);
/// Listener tokens count down from just below the waker.
const LISTENER_BASE: usize = usize::MAX - 1;
/// Read at most this much from one connection per readiness event before
/// giving the others a turn.
const READ_BUDGET: usize = 256 << 10;
/// Stop reading from a peer whose unread output exceeds this.
const WRITE_HIGH_WATER: usize = 1 << 20;
/// Stop reading from a peer whose input the worker has not processed yet
/// exceeds this: a peer that floods requests (and never reads the answers)
/// holds at most this much plus one read in our memory.
pub(crate) const INPUT_HIGH_WATER: usize = 512 << 10;
/// How long a closing connection may take to flush its output.
const CLOSE_LINGER: Duration = Duration::from_secs(5);
/// How long a TLS handshake may take, from the connect or the accept.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Plaintext handed to rustls at a time (it encrypts it into records
/// before the next piece).
const TLS_CHUNK: usize = 64 << 10;

/// Room in the reactor's command channel. The reactor takes every queued
/// command on each turn of its loop, so this is reached only when the
/// workers write faster than it can take the commands: the sender then
/// wakes it and waits ([`send_command`]).
pub(crate) const COMMAND_CAPACITY: usize = 4096;

/// Sends a command to the reactor. When its channel is full, the reactor
/// is woken first (it may be asleep in `poll` with the commands that fill
/// it not yet announced), then the sender waits for room: the reactor
/// never waits on a worker or a handle, so this cannot deadlock. False
/// once the reactor has stopped.
pub(crate) fn send_command(tx: &Sender<ReactorCmd>, waker: &Waker, cmd: ReactorCmd) -> bool {
    match tx.try_send(cmd) {
        Ok(()) => true,
        Err(TrySendError::Disconnected(_)) => false,
        Err(TrySendError::Full(cmd)) => {
            let _ = waker.wake();
            tx.send(cmd).is_ok()
        }
    }
}

/// What workers and handles ask of the reactor.
pub(crate) enum ReactorCmd {
    /// Append bytes to a connection's output.
    Write { conn: ConnId, bytes: Vec<u8> },
    /// Flush the output, then close.
    Close { conn: ConnId },
    /// Open a connection; the result goes to `worker` as `Connected` or
    /// `ConnectFailed`.
    Connect {
        addr: SocketAddr,
        worker: usize,
        origin: Origin,
        /// Speak TLS as the client.
        tls: Option<ClientSetup>,
    },
    /// Accept on this listener; new connections go to `worker`, or to the
    /// workers round robin, tagged with `id`.
    Listen {
        listener: std::net::TcpListener,
        id: ListenerId,
        max_conns: usize,
        worker: Option<usize>,
        /// Speak TLS as the server.
        tls: Option<ServerSetup>,
    },
    /// Stop accepting on this listener.
    Unlisten { id: ListenerId },
    /// Close everything and end the thread.
    Shutdown,
}

struct Conn {
    /// The socket; a plain TCP connection's worker holds it too, and
    /// writes to it while this holds none of its output (`socket.rs`).
    sock: Arc<SharedSocket>,
    id: ConnId,
    worker: usize,
    listener: Option<ListenerId>,
    out: Vec<u8>,
    out_pos: usize,
    /// Waiting for a non-blocking connect to finish.
    connecting: Option<Origin>,
    /// Reading stopped: the worker's channel was full or our output is
    /// piling up.
    read_paused: bool,
    /// Readable, but not read to WouldBlock yet.
    read_pending: bool,
    /// The peer's end is closed (or the socket failed): read to the end
    /// of the stream, not only to a short read.
    read_closed: bool,
    /// In the reactor's `ready` list.
    queued: bool,
    /// Bytes handed to the worker and not yet processed by it; the worker
    /// subtracts what it has handled.
    unprocessed: Arc<AtomicUsize>,
    closing: Option<Instant>,
    interest: Option<Interest>,
    /// TLS, if the connection speaks it.
    tls: Option<Box<TlsConn>>,
    /// A TLS handshake is running: the worker hears of the connection
    /// when it is done.
    handshake: Option<Handshake>,
}

/// A TLS handshake under way.
#[derive(Clone, Copy)]
struct Handshake {
    origin: Origin,
    peer: SocketAddr,
    deadline: Instant,
}

struct Listener {
    listener: TcpListener,
    id: ListenerId,
    max_conns: usize,
    conns: usize,
    worker: Option<usize>,
    tls: Option<ServerSetup>,
}

pub(crate) struct Reactor {
    poll: Poll,
    rx: Receiver<ReactorCmd>,
    workers: Vec<Sender<WorkerMsg>>,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    generations: Vec<u32>,
    listeners: Vec<Option<Listener>>,
    next_worker: usize,
    /// Messages a full worker channel could not take yet, in order.
    backlog: VecDeque<(usize, WorkerMsg)>,
    /// Connections to read from this turn.
    ready: Vec<usize>,
    /// Connections whose reading waits for the backlog to clear.
    paused: Vec<usize>,
    /// Connections flushing their output before they close.
    closing: usize,
    /// Connections in a TLS handshake.
    handshakes: usize,
    read_buf: Vec<u8>,
}

impl Reactor {
    pub(crate) fn new(
        poll: Poll,
        rx: Receiver<ReactorCmd>,
        workers: Vec<Sender<WorkerMsg>>,
    ) -> Reactor {
        Reactor {
            poll,
            rx,
            workers,
            conns: Vec::new(),
            free: Vec::new(),
            generations: Vec::new(),
            listeners: Vec::new(),
            next_worker: 0,
            backlog: VecDeque::new(),
            ready: Vec::new(),
            paused: Vec::new(),
            closing: 0,
            handshakes: 0,
            read_buf: vec![0; 64 * 1024],
        }
    }

    pub(crate) fn waker(poll: &Poll) -> io::Result<Waker> {
        Waker::new(poll.registry(), WAKER)
    }

    /// Runs until `Shutdown`.
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let busy = !self.backlog.is_empty() || !self.ready.is_empty() || self.closing > 0;
            let timeout = if busy {
                Some(Duration::from_millis(1))
            } else {
                // Handshake deadlines are checked every 100 ms.
                (self.handshakes > 0).then_some(Duration::from_millis(100))
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    log::error!("poll failed: {e}");
                    return;
                }
            }
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    Token(t) if t > LISTENER_BASE - self.listeners.len() && t <= LISTENER_BASE => {
                        self.accept(LISTENER_BASE - t)
                    }
                    Token(t) => {
                        if event.is_writable() || event.is_write_closed() || event.is_error() {
                            self.writable(t);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.mark_readable(t, event.is_read_closed() || event.is_error());
                        }
                    }
                }
            }
            if !self.commands() {
                return;
            }
            self.flush_backlog();
            self.read_all();
            if self.closing > 0 {
                self.reap_closing();
            }
            if self.handshakes > 0 {
                self.reap_handshakes();
            }
        }
    }

    /// Handles every queued command; false on shutdown.
    fn commands(&mut self) -> bool {
        while let Ok(cmd) = self.rx.try_recv() {
            match cmd {
                ReactorCmd::Write { conn, bytes } => self.write(conn, bytes),
                ReactorCmd::Close { conn } => self.close_when_flushed(conn),
                ReactorCmd::Connect {
                    addr,
                    worker,
                    origin,
                    tls,
                } => self.connect(addr, worker, origin, tls),
                ReactorCmd::Listen {
                    listener,
                    id,
                    max_conns,
                    worker,
                    tls,
                } => self.listen(listener, id, max_conns, worker, tls),
                ReactorCmd::Unlisten { id } => {
                    for slot in &mut self.listeners {
                        if slot.as_ref().is_some_and(|l| l.id == id) {
                            if let Some(mut l) = slot.take() {
                                let _ = self.poll.registry().deregister(&mut l.listener);
                            }
                        }
                    }
                }
                ReactorCmd::Shutdown => {
                    for i in 0..self.conns.len() {
                        self.drop_conn(i, false);
                    }
                    return false;
                }
            }
        }
        true
    }

    fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conns
            .get_mut(id.index as usize)?
            .as_mut()
            .filter(|c| c.id == id)
    }

    fn add_conn(
        &mut self,
        stream: TcpStream,
        worker: usize,
        listener: Option<ListenerId>,
        connecting: Option<Origin>,
        tls: Option<(TlsConn, Handshake)>,
    ) -> Option<ConnId> {
        let index = self.free.pop().unwrap_or_else(|| {
            self.conns.push(None);
            self.generations.push(0);
            self.conns.len() - 1
        });
        self.generations[index] = self.generations[index].wrapping_add(1);
        let id = ConnId {
            index: index as u32,
            generation: self.generations[index],
        };
        let interest = if connecting.is_some() {
            Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if let Err(e) = self.poll.registry().register(
            &mut SourceFd(&stream.as_raw_fd()),
            Token(index),
            interest,
        ) {
            log::error!("cannot register a connection: {e}");
            self.free.push(index);
            return None;
        }
        let _ = stream.set_nodelay(true);
        let (tls, handshake) = match tls {
            Some((t, h)) => {
                self.handshakes += 1;
                (Some(Box::new(t)), Some(h))
            }
            None => (None, None),
        };
        self.conns[index] = Some(Conn {
            sock: SharedSocket::new(stream),
            id,
            worker,
            listener,
            out: Vec::new(),
            out_pos: 0,
            connecting,
            read_paused: false,
            read_pending: false,
            read_closed: false,
            queued: false,
            unprocessed: Arc::new(AtomicUsize::new(0)),
            closing: None,
            interest: Some(interest),
            tls,
            handshake,
        });
        Some(id)
    }

    fn listen(
        &mut self,
        listener: std::net::TcpListener,
        id: ListenerId,
        max_conns: usize,
        worker: Option<usize>,
        tls: Option<ServerSetup>,
    ) {
        if let Err(e) = listener.set_nonblocking(true) {
            log::error!("listener: {e}");
            return;
        }
        let mut listener = TcpListener::from_std(listener);
        let slot = match self.listeners.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.listeners.push(None);
                self.listeners.len() - 1
            }
        };
        let token = Token(LISTENER_BASE - slot);
        if let Err(e) = self
            .poll
            .registry()
            .register(&mut listener, token, Interest::READABLE)
        {
            log::error!("cannot register a listener: {e}");
            return;
        }
        self.listeners[slot] = Some(Listener {
            listener,
            id,
            max_conns,
            conns: 0,
            worker,
            tls,
        });
        // Connections may have queued before registration.
        self.accept(slot);
    }

    fn accept(&mut self, slot: usize) {
        loop {
            let Some(l) = self.listeners.get_mut(slot).and_then(Option::as_mut) else {
                return;
            };
            let (stream, peer) = match l.listener.accept() {
                Ok(s) => s,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    // EMFILE and friends: log and let the next event retry.
                    log::warn!("accept failed: {e}");
                    return;
                }
            };
            let id = l.id;
            if l.conns >= l.max_conns {
                log::warn!(
                    "session limit {} reached: refusing a connection",
                    l.max_conns
                );
                drop(stream);
                continue;
            }
            l.conns += 1;
            let worker = match l.worker {
                Some(w) => w % self.workers.len(),
                None => {
                    self.next_worker += 1;
                    (self.next_worker - 1) % self.workers.len()
                }
            };
            let origin = Origin::Accepted(id);
            let tls = match l.tls.as_ref().map(TlsConn::server) {
                None => None,
                Some(Ok(t)) => Some((t, Self::handshake(origin, peer))),
                Some(Err(TlsFailure(e))) => {
                    log::error!("TLS with {peer}: {e}");
                    l.conns -= 1;
                    continue;
                }
            };
            let in_handshake = tls.is_some();
            match self.add_conn(stream, worker, Some(id), None, tls) {
                Some(conn) => {
                    if !in_handshake {
                        self.connected(conn.index as usize, worker, conn, peer, origin);
                    }
                    self.mark_readable(conn.index as usize, false);
                }
                None => {
                    if let Some(l) = self.listeners.get_mut(slot).and_then(Option::as_mut) {
                        l.conns -= 1;
                    }
                }
            }
        }
    }

    fn handshake(origin: Origin, peer: SocketAddr) -> Handshake {
        Handshake {
            origin,
            peer,
            deadline: Instant::now() + HANDSHAKE_TIMEOUT,
        }
    }

    fn connect(
        &mut self,
        addr: SocketAddr,
        worker: usize,
        origin: Origin,
        tls: Option<ClientSetup>,
    ) {
        let tls = match tls.as_ref().map(TlsConn::client) {
            None => None,
            Some(Ok(t)) => Some((t, Self::handshake(origin, addr))),
            Some(Err(TlsFailure(e))) => {
                let error = io::Error::other(format!("TLS with {addr}: {e}"));
                return self.send_worker(worker, WorkerMsg::ConnectFailed { origin, error });
            }
        };
        match TcpStream::connect(addr) {
            Ok(stream) => {
                if self
                    .add_conn(stream, worker, None, Some(origin), tls)
                    .is_none()
                {
                    let error = io::Error::other("cannot register the connection");
                    self.send_worker(worker, WorkerMsg::ConnectFailed { origin, error });
                }
            }
            Err(error) => self.send_worker(worker, WorkerMsg::ConnectFailed { origin, error }),
        }
    }

    /// Tells the worker a connection is open, handing it a plain TCP
    /// connection's socket to write to (none for TLS).
    fn connected(
        &mut self,
        index: usize,
        worker: usize,
        conn: ConnId,
        peer: SocketAddr,
        origin: Origin,
    ) {
        let socket = self.conns[index]
            .as_ref()
            .filter(|c| c.tls.is_none())
            .map(|c| c.sock.clone());
        let msg = WorkerMsg::Connected {
            conn,
            peer,
            origin,
            socket,
        };
        self.send_worker(worker, msg);
    }

    fn send_worker(&mut self, worker: usize, msg: WorkerMsg) {
        if !self.backlog.is_empty() {
            self.backlog.push_back((worker, msg));
            return;
        }
        match self.workers[worker].try_send(msg) {
            Ok(()) => {}
            Err(TrySendError::Full(msg)) => self.backlog.push_back((worker, msg)),
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    fn flush_backlog(&mut self) {
        while let Some((worker, msg)) = self.backlog.pop_front() {
            match self.workers[worker].try_send(msg) {
                Ok(()) => {}
                Err(TrySendError::Full(msg)) => {
                    self.backlog.push_front((worker, msg));
                    return;
                }
                Err(TrySendError::Disconnected(_)) => {}
            }
        }
        // Delivered everything: connections paused for backpressure resume.
        for index in std::mem::take(&mut self.paused) {
            let Some(c) = self.conns.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            if c.out.len() - c.out_pos >= WRITE_HIGH_WATER
                || c.closing.is_some()
                || c.unprocessed.load(Ordering::Acquire) >= INPUT_HIGH_WATER
            {
                self.paused.push(index);
                continue;
            }
            c.read_paused = false;
            self.mark_readable(index, false);
        }
    }

    fn mark_readable(&mut self, index: usize, closed: bool) {
        if let Some(c) = self.conns.get_mut(index).and_then(Option::as_mut) {
            c.read_pending = true;
            c.read_closed |= closed;
            if !c.queued {
                c.queued = true;
                self.ready.push(index);
            }
        }
    }

    fn pause_reading(&mut self, index: usize) {
        if let Some(c) = self.conns.get_mut(index).and_then(Option::as_mut) {
            if !c.read_paused {
                c.read_paused = true;
                self.paused.push(index);
            }
        }
    }

    fn read_all(&mut self) {
        for index in std::mem::take(&mut self.ready) {
            let Some(c) = self.conns.get_mut(index).and_then(Option::as_mut) else {
                continue;
            };
            c.queued = false;
            if c.read_pending && !c.read_paused && c.connecting.is_none() {
                self.read(index);
            }
            // Budget used up: read the rest next turn.
            if let Some(c) = self.conns.get_mut(index).and_then(Option::as_mut) {
                if c.read_pending && !c.read_paused && !c.queued {
                    c.queued = true;
                    self.ready.push(index);
                }
            }
        }
    }

    /// Reads until WouldBlock (or the budget), then hands the bytes over.
    fn read(&mut self, index: usize) {
        if !self.backlog.is_empty() {
            return self.pause_reading(index);
        }
        let Some(c) = self.conns[index].as_mut() else {
            return;
        };
        if c.unprocessed.load(Ordering::Acquire) >= INPUT_HIGH_WATER {
            // The worker wakes us when it has caught up.
            return self.pause_reading(index);
        }
        let mut data = Vec::new();
        let mut eof = false;
        let mut failed = None;
        loop {
            match (&c.sock.stream).read(&mut self.read_buf) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => {
                    match c.tls.as_mut() {
                        None => data.extend_from_slice(&self.read_buf[..n]),
                        Some(tls) => match tls.receive(&self.read_buf[..n], &mut data) {
                            Ok(false) => {}
                            Ok(true) => {
                                eof = true;
                                break;
                            }
                            Err(e) => {
                                failed = Some(e);
                                break;
                            }
                        },
                    }
                    if data.len() >= READ_BUDGET {
                        break; // read_pending stays set: more next turn
                    }
                    if n < self.read_buf.len() && c.tls.is_none() && !c.read_closed {
                        // A short read took all there was: what arrives
                        // later is a new edge (epoll is edge-triggered
                        // and a TCP arrival always signals), so the read
                        // that would only say WouldBlock is skipped. A
                        // close already signalled is read to its end.
                        c.read_pending = false;
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    c.read_pending = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("read failed: {e}");
                    eof = true;
                    break;
                }
            }
        }
        let (conn, worker) = (c.id, c.worker);
        if let Some(tls) = c.tls.as_mut() {
            if let Some(h) = c.handshake {
                if eof && failed.is_none() {
                    failed = Some(tls.closed_in_handshake());
                }
                if let Some(TlsFailure(cause)) = failed {
                    // Send the alert that says why, if the socket takes it.
                    let _ = tls.write_to(&mut &c.sock.stream);
                    return self.handshake_failed(index, h, &cause);
                }
                if !tls.is_handshaking() {
                    log::debug!("TLS with {}: {}", h.peer, tls.summary());
                    c.handshake = None;
                    self.handshakes -= 1;
                    let msg = WorkerMsg::Connected {
                        conn,
                        peer: h.peer,
                        origin: h.origin,
                        socket: None,
                    };
                    self.send_worker(worker, msg);
                }
            } else if let Some(TlsFailure(cause)) = &failed {
                let _ = tls.write_to(&mut &c.sock.stream);
                let peer = c.sock.stream.peer_addr().map(|p| p.to_string());
                log::warn!("TLS with {}: {cause}", peer.unwrap_or_default());
                eof = true;
            }
        }
        let Some(c) = self.conns[index].as_mut() else {
            return;
        };
        let tls_output = c.tls.as_ref().is_some_and(|t| t.wants_write());
        if !data.is_empty() {
            c.unprocessed.fetch_add(data.len(), Ordering::AcqRel);
            let unprocessed = c.unprocessed.clone();
            self.send_worker(
                worker,
                WorkerMsg::Data {
                    conn,
                    bytes: data,
                    unprocessed,
                },
            );
        }
        if eof {
            self.send_worker(worker, WorkerMsg::Closed { conn });
            self.drop_conn(index, false);
            return;
        }
        if tls_output {
            // Handshake messages, session tickets, alerts.
            self.flush(index);
        }
        if !self.backlog.is_empty() {
            self.pause_reading(index);
        }
    }

    /// A TLS handshake failed (or ran out of time): a dialed connection's
    /// worker gets `ConnectFailed` with the cause; an accepted one is
    /// logged. The connection closes.
    fn handshake_failed(&mut self, index: usize, h: Handshake, cause: &str) {
        let worker = self.conns[index].as_ref().map_or(0, |c| c.worker);
        self.drop_conn(index, false);
        match h.origin {
            Origin::Dialed(_) => {
                let error = io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    format!("TLS handshake with {} failed: {cause}", h.peer),
                );
                let origin = h.origin;
                self.send_worker(worker, WorkerMsg::ConnectFailed { origin, error });
            }
            Origin::Accepted(_) => {
                log::warn!("TLS handshake with {} failed: {cause}", h.peer);
            }
        }
    }

    fn reap_handshakes(&mut self) {
        let now = Instant::now();
        for index in 0..self.conns.len() {
            let expired = self.conns[index]
                .as_ref()
                .and_then(|c| c.handshake)
                .filter(|h| h.deadline <= now);
            if let Some(h) = expired {
                let cause = format!("no TLS handshake within {HANDSHAKE_TIMEOUT:?}");
                self.handshake_failed(index, h, &cause);
            }
        }
    }

    fn write(&mut self, conn: ConnId, bytes: Vec<u8>) {
        let Some(c) = self.conn_mut(conn) else { return };
        if c.out_pos == c.out.len() {
            c.out = bytes;
            c.out_pos = 0;
        } else {
            c.out.extend_from_slice(&bytes);
        }
        self.flush(conn.index as usize);
    }

    fn writable(&mut self, index: usize) {
        let Some(c) = self.conns.get_mut(index).and_then(Option::as_mut) else {
            return;
        };
        if let Some(origin) = c.connecting {
            let (conn, worker) = (c.id, c.worker);
            match c.sock.stream.take_error() {
                Ok(None) => {}
                Ok(Some(error)) | Err(error) => {
                    self.drop_conn(index, false);
                    self.send_worker(worker, WorkerMsg::ConnectFailed { origin, error });
                    return;
                }
            }
            match c.sock.stream.peer_addr() {
                Ok(peer) => {
                    c.connecting = None;
                    // With TLS the worker hears of it after the handshake.
                    if c.handshake.is_none() {
                        self.connected(index, worker, conn, peer, origin);
                    }
                    self.mark_readable(index, false);
                }
                Err(e) if e.kind() == io::ErrorKind::NotConnected => return,
                Err(error) => {
                    self.drop_conn(index, false);
                    self.send_worker(worker, WorkerMsg::ConnectFailed { origin, error });
                    return;
                }
            }
        }
        self.flush(index);
    }

    /// Writes until the output is empty or the socket is full; keeps the
    /// registered interest in step with what is left.
    fn flush(&mut self, index: usize) {
        let Some(c) = self.conns[index].as_mut() else {
            return;
        };
        let mut failed = false;
        if let Some(tls) = c.tls.as_mut().filter(|_| c.connecting.is_none()) {
            failed = Self::flush_tls(
                tls,
                c.closing.is_some(),
                &c.sock.stream,
                &c.out,
                &mut c.out_pos,
            );
        }
        while c.tls.is_none() && c.out_pos < c.out.len() {
            match (&c.sock.stream).write(&c.out[c.out_pos..]) {
                Ok(0) => {
                    failed = true;
                    break;
                }
                Ok(n) => {
                    c.out_pos += n;
                    c.sock.flushed.fetch_add(n as u64, Ordering::Release);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("write failed: {e}");
                    failed = true;
                    break;
                }
            }
        }
        if failed {
            if let Some(h) = c.handshake {
                return self.handshake_failed(index, h, "the connection failed");
            }
            let (conn, worker) = (c.id, c.worker);
            self.send_worker(worker, WorkerMsg::Closed { conn });
            self.drop_conn(index, false);
            return;
        }
        let tls_pending = c.tls.as_ref().is_some_and(|t| t.wants_write());
        let pending = c.out.len() - c.out_pos + usize::from(tls_pending);
        if pending == 0 {
            c.out.clear();
            c.out_pos = 0;
            if c.out.capacity() > 1 << 20 {
                c.out = Vec::new();
            }
            if c.closing.is_some() {
                self.drop_conn(index, true);
                return;
            }
        } else if c.out_pos > (1 << 16) && c.out_pos * 2 > c.out.len() {
            c.out.drain(..c.out_pos);
            c.out_pos = 0;
        }
        let want = if c.connecting.is_some() || pending > 0 {
            Interest::READABLE | Interest::WRITABLE
        } else {
            Interest::READABLE
        };
        if c.interest != Some(want)
            && self
                .poll
                .registry()
                .reregister(
                    &mut SourceFd(&c.sock.stream.as_raw_fd()),
                    Token(index),
                    want,
                )
                .is_ok()
        {
            c.interest = Some(want);
        }
        if pending > WRITE_HIGH_WATER {
            self.pause_reading(index);
        }
    }

    /// TLS: hands the plaintext to rustls a piece at a time and writes the
    /// records it makes until the socket is full; close_notify goes last
    /// when closing. True when the socket failed.
    fn flush_tls(
        tls: &mut TlsConn,
        closing: bool,
        stream: &TcpStream,
        out: &[u8],
        out_pos: &mut usize,
    ) -> bool {
        loop {
            if !tls.wants_write() && *out_pos < out.len() && !tls.is_handshaking() {
                let end = (*out_pos + TLS_CHUNK).min(out.len());
                *out_pos += tls.send(&out[*out_pos..end]);
            }
            if closing && *out_pos == out.len() {
                tls.close();
            }
            if !tls.wants_write() {
                return false;
            }
            match tls.write_to(&mut &*stream) {
                Ok(0) => return true,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    log::debug!("write failed: {e}");
                    return true;
                }
            }
        }
    }

    fn close_when_flushed(&mut self, conn: ConnId) {
        let Some(c) = self.conn_mut(conn) else { return };
        let tls = c.tls.is_some();
        if c.out_pos == c.out.len() && !tls {
            self.drop_conn(conn.index as usize, true);
            return;
        }
        if c.closing.is_none() {
            c.closing = Some(Instant::now() + CLOSE_LINGER);
            self.closing += 1;
            self.pause_reading(conn.index as usize);
        }
        if tls {
            // close_notify, after the rest of the output.
            self.flush(conn.index as usize);
        }
    }

    fn reap_closing(&mut self) {
        let now = Instant::now();
        for index in 0..self.conns.len() {
            let expired = self.conns[index]
                .as_ref()
                .and_then(|c| c.closing)
                .is_some_and(|deadline| deadline <= now);
            if expired {
                log::debug!("closing a connection with unsent output");
                self.drop_conn(index, true);
            }
        }
    }

    fn drop_conn(&mut self, index: usize, shutdown: bool) {
        let Some(c) = self.conns.get_mut(index).and_then(Option::take) else {
            return;
        };
        if c.closing.is_some() {
            self.closing -= 1;
        }
        if c.handshake.is_some() {
            self.handshakes -= 1;
        }
        let fd = c.sock.stream.as_raw_fd();
        let _ = self.poll.registry().deregister(&mut SourceFd(&fd));
        // The worker may still hold the socket for a moment (until it hears
        // `Closed` or closes the session): shut it down now, so that the
        // peer sees the close when it happens, as a close of the last
        // descriptor would show it.
        if shutdown || Arc::strong_count(&c.sock) > 1 {
            let _ = c.sock.stream.shutdown(std::net::Shutdown::Both);
        }
        if let Some(lid) = c.listener {
            for l in self.listeners.iter_mut().flatten() {
                if l.id == lid {
                    l.conns = l.conns.saturating_sub(1);
                }
            }
        }
        self.free.push(index);
    }
}
