//! The configuration file (`livecut --config FILE`, or `LIVECUT_CONFIG=FILE`): what does not fit
//! flags, chiefly the map of bucket names to storage backends. Flags and `LIVECUT_*` variables
//! (`settings`) still set everything else; the file only adds.
//!
//! ```toml
//! [storage]
//! unlisted = "local"                    # buckets not listed below: "local" (<data-dir>/buckets/B) or "refuse"
//!
//! [buckets.highlights]                  # the bucket name as MediaURLs and recording URLs say it
//! url = "s3://highlights"               # the bucket at the backend (and an optional key prefix); "file:///srv/x" = a folder
//! endpoint = "http://127.0.0.1:9000"    # omitted: the provider default (AWS)
//! region = "us-east-1"
//! virtual_hosted_style = false          # true for Alibaba OSS
//! access_key_id_env = "HL_KEY_ID"       # or access_key_id = "…", or access_key_id_file = "/run/secrets/…"
//! secret_access_key_env = "HL_SECRET"   # or secret_access_key_file; never inline, never a flag
//!
//! [callbacks]
//! allow_cidrs = ["10.0.5.0/24"]         # receivers on internal addresses callbacks may reach (default: public addresses only)
//!
//! [http]
//! allowed_origins = ["https://cdn.example.com"]   # recordings read over plain HTTP(S) from these only
//! public_url = "https://clips.example.com"        # how players reach this server (preview links); default http://<Host of the request>
//!
//! [hooks.srs]                           # SRS's on_hls: POST /hooks/srs/on_hls?token=… per segment
//! token_env = "LIVECUT_SRS_TOKEN"       # or token_file; the token in the hook URL
//! domain = "live.example.com"           # DomainName of SRS's streams (default: its vhost)
//! files = "s3://records/srs/"           # where SRS's hls_path is, for livecut: + the hook's `url`
//! segment_times = "name-epoch-ms"       # [timestamp] in hls_ts_file; else arrival minus duration
//!
//! [hooks.alibaba_live]                  # Live's recording callbacks: POST /hooks/alibaba-live/record
//! auth_key_env = "LIVE_NOTIFY_AUTH_KEY" # or auth_key_file; the domain's NotifyAuthKey
//! bucket = "records"                    # the bucket Live records into (a callback's uri is in it)
//!
//! [[record]]                            # a live HLS stream `serve` records itself (pull recorder)
//! url = "https://cdn.example.com/live/cam1.m3u8"   # an allowed origin's, or a bucket's
//! domain = "live.example.com"
//! app = "live"
//! stream = "cam1"
//! to = "oss://records/pulled/cam1/"     # default oss://livecut-recordings/{domain}/{app}/{stream}/
//!
//! [[streams]]                           # where the playlists of streams are found, besides registrations
//! domain = "*"                          # "*" or a DomainName; likewise app and stream
//! app = "*"
//! playlists = "s3://records/record/{AppName}/{StreamName}/"   # every .m3u8 under this prefix
//! ```
//!
//! Secrets are read here, from the environment or a file the operator names, and nowhere else;
//! `Debug` of a [`Secret`] prints no value, so no log line can carry one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("configuration file {path}: {message}")]
    Parse { path: String, message: String },
    #[error("bucket {bucket:?}: {message}")]
    Bucket { bucket: String, message: String },
    #[error("[[streams]] entry {index}: {message}")]
    Stream { index: usize, message: String },
    #[error("[http] allowed_origins: {0}")]
    Origin(String),
    #[error("[http] {0}")]
    PublicUrl(String),
    #[error("{0}")]
    Hook(String),
    #[error("[[record]]: {0}")]
    Record(String),
    #[error("[callbacks] allow_cidrs: {0}")]
    Cidr(String),
}

/// The whole file. Unknown keys are errors, so a typo does not silently change nothing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub storage: StorageConfig,
    #[serde(default)]
    pub buckets: BTreeMap<String, BucketConfig>,
    #[serde(default)]
    pub http: HttpConfig,
    #[serde(default)]
    pub streams: Vec<StreamSource>,
    #[serde(default)]
    pub hooks: HooksConfig,
    /// Live HLS streams `serve` records itself (the pull recorder).
    #[serde(default)]
    pub record: Vec<RecordConfig>,
    #[serde(default)]
    pub callbacks: CallbacksConfig,
}

