//! Owned requests for tests: build them from captured wire text or from our own signer,
//! then tamper with them.

use crate::{SignedOutgoing, SignedRequest, decode_urlencoded};

#[derive(Debug, Clone)]
pub(crate) struct OwnedRequest {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl OwnedRequest {
    /// `target` is the request-target as on the request line, e.g. `/?JobId=j-fake`.
    pub fn from_wire(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Self {
        let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
            .collect();
        let is_form = headers.iter().any(|(k, v)| {
            k == "content-type" && v.starts_with("application/x-www-form-urlencoded")
        });
        OwnedRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: decode_urlencoded(raw_query),
            form: if is_form {
                decode_urlencoded(body)
            } else {
                Vec::new()
            },
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn from_signed(method: &str, path: &str, out: &SignedOutgoing) -> Self {
        let headers: Vec<(String, String)> = out.headers.clone();
        let body = String::from_utf8_lossy(&out.body).into_owned();
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Self::from_wire(method, &format!("{path}?{}", out.query), &refs, &body)
    }

    pub fn view(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            form: &self.form,
            headers: &self.headers,
            body: &self.body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        self.remove_header(name);
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| k != name);
    }

    pub fn set_param(&mut self, name: &str, value: &str) {
        match self.query.iter_mut().find(|(k, _)| k == name) {
            Some(pair) => pair.1 = value.to_owned(),
            None => self.query.push((name.to_owned(), value.to_owned())),
        }
    }

    pub fn remove_param(&mut self, name: &str) {
        self.query.retain(|(k, _)| k != name);
    }
}
