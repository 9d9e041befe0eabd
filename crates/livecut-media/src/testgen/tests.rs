use super::*;
use crate::codec::{AudioCodec, VideoCodec};
use crate::probe::{StreamKind, probe};

fn small_spec(dir: &std::path::Path) -> RecordingSpec {
    RecordingSpec {
        total_frames: 150,
        ..RecordingSpec::new(dir)
    }
}

#[test]
fn writes_segments_and_a_playlist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = small_spec(dir.path());
    let mut seen = Vec::new();
    let playlist_path = spec.dir.join(&spec.playlist_name);
    let summary = write_recording_with(&spec, &mut |s| {
        // Live mode: the playlist already lists the finished segment.
        let text = std::fs::read_to_string(&playlist_path).expect("playlist so far");
        assert!(text.contains(&format!("\n{}\n", s.uri)), "{text}");
        assert_eq!(text.contains("#EXT-X-ENDLIST"), s.uri == "seg00002.ts");
        seen.push(s.uri.clone());
    })
    .expect("recording");
    assert_eq!(summary.frames, 150);
    assert_eq!(seen, vec!["seg00000.ts", "seg00001.ts", "seg00002.ts"]);
    let frames: Vec<u64> = summary.segments.iter().map(|s| s.frames).collect();
    assert_eq!(frames, vec![60, 60, 30]);
    assert_eq!(
        summary.segments[1].utc_start_us,
        DEFAULT_START_UTC_US + 2_000_000
    );
    assert_eq!(summary.segments[2].duration_us, 1_000_000);

    let text = std::fs::read_to_string(&summary.playlist).expect("playlist");
    assert!(
        text.starts_with("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"),
        "{text}"
    );
    assert_eq!(text.matches("#EXT-X-PROGRAM-DATE-TIME:").count(), 3);
    assert!(text.contains(
        "#EXT-X-PROGRAM-DATE-TIME:2026-11-24T10:00:04.000Z\n#EXTINF:1.000000,\nseg00002.ts\n"
    ));
    assert!(text.ends_with("#EXT-X-ENDLIST\n"));

    let inputs = summary.inputs_overlapping(
        DEFAULT_START_UTC_US + 1_500_000,
        DEFAULT_START_UTC_US + 2_500_000,
    );
    assert_eq!(
        inputs.iter().map(|s| s.sequence).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

#[test]
fn generated_segments_probe_as_h264_and_aac_in_mpegts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let summary = write_recording(&small_spec(dir.path())).expect("recording");
    let info = probe(&summary.segments[1].path).expect("probe");
    assert_eq!(info.format_name, "mpegts");
    assert!(
        (info.duration_s - 2.0).abs() < 0.1,
        "duration {}",
        info.duration_s
    );
    // The second segment starts 2 s after the recording's 10 s start PTS.
    assert!(
        (info.start_time_s - 11.96).abs() < 0.1,
        "start {}",
        info.start_time_s
    );
    let video = info
        .streams
        .iter()
        .find(|s| s.kind == StreamKind::Video)
        .expect("video");
    assert_eq!(video.codec_name, "h264");
    assert_eq!((video.width, video.height), (Some(320), Some(180)));
    assert_eq!(video.r_frame_rate.as_deref(), Some("30/1"));
    assert_eq!(video.pix_fmt.as_deref(), Some("yuv420p"));
    assert_eq!(video.has_b_frames, Some(2));
    let audio = info
        .streams
        .iter()
        .find(|s| s.kind == StreamKind::Audio)
        .expect("audio");
    assert_eq!(audio.codec_name, "aac");
    assert_eq!(audio.profile, "LC");
    assert_eq!(audio.sample_rate, Some(48_000));
    assert_eq!(audio.channel_layout.as_deref(), Some("stereo"));
}

#[test]
fn rejects_inconsistent_specs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        segment_frames: 45,
        ..small_spec(dir.path())
    };
    let err = write_recording(&spec).expect_err("45 is not a multiple of 30");
    assert!(matches!(err, MediaError::InvalidJob(_)), "{err}");
    let spec = RecordingSpec {
        width: 321,
        ..small_spec(dir.path())
    };
    assert!(write_recording(&spec).is_err());
}

