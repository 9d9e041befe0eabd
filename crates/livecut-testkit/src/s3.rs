//! An S3-compatible server for tests and benchmarks: s3s-fs (objects as files under a root
//! directory) behind SigV4 authentication, on 127.0.0.1 and a port of its own, served by a
//! thread with its own tokio runtime, so synchronous tests can use it as well as async ones.
//!
//! Beyond serving, it lets tests:
//! - take the server down and bring it back on the same port with the same data
//!   ([`S3Server::stop`], [`S3Server::resume`], [`S3Server::outage`]): the listening socket is
//!   closed and every open connection is reset (`SO_LINGER` 0, so peers see a TCP RST), so a
//!   client sees "connection refused" for new connections and "connection reset" on pooled ones;
//! - count what was read ([`S3Server::bytes_served`], per object [`S3Server::bytes_served_for`],
//!   [`S3Server::get_requests`]): the body bytes of object GET responses as hyper sends them;
//! - see what is stored ([`S3Server::list_objects`]) and what s3s-fs keeps besides the objects
//!   ([`S3Server::pending_multipart_uploads`], [`S3Server::leftovers`]).
//!
//! What s3s-fs 0.14.1 writes, all directly in the root directory (never inside a bucket's
//! directory, so a bucket's directory holds exactly its objects, a key `a/b` as the file `a/b`):
//! - every write goes to `.tmp.<n>.internal.part` first and is renamed into place, so an
//!   object appears whole or not at all. The temporary file is removed if the request fails or
//!   is dropped, except when it is dropped while the file is being created (s3s-fs creates it
//!   on tokio's blocking pool, which a dropped future does not stop): then an empty one stays,
//!   until a server starts on the root (s3s-fs removes them then) or [`S3Server::resume`];
//! - per object: `.bucket-<b64 bucket>.object-<b64 key>.metadata.json` (content type, user
//!   metadata) and `.bucket-…object-….internal.json` (ETag, checksums); DeleteObject leaves
//!   both behind;
//! - per multipart upload: `.upload-<uuid>.json` (the access key that created it),
//!   `.bucket-…object-….upload-<uuid>.metadata.json`, and one `.upload_id-<uuid>.part-<n>` per
//!   part. CompleteMultipartUpload concatenates the parts into a temporary file, removes each
//!   part and renames the result into place; AbortMultipartUpload removes them. s3s-fs does
//!   not implement ListMultipartUploads, so these files are the only way to see pending uploads.

use std::collections::HashMap;
use std::io;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How long `stop`, `resume` and `start` wait for the server thread before giving up.
const CONTROL_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `resume` keeps trying to listen on the old port if something else holds it.
const REBIND_TIMEOUT: Duration = Duration::from_secs(10);

/// A running s3s-fs server; dropping it stops the server (its data stays in `root`).
pub struct S3Server {
    root: PathBuf,
    port: u16,
    counters: Arc<Counters>,
    control: Arc<Control>,
    thread: Option<JoinHandle<()>>,
}

impl S3Server {
    /// Starts a server on `root` (created if missing) with one access key, and creates each of
    /// `buckets` as a directory. Returns once the server accepts connections.
    ///
    /// # Panics
    /// If the server cannot start (see [`S3Server::try_start`]): a test cannot go on without it.
    #[must_use]
    pub fn start(root: &Path, access_key: &str, secret_key: &str, buckets: &[&str]) -> S3Server {
        match S3Server::try_start(root, access_key, secret_key, buckets, 0) {
            Ok(server) => server,
            Err(e) => panic!("cannot start the test S3 server on {}: {e}", root.display()),
        }
    }

