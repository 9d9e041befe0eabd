use super::*;

use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{
    BackoffConfig, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload, RetryConfig,
    WriteMultipart,
};

const KEY: &str = "AKTEST";
const SECRET: &str = "test-secret";
const BUCKET: &str = "media";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// An object_store S3 client of `server`, retrying `retries` times, 20 to 50 ms apart (object_store
/// draws each backoff from init..previous*base, so a base of 1 would panic on an empty range).
fn store(server: &S3Server, secret: &str, retries: usize) -> AmazonS3 {
    let _ = rustls::crypto::ring::default_provider().install_default();
    AmazonS3Builder::new()
        .with_endpoint(server.endpoint())
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_virtual_hosted_style_request(false)
        .with_bucket_name(BUCKET)
        .with_access_key_id(KEY)
        .with_secret_access_key(secret)
        .with_retry(RetryConfig {
            backoff: BackoffConfig {
                init_backoff: Duration::from_millis(20),
                max_backoff: Duration::from_millis(50),
                base: 2.0,
            },
            max_retries: retries,
            retry_timeout: Duration::from_secs(30),
        })
        .build()
        .unwrap()
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn put_get_and_ranged_get_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET, "other"]);
    assert!(server.endpoint().ends_with(&format!(":{}", server.port())));
    assert!(server.bucket_dir("other").is_dir());
    let s3 = store(&server, SECRET, 0);
    let body = data(100_000);
    let path = ObjectPath::from("live/stream 1/seg-00001.ts");
    block_on(async {
        s3.put(&path, PutPayload::from(body.clone())).await.unwrap();
        assert_eq!(server.put_requests(), 1);
        server.reset_counters();

        let got = s3.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(got.as_ref(), body.as_slice());
        let part = s3.get_range(&path, 1000..1500).await.unwrap();
        assert_eq!(part.as_ref(), &body[1000..1500]);
        s3.head(&path).await.unwrap();
    });
    assert_eq!(server.get_requests(), 2);
    assert_eq!(server.requests(), 3);
    assert_eq!(server.bytes_served(), 100_500);
    assert_eq!(
        server.bytes_served_for(BUCKET, "live/stream 1/seg-00001.ts"),
        100_500
    );
    assert_eq!(
        std::fs::read(server.bucket_dir(BUCKET).join("live/stream 1/seg-00001.ts")).unwrap(),
        body
    );
    assert_eq!(server.list_objects(BUCKET), ["live/stream 1/seg-00001.ts"]);
    assert!(server.list_objects("other").is_empty());
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());

    server.reset_counters();
    assert_eq!(
        (
            server.requests(),
            server.get_requests(),
            server.bytes_served()
        ),
        (0, 0, 0)
    );
    assert!(server.bytes_served_per_object().is_empty());
}

#[test]
fn multipart_upload_of_12_mib_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let s3 = store(&server, SECRET, 0);
    let body = data(12 << 20);
    let path = ObjectPath::from("out/job-1.mp4");
    block_on(async {
        let upload = s3.put_multipart(&path).await.unwrap();
        let mut writer = WriteMultipart::new_with_chunk_size(upload, 5 << 20);
        for chunk in body.chunks(1 << 20) {
            writer.wait_for_capacity(2).await.unwrap();
            writer.write(chunk);
        }
        writer.finish().await.unwrap();
        let got = s3.get(&path).await.unwrap().bytes().await.unwrap();
        assert!(got.as_ref() == body.as_slice());
    });
    // Create, three parts (5 + 5 + 2 MiB), complete, get.
    assert_eq!(server.put_requests(), 3);
    assert_eq!(server.bytes_served(), 12 << 20);
    assert_eq!(server.list_objects(BUCKET), ["out/job-1.mp4"]);
    assert_eq!(server.pending_multipart_uploads(), 0);
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
    assert!(server.temporary_files().is_empty());
}

