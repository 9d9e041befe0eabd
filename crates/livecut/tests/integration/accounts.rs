//! Accounts: every key acts for one, and sees only what that account created. Another
//! account's JobId, MediaId, media URL and ProjectId answer NotFound (or "not found" for a
//! project), exactly as ids that do not exist, so ids do not leak; callback settings are per
//! account.

use std::time::Duration;

use crate::fixtures::*;
use livecut_testkit::sdk::{SdkReply, Signature};
use serde_json::json;

fn submit(sdk: &mut Sdk, output: &str, project: Option<&str>) -> SdkReply {
    let clips = json!([{"StartTime": at(1.0), "EndTime": at(2.5)}]).to_string();
    let stream = stream_config("cam1");
    let output = json!({"MediaURL": output}).to_string();
    let mut params = vec![
        ("Clips", clips.as_str()),
        ("LiveStreamConfig", stream.as_str()),
        ("MediaProduceConfig", r#"{"Mode":"RoughFast"}"#),
        ("OutputMediaConfig", output.as_str()),
    ];
    if let Some(p) = project {
        params.push(("ProjectId", p));
    }
    sdk.submit(&params, Signature::V3)
}

#[test]
fn another_accounts_ids_answer_not_found() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    let server = Server::start(dir.path(), &[]);
    let alpha = create_account_key(dir.path(), "alpha", "ice:*");
    let beta = create_account_key(dir.path(), "beta", "ice:*");
    let default = create_key(dir.path(), "ice:*");
    let mut a = Sdk::new(&server.endpoint, alpha.clone());
    let mut b = Sdk::new(&server.endpoint, beta);
    let mut d = Sdk::new(&server.endpoint, default);

    let body = ok_body(submit(&mut a, "oss://shared/alpha.mp4", None));
    let job_id = body["JobId"].as_str().unwrap().to_string();
    let media_id = body["MediaId"].as_str().unwrap().to_string();
    let project_id = body["ProjectId"].as_str().unwrap().to_string();
    let job = a.wait_job(&job_id, Duration::from_secs(60));
    assert_eq!(job["Status"], "Success", "{job}");
    let media_of = |sdk: &mut Sdk, param: &str, value: &str| {
        let call = sdk.call_as("get_media_info").param(param, value);
        sdk.send(&call)
    };
    assert_eq!(
        ok_body(media_of(&mut a, "MediaId", &media_id))["MediaInfo"]["MediaId"],
        media_id.as_str()
    );

    for (who, sdk) in [("beta", &mut b), ("default", &mut d)] {
        let (code, status, message) = err_code(&sdk.get_job(&job_id));
        let (none_code, none_status, none_message) = err_code(&sdk.get_job("no-such-job"));
        assert_eq!(
            (code.as_str(), status),
            ("NotFound", 404),
            "{who}: {message}"
        );
        assert_eq!(
            (none_code, none_status),
            (code.clone(), status),
            "{who}: the same answer as an id that does not exist ({none_message})"
        );
        let (code, status, _) = err_code(&media_of(sdk, "MediaId", &media_id));
        assert_eq!((code.as_str(), status), ("NotFound", 404), "{who}");
        let (code, _, _) = err_code(&media_of(sdk, "InputURL", "oss://shared/alpha.mp4"));
        assert_eq!(code, "NotFound", "{who}");
        // Alpha's project cannot take beta's jobs or previews.
        let (code, _, message) = err_code(&submit(sdk, "oss://shared/b.mp4", Some(&project_id)));
        assert_eq!(code, "InvalidParameter", "{who}: {message}");
        assert!(message.contains("ProjectId"), "{who}: {message}");
        let call = sdk
            .call_as("get_live_editing_index_file")
            .param("DomainName", DOMAIN)
            .param("AppName", APP)
            .param("StreamName", "cam1")
            .param("ProjectId", &project_id);
        let (code, _, message) = err_code(&sdk.send(&call));
        assert_eq!(code, "NotFound", "{who}: {message}");
        // An output location alpha's live job owns is refused without naming that job.
        let (code, _, message) = err_code(&submit(sdk, "oss://shared/alpha.mp4", None));
        assert_eq!(code, "InvalidParameter", "{who}: {message}");
        assert!(!message.contains(&job_id), "{who}: {message}");
    }

    // Callback settings are per account.
    let call = a
        .call_as("set_event_callback")
        .param("CallbackURL", "https://hooks.example.com/alpha");
    assert_eq!(ok_body(a.send(&call))["Success"], true);
    let get = b.call_as("get_event_callback");
    assert_eq!(ok_body(b.send(&get))["CallbackURL"], "");
    let get = a.call_as("get_event_callback");
    assert_eq!(
        ok_body(a.send(&get))["CallbackURL"],
        "https://hooks.example.com/alpha"
    );
    // Alpha still sees its own job through its project.
    let body = ok_body(submit(&mut a, "oss://shared/alpha2.mp4", Some(&project_id)));
    assert_eq!(body["ProjectId"], project_id.as_str());
}

