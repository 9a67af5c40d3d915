//! Small synchronisation pieces for the blocking API.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// Locks, ignoring poisoning: the data behind these locks stays consistent
/// whatever a panicking thread was doing (counters and flags).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A counting semaphore of a given capacity: the window slots one link
/// has left (the capacity is the window); the relay's credits.
#[derive(Debug)]
pub(crate) struct Semaphore {
    permits: Mutex<Permits>,
    freed: Condvar,
}

#[derive(Debug)]
struct Permits {
    /// Below zero after [`Semaphore::resize`] took away more than were
    /// free.
    free: isize,
    capacity: usize,
    /// Threads blocked in [`Semaphore::acquire_until`].
    waiting: usize,
}

impl Semaphore {
    pub(crate) fn new(capacity: usize) -> Semaphore {
        Semaphore {
            permits: Mutex::new(Permits {
                free: capacity as isize,
                capacity,
                waiting: 0,
            }),
            freed: Condvar::new(),
        }
    }

    /// Takes a permit if one is free beyond one for each thread waiting in
    /// [`Semaphore::acquire_until`]: a caller that does not wait (a
    /// fail-fast submit, or a completion handler, which sees the permits
    /// come back first) leaves those that do their share.
    pub(crate) fn try_acquire(&self) -> bool {
        let mut p = lock(&self.permits);
        if p.free > p.waiting as isize {
            p.free -= 1;
            true
        } else {
            false
        }
    }

