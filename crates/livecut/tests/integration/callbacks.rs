//! Completion callbacks as IMS delivers them: set with SetEventCallback through the SDK, signed
//! (`X-ICE-SIGNATURE` checked here by an independent MD5), kept in the database while the
//! receiver is down and across a restart of the server, and delivered once per job; addresses
//! that reach inside (loopback, link-local, private, a name resolving to loopback, a redirect to
//! loopback) are refused at Submit or never contacted, unless the operator allows them by CIDR.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fixtures::*;
use livecut_testkit::sdk::Signature;
use serde_json::json;

/// One request a receiver got: its lower-case headers and body.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP receiver on `listener`, answering every request with `answer` (a status line and
/// headers), recording what it got and counting connections.
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
}

impl Receiver {
    fn start(listener: TcpListener, answer: String) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (g, c) = (got.clone(), connections.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                c.fetch_add(1, Ordering::SeqCst);
                if let Some(r) = read_request(stream, &answer) {
                    g.lock().unwrap().push(r);
                }
            }
        });
        Receiver { got, connections }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn read_request(mut stream: TcpStream, answer: &str) -> Option<Received> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut headers = Vec::new();
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).ok()?;
    stream
        .write_all(format!("{answer}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").as_bytes())
        .ok()?;
    Some(Received {
        headers,
        body: String::from_utf8_lossy(&body).to_string(),
    })
}

/// The MD5 of `text` as Python's hashlib computes it: the check does not share livecut's code.
fn python_md5(text: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import hashlib,sys; print(hashlib.md5(sys.argv[1].encode()).hexdigest())",
            text,
        ])
        .output()
        .expect("python3");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn config(dir: &Path, allow: &[&str]) -> String {
    let path = dir.join("livecut.toml");
    let cidrs: Vec<String> = allow.iter().map(|c| format!("{c:?}")).collect();
    std::fs::write(
        &path,
        format!("[callbacks]\nallow_cidrs = [{}]\n", cidrs.join(", ")),
    )
    .unwrap();
    path.display().to_string()
}