#[test]
fn an_account_name_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = cli(
        dir.path(),
        &["keys", "create", "--account", "bad name/..", "--json"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a name"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A key limited to buckets (or a bucket prefix) and to streams (a domain or one app of it)
/// may write and read nothing else: Submit answers `Forbidden.RAM`, naming the parameter, and
/// queues nothing.
#[test]
fn a_key_limited_to_buckets_and_streams_touches_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    let server = Server::start(dir.path(), &[]);
    let limited = create_key_with(
        dir.path(),
        &[
            "--actions",
            "ice:*",
            "--buckets",
            "alpha-out,shared/team-a/",
            "--streams",
            &format!("{DOMAIN}/{APP}"),
        ],
    );
    let other_app = create_key_with(
        dir.path(),
        &["--actions", "ice:*", "--streams", &format!("{DOMAIN}/news")],
    );
    let mut sdk = Sdk::new(&server.endpoint, limited);
    for allowed in ["oss://alpha-out/x.mp4", "oss://shared/team-a/x.mp4"] {
        let body = ok_body(submit(&mut sdk, allowed, None));
        let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(60));
        assert_eq!(job["Status"], "Success", "{allowed}: {job}");
    }
    for refused in ["oss://beta-out/x.mp4", "oss://shared/team-b/x.mp4"] {
        let (code, status, message) = err_code(&submit(&mut sdk, refused, None));
        assert_eq!(
            (code.as_str(), status),
            ("Forbidden.RAM", 403),
            "{refused}: {message}"
        );
        assert!(
            message.contains("OutputMediaConfig.MediaURL"),
            "{refused}: {message}"
        );
    }
    let mut news = Sdk::new(&server.endpoint, other_app);
    let (code, status, message) = err_code(&submit(&mut news, "oss://news-out/x.mp4", None));
    assert_eq!((code.as_str(), status), ("Forbidden.RAM", 403), "{message}");
    assert!(message.contains("Clips[0]"), "{message}");
    let call = news
        .call_as("get_live_editing_index_file")
        .param("DomainName", DOMAIN)
        .param("AppName", APP)
        .param("StreamName", "cam1");
    let (code, _, _) = err_code(&news.send(&call));
    assert_eq!(code, "Forbidden.RAM");
    assert_eq!(
        job_count(dir.path()),
        2,
        "only the two allowed jobs were queued"
    );
}

