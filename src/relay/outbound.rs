//! Files out: claim, compose, submit, record, finish, retry.

use super::{classify, lock, RelayEvent, Retry, Shared};
use crate::compose::{self, Content, Options};
use crate::datetime::DateTime;
use crate::metrics::Counter;
use crate::pdu::{Body, Pdu, SubmitSm};
use crate::runtime::{Completion, SubmitError, SubmitMode, Ticket};
use crate::spool::{self, ClaimedFile, SpoolError};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant, SystemTime};

/// One claimed file on its way.
struct FileState {
    claimed: ClaimedFile,
    parts: Vec<SubmitSm>,
    ids: Vec<Option<String>>,
    attempts: u32,
}

/// What the submitter and completer share.
#[derive(Default)]
pub(crate) struct Outbound {
    files: HashMap<u64, FileState>,
    tickets: HashMap<Ticket, (u64, usize)>,
    /// Completions that arrived before their ticket was recorded.
    early: HashMap<Ticket, Result<Pdu, SubmitError>>,
    retries: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    next_key: u64,
}

impl Outbound {
    pub(crate) fn files_in_flight(&self) -> usize {
        self.files.len()
    }
}

fn now_dt() -> DateTime {
    DateTime::from_system_time(SystemTime::now())
}

/// The backoff before retry `attempt` (1-based): 1 s, 2 s, 4 s, ... 60 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

/// The submitter thread.
pub(crate) fn submitter(shared: &Shared, woken: &Receiver<()>) {
    match shared.spool.recover_checked() {
        Ok(files) => {
            for claimed in files {
                log::info!("resuming {}", claimed.name());
                start_file(shared, claimed);
            }
        }
        Err(e) => log::error!("cannot recover checked/: {e}"),
    }
    let scan_every = shared.config.scan_interval.max(Duration::from_millis(10));
    loop {
        if shared.stopping() {
            return;
        }
        run_due_retries(shared);
        scan(shared);
        let next_retry = lock(&shared.outbound)
            .retries
            .peek()
            .map(|Reverse((at, ..))| *at);
        let wait = next_retry
            .map(|at| at.saturating_duration_since(Instant::now()))
            .unwrap_or(scan_every)
            .min(scan_every);
        match woken.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Claims and starts every claimable file, high priority first, then
/// oldest.
fn scan(shared: &Shared) {
    let candidates = match shared.spool.scan_outgoing() {
        Ok(c) => c,
        Err(e) => {
            log::error!("cannot scan outgoing/: {e}");
            return;
        }
    };
    for candidate in candidates {
        if shared.stopping() {
            return;
        }
        match shared.spool.claim(&candidate.name) {
            Ok(Some(claimed)) => start_file(shared, claimed),
            Ok(None) => {} // another daemon took it, or it went away
            Err(e) => log::warn!("cannot claim {}: {e}", candidate.name),
        }
    }
}

/// Composes a claimed file's parts and submits those not yet accepted.
fn start_file(shared: &Shared, claimed: ClaimedFile) {
    let name = claimed.name().to_owned();
    let parts = match compose_file(shared, &claimed) {
        Ok(parts) => parts,
        Err(reason) => {
            log::warn!("{name}: {reason}");
            return fail(shared, claimed, &reason);
        }
    };
    let done = claimed.parts_done().clone();
    let mut ids: Vec<Option<String>> = vec![None; parts.len()];
    for (i, id) in done {
        if let Some(slot) = ids.get_mut(i) {
            *slot = Some(id);
        }
    }
    shared.event(RelayEvent::Claimed {
        file: name.clone(),
        parts: parts.len(),
    });
    let todo: Vec<usize> = (0..parts.len()).filter(|&i| ids[i].is_none()).collect();
    let key = {
        let mut out = lock(&shared.outbound);
        let key = out.next_key;
        out.next_key += 1;
        out.files.insert(
            key,
            FileState {
                claimed,
                parts,
                ids,
                attempts: 0,
            },
        );
        key
    };
    if todo.is_empty() {
        // Every part was accepted before a restart: only the finish is left.
        let mut out = lock(&shared.outbound);
        finish_if_done(shared, &mut out, key);
        return;
    }
    for i in todo {
        submit_part(shared, key, i);
    }
}

/// The parts of a file, or the `Fail_reason:` sentence.
fn compose_file(shared: &Shared, claimed: &ClaimedFile) -> Result<Vec<SubmitSm>, String> {
    let message = claimed.message().map_err(|e| match e {
        SpoolError::BadFile(b) => b.to_string(),
        other => other.to_string(),
    })?;
    let content = match message
        .content(shared.config.latin1)
        .map_err(|e| e.to_string())?
    {
        spool::Content::Text { text, encoding } => Content::TextAs(text, encoding),
        spool::Content::Binary(data) => Content::Binary(data),
    };
    let options = Options {
        split: shared.config.split,
        allow_latin1: shared.config.latin1,
        report: message.report,
        flash: message.flash,
        validity: message.validity,
        priority: message.priority_high,
        max_parts: shared.config.max_parts,
    };
    let from = message
        .from
        .as_deref()
        .or(shared.config.smsc.source_addr.as_deref());
    // A reference from the name: the same file gets the same reference
    // after a restart, so resent parts still join their siblings.
    let reference = claimed.name().bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    }) as u16;
    compose::compose(&message.to, from, &content, &options, reference).map_err(|e| e.to_string())
}

