//! Scratch left behind: each attempt works in `scratch/<JobId>-<attempt>` and removes it when it
//! ends, but a worker killed mid-job (kill -9, the OOM killer, a lost machine) leaves its folder,
//! with downloaded segments and a partial output. Two sweeps remove them: an attempt that starts
//! removes its job's earlier attempts' folders (their workers lost the lease, so they are dead),
//! and a pool that starts removes every folder whose job is gone or no longer `Processing`.

use std::path::Path;

use crate::db::Db;
use crate::db::jobs::{self, status};

/// Removes the dead attempts' folders under `scratch`; returns how many went.
pub async fn sweep(db: &Db, scratch: &Path) -> usize {
    let Ok(mut entries) = tokio::fs::read_dir(scratch).await else {
        return 0;
    };
    let mut removed = 0;
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some((job_id, attempt)) = name
            .rsplit_once('-')
            .and_then(|(j, a)| Some((j.to_string(), a.parse::<i64>().ok()?)))
        else {
            continue;
        };
        let alive = match jobs::get(db, &job_id).await {
            Ok(Some(job)) => job.status == status::PROCESSING && job.attempts == attempt,
            Ok(None) => false,
            // Unsure: leave it for the next start.
            Err(_) => true,
        };
        if !alive && tokio::fs::remove_dir_all(entry.path()).await.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Removes the folders of attempts of `job_id` before `attempt`.
pub async fn remove_earlier(scratch: &Path, job_id: &str, attempt: i64) {
    for earlier in 0..attempt {
        let dir = scratch.join(format!("{job_id}-{earlier}"));
        if tokio::fs::remove_dir_all(&dir).await.is_ok() {
            tracing::info!(
                job_id,
                attempt = earlier,
                "removed the scratch of a killed attempt"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::jobs::{NewJob, insert};
    use crate::db::{queue, testing};

    #[tokio::test]
    async fn only_folders_a_running_attempt_may_use_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let db = testing::sqlite(&dir).await;
        for id in ["running", "done"] {
            let mut tx = db.pool.begin().await.unwrap();
            insert(
                &mut tx,
                &NewJob {
                    job_id: id,
                    project_id: "p",
                    media_id: id,
                    media_url: "oss://b/k.mp4",
                    mode: "RoughFast",
                    request: "{}",
                    max_attempts: 3,
                    now_ms: 1,
                    account: "default",
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        // Both claimed once (attempt 1); "done" then finished.
        queue::claim(&db, "w", 60_000, 2).await.unwrap().unwrap();
        queue::claim(&db, "w", 60_000, 2).await.unwrap().unwrap();
        sqlx::query("UPDATE jobs SET status = $1 WHERE job_id = 'done'")
            .bind(status::SUCCESS)
            .execute(&db.pool)
            .await
            .unwrap();
        let scratch = dir.path().join("scratch");
        for name in [
            "running-1",
            "running-0",
            "done-1",
            "gone-1",
            "not-an-attempt",
        ] {
            std::fs::create_dir_all(scratch.join(name)).unwrap();
        }
        assert_eq!(sweep(&db, &scratch).await, 3);
        let mut left: Vec<String> = std::fs::read_dir(&scratch)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        left.sort();
        assert_eq!(left, ["not-an-attempt", "running-1"]);
    }
}
