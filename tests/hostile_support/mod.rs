//! Helpers for the hostile-input tests (`tests/hostile.rs`):
//!
//! - wire builders that make any field wrong on purpose (raw headers,
//!   C-Octet strings without their NUL, `sm_length` past the body, TLVs
//!   that overrun the PDU);
//! - [`Peer`], a raw SMPP endpoint on a blocking `TcpStream` with bounded
//!   reads, used both as the client of `smsc-sim` and as the misbehaving
//!   SMSC of the library's ESME;
//! - [`Sim`], `smsc-sim` on a free port with its stderr collected;
//! - [`FakeSmsc`] and [`EsmeSide`], the library's `Esme` bound to a raw SMSC
//!   written here.
//!
//! Every read has a deadline: a test that waits for something that never
//! comes fails instead of hanging.

#![allow(dead_code)]

use smpp::pdu::{BindResp, Body, COctet, CommandId, CommandStatus, Framer, Pdu, HEADER_LEN};
use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime, RuntimeConfig};
use smpp::session::BindMode;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an answer that should come at once may take.
pub(crate) const WAIT: Duration = Duration::from_secs(3);
/// How long "nothing comes back" is watched for.
pub(crate) const QUIET: Duration = Duration::from_millis(300);
/// How long another client may wait for its answer while a hostile peer
/// floods or stops reading. A session blocked behind that peer would wait
/// until the flood is read, which the tests do only afterwards, so any
/// bound tells the two apart: this one is long enough that a loaded machine
/// never reaches it.
pub(crate) const SERVED: Duration = Duration::from_secs(20);

/// The account every `smsc-sim` in these tests knows.
pub(crate) const SYSTEM_ID: &str = "hostile";
/// Its password (searched for in trace logs: it must never appear).
pub(crate) const PASSWORD: &str = "pX9kQ2zr";

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

// ----- wire builders -----

/// A 16-octet header with any `command_length`.
pub(crate) fn header(command_length: u32, command_id: u32, status: u32, sequence: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity(16);
    for word in [command_length, command_id, status, sequence] {
        v.extend_from_slice(&word.to_be_bytes());
    }
    v
}

/// A PDU with the right `command_length` around any body.
pub(crate) fn raw(command_id: u32, status: u32, sequence: u32, body: &[u8]) -> Vec<u8> {
    let mut v = header(
        (HEADER_LEN + body.len()) as u32,
        command_id,
        status,
        sequence,
    );
    v.extend_from_slice(body);
    v
}

/// A header-only response: what a refused request gets.
pub(crate) fn refusal(id: CommandId, status: CommandStatus, sequence: u32) -> Vec<u8> {
    header(16, u32::from(id), u32::from(status), sequence)
}

/// `generic_nack` with this status and sequence.
pub(crate) fn nack(status: CommandStatus, sequence: u32) -> Vec<u8> {
    refusal(CommandId::GenericNack, status, sequence)
}

/// The encoded PDU.
pub(crate) fn bytes(pdu: &Pdu) -> Vec<u8> {
    pdu.to_bytes().expect("encodable PDU")
}

/// `enquire_link` with this sequence.
pub(crate) fn enquire_link(sequence: u32) -> Vec<u8> {
    raw(u32::from(CommandId::EnquireLink), 0, sequence, &[])
}

/// `enquire_link_resp` with this sequence.
pub(crate) fn enquire_link_resp(sequence: u32) -> Vec<u8> {
    raw(u32::from(CommandId::EnquireLinkResp), 0, sequence, &[])
}

/// One TLV: tag, length, value.
pub(crate) fn tlv(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut v = tag.to_be_bytes().to_vec();
    v.extend_from_slice(&(value.len() as u16).to_be_bytes());
    v.extend_from_slice(value);
    v
}

fn cstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(s);
    out.push(0);
}

/// A bind body (any of the three binds), interface version 3.4.
pub(crate) fn bind_body(system_id: &[u8], password: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, system_id);
    cstr(&mut b, password);
    cstr(&mut b, b""); // system_type
    b.extend_from_slice(&[0x34, 0, 0]);
    cstr(&mut b, b""); // address_range
    b
}