    /// Takes a permit, waiting until `deadline` for one (while the count
    /// is below zero too: after [`Semaphore::resize`] took some away).
    pub(crate) fn acquire_until(&self, deadline: Instant) -> bool {
        let mut p = lock(&self.permits);
        if p.free <= 0 {
            p.waiting += 1;
            while p.free <= 0 {
                let now = Instant::now();
                if now >= deadline {
                    p.waiting -= 1;
                    return false;
                }
                p = self
                    .freed
                    .wait_timeout(p, deadline - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            p.waiting -= 1;
        }
        p.free -= 1;
        true
    }

    /// Threads waiting for a permit.
    #[cfg(test)]
    pub(crate) fn waiting(&self) -> usize {
        lock(&self.permits).waiting
    }

    /// Returns a permit.
    pub(crate) fn release(&self) {
        self.release_n(1);
    }

    /// Returns `n` permits at once: one lock, one wake-up round, and no
    /// wake-up at all while no thread waits (a notify is a system call
    /// whether or not anyone sleeps; a waiter counts itself under the lock
    /// before it sleeps, so none can be missed).
    pub(crate) fn release_n(&self, n: usize) {
        let waiting = {
            let mut p = lock(&self.permits);
            p.free += n as isize;
            p.waiting
        };
        if waiting == 0 {
            return;
        }
        if n == 1 {
            self.freed.notify_one();
        } else {
            self.freed.notify_all();
        }
    }

    /// Free permits now (negative: that many must come back before one
    /// is free).
    #[cfg(test)]
    pub(crate) fn available(&self) -> isize {
        lock(&self.permits).free
    }

    /// Permits taken and not returned.
    pub(crate) fn in_use(&self) -> usize {
        let p = lock(&self.permits);
        (p.capacity as isize - p.free).max(0) as usize
    }

    /// Changes the capacity: permits are added, or taken away (those in
    /// use are given back first, so a smaller capacity takes effect as
    /// they are).
    pub(crate) fn resize(&self, capacity: usize) {
        let mut p = lock(&self.permits);
        let grew = capacity > p.capacity;
        p.free += capacity as isize - p.capacity as isize;
        p.capacity = capacity;
        drop(p);
        if grew {
            self.freed.notify_all();
        }
    }
}

/// A value threads can wait to change.
#[derive(Debug)]
pub(crate) struct Watch<T> {
    value: Mutex<T>,
    changed: Condvar,
}

impl<T: Clone> Watch<T> {
    pub(crate) fn new(value: T) -> Watch<T> {
        Watch {
            value: Mutex::new(value),
            changed: Condvar::new(),
        }
    }

    pub(crate) fn set(&self, value: T) {
        *lock(&self.value) = value;
        self.changed.notify_all();
    }

    pub(crate) fn get(&self) -> T {
        lock(&self.value).clone()
    }

    /// Waits until `done` holds for the value or `deadline` passes; returns
    /// the last value seen.
    pub(crate) fn wait_until(&self, deadline: Instant, done: impl Fn(&T) -> bool) -> T {
        let mut v = lock(&self.value);
        while !done(&v) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            v = self
                .changed
                .wait_timeout(v, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        v.clone()
    }
}

/// Where one blocked caller's answer lands: a cell and a condition
/// variable, made once per calling thread and reused by every call it
/// makes (a call waits for its answer before the next starts), so a
/// blocking request allocates nothing.
#[derive(Debug)]
pub(crate) struct ReplySlot<T> {
    value: Mutex<Option<T>>,
    filled: Condvar,
}

impl<T> ReplySlot<T> {
    pub(crate) fn new() -> ReplySlot<T> {
        ReplySlot {
            value: Mutex::new(None),
            filled: Condvar::new(),
        }
    }

    /// Puts the answer and wakes the caller.
    pub(crate) fn put(&self, value: T) {
        *lock(&self.value) = Some(value);
        self.filled.notify_one();
    }

    /// Waits for the answer and takes it, leaving the slot empty for the
    /// next call.
    pub(crate) fn take(&self) -> T {
        let mut v = lock(&self.value);
        loop {
            if let Some(value) = v.take() {
                return value;
            }
            v = self.filled.wait(v).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn semaphore_blocks_until_release() {
        let s = Arc::new(Semaphore::new(1));
        assert!(s.try_acquire());
        assert!(!s.try_acquire());
        assert!(!s.acquire_until(Instant::now() + Duration::from_millis(10)));
        let s2 = s.clone();
        let t =
            std::thread::spawn(move || s2.acquire_until(Instant::now() + Duration::from_secs(30)));
        wait_for_waiters(&s, 1);
        s.release();
        assert!(t.join().unwrap());
        assert_eq!(s.available(), 0);
    }

    /// Until `n` threads sleep in `acquire_until`.
    fn wait_for_waiters(s: &Semaphore, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while s.waiting() < n {
            assert!(Instant::now() < deadline, "the threads never waited");
            std::thread::yield_now();
        }
    }

    #[test]
    fn permits_given_back_together_wake_as_many_waiters() {
        let s = Arc::new(Semaphore::new(3));
        for _ in 0..3 {
            assert!(s.try_acquire());
        }
        // No one waits: the permits just come back.
        s.release_n(1);
        assert!(s.try_acquire());
        let waiters: Vec<_> = (0..3)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    s.acquire_until(Instant::now() + Duration::from_secs(120))
                })
            })
            .collect();
        wait_for_waiters(&s, 3);
        s.release_n(2);
        s.release(); // one at a time, as a single answer gives it back
                     // Woken, not timed out: without a wake-up they would sleep for
                     // two minutes, and find their permits only then.
        let deadline = Instant::now() + Duration::from_secs(60);
        while s.waiting() > 0 {
            assert!(Instant::now() < deadline, "the waiters were not woken");
            std::thread::yield_now();
        }
        for w in waiters {
            assert!(w.join().unwrap(), "a waiter went without its permit");
        }
        assert_eq!((s.in_use(), s.waiting()), (3, 0));
    }

    #[test]
    fn a_caller_that_never_waits_leaves_a_permit_for_each_waiter() {
        let s = Arc::new(Semaphore::new(2));
        assert!(s.try_acquire());
        assert!(s.try_acquire());
        let s2 = s.clone();
        let waiter =
            std::thread::spawn(move || s2.acquire_until(Instant::now() + Duration::from_secs(30)));
        wait_for_waiters(&s, 1);
        s.release_n(2);
        // Two free, one waiter: one for the caller, one left for it.
        assert!(s.try_acquire());
        assert!(!s.try_acquire());
        assert!(waiter.join().unwrap(), "the waiter got its permit");
        assert_eq!((s.in_use(), s.waiting()), (2, 0));
    }

    #[test]
    fn a_smaller_capacity_takes_effect_as_permits_come_back() {
        let s = Semaphore::new(4);
        for _ in 0..3 {
            assert!(s.try_acquire());
        }
        s.resize(1);
        assert_eq!(s.in_use(), 3);
        assert_eq!(s.available(), -2);
        assert!(!s.try_acquire());
        assert!(!s.acquire_until(Instant::now()));
        s.release_n(2);
        assert!(!s.try_acquire(), "one still out fills a capacity of one");
        s.release();
        assert!(s.try_acquire());
        assert_eq!(s.in_use(), 1);
        s.resize(5);
        assert_eq!((s.in_use(), s.available()), (1, 4));
    }

    #[test]
    fn reply_slot_is_reused_call_after_call() {
        let slot = Arc::new(ReplySlot::new());
        for round in 0..3 {
            let answer = slot.clone();
            let t = std::thread::spawn(move || answer.put(round));
            assert_eq!(slot.take(), round);
            t.join().unwrap();
        }
        // An answer put before the caller waits is kept for it.
        slot.put(7);
        assert_eq!(slot.take(), 7);
        assert!(lock(&slot.value).is_none());
    }

    #[test]
    fn watch_wakes_waiters() {
        let w = Arc::new(Watch::new(0));
        let w2 = w.clone();
        let t = std::thread::spawn(move || {
            w2.wait_until(Instant::now() + Duration::from_secs(5), |v| *v == 2)
        });
        w.set(1);
        w.set(2);
        assert_eq!(t.join().unwrap(), 2);
        assert_eq!(w.wait_until(Instant::now(), |v| *v == 9), 2);
    }
}
