use crate::error::{AuthError, excerpt};

/// An incoming request as the verifier needs to see it, independent of any HTTP framework.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method as received, e.g. `"POST"`.
    pub method: &'a str,
    /// Request path as received, not decoded (`"/"` for every RPC-style call).
    pub path: &'a str,
    /// URL query parameters, already percent-decoded (`+` turned into a space), in order.
    /// [`crate::decode_urlencoded`] produces exactly this from the raw query.
    pub query: &'a [(String, String)],
    /// `x-www-form-urlencoded` body parameters, decoded the same way; empty when the body
    /// is not a form. The legacy HMAC-SHA1 scheme signs these; ACS3 covers them by the body hash.
    pub form: &'a [(String, String)],
    /// Header names in lower case, values as received. Repeated headers appear repeatedly.
    /// Must include `host` (for HTTP/2, the `:authority` value).
    pub headers: &'a [(String, String)],
    /// The raw body bytes.
    pub body: &'a [u8],
}

impl<'a> SignedRequest<'a> {
    /// All values of a header, in the order received.
    pub(crate) fn header_values(&self, name: &str) -> impl Iterator<Item = &'a str> {
        let name = name.to_owned();
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
    }

    /// A header that must appear at most once; a repeated one is rejected because the
    /// verifier could not know which copy the client meant.
    pub(crate) fn single_header(&self, name: &str) -> Result<Option<&'a str>, AuthError> {
        let mut values = self.header_values(name);
        let first = values.next();
        if values.next().is_some() {
            return Err(AuthError::Incomplete(format!(
                "header {name} appears more than once"
            )));
        }
        Ok(first)
    }

    /// A required single header, trimmed; missing or empty is an incomplete signature.
    pub(crate) fn required_header(&self, name: &str) -> Result<&'a str, AuthError> {
        match self.single_header(name)?.map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(AuthError::Incomplete(format!("header {name} is empty"))),
            None => Err(AuthError::Incomplete(format!("header {name} is missing"))),
        }
    }

    /// A parameter from the query or, failing that, the form body. Repeats are rejected for
    /// the same reason as repeated headers.
    pub(crate) fn single_param(&self, name: &str) -> Result<Option<&'a str>, AuthError> {
        let mut values = self
            .query
            .iter()
            .chain(self.form.iter())
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(AuthError::Incomplete(format!(
                "parameter {name} appears more than once"
            )));
        }
        Ok(first)
    }

    pub(crate) fn required_param(&self, name: &str) -> Result<&'a str, AuthError> {
        match self.single_param(name)? {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(AuthError::Incomplete(format!("parameter {name} is empty"))),
            None => Err(AuthError::Incomplete(format!(
                "parameter {name} is missing"
            ))),
        }
    }
}

/// Nonces go into the service's replay store; bounding them keeps that store sane while
/// admitting every format seen in practice (32 hex digits from the SDK, UUIDs by hand).
pub(crate) fn check_nonce(field: &str, nonce: &str) -> Result<(), AuthError> {
    const MAX_LEN: usize = 128;
    if nonce.len() > MAX_LEN || !nonce.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AuthError::Incomplete(format!(
            "{field} {:?} must be 1 to {MAX_LEN} printable ASCII characters",
            excerpt(nonce)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn headers_are_looked_up_case_insensitively_and_repeats_rejected() {
        let headers = pairs(&[("x-acs-date", " 2021 "), ("accept", "a"), ("Accept", "b")]);
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: &[],
            form: &[],
            headers: &headers,
            body: b"",
        };
        assert_eq!(req.required_header("X-ACS-DATE"), Ok("2021"));
        assert_eq!(req.header_values("accept").collect::<Vec<_>>(), ["a", "b"]);
        assert!(matches!(
            req.single_header("accept"),
            Err(AuthError::Incomplete(m)) if m.contains("more than once")
        ));
        assert!(matches!(
            req.required_header("host"),
            Err(AuthError::Incomplete(m)) if m == "header host is missing"
        ));
    }

    #[test]
    fn params_come_from_query_then_form() {
        let query = pairs(&[("A", "1"), ("E", "")]);
        let form = pairs(&[("B", "2"), ("A", "3")]);
        let req = SignedRequest {
            method: "POST",
            path: "/",
            query: &query,
            form: &form,
            headers: &[],
            body: b"",
        };
        assert_eq!(req.required_param("B"), Ok("2"));
        assert!(req.single_param("A").is_err());
        assert!(
            matches!(req.required_param("E"), Err(AuthError::Incomplete(m)) if m.contains("empty"))
        );
        assert_eq!(req.single_param("Z"), Ok(None));
    }

    #[test]
    fn nonce_rules() {
        assert!(check_nonce("n", "1a647f9d68bef5e5bdf1543566ba43fb").is_ok());
        assert!(check_nonce("n", "3f1e0c52-8d9a-4f5e-9a0b-1c2d3e4f5a6b").is_ok());
        assert!(check_nonce("n", "has space").is_err());
        assert!(check_nonce("n", &"a".repeat(129)).is_err());
        assert!(check_nonce("n", "非ascii").is_err());
    }
}
