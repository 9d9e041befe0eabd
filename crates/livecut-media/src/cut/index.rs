//! Pass 1: a demux-only scan of a clip's segments that finds the GOPs, the
//! frames the clip selects, the parameter sets, the reorder depth and the
//! audio configuration, before anything is written. Only per-GOP summaries
//! are kept, so memory grows with the number of GOPs, never with packets.
//!
//! A GOP starts at every keyframe, closed (IDR) or open (HEVC CRA, H.264 I
//! picture with a recovery point). Its *leading* pictures are those decoded
//! after the keyframe but shown before it; after an open keyframe they may
//! reference the previous GOP, so at the start of a run (nothing before)
//! they cannot be decoded and are not frames of the clip.

use std::collections::BTreeMap;

use super::source::{ClipReader, SourcePacket, Track};
use crate::bitstream::access_unit::{self, Keyframe};
use crate::bitstream::adts::{self, AdtsConfig};
use crate::bitstream::parameter_sets::ParameterSets;
use crate::codec::VideoCodec;
use crate::timeline::{RunAnchor, run_starts, segment_anchor_pts};
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
    pub codec: VideoCodec,
    /// Video packets that cannot be decoded from the listed segments: before
    /// a run's first keyframe, or leading pictures of a run's first open one.
    pub leading_skipped: u64,
    /// Every distinct collection of parameter sets in force, in order: a new
    /// one starts when a set's content changes under its id.
    pub generations: Vec<ParameterSets>,
    /// The first generation (what the clip starts with).
    pub parameter_sets: ParameterSets,
    pub audio: Option<AdtsConfig>,
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
}

impl Default for ClipIndex {
    fn default() -> Self {
        ClipIndex {
            runs: Vec::new(),
            gops: Vec::new(),
            codec: VideoCodec::H264,
            leading_skipped: 0,
            generations: Vec::new(),
            parameter_sets: ParameterSets::default(),
            audio: None,
            reorder_depth: 0,
            frame_duration: None,
            segments_used: Vec::new(),
            available_utc_us: None,
            parsed: false,
        }
    }
}

impl ClipIndex {
    /// The parameter sets the clip starts with.
    pub fn first_sets(&self) -> ParameterSets {
        self.generations
            .first()
            .cloned()
            .unwrap_or_else(|| ParameterSets::new(self.codec))
    }
}

struct VideoInfo {
    pts: i64,
    keyframe: Option<Keyframe>,
    rasl: bool,
    generation: usize,
}

/// The GOP being scanned.
struct GopBuilder {
    gop: Gop,
    pts_in_decode_order: Vec<i64>,
    /// Its leading pictures cannot be decoded (open keyframe, run start).
    leading_undecodable: bool,
}

struct Scanner<'a> {
    clip: &'a ClipInput,
    selection: Selection,
    run_starts: Vec<bool>,
    index: ClipIndex,
    open: Option<GopBuilder>,
    run_has_gop: bool,
    deltas: BTreeMap<i64, u64>,
}

