//! The index playlist of a stream: every segment of a window of its timeline, each with its
//! `#EXT-X-PROGRAM-DATE-TIME`, so a player shows (and an editor picks) UTC times.

use std::fmt::Write;

use livecut_hls::TimedSegment;

/// One segment of the playlist and the links to it and to its fMP4 init section.
pub struct Entry<'a> {
    pub segment: &'a TimedSegment,
    pub media: String,
    pub init: Option<String>,
}

/// Writes the playlist. `ended`: nothing will be added to this window (VOD with ENDLIST);
/// otherwise an EVENT playlist that players reload as the recording grows (the window's start is
/// fixed, so media sequence numbers stay put across reloads).
pub fn write(entries: &[Entry<'_>], ended: bool) -> String {
    let longest_us = entries
        .iter()
        .map(|e| file_span(e.segment).1)
        .max()
        .unwrap_or(0);
    let mut out = String::with_capacity(160 + entries.len() * 200);
    out.push_str("#EXTM3U\n#EXT-X-VERSION:7\n");
    // EXTINF rounded to the nearest second must not exceed it.
    let _ = writeln!(
        out,
        "#EXT-X-TARGETDURATION:{}",
        ((longest_us + 999_999) / 1_000_000).max(1)
    );
    out.push_str("#EXT-X-MEDIA-SEQUENCE:0\n");
    out.push_str(if ended {
        "#EXT-X-PLAYLIST-TYPE:VOD\n"
    } else {
        "#EXT-X-PLAYLIST-TYPE:EVENT\n"
    });
    let mut init_in_force: Option<&str> = None;
    for (k, e) in entries.iter().enumerate() {
        let (start_us, duration_us) = file_span(e.segment);
        // A discontinuity of the timeline (another run, a gap, a time jump) is one for the
        // player too: it must not expect continuous timestamps across it.
        let discontinuity = k > 0 && e.segment.discontinuity;
        if discontinuity {
            out.push_str("#EXT-X-DISCONTINUITY\n");
        }
        if let Some(init) = &e.init
            && (discontinuity || init_in_force != Some(init.as_str()))
        {
            let _ = writeln!(out, "#EXT-X-MAP:URI=\"{init}\"");
            init_in_force = Some(init);
        }
        let _ = writeln!(out, "#EXT-X-PROGRAM-DATE-TIME:{}", pdt(start_us));
        let _ = writeln!(
            out,
            "#EXTINF:{}.{:06},",
            duration_us / 1_000_000,
            duration_us % 1_000_000
        );
        out.push_str(&e.media);
        out.push('\n');
    }
    if ended {
        out.push_str("#EXT-X-ENDLIST\n");
    }
    out
}

/// The whole file's start and duration (a piece that another recording partly covers is still
/// played whole: the player gets the file, not a part of it).
fn file_span(s: &TimedSegment) -> (i64, i64) {
    (
        s.start_us - s.media_offset_us,
        (s.end_us - s.start_us + s.media_offset_us).max(0),
    )
}

/// Milliseconds, as every player parses them (`Date.parse` takes three digits).
fn pdt(us: i64) -> String {
    let precise = crate::clock::format_precise_time(us);
    // "…:ss.uuuuuuZ" → "…:ss.mmmZ"
    match precise.len().checked_sub(4) {
        Some(cut) if precise.is_char_boundary(cut) => format!("{}Z", &precise[..cut]),
        _ => precise,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use livecut_hls::MapSection;

    fn seg(start_us: i64, dur_us: i64, discontinuity: bool, map: Option<&str>) -> TimedSegment {
        TimedSegment {
            playlist_index: 0,
            segment_index: 0,
            uri: "x".into(),
            sequence: 0,
            start_us,
            end_us: start_us + dur_us,
            media_offset_us: 0,
            byte_range: None,
            map: map.map(|m| MapSection {
                uri: m.into(),
                byte_range: None,
            }),
            discontinuity,
        }
    }

    #[test]
    fn every_segment_is_dated_and_runs_are_separated() {
        // 2021-06-21T08:01:00Z
        let t0 = 1_624_262_460_000_000;
        let segs = [
            seg(t0, 2_000_000, true, Some("i1")),
            seg(t0 + 2_000_000, 2_002_000, false, Some("i1")),
            seg(t0 + 9_000_000, 1_500_000, true, Some("i1")),
        ];
        let entries: Vec<Entry<'_>> = segs
            .iter()
            .enumerate()
            .map(|(k, s)| Entry {
                segment: s,
                media: format!("https://h/s{k}"),
                init: s.map.as_ref().map(|m| format!("https://h/{}", m.uri)),
            })
            .collect();
        let text = write(&entries, true);
        assert_eq!(
            text,
            "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:3\n#EXT-X-MEDIA-SEQUENCE:0\n\
             #EXT-X-PLAYLIST-TYPE:VOD\n\
             #EXT-X-MAP:URI=\"https://h/i1\"\n\
             #EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:00.000Z\n#EXTINF:2.000000,\nhttps://h/s0\n\
             #EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:02.000Z\n#EXTINF:2.002000,\nhttps://h/s1\n\
             #EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"https://h/i1\"\n\
             #EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:09.000Z\n#EXTINF:1.500000,\nhttps://h/s2\n\
             #EXT-X-ENDLIST\n"
        );
        // The playlist reads back as the same timeline.
        let parsed = livecut_hls::parse_media_playlist(&text).unwrap();
        assert_eq!(parsed.segments.len(), 3);
        assert_eq!(
            parsed.segments[2].program_date_time_us,
            Some(t0 + 9_000_000)
        );
        assert!(parsed.segments[2].discontinuity);
        assert!(parsed.ended);
    }

    #[test]
    fn a_growing_window_is_an_event_playlist_without_end() {
        let s = seg(0, 1_000_000, true, None);
        let text = write(
            &[Entry {
                segment: &s,
                media: "m".into(),
                init: None,
            }],
            false,
        );
        assert!(text.contains("#EXT-X-PLAYLIST-TYPE:EVENT\n"), "{text}");
        assert!(!text.contains("ENDLIST"));
        assert!(!text.contains("EXT-X-MAP"));
    }
}