/// Where callbacks may go besides public addresses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbacksConfig {
    /// Ranges of otherwise refused addresses (loopback, private, link-local, ...) that
    /// callbacks may be sent to, e.g. `["10.0.5.0/24"]` for a receiver on the private network.
    #[serde(default)]
    pub allow_cidrs: Vec<String>,
}

impl CallbacksConfig {
    /// The destination policy these settings make.
    pub fn destinations(&self) -> Result<crate::callback::destination::Destinations, ConfigError> {
        let nets = self
            .allow_cidrs
            .iter()
            .map(|c| {
                c.parse::<ipnet::IpNet>()
                    .map_err(|e| ConfigError::Cidr(format!("{c:?} is not a CIDR range: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(crate::callback::destination::Destinations::new(nets))
    }
}

/// One stream the pull recorder copies (`[[record]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordConfig {
    /// The live media playlist: an allowed HTTP origin's URL or a bucket URL.
    pub url: String,
    pub domain: String,
    pub app: String,
    pub stream: String,
    /// Where the segments go, `oss://bucket/prefix/`; default
    /// `oss://livecut-recordings/{domain}/{app}/{stream}/`.
    pub to: Option<String>,
}

/// Recorders' hooks into livecut.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    pub srs: Option<SrsHookConfig>,
    pub alibaba_live: Option<AlibabaLiveHookConfig>,
}

/// Alibaba Cloud Live's recording callbacks (`POST /hooks/alibaba-live/record`), signed with
/// the domain's NotifyAuthKey.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlibabaLiveHookConfig {
    pub auth_key_env: Option<String>,
    pub auth_key_file: Option<PathBuf>,
    /// The bucket (as the configuration names it) Live records into; a callback's `uri` is an
    /// object of it.
    pub bucket: String,
    /// How the TS segments of a recorded playlist are timed; default `name-unix-seconds`
    /// (Live's `{UnixTimestamp}_{Sequence}` names).
    pub segment_times: Option<String>,
}

impl AlibabaLiveHookConfig {
    /// The NotifyAuthKey, read now from the environment or its file.
    pub fn auth_key(&self) -> Result<Secret, ConfigError> {
        named_secret(
            "[hooks.alibaba_live]",
            "auth_key",
            self.auth_key_env.as_ref(),
            self.auth_key_file.as_ref(),
        )
    }
}

/// SRS's `on_hls` hook (`http_hooks { on_hls http://livecut/hooks/srs/on_hls?token=…; }`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SrsHookConfig {
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// DomainName of the streams; default: SRS's vhost (refused when it is the default vhost).
    pub domain: Option<String>,
    /// Where SRS's `hls_path` is readable by livecut (a folder or a bucket URL); the hook's
    /// `url` field is appended.
    pub files: String,
    /// How a segment's start is read from its name; default: the hook's arrival time minus the
    /// segment's duration.
    pub segment_times: Option<String>,
}

impl SrsHookConfig {
    /// The token the hook URL must carry, read now from the environment or its file.
    pub fn token(&self) -> Result<Secret, ConfigError> {
        let token = named_secret(
            "[hooks.srs]",
            "token",
            self.token_env.as_ref(),
            self.token_file.as_ref(),
        )?;
        if token.0.len() < 16 {
            return Err(ConfigError::Hook(
                "[hooks.srs]: the token must be at least 16 characters".into(),
            ));
        }
        Ok(token)
    }
}

/// A hook's secret, named once: by an environment variable (`{what}_env`) or a file
/// (`{what}_file`), read now.
fn named_secret(
    section: &str,
    what: &str,
    env: Option<&String>,
    file: Option<&PathBuf>,
) -> Result<Secret, ConfigError> {
    let bad = |m: String| ConfigError::Hook(format!("{section}: {m}"));
    match (env, file) {
        (Some(var), None) => std::env::var(var).map(Secret).map_err(|_| {
            bad(format!(
                "environment variable {var} ({what}_env) is not set"
            ))
        }),
        (None, Some(file)) => read_secret_file(file).map(Secret).map_err(bad),
        _ => Err(bad(format!(
            "give the {what} once: {what}_env or {what}_file"
        ))),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    #[serde(default)]
    pub unlisted: Unlisted,
}

/// What a bucket that the file does not list resolves to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unlisted {
    /// The embedded default: the folder `<data-dir>/buckets/<bucket>`.
    #[default]
    Local,
    /// Only listed buckets exist; a MediaURL naming another is refused at Submit.
    Refuse,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BucketConfig {
    pub url: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub virtual_hosted_style: bool,
    pub access_key_id: Option<String>,
    pub access_key_id_env: Option<String>,
    pub access_key_id_file: Option<PathBuf>,
    pub secret_access_key_env: Option<String>,
    pub secret_access_key_file: Option<PathBuf>,
    pub session_token_env: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The URL players reach this server at, for the links of `GetLiveEditingIndexFile` (behind
    /// a proxy or TLS terminator); without it, `http://` and the Host the request came to.
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSource {
    #[serde(default = "any")]
    pub domain: String,
    #[serde(default = "any")]
    pub app: String,
    #[serde(default = "any")]
    pub stream: String,
    /// A folder URL with `{DomainName}`, `{AppName}`, `{StreamName}` placeholders.
    pub playlists: String,
    /// How the segments of these playlists are timed (`--segment-times` of `recordings add`);
    /// default `pdt`.
    #[serde(default)]
    pub segment_times: Option<String>,
}

fn any() -> String {
    "*".to_string()
}

impl StreamSource {
    pub fn matches(&self, domain: &str, app: &str, stream: &str) -> bool {
        let m = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        m(&self.domain, domain) && m(&self.app, app) && m(&self.stream, stream)
    }

    /// How the playlists found here are timed (checked when the file is loaded).
    pub fn times(&self) -> livecut_hls::SegmentTimes {
        self.segment_times
            .as_deref()
            .and_then(|t| t.parse().ok())
            .unwrap_or(livecut_hls::SegmentTimes::Pdt)
    }

    /// The folder of one stream's playlists.
    pub fn folder(&self, domain: &str, app: &str, stream: &str) -> String {
        self.playlists
            .replace("{DomainName}", domain)
            .replace("{AppName}", app)
            .replace("{StreamName}", stream)
    }
}

/// A credential value. It prints as `***` in `Debug`, so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Credentials of one bucket, and where they came from (for `livecut config check`).
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
    /// "env HL_KEY_ID / env HL_SECRET": names, never values.
    pub source: String,
}

impl Config {
    /// Reads and checks the file. Without a file the configuration is empty (the embedded default).
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config: Config = toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown,
            message: e.to_string(),
        })?;
        config.check()?;
        Ok(config)
    }

