//! Where a recording's bytes are: a local file, an object of a configured bucket, or a URL of an
//! allowed HTTP origin; and how a segment URI written in a playlist resolves against the
//! playlist that names it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::job::location::ObjectLocation;

/// A readable thing of a recording (playlist, segment, or a folder of playlists).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Source {
    File(PathBuf),
    Object(ObjectLocation),
    /// A URL of an origin the configuration allows (`[http] allowed_origins`).
    Http(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("{0:?} is not a path, an s3:// or oss:// URL, or an http(s) URL")]
    NotAUrl(String),
    #[error("{url:?} names bucket {bucket:?}, which has no storage backend configured")]
    UnknownBucket { url: String, bucket: String },
    #[error("{0:?} is on an origin that is not in [http] allowed_origins")]
    OriginNotAllowed(String),
    #[error(
        "{0:?} leaves its bucket or origin (a '..' above the top, or a local file named by a remote playlist)"
    )]
    Escapes(String),
}

impl Source {
    /// How messages and the recording index show it: the local path, `oss://bucket/key`, or the
    /// URL without its query (which may carry a token).
    pub fn shown(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Object(o) => o.canonical_url(),
            Source::Http(u) => u.split(['?', '#']).next().unwrap_or(u).to_string(),
        }
    }

    /// The key as stored in the recording index: a local path, `oss://b/k`, or the URL.
    pub fn to_index_string(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Object(o) => o.canonical_url(),
            Source::Http(u) => u.clone(),
        }
    }

    /// The file-name extension of the thing (`ts`, `m4s`, `m3u8`), for naming local copies.
    pub fn extension(&self) -> Option<String> {
        let name = match self {
            Source::File(p) => return p.extension().map(|e| e.to_string_lossy().to_string()),
            Source::Object(o) => o.key.as_str(),
            Source::Http(u) => u.split(['?', '#']).next().unwrap_or(u),
        };
        let last = name.rsplit('/').next()?;
        let (_, ext) = last.rsplit_once('.')?;
        (!ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()))
            .then(|| ext.to_ascii_lowercase())
    }

    /// Resolves a URI written in this playlist (a segment, or an init section).
    pub fn join(
        &self,
        uri: &str,
        resolve: &dyn Fn(&str) -> Result<Source, SourceError>,
    ) -> Result<Source, SourceError> {
        if uri.contains("://") || uri.starts_with("file:") {
            let target = resolve(uri)?;
            // A playlist in a bucket or on a web server must not make this machine read its
            // own files.
            if matches!(target, Source::File(_)) && !matches!(self, Source::File(_)) {
                return Err(SourceError::Escapes(uri.to_string()));
            }
            return Ok(target);
        }
        match self {
            Source::File(playlist) => {
                let clean = uri.split(['?', '#']).next().unwrap_or(uri);
                let p = Path::new(clean);
                Ok(Source::File(if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    playlist.parent().unwrap_or(Path::new(".")).join(p)
                }))
            }
            Source::Object(o) => {
                let clean = uri.split(['?', '#']).next().unwrap_or(uri);
                let joined = match clean.strip_prefix('/') {
                    Some(abs) => abs.to_string(),
                    None => match o.key.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{clean}"),
                        None => clean.to_string(),
                    },
                };
                let key =
                    normalize_key(&joined).ok_or_else(|| SourceError::Escapes(uri.to_string()))?;
                Ok(Source::Object(ObjectLocation {
                    bucket: o.bucket.clone(),
                    key,
                }))
            }
            Source::Http(base) => {
                let base = url::Url::parse(base).map_err(|_| SourceError::NotAUrl(base.clone()))?;
                let joined = base
                    .join(uri)
                    .map_err(|_| SourceError::NotAUrl(uri.to_string()))?;
                if joined.origin() != base.origin() {
                    return resolve(joined.as_str());
                }
                Ok(Source::Http(joined.to_string()))
            }
        }
    }
}

/// `a/./b/../c` → `a/c`; `None` if a `..` climbs above the root.
fn normalize_key(key: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in key.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(bucket: &str, key: &str) -> Source {
        Source::Object(ObjectLocation {
            bucket: bucket.into(),
            key: key.into(),
        })
    }

    fn refuse(u: &str) -> Result<Source, SourceError> {
        Err(SourceError::OriginNotAllowed(u.to_string()))
    }

    #[test]
    fn segment_uris_resolve_against_their_playlist() {
        let pl = obj("rec", "record/live/s1/index.m3u8");
        assert_eq!(
            pl.join("seg1.ts", &refuse),
            Ok(obj("rec", "record/live/s1/seg1.ts"))
        );
        assert_eq!(
            pl.join("../s1/sub/seg2.ts?token=1", &refuse),
            Ok(obj("rec", "record/live/s1/sub/seg2.ts"))
        );
        assert_eq!(
            pl.join("/other/seg3.ts", &refuse),
            Ok(obj("rec", "other/seg3.ts"))
        );
        assert!(matches!(
            pl.join("../../../../x.ts", &refuse),
            Err(SourceError::Escapes(_))
        ));
        assert!(matches!(
            pl.join("https://evil.example/x.ts", &refuse),
            Err(SourceError::OriginNotAllowed(_))
        ));
        // A remote playlist cannot name a local file.
        let files = |u: &str| Ok(Source::File(u.trim_start_matches("file://").into()));
        assert!(matches!(
            pl.join("file:///etc/shadow", &files),
            Err(SourceError::Escapes(_))
        ));
        assert_eq!(
            Source::File("/rec/index.m3u8".into()).join("file:///rec/a.ts", &files),
            Ok(Source::File("/rec/a.ts".into()))
        );

        let local = Source::File("/rec/d/a/s/index.m3u8".into());
        assert_eq!(
            local.join("seg001.ts", &refuse),
            Ok(Source::File("/rec/d/a/s/seg001.ts".into()))
        );
        assert_eq!(
            local.join("/abs/seg.ts", &refuse),
            Ok(Source::File("/abs/seg.ts".into()))
        );

        let web = Source::Http("https://cdn.example.com/live/s1/index.m3u8?t=1".into());
        assert_eq!(
            web.join("seg9.ts", &refuse),
            Ok(Source::Http(
                "https://cdn.example.com/live/s1/seg9.ts".into()
            ))
        );
    }

    #[test]
    fn shown_names_hide_tokens_and_extensions_name_copies() {
        let web = Source::Http("https://cdn.example.com/a/seg.ts?token=secret".into());
        assert_eq!(web.shown(), "https://cdn.example.com/a/seg.ts");
        assert_eq!(web.extension().as_deref(), Some("ts"));
        assert_eq!(obj("b", "x/y.M4S").extension().as_deref(), Some("m4s"));
        assert_eq!(obj("b", "x/noext").extension(), None);
        assert_eq!(obj("b", "x/y.mp4").shown(), "oss://b/x/y.mp4");
    }
}
