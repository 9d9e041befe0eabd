//! The cover picture: the decoded frame scaled into its place with black
//! around it, as full-range BT.601 4:2:0, which is what a JFIF reader
//! assumes whatever the source used.
//!
//! swscale is configured through its options instead of `sws_getContext`
//! so that the ranges are known before initialisation: passing the
//! deprecated `yuvj*` formats would log a warning on every cover, and
//! changing the range after an unscaled (same-size) setup is not honoured.

use ffmpeg_next::format::Pixel;
use ffmpeg_next::frame;
use ffmpeg_next::util::color;

use crate::MediaError;
use crate::av::scale::{self, Matrix, ScaleError, SetupError, Side};
use crate::geometry::{Placement, Size};

/// Black in full-range YUV.
const BLACK_LUMA: u8 = 0;
const NEUTRAL_CHROMA: u8 = 128;

/// A `yuvj*` format is its `yuv*` twin with full range.
fn split_jpeg_format(format: Pixel) -> (Pixel, bool) {
    match format {
        Pixel::YUVJ420P => (Pixel::YUV420P, true),
        Pixel::YUVJ422P => (Pixel::YUV422P, true),
        Pixel::YUVJ444P => (Pixel::YUV444P, true),
        Pixel::YUVJ440P => (Pixel::YUV440P, true),
        Pixel::YUVJ411P => (Pixel::YUV411P, true),
        other => (other, false),
    }
}

/// swscale's matrix for a colour space; unspecified is BT.601, as in
/// the ffmpeg tools.
fn sws_matrix(space: color::Space) -> Matrix {
    match space {
        color::Space::BT709 => Matrix::Itu709,
        color::Space::FCC => Matrix::Fcc,
        color::Space::SMPTE240M => Matrix::Smpte240m,
        color::Space::BT2020NCL | color::Space::BT2020CL => Matrix::Bt2020,
        _ => Matrix::Default,
    }
}

fn scale_error(detail: String) -> MediaError {
    MediaError::Internal(format!("cover scaling: {detail}"))
}

/// An initialised swscale context.
struct Scaler(scale::Scaler);

impl Scaler {
    /// From `source`'s size, format, range and matrix to full-range
    /// BT.601 YUV 4:2:0 of `width` x `height`.
    fn new(source: &frame::Video, width: u32, height: u32) -> Result<Self, MediaError> {
        let (format, jpeg) = split_jpeg_format(source.format());
        let full_range = jpeg || source.color_range() == color::Range::JPEG;
        let src = Side {
            width: source.width(),
            height: source.height(),
            format,
        };
        let dst = Side {
            width,
            height,
            format: Pixel::YUV420P,
        };
        let mut scaler =
            scale::Scaler::configured(src, full_range, dst, true, true).map_err(|e| match e {
                SetupError::OutOfMemory => scale_error("out of memory".into()),
                SetupError::OptionRefused(name) => scale_error(format!("option {name:?} refused")),
                SetupError::Init => scale_error(format!(
                    "cannot convert {format:?} {}x{} to {width}x{height}",
                    source.width(),
                    source.height()
                )),
            })?;
        let matrix = sws_matrix(source.color_space());
        if !scaler.set_colorspace(matrix, full_range, Matrix::Itu601, true) {
            // Only RGB-like sources refuse this, and H.264 is YUV; the
            // picture is still right up to the matrix.
            tracing::warn!("cover: swscale ignores the source colour matrix");
        }
        Ok(Scaler(scaler))
    }

    fn run(&mut self, source: &frame::Video, target: &mut frame::Video) -> Result<(), MediaError> {
        self.0.scale(source, target).map_err(|e| match e {
            ScaleError::Failed(rows) => scale_error(format!("sws_scale returned {rows}")),
            ScaleError::Mismatch(why) => scale_error(why.into()),
            ScaleError::NotWritable(e) => scale_error(format!("making the picture writable: {e}")),
        })
    }
}

/// A YUV 4:2:0 frame, checked to be allocated (`frame::Video::new` does
/// not report a failed allocation).
fn new_yuv420(width: u32, height: u32) -> Result<frame::Video, MediaError> {
    let frame = frame::Video::new(Pixel::YUV420P, width, height);
    if frame.planes() != 3 {
        return Err(scale_error(format!(
            "cannot allocate a {width}x{height} picture"
        )));
    }
    Ok(frame)
}

/// Copies `content` into `canvas` at the even offset `(x, y)`.
fn blit(content: &frame::Video, canvas: &mut frame::Video, x: u32, y: u32) {
    for plane in 0..3 {
        let shift = if plane == 0 { 0 } else { 1 };
        let (cx, cy) = ((x >> shift) as usize, (y >> shift) as usize);
        let row_len = content.plane_width(plane) as usize;
        let (src_stride, dst_stride) = (content.stride(plane), canvas.stride(plane));
        let src = content.data(plane);
        let dst = canvas.data_mut(plane);
        for row in 0..content.plane_height(plane) as usize {
            let from = src.get(row * src_stride..row * src_stride + row_len);
            let at = (cy + row) * dst_stride + cx;
            let to = dst.get_mut(at..at + row_len);
            if let (Some(from), Some(to)) = (from, to) {
                to.copy_from_slice(from);
            }
        }
    }
}

