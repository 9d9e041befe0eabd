//! The output size rule shared by cover images and the re-encoding modes,
//! and where a source picture goes inside that output.
//!
//! Sizes follow the source's *display* size (stored size times sample
//! aspect ratio), because scaled outputs have square pixels: an anamorphic
//! source must come out undistorted. When one side is requested the other
//! follows the display aspect ratio, rounded to the nearest even number
//! (halves up); when both are, the picture is fitted inside, centred on
//! even offsets so the 4:2:0 chroma planes line up with luma. What is left
//! to the callers is what "nothing requested" means and which [`Limits`]
//! apply.

/// The sides an output accepts, and how its errors name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// What the sides belong to in messages ("cover", "output").
    pub noun: &'static str,
    pub min: u32,
    pub max: u32,
    /// Refuse odd sides (an encoder of 4:2:0 video needs whole 2x2 blocks).
    pub even: bool,
    /// Say in messages that a derived side came from the other one.
    pub name_derived: bool,
}

/// Cover images: JPEG allows up to 65535 but nothing real needs more than
/// 16384; 4:2:0 chroma needs at least two luma rows and columns. Odd sides
/// are fine, the JPEG encoder pads its blocks itself.
pub const COVER: Limits = Limits {
    noun: "cover",
    min: 2,
    max: 16_384,
    even: false,
    name_derived: true,
};

/// Re-encoded video: below 16 x264 and the frame-number pattern are of no
/// use; 8192 is far above any real live stream and bounds memory.
pub const VIDEO: Limits = Limits {
    noun: "output",
    min: 16,
    max: 8192,
    even: true,
    name_derived: false,
};

/// Smallest side `scaled_even` yields: one 4:2:0 chroma sample.
const MIN_SCALED_SIDE: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    pub width: u32,
    pub height: u32,
}

/// The rectangle a scaled source picture fills inside the output picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl Placement {
    /// The whole of `out`: no padding.
    pub fn whole(out: Size) -> Self {
        Placement {
            x: 0,
            y: 0,
            width: out.width,
            height: out.height,
        }
    }
}

/// A source picture: stored size and sample aspect ratio `(num, den)` as
/// libav reports it; a zero or negative part means unknown, taken as square.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceShape {
    pub width: u32,
    pub height: u32,
    pub sample_aspect: (i32, i32),
}

impl SourceShape {
    pub fn has_size(&self) -> bool {
        self.width > 0 && self.height > 0
    }

    /// Display aspect as the fraction `(width * num, height * den)`.
    fn display_ratio(&self) -> (u128, u128) {
        let (num, den) = match self.sample_aspect {
            (n, d) if n > 0 && d > 0 => (n as u128, d as u128),
            _ => (1, 1),
        };
        (u128::from(self.width) * num, u128::from(self.height) * den)
    }

    /// The display size, each side rounded to even: the stored height
    /// (rounded) and the width that follows from the display aspect.
    pub fn display_size(&self) -> Size {
        let (dw, dh) = self.display_ratio();
        let height = scaled_even(self.height, 1, 1);
        Size {
            width: scaled_even(height, dw, dh),
            height,
        }
    }
}

/// `side * num / den` rounded to the nearest even number (halves up), at
/// least `MIN_SCALED_SIDE`. Saturates; callers bound the result.
fn scaled_even(side: u32, num: u128, den: u128) -> u32 {
    let den = den.max(1);
    let halves = (u128::from(side) * num + den) / (den * 2);
    u32::try_from(halves * 2)
        .unwrap_or(u32::MAX)
        .max(MIN_SCALED_SIDE)
}

impl Limits {
    /// `value` if it is an acceptable side; `what` names it in the error.
    pub fn check_side(&self, what: &str, value: u32) -> Result<u32, String> {
        let Limits { noun, min, max, .. } = *self;
        if !(min..=max).contains(&value) {
            return Err(format!("{noun} {what} {value} is outside {min}..={max}"));
        }
        if self.even && !value.is_multiple_of(2) {
            return Err(format!(
                "{noun} {what} {value} is odd; 4:2:0 video needs even sides"
            ));
        }
        Ok(value)
    }

    /// Checks requested sides before any source is opened, so a bad job
    /// fails without reading a segment.
    pub fn check_request(&self, width: Option<u32>, height: Option<u32>) -> Result<(), String> {
        if let Some(w) = width {
            self.check_side("width", w)?;
        }
        if let Some(h) = height {
            self.check_side("height", h)?;
        }
        Ok(())
    }

    fn derived<'a>(&self, side: &'a str, from: &'a str) -> &'a str {
        if self.name_derived { from } else { side }
    }

    /// The size a request names: one side requested derives the other
    /// from `source`'s display aspect ratio; both requested are taken as
    /// they are. `None` when nothing is requested, whose meaning is the
    /// caller's. Every side, derived ones included, is checked.
    pub fn requested_size(
        &self,
        source: SourceShape,
        width: Option<u32>,
        height: Option<u32>,
    ) -> Result<Option<Size>, String> {
        let (dw, dh) = source.display_ratio();
        let (width, height) = match (width, height) {
            (None, None) => return Ok(None),
            (Some(w), None) => {
                let w = self.check_side("width", w)?;
                let what = self.derived("height", "height derived from the width");
                (w, self.check_side(what, scaled_even(w, dh, dw))?)
            }
            (None, Some(h)) => {
                let h = self.check_side("height", h)?;
                let what = self.derived("width", "width derived from the height");
                (self.check_side(what, scaled_even(h, dw, dh))?, h)
            }
            (Some(w), Some(h)) => (self.check_side("width", w)?, self.check_side("height", h)?),
        };
        Ok(Some(Size { width, height }))
    }
}

