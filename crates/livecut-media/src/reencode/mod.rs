//! The re-encoding modes: `Accurate` (exactly the frames presented in the
//! range, as `AccurateFast` selects them) and `Rough` (every decodable
//! frame of the listed segments, as `RoughFast`), both fully decoded,
//! scaled to one output picture and encoded again.
//!
//! # Sources and outputs
//!
//! * Video sources: H.264 and HEVC (8-bit, Main 10), HEVC open GOPs
//!   included. Audio sources: AAC (any rate and channel count, also
//!   changing inside a clip) and MP3.
//! * Output video: chosen by the *first clip's* source (`video::OutputCodec`)
//!   and used for every clip of the job, whatever their codecs:
//!   H.264 -> libx264 (`avc1`, 8-bit `yuv420p`); HEVC -> libx265 (`hvc1`,
//!   Main `yuv420p`, or Main 10 `yuv420p10le` when the first clip has more
//!   than 8 bits per sample). Later clips are converted (an 8-bit H.264
//!   clip after a 10-bit HEVC one becomes 10-bit, and the reverse 8-bit).
//!   CRF 23 (x264) / 28 (x265) without a bit rate; with `video_bitrate_kbps`
//!   ABR with a VBV (1.5x, 2 s buffer). 2 s GOPs, closed. Frame rate and
//!   colour description (primaries, transfer, matrix, range) are the first
//!   clip's; pixels are square.
//! * Output audio: AAC (FFmpeg's encoder, 64 kbit/s per channel) at the
//!   sample rate and channel count of the first clip that has audio; every
//!   clip's audio is decoded, resampled to it and cut to the sample at the
//!   edges of its video. A clip without audio becomes silence.
//! * Audio-only jobs (the first clip's recording has no video;
//!   `audio_only`): no video track; every clip's audio (AAC or MP3) is
//!   decoded and encoded as above, at the rate and channel count the first
//!   clip's audio decodes to, `Accurate` cut to the sample to the range
//!   (through the run anchors), `Rough` the listed segments' whole audio;
//!   clips join back to back. Every clip must be audio-only (a later clip
//!   with video is refused, naming it); the size and bit rate options are
//!   ignored.
//!
//! # How
//!
//! The re-encode modes read, index and plan through the `select` layer, as
//! the copy modes do, so both kinds of modes select exactly the same frames:
//!
//! * pass 1 is `select::index::scan_for_decoding` (the copy modes' scanner,
//!   always through libav's parsers, also decoding the first audio frames
//!   for the audio format): GOPs at every keyframe (IDR, HEVC CRA/BLA,
//!   H.264 recovery-point I), which frames the range selects, which leading
//!   pictures cannot be decoded (those of a run's first open keyframe,
//!   after a BLA or an end of sequence), one anchor per run by the crate's
//!   timeline rule. Unlike the copy modes, a run behind a discontinuity may
//!   bring another video codec, and audio of any AAC or MP3 format, changing
//!   or not, is taken.
//! * `select::plan::plan` with nothing copyable places each run on the output
//!   timeline and gives it one decoded part: from the keyframe of the first
//!   selected frame's GOP (one GOP earlier when that frame is a leading
//!   picture of an open GOP) to the last selected frame's GOP, keeping the
//!   frames between the part's `keep_min` and `keep_max`.
//! * pass 2 (`clip`) reads the clip again with `select::source::ClipReader`
//!   and streams every part through one video and one audio encoder, so
//!   clips of different codecs, sizes, frame layouts, bit depths and audio
//!   formats join into one continuous stream. Audio is cut to the sample at
//!   the edges of each run's video and filled with silence where the
//!   recording has none, so it stays in sync across every join.
//!
//! Open GOPs and segment lists: the RASL pictures shown at the end of a
//! segment's time span are stored in the *next* segment's file, which is
//! why the planner lists the segment after an accurate range too; its
//! frames outside the range are not selected.

mod audio_only;
mod clip;
mod mux;
mod video;

pub(crate) use self::audio_only::cut as cut_audio_only;
pub(crate) use self::video::check_bitrate;

