//! Decoded pictures -> output pictures: scaled with libswscale to fit the
//! output size (see `crate::geometry`), centred on a black 4:2:0 canvas
//! with square pixels, 8-bit (`yuv420p`) or 10-bit (`yuv420p10le`) as the
//! output codec takes it. Any decoded format libswscale reads (8-bit
//! H.264, 10-bit HEVC, ...) converts to either. The scaler writes straight
//! into the canvas at the picture's offset, so padding costs no extra copy;
//! the bars are painted once, when the canvas is made.

use ffmpeg_next::format::Pixel;
use ffmpeg_next::util::color;
use ffmpeg_next::{Rational, frame};

use crate::av::{
    self,
    scale::{self, Matrix, ScaleError, Side},
};
use crate::geometry::{Placement, Size, SourceShape, fit};

/// The output picture's size and colour description (the first clip's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputPicture {
    pub size: Size,
    /// `YUV420P` or `YUV420P10LE`.
    pub pixel: Pixel,
    pub range: color::Range,
    pub primaries: color::Primaries,
    pub transfer: color::TransferCharacteristic,
    pub space: color::Space,
}

impl OutputPicture {
    fn full_range(&self) -> bool {
        self.range == color::Range::JPEG
    }

    /// Bytes per sample of the canvas.
    fn sample_bytes(&self) -> usize {
        if self.pixel == Pixel::YUV420P10LE {
            2
        } else {
            1
        }
    }
}

/// What a scaler was built for; a frame that differs needs another one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SourceKey {
    width: i32,
    height: i32,
    format: i32,
    full_range: bool,
    sample_aspect: (i32, i32),
}

fn key_of(frame: &frame::Video) -> SourceKey {
    let yuvj = matches!(
        frame.format(),
        Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P | Pixel::YUVJ411P
    );
    let sar = frame.aspect_ratio();
    SourceKey {
        width: frame.width() as i32,
        height: frame.height() as i32,
        format: av::frame::raw_format(frame),
        full_range: yuvj || frame.color_range() == color::Range::JPEG,
        sample_aspect: (sar.numerator(), sar.denominator()),
    }
}

pub struct Scaler {
    sws: scale::Scaler,
    key: SourceKey,
    place: Placement,
    canvas: frame::Video,
}

/// A black YUV 4:2:0 frame of the output size and sample depth, with its
/// colour description.
fn canvas(out: &OutputPicture) -> Result<frame::Video, String> {
    let ten_bit = out.sample_bytes() == 2;
    // Black and neutral chroma, at 8 or 10 bits.
    let (luma, chroma): (u16, u16) = match (ten_bit, out.full_range()) {
        (false, false) => (16, 128),
        (false, true) => (0, 128),
        (true, false) => (64, 512),
        (true, true) => (0, 512),
    };
    let mut frame = av::frame::video(out.pixel, out.size.width, out.size.height).map_err(|e| {
        format!(
            "allocating a {}x{} picture: {e}",
            out.size.width, out.size.height
        )
    })?;
    for plane in 0..3 {
        let value = if plane == 0 { luma } else { chroma };
        let data = frame.data_mut(plane);
        if ten_bit {
            let pair = value.to_le_bytes();
            for sample in data.chunks_exact_mut(2) {
                sample.copy_from_slice(&pair);
            }
        } else {
            data.fill(value as u8);
        }
    }
    frame.set_color_range(out.range);
    frame.set_color_primaries(out.primaries);
    frame.set_color_transfer_characteristic(out.transfer);
    frame.set_color_space(out.space);
    av::frame::set_sample_aspect_ratio(&mut frame, Rational::new(1, 1));
    Ok(frame)
}

