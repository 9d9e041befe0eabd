//! Completion events: where they go (`event_callbacks`, set by SetEventCallback) and the outbox
//! of events still to deliver (`callback_outbox`). An event is written in the transaction that
//! ends its job (`enqueue_in`), so it survives restarts and dead workers; any process claims due
//! rows (`claim_due`), delivers them and records the result. Events of one job go out in the
//! order they were written.

use sqlx::{Any, Row, Transaction};

use super::{Db, DbError};

#[cfg(test)]
use super::keys::DEFAULT_ACCOUNT;
/// The one event this service emits.
pub const PRODUCE_MEDIA_COMPLETE: &str = "ProduceMediaComplete";

pub mod state {
    /// Waiting for its next attempt.
    pub const PENDING: &str = "Pending";
    /// A 2xx answer came back.
    pub const DELIVERED: &str = "Delivered";
    /// Given up: the retry time ran out, or the address may never be called.
    pub const FAILED: &str = "Failed";
    /// Nowhere to send it (no NotifyAddress, no event callback for its type).
    pub const NO_ADDRESS: &str = "NoAddress";
}

/// An account's SetEventCallback settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCallback {
    pub callback_type: String,
    pub callback_url: String,
    /// Comma-separated event types; empty means every type.
    pub event_types: String,
    /// `on` or `off`.
    pub auth_switch: String,
    pub auth_key: String,
}

impl EventCallback {
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.trim().is_empty()
            || self.event_types.split(',').any(|t| t.trim() == event_type)
    }

    /// The key that signs deliveries, when signing is on.
    pub fn signing_key(&self) -> Option<&str> {
        (self.auth_switch == "on" && !self.auth_key.is_empty()).then_some(self.auth_key.as_str())
    }
}

pub async fn set_event_callback(
    db: &Db,
    account: &str,
    c: &EventCallback,
    now_ms: i64,
) -> Result<(), DbError> {
    let auth_key = db.sealer.seal(&auth_key_slot(account), &c.auth_key)?;
    sqlx::query(
        "INSERT INTO event_callbacks (account, callback_type, callback_url, event_types, \
         auth_switch, auth_key, modified_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (account) DO UPDATE SET callback_type = excluded.callback_type, \
         callback_url = excluded.callback_url, event_types = excluded.event_types, \
         auth_switch = excluded.auth_switch, auth_key = excluded.auth_key, \
         modified_at = excluded.modified_at",
    )
    .bind(account)
    .bind(&c.callback_type)
    .bind(&c.callback_url)
    .bind(&c.event_types)
    .bind(&c.auth_switch)
    .bind(auth_key)
    .bind(now_ms)
    .execute(&db.pool)
    .await?;
    Ok(())
}

pub async fn event_callback(db: &Db, account: &str) -> Result<Option<EventCallback>, DbError> {
    let row = sqlx::query(
        "SELECT callback_type, callback_url, event_types, auth_switch, auth_key \
         FROM event_callbacks WHERE account = $1",
    )
    .bind(account)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(EventCallback {
            callback_type: r.try_get("callback_type")?,
            callback_url: r.try_get("callback_url")?,
            event_types: r.try_get("event_types")?,
            auth_switch: r.try_get("auth_switch")?,
            auth_key: db.sealer.open(
                &auth_key_slot(account),
                &r.try_get::<String, _>("auth_key")?,
            )?,
        })
    })
    .transpose()
}

/// Where an account's AuthKey is sealed (the row binding of `db::seal`).
pub(super) fn auth_key_slot(account: &str) -> String {
    format!("event_callbacks.auth_key/{account}")
}

/// Writes a `ProduceMediaComplete` event of `job_id` into the outbox, inside the transaction that
/// ends the job. Where it goes is decided when it is delivered.
pub async fn enqueue_in(
    tx: &mut Transaction<'_, Any>,
    job_id: &str,
    now_ms: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO callback_outbox (id, job_id, event_type, state, attempts, created_at, \
         next_attempt_at, lease_until, address, last_error) \
         VALUES ($1, $2, $3, $4, 0, $5, $5, 0, '', '')",
    )
    .bind(crate::ids::new_resource_id())
    .bind(job_id)
    .bind(PRODUCE_MEDIA_COMPLETE)
    .bind(state::PENDING)
    .bind(now_ms)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// An outbox row claimed for one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: String,
    pub job_id: String,
    pub event_type: String,
    /// Attempts so far, this one included.
    pub attempts: i64,
    pub created_at: i64,
}

