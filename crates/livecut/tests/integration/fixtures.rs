//! End-to-end harness: a real `livecut serve` process on a temp data dir and a free port, keys
//! made with the CLI, recordings made with `livecut testgen`, and the official SDK as client.
//!
//! The tests of the one binary run in parallel threads. Each uses data dirs of its own and
//! servers on ports of their own; what they share is the machine's cores, so a test that
//! measures time (`sdk_e2e`'s start latency) takes the machine to itself with [`alone`]
//! while every other test's servers and recordings hold a [`Shared`] claim on it.

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::{Rc, Weak};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use livecut_testkit::oracle;
use livecut_testkit::sdk::{SdkCall, SdkDriver, SdkReply, Signature};
use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_livecut");
pub const DOMAIN: &str = "live.example.com";
pub const APP: &str = "shop";
/// UTC of frame 0 of every test recording: 2026-11-24T10:00:00Z.
pub const REC_START_US: i64 = 1_795_514_400_000_000;
pub const FPS: u32 = 30;

/// The machine, claimed shared by every running server and recording generator and alone by
/// a test that measures time.
static MACHINE: RwLock<()> = RwLock::new(());

thread_local! {
    /// This test thread's shared claim while any of its servers or recordings holds it: a
    /// thread takes the lock once (a second read while a writer waits would deadlock).
    static SHARED: RefCell<Weak<RwLockReadGuard<'static, ()>>> = const { RefCell::new(Weak::new()) };
    /// Whether this test thread holds the machine alone (its own servers then claim nothing).
    static ALONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A shared claim on the machine: tests holding one run side by side, none while a test
/// holds it [`alone`].
pub struct Shared {
    _claim: Option<Rc<RwLockReadGuard<'static, ()>>>,
}

/// Claims the machine shared for the current test thread (a no-op if it holds it alone).
pub fn shared() -> Shared {
    if ALONE.get() {
        return Shared { _claim: None };
    }
    SHARED.with(|cell| {
        let mut cell = cell.borrow_mut();
        if let Some(claim) = cell.upgrade() {
            return Shared {
                _claim: Some(claim),
            };
        }
        let claim = Rc::new(MACHINE.read().unwrap_or_else(PoisonError::into_inner));
        *cell = Rc::downgrade(&claim);
        Shared {
            _claim: Some(claim),
        }
    })
}

/// The machine to this test alone until the guard drops: waits for every other test's servers
/// and recordings to end and holds new ones off.
pub struct Alone {
    _guard: RwLockWriteGuard<'static, ()>,
}

pub fn alone() -> Alone {
    assert!(
        SHARED.with(|c| c.borrow().upgrade().is_none()),
        "take the machine alone before starting servers"
    );
    let guard = MACHINE.write().unwrap_or_else(PoisonError::into_inner);
    ALONE.set(true);
    Alone { _guard: guard }
}

impl Drop for Alone {
    fn drop(&mut self) {
        ALONE.set(false);
    }
}

pub struct Server {
    pub child: Child,
    pub endpoint: String,
    /// Held while the server (and its media children) may run.
    _claim: Shared,
}

impl Server {
    /// Starts `livecut serve` with extra flags (e.g. a short lease) on `data_dir`.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Server {
        let claim = shared();
        let (child, first) =
            spawn_announcing(data_dir, &["serve", "--listen", "127.0.0.1:0"], extra);
        // "livecut listening on http://127.0.0.1:PORT  (…)"
        let endpoint = announced_endpoint(&first);
        Server {
            child,
            endpoint,
            _claim: claim,
        }
    }

    /// Starts `livecut serve` as `start` does, its log (stderr) written to `log`.
    pub fn start_logged(data_dir: &Path, extra: &[&str], log: &Path) -> Server {
        let claim = shared();
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(data_dir)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("LIVECUT_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("create the log file"))
            .spawn()
            .expect("start livecut serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = lines
            .next()
            .expect("livecut serve printed nothing")
            .expect("read its output");
        std::thread::spawn(move || for _ in lines {});
        Server {
            endpoint: announced_endpoint(&first),
            child,
            _claim: claim,
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `livecut --data-dir D <command…> <extra…>` and returns it with the first line it
/// prints (where it listens); its stdout is drained from then on so it never blocks on a full
/// pipe.
fn spawn_announcing(data_dir: &Path, command: &[&str], extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(command)
        .args(extra)
        .env("LIVECUT_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("start livecut {command:?}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("livecut {command:?} printed nothing"))
        .expect("read its output");
    std::thread::spawn(move || for _ in lines {});
    (child, first)
}

/// The `host:port` after `http://` in the line a serve or worker process starts with.
fn announced_endpoint(first: &str) -> String {
    first
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("unexpected first line: {first}"))
        .to_string()
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A `livecut worker` process (workers, no API) with `/metrics` and `/healthz` on `endpoint`.
pub struct WorkerProcess {
    pub child: Child,
    pub endpoint: String,
    /// Its id in the worker registry.
    pub id: String,
    _claim: Shared,
}

impl WorkerProcess {
    /// Starts `livecut worker --listen 127.0.0.1:0` with extra flags on `data_dir`.
    pub fn start(data_dir: &Path, extra: &[&str]) -> WorkerProcess {
        let claim = shared();
        let (child, first) =
            spawn_announcing(data_dir, &["worker", "--listen", "127.0.0.1:0"], extra);
        // "livecut worker ID listening on http://127.0.0.1:PORT  (…)"
        let id = first
            .strip_prefix("livecut worker ")
            .and_then(|s| s.split_whitespace().next())
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_string();
        let endpoint = announced_endpoint(&first);
        WorkerProcess {
            child,
            endpoint,
            id,
            _claim: claim,
        }
    }

    /// SIGTERM, as an orchestrator stops a node.
    pub fn terminate(&self) {
        signal(&self.child, "TERM");
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> std::process::ExitStatus {
        wait_exit(&mut self.child, limit)
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Waits for a child to exit, at most `limit`.
pub fn wait_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            return status;
        }
        assert!(start.elapsed() < limit, "did not exit within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Sends a signal (`TERM`, `INT`, …) to a child with the `kill` command.
pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{name} {}", child.id());
}

/// Sends raw `request` bytes on a new connection and reads the answer to its end (the server
/// closes it, or `limit` passes).
pub fn raw_exchange(endpoint: &str, request: &[u8], limit: Duration) -> (u16, serde_json::Value) {
    let mut s = TcpStream::connect(endpoint).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    s.write_all(request).unwrap();
    parse_answer(&read_answer(&mut s))
}

pub fn read_answer(s: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                bytes.extend_from_slice(&buf[..n]);
                if complete(&bytes) {
                    break;
                }
            }
            Err(e) => {
                assert!(!bytes.is_empty(), "no answer: {e}");
                break;
            }
        }
    }
    String::from_utf8_lossy(&bytes).to_string()
}

/// A whole response with a content-length body has arrived.
fn complete(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .is_some_and(|n| body.len() >= n)
}

pub fn parse_answer(text: &str) -> (u16, serde_json::Value) {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("not an HTTP answer: {text:?}"));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status: {head}"));
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    (status, body)
}

/// How `sign` signs a call.
pub enum Scheme {
    /// ACS3-HMAC-SHA256, parameters in a form body (as the SDK's V3 POST).
    V3Form,
    /// HMAC-SHA1, parameters in the query (as the SDK's V1).
    V1Query,
}

/// `action` with `params` signed by `key` for `endpoint`, as the SDK would send it.
pub fn sign(
    endpoint: &str,
    key: &Key,
    scheme: Scheme,
    (action, version): (&str, &str),
    params: &[(String, String)],
) -> livecut_auth::SignedOutgoing {
    let none: &[(String, String)] = &[];
    let (method, query, form) = match scheme {
        Scheme::V3Form => ("POST", none, params),
        Scheme::V1Query => ("GET", params, none),
    };
    let outgoing = livecut_auth::OutgoingRequest {
        method,
        host: endpoint,
        path: "/",
        action,
        version,
        params: query,
        form,
        extra_headers: &[],
    };
    let credentials = livecut_auth::Credentials {
        access_key_id: &key.id,
        access_key_secret: &key.secret,
        security_token: None,
    };
    let now = time::OffsetDateTime::now_utc();
    let nonce = livecut::ids::new_request_id();
    match scheme {
        Scheme::V3Form => livecut_auth::sign_v3(&outgoing, &credentials, now, &nonce),
        Scheme::V1Query => livecut_auth::sign_v1(&outgoing, &credentials, now, &nonce),
    }
}

/// A plain HTTP request to a server (not an API call): (status, body).
pub fn http_request(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<u8>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = client
            .request(method, format!("http://{endpoint}{path}"))
            .body(body.to_vec());
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let resp = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path} of {endpoint}: {e}"));
        let status = resp.status().as_u16();
        (status, resp.bytes().await.unwrap().to_vec())
    })
}

