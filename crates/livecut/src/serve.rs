//! `livecut serve` (the API and a worker pool in one process, on the embedded default of SQLite
//! and a local folder unless a database URL says otherwise; `--workers 0` for the API only) and
//! `livecut worker` (a worker pool without the API). Both stop on SIGTERM or SIGINT by draining
//! their pool (`worker::drain`) and exit 0.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Notify, watch};

use crate::api::healthz::{OpsState, ops_router};
use crate::api::hooks::{AlibabaLiveHook, HookState, SrsHook};
use crate::api::{AppState, router};
use crate::cli::{ServeArgs, WorkerArgs};
use crate::clock::now_ms;
use crate::config::StreamSource;
use crate::db::{Db, nonces};
use crate::recordings::pull::PullSpec;
use crate::settings::{HttpSettings, StoreSettings, WorkerSettings};
use crate::storage::Buckets;
use crate::worker::drain::Drain;
use crate::worker::{Pool, WorkerContext};

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
    #[error("cannot watch for SIGTERM and SIGINT: {0}")]
    Signal(std::io::Error),
    #[error(
        "`livecut worker` needs --workers 1 or more (for an API-only node use `serve --workers 0`)"
    )]
    NoWorkers,
    #[error("server error: {0}")]
    Server(std::io::Error),
}

pub async fn serve(store: &StoreSettings, args: &ServeArgs) -> Result<(), ServeError> {
    let (db, storage) = open_store(store).await?;
    let signals = Signals::new()?;
    let wake = Arc::new(Notify::new());
    let pool = if args.worker.workers > 0 {
        let ctx = worker_context(store, &db, &storage, &args.worker)?;
        Some(Pool::start(ctx, wake.clone()).await?)
    } else {
        None
    };
    spawn_purges(db.clone());
    tokio::spawn(crate::callback::run(
        db.clone(),
        storage.destinations.clone(),
        args.callbacks.delivery(),
    ));
    for spec in &storage.records {
        tokio::spawn(crate::recordings::pull::run(
            db.clone(),
            storage.buckets.clone(),
            spec.clone(),
            Duration::from_millis(args.watch_millis.max(50)),
        ));
    }
    tokio::spawn(crate::recordings::watch::run(
        db.clone(),
        storage.buckets.clone(),
        Duration::from_millis(args.watch_millis.max(50)),
    ));
    let app = router(
        AppState {
            db: db.clone(),
            buckets: storage.buckets.clone(),
            limits: args.limits.clone(),
            max_attempts: args.worker.max_attempts,
            wake,
            recordings_dir: store.recordings_dir(),
            streams: storage.streams.clone(),
            preview: Arc::new(crate::preview::Preview {
                signer: crate::preview::LinkSigner::load(&db).await?,
                public_url: storage.public_url.clone(),
            }),
            key_throttle: crate::api::guard::Throttle::per_second(args.http.rate_per_key)
                .map(Arc::new),
            destinations: storage.destinations.clone(),
            nonces: Arc::new(crate::api::nonce_window::NonceWindow::new(NONCES_IN_MEMORY)),
        },
        ops_state(&db, &storage, &args.ops),
        HookState {
            db: db.clone(),
            buckets: storage.buckets.clone(),
            srs: storage.srs_hook.clone(),
            alibaba_live: storage.alibaba_live_hook.clone(),
        },
    );
    let listener = bind(args.listen).await?;
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
    match &pool {
        Some(pool) => println!(
            "workers: {} job(s) at once, registered as {}",
            args.worker.workers,
            pool.id()
        ),
        None => println!("workers: none (API only); run `livecut worker` on this database"),
    }
    println!(
        "create an access key: livecut --data-dir {} keys create --actions 'ice:*'",
        data_dir.display()
    );
    println!(
        "make a first clip:    livecut --data-dir {} demo --endpoint {addr}",
        data_dir.display()
    );
    run_until_stopped(
        Some((listener, app, args.http.clone())),
        pool,
        args.drain.drain_seconds,
        signals,
    )
    .await
}

pub async fn worker(store: &StoreSettings, args: &WorkerArgs) -> Result<(), ServeError> {
    if args.worker.workers == 0 {
        return Err(ServeError::NoWorkers);
    }
    let (db, storage) = open_store(store).await?;
    let signals = Signals::new()?;
    let ctx = worker_context(store, &db, &storage, &args.worker)?;
    // A worker-only process is woken by nothing but its poll.
    let pool = Pool::start(ctx, Arc::new(Notify::new())).await?;
    tokio::spawn(crate::callback::run(
        db.clone(),
        storage.destinations.clone(),
        args.callbacks.delivery(),
    ));
    let http = match args.listen {
        Some(addr) => {
            let listener = bind(addr).await?;
            let addr = listener.local_addr().map_err(ServeError::Server)?;
            println!(
                "livecut worker {} listening on http://{addr}  (/metrics, /healthz)",
                pool.id()
            );
            Some((
                listener,
                ops_router(ops_state(&db, &storage, &args.ops)),
                HttpSettings::default(),
            ))
        }
        None => {
            println!("livecut worker {} started", pool.id());
            None
        }
    };
    println!(
        "workers: {} job(s) at once; SIGTERM drains them within {} s",
        args.worker.workers, args.drain.drain_seconds
    );
    run_until_stopped(http, Some(pool), args.drain.drain_seconds, signals).await
}