/// An operator lists keys (never their secrets), revokes one, enables it again and rotates its
/// secret: the SDK sees each change at once.
#[test]
fn keys_are_listed_revoked_and_rotated() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let key = create_account_key(dir.path(), "alpha", "ice:GetLiveEditingJob");
    let keys = |args: &[&str]| {
        let out = cli(dir.path(), &[&["keys"], args].concat());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let listed = keys(&["list", "--json"]);
    let line: serde_json::Value = serde_json::from_str(listed.trim()).unwrap();
    assert_eq!(line["AccessKeyId"], key.id.as_str());
    assert_eq!(line["Account"], "alpha");
    assert!(
        !listed.contains(&key.secret),
        "a listing never shows a secret"
    );

    let mut sdk = Sdk::new(&server.endpoint, key.clone());
    assert_eq!(err_code(&sdk.get_job("none")).0, "NotFound");
    keys(&["disable", &key.id]);
    assert_eq!(
        err_code(&sdk.get_job("none")).0,
        "InvalidAccessKeyId.Inactive"
    );
    keys(&["enable", &key.id]);
    assert_eq!(err_code(&sdk.get_job("none")).0, "NotFound");
    let rotated: serde_json::Value =
        serde_json::from_str(keys(&["rotate", &key.id, "--json"]).trim()).unwrap();
    let secret = rotated["AccessKeySecret"].as_str().unwrap().to_string();
    assert_ne!(secret, key.secret);
    assert_eq!(err_code(&sdk.get_job("none")).0, "SignatureDoesNotMatch");
    let mut renewed = Sdk::new(
        &server.endpoint,
        Key {
            id: key.id.clone(),
            secret,
        },
    );
    assert_eq!(err_code(&renewed.get_job("none")).0, "NotFound");

    // With an overlap, the secret being replaced keeps working beside the new one.
    let rotated: serde_json::Value = serde_json::from_str(
        keys(&["rotate", &key.id, "--overlap-minutes", "10", "--json"]).trim(),
    )
    .unwrap();
    let mut newest = Sdk::new(
        &server.endpoint,
        Key {
            id: key.id.clone(),
            secret: rotated["AccessKeySecret"].as_str().unwrap().to_string(),
        },
    );
    assert_eq!(err_code(&newest.get_job("none")).0, "NotFound");
    assert_eq!(err_code(&renewed.get_job("none")).0, "NotFound", "overlap");
    assert_eq!(
        err_code(&sdk.get_job("none")).0,
        "SignatureDoesNotMatch",
        "two rotations ago"
    );
    // Rotating again without an overlap ends it at once.
    keys(&["rotate", &key.id, "--json"]);
    assert_eq!(err_code(&newest.get_job("none")).0, "SignatureDoesNotMatch");
}

