//! Output picture size of the re-encoding modes and where each source
//! picture goes inside it.
//!
//! Sizes are computed from the *display* size (stored size with the
//! sample aspect ratio applied), because the output always has square
//! pixels: an anamorphic source must come out undistorted. Every computed
//! side is rounded to the nearest even number (halves up) since 4:2:0
//! chroma needs whole 2x2 blocks; requested sides must be even already.

use crate::MediaError;

/// Smallest output side; below this x264 and the frame-number pattern are
/// of no use.
pub const MIN_SIDE: u32 = 16;
/// Largest output side (far above any real live stream; bounds memory).
pub const MAX_SIDE: u32 = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// The rectangle a scaled source picture fills inside the output picture.
/// Offsets are even so the 4:2:0 chroma planes line up with luma.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// A source picture: stored size and sample aspect ratio `(num, den)`,
/// where a zero means unknown and is taken as square.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceShape {
    pub width: u32,
    pub height: u32,
    pub sample_aspect: (i32, i32),
}

impl SourceShape {
    /// Display aspect as the fraction `(width * num, height * den)`.
    fn display_ratio(&self) -> (u128, u128) {
        let (num, den) = match self.sample_aspect {
            (n, d) if n > 0 && d > 0 => (n as u128, d as u128),
            _ => (1, 1),
        };
        (u128::from(self.width) * num, u128::from(self.height) * den)
    }
}

/// `side * num / den` rounded to the nearest even number (halves up), at
/// least 2. Saturates; callers bound the result.
fn scaled_even(side: u32, num: u128, den: u128) -> u32 {
    let den = den.max(1);
    let halves = (u128::from(side) * num + den) / (den * 2);
    u32::try_from(halves * 2).unwrap_or(u32::MAX).max(2)
}

fn check_side(what: &str, value: u32) -> Result<u32, MediaError> {
    if !(MIN_SIDE..=MAX_SIDE).contains(&value) {
        return Err(MediaError::InvalidJob(format!(
            "output {what} {value} is outside {MIN_SIDE}..={MAX_SIDE}"
        )));
    }
    if !value.is_multiple_of(2) {
        return Err(MediaError::InvalidJob(format!(
            "output {what} {value} is odd; 4:2:0 video needs even sides"
        )));
    }
    Ok(value)
}

/// Checks requested sides before any source is opened, so a bad job fails
/// without reading a segment.
pub fn check_request(width: Option<u32>, height: Option<u32>) -> Result<(), MediaError> {
    if let Some(w) = width {
        check_side("width", w)?;
    }
    if let Some(h) = height {
        check_side("height", h)?;
    }
    Ok(())
}

/// The output size of a job whose first clip has the shape `first`.
///
/// * nothing requested: the first clip's display size;
/// * one side requested: the other follows the display aspect ratio;
/// * both requested: exactly that (pictures are fitted in by [`fit`]).
pub fn output_size(
    first: SourceShape,
    width: Option<u32>,
    height: Option<u32>,
) -> Result<Size, MediaError> {
    if first.width == 0 || first.height == 0 {
        return Err(MediaError::Internal(
            "the first clip's picture has no size".into(),
        ));
    }
    let (dw, dh) = first.display_ratio();
    let (w, h) = match (width, height) {
        (None, None) => {
            let h = scaled_even(first.height, 1, 1);
            (scaled_even(h, dw, dh), h)
        }
        (Some(w), None) => (w, scaled_even(w, dh, dw)),
        (None, Some(h)) => (scaled_even(h, dw, dh), h),
        (Some(w), Some(h)) => (w, h),
    };
    Ok(Size {
        width: check_side("width", w)?,
        height: check_side("height", h)?,
    })
}

/// Fits a source picture inside `out` keeping its display aspect ratio,
/// centred; the rest of `out` is padding.
pub fn fit(source: SourceShape, out: Size) -> Placement {
    let (dw, dh) = source.display_ratio();
    let (width, height) = if dw == 0 || dh == 0 {
        (out.width, out.height)
    } else if u128::from(out.width) * dh <= u128::from(out.height) * dw {
        // Relatively wider than the box (or equal): full width.
        (out.width, scaled_even(out.width, dh, dw).min(out.height))
    } else {
        (scaled_even(out.height, dw, dh).min(out.width), out.height)
    };
    Placement {
        x: ((out.width - width) / 2) & !1,
        y: ((out.height - height) / 2) & !1,
        width,
        height,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(width: u32, height: u32) -> SourceShape {
        SourceShape {
            width,
            height,
            sample_aspect: (1, 1),
        }
    }

    fn size(width: u32, height: u32) -> Size {
        Size { width, height }
    }

    #[test]
    fn nothing_requested_keeps_the_source_size() {
        assert_eq!(
            output_size(shape(1920, 1080), None, None).expect("valid"),
            size(1920, 1080)
        );
        // Anamorphic 1440x1080 with 4:3 pixels displays as 1920x1080.
        let anamorphic = SourceShape {
            sample_aspect: (4, 3),
            ..shape(1440, 1080)
        };
        assert_eq!(
            output_size(anamorphic, None, None).expect("valid"),
            size(1920, 1080)
        );
    }

    #[test]
    fn one_side_derives_the_other_rounded_to_even() {
        let s = shape(320, 180);
        assert_eq!(output_size(s, Some(160), None).expect("w"), size(160, 90));
        // 240 * 9 / 16 = 135 -> 136 (halves up).
        assert_eq!(output_size(s, Some(240), None).expect("w"), size(240, 136));
        // 120 * 16 / 9 = 213.3 -> 214.
        assert_eq!(output_size(s, None, Some(120)).expect("h"), size(214, 120));
        // Unknown SAR is square.
        let unknown = SourceShape {
            sample_aspect: (0, 1),
            ..s
        };
        assert_eq!(
            output_size(unknown, Some(160), None).expect("w"),
            size(160, 90)
        );
    }

    #[test]
    fn bad_requests_are_invalid_jobs() {
        for (w, h) in [
            (Some(0), None),
            (Some(641), None),
            (None, Some(MAX_SIDE + 2)),
            (Some(8), Some(8)),
        ] {
            let err = check_request(w, h).expect_err("refused");
            assert_eq!(err.code(), "InvalidParameter", "{err}");
        }
        assert!(check_request(Some(640), Some(360)).is_ok());
        // A derived side out of range is refused as well.
        let err = output_size(shape(4000, 16), Some(16), None).expect_err("too flat");
        assert!(err.to_string().contains("height"), "{err}");
    }

    #[test]
    fn fitting_pads_centred_on_even_offsets() {
        // Wide picture in a square: bars above and below.
        let p = fit(shape(320, 180), size(240, 240));
        assert_eq!(
            p,
            Placement {
                x: 0,
                y: 52,
                width: 240,
                height: 136
            }
        );
        // Narrow picture in a wide box: bars left and right.
        let p = fit(shape(640, 480), size(640, 360));
        assert_eq!((p.x, p.y, p.width, p.height), (80, 0, 480, 360));
        // Same aspect ratio: no bars, even when the even rounding of the
        // derived side overshoots the exact value.
        let whole = |w, h| Placement {
            x: 0,
            y: 0,
            width: w,
            height: h,
        };
        assert_eq!(fit(shape(1920, 1080), size(640, 360)), whole(640, 360));
        assert_eq!(fit(shape(320, 180), size(240, 136)), whole(240, 136));
        // Odd margins round the offset down to even.
        let p = fit(shape(320, 180), size(200, 206));
        assert_eq!((p.height, p.y), (112, 46));
    }
}
