//! Finds the frame on screen at the cover instant, and the packets that
//! have to be decoded to get it.
//!
//! The frame is the last one whose UTC instant, by the crate's timeline
//! rule, is at or before the cover time. Playlist times only guess the
//! segment (a run's later PROGRAM-DATE-TIMEs are rounded and may drift);
//! exact frame times decide, so the guess is corrected by stepping to the
//! neighbouring segments. Only the segments stepped through, the run's
//! first segment (its anchor) and those back to the IDR that starts the
//! frame's GOP are demuxed; decoding starts at that IDR.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ffmpeg_next::{Packet, codec};

use super::segment::{self, SegmentVideo};
use crate::bitstream::h264::ParameterSets;
use crate::error::Cause;
use crate::timeline::{PTS_WRAP, RunAnchor, TICKS_PER_SECOND, run_starts};
use crate::{MediaError, SegmentInput};

/// The cover frame and what decodes it.
pub struct Located {
    /// PTS of the cover frame on its run's unwrapped line.
    pub target_pts: i64,
    pub frame_utc_us: i64,
    /// Index of the segment holding the cover frame.
    pub segment: usize,
    /// `(segment index, packet)` in decode order from an IDR to the cover
    /// frame; frames nothing refers to are left out, except the cover.
    pub packets: Vec<(usize, Packet)>,
    /// Parameters of the video stream decoding starts in.
    pub parameters: codec::Parameters,
    /// Every SPS/PPS seen in the run, to prime the decoder with.
    pub parameter_sets: ParameterSets,
}

/// Microseconds -> 90 kHz ticks, rounded half away from zero.
fn us_to_ticks(us: i64) -> i64 {
    let scaled = i128::from(us) * i128::from(TICKS_PER_SECOND);
    let rounded = if scaled >= 0 {
        (scaled + 500_000) / 1_000_000
    } else {
        (scaled - 500_000) / 1_000_000
    };
    i64::try_from(rounded).unwrap_or(if us >= 0 { i64::MAX / 2 } else { i64::MIN / 2 })
}

/// The multiple of the PTS period that moves a segment whose first
/// timestamp is `first` (on its own line) closest to `expected` (on the
/// run's line). Reading a mid-run segment alone loses the wraps before it;
/// the playlist time says how many there were, up to half a period
/// (13 hours) of drift.
fn line_shift(first: i64, expected: i64) -> i64 {
    let diff = i128::from(expected) - i128::from(first);
    let period = i128::from(PTS_WRAP);
    let wraps = (diff + period / 2).div_euclid(period);
    i64::try_from(wraps * period).unwrap_or(0)
}

/// Position of the latest timestamp at or before `at` (UTC us) by `anchor`.
fn latest_at_or_before(
    pts: impl Iterator<Item = i64>,
    anchor: &RunAnchor,
    at: i64,
) -> Option<usize> {
    pts.enumerate()
        .filter(|&(_, p)| anchor.cmp_utc(p, at) != Ordering::Greater)
        .max_by_key(|&(_, p)| p)
        .map(|(i, _)| i)
}

/// Segments demuxed so far, each on its run's line.
struct Walker<'a> {
    clip: usize,
    segments: &'a [SegmentInput],
    /// For each segment, the index of its run's first segment.
    run_first: Vec<usize>,
    loaded: BTreeMap<usize, SegmentVideo>,
}

impl<'a> Walker<'a> {
    fn new(clip: usize, segments: &'a [SegmentInput]) -> Self {
        let mut run_first = Vec::with_capacity(segments.len());
        let mut first = 0;
        for (i, starts) in run_starts(segments).into_iter().enumerate() {
            if starts {
                first = i;
            }
            run_first.push(first);
        }
        Walker {
            clip,
            segments,
            run_first,
            loaded: BTreeMap::new(),
        }
    }

    fn get(&self, index: usize) -> Result<&SegmentVideo, MediaError> {
        self.loaded.get(&index).ok_or_else(|| {
            MediaError::Internal(format!("cover: segment {index} used before it was read"))
        })
    }

