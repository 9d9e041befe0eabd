//! Bad inputs fail with the right code and a message naming the clip and
//! segment, before any output file appears.

use crate::fixtures::*;
use livecut_media::{ClipInput, CutJob, CutMode, MediaError};

fn fail(name: &str, mode: CutMode, clips: Vec<ClipInput>) -> MediaError {
    let out = output(name);
    let _ = std::fs::remove_file(&out);
    let job = CutJob {
        mode,
        clips,
        output: out.clone(),
        output_width: None,
        output_height: None,
        video_bitrate_kbps: None,
    };
    let err = livecut_media::cut(&job, &mut |_| {}).expect_err("the cut must fail");
    eprintln!("{name}: {:?} {err}", fault(&err));
    assert_nothing_written(&out, name);
    err
}

#[test]
fn a_missing_segment_is_resource_not_found() {
    let rec = rec_a();
    let mut c = clip(1, rec, T0 + 3_000_000, T0 + 7_000_000);
    c.segments[1].path = c.segments[1].path.with_file_name("gone00002.ts");
    c.segments[1].uri = "gone00002.ts".into();
    let err = fail(
        "err_missing",
        CutMode::AccurateFast,
        vec![clip(0, rec, T0, T0 + 1_000_000), c],
    );
    assert_eq!(fault(&err), Fault::NotRecorded, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("clip 1") && text.contains("gone00002.ts"),
        "{text}"
    );
}

#[test]
fn a_corrupt_segment_is_resource_content_bad() {
    let rec = rec_a();
    let mut c = clip(0, rec, T0 + 3_000_000, T0 + 7_000_000);
    let junk = junk_segment("junk", 0x1234_5678, 200_000);
    c.segments[2].path = junk;
    c.segments[2].uri = "junk.ts".into();
    for mode in [CutMode::RoughFast, CutMode::AccurateFast] {
        let err = fail("err_corrupt", mode, vec![c.clone()]);
        assert_eq!(fault(&err), Fault::Damaged, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("clip 0") && text.contains("junk.ts"),
            "{text}"
        );
    }
}

#[test]
fn a_truncated_segment_is_resource_content_bad() {
    let rec = rec_a();
    let mut c = clip(0, rec, T0 + 2_500_000, T0 + 3_500_000);
    let cut_short = output("short").with_extension("ts");
    let bytes = std::fs::read(&c.segments[0].path).expect("read");
    std::fs::write(&cut_short, &bytes[..bytes.len() / 10]).expect("write");
    c.segments[0].path = cut_short;
    c.segments[0].uri = "short.ts".into();
    // The first tenth of segment 1 holds only the first frames of the GOP
    // that frame 75 needs: the frames in range cannot be produced.
    let err = fail("err_short", CutMode::AccurateFast, vec![c]);
    assert!(
        matches!(fault(&err), Fault::Damaged | Fault::NotRecorded),
        "{err}"
    );
    assert!(err.to_string().contains("clip 0"), "{err}");
}

#[test]
fn a_range_without_frames_is_resource_not_found() {
    let rec = rec_a();
    let mut c = clip(0, rec, T0 + 3_000_000, T0 + 4_000_000);
    // The range lies in segment 1, but only segment 3 is listed.
    c.segments = rec.inputs_overlapping(T0 + 6_500_000, T0 + 7_000_000);
    let err = fail("err_empty", CutMode::AccurateFast, vec![c.clone()]);
    assert_eq!(fault(&err), Fault::NotRecorded, "{err}");
    c.segments.clear();
    let err = fail("err_no_segments", CutMode::RoughFast, vec![c]);
    assert_eq!(fault(&err), Fault::NotRecorded, "{err}");
}

#[test]
fn bad_jobs_are_typed() {
    let rec = rec_a();
    let c = clip(0, rec, T0, T0 + 1_000_000);
    let err = fail("err_none", CutMode::RoughFast, vec![]);
    assert_eq!(fault(&err), Fault::BadJob);
    let mut backwards = c;
    backwards.end_utc_us = backwards.start_utc_us;
    let err = fail("err_backwards", CutMode::AccurateFast, vec![backwards]);
    assert_eq!(fault(&err), Fault::BadJob);
}
