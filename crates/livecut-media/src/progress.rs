//! How far a cut is, as the service shows it (GetLiveEditingJob's Progress, `livecut cut`'s
//! progress line): the step, and how much of it is done in a unit a person can check against the
//! request (segments read, frames written).

use serde::{Deserialize, Serialize};

/// The part of a cut that runs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Pass 1: the segments of every clip are read and indexed (`done`/`total` segments).
    Reading,
    /// Pass 2: the output is written (`done`/`total` frames of the output, video frames or, for
    /// audio-only outputs, audio frames of 1024 samples).
    Writing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub step: Step,
    pub done: u64,
    pub total: u64,
}

impl Progress {
    /// The share of the whole cut done, 0 to 1: reading is the first tenth (it is mostly I/O),
    /// writing the rest.
    pub fn fraction(&self) -> f32 {
        let part = if self.total == 0 {
            0.0
        } else {
            (self.done.min(self.total) as f32) / (self.total as f32)
        };
        match self.step {
            Step::Reading => 0.1 * part,
            Step::Writing => 0.1 + 0.9 * part,
        }
    }

    /// What `done` and `total` count.
    pub fn unit(&self) -> &'static str {
        match self.step {
            Step::Reading => "segments",
            Step::Writing => "frames",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_run_from_reading_to_writing() {
        let at = |step, done, total| Progress { step, done, total }.fraction();
        assert_eq!(at(Step::Reading, 0, 0), 0.0);
        assert!((at(Step::Reading, 5, 10) - 0.05).abs() < 1e-6);
        assert!((at(Step::Writing, 0, 90) - 0.1).abs() < 1e-6);
        assert!((at(Step::Writing, 90, 90) - 1.0).abs() < 1e-6);
        assert!(
            (at(Step::Writing, 200, 90) - 1.0).abs() < 1e-6,
            "never past the end"
        );
    }
}
