//! `GetLiveEditingIndexFile` as a player meets it: the SDK asks for a stream's index file, a
//! player (the ffmpeg CLI) plays the link it gets, without any access key, every frame in order;
//! the links are signed and a changed one is refused with a JSON error.

use std::path::Path;

use crate::fixtures::*;
use livecut_testkit::oracle;
use livecut_testkit::sdk::SdkReply;

fn index_file(sdk: &mut Sdk, stream: &str, extra: &[(&str, &str)]) -> SdkReply {
    let mut call = if extra.is_empty() {
        sdk.call_as("get_live_editing_index_file")
    } else {
        // livecut's window and link lifetime are parameters the SDK's model lacks: its generic
        // call sends them, exactly as the generated method would.
        let mut c = sdk.call_as("call_action");
        c.action = Some("GetLiveEditingIndexFile".into());
        c
    };
    call = call
        .param("DomainName", DOMAIN)
        .param("AppName", APP)
        .param("StreamName", stream);
    for (k, v) in extra {
        call = call.param(*k, *v);
    }
    sdk.send(&call)
}

/// The link's path and query on `endpoint`.
fn path_of<'a>(url: &'a str, endpoint: &str) -> &'a str {
    url.strip_prefix(&format!("http://{endpoint}"))
        .unwrap_or_else(|| panic!("{url} is not on {endpoint}"))
}

/// A player (the ffmpeg CLI) plays the link alone: frames 0..frames, in order, no decode error.
fn assert_plays(url: &str, frames: u32, what: &str) {
    let link = Path::new(url);
    let errors = oracle::decode_errors(link).unwrap();
    assert!(errors.is_empty(), "{what}: decode errors {errors:?}");
    let video = oracle::decode_video_numbers(link).unwrap();
    assert_frames(&video.numbers(), &(0..frames).collect::<Vec<_>>(), what);
}

fn pdts(text: &str) -> Vec<i64> {
    let playlist = livecut_hls::parse_media_playlist(text).unwrap();
    playlist
        .segments
        .iter()
        .map(|s| s.program_date_time_us.expect("every segment dated"))
        .collect()
}

#[test]
fn an_index_file_plays_in_a_player_and_its_links_are_signed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    make_recording(dir.path(), "cam1", 12, &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);

    let body = ok_body(index_file(&mut sdk, "cam1", &[]));
    let url = body["IndexFile"].as_str().unwrap().to_string();
    let (status, text) = http_get(&server.endpoint, path_of(&url, &server.endpoint));
    assert_eq!(status, 200, "{text}");
    let dates = pdts(&text);
    assert_eq!(dates.len(), 6, "six 2-s segments: {text}");
    assert_eq!(dates[0], REC_START_US);
    assert!(
        text.contains("#EXT-X-ENDLIST"),
        "a finished recording: {text}"
    );

    // A player plays it from the link alone: every frame, in order, no decode error.
    assert_plays(&url, 360, "index file");

    // A window: only the segments playing in it.
    let body = ok_body(index_file(
        &mut sdk,
        "cam1",
        &[("StartTime", &at(4.5)), ("EndTime", &at(7.0))],
    ));
    let windowed = body["IndexFile"].as_str().unwrap();
    let (status, text) = http_get(&server.endpoint, path_of(windowed, &server.endpoint));
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        pdts(&text),
        [REC_START_US + 4_000_000, REC_START_US + 6_000_000]
    );

    // A changed link is refused, as JSON a client can read.
    let changed = path_of(&url, &server.endpoint).replace("cam1", "cam2");
    let (status, text) = http_get(&server.endpoint, &changed);
    assert_eq!(status, 403, "{text}");
    let err: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(err["Code"], "Forbidden.Link", "{err}");
    let (_, playlist) = http_get(&server.endpoint, path_of(&url, &server.endpoint));
    let segment = playlist
        .lines()
        .find(|l| l.starts_with("segment/"))
        .unwrap();
    let segment_path = format!("/preview/{segment}");
    let (status, bytes) = http_get(&server.endpoint, &segment_path);
    assert_eq!(status, 200);
    assert!(!bytes.is_empty());
    let other_source = segment_path.replacen("Source=", "Source=x", 1);
    let (status, text) = http_get(&server.endpoint, &other_source);
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Forbidden.Link"), "{text}");
    let (status, text) = http_get(&server.endpoint, "/preview/index.m3u8?StreamName=cam1");
    assert_eq!(status, 403, "an unsigned link: {text}");

    // Refusals through the SDK name the parameter.
    let (code, status, message) = err_code(&index_file(&mut sdk, "nobody", &[]));
    assert_eq!(
        (code.as_str(), status),
        ("InvalidParameter.ResourceNotFound", 400),
        "{message}"
    );
    assert!(
        message.contains("live.example.com/shop/nobody"),
        "{message}"
    );
    let missing = sdk
        .call_as("get_live_editing_index_file")
        .param("DomainName", DOMAIN);
    let (code, _, message) = err_code(&sdk.send(&missing));
    assert_eq!(code, "MissingParameter", "{message}");
    assert!(message.contains("AppName"), "{message}");
    let unknown_project = sdk
        .call_as("get_live_editing_index_file")
        .param("DomainName", DOMAIN)
        .param("AppName", APP)
        .param("StreamName", "cam1")
        .param("ProjectId", "no-such-project");
    let (code, status, _) = err_code(&sdk.send(&unknown_project));
    assert_eq!((code.as_str(), status), ("NotFound", 404));
    for (param, value) in [("AuthTimeout", "5"), ("EndTime", "yesterday")] {
        let (code, _, message) = err_code(&index_file(&mut sdk, "cam1", &[(param, value)]));
        assert_eq!(code, "InvalidParameter", "{message}");
        assert!(message.contains(param), "{message}");
    }
    let (code, _, message) = err_code(&index_file(
        &mut sdk,
        "cam1",
        &[("StartTime", &at(0.0)), ("EndTime", "2026-12-24T10:00:00Z")],
    ));
    assert_eq!(code, "InvalidParameter", "{message}");
    assert!(message.contains("four days"), "{message}");
}

/// fMP4 recordings (the ffmpeg CLI's hls muxer, `#EXT-X-MAP`) and MediaMTX-style segments in the
/// segment index play the same way: the index file carries the init section.
#[test]
fn an_index_file_of_fmp4_segments_carries_their_init_section() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let src = dir.path().join("source");
    std::fs::create_dir_all(&src).unwrap();
    testgen(&src, 8, "2026-11-24T10:00:00Z", &["--fps", "30"]);
    let rec = dir.path().join("fmp4");
    let t0 = ffmpeg_hls(
        &src.join("index.m3u8"),
        &rec,
        &[
            "-c",
            "copy",
            "-fps_mode",
            "passthrough",
            "-bsf:a",
            "aac_adtstoasc",
            "-hls_segment_type",
            "fmp4",
        ],
    );
    let add = recordings_add(dir.path(), "fmp4", &[], rec.join("index.m3u8"));
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let body = ok_body(index_file(&mut sdk, "fmp4", &[]));
    let url = body["IndexFile"].as_str().unwrap().to_string();
    let (status, text) = http_get(&server.endpoint, path_of(&url, &server.endpoint));
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        text.matches("#EXT-X-MAP:URI=\"segment/").count(),
        1,
        "{text}"
    );
    assert_eq!(pdts(&text)[0], t0);
    assert_plays(&url, 240, "fMP4 index file");
}
