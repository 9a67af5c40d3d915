//! A request's way from an application thread to its link's worker (the
//! [`Inbox`]) and its outcome's way back ([`Reply`]: a blocked caller's
//! [`Waiter`], or a ticket's place in [`Completions`]).

use super::completions::Completions;
use super::esme_types::{Completion, SubmitError, Ticket};
use super::sync::ReplySlot;
use crate::pdu::{Body, Pdu};
use std::collections::VecDeque;
use std::sync::Arc;

/// A blocked caller's answer: what [`Esme::request`](super::Esme::request) waits on.
pub(crate) type Answer = ReplySlot<Result<Pdu, SubmitError>>;

thread_local! {
    /// The calling thread's answer slot, reused by each of its blocking
    /// requests (one at a time per thread).
    pub(crate) static ANSWER: Arc<Answer> = Arc::new(ReplySlot::new());
}

/// The worker's end of a blocked caller's [`Answer`]: answered exactly
/// once; dropped unanswered (a worker that stopped), it answers
/// [`SubmitError::NotBound`], so the caller never waits forever.
pub(crate) struct Waiter(pub(crate) Option<Arc<Answer>>);

impl Waiter {
    pub(crate) fn answer(mut self, outcome: Result<Pdu, SubmitError>) {
        if let Some(slot) = self.0.take() {
            slot.put(outcome);
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        if let Some(slot) = self.0.take() {
            slot.put(Err(SubmitError::NotBound));
        }
    }
}

/// Where a completion goes.
pub(crate) enum Reply {
    /// A blocked caller.
    Wait(Waiter),
    /// The handle's [`Completions`], or the link's completion handler;
    /// `receipt`: a submit_sm that asked for a delivery receipt, so its
    /// message id is remembered to name the ticket on the receipt.
    Ticket { ticket: Ticket, receipt: bool },
}

impl Reply {
    /// A ticket's reply for `body` (only a submit_sm's message id is
    /// remembered for its receipt).
    pub(crate) fn ticket(ticket: Ticket, body: &Body) -> Reply {
        let receipt = matches!(body, Body::SubmitSm(s) if s.registered_delivery != 0);
        Reply::Ticket { ticket, receipt }
    }

    /// Hands the outcome over without blocking (a ticket's to
    /// `completions`); a completion the full
    /// [`Esme::completions`](super::Esme::completions) channel cannot take
    /// comes back.
    pub(crate) fn send(
        self,
        completions: &Completions,
        outcome: Result<Pdu, SubmitError>,
    ) -> Result<(), Completion> {
        match self {
            Reply::Wait(waiter) => waiter.answer(outcome),
            Reply::Ticket { ticket, .. } => completions.push(Completion { ticket, outcome })?,
        }
        Ok(())
    }

    /// The ticket whose receipt should name it: a ticket's request that
    /// asked for a receipt.
    pub(crate) fn receipt_ticket(&self) -> Option<Ticket> {
        match self {
            Reply::Ticket {
                ticket,
                receipt: true,
            } => Some(*ticket),
            _ => None,
        }
    }
}

/// A link's requests on their way from the application's threads to the
/// worker: one lock to put a request in, one message to the worker per
/// batch (the first request after the worker last looked announces it),
/// and the worker takes the whole batch by swapping queues, so neither a
/// request nor its body is moved through the worker's channel.
#[derive(Default)]
pub(crate) struct Inbox(std::sync::Mutex<InboxState>);

#[derive(Default)]
pub(crate) struct InboxState {
    pub(crate) queue: VecDeque<Submission>,
    /// The worker has been told and has not looked yet.
    pub(crate) announced: bool,
}

impl Inbox {
    /// Adds a request; true when the worker must be told.
    pub(crate) fn put(&self, sub: Submission) -> bool {
        let mut inbox = super::sync::lock(&self.0);
        inbox.queue.push_back(sub);
        !std::mem::replace(&mut inbox.announced, true)
    }

    /// Moves every request to the back of `queue` (by swapping buffers
    /// when `queue` is empty: the inbox gets the worker's empty buffer).
    pub(crate) fn take_into(&self, queue: &mut VecDeque<Submission>) {
        let mut inbox = super::sync::lock(&self.0);
        inbox.announced = false;
        if queue.is_empty() {
            std::mem::swap(queue, &mut inbox.queue);
        } else {
            queue.append(&mut inbox.queue);
        }
    }

    /// Takes every request (to refuse them).
    pub(crate) fn take_all(&self) -> VecDeque<Submission> {
        let mut inbox = super::sync::lock(&self.0);
        inbox.announced = false;
        std::mem::take(&mut inbox.queue)
    }
}

pub(crate) struct Submission {
    pub(crate) body: Body,
    pub(crate) reply: Reply,
    /// It was on the wire once (sent before a throttle sent it back).
    pub(crate) sent: bool,
}
