//! Recordings that livecut did not write, cut through the official SDK: the ffmpeg CLI's hls
//! muxer writing fMP4/CMAF (`#EXT-X-MAP`) and MPEG-TS segments, remuxed from a numbered
//! recording or encoded again by the CLI (libx264 with scene-cut keyframes, libx265 as `hvc1`,
//! its own AAC encoder); Debian's nginx with the RTMP module recording an RTMP push of the
//! ffmpeg CLI (millisecond timestamps, no PROGRAM-DATE-TIME, fragments named by the system
//! clock). Every output is checked frame by frame, for decode errors and for A/V sync.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixtures::*;
use livecut_testkit::sdk::Signature;
use serde_json::json;

/// A 20-second numbered recording (frame n at n/30 s) in `dir`, as the source the recorders
/// below record again.
fn source(dir: &Path) -> PathBuf {
    source_of(dir, 20)
}

fn source_of(dir: &Path, seconds: u32) -> PathBuf {
    let src = dir.join("source");
    std::fs::create_dir_all(&src).unwrap();
    testgen(&src, seconds, "2026-11-24T10:00:00Z", &["--fps", "30"]);
    src.join("index.m3u8")
}

/// fMP4 segments of the ffmpeg CLI's hls muxer, as it writes them today.
const FMP4: &[&str] = &["-hls_segment_type", "fmp4"];

/// Submits one job over `clips` (each `[stream, start, end]`) to the output `name` and waits for
/// it to end; returns the job.
fn submit_and_wait(
    sdk: &mut Sdk,
    mode: &str,
    clips: &[(&str, String, String)],
    name: &str,
) -> serde_json::Value {
    let clips: Vec<_> = clips
        .iter()
        .map(|(s, a, b)| json!({"StreamName": s, "StartTime": a, "EndTime": b}))
        .collect();
    let body = ok_body(sdk.submit(
        &[
            ("Clips", &json!(clips).to_string()),
            (
                "LiveStreamConfig",
                &stream_config(clips[0]["StreamName"].as_str().unwrap()),
            ),
            ("MediaProduceConfig", &json!({"Mode": mode}).to_string()),
            (
                "OutputMediaConfig",
                &json!({"MediaURL": format!("oss://clips/{name}")}).to_string(),
            ),
        ],
        Signature::V3,
    ));
    sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(180))
}

/// Submits one job and waits for it to succeed, with its output in the local bucket.
fn run(sdk: &mut Sdk, data: &Path, mode: &str, clips: &[(&str, String, String)], name: &str) {
    let job = submit_and_wait(sdk, mode, clips, name);
    assert_eq!(job["Status"], "Success", "{mode} {name}: {job}");
    assert!(data.join("buckets/clips").join(name).exists());
}

/// Cuts `[t0 + a, t0 + b)` of `stream` once per mode and checks each output: exactly the
/// range's frames (accurate modes) or its whole segments' (rough modes, 2-second segments), no
/// decode error, A/V sync.
fn cut_in_modes(
    sdk: &mut Sdk,
    data: &Path,
    stream: &str,
    t0: i64,
    (a, b): (f64, f64),
    modes: &[&str],
) {
    for mode in modes {
        let want = if mode.starts_with("Accurate") {
            accurate_frames(a, b)
        } else {
            rough_frames(a, b)
        };
        let name = format!("{stream}-{mode}.mp4");
        run(
            sdk,
            data,
            mode,
            &[(stream, after(t0, a), after(t0, b))],
            &name,
        );
        let what = format!("{stream} {mode}");
        assert_output(&data.join("buckets/clips").join(&name), &want, &what);
    }
}

/// The ffmpeg CLI remuxes a numbered recording into fMP4 segments (`-c copy`): registered with
/// `recordings add` (its codecs probed through the init section) and cut in all four modes,
/// with the copy modes still copying.
#[test]
fn ffmpeg_fmp4_segments_are_cut_exactly_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let rec = dir.path().join("nas/fmp4");
    let t0 = ffmpeg_hls(
        &src,
        &rec,
        &[&["-c", "copy", "-bsf:a", "aac_adtstoasc"], FMP4].concat(),
    );
    let add = recordings_add(dir.path(), "fm1", &[], rec.join("index.m3u8"));
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );

    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let (a, b) = (3.51, 9.25);
    cut_in_modes(
        &mut sdk,
        dir.path(),
        "fm1",
        t0,
        (a, b),
        &["AccurateFast", "Accurate", "RoughFast", "Rough"],
    );
}

/// The ffmpeg CLI encodes the numbered pictures again with libx264 (a keyframe every 45 frames
/// plus scene cuts, so segments of 1.5 and 3 s) and its AAC encoder, into fMP4 and into
/// MPEG-TS; one job joins a clip of each, cut mid-GOP, in the copy and the re-encoding mode.
///
/// (x264's open GOPs are left out: through the CLI they carry SPS/PPS only at the stream's
/// first IDR, so a clip that does not reach back to it cannot be decoded alone.)
#[test]
fn ffmpeg_x264_recordings_in_fmp4_and_mpegts_join_in_one_job() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    // Passthrough: the CLI's default constant-frame-rate mode would show frame 0 twice to fill
    // the 21 ms by which the source's audio starts first.
    let x264 = [
        "-fps_mode",
        "passthrough",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "16",
        "-g",
        "45",
        "-bf",
        "3",
        "-c:a",
        "aac",
        "-b:a",
        "128k",
    ];
    let fmp4_dir = stream_folder(dir.path(), "xf");
    let t_fmp4 = ffmpeg_hls(&src, &fmp4_dir, &[&x264[..], FMP4].concat());
    let ts_dir = stream_folder(dir.path(), "xt");
    let t_ts = ffmpeg_hls(&src, &ts_dir, &x264);

    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let clips = [
        ("xf", after(t_fmp4, 2.2), after(t_fmp4, 7.9)),
        ("xt", after(t_ts, 11.05), after(t_ts, 15.5)),
    ];
    let want = [accurate_frames(2.2, 7.9), accurate_frames(11.05, 15.5)].concat();
    for mode in ["AccurateFast", "Accurate"] {
        let name = format!("x264-{mode}.mp4");
        run(&mut sdk, dir.path(), mode, &clips, &name);
        assert_output(&dir.path().join("buckets/clips").join(&name), &want, mode);
    }
}

