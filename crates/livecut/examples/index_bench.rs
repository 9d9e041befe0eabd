//! Planning a clip on a stream with months of history: the time of `recordings::plan_clip` (the
//! path every job takes) and the process's memory, on a segment index of `--segments` 5-second
//! segments (1,000,000 = two months), against planning the same history from one playlist.
//!
//! ```sh
//! cargo run --release -p livecut --example index_bench -- [--segments 1000000] [--plans 200] \
//!     [--database-url postgres://…/db]      # default: SQLite in a temp dir
//! ```
//!
//! The index is filled through `db::segments::add` in transactions of 10,000 rows, as a folder
//! of hook reports would. Then `--plans` clips of 30 s at random points of the history are
//! planned through `plan_clip` (index queries, the timeline, the segment list), and the
//! median, p99 and maximum are printed with the peak RSS before and after. Last, the same
//! history as one playlist text is planned once (`plan_texts`), which is what a stream without
//! the index costs.

use std::error::Error;
use std::path::PathBuf;
use std::time::Instant;

use livecut::db::Db;
use livecut::db::segments::{self, IndexedSegment};
use livecut::job::request::{ClipSpec, StreamKey};
use livecut::recordings::{Catalog, plan_clip, plan_texts};
use livecut::storage::{Buckets, Source};

type BoxError = Box<dyn Error + Send + Sync>;

const SEGMENT_US: i64 = 5_000_000;
const T0_US: i64 = 1_790_000_000_000_000;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), BoxError> {
    let mut segments_n: i64 = 1_000_000;
    let mut plans = 200usize;
    let mut url = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--segments" => segments_n = value()?.parse()?,
            "--plans" => plans = value()?.parse()?,
            "--database-url" => url = Some(value()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    let scratch = tempfile::tempdir()?;
    let url = url.unwrap_or_else(|| {
        format!(
            "sqlite://{}?mode=rwc",
            scratch.path().join("index.db").display()
        )
    });
    let db = Db::open(&url).await?;
    let stream = ("live.example.com", "shop", "bench");
    let started = Instant::now();
    let mut n = 0;
    while n < segments_n {
        let batch: Vec<IndexedSegment> = (n..(n + 10_000).min(segments_n))
            .map(|k| IndexedSegment {
                uri: format!("oss://rec/record/shop/bench/{k:08}.ts"),
                start_us: T0_US + k * SEGMENT_US,
                duration_us: SEGMENT_US,
                init_uri: None,
                sequence: k,
                discontinuity: k == 0,
                video_codec: Some("h264".into()),
                audio_codec: Some("aac".into()),
            })
            .collect();
        segments::add(&db, stream, &batch, "bench", 0).await?;
        n += batch.len() as i64;
    }
    println!(
        "indexed {segments_n} segments ({:.1} days) in {:.1} s; peak RSS {:.1} MiB",
        segments_n as f64 * 5.0 / 86_400.0,
        started.elapsed().as_secs_f64(),
        peak_rss_mib()
    );

    let buckets = Buckets::local(scratch.path().join("buckets"));
    let recordings_dir = scratch.path().join("recordings");
    let catalog = Catalog {
        db: &db,
        buckets: &buckets,
        recordings_dir: &recordings_dir,
        streams: &[],
    };
    let key = StreamKey {
        domain_name: stream.0.into(),
        app_name: stream.1.into(),
        stream_name: stream.2.into(),
    };
    let rss_before = peak_rss_mib();
    let mut times = Vec::with_capacity(plans);
    // A deterministic spread over the history (an LCG), clips of 30 s starting mid-segment.
    let mut x: u64 = 12_345;
    for _ in 0..plans {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let offset = (x >> 11) as i64 % ((segments_n - 10) * SEGMENT_US);
        let clip = ClipSpec {
            start_us: T0_US + offset + 1_234_567,
            end_us: T0_US + offset + 31_234_567,
            stream: key.clone(),
            cover_time_us: None,
            cover_url: None,
        };
        let t = Instant::now();
        let plan = plan_clip(catalog, 0, &clip).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(
            (7..=9).contains(&plan.input.segments.len()),
            "{:?}",
            plan.input.segments.len()
        );
    }
    times.sort_by(f64::total_cmp);
    println!(
        "plan_clip of a 30 s clip, {plans} plans: median {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         peak RSS {:.1} MiB before the plans, {:.1} MiB after",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        times[times.len() - 1],
        rss_before,
        peak_rss_mib()
    );

    // The same history as one playlist, planned without the index.
    let mut text = String::with_capacity(segments_n as usize * 80);
    text.push_str("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:5\n#EXT-X-MEDIA-SEQUENCE:0\n");
    text.push_str(&format!(
        "#EXT-X-PROGRAM-DATE-TIME:{}\n",
        livecut::clock::format_precise_time(T0_US)
    ));
    for k in 0..segments_n {
        text.push_str(&format!("#EXTINF:5.000,\n{k:08}.ts\n"));
    }
    text.push_str("#EXT-X-ENDLIST\n");
    let playlist = (
        Source::File(PathBuf::from("/srv/rec/bench/index.m3u8")),
        livecut_hls::SegmentTimes::Pdt,
        text,
    );
    let mid = T0_US + segments_n / 2 * SEGMENT_US + 1_234_567;
    let t = Instant::now();
    let plan = plan_texts(
        0,
        "bench",
        (mid, mid + 30_000_000),
        std::slice::from_ref(&playlist),
        &buckets,
    )?;
    println!(
        "the same history as one playlist ({:.0} MB): plan_texts {:.0} ms, {} segments; peak RSS \
         {:.1} MiB",
        playlist.2.len() as f64 / 1e6,
        t.elapsed().as_secs_f64() * 1000.0,
        plan.input.segments.len(),
        peak_rss_mib()
    );
    Ok(())
}