    /// The anchor of the run segment `index` belongs to.
    fn anchor(&mut self, index: usize) -> Result<RunAnchor, MediaError> {
        let first = self.run_first[index];
        self.load(first)?;
        let pts = self.get(first)?.anchor_pts().ok_or_else(|| {
            MediaError::Internal(format!("cover: segment {first} has no packets"))
        })?;
        Ok(RunAnchor {
            utc_us: self.segments[first].utc_start_us,
            pts,
        })
    }

    fn load(&mut self, index: usize) -> Result<(), MediaError> {
        if self.loaded.contains_key(&index) {
            return Ok(());
        }
        let mut video = segment::read(self.clip, &self.segments[index])?;
        if self.run_first[index] != index {
            let anchor = self.anchor(index)?;
            let expected =
                anchor.pts + us_to_ticks(self.segments[index].utc_start_us - anchor.utc_us);
            let first = video.packets.first().map_or(expected, |p| p.pts);
            video.shift(line_shift(first, expected));
        }
        self.loaded.insert(index, video);
        Ok(())
    }

    /// Decode-order position of the latest decodable frame of segment
    /// `index` at or before `at`. Frames before the first IDR of a run
    /// cannot be decoded (the cutter drops them too).
    fn best(&mut self, index: usize, at: i64) -> Result<Option<usize>, MediaError> {
        self.load(index)?;
        let anchor = self.anchor(index)?;
        let video = self.get(index)?;
        let from = if self.run_first[index] == index {
            video
                .packets
                .iter()
                .position(|p| p.keyframe)
                .unwrap_or(video.packets.len())
        } else {
            0
        };
        let pts = video.packets[from..].iter().map(|p| p.pts);
        Ok(latest_at_or_before(pts, &anchor, at).map(|i| i + from))
    }

    /// The keyframe decoding starts from: the last one at or before `pos`
    /// of segment `index` that is shown no later than the cover frame (a
    /// leading picture of an open GOP needs the keyframe before its own),
    /// looking back through the run if needed.
    fn decode_start(&mut self, index: usize, pos: usize) -> Result<(usize, usize), MediaError> {
        let target = self.get(index)?.packets[pos].pts;
        let mut seg = index;
        let mut upto = pos + 1;
        loop {
            let packets = &self.get(seg)?.packets;
            if let Some(q) = packets[..upto.min(packets.len())]
                .iter()
                .rposition(|p| p.keyframe && p.pts <= target)
            {
                return Ok((seg, q));
            }
            if seg == self.run_first[index] {
                return Err(MediaError::BadSegment {
                    clip: self.clip,
                    uri: self.segments[seg].uri.clone(),
                    cause: "no keyframe precedes the cover frame in this run of segments, \
                             so it cannot be decoded"
                        .into(),
                });
            }
            seg -= 1;
            self.load(seg)?;
            upto = self.get(seg)?.packets.len();
        }
    }
}

fn not_found(clip: usize, segments: &[SegmentInput], at: i64) -> MediaError {
    let first = segments
        .first()
        .map(|s| {
            format!(
                "; the first listed segment {} starts at {} us",
                s.uri, s.utc_start_us
            )
        })
        .unwrap_or_else(|| "; no segment is listed".into());
    MediaError::NoContent {
        clip,
        start_utc_us: at,
        end_utc_us: at.saturating_add(1),
        cause: Cause::Found(format!(
            "no video frame is presented at or before the cover time {at} us{first}"
        )),
    }
}

