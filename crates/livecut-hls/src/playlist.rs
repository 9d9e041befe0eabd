use serde::{Deserialize, Serialize};

/// A media playlist: one rendition's list of segments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaPlaylist {
    /// `#EXT-X-TARGETDURATION`, seconds (a decimal value is rounded up).
    pub target_duration_s: u64,
    /// `#EXT-X-MEDIA-SEQUENCE`, 0 when absent.
    pub media_sequence: u64,
    /// `#EXT-X-DISCONTINUITY-SEQUENCE`, 0 when absent.
    pub discontinuity_sequence: u64,
    /// `#EXT-X-PLAYLIST-TYPE`, if given.
    pub playlist_type: Option<PlaylistType>,
    /// `#EXT-X-ENDLIST` seen: the recording is finished and will not grow.
    pub ended: bool,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlaylistType {
    Event,
    Vod,
}

/// One media segment as written in the playlist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    /// The URI line exactly as written (relative URIs are relative to the playlist).
    pub uri: String,
    /// Media sequence number: `media_sequence` + position in the playlist.
    pub sequence: u64,
    /// `#EXTINF` duration in microseconds (rounded to the nearest microsecond).
    pub duration_us: i64,
    /// `#EXT-X-PROGRAM-DATE-TIME` written before this segment (since the previous URI), as
    /// microseconds since the Unix epoch, UTC.
    pub program_date_time_us: Option<i64>,
    /// `#EXT-X-DISCONTINUITY` written before this segment.
    pub discontinuity: bool,
    /// `#EXT-X-GAP`: the segment is declared absent; it takes time but has no media.
    pub gap: bool,
    /// `#EXT-X-BYTERANGE`: length and optional start offset. Without an offset the range
    /// starts where the previous range of the same resource ended.
    pub byte_range: Option<(u64, Option<u64>)>,
    /// `#EXT-X-MAP` in force for this segment: the fMP4 initialization section its fragments
    /// need (`None` for MPEG-TS segments).
    pub map: Option<MapSection>,
}

/// An `#EXT-X-MAP` initialization section (the `ftyp` and `moov` of fMP4 segments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSection {
    /// The URI attribute exactly as written (relative to the playlist).
    pub uri: String,
    /// The BYTERANGE attribute: length and optional start offset.
    pub byte_range: Option<(u64, Option<u64>)>,
}
