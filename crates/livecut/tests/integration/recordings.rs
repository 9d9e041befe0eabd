//! The recording index as a live user meets it: a playlist registered with the CLI while the
//! server runs, and a clip whose end the recorder has not written yet when the job starts.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::fixtures::*;
use livecut_testkit::sdk::Signature;
use serde_json::json;

#[test]
fn a_playlist_registered_while_serving_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    // Outside the scanned folder: only registration can make it known.
    let elsewhere = dir.path().join("nas/shop-cam9");
    std::fs::create_dir_all(&elsewhere).unwrap();
    testgen(&elsewhere, 12, "2026-11-24T10:00:00Z", &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let submit = |sdk: &mut Sdk| {
        sdk.submit(
            &[
                (
                    "Clips",
                    &json!([{"StartTime": at(2.51), "EndTime": at(7.2)}]).to_string(),
                ),
                ("LiveStreamConfig", &stream_config("cam9")),
                (
                    "OutputMediaConfig",
                    r#"{"MediaURL":"oss://clips/cam9.mp4"}"#,
                ),
            ],
            Signature::V3,
        )
    };
    // Before registration: the job fails, naming the clip and the stream.
    let job_id = ok_body(submit(&mut sdk))["JobId"]
        .as_str()
        .unwrap()
        .to_string();
    let job = sdk.wait_job(&job_id, Duration::from_secs(60));
    assert_eq!(job["Status"], "Failed");
    assert_eq!(job["Code"], "InvalidParameter.ResourceNotFound");
    let message = job["Message"].as_str().unwrap();
    assert!(
        message.contains("Clip 0") && message.contains("live.example.com/shop/cam9"),
        "{message}"
    );
    assert!(
        !dir.path().join("buckets/clips/cam9.mp4").exists(),
        "a failed job leaves no output"
    );

    let add = recordings_add(dir.path(), "cam9", &[], elsewhere.join("index.m3u8"));
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    assert!(String::from_utf8_lossy(&add.stdout).contains("registered"));

    let job_id = ok_body(submit(&mut sdk))["JobId"]
        .as_str()
        .unwrap()
        .to_string();
    let job = sdk.wait_job(&job_id, Duration::from_secs(60));
    assert_eq!(job["Status"], "Success", "{job}");
    assert_frames(
        &frames_of(&dir.path().join("buckets/clips/cam9.mp4")),
        &accurate_frames(2.51, 7.2),
        "registered recording",
    );
}

/// A recording whose frame 0 is `ago_s` seconds before now, `seconds` long, written in full to
/// a side folder; `show` writes the stream's playlist in the scanned folder with the first
/// segments only (or all), without ENDLIST, as a live recorder that is behind or caught up.
struct LiveRecording {
    start_us: i64,
    full: std::path::PathBuf,
    lines: Vec<String>,
    header_len: usize,
    playlist: std::path::PathBuf,
}

impl LiveRecording {
    fn new(dir: &std::path::Path, stream: &str, ago_s: i64, seconds: u32) -> LiveRecording {
        let now_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros() as i64;
        let start_us = (now_us / 1_000_000 - ago_s) * 1_000_000;
        let full = dir.join(format!("full-{stream}"));
        std::fs::create_dir_all(&full).unwrap();
        testgen(
            &full,
            seconds,
            &livecut::clock::format_precise_time(start_us),
            &[],
        );
        let text = std::fs::read_to_string(full.join("index.m3u8")).unwrap();
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with("#EXT-X-ENDLIST"))
            .map(str::to_string)
            .collect();
        let header_len = lines
            .iter()
            .position(|l| l.starts_with("#EXT-X-PROGRAM-DATE-TIME"))
            .unwrap();
        let live_dir = stream_folder(dir, stream);
        std::fs::create_dir_all(&live_dir).unwrap();
        LiveRecording {
            start_us,
            full,
            lines,
            header_len,
            playlist: live_dir.join("index.m3u8"),
        }
    }

    /// The playlist with its first `segments` segments (3 lines each: PDT, EXTINF, URI), or all.
    fn show(&self, segments: Option<usize>) {
        let end = segments.map_or(self.lines.len(), |n| self.header_len + n * 3);
        let text: Vec<String> = self.lines[..end]
            .iter()
            .map(|l| {
                if l.ends_with(".ts") {
                    self.full.join(l).display().to_string()
                } else {
                    l.clone()
                }
            })
            .collect();
        std::fs::write(&self.playlist, text.join("\n") + "\n").unwrap();
    }

    fn at(&self, seconds: f64) -> String {
        livecut::clock::format_precise_time(self.start_us + (seconds * 1e6).round() as i64)
    }
}

