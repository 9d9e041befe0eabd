//! The MP4 being written: one video track (`avc1`/`hvc1` whose config
//! record lists every parameter set, or `avc3`/`hev1` with the sets
//! in-band) and an optional audio track of copied frames (`mp4a` AAC, or
//! `mp3`). The file itself (part file, `faststart`, rename) is `av::mp4`'s.

use std::path::Path;

use ffmpeg_next::{Packet, Rational, codec, ffi};

use super::audio::{AudioConfig, AudioPlacer, CopiedFrame};
use super::dts::DtsRestamper;
use crate::MediaError;
use crate::av::mp4::Mp4File;
use crate::av::{params, ts_time_base};
use crate::bitstream::mpeg_audio;

/// What the video track is made of.
pub struct VideoTrack<'a> {
    /// The source stream's parameters (size, pixel format, colour, ...).
    pub source: &'a codec::Parameters,
    /// Sample-entry codec tag (`avc1`, `avc3`, `hvc1`, `hev1`).
    pub tag: [u8; 4],
    /// The decoder configuration: an `avcC` record, or Annex B parameter
    /// sets from which the muxer builds the `hvcC`.
    pub config: Vec<u8>,
    pub frame_rate: Rational,
    /// Reorder depth of the joined stream (see `dts`).
    pub reorder_depth: u32,
    /// Nominal frame duration in 90 kHz ticks.
    pub frame_duration: i64,
}

/// The audio track: its stream, time base, rate and frame length.
struct AudioTrack {
    stream: usize,
    time_base: Rational,
    rate: u32,
    samples_per_frame: i64,
    /// MP3: main data bytes of the frames written since the last break in
    /// the copied stream, which the next frame's bit reservoir may use.
    reservoir: usize,
    /// The source stretch of the latest frame written.
    source: Option<(usize, usize)>,
}

pub struct Mp4Writer {
    file: Mp4File,
    video_tb: Rational,
    audio: Option<AudioTrack>,
    dts: DtsRestamper,
    placer: AudioPlacer,
}

impl Mp4Writer {
    pub fn create(
        path: &Path,
        video: &VideoTrack<'_>,
        audio: Option<&AudioConfig>,
    ) -> Result<Self, MediaError> {
        let out_of_memory = ffmpeg_next::Error::Other {
            errno: libc::ENOMEM,
        };
        let (file, audio_stream) = Mp4File::create(path, |output| {
            params::add_stream(output, video.source, ts_time_base())
                .map_err(|e| ("adding the video stream", e))?;
            // SAFETY: stream 0 was just added; its parameters are ours to
            // edit until the header is written.
            unsafe {
                let st = *(*output.as_mut_ptr()).streams;
                let par = (*st).codecpar;
                if !params::set_extradata(par, &video.config) {
                    return Err(("setting the decoder configuration", out_of_memory));
                }
                (*par).codec_tag = u32::from_le_bytes(video.tag);
                (*par).video_delay = video.reorder_depth as i32;
                (*st).avg_frame_rate = video.frame_rate.into();
                (*st).r_frame_rate = video.frame_rate.into();
            }
            let Some(config) = audio else {
                return Ok(None);
            };
            let sample_rate = config.sample_rate();
            let mut par = codec::Parameters::new();
            // SAFETY: a fresh parameter set is filled in field by field.
            unsafe {
                let raw = par.as_mut_ptr();
                (*raw).codec_type = ffi::AVMediaType::AVMEDIA_TYPE_AUDIO;
                (*raw).sample_rate = sample_rate as i32;
                (*raw).frame_size = config.samples_per_frame() as i32;
                params::set_default_layout(raw, config.channels() as i32);
                match config {
                    AudioConfig::Aac(aac) => {
                        (*raw).codec_id = ffi::AVCodecID::AV_CODEC_ID_AAC;
                        (*raw).profile = i32::from(aac.object_type) - 1;
                        if !params::set_extradata(raw, &aac.audio_specific_config()) {
                            return Err(("setting the AudioSpecificConfig", out_of_memory));
                        }
                    }
                    // The frame headers say it all: no extradata.
                    AudioConfig::Mp3(_) => (*raw).codec_id = ffi::AVCodecID::AV_CODEC_ID_MP3,
                }
            }
            let tb = Rational::new(1, sample_rate as i32);
            let index =
                params::add_stream(output, &par, tb).map_err(|e| ("adding the audio stream", e))?;
            Ok(Some((index, tb, sample_rate)))
        })?;
        let video_tb = file.time_base(0, ts_time_base());
        let audio = audio
            .zip(audio_stream)
            .map(|(config, (index, tb, rate))| AudioTrack {
                stream: index,
                time_base: file.time_base(index, tb),
                rate,
                samples_per_frame: i64::from(config.samples_per_frame()),
                reservoir: 0,
                source: None,
            });
        Ok(Mp4Writer {
            file,
            video_tb,
            audio,
            dts: DtsRestamper::new(video.reorder_depth, video.frame_duration),
            placer: AudioPlacer::default(),
        })
    }

