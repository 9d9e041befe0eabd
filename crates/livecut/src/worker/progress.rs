//! How far a running job is, as GetLiveEditingJob's `Progress` shows it: the step (Planning,
//! Reading segments, Writing frames, Publishing), how much of it is done of how much is planned,
//! and an overall percent. The media child writes its engine's progress to a file in the job's
//! scratch folder; the lease keeper reads it once a second and writes what changed into the
//! job's row (fenced by the lease).

use std::path::Path;

use livecut_media::{Progress, Step};
use serde_json::{Value, json};

/// The share of the overall percent that cutting takes; publishing is the rest.
const CUT_PERCENT: f32 = 95.0;

/// Before the cut: the clips are being planned (or waited for at the live edge).
pub fn planning() -> Value {
    json!({ "Step": "Planning", "Done": 0, "Total": 0, "Unit": "", "Percent": 0 })
}

/// During the cut, from the media engine.
pub fn cutting(p: &Progress) -> Value {
    let step = match p.step {
        Step::Reading => "Reading",
        Step::Writing => "Writing",
    };
    json!({
        "Step": step,
        "Done": p.done,
        "Total": p.total,
        "Unit": p.unit(),
        "Percent": (p.fraction() * CUT_PERCENT).floor() as u32,
    })
}

/// After the cut: the output is being uploaded and registered.
pub fn publishing() -> Value {
    json!({ "Step": "Publishing", "Done": 0, "Total": 0, "Unit": "", "Percent": CUT_PERCENT as u32 })
}

/// Writes the engine's progress where the worker reads it (a new file renamed into place, so a
/// reader never sees half of one). Failing to write it only loses a progress report.
pub fn write_file(path: &Path, p: &Progress) {
    let Ok(text) = serde_json::to_vec(p) else {
        return;
    };
    let tmp = path.with_extension("tmp");
    if std::fs::write(&tmp, text).is_ok() {
        let _ = std::fs::rename(&tmp, path);
    }
}

/// The last progress the child wrote, if any.
pub async fn read_file(path: &Path) -> Option<Progress> {
    let bytes = tokio::fs::read(path).await.ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_childs_file_reads_back_and_percent_grows_by_step() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        assert_eq!(read_file(&path).await, None);
        let p = Progress {
            step: Step::Writing,
            done: 450,
            total: 900,
        };
        write_file(&path, &p);
        assert_eq!(read_file(&path).await, Some(p));
        let shown = cutting(&p);
        assert_eq!(shown["Step"], "Writing");
        assert_eq!(shown["Unit"], "frames");
        assert_eq!(shown["Percent"], 52);
        assert_eq!(planning()["Percent"], 0);
        assert_eq!(publishing()["Percent"], 95);
    }
}
