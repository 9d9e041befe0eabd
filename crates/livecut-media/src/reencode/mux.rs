//! The MP4 the re-encoding modes write: the video track takes the
//! encoder's parameters as they are (its global header becomes the single
//! `avcC`, or for HEVC the `hvcC` of an `hvc1` sample entry: parameter
//! sets only there, never in band, which is what Apple players require),
//! and the AAC track the audio encoder's (alone in the file of an
//! audio-only job). Encoders produce proper DTS, so
//! unlike the smart cut nothing is re-stamped here. The file itself (part
//! file, `faststart`, rename) is `av::mp4`'s.

use std::path::Path;

use ffmpeg_next::{Packet, Rational, codec};

use crate::MediaError;
use crate::av::mp4::Mp4File;
use crate::av::params;
use crate::transcode::audio_encoder::PacketSink;

/// The sample entry the video track must have where the muxer's default
/// differs: `hvc1` for HEVC (libavformat would write `hev1`).
fn sample_entry(codec: codec::Id) -> Option<&'static [u8; 4]> {
    match codec {
        codec::Id::HEVC => Some(b"hvc1"),
        _ => None,
    }
}

/// One track to create: the encoder's parameters and its time base.
pub struct TrackSpec<'a> {
    pub parameters: &'a codec::Parameters,
    pub time_base: Rational,
}

pub struct Mp4Sink {
    file: Mp4File,
    /// Stream index and the time base the muxer chose, per track.
    video: Option<(usize, Rational)>,
    audio: Option<(usize, Rational)>,
}

impl Mp4Sink {
    pub fn create(
        path: &Path,
        video: TrackSpec<'_>,
        frame_rate: Rational,
        audio: Option<TrackSpec<'_>>,
    ) -> Result<Self, MediaError> {
        let audio_tb = audio.as_ref().map(|a| a.time_base);
        let (file, (video_index, audio_index)) = Mp4File::create(path, |output| {
            let video_index = params::add_stream(output, video.parameters, video.time_base)
                .map_err(|e| ("adding the video stream", e))?;
            let tag = sample_entry(video.parameters.id());
            // The stream was just added and the header is not written; its
            // fields are ours to set.
            let mut st = output.stream_mut(video_index).ok_or((
                "adding the video stream",
                ffmpeg_next::Error::StreamNotFound,
            ))?;
            st.set_avg_frame_rate(frame_rate);
            st.set_rate(frame_rate);
            if let Some(tag) = tag {
                params::set_tag(&mut st.parameters(), u32::from_le_bytes(*tag));
            }
            let audio_index = audio
                .map(|a| params::add_stream(output, a.parameters, a.time_base))
                .transpose()
                .map_err(|e| ("adding the audio stream", e))?;
            Ok((video_index, audio_index))
        })?;
        let video = Some((video_index, file.time_base(video_index, video.time_base)));
        let audio = audio_index
            .zip(audio_tb)
            .map(|(i, tb)| (i, file.time_base(i, tb)));
        Ok(Mp4Sink { file, video, audio })
    }

    /// A file with only the audio track `audio` (audio-only jobs).
    pub fn create_audio_only(path: &Path, audio: TrackSpec<'_>) -> Result<Self, MediaError> {
        let (file, index) = Mp4File::create(path, |output| {
            params::add_stream(output, audio.parameters, audio.time_base)
                .map_err(|e| ("adding the audio stream", e))
        })?;
        let audio = Some((index, file.time_base(index, audio.time_base)));
        Ok(Mp4Sink {
            file,
            video: None,
            audio,
        })
    }

    /// Writes an encoded video packet whose timestamps are in `tb`.
    pub fn write_video(&mut self, packet: Packet, tb: Rational) -> Result<(), MediaError> {
        let Some((stream, out_tb)) = self.video else {
            return Err(MediaError::Internal(
                "a video packet for an output without video".into(),
            ));
        };
        self.file.write(packet, stream, tb, out_tb)
    }

    /// Writes an encoded audio packet whose timestamps are in `tb`.
    pub fn write_audio(&mut self, packet: Packet, tb: Rational) -> Result<(), MediaError> {
        let Some((stream, out_tb)) = self.audio else {
            return Err(MediaError::Internal(
                "an audio packet for an output without audio".into(),
            ));
        };
        self.file.write(packet, stream, tb, out_tb)
    }

    /// Finishes the file (index first) and moves it into place.
    pub fn finish(self) -> Result<(), MediaError> {
        self.file.finish()
    }
}

impl PacketSink for Mp4Sink {
    fn write_audio(&mut self, packet: Packet, tb: Rational) -> Result<(), MediaError> {
        Mp4Sink::write_audio(self, packet, tb)
    }
}
