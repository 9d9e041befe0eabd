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
        "INSERT INTO access_keys (access_key_id, secret, actions, created_at, disabled, account) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&key.access_key_id)
    .bind(&key.secret)
    .bind(key.actions.join(","))
    .bind(now_ms)
    .bind(i64::from(key.disabled))
    .bind(&key.account)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn find(db: &Db, access_key_id: &str) -> Result<Option<AccessKey>, DbError> {
    let row = sqlx::query(
        "SELECT access_key_id, secret, actions, disabled, account FROM access_keys \
         WHERE access_key_id = $1",
    )
    .bind(access_key_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let actions: String = row.try_get("actions")?;
    Ok(Some(AccessKey {
        access_key_id: row.try_get("access_key_id")?,
        secret: row.try_get("secret")?,
        actions: actions
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(String::from)
            .collect(),
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        account: row.try_get("account")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

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
