//! The bad-input catalogue: requests a careless or hostile client sends (JSON and types, sizes,
//! times, names, paths, schemes, encodings, methods, content types, repeated parameters,
//! signatures). Each answers its HTTP status and Code with a Message that names the parameter,
//! and none leaves a job, an object or a damaged log line behind.

use std::time::Duration;

use crate::fixtures::*;
use serde_json::{Value, json};

/// One request of the catalogue and what it must answer.
struct Case {
    what: String,
    request: Vec<u8>,
    status: u16,
    code: &'static str,
    /// Words the Message must contain (the parameter it names).
    mentions: Vec<String>,
}

/// A V3-signed POST of `action` with `form` as its body, plus `extra` raw header lines.
fn signed(endpoint: &str, key: &Key, action: &str, form: &[(String, String)]) -> Vec<u8> {
    signed_with(endpoint, key, action, "2020-11-09", form, "")
}

fn signed_with(
    endpoint: &str,
    key: &Key,
    action: &str,
    version: &str,
    form: &[(String, String)],
    extra: &str,
) -> Vec<u8> {
    let s = sign(endpoint, key, Scheme::V3Form, (action, version), form);
    let mut head = format!("POST /?{} HTTP/1.1\r\n", s.query);
    for (k, v) in &s.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!(
        "{extra}content-length: {}\r\nconnection: close\r\n\r\n",
        s.body.len()
    ));
    [head.into_bytes(), s.body].concat()
}

fn raw(request: &str) -> Vec<u8> {
    request.as_bytes().to_vec()
}

/// The Submit parameters of a valid job, with `changes` applied (None removes a parameter).
fn submit_params(changes: &[(&str, Option<String>)]) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = vec![
        (
            "Clips".into(),
            json!([{"StartTime": at(1.0), "EndTime": at(3.0)}]).to_string(),
        ),
        ("LiveStreamConfig".into(), stream_config("cam1")),
        (
            "OutputMediaConfig".into(),
            r#"{"MediaURL":"oss://catalogue/out.mp4"}"#.into(),
        ),
    ];
    for (name, value) in changes {
        p.retain(|(k, _)| k != name);
        if let Some(v) = value {
            p.push((name.to_string(), v.clone()));
        }
    }
    p
}

fn clip(start: &str, end: &str) -> Option<String> {
    Some(json!([{"StartTime": start, "EndTime": end}]).to_string())
}

fn stream(domain: &str, app: &str, name: &str) -> Option<String> {
    Some(json!({"DomainName": domain, "AppName": app, "StreamName": name}).to_string())
}

fn output(config: Value) -> Option<String> {
    Some(config.to_string())
}

