use super::*;

/// The wire string of every code, written out: these strings are the contract with clients and
/// with stored jobs, so a change here must be deliberate.
const WIRE: &[(ErrorCode, &str)] = &[
    (ErrorCode::MissingParameter, "MissingParameter"),
    (ErrorCode::InvalidParameter, "InvalidParameter"),
    (
        ErrorCode::ResourceNotFound,
        "InvalidParameter.ResourceNotFound",
    ),
    (
        ErrorCode::ResourceContentBad,
        "InvalidParameter.ResourceContentBad",
    ),
    (ErrorCode::NotSupported, "InvalidParameter.NotSupported"),
    (ErrorCode::IncompleteSignature, "IncompleteSignature"),
    (ErrorCode::SignatureDoesNotMatch, "SignatureDoesNotMatch"),
    (ErrorCode::TimeStampExpired, "InvalidTimeStamp.Expired"),
    (ErrorCode::TimeStampFormat, "InvalidTimeStamp.Format"),
    (ErrorCode::AccessKeyNotFound, "InvalidAccessKeyId.NotFound"),
    (ErrorCode::AccessKeyInactive, "InvalidAccessKeyId.Inactive"),
    (ErrorCode::SignatureNonceUsed, "SignatureNonceUsed"),
    (ErrorCode::ForbiddenRam, "Forbidden.RAM"),
    (ErrorCode::ForbiddenHook, "Forbidden.Hook"),
    (ErrorCode::ForbiddenMetrics, "Forbidden.Metrics"),
    (ErrorCode::ForbiddenLink, "Forbidden.Link"),
    (ErrorCode::InvalidVersion, "InvalidVersion"),
    (ErrorCode::InvalidActionNotFound, "InvalidAction.NotFound"),
    (ErrorCode::NotFound, "NotFound"),
    (ErrorCode::InternalError, "InternalError"),
    (
        ErrorCode::MediaProcessCrashed,
        "InternalError.MediaProcessCrashed",
    ),
    (
        ErrorCode::MediaProcessTimeout,
        "InternalError.MediaProcessTimeout",
    ),
    (
        ErrorCode::StorageUnavailable,
        "InternalError.StorageUnavailable",
    ),
    (ErrorCode::ServiceUnavailable, "ServiceUnavailable"),
    (ErrorCode::Throttling, "Throttling"),
    (ErrorCode::ThrottlingUser, "Throttling.User"),
    (ErrorCode::RequestTimeout, "RequestTimeout"),
    (ErrorCode::RequestTooLarge, "RequestEntityTooLarge"),
    (ErrorCode::HeadersTooLarge, "RequestHeaderFieldsTooLarge"),
    (ErrorCode::PathNotFound, "InvalidPath.NotFound"),
    (ErrorCode::UnsupportedMethod, "UnsupportedHTTPMethod"),
];

#[test]
fn every_code_has_its_wire_string() {
    assert_eq!(
        WIRE.len(),
        ErrorCode::ALL.len(),
        "a code without a pinned string"
    );
    for &(code, wire) in WIRE {
        assert_eq!(code.as_str(), wire);
        assert_eq!(code.to_string(), wire);
        assert_eq!(wire.parse::<ErrorCode>(), Ok(code));
    }
    assert!("InvalidParameter.JobNotFound".parse::<ErrorCode>().is_err());
    assert!("".parse::<ErrorCode>().is_err());
}

#[test]
fn serde_carries_the_wire_string() {
    for &(code, wire) in WIRE {
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, format!("\"{wire}\""));
        assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
    }
    let e = serde_json::from_str::<ErrorCode>("\"NoSuchCode\"").unwrap_err();
    assert!(e.to_string().contains("NoSuchCode"), "{e}");
}

#[test]
fn http_status_of_each_api_code() {
    let expected = [
        (ErrorCode::MissingParameter, 400),
        (ErrorCode::InvalidParameter, 400),
        (ErrorCode::IncompleteSignature, 400),
        (ErrorCode::SignatureDoesNotMatch, 400),
        (ErrorCode::TimeStampExpired, 400),
        (ErrorCode::TimeStampFormat, 400),
        (ErrorCode::AccessKeyNotFound, 404),
        (ErrorCode::AccessKeyInactive, 400),
        (ErrorCode::SignatureNonceUsed, 400),
        (ErrorCode::ForbiddenRam, 403),
        (ErrorCode::ForbiddenHook, 403),
        (ErrorCode::ForbiddenMetrics, 403),
        (ErrorCode::ForbiddenLink, 403),
        (ErrorCode::InvalidVersion, 400),
        (ErrorCode::InvalidActionNotFound, 404),
        (ErrorCode::NotFound, 404),
        (ErrorCode::InternalError, 500),
        (ErrorCode::ServiceUnavailable, 503),
        (ErrorCode::Throttling, 400),
        (ErrorCode::ThrottlingUser, 400),
        (ErrorCode::RequestTimeout, 408),
        (ErrorCode::RequestTooLarge, 413),
        (ErrorCode::HeadersTooLarge, 431),
        (ErrorCode::PathNotFound, 404),
        (ErrorCode::UnsupportedMethod, 405),
        // Job-only codes: their family's status.
        (ErrorCode::ResourceNotFound, 400),
        (ErrorCode::ResourceContentBad, 400),
        (ErrorCode::NotSupported, 400),
        (ErrorCode::MediaProcessCrashed, 500),
        (ErrorCode::MediaProcessTimeout, 500),
        (ErrorCode::StorageUnavailable, 500),
    ];
    assert_eq!(expected.len(), ErrorCode::ALL.len());
    for (code, status) in expected {
        assert_eq!(code.http_status().as_u16(), status, "{code}");
    }
}