/// Scales `source` into `content`, a place inside a picture of size
/// `out` padded with black. The result is labelled `yuvj420p`, full range,
/// for the JPEG encoder.
pub fn render(
    source: &frame::Video,
    out: Size,
    content: &Placement,
) -> Result<frame::Video, MediaError> {
    let mut scaler = Scaler::new(source, content.width, content.height)?;
    let mut scaled = new_yuv420(content.width, content.height)?;
    scaler.run(source, &mut scaled)?;
    let mut picture = if *content != Placement::whole(out) {
        let mut canvas = new_yuv420(out.width, out.height)?;
        canvas.data_mut(0).fill(BLACK_LUMA);
        canvas.data_mut(1).fill(NEUTRAL_CHROMA);
        canvas.data_mut(2).fill(NEUTRAL_CHROMA);
        blit(&scaled, &mut canvas, content.x, content.y);
        canvas
    } else {
        scaled
    };
    picture.set_format(Pixel::YUVJ420P);
    picture.set_color_range(color::Range::JPEG);
    picture.set_color_space(color::Space::BT470BG);
    Ok(picture)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cover::layout;
    use crate::geometry::SourceShape;

    /// A video-range 4:2:0 frame showing frame number `n`.
    fn pattern_frame(width: u32, height: u32, n: u32) -> frame::Video {
        let mut frame = frame::Video::new(Pixel::YUV420P, width, height);
        let stride = frame.stride(0);
        frame.data_mut(0).fill(livecut_pattern::BLACK);
        livecut_pattern::draw_frame_number(frame.data_mut(0), stride, width, height, n);
        frame.data_mut(1).fill(128);
        frame.data_mut(2).fill(128);
        frame
    }

    /// The luma plane without stride padding.
    fn luma(frame: &frame::Video) -> Vec<u8> {
        let (w, h, stride) = (
            frame.width() as usize,
            frame.height() as usize,
            frame.stride(0),
        );
        (0..h)
            .flat_map(|row| frame.data(0)[row * stride..row * stride + w].to_vec())
            .collect()
    }

    fn shape(frame: &frame::Video) -> SourceShape {
        SourceShape {
            width: frame.width(),
            height: frame.height(),
            sample_aspect: (1, 1),
        }
    }

    #[test]
    fn same_size_converts_video_range_to_full_range() {
        crate::av::init().expect("libav");
        let source = pattern_frame(320, 180, 4242);
        let (size, placement) = layout(shape(&source), None, None).expect("placement");
        let out = render(&source, size, &placement).expect("render");
        assert_eq!((out.width(), out.height()), (320, 180));
        assert_eq!(out.format(), Pixel::YUVJ420P);
        let y = luma(&out);
        assert_eq!(livecut_pattern::read_frame_number(&y, 320, 180), Some(4242));
        // Video-range black (16) becomes full-range black (0) and white
        // (235) becomes 255: the range conversion really ran.
        assert!(
            y.iter().all(|&v| v <= 2 || v >= 253),
            "unexpected grey levels"
        );
        assert!(y.contains(&0) || y.contains(&1));
    }

    #[test]
    fn padded_placement_has_black_bars_and_the_picture_inside() {
        crate::av::init().expect("libav");
        let source = pattern_frame(320, 180, 77);
        let (size, placement) = layout(shape(&source), Some(200), Some(200)).expect("placement");
        let out = render(&source, size, &placement).expect("render");
        assert_eq!((out.width(), out.height()), (200, 200));
        let y = luma(&out);
        let (top, bottom) = (
            placement.y as usize,
            (placement.y + placement.height) as usize,
        );
        assert!(y[..top * 200].iter().all(|&v| v == 0), "top bar not black");
        assert!(
            y[bottom * 200..].iter().all(|&v| v == 0),
            "bottom bar not black"
        );
        let inner = &y[top * 200..bottom * 200];
        assert_eq!(
            livecut_pattern::read_frame_number(inner, 200, placement.height),
            Some(77)
        );
        let (u, v) = (out.data(1), out.data(2));
        assert_eq!((u[0], v[0]), (NEUTRAL_CHROMA, NEUTRAL_CHROMA));
    }

    #[test]
    fn full_range_sources_keep_their_levels() {
        crate::av::init().expect("libav");
        let mut source = pattern_frame(64, 64, 5);
        // Relabel as full range: 16 and 235 must then pass unchanged.
        source.set_format(Pixel::YUVJ420P);
        let (size, placement) = layout(shape(&source), None, None).expect("placement");
        let out = render(&source, size, &placement).expect("render");
        let y = luma(&out);
        assert!(
            y.iter()
                .all(|&v| (14..=18).contains(&v) || (233..=237).contains(&v))
        );
    }
}
