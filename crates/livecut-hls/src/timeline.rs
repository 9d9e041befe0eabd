//! Segments of one stream on the UTC axis.

use serde::{Deserialize, Serialize};

use crate::coverage::Coverage;
use crate::error::HlsError;
use crate::playlist::{MapSection, MediaPlaylist};

/// Holes and overlaps up to this long are timestamp noise, not missing or duplicated media.
///
/// `#EXT-X-PROGRAM-DATE-TIME` has millisecond precision and recorders stamp it from a wall
/// clock that jitters by tens of milliseconds against the summed `#EXTINF` durations.
/// 50 ms is above that jitter and below the shortest frame gap worth reporting (one frame
/// lasts 40 ms at 25 fps): a shorter hole cannot hide a whole missing frame at common rates.
pub const DEFAULT_TOLERANCE_US: i64 = 50_000;

/// One contiguous piece of a segment file, placed in UTC.
///
/// Usually a whole segment (`media_offset_us == 0`, `end_us - start_us` = its duration).
/// Where an earlier playlist already covers part of a segment, only the uncovered part is
/// kept: the piece then starts `media_offset_us` into the file and may end before the file
/// does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedSegment {
    /// Index of the playlist in the slice given to [`Timeline::build`].
    pub playlist_index: usize,
    /// Index of the segment in that playlist's `segments`.
    pub segment_index: usize,
    pub uri: String,
    pub sequence: u64,
    /// UTC microseconds where this piece starts playing.
    pub start_us: i64,
    /// UTC microseconds where it stops (exclusive).
    pub end_us: i64,
    /// How far into the segment's media `start_us` falls (0 for a whole segment).
    pub media_offset_us: i64,
    /// The segment's `#EXT-X-BYTERANGE`, if any.
    pub byte_range: Option<(u64, Option<u64>)>,
    /// The segment's `#EXT-X-MAP` (fMP4), if any.
    pub map: Option<MapSection>,
    /// True when this piece's media does not simply continue the previous piece of the
    /// timeline: the first piece, `#EXT-X-DISCONTINUITY`, a different playlist, a skipped
    /// or partial neighbour, or a time jump. Media timestamps must be re-anchored here.
    pub discontinuity: bool,
}

/// The recording of one stream: pieces sorted by start time, overlapping each other by at
/// most the tolerance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pieces: Vec<TimedSegment>,
    tolerance_us: i64,
}

/// A segment placed in time, before overlaps with other segments are resolved.
struct Placed {
    segment_index: usize,
    start_us: i64,
    end_us: i64,
}

impl Timeline {
    /// [`Timeline::build_with_tolerance`] with [`DEFAULT_TOLERANCE_US`].
    pub fn build(playlists: &[MediaPlaylist]) -> Result<Timeline, HlsError> {
        Self::build_with_tolerance(playlists, DEFAULT_TOLERANCE_US)
    }

    /// Places every segment of `playlists` (all of one stream, e.g. successive recording
    /// cycles, or old and new reads of a growing playlist) on the UTC axis.
    ///
    /// A segment starts at its own `#EXT-X-PROGRAM-DATE-TIME`, else where the previous
    /// segment of the same playlist ends (also across `#EXT-X-DISCONTINUITY`). Within a run (no
    /// discontinuity) a date within the tolerance of where the previous segment ends is taken as
    /// the recorder's jitter and the segment continues the run by durations: one rule, from the
    /// playlist alone, so a frame's time never depends on where a clip starts. Segments
    /// before a playlist's first date are placed backwards from it. A playlist with
    /// segments but no date at all is an error. `#EXT-X-GAP` segments take time but add no
    /// media. Where segments overlap, the one met first (playlists in order, segments in
    /// order) wins and later ones keep only their uncovered parts; this makes duplicate
    /// recordings harmless and the result deterministic.
    pub fn build_with_tolerance(
        playlists: &[MediaPlaylist],
        tolerance_us: i64,
    ) -> Result<Timeline, HlsError> {
        let tolerance_us = tolerance_us.max(0);
        let mut coverage = Coverage::default();
        let mut pieces = Vec::new();
        for (playlist_index, playlist) in playlists.iter().enumerate() {
            for placed in place(playlist_index, playlist, tolerance_us)? {
                let segment = &playlist.segments[placed.segment_index];
                for (start_us, end_us) in kept_parts(&coverage, &placed, tolerance_us) {
                    pieces.push(TimedSegment {
                        playlist_index,
                        segment_index: placed.segment_index,
                        uri: segment.uri.clone(),
                        sequence: segment.sequence,
                        start_us,
                        end_us,
                        media_offset_us: start_us - placed.start_us,
                        byte_range: segment.byte_range,
                        map: segment.map.clone(),
                        discontinuity: true,
                    });
                }
                coverage.insert(placed.start_us, placed.end_us);
            }
        }
        // Stable: among equal starts, the earlier-met piece stays first.
        pieces.sort_by_key(|p| p.start_us);
        mark_discontinuities(&mut pieces, playlists, tolerance_us);
        Ok(Timeline {
            pieces,
            tolerance_us,
        })
    }

    /// All pieces, sorted by start.
    pub fn segments(&self) -> &[TimedSegment] {
        &self.pieces
    }

    pub fn tolerance_us(&self) -> i64 {
        self.tolerance_us
    }

    /// First start and last end, or `None` for an empty timeline.
    pub fn span(&self) -> Option<(i64, i64)> {
        let start = self.pieces.first()?.start_us;
        let end = self.pieces.iter().map(|p| p.end_us).max()?;
        Some((start, end))
    }

