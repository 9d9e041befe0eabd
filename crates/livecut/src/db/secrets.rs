//! Secrets the service makes for itself (not users' keys): created once by whichever process asks
//! first, then the same for every process of the deployment. Also the resealing of every secret
//! the database holds when the master key is set or rolled (`db::seal`).

use sqlx::Row;

use super::{Db, DbError, callbacks};

fn slot(name: &str) -> String {
    format!("server_secrets.value/{name}")
}

/// The secret called `name`; `fresh` becomes it if there is none yet (two processes racing both
/// read the one that won).
pub async fn get_or_create(
    db: &Db,
    name: &str,
    fresh: &str,
    now_ms: i64,
) -> Result<String, DbError> {
    let sealed = db.sealer.seal(&slot(name), fresh)?;
    sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(sealed)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(&db.pool)
        .await?;
    Ok(db
        .sealer
        .open(&slot(name), &row.try_get::<String, _>("value")?)?)
}

/// The columns holding secrets: (table, key column, secret column, the slot of a row's value).
type SlotOf = fn(&str) -> String;
const SEALED_COLUMNS: [(&str, &str, &str, SlotOf); 4] = [
    ("access_keys", "access_key_id", "secret", |id| {
        format!("access_keys.secret/{id}")
    }),
    ("access_keys", "access_key_id", "previous_secret", |id| {
        format!("access_keys.previous_secret/{id}")
    }),
    (
        "event_callbacks",
        "account",
        "auth_key",
        callbacks::auth_key_slot,
    ),
    ("server_secrets", "name", "value", slot),
];

/// Without a master key: refuses a database whose secrets are sealed, naming the setting, rather
/// than starting a service whose every signature check would fail.
pub async fn ensure_open_without_key(db: &Db) -> Result<(), DbError> {
    for (table, _, column, _) in SEALED_COLUMNS {
        let sealed: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT {column} FROM {table} WHERE {column} LIKE 'lcsealed:%' LIMIT 1"
        )))
        .fetch_optional(&db.pool)
        .await?;
        if sealed.is_some() {
            return Err(super::seal::SealError::NoMasterKey {
                what: format!("{table}.{column}"),
            }
            .into());
        }
    }
    Ok(())
}

/// Seals under the current master key every secret stored in clear or under the previous key,
/// in one transaction (a process that dies halfway leaves everything as it was). Returns how
/// many values were sealed anew.
pub async fn reseal(db: &Db) -> Result<u64, DbError> {
    let mut tx = db.pool.begin().await?;
    // A write first, so SQLite holds the writer lock from the reads to the updates (see
    // `keys::set_secret`).
    sqlx::query("DELETE FROM server_secrets WHERE 1 = 0")
        .execute(&mut *tx)
        .await?;
    let mut changed = 0;
    for (table, id_column, column, slot_of) in SEALED_COLUMNS {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {id_column} AS id, {column} AS value FROM {table}"
        )))
        .fetch_all(&mut *tx)
        .await?;
        for row in rows {
            let id: String = row.try_get("id")?;
            let stored: String = row.try_get("value")?;
            if !db.sealer.needs_reseal(&stored) {
                continue;
            }
            let slot = slot_of(&id);
            let sealed = db.sealer.seal(&slot, &db.sealer.open(&slot, &stored)?)?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {table} SET {column} = $1 WHERE {id_column} = $2 AND {column} = $3"
            )))
            .bind(sealed)
            .bind(&id)
            .bind(&stored)
            .execute(&mut *tx)
            .await?;
            changed += 1;
        }
    }
    tx.commit().await?;
    if changed > 0 {
        scrub_old_copies(db).await?;
        tracing::info!(
            values = changed,
            "secrets sealed under the current master key"
        );
    }
    Ok(changed)
}