/// HEVC in fMP4 (`hvc1`, parameter sets only in the init section's `hvcC`), encoded by the
/// ffmpeg CLI with libx265.
///
/// (Closed GOPs: with x265's default open GOPs, FFmpeg 5.1's hls muxer writes each fragment's
/// first CRA with a composition offset three frames short, so the recording itself shows it
/// out of order.)
#[test]
fn ffmpeg_hevc_fmp4_segments_are_cut_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let src = source(dir.path());
    let rec = stream_folder(dir.path(), "hv");
    let t0 = ffmpeg_hls(
        &src,
        &rec,
        &[
            &[
                "-fps_mode",
                "passthrough",
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-crf",
                "18",
                "-tag:v",
                "hvc1",
                "-x265-params",
                "keyint=60:min-keyint=60:scenecut=0:open-gop=0:log-level=error",
                "-c:a",
                "copy",
                "-bsf:a",
                "aac_adtstoasc",
            ][..],
            FMP4,
        ]
        .concat(),
    );
    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let (a, b) = (4.05, 11.5);
    cut_in_modes(
        &mut sdk,
        dir.path(),
        "hv",
        t0,
        (a, b),
        &["AccurateFast", "Accurate", "RoughFast", "Rough"],
    );
}

/// Debian's nginx with libnginx-mod-rtmp, alone in a process of its own on a free loopback
/// port, recording every stream pushed to application `live` as HLS into `hls` (fragments
/// named by the system clock, all kept in the playlist), and to application `seq` into
/// `hls_seq` (sequential names, a playlist of the last 6 s).
struct NginxRtmp {
    child: Child,
    port: u16,
    hls: PathBuf,
    hls_seq: PathBuf,
}

