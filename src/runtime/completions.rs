//! The outcomes of [`Esme::submit_async`](super::Esme::submit_async), on
//! their way from the workers to the application.
//!
//! A worker hands over all the completions of a batch at once: one lock,
//! and one wake-up of the application if it is waiting, however many
//! responses the batch held. The application takes them one at a time
//! ([`Completions::recv`]) or all that have come ([`Completions::take_all`]).
//!
//! The queue is bounded. A completion that does not fit stays on its
//! worker, in order, holding its window slot until there is room, so an
//! application that stops reading completions stops its own submits and
//! nothing is dropped.

use super::esme_types::Completion;
use super::sync::{lock, Semaphore};
use crossbeam_channel::{RecvError, RecvTimeoutError, TryRecvError};
use std::collections::VecDeque;
use std::fmt;
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The outcomes of [`Esme::submit_async`](super::Esme::submit_async),
/// each named by its [`Ticket`](super::Ticket); see
/// [`Esme::completions`](super::Esme::completions). Any thread may read
/// them. The methods are named as on a channel's receiver; the queue stays
/// open as long as its [`Esme`](super::Esme), so `recv` does not fail.
pub struct Completions {
    state: Mutex<State>,
    ready: Condvar,
    capacity: usize,
}

struct State {
    queue: VecDeque<Completion>,
    /// Readers blocked in `recv` or `recv_timeout`.
    waiting: usize,
}

impl fmt::Debug for Completions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Completions")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

impl Completions {
    pub(crate) fn new(capacity: usize) -> Completions {
        Completions {
            state: Mutex::new(State {
                queue: VecDeque::with_capacity(capacity.min(4096)),
                waiting: 0,
            }),
            ready: Condvar::new(),
            capacity: capacity.max(1),
        }
    }

    /// Worker: moves as many completions from the front of `from` as
    /// there is room for, and returns how many. Their window slots go
    /// back to `permits` before any of them can be read, so a caller that
    /// sees an outcome also finds its slot free.
    pub(crate) fn hand_over(&self, from: &mut VecDeque<Completion>, permits: &Semaphore) -> usize {
        self.move_from(from, permits, false)
    }

    /// As [`Completions::hand_over`], but takes them all, beyond the
    /// queue's room: for a link that goes away while its handle may still
    /// read them.
    pub(crate) fn hand_over_all(&self, from: &mut VecDeque<Completion>, permits: &Semaphore) {
        self.move_from(from, permits, true);
    }

    fn move_from(
        &self,
        from: &mut VecDeque<Completion>,
        permits: &Semaphore,
        beyond_room: bool,
    ) -> usize {
        if from.is_empty() {
            return 0;
        }
        let mut state = lock(&self.state);
        let room = if beyond_room {
            usize::MAX
        } else {
            self.capacity.saturating_sub(state.queue.len())
        };
        let n = room.min(from.len());
        if n == 0 {
            return 0;
        }
        permits.release_n(n);
        state.queue.extend(from.drain(..n));
        self.wake(state, n);
        n
    }

    /// Unlocks, then wakes as many waiting readers as there are new
    /// completions (one wake-up call either way).
    fn wake(&self, state: std::sync::MutexGuard<'_, State>, added: usize) {
        let waiting = state.waiting;
        drop(state);
        match waiting.min(added) {
            0 => {}
            1 => self.ready.notify_one(),
            _ => self.ready.notify_all(),
        }
    }

    /// Adds one completion whose window slot is already accounted for;
    /// gives it back when the queue is full.
    pub(crate) fn push(&self, completion: Completion) -> Result<(), Completion> {
        let mut state = lock(&self.state);
        if state.queue.len() >= self.capacity {
            return Err(completion);
        }
        state.queue.push_back(completion);
        self.wake(state, 1);
        Ok(())
    }

    /// Waits for the next completion.
    pub fn recv(&self) -> Result<Completion, RecvError> {
        // No deadline: it returns only with a completion.
        self.recv_timeout(Duration::MAX).map_err(|_| RecvError)
    }

