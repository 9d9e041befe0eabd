//! Wall-clock time as the API speaks it: integer milliseconds inside, `yyyy-MM-ddTHH:mm:ssZ` outside.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Milliseconds since the Unix epoch, UTC.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// The IMS timestamp format: whole seconds, UTC, `Z` suffix.
pub fn format_api_time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => String::new(),
    }
}

/// Microsecond precision with fractional seconds, for per-clip reports where a frame matters.
pub fn format_precise_time(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000);
    match OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            micros
        ),
        Err(_) => String::new(),
    }
}

/// Why a clip timestamp was refused; the caller names the parameter.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeParseError {
    #[error("is not an ISO 8601 time such as 2021-06-21T08:01:00Z")]
    Malformed,
    #[error("must be in UTC with a trailing Z")]
    NotUtc,
}

/// Parses a clip time: ISO 8601 in UTC with `Z`, optional fractional seconds, and the surrounding
/// spaces that the official IMS example carries. Returns microseconds since the epoch.
pub fn parse_clip_time(raw: &str) -> Result<i64, TimeParseError> {
    let s = raw.trim();
    if !(s.ends_with('Z') || s.ends_with('z')) {
        // An explicit offset is valid RFC 3339 but not what the contract allows; say so precisely.
        return match OffsetDateTime::parse(s, &Rfc3339) {
            Ok(_) => Err(TimeParseError::NotUtc),
            Err(_) => Err(TimeParseError::Malformed),
        };
    }
    // RFC 3339 also allows a space between date and time; ISO 8601 and the IMS contract do not.
    if !matches!(s.as_bytes().get(10), Some(b'T' | b't')) {
        return Err(TimeParseError::Malformed);
    }
    let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| TimeParseError::Malformed)?;
    Ok((t.unix_timestamp_nanos() / 1000) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_time_is_whole_seconds_utc() {
        assert_eq!(format_api_time(1_624_262_460_999), "2021-06-21T08:01:00Z");
    }

    #[test]
    fn precise_time_keeps_microseconds() {
        assert_eq!(
            format_precise_time(1_624_262_460_033_333),
            "2021-06-21T08:01:00.033333Z"
        );
    }

    #[test]
    fn clip_time_accepts_spaces_and_fractions() {
        assert_eq!(
            parse_clip_time(" 2021-06-21T08:01:00Z"),
            Ok(1_624_262_460_000_000)
        );
        assert_eq!(
            parse_clip_time("2021-06-21T08:01:00.25Z "),
            Ok(1_624_262_460_250_000)
        );
    }

    #[test]
    fn clip_time_rejects_offsets_and_garbage() {
        assert_eq!(
            parse_clip_time("2021-06-21T08:01:00+08:00"),
            Err(TimeParseError::NotUtc)
        );
        assert_eq!(parse_clip_time("yesterday"), Err(TimeParseError::Malformed));
        assert_eq!(
            parse_clip_time("2021-06-21 08:01:00Z"),
            Err(TimeParseError::Malformed)
        );
    }
}
