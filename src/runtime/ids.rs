//! Names the threads use for connections and listeners, and the socket
//! set-up every layer shares.

use std::io;
use std::net::SocketAddr;

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

/// A session's id for handles: its connection, packed.
pub(crate) fn session_id(conn: ConnId) -> u64 {
    (u64::from(conn.generation) << 32) | u64::from(conn.index)
}

/// The connection of a session id ([`session_id`]).
pub(crate) fn conn_of(id: u64) -> ConnId {
    ConnId {
        index: id as u32,
        generation: (id >> 32) as u32,
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
