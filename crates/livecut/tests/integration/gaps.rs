//! A recording with a hole inside a clip's range: the output holds every recorded frame of the
//! range, in order, with continuous timestamps, and the per-clip report names the missing range.

use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::oracle;
use livecut_testkit::sdk::Signature;
use serde_json::json;

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
    let stream_dir = dir
        .path()
        .join("recordings")
        .join(DOMAIN)
        .join(APP)
        .join("cam1");
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
