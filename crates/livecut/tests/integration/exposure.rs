//! The server on an open network: clients that hold connections, bodies that never end, more
//! connections than it may hold, calls that are too fast, paths and methods it does not serve,
//! and a V1 request with an unsigned action header. Every answer is JSON the SDK parses, and the
//! jobs of well-behaved clients run through all of it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::fixtures::*;
use livecut_testkit::sdk::Signature;
use serde_json::json;

/// Opens `n` connections to `endpoint` that send nothing.
fn idle_connections(endpoint: &str, n: usize) -> Vec<TcpStream> {
    (0..n)
        .map(|i| {
            TcpStream::connect(endpoint).unwrap_or_else(|e| panic!("idle connection {i}: {e}"))
        })
        .collect()
}

fn submit_clip(sdk: &mut Sdk, name: &str) -> String {
    let body = ok_body(sdk.submit(
        &[
            (
                "Clips",
                &json!([{"StartTime": at(1.0), "EndTime": at(3.0)}]).to_string(),
            ),
            ("LiveStreamConfig", &stream_config("cam1")),
            ("MediaProduceConfig", r#"{"Mode":"RoughFast"}"#),
            (
                "OutputMediaConfig",
                &json!({"MediaURL": format!("oss://exposed/{name}.mp4")}).to_string(),
            ),
        ],
        Signature::V3,
    ));
    body["JobId"].as_str().unwrap().to_string()
}

/// 2,000 connections that send nothing and one request whose chunked body never ends, held
/// while an SDK client submits and polls jobs: its calls and its jobs succeed; the endless body
/// gets a JSON 408 after the request timeout and the idle connections are closed after the
/// header timeout.
#[test]
fn idle_connections_and_an_endless_body_do_not_stop_the_api_or_its_jobs() {
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    assert!(
        files >= 2_300,
        "this test needs 2,300 open files; the hard limit allows {files}"
    );
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 6, &[]);
    let server = Server::start(
        dir.path(),
        &[
            "--header-timeout-seconds",
            "4",
            "--request-timeout-seconds",
            "3",
        ],
    );
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);

    let idle = idle_connections(&server.endpoint, 2_000);
    let mut endless = TcpStream::connect(&server.endpoint).unwrap();
    endless
        .write_all(
            b"POST / HTTP/1.1\r\nHost: livecut\r\nTransfer-Encoding: chunked\r\n\
              Content-Type: application/x-www-form-urlencoded\r\n\r\n",
        )
        .unwrap();
    let trickle = {
        let mut s = endless.try_clone().unwrap();
        std::thread::spawn(move || {
            let started = Instant::now();
            // One byte a quarter second, never the last chunk; stops when the server hangs up.
            while started.elapsed() < Duration::from_secs(30) {
                if s.write_all(b"1\r\na\r\n").is_err() {
                    return started.elapsed();
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            started.elapsed()
        })
    };
    let started = Instant::now();
    let jobs: Vec<String> = (0..3)
        .map(|i| submit_clip(&mut sdk, &format!("held{i}")))
        .collect();
    for job_id in &jobs {
        let job = sdk.wait_job(job_id, Duration::from_secs(60));
        assert_eq!(job["Status"], "Success", "{job}");
    }
    let busy = started.elapsed();

    // The endless body: a JSON 408, then the connection closes.
    endless
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let (status, body) = parse_answer(&read_answer(&mut endless));
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["Code"], "RequestTimeout", "{body}");
    let trickled = trickle.join().unwrap();
    assert!(
        trickled < Duration::from_secs(12),
        "the trickling client was cut off after {trickled:?}"
    );
    // The idle connections: closed by the server once the header timeout passed.
    let mut closed = 0;
    for mut s in idle.into_iter().step_by(100) {
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = [0u8; 16];
        if matches!(s.read(&mut buf), Ok(0)) {
            closed += 1;
        }
    }
    assert_eq!(closed, 20, "every sampled idle connection was closed");
    eprintln!("3 jobs submitted and finished in {busy:?} beside 2,000 idle connections");
}

/// At its connection cap the server answers a JSON 503 that the SDK reads as
/// ServiceUnavailable, and serves again as soon as connections go.
#[test]
fn a_server_at_its_connection_cap_answers_503_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--max-connections", "40"]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key);
    let idle = idle_connections(&server.endpoint, 40);
    std::thread::sleep(Duration::from_millis(300));
    let (status, body) = raw_exchange(
        &server.endpoint,
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        Duration::from_secs(5),
    );
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["Code"], "ServiceUnavailable");
    let (code, status, message) = err_code(&sdk.get_job("no-such-job"));
    assert_eq!(
        (code.as_str(), status),
        ("ServiceUnavailable", 503),
        "{message}"
    );
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (code, _, message) = err_code(&sdk.get_job("no-such-job"));
        if code == "NotFound" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still refused: {code}: {message}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Paths and methods the server does not serve, bodies over the limit and calls over the
