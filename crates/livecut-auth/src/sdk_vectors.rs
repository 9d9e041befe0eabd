//! Requests sent by the official Python SDK (alibabacloud-ice20201109 6.20.2, tea-openapi
//! 0.4.6) to a loopback server, with fake keys. Our verifier must accept them byte for byte.
//! The first three are the captures recorded in the API contract; the rest were captured
//! for this crate with UTF-8, `~ * + space` values, STS tokens and form bodies.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::test_support::OwnedRequest;
use crate::{AuthError, Scheme, parse, v3, verify};

const UA: &str = "AlibabaCloud (Linux; x86_64) Python/3.11.7 Core/0.4.3 TeaDSL/2";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const CONTRACT_SECRET: &str = "FAKE_SECRET_abc123";
const CAPTURE_SECRET: &str = "vec/Secret+xyz=";
const AK_SIGNED: &str = "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version";

fn v3_headers<'a>(
    host: &'a str,
    action: &'a str,
    date: &'a str,
    nonce: &'a str,
    authorization: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("accept-encoding", "identity"),
        ("host", host),
        ("x-acs-version", "2020-11-09"),
        ("x-acs-action", action),
        ("user-agent", UA),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", nonce),
        ("accept", "application/json"),
        ("x-acs-content-sha256", EMPTY_SHA256),
        ("x-acs-credentials-provider", "static_ak"),
        ("authorization", authorization),
        ("content-length", "0"),
    ]
}

fn accept(req: &OwnedRequest, secret: &str, now: OffsetDateTime) -> crate::ParsedAuth {
    let parsed = match parse(&req.view()) {
        Ok(p) => p,
        Err(e) => panic!("parse rejected an SDK request: {e}"),
    };
    if let Err(e) = verify(&parsed, &req.view(), secret, now) {
        panic!("verify rejected an SDK request: {e}");
    }
    parsed
}

const SUBMIT_QUERY: &str = "/?Clips=%5B%7B%22StartTime%22%3A+%222021-06-21T08%3A01%3A00Z%22%2C+%22EndTime%22%3A+%222021-06-21T08%3A03%3A00Z%22%7D%2C+%7B%22StartTime%22%3A+%222021-06-21T08%3A05%3A00Z%22%2C+%22EndTime%22%3A+%222021-06-21T08%3A09%3A00Z%22%7D%5D&LiveStreamConfig=%7B%22AppName%22%3A+%22app%22%2C+%22DomainName%22%3A+%22demo.example.com%22%2C+%22StreamName%22%3A+%22stream1%22%7D&MediaProduceConfig=%7B%22Mode%22%3A+%22AccurateFast%22%7D&OutputMediaConfig=%7B%22MediaURL%22%3A+%22https%3A%2F%2Fbucket.oss-cn-shanghai.aliyuncs.com%2Fout%2Fclip+1.mp4%22%7D&OutputMediaTarget=oss-object&UserData=%7B%22NotifyAddress%22%3A+%22http%3A%2F%2Fexample.com%2Fcb%22%2C+%22k%22%3A+%22v~%2A%22%7D";

