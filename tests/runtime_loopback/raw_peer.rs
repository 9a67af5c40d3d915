//! A scripted SMPP peer on a plain blocking socket, for tests that need a
//! peer that misbehaves: it answers, withholds or drops on command.

use smpp::pdu::{Body, CommandId, Framer, Pdu, DEFAULT_MAX_PDU_LEN};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A listener playing the SMSC.
pub(crate) struct RawListener {
    listener: TcpListener,
}

impl RawListener {
    /// Listens on a free loopback port.
    pub(crate) fn bind() -> RawListener {
        Self::bind_to("127.0.0.1:0".parse().unwrap())
    }

    pub(crate) fn bind_to(addr: SocketAddr) -> RawListener {
        let listener = TcpListener::bind(addr).expect("raw peer listens");
        listener.set_nonblocking(true).unwrap();
        RawListener { listener }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap()
    }

    /// The next connection, within `timeout`.
    pub(crate) fn accept(&self, timeout: Duration) -> RawConn {
        let deadline = Instant::now() + timeout;
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => return RawConn::new(stream),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "no connection to the raw peer");
                    std::thread::sleep(Duration::from_millis(2));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }
}

/// One connection of the raw peer.
pub(crate) struct RawConn {
    stream: TcpStream,
    framer: Framer,
    sequence: u32,
    /// enquire_links answered on the way to other PDUs.
    pub(crate) enquire_links: usize,
}

impl RawConn {
    fn new(stream: TcpStream) -> RawConn {
        stream.set_nonblocking(false).unwrap();
        stream.set_nodelay(true).unwrap();
        RawConn {
            stream,
            framer: Framer::new(DEFAULT_MAX_PDU_LEN),
            sequence: 0,
            enquire_links: 0,
        }
    }

    /// Connects to `addr` (playing an SMSC that dials an ESME).
    pub(crate) fn connect(addr: SocketAddr) -> RawConn {
        RawConn::new(TcpStream::connect_timeout(&addr, Duration::from_secs(3)).unwrap())
    }

    /// The next PDU exactly as it comes (enquire_links included); `None`
    /// on timeout; panics on EOF.
    pub(crate) fn try_recv_raw(&mut self, timeout: Duration) -> Option<Pdu> {
        match self.read_frame(timeout) {
            Frame::Pdu(p) => Some(p),
            Frame::Timeout => None,
            Frame::Eof => panic!("the peer closed the connection"),
        }
    }

    /// The next PDU other than enquire_link (those are answered); `None`
    /// on timeout.
    pub(crate) fn try_recv(&mut self, timeout: Duration) -> Option<Pdu> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let pdu = self.try_recv_raw(left)?;
            if pdu.body == Body::EnquireLink {
                self.enquire_links += 1;
                self.send(&Pdu::new(pdu.sequence, Body::EnquireLinkResp));
                continue;
            }
            return Some(pdu);
        }
    }

    /// As [`RawConn::try_recv`], failing the test on timeout.
    pub(crate) fn recv(&mut self, timeout: Duration) -> Pdu {
        self.try_recv(timeout)
            .expect("the raw peer expected a PDU in time")
    }

    /// Whether the other side closes the connection within `timeout`
    /// (PDUs before the close are skipped).
    pub(crate) fn closed_within(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.read_frame(left) {
                Frame::Eof => return true,
                Frame::Timeout => return false,
                Frame::Pdu(_) => {}
            }
        }
    }

    fn read_frame(&mut self, timeout: Duration) -> Frame {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        loop {
            if let Some(frame) = self.framer.next_frame().expect("the peer sent a bad frame") {
                return Frame::Pdu(Pdu::decode(frame).expect("the peer sent a bad PDU"));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Frame::Timeout;
            }
            self.stream.set_read_timeout(Some(left)).unwrap();
            match self.stream.read(&mut buf) {
                Ok(0) => return Frame::Eof,
                Ok(n) => self.framer.push(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return Frame::Eof,
            }
        }
    }

    pub(crate) fn send(&mut self, pdu: &Pdu) {
        let bytes = pdu.to_bytes().expect("the raw peer encodes its PDU");
        self.stream.write_all(&bytes).expect("the raw peer writes");
    }

    /// Sends a request with the next sequence number; returns the number.
    pub(crate) fn send_request(&mut self, body: Body) -> u32 {
        self.sequence += 1;
        let seq = self.sequence;
        self.send(&Pdu::new(seq, body));
        seq
    }

    /// Answers `request` with status 0 and `body`.
    pub(crate) fn respond(&mut self, request: &Pdu, body: Body) {
        self.send(&Pdu::new(request.sequence, body));
    }

    /// Reads a bind and accepts it; returns the bind's command id.
    pub(crate) fn accept_bind(&mut self) -> CommandId {
        let bind = self.recv(Duration::from_secs(3));
        let id = bind.command_id();
        let resp = smpp::pdu::BindResp {
            system_id: smpp::pdu::COctet::try_from("rawsmsc").unwrap(),
            ..smpp::pdu::BindResp::default()
        };
        let body = match id {
            CommandId::BindTransmitter => Body::BindTransmitterResp(resp),
            CommandId::BindReceiver => Body::BindReceiverResp(resp),
            CommandId::BindTransceiver => Body::BindTransceiverResp(resp),
            other => panic!("expected a bind, got {other}"),
        };
        self.respond(&bind, body);
        id
    }

    /// Reads `n` submit_sm and answers none of them.
    pub(crate) fn take_submits(&mut self, n: usize) -> Vec<Pdu> {
        (0..n)
            .map(|_| {
                let pdu = self.recv(Duration::from_secs(3));
                assert_eq!(pdu.command_id(), CommandId::SubmitSm, "{pdu:?}");
                pdu
            })
            .collect()
    }

    /// Answers a submit_sm with status 0 and `message_id`.
    pub(crate) fn answer_submit(&mut self, submit: &Pdu, message_id: &str) {
        let resp = smpp::pdu::MessageIdResp::new(message_id.try_into().unwrap());
        self.respond(submit, Body::SubmitSmResp(resp));
    }
}

enum Frame {
    Pdu(Pdu),
    Timeout,
    Eof,
}
