use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::error::{AuthError, excerpt};

/// How far a request time may be from the server clock, either way: the gateway rejects
/// requests more than 15 minutes off.
pub const TIME_WINDOW: Duration = Duration::minutes(15);

/// Parses a request time. RFC 3339 is accepted in full (offsets, fractions) because
/// hand-written clients vary; the SDK always sends `yyyy-MM-ddTHH:mm:ssZ`.
pub(crate) fn parse_request_time(
    field: &'static str,
    value: &str,
) -> Result<OffsetDateTime, AuthError> {
    OffsetDateTime::parse(value.trim(), &Rfc3339).map_err(|_| AuthError::BadTimestamp {
        field,
        value: excerpt(value),
    })
}

/// Formats a time the way the SDK writes `x-acs-date` / `Timestamp`.
pub(crate) fn format_request_time(at: OffsetDateTime) -> String {
    let utc = at.to_offset(UtcOffset::UTC);
    let layout = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    // Formatting a valid date with only numeric components cannot fail; the fallback keeps
    // this infallible without a panic path.
    utc.format(layout)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

pub(crate) fn check_window(
    field: &'static str,
    request_time: OffsetDateTime,
    now: OffsetDateTime,
) -> Result<(), AuthError> {
    let skew = request_time - now;
    if skew.abs() > TIME_WINDOW {
        return Err(AuthError::Expired {
            field,
            request_time: format_request_time(request_time),
            server_time: format_request_time(now),
            skew_s: skew.whole_seconds(),
            window_s: TIME_WINDOW.whole_seconds(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn parses_sdk_format_offsets_and_fractions() {
        let t = parse_request_time("x-acs-date", "2026-11-23T22:40:35Z");
        assert_eq!(t, Ok(datetime!(2026-11-23 22:40:35 UTC)));
        let t = parse_request_time("x-acs-date", "2026-11-24T06:40:35.250+08:00");
        assert_eq!(t, Ok(datetime!(2026-11-23 22:40:35.25 UTC)));
    }

    #[test]
    fn rejects_malformed_times() {
        for bad in [
            "",
            "2026-11-23 22:40:35",
            "1700000000",
            "2026-13-01T00:00:00Z",
        ] {
            assert!(
                matches!(
                    parse_request_time("Timestamp", bad),
                    Err(AuthError::BadTimestamp {
                        field: "Timestamp",
                        ..
                    })
                ),
                "{bad:?} was accepted"
            );
        }
    }

    #[test]
    fn formats_in_utc_without_fraction() {
        let t = datetime!(2026-11-24 06:40:35.9 +08:00);
        assert_eq!(format_request_time(t), "2026-11-23T22:40:35Z");
    }

    #[test]
    fn window_is_inclusive_fifteen_minutes_both_ways() {
        let now = datetime!(2026-01-01 12:00:00 UTC);
        assert!(check_window("x-acs-date", now - TIME_WINDOW, now).is_ok());
        assert!(check_window("x-acs-date", now + TIME_WINDOW, now).is_ok());
        let past = check_window("x-acs-date", now - TIME_WINDOW - Duration::seconds(1), now);
        assert!(matches!(past, Err(AuthError::Expired { skew_s: -901, .. })));
        let future = check_window("x-acs-date", now + Duration::hours(1), now);
        assert!(matches!(
            future,
            Err(AuthError::Expired { skew_s: 3600, .. })
        ));
    }
}
