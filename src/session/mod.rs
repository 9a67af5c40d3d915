//! The sans-IO session: one SMPP session's state machine, for the ESME and
//! the SMSC role alike.
//!
//! A [`Session`] owns no socket and reads no clock. Bytes and time go in,
//! bytes, events and the next deadline come out:
//!
//! - inputs, each taking `now`: [`Session::handle_bytes`],
//!   [`Session::handle_timeout`], [`Session::handle_transport_closed`];
//! - commands: [`Session::bind`], [`Session::send`], [`Session::respond`],
//!   [`Session::accept_bind`], [`Session::unbind`], ...;
//! - outputs: [`Session::poll_transmit`] (bytes to write),
//!   [`Session::poll_event`] (what happened; or [`Session::take_events`],
//!   every event at once, to handle in place without moving a PDU), and
//!   [`Session::poll_timeout`] (when to call `handle_timeout` next).
//!
//! **The one rule:** after every input or command, write out
//! `poll_transmit`, drain `poll_event`, and re-arm your timer from
//! `poll_timeout`. `handle_timeout` is safe to call early or twice. After
//! [`Event::Closed`], flush `poll_transmit` one last time (it may hold an
//! unbind_resp or generic_nack) and close the connection.
//!
//! ```
//! use smpp::pdu::{Address, Bind, Body, COctet, ShortMessage, SubmitSm};
//! use smpp::session::{BindMode, Event, Session, SessionConfig};
//! use std::time::Instant;
//!
//! let t0 = Instant::now();
//! let mut esme = Session::esme(SessionConfig::default(), t0);
//! let mut smsc = Session::smsc(SessionConfig::default(), t0);
//! let bind = Bind {
//!     system_id: COctet::new(b"user").unwrap(),
//!     password: COctet::new(b"secret").unwrap(),
//!     interface_version: 0x34,
//!     ..Bind::default()
//! };
//! esme.bind(t0, BindMode::Transceiver, bind).unwrap();
//!
//! // Carry bytes both ways (a real driver reads and writes a socket).
//! let mut wire = Vec::new();
//! esme.poll_transmit(&mut wire);
//! smsc.handle_bytes(t0, &wire);
//! while let Some(event) = smsc.poll_event() {
//!     if let Event::BindRequest { id, bind, .. } = event {
//!         assert_eq!(bind.system_id.as_bytes(), b"user");
//!         smsc.accept_bind(t0, id).unwrap();
//!     }
//! }
//! wire.clear();
//! smsc.poll_transmit(&mut wire);
//! esme.handle_bytes(t0, &wire);
//! assert!(matches!(esme.poll_event(), Some(Event::StateChanged { .. })));
//! assert!(matches!(esme.poll_event(), Some(Event::Bound { .. })));
//!
//! let submit = SubmitSm {
//!     dest: Address::new(1, 1, "447700900123").unwrap(),
//!     short_message: ShortMessage::new(b"hello").unwrap(),
//!     ..SubmitSm::default()
//! };
//! let id = esme.send(t0, Body::SubmitSm(submit)).unwrap();
//! # let _ = id;
//! ```

mod config;
mod event;
mod inbound_hash;
mod state;
mod stats;
mod throttle;
mod timers;
mod window;

pub use config::{SessionConfig, Throughput};
pub use event::{CloseReason, Event, InboundId, Refused, RequestId, ReturnReason, SessionError};
pub use state::{may_send, BindMode, Role, State};
pub use stats::{CommandCounts, Latency, SessionStats, StatusCounts};
pub use window::MAX_SEQUENCE;

use crate::auth::constant_time_eq;
use crate::pdu::{
    Bind, BindResp, Body, COctet, CommandId, CommandStatus, DecodeError, Framer, Outbind, Pdu, Tlv,
    TlvTag, SMPP_VERSION_34,
};
use inbound_hash::InboundHash;
use std::collections::{HashMap, VecDeque};
use std::time::Instant;
use throttle::{Backoff, TokenBucket};
use timers::{Timer, TimerTable};
use window::{Pending, Window};

/// An ESME waiting for an SMSC's outbind: what to expect, and how to bind.
#[derive(Clone, Debug)]
struct OutbindWait {
    system_id: Option<COctet<16>>,
    password: COctet<9>,
    bind: Bind,
}

/// One SMPP session. See the [module docs](self) for how to drive it.
#[derive(Debug)]
pub struct Session {
    role: Role,
    config: SessionConfig,
    state: State,
    framer: Framer,
    transmit: Vec<u8>,
    events: VecDeque<Event>,
    window: Window,
    /// The boxes of answered requests, for the next ones to go in: with a
    /// window's worth freed and taken again in each batch, the allocator
    /// would otherwise move them through its slow path every time. At
    /// most the window's limit are kept. (The boxes themselves are the
    /// point: clippy's vec_box would have the bodies moved into the Vec.)
    #[allow(clippy::vec_box)]
    spare_boxes: Vec<Box<Body>>,
    next_request_id: u64,
    /// ESME: our bind on the wire (its sequence number), and the mode it
    /// asks for.
    bind_request: Option<(u32, BindMode)>,
    /// Our enquire_link on the wire.
    enquire: Option<u32>,
    /// Our unbind on the wire.
    unbind_request: Option<u32>,
    /// SMSC: a bind the application has not answered yet (with the
    /// ESME's system_id and interface_version).
    bind_inbound: Option<(InboundId, BindMode, COctet<16>, u8)>,
    /// ESME: waiting for an outbind.
    outbind_wait: Option<OutbindWait>,
    /// Peer requests waiting for the application's answer.
    inbound: HashMap<(u32, CommandId), u32, InboundHash>,
    /// How many requests `inbound` holds (a reused sequence number counts
    /// each time).
    inbound_count: usize,
    /// The peer asked to unbind while requests of its own still awaited
    /// the application's answer: the unbind_resp (its sequence number)
    /// waits for them, at most until [`Timer::PeerUnbind`].
    peer_unbind: Option<u32>,
    /// The deadlines this session sets itself, one per kind.
    timers: TimerTable,
    last_rx: Instant,
    missed_enquires: u32,
    throughput: Option<TokenBucket>,
    inbound_rate: Option<TokenBucket>,
    backoff: Backoff,
    bad_in_row: u32,
    stats: SessionStats,
    close_reason: Option<CloseReason>,
}

impl Session {
    /// An ESME session on a connection that just opened. Call
    /// [`Session::bind`] (or [`Session::await_outbind`]) next.
    pub fn esme(config: SessionConfig, now: Instant) -> Session {
        Session::new(Role::Esme, config, now)
    }

