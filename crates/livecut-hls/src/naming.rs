//! Where a segment's UTC time comes from when the playlist has no `#EXT-X-PROGRAM-DATE-TIME`:
//! the recorder's own file names. nginx-rtmp (`hls_fragment_naming system`) and SRS
//! (`[timestamp]`) put epoch milliseconds in them, Alibaba Live `{UnixTimestamp}_{Sequence}`
//! unix seconds, SRS `[2006][01][02]…` and the ffmpeg CLI's `-strftime 1` a calendar time in
//! the recorder's zone.
//!
//! The anchor rule: a name gives the time of the segment's first frame only to a name's
//! resolution, and stamping jitters. So a name anchors only the first segment of a run (the
//! playlist's first, one after `#EXT-X-DISCONTINUITY`, or one whose name jumps away from where
//! the previous segment ends by more than the name's resolution); the segments after it follow
//! from the `#EXTINF` durations, so a frame's UTC time is the same whichever segment a clip
//! starts in.

use std::fmt;
use std::str::FromStr;

use crate::error::HlsError;
use crate::playlist::MediaPlaylist;

/// How the segments of a playlist get their UTC times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SegmentTimes {
    /// `#EXT-X-PROGRAM-DATE-TIME` (the default).
    Pdt,
    /// Epoch milliseconds in the name: its last run of 13 digits.
    NameEpochMs,
    /// Unix seconds in the name: its first run of 10 digits.
    NameUnixSeconds,
    /// A calendar time in the name, as a strftime-style pattern (`%Y %m %d %H %M %S`, `%f` for
    /// six digits of microseconds as MediaMTX writes them, `%%`,
    /// other characters literal), found anywhere in the name, in a zone `offset_s` east of UTC.
    NameStrftime { pattern: String, offset_s: i32 },
    /// The times livecut's ingestion observed: the playlist is watched, each new segment goes
    /// to the segment index placed by when it appeared (or its file's modification time), and
    /// segments that follow one another are chained by their durations. For recorders that
    /// write neither PROGRAM-DATE-TIME nor times in names (GStreamer's hlssink2, nginx-rtmp's
    /// sequential names). Such a playlist is never timed from its text.
    Hook,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentTimesError {
    #[error(
        "{0:?} is not a segment-times mode: use pdt, name-epoch-ms, name-unix-seconds, name-strftime:PATTERN[@ZONE] or hook"
    )]
    Unknown(String),
    #[error("name-strftime pattern {0:?}: {1}")]
    Pattern(String, String),
    #[error(
        "zone {0:?}: give it as an offset from UTC (+0800, -04:00, Z or UTC); zone names are not read"
    )]
    Zone(String),
}

impl FromStr for SegmentTimes {
    type Err = SegmentTimesError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "pdt" => return Ok(SegmentTimes::Pdt),
            "name-epoch-ms" => return Ok(SegmentTimes::NameEpochMs),
            "name-unix-seconds" => return Ok(SegmentTimes::NameUnixSeconds),
            "hook" => return Ok(SegmentTimes::Hook),
            _ => {}
        }
        let Some(rest) = s.strip_prefix("name-strftime:") else {
            return Err(SegmentTimesError::Unknown(s.to_string()));
        };
        let (pattern, zone) = match rest.rsplit_once('@') {
            Some((p, z)) => (p, Some(z)),
            None => (rest, None),
        };
        let offset_s = match zone {
            None => 0,
            Some(z) => parse_offset(z).ok_or_else(|| SegmentTimesError::Zone(z.to_string()))?,
        };
        check_pattern(pattern)?;
        Ok(SegmentTimes::NameStrftime {
            pattern: pattern.to_string(),
            offset_s,
        })
    }
}

impl fmt::Display for SegmentTimes {
    /// The form `FromStr` reads back (what the recording index stores).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentTimes::Pdt => f.write_str("pdt"),
            SegmentTimes::NameEpochMs => f.write_str("name-epoch-ms"),
            SegmentTimes::NameUnixSeconds => f.write_str("name-unix-seconds"),
            SegmentTimes::Hook => f.write_str("hook"),
            SegmentTimes::NameStrftime { pattern, offset_s } => {
                let sign = if *offset_s < 0 { '-' } else { '+' };
                let a = offset_s.unsigned_abs();
                write!(
                    f,
                    "name-strftime:{pattern}@{sign}{:02}{:02}",
                    a / 3600,
                    a % 3600 / 60
                )
            }
        }
    }
}