/// Submits part `i` of file `key`; blocks while the window is full.
fn submit_part(shared: &Shared, key: u64, i: usize) {
    let body = {
        let out = lock(&shared.outbound);
        let Some(file) = out.files.get(&key) else {
            return;
        };
        Body::SubmitSm(file.parts[i].clone())
    };
    let wait = SubmitMode::Wait(shared.config.smsc.response_timeout + Duration::from_secs(5));
    match shared.esme.submit_async(body, wait) {
        Ok(ticket) => {
            let mut out = lock(&shared.outbound);
            match out.early.remove(&ticket) {
                Some(outcome) => {
                    out.tickets.insert(ticket, (key, i));
                    complete(shared, &mut out, ticket, outcome);
                }
                None => {
                    out.tickets.insert(ticket, (key, i));
                }
            }
        }
        Err(e) => {
            let mut out = lock(&shared.outbound);
            retry(shared, &mut out, key, i, &e);
        }
    }
}

fn run_due_retries(shared: &Shared) {
    let now = Instant::now();
    loop {
        let due = {
            let mut out = lock(&shared.outbound);
            match out.retries.peek() {
                Some(Reverse((at, ..))) if *at <= now => out.retries.pop(),
                _ => None,
            }
        };
        let Some(Reverse((_, key, i))) = due else {
            return;
        };
        if shared.stopping() {
            return;
        }
        submit_part(shared, key, i);
    }
}

