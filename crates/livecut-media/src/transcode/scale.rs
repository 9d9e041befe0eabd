//! Decoded pictures -> output pictures: scaled with libswscale to fit the
//! output size (see `crate::geometry`), centred on a black 4:2:0 canvas
//! with square pixels, 8-bit (`yuv420p`) or 10-bit (`yuv420p10le`) as the
//! output codec takes it. Any decoded format libswscale reads (8-bit
//! H.264, 10-bit HEVC, ...) converts to either. The scaler writes straight
//! into the canvas at the picture's offset, so padding costs no extra copy;
//! the bars are painted once, when the canvas is made.

use std::ptr;

use ffmpeg_next::ffi::AVPixelFormat;
use ffmpeg_next::format::Pixel;
use ffmpeg_next::util::color;
use ffmpeg_next::{Rational, ffi, frame};

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
    // SAFETY: reading plain fields of a decoded frame.
    let raw = unsafe { &*frame.as_ptr() };
    let yuvj = matches!(
        frame.format(),
        Pixel::YUVJ420P | Pixel::YUVJ422P | Pixel::YUVJ444P | Pixel::YUVJ440P | Pixel::YUVJ411P
    );
    SourceKey {
        width: raw.width,
        height: raw.height,
        format: raw.format,
        full_range: yuvj || raw.color_range == ffi::AVColorRange::AVCOL_RANGE_JPEG,
        sample_aspect: (raw.sample_aspect_ratio.num, raw.sample_aspect_ratio.den),
    }
}

pub struct Scaler {
    sws: *mut ffi::SwsContext,
    key: SourceKey,
    place: Placement,
    sample_bytes: usize,
    canvas: frame::Video,
}

/// A black YUV 4:2:0 frame of the output size and sample depth, with its
/// colour description.
fn canvas(out: &OutputPicture) -> Result<frame::Video, String> {
    let mut frame = frame::Video::empty();
    let ten_bit = out.sample_bytes() == 2;
    // Black and neutral chroma, at 8 or 10 bits.
    let (luma, chroma): (u16, u16) = match (ten_bit, out.full_range()) {
        (false, false) => (16, 128),
        (false, true) => (0, 128),
        (true, false) => (64, 512),
        (true, true) => (0, 512),
    };
    // SAFETY: a fresh frame is described, given buffers (checked), and
    // each plane's `linesize * rows` bytes, all inside its buffer, set.
    unsafe {
        let raw = frame.as_mut_ptr();
        (*raw).format = AVPixelFormat::from(out.pixel) as i32;
        (*raw).width = out.size.width as i32;
        (*raw).height = out.size.height as i32;
        let ret = ffi::av_frame_get_buffer(raw, 0);
        if ret < 0 {
            return Err(format!(
                "allocating a {}x{} picture: {}",
                out.size.width,
                out.size.height,
                ffmpeg_next::Error::from(ret)
            ));
        }
        let rows = [out.size.height, out.size.height / 2, out.size.height / 2];
        for (plane, rows) in rows.iter().enumerate() {
            let value = if plane == 0 { luma } else { chroma };
            let bytes = (*raw).linesize[plane] as usize * *rows as usize;
            let data = (*raw).data[plane];
            if ten_bit {
                let pair = value.to_le_bytes();
                for at in (0..bytes).step_by(2) {
                    *data.add(at) = pair[0];
                    *data.add(at + 1) = pair[1];
                }
            } else {
                ptr::write_bytes(data, value as u8, bytes);
            }
        }
    }
    frame.set_color_range(out.range);
    frame.set_color_primaries(out.primaries);
    frame.set_color_transfer_characteristic(out.transfer);
    frame.set_color_space(out.space);
    // SAFETY: plain field write.
    unsafe { (*frame.as_mut_ptr()).sample_aspect_ratio = Rational::new(1, 1).into() };
    Ok(frame)
}

impl Scaler {
    /// A scaler for frames like `first` into `out`.
    pub fn new(first: &frame::Video, out: &OutputPicture) -> Result<Self, String> {
        let key = key_of(first);
        if key.width <= 0 || key.height <= 0 || key.format < 0 {
            return Err(format!(
                "a decoded picture of {}x{} in pixel format {}",
                key.width, key.height, key.format
            ));
        }
        let place = fit(
            SourceShape {
                width: key.width as u32,
                height: key.height as u32,
                sample_aspect: key.sample_aspect,
            },
            out.size,
        );
        // SAFETY: the format value came from libav as an AVPixelFormat;
        // the coefficient tables are static inside libswscale.
        let sws = unsafe {
            let sws = ffi::sws_getContext(
                key.width,
                key.height,
                std::mem::transmute::<i32, ffi::AVPixelFormat>(key.format),
                place.width as i32,
                place.height as i32,
                AVPixelFormat::from(out.pixel),
                ffi::SWS_BICUBIC,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null(),
            );
            if sws.is_null() {
                return Err(format!(
                    "libswscale cannot convert {:?} {}x{} to {:?} {}x{}",
                    first.format(),
                    key.width,
                    key.height,
                    out.pixel,
                    place.width,
                    place.height
                ));
            }
            // Only the range needs converting: libswscale does not change
            // YUV matrices between YUV formats, so the tables are nominal.
            let table = ffi::sws_getCoefficients(ffi::SWS_CS_DEFAULT);
            if ffi::sws_setColorspaceDetails(
                sws,
                table,
                i32::from(key.full_range),
                table,
                i32::from(out.full_range()),
                0,
                1 << 16,
                1 << 16,
            ) < 0
            {
                tracing::debug!("libswscale keeps the source's colour range");
            }
            sws
        };
        let canvas = match canvas(out) {
            Ok(c) => c,
            Err(e) => {
                // SAFETY: the context was created above and is not used again.
                unsafe { ffi::sws_freeContext(sws) };
                return Err(e);
            }
        };
        Ok(Scaler {
            sws,
            key,
            place,
            sample_bytes: out.sample_bytes(),
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
        let (x, y) = (self.place.x as usize, self.place.y as usize);
        let bytes = self.sample_bytes;
        // SAFETY: the canvas is made writable (copied if the encoder still
        // holds it) before its planes are addressed; the offsets lie inside
        // the planes because the placement fits the canvas and is even;
        // the source planes are the decoded frame's own.
        unsafe {
            let canvas = self.canvas.as_mut_ptr();
            let ret = ffi::av_frame_make_writable(canvas);
            if ret < 0 {
                return Err(format!(
                    "making the output picture writable: {}",
                    ffmpeg_next::Error::from(ret)
                ));
            }
            let stride = (*canvas).linesize;
            let dst: [*mut u8; 4] = [
                (*canvas).data[0].add(y * stride[0] as usize + x * bytes),
                (*canvas).data[1].add(y / 2 * stride[1] as usize + x / 2 * bytes),
                (*canvas).data[2].add(y / 2 * stride[2] as usize + x / 2 * bytes),
                ptr::null_mut(),
            ];
            let dst_stride = [stride[0], stride[1], stride[2], 0];
            let src = frame.as_ptr();
            let rows = ffi::sws_scale(
                self.sws,
                (*src).data.as_ptr() as *const *const u8,
                (*src).linesize.as_ptr(),
                0,
                (*src).height,
                dst.as_ptr(),
                dst_stride.as_ptr(),
            );
            if rows <= 0 {
                return Err(format!("libswscale failed ({rows})"));
            }
        }
        Ok(&mut self.canvas)
    }
}

impl Drop for Scaler {
    fn drop(&mut self) {
        // SAFETY: created by sws_getContext, freed once.
        unsafe { ffi::sws_freeContext(self.sws) };
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
