//! Audio-only jobs in the re-encode modes (Rough, Accurate): a job whose
//! first clip's recording has no video decodes the audio of every clip and
//! encodes it into an MP4 with a single AAC track.
//!
//! Pass 1 is the copy modes' scanner for audio-only clips
//! (`select::index::scan_audio_only`): runs and anchors by the timeline rule
//! (an audio-only segment's PDT is its earliest audio packet's instant),
//! and which audio frames the clip selects. A run takes part when it has a
//! selected frame, so the re-encode and the copy modes keep the same runs
//! and segments. Pass 2 reads the clip again with `select::source::ClipReader`
//! and decodes each taking part run onto its *span*:
//!
//! * `Accurate`: `[StartTime, EndTime)` on the run's line (UTC through the
//!   run anchor), to the sample, from no earlier than the run's first
//!   audio.
//! * `Rough`: the run's whole audio, first frame to last.
//!
//! A span ends early where the run's audio does (a range reaching past
//! the recording adds no silence); a hole inside it becomes silence. Each
//! run's span follows the previous one's (clip's) last sample, so clips and
//! runs join back to back on one sample clock; the output lasts as long as
//! the spans together.
//!
//! The output AAC (`transcode::audio_encoder`) has the rate and channel count the
//! first clip's audio decodes to; every clip's audio (AAC or MP3, any
//! format) is resampled to it (`transcode::resample`) and placed by the
//! lanes of the video path (`clip::Lane`). Every clip must be audio-only:
//! the reader refuses a later clip with video, naming it. The output size
//! and bit rate options have no video to apply to and are ignored.
//!
//! The report counts, per clip, the source audio frames the index selects
//! (all re-encoded); its first and last instants are those of the clip's
//! first and last output sample.

use super::mux::{Mp4Sink, TrackSpec};
use crate::select;
use crate::select::index::{self, ClipIndex, Selection};
use crate::select::report::WriteProgress;
use crate::select::source::{ClipReader, Track};
use crate::timeline::{RunAnchor, TICKS_PER_SECOND};
use crate::transcode::audio_encoder::AudioEncoder;
use crate::transcode::audio_lane::{AudioDecoding, Lane, drain_resampler, place_audio};
use crate::transcode::span::ticks_to_samples;
use crate::{ClipInput, ClipReport, CutJob, CutReport, MediaError, Progress};

/// Audio packets decoded at most to learn the first clip's format.
const FORMAT_PROBE_PACKETS: usize = 64;

/// Rounds `num / den` half away from zero.
fn div_round(num: i128, den: i128) -> i64 {
    let q = if num >= 0 {
        (num + den / 2) / den
    } else {
        (num - den / 2) / den
    };
    i64::try_from(q).unwrap_or(if num >= 0 { i64::MAX } else { i64::MIN })
}

/// Samples at `rate` -> microseconds.
fn samples_to_us(samples: i64, rate: u32) -> i64 {
    div_round(i128::from(samples) * 1_000_000, i128::from(rate))
}

/// Samples at `rate` -> 90 kHz ticks.
fn samples_to_ticks(samples: i64, rate: u32) -> i64 {
    div_round(
        i128::from(samples) * i128::from(TICKS_PER_SECOND),
        i128::from(rate),
    )
}

/// The sample (at `rate`, counted from the run anchor's instant) at which
/// `utc_us` lies.
fn utc_to_samples(anchor: &RunAnchor, utc_us: i64, rate: u32) -> i64 {
    div_round(
        (i128::from(utc_us) - i128::from(anchor.utc_us)) * i128::from(rate),
        1_000_000,
    )
}

/// Where a run's audio goes, in samples counted from its anchor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    from: i64,
    to: i64,
}

/// The span of a run anchored at `anchor` whose selected frames cover
/// `selected` (90 kHz, first start to last end); `None` without a
/// selected frame.
fn run_span(
    selection: Selection,
    anchor: &RunAnchor,
    selected: Option<(i64, i64)>,
    rate: u32,
) -> Option<Span> {
    let (_, hi) = selected?;
    let span = match selection {
        Selection::All => Span {
            from: 0,
            to: ticks_to_samples(hi - anchor.pts, rate),
        },
        Selection::Range {
            start_utc_us,
            end_utc_us,
        } => Span {
            from: utc_to_samples(anchor, start_utc_us, rate).max(0),
            to: utc_to_samples(anchor, end_utc_us, rate),
        },
    };
    (span.to > span.from).then_some(span)
}

