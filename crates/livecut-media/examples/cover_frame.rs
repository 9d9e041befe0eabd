//! Makes one cover image from a playlist written by `gen_recording` and
//! prints the wall time of each of `REPEAT` runs.
//!
//! `cargo run --release -p livecut-media --example cover_frame -- PLAYLIST AT_S OUT [WxH] [REPEAT]`
//! with AT_S in seconds from the first segment. Segment times are the sums
//! of the EXTINF durations (the generator writes gapless recordings), so
//! only relative times matter; the service parses real playlists.

use std::path::Path;
use std::time::Instant;

use livecut_media::{CoverRequest, SegmentInput};

fn segments(playlist: &Path) -> Result<Vec<SegmentInput>, Box<dyn std::error::Error>> {
    let dir = playlist.parent().ok_or("playlist has no directory")?;
    let text = std::fs::read_to_string(playlist)?;
    let mut out = Vec::new();
    let (mut sequence, mut start, mut duration) = (0u64, 0i64, None);
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
            sequence = v.parse()?;
        } else if let Some(v) = line.strip_prefix("#EXTINF:") {
            duration = Some((v.trim_end_matches(',').parse::<f64>()? * 1e6).round() as i64);
        } else if !line.starts_with('#') && !line.is_empty() {
            let duration_us = duration.take().ok_or("segment without EXTINF")?;
            out.push(SegmentInput {
                path: dir.join(line),
                uri: line.to_string(),
                sequence,
                utc_start_us: start,
                duration_us,
                discontinuity: false,
                lookahead: false,
                init: None,
            });
            sequence += 1;
            start += duration_us;
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [playlist, at, out, ..] = args.as_slice() else {
        return Err("usage: cover_frame PLAYLIST AT_S OUT [WxH] [REPEAT]".into());
    };
    let (width, height) = match args.get(3).map(String::as_str) {
        None | Some("source") => (None, None),
        Some(size) => {
            let (w, h) = size.split_once('x').ok_or("size must be WxH or `source`")?;
            let side = |s: &str| -> Result<Option<u32>, std::num::ParseIntError> {
                if s.is_empty() {
                    Ok(None)
                } else {
                    s.parse().map(Some)
                }
            };
            (side(w)?, side(h)?)
        }
    };
    let repeat: u32 = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(1);
    let at_utc_us = (at.parse::<f64>()? * 1e6).round() as i64;
    let all = segments(Path::new(playlist))?;
    // The segments a 10 s clip around the instant would list.
    let clip: Vec<SegmentInput> = all
        .into_iter()
        .filter(|s| {
            s.utc_start_us < at_utc_us + 5_000_000
                && s.utc_start_us + s.duration_us > at_utc_us - 5_000_000
        })
        .collect();
    let req = CoverRequest {
        clip_index: 0,
        segments: clip,
        at_utc_us,
        output: out.into(),
        width,
        height,
    };
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let report = livecut_media::cover(&req)?;
        println!(
            "{:.1} ms wall: {}",
            started.elapsed().as_secs_f64() * 1000.0,
            serde_json::to_string(&report)?
        );
    }
    Ok(())
}
