//! Turns a clip's index into decisions: which GOPs are copied, which frames are
//! re-encoded (and from which GOP their decoding starts), and where
//! each run's frames land on the output timeline (90 kHz ticks).

use super::index::{ClipIndex, Gop};
use crate::{ClipInput, MediaError};

/// Output placement of one run: `out = base + pts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMapping {
    pub base: i64,
    /// Output interval covered by the run's video, `[start, end)`.
    pub span_start: i64,
    pub span_end: i64,
}

/// Frames of a run that are decoded and encoded again, as one encoder part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    /// GOP (index into `ClipIndex::gops`) whose keyframe decoding starts at;
    /// it precedes the first kept frame's GOP when that frame is a leading
    /// picture that references the GOP before.
    pub first_gop: usize,
    /// Last GOP fed to the decoder.
    pub last_gop: usize,
    /// `last_gop` starts a copied block: only its keyframe and leading
    /// pictures are fed, and the part ends before its first trailing one.
    pub ends_at_copy: bool,
    /// Source PTS range of the frames kept, inclusive.
    pub keep_min: i64,
    pub keep_max: i64,
    pub frames: u32,
}

/// A block of consecutive GOPs copied unchanged. The leading pictures of
/// `first` are not part of it (they belong to the part before).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopyBlock {
    pub first: usize,
    pub last: usize,
}

/// What happens to one run, in output order: parts and copied blocks
/// alternate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunCut {
    pub parts: Vec<PartPlan>,
    pub blocks: Vec<CopyBlock>,
}

