//! Every metric the service exports at `/metrics` (Prometheus text format), by name, with the
//! functions that record them. The rest of the service calls these functions and never names a
//! metric itself, so the list below is the whole contract of the scrape.
//!
//! Two kinds of figures:
//! - events counted by the process that saw them (requests, finished jobs, callbacks, storage
//!   bytes): each process counts its own, and Prometheus sums over processes;
//! - the state of the shared database (jobs by status and mode, queue depth and age, workers),
//!   read at scrape time ([`render`]), so that every process of a scale-out reports the same
//!   truth whichever processes died.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::clock::now_ms;
use crate::db::jobs::{self, status};
use crate::db::workers;
use crate::db::{Db, DbError};
use crate::job::request::Mode;

/// Counter: API requests, by `action` and `code` (the Alibaba Code, `Success` when none).
pub const API_REQUESTS: &str = "livecut_api_requests_total";
/// Histogram: API request latency in seconds, by `action`.
pub const API_REQUEST_SECONDS: &str = "livecut_api_request_seconds";
/// Gauge (database): jobs by `status` and `mode`.
pub const JOBS: &str = "livecut_jobs";
/// Gauge (database): jobs waiting for a worker.
pub const QUEUE_DEPTH: &str = "livecut_queue_depth";
/// Gauge (database): seconds since the oldest queued job was submitted (0 when none waits).
pub const QUEUE_OLDEST_AGE_SECONDS: &str = "livecut_queue_oldest_age_seconds";
/// Gauge (database): worker processes by `state` (running, draining, dead; stopped ones left out).
pub const WORKERS: &str = "livecut_workers";
/// Counter: job attempts this process finished, by `mode` and `status` (Success, Failed).
pub const JOBS_FINISHED: &str = "livecut_jobs_finished_total";
/// Histogram: seconds from claim to end of a finished job, by `mode`.
pub const JOB_SECONDS: &str = "livecut_job_seconds";
/// Histogram: seconds of media in each successful output, by `mode`; its `_sum` is the media
/// time produced.
pub const JOB_MEDIA_SECONDS: &str = "livecut_job_media_seconds";
/// Counter: bytes read from storage (recordings), by `bucket`.
pub const STORAGE_READ_BYTES: &str = "livecut_storage_read_bytes_total";
/// Counter: bytes written to storage (outputs, covers), by `bucket`.
pub const STORAGE_WRITTEN_BYTES: &str = "livecut_storage_written_bytes_total";
/// Counter: completion callback attempts by `outcome` (delivered; retried: failed, to be tried
/// again; failed: given up; refused: an address the destination policy does not allow).
pub const CALLBACKS: &str = "livecut_callbacks_total";
/// Gauge (database): completion events waiting in the outbox.
pub const CALLBACKS_PENDING: &str = "livecut_callbacks_pending";
/// counter{source}: segments the server added to the segment index (`hook_srs`,
/// `hook_alibaba_live`, `watch`, `record`).
pub const INDEXED_SEGMENTS: &str = "livecut_indexed_segments_total";
/// counter{source}: hook requests refused, watched playlists or recorded streams that failed a
/// round.
pub const INGEST_ERRORS: &str = "livecut_ingest_errors_total";
/// Gauge (database): output seconds metered per `account` and `mode`, since metering began (what
/// IMS bills: output minutes per mode).
pub const ACCOUNT_OUTPUT_SECONDS: &str = "livecut_account_output_seconds";
/// Gauge (database): jobs ended per `account` and `status` (Success, Failed), since metering began.
pub const ACCOUNT_JOBS: &str = "livecut_account_jobs";
/// Gauge (database): bytes of the media assets each `account` stores now.
pub const ACCOUNT_STORED_BYTES: &str = "livecut_account_stored_bytes";
/// Gauge: HTTP connections open now (this process).
pub const HTTP_CONNECTIONS: &str = "livecut_http_connections";
/// Counter: HTTP connections refused at the connection cap (answered 503 and closed).
pub const HTTP_CONNECTIONS_REFUSED: &str = "livecut_http_connections_refused_total";
/// Counter: requests refused by a rate limit, by `limit` (address, key).
pub const HTTP_THROTTLED: &str = "livecut_http_throttled_total";
/// Counter: requests that did not arrive and get answered within the request timeout.
pub const HTTP_TIMEOUTS: &str = "livecut_http_request_timeouts_total";

/// The `code` label of an API request that succeeded.
pub const SUCCESS_CODE: &str = "Success";

const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
const JOB_BUCKETS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 14400.0,
];
const MEDIA_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 43200.0,
];

