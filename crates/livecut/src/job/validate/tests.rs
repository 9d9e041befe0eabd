use super::*;

const STREAM: &str = r#"{"AppName":"app","DomainName":"live.example.com","StreamName":"s1"}"#;
const OUT: &str = r#"{"MediaURL":"https://bkt.oss-cn-shanghai.aliyuncs.com/out/a.mp4"}"#;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn base_with(overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut p = params(&[
        (
            "Clips",
            r#"[{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z"}]"#,
        ),
        ("LiveStreamConfig", STREAM),
        ("OutputMediaConfig", OUT),
    ]);
    for (k, v) in overrides {
        if v.is_empty() {
            p.remove(*k);
        } else {
            p.insert(k.to_string(), v.to_string());
        }
    }
    p
}

fn err(p: &BTreeMap<String, String>) -> ValidationError {
    validate(p, &Limits::default()).expect_err("must be rejected")
}

fn assert_invalid(overrides: &[(&str, &str)], param: &str, needle: &str) {
    let e = err(&base_with(overrides));
    assert_eq!(e.code.as_str(), "InvalidParameter", "{e:?}");
    assert_eq!(e.parameter, param, "{e:?}");
    assert!(
        e.message.contains(param),
        "message names the parameter: {}",
        e.message
    );
    assert!(
        e.message.contains(needle),
        "{:?} not in {}",
        needle,
        e.message
    );
}

fn assert_missing(overrides: &[(&str, &str)], param: &str) {
    let e = err(&base_with(overrides));
    assert_eq!(e.code.as_str(), "MissingParameter", "{e:?}");
    assert_eq!(e.parameter, param);
    assert!(e.message.contains(param));
}

#[test]
fn the_official_example_is_valid() {
    // From the IMS document: leading spaces inside the times, clip 1 names its stream, clip 2
    // takes LiveStreamConfig.
    let p = base_with(&[(
        "Clips",
        r#"[{"StartTime": " 2021-06-21T08:01:00Z", "EndTime": " 2021-06-21T08:03:00Z", "AppName": "app", "DomainName": "live.example.com", "StreamName": "stream"}, {"StartTime": " 2021-06-21T08:05:00Z", "EndTime": " 2021-06-21T08:09:00Z"}]"#,
    )]);
    let r = validate(&p, &Limits::default()).unwrap();
    assert_eq!(r.clips.len(), 2);
    assert_eq!(r.clips[0].stream.stream_name, "stream");
    assert_eq!(r.clips[1].stream.stream_name, "s1");
    assert_eq!(r.clips[0].end_us - r.clips[0].start_us, 120_000_000);
    assert_eq!(r.mode, Mode::AccurateFast);
    assert_eq!(r.target, OutputTarget::OssObject);
    assert_eq!(r.output.bucket, "bkt");
    assert_eq!(r.output.key, "out/a.mp4");
    assert_eq!(
        r.media_url,
        "https://bkt.oss-cn-shanghai.aliyuncs.com/out/a.mp4"
    );
}

#[test]
fn fractional_seconds_are_accepted() {
    let p = base_with(&[(
        "Clips",
        r#"[{"StartTime":"2021-06-21T08:01:00.5Z","EndTime":"2021-06-21T08:01:01.25Z"}]"#,
    )]);
    let r = validate(&p, &Limits::default()).unwrap();
    assert_eq!(r.clips[0].end_us - r.clips[0].start_us, 750_000);
}

#[test]
fn clips_is_required() {
    assert_missing(&[("Clips", "")], "Clips");
}