/// A plain GET to a server's operator route (`/metrics`, `/healthz`): (status, body).
pub fn http_get(endpoint: &str, path: &str) -> (u16, String) {
    let (status, body) = http_request(endpoint, "GET", path, &[], b"");
    (status, String::from_utf8_lossy(&body).to_string())
}

/// The value of one series (`name{labels}` exactly as rendered) in a Prometheus scrape.
pub fn metric(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A fresh database in the throwaway cluster of `LIVECUT_TEST_PG_URL` (set by `make test`),
/// named after `tag` and this test process. None when the variable is unset outside CI.
pub fn fresh_pg_database(tag: &str) -> Option<String> {
    let Ok(base) = std::env::var("LIVECUT_TEST_PG_URL") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "LIVECUT_TEST_PG_URL must be set in CI"
        );
        return None;
    };
    let name = format!("{tag}_{}", std::process::id());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let admin = sqlx::AnyPool::connect(&base).await.unwrap();
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .unwrap();
    });
    let i = base.rfind('/').unwrap();
    Some(format!("{}/{}", &base[..i], name))
}

#[derive(Clone)]
pub struct Key {
    pub id: String,
    pub secret: String,
}

/// `livecut keys create --json`, exactly as an operator runs it.
/// `livecut --data-dir <data_dir> <args>`, run to its end.
pub fn cli(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("run livecut")
}

