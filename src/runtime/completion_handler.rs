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
use super::idmap::IdMap;
use super::requests::{Reply, Submission};
use super::sync::Semaphore;
use crate::pdu::Body;
use crate::session::{RequestId, Session};
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
    /// The link's session while it is bound: a request with none queued
    /// before it goes straight into its window, without passing through
    /// `queue`.
    pub(crate) direct: Option<DirectSend<'a>>,
}

/// A bound session and where its requests' answers go, as
/// [`LinkSubmitter::submit`] needs them to send at once.
pub(crate) struct DirectSend<'a> {
    pub(crate) session: &'a mut Session,
    pub(crate) in_flight: &'a mut IdMap<RequestId, Reply>,
    /// Whether a request went out this way: the session then has output.
    pub(crate) sent: bool,
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
        let reply = Reply::ticket(ticket, &body);
        // Straight into the window when nothing waits before it. A request
        // the session does not take now (throttled, say) waits in the
        // queue, and the rest behind it, as if it had been queued: the
        // queue's sender tries it again and files what it refuses.
        let body = match self.direct.as_mut().filter(|_| self.queue.is_empty()) {
            Some(direct) => match direct.session.try_send(self.now, body) {
                Ok(id) => {
                    direct.in_flight.insert(id, reply);
                    direct.sent = true;
                    return Ok(ticket);
                }
                Err(refused) => refused.body,
            },
            None => body,
        };
        self.queue.push_back(Submission {
            reply,
            body,
            sent: false,
        });
        Ok(ticket)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdu::{Bind, BindResp, Pdu, SubmitSm};
    use crate::session::{BindMode, SessionConfig, Throughput};

    /// A bound transmitter session that sends one submit a second, after
    /// a burst of one.
    fn bound_session(now: Instant) -> Session {
        let config = SessionConfig {
            throughput: Some(Throughput {
                per_second: 1,
                burst: 1,
            }),
            ..SessionConfig::default()
        };
        let mut s = Session::esme(config, now);
        s.bind(now, BindMode::Transmitter, Bind::default()).unwrap();
        let mut out = Vec::new();
        s.poll_transmit(&mut out);
        let seq = Pdu::decode(&out).unwrap().sequence;
        let resp = Body::BindTransmitterResp(BindResp::default());
        s.handle_bytes(now, &Pdu::new(seq, resp).to_bytes().unwrap());
        assert!(s.state().is_bound());
        while s.poll_event().is_some() {}
        s
    }

    fn submit(text: &str) -> Body {
        Body::SubmitSm(SubmitSm {
            short_message: crate::pdu::ShortMessage::new(text.as_bytes()).unwrap(),
            ..SubmitSm::default()
        })
    }

    fn queued_texts(queue: &VecDeque<Submission>) -> Vec<Vec<u8>> {
        queue
            .iter()
            .map(|sub| match &sub.body {
                Body::SubmitSm(sm) => sm.short_message.as_bytes().to_vec(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    /// What a link's submitter borrows, for one bound session.
    struct Link {
        session: Session,
        in_flight: IdMap<RequestId, Reply>,
        permits: Semaphore,
        tickets: AtomicU64,
        queue: VecDeque<Submission>,
    }

    impl Link {
        /// A submitter at `now` that sends through the session directly.
        fn submitter(&mut self, now: Instant) -> LinkSubmitter<'_> {
            LinkSubmitter {
                link: 0,
                open: true,
                permits: &self.permits,
                tickets: &self.tickets,
                queue: &mut self.queue,
                now,
                direct: Some(DirectSend {
                    session: &mut self.session,
                    in_flight: &mut self.in_flight,
                    sent: false,
                }),
            }
        }
    }

    #[test]
    fn a_submit_goes_straight_to_the_session_only_with_none_queued_before_it() {
        let now = Instant::now();
        let mut fixture = Link {
            session: bound_session(now),
            in_flight: IdMap::default(),
            permits: Semaphore::new(8),
            tickets: AtomicU64::new(0),
            queue: VecDeque::new(),
        };
        let mut link = fixture.submitter(now);
        // The burst: sent at once.
        link.submit(submit("a")).unwrap();
        assert!(link.queue.is_empty());
        // Over the rate: it waits, and so does the next one, even if the
        // session could take it (checked below, a second later).
        link.submit(submit("b")).unwrap();
        link.submit(submit("c")).unwrap();
        assert_eq!(queued_texts(link.queue), [b"b".to_vec(), b"c".to_vec()]);
        let direct = link.direct.take().unwrap();
        assert!(direct.sent);
        assert_eq!(direct.in_flight.len(), 1);
        let mut out = Vec::new();
        direct.session.poll_transmit(&mut out);
        let Body::SubmitSm(sm) = Pdu::decode(&out).unwrap().body else {
            panic!("not a submit_sm");
        };
        assert_eq!(sm.short_message.as_bytes(), b"a");
        // A second later the rate allows one more, but "b" and "c" wait
        // in the queue: a new submit goes behind them.
        let later = now + std::time::Duration::from_secs(1);
        let mut link = fixture.submitter(later);
        link.submit(submit("d")).unwrap();
        assert!(!link.direct.as_ref().unwrap().sent);
        assert_eq!(
            queued_texts(link.queue),
            [b"b".to_vec(), b"c".to_vec(), b"d".to_vec()]
        );
        assert_eq!(fixture.tickets.load(Ordering::Relaxed), 4);
    }
}