#[test]
fn contract_get_live_editing_job_v3_rebuilds_the_recorded_canonical_request() {
    let auth = format!(
        "ACS3-HMAC-SHA256 Credential=LTAI_FAKE_AK_ID,SignedHeaders={AK_SIGNED},Signature=fa9d00d025fb45a1f1cd61ebe9ba30eb0be5d81ddff1c9e027e932156e86e624"
    );
    let headers = v3_headers(
        "127.0.0.1:18080",
        "GetLiveEditingJob",
        "2026-11-23T22:40:35Z",
        "dca7b83272aaae0e98b0528ba6a5fea6",
        &auth,
    );
    let req = OwnedRequest::from_wire("POST", "/?JobId=j-fake", &headers, "");
    let parsed = accept(&req, CONTRACT_SECRET, datetime!(2026-11-23 22:41:00 UTC));
    assert_eq!(parsed.access_key_id(), "LTAI_FAKE_AK_ID");
    assert_eq!(parsed.nonce(), "dca7b83272aaae0e98b0528ba6a5fea6");
    assert_eq!(parsed.action(), Some("GetLiveEditingJob"));
    assert_eq!(parsed.version(), Some("2020-11-09"));
    assert_eq!(parsed.security_token(), None);
    assert_eq!(parsed.scheme_name(), "ACS3-HMAC-SHA256");

    let Scheme::V3 { signed_headers, .. } = parsed.scheme() else {
        panic!("expected V3, got {:?}", parsed.scheme());
    };
    let canonical = v3::canonical_request(&req.view(), signed_headers, EMPTY_SHA256);
    let expected = format!(
        "POST\n/\nJobId=j-fake\naccept:application/json\nhost:127.0.0.1:18080\nuser-agent:{UA}\n\
         x-acs-action:GetLiveEditingJob\nx-acs-content-sha256:{EMPTY_SHA256}\n\
         x-acs-credentials-provider:static_ak\nx-acs-date:2026-11-23T22:40:35Z\n\
         x-acs-signature-nonce:dca7b83272aaae0e98b0528ba6a5fea6\nx-acs-version:2020-11-09\n\n\
         {AK_SIGNED}\n{EMPTY_SHA256}"
    );
    assert_eq!(canonical, Ok(expected));
}

#[test]
fn contract_submit_v3_with_plus_encoded_spaces() {
    let auth = format!(
        "ACS3-HMAC-SHA256 Credential=LTAI_FAKE_AK_ID,SignedHeaders={AK_SIGNED},Signature=9a019ead0da163a063e745ecfe1facf360a4b79af075dc0ade9c32549cac8d73"
    );
    let headers = v3_headers(
        "127.0.0.1:18080",
        "SubmitLiveEditingJob",
        "2026-11-23T22:40:35Z",
        "1a647f9d68bef5e5bdf1543566ba43fb",
        &auth,
    );
    let req = OwnedRequest::from_wire("POST", SUBMIT_QUERY, &headers, "");
    accept(&req, CONTRACT_SECRET, datetime!(2026-11-23 22:40:35 UTC));
    let canonical = v3::canonical_query(&req.query);
    assert!(
        canonical.starts_with("Clips=%5B%7B%22StartTime%22%3A%20%222021-"),
        "{canonical}"
    );
}

#[test]
fn contract_get_live_editing_job_v1() {
    let target = "/?Action=GetLiveEditingJob&Format=json&Version=2020-11-09&Timestamp=2026-11-23T22%3A40%3A41Z&SignatureNonce=60a1f6a4864825c4459b3d10ebfbfc31&JobId=j-fake&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=LTAI_FAKE_AK_ID&Signature=yOucgsAAaWOtFIFJFyoau71Zomg%3D";
    let headers = [
        ("accept-encoding", "identity"),
        ("host", "127.0.0.1:18080"),
        ("x-acs-version", "2020-11-09"),
        ("x-acs-action", "GetLiveEditingJob"),
        ("user-agent", UA),
        ("x-acs-credentials-provider", "static_ak"),
        ("content-length", "0"),
    ];
    let req = OwnedRequest::from_wire("POST", target, &headers, "");
    let parsed = accept(&req, CONTRACT_SECRET, datetime!(2026-11-23 22:30:00 UTC));
    assert_eq!(parsed.scheme_name(), "HMAC-SHA1");
    assert_eq!(parsed.access_key_id(), "LTAI_FAKE_AK_ID");
    assert_eq!(parsed.nonce(), "60a1f6a4864825c4459b3d10ebfbfc31");
    assert_eq!(parsed.timestamp(), datetime!(2026-11-23 22:40:41 UTC));
    assert_eq!(parsed.action(), Some("GetLiveEditingJob"));

    // The same capture against the wrong secret must fail, with the string to sign shown.
    let err = verify(
        &parsed,
        &req.view(),
        "other",
        datetime!(2026-11-23 22:40:41 UTC),
    );
    assert!(matches!(
        err,
        Err(AuthError::SignatureMismatch { ref string_to_sign })
            if string_to_sign.starts_with("POST&%2F&AccessKeyId%3DLTAI_FAKE_AK_ID%26Action%3DGetLiveEditingJob")
    ));
}

