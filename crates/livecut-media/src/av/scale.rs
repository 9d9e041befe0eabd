//! libswscale contexts behind a safe type: created from the two sides'
//! sizes and formats (through `sws_getContext`, or through its options
//! when the ranges must be known before initialisation), told the colour
//! ranges and matrices, and run on frames that are checked to be what the
//! context was made for, optionally into a place inside a larger picture.
//! What to scale where is the callers' business (`transcode::scale`,
//! `cover::picture`).

use std::ptr::{self, NonNull};

use ffmpeg_next::ffi::{self, AVPixelFormat};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::{Error, frame};

use super::pixel::{self, PlaneLayout};

/// One side of a conversion: a picture's size and pixel format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub width: u32,
    pub height: u32,
    pub format: Pixel,
}

/// libswscale's YUV matrices (`SWS_CS_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    /// libswscale's default, BT.601.
    Default,
    Itu601,
    Itu709,
    Fcc,
    Smpte240m,
    Bt2020,
}

impl Matrix {
    fn id(self) -> i32 {
        match self {
            Matrix::Default => ffi::SWS_CS_DEFAULT,
            Matrix::Itu601 => ffi::SWS_CS_ITU601,
            Matrix::Itu709 => ffi::SWS_CS_ITU709,
            Matrix::Fcc => ffi::SWS_CS_FCC,
            Matrix::Smpte240m => ffi::SWS_CS_SMPTE240M,
            Matrix::Bt2020 => ffi::SWS_CS_BT2020,
        }
    }
}

/// Why a context could not be set up through its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetupError {
    OutOfMemory,
    /// libswscale refused the option of this name.
    OptionRefused(&'static str),
    /// `sws_init_context` refused the conversion.
    Init,
}

/// Why a frame was not scaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScaleError {
    /// A frame is not what the context was made for (size, layout, place).
    Mismatch(&'static str),
    /// The target's buffers could not be made writable.
    NotWritable(Error),
    /// `sws_scale` returned this (no rows).
    Failed(i32),
}

/// An initialised libswscale context, freed on drop.
pub struct Scaler {
    ctx: NonNull<ffi::SwsContext>,
    src: Side,
    dst: Side,
    dst_layout: PlaneLayout,
}

/// A side's size as libswscale takes it.
fn dimensions(side: Side) -> Option<(i32, i32)> {
    let width = i32::try_from(side.width).ok().filter(|&w| w > 0)?;
    let height = i32::try_from(side.height).ok().filter(|&h| h > 0)?;
    Some((width, height))
}

impl Scaler {
    /// `sws_getContext` with bicubic filtering from `src` to `dst`; `None`
    /// if libswscale cannot convert between them (or `dst` is not a
    /// byte-addressed format).
    pub fn bicubic(src: Side, dst: Side) -> Option<Self> {
        let dst_layout = pixel::plane_layout(dst.format)?;
        let (src_w, src_h) = dimensions(src)?;
        let (dst_w, dst_h) = dimensions(dst)?;
        // SAFETY: plain values; no filters or parameters are passed. The
        // context returned (or null) is owned by the `Scaler` below.
        let ctx = unsafe {
            ffi::sws_getContext(
                src_w,
                src_h,
                AVPixelFormat::from(src.format),
                dst_w,
                dst_h,
                AVPixelFormat::from(dst.format),
                ffi::SWS_BICUBIC,
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null(),
            )
        };
        NonNull::new(ctx).map(|ctx| Scaler {
            ctx,
            src,
            dst,
            dst_layout,
        })
    }

