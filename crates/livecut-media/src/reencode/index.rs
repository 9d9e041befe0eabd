//! Pass 1 of the re-encoding modes: a demux-only scan of a clip's segments
//! (H.264 or HEVC video, AAC or MP3 audio) that finds the GOPs, which
//! frames the clip selects and can be decoded, and the format of its audio.
//! Selection and timeline follow the crate's rules exactly as the copying
//! modes' index does (`Selection`, one anchor per run), so both kinds of
//! modes pick the same frames.
//!
//! A GOP starts at every keyframe (H.264 IDR, HEVC IRAP). HEVC open GOPs
//! put RASL pictures after a CRA in decoding order but before it in
//! presentation order; they reference the GOP before. So:
//!
//! * the RASL pictures of a run's first keyframe (and of any BLA, or CRA
//!   after an end of sequence) can never be decoded: libav drops them, and
//!   they are not counted as frames at all, like the packets before a run's
//!   first keyframe;
//! * any other RASL picture is decodable when the GOP before it is decoded
//!   first; a GOP with selected RASL pictures is marked `needs_previous`,
//!   and pass 2 then decodes the previous GOP too (without encoding it).
//!
//! Only per-GOP summaries are kept, so memory grows with the number of
//! GOPs, never with packets.

use std::collections::BTreeMap;

use ffmpeg_next::frame;

use super::access::{self, Picture};
use super::decode;
use super::source::{Codec, SourcePacket, SourceReader, Track};
use crate::cut::index::Selection;
use crate::timeline::{RunAnchor, run_starts};
use crate::{ClipInput, MediaError};

/// Audio packets tried for a decodable frame before the clip's audio
/// format is given up on (its audio then becomes silence).
const AUDIO_PROBE_PACKETS: u32 = 64;

/// The decoded format of a clip's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    pub rate: u32,
    pub channels: usize,
}

/// One GOP: a keyframe and every decodable frame after it in decoding
/// order, up to the next keyframe or the run's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gop {
    pub run: usize,
    /// Selected frames (all decodable).
    pub selected: u32,
    /// Some selected frames are RASL pictures: they decode only when the
    /// GOP before is decoded first.
    pub needs_previous: bool,
}

/// A run of segments sharing one clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStats {
    pub anchor: RunAnchor,
    /// Smallest and largest selected PTS.
    pub selected_min: Option<i64>,
    pub selected_max: Option<i64>,
}

/// What pass 2 needs of one clip.
#[derive(Debug, Clone, Default)]
pub struct SourceIndex {
    pub runs: Vec<RunStats>,
    pub gops: Vec<Gop>,
    /// Most common distance between consecutive frames (90 kHz).
    pub frame_duration: Option<i64>,
    /// Sequence numbers of segments holding selected frames.
    pub segments_used: Vec<u64>,
    /// UTC instants of the earliest and latest frame found (any run).
    pub available_utc_us: Option<(i64, i64)>,
    /// The format of the clip's first decodable audio frame.
    pub audio: Option<AudioFormat>,
}

fn keeps(selection: Selection, anchor: &RunAnchor, pts: i64) -> bool {
    match selection {
        Selection::All => true,
        Selection::Range {
            start_utc_us,
            end_utc_us,
        } => anchor.in_range(pts, start_utc_us, end_utc_us),
    }
}

struct VideoInfo {
    pts: i64,
    picture: Picture,
    end_of_sequence: bool,
}

/// The open GOP while scanning.
struct GopBuilder {
    gop: Gop,
    pts_in_decode_order: Vec<i64>,
    /// Its RASL pictures can be decoded (after the previous GOP).
    rasl_decodable: bool,
}

struct Scanner<'a> {
    clip: &'a ClipInput,
    selection: Selection,
    run_starts: Vec<bool>,
    index: SourceIndex,
    open: Option<GopBuilder>,
    /// A GOP has started in the current run.
    keyframe_in_run: bool,
    /// The latest access unit ended a coded video sequence.
    after_end_of_sequence: bool,
    deltas: BTreeMap<i64, u64>,
    audio_probe: AudioProbe,
}