impl NginxRtmp {
    fn start(dir: &Path) -> NginxRtmp {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let hls = dir.join("hls");
        let hls_seq = dir.join("hls-seq");
        std::fs::create_dir_all(&hls).unwrap();
        std::fs::create_dir_all(&hls_seq).unwrap();
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\n\
                 user root;\ndaemon off;\nmaster_process off;\npid {pid};\n\
                 error_log stderr warn;\nevents {{ worker_connections 64; }}\n\
                 rtmp {{ server {{ listen 127.0.0.1:{port};\n\
                 application live {{ live on; hls on; hls_path {hls}; hls_fragment 2s;\n\
                 hls_playlist_length 600s; hls_fragment_naming system; hls_cleanup off; }}\n\
                 application seq {{ live on; hls on; hls_path {seq}; hls_fragment 2s;\n\
                 hls_playlist_length 6s; hls_fragment_naming sequential; hls_cleanup off; }}\n\
                 }} }}\n",
                pid = dir.join("nginx.pid").display(),
                hls = hls.display(),
                seq = hls_seq.display(),
            ),
        )
        .unwrap();
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir)
            .arg("-c")
            .arg(&conf)
            .args(["-e", "stderr"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (run `make setup`)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nginx did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        NginxRtmp {
            child,
            port,
            hls,
            hls_seq,
        }
    }

    /// The ffmpeg CLI starts pushing `source` in real time (as an encoder would) to
    /// `app/name`.
    fn push(&self, source: &Path, app: &str, name: &str) -> Child {
        Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-re", "-i"])
            .arg(source)
            .args(["-c", "copy", "-f", "flv"])
            .arg(format!("rtmp://127.0.0.1:{}/{app}/{name}", self.port))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

impl Drop for NginxRtmp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx-rtmp records an RTMP push (millisecond timestamps, so frames 33 and 34 ms apart), in
/// both of its fragment namings, no PROGRAM-DATE-TIME in either:
/// - `hls_fragment_naming system`, each fragment named by the epoch milliseconds of its start:
///   registered with `--segment-times name-epoch-ms`, cut frame-exactly in every mode, and
///   joined in one job with the ffmpeg CLI's fMP4 recording of the same pictures;
/// - `sequential` with a 6-second sliding window: registered with `--segment-times hook` while
///   the push runs, watched by the server, every fragment indexed in one run and cut exactly.
#[test]
fn nginx_rtmp_recordings_in_both_fragment_namings() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_of(dir.path(), 14);
    let nginx = NginxRtmp::start(&dir.path().join("nginx"));
    let server = Server::start(dir.path(), &["--watch-millis", "200"]);
    let mut pushes = [
        nginx.push(&src, "live", "cam"),
        nginx.push(&src, "seq", "cam"),
    ];
    let seq_playlist = nginx.hls_seq.join("cam.m3u8");
    let started = Instant::now();
    while !std::fs::read_to_string(&seq_playlist).is_ok_and(|t| t.contains(".ts")) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no playlist from nginx"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let add = recordings_add(
        dir.path(),
        "rtmpseq",
        &["--segment-times", "hook"],
        &seq_playlist,
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    for push in &mut pushes {
        let out = push.wait().unwrap();
        assert!(out.success(), "RTMP push failed");
    }
    // nginx-rtmp closes the last fragment when the publisher leaves; the watcher's last polls.
    std::thread::sleep(Duration::from_millis(1000));
    let playlist = nginx.hls.join("cam.m3u8");
    let text = std::fs::read_to_string(&playlist).unwrap();
    assert!(!text.contains("PROGRAM-DATE-TIME"), "{text}");
    // The first fragment's name: where frame 0 plays.
    let first = text.lines().find(|l| l.ends_with(".ts")).unwrap();
    let digits: String = first.chars().filter(char::is_ascii_digit).collect();
    let t0 = digits.parse::<i64>().unwrap() * 1000;
    let add = recordings_add(
        dir.path(),
        "rtmp1",
        &["--segment-times", "name-epoch-ms"],
        &playlist,
    );
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let fmp4_dir = stream_folder(dir.path(), "fm2");
    let t_fmp4 = ffmpeg_hls(
        &src,
        &fmp4_dir,
        &[
            "-c",
            "copy",
            "-bsf:a",
            "aac_adtstoasc",
            "-hls_segment_type",
            "fmp4",
        ],
    );

    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let (a, b) = (2.51, 9.25);
    cut_in_modes(
        &mut sdk,
        dir.path(),
        "rtmp1",
        t0,
        (a, b),
        &["AccurateFast", "Accurate", "RoughFast", "Rough"],
    );
    let clips = [
        ("rtmp1", after(t0, 1.2), after(t0, 4.9)),
        ("fm2", after(t_fmp4, 6.1), after(t_fmp4, 10.6)),
    ];
    run(
        &mut sdk,
        dir.path(),
        "AccurateFast",
        &clips,
        "rtmp-join.mp4",
    );
    assert_output(
        &dir.path().join("buckets/clips/rtmp-join.mp4"),
        &[accurate_frames(1.2, 4.9), accurate_frames(6.1, 10.6)].concat(),
        "nginx-rtmp + ffmpeg fMP4",
    );
    // RoughFast joins whole fragments, and nginx-rtmp puts ~170 ms of each fragment's audio
    // in the next one: the hole at the join is filled with silence, said in the clip's notes.
    let clips = [
        ("rtmp1", after(t0, 1.2), after(t0, 4.9)),
        ("rtmp1", after(t0, 8.5), after(t0, 11.25)),
    ];
    run(
        &mut sdk,
        dir.path(),
        "RoughFast",
        &clips,
        "rtmp-rough-join.mp4",
    );
    assert_output(
        &dir.path().join("buckets/clips/rtmp-rough-join.mp4"),
        &[rough_frames(1.2, 4.9), rough_frames(8.5, 11.25)].concat(),
        "nginx-rtmp RoughFast join",
    );
    // Sequential names in a sliding window: every fragment indexed, one run.
    let (t_seq, runs, listing) = first_indexed_start(dir.path(), "rtmpseq");
    assert_eq!(runs, 1, "one chained run:\n{listing}");
    assert_eq!(
        listing.lines().count(),
        7,
        "every fragment of the window:\n{listing}"
    );
    run(
        &mut sdk,
        dir.path(),
        "AccurateFast",
        &[("rtmpseq", after(t_seq, a), after(t_seq, b))],
        "rtmpseq.mp4",
    );
    assert_output(
        &dir.path().join("buckets/clips/rtmpseq.mp4"),
        &accurate_frames(a, b),
        "nginx-rtmp sequential, watched",
    );
}

/// `livecut recordings add-segment` as a recorder's hook runs it.
fn add_segment(
    data: &Path,
    stream: &str,
    flags: &[&str],
    files: &[PathBuf],
) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args([
            "recordings",
            "add-segment",
            "--domain",
            DOMAIN,
            "--app",
            APP,
        ])
        .args(["--stream", stream])
        .args(flags)
        .args(files)
        .output()
        .expect("run recordings add-segment")
}