impl RunCut {
    /// The block GOP `gop` is copied in, if any.
    pub fn block_of(&self, gop: usize) -> Option<CopyBlock> {
        self.blocks
            .iter()
            .copied()
            .find(|b| (b.first..=b.last).contains(&gop))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipPlan {
    pub runs: Vec<Option<RunMapping>>,
    /// Per run: its parts and copied blocks (copy modes).
    pub cuts: Vec<RunCut>,
    /// Output ticks where the clip starts and where the next one starts.
    pub offset: i64,
    pub end: i64,
    pub frames: u64,
    pub copied: u64,
    pub reencoded: u64,
    pub first_frame_utc_us: i64,
    pub last_frame_utc_us: i64,
}

/// Where copied pictures may follow pictures of another stream or encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Splicing {
    /// Open keyframes can start a copied block there (HEVC, whose CRA is
    /// then written as a BLA). H.264 has no such conversion: its decoders
    /// derive frame numbers and picture order across a splice to a non-IDR
    /// I picture, which FFmpeg was measured to get wrong for most lengths of
    /// the part before it (renumbering `frame_num` alone did not cure it: the
    /// dropped leading pictures may be references, and picture order counts
    /// jump too), so such GOPs are re-encoded unless nothing at all precedes
    /// them in the output.
    pub open_keyframes: bool,
    /// The clip is the first of the output.
    pub starts_output: bool,
}

/// Plans a clip that starts at output tick `offset`; the last frame of each
/// run lasts `frame_duration` ticks. `copyable` says which GOPs may be
/// copied at all (same codec and picture as the output); the others are
/// re-encoded wherever they hold selected frames.
pub fn plan(
    clip: &ClipInput,
    index: &ClipIndex,
    offset: i64,
    frame_duration: i64,
    copyable: &dyn Fn(&Gop) -> bool,
    splicing: Splicing,
) -> Result<ClipPlan, MediaError> {
    let no_content = |detail: &str| MediaError::NoContent {
        clip: clip.index,
        start_utc_us: clip.start_utc_us,
        end_utc_us: clip.end_utc_us,
        cause: detail.into(),
    };
    let mut cursor = offset;
    let mut first_utc = None;
    let mut last_utc = None;
    let mut runs = Vec::with_capacity(index.runs.len());
    let mut cuts = Vec::with_capacity(index.runs.len());
    for (r, run) in index.runs.iter().enumerate() {
        let (Some(min), Some(max)) = (run.selected_min, run.selected_max) else {
            runs.push(None);
            cuts.push(RunCut::default());
            continue;
        };
        let base = cursor - min;
        let span_end = max + base + frame_duration;
        let first_run = runs.iter().all(Option::is_none);
        runs.push(Some(RunMapping {
            base,
            span_start: cursor,
            span_end,
        }));
        first_utc.get_or_insert(run.anchor.utc_of(min));
        last_utc = Some(run.anchor.utc_of(max));
        cursor = span_end;
        let splice = Splicing {
            starts_output: splicing.starts_output && first_run,
            ..splicing
        };
        let cut = cut_run(index, r, (min, max), copyable, splice);
        cuts.push(cut);
    }
    let (Some(first_frame_utc_us), Some(last_frame_utc_us)) = (first_utc, last_utc) else {
        return Err(no_content(&match index.available_utc_us {
            _ if index.gops.is_empty() => {
                "the listed segments contain no keyframe to start decoding at".to_string()
            }
            Some((lo, hi)) => format!(
                "the listed segments hold video from {lo} to {hi} us UTC, none of it in the range"
            ),
            None => "the listed segments hold no video frame".to_string(),
        }));
    };
    let frames: u64 = index.gops.iter().map(|g| u64::from(g.selected)).sum();
    let reencoded: u64 = cuts
        .iter()
        .flat_map(|c| &c.parts)
        .map(|p| u64::from(p.frames))
        .sum();
    Ok(ClipPlan {
        runs,
        cuts,
        offset,
        end: cursor,
        frames,
        copied: frames - reencoded.min(frames),
        reencoded,
        first_frame_utc_us,
        last_frame_utc_us,
    })
}

/// Splits the selected frames `[lo, hi]` (PTS) of run `r` into copied
/// blocks of whole GOPs and the re-encoded parts around them.
fn cut_run(
    index: &ClipIndex,
    r: usize,
    (lo, hi): (i64, i64),
    copyable: &dyn Fn(&Gop) -> bool,
    splicing: Splicing,
) -> RunCut {
    let gops = &index.gops;
    let in_run: Vec<usize> = (0..gops.len()).filter(|&k| gops[k].run == r).collect();
    let (Some(&run_first), Some(&run_last)) = (in_run.first(), in_run.last()) else {
        return RunCut::default();
    };
    let copies = |k: usize| {
        let g = &gops[k];
        g.selected > 0 && g.key_pts >= lo && g.trailing_max <= hi && copyable(g)
    };
    let first_selected = (run_first..=run_last).find(|&k| gops[k].selected > 0);
    let mut blocks: Vec<CopyBlock> = Vec::new();
    for (k, g) in gops.iter().enumerate().take(run_last + 1).skip(run_first) {
        if !copies(k) {
            continue;
        }
        match blocks.last_mut() {
            Some(b) if b.last + 1 == k => b.last = k,
            _ => {
                // A block after other pictures is a splice point; see
                // `Splicing`.
                let nothing_before =
                    splicing.starts_output && first_selected == Some(k) && g.selected_leading == 0;
                if g.open && !splicing.open_keyframes && !nothing_before {
                    continue;
                }
                blocks.push(CopyBlock { first: k, last: k });
            }
        }
    }
    let selected_gops: Vec<usize> = (run_first..=run_last)
        .filter(|&k| gops[k].selected > 0)
        .collect();
    let (Some(&first_sel), Some(&last_sel)) = (selected_gops.first(), selected_gops.last()) else {
        return RunCut::default();
    };
    // Where decoding must start for frames from GOP `k` on: one GOP earlier
    // when `k`'s kept leading pictures reference the GOP before.
    let start_for = |k: usize, leading_kept: bool| {
        if leading_kept && gops[k].open && k > run_first {
            k - 1
        } else {
            k
        }
    };
    let count = |keep_min: i64, keep_max: i64, from: usize, to: usize| -> u32 {
        // Frames of GOPs `from..=to` in the window; whole GOPs are exact,
        // and the window edges fall on GOP boundaries by construction.
        (from..=to)
            .map(|k| {
                let g = &gops[k];
                if g.selected == 0 || g.selected_max < keep_min || g.selected_min > keep_max {
                    0
                } else if g.selected_min >= keep_min && g.selected_max <= keep_max {
                    g.selected
                } else if g.key_pts > keep_max {
                    // Only its leading pictures fall in the window.
                    g.selected_leading
                } else {
                    g.selected - g.selected_leading
                }
            })
            .sum()
    };
    let mut parts = Vec::new();
    let mut window_start = lo;
    let mut from_gop = first_sel;
    let mut leading_first = gops[first_sel].selected_leading > 0;
    for block in &blocks {
        let a = block.first;
        let key = gops[a].key_pts;
        if window_start < key {
            let ends_in_a = gops[a].selected_leading > 0;
            let last_gop = if ends_in_a { Some(a) } else { a.checked_sub(1) };
            let first_gop = start_for(from_gop, leading_first);
            let frames = last_gop
                .filter(|&l| l >= first_gop)
                .map_or(0, |l| count(window_start, key - 1, first_gop, l));
            if let (true, Some(last_gop)) = (frames > 0, last_gop) {
                parts.push(PartPlan {
                    first_gop,
                    last_gop,
                    ends_at_copy: ends_in_a,
                    keep_min: window_start,
                    keep_max: key - 1,
                    frames,
                });
            }
        }
        window_start = gops[block.last].trailing_max + 1;
        from_gop = block.last + 1;
        leading_first = from_gop <= last_sel && gops[from_gop].selected_leading > 0;
    }
    if window_start <= hi && from_gop <= last_sel {
        let first_gop = start_for(from_gop, leading_first);
        let frames = count(window_start, hi, first_gop, last_sel);
        if frames > 0 {
            parts.push(PartPlan {
                first_gop,
                last_gop: last_sel,
                ends_at_copy: false,
                keep_min: window_start,
                keep_max: hi,
                frames,
            });
        }
    }
    RunCut { parts, blocks }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::select::index::{Gop, RunStats};
    use crate::timeline::RunAnchor;

    const F: i64 = 3000;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum GopAction {
        /// Not needed, not even as a reference.
        Skip,
        /// Copied unchanged.
        Copy,
        /// Decoded for a re-encoded part.
        Reencode,
    }

    /// What happens to each GOP of `p`, as its run's cut says.
    fn actions(p: &ClipPlan, gops: usize) -> Vec<GopAction> {
        (0..gops)
            .map(|g| {
                let cuts = || p.cuts.iter();
                if cuts().any(|c| c.block_of(g).is_some()) {
                    GopAction::Copy
                } else if cuts()
                    .flat_map(|c| &c.parts)
                    .any(|part| (part.first_gop..=part.last_gop).contains(&g))
                {
                    GopAction::Reencode
                } else {
                    GopAction::Skip
                }
            })
            .collect()
    }
    const HEVC_LIKE: Splicing = Splicing {
        open_keyframes: true,
        starts_output: false,
    };

    /// A closed GOP of `frames` frames from `first` (frame numbers, run
    /// PTS = 900_000 + n * F) with frames `sel_lo..=sel_hi` selected.
    fn closed(run: usize, first: i64, frames: u32, sel: Option<(i64, i64)>) -> Gop {
        let last = first + i64::from(frames) - 1;
        let pts = |n: i64| 900_000 + n * F;
        let (selected, min, max) = match sel {
            Some((lo, hi)) => {
                let (lo, hi) = (lo.max(first), hi.min(last));
                ((hi - lo + 1).max(0) as u32, pts(lo), pts(hi))
            }
            None => (0, i64::MAX, i64::MIN),
        };
        Gop {
            run,
            key_pts: pts(first),
            open: false,
            frames,
            leading: 0,
            selected,
            selected_leading: 0,
            selected_min: min,
            selected_max: max,
            trailing_max: pts(last),
            generation: 0,
            leading_undecodable: false,
        }
    }

    /// An open GOP whose keyframe is frame `key`, with `leading` frames
    /// shown before it (`key - leading .. key`) and `trailing` after.
    fn open(key: i64, leading: u32, trailing: u32, sel: (i64, i64)) -> Gop {
        let pts = |n: i64| 900_000 + n * F;
        let first = key - i64::from(leading);
        let last = key + i64::from(trailing);
        let (lo, hi) = (sel.0.max(first), sel.1.min(last));
        let selected = (hi - lo + 1).max(0) as u32;
        let selected_leading = (hi.min(key - 1) - lo + 1).max(0) as u32;
        Gop {
            run: 0,
            key_pts: pts(key),
            open: true,
            frames: leading + trailing + 1,
            leading,
            selected,
            selected_leading,
            selected_min: if selected > 0 { pts(lo) } else { i64::MAX },
            selected_max: if selected > 0 { pts(hi) } else { i64::MIN },
            trailing_max: pts(last),
            generation: 0,
            leading_undecodable: false,
        }
    }

    fn index(gops: Vec<Gop>, sel: (i64, i64)) -> ClipIndex {
        ClipIndex {
            runs: vec![RunStats {
                anchor: RunAnchor {
                    utc_us: 1_000_000,
                    pts: 900_000,
                },
                selected_min: Some(900_000 + sel.0 * F),
                selected_max: Some(900_000 + sel.1 * F),
            }],
            gops,
            ..ClipIndex::default()
        }
    }

    fn clip() -> ClipInput {
        ClipInput {
            index: 3,
            start_utc_us: 0,
            end_utc_us: 10_000_000,
            segments: vec![],
        }
    }

    #[test]
    fn partial_gops_are_reencoded_and_full_ones_copied() {
        let sel = Some((10, 69));
        let idx = index(
            vec![
                closed(0, 0, 30, sel),
                closed(0, 30, 30, sel),
                closed(0, 60, 30, sel),
                closed(0, 90, 30, None),
            ],
            (10, 69),
        );
        let p = plan(&clip(), &idx, 5000, F, &|_| true, HEVC_LIKE).expect("plan");
        assert_eq!(
            actions(&p, 4),
            vec![
                GopAction::Reencode,
                GopAction::Copy,
                GopAction::Reencode,
                GopAction::Skip
            ]
        );
        assert_eq!((p.frames, p.copied, p.reencoded), (60, 30, 30));
        let cut = &p.cuts[0];
        assert_eq!(cut.blocks, vec![CopyBlock { first: 1, last: 1 }]);
        assert_eq!(cut.parts.len(), 2);
        let (head, tail) = (cut.parts[0], cut.parts[1]);
        assert_eq!((head.first_gop, head.last_gop, head.frames), (0, 0, 20));
        assert!(!head.ends_at_copy);
        assert_eq!((tail.first_gop, tail.last_gop, tail.frames), (2, 2, 10));
        let run = p.runs[0].expect("mapped");
        assert_eq!(run.base + 900_000 + 10 * F, 5000);
        assert_eq!(run.span_end, 5000 + 60 * F);
        assert_eq!(p.end, 5000 + 60 * F);
        assert_eq!(p.first_frame_utc_us, 1_000_000 + 333_333);
        assert_eq!(p.last_frame_utc_us, 1_000_000 + 2_300_000);
    }

    #[test]
    fn open_gop_leading_pictures_go_with_the_part_before_the_copy() {
        // Keyframes at 0 (closed), 30, 60, 90 (open, 2 leading pictures
        // each). Frames 20..=79 selected: GOP 30's trailing frames and GOP
        // 60's leading ones are copied together; GOP 30's leading pictures
        // (28, 29) are re-encoded with the head, which decodes GOP 0 too.
        let sel = (20, 79);
        let mut first = closed(0, 0, 28, Some(sel));
        first.trailing_max = 900_000 + 27 * F;
        let idx = index(
            vec![
                first,
                open(30, 2, 27, sel),
                open(60, 2, 27, sel),
                open(90, 2, 27, sel),
            ],
            sel,
        );
        let p = plan(&clip(), &idx, 0, F, &|_| true, HEVC_LIKE).expect("plan");
        let cut = &p.cuts[0];
        assert_eq!(cut.blocks, vec![CopyBlock { first: 1, last: 1 }]);
        let head = cut.parts[0];
        assert_eq!((head.first_gop, head.last_gop), (0, 1));
        assert!(head.ends_at_copy);
        assert_eq!(head.frames, 10, "frames 20..=29");
        assert_eq!(head.keep_max, 900_000 + 30 * F - 1);
        // Tail: frames 58..=79: GOP 60's leading pictures need GOP 30, so
        // decoding starts there.
        let tail = cut.parts[1];
        assert_eq!((tail.first_gop, tail.last_gop), (1, 2));
        assert_eq!(tail.frames, 22);
        assert_eq!(tail.keep_min, 900_000 + 57 * F + 1);
        assert_eq!((p.frames, p.reencoded, p.copied), (60, 32, 28));
        assert_eq!(actions(&p, 4)[3], GopAction::Skip);
    }

    #[test]
    fn h264_open_keyframes_do_not_start_a_block_after_other_pictures() {
        let sel = (20, 79);
        let mut first = closed(0, 0, 28, Some(sel));
        first.trailing_max = 900_000 + 27 * F;
        let gops = vec![
            first,
            open(30, 2, 27, sel),
            open(60, 2, 27, sel),
            open(90, 2, 27, sel),
        ];
        let h264 = Splicing {
            open_keyframes: false,
            starts_output: true,
        };
        let p = plan(&clip(), &index(gops.clone(), sel), 0, F, &|_| true, h264).expect("plan");
        assert!(p.cuts[0].blocks.is_empty(), "a head part precedes GOP 30");
        assert_eq!((p.reencoded, p.copied), (60, 0));
        // Starting right at keyframe 30 of the first clip, nothing precedes
        // it: the block may start there.
        let sel = (30, 79);
        let gops: Vec<Gop> = vec![
            closed(0, 0, 28, None),
            open(30, 2, 27, sel),
            open(60, 2, 27, sel),
            open(90, 2, 27, sel),
        ];
        let p = plan(&clip(), &index(gops, sel), 0, F, &|_| true, h264).expect("plan");
        assert_eq!(p.cuts[0].blocks, vec![CopyBlock { first: 1, last: 1 }]);
    }

    #[test]
    fn a_gop_that_may_not_be_copied_splits_the_block() {
        let sel = Some((0, 89));
        let idx = index(
            vec![
                closed(0, 0, 30, sel),
                closed(0, 30, 30, sel),
                closed(0, 60, 30, sel),
            ],
            (0, 89),
        );
        let p = plan(
            &clip(),
            &idx,
            0,
            F,
            &|g| g.key_pts != 900_000 + 30 * F,
            HEVC_LIKE,
        )
        .expect("plan");
        let cut = &p.cuts[0];
        assert_eq!(
            cut.blocks,
            vec![
                CopyBlock { first: 0, last: 0 },
                CopyBlock { first: 2, last: 2 }
            ]
        );
        assert_eq!(cut.parts.len(), 1);
        assert_eq!((cut.parts[0].first_gop, cut.parts[0].frames), (1, 30));
    }

    #[test]
    fn a_later_run_continues_where_the_previous_ended() {
        let mut idx = ClipIndex {
            runs: vec![
                RunStats {
                    anchor: RunAnchor {
                        utc_us: 0,
                        pts: 100,
                    },
                    selected_min: Some(100),
                    selected_max: Some(100 + 29 * F),
                },
                RunStats {
                    anchor: RunAnchor {
                        utc_us: 50_000_000,
                        pts: 7_000,
                    },
                    selected_min: None,
                    selected_max: None,
                },
                RunStats {
                    anchor: RunAnchor {
                        utc_us: 60_000_000,
                        pts: 5_000_000,
                    },
                    selected_min: Some(5_000_000),
                    selected_max: Some(5_000_000 + 9 * F),
                },
            ],
            ..ClipIndex::default()
        };
        let mut a = closed(0, 0, 30, Some((0, 29)));
        a.key_pts = 100;
        a.selected_min = 100;
        a.selected_max = 100 + 29 * F;
        a.trailing_max = 100 + 29 * F;
        let mut b = closed(2, 0, 10, Some((0, 9)));
        b.key_pts = 5_000_000;
        b.selected_min = 5_000_000;
        b.selected_max = 5_000_000 + 9 * F;
        b.trailing_max = 5_000_000 + 9 * F;
        idx.gops = vec![a, b];
        let p = plan(&clip(), &idx, 0, F, &|_| true, HEVC_LIKE).expect("plan");
        assert_eq!(p.runs[1], None);
        let second = p.runs[2].expect("mapped");
        assert_eq!(second.span_start, 90_000);
        assert_eq!(second.base + 5_000_000, 90_000);
        assert_eq!(p.end, 120_000);
        assert_eq!(p.last_frame_utc_us, 60_000_000 + 300_000);
        assert_eq!(p.cuts[2].blocks, vec![CopyBlock { first: 1, last: 1 }]);
    }

    #[test]
    fn nothing_selected_is_no_content() {
        let idx = ClipIndex {
            runs: vec![RunStats {
                anchor: RunAnchor { utc_us: 0, pts: 0 },
                selected_min: None,
                selected_max: None,
            }],
            gops: vec![closed(0, 0, 30, None)],
            ..ClipIndex::default()
        };
        let err = plan(&clip(), &idx, 0, F, &|_| true, HEVC_LIKE).expect_err("empty");
        assert!(
            matches!(err, MediaError::NoContent { clip: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("clip 3"), "{err}");
    }
}
