//! smpp-bench's latencies: counted in buckets as they come, so that a run
//! of millions of submits keeps neither a slot per submit nor a list to
//! sort for its percentiles. Exact below 1,024 µs; above, 512 buckets per
//! power of two, so a percentile is at most 0.2% below the latency it
//! stands for.

/// Latencies below this are counted one bucket per µs.
const EXACT: u32 = 1 << 10;
/// Buckets per power of two above [`EXACT`].
const PER_OCTAVE: u32 = 1 << 9;

/// Counts of latencies in µs.
pub(crate) struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

impl Histogram {
    pub(crate) fn new() -> Histogram {
        Histogram {
            counts: vec![0; bucket_of(u32::MAX) + 1],
            total: 0,
        }
    }

    /// Counts one latency of `us` µs.
    pub(crate) fn record(&mut self, us: u32) {
        self.counts[bucket_of(us)] += 1;
        self.total += 1;
    }

    /// The latency at quantile `q` (0.5 for the median): the one a sorted
    /// list of them would hold at index `total × q` (the last at most),
    /// rounded down to its bucket; 0 with none.
    pub(crate) fn quantile(&self, q: f64) -> u32 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((self.total as f64 * q) as u64).min(self.total - 1);
        let mut seen = 0;
        for (bucket, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen > rank {
                return value_of(bucket);
            }
        }
        0
    }
}

/// The bucket of `us`: itself below [`EXACT`]; above, the power of two
/// and the top 9 bits below the highest.
fn bucket_of(us: u32) -> usize {
    if us < EXACT {
        return us as usize;
    }
    let top = 31 - us.leading_zeros(); // 10 or more
    let shift = top - 9;
    let mantissa = us >> shift; // PER_OCTAVE..2 * PER_OCTAVE
    (EXACT + (shift - 1) * PER_OCTAVE + (mantissa - PER_OCTAVE)) as usize
}

/// The least latency in `bucket`.
fn value_of(bucket: usize) -> u32 {
    let b = bucket as u32;
    if b < EXACT {
        return b;
    }
    let k = b - EXACT;
    let shift = k / PER_OCTAVE + 1;
    (k % PER_OCTAVE + PER_OCTAVE) << shift
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_latencies_are_exact_and_large_ones_within_a_fifth_of_a_percent() {
        for us in (0..5000).chain([65_535, 1 << 20, 123_456_789, u32::MAX]) {
            let v = value_of(bucket_of(us));
            if us < EXACT {
                assert_eq!(v, us);
            } else {
                assert!(
                    v <= us && f64::from(us - v) <= f64::from(us) * 0.002,
                    "{us}: {v}"
                );
            }
        }
        // Buckets follow one another: no gap, no overlap.
        for b in 0..bucket_of(u32::MAX) {
            assert_eq!(bucket_of(value_of(b)), b);
            assert!(value_of(b) < value_of(b + 1));
        }
    }

    #[test]
    fn quantiles_are_those_of_the_sorted_list() {
        let mut h = Histogram::new();
        assert_eq!(h.quantile(0.5), 0);
        let mut all: Vec<u32> = (0..1000u32).map(|i| (i * 7919) % 900 + 100).collect();
        for &us in &all {
            h.record(us);
        }
        all.sort_unstable();
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            let i = ((all.len() as f64 * q) as usize).min(all.len() - 1);
            assert_eq!(h.quantile(q), all[i], "q {q}");
        }
    }
}