pub fn create_key(data_dir: &Path, actions: &str) -> Key {
    create_key_with(data_dir, &["--actions", actions])
}

/// `livecut keys create --account ACCOUNT --actions ACTIONS --json`.
pub fn create_account_key(data_dir: &Path, account: &str, actions: &str) -> Key {
    create_key_with(data_dir, &["--account", account, "--actions", actions])
}

/// `livecut keys create FLAGS… --json` (e.g. `--buckets`, `--streams`).
pub fn create_key_with(data_dir: &Path, flags: &[&str]) -> Key {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args(["keys", "create"])
        .args(flags)
        .arg("--json")
        .output()
        .expect("run keys create");
    assert!(
        out.status.success(),
        "keys create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf8");
    assert_eq!(
        text.lines().count(),
        1,
        "--json prints exactly one line: {text}"
    );
    let v: Value = serde_json::from_str(text.trim()).expect("json line");
    Key {
        id: v["AccessKeyId"].as_str().expect("AccessKeyId").to_string(),
        secret: v["AccessKeySecret"]
            .as_str()
            .expect("AccessKeySecret")
            .to_string(),
    }
}

/// The folder `serve` scans for `stream`'s playlists.
pub fn stream_folder(data_dir: &Path, stream: &str) -> PathBuf {
    data_dir
        .join("recordings")
        .join(DOMAIN)
        .join(APP)
        .join(stream)
}

/// Writes a test recording for `stream` where the index scans for it.
pub fn make_recording(data_dir: &Path, stream: &str, seconds: u32, extra: &[&str]) -> PathBuf {
    let dir = stream_folder(data_dir, stream);
    std::fs::create_dir_all(&dir).expect("mkdir recording");
    let fps = FPS.to_string();
    testgen(
        &dir,
        seconds,
        "2026-11-24T10:00:00Z",
        &[&["--fps", &fps], extra].concat(),
    );
    dir
}