    /// The rules serde cannot express: each bucket names one backend and one source per
    /// credential, origins are origins.
    fn check(&self) -> Result<(), ConfigError> {
        for (name, b) in &self.buckets {
            let bad = |message: String| ConfigError::Bucket {
                bucket: name.clone(),
                message,
            };
            let scheme = b.url.split("://").next().unwrap_or("");
            match scheme {
                "s3" | "oss" => {}
                "file" => {
                    if b.endpoint.is_some()
                        || b.access_key_id.is_some()
                        || b.access_key_id_env.is_some()
                        || b.secret_access_key_env.is_some()
                    {
                        return Err(bad(
                            "a file:// bucket takes no endpoint or credentials".to_string()
                        ));
                    }
                }
                _ => {
                    return Err(bad(format!(
                        "url {:?} must start with s3://, oss:// or file://",
                        b.url
                    )));
                }
            }
            let ids = [
                b.access_key_id.is_some(),
                b.access_key_id_env.is_some(),
                b.access_key_id_file.is_some(),
            ];
            if ids.iter().filter(|x| **x).count() > 1 {
                return Err(bad(
                    "give the access key id once: access_key_id, access_key_id_env or access_key_id_file".into(),
                ));
            }
            if b.secret_access_key_env.is_some() && b.secret_access_key_file.is_some() {
                return Err(bad(
                    "give the secret once: secret_access_key_env or secret_access_key_file".into(),
                ));
            }
            if let Some(endpoint) = &b.endpoint
                && url::Url::parse(endpoint).is_err()
            {
                return Err(bad(format!("endpoint {endpoint:?} is not a URL")));
            }
        }
        self.callbacks.destinations()?;
        for origin in &self.http.allowed_origins {
            let parsed = url::Url::parse(origin)
                .map_err(|e| ConfigError::Origin(format!("{origin:?} is not a URL: {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
                return Err(ConfigError::Origin(format!(
                    "{origin:?} is not an http(s) origin"
                )));
            }
        }
        if let Some(public) = &self.http.public_url {
            let ok = url::Url::parse(public).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host_str().is_some()
                    && u.query().is_none()
            });
            if !ok {
                return Err(ConfigError::PublicUrl(format!(
                    "public_url {public:?} is not an http(s) URL without a query"
                )));
            }
        }
        if let Some(live) = &self.hooks.alibaba_live
            && let Some(t) = &live.segment_times
            && let Err(e) = t.parse::<livecut_hls::SegmentTimes>()
        {
            return Err(ConfigError::Hook(format!(
                "[hooks.alibaba_live] segment_times: {e}"
            )));
        }
        if let Some(srs) = &self.hooks.srs
            && let Some(t) = &srs.segment_times
            && let Err(e) = t.parse::<livecut_hls::SegmentTimes>()
        {
            return Err(ConfigError::Hook(format!("[hooks.srs] segment_times: {e}")));
        }
        for (index, s) in self.streams.iter().enumerate() {
            if let Some(t) = &s.segment_times
                && let Err(e) = t.parse::<livecut_hls::SegmentTimes>()
            {
                return Err(ConfigError::Stream {
                    index,
                    message: format!("segment_times: {e}"),
                });
            }
            if !s.playlists.ends_with('/') {
                return Err(ConfigError::Stream {
                    index,
                    message: format!(
                        "playlists {:?} must be a folder (end with '/')",
                        s.playlists
                    ),
                });
            }
        }
        Ok(())
    }
}

