//! The preview routes behind `GetLiveEditingIndexFile`'s links, answered without an access key
//! (the link's signature is the permission): `GET /preview/index.m3u8?…` the playlist of a
//! stream's window, and `GET /preview/segment/{name}?…` one segment or init section, streamed from
//! wherever it is stored. Refusals are the API's JSON errors (403 `Forbidden.Link` for a link this
//! deployment did not sign or that expired). Any page may play them (CORS `*`: the signature, not
//! the origin, is what is checked).

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::TryStreamExt;

use super::error::ApiError;
use super::get_live_editing_index_file::plan_error;
use super::{AppState, json_response};
use crate::code::ErrorCode;
use crate::ids::new_request_id;
use crate::preview::{
    INDEX_PATH, LinkError, SEGMENT_PREFIX, decode_source, decode_window, encode_source, index,
    param,
};
use crate::storage::{Source, StorageError};

pub fn preview_router(state: AppState) -> Router {
    Router::new()
        .route(INDEX_PATH, get(index_playlist))
        .route(&format!("{SEGMENT_PREFIX}{{name}}"), get(segment))
        .with_state(state)
}

fn refuse(headers: &HeaderMap, e: ApiError) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("livecut");
    let mut resp = json_response(&new_request_id(), host, Err(e));
    allow_any_origin(&mut resp);
    resp
}

fn link_error(e: LinkError) -> ApiError {
    ApiError::new(
        ErrorCode::ForbiddenLink,
        format!("The preview link is refused: {e}."),
    )
}

fn allow_any_origin(resp: &mut Response) {
    resp.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
}

fn now_s() -> i64 {
    crate::clock::now_ms() / 1000
}

async fn index_playlist(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let signer = &state.preview.signer;
    let params = match signer.verify(INDEX_PATH, uri.query().unwrap_or(""), now_s()) {
        Ok(p) => p,
        Err(e) => return refuse(&headers, link_error(e)),
    };
    let (Some((stream, window)), Some(expires)) = (
        decode_window(&params),
        param(&params, "Expires").and_then(|e| e.parse::<i64>().ok()),
    ) else {
        return refuse(&headers, link_error(LinkError::Unsigned));
    };
    // Segment links live as long as the index link they came from; relative, so they reach this
    // server however the player reached the playlist.
    let link = |source: &Source, stem: &str| {
        let name = format!(
            "{stem}.{}",
            source.extension().unwrap_or_else(|| "ts".into())
        );
        let query = signer.sign(
            &format!("{SEGMENT_PREFIX}{name}"),
            &[("Source", encode_source(source))],
            expires,
        );
        format!("segment/{name}?{query}")
    };
    match index::write(state.catalog(), &stream, window, &link).await {
        Ok(text) => {
            let mut resp = (StatusCode::OK, text).into_response();
            let h = resp.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vnd.apple.mpegurl"),
            );
            // A growing window changes on every reload.
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            allow_any_origin(&mut resp);
            resp
        }
        Err(e) => refuse(&headers, plan_error(e)),
    }
}

async fn segment(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let params = match state
        .preview
        .signer
        .verify(uri.path(), uri.query().unwrap_or(""), now_s())
    {
        Ok(p) => p,
        Err(e) => return refuse(&headers, link_error(e)),
    };
    let Some(source) = param(&params, "Source").and_then(decode_source) else {
        return refuse(&headers, link_error(LinkError::Unsigned));
    };
    let (size, body) = match state.buckets.open(&source).await {
        Ok(opened) => opened,
        Err(e) if e.is_not_found() => {
            return refuse(
                &headers,
                ApiError::new(
                    ErrorCode::NotFound,
                    "The segment is no longer stored (the retention may have removed it).",
                ),
            );
        }
        Err(e) => return refuse(&headers, storage_error(&e)),
    };
    let content_type = match source.extension().as_deref() {
        Some("m4s" | "mp4" | "m4v" | "cmfv" | "cmfa") => "video/mp4",
        Some("aac") => "audio/aac",
        _ => "video/mp2t",
    };
    let body = Body::from_stream(body.map_err(std::io::Error::other));
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    // A segment never changes once written; the link expires on its own.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600, immutable"),
    );
    allow_any_origin(&mut resp);
    resp
}

fn storage_error(e: &StorageError) -> ApiError {
    // The detail (which may name a server path) goes to the log only.
    tracing::warn!(error = %e, "preview: a segment could not be read");
    ApiError::new(
        ErrorCode::StorageUnavailable,
        "The storage of the segment did not answer; retry later.",
    )
}
