//! Writes a synthetic HLS test recording.
//!
//! `cargo run --release -p livecut-media --example gen_recording -- DIR [WxH] [SECONDS] [FPS] [PRESET]`
//! e.g. `... -- /tmp/rec 1920x1080 60 30 veryfast`. Prints the wall time.

use std::time::Instant;

use livecut_media::testgen::{RecordingSpec, write_recording};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = args
        .first()
        .ok_or("usage: gen_recording DIR [WxH] [SECONDS] [FPS] [PRESET]")?;
    let (width, height) = match args.get(1) {
        Some(size) => {
            let (w, h) = size.split_once('x').ok_or("size must be WxH")?;
            (w.parse()?, h.parse()?)
        }
        None => (1280, 720),
    };
    let seconds: u64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(20);
    let fps: u32 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(30);
    let preset = args.get(4).cloned().unwrap_or_else(|| "veryfast".into());
    let spec = RecordingSpec {
        width,
        height,
        fps_num: fps,
        fps_den: 1,
        gop_frames: fps * 2,
        segment_frames: fps * 2,
        total_frames: seconds * u64::from(fps),
        x264_preset: preset,
        ..RecordingSpec::new(dir)
    };
    let started = Instant::now();
    let summary = write_recording(&spec)?;
    println!(
        "{} frames, {} segments, {:.2} s -> {}",
        summary.frames,
        summary.segments.len(),
        started.elapsed().as_secs_f64(),
        summary.playlist.display()
    );
    Ok(())
}