    /// Like [`S3Server::start`], on a given port (0: any free port), reporting errors.
    pub fn try_start(
        root: &Path,
        access_key: &str,
        secret_key: &str,
        buckets: &[&str],
        port: u16,
    ) -> io::Result<S3Server> {
        std::fs::create_dir_all(root)?;
        for bucket in buckets {
            std::fs::create_dir_all(root.join(bucket))?;
        }
        let fs = s3s_fs::FileSystem::new(root).map_err(|e| io::Error::other(format!("{e:?}")))?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
        let service = builder.build();

        // Bound here so the port is known (and connections queue) before the thread runs.
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("livecut-test-s3")
            .enable_all()
            .build()?;
        let counters = Arc::new(Counters::default());
        let control = Arc::new(Control::new());
        let thread = {
            let counters = Arc::clone(&counters);
            let control = Arc::clone(&control);
            let root = root.to_path_buf();
            std::thread::Builder::new()
                .name(format!("livecut-test-s3-{port}"))
                .spawn(move || {
                    runtime.block_on(run(
                        listener,
                        root,
                        port,
                        service,
                        counters,
                        Arc::clone(&control),
                    ));
                    runtime.shutdown_timeout(Duration::from_secs(5));
                    control.set_phase(Phase::Exited);
                })?
        };
        let server = S3Server {
            root: root.to_path_buf(),
            port,
            counters,
            control,
            thread: Some(thread),
        };
        server.wait_for_phase(Phase::Up)?;
        Ok(server)
    }

    /// `http://127.0.0.1:PORT`, the endpoint for a path-style S3 client.
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The root directory: one directory per bucket, and s3s-fs's own files (see the module).
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The directory holding the objects of `bucket` (key `a/b` is the file `a/b` in it).
    #[must_use]
    pub fn bucket_dir(&self, bucket: &str) -> PathBuf {
        self.root.join(bucket)
    }

    /// Takes the server down: stops listening (new connections are refused) and resets every
    /// open connection, including those in the middle of a request. Returns when that is done.
    /// The data stays; [`S3Server::resume`] brings the server back.
    ///
    /// # Panics
    /// If the server thread does not answer in 30 s.
    pub fn stop(&self) {
        self.control.desired.send_replace(Desired::Down);
        if let Err(e) = self.wait_for_phase(Phase::Down) {
            panic!("the test S3 server on port {} did not stop: {e}", self.port);
        }
    }

    /// Listens again on the same port with the same data. Returns once connections are accepted.
    /// Like s3s-fs starting again on the root, it first removes s3s-fs's temporary files
    /// ([`S3Server::temporary_files`]) left by requests the outage cut.
    ///
    /// # Panics
    /// If the port cannot be bound again within 10 s or the server thread does not answer.
    pub fn resume(&self) {
        self.control.desired.send_replace(Desired::Up);
        if let Err(e) = self.wait_for_phase(Phase::Up) {
            panic!(
                "the test S3 server did not come back on port {}: {e}",
                self.port
            );
        }
    }

    /// [`S3Server::stop`], `duration` of downtime, then [`S3Server::resume`]. Blocks for the
    /// whole outage: call it from a thread of its own while the code under test runs.
    pub fn outage(&self, duration: Duration) {
        self.stop();
        std::thread::sleep(duration);
        self.resume();
    }

    /// Arms a one-shot outage: the first request matching `trigger` takes the server down (that
    /// request is never answered; its connection is reset with the others), and the server
    /// comes back `duration` later. Lets a test hit a client in the middle of its reads or its
    /// upload, however fast they are.
    pub fn down_on(&self, trigger: Trigger, duration: Duration) {
        *lock(&self.counters.armed) = Some(Armed {
            trigger,
            duration,
            control: Arc::clone(&self.control),
        });
    }

    /// Whether an armed outage has not fired yet.
    #[must_use]
    pub fn is_armed(&self) -> bool {
        lock(&self.counters.armed).is_some()
    }

    /// Whether the server is listening (not stopped).
    #[must_use]
    pub fn is_up(&self) -> bool {
        *self.control.phase() == Phase::Up
    }

    /// Every HTTP request the server received since start or [`S3Server::reset_counters`].
    #[must_use]
    pub fn requests(&self) -> u64 {
        self.counters.requests.load(Ordering::SeqCst)
    }

    /// Successful object GETs (GetObject, whole or ranged; not listings or HEADs).
    #[must_use]
    pub fn get_requests(&self) -> u64 {
        self.counters.get_requests.load(Ordering::SeqCst)
    }

    /// PUT requests (PutObject, UploadPart, CopyObject), successful or not.
    #[must_use]
    pub fn put_requests(&self) -> u64 {
        self.counters.put_requests.load(Ordering::SeqCst)
    }

    /// Body bytes of object GET responses handed to the connection (a response cut short by a
    /// reset counts what was sent until then).
    #[must_use]
    pub fn bytes_served(&self) -> u64 {
        self.counters.bytes_served.load(Ordering::SeqCst)
    }

