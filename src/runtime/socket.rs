//! A plain TCP connection's socket, shared by the reactor and the worker
//! that owns the connection's session, so that the worker can write its
//! output itself instead of waking the reactor for every batch.
//!
//! The rule that keeps the bytes in order: the worker writes to the socket
//! only while the reactor holds none of the connection's output. The
//! worker counts the bytes it has handed to the reactor
//! ([`DirectWriter::queued`]); the reactor counts those it has written
//! ([`SharedSocket::flushed`]). When the two are equal, every byte handed
//! over is on the socket, and the worker may write. What the socket does
//! not take at once goes to the reactor as before, which then writes as
//! the socket drains, with its back-pressure (it stops reading a peer
//! whose unread output piles up).
//!
//! A TLS connection has no [`DirectWriter`]: rustls's state lives on the
//! reactor, which encrypts and writes everything.

use mio::net::TcpStream;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The socket and the reactor's count of bytes written for the worker.
pub(crate) struct SharedSocket {
    pub(crate) stream: TcpStream,
    /// Bytes from `Write` commands the reactor has written to the socket.
    pub(crate) flushed: AtomicU64,
}

impl SharedSocket {
    pub(crate) fn new(stream: TcpStream) -> Arc<SharedSocket> {
        Arc::new(SharedSocket {
            stream,
            flushed: AtomicU64::new(0),
        })
    }
}

/// What the worker needs to write straight to a connection.
pub(crate) struct DirectWriter {
    socket: Arc<SharedSocket>,
    /// Bytes handed to the reactor so far.
    queued: u64,
}

impl DirectWriter {
    pub(crate) fn new(socket: Arc<SharedSocket>) -> DirectWriter {
        DirectWriter { socket, queued: 0 }
    }

    /// Writes as much of `bytes` as the socket takes at once, when the
    /// reactor holds none of this connection's output; returns how much
    /// was written. What is left must go to the reactor, counted with
    /// [`DirectWriter::handed_over`]. An error leaves the bytes to the
    /// reactor, which finds the error again and reports the connection
    /// closed.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> usize {
        if self.socket.flushed.load(Ordering::Acquire) != self.queued {
            return 0;
        }
        let mut written = 0;
        while written < bytes.len() {
            match (&self.socket.stream).write(&bytes[written..]) {
                Ok(0) => break,
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        written
    }

    /// Counts bytes handed to the reactor.
    pub(crate) fn handed_over(&mut self, n: usize) {
        self.queued += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    /// A connected pair: the shared socket (non-blocking) and the peer.
    fn pair() -> (Arc<SharedSocket>, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (peer, _) = listener.accept().unwrap();
        ours.set_nonblocking(true).unwrap();
        (SharedSocket::new(TcpStream::from_std(ours)), peer)
    }

    #[test]
    fn writes_only_while_the_reactor_holds_nothing() {
        let (socket, mut peer) = pair();
        let mut writer = DirectWriter::new(socket.clone());
        assert_eq!(writer.write(b"first "), 6);

        // Fill the socket until it takes no more: the rest is the
        // reactor's to write.
        let chunk = vec![b'x'; 1 << 16];
        let mut on_socket = 6usize;
        let left = loop {
            let n = writer.write(&chunk);
            on_socket += n;
            if n < chunk.len() {
                break chunk.len() - n;
            }
        };
        writer.handed_over(left);

        // While the reactor holds those bytes, nothing goes straight out,
        // even once the socket has room again.
        let mut seen = vec![0u8; on_socket];
        peer.read_exact(&mut seen).unwrap();
        assert!(seen.starts_with(b"first "));
        assert_eq!(writer.write(b"later"), 0);

        // The reactor has written all it was handed: direct again.
        socket.flushed.fetch_add(left as u64, Ordering::Release);
        assert_eq!(writer.write(b"later"), 5);
    }
}
