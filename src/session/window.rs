//! The window: requests sent and waiting for their responses, indexed by
//! sequence number, with their response deadlines in send order.
//!
//! Slots are a power-of-two table indexed by `sequence & mask`, growing up
//! to twice the window as requests pile up (an idle session holds none), so
//! finding a response's request is one index and one compare. A new sequence number whose slot is still taken (an old request
//! outlived many newer ones) is skipped: numbers are never reused while
//! outstanding.

use super::event::RequestId;
use crate::pdu::Body;
use std::collections::VecDeque;
use std::time::Instant;

/// The largest sequence number; the next one after it is 1.
pub const MAX_SEQUENCE: u32 = 0x7FFF_FFFF;

/// The smallest slot table, once there is one.
const MIN_SLOTS: usize = 8;

/// A request on the wire, waiting for its response.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) sequence: u32,
    pub(crate) id: RequestId,
    /// Boxed, so that a slot is a few words.
    pub(crate) body: Box<Body>,
    pub(crate) sent_at: Instant,
    pub(crate) deadline: Instant,
}

#[derive(Debug)]
pub(crate) struct Window {
    slots: Vec<Option<Pending>>,
    mask: u32,
    len: usize,
    limit: usize,
    next_sequence: u32,
    /// (sequence, deadline) in send order; entries whose request already
    /// ended are skipped when they reach the front.
    order: VecDeque<(u32, Instant)>,
}

impl Window {
    pub(crate) fn new(limit: usize) -> Window {
        Window {
            slots: Vec::new(),
            mask: 0,
            len: 0,
            limit: limit.clamp(1, 1 << 20),
            next_sequence: 1,
            order: VecDeque::new(),
        }
    }

    /// The largest table: twice the window, so a free slot is always near.
    fn max_slots(&self) -> usize {
        (self.limit * 2).next_power_of_two().max(MIN_SLOTS)
    }

    fn slot(&self, sequence: u32) -> Option<&Pending> {
        self.slots.get((sequence & self.mask) as usize)?.as_ref()
    }

    /// Grows the table before it is half full. Two sequence numbers in
    /// different slots of a table are in different slots of any larger one,
    /// so moving entries never collides.
    fn reserve(&mut self) {
        let size = self.slots.len();
        if (self.len + 1) * 2 <= size || size >= self.max_slots() {
            return;
        }
        let new_size = (size * 2).max(MIN_SLOTS).min(self.max_slots());
        let mut slots = Vec::with_capacity(new_size);
        slots.resize_with(new_size, || None);
        let mask = (new_size - 1) as u32;
        for p in self.slots.drain(..).flatten() {
            let i = (p.sequence & mask) as usize;
            slots[i] = Some(p);
        }
        self.slots = slots;
        self.mask = mask;
    }

    /// Moves the sequence counter, so that tests can reach the wrap
    /// without 2^31 requests.
    #[cfg(test)]
    pub(crate) fn set_next_sequence(&mut self, sequence: u32) {
        self.next_sequence = sequence;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Changes the limit. Requests already out stay (a smaller window
    /// takes effect as they complete); the table grows as needed.
    pub(crate) fn set_limit(&mut self, limit: usize) {
        self.limit = limit.clamp(1, 1 << 20);
    }

    pub(crate) fn is_full(&self) -> bool {
        self.len >= self.limit
    }

    /// The next sequence number that is free, skipping `busy` (sequence
    /// numbers of session-internal requests) and taken slots.
    pub(crate) fn next_sequence(&mut self, busy: impl Fn(u32) -> bool) -> u32 {
        loop {
            let seq = self.next_sequence;
            self.next_sequence = if seq >= MAX_SEQUENCE { 1 } else { seq + 1 };
            if self.slot(seq).is_none() && !busy(seq) {
                return seq;
            }
        }
    }

    /// Records a sent request. Its sequence number came from
    /// [`Window::next_sequence`], so its slot is free.
    pub(crate) fn insert(&mut self, pending: Pending) {
        self.reserve();
        let slot = (pending.sequence & self.mask) as usize;
        debug_assert!(self.slots[slot].is_none());
        self.order.push_back((pending.sequence, pending.deadline));
        self.slots[slot] = Some(pending);
        self.len += 1;
    }

    /// The request with this sequence number, if outstanding.
    pub(crate) fn get(&self, sequence: u32) -> Option<&Pending> {
        self.slot(sequence).filter(|p| p.sequence == sequence)
    }

    /// Removes the request with this sequence number, if outstanding.
    pub(crate) fn remove(&mut self, sequence: u32) -> Option<Pending> {
        let slot = self.slots.get_mut((sequence & self.mask) as usize)?;
        if slot.as_ref()?.sequence != sequence {
            return None;
        }
        self.len -= 1;
        let pending = slot.take();
        if self.len == 0 {
            self.release();
        }
        pending
    }

    /// Empty: gives back memory a burst took (an idle session keeps the
    /// smallest table).
    fn release(&mut self) {
        self.order.clear();
        if self.slots.len() > MIN_SLOTS {
            self.slots.truncate(MIN_SLOTS);
            self.slots.shrink_to_fit();
            self.mask = (MIN_SLOTS - 1) as u32;
        }
        if self.order.capacity() > 64 {
            self.order = VecDeque::new();
        }
    }

    fn is_outstanding(&self, sequence: u32, deadline: Instant) -> bool {
        self.slot(sequence)
            .is_some_and(|p| p.sequence == sequence && p.deadline == deadline)
    }

    /// The earliest response deadline.
    pub(crate) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(&(seq, deadline)) = self.order.front() {
            if self.is_outstanding(seq, deadline) {
                return Some(deadline);
            }
            self.order.pop_front();
        }
        None
    }

    /// One request whose deadline has passed, removed from the window.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<Pending> {
        let deadline = self.next_deadline()?;
        if deadline > now {
            return None;
        }
        let (seq, _) = self.order.pop_front()?;
        self.remove(seq)
    }