impl Scanner<'_> {
    fn close_gop(&mut self) {
        let Some(builder) = self.open.take() else {
            return;
        };
        let mut sorted = builder.pts_in_decode_order;
        sorted.sort_unstable();
        for pair in sorted.windows(2) {
            let delta = pair[1] - pair[0];
            if delta > 0 {
                *self.deltas.entry(delta).or_default() += 1;
            }
        }
        self.index.gops.push(builder.gop);
    }

    /// Classifies the buffered video packets of one whole segment.
    fn segment_done(
        &mut self,
        segment: usize,
        run: usize,
        video: &[VideoInfo],
        min_audio_pts: Option<i64>,
    ) -> Result<(), MediaError> {
        if self.run_starts[segment] {
            self.close_gop();
            self.keyframe_in_run = false;
            self.after_end_of_sequence = false;
            // The crate's timeline rule: the PDT is the instant of the
            // segment's first video packet in decoding order (its keyframe;
            // with open GOPs the RASL pictures after it in the file are
            // shown before the PDT), or of its earliest audio.
            let Some(pts) = video.first().map(|v| v.pts).or(min_audio_pts) else {
                return Err(MediaError::BadSegment {
                    clip: self.clip.index,
                    uri: self.clip.segments[segment].uri.clone(),
                    detail: "has no timestamps to anchor its PROGRAM-DATE-TIME to".into(),
                });
            };
            self.index.runs.push(RunStats {
                anchor: RunAnchor {
                    utc_us: self.clip.segments[segment].utc_start_us,
                    pts,
                },
                selected_min: None,
                selected_max: None,
            });
        }
        let Some(anchor) = self.index.runs.get(run).map(|r| r.anchor) else {
            return Err(MediaError::Internal(format!(
                "clip {}: run {run} has no anchor",
                self.clip.index
            )));
        };
        let mut range: Option<(i64, i64)> = None;
        for v in video {
            let utc = anchor.utc_of(v.pts);
            let (lo, hi) = self.index.available_utc_us.unwrap_or((utc, utc));
            self.index.available_utc_us = Some((lo.min(utc), hi.max(utc)));
            if let Picture::Key { clean } = v.picture {
                self.close_gop();
                self.open = Some(GopBuilder {
                    gop: Gop {
                        run,
                        selected: 0,
                        needs_previous: false,
                    },
                    pts_in_decode_order: Vec::new(),
                    rasl_decodable: self.keyframe_in_run && !clean && !self.after_end_of_sequence,
                });
                self.keyframe_in_run = true;
            }
            self.after_end_of_sequence = v.end_of_sequence;
            // Before the run's first keyframe, and undecodable RASL
            // pictures: not frames of the clip.
            let Some(builder) = self.open.as_mut() else {
                continue;
            };
            let rasl = v.picture == Picture::Rasl;
            if rasl && !builder.rasl_decodable {
                continue;
            }
            builder.pts_in_decode_order.push(v.pts);
            if keeps(self.selection, &anchor, v.pts) {
                builder.gop.selected += 1;
                builder.gop.needs_previous |= rasl;
                range =
                    Some(range.map_or((v.pts, v.pts), |(lo, hi)| (lo.min(v.pts), hi.max(v.pts))));
            }
        }
        if let Some((lo, hi)) = range {
            self.index
                .segments_used
                .push(self.clip.segments[segment].sequence);
            if let Some(stats) = self.index.runs.get_mut(run) {
                stats.selected_min = Some(stats.selected_min.map_or(lo, |m| m.min(lo)));
                stats.selected_max = Some(stats.selected_max.map_or(hi, |m| m.max(hi)));
            }
        }
        Ok(())
    }
}

/// Decodes the first audio frames of a clip, until one tells the format.
#[derive(Default)]
struct AudioProbe {
    decoder: Option<(Codec, ffmpeg_next::codec::decoder::Audio)>,
    tried: u32,
    format: Option<AudioFormat>,
}

