//! Access keys: the secret (needed in clear to verify HMAC signatures) and the RAM actions allowed.

use sqlx::Row;

use super::seal::Sealer;
use super::{Db, DbError};

/// The account of keys created without `--account` (and of rows from before accounts).
pub const DEFAULT_ACCOUNT: &str = "default";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub access_key_id: String,
    pub secret: String,
    /// RAM actions such as `ice:SubmitLiveEditingJob` or `ice:*`.
    pub actions: Vec<String>,
    pub disabled: bool,
    /// The account the key acts for: it sees and changes only that account's jobs, assets,
    /// projects and callback settings.
    pub account: String,
    /// What it may write and read, beyond its actions.
    pub resources: Resources,
    /// The secret before the last rotation, still accepted until its time (ms) when the rotation
    /// gave an overlap.
    pub previous: Option<PreviousSecret>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    pub secret: String,
    pub until_ms: i64,
}

/// A key's RAM resources: output locations it may write (`bucket` or `bucket/prefix`) and
/// recordings it may read (`DomainName` or `DomainName/AppName`); `*` is everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resources {
    pub write_buckets: Vec<String>,
    pub read_streams: Vec<String>,
}

impl Default for Resources {
    fn default() -> Self {
        Resources {
            write_buckets: vec!["*".into()],
            read_streams: vec!["*".into()],
        }
    }
}

impl Resources {
    /// May the key write object `key` of `bucket`?
    pub fn may_write(&self, bucket: &str, key: &str) -> bool {
        self.write_buckets.iter().any(|p| match p.split_once('/') {
            _ if p == "*" => true,
            None => p == bucket,
            Some((b, prefix)) => b == bucket && key.starts_with(prefix),
        })
    }

    /// May the key read the recordings of `app` on `domain`?
    pub fn may_read(&self, domain: &str, app: &str) -> bool {
        self.read_streams.iter().any(|p| match p.split_once('/') {
            _ if p == "*" => true,
            None => p == domain,
            Some((d, a)) => d == domain && a == app,
        })
    }
}

/// The items of a comma-separated list as stored (and as `livecut keys create` takes them).
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

impl AccessKey {
    /// The secrets a signature may be made with at `now_ms`: the current one, then the previous
    /// one while its overlap lasts.
    pub fn secrets_at(&self, now_ms: i64) -> impl Iterator<Item = &str> {
        let previous = self
            .previous
            .as_ref()
            .filter(|p| now_ms < p.until_ms)
            .map(|p| p.secret.as_str());
        std::iter::once(self.secret.as_str()).chain(previous)
    }

    /// RAM semantics: `ice:*` allows every ice action; otherwise an exact, case-insensitive match.
    pub fn allows(&self, action: &str) -> bool {
        let wanted = format!("ice:{action}");
        self.actions
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case("ice:*") || a.eq_ignore_ascii_case(&wanted))
    }
}

/// Where a key's secrets are sealed (the row binding of `seal`).
fn slot(column: &str, access_key_id: &str) -> String {
    format!("access_keys.{column}/{access_key_id}")
}

pub async fn insert(db: &Db, key: &AccessKey, now_ms: i64) -> Result<(), DbError> {
    let secret = db
        .sealer
        .seal(&slot("secret", &key.access_key_id), &key.secret)?;
    sqlx::query(
        "INSERT INTO access_keys (access_key_id, secret, actions, created_at, disabled, account, \
         write_buckets, read_streams) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&key.access_key_id)
    .bind(secret)
    .bind(key.actions.join(","))
    .bind(now_ms)
    .bind(i64::from(key.disabled))
    .bind(&key.account)
    .bind(key.resources.write_buckets.join(","))
    .bind(key.resources.read_streams.join(","))
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Every key, oldest first, with its secrets blanked (listing never shows one, nor opens one).
pub async fn list(db: &Db) -> Result<Vec<AccessKey>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_keys ORDER BY created_at, access_key_id"
    )))
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(|row| from_row(row, None)).collect()
}

/// Disables or enables a key; false when there is no such key.
pub async fn set_disabled(db: &Db, access_key_id: &str, disabled: bool) -> Result<bool, DbError> {
    let r = sqlx::query("UPDATE access_keys SET disabled = $1 WHERE access_key_id = $2")
        .bind(i64::from(disabled))
        .bind(access_key_id)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

/// Replaces a key's secret; the old one keeps verifying signatures until `overlap_until_ms`
/// (nothing before `now`: it stops at once). False when there is no such key.
pub async fn set_secret(
    db: &Db,
    access_key_id: &str,
    secret: &str,
    overlap_until_ms: i64,
) -> Result<bool, DbError> {
    let sealed = db.sealer.seal(&slot("secret", access_key_id), secret)?;
    let mut tx = db.pool.begin().await?;
    // A write first: SQLite then holds the writer lock for the whole read-modify-write, instead
    // of failing at once (SQLITE_BUSY_SNAPSHOT) when another process wrote after the read.
    sqlx::query("UPDATE access_keys SET disabled = disabled WHERE access_key_id = $1")
        .bind(access_key_id)
        .execute(&mut *tx)
        .await?;
    let Some(old) = sqlx::query("SELECT secret FROM access_keys WHERE access_key_id = $1")
        .bind(access_key_id)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(false);
    };
    // Moved from one slot to the other, so opened and sealed again for its new row binding;
    // without an overlap it is not kept at all.
    let previous = if overlap_until_ms > crate::clock::now_ms() {
        let old = db.sealer.open(
            &slot("secret", access_key_id),
            &old.try_get::<String, _>("secret")?,
        )?;
        db.sealer
            .seal(&slot("previous_secret", access_key_id), &old)?
    } else {
        String::new()
    };
    sqlx::query(
        "UPDATE access_keys SET secret = $1, previous_secret = $2, previous_until = $3 \
         WHERE access_key_id = $4",
    )
    .bind(sealed)
    .bind(previous)
    .bind(overlap_until_ms)
    .bind(access_key_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

const COLUMNS: &str = "access_key_id, secret, actions, disabled, account, write_buckets, \
     read_streams, previous_secret, previous_until";

pub async fn find(db: &Db, access_key_id: &str) -> Result<Option<AccessKey>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_keys WHERE access_key_id = $1"
    )))
    .bind(access_key_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref()
        .map(|row| from_row(row, Some(&db.sealer)))
        .transpose()
}

