//! How many queue claims per second the database sustains: the queue's own SQL
//! (`livecut::db::queue`), without any media work.
//!
//! ```sh
//! cargo run --release -p livecut --example queue_bench -- \
//!     --database-url postgres://…/db [--jobs 20000] [--claimers 1,4,16]
//! cargo run --release -p livecut --example queue_bench -- --database-url 'sqlite:///tmp/q.db?mode=rwc'
//! ```
//!
//! For each number of claimers: the tables are emptied, `--jobs` jobs are enqueued the way
//! `job::submit` stores them (project, media asset and queued job rows, here all in one
//! transaction), and then that many concurrent tasks each loop, as a worker task does, over
//! `queue::recover_expired`, `queue::claim` and `queue::finish` (Success, with a probe JSON of a
//! realistic size) until the queue is empty. Every job must be claimed exactly once; the
//! claims/s reported is jobs / wall time of the claiming phase. The claimers share one
//! `Db` (one connection pool: 16 connections on PostgreSQL, 8 on SQLite), as the worker tasks of
//! one process do; the database runs on the same machine, so both share its cores.
//!
//! Destructive: it deletes every row of `jobs`, `media_assets`, `projects` and `job_objects` of
//! the database it is given. Point it at a throwaway database only.

use std::collections::HashSet;
use std::error::Error;
use std::sync::Arc;
use std::time::Instant;

use livecut::clock::now_ms;
use livecut::db::jobs::{self, NewJob};
use livecut::db::media::{self, MediaRow, Ready};
use livecut::db::queue::{self, Outcome};
use livecut::db::{Db, Dialect, projects};
use livecut::ids::new_resource_id;
use tokio::sync::Mutex;

type BoxError = Box<dyn Error + Send + Sync>;

struct Args {
    database_url: String,
    jobs: usize,
    claimers: Vec<usize>,
}

fn parse_args() -> Result<Args, BoxError> {
    let mut database_url = std::env::var("LIVECUT_DATABASE_URL").ok();
    let mut jobs = 20_000;
    let mut claimers = vec![1, 4, 16];
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--database-url" => database_url = Some(value()?),
            "--jobs" => jobs = value()?.parse()?,
            "--claimers" => {
                claimers = value()?
                    .split(',')
                    .map(str::parse)
                    .collect::<Result<_, _>>()?;
            }
            "-h" | "--help" => {
                println!(
                    "queue_bench --database-url URL [--jobs 20000] [--claimers 1,4,16]  (DESTRUCTIVE: empties the job tables)"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}").into()),
        }
    }
    let database_url =
        database_url.ok_or("give --database-url (or LIVECUT_DATABASE_URL); it is emptied")?;
    Ok(Args {
        database_url,
        jobs,
        claimers,
    })
}

/// A stored request of the size a two-clip AccurateFast job has (~700 bytes of JSON).
fn request_json(i: usize) -> String {
    format!(
        r#"{{"clips":[{{"start_time":"2026-11-24T10:00:{s:02}.500Z","end_time":"2026-11-24T10:00:{e:02}.250Z"}},{{"start_time":"2026-11-24T10:01:{s:02}.500Z","end_time":"2026-11-24T10:01:{e:02}.250Z"}}],"stream":{{"domain_name":"live.example.com","app_name":"bench","stream_name":"cam1"}},"mode":"AccurateFast","media_url":"oss://bench/out/job-{i:06}.mp4","output":{{"bucket":"bench","key":"out/job-{i:06}.mp4","format":"mp4"}},"width":null,"height":null,"bitrate":null,"project_id":null,"user_data":"{{\"NotifyAddress\":\"\",\"Extend\":{{\"k\":\"v\"}}}}","cover":null}}"#,
        s = i % 50,
        e = i % 50 + 2
    )
}

/// A probe JSON of the size `livecut_media::probe` writes for a one-video, one-audio MP4.
const PROBE: &str = r#"{"duration_s":2.0,"size":1234567,"bit_rate":4938268,"format_name":"mov,mp4,m4a,3gp,3g2,mj2","streams":[{"index":0,"kind":"video","codec":"h264","profile":"High","width":320,"height":180,"fps":"30/1","frames":60,"duration_s":2.0,"bit_rate":400000,"pix_fmt":"yuv420p"},{"index":1,"kind":"audio","codec":"aac","profile":"LC","sample_rate":48000,"channels":2,"frames":94,"duration_s":2.005,"bit_rate":128000}]}"#;