impl AudioProbe {
    fn feed(&mut self, p: &SourcePacket) {
        let Codec::Audio(codec) = p.codec else {
            return;
        };
        if self.format.is_some() || self.tried >= AUDIO_PROBE_PACKETS {
            return;
        }
        self.tried += 1;
        if self.decoder.as_ref().is_none_or(|(c, _)| *c != p.codec) {
            match decode::audio(codec) {
                Ok(d) => self.decoder = Some((p.codec, d)),
                Err(e) => {
                    tracing::warn!("no {} decoder: {e}", decode::audio_name(codec));
                    self.tried = AUDIO_PROBE_PACKETS;
                    return;
                }
            }
        }
        let Some((_, decoder)) = self.decoder.as_mut() else {
            return;
        };
        if decoder.send_packet(&p.packet).is_err() {
            return;
        }
        let mut frame = frame::Audio::empty();
        if decoder.receive_frame(&mut frame).is_ok() && frame.rate() > 0 && frame.samples() > 0 {
            // SAFETY: reading a plain field of a decoded frame.
            let channels = unsafe { (*frame.as_ptr()).ch_layout.nb_channels };
            if channels > 0 {
                self.format = Some(AudioFormat {
                    rate: frame.rate(),
                    channels: channels as usize,
                });
                self.decoder = None;
            }
        }
    }
}

