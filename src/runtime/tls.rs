//! TLS inside the reactor: a rustls connection next to each TLS socket.
//!
//! The reactor reads ciphertext into its buffer and feeds it here
//! ([`TlsConn::receive`]), which hands back plaintext; it gives plaintext
//! ([`TlsConn::send`]) and writes the records rustls queues
//! ([`TlsConn::write_to`]) when the socket takes them. Nothing here touches
//! a socket or blocks. Without the `tls` feature the types are empty enums:
//! no value exists, and the reactor's TLS branches compile to nothing.

#[cfg(feature = "tls")]
pub(crate) use imp::*;
#[cfg(not(feature = "tls"))]
pub(crate) use none::*;

#[cfg(feature = "tls")]
mod imp {
    use crate::runtime::esme_types::EsmeConfig;
    use crate::runtime::smsc_types::SmscConfig;
    use crate::tls::{describe, TlsAcceptor, TlsConnector};
    use rustls::pki_types::ServerName;
    use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};
    use std::io::{self, Read, Write};
    use std::sync::Arc;

    /// How to start the client side of a dialed connection.
    #[derive(Clone)]
    pub(crate) struct ClientSetup {
        config: Arc<ClientConfig>,
        name: ServerName<'static>,
    }

    /// How to start the server side of an accepted connection.
    #[derive(Clone)]
    pub(crate) struct ServerSetup {
        config: Arc<ServerConfig>,
    }

    fn client_setup(tls: Option<&TlsConnector>, addr: &str) -> io::Result<Option<ClientSetup>> {
        let Some(c) = tls else { return Ok(None) };
        let name = c.name_for(addr)?;
        Ok(Some(ClientSetup {
            config: c.config.clone(),
            name,
        }))
    }

    fn server_setup(tls: Option<&TlsAcceptor>) -> Option<ServerSetup> {
        tls.map(|a| ServerSetup {
            config: a.config.clone(),
        })
    }

    /// An ESME's dials: `EsmeConfig::tls`, for its address.
    pub(crate) fn esme_client(config: &EsmeConfig) -> io::Result<Option<ClientSetup>> {
        client_setup(config.tls.as_ref(), &config.addr)
    }

    /// An ESME's outbind listener: `EsmeConfig::outbind_tls`.
    pub(crate) fn esme_server(config: &EsmeConfig) -> Option<ServerSetup> {
        server_setup(config.outbind_tls.as_ref())
    }

    /// An SMSC's listener: `SmscConfig::tls`.
    pub(crate) fn smsc_server(config: &SmscConfig) -> Option<ServerSetup> {
        server_setup(config.tls.as_ref())
    }

    /// An SMSC's outbind dial to `addr`: `SmscConfig::outbind_tls`.
    pub(crate) fn smsc_client(config: &SmscConfig, addr: &str) -> io::Result<Option<ClientSetup>> {
        client_setup(config.outbind_tls.as_ref(), addr)
    }

    /// A connection's TLS state.
    pub(crate) struct TlsConn {
        conn: Connection,
        /// The first byte received: a TLS peer's is a handshake (22) or an
        /// alert (21) record.
        first: Option<u8>,
        close_sent: bool,
    }

    /// Why a TLS connection failed.
    pub(crate) struct TlsFailure(pub(crate) String);

    impl TlsConn {
        pub(crate) fn client(setup: &ClientSetup) -> Result<TlsConn, TlsFailure> {
            let c = ClientConnection::new(setup.config.clone(), setup.name.clone())
                .map_err(|e| TlsFailure(e.to_string()))?;
            Ok(TlsConn::of(c.into()))
        }

        pub(crate) fn server(setup: &ServerSetup) -> Result<TlsConn, TlsFailure> {
            let c = ServerConnection::new(setup.config.clone())
                .map_err(|e| TlsFailure(e.to_string()))?;
            Ok(TlsConn::of(c.into()))
        }

        fn of(conn: Connection) -> TlsConn {
            TlsConn {
                conn,
                first: None,
                close_sent: false,
            }
        }

        fn is_server(&self) -> bool {
            matches!(self.conn, Connection::Server(_))
        }

        pub(crate) fn is_handshaking(&self) -> bool {
            self.conn.is_handshaking()
        }

        pub(crate) fn wants_write(&self) -> bool {
            self.conn.wants_write()
        }

        /// Protocol and cipher suite, for the log.
        pub(crate) fn summary(&self) -> String {
            let version = self
                .conn
                .protocol_version()
                .map_or_else(|| "?".into(), |v| format!("{v:?}"));
            let suite = self
                .conn
                .negotiated_cipher_suite()
                .map_or_else(|| "?".into(), |s| format!("{:?}", s.suite()));
            format!("{version} {suite}")
        }

        /// Feeds ciphertext; appends the plaintext it carried to `plain`.
        /// `Ok(true)`: the peer sent close_notify.
        pub(crate) fn receive(
            &mut self,
            mut ciphertext: &[u8],
            plain: &mut Vec<u8>,
        ) -> Result<bool, TlsFailure> {
            if self.first.is_none() {
                self.first = ciphertext.first().copied();
            }
            while !ciphertext.is_empty() {
                if let Err(e) = self.conn.read_tls(&mut ciphertext) {
                    return Err(TlsFailure(format!("bad TLS record: {e}")));
                }
                let state = match self.conn.process_new_packets() {
                    Ok(state) => state,
                    Err(e) => return Err(self.failure(&e)),
                };
                let mut want = state.plaintext_bytes_to_read();
                if want > 0 {
                    let at = plain.len();
                    plain.resize(at + want, 0);
                    while want > 0 {
                        let end = plain.len() - want;
                        match self.conn.reader().read(&mut plain[end..]) {
                            Ok(0) => break,
                            Ok(n) => want -= n,
                            Err(_) => break,
                        }
                    }
                    plain.truncate(plain.len() - want);
                }
                if state.peer_has_closed() {
                    return Ok(true);
                }
            }
            Ok(false)
        }

        /// The cause of a failure, made actionable.
        fn failure(&self, e: &rustls::Error) -> TlsFailure {
            let not_tls = self.first.is_some_and(|b| b != 22 && b != 21);
            if not_tls && self.is_handshaking() {
                return TlsFailure(if self.is_server() {
                    "the client does not speak TLS (a plaintext SMPP client on a TLS port?)".into()
                } else {
                    "the server does not answer in TLS (a plaintext SMPP port?)".into()
                });
            }
            TlsFailure(describe(e, self.is_server()))
        }

        /// Why the connection closed during the handshake.
        pub(crate) fn closed_in_handshake(&self) -> TlsFailure {
            TlsFailure(if self.is_server() {
                "the client closed the connection during the TLS handshake".into()
            } else {
                "the server closed the connection during the TLS handshake \
                 (a plaintext SMPP port, or it refused our TLS settings)"
                    .into()
            })
        }

        /// Takes as much plaintext as rustls buffers now; returns how much.
        pub(crate) fn send(&mut self, plain: &[u8]) -> usize {
            self.conn.writer().write(plain).unwrap_or(0)
        }

        /// Queues close_notify (once).
        pub(crate) fn close(&mut self) {
            if !self.close_sent {
                self.close_sent = true;
                self.conn.send_close_notify();
            }
        }

        /// Writes queued records to `w`.
        pub(crate) fn write_to(&mut self, w: &mut dyn Write) -> io::Result<usize> {
            self.conn.write_tls(w)
        }
    }
}

