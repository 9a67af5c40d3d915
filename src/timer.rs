//! A hierarchical timer wheel that reads no clock.
//!
//! One [`TimerWheel`] per worker thread holds the next deadline of every
//! session that worker owns. Time is an input: [`TimerWheel::poll`] and
//! [`TimerWheel::insert`] take an [`Instant`] from the caller, and the wheel
//! never calls `Instant::now()` itself, so tests drive it on a virtual clock.
//!
//! # Layout
//!
//! Time is counted in ticks of a fixed length (for example 1 ms) from the
//! `start` instant given to [`TimerWheel::new`]. The wheel has six levels of
//! 64 slots; a slot of level `n` spans `64^n` ticks, so the wheel covers
//! `64^6 = 2^36` ticks (about 2.2 years at 1 ms). Each level keeps a 64-bit
//! occupied bitmap, so finding the next slot to visit costs a few bit
//! operations per level, whatever the number of entries.
//!
//! Entries live in a slab (a `Vec` with a free list) and are doubly linked,
//! by index, into the list of the slot that holds them. Insert, cancel and
//! reset are O(1) and allocate nothing once the slab has grown to the largest
//! number of live entries seen (use [`TimerWheel::with_capacity`] to grow it
//! up front). A [`TimerKey`] names an entry by slab index and generation: the
//! generation changes whenever the entry fires or is cancelled, so a stale key
//! never reaches an entry that later reuses the same slab slot.
//!
//! When the wheel's time reaches a slot of level `n > 0`, the slot's entries
//! move down to lower levels (a cascade); an entry moves down at most five
//! times before it fires. An entry more than `2^36` ticks away is parked in
//! the top level and looked at again each time the wheel's time advances
//! `2^36` ticks, until it comes within reach.
//!
//! # Guarantees
//!
//! - **Never early.** A deadline is rounded *up* to the next tick boundary
//!   (`start + k * tick` with the smallest `k` that is not before the
//!   deadline). `poll(now)` returns an entry only once `now` has reached that
//!   rounded deadline, so `now >= deadline` for every entry it returns, as long
//!   as the `now` values passed in never go backwards nor precede `start`.
//! - **Never lost, never late.** Every entry whose rounded deadline is at or
//!   before `now` is returned by the calls `poll(now)` made until the first
//!   `None`, however far `now` has jumped since the previous call (hours, days
//!   or years). Each entry is returned exactly once, unless it is cancelled
//!   first.
//! - **Past deadlines.** An entry inserted (or reset) with a deadline that
//!   has already passed fires in the next drain (the `poll` calls up to
//!   `None`).
//! - **Order.** Entries come out in order of their rounded deadline; entries
//!   with the same rounded deadline come out in no particular order. The one
//!   exception: an entry inserted or reset with a deadline at or before the
//!   wheel's current time (the `now` it has drained up to) joins the queue of
//!   entries already due, behind them, whatever their deadlines.
//! - **Next deadline.** [`TimerWheel::next_deadline`] is never later than the
//!   earliest rounded deadline of any entry, so a worker that sleeps until it
//!   cannot oversleep. It may be earlier: when the nearest entries sit in a
//!   coarse slot, it is the start of that slot; a `poll` at that instant moves
//!   them down (and may return nothing), and the next call gives a later
//!   instant. With
//!   tick-aligned deadlines it is therefore never later than the earliest
//!   deadline itself; otherwise it is less than one tick after it. Sleeping
//!   until `next_deadline()` and then polling always makes progress.
//! - **Time only moves forward.** A `now` earlier than one already passed (or
//!   earlier than `start`) does not move the wheel back; entries already due
//!   at the wheel's own time may still be returned.
//!
//! Limits: a `TimerWheel` holds at most `u32::MAX - 1` entries at once, and a
//! deadline more than `2^62` ticks after `start` (146 years at 1 ns, 146
//! million years at 1 ms) never fires. A key is told apart from a later
//! occupant of the same slab slot by a 32-bit generation, so a key kept
//! across 2^32 reuses of one slot could alias; keys are meant to be dropped
//! when their entry fires or is cancelled.
//!
//! # Driving the wheel
//!
//! One rule: after every input, drain the wheel with `poll(now)` until it
//! returns `None`, then sleep until `next_deadline()` (or until a message
//! arrives). A handler that re-arms its timer inside the drain must move the
//! deadline past `now`, or the same drain returns it again.
//!
//! ```
//! use std::sync::mpsc::{Receiver, RecvTimeoutError};
//! use std::time::{Duration, Instant};
//!
//! use smpp::timer::{TimerKey, TimerWheel};
//!
//! /// A stand-in for a sans-IO session: it reports its next deadline.
//! struct Session {
//!     deadline: Option<Instant>,
//!     timer: Option<TimerKey>,
//! }
//!
//! impl Session {
//!     fn handle_bytes(&mut self, now: Instant, _bytes: &[u8]) {
//!         self.deadline = Some(now + Duration::from_secs(30));
//!     }
//!     fn handle_timeout(&mut self, now: Instant) {
//!         self.deadline = Some(now + Duration::from_secs(30));
//!     }
//! }
//!
//! /// Puts session `id`'s current deadline into the wheel.
//! fn rearm(wheel: &mut TimerWheel<usize>, session: &mut Session, id: usize) {
//!     match (session.timer, session.deadline) {
//!         // `reset` moves the entry in place; it is false only for a stale key.
//!         (Some(key), Some(deadline)) if wheel.reset(key, deadline) => {}
//!         (Some(key), None) => {
//!             wheel.cancel(key);
//!             session.timer = None;
//!         }
//!         (_, Some(deadline)) => session.timer = Some(wheel.insert(deadline, id)),
//!         (None, None) => {}
//!     }
//! }
//!
//! fn worker(rx: Receiver<(usize, Vec<u8>)>, sessions: &mut [Session]) {
//!     let mut wheel = TimerWheel::new(Instant::now(), Duration::from_millis(1));
//!     loop {
//!         // Sleep until the next deadline or the next message.
//!         let message = match wheel.next_deadline() {
//!             Some(deadline) => {
//!                 match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
//!                     Ok(message) => Some(message),
//!                     Err(RecvTimeoutError::Timeout) => None,
//!                     Err(RecvTimeoutError::Disconnected) => return,
//!                 }
//!             }
//!             None => match rx.recv() {
//!                 Ok(message) => Some(message),
//!                 Err(_) => return,
//!             },
//!         };
//!         let now = Instant::now();
//!         if let Some((id, bytes)) = message {
//!             sessions[id].handle_bytes(now, &bytes);
//!             rearm(&mut wheel, &mut sessions[id], id);
//!         }
//!         // Fire everything that is due: poll until `None`.
//!         while let Some((_key, id)) = wheel.poll(now) {
//!             let session = &mut sessions[id];
//!             session.timer = None; // the key is stale from here on
//!             session.handle_timeout(now);
//!             rearm(&mut wheel, session, id);
//!         }
//!     }
//! }
//! ```

