//! Shared pieces: short session timers, a recording SMSC handler, and
//! bounded waits.

use crate::raw_peer::{RawConn, RawListener};
use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};
use smpp::datetime::DateTime;
use smpp::pdu::{Address, Bind, Body, COctet, CommandStatus, Pdu, ShortMessage, SubmitSm};
use smpp::receipt::{receipt_deliver_sm, MessageState};
use smpp::runtime::{
    Esme, EsmeConfig, EsmeEvent, Reconnect, Runtime, RuntimeConfig, SessionInfo, Smsc, SmscConfig,
    SmscContext, SmscHandler,
};
use smpp::session::{BindMode, CloseReason, SessionConfig};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

pub(crate) const SYSTEM_ID: &str = "esme";
pub(crate) const PASSWORD: &str = "secret";

/// How long any single expected thing may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(3);

/// A runtime with one worker: enough for a handful of sessions.
pub(crate) fn runtime() -> Runtime {
    Runtime::start(RuntimeConfig {
        workers: 1,
        channel_capacity: 1024,
    })
    .expect("runtime starts")
}

/// Session timers short enough for tests that must end in seconds.
pub(crate) fn session_config() -> SessionConfig {
    SessionConfig {
        window: 8,
        enquire_link_interval: Some(Duration::from_millis(200)),
        response_timeout: Duration::from_secs(1),
        bind_timeout: Duration::from_secs(1),
        unbind_timeout: Duration::from_millis(500),
        drain_timeout: Duration::from_secs(1),
        ..SessionConfig::default()
    }
}

/// An ESME config for `addr` with short timers and fast reconnects.
pub(crate) fn esme_config(addr: SocketAddr, mode: BindMode) -> EsmeConfig {
    let mut c = EsmeConfig::new(&addr.to_string(), SYSTEM_ID, PASSWORD);
    c.mode = mode;
    c.session = session_config();
    c.reconnect = Some(Reconnect {
        min: Duration::from_millis(50),
        max: Duration::from_millis(200),
    });
    c.connect_timeout = WAIT;
    c
}

/// An SMSC config with short timers; the SMSC sends no enquire_link of its
/// own unless a test asks for it.
pub(crate) fn smsc_config() -> SmscConfig {
    SmscConfig {
        session: SessionConfig {
            enquire_link_interval: None,
            system_id: COctet::try_from("testsmsc").unwrap(),
            ..session_config()
        },
        ..SmscConfig::default()
    }
}

/// What the test handler saw, in order.
#[derive(Debug)]
pub(crate) enum Seen {
    Bound(SessionInfo),
    /// On this session.
    Submit(u64),
    Delivered(SessionInfo, Option<CommandStatus>),
    Closed(SessionInfo, CloseReason),
}

/// Accepts `SYSTEM_ID`/`PASSWORD`, answers each submit_sm with the next
/// hex id (starting at 0xA0, so ids have letters), and, when
/// `receipt_after` is set, sends a DELIVRD receipt that long after each
/// submit that asks for one.
pub(crate) struct TestHandler {
    next_id: AtomicU64,
    receipt_after: Option<Duration>,
    seen: Sender<Seen>,
}

impl TestHandler {
    pub(crate) fn new(receipt_after: Option<Duration>) -> (TestHandler, Receiver<Seen>) {
        let (seen, rx) = unbounded();
        let h = TestHandler {
            next_id: AtomicU64::new(0xA0),
            receipt_after,
            seen,
        };
        (h, rx)
    }
}

impl SmscHandler for TestHandler {
    fn authenticate(&self, bind: &Bind, _mode: BindMode) -> Result<(), CommandStatus> {
        if bind.system_id.as_bytes() != SYSTEM_ID.as_bytes() {
            return Err(CommandStatus::InvSysId);
        }
        if bind.password.as_bytes() != PASSWORD.as_bytes() {
            return Err(CommandStatus::InvPaswd);
        }
        Ok(())
    }

