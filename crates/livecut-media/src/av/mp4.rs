//! The MP4 file both writers use: written to `<output>.part` with the
//! index in front (`faststart`) and renamed on success, so a failed job
//! never leaves a plausible-looking file behind. What goes into the tracks
//! is the callers' business.

use std::path::{Path, PathBuf};

use ffmpeg_next::format::context::Output;
use ffmpeg_next::{Dictionary, Packet, Rational, format};

use crate::MediaError;
use crate::error::Cause;

/// A libav failure while adding the tracks, with what was being done.
pub type SetupError = (&'static str, ffmpeg_next::Error);

pub struct Mp4File {
    /// `None` once finished.
    output: Option<Output>,
    path: PathBuf,
    part: PathBuf,
}

impl Mp4File {
    /// Creates `<path>.part`, lets `add_tracks` add and describe the
    /// streams, and writes the header. Returns what `add_tracks` returned.
    pub fn create<T>(
        path: &Path,
        add_tracks: impl FnOnce(&mut Output) -> Result<T, SetupError>,
    ) -> Result<(Self, T), MediaError> {
        let part = {
            let mut name = path.as_os_str().to_os_string();
            name.push(".part");
            PathBuf::from(name)
        };
        let fail = |(what, e): SetupError| MediaError::Output {
            path: path.to_path_buf(),
            cause: Cause::libav(what, e),
        };
        let mut output = format::output_as(&part, "mp4").map_err(|e| fail(("creating", e)))?;
        let tracks = add_tracks(&mut output).map_err(fail)?;
        let mut options = Dictionary::new();
        options.set("movflags", "+faststart");
        output
            .write_header_with(options)
            .map_err(|e| fail(("writing the header", e)))?;
        let file = Mp4File {
            output: Some(output),
            path: path.to_path_buf(),
            part,
        };
        Ok((file, tracks))
    }

    /// The time base the muxer chose for stream `index`, which may differ
    /// from the `asked` one.
    pub fn time_base(&self, index: usize, asked: Rational) -> Rational {
        self.output
            .as_ref()
            .and_then(|output| output.stream(index))
            .map_or(asked, |s| s.time_base())
    }

    pub fn error(&self, detail: String) -> MediaError {
        MediaError::Output {
            path: self.path.clone(),
            cause: detail.into(),
        }
    }

    /// Writes `packet`, whose timestamps are in `tb`, to `stream`, whose
    /// time base is `out_tb`.
    pub fn write(
        &mut self,
        mut packet: Packet,
        stream: usize,
        tb: Rational,
        out_tb: Rational,
    ) -> Result<(), MediaError> {
        packet.set_stream(stream);
        packet.set_position(-1);
        if tb != out_tb {
            packet.rescale_ts(tb, out_tb);
        }
        let Some(output) = self.output.as_mut() else {
            return Err(self.error("written after finish".into()));
        };
        packet
            .write_interleaved(output)
            .map_err(|e| MediaError::Output {
                path: self.path.clone(),
                cause: Cause::libav("writing a packet", e),
            })
    }

    /// Finishes the file (index first) and moves it into place.
    pub fn finish(mut self) -> Result<(), MediaError> {
        let Some(mut output) = self.output.take() else {
            return Err(self.error("finished twice".into()));
        };
        output
            .write_trailer()
            .map_err(|e| self.error(format!("writing the trailer: {e}")))?;
        drop(output);
        std::fs::rename(&self.part, &self.path)
            .map_err(|e| self.error(format!("moving {} into place: {e}", self.part.display())))
    }
}

impl Drop for Mp4File {
    fn drop(&mut self) {
        if self.output.take().is_some() {
            // Not finished: an error ended the job; leave no partial file.
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

#[cfg(test)]
mod tests {
    use ffmpeg_next::{codec, ffi};

    use super::*;

    /// Adds one 64x64 H.264 video track (no packets follow).
    fn video_track(output: &mut Output) -> Result<usize, SetupError> {
        let mut par = codec::Parameters::new();
        // SAFETY: a fresh parameter set is filled in field by field.
        unsafe {
            let raw = par.as_mut_ptr();
            (*raw).codec_type = ffi::AVMediaType::AVMEDIA_TYPE_VIDEO;
            (*raw).codec_id = ffi::AVCodecID::AV_CODEC_ID_H264;
            (*raw).width = 64;
            (*raw).height = 64;
        }
        crate::av::params::add_stream(output, &par, Rational::new(1, 90_000))
            .map_err(|e| ("adding the video stream", e))
    }

    #[test]
    fn an_unfinished_file_leaves_nothing_behind() {
        crate::av::init().expect("libav");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.mp4");
        let (file, index) = Mp4File::create(&path, video_track).expect("created");
        assert_eq!(index, 0);
        let part = dir.path().join("out.mp4.part");
        assert!(part.exists(), "the part file is written while open");
        drop(file);
        assert!(!part.exists() && !path.exists());
    }

    #[test]
    fn a_finished_file_is_moved_into_place() {
        crate::av::init().expect("libav");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.mp4");
        let (file, _) = Mp4File::create(&path, video_track).expect("created");
        file.finish().expect("finished");
        assert!(path.exists());
        assert!(!dir.path().join("out.mp4.part").exists());
    }

    #[test]
    fn setup_failures_name_the_step_and_the_file() {
        crate::av::init().expect("libav");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.mp4");
        let failed = Mp4File::create(&path, |_| -> Result<(), SetupError> {
            Err((
                "setting the avcC",
                ffmpeg_next::Error::Other {
                    errno: libc::ENOMEM,
                },
            ))
        });
        let Err(err) = failed else {
            panic!("the setup failure was ignored");
        };
        let text = err.to_string();
        assert!(text.contains("setting the avcC"), "{text}");
        assert!(text.contains("out.mp4"), "{text}");
        assert!(!path.exists());
    }
}
