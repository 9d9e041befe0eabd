//! `livecut recordings add`: check that a playlist is a usable recording, then register it.

use std::path::Path;

use livecut_hls::{Timeline, parse_media_playlist};

use crate::clock::{format_precise_time, now_ms};
use crate::db::{Db, DbError, recordings};
use crate::settings::StoreSettings;

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error("cannot read playlist {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a usable recording: {reason}")]
    Unusable { path: String, reason: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

pub async fn add(
    store: &StoreSettings,
    domain: &str,
    app: &str,
    stream: &str,
    playlist: &Path,
) -> Result<(), RegisterError> {
    let path = std::fs::canonicalize(playlist).map_err(|source| RegisterError::Read {
        path: playlist.display().to_string(),
        source,
    })?;
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|source| RegisterError::Read {
        path: shown.clone(),
        source,
    })?;
    let unusable = |reason: String| RegisterError::Unusable {
        path: shown.clone(),
        reason,
    };
    let parsed = parse_media_playlist(&text).map_err(|e| unusable(e.to_string()))?;
    let timeline =
        Timeline::build(std::slice::from_ref(&parsed)).map_err(|e| unusable(e.to_string()))?;
    let db = Db::open(&store.database_url()).await?;
    let new = recordings::add(&db, domain, app, stream, &shown, now_ms()).await?;
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
