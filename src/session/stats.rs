//! Link monitoring: per-command counters, response statuses, response-time
//! quantiles, throttling and enquire_link failures. Readable at any time
//! through [`super::Session::stats`].

use crate::pdu::{CommandId, CommandStatus};
use std::time::Duration;

const COMMANDS: [CommandId; 28] = [
    CommandId::GenericNack,
    CommandId::BindReceiver,
    CommandId::BindReceiverResp,
    CommandId::BindTransmitter,
    CommandId::BindTransmitterResp,
    CommandId::QuerySm,
    CommandId::QuerySmResp,
    CommandId::SubmitSm,
    CommandId::SubmitSmResp,
    CommandId::DeliverSm,
    CommandId::DeliverSmResp,
    CommandId::Unbind,
    CommandId::UnbindResp,
    CommandId::ReplaceSm,
    CommandId::ReplaceSmResp,
    CommandId::CancelSm,
    CommandId::CancelSmResp,
    CommandId::BindTransceiver,
    CommandId::BindTransceiverResp,
    CommandId::Outbind,
    CommandId::EnquireLink,
    CommandId::EnquireLinkResp,
    CommandId::SubmitMulti,
    CommandId::SubmitMultiResp,
    CommandId::AlertNotification,
    CommandId::DataSm,
    CommandId::DataSmResp,
    CommandId::Unknown(0),
];

fn index(id: CommandId) -> usize {
    use CommandId as C;
    match id {
        C::GenericNack => 0,
        C::BindReceiver => 1,
        C::BindReceiverResp => 2,
        C::BindTransmitter => 3,
        C::BindTransmitterResp => 4,
        C::QuerySm => 5,
        C::QuerySmResp => 6,
        C::SubmitSm => 7,
        C::SubmitSmResp => 8,
        C::DeliverSm => 9,
        C::DeliverSmResp => 10,
        C::Unbind => 11,
        C::UnbindResp => 12,
        C::ReplaceSm => 13,
        C::ReplaceSmResp => 14,
        C::CancelSm => 15,
        C::CancelSmResp => 16,
        C::BindTransceiver => 17,
        C::BindTransceiverResp => 18,
        C::Outbind => 19,
        C::EnquireLink => 20,
        C::EnquireLinkResp => 21,
        C::SubmitMulti => 22,
        C::SubmitMultiResp => 23,
        C::AlertNotification => 24,
        C::DataSm => 25,
        C::DataSmResp => 26,
        C::Unknown(_) => 27,
    }
}

/// PDUs counted by command id.
#[derive(Clone, Debug, Default)]
pub struct CommandCounts([u64; 28]);

impl CommandCounts {
    pub(crate) fn add(&mut self, id: CommandId) {
        self.0[index(id)] += 1;
    }

    /// How many with this command id (all unknown ids count together).
    pub fn get(&self, id: CommandId) -> u64 {
        self.0[index(id)]
    }

    /// The non-zero counts.
    pub fn iter(&self) -> impl Iterator<Item = (CommandId, u64)> + '_ {
        COMMANDS
            .iter()
            .zip(self.0.iter())
            .filter(|(_, &n)| n > 0)
            .map(|(&c, &n)| (c, n))
    }

    /// All PDUs.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

/// Responses counted by status.
#[derive(Clone, Debug, Default)]
pub struct StatusCounts {
    ok: u64,
    others: Vec<(CommandStatus, u64)>,
}

impl StatusCounts {
    pub(crate) fn add(&mut self, status: CommandStatus) {
        if status.is_ok() {
            self.ok += 1;
            return;
        }
        match self.others.iter_mut().find(|(s, _)| *s == status) {
            Some((_, n)) => *n += 1,
            None => self.others.push((status, 1)),
        }
    }

    /// How many with this status.
    pub fn get(&self, status: CommandStatus) -> u64 {
        if status.is_ok() {
            return self.ok;
        }
        self.others
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n)
    }

    /// Every status seen, with its count.
    pub fn iter(&self) -> impl Iterator<Item = (CommandStatus, u64)> + '_ {
        let ok = (self.ok > 0).then_some((CommandStatus::Ok, self.ok));
        ok.into_iter().chain(self.others.iter().copied())
    }
}

/// Response times in a log-linear histogram: exact below 16 µs, then four
/// buckets per power of two (at most 19% error), up to about 70 s.
#[derive(Clone, Debug, Default)]
pub struct Latency {
    buckets: Option<Box<[u32; BUCKETS]>>,
    count: u64,
}

