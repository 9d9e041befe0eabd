//! Where the source picture goes in the cover: the output size and the
//! rectangle the scaled picture fills inside it.
//!
//! The rule is the one of the re-encoding modes: no size requested keeps
//! the source's stored size; one side requested derives the other from the
//! source's display aspect ratio, rounded to an even number; both requested
//! fit the picture inside `W x H` keeping its aspect ratio and pad the rest
//! black, centred. Display aspect (stored size times sample aspect ratio)
//! is used so that anamorphic sources come out undistorted once scaled.

/// Largest cover side accepted (JPEG allows 65535; nothing real needs more).
pub const MAX_SIDE: u32 = 16_384;
/// Smallest cover side: 4:2:0 chroma needs two luma rows and columns.
pub const MIN_SIDE: u32 = 2;

/// The cover's size and the scaled picture's place in it. Offsets are even,
/// so the chroma planes of 4:2:0 line up with the luma plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    pub width: u32,
    pub height: u32,
    pub content_width: u32,
    pub content_height: u32,
    pub x: u32,
    pub y: u32,
}

impl Placement {
    /// Whether black bars surround the picture.
    pub fn is_padded(&self) -> bool {
        self.content_width != self.width || self.content_height != self.height
    }
}

/// The source picture: stored size and sample (pixel) aspect ratio.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceShape {
    pub width: u32,
    pub height: u32,
    /// `(num, den)`; a zero in either means unknown, taken as square.
    pub sample_aspect: (u32, u32),
}

impl SourceShape {
    /// Display aspect ratio as the fraction `(width * num, height * den)`.
    fn display_ratio(&self) -> (u128, u128) {
        let (num, den) = match self.sample_aspect {
            (n, d) if n > 0 && d > 0 => (n, d),
            _ => (1, 1),
        };
        (
            u128::from(self.width) * u128::from(num),
            u128::from(self.height) * u128::from(den),
        )
    }
}

/// `side * num / den` rounded to the nearest even number, at least
/// `MIN_SIDE`. Saturates instead of overflowing; callers bound the result.
fn scaled_even(side: u32, num: u128, den: u128) -> u32 {
    let den = den.max(1);
    let doubled_den = den * 2;
    let halves = (u128::from(side) * num + den) / doubled_den;
    u32::try_from(halves * 2).unwrap_or(u32::MAX).max(MIN_SIDE)
}

fn check_side(name: &str, value: u32) -> Result<u32, String> {
    if (MIN_SIDE..=MAX_SIDE).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "cover {name} {value} is outside {MIN_SIDE}..={MAX_SIDE}"
        ))
    }
}

/// Checks the requested sides alone, before the source is known.
pub fn check_request(width: Option<u32>, height: Option<u32>) -> Result<(), String> {
    if let Some(w) = width {
        check_side("width", w)?;
    }
    if let Some(h) = height {
        check_side("height", h)?;
    }
    Ok(())
}

