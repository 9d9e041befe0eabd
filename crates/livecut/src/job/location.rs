//! Where an output goes: a bucket and an object key, parsed from the URL forms IMS users write
//! (`https://B.<endpoint>/key`, `oss://B/key`, `s3://B/key`, or a VOD StorageLocation + FileName),
//! with the checks that keep every name inside its bucket.

use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectLocation {
    pub bucket: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    #[error(
        "is not a URL of the form https://<bucket>.<endpoint>/<path>, oss://<bucket>/<path> or s3://<bucket>/<path>"
    )]
    NotAUrl,
    #[error("has an invalid bucket name {0:?} (3-63 characters: lower-case letters, digits, '-')")]
    BadBucket(String),
    #[error("has no object name after the bucket")]
    NoKey,
    #[error("has an object name that is a folder (ends with '/')")]
    FolderKey,
    #[error(
        "has an object name with a '..', '.' or empty path segment, which could escape the bucket"
    )]
    EscapingKey,
    #[error("has an object name that is an absolute path")]
    AbsoluteKey,
    #[error("has an object name with a NUL, control character or backslash")]
    ForbiddenCharacter,
    #[error("has an object name longer than 1023 bytes")]
    TooLong,
    #[error("has a query string or fragment, which an output name cannot carry")]
    QueryOrFragment,
    #[error("has an object name that is not valid percent-encoded UTF-8")]
    BadEncoding,
}

impl ObjectLocation {
    /// The canonical URL we store and compare (`oss://bucket/key`).
    pub fn canonical_url(&self) -> String {
        format!("oss://{}/{}", self.bucket, self.key)
    }
}

/// Parses a MediaURL / CoverUrl / InputURL.
pub fn parse_url(raw: &str) -> Result<ObjectLocation, LocationError> {
    let s = raw.trim();
    let (bucket, rest) =
        if let Some(rest) = s.strip_prefix("oss://").or_else(|| s.strip_prefix("s3://")) {
            rest.split_once('/').ok_or(LocationError::NoKey)?
        } else if let Some(rest) = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
        {
            let (host, path) = rest.split_once('/').ok_or(LocationError::NoKey)?;
            // Virtual-hosted style: the bucket is the first label of the host.
            let (bucket, endpoint) = host.split_once('.').ok_or(LocationError::NotAUrl)?;
            if endpoint.is_empty() {
                return Err(LocationError::NotAUrl);
            }
            (bucket, path)
        } else {
            return Err(LocationError::NotAUrl);
        };
    if rest.contains('?') || rest.contains('#') {
        return Err(LocationError::QueryOrFragment);
    }
    let key = percent_decode(rest)?;
    Ok(ObjectLocation {
        bucket: check_bucket(bucket)?,
        key: check_key(&key)?,
    })
}

/// A VOD target: `StorageLocation` is `bucket.oss-<region>.aliyuncs.com` (or a bare bucket name),
/// `FileName` the object name.
pub fn parse_storage_location(
    storage_location: &str,
    file_name: &str,
) -> Result<ObjectLocation, LocationError> {
    let host = storage_location.trim().trim_end_matches('/');
    let bucket = host.split('.').next().unwrap_or("");
    Ok(ObjectLocation {
        bucket: check_bucket(bucket)?,
        key: check_key(file_name.trim())?,
    })
}

fn check_bucket(bucket: &str) -> Result<String, LocationError> {
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-');
    if ok {
        Ok(bucket.to_string())
    } else {
        Err(LocationError::BadBucket(bucket.to_string()))
    }
}

fn check_key(key: &str) -> Result<String, LocationError> {
    if key.is_empty() {
        return Err(LocationError::NoKey);
    }
    if key.len() > 1023 {
        return Err(LocationError::TooLong);
    }
    if key.chars().any(|c| c.is_control() || c == '\\') {
        return Err(LocationError::ForbiddenCharacter);
    }
    if key.starts_with('/') {
        return Err(LocationError::AbsoluteKey);
    }
    if key.ends_with('/') {
        return Err(LocationError::FolderKey);
    }
    if key
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Err(LocationError::EscapingKey);
    }
    Ok(key.to_string())
}