use std::fmt;
use std::time::{Duration, Instant};

/// Bits of the tick count each level resolves.
const LEVEL_BITS: u32 = 6;
/// Slots per level.
const SLOTS: usize = 1 << LEVEL_BITS;
/// Mask for a slot number.
const SLOT_MASK: u64 = SLOTS as u64 - 1;
/// Number of levels.
const LEVELS: usize = 6;
/// Ticks the wheel covers: `64^6`.
const SPAN: u64 = 1 << (LEVEL_BITS * LEVELS as u32);
/// Index of the queue of due entries in `lists`, after the wheel's slots.
const PENDING: usize = LEVELS * SLOTS;
/// The "no entry" link.
const NIL: u32 = u32::MAX;
/// The latest tick the wheel's time can reach.
const MAX_TICK: u64 = 1 << 62;
/// The tick of deadlines past `MAX_TICK`: the wheel's time never reaches it.
const NEVER: u64 = MAX_TICK + 1;
const NANOS_PER_SEC: u128 = 1_000_000_000;

/// Names one entry of a [`TimerWheel`].
///
/// A key stays valid across [`TimerWheel::reset`] and goes stale when its
/// entry fires or is cancelled; a stale key is rejected by every method, even
/// after a new entry has taken the same place in the wheel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerKey {
    index: u32,
    generation: u32,
}

/// A hierarchical timer wheel holding values of type `T` until their
/// deadlines; see the [module documentation](self) for the guarantees and
/// the drive loop.
pub struct TimerWheel<T> {
    /// Tick 0.
    start: Instant,
    /// Tick length in nanoseconds, at least 1.
    tick_ns: u64,
    /// The wheel's time, in ticks. Every entry in a slot has `when >
    /// elapsed`; every entry in the pending queue has `when <= elapsed`.
    elapsed: u64,
    entries: Vec<Entry<T>>,
    /// Head of the list of free slab places, linked through `Entry::next`.
    free: u32,
    /// One list per slot (`level * SLOTS + slot`), then the pending queue.
    lists: Box<[List]>,
    /// Bit `s` of `occupied[level]` is set when that slot's list is not empty.
    occupied: [u64; LEVELS],
    /// A lower bound on the `when` of the entries in the pending queue
    /// (meaningful only while the queue is not empty).
    pending_min: u64,
    len: usize,
}

struct Entry<T> {
    /// `Some` while the entry is live, `None` while its place is free.
    value: Option<T>,
    /// The deadline in ticks, rounded up.
    when: u64,
    generation: u32,
    /// Index into `TimerWheel::lists` of the list holding the entry.
    list: u16,
    prev: u32,
    next: u32,
}

#[derive(Clone, Copy)]
struct List {
    head: u32,
    tail: u32,
}

impl List {
    const EMPTY: List = List {
        head: NIL,
        tail: NIL,
    };
}

impl<T> TimerWheel<T> {
    /// Creates an empty wheel whose tick 0 is `start` and whose ticks last
    /// `tick`.
    ///
    /// Every `now` passed to [`poll`](Self::poll) should be at or after
    /// `start`.
    ///
    /// # Panics
    ///
    /// If `tick` is zero or longer than `u64::MAX` nanoseconds.
    pub fn new(start: Instant, tick: Duration) -> TimerWheel<T> {
        TimerWheel::with_capacity(start, tick, 0)
    }

    /// Like [`new`](Self::new), with room for `capacity` entries before the
    /// wheel allocates.
    ///
    /// # Panics
    ///
    /// If `tick` is zero or longer than `u64::MAX` nanoseconds.
    pub fn with_capacity(start: Instant, tick: Duration, capacity: usize) -> TimerWheel<T> {
        let tick_ns =
            u64::try_from(tick.as_nanos()).expect("timer tick longer than u64 nanoseconds");
        assert!(tick_ns > 0, "timer tick must not be zero");
        TimerWheel {
            start,
            tick_ns,
            elapsed: 0,
            entries: Vec::with_capacity(capacity),
            free: NIL,
            lists: vec![List::EMPTY; PENDING + 1].into_boxed_slice(),
            occupied: [0; LEVELS],
            pending_min: 0,
            len: 0,
        }
    }

