use super::*;
use crate::parse_media_playlist;
use crate::playlist::Segment;

const S: i64 = 1_000_000;
const MS: i64 = 1_000;
/// 2021-06-21T08:01:00Z
const T0: i64 = 1_624_262_460_000_000;

/// A segment of `dur` microseconds, optionally with a date.
fn seg(uri: &str, dur: i64, pdt: Option<i64>) -> Segment {
    Segment {
        uri: uri.into(),
        sequence: 0,
        duration_us: dur,
        program_date_time_us: pdt,
        discontinuity: false,
        gap: false,
        byte_range: None,
        map: None,
    }
}

fn playlist(segments: Vec<Segment>) -> MediaPlaylist {
    let segments = segments
        .into_iter()
        .enumerate()
        .map(|(i, s)| Segment {
            sequence: 100 + i as u64,
            ..s
        })
        .collect();
    MediaPlaylist {
        target_duration_s: 2,
        media_sequence: 100,
        discontinuity_sequence: 0,
        playlist_type: None,
        ended: true,
        segments,
    }
}

/// `n` two-second segments named `{prefix}{i}.ts`, dated only at the first.
fn run(prefix: &str, n: usize, start: i64) -> MediaPlaylist {
    playlist(
        (0..n)
            .map(|i| seg(&format!("{prefix}{i}.ts"), 2 * S, (i == 0).then_some(start)))
            .collect(),
    )
}

fn build(playlists: &[MediaPlaylist]) -> Timeline {
    match Timeline::build(playlists) {
        Ok(t) => t,
        Err(e) => panic!("{e}"),
    }
}

fn uris(segments: &[&TimedSegment]) -> Vec<String> {
    segments.iter().map(|s| s.uri.clone()).collect()
}

fn all(t: &Timeline) -> Vec<&TimedSegment> {
    t.segments().iter().collect()
}

#[test]
fn date_then_durations_place_segments_back_to_back() {
    let t = build(&[run("a", 3, T0)]);
    let starts: Vec<(i64, i64)> = t
        .segments()
        .iter()
        .map(|s| (s.start_us, s.end_us))
        .collect();
    assert_eq!(
        starts,
        [
            (T0, T0 + 2 * S),
            (T0 + 2 * S, T0 + 4 * S),
            (T0 + 4 * S, T0 + 6 * S)
        ]
    );
    assert_eq!(t.span(), Some((T0, T0 + 6 * S)));
    let first = &t.segments()[0];
    assert_eq!(
        (first.sequence, first.media_offset_us, first.playlist_index),
        (100, 0, 0)
    );
    assert!(first.discontinuity, "nothing precedes the first piece");
    assert!(!t.segments()[1].discontinuity);
    assert!(!t.segments()[2].discontinuity);
}

#[test]
fn overlapping_is_end_exclusive() {
    let t = build(&[run("a", 3, T0)]);
    assert_eq!(uris(&t.overlapping(T0, T0 + 2 * S)), ["a0.ts"]);
    assert_eq!(uris(&t.overlapping(T0 + S, T0 + 3 * S)), ["a0.ts", "a1.ts"]);
    assert_eq!(uris(&t.overlapping(T0 + 2 * S, T0 + 2 * S + 1)), ["a1.ts"]);
    assert_eq!(uris(&t.overlapping(T0 - 10 * S, T0 + 100 * S)).len(), 3);
    assert!(t.overlapping(T0 + 6 * S, T0 + 8 * S).is_empty());
    assert!(t.overlapping(T0 - 2 * S, T0).is_empty());
    assert!(t.overlapping(T0 + 3 * S, T0 + 3 * S).is_empty());
    assert!(t.overlapping(T0 + 3 * S, T0 + S).is_empty());
}