fn percent_decode(s: &str) -> Result<String, LocationError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).ok_or(LocationError::BadEncoding)?;
            let hex = std::str::from_utf8(hex).map_err(|_| LocationError::BadEncoding)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| LocationError::BadEncoding)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| LocationError::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(b: &str, k: &str) -> ObjectLocation {
        ObjectLocation {
            bucket: b.into(),
            key: k.into(),
        }
    }

    #[test]
    fn the_three_url_forms() {
        assert_eq!(
            parse_url("https://my-bucket.oss-cn-shanghai.aliyuncs.com/out/a.mp4"),
            Ok(loc("my-bucket", "out/a.mp4"))
        );
        assert_eq!(parse_url("oss://bkt/x.mp4"), Ok(loc("bkt", "x.mp4")));
        assert_eq!(parse_url("s3://bkt/d/x.mp4"), Ok(loc("bkt", "d/x.mp4")));
        assert_eq!(
            parse_url("https://bkt.example.com/clip%201.mp4"),
            Ok(loc("bkt", "clip 1.mp4"))
        );
        assert_eq!(
            parse_url("https://bkt.example.com/%E7%9B%B4%E6%92%AD.mp4"),
            Ok(loc("bkt", "直播.mp4"))
        );
    }

    #[test]
    fn names_cannot_escape_the_bucket() {
        assert_eq!(
            parse_url("oss://bkt/../x.mp4"),
            Err(LocationError::EscapingKey)
        );
        assert_eq!(
            parse_url("oss://bkt/a/%2e%2e/x.mp4"),
            Err(LocationError::EscapingKey)
        );
        assert_eq!(
            parse_url("oss://bkt//etc/x.mp4"),
            Err(LocationError::AbsoluteKey)
        );
        assert_eq!(
            parse_url("oss://bkt/a%00b.mp4"),
            Err(LocationError::ForbiddenCharacter)
        );
        assert_eq!(
            parse_url("oss://bkt/a%0Ab.mp4"),
            Err(LocationError::ForbiddenCharacter)
        );
        assert_eq!(
            parse_url("oss://bkt/a\\b.mp4"),
            Err(LocationError::ForbiddenCharacter)
        );
        assert_eq!(parse_url("oss://bkt/dir/"), Err(LocationError::FolderKey));
        assert_eq!(parse_url("oss://bkt/"), Err(LocationError::NoKey));
        assert_eq!(parse_url("oss://bkt"), Err(LocationError::NoKey));
    }

    #[test]
    fn bad_buckets_and_non_urls() {
        assert!(matches!(
            parse_url("oss://Bad_Bucket/x.mp4"),
            Err(LocationError::BadBucket(_))
        ));
        assert!(matches!(
            parse_url("oss://../x.mp4"),
            Err(LocationError::BadBucket(_))
        ));
        assert_eq!(parse_url("/tmp/x.mp4"), Err(LocationError::NotAUrl));
        assert_eq!(parse_url("ftp://b/x.mp4"), Err(LocationError::NotAUrl));
        assert_eq!(
            parse_url("https://localhost/x.mp4"),
            Err(LocationError::NotAUrl)
        );
        assert_eq!(
            parse_url("oss://bkt/x.mp4?x=1"),
            Err(LocationError::QueryOrFragment)
        );
        assert_eq!(
            parse_url("oss://bkt/%zz.mp4"),
            Err(LocationError::BadEncoding)
        );
    }

    #[test]
    fn vod_storage_location() {
        assert_eq!(
            parse_storage_location("vodbkt.oss-cn-shanghai.aliyuncs.com", "out/v.mp4"),
            Ok(loc("vodbkt", "out/v.mp4"))
        );
        assert_eq!(
            parse_storage_location("vodbkt", "../v.mp4"),
            Err(LocationError::EscapingKey)
        );
    }
}
