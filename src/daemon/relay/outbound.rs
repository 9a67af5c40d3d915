//! Files out: claim, compose, submit, record, finish, retry.
//!
//! Both threads work in batches, so that the fsyncs the spool's guarantees
//! need are paid once per batch, not once per file:
//!
//! - the submitter claims up to [`CLAIM_BATCH`] files at once
//!   ([`Spool::claim_many`](crate::daemon::spool::Spool::claim_many)): one write
//!   to the progress log and one fsync of `checked/`;
//! - the completer takes every completion that has arrived (up to
//!   [`COMPLETE_BATCH`]), appends their records to the progress log, syncs
//!   it once, and finishes the files that are done with one
//!   [`Spool::finish_many`](crate::daemon::spool::Spool::finish_many).
//!
//! A part holds one of the relay's credits (window x sessions) from its
//! submit until its outcome is recorded durably, so that the parts a crash
//! can make the SMSC see twice (sent or answered, not yet recorded) are at
//! most window x sessions.

use super::outgoing_watch::ClaimRule;
use super::{classify, lock, now_dt, RelayEvent, Retry, Shared};
use crate::compose::{self, Content, Options};
use crate::daemon::metrics::Counter;
use crate::daemon::spool::{self, Candidate, ClaimedFile, Finish, MessageIdIndex, SpoolError};
use crate::pdu::{Body, Pdu, SubmitSm};
use crate::runtime::{Completion, SubmitError, SubmitMode, Ticket};
use crossbeam_channel::{Receiver, RecvTimeoutError};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime};

/// Files claimed at once.
pub(crate) const CLAIM_BATCH: usize = 256;
/// Completions handled at once.
pub(crate) const COMPLETE_BATCH: usize = 1024;
/// Completer threads.
pub(crate) const COMPLETERS: usize = 4;

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
    /// When each ticket's submit was made, for the latency histogram.
    submitted: HashMap<Ticket, Instant>,
    /// Completions that arrived before their ticket was recorded.
    early: HashMap<Ticket, Result<Pdu, SubmitError>>,
    retries: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    next_key: u64,
}

impl Outbound {
    pub(crate) fn files_in_flight(&self) -> usize {
        self.files.len()
    }

    /// The name of the file a submit in flight belongs to.
    pub(crate) fn file_of_ticket(&self, ticket: Ticket) -> Option<&str> {
        let (key, _) = self.tickets.get(&ticket)?;
        self.files.get(key).map(|f| f.claimed.name())
    }
}

/// The backoff before retry `attempt` (1-based): 1 s, 2 s, 4 s, ... 60 s.
fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.saturating_sub(1).min(6)).min(Duration::from_secs(60))
}