#[test]
fn gaps_at_start_middle_and_end() {
    let t = build(&[playlist(vec![
        seg("a.ts", 2 * S, Some(T0)),
        seg("b.ts", 2 * S, None),
        seg("c.ts", 2 * S, Some(T0 + 10 * S)),
    ])]);
    assert_eq!(
        t.gaps(T0 - 3 * S, T0 + 15 * S),
        [
            (T0 - 3 * S, T0),
            (T0 + 4 * S, T0 + 10 * S),
            (T0 + 12 * S, T0 + 15 * S)
        ]
    );
    assert_eq!(t.gaps(T0, T0 + 4 * S), []);
    assert_eq!(t.gaps(T0 + 5 * S, T0 + 6 * S), [(T0 + 5 * S, T0 + 6 * S)]);
    assert_eq!(t.gaps(T0 + 6 * S, T0 + 5 * S), []);
    assert_eq!(
        uris(&t.overlapping(T0 + S, T0 + 11 * S)),
        ["a.ts", "b.ts", "c.ts"]
    );
    assert!(t.segments()[2].discontinuity, "a time jump re-anchors");
}

#[test]
fn jitter_within_tolerance_is_no_gap_and_edges_are_kept() {
    // Dates stamped from a wall clock: 1 ms late, then 30 ms early. Within the tolerance, so the
    // run goes on by durations: b and c start where the segment before them ends.
    let t = build(&[playlist(vec![
        seg("a.ts", 2 * S, Some(T0)),
        seg("b.ts", 2 * S, Some(T0 + 2 * S + MS)),
        seg("c.ts", 2 * S, Some(T0 + 4 * S - 30 * MS)),
    ])]);
    let starts: Vec<i64> = t.segments().iter().map(|s| s.start_us - T0).collect();
    assert_eq!(starts, [0, 2 * S, 4 * S]);
    assert_eq!(t.gaps(T0, T0 + 6 * S), []);
    assert!(t.segments().iter().all(|s| s.media_offset_us == 0));
    assert!(!t.segments()[1].discontinuity && !t.segments()[2].discontinuity);
    // A range starting just before c's date still gets b, which holds its first frames.
    assert_eq!(
        uris(&t.overlapping(T0 + 4 * S - 30 * MS, T0 + 5 * S)),
        ["b.ts", "c.ts"]
    );
    // A range reaching 1 ms past a's end gets b.
    assert_eq!(
        uris(&t.overlapping(T0, T0 + 2 * S + 2 * MS)),
        ["a.ts", "b.ts"]
    );
    // But a sliver that is all there is still counts.
    assert_eq!(uris(&t.overlapping(T0 + 2 * S - MS, T0 + 2 * S)), ["a.ts"]);
}

#[test]
fn a_run_is_placed_by_one_rule_whatever_its_dates_jitter() {
    // Every other date a frame (33 ms) late: the run stays on its first date plus durations,
    // so the same frame has the same time whichever segment a clip starts in. A jump beyond
    // the tolerance, or a discontinuity, re-anchors at the date.
    let mut segments: Vec<Segment> = (0..6_i64)
        .map(|k| {
            let late = if k % 2 == 1 { 33 * MS } else { 0 };
            seg(&format!("{k}.ts"), 2 * S, Some(T0 + k * 2 * S + late))
        })
        .collect();
    segments.push(seg("jump.ts", 2 * S, Some(T0 + 12 * S + 400 * MS)));
    let mut after_break = seg("restart.ts", 2 * S, Some(T0 + 14 * S + 420 * MS));
    after_break.discontinuity = true;
    segments.push(after_break);
    let t = build(&[playlist(segments)]);
    let starts: Vec<i64> = t
        .segments()
        .iter()
        .map(|s| (s.start_us - T0) / MS)
        .collect();
    assert_eq!(starts, [0, 2000, 4000, 6000, 8000, 10000, 12400, 14420]);
}

#[test]
fn holes_longer_than_tolerance_are_reported() {
    let t = build(&[playlist(vec![
        seg("a.ts", 2 * S, Some(T0)),
        seg("b.ts", 2 * S, Some(T0 + 2 * S + 60 * MS)),
    ])]);
    assert_eq!(t.gaps(T0, T0 + 4 * S), [(T0 + 2 * S, T0 + 2 * S + 60 * MS)]);
    let strict = Timeline::build_with_tolerance(&[run("a", 2, T0)], -5);
    assert!(matches!(strict, Ok(ref t) if t.tolerance_us() == 0));
}

