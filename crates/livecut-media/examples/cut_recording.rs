//! Cuts a range out of a playlist written by `gen_recording` and prints the
//! report and the wall time. Only understands the generator's playlists
//! (a PROGRAM-DATE-TIME before every segment); the service parses real ones.
//!
//! `cargo run --release -p livecut-media --example cut_recording -- PLAYLIST MODE START_S END_S OUT`
//! with MODE `RoughFast`, `AccurateFast`, `Rough` or `Accurate` and
//! START_S/END_S in seconds from the first segment's PROGRAM-DATE-TIME.
//! `LIVECUT_WIDTH`, `LIVECUT_HEIGHT`, `LIVECUT_KBPS` set the output options
//! of the re-encoding modes.

use std::path::Path;
use std::time::Instant;

use livecut_media::{ClipInput, CutJob, CutMode, SegmentInput};

/// `2026-11-24T10:00:02.000Z` -> microseconds since the epoch.
fn parse_pdt(text: &str) -> Option<i64> {
    let (date, time) = text.trim_end_matches('Z').split_once('T')?;
    let mut d = date.split('-').map(str::parse::<i64>);
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let mut t = time.split(':');
    let (hh, mm) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let secs: f64 = t.next()?.parse().ok()?;
    // days_from_civil (H. Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60) * 1_000_000) + (secs * 1e6).round() as i64)
}

fn segments(playlist: &Path) -> Result<Vec<SegmentInput>, Box<dyn std::error::Error>> {
    let dir = playlist.parent().ok_or("playlist has no directory")?;
    let text = std::fs::read_to_string(playlist)?;
    let mut out = Vec::new();
    let (mut pdt, mut dur, mut seq) = (None, None, 0u64);
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("#EXT-X-MEDIA-SEQUENCE:") {
            seq = v.parse()?;
        } else if let Some(v) = line.strip_prefix("#EXT-X-PROGRAM-DATE-TIME:") {
            pdt = parse_pdt(v);
        } else if let Some(v) = line.strip_prefix("#EXTINF:") {
            dur = Some((v.trim_end_matches(',').parse::<f64>()? * 1e6).round() as i64);
        } else if !line.starts_with('#') && !line.is_empty() {
            out.push(SegmentInput {
                path: dir.join(line),
                uri: line.to_string(),
                sequence: seq,
                utc_start_us: pdt.take().ok_or("segment without PROGRAM-DATE-TIME")?,
                duration_us: dur.take().ok_or("segment without EXTINF")?,
                discontinuity: false,
                lookahead: false,
                init: None,
            });
            seq += 1;
        }
    }
    Ok(out)
}

/// An optional number from the environment (output options of the
/// re-encoding modes).
fn size_from_env(name: &str) -> Result<Option<u32>, Box<dyn std::error::Error>> {
    match std::env::var(name) {
        Ok(v) => Ok(Some(v.parse()?)),
        Err(_) => Ok(None),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [playlist, mode, start, end, out] = args.as_slice() else {
        return Err("usage: cut_recording PLAYLIST MODE START_S END_S OUT".into());
    };
    let mode = match mode.as_str() {
        "RoughFast" => CutMode::RoughFast,
        "AccurateFast" => CutMode::AccurateFast,
        "Rough" => CutMode::Rough,
        "Accurate" => CutMode::Accurate,
        other => return Err(format!("mode {other}?").into()),
    };
    let all = segments(Path::new(playlist))?;
    let t0 = all.first().ok_or("empty playlist")?.utc_start_us;
    let start = t0 + (start.parse::<f64>()? * 1e6).round() as i64;
    let end = t0 + (end.parse::<f64>()? * 1e6).round() as i64;
    let overlapping = all
        .into_iter()
        .filter(|s| s.utc_start_us < end && s.utc_start_us + s.duration_us > start)
        .collect();
    let job = CutJob {
        mode,
        clips: vec![ClipInput {
            index: 0,
            start_utc_us: start,
            end_utc_us: end,
            segments: overlapping,
        }],
        output: out.into(),
        output_width: size_from_env("LIVECUT_WIDTH")?,
        output_height: size_from_env("LIVECUT_HEIGHT")?,
        video_bitrate_kbps: size_from_env("LIVECUT_KBPS")?,
    };
    let started = Instant::now();
    let report = livecut_media::cut(&job, &mut |_| {})?;
    println!("{:.3} s wall", started.elapsed().as_secs_f64());
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
