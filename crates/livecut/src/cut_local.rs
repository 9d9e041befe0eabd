//! `livecut cut`: the same planner and media engine a worker uses, without a server or
//! database. Playlists are local files or objects of the configured buckets (`s3://B/…`), whose
//! segments are downloaded while the engine cuts, as in a worker's media child; the output is a
//! local file or an object (`s3://B/key.mp4`, uploaded whole). For operators who want one clip
//! now, and for benchmarks of the engine and of the storage path.

use std::path::PathBuf;
use std::time::Instant;

use livecut_media::{CoverRequest, CutJob};

use crate::cli::CutArgs;
use crate::clock::parse_clip_time;
use crate::code::ErrorCode;
use crate::job::location::parse_url;
use crate::job::request::Mode;
use crate::recordings::plan_texts;
use crate::settings::StoreSettings;
use crate::storage::{NoJournal, Prefetch, localize};

/// Remote segments downloaded at once, as in a worker's media child.
const FETCH_IN_FLIGHT: usize = 8;

pub async fn run(store: &StoreSettings, args: &CutArgs) -> Result<(), String> {
    let buckets = store.buckets().map_err(|e| e.to_string())?;
    let mode = Mode::parse(&args.mode)
        .ok_or_else(|| {
            format!(
                "--mode {:?}: use AccurateFast, Accurate, RoughFast or Rough",
                args.mode
            )
        })?
        .cut_mode();
    let times: livecut_hls::SegmentTimes = args
        .segment_times
        .parse()
        .map_err(|e| format!("--segment-times: {e}"))?;
    let mut playlists = Vec::with_capacity(args.playlist.len());
    for raw in &args.playlist {
        let source = buckets
            .source(raw)
            .map_err(|e| format!("--playlist: {e}"))?;
        let text = buckets
            .read_text(&source)
            .await
            .map_err(|e| format!("--playlist: {e}"))?;
        playlists.push((source, times.clone(), text));
    }
    let mut clips = Vec::with_capacity(args.clip.len());
    let mut remote = Vec::with_capacity(args.clip.len());
    for (i, spec) in args.clip.iter().enumerate() {
        let (a, b) = spec
            .split_once(',')
            .ok_or_else(|| format!("--clip {spec:?}: expected START,END"))?;
        let start = parse_clip_time(a).map_err(|e| format!("--clip {spec:?}: start {e}"))?;
        let end = parse_clip_time(b).map_err(|e| format!("--clip {spec:?}: end {e}"))?;
        if end <= start {
            return Err(format!("--clip {spec:?}: END must be later than START"));
        }
        let plan = plan_texts(i, "local", (start, end), &playlists, &buckets)
            .map_err(|e| e.to_string())?;
        clips.push(plan.input);
        remote.push(plan.remote);
    }
    if clips.is_empty() {
        return Err("give at least one --clip START,END".into());
    }
    let scratch = tempfile::Builder::new()
        .prefix("livecut-cut-")
        .tempdir()
        .map_err(|e| format!("cannot create a scratch folder: {e}"))?;
    let fetch = localize(&mut clips, &remote, &scratch.path().join("segments"));
    let prefetch = if fetch.is_empty() {
        None
    } else {
        let p = Prefetch::start(buckets.clone(), fetch, FETCH_IN_FLIGHT)
            .map_err(|e| format!("cannot start the segment downloads: {e}"))?;
        livecut_media::install_segment_gate(p.gate());
        Some(p)
    };
    let output_object = if args.output.contains("://") {
        Some(parse_url(&args.output).map_err(|e| format!("--output {e}"))?)
    } else {
        None
    };
    let output = match &output_object {
        Some(_) => scratch.path().join("output.mp4"),
        None => PathBuf::from(&args.output),
    };
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
    let job = CutJob {
        mode,
        clips,
        output: output.clone(),
        output_width: args.width,
        output_height: args.height,
        video_bitrate_kbps: args.bitrate,
    };
    let report = tokio::task::spawn_blocking(move || {
        let mut bar = ProgressLine::new();
        let report = livecut_media::cut(&job, &mut |p| bar.show(&p));
        bar.end();
        report
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("{}: {e}", ErrorCode::from(&e)))?;
    let cut_seconds = began.elapsed().as_secs_f64();
    if let Some(loc) = &output_object {
        let began = Instant::now();
        let n = buckets
            .publish_file(loc, &output, &NoJournal)
            .await
            .map_err(|e| format!("uploading the output: {e}"))?;
        println!(
            "{}: uploaded {n} bytes in {:.3} s",
            loc.canonical_url(),
            began.elapsed().as_secs_f64()
        );
    }
    if let Some(p) = &prefetch {
        println!("read {} bytes from storage", p.bytes_read());
    }
    if let Some(req) = cover {
        let began = Instant::now();
        let c = tokio::task::spawn_blocking({
            let req = req.clone();
            move || livecut_media::cover(&req)
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{}: {e}", ErrorCode::from(&e)))?;
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
        args.output,
        report.clips.len(),
        report.duration_us as f64 / 1e6,
        cut_seconds
    );
    // What was lost or done beyond copying, clip by clip.
    for c in &report.clips {
        for note in &c.notes {
            println!("  clip {}: {note}", c.index);
        }
    }
    Ok(())
}

/// The progress of `livecut cut` on its terminal: one line redrawn in place (step, a bar, how
/// many segments read or frames written of how many), at most ten times a second. Nothing when
/// stderr is not a terminal, so logs and pipes stay clean.
struct ProgressLine {
    on: bool,
    drawn: Option<Instant>,
}

impl ProgressLine {
    const WIDTH: usize = 30;

    fn new() -> Self {
        use std::io::IsTerminal;
        ProgressLine {
            on: std::io::stderr().is_terminal(),
            drawn: None,
        }
    }

    fn show(&mut self, p: &livecut_media::Progress) {
        let finished = p.step == livecut_media::Step::Writing && p.done == p.total;
        let due = self
            .drawn
            .is_none_or(|t| t.elapsed() >= std::time::Duration::from_millis(100));
        if !self.on || !(due || finished) {
            return;
        }
        self.drawn = Some(Instant::now());
        eprint!("\r{}", render(p, Self::WIDTH));
    }

    fn end(&self) {
        if self.on && self.drawn.is_some() {
            eprintln!();
        }
    }
}

fn render(p: &livecut_media::Progress, width: usize) -> String {
    let filled = ((p.fraction() * width as f32).round() as usize).min(width);
    let step = match p.step {
        livecut_media::Step::Reading => "reading",
        livecut_media::Step::Writing => "writing",
    };
    format!(
        "{step:<8}[{}{}] {:>3}%  {}/{} {}",
        "#".repeat(filled),
        " ".repeat(width - filled),
        (p.fraction() * 100.0).floor() as u32,
        p.done,
        p.total,
        p.unit()
    )
}

#[cfg(test)]
mod progress_tests {
    use super::*;
    use livecut_media::{Progress, Step};

    #[test]
    fn the_line_shows_step_bar_and_counts() {
        let p = Progress {
            step: Step::Writing,
            done: 450,
            total: 900,
        };
        assert_eq!(render(&p, 10), "writing [######    ]  55%  450/900 frames");
    }
}
