//! Preview of recordings in a player: `GetLiveEditingIndexFile` answers with a link to an HLS
//! playlist of a stream (`#EXT-X-PROGRAM-DATE-TIME` on every segment), and the playlist's
//! segments are links too. Every link is signed by the deployment's own key and expires, as
//! Alibaba's signed OSS URLs do, so a player (hls.js in a browser, ffmpeg, Safari) fetches them
//! without an access key, and nothing else of the server is reachable through them.
//!
//! The segments are proxied through livecut whatever holds them (a local folder, an S3-compatible
//! bucket, an allowed HTTP origin): one route, no bucket CORS to configure, no storage endpoint the
//! browser must reach. `playlist.rs` writes the playlist; `api/preview.rs` serves both routes.

pub mod index;
pub mod playlist;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::{Db, DbError};
use crate::job::request::StreamKey;
use crate::storage::Source;
use index::Window;

/// The name of the signing key in `server_secrets`.
const SECRET_NAME: &str = "preview-links";

/// The route of a stream's index playlist.
pub const INDEX_PATH: &str = "/preview/index.m3u8";
/// The prefix of segment routes (`/preview/segment/{name}`; the name only gives players an
/// extension to go by, the signed `Source` says which file).
pub const SEGMENT_PREFIX: &str = "/preview/segment/";

/// Signs and checks links with the deployment's key.
#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner(..)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link carries no Signature or Expires (it must end with &Signature=…)")]
    Unsigned,
    #[error(
        "the link's signature does not match it (it was changed, or signed by another deployment)"
    )]
    BadSignature,
    #[error("the link expired at {0} (ask GetLiveEditingIndexFile for a fresh one)")]
    Expired(String),
}

impl LinkSigner {
    /// The deployment's key: made by the first process that needs it, shared through the
    /// database so a link made by one API process is served by any other.
    pub async fn load(db: &Db) -> Result<LinkSigner, DbError> {
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        let value =
            crate::db::secrets::get_or_create(db, SECRET_NAME, &fresh, crate::clock::now_ms())
                .await?;
        Ok(LinkSigner::from_key(value.into_bytes()))
    }

    pub fn from_key(key: Vec<u8>) -> LinkSigner {
        LinkSigner { key }
    }

    fn mac(&self, path: &str, query: &str) -> Hmac<Sha256> {
        // A key of any length is accepted by HMAC.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.key) else {
            unreachable!("HMAC takes keys of every length")
        };
        mac.update(path.as_bytes());
        mac.update(b"?");
        mac.update(query.as_bytes());
        mac
    }

    /// The query string of a link to `path` with `params`, valid until `expires_s` (Unix s).
    pub fn sign<V: AsRef<str>>(&self, path: &str, params: &[(&str, V)], expires_s: i64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            q.append_pair(k, v.as_ref());
        }
        q.append_pair("Expires", &expires_s.to_string());
        let query = q.finish();
        let signature = hex::encode(self.mac(path, &query).finalize().into_bytes());
        format!("{query}&Signature={signature}")
    }

    /// Checks a link's raw query (as the client sent it) and returns its parameters.
    pub fn verify(
        &self,
        path: &str,
        raw_query: &str,
        now_s: i64,
    ) -> Result<Vec<(String, String)>, LinkError> {
        let (signed, signature) = raw_query
            .rsplit_once("&Signature=")
            .ok_or(LinkError::Unsigned)?;
        let signature = hex::decode(signature).map_err(|_| LinkError::BadSignature)?;
        self.mac(path, signed)
            .verify_slice(&signature)
            .map_err(|_| LinkError::BadSignature)?;
        let params: Vec<(String, String)> = form_urlencoded::parse(signed.as_bytes())
            .into_owned()
            .collect();
        let expires = params
            .iter()
            .find(|(k, _)| k == "Expires")
            .and_then(|(_, v)| v.parse::<i64>().ok())
            .ok_or(LinkError::Unsigned)?;
        if expires < now_s {
            return Err(LinkError::Expired(crate::clock::format_api_time(
                expires.saturating_mul(1000),
            )));
        }
        Ok(params)
    }
}

