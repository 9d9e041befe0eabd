//! Rust side of the official-SDK driver (`tests/sdk/driver.py`).
//!
//! Tests talk to livecut through Alibaba's own Python SDK rather than through a
//! hand-written client, so wire compatibility is checked against the code real
//! customers run. The driver is one long-lived Python process; each call is one
//! JSON line to its stdin and one JSON line back from its stdout.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Environment variable naming the Python interpreter that has the SDK installed.
pub const PYTHON_ENV: &str = "LIVECUT_SDK_PYTHON";

/// How much of the driver's stderr an error message carries.
const STDERR_TAIL_BYTES: u64 = 4000;

#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    #[error(
        "SDK driver interpreter {} does not exist; run `make setup` to create the SDK virtualenv (or set {PYTHON_ENV})",
        .0.display()
    )]
    PythonMissing(PathBuf),
    #[error("SDK driver script {} does not exist", .0.display())]
    DriverMissing(PathBuf),
    #[error("could not start the SDK driver with {}: {source}", .python.display())]
    Spawn {
        python: PathBuf,
        source: std::io::Error,
    },
    #[error("I/O with the SDK driver failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the SDK driver exited ({status}); if the SDK is not installed run `make setup`. Driver stderr:\n{stderr}"
    )]
    DriverExited { status: String, stderr: String },
    #[error("the SDK driver sent an unreadable reply {line:?}: {source}")]
    BadReply {
        line: String,
        source: serde_json::Error,
    },
    #[error("the SDK driver rejected the command (a bug in the test): {0}")]
    BadCommand(String),
}

/// Which request signature the SDK uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Signature {
    /// `ACS3-HMAC-SHA256` in the `Authorization` header: the SDK's default.
    #[default]
    V3,
    /// The legacy RPC `HMAC-SHA1` signature carried in the query string.
    V1,
}

/// One SDK call. `params` use the API's wire names (`Clips`, `JobId`, ...).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdkCall {
    pub op: String,
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    pub signature: Signature,
    pub params: BTreeMap<String, String>,
    /// Signing faults injected for this call only, e.g. `{"date_offset_s": -3600}`,
    /// `{"fixed_nonce": "..."}`, `{"authorization": "..."}`,
    /// `{"drop_signed_header": "x-acs-date"}`, `{"timestamp": "garbage"}`.
    pub tamper: Option<Value>,
    /// For op `call_action`: the action to call through the SDK's generic `call_api`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
}

impl SdkCall {
    /// A V3-signed call with no parameters and no tampering.
    pub fn new(
        op: impl Into<String>,
        endpoint: impl Into<String>,
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
    ) -> SdkCall {
        SdkCall {
            op: op.into(),
            endpoint: endpoint.into(),
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            signature: Signature::V3,
            params: BTreeMap::new(),
            tamper: None,
            action: None,
        }
    }

    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> SdkCall {
        self.params.insert(name.into(), value.into());
        self
    }

    pub fn signature(mut self, signature: Signature) -> SdkCall {
        self.signature = signature;
        self
    }

    pub fn tamper(mut self, tamper: Value) -> SdkCall {
        self.tamper = Some(tamper);
        self
    }
}

/// What the SDK returned. `Err` covers API errors (the SDK's exceptions, with the
/// server's `Code`) and transport failures (`code` is the root Python exception,
/// e.g. `ConnectionRefusedError`, and `status` is 0).
#[derive(Debug, Clone, PartialEq)]
pub enum SdkReply {
    /// `body` is the response model's `to_map()`: only fields the SDK knows survive.
    Ok { status: u16, body: Value },
    Err {
        code: String,
        status: u16,
        message: String,
        /// The SDK exception's `data`: the parsed error body (plus the SDK's own
        /// `statusCode` key) for API errors, `{"chain": [...]}` for transport failures.
        data: Value,
    },
}

impl SdkReply {
    pub fn is_ok(&self) -> bool {
        matches!(self, SdkReply::Ok { .. })
    }

    /// The error code, if this is an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            SdkReply::Ok { .. } => None,
            SdkReply::Err { code, .. } => Some(code),
        }
    }
}

/// The reply line exactly as the driver writes it.
#[derive(Debug, Deserialize)]
struct WireReply {
    ok: bool,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Value,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    data: Value,
}