/// The request id of a bind in `mode`.
pub(crate) fn bind_id(mode: BindMode) -> u32 {
    u32::from(mode.command_id())
}

/// The response id of a bind in `mode`.
pub(crate) fn bind_resp_id(mode: BindMode) -> CommandId {
    mode.command_id().response().expect("binds have responses")
}

/// The fields of a submit_sm or deliver_sm body (one layout), each as raw
/// octets so that any of them can be made wrong.
#[derive(Clone)]
pub(crate) struct Sm {
    pub(crate) service_type: Vec<u8>,
    pub(crate) source: Vec<u8>,
    pub(crate) dest: Vec<u8>,
    pub(crate) esm_class: u8,
    pub(crate) registered_delivery: u8,
    /// `None`: the length of `short_message`.
    pub(crate) sm_length: Option<u8>,
    pub(crate) short_message: Vec<u8>,
    /// Octets after `short_message` (TLVs, or garbage).
    pub(crate) tail: Vec<u8>,
}

impl Default for Sm {
    fn default() -> Self {
        Sm {
            service_type: Vec::new(),
            source: b"Shop".to_vec(),
            dest: b"447700900123".to_vec(),
            esm_class: 0,
            registered_delivery: 0,
            sm_length: None,
            short_message: b"hello".to_vec(),
            tail: Vec::new(),
        }
    }
}

impl Sm {
    pub(crate) fn body(&self) -> Vec<u8> {
        let mut b = Vec::new();
        cstr(&mut b, &self.service_type);
        b.extend_from_slice(&[5, 0]);
        cstr(&mut b, &self.source);
        b.extend_from_slice(&[1, 1]);
        cstr(&mut b, &self.dest);
        // esm_class, protocol_id, priority_flag
        b.extend_from_slice(&[self.esm_class, 0, 0]);
        cstr(&mut b, b""); // schedule_delivery_time
        cstr(&mut b, b""); // validity_period
                           // registered_delivery, replace_if_present_flag, data_coding,
                           // sm_default_msg_id
        b.extend_from_slice(&[self.registered_delivery, 0, 0, 0]);
        let len = self
            .sm_length
            .unwrap_or(self.short_message.len().try_into().expect("sm_length"));
        b.push(len);
        b.extend_from_slice(&self.short_message);
        b.extend_from_slice(&self.tail);
        b
    }

    pub(crate) fn submit(&self, sequence: u32) -> Vec<u8> {
        raw(u32::from(CommandId::SubmitSm), 0, sequence, &self.body())
    }

    pub(crate) fn deliver(&self, sequence: u32) -> Vec<u8> {
        raw(u32::from(CommandId::DeliverSm), 0, sequence, &self.body())
    }
}

/// A data_sm body with these TLVs (no `message_payload` unless given).
pub(crate) fn data_sm_body(tlvs: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, b"");
    b.extend_from_slice(&[1, 1]);
    cstr(&mut b, b"447700900001");
    b.extend_from_slice(&[1, 1]);
    cstr(&mut b, b"447700900123");
    b.extend_from_slice(&[0, 0, 0]); // esm_class, registered_delivery, data_coding
    b.extend_from_slice(tlvs);
    b
}

/// An alert_notification body.
pub(crate) fn alert_body() -> Vec<u8> {
    let mut b = vec![1, 1];
    cstr(&mut b, b"447700900001");
    b.extend_from_slice(&[1, 1]);
    cstr(&mut b, b"447700900123");
    b
}

/// An outbind body.
pub(crate) fn outbind_body(system_id: &[u8], password: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, system_id);
    cstr(&mut b, password);
    b
}

/// A `submit_sm_resp`/`deliver_sm_resp`/`data_sm_resp`-style body.
pub(crate) fn message_id_body(id: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, id);
    b
}

