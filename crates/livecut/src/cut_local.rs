//! `livecut cut`: the same planner and media engine a worker uses, on local playlists, without a
//! server or database. For operators who want one clip now, and for benchmarks of the engine.

use std::path::PathBuf;
use std::time::Instant;

use livecut_media::{CoverRequest, CutJob};

use crate::cli::CutArgs;
use crate::clock::parse_clip_time;
use crate::code::ErrorCode;
use crate::job::request::Mode;
use crate::recordings::{Reach, plan_range};

pub fn run(args: &CutArgs) -> Result<(), String> {
    let mode = Mode::parse(&args.mode)
        .ok_or_else(|| {
            format!(
                "--mode {:?}: use AccurateFast, Accurate, RoughFast or Rough",
                args.mode
            )
        })?
        .cut_mode();
    let playlists: Vec<PathBuf> = args.playlist.clone();
    let mut clips = Vec::with_capacity(args.clip.len());
    for (i, spec) in args.clip.iter().enumerate() {
        let (a, b) = spec
            .split_once(',')
            .ok_or_else(|| format!("--clip {spec:?}: expected START,END"))?;
        let start = parse_clip_time(a).map_err(|e| format!("--clip {spec:?}: start {e}"))?;
        let end = parse_clip_time(b).map_err(|e| format!("--clip {spec:?}: end {e}"))?;
        if end <= start {
            return Err(format!("--clip {spec:?}: END must be later than START"));
        }
        let plan = plan_range(i, "local", (start, end), &playlists, Reach::for_mode(mode))
            .map_err(|e| e.to_string())?;
        clips.push(plan.input);
    }
    if clips.is_empty() {
        return Err("give at least one --clip START,END".into());
    }
    livecut_media::init().map_err(|e| e.to_string())?;
    let cover = match (&args.cover_time, &args.cover_output) {
        (Some(t), Some(out)) => Some(CoverRequest {
            clip_index: 0,
            segments: clips[0].segments.clone(),
            at_utc_us: parse_clip_time(t).map_err(|e| format!("--cover-time {t:?} {e}"))?,
            output: out.clone(),
            width: args.width,
            height: args.height,
        }),
        _ => None,
    };
    let began = Instant::now();
    let report = livecut_media::cut(
        &CutJob {
            mode,
            clips,
            output: args.output.clone(),
            output_width: args.width,
            output_height: args.height,
            video_bitrate_kbps: args.bitrate,
        },
        &mut |_| {},
    )
    .map_err(|e| format!("{}: {e}", ErrorCode::from(&e)))?;
    let cut_seconds = began.elapsed().as_secs_f64();
    if let Some(req) = &cover {
        let began = Instant::now();
        let c = livecut_media::cover(req).map_err(|e| format!("{}: {e}", ErrorCode::from(&e)))?;
        println!(
            "{}: {}x{} cover in {:.3} s",
            req.output.display(),
            c.width,
            c.height,
            began.elapsed().as_secs_f64()
        );
    }
    let frames: u64 = report.clips.iter().map(|c| c.frames).sum();
    let reencoded: u64 = report.clips.iter().map(|c| c.reencoded_frames).sum();
    println!(
        "{}: {} clips, {frames} frames ({reencoded} re-encoded), {:.3} s of video in {:.3} s",
        args.output.display(),
        report.clips.len(),
        report.duration_us as f64 / 1e6,
        cut_seconds
    );
    Ok(())
}