    /// Number of entries in the wheel (not yet fired nor cancelled).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the wheel holds no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds `value`, due at `deadline`, and returns its key.
    ///
    /// A `deadline` at or before the wheel's current time fires on the next
    /// [`poll`](Self::poll).
    ///
    /// # Panics
    ///
    /// If the wheel already holds `u32::MAX - 1` entries.
    pub fn insert(&mut self, deadline: Instant, value: T) -> TimerKey {
        let when = self.tick_ceil(deadline);
        let index = if self.free != NIL {
            let index = self.free;
            let entry = &mut self.entries[index as usize];
            self.free = entry.next;
            entry.value = Some(value);
            entry.when = when;
            index
        } else {
            let index = u32::try_from(self.entries.len())
                .ok()
                .filter(|&index| index != NIL)
                .expect("timer wheel full");
            self.entries.push(Entry {
                value: Some(value),
                when,
                generation: 0,
                list: 0,
                prev: NIL,
                next: NIL,
            });
            index
        };
        self.len += 1;
        self.place(index);
        TimerKey {
            index,
            generation: self.entries[index as usize].generation,
        }
    }

    /// Removes the entry named by `key` and returns its value, or `None` if
    /// the key is stale (the entry already fired or was cancelled).
    pub fn cancel(&mut self, key: TimerKey) -> Option<T> {
        let index = self.live(key)?;
        Some(self.remove(index).1)
    }

    /// Moves the entry named by `key` to `new_deadline`, in place: the key
    /// stays valid and nothing is allocated. Returns `false`, and changes
    /// nothing, if the key is stale.
    ///
    /// A `new_deadline` at or before the wheel's current time fires on the
    /// next [`poll`](Self::poll).
    pub fn reset(&mut self, key: TimerKey, new_deadline: Instant) -> bool {
        let Some(index) = self.live(key) else {
            return false;
        };
        self.unlink(index);
        self.entries[index as usize].when = self.tick_ceil(new_deadline);
        self.place(index);
        true
    }

    /// Returns one entry that is due at `now`, with the key it had, or `None`
    /// when no entry is due. Call it until it returns `None`.
    ///
    /// An entry is due once `now` has reached its deadline rounded up to a
    /// tick. `poll` may be called early, late or twice: it never returns an
    /// entry before its deadline and, until it returns `None`, returns every
    /// entry due at `now`, however far `now` has moved since the last call.
    #[must_use]
    pub fn poll(&mut self, now: Instant) -> Option<(TimerKey, T)> {
        let now = self.tick_floor(now);
        loop {
            let head = self.lists[PENDING].head;
            if head != NIL {
                return Some(self.remove(head));
            }
            match self.next_slot() {
                Some((list, start)) if start <= now => {
                    self.elapsed = start;
                    self.cascade(list);
                }
                _ => {
                    self.elapsed = self.elapsed.max(now);
                    return None;
                }
            }
        }
    }

    /// The instant to sleep until before the next [`poll`](Self::poll), or
    /// `None` if the wheel is empty.
    ///
    /// It is never later than the earliest entry's deadline rounded up to a
    /// tick, and may be earlier (the start of the coarse slot holding the
    /// earliest entries); a `poll` at or after it always makes progress. If
    /// an entry is already due, it is at or before the wheel's current time.
    pub fn next_deadline(&self) -> Option<Instant> {
        let tick = if self.lists[PENDING].head != NIL {
            self.pending_min
        } else {
            self.next_slot()?.1
        };
        Some(self.instant_at(tick))
    }

    /// The slab index of the live entry `key` names.
    fn live(&self, key: TimerKey) -> Option<u32> {
        let entry = self.entries.get(key.index as usize)?;
        (entry.generation == key.generation && entry.value.is_some()).then_some(key.index)
    }

    /// Links entry `index` into the list its `when` belongs to.
    fn place(&mut self, index: u32) {
        let when = self.entries[index as usize].when;
        let list = if when <= self.elapsed {
            if self.lists[PENDING].head == NIL || when < self.pending_min {
                self.pending_min = when;
            }
            PENDING
        } else {
            // The level is set by the highest bit in which `when` differs
            // from the wheel's time. An entry in the next turn of the top
            // level goes to its top-level slot, or, if it is more than the
            // wheel's span away, is parked in the slot `SPAN - 1` ticks
            // ahead. Either way the slot number is at or below the current
            // one, which `next_slot` reads as the next turn.
            let level = level_for(self.elapsed, when);
            let (level, tick) = if level < LEVELS {
                (level, when)
            } else {
                (LEVELS - 1, when.min(self.elapsed + (SPAN - 1)))
            };
            level * SLOTS + slot_of(tick, level)
        };
        self.push_back(list, index);
    }

    /// The next slot to visit, as (list index, first tick of the slot).
    ///
    /// Every entry of a level below the top sits in a slot after the
    /// current one of its level, in the current turn of that level, and
    /// before every slot of the levels above: the first occupied level gives
    /// the answer. In the top level, a slot at or before the current one
    /// holds parked entries and belongs to its next turn.
    fn next_slot(&self) -> Option<(usize, u64)> {
        let level = self.occupied.iter().position(|&bits| bits != 0)?;
        let bits = self.occupied[level];
        let shift = LEVEL_BITS * level as u32;
        let turn = 1u64 << (shift + LEVEL_BITS);
        let current = (self.elapsed >> shift) & SLOT_MASK;
        let base = self.elapsed & !(turn - 1);
        let later = bits & (u64::MAX << current << 1);
        let (slot, base) = if later != 0 {
            (later.trailing_zeros(), base)
        } else {
            debug_assert_eq!(level, LEVELS - 1, "only the top level wraps");
            (bits.trailing_zeros(), base + turn)
        };
        Some((
            level * SLOTS + slot as usize,
            base + (u64::from(slot) << shift),
        ))
    }

