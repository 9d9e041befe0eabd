//! The part of the time axis already claimed by accepted segments.

/// A union of half-open intervals `[start, end)`, kept sorted and merged.
#[derive(Debug, Default)]
pub(crate) struct Coverage {
    spans: Vec<(i64, i64)>,
}

impl Coverage {
    /// The parts of `[start, end)` not yet covered, in order.
    pub fn uncovered(&self, start: i64, end: i64) -> Vec<(i64, i64)> {
        let mut holes = Vec::new();
        let mut cursor = start;
        let first = self.spans.partition_point(|&(_, e)| e <= start);
        for &(s, e) in self.spans[first..].iter().take_while(|&&(s, _)| s < end) {
            if s > cursor {
                holes.push((cursor, s));
            }
            cursor = cursor.max(e);
        }
        if cursor < end {
            holes.push((cursor, end));
        }
        holes
    }

    /// Adds `[start, end)`, merging with every span it overlaps or touches.
    pub fn insert(&mut self, start: i64, end: i64) {
        if end <= start {
            return;
        }
        let first = self.spans.partition_point(|&(_, e)| e < start);
        let last = self.spans.partition_point(|&(s, _)| s <= end);
        let (merged_start, merged_end) = self.spans[first..last]
            .iter()
            .fold((start, end), |(a, b), &(s, e)| (a.min(s), b.max(e)));
        self.spans.splice(first..last, [(merged_start, merged_end)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncovered_parts_of_a_range() {
        let mut c = Coverage::default();
        assert_eq!(c.uncovered(0, 10), [(0, 10)]);
        c.insert(2, 4);
        c.insert(6, 8);
        assert_eq!(c.uncovered(0, 10), [(0, 2), (4, 6), (8, 10)]);
        assert_eq!(c.uncovered(2, 4), []);
        assert_eq!(c.uncovered(3, 7), [(4, 6)]);
        assert_eq!(c.uncovered(8, 9), [(8, 9)]);
    }

    #[test]
    fn insert_merges_overlapping_and_touching_spans() {
        let mut c = Coverage::default();
        c.insert(0, 2);
        c.insert(4, 6);
        c.insert(8, 10);
        c.insert(2, 4);
        assert_eq!(c.spans, [(0, 6), (8, 10)]);
        c.insert(5, 9);
        assert_eq!(c.spans, [(0, 10)]);
        c.insert(-5, -1);
        c.insert(3, 3);
        assert_eq!(c.spans, [(-5, -1), (0, 10)]);
    }
}
