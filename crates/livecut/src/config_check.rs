//! `livecut config check`: what each configured bucket resolves to, whether the storage accepts
//! our credentials, and the rest of the configuration file, so an operator sees a mistake before
//! the first job does.

use std::fmt::Write;

use crate::config::Unlisted;
use crate::settings::StoreSettings;

/// Prints the report; `Err` when the file is wrong or a bucket refuses access.
pub async fn run(store: &StoreSettings) -> Result<(), String> {
    let config = store.load_config().map_err(|e| e.to_string())?;
    let buckets = crate::storage::Buckets::from_config(store.buckets_dir(), &config)
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut failed = 0;
    let _ = writeln!(
        out,
        "configuration: {}",
        store
            .config
            .as_ref()
            .map_or("none (embedded default)".to_string(), |p| p
                .display()
                .to_string())
    );
    for (name, backend) in buckets.configured() {
        let verdict = match buckets.probe(name).await {
            Ok(()) => "ok".to_string(),
            Err(e) => {
                failed += 1;
                format!("FAILED: {e}")
            }
        };
        let _ = writeln!(out, "bucket {name}: {} ... {verdict}", backend.describe());
    }
    let _ = writeln!(
        out,
        "other buckets: {}",
        match buckets.unlisted() {
            Unlisted::Local => format!("local folders under {}", buckets.local_root().display()),
            Unlisted::Refuse => "refused".to_string(),
        }
    );
    let origins: Vec<&str> = buckets.origins().collect();
    let _ = writeln!(
        out,
        "http origins for recordings: {}",
        if origins.is_empty() {
            "none".to_string()
        } else {
            origins.join(", ")
        }
    );
    for s in &config.streams {
        let _ = writeln!(
            out,
            "streams {}/{}/{}: playlists under {}",
            s.domain, s.app, s.stream, s.playlists
        );
    }
    print!("{out}");
    if failed > 0 {
        return Err(format!("{failed} bucket(s) failed the access check"));
    }
    Ok(())
}
