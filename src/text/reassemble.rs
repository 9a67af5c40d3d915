//! Collecting the parts of concatenated messages until each is complete.
//!
//! The [`Reassembler`] reads no clock: every call that depends on time takes
//! `now`. Drive it like this:
//!
//! 1. For each incoming part, find its numbering (from
//!    [`udh::parse_concat`](super::udh::parse_concat) when UDHI is set, or
//!    from the SAR TLVs) and call [`Reassembler::push`] with a key that tells
//!    messages apart, typically `(source, destination, reference)`.
//! 2. Act on the [`Pushed`] result: a complete message, nothing yet, a part
//!    handed back (a duplicate or bad numbering), or an older set that was
//!    evicted and must be delivered as it is.
//! 3. Sleep no later than [`Reassembler::next_deadline`], then call
//!    [`Reassembler::expire`] and deliver the incomplete sets it returns.
//!    Calling it early or twice is harmless.
//!
//! Nothing is dropped silently: every part pushed comes back out, in a
//! complete message, in an evicted or expired set, or as
//! [`Pushed::Rejected`].
//!
//! ```
//! use smpp::text::reassemble::{Pushed, Reassembler};
//! use std::time::{Duration, Instant};
//!
//! let mut r = Reassembler::new(Duration::from_secs(60), 1000);
//! let t0 = Instant::now();
//! let key = ("447700900001", 0x42u16);
//! assert_eq!(r.push(t0, key, 2, 2, b"world".to_vec()), Pushed::Pending);
//! assert_eq!(r.next_deadline(), Some(t0 + Duration::from_secs(60)));
//! assert_eq!(
//!     r.push(t0, key, 2, 1, b"hello ".to_vec()),
//!     Pushed::Complete(vec![b"hello ".to_vec(), b"world".to_vec()]),
//! );
//! assert!(r.is_empty());
//! ```

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;
use std::time::{Duration, Instant};

/// The result of [`Reassembler::push`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Pushed<K> {
    /// The message is complete: its parts' data, in part order.
    Complete(Vec<Vec<u8>>),
    /// The part was stored; more are needed.
    Pending,
    /// The part was not stored and is handed back: a duplicate of a part
    /// already held (the first copy is kept), or bad numbering (`total` 0,
    /// `seqnum` 0 or above `total`).
    Rejected(Vec<u8>),
    /// The part was stored, and to make room an older set was removed and is
    /// returned with what it had, indexed by `seqnum - 1`. This happens when
    /// `max_pending` sets were already pending (the oldest goes), or when the
    /// key's pending set has a different `total` (taken as a new message that
    /// reuses the reference; the old set goes).
    Evicted {
        /// The evicted set's key.
        key: K,
        /// Its parts, `None` where missing.
        parts: Vec<Option<Vec<u8>>>,
    },
}

/// An incomplete message.
#[derive(Debug)]
struct Set {
    /// When its first part arrived, with a serial number to break ties.
    age: (Instant, u64),
    total: u8,
    received: u8,
    parts: Vec<Option<Vec<u8>>>,
}

/// Pending concatenated messages, keyed by a caller-chosen `K`.
///
/// A set expires `timeout` after its first part arrived; at most
/// `max_pending` sets are held. See the [module docs](self) for the loop.
#[derive(Debug)]
pub struct Reassembler<K> {
    timeout: Duration,
    max_pending: usize,
    sets: HashMap<K, Set>,
    by_age: BTreeMap<(Instant, u64), K>,
    serial: u64,
}

impl<K: Eq + Hash + Clone> Reassembler<K> {
    /// An empty reassembler. `max_pending` is raised to 1 if it is 0.
    pub fn new(timeout: Duration, max_pending: usize) -> Self {
        Reassembler {
            timeout,
            max_pending: max_pending.max(1),
            sets: HashMap::new(),
            by_age: BTreeMap::new(),
            serial: 0,
        }
    }

    /// The number of incomplete messages held.
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Whether no incomplete message is held.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// When the oldest pending set expires; `None` if nothing is pending (or
    /// the deadline is too far away for an `Instant`).
    pub fn next_deadline(&self) -> Option<Instant> {
        let (&(started, _), _) = self.by_age.first_key_value()?;
        started.checked_add(self.timeout)
    }

