//! The MP4 being written: one video track (`avc1`/`hvc1` whose config
//! record lists every parameter set, or `avc3`/`hev1` with the sets
//! in-band) and an optional audio track of copied frames (`mp4a` AAC, or
//! `mp3`), into which the audio of a clip of another format goes as
//! re-encoded stretches (`audio_reencode`). The file itself (part file,
//! `faststart`, rename) is `av::mp4`'s.

use std::collections::BTreeMap;
use std::path::Path;

use ffmpeg_next::{Packet, Rational, codec, media};

use super::audio::AudioPlacer;
use super::audio_reencode::{Collected, Stretch};
use super::dts::DtsRestamper;
use crate::MediaError;
use crate::av::mp4::{Mp4File, SetupError};
use crate::av::{params, ts_time_base};
use crate::bitstream::mpeg_audio;
use crate::select::audio_frames::{AudioConfig, CopiedFrame};
use crate::select::source::SourcePacket;
use crate::transcode::audio_encoder::AudioEncoder;

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
    config: AudioConfig,
    stream: usize,
    time_base: Rational,
    rate: u32,
    samples_per_frame: i64,
    mp3: Mp3Splicer,
    /// A raw AAC frame of silence in the track's format, made when a hole first needs one.
    silence: Option<Vec<u8>>,
}

impl AudioTrack {
    fn new(file: &Mp4File, config: &AudioConfig, stream: usize, tb: Rational) -> Self {
        AudioTrack {
            config: *config,
            stream,
            time_base: file.time_base(stream, tb),
            rate: config.sample_rate(),
            samples_per_frame: i64::from(config.samples_per_frame()),
            mp3: Mp3Splicer::default(),
            silence: None,
        }
    }

    /// The raw AAC frame of silence of this track (AAC-LC at its rate and channels, which is
    /// what a copied AAC track carries), encoded once: a frame from the middle of a few encoded
    /// silent frames, past the encoder's priming.
    fn silence_frame(&mut self) -> Result<&[u8], MediaError> {
        if self.silence.is_none() {
            let mut encoder = AudioEncoder::open(self.rate, self.config.channels() as usize)?;
            let mut collected = Collected::default();
            encoder.silence(4 * self.samples_per_frame as u64, &mut collected)?;
            encoder.finish(&mut collected)?;
            let frame = collected
                .0
                .get(2)
                .or(collected.0.last())
                .and_then(|p| p.data())
                .map(<[u8]>::to_vec)
                .ok_or_else(|| MediaError::Internal("the AAC encoder made no frame".into()))?;
            self.silence = Some(frame);
        }
        Ok(self.silence.as_deref().unwrap_or(&[]))
    }
}

/// Adds the track of copied `config` frames: `mp4a` with the
/// AudioSpecificConfig of the ADTS headers, or `mp3` (the frame headers
/// say it all). Returns its index and time base (1 / sample rate).
fn add_audio_stream(
    output: &mut ffmpeg_next::format::context::Output,
    config: &AudioConfig,
) -> Result<(usize, Rational), SetupError> {
    let sample_rate = config.sample_rate();
    let mut par = codec::Parameters::new();
    par.set_medium(media::Type::Audio);
    params::set_sample_rate(&mut par, sample_rate as i32);
    params::set_frame_size(&mut par, config.samples_per_frame() as i32);
    params::set_default_layout(&mut par, config.channels() as i32);
    match config {
        AudioConfig::Aac(aac) => {
            par.set_id(codec::Id::AAC);
            params::set_profile(&mut par, i32::from(aac.object_type) - 1);
            params::set_extradata(&mut par, &aac.audio_specific_config())
                .map_err(|out_of_memory| ("setting the AudioSpecificConfig", out_of_memory))?;
        }
        AudioConfig::Mp3(_) => par.set_id(codec::Id::MP3),
    }
    let tb = Rational::new(1, sample_rate as i32);
    let index = params::add_stream(output, &par, tb).map_err(|e| ("adding the audio stream", e))?;
    Ok((index, tb))
}