/// A bind response body: system_id, then `sc_interface_version` 0x34.
pub(crate) fn bind_resp_body(system_id: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    cstr(&mut b, system_id);
    b.extend_from_slice(&tlv(0x0210, &[0x34]));
    b
}

/// Pads `pdu` (whose body ends with TLVs or mandatory fields) with one
/// vendor TLV so that it is exactly `len` octets long.
pub(crate) fn pad_to(pdu: &[u8], len: usize) -> Vec<u8> {
    let value = len
        .checked_sub(pdu.len() + 4)
        .expect("room for the padding TLV");
    let mut v = pdu.to_vec();
    v.extend_from_slice(&tlv(0x1400, &vec![b'x'; value]));
    v[..4].copy_from_slice(&(len as u32).to_be_bytes());
    v
}

// ----- the raw endpoint -----

/// What a bounded read saw.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Got {
    /// One whole PDU, as received.
    Frame(Vec<u8>),
    /// The other side closed the connection (FIN or reset).
    Closed,
    /// Nothing complete within the time given.
    Timeout,
}

/// A raw SMPP endpoint: writes any bytes, reads whole PDUs with deadlines.
pub(crate) struct Peer {
    pub(crate) stream: TcpStream,
    framer: Framer,
    seq: u32,
    eof: bool,
}

impl Peer {
    pub(crate) fn new(stream: TcpStream) -> Peer {
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .expect("write timeout");
        Peer {
            stream,
            framer: Framer::new(16 << 20),
            seq: 0,
            eof: false,
        }
    }

    pub(crate) fn connect(addr: SocketAddr) -> Peer {
        let stream = TcpStream::connect_timeout(&addr, WAIT).expect("connect");
        Peer::new(stream)
    }

    /// The next sequence number of this side's requests.
    pub(crate) fn next_seq(&mut self) -> u32 {
        self.seq += 1;
        self.seq
    }

