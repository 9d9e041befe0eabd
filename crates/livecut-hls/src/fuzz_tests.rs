//! Property tests: a playlist from a recorder or a bucket is outside input. Arbitrary text and
//! real playlists with lines dropped, repeated, cut or garbled are parsed, named and placed on a
//! timeline without a panic. The case count is proptest's (`PROPTEST_CASES`).

use proptest::prelude::*;

use crate::{SegmentTimes, Timeline, parse_media_playlist};

/// Playlists as recorders write them: PROGRAM-DATE-TIME before and after EXTINF, offsets, a
/// map, byte ranges, discontinuities, a live window.
const REAL: [&str; 3] = [
    "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:40\n\
#EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-PROGRAM-DATE-TIME:2026-11-24T19:53:40.838+0800\n\
#EXTINF:2.000000,\nseg040.m4s\n#EXTINF:2.000,\nseg041.m4s\n#EXT-X-DISCONTINUITY\n\
#EXT-X-PROGRAM-DATE-TIME:2026-11-24T11:53:50Z\n#EXTINF:1.5,\nseg042.m4s\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n\
#EXTINF:6.006,\n#EXT-X-BYTERANGE:75232@0\nall.ts\n#EXTINF:6.006,\n#EXT-X-BYTERANGE:82112\nall.ts\n\
#EXT-X-ENDLIST\n",
    "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-MEDIA-SEQUENCE:17\n#EXT-X-TARGETDURATION:4\n\
#EXTINF:4.000,\n1795521220838.ts\n#EXTINF:3.960,\n1795521224838.ts\n#EXTINF:4.040,\n1795521228798.ts\n",
];

/// One damage to a playlist's lines.
#[derive(Debug, Clone)]
enum Damage {
    Drop(usize),
    Repeat(usize),
    Cut(usize, usize),
    Garble(usize, String),
    Insert(usize, String),
}

fn damage() -> impl Strategy<Value = Damage> {
    let tag = prop::sample::select(vec![
        "#EXTINF:",
        "#EXT-X-PROGRAM-DATE-TIME:",
        "#EXT-X-MAP:URI=",
        "#EXT-X-BYTERANGE:",
        "#EXT-X-MEDIA-SEQUENCE:",
        "#EXT-X-DISCONTINUITY",
        "#EXT-X-ENDLIST",
        "#EXT-X-TARGETDURATION:",
        "#EXT-X-DISCONTINUITY-SEQUENCE:",
        "#EXT-X-GAP",
    ]);
    prop_oneof![
        any::<usize>().prop_map(Damage::Drop),
        any::<usize>().prop_map(Damage::Repeat),
        (any::<usize>(), any::<usize>()).prop_map(|(l, c)| Damage::Cut(l, c)),
        (any::<usize>(), ".{0,40}").prop_map(|(l, s)| Damage::Garble(l, s)),
        (any::<usize>(), tag, "[-0-9.:@TZ+e,\"a-z/]{0,40}")
            .prop_map(|(l, t, v)| Damage::Insert(l, format!("{t}{v}"))),
    ]
}

fn apply(text: &str, damages: &[Damage]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for d in damages {
        if lines.is_empty() {
            break;
        }
        let at = |i: usize| i % lines.len();
        match d {
            Damage::Drop(i) => {
                let i = at(*i);
                lines.remove(i);
            }
            Damage::Repeat(i) => {
                let i = at(*i);
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            Damage::Cut(i, c) => {
                let i = at(*i);
                let chars: Vec<char> = lines[i].chars().collect();
                lines[i] = chars[..c % (chars.len() + 1)].iter().collect();
            }
            Damage::Garble(i, s) => {
                let i = at(*i);
                lines[i] = s.clone();
            }
            Damage::Insert(i, s) => {
                let i = at(*i);
                lines.insert(i, s.clone());
            }
        }
    }
    lines.join("\n") + "\n"
}

fn read(text: &str) {
    let Ok(playlist) = parse_media_playlist(text) else {
        return;
    };
    for times in [SegmentTimes::NameEpochMs, SegmentTimes::NameUnixSeconds] {
        let mut named = playlist.clone();
        let _ = times.apply(&mut named);
        let _ = Timeline::build(std::slice::from_ref(&named));
    }
    if let Ok(t) = Timeline::build(std::slice::from_ref(&playlist))
        && let Some((a, b)) = t.span()
    {
        let _ = t.overlapping(a, b);
        let _ = t.gaps(a.saturating_sub(1_000_000), b.saturating_add(1_000_000));
    }
}

proptest! {
    #[test]
    fn damaged_real_playlists_never_panic(
        which in 0..REAL.len(),
        damages in prop::collection::vec(damage(), 1..8),
    ) {
        read(&apply(REAL[which], &damages));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "(#EXT[-A-Z:=,.0-9@\"]{0,30}\n|[^\n]{0,30}\n){0,20}") {
        read(&text);
    }

    #[test]
    fn segment_time_modes_and_names_never_panic(
        mode in "(name-strftime:)?[%YmdHMSf%_.:@+-0-9a-zA-Z]{0,24}",
        name in "[0-9a-zA-Z_./:-]{0,40}",
    ) {
        if let Ok(times) = mode.parse::<SegmentTimes>() {
            let _ = times.time_of(&name);
            let _ = times.to_string();
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        read(&String::from_utf8_lossy(&bytes));
    }
}
