//! A recording with a hole inside a clip's range: the output holds every recorded frame of the
//! range, in order, with continuous timestamps, and the per-clip report names the missing range.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::oracle;
use livecut_testkit::sdk::Signature;
use serde_json::{Value, json};

#[test]
fn a_missing_segment_is_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let rec = make_recording(dir.path(), "cam1", 14, &[]);
    // The recorder lost segment 3 (6 s .. 8 s): it is absent from the playlist.
    let playlist = rec.join("index.m3u8");
    let text = std::fs::read_to_string(&playlist).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let uri = lines.iter().position(|l| *l == "seg00003.ts").unwrap();
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| !(uri - 2..=uri).contains(i))
        .map(|(_, l)| *l)
        .collect();
    assert_eq!(
        kept.len(),
        lines.len() - 3,
        "PDT, EXTINF and URI of the lost segment removed"
    );
    std::fs::write(&playlist, kept.join("\n") + "\n").unwrap();

    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    for (mode, name) in [("AccurateFast", "gap-af.mp4"), ("RoughFast", "gap-rf.mp4")] {
        let body = ok_body(sdk.submit(
            &[
                (
                    "Clips",
                    &json!([{"StartTime": at(3.51), "EndTime": at(11.2)}]).to_string(),
                ),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("MediaProduceConfig", &json!({"Mode": mode}).to_string()),
                (
                    "OutputMediaConfig",
                    &json!({"MediaURL": format!("oss://gaps/{name}")}).to_string(),
                ),
            ],
            Signature::V3,
        ));
        let job_id = body["JobId"].as_str().unwrap();
        let job = sdk.wait_job(job_id, Duration::from_secs(60));
        assert_eq!(job["Status"], "Success", "{mode}: {job}");

        let out = dir.path().join("buckets/gaps").join(name);
        let errors = oracle::decode_errors(&out).unwrap();
        assert!(errors.is_empty(), "{mode}: {errors:?}");
        let video = oracle::decode_video_numbers(&out).unwrap();
        let want: Vec<u32> = if mode == "AccurateFast" {
            accurate_frames(3.51, 11.2)
        } else {
            rough_frames(3.51, 11.2)
        }
        .into_iter()
        .filter(|n| !(180..240).contains(n))
        .collect();
        assert_frames(&video.numbers(), &want, mode);
        assert_one_frame_apart(&video, &format!("{mode}, at the gap"));

        let raw = raw_job(&server.endpoint, &sdk.key, job_id);
        assert_eq!(
            raw["ClipResults"][0]["MissingRanges"],
            json!([{"StartTime": at(6.0), "EndTime": at(8.0)}]),
            "{mode}"
        );
    }
}

#[test]
fn an_encoder_restart_with_a_timestamp_reset_joins_seamlessly() {
    let dir = tempfile::tempdir().unwrap();
    // Recording A: 10:00:00–10:00:06. Recording B, after an encoder restart: from 10:00:06, its
    // timestamps and frame numbers start over (PTS back to 10 s, frames from 0).
    let side = dir.path().join("parts");
    for (name, start) in [("a", "2026-11-24T10:00:00Z"), ("b", "2026-11-24T10:00:06Z")] {
        testgen(&side.join(name), 6, start, &[]);
    }
    let absolute = |part: &str, line: &str| {
        if line.ends_with(".ts") {
            side.join(part).join(line).display().to_string()
        } else {
            line.to_string()
        }
    };
    let a = std::fs::read_to_string(side.join("a/index.m3u8")).unwrap();
    let b = std::fs::read_to_string(side.join("b/index.m3u8")).unwrap();
    let mut joined: Vec<String> = a
        .lines()
        .filter(|l| !l.starts_with("#EXT-X-ENDLIST"))
        .map(|l| absolute("a", l))
        .collect();
    joined.push("#EXT-X-DISCONTINUITY".into());
    let first_b = b
        .lines()
        .position(|l| l.starts_with("#EXT-X-PROGRAM-DATE-TIME"))
        .unwrap();
    joined.extend(b.lines().skip(first_b).map(|l| absolute("b", l)));
    let stream_dir = stream_folder(dir.path(), "cam1");
    std::fs::create_dir_all(&stream_dir).unwrap();
    std::fs::write(stream_dir.join("index.m3u8"), joined.join("\n") + "\n").unwrap();

    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    for mode in ["AccurateFast", "RoughFast", "Accurate"] {
        let name = format!("reset-{}.mp4", mode.to_lowercase());
        let body = ok_body(sdk.submit(
            &[
                (
                    "Clips",
                    &json!([{"StartTime": at(3.51), "EndTime": at(9.2)}]).to_string(),
                ),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("MediaProduceConfig", &json!({"Mode": mode}).to_string()),
                (
                    "OutputMediaConfig",
                    &json!({"MediaURL": format!("oss://gaps/{name}")}).to_string(),
                ),
            ],
            Signature::V3,
        ));
        let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(120));
        assert_eq!(job["Status"], "Success", "{mode}: {job}");
        let out = dir.path().join("buckets/gaps").join(&name);
        let errors = oracle::decode_errors(&out).unwrap();
        assert!(errors.is_empty(), "{mode}: {errors:?}");
        let video = oracle::decode_video_numbers(&out).unwrap();
        // A's frames of the range, then B's (B's numbers restart at 0 at 10:00:06).
        let (from_a, from_b): (Vec<u32>, Vec<u32>) = if mode == "RoughFast" {
            ((60..180).collect(), (0..120).collect())
        } else {
            (accurate_frames(3.51, 6.0), accurate_frames(0.0, 3.2))
        };
        let want: Vec<u32> = from_a.into_iter().chain(from_b).collect();
        assert_frames(&video.numbers(), &want, mode);
        assert_one_frame_apart(&video, &format!("{mode}, at the reset"));
    }
}