/// With a master key, no secret is stored in clear: access key secrets and callback AuthKeys
/// are sealed in the database (its file and log grepped), the SDK works as before, and without
/// the key the database is refused with the reason. A database made without a key is sealed
/// when the key is first given.
#[test]
fn secrets_at_rest_are_sealed_with_the_master_key() {
    let dir = tempfile::tempdir().unwrap();
    let livecut = |args: &[&str]| cli(dir.path(), args);
    let made = livecut(&["keys", "master-key"]);
    assert!(made.status.success());
    let master = dir.path().join("master.key");
    std::fs::write(&master, &made.stdout).unwrap();
    let master_flag = master.to_str().unwrap();

    // A key made before there was a master key.
    let early = create_key(dir.path(), "ice:*");
    let server = Server::start(dir.path(), &["--master-key-file", master_flag]);
    let late = create_key_with(
        dir.path(),
        &["--master-key-file", master_flag, "--actions", "ice:*"],
    );
    for key in [&early, &late] {
        let mut sdk = Sdk::new(&server.endpoint, key.clone());
        assert_eq!(err_code(&sdk.get_job("none")).0, "NotFound");
    }
    let mut sdk = Sdk::new(&server.endpoint, late.clone());
    let call = sdk
        .call_as("set_event_callback")
        .param("CallbackURL", "https://hooks.example.com/cb")
        .param("AuthSwitch", "on")
        .param("AuthKey", "CallbackAuthKey42");
    assert_eq!(ok_body(sdk.send(&call))["Success"], true);
    let get = sdk.call_as("get_event_callback");
    assert_eq!(ok_body(sdk.send(&get))["AuthKey"], "CallbackAuthKey42");
    drop(server);

    let mut stored = Vec::new();
    for file in ["livecut.db", "livecut.db-wal"] {
        stored.extend(std::fs::read(dir.path().join(file)).unwrap_or_default());
    }
    let stored = String::from_utf8_lossy(&stored);
    for secret in [
        early.secret.as_str(),
        late.secret.as_str(),
        "CallbackAuthKey42",
    ] {
        assert!(!stored.contains(secret), "a secret is stored in clear");
    }

    let refused = livecut(&["keys", "list"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("LIVECUT_MASTER_KEY"), "{message}");
    let listed = livecut(&["keys", "list", "--master-key-file", master_flag]);
    assert!(listed.status.success());
    assert_eq!(String::from_utf8_lossy(&listed.stdout).lines().count(), 2);
}

/// Usage is metered per account as IMS bills it: `livecut usage` and `/metrics` show each
/// account's jobs, output seconds per mode and bytes, and what it stores now.
#[test]
fn usage_is_metered_per_account() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    let server = Server::start(dir.path(), &["--metrics-token", "scrape-token-1"]);
    let mut alpha = Sdk::new(
        &server.endpoint,
        create_account_key(dir.path(), "alpha", "ice:*"),
    );
    let mut beta = Sdk::new(
        &server.endpoint,
        create_account_key(dir.path(), "beta", "ice:*"),
    );
    let mut sizes = Vec::new();
    for (who, output) in ["alpha", "alpha", "beta"]
        .into_iter()
        .zip(["a1", "a2", "b1"])
    {
        let sdk = if who == "alpha" {
            &mut alpha
        } else {
            &mut beta
        };
        let output = format!("oss://out/{output}.mp4");
        let body = ok_body(submit(sdk, &output, None));
        let job = sdk.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(60));
        assert_eq!(job["Status"], "Success", "{job}");
        let call = sdk
            .call_as("get_media_info")
            .param("MediaId", body["MediaId"].as_str().unwrap());
        let info = ok_body(sdk.send(&call));
        sizes.push(info["MediaInfo"]["FileInfoList"][0]["FileBasicInfo"]["FileSize"].clone());
    }
    let out = cli(dir.path(), &["usage", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let (a, b) = (&lines[0], &lines[1]);
    assert_eq!(
        (a["Account"].as_str(), b["Account"].as_str()),
        (Some("alpha"), Some("beta"))
    );
    let mode = &a["Modes"][0];
    assert_eq!(mode["Mode"], "RoughFast", "{a}");
    assert_eq!(mode["JobsSucceeded"], 2);
    assert_eq!(mode["JobsFailed"], 0);
    // Two clips of 1.5 s, cut at keyframes by RoughFast: about 1.5 s or more each.
    let seconds = mode["OutputSeconds"].as_f64().unwrap();
    assert!((2.9..8.5).contains(&seconds), "{seconds}");
    let size = |v: &serde_json::Value| {
        v.as_str()
            .map_or_else(|| v.as_i64().unwrap(), |s| s.parse().unwrap())
    };
    assert_eq!(
        mode["OutputBytes"].as_i64().unwrap(),
        size(&sizes[0]) + size(&sizes[1])
    );
    assert_eq!(a["StoredAssets"], 2);
    assert_eq!(b["Modes"][0]["JobsSucceeded"], 1);
    assert_eq!(b["StoredBytes"].as_i64().unwrap(), size(&sizes[2]));

    // Account figures only behind the operator's token.
    let (status, refused) = http_get(&server.endpoint, "/metrics");
    assert_eq!(status, 403);
    assert!(refused.contains("Forbidden.Metrics"), "{refused}");
    assert!(!refused.contains("alpha"));
    let (status, scrape) = http_request(
        &server.endpoint,
        "GET",
        "/metrics",
        &[("Authorization", "Bearer scrape-token-1")],
        b"",
    );
    assert_eq!(status, 200);
    let scrape = String::from_utf8_lossy(&scrape).to_string();
    let sample = |series: &str| {
        scrape
            .lines()
            .find_map(|l| {
                l.strip_prefix(series)?
                    .strip_prefix(' ')?
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("{series} not in the scrape"))
    };
    let metered = sample("livecut_account_output_seconds{account=\"alpha\",mode=\"RoughFast\"}");
    assert!((metered - seconds).abs() < 0.01, "{metered} vs {seconds}");
    assert_eq!(
        sample("livecut_account_jobs{account=\"beta\",status=\"Success\"}"),
        1.0
    );
    assert_eq!(
        sample("livecut_account_stored_bytes{account=\"beta\"}") as i64,
        size(&sizes[2])
    );
}

/// Without a metrics token `/metrics` stays open for the operator's scraper, and names no
/// account: tenants reaching the port learn nothing about each other.
#[test]
fn an_open_scrape_names_no_account() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    let server = Server::start(dir.path(), &[]);
    let mut alpha = Sdk::new(
        &server.endpoint,
        create_account_key(dir.path(), "secret-shop", "ice:*"),
    );
    let body = ok_body(submit(&mut alpha, "oss://out/a.mp4", None));
    let job = alpha.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(60));
    assert_eq!(job["Status"], "Success", "{job}");
    let (status, scrape) = http_get(&server.endpoint, "/metrics");
    assert_eq!(status, 200);
    assert!(scrape.contains("livecut_jobs{"), "{scrape}");
    assert!(
        !scrape.contains("secret-shop"),
        "an account named in an open scrape"
    );
    assert!(
        !scrape.contains("livecut_account_"),
        "per-account series in an open scrape"
    );
}
