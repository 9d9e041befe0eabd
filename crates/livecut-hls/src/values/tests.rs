use super::*;

const T0_US: i64 = 1_624_262_460_000_000; // 2021-06-21T08:01:00Z

#[test]
fn seconds_parse_exactly() {
    assert_eq!(seconds_to_us("10"), Ok(10_000_000));
    assert_eq!(seconds_to_us("10."), Ok(10_000_000));
    assert_eq!(seconds_to_us("2.002"), Ok(2_002_000));
    assert_eq!(seconds_to_us(".5"), Ok(500_000));
    assert_eq!(seconds_to_us("1.0000004"), Ok(1_000_000));
    assert_eq!(seconds_to_us("1.0000005"), Ok(1_000_001));
    assert_eq!(seconds_to_us("0.999999999"), Ok(1_000_000));
    assert_eq!(seconds_to_us(" 3.000000 "), Ok(3_000_000));
}

#[test]
fn seconds_reject_garbage() {
    for bad in [
        "",
        ".",
        "-1",
        "1e3",
        "abc",
        "1.2.3",
        "1,5",
        "99999999999999999999",
    ] {
        assert!(seconds_to_us(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn date_times_in_every_recorder_style() {
    let cases = [
        ("2021-06-21T08:01:00Z", T0_US),
        ("2021-06-21T08:01:00.000Z", T0_US),
        ("2021-06-21T08:01:00.25Z", T0_US + 250_000),
        ("2021-06-21T16:01:00+08:00", T0_US),
        ("2021-06-21T16:01:00.123+0800", T0_US + 123_000),
        ("2021-06-21T16:01:00+08", T0_US),
        ("2021-06-21T03:31:00-04:30", T0_US),
        ("2021-06-21 08:01:00z", T0_US),
        ("2021-06-21T08:01:00.1234567Z", T0_US + 123_457),
        ("2021-06-21T08:01:00.123456789Z", T0_US + 123_457),
        ("2021-06-21T08:00:60Z", T0_US - 1),
    ];
    for (text, expected) in cases {
        assert_eq!(date_time_to_us(text), Ok(expected), "{text}");
    }
}

#[test]
fn date_times_before_1970_are_negative() {
    assert_eq!(date_time_to_us("1969-12-31T23:59:59.5Z"), Ok(-500_000));
}

#[test]
fn date_times_without_zone_or_malformed_are_refused() {
    for bad in [
        "2021-06-21T08:01:00",
        "2021-06-21T08:01:00.Z",
        "2021-06-21",
        "21-06-21T08:01:00Z",
        "2021-6-21T08:01:00Z",
        "2021-02-30T08:01:00Z",
        "2021-06-21T25:01:00Z",
        "2021-06-21T08:01Z",
        "2021-06-21T08:01:00+8",
        "2021-06-21T08:01:00+25:00",
        "2021-06-21T08:01:00 UTC",
        "",
    ] {
        let result = date_time_to_us(bad);
        assert!(result.is_err(), "{bad:?} gave {result:?}");
    }
    let message = date_time_to_us("2021-06-21T08:01:00")
        .err()
        .unwrap_or_default();
    assert!(message.contains("no time zone"), "{message}");
}

#[test]
fn byte_ranges() {
    assert_eq!(byte_range("1000@200"), Ok((1000, Some(200))));
    assert_eq!(byte_range("1000"), Ok((1000, None)));
    assert!(byte_range("x@1").is_err());
    assert!(byte_range("1@").is_err());
}

#[test]
fn integers() {
    assert_eq!(integer(" 42 "), Ok(42));
    assert!(integer("-1").is_err());
    assert!(integer("4.2").is_err());
}

#[test]
fn attribute_lists_respect_quotes() {
    let list = r#"METHOD=AES-128,URI="https://k/1,2",IV=0x1"#;
    assert_eq!(attribute(list, "METHOD"), Some("AES-128"));
    assert_eq!(attribute(list, "URI"), Some("https://k/1,2"));
    assert_eq!(attribute(list, "IV"), Some("0x1"));
    assert_eq!(attribute(list, "KEYFORMAT"), None);
    assert_eq!(attribute("METHOD=NONE", "METHOD"), Some("NONE"));
    assert_eq!(attribute(r#"URI="unterminated"#, "URI"), None);
}