impl WireReply {
    fn into_reply(self) -> Result<SdkReply, SdkError> {
        let status = self.status.unwrap_or(0);
        if self.ok {
            return Ok(SdkReply::Ok {
                status,
                body: self.body,
            });
        }
        let code = self.code.unwrap_or_default();
        let message = self.message.unwrap_or_default();
        if code == "DriverError" {
            return Err(SdkError::BadCommand(message));
        }
        Ok(SdkReply::Err {
            code,
            status,
            message,
            data: self.data,
        })
    }
}

/// A running driver process; it is killed when this is dropped.
pub struct SdkDriver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The driver's stderr, kept in an anonymous file so a crash can be explained.
    stderr: File,
}

impl SdkDriver {
    /// Starts the driver with `$LIVECUT_SDK_PYTHON`, else `<repo>/.venv/bin/python`,
    /// and checks that it answers.
    pub fn start() -> Result<SdkDriver, SdkError> {
        SdkDriver::start_with(&default_python())
    }

    /// Starts the driver with the given interpreter.
    pub fn start_with(python: &Path) -> Result<SdkDriver, SdkError> {
        if !python.exists() {
            return Err(SdkError::PythonMissing(python.to_path_buf()));
        }
        let script = driver_script();
        if !script.exists() {
            return Err(SdkError::DriverMissing(script));
        }
        let stderr = tempfile::tempfile()?;
        let mut child = Command::new(python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr.try_clone()?))
            .spawn()
            .map_err(|source| SdkError::Spawn {
                python: python.to_path_buf(),
                source,
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(SdkError::Io(std::io::Error::other(
                "driver pipes were not created",
            )));
        };
        let mut driver = SdkDriver {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            stderr,
        };
        // Surfaces a missing SDK (ImportError) at start rather than at the first call.
        driver.ping()?;
        Ok(driver)
    }

    /// Round-trips a no-op through the driver.
    pub fn ping(&mut self) -> Result<(), SdkError> {
        let reply = self.round_trip(&serde_json::json!({"op": "ping"}))?;
        match reply {
            SdkReply::Ok { .. } => Ok(()),
            SdkReply::Err { code, message, .. } => Err(SdkError::BadCommand(format!(
                "ping answered {code}: {message}"
            ))),
        }
    }

    /// Makes one API call through the SDK.
    pub fn call(&mut self, cmd: &SdkCall) -> Result<SdkReply, SdkError> {
        self.round_trip(cmd)
    }

    fn round_trip(&mut self, cmd: &impl Serialize) -> Result<SdkReply, SdkError> {
        let mut line = serde_json::to_string(cmd).map_err(|source| SdkError::BadReply {
            line: String::new(),
            source,
        })?;
        line.push('\n');
        if let Err(e) = self
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| self.stdin.flush())
        {
            return Err(self.died_or(e));
        }
        let mut reply = String::new();
        match self.stdout.read_line(&mut reply) {
            Ok(0) => Err(self.died()),
            Ok(_) => serde_json::from_str::<WireReply>(&reply)
                .map_err(|source| SdkError::BadReply {
                    line: reply.trim_end().to_string(),
                    source,
                })?
                .into_reply(),
            Err(e) => Err(self.died_or(e)),
        }
    }

    /// A broken pipe almost always means the driver died; report that instead.
    fn died_or(&mut self, e: std::io::Error) -> SdkError {
        match self.child.try_wait() {
            Ok(Some(_)) => self.died(),
            _ => SdkError::Io(e),
        }
    }

    fn died(&mut self) -> SdkError {
        let status = match self.child.wait() {
            Ok(s) => s.to_string(),
            Err(e) => format!("unknown: {e}"),
        };
        SdkError::DriverExited {
            status,
            stderr: self.stderr_tail(),
        }
    }

    fn stderr_tail(&mut self) -> String {
        let mut text = String::new();
        let len = self.stderr.metadata().map(|m| m.len()).unwrap_or(0);
        let start = len.saturating_sub(STDERR_TAIL_BYTES);
        if self.stderr.seek(SeekFrom::Start(start)).is_ok() {
            let mut bytes = Vec::new();
            if self.stderr.read_to_end(&mut bytes).is_ok() {
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        text
    }
}

impl Drop for SdkDriver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn driver_script() -> PathBuf {
    repo_root().join("tests/sdk/driver.py")
}

/// `$LIVECUT_SDK_PYTHON` if set and non-empty, else the repo's `.venv`.
pub fn default_python() -> PathBuf {
    match std::env::var_os(PYTHON_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join(".venv/bin/python"),
    }
}

#[cfg(test)]
mod tests;
