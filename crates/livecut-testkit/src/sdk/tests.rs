use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

use serde_json::json;

use super::*;

/// A loopback HTTP server that answers `requests` requests with `response_body`
/// (and `status`) and hands back each request head, so tests can see what the
/// SDK really sent.
fn canned_server(
    requests: usize,
    status: u16,
    response_body: &'static str,
) -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let endpoint = listener.local_addr().expect("local addr").to_string();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for _ in 0..requests {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                match reader.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) if line == "\r\n" => break,
                    Ok(_) => head.push_str(&line),
                }
            }
            let reply = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{response_body}",
                response_body.len()
            );
            let mut stream = reader.into_inner();
            let _ = stream.write_all(reply.as_bytes());
            let _ = tx.send(head);
        }
    });
    (endpoint, rx)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn driver_starts_and_answers_ping() {
    let mut driver = SdkDriver::start().expect("start the SDK driver (run `make setup`)");
    driver.ping().expect("ping");
    driver.ping().expect("second ping on the same process");
}

#[test]
fn closed_port_gives_connection_refused_from_the_sdk_transport() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut driver = SdkDriver::start().expect("start driver");
    let call = SdkCall::new(
        "get_live_editing_job",
        format!("127.0.0.1:{port}"),
        "ak",
        "secret",
    )
    .param("JobId", "j-1");
    let reply = driver.call(&call).expect("call");
    let SdkReply::Err {
        code, status, data, ..
    } = reply
    else {
        panic!("expected a connection error, got {reply:?}");
    };
    assert_eq!(code, "ConnectionRefusedError");
    assert_eq!(status, 0);
    // RetryError is darabonba's (the SDK runtime's) wrapper: proof the SDK made the call.
    assert_eq!(data["chain"][0], "RetryError", "{data}");
}

#[test]
fn v3_call_is_signed_by_the_sdk_and_body_comes_back_as_the_model_map() {
    let (endpoint, heads) = canned_server(
        1,
        200,
        r#"{"RequestId":"r-1","LiveEditingJob":{"JobId":"j-1","Status":"Success","NotInModel":1}}"#,
    );
    let mut driver = SdkDriver::start().expect("start driver");
    let reply = driver
        .call(
            &SdkCall::new("get_live_editing_job", &endpoint, "AK-1", "secret")
                .param("JobId", "j-1"),
        )
        .expect("call");
    let head = heads.recv().expect("request seen");
    assert!(head.starts_with("POST /?JobId=j-1 HTTP/1.1"), "{head}");
    assert_eq!(header(&head, "x-acs-action"), Some("GetLiveEditingJob"));
    let auth = header(&head, "authorization").unwrap_or_default();
    assert!(
        auth.starts_with("ACS3-HMAC-SHA256 Credential=AK-1,SignedHeaders="),
        "{auth}"
    );
    let SdkReply::Ok { status, body } = reply else {
        panic!("expected success, got {reply:?}");
    };
    assert_eq!(status, 200);
    assert_eq!(body["RequestId"], "r-1");
    assert_eq!(body["LiveEditingJob"]["Status"], "Success");
    // The SDK's model drops fields it does not know; the reply reflects that.
    assert!(body["LiveEditingJob"].get("NotInModel").is_none(), "{body}");
}