/// Keeps copied MP3 frames decodable where the copied stream breaks (a
/// join, a run, a dropped frame): a frame whose bit reservoir reaches
/// before what was written since the break gets the missing bytes from the
/// source inside itself (`mpeg_audio::self_contained`), and the frames
/// after it that reach into it reach over its filler; if that cannot be
/// done (the source does not have the bytes, no bit rate holds them) the
/// frame is muted.
#[derive(Debug, Default)]
struct Mp3Splicer {
    /// The source stretch (clip, run) of the latest frame seen.
    source: Option<(usize, usize)>,
    /// The end of the source's main data before the next frame (at most
    /// what a frame can reach back).
    source_main: Vec<u8>,
    /// Main data bytes written since the last break.
    written: usize,
    /// Filler bytes of the latest rewritten frame, and the main data bytes
    /// written after it: a frame reaching further than those reaches into
    /// it.
    filler: Option<(usize, usize)>,
}

impl Mp3Splicer {
    /// Starts a new stretch when `source` is not the current one.
    fn enter(&mut self, source: (usize, usize)) {
        if self.source != Some(source) {
            self.source = Some(source);
            self.source_main.clear();
        }
    }

    /// A break in the written stream before the next frame.
    fn break_here(&mut self) {
        self.written = 0;
        self.filler = None;
    }

    /// Notes the main data area of a source frame (written or not).
    fn saw(&mut self, frame: &CopiedFrame<'_>) {
        let area = &frame.bytes[frame.bytes.len().saturating_sub(frame.main_data_len)..];
        self.source_main.extend_from_slice(area);
        let excess = self.source_main.len().saturating_sub(MP3_MAX_REACH);
        self.source_main.drain(..excess);
    }

    /// The bytes to write for `frame`.
    fn prepare(&mut self, frame: &CopiedFrame<'_>) -> Vec<u8> {
        let mut bytes = frame.bytes.to_vec();
        let Some(header) = mpeg_audio::parse_frame(frame.bytes) else {
            return bytes;
        };
        let reach = frame.reservoir_reach;
        let mut area = header.main_data_len();
        if let Some((filler, since)) = self.filler {
            if reach > since
                && !mpeg_audio::set_reservoir_reach(&header, &mut bytes, reach + filler)
            {
                mpeg_audio::mute(&header, &mut bytes);
            }
            let since = since + area;
            self.filler = (since < MP3_MAX_REACH).then_some((filler, since));
        } else if reach > self.written {
            let missing = self.source_main.len().checked_sub(reach);
            let whole = missing.and_then(|from| {
                mpeg_audio::self_contained(&header, frame.bytes, &self.source_main[from..])
            });
            match whole {
                Some((rewritten, filler)) => {
                    area = rewritten.len() - (frame.bytes.len() - header.main_data_len());
                    bytes = rewritten;
                    self.filler = Some((filler, 0));
                }
                None => {
                    mpeg_audio::mute(&header, &mut bytes);
                }
            }
        }
        self.written += area;
        bytes
    }
}

/// The furthest any layer III frame reaches back (MPEG-1's 9 bits).
const MP3_MAX_REACH: usize = 511;

pub struct Mp4Writer {
    file: Mp4File,
    video_tb: Rational,
    audio: Option<AudioTrack>,
    dts: DtsRestamper,
    placer: AudioPlacer,
    /// The run whose audio is being re-encoded into the track.
    stretch: Option<Stretch>,
    /// Where silence was written into holes of the track, by the clip whose audio followed:
    /// (first sample, samples), adjacent stretches merged.
    silence_spans: BTreeMap<usize, Vec<(i64, i64)>>,
}

