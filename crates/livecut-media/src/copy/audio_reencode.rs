//! Re-encoded audio in a copied track: a clip whose audio format (codec,
//! sample rate, channel count, AAC object type) differs from the output's
//! copied track (the first clip with audio decides it) is decoded,
//! converted to the track's rate and channels (`transcode::resample`) and
//! encoded again with FFmpeg's AAC encoder (`transcode::audio_encoder`) as AAC-LC of
//! the track's rate and channels, so its frames share the track's one
//! AudioSpecificConfig. Only an AAC-LC track can take them: an MP3 track,
//! an AAC track of another object type, or HE-AAC (whose ADTS headers
//! claim AAC-LC at half the rate: the first clip's audio is decoded to
//! tell) still refuses such a clip.
//!
//! Each run of the clip becomes one *stretch* of whole AAC frames on the
//! track: it starts where the previous frame ended when that is within half
//! a frame of the run's video span (otherwise at the span, leaving a gap,
//! or later, after audio that ran past it), and holds the whole number of
//! frames that ends nearest the span's end. The clip's audio is laid on it
//! exactly as the re-encode modes do (`reencode::span`): cut to the sample
//! at the video span's edges, holes filled with silence, and the rest of
//! the stretch (at most half a frame at either end) silent. So the clip's
//! audio is in sync with its video to the sample, and the stretch's edges
//! are within half a frame of the joins, like copied frames'.
//!
//! The encoder's first packet (its priming frame, before the stretch) is
//! not written: the stretch's first frame decodes after the frame before
//! it in the track, as a copied frame after a join does, so a sound
//! already playing there fades in over that frame.

use ffmpeg_next::codec::decoder;
use ffmpeg_next::{Packet, Rational, frame};

use crate::av::decode;
use crate::codec::AudioCodec;
use crate::select::audio_frames::AudioConfig;
use crate::select::source::{ClipReader, SourcePacket};
use crate::transcode::audio_encoder::{AudioEncoder, PacketSink};
use crate::transcode::audio_lane::{AudioDecoding, Lane, finish_audio, place_audio};
use crate::transcode::span::ticks_to_samples;
use crate::{ClipInput, MediaError};

/// MPEG-4 audio object type of AAC-LC, what FFmpeg's encoder writes.
const AAC_LC: u8 = 2;

/// Whether re-encoded AAC can be written into a copied track of `track`
/// whose first clip's audio decodes to `decoded` (rate, channels; `None`:
/// not known). `Err` says why not, for the message refusing the clip.
/// HE-AAC passes its headers off as AAC-LC at half the rate (and mono for
/// parametric stereo) and shows only when decoded.
pub fn reencodable(track: &AudioConfig, decoded: Option<(u32, usize)>) -> Result<(), String> {
    let AudioConfig::Aac(c) = track else {
        return Err(format!(
            "only an AAC-LC track can take re-encoded audio, and the output's is {}",
            track.describe()
        ));
    };
    if c.object_type != AAC_LC {
        return Err(format!(
            "only an AAC-LC track can take re-encoded audio, and the output's is {}",
            track.describe()
        ));
    }
    if let Some((rate, channels)) = decoded
        && (rate != track.sample_rate() || channels != track.channels() as usize)
    {
        return Err(format!(
            "only an AAC-LC track can take re-encoded audio, and the output's is HE-AAC \
             ({} in its headers, decoding to {rate} Hz, {channels} channels)",
            track.describe()
        ));
    }
    if !(1..=6).contains(&c.channel_config) || c.sample_rate().is_none() {
        return Err(format!(
            "the output's track ({}) has a channel configuration the AAC encoder does not \
             write",
            track.describe()
        ));
    }
    Ok(())
}

/// Packets of a clip's audio decoded to learn its real format.
const PROBE_PACKETS: u32 = 16;

