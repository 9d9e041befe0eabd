//! Property test: a recording is outside input. A real MPEG-TS segment of the generator, and a
//! real fMP4 fragment (with its init section) written by the ffmpeg CLI's HLS muxer, with random
//! damage (bytes flipped, zeroed, cut out, repeated, the file cut short) is probed and cut in both
//! copy modes: the cut succeeds or fails with a `MediaError`, never a panic or a hang, and a
//! failed cut leaves no output. The case count is proptest's (`PROPTEST_CASES`, 32 here by
//! default: each case is a real cut).

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use livecut_media::{ClipInput, CutJob, CutMode, InitSection, SegmentInput};
use proptest::prelude::*;

use crate::fixtures::*;

/// Recording A remuxed by the ffmpeg CLI into fMP4 HLS (one init section, `moof`/`mdat`
/// fragments): its segments as cut inputs, timed from A's start by their EXTINF.
fn rec_a_fmp4() -> &'static Vec<SegmentInput> {
    static SEGMENTS: OnceLock<Vec<SegmentInput>> = OnceLock::new();
    SEGMENTS.get_or_init(|| {
        let rec = rec_a();
        let dir = output("fmp4-source").with_extension("d");
        std::fs::create_dir_all(&dir).expect("fmp4 dir");
        let playlist = dir.join("index.m3u8");
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i"])
            .arg(&rec.playlist)
            .args([
                "-c",
                "copy",
                "-bsf:a",
                "aac_adtstoasc",
                "-f",
                "hls",
                "-hls_time",
                "2",
            ])
            .args(["-hls_segment_type", "fmp4", "-hls_playlist_type", "vod"])
            .args(["-hls_fmp4_init_filename", "init.mp4"])
            .arg(&playlist)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success(), "ffmpeg could not remux A into fMP4");
        let text = std::fs::read_to_string(&playlist).expect("the fMP4 playlist");
        let init = InitSection {
            path: dir.join("init.mp4"),
            uri: "init.mp4".into(),
        };
        let mut at = rec.segments[0].utc_start_us;
        let mut duration_us = 0;
        let mut segments = Vec::new();
        for line in text.lines() {
            if let Some(d) = line.strip_prefix("#EXTINF:") {
                let seconds: f64 = d.trim_end_matches(',').parse().expect("EXTINF");
                duration_us = (seconds * 1e6).round() as i64;
            } else if !line.starts_with('#') && !line.is_empty() {
                segments.push(SegmentInput {
                    path: dir.join(line),
                    uri: line.to_string(),
                    sequence: segments.len() as u64,
                    utc_start_us: at,
                    duration_us,
                    discontinuity: false,
                    lookahead: false,
                    init: Some(init.clone()),
                });
                at += duration_us;
            }
        }
        assert!(segments.len() >= 4, "{text}");
        segments
    })
}

/// A cut of `clip` in a copy mode: it succeeds or fails cleanly, in bounded time.
fn cut_survives(clip: ClipInput, accurate: bool) -> Result<(), TestCaseError> {
    let out = output("fuzz");
    let _ = std::fs::remove_file(&out);
    let job = CutJob {
        mode: if accurate {
            CutMode::AccurateFast
        } else {
            CutMode::RoughFast
        },
        clips: vec![clip],
        output: out.clone(),
        output_width: None,
        output_height: None,
        video_bitrate_kbps: None,
    };
    let started = Instant::now();
    let result = livecut_media::cut(&job, &mut |_| {});
    prop_assert!(
        started.elapsed() < Duration::from_secs(30),
        "a cut took {:?}",
        started.elapsed()
    );
    if result.is_err() {
        prop_assert!(!out.exists(), "a failed cut left {}", out.display());
    }
    Ok(())
}

fn damaged_copy(original: &std::path::Path, extension: &str, damages: &[Damage]) -> PathBuf {
    let bytes = std::fs::read(original).expect("a recorded file");
    let damaged = output("fuzz-input").with_extension(extension);
    std::fs::write(&damaged, apply(bytes, damages)).expect("write the damaged copy");
    damaged
}

#[derive(Debug, Clone)]
enum Damage {
    Flip { at: f64, xor: u8 },
    Zero { at: f64, len: usize },
    Delete { at: f64, len: usize },
    Repeat { at: f64, len: usize },
    Truncate { at: f64 },
}