/// Scans every segment of `clip`; `progress` receives the fraction of
/// segments scanned.
pub fn scan(
    clip: &ClipInput,
    selection: Selection,
    progress: &mut dyn FnMut(f32),
) -> Result<SourceIndex, MediaError> {
    let mut scanner = Scanner {
        clip,
        selection,
        run_starts: run_starts(&clip.segments),
        index: SourceIndex::default(),
        open: None,
        keyframe_in_run: false,
        after_end_of_sequence: false,
        deltas: BTreeMap::new(),
        audio_probe: AudioProbe::default(),
    };
    let mut reader = SourceReader::new(clip);
    let mut video: Vec<VideoInfo> = Vec::new();
    let mut min_audio: Option<i64> = None;
    let mut current: Option<(usize, usize)> = None;
    while let Some(p) = reader.next()? {
        if current.is_some_and(|(segment, _)| segment != p.segment)
            && let Some((segment, run)) = current
        {
            scanner.segment_done(segment, run, &video, min_audio)?;
            video.clear();
            min_audio = None;
            progress(p.segment as f32 / clip.segments.len().max(1) as f32);
        }
        current = Some((p.segment, p.run));
        match (p.track, p.codec, p.pts) {
            (Track::Video, Codec::Video(codec), Some(pts)) => {
                let unit = access::classify(codec, p.data());
                video.push(VideoInfo {
                    pts,
                    picture: unit.picture,
                    end_of_sequence: unit.end_of_sequence,
                });
            }
            (Track::Audio, _, pts) => {
                scanner.audio_probe.feed(&p);
                if let Some(pts) = pts {
                    min_audio = Some(min_audio.map_or(pts, |m| m.min(pts)));
                }
            }
            _ => return Err(MediaError::Internal("an untimed video packet".into())),
        }
    }
    if let Some((segment, run)) = current {
        scanner.segment_done(segment, run, &video, min_audio)?;
    }
    scanner.close_gop();
    scanner.index.frame_duration = scanner
        .deltas
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(&delta, _)| delta);
    scanner.index.audio = scanner.audio_probe.format;
    Ok(scanner.index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(pts: i64, clean: bool) -> VideoInfo {
        VideoInfo {
            pts,
            picture: Picture::Key { clean },
            end_of_sequence: false,
        }
    }

    fn pic(pts: i64, picture: Picture) -> VideoInfo {
        VideoInfo {
            pts,
            picture,
            end_of_sequence: false,
        }
    }

    fn scanner(clip: &ClipInput, selection: Selection) -> Scanner<'_> {
        Scanner {
            clip,
            selection,
            run_starts: run_starts(&clip.segments),
            index: SourceIndex::default(),
            open: None,
            keyframe_in_run: false,
            after_end_of_sequence: false,
            deltas: BTreeMap::new(),
            audio_probe: AudioProbe::default(),
        }
    }

    fn clip() -> ClipInput {
        ClipInput {
            index: 0,
            start_utc_us: 0,
            end_utc_us: 1_000_000_000,
            segments: vec![crate::SegmentInput {
                path: "/r/0.ts".into(),
                uri: "0.ts".into(),
                sequence: 7,
                utc_start_us: 0,
                duration_us: 1_000_000,
                discontinuity: false,
                lookahead: false,
            }],
        }
    }

    fn t(n: i64) -> i64 {
        900_000 + n * 3000
    }

    /// An open-GOP HEVC stream, 3000 ticks per frame: CRA at 4, RASL 2, 3
    /// (shown before it), then 5..=7; the next CRA at 10, RASL 8, 9, then 11.
    fn open_gops() -> Vec<VideoInfo> {
        vec![
            key(t(4), false),
            pic(t(2), Picture::Rasl),
            pic(t(3), Picture::Rasl),
            pic(t(5), Picture::Other),
            pic(t(6), Picture::Other),
            pic(t(7), Picture::Other),
            key(t(10), false),
            pic(t(8), Picture::Rasl),
            pic(t(9), Picture::Rasl),
            pic(t(11), Picture::Other),
        ]
    }

    fn scan_frames(selection: Selection, frames: &[VideoInfo]) -> SourceIndex {
        let c = clip();
        let mut s = scanner(&c, selection);
        s.segment_done(0, 0, frames, None).expect("scanned");
        s.close_gop();
        s.index
    }

    fn summary(index: &SourceIndex) -> Vec<(u32, bool)> {
        index
            .gops
            .iter()
            .map(|g| (g.selected, g.needs_previous))
            .collect()
    }

    #[test]
    fn rasl_pictures_of_a_runs_first_cra_are_not_frames() {
        let index = scan_frames(Selection::All, &open_gops());
        // 2 and 3 cannot be decoded; 8 and 9 can, after the first GOP.
        assert_eq!(summary(&index), vec![(4, false), (4, true)]);
        let run = &index.runs[0];
        // The anchor is the first packet (the CRA), not the RASL shown
        // before it.
        assert_eq!(run.anchor.pts, t(4));
        assert_eq!(
            (run.selected_min, run.selected_max),
            (Some(t(4)), Some(t(11)))
        );
        assert_eq!(index.segments_used, vec![7]);
    }

    #[test]
    fn only_selected_rasl_pictures_need_the_gop_before() {
        // UTC 0 is frame 4 (the anchor): frames 4..=7, 5..=11, 10..=11.
        let us = |n: i64| (n - 4) * 100_000 / 3;
        let range = |from: i64, to: i64| Selection::Range {
            start_utc_us: us(from),
            end_utc_us: us(to),
        };
        let index = scan_frames(range(4, 8), &open_gops());
        assert_eq!(summary(&index), vec![(4, false), (0, false)]);
        let index = scan_frames(range(5, 12), &open_gops());
        assert_eq!(summary(&index), vec![(3, false), (4, true)]);
        let index = scan_frames(range(10, 12), &open_gops());
        assert_eq!(summary(&index), vec![(0, false), (2, false)]);
    }

    #[test]
    fn bla_idr_and_end_of_sequence_make_rasl_undecodable() {
        let mut frames = open_gops();
        frames[5].end_of_sequence = true;
        let index = scan_frames(Selection::All, &frames);
        assert_eq!(summary(&index), vec![(4, false), (2, false)]);
        let mut frames = open_gops();
        frames[6] = key(t(10), true);
        let index = scan_frames(Selection::All, &frames);
        assert_eq!(summary(&index), vec![(4, false), (2, false)]);
    }

    #[test]
    fn frames_before_the_first_keyframe_are_not_frames() {
        let mut frames = vec![pic(t(0), Picture::Other), pic(t(1), Picture::Other)];
        frames.extend(open_gops());
        let index = scan_frames(Selection::All, &frames);
        assert_eq!(summary(&index), vec![(4, false), (4, true)]);
        // The anchor is still the first packet's.
        assert_eq!(index.runs[0].anchor.pts, t(0));
    }
}