/// Finds the cover frame of `segments` (one clip's, in playlist order) at
/// `at` (UTC us).
pub fn locate(clip: usize, segments: &[SegmentInput], at: i64) -> Result<Located, MediaError> {
    if segments.is_empty() {
        return Err(not_found(clip, segments, at));
    }
    let mut w = Walker::new(clip, segments);
    let mut index = segments
        .iter()
        .rposition(|s| s.utc_start_us <= at)
        .unwrap_or(0);
    let mut best = w.best(index, at)?;
    if best.is_none() {
        while best.is_none() {
            if index == 0 {
                return Err(not_found(clip, segments, at));
            }
            index -= 1;
            best = w.best(index, at)?;
        }
    } else {
        while index + 1 < segments.len() {
            match w.best(index + 1, at)? {
                Some(next) => {
                    index += 1;
                    best = Some(next);
                }
                None => break,
            }
        }
    }
    let pos = best.ok_or_else(|| MediaError::Internal("cover: lost the chosen frame".into()))?;
    let (start_seg, start_pos) = w.decode_start(index, pos)?;
    let anchor = w.anchor(index)?;
    let run_first = w.run_first[index];

    // Every frame decoded from the IDR on is a candidate: where a GOP spans
    // a segment boundary, a frame of the earlier segment can be shown after
    // the latest candidate of the later one.
    let mut chain: Vec<(usize, usize)> = Vec::new();
    for s in start_seg..=index {
        let from = if s == start_seg { start_pos } else { 0 };
        let len = w.get(s)?.packets.len();
        chain.extend((from..len).map(|k| (s, k)));
    }
    let mut pts_of = Vec::with_capacity(chain.len());
    for &(s, k) in &chain {
        pts_of.push(w.get(s)?.packets[k].pts);
    }
    let target = latest_at_or_before(pts_of.iter().copied(), &anchor, at)
        .ok_or_else(|| MediaError::Internal("cover: the chosen frame left the chain".into()))?;
    chain.truncate(target + 1);
    let (target_seg, _) = chain[target];
    let target_pts = pts_of[target];

    let mut parameter_sets = ParameterSets::default();
    for (s, video) in &w.loaded {
        if w.run_first[*s] == run_first {
            for nal in video
                .parameter_sets
                .sps
                .values()
                .chain(video.parameter_sets.pps.values())
            {
                // In-band sets override these anyway; first one wins.
                let _ = parameter_sets.add(nal);
            }
        }
    }
    let parameters = w.get(start_seg)?.parameters.clone();
    let mut packets = Vec::with_capacity(chain.len());
    for (i, &(s, k)) in chain.iter().enumerate() {
        let Some(video) = w.loaded.get_mut(&s) else {
            return Err(MediaError::Internal(format!("cover: segment {s} vanished")));
        };
        let p = &mut video.packets[k];
        if p.reference || i == target {
            packets.push((s, std::mem::replace(&mut p.packet, Packet::empty())));
        }
    }
    Ok(Located {
        target_pts,
        frame_utc_us: anchor.utc_of(target_pts),
        segment: target_seg,
        packets,
        parameters,
        parameter_sets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_become_ticks() {
        assert_eq!(us_to_ticks(1_000_000), 90_000);
        assert_eq!(us_to_ticks(33_333), 3000);
        assert_eq!(us_to_ticks(-33_333), -3000);
        assert_eq!(us_to_ticks(5), 0);
        assert_eq!(us_to_ticks(6), 1);
    }

    #[test]
    fn segments_are_moved_by_whole_wraps_towards_the_expectation() {
        // Expected right after the wrap, read near 0 on its own line.
        assert_eq!(line_shift(1000, PTS_WRAP + 500), PTS_WRAP);
        // Drift smaller than half a period never shifts.
        assert_eq!(line_shift(1000, 1000 + 90_000 * 3600), 0);
        assert_eq!(line_shift(PTS_WRAP - 10, PTS_WRAP + 20), 0);
        // Expected before the run's line start (a negative anchor offset).
        assert_eq!(line_shift(PTS_WRAP - 100, -50), -PTS_WRAP);
        // Two wraps away.
        assert_eq!(line_shift(0, 2 * PTS_WRAP + 7), 2 * PTS_WRAP);
    }

    #[test]
    fn the_latest_frame_at_or_before_wins() {
        let anchor = RunAnchor {
            utc_us: 1_000_000_000,
            pts: 900_000,
        };
        // Decode order I P B B (pts 0, 9000, 3000, 6000 after the anchor).
        let pts = [900_000, 909_000, 903_000, 906_000];
        // 66_667 us is after frame 2 (66_666.67 us): the B at 906000.
        assert_eq!(
            latest_at_or_before(pts.iter().copied(), &anchor, 1_000_066_667),
            Some(3)
        );
        // 66_666 us is before it: the B at 903000.
        assert_eq!(
            latest_at_or_before(pts.iter().copied(), &anchor, 1_000_066_666),
            Some(2)
        );
        // Exactly on the P frame.
        assert_eq!(
            latest_at_or_before(pts.iter().copied(), &anchor, 1_000_100_000),
            Some(1)
        );
        assert_eq!(
            latest_at_or_before(pts.iter().copied(), &anchor, 999_999_999),
            None
        );
    }
}