impl BucketConfig {
    /// The bucket's credentials, read now from the environment or files; `None` when the
    /// configuration names none (the backend then uses the provider's default chain).
    pub fn credentials(&self, bucket: &str) -> Result<Option<Credentials>, ConfigError> {
        let bad = |message: String| ConfigError::Bucket {
            bucket: bucket.to_string(),
            message,
        };
        let (id, id_source) = if let Some(id) = &self.access_key_id {
            (Some(id.clone()), "inline access_key_id".to_string())
        } else if let Some(var) = &self.access_key_id_env {
            let v = std::env::var(var).map_err(|_| {
                bad(format!(
                    "environment variable {var} (access_key_id_env) is not set"
                ))
            })?;
            (Some(v), format!("env {var}"))
        } else if let Some(file) = &self.access_key_id_file {
            (
                Some(read_secret_file(file).map_err(bad)?),
                format!("file {}", file.display()),
            )
        } else {
            (None, String::new())
        };
        let (secret, secret_source) = if let Some(var) = &self.secret_access_key_env {
            let v = std::env::var(var).map_err(|_| {
                bad(format!(
                    "environment variable {var} (secret_access_key_env) is not set"
                ))
            })?;
            (Some(v), format!("env {var}"))
        } else if let Some(file) = &self.secret_access_key_file {
            (
                Some(read_secret_file(file).map_err(bad)?),
                format!("file {}", file.display()),
            )
        } else {
            (None, String::new())
        };
        let session_token = match &self.session_token_env {
            Some(var) => Some(Secret(std::env::var(var).map_err(|_| {
                bad(format!(
                    "environment variable {var} (session_token_env) is not set"
                ))
            })?)),
            None => None,
        };
        match (id, secret) {
            (None, None) => Ok(None),
            (Some(access_key_id), Some(secret)) => Ok(Some(Credentials {
                access_key_id,
                secret_access_key: Secret(secret),
                session_token,
                source: format!("{id_source} / {secret_source}"),
            })),
            _ => Err(bad(
                "give both an access key id and a secret (secret_access_key_env or secret_access_key_file), or neither".into(),
            )),
        }
    }
}

