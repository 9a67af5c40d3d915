//! Deliveries in: MO messages to `incoming/` (parts joined first), receipts
//! to `report/`. Each deliver_sm is acknowledged only once its file is
//! durable; if writing fails it is answered ESME_RX_T_APPN and the SMSC
//! sends it again.

use super::links::Side;
use super::{lock, now_dt, RelayEvent, Shared};
use crate::daemon::metrics::Counter;
use crate::daemon::spool::{IncomingMessage, MessageIdIndex, ReportMessage};
use crate::pdu::{Body, CommandStatus, ESM_UDHI};
use crate::receipt::Receipt;
use crate::runtime::{Delivery, Esme, EsmeEvent, LinkState, Ticket};
use crate::session::CloseReason;
use crate::text::{udh, Encoding, Pushed, Reassembler};
use crossbeam_channel::RecvTimeoutError;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long the parts of one MO message may take to arrive.
const REASSEMBLY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a receipt waits for its submit's outcome to be recorded.
const ORIGINAL_WAIT: Duration = Duration::from_millis(200);
/// Incomplete MO messages held at once.
const MAX_PENDING: usize = 1024;
/// How long a receipt whose message id is not in the index waits for it
/// to appear: another instance (another host, on a shared spool) writes
/// its line a moment after the submit_sm_resp, and a shared filesystem may
/// show it to this host up to a second later.
const RECEIPT_WAIT: Duration = Duration::from_secs(2);
/// How often the index is read again while receipts wait.
const RECEIPT_RETRY: Duration = Duration::from_millis(20);

type Key = (String, String, u16, u8);

struct Receiver<'a> {
    shared: &'a Shared,
    esme: &'a Esme,
    side: Side,
    parts: Reassembler<Key>,
    /// Deliveries of incomplete messages, answered once the message is
    /// written.
    held: HashMap<Key, Vec<Delivery>>,
    /// Receipts whose message id was not found yet, with when they stop
    /// waiting; answered once written.
    waiting: Vec<(Delivery, Receipt, Instant)>,
    /// When the index was last read again for them.
    retried: Instant,
}

/// The receiver thread: deliveries of `esme` (the main link, or a link an
/// outbind opened).
pub(crate) fn receiver(shared: &Shared, esme: &Esme, side: Side) {
    let mut r = Receiver {
        shared,
        esme,
        side,
        parts: Reassembler::new(REASSEMBLY_TIMEOUT, MAX_PENDING),
        held: HashMap::new(),
        waiting: Vec::new(),
        retried: Instant::now(),
    };
    let events = esme.events();
    loop {
        let wait = if r.waiting.is_empty() {
            Duration::from_millis(100)
        } else {
            RECEIPT_RETRY
        };
        match events.recv_timeout(wait) {
            Ok(event) => r.event(event),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                r.retry_waiting(true);
                return;
            }
        }
        if !r.waiting.is_empty() && r.retried.elapsed() >= RECEIPT_RETRY {
            r.retry_waiting(false);
        }
        for (key, parts) in r.parts.expire(Instant::now()) {
            log::warn!(
                "MO from {} incomplete after {REASSEMBLY_TIMEOUT:?}: writing what came",
                key.0
            );
            r.write_parts(&key, parts.into_iter().flatten().collect());
        }
        if shared.may_leave(esme, events.is_empty()) {
            r.retry_waiting(true);
            return;
        }
    }
}