impl Scanner<'_> {
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
            let anchor = segment_anchor_pts(video.first().map(|v| v.pts), min_audio_pts);
            let Some(pts) = anchor else {
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
            if let Some(kind) = v.keyframe {
                self.close_gop();
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
                    },
                    pts_in_decode_order: Vec::new(),
                    leading_undecodable: kind == Keyframe::Open && !self.run_has_gop,
                });
                self.run_has_gop = true;
            }
            let Some(builder) = self.open.as_mut() else {
                self.index.leading_skipped += 1;
                continue;
            };
            let leading = v.pts < builder.gop.key_pts;
            // HEVC RADL pictures decode from their CRA alone; H.264 gives no
            // such promise for the pictures before an open I.
            let needs_previous = self.index.codec == VideoCodec::H264 || v.rasl;
            if leading && builder.leading_undecodable && needs_previous {
                self.index.leading_skipped += 1;
                continue;
            }
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
            if self.selection.keeps(&anchor, v.pts) {
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

    fn note_video(&mut self, p: &SourcePacket) -> Result<VideoInfo, MediaError> {
        let data = p.packet.data().unwrap_or(&[]);
        let info = access_unit::inspect(self.index.codec, data);
        if !self.index.parsed && info.pictures != 1 {
            return Err(MediaError::Internal(NEEDS_PARSING.into()));
        }
        if let Some(conflict) = info.conflict {
            let uri = &self.clip.segments[p.segment].uri;
            return Err(MediaError::BadSegment {
                clip: self.clip.index,
                uri: uri.clone(),
                detail: format!(
                    "one access unit carries two different {}s with id {}",
                    conflict.kind, conflict.id
                ),
            });
        }
        self.track_sets(&info.parameter_sets);
        Ok(VideoInfo {
            pts: p.pts,
            keyframe: info.keyframe,
            rasl: info.rasl,
            generation: self.index.generations.len().saturating_sub(1),
        })
    }

    /// Adds in-band sets to the current generation, starting a new one when
    /// a set changes under its id (an encoder reconfigured mid-stream).
    fn track_sets(&mut self, sets: &ParameterSets) {
        if sets.is_empty() {
            return;
        }
        let Some(current) = self.index.generations.last_mut() else {
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

    fn note_audio(&mut self, p: &SourcePacket) -> Result<(), MediaError> {
        let uri = &self.clip.segments[p.segment].uri;
        let data = p.packet.data().unwrap_or(&[]);
        let Some(frame) = adts::parse_frame(data) else {
            return Err(MediaError::BadSegment {
                clip: self.clip.index,
                uri: uri.clone(),
                detail: format!("AAC packet at pts {} is not ADTS", p.pts),
            });
        };
        match self.index.audio {
            None => {
                if frame.config.channel_config == 0 || frame.config.sample_rate().is_none() {
                    return Err(MediaError::Unsupported {
                        clip: Some(self.clip.index),
                        what: format!("segment {uri}: AAC without a channel configuration"),
                    });
                }
                self.index.audio = Some(frame.config);
            }
            Some(config) if config != frame.config => {
                return Err(MediaError::Unsupported {
                    clip: Some(self.clip.index),
                    what: format!("segment {uri}: the AAC configuration changes inside the clip"),
                });
            }
            Some(_) => {}
        }
        Ok(())
    }
}

/// Marker of the scan without parsers finding a PES that is not exactly one
/// access unit with a timestamp.
const NEEDS_PARSING: &str = "segments need libav's parsers";

/// Scans every segment of `clip`, first reading PES payloads directly (half
/// the demuxing cost) and, if any packet is not exactly one access unit with
/// its own timestamp, once more through libav's parsers. `progress` receives
/// the fraction of segments scanned.
pub fn scan(
    clip: &ClipInput,
    selection: Selection,
    progress: &mut dyn FnMut(f32),
) -> Result<ClipIndex, MediaError> {
    match scan_with(clip, selection, false, progress) {
        Err(MediaError::Internal(m)) if m == NEEDS_PARSING => {
            tracing::debug!(
                clip = clip.index,
                "PES packets are not access units; scanning with parsers"
            );
            scan_with(clip, selection, true, progress)
        }
        other => other,
    }
}

fn scan_with(
    clip: &ClipInput,
    selection: Selection,
    parse: bool,
    progress: &mut dyn FnMut(f32),
) -> Result<ClipIndex, MediaError> {
    let mut scanner = Scanner {
        clip,
        selection,
        run_starts: run_starts(&clip.segments),
        index: ClipIndex {
            parsed: parse,
            ..ClipIndex::default()
        },
        open: None,
        run_has_gop: false,
        deltas: BTreeMap::new(),
    };
    let mut reader = ClipReader::with_parsing(clip, parse);
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
        if let Some(codec) = reader.codec {
            scanner.index.codec = codec;
        }
        match p.track {
            Track::Video => video.push(scanner.note_video(&p)?),
            Track::Audio => {
                scanner.note_audio(&p)?;
                min_audio = Some(min_audio.map_or(p.pts, |m| m.min(p.pts)));
            }
        }
    }
    if let Some((segment, run)) = current {
        scanner.segment_done(segment, run, &video, min_audio)?;
    }
    if reader.unparsed_anomalies > 0 {
        return Err(MediaError::Internal(NEEDS_PARSING.into()));
    }
    scanner.close_gop();
    scanner.index.parameter_sets = scanner.index.first_sets();
    scanner.index.frame_duration = scanner
        .deltas
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(&delta, _)| delta);
    Ok(scanner.index)
}