#[test]
fn pending_and_aborted_multipart_uploads_are_visible() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let s3 = store(&server, SECRET, 0);
    block_on(async {
        let mut upload = s3
            .put_multipart(&ObjectPath::from("out/half.mp4"))
            .await
            .unwrap();
        upload
            .put_part(PutPayload::from(data(5 << 20)))
            .await
            .unwrap();
        assert_eq!(server.pending_multipart_uploads(), 1);
        // The upload, its metadata and its one part.
        let leftovers = server.leftovers();
        assert_eq!(leftovers.len(), 3, "{leftovers:?}");
        assert!(leftovers.iter().any(|f| f.contains(".part-1")));
        assert!(server.list_objects(BUCKET).is_empty());

        upload.abort().await.unwrap();
    });
    assert_eq!(server.pending_multipart_uploads(), 0);
    assert!(server.leftovers().is_empty(), "{:?}", server.leftovers());
    assert!(server.temporary_files().is_empty());
}

#[test]
fn a_wrong_secret_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let path = ObjectPath::from("a.ts");
    block_on(async {
        store(&server, SECRET, 0)
            .put(&path, PutPayload::from(data(10)))
            .await
            .unwrap();
        let wrong = store(&server, "not-the-secret", 0);
        let err = wrong.get(&path).await.unwrap_err().to_string();
        assert!(err.contains("403"), "{err}");
        let err = wrong
            .put(&ObjectPath::from("b.ts"), PutPayload::from(data(10)))
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("403"), "{err}");
    });
    assert_eq!(server.list_objects(BUCKET), ["a.ts"]);
    assert_eq!(server.get_requests(), 0);
    assert_eq!(server.bytes_served(), 0);
}

#[test]
fn conditional_create_refuses_an_existing_object() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let s3 = store(&server, SECRET, 0);
    let path = ObjectPath::from("out/once.mp4");
    let create = || PutOptions::from(PutMode::Create);
    block_on(async {
        s3.put_opts(&path, PutPayload::from(data(10)), create())
            .await
            .unwrap();
        let err = s3
            .put_opts(&path, PutPayload::from(data(20)), create())
            .await
            .unwrap_err();
        assert!(
            matches!(err, object_store::Error::AlreadyExists { .. }),
            "{err}"
        );
        assert_eq!(s3.head(&path).await.unwrap().size, 10);
    });
}

#[test]
fn an_outage_fails_requests_and_then_the_same_data_is_served_on_the_same_port() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let port = server.port();
    let s3 = store(&server, SECRET, 0);
    let path = ObjectPath::from("seg.ts");
    let body = data(50_000);
    block_on(async {
        s3.put(&path, PutPayload::from(body.clone())).await.unwrap();
        // A pooled connection exists now; the outage resets it.
        server.stop();
        assert!(!server.is_up());
        let err = s3.get(&path).await.unwrap_err();
        eprintln!("get while down: {err} / {err:?}");
        assert!(err.to_string().contains("error sending request"), "{err}");
        assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

        server.resume();
        assert!(server.is_up());
        assert_eq!(server.port(), port);
        let got = s3.get(&path).await.unwrap().bytes().await.unwrap();
        assert_eq!(got.as_ref(), body.as_slice());
    });
}

#[test]
fn an_outage_resets_a_download_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let s3 = store(&server, SECRET, 0);
    let path = ObjectPath::from("big.ts");
    let body = data(64 << 20);
    block_on(async {
        s3.put(&path, PutPayload::from(body.clone())).await.unwrap();
        server.reset_counters();
        let result = s3.get(&path).await.unwrap();
        // The body is still being sent: take the server down under it.
        server.stop();
        let err = result.bytes().await.unwrap_err();
        eprintln!("download reset: {err} / {err:?}");
        assert!(err.to_string().contains("body error"), "{err}");
        assert!(server.bytes_served() < body.len() as u64);
        server.resume();
    });
}

#[test]
fn object_store_retries_through_a_short_outage() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    // 40 retries, 20 to 50 ms apart: at least 0.8 s of patience.
    let s3 = store(&server, SECRET, 40);
    let path = ObjectPath::from("seg.ts");
    let body = data(1000);
    block_on(async { s3.put(&path, PutPayload::from(body.clone())).await.unwrap() });
    std::thread::scope(|scope| {
        server.stop();
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(500));
            server.resume();
        });
        let started = Instant::now();
        let got = block_on(async { s3.get(&path).await.unwrap().bytes().await.unwrap() });
        assert_eq!(got.as_ref(), body.as_slice());
        assert!(started.elapsed() >= Duration::from_millis(400));
    });
}