    /// [`S3Server::bytes_served`] for one object.
    #[must_use]
    pub fn bytes_served_for(&self, bucket: &str, key: &str) -> u64 {
        let per_object = lock(&self.counters.per_object);
        per_object
            .get(&format!("{bucket}/{key}"))
            .copied()
            .unwrap_or(0)
    }

    /// Bytes served per object, keyed `bucket/key`.
    #[must_use]
    pub fn bytes_served_per_object(&self) -> HashMap<String, u64> {
        lock(&self.counters.per_object).clone()
    }

    /// Sets every counter to zero.
    pub fn reset_counters(&self) {
        let mut per_object = lock(&self.counters.per_object);
        per_object.clear();
        self.counters.requests.store(0, Ordering::SeqCst);
        self.counters.get_requests.store(0, Ordering::SeqCst);
        self.counters.put_requests.store(0, Ordering::SeqCst);
        self.counters.bytes_served.store(0, Ordering::SeqCst);
    }

    /// The keys stored in `bucket`, sorted (an empty list if the bucket does not exist).
    /// Directories (left by keys ending in `/` or by deleted objects) are not keys.
    #[must_use]
    pub fn list_objects(&self, bucket: &str) -> Vec<String> {
        let mut keys = Vec::new();
        walk(&self.bucket_dir(bucket), "", &mut keys);
        keys.sort();
        keys
    }

    /// Multipart uploads created and neither completed nor aborted.
    #[must_use]
    pub fn pending_multipart_uploads(&self) -> usize {
        self.root_entries()
            .iter()
            .filter(|name| name.starts_with(".upload-") && name.ends_with(".json"))
            .count()
    }

    /// What clients left in the root besides objects: the files of pending multipart uploads
    /// (`.upload-<id>.json`, `.bucket-….upload-<id>.metadata.json`) and their parts
    /// (`.upload_id-<id>.part-<n>`; parts also stay when CompleteMultipartUpload fails after
    /// its checks, e.g. EntityTooSmall, because s3s-fs forgets the upload first). Empty when
    /// every multipart upload was completed or aborted. s3s-fs's own temporary files are not
    /// included ([`S3Server::temporary_files`]).
    #[must_use]
    pub fn leftovers(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .root_entries()
            .into_iter()
            .filter(|name| {
                let upload = name.starts_with(".upload-") && name.ends_with(".json");
                let part = name.starts_with(".upload_id-") && name.contains(".part-");
                let upload_metadata = name.starts_with(".bucket-")
                    && name.contains(".upload-")
                    && name.ends_with(".metadata.json");
                upload || part || upload_metadata
            })
            .collect();
        names.sort();
        names
    }

    /// s3s-fs's temporary files (`.tmp.<n>.internal.part`): writes in progress, or empty files
    /// left by a request dropped while its file was being created (see the module).
    #[must_use]
    pub fn temporary_files(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .root_entries()
            .into_iter()
            .filter(|name| is_temporary_file(name))
            .collect();
        names.sort();
        names
    }

    fn root_entries(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect()
    }

    fn wait_for_phase(&self, wanted: Phase) -> io::Result<()> {
        let deadline = Instant::now() + CONTROL_TIMEOUT;
        let mut phase = self.control.phase();
        loop {
            match &*phase {
                p if *p == wanted => return Ok(()),
                Phase::Failed(e) => return Err(io::Error::other(e.clone())),
                Phase::Exited => return Err(io::Error::other("the server thread has exited")),
                _ => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no answer in {CONTROL_TIMEOUT:?}"),
                ));
            }
            phase = self
                .control
                .changed
                .wait_timeout(phase, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.control.desired.send_replace(Desired::Exit);
        if let Some(thread) = self.thread.take() {
            // A panic of the server thread has been reported on stderr already.
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for S3Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Server")
            .field("endpoint", &self.endpoint())
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// What the owner wants the server thread to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Desired {
    Up,
    Down,
    Exit,
}

/// What the server thread is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Phase {
    Starting,
    Up,
    Down,
    Failed(String),
    Exited,
}

struct Control {
    desired: watch::Sender<Desired>,
    phase: Mutex<Phase>,
    changed: Condvar,
}

impl Control {
    fn new() -> Control {
        Control {
            desired: watch::Sender::new(Desired::Up),
            phase: Mutex::new(Phase::Starting),
            changed: Condvar::new(),
        }
    }

