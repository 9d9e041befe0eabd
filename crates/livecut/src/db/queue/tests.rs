use std::collections::HashSet;

use super::*;
use crate::db::jobs::{self, NewJob};

async fn enqueue(db: &Db, id: &str, now_ms: i64, max_attempts: i64) {
    let mut tx = db.pool.begin().await.unwrap();
    jobs::insert(
        &mut tx,
        &NewJob {
            job_id: id,
            project_id: "p",
            media_id: &format!("m-{id}"),
            media_url: "oss://b/k.mp4",
            request: "{}",
            max_attempts,
            now_ms,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn claim_order_and_fencing(db: &Db) {
    enqueue(db, "a", 10, 3).await;
    enqueue(db, "b", 20, 3).await;
    let first = claim(db, "w1", 1000, 100).await.unwrap().unwrap();
    assert_eq!(first.job_id, "a", "oldest first");
    assert_eq!(first.status, status::PROCESSING);
    assert_eq!(first.attempts, 1);
    let second = claim(db, "w2", 1000, 100).await.unwrap().unwrap();
    assert_eq!(second.job_id, "b");
    assert!(claim(db, "w3", 1000, 100).await.unwrap().is_none());

    assert!(heartbeat(db, "a", "w1", 1000, 200).await.unwrap());
    assert!(
        !heartbeat(db, "a", "w2", 1000, 200).await.unwrap(),
        "not the owner"
    );
    let done = Outcome::Success { report: "{}" };
    assert!(!finish(db, "a", "w2", done, 300).await.unwrap(), "fenced");
    let done = Outcome::Success {
        report: "{\"ok\":1}",
    };
    assert!(finish(db, "a", "w1", done, 300).await.unwrap());
    let a = jobs::get(db, "a").await.unwrap().unwrap();
    assert_eq!(a.status, status::SUCCESS);
    assert_eq!(a.completed_at, Some(300));
    assert_eq!(a.report, "{\"ok\":1}");
    assert!(
        !heartbeat(db, "a", "w1", 1000, 400).await.unwrap(),
        "finished jobs have no lease"
    );
}

async fn expired_leases_requeue_then_fail(db: &Db) {
    enqueue(db, "j", 0, 2).await;
    claim(db, "dead1", 100, 0).await.unwrap().unwrap();
    assert_eq!(
        recover_expired(db, 50).await.unwrap(),
        (0, 0),
        "lease still valid"
    );
    assert_eq!(recover_expired(db, 101).await.unwrap(), (1, 0));
    let again = claim(db, "dead2", 100, 200).await.unwrap().unwrap();
    assert_eq!(again.attempts, 2);
    assert!(
        !finish(db, "j", "dead1", Outcome::Success { report: "" }, 250)
            .await
            .unwrap(),
        "the first, presumed dead, worker cannot finish a job it lost"
    );
    assert_eq!(recover_expired(db, 301).await.unwrap(), (0, 1));
    let j = jobs::get(db, "j").await.unwrap().unwrap();
    assert_eq!(j.status, status::FAILED);
    assert_eq!(j.code, "InternalError");
    assert!(j.message.contains("2 times"), "{}", j.message);
}

async fn each_job_claimed_exactly_once(db: &Db) {
    for i in 0..60 {
        enqueue(db, &format!("c{i:03}"), i, 3).await;
    }
    let mut tasks = Vec::new();
    for w in 0..6 {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            while let Some(j) = claim(&db, &format!("w{w}"), 60_000, 1_000).await.unwrap() {
                got.push(j.job_id);
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let unique: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 60);
    assert_eq!(unique.len(), 60);
}

#[tokio::test]
async fn sqlite_claim_order_and_fencing() {
    let dir = tempfile::tempdir().unwrap();
    claim_order_and_fencing(&crate::db::testing::sqlite(&dir).await).await;
}

#[tokio::test]
async fn sqlite_expired_leases() {
    let dir = tempfile::tempdir().unwrap();
    expired_leases_requeue_then_fail(&crate::db::testing::sqlite(&dir).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    each_job_claimed_exactly_once(&crate::db::testing::sqlite(&dir).await).await;
}

#[tokio::test]
async fn postgres_claim_order_and_fencing() {
    if let Some(db) = crate::db::testing::postgres().await {
        claim_order_and_fencing(&db).await;
    }
}

#[tokio::test]
async fn postgres_expired_leases() {
    if let Some(db) = crate::db::testing::postgres().await {
        expired_leases_requeue_then_fail(&db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_exactly_once() {
    if let Some(db) = crate::db::testing::postgres().await {
        each_job_claimed_exactly_once(&db).await;
    }
}