/// `livecut testgen` of a 320x180 recording of `seconds` into `dir`, frame 0 at `start`.
pub fn testgen(dir: &Path, seconds: u32, start: &str, extra: &[&str]) {
    let _claim = shared();
    let out = Command::new(BIN)
        .arg("testgen")
        .arg("--dir")
        .arg(dir)
        .args([
            "--seconds",
            &seconds.to_string(),
            "--width",
            "320",
            "--height",
            "180",
        ])
        .args(["--start", start])
        .args(extra)
        .output()
        .expect("run testgen");
    assert!(
        out.status.success(),
        "testgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `REC_START + s` as a clip time.
pub fn at(seconds: f64) -> String {
    livecut::clock::format_precise_time(REC_START_US + offset_us(seconds))
}

/// Pid of the `livecut media-job` child working in `data_dir`, if one runs.
pub fn media_child_of(data_dir: &Path) -> Option<u32> {
    let needle = data_dir.to_string_lossy().to_string();
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid = entry.file_name().to_string_lossy().parse::<u32>().ok()?;
            let cmd = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            (cmd.contains("media-job") && cmd.contains(&needle)).then_some(pid)
        })
}

pub struct Sdk {
    pub driver: SdkDriver,
    pub endpoint: String,
    pub key: Key,
}

impl Sdk {
    pub fn new(endpoint: &str, key: Key) -> Sdk {
        Sdk {
            driver: SdkDriver::start().expect("start the SDK driver (run `make setup`)"),
            endpoint: endpoint.to_string(),
            key,
        }
    }

    pub fn call_as(&self, op: &str) -> SdkCall {
        SdkCall::new(op, &self.endpoint, &self.key.id, &self.key.secret)
    }

    pub fn send(&mut self, call: &SdkCall) -> SdkReply {
        self.driver.call(call).expect("SDK driver call")
    }

    pub fn submit(&mut self, params: &[(&str, &str)], sig: Signature) -> SdkReply {
        let mut call = self.call_as("submit_live_editing_job").signature(sig);
        for (k, v) in params {
            call = call.param(*k, *v);
        }
        self.send(&call)
    }

    pub fn get_job(&mut self, job_id: &str) -> SdkReply {
        let call = self.call_as("get_live_editing_job").param("JobId", job_id);
        self.send(&call)
    }