/// `+0800`, `+08:00`, `-0400`, `Z`, `UTC` → seconds east of UTC.
fn parse_offset(z: &str) -> Option<i32> {
    if z == "Z" || z == "UTC" {
        return Some(0);
    }
    let (sign, rest) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = digits[2..].parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn check_pattern(pattern: &str) -> Result<(), SegmentTimesError> {
    let bad = |m: &str| SegmentTimesError::Pattern(pattern.to_string(), m.to_string());
    let mut chars = pattern.chars();
    let mut fields = Vec::new();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some(k @ ('Y' | 'm' | 'd' | 'H' | 'M' | 'S' | 'f')) => fields.push(k),
                Some('%') => {}
                Some(k) => {
                    return Err(bad(&format!("%{k} is not read (use %Y %m %d %H %M %S %f)")));
                }
                None => return Err(bad("ends in a lone %")),
            }
        }
    }
    for needed in ['Y', 'm', 'd', 'H', 'M'] {
        if !fields.contains(&needed) {
            return Err(bad(&format!("needs %{needed}")));
        }
    }
    Ok(())
}

impl SegmentTimes {
    /// Sets the segments' UTC times from their names (nothing for `Pdt`), by the anchor rule of
    /// this module. A name the mode cannot read is an error naming the segment.
    pub fn apply(&self, playlist: &mut MediaPlaylist) -> Result<(), HlsError> {
        let resolution_us = match self {
            // A watched playlist's times are in the segment index, not in its text.
            SegmentTimes::Pdt | SegmentTimes::Hook => return Ok(()),
            SegmentTimes::NameEpochMs => 1_000,
            SegmentTimes::NameUnixSeconds | SegmentTimes::NameStrftime { .. } => 1_000_000,
        };
        // Jitter of a recorder's stamp on top of the name's resolution.
        let slack_us = resolution_us + 500_000;
        // Where the previous segment ends, by its start and duration.
        let mut expected: Option<i64> = None;
        for seg in &mut playlist.segments {
            let name = seg
                .uri
                .split(['?', '#'])
                .next()
                .unwrap_or(&seg.uri)
                .rsplit('/')
                .next()
                .unwrap_or("");
            let named = self.time_of(name).ok_or_else(|| HlsError::SegmentName {
                uri: seg.uri.clone(),
                mode: self.to_string(),
            })?;
            let follows = match (expected, seg.discontinuity) {
                (Some(e), false) => (named - e).abs() <= slack_us,
                _ => false,
            };
            // Within a run the durations place the segment; a run starts at its name.
            let start = if follows {
                expected.unwrap_or(named)
            } else {
                named
            };
            seg.program_date_time_us = (!follows).then_some(named);
            expected = Some(start + seg.duration_us);
        }
        Ok(())
    }

    /// The UTC microseconds a file name says, if this mode can read it.
    pub fn time_of(&self, name: &str) -> Option<i64> {
        match self {
            SegmentTimes::Pdt | SegmentTimes::Hook => None,
            SegmentTimes::NameEpochMs => digit_runs(name)
                .filter(|r| r.len() == 13)
                .last()?
                .parse::<i64>()
                .ok()
                .map(|ms| ms * 1000),
            SegmentTimes::NameUnixSeconds => digit_runs(name)
                .find(|r| r.len() == 10)?
                .parse::<i64>()
                .ok()
                .map(|s| s * 1_000_000),
            SegmentTimes::NameStrftime { pattern, offset_s } => (0..name.len())
                .filter(|i| name.is_char_boundary(*i))
                .find_map(|i| match_at(pattern, &name[i..]))
                .map(|local_us| local_us - i64::from(*offset_s) * 1_000_000),
        }
    }
}

fn digit_runs(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|r| !r.is_empty())
}

