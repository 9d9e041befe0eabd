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
//! The frame is scaled with swscale (size rule in `geometry`), converted
//! to full-range 4:2:0 and encoded by FFmpeg's `mjpeg` encoder at a fixed
//! high quality.

mod decode;
mod geometry;
mod jpeg;
mod locate;
mod picture;
mod segment;

use std::path::PathBuf;

use ffmpeg_next::Rational;
use serde::{Deserialize, Serialize};

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
fn sample_aspect(sar: Rational) -> (u32, u32) {
    match (
        u32::try_from(sar.numerator()),
        u32::try_from(sar.denominator()),
    ) {
        (Ok(num), Ok(den)) if num > 0 && den > 0 => (num, den),
        _ => (1, 1),
    }
}

/// Writes the cover image described by `req`.
pub fn cover(req: &CoverRequest) -> Result<CoverReport, MediaError> {
    crate::init()?;
    let invalid =
        |detail: String| MediaError::InvalidJob(format!("clip {}: {detail}", req.clip_index));
    // Sizes are checked before any reading; a derived side is checked once
    // the source is known.
    geometry::check_request(req.width, req.height).map_err(invalid)?;
    let located = locate::locate(req.clip_index, &req.segments, req.at_utc_us)?;
    let frame = decode::decode(req.clip_index, &req.segments, &located)?;
    let sar = sample_aspect(frame.aspect_ratio());
    let source = geometry::SourceShape {
        width: frame.width(),
        height: frame.height(),
        sample_aspect: sar,
    };
    let placement = geometry::place(source, req.width, req.height).map_err(invalid)?;
    let mut picture = picture::render(&frame, &placement)?;
    // Scaled pictures have square pixels; an unscaled one keeps the
    // source's shape, which the JFIF header then records.
    let output_sar = if req.width.is_none() && req.height.is_none() {
        Rational::new(sar.0 as i32, sar.1 as i32)
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
        width: placement.width,
        height: placement.height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
            }],
            at_utc_us: 0,
            output: "/nonexistent/c.jpg".into(),
            width: Some(0),
            height: None,
        };
        let err = cover(&req).expect_err("width 0");
        assert_eq!(err.code(), "InvalidParameter", "{err}");
        assert!(err.to_string().contains("clip 3"), "{err}");
    }
}