impl Receiver<'_> {
    fn event(&mut self, event: EsmeEvent) {
        match event {
            EsmeEvent::Bound { link } => {
                let counted = lock(&self.shared.links).bound(self.side, link);
                if counted.bind {
                    self.shared.metrics.inc(Counter::Binds);
                }
                if counted.reconnect {
                    self.shared.metrics.inc(Counter::Reconnects);
                }
                self.shared.event(RelayEvent::Bound);
                // Files waiting in outgoing/ may go now.
                self.shared.wake();
            }
            EsmeEvent::Reconnecting {
                link,
                reason,
                delay,
            } => {
                // A failed connect's own cause (connection refused) is
                // better than the session's (connection closed).
                let why = match self.esme.link_states().get(link) {
                    Some(LinkState::Down(why)) => why.clone(),
                    _ => reason.to_string(),
                };
                lock(&self.shared.links).down(self.side, link, why.clone(), delay);
                self.shared.event(RelayEvent::LinkDown(why));
            }
            EsmeEvent::Closed {
                reason: CloseReason::BindRefused(status),
                ..
            } => {
                // Bad credentials: retrying will not help.
                log::error!(
                    target: "smppd",
                    "{} refused the bind: {status}; not retrying",
                    self.esme.addr()
                );
                lock(&self.shared.links).error(format!("bind refused: {status}"));
                *lock(&self.shared.refused) = Some(status);
            }
            EsmeEvent::Closed { link, reason } => log::debug!("link {link} closed: {reason}"),
            EsmeEvent::Alert(a) => log::info!("alert_notification: {:?}", a.source),
            EsmeEvent::Delivery(d) => match d.receipt.clone() {
                Some(receipt) => self.report(d, &receipt),
                None => self.mo(d),
            },
        }
    }

    fn report(&mut self, d: Delivery, receipt: &Receipt) {
        if !matches!(d.pdu.body, Body::DeliverSm(_) | Body::DataSm(_)) {
            return d.nack(CommandStatus::RxRAppn);
        }
        match self.original_file(&receipt.id, d.ticket) {
            Some(original) => self.write_report(d, receipt, Some(original)),
            // Not sent from here since the start: another instance may
            // have sent it, and its line may not be visible yet.
            None if d.ticket.is_none() => {
                let until = Instant::now() + RECEIPT_WAIT;
                self.waiting.push((d, receipt.clone(), until));
            }
            None => self.write_report(d, receipt, None),
        }
    }

    /// Reads the index again (what other instances appended since) and
    /// writes the waiting receipts whose file it now names, and those whose
    /// wait is over (all of them with `all`) without `Original_file:`.
    fn retry_waiting(&mut self, all: bool) {
        if self.waiting.is_empty() {
            return;
        }
        self.retried = Instant::now();
        let now = Instant::now();
        let found: Vec<Option<String>> = {
            let mut index = lock(&self.shared.index);
            if let Err(e) = index.refresh() {
                log::warn!("message id index: {e}");
            }
            self.waiting
                .iter()
                .map(|(_, r, _)| index.get(&r.id).map(str::to_owned))
                .collect()
        };
        let waiting = std::mem::take(&mut self.waiting);
        for ((d, receipt, until), original) in waiting.into_iter().zip(found) {
            if original.is_some() || all || now >= until {
                if original.is_none() {
                    log::debug!(
                        "receipt for {}: no file known for its message id",
                        receipt.id
                    );
                }
                self.write_report(d, &receipt, original);
            } else {
                self.waiting.push((d, receipt, until));
            }
        }
    }

    fn write_report(&mut self, d: Delivery, receipt: &Receipt, original: Option<String>) {
        let (from, to, text) = match &d.pdu.body {
            Body::DeliverSm(sm) => (
                sm.source.addr.to_string(),
                sm.dest.addr.to_string(),
                String::from_utf8_lossy(sm.payload()).into_owned(),
            ),
            Body::DataSm(sm) => (
                sm.source.addr.to_string(),
                sm.dest.addr.to_string(),
                String::from_utf8_lossy(sm.tlvs.message_payload().unwrap_or_default()).into_owned(),
            ),
            _ => return d.nack(CommandStatus::RxRAppn),
        };
        let status = match (&receipt.stat, receipt.stat_text.as_str()) {
            (_, s) if !s.is_empty() => s.to_owned(),
            (Some(state), _) => state.stat_text().to_owned(),
            (None, _) => "UNKNOWN".to_owned(),
        };
        let report = ReportMessage {
            from,
            to,
            received: now_dt(),
            message_id: receipt.id.clone(),
            status: status.clone(),
            error: receipt.err.clone(),
            done_date: receipt.done_date,
            original_file: original.clone(),
            text,
        };
        match self.shared.spool.write_report(&report) {
            Ok(file) => {
                d.ack();
                self.shared.metrics.inc(Counter::Receipts);
                log::info!("receipt for {} ({status}) in report/{file}", receipt.id);
                self.shared.event(RelayEvent::Report {
                    file,
                    original,
                    status,
                });
            }
            Err(e) => {
                log::error!("cannot write a receipt: {e}");
                d.nack(CommandStatus::RxTAppn);
            }
        }
    }

    /// The file a receipt's message was sent from. A receipt can come
    /// before the completer has recorded its submit_sm_resp (an SMSC may
    /// send it right after the response): when the runtime knows the submit
    /// (`ticket`), the file is found through the submit still in flight, or
    /// waited for (bounded) while its outcome is on the way to the index.
    fn original_file(&self, id: &str, ticket: Option<Ticket>) -> Option<String> {
        // The index normalises ids itself; on a miss it also reads what
        // other instances have appended since.
        let lookup = |index: &mut MessageIdIndex| index.lookup(id).ok().flatten();
        let Some(ticket) = ticket else {
            // Sent before a restart (in memory since the start), or by
            // another instance (its line is read by the retries).
            return lock(&self.shared.index).get(id).map(str::to_owned);
        };
        let deadline = Instant::now() + ORIGINAL_WAIT;
        loop {
            {
                // The completer moves a submit from `tickets` to the index
                // under both locks, so one of the two has it.
                let out = lock(&self.shared.outbound);
                let mut index = lock(&self.shared.index);
                if let Some(name) = index.get(id) {
                    return Some(name.to_owned());
                }
                if let Some(name) = out.file_of_ticket(ticket) {
                    return Some(name.to_owned());
                }
                // Otherwise its outcome is on the way to the completer (or
                // back from it to the submitter, which records the ticket).
                if Instant::now() >= deadline {
                    return lookup(&mut index);
                }
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn mo(&mut self, d: Delivery) {
        let (from, to, esm_class, data_coding, payload, sar) = match &d.pdu.body {
            Body::DeliverSm(sm) => (
                sm.source.addr.to_string(),
                sm.dest.addr.to_string(),
                sm.esm_class,
                u8::from(sm.data_coding),
                sm.payload().to_vec(),
                sm.tlvs.sar(),
            ),
            Body::DataSm(sm) => (
                sm.source.addr.to_string(),
                sm.dest.addr.to_string(),
                sm.esm_class,
                u8::from(sm.data_coding),
                sm.tlvs.message_payload().unwrap_or_default().to_vec(),
                sm.tlvs.sar(),
            ),
            _ => return d.nack(CommandStatus::RxRAppn),
        };
        let concat = if esm_class & ESM_UDHI != 0 {
            match udh::parse_concat(&payload) {
                Some((c, rest)) => Some((c.reference, c.total, c.seqnum, rest.to_vec())),
                // A header without concatenation: strip it, keep the text.
                None => {
                    let data = udh::strip(&payload).map_or(payload.clone(), |(_, r)| r.to_vec());
                    return self.write_one(d, from, to, data_coding, data);
                }
            }
        } else {
            sar.map(|(r, t, s)| (r, t, s, payload.clone()))
        };
        // One part, or numbering that cannot be joined: write it as it is.
        let Some((reference, total, seqnum, data)) =
            concat.filter(|c| c.1 > 1 && c.2 >= 1 && c.2 <= c.1)
        else {
            return self.write_one(d, from, to, data_coding, payload);
        };
        let key: Key = (from, to, reference, data_coding);
        match self
            .parts
            .push(Instant::now(), key.clone(), total, seqnum, data)
        {
            Pushed::Complete(parts) => {
                self.held.entry(key.clone()).or_default().push(d);
                self.write_parts(&key, parts);
            }
            Pushed::Pending => self.held.entry(key).or_default().push(d),
            // A duplicate part: its message is (being) written already.
            Pushed::Rejected(_) => d.ack(),
            Pushed::Evicted { key: old, parts } => {
                // The old set's deliveries are answered with it; this part
                // starts (or joins) the set under `key`.
                self.write_parts(&old, parts.into_iter().flatten().collect());
                self.held.entry(key).or_default().push(d);
            }
        }
    }

    fn write_one(&mut self, d: Delivery, from: String, to: String, coding: u8, data: Vec<u8>) {
        match self.write_incoming(from, to, coding, data) {
            true => d.ack(),
            false => d.nack(CommandStatus::RxTAppn),
        }
    }

    /// Writes a (possibly partial) multipart message and answers every part
    /// held for it.
    fn write_parts(&mut self, key: &Key, parts: Vec<Vec<u8>>) {
        let data = parts.concat();
        let ok = self.write_incoming(key.0.clone(), key.1.clone(), key.3, data);
        for d in self.held.remove(key).unwrap_or_default() {
            if ok {
                d.ack();
            } else {
                d.nack(CommandStatus::RxTAppn);
            }
        }
    }

    fn write_incoming(&mut self, from: String, to: String, coding: u8, data: Vec<u8>) -> bool {
        let msg = IncomingMessage {
            from,
            to,
            received: now_dt(),
            encoding: Encoding::from_data_coding(coding),
            data,
        };
        match self.shared.spool.write_incoming(&msg) {
            Ok(file) => {
                self.shared.metrics.inc(Counter::Received);
                log::info!("MO message in incoming/{file}");
                self.shared.event(RelayEvent::Incoming { file });
                true
            }
            Err(e) => {
                log::error!("cannot write an MO message: {e}");
                false
            }
        }
    }
}
