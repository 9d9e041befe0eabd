//! Decodes the located packets and keeps the one picture the cover shows.

use ffmpeg_next::codec::{self, decoder};
use ffmpeg_next::{Error, Packet, frame};

use super::locate::Located;
use crate::av;
use crate::av::video_encoder::is_again;
use crate::bitstream::h264::ParameterSets;
use crate::error::Cause;
use crate::timeline::PTS_WRAP;
use crate::{MediaError, SegmentInput};

struct CoverDecoder<'a> {
    clip: usize,
    segments: &'a [SegmentInput],
    decoder: decoder::Video,
    target_pts: i64,
    target_segment: usize,
    frame: frame::Video,
    found: Option<frame::Video>,
}

impl CoverDecoder<'_> {
    /// A decode error, named by the segment and the PTS as stored in the
    /// file (33-bit), which is what someone inspecting the segment sees.
    fn corrupt(&self, segment: usize, pts: i64, cause: Cause) -> MediaError {
        MediaError::CorruptFrame {
            clip: self.clip,
            uri: self
                .segments
                .get(segment)
                .map_or_else(String::new, |s| s.uri.clone()),
            pts: pts.rem_euclid(PTS_WRAP),
            cause,
        }
    }

    fn drain(&mut self) -> Result<(), MediaError> {
        while av::decode::receive(&mut self.decoder, &mut self.frame)
            .map_err(|d| self.corrupt(self.target_segment, self.target_pts, d))?
        {
            let pts = self.frame.pts().or(self.frame.timestamp());
            if pts == Some(self.target_pts) {
                if self.frame.is_corrupt() {
                    return Err(self.corrupt(
                        self.target_segment,
                        self.target_pts,
                        "the cover frame decodes with errors".into(),
                    ));
                }
                self.found = Some(std::mem::replace(&mut self.frame, frame::Video::empty()));
            }
        }
        Ok(())
    }

    fn feed(&mut self, segment: usize, packet: &Packet) -> Result<(), MediaError> {
        let pts = packet.pts().unwrap_or(self.target_pts);
        let mut sent = self.decoder.send_packet(packet);
        if sent.as_ref().is_err_and(is_again) {
            // The decoder wants its output taken first; then it has room.
            self.drain()?;
            sent = self.decoder.send_packet(packet);
        }
        sent.map_err(|e| self.corrupt(segment, pts, av::decode::send_failure(e)))?;
        self.drain()
    }
}

fn open(
    parameters: &codec::Parameters,
    sets: &ParameterSets,
) -> Result<decoder::Video, MediaError> {
    let fail = |e: Error| MediaError::Internal(format!("opening the video decoder: {e}"));
    let mut par = parameters.clone();
    let header = sets.annexb();
    if !header.is_empty() {
        av::decode::set_extradata(&mut par, &header).map_err(fail)?;
    }
    av::decode::video(par).map_err(fail)
}

/// Decodes `located.packets` and returns the cover frame.
pub fn decode(
    clip: usize,
    segments: &[SegmentInput],
    located: &Located,
) -> Result<frame::Video, MediaError> {
    let mut d = CoverDecoder {
        clip,
        segments,
        decoder: open(&located.parameters, &located.parameter_sets)?,
        target_pts: located.target_pts,
        target_segment: located.segment,
        frame: frame::Video::empty(),
        found: None,
    };
    // Everything the cover frame refers to precedes it in decode order, so
    // nothing after it is sent; the flush releases the reordered frames.
    for (segment, packet) in &located.packets {
        d.feed(*segment, packet)?;
    }
    if let Err(e) = d.decoder.send_eof() {
        return Err(d.corrupt(d.target_segment, d.target_pts, Cause::libav("flushing", e)));
    }
    d.drain()?;
    match d.found.take() {
        Some(frame) => Ok(frame),
        None => Err(d.corrupt(
            d.target_segment,
            d.target_pts,
            format!(
                "the cover frame did not come out of the decoder ({} packets decoded from the IDR)",
                located.packets.len()
            )
            .into(),
        )),
    }
}
