use super::*;

/// 2026-11-24T11:53:40.838Z
const FFMPEG_T0_US: i64 = 1_795_521_220_838_000;

/// Written by `ffmpeg -f hls -hls_flags program_date_time` (FFmpeg 5.1) in a +08:00 zone:
/// the date follows #EXTINF and uses a `+0800` offset.
const FFMPEG: &str = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n\
#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T19:53:40.838+0800\nseg000.ts\n\
#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T19:53:42.838+0800\nseg001.ts\n\
#EXTINF:1.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T19:53:44.838+0800\nseg002.ts\n\
#EXT-X-ENDLIST\n";

fn parse_ok(text: &str) -> MediaPlaylist {
    match parse_media_playlist(text) {
        Ok(p) => p,
        Err(e) => panic!("{e}\n{text}"),
    }
}

fn malformed_line(text: &str) -> (usize, String) {
    match parse_media_playlist(text) {
        Err(HlsError::Malformed { line, message }) => (line, message),
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn ffmpeg_hls_muxer_output() {
    let p = parse_ok(FFMPEG);
    assert_eq!(p.target_duration_s, 2);
    assert_eq!(p.media_sequence, 0);
    assert!(p.ended);
    assert_eq!(p.playlist_type, None);
    assert_eq!(p.segments.len(), 3);
    assert_eq!(
        p.segments[0],
        Segment {
            uri: "seg000.ts".into(),
            sequence: 0,
            duration_us: 2_000_000,
            program_date_time_us: Some(FFMPEG_T0_US),
            discontinuity: false,
            gap: false,
            byte_range: None,
            map: None,
        }
    );
    assert_eq!(p.segments[2].duration_us, 1_000_000);
    assert_eq!(
        p.segments[2].program_date_time_us,
        Some(FFMPEG_T0_US + 4_000_000)
    );
}

#[test]
fn srs_style_with_titles_discontinuity_and_sequence() {
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:15\n#EXT-X-TARGETDURATION:10\n\
#EXT-X-DISCONTINUITY\n#EXTINF:10.120, no desc\nlivestream-15.ts\n#EXTINF:9.880, no desc\nlivestream-16.ts\n";
    let p = parse_ok(text);
    assert!(!p.ended);
    assert_eq!(p.media_sequence, 15);
    let seqs: Vec<u64> = p.segments.iter().map(|s| s.sequence).collect();
    assert_eq!(seqs, [15, 16]);
    assert!(p.segments[0].discontinuity);
    assert!(!p.segments[1].discontinuity);
    assert_eq!(p.segments[0].duration_us, 10_120_000);
    assert_eq!(p.segments[1].program_date_time_us, None);
}

#[test]
fn nginx_rtmp_style_with_crlf_bom_and_blank_lines() {
    let text = "\u{feff}#EXTM3U\r\n#EXT-X-VERSION:3\r\n\r\n#EXT-X-MEDIA-SEQUENCE:3\r\n#EXT-X-TARGETDURATION:5\r\n\
#EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:00Z\r\n#EXTINF:5.005,\r\n3.ts\r\n  \r\n#EXTINF:4.995,\r\n4.ts\r\n";
    let p = parse_ok(text);
    assert_eq!(p.segments.len(), 2);
    assert_eq!(p.segments[0].uri, "3.ts");
    assert_eq!(p.segments[1].uri, "4.ts");
    assert_eq!(
        p.segments[0].program_date_time_us,
        Some(1_624_262_460_000_000)
    );
    assert_eq!(p.segments[1].sequence, 4);
}

#[test]
fn mediamtx_mpegts_variant_with_low_latency_tags_ignored() {
    let text = "#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:2\n\
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.600,CAN-SKIP-UNTIL=12\n\
#EXT-X-PART-INF:PART-TARGET=0.2\n#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-INDEPENDENT-SEGMENTS\n\
#EXT-X-PROGRAM-DATE-TIME:2023-03-08T10:55:04.386Z\n\
#EXT-X-PART:DURATION=0.2,URI=\"part0.ts\",INDEPENDENT=YES\n#EXTINF:2.00000,\nseg7.ts\n\
#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"part11.ts\"\n";
    let p = parse_ok(text);
    assert_eq!(p.segments.len(), 1);
    assert_eq!(p.segments[0].sequence, 7);
    assert_eq!(
        p.segments[0].program_date_time_us,
        Some(1_678_272_904_386_000)
    );
}

#[test]
fn fmp4_segments_carry_the_map_in_force() {
    // ffmpeg's hls muxer with -hls_segment_type fmp4; a recorder restart brings a new map.
    let text = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:URI=\"init.mp4\"\n\
                #EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2026-12-07T17:46:41.649+0000\nout0.m4s\n\
                #EXTINF:2.000000,\nout1.m4s\n#EXT-X-DISCONTINUITY\n\
                #EXT-X-MAP:URI=\"init_1.mp4\",BYTERANGE=\"720@0\"\n#EXTINF:2,\nout2.m4s\n";
    let p = parse_media_playlist(text).expect("fMP4 playlists parse");
    let maps: Vec<_> = p.segments.iter().map(|s| s.map.clone()).collect();
    let init = |uri: &str, byte_range| {
        Some(MapSection {
            uri: uri.into(),
            byte_range,
        })
    };
    assert_eq!(
        maps,
        vec![
            init("init.mp4", None),
            init("init.mp4", None),
            init("init_1.mp4", Some((720, Some(0))))
        ]
    );
    // PROGRAM-DATE-TIME after #EXTINF (ffmpeg's order) still belongs to the segment.
    assert_eq!(
        p.segments[0].program_date_time_us,
        Some(1_796_665_601_649_000)
    );
}

#[test]
fn a_map_without_uri_is_malformed() {
    let text =
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MAP:BYTERANGE=\"10@0\"\n#EXTINF:2,\nseg.mp4\n";
    match parse_media_playlist(text) {
        Err(HlsError::Malformed { line: 3, message }) => {
            assert!(message.contains("URI"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn master_playlist_is_refused_clearly() {
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=1280000,RESOLUTION=640x360\nlow/index.m3u8\n";
    let err = parse_media_playlist(text);
    assert_eq!(
        err,
        Err(HlsError::MasterPlaylist {
            line: 3,
            tag: "#EXT-X-STREAM-INF".into()
        })
    );
    let message = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("master playlist"), "{message}");
}

#[test]
fn encryption_is_not_supported_but_method_none_is_fine() {
    let text =
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=AES-128,URI=\"k\"\n#EXTINF:2,\na.ts\n";
    assert!(matches!(
        parse_media_playlist(text),
        Err(HlsError::NotSupported { line: 3, .. })
    ));
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:METHOD=NONE\n#EXTINF:2,\na.ts\n";
    assert_eq!(parse_ok(text).segments.len(), 1);
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-KEY:URI=\"k\"\n";
    assert_eq!(malformed_line(text).0, 3);
}

#[test]
fn comments_and_unknown_tags_are_ignored() {
    let text = "#EXTM3U\n# written by a recorder\n#EXT-X-TARGETDURATION:4\n#EXT-X-FOO:bar\n#EXT-X-ALLOW-CACHE:NO\n\
#EXTINF:4,title, with comma\n#comment between\na.ts\n";
    let p = parse_ok(text);
    assert_eq!(p.segments.len(), 1);
    assert_eq!(p.segments[0].duration_us, 4_000_000);
}

#[test]
fn byte_ranges_gaps_and_playlist_type() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:EVENT\n#EXT-X-DISCONTINUITY-SEQUENCE:4\n\
#EXTINF:2,\n#EXT-X-BYTERANGE:1000@0\nall.ts\n#EXT-X-GAP\n#EXTINF:2,\n#EXT-X-BYTERANGE:500\nall.ts\n";
    let p = parse_ok(text);
    assert_eq!(p.playlist_type, Some(PlaylistType::Event));
    assert_eq!(p.discontinuity_sequence, 4);
    assert_eq!(p.segments[0].byte_range, Some((1000, Some(0))));
    assert_eq!(p.segments[1].byte_range, Some((500, None)));
    assert!(!p.segments[0].gap);
    assert!(p.segments[1].gap);
    let vod = parse_ok("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n");
    assert_eq!(vod.playlist_type, Some(PlaylistType::Vod));
    assert_eq!(
        malformed_line("#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:LIVE\n").0,
        3
    );
}

#[test]
fn decimal_target_duration_is_rounded_up() {
    assert_eq!(
        parse_ok("#EXTM3U\n#EXT-X-TARGETDURATION:6.006\n").target_duration_s,
        7
    );
    assert_eq!(
        parse_ok("#EXTM3U\n#EXT-X-TARGETDURATION:6.0\n").target_duration_s,
        6
    );
}

#[test]
fn not_a_playlist() {
    for text in [
        "",
        "\n\n",
        "<html></html>",
        "seg.ts\n#EXTM3U\n",
        "#EXTM3U8\n",
    ] {
        assert_eq!(
            parse_media_playlist(text),
            Err(HlsError::NotAPlaylist),
            "{text:?}"
        );
    }
}

#[test]
fn missing_target_duration() {
    assert_eq!(
        parse_media_playlist("#EXTM3U\n#EXTINF:2,\na.ts\n"),
        Err(HlsError::MissingTag {
            tag: "#EXT-X-TARGETDURATION"
        })
    );
}

#[test]
fn malformed_lines_name_their_line() {
    let head = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n";
    let cases = [
        ("#EXTINF:abc,\na.ts\n", 3, "#EXTINF"),
        ("#EXTINF:-2,\na.ts\n", 3, "#EXTINF"),
        ("a.ts\n", 3, "no #EXTINF"),
        ("#EXTINF:2,\n#EXTINF:2,\na.ts\n", 4, "line 3"),
        (
            "#EXT-X-PROGRAM-DATE-TIME:yesterday\n#EXTINF:2,\na.ts\n",
            3,
            "ISO 8601",
        ),
        (
            "#EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:00\n",
            3,
            "no time zone",
        ),
        ("#EXT-X-BYTERANGE:a@b\n", 3, "BYTERANGE"),
        ("#EXT-X-MEDIA-SEQUENCE:x\n", 3, "MEDIA-SEQUENCE"),
        (
            "#EXTINF:2,\na.ts\n#EXT-X-MEDIA-SEQUENCE:5\n",
            5,
            "after the first segment",
        ),
        (
            "#EXTINF:2,\na.ts\n#EXT-X-ENDLIST\n#EXTINF:2,\nb.ts\n",
            6,
            "after #EXT-X-ENDLIST on line 5",
        ),
        ("#EXT-X-ENDLIST\n\nb.ts\n", 5, "after #EXT-X-ENDLIST"),
    ];
    for (body, line, needle) in cases {
        let (got_line, message) = malformed_line(&format!("{head}{body}"));
        assert_eq!(got_line, line, "{body:?}: {message}");
        assert!(message.contains(needle), "{body:?}: {message}");
    }
}

#[test]
fn crlf_line_numbers_match_the_file() {
    let (line, _) = malformed_line("#EXTM3U\r\n#EXT-X-TARGETDURATION:2\r\n\r\nbad.ts\r\n");
    assert_eq!(line, 4);
}

#[test]
fn growing_playlist_with_unfinished_last_entry() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:00Z\n\
#EXTINF:2,\na.ts\n#EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:02Z\n#EXTINF:2,\n";
    let p = parse_ok(text);
    assert!(!p.ended);
    assert_eq!(p.segments.len(), 1);
}

#[test]
fn date_applies_to_the_next_segment_only() {
    let text = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:00Z\n\
#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n";
    let p = parse_ok(text);
    assert!(p.segments[0].program_date_time_us.is_some());
    assert_eq!(p.segments[1].program_date_time_us, None);
}

#[test]
fn media_sequence_overflow_is_an_error() {
    let text = format!(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{}\n#EXTINF:2,\na.ts\n#EXTINF:2,\nb.ts\n",
        u64::MAX
    );
    assert_eq!(malformed_line(&text).0, 7);
}
