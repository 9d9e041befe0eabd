//! Replay protection without a database write on every call. Each API process remembers the
//! nonces it accepted for as long as their signatures are valid, in memory, so a read
//! (GetLiveEditingJob, GetMediaInfo, ...) replayed to the same process is refused without
//! touching the database. Calls that change state (SubmitLiveEditingJob, SetEventCallback) are
//! also claimed in the database, so a replay to *another* process of a scale-out is refused too;
//! a read replayed to another process only repeats an answer its sender could already see.
//!
//! Memory is bounded: nonces are kept as 64-bit keyed hashes in one bucket per minute of
//! expiry, whole buckets dropped as they expire; past `capacity` nonces, reads are claimed in
//! the database as writes are (correct, just slower), until buckets expire.

use std::collections::{HashSet, VecDeque};
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;

/// What the window says of a nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not seen before; now remembered.
    Fresh,
    /// Seen within its validity window: a replay.
    Replayed,
    /// The window is full; the caller must ask the database.
    Full,
}

pub struct NonceWindow {
    inner: Mutex<Inner>,
    capacity: usize,
    hasher: std::collections::hash_map::RandomState,
}

#[derive(Default)]
struct Inner {
    /// (expiry minute, hashes of the nonces expiring in it), oldest first.
    buckets: VecDeque<(i64, HashSet<u64>)>,
    len: usize,
}

const MINUTE_MS: i64 = 60_000;

impl NonceWindow {
    pub fn new(capacity: usize) -> NonceWindow {
        NonceWindow {
            inner: Mutex::new(Inner::default()),
            capacity,
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Remembers `nonce` of `key_id` until `expires_ms`, unless it is already remembered.
    pub fn check(&self, key_id: &str, nonce: &str, expires_ms: i64, now_ms: i64) -> Seen {
        let hash = {
            let mut h = self.hasher.build_hasher();
            key_id.hash(&mut h);
            nonce.hash(&mut h);
            h.finish()
        };
        let minute = expires_ms.div_euclid(MINUTE_MS);
        // A poisoned lock only means another request panicked mid-update; the sets stay valid.
        let mut inner = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now_minute = now_ms.div_euclid(MINUTE_MS);
        while inner.buckets.front().is_some_and(|(m, _)| *m < now_minute) {
            if let Some((_, set)) = inner.buckets.pop_front() {
                inner.len -= set.len();
            }
        }
        if inner.buckets.iter().any(|(_, set)| set.contains(&hash)) {
            return Seen::Replayed;
        }
        if inner.len >= self.capacity {
            return Seen::Full;
        }
        let at = inner.buckets.partition_point(|(m, _)| *m < minute);
        if inner.buckets.get(at).is_none_or(|(m, _)| *m != minute) {
            inner.buckets.insert(at, (minute, HashSet::new()));
        }
        if let Some((_, set)) = inner.buckets.get_mut(at) {
            set.insert(hash);
        }
        inner.len += 1;
        Seen::Fresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_fresh_once_within_its_window() {
        let w = NonceWindow::new(10);
        assert_eq!(w.check("k", "n1", 120_000, 0), Seen::Fresh);
        assert_eq!(w.check("k", "n1", 120_000, 1_000), Seen::Replayed);
        // Another key's nonce of the same value is its own.
        assert_eq!(w.check("k2", "n1", 120_000, 1_000), Seen::Fresh);
        // After its expiry minute the nonce is forgotten (the signature's time check refuses
        // the old request by then).
        assert_eq!(w.check("k", "n1", 400_000, 190_000), Seen::Fresh);
    }

    #[test]
    fn a_full_window_defers_to_the_database() {
        let w = NonceWindow::new(2);
        assert_eq!(w.check("k", "a", 60_000, 0), Seen::Fresh);
        assert_eq!(w.check("k", "b", 180_000, 0), Seen::Fresh);
        assert_eq!(w.check("k", "c", 180_000, 0), Seen::Full);
        assert_eq!(w.check("k", "a", 60_000, 0), Seen::Replayed);
        // The first minute expires: room again.
        assert_eq!(w.check("k", "c", 180_000, 120_001), Seen::Fresh);
    }
}