const BUCKETS: usize = 16 + 23 * 4;

fn bucket_of(micros: u64) -> usize {
    if micros < 16 {
        return micros as usize;
    }
    let exp = 63 - micros.leading_zeros() as usize; // >= 4
    let sub = ((micros >> (exp - 2)) & 3) as usize;
    (16 + (exp - 4) * 4 + sub).min(BUCKETS - 1)
}

/// The upper edge of a bucket, in microseconds.
fn bucket_top(bucket: usize) -> u64 {
    if bucket < 16 {
        return bucket as u64;
    }
    let exp = (bucket - 16) / 4 + 4;
    let sub = ((bucket - 16) % 4) as u64;
    ((4 + sub + 1) << (exp - 2)) - 1
}

impl Latency {
    pub(crate) fn record(&mut self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let buckets = self.buckets.get_or_insert_with(|| Box::new([0; BUCKETS]));
        let b = &mut buckets[bucket_of(micros)];
        *b = b.saturating_add(1);
        self.count += 1;
    }

    /// Responses measured.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The response time below which fraction `q` (0.0 to 1.0) of the
    /// responses came, rounded up to its bucket's edge.
    pub fn quantile(&self, q: f64) -> Option<Duration> {
        let buckets = self.buckets.as_ref()?;
        let total: u64 = buckets.iter().map(|&n| u64::from(n)).sum();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &n) in buckets.iter().enumerate() {
            seen += u64::from(n);
            if seen >= rank {
                return Some(Duration::from_micros(bucket_top(i)));
            }
        }
        None
    }

    /// Median response time.
    pub fn p50(&self) -> Option<Duration> {
        self.quantile(0.5)
    }

    /// 99th percentile response time.
    pub fn p99(&self) -> Option<Duration> {
        self.quantile(0.99)
    }
}

/// A session's counters.
#[derive(Clone, Debug, Default)]
pub struct SessionStats {
    /// PDUs sent, by command.
    pub sent: CommandCounts,
    /// PDUs received, by command.
    pub received: CommandCounts,
    /// Statuses of the responses this side received.
    pub response_status_received: StatusCounts,
    /// Statuses of the responses this side sent.
    pub response_status_sent: StatusCounts,
    /// Time from sending a request to its response.
    pub latency: Latency,
    /// Requests this side has in flight now.
    pub in_flight: usize,
    /// ESME_RTHROTTLED answers received.
    pub throttled: u64,
    /// Requests refused because of the local throughput limit.
    pub rate_limited: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// enquire_links that went unanswered.
    pub enquire_link_failures: u64,
    /// PDUs from the peer that could not be decoded.
    pub bad_pdus: u64,
    /// Responses from the peer that matched no request.
    pub unexpected_responses: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_their_values() {
        for micros in [
            0u64, 1, 15, 16, 17, 23, 24, 31, 32, 100, 1000, 123_456, 60_000_000,
        ] {
            let b = bucket_of(micros);
            assert!(
                bucket_top(b) >= micros,
                "{micros} in bucket {b} (top {})",
                bucket_top(b)
            );
            if b > 0 && b < BUCKETS - 1 {
                assert!(
                    bucket_top(b - 1) < micros,
                    "{micros} should not fit bucket {}",
                    b - 1
                );
            }
        }
    }

    #[test]
    fn quantiles() {
        let mut l = Latency::default();
        assert_eq!(l.p50(), None);
        for i in 1..=100u64 {
            l.record(Duration::from_micros(i * 10));
        }
        let p50 = l.p50().unwrap().as_micros() as u64;
        let p99 = l.p99().unwrap().as_micros() as u64;
        assert!((500..=600).contains(&p50), "p50 {p50}");
        assert!((990..=1200).contains(&p99), "p99 {p99}");
    }

    #[test]
    fn counts() {
        let mut c = CommandCounts::default();
        c.add(CommandId::SubmitSm);
        c.add(CommandId::SubmitSm);
        c.add(CommandId::from(0x1234));
        assert_eq!(c.get(CommandId::SubmitSm), 2);
        assert_eq!(c.get(CommandId::from(0x9999)), 1);
        assert_eq!(c.total(), 3);
        let mut s = StatusCounts::default();
        s.add(CommandStatus::Ok);
        s.add(CommandStatus::Throttled);
        s.add(CommandStatus::Throttled);
        assert_eq!(s.get(CommandStatus::Throttled), 2);
        assert_eq!(s.iter().count(), 2);
    }
}