#[test]
fn recording_frames_and_markers_read_back_through_the_cli() {
    use livecut_testkit::oracle;
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        first_frame_number: 1000,
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    assert_eq!(
        oracle::decode_errors(&summary.playlist).expect("ffmpeg"),
        Vec::<String>::new()
    );
    let video = oracle::decode_video_numbers(&summary.playlist).expect("decode");
    let numbers: Vec<Option<u32>> = video.numbers();
    let expected: Vec<Option<u32>> = (1000..1150).map(Some).collect();
    assert_eq!(numbers, expected);
    // Frame i is presented at 10 s + i/30 on the TS timeline.
    assert!((video.frames[0].pts_s - 10.0).abs() < 1e-6);
    assert!((video.frames[149].pts_s - (10.0 + 149.0 / 30.0)).abs() < 1e-4);
    let onsets = oracle::audio_marker_onsets(&summary.playlist).expect("audio");
    // Markers on numbers 1020, 1050, 1080, 1110, 1140.
    assert_eq!(onsets.len(), 5, "{onsets:?}");
    oracle::check_av_sync(&video, &onsets, 30.0, 48_000).expect("in sync");
}

/// One video packet as `ffmpeg -bsf:v trace_headers` shows it.
#[derive(Debug, Clone, Default)]
struct TracedPacket {
    key: bool,
    pts: i64,
    /// Every NAL unit's `nal_unit_type`, in order.
    nal_types: Vec<u32>,
    /// `slice_type` of every slice.
    slice_types: Vec<u32>,
    /// The packet carries an H.264 recovery point SEI.
    recovery_point: bool,
    /// Every traced syntax element with a numeric value, in order.
    fields: Vec<(String, i64)>,
}

impl TracedPacket {
    fn values(&self, name: &str) -> Vec<i64> {
        self.fields
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .collect()
    }
}

/// The video packets of `path` in decode order, traced by the ffmpeg CLI
/// (the parameter sets of extradata, before the first packet, are skipped).
fn trace_packets(path: &std::path::Path) -> Vec<TracedPacket> {
    let out = std::process::Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-v", "info", "-copyts", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-c", "copy", "-bsf:v", "trace_headers"])
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg trace_headers failed");
    let text = String::from_utf8_lossy(&out.stderr);
    let mut packets: Vec<TracedPacket> = Vec::new();
    for line in text.lines() {
        let Some((_, rest)) = line.split_once("[trace_headers @ ") else {
            continue;
        };
        let Some((_, rest)) = rest.split_once("] ") else {
            continue;
        };
        if let Some(desc) = rest.strip_prefix("Packet: ") {
            let pts = desc
                .split(", ")
                .find_map(|f| f.strip_prefix("pts "))
                .and_then(|v| v.parse().ok())
                .unwrap_or(i64::MIN);
            packets.push(TracedPacket {
                key: desc.contains("key frame"),
                pts,
                ..TracedPacket::default()
            });
            continue;
        }
        let Some(packet) = packets.last_mut() else {
            continue;
        };
        if rest.contains("Recovery Point") {
            packet.recovery_point = true;
        }
        let tokens: Vec<&str> = rest.split_whitespace().collect();
        if let [_, name, _, "=", value] = tokens[..] {
            let Ok(value) = value.parse::<i64>() else {
                continue;
            };
            match name {
                "nal_unit_type" => packet.nal_types.push(value as u32),
                "slice_type" => packet.slice_types.push(value as u32),
                _ => {}
            }
            packet.fields.push((name.to_string(), value));
        }
    }
    packets
}

