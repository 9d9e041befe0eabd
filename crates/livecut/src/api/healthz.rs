//! The operator's routes, served by `livecut serve` and by `livecut worker --listen`, without
//! authentication: `/healthz` (can this process serve: the database answers) and `/metrics`
//! (Prometheus text format, `crate::metrics`).

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error::ApiError;
use super::json_response;
use crate::code::ErrorCode;
use crate::db::Db;
use crate::ids::new_request_id;

/// What the health check and the scrape look at.
#[derive(Clone)]
pub struct OpsState {
    pub db: Db,
    pub buckets: crate::storage::Buckets,
    /// The bearer token `/metrics` requires; None: open, without per-account figures.
    pub metrics_token: Option<String>,
}

/// A check that does not answer within this long fails: a load balancer must not wait for the
/// pool's acquire timeout.
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether this process can do its work; `Err` says what does not answer. Every dependency of
/// the service gets its check here: the database, and every configured bucket (a HEAD that
/// needs the bucket and our credentials).
pub async fn health(state: &OpsState) -> Result<(), String> {
    let ping = sqlx::query("SELECT 1").execute(&state.db.pool);
    match tokio::time::timeout(CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(format!("the database does not answer: {e}")),
        Err(_) => {
            return Err(format!(
                "the database did not answer within {} s",
                CHECK_TIMEOUT.as_secs()
            ));
        }
    }
    match tokio::time::timeout(CHECK_TIMEOUT, state.buckets.health()).await {
        Ok(result) => result.map_err(|e| format!("the storage does not answer: {e}")),
        Err(_) => Err(format!(
            "the storage did not answer within {} s",
            CHECK_TIMEOUT.as_secs()
        )),
    }
}

pub fn ops_router(state: OpsState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn healthz(State(state): State<OpsState>, headers: HeaderMap) -> Response {
    match health(&state).await {
        Ok(()) => "ok".into_response(),
        Err(why) => unavailable(&headers, &why),
    }
}

async fn metrics(State(state): State<OpsState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let matches: bool =
            subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.as_bytes()).into();
        if !matches {
            let host_id = crate::api::guard::host_id(&headers);
            return json_response(
                &new_request_id(),
                &host_id,
                Err(ApiError::new(
                    ErrorCode::ForbiddenMetrics,
                    "The metrics of this server need its metrics token (Authorization: Bearer).",
                )),
            );
        }
    }
    let accounts = state.metrics_token.is_some();
    match crate::metrics::render(&state.db, accounts).await {
        Ok(text) => {
            let mut resp = (StatusCode::OK, text).into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            resp
        }
        Err(e) => unavailable(&headers, &format!("the database does not answer: {e}")),
    }
}

/// 503 with the Alibaba error body.
fn unavailable(headers: &HeaderMap, why: &str) -> Response {
    tracing::warn!("unhealthy: {why}");
    let host_id = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("livecut");
    json_response(
        &new_request_id(),
        host_id,
        Err(ApiError::new(
            ErrorCode::ServiceUnavailable,
            format!("The service is unavailable: {why}."),
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn get_body(router: Router, path: &str) -> (StatusCode, String) {
        let req = Request::get(path).body(Body::empty()).unwrap();
        let resp = router.oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn healthy_then_unavailable_when_the_database_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::testing::sqlite(&dir).await;
        let buckets = crate::storage::Buckets::local(dir.path().join("buckets"));
        // Built twice, as a test suite does: one metrics recorder for the process.
        for _ in 0..2 {
            let router = ops_router(OpsState {
                db: db.clone(),
                buckets: buckets.clone(),
                metrics_token: None,
            });
            assert_eq!(
                get_body(router.clone(), "/healthz").await,
                (StatusCode::OK, "ok".to_string())
            );
            let (status, text) = get_body(router, "/metrics").await;
            assert_eq!(status, StatusCode::OK);
            assert!(text.contains("livecut_queue_depth 0"), "{text}");
        }
        db.pool.close().await;
        let (status, body) = get_body(
            ops_router(OpsState {
                db,
                buckets: buckets.clone(),
                metrics_token: None,
            }),
            "/healthz",
        )
        .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["Code"], "ServiceUnavailable");
        assert!(v["Message"].as_str().unwrap().contains("database"), "{v}");
        assert!(
            v["RequestId"].is_string() && v["Recommend"].is_string(),
            "{v}"
        );
    }
}
