//! Secrets the service makes for itself (not users' keys): created once by whichever process asks
//! first, then the same for every process of the deployment.

use sqlx::Row;

use super::{Db, DbError};

/// The secret called `name`; `fresh` becomes it if there is none yet (two processes racing both
/// read the one that won).
pub async fn get_or_create(
    db: &Db,
    name: &str,
    fresh: &str,
    now_ms: i64,
) -> Result<String, DbError> {
    sqlx::query(
        "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(name)
    .bind(fresh)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    let row = sqlx::query("SELECT value FROM server_secrets WHERE name = $1")
        .bind(name)
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("value")?)
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