#[test]
fn every_bad_request_gets_its_status_code_and_parameter_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 6, &[]);
    let log = dir.path().join("server.log");
    let server = Server::start_logged(dir.path(), &[], &log);
    let key = create_key(dir.path(), "ice:*");
    let reader = create_key(dir.path(), "ice:GetLiveEditingJob");
    let e = server.endpoint.as_str();
    let bad_key = Key {
        id: key.id.clone(),
        secret: "not-the-secret".into(),
    };
    let unknown_key = Key {
        id: "LTAInobodyhasthiskey".into(),
        secret: "x".into(),
    };
    let now_us = livecut::clock::now_ms() * 1000;
    let (soon, later) = (
        livecut::clock::format_precise_time(now_us + 3_600_000_000),
        livecut::clock::format_precise_time(now_us + 7_200_000_000),
    );
    let mut cases: Vec<Case> = Vec::new();
    let mut submit =
        |what: &str, changes: &[(&str, Option<String>)], status, code, mentions: &[&str]| {
            cases.push(Case {
                what: what.into(),
                request: signed(e, &key, "SubmitLiveEditingJob", &submit_params(changes)),
                status,
                code,
                mentions: mentions.iter().map(ToString::to_string).collect(),
            });
        };
    // JSON and types.
    submit(
        "Clips missing",
        &[("Clips", None)],
        400,
        "MissingParameter",
        &["Clips"],
    );
    submit(
        "Clips not JSON",
        &[("Clips", Some("[{".into()))],
        400,
        "InvalidParameter",
        &["Clips"],
    );
    submit(
        "Clips an object",
        &[("Clips", Some("{}".into()))],
        400,
        "InvalidParameter",
        &["Clips"],
    );
    submit(
        "Clips empty",
        &[("Clips", Some("[]".into()))],
        400,
        "InvalidParameter",
        &["Clips"],
    );
    submit(
        "a clip a number",
        &[("Clips", Some("[1]".into()))],
        400,
        "InvalidParameter",
        &["Clips[0]"],
    );
    submit(
        "Clips with trailing bytes",
        &[(
            "Clips",
            Some(format!(
                "{}x",
                json!([{"StartTime": at(1.0), "EndTime": at(2.0)}])
            )),
        )],
        400,
        "InvalidParameter",
        &["Clips"],
    );
    submit(
        "StartTime missing",
        &[("Clips", Some(json!([{"EndTime": at(2.0)}]).to_string()))],
        400,
        "MissingParameter",
        &["Clips[0].StartTime"],
    );
    submit(
        "StartTime a number",
        &[(
            "Clips",
            Some(json!([{"StartTime": 5, "EndTime": at(2.0)}]).to_string()),
        )],
        400,
        "InvalidParameter",
        &["Clips[0].StartTime"],
    );
    submit(
        "StartTime words",
        &[("Clips", clip("yesterday noon", &at(2.0)))],
        400,
        "InvalidParameter",
        &["Clips[0].StartTime"],
    );
    submit(
        "StartTime 30 February",
        &[("Clips", clip("2026-02-30T10:00:00Z", &at(2.0)))],
        400,
        "InvalidParameter",
        &["Clips[0].StartTime"],
    );
    submit(
        "StartTime without a zone",
        &[("Clips", clip("2026-11-24T10:00:01", &at(2.0)))],
        400,
        "InvalidParameter",
        &["Clips[0].StartTime"],
    );
    submit(
        "EndTime before StartTime",
        &[("Clips", clip(&at(3.0), &at(1.0)))],
        400,
        "InvalidParameter",
        &["Clips[0].EndTime"],
    );
    submit(
        "EndTime equal to StartTime",
        &[("Clips", clip(&at(1.0), &at(1.0)))],
        400,
        "InvalidParameter",
        &["Clips[0].EndTime"],
    );
    submit(
        "a clip of 7 hours",
        &[("Clips", clip(&at(0.0), &at(7.0 * 3600.0)))],
        400,
        "InvalidParameter",
        &["Clips[0].EndTime"],
    );
    submit(
        "a clip ending 2 h from now",
        &[("Clips", clip(&soon, &later))],
        400,
        "InvalidParameter",
        &["Clips[0].EndTime", "future"],
    );
    let many: Vec<Value> = (0..101).map(|i| json!({"StartTime": at(f64::from(i) * 0.01), "EndTime": at(f64::from(i) * 0.01 + 0.005)})).collect();
    submit(
        "101 clips",
        &[("Clips", Some(Value::Array(many).to_string()))],
        400,
        "InvalidParameter",
        &["Clips"],
    );
    submit(
        "CoverTime outside its clip",
        &[(
            "Clips",
            Some(
                json!([{"StartTime": at(1.0), "EndTime": at(2.0), "CoverTime": at(5.0)}])
                    .to_string(),
            ),
        )],
        400,
        "InvalidParameter",
        &["Clips[0].CoverTime"],
    );
    submit("CoverUrl a PNG", &[("Clips", Some(json!([{"StartTime": at(1.0), "EndTime": at(2.0), "CoverUrl": "oss://catalogue/c.png"}]).to_string()))], 400, "InvalidParameter", &["Clips[0].CoverUrl"]);
    // Names.
    submit(
        "LiveStreamConfig not JSON",
        &[("LiveStreamConfig", Some("cam1".into()))],
        400,
        "InvalidParameter",
        &["LiveStreamConfig"],
    );
    submit(
        "AppName missing",
        &[(
            "LiveStreamConfig",
            Some(json!({"DomainName": "d", "StreamName": "s"}).to_string()),
        )],
        400,
        "MissingParameter",
        &["LiveStreamConfig.AppName"],
    );
    submit(
        "StreamName a number",
        &[(
            "LiveStreamConfig",
            Some(json!({"DomainName": "d", "AppName": "a", "StreamName": 7}).to_string()),
        )],
        400,
        "InvalidParameter",
        &["LiveStreamConfig.StreamName"],
    );
    submit(
        "StreamName with a newline",
        &[(
            "LiveStreamConfig",
            stream("livecut.test", "live", "cam1\nFORGED log line"),
        )],
        400,
        "InvalidParameter",
        &["LiveStreamConfig.StreamName", "control"],
    );
    submit(
        "StreamName with NUL",
        &[(
            "LiveStreamConfig",
            stream("livecut.test", "live", "cam\u{0}1"),
        )],
        400,
        "InvalidParameter",
        &["LiveStreamConfig.StreamName"],
    );
    submit(
        "StreamName of 300 characters",
        &[(
            "LiveStreamConfig",
            stream("livecut.test", "live", &"s".repeat(300)),
        )],
        400,
        "InvalidParameter",
        &["LiveStreamConfig.StreamName", "255"],
    );
    submit(
        "AppName ..",
        &[("LiveStreamConfig", stream("livecut.test", "..", "cam1"))],
        400,
        "InvalidParameter",
        &["LiveStreamConfig.AppName"],
    );
    submit(
        "DomainName with a slash",
        &[("LiveStreamConfig", stream("../../etc", "live", "cam1"))],
        400,
        "InvalidParameter",
        &["LiveStreamConfig.DomainName"],
    );
    submit(
        "a clip's StreamName with a slash",
        &[(
            "Clips",
            Some(
                json!([{"StartTime": at(1.0), "EndTime": at(2.0), "StreamName": "a/b"}])
                    .to_string(),
            ),
        )],
        400,
        "InvalidParameter",
        &["Clips[0].StreamName"],
    );
    submit("clips of two apps", &[("Clips", Some(json!([{"StartTime": at(1.0), "EndTime": at(2.0)}, {"StartTime": at(1.0), "EndTime": at(2.0), "AppName": "other"}]).to_string()))], 400, "InvalidParameter", &["Clips[1].AppName"]);
    // Produce and output settings.
    submit(
        "Mode unknown",
        &[("MediaProduceConfig", Some(r#"{"Mode":"Fastest"}"#.into()))],
        400,
        "InvalidParameter",
        &["MediaProduceConfig.Mode"],
    );
    submit(
        "MediaProduceConfig not JSON",
        &[("MediaProduceConfig", Some("Mode=Accurate".into()))],
        400,
        "InvalidParameter",
        &["MediaProduceConfig"],
    );
    submit(
        "Width 2",
        &[(
            "MediaProduceConfig",
            Some(r#"{"Mode":"Accurate","Width":2,"Height":2}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["Width", "minimum"],
    );
    submit(
        "Width odd",
        &[(
            "MediaProduceConfig",
            Some(r#"{"Mode":"Accurate","Width":641}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["Width"],
    );
    submit(
        "Width 100000",
        &[(
            "MediaProduceConfig",
            Some(r#"{"Mode":"Accurate","Width":100000}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["Width"],
    );
    submit(
        "Width a string",
        &[(
            "MediaProduceConfig",
            Some(r#"{"Mode":"Accurate","Width":"wide"}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["MediaProduceConfig.Width"],
    );
    submit(
        "Width with AccurateFast",
        &[(
            "MediaProduceConfig",
            Some(r#"{"Mode":"AccurateFast","Width":640}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["Width"],
    );
    submit(
        "OnDamagedRecording unknown",
        &[(
            "MediaProduceConfig",
            Some(r#"{"OnDamagedRecording":"Ignore"}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["MediaProduceConfig.OnDamagedRecording"],
    );
    submit(
        "Bitrate 4294967295",
        &[
            ("MediaProduceConfig", Some(r#"{"Mode":"Accurate"}"#.into())),
            (
                "OutputMediaConfig",
                output(json!({"MediaURL": "oss://catalogue/out.mp4", "Bitrate": 4294967295u64})),
            ),
        ],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.Bitrate"],
    );
    submit(
        "Bitrate negative",
        &[
            ("MediaProduceConfig", Some(r#"{"Mode":"Accurate"}"#.into())),
            (
                "OutputMediaConfig",
                output(json!({"MediaURL": "oss://catalogue/out.mp4", "Bitrate": -5})),
            ),
        ],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.Bitrate"],
    );
    submit(
        "OutputMediaConfig missing",
        &[("OutputMediaConfig", None)],
        400,
        "MissingParameter",
        &["OutputMediaConfig"],
    );
    submit(
        "MediaURL missing",
        &[("OutputMediaConfig", output(json!({})))],
        400,
        "MissingParameter",
        &["OutputMediaConfig.MediaURL"],
    );
    submit(
        "MediaURL ftp",
        &[(
            "OutputMediaConfig",
            output(json!({"MediaURL": "ftp://catalogue/out.mp4"})),
        )],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.MediaURL"],
    );
    submit(
        "MediaURL file",
        &[(
            "OutputMediaConfig",
            output(json!({"MediaURL": "file:///etc/passwd.mp4"})),
        )],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.MediaURL"],
    );
    submit(
        "MediaURL bucket in capitals",
        &[(
            "OutputMediaConfig",
            output(json!({"MediaURL": "oss://Catalogue/out.mp4"})),
        )],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.MediaURL"],
    );
    submit(
        "MediaURL with ..",
        &[(
            "OutputMediaConfig",
            output(json!({"MediaURL": "oss://catalogue/../../etc/out.mp4"})),
        )],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.MediaURL"],
    );
    submit(
        "MediaURL an AVI",
        &[(
            "OutputMediaConfig",
            output(json!({"MediaURL": "oss://catalogue/out.avi"})),
        )],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.MediaURL"],
    );
    submit(
        "MediaURL a 300-byte file name",
        &[(
            "OutputMediaConfig",
            output(json!({"MediaURL": format!("oss://catalogue/{}.mp4", "n".repeat(300))})),
        )],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.MediaURL", "255"],
    );
    submit(
        "MediaURL without a key",
        &[(
            "OutputMediaConfig",
            output(json!({"MediaURL": "oss://catalogue/"})),
        )],
        400,
        "InvalidParameter",
        &["OutputMediaConfig.MediaURL"],
    );
    submit(
        "OutputMediaTarget unknown",
        &[("OutputMediaTarget", Some("ftp-server".into()))],
        400,
        "InvalidParameter",
        &["OutputMediaTarget"],
    );
    submit(
        "vod-media without StorageLocation",
        &[
            ("OutputMediaTarget", Some("vod-media".into())),
            ("OutputMediaConfig", output(json!({"FileName": "x.mp4"}))),
        ],
        400,
        "MissingParameter",
        &["OutputMediaConfig.StorageLocation"],
    );
    submit(
        "ProjectId unknown",
        &[("ProjectId", Some("no-such-project".into()))],
        400,
        "InvalidParameter",
        &["ProjectId"],
    );
    // UserData and callbacks.
    submit(
        "UserData not JSON",
        &[("UserData", Some("k=v".into()))],
        400,
        "InvalidParameter",
        &["UserData"],
    );
    submit(
        "UserData of 600 bytes",
        &[("UserData", Some(json!({"k": "v".repeat(590)}).to_string()))],
        400,
        "InvalidParameter",
        &["UserData", "512"],
    );
    submit(
        "NotifyAddress a number",
        &[("UserData", Some(r#"{"NotifyAddress":7}"#.into()))],
        400,
        "InvalidParameter",
        &["UserData.NotifyAddress"],
    );
    submit(
        "NotifyAddress gopher",
        &[(
            "UserData",
            Some(r#"{"NotifyAddress":"gopher://x/"}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["UserData.NotifyAddress"],
    );
    submit(
        "NotifyAddress loopback",
        &[(
            "UserData",
            Some(r#"{"NotifyAddress":"http://127.0.0.1:8080/cb"}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["UserData.NotifyAddress", "loopback"],
    );
    submit(
        "NotifyAddress metadata",
        &[(
            "UserData",
            Some(r#"{"NotifyAddress":"http://169.254.169.254/latest/"}"#.into()),
        )],
        400,
        "InvalidParameter",
        &["UserData.NotifyAddress", "link-local"],
    );
    // Repeated parameters.
    let mut twice = submit_params(&[]);
    twice.push((
        "Clips".into(),
        json!([{"StartTime": at(2.0), "EndTime": at(3.0)}]).to_string(),
    ));
    cases.push(Case {
        what: "Clips given twice".into(),
        request: signed(e, &key, "SubmitLiveEditingJob", &twice),
        status: 400,
        code: "InvalidParameter",
        mentions: vec!["Clips".into(), "more than once".into()],
    });
    // Other operations.
    let one = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let mut op =
        |what: &str, action: &str, form: Vec<(String, String)>, status, code, mentions: &[&str]| {
            cases.push(Case {
                what: what.into(),
                request: signed(e, &key, action, &form),
                status,
                code,
                mentions: mentions.iter().map(ToString::to_string).collect(),
            });
        };
    op(
        "GetLiveEditingJob without JobId",
        "GetLiveEditingJob",
        vec![],
        400,
        "MissingParameter",
        &["JobId"],
    );
    op(
        "GetLiveEditingJob of no job",
        "GetLiveEditingJob",
        one("JobId", "nope"),
        404,
        "NotFound",
        &["job"],
    );
    op(
        "GetLiveEditingJob with a 10 KB JobId",
        "GetLiveEditingJob",
        one("JobId", &"j".repeat(10_000)),
        404,
        "NotFound",
        &["job"],
    );
    op(
        "GetMediaInfo without MediaId",
        "GetMediaInfo",
        vec![],
        400,
        "MissingParameter",
        &["MediaId"],
    );
    op(
        "GetMediaInfo of a bad InputURL",
        "GetMediaInfo",
        one("InputURL", "ftp://x/y"),
        400,
        "InvalidParameter",
        &["InputURL"],
    );
    op(
        "GetLiveEditingIndexFile without StreamName",
        "GetLiveEditingIndexFile",
        vec![
            ("DomainName".into(), "livecut.test".into()),
            ("AppName".into(), "live".into()),
        ],
        400,
        "MissingParameter",
        &["StreamName"],
    );
    op(
        "SetEventCallback to MNS",
        "SetEventCallback",
        vec![
            ("CallbackType".into(), "MNS".into()),
            ("CallbackQueueName".into(), "ice-callback-q".into()),
        ],
        400,
        "InvalidParameter",
        &["CallbackType"],
    );
    op(
        "SetEventCallback signed without a key",
        "SetEventCallback",
        vec![
            ("CallbackURL".into(), "https://hooks.example.com/cb".into()),
            ("AuthSwitch".into(), "on".into()),
        ],
        400,
        "InvalidParameter",
        &["AuthKey"],
    );
    op(
        "SetEventCallback AuthSwitch maybe",
        "SetEventCallback",
        vec![
            ("CallbackURL".into(), "https://hooks.example.com/cb".into()),
            ("AuthSwitch".into(), "maybe".into()),
        ],
        400,
        "InvalidParameter",
        &["AuthSwitch"],
    );
    op(
        "an unknown action",
        "DeleteEverything",
        vec![],
        404,
        "InvalidAction.NotFound",
        &["DeleteEverything"],
    );
    cases.push(Case {
        what: "another API version".into(),
        request: signed_with(
            e,
            &key,
            "GetLiveEditingJob",
            "2017-09-06",
            &one("JobId", "x"),
            "",
        ),
        status: 400,
        code: "InvalidVersion",
        mentions: vec!["Version".into()],
    });
    // Signatures and keys.
    cases.push(Case {
        what: "a wrong secret".into(),
        request: signed(e, &bad_key, "GetLiveEditingJob", &one("JobId", "x")),
        status: 400,
        code: "SignatureDoesNotMatch",
        mentions: vec![],
    });
    cases.push(Case {
        what: "an unknown access key".into(),
        request: signed(e, &unknown_key, "GetLiveEditingJob", &one("JobId", "x")),
        status: 404,
        code: "InvalidAccessKeyId.NotFound",
        mentions: vec!["LTAInobodyhasthiskey".into()],
    });
    cases.push(Case {
        what: "a key without the action".into(),
        request: signed(e, &reader, "SubmitLiveEditingJob", &submit_params(&[])),
        status: 403,
        code: "Forbidden.RAM",
        mentions: vec!["SubmitLiveEditingJob".into()],
    });
    cases.push(Case {
        what: "no signature".into(),
        request: raw("GET /?Action=GetLiveEditingJob&JobId=x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        status: 400,
        code: "IncompleteSignature",
        mentions: vec![],
    });
    cases.push(Case {
        what: "an Authorization header of another scheme".into(),
        request: raw("GET /?JobId=x HTTP/1.1\r\nHost: h\r\nAuthorization: Basic YTpi\r\nx-acs-action: GetLiveEditingJob\r\nConnection: close\r\n\r\n"),
        status: 400,
        code: "IncompleteSignature",
        mentions: vec![],
    });
    // Methods, paths, content types, encodings, sizes.
    for (what, request, status, code) in [
        (
            "DELETE /",
            "DELETE / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            405,
            "UnsupportedHTTPMethod",
        ),
        (
            "PUT /",
            "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            405,
            "UnsupportedHTTPMethod",
        ),
        (
            "PATCH /preview/index.m3u8",
            "PATCH /preview/index.m3u8 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            405,
            "UnsupportedHTTPMethod",
        ),
        (
            "GET /admin",
            "GET /admin HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            404,
            "InvalidPath.NotFound",
        ),
        (
            "GET /../../etc/passwd",
            "GET /../../etc/passwd HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            404,
            "InvalidPath.NotFound",
        ),
        (
            "a text/plain body",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: text/plain\r\nContent-Length: 27\r\nConnection: close\r\n\r\nAction=GetLiveEditingJob&a=",
            400,
            "MissingParameter",
        ),
        (
            "a JSON body",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
            400,
            "MissingParameter",
        ),
        (
            "a broken percent-encoding",
            "GET /?Action=GetLiveEditingJob&JobId=%zz%ff HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
            400,
            "IncompleteSignature",
        ),
        (
            "a 2 MiB body",
            "POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 2097152\r\nConnection: close\r\n\r\n",
            413,
            "RequestEntityTooLarge",
        ),
    ] {
        cases.push(Case {
            what: what.into(),
            request: raw(request),
            status,
            code,
            mentions: vec![],
        });
    }

    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let (status, body) = raw_exchange(e, &case.request, Duration::from_secs(10));
        let message = body["Message"].as_str().unwrap_or_default();
        let fields_ok = ["RequestId", "HostId", "Code", "Message", "Recommend"]
            .iter()
            .all(|f| body[f].is_string());
        let mentions_ok = case.mentions.iter().all(|m| message.contains(m.as_str()));
        if status != case.status || body["Code"] != case.code || !fields_ok || !mentions_ok {
            failures.push(format!(
                "{}: want {} {} {:?}, got {status} {body}",
                case.what, case.status, case.code, case.mentions
            ));
        }
        assert!(
            !message.contains(&dir.path().display().to_string()),
            "{}: a server path in {message}",
            case.what
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );

    // Nothing was queued, nothing written, and the log has no forged or giant line.
    assert_eq!(job_count(dir.path()), 0);
    let written: Vec<_> = walk(&dir.path().join("buckets"));
    assert!(written.is_empty(), "{written:?}");
    let text = std::fs::read(&log).unwrap();
    let text = String::from_utf8_lossy(&text);
    assert!(
        !text.lines().any(|l| l.starts_with("FORGED")),
        "a stream name forged a log line"
    );
    assert!(!text.contains('\u{0}'), "a NUL reached the log");
    // Secrets never reach the log, not even of a request signed with a wrong one.
    for secret in [
        key.secret.as_str(),
        reader.secret.as_str(),
        "not-the-secret",
    ] {
        assert!(!text.contains(secret), "a secret reached the log");
    }
    let longest = text.lines().map(str::len).max().unwrap_or(0);
    assert!(longest <= 17 * 1024, "a log line of {longest} bytes");
    eprintln!("{} bad requests answered as catalogued", cases.len());
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let p = e.path();
            if p.is_dir() { walk(&p) } else { vec![p] }
        })
        .collect()
}
