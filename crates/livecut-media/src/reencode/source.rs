//! Reads the packets of one clip's segments in order for the re-encoding
//! modes: video in H.264 or HEVC, audio in AAC or MP3, each packet one
//! access unit or audio frame (libav's parsers split them), with its codec
//! and its timestamps unwrapped onto one 90 kHz line per run (see
//! `timeline`). Both passes read through this, so they see the same
//! packets.

use ffmpeg_next::format::context::Input;
use ffmpeg_next::{Packet, Rational, media};

use crate::av::{input, ts_time_base};
use crate::codec::{AudioCodec, VideoCodec};
use crate::timeline::{Unwrapper, run_starts};
use crate::{ClipInput, MediaError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Video,
    Audio,
}

/// The codec of a packet's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Video(VideoCodec),
    Audio(AudioCodec),
}

/// A demuxed packet with its timestamps on the run's unwrapped line.
pub struct SourcePacket {
    pub track: Track,
    pub codec: Codec,
    /// The packet, its pts/dts already unwrapped (90 kHz).
    pub packet: Packet,
    /// `None` only for an audio frame the demuxer could not time.
    pub pts: Option<i64>,
    /// Index into the clip's segment list.
    pub segment: usize,
    /// Index of the run (0-based within the clip).
    pub run: usize,
}

impl SourcePacket {
    pub fn data(&self) -> &[u8] {
        self.packet.data().unwrap_or(&[])
    }

    pub fn video_codec(&self) -> Option<VideoCodec> {
        match self.codec {
            Codec::Video(c) => Some(c),
            Codec::Audio(_) => None,
        }
    }
}

struct Stream {
    index: usize,
    time_base: Rational,
    codec: Codec,
}

struct OpenSegment {
    input: Input,
    index: usize,
    video: Option<Stream>,
    audio: Option<Stream>,
    video_packets: u64,
    skipped: u32,
}

pub struct SourceReader<'a> {
    clip: &'a ClipInput,
    run_starts: Vec<bool>,
    next_segment: usize,
    current: Option<OpenSegment>,
    run: Option<usize>,
    unwrapper: Unwrapper,
}

impl<'a> SourceReader<'a> {
    pub fn new(clip: &'a ClipInput) -> Self {
        SourceReader {
            clip,
            run_starts: run_starts(&clip.segments),
            next_segment: 0,
            current: None,
            run: None,
            unwrapper: Unwrapper::default(),
        }
    }

    fn bad(&self, segment: usize, detail: String) -> MediaError {
        MediaError::BadSegment {
            clip: self.clip.index,
            uri: self.clip.segments[segment].uri.clone(),
            detail,
        }
    }

    fn open_next(&mut self) -> Result<bool, MediaError> {
        let index = self.next_segment;
        let Some(seg) = self.clip.segments.get(index) else {
            return Ok(false);
        };
        if let Err(e) = std::fs::metadata(&seg.path) {
            return Err(MediaError::SegmentMissing {
                clip: self.clip.index,
                uri: seg.uri.clone(),
                path: seg.path.clone(),
                detail: e.to_string(),
            });
        }
        let input = input::open_segment(&seg.path)
            .map_err(|e| self.bad(index, format!("cannot be opened as MPEG-TS: {e}")))?;
        if self.run_starts[index] {
            self.run = Some(self.run.map_or(0, |r| r + 1));
            self.unwrapper = Unwrapper::default();
        }
        self.current = Some(OpenSegment {
            input,
            index,
            video: None,
            audio: None,
            video_packets: 0,
            skipped: 0,
        });
        self.next_segment += 1;
        Ok(true)
    }

    fn unsupported(&self, seg: &OpenSegment, what: String) -> MediaError {
        MediaError::Unsupported {
            clip: Some(self.clip.index),
            what: format!("segment {}: {what}", self.clip.segments[seg.index].uri),
        }
    }

    /// Decides which track a stream feeds, the first time it shows up: the
    /// first video and the first audio stream of the segment.
    fn classify(&self, seg: &mut OpenSegment, stream: usize) -> Result<Option<Track>, MediaError> {
        if seg.video.as_ref().is_some_and(|s| s.index == stream) {
            return Ok(Some(Track::Video));
        }
        if seg.audio.as_ref().is_some_and(|s| s.index == stream) {
            return Ok(Some(Track::Audio));
        }
        let Some(st) = seg.input.stream(stream) else {
            return Ok(None);
        };
        let par = st.parameters();
        match par.medium() {
            media::Type::Video if seg.video.is_none() => {
                let Some(codec) = VideoCodec::from_id(par.id()) else {
                    return Err(self.unsupported(
                        seg,
                        format!(
                            "video codec {:?} (H.264 and HEVC are implemented)",
                            par.id()
                        ),
                    ));
                };
                seg.video = Some(Stream {
                    index: stream,
                    time_base: st.time_base(),
                    codec: Codec::Video(codec),
                });
                Ok(Some(Track::Video))
            }
            media::Type::Audio if seg.audio.is_none() => {
                let Some(codec) = AudioCodec::from_id(par.id()) else {
                    return Err(self.unsupported(
                        seg,
                        format!("audio codec {:?} (AAC and MP3 are implemented)", par.id()),
                    ));
                };
                seg.audio = Some(Stream {
                    index: stream,
                    time_base: st.time_base(),
                    codec: Codec::Audio(codec),
                });
                Ok(Some(Track::Audio))
            }
            _ => Ok(None),
        }
    }

    /// The next packet of a video or audio track, or `None` after the last
    /// segment.
    pub fn next(&mut self) -> Result<Option<SourcePacket>, MediaError> {
        loop {
            if self.current.is_none() && !self.open_next()? {
                return Ok(None);
            }
            let Some(mut seg) = self.current.take() else {
                continue;
            };
            let mut packet = match input::next_packet(&mut seg.input, &mut seg.skipped) {
                Ok(Some(p)) => p,
                Ok(None) => {
                    if seg.video_packets == 0 {
                        return Err(self.bad(seg.index, "contains no video".into()));
                    }
                    continue;
                }
                Err(e) => return Err(self.bad(seg.index, format!("demuxing failed: {e}"))),
            };
            let Some(track) = self.classify(&mut seg, packet.stream())? else {
                self.current = Some(seg);
                continue;
            };
            let stream = match track {
                Track::Video => seg.video.as_ref(),
                Track::Audio => seg.audio.as_ref(),
            };
            let (tb, codec) = match stream {
                Some(s) => (s.time_base, s.codec),
                None => return Err(MediaError::Internal("an unclassified stream".into())),
            };
            if tb != ts_time_base() {
                packet.rescale_ts(tb, ts_time_base());
            }
            let pts = match packet.pts().or(packet.dts()) {
                Some(raw_pts) => {
                    let raw_dts = packet.dts().unwrap_or(raw_pts);
                    let dts = self.unwrapper.unwrap(raw_dts);
                    let pts = self.unwrapper.unwrap(raw_pts);
                    packet.set_pts(Some(pts));
                    packet.set_dts(Some(dts));
                    Some(pts)
                }
                None if track == Track::Audio => None,
                None => {
                    return Err(self.bad(seg.index, "a video packet has no timestamp".into()));
                }
            };
            if track == Track::Video {
                seg.video_packets += 1;
            }
            let segment = seg.index;
            self.current = Some(seg);
            return Ok(Some(SourcePacket {
                track,
                codec,
                packet,
                pts,
                segment,
                run: self.run.unwrap_or(0),
            }));
        }
    }
}