/// A 3-segment HEVC recording: every segment starts with in-band
/// VPS/SPS/PPS and an IDR frame, and every frame reads back.
#[test]
fn hevc_recording_reads_back_and_repeats_parameter_sets() {
    use livecut_testkit::oracle;
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        video_codec: VideoCodec::Hevc,
        first_frame_number: 500,
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    assert_eq!(summary.segments.len(), 3);
    let info = probe(&summary.segments[0].path).expect("probe");
    let video = info
        .streams
        .iter()
        .find(|s| s.kind == StreamKind::Video)
        .expect("video");
    assert_eq!(video.codec_name, "hevc");
    assert_eq!(video.pix_fmt.as_deref(), Some("yuv420p"));
    assert_eq!(video.profile, "Main");
    for segment in &summary.segments {
        let packets = trace_packets(&segment.path);
        assert_eq!(packets.len() as u64, segment.frames, "{}", segment.uri);
        let first = &packets[0];
        assert!(first.key, "{}: {first:?}", segment.uri);
        // VPS, SPS and PPS before an IDR slice (IDR_W_RADL or IDR_N_LP).
        for nal in [32, 33, 34] {
            assert!(first.nal_types.contains(&nal), "{}: {first:?}", segment.uri);
        }
        assert!(
            first.nal_types.iter().any(|t| *t == 19 || *t == 20),
            "{}: {first:?}",
            segment.uri
        );
        assert_eq!(first.pts, spec.frame_pts(segment.first_frame_index));
        // One keyframe per GOP, exactly at the GOP starts.
        let keys: Vec<i64> = packets.iter().filter(|p| p.key).map(|p| p.pts).collect();
        let expected: Vec<i64> = (segment.first_frame_index
            ..segment.first_frame_index + segment.frames)
            .step_by(spec.gop_frames as usize)
            .map(|i| spec.frame_pts(i))
            .collect();
        assert_eq!(keys, expected, "{}", segment.uri);
        // B-frames are there (slice_type 0).
        assert!(packets.iter().any(|p| p.slice_types.contains(&0)));
    }
    assert_eq!(
        oracle::decode_errors(&summary.playlist).expect("ffmpeg"),
        Vec::<String>::new()
    );
    let decoded = oracle::decode_video_numbers(&summary.playlist).expect("decode");
    let expected: Vec<Option<u32>> = (500..650).map(Some).collect();
    assert_eq!(decoded.numbers(), expected);
    assert!((decoded.frames[0].pts_s - 10.0).abs() < 1e-6);
    let onsets = oracle::audio_marker_onsets(&summary.playlist).expect("audio");
    assert_eq!(onsets.len(), 5, "{onsets:?}");
    oracle::check_av_sync(&decoded, &onsets, 30.0, 48_000).expect("in sync");
}

#[test]
fn rejects_options_of_the_other_codec() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        video_codec: VideoCodec::Hevc,
        sps_id: 3,
        ..small_spec(dir.path())
    };
    let err = write_recording(&spec).expect_err("sps_id is H.264 only");
    assert!(err.to_string().contains("sps_id"), "{err}");
}

/// Checks the open-GOP structure of every segment of `summary`: it starts
/// with a keyframe carrying in-band parameter sets, the keyframes after the
/// recording's first are not IDR (`is_idr`), leading pictures follow them,
/// and the frames of all segments together are every frame once.
fn check_open_gop_segments(
    spec: &RecordingSpec,
    summary: &RecordingSummary,
    parameter_sets: &[u32],
    is_idr: impl Fn(&TracedPacket) -> bool,
    is_open_keyframe: impl Fn(&TracedPacket) -> bool,
    is_leading: impl Fn(&TracedPacket) -> bool,
) {
    let mut all_pts = Vec::new();
    for (n, segment) in summary.segments.iter().enumerate() {
        let packets = trace_packets(&segment.path);
        let first = &packets[0];
        assert!(first.key, "{}: {first:?}", segment.uri);
        assert_eq!(first.pts, spec.frame_pts(segment.first_frame_index));
        for nal in parameter_sets {
            assert!(first.nal_types.contains(nal), "{}: {first:?}", segment.uri);
        }
        if n == 0 {
            assert!(is_idr(first), "{}: {first:?}", segment.uri);
        } else {
            assert!(is_open_keyframe(first), "{}: {first:?}", segment.uri);
        }
        // Keyframes exactly at the GOP starts; after each one but the very
        // first, leading pictures (earlier PTS) right behind it.
        for (i, packet) in packets.iter().enumerate() {
            let index = (packet.pts - spec.start_pts) / 3000;
            assert_eq!(
                packet.key,
                index % i64::from(spec.gop_frames) == 0 && packet.pts >= first.pts,
                "{}: packet {i} {packet:?}",
                segment.uri
            );
            if packet.key && packet.pts > spec.start_pts {
                assert!(!is_idr(packet), "{}: {packet:?}", segment.uri);
                let leading: Vec<&TracedPacket> = packets[i + 1..]
                    .iter()
                    .take_while(|p| p.pts < packet.pts)
                    .collect();
                // The encoder's B-frame decision picks 1..=bframes of them.
                assert!(
                    (1..=spec.bframes as usize).contains(&leading.len()),
                    "{}: {} leading pictures",
                    segment.uri,
                    leading.len()
                );
                assert!(leading.iter().all(|p| is_leading(p)), "{leading:?}");
            }
        }
        all_pts.extend(packets.iter().map(|p| p.pts));
    }
    all_pts.sort_unstable();
    let expected: Vec<i64> = (0..spec.total_frames).map(|i| spec.frame_pts(i)).collect();
    assert_eq!(all_pts, expected);
}

