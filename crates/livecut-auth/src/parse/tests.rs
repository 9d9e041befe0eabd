use time::macros::datetime;

use super::*;
use crate::test_support::OwnedRequest;
use crate::{Credentials, OutgoingRequest, sign_v1, sign_v3};

const NOW: OffsetDateTime = datetime!(2026-03-01 10:00:00 UTC);

fn signed_v3() -> OwnedRequest {
    let params = vec![("JobId".to_owned(), "j-1".to_owned())];
    let out = sign_v3(
        &OutgoingRequest {
            method: "POST",
            host: "127.0.0.1:8080",
            path: "/",
            action: "GetLiveEditingJob",
            version: "2020-11-09",
            params: &params,
            form: &[],
            extra_headers: &[],
        },
        &Credentials {
            access_key_id: "AK",
            access_key_secret: "S",
            security_token: None,
        },
        NOW,
        "nonce-1",
    );
    OwnedRequest::from_signed("POST", "/", &out)
}

fn signed_v1() -> OwnedRequest {
    let params = vec![("JobId".to_owned(), "j-1".to_owned())];
    let out = sign_v1(
        &OutgoingRequest {
            method: "POST",
            host: "127.0.0.1:8080",
            path: "/",
            action: "GetLiveEditingJob",
            version: "2020-11-09",
            params: &params,
            form: &[],
            extra_headers: &[],
        },
        &Credentials {
            access_key_id: "AK",
            access_key_secret: "S",
            security_token: None,
        },
        NOW,
        "nonce-1",
    );
    OwnedRequest::from_signed("POST", "/", &out)
}

fn incomplete(req: &OwnedRequest) -> String {
    match parse(&req.view()) {
        Err(AuthError::Incomplete(message)) => message,
        other => panic!("expected IncompleteSignature, got {other:?}"),
    }
}

fn with_authorization(value: &str) -> OwnedRequest {
    let mut req = signed_v3();
    req.set_header("authorization", value);
    req
}

#[test]
fn unsigned_request_is_incomplete() {
    let mut req = signed_v3();
    req.remove_header("authorization");
    assert!(incomplete(&req).contains("neither an Authorization header nor a Signature"));
}

#[test]
fn reads_v3_fields() {
    let parsed = parse(&signed_v3().view());
    let Ok(parsed) = parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(parsed.access_key_id(), "AK");
    assert_eq!(parsed.nonce(), "nonce-1");
    assert_eq!(parsed.timestamp(), NOW);
    assert_eq!(parsed.action(), Some("GetLiveEditingJob"));
    assert!(matches!(parsed.scheme(), Scheme::V3 { signature, .. } if signature.len() == 32));
}

#[test]
fn reads_v1_fields() {
    let parsed = parse(&signed_v1().view());
    let Ok(parsed) = parsed else {
        panic!("{parsed:?}")
    };
    assert_eq!(parsed.access_key_id(), "AK");
    assert_eq!(parsed.nonce(), "nonce-1");
    assert_eq!(parsed.version(), Some("2020-11-09"));
    assert!(matches!(parsed.scheme(), Scheme::V1 { signature } if signature.len() == 20));
}

#[test]
fn authorization_header_wins_over_signature_parameter() {
    let mut req = signed_v3();
    req.set_param("Signature", "AAAA");
    assert!(matches!(parse(&req.view()), Ok(p) if p.scheme_name() == "ACS3-HMAC-SHA256"));
}

#[test]
fn other_algorithms_are_named_in_the_error() {
    for value in [
        "ACS3-HMAC-SM3 Credential=AK,SignedHeaders=host,Signature=00",
        "Bearer abc",
        "",
    ] {
        let req = with_authorization(value);
        assert!(
            matches!(
                parse(&req.view()),
                Err(AuthError::UnsupportedAlgorithm { .. })
            ),
            "{value:?}"
        );
    }
}

#[test]
fn malformed_authorization_fields() {
    let sig = "a".repeat(64);
    let all = REQUIRED.join(";");
    let cases = [
        (
            format!("ACS3-HMAC-SHA256 SignedHeaders={all},Signature={sig}"),
            "lacks the Credential",
        ),
        (
            format!("ACS3-HMAC-SHA256 Credential=AK,Signature={sig}"),
            "lacks the SignedHeaders",
        ),
        (
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={all}"),
            "lacks the Signature",
        ),
        (
            format!("ACS3-HMAC-SHA256 Credential=,SignedHeaders={all},Signature={sig}"),
            "Credential is empty",
        ),
        (
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={all},Signature"),
            "not name=value",
        ),
        (
            format!(
                "ACS3-HMAC-SHA256 Credential=AK,Credential=B,SignedHeaders={all},Signature={sig}"
            ),
            "more than once",
        ),
        (
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={all},Signature=xyz"),
            "64 hex",
        ),
        (
            format!(
                "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={all},Signature={}",
                "a".repeat(62)
            ),
            "64 hex",
        ),
        (
            format!("ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={all};;,Signature={sig}"),
            "empty name",
        ),
    ];
    for (value, expected) in cases {
        let message = incomplete(&with_authorization(&value));
        assert!(message.contains(expected), "{value:?}: {message}");
    }
}

