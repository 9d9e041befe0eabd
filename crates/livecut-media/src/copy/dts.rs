//! Output decode timestamps for the joined video track.
//!
//! Copied GOPs keep the source's decode order and re-encoded parts bring
//! the encoder's; their original DTS come from different clocks and reorder
//! delays and would collide at every join. Instead, with `depth` the
//! largest reorder depth of any part, the DTS of the i-th packet in decode
//! order is the (i - depth)-th smallest PTS of the output: that frame must
//! already have been decoded by then, so DTS <= PTS holds, and DTS strictly
//! increase as long as PTS are distinct. It needs no lookahead: by packet
//! i, that PTS has been seen.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

#[derive(Debug)]
pub struct DtsRestamper {
    depth: u64,
    step: i64,
    seen: u64,
    pending: BinaryHeap<Reverse<i64>>,
    last: Option<i64>,
}

impl DtsRestamper {
    /// `step` is a nominal frame duration, used only for the first `depth`
    /// packets, whose DTS precede the first PTS (0).
    pub fn new(depth: u32, step: i64) -> Self {
        DtsRestamper {
            depth: u64::from(depth),
            step: step.max(1),
            seen: 0,
            pending: BinaryHeap::new(),
            last: None,
        }
    }

    /// DTS for the next packet in decode order, whose PTS is `pts`.
    pub fn next(&mut self, pts: i64) -> Result<i64, String> {
        self.pending.push(Reverse(pts));
        let dts = if self.seen < self.depth {
            -((self.depth - self.seen) as i64) * self.step
        } else {
            match self.pending.pop() {
                Some(Reverse(v)) => v,
                None => return Err("no pending timestamp".into()),
            }
        };
        self.seen += 1;
        if dts > pts {
            return Err(format!(
                "packet {} would have DTS {dts} after its PTS {pts}: reorder deeper than {}",
                self.seen - 1,
                self.depth
            ));
        }
        if self.last.is_some_and(|last| dts <= last) {
            return Err(format!(
                "packet {} would have DTS {dts}, not after the previous one (duplicate PTS?)",
                self.seen - 1
            ));
        }
        self.last = Some(dts);
        Ok(dts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decode-order PTS of a GOP of 9 with x264-style B-pyramid (depth 2):
    /// I0 P4 B2 b1 b3 P8 B6 b5 b7.
    fn pyramid(base: i64) -> Vec<i64> {
        [0, 4, 2, 1, 3, 8, 6, 5, 7]
            .iter()
            .map(|f| base + f * 10)
            .collect()
    }

    #[test]
    fn pyramid_gops_get_monotonic_dts_not_after_pts() {
        let mut r = DtsRestamper::new(2, 10);
        let mut all = pyramid(0);
        // A re-encoded part without B-frames, then another pyramid GOP.
        all.extend((9..12).map(|f| f * 10));
        all.extend(pyramid(120));
        let dts: Vec<i64> = all.iter().map(|&p| r.next(p).expect("valid")).collect();
        assert_eq!(&dts[..5], &[-20, -10, 0, 10, 20]);
        for (d, p) in dts.iter().zip(&all) {
            assert!(d <= p);
        }
        assert!(dts.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn too_shallow_a_depth_is_reported() {
        let mut r = DtsRestamper::new(0, 10);
        assert_eq!(r.next(0), Ok(0));
        assert_eq!(r.next(20), Ok(20));
        // A B-frame shown before the previous packet: depth 0 cannot hold it.
        assert!(r.next(10).is_err());
    }

    #[test]
    fn duplicate_pts_are_reported() {
        let mut r = DtsRestamper::new(0, 10);
        assert_eq!(r.next(0), Ok(0));
        assert!(r.next(0).is_err());
    }
}
