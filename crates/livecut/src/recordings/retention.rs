//! `livecut recordings forget`: the segment index forgets segments older than a number of days,
//! and with `--delete-files` the files or objects they were read from go too. An operator runs
//! it from cron (or a systemd timer) with the retention the recordings are kept for.

use crate::clock::now_ms;

use crate::db::segments;
use crate::settings::StoreSettings;
use crate::storage::Source;

use super::register::RegisterError;

/// Forgets the indexed segments that ended more than `days` ago; deletes their files when
/// asked. Prints what it did.
pub async fn forget(
    store: &StoreSettings,
    days: u32,
    delete_files: bool,
) -> Result<(), RegisterError> {
    let buckets = store.buckets()?;
    let db = store.open_db().await?;
    let cutoff_us = (now_ms() - i64::from(days) * 86_400_000) * 1000;
    let gone = segments::forget_before(&db, cutoff_us).await?;
    let mut deleted = 0usize;
    let mut failed = 0usize;
    if delete_files {
        // One file may be indexed for several streams.
        let mut files = gone.clone();
        files.sort();
        files.dedup();
        for uri in &files {
            let result = match buckets.source(uri) {
                Ok(Source::File(p)) => std::fs::remove_file(&p).map_err(|e| e.to_string()),
                Ok(Source::Object(o)) => buckets.delete(&o).await.map_err(|e| e.to_string()),
                Ok(Source::Http(_)) => Err("an HTTP origin is read-only".to_string()),
                Err(e) => Err(e.to_string()),
            };
            match result {
                Ok(()) => deleted += 1,
                Err(e) => {
                    failed += 1;
                    eprintln!("cannot delete {uri}: {e}");
                }
            }
        }
    }
    println!(
        "forgot {} segments older than {days} days{}",
        gone.len(),
        if delete_files {
            format!("; deleted {deleted} files, {failed} could not be deleted")
        } else {
            String::new()
        }
    );
    Ok(())
}