    /// Empties a slot the wheel's time has reached: due entries go to the
    /// pending queue, the others to lower levels (or, if parked, further up
    /// the top level).
    fn cascade(&mut self, list: usize) {
        let mut index = std::mem::replace(&mut self.lists[list], List::EMPTY).head;
        self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        while index != NIL {
            let next = self.entries[index as usize].next;
            self.place(index);
            index = next;
        }
    }

    fn push_back(&mut self, list: usize, index: u32) {
        let tail = self.lists[list].tail;
        let entry = &mut self.entries[index as usize];
        entry.list = list as u16;
        entry.prev = tail;
        entry.next = NIL;
        if tail == NIL {
            self.lists[list].head = index;
            if list < PENDING {
                self.occupied[list / SLOTS] |= 1 << (list % SLOTS);
            }
        } else {
            self.entries[tail as usize].next = index;
        }
        self.lists[list].tail = index;
    }

    fn unlink(&mut self, index: u32) {
        let Entry {
            list, prev, next, ..
        } = self.entries[index as usize];
        let list = usize::from(list);
        if prev == NIL {
            self.lists[list].head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NIL {
            self.lists[list].tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
        if self.lists[list].head == NIL && list < PENDING {
            self.occupied[list / SLOTS] &= !(1 << (list % SLOTS));
        }
    }

    /// Unlinks a live entry and frees its place.
    fn remove(&mut self, index: u32) -> (TimerKey, T) {
        self.unlink(index);
        let entry = &mut self.entries[index as usize];
        let value = entry
            .value
            .take()
            .expect("linked timer entry holds a value");
        let key = TimerKey {
            index,
            generation: entry.generation,
        };
        entry.generation = entry.generation.wrapping_add(1);
        entry.prev = NIL;
        entry.next = self.free;
        self.free = index;
        self.len -= 1;
        (key, value)
    }

    /// `deadline` in ticks, rounded up; `NEVER` past `MAX_TICK`.
    fn tick_ceil(&self, deadline: Instant) -> u64 {
        let nanos = deadline.saturating_duration_since(self.start).as_nanos();
        let ticks = match u64::try_from(nanos) {
            Ok(nanos) => u128::from(nanos.div_ceil(self.tick_ns)),
            Err(_) => nanos.div_ceil(u128::from(self.tick_ns)),
        };
        u64::try_from(ticks).map_or(NEVER, |ticks| ticks.min(NEVER))
    }

    /// `now` in ticks, rounded down; at most `MAX_TICK`.
    fn tick_floor(&self, now: Instant) -> u64 {
        let nanos = now.saturating_duration_since(self.start).as_nanos();
        let ticks = match u64::try_from(nanos) {
            Ok(nanos) => u128::from(nanos / self.tick_ns),
            Err(_) => nanos / u128::from(self.tick_ns),
        };
        u64::try_from(ticks).map_or(MAX_TICK, |ticks| ticks.min(MAX_TICK))
    }

    /// The instant of `tick`, or, if that is past the range of `Instant`,
    /// of the tick before. Every tick asked for is at most one tick past a
    /// real deadline, so that one is in range and not after the deadline.
    fn instant_at(&self, tick: u64) -> Instant {
        let at = |tick: u64| {
            let nanos = u128::from(tick) * u128::from(self.tick_ns);
            let secs = u64::try_from(nanos / NANOS_PER_SEC).ok()?;
            let sub_nanos = (nanos % NANOS_PER_SEC) as u32;
            self.start.checked_add(Duration::new(secs, sub_nanos))
        };
        at(tick.min(NEVER))
            .or_else(|| at(tick.min(NEVER).saturating_sub(1)))
            .unwrap_or(self.start)
    }
}

impl<T> fmt::Debug for TimerWheel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerWheel")
            .field("start", &self.start)
            .field("tick", &Duration::from_nanos(self.tick_ns))
            .field("elapsed_ticks", &self.elapsed)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// The level for an entry due at `when`, with the wheel's time at `elapsed`
/// (`when > elapsed`); `LEVELS` or more if it is beyond the wheel's span.
fn level_for(elapsed: u64, when: u64) -> usize {
    (((elapsed ^ when) | SLOT_MASK).ilog2() / LEVEL_BITS) as usize
}

/// The slot of `tick` in `level`.
fn slot_of(tick: u64, level: usize) -> usize {
    ((tick >> (LEVEL_BITS * level as u32)) & SLOT_MASK) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const MS: Duration = Duration::from_millis(1);

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    impl<T> TimerWheel<T> {
        /// Walks every list and the free list and checks the links, the
        /// bitmaps, the count, and that each entry sits where its deadline
        /// says.
        fn check(&self) {
            let mut seen = 0;
            for list in 0..=PENDING {
                let mut prev = NIL;
                let mut index = self.lists[list].head;
                while index != NIL {
                    let entry = &self.entries[index as usize];
                    assert!(entry.value.is_some(), "free entry linked in list {list}");
                    assert_eq!(usize::from(entry.list), list);
                    assert_eq!(entry.prev, prev);
                    if list == PENDING {
                        assert!(entry.when <= self.elapsed);
                        assert!(self.pending_min <= entry.when);
                    } else {
                        let (level, slot) = (list / SLOTS, list % SLOTS);
                        let shift = LEVEL_BITS * level as u32;
                        let turn = 1u64 << (shift + LEVEL_BITS);
                        let current = (self.elapsed >> shift) & SLOT_MASK;
                        let mut start = (self.elapsed & !(turn - 1)) + ((slot as u64) << shift);
                        if slot as u64 <= current {
                            assert_eq!(level, LEVELS - 1, "slot not ahead below the top");
                            start += turn;
                        }
                        assert!(entry.when > self.elapsed);
                        assert!(start > self.elapsed);
                        assert!(start <= entry.when);
                        if entry.when >= start + (1 << shift) {
                            assert_eq!(level, LEVELS - 1, "entry past its slot below the top");
                        }
                    }
                    seen += 1;
                    prev = index;
                    index = entry.next;
                }
                assert_eq!(self.lists[list].tail, prev);
                if list < PENDING {
                    let bit = self.occupied[list / SLOTS] >> (list % SLOTS) & 1;
                    assert_eq!(bit == 1, prev != NIL, "occupied bit of list {list}");
                }
            }
            assert_eq!(seen, self.len);
            if let Some((_, start)) = self.next_slot() {
                assert!(
                    start > self.elapsed,
                    "next slot not ahead of the wheel's time"
                );
            }
            let mut free = 0;
            let mut index = self.free;
            while index != NIL {
                assert!(self.entries[index as usize].value.is_none());
                free += 1;
                index = self.entries[index as usize].next;
            }
            assert_eq!(free + self.len, self.entries.len());
        }
    }

    fn drain<T>(wheel: &mut TimerWheel<T>, now: Instant) -> Vec<T> {
        let mut fired = Vec::new();
        while let Some((_, value)) = wheel.poll(now) {
            fired.push(value);
        }
        wheel.check();
        fired
    }

    /// Drives the wheel on a virtual clock that jumps to each
    /// `next_deadline`, and returns each value with the instant it fired at
    /// and the number of wake-ups taken.
    fn run_to_empty<T>(wheel: &mut TimerWheel<T>) -> (Vec<(Instant, T)>, usize) {
        let mut fired = Vec::new();
        let mut wakeups = 0;
        while let Some(now) = wheel.next_deadline() {
            wakeups += 1;
            assert!(wakeups < 1000, "the drive loop does not make progress");
            while let Some((_, value)) = wheel.poll(now) {
                fired.push((now, value));
            }
            wheel.check();
        }
        (fired, wakeups)
    }

    #[test]
    fn fires_at_rounded_up_deadline_not_before() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        wheel.insert(t0 + Duration::from_micros(1500), 'a');
        wheel.insert(t0 + ms(3), 'b');
        assert_eq!(wheel.next_deadline(), Some(t0 + ms(2)));
        assert!(drain(&mut wheel, t0 + Duration::from_micros(1999)).is_empty());
        assert_eq!(drain(&mut wheel, t0 + ms(2)), ['a']);
        assert_eq!(wheel.next_deadline(), Some(t0 + ms(3)));
        assert!(drain(&mut wheel, t0 + Duration::from_micros(2999)).is_empty());
        assert_eq!(drain(&mut wheel, t0 + ms(3)), ['b']);
        assert_eq!(wheel.next_deadline(), None);
        assert!(wheel.is_empty());
    }

    #[test]
    fn many_entries_in_one_slot() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        // One level-0 slot shared by 1000 entries, and one level-2 slot
        // (ticks 4096..8192) shared by entries due at different ticks.
        for i in 0..1000 {
            wheel.insert(t0 + ms(40), i);
        }
        for (i, at) in [4100, 5000, 5000, 8191, 4096].into_iter().enumerate() {
            wheel.insert(t0 + ms(at), 10_000 + i);
        }
        wheel.check();
        assert_eq!(wheel.len(), 1005);
        assert!(drain(&mut wheel, t0 + ms(39)).is_empty());
        let mut fired = drain(&mut wheel, t0 + ms(40));
        fired.sort_unstable();
        assert_eq!(fired, (0..1000).collect::<Vec<_>>());
        assert!(drain(&mut wheel, t0 + ms(4095)).is_empty());
        assert_eq!(drain(&mut wheel, t0 + ms(4096)), [10_004]);
        assert!(drain(&mut wheel, t0 + ms(4099)).is_empty());
        assert_eq!(drain(&mut wheel, t0 + ms(4100)), [10_000]);
        let mut fired = drain(&mut wheel, t0 + ms(5000));
        fired.sort_unstable();
        assert_eq!(fired, [10_001, 10_002]);
        assert!(drain(&mut wheel, t0 + ms(8190)).is_empty());
        assert_eq!(drain(&mut wheel, t0 + ms(8191)), [10_003]);
        assert!(wheel.is_empty());
    }

