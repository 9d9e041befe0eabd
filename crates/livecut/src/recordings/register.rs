//! `livecut recordings add`: check that a playlist is a usable recording, then register it. The
//! playlist is a local path or a URL of object storage (`s3://B/…`, `oss://B/…`,
//! `https://B.<endpoint>/…` of a configured bucket) or of an allowed HTTP origin.

use livecut_hls::{Timeline, parse_media_playlist};

use crate::clock::{format_precise_time, now_ms};
use crate::db::{Db, DbError, recordings};
use crate::settings::StoreSettings;
use crate::storage::{Source, SourceError, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("cannot read playlist {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read playlist {path}: {source}")]
    Storage { path: String, source: StorageError },
    #[error("playlist {0}")]
    Source(#[from] SourceError),
    #[error("{path} is not a usable recording: {reason}")]
    Unusable { path: String, reason: String },
    #[error(transparent)]
    Config(#[from] StorageError),
    #[error(transparent)]
    Db(#[from] DbError),
}

pub async fn add(
    store: &StoreSettings,
    domain: &str,
    app: &str,
    stream: &str,
    playlist: &str,
) -> Result<(), RegisterError> {
    let buckets = store.buckets()?;
    let source = match buckets.source(playlist)? {
        // Local playlists are registered by their absolute path, so a server started elsewhere
        // finds them.
        Source::File(p) => {
            Source::File(
                std::fs::canonicalize(&p).map_err(|source| RegisterError::Read {
                    path: p.display().to_string(),
                    source,
                })?,
            )
        }
        other => other,
    };
    let shown = source.shown();
    let text = match &source {
        Source::File(p) => std::fs::read_to_string(p).map_err(|e| RegisterError::Read {
            path: shown.clone(),
            source: e,
        })?,
        _ => buckets
            .read_text(&source)
            .await
            .map_err(|e| RegisterError::Storage {
                path: shown.clone(),
                source: e,
            })?,
    };
    let unusable = |reason: String| RegisterError::Unusable {
        path: shown.clone(),
        reason,
    };
    let parsed = parse_media_playlist(&text).map_err(|e| unusable(e.to_string()))?;
    let timeline =
        Timeline::build(std::slice::from_ref(&parsed)).map_err(|e| unusable(e.to_string()))?;
    // Every segment must resolve to something this configuration can read.
    for seg in &parsed.segments {
        source
            .join(&seg.uri, &|u| buckets.source(u))
            .map_err(|e| unusable(format!("segment {}: {e}", seg.uri)))?;
    }
    let db = Db::open(&store.database_url()).await?;
    let new = recordings::add(
        &db,
        domain,
        app,
        stream,
        &source.to_index_string(),
        now_ms(),
    )
    .await?;
    let span = timeline
        .span()
        .map(|(a, b)| format!("{} .. {}", format_precise_time(a), format_precise_time(b)))
        .unwrap_or_else(|| "no segments yet".to_string());
    println!(
        "{} {domain}/{app}/{stream}: {shown} ({} segments, {span}{})",
        if new {
            "registered"
        } else {
            "already registered"
        },
        parsed.segments.len(),
        if parsed.ended { "" } else { ", still growing" },
    );
    Ok(())
}