/// A key as stored; its secrets opened with `sealer`, or left blank without one.
fn from_row(row: &sqlx::any::AnyRow, sealer: Option<&Sealer>) -> Result<AccessKey, DbError> {
    let list = |column: &str| -> Result<Vec<String>, DbError> {
        Ok(split_list(&row.try_get::<String, _>(column)?))
    };
    let access_key_id: String = row.try_get("access_key_id")?;
    let secret = |column: &str| -> Result<String, DbError> {
        match sealer {
            Some(sealer) => Ok(sealer.open(
                &slot(column, &access_key_id),
                &row.try_get::<String, _>(column)?,
            )?),
            None => Ok(String::new()),
        }
    };
    let until_ms: i64 = row.try_get("previous_until")?;
    let previous = if until_ms > 0 && !row.try_get::<String, _>("previous_secret")?.is_empty() {
        Some(PreviousSecret {
            secret: secret("previous_secret")?,
            until_ms,
        })
    } else {
        None
    };
    Ok(AccessKey {
        secret: secret("secret")?,
        access_key_id,
        previous,
        actions: list("actions")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        account: row.try_get("account")?,
        resources: Resources {
            write_buckets: list("write_buckets")?,
            read_streams: list("read_streams")?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_limit_buckets_prefixes_domains_and_apps() {
        let r = Resources {
            write_buckets: vec!["alpha".into(), "shared/team-a/".into()],
            read_streams: vec!["live.example.com/shop".into(), "other.example.com".into()],
        };
        assert!(r.may_write("alpha", "any/key.mp4"));
        assert!(r.may_write("shared", "team-a/x.mp4"));
        assert!(!r.may_write("shared", "team-b/x.mp4"));
        assert!(!r.may_write("beta", "x.mp4"));
        assert!(r.may_read("live.example.com", "shop"));
        assert!(!r.may_read("live.example.com", "news"));
        assert!(r.may_read("other.example.com", "anything"));
        assert!(Resources::default().may_write("any", "thing"));
        assert!(Resources::default().may_read("any", "thing"));
    }

    fn key(actions: &[&str]) -> AccessKey {
        AccessKey {
            access_key_id: "LTAIkey".into(),
            secret: "s".into(),
            actions: actions
                .iter()
                .map(std::string::ToString::to_string)
                .collect(),
            disabled: false,
            account: "default".into(),
            resources: Resources::default(),
            previous: None,
        }
    }

    #[test]
    fn wildcard_allows_everything_exact_allows_one() {
        assert!(key(&["ice:*"]).allows("GetMediaInfo"));
        let k = key(&["ice:GetLiveEditingJob"]);
        assert!(k.allows("GetLiveEditingJob"));
        assert!(!k.allows("SubmitLiveEditingJob"));
    }

    #[tokio::test]
    async fn stored_keys_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::sqlite(&dir).await;
        let k = key(&["ice:SubmitLiveEditingJob", "ice:GetMediaInfo"]);
        insert(&db, &k, 1).await.unwrap();
        assert_eq!(find(&db, "LTAIkey").await.unwrap(), Some(k));
        assert_eq!(find(&db, "nope").await.unwrap(), None);
    }

    async fn stored_secret(db: &Db, column: &str) -> String {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {column} FROM access_keys WHERE access_key_id = 'LTAIkey'"
        )))
        .fetch_one(&db.pool)
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn rotation_keeps_the_old_secret_for_its_overlap_and_both_are_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let master = crate::db::seal::new_master_key().unwrap();
        let sealer = || Sealer::new(Some(&master), None).unwrap();
        let db = crate::db::testing::sqlite_with(&dir, sealer()).await;
        insert(&db, &key(&["ice:*"]), 1).await.unwrap();
        assert!(stored_secret(&db, "secret").await.starts_with("lcsealed:"));
        let until = crate::clock::now_ms() + 60_000;
        assert!(set_secret(&db, "LTAIkey", "new", until).await.unwrap());
        assert!(!set_secret(&db, "nope", "new", 0).await.unwrap());
        let k = find(&db, "LTAIkey").await.unwrap().unwrap();
        assert_eq!(k.secret, "new");
        assert_eq!(k.secrets_at(until - 1).collect::<Vec<_>>(), ["new", "s"]);
        assert_eq!(k.secrets_at(until).collect::<Vec<_>>(), ["new"]);
        let previous = stored_secret(&db, "previous_secret").await;
        assert!(previous.starts_with("lcsealed:"), "{previous}");
        // Without an overlap the old secret is not kept.
        assert!(set_secret(&db, "LTAIkey", "newer", 0).await.unwrap());
        assert_eq!(stored_secret(&db, "previous_secret").await, "");
        assert!(
            list(&db).await.unwrap()[0].secret.is_empty(),
            "never listed"
        );
        drop(db);
        // Without the master key the database does not open, and says why.
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let err = Db::open_with(&url, Sealer::clear()).await.err().unwrap();
        assert!(err.to_string().contains("LIVECUT_MASTER_KEY"), "{err}");
    }
}
