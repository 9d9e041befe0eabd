//! Replay protection: a signature nonce may be used once within the signature's validity window.
//! Kept in the database (not in memory) so that every API process of a scale-out sees every nonce.

use sqlx::{Any, Transaction};

use super::{Db, DbError};

/// Nonces are remembered for the whole validity window of a signature: 15 minutes either side.
pub const TTL_MS: i64 = 30 * 60 * 1000;

/// One statement: a new nonce is inserted, an expired one taken over, a live one left alone. An
/// expired row is replaced instead of rejected: after the window the timestamp check alone
/// already refuses the old request, so the nonce value is free again.
const CLAIM: &str = "INSERT INTO signature_nonces (nonce, expires_at) VALUES ($1, $2) \
     ON CONFLICT (nonce) DO UPDATE SET expires_at = excluded.expires_at \
     WHERE signature_nonces.expires_at < $3";

/// Records `nonce`; false when it was already used and has not expired.
pub async fn claim(db: &Db, nonce: &str, now_ms: i64, ttl_ms: i64) -> Result<bool, DbError> {
    let _turn = db.hot_writer().await;
    let claimed = sqlx::query(CLAIM)
        .bind(nonce)
        .bind(now_ms + ttl_ms)
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(claimed.rows_affected() == 1)
}

/// `claim` inside the transaction of the write the request makes (Submit), so that the request
/// commits one transaction, not two; a replay rolls the whole write back.
pub async fn claim_in(
    tx: &mut Transaction<'_, Any>,
    nonce: &str,
    now_ms: i64,
    ttl_ms: i64,
) -> Result<bool, DbError> {
    let claimed = sqlx::query(CLAIM)
        .bind(nonce)
        .bind(now_ms + ttl_ms)
        .bind(now_ms)
        .execute(&mut **tx)
        .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Drops expired nonces so the table stays the size of one validity window.
pub async fn purge_expired(db: &Db, now_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM signature_nonces WHERE expires_at < $1")
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn replay_rules(db: &Db) {
        assert!(claim(db, "n1", 1000, 500).await.unwrap());
        assert!(
            !claim(db, "n1", 1200, 500).await.unwrap(),
            "replay inside the window"
        );
        assert!(claim(db, "n2", 1200, 500).await.unwrap());
        assert!(
            claim(db, "n1", 2000, 500).await.unwrap(),
            "free again after expiry"
        );
        assert_eq!(purge_expired(db, 2600).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn nonce_replay_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        replay_rules(&crate::db::testing::sqlite(&dir).await).await;
    }

    #[tokio::test]
    async fn nonce_replay_postgres() {
        if let Some(db) = crate::db::testing::postgres().await {
            replay_rules(&db).await;
        }
    }
}