impl Mp4Writer {
    pub fn create(
        path: &Path,
        video: &VideoTrack<'_>,
        audio: Option<&AudioConfig>,
    ) -> Result<Self, MediaError> {
        let (file, audio_stream) = Mp4File::create(path, |output| {
            let index = params::add_stream(output, video.source, ts_time_base())
                .map_err(|e| ("adding the video stream", e))?;
            // Stream 0 was just added; its parameters are ours to edit until
            // the header is written.
            let mut st = output.stream_mut(index).ok_or((
                "adding the video stream",
                ffmpeg_next::Error::StreamNotFound,
            ))?;
            let mut par = st.parameters();
            params::set_extradata(&mut par, &video.config)
                .map_err(|out_of_memory| ("setting the decoder configuration", out_of_memory))?;
            params::set_tag(&mut par, u32::from_le_bytes(video.tag));
            params::set_video_delay(&mut par, video.reorder_depth as i32);
            st.set_avg_frame_rate(video.frame_rate);
            st.set_rate(video.frame_rate);
            audio
                .map(|config| add_audio_stream(output, config))
                .transpose()
        })?;
        let video_tb = file.time_base(0, ts_time_base());
        let audio = audio
            .zip(audio_stream)
            .map(|(config, (index, tb))| AudioTrack::new(&file, config, index, tb));
        Ok(Mp4Writer {
            file,
            video_tb,
            audio,
            dts: DtsRestamper::new(video.reorder_depth, video.frame_duration),
            placer: AudioPlacer::default(),
            stretch: None,
            silence_spans: BTreeMap::new(),
        })
    }