/// The rate and channel count the first clip's audio decodes to (the
/// output's); its headers' if no frame decodes.
fn output_format(clip: &ClipInput, index: &ClipIndex) -> Result<(u32, usize), MediaError> {
    let mut reader = ClipReader::with_parsing(clip, true)
        .audio_only()
        .keep_untimed_audio();
    let mut decoding = AudioDecoding::new();
    let mut found = None;
    let mut tried = 0;
    while found.is_none() && tried < FORMAT_PROBE_PACKETS {
        let Some(p) = reader.next()? else {
            break;
        };
        if p.track != Track::Audio {
            continue;
        }
        tried += 1;
        let uri = &clip.segments[p.segment].uri;
        decoding.feed(&p, clip.index, uri, &mut |frame| {
            let channels = crate::av::frame::channels(frame);
            if found.is_none() && frame.rate() > 0 && channels > 0 {
                found = Some((frame.rate(), channels as usize));
            }
            Ok(())
        })?;
    }
    match (found, index.audio) {
        (Some(format), _) => Ok(format),
        (None, Some(config)) if config.channels() > 0 => {
            Ok((config.sample_rate(), config.channels() as usize))
        }
        _ => Err(MediaError::BadSegment {
            clip: clip.index,
            uri: clip.segments[0].uri.clone(),
            cause: "its audio cannot be decoded".into(),
        }),
    }
}

/// The job's one encoder and file.
struct Output {
    encoder: AudioEncoder,
    sink: Mp4Sink,
}

/// What a clip added to the output.
struct Written {
    /// Output samples where the clip starts and ends.
    start: i64,
    end: i64,
    first_utc_us: Option<i64>,
    last_utc_us: Option<i64>,
}

/// One run being decoded.
struct ActiveRun {
    lane: Lane,
    decoding: AudioDecoding,
    anchor: RunAnchor,
    /// The span's first sample, on the run's line and in the output.
    from: i64,
    out_start: i64,
}

impl ActiveRun {
    /// Drains the run's audio; returns the UTC of its first and last
    /// output sample, if it has any.
    fn finish(mut self, out: &mut Output, rate: u32) -> Result<Option<(i64, i64)>, MediaError> {
        drain_resampler(&mut self.lane, &mut out.encoder, &mut out.sink)?;
        let written = out.encoder.position() - self.out_start;
        if written <= 0 {
            return Ok(None);
        }
        let utc = |sample: i64| self.anchor.utc_us + samples_to_us(sample, rate);
        Ok(Some((utc(self.from), utc(self.from + written - 1))))
    }
}

fn transcode_clip(
    clip: &ClipInput,
    index: &ClipIndex,
    spans: &[Option<Span>],
    out: &mut Output,
    progress: &mut dyn FnMut(i64),
) -> Result<Written, MediaError> {
    let rate = out.encoder.rate();
    let mut written = Written {
        start: out.encoder.position(),
        end: out.encoder.position(),
        first_utc_us: None,
        last_utc_us: None,
    };
    let note = |w: &mut Written, span: Option<(i64, i64)>| {
        if let Some((first, last)) = span {
            w.first_utc_us.get_or_insert(first);
            w.last_utc_us = Some(last);
        }
    };
    let mut reader = ClipReader::with_parsing(clip, true)
        .audio_only()
        .keep_untimed_audio();
    let mut current: Option<usize> = None;
    let mut active: Option<ActiveRun> = None;
    while let Some(p) = reader.next()? {
        if current != Some(p.run) {
            if let Some(done) = active.take() {
                note(&mut written, done.finish(out, rate)?);
            }
            current = Some(p.run);
            let (Some(Some(span)), Some(stats)) = (spans.get(p.run), index.runs.get(p.run)) else {
                continue;
            };
            let out_start = out.encoder.position();
            let offset = out_start - span.from;
            active = Some(ActiveRun {
                lane: Lane::new(
                    out_start,
                    out_start + (span.to - span.from),
                    -stats.anchor.pts,
                    offset,
                    rate,
                ),
                decoding: AudioDecoding::new(),
                anchor: stats.anchor,
                from: span.from,
                out_start,
            });
        }
        let (Track::Audio, Some(run)) = (p.track, active.as_mut()) else {
            continue;
        };
        let uri = &clip.segments[p.segment].uri;
        let (lane, encoder, sink) = (&mut run.lane, &mut out.encoder, &mut out.sink);
        run.decoding.feed(&p, clip.index, uri, &mut |frame| {
            place_audio(lane, frame, encoder, sink, clip.index, uri)
        })?;
        progress(samples_to_ticks(out.encoder.position(), rate));
    }
    if let Some(done) = active.take() {
        note(&mut written, done.finish(out, rate)?);
    }
    written.end = out.encoder.position();
    Ok(written)
}