const MODES: [Mode; 4] = [
    Mode::AccurateFast,
    Mode::Accurate,
    Mode::Rough,
    Mode::RoughFast,
];
const STATUSES: [&str; 4] = [
    status::QUEUING,
    status::PROCESSING,
    status::SUCCESS,
    status::FAILED,
];
/// The `mode` label of a job stored before jobs had a mode column.
const UNKNOWN_MODE: &str = "unknown";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder the first time it is called (every later call, e.g. of a test
/// building the router again, gets the same one) and returns its handle.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = with_buckets(PrometheusBuilder::new());
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            Err(e) => {
                // Only another recorder installed first can cause this; the scrape then shows the
                // database figures, and the events go to that recorder.
                tracing::warn!(error = %e, "cannot install the metrics recorder");
                with_buckets(PrometheusBuilder::new())
                    .build_recorder()
                    .handle()
            }
        };
        describe();
        handle
    })
}

fn with_buckets(builder: PrometheusBuilder) -> PrometheusBuilder {
    let histograms = [
        (API_REQUEST_SECONDS, LATENCY_BUCKETS),
        (JOB_SECONDS, JOB_BUCKETS),
        (JOB_MEDIA_SECONDS, MEDIA_BUCKETS),
    ];
    histograms.into_iter().fold(builder, |b, (name, buckets)| {
        // Fails only for an empty bucket list; these are constants that are not empty.
        match b.set_buckets_for_metric(Matcher::Full(name.to_string()), buckets) {
            Ok(b) => b,
            Err(e) => unreachable!("bucket list of {name}: {e}"),
        }
    })
}

fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(API_REQUESTS, "API requests by action and Code.");
    describe_histogram!(
        API_REQUEST_SECONDS,
        Unit::Seconds,
        "API request latency by action."
    );
    describe_gauge!(JOBS, "Jobs in the database by status and mode.");
    describe_gauge!(QUEUE_DEPTH, "Jobs queued and waiting for a worker.");
    describe_gauge!(
        QUEUE_OLDEST_AGE_SECONDS,
        Unit::Seconds,
        "Age of the oldest queued job."
    );
    describe_gauge!(WORKERS, "Registered worker processes by state.");
    describe_counter!(
        JOBS_FINISHED,
        "Job attempts finished by this process, by mode and status."
    );
    describe_histogram!(
        JOB_SECONDS,
        Unit::Seconds,
        "Duration of finished jobs from claim to end, by mode."
    );
    describe_histogram!(
        JOB_MEDIA_SECONDS,
        Unit::Seconds,
        "Media duration of each successful output, by mode."
    );
    describe_counter!(
        STORAGE_READ_BYTES,
        Unit::Bytes,
        "Bytes read from storage by bucket."
    );
    describe_counter!(
        STORAGE_WRITTEN_BYTES,
        Unit::Bytes,
        "Bytes written to storage by bucket."
    );
    describe_counter!(CALLBACKS, "Completion callback attempts by outcome.");
    describe_gauge!(
        CALLBACKS_PENDING,
        "Completion events waiting in the outbox for delivery."
    );
    describe_counter!(
        INDEXED_SEGMENTS,
        "Segments this process added to the segment index, by source."
    );
    describe_counter!(
        INGEST_ERRORS,
        "Refused hook requests and failed rounds of watched playlists and recorders, by source."
    );
    describe_gauge!(
        ACCOUNT_OUTPUT_SECONDS,
        Unit::Seconds,
        "Output media seconds per account and mode since metering began."
    );
    describe_gauge!(
        ACCOUNT_JOBS,
        "Jobs ended per account and status since metering began."
    );
    describe_gauge!(
        ACCOUNT_STORED_BYTES,
        Unit::Bytes,
        "Bytes of the media assets each account stores now."
    );
    describe_gauge!(HTTP_CONNECTIONS, "HTTP connections open now.");
    describe_counter!(
        HTTP_CONNECTIONS_REFUSED,
        "HTTP connections refused at the connection cap."
    );
    describe_counter!(
        HTTP_THROTTLED,
        "Requests refused by a rate limit, by limit."
    );
    describe_counter!(
        HTTP_TIMEOUTS,
        "Requests not received and answered within the request timeout."
    );
}

/// One API request: its action (`unknown` for one this server does not implement, so that
/// clients cannot create label values), its Code and how long it took.
pub fn api_request(action: &str, code: &str, seconds: f64) {
    install();
    ::metrics::counter!(API_REQUESTS, "action" => action.to_string(), "code" => code.to_string())
        .increment(1);
    ::metrics::histogram!(API_REQUEST_SECONDS, "action" => action.to_string()).record(seconds);
}