    pub(crate) fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to the peer");
    }

    pub(crate) fn send(&mut self, pdu: &Pdu) {
        self.send_raw(&bytes(pdu));
    }

    /// The next PDU, the close, or a timeout, whichever comes first.
    pub(crate) fn next(&mut self, timeout: Duration) -> Got {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.framer.next_frame() {
                Ok(Some(frame)) => return Got::Frame(frame.to_vec()),
                Ok(None) => {}
                Err(e) => panic!("the system under test sent an unframeable stream: {e}"),
            }
            if self.eof {
                return Got::Closed;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Got::Timeout;
            }
            self.stream
                .set_read_timeout(Some(left.max(ms(1))))
                .expect("read timeout");
            match self.stream.read(&mut buf) {
                Ok(0) => self.eof = true,
                Ok(n) => self.framer.push(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted
                    ) =>
                {
                    self.eof = true
                }
                Err(e) => panic!("read failed: {e}"),
            }
        }
    }

    /// The next PDU's octets; fails on a close or after [`WAIT`].
    pub(crate) fn frame(&mut self) -> Vec<u8> {
        match self.next(WAIT) {
            Got::Frame(f) => f,
            other => panic!("expected a PDU, got {other:?}"),
        }
    }

    /// The next PDU, decoded.
    pub(crate) fn pdu(&mut self) -> Pdu {
        let f = self.frame();
        Pdu::decode(&f).unwrap_or_else(|e| panic!("undecodable PDU {f:02X?}: {e}"))
    }

    /// The next PDU must be exactly these octets.
    pub(crate) fn expect_raw(&mut self, expected: &[u8]) {
        let got = self.frame();
        assert_eq!(
            got,
            expected,
            "expected {:?}, got {:?}",
            Pdu::decode(expected),
            Pdu::decode(&got)
        );
    }

    /// The next PDU must encode exactly as `expected`.
    pub(crate) fn expect(&mut self, expected: &Pdu) {
        self.expect_raw(&bytes(expected));
    }

    /// The next PDU is a response with this id, status and sequence;
    /// returns it.
    pub(crate) fn expect_resp(&mut self, id: CommandId, status: CommandStatus, seq: u32) -> Pdu {
        let pdu = self.pdu();
        assert_eq!(
            (pdu.command_id(), pdu.status, pdu.sequence),
            (id, status, seq),
            "unexpected {pdu:?}"
        );
        pdu
    }

    /// Nothing arrives for `d` (and the connection stays open).
    pub(crate) fn expect_silence(&mut self, d: Duration) {
        match self.next(d) {
            Got::Timeout => {}
            other => panic!("expected silence, got {other:?}"),
        }
    }

    /// The connection is closed within `timeout`, with no PDU before.
    pub(crate) fn expect_closed(&mut self, timeout: Duration) {
        match self.next(timeout) {
            Got::Closed => {}
            Got::Frame(f) => panic!("expected the connection closed, got {:?}", Pdu::decode(&f)),
            Got::Timeout => panic!("the connection is still open after {timeout:?}"),
        }
    }

    /// The connection is closed within `timeout`; PDUs before the close
    /// are returned.
    pub(crate) fn drain_until_closed(&mut self, timeout: Duration) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        let mut frames = Vec::new();
        loop {
            match self.next(deadline.saturating_duration_since(Instant::now())) {
                Got::Frame(f) => frames.push(f),
                Got::Closed => return frames,
                Got::Timeout => panic!("still open after {timeout:?}; got {frames:02X?}"),
            }
        }
    }

    /// Sends `enquire_link` and expects its `enquire_link_resp`: the
    /// session is alive and in step.
    pub(crate) fn ping(&mut self) {
        let seq = self.next_seq();
        self.send_raw(&enquire_link(seq));
        self.expect_raw(&enquire_link_resp(seq));
    }

    /// Sends a request with the next sequence number; returns that number.
    pub(crate) fn request_raw(&mut self, command_id: CommandId, body: &[u8]) -> u32 {
        let seq = self.next_seq();
        self.send_raw(&raw(u32::from(command_id), 0, seq, body));
        seq
    }

    /// Binds with these credentials and returns the bind response.
    pub(crate) fn bind_with(&mut self, mode: BindMode, system_id: &str, password: &str) -> Pdu {
        let seq = self.next_seq();
        let body = bind_body(system_id.as_bytes(), password.as_bytes());
        self.send_raw(&raw(bind_id(mode), 0, seq, &body));
        let resp = self.pdu();
        assert_eq!(resp.sequence, seq, "{resp:?}");
        resp
    }

    /// Binds with the test account; the bind must succeed.
    pub(crate) fn bind(&mut self, mode: BindMode) {
        let resp = self.bind_with(mode, SYSTEM_ID, PASSWORD);
        let body = BindResp::new(COctet::try_from("smsc-sim").expect("id"));
        let body = match mode {
            BindMode::Transmitter => Body::BindTransmitterResp(body),
            BindMode::Receiver => Body::BindReceiverResp(body),
            BindMode::Transceiver => Body::BindTransceiverResp(body),
        };
        assert_eq!(resp, Pdu::new(resp.sequence, body));
    }

    /// Shuts the connection down both ways: the other side sees EOF.
    pub(crate) fn shutdown(&self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// Writes `bytes` and ends the stream right behind them (a FIN after
    /// the data), still reading what comes back.
    pub(crate) fn send_then_finish(&mut self, bytes: &[u8]) {
        self.send_raw(bytes);
        let _ = self.stream.shutdown(Shutdown::Write);
    }
}

// ----- smsc-sim -----