/// per-key rate all answer Alibaba JSON with their own Code; the SDK reads each.
#[test]
fn every_refusal_is_json_with_its_own_code() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--rate-per-key", "3"]);
    let endpoint = &server.endpoint;
    let limit = Duration::from_secs(5);
    let (status, body) = raw_exchange(
        endpoint,
        b"GET /nothing/here HTTP/1.1\r\nHost: x\r\n\r\n",
        limit,
    );
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("InvalidPath.NotFound"))
    );
    let (status, body) = raw_exchange(endpoint, b"DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", limit);
    assert_eq!(
        (status, body["Code"].as_str()),
        (405, Some("UnsupportedHTTPMethod"))
    );
    let big = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n",
        2 << 20
    );
    let (status, body) = raw_exchange(endpoint, big.as_bytes(), limit);
    assert_eq!(
        (status, body["Code"].as_str()),
        (413, Some("RequestEntityTooLarge"))
    );
    // Heads with more or longer fields than any API call: JSON 431 up to hyper's own limits.
    let many = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "X-A: b\r\n".repeat(150)
    );
    let long = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40_000)
    );
    for head in [many, long] {
        let (status, body) = raw_exchange(endpoint, head.as_bytes(), limit);
        assert_eq!(
            (status, body["Code"].as_str()),
            (431, Some("RequestHeaderFieldsTooLarge")),
            "{body}"
        );
    }
    for (status, body) in [
        raw_exchange(endpoint, b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", limit),
        raw_exchange(endpoint, b"PUT / HTTP/1.1\r\nHost: x\r\n\r\n", limit),
    ] {
        for field in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
            assert!(body[field].is_string(), "{status}: {field} in {body}");
        }
    }

    // Bursts of twice the rate pass; beyond, Throttling.User with x-acs-retry-after, which the
    // SDK reads as its throttling error.
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(endpoint, key);
    let codes: Vec<String> = (0..12)
        .map(|_| err_code(&sdk.get_job("no-such-job")).0)
        .collect();
    let throttled = codes.iter().filter(|c| *c == "Throttling.User").count();
    assert!(throttled >= 1, "{codes:?}");
    assert!(codes.iter().take(6).all(|c| c == "NotFound"), "{codes:?}");
    std::thread::sleep(Duration::from_millis(2_100));
    assert_eq!(err_code(&sdk.get_job("no-such-job")).0, "NotFound");
}

/// A V1 request signs its Action and Version as parameters: an unsigned `x-acs-action` or
/// `x-acs-version` header beside them changes nothing.
#[test]
fn a_v1_request_runs_the_action_it_signed_whatever_its_headers_say() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &[]);
    let key = create_key(dir.path(), "ice:GetLiveEditingJob");
    let params = vec![("JobId".to_string(), "no-such-job".to_string())];
    let signed = sign(
        &server.endpoint,
        &key,
        Scheme::V1Query,
        ("GetLiveEditingJob", "2020-11-09"),
        &params,
    );
    let request = format!(
        "GET /?{} HTTP/1.1\r\nHost: {}\r\nx-acs-action: SubmitLiveEditingJob\r\n\
         x-acs-version: 2017-09-06\r\nConnection: close\r\n\r\n",
        signed.query, server.endpoint
    );
    let (status, body) = raw_exchange(&server.endpoint, request.as_bytes(), Duration::from_secs(5));
    // GetLiveEditingJob ran (the key may not submit, and the version header was not taken).
    assert_eq!(
        (status, body["Code"].as_str()),
        (404, Some("NotFound")),
        "{body}"
    );
}

/// The database holds every access key's secret: it and the data directory are the service
/// user's only, whether `keys create` or `serve` made them.
#[test]
fn the_data_directory_and_its_database_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    create_key(&data, "ice:*");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data.join("livecut.db")), 0o600, "made by keys create");
    let _server = Server::start(&data, &[]);
    assert_eq!(mode(&data), 0o700);
    for file in ["livecut.db", "livecut.db-wal", "livecut.db-shm"] {
        let path = data.join(file);
        if path.exists() {
            assert_eq!(mode(&path), 0o600, "{file}");
        }
    }
}