#[test]
fn a_clip_past_the_live_edge_waits_for_the_recorder() {
    let dir = tempfile::tempdir().unwrap();
    // The recording's last frame is "now"; the playlist first shows its first 10 s.
    let live = LiveRecording::new(dir.path(), "live1", 30, 30);
    live.show(Some(5));

    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let body = ok_body(sdk.submit(
        &[
            (
                "Clips",
                &json!([{"StartTime": live.at(3.51), "EndTime": live.at(25.2)}]).to_string(),
            ),
            ("LiveStreamConfig", &stream_config("live1")),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://clips/live.mp4"}"#,
            ),
        ],
        Signature::V3,
    ));
    let job_id = body["JobId"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(1500));
    let job = ok_body(sdk.get_job(&job_id));
    assert_eq!(
        job["LiveEditingJob"]["Status"], "Processing",
        "waiting for the recorder: {job}"
    );
    // The recorder catches up (still live: no ENDLIST).
    live.show(None);
    let job = sdk.wait_job(&job_id, Duration::from_secs(60));
    assert_eq!(job["Status"], "Success", "{job}");
    assert_frames(
        &frames_of(&dir.path().join("buckets/clips/live.mp4")),
        &accurate_frames(3.51, 25.2),
        "live edge clip",
    );
}

/// A clip that ends seconds in the future on a live stream does not hold the only worker: its
/// job goes back to the queue until the clip's end while another job runs, then waits for the
/// recorder and succeeds. A clip ending further ahead than `--max-future-seconds` is refused.
#[test]
fn a_clip_ending_in_the_future_waits_in_the_queue_not_on_a_worker() {
    let dir = tempfile::tempdir().unwrap();
    // The whole recording, 30 s before now to 30 s after, is on disk; the playlist shows the
    // first 10 s, as a recorder that is behind.
    let live = LiveRecording::new(dir.path(), "live2", 30, 60);
    live.show(Some(5));
    make_recording(dir.path(), "cam1", 6, &[]);

    let server = Server::start(
        dir.path(),
        &["--workers", "1", "--max-future-seconds", "60"],
    );
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let clip = |a: i64, b: i64| {
        json!([{"StartTime": livecut::clock::format_precise_time(a), "EndTime": livecut::clock::format_precise_time(b)}]).to_string()
    };
    // Too far ahead: refused at once.
    let now_us = live.start_us + 30_000_000;
    let (code, _, message) = err_code(&sdk.submit(
        &[
            ("Clips", &clip(now_us, now_us + 3_600_000_000)),
            ("LiveStreamConfig", &stream_config("live2")),
            ("OutputMediaConfig", r#"{"MediaURL":"oss://clips/far.mp4"}"#),
        ],
        Signature::V3,
    ));
    assert_eq!(code, "InvalidParameter", "{message}");
    assert!(
        message.contains("Clips[0].EndTime") && message.contains("future"),
        "{message}"
    );
    // Ends about 20 s from now (45 s .. 50 s of the recording): time for the other job.
    let (a, b) = (live.start_us + 45_000_000, live.start_us + 50_000_000);
    let future = ok_body(sdk.submit(
        &[
            ("Clips", &clip(a, b)),
            ("LiveStreamConfig", &stream_config("live2")),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://clips/future.mp4"}"#,
            ),
        ],
        Signature::V3,
    ))["JobId"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_millis(800));
    let other = ok_body(sdk.submit(
        &[
            (
                "Clips",
                &json!([{"StartTime": at(1.0), "EndTime": at(3.0)}]).to_string(),
            ),
            ("LiveStreamConfig", &stream_config("cam1")),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://clips/other.mp4"}"#,
            ),
        ],
        Signature::V3,
    ))["JobId"]
        .as_str()
        .unwrap()
        .to_string();
    let job = sdk.wait_job(&other, Duration::from_secs(90));
    assert_eq!(job["Status"], "Success", "the only worker was free: {job}");
    let waiting = ok_body(sdk.get_job(&future));
    assert_eq!(
        waiting["LiveEditingJob"]["Status"], "Queuing",
        "waiting in the queue: {waiting}"
    );
    // The recorder catches up with the whole recording (still live: no ENDLIST).
    live.show(None);
    let job = sdk.wait_job(&future, Duration::from_secs(90));
    assert_eq!(job["Status"], "Success", "{job}");
    let done_us = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_micros() as i64;
    assert!(done_us >= b, "not cut before its end");
    assert_frames(
        &frames_of(&dir.path().join("buckets/clips/future.mp4")),
        &accurate_frames(45.0, 50.0),
        "future clip",
    );
}

