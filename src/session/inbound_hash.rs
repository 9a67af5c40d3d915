//! The hash of the map of the peer's requests awaiting an answer: keyed by
//! the peer's sequence numbers, so the peer chooses the keys. A fixed cheap
//! hash would let it choose them to collide; SipHash costs more than the
//! map lookup itself. This is a multiply-and-fold hash of the key mixed
//! with a secret drawn for each session: cheap, and the peer cannot see
//! which of its numbers collide. (The map is bounded by
//! `max_inbound_pending` besides.)

use std::hash::{BuildHasher, Hasher};

/// Builds [`InboundHasher`]s with one session's secret.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InboundHash {
    secret: u64,
}

impl InboundHash {
    /// A fresh secret (from the standard library's random hash keys).
    pub(crate) fn new() -> InboundHash {
        InboundHash {
            secret: std::collections::hash_map::RandomState::new().hash_one(0x5EED_u64) | 1,
        }
    }
}

impl BuildHasher for InboundHash {
    type Hasher = InboundHasher;

    fn build_hasher(&self) -> InboundHasher {
        InboundHasher { state: self.secret }
    }
}

/// Mixes each integer written into the state: xor, multiply by an odd
/// constant, fold the high half down (so every input bit reaches the low
/// bits the table indexes by).
#[derive(Debug)]
pub(crate) struct InboundHasher {
    state: u64,
}

impl InboundHasher {
    #[inline]
    fn mix(&mut self, n: u64) {
        let h = (self.state ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.state = h ^ (h >> 29);
    }
}

impl Hasher for InboundHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.mix(u64::from(b));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.mix(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.mix(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.mix(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn keys_that_differ_only_in_high_bits_spread() {
        let mut m: HashMap<(u32, u32), u32, InboundHash> = HashMap::with_hasher(InboundHash::new());
        for i in 0..1024u32 {
            m.insert((i << 20, 4), i);
        }
        assert_eq!(m.len(), 1024);
        assert!((0..1024u32).all(|i| m[&(i << 20, 4)] == i));
        // Low bits of the hashes of such keys are not all alike.
        let h = InboundHash::new();
        let low: std::collections::HashSet<u64> = (0..64u32)
            .map(|i| h.hash_one((i << 24, 4u32)) & 0x3F)
            .collect();
        assert!(low.len() > 16, "{}", low.len());
    }

    #[test]
    fn each_session_draws_its_own_secret() {
        assert_ne!(InboundHash::new().secret, InboundHash::new().secret);
    }
}