/// Claims up to `limit` due rows for `lease_ms`: pending, their time come, not held by another
/// delivery, and no earlier pending event of the same job (order per job). A row is ours only
/// if our conditional update took it, so processes racing for a row never both send it.
pub async fn claim_due(
    db: &Db,
    now_ms: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Claimed>, DbError> {
    let rows = sqlx::query(
        "SELECT id, job_id, event_type, attempts, created_at FROM callback_outbox o \
         WHERE state = $1 AND next_attempt_at <= $2 AND lease_until <= $2 \
         AND NOT EXISTS (SELECT 1 FROM callback_outbox e WHERE e.job_id = o.job_id \
           AND e.state = $1 AND (e.created_at < o.created_at \
             OR (e.created_at = o.created_at AND e.id < o.id))) \
         ORDER BY next_attempt_at LIMIT $3",
    )
    .bind(state::PENDING)
    .bind(now_ms)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for r in rows {
        let id: String = r.try_get("id")?;
        let took = sqlx::query(
            "UPDATE callback_outbox SET lease_until = $1, attempts = attempts + 1 \
             WHERE id = $2 AND state = $3 AND lease_until <= $4",
        )
        .bind(now_ms + lease_ms)
        .bind(&id)
        .bind(state::PENDING)
        .bind(now_ms)
        .execute(&db.pool)
        .await?;
        if took.rows_affected() == 1 {
            claimed.push(Claimed {
                id,
                job_id: r.try_get("job_id")?,
                event_type: r.try_get("event_type")?,
                attempts: r.try_get::<i64, _>("attempts")? + 1,
                created_at: r.try_get("created_at")?,
            });
        }
    }
    Ok(claimed)
}

/// How an attempt ended.
pub enum Attempt<'a> {
    Delivered {
        address: &'a str,
    },
    /// Try again at `next_at`.
    Retry {
        address: &'a str,
        error: &'a str,
        next_at: i64,
    },
    /// No more attempts (`state::FAILED` or `state::NO_ADDRESS`).
    Final {
        state: &'static str,
        address: &'a str,
        error: &'a str,
    },
}

pub async fn record(db: &Db, id: &str, attempt: Attempt<'_>, now_ms: i64) -> Result<(), DbError> {
    let (state, address, error, next_at, delivered_at) = match attempt {
        Attempt::Delivered { address } => (state::DELIVERED, address, "", now_ms, Some(now_ms)),
        Attempt::Retry {
            address,
            error,
            next_at,
        } => (state::PENDING, address, error, next_at, None),
        Attempt::Final {
            state,
            address,
            error,
        } => (state, address, error, now_ms, None),
    };
    sqlx::query(
        "UPDATE callback_outbox SET state = $1, address = $2, last_error = $3, \
         next_attempt_at = $4, delivered_at = $5, lease_until = 0 WHERE id = $6",
    )
    .bind(state)
    .bind(address)
    .bind(error)
    .bind(next_at)
    .bind(delivered_at)
    .bind(id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The delivery state of a job's latest event, for GetLiveEditingJob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub state: String,
    pub attempts: i64,
    pub address: String,
    pub last_error: String,
    pub next_attempt_at: i64,
    pub delivered_at: Option<i64>,
}

pub async fn delivery_of(db: &Db, job_id: &str) -> Result<Option<Delivery>, DbError> {
    let row = sqlx::query(
        "SELECT state, attempts, address, last_error, next_attempt_at, delivered_at \
         FROM callback_outbox WHERE job_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(job_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(Delivery {
            state: r.try_get("state")?,
            attempts: r.try_get("attempts")?,
            address: r.try_get("address")?,
            last_error: r.try_get("last_error")?,
            next_attempt_at: r.try_get("next_attempt_at")?,
            delivered_at: r.try_get("delivered_at")?,
        })
    })
    .transpose()
}

/// Forgets events that ended (delivered, given up, nowhere to go) before `before_ms`, so the
/// outbox stays the size of the recent past.
pub async fn purge_ended(db: &Db, before_ms: i64) -> Result<u64, DbError> {
    let r = sqlx::query("DELETE FROM callback_outbox WHERE state <> $1 AND next_attempt_at < $2")
        .bind(state::PENDING)
        .bind(before_ms)
        .execute(&db.pool)
        .await?;
    Ok(r.rows_affected())
}