#[test]
fn clips_must_be_a_json_array() {
    assert_invalid(&[("Clips", "{")], "Clips", "not valid JSON");
    assert_invalid(&[("Clips", r#"{"StartTime":"x"}"#)], "Clips", "JSON array");
    assert_invalid(&[("Clips", "[]")], "Clips", "at least one clip");
    assert_invalid(&[("Clips", "[1]")], "Clips[0]", "JSON object");
}

#[test]
fn clips_count_is_limited() {
    let one = r#"{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:01:01Z"}"#;
    let many = format!("[{}]", [one; 4].join(","));
    let limits = Limits {
        max_clips: 3,
        ..Limits::default()
    };
    let e = validate(&base_with(&[("Clips", &many)]), &limits).unwrap_err();
    assert_eq!(e.parameter, "Clips");
    assert!(e.message.contains("limit of 3"), "{}", e.message);
}

#[test]
fn start_and_end_are_required_utc_iso8601() {
    assert_missing(
        &[("Clips", r#"[{"EndTime":"2021-06-21T08:03:00Z"}]"#)],
        "Clips[0].StartTime",
    );
    assert_missing(
        &[("Clips", r#"[{"StartTime":"2021-06-21T08:03:00Z"}]"#)],
        "Clips[0].EndTime",
    );
    assert_invalid(
        &[(
            "Clips",
            r#"[{"StartTime":"2021-06-21 08:01:00","EndTime":"2021-06-21T08:03:00Z"}]"#,
        )],
        "Clips[0].StartTime",
        "ISO 8601",
    );
    assert_invalid(
        &[(
            "Clips",
            r#"[{"StartTime":"2021-06-21T08:01:00+08:00","EndTime":"2021-06-21T08:03:00Z"}]"#,
        )],
        "Clips[0].StartTime",
        "UTC",
    );
    assert_invalid(
        &[(
            "Clips",
            r#"[{"StartTime":1624262460,"EndTime":"2021-06-21T08:03:00Z"}]"#,
        )],
        "Clips[0].StartTime",
        "string",
    );
}

#[test]
fn start_must_precede_end() {
    assert_invalid(
        &[(
            "Clips",
            r#"[{"StartTime":"2021-06-21T08:03:00Z","EndTime":"2021-06-21T08:03:00Z"}]"#,
        )],
        "Clips[0].EndTime",
        "later than StartTime",
    );
}

#[test]
fn clip_and_total_durations_are_limited() {
    let limits = Limits {
        max_clip_seconds: 60,
        max_total_seconds: 90,
        ..Limits::default()
    };
    let long = base_with(&[(
        "Clips",
        r#"[{"StartTime":"2021-06-21T08:00:00Z","EndTime":"2021-06-21T08:01:01Z"}]"#,
    )]);
    let e = validate(&long, &limits).unwrap_err();
    assert_eq!(e.parameter, "Clips[0].EndTime");
    assert!(e.message.contains("limit of 60 s"), "{}", e.message);
    let total = base_with(&[(
        "Clips",
        r#"[{"StartTime":"2021-06-21T08:00:00Z","EndTime":"2021-06-21T08:01:00Z"},{"StartTime":"2021-06-21T09:00:00Z","EndTime":"2021-06-21T09:00:31Z"}]"#,
    )]);
    let e = validate(&total, &limits).unwrap_err();
    assert_eq!(e.parameter, "Clips");
    assert!(e.message.contains("limit of 90 s"), "{}", e.message);
}

#[test]
fn a_clip_needs_a_stream() {
    assert_invalid(
        &[("LiveStreamConfig", "")],
        "Clips[0].AppName",
        "no LiveStreamConfig",
    );
    let p = base_with(&[
        ("LiveStreamConfig", ""),
        (
            "Clips",
            r#"[{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z","AppName":"a","DomainName":"d.com"}]"#,
        ),
    ]);
    assert_eq!(err(&p).parameter, "Clips[0].StreamName");
}

#[test]
fn live_stream_config_must_be_complete_json() {
    assert_invalid(
        &[("LiveStreamConfig", "[1]")],
        "LiveStreamConfig",
        "JSON object",
    );
    assert_invalid(
        &[("LiveStreamConfig", "{nope")],
        "LiveStreamConfig",
        "not valid JSON",
    );
    assert_missing(
        &[("LiveStreamConfig", r#"{"AppName":"a","DomainName":"d"}"#)],
        "LiveStreamConfig.StreamName",
    );
}

#[test]
fn streams_of_one_job_share_app_and_domain() {
    assert_invalid(
        &[(
            "Clips",
            r#"[{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z"},{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z","AppName":"other"}]"#,
        )],
        "Clips[1].AppName",
        "one application",
    );
    assert_invalid(
        &[(
            "Clips",
            r#"[{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z"},{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z","DomainName":"x.com"}]"#,
        )],
        "Clips[1].DomainName",
        "one domain",
    );
    // Different streams of one app are fine.
    let p = base_with(&[(
        "Clips",
        r#"[{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z"},{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z","StreamName":"s2"}]"#,
    )]);
    assert!(validate(&p, &Limits::default()).is_ok());
}

#[test]
fn cover_time_lies_inside_its_clip() {
    let with_cover = |t: &str| {
        base_with(&[(
            "Clips",
            &format!(
                r#"[{{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z","CoverTime":"{t}"}}]"#
            ),
        )])
    };
    assert!(validate(&with_cover("2021-06-21T08:02:00Z"), &Limits::default()).is_ok());
    for outside in ["2021-06-21T08:00:59Z", "2021-06-21T08:03:00Z"] {
        let e = err(&with_cover(outside));
        assert_eq!(e.parameter, "Clips[0].CoverTime");
        assert!(e.message.contains("inside the clip"));
    }
    assert_eq!(err(&with_cover("soon")).parameter, "Clips[0].CoverTime");
}

#[test]
fn cover_url_follows_bucket_rules() {
    let p = base_with(&[(
        "Clips",
        r#"[{"StartTime":"2021-06-21T08:01:00Z","EndTime":"2021-06-21T08:03:00Z","CoverUrl":"oss://bkt/../c.jpg"}]"#,
    )]);
    assert_eq!(err(&p).parameter, "Clips[0].CoverUrl");
}

#[test]
fn mode_is_one_of_four_and_defaults_to_accurate_fast() {
    assert_invalid(
        &[("MediaProduceConfig", r#"{"Mode":"Fast"}"#)],
        "MediaProduceConfig.Mode",
        "not one of",
    );
    let r = validate(
        &base_with(&[("MediaProduceConfig", r#"{"Mode":"RoughFast"}"#)]),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(r.mode, Mode::RoughFast);
    let r = validate(
        &base_with(&[("MediaProduceConfig", "{}")]),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(r.mode, Mode::AccurateFast);
    assert_invalid(
        &[("MediaProduceConfig", "x")],
        "MediaProduceConfig",
        "not valid JSON",
    );
}

#[test]
fn reencoding_modes_take_a_size_and_bit_rate() {
    let r = validate(
        &base_with(&[
            (
                "MediaProduceConfig",
                r#"{"Mode":"Accurate","Width":640,"Height":360}"#,
            ),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://bkt/a.mp4","Bitrate":1500}"#,
            ),
        ]),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        (r.mode, r.width, r.height, r.bitrate_kbps),
        (Mode::Accurate, Some(640), Some(360), Some(1500))
    );
    let r = validate(
        &base_with(&[
            ("MediaProduceConfig", r#"{"Mode":"Rough"}"#),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://bkt/a.mp4","Height":"720"}"#,
            ),
        ]),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!((r.mode, r.width, r.height), (Mode::Rough, None, Some(720)));
}

#[test]
fn width_and_height_only_with_reencoding_modes() {
    assert_invalid(
        &[(
            "MediaProduceConfig",
            r#"{"Mode":"AccurateFast","Width":640}"#,
        )],
        "Width",
        "Accurate or Rough",
    );
    assert_invalid(
        &[(
            "OutputMediaConfig",
            r#"{"MediaURL":"oss://bkt/a.mp4","Height":360}"#,
        )],
        "Height",
        "Accurate or Rough",
    );
    assert_invalid(
        &[(
            "OutputMediaConfig",
            r#"{"MediaURL":"oss://bkt/a.mp4","Bitrate":1000}"#,
        )],
        "OutputMediaConfig.Bitrate",
        "Accurate or Rough",
    );
}

#[test]
fn width_and_height_are_positive_even_and_limited() {
    assert_invalid(
        &[("MediaProduceConfig", r#"{"Mode":"Accurate","Width":-2}"#)],
        "MediaProduceConfig.Width",
        "positive",
    );
    assert_invalid(
        &[(
            "MediaProduceConfig",
            r#"{"Mode":"Accurate","Width":"wide"}"#,
        )],
        "MediaProduceConfig.Width",
        "integer",
    );
    assert_invalid(
        &[("MediaProduceConfig", r#"{"Mode":"Accurate","Width":641}"#)],
        "Width",
        "odd",
    );
    assert_invalid(
        &[("MediaProduceConfig", r#"{"Mode":"Rough","Height":8192}"#)],
        "Height",
        "limit of 4096",
    );
    assert_invalid(
        &[("MediaProduceConfig", r#"{"Mode":"Accurate","Width":2}"#)],
        "Width",
        "minimum of 32",
    );
}

#[test]
fn bit_rates_and_object_names_that_could_only_fail_later_are_refused() {
    assert_invalid(
        &[
            ("MediaProduceConfig", r#"{"Mode":"Accurate"}"#),
            (
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://b-1/k.mp4","Bitrate":4294967295}"#,
            ),
        ],
        "OutputMediaConfig.Bitrate",
        "outside 50-100000",
    );
    let long_name = format!(r#"{{"MediaURL":"oss://b-1/dir/{}.mp4"}}"#, "n".repeat(300));
    assert_invalid(
        &[("OutputMediaConfig", &long_name)],
        "OutputMediaConfig.MediaURL",
        "more than 255",
    );
    let long_key = format!(r#"{{"MediaURL":"oss://b-1/{}x.mp4"}}"#, "d/".repeat(520));
    assert_invalid(
        &[("OutputMediaConfig", &long_key)],
        "OutputMediaConfig.MediaURL",
        "longer than 1023",
    );
}

#[test]
fn user_data_is_json_of_at_most_512_bytes() {
    assert_invalid(&[("UserData", "not json")], "UserData", "not valid JSON");
    assert_invalid(&[("UserData", "[1,2]")], "UserData", "JSON object");
    let big = format!(r#"{{"k":"{}"}}"#, "x".repeat(510));
    assert_invalid(&[("UserData", &big)], "UserData", "more than 512");
    let ok = format!(r#"{{"k":"{}"}}"#, "x".repeat(504));
    assert_eq!(ok.len(), 512);
    let r = validate(&base_with(&[("UserData", &ok)]), &Limits::default()).unwrap();
    assert_eq!(r.user_data, ok, "kept verbatim");
}

#[test]
fn notify_address_is_a_url_or_queue() {
    let r = validate(
        &base_with(&[("UserData", r#"{"NotifyAddress":"http://127.0.0.1:9/cb"}"#)]),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(r.notify_address.as_deref(), Some("http://127.0.0.1:9/cb"));
    assert_invalid(
        &[("UserData", r#"{"NotifyAddress":"mailto:x@y"}"#)],
        "UserData.NotifyAddress",
        "http(s) URL",
    );
}

#[test]
fn oss_target_needs_media_url() {
    assert_missing(&[("OutputMediaConfig", "")], "OutputMediaConfig");
    assert_missing(&[("OutputMediaConfig", "{}")], "OutputMediaConfig.MediaURL");
    assert_invalid(
        &[("OutputMediaTarget", "ftp")],
        "OutputMediaTarget",
        "oss-object, vod-media",
    );
}

#[test]
fn vod_target_needs_storage_location_and_file_name() {
    let vod = [("OutputMediaTarget", "vod-media")];
    let mut o = vod.to_vec();
    o.push(("OutputMediaConfig", r#"{"FileName":"v.mp4"}"#));
    assert_missing(&o, "OutputMediaConfig.StorageLocation");
    let mut o = vod.to_vec();
    o.push((
        "OutputMediaConfig",
        r#"{"StorageLocation":"vbkt.oss-cn-shanghai.aliyuncs.com"}"#,
    ));
    assert_missing(&o, "OutputMediaConfig.FileName");
    let mut o = vod.to_vec();
    o.push((
        "OutputMediaConfig",
        r#"{"StorageLocation":"vbkt.oss-cn-shanghai.aliyuncs.com","FileName":"d/v.mp4"}"#,
    ));
    let r = validate(&base_with(&o), &Limits::default()).unwrap();
    assert_eq!(r.target, OutputTarget::VodMedia);
    assert_eq!(r.output.bucket, "vbkt");
    assert_eq!(
        r.media_url,
        "https://vbkt.oss-cn-shanghai.aliyuncs.com/d/v.mp4"
    );
}

#[test]
fn output_names_cannot_escape_their_bucket() {
    for bad in [
        r#"{"MediaURL":"oss://bkt/../../etc/passwd.mp4"}"#,
        r#"{"MediaURL":"oss://bkt//abs.mp4"}"#,
        r#"{"MediaURL":"oss://bkt/a%00.mp4"}"#,
        r#"{"MediaURL":"oss://bkt/a\u0007.mp4"}"#,
        r#"{"MediaURL":"/var/tmp/x.mp4"}"#,
    ] {
        let e = err(&base_with(&[("OutputMediaConfig", bad)]));
        assert_eq!(e.parameter, "OutputMediaConfig.MediaURL", "{bad}");
        assert_eq!(e.code.as_str(), "InvalidParameter");
    }
    let e = err(&base_with(&[
        ("OutputMediaTarget", "vod-media"),
        (
            "OutputMediaConfig",
            r#"{"StorageLocation":"B_AD","FileName":"v.mp4"}"#,
        ),
    ]));
    assert_eq!(e.parameter, "OutputMediaConfig.StorageLocation");
    let e = err(&base_with(&[
        ("OutputMediaTarget", "vod-media"),
        (
            "OutputMediaConfig",
            r#"{"StorageLocation":"vbkt.x.com","FileName":"../v.mp4"}"#,
        ),
    ]));
    assert_eq!(e.parameter, "OutputMediaConfig.FileName");
}

#[test]
fn output_may_be_an_hls_playlist() {
    let r = validate(
        &base_with(&[(
            "OutputMediaConfig",
            r#"{"MediaURL":"oss://bkt/hls/a.m3u8"}"#,
        )]),
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(r.output.key, "hls/a.m3u8");
}

#[test]
fn output_must_be_mp4_or_m3u8() {
    assert_invalid(
        &[("OutputMediaConfig", r#"{"MediaURL":"oss://bkt/a.flv"}"#)],
        "OutputMediaConfig.MediaURL",
        ".mp4",
    );
}
