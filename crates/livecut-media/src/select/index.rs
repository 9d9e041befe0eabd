//! Pass 1 of all four modes: a demux-only scan of a clip's segments that
//! finds the GOPs, the frames the clip selects, the parameter sets, the
//! reorder depth and the audio format, before anything is written. The
//! copy modes and the re-encode modes plan from the same index, so they
//! select exactly the same frames. Only per-GOP summaries are kept, so
//! memory grows with the number of GOPs, never with packets.
//!
//! A GOP starts at every keyframe, closed (IDR) or open (HEVC CRA, H.264 I
//! picture with a recovery point). Its *leading* pictures are those decoded
//! after the keyframe but shown before it; after an open keyframe they may
//! reference the previous GOP, so where nothing decodable precedes it they
//! cannot be decoded and are not frames of the clip: at the start of a run,
//! and (HEVC, whose decoders drop such RASL pictures) after a BLA or a CRA
//! that follows an end of sequence.

use std::collections::BTreeMap;

use ffmpeg_next::frame;

use super::audio_frames::{self, AudioConfig};
use super::source::{ClipReader, SourcePacket, Track};
use crate::av::decode;
use crate::bitstream::access_unit::{self, Keyframe};
use crate::bitstream::parameter_sets::ParameterSets;
use crate::bitstream::{h264, hevc};
use crate::codec::{AudioCodec, VideoCodec};
use crate::error::Cause;
use crate::timeline::{RunAnchor, run_starts, segment_anchor_pts, ticks_to_us};
use crate::{ClipInput, MediaError};

/// Which frames of the scanned segments the clip keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every decodable frame (RoughFast).
    All,
    /// Frames presented in `[start, end)` UTC (AccurateFast).
    Range { start_utc_us: i64, end_utc_us: i64 },
}

impl Selection {
    /// Whether a frame at `pts` of a segment is kept. A lookahead segment is read for what it
    /// holds of the range (the leading pictures an open GOP codes there, the audio a recorder
    /// muxed after the range's last frames), so when every frame is kept, none of its own are.
    fn keeps_in(&self, segment: &crate::SegmentInput, anchor: &RunAnchor, pts: i64) -> bool {
        if segment.lookahead && *self == Selection::All {
            return false;
        }
        self.keeps(anchor, pts)
    }

    fn keeps(&self, anchor: &RunAnchor, pts: i64) -> bool {
        match *self {
            Selection::All => true,
            Selection::Range {
                start_utc_us,
                end_utc_us,
            } => anchor.in_range(pts, start_utc_us, end_utc_us),
        }
    }
}

/// A keyframe and everything decoded after it up to the next keyframe (or
/// run end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gop {
    pub run: usize,
    /// PTS of the keyframe.
    pub key_pts: i64,
    /// The keyframe is open: its leading pictures reference the GOP before.
    pub open: bool,
    /// Decodable frames, leading ones included.
    pub frames: u32,
    /// Frames shown before the keyframe.
    pub leading: u32,
    pub selected: u32,
    pub selected_leading: u32,
    /// Smallest and largest selected PTS (meaningful if `selected > 0`).
    pub selected_min: i64,
    pub selected_max: i64,
    /// Largest PTS of the keyframe and the frames shown after it.
    pub trailing_max: i64,
    /// Index into `ClipIndex::generations` of the parameter sets in force.
    pub generation: usize,
    /// Its leading pictures that need an earlier GOP cannot be decoded
    /// (an open keyframe first in its run, a BLA, a CRA after an end of
    /// sequence): they are not frames, and pass 2 skips them
    /// (see [`leading_undecodable`]).
    pub leading_undecodable: bool,
}

/// A run of segments sharing one clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunStats {
    pub anchor: RunAnchor,
    pub selected_min: Option<i64>,
    pub selected_max: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct ClipIndex {
    pub runs: Vec<RunStats>,
    pub gops: Vec<Gop>,
    /// The clip's video codec (its first run's).
    pub codec: VideoCodec,
    /// Per run: its video codec. Only the re-encode modes accept a clip
    /// whose runs differ (`scan_for_decoding`).
    pub run_codecs: Vec<VideoCodec>,
    /// Video packets that cannot be decoded from the listed segments: before
    /// a run's first keyframe, or leading pictures of a run's first open one.
    pub leading_skipped: u64,
    /// Every distinct collection of parameter sets in force, in order: a new
    /// one starts when a set's content changes under its id.
    pub generations: Vec<ParameterSets>,
    /// The first generation (what the clip starts with).
    pub parameter_sets: ParameterSets,
    /// The format of the clip's first audio frame, from its header (what
    /// the copy modes copy).
    pub audio: Option<AudioConfig>,
    /// The clip's audio as its first decodable frame decodes (rate and
    /// channels, which a header may not tell: HE-AAC, AAC with a PCE);
    /// only `scan_for_decoding` probes it.
    pub decoded_audio: Option<AudioFormat>,
    /// Largest number of packets decoded before a frame yet shown after it.
    pub reorder_depth: u32,
    /// Most common distance between consecutive frames (90 kHz).
    pub frame_duration: Option<i64>,
    /// Sequence numbers of segments holding selected frames.
    pub segments_used: Vec<u64>,
    /// UTC instants of the earliest and latest frame found (any run).
    pub available_utc_us: Option<(i64, i64)>,
    /// The segments must be read through libav's parsers (their PES packets
    /// are not one access unit each); both passes read them the same way.
    pub parsed: bool,
    /// Audio-only clips, per run: the source span `[start, end)` (90 kHz)
    /// of the audio frames the clip selects (`audio_frame_selected`).
    pub audio_runs: Vec<Option<(i64, i64)>>,
    /// Audio-only clips: the number of audio frames selected.
    pub audio_frames: u64,
    /// Where the clip's segments should hold video but hold none (UTC µs, inside the selection):
    /// a truncated or damaged file, frames a recorder dropped, pictures that cannot be decoded.
    pub lost: Vec<LostSpan>,
}

