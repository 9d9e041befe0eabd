//! The generated HLS playlist: rendering and atomic replacement on disk.

use std::fmt::Write as _;
use std::path::Path;

/// One `#EXTINF` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaylistEntry {
    pub uri: String,
    pub utc_start_us: i64,
    pub duration_us: i64,
}

/// Days since 1970-01-01 -> (year, month, day) in the proleptic Gregorian
/// calendar (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `2026-11-24T10:00:00.000Z`, rounded to the nearest millisecond.
pub fn format_program_date_time(utc_us: i64) -> String {
    let ms = (utc_us + 500).div_euclid(1000);
    let (secs, millis) = (ms.div_euclid(1000), ms.rem_euclid(1000));
    let (days, in_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        in_day / 3600,
        (in_day / 60) % 60,
        in_day % 60
    )
}

/// Renders a media playlist with a PROGRAM-DATE-TIME before every segment.
pub fn render(
    entries: &[PlaylistEntry],
    target_duration_s: u64,
    media_sequence: u64,
    ended: bool,
) -> String {
    let mut out = String::new();
    out.push_str("#EXTM3U\n#EXT-X-VERSION:3\n");
    let _ = writeln!(out, "#EXT-X-TARGETDURATION:{target_duration_s}");
    let _ = writeln!(out, "#EXT-X-MEDIA-SEQUENCE:{media_sequence}");
    if ended {
        out.push_str("#EXT-X-PLAYLIST-TYPE:VOD\n");
    }
    for entry in entries {
        let _ = writeln!(
            out,
            "#EXT-X-PROGRAM-DATE-TIME:{}",
            format_program_date_time(entry.utc_start_us)
        );
        let secs = entry.duration_us / 1_000_000;
        let micros = entry.duration_us % 1_000_000;
        let _ = writeln!(out, "#EXTINF:{secs}.{micros:06},");
        let _ = writeln!(out, "{}", entry.uri);
    }
    if ended {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    out
}

/// Replaces `path` atomically so a reader polling a live playlist never
/// sees a half-written file.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("m3u8.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-24T10:00:00Z in microseconds since the epoch.
    const T0: i64 = 1_795_514_400_000_000;

    #[test]
    fn formats_program_date_time() {
        assert_eq!(format_program_date_time(T0), "2026-11-24T10:00:00.000Z");
        assert_eq!(
            format_program_date_time(T0 + 2_033_333),
            "2026-11-24T10:00:02.033Z"
        );
        assert_eq!(
            format_program_date_time(T0 + 2_033_500),
            "2026-11-24T10:00:02.034Z"
        );
        assert_eq!(format_program_date_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_program_date_time(951_782_400_000_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(format_program_date_time(-1_000), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn renders_every_tag() {
        let entries = vec![
            PlaylistEntry {
                uri: "seg00000.ts".into(),
                utc_start_us: T0,
                duration_us: 2_000_000,
            },
            PlaylistEntry {
                uri: "seg00001.ts".into(),
                utc_start_us: T0 + 2_000_000,
                duration_us: 2_002_000,
            },
        ];
        let live = render(&entries, 3, 7, false);
        assert!(!live.contains("ENDLIST"));
        let text = render(&entries, 3, 7, true);
        let expected = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:3\n\
#EXT-X-MEDIA-SEQUENCE:7\n#EXT-X-PLAYLIST-TYPE:VOD\n\
#EXT-X-PROGRAM-DATE-TIME:2026-11-24T10:00:00.000Z\n#EXTINF:2.000000,\nseg00000.ts\n\
#EXT-X-PROGRAM-DATE-TIME:2026-11-24T10:00:02.000Z\n#EXTINF:2.002000,\nseg00001.ts\n\
#EXT-X-ENDLIST\n";
        assert_eq!(text, expected);
    }
}
