//! `cover`: the JPEG cover image of a clip at a chosen instant.
//!
//! The picture is the frame on screen at that instant: the last frame
//! whose UTC presentation time (by the crate's timeline rule) is at or
//! before it. Only the segments needed to find that frame are demuxed, and
//! decoding starts at the IDR that opens its GOP, skipping frames nothing
//! refers to. Instants in a gap between runs, or after the last frame,
//! show the last frame before them; an instant before the first frame is
//! an error.
//!
//! The frame is scaled with swscale (size rule in `crate::geometry`), converted
//! to full-range 4:2:0 and encoded by FFmpeg's `mjpeg` encoder at a fixed
//! high quality.

mod decode;
mod jpeg;
mod locate;
mod picture;
mod segment;

use std::path::PathBuf;

use ffmpeg_next::Rational;
use serde::{Deserialize, Serialize};

use crate::geometry::{self, Placement, Size, SourceShape};
use crate::{MediaError, SegmentInput};

/// One cover image to make.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CoverRequest {
    /// The clip the cover belongs to (for messages).
    pub clip_index: usize,
    /// The clip's segments, in playlist order, as for `cut`.
    pub segments: Vec<SegmentInput>,
    /// The instant to show (`CoverTime`), UTC microseconds.
    pub at_utc_us: i64,
    /// JPEG to write; written as `<output>.part` and renamed on success.
    pub output: PathBuf,
    /// Output size. Neither: the source's size; one: the other follows
    /// the source's display aspect ratio (rounded to even); both: the
    /// picture fits inside, padded black and centred to exactly that size.
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
}

/// What `cover` wrote.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct CoverReport {
    /// UTC presentation instant of the frame shown.
    pub frame_utc_us: i64,
    pub width: u32,
    pub height: u32,
}

/// `(num, den)` of a sample aspect ratio; unknown (0) becomes square.
fn sample_aspect(sar: Rational) -> (i32, i32) {
    match (sar.numerator(), sar.denominator()) {
        (num, den) if num > 0 && den > 0 => (num, den),
        _ => (1, 1),
    }
}

/// The cover's size and the scaled picture's place in it. Nothing
/// requested keeps the source's stored size (its pixel shape goes into the
/// JFIF header instead); one side requested fills the derived size
/// entirely; both fit the picture inside, padded. `Err` describes a side
/// outside the accepted range.
fn layout(
    source: SourceShape,
    width: Option<u32>,
    height: Option<u32>,
) -> Result<(Size, Placement), String> {
    if !source.has_size() {
        return Err("the source picture has no size".into());
    }
    Ok(
        match geometry::COVER.requested_size(source, width, height)? {
            None => {
                let stored = Size {
                    width: source.width,
                    height: source.height,
                };
                (stored, Placement::whole(stored))
            }
            Some(size) if width.is_some() && height.is_some() => {
                (size, geometry::fit(source, size))
            }
            Some(size) => (size, Placement::whole(size)),
        },
    )
}

