//! Every tunable of the service, from flags or `LIVECUT_*` environment variables (clap is the one
//! source of settings), with the defaults a single-machine install wants.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Where state lives. Shared by every subcommand so that `keys` and `recordings` reach the same
/// database as a running `serve`.
#[derive(Args, Debug, Clone)]
pub struct StoreSettings {
    /// Data directory of the embedded default: SQLite database, buckets, recordings, scratch.
    #[arg(
        long,
        env = "LIVECUT_DATA_DIR",
        default_value = "./livecut-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Database URL (sqlite://… or postgres://…). Default: SQLite in the data directory.
    #[arg(long, env = "LIVECUT_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Configuration file (TOML): the bucket map and what else does not fit flags
    /// (see `livecut config check`).
    #[arg(long, env = "LIVECUT_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Master key sealing every secret the database holds (AES-256-GCM; 32 bytes in hex or
    /// base64, from `livecut keys master-key`). Give it through the environment or a file, not
    /// the command line, where other users can read it.
    #[arg(
        long,
        env = "LIVECUT_MASTER_KEY",
        hide_env_values = true,
        global = true
    )]
    pub master_key: Option<Hidden>,

    /// A file holding the master key (instead of `LIVECUT_MASTER_KEY`).
    #[arg(long, env = "LIVECUT_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,

    /// The master key before a roll: secrets sealed with it are opened and sealed again with the
    /// current one when the database is opened.
    #[arg(
        long,
        env = "LIVECUT_MASTER_KEY_PREVIOUS",
        hide_env_values = true,
        global = true
    )]
    pub master_key_previous: Option<Hidden>,
}

/// The operator's routes (`/metrics`, `/healthz`).
#[derive(Args, Debug, Clone, Default)]
pub struct OpsSettings {
    /// A bearer token `/metrics` then requires (`Authorization: Bearer …`). With it the scrape
    /// also has each account's usage (output seconds, jobs, bytes stored); without it `/metrics`
    /// stays open and shows no account, so tenants never see each other's names or figures.
    #[arg(long, env = "LIVECUT_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Hidden>,
}

/// A setting that is a secret: its `Debug` never shows it (settings are printed in logs and
/// errors).
#[derive(Clone)]
pub struct Hidden(pub String);

impl std::fmt::Debug for Hidden {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<hidden>")
    }
}

impl std::str::FromStr for Hidden {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Hidden(s.to_string()))
    }
}

impl StoreSettings {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("livecut.db").display()
            ),
        }
    }

    /// The sealer of the master key settings (none set: secrets stored in clear).
    pub fn sealer(&self) -> Result<crate::db::seal::Sealer, crate::db::seal::SealError> {
        let set = |v: &Option<Hidden>| {
            v.as_ref()
                .map(|h| h.0.clone())
                .filter(|v| !v.trim().is_empty())
        };
        let current = match (set(&self.master_key), &self.master_key_file) {
            (Some(key), _) => Some(key),
            (None, Some(path)) => Some(
                std::fs::read_to_string(path)
                    .map_err(|e| crate::db::seal::SealError::KeyFile(e.kind().to_string()))?,
            ),
            (None, None) => None,
        };
        crate::db::seal::Sealer::new(
            current.as_deref(),
            set(&self.master_key_previous).as_deref(),
        )
    }

    /// Opens the database with the master key of these settings.
    pub async fn open_db(&self) -> Result<crate::db::Db, crate::db::DbError> {
        crate::db::Db::open_with(&self.database_url(), self.sealer()?).await
    }

    pub fn buckets_dir(&self) -> PathBuf {
        self.data_dir.join("buckets")
    }

    pub fn recordings_dir(&self) -> PathBuf {
        self.data_dir.join("recordings")
    }

    pub fn scratch_dir(&self) -> PathBuf {
        self.data_dir.join("scratch")
    }

    /// The configuration file's contents (empty without one).
    pub fn load_config(&self) -> Result<crate::config::Config, crate::config::ConfigError> {
        crate::config::Config::load(self.config.as_deref())
    }

    /// The bucket map of this configuration.
    pub fn buckets(&self) -> Result<crate::storage::Buckets, crate::storage::StorageError> {
        crate::storage::Buckets::from_config(self.buckets_dir(), &self.load_config()?)
    }
}

/// Limits applied when a job is submitted. Each one has a test in `job::validate`.
#[derive(Args, Debug, Clone)]
pub struct Limits {
    /// Most clips in one job.
    #[arg(long, env = "LIVECUT_MAX_CLIPS", default_value_t = 100)]
    pub max_clips: usize,
    /// Longest single clip, in seconds.
    #[arg(long, env = "LIVECUT_MAX_CLIP_SECONDS", default_value_t = 6 * 3600)]
    pub max_clip_seconds: u64,
    /// Longest sum of all clips of a job, in seconds.
    #[arg(long, env = "LIVECUT_MAX_TOTAL_SECONDS", default_value_t = 12 * 3600)]
    pub max_total_seconds: u64,
    /// Largest output width or height in pixels.
    #[arg(long, env = "LIVECUT_MAX_DIMENSION", default_value_t = 4096)]
    pub max_dimension: u32,
    /// How far in the future a clip may end (the recorder has yet to write it; the job waits
    /// in the queue, not on a worker, until then).
    #[arg(long, env = "LIVECUT_MAX_FUTURE_SECONDS", default_value_t = 3600)]
    pub max_future_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_clips: 100,
            max_clip_seconds: 6 * 3600,
            max_total_seconds: 12 * 3600,
            max_dimension: 4096,
            max_future_seconds: 3600,
        }
    }
}