#[test]
fn discontinuity_without_a_new_date_continues_by_duration() {
    let mut p = run("a", 3, T0);
    p.segments[2].discontinuity = true;
    let t = build(&[p]);
    assert_eq!(t.segments()[2].start_us, T0 + 4 * S);
    assert!(t.segments()[2].discontinuity);
    assert!(!t.segments()[1].discontinuity);
}

#[test]
fn discontinuity_with_a_new_date_uses_the_date() {
    let mut p = run("a", 3, T0);
    p.segments[2].discontinuity = true;
    p.segments[2].program_date_time_us = Some(T0 + 60 * S);
    let t = build(&[p]);
    assert_eq!(t.segments()[2].start_us, T0 + 60 * S);
    assert_eq!(t.gaps(T0, T0 + 62 * S), [(T0 + 4 * S, T0 + 60 * S)]);
}

#[test]
fn segments_before_the_first_date_are_placed_backwards() {
    let t = build(&[playlist(vec![
        seg("a.ts", 2 * S, None),
        seg("b.ts", 3 * S, None),
        seg("c.ts", 2 * S, Some(T0)),
        seg("d.ts", 2 * S, None),
    ])]);
    let starts: Vec<i64> = t.segments().iter().map(|s| s.start_us).collect();
    assert_eq!(starts, [T0 - 5 * S, T0 - 3 * S, T0, T0 + 2 * S]);
}

#[test]
fn playlist_without_any_date_is_an_error() {
    let dated = run("a", 2, T0);
    let undated = playlist(vec![seg("x.ts", 2 * S, None)]);
    assert_eq!(
        Timeline::build(&[dated.clone(), undated]),
        Err(HlsError::NoProgramDateTime { playlist_index: 1 })
    );
    // An empty playlist (a recording that has not produced a segment yet) is fine.
    let t = build(&[dated, playlist(vec![])]);
    assert_eq!(t.segments().len(), 2);
}

#[test]
fn empty_timeline() {
    let t = build(&[]);
    assert_eq!(t.span(), None);
    assert!(t.overlapping(T0, T0 + S).is_empty());
    assert_eq!(t.gaps(T0, T0 + S), [(T0, T0 + S)]);
}

#[test]
fn recording_cycles_join_and_re_anchor_at_the_boundary() {
    let t = build(&[run("a", 3, T0), run("b", 2, T0 + 6 * S)]);
    assert_eq!(t.gaps(T0, T0 + 10 * S), []);
    assert_eq!(
        uris(&t.overlapping(T0 + 5 * S, T0 + 7 * S)),
        ["a2.ts", "b0.ts"]
    );
    let b0 = &t.segments()[3];
    assert_eq!((b0.playlist_index, b0.segment_index), (1, 0));
    assert!(
        b0.discontinuity,
        "another playlist's timestamps are unrelated"
    );
    assert!(!t.segments()[4].discontinuity);
}

#[test]
fn playlists_given_out_of_time_order_are_sorted() {
    let t = build(&[run("b", 2, T0 + 6 * S), run("a", 3, T0)]);
    assert_eq!(
        uris(&all(&t)),
        ["a0.ts", "a1.ts", "a2.ts", "b0.ts", "b1.ts"]
    );
    assert!(t.segments()[3].discontinuity);
}

#[test]
fn duplicate_recording_keeps_the_first() {
    let first = run("a", 3, T0);
    let copy = run("copy", 3, T0);
    let t = build(&[first.clone(), copy.clone()]);
    assert_eq!(uris(&all(&t)), ["a0.ts", "a1.ts", "a2.ts"]);
    let t = build(&[copy, first]);
    assert_eq!(uris(&all(&t)), ["copy0.ts", "copy1.ts", "copy2.ts"]);
}