    /// A bicubic context set up through its options, so that the ranges
    /// are known before initialisation; `accurate_rounding` adds
    /// `SWS_ACCURATE_RND`.
    pub fn configured(
        src: Side,
        src_full_range: bool,
        dst: Side,
        dst_full_range: bool,
        accurate_rounding: bool,
    ) -> Result<Self, SetupError> {
        let dst_layout = pixel::plane_layout(dst.format).ok_or(SetupError::Init)?;
        if dimensions(src).is_none() || dimensions(dst).is_none() {
            return Err(SetupError::Init);
        }
        let flags = ffi::SWS_BICUBIC
            | if accurate_rounding {
                ffi::SWS_ACCURATE_RND
            } else {
                0
            };
        let options: [(&'static std::ffi::CStr, i64); 9] = [
            (c"srcw", i64::from(src.width)),
            (c"srch", i64::from(src.height)),
            (c"src_format", AVPixelFormat::from(src.format) as i64),
            (c"src_range", i64::from(src_full_range)),
            (c"dstw", i64::from(dst.width)),
            (c"dsth", i64::from(dst.height)),
            (c"dst_format", AVPixelFormat::from(dst.format) as i64),
            (c"dst_range", i64::from(dst_full_range)),
            (c"sws_flags", i64::from(flags)),
        ];
        // SAFETY: allocation only; the context is owned by `scaler` from
        // here on and freed on every path.
        let ctx = unsafe { ffi::sws_alloc_context() };
        let ctx = NonNull::new(ctx).ok_or(SetupError::OutOfMemory)?;
        let scaler = Scaler {
            ctx,
            src,
            dst,
            dst_layout,
        };
        for (name, value) in options {
            // SAFETY: the context is valid and not initialised yet; the
            // option names are NUL-terminated literals.
            let ret = unsafe { ffi::av_opt_set_int(ctx.as_ptr().cast(), name.as_ptr(), value, 0) };
            if ret < 0 {
                return Err(SetupError::OptionRefused(name.to_str().unwrap_or("?")));
            }
        }
        // SAFETY: the context is valid and configured; no filters.
        if unsafe { ffi::sws_init_context(ctx.as_ptr(), ptr::null_mut(), ptr::null_mut()) } < 0 {
            return Err(SetupError::Init);
        }
        Ok(scaler)
    }

    /// Tells the context the matrices and ranges (full or video) of both
    /// sides, with neutral brightness, contrast and saturation; `false`
    /// when libswscale refuses (RGB-like sides).
    pub fn set_colorspace(
        &mut self,
        src_matrix: Matrix,
        src_full_range: bool,
        dst_matrix: Matrix,
        dst_full_range: bool,
    ) -> bool {
        // SAFETY: the context is valid; the coefficient tables are static
        // inside libswscale and only read.
        let ret = unsafe {
            ffi::sws_setColorspaceDetails(
                self.ctx.as_ptr(),
                ffi::sws_getCoefficients(src_matrix.id()),
                i32::from(src_full_range),
                ffi::sws_getCoefficients(dst_matrix.id()),
                i32::from(dst_full_range),
                0,
                1 << 16,
                1 << 16,
            )
        };
        ret >= 0
    }

    /// Scales the whole of `src` onto the whole of `dst`.
    pub fn scale(&mut self, src: &frame::Video, dst: &mut frame::Video) -> Result<(), ScaleError> {
        self.scale_at(src, dst, 0, 0)
    }

    /// Scales `src` into `dst` with its top left corner at `(x, y)`; the
    /// rest of `dst` is left as it is. `dst` is made writable first.
    pub fn scale_at(
        &mut self,
        src: &frame::Video,
        dst: &mut frame::Video,
        x: u32,
        y: u32,
    ) -> Result<(), ScaleError> {
        use ScaleError::Mismatch;
        let same = |frame: &frame::Video, side: Side| {
            frame.width() == side.width
                && frame.height() == side.height
                && pixel::from_raw(super::frame::raw_format(frame))
                    .is_some_and(|f| pixel::same_layout(f, side.format))
        };
        if !super::frame::has_data(src) || !same(src, self.src) {
            return Err(Mismatch("the source picture is not the scaler's"));
        }
        let layout = self.dst_layout;
        let target_fits = pixel::from_raw(super::frame::raw_format(dst))
            .is_some_and(|f| pixel::same_layout(f, self.dst.format))
            && x.is_multiple_of(1 << layout.log2_chroma_w)
            && y.is_multiple_of(1 << layout.log2_chroma_h)
            && x.checked_add(self.dst.width)
                .is_some_and(|right| right <= dst.width())
            && y.checked_add(self.dst.height)
                .is_some_and(|bottom| bottom <= dst.height());
        if !super::frame::has_data(dst) || !target_fits {
            return Err(Mismatch("the target picture does not hold the scaled one"));
        }
        super::frame::make_writable(dst).map_err(ScaleError::NotWritable)?;
        let mut planes = [ptr::null_mut::<u8>(); 4];
        let mut strides = [0i32; 4];
        // SAFETY: reading the target's plane pointers and strides.
        let (data, linesize) = unsafe { ((*dst.as_ptr()).data, (*dst.as_ptr()).linesize) };
        for plane in 0..layout.planes {
            let (sx, sy) = if plane == 1 || plane == 2 {
                (layout.log2_chroma_w, layout.log2_chroma_h)
            } else {
                (0, 0)
            };
            let Ok(stride) = usize::try_from(linesize[plane]) else {
                return Err(Mismatch("the target picture is stored upside down"));
            };
            if data[plane].is_null() {
                return Err(Mismatch("the target picture lacks a plane"));
            }
            let offset = (y >> sy) as usize * stride + (x >> sx) as usize * layout.step[plane];
            // SAFETY: the plane holds `stride` bytes for each of the
            // target's rows (of its subsampled height); `(x, y)` is a
            // multiple of the subsampling, and the scaled picture fits to
            // the right of and below it, so the offset and everything
            // libswscale writes from it lie inside the plane.
            planes[plane] = unsafe { data[plane].add(offset) };
            strides[plane] = linesize[plane];
        }
        // SAFETY: the context was made for the source's size and layout
        // and for the scaled size in the target's layout (checked above);
        // the source planes are the frame's own; the target pointers are
        // inside the target's planes (see above).
        let rows = unsafe {
            let src = src.as_ptr();
            ffi::sws_scale(
                self.ctx.as_ptr(),
                (*src).data.as_ptr() as *const *const u8,
                (*src).linesize.as_ptr(),
                0,
                (*src).height,
                planes.as_ptr(),
                strides.as_ptr(),
            )
        };
        if rows <= 0 {
            return Err(ScaleError::Failed(rows));
        }
        Ok(())
    }
}

impl Drop for Scaler {
    fn drop(&mut self) {
        // SAFETY: the context came from sws_getContext or sws_alloc_context
        // and is freed once.
        unsafe { ffi::sws_freeContext(self.ctx.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(width: u32, height: u32, format: Pixel) -> Side {
        Side {
            width,
            height,
            format,
        }
    }

    fn flat(width: u32, height: u32, luma: u8) -> frame::Video {
        let mut f = crate::av::frame::video(Pixel::YUV420P, width, height).expect("frame");
        f.data_mut(0).fill(luma);
        f.data_mut(1).fill(128);
        f.data_mut(2).fill(128);
        f
    }

    #[test]
    fn scales_into_a_place_and_leaves_the_rest() {
        let src = flat(32, 32, 200);
        let mut dst = flat(64, 48, 16);
        let mut s = Scaler::bicubic(side(32, 32, Pixel::YUV420P), side(16, 16, Pixel::YUV420P))
            .expect("scaler");
        s.scale_at(&src, &mut dst, 8, 4).expect("scaled");
        let stride = dst.stride(0);
        let luma = dst.data(0);
        for y in 0..48usize {
            for x in 0..64usize {
                let inside = (8..24).contains(&x) && (4..20).contains(&y);
                let want = if inside { 200 } else { 16 };
                assert!(luma[y * stride + x].abs_diff(want) <= 1, "({x}, {y})");
            }
        }
    }

    #[test]
    fn frames_that_do_not_fit_are_refused() {
        let src = flat(32, 32, 200);
        let mut dst = flat(32, 32, 16);
        let mut s = Scaler::bicubic(side(32, 32, Pixel::YUV420P), side(16, 16, Pixel::YUV420P))
            .expect("scaler");
        let other = flat(16, 16, 1);
        assert!(matches!(
            s.scale(&other, &mut dst),
            Err(ScaleError::Mismatch(_))
        ));
        // Odd offsets, places past the edge, other layouts, empty frames.
        for (x, y) in [(1, 0), (0, 3), (18, 0), (0, 17), (u32::MAX, 0)] {
            assert!(
                matches!(
                    s.scale_at(&src, &mut dst, x, y),
                    Err(ScaleError::Mismatch(_))
                ),
                "({x}, {y})"
            );
        }
        let mut ten = crate::av::frame::video(Pixel::YUV420P10LE, 32, 32).expect("frame");
        assert!(s.scale(&src, &mut ten).is_err());
        assert!(s.scale(&src, &mut frame::Video::empty()).is_err());
        assert!(s.scale(&frame::Video::empty(), &mut dst).is_err());
        s.scale_at(&src, &mut dst, 16, 16).expect("the corner fits");
    }

    #[test]
    fn full_range_twins_are_accepted_as_sources() {
        let mut src = flat(16, 16, 100);
        src.set_format(Pixel::YUVJ420P);
        let mut dst = flat(16, 16, 0);
        let mut s = Scaler::configured(
            side(16, 16, Pixel::YUV420P),
            true,
            side(16, 16, Pixel::YUV420P),
            true,
            true,
        )
        .expect("scaler");
        assert!(s.set_colorspace(Matrix::Itu709, true, Matrix::Itu601, true));
        s.scale(&src, &mut dst).expect("scaled");
        assert!(dst.data(0)[0].abs_diff(100) <= 1);
    }

    #[test]
    fn impossible_contexts_are_refused() {
        let yuv = |w, h| side(w, h, Pixel::YUV420P);
        assert!(Scaler::bicubic(yuv(0, 16), yuv(16, 16)).is_none());
        assert!(Scaler::bicubic(yuv(16, 16), side(16, 16, Pixel::PAL8)).is_none());
        assert!(Scaler::configured(yuv(16, 16), false, yuv(0, 0), false, false).is_err());
    }
}