#[test]
fn outage_from_another_thread_while_uploading() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let s3 = store(&server, SECRET, 0);
    std::thread::scope(|scope| {
        let outage = scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(30));
            server.outage(Duration::from_millis(200));
        });
        let result = block_on(async {
            let mut failed = 0;
            for i in 0..200 {
                let path = ObjectPath::from(format!("many/{i}.ts"));
                if s3
                    .put(&path, PutPayload::from(data(100_000)))
                    .await
                    .is_err()
                {
                    failed += 1;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            failed
        });
        outage.join().unwrap();
        assert!(result > 0, "no upload failed during the outage");
    });
    assert!(
        server.temporary_files().is_empty(),
        "{:?}",
        server.temporary_files()
    );
}

#[test]
fn drop_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let port = server.port();
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    drop(server);
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn object_of_decodes_path_style_requests() {
    let uri = |s: &str| s.parse::<hyper::Uri>().unwrap();
    assert_eq!(
        object_of(&uri("/b/live/a%20b%2B.ts?x-id=GetObject")).as_deref(),
        Some("b/live/a b+.ts")
    );
    assert_eq!(object_of(&uri("/b?list-type=2")), None);
    assert_eq!(object_of(&uri("/b/")), None);
    assert_eq!(object_of(&uri("/b/k?uploadId=1&partNumber=2")), None);
    assert_eq!(percent_decode("100%"), "100%");
}

/// Waits until `done` holds (polling every millisecond) or panics after 10 s.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// What object_store 0.14.2 does when the connection is reset under a request body: a transport
/// error of kind Interrupted, retried only for idempotent requests. An overwriting PUT is; a
/// conditional create (If-None-Match) is not and fails at once. (Connection refused, kind
/// Connect, is retried for every request: `object_store_retries_through_a_short_outage`.)
#[test]
fn a_reset_under_an_upload_is_retried_for_overwrite_but_not_for_create() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let s3 = store(&server, SECRET, 40);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let payload = PutPayload::from(data(64 << 20));
    for (mode, retried) in [(PutMode::Overwrite, true), (PutMode::Create, false)] {
        server.reset_counters();
        let path = ObjectPath::from(format!("{mode:?}.mp4"));
        let result = std::thread::scope(|scope| {
            scope.spawn(|| {
                wait_until("the PUT has started", || server.put_requests() > 0);
                server.outage(Duration::from_millis(200));
            });
            runtime.block_on(s3.put_opts(&path, payload.clone(), PutOptions::from(mode.clone())))
        });
        assert_eq!(result.is_ok(), retried, "{mode:?}: {result:?}");
        assert_eq!(server.put_requests(), if retried { 2 } else { 1 });
        assert_eq!(
            server.list_objects(BUCKET).contains(&path.to_string()),
            retried
        );
        // Whatever s3s-fs left half-created when the outage cut the request, resume removed.
        assert!(
            server.temporary_files().is_empty(),
            "{:?}",
            server.temporary_files()
        );
    }
}

/// A streamed GET reset in the middle is resumed by object_store from where it stopped (a range
/// request for the rest), so the object is served once and a little more.
#[test]
fn a_reset_under_a_download_is_resumed_by_object_store() {
    let dir = tempfile::tempdir().unwrap();
    let server = S3Server::start(dir.path(), KEY, SECRET, &[BUCKET]);
    let s3 = store(&server, SECRET, 40);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let path = ObjectPath::from("long.ts");
    let body = data(64 << 20);
    runtime
        .block_on(s3.put(&path, PutPayload::from(body.clone())))
        .unwrap();
    server.reset_counters();
    let got = std::thread::scope(|scope| {
        scope.spawn(|| {
            wait_until("the body is being served", || server.bytes_served() > 0);
            server.outage(Duration::from_millis(200));
        });
        runtime
            .block_on(async { s3.get(&path).await?.bytes().await })
            .unwrap()
    });
    assert!(got.as_ref() == body.as_slice());
    assert_eq!(server.get_requests(), 2);
    // Bytes handed to a connection that was then reset count too, though the client lost them.
    assert!(server.bytes_served() >= body.len() as u64);
}
