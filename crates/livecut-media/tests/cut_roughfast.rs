//! RoughFast: whole segments stream-copied and joined.

mod common;

use common::*;
use livecut_media::CutMode;
use livecut_testkit::oracle;

#[test]
fn one_clip_is_every_frame_of_its_segments() {
    let rec = rec_a();
    let c = clip(0, rec, T0 + 3_500_000, T0 + 9_200_000);
    let expected = segment_numbers(&c.segments, rec, 0);
    assert_eq!(expected.first(), Some(&60));
    assert_eq!(expected.last(), Some(&299));
    let (out, report) = run("rough_one", CutMode::RoughFast, vec![c]);
    check_output(&out, &expected);
    let r = &report.clips[0];
    assert_eq!(
        (r.frames, r.copied_frames, r.reencoded_frames),
        (240, 240, 0)
    );
    assert_eq!(r.segments, vec![1, 2, 3, 4]);
    assert_eq!(r.first_frame_utc_us, T0 + 2_000_000);
    assert_eq!(r.last_frame_utc_us, T0 + 9_966_667);
    assert_eq!(report.duration_us, 8_000_000);

    let probe = oracle::ffprobe_json(&out).expect("ffprobe");
    let video = &probe["streams"][0];
    assert_eq!(video["codec_tag_string"], "avc1");
    assert_eq!(video["nb_frames"], "240");
}