/// The sample rate and channel count the first decodable audio frame of
/// `clip` decodes to (`parsed`: its index's reading mode); `None` if none
/// of its first audio packets decodes.
pub fn decoded_format(clip: &ClipInput, parsed: bool) -> Option<(u32, usize)> {
    let mut reader = ClipReader::with_parsing(clip, parsed);
    let mut decoder: Option<(AudioCodec, decoder::Audio)> = None;
    let mut frame = frame::Audio::empty();
    let mut tried = 0;
    while let Ok(Some(p)) = reader.next() {
        let Some(codec) = p.audio_codec else {
            continue;
        };
        tried += 1;
        if tried > PROBE_PACKETS {
            return None;
        }
        if decoder.as_ref().is_none_or(|(c, _)| *c != codec) {
            decoder = Some((codec, decode::audio(codec).ok()?));
        }
        let (_, d) = decoder.as_mut()?;
        if d.send_packet(&p.packet).is_err() {
            continue;
        }
        if d.receive_frame(&mut frame).is_ok() && frame.rate() > 0 && frame.samples() > 0 {
            let channels = crate::av::frame::channels(&frame);
            if channels > 0 {
                return Some((frame.rate(), channels as usize));
            }
        }
    }
    None
}

/// The packets of encoder calls, in order, before they are placed on the track.
#[derive(Default)]
pub(super) struct Collected(pub(super) Vec<Packet>);

impl PacketSink for Collected {
    fn write_audio(&mut self, packet: Packet, _tb: Rational) -> Result<(), MediaError> {
        self.0.push(packet);
        Ok(())
    }
}

/// One run of a clip, re-encoded onto the track (see the module docs).
pub struct Stretch {
    /// The run: (clip, run).
    pub source: (usize, usize),
    /// Track sample of the encoder's sample 0.
    origin: i64,
    /// Samples the stretch holds (whole frames).
    len: i64,
    /// Taken while a packet is decoded (its frames are placed on `self`).
    decoding: Option<AudioDecoding>,
    /// Places decoded audio in encoder samples (the stretch's sample 0 is
    /// track sample `origin`; `track sample = ticks_to_samples(base +
    /// source pts)`).
    lane: Lane,
    encoder: AudioEncoder,
    collected: Collected,
}

impl Stretch {
    /// A stretch for the run `source` whose video covers `span` (output
    /// ticks; `base` places its source PTS there), on a `track` whose
    /// previous frame ends at track sample `next`.
    pub fn start(
        source: (usize, usize),
        track: &AudioConfig,
        next: i64,
        base: i64,
        span: (i64, i64),
    ) -> Result<Self, MediaError> {
        let rate = track.sample_rate();
        let frame_len = i64::from(track.samples_per_frame());
        let half = frame_len / 2;
        let (a, b) = (
            ticks_to_samples(span.0, rate),
            ticks_to_samples(span.1, rate),
        );
        let origin = if a <= next + half { next } else { a };
        let frames = (b - origin + half).div_euclid(frame_len).max(0);
        let len = frames * frame_len;
        let (first, last) = (a.max(origin), b.min(origin + len));
        let mut collected = Collected::default();
        let mut encoder = AudioEncoder::open(rate, track.channels() as usize)?;
        encoder.align_to((first - origin).clamp(0, len), &mut collected)?;
        Ok(Stretch {
            source,
            origin,
            len,
            decoding: Some(AudioDecoding::new()),
            lane: Lane::new(first - origin, last - origin, base, -origin, rate),
            encoder,
            collected,
        })
    }

    /// Decodes the audio packet `p` (of segment `uri`) and lays what it
    /// yields on the stretch; returns the packets encoded so far, each with
    /// its track sample. A packet that does not decode is skipped with a
    /// warning, as in the re-encode modes (its span becomes silence).
    pub fn feed(&mut self, p: &SourcePacket, uri: &str) -> Result<Vec<(Packet, i64)>, MediaError> {
        if self.len == 0 {
            return Ok(Vec::new());
        }
        let Some(mut decoding) = self.decoding.take() else {
            return Err(MediaError::Internal(
                "the stretch's decoder is in use".into(),
            ));
        };
        let clip = self.source.0;
        let fed = decoding.feed(p, clip, uri, &mut |frame| {
            place_audio(
                &mut self.lane,
                frame,
                &mut self.encoder,
                &mut self.collected,
                clip,
                uri,
            )
        });
        self.decoding = Some(decoding);
        fed?;
        Ok(self.placed())
    }