/// A span of a clip with no decodable video although the recording covers it, or with
/// pictures decoded from damaged data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LostSpan {
    pub start_utc_us: i64,
    pub end_utc_us: i64,
    /// Sequence number of the segment the video stops in (or is damaged in).
    pub segment_sequence: u64,
    pub kind: LossKind,
}

/// How a span was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossKind {
    /// No frame between two frames further apart than a frame.
    Hole,
    /// The segment ends early: its file holds less than its playlist says.
    ShortSegment,
    /// Pictures are there but `packets` of them lost data in the file (an MPEG-TS continuity
    /// counter jumped inside them, or the demuxer resynced past damaged bytes): they decode
    /// with errors, and so does every picture predicted from them, up to the next keyframe.
    Damaged { packets: u32 },
}

impl Default for ClipIndex {
    fn default() -> Self {
        ClipIndex {
            runs: Vec::new(),
            gops: Vec::new(),
            codec: VideoCodec::H264,
            run_codecs: Vec::new(),
            leading_skipped: 0,
            generations: Vec::new(),
            parameter_sets: ParameterSets::default(),
            audio: None,
            decoded_audio: None,
            reorder_depth: 0,
            frame_duration: None,
            segments_used: Vec::new(),
            available_utc_us: None,
            parsed: false,
            audio_runs: Vec::new(),
            audio_frames: 0,
            lost: Vec::new(),
        }
    }
}

impl ClipIndex {
    /// The video codec of run `run`.
    pub fn run_codec(&self, run: usize) -> VideoCodec {
        self.run_codecs.get(run).copied().unwrap_or(self.codec)
    }

    /// The parameter sets the clip starts with.
    pub fn first_sets(&self) -> ParameterSets {
        self.generations
            .first()
            .cloned()
            .unwrap_or_else(|| ParameterSets::new(self.codec))
    }
}

/// The decoded format of a clip's audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AudioFormat {
    pub codec: AudioCodec,
    pub rate: u32,
    pub channels: usize,
}

struct VideoInfo {
    codec: VideoCodec,
    pts: i64,
    keyframe: Option<Keyframe>,
    /// An HEVC BLA keyframe: its RASL pictures are never decoded.
    bla: bool,
    rasl: bool,
    /// The access unit ends a coded video sequence (HEVC): the RASL
    /// pictures of a CRA that follows are not decoded.
    end_of_sequence: bool,
    generation: usize,
    /// The packet lost data (`SourcePacket::damaged`).
    damaged: bool,
}

/// The GOP being scanned.
struct GopBuilder {
    gop: Gop,
    pts_in_decode_order: Vec<i64>,
}

struct Scanner<'a> {
    clip: &'a ClipInput,
    selection: Selection,
    run_starts: Vec<bool>,
    index: ClipIndex,
    open: Option<GopBuilder>,
    run_has_gop: bool,
    /// The latest access unit ended a coded video sequence.
    after_end_of_sequence: bool,
    deltas: BTreeMap<i64, u64>,
    /// The codec of the latest video packet.
    codec: Option<VideoCodec>,
    /// Why the clip cannot be copied (its audio, a codec change); the copy
    /// modes fail with it.
    copy_problem: Option<MediaError>,
    /// Decodes the first audio frames (`scan_for_decoding` only).
    audio_probe: Option<AudioProbe>,
    /// Where the video of each run has got to, to find the spans it lacks.
    continuity: Continuity,
}

/// Gaps in the decodable video of each run, found as segments are scanned: between two frames
/// (a hole longer than a frame), or at a run's end (its last segment holds less than its
/// duration). Only the few gaps that could be holes are kept, so memory does not grow with the
/// clip; the frame duration, known at the end, decides which are.
#[derive(Default)]
struct Continuity {
    /// Per run: the latest frame's PTS and its segment, and the smallest gap between frames.
    runs: Vec<RunContinuity>,
    /// (run, segment of the frame before, its PTS, the next frame's PTS).
    gaps: Vec<(usize, usize, i64, i64)>,
    /// One entry per GOP with damaged pictures, in scan order.
    damage: Vec<Damage>,
    /// The current GOP already has an entry in `damage` (the last).
    gop_damaged: bool,
}

/// The damaged pictures of one GOP: from the earliest shown of the first damaged picture and
/// every picture decoded after it (which may predict from it) to the GOP's end.
struct Damage {
    run: usize,
    segment: usize,
    key_pts: i64,
    from_pts: i64,
    packets: u32,
}

#[derive(Clone, Copy)]
struct RunContinuity {
    last: Option<(i64, usize)>,
    smallest_gap: i64,
}

/// A gap shorter than this is never a lost span (timestamp noise, below a frame at 20 fps).
const LOSS_FLOOR_TICKS: i64 = 4_500;

impl Continuity {
    /// A new GOP starts: damage before it does not reach into it.
    fn keyframe(&mut self) {
        self.gop_damaged = false;
    }

    /// A decodable picture of the GOP keyed at `key_pts`, in decode order.
    fn picture(&mut self, run: usize, segment: usize, key_pts: i64, pts: i64, damaged: bool) {
        if self.gop_damaged
            && let Some(d) = self.damage.last_mut()
        {
            d.from_pts = d.from_pts.min(pts);
            d.packets += u32::from(damaged);
        } else if damaged {
            self.damage.push(Damage {
                run,
                segment,
                key_pts,
                from_pts: pts,
                packets: 1,
            });
            self.gop_damaged = true;
        }
    }