/// `smsc-sim` on a free port. Dropping it kills it.
pub(crate) struct Sim {
    child: Child,
    pub(crate) addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Sim {
    /// Starts `smsc-sim` with `RUST_LOG=warn`, the test account and `args`.
    pub(crate) fn start(args: &[&str]) -> Sim {
        Sim::start_logging("warn", args)
    }

    /// Starts `smsc-sim` with this `RUST_LOG`.
    pub(crate) fn start_logging(rust_log: &str, args: &[&str]) -> Sim {
        let account = format!("{SYSTEM_ID}:{PASSWORD}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_smsc-sim"))
            .args(["--listen", "127.0.0.1:0", "--workers", "2"])
            .args(["--account", &account])
            .args(args)
            .env("RUST_LOG", rust_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start smsc-sim");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let lines = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("smsc-sim: listening on ") {
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(addr.trim().to_string());
                    }
                }
                lines.lock().expect("log").push(line);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(a) => a.parse().expect("smsc-sim's address"),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("smsc-sim did not say where it listens: {:?}", log.lock());
            }
        };
        Sim { child, addr, log }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A raw client, not bound.
    pub(crate) fn client(&self) -> Peer {
        Peer::connect(self.addr)
    }

    /// A raw client bound in `mode` with the test account.
    pub(crate) fn bound(&self, mode: BindMode) -> Peer {
        let mut p = self.client();
        p.bind(mode);
        p
    }

    /// It still accepts and answers: a new connection's enquire_link is
    /// answered.
    pub(crate) fn assert_serving(&self) {
        self.client().ping();
    }

    /// Every stderr line so far.
    pub(crate) fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// Waits (at most [`WAIT`]) for a stderr line containing every needle.
    pub(crate) fn expect_log(&self, needles: &[&str]) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(line) = self
                .log()
                .into_iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
            {
                return line;
            }
            if Instant::now() >= deadline {
                panic!("no log line with {needles:?} in {:#?}", self.log());
            }
            std::thread::sleep(ms(10));
        }
    }

    /// CPU time used so far, in clock ticks (1/100 s on Linux).
    pub(crate) fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("stat");
        let after = &stat[stat.rfind(')').expect("comm") + 1..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        // utime and stime are fields 14 and 15; `after` starts at field 3.
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
    }

    /// Resident memory, in KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ----- the library's ESME against a raw SMSC -----

/// A listening socket playing the SMSC.
pub(crate) struct FakeSmsc {
    listener: TcpListener,
    pub(crate) addr: String,
}

impl Default for FakeSmsc {
    fn default() -> Self {
        FakeSmsc::new()
    }
}

impl FakeSmsc {
    pub(crate) fn new() -> FakeSmsc {
        let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("addr").to_string();
        FakeSmsc { listener, addr }
    }

    /// The next connection, within `timeout`.
    pub(crate) fn accept_within(&self, timeout: Duration) -> Option<Peer> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).expect("blocking");
                    return Some(Peer::new(s));
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return None;
                    }
                    std::thread::sleep(ms(5));
                }
                Err(e) => panic!("accept: {e}"),
            }
        }
    }

    /// The next connection; fails after [`WAIT`].
    pub(crate) fn accept(&self) -> Peer {
        self.accept_within(WAIT).expect("the ESME did not connect")
    }

    /// Accepts, reads the bind, and answers it with ESME_ROK.
    pub(crate) fn accept_bind(&self) -> Peer {
        let mut p = self.accept();
        let bind = p.pdu();
        let resp = bind.command_id().response().expect("a bind");
        p.send_raw(&raw(
            u32::from(resp),
            0,
            bind.sequence,
            &bind_resp_body(b"fake"),
        ));
        p
    }
}

/// Settings for an ESME under test: no reconnect, no enquire_link, short
/// unbind and drain timers (a hostile peer never answers the unbind).
pub(crate) fn esme_config(addr: &str) -> EsmeConfig {
    let mut c = EsmeConfig::new(addr, SYSTEM_ID, PASSWORD);
    c.reconnect = None;
    c.connect_timeout = WAIT;
    c.session.enquire_link_interval = None;
    c.session.response_timeout = Duration::from_secs(5);
    c.session.unbind_timeout = ms(200);
    c.session.drain_timeout = ms(200);
    c
}