    /// An SMSC session on a connection that was just accepted. The ESME
    /// must bind within `bind_timeout`.
    pub fn smsc(config: SessionConfig, now: Instant) -> Session {
        let mut s = Session::new(Role::Smsc, config, now);
        s.timers.set(Timer::Open, now + s.config.bind_timeout);
        s
    }

    fn new(role: Role, config: SessionConfig, now: Instant) -> Session {
        Session {
            role,
            state: State::Open,
            framer: Framer::new(config.max_pdu_len),
            transmit: Vec::new(),
            events: VecDeque::new(),
            window: Window::new(config.window),
            spare_boxes: Vec::new(),
            next_request_id: 0,
            bind_request: None,
            enquire: None,
            unbind_request: None,
            bind_inbound: None,
            outbind_wait: None,
            inbound: HashMap::with_hasher(InboundHash::new()),
            inbound_count: 0,
            peer_unbind: None,
            timers: TimerTable::default(),
            last_rx: now,
            missed_enquires: 0,
            throughput: config.throughput.map(|t| TokenBucket::new(t, now)),
            inbound_rate: config.inbound_rate.map(|t| TokenBucket::new(t, now)),
            backoff: Backoff::new(config.throttle_backoff_min, config.throttle_backoff_max),
            bad_in_row: 0,
            stats: SessionStats::default(),
            close_reason: None,
            config,
        }
    }

    // ----- getters -----

