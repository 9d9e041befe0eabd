use thiserror::Error;

/// Why a playlist or a set of playlists cannot be used as a recording.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HlsError {
    /// The text does not start with `#EXTM3U`.
    #[error("not an HLS playlist: the first line is not #EXTM3U")]
    NotAPlaylist,
    /// A master (multivariant) playlist was given where a media playlist is needed.
    #[error(
        "line {line}: {tag} makes this a master playlist; give the media playlist of one rendition"
    )]
    MasterPlaylist { line: usize, tag: String },
    /// A feature real recordings can use but this service cannot cut from.
    #[error("line {line}: {what} is not supported")]
    NotSupported { line: usize, what: String },
    /// A line that breaks the playlist grammar.
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    /// A tag every media playlist must carry is absent.
    #[error("the playlist has no {tag} tag")]
    MissingTag { tag: &'static str },
    /// A playlist has segments but no `#EXT-X-PROGRAM-DATE-TIME`, so its segments cannot be
    /// placed on the UTC axis.
    #[error(
        "playlist {playlist_index} has no #EXT-X-PROGRAM-DATE-TIME, so its segments have no UTC time"
    )]
    NoProgramDateTime { playlist_index: usize },
    /// A segment's file name does not carry the time its playlist's segment-times mode reads.
    #[error("segment {uri}: its name has no time that {mode} reads")]
    SegmentName { uri: String, mode: String },
    /// Segment times leave the representable range (absurd PDT or durations).
    #[error(
        "playlist {playlist_index}: segment {sequence} lies outside the representable time range"
    )]
    TimeOverflow {
        playlist_index: usize,
        sequence: u64,
    },
}

impl HlsError {
    pub(crate) fn malformed(line: usize, message: impl Into<String>) -> Self {
        HlsError::Malformed {
            line,
            message: message.into(),
        }
    }
}