/// How workers run jobs.
#[derive(Args, Debug, Clone)]
pub struct WorkerSettings {
    /// Jobs processed at the same time by this process (0 = API only, no worker).
    #[arg(long, env = "LIVECUT_WORKERS", default_value_t = 1)]
    pub workers: usize,
    /// A claimed job whose worker stops renewing its lease for this long is taken up again.
    #[arg(long, env = "LIVECUT_LEASE_SECONDS", default_value_t = 30)]
    pub lease_seconds: u64,
    /// Most attempts of one job before it fails for good (each attempt is a worker that died).
    #[arg(long, env = "LIVECUT_MAX_ATTEMPTS", default_value_t = 3)]
    pub max_attempts: i64,
    /// Time limit of the media work of one job; a child process still running then is killed.
    #[arg(long, env = "LIVECUT_JOB_TIMEOUT_SECONDS", default_value_t = 4 * 3600)]
    pub job_timeout_seconds: u64,
    /// How long after a clip's EndTime a job waits for a still-growing recording to reach it.
    #[arg(long, env = "LIVECUT_LIVE_WAIT_SECONDS", default_value_t = 120)]
    pub live_wait_seconds: u64,
    /// How often an idle worker looks for jobs that other processes queued or that expired.
    #[arg(long, env = "LIVECUT_POLL_MILLIS", default_value_t = 1000)]
    pub poll_millis: u64,
}

impl WorkerSettings {
    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds.max(1))
    }

    /// A third of the lease: two renewals can be lost before another worker takes over.
    pub fn heartbeat(&self) -> Duration {
        self.lease() / 3
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            workers: 1,
            lease_seconds: 30,
            max_attempts: 3,
            job_timeout_seconds: 4 * 3600,
            live_wait_seconds: 120,
            poll_millis: 1000,
        }
    }
}

/// How the HTTP server guards itself against clients that hold connections, trickle requests or
/// call too fast (each of these took a naive server down).
#[derive(Args, Debug, Clone)]
pub struct HttpSettings {
    /// Most connections open at once; more are answered `503 ServiceUnavailable` and closed.
    /// Lowered at start to what the process's open-file limit leaves after a reserve for jobs.
    #[arg(long, env = "LIVECUT_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// A connection that has not sent a whole request head this long after it opened (or after
    /// its previous response) is closed: idle keep-alive connections included.
    #[arg(long, env = "LIVECUT_HEADER_TIMEOUT_SECONDS", default_value_t = 10)]
    pub header_timeout_seconds: u64,
    /// A request whose body has not arrived and been answered within this long gets
    /// `408 RequestTimeout` and its connection is closed (a body that never ends, a trickle).
    #[arg(long, env = "LIVECUT_REQUEST_TIMEOUT_SECONDS", default_value_t = 30)]
    pub request_timeout_seconds: u64,
    /// Requests per second one client address may make (bursts of twice as many); `Throttling`
    /// beyond it. 0 = no limit (behind a proxy every client has the proxy's address).
    #[arg(long, env = "LIVECUT_RATE_PER_ADDRESS", default_value_t = 1000)]
    pub rate_per_address: u32,
    /// API calls per second one access key may make (bursts of twice as many);
    /// `Throttling.User` beyond it. 0 = no limit.
    #[arg(long, env = "LIVECUT_RATE_PER_KEY", default_value_t = 500)]
    pub rate_per_key: u32,
}

impl HttpSettings {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_seconds.max(1))
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_seconds.max(1))
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            max_connections: 10_000,
            header_timeout_seconds: 10,
            request_timeout_seconds: 30,
            rate_per_address: 1000,
            rate_per_key: 500,
        }
    }
}

/// How completion callbacks are retried.
#[derive(Args, Debug, Clone)]
pub struct CallbackSettings {
    /// A callback not delivered this many hours after its job ended is given up.
    #[arg(long, env = "LIVECUT_CALLBACK_RETRY_HOURS", default_value_t = 24)]
    pub callback_retry_hours: u64,
    /// The longest wait between two attempts (they start 1 s apart and double).
    #[arg(
        long,
        env = "LIVECUT_CALLBACK_MAX_BACKOFF_SECONDS",
        default_value_t = 600
    )]
    pub callback_max_backoff_seconds: u64,
}

impl CallbackSettings {
    pub fn delivery(&self) -> crate::callback::Delivery {
        crate::callback::Delivery {
            max_backoff: Duration::from_secs(self.callback_max_backoff_seconds.max(1)),
            retry_for: Duration::from_secs(self.callback_retry_hours.max(1) * 3600),
            ..crate::callback::Delivery::default()
        }
    }
}