    /// ESME or SMSC.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Closed: only events remain to be drained.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason
    }

    /// Requests this side has in flight.
    pub fn in_flight(&self) -> usize {
        self.window.len()
    }

    /// Room in the window for more requests.
    pub fn window_available(&self) -> usize {
        self.window.limit().saturating_sub(self.window.len())
    }

    /// A local unbind is in progress.
    pub fn is_unbinding(&self) -> bool {
        self.timers.is_set(Timer::Drain) || self.unbind_request.is_some()
    }

    /// The counters.
    pub fn stats(&self) -> &SessionStats {
        &self.stats
    }

    /// The settings.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Changes the window (requests awaiting a response) of the running
    /// session. Requests already out stay out; a smaller window takes
    /// effect as they complete.
    pub fn set_window(&mut self, window: usize) {
        self.config.window = window;
        self.window.set_limit(window);
    }

    /// Changes the outgoing throughput limit of the running session
    /// (`None`: unlimited); the token bucket starts full.
    pub fn set_throughput(&mut self, now: Instant, throughput: Option<Throughput>) {
        self.config.throughput = throughput;
        self.throughput = throughput.map(|t| TokenBucket::new(t, now));
    }

    /// Sending of messages is paused until this instant (the peer throttled
    /// us, or the throughput limit is reached).
    pub fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.backoff.paused_until(now)
    }

    // ----- outputs -----

    /// Appends the bytes to write to the connection; returns how many.
    pub fn poll_transmit(&mut self, buf: &mut Vec<u8>) -> usize {
        let n = self.transmit.len();
        if buf.is_empty() {
            std::mem::swap(buf, &mut self.transmit);
        } else {
            buf.append(&mut self.transmit);
        }
        n
    }

    /// Bytes waiting for [`Session::poll_transmit`].
    pub fn has_transmit(&self) -> bool {
        !self.transmit.is_empty()
    }

    /// The next event.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Every queued event at once, appended to `into` in order: the same
    /// events [`Session::poll_event`] would give one by one. When `into`
    /// is empty the two queues trade buffers and no event is copied, so a
    /// driver that keeps one empty queue and handles the events in place
    /// (by reference) never moves a PDU out of the session. False if there
    /// were none.
    pub fn take_events(&mut self, into: &mut VecDeque<Event>) -> bool {
        if self.events.is_empty() {
            return false;
        }
        if into.is_empty() {
            std::mem::swap(&mut self.events, into);
        } else {
            into.append(&mut self.events);
        }
        true
    }

    /// When [`Session::handle_timeout`] must be called next (`None`: no
    /// timer is running).
    #[must_use]
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        let bound = self.state.is_bound();
        let idle = self
            .config
            .enquire_link_interval
            .filter(|_| bound && self.enquire.is_none());
        let inactive = self.config.inactivity_timeout.filter(|_| bound);
        [
            self.timers.next(),
            idle.map(|d| self.last_rx + d),
            inactive.map(|d| self.last_rx + d),
            self.window.next_deadline(),
            self.backoff.deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- inputs -----

    /// Bytes read from the connection.
    pub fn handle_bytes(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        // Out of the session while its frames are handled (they borrow
        // it); a session that closes meanwhile drops it.
        let mut framer = std::mem::replace(&mut self.framer, Framer::new(0));
        let mut input = bytes;
        loop {
            match framer.next_frame_in(&mut input) {
                Ok(Some(frame)) => self.handle_frame(now, frame),
                Ok(None) => break,
                Err(e) => {
                    log::warn!("closing: {e}");
                    self.stats.bad_pdus += 1;
                    let seq = e.sequence.unwrap_or(0);
                    self.send_response(Pdu::error_response(
                        CommandId::GenericNack,
                        seq,
                        CommandStatus::InvCmdLen,
                    ));
                    self.close(CloseReason::BadFrame);
                    return;
                }
            }
            if self.state == State::Closed {
                return;
            }
        }
        framer.shrink();
        self.framer = framer;
    }

    /// The connection closed (EOF or error).
    pub fn handle_transport_closed(&mut self, _now: Instant) {
        if self.state != State::Closed {
            let reason = if self.state == State::Unbound {
                CloseReason::Unbound
            } else {
                log::info!("connection closed in state {}", self.state);
                CloseReason::TransportClosed
            };
            self.close(reason);
        }
    }

    /// Time passed: fire every timer that is due. Safe to call at any time.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        if self.timers.is_due(Timer::BindResponse, now)
            || (self.timers.is_due(Timer::Open, now) && !self.state.is_bound())
        {
            log::warn!("no bind completed in time");
            return self.close(CloseReason::BindTimeout);
        }
        if let Some(seq) = self
            .peer_unbind
            .filter(|_| self.timers.is_due(Timer::PeerUnbind, now))
        {
            log::warn!(
                "{} requests unanswered at the peer's unbind: dropped",
                self.inbound_count
            );
            self.send_response(Pdu::new(seq, Body::UnbindResp));
            return self.close(CloseReason::Unbound);
        }
        if self.timers.is_due(Timer::UnbindResponse, now) {
            log::warn!("no unbind_resp in time");
            return self.close(CloseReason::UnbindTimeout);
        }
        if let Some(d) = self.config.inactivity_timeout {
            if self.state.is_bound() && self.last_rx + d <= now {
                log::warn!("peer silent for {d:?}: closing");
                let seq = self.next_sequence();
                self.send_pdu(&Pdu::new(seq, Body::Unbind));
                return self.close(CloseReason::Inactive);
            }
        }
        if self.timers.is_due(Timer::EnquireResponse, now) {
            self.enquire = None;
            self.timers.stop(Timer::EnquireResponse);
            self.missed_enquires += 1;
            self.stats.enquire_link_failures += 1;
            log::warn!(
                "enquire_link unanswered ({} in a row)",
                self.missed_enquires
            );
            if self.missed_enquires >= self.config.enquire_link_max_missed.max(1) {
                return self.close(CloseReason::LinkDead);
            }
            self.send_enquire_link(now);
        }
        if let Some(interval) = self.config.enquire_link_interval {
            if self.state.is_bound() && self.enquire.is_none() && self.last_rx + interval <= now {
                self.send_enquire_link(now);
            }
        }
        while let Some(p) = self.window.pop_expired(now) {
            log::debug!("{} sequence {} timed out", p.body.command_id(), p.sequence);
            self.stats.timeouts += 1;
            self.events.push_back(Event::Returned {
                id: p.id,
                body: *p.body,
                reason: ReturnReason::Timeout,
            });
        }
        if self.timers.is_due(Timer::Drain, now) && self.unbind_request.is_none() {
            log::warn!(
                "unbinding with {} requests still outstanding",
                self.window.len()
            );
            self.send_unbind(now);
        } else {
            self.maybe_finish_drain(now);
        }
        self.backoff.expire(now);
        self.stats.in_flight = self.window.len();
    }

    // ----- commands -----

    /// ESME: bind in `mode` with these credentials. The outcome is
    /// [`Event::Bound`] or [`Event::BindRefused`].
    pub fn bind(&mut self, now: Instant, mode: BindMode, bind: Bind) -> Result<(), SessionError> {
        self.check_open()?;
        let id = mode.command_id();
        if self.role != Role::Esme || self.bind_request.is_some() {
            return Err(SessionError::InvalidState {
                command_id: id,
                state: self.state,
            });
        }
        if !may_send(self.role, self.state, id) {
            return Err(SessionError::InvalidState {
                command_id: id,
                state: self.state,
            });
        }
        log::info!("binding as {mode} (system_id {})", bind.system_id);
        let sequence = self.next_sequence();
        let body = match mode {
            BindMode::Transmitter => Body::BindTransmitter(bind),
            BindMode::Receiver => Body::BindReceiver(bind),
            BindMode::Transceiver => Body::BindTransceiver(bind),
        };
        self.send_pdu(&Pdu::new(sequence, body));
        self.bind_request = Some((sequence, mode));
        self.timers
            .set(Timer::BindResponse, now + self.config.bind_timeout);
        Ok(())
    }

    /// ESME: wait for an SMSC's outbind carrying `password` (and, when
    /// given, `system_id`: the SMSC's id, SMPP 3.4 §4.1.7), then bind as a
    /// receiver with `bind`. A mismatch closes the session
    /// ([`CloseReason::OutbindRejected`]).
    pub fn await_outbind(
        &mut self,
        now: Instant,
        system_id: Option<COctet<16>>,
        password: COctet<9>,
        bind: Bind,
    ) -> Result<(), SessionError> {
        self.check_open()?;
        if self.role != Role::Esme || self.state != State::Open || self.bind_request.is_some() {
            return Err(SessionError::InvalidState {
                command_id: CommandId::Outbind,
                state: self.state,
            });
        }
        self.outbind_wait = Some(OutbindWait {
            system_id,
            password,
            bind,
        });
        self.timers.set(Timer::Open, now + self.config.bind_timeout);
        Ok(())
    }

    /// SMSC: send `outbind` to a listening ESME, which should then bind as a
    /// receiver.
    pub fn outbind(&mut self, _now: Instant, password: COctet<9>) -> Result<(), SessionError> {
        self.check_open()?;
        if !may_send(self.role, self.state, CommandId::Outbind) {
            return Err(SessionError::InvalidState {
                command_id: CommandId::Outbind,
                state: self.state,
            });
        }
        let sequence = self.next_sequence();
        let body = Body::Outbind(Outbind {
            system_id: self.config.system_id,
            password,
        });
        self.send_pdu(&Pdu::new(sequence, body));
        self.set_state(State::Outbound);
        Ok(())
    }

    /// SMSC: accept the bind of [`Event::BindRequest`].
    pub fn accept_bind(&mut self, _now: Instant, id: InboundId) -> Result<(), SessionError> {
        self.check_open()?;
        let Some((pending, mode, system_id, version)) =
            self.bind_inbound.filter(|(i, ..)| *i == id)
        else {
            return Err(SessionError::UnknownInbound);
        };
        self.bind_inbound = None;
        let mut resp = BindResp {
            system_id: self.config.system_id,
            ..BindResp::default()
        };
        if version >= SMPP_VERSION_34 {
            resp.tlvs
                .push(Tlv::u8(TlvTag::ScInterfaceVersion, SMPP_VERSION_34));
        }
        let body = match mode {
            BindMode::Transmitter => Body::BindTransmitterResp(resp),
            BindMode::Receiver => Body::BindReceiverResp(resp),
            BindMode::Transceiver => Body::BindTransceiverResp(resp),
        };
        self.send_response(Pdu::new(pending.sequence, body));
        self.bound(mode, system_id, Some(version));
        Ok(())
    }

    /// SMSC: refuse the bind of [`Event::BindRequest`] with `status`
    /// (ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL, ...). The session
    /// closes.
    pub fn reject_bind(
        &mut self,
        _now: Instant,
        id: InboundId,
        status: CommandStatus,
    ) -> Result<(), SessionError> {
        self.check_open()?;
        if self.bind_inbound.is_none_or(|(i, ..)| i != id) {
            return Err(SessionError::UnknownInbound);
        }
        self.bind_inbound = None;
        let status = if status.is_ok() {
            CommandStatus::BindFail
        } else {
            status
        };
        log::info!("bind refused: {status}");
        self.send_response(Pdu::error_response(id.command_id, id.sequence, status));
        self.close(CloseReason::BindRefused(status));
        Ok(())
    }

    /// Sends a request (submit_sm, submit_multi, data_sm, query_sm,
    /// cancel_sm, replace_sm as ESME; deliver_sm, data_sm as SMSC). It ends
    /// in exactly one [`Event::Response`] or [`Event::Returned`] with the
    /// returned id.
    ///
    /// Never queues and never blocks: a full window is
    /// [`SessionError::WindowFull`], a pause is [`SessionError::Throttled`].
    /// Use [`Session::try_send`] to get the body back on refusal.
    pub fn send(&mut self, now: Instant, body: Body) -> Result<RequestId, SessionError> {
        self.try_send(now, body).map_err(|r| r.error)
    }

    /// As [`Session::send`], handing the body back when it is refused, so
    /// the caller can send it later.
    pub fn try_send(&mut self, now: Instant, body: Body) -> Result<RequestId, Refused> {
        if let Err(error) = self.check_send(now, body.command_id()) {
            return Err(Refused { error, body });
        }
        let id = body.command_id();
        let sequence = self.next_sequence();
        if let Err(e) = Pdu::encode_request(sequence, &body, &mut self.transmit) {
            return Err(Refused {
                error: SessionError::Encode(e),
                body,
            });
        }
        self.stats.sent.add(id);
        log::trace!("sent sequence {sequence} {body:?}");
        let request = RequestId(self.next_request_id);
        self.next_request_id += 1;
        // Boxed: the window's slots stay small, and the body is not
        // copied again until (if ever) it is handed back.
        let boxed = match self.spare_boxes.pop() {
            Some(mut spare) => {
                *spare = body;
                spare
            }
            None => Box::new(body),
        };
        self.window.insert(Pending {
            sequence,
            id: request,
            body: boxed,
            sent_at: now,
            deadline: now + self.config.response_timeout,
        });
        self.stats.in_flight = self.window.len();
        Ok(request)
    }

    /// Whether a request with this id may go now; takes a throughput token
    /// when it may.
    fn check_send(&mut self, now: Instant, id: CommandId) -> Result<(), SessionError> {
        self.check_open()?;
        match id {
            CommandId::SubmitSm
            | CommandId::SubmitMulti
            | CommandId::DataSm
            | CommandId::QuerySm
            | CommandId::CancelSm
            | CommandId::ReplaceSm
            | CommandId::DeliverSm => {}
            other => return Err(SessionError::NotARequest(other)),
        }
        if self.is_unbinding() {
            return Err(SessionError::Unbinding);
        }
        if !may_send(self.role, self.state, id) {
            return Err(SessionError::InvalidState {
                command_id: id,
                state: self.state,
            });
        }
        if self.window.is_full() {
            return Err(SessionError::WindowFull);
        }
        if matches!(
            id,
            CommandId::SubmitSm | CommandId::SubmitMulti | CommandId::DataSm | CommandId::DeliverSm
        ) {
            if let Some(until) = self.backoff.paused_until(now) {
                return Err(SessionError::Throttled(until));
            }
            if let Some(bucket) = &mut self.throughput {
                if let Err(at) = bucket.take(now, 1) {
                    self.stats.rate_limited += 1;
                    return Err(SessionError::Throttled(at));
                }
            }
        }
        Ok(())
    }

    /// SMSC: sends an `alert_notification` (it has no response).
    pub fn send_alert(
        &mut self,
        _now: Instant,
        alert: crate::pdu::AlertNotification,
    ) -> Result<(), SessionError> {
        self.check_open()?;
        let id = CommandId::AlertNotification;
        if !may_send(self.role, self.state, id) {
            return Err(SessionError::InvalidState {
                command_id: id,
                state: self.state,
            });
        }
        let sequence = self.next_sequence();
        self.send_pdu(&Pdu::new(sequence, Body::AlertNotification(alert)));
        Ok(())
    }

    /// Answers the peer's request of [`Event::Request`] with status 0 and
    /// `body` (which must be that request's response: a
    /// `SubmitSmResp` for a `submit_sm`, ...).
    pub fn respond(
        &mut self,
        _now: Instant,
        id: InboundId,
        body: Body,
    ) -> Result<(), SessionError> {
        self.check_open()?;
        let expected = id.command_id.response();
        if expected != Some(body.command_id()) {
            return Err(SessionError::NotARequest(body.command_id()));
        }
        self.take_inbound(id)?;
        // What send_response(Pdu::new(..)) does, without moving the body
        // (as large as a submit_sm) into a PDU first.
        self.stats.response_status_sent.add(CommandStatus::Ok);
        match Pdu::encode_request(id.sequence, &body, &mut self.transmit) {
            Ok(_) => {
                self.stats.sent.add(body.command_id());
                log::trace!("sent sequence {} {body:?}", id.sequence);
            }
            Err(e) => log::error!("cannot encode {}: {e}", body.command_id()),
        }
        self.maybe_finish_peer_unbind();
        Ok(())
    }

    /// Answers the peer's request of [`Event::Request`] with an error
    /// status and no body.
    pub fn respond_status(
        &mut self,
        _now: Instant,
        id: InboundId,
        status: CommandStatus,
    ) -> Result<(), SessionError> {
        self.check_open()?;
        self.take_inbound(id)?;
        self.send_response(Pdu::error_response(id.command_id, id.sequence, status));
        self.maybe_finish_peer_unbind();
        Ok(())
    }

    /// Never answers the peer's request of [`Event::Request`]: forgets it,
    /// as a peer that lost it would (fault injection; the other side's
    /// response timer fires). It no longer holds back a graceful unbind.
    pub fn ignore(&mut self, _now: Instant, id: InboundId) -> Result<(), SessionError> {
        self.check_open()?;
        self.take_inbound(id)?;
        self.maybe_finish_peer_unbind();
        Ok(())
    }

    /// Ends the session gracefully: no new requests; wait (at most
    /// `drain_timeout`) for outstanding responses; send `unbind`; wait for
    /// `unbind_resp` (at most `unbind_timeout`); close. Not bound: closes
    /// at once.
    pub fn unbind(&mut self, now: Instant) -> Result<(), SessionError> {
        self.check_open()?;
        if !self.state.is_bound() {
            self.close(CloseReason::Unbound);
            return Ok(());
        }
        if self.is_unbinding() {
            return Ok(());
        }
        log::info!("unbinding ({} requests outstanding)", self.window.len());
        self.timers
            .set(Timer::Drain, now + self.config.drain_timeout);
        self.maybe_finish_drain(now);
        Ok(())
    }

    /// Closes at once without unbinding: outstanding requests come back as
    /// [`Event::Returned`] with [`ReturnReason::Closed`].
    pub fn abort(&mut self, _now: Instant) {
        self.close(CloseReason::Aborted);
    }

    // ----- internals -----

    fn check_open(&self) -> Result<(), SessionError> {
        if self.state == State::Closed {
            Err(SessionError::Closed)
        } else {
            Ok(())
        }
    }

    fn set_state(&mut self, to: State) {
        let from = self.state;
        if from == to {
            return;
        }
        log::debug!("session {from} => {to}");
        self.state = to;
        self.events.push_back(Event::StateChanged { from, to });
    }

    fn next_sequence(&mut self) -> u32 {
        let internal = [
            self.bind_request.map(|(sequence, _)| sequence),
            self.enquire,
            self.unbind_request,
        ];
        self.window.next_sequence(|s| internal.contains(&Some(s)))
    }

    fn send_pdu(&mut self, pdu: &Pdu) {
        // Bodies built inside the session always encode.
        if let Err(e) = pdu.encode(&mut self.transmit) {
            log::error!("cannot encode {}: {e}", pdu.command_id());
            return;
        }
        self.stats.sent.add(pdu.command_id());
        log::trace!("sent {pdu:?}");
    }

    fn send_response(&mut self, pdu: Pdu) {
        self.stats.response_status_sent.add(pdu.status);
        self.send_pdu(&pdu);
    }

    fn take_inbound(&mut self, id: InboundId) -> Result<(), SessionError> {
        let key = (id.sequence, id.command_id);
        let Some(n) = self.inbound.get_mut(&key) else {
            return Err(SessionError::UnknownInbound);
        };
        *n -= 1;
        if *n == 0 {
            self.inbound.remove(&key);
        }
        self.inbound_count -= 1;
        Ok(())
    }

    /// Answers a deferred peer unbind once its requests are answered.
    fn maybe_finish_peer_unbind(&mut self) {
        if let Some(seq) = self.peer_unbind.filter(|_| self.inbound_count == 0) {
            self.peer_unbind = None;
            self.timers.stop(Timer::PeerUnbind);
            self.send_response(Pdu::new(seq, Body::UnbindResp));
            self.close(CloseReason::Unbound);
        }
    }

    fn send_enquire_link(&mut self, now: Instant) {
        let sequence = self.next_sequence();
        self.send_pdu(&Pdu::new(sequence, Body::EnquireLink));
        // An answer later than the next probe would be due is no answer:
        // a 1 s interval declares a dead link in seconds, not minutes.
        let wait = match self.config.enquire_link_interval {
            Some(interval) => self.config.response_timeout.min(interval),
            None => self.config.response_timeout,
        };
        self.enquire = Some(sequence);
        self.timers.set(Timer::EnquireResponse, now + wait);
    }

    fn send_unbind(&mut self, now: Instant) {
        let sequence = self.next_sequence();
        self.send_pdu(&Pdu::new(sequence, Body::Unbind));
        self.unbind_request = Some(sequence);
        self.timers
            .set(Timer::UnbindResponse, now + self.config.unbind_timeout);
        self.timers.stop(Timer::Drain);
    }

    fn maybe_finish_drain(&mut self, now: Instant) {
        if self.timers.is_set(Timer::Drain)
            && self.window.len() == 0
            && self.unbind_request.is_none()
        {
            self.send_unbind(now);
        }
    }

    /// Ends the session: hands back what was outstanding, then
    /// [`Event::Closed`].
    fn close(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        for p in self.window.drain() {
            self.events.push_back(Event::Returned {
                id: p.id,
                body: *p.body,
                reason: ReturnReason::Closed,
            });
        }
        self.bind_request = None;
        self.enquire = None;
        self.unbind_request = None;
        self.bind_inbound = None;
        self.outbind_wait = None;
        self.inbound.clear();
        self.inbound_count = 0;
        self.peer_unbind = None;
        self.timers.clear();
        self.stats.in_flight = 0;
        self.framer = Framer::new(0);
        self.set_state(State::Closed);
        log::info!("session closed: {reason}");
        self.close_reason = Some(reason);
        self.events.push_back(Event::Closed(reason));
    }

    /// Decodes a frame into a new event at the back of the queue and
    /// handles it there. A request for the application, and a response
    /// to a request in the window, stay as that event: their PDU (as large
    /// as a submit_sm) is not moved again on its way to the driver.
    /// Anything else is taken back out ([`Session::take_back_pdu`]) by the
    /// branch that handles it, before that branch queues anything.
    #[inline]
    fn handle_frame(&mut self, now: Instant, frame: &[u8]) {
        // The command id's top bit marks a response (as
        // CommandId::is_response reads it): the event's shape is the one
        // the PDU decoded into it calls for.
        let response = frame.get(4).is_some_and(|b| b & 0x80 != 0);
        let stand_in = Pdu::new(0, Body::GenericNack);
        self.events.push_back(if response {
            Event::Response {
                id: RequestId(0),
                pdu: stand_in,
                sent_at: now,
            }
        } else {
            Event::Request {
                id: InboundId {
                    sequence: 0,
                    command_id: CommandId::GenericNack,
                },
                pdu: stand_in,
            }
        });
        let Some(Event::Response { pdu, .. } | Event::Request { pdu, .. }) = self.events.back_mut()
        else {
            return;
        };
        if let Err(e) = Pdu::decode_into(frame, pdu) {
            self.events.pop_back();
            self.last_rx = now;
            self.missed_enquires = 0;
            return self.handle_bad_pdu(e);
        }
        let (id, seq, status) = (pdu.command_id(), pdu.sequence, pdu.status);
        log::trace!("received {pdu:?}");
        self.last_rx = now;
        self.missed_enquires = 0;
        self.bad_in_row = 0;
        self.stats.received.add(id);
        if id.is_response() {
            self.handle_response(now, id, seq, status);
        } else {
            self.handle_request(now, id, seq);
        }
    }

    /// The PDU just decoded at the back of the event queue, taken out.
    fn take_back_pdu(&mut self) -> Option<Pdu> {
        match self.events.pop_back()? {
            Event::Response { pdu, .. } | Event::Request { pdu, .. } => Some(pdu),
            other => {
                // Not the decoded PDU's: put back.
                self.events.push_back(other);
                None
            }
        }
    }

    fn handle_bad_pdu(&mut self, e: DecodeError) {
        self.stats.bad_pdus += 1;
        self.bad_in_row += 1;
        log::warn!("malformed PDU: {e}");
        let id = CommandId::from(e.command_id);
        // A request with a response of its own gets it; anything else
        // (a response, outbind, alert_notification) a generic_nack.
        let reply = match id.response() {
            Some(_) => Pdu::error_response(id, e.sequence, e.status()),
            None => Pdu::error_response(CommandId::GenericNack, e.sequence, e.status()),
        };
        self.send_response(reply);
        if self.bad_in_row >= self.config.max_bad_pdus.max(1) {
            self.close(CloseReason::TooManyBadPdus);
        }
    }

    /// The response decoded at the back of the event queue (`id`, `seq`,
    /// `status`): kept there as [`Event::Response`] when it answers a
    /// window request, taken out otherwise.
    fn handle_response(&mut self, now: Instant, id: CommandId, seq: u32, status: CommandStatus) {
        let nack = id == CommandId::GenericNack;
        self.stats.response_status_received.add(status);

        if let Some((_, mode)) = self.bind_request.filter(|(s, _)| *s == seq) {
            if nack || BindMode::from_command_id(id) == Some(mode) {
                self.bind_request = None;
                self.timers.stop(Timer::BindResponse);
                if let Some(pdu) = self.take_back_pdu() {
                    self.bind_answered(mode, pdu);
                }
                return;
            }
        }
        if self.enquire == Some(seq) && (nack || id == CommandId::EnquireLinkResp) {
            self.events.pop_back();
            self.enquire = None;
            self.timers.stop(Timer::EnquireResponse);
            return;
        }
        if self.unbind_request == Some(seq) && (nack || id == CommandId::UnbindResp) {
            self.events.pop_back();
            self.unbind_request = None;
            self.timers.stop(Timer::UnbindResponse);
            self.set_state(State::Unbound);
            log::info!("unbound");
            return self.close(CloseReason::Unbound);
        }
        if !self.answers_window(seq, id) {
            self.events.pop_back();
            self.stats.unexpected_responses += 1;
            log::warn!("{id} with sequence {seq} answers no outstanding request: ignored");
            return;
        }
        let Some(p) = self.window_answered(now, seq) else {
            self.events.pop_back();
            return;
        };
        if status == CommandStatus::Throttled {
            self.events.pop_back();
            self.stats.throttled += 1;
            let until = self.backoff.throttled(now);
            log::warn!("peer throttled us: pausing until +{:?}", until - now);
            self.events.push_back(Event::Returned {
                id: p.id,
                body: *p.body,
                reason: ReturnReason::Throttled,
            });
        } else {
            if status.is_ok() {
                self.backoff.succeeded();
            }
            // The event, completed where its PDU was decoded.
            if let Some(Event::Response {
                id: event_id,
                sent_at,
                ..
            }) = self.events.back_mut()
            {
                *event_id = p.id;
                *sent_at = p.sent_at;
            }
            self.keep_box(p.body);
        }
        self.maybe_finish_drain(now);
    }

    /// Whether a response (`id`, `seq`) answers a request in the window: a
    /// generic_nack answers any.
    fn answers_window(&self, seq: u32, id: CommandId) -> bool {
        self.window.get(seq).is_some_and(|p| {
            id == CommandId::GenericNack || p.body.command_id().response() == Some(id)
        })
    }

    /// The window request `seq` answered: taken out, its latency counted.
    fn window_answered(&mut self, now: Instant, seq: u32) -> Option<Pending> {
        let p = self.window.remove(seq)?;
        self.stats
            .latency
            .record(now.saturating_duration_since(p.sent_at));
        self.stats.in_flight = self.window.len();
        Some(p)
    }

    /// An answered request's box, kept for the next request (up to the
    /// window's limit).
    fn keep_box(&mut self, body: Box<Body>) {
        if self.spare_boxes.len() < self.window.limit() {
            self.spare_boxes.push(body);
        }
    }

    /// The bind completed: the state and the event, for both roles.
    fn bound(&mut self, mode: BindMode, peer: COctet<16>, interface_version: Option<u8>) {
        self.timers.stop(Timer::Open);
        self.set_state(mode.bound_state());
        log::info!("bound as {mode} (peer {peer})");
        self.events.push_back(Event::Bound {
            mode,
            system_id: peer,
            interface_version,
        });
    }

    fn bind_answered(&mut self, mode: BindMode, mut pdu: Pdu) {
        // A generic_nack never accepts a bind, whatever status it carries.
        if pdu.command_id() == CommandId::GenericNack && pdu.status.is_ok() {
            pdu.status = CommandStatus::BindFail;
        }
        if !pdu.status.is_ok() {
            log::warn!("bind as {mode} refused: {}", pdu.status);
            self.events
                .push_back(Event::BindRefused { status: pdu.status });
            return self.close(CloseReason::BindRefused(pdu.status));
        }
        let (system_id, interface_version) = match &pdu.body {
            Body::BindReceiverResp(r)
            | Body::BindTransmitterResp(r)
            | Body::BindTransceiverResp(r) => (r.system_id, r.tlvs.sc_interface_version()),
            _ => (COctet::EMPTY, None),
        };
        self.bound(mode, system_id, interface_version);
    }

    /// The request decoded at the back of the event queue (`id`, `seq`):
    /// kept there as [`Event::Request`] when it is the application's and
    /// admitted, taken out otherwise.
    fn handle_request(&mut self, now: Instant, id: CommandId, seq: u32) {
        if let CommandId::Unknown(raw) = id {
            self.events.pop_back();
            log::warn!("unknown command_id 0x{raw:08X}: generic_nack");
            return self.send_response(Pdu::error_response(
                CommandId::GenericNack,
                seq,
                CommandStatus::InvCmdId,
            ));
        }
        if !may_send(self.role.peer(), self.state, id) {
            if let Some(pdu) = self.take_back_pdu() {
                self.refuse_in_state(pdu);
            }
            return;
        }
        let for_app = matches!(
            self.events.back(),
            Some(Event::Request { pdu, .. }) if is_app_request(&pdu.body)
        );
        if for_app {
            // The application's: the event it was decoded into, once
            // admitted, is the one the driver gets.
            if self.admit_request(now, id, seq) {
                if let Some(Event::Request { id: event_id, .. }) = self.events.back_mut() {
                    *event_id = InboundId {
                        sequence: seq,
                        command_id: id,
                    };
                }
            } else {
                // Refused and answered: nothing for the driver.
                self.events.pop_back();
            }
            return;
        }
        let Some(pdu) = self.take_back_pdu() else {
            return;
        };
        match pdu.body {
            Body::EnquireLink => self.send_response(Pdu::new(seq, Body::EnquireLinkResp)),
            Body::Unbind => {
                self.set_state(State::Unbound);
                if self.inbound_count == 0 {
                    log::info!("peer unbinds");
                    self.send_response(Pdu::new(seq, Body::UnbindResp));
                    self.close(CloseReason::Unbound);
                } else {
                    // Requests it sent before the unbind are answered first.
                    log::info!(
                        "peer unbinds; answering its {} requests first",
                        self.inbound_count
                    );
                    self.peer_unbind = Some(seq);
                    self.timers
                        .set(Timer::PeerUnbind, now + self.config.response_timeout);
                }
            }
            Body::BindTransmitter(bind)
            | Body::BindReceiver(bind)
            | Body::BindTransceiver(bind) => self.bind_received(id, seq, bind),
            Body::Outbind(outbind) => self.outbind_received(now, outbind),
            Body::AlertNotification(alert) => self.events.push_back(Event::Alert(alert)),
            // Not reached (is_app_request took the rest), but a request is
            // never dropped unanswered: handed on as the application's.
            body => {
                if self.admit_request(now, id, seq) {
                    self.events.push_back(Event::Request {
                        id: InboundId {
                            sequence: seq,
                            command_id: id,
                        },
                        pdu: Pdu {
                            sequence: seq,
                            status: pdu.status,
                            body,
                        },
                    });
                }
            }
        }
    }

    /// A request the operation matrix does not allow here.
    fn refuse_in_state(&mut self, pdu: Pdu) {
        let id = pdu.command_id();
        log::warn!(
            "{id} not allowed in state {} ({:?} side)",
            self.state,
            self.role
        );
        let status = if self.state.is_bound() && BindMode::from_command_id(id).is_some() {
            CommandStatus::AlyBnd
        } else {
            CommandStatus::InvBndSts
        };
        match id {
            // No response PDU exists for these.
            CommandId::AlertNotification => {}
            CommandId::Outbind => self.send_response(Pdu::error_response(
                CommandId::GenericNack,
                pdu.sequence,
                status,
            )),
            _ => self.send_response(Pdu::error_response(id, pdu.sequence, status)),
        }
    }

    fn bind_received(&mut self, id: CommandId, sequence: u32, bind: Bind) {
        if self.role != Role::Smsc || self.bind_inbound.is_some() {
            return self.send_response(Pdu::error_response(id, sequence, CommandStatus::AlyBnd));
        }
        let Some(mode) = BindMode::from_command_id(id) else {
            return;
        };
        let inbound = InboundId {
            sequence,
            command_id: id,
        };
        self.bind_inbound = Some((inbound, mode, bind.system_id, bind.interface_version));
        log::info!("bind request as {mode} from {}", bind.system_id);
        self.events.push_back(Event::BindRequest {
            id: inbound,
            mode,
            bind,
        });
    }

    fn outbind_received(&mut self, now: Instant, outbind: Outbind) {
        let Some(wait) = self.outbind_wait.take() else {
            log::warn!("unexpected outbind from {}: closing", outbind.system_id);
            return self.close(CloseReason::OutbindRejected);
        };
        let id_ok = wait
            .system_id
            .is_none_or(|id| constant_time_eq(outbind.system_id.as_bytes(), id.as_bytes()));
        let ok = id_ok & constant_time_eq(outbind.password.as_bytes(), wait.password.as_bytes());
        if !ok {
            log::warn!(
                "outbind from {} with wrong credentials: closing",
                outbind.system_id
            );
            return self.close(CloseReason::OutbindRejected);
        }
        log::info!("outbind from {}: binding as receiver", outbind.system_id);
        self.set_state(State::Outbound);
        self.timers.stop(Timer::Open);
        // Binding from OUTBOUND is allowed for receivers.
        if let Err(e) = self.bind(now, BindMode::Receiver, wait.bind) {
            log::error!("cannot bind after outbind: {e}");
            self.close(CloseReason::OutbindRejected);
        }
    }

    /// A request for the application: rate and queue limits first.
    /// Whether a request for the application (`id`, `seq`) is taken: it
    /// then awaits an answer. If not, it is refused here, with
    /// ESME_RTHROTTLED or ESME_RMSGQFUL.
    fn admit_request(&mut self, now: Instant, id: CommandId, seq: u32) -> bool {
        let carries_message = matches!(
            id,
            CommandId::SubmitSm | CommandId::SubmitMulti | CommandId::DataSm
        );
        if carries_message && self.role == Role::Smsc {
            if let Some(bucket) = &mut self.inbound_rate {
                if bucket.take(now, 1).is_err() {
                    log::debug!("{id} above the per-session rate: ESME_RTHROTTLED");
                    self.send_response(Pdu::error_response(id, seq, CommandStatus::Throttled));
                    return false;
                }
            }
        }
        if self.inbound_count >= self.config.max_inbound_pending {
            log::warn!(
                "{} requests await an answer: ESME_RMSGQFUL",
                self.inbound_count
            );
            self.send_response(Pdu::error_response(id, seq, CommandStatus::MsgQFul));
            return false;
        }
        let n = self.inbound.entry((seq, id)).or_insert(0);
        if *n > 0 {
            log::warn!("peer reused sequence {seq} while it awaits an answer");
        }
        *n += 1;
        self.inbound_count += 1;
        true
    }
}

