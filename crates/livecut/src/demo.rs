//! `livecut demo` and `livecut testgen`: a first clip in one command, through the real API.

use std::time::Duration;

use livecut_media::testgen::{AudioSpec, RecordingSpec, write_recording};
use livecut_media::{AudioCodec, VideoCodec};

use crate::cli::{DemoArgs, TestgenArgs};
use crate::client::ApiClient;
use crate::clock::{format_precise_time, now_ms, parse_clip_time};

use crate::settings::StoreSettings;

const DEMO_DOMAIN: &str = "demo.livecut.local";
const DEMO_APP: &str = "live";
const DEMO_STREAM: &str = "pattern";

pub fn testgen(args: &TestgenArgs) -> Result<(), String> {
    let fps = args.fps.max(1);
    let total_frames = (args.seconds * f64::from(fps)).round().max(1.0) as u64;
    let start_us = match &args.start {
        Some(s) => parse_clip_time(s).map_err(|e| format!("--start {s:?} {e}"))?,
        None => now_ms() * 1000 - (args.seconds * 1e6) as i64,
    };
    let gop = ((args.gop_seconds * f64::from(fps)).round() as u32).max(1);
    let seg = ((args.segment_seconds * f64::from(fps)).round() as u32).max(gop);
    let video_codec = match args.codec.as_str() {
        "h264" => VideoCodec::H264,
        "hevc" => VideoCodec::Hevc,
        other => return Err(format!("--codec {other:?}: use h264 or hevc")),
    };
    let spec = RecordingSpec {
        video_codec,
        open_gop: args.open_gop,
        ten_bit: args.ten_bit,
        audio_codec: if args.mp3 {
            AudioCodec::Mp3
        } else {
            AudioCodec::Aac
        },
        width: args.width,
        height: args.height,
        fps_num: fps,
        fps_den: 1,
        segment_frames: seg - seg % gop,
        gop_frames: gop,
        total_frames,
        start_utc_us: start_us,
        audio: (!args.no_audio).then(AudioSpec::default),
        bframes: args.bframes,
        x264_preset: args.preset.clone(),
        ..RecordingSpec::new(&args.dir)
    };
    let summary = write_recording(&spec).map_err(|e| e.to_string())?;
    println!(
        "wrote {} ({} frames from {}, frame n at start + n/{fps} s)",
        summary.playlist.display(),
        total_frames,
        format_precise_time(start_us)
    );
    Ok(())
}

pub async fn run(store: &StoreSettings, args: &DemoArgs) -> Result<(), String> {
    // 1. A 40-second recording that ended a moment ago, where the index looks for this stream.
    let dir = store
        .recordings_dir()
        .join(DEMO_DOMAIN)
        .join(DEMO_APP)
        .join(DEMO_STREAM);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let start_us = (now_ms() - 45_000) * 1000;
    let spec = RecordingSpec {
        width: 640,
        height: 360,
        gop_frames: 60,
        segment_frames: 60,
        total_frames: 40 * 30,
        start_utc_us: start_us,
        ..RecordingSpec::new(&dir)
    };
    println!(
        "1/4 generating a 40 s test-pattern recording in {}",
        dir.display()
    );
    tokio::task::spawn_blocking(move || write_recording(&spec))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;

    // 2. A key, created the way an operator would.
    let db = store.open_db().await.map_err(|e| e.to_string())?;
    let key = crate::keys::create(
        &db,
        vec!["ice:*".into()],
        crate::keys::DEFAULT_ACCOUNT,
        crate::db::keys::Resources::default(),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("2/4 created access key {}", key.access_key_id);

    // 3. Two clips cut mid-GOP, joined, through the signed API.
    let client = ApiClient::new(&args.endpoint, &key.access_key_id, &key.secret)
        .map_err(|e| e.to_string())?;
    let at = |s: f64| format_precise_time(start_us + (s * 1e6) as i64);
    let clips = serde_json::json!([
        {"StartTime": at(3.5), "EndTime": at(9.25)},
        {"StartTime": at(21.1), "EndTime": at(27.9)},
    ]);
    let name = format!("first-clip-{}.mp4", now_ms() / 1000);
    let params = vec![
        ("Clips".to_string(), clips.to_string()),
        (
            "LiveStreamConfig".to_string(),
            serde_json::json!({"DomainName": DEMO_DOMAIN, "AppName": DEMO_APP, "StreamName": DEMO_STREAM}).to_string(),
        ),
        ("MediaProduceConfig".to_string(), r#"{"Mode":"AccurateFast"}"#.to_string()),
        (
            "OutputMediaConfig".to_string(),
            serde_json::json!({"MediaURL": format!("oss://demo/{name}")}).to_string(),
        ),
    ];
    let submitted = client
        .call("SubmitLiveEditingJob", &params)
        .await
        .map_err(|e| e.to_string())?;
    let job_id = submitted["JobId"].as_str().unwrap_or_default().to_string();
    println!("3/4 submitted job {job_id}");

    // 4. Wait for it like a client would.
    let job = loop {
        let got = client
            .call(
                "GetLiveEditingJob",
                &[("JobId".to_string(), job_id.clone())],
            )
            .await
            .map_err(|e| e.to_string())?;
        let job = got["LiveEditingJob"].clone();
        match job["Status"].as_str() {
            Some("Success" | "Failed") => break job,
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    if job["Status"] != "Success" {
        return Err(format!(
            "job {job_id} failed: {}: {}",
            job["Code"].as_str().unwrap_or_default(),
            job["Message"].as_str().unwrap_or_default()
        ));
    }
    let file = store.buckets_dir().join("demo").join(&name);
    println!(
        "4/4 done: {} ({} clips, {} s)",
        file.display(),
        job["ClipResults"].as_array().map(Vec::len).unwrap_or(0),
        job["Duration"]
    );
    println!("    play it: ffplay {}", file.display());
    Ok(())
}