/// Decodes the whole playlist: every frame in order, no errors, A/V sync.
fn check_frames_and_sync(spec: &RecordingSpec, summary: &RecordingSummary) {
    use livecut_testkit::oracle;
    assert_eq!(
        oracle::decode_errors(&summary.playlist).expect("ffmpeg"),
        Vec::<String>::new()
    );
    let decoded = oracle::decode_video_numbers(&summary.playlist).expect("decode");
    let first = spec.first_frame_number;
    let expected: Vec<Option<u32>> = (first..first + spec.total_frames as u32)
        .map(Some)
        .collect();
    assert_eq!(decoded.numbers(), expected);
    for (i, frame) in decoded.frames.iter().enumerate() {
        let pts = spec.frame_pts(i as u64) as f64 / 90_000.0;
        assert!((frame.pts_s - pts).abs() < 1e-6, "frame {i}: {frame:?}");
    }
    if let Some(audio) = spec.audio {
        let onsets = oracle::audio_marker_onsets(&summary.playlist).expect("audio");
        assert!(!onsets.is_empty());
        let fps = f64::from(spec.fps_num) / f64::from(spec.fps_den);
        oracle::check_av_sync(&decoded, &onsets, fps, audio.sample_rate).expect("in sync");
    }
}

#[test]
fn open_gop_h264_has_recovery_point_i_frames_with_leading_b_frames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        open_gop: true,
        first_frame_number: 70,
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    assert_eq!(summary.segments.len(), 3);
    // H.264: SPS 7 + PPS 8; IDR slices are NAL type 5, other slices 1;
    // slice_type 2/7 is I, 1/6 is B.
    check_open_gop_segments(
        &spec,
        &summary,
        &[7, 8],
        |p| p.nal_types.contains(&5),
        |p| {
            p.nal_types.contains(&1)
                && !p.nal_types.contains(&5)
                && p.slice_types.iter().all(|t| *t == 2 || *t == 7)
                && p.recovery_point
        },
        |p| p.nal_types.contains(&1) && p.slice_types.iter().all(|t| *t == 1 || *t == 6),
    );
    check_frames_and_sync(&spec, &summary);
}

#[test]
fn open_gop_hevc_has_cra_keyframes_with_rasl_pictures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        video_codec: VideoCodec::Hevc,
        open_gop: true,
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    assert_eq!(summary.segments.len(), 3);
    // HEVC: VPS 32, SPS 33, PPS 34; IDR 19/20, CRA 21, RASL 8/9.
    check_open_gop_segments(
        &spec,
        &summary,
        &[32, 33, 34],
        |p| p.nal_types.iter().any(|t| *t == 19 || *t == 20),
        |p| p.nal_types.contains(&21),
        |p| p.nal_types.iter().any(|t| *t == 8 || *t == 9),
    );
    check_frames_and_sync(&spec, &summary);
}

/// Picture size of the first video stream of `path`, by ffprobe.
fn probed_size(path: &std::path::Path) -> (u64, u64) {
    let json = livecut_testkit::oracle::ffprobe_json(path).expect("ffprobe");
    let video = json["streams"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["codec_type"] == "video"))
        .expect("a video stream");
    (
        video["width"].as_u64().expect("width"),
        video["height"].as_u64().expect("height"),
    )
}

