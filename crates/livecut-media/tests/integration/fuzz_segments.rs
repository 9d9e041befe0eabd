//! Property test: a recording is outside input. A real MPEG-TS segment of the generator with
//! random damage (bytes flipped, zeroed, cut out, repeated, the file cut short) is probed and
//! cut in both copy modes: the cut succeeds or fails with a `MediaError`, never a panic or a
//! hang, and a failed cut leaves no output. The case count is proptest's (`PROPTEST_CASES`,
//! 32 here by default: each case is a real cut).

use std::time::{Duration, Instant};

use livecut_media::{CutJob, CutMode};
use proptest::prelude::*;

use crate::fixtures::*;

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
        let original = std::fs::read(&clip.segments[1].path).expect("a generated segment");
        let damaged = output("fuzz").with_extension("ts");
        std::fs::write(&damaged, apply(original, &damages)).expect("write the damaged copy");
        clip.segments[1].path = damaged;
        let _ = livecut_media::probe_segment(&clip.segments[1]);
        let out = output("fuzz");
        let _ = std::fs::remove_file(&out);
        let job = CutJob {
            mode: if accurate { CutMode::AccurateFast } else { CutMode::RoughFast },
            clips: vec![clip],
            output: out.clone(),
            output_width: None,
            output_height: None,
            video_bitrate_kbps: None,
        };
        let started = Instant::now();
        let result = livecut_media::cut(&job, &mut |_| {});
        prop_assert!(started.elapsed() < Duration::from_secs(30), "a cut took {:?}", started.elapsed());
        if result.is_err() {
            prop_assert!(!out.exists(), "a failed cut left {}", out.display());
        }
    }
}