/// Rewrites the storage the old values lived in, so that the clear (or old-key) copies do not
/// linger in free pages or the write-ahead log. Backups taken before still hold them.
async fn scrub_old_copies(db: &Db) -> Result<(), DbError> {
    let statements: &[&str] = match db.dialect {
        super::Dialect::Sqlite => &["VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"],
        super::Dialect::Postgres => &["VACUUM FULL access_keys, event_callbacks, server_secrets"],
    };
    for statement in statements {
        sqlx::query(*statement).execute(&db.pool).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    async fn the_first_secret_stays(db: &Db) {
        assert_eq!(get_or_create(db, "k", "one", 1).await.unwrap(), "one");
        assert_eq!(get_or_create(db, "k", "two", 2).await.unwrap(), "one");
        assert_eq!(get_or_create(db, "other", "two", 2).await.unwrap(), "two");
    }

    /// Secrets stored in clear, then sealed by a first master key, then rolled to a second; the
    /// stored values never show a secret once a key is set, and only the current key opens them.
    async fn setting_then_rolling_the_master_key_reseals_every_secret(url: &str) {
        use crate::db::seal::{Sealer, new_master_key};
        let open = |sealer: Sealer| Db::open_with(url, sealer);
        let db = open(Sealer::clear()).await.unwrap();
        get_or_create(&db, "preview", "p-value", 1).await.unwrap();
        let key = crate::keys::create(
            &db,
            vec!["ice:*".into()],
            "default",
            crate::db::keys::Resources::default(),
        )
        .await
        .unwrap();
        let callback = callbacks::EventCallback {
            callback_type: "HTTP".into(),
            callback_url: "http://example.com/cb".into(),
            event_types: String::new(),
            auth_switch: "on".into(),
            auth_key: "AuthKey123".into(),
        };
        callbacks::set_event_callback(&db, "default", &callback, 1)
            .await
            .unwrap();
        let raw = |db: Db| async move {
            let mut all = Vec::new();
            for (table, _, column, _) in SEALED_COLUMNS {
                let values: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT {column} FROM {table}"
                )))
                .fetch_all(&db.pool)
                .await
                .unwrap();
                all.extend(values.into_iter().filter(|v| !v.is_empty()));
            }
            all
        };
        assert!(raw(db.clone()).await.contains(&key.secret));
        db.pool.close().await;

        let (one, two) = (new_master_key().unwrap(), new_master_key().unwrap());
        let db = open(Sealer::new(Some(&one), None).unwrap()).await.unwrap();
        let stored = raw(db.clone()).await;
        assert_eq!(stored.len(), 3);
        for secret in [&key.secret, "AuthKey123", "p-value"] {
            assert!(
                !stored.iter().any(|v| v.contains(secret)),
                "{secret} in {stored:?}"
            );
        }
        assert_eq!(reseal(&db).await.unwrap(), 0, "nothing left to seal");
        db.pool.close().await;

        let db = open(Sealer::new(Some(&two), Some(&one)).unwrap())
            .await
            .unwrap();
        db.pool.close().await;
        // Resealed under the new key: it alone opens them now.
        let db = open(Sealer::new(Some(&two), None).unwrap()).await.unwrap();
        let found = crate::db::keys::find(&db, &key.access_key_id)
            .await
            .unwrap();
        assert_eq!(found.map(|k| k.secret), Some(key.secret.clone()));
        let cb = callbacks::event_callback(&db, "default").await.unwrap();
        assert_eq!(cb.map(|c| c.auth_key).as_deref(), Some("AuthKey123"));
        assert_eq!(
            get_or_create(&db, "preview", "x", 2).await.unwrap(),
            "p-value"
        );
        db.pool.close().await;
        let refused = open(Sealer::new(Some(&one), None).unwrap()).await;
        assert!(
            matches!(refused, Err(DbError::Seal(_))),
            "the old key alone cannot open them"
        );
        let refused = open(Sealer::clear()).await;
        assert!(matches!(refused, Err(DbError::Seal(_))), "nor no key");
    }

    #[tokio::test]
    async fn master_key_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        setting_then_rolling_the_master_key_reseals_every_secret(&url).await;
        // The clear copies are gone from the file and its log, not only from the rows.
        let mut bytes = std::fs::read(dir.path().join("t.db")).unwrap();
        bytes.extend(std::fs::read(dir.path().join("t.db-wal")).unwrap_or_default());
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("AuthKey123") && !text.contains("p-value"));
    }

    #[tokio::test]
    async fn master_key_on_postgres() {
        if let Some(url) = testing::postgres_url().await {
            setting_then_rolling_the_master_key_reseals_every_secret(&url).await;
        }
    }

    #[tokio::test]
    async fn secrets_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        the_first_secret_stays(&testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn secrets_on_postgres() {
        if let Some(db) = testing::postgres().await {
            the_first_secret_stays(&db).await;
        }
    }
}
