//! Property tests: signatures, their headers and parameters come from anyone who can reach the
//! port. Arbitrary and half-right requests are parsed and verified without a panic, and a
//! signature over one request never verifies another. The case count is proptest's.

use proptest::prelude::*;
use time::OffsetDateTime;

use crate::{
    Credentials, OutgoingRequest, SignedRequest, decode_urlencoded, parse, sign_v1, sign_v3, verify,
};

/// Header names a signature reads, and values near what they hold.
fn header() -> impl Strategy<Value = (String, String)> {
    let name = prop::sample::select(vec![
        "authorization",
        "x-acs-action",
        "x-acs-version",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-content-sha256",
        "x-acs-security-token",
        "host",
        "content-type",
        "x-other",
    ]);
    let value = prop_oneof![
        ".{0,80}",
        "ACS3-HMAC-SHA256 Credential=[A-Za-z0-9]{0,20},SignedHeaders=[a-z;-]{0,60},Signature=[0-9a-f]{0,70}",
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z",
    ];
    (name, value).prop_map(|(n, v)| (n.to_string(), v))
}

fn param() -> impl Strategy<Value = (String, String)> {
    let name = prop::sample::select(vec![
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "AccessKeyId",
        "Action",
        "Version",
        "Format",
        "SecurityToken",
        "JobId",
    ]);
    (name, ".{0,60}").prop_map(|(n, v)| (n.to_string(), v))
}

proptest! {
    #[test]
    fn arbitrary_requests_are_refused_without_a_panic(
        method in "(GET|POST|PUT|[A-Z]{0,8})",
        headers in prop::collection::vec(header(), 0..10),
        query in prop::collection::vec(param(), 0..10),
        form in prop::collection::vec(param(), 0..4),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let req = SignedRequest {
            method: &method,
            path: "/",
            query: &query,
            form: &form,
            headers: &headers,
            body: &body,
        };
        if let Ok(parsed) = parse(&req) {
            let _ = verify(&parsed, &req, "secret", OffsetDateTime::now_utc());
        }
    }

    #[test]
    fn a_signature_verifies_only_the_request_it_signed(
        value in ".{0,40}",
        other in ".{0,40}",
        v1 in any::<bool>(),
    ) {
        let params = vec![("JobId".to_string(), value.clone())];
        let outgoing = OutgoingRequest {
            method: "POST",
            host: "livecut.test",
            path: "/",
            action: "GetLiveEditingJob",
            version: "2020-11-09",
            params: &params,
            form: &[],
            extra_headers: &[],
        };
        let creds = Credentials { access_key_id: "AK", access_key_secret: "secret", security_token: None };
        let now = OffsetDateTime::now_utc();
        let signed = if v1 { sign_v1(&outgoing, &creds, now, "n-1") } else { sign_v3(&outgoing, &creds, now, "n-1") };
        let query = decode_urlencoded(&signed.query);
        let check = |query: &[(String, String)]| {
            let req = SignedRequest {
                method: "POST",
                path: "/",
                query,
                form: &[],
                headers: &signed.headers,
                body: &signed.body,
            };
            parse(&req).is_ok_and(|p| verify(&p, &req, "secret", now).is_ok())
        };
        prop_assert!(check(&query));
        let changed: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| if k == "JobId" { (k.clone(), other.clone()) } else { (k.clone(), v.clone()) })
            .collect();
        prop_assert_eq!(check(&changed), other == value);
    }

    #[test]
    fn arbitrary_query_strings_decode_without_a_panic(raw in ".{0,200}") {
        let _ = decode_urlencoded(&raw);
    }
}