fn submit(sdk: &mut Sdk, user_data: Option<&str>, name: &str) -> Result<String, (String, String)> {
    let clips = json!([{"StartTime": at(1.0), "EndTime": at(2.5)}]).to_string();
    let output = json!({"MediaURL": format!("oss://callbacks/{name}.mp4")}).to_string();
    let stream = stream_config("cam1");
    let mut params = vec![
        ("Clips", clips.as_str()),
        ("LiveStreamConfig", stream.as_str()),
    ];
    params.push(("MediaProduceConfig", r#"{"Mode":"RoughFast"}"#));
    params.push(("OutputMediaConfig", &output));
    if let Some(u) = user_data {
        params.push(("UserData", u));
    }
    match sdk.submit(&params, Signature::V3) {
        livecut_testkit::sdk::SdkReply::Ok { body, .. } => {
            Ok(body["JobId"].as_str().unwrap().to_string())
        }
        livecut_testkit::sdk::SdkReply::Err { code, message, .. } => Err((code, message)),
    }
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The receiver is down while three jobs finish and the server restarts; once it is up, each
/// job's event arrives exactly once, signed as the documented formula says.
#[test]
fn events_wait_out_a_dead_receiver_and_a_restart_then_arrive_once_signed() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    let cfg = config(dir.path(), &["127.0.0.0/8"]);
    let flags = [
        "--config",
        cfg.as_str(),
        "--callback-max-backoff-seconds",
        "1",
    ];
    let mut server = Server::start(dir.path(), &flags);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key.clone());
    // A port nothing listens on yet.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/ims/events");
    let auth_key = "Rotate2Key9";
    let call = sdk
        .call_as("set_event_callback")
        .param("CallbackURL", &url)
        .param("AuthSwitch", "on")
        .param("AuthKey", auth_key)
        .param("EventTypeList", "ProduceMediaComplete");
    let set = sdk.send(&call);
    assert_eq!(ok_body(set)["Success"], true);
    let get = sdk.call_as("get_event_callback");
    let got = ok_body(sdk.send(&get));
    assert_eq!(got["CallbackURL"], url);
    assert_eq!(got["AuthSwitch"], "on");
    assert_eq!(got["EventTypeList"], "ProduceMediaComplete");

    let jobs: Vec<String> = (0..3)
        .map(|i| submit(&mut sdk, None, &format!("j{i}")).unwrap())
        .collect();
    for job_id in &jobs {
        assert_eq!(
            sdk.wait_job(job_id, Duration::from_secs(60))["Status"],
            "Success"
        );
    }
    // Attempts fail while nothing listens; the state says so.
    wait_for("a failed attempt", Duration::from_secs(10), || {
        raw_job(&server.endpoint, &key, &jobs[0])["CallbackStatus"]["Attempts"]
            .as_i64()
            .is_some_and(|n| n >= 1)
    });
    let status = raw_job(&server.endpoint, &key, &jobs[0])["CallbackStatus"].clone();
    assert_eq!(status["State"], "Pending", "{status}");
    assert!(
        status["LastError"]
            .as_str()
            .is_some_and(|e| e.contains("connect")),
        "{status}"
    );

    server.kill();
    let receiver = Receiver::start(
        TcpListener::bind(("127.0.0.1", port)).unwrap(),
        "HTTP/1.1 200 OK".into(),
    );
    let server = Server::start(dir.path(), &flags);
    wait_for("three deliveries", Duration::from_secs(20), || {
        receiver.received().len() >= 3
    });
    // Time for a duplicate to show up, if one were coming.
    std::thread::sleep(Duration::from_secs(3));
    let received = receiver.received();
    let mut delivered: Vec<String> = received
        .iter()
        .map(|r| {
            let event: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            assert_eq!(event["EventType"], "ProduceMediaComplete");
            assert_eq!(event["MessageBody"]["Status"], "Success");
            let ts = r.header("x-ice-timestamp").expect("X-ICE-TIMESTAMP");
            let ts_s: i64 = ts.parse().unwrap();
            let now_s = (livecut::clock::now_ms() / 1000) as i64;
            assert!((now_s - ts_s).abs() < 120, "fresh timestamp {ts}");
            assert_eq!(
                r.header("x-ice-signature"),
                Some(python_md5(&format!("{url}|{ts}|{auth_key}")).as_str()),
                "md5(<CallbackURL>|<timestamp>|<AuthKey>)"
            );
            event["MessageBody"]["JobId"].as_str().unwrap().to_string()
        })
        .collect();
    delivered.sort();
    let mut expected = jobs.clone();
    expected.sort();
    assert_eq!(delivered, expected, "exactly one event per job");
    for job_id in &jobs {
        let status = raw_job(&server.endpoint, &key, job_id)["CallbackStatus"].clone();
        assert_eq!(status["State"], "Delivered", "{status}");
    }
}

/// NotifyAddresses that reach inside are refused at Submit; a name that resolves to loopback
/// and a redirect to loopback pass Submit but never reach the loopback listener; a range the
/// operator allows is called.
#[test]
fn callbacks_never_reach_addresses_the_operator_did_not_allow() {
    let dir = tempfile::tempdir().unwrap();
    make_recording(dir.path(), "cam1", 4, &[]);
    // Only 127.0.0.2 is allowed: the redirecting receiver lives there.
    let cfg = config(dir.path(), &["127.0.0.2/32"]);
    let server = Server::start(dir.path(), &["--config", &cfg]);
    let key = create_key(dir.path(), "ice:*");
    let mut sdk = Sdk::new(&server.endpoint, key.clone());
    let inside_listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = inside_listener.local_addr().unwrap().port();
    let inside = Receiver::start(inside_listener, "HTTP/1.1 200 OK".into());

    for (address, why) in [
        (format!("http://127.0.0.1:{port}/cb"), "loopback"),
        (format!("http://[::1]:{port}/cb"), "loopback"),
        (
            "http://169.254.169.254/latest/meta-data/".into(),
            "link-local",
        ),
        ("http://10.20.30.40/cb".into(), "private"),
        (
            "http://100.100.100.200/latest/meta-data/".into(),
            "shared address space",
        ),
        (format!("http://2130706433:{port}/cb"), "loopback"),
        (
            "http://user:pw@example.com/cb".into(),
            "user name or password",
        ),
        ("ice-callback-queue".into(), "MNS queues"),
    ] {
        let user_data = json!({"NotifyAddress": address}).to_string();
        let (code, message) = submit(&mut sdk, Some(&user_data), "refused").unwrap_err();
        assert_eq!(code, "InvalidParameter", "{address}: {message}");
        assert!(
            message.contains("UserData.NotifyAddress") && message.contains(why),
            "{address}: {message}"
        );
    }
    let call = sdk
        .call_as("set_event_callback")
        .param("CallbackURL", format!("http://127.0.0.1:{port}/cb"));
    let set = sdk.send(&call);
    let (code, _, message) = err_code(&set);
    assert_eq!(code, "InvalidParameter");
    assert!(
        message.contains("CallbackURL") && message.contains("loopback"),
        "{message}"
    );

    // A name resolving to loopback: accepted (names are judged when resolved), never called.
    let by_name = json!({"NotifyAddress": format!("http://localhost:{port}/cb")}).to_string();
    let named = submit(&mut sdk, Some(&by_name), "named").unwrap();
    // A receiver the operator allows, answering with a redirect to the loopback listener.
    let allowed_listener = TcpListener::bind("127.0.0.2:0").unwrap();
    let allowed_port = allowed_listener.local_addr().unwrap().port();
    let redirecting = Receiver::start(
        allowed_listener,
        format!("HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{port}/cb"),
    );
    let via = json!({"NotifyAddress": format!("http://127.0.0.2:{allowed_port}/cb")}).to_string();
    let redirected = submit(&mut sdk, Some(&via), "redirected").unwrap();
    for job_id in [&named, &redirected] {
        let job = sdk.wait_job(job_id, Duration::from_secs(60));
        assert_eq!(job["Status"], "Success", "{job}");
    }
    // The name is refused when resolved, and given up at once (it will not get better).
    wait_for("the name's refusal", Duration::from_secs(15), || {
        raw_job(&server.endpoint, &key, &named)["CallbackStatus"]["State"] == "Failed"
    });
    let status = raw_job(&server.endpoint, &key, &named)["CallbackStatus"].clone();
    assert!(
        status["LastError"]
            .as_str()
            .is_some_and(|e| e.contains("loopback")),
        "{status}"
    );
    // The allowed receiver is called (the operator's range works); its redirect is not followed.
    wait_for(
        "the allowed receiver's call",
        Duration::from_secs(15),
        || !redirecting.received().is_empty(),
    );
    let event: serde_json::Value = serde_json::from_str(&redirecting.received()[0].body).unwrap();
    assert_eq!(event["MessageBody"]["JobId"], redirected.as_str());
    wait_for("the 302 recorded", Duration::from_secs(15), || {
        raw_job(&server.endpoint, &key, &redirected)["CallbackStatus"]["LastError"]
            .as_str()
            .is_some_and(|e| e.contains("302"))
    });
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        inside.connections.load(Ordering::SeqCst),
        0,
        "nothing ever reached the loopback listener"
    );
}