/// A job attempt this process finished (`status` Success or Failed), after `seconds` from its
/// claim; `media_seconds` is the output's duration when it succeeded.
pub fn job_finished(mode: &str, status: &str, seconds: f64, media_seconds: Option<f64>) {
    install();
    ::metrics::counter!(JOBS_FINISHED, "mode" => mode.to_string(), "status" => status.to_string())
        .increment(1);
    ::metrics::histogram!(JOB_SECONDS, "mode" => mode.to_string()).record(seconds);
    if let Some(media) = media_seconds {
        ::metrics::histogram!(JOB_MEDIA_SECONDS, "mode" => mode.to_string()).record(media);
    }
}

/// `n` bytes read from `bucket`.
pub fn storage_bytes_read(bucket: &str, n: u64) {
    install();
    ::metrics::counter!(STORAGE_READ_BYTES, "bucket" => bucket.to_string()).increment(n);
}

/// `n` bytes written to `bucket`.
pub fn storage_bytes_written(bucket: &str, n: u64) {
    install();
    ::metrics::counter!(STORAGE_WRITTEN_BYTES, "bucket" => bucket.to_string()).increment(n);
}

/// How a callback attempt ended: `delivered`, `retried`, `failed` (given up) or `refused` (an
/// address the destination policy does not allow).
pub fn callback(outcome: &'static str) {
    install();
    ::metrics::counter!(CALLBACKS, "outcome" => outcome).increment(1);
}

/// `n` segments indexed from `source` (`hook_srs`, `hook_alibaba_live`, `watch`, `record`).
pub fn indexed(source: &'static str, n: u64) {
    install();
    ::metrics::counter!(INDEXED_SEGMENTS, "source" => source).increment(n);
}

/// A refused hook request, or a failed round of a watched playlist or recorder.
pub fn ingest_error(source: &'static str) {
    install();
    ::metrics::counter!(INGEST_ERRORS, "source" => source).increment(1);
}

/// A connection opened (`+1`) or closed (`-1`).
pub fn http_connections(delta: f64) {
    install();
    ::metrics::gauge!(HTTP_CONNECTIONS).increment(delta);
}

/// A connection refused at the cap.
pub fn connection_refused() {
    install();
    ::metrics::counter!(HTTP_CONNECTIONS_REFUSED).increment(1);
}

/// A request refused by the rate limit of an `address` or a `key`.
pub fn throttled(limit: &'static str) {
    install();
    ::metrics::counter!(HTTP_THROTTLED, "limit" => limit).increment(1);
}

/// A request that ran out of time.
pub fn request_timed_out() {
    install();
    ::metrics::counter!(HTTP_TIMEOUTS).increment(1);
}

/// The scrape: the database's figures as of now, then everything in the Prometheus text format;
/// with `accounts`, each account's usage too (only behind the metrics token: account names and
/// figures are not for every client that reaches the port).
pub async fn render(db: &Db, accounts: bool) -> Result<String, DbError> {
    let handle = install();
    let census = jobs::census(db).await?;
    let now = now_ms();
    // Every (status, mode) pair is set each time, so a pair that emptied shows 0, not its last count.
    let modes = MODES.iter().map(|m| m.as_str()).chain([UNKNOWN_MODE]);
    for mode in modes {
        for status in STATUSES {
            let n = census
                .by_status_and_mode
                .iter()
                .filter(|(s, m, _)| s == status && mode_label(m) == mode)
                .map(|(_, _, n)| n)
                .sum::<i64>();
            ::metrics::gauge!(JOBS, "status" => status, "mode" => mode).set(n as f64);
        }
    }
    ::metrics::gauge!(QUEUE_DEPTH).set(census.queue_depth() as f64);
    let age_ms = census
        .oldest_queued_created_at
        .map_or(0, |t| (now - t).max(0));
    ::metrics::gauge!(QUEUE_OLDEST_AGE_SECONDS).set(age_ms as f64 / 1000.0);
    let pending = crate::db::callbacks::pending(db).await?;
    ::metrics::gauge!(CALLBACKS_PENDING).set(pending as f64);
    let registered = workers::list(db).await?;
    for state in [
        workers::state::RUNNING,
        workers::state::DRAINING,
        workers::state::DEAD,
    ] {
        let n = registered
            .iter()
            .filter(|w| w.state_at(now) == state)
            .count();
        ::metrics::gauge!(WORKERS, "state" => state).set(n as f64);
    }
    if accounts {
        account_usage(db).await?;
    }
    handle.run_upkeep();
    Ok(handle.render())
}