/// Events waiting for delivery (for `/metrics`).
pub async fn pending(db: &Db) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM callback_outbox WHERE state = $1")
        .bind(state::PENDING)
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("n")?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    async fn enqueue(db: &Db, job_id: &str, now_ms: i64) {
        let mut tx = db.pool.begin().await.unwrap();
        enqueue_in(&mut tx, job_id, now_ms).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn outbox_rules(db: &Db) {
        enqueue(db, "j1", 1_000).await;
        enqueue(db, "j1", 1_001).await;
        enqueue(db, "j2", 1_002).await;
        // Nothing is due before its time; then the first event of each job, not the second.
        assert!(claim_due(db, 999, 60_000, 10).await.unwrap().is_empty());
        let first = claim_due(db, 2_000, 60_000, 10).await.unwrap();
        let jobs: Vec<&str> = first.iter().map(|c| c.job_id.as_str()).collect();
        assert_eq!(jobs, ["j1", "j2"]);
        assert!(first.iter().all(|c| c.attempts == 1));
        // Claimed rows are held: a second process gets nothing.
        assert!(claim_due(db, 2_001, 60_000, 10).await.unwrap().is_empty());
        let j1 = &first[0];
        record(
            db,
            &j1.id,
            Attempt::Retry {
                address: "http://a/",
                error: "HTTP 500",
                next_at: 5_000,
            },
            2_100,
        )
        .await
        .unwrap();
        let d = delivery_of(db, "j2").await.unwrap().unwrap();
        assert_eq!((d.state.as_str(), d.attempts), (state::PENDING, 1));
        // j1's first event waits for its retry, and its second waits behind it.
        assert!(claim_due(db, 3_000, 60_000, 10).await.unwrap().is_empty());
        let again = claim_due(db, 5_000, 60_000, 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(
            (again[0].id.as_str(), again[0].attempts),
            (j1.id.as_str(), 2)
        );
        record(
            db,
            &j1.id,
            Attempt::Delivered {
                address: "http://a/",
            },
            5_100,
        )
        .await
        .unwrap();
        let second = claim_due(db, 5_200, 60_000, 10).await.unwrap();
        assert_eq!(second.len(), 1);
        assert_eq!(second[0].job_id, "j1");
        assert_ne!(second[0].id, j1.id);
        // A lease that ran out (a process died mid-delivery) frees the row again.
        let retaken = claim_due(db, 5_200 + 60_001, 60_000, 10).await.unwrap();
        assert_eq!(retaken.len(), 2, "j1's second and j2's first");
        assert_eq!(pending(db).await.unwrap(), 2);
        record(
            db,
            &second[0].id,
            Attempt::Final {
                state: state::FAILED,
                address: "http://a/",
                error: "gave up",
            },
            70_000,
        )
        .await
        .unwrap();
        let d = delivery_of(db, "j1").await.unwrap().unwrap();
        assert_eq!(d.state, state::FAILED);
        assert_eq!(d.last_error, "gave up");
        assert_eq!(pending(db).await.unwrap(), 1);
        // Ended events go after a while; pending ones stay.
        assert_eq!(purge_ended(db, 80_000).await.unwrap(), 2);
        assert_eq!(pending(db).await.unwrap(), 1);
    }

    async fn settings(db: &Db) {
        assert_eq!(event_callback(db, DEFAULT_ACCOUNT).await.unwrap(), None);
        let c = EventCallback {
            callback_type: "HTTP".into(),
            callback_url: "https://example.com/cb".into(),
            event_types: "ProduceMediaComplete".into(),
            auth_switch: "on".into(),
            auth_key: "Test1234".into(),
        };
        set_event_callback(db, DEFAULT_ACCOUNT, &c, 1)
            .await
            .unwrap();
        let changed = EventCallback {
            auth_switch: "off".into(),
            ..c.clone()
        };
        set_event_callback(db, DEFAULT_ACCOUNT, &changed, 2)
            .await
            .unwrap();
        let got = event_callback(db, DEFAULT_ACCOUNT).await.unwrap().unwrap();
        assert_eq!(got, changed);
        assert_eq!(got.signing_key(), None);
        assert_eq!(c.signing_key(), Some("Test1234"));
        assert!(c.wants(PRODUCE_MEDIA_COMPLETE));
        assert!(!c.wants("OtherEvent"));
    }

    #[tokio::test]
    async fn outbox_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let db = testing::sqlite(&dir).await;
        outbox_rules(&db).await;
        settings(&db).await;
    }

    #[tokio::test]
    async fn outbox_on_postgres() {
        if let Some(db) = testing::postgres().await {
            outbox_rules(&db).await;
            settings(&db).await;
        }
    }
}
