//! The built-in pull recorder (`livecut record`, or `[[record]]` in the configuration, which
//! `serve` runs): it reads a live HLS playlist (an allowed HTTP origin or a bucket), copies every
//! segment it has not recorded yet into storage (`to`, a bucket URL prefix) and adds it to the
//! segment index, for users whose recorder keeps only a short live window.
//!
//! - A segment's UTC start is the source's PROGRAM-DATE-TIME (or the one before it plus
//!   durations); without any, the time it appeared, chained by `watch::continues`.
//! - Each segment is stored under its media sequence number (`{to}{sequence:010}.{ext}`) and
//!   indexed only once whole in storage; the index says where recording left off, so a restart
//!   neither loses (while the source still lists them) nor duplicates segments.
//! - fMP4 init sections are stored beside the segments (`{to}init-{sequence}.{ext}` of the
//!   first segment that uses each).

use std::collections::HashMap;
use std::time::Duration;

use livecut_hls::{MediaPlaylist, parse_media_playlist};

use crate::clock::now_ms;
use crate::db::Db;
use crate::db::segments::{self, IndexedSegment};
use crate::job::location::{ObjectLocation, parse_url};
use crate::storage::{Buckets, NoJournal, Source};

use super::watch::continues;

/// One recorded stream: where from, as which stream, where to.
#[derive(Debug, Clone)]
pub struct PullSpec {
    pub url: String,
    pub domain: String,
    pub app: String,
    pub stream: String,
    /// Bucket and key prefix (ending in `/`) the segments are copied to.
    pub to: ObjectLocation,
}

impl PullSpec {
    /// `to` given as `oss://bucket/prefix/` (or `s3://…`); default
    /// `oss://livecut-recordings/{domain}/{app}/{stream}/`.
    pub fn new(
        url: &str,
        (domain, app, stream): (&str, &str, &str),
        to: Option<&str>,
    ) -> Result<PullSpec, String> {
        let to = match to {
            Some(t) => {
                // A folder: the location parser takes object names, so the slash comes after.
                let mut loc =
                    parse_url(t.trim_end_matches('/')).map_err(|e| format!("to {t}: {e}"))?;
                loc.key.push('/');
                loc
            }
            None => ObjectLocation {
                bucket: "livecut-recordings".into(),
                key: format!("{domain}/{app}/{stream}/"),
            },
        };
        Ok(PullSpec {
            url: url.to_string(),
            domain: domain.into(),
            app: app.into(),
            stream: stream.into(),
            to,
        })
    }

    fn added_by(&self) -> String {
        format!("record:{}", self.url)
    }
}

/// What the recorder keeps between polls: init sections already stored, by source URI.
#[derive(Default)]
pub struct PullState {
    inits: HashMap<String, String>,
}