/// Whether a request is the application's to answer (everything but what
/// the session answers itself: enquire_link, unbind, the binds, outbind,
/// alert_notification).
fn is_app_request(body: &Body) -> bool {
    !matches!(
        body,
        Body::EnquireLink
            | Body::Unbind
            | Body::BindTransmitter(_)
            | Body::BindReceiver(_)
            | Body::BindTransceiver(_)
            | Body::Outbind(_)
            | Body::AlertNotification(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::{Address, MessageIdResp, ShortMessage, SubmitSm};
    use std::time::Duration;

    #[test]
    fn smsc_reports_bound_when_it_accepts_a_bind() {
        let t0 = Instant::now();
        let mut s = Session::smsc(SessionConfig::default(), t0);
        let bind = Bind {
            system_id: COctet::new(b"esme").unwrap(),
            interface_version: 0x33,
            ..Bind::default()
        };
        let pdu = Pdu::new(4, Body::BindReceiver(bind));
        s.handle_bytes(t0, &pdu.to_bytes().unwrap());
        let Some(Event::BindRequest { id, .. }) = s.poll_event() else {
            panic!("no bind request");
        };
        s.accept_bind(t0, id).unwrap();
        assert!(matches!(
            s.poll_event(),
            Some(Event::StateChanged {
                from: State::Open,
                to: State::BoundRx
            })
        ));
        match s.poll_event() {
            Some(Event::Bound {
                mode: BindMode::Receiver,
                system_id,
                interface_version: Some(0x33),
            }) => assert_eq!(system_id.as_bytes(), b"esme"),
            other => panic!("{other:?}"),
        }
        assert!(s.poll_event().is_none());
    }

    #[test]
    fn take_events_hands_over_the_queue_in_order() {
        let t0 = Instant::now();
        let mut s = Session::smsc(SessionConfig::default(), t0);
        let mut into = VecDeque::new();
        assert!(!s.take_events(&mut into), "nothing queued yet");
        let bind = |seq| Pdu::new(seq, Body::BindTransmitter(Bind::default()));
        s.handle_bytes(t0, &bind(1).to_bytes().unwrap());
        into.reserve(8);
        let spare = into.capacity();
        assert!(s.take_events(&mut into));
        assert!(matches!(into.front(), Some(Event::BindRequest { id, .. }) if id.sequence == 1));
        // An empty queue trades buffers: the session gets the spare one.
        assert_eq!(s.events.capacity(), spare);
        assert!(!s.take_events(&mut into));
        // A queue that holds events keeps them, and the new ones follow.
        s.handle_bytes(t0, &Pdu::new(2, Body::EnquireLink).to_bytes().unwrap());
        s.close(CloseReason::Aborted);
        assert!(s.take_events(&mut into));
        assert_eq!(into.len(), 3, "{into:?}");
        assert!(matches!(into[0], Event::BindRequest { .. }));
        assert!(matches!(
            into[1],
            Event::StateChanged {
                to: State::Closed,
                ..
            }
        ));
        assert!(matches!(into[2], Event::Closed(CloseReason::Aborted)));
        assert!(s.poll_event().is_none());
    }

    #[test]
    fn the_generic_nack_for_an_unframeable_length_counts_as_a_response() {
        let t0 = Instant::now();
        let mut s = Session::smsc(SessionConfig::default(), t0);
        s.handle_bytes(t0, &[0, 0, 0, 3]);
        assert_eq!(s.close_reason(), Some(CloseReason::BadFrame));
        assert_eq!(
            s.stats().response_status_sent.get(CommandStatus::InvCmdLen),
            1
        );
    }

    fn submit() -> Body {
        Body::SubmitSm(SubmitSm {
            dest: Address::new(1, 1, "447700900123").unwrap(),
            short_message: ShortMessage::new(b"hi").unwrap(),
            ..SubmitSm::default()
        })
    }

    fn bound_esme(now: Instant) -> Session {
        let config = SessionConfig {
            enquire_link_interval: Some(Duration::from_secs(30)),
            response_timeout: Duration::from_secs(60),
            ..SessionConfig::default()
        };
        let mut s = Session::esme(config, now);
        s.bind(now, BindMode::Transceiver, Bind::default()).unwrap();
        let resp = Pdu::new(1, Body::BindTransceiverResp(BindResp::default()));
        s.handle_bytes(now, &resp.to_bytes().unwrap());
        assert_eq!(s.state(), State::BoundTrx);
        while s.poll_event().is_some() {}
        s
    }

    /// The sequence numbers written since the last call.
    fn written(s: &mut Session) -> Vec<u32> {
        let mut buf = Vec::new();
        s.poll_transmit(&mut buf);
        let mut framer = Framer::new(1 << 16);
        framer.push(&buf);
        let mut out = Vec::new();
        while let Some(frame) = framer.next_frame().unwrap() {
            out.push(Pdu::decode(frame).unwrap().sequence);
        }
        out
    }

    #[test]
    fn sequence_numbers_wrap_to_one_and_responses_still_match() {
        let t0 = Instant::now();
        let mut s = bound_esme(t0);
        written(&mut s);
        s.window.set_next_sequence(MAX_SEQUENCE - 1);
        let ids: Vec<RequestId> = (0..3).map(|_| s.send(t0, submit()).unwrap()).collect();
        assert_eq!(written(&mut s), vec![MAX_SEQUENCE - 1, MAX_SEQUENCE, 1]);
        for (seq, id) in [
            (1, ids[2]),
            (MAX_SEQUENCE - 1, ids[0]),
            (MAX_SEQUENCE, ids[1]),
        ] {
            let resp = Pdu::new(seq, Body::SubmitSmResp(MessageIdResp::default()));
            s.handle_bytes(t0, &resp.to_bytes().unwrap());
            while let Some(e) = s.poll_event() {
                match e {
                    Event::Response { id: got, pdu, .. } => {
                        assert_eq!(got, id);
                        assert_eq!(pdu.sequence, seq);
                    }
                    other => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(s.in_flight(), 0);
        assert_eq!(s.stats().unexpected_responses, 0);
    }

    #[test]
    fn an_answered_requests_box_carries_the_next_one_and_spares_stay_within_the_window() {
        let t0 = Instant::now();
        let mut s = bound_esme(t0);
        s.set_window(2);
        written(&mut s);
        let answer = |s: &mut Session, seq: u32| {
            let resp = Pdu::new(seq, Body::SubmitSmResp(MessageIdResp::default()));
            s.handle_bytes(t0, &resp.to_bytes().unwrap());
            while s.poll_event().is_some() {}
        };
        for round in 0..3 {
            s.send(t0, submit()).unwrap();
            s.send(t0, submit()).unwrap();
            for seq in written(&mut s) {
                answer(&mut s, seq);
            }
            assert_eq!(s.spare_boxes.len(), 2, "round {round}");
        }
        // A box taken again holds the new body: it is what comes back.
        let last = Body::SubmitSm(SubmitSm {
            short_message: ShortMessage::new(b"the last one").unwrap(),
            ..SubmitSm::default()
        });
        let id = s.send(t0, last.clone()).unwrap();
        assert_eq!(s.spare_boxes.len(), 1);
        s.handle_timeout(t0 + Duration::from_secs(61));
        let returned = std::iter::from_fn(|| s.poll_event()).find_map(|e| match e {
            Event::Returned { id: got, body, .. } if got == id => Some(body),
            _ => None,
        });
        assert_eq!(returned, Some(last));
    }

    #[test]
    fn after_a_wrap_outstanding_numbers_are_skipped() {
        let t0 = Instant::now();
        let mut s = bound_esme(t0);
        written(&mut s);
        s.window.set_next_sequence(MAX_SEQUENCE);
        s.send(t0, submit()).unwrap();
        s.send(t0, submit()).unwrap();
        // enquire_link, sequence 2, outstanding too.
        let t1 = t0 + Duration::from_secs(30);
        s.handle_timeout(t1);
        assert_eq!(written(&mut s), vec![MAX_SEQUENCE, 1, 2]);
        // 2^31 - 1 numbers later the counter is back at 1: the request and
        // the enquire_link still waiting keep their numbers to themselves.
        s.window.set_next_sequence(1);
        s.send(t1, submit()).unwrap();
        assert_eq!(written(&mut s), vec![3]);
        assert_eq!(s.in_flight(), 3);
    }
}