fn damage() -> impl Strategy<Value = Damage> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), 1..=255u8).prop_map(|(at, xor)| Damage::Flip { at, xor }),
        (at.clone(), 1..4096usize).prop_map(|(at, len)| Damage::Zero { at, len }),
        (at.clone(), 1..4096usize).prop_map(|(at, len)| Damage::Delete { at, len }),
        (at.clone(), 1..4096usize).prop_map(|(at, len)| Damage::Repeat { at, len }),
        at.prop_map(|at| Damage::Truncate { at }),
    ]
}

fn apply(mut bytes: Vec<u8>, damages: &[Damage]) -> Vec<u8> {
    for d in damages {
        let n = bytes.len();
        if n == 0 {
            break;
        }
        let pos = |at: f64| ((at * n as f64) as usize).min(n - 1);
        match *d {
            Damage::Flip { at, xor } => bytes[pos(at)] ^= xor,
            Damage::Zero { at, len } => {
                let p = pos(at);
                let end = (p + len).min(n);
                bytes[p..end].fill(0);
            }
            Damage::Delete { at, len } => {
                let p = pos(at);
                bytes.drain(p..(p + len).min(n));
            }
            Damage::Repeat { at, len } => {
                let p = pos(at);
                let piece = bytes[p..(p + len).min(n)].to_vec();
                bytes.splice(p..p, piece);
            }
            Damage::Truncate { at } => bytes.truncate(pos(at)),
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(32),
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_damaged_segment_is_cut_or_refused_never_a_panic(
        damages in prop::collection::vec(damage(), 1..6),
        accurate in any::<bool>(),
    ) {
        let rec = rec_a();
        let mut clip = clip(0, rec, T0 + 1_000_000, T0 + 5_000_000);
        clip.segments[1].path = damaged_copy(&clip.segments[1].path, "ts", &damages);
        let _ = livecut_media::probe_segment(&clip.segments[1]);
        cut_survives(clip, accurate)?;
    }

    #[test]
    fn a_damaged_fmp4_fragment_or_init_is_cut_or_refused_never_a_panic(
        damages in prop::collection::vec(damage(), 1..6),
        damage_init in any::<bool>(),
        accurate in any::<bool>(),
    ) {
        let mut segments: Vec<SegmentInput> = rec_a_fmp4()[..3].to_vec();
        if damage_init {
            let init = segments[0].init.clone().expect("an init section");
            let damaged = InitSection {
                path: damaged_copy(&init.path, "init.mp4", &damages),
                uri: init.uri,
            };
            for s in &mut segments {
                s.init = Some(damaged.clone());
            }
        } else {
            segments[1].path = damaged_copy(&segments[1].path, "m4s", &damages);
        }
        let _ = livecut_media::probe_segment(&segments[1]);
        let start = segments[0].utc_start_us + 1_000_000;
        let clip = ClipInput {
            index: 0,
            start_utc_us: start,
            end_utc_us: start + 4_000_000,
            segments,
        };
        cut_survives(clip, accurate)?;
    }
}

/// The fMP4 property damages a source that cuts cleanly when left alone (so its "never a
/// panic" is about the damage, not about a source that always fails).
#[test]
fn the_undamaged_fmp4_source_cuts_in_both_copy_modes() {
    for mode in [CutMode::RoughFast, CutMode::AccurateFast] {
        let segments: Vec<SegmentInput> = rec_a_fmp4()[..3].to_vec();
        let start = segments[0].utc_start_us + 1_000_000;
        let clip = ClipInput {
            index: 0,
            start_utc_us: start,
            end_utc_us: start + 4_000_000,
            segments,
        };
        let out = output(&format!("fmp4-{mode:?}"));
        let job = CutJob {
            mode,
            clips: vec![clip],
            output: out.clone(),
            output_width: None,
            output_height: None,
            video_bitrate_kbps: None,
        };
        let report = livecut_media::cut(&job, &mut |_| {}).expect("the fMP4 source cuts");
        assert!(report.duration_us >= 3_900_000, "{mode:?}: {report:?}");
        let errors = livecut_testkit::oracle::decode_errors(&out).expect("ffmpeg");
        assert!(errors.is_empty(), "{mode:?}: {errors:?}");
    }
}