async fn empty(db: &Db) -> Result<(), BoxError> {
    for table in ["job_objects", "jobs", "media_assets", "projects"] {
        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

/// Enqueues `n` jobs as `job::submit` stores them; returns the seconds it took.
async fn enqueue(db: &Db, n: usize) -> Result<f64, BoxError> {
    let began = Instant::now();
    let mut tx = db.pool.begin().await?;
    for i in 0..n {
        let now = now_ms();
        let (job_id, media_id, project_id) =
            (new_resource_id(), new_resource_id(), new_resource_id());
        let request = request_json(i);
        let key = format!("out/job-{i:06}.mp4");
        let url = format!("oss://bench/{key}");
        projects::create_for_job(
            &mut tx,
            &project_id,
            &format!("Live editing job {job_id}"),
            livecut::keys::DEFAULT_ACCOUNT,
            now,
        )
        .await?;
        media::insert(
            &mut tx,
            &MediaRow {
                media_id: media_id.clone(),
                job_id: job_id.clone(),
                input_url: url.clone(),
                bucket: "bench".into(),
                object_key: key.clone(),
                status: media::status::PREPARING.into(),
                title: format!("job-{i:06}.mp4"),
                cover_url: String::new(),
                user_data: String::new(),
                probe: String::new(),
                file_size: 0,
                created_at: now,
                modified_at: now,
                account: livecut::keys::DEFAULT_ACCOUNT.into(),
                library: media::LibraryFields::default(),
            },
        )
        .await?;
        jobs::insert(
            &mut tx,
            &NewJob {
                job_id: &job_id,
                project_id: &project_id,
                media_id: &media_id,
                media_url: &url,
                mode: "AccurateFast",
                request: &request,
                max_attempts: 3,
                now_ms: now,
                account: livecut::keys::DEFAULT_ACCOUNT,
            },
        )
        .await?;
    }
    tx.commit().await?;
    if db.dialect == Dialect::Postgres {
        // What autovacuum would do shortly after a burst of inserts; keeps runs comparable.
        sqlx::query("VACUUM ANALYZE jobs").execute(&db.pool).await?;
        sqlx::query("VACUUM ANALYZE media_assets")
            .execute(&db.pool)
            .await?;
    }
    Ok(began.elapsed().as_secs_f64())
}

/// One claimer: the worker loop's queue calls until the queue is empty. Returns the job ids it
/// finished.
async fn claimer(db: Db, owner: String) -> Result<Vec<String>, BoxError> {
    let mut done = Vec::new();
    let report = r#"{"clips":[{"frames":60,"reencoded_frames":44,"copied_frames":16}]}"#;
    loop {
        queue::recover_expired(&db, now_ms()).await?;
        let Some(job) = queue::claim(&db, &owner, 60_000, now_ms()).await? else {
            return Ok(done);
        };
        let finished = queue::finish(
            &db,
            &job.job_id,
            &owner,
            Outcome::Success {
                report,
                media: Ready {
                    probe_json: PROBE,
                    file_size: 1_234_567,
                    cover_url: "",
                    duration_ms: 10_000,
                },
            },
            now_ms(),
        )
        .await?;
        if !finished {
            return Err(format!("{owner} lost the lease of {}", job.job_id).into());
        }
        done.push(job.job_id);
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let args = parse_args()?;
    let db = Db::open(&args.database_url).await?;
    let backend = match db.dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::Sqlite => "SQLite",
    };
    println!(
        "queue_bench: {backend}, {} jobs per run, claimers {:?}",
        args.jobs, args.claimers
    );
    println!("| database | claimers | enqueue s | jobs enqueued/s | claim+finish s | claims/s |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for &k in &args.claimers {
        empty(&db).await?;
        let enqueue_s = enqueue(&db, args.jobs).await?;
        let began = Instant::now();
        let seen = Arc::new(Mutex::new(HashSet::new()));
        let mut tasks = tokio::task::JoinSet::new();
        for c in 0..k {
            let db = db.clone();
            let seen = seen.clone();
            tasks.spawn(async move {
                let ids = claimer(db, format!("bench-claimer-{c}")).await?;
                let mut seen = seen.lock().await;
                for id in ids {
                    if !seen.insert(id.clone()) {
                        return Err::<(), BoxError>(format!("job {id} claimed twice").into());
                    }
                }
                Ok(())
            });
        }
        while let Some(r) = tasks.join_next().await {
            r??;
        }
        let claim_s = began.elapsed().as_secs_f64();
        let claimed = seen.lock().await.len();
        let success: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE status = 'Success'")
            .fetch_one(&db.pool)
            .await?;
        if claimed != args.jobs || success != args.jobs as i64 {
            return Err(format!(
                "{k} claimers: {claimed} jobs claimed, {success} Success, of {}",
                args.jobs
            )
            .into());
        }
        println!(
            "| {backend} | {k} | {enqueue_s:.2} | {:.0} | {claim_s:.2} | {:.0} |",
            args.jobs as f64 / enqueue_s,
            args.jobs as f64 / claim_s
        );
    }
    empty(&db).await?;
    Ok(())
}
