use std::collections::HashSet;

use super::*;
use crate::db::jobs::{self, NewJob};
use crate::db::media::{self, MediaRow};

const READY: media::Ready<'static> = media::Ready {
    probe_json: "{\"duration\":1}",
    file_size: 1234,
    cover_url: "oss://b/k.jpg",
    duration_ms: 1000,
};

async fn enqueue(db: &Db, id: &str, now_ms: i64, max_attempts: i64) {
    let mut tx = db.pool.begin().await.unwrap();
    jobs::insert(
        &mut tx,
        &NewJob {
            job_id: id,
            project_id: "p",
            media_id: &format!("m-{id}"),
            media_url: "oss://b/k.mp4",
            mode: "AccurateFast",
            request: "{}",
            max_attempts,
            now_ms,
            account: "default",
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
    let done = Outcome::Success {
        report: "{}",
        media: READY,
    };
    assert!(!finish(db, "a", "w2", done, 300).await.unwrap(), "fenced");
    let done = Outcome::Success {
        report: "{\"ok\":1}",
        media: READY,
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
        !finish(
            db,
            "j",
            "dead1",
            Outcome::Success {
                report: "",
                media: READY
            },
            250
        )
        .await
        .unwrap(),
        "the first, presumed dead, worker cannot finish a job it lost"
    );
    assert_eq!(recover_expired(db, 301).await.unwrap(), (0, 1));
    let j = jobs::get(db, "j").await.unwrap().unwrap();
    assert_eq!(j.status, status::FAILED);
    assert_eq!(j.code, "InternalError");
    assert!(j.message.contains("2 times"), "{}", j.message);
    // Ended as a worker would have ended it: usage and completion event (the asset too; this
    // job has none).
    let used = crate::db::usage::by_mode(db, None, (i64::MIN, i64::MAX))
        .await
        .unwrap();
    assert_eq!(used.iter().map(|u| u.jobs_failed).sum::<i64>(), 1);
    assert_eq!(crate::db::callbacks::pending(db).await.unwrap(), 1);
    assert_eq!(
        recover_expired(db, 400).await.unwrap(),
        (0, 0),
        "ended once"
    );
}

/// A draining worker hands its job back: queued again at its old place, the attempt not
/// counted, and from then on the worker is fenced out like one that lost its lease.
async fn hand_back_requeues_without_an_attempt(db: &Db) {
    enqueue(db, "h", 10, 1).await;
    enqueue(db, "later", 20, 1).await;
    claim(db, "w1", 1000, 100).await.unwrap().unwrap();
    assert!(
        !hand_back(db, "h", "w2", 150).await.unwrap(),
        "only the lease holder hands a job back"
    );
    assert!(hand_back(db, "h", "w1", 200).await.unwrap());
    let h = jobs::get(db, "h").await.unwrap().unwrap();
    assert_eq!(h.status, status::QUEUING);
    assert_eq!((h.attempts, h.lease_owner), (0, None));
    assert!(!heartbeat(db, "h", "w1", 1000, 210).await.unwrap());
    let done = Outcome::Success {
        report: "{}",
        media: READY,
    };
    assert!(
        !finish(db, "h", "w1", done, 220).await.unwrap(),
        "a handed-back job is not the worker's any more"
    );
    assert!(!hand_back(db, "h", "w1", 230).await.unwrap(), "not twice");
    // With max_attempts 1, a counted attempt would have used the job up.
    let again = claim(db, "w2", 1000, 300).await.unwrap().unwrap();
    assert_eq!(again.job_id, "h", "it keeps its place before later jobs");
    assert_eq!(again.attempts, 1);
    let done = Outcome::Success {
        report: "{}",
        media: READY,
    };
    assert!(finish(db, "h", "w2", done, 400).await.unwrap());
    assert!(
        !hand_back(db, "h", "w2", 500).await.unwrap(),
        "a finished job stays finished"
    );
    assert_eq!(
        jobs::get(db, "h").await.unwrap().unwrap().status,
        status::SUCCESS
    );
}

/// A job as `job::submit` stores it: the job and its `Preparing` media asset.
async fn submit(db: &Db, id: &str, now_ms: i64) -> String {
    let media_id = format!("m-{id}");
    enqueue(db, id, now_ms, 3).await;
    let mut tx = db.pool.begin().await.unwrap();
    media::insert(
        &mut tx,
        &MediaRow {
            media_id: media_id.clone(),
            job_id: id.to_string(),
            input_url: "oss://b/k.mp4".into(),
            bucket: "b".into(),
            object_key: "k.mp4".into(),
            status: media::status::PREPARING.into(),
            title: String::new(),
            cover_url: String::new(),
            user_data: String::new(),
            probe: String::new(),
            file_size: 0,
            created_at: now_ms,
            modified_at: now_ms,
            account: "default".into(),
            library: media::LibraryFields::default(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    media_id
}

/// Finishing writes the job and its media asset together, and only for the lease holder: a
/// worker whose lease expired and went to another worker changes neither.
async fn finish_is_one_fenced_step(db: &Db) {
    let media_id = submit(db, "f", 0).await;
    claim(db, "lost", 100, 0).await.unwrap().unwrap();
    assert_eq!(recover_expired(db, 101).await.unwrap(), (1, 0));
    claim(db, "holder", 1000, 200).await.unwrap().unwrap();

    let late = Outcome::Success {
        report: "{\"late\":1}",
        media: READY,
    };
    assert!(!finish(db, "f", "lost", late, 300).await.unwrap());
    let failed = Outcome::Failed {
        code: ErrorCode::InternalError,
        message: "late failure",
        report: "",
    };
    assert!(!finish(db, "f", "lost", failed, 300).await.unwrap());
    let j = jobs::get(db, "f").await.unwrap().unwrap();
    assert_eq!(j.status, status::PROCESSING);
    assert_eq!(j.lease_owner.as_deref(), Some("holder"));
    assert_eq!((j.code.as_str(), j.report.as_str()), ("", ""));
    let m = media::get(db, &media_id).await.unwrap().unwrap();
    assert_eq!(m.status, media::status::PREPARING);
    assert_eq!(
        (m.probe.as_str(), m.file_size, m.cover_url.as_str()),
        ("", 0, "")
    );
    assert_eq!(m.modified_at, 0);

    let done = Outcome::Success {
        report: "{\"ok\":1}",
        media: READY,
    };
    assert!(finish(db, "f", "holder", done, 400).await.unwrap());
    let j = jobs::get(db, "f").await.unwrap().unwrap();
    assert_eq!(j.status, status::SUCCESS);
    assert_eq!(j.report, "{\"ok\":1}");
    assert_eq!(j.lease_owner, None);
    let m = media::get(db, &media_id).await.unwrap().unwrap();
    assert_eq!(m.status, media::status::NORMAL);
    assert_eq!(m.probe, READY.probe_json);
    assert_eq!(m.file_size, READY.file_size);
    assert_eq!(m.cover_url, READY.cover_url);
    assert_eq!(m.modified_at, 400);

    // A failure ends the asset too, with the job's code kept as its wire string.
    let media_id = submit(db, "g", 500).await;
    claim(db, "holder", 1000, 500).await.unwrap().unwrap();
    let failed = Outcome::Failed {
        code: ErrorCode::MediaProcessCrashed,
        message: "crashed",
        report: "",
    };
    assert!(finish(db, "g", "holder", failed, 600).await.unwrap());
    let j = jobs::get(db, "g").await.unwrap().unwrap();
    assert_eq!(j.status, status::FAILED);
    assert_eq!(j.code, "InternalError.MediaProcessCrashed");
    assert_eq!(j.message, "crashed");
    let m = media::get(db, &media_id).await.unwrap().unwrap();
    assert_eq!(m.status, media::status::PRODUCE_FAILED);
    assert_eq!(m.modified_at, 600);
    // The other job's asset was not touched by this job's end.
    let other = media::get(db, "m-f").await.unwrap().unwrap();
    assert_eq!(
        (other.status.as_str(), other.modified_at),
        (media::status::NORMAL, 400)
    );
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

#[tokio::test]
async fn sqlite_finish_is_one_fenced_step() {
    let dir = tempfile::tempdir().unwrap();
    finish_is_one_fenced_step(&crate::db::testing::sqlite(&dir).await).await;
}

#[tokio::test]
async fn postgres_finish_is_one_fenced_step() {
    if let Some(db) = crate::db::testing::postgres().await {
        finish_is_one_fenced_step(&db).await;
    }
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

#[tokio::test]
async fn sqlite_hand_back() {
    let dir = tempfile::tempdir().unwrap();
    hand_back_requeues_without_an_attempt(&crate::db::testing::sqlite(&dir).await).await;
}

#[tokio::test]
async fn postgres_hand_back() {
    if let Some(db) = crate::db::testing::postgres().await {
        hand_back_requeues_without_an_attempt(&db).await;
    }
}