/// Records what is new in the source playlist now; answers how many segments were recorded.
pub async fn poll(
    db: &Db,
    buckets: &Buckets,
    spec: &PullSpec,
    state: &mut PullState,
    scratch: &std::path::Path,
) -> Result<u64, String> {
    let source = buckets.source(&spec.url).map_err(|e| e.to_string())?;
    let text = buckets
        .read_text(&source)
        .await
        .map_err(|e| e.to_string())?;
    let playlist: MediaPlaylist = parse_media_playlist(&text).map_err(|e| e.to_string())?;
    let stream = (
        spec.domain.as_str(),
        spec.app.as_str(),
        spec.stream.as_str(),
    );
    let added_by = spec.added_by();
    let mut last = segments::last_added_by(db, stream, &added_by)
        .await
        .map_err(|e| e.to_string())?;
    // PROGRAM-DATE-TIME of each segment: its own, or the previous one's plus its duration.
    let mut dated = Vec::with_capacity(playlist.segments.len());
    let mut next: Option<i64> = None;
    for seg in &playlist.segments {
        let t = seg.program_date_time_us.or(next);
        dated.push(t);
        next = t.map(|t| t + seg.duration_us);
    }
    let fresh: Vec<usize> = (0..playlist.segments.len())
        .filter(|&k| {
            let sequence = i64::try_from(playlist.segments[k].sequence).unwrap_or(0);
            last.as_ref().is_none_or(|l| sequence > l.sequence)
        })
        .collect();
    let undated_total: i64 = fresh
        .iter()
        .filter(|&&k| dated[k].is_none())
        .map(|&k| playlist.segments[k].duration_us)
        .sum();
    let mut arrival_start = now_ms() * 1000 - undated_total;
    let mut recorded = 0;
    for k in fresh {
        let seg = &playlist.segments[k];
        let sequence = i64::try_from(seg.sequence).unwrap_or(0);
        let from = source
            .join(&seg.uri, &|u| buckets.source(u))
            .map_err(|e| format!("segment {}: {e}", seg.uri))?;
        let ext = from.extension().unwrap_or_else(|| "ts".into());
        let to = ObjectLocation {
            bucket: spec.to.bucket.clone(),
            key: format!("{}{sequence:010}.{ext}", spec.to.key),
        };
        copy(buckets, &from, &to, scratch).await?;
        let init_uri = match &seg.map {
            None => None,
            Some(map) => {
                let init_from = source
                    .join(&map.uri, &|u| buckets.source(u))
                    .map_err(|e| format!("init section {}: {e}", map.uri))?;
                let key = init_from.to_index_string();
                if !state.inits.contains_key(&key) {
                    let ext = init_from.extension().unwrap_or_else(|| "mp4".into());
                    let to = ObjectLocation {
                        bucket: spec.to.bucket.clone(),
                        key: format!("{}init-{sequence:010}.{ext}", spec.to.key),
                    };
                    copy(buckets, &init_from, &to, scratch).await?;
                    state
                        .inits
                        .insert(key.clone(), Source::Object(to).to_index_string());
                }
                state.inits.get(&key).cloned()
            }
        };
        let follows = last.as_ref().filter(|l| {
            continues(
                l,
                sequence,
                seg.discontinuity,
                dated[k].unwrap_or(arrival_start),
            )
        });
        let start_us = match (dated[k], follows) {
            (Some(t), _) => t,
            (None, Some(l)) => l.start_us + l.duration_us,
            (None, None) => arrival_start,
        };
        let follows = follows.is_some();
        arrival_start = start_us + seg.duration_us;
        let row = IndexedSegment {
            uri: Source::Object(to).to_index_string(),
            start_us,
            duration_us: seg.duration_us,
            init_uri,
            sequence,
            discontinuity: seg.discontinuity || !follows,
            video_codec: None,
            audio_codec: None,
        };
        segments::add(db, stream, std::slice::from_ref(&row), &added_by, now_ms())
            .await
            .map_err(|e| e.to_string())?;
        last = Some(row);
        recorded += 1;
    }
    Ok(recorded)
}

/// Downloads `from` into the scratch folder and stores it at `to`, whole or not at all.
async fn copy(
    buckets: &Buckets,
    from: &Source,
    to: &ObjectLocation,
    scratch: &std::path::Path,
) -> Result<(), String> {
    let local = scratch.join("segment");
    let path = buckets
        .local_copy(from, &local)
        .await
        .map_err(|e| format!("{}: {e}", from.shown()))?;
    buckets
        .publish_file(to, &path, &NoJournal)
        .await
        .map_err(|e| format!("{}: {e}", to.canonical_url()))?;
    let _ = std::fs::remove_file(&local);
    Ok(())
}

/// Records `spec` until the process ends, reading the source every `every`.
pub async fn run(db: Db, buckets: Buckets, spec: PullSpec, every: Duration) {
    let scratch = match tempfile::Builder::new().prefix("livecut-record-").tempdir() {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(url = %spec.url, error = %e, "recorder: no scratch folder");
            return;
        }
    };
    let mut state = PullState::default();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match poll(&db, &buckets, &spec, &mut state, scratch.path()).await {
            Ok(0) => {}
            Ok(n) => {
                crate::metrics::indexed("record", n);
                tracing::debug!(url = %spec.url, n, "recorder: segments recorded");
            }
            Err(e) => {
                crate::metrics::ingest_error("record");
                tracing::warn!(url = %spec.url, error = %e, "recorder");
            }
        }
    }
}

/// `livecut record`: records one stream until SIGINT or SIGTERM.
pub async fn record(
    store: &crate::settings::StoreSettings,
    args: &crate::cli::RecordArgs,
) -> Result<(), String> {
    let spec = PullSpec::new(
        &args.url,
        (&args.domain, &args.app, &args.stream),
        args.to.as_deref(),
    )?;
    let buckets = store.buckets().map_err(|e| e.to_string())?;
    let db = store.open_db().await.map_err(|e| e.to_string())?;
    println!(
        "recording {} as {}/{}/{} into {}",
        spec.url,
        spec.domain,
        spec.app,
        spec.stream,
        spec.to.canonical_url()
    );
    tokio::select! {
        () = run(db, buckets, spec, Duration::from_millis(args.every_millis.max(50))) => Ok(()),
        r = tokio::signal::ctrl_c() => r.map_err(|e| e.to_string()),
    }
}
