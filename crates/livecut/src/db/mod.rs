//! The database: one `sqlx::AnyPool` and one SQL code path for SQLite (embedded default) and
//! PostgreSQL (scale-out). Each table has its own module; only `queue` knows a dialect difference.

pub mod callbacks;
pub mod job_objects;
pub mod jobs;
pub mod keys;
pub mod media;
pub mod nonces;
pub mod output_owners;
pub mod projects;
pub mod queue;
pub mod recordings;
pub mod seal;
pub mod secrets;
pub mod segments;
pub mod usage;
pub mod workers;

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported database URL {0:?}: use sqlite://… or postgres://…")]
    UnsupportedUrl(String),
    #[error("cannot create the database directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Seal(#[from] seal::SealError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub dialect: Dialect,
    /// SQLite has one writer at a time; writers of this process that contend for it wait their
    /// turn here instead of in SQLite's busy handler, which sleeps in steps of up to 100 ms.
    write_gate: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Seals the secrets stored in the database with the master key, when one is set.
    pub sealer: std::sync::Arc<seal::Sealer>,
}

impl Db {
    /// Opens (creating if needed) and migrates the database at `url`, without a master key (a
    /// database whose secrets are sealed is refused; `StoreSettings::open_db` has the key).
    pub async fn open(url: &str) -> Result<Db, DbError> {
        Db::open_with(url, seal::Sealer::clear()).await
    }

    /// Opens the database with `sealer`; with a master key, secrets stored in clear or under the
    /// previous key are sealed under the current one before the database is used.
    pub async fn open_with(url: &str, sealer: seal::Sealer) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Dialect::Postgres
        } else {
            return Err(DbError::UnsupportedUrl(url.to_string()));
        };
        if dialect == Dialect::Sqlite {
            create_sqlite_file(url)?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if dialect == Dialect::Sqlite { 8 } else { 16 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        // Pragmas cannot ride in an Any URL. WAL lets the CLI and a running server
                        // share the file; busy_timeout turns lock contention into waiting.
                        conn.execute("PRAGMA journal_mode=WAL").await?;
                        conn.execute("PRAGMA busy_timeout=10000").await?;
                        conn.execute("PRAGMA synchronous=NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys=ON").await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let db = Db {
            pool,
            dialect,
            write_gate: std::sync::Arc::default(),
            sealer: std::sync::Arc::new(sealer),
        };
        if db.sealer.seals() {
            secrets::reseal(&db).await?;
        } else {
            secrets::ensure_open_without_key(&db).await?;
        }
        Ok(db)
    }
}

/// Keyset paging over `(created_at, <id>)`, shared by the list calls: a page starts after the
/// last row of the one before, so pages stay stable while rows are added and no OFFSET scan
/// grows with the page number.
pub(crate) struct Keyset {
    cmp: &'static str,
    order: &'static str,
}

impl Keyset {
    pub fn new(oldest_first: bool) -> Keyset {
        if oldest_first {
            Keyset {
                cmp: ">",
                order: "ASC",
            }
        } else {
            Keyset {
                cmp: "<",
                order: "DESC",
            }
        }
    }

    /// The condition "after the cursor" on `id`, with parameters `$n` (1 when there is a
    /// cursor, else 0), `$n+1` (its created_at) and `$n+2` (its id).
    pub fn after(&self, id: &str, n: usize) -> String {
        let (cmp, at, key) = (self.cmp, n + 1, n + 2);
        format!(
            "(${n} = 0 OR created_at {cmp} ${at} OR (created_at = ${at} AND {id} {cmp} ${key}))"
        )
    }

    /// The ORDER BY of the listing.
    pub fn order_by(&self, id: &str) -> String {
        let order = self.order;
        format!("ORDER BY created_at {order}, {id} {order}")
    }
}

/// Creates the SQLite file's directory, and the file itself readable by its owner only: it holds
/// every access key's secret. (SQLite gives its `-wal` and `-shm` files the same mode.) A file
/// that exists is made owner-only too.
impl Db {
    /// Held around a write transaction on a hot path (Submit, nonce claims): on SQLite, this
    /// process's writers take turns; on PostgreSQL, nothing to wait for.
    pub async fn hot_writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.dialect {
            Dialect::Sqlite => Some(self.write_gate.lock().await),
            Dialect::Postgres => None,
        }
    }
}

fn create_sqlite_file(url: &str) -> Result<(), DbError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let path = std::path::Path::new(path);
    let failed = |source: std::io::Error| DbError::Directory {
        path: path.display().to_string(),
        source,
    };
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| DbError::Directory {
            path: parent.display().to_string(),
            source,
        })?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(failed)?;
    for file in [
        path.to_path_buf(),
        wal_file(path, "-wal"),
        wal_file(path, "-shm"),
    ] {
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(failed)?;
        }
    }
    Ok(())
}

fn wal_file(db: &std::path::Path, suffix: &str) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_os_string();
    name.push(suffix);
    name.into()
}

/// Opens a fresh database for a test: SQLite in a temp dir, or PostgreSQL when
/// `LIVECUT_TEST_PG_URL` is set and `pg` is asked for (each call gets its own schema-free database
/// by truncating tables, so tests on PostgreSQL must not run concurrently on one URL).
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub async fn sqlite(dir: &tempfile::TempDir) -> Db {
        sqlite_with(dir, seal::Sealer::clear()).await
    }

    pub async fn sqlite_with(dir: &tempfile::TempDir, sealer: seal::Sealer) -> Db {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        Db::open_with(&url, sealer).await.expect("open sqlite")
    }

    /// A fresh PostgreSQL database per call, created inside the throwaway cluster named by
    /// `LIVECUT_TEST_PG_URL`. None when that variable is unset (local runs without PostgreSQL);
    /// CI always sets it, so the PostgreSQL path is always tested there.
    pub async fn postgres() -> Option<Db> {
        let url = postgres_url().await?;
        Some(
            Db::open_with(&url, seal::Sealer::clear())
                .await
                .expect("open postgres"),
        )
    }

    /// The URL of a fresh PostgreSQL database (see [`postgres`]).
    pub async fn postgres_url() -> Option<String> {
        let Ok(base) = std::env::var("LIVECUT_TEST_PG_URL") else {
            // A CI run without PostgreSQL would silently skip half the storage tests.
            assert!(
                std::env::var_os("CI").is_none(),
                "LIVECUT_TEST_PG_URL must be set in CI (the Makefile's test target starts PostgreSQL)"
            );
            return None;
        };
        sqlx::any::install_default_drivers();
        let admin = AnyPoolOptions::new()
            .max_connections(1)
            .connect(&base)
            .await
            .expect("connect to LIVECUT_TEST_PG_URL");
        let name = format!("t_{}", crate::ids::new_resource_id());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        let url = match base.rfind('/') {
            Some(i) => format!("{}/{}", &base[..i], name),
            None => panic!("LIVECUT_TEST_PG_URL has no database part"),
        };
        Some(url)
    }
}