const CAPTURE_QUERY: &str = "Clips=%5B%7B%22StartTime%22%3A+%222021-06-21T08%3A01%3A00Z%22%2C+%22EndTime%22%3A+%222021-06-21T08%3A03%3A00Z%22%7D%5D&LiveStreamConfig=%7B%22AppName%22%3A+%22app%22%2C+%22DomainName%22%3A+%22demo.example.com%22%2C+%22StreamName%22%3A+%22%E7%9B%B4%E6%92%AD%E6%B5%81+1%22%7D&UserData=%7B%22k%22%3A+%22v~%2A%2B+%2F%3A%2C%21%27%28%29%22%7D";
const CAPTURE_NOW: OffsetDateTime = datetime!(2026-11-24 11:45:00 UTC);

#[test]
fn captured_v3_utf8_and_reserved_characters() {
    let auth = format!(
        "ACS3-HMAC-SHA256 Credential=LTAI_VEC_AK,SignedHeaders={AK_SIGNED},Signature=249c32b39dbf61c12633a60b1c45a8bd5ad5ef0c7f62dcfa74ea0aa9c65756c9"
    );
    let headers = v3_headers(
        "127.0.0.1:18437",
        "SubmitLiveEditingJob",
        "2026-11-24T11:44:54Z",
        "0a75919923d70f1242ba8ed5c35c8a4b",
        &auth,
    );
    let req = OwnedRequest::from_wire("POST", &format!("/?{CAPTURE_QUERY}"), &headers, "");
    accept(&req, CAPTURE_SECRET, CAPTURE_NOW);
    let stream = req.query.iter().find(|(k, _)| k == "LiveStreamConfig");
    assert!(stream.is_some_and(|(_, v)| v.contains("\"直播流 1\"")));
}

#[test]
fn captured_v3_with_sts_token() {
    let signed = "accept;host;user-agent;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version";
    let auth = format!(
        "ACS3-HMAC-SHA256 Credential=LTAI_VEC_AK,SignedHeaders={signed},Signature=181efbf48892d8d78625d037b3152acec3ccec853315f1421684db47c7aaea13"
    );
    let mut headers = v3_headers(
        "127.0.0.1:18437",
        "SubmitLiveEditingJob",
        "2026-11-24T11:44:54Z",
        "ac4baf9d4ba5adf67078034cf17de431",
        &auth,
    );
    for (k, v) in &mut headers {
        if *k == "x-acs-credentials-provider" {
            *v = "static_sts";
        }
    }
    headers.push(("x-acs-accesskey-id", "LTAI_VEC_AK"));
    headers.push(("x-acs-security-token", "STS.TOKEN/abc+def=="));
    let req = OwnedRequest::from_wire("POST", &format!("/?{CAPTURE_QUERY}"), &headers, "");
    let parsed = accept(&req, CAPTURE_SECRET, CAPTURE_NOW);
    assert_eq!(parsed.security_token(), Some("STS.TOKEN/abc+def=="));
}

fn v1_target(nonce: &str, sts: Option<&str>, signature: &str) -> String {
    let sts = sts
        .map(|t| format!("&SecurityToken={t}"))
        .unwrap_or_default();
    format!(
        "/?Action=SubmitLiveEditingJob&Format=json&Version=2020-11-09&Timestamp=2026-11-24T11%3A44%3A54Z&SignatureNonce={nonce}&{CAPTURE_QUERY}{sts}&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=LTAI_VEC_AK&Signature={signature}"
    )
}

#[test]
fn captured_v1_utf8_and_reserved_characters() {
    let target = v1_target(
        "fa0131bfec85658100e30cb40fb0af23",
        None,
        "XYFc5g9Yyt2fipdT5GsMz59oskY%3D",
    );
    let req = OwnedRequest::from_wire("POST", &target, &[("host", "127.0.0.1:18437")], "");
    accept(&req, CAPTURE_SECRET, CAPTURE_NOW);
}