impl Scaler {
    /// A scaler for frames like `first` into `out`.
    pub fn new(first: &frame::Video, out: &OutputPicture) -> Result<Self, String> {
        let key = key_of(first);
        let format = av::pixel::from_raw(key.format);
        let Some(format) = format.filter(|_| key.width > 0 && key.height > 0) else {
            return Err(format!(
                "a decoded picture of {}x{} in pixel format {}",
                key.width, key.height, key.format
            ));
        };
        let place = fit(
            SourceShape {
                width: key.width as u32,
                height: key.height as u32,
                sample_aspect: key.sample_aspect,
            },
            out.size,
        );
        let source = Side {
            width: key.width as u32,
            height: key.height as u32,
            format,
        };
        let scaled = Side {
            width: place.width,
            height: place.height,
            format: out.pixel,
        };
        let mut sws = scale::Scaler::bicubic(source, scaled).ok_or_else(|| {
            format!(
                "libswscale cannot convert {:?} {}x{} to {:?} {}x{}",
                first.format(),
                key.width,
                key.height,
                out.pixel,
                place.width,
                place.height
            )
        })?;
        // Only the range needs converting: libswscale does not change
        // YUV matrices between YUV formats, so the tables are nominal.
        if !sws.set_colorspace(
            Matrix::Default,
            key.full_range,
            Matrix::Default,
            out.full_range(),
        ) {
            tracing::debug!("libswscale keeps the source's colour range");
        }
        let canvas = canvas(out)?;
        Ok(Scaler {
            sws,
            key,
            place,
            canvas,
        })
    }

    /// Whether `frame` has the size and format this scaler was built for.
    pub fn accepts(&self, frame: &frame::Video) -> bool {
        key_of(frame) == self.key
    }