    /// Writes one video sample (length-prefixed NALs) in decode order with
    /// its output PTS in 90 kHz ticks.
    pub fn write_video(
        &mut self,
        sample: &[u8],
        pts: i64,
        duration: i64,
        key: bool,
    ) -> Result<(), MediaError> {
        let dts = self
            .dts
            .next(pts)
            .map_err(|e| MediaError::Internal(format!("video timestamps: {e}")))?;
        let mut packet = Packet::copy(sample);
        packet.set_pts(Some(pts));
        packet.set_dts(Some(dts));
        packet.set_duration(duration);
        if key {
            packet.set_flags(codec::packet::Flags::KEY);
        }
        self.file.write(packet, 0, ts_time_base(), self.video_tb)
    }

    /// Writes one audio frame whose ideal start is `ideal_ticks` on the
    /// output timeline; the placer decides where it really goes.
    /// `source` names the stretch of source audio the frame comes from
    /// (clip, run): frames of one stretch are written in their order, none
    /// left out in between. An MP3 frame whose bit reservoir reaches before
    /// what was copied since the last break (another stretch, a gap, a
    /// dropped frame) is muted (see `mpeg_audio::mute`), so no decoder
    /// reads another frame's bytes as its own.
    pub fn write_audio(
        &mut self,
        frame: &CopiedFrame<'_>,
        ideal_ticks: i64,
        source: (usize, usize),
    ) -> Result<(), MediaError> {
        let Some(track) = self.audio.as_mut() else {
            return Ok(());
        };
        let rate = track.rate;
        let ideal = rescale_round(
            ideal_ticks,
            i64::from(rate),
            crate::timeline::TICKS_PER_SECOND,
        );
        let samples = track.samples_per_frame;
        let expected = self.placer.next();
        let Some(pts) = self.placer.place(ideal, samples) else {
            track.reservoir = 0;
            return Ok(());
        };
        if track.source != Some(source) || pts != expected {
            track.reservoir = 0;
        }
        track.source = Some(source);
        let mut packet = Packet::copy(frame.bytes);
        if let AudioConfig::Mp3(_) = frame.config {
            if frame.reservoir_reach > track.reservoir
                && let Some(header) = mpeg_audio::parse_frame(frame.bytes)
                && let Some(data) = packet.data_mut()
            {
                mpeg_audio::mute(&header, data);
            }
            track.reservoir += frame.main_data_len;
        }
        packet.set_pts(Some(pts));
        packet.set_dts(Some(pts));
        packet.set_duration(samples);
        packet.set_flags(codec::packet::Flags::KEY);
        let (stream, tb) = (track.stream, track.time_base);
        self.file
            .write(packet, stream, Rational::new(1, rate as i32), tb)
    }

    /// Finishes the file (moov first) and moves it into place.
    pub fn finish(self) -> Result<(), MediaError> {
        self.file.finish()
    }
}

/// `value * num / den`, rounded half away from zero.
fn rescale_round(value: i64, num: i64, den: i64) -> i64 {
    let scaled = i128::from(value) * i128::from(num);
    let den = i128::from(den.max(1));
    let rounded = if scaled >= 0 {
        (scaled + den / 2) / den
    } else {
        (scaled - den / 2) / den
    };
    i64::try_from(rounded).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::rescale_round;

    #[test]
    fn ticks_to_samples_rounds() {
        assert_eq!(rescale_round(1920, 48_000, 90_000), 1024);
        assert_eq!(rescale_round(-1920, 48_000, 90_000), -1024);
        assert_eq!(rescale_round(1, 44_100, 90_000), 0);
        assert_eq!(rescale_round(3, 44_100, 90_000), 1);
    }
}