    /// An MP4 with only an audio track (an audio-only job): no video is
    /// written to it.
    pub fn create_audio_only(path: &Path, audio: &AudioConfig) -> Result<Self, MediaError> {
        let (file, (index, tb)) = Mp4File::create(path, |output| add_audio_stream(output, audio))?;
        let audio = AudioTrack::new(&file, audio, index, tb);
        Ok(Mp4Writer {
            file,
            video_tb: ts_time_base(),
            audio: Some(audio),
            dts: DtsRestamper::new(0, crate::select::FALLBACK_FRAME_DURATION),
            placer: AudioPlacer::default(),
            stretch: None,
            silence_spans: BTreeMap::new(),
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
    /// output timeline; the placer decides where it really goes. `source`
    /// names the stretch of source audio the frame comes from (clip, run),
    /// whose frames are seen in order (`skip_audio` for those not written),
    /// so that MP3 frames stay decodable across breaks (see `Mp3Splicer`).
    pub fn write_audio(
        &mut self,
        frame: &CopiedFrame<'_>,
        ideal_ticks: i64,
        source: (usize, usize),
    ) -> Result<(), MediaError> {
        self.finish_reencoded_audio()?;
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
        let is_mp3 = matches!(frame.config, AudioConfig::Mp3(_));
        if track.mp3.source != Some(source) {
            track.mp3.break_here();
        }
        track.mp3.enter(source);
        let expected = self.placer.next();
        // Gapless AAC: once the track has begun, every frame follows the one before, unless
        // its own time is over half a frame earlier (it would play late: dropped) or a whole
        // frame or more later (the recording has no audio there, or none in the segments
        // read: that many frames of encoded silence fill the hole first). So a frame plays at
        // most half a frame late and less than one frame early, with no hole a player would
        // close up. MP3 keeps the old rule and its holes.
        let pts = if !is_mp3 && expected > 0 {
            match gapless_place(expected, ideal, samples) {
                None => {
                    track.mp3.saw(frame);
                    return Ok(());
                }
                Some(holes) => {
                    if holes > 0 {
                        self.write_silence(expected, holes, source.0)?;
                    }
                    let pts = expected + holes * samples;
                    self.placer.resume_at(pts + samples);
                    pts
                }
            }
        } else {
            let Some(pts) = self.placer.place(ideal, samples) else {
                track.mp3.break_here();
                track.mp3.saw(frame);
                return Ok(());
            };
            pts
        };
        let Some(track) = self.audio.as_mut() else {
            return Ok(());
        };
        if pts != expected {
            track.mp3.break_here();
        }
        let mut packet = if is_mp3 {
            let bytes = track.mp3.prepare(frame);
            track.mp3.saw(frame);
            Packet::copy(&bytes)
        } else {
            Packet::copy(frame.bytes)
        };
        packet.set_pts(Some(pts));
        packet.set_dts(Some(pts));
        packet.set_duration(samples);
        packet.set_flags(codec::packet::Flags::KEY);
        let (stream, tb) = (track.stream, track.time_base);
        self.file
            .write(packet, stream, Rational::new(1, rate as i32), tb)
    }

    /// Writes `count` frames of encoded silence into the AAC track from sample `from`, counted
    /// for `clip`.
    fn write_silence(&mut self, from: i64, count: i64, clip: usize) -> Result<(), MediaError> {
        let Some(track) = self.audio.as_mut() else {
            return Ok(());
        };
        let samples = track.samples_per_frame;
        let rate = track.rate;
        let silence = track.silence_frame()?.to_vec();
        let (stream, tb) = (track.stream, track.time_base);
        for k in 0..count {
            let mut packet = Packet::copy(&silence);
            let at = from + k * samples;
            packet.set_pts(Some(at));
            packet.set_dts(Some(at));
            packet.set_duration(samples);
            packet.set_flags(codec::packet::Flags::KEY);
            self.file
                .write(packet, stream, Rational::new(1, rate as i32), tb)?;
        }
        let spans = self.silence_spans.entry(clip).or_default();
        match spans.last_mut() {
            Some((start, len)) if *start + *len == from => *len += count * samples,
            _ => spans.push((from, count * samples)),
        }
        Ok(())
    }

    /// Fills the AAC track with whole frames of encoded silence up to `end_ticks` (where clip
    /// `clip`'s video ends) when its audio stops a frame or more short of it, so the clip's
    /// audio covers its video span to within a frame and the next clip's follows without a
    /// hole. Nothing for a track that has no frame yet, or MP3.
    pub fn pad_audio_until(&mut self, end_ticks: i64, clip: usize) -> Result<(), MediaError> {
        let Some(track) = self.audio.as_ref() else {
            return Ok(());
        };
        let expected = self.placer.next();
        if expected == 0 || matches!(track.config, AudioConfig::Mp3(_)) {
            return Ok(());
        }
        let samples = track.samples_per_frame;
        let end = rescale_round(
            end_ticks,
            i64::from(track.rate),
            crate::timeline::TICKS_PER_SECOND,
        );
        // Whole frames only: the clip's audio never runs past its video, so the next clip's
        // first frame is placed by the usual rule.
        let holes = (end - expected).div_euclid(samples);
        if holes <= 0 {
            return Ok(());
        }
        self.write_silence(expected, holes, clip)?;
        self.placer.resume_at(expected + holes * samples);
        Ok(())
    }

    /// Where silence was written for clip `clip` (see `write_audio`, `pad_audio_until`): each
    /// stretch as (start in the output, length), in microseconds.
    pub fn silence_in(&self, clip: usize) -> Vec<(i64, i64)> {
        let rate = self.audio.as_ref().map_or(1, |t| i64::from(t.rate.max(1)));
        self.silence_spans
            .get(&clip)
            .map_or_else(Vec::new, |spans| {
                spans
                    .iter()
                    .map(|&(from, len)| (from * 1_000_000 / rate, len * 1_000_000 / rate))
                    .collect()
            })
    }

    /// Notes a source audio frame that is not written (outside its run's
    /// span): a later MP3 frame may need its bytes.
    pub fn skip_audio(&mut self, frame: &CopiedFrame<'_>, source: (usize, usize)) {
        if let Some(track) = self.audio.as_mut()
            && matches!(frame.config, AudioConfig::Mp3(_))
        {
            track.mp3.enter(source);
            track.mp3.saw(frame);
        }
    }

    /// Whether a clip whose audio has the format `clip` (its first frame's)
    /// goes into the track re-encoded: it has audio, and not the track's.
    pub fn reencodes_audio(&self, clip: Option<AudioConfig>) -> bool {
        self.audio
            .as_ref()
            .zip(clip)
            .is_some_and(|(track, clip)| track.config != clip)
    }

    /// Decodes the audio packet `p` of the run `source` (clip, run) into the
    /// run's re-encoded stretch, started at its first packet (`base`, `span`:
    /// the run's output placement and video span, in ticks), and writes
    /// the frames encoded so far. `uri` names the packet's segment.
    pub fn reencode_audio(
        &mut self,
        p: &SourcePacket,
        source: (usize, usize),
        (base, span): (i64, (i64, i64)),
        uri: &str,
    ) -> Result<(), MediaError> {
        let Some(config) = self.audio.as_ref().map(|t| t.config) else {
            return Ok(());
        };
        if self.stretch.as_ref().is_some_and(|s| s.source != source) {
            self.finish_reencoded_audio()?;
        }
        let stretch = match self.stretch.as_mut() {
            Some(stretch) => stretch,
            None => self.stretch.insert(Stretch::start(
                source,
                &config,
                self.placer.next(),
                base,
                span,
            )?),
        };
        let packets = stretch.feed(p, uri)?;
        self.write_reencoded(packets)
    }

    /// Completes the re-encoded stretch being written, if any; the next
    /// audio frame goes after it.
    pub fn finish_reencoded_audio(&mut self) -> Result<(), MediaError> {
        let Some(stretch) = self.stretch.take() else {
            return Ok(());
        };
        let (packets, end) = stretch.finish()?;
        self.write_reencoded(packets)?;
        self.placer.resume_at(end);
        if let Some(track) = self.audio.as_mut() {
            track.mp3.break_here();
        }
        Ok(())
    }

    /// Writes encoded AAC frames, each at its track sample.
    fn write_reencoded(&mut self, packets: Vec<(Packet, i64)>) -> Result<(), MediaError> {
        let Some(track) = self.audio.as_ref() else {
            return Ok(());
        };
        let (stream, tb, rate, samples) = (
            track.stream,
            track.time_base,
            track.rate,
            track.samples_per_frame,
        );
        for (mut packet, pos) in packets {
            packet.set_pts(Some(pos));
            packet.set_dts(Some(pos));
            packet.set_duration(samples);
            packet.set_flags(codec::packet::Flags::KEY);
            self.file
                .write(packet, stream, Rational::new(1, rate as i32), tb)?;
        }
        Ok(())
    }

    /// Finishes the file (moov first) and moves it into place.
    pub fn finish(mut self) -> Result<(), MediaError> {
        self.finish_reencoded_audio()?;
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

/// Where a copied AAC frame whose own start is `ideal` goes when the track ends at `next`
/// (samples): `None` to drop it (it would play over half a frame late), else how many frames of
/// silence come first (a hole of a whole frame or more), after which it follows contiguously.
fn gapless_place(next: i64, ideal: i64, samples: i64) -> Option<i64> {
    let late = next - ideal;
    if late > samples / 2 {
        return None;
    }
    Some(if late <= -samples { -late / samples } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_aac_is_gapless_at_most_half_a_frame_late_and_under_a_frame_early() {
        // Contiguous from half a frame late to almost a frame early.
        assert_eq!(gapless_place(10_240, 10_240 - 512, 1024), Some(0));
        assert_eq!(gapless_place(10_240, 10_240 + 1023, 1024), Some(0));
        // Later than half a frame: dropped.
        assert_eq!(gapless_place(10_240, 10_240 - 513, 1024), None);
        // A hole of one frame or more: whole frames of silence, the rest taken up early.
        assert_eq!(gapless_place(10_240, 10_240 + 1024, 1024), Some(1));
        assert_eq!(gapless_place(10_240, 10_240 + 3000, 1024), Some(2));
    }
    use super::rescale_round;

    #[test]
    fn ticks_to_samples_rounds() {
        assert_eq!(rescale_round(1920, 48_000, 90_000), 1024);
        assert_eq!(rescale_round(-1920, 48_000, 90_000), -1024);
        assert_eq!(rescale_round(1, 44_100, 90_000), 0);
        assert_eq!(rescale_round(3, 44_100, 90_000), 1);
    }
}