    /// The output picture for `frame` (which must be accepted). The
    /// returned frame carries no timestamp; the caller sets it.
    pub fn scale(&mut self, frame: &frame::Video) -> Result<&mut frame::Video, String> {
        if !self.accepts(frame) {
            return Err("the picture format changed under the scaler".into());
        }
        // The canvas is made writable (copied if the encoder still holds
        // it) before the picture goes into its place.
        self.sws
            .scale_at(frame, &mut self.canvas, self.place.x, self.place.y)
            .map_err(|e| match e {
                ScaleError::NotWritable(e) => {
                    format!("making the output picture writable: {e}")
                }
                ScaleError::Failed(rows) => format!("libswscale failed ({rows})"),
                ScaleError::Mismatch(why) => why.into(),
            })?;
        Ok(&mut self.canvas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat_source(width: u32, height: u32, luma: u8) -> frame::Video {
        let mut f = frame::Video::new(Pixel::YUV420P, width, height);
        f.data_mut(0).fill(luma);
        f.data_mut(1).fill(128);
        f.data_mut(2).fill(128);
        f
    }

    fn out(width: u32, height: u32) -> OutputPicture {
        OutputPicture {
            size: Size { width, height },
            pixel: Pixel::YUV420P,
            range: color::Range::MPEG,
            primaries: color::Primaries::BT709,
            transfer: color::TransferCharacteristic::BT709,
            space: color::Space::BT709,
        }
    }

    /// Rows of the luma plane, without stride padding.
    fn luma_rows(f: &frame::Video) -> Vec<Vec<u8>> {
        let (w, stride) = (f.width() as usize, f.stride(0));
        f.data(0)
            .chunks(stride)
            .take(f.height() as usize)
            .map(|r| r[..w].to_vec())
            .collect()
    }

    #[test]
    fn letterboxes_onto_black_and_fills_the_picture() {
        crate::av::init().expect("libav");
        // 64x36 (16:9) into 48x48: picture 48x28 at y = 10.
        let source = flat_source(64, 36, 200);
        let mut scaler = Scaler::new(&source, &out(48, 48)).expect("scaler");
        let picture = scaler.scale(&source).expect("scaled");
        assert_eq!((picture.width(), picture.height()), (48, 48));
        assert_eq!(picture.format(), Pixel::YUV420P);
        assert_eq!(picture.aspect_ratio(), Rational::new(1, 1));
        let rows = luma_rows(picture);
        for (y, row) in rows.iter().enumerate() {
            let want = if (10..38).contains(&y) { 200 } else { 16 };
            assert!(
                row.iter().all(|&v| v.abs_diff(want) <= 1),
                "row {y}: {row:?}"
            );
        }
    }

    #[test]
    fn another_format_needs_another_scaler() {
        crate::av::init().expect("libav");
        let source = flat_source(64, 36, 100);
        let mut scaler = Scaler::new(&source, &out(64, 36)).expect("scaler");
        let other = flat_source(32, 18, 100);
        assert!(scaler.accepts(&source));
        assert!(!scaler.accepts(&other));
        assert!(scaler.scale(&other).is_err());
        // Same size and aspect: the whole picture, no bars.
        let picture = scaler.scale(&source).expect("scaled");
        assert!(
            luma_rows(picture)
                .iter()
                .flatten()
                .all(|&v| v.abs_diff(100) <= 1)
        );
    }

    /// A flat 10-bit picture (little-endian samples).
    fn flat_source_10(width: u32, height: u32, luma: u16) -> frame::Video {
        let mut f = frame::Video::new(Pixel::YUV420P10LE, width, height);
        for (plane, value) in [(0, luma), (1, 512), (2, 512)] {
            for pair in f.data_mut(plane).chunks_exact_mut(2) {
                pair.copy_from_slice(&value.to_le_bytes());
            }
        }
        f
    }

    /// Rows of 10-bit luma samples, without stride padding.
    fn luma_rows_10(f: &frame::Video) -> Vec<Vec<u16>> {
        let (w, stride) = (f.width() as usize, f.stride(0));
        f.data(0)
            .chunks(stride)
            .take(f.height() as usize)
            .map(|r| {
                r[..2 * w]
                    .chunks_exact(2)
                    .map(|p| u16::from_le_bytes([p[0], p[1]]))
                    .collect()
            })
            .collect()
    }

    fn out_10(width: u32, height: u32) -> OutputPicture {
        OutputPicture {
            pixel: Pixel::YUV420P10LE,
            ..out(width, height)
        }
    }

    #[test]
    fn ten_bit_pictures_letterbox_onto_a_ten_bit_canvas() {
        crate::av::init().expect("libav");
        // 64x36 into 48x48: picture 48x28 at y = 10, bars at 10-bit black.
        let source = flat_source_10(64, 36, 800);
        let mut scaler = Scaler::new(&source, &out_10(48, 48)).expect("scaler");
        let picture = scaler.scale(&source).expect("scaled");
        assert_eq!(picture.format(), Pixel::YUV420P10LE);
        assert_eq!((picture.width(), picture.height()), (48, 48));
        for (y, row) in luma_rows_10(picture).iter().enumerate() {
            let want = if (10..38).contains(&y) { 800 } else { 64 };
            assert!(
                row.iter().all(|&v| v.abs_diff(want) <= 4),
                "row {y}: {row:?}"
            );
        }
        // Chroma is neutral everywhere, bars included.
        let chroma = picture.data(1);
        let (w, stride) = (24usize, picture.stride(1));
        for row in chroma.chunks(stride).take(24) {
            for p in row[..2 * w].chunks_exact(2) {
                assert!(u16::from_le_bytes([p[0], p[1]]).abs_diff(512) <= 4);
            }
        }
    }

    #[test]
    fn depths_convert_both_ways() {
        crate::av::init().expect("libav");
        // 8-bit 200 is 10-bit 800, and back.
        let eight = flat_source(64, 36, 200);
        let mut up = Scaler::new(&eight, &out_10(64, 36)).expect("scaler");
        let picture = up.scale(&eight).expect("scaled");
        assert!(
            luma_rows_10(picture)
                .iter()
                .flatten()
                .all(|&v| v.abs_diff(800) <= 4)
        );
        let ten = flat_source_10(64, 36, 800);
        let mut down = Scaler::new(&ten, &out(32, 18)).expect("scaler");
        assert!(!down.accepts(&eight));
        let picture = down.scale(&ten).expect("scaled");
        assert_eq!(picture.format(), Pixel::YUV420P);
        assert!(
            luma_rows(picture)
                .iter()
                .flatten()
                .all(|&v| v.abs_diff(200) <= 1)
        );
    }
}
