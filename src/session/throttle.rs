//! Rate limiting: a token bucket for the configured throughput, and the
//! exponential pause after the peer answers ESME_RTHROTTLED.

use super::config::Throughput;
use std::time::{Duration, Instant};

/// A token bucket on a virtual clock. Tokens are counted in nanoseconds of
/// "credit" so that refilling needs no floating point.
#[derive(Clone, Debug)]
pub(crate) struct TokenBucket {
    /// Nanoseconds one token costs.
    cost: u64,
    /// Most credit that can be saved, in nanoseconds.
    capacity: u64,
    credit: u64,
    last: Instant,
}

impl TokenBucket {
    pub(crate) fn new(rate: Throughput, now: Instant) -> TokenBucket {
        let cost = 1_000_000_000 / u64::from(rate.per_second.max(1));
        let capacity = cost * u64::from(rate.burst.max(1));
        TokenBucket {
            cost,
            capacity,
            credit: capacity,
            last: now,
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last);
        self.last = self.last.max(now);
        let add = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.credit = self.credit.saturating_add(add).min(self.capacity);
    }

    /// Takes `n` tokens, or says when they will be there.
    pub(crate) fn take(&mut self, now: Instant, n: u32) -> Result<(), Instant> {
        self.refill(now);
        let need = self.cost.saturating_mul(u64::from(n.max(1)));
        if self.credit >= need {
            self.credit -= need;
            Ok(())
        } else {
            Err(now + Duration::from_nanos(need - self.credit))
        }
    }
}

/// The pause after ESME_RTHROTTLED: doubles on each throttle, resets after
/// a success.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    current: Option<Duration>,
    until: Option<Instant>,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Backoff {
        Backoff {
            min,
            max: max.max(min),
            current: None,
            until: None,
        }
    }

    /// The peer throttled us: pause longer than last time.
    pub(crate) fn throttled(&mut self, now: Instant) -> Instant {
        let next = match self.current {
            None => self.min,
            Some(d) => (d * 2).min(self.max),
        };
        self.current = Some(next);
        let until = now + next;
        self.until = Some(self.until.map_or(until, |u| u.max(until)));
        until
    }

    /// A request went through: the next throttle starts from the minimum.
    pub(crate) fn succeeded(&mut self) {
        self.current = None;
    }

    /// Sending is paused until this instant.
    pub(crate) fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.until.filter(|&u| u > now)
    }

    /// The end of the pause, while one is set (a deadline to wake at).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.until
    }

    /// Forgets a pause that has ended.
    pub(crate) fn expire(&mut self, now: Instant) {
        if self.until.is_some_and(|u| u <= now) {
            self.until = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_paces() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(
            Throughput {
                per_second: 10,
                burst: 3,
            },
            t0,
        );
        assert!(b.take(t0, 1).is_ok());
        assert!(b.take(t0, 1).is_ok());
        assert!(b.take(t0, 1).is_ok());
        assert_eq!(b.take(t0, 1), Err(t0 + Duration::from_millis(100)));
        let t1 = t0 + Duration::from_millis(100);
        assert!(b.take(t1, 1).is_ok());
        assert!(b.take(t1, 1).is_err());
        // A long pause saves at most `burst` tokens.
        let t2 = t1 + Duration::from_secs(60);
        assert!(b.take(t2, 3).is_ok());
        assert!(b.take(t2, 1).is_err());
    }

    #[test]
    fn backoff_doubles_caps_and_resets() {
        let t0 = Instant::now();
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        assert_eq!(b.throttled(t0), t0 + Duration::from_millis(100));
        assert_eq!(b.throttled(t0), t0 + Duration::from_millis(200));
        assert_eq!(b.throttled(t0), t0 + Duration::from_millis(350));
        assert_eq!(b.throttled(t0), t0 + Duration::from_millis(350));
        assert_eq!(b.paused_until(t0), Some(t0 + Duration::from_millis(350)));
        assert_eq!(b.paused_until(t0 + Duration::from_millis(350)), None);
        b.succeeded();
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(b.throttled(t1), t1 + Duration::from_millis(100));
    }
}
