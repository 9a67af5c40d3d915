//! The session's timers: one deadline per kind, in one table.
//!
//! The table holds the deadlines the session sets itself. Two more come
//! from elsewhere and are read beside it in [`super::Session::poll_timeout`]:
//! the response deadlines of requests in the window (a queue of its own,
//! in send order) and the end of a throttling pause (the backoff's); the
//! idle enquire_link and the inactivity deadline follow from the time of
//! the last PDU received.

use std::time::Instant;

/// A kind of timer; each has at most one deadline at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// ESME: our bind awaits its response (`bind_timeout`).
    BindResponse,
    /// The bind must complete by then: the SMSC's session-init timer, or
    /// an ESME waiting for an outbind (`bind_timeout`).
    Open,
    /// Our enquire_link awaits its response.
    EnquireResponse,
    /// Our unbind awaits its response (`unbind_timeout`).
    UnbindResponse,
    /// The peer's unbind is answered once its requests are, at the latest
    /// then (`response_timeout`).
    PeerUnbind,
    /// A local unbind waits for outstanding responses until then
    /// (`drain_timeout`); set while draining.
    Drain,
}

impl Timer {
    const ALL: [Timer; 6] = [
        Timer::BindResponse,
        Timer::Open,
        Timer::EnquireResponse,
        Timer::UnbindResponse,
        Timer::PeerUnbind,
        Timer::Drain,
    ];
}

/// One optional deadline per [`Timer`].
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    /// Sets (or moves) a timer.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer as usize] = Some(at);
    }

    /// Stops a timer (stopping a stopped one does nothing).
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer as usize] = None;
    }

    /// Whether a timer is running.
    pub(crate) fn is_set(&self, timer: Timer) -> bool {
        self.deadlines[timer as usize].is_some()
    }

    /// Whether a timer is running and due at `now`.
    pub(crate) fn is_due(&self, timer: Timer, now: Instant) -> bool {
        self.deadlines[timer as usize].is_some_and(|d| d <= now)
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Stops every timer.
    pub(crate) fn clear(&mut self) {
        self.deadlines = [None; Timer::ALL.len()];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_kind_holds_one_deadline() {
        let t0 = Instant::now();
        let mut table = TimerTable::default();
        assert_eq!(table.next(), None);
        table.set(Timer::Drain, t0 + Duration::from_secs(5));
        table.set(Timer::Open, t0 + Duration::from_secs(9));
        table.set(Timer::Open, t0 + Duration::from_secs(3));
        assert_eq!(table.next(), Some(t0 + Duration::from_secs(3)));
        assert!(!table.is_due(Timer::Open, t0 + Duration::from_secs(2)));
        assert!(table.is_due(Timer::Open, t0 + Duration::from_secs(3)));
        assert!(!table.is_due(Timer::BindResponse, t0 + Duration::from_secs(60)));
        table.stop(Timer::Open);
        assert!(!table.is_set(Timer::Open));
        assert_eq!(table.next(), Some(t0 + Duration::from_secs(5)));
        for timer in Timer::ALL {
            table.set(timer, t0);
        }
        table.clear();
        assert_eq!(table.next(), None);
    }
}