/// A runtime for one test.
pub(crate) fn runtime() -> Runtime {
    Runtime::start(RuntimeConfig {
        workers: 2,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// The library's ESME bound to a raw SMSC. Fields drop in order: the raw
/// SMSC's connection first, so the ESME sees the close at once.
pub(crate) struct EsmeSide {
    pub(crate) smsc: Peer,
    pub(crate) esme: Esme,
    pub(crate) fake: FakeSmsc,
    pub(crate) rt: Runtime,
}

impl EsmeSide {
    /// Binds an ESME (settings from [`esme_config`], then `tweak`) to a raw
    /// SMSC that answers the bind with ESME_ROK.
    pub(crate) fn bound(tweak: impl FnOnce(&mut EsmeConfig)) -> EsmeSide {
        EsmeSide::bound_on(runtime(), tweak)
    }

    /// As [`EsmeSide::bound`], on this runtime.
    pub(crate) fn bound_on(rt: Runtime, tweak: impl FnOnce(&mut EsmeConfig)) -> EsmeSide {
        let fake = FakeSmsc::new();
        let mut config = esme_config(&fake.addr);
        tweak(&mut config);
        let (smsc, esme) = std::thread::scope(|s| {
            let server = s.spawn(|| fake.accept_bind());
            let esme = Esme::connect(&rt, config).expect("the ESME binds");
            (server.join().expect("fake SMSC"), esme)
        });
        match esme.events().recv_timeout(WAIT) {
            Ok(EsmeEvent::Bound { link: 0 }) => {}
            other => panic!("expected the Bound event, got {other:?}"),
        }
        EsmeSide {
            smsc,
            esme,
            fake,
            rt,
        }
    }

    /// The ESME still works: a submit_sm goes out and its response comes
    /// back to the caller.
    pub(crate) fn assert_submits(&mut self) {
        std::thread::scope(|s| {
            let esme = &self.esme;
            let caller = s.spawn(move || esme.submit(plain_submit()));
            let pdu = self.smsc.pdu();
            assert_eq!(pdu.command_id(), CommandId::SubmitSm, "{pdu:?}");
            self.smsc.send_raw(&raw(
                u32::from(CommandId::SubmitSmResp),
                0,
                pdu.sequence,
                &message_id_body(b"ok-1"),
            ));
            let resp = caller.join().expect("caller").expect("submit answered");
            assert_eq!(resp.sequence, pdu.sequence);
            assert_eq!(resp.status, CommandStatus::Ok);
        });
    }

    /// The next event that is not a link change, within [`WAIT`].
    pub(crate) fn next_event(&self) -> EsmeEvent {
        self.esme
            .events()
            .recv_timeout(WAIT)
            .expect("an ESME event")
    }

    /// The next delivery (link events before it are skipped).
    pub(crate) fn delivery(&self) -> smpp::runtime::Delivery {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.esme.events().recv_timeout(left) {
                Ok(EsmeEvent::Delivery(d)) => return d,
                Ok(_) => {}
                Err(_) => panic!("no delivery"),
            }
        }
    }

    /// The link closed for good (reconnect is off) with this reason.
    pub(crate) fn expect_link_closed(&self, timeout: Duration) -> smpp::session::CloseReason {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.esme.events().recv_timeout(left) {
                Ok(EsmeEvent::Closed { reason, .. }) => return reason,
                Ok(_) => {}
                Err(_) => panic!("the ESME link did not close within {timeout:?}"),
            }
        }
    }

    /// No event at all for `d`.
    pub(crate) fn expect_no_event(&self, d: Duration) {
        if let Ok(e) = self.esme.events().recv_timeout(d) {
            panic!("unexpected ESME event {e:?}");
        }
    }
}

/// A valid submit_sm for the library's API.
pub(crate) fn plain_submit() -> smpp::pdu::SubmitSm {
    smpp::pdu::SubmitSm {
        source: smpp::pdu::Address::new(5, 0, "Shop").expect("source"),
        dest: smpp::pdu::Address::new(1, 1, "447700900123").expect("dest"),
        short_message: smpp::pdu::ShortMessage::new(b"hello").expect("text"),
        ..smpp::pdu::SubmitSm::default()
    }
}
