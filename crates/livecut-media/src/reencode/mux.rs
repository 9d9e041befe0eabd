//! The MP4 the re-encoding modes write: the video track takes the
//! encoder's parameters as they are (its global header becomes the single
//! `avcC`), and the AAC track the audio encoder's. Encoders produce proper
//! DTS, so unlike the smart cut nothing is re-stamped here. Written to
//! `<output>.part` with the index in front (`faststart`) and renamed on
//! success, so a failed job never leaves a plausible-looking file.

use std::path::{Path, PathBuf};

use ffmpeg_next::format::context::Output;
use ffmpeg_next::{Dictionary, Packet, Rational, codec, format};

use crate::MediaError;
use crate::av::params;

/// One track to create: the encoder's parameters and its time base.
pub struct TrackSpec<'a> {
    pub parameters: &'a codec::Parameters,
    pub time_base: Rational,
}

pub struct Mp4Sink {
    output: Option<Output>,
    path: PathBuf,
    part: PathBuf,
    /// Stream index and the time base the muxer chose, per track.
    video: (usize, Rational),
    audio: Option<(usize, Rational)>,
}

impl Mp4Sink {
    pub fn create(
        path: &Path,
        video: TrackSpec<'_>,
        frame_rate: Rational,
        audio: Option<TrackSpec<'_>>,
    ) -> Result<Self, MediaError> {
        let part = {
            let mut name = path.as_os_str().to_os_string();
            name.push(".part");
            PathBuf::from(name)
        };
        let fail = |what: &str, e: ffmpeg_next::Error| MediaError::Output {
            path: path.to_path_buf(),
            detail: format!("{what}: {e}"),
        };
        let mut output = format::output_as(&part, "mp4").map_err(|e| fail("creating", e))?;
        let video_index = params::add_stream(&mut output, video.parameters, video.time_base)
            .map_err(|e| fail("adding the video stream", e))?;
        // SAFETY: the stream was just added and the header is not written;
        // its fields are ours to set.
        unsafe {
            let st = *(*output.as_mut_ptr()).streams.add(video_index);
            (*st).avg_frame_rate = frame_rate.into();
            (*st).r_frame_rate = frame_rate.into();
        }
        let audio_tb = audio.as_ref().map(|a| a.time_base);
        let audio_index = audio
            .map(|a| params::add_stream(&mut output, a.parameters, a.time_base))
            .transpose()
            .map_err(|e| fail("adding the audio stream", e))?;
        let mut options = Dictionary::new();
        options.set("movflags", "+faststart");
        output
            .write_header_with(options)
            .map_err(|e| fail("writing the header", e))?;
        // The muxer may have picked other time bases than requested.
        let chosen =
            |index: usize, asked: Rational| output.stream(index).map_or(asked, |s| s.time_base());
        let video = (video_index, chosen(video_index, video.time_base));
        let audio = audio_index.zip(audio_tb).map(|(i, tb)| (i, chosen(i, tb)));
        Ok(Mp4Sink {
            output: Some(output),
            path: path.to_path_buf(),
            part,
            video,
            audio,
        })
    }

    fn output_error(&self, detail: String) -> MediaError {
        MediaError::Output {
            path: self.path.clone(),
            detail,
        }
    }

    fn write(
        &mut self,
        mut packet: Packet,
        (stream, out_tb): (usize, Rational),
        tb: Rational,
    ) -> Result<(), MediaError> {
        packet.set_stream(stream);
        packet.set_position(-1);
        if tb != out_tb {
            packet.rescale_ts(tb, out_tb);
        }
        let Some(output) = self.output.as_mut() else {
            return Err(self.output_error("written after finish".into()));
        };
        packet
            .write_interleaved(output)
            .map_err(|e| MediaError::Output {
                path: self.path.clone(),
                detail: format!("writing a packet: {e}"),
            })
    }

    /// Writes an encoded video packet whose timestamps are in `tb`.
    pub fn write_video(&mut self, packet: Packet, tb: Rational) -> Result<(), MediaError> {
        self.write(packet, self.video, tb)
    }

    /// Writes an encoded audio packet whose timestamps are in `tb`.
    pub fn write_audio(&mut self, packet: Packet, tb: Rational) -> Result<(), MediaError> {
        let Some(audio) = self.audio else {
            return Err(MediaError::Internal(
                "an audio packet for an output without audio".into(),
            ));
        };
        self.write(packet, audio, tb)
    }

    /// Finishes the file (index first) and moves it into place.
    pub fn finish(mut self) -> Result<(), MediaError> {
        let Some(mut output) = self.output.take() else {
            return Err(self.output_error("finished twice".into()));
        };
        output
            .write_trailer()
            .map_err(|e| self.output_error(format!("writing the trailer: {e}")))?;
        drop(output);
        std::fs::rename(&self.part, &self.path).map_err(|e| {
            self.output_error(format!("moving {} into place: {e}", self.part.display()))
        })
    }
}

impl Drop for Mp4Sink {
    fn drop(&mut self) {
        if self.output.take().is_some() {
            // Not finished: an error ended the job; leave no partial file.
            let _ = std::fs::remove_file(&self.part);
        }
    }
}