/// The per-account usage figures (one series per account the operator created, so the labels
/// stay as few as the accounts).
async fn account_usage(db: &Db) -> Result<(), DbError> {
    let used = crate::db::usage::by_mode(db, None, (i64::MIN, i64::MAX)).await?;
    let mut jobs: std::collections::BTreeMap<(String, &str), i64> = Default::default();
    for u in &used {
        let mode = mode_label(&u.mode).to_string();
        ::metrics::gauge!(ACCOUNT_OUTPUT_SECONDS, "account" => u.account.clone(), "mode" => mode)
            .set(u.output_ms as f64 / 1000.0);
        *jobs
            .entry((u.account.clone(), status::SUCCESS))
            .or_default() += u.jobs_succeeded;
        *jobs.entry((u.account.clone(), status::FAILED)).or_default() += u.jobs_failed;
    }
    for ((account, status), n) in jobs {
        ::metrics::gauge!(ACCOUNT_JOBS, "account" => account, "status" => status).set(n as f64);
    }
    let stored = crate::db::usage::stored(db, None).await?;
    // An account whose assets are all gone shows 0, not its last figure.
    for u in &used {
        ::metrics::gauge!(ACCOUNT_STORED_BYTES, "account" => u.account.clone()).set(0.0);
    }
    for s in stored {
        ::metrics::gauge!(ACCOUNT_STORED_BYTES, "account" => s.account).set(s.bytes as f64);
    }
    Ok(())
}

fn mode_label(stored: &str) -> &str {
    match Mode::parse(stored) {
        Some(m) => m.as_str(),
        None => UNKNOWN_MODE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::testing;

    /// The value of the sample `name{labels}` in a scrape (labels as rendered, sorted by key).
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[tokio::test]
    async fn a_scrape_has_the_database_figures_and_the_events() {
        let dir = tempfile::tempdir().unwrap();
        let db = testing::sqlite(&dir).await;
        let mut tx = db.pool.begin().await.unwrap();
        for (id, mode, at) in [("a", "RoughFast", now_ms() - 5000), ("b", "", now_ms())] {
            let job = jobs::NewJob {
                job_id: id,
                project_id: "p",
                media_id: id,
                media_url: "oss://b/k.mp4",
                mode,
                request: "{}",
                max_attempts: 3,
                now_ms: at,
                account: "default",
            };
            jobs::insert(&mut tx, &job).await.unwrap();
        }
        tx.commit().await.unwrap();
        api_request("GetMediaInfo", "NotFound", 0.003);
        job_finished("Accurate", "Success", 12.0, Some(30.5));
        callback("delivered");
        storage_bytes_written("out", 1000);

        let text = render(&db, false).await.unwrap();
        let jobs = |status: &str, mode: &str| {
            sample(
                &text,
                &format!("livecut_jobs{{status=\"{status}\",mode=\"{mode}\"}}"),
            )
        };
        assert_eq!(jobs("Queuing", "RoughFast"), Some(1.0), "{text}");
        assert_eq!(
            jobs("Queuing", "unknown"),
            Some(1.0),
            "a job without a mode"
        );
        assert_eq!(
            jobs("Success", "Accurate"),
            Some(0.0),
            "every pair is there"
        );
        assert_eq!(sample(&text, "livecut_queue_depth"), Some(2.0));
        let age = sample(&text, "livecut_queue_oldest_age_seconds").unwrap();
        assert!((5.0..60.0).contains(&age), "{age}");
        assert_eq!(
            sample(&text, "livecut_workers{state=\"running\"}"),
            Some(0.0)
        );
        // Other tests of this process record too: at least ours is there.
        let at_least = |series: &str, v: f64| {
            let got = sample(&text, series).unwrap_or_else(|| panic!("{series} in {text}"));
            assert!(got >= v, "{series}: {got}");
        };
        at_least(
            "livecut_api_requests_total{action=\"GetMediaInfo\",code=\"NotFound\"}",
            1.0,
        );
        at_least(
            "livecut_api_request_seconds_bucket{action=\"GetMediaInfo\",le=\"0.005\"}",
            1.0,
        );
        at_least(
            "livecut_jobs_finished_total{mode=\"Accurate\",status=\"Success\"}",
            1.0,
        );
        at_least("livecut_job_media_seconds_sum{mode=\"Accurate\"}", 30.5);
        at_least("livecut_callbacks_total{outcome=\"delivered\"}", 1.0);
        at_least(
            "livecut_storage_written_bytes_total{bucket=\"out\"}",
            1000.0,
        );
        assert!(
            text.contains("# TYPE livecut_job_seconds histogram"),
            "{text}"
        );
    }

    #[test]
    fn installing_twice_is_one_recorder() {
        assert!(std::ptr::eq(install(), install()));
    }
}