    /// Polls GetLiveEditingJob until the job ends; returns the LiveEditingJob object.
    pub fn wait_job(&mut self, job_id: &str, limit: Duration) -> Value {
        let start = Instant::now();
        loop {
            match self.get_job(job_id) {
                SdkReply::Ok { body, .. } => {
                    let job = body["LiveEditingJob"].clone();
                    let status = job["Status"].as_str().unwrap_or_default().to_string();
                    if status == "Success" || status == "Failed" {
                        return job;
                    }
                }
                SdkReply::Err { code, message, .. } => {
                    panic!("GetLiveEditingJob: {code}: {message}")
                }
            }
            assert!(
                start.elapsed() < limit,
                "job {job_id} did not end within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Sdk {
    /// Submits (V3) a job cutting `clips` of stream cam1 with the `produce` and `output`
    /// configs, and waits up to three minutes for it to succeed; returns the submit reply's
    /// body and the job.
    pub fn cut(&mut self, clips: &Value, produce: &Value, output: &Value) -> (Value, Value) {
        let body = ok_body(self.submit(
            &[
                ("Clips", &clips.to_string()),
                ("LiveStreamConfig", &stream_config("cam1")),
                ("MediaProduceConfig", &produce.to_string()),
                ("OutputMediaConfig", &output.to_string()),
            ],
            Signature::V3,
        ));
        let job = self.wait_job(body["JobId"].as_str().unwrap(), Duration::from_secs(180));
        assert_eq!(job["Status"], "Success", "{job}");
        (body, job)
    }
}

/// The frame numbers of an output that must decode without a complaint.
pub fn frames_of(path: &Path) -> Vec<Option<u32>> {
    let errors = oracle::decode_errors(path).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    oracle::decode_video_numbers(path).unwrap().numbers()
}

/// Timestamps are continuous: every frame one frame duration after the one before.
pub fn assert_one_frame_apart(video: &oracle::DecodedVideo, what: &str) {
    for w in video.frames.windows(2) {
        let d = w[1].pts_s - w[0].pts_s;
        assert!(
            (d - 1.0 / f64::from(FPS)).abs() < 0.002,
            "{what}: timestamps jump by {d} s"
        );
    }
}

pub fn ok_body(reply: SdkReply) -> Value {
    match reply {
        SdkReply::Ok { body, .. } => body,
        SdkReply::Err { code, message, .. } => panic!("expected success, got {code}: {message}"),
    }
}

pub fn err_code(reply: &SdkReply) -> (String, u16, String) {
    match reply {
        SdkReply::Ok { body, .. } => panic!("expected an error, got {body}"),
        SdkReply::Err {
            code,
            status,
            message,
            ..
        } => (code.clone(), *status, message.clone()),
    }
}

pub fn stream_config(stream: &str) -> String {
    serde_json::json!({"DomainName": DOMAIN, "AppName": APP, "StreamName": stream}).to_string()
}

/// (created_at, started_at) of a job in ms, read straight from the embedded database.
pub fn job_times(data_dir: &Path, job_id: &str) -> (i64, Option<i64>) {
    let url = format!("sqlite://{}?mode=ro", data_dir.join("livecut.db").display());
    let job_id = job_id.to_string();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let row: (i64, Option<i64>) =
                sqlx::query_as("SELECT created_at, started_at FROM jobs WHERE job_id = $1")
                    .bind(job_id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            row
        })
}

/// How many jobs the embedded database of `data_dir` holds.
pub fn job_count(data_dir: &Path) -> i64 {
    let url = format!("sqlite://{}?mode=ro", data_dir.join("livecut.db").display());
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM jobs")
                .fetch_one(&pool)
                .await
                .unwrap();
            n
        })
}

/// Microseconds after frame 0 for `seconds`, rounded exactly as `at` rounds it.
fn offset_us(seconds: f64) -> i64 {
    (seconds * 1e6).round() as i64
}

/// The frame numbers AccurateFast must output for [a, b): frame n is presented at n/FPS s, so
/// the first frame at or after a through the last frame before b (integer arithmetic, no float
/// rounding at frame boundaries).
pub fn accurate_frames(a: f64, b: f64) -> Vec<u32> {
    let fps = i64::from(FPS);
    let ceil_frame = |us: i64| (us * fps + 999_999).div_euclid(1_000_000);
    let first = ceil_frame(offset_us(a));
    let last = ceil_frame(offset_us(b)) - 1;
    (first as u32..=last as u32).collect()
}

/// Asserts two frame-number sequences are equal, reporting the first difference briefly.
pub fn assert_frames(got: &[Option<u32>], want: &[u32], what: &str) {
    let want: Vec<Option<u32>> = want.iter().map(|n| Some(*n)).collect();
    if got == want.as_slice() {
        return;
    }
    let i = got
        .iter()
        .zip(&want)
        .position(|(g, w)| g != w)
        .unwrap_or(got.len().min(want.len()));
    let lo = i.saturating_sub(3);
    panic!(
        "{what}: {} frames, expected {}; first difference at output frame {i}: got {:?}, want {:?}",
        got.len(),
        want.len(),
        &got[lo..(i + 3).min(got.len())],
        &want[lo..(i + 3).min(want.len())],
    );
}

/// Frames per segment of `make_recording` recordings (2 s at 30 fps).
pub const SEGMENT_FRAMES: u32 = 60;