/// Fits a source picture inside `out` keeping its display aspect ratio,
/// centred on even offsets; the rest of `out` is padding.
pub fn fit(source: SourceShape, out: Size) -> Placement {
    let (dw, dh) = source.display_ratio();
    let (width, height) = if dw == 0 || dh == 0 {
        (out.width, out.height)
    } else if u128::from(out.width) * dh <= u128::from(out.height) * dw {
        // Compared without division: relatively wider than the box (or
        // equal), so it takes the full width.
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

/// Shorthands for the tests of this rule and of its callers.
#[cfg(test)]
pub mod test_shapes {
    use super::{Size, SourceShape};

    /// A source of square pixels.
    pub fn shape(width: u32, height: u32) -> SourceShape {
        SourceShape {
            width,
            height,
            sample_aspect: (1, 1),
        }
    }

    pub fn size(width: u32, height: u32) -> Size {
        Size { width, height }
    }
}

#[cfg(test)]
mod tests {
    use super::test_shapes::{shape, size};
    use super::*;

    fn requested(limits: Limits, s: SourceShape, w: Option<u32>, h: Option<u32>) -> Option<Size> {
        limits.requested_size(s, w, h).expect("valid")
    }

    #[test]
    fn display_size_applies_the_sample_aspect_ratio() {
        assert_eq!(shape(1920, 1080).display_size(), size(1920, 1080));
        // Anamorphic 1440x1080 with 4:3 pixels displays as 1920x1080.
        let anamorphic = SourceShape {
            sample_aspect: (4, 3),
            ..shape(1440, 1080)
        };
        assert_eq!(anamorphic.display_size(), size(1920, 1080));
        assert!(!shape(0, 180).has_size());
    }

    #[test]
    fn one_side_derives_the_other_rounded_to_even() {
        let s = shape(320, 180);
        for limits in [COVER, VIDEO] {
            assert_eq!(requested(limits, s, Some(160), None), Some(size(160, 90)));
            // 240 * 9 / 16 = 135 -> 136 (halves up).
            assert_eq!(requested(limits, s, Some(240), None), Some(size(240, 136)));
            // 120 * 16 / 9 = 213.3 -> 214.
            assert_eq!(requested(limits, s, None, Some(120)), Some(size(214, 120)));
            assert_eq!(requested(limits, s, None, None), None);
            assert_eq!(
                requested(limits, s, Some(200), Some(200)),
                Some(size(200, 200))
            );
        }
        // 1000 * 9 / 16 = 562.5 -> 562 (nearest even).
        assert_eq!(
            requested(COVER, shape(1920, 1080), Some(1000), None),
            Some(size(1000, 562))
        );
        // Covers keep a requested odd side as asked.
        assert_eq!(
            requested(COVER, shape(1920, 1080), Some(641), None),
            Some(size(641, 360))
        );
    }

    #[test]
    fn sample_aspect_ratio_is_honoured() {
        let anamorphic = SourceShape {
            width: 1440,
            height: 1080,
            sample_aspect: (4, 3),
        };
        assert_eq!(
            requested(COVER, anamorphic, Some(640), None),
            Some(size(640, 360))
        );
        assert_eq!(
            requested(COVER, anamorphic, None, Some(360)),
            Some(size(640, 360))
        );
        // Unknown SAR (0/1) is square.
        let unknown = SourceShape {
            sample_aspect: (0, 1),
            ..shape(320, 180)
        };
        assert_eq!(
            requested(VIDEO, unknown, Some(160), None),
            Some(size(160, 90))
        );
    }

    #[test]
    fn sides_are_checked_against_each_callers_limits() {
        assert_eq!(COVER.check_request(None, None), Ok(()));
        assert_eq!(COVER.check_request(Some(641), Some(2)), Ok(()));
        assert!(COVER.check_request(None, Some(0)).is_err());
        assert!(COVER.check_request(Some(16_385), Some(100)).is_err());
        assert_eq!(VIDEO.check_request(Some(640), Some(360)), Ok(()));
        assert_eq!(
            VIDEO.check_request(Some(641), None),
            Err("output width 641 is odd; 4:2:0 video needs even sides".into())
        );
        assert_eq!(
            VIDEO.check_request(Some(8), Some(8)),
            Err("output width 8 is outside 16..=8192".into())
        );
        assert!(VIDEO.check_request(None, Some(8194)).is_err());
        // A derived side out of range is refused as well, named after the
        // side it came from where the limits say so.
        assert_eq!(
            COVER.requested_size(shape(16, 4000), Some(100), None),
            Err("cover height derived from the width 25000 is outside 2..=16384".into())
        );
        assert_eq!(
            VIDEO.requested_size(shape(4000, 16), Some(16), None),
            Err("output height 2 is outside 16..=8192".into())
        );
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
        assert_eq!(
            fit(shape(1920, 1080), size(640, 360)),
            Placement::whole(size(640, 360))
        );
        assert_eq!(
            fit(shape(320, 180), size(240, 136)),
            Placement::whole(size(240, 136))
        );
        // Odd margins round the offset down to even.
        let p = fit(shape(320, 180), size(200, 206));
        assert_eq!((p.height, p.y), (112, 46));
        let p = fit(shape(320, 180), size(200, 203));
        assert_eq!((p.height, p.y), (112, 44));
    }

    #[test]
    fn extreme_aspect_keeps_at_least_two_pixels() {
        let p = fit(shape(4000, 16), size(100, 100));
        assert_eq!((p.width, p.height), (100, MIN_SCALED_SIDE));
    }
}