    fn phase(&self) -> MutexGuard<'_, Phase> {
        lock(&self.phase)
    }

    fn set_phase(&self, phase: Phase) {
        *self.phase() = phase;
        self.changed.notify_all();
    }
}

#[derive(Default)]
struct Counters {
    /// A one-shot outage that the first matching request sets off (`S3Server::down_on`).
    armed: Mutex<Option<Armed>>,
    requests: AtomicU64,
    get_requests: AtomicU64,
    put_requests: AtomicU64,
    bytes_served: AtomicU64,
    per_object: Mutex<HashMap<String, u64>>,
}

/// Which request sets off an armed outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A GET of an object whose `bucket/key` ends with this text.
    GetEndingWith(String),
    /// The first request that writes an object: a PUT of an object or a part, or the POST
    /// that starts or completes a multipart upload.
    Upload,
    /// The first PUT of a part of a multipart upload (the upload has been created).
    UploadPart,
}

struct Armed {
    trigger: Trigger,
    duration: Duration,
    control: Arc<Control>,
}

impl Trigger {
    fn matches(&self, method: &hyper::Method, uri: &hyper::Uri) -> bool {
        let object = uri.path().trim_start_matches('/').contains('/');
        match self {
            Trigger::GetEndingWith(end) => {
                *method == hyper::Method::GET
                    && object
                    && percent_decode(uri.path().trim_start_matches('/')).ends_with(end.as_str())
            }
            Trigger::Upload => {
                object && (*method == hyper::Method::PUT || *method == hyper::Method::POST)
            }
            Trigger::UploadPart => {
                *method == hyper::Method::PUT
                    && object
                    && uri
                        .query()
                        .is_some_and(|q| q.split('&').any(|p| p.starts_with("uploadId=")))
            }
        }
    }
}

/// See `clean_old_tmp_files` in s3s-fs's `fs.rs`.
fn is_temporary_file(name: &str) -> bool {
    name.starts_with(".tmp.") && name.ends_with(".internal.part")
}