    /// Waits up to `timeout` for the next completion.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Completion, RecvTimeoutError> {
        let deadline = Instant::now().checked_add(timeout);
        let mut state = lock(&self.state);
        loop {
            if let Some(c) = state.queue.pop_front() {
                return Ok(c);
            }
            let wait = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => Duration::MAX,
            };
            if wait.is_zero() {
                return Err(RecvTimeoutError::Timeout);
            }
            state.waiting += 1;
            state = self
                .ready
                .wait_timeout(state, wait)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.waiting -= 1;
        }
    }

    /// The next completion, if one has come.
    pub fn try_recv(&self) -> Result<Completion, TryRecvError> {
        lock(&self.state)
            .queue
            .pop_front()
            .ok_or(TryRecvError::Empty)
    }

    /// The completions that have come, one at a time, without waiting.
    pub fn try_iter(&self) -> impl Iterator<Item = Completion> + '_ {
        std::iter::from_fn(|| self.try_recv().ok())
    }

    /// Moves every completion that has come to the end of `into`, with
    /// one lock; returns how many. Does not wait.
    pub fn take_all(&self, into: &mut Vec<Completion>) -> usize {
        let mut state = lock(&self.state);
        let n = state.queue.len();
        into.extend(state.queue.drain(..));
        n
    }

    /// Completions waiting to be read.
    pub fn len(&self) -> usize {
        lock(&self.state).queue.len()
    }

    /// No completion is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The most completions the queue holds before the rest wait on the
    /// workers (see [`Esme::submit_async`](super::Esme::submit_async)).
    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::Ticket;
    use std::sync::Arc;

    fn batch(tickets: std::ops::Range<u64>) -> VecDeque<Completion> {
        tickets
            .map(|t| Completion {
                ticket: Ticket(t),
                outcome: Err(crate::runtime::SubmitError::Timeout),
            })
            .collect()
    }

    #[test]
    fn a_batch_goes_over_as_far_as_there_is_room_and_frees_those_slots() {
        let queue = Completions::new(3);
        let permits = Semaphore::new(0);
        let mut from = batch(0..5);
        assert_eq!(queue.hand_over(&mut from, &permits), 3);
        assert_eq!(permits.available(), 3);
        assert_eq!(from.len(), 2);
        assert_eq!(queue.len(), 3);
        // Full: the rest waits, holding its slots.
        assert_eq!(queue.hand_over(&mut from, &permits), 0);
        assert_eq!(permits.available(), 3);

        assert_eq!(queue.try_recv().unwrap().ticket, Ticket(0));
        assert_eq!(queue.hand_over(&mut from, &permits), 1);
        let mut all = Vec::new();
        assert_eq!(queue.take_all(&mut all), 3);
        let order: Vec<u64> = all.iter().map(|c| c.ticket.0).collect();
        assert_eq!(order, [1, 2, 3]);
        assert!(queue.is_empty());
        assert!(matches!(queue.try_recv(), Err(TryRecvError::Empty)));
        assert!(matches!(
            queue.recv_timeout(Duration::from_millis(1)),
            Err(RecvTimeoutError::Timeout)
        ));
    }

    #[test]
    fn waiting_readers_each_get_one_of_a_batch() {
        let queue = Arc::new(Completions::new(64));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let queue = queue.clone();
                std::thread::spawn(move || queue.recv().unwrap().ticket.0)
            })
            .collect();
        // Hand the batch over once every reader waits, so that one
        // wake-up round has to reach all of them.
        while lock(&queue.state).waiting < 4 {
            std::thread::yield_now();
        }
        let permits = Semaphore::new(0);
        assert_eq!(queue.hand_over(&mut batch(0..4), &permits), 4);
        let mut got: Vec<u64> = readers.into_iter().map(|r| r.join().unwrap()).collect();
        got.sort_unstable();
        assert_eq!(got, [0, 1, 2, 3]);
    }
}