#[test]
fn partial_overlap_keeps_only_the_uncovered_part() {
    // b0 starts 1 s before a ends: its first second is a duplicate.
    let t = build(&[run("a", 2, T0), run("b", 2, T0 + 3 * S)]);
    let b0 = &t.segments()[2];
    assert_eq!(b0.uri, "b0.ts");
    assert_eq!(
        (b0.start_us, b0.end_us, b0.media_offset_us),
        (T0 + 4 * S, T0 + 5 * S, S)
    );
    assert!(b0.discontinuity);
    assert_eq!(t.gaps(T0, T0 + 7 * S), []);
    assert_eq!(t.segments()[3].start_us, T0 + 5 * S);
    assert!(!t.segments()[3].discontinuity);
}

#[test]
fn overlap_within_tolerance_keeps_the_whole_segment() {
    let t = build(&[run("a", 2, T0), run("b", 2, T0 + 4 * S - 20 * MS)]);
    let b0 = &t.segments()[2];
    assert_eq!((b0.start_us, b0.media_offset_us), (T0 + 4 * S - 20 * MS, 0));
}

#[test]
fn segment_covered_in_the_middle_splits_in_two() {
    let a = run("a", 1, T0 + 2 * S);
    let b = playlist(vec![seg("long.ts", 6 * S, Some(T0))]);
    let t = build(&[a, b]);
    let parts: Vec<(&str, i64, i64, i64)> = t
        .segments()
        .iter()
        .map(|s| (s.uri.as_str(), s.start_us, s.end_us, s.media_offset_us))
        .collect();
    assert_eq!(
        parts,
        [
            ("long.ts", T0, T0 + 2 * S, 0),
            ("a0.ts", T0 + 2 * S, T0 + 4 * S, 0),
            ("long.ts", T0 + 4 * S, T0 + 6 * S, 4 * S),
        ]
    );
    assert!(t.segments().iter().all(|s| s.discontinuity));
}

#[test]
fn date_going_backwards_in_one_playlist_does_not_duplicate() {
    let t = build(&[playlist(vec![
        seg("a.ts", 2 * S, Some(T0)),
        seg("b.ts", 2 * S, None),
        seg("again.ts", 2 * S, Some(T0 + 2 * S)),
        seg("c.ts", 2 * S, None),
    ])]);
    assert_eq!(uris(&all(&t)), ["a.ts", "b.ts", "c.ts"]);
    assert!(
        t.segments()[2].discontinuity,
        "c does not follow b in the playlist"
    );
}

#[test]
fn gap_segments_take_time_but_are_missing() {
    let mut p = run("a", 3, T0);
    p.segments[1].gap = true;
    let t = build(&[p]);
    assert_eq!(uris(&all(&t)), ["a0.ts", "a2.ts"]);
    assert_eq!(t.segments()[1].start_us, T0 + 4 * S);
    assert_eq!(t.gaps(T0, T0 + 6 * S), [(T0 + 2 * S, T0 + 4 * S)]);
    assert!(t.segments()[1].discontinuity);
}

#[test]
fn growing_playlist_read_again_extends_the_timeline() {
    let head = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n\
#EXT-X-PROGRAM-DATE-TIME:2021-06-21T08:01:00Z\n";
    let entries: Vec<String> = (7..12)
        .map(|i| format!("#EXTINF:2.000,\nseg{i}.ts\n"))
        .collect();
    let early = format!("{head}{}#EXTINF:2.000,\n", entries[..3].concat());
    let later = format!("{head}{}#EXT-X-ENDLIST\n", entries.concat());
    let (Ok(early), Ok(later)) = (parse_media_playlist(&early), parse_media_playlist(&later))
    else {
        panic!("fixtures must parse")
    };
    let t_early = build(std::slice::from_ref(&early));
    let t_later = build(std::slice::from_ref(&later));
    assert_eq!(t_early.segments(), &t_later.segments()[..3]);
    assert_eq!(t_later.span(), Some((T0, T0 + 10 * S)));
    assert_eq!(t_later.segments()[4].sequence, 11);

    let both = build(&[early, later]);
    let origin: Vec<(usize, &str)> = both
        .segments()
        .iter()
        .map(|s| (s.playlist_index, s.uri.as_str()))
        .collect();
    assert_eq!(
        origin,
        [
            (0, "seg7.ts"),
            (0, "seg8.ts"),
            (0, "seg9.ts"),
            (1, "seg10.ts"),
            (1, "seg11.ts")
        ]
    );
    assert_eq!(both.gaps(T0, T0 + 10 * S), []);
}