/// A 12-second recording of the numbered pattern remuxed by the ffmpeg CLI's hls muxer with
/// `args` (2-second segments `index0.ts`…), its first segment's PROGRAM-DATE-TIME `t0`.
fn ffmpeg_copy(dir: &Path, args: &[&str]) -> (PathBuf, i64) {
    let src = dir.join("source");
    std::fs::create_dir_all(&src).unwrap();
    testgen(&src, 12, "2026-11-24T10:00:00Z", &["--fps", "30"]);
    let rec = dir.join("rec");
    let t0 = ffmpeg_hls(&src.join("index.m3u8"), &rec, args);
    (rec, t0)
}

/// `rec` registered as cam1 and served, with an SDK client.
struct Served {
    server: Server,
    sdk: Sdk,
    t0: i64,
}

impl Served {
    fn start(dir: &Path, rec: &Path, t0: i64) -> Served {
        let add = recordings_add(dir, "cam1", &[], rec.join("index.m3u8"));
        assert!(
            add.status.success(),
            "{}",
            String::from_utf8_lossy(&add.stderr)
        );
        let server = Server::start(dir, &[]);
        let key = create_key(dir, "ice:*");
        let sdk = Sdk::new(&server.endpoint, key);
        Served { server, sdk, t0 }
    }

    /// One clip `[a, b)` s after `t0` into `url`, waited for: (the raw job, the SDK's job).
    fn cut(&mut self, (a, b): (f64, f64), produce: serde_json::Value, url: &str) -> (Value, Value) {
        let body = ok_body(
            self.sdk.submit(
                &[
                    (
                        "Clips",
                        &json!([{"StartTime": after(self.t0, a), "EndTime": after(self.t0, b)}])
                            .to_string(),
                    ),
                    ("LiveStreamConfig", &stream_config("cam1")),
                    ("MediaProduceConfig", &produce.to_string()),
                    ("OutputMediaConfig", &json!({"MediaURL": url}).to_string()),
                ],
                Signature::V3,
            ),
        );
        let job_id = body["JobId"].as_str().unwrap().to_string();
        let job = self.sdk.wait_job(&job_id, Duration::from_secs(60));
        (raw_job(&self.server.endpoint, &self.sdk.key, &job_id), job)
    }
}

fn clip_time(v: &Value) -> i64 {
    livecut::clock::parse_clip_time(v.as_str().unwrap()).unwrap()
}