    fn submit_sm(
        &self,
        ctx: &mut SmscContext<'_>,
        sm: &SubmitSm,
    ) -> Result<COctet<65>, CommandStatus> {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("{n:x}");
        if let Some(delay) = self.receipt_after {
            if sm.registered_delivery & 0x03 != 0 {
                let now = DateTime::from_system_time(SystemTime::now());
                let receipt = receipt_deliver_sm(sm, &id, MessageState::Delivered, now, now);
                ctx.deliver_after(delay, receipt);
            }
        }
        let _ = self.seen.send(Seen::Submit(ctx.session.id));
        Ok(COctet::try_from(id.as_str()).unwrap())
    }

    fn delivered(&self, session: &SessionInfo, status: Option<CommandStatus>) {
        let _ = self.seen.send(Seen::Delivered(session.clone(), status));
    }

    fn bound(&self, session: &SessionInfo) {
        let _ = self.seen.send(Seen::Bound(session.clone()));
    }

    fn closed(&self, session: &SessionInfo, reason: CloseReason) {
        let _ = self.seen.send(Seen::Closed(session.clone(), reason));
    }
}

/// A test SMSC on a free loopback port.
pub(crate) fn start_smsc(
    rt: &Runtime,
    config: SmscConfig,
    receipt_after: Option<Duration>,
) -> (Smsc, Receiver<Seen>) {
    let (handler, seen) = TestHandler::new(receipt_after);
    let smsc = Smsc::listen(rt, "127.0.0.1:0", config, handler).expect("SMSC listens");
    (smsc, seen)
}

/// Waits (at most `timeout`) for the first item that `f` maps to `Some`,
/// dropping the others; panics with `what` on timeout.
pub(crate) fn wait_for<E: std::fmt::Debug, T>(
    rx: &Receiver<E>,
    timeout: Duration,
    what: &str,
    mut f: impl FnMut(E) -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    let mut skipped = Vec::new();
    loop {
        match rx.recv_deadline(deadline) {
            Ok(e) => {
                let desc = format!("{e:?}");
                match f(e) {
                    Some(t) => return t,
                    None => skipped.push(desc),
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                panic!("timed out waiting for {what}; saw instead: {skipped:#?}")
            }
            Err(RecvTimeoutError::Disconnected) => {
                panic!("channel closed waiting for {what}; saw: {skipped:#?}")
            }
        }
    }
}

/// Asserts nothing arrives on `rx` for `period`.
pub(crate) fn assert_quiet<E: std::fmt::Debug>(rx: &Receiver<E>, period: Duration, what: &str) {
    if let Ok(e) = rx.recv_timeout(period) {
        panic!("{what}: expected nothing, got {e:?}");
    }
}

/// Waits for an ESME event that `f` accepts.
pub(crate) fn esme_event<T>(
    esme: &Esme,
    timeout: Duration,
    what: &str,
    f: impl FnMut(EsmeEvent) -> Option<T>,
) -> T {
    wait_for(esme.events(), timeout, what, f)
}

/// A submit_sm to a fixed number.
pub(crate) fn submit_sm(text: &str, registered_delivery: u8) -> SubmitSm {
    SubmitSm {
        source: Address::new(1, 1, "447700900001").unwrap(),
        dest: Address::new(1, 1, "447700900123").unwrap(),
        registered_delivery,
        short_message: ShortMessage::new(text.as_bytes()).unwrap(),
        ..SubmitSm::default()
    }
}

/// The message id of a submit_sm_resp.
pub(crate) fn message_id(pdu: &Pdu) -> String {
    match &pdu.body {
        Body::SubmitSmResp(r) => r.message_id.to_string_lossy().into_owned(),
        other => panic!("expected a submit_sm_resp, got {other:?}"),
    }
}

/// Connects an ESME with `config` to the raw peer, which takes its bind:
/// the bound ESME, and the peer's end of the connection. (`connect`
/// blocks until bound, so it runs on another thread while this one plays
/// the SMSC.)
pub(crate) fn bind_to_raw_peer(
    rt: &Runtime,
    peer: &RawListener,
    config: EsmeConfig,
) -> (Esme, RawConn) {
    let rt = rt.clone();
    let connecting = std::thread::spawn(move || Esme::connect(&rt, config));
    let mut conn = peer.accept(WAIT);
    conn.accept_bind();
    (connecting.join().unwrap().expect("binds"), conn)
}