const REQUIRED: [&str; 6] = crate::REQUIRED_SIGNED_HEADERS;

#[test]
fn every_required_header_must_be_signed() {
    for skipped in REQUIRED {
        let list: Vec<&str> = REQUIRED.iter().copied().filter(|h| *h != skipped).collect();
        let value = format!(
            "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders={},Signature={}",
            list.join(";"),
            "0".repeat(64)
        );
        let message = incomplete(&with_authorization(&value));
        assert!(
            message.contains(&format!("does not include {skipped}")),
            "{message}"
        );
    }
}

#[test]
fn extra_fields_and_spacing_in_authorization_are_tolerated() {
    let value = format!(
        "  ACS3-HMAC-SHA256 Credential=AK, SignedHeaders={} , Signature={}, Extra=1 ",
        REQUIRED.join(";").to_uppercase(),
        "0".repeat(64)
    );
    let parsed = parse(&with_authorization(&value).view());
    let Ok(parsed) = parsed else {
        panic!("{parsed:?}")
    };
    let Scheme::V3 { signed_headers, .. } = parsed.scheme() else {
        panic!("not V3")
    };
    assert_eq!(signed_headers, &REQUIRED.map(str::to_owned).to_vec());
}

#[test]
fn signed_header_absent_from_request() {
    let mut req = signed_v3();
    req.remove_header("x-acs-version");
    assert!(incomplete(&req).contains("x-acs-version is listed in SignedHeaders but not present"));
}

#[test]
fn missing_or_bad_nonce() {
    let mut req = signed_v3();
    req.remove_header("x-acs-signature-nonce");
    assert!(incomplete(&req).contains("x-acs-signature-nonce"));
    let mut req = signed_v3();
    req.set_header("x-acs-signature-nonce", "  ");
    assert!(incomplete(&req).contains("x-acs-signature-nonce is empty"));
    let mut req = signed_v1();
    req.remove_param("SignatureNonce");
    assert!(incomplete(&req).contains("SignatureNonce is missing"));
    let mut req = signed_v1();
    req.set_param("SignatureNonce", "a b");
    assert!(incomplete(&req).contains("printable ASCII"));
}

#[test]
fn repeated_date_header_is_rejected() {
    let mut req = signed_v3();
    req.headers
        .push(("x-acs-date".into(), "2026-03-01T10:05:00Z".into()));
    assert!(incomplete(&req).contains("x-acs-date appears more than once"));
}

#[test]
fn bad_timestamps_are_format_errors() {
    let mut req = signed_v3();
    req.set_header("x-acs-date", "Sun, 01 Mar 2026 10:00:00 GMT");
    assert!(matches!(
        parse(&req.view()),
        Err(AuthError::BadTimestamp {
            field: "x-acs-date",
            ..
        })
    ));
    let mut req = signed_v1();
    req.set_param("Timestamp", "2026-03-01T10:00:00");
    assert!(matches!(
        parse(&req.view()),
        Err(AuthError::BadTimestamp {
            field: "Timestamp",
            ..
        })
    ));
}

#[test]
fn unsigned_security_token_is_rejected() {
    let mut req = signed_v3();
    req.set_header("x-acs-security-token", "STS.x");
    assert!(incomplete(&req).contains("x-acs-security-token is present but not listed"));
}

#[test]
fn v1_required_parameters() {
    for name in [
        "AccessKeyId",
        "Timestamp",
        "SignatureMethod",
        "SignatureVersion",
    ] {
        let mut req = signed_v1();
        req.remove_param(name);
        assert!(
            incomplete(&req).contains(&format!("{name} is missing")),
            "{name}"
        );
    }
}

#[test]
fn v1_other_methods_and_versions_are_unsupported() {
    let mut req = signed_v1();
    req.set_param("SignatureMethod", "HMAC-SHA256");
    assert!(matches!(
        parse(&req.view()),
        Err(AuthError::UnsupportedAlgorithm { found, .. }) if found == "HMAC-SHA256"
    ));
    let mut req = signed_v1();
    req.set_param("SignatureVersion", "2.0");
    assert!(matches!(
        parse(&req.view()),
        Err(AuthError::UnsupportedAlgorithm { .. })
    ));
}

#[test]
fn v1_signature_must_be_base64_sha1() {
    let mut req = signed_v1();
    req.set_param("Signature", "not base64!");
    assert!(incomplete(&req).contains("base64"));
    let mut req = signed_v1();
    req.set_param("Signature", "AAAA");
    assert!(incomplete(&req).contains("20-byte"));
}

#[test]
fn v1_signature_with_unescaped_plus_is_restored() {
    let mut req = signed_v1();
    // 20 bytes (fb ef be repeated) encode as '+' only; unescaped in a query they arrive
    // as spaces.
    req.set_param("Signature", "                          8=");
    assert!(matches!(parse(&req.view()), Ok(p) if p.scheme_name() == "HMAC-SHA1"));
}
