//! Segments that arrive while the cut runs. The engine reads segments as local files; when they
//! live in object storage, the caller (the service's media child) downloads them into its scratch
//! folder ahead of the engine and installs a gate here. Before the engine opens a segment it asks
//! the gate, which blocks until that segment's file is whole (or says why it never will be), so
//! downloading and cutting overlap without the engine knowing about storage.
//!
//! The gate is process-wide because a media child cuts one job; without one, a segment is ready
//! when its file exists.

use std::io;
use std::sync::OnceLock;

use crate::job::SegmentInput;

/// Blocks until the segment's `path` holds all of its bytes; an error says why it cannot.
pub type SegmentGate = Box<dyn Fn(&SegmentInput) -> io::Result<()> + Send + Sync>;

static GATE: OnceLock<SegmentGate> = OnceLock::new();

/// Installs the gate of this process. Only the first call takes effect (a process cuts one
/// job); it answers whether this one did.
pub fn install_segment_gate(gate: SegmentGate) -> bool {
    GATE.set(gate).is_ok()
}

/// Waits until `seg` can be opened: through the gate if one is installed, else by the file's
/// existence.
pub(crate) fn ready(seg: &SegmentInput) -> io::Result<()> {
    if let Some(gate) = GATE.get() {
        gate(seg)?;
    }
    std::fs::metadata(&seg.path).map(|_| ())
}