use self::clip::{ClipWork, Pipeline};
use self::mux::{Mp4Sink, TrackSpec};
use self::video::{OutputCodec, VideoEncoder, VideoSettings};
use crate::geometry::{self, Size, SourceShape};
use crate::select::index::AudioFormat;
use crate::select::plan::Splicing;
use crate::select::report::{WriteProgress, clip_report, silence_note};
use crate::select::{self, FALLBACK_FRAME_DURATION};
use crate::timeline::ticks_to_us;
use crate::transcode::audio_encoder::AudioEncoder;
use crate::transcode::scale::OutputPicture;
use crate::{CutJob, CutReport, MediaError, Progress};

/// The output size of a job whose first clip has the shape `first`:
/// nothing requested is the first clip's display size; otherwise the
/// shared rule (pictures are fitted in by `geometry::fit`).
fn output_size(
    first: SourceShape,
    width: Option<u32>,
    height: Option<u32>,
) -> Result<Size, MediaError> {
    if !first.has_size() {
        return Err(MediaError::Internal(
            "the first clip's picture has no size".into(),
        ));
    }
    let limits = geometry::VIDEO;
    let requested = limits
        .requested_size(first, width, height)
        .map_err(MediaError::InvalidJob)?;
    if let Some(size) = requested {
        return Ok(size);
    }
    let size = first.display_size();
    let check = |what, value| {
        limits
            .check_side(what, value)
            .map_err(MediaError::InvalidJob)
    };
    Ok(Size {
        width: check("width", size.width)?,
        height: check("height", size.height)?,
    })
}

/// Bits per sample of a pixel format (a raw `AVPixelFormat`); 8 when
/// unknown.
fn bit_depth(format: i32) -> u32 {
    crate::av::pixel::bit_depth(format).unwrap_or(8)
}

/// What the output picture is made from: the first clip's source.
fn output_picture(job: &CutJob) -> Result<(OutputCodec, OutputPicture), MediaError> {
    let source = select::source_video(&job.clips[0])?;
    let p = crate::av::params::fields(&source);
    let (width, height, format, sar, range, primaries, transfer, space) = (
        p.width,
        p.height,
        p.format,
        (
            p.sample_aspect_ratio.numerator(),
            p.sample_aspect_ratio.denominator(),
        ),
        p.color_range,
        p.color_primaries,
        p.color_trc,
        p.color_space,
    );
    if width <= 0 || height <= 0 {
        return Err(MediaError::BadSegment {
            clip: job.clips[0].index,
            uri: job.clips[0].segments[0].uri.clone(),
            cause: "its picture size cannot be determined".into(),
        });
    }
    let codec = OutputCodec::for_source(source.id(), bit_depth(format))?;
    let shape = SourceShape {
        width: width as u32,
        height: height as u32,
        sample_aspect: sar,
    };
    let size = output_size(shape, job.output_width, job.output_height)?;
    Ok((
        codec,
        OutputPicture {
            size,
            pixel: codec.pixel(),
            range,
            primaries,
            transfer,
            space,
        },
    ))
}

fn open_pipeline(
    job: &CutJob,
    frame_duration: i64,
    audio: Option<AudioFormat>,
) -> Result<Pipeline, MediaError> {
    let (codec, picture) = output_picture(job)?;
    let frame_rate = select::frame_rate(frame_duration);
    let video = VideoEncoder::open(&VideoSettings {
        codec,
        picture,
        frame_rate,
        bitrate_kbps: job.video_bitrate_kbps,
    })?;
    let audio = audio
        .map(|format| AudioEncoder::open(format.rate, format.channels))
        .transpose()?;
    let video_parameters = video.parameters();
    let audio_parameters = audio.as_ref().map(|a| (a.parameters(), a.time_base()));
    let sink = Mp4Sink::create(
        &job.output,
        TrackSpec {
            parameters: &video_parameters,
            time_base: video.time_base(),
        },
        frame_rate,
        audio_parameters.as_ref().map(|(p, tb)| TrackSpec {
            parameters: p,
            time_base: *tb,
        }),
    )?;
    Ok(Pipeline {
        video,
        audio,
        sink,
        picture,
        scaler: None,
    })
}