#[cfg(not(feature = "tls"))]
mod none {
    use crate::runtime::esme_types::EsmeConfig;
    use crate::runtime::smsc_types::SmscConfig;
    use std::io::{self, Write};

    /// No TLS in this build: no value exists.
    #[derive(Clone)]
    pub(crate) enum ClientSetup {}
    /// No TLS in this build: no value exists.
    #[derive(Clone)]
    pub(crate) enum ServerSetup {}
    /// No TLS in this build: no value exists.
    pub(crate) enum TlsConn {}
    pub(crate) struct TlsFailure(pub(crate) String);

    impl TlsConn {
        pub(crate) fn client(setup: &ClientSetup) -> Result<TlsConn, TlsFailure> {
            match *setup {}
        }
        pub(crate) fn server(setup: &ServerSetup) -> Result<TlsConn, TlsFailure> {
            match *setup {}
        }
        pub(crate) fn is_handshaking(&self) -> bool {
            match *self {}
        }
        pub(crate) fn wants_write(&self) -> bool {
            match *self {}
        }
        pub(crate) fn summary(&self) -> String {
            match *self {}
        }
        pub(crate) fn receive(&mut self, _: &[u8], _: &mut Vec<u8>) -> Result<bool, TlsFailure> {
            match *self {}
        }
        pub(crate) fn closed_in_handshake(&self) -> TlsFailure {
            match *self {}
        }
        pub(crate) fn send(&mut self, _: &[u8]) -> usize {
            match *self {}
        }
        pub(crate) fn close(&mut self) {
            match *self {}
        }
        pub(crate) fn write_to(&mut self, _: &mut dyn Write) -> io::Result<usize> {
            match *self {}
        }
    }

    pub(crate) fn esme_client(_: &EsmeConfig) -> io::Result<Option<ClientSetup>> {
        Ok(None)
    }
    pub(crate) fn esme_server(_: &EsmeConfig) -> Option<ServerSetup> {
        None
    }
    pub(crate) fn smsc_server(_: &SmscConfig) -> Option<ServerSetup> {
        None
    }
    pub(crate) fn smsc_client(_: &SmscConfig, _: &str) -> io::Result<Option<ClientSetup>> {
        Ok(None)
    }
}
