//! JPEG encoding with FFmpeg's `mjpeg` encoder, and writing the file so
//! that a reader never sees a partial one.

use std::io::Write;
use std::path::{Path, PathBuf};

use ffmpeg_next::codec::{self, encoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::util::color;
use ffmpeg_next::{Dictionary, Error, Packet, Rational, frame};

use crate::MediaError;
use crate::av;
use crate::av::codec_context::QP2LAMBDA;
use crate::av::video_encoder::is_again;
use crate::error::Cause;

/// Fixed quantiser scale: 2 is the finest the encoder's default limits
/// allow; the pattern's cell edges and any text stay crisp, at roughly
/// 3 bits per pixel.
const QSCALE: i32 = 2;

fn encoder_error(cause: Cause) -> MediaError {
    MediaError::Encoder { clip: None, cause }
}

fn open(width: u32, height: u32, sample_aspect: Rational) -> Result<encoder::Video, Error> {
    let codec = encoder::find_by_name("mjpeg").ok_or(Error::EncoderNotFound)?;
    let mut ctx = codec::context::Context::new_with_codec(codec)
        .encoder()
        .video()?;
    ctx.set_width(width);
    ctx.set_height(height);
    ctx.set_format(Pixel::YUVJ420P);
    ctx.set_color_range(color::Range::JPEG);
    ctx.set_colorspace(color::Space::BT470BG);
    // A still image needs a time base all the same.
    ctx.set_time_base(Rational::new(1, 25));
    // The JFIF header carries this, so a non-square source stays right.
    ctx.set_aspect_ratio(sample_aspect);
    ctx.set_flags(codec::Flags::QSCALE);
    ctx.set_global_quality(QSCALE * QP2LAMBDA);
    ctx.open_with(Dictionary::new())
}

/// Encodes one full-range 4:2:0 picture (see `picture::render`).
pub fn encode(picture: &mut frame::Video, sample_aspect: Rational) -> Result<Vec<u8>, MediaError> {
    let mut encoder = open(picture.width(), picture.height(), sample_aspect)
        .map_err(|e| encoder_error(Cause::libav("opening the mjpeg encoder", e)))?;
    picture.set_pts(Some(0));
    // With QSCALE the encoder takes the quantiser from the frame's quality.
    av::frame::set_quality(picture, QSCALE * QP2LAMBDA);
    encoder
        .send_frame(picture)
        .map_err(|e| encoder_error(Cause::libav("mjpeg rejected the picture", e)))?;
    encoder
        .send_eof()
        .map_err(|e| encoder_error(Cause::libav("flushing mjpeg", e)))?;
    let mut jpeg = Vec::new();
    loop {
        let mut packet = Packet::empty();
        match encoder.receive_packet(&mut packet) {
            Ok(()) => jpeg.extend_from_slice(packet.data().unwrap_or(&[])),
            Err(Error::Eof) => break,
            Err(e) if is_again(&e) => break,
            Err(e) => return Err(encoder_error(Cause::libav("mjpeg failed", e))),
        }
    }
    if !jpeg.starts_with(&[0xFF, 0xD8]) {
        return Err(encoder_error("mjpeg produced no JPEG image".into()));
    }
    Ok(jpeg)
}

/// `<path>.part`, next to the target so the rename stays on one file system.
fn part_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".part");
    PathBuf::from(name)
}

/// Writes `bytes` to `<path>.part`, syncs it and renames it to `path`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), MediaError> {
    let part = part_path(path);
    let written = std::fs::File::create(&part)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&part, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&part);
        MediaError::Output {
            path: path.to_path_buf(),
            cause: e.into(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grey_picture(width: u32, height: u32) -> frame::Video {
        let mut frame = frame::Video::new(Pixel::YUVJ420P, width, height);
        for plane in 0..3 {
            frame.data_mut(plane).fill(128);
        }
        frame
    }

    #[test]
    fn encodes_a_complete_jfif_image_of_odd_size() {
        crate::av::init().expect("libav");
        let mut picture = grey_picture(101, 57);
        let jpeg = encode(&mut picture, Rational::new(1, 1)).expect("encodes");
        assert!(jpeg.starts_with(&[0xFF, 0xD8]), "SOI");
        assert!(jpeg.ends_with(&[0xFF, 0xD9]), "EOI");
        assert!(jpeg.windows(4).any(|w| w == b"JFIF"), "JFIF header");
    }

    #[test]
    fn writes_atomically_and_reports_unwritable_places() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cover.jpg");
        write_atomically(&path, b"\xFF\xD8data\xFF\xD9").expect("written");
        assert_eq!(
            std::fs::read(&path).expect("read back"),
            b"\xFF\xD8data\xFF\xD9"
        );
        assert!(!part_path(&path).exists(), "no leftover part file");

        let nowhere = dir.path().join("missing-dir").join("cover.jpg");
        let err = write_atomically(&nowhere, b"x").expect_err("no directory");
        assert!(matches!(err, MediaError::Output { .. }), "{err}");
        assert!(err.to_string().contains("missing-dir"), "{err}");
    }
}