    /// The encoded packets so far, each with its track sample: the
    /// priming packet (before the stretch) and anything past its end are
    /// left out.
    fn placed(&mut self) -> Vec<(Packet, i64)> {
        let (origin, len) = (self.origin, self.len);
        self.collected
            .0
            .drain(..)
            .filter_map(|packet| {
                let pts = packet.pts()?;
                (0..len).contains(&pts).then_some((packet, origin + pts))
            })
            .collect()
    }

    /// Completes the stretch: the resampler's tail, silence up to the
    /// span's end and the stretch's last frame, the encoder's last
    /// packets. Returns them and the track sample where the stretch ends.
    pub fn finish(mut self) -> Result<(Vec<(Packet, i64)>, i64), MediaError> {
        let end = self.origin + self.len;
        if self.len == 0 {
            return Ok((Vec::new(), end));
        }
        finish_audio(&mut self.lane, &mut self.encoder, &mut self.collected)?;
        self.encoder.align_to(self.len, &mut self.collected)?;
        self.encoder.finish(&mut self.collected)?;
        Ok((self.placed(), end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bitstream::adts::AdtsConfig;
    use crate::bitstream::mpeg_audio::{Mp3Config, Version};

    fn aac(object_type: u8, channel_config: u8) -> AudioConfig {
        AudioConfig::Aac(AdtsConfig {
            object_type,
            sample_rate_index: 3, // 48 kHz
            channel_config,
        })
    }

    #[test]
    fn only_aac_lc_tracks_take_reencoded_audio() {
        assert!(reencodable(&aac(2, 2), None).is_ok());
        assert!(reencodable(&aac(2, 1), Some((48_000, 1))).is_ok());
        let main = reencodable(&aac(1, 2), None).expect_err("AAC Main");
        assert!(main.contains("AAC Main 48000 Hz"), "{main}");
        // HE-AAC: LC at 48 kHz in the headers, 96 kHz decoded.
        let he = reencodable(&aac(2, 2), Some((96_000, 2))).expect_err("HE-AAC");
        assert!(he.contains("HE-AAC"), "{he}");
        // Parametric stereo: mono in the headers.
        assert!(reencodable(&aac(2, 1), Some((96_000, 2))).is_err());
        assert!(reencodable(&aac(2, 7), None).is_err());
    }

    #[test]
    fn a_stretch_is_whole_frames_placed_like_copied_ones() {
        crate::av::init().expect("libav");
        let track = aac(2, 2);
        // Span [1000, 5000) samples at 48 kHz; the previous frame ended at
        // 1200 (within half a frame): the stretch starts there and holds
        // the 4 frames ending nearest 5000.
        let span = (1000 * 90_000 / 48_000, 5000 * 90_000 / 48_000);
        let s = Stretch::start((1, 0), &track, 1200, 0, span).expect("stretch");
        assert_eq!((s.origin, s.len), (1200, 4096));
        let (packets, end) = s.finish().expect("finished");
        assert_eq!(end, 1200 + 4096);
        let positions: Vec<i64> = packets.iter().map(|(_, pos)| *pos).collect();
        assert_eq!(positions, vec![1200, 2224, 3248, 4272]);
        // Far after the previous frame: a gap, the stretch at the span.
        let s = Stretch::start((1, 0), &track, 0, 0, span).expect("stretch");
        assert_eq!((s.origin, s.len), (1000, 4096));
    }

    #[test]
    fn mp3_tracks_refuse() {
        let mp3 = AudioConfig::Mp3(Mp3Config {
            version: Version::Mpeg1,
            sample_rate: 48_000,
            channels: 2,
        });
        let why = reencodable(&mp3, None).expect_err("MP3");
        assert!(why.contains("MP3"), "{why}");
    }
}