/// The frame numbers RoughFast/Rough output for [a, b): every frame of every segment overlapping it.
pub fn rough_frames(a: f64, b: f64) -> Vec<u32> {
    let seg_us = i64::from(SEGMENT_FRAMES) * 1_000_000 / i64::from(FPS);
    let first_seg = offset_us(a).div_euclid(seg_us);
    let last_seg = (offset_us(b) - 1).div_euclid(seg_us);
    (first_seg as u32 * SEGMENT_FRAMES..(last_seg as u32 + 1) * SEGMENT_FRAMES).collect()
}

/// GetLiveEditingJob through the project's own V3-signed client, keeping every field.
pub fn raw_job(endpoint: &str, key: &Key, job_id: &str) -> Value {
    let client = livecut::client::ApiClient::new(endpoint, &key.id, &key.secret).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = rt
        .block_on(client.call(
            "GetLiveEditingJob",
            &[("JobId".to_string(), job_id.to_string())],
        ))
        .expect("GetLiveEditingJob");
    body["LiveEditingJob"].clone()
}

/// A running service with recordings and an SDK client holding an `ice:*` key. Fields drop in
/// order: the driver, then the server, then the data dir it used.
pub struct Service {
    pub sdk: Sdk,
    pub _server: Server,
    pub dir: tempfile::TempDir,
}

impl Service {
    /// `seconds`-long recordings of each of `streams` (with `recording_flags` for `testgen`),
    /// then `livecut serve` with `server_flags`.
    pub fn start(
        streams: &[&str],
        seconds: u32,
        recording_flags: &[&str],
        server_flags: &[&str],
    ) -> Service {
        let dir = tempfile::tempdir().expect("temp dir");
        for s in streams {
            make_recording(dir.path(), s, seconds, recording_flags);
        }
        let server = Server::start(dir.path(), server_flags);
        let key = create_key(dir.path(), "ice:*");
        let sdk = Sdk::new(&server.endpoint, key);
        Service {
            sdk,
            _server: server,
            dir,
        }
    }
}

/// The access key of the test S3 servers.
pub const S3_KEY: &str = "livecut-test";
pub const S3_SECRET: &str = "livecut-test-secret";

/// A livecut configuration file in `dir` for `buckets` of the test S3 server `s3` (each with the
/// right secret, or a wrong one when `false`), unlisted buckets refused, then `extra` TOML. The
/// access key is inline, the secret in a file.
pub fn write_s3_config(
    dir: &Path,
    s3: &livecut_testkit::s3::S3Server,
    buckets: &[(&str, bool)],
    extra: &str,
) -> PathBuf {
    let secret = dir.join("s3-secret");
    std::fs::write(&secret, S3_SECRET).unwrap();
    let wrong = dir.join("s3-wrong-secret");
    std::fs::write(&wrong, "not-the-secret").unwrap();
    let endpoint = s3.endpoint();
    let mut text = String::from("[storage]\nunlisted = \"refuse\"\n\n");
    for (name, right) in buckets {
        text += &format!(
            "[buckets.{name}]\nurl = \"s3://{name}\"\nendpoint = \"{endpoint}\"\nregion = \"us-east-1\"\n\
             access_key_id = \"{S3_KEY}\"\nsecret_access_key_file = \"{}\"\n\n",
            if *right { &secret } else { &wrong }.display()
        );
    }
    text += extra;
    let path = dir.join("livecut.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `livecut --data-dir D recordings add --domain DOMAIN --app APP --stream S <flags…> PLAYLIST`,
/// as an operator runs it.
/// `playlist` is a path or a URL (with `--config` among the flags).
pub fn recordings_add(
    data_dir: &Path,
    stream: &str,
    flags: &[&str],
    playlist: impl AsRef<std::ffi::OsStr>,
) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "recordings",
            "add",
            "--domain",
            DOMAIN,
            "--app",
            APP,
            "--stream",
            stream,
        ])
        .args(flags)
        .arg(playlist)
        .output()
        .expect("run recordings add")
}

