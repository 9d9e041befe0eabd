//! Access keys: the secret (needed in clear to verify HMAC signatures) and the RAM actions allowed.

use sqlx::Row;

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
    /// RAM semantics: `ice:*` allows every ice action; otherwise an exact, case-insensitive match.
    pub fn allows(&self, action: &str) -> bool {
        let wanted = format!("ice:{action}");
        self.actions
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case("ice:*") || a.eq_ignore_ascii_case(&wanted))
    }
}

pub async fn insert(db: &Db, key: &AccessKey, now_ms: i64) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO access_keys (access_key_id, secret, actions, created_at, disabled, account, \
         write_buckets, read_streams) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&key.access_key_id)
    .bind(&key.secret)
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

/// Every key, oldest first, with its secret blanked (listing never shows one).
pub async fn list(db: &Db) -> Result<Vec<AccessKey>, DbError> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_keys ORDER BY created_at, access_key_id"
    )))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|row| {
            let mut key = from_row(row)?;
            key.secret.clear();
            Ok(key)
        })
        .collect()
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

/// Replaces a key's secret; false when there is no such key.
pub async fn set_secret(db: &Db, access_key_id: &str, secret: &str) -> Result<bool, DbError> {
    let r = sqlx::query("UPDATE access_keys SET secret = $1 WHERE access_key_id = $2")
        .bind(secret)
        .bind(access_key_id)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected() == 1)
}

const COLUMNS: &str =
    "access_key_id, secret, actions, disabled, account, write_buckets, read_streams";

pub async fn find(db: &Db, access_key_id: &str) -> Result<Option<AccessKey>, DbError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM access_keys WHERE access_key_id = $1"
    )))
    .bind(access_key_id)
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref().map(from_row).transpose()
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<AccessKey, DbError> {
    let list = |column: &str| -> Result<Vec<String>, DbError> {
        Ok(split_list(&row.try_get::<String, _>(column)?))
    };
    Ok(AccessKey {
        access_key_id: row.try_get("access_key_id")?,
        secret: row.try_get("secret")?,
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
}