/// Runs an `Accurate` or `Rough` job whose first clip is audio-only.
pub(crate) fn cut(
    job: &CutJob,
    progress: &mut dyn FnMut(Progress),
) -> Result<CutReport, MediaError> {
    let indexes = select::scan_all(job, index::scan_audio_only, progress)?;
    for (clip, index) in job.clips.iter().zip(&indexes) {
        if index.audio.is_none() {
            return Err(MediaError::Unsupported {
                clip: Some(clip.index),
                what: "it holds no audio, and the first clip of the job is audio-only".into(),
            });
        }
    }
    let (rate, channels) = output_format(&job.clips[0], &indexes[0])?;
    let mut spans = Vec::with_capacity(job.clips.len());
    let mut planned = 0i64;
    for (clip, index) in job.clips.iter().zip(&indexes) {
        let selection = select::selection(job.mode, clip);
        let clip_spans: Vec<Option<Span>> = index
            .runs
            .iter()
            .zip(&index.audio_runs)
            .map(|(run, selected)| run_span(selection, &run.anchor, *selected, rate))
            .collect();
        if clip_spans.iter().all(Option::is_none) {
            return Err(select::no_audio_in_range(clip, index));
        }
        planned += clip_spans
            .iter()
            .flatten()
            .map(|s| s.to - s.from)
            .sum::<i64>();
        spans.push(clip_spans);
    }

    let encoder = AudioEncoder::open(rate, channels)?;
    let parameters = encoder.parameters();
    let sink = Mp4Sink::create_audio_only(
        &job.output,
        TrackSpec {
            parameters: &parameters,
            time_base: encoder.time_base(),
        },
    )?;
    let mut out = Output { encoder, sink };
    let mut writing = WriteProgress::new(
        samples_to_ticks(planned, rate),
        samples_to_ticks(1024, rate),
    );
    let mut reports = Vec::with_capacity(job.clips.len());
    for ((clip, index), clip_spans) in job.clips.iter().zip(&indexes).zip(&spans) {
        let mut tick_progress = |tick: i64| writing.reach(tick, progress);
        let w = transcode_clip(clip, index, clip_spans, &mut out, &mut tick_progress)?;
        let (Some(first), Some(last)) = (w.first_utc_us, w.last_utc_us) else {
            return Err(MediaError::NoContent {
                clip: clip.index,
                start_utc_us: clip.start_utc_us,
                end_utc_us: clip.end_utc_us,
                cause: "no audio of the range could be decoded".into(),
            });
        };
        let frames = index.audio_frames;
        reports.push(ClipReport {
            index: clip.index,
            requested_start_us: clip.start_utc_us,
            requested_end_us: clip.end_utc_us,
            first_frame_utc_us: first,
            last_frame_utc_us: last,
            output_offset_us: samples_to_us(w.start, rate),
            frames,
            reencoded_frames: frames,
            copied_frames: 0,
            segments: index.segments_used.clone(),
            notes: vec![format!(
                "audio only: {frames} audio frames decoded, {} samples at {rate} Hz encoded as AAC",
                w.end - w.start
            )],
            lost: Vec::new(),
        });
    }
    let total = out.encoder.position();
    out.encoder.finish(&mut out.sink)?;
    out.sink.finish()?;
    writing.finish(progress);
    Ok(CutReport {
        clips: reports,
        duration_us: samples_to_us(total, rate),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHOR: RunAnchor = RunAnchor {
        utc_us: 1_000_000_000,
        pts: 900_000,
    };

    #[test]
    fn accurate_spans_are_the_range_from_the_runs_first_audio() {
        let range = Selection::Range {
            start_utc_us: ANCHOR.utc_us + 500_000,
            end_utc_us: ANCHOR.utc_us + 1_250_000,
        };
        let selected = Some((ANCHOR.pts + 45_000, ANCHOR.pts + 112_500));
        assert_eq!(
            run_span(range, &ANCHOR, selected, 48_000),
            Some(Span {
                from: 24_000,
                to: 60_000
            })
        );
        // A range starting before the run's audio starts with it.
        let early = Selection::Range {
            start_utc_us: ANCHOR.utc_us - 3_000_000,
            end_utc_us: ANCHOR.utc_us + 1_000_000,
        };
        assert_eq!(
            run_span(early, &ANCHOR, selected, 44_100),
            Some(Span {
                from: 0,
                to: 44_100
            })
        );
        assert_eq!(run_span(range, &ANCHOR, None, 48_000), None);
    }

    #[test]
    fn rough_spans_are_the_runs_whole_audio() {
        let selected = Some((ANCHOR.pts, ANCHOR.pts + 180_000));
        assert_eq!(
            run_span(Selection::All, &ANCHOR, selected, 48_000),
            Some(Span {
                from: 0,
                to: 96_000
            })
        );
    }

    #[test]
    fn sample_conversions_round_to_the_nearest() {
        assert_eq!(samples_to_us(1024, 48_000), 21_333);
        assert_eq!(samples_to_ticks(1024, 48_000), 1920);
        assert_eq!(samples_to_ticks(1, 44_100), 2);
        assert_eq!(utc_to_samples(&ANCHOR, ANCHOR.utc_us - 1_000, 48_000), -48);
    }
}