/// The ffmpeg CLI's hls muxer (2-second segments, PROGRAM-DATE-TIME) writing `input` (a
/// playlist or a media file) into `dir/index.m3u8`, with `args` choosing the codecs and the
/// segment type. Returns the first segment's PROGRAM-DATE-TIME: the recorder stamps it from its
/// own clock, so frame 0 of `input` plays at that instant.
pub fn ffmpeg_hls(input: &Path, dir: &Path, args: &[&str]) -> i64 {
    let _claim = shared();
    std::fs::create_dir_all(dir).expect("mkdir recording");
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-i"])
        .arg(input)
        .args(args)
        .args(["-f", "hls", "-hls_time", "2", "-hls_list_size", "0"])
        .args([
            "-hls_playlist_type",
            "vod",
            "-hls_flags",
            "program_date_time",
        ])
        .arg(dir.join("index.m3u8"))
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("index.m3u8")).expect("playlist");
    let playlist = livecut_hls::parse_media_playlist(&text).expect("ffmpeg's playlist parses");
    playlist.segments[0]
        .program_date_time_us
        .expect("ffmpeg stamps PROGRAM-DATE-TIME")
}

/// `t0_us + seconds` as a clip time (rounded as `at` rounds).
pub fn after(t0_us: i64, seconds: f64) -> String {
    livecut::clock::format_precise_time(t0_us + offset_us(seconds))
}

/// Checks an output the way every media test does: no decode error, exactly `want` frames, no
/// hole in the audio track (a player playing it straight stays in sync), and every audio marker
/// within one AAC frame of its video frame.
pub fn assert_output(path: &Path, want: &[u32], what: &str) {
    assert_output_against(path, want, what, 0.0);
}

/// `assert_output` for a recording whose own beeps are heard `source_skew_s` away from their
/// frames (an AAC encoder's pre-echo crosses the onset threshold ~12 ms early): the output is
/// held to one AAC frame of the skew it was given, not of zero.
pub fn assert_output_against(path: &Path, want: &[u32], what: &str, source_skew_s: f64) {
    let errors = oracle::decode_errors(path).unwrap();
    assert!(errors.is_empty(), "{what}: decode errors {errors:?}");
    let video = oracle::decode_video_numbers(path).unwrap();
    assert_frames(&video.numbers(), want, what);
    let holes = oracle::audio_holes(path).unwrap();
    assert!(
        holes.is_empty(),
        "{what}: holes in the audio track (at s, of s): {holes:?}"
    );
    let onsets: Vec<f64> = oracle::audio_marker_onsets(path)
        .unwrap()
        .into_iter()
        .map(|o| o - source_skew_s)
        .collect();
    oracle::check_av_sync(&video, &onsets, f64::from(FPS), 48_000)
        .unwrap_or_else(|e| panic!("{what}: A/V sync: {e}"));
}

/// How far a recording's beeps are heard from their frames (median over its markers, seconds;
/// negative: early), as the oracle measures an output.
pub fn source_skew(recording: &Path) -> f64 {
    let video = oracle::decode_video_numbers(recording).unwrap();
    let onsets = oracle::audio_marker_onsets(recording).unwrap();
    let markers: Vec<f64> = video
        .frames
        .iter()
        .filter(|f| f.number.is_some_and(|n| n % FPS == 0))
        .map(|f| f.pts_s)
        .collect();
    let mut skews: Vec<f64> = onsets
        .iter()
        .filter_map(|o| {
            markers
                .iter()
                .map(|m| o - m)
                .min_by(|a, b| a.abs().total_cmp(&b.abs()))
        })
        .collect();
    assert!(
        !skews.is_empty(),
        "no beeps heard in {}",
        recording.display()
    );
    skews.sort_by(f64::total_cmp);
    skews[skews.len() / 2]
}

/// Python's http.server serving `dir` on a free loopback port, as a CDN or a recorder's web
/// server stands in; killed on drop.
pub struct WebServer {
    child: Child,
    pub origin: String,
}

impl WebServer {
    pub fn start(dir: &Path) -> WebServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .arg("--directory")
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "http.server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        WebServer {
            child,
            origin: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for WebServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