    /// Every outstanding request, oldest first, leaving the window empty.
    pub(crate) fn drain(&mut self) -> Vec<Pending> {
        let mut all: Vec<Pending> = self.slots.iter_mut().filter_map(Option::take).collect();
        all.sort_by_key(|p| (p.sent_at, p.id));
        self.len = 0;
        self.release();
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn pending(seq: u32, id: u64, at: Instant) -> Pending {
        Pending {
            sequence: seq,
            id: RequestId(id),
            body: Box::new(Body::EnquireLink),
            sent_at: at,
            deadline: at + Duration::from_secs(1),
        }
    }

    #[test]
    fn sequence_numbers_wrap_and_skip_outstanding() {
        let t = Instant::now();
        let mut w = Window::new(2);
        w.next_sequence = MAX_SEQUENCE;
        assert_eq!(w.next_sequence(|_| false), MAX_SEQUENCE);
        assert_eq!(w.next_sequence(|_| false), 1);
        w.insert(pending(2, 0, t));
        // 2 is outstanding, 3 is busy elsewhere: both skipped.
        assert_eq!(w.next_sequence(|s| s == 3), 4);
        // Slot collision: 2 + table size maps onto 2's slot.
        w.next_sequence = 2 + w.slots.len() as u32;
        assert_eq!(w.next_sequence(|_| false), 3 + w.slots.len() as u32);
    }

    #[test]
    fn deadlines_in_send_order_skip_answered() {
        let t = Instant::now();
        let mut w = Window::new(4);
        w.insert(pending(1, 1, t));
        w.insert(pending(2, 2, t + Duration::from_millis(10)));
        assert!(w.remove(1).is_some());
        assert!(w.remove(1).is_none());
        assert_eq!(w.next_deadline(), Some(t + Duration::from_millis(1010)));
        assert!(w.pop_expired(t + Duration::from_millis(1009)).is_none());
        assert_eq!(
            w.pop_expired(t + Duration::from_millis(1010))
                .map(|p| p.sequence),
            Some(2)
        );
        assert_eq!(w.len(), 0);
        assert_eq!(w.next_deadline(), None);
    }

    #[test]
    fn remove_checks_the_whole_sequence_number() {
        let t = Instant::now();
        let mut w = Window::new(1);
        w.insert(pending(5, 1, t));
        let alias = 5 + w.slots.len() as u32;
        assert!(w.remove(alias).is_none());
        assert_eq!(w.len(), 1);
    }
}

#[cfg(test)]
mod growth_tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_table_grows_with_the_load_and_shrinks_when_idle() {
        let t = Instant::now();
        let mut w = Window::new(64);
        assert_eq!(w.slots.len(), 0, "an idle window holds no table");
        let mut seqs = Vec::new();
        for i in 0..64 {
            let seq = w.next_sequence(|_| false);
            w.insert(Pending {
                sequence: seq,
                id: RequestId(i),
                body: Box::new(Body::EnquireLink),
                sent_at: t,
                deadline: t + Duration::from_secs(1),
            });
            seqs.push(seq);
        }
        assert_eq!(w.slots.len(), 128);
        // Every request is still found after the moves.
        for &seq in &seqs {
            assert_eq!(w.get(seq).map(|p| p.sequence), Some(seq));
        }
        for &seq in &seqs {
            assert!(w.remove(seq).is_some());
        }
        assert_eq!(w.slots.len(), MIN_SLOTS);
        assert_eq!(w.next_deadline(), None);
    }
}