#[test]
fn ffmpeg_playlist_with_offset_dates() {
    let text = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n\
#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2021-06-21T16:01:00.000+0800\nseg000.ts\n\
#EXTINF:2.000000,\n#EXT-X-PROGRAM-DATE-TIME:2021-06-21T16:01:02.000+0800\nseg001.ts\n\
#EXTINF:1.000000,\n#EXT-X-PROGRAM-DATE-TIME:2021-06-21T16:01:04.000+0800\nseg002.ts\n#EXT-X-ENDLIST\n";
    let Ok(p) = parse_media_playlist(text) else {
        panic!("fixture must parse")
    };
    let t = build(&[p]);
    assert_eq!(t.span(), Some((T0, T0 + 5 * S)));
    assert_eq!(
        uris(&t.overlapping(T0 + 3 * S, T0 + 4500 * MS)),
        ["seg001.ts", "seg002.ts"]
    );
}

#[test]
fn byte_ranges_are_carried() {
    let mut p = run("a", 2, T0);
    p.segments[1].byte_range = Some((188 * 100, Some(188 * 50)));
    let t = build(&[p]);
    assert_eq!(t.segments()[1].byte_range, Some((18_800, Some(9_400))));
    assert_eq!(t.segments()[1].segment_index, 1);
}

#[test]
fn absurd_times_are_an_error_not_a_panic() {
    let p = playlist(vec![
        seg("a.ts", i64::MAX, Some(T0)),
        seg("b.ts", 2 * S, None),
    ]);
    assert_eq!(
        Timeline::build(&[p]),
        Err(HlsError::TimeOverflow {
            playlist_index: 0,
            sequence: 100
        })
    );
    let p = playlist(vec![
        seg("a.ts", i64::MAX, None),
        seg("b.ts", i64::MAX, None),
        seg("c.ts", S, Some(T0)),
    ]);
    assert!(matches!(
        Timeline::build(&[p]),
        Err(HlsError::TimeOverflow { .. })
    ));
    // Extreme but representable times, queried with extreme ranges, do not overflow.
    let p = playlist(vec![
        seg("a.ts", i64::MAX / 2, None),
        seg("b.ts", S, Some(T0)),
    ]);
    let t = build(&[p]);
    assert_eq!(t.overlapping(i64::MIN, i64::MAX).len(), 2);
    assert_eq!(t.gaps(i64::MIN, i64::MAX).len(), 2);
}

#[test]
fn zero_length_segments_are_skipped() {
    let mut p = run("a", 3, T0);
    p.segments[1].duration_us = 0;
    let t = build(&[p]);
    assert_eq!(uris(&all(&t)), ["a0.ts", "a2.ts"]);
    assert_eq!(t.segments()[1].start_us, T0 + 2 * S);
}

#[test]
fn next_after_continues_the_same_media_only() {
    let t = build(&[run("a", 3, T0)]);
    let segs = t.segments();
    assert_eq!(
        t.next_after(&segs[0]).map(|p| p.uri.as_str()),
        Some("a1.ts")
    );
    assert_eq!(t.next_after(&segs[2]), None, "nothing after the last");
    let mut with_break = playlist(vec![seg("x.ts", 2 * S, Some(T0)), seg("y.ts", 2 * S, None)]);
    with_break.segments[1].discontinuity = true;
    let t = build(&[with_break]);
    assert_eq!(
        t.next_after(&t.segments()[0]),
        None,
        "a discontinuity ends the media"
    );
}