#[test]
fn each_code_has_its_own_recommendation() {
    let mut seen = std::collections::HashSet::new();
    for &code in ErrorCode::ALL {
        let r = code.recommend();
        assert!(r.len() > 10 && r.ends_with('.'), "{code}: {r:?}");
        assert!(seen.insert(r), "{code} shares its Recommend text");
    }
}

#[test]
fn auth_errors_map_to_the_gateway_codes() {
    use livecut_auth::AuthError;
    let cases = [
        (AuthError::Incomplete("x".into()), "IncompleteSignature"),
        (
            AuthError::UnsupportedAlgorithm {
                found: "ACS3-HMAC-SM3".into(),
                supported: "ACS3-HMAC-SHA256",
            },
            "IncompleteSignature",
        ),
        (
            AuthError::SignatureMismatch {
                string_to_sign: String::new(),
            },
            "SignatureDoesNotMatch",
        ),
        (
            AuthError::BodyHashMismatch { body_len: 3 },
            "SignatureDoesNotMatch",
        ),
        (
            AuthError::Expired {
                field: "Timestamp",
                request_time: "2021-01-01T00:00:00Z".into(),
                server_time: "2021-01-01T00:20:00Z".into(),
                skew_s: -1200,
                window_s: 900,
            },
            "InvalidTimeStamp.Expired",
        ),
        (
            AuthError::BadTimestamp {
                field: "x-acs-date",
                value: "x".into(),
            },
            "InvalidTimeStamp.Format",
        ),
    ];
    for (e, wire) in cases {
        let code = ErrorCode::from(&e);
        assert_eq!(code.as_str(), wire, "{e:?}");
        // The gateway answers every signature failure with 400.
        assert_eq!(code.http_status(), StatusCode::BAD_REQUEST, "{e:?}");
    }
}

#[test]
fn media_errors_map_to_the_job_codes() {
    use livecut_media::MediaError;
    let cases = [
        (
            MediaError::InvalidJob("no clips".into()),
            "InvalidParameter",
        ),
        (
            MediaError::SegmentMissing {
                clip: 2,
                uri: "seg00007.ts".into(),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            },
            "InvalidParameter.ResourceNotFound",
        ),
        (
            MediaError::NoContent {
                clip: 0,
                start_utc_us: 0,
                end_utc_us: 1,
                cause: "no frames".into(),
            },
            "InvalidParameter.ResourceNotFound",
        ),
        (
            MediaError::BadSegment {
                clip: 0,
                uri: "a.ts".into(),
                cause: "no video stream".into(),
            },
            "InvalidParameter.ResourceContentBad",
        ),
        (
            MediaError::CorruptFrame {
                clip: 1,
                uri: "b.ts".into(),
                pts: 9000,
                cause: "decode".into(),
            },
            "InvalidParameter.ResourceContentBad",
        ),
        (
            MediaError::Unsupported {
                clip: Some(1),
                what: "HEVC".into(),
            },
            "InvalidParameter.NotSupported",
        ),
        (
            MediaError::Encoder {
                clip: None,
                cause: "x264".into(),
            },
            "InternalError",
        ),
        (
            MediaError::Output {
                path: "/o.mp4".into(),
                cause: "disk full".into(),
            },
            "InternalError",
        ),
        (
            MediaError::Probe {
                path: "/nope".into(),
                missing: true,
                cause: "gone".into(),
            },
            "InvalidParameter.ResourceNotFound",
        ),
        (
            MediaError::Probe {
                path: "/bad".into(),
                missing: false,
                cause: "not media".into(),
            },
            "InvalidParameter.ResourceContentBad",
        ),
        (MediaError::Internal("x".into()), "InternalError"),
    ];
    for (e, wire) in cases {
        assert_eq!(ErrorCode::from(&e).as_str(), wire, "{e:?}");
    }
}