/// Computes the placement for the requested size. `Err` describes a
/// request (or a derived side) outside the accepted range.
pub fn place(
    source: SourceShape,
    width: Option<u32>,
    height: Option<u32>,
) -> Result<Placement, String> {
    if source.width == 0 || source.height == 0 {
        return Err("the source picture has no size".into());
    }
    let (dw, dh) = source.display_ratio();
    let (out_w, out_h, content_w, content_h) = match (width, height) {
        (None, None) => (source.width, source.height, source.width, source.height),
        (Some(w), None) => {
            let w = check_side("width", w)?;
            let h = check_side("height derived from the width", scaled_even(w, dh, dw))?;
            (w, h, w, h)
        }
        (None, Some(h)) => {
            let h = check_side("height", h)?;
            let w = check_side("width derived from the height", scaled_even(h, dw, dh))?;
            (w, h, w, h)
        }
        (Some(w), Some(h)) => {
            let w = check_side("width", w)?;
            let h = check_side("height", h)?;
            // Compare w/h with dw/dh without division: the picture is
            // relatively wider than the box when w * dh <= h * dw.
            if u128::from(w) * dh <= u128::from(h) * dw {
                (w, h, w, scaled_even(w, dh, dw).min(h))
            } else {
                (w, h, scaled_even(h, dw, dh).min(w), h)
            }
        }
    };
    Ok(Placement {
        width: out_w,
        height: out_h,
        content_width: content_w,
        content_height: content_h,
        x: ((out_w - content_w) / 2) & !1,
        y: ((out_h - content_h) / 2) & !1,
    })
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

    #[test]
    fn no_size_keeps_the_source() {
        let p = place(shape(1920, 1080), None, None).expect("valid");
        assert_eq!((p.width, p.height), (1920, 1080));
        assert!(!p.is_padded());
        assert_eq!((p.x, p.y), (0, 0));
    }

    #[test]
    fn one_side_derives_the_other_rounded_to_even() {
        let p = place(shape(320, 180), Some(160), None).expect("valid");
        assert_eq!((p.width, p.height), (160, 90));
        // 120 * 16 / 9 = 213.33 -> 214.
        let p = place(shape(320, 180), None, Some(120)).expect("valid");
        assert_eq!((p.width, p.height), (214, 120));
        // 100 * 9 / 16 = 56.25 -> 56; 1000 * 9 / 16 = 562.5 -> 562 (nearest even).
        assert_eq!(
            place(shape(1920, 1080), Some(100), None).map(|p| p.height),
            Ok(56)
        );
        assert_eq!(
            place(shape(1920, 1080), Some(1000), None).map(|p| p.height),
            Ok(562)
        );
        // A requested odd side is kept as asked.
        let p = place(shape(1920, 1080), Some(641), None).expect("valid");
        assert_eq!((p.width, p.height), (641, 360));
        assert!(!p.is_padded());
    }

    #[test]
    fn both_sides_fit_inside_and_pad_centred() {
        // Wider picture in a square box: bars above and below.
        let p = place(shape(320, 180), Some(200), Some(200)).expect("valid");
        assert_eq!((p.width, p.height), (200, 200));
        assert_eq!((p.content_width, p.content_height), (200, 112));
        assert_eq!((p.x, p.y), (0, 44));
        assert!(p.is_padded());
        // Narrower picture in a wide box: bars left and right.
        let p = place(shape(640, 480), Some(640), Some(360)).expect("valid");
        assert_eq!((p.content_width, p.content_height), (480, 360));
        assert_eq!((p.x, p.y), (80, 0));
        // Same aspect: no bars.
        let p = place(shape(1920, 1080), Some(640), Some(360)).expect("valid");
        assert!(!p.is_padded());
        // Odd margins round the offset down to even.
        let p = place(shape(320, 180), Some(200), Some(203)).expect("valid");
        assert_eq!((p.content_height, p.y), (112, 44));
    }

    #[test]
    fn sample_aspect_ratio_is_honoured() {
        // 1440x1080 with 4:3 pixels displays as 1920x1080.
        let anamorphic = SourceShape {
            width: 1440,
            height: 1080,
            sample_aspect: (4, 3),
        };
        assert_eq!(
            place(anamorphic, Some(640), None).map(|p| p.height),
            Ok(360)
        );
        assert_eq!(place(anamorphic, None, Some(360)).map(|p| p.width), Ok(640));
        // Unknown SAR (0/1) is square.
        let unknown = SourceShape {
            sample_aspect: (0, 1),
            ..shape(320, 180)
        };
        assert_eq!(place(unknown, Some(160), None).map(|p| p.height), Ok(90));
    }

    #[test]
    fn out_of_range_sizes_are_refused() {
        assert!(place(shape(320, 180), Some(0), None).is_err());
        assert!(place(shape(320, 180), Some(1), Some(100)).is_err());
        assert!(place(shape(320, 180), Some(MAX_SIDE + 1), None).is_err());
        // A derived side beyond the limit is refused too.
        let err = place(shape(16, 4000), Some(100), None).expect_err("too tall");
        assert!(err.contains("derived"), "{err}");
        assert!(place(shape(0, 180), None, None).is_err());
    }

    #[test]
    fn requests_are_checked_without_a_source() {
        assert_eq!(check_request(None, None), Ok(()));
        assert_eq!(check_request(Some(640), Some(MIN_SIDE)), Ok(()));
        assert!(check_request(None, Some(0)).is_err());
        assert!(check_request(Some(MAX_SIDE + 1), Some(100)).is_err());
    }

    #[test]
    fn extreme_aspect_keeps_at_least_two_pixels() {
        let p = place(shape(4000, 16), Some(100), Some(100)).expect("valid");
        assert_eq!((p.content_width, p.content_height), (100, MIN_SIDE));
    }
}
