//! Tag values: decimal durations, dates, byte ranges, attribute lists.
//! Each returns a message naming what is wrong; the parser adds the line number.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A non-negative decimal number of seconds (`10`, `10.010`, `2.0000001`) as microseconds,
/// rounded to the nearest microsecond. Parsed as text, not through `f64`, so `0.1`
/// summed 36000 times is still exactly one hour.
pub(crate) fn seconds_to_us(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits_only(whole) || !digits_only(fraction) {
        return Err(format!(
            "{text:?} is not a non-negative decimal number of seconds"
        ));
    }
    let too_large = || format!("{text:?} seconds is too large");
    let whole_s: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| too_large())?
    };
    let mut micros: i64 = 0;
    for (i, digit) in fraction.bytes().take(6).enumerate() {
        micros += i64::from(digit - b'0') * 10_i64.pow(5 - i as u32);
    }
    if fraction.as_bytes().get(6).is_some_and(|d| *d >= b'5') {
        micros += 1;
    }
    whole_s
        .checked_mul(1_000_000)
        .and_then(|us| us.checked_add(micros))
        .ok_or_else(too_large)
}

/// `#EXT-X-PROGRAM-DATE-TIME` value as microseconds since the Unix epoch, UTC.
///
/// Accepts what recorders write: `2024-01-01T12:00:00Z`, fractions of any length,
/// `+08:00`, ffmpeg's `+0800`, a bare `+08`, and a space instead of `T`. A value without a
/// zone is refused: guessing the zone would silently move the whole recording.
pub(crate) fn date_time_to_us(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let bad = |why: &str| format!("{text:?} is not an ISO 8601 date-time: {why}");
    let (date_part, rest) = text
        .split_once(['T', 't', ' '])
        .ok_or_else(|| bad("no 'T' between date and time"))?;
    let date = parse_date(date_part).ok_or_else(|| bad("the date is not YYYY-MM-DD"))?;

    let zone_at = rest
        .find(['Z', 'z', '+', '-'])
        .ok_or_else(|| bad("no time zone (Z or +hh:mm)"))?;
    let (clock, zone) = rest.split_at(zone_at);
    let (time, nanos_rounding) =
        parse_clock(clock).ok_or_else(|| bad("the time is not hh:mm:ss[.fff]"))?;
    let offset =
        parse_zone(zone).ok_or_else(|| bad("the time zone is not Z, +hh:mm, +hhmm or +hh"))?;

    let at: OffsetDateTime = PrimitiveDateTime::new(date, time).assume_offset(offset);
    let nanos = at.unix_timestamp_nanos() + nanos_rounding;
    i64::try_from((nanos + 500).div_euclid(1000)).map_err(|_| bad("out of range"))
}

fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.splitn(3, '-');
    let year: i32 = fixed_digits(parts.next()?, 4)?.try_into().ok()?;
    let month: u8 = fixed_digits(parts.next()?, 2)?.try_into().ok()?;
    let day: u8 = fixed_digits(parts.next()?, 2)?.try_into().ok()?;
    Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()
}

/// `hh:mm:ss[.f…]`. The fraction is kept to the nanosecond; the second value is the
/// nanosecond to add when digits beyond nanoseconds round up.
fn parse_clock(text: &str) -> Option<(Time, i128)> {
    let (hms, fraction) = text.split_once(['.', ',']).unwrap_or((text, ""));
    let mut parts = hms.splitn(3, ':');
    let hour: u8 = fixed_digits(parts.next()?, 2)?.try_into().ok()?;
    let minute: u8 = fixed_digits(parts.next()?, 2)?.try_into().ok()?;
    let second: u8 = fixed_digits(parts.next()?, 2)?.try_into().ok()?;
    if !fraction.bytes().all(|b| b.is_ascii_digit())
        || text.contains(['.', ',']) && fraction.is_empty()
    {
        return None;
    }
    let mut nanos: u32 = 0;
    for (i, digit) in fraction.bytes().take(9).enumerate() {
        nanos += u32::from(digit - b'0') * 10_u32.pow(8 - i as u32);
    }
    let round_up = i128::from(fraction.as_bytes().get(9).is_some_and(|d| *d >= b'5'));
    // A leap second (:60) is folded into the last microsecond of :59 rather than refused.
    let (second, nanos) = if second == 60 {
        (59, 999_999_000)
    } else {
        (second, nanos)
    };
    Some((
        Time::from_hms_nano(hour, minute, second, nanos).ok()?,
        round_up,
    ))
}

fn parse_zone(text: &str) -> Option<UtcOffset> {
    if text.eq_ignore_ascii_case("z") {
        return Some(UtcOffset::UTC);
    }
    let sign: i8 = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &text[1..];
    let (hours, minutes) = match (body.len(), body.split_once(':')) {
        (_, Some((h, m))) => (fixed_digits(h, 2)?, fixed_digits(m, 2)?),
        (4, None) => (fixed_digits(&body[..2], 2)?, fixed_digits(&body[2..], 2)?),
        (2, None) => (fixed_digits(body, 2)?, 0),
        _ => return None,
    };
    // time accepts offsets up to 25:59; ISO 8601 zones stop at 23:59.
    if hours > 23 || minutes > 59 {
        return None;
    }
    let hours: i8 = hours.try_into().ok()?;
    let minutes: i8 = minutes.try_into().ok()?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// Exactly `len` ASCII digits.
fn fixed_digits(text: &str, len: usize) -> Option<u32> {
    if text.len() != len || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `#EXT-X-BYTERANGE:<length>[@<offset>]`.
pub(crate) fn byte_range(text: &str) -> Result<(u64, Option<u64>), String> {
    let bad = || format!("{text:?} is not <length>[@<offset>]");
    let (length, offset) = match text.trim().split_once('@') {
        Some((l, o)) => (l, Some(o)),
        None => (text.trim(), None),
    };
    let length = length.parse().map_err(|_| bad())?;
    let offset = offset.map(|o| o.parse().map_err(|_| bad())).transpose()?;
    Ok((length, offset))
}

/// A non-negative integer tag value.
pub(crate) fn integer(text: &str) -> Result<u64, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("{:?} is not a non-negative integer", text.trim()))
}

/// The value of `name` in an attribute list (`METHOD=AES-128,URI="k,1"`), unquoted.
/// Commas inside quoted strings do not split.
pub(crate) fn attribute<'a>(list: &'a str, name: &str) -> Option<&'a str> {
    let mut rest = list;
    while !rest.is_empty() {
        let eq = rest.find('=')?;
        let key = rest[..eq].trim().trim_start_matches(',').trim();
        let after = &rest[eq + 1..];
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let close = quoted.find('"')?;
            (&quoted[..close], &quoted[close + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim(), &after[end..])
        };
        if key == name {
            return Some(value);
        }
        rest = next.trim_start_matches(',');
    }
    None
}

#[cfg(test)]
mod tests;