    #[test]
    fn cascades_from_each_level() {
        // Deadlines at, just before and inside each level's range, seen from
        // a wheel whose time is not aligned to anything.
        let offset = 12_345u64;
        for level in 0..LEVELS as u32 {
            let width = 64u64.pow(level);
            for ticks in [width, 64 * width - 1, 3 * width + 5, 63 * width] {
                let t0 = Instant::now();
                let mut wheel = TimerWheel::new(t0, MS);
                assert!(drain(&mut wheel, t0 + ms(offset)).is_empty());
                let due = t0 + ms(offset + ticks);
                wheel.insert(due, ticks);
                wheel.check();
                assert!(drain(&mut wheel, due - MS).is_empty(), "early at {ticks}");
                assert_eq!(wheel.len(), 1);
                assert_eq!(drain(&mut wheel, due), [ticks], "not fired at {ticks}");

                // The same deadline, reached by sleeping until next_deadline.
                let mut wheel = TimerWheel::new(t0, MS);
                assert!(drain(&mut wheel, t0 + ms(offset)).is_empty());
                wheel.insert(due, ticks);
                let (fired, wakeups) = run_to_empty(&mut wheel);
                assert_eq!(fired, [(due, ticks)]);
                assert!(
                    wakeups <= level as usize + 2,
                    "{wakeups} wake-ups for {ticks}"
                );
            }
        }
    }