    /// The piece that continues `piece`'s media right after it: the next
    /// segment of the same playlist, with no discontinuity between them.
    pub fn next_after(&self, piece: &TimedSegment) -> Option<&TimedSegment> {
        let at = self.pieces.partition_point(|p| p.start_us < piece.end_us);
        self.pieces[at..]
            .iter()
            .take_while(|p| p.start_us <= piece.end_us + self.tolerance_us)
            .find(|p| {
                !p.discontinuity
                    && p.playlist_index == piece.playlist_index
                    && p.sequence == piece.sequence + 1
            })
    }

    /// Pieces that play within `[start_us, end_us)`, in time order.
    ///
    /// Every piece that overlaps at all is returned, however little: a segment that reaches
    /// 13 ms into the range may hold the range's first or last frame, and only the media engine,
    /// which reads the frames' own timestamps, can tell.
    pub fn overlapping(&self, start_us: i64, end_us: i64) -> Vec<&TimedSegment> {
        if end_us <= start_us {
            return Vec::new();
        }
        let candidates = &self.pieces[..self.pieces.partition_point(|p| p.start_us < end_us)];
        candidates.iter().filter(|p| p.end_us > start_us).collect()
    }

    /// Sub-ranges of `[start_us, end_us)` with no recording, longer than the tolerance.
    pub fn gaps(&self, start_us: i64, end_us: i64) -> Vec<(i64, i64)> {
        let mut gaps = Vec::new();
        if end_us <= start_us {
            return gaps;
        }
        let mut cursor = start_us;
        let candidates = &self.pieces[..self.pieces.partition_point(|p| p.start_us < end_us)];
        for piece in candidates.iter().filter(|p| p.end_us > start_us) {
            if piece.start_us.saturating_sub(cursor) > self.tolerance_us {
                gaps.push((cursor, piece.start_us));
            }
            cursor = cursor.max(piece.end_us);
        }
        if end_us.saturating_sub(cursor) > self.tolerance_us {
            gaps.push((cursor, end_us));
        }
        gaps
    }
}

/// UTC start and end of every non-gap segment of one playlist.
fn place(
    playlist_index: usize,
    playlist: &MediaPlaylist,
    tolerance_us: i64,
) -> Result<Vec<Placed>, HlsError> {
    let segments = &playlist.segments;
    let Some(anchor) = segments
        .iter()
        .position(|s| s.program_date_time_us.is_some())
    else {
        return if segments.is_empty() {
            Ok(Vec::new())
        } else {
            Err(HlsError::NoProgramDateTime { playlist_index })
        };
    };
    let overflow = |index: usize| HlsError::TimeOverflow {
        playlist_index,
        sequence: segments[index].sequence,
    };
    let mut starts = vec![0_i64; segments.len()];
    let mut clock = 0_i64;
    for (index, segment) in segments.iter().enumerate().skip(anchor) {
        let start = match segment.program_date_time_us {
            // A date within the tolerance of where the run's previous segment ends is the
            // recorder's clock jitter, not a jump: the run goes on by durations, so a frame's
            // time does not depend on which segment of the run a clip starts in.
            Some(date)
                if index > anchor
                    && !segment.discontinuity
                    && (date - clock).abs() <= tolerance_us =>
            {
                clock
            }
            Some(date) => date,
            None => clock,
        };
        starts[index] = start;
        clock = start
            .checked_add(segment.duration_us)
            .ok_or_else(|| overflow(index))?;
    }
    for index in (0..anchor).rev() {
        starts[index] = starts[index + 1]
            .checked_sub(segments[index].duration_us)
            .ok_or_else(|| overflow(index))?;
    }
    Ok(segments
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.gap && s.duration_us > 0)
        .map(|(segment_index, s)| Placed {
            segment_index,
            start_us: starts[segment_index],
            // Every end was computed with checked arithmetic above.
            end_us: starts[segment_index].saturating_add(s.duration_us),
        })
        .collect())
}

/// The parts of a placed segment not yet covered. Edges within the tolerance of the
/// segment's own edges snap back to them, so a few milliseconds of overlap never make a
/// cutter start mid-segment; leftover slivers within the tolerance are dropped.
fn kept_parts(coverage: &Coverage, placed: &Placed, tolerance_us: i64) -> Vec<(i64, i64)> {
    let whole = (placed.start_us, placed.end_us);
    coverage
        .uncovered(placed.start_us, placed.end_us)
        .into_iter()
        .map(|(s, e)| {
            let s = if s - placed.start_us <= tolerance_us {
                placed.start_us
            } else {
                s
            };
            let e = if placed.end_us - e <= tolerance_us {
                placed.end_us
            } else {
                e
            };
            (s, e)
        })
        .filter(|&part| part == whole || part.1 - part.0 > tolerance_us)
        .collect()
}

fn mark_discontinuities(
    pieces: &mut [TimedSegment],
    playlists: &[MediaPlaylist],
    tolerance_us: i64,
) {
    for index in 1..pieces.len() {
        let (prev, this) = (&pieces[index - 1], &pieces[index]);
        let playlist = &playlists[this.playlist_index];
        let prev_ran_to_its_end = playlists[prev.playlist_index]
            .segments
            .get(prev.segment_index)
            .is_some_and(|s| prev.media_offset_us + (prev.end_us - prev.start_us) == s.duration_us);
        let continues = prev.playlist_index == this.playlist_index
            && prev.segment_index + 1 == this.segment_index
            && this.media_offset_us == 0
            && prev_ran_to_its_end
            && !playlist.segments[this.segment_index].discontinuity
            && this.start_us.abs_diff(prev.end_us) <= tolerance_us.unsigned_abs();
        pieces[index].discontinuity = !continues;
    }
}

#[cfg(test)]
mod tests;