/// Matches `pattern` at the start of `text`: the local time it names, in microseconds since
/// the epoch as if the zone were UTC.
fn match_at(pattern: &str, text: &str) -> Option<i64> {
    let (mut y, mut mo, mut d, mut h, mut mi, mut s) = (None, None, None, None, None, Some(0));
    let mut micros = 0u32;
    let mut t = text;
    let mut p = pattern.chars();
    while let Some(c) = p.next() {
        if c != '%' {
            t = t.strip_prefix(c)?;
            continue;
        }
        let k = p.next()?;
        if k == '%' {
            t = t.strip_prefix('%')?;
            continue;
        }
        // %f: MediaMTX's six digits of microseconds.
        let width = match k {
            'Y' => 4,
            'f' => 6,
            _ => 2,
        };
        let digits = t.get(..width)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: u32 = digits.parse().ok()?;
        t = &t[width..];
        match k {
            'Y' => y = Some(v as i32),
            'm' => mo = Some(v),
            'd' => d = Some(v),
            'H' => h = Some(v),
            'M' => mi = Some(v),
            'S' => s = Some(v),
            'f' => micros = v,
            _ => return None,
        }
    }
    let month = time::Month::try_from(u8::try_from(mo?).ok()?).ok()?;
    let date = time::Date::from_calendar_date(y?, month, u8::try_from(d?).ok()?).ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(h?).ok()?,
        u8::try_from(mi?).ok()?,
        u8::try_from(s?).ok()?,
    )
    .ok()?;
    let seconds = time::PrimitiveDateTime::new(date, clock)
        .assume_utc()
        .unix_timestamp();
    Some(seconds * 1_000_000 + i64::from(micros))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_media_playlist;

    fn playlist(names: &[&str], discontinuity_before: Option<usize>) -> MediaPlaylist {
        let mut text = String::from(
            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n",
        );
        for (i, n) in names.iter().enumerate() {
            if discontinuity_before == Some(i) {
                text.push_str("#EXT-X-DISCONTINUITY\n");
            }
            text.push_str(&format!("#EXTINF:2.000,\n{n}\n"));
        }
        text.push_str("#EXT-X-ENDLIST\n");
        parse_media_playlist(&text).unwrap()
    }

    fn times(p: &MediaPlaylist) -> Vec<Option<i64>> {
        p.segments.iter().map(|s| s.program_date_time_us).collect()
    }

    #[test]
    fn modes_read_back_what_they_print() {
        for m in [
            "pdt",
            "name-epoch-ms",
            "name-unix-seconds",
            "hook",
            "name-strftime:rec-%Y%m%d-%H%M%S@+0800",
            "name-strftime:%Y-%m-%d_%H-%M-%S@-0400",
        ] {
            let parsed: SegmentTimes = m.parse().unwrap();
            assert_eq!(parsed.to_string(), m);
        }
        assert_eq!(
            "name-strftime:%Y%m%d%H%M%S@UTC"
                .parse::<SegmentTimes>()
                .unwrap()
                .to_string(),
            "name-strftime:%Y%m%d%H%M%S@+0000"
        );
        assert!(matches!(
            "arrival".parse::<SegmentTimes>(),
            Err(SegmentTimesError::Unknown(_))
        ));
        assert!(matches!(
            "name-strftime:%Y%m%d@+0800".parse::<SegmentTimes>(),
            Err(SegmentTimesError::Pattern(..))
        ));
        assert!(matches!(
            "name-strftime:%Y%m%d%H%M@Asia/Shanghai".parse::<SegmentTimes>(),
            Err(SegmentTimesError::Zone(_))
        ));
    }

    #[test]
    fn epoch_ms_names_anchor_a_run_and_durations_place_the_rest() {
        // nginx-rtmp `hls_fragment_naming system`: the second name is 7 ms late (stamp
        // jitter), the fourth starts a new run after a 60 s pause.
        let mut p = playlist(
            &[
                "cam1-1795514400000.ts",
                "cam1-1795514402007.ts",
                "cam1-1795514404001.ts",
                "cam1-1795514466000.ts",
            ],
            None,
        );
        SegmentTimes::NameEpochMs.apply(&mut p).unwrap();
        let ms = 1000;
        assert_eq!(
            times(&p),
            vec![
                Some(1_795_514_400_000 * ms),
                None,
                None,
                Some(1_795_514_466_000 * ms)
            ]
        );
    }

    #[test]
    fn unix_seconds_and_strftime_names_and_discontinuities() {
        // Alibaba Live `{UnixTimestamp}_{Sequence}`; a discontinuity re-anchors even where the
        // name would follow.
        let mut p = playlist(
            &["1795514400_1.ts", "1795514402_2.ts", "1795514404_3.ts"],
            Some(2),
        );
        SegmentTimes::NameUnixSeconds.apply(&mut p).unwrap();
        let s = 1_000_000;
        assert_eq!(
            times(&p),
            vec![Some(1_795_514_400 * s), None, Some(1_795_514_404 * s)]
        );

        // SRS `[2006][01][02]-[15][04][05]` in server time, UTC+8: 18:00:00 local = 10:00 UTC.
        let mode: SegmentTimes = "name-strftime:%Y%m%d-%H%M%S@+0800".parse().unwrap();
        let mut p = playlist(
            &[
                "live/cam1-20261124-180000.ts",
                "live/cam1-20261124-180002.ts",
            ],
            None,
        );
        mode.apply(&mut p).unwrap();
        assert_eq!(times(&p), vec![Some(1_795_514_400 * s), None]);
    }

    #[test]
    fn mediamtx_names_carry_microseconds() {
        let mode: SegmentTimes = "name-strftime:%Y-%m-%d_%H-%M-%S-%f@Z".parse().unwrap();
        assert_eq!(
            mode.time_of("2026-11-24_10-00-02-033333.mp4"),
            Some(1_795_514_402_033_333)
        );
        assert_eq!(mode.time_of("2026-11-24_10-00-02.mp4"), None);
    }

    #[test]
    fn a_name_the_mode_cannot_read_is_named() {
        let mut p = playlist(&["cam1-1795514400000.ts", "segment-2.ts"], None);
        let e = SegmentTimes::NameEpochMs.apply(&mut p).unwrap_err();
        assert!(e.to_string().contains("segment-2.ts"), "{e}");
        assert!(e.to_string().contains("name-epoch-ms"), "{e}");
    }
}