/// The submitter thread.
pub(crate) fn submitter(shared: &Shared, woken: &Receiver<()>) {
    match shared.spool.recover_checked() {
        Ok(files) => {
            for claimed in &files {
                log::info!("resuming {}", claimed.name());
            }
            shared.open_files.opened(files.len());
            start_files(shared, files);
        }
        Err(e) => log::error!("cannot recover checked/: {e}"),
    }
    let scan_every = shared.config.scan_interval.max(Duration::from_millis(10));
    let mut rule = ClaimRule::new(shared.config.settle, shared.config.empty_grace);
    let mut next_takeover = Instant::now();
    loop {
        if shared.stopping() {
            return;
        }
        run_due_retries(shared);
        if shared.can_send() && Instant::now() >= next_takeover {
            take_over_dead(shared);
            next_takeover = Instant::now() + scan_every;
        }
        // With no link bound, files wait in outgoing/ (a bind wakes the
        // submitter).
        let scanned = if shared.can_send() {
            scan(shared, &mut rule)
        } else {
            Scanned::All { next_check: None }
        };
        let Scanned::All { next_check } = scanned else {
            // Files left unclaimed for want of room: again at once (the
            // wait for room is in the scan).
            continue;
        };
        let next_retry = lock(&shared.outbound)
            .retries
            .peek()
            .map(|Reverse((at, ..))| *at);
        let now = Instant::now();
        let wait = [next_retry, next_check]
            .into_iter()
            .flatten()
            .map(|at| at.saturating_duration_since(now))
            .fold(scan_every, Duration::min);
        match woken.recv_timeout(wait) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Finishes the files of dead instances: every instance other than this
/// one that holds files in `checked/` and whose lock is free
/// ([`Spool::take_over`](crate::daemon::spool::Spool::take_over)).
fn take_over_dead(shared: &Shared) {
    let owners = match shared.spool.other_holders() {
        Ok(o) => o,
        Err(e) => {
            log::warn!("cannot look for the files of dead instances: {e}");
            return;
        }
    };
    for owner in owners {
        if shared.stopping() {
            return;
        }
        let started = Instant::now();
        let files = match shared.spool.take_over(&owner) {
            Ok(Some(files)) => files,
            Ok(None) => continue,
            Err(e) => {
                log::error!(target: "smppd", "cannot take over the files of instance {owner}: {e}");
                continue;
            }
        };
        if files.is_empty() {
            // Its files were all decided (finished into sent/ or failed/
            // from its progress log), or already gone.
            log::info!(
                target: "smppd",
                "instance {owner} is gone (its lock was free): nothing it held in checked/ was left to send ({} ms)",
                started.elapsed().as_millis()
            );
            continue;
        }
        log::info!(
            target: "smppd",
            "instance {owner} is gone (its lock was free): took over {} files it held in checked/ ({} ms)",
            files.len(),
            started.elapsed().as_millis()
        );
        for f in &files {
            log::info!("taken over from {owner}: {}", f.name());
        }
        shared.open_files.opened(files.len());
        start_files(shared, files);
    }
}

/// How a scan ended.
enum Scanned {
    /// Every file that may be claimed was; the others may be at
    /// `next_check`.
    All { next_check: Option<Instant> },
    /// Stopped before the end because as many files are open as allowed.
    NoRoom,
}

/// Claims and starts every file that the claim rule lets be claimed, high
/// priority first, then oldest, [`CLAIM_BATCH`] at a time.
fn scan(shared: &Shared, rule: &mut ClaimRule) -> Scanned {
    let before = ClaimRule::before_scan(shared.watch.as_ref());
    let candidates = match shared.spool.scan_outgoing_known(rule.complete()) {
        Ok(c) => c,
        Err(e) => {
            log::error!("cannot scan outgoing/: {e}");
            return Scanned::All { next_check: None };
        }
    };
    // The backlog gauges, from what the scan found less what it claimed
    // (or saw another instance take).
    let found: Vec<(String, SystemTime)> = candidates
        .iter()
        .map(|c| (c.name.clone(), c.modified))
        .collect();
    let selected = rule.select(shared.watch.as_ref(), before, candidates, || shared.wake());
    let next_check = selected.next_check;
    let mut rest = &selected.claim[..];
    let backlog = |rest: &[Candidate]| {
        let tried = &selected.claim[..selected.claim.len() - rest.len()];
        let gone: HashSet<&str> = tried.iter().map(|c| c.name.as_str()).collect();
        let (count, oldest) = found
            .iter()
            .filter(|(name, _)| !gone.contains(name.as_str()))
            .fold((0, None::<SystemTime>), |(n, oldest), (_, m)| {
                (n + 1, Some(oldest.map_or(*m, |o| o.min(*m))))
            });
        *lock(&shared.backlog) = Some((count, oldest, Instant::now()));
    };
    while !rest.is_empty() {
        if shared.stopping() {
            backlog(rest);
            return Scanned::All { next_check };
        }
        let room = shared.open_files.room(CLAIM_BATCH.min(rest.len()));
        if room == 0 {
            // As many files open as allowed: back to the loop, which runs
            // the retries that may be what they wait for, and scans again.
            backlog(rest);
            return Scanned::NoRoom;
        }
        let (batch, later) = rest.split_at(room);
        rest = later;
        // Another daemon taking some of them, or the files going away,
        // leaves them out.
        let (claimed, errors) = shared.spool.claim_found(batch);
        for e in errors {
            log::warn!("cannot claim: {e}");
        }
        shared.open_files.opened(claimed.len());
        start_files(shared, claimed);
        run_due_retries(shared);
    }
    backlog(rest);
    Scanned::All { next_check }
}

/// Starts claimed files: composes each and submits its parts not yet
/// accepted. Files that cannot be sent, and resumed files whose parts were
/// all accepted, are finished together at the end.
fn start_files(shared: &Shared, files: Vec<ClaimedFile>) {
    let mut done = Vec::new();
    let mut stopped = false;
    for claimed in files {
        if stopped || shared.stopping() {
            // Claimed but not started: resumed at the next start.
            stopped = true;
            continue;
        }
        match start_file(shared, claimed) {
            Started::Submitting => {}
            Started::Stopped => stopped = true,
            Started::Finish(claimed, finish) => done.push((claimed, finish)),
        }
    }
    finish(shared, done);
}

enum Started {
    Submitting,
    /// The relay is stopping: not every part was submitted.
    Stopped,
    /// Nothing to submit: the file is finished so.
    Finish(ClaimedFile, Finish),
}

/// Composes a claimed file's parts and submits those not yet accepted.
fn start_file(shared: &Shared, claimed: ClaimedFile) -> Started {
    let name = claimed.name().to_owned();
    let parts = match compose_file(shared, &claimed) {
        Ok(parts) => parts,
        Err(reason) => {
            log::warn!("{name}: {reason}");
            let finish = Finish::Failed {
                at: now_dt(),
                reason,
            };
            return Started::Finish(claimed, finish);
        }
    };
    let mut ids: Vec<Option<String>> = vec![None; parts.len()];
    for (i, id) in claimed.parts_done() {
        if let Some(slot) = ids.get_mut(*i) {
            *slot = Some(id.clone());
        }
    }
    shared.event(RelayEvent::Claimed {
        file: name,
        parts: parts.len(),
    });
    let todo: Vec<usize> = (0..parts.len()).filter(|&i| ids[i].is_none()).collect();
    if todo.is_empty() {
        // Every part was accepted before a restart: only the finish is left.
        let finish = Finish::Sent {
            at: now_dt(),
            message_ids: ids.into_iter().flatten().collect(),
        };
        return Started::Finish(claimed, finish);
    }
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
    for i in todo {
        if !submit_part(shared, key, i) {
            return Started::Stopped;
        }
    }
    Started::Submitting
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

/// Takes one of the relay's credits, waiting while none is free (looking
/// at least every 50 ms whether the relay is stopping). `false`, and no
/// credit, once it is.
fn acquire_credit(shared: &Shared) -> bool {
    loop {
        if shared.credits.try_acquire() {
            return true;
        }
        if shared.stopping() {
            return false;
        }
        if shared
            .credits
            .acquire_until(Instant::now() + Duration::from_millis(50))
        {
            return true;
        }
    }
}

/// Submits part `i` of file `key`, waiting for a credit and then for a
/// window slot. `false` if the relay stopped while waiting.
fn submit_part(shared: &Shared, key: u64, i: usize) -> bool {
    if shared.stopping() || !acquire_credit(shared) {
        return false;
    }
    let body = {
        let out = lock(&shared.outbound);
        let Some(file) = out.files.get(&key) else {
            // Failed meanwhile (another part's permanent error).
            shared.credits.release();
            return true;
        };
        Body::SubmitSm(file.parts[i].clone())
    };
    let wait = SubmitMode::Wait(shared.config.smsc.response_timeout + Duration::from_secs(5));
    let Some(esme) = &shared.esme else {
        shared.credits.release();
        return false;
    };
    let submitted = Instant::now();
    match esme.submit_async(body, wait) {
        Ok(ticket) => {
            let early = {
                let mut out = lock(&shared.outbound);
                out.tickets.insert(ticket, (key, i));
                out.submitted.insert(ticket, submitted);
                out.early.remove(&ticket)
            };
            if let Some(outcome) = early {
                handle_completions(shared, vec![Completion { ticket, outcome }]);
            }
        }
        Err(e) => {
            shared.credits.release();
            let mut failed = Vec::new();
            {
                let mut out = lock(&shared.outbound);
                retry(shared, &mut out, key, i, &e, &mut failed);
            }
            finish(shared, failed);
        }
    }
    true
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
        if shared.stopping() || !submit_part(shared, key, i) {
            return;
        }
    }
}

/// The completer thread: every submit's outcome, a batch at a time.
pub(crate) fn completer(shared: &Shared) {
    let Some(esme) = &shared.esme else {
        return;
    };
    let completions = esme.completions();
    loop {
        match completions.recv_timeout(Duration::from_millis(100)) {
            Ok(first) => {
                let mut batch = Vec::with_capacity(64);
                batch.push(first);
                batch.extend(completions.try_iter().take(COMPLETE_BATCH - 1));
                handle_completions(shared, batch);
            }
            Err(RecvTimeoutError::Timeout) => {
                // Nothing in flight, then nothing queued, in that order: a
                // worker frees a request's slot before its completion can
                // be read, under the queue's lock, so none slips between.
                if shared.may_leave(esme, true) && completions.is_empty() {
                    return;
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Records a batch of outcomes: accepted parts in the progress log (synced
/// once, then their credits freed), retries scheduled, finished files
/// moved with one [`Spool::finish_many`](crate::daemon::spool::Spool::finish_many).
fn handle_completions(shared: &Shared, batch: Vec<Completion>) {
    let mut finishing = Vec::new();
    let mut credits = 0;
    let mut recorded = false;
    {
        let mut out = lock(&shared.outbound);
        let mut index = lock(&shared.index);
        for Completion { ticket, outcome } in batch {
            let Some((key, i)) = out.tickets.remove(&ticket) else {
                // The submitter records the ticket in a moment and hands
                // the outcome back.
                out.early.insert(ticket, outcome);
                continue;
            };
            credits += 1;
            if let Some(at) = out.submitted.remove(&ticket) {
                // A response came (accepted or not): its latency counts.
                if matches!(outcome, Ok(_) | Err(SubmitError::Status(_))) {
                    shared.metrics.observe_latency(at.elapsed());
                }
            }
            match outcome {
                Ok(pdu) => {
                    recorded = true;
                    if let Some(done) = accepted(shared, &mut out, &mut index, key, i, &pdu) {
                        finishing.push(done);
                    }
                }
                Err(e) => retry(shared, &mut out, key, i, &e, &mut finishing),
            }
        }
        drop(out);
        // The batch's message ids, with one write.
        if let Err(e) = index.flush() {
            log::warn!("message id index: {e}");
        }
    }
    // The parts recorded, durable with one sync of the progress log
    // (shared with other completers syncing at the same time). That is all
    // a credit waits for: the files done are finished after.
    if recorded {
        // Until the records are durable the credits stay taken, so that a
        // disk that fails (full, broken) pauses sending instead of letting
        // unrecorded parts pile up beyond the window.
        while let Err(e) = shared.spool.sync_progress() {
            log::error!("{e}: sending paused until it can be synced");
            if shared.stopping() {
                // Not durable: after the restart these parts are sent again.
                break;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    if credits > 0 {
        shared.credits.release_n(credits);
    }
    finish(shared, finishing);
}

/// Part `i` was accepted: its record written (synced by the caller), its
/// id indexed. Returns the file if that was its last part.
fn accepted(
    shared: &Shared,
    out: &mut Outbound,
    index: &mut MessageIdIndex,
    key: u64,
    i: usize,
    pdu: &Pdu,
) -> Option<(ClaimedFile, Finish)> {
    let file = out.files.get_mut(&key)?;
    let id = match &pdu.body {
        Body::SubmitSmResp(r) => r.message_id.to_string(),
        _ => String::new(),
    };
    if let Err(e) = file.claimed.record_part_unsynced(i, &id) {
        // Not recorded: after a restart this part is sent again. Keep going.
        log::error!("{}: {e}", file.claimed.name());
    }
    shared.metrics.inc(Counter::PartsSent);
    if !id.is_empty() {
        if let Err(e) = index.insert(&id, file.claimed.name(), SystemTime::now()) {
            log::warn!("message id index: {e}");
        }
    }
    file.ids[i] = Some(id);
    if !file.ids.iter().all(Option::is_some) {
        return None;
    }
    let file = out.files.remove(&key)?;
    let finish = Finish::Sent {
        at: now_dt(),
        message_ids: file.ids.into_iter().flatten().collect(),
    };
    Some((file.claimed, finish))
}

/// Part `i` failed with `e`: retry it later, or put the file in `failed`
/// to be finished.
fn retry(
    shared: &Shared,
    out: &mut Outbound,
    key: u64,
    i: usize,
    e: &SubmitError,
    failed: &mut Vec<(ClaimedFile, Finish)>,
) {
    let Some(file) = out.files.get_mut(&key) else {
        return;
    };
    let name = file.claimed.name().to_owned();
    let kind = classify(e);
    let give_up = |reason: String, out: &mut Outbound, failed: &mut Vec<_>| {
        if let Some(file) = out.files.remove(&key) {
            failed.push((
                file.claimed,
                Finish::Failed {
                    at: now_dt(),
                    reason,
                },
            ));
        }
    };
    if kind == Retry::Never {
        let reason = match e {
            SubmitError::Status(s) => s.to_string(),
            other => other.to_string(),
        };
        return give_up(reason, out, failed);
    }
    if kind == Retry::Counted {
        file.attempts += 1;
        if file.attempts > shared.retries.load(std::sync::atomic::Ordering::Relaxed) {
            let reason = format!("{e} ({} attempts)", file.attempts);
            return give_up(reason, out, failed);
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

/// Moves finished files to `sent/` or `failed/`, all at once.
fn finish(shared: &Shared, files: Vec<(ClaimedFile, Finish)>) {
    if files.is_empty() {
        return;
    }
    let how: Vec<Finish> = files.iter().map(|(_, f)| f.clone()).collect();
    let results = shared.spool.finish_many(files);
    // Finished, or left in checked/ for the next start: no longer open.
    shared.open_files.closed(results.len());
    for ((name, result), how) in results.into_iter().zip(how) {
        match (result, how) {
            (Ok(file), Finish::Sent { message_ids, .. }) => {
                log::info!("{name}: sent ({} parts)", message_ids.len());
                shared.metrics.inc(Counter::Sent);
                shared.event(RelayEvent::Sent { file, message_ids });
            }
            (Ok(file), Finish::Failed { reason, .. }) => {
                log::info!("{name}: failed: {reason}");
                lock(&shared.links).error(format!("{name}: {reason}"));
                shared.metrics.inc(Counter::Failed);
                shared.event(RelayEvent::Failed { file, reason });
            }
            (Err(e), _) => log::error!("{name}: cannot finish: {e} (it stays in checked/)"),
        }
    }
}