#[test]
fn size_changes_restart_the_encoder_at_a_segment_boundary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        total_frames: 240,
        sps_id: 5,
        first_frame_number: 12_345,
        size_changes: vec![
            SizeChange {
                at_frame: 60,
                width: 480,
                height: 270,
            },
            SizeChange {
                at_frame: 180,
                width: 240,
                height: 180,
            },
        ],
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    let sizes: Vec<(u64, u64)> = summary
        .segments
        .iter()
        .map(|s| probed_size(&s.path))
        .collect();
    assert_eq!(sizes, [(320, 180), (480, 270), (480, 270), (240, 180)]);
    for segment in &summary.segments {
        let packets = trace_packets(&segment.path);
        let first = &packets[0];
        // IDR with SPS + PPS in-band, always with id 5.
        assert!(first.key && first.nal_types.contains(&5), "{first:?}");
        assert!(first.nal_types.contains(&7) && first.nal_types.contains(&8));
        let ids = first.values("seq_parameter_set_id");
        assert!(!ids.is_empty() && ids.iter().all(|id| *id == 5), "{ids:?}");
        let (width, _) = probed_size(&segment.path);
        let mbs = first.values("pic_width_in_mbs_minus1");
        assert_eq!(mbs, [width.div_ceil(16) as i64 - 1], "{}", segment.uri);
    }
    // The timeline simply continues.
    let text = std::fs::read_to_string(&summary.playlist).expect("playlist");
    assert!(!text.contains("DISCONTINUITY"), "{text}");
    for segment in &summary.segments {
        assert_eq!(
            segment.utc_start_us,
            spec.frame_utc_us(segment.first_frame_index)
        );
        assert_eq!(
            trace_packets(&segment.path)[0].pts,
            spec.frame_pts(segment.first_frame_index)
        );
    }
    check_frames_and_sync(&spec, &summary);
}

#[test]
fn size_change_of_an_open_gop_hevc_recording_starts_with_an_idr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        video_codec: VideoCodec::Hevc,
        open_gop: true,
        size_changes: vec![SizeChange {
            at_frame: 60,
            width: 640,
            height: 360,
        }],
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    let sizes: Vec<(u64, u64)> = summary
        .segments
        .iter()
        .map(|s| probed_size(&s.path))
        .collect();
    assert_eq!(sizes, [(320, 180), (640, 360), (640, 360)]);
    let kinds: Vec<Vec<u32>> = summary
        .segments
        .iter()
        .map(|s| trace_packets(&s.path)[0].nal_types.clone())
        .collect();
    // IDR after the restart, CRA in the middle of the new encoder's run.
    assert!(kinds[1].iter().any(|t| *t == 19 || *t == 20), "{kinds:?}");
    assert!(kinds[2].contains(&21), "{kinds:?}");
    for kind in &kinds {
        assert!([32, 33, 34].iter().all(|t| kind.contains(t)), "{kinds:?}");
    }
    check_frames_and_sync(&spec, &summary);
}

#[test]
fn rejects_size_changes_off_segment_boundaries() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (at, width) in [(30, 480), (0, 480), (150, 480), (60, 481), (120, 480)] {
        let mut spec = RecordingSpec {
            size_changes: vec![SizeChange {
                at_frame: at,
                width,
                height: 270,
            }],
            ..small_spec(dir.path())
        };
        if at == 120 {
            // Not increasing.
            spec.size_changes.insert(
                0,
                SizeChange {
                    at_frame: 120,
                    width: 480,
                    height: 270,
                },
            );
        }
        let err = write_recording(&spec).expect_err("invalid size change");
        assert!(matches!(err, MediaError::InvalidJob(_)), "{err}");
        assert!(err.to_string().contains("size change at frame"), "{err}");
    }
}

