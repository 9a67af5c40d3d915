//! A session fed arbitrary chunks: the first byte picks the role and a
//! state to start from, the rest is cut into chunks and interleaved with
//! time steps, commands and responses to inbound requests. Nothing may
//! panic; every request sent ends in exactly one event; the session never
//! reports a deadline in the past after `handle_timeout`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smpp::pdu::{Address, Bind, Body, COctet, CommandStatus, MessageIdResp, ShortMessage, SubmitSm};
use smpp::session::{BindMode, Event, Session, SessionConfig};
use std::collections::HashSet;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, mut rest)) = data.split_first() else { return };
    let t0 = Instant::now();
    let mut now = t0;
    let config = SessionConfig {
        window: 4,
        max_inbound_pending: 4,
        enquire_link_interval: Some(Duration::from_millis(50)),
        response_timeout: Duration::from_millis(80),
        ..SessionConfig::default()
    };
    let mut s = if mode & 1 == 0 {
        let mut s = Session::esme(config, now);
        let bind = Bind {
            system_id: COctet::try_from("fuzz").unwrap(),
            interface_version: 0x34,
            ..Bind::default()
        };
        let modes = [BindMode::Transmitter, BindMode::Receiver, BindMode::Transceiver];
        s.bind(now, modes[usize::from(mode >> 1) % 3], bind).unwrap();
        s
    } else {
        Session::smsc(config, now)
    };
    let mut out = Vec::new();
    let mut open: HashSet<u64> = HashSet::new();
    let mut ended: HashSet<u64> = HashSet::new();
    let mut closed = false;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 8 {
            0..=3 => {
                let n = (usize::from(op >> 3) + 1).min(rest.len());
                let (chunk, tail) = rest.split_at(n);
                rest = tail;
                s.handle_bytes(now, chunk);
            }
            4 => {
                now += Duration::from_millis(u64::from(op >> 3) * 7);
                s.handle_timeout(now);
            }
            5 => {
                let sm = SubmitSm {
                    dest: Address::new(1, 1, "1").unwrap(),
                    short_message: ShortMessage::new(b"x").unwrap(),
                    ..SubmitSm::default()
                };
                let body = if mode & 1 == 0 { Body::SubmitSm(sm) } else { Body::DeliverSm(sm) };
                if let Ok(id) = s.send(now, body) {
                    assert!(open.insert(id.0));
                }
            }
            6 => {
                let _ = s.unbind(now);
            }
            _ => s.handle_transport_closed(now),
        }
        while let Some(event) = s.poll_event() {
            assert!(!closed, "an event after Closed");
            match event {
                Event::Response { id, .. } | Event::Returned { id, .. } => {
                    assert!(open.remove(&id.0), "request {id:?} ended twice or never began");
                    ended.insert(id.0);
                }
                Event::BindRequest { id, .. } => {
                    if op & 0x40 == 0 {
                        let _ = s.accept_bind(now, id);
                    } else {
                        let _ = s.reject_bind(now, id, CommandStatus::InvPaswd);
                    }
                }
                Event::Request { id, .. } => {
                    let resp = match id.command_id().response() {
                        Some(smpp::pdu::CommandId::SubmitSmResp) => Some(Body::SubmitSmResp(
                            MessageIdResp::new(COctet::try_from("1").unwrap()),
                        )),
                        Some(smpp::pdu::CommandId::DeliverSmResp) => {
                            Some(Body::DeliverSmResp(MessageIdResp::default()))
                        }
                        _ => None,
                    };
                    let answered = match resp {
                        Some(body) if op & 0x20 == 0 => s.respond(now, id, body),
                        _ => s.respond_status(now, id, CommandStatus::SysErr),
                    };
                    // A request queued before the session closed (in the
                    // same input) can no longer be answered; an open
                    // session always takes the answer.
                    if let Err(e) = answered {
                        assert!(s.is_closed(), "answer refused on an open session: {e}");
                    }
                }
                Event::Closed(_) => closed = true,
                _ => {}
            }
        }
        out.clear();
        s.poll_transmit(&mut out);
        if let Some(deadline) = s.poll_timeout() {
            if deadline <= now {
                s.handle_timeout(now);
                while s.poll_event().is_some() {}
                if let Some(again) = s.poll_timeout() {
                    assert!(again > now, "handle_timeout left a deadline due");
                }
            }
        }
    }
    if closed {
        assert!(open.is_empty(), "requests outstanding after Closed: {open:?}");
    }
});