    /// Adds part `seqnum` of `total` of the message `key`, received at `now`.
    ///
    /// A message with `total` 1 is complete at once and leaves any pending
    /// set under the same key alone.
    pub fn push(
        &mut self,
        now: Instant,
        key: K,
        total: u8,
        seqnum: u8,
        data: Vec<u8>,
    ) -> Pushed<K> {
        if total == 0 || seqnum == 0 || seqnum > total {
            return Pushed::Rejected(data);
        }
        if total == 1 {
            return Pushed::Complete(vec![data]);
        }
        let index = usize::from(seqnum - 1);
        let full = self.sets.len() >= self.max_pending;
        let mut evicted = None;
        match self.sets.get_mut(&key) {
            Some(set) if set.total == total => {
                let Some(slot) = set.parts.get_mut(index) else {
                    return Pushed::Rejected(data);
                };
                if slot.is_some() {
                    return Pushed::Rejected(data);
                }
                *slot = Some(data);
                set.received += 1;
                if set.received < total {
                    return Pushed::Pending;
                }
                let parts = self.remove(&key).map(|s| s.parts).unwrap_or_default();
                return Pushed::Complete(parts.into_iter().flatten().collect());
            }
            Some(_) => {
                let parts = self.remove(&key).map(|s| s.parts).unwrap_or_default();
                evicted = Some((key.clone(), parts));
            }
            None if full => {
                if let Some((_, old)) = self.by_age.pop_first() {
                    let parts = self.sets.remove(&old).map(|s| s.parts).unwrap_or_default();
                    evicted = Some((old, parts));
                }
            }
            None => {}
        }
        self.insert(now, key, total, index, data);
        match evicted {
            Some((key, parts)) => Pushed::Evicted { key, parts },
            None => Pushed::Pending,
        }
    }

    /// Removes and returns every set whose first part arrived `timeout` or
    /// longer before `now`, oldest first, with its parts indexed by
    /// `seqnum - 1` (`None` where missing).
    pub fn expire(&mut self, now: Instant) -> Vec<(K, Vec<Option<Vec<u8>>>)> {
        let mut out = Vec::new();
        while let Some((&(started, _), _)) = self.by_age.first_key_value() {
            if now.saturating_duration_since(started) < self.timeout {
                break;
            }
            if let Some((_, key)) = self.by_age.pop_first() {
                if let Some(set) = self.sets.remove(&key) {
                    out.push((key, set.parts));
                }
            }
        }
        out
    }

    fn insert(&mut self, now: Instant, key: K, total: u8, index: usize, data: Vec<u8>) {
        let age = (now, self.serial);
        self.serial = self.serial.wrapping_add(1);
        let mut parts = vec![None; usize::from(total)];
        if let Some(slot) = parts.get_mut(index) {
            *slot = Some(data);
        }
        self.by_age.insert(age, key.clone());
        self.sets.insert(
            key,
            Set {
                age,
                total,
                received: 1,
                parts,
            },
        );
    }

