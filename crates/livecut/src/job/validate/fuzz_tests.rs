//! Property tests: Submit's parameters are anyone's JSON. Arbitrary values for every parameter,
//! and valid requests with one field replaced by an arbitrary JSON value, are validated without
//! a panic; what is accepted keeps the rules (clips ordered in time and within the limits).

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};

use super::validate;
use crate::settings::Limits;

const PARAMS: [&str; 7] = [
    "Clips",
    "LiveStreamConfig",
    "MediaProduceConfig",
    "OutputMediaConfig",
    "OutputMediaTarget",
    "UserData",
    "ProjectId",
];

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,30}".prop_map(Value::String),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9](\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?"
            .prop_map(Value::String),
        "(oss|s3|https?|ftp|file)://[a-zA-Z0-9.-]{0,20}/[a-zA-Z0-9./_-]{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "StartTime",
                    "EndTime",
                    "DomainName",
                    "AppName",
                    "StreamName",
                    "CoverTime",
                    "CoverUrl",
                    "Mode",
                    "Width",
                    "Height",
                    "OnDamagedRecording",
                    "MediaURL",
                    "StorageLocation",
                    "FileName",
                    "Bitrate",
                    "NotifyAddress",
                    "x",
                ])
                .prop_map(str::to_string),
                inner,
                0..6,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn valid() -> BTreeMap<String, String> {
    let mut p = BTreeMap::new();
    p.insert(
        "Clips".into(),
        json!([{"StartTime": "2026-11-24T10:00:01Z", "EndTime": "2026-11-24T10:00:03Z"}])
            .to_string(),
    );
    p.insert(
        "LiveStreamConfig".into(),
        json!({"DomainName": "d", "AppName": "a", "StreamName": "s"}).to_string(),
    );
    p.insert(
        "OutputMediaConfig".into(),
        json!({"MediaURL": "oss://bucket-1/out.mp4"}).to_string(),
    );
    p
}

fn check(params: &BTreeMap<String, String>) -> Result<(), TestCaseError> {
    let limits = Limits::default();
    if let Ok(r) = validate(params, &limits) {
        prop_assert!(!r.clips.is_empty() && r.clips.len() <= limits.max_clips);
        for c in &r.clips {
            prop_assert!(c.end_us > c.start_us);
            prop_assert!(c.end_us - c.start_us <= limits.max_clip_seconds as i64 * 1_000_000);
        }
    }
    Ok(())
}

proptest! {
    #[test]
    fn arbitrary_parameters_are_validated_without_a_panic(
        values in prop::collection::vec((prop::sample::select(PARAMS.to_vec()), json_value()), 0..7),
        raw in prop::collection::vec((prop::sample::select(PARAMS.to_vec()), ".{0,60}"), 0..3),
    ) {
        let mut params = BTreeMap::new();
        for (k, v) in values {
            params.insert(k.to_string(), v.to_string());
        }
        for (k, v) in raw {
            params.insert(k.to_string(), v);
        }
        check(&params)?;
    }

    #[test]
    fn one_field_of_a_valid_request_replaced(
        which in prop::sample::select(PARAMS.to_vec()),
        value in json_value(),
    ) {
        let mut params = valid();
        params.insert(which.to_string(), value.to_string());
        check(&params)?;
    }
}