/// The ffmpeg CLI's hls muxer writes an HLS recording of `codec` video into `dir`.
fn ffmpeg_recording(dir: &std::path::Path, codec: &str) {
    std::fs::create_dir_all(dir).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x180:rate=30:duration=4")
        .args(["-c:v", codec, "-g", "30", "-f", "hls", "-hls_time", "2"])
        .args(["-hls_list_size", "0", "-hls_flags", "program_date_time"])
        .arg(dir.join("index.m3u8"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A recording whose codec livecut cannot cut (MPEG-4 Part 2, written by the ffmpeg CLI) is
/// refused at registration with the reason, and a job on its stream says so; one in H.264 from
/// the same muxer registers.
#[test]
fn a_recording_livecut_cannot_cut_is_refused_at_registration() {
    let dir = tempfile::tempdir().unwrap();
    let add = |stream: &str, playlist: &std::path::Path| {
        recordings_add(dir.path(), stream, &[], playlist)
    };
    let mpeg4 = dir.path().join("nas/part2");
    ffmpeg_recording(&mpeg4, "mpeg4");
    let out = add("old", &mpeg4.join("index.m3u8"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("video codec is mpeg4") && err.contains("H.264 and HEVC"),
        "{err}"
    );
    let h264 = dir.path().join("nas/avc");
    ffmpeg_recording(&h264, "libx264");
    let out = add("new", &h264.join("index.m3u8"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let body = ok_body(sdk.submit(
        &[
            (
                "Clips",
                &json!([{"StartTime": at(0.5), "EndTime": at(2.0)}]).to_string(),
            ),
            ("LiveStreamConfig", &stream_config("old")),
            ("OutputMediaConfig", r#"{"MediaURL":"oss://clips/old.mp4"}"#),
        ],
        Signature::V3,
    ));
    let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(60));
    assert_eq!(job["Status"], "Failed", "{job}");
    assert_eq!(job["Code"], "InvalidParameter.NotSupported", "{job}");
    let message = job["Message"].as_str().unwrap();
    assert!(
        message.contains("refused at registration") && message.contains("mpeg4"),
        "{message}"
    );
}

/// The file name a recorder gives segment k.
type SegmentName = Box<dyn Fn(u32) -> String>;

/// A testgen recording rewritten as a recorder that writes no PROGRAM-DATE-TIME lays it out:
/// the segments renamed by `name(k)` (segment k starts 2k s after frame 0) and the playlist
/// without its PDT lines.
fn without_pdt(dir: &std::path::Path, seconds: u32, name: &dyn Fn(u32) -> String) {
    testgen(dir, seconds, "2026-11-24T10:00:00Z", &[]);
    let text = std::fs::read_to_string(dir.join("index.m3u8")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("#EXT-X-PROGRAM-DATE-TIME") {
            continue;
        }
        if let Some(k) = line
            .strip_prefix("seg")
            .and_then(|r| r.strip_suffix(".ts"))
            .and_then(|n| n.parse::<u32>().ok())
        {
            let new = name(k);
            std::fs::rename(dir.join(line), dir.join(&new)).unwrap();
            out += &new;
        } else {
            out += line;
        }
        out.push('\n');
    }
    std::fs::write(dir.join("index.m3u8"), out).unwrap();
}

/// Playlists without PROGRAM-DATE-TIME, timed from their segment names as nginx-rtmp (epoch
/// ms), Alibaba Live (`{UnixTimestamp}_{Sequence}`) and SRS (local calendar time, UTC+8) write
/// them: frame-exact cuts, also where a name is stamped a few ms late (the run's first name is
/// the anchor, the durations place the rest).
#[test]
fn segment_names_time_recordings_without_program_date_time() {
    let dir = tempfile::tempdir().unwrap();
    let start_ms: i64 = REC_START_US / 1000;
    let layouts: [(&str, &str, SegmentName); 3] = [
        (
            "nginx",
            "name-epoch-ms",
            // Odd segments stamped 7 ms late.
            Box::new(move |k| {
                format!(
                    "cam-{}.ts",
                    start_ms + i64::from(k) * 2000 + i64::from(k % 2) * 7
                )
            }),
        ),
        (
            "alilive",
            "name-unix-seconds",
            Box::new(move |k| format!("{}_{k}.ts", start_ms / 1000 + i64::from(k) * 2)),
        ),
        (
            "srs",
            "name-strftime:live-%Y%m%d-%H%M%S@+0800",
            Box::new(|k| format!("live-20261124-1800{:02}.ts", k * 2)),
        ),
    ];
    for (stream, mode, name) in &layouts {
        let rec = dir.path().join("nas").join(stream);
        std::fs::create_dir_all(&rec).unwrap();
        without_pdt(&rec, 16, name.as_ref());
        let out = recordings_add(
            dir.path(),
            stream,
            &["--segment-times", mode],
            rec.join("index.m3u8"),
        );
        assert!(
            out.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Without a mode, such a playlist is refused with the reason.
    let out = recordings_add(
        dir.path(),
        "x",
        &[],
        dir.path().join("nas/nginx/index.m3u8"),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("PROGRAM-DATE-TIME"),
        "{err}"
    );

    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    for (stream, mode, _) in &layouts {
        for (a, b) in [(3.5, 9.2), (5.1, 7.45)] {
            let body = ok_body(sdk.submit(
                &[
                    (
                        "Clips",
                        &json!([{"StartTime": at(a), "EndTime": at(b)}]).to_string(),
                    ),
                    ("LiveStreamConfig", &stream_config(stream)),
                    ("MediaProduceConfig", r#"{"Mode":"AccurateFast"}"#),
                    (
                        "OutputMediaConfig",
                        &json!({"MediaURL": format!("oss://clips/{stream}-{a}.mp4")}).to_string(),
                    ),
                ],
                Signature::V3,
            ));
            let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(60));
            assert_eq!(job["Status"], "Success", "{mode}: {job}");
            assert_frames(
                &frames_of(&dir.path().join(format!("buckets/clips/{stream}-{a}.mp4"))),
                &accurate_frames(a, b),
                mode,
            );
        }
    }
}

/// A recorder that stamps PROGRAM-DATE-TIME from a jittering wall clock: every other segment's
/// date is a frame (33 ms) late. A frame's time must not depend on which segment a clip starts
/// in: clips starting in a late-stamped segment and in an exact one both get exactly the frames
/// of their range (the run is placed by its first date and the durations).
#[test]
fn a_jittering_program_date_time_moves_no_frame() {
    let dir = tempfile::tempdir().unwrap();
    let rec = make_recording(dir.path(), "jit", 20, &[]);
    let text = std::fs::read_to_string(rec.join("index.m3u8")).unwrap();
    let mut k = 0;
    let rewritten: Vec<String> = text
        .lines()
        .map(|l| {
            if !l.starts_with("#EXT-X-PROGRAM-DATE-TIME:") {
                return l.to_string();
            }
            let late = if k % 2 == 1 { 33_000 } else { 0 };
            let at = REC_START_US + k * 2_000_000 + late;
            k += 1;
            format!(
                "#EXT-X-PROGRAM-DATE-TIME:{}",
                livecut::clock::format_precise_time(at)
            )
        })
        .collect();
    assert!(k >= 9, "{text}");
    std::fs::write(rec.join("index.m3u8"), rewritten.join("\n") + "\n").unwrap();
    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    // Segment 1 (late-stamped) and segment 2 (exact) start the clips; both end in segment 4.
    for (a, b, name) in [(3.51, 9.25, "odd.mp4"), (4.51, 9.25, "even.mp4")] {
        let body = ok_body(sdk.submit(
            &[
                (
                    "Clips",
                    &json!([{"StartTime": at(a), "EndTime": at(b)}]).to_string(),
                ),
                ("LiveStreamConfig", &stream_config("jit")),
                (
                    "OutputMediaConfig",
                    &json!({"MediaURL": format!("oss://clips/{name}")}).to_string(),
                ),
            ],
            Signature::V3,
        ));
        let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(60));
        assert_eq!(job["Status"], "Success", "{job}");
        assert_frames(
            &frames_of(&dir.path().join("buckets/clips").join(name)),
            &accurate_frames(a, b),
            name,
        );
    }
}