/// Every audio marker onset lies within 1 ms of the PTS of a marker frame
/// (a much tighter check than `check_av_sync`'s one audio frame), and
/// every marker frame has one.
fn check_markers_exact(spec: &RecordingSpec, summary: &RecordingSummary) {
    use livecut_testkit::oracle;
    let onsets = oracle::audio_marker_onsets(&summary.playlist).expect("audio");
    let interval = livecut_pattern::marker_interval_frames(spec.fps_num, spec.fps_den);
    let markers: Vec<f64> = (0..spec.total_frames)
        .filter(|i| (spec.first_frame_number + *i as u32).is_multiple_of(interval))
        .map(|i| spec.frame_pts(i) as f64 / 90_000.0)
        .collect();
    assert_eq!(onsets.len(), markers.len(), "{onsets:?} vs {markers:?}");
    for (onset, marker) in onsets.iter().zip(&markers) {
        assert!(
            (onset - marker).abs() < 0.001,
            "onset {onset:.5} s, marker frame at {marker:.5} s"
        );
    }
}

#[test]
fn aac_markers_start_exactly_with_their_frames() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        first_frame_number: 10,
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    check_markers_exact(&spec, &summary);
}

#[test]
fn mp3_audio_keeps_the_marker_schedule() {
    for (rate, channels) in [(44_100, 2), (48_000, 1)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = RecordingSpec {
            audio_codec: AudioCodec::Mp3,
            audio: Some(AudioSpec {
                sample_rate: rate,
                channels,
                bit_rate: 128_000,
            }),
            first_frame_number: 10,
            ..small_spec(dir.path())
        };
        let summary = write_recording(&spec).expect("recording");
        let json =
            livecut_testkit::oracle::ffprobe_json(&summary.segments[1].path).expect("ffprobe");
        let audio = json["streams"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["codec_type"] == "audio"))
            .expect("an audio stream");
        assert_eq!(audio["codec_name"], "mp3");
        assert_eq!(audio["sample_rate"], rate.to_string());
        assert_eq!(audio["channels"], channels);
        let out = std::process::Command::new("ffprobe")
            .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
            .args(["frame=nb_samples", "-of", "csv=p=0"])
            .arg(&summary.segments[1].path)
            .output()
            .expect("ffprobe");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.lines().count() > 50, "{text}");
        assert!(text.lines().all(|l| l.trim() == "1152"), "{text}");
        check_markers_exact(&spec, &summary);
        check_frames_and_sync(&spec, &summary);
    }
}

#[test]
fn rejects_mp3_layouts_libmp3lame_cannot_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rate, channels) in [(22_050, 2), (48_000, 6)] {
        let spec = RecordingSpec {
            audio_codec: AudioCodec::Mp3,
            audio: Some(AudioSpec {
                sample_rate: rate,
                channels,
                bit_rate: 128_000,
            }),
            ..small_spec(dir.path())
        };
        let err = write_recording(&spec).expect_err("bad MP3 layout");
        assert!(err.to_string().contains("MP3"), "{err}");
    }
}

#[test]
fn ten_bit_hevc_is_main_10_and_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        video_codec: VideoCodec::Hevc,
        ten_bit: true,
        first_frame_number: 77,
        size_changes: vec![SizeChange {
            at_frame: 120,
            width: 480,
            height: 270,
        }],
        ..small_spec(dir.path())
    };
    let summary = write_recording(&spec).expect("recording");
    for segment in &summary.segments {
        let info = probe(&segment.path).expect("probe");
        let video = info
            .streams
            .iter()
            .find(|s| s.kind == StreamKind::Video)
            .expect("video");
        assert_eq!(video.codec_name, "hevc");
        assert_eq!(video.pix_fmt.as_deref(), Some("yuv420p10le"));
        assert_eq!(video.profile, "Main 10");
        let first = &trace_packets(&segment.path)[0];
        assert_eq!(first.values("bit_depth_luma_minus8"), [2], "{first:?}");
        assert_eq!(first.values("bit_depth_chroma_minus8"), [2]);
    }
    check_frames_and_sync(&spec, &summary);
    // The 10-bit samples are the 8-bit picture's, times 4: the top-left
    // grid cell of frame 0 decodes to exactly 4 * the 8-bit black or white.
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&summary.segments[0].path)
        .args([
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p10le",
            "-",
        ])
        .output()
        .expect("ffmpeg");
    let luma = &out.stdout[..2];
    let v = u16::from_le_bytes([luma[0], luma[1]]);
    assert!(
        v.abs_diff(4 * u16::from(livecut_pattern::BLACK)) <= 8
            || v.abs_diff(4 * u16::from(livecut_pattern::WHITE)) <= 8,
        "top-left 10-bit luma {v}"
    );
}