/// Runs an `Accurate` or `Rough` job (validated by `crate::cut`).
pub(crate) fn cut(
    job: &CutJob,
    progress: &mut dyn FnMut(Progress),
) -> Result<CutReport, MediaError> {
    let indexes = select::scan_all(job, select::index::scan_for_decoding, progress)?;
    // Each clip keeps its own frame rate on the timeline; the track's
    // nominal rate is the first clip's.
    let job_frame_duration = indexes
        .iter()
        .find_map(|i| i.frame_duration)
        .unwrap_or(FALLBACK_FRAME_DURATION);
    let mut plans = Vec::with_capacity(job.clips.len());
    let mut cursor = 0i64;
    for (k, (clip, index)) in job.clips.iter().zip(&indexes).enumerate() {
        let frame_duration = index.frame_duration.unwrap_or(job_frame_duration);
        // The copy modes' planner with nothing copyable: each run becomes
        // one decoded part, placed on the output timeline by the same rule.
        let splicing = Splicing {
            open_keyframes: true,
            starts_output: k == 0,
        };
        let p = select::plan::plan(clip, index, cursor, frame_duration, &|_| false, splicing)?;
        cursor = p.end;
        plans.push((p, frame_duration));
    }
    let mut writing = WriteProgress::new(cursor, plans.first().map_or(1, |p| p.1));

    let first_audio = indexes.iter().find_map(|i| i.decoded_audio);
    let mut pipe = open_pipeline(job, plans[0].1, first_audio)?;
    let mut reports = Vec::with_capacity(job.clips.len());
    for ((clip, index), (p, frame_duration)) in job.clips.iter().zip(&indexes).zip(&plans) {
        let work = ClipWork {
            clip,
            index,
            plan: p,
            frame_duration: *frame_duration,
        };
        let mut tick_progress = |tick: i64| writing.reach(tick, progress);
        let mut silence = Vec::new();
        let frames = clip::transcode(&work, &mut pipe, &mut tick_progress, &mut silence)?;
        if frames != p.frames {
            return Err(MediaError::Internal(format!(
                "clip {}: planned {} frames, encoded {frames}",
                clip.index, p.frames
            )));
        }
        let mut notes = vec![format!("all {frames} frames decoded and encoded again")];
        notes.extend(silence_note(&silence));
        reports.push(clip_report(clip, index, p, frames, 0, notes));
    }
    let encoded = pipe.video.frames();
    let planned: u64 = plans.iter().map(|(p, _)| p.frames).sum();
    if encoded != planned {
        return Err(MediaError::Internal(format!(
            "encoded {encoded} frames for {planned} planned"
        )));
    }
    pipe.finish(cursor)?;
    writing.finish(progress);
    Ok(CutReport {
        clips: reports,
        duration_us: ticks_to_us(cursor),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::test_shapes::{shape, size};

    #[test]
    fn nothing_requested_is_the_first_clips_display_size() {
        assert_eq!(
            output_size(shape(1920, 1080), None, None).expect("valid"),
            size(1920, 1080)
        );
        let anamorphic = SourceShape {
            sample_aspect: (4, 3),
            ..shape(1440, 1080)
        };
        assert_eq!(
            output_size(anamorphic, None, None).expect("valid"),
            size(1920, 1080)
        );
        // Odd stored sides round to even.
        assert_eq!(
            output_size(shape(321, 181), None, None).expect("valid"),
            size(322, 182)
        );
        // Too small a source cannot be encoded at its own size.
        let err = output_size(shape(8, 8), None, None).expect_err("too small");
        assert!(matches!(err, MediaError::InvalidJob(_)), "{err}");
    }

    #[test]
    fn requested_sides_follow_the_shared_rule() {
        let s = shape(320, 180);
        assert_eq!(output_size(s, Some(240), None).expect("w"), size(240, 136));
        assert_eq!(output_size(s, None, Some(120)).expect("h"), size(214, 120));
        assert_eq!(
            output_size(s, Some(240), Some(240)).expect("both"),
            size(240, 240)
        );
        let err = output_size(shape(4000, 16), Some(16), None).expect_err("too flat");
        assert!(matches!(err, MediaError::InvalidJob(_)), "{err}");
        assert!(err.to_string().contains("height"), "{err}");
    }
}