fn read_secret_file(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("cannot read the secret file {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("livecut.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path))
    }

    #[test]
    fn the_documented_contract_parses() {
        let c = parse(
            r#"
[buckets.highlights]
url = "s3://highlights"
endpoint = "http://127.0.0.1:9000"
region = "us-east-1"
virtual_hosted_style = false
access_key_id_env = "HL_KEY_ID"
secret_access_key_env = "HL_SECRET"

[buckets.archive]
url = "file:///srv/archive"

[storage]
unlisted = "refuse"

[http]
allowed_origins = ["https://cdn.example.com"]

[[streams]]
app = "live"
playlists = "s3://highlights/record/{AppName}/{StreamName}/"
"#,
        )
        .unwrap();
        assert_eq!(c.storage.unlisted, Unlisted::Refuse);
        let b = &c.buckets["highlights"];
        assert_eq!(b.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(b.access_key_id_env.as_deref(), Some("HL_KEY_ID"));
        assert!(c.streams[0].matches("d.example.com", "live", "s1"));
        assert!(!c.streams[0].matches("d.example.com", "other", "s1"));
        assert_eq!(
            c.streams[0].folder("d", "live", "s1"),
            "s3://highlights/record/live/s1/"
        );
    }

    #[test]
    fn no_file_is_the_embedded_default() {
        let c = Config::load(None).unwrap();
        assert!(c.buckets.is_empty());
        assert_eq!(c.storage.unlisted, Unlisted::Local);
    }

    #[test]
    fn mistakes_are_named() {
        let typo = parse("[buckets.a]\nurl = \"s3://a\"\nendpiont = \"x\"\n").unwrap_err();
        assert!(typo.to_string().contains("endpiont"), "{typo}");
        let scheme = parse("[buckets.a]\nurl = \"ftp://a\"\n").unwrap_err();
        assert!(scheme.to_string().contains("bucket \"a\""), "{scheme}");
        let twice = parse(
            "[buckets.a]\nurl = \"s3://a\"\naccess_key_id = \"k\"\naccess_key_id_env = \"K\"\n",
        )
        .unwrap_err();
        assert!(twice.to_string().contains("once"), "{twice}");
        let inline_secret =
            parse("[buckets.a]\nurl = \"s3://a\"\nsecret_access_key = \"s\"\n").unwrap_err();
        assert!(
            inline_secret.to_string().contains("secret_access_key"),
            "{inline_secret}"
        );
        let origin = parse("[http]\nallowed_origins = [\"ftp://x\"]\n").unwrap_err();
        assert!(origin.to_string().contains("ftp://x"), "{origin}");
        let folder = parse("[[streams]]\nplaylists = \"s3://a/rec\"\n").unwrap_err();
        assert!(folder.to_string().contains("folder"), "{folder}");
    }

    #[test]
    fn credentials_come_from_the_environment_or_files_and_never_print() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("secret");
        std::fs::write(&secret_file, "s3cr3t-value\n").unwrap();
        let b = BucketConfig {
            url: "s3://a".into(),
            endpoint: None,
            region: None,
            virtual_hosted_style: false,
            access_key_id: None,
            // A variable every test process has (the crate forbids setting the environment).
            access_key_id_env: Some("PATH".into()),
            access_key_id_file: None,
            secret_access_key_env: None,
            secret_access_key_file: Some(secret_file.clone()),
            session_token_env: None,
        };
        let c = b.credentials("a").unwrap().unwrap();
        assert_eq!(c.access_key_id, std::env::var("PATH").unwrap());
        assert_eq!(c.secret_access_key.expose(), "s3cr3t-value");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert!(shown.contains("env PATH"), "{shown}");

        let missing = BucketConfig {
            secret_access_key_env: Some("LIVECUT_TEST_CONFIG_SECRET_UNSET".into()),
            secret_access_key_file: None,
            ..b.clone()
        };
        let e = missing.credentials("a").unwrap_err();
        assert!(
            e.to_string().contains("LIVECUT_TEST_CONFIG_SECRET_UNSET"),
            "{e}"
        );
        let half = BucketConfig {
            secret_access_key_file: None,
            ..b
        };
        assert!(
            half.credentials("a")
                .unwrap_err()
                .to_string()
                .contains("both")
        );
    }
}
