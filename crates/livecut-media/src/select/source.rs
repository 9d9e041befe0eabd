//! Reads the packets of one clip's segments in order, with timestamps
//! unwrapped onto one 90 kHz line per run (see `timeline`), for every mode:
//! video in H.264 or HEVC (one codec per clip), audio in AAC (ADTS) or MP3.
//!
//! Segments are MPEG-TS or fMP4; `av::segment` hands out both in the shape
//! of MPEG-TS (Annex B video, ADTS audio), so nothing below it knows which.
//!
//! Two ways to read: through libav's parsers (each packet one access unit
//! or audio frame, timestamps filled in), or, for the copy modes' fast
//! path, the PES payloads as the muxer wrote them (see
//! `segment::Reading::Unparsed`; an audio PES then holds several frames).
//! Whoever reads without parsers checks `unparsed_anomalies` and the
//! packets, and reads again with them if needed (see `index::scan`).

use ffmpeg_next::{Packet, Rational, media};

use crate::av::segment::{self, Reading, SegmentDemuxer};
use crate::av::ts_time_base;
use crate::codec::{AudioCodec, VideoCodec};
use crate::error::Cause;
use crate::timeline::{Unwrapper, run_starts};
use crate::{ClipInput, MediaError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Video,
    Audio,
}

/// A demuxed packet with its timestamps on the run's unwrapped line.
pub struct SourcePacket {
    pub track: Track,
    /// The packet, its pts/dts already unwrapped (90 kHz).
    pub packet: Packet,
    /// The packet's PTS; for an untimed audio packet (see
    /// `ClipReader::keep_untimed_audio`) the latest PTS read before it.
    pub pts: i64,
    /// The demuxer could not time this audio packet (only returned when
    /// asked for).
    pub untimed: bool,
    /// Data of this packet, or just before it, was lost: the demuxer flagged it corrupt (an
    /// MPEG-TS continuity counter jumped inside it) or resynced past damaged bytes before it.
    pub damaged: bool,
    /// The codec of an audio packet.
    pub audio_codec: Option<AudioCodec>,
    /// Index into the clip's segment list.
    pub segment: usize,
    /// Index of the run (0-based within the clip).
    pub run: usize,
}

struct OpenSegment {
    input: SegmentDemuxer,
    index: usize,
    video: Option<(usize, Rational)>,
    audio: Option<(usize, Rational, AudioCodec)>,
    video_packets: u64,
    audio_packets: u64,
    skipped: u32,
    /// `skipped` when the previous packet was handed out: a resync since then damages the next.
    skipped_seen: u32,
    /// A file cut short (see `SegmentDemuxer::cut_short`): each video packet
    /// is held until the next one arrives, so the last, incomplete one is
    /// never handed out (copying it would put a picture that cannot be
    /// decoded in the output; both passes read the same packets).
    held_video: Option<SourcePacket>,
}

pub struct ClipReader<'a> {
    clip: &'a ClipInput,
    run_starts: Vec<bool>,
    next_segment: usize,
    current: Option<OpenSegment>,
    run: Option<usize>,
    unwrapper: Unwrapper,
    /// Read PES payloads as packets, without libav's parsers (see
    /// `input::open_segment_unparsed`).
    unparsed: bool,
    /// Packets that show the segments need parsing after all.
    pub unparsed_anomalies: u64,
    /// The video codec of the latest video packet (it changes only where
    /// a run starts).
    pub codec: Option<VideoCodec>,
    /// Return audio packets the demuxer could not time instead of
    /// skipping them (a decoder times them by what came before).
    untimed_audio: bool,
    /// Read audio only (an audio-only recording): video streams are left
    /// out, and a segment must hold audio instead of video.
    audio_only: bool,
    last_pts: i64,
    /// Index of the segment being opened or read.
    at: usize,
    /// A lookahead segment failed: the clip's input ends there.
    ended: bool,
}

impl<'a> ClipReader<'a> {
    pub fn with_parsing(clip: &'a ClipInput, parse: bool) -> Self {
        ClipReader {
            unparsed: !parse,
            unparsed_anomalies: 0,
            codec: None,
            untimed_audio: false,
            audio_only: false,
            last_pts: 0,
            at: 0,
            ended: false,
            clip,
            run_starts: run_starts(&clip.segments),
            next_segment: 0,
            current: None,
            run: None,
            unwrapper: Unwrapper::default(),
        }
    }