/// The data directory's folders and the migrated database.
/// The configuration file's storage part, read once per process.
pub struct Storage {
    pub buckets: Buckets,
    pub streams: Arc<[StreamSource]>,
    /// SRS's `on_hls` hook, when the configuration sets one up (its token read at start).
    pub srs_hook: Option<Arc<SrsHook>>,
    /// Alibaba Cloud Live's recording callbacks, when configured (the key read at start).
    pub alibaba_live_hook: Option<Arc<AlibabaLiveHook>>,
    /// The streams the pull recorder copies (`[[record]]`).
    pub records: Vec<PullSpec>,
    /// `[http] public_url`: how players reach this server.
    pub public_url: Option<String>,
    /// `[callbacks]`: where callbacks may go.
    pub destinations: Arc<crate::callback::destination::Destinations>,
}

/// Prepares the data directory, reads the configuration (its buckets' credentials included, so
/// a missing secret stops the process at start) and opens the database.
async fn open_store(store: &StoreSettings) -> Result<(Db, Storage), ServeError> {
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
    // Outputs, recordings and the database with every secret: for this service's user only.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&store.data_dir, std::fs::Permissions::from_mode(0o700)).map_err(
            |source| ServeError::DataDir {
                path: store.data_dir.display().to_string(),
                source,
            },
        )?;
    }
    let config = store.load_config()?;
    let storage = Storage {
        buckets: Buckets::from_config(store.buckets_dir(), &config)?,
        streams: config.streams.clone().into(),
        srs_hook: config
            .hooks
            .srs
            .as_ref()
            .map(SrsHook::from_config)
            .transpose()?
            .map(Arc::new),
        alibaba_live_hook: config
            .hooks
            .alibaba_live
            .as_ref()
            .map(AlibabaLiveHook::from_config)
            .transpose()?
            .map(Arc::new),
        records: config
            .record
            .iter()
            .map(|r| PullSpec::new(&r.url, (&r.domain, &r.app, &r.stream), r.to.as_deref()))
            .collect::<Result<_, _>>()
            .map_err(crate::config::ConfigError::Record)?,
        public_url: config.http.public_url.clone(),
        destinations: Arc::new(config.callbacks.destinations()?),
    };
    Ok((store.open_db().await?, storage))
}

/// What a worker pool works with: the one place that says where buckets, recordings and scratch
/// space are, for `serve` and `worker` alike.
pub fn worker_context(
    store: &StoreSettings,
    db: &Db,
    storage: &Storage,
    settings: &WorkerSettings,
) -> Result<WorkerContext, ServeError> {
    Ok(WorkerContext {
        db: db.clone(),
        buckets: storage.buckets.clone(),
        streams: storage.streams.clone(),
        config_path: store.config.clone(),
        recordings_dir: store.recordings_dir(),
        scratch_dir: store.scratch_dir(),
        settings: settings.clone(),
        exe: std::env::current_exe().map_err(ServeError::Exe)?,
        drain: Drain::new(),
    })
}

/// What `/healthz` and `/metrics` check, for `serve` and `worker` alike.
fn ops_state(db: &Db, storage: &Storage, ops: &crate::settings::OpsSettings) -> OpsState {
    OpsState {
        db: db.clone(),
        buckets: storage.buckets.clone(),
        metrics_token: ops
            .metrics_token
            .as_ref()
            .map(|t| t.0.clone())
            .filter(|t| !t.is_empty()),
    }
}

async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, ServeError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Serves `http` (if any) until the first SIGTERM/SIGINT; then stops accepting, lets requests in
/// flight finish and drains the pool (a second signal cuts the drain short).
async fn run_until_stopped(
    http: Option<(TcpListener, Router, HttpSettings)>,
    pool: Option<Pool>,
    drain_seconds: u64,
    mut signals: Signals,
) -> Result<(), ServeError> {
    let (stop_tx, mut stop_rx) = watch::channel(false);
    let served = async move {
        let Some((listener, app, settings)) = http else {
            return;
        };
        crate::listener::serve(listener, app, &settings, async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        })
        .await;
    };
    let control = async move {
        signals.next().await;
        tracing::info!("stopping: no new requests or jobs");
        let _ = stop_tx.send(true);
        if let Some(pool) = pool {
            pool.drain(Duration::from_secs(drain_seconds), signals.next())
                .await;
        }
    };
    tokio::join!(served, control);
    Ok(())
}

/// SIGTERM and SIGINT, watched from the start (before the first line is printed, so a signal
/// sent as soon as the process says it runs drains it rather than killing it).
struct Signals {
    term: Signal,
    int: Signal,
}

impl Signals {
    fn new() -> Result<Signals, ServeError> {
        Ok(Signals {
            term: signal(SignalKind::terminate()).map_err(ServeError::Signal)?,
            int: signal(SignalKind::interrupt()).map_err(ServeError::Signal)?,
        })
    }

    async fn next(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}

/// Nonces an API process remembers (about 24 bytes each; 2,000,000 is 6.7 minutes of 5,000
/// calls a second); beyond, reads are claimed in the database too.
const NONCES_IN_MEMORY: usize = 2_000_000;

/// How long the outbox keeps an event that ended (for GetLiveEditingJob's CallbackStatus).
const ENDED_CALLBACKS_KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

fn spawn_purges(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(e) = nonces::purge_expired(&db, now_ms()).await {
                tracing::warn!(error = %e, "purging expired nonces failed");
            }
            let before = now_ms() - ENDED_CALLBACKS_KEPT_MS;
            if let Err(e) = crate::db::callbacks::purge_ended(&db, before).await {
                tracing::warn!(error = %e, "purging delivered callbacks failed");
            }
        }
    });
}