/// Writes the cover image described by `req`.
pub fn cover(req: &CoverRequest) -> Result<CoverReport, MediaError> {
    crate::av::init()?;
    let invalid =
        |detail: String| MediaError::InvalidJob(format!("clip {}: {detail}", req.clip_index));
    // Sizes are checked before any reading; a derived side is checked once
    // the source is known.
    geometry::COVER
        .check_request(req.width, req.height)
        .map_err(invalid)?;
    let located = locate::locate(req.clip_index, &req.segments, req.at_utc_us)?;
    let frame = decode::decode(req.clip_index, &req.segments, &located)?;
    let sar = sample_aspect(frame.aspect_ratio());
    let source = SourceShape {
        width: frame.width(),
        height: frame.height(),
        sample_aspect: sar,
    };
    let (size, placement) = layout(source, req.width, req.height).map_err(invalid)?;
    let mut picture = picture::render(&frame, size, &placement)?;
    // Scaled pictures have square pixels; an unscaled one keeps the
    // source's shape, which the JFIF header then records.
    let output_sar = if req.width.is_none() && req.height.is_none() {
        Rational::new(sar.0, sar.1)
    } else {
        Rational::new(1, 1)
    };
    let bytes = jpeg::encode(&mut picture, output_sar)?;
    jpeg::write_atomically(&req.output, &bytes)?;
    tracing::debug!(
        clip = req.clip_index,
        frame_utc_us = located.frame_utc_us,
        decoded = located.packets.len(),
        bytes = bytes.len(),
        "cover written"
    );
    Ok(CoverReport {
        frame_utc_us: located.frame_utc_us,
        width: size.width,
        height: size.height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::test_shapes::{shape, size};

    #[test]
    fn a_request_survives_json_and_sizes_default_to_none() {
        let text = r#"{"clip_index":1,"segments":[],"at_utc_us":5,"output":"/o/c.jpg"}"#;
        let req: CoverRequest = serde_json::from_str(text).expect("parsable");
        assert_eq!((req.width, req.height), (None, None));
        let back: CoverRequest =
            serde_json::from_str(&serde_json::to_string(&req).expect("serialisable"))
                .expect("parsable");
        assert_eq!(back, req);
    }

    #[test]
    fn unknown_sample_aspect_is_square() {
        assert_eq!(sample_aspect(Rational::new(0, 1)), (1, 1));
        assert_eq!(sample_aspect(Rational::new(4, 3)), (4, 3));
        assert_eq!(sample_aspect(Rational::new(-1, 3)), (1, 1));
    }

    #[test]
    fn no_size_keeps_the_stored_source_size() {
        let (out, content) = layout(shape(1920, 1080), None, None).expect("valid");
        assert_eq!(out, size(1920, 1080));
        assert_eq!(content, Placement::whole(out));
        // Anamorphic sources keep their stored size too; only scaling
        // makes square pixels.
        let anamorphic = SourceShape {
            sample_aspect: (4, 3),
            ..shape(1440, 1081)
        };
        assert_eq!(
            layout(anamorphic, None, None).map(|l| l.0),
            Ok(size(1440, 1081))
        );
    }

    #[test]
    fn one_side_fills_the_derived_size() {
        let (out, content) = layout(shape(1920, 1080), Some(641), None).expect("valid");
        assert_eq!(out, size(641, 360));
        assert_eq!(content, Placement::whole(out));
        // Even where fitting would leave a bar: an 8x2 cover of a 3:1
        // picture is the whole picture, slightly stretched.
        let (out, content) = layout(shape(300, 100), Some(8), None).expect("valid");
        assert_eq!(content, Placement::whole(out));
    }

    #[test]
    fn both_sides_fit_inside_and_pad_centred() {
        let (out, content) = layout(shape(320, 180), Some(200), Some(200)).expect("valid");
        assert_eq!(out, size(200, 200));
        assert_eq!(
            (content.x, content.y, content.width, content.height),
            (0, 44, 200, 112)
        );
        let (_, content) = layout(shape(640, 480), Some(640), Some(360)).expect("valid");
        assert_eq!(
            (content.x, content.y, content.width, content.height),
            (80, 0, 480, 360)
        );
    }

    #[test]
    fn sizes_outside_the_cover_limits_are_refused() {
        assert!(layout(shape(320, 180), Some(0), None).is_err());
        assert!(layout(shape(320, 180), Some(1), Some(100)).is_err());
        assert!(layout(shape(320, 180), Some(16_385), None).is_err());
        let err = layout(shape(16, 4000), Some(100), None).expect_err("too tall");
        assert!(err.contains("derived"), "{err}");
        assert!(layout(shape(0, 180), None, None).is_err());
    }

    #[test]
    fn bad_sizes_fail_before_any_reading() {
        let req = CoverRequest {
            clip_index: 3,
            segments: vec![SegmentInput {
                path: "/nonexistent/seg.ts".into(),
                uri: "seg.ts".into(),
                sequence: 0,
                utc_start_us: 0,
                duration_us: 2_000_000,
                discontinuity: false,
                lookahead: false,
                init: None,
            }],
            at_utc_us: 0,
            output: "/nonexistent/c.jpg".into(),
            width: Some(0),
            height: None,
        };
        let err = cover(&req).expect_err("width 0");
        assert!(matches!(err, MediaError::InvalidJob(_)), "{err}");
        assert!(err.to_string().contains("clip 3"), "{err}");
    }
}