    /// Also returns the audio packets the demuxer could not time, marked
    /// `untimed` (the re-encode modes decode them; the copy modes cannot
    /// place them).
    pub fn keep_untimed_audio(mut self) -> Self {
        self.untimed_audio = true;
        self
    }

    /// Reads the audio of an audio-only recording (see `audio_only`).
    pub fn audio_only(mut self) -> Self {
        self.audio_only = true;
        self
    }

    fn bad(&self, segment: usize, cause: Cause) -> MediaError {
        MediaError::BadSegment {
            clip: self.clip.index,
            uri: self.clip.segments[segment].uri.clone(),
            cause,
        }
    }

    fn open_next(&mut self) -> Result<bool, MediaError> {
        let index = self.next_segment;
        self.at = index;
        let Some(seg) = self.clip.segments.get(index) else {
            return Ok(false);
        };
        if let Err(e) = crate::fetch::ready(seg) {
            return Err(MediaError::SegmentMissing {
                clip: self.clip.index,
                uri: seg.uri.clone(),
                source: e,
            });
        }
        let how = if self.unparsed {
            Reading::Unparsed
        } else {
            Reading::Parsed
        };
        let input = segment::open_segment(seg, how).map_err(|cause| self.bad(index, cause))?;
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
            audio_packets: 0,
            skipped: 0,
            skipped_seen: 0,
            held_video: None,
        });
        self.next_segment += 1;
        Ok(true)
    }

    /// Decides which track a stream feeds, the first time it shows up.
    fn classify(
        &mut self,
        seg: &mut OpenSegment,
        stream: usize,
    ) -> Result<Option<Track>, MediaError> {
        if seg.video.is_some_and(|(s, _)| s == stream) {
            return Ok(Some(Track::Video));
        }
        if seg.audio.is_some_and(|(s, _, _)| s == stream) {
            return Ok(Some(Track::Audio));
        }
        let Some(st) = seg.input.stream(stream) else {
            return Ok(None);
        };
        let par = st.parameters();
        match par.medium() {
            media::Type::Video if self.audio_only => Err(MediaError::Unsupported {
                clip: Some(self.clip.index),
                what: format!(
                    "segment {}: it holds video, but the job's first clip is audio-only",
                    self.clip.segments[seg.index].uri
                ),
            }),
            media::Type::Video if seg.video.is_none() => {
                let uri = &self.clip.segments[seg.index].uri;
                let Some(codec) = VideoCodec::from_id(par.id()) else {
                    return Err(MediaError::Unsupported {
                        clip: Some(self.clip.index),
                        what: format!(
                            "segment {uri}: video codec {:?} (H.264 and HEVC are implemented)",
                            par.id()
                        ),
                    });
                };
                match self.codec {
                    // A run (after a discontinuity) may bring another
                    // codec; `index` decides whether the mode can join it.
                    Some(earlier) if earlier != codec && !self.run_starts[seg.index] => {
                        return Err(MediaError::Unsupported {
                            clip: Some(self.clip.index),
                            what: format!(
                                "segment {uri}: the video codec changes from {} to {} inside \
                                 the clip",
                                earlier.name(),
                                codec.name()
                            ),
                        });
                    }
                    _ => self.codec = Some(codec),
                }
                seg.video = Some((stream, st.time_base()));
                Ok(Some(Track::Video))
            }
            media::Type::Audio if seg.audio.is_none() => {
                let Some(codec) = AudioCodec::from_id(par.id()) else {
                    return Err(MediaError::Unsupported {
                        clip: Some(self.clip.index),
                        what: format!(
                            "segment {}: audio codec {:?} (AAC and MP3 are implemented)",
                            self.clip.segments[seg.index].uri,
                            par.id()
                        ),
                    });
                };
                seg.audio = Some((stream, st.time_base(), codec));
                Ok(Some(Track::Audio))
            }
            _ => Ok(None),
        }
    }

    /// The next packet of a video or audio track, or `None` after the last
    /// segment.
    ///
    /// A lookahead segment (see `SegmentInput::lookahead`) that cannot be
    /// read ends the input where it fails instead of failing the clip; both
    /// passes read it the same way, so they see the same packets.
    pub fn next(&mut self) -> Result<Option<SourcePacket>, MediaError> {
        if self.ended {
            return Ok(None);
        }
        match self.read_next() {
            Err(e) if self.clip.segments.get(self.at).is_some_and(|s| s.lookahead) => {
                tracing::debug!(
                    clip = self.clip.index,
                    "the segment after the range ends early: {e}"
                );
                self.ended = true;
                self.current = None;
                Ok(None)
            }
            other => other,
        }
    }

    fn read_next(&mut self) -> Result<Option<SourcePacket>, MediaError> {
        loop {
            if self.current.is_none() && !self.open_next()? {
                return Ok(None);
            }
            let Some(mut seg) = self.current.take() else {
                continue;
            };
            let read = seg.input.next_packet(&mut seg.skipped);
            let mut packet = match read {
                Ok(Some(p)) => p,
                Ok(None) => {
                    if let Some(dropped) = seg.held_video.take() {
                        tracing::warn!(
                            clip = self.clip.index,
                            segment = %self.clip.segments[seg.index].uri,
                            pts = dropped.pts,
                            "the segment file is cut short: its incomplete last picture is left out"
                        );
                    }
                    if self.audio_only && seg.audio_packets == 0 {
                        return Err(self.bad(seg.index, "contains no audio".into()));
                    }
                    if !self.audio_only && seg.video_packets == 0 {
                        return Err(self.bad(seg.index, "contains no video".into()));
                    }
                    continue;
                }
                Err(cause) => return Err(self.bad(seg.index, cause)),
            };
            let track = self.classify(&mut seg, packet.stream())?;
            let Some(track) = track else {
                self.current = Some(seg);
                continue;
            };
            let damaged = packet.is_corrupt() || seg.skipped > seg.skipped_seen;
            seg.skipped_seen = seg.skipped;
            let (tb, audio_codec) = match track {
                Track::Video => (seg.video.map(|v| v.1), None),
                Track::Audio => (seg.audio.map(|a| a.1), seg.audio.map(|a| a.2)),
            };
            let tb = tb.unwrap_or_else(ts_time_base);
            if tb != ts_time_base() {
                packet.rescale_ts(tb, ts_time_base());
            }
            let Some(raw_pts) = packet.pts().or(packet.dts()) else {
                if self.unparsed {
                    // Only a parser could have given this packet a time.
                    self.unparsed_anomalies += 1;
                }
                if track == Track::Audio {
                    seg.audio_packets += 1;
                    let segment = seg.index;
                    self.current = Some(seg);
                    if !self.untimed_audio {
                        continue;
                    }
                    return Ok(Some(SourcePacket {
                        track,
                        packet,
                        pts: self.last_pts,
                        untimed: true,
                        damaged,
                        audio_codec,
                        segment,
                        run: self.run.unwrap_or(0),
                    }));
                }
                return Err(self.bad(seg.index, "a video packet has no timestamp".into()));
            };
            let raw_dts = packet.dts().unwrap_or(raw_pts);
            let dts = self.unwrapper.unwrap(raw_dts);
            let pts = self.unwrapper.unwrap(raw_pts);
            packet.set_pts(Some(pts));
            packet.set_dts(Some(dts));
            self.last_pts = pts;
            match track {
                Track::Video => seg.video_packets += 1,
                Track::Audio => seg.audio_packets += 1,
            }
            let segment = seg.index;
            let out = SourcePacket {
                track,
                packet,
                pts,
                untimed: false,
                damaged,
                audio_codec,
                segment,
                run: self.run.unwrap_or(0),
            };
            if track == Track::Video && seg.input.cut_short() {
                let previous = seg.held_video.replace(out);
                self.current = Some(seg);
                match previous {
                    Some(p) => return Ok(Some(p)),
                    None => continue,
                }
            }
            self.current = Some(seg);
            return Ok(Some(out));
        }
    }
}
