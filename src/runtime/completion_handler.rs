//! Outcomes taken on the worker: a [`CompletionHandler`] gets each outcome
//! of its link's [`Esme::submit_async`](super::Esme::submit_async) calls on
//! the worker thread that matched the response, and may submit the next
//! requests right there through a [`LinkSubmitter`]. A window is then kept
//! full with no application thread between a response and the next
//! request: no wake-up of the application, no trip back to the worker.
//!
//! Set one with
//! [`Esme::set_completion_handler`](super::Esme::set_completion_handler).
//! Blocking calls ([`Esme::submit`](super::Esme::submit),
//! [`Esme::request`](super::Esme::request) and the typed ones) still
//! answer their callers.

use super::esme_types::{Completion, SubmitError, Ticket};
use super::requests::{Reply, Submission};
use super::sync::Semaphore;
use crate::pdu::Body;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Code that runs on a link's worker for each outcome of the link's
/// submits, in the order the worker matched them, each after its window
/// slot is free again.
///
/// It runs on a runtime thread that also serves other sessions: it must
/// not block or take long (hand slow work to a thread of your own), and
/// must not panic.
pub trait CompletionHandler: Send + 'static {
    /// One outcome; `link` submits on the same link.
    fn completed(&mut self, completion: Completion, link: &mut LinkSubmitter<'_>);
}

impl<F> CompletionHandler for F
where
    F: FnMut(Completion, &mut LinkSubmitter<'_>) + Send + 'static,
{
    fn completed(&mut self, completion: Completion, link: &mut LinkSubmitter<'_>) {
        self(completion, link)
    }
}

/// Submits on one link from its [`CompletionHandler`]. A request goes out
/// when the handler returns, with the others of the batch; its outcome
/// comes back to the handler.
pub struct LinkSubmitter<'a> {
    pub(crate) link: usize,
    /// The link takes requests: not closing, and bound or reconnecting.
    pub(crate) open: bool,
    pub(crate) permits: &'a Semaphore,
    pub(crate) tickets: &'a AtomicU64,
    pub(crate) queue: &'a mut VecDeque<Submission>,
    pub(crate) now: Instant,
}

impl LinkSubmitter<'_> {
    /// Which link (0-based).
    pub fn link(&self) -> usize {
        self.link
    }

    /// When the worker took the batch these outcomes came in (the time it
    /// gives the sessions, as [`SmscContext::now`](super::SmscContext::now)
    /// does on an SMSC): a handler that stamps each outcome, or the submit
    /// it sends next, needs no clock read of its own. The requests it
    /// submits go out right after the handler returns.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Sends a request (submit_sm, submit_multi, data_sm, query_sm,
    /// cancel_sm, replace_sm) on this link if a window slot is free
    /// ([`SubmitError::WindowFull`] if not: it never waits; a slot that
    /// another thread is waiting for in
    /// [`SubmitMode::Wait`](super::SubmitMode::Wait) is left to it), or
    /// [`SubmitError::NotBound`] once the link is closing or closed for
    /// good. While the link reconnects, the request waits for the bind.
    pub fn submit(&mut self, body: Body) -> Result<Ticket, SubmitError> {
        if !self.open {
            return Err(SubmitError::NotBound);
        }
        if !self.permits.try_acquire() {
            return Err(SubmitError::WindowFull);
        }
        let ticket = Ticket(self.tickets.fetch_add(1, Ordering::Relaxed));
        self.queue.push_back(Submission {
            reply: Reply::ticket(ticket, &body),
            body,
            sent: false,
        });
        Ok(ticket)
    }
}