/// MediaMTX's layout: no playlist, one self-contained fMP4 file per segment (its own `moov`,
/// timestamps starting again near zero), named by the UTC time of its first frame with
/// microseconds (`recordPath: %path/%Y-%m-%d_%H-%M-%S-%f`). The files are written by the ffmpeg
/// CLI's segment muxer and named as MediaMTX names them; its `runOnRecordSegmentComplete` hook
/// reports each with `livecut recordings add-segment` while the server runs, and a whole
/// folder is indexed at once; MediaMTX's MPEG-TS format the same way. A file of a codec livecut
/// cannot cut is refused and not indexed. Retention forgets the segments and deletes their
/// files.
#[test]
fn mediamtx_segments_reported_by_its_hook_are_cut_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_of(dir.path(), 14);
    let raw = dir.path().join("raw");
    std::fs::create_dir_all(&raw).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(&src)
        .args(["-c", "copy", "-bsf:a", "aac_adtstoasc", "-f", "segment"])
        .args([
            "-segment_time",
            "2",
            "-reset_timestamps",
            "1",
            "-segment_format",
            "mp4",
        ])
        .args([
            "-segment_format_options",
            "movflags=+frag_keyframe+empty_moov+default_base_moof",
        ])
        .arg(raw.join("%03d.mp4"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Segment k starts with frame 60k (2 s GOPs), at REC_START + 2k s.
    let recordings = dir.path().join("mediamtx/live/cam");
    std::fs::create_dir_all(&recordings).unwrap();
    let mut files = Vec::new();
    for k in 0..7 {
        let start = REC_START_US + k * 2_000_000;
        let t = livecut::clock::format_precise_time(start);
        // 2026-11-24T10:00:02.000000Z -> 2026-11-24_10-00-02-000000.mp4
        let name = format!(
            "{}_{}-{}.mp4",
            &t[..10],
            t[11..19].replace(':', "-"),
            &t[20..26]
        );
        let file = recordings.join(name);
        std::fs::rename(raw.join(format!("{k:03}.mp4")), &file).unwrap();
        files.push(file);
    }
    let mtx = ["--segment-times", "name-strftime:%Y-%m-%d_%H-%M-%S-%f@Z"];
    // `recordFormat: mpegts`: the same layout with MPEG-TS files, each starting its clock anew.
    let raw_ts = dir.path().join("raw-ts");
    std::fs::create_dir_all(&raw_ts).unwrap();
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(&src)
        .args(["-c", "copy", "-f", "segment", "-segment_time", "2"])
        .args(["-reset_timestamps", "1", "-segment_format", "mpegts"])
        .arg(raw_ts.join("%03d.ts"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ts_dir = dir.path().join("mediamtx/live/cam-ts");
    std::fs::create_dir_all(&ts_dir).unwrap();
    let mut ts_files = Vec::new();
    for (k, mp4) in files.iter().enumerate() {
        let name = mp4
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(".mp4", ".ts");
        std::fs::rename(raw_ts.join(format!("{k:03}.ts")), ts_dir.join(&name)).unwrap();
        ts_files.push(ts_dir.join(name));
    }

    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    // The hook, once per completed segment, with MediaMTX's duration.
    for f in &files {
        let out = add_segment(
            dir.path(),
            "mtx1",
            &[&mtx[..], &["--duration", "2.000000"]].concat(),
            std::slice::from_ref(f),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A folder indexed at once, durations read from the files.
    let out = add_segment(dir.path(), "mtx2", &mtx, &files);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ts = add_segment(dir.path(), "mtx4", &mtx, &ts_files);
    assert!(
        ts.status.success(),
        "{}",
        String::from_utf8_lossy(&ts.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("indexed")
            .count(),
        7
    );

    let (a, b) = (2.51, 9.25);
    for (stream, modes) in [
        (
            "mtx1",
            &["AccurateFast", "Accurate", "RoughFast", "Rough"][..],
        ),
        ("mtx2", &["Accurate"]),
        ("mtx4", &["AccurateFast"]),
    ] {
        cut_in_modes(&mut sdk, dir.path(), stream, REC_START_US, (a, b), modes);
    }

    // A segment livecut cannot cut (MPEG-4 Part 2) is refused by the hook, naming the codec, and
    // nothing of it is indexed: a job on that stream says why.
    let bad = recordings.join("2026-11-24_10-00-20-000000.mp4");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x180:rate=30:duration=2")
        .args(["-c:v", "mpeg4", "-movflags", "+frag_keyframe+empty_moov"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = add_segment(dir.path(), "mtx3", &mtx, std::slice::from_ref(&bad));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("video codec is mpeg4"),
        "{err}"
    );
    let job = submit_and_wait(
        &mut sdk,
        "AccurateFast",
        &[("mtx3", at(20.5), at(21.5))],
        "mtx3.mp4",
    );
    assert_eq!(job["Code"], "InvalidParameter.NotSupported", "{job}");
    assert!(job["Message"].as_str().unwrap().contains("mpeg4"), "{job}");

    // Retention: every indexed segment is weeks old; forgotten, and its file deleted.
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "recordings",
            "forget",
            "--older-than-days",
            "1",
            "--delete-files",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("forgot 21 segments") && said.contains("deleted 14 files"),
        "{said}"
    );
    assert!(files.iter().chain(&ts_files).all(|f| !f.exists()));
    let job = submit_and_wait(
        &mut sdk,
        "AccurateFast",
        &[("mtx1", at(2.5), at(3.5))],
        "forgotten.mp4",
    );
    assert_eq!(job["Code"], "InvalidParameter.ResourceNotFound", "{job}");
}

/// POSTs `body` to a server's SRS hook with `token`: (status, JSON reply).
fn srs_hook(endpoint: &str, token: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    let (status, reply) = http_request(
        endpoint,
        "POST",
        &format!("/hooks/srs/on_hls?token={token}"),
        &[("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    );
    (
        status,
        serde_json::from_slice(&reply)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&reply))),
    )
}

/// SRS's `on_hls` hook reports each segment as SRS closes it (its JSON fields, `url` relative
/// to `hls_path`), with `hls_ts_file [app]/[stream]-[seq]-[timestamp].ts` so the name carries
/// the epoch milliseconds; consecutive `seq_no` make one run. Cut frame-exactly; a request
/// without the token, a body without `url` or a `url` leaving `hls_path` is refused with a
/// JSON error and indexes nothing.
#[test]
fn srs_on_hls_hook_indexes_segments_as_srs_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("srs/html");
    let app_dir = html.join(APP);
    std::fs::create_dir_all(&app_dir).unwrap();
    testgen(&app_dir, 12, "2026-11-24T10:00:00Z", &["--fps", "30"]);
    let token = "srs-hook-token-0123456789";
    std::fs::write(dir.path().join("srs.token"), token).unwrap();
    let config = dir.path().join("livecut.toml");
    std::fs::write(
        &config,
        format!(
            "[hooks.srs]\ntoken_file = \"{}\"\ndomain = \"{DOMAIN}\"\nfiles = \"{}\"\n\
             segment_times = \"name-epoch-ms\"\n",
            dir.path().join("srs.token").display(),
            html.display()
        ),
    )
    .unwrap();
    let server = Server::start(dir.path(), &["--config", config.to_str().unwrap()]);
    let report = |seq: i64, url: &str| {
        json!({
            "server_id": "vid-0xk989d", "service_id": "vid-0xk989d", "action": "on_hls",
            "client_id": "341w361a", "ip": "127.0.0.1", "vhost": "__defaultVhost__", "app": APP,
            "tcUrl": "rtmp://127.0.0.1/shop", "stream": "srs1", "param": "", "duration": 2.0,
            "cwd": "/usr/local/srs", "file": format!("./objs/nginx/html/{url}"), "url": url,
            "m3u8": "./objs/nginx/html/shop/srs1.m3u8", "m3u8_url": "shop/srs1.m3u8",
            "seq_no": seq, "stream_url": "/shop/srs1", "stream_id": "vid-2i2u8c4"
        })
    };
    // Refused, nothing indexed: no token, a wrong one, no url, a url leaving hls_path.
    let (status, body) = srs_hook(&server.endpoint, "", &report(0, "shop/x-0.ts"));
    assert_eq!(
        (status, body["Code"].as_str()),
        (403, Some("Forbidden.Hook")),
        "{body}"
    );
    let (status, _) = srs_hook(
        &server.endpoint,
        "wrong-token-wrong-token",
        &report(0, "shop/x-0.ts"),
    );
    assert_eq!(status, 403);
    let mut no_url = report(0, "shop/x-0.ts");
    no_url.as_object_mut().unwrap().remove("url");
    let (status, body) = srs_hook(&server.endpoint, token, &no_url);
    assert_eq!(status, 400, "{body}");
    assert!(body["Message"].as_str().unwrap().contains("url"), "{body}");
    let (status, body) = srs_hook(&server.endpoint, token, &report(0, "../../etc/passwd"));
    assert_eq!(
        (status, body["Code"].as_str()),
        (400, Some("InvalidParameter")),
        "{body}"
    );

    // SRS names segment k `srs1-<k>-<epoch ms of its start>.ts` and reports it when closed.
    for k in 0..6 {
        let name = format!("srs1-{k}-{}.ts", REC_START_US / 1000 + k * 2000);
        std::fs::rename(app_dir.join(format!("seg{k:05}.ts")), app_dir.join(&name)).unwrap();
        let (status, body) = srs_hook(
            &server.endpoint,
            token,
            &report(k, &format!("{APP}/{name}")),
        );
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["code"], 0, "{body}");
    }
    // What the hook did, in /metrics.
    let (_, scrape) = http_get(&server.endpoint, "/metrics");
    assert_eq!(
        metric(
            &scrape,
            r#"livecut_indexed_segments_total{source="hook_srs"}"#
        ),
        Some(6.0),
        "{scrape}"
    );
    assert_eq!(
        metric(&scrape, r#"livecut_ingest_errors_total{source="hook_srs"}"#),
        Some(4.0)
    );
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let (a, b) = (2.51, 9.25);
    cut_in_modes(
        &mut sdk,
        dir.path(),
        "srs1",
        REC_START_US,
        (a, b),
        &["AccurateFast", "Accurate", "RoughFast", "Rough"],
    );
}

/// GStreamer records `source` (an MPEG-TS file) again in real time with `encoder` into
/// `dir/index.m3u8` through hlssink2 (2 s segments, files kept, a playlist of the last
/// `window` segments, 0 = all), passing the AAC through.
fn gstreamer_hlssink2(source: &Path, dir: &Path, encoder: &str, window: u32) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    let pipeline = format!(
        "filesrc location={src} ! tsdemux name=d \
         d. ! queue ! h264parse ! avdec_h264 ! clocksync ! videoconvert ! {encoder} ! h264parse ! queue ! h.video \
         d. ! queue ! aacparse ! queue ! h.audio \
         hlssink2 name=h target-duration=2 max-files=0 playlist-length={window} \
         location={dir}/segment%05d.ts playlist-location={dir}/index.m3u8",
        src = source.display(),
        dir = dir.display(),
    );
    Command::new("gst-launch-1.0")
        .args(["-q", "-e"])
        .args(pipeline.split_whitespace())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gst-launch-1.0 (run `make setup`)")
}

/// The first indexed segment's start of a stream (`livecut recordings segments --json`).
fn first_indexed_start(data: &Path, stream: &str) -> (i64, usize, String) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args([
            "recordings",
            "segments",
            "--domain",
            DOMAIN,
            "--app",
            APP,
            "--stream",
            stream,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!rows.is_empty(), "nothing indexed for {stream}");
    let runs = rows.iter().filter(|r| r["Discontinuity"] == true).count();
    (rows[0]["StartUs"].as_i64().unwrap(), runs, text.to_string())
}

/// GStreamer's hlssink2 writes neither PROGRAM-DATE-TIME nor times in names: registered with
/// `--segment-times hook`, the server watches the playlist and indexes each segment as it
/// appears, chained to the one before (one run, so frames keep their spacing). Two encoders
/// (x264enc, openh264enc) record the numbered pictures in real time; one playlist keeps only
/// the last 3 segments (a sliding window) and still every segment is cut from the index.
#[test]
fn gstreamer_hlssink2_recordings_watched_as_they_grow() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_of(dir.path(), 12);
    // One MPEG-TS file of the numbered recording, as a camera's stream.
    let mut ts = Vec::new();
    for k in 0..6 {
        ts.extend(std::fs::read(dir.path().join(format!("source/seg{k:05}.ts"))).unwrap());
    }
    let whole = dir.path().join("camera.ts");
    std::fs::write(&whole, ts).unwrap();
    drop(src);
    let server = Server::start(dir.path(), &["--watch-millis", "200"]);
    let recorders = [
        (
            "gx",
            "x264enc key-int-max=60 bitrate=3000 speed-preset=veryfast tune=zerolatency",
            3,
        ),
        (
            "go",
            "openh264enc gop-size=60 bitrate=3000000 rate-control=bitrate",
            0,
        ),
    ];
    let mut children: Vec<(&str, PathBuf, Child)> = recorders
        .iter()
        .map(|(stream, encoder, window)| {
            let out = dir.path().join("gst").join(stream);
            let child = gstreamer_hlssink2(&whole, &out, encoder, *window);
            (*stream, out, child)
        })
        .collect();
    // Registered as soon as each playlist lists a segment, while the recorder goes on.
    for (stream, out, child) in &mut children {
        let playlist = out.join("index.m3u8");
        let started = Instant::now();
        while !std::fs::read_to_string(&playlist).is_ok_and(|t| t.contains(".ts")) {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("gst-launch-1.0 for {stream} ended early: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no playlist from hlssink2"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let add = recordings_add(dir.path(), stream, &["--segment-times", "hook"], &playlist);
        assert!(
            add.status.success(),
            "{}",
            String::from_utf8_lossy(&add.stderr)
        );
    }
    for (stream, _, child) in &mut children {
        let status = child.wait().unwrap();
        let mut err = String::new();
        if let Some(e) = child.stderr.as_mut() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        assert!(status.success(), "gst-launch-1.0 for {stream}: {err}");
    }
    // The watcher's last polls.
    std::thread::sleep(Duration::from_millis(800));

    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let (a, b) = (2.51, 9.25);
    for (stream, _, _) in &children {
        let (t0, runs, listing) = first_indexed_start(dir.path(), stream);
        assert_eq!(
            runs, 1,
            "{stream}: every segment chained into one run:\n{listing}"
        );
        cut_in_modes(
            &mut sdk,
            dir.path(),
            stream,
            t0,
            (a, b),
            &["AccurateFast", "Accurate", "RoughFast", "Rough"],
        );
    }
}

/// The pull recorder: a live HLS stream whose web server keeps only its last 3 segments (the
/// ffmpeg CLI muxing in real time with `delete_segments`, behind Python's http.server) is
/// recorded by `serve` from a `[[record]]` entry into a bucket. The server is SIGKILLed
/// mid-stream and started again: every segment is recorded exactly once, stamped with the
/// source's PROGRAM-DATE-TIME, in one run, and clips are cut frame-exactly from the copy.
#[test]
fn pull_recorder_copies_a_live_window_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_of(dir.path(), 14);
    let live = dir.path().join("web/live");
    std::fs::create_dir_all(&live).unwrap();
    let web = WebServer::start(&dir.path().join("web"));
    let mut ffmpeg = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-re", "-i"])
        .arg(&src)
        .args([
            "-c",
            "copy",
            "-f",
            "hls",
            "-hls_time",
            "2",
            "-hls_list_size",
            "3",
        ])
        .args(["-hls_flags", "delete_segments+program_date_time"])
        .arg(live.join("cam.m3u8"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let config = dir.path().join("livecut.toml");
    std::fs::write(
        &config,
        format!(
            "[http]\nallowed_origins = [\"{o}\"]\n\n[[record]]\nurl = \"{o}/live/cam.m3u8\"\n\
             domain = \"{DOMAIN}\"\napp = \"{APP}\"\nstream = \"pull1\"\nto = \"oss://pulled/cam/\"\n",
            o = web.origin
        ),
    )
    .unwrap();
    let flags = [
        "--config",
        config.to_str().unwrap(),
        "--watch-millis",
        "300",
    ];
    let mut server = Server::start(dir.path(), &flags);
    std::thread::sleep(Duration::from_secs(5));
    server.kill();
    std::thread::sleep(Duration::from_millis(500));
    let server = Server::start(dir.path(), &flags);
    assert!(ffmpeg.wait().unwrap().success());
    std::thread::sleep(Duration::from_millis(1500));

    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "recordings",
            "segments",
            "--domain",
            DOMAIN,
            "--app",
            APP,
            "--stream",
            "pull1",
            "--json",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let sequences: Vec<i64> = rows
        .iter()
        .map(|r| r["Sequence"].as_i64().unwrap())
        .collect();
    assert_eq!(sequences, (0..7).collect::<Vec<_>>(), "{text}");
    let runs = rows.iter().filter(|r| r["Discontinuity"] == true).count();
    assert_eq!(runs, 1, "{text}");
    let mut stored: Vec<String> = std::fs::read_dir(dir.path().join("buckets/pulled/cam"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    stored.sort();
    assert_eq!(stored.len(), 7, "{stored:?}");

    let t0 = rows[0]["StartUs"].as_i64().unwrap();
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let (a, b) = (2.51, 9.25);
    cut_in_modes(
        &mut sdk,
        dir.path(),
        "pull1",
        t0,
        (a, b),
        &["AccurateFast", "Accurate", "RoughFast", "Rough"],
    );
}

/// POSTs a Live recording callback signed with `key` at `timestamp`: (status, JSON reply).
fn live_callback(
    endpoint: &str,
    key: &str,
    timestamp: i64,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    use md5::{Digest, Md5};
    let domain = body["domain"].as_str().unwrap();
    let signature = hex::encode(Md5::digest(
        format!("{domain}|{timestamp}|{key}").as_bytes(),
    ));
    let timestamp = timestamp.to_string();
    let (status, reply) = http_request(
        endpoint,
        "POST",
        "/hooks/alibaba-live/record",
        &[
            ("Content-Type", "application/json"),
            ("ALI-LIVE-TIMESTAMP", &timestamp),
            ("ALI-LIVE-SIGNATURE", &signature),
        ],
        body.to_string().as_bytes(),
    );
    (status, serde_json::from_slice(&reply).unwrap())
}

/// Alibaba Cloud Live records into OSS (`record/{AppName}/{StreamName}/`, TS segments named
/// `{UnixTimestamp}_{Sequence}`, no PROGRAM-DATE-TIME) and calls back when a file is generated,
/// signed with the domain's NotifyAuthKey. The callback registers an m3u8 recording (timed from
/// the segment names) or indexes an mp4 one from its `start_time`; both are cut frame-exactly.
/// A wrong signature or a stale timestamp is refused and changes nothing; status events are
/// acknowledged.
#[test]
fn alibaba_live_recording_callbacks_register_what_live_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let key = "live-notify-auth-key";
    std::fs::write(dir.path().join("live.key"), key).unwrap();
    let config = dir.path().join("livecut.toml");
    std::fs::write(
        &config,
        format!(
            "[hooks.alibaba_live]\nauth_key_file = \"{}\"\nbucket = \"records\"\n",
            dir.path().join("live.key").display()
        ),
    )
    .unwrap();
    // The m3u8 recording: segments renamed as Live names them, the playlist without PDT.
    let ali1 = dir
        .path()
        .join(format!("buckets/records/record/{APP}/ali1"));
    std::fs::create_dir_all(&ali1).unwrap();
    testgen(&ali1, 12, "2026-11-24T10:00:00Z", &["--fps", "30"]);
    let mut playlist = String::new();
    for line in std::fs::read_to_string(ali1.join("index.m3u8"))
        .unwrap()
        .lines()
    {
        if line.starts_with("#EXT-X-PROGRAM-DATE-TIME") {
            continue;
        }
        if let Some(k) = line.strip_prefix("seg").and_then(|l| l.strip_suffix(".ts")) {
            let k: i64 = k.parse().unwrap();
            let name = format!("{}_{k}.ts", REC_START_US / 1_000_000 + 2 * k);
            std::fs::rename(ali1.join(line), ali1.join(&name)).unwrap();
            playlist.push_str(&name);
        } else {
            playlist.push_str(line);
        }
        playlist.push('\n');
    }
    std::fs::write(
        ali1.join("2026-11-24-10-00-00_2026-11-24-10-00-12.m3u8"),
        playlist,
    )
    .unwrap();
    std::fs::remove_file(ali1.join("index.m3u8")).unwrap();
    // The mp4 recording: one plain (not fragmented) MP4 of the same pictures, by the ffmpeg CLI.
    let ali2 = dir
        .path()
        .join(format!("buckets/records/record/{APP}/ali2"));
    std::fs::create_dir_all(&ali2).unwrap();
    let src = source_of(dir.path(), 12);
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(&src)
        .args(["-c", "copy", "-bsf:a", "aac_adtstoasc"])
        .arg(ali2.join("0_2026-11-24-10:00:00_2026-11-24-10:00:12.mp4"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = Server::start(dir.path(), &["--config", config.to_str().unwrap()]);
    let now = livecut::clock::now_ms() / 1000;
    let event = |stream: &str, uri: &str| {
        json!({
            "domain": DOMAIN, "app": APP, "stream": stream, "uri": uri, "duration": 12.0,
            "start_time": REC_START_US / 1_000_000, "stop_time": REC_START_US / 1_000_000 + 12,
            "push_args": ""
        })
    };
    let m3u8 = event(
        "ali1",
        &format!("record/{APP}/ali1/2026-11-24-10-00-00_2026-11-24-10-00-12.m3u8"),
    );
    // Refused: another key, a timestamp an hour old.
    let (status, body) = live_callback(&server.endpoint, "another-key", now, &m3u8);
    assert_eq!(
        (status, body["Code"].as_str()),
        (403, Some("Forbidden.Hook")),
        "{body}"
    );
    let (status, _) = live_callback(&server.endpoint, key, now - 3600, &m3u8);
    assert_eq!(status, 403);
    // A status event is acknowledged.
    let started =
        json!({"domain": DOMAIN, "app": APP, "stream": "ali1", "event": "record_started"});
    assert_eq!(live_callback(&server.endpoint, key, now, &started).0, 200);
    // The file-generated events.
    let (status, body) = live_callback(&server.endpoint, key, now, &m3u8);
    assert_eq!(status, 200, "{body}");
    let mp4 = event(
        "ali2",
        &format!("record/{APP}/ali2/0_2026-11-24-10:00:00_2026-11-24-10:00:12.mp4"),
    );
    let (status, body) = live_callback(&server.endpoint, key, now, &mp4);
    assert_eq!(status, 200, "{body}");

    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    let (a, b) = (2.51, 9.25);
    for stream in ["ali1", "ali2"] {
        let modes = ["AccurateFast", "Accurate"];
        cut_in_modes(&mut sdk, dir.path(), stream, REC_START_US, (a, b), &modes);
    }
}

/// The ffmpeg CLI's hls muxer restarted onto the same playlist with `-hls_flags append_list`,
/// as an operator restarts a recorder: an `#EXT-X-DISCONTINUITY` and a fresh wall-clock
/// PROGRAM-DATE-TIME, 1 s of nothing between the two runs. A clip across the restart has the
/// end of the first run and the start of the second, and reports the hole in MissingRanges.
#[test]
fn ffmpeg_recorder_restarted_with_append_list() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_of(dir.path(), 12);
    let rec = stream_folder(dir.path(), "restart");
    std::fs::create_dir_all(&rec).unwrap();
    let part = |segments: std::ops::Range<u32>| {
        let list: Vec<String> = segments
            .map(|k| {
                dir.path()
                    .join(format!("source/seg{k:05}.ts"))
                    .display()
                    .to_string()
            })
            .collect();
        format!("concat:{}", list.join("|"))
    };
    let record = |input: String| {
        let out = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-re", "-i", &input])
            .args([
                "-c",
                "copy",
                "-f",
                "hls",
                "-hls_time",
                "2",
                "-hls_list_size",
                "0",
            ])
            .args(["-hls_flags", "program_date_time+append_list"])
            .arg(rec.join("index.m3u8"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    drop(src);
    record(part(0..3));
    std::thread::sleep(Duration::from_secs(1));
    record(part(3..6));
    let text = std::fs::read_to_string(rec.join("index.m3u8")).unwrap();
    let playlist = livecut_hls::parse_media_playlist(&text).unwrap();
    assert_eq!(playlist.segments.len(), 6, "{text}");
    assert!(playlist.segments[3].discontinuity, "{text}");
    let t_a = playlist.segments[0].program_date_time_us.unwrap();
    let t_b = playlist.segments[3].program_date_time_us.unwrap();
    assert!(t_b >= t_a + 6_500_000, "the runs do not overlap: {text}");

    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    // Frame n of the second run (frames 180..359) plays at t_b + (n - 180)/30.
    let want: Vec<u32> = accurate_frames(4.51, 6.0)
        .into_iter()
        .chain(accurate_frames(0.0, 2.25).into_iter().map(|n| n + 180))
        .collect();
    let job = submit_and_wait(
        &mut sdk,
        "AccurateFast",
        &[("restart", after(t_a, 4.51), after(t_b, 2.25))],
        "restart.mp4",
    );
    assert_eq!(job["Status"], "Success", "{job}");
    assert_output(
        &dir.path().join("buckets/clips/restart.mp4"),
        &want,
        "restart",
    );
    let raw = raw_job(&server.endpoint, &sdk.key, job["JobId"].as_str().unwrap());
    let missing = raw["ClipResults"][0]["MissingRanges"].to_string();
    assert!(
        missing.contains(&livecut::clock::format_precise_time(t_a + 6_000_000)[..19]),
        "{raw}"
    );
}

/// The highlight reel our users make most, on a recording livecut did not write: twenty short
/// clips of an ffmpeg CLI recording (libx264 and its AAC encoder, the hls muxer's MPEG-TS, whose
/// segments start their audio before their video), every edge mid-GOP, in every mode. At all 19
/// joins and every beep the audio track played straight stays within one AAC frame of its
/// picture, without a hole, and each clip's frames are exact.
#[test]
fn twenty_clips_of_an_ffmpeg_recording_stay_in_sync_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    let src = source_of(dir.path(), 24);
    let rec = stream_folder(dir.path(), "reel");
    let t0 = ffmpeg_hls(
        &src,
        &rec,
        &[
            "-fps_mode",
            "passthrough",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "18",
            "-g",
            "60",
            "-keyint_min",
            "60",
            "-sc_threshold",
            "0",
            "-bf",
            "2",
            "-c:a",
            "aac",
            "-b:a",
            "128k",
        ],
    );
    // Clip i: frames 30i+19 ..= 30i+57, so each starts 11 frames before a beep (every 30th
    // frame) and ends 3 frames before one: every join has a beep after it that the sync check
    // must find, and no beep straddles a join.
    let ranges: Vec<(f64, f64)> = (0..20)
        .map(|i| {
            let a = f64::from(i) + 0.62;
            (a, a + 1.3)
        })
        .collect();
    let clips: Vec<(&str, String, String)> = ranges
        .iter()
        .map(|&(a, b)| ("reel", after(t0, a), after(t0, b)))
        .collect();
    // The CLI's AAC encoder makes each beep heard ~12 ms before its frame in the recording
    // itself; the cut is held to one AAC frame of that.
    let skew = source_skew(&rec.join("index.m3u8"));
    assert!(skew.abs() < 0.02, "the recording's own skew: {skew}");
    let server = Server::start(dir.path(), &[]);
    let mut sdk = Sdk::new(&server.endpoint, create_key(dir.path(), "ice:*"));
    for mode in ["AccurateFast", "RoughFast", "Accurate", "Rough"] {
        let want: Vec<u32> = ranges
            .iter()
            .flat_map(|&(a, b)| {
                if mode.starts_with("Accurate") {
                    accurate_frames(a, b)
                } else {
                    rough_frames(a, b)
                }
            })
            .collect();
        let name = format!("reel-{mode}.mp4");
        run(&mut sdk, dir.path(), mode, &clips, &name);
        assert_output_against(
            &dir.path().join("buckets/clips").join(&name),
            &want,
            &format!("20 clips, {mode}"),
            skew,
        );
    }
}
