//! Accepting HTTP connections from clients that may not mean well. A plain `axum::serve` has
//! no limit on connections and no read timeout: 1,100 idle connections used up the process's
//! open files and the API, and the jobs that needed a file, failed. Here:
//!
//! - the open-file limit is raised to what the system allows, and connections are capped below
//!   it with a reserve for the database, storage clients and job pipes; beyond the cap a client
//!   gets a `503 ServiceUnavailable` JSON answer and its connection is closed;
//! - a connection must send a whole request head within the header timeout after it opens or
//!   after its previous response (hyper's header read timeout), so idle connections go;
//! - the request deadline and the JSON error bodies are `api::guard`'s, inside the router;
//! - on shutdown, listening stops, idle connections close at once and requests in flight get
//!   a bounded time to finish.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::api::guard::{Guard, guard, overload_response};
use crate::settings::HttpSettings;

/// Open files kept for everything but client connections (database, storage, recorders, pipes
/// of job children, logs).
const RESERVED_FILES: u64 = 512;
/// Refusals written at once; beyond them a connection over the cap is just closed.
const REFUSALS_AT_ONCE: usize = 64;
/// How long writing a refusal may take.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(2);
/// Longest request head (request line and headers) hyper reads, and the most header fields it
/// parses; beyond them hyper answers 431 itself, without a body. The guard's own, lower limits
/// (`api::guard::MAX_HEADERS`, `MAX_HEADER_BYTES`) answer the heads in between with JSON.
const MAX_HEAD_BYTES: usize = 128 * 1024;
const HYPER_MAX_HEADERS: usize = 256;
/// How long requests in flight get to finish after shutdown starts.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// The connection cap this process can honour: `requested`, lowered to what the open-file
/// limit (raised first to the hard limit) leaves after the reserve.
pub fn connection_cap(requested: usize) -> usize {
    let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let usable = files.saturating_sub(RESERVED_FILES.min(files / 2));
    requested
        .min(usize::try_from(usable).unwrap_or(usize::MAX))
        .max(1)
}

/// Serves `app` (behind `api::guard`) on `listener` until `stop` completes, then shuts down
/// gracefully.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: &HttpSettings,
    stop: impl Future<Output = ()>,
) {
    let app = app.layer(axum::middleware::from_fn_with_state(
        Guard::new(settings),
        guard,
    ));
    let cap = connection_cap(settings.max_connections);
    if cap < settings.max_connections {
        tracing::warn!(
            requested = settings.max_connections,
            cap,
            "the open-file limit allows fewer connections than asked for"
        );
    }
    let connections = Arc::new(Semaphore::new(cap));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_timeout())
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(HYPER_MAX_HEADERS);
    tokio::pin!(stop);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_failed(&e).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            crate::metrics::connection_refused();
            if let Ok(slot) = refusals.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream, cap).await;
                    drop(slot);
                });
            }
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = tower::ServiceBuilder::new()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(remote));
                req
            })
            .service(app.clone());
        let conn = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let conn = graceful.watch(conn);
        crate::metrics::http_connections(1.0);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
            crate::metrics::http_connections(-1.0);
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => {
            tracing::warn!("requests still running {} s after shutdown began; closing them", SHUTDOWN_GRACE.as_secs());
        }
    }
}

/// Answers a connection over the cap with a JSON 503 and closes it.
async fn refuse(mut stream: TcpStream, cap: usize) {
    let answer = overload_response(cap);
    let _ = tokio::time::timeout(REFUSAL_TIMEOUT, async {
        stream.write_all(&answer).await?;
        stream.shutdown().await
    })
    .await;
}

/// An accept error: a connection that died before it was accepted is nothing; running out of
/// files (or memory) is waited out briefly instead of spinning.
async fn accept_failed(e: &std::io::Error) {
    use std::io::ErrorKind::*;
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted
    ) {
        return;
    }
    tracing::warn!(error = %e, "accepting a connection failed; retrying shortly");
    tokio::time::sleep(Duration::from_millis(50)).await;
}