    fn remove(&mut self, key: &K) -> Option<Set> {
        let set = self.sets.remove(key)?;
        self.by_age.remove(&set.age);
        Some(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);

    fn r(max: usize) -> Reassembler<u16> {
        Reassembler::new(10 * SEC, max)
    }

    #[test]
    fn in_order_and_out_of_order() {
        let t = Instant::now();
        let mut r = r(10);
        assert_eq!(r.push(t, 1, 3, 1, vec![1]), Pushed::Pending);
        assert_eq!(r.push(t, 1, 3, 2, vec![2]), Pushed::Pending);
        assert_eq!(
            r.push(t, 1, 3, 3, vec![3]),
            Pushed::Complete(vec![vec![1], vec![2], vec![3]])
        );
        assert!(r.is_empty());
        assert_eq!(r.next_deadline(), None);

        assert_eq!(r.push(t, 2, 3, 3, vec![3]), Pushed::Pending);
        assert_eq!(r.push(t, 3, 2, 2, vec![9]), Pushed::Pending);
        assert_eq!(r.push(t, 2, 3, 1, vec![1]), Pushed::Pending);
        assert_eq!(r.len(), 2);
        assert_eq!(
            r.push(t, 2, 3, 2, vec![2]),
            Pushed::Complete(vec![vec![1], vec![2], vec![3]])
        );
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn duplicates_and_bad_numbering_are_handed_back() {
        let t = Instant::now();
        let mut r = r(10);
        assert_eq!(r.push(t, 1, 2, 1, vec![1]), Pushed::Pending);
        assert_eq!(r.push(t, 1, 2, 1, vec![7]), Pushed::Rejected(vec![7]));
        assert_eq!(r.push(t, 1, 0, 0, vec![8]), Pushed::Rejected(vec![8]));
        assert_eq!(r.push(t, 1, 2, 0, vec![8]), Pushed::Rejected(vec![8]));
        assert_eq!(r.push(t, 1, 2, 3, vec![8]), Pushed::Rejected(vec![8]));
        // The first copy was kept.
        assert_eq!(
            r.push(t, 1, 2, 2, vec![2]),
            Pushed::Complete(vec![vec![1], vec![2]])
        );
    }

    #[test]
    fn single_part_message_passes_through() {
        let t = Instant::now();
        let mut r = r(1);
        assert_eq!(r.push(t, 1, 2, 1, vec![1]), Pushed::Pending);
        assert_eq!(r.push(t, 1, 1, 1, vec![5]), Pushed::Complete(vec![vec![5]]));
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn different_total_starts_over() {
        let t = Instant::now();
        let mut r = r(10);
        assert_eq!(r.push(t, 1, 3, 1, vec![1]), Pushed::Pending);
        assert_eq!(
            r.push(t + SEC, 1, 2, 2, vec![2]),
            Pushed::Evicted {
                key: 1,
                parts: vec![Some(vec![1]), None, None]
            }
        );
        assert_eq!(r.len(), 1);
        // The new set's clock started with its own first part.
        assert_eq!(r.next_deadline(), Some(t + 11 * SEC));
        assert_eq!(
            r.push(t, 1, 2, 1, vec![1]),
            Pushed::Complete(vec![vec![1], vec![2]])
        );
    }

    #[test]
    fn expiry() {
        let t = Instant::now();
        let mut r = r(10);
        assert_eq!(r.push(t, 1, 3, 2, vec![2]), Pushed::Pending);
        assert_eq!(r.push(t + 2 * SEC, 2, 2, 1, vec![1]), Pushed::Pending);
        assert_eq!(r.push(t + 3 * SEC, 1, 3, 3, vec![3]), Pushed::Pending);
        assert_eq!(r.next_deadline(), Some(t + 10 * SEC));
        assert_eq!(r.expire(t + 10 * SEC - Duration::from_nanos(1)), vec![]);
        assert_eq!(
            r.expire(t + 10 * SEC),
            vec![(1, vec![None, Some(vec![2]), Some(vec![3])])]
        );
        assert_eq!(r.expire(t + 10 * SEC), vec![]);
        assert_eq!(r.next_deadline(), Some(t + 12 * SEC));
        assert_eq!(
            r.expire(t + 100 * SEC),
            vec![(2, vec![Some(vec![1]), None])]
        );
        assert!(r.is_empty());
        assert_eq!(r.next_deadline(), None);
    }

    #[test]
    fn eviction_of_oldest() {
        let t = Instant::now();
        let mut r = r(2);
        // Pushed out of time order: key 2 is older than key 1.
        assert_eq!(r.push(t + SEC, 1, 2, 1, vec![1]), Pushed::Pending);
        assert_eq!(r.push(t, 2, 2, 1, vec![2]), Pushed::Pending);
        assert_eq!(
            r.push(t + 2 * SEC, 3, 2, 2, vec![3]),
            Pushed::Evicted {
                key: 2,
                parts: vec![Some(vec![2]), None]
            }
        );
        assert_eq!(r.len(), 2);
        // Adding to an existing set never evicts.
        assert_eq!(
            r.push(t + 3 * SEC, 1, 2, 2, vec![4]),
            Pushed::Complete(vec![vec![1], vec![4]])
        );
        assert_eq!(r.next_deadline(), Some(t + 12 * SEC));
    }

    #[test]
    fn zero_max_pending_holds_one() {
        let t = Instant::now();
        let mut r = r(0);
        assert_eq!(r.push(t, 1, 2, 1, vec![1]), Pushed::Pending);
        assert_eq!(
            r.push(t, 2, 2, 1, vec![2]),
            Pushed::Evicted {
                key: 1,
                parts: vec![Some(vec![1]), None]
            }
        );
    }

    #[test]
    fn huge_timeout_has_no_deadline_and_never_expires() {
        let t = Instant::now();
        let mut r: Reassembler<u8> = Reassembler::new(Duration::MAX, 4);
        assert_eq!(r.push(t, 1, 2, 1, vec![1]), Pushed::Pending);
        assert_eq!(r.next_deadline(), None);
        assert_eq!(r.expire(t + 1000 * SEC), vec![]);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn full_255_part_message() {
        let t = Instant::now();
        let mut r = r(1);
        for seq in (2..=255u8).rev() {
            assert_eq!(r.push(t, 0, 255, seq, vec![seq]), Pushed::Pending);
        }
        let Pushed::Complete(parts) = r.push(t, 0, 255, 1, vec![1]) else {
            panic!("not complete");
        };
        assert_eq!(parts, (1..=255u8).map(|s| vec![s]).collect::<Vec<_>>());
    }
}
