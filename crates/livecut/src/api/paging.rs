//! What the IMS list calls share: `MaxResults` (1-100, default 10), `NextToken` (opaque: the
//! creation time and id of the last item sent, so the next page starts after it whatever was
//! added meanwhile), `SortBy` (newest or oldest first) and a creation-time window
//! (`StartTime`/`EndTime`, UTC).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::error::ApiError;
use super::rpc::RpcRequest;

const DEFAULT_PAGE: i64 = 10;
const MAX_PAGE: i64 = 100;

/// How one list call pages and filters by creation time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub max_results: i64,
    pub after: Option<(i64, String)>,
    pub oldest_first: bool,
    /// Created at or after / before (ms).
    pub created_from: Option<i64>,
    pub created_before: Option<i64>,
}

/// Reads the paging parameters; `sort_field` is the name SortBy uses for creation time in this
/// call (`CreationTime` for projects, `UtcCreate` for media).
pub fn page(req: &RpcRequest, sort_field: &str) -> Result<Page, ApiError> {
    let max_results = match req.param("MaxResults") {
        None => DEFAULT_PAGE,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "MaxResults",
                    &format!("it is not a number from 1 to {MAX_PAGE}"),
                )
            })?,
    };
    let after = req.param("NextToken").map(decode_token).transpose()?;
    let oldest_first = match req.param("SortBy") {
        None => false,
        Some(s) if s == format!("{sort_field}:Desc") => false,
        Some(s) if s == format!("{sort_field}:Asc") => true,
        Some(_) => {
            return Err(ApiError::invalid(
                "SortBy",
                &format!("it is not {sort_field}:Desc or {sort_field}:Asc"),
            ));
        }
    };
    let time = |name: &str| -> Result<Option<i64>, ApiError> {
        req.param(name)
            .map(|v| {
                crate::clock::parse_clip_time(v)
                    .map(|us| us.div_euclid(1000))
                    .map_err(|e| ApiError::invalid(name, &format!("it {e}")))
            })
            .transpose()
    };
    let created_from = time("StartTime")?;
    let created_before = time("EndTime")?;
    if let (Some(from), Some(to)) = (created_from, created_before)
        && from > to
    {
        return Err(ApiError::invalid("EndTime", "it is before StartTime"));
    }
    Ok(Page {
        max_results,
        after,
        oldest_first,
        created_from,
        created_before,
    })
}

/// The NextToken of a page whose last item is `(created_at, id)`.
pub fn next_token(created_at: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{created_at}.{id}"))
}

fn decode_token(token: &str) -> Result<(i64, String), ApiError> {
    let bad = || ApiError::invalid("NextToken", "it is not a token a previous page returned");
    let text = URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    let (at, id) = text.split_once('.').ok_or_else(bad)?;
    let at = at.parse::<i64>().map_err(|_| bad())?;
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad());
    }
    Ok((at, id.to_string()))
}

/// The answer of a list call: `MaxResults`, the page's rows rendered under `items`, and a
/// `NextToken` when more follow (`rows` holds one extra row, fetched to learn that).
pub fn answer<T>(
    rows: Vec<T>,
    page: &Page,
    key: impl Fn(&T) -> (i64, &str),
    items: &str,
    render: impl Fn(&T) -> serde_json::Value,
) -> serde_json::Value {
    let (rows, next) = finish(rows, page, key);
    let mut body = serde_json::json!({ "MaxResults": page.max_results });
    body[items] = rows.iter().map(render).collect();
    if let Some(token) = next {
        body["NextToken"] = token.into();
    }
    body
}

/// Splits one extra row (fetched to learn whether more follow) off a page and makes the token.
fn finish<T>(
    mut rows: Vec<T>,
    page: &Page,
    key: impl Fn(&T) -> (i64, &str),
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > page.max_results;
    rows.truncate(page.max_results.max(0) as usize);
    let token = if more {
        rows.last().map(|r| {
            let (at, id) = key(r);
            next_token(at, id)
        })
    } else {
        None
    };
    (rows, token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_are_refused() {
        let t = next_token(1_765_000_000_000, "0123abcd");
        assert_eq!(
            decode_token(&t).unwrap(),
            (1_765_000_000_000, "0123abcd".into())
        );
        for bad in [
            "",
            "!!",
            &URL_SAFE_NO_PAD.encode("12"),
            &URL_SAFE_NO_PAD.encode("x.y"),
            &URL_SAFE_NO_PAD.encode("1.a'b"),
        ] {
            assert!(decode_token(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn one_extra_row_means_a_next_page() {
        let page = Page {
            max_results: 2,
            after: None,
            oldest_first: false,
            created_from: None,
            created_before: None,
        };
        let rows = vec![(3, "c"), (2, "b"), (1, "a")];
        let (rows, token) = finish(rows, &page, |r| (r.0, r.1));
        assert_eq!(rows.len(), 2);
        assert_eq!(decode_token(&token.unwrap()).unwrap(), (2, "b".into()));
        let (_, none) = finish(vec![(1, "a")], &page, |r| (r.0, r.1));
        assert_eq!(none, None);
    }
}