#[test]
fn captured_v1_with_sts_token() {
    let target = v1_target(
        "94f120c1575db7b646017d2c7ece2a53",
        Some("STS.TOKEN%2Fabc%2Bdef%3D%3D"),
        "i4pSJv8Ca86IZ9YyeScFeM0T7Rs%3D",
    );
    let req = OwnedRequest::from_wire("POST", &target, &[("host", "127.0.0.1:18437")], "");
    let parsed = accept(&req, CAPTURE_SECRET, CAPTURE_NOW);
    assert_eq!(parsed.security_token(), Some("STS.TOKEN/abc+def=="));
}

const FORM_BODY: &str = "Timeline=%7B%22VideoTracks%22%3A+%5B%7B%22VideoTrackClips%22%3A+%5B%7B%22MediaId%22%3A+%22m~1+%2A%22%7D%5D%7D%5D%7D";

#[test]
fn captured_v3_with_form_body() {
    let headers = [
        ("accept-encoding", "identity"),
        ("host", "127.0.0.1:18437"),
        ("x-acs-version", "2020-11-09"),
        ("x-acs-action", "CreateEditingProject"),
        ("user-agent", UA),
        ("x-acs-date", "2026-11-24T11:45:03Z"),
        ("x-acs-signature-nonce", "2c79f75556351fdad9cd83fe06037dd7"),
        ("accept", "application/json"),
        ("content-type", "application/x-www-form-urlencoded"),
        (
            "x-acs-content-sha256",
            "184a2d02045aa9fd89bdaaf418a2ecff814a293f9c6518e3fa0779c7665e4793",
        ),
        ("x-acs-credentials-provider", "static_ak"),
        (
            "authorization",
            "ACS3-HMAC-SHA256 Credential=LTAI_VEC_AK,SignedHeaders=accept;content-type;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-credentials-provider;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=0e6ba6b339644d4b71d4e18e314c701b087e0bc25e08af16d1fa5e357400495d",
        ),
        ("content-length", "115"),
    ];
    let req = OwnedRequest::from_wire(
        "POST",
        "/?Title=%E6%A0%87%E9%A2%98+a%2Bb",
        &headers,
        FORM_BODY,
    );
    accept(&req, CAPTURE_SECRET, CAPTURE_NOW);
    assert_eq!(req.query[0].1, "标题 a+b");

    let mut tampered = req.clone();
    tampered.body = FORM_BODY.replace("m~1", "m~2").into_bytes();
    let parsed = parse(&tampered.view());
    let result = parsed.and_then(|p| verify(&p, &tampered.view(), CAPTURE_SECRET, CAPTURE_NOW));
    assert_eq!(result, Err(AuthError::BodyHashMismatch { body_len: 115 }));
}

#[test]
fn captured_v1_signs_form_parameters() {
    let target = "/?Action=CreateEditingProject&Format=json&Version=2020-11-09&Timestamp=2026-11-24T11%3A45%3A03Z&SignatureNonce=ae33c6464260c1fa58ade47251e29fed&Title=%E6%A0%87%E9%A2%98+a%2Bb&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0&AccessKeyId=LTAI_VEC_AK&Signature=WKZyo1J7OtApgv5eMOyidwm2OW8%3D";
    let headers = [
        ("host", "127.0.0.1:18437"),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let req = OwnedRequest::from_wire("POST", target, &headers, FORM_BODY);
    accept(&req, CAPTURE_SECRET, CAPTURE_NOW);

    let mut tampered = req.clone();
    tampered.form[0].1.push(' ');
    let parsed = parse(&tampered.view());
    let result = parsed.and_then(|p| verify(&p, &tampered.view(), CAPTURE_SECRET, CAPTURE_NOW));
    assert!(matches!(result, Err(AuthError::SignatureMismatch { .. })));
}

#[test]
fn captured_requests_expire_outside_the_window() {
    let target = v1_target(
        "fa0131bfec85658100e30cb40fb0af23",
        None,
        "XYFc5g9Yyt2fipdT5GsMz59oskY%3D",
    );
    let req = OwnedRequest::from_wire("POST", &target, &[("host", "127.0.0.1:18437")], "");
    let parsed = match parse(&req.view()) {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let late = CAPTURE_NOW + Duration::minutes(16);
    let err = verify(&parsed, &req.view(), CAPTURE_SECRET, late);
    assert!(matches!(
        err,
        Err(AuthError::Expired {
            field: "Timestamp",
            ..
        })
    ));
}