#[test]
fn v1_call_uses_the_legacy_query_signature() {
    let (endpoint, heads) = canned_server(1, 200, r#"{"RequestId":"r-2","JobId":"j"}"#);
    let mut driver = SdkDriver::start().expect("start driver");
    let reply = driver
        .call(
            &SdkCall::new("submit_live_editing_job", &endpoint, "AK-1", "secret")
                .signature(Signature::V1)
                .param("Clips", r#"[{"StartTime":"2021-06-21T08:01:00Z"}]"#),
        )
        .expect("call");
    let head = heads.recv().expect("request seen");
    let request_line = head.lines().next().unwrap_or_default();
    assert!(
        request_line.contains("Action=SubmitLiveEditingJob"),
        "{request_line}"
    );
    assert!(
        request_line.contains("SignatureMethod=HMAC-SHA1"),
        "{request_line}"
    );
    assert!(request_line.contains("&Signature="), "{request_line}");
    assert_eq!(header(&head, "authorization"), None);
    assert_eq!(reply.code(), None, "{reply:?}");
}

#[test]
fn api_error_reply_carries_code_status_and_body() {
    let (endpoint, _heads) = canned_server(
        1,
        404,
        r#"{"RequestId":"r-3","Code":"InvalidParameter.JobNotFound","Message":"no such job"}"#,
    );
    let mut driver = SdkDriver::start().expect("start driver");
    let reply = driver
        .call(&SdkCall::new("get_live_editing_job", &endpoint, "ak", "sk").param("JobId", "nope"))
        .expect("call");
    let SdkReply::Err {
        code,
        status,
        message,
        data,
    } = reply
    else {
        panic!("expected an API error, got {reply:?}");
    };
    assert_eq!(code, "InvalidParameter.JobNotFound");
    assert_eq!(status, 404);
    assert!(message.contains("no such job"), "{message}");
    assert_eq!(data["RequestId"], "r-3");
}

#[test]
fn tampering_reaches_the_wire_for_one_call_only() {
    let (endpoint, heads) = canned_server(3, 200, r#"{"RequestId":"r"}"#);
    let mut driver = SdkDriver::start().expect("start driver");
    let base = SdkCall::new("get_live_editing_job", &endpoint, "ak", "sk").param("JobId", "j");
    let nonce = "0123456789abcdef0123456789abcdef";

    let tampered = base
        .clone()
        .tamper(json!({"fixed_nonce": nonce, "date_offset_s": -3600}));
    driver.call(&tampered).expect("tampered call");
    let head = heads.recv().expect("request seen");
    assert_eq!(header(&head, "x-acs-signature-nonce"), Some(nonce));
    let date = header(&head, "x-acs-date").unwrap_or_default().to_string();

    driver.call(&base).expect("plain call");
    let head = heads.recv().expect("request seen");
    assert_ne!(header(&head, "x-acs-signature-nonce"), Some(nonce));
    let plain_date = header(&head, "x-acs-date").unwrap_or_default().to_string();
    // The same fixed-width UTC format compares chronologically as text.
    assert!(date < plain_date, "skewed {date} vs now {plain_date}");

    driver
        .call(
            &base
                .clone()
                .tamper(json!({"drop_signed_header": "x-acs-date"})),
        )
        .expect("call without x-acs-date signed");
    let head = heads.recv().expect("request seen");
    let auth = header(&head, "authorization").unwrap_or_default();
    assert!(header(&head, "x-acs-date").is_some(), "header still sent");
    assert!(!auth.contains("x-acs-date"), "{auth}");
}

#[test]
fn malformed_command_is_a_test_bug_not_an_api_reply() {
    let mut driver = SdkDriver::start().expect("start driver");
    let call =
        SdkCall::new("get_live_editing_job", "127.0.0.1:1", "ak", "sk").param("NoSuchParam", "x");
    let err = driver
        .call(&call)
        .expect_err("unknown parameter must be rejected");
    assert!(
        matches!(err, SdkError::BadCommand(ref m) if m.contains("NoSuchParam")),
        "{err}"
    );
    // The driver survives a bad command.
    driver.ping().expect("ping after a bad command");
}

#[test]
fn missing_interpreter_points_at_make_setup() {
    let missing = Path::new("/nonexistent/livecut/.venv/bin/python");
    let Err(err) = SdkDriver::start_with(missing) else {
        panic!("a missing interpreter must not start");
    };
    assert!(matches!(err, SdkError::PythonMissing(_)), "{err}");
    assert!(err.to_string().contains("make setup"), "{err}");
}

#[test]
fn interpreter_without_the_sdk_reports_the_import_error() {
    // A real interpreter that cannot see any site-packages, so the SDK import fails
    // however the machine's Python is set up.
    let dir = tempfile::tempdir().expect("tempdir");
    let python = dir.path().join("python");
    std::fs::write(&python, "#!/bin/sh\nexec /usr/bin/python3 -I -S \"$@\"\n")
        .expect("write wrapper");
    let mut perms = std::fs::metadata(&python).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&python, perms).expect("chmod");
    let Err(err) = SdkDriver::start_with(&python) else {
        panic!("a python without the SDK must not start");
    };
    let text = err.to_string();
    assert!(matches!(err, SdkError::DriverExited { .. }), "{text}");
    assert!(text.contains("alibabacloud"), "{text}");
    assert!(text.contains("make setup"), "{text}");
}