/// Removes s3s-fs's temporary files from `root`, as s3s-fs does when it starts.
fn remove_temporary_files(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        if entry.file_name().to_str().is_some_and(is_temporary_file) {
            // Gone already or not removable: then it shows in `temporary_files`.
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded values stay consistent whatever panicked while holding them.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The server thread: listen, serve until told to go down, reset everything, wait, listen again
/// on the same port.
async fn run(
    first: std::net::TcpListener,
    root: PathBuf,
    port: u16,
    service: S3Service,
    counters: Arc<Counters>,
    control: Arc<Control>,
) {
    let mut desired = control.desired.subscribe();
    let mut first = Some(first);
    loop {
        let listener = match first.take() {
            Some(std_listener) => TcpListener::from_std(std_listener),
            None => {
                remove_temporary_files(&root);
                rebind(port).await
            }
        };
        let listener = match listener {
            Ok(listener) => listener,
            Err(e) => {
                control.set_phase(Phase::Failed(format!("cannot listen on port {port}: {e}")));
                return;
            }
        };
        control.set_phase(Phase::Up);
        serve(&listener, &service, &counters, &mut desired).await;
        drop(listener);
        control.set_phase(Phase::Down);
        let Ok(next) = desired.wait_for(|d| *d != Desired::Down).await else {
            return;
        };
        if *next == Desired::Exit {
            return;
        }
    }
}

async fn rebind(port: u16) -> io::Result<TcpListener> {
    let deadline = Instant::now() + REBIND_TIMEOUT;
    loop {
        match TcpListener::bind(("127.0.0.1", port)).await {
            // The port may be held for a moment by a client's outgoing connection.
            Err(e) if e.kind() == io::ErrorKind::AddrInUse && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            result => return result,
        }
    }
}

/// Accepts and serves connections until the owner wants the server down, then resets every
/// connection and returns once all are gone.
async fn serve(
    listener: &TcpListener,
    service: &S3Service,
    counters: &Arc<Counters>,
    desired: &mut watch::Receiver<Desired>,
) {
    let mut connections = JoinSet::new();
    let for_connections = desired.clone();
    loop {
        tokio::select! {
            biased;
            _ = desired.wait_for(|d| *d != Desired::Up) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(
                        stream,
                        service.clone(),
                        Arc::clone(counters),
                        for_connections.clone(),
                    ));
                }
                // Out of file descriptors or a connection gone before it was accepted.
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    while connections.join_next().await.is_some() {}
}

/// Serves one connection until it ends or the server goes down; then the socket is closed with
/// `SO_LINGER` 0, so the peer gets a TCP RST whatever it was doing.
async fn connection(
    stream: TcpStream,
    service: S3Service,
    counters: Arc<Counters>,
    mut desired: watch::Receiver<Desired>,
) {
    let _ = stream.set_nodelay(true);
    // A second descriptor of the socket, to set SO_LINGER while hyper owns the stream.
    let handle = stream.as_fd().try_clone_to_owned();
    let service = hyper::service::service_fn(move |request| {
        counted(service.clone(), Arc::clone(&counters), request)
    });
    let builder = ConnBuilder::new(TokioExecutor::new());
    let serving = builder.serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = serving => {}
        _ = desired.wait_for(|d| *d != Desired::Up) => {
            if let Ok(fd) = handle {
                let _ = TcpSocket::from_std_stream(std::net::TcpStream::from(fd)).set_zero_linger();
            }
        }
    }
}

/// Calls s3s and counts the request; wraps the body of a successful object GET so its bytes are
/// counted as hyper sends them.
async fn counted(
    service: S3Service,
    counters: Arc<Counters>,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<CountedBody>, s3s::HttpError> {
    counters.requests.fetch_add(1, Ordering::SeqCst);
    let fired = {
        let mut armed = lock(&counters.armed);
        match armed.as_ref() {
            Some(a) if a.trigger.matches(request.method(), request.uri()) => armed.take(),
            _ => None,
        }
    };
    if let Some(armed) = fired {
        // Down before this request is answered: the server resets its connection with all the
        // others, and comes back after the outage.
        armed.control.desired.send_replace(Desired::Down);
        std::thread::spawn(move || {
            std::thread::sleep(armed.duration);
            armed.control.desired.send_replace(Desired::Up);
        });
        std::future::pending::<()>().await;
    }
    let method = request.method().clone();
    let object = object_of(request.uri());
    if method == hyper::Method::PUT && request.uri().path().trim_matches('/').contains('/') {
        counters.put_requests.fetch_add(1, Ordering::SeqCst);
    }
    let response = service.call(request.map(s3s::Body::from)).await?;
    let count = if method == hyper::Method::GET && response.status().is_success() {
        object.map(|object| {
            counters.get_requests.fetch_add(1, Ordering::SeqCst);
            (counters, object)
        })
    } else {
        None
    };
    Ok(response.map(|inner| CountedBody { inner, count }))
}

/// `bucket/key` of a path-style object request (`/bucket/key`, percent-decoded), `None` for
/// requests on the service or a bucket, and for multipart requests on an upload (`uploadId`).
fn object_of(uri: &hyper::Uri) -> Option<String> {
    let path = uri.path().strip_prefix('/')?;
    let (bucket, key) = path.split_once('/')?;
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    if uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p.starts_with("uploadId=")))
    {
        return None;
    }
    Some(percent_decode(path))
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let decoded = match bytes.get(i..i + 3) {
            Some([b'%', h, l]) => hex(*h).zip(hex(*l)).map(|(h, l)| h * 16 + l),
            _ => None,
        };
        match decoded {
            Some(b) => {
                out.push(b);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response body that adds the length of each data frame to the counters.
struct CountedBody {
    inner: s3s::Body,
    count: Option<(Arc<Counters>, String)>,
}

impl Body for CountedBody {
    type Data = <s3s::Body as Body>::Data;
    type Error = <s3s::Body as Body>::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let (Poll::Ready(Some(Ok(frame))), Some((counters, object))) = (&polled, &self.count)
            && let Some(data) = frame.data_ref()
        {
            let n = data.len() as u64;
            counters.bytes_served.fetch_add(n, Ordering::SeqCst);
            *lock(&counters.per_object)
                .entry(object.clone())
                .or_insert(0) += n;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Adds the files under `dir` to `keys`, as `prefix` + their relative path with `/`.
fn walk(dir: &Path, prefix: &str, keys: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(&entry.path(), &format!("{prefix}{name}/"), keys);
        } else if kind.is_file() {
            keys.push(format!("{prefix}{name}"));
        }
    }
}

#[cfg(test)]
mod tests;