#[test]
fn rejects_ten_bit_h264() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = RecordingSpec {
        ten_bit: true,
        ..small_spec(dir.path())
    };
    let err = write_recording(&spec).expect_err("H.264 10-bit");
    assert!(err.to_string().contains("ten_bit"), "{err}");
}

/// (pts, duration) of every audio packet of `path`, 90 kHz, by ffprobe.
fn audio_packets(path: &std::path::Path) -> Vec<(i64, i64)> {
    let out = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-show_entries"])
        .args(["packet=pts,duration", "-of", "compact=p=0"])
        .arg(path)
        .output()
        .expect("ffprobe");
    let field = |line: &str, key: &str| -> i64 {
        line.split('|')
            .find_map(|f| f.trim().strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {line}"))
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| (field(l, "pts"), field(l, "duration")))
        .collect()
}

#[test]
fn audio_only_recordings_cut_segments_at_packets_after_the_frame_instants() {
    for codec in [AudioCodec::Aac, AudioCodec::Mp3] {
        let dir = tempfile::tempdir().expect("tempdir");
        let spec = RecordingSpec {
            video: false,
            audio_codec: codec,
            audio: Some(AudioSpec {
                sample_rate: 44_100,
                ..AudioSpec::default()
            }),
            first_frame_number: 10,
            ..small_spec(dir.path())
        };
        let summary = write_recording(&spec).expect("recording");
        assert_eq!(summary.segments.len(), 3, "{codec:?}");
        let text = std::fs::read_to_string(&summary.playlist).expect("playlist");
        assert!(text.contains("#EXT-X-TARGETDURATION:2\n"), "{text}");
        for (k, segment) in summary.segments.iter().enumerate() {
            let json = livecut_testkit::oracle::ffprobe_json(&segment.path).expect("ffprobe");
            let streams = json["streams"].as_array().expect("streams");
            assert_eq!(streams.len(), 1, "{codec:?} {}", segment.uri);
            assert_eq!(streams[0]["codec_type"], "audio");
            let packets = audio_packets(&segment.path);
            let (first, duration) = packets[0];
            // The PDT is the instant of the first packet's PTS.
            let pts_us = (first - spec.start_pts) as f64 * 1e6 / 90_000.0;
            let utc = (segment.utc_start_us - spec.start_utc_us) as f64;
            assert!(
                (utc - pts_us).abs() <= 12.0,
                "{codec:?} {k}: {utc} vs {pts_us}"
            );
            let pdt = playlist::format_program_date_time(segment.utc_start_us);
            assert!(text.contains(&format!("#EXT-X-PROGRAM-DATE-TIME:{pdt}\n")));
            // ... the first packet starting at or after the frame instant.
            let boundary = spec.frame_pts(k as u64 * u64::from(spec.segment_frames));
            if k > 0 {
                assert!(first >= boundary && first - duration < boundary, "{k}");
            } else {
                assert!(first <= boundary, "{first}");
            }
            if let Some(next) = summary.segments.get(k + 1) {
                let end = segment.utc_start_us + segment.duration_us;
                assert!((end - next.utc_start_us).abs() <= 1, "{k}");
            }
        }
        check_markers_exact(&spec, &summary);
        assert_eq!(
            livecut_testkit::oracle::decode_errors(&summary.playlist).expect("ffmpeg"),
            Vec::<String>::new()
        );
    }
}

#[test]
fn rejects_audio_only_recordings_with_video_options() {
    let dir = tempfile::tempdir().expect("tempdir");
    let silent = RecordingSpec {
        video: false,
        audio: None,
        ..small_spec(dir.path())
    };
    let err = write_recording(&silent).expect_err("nothing to record");
    assert!(err.to_string().contains("video or audio"), "{err}");
    let open_gop = RecordingSpec {
        video: false,
        open_gop: true,
        ..small_spec(dir.path())
    };
    let err = write_recording(&open_gop).expect_err("video option");
    assert!(err.to_string().contains("audio-only"), "{err}");
}
