//! One RPC request as the Alibaba SDKs send it: parameters from the query string merged with an
//! `application/x-www-form-urlencoded` body, the action from `x-acs-action` (signature V3) or the
//! `Action` parameter (V1).

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method, Uri, header};

pub const API_VERSION: &str = "2020-11-09";

pub struct RpcRequest {
    pub method: String,
    pub path: String,
    /// Decoded query pairs in arrival order (signatures need the exact multiset).
    pub query: Vec<(String, String)>,
    /// Decoded form-body pairs.
    pub form: Vec<(String, String)>,
    /// Lower-case header names with their values.
    pub headers: Vec<(String, String)>,
    pub body: bytes::Bytes,
    /// Query and form merged; on a repeated name the form wins, as it comes last.
    pub params: BTreeMap<String, String>,
}

impl RpcRequest {
    pub fn new(method: &Method, uri: &Uri, headers: &HeaderMap, body: bytes::Bytes) -> RpcRequest {
        let query: Vec<(String, String)> = uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let form: Vec<(String, String)> = if is_form {
            form_urlencoded::parse(&body).into_owned().collect()
        } else {
            Vec::new()
        };
        let params = query.iter().chain(form.iter()).cloned().collect();
        let headers = headers
            .iter()
            .filter_map(|(k, v)| {
                v.to_str()
                    .ok()
                    .map(|v| (k.as_str().to_ascii_lowercase(), v.to_string()))
            })
            .collect();
        RpcRequest {
            method: method.as_str().to_string(),
            path: uri.path().to_string(),
            query,
            form,
            headers,
            body,
            params,
        }
    }

    /// A parameter name given more than once (in the query, the form, or both): which value
    /// counts would be a guess, so such a request is refused.
    pub fn duplicate(&self) -> Option<&str> {
        let mut seen = std::collections::BTreeSet::new();
        self.query
            .iter()
            .chain(self.form.iter())
            .map(|(k, _)| k.as_str())
            .find(|k| !seen.insert(*k))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Signature V3 (an `Authorization` header) signs the action and version as headers;
    /// V1 signs them as parameters. Each is read only from where its scheme signs it, so an
    /// unsigned header cannot turn a V1 request into another action or version.
    fn signs_headers(&self) -> bool {
        self.header("authorization").is_some()
    }

    pub fn action(&self) -> Option<&str> {
        self.scheme_value("x-acs-action", "Action")
    }

    pub fn version(&self) -> Option<&str> {
        self.scheme_value("x-acs-version", "Version")
    }

    fn scheme_value(&self, header: &str, param: &str) -> Option<&str> {
        if self.signs_headers() {
            self.header(header)
        } else {
            self.params.get(param).map(String::as_str)
        }
        .filter(|v| !v.is_empty())
    }

    /// A text parameter shown in lists and consoles: at most `max` bytes, no control characters
    /// other than newlines and tabs; None when absent.
    pub fn text(&self, name: &str, max: usize) -> Result<Option<String>, super::error::ApiError> {
        let Some(v) = self.param(name) else {
            return Ok(None);
        };
        if v.len() > max {
            return Err(super::error::ApiError::invalid(
                name,
                &format!("it is longer than {max} bytes"),
            ));
        }
        if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
            return Err(super::error::ApiError::invalid(
                name,
                "it contains control characters",
            ));
        }
        Ok(Some(v.to_string()))
    }

    /// A boolean parameter: `true` or `false` in any case (the Python SDK sends `True`), false
    /// when absent.
    pub fn flag(&self, name: &str) -> Result<bool, super::error::ApiError> {
        match self.param(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(super::error::ApiError::invalid(
                name,
                "it is not true or false",
            )),
        }
    }

    /// A parameter value, trimmed; None when absent or blank.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// The longest Title, Description and URL texts the IMS calls take (bytes).
pub const MAX_TITLE: usize = 128;
pub const MAX_DESCRIPTION: usize = 1024;
pub const MAX_URL: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn merges_query_and_form_and_reads_the_action() {
        let uri: Uri = "/?Clips=%5B%5D&A=1+2".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        h.insert("X-Acs-Action", HeaderValue::from_static("GetMediaInfo"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("ACS3-HMAC-SHA256 x"),
        );
        let r = RpcRequest::new(
            &Method::POST,
            &uri,
            &h,
            bytes::Bytes::from_static(b"B=x%20y"),
        );
        assert_eq!(r.params.get("Clips").unwrap(), "[]");
        assert_eq!(
            r.params.get("A").unwrap(),
            "1 2",
            "'+' is a space in queries"
        );
        assert_eq!(r.params.get("B").unwrap(), "x y");
        assert_eq!(r.action(), Some("GetMediaInfo"));
    }

    #[test]
    fn v1_action_comes_from_the_query() {
        let uri: Uri = "/?Action=GetLiveEditingJob&Version=2020-11-09"
            .parse()
            .unwrap();
        let r = RpcRequest::new(&Method::GET, &uri, &HeaderMap::new(), bytes::Bytes::new());
        assert_eq!(r.action(), Some("GetLiveEditingJob"));
        assert_eq!(r.version(), Some(API_VERSION));
    }

    #[test]
    fn a_parameter_given_twice_is_found() {
        let uri: Uri = "/?A=1&Clips=x".parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let r = RpcRequest::new(
            &Method::POST,
            &uri,
            &h,
            bytes::Bytes::from_static(b"Clips=y"),
        );
        assert_eq!(r.duplicate(), Some("Clips"));
        let r = RpcRequest::new(&Method::GET, &uri, &HeaderMap::new(), bytes::Bytes::new());
        assert_eq!(r.duplicate(), None);
    }

    #[test]
    fn unsigned_headers_do_not_override_a_v1_action_or_version() {
        let uri: Uri = "/?Action=GetLiveEditingJob&Version=2020-11-09&Signature=x"
            .parse()
            .unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-acs-action",
            HeaderValue::from_static("SubmitLiveEditingJob"),
        );
        h.insert("x-acs-version", HeaderValue::from_static("2017-09-06"));
        let r = RpcRequest::new(&Method::GET, &uri, &h, bytes::Bytes::new());
        assert_eq!(r.action(), Some("GetLiveEditingJob"));
        assert_eq!(r.version(), Some(API_VERSION));
    }
}
