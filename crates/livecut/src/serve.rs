//! `livecut serve`: the API and a worker pool in one process, on the embedded default (SQLite
//! and a local folder) unless a database URL says otherwise.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::api::{AppState, router};
use crate::cli::ServeArgs;
use crate::clock::now_ms;
use crate::db::{Db, nonces};
use crate::settings::StoreSettings;
use crate::storage::Buckets;
use crate::worker::{WorkerContext, spawn_pool};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Storage(#[from] crate::storage::StorageError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot find this program's own executable for worker children: {0}")]
    Exe(std::io::Error),
    #[error("server error: {0}")]
    Server(std::io::Error),
}

pub async fn serve(store: &StoreSettings, args: &ServeArgs) -> Result<(), ServeError> {
    for dir in [
        store.buckets_dir(),
        store.recordings_dir(),
        store.scratch_dir(),
    ] {
        std::fs::create_dir_all(&dir).map_err(|source| ServeError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let config = store.load_config()?;
    let buckets = Buckets::from_config(store.buckets_dir(), &config)?;
    let db = Db::open(&store.database_url()).await?;
    let wake = Arc::new(Notify::new());
    if args.worker.workers > 0 {
        spawn_pool(
            WorkerContext {
                db: db.clone(),
                buckets: buckets.clone(),
                streams: config.streams.clone().into(),
                config_path: store.config.clone(),
                recordings_dir: store.recordings_dir(),
                scratch_dir: store.scratch_dir(),
                settings: args.worker.clone(),
                exe: std::env::current_exe().map_err(ServeError::Exe)?,
            },
            wake.clone(),
        );
    }
    spawn_nonce_purge(db.clone());
    let app = router(AppState {
        db,
        buckets,
        limits: args.limits.clone(),
        max_attempts: args.worker.max_attempts,
        wake,
    });
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: args.listen.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(ServeError::Server)?;
    let data_dir = std::fs::canonicalize(&store.data_dir).unwrap_or(store.data_dir.clone());
    // The first lines a newcomer reads: where to call, where data lives, how to get a key.
    println!("livecut listening on http://{addr}  (SDK endpoint \"{addr}\", protocol \"http\")");
    println!("data directory: {}", data_dir.display());
    println!(
        "  outputs:    {}/buckets/<bucket>/<path>",
        data_dir.display()
    );
    println!(
        "  recordings: {}/recordings/<domain>/<app>/<stream>/*.m3u8",
        data_dir.display()
    );
    println!(
        "create an access key: livecut --data-dir {} keys create --actions 'ice:*'",
        data_dir.display()
    );
    println!(
        "make a first clip:    livecut --data-dir {} demo --endpoint {addr}",
        data_dir.display()
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServeError::Server)
}

fn spawn_nonce_purge(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = nonces::purge_expired(&db, now_ms()).await {
                tracing::warn!(error = %e, "purging expired nonces failed");
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let Ok(mut term) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        let _ = ctrl_c.await;
        return;
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
    tracing::info!("shutting down; running jobs are taken up again after their lease expires");
}