    fn frames(&mut self, run: usize, segment: usize, sorted_pts: &[i64]) {
        if self.runs.len() <= run {
            self.runs.resize(
                run + 1,
                RunContinuity {
                    last: None,
                    smallest_gap: i64::MAX,
                },
            );
        }
        let r = &mut self.runs[run];
        for &pts in sorted_pts {
            if let Some((prev, prev_segment)) = r.last {
                let gap = pts - prev;
                if gap > 0 {
                    r.smallest_gap = r.smallest_gap.min(gap);
                    let threshold = LOSS_FLOOR_TICKS.max(r.smallest_gap.saturating_mul(3) / 2);
                    if gap > threshold {
                        self.gaps.push((run, prev_segment, prev, pts));
                    }
                }
            }
            r.last = Some((pts, segment));
        }
    }

    /// The lost spans, once the frame duration is known.
    fn lost(
        &self,
        clip: &ClipInput,
        run_starts: &[bool],
        index: &ClipIndex,
        selection: Selection,
    ) -> Vec<LostSpan> {
        let Some(frame) = index.frame_duration.filter(|d| *d > 0) else {
            return Vec::new();
        };
        let frame_us = ticks_to_us(frame);
        let mut lost = Vec::new();
        for &(run, segment, before, after) in &self.gaps {
            let Some(anchor) = index.runs.get(run).map(|r| r.anchor) else {
                continue;
            };
            if after - before > LOSS_FLOOR_TICKS.max(frame * 3 / 2) {
                lost.push(LostSpan {
                    start_utc_us: anchor.utc_of(before) + frame_us,
                    end_utc_us: anchor.utc_of(after),
                    segment_sequence: clip.segments[segment].sequence,
                    kind: LossKind::Hole,
                });
            }
        }
        for d in &self.damage {
            let Some(anchor) = index.runs.get(d.run).map(|r| r.anchor) else {
                continue;
            };
            // To the next keyframe of the run, or past the run's last picture.
            let end = index
                .gops
                .iter()
                .filter(|g| g.run == d.run && g.key_pts > d.key_pts)
                .map(|g| g.key_pts)
                .min()
                .map(|key| anchor.utc_of(key))
                .or_else(|| {
                    let (last, _) = self.runs.get(d.run)?.last?;
                    Some(anchor.utc_of(last) + frame_us)
                });
            let Some(end_utc_us) = end else { continue };
            lost.push(LostSpan {
                start_utc_us: anchor.utc_of(d.from_pts),
                end_utc_us,
                segment_sequence: clip.segments[d.segment].sequence,
                kind: LossKind::Damaged { packets: d.packets },
            });
        }
        // A run's video ends before its last segment does: the file is short (truncated while
        // written or copied). The tolerance allows for durations rounded by the recorder.
        let mut last_of_run: Vec<usize> = Vec::new();
        for (k, &starts) in run_starts.iter().enumerate() {
            match last_of_run.last_mut() {
                Some(last) if !starts => *last = k,
                _ => last_of_run.push(k),
            }
        }
        for (run, r) in self.runs.iter().enumerate() {
            let (Some((last_pts, _)), Some(anchor)) =
                (r.last, index.runs.get(run).map(|r| r.anchor))
            else {
                continue;
            };
            let Some(segment) = last_of_run.get(run).map(|&k| &clip.segments[k]) else {
                continue;
            };
            let video_end = anchor.utc_of(last_pts) + frame_us;
            let recorded_end = segment.utc_start_us + segment.duration_us;
            if recorded_end - video_end > (2 * frame_us).max(100_000) {
                lost.push(LostSpan {
                    start_utc_us: video_end,
                    end_utc_us: recorded_end,
                    segment_sequence: segment.sequence,
                    kind: LossKind::ShortSegment,
                });
            }
        }
        // Only what the clip takes counts: its range, or its own segments (not a lookahead).
        let (from, to) = match selection {
            Selection::Range {
                start_utc_us,
                end_utc_us,
            } => (start_utc_us, end_utc_us),
            Selection::All => (
                clip.segments.first().map_or(i64::MIN, |s| s.utc_start_us),
                clip.segments
                    .iter()
                    .filter(|s| !s.lookahead)
                    .map(|s| s.utc_start_us + s.duration_us)
                    .max()
                    .unwrap_or(i64::MAX),
            ),
        };
        lost.retain_mut(|l| {
            l.start_utc_us = l.start_utc_us.max(from);
            l.end_utc_us = l.end_utc_us.min(to);
            l.end_utc_us > l.start_utc_us
        });
        lost.sort_by_key(|l| l.start_utc_us);
        lost
    }
}

impl<'a> Scanner<'a> {
    fn new(clip: &'a ClipInput, selection: Selection, index: ClipIndex, probe_audio: bool) -> Self {
        Scanner {
            clip,
            selection,
            run_starts: run_starts(&clip.segments),
            index,
            open: None,
            run_has_gop: false,
            after_end_of_sequence: false,
            deltas: BTreeMap::new(),
            codec: None,
            copy_problem: None,
            audio_probe: probe_audio.then(AudioProbe::default),
            continuity: Continuity::default(),
        }
    }