/// How `GetLiveEditingIndexFile` reaches players: the signer and the public URL of the server.
#[derive(Debug, Clone)]
pub struct Preview {
    pub signer: LinkSigner,
    /// `[http] public_url`, without a trailing slash.
    pub public_url: Option<String>,
}

impl Preview {
    /// Where links point: the configured public URL, else `http://` and the Host the request
    /// came to (what the client called is what it can reach).
    pub fn public_base(&self, host: Option<&str>) -> String {
        match &self.public_url {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => format!("http://{}", host.unwrap_or("127.0.0.1")),
        }
    }
}

/// The parameters of an index link: the stream and the window.
pub fn encode_window(stream: &StreamKey, window: Window) -> Vec<(&str, String)> {
    let mut params = vec![
        ("DomainName", stream.domain_name.clone()),
        ("AppName", stream.app_name.clone()),
        ("StreamName", stream.stream_name.clone()),
        ("Start", window.start_us.to_string()),
    ];
    if let Some(end) = window.end_us {
        params.push(("End", end.to_string()));
    }
    params
}

/// The stream and window of a verified index link.
pub fn decode_window(params: &[(String, String)]) -> Option<(StreamKey, Window)> {
    let stream = StreamKey {
        domain_name: param(params, "DomainName")?.to_string(),
        app_name: param(params, "AppName")?.to_string(),
        stream_name: param(params, "StreamName")?.to_string(),
    };
    let start_us = param(params, "Start")?.parse().ok()?;
    let end_us = match param(params, "End") {
        Some(e) => Some(e.parse().ok()?),
        None => None,
    };
    Some((stream, Window { start_us, end_us }))
}

/// A source as a link parameter (opaque to the player, checked by the signature).
pub fn encode_source(source: &Source) -> String {
    // Serialising a plain enum of strings cannot fail.
    let json = serde_json::to_vec(source).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_source(raw: &str) -> Option<Source> {
    let json = URL_SAFE_NO_PAD.decode(raw).ok()?;
    serde_json::from_slice(&json).ok()
}

/// The value of `name` among a verified link's parameters.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_verifies_until_it_expires_and_not_once_changed() {
        let signer = LinkSigner::from_key(b"k".to_vec());
        let q = signer.sign(INDEX_PATH, &[("StreamName", "a b&c")], 1000);
        let params = signer.verify(INDEX_PATH, &q, 1000).unwrap();
        assert_eq!(param(&params, "StreamName"), Some("a b&c"));
        assert!(matches!(
            signer.verify(INDEX_PATH, &q, 1001),
            Err(LinkError::Expired(_))
        ));
        let changed = q.replace("a+b", "a+x");
        assert_eq!(
            signer.verify(INDEX_PATH, &changed, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            signer.verify("/preview/segment/0.ts", &q, 0),
            Err(LinkError::BadSignature),
            "the path is signed"
        );
        let later = q.replace("Expires=1000", "Expires=9999");
        assert_eq!(
            signer.verify(INDEX_PATH, &later, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            LinkSigner::from_key(b"other".to_vec()).verify(INDEX_PATH, &q, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            signer.verify(INDEX_PATH, "StreamName=x", 0),
            Err(LinkError::Unsigned)
        );
    }

    #[test]
    fn sources_round_trip() {
        for s in [
            Source::File("/rec/a b/1.ts".into()),
            Source::Object(crate::job::location::ObjectLocation {
                bucket: "b".into(),
                key: "k/100%.m4s".into(),
            }),
            Source::Http("https://cdn.example/x.ts?token=1".into()),
        ] {
            assert_eq!(decode_source(&encode_source(&s)), Some(s));
        }
        assert_eq!(decode_source("!!"), None);
    }
}