/// A segment cut short (a recorder killed mid-write, a partial copy) inside a clip, in a recording
/// the ffmpeg CLI's hls muxer wrote: the job does not succeed silently with frames missing. By
/// default it succeeds with the lost span in `MissingRanges` and a note; with
/// `OnDamagedRecording: Fail` it fails, naming the clip and the span, and publishes nothing.
#[test]
fn a_truncated_segment_is_reported_or_fails_the_job_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, t0) = ffmpeg_copy(dir.path(), &["-c", "copy", "-fps_mode", "passthrough"]);
    // Segment 2 holds frames 120..180; keep the first 40 % of its bytes.
    let damaged = rec.join("index2.ts");
    let bytes = std::fs::read(&damaged).unwrap();
    std::fs::write(&damaged, &bytes[..bytes.len() * 2 / 5]).unwrap();
    let left = oracle::decode_video_numbers(&damaged).unwrap().numbers();
    let last_left = left.iter().flatten().copied().max().unwrap();
    assert!((120..170).contains(&last_left), "{left:?}");
    let mut served = Served::start(dir.path(), &rec, t0);
    for mode in ["AccurateFast", "RoughFast", "Accurate"] {
        let name = format!("{mode}.mp4");
        let url = format!("oss://damaged/{name}");
        let (raw, job) = served.cut((1.0, 9.0), json!({"Mode": mode}), &url);
        assert_eq!(job["Status"], "Success", "{mode}: {job}");
        let clip = &raw["ClipResults"][0];
        let missing = clip["MissingRanges"].as_array().unwrap();
        let time = clip_time;
        // The lost span runs to where segment 3 starts; it begins after the last picture the
        // damaged file still holds whole (the incomplete one is left out, so a B-picture before
        // it may show as a one-frame span of its own).
        let last = missing.last().unwrap();
        assert_eq!(last["EndTime"], after(t0, 6.0), "{mode}: {clip}");
        let lost_from = time(&missing[0]["StartTime"]);
        assert!(
            (t0 + 4_000_000..=t0 + i64::from(last_left + 1) * 1_000_000 / 30).contains(&lost_from),
            "{mode}: lost from {lost_from}: {clip}"
        );
        let lost_us: i64 = missing
            .iter()
            .map(|m| time(&m["EndTime"]) - time(&m["StartTime"]))
            .sum();
        assert!(
            lost_us >= 6_000_000 - (i64::from(last_left) + 1) * 1_000_000 / 30,
            "{mode}: {clip}"
        );
        let notes = clip["Notes"].to_string();
        assert!(notes.contains("video missing"), "{mode}: {notes}");
        // The output plays without a decode error: every frame outside the damaged segment,
        // and of the damaged segment only pictures it still holds whole, in order.
        let out = dir.path().join("buckets/damaged").join(&name);
        let errors = oracle::decode_errors(&out).unwrap();
        assert!(errors.is_empty(), "{mode}: {errors:?}");
        let video: Vec<u32> = oracle::decode_video_numbers(&out)
            .unwrap()
            .numbers()
            .into_iter()
            .map(|n| n.expect("every frame readable"))
            .collect();
        let (first, end) = if mode == "RoughFast" {
            (0, 300)
        } else {
            (30, 270)
        };
        let outside: Vec<u32> = (first..end).filter(|n| !(120..180).contains(n)).collect();
        let got_outside: Vec<u32> = video
            .iter()
            .copied()
            .filter(|n| !(120..180).contains(n))
            .collect();
        assert_eq!(got_outside, outside, "{mode}");
        let inside: Vec<u32> = video
            .iter()
            .copied()
            .filter(|n| (120..180).contains(n))
            .collect();
        assert!(inside.windows(2).all(|w| w[0] < w[1]), "{mode}: {inside:?}");
        assert!(inside.iter().all(|n| *n <= last_left), "{mode}: {inside:?}");
        assert!(
            inside.len() + 2 >= (last_left - 119) as usize,
            "{mode}: {inside:?}"
        );
    }
    // (An unknown OnDamagedRecording is refused at Submit: see `bad_input`.)
    let (_, job) = served.cut(
        (1.0, 9.0),
        json!({"Mode": "AccurateFast", "OnDamagedRecording": "Fail"}),
        "oss://damaged/strict.mp4",
    );
    assert_eq!(job["Status"], "Failed", "{job}");
    assert_eq!(job["Code"], "InvalidParameter.ResourceContentBad", "{job}");
    let message = job["Message"].as_str().unwrap();
    assert!(
        message.contains("Clip 0") && message.contains("damaged"),
        "{message}"
    );
    assert!(!dir.path().join("buckets/damaged/strict.mp4").exists());
}