    #[test]
    fn cancel_of_fired_key_spares_the_new_occupant() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        let old = wheel.insert(t0 + ms(5), "old");
        assert_eq!(wheel.poll(t0 + ms(5)), Some((old, "old")));
        let new = wheel.insert(t0 + ms(10), "new");
        assert_eq!(new.index, old.index, "the slab place is reused");
        assert_ne!(new, old);
        assert_eq!(wheel.cancel(old), None);
        assert!(!wheel.reset(old, t0 + ms(6)));
        assert_eq!(wheel.len(), 1);
        assert!(drain(&mut wheel, t0 + ms(9)).is_empty());
        assert_eq!(wheel.poll(t0 + ms(10)), Some((new, "new")));
        assert_eq!(wheel.poll(t0 + ms(10)), None);
    }

    #[test]
    fn cancel_twice_and_cancel_pending() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        let a = wheel.insert(t0 + ms(100), 1);
        let b = wheel.insert(t0 + ms(100), 2);
        assert_eq!(wheel.cancel(a), Some(1));
        assert_eq!(wheel.cancel(a), None);
        assert_eq!(wheel.len(), 1);
        // An entry already due but not yet returned can still be cancelled.
        let c = wheel.insert(t0, 3);
        wheel.check();
        assert_eq!(wheel.cancel(c), Some(3));
        assert_eq!(drain(&mut wheel, t0 + ms(100)), [2]);
        assert_eq!(wheel.cancel(b), None);
        assert!(wheel.is_empty());
    }

    #[test]
    fn reset_earlier_and_later() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        let early = wheel.insert(t0 + ms(100_000), "early");
        let late = wheel.insert(t0 + ms(100), "late");
        assert!(wheel.reset(early, t0 + ms(50)));
        assert!(wheel.reset(late, t0 + ms(300)));
        wheel.check();
        assert_eq!(wheel.next_deadline(), Some(t0 + ms(50)));
        assert!(drain(&mut wheel, t0 + ms(49)).is_empty());
        assert_eq!(wheel.poll(t0 + ms(50)), Some((early, "early")));
        assert!(drain(&mut wheel, t0 + ms(299)).is_empty());
        assert_eq!(wheel.poll(t0 + ms(300)), Some((late, "late")));

        // A due entry reset into the future is no longer due; one reset into
        // the past fires on the next poll.
        let a = wheel.insert(t0 + ms(10), "a");
        let b = wheel.insert(t0 + ms(1000), "b");
        assert!(wheel.reset(a, t0 + ms(400)));
        assert!(wheel.reset(b, t0 + ms(5)));
        assert_eq!(wheel.next_deadline(), Some(t0 + ms(5)));
        assert_eq!(wheel.poll(t0 + ms(300)), Some((b, "b")));
        assert_eq!(wheel.poll(t0 + ms(300)), None);
        assert_eq!(wheel.poll(t0 + ms(400)), Some((a, "a")));
    }

    #[test]
    fn deadline_in_the_past_fires_on_next_poll() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut wheel = TimerWheel::new(t0, MS);
        assert!(drain(&mut wheel, t0 + ms(10_000)).is_empty());
        let past = wheel.insert(t0 + ms(1_000), "past");
        let before_start = wheel.insert(t0 - Duration::from_secs(5), "before start");
        let future = wheel.insert(t0 + ms(10_001), "future");
        wheel.check();
        let next = wheel.next_deadline().unwrap();
        assert!(next <= t0 + ms(10_000));
        // Due now: returned whatever `now` the next poll passes.
        assert_eq!(wheel.poll(t0 + ms(10_000)), Some((past, "past")));
        assert_eq!(wheel.poll(t0), Some((before_start, "before start")));
        assert_eq!(wheel.poll(t0 + ms(10_000)), None);
        assert_eq!(wheel.poll(t0 + ms(10_001)), Some((future, "future")));
    }

    #[test]
    fn catches_up_after_days() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        let day = 86_400_000u64;
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut deadlines = Vec::new();
        for i in 0..10_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = seed % (3 * day);
            deadlines.push(at);
            wheel.insert(t0 + ms(at), (at, i));
        }
        // One hour in: exactly the entries due in that hour.
        let hour = 3_600_000;
        let fired = drain(&mut wheel, t0 + ms(hour));
        let expected = deadlines.iter().filter(|&&at| at <= hour).count();
        assert_eq!(fired.len(), expected);
        assert!(fired.iter().all(|&(at, _)| at <= hour));
        // Four days later: everything else, in deadline order.
        let fired_late = drain(&mut wheel, t0 + ms(4 * day));
        assert_eq!(fired.len() + fired_late.len(), 10_000);
        assert!(fired_late.iter().all(|&(at, _)| at > hour));
        let mut all: Vec<_> = fired.iter().chain(&fired_late).copied().collect();
        assert!(all.windows(2).all(|pair| pair[0].0 <= pair[1].0));
        all.sort_unstable_by_key(|&(_, i)| i);
        assert!(all.iter().enumerate().all(|(i, &(_, j))| i as u32 == j));
        assert!(wheel.is_empty());
        assert_eq!(wheel.next_deadline(), None);
    }

    #[test]
    fn beyond_the_wheel_span() {
        let t0 = Instant::now();
        let year = 365 * 86_400_000u64;
        assert!(3 * year > SPAN && 10 * year > 4 * SPAN);
        let mut wheel = TimerWheel::new(t0, MS);
        let three = t0 + ms(3 * year);
        let ten = t0 + ms(10 * year) + Duration::from_micros(250);
        wheel.insert(three, 3);
        wheel.insert(ten, 10);
        wheel.check();
        assert!(wheel.next_deadline().unwrap() <= three);
        assert!(drain(&mut wheel, t0 + ms(SPAN + 1)).is_empty());
        assert!(drain(&mut wheel, three - MS).is_empty());
        assert_eq!(drain(&mut wheel, three), [3]);
        assert!(drain(&mut wheel, t0 + ms(10 * year)).is_empty());
        assert_eq!(drain(&mut wheel, t0 + ms(10 * year + 1)), [10]);

        // Reached by sleeping until next_deadline: exact, in few wake-ups.
        let mut wheel = TimerWheel::new(t0, MS);
        wheel.insert(three, 3);
        wheel.insert(ten, 10);
        let (fired, wakeups) = run_to_empty(&mut wheel);
        assert_eq!(fired, [(three, 3), (t0 + ms(10 * year + 1), 10)]);
        assert!(wakeups <= 40, "{wakeups} wake-ups");
    }

    #[test]
    fn deadline_past_the_tick_range_never_fires() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, Duration::from_nanos(1));
        let year = Duration::from_secs(365 * 86_400);
        // 2^62 ns is about 146 years.
        let Some(far) = t0.checked_add(year * 200) else {
            return; // this platform's Instant cannot reach that far
        };
        assert_eq!(wheel.tick_ceil(far), NEVER);
        let key = wheel.insert(far, ());
        assert!(wheel.next_deadline().unwrap() <= far);
        assert_eq!(wheel.poll(t0 + Duration::from_secs(3_600)), None);
        wheel.check();
        assert_eq!(wheel.len(), 1);
        assert_eq!(wheel.cancel(key), Some(()));
        assert!(wheel.is_empty());
    }

    #[test]
    fn time_going_backwards_is_ignored() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        assert!(drain(&mut wheel, t0 + ms(10_000)).is_empty());
        wheel.insert(t0 + ms(12_000), 1);
        assert!(drain(&mut wheel, t0 + ms(5_000)).is_empty());
        assert!(drain(&mut wheel, t0 + ms(11_999)).is_empty());
        assert_eq!(drain(&mut wheel, t0 + ms(12_000)), [1]);
    }

    #[test]
    fn rearming_does_not_allocate() {
        let t0 = Instant::now();
        let mut wheel = TimerWheel::with_capacity(t0, MS, 10_000);
        let mut keys: Vec<_> = (0..10_000u64)
            .map(|i| wheel.insert(t0 + ms(1 + i * 7 % 30_000), i))
            .collect();
        let capacity = wheel.entries.capacity();
        assert_eq!(capacity, 10_000);
        let mut now = t0;
        for round in 1..=50u64 {
            now += ms(97);
            for (i, key) in keys.iter_mut().enumerate() {
                let deadline = now + ms(1 + (i as u64 * 13 + round) % 40_000);
                if i % 3 == 0 {
                    assert_eq!(wheel.cancel(*key), Some(i as u64));
                    *key = wheel.insert(deadline, i as u64);
                } else {
                    assert!(wheel.reset(*key, deadline));
                }
            }
            assert!(drain(&mut wheel, now).is_empty());
        }
        assert_eq!(wheel.len(), 10_000);
        assert_eq!(wheel.entries.capacity(), capacity);
    }

    #[test]
    fn sessions_on_a_virtual_clock_fire_exactly_on_time() {
        // 500 sessions re-arm a periodic timer each time it fires; the
        // clock jumps from one next_deadline to the next.
        let t0 = Instant::now();
        let mut wheel = TimerWheel::new(t0, MS);
        let periods: Vec<u64> = (0..500).map(|i| 1 + (i * 7919) % 90_000).collect();
        let mut due: Vec<Instant> = periods.iter().map(|&p| t0 + ms(p)).collect();
        for (i, &at) in due.iter().enumerate() {
            wheel.insert(at, i);
        }
        let end = t0 + ms(600_000);
        let mut fires = 0;
        while let Some(now) = wheel.next_deadline().filter(|&at| at <= end) {
            while let Some((_, i)) = wheel.poll(now) {
                assert_eq!(now, due[i], "session {i} fired off time");
                due[i] = now + ms(periods[i]);
                wheel.insert(due[i], i);
                fires += 1;
            }
        }
        let expected: u64 = periods.iter().map(|&p| 600_000 / p).sum();
        assert_eq!(fires, expected);
        assert!(due.iter().all(|&at| at > end));
    }

    /// The instant an entry due at `deadline` becomes due on a wheel with
    /// tick 0 at `t0`: the deadline rounded up to the tick.
    fn rounded(t0: Instant, tick: Duration, deadline: Instant) -> Instant {
        let nanos = deadline.saturating_duration_since(t0).as_nanos();
        let tick = tick.as_nanos();
        let ticks = nanos.div_ceil(tick);
        t0 + Duration::from_nanos(u64::try_from(ticks * tick).unwrap())
    }

    #[derive(Clone, Debug)]
    enum Op {
        Insert(i64),
        Cancel(usize),
        Reset(usize, i64),
        Advance(u64),
    }

    const SECOND: i64 = 1_000_000_000;
    const DAY: i64 = 86_400 * SECOND;

    /// A deadline offset from now in nanoseconds: past, sub-tick, seconds,
    /// days, years (past the wheel's span).
    fn offset() -> impl Strategy<Value = i64> {
        prop_oneof![
            2 => -5 * SECOND..=0,
            4 => 0..5_000_000i64,
            4 => 0..100 * SECOND,
            2 => 0..3 * DAY,
            1 => 0..3 * 365 * DAY,
        ]
    }

    fn advance() -> impl Strategy<Value = u64> {
        prop_oneof![
            6 => 0..5_000_000u64,
            3 => 0..10 * SECOND as u64,
            2 => 0..4 * DAY as u64,
            1 => 0..3 * 365 * DAY as u64,
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => offset().prop_map(Op::Insert),
            1 => any::<usize>().prop_map(Op::Cancel),
            2 => (any::<usize>(), offset()).prop_map(|(i, d)| Op::Reset(i, d)),
            3 => advance().prop_map(Op::Advance),
        ]
    }

    fn tick() -> impl Strategy<Value = Duration> {
        prop_oneof![
            Just(MS),
            Just(Duration::from_millis(3)),
            Just(Duration::from_micros(100)),
            Just(Duration::from_nanos(1_234_567)),
        ]
    }

    fn shift(at: Instant, nanos: i64) -> Instant {
        let by = Duration::from_nanos(nanos.unsigned_abs());
        if nanos < 0 {
            at - by
        } else {
            at + by
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Random inserts, cancels, resets and clock jumps, checked against a
        /// reference model: every entry fires exactly once, never before its
        /// deadline, and by the first poll at or after its rounded deadline.
        #[test]
        fn matches_reference_model(tick in tick(), ops in proptest::collection::vec(op(), 1..150)) {
            // Leave room before tick 0 for deadlines in the past.
            let t0 = Instant::now() + Duration::from_secs(10);
            let mut wheel = TimerWheel::new(t0, tick);
            let mut now = t0;
            let mut keys: Vec<TimerKey> = Vec::new();
            let mut live: BTreeMap<usize, Instant> = BTreeMap::new();
            for op in ops {
                match op {
                    Op::Insert(offset) => {
                        let deadline = shift(now, offset);
                        keys.push(wheel.insert(deadline, keys.len()));
                        live.insert(keys.len() - 1, deadline);
                    }
                    Op::Cancel(pick) if !keys.is_empty() => {
                        let id = pick % keys.len();
                        let expected = live.remove(&id).map(|_| id);
                        prop_assert_eq!(wheel.cancel(keys[id]), expected);
                    }
                    Op::Reset(pick, offset) if !keys.is_empty() => {
                        let id = pick % keys.len();
                        let deadline = shift(now, offset);
                        prop_assert_eq!(wheel.reset(keys[id], deadline), live.contains_key(&id));
                        if let Some(at) = live.get_mut(&id) {
                            *at = deadline;
                        }
                    }
                    Op::Cancel(_) | Op::Reset(..) => {}
                    Op::Advance(nanos) => {
                        now += Duration::from_nanos(nanos);
                        while let Some((key, id)) = wheel.poll(now) {
                            prop_assert_eq!(key, keys[id]);
                            let deadline = live.remove(&id);
                            prop_assert!(deadline.is_some(), "entry {} fired twice", id);
                            prop_assert!(deadline.unwrap() <= now, "entry {} fired early", id);
                        }
                        for (&id, &deadline) in &live {
                            prop_assert!(rounded(t0, tick, deadline) > now, "entry {} fired late", id);
                        }
                    }
                }
                wheel.check();
                prop_assert_eq!(wheel.len(), live.len());
                let earliest = live.values().map(|&at| rounded(t0, tick, at)).min();
                match (wheel.next_deadline(), earliest) {
                    (Some(next), Some(earliest)) => prop_assert!(next <= earliest),
                    (next, earliest) => prop_assert_eq!(next.is_some(), earliest.is_some()),
                }
            }
        }

        /// Without deadlines in the past, entries come out in order of their
        /// rounded deadline, across any sequence of clock jumps.
        #[test]
        fn fires_in_deadline_order(
            tick in tick(),
            offsets in proptest::collection::vec(0..30 * DAY as u64, 1..300),
            jumps in proptest::collection::vec(0..10 * DAY as u64, 1..8),
        ) {
            let t0 = Instant::now();
            let mut wheel = TimerWheel::new(t0, tick);
            for (id, &offset) in offsets.iter().enumerate() {
                wheel.insert(t0 + Duration::from_nanos(offset), id);
            }
            let mut now = t0;
            let mut fired = Vec::new();
            for jump in jumps.iter().chain([&(30 * DAY as u64)]) {
                now += Duration::from_nanos(*jump);
                for id in drain(&mut wheel, now) {
                    let at = rounded(t0, tick, t0 + Duration::from_nanos(offsets[id]));
                    prop_assert!(at <= now);
                    fired.push(at);
                }
            }
            prop_assert_eq!(fired.len(), offsets.len());
            prop_assert!(fired.windows(2).all(|pair| pair[0] <= pair[1]));
        }
    }
}
