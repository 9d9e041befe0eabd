//! Every SubmitLiveEditingJob validation rule and every authentication error, as the official
//! Python SDK raises them against a running server: the Code, the HTTP status, and a Message
//! that names the parameter.

use crate::fixtures::*;
use livecut_testkit::sdk::Signature;
use serde_json::json;

const OUT: &str = r#"{"MediaURL":"https://bkt.oss-cn-shanghai.aliyuncs.com/out/a.mp4"}"#;
const CLIP: &str = r#"[{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:05Z"}]"#;

struct Case {
    rule: &'static str,
    params: Vec<(&'static str, String)>,
    code: &'static str,
    names: &'static str,
}

fn case(
    rule: &'static str,
    overrides: &[(&'static str, &str)],
    code: &'static str,
    names: &'static str,
) -> Case {
    let mut params: Vec<(&'static str, String)> = vec![
        ("Clips", CLIP.to_string()),
        ("LiveStreamConfig", stream_config("cam1")),
        ("OutputMediaConfig", OUT.to_string()),
    ];
    for (k, v) in overrides {
        params.retain(|(p, _)| p != k);
        if !v.is_empty() {
            params.push((k, v.to_string()));
        }
    }
    Case {
        rule,
        params,
        code,
        names,
    }
}

fn clips(json: &'static str) -> (&'static str, &'static str) {
    ("Clips", json)
}

#[test]
fn every_submit_rule_is_enforced_through_the_sdk() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(
        dir.path(),
        &[
            "--max-clips",
            "3",
            "--max-clip-seconds",
            "600",
            "--max-total-seconds",
            "900",
        ],
    );
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let big_user_data = format!(r#"{{"k":"{}"}}"#, "x".repeat(510));
    let one = r#"{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:02Z"}"#;
    let four = format!("[{one},{one},{one},{one}]");
    let cases = vec![
        case(
            "Clips is required",
            &[("Clips", "")],
            "MissingParameter",
            "Clips",
        ),
        case("Clips is JSON", &[clips("[{")], "InvalidParameter", "Clips"),
        case(
            "Clips is an array",
            &[clips(r#"{"a":1}"#)],
            "InvalidParameter",
            "Clips",
        ),
        case(
            "Clips is not empty",
            &[clips("[]")],
            "InvalidParameter",
            "Clips",
        ),
        case(
            "at most N clips",
            &[("Clips", four.as_str())],
            "InvalidParameter",
            "Clips",
        ),
        case(
            "clip is an object",
            &[clips("[7]")],
            "InvalidParameter",
            "Clips[0]",
        ),
        case(
            "StartTime required",
            &[clips(r#"[{"EndTime":"2026-11-24T10:00:05Z"}]"#)],
            "MissingParameter",
            "Clips[0].StartTime",
        ),
        case(
            "EndTime required",
            &[clips(r#"[{"StartTime":"2026-11-24T10:00:05Z"}]"#)],
            "MissingParameter",
            "Clips[0].EndTime",
        ),
        case(
            "StartTime ISO 8601",
            &[clips(
                r#"[{"StartTime":"24/11/2026 10:00","EndTime":"2026-11-24T10:00:05Z"}]"#,
            )],
            "InvalidParameter",
            "Clips[0].StartTime",
        ),
        case(
            "StartTime in UTC",
            &[clips(
                r#"[{"StartTime":"2026-11-24T18:00:01+08:00","EndTime":"2026-11-24T10:00:05Z"}]"#,
            )],
            "InvalidParameter",
            "Clips[0].StartTime",
        ),
        case(
            "EndTime ISO 8601",
            &[clips(
                r#"[{"StartTime":"2026-11-24T10:00:01Z","EndTime":"later"}]"#,
            )],
            "InvalidParameter",
            "Clips[0].EndTime",
        ),
        case(
            "StartTime < EndTime",
            &[clips(
                r#"[{"StartTime":"2026-11-24T10:00:05Z","EndTime":"2026-11-24T10:00:01Z"}]"#,
            )],
            "InvalidParameter",
            "Clips[0].EndTime",
        ),
        case(
            "clip duration limit",
            &[clips(
                r#"[{"StartTime":"2026-11-24T10:00:00Z","EndTime":"2026-11-24T10:10:01Z"}]"#,
            )],
            "InvalidParameter",
            "Clips[0].EndTime",
        ),
        case(
            "total duration limit",
            &[clips(
                r#"[{"StartTime":"2026-11-24T10:00:00Z","EndTime":"2026-11-24T10:08:00Z"},{"StartTime":"2026-11-24T11:00:00Z","EndTime":"2026-11-24T11:08:00Z"}]"#,
            )],
            "InvalidParameter",
            "Clips",
        ),
        case(
            "a clip needs a stream",
            &[("LiveStreamConfig", "")],
            "InvalidParameter",
            "Clips[0].AppName",
        ),
        case(
            "LiveStreamConfig is JSON",
            &[("LiveStreamConfig", "{oops")],
            "InvalidParameter",
            "LiveStreamConfig",
        ),
        case(
            "LiveStreamConfig is complete",
            &[(
                "LiveStreamConfig",
                r#"{"AppName":"shop","DomainName":"live.example.com"}"#,
            )],
            "MissingParameter",
            "LiveStreamConfig.StreamName",
        ),
        case(
            "one app per job",
            &[clips(
                r#"[{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:05Z"},{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:05Z","AppName":"other"}]"#,
            )],
            "InvalidParameter",
            "Clips[1].AppName",
        ),
        case(
            "one domain per job",
            &[clips(
                r#"[{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:05Z"},{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:05Z","DomainName":"x.example.com"}]"#,
            )],
            "InvalidParameter",
            "Clips[1].DomainName",
        ),
        case(
            "CoverTime inside its clip",
            &[clips(
                r#"[{"StartTime":"2026-11-24T10:00:01Z","EndTime":"2026-11-24T10:00:05Z","CoverTime":"2026-11-24T10:00:06Z"}]"#,
            )],
            "InvalidParameter",
            "Clips[0].CoverTime",
        ),
        case(
            "Mode is one of four",
            &[("MediaProduceConfig", r#"{"Mode":"Turbo"}"#)],
            "InvalidParameter",
            "MediaProduceConfig.Mode",
        ),
        case(
            "Width only with Accurate/Rough",
            &[(
                "MediaProduceConfig",
                r#"{"Mode":"AccurateFast","Width":640}"#,
            )],
            "InvalidParameter",
            "Width",
        ),
        case(
            "Height only with Accurate/Rough",
            &[(
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://bkt/a.mp4","Height":360}"#,
            )],
            "InvalidParameter",
            "Height",
        ),
        case(
            "Width positive",
            &[("MediaProduceConfig", r#"{"Mode":"Accurate","Width":0}"#)],
            "InvalidParameter",
            "MediaProduceConfig.Width",
        ),
        case(
            "Width even",
            &[("MediaProduceConfig", r#"{"Mode":"Accurate","Width":641}"#)],
            "InvalidParameter",
            "Width",
        ),
        case(
            "Height within limits",
            &[("MediaProduceConfig", r#"{"Mode":"Rough","Height":10000}"#)],
            "InvalidParameter",
            "Height",
        ),
        case(
            "UserData is JSON",
            &[("UserData", "k=v")],
            "InvalidParameter",
            "UserData",
        ),
        case(
            "UserData at most 512 bytes",
            &[("UserData", big_user_data.as_str())],
            "InvalidParameter",
            "UserData",
        ),
        case(
            "OutputMediaTarget known",
            &[("OutputMediaTarget", "youtube")],
            "InvalidParameter",
            "OutputMediaTarget",
        ),
        case(
            "OutputMediaConfig required",
            &[("OutputMediaConfig", "")],
            "MissingParameter",
            "OutputMediaConfig",
        ),
        case(
            "oss-object needs MediaURL",
            &[("OutputMediaConfig", r#"{"FileName":"a.mp4"}"#)],
            "MissingParameter",
            "OutputMediaConfig.MediaURL",
        ),
        case(
            "vod-media needs StorageLocation",
            &[
                ("OutputMediaTarget", "vod-media"),
                ("OutputMediaConfig", r#"{"FileName":"a.mp4"}"#),
            ],
            "MissingParameter",
            "OutputMediaConfig.StorageLocation",
        ),
        case(
            "vod-media needs FileName",
            &[
                ("OutputMediaTarget", "vod-media"),
                (
                    "OutputMediaConfig",
                    r#"{"StorageLocation":"vbkt.oss-cn-shanghai.aliyuncs.com"}"#,
                ),
            ],
            "MissingParameter",
            "OutputMediaConfig.FileName",
        ),
        case(
            "no .. in output names",
            &[(
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://bkt/a/../../b.mp4"}"#,
            )],
            "InvalidParameter",
            "OutputMediaConfig.MediaURL",
        ),
        case(
            "no absolute output names",
            &[(
                "OutputMediaConfig",
                r#"{"MediaURL":"oss://bkt//etc/b.mp4"}"#,
            )],
            "InvalidParameter",
            "OutputMediaConfig.MediaURL",
        ),
        case(
            "no NUL in output names",
            &[("OutputMediaConfig", r#"{"MediaURL":"oss://bkt/a%00b.mp4"}"#)],
            "InvalidParameter",
            "OutputMediaConfig.MediaURL",
        ),
        case(
            "no control characters in output names",
            &[(
                "OutputMediaConfig",
                "{\"MediaURL\":\"oss://bkt/a\\u0001b.mp4\"}",
            )],
            "InvalidParameter",
            "OutputMediaConfig.MediaURL",
        ),
        case(
            "VOD FileName cannot escape",
            &[
                ("OutputMediaTarget", "vod-media"),
                (
                    "OutputMediaConfig",
                    r#"{"StorageLocation":"vbkt.oss-cn-shanghai.aliyuncs.com","FileName":"../x.mp4"}"#,
                ),
            ],
            "InvalidParameter",
            "OutputMediaConfig.FileName",
        ),
        case(
            "unknown ProjectId",
            &[("ProjectId", "0123456789abcdef0123456789abcdef")],
            "InvalidParameter",
            "ProjectId",
        ),
    ];
    let mut failures = Vec::new();
    for c in &cases {
        for sig in [Signature::V3, Signature::V1] {
            let params: Vec<(&str, &str)> =
                c.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let reply = sdk.submit(&params, sig);
            match &reply {
                livecut_testkit::sdk::SdkReply::Err {
                    code,
                    status,
                    message,
                    ..
                } => {
                    if code != c.code || *status != 400 || !message.contains(c.names) {
                        failures.push(format!(
                            "{} ({sig:?}): got {status} {code}: {message}",
                            c.rule
                        ));
                    }
                }
                livecut_testkit::sdk::SdkReply::Ok { body, .. } => {
                    failures.push(format!("{} ({sig:?}): accepted: {body}", c.rule));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "rules not enforced as expected:\n{}",
        failures.join("\n")
    );

    // Nothing invalid was stored: the only way to learn a JobId is a successful submit, and the
    // first valid submit must be the first job in the database.
    let ok = ok_body(sdk.submit(
        &[
            ("Clips", CLIP),
            ("LiveStreamConfig", &stream_config("cam1")),
            ("OutputMediaConfig", OUT),
            ("UserData", r#"{"k":"v"}"#),
        ],
        Signature::V3,
    ));
    for field in ["JobId", "MediaId", "ProjectId", "MediaURL"] {
        assert!(
            ok[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} in {ok}"
        );
    }
    let rows = count_jobs(dir.path());
    assert_eq!(rows, 1, "only the valid job is stored");
}

/// Reads the job count straight from the embedded database, outside the API.
fn count_jobs(data_dir: &std::path::Path) -> i64 {
    let url = format!("sqlite://{}?mode=ro", data_dir.join("livecut.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs")
            .fetch_one(&pool)
            .await
            .unwrap();
        row.0
    })
}
#[test]
fn authentication_errors_reach_the_sdk_with_their_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let get = |sdk: &Sdk| {
        sdk.call_as("get_live_editing_job")
            .param("JobId", "0123456789abcdef0123456789abcdef")
    };

    for sig in [Signature::V3, Signature::V1] {
        // A correctly signed call reaches the handler: NotFound, not an auth error.
        let r = sdk.send(&get(&sdk).signature(sig));
        assert_eq!(err_code(&r).0, "NotFound", "{sig:?}");
        assert_eq!(err_code(&r).1, 404);

        let mut wrong = get(&sdk).signature(sig);
        wrong.access_key_secret = "not-the-secret".into();
        let (code, status, _) = err_code(&sdk.send(&wrong));
        assert_eq!(
            (code.as_str(), status),
            ("SignatureDoesNotMatch", 400),
            "{sig:?}"
        );

        let mut unknown = get(&sdk).signature(sig);
        unknown.access_key_id = "LTAInobodyhasthiskey0000".into();
        let (code, status, msg) = err_code(&sdk.send(&unknown));
        assert_eq!(
            (code.as_str(), status),
            ("InvalidAccessKeyId.NotFound", 404),
            "{sig:?}"
        );
        assert!(msg.contains("LTAInobodyhasthiskey0000"));

        let (code, status, _) = err_code(
            &sdk.send(
                &get(&sdk)
                    .signature(sig)
                    .tamper(json!({"date_offset_s": -3600})),
            ),
        );
        assert_eq!(
            (code.as_str(), status),
            ("InvalidTimeStamp.Expired", 400),
            "{sig:?}"
        );
        let (code, _, _) = err_code(
            &sdk.send(
                &get(&sdk)
                    .signature(sig)
                    .tamper(json!({"date_offset_s": 3600})),
            ),
        );
        assert_eq!(code, "InvalidTimeStamp.Expired", "{sig:?} future");

        let nonce = format!("{:032x}", rand_u128(sig));
        let first = sdk.send(
            &get(&sdk)
                .signature(sig)
                .tamper(json!({"fixed_nonce": nonce})),
        );
        assert_eq!(
            err_code(&first).0,
            "NotFound",
            "{sig:?} first use of the nonce is fine"
        );
        let (code, status, _) = err_code(
            &sdk.send(
                &get(&sdk)
                    .signature(sig)
                    .tamper(json!({"fixed_nonce": nonce})),
            ),
        );
        assert_eq!(
            (code.as_str(), status),
            ("SignatureNonceUsed", 400),
            "{sig:?}"
        );
    }
    let (code, status, _) = err_code(
        &sdk.send(&get(&sdk).tamper(json!({"authorization": "ACS3-HMAC-SHA256 Credential=x"}))),
    );
    assert_eq!((code.as_str(), status), ("IncompleteSignature", 400));
    let (code, _, msg) =
        err_code(&sdk.send(&get(&sdk).tamper(json!({"drop_signed_header": "x-acs-date"}))));
    assert_eq!(code, "IncompleteSignature", "{msg}");
    assert!(msg.contains("x-acs-date"), "{msg}");

    // An action this server does not have, through the SDK's generic call path.
    for sig in [Signature::V3, Signature::V1] {
        let mut call = sdk.call_as("call_action").signature(sig);
        call.action = Some("DeleteAllMedia".into());
        let (code, status, msg) = err_code(&sdk.send(&call));
        assert_eq!(
            (code.as_str(), status),
            ("InvalidAction.NotFound", 404),
            "{sig:?}"
        );
        assert!(msg.contains("DeleteAllMedia"), "{msg}");
    }

    // Unknown JobId / MediaId and a missing JobId.
    let (code, status, _) = err_code(
        &sdk.send(
            &sdk.call_as("get_media_info")
                .param("MediaId", "0123456789abcdef0123456789abcdef"),
        ),
    );
    assert_eq!((code.as_str(), status), ("NotFound", 404));
    let (code, status, msg) = err_code(&sdk.send(&sdk.call_as("get_live_editing_job")));
    assert_eq!((code.as_str(), status), ("MissingParameter", 400));
    assert!(msg.contains("JobId"));
    let (code, _, msg) = err_code(&sdk.send(&sdk.call_as("get_media_info")));
    assert_eq!(code, "MissingParameter");
    assert!(msg.contains("MediaId"));
}

fn rand_u128(sig: Signature) -> u128 {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    t ^ if sig == Signature::V1 {
        0xabcdef
    } else {
        0x123456
    }
}

#[test]
fn keys_carry_the_actions_they_may_call() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let reader = create_key(dir.path(), "ice:GetLiveEditingJob,ice:GetMediaInfo");
    let mut sdk = Sdk::new(&server.endpoint, reader);
    for sig in [Signature::V3, Signature::V1] {
        let r = sdk.submit(
            &[
                ("Clips", CLIP),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("OutputMediaConfig", OUT),
            ],
            sig,
        );
        let (code, status, msg) = err_code(&r);
        assert_eq!((code.as_str(), status), ("Forbidden.RAM", 403), "{sig:?}");
        assert!(msg.contains("ice:SubmitLiveEditingJob"), "{msg}");
        let r = sdk.send(
            &sdk.call_as("get_live_editing_job")
                .param("JobId", "x")
                .signature(sig),
        );
        assert_eq!(err_code(&r).0, "NotFound", "reading is allowed");
    }
}

/// A write replayed to another API process of the same database is refused: Submit claims its
/// nonce in the job's own transaction (so the replay stores no second job), SetEventCallback in
/// its own write.
#[test]
fn a_write_replayed_to_another_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    let first = Server::start(dir.path(), &["--workers", "0"]);
    let second = Server::start(dir.path(), &["--workers", "0"]);
    let key = create_key(dir.path(), "ice:*");
    let clips = json!([{"StartTime": at(1.0), "EndTime": at(2.0)}]).to_string();
    let stream = stream_config("cam1");
    for sig in [Signature::V3, Signature::V1] {
        let nonce = format!("{:032x}", rand_u128(sig));
        let output = json!({"MediaURL": format!("oss://out/replay-{sig:?}.mp4")}).to_string();
        let submit = |sdk: &Sdk| {
            sdk.call_as("submit_live_editing_job")
                .signature(sig)
                .param("Clips", clips.as_str())
                .param("LiveStreamConfig", stream.as_str())
                .param("OutputMediaConfig", output.as_str())
                .tamper(json!({"fixed_nonce": nonce}))
        };
        let mut a = Sdk::new(&first.endpoint, key.clone());
        let mut b = Sdk::new(&second.endpoint, key.clone());
        let body = ok_body(a.send(&submit(&a)));
        assert!(body["JobId"].as_str().is_some_and(|j| !j.is_empty()));
        let before = job_count(dir.path());
        let (code, status, _) = err_code(&b.send(&submit(&b)));
        assert_eq!(
            (code.as_str(), status),
            ("SignatureNonceUsed", 400),
            "{sig:?}"
        );
        assert_eq!(
            job_count(dir.path()),
            before,
            "{sig:?}: the replay stored nothing"
        );

        let nonce = format!("{:032x}", rand_u128(sig) ^ 0xfeed);
        let set = |sdk: &Sdk| {
            sdk.call_as("set_event_callback")
                .signature(sig)
                .param("CallbackURL", "https://hooks.example.com/cb")
                .tamper(json!({"fixed_nonce": nonce}))
        };
        assert_eq!(ok_body(a.send(&set(&a)))["Success"], true);
        let (code, _, _) = err_code(&b.send(&set(&b)));
        assert_eq!(code, "SignatureNonceUsed", "{sig:?}");
    }
}
