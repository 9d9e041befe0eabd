//! Metric names and how the service records them (the `metrics` facade; `/metrics` renders them
//! in Prometheus text format).

/// Bytes read from a bucket (recording segments and playlists).
pub fn storage_bytes_read(bucket: &str, bytes: u64) {
    metrics::counter!("livecut_storage_read_bytes_total", "bucket" => bucket.to_string())
        .increment(bytes);
}

/// Bytes written to a bucket (outputs, covers, HLS segments).
pub fn storage_bytes_written(bucket: &str, bytes: u64) {
    metrics::counter!("livecut_storage_written_bytes_total", "bucket" => bucket.to_string())
        .increment(bytes);
}