/// A segment with bytes lost from its middle (30 MPEG-TS packets gone, as a lossy copy or a
/// bad disk leaves it): its pictures are all there, but some decode with errors. The job does
/// not succeed silently: the damaged span (from the first damaged picture to the next keyframe)
/// is in `MissingRanges`, `Notes` count the damaged pictures, and `OnDamagedRecording: Fail`
/// fails the job instead. A clip that does not reach the damage reports nothing.
#[test]
fn a_segment_with_bytes_lost_inside_is_reported_with_its_damaged_pictures_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, t0) = ffmpeg_copy(dir.path(), &["-c", "copy", "-fps_mode", "passthrough"]);
    // Segment 2 holds frames 120..180 (4 s .. 6 s): 30 packets of 188 bytes go from its middle.
    let damaged = rec.join("index2.ts");
    let mut bytes = std::fs::read(&damaged).unwrap();
    let middle = bytes.len() / 188 / 2 * 188;
    bytes.drain(middle..middle + 30 * 188);
    std::fs::write(&damaged, &bytes).unwrap();
    let errors = oracle::decode_errors(&damaged).unwrap();
    assert!(
        !errors.is_empty(),
        "the damage is real: the file decodes with errors"
    );
    let mut served = Served::start(dir.path(), &rec, t0);
    let time = clip_time;
    for mode in ["AccurateFast", "RoughFast", "Accurate", "Rough"] {
        let url = format!("oss://damaged/{mode}.mp4");
        let (raw, job) = served.cut((1.0, 9.0), json!({"Mode": mode}), &url);
        assert_eq!(job["Status"], "Success", "{mode}: {job}");
        let clip = &raw["ClipResults"][0];
        let missing = clip["MissingRanges"].as_array().unwrap();
        assert_eq!(missing.len(), 1, "{mode}: {clip}");
        let (from, to) = (time(&missing[0]["StartTime"]), time(&missing[0]["EndTime"]));
        assert!(
            t0 + 4_000_000 < from && from < to && to <= t0 + 6_000_000,
            "{mode}: the damaged span lies in segment 2: {clip}"
        );
        let notes = clip["Notes"].to_string();
        assert!(
            notes.contains("video damaged") && notes.contains("decode error"),
            "{mode}: {notes}"
        );
    }
    // Before the damage: nothing to report.
    let (raw, job) = served.cut(
        (0.5, 3.5),
        json!({"Mode": "AccurateFast"}),
        "oss://damaged/clean.mp4",
    );
    assert_eq!(job["Status"], "Success", "{job}");
    let clip = &raw["ClipResults"][0];
    assert!(
        clip["MissingRanges"].as_array().is_none_or(Vec::is_empty),
        "{clip}"
    );
    let (_, job) = served.cut(
        (1.0, 9.0),
        json!({"Mode": "RoughFast", "OnDamagedRecording": "Fail"}),
        "oss://damaged/strict.mp4",
    );
    assert_eq!(job["Status"], "Failed", "{job}");
    assert_eq!(job["Code"], "InvalidParameter.ResourceContentBad", "{job}");
    assert!(!dir.path().join("buckets/damaged/strict.mp4").exists());
}

/// A recording whose audio has a hole (half a second of AAC frames missing, as an encoder that
/// dropped input leaves it; made by the ffmpeg CLI): in every mode the output's audio track is
/// gapless, the hole filled with silence, and the clip's Notes say how much silence went where
/// in the output.
#[test]
fn a_hole_in_the_recorded_audio_is_filled_and_located_in_the_notes() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, t0) = ffmpeg_copy(
        dir.path(),
        &[
            "-c:v",
            "copy",
            "-af",
            "aselect='not(between(t,4,4.5))'",
            "-c:a",
            "aac",
        ],
    );
    let mut served = Served::start(dir.path(), &rec, t0);
    // The clip starts at 3 s (RoughFast and Rough: at its segment's start, 2 s), so the hole
    // is 1 s (2 s) into the output.
    for (mode, hole_at) in [
        ("AccurateFast", 1.0),
        ("Accurate", 1.0),
        ("RoughFast", 2.0),
        ("Rough", 2.0),
    ] {
        let url = format!("oss://holes/{mode}.mp4");
        let (raw, job) = served.cut((3.0, 6.0), json!({"Mode": mode}), &url);
        assert_eq!(job["Status"], "Success", "{mode}: {job}");
        let notes: Vec<String> = raw["ClipResults"][0]["Notes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect();
        let note = notes
            .iter()
            .find(|n| n.contains("ms of silence"))
            .unwrap_or_else(|| panic!("{mode}: no silence note in {notes:?}"));
        // "491 ms of silence … (491 ms at 0.981 s of the output)"
        let ms: i64 = note.split(" ms").next().unwrap().parse().unwrap();
        assert!((440..=560).contains(&ms), "{mode}: {note}");
        let at: f64 = note
            .split(" ms at ")
            .nth(1)
            .and_then(|s| s.split(" s").next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{mode}: no position in {note}"));
        assert!((at - hole_at).abs() < 0.1, "{mode}: {note}");
        let out = dir.path().join(format!("buckets/holes/{mode}.mp4"));
        let holes = oracle::audio_holes(&out).unwrap();
        assert!(holes.is_empty(), "{mode}: audio holes {holes:?}");
        assert!(oracle::decode_errors(&out).unwrap().is_empty(), "{mode}");
    }
}
