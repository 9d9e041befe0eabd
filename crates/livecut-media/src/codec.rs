//! The codecs livecut reads and writes, named once for every module.

use ffmpeg_next::codec::Id;

/// Video codecs of recordings and outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VideoCodec {
    H264,
    Hevc,
}

impl VideoCodec {
    pub fn from_id(id: Id) -> Option<Self> {
        match id {
            Id::H264 => Some(VideoCodec::H264),
            Id::HEVC => Some(VideoCodec::Hevc),
            _ => None,
        }
    }

    pub fn id(self) -> Id {
        match self {
            VideoCodec::H264 => Id::H264,
            VideoCodec::Hevc => Id::HEVC,
        }
    }

    /// The name ffprobe shows.
    pub fn name(self) -> &'static str {
        match self {
            VideoCodec::H264 => "h264",
            VideoCodec::Hevc => "hevc",
        }
    }
}

/// Audio codecs of recordings (outputs of the re-encode modes are AAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    Aac,
    Mp3,
}

impl AudioCodec {
    pub fn from_id(id: Id) -> Option<Self> {
        match id {
            Id::AAC => Some(AudioCodec::Aac),
            Id::MP3 => Some(AudioCodec::Mp3),
            _ => None,
        }
    }

    pub fn id(self) -> Id {
        match self {
            AudioCodec::Aac => Id::AAC,
            AudioCodec::Mp3 => Id::MP3,
        }
    }
}