/// The completer thread: every submit's outcome.
pub(crate) fn completer(shared: &Shared) {
    let completions = shared.esme.completions();
    loop {
        match completions.recv_timeout(Duration::from_millis(200)) {
            Ok(Completion { ticket, outcome }) => {
                let mut out = lock(&shared.outbound);
                if out.tickets.contains_key(&ticket) {
                    complete(shared, &mut out, ticket, outcome);
                } else {
                    out.early.insert(ticket, outcome);
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if shared.stopping() && shared.esme.in_flight() == 0 {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

fn complete(
    shared: &Shared,
    out: &mut Outbound,
    ticket: Ticket,
    outcome: Result<Pdu, SubmitError>,
) {
    let Some((key, i)) = out.tickets.remove(&ticket) else {
        return;
    };
    match outcome {
        Ok(pdu) => accepted(shared, out, key, i, &pdu),
        Err(e) => retry(shared, out, key, i, &e),
    }
}

/// Part `i` was accepted: record it durably, then maybe finish the file.
fn accepted(shared: &Shared, out: &mut Outbound, key: u64, i: usize, pdu: &Pdu) {
    let Some(file) = out.files.get_mut(&key) else {
        return;
    };
    let id = match &pdu.body {
        Body::SubmitSmResp(r) => r.message_id.to_string(),
        _ => String::new(),
    };
    if let Err(e) = file.claimed.record_part(i, &id) {
        // Not recorded: after a restart this part is sent again. Keep going.
        log::error!("{}: {e}", file.claimed.name());
    }
    shared.metrics.inc(Counter::PartsSent);
    if !id.is_empty() {
        if let Err(e) = lock(&shared.index).insert(&id, file.claimed.name(), SystemTime::now()) {
            log::warn!("message id index: {e}");
        }
    }
    file.ids[i] = Some(id);
    finish_if_done(shared, out, key);
}

fn finish_if_done(shared: &Shared, out: &mut Outbound, key: u64) {
    let complete = out
        .files
        .get(&key)
        .is_some_and(|f| f.ids.iter().all(Option::is_some));
    if !complete {
        return;
    }
    let Some(file) = out.files.remove(&key) else {
        return;
    };
    let ids: Vec<String> = file.ids.into_iter().flatten().collect();
    let name = file.claimed.name().to_owned();
    match shared.spool.finish_sent(file.claimed, now_dt(), &ids) {
        Ok(sent) => {
            log::info!("{name}: sent ({} parts)", ids.len());
            shared.metrics.inc(Counter::Sent);
            shared.event(RelayEvent::Sent {
                file: sent,
                message_ids: ids,
            });
        }
        Err(e) => log::error!("{name}: cannot finish: {e} (it stays in checked/)"),
    }
}

/// Part `i` failed with `e`: retry it later, or fail the file.
fn retry(shared: &Shared, out: &mut Outbound, key: u64, i: usize, e: &SubmitError) {
    let Some(file) = out.files.get_mut(&key) else {
        return;
    };
    let name = file.claimed.name().to_owned();
    let kind = classify(e);
    if kind == Retry::Never {
        let reason = match e {
            SubmitError::Status(s) => s.to_string(),
            other => other.to_string(),
        };
        if let Some(file) = out.files.remove(&key) {
            return fail(shared, file.claimed, &reason);
        }
        return;
    }
    if kind == Retry::Counted {
        file.attempts += 1;
        if file.attempts > shared.config.smsc.retries {
            let reason = format!("{e} ({} attempts)", file.attempts);
            if let Some(file) = out.files.remove(&key) {
                return fail(shared, file.claimed, &reason);
            }
            return;
        }
        shared.metrics.inc(Counter::Retried);
    }
    if matches!(e, SubmitError::Status(crate::pdu::CommandStatus::Throttled)) {
        shared.metrics.inc(Counter::Throttled);
    }
    let delay = match kind {
        Retry::Counted => backoff(file.attempts),
        _ => Duration::from_millis(500),
    };
    log::info!("{name}: part {} again in {delay:?}: {e}", i + 1);
    shared.event(RelayEvent::Retrying {
        file: name,
        reason: e.to_string(),
    });
    out.retries.push(Reverse((Instant::now() + delay, key, i)));
    shared.wake();
}

/// Moves a file to `failed/` with a `Fail_reason:`.
fn fail(shared: &Shared, claimed: ClaimedFile, reason: &str) {
    let name = claimed.name().to_owned();
    match shared.spool.finish_failed(claimed, now_dt(), reason) {
        Ok(failed) => {
            log::warn!("{name}: failed: {reason}");
            shared.metrics.inc(Counter::Failed);
            shared.event(RelayEvent::Failed {
                file: failed,
                reason: reason.to_owned(),
            });
        }
        Err(e) => log::error!("{name}: cannot move to failed/: {e} (it stays in checked/)"),
    }
}