    fn close_gop(&mut self) {
        let Some(builder) = self.open.take() else {
            return;
        };
        let order = &builder.pts_in_decode_order;
        for (i, &pts) in order.iter().enumerate() {
            let later_shown_earlier_decoded = order[..i].iter().filter(|&&p| p > pts).count();
            self.index.reorder_depth = self
                .index
                .reorder_depth
                .max(later_shown_earlier_decoded as u32);
        }
        let mut sorted = order.clone();
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
            self.run_has_gop = false;
            self.after_end_of_sequence = false;
            let anchor = segment_anchor_pts(video.first().map(|v| v.pts), min_audio_pts);
            let Some(pts) = anchor else {
                return Err(MediaError::BadSegment {
                    clip: self.clip.index,
                    uri: self.clip.segments[segment].uri.clone(),
                    cause: "has no timestamps to anchor its PROGRAM-DATE-TIME to".into(),
                });
            };
            let codec = video.first().map_or(self.index.codec, |v| v.codec);
            if codec != self.index.codec && self.copy_problem.is_none() {
                self.copy_problem = Some(MediaError::Unsupported {
                    clip: Some(self.clip.index),
                    what: format!(
                        "segment {}: the video codec changes from {} to {} inside the clip",
                        self.clip.segments[segment].uri,
                        self.index.codec.name(),
                        codec.name()
                    ),
                });
            }
            self.index.run_codecs.push(codec);
            self.index.audio_runs.push(None);
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
        let mut decodable: Vec<i64> = Vec::with_capacity(video.len());
        for v in video {
            if let Some(kind) = v.keyframe {
                self.close_gop();
                self.continuity.keyframe();
                self.open = Some(GopBuilder {
                    gop: Gop {
                        run,
                        key_pts: v.pts,
                        open: kind == Keyframe::Open,
                        frames: 0,
                        leading: 0,
                        selected: 0,
                        selected_leading: 0,
                        selected_min: i64::MAX,
                        selected_max: i64::MIN,
                        trailing_max: v.pts,
                        generation: v.generation,
                        leading_undecodable: kind == Keyframe::Open
                            && (!self.run_has_gop || v.bla || self.after_end_of_sequence),
                    },
                    pts_in_decode_order: Vec::new(),
                });
                self.run_has_gop = true;
            }
            self.after_end_of_sequence = v.end_of_sequence;
            let Some(builder) = self.open.as_mut() else {
                self.index.leading_skipped += 1;
                continue;
            };
            let leading = v.pts < builder.gop.key_pts;
            // HEVC RADL pictures decode from their CRA alone; H.264 gives no
            // such promise for the pictures before an open I.
            let needs_previous = v.codec == VideoCodec::H264 || v.rasl;
            if leading && builder.gop.leading_undecodable && needs_previous {
                self.index.leading_skipped += 1;
                continue;
            }
            decodable.push(v.pts);
            self.continuity
                .picture(run, segment, builder.gop.key_pts, v.pts, v.damaged);
            let utc = anchor.utc_of(v.pts);
            let (lo, hi) = self.index.available_utc_us.unwrap_or((utc, utc));
            self.index.available_utc_us = Some((lo.min(utc), hi.max(utc)));
            let gop = &mut builder.gop;
            gop.frames += 1;
            if leading {
                gop.leading += 1;
            } else {
                gop.trailing_max = gop.trailing_max.max(v.pts);
            }
            builder.pts_in_decode_order.push(v.pts);
            if self
                .selection
                .keeps_in(&self.clip.segments[segment], &anchor, v.pts)
            {
                gop.selected += 1;
                if leading {
                    gop.selected_leading += 1;
                }
                gop.selected_min = gop.selected_min.min(v.pts);
                gop.selected_max = gop.selected_max.max(v.pts);
                range =
                    Some(range.map_or((v.pts, v.pts), |(lo, hi)| (lo.min(v.pts), hi.max(v.pts))));
            }
        }
        decodable.sort_unstable();
        self.continuity.frames(run, segment, &decodable);
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

    /// Selects the audio frames (start, duration) of one whole segment of
    /// an audio-only clip.
    fn select_audio(&mut self, segment: usize, run: usize, frames: &[(i64, i64)]) {
        let Some(anchor) = self.index.runs.get(run).map(|r| r.anchor) else {
            return;
        };
        let mut used = false;
        for &(start, duration) in frames {
            let utc = anchor.utc_of(start);
            let (lo, hi) = self.index.available_utc_us.unwrap_or((utc, utc));
            self.index.available_utc_us = Some((lo.min(utc), hi.max(utc)));
            let seg = &self.clip.segments[segment];
            if !audio_frame_selected(self.selection, seg, &anchor, (start, duration)) {
                continue;
            }
            used = true;
            self.index.audio_frames += 1;
            if let Some(span) = self.index.audio_runs.get_mut(run) {
                let end = start + duration;
                *span = Some(span.map_or((start, end), |(lo, hi)| (lo.min(start), hi.max(end))));
            }
        }
        if used {
            self.index
                .segments_used
                .push(self.clip.segments[segment].sequence);
        }
    }

    fn note_video(&mut self, p: &SourcePacket) -> Result<VideoInfo, MediaError> {
        let data = p.packet.data().unwrap_or(&[]);
        let codec = self.codec.unwrap_or(self.index.codec);
        let info = access_unit::inspect(codec, data);
        if !self.index.parsed && info.pictures != 1 {
            return Err(MediaError::Internal(NEEDS_PARSING.into()));
        }
        if let Some(conflict) = info.conflict {
            let uri = &self.clip.segments[p.segment].uri;
            return Err(MediaError::BadSegment {
                clip: self.clip.index,
                uri: uri.clone(),
                cause: Cause::Found(format!(
                    "one access unit carries two different {}s with id {}",
                    conflict.kind, conflict.id
                )),
            });
        }
        self.track_sets(&info.parameter_sets);
        let (bla, end_of_sequence) = match codec {
            VideoCodec::Hevc => hevc_sequence_marks(data),
            VideoCodec::H264 => (false, false),
        };
        Ok(VideoInfo {
            codec,
            pts: p.pts,
            keyframe: info.keyframe,
            bla,
            rasl: info.rasl,
            end_of_sequence,
            generation: self.index.generations.len().saturating_sub(1),
            damaged: p.damaged,
        })
    }

    /// Adds in-band sets to the current generation, starting a new one when
    /// a set changes under its id (an encoder reconfigured mid-stream).
    fn track_sets(&mut self, sets: &ParameterSets) {
        if sets.is_empty() {
            return;
        }
        let Some(current) = self
            .index
            .generations
            .last_mut()
            .filter(|g| g.codec == sets.codec)
        else {
            self.index.generations.push(sets.clone());
            return;
        };
        let mut merged = current.clone();
        if merged.merge(sets).is_ok() {
            *current = merged;
            return;
        }
        let mut next = current.clone();
        for nal in sets.all() {
            if let Some((kind, id)) = crate::bitstream::parameter_sets::classify(sets.codec, nal) {
                next.replace(kind, id, nal);
            }
        }
        self.index.generations.push(next);
    }

    /// Notes the format of an audio packet. What the copy modes cannot
    /// copy (a packet that is not clean ADTS or MP3, AAC without a channel
    /// configuration, a format change inside the clip) is kept as the
    /// clip's `audio_problem`; decoders take any of it.
    fn note_audio(&mut self, p: &SourcePacket) {
        if let Some(probe) = self.audio_probe.as_mut() {
            probe.feed(p);
        }
        let Some(codec) = p.audio_codec else {
            return;
        };
        if self.copy_problem.is_some() || p.untimed {
            return;
        }
        let uri = &self.clip.segments[p.segment].uri;
        let data = p.packet.data().unwrap_or(&[]);
        let Some(config) = audio_frames::first_config(codec, data) else {
            let what = match codec {
                AudioCodec::Aac => "AAC packet at pts {} is not ADTS",
                AudioCodec::Mp3 => "MP3 packet at pts {} is not MPEG audio layer III",
            };
            self.copy_problem = Some(MediaError::BadSegment {
                clip: self.clip.index,
                uri: uri.clone(),
                cause: what.replace("{}", &p.pts.to_string()).into(),
            });
            return;
        };
        let unsupported = |what: String| MediaError::Unsupported {
            clip: Some(self.clip.index),
            what: format!("segment {uri}: {what}"),
        };
        match self.index.audio {
            None => {
                if let AudioConfig::Aac(aac) = config
                    && (aac.channel_config == 0 || aac.sample_rate().is_none())
                {
                    self.copy_problem =
                        Some(unsupported("AAC without a channel configuration".into()));
                    return;
                }
                self.index.audio = Some(config);
            }
            Some(first) if first != config => {
                self.copy_problem = Some(unsupported(format!(
                    "the audio format changes inside the clip (from {} to {})",
                    first.describe(),
                    config.describe()
                )));
            }
            Some(_) => {}
        }
    }
}

/// The start and duration (90 kHz) of each audio frame of packet `p`.
pub fn audio_frame_times(
    clip: &ClipInput,
    p: &SourcePacket,
) -> Result<Vec<(i64, i64)>, MediaError> {
    let Some(codec) = p.audio_codec else {
        return Ok(Vec::new());
    };
    let data = p.packet.data().unwrap_or(&[]);
    let frames = audio_frames::split_frames(codec, data).ok_or_else(|| MediaError::BadSegment {
        clip: clip.index,
        uri: clip.segments[p.segment].uri.clone(),
        cause: Cause::Found(format!(
            "the audio packet at pts {} is not whole {} frames",
            p.pts,
            decode::audio_name(codec)
        )),
    })?;
    Ok(audio_frames::frame_times(p.pts, &frames))
}

/// Whether a leading picture (the access unit `data`) of a run's first open
/// keyframe cannot be decoded from the listed segments, so that it is not
/// a frame of the clip: every one in H.264 (no promise about the pictures
/// before a recovery point), the RASL ones in HEVC (RADL pictures reference
/// only their keyframe). Pass 2 leaves such packets out.
pub fn leading_undecodable(codec: VideoCodec, data: &[u8]) -> bool {
    match codec {
        VideoCodec::H264 => true,
        VideoCodec::Hevc => h264::nals(data)
            .map(hevc::nal_type)
            .find(|&t| hevc::is_slice(t))
            .is_some_and(hevc::is_rasl),
    }
}

/// Whether an HEVC access unit is a BLA picture (whose RASL pictures are
/// never decoded) and whether it ends a coded video sequence.
fn hevc_sequence_marks(data: &[u8]) -> (bool, bool) {
    let mut bla = false;
    let mut first_slice = true;
    let mut end = false;
    for nal in h264::nals(data) {
        let t = hevc::nal_type(nal);
        if hevc::is_slice(t) && first_slice {
            first_slice = false;
            bla = (hevc::NAL_BLA_W_LP..hevc::NAL_IDR_W_RADL).contains(&t);
        } else if matches!(t, HEVC_END_OF_SEQUENCE | HEVC_END_OF_BITSTREAM) {
            end = true;
        }
    }
    (bla, end)
}

const HEVC_END_OF_SEQUENCE: u8 = 36;
const HEVC_END_OF_BITSTREAM: u8 = 37;

/// Audio packets tried for a decodable frame before the clip's decoded
/// audio format is given up on (its audio then becomes silence).
const AUDIO_PROBE_PACKETS: u32 = 64;

/// Decodes the first audio frames of a clip, until one tells the format.
#[derive(Default)]
struct AudioProbe {
    decoder: Option<(AudioCodec, ffmpeg_next::codec::decoder::Audio)>,
    tried: u32,
    format: Option<AudioFormat>,
}

impl AudioProbe {
    fn feed(&mut self, p: &SourcePacket) {
        let Some(codec) = p.audio_codec else {
            return;
        };
        if self.format.is_some() || self.tried >= AUDIO_PROBE_PACKETS {
            return;
        }
        self.tried += 1;
        if self.decoder.as_ref().is_none_or(|(c, _)| *c != codec) {
            match decode::audio(codec) {
                Ok(d) => self.decoder = Some((codec, d)),
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
            let channels = crate::av::frame::channels(&frame);
            if channels > 0 {
                self.format = Some(AudioFormat {
                    codec,
                    rate: frame.rate(),
                    channels: channels as usize,
                });
                self.decoder = None;
            }
        }
    }
}

/// Marker of the scan without parsers finding a PES that is not exactly one
/// access unit with a timestamp.
const NEEDS_PARSING: &str = "segments need libav's parsers";

/// Whether an audio-only clip keeps the audio frame `(start, duration)` (its run's line) of
/// `segment`: every frame of the range's own segments (RoughFast), or those whose middle lies
/// in the range.
pub fn audio_frame_selected(
    selection: Selection,
    segment: &crate::SegmentInput,
    anchor: &RunAnchor,
    (start, duration): (i64, i64),
) -> bool {
    selection.keeps_in(segment, anchor, start + duration / 2)
}

/// A pass 1 scanner: `scan` or `scan_for_decoding`.
pub type Scan = fn(&ClipInput, Selection, &mut dyn FnMut(f32)) -> Result<ClipIndex, MediaError>;

/// Scans every segment of `clip` for the copy modes, first reading PES
/// payloads directly (half the demuxing cost) and, if any packet is not
/// exactly one access unit with its own timestamp, once more through
/// libav's parsers. Audio the copy modes cannot copy fails the scan.
/// `progress` receives the fraction of segments scanned.
pub fn scan(
    clip: &ClipInput,
    selection: Selection,
    progress: &mut dyn FnMut(f32),
) -> Result<ClipIndex, MediaError> {
    scan_copying(clip, selection, Kind::Video, progress)
}

/// Scans an audio-only clip for the copy modes (see `scan`): its runs and
/// anchors, the audio format, and which audio frames it selects
/// (`audio_frame_selected`).
pub fn scan_audio_only(
    clip: &ClipInput,
    selection: Selection,
    progress: &mut dyn FnMut(f32),
) -> Result<ClipIndex, MediaError> {
    scan_copying(clip, selection, Kind::AudioOnly, progress)
}

/// What a scan reads and is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Video and audio, for the copy modes.
    Video,
    /// Audio only, for the copy modes.
    AudioOnly,
    /// Video and audio, for the decoders of the re-encode modes.
    Decoding,
}

fn scan_copying(
    clip: &ClipInput,
    selection: Selection,
    kind: Kind,
    progress: &mut dyn FnMut(f32),
) -> Result<ClipIndex, MediaError> {
    let scanned = match scan_with(clip, selection, false, kind, progress) {
        Err(MediaError::Internal(m)) if m == NEEDS_PARSING => {
            tracing::debug!(
                clip = clip.index,
                "PES packets are not access units; scanning with parsers"
            );
            scan_with(clip, selection, true, kind, progress)
        }
        other => other,
    };
    let (index, copy_problem) = scanned?;
    match copy_problem {
        Some(problem) => Err(problem),
        None => Ok(index),
    }
}

/// Scans every segment of `clip` for the re-encode modes: through libav's
/// parsers (each audio packet one frame, as the decoders take them best),
/// with the decoded audio format probed; audio of any AAC or MP3 format,
/// changing or not, is accepted.
pub fn scan_for_decoding(
    clip: &ClipInput,
    selection: Selection,
    progress: &mut dyn FnMut(f32),
) -> Result<ClipIndex, MediaError> {
    scan_with(clip, selection, true, Kind::Decoding, progress).map(|(index, _)| index)
}

fn scan_with(
    clip: &ClipInput,
    selection: Selection,
    parse: bool,
    kind: Kind,
    progress: &mut dyn FnMut(f32),
) -> Result<(ClipIndex, Option<MediaError>), MediaError> {
    let probe_audio = kind == Kind::Decoding;
    let audio_only = kind == Kind::AudioOnly;
    let index = ClipIndex {
        parsed: parse,
        ..ClipIndex::default()
    };
    let mut scanner = Scanner::new(clip, selection, index, probe_audio);
    let mut reader = ClipReader::with_parsing(clip, parse);
    if probe_audio {
        reader = reader.keep_untimed_audio();
    }
    if audio_only {
        reader = reader.audio_only();
    }
    let mut video: Vec<VideoInfo> = Vec::new();
    let mut audio_frames: Vec<(i64, i64)> = Vec::new();
    let mut min_audio: Option<i64> = None;
    let mut current: Option<(usize, usize)> = None;
    while let Some(p) = reader.next()? {
        if current.is_some_and(|(segment, _)| segment != p.segment)
            && let Some((segment, run)) = current
        {
            scanner.segment_done(segment, run, &video, min_audio)?;
            scanner.select_audio(segment, run, &audio_frames);
            video.clear();
            audio_frames.clear();
            min_audio = None;
            progress(p.segment as f32 / clip.segments.len().max(1) as f32);
        }
        current = Some((p.segment, p.run));
        if let Some(codec) = reader.codec {
            if scanner.codec.is_none() {
                scanner.index.codec = codec;
            }
            scanner.codec = Some(codec);
        }
        match p.track {
            Track::Video => video.push(scanner.note_video(&p)?),
            Track::Audio => {
                scanner.note_audio(&p);
                if audio_only {
                    audio_frames.extend(audio_frame_times(clip, &p)?);
                }
                if !p.untimed {
                    min_audio = Some(min_audio.map_or(p.pts, |m| m.min(p.pts)));
                }
            }
        }
    }
    if let Some((segment, run)) = current {
        scanner.segment_done(segment, run, &video, min_audio)?;
        scanner.select_audio(segment, run, &audio_frames);
    }
    if reader.unparsed_anomalies > 0 {
        return Err(MediaError::Internal(NEEDS_PARSING.into()));
    }
    scanner.close_gop();
    scanner.index.parameter_sets = scanner.index.first_sets();
    scanner.index.frame_duration = nominal_frame_duration(&scanner.deltas);
    scanner.index.lost =
        scanner
            .continuity
            .lost(clip, &scanner.run_starts, &scanner.index, selection);
    scanner.index.decoded_audio = scanner.audio_probe.and_then(|p| p.format);
    Ok((scanner.index, scanner.copy_problem))
}

/// Ticks a frame lasts, from how often each gap between consecutive presentation times occurs:
/// the most common gap, or, when the common gaps are one millisecond apart (an RTMP-ingested
/// stream stores milliseconds, so 30 fps alternates 33 and 34 ms: 2970 and 3060 ticks), their
/// average, which is the rate the encoder ran at (3000). So a stream with millisecond
/// timestamps and one with exact ones of the same rate have the same frame duration.
fn nominal_frame_duration(deltas: &BTreeMap<i64, u64>) -> Option<i64> {
    const MS: i64 = 90;
    let (&mode, &mode_count) = deltas
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
    // The gaps of the millisecond pattern: those within a millisecond of the most common one
    // that are not rare (a dropped frame or a join is rare).
    let common: Vec<(i64, u64)> = deltas
        .iter()
        .filter(|&(&d, &n)| (d - mode).abs() <= MS && n * 8 >= mode_count)
        .map(|(&d, &n)| (d, n))
        .collect();
    if common.len() < 2 {
        return Some(mode);
    }
    let frames: u64 = common.iter().map(|&(_, n)| n).sum();
    let ticks: i128 = common
        .iter()
        .map(|&(d, n)| i128::from(d) * i128::from(n))
        .sum();
    let mean = (ticks + i128::from(frames / 2)) / i128::from(frames.max(1));
    let mean = i64::try_from(mean).ok()?;
    // A clip holds a few hundred gaps, so the mix of 33 and 34 ms in it is not exactly the
    // encoder's: the nearest common rate, if within 0.5 %, is what it ran at.
    const RATES: [(i64, i64); 10] = [
        (24_000, 1001),
        (24, 1),
        (25, 1),
        (30_000, 1001),
        (30, 1),
        (48, 1),
        (50, 1),
        (60_000, 1001),
        (60, 1),
        (120, 1),
    ];
    let snapped = RATES
        .iter()
        .map(|&(num, den)| (90_000 * den + num / 2) / num)
        .min_by_key(|&d| (d - mean).abs())
        .filter(|&d| (d - mean).abs() * 200 <= d);
    Some(snapped.unwrap_or(mean))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millisecond_timestamps_have_the_rate_the_encoder_ran_at() {
        let of = |pairs: &[(i64, u64)]| nominal_frame_duration(&pairs.iter().copied().collect());
        // 30 fps in milliseconds: 33, 33, 34 ms.
        assert_eq!(of(&[(2970, 200), (3060, 100)]), Some(3000));
        // 29.97 fps in milliseconds: 33.367 ms on average, so 34 ms 36.7% of the time.
        assert_eq!(of(&[(2970, 633), (3060, 367)]), Some(3003));
        // Exact timestamps, with one dropped frame and one rare jitter: the common gap.
        assert_eq!(of(&[(3000, 300), (6000, 1), (3090, 2)]), Some(3000));
        assert_eq!(of(&[(3003, 300)]), Some(3003));
        // A short clip's mix is off the encoder's by a tick or two.
        assert_eq!(of(&[(2970, 72), (3060, 38)]), Some(3000));
        // 60 fps in milliseconds (16, 17, 17 ms).
        assert_eq!(of(&[(1440, 50), (1530, 100)]), Some(1500));
        // Not a common rate: the average as it is.
        assert_eq!(of(&[(3330, 50), (3420, 50)]), Some(3375));
        assert_eq!(of(&[]), None);
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
                init: None,
            }],
        }
    }

    fn scanner(clip: &ClipInput, selection: Selection) -> Scanner<'_> {
        let index = ClipIndex {
            codec: VideoCodec::Hevc,
            ..ClipIndex::default()
        };
        Scanner::new(clip, selection, index, false)
    }

    fn t(n: i64) -> i64 {
        900_000 + n * 3000
    }

    fn pic(n: i64, keyframe: Option<Keyframe>, rasl: bool) -> VideoInfo {
        VideoInfo {
            codec: VideoCodec::Hevc,
            pts: t(n),
            keyframe,
            bla: false,
            rasl,
            end_of_sequence: false,
            generation: 0,
            damaged: false,
        }
    }

    /// An open-GOP HEVC stream: CRA at 4, RASL 2, 3 (shown before it), then
    /// 5..=7; the next CRA at 10, RASL 8, 9, then 11.
    fn open_gops() -> Vec<VideoInfo> {
        let cra = Some(Keyframe::Open);
        vec![
            pic(4, cra, false),
            pic(2, None, true),
            pic(3, None, true),
            pic(5, None, false),
            pic(6, None, false),
            pic(7, None, false),
            pic(10, cra, false),
            pic(8, None, true),
            pic(9, None, true),
            pic(11, None, false),
        ]
    }

    fn scan_frames(selection: Selection, frames: &[VideoInfo]) -> ClipIndex {
        let c = clip();
        let mut s = scanner(&c, selection);
        s.segment_done(0, 0, frames, None).expect("scanned");
        s.close_gop();
        s.index
    }

    /// The lost spans of one segment of `frames` (the segment lasts 1 s from UTC 0, frame 0 at
    /// UTC 0, 30 fps).
    fn lost_of(frames: &[VideoInfo], selection: Selection) -> Vec<(i64, i64, bool)> {
        let c = clip();
        let mut s = scanner(&c, selection);
        s.segment_done(0, 0, frames, None).expect("scanned");
        s.close_gop();
        s.index.frame_duration = nominal_frame_duration(&s.deltas);
        let lost = s.continuity.lost(&c, &s.run_starts, &s.index, selection);
        lost.iter()
            .map(|l| {
                (
                    l.start_utc_us,
                    l.end_utc_us,
                    l.kind == LossKind::ShortSegment,
                )
            })
            .collect()
    }

    fn frames(numbers: impl Iterator<Item = i64>) -> Vec<VideoInfo> {
        numbers
            .map(|n| pic(n, (n % 10 == 0).then_some(Keyframe::Closed), false))
            .collect()
    }

    /// The damaged spans of `frames` with their packet counts.
    fn damaged_of(frames: &[VideoInfo]) -> Vec<(i64, i64, u32)> {
        let c = clip();
        let mut s = scanner(&c, Selection::All);
        s.segment_done(0, 0, frames, None).expect("scanned");
        s.close_gop();
        s.index.frame_duration = nominal_frame_duration(&s.deltas);
        let lost = s
            .continuity
            .lost(&c, &s.run_starts, &s.index, Selection::All);
        lost.iter()
            .filter_map(|l| match l.kind {
                LossKind::Damaged { packets } => Some((l.start_utc_us, l.end_utc_us, packets)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn damaged_pictures_spoil_their_gop_from_the_earliest_shown_after_them() {
        // Frame 13 and 15 of the GOP 10..20 lost data: 13..20 is damaged, counted twice.
        let mut pictures = frames(0..30);
        pictures[13].damaged = true;
        pictures[15].damaged = true;
        assert_eq!(damaged_of(&pictures), [(433_333, 666_667, 2)]);
        // In decode order 20 24 21 22 23 (B-pictures after their anchor): damage to 24 reaches
        // back to 21, shown before it but decoded after it; the last GOP ends with the segment.
        let mut reordered = frames(0..20);
        reordered.extend([20, 24, 21, 22, 23, 25, 26, 27, 28, 29].map(|n| {
            let mut p = pic(n, (n == 20).then_some(Keyframe::Closed), false);
            p.damaged = n == 24;
            p
        }));
        assert_eq!(damaged_of(&reordered), [(700_000, 1_000_000, 1)]);
        // Damage in one GOP never spills into the next one's count.
        let mut two = frames(0..30);
        two[9].damaged = true;
        two[25].damaged = true;
        assert_eq!(
            damaged_of(&two),
            [(300_000, 333_333, 1), (833_333, 1_000_000, 1)]
        );
    }

    #[test]
    fn a_hole_between_frames_and_a_short_segment_are_lost_spans() {
        // Frames 0..10 and 15..30 of a 1-s segment (30 frames): 10..15 missing.
        let holed = frames((0..10).chain(15..30));
        assert_eq!(
            lost_of(&holed, Selection::All),
            [(333_333, 500_000, false)],
            "frames 10..15"
        );
        // The file stops after frame 19: the last third of the segment is lost.
        let short = frames(0..20);
        assert_eq!(
            lost_of(&short, Selection::All),
            [(666_666, 1_000_000, true)]
        );
        // Only what the clip selects is reported.
        let inside = Selection::Range {
            start_utc_us: 0,
            end_utc_us: 800_000,
        };
        assert_eq!(lost_of(&short, inside), [(666_666, 800_000, true)]);
        let before = Selection::Range {
            start_utc_us: 0,
            end_utc_us: 600_000,
        };
        assert!(lost_of(&short, before).is_empty());
        // A whole segment, or one a frame short of its rounded duration, loses nothing.
        assert!(lost_of(&frames(0..30), Selection::All).is_empty());
        assert!(lost_of(&frames(0..29), Selection::All).is_empty());
    }

    /// Per GOP: (frames, selected, selected leading).
    fn summary(index: &ClipIndex) -> Vec<(u32, u32, u32)> {
        index
            .gops
            .iter()
            .map(|g| (g.frames, g.selected, g.selected_leading))
            .collect()
    }

    #[test]
    fn rasl_pictures_of_a_runs_first_cra_are_not_frames() {
        let index = scan_frames(Selection::All, &open_gops());
        // 2 and 3 cannot be decoded; 8 and 9 can, after the first GOP.
        assert_eq!(summary(&index), vec![(4, 4, 0), (4, 4, 2)]);
        assert_eq!(index.leading_skipped, 2);
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
    fn ranges_select_leading_pictures_by_their_time() {
        // UTC 0 is frame 4 (the anchor).
        let us = |n: i64| (n - 4) * 100_000 / 3;
        let range = |from: i64, to: i64| Selection::Range {
            start_utc_us: us(from),
            end_utc_us: us(to),
        };
        let index = scan_frames(range(4, 8), &open_gops());
        assert_eq!(summary(&index), vec![(4, 4, 0), (4, 0, 0)]);
        let index = scan_frames(range(5, 12), &open_gops());
        assert_eq!(summary(&index), vec![(4, 3, 0), (4, 4, 2)]);
        let index = scan_frames(range(10, 12), &open_gops());
        assert_eq!(summary(&index), vec![(4, 0, 0), (4, 2, 0)]);
    }

    #[test]
    fn bla_and_end_of_sequence_make_rasl_undecodable() {
        let mut frames = open_gops();
        frames[5].end_of_sequence = true;
        let index = scan_frames(Selection::All, &frames);
        assert_eq!(summary(&index), vec![(4, 4, 0), (2, 2, 0)]);
        assert_eq!(index.leading_skipped, 4);
        let mut frames = open_gops();
        frames[6].bla = true;
        let index = scan_frames(Selection::All, &frames);
        assert_eq!(summary(&index), vec![(4, 4, 0), (2, 2, 0)]);
    }

    #[test]
    fn frames_before_the_first_keyframe_are_not_frames() {
        let mut frames = vec![pic(0, None, false), pic(1, None, false)];
        frames.extend(open_gops());
        let index = scan_frames(Selection::All, &frames);
        assert_eq!(summary(&index), vec![(4, 4, 0), (4, 4, 2)]);
        // The anchor is still the first packet's.
        assert_eq!(index.runs[0].anchor.pts, t(0));
    }

    #[test]
    fn hevc_bla_and_end_of_sequence_are_recognised() {
        let annexb = |types: &[u8]| -> Vec<u8> {
            types
                .iter()
                .flat_map(|&t| [0, 0, 0, 1, t << 1, 1, 0x80])
                .collect()
        };
        assert_eq!(
            hevc_sequence_marks(&annexb(&[32, 33, 34, 16])),
            (true, false)
        );
        assert_eq!(hevc_sequence_marks(&annexb(&[21])), (false, false));
        assert_eq!(hevc_sequence_marks(&annexb(&[1, 36])), (false, true));
        assert_eq!(hevc_sequence_marks(&annexb(&[19, 37])), (false, true));
    }
}
