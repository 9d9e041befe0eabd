//! Demuxes the video packets of one segment, without decoding, with their
//! timestamps in 90 kHz ticks unwrapped onto a line of the segment's own;
//! `locate` moves them onto their run's line.

use ffmpeg_next::codec::{self, Id};
use ffmpeg_next::{Packet, media};

use crate::av::{input, ts_time_base};
use crate::bitstream::h264::{NAL_IDR, NAL_SLICE, ParameterSets, nal_type, nal_units};
use crate::timeline::Unwrapper;
use crate::{MediaError, SegmentInput};

/// One video access unit.
pub struct VideoPacket {
    /// The packet, pts/dts set to `pts`/`dts` below.
    pub packet: Packet,
    pub pts: i64,
    pub idr: bool,
    /// Some slice may be referenced by later frames (`nal_ref_idc != 0`).
    pub reference: bool,
}

/// The video of one segment, in decode order.
pub struct SegmentVideo {
    pub packets: Vec<VideoPacket>,
    /// The video stream's parameters, to open a decoder with.
    pub parameters: codec::Parameters,
    /// SPS/PPS found in the packets (first one wins on an id clash: the
    /// sets only prime the decoder, in-band copies still override them).
    pub parameter_sets: ParameterSets,
}

impl SegmentVideo {
    /// The PTS the segment's PROGRAM-DATE-TIME stands for.
    pub fn anchor_pts(&self) -> Option<i64> {
        crate::timeline::segment_anchor_pts(self.packets.first().map(|p| p.pts), None)
    }

    /// Moves every timestamp by `ticks`.
    pub fn shift(&mut self, ticks: i64) {
        if ticks == 0 {
            return;
        }
        for p in &mut self.packets {
            p.pts += ticks;
            p.packet.set_pts(Some(p.pts));
            p.packet.set_dts(p.packet.dts().map(|d| d + ticks));
        }
    }
}

/// Whether some slice of the access unit can be a reference. Frames that
/// cannot are skipped when decoding up to the cover frame.
fn is_reference(data: &[u8]) -> bool {
    nal_units(data)
        .iter()
        .any(|nal| matches!(nal_type(nal), NAL_SLICE | NAL_IDR) && (nal[0] >> 5) & 3 != 0)
}

/// Reads the video packets of `seg` (of clip `clip`, for messages).
pub fn read(clip: usize, seg: &SegmentInput) -> Result<SegmentVideo, MediaError> {
    let bad = |detail: String| MediaError::BadSegment {
        clip,
        uri: seg.uri.clone(),
        detail,
    };
    if let Err(e) = std::fs::metadata(&seg.path) {
        return Err(MediaError::SegmentMissing {
            clip,
            uri: seg.uri.clone(),
            path: seg.path.clone(),
            detail: e.to_string(),
        });
    }
    let mut demuxer = input::open_segment(&seg.path)
        .map_err(|e| bad(format!("cannot be opened as MPEG-TS: {e}")))?;
    let mut video: Option<(usize, ffmpeg_next::Rational, codec::Parameters)> = None;
    let mut packets = Vec::new();
    let mut parameter_sets = ParameterSets::default();
    let mut unwrapper = Unwrapper::default();
    let mut skipped = 0u32;
    loop {
        let mut packet = match input::next_packet(&mut demuxer, &mut skipped) {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(e) => return Err(bad(format!("demuxing failed: {e}"))),
        };
        // Streams can appear while reading (no stream probing), so the
        // video stream is chosen at its first packet.
        if video.is_none()
            && let Some(st) = demuxer.stream(packet.stream())
            && st.parameters().medium() == media::Type::Video
        {
            let par = st.parameters();
            if par.id() != Id::H264 {
                return Err(MediaError::Unsupported {
                    clip: Some(clip),
                    what: format!(
                        "segment {}: video codec {:?} (only H.264 is implemented)",
                        seg.uri,
                        par.id()
                    ),
                });
            }
            video = Some((packet.stream(), st.time_base(), par));
        }
        let Some((stream, time_base, _)) = &video else {
            continue;
        };
        if packet.stream() != *stream {
            continue;
        }
        if *time_base != ts_time_base() {
            packet.rescale_ts(*time_base, ts_time_base());
        }
        let Some(raw_pts) = packet.pts().or(packet.dts()) else {
            return Err(bad("a video packet has no timestamp".into()));
        };
        // Same order as the cutter's reader, so both see the same line.
        let dts = unwrapper.unwrap(packet.dts().unwrap_or(raw_pts));
        let pts = unwrapper.unwrap(raw_pts);
        packet.set_pts(Some(pts));
        packet.set_dts(Some(dts));
        let data = packet.data().unwrap_or(&[]);
        let idr = nal_units(data).iter().any(|n| nal_type(n) == NAL_IDR);
        let reference = is_reference(data);
        for nal in nal_units(data) {
            // A clash is the cutter's problem, not the cover's; see above.
            let _ = parameter_sets.add(nal);
        }
        packets.push(VideoPacket {
            packet,
            pts,
            idr,
            reference,
        });
    }
    match video {
        Some((_, _, parameters)) if !packets.is_empty() => Ok(SegmentVideo {
            packets,
            parameters,
            parameter_sets,
        }),
        _ => Err(bad("contains no H.264 video".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_flag_follows_nal_ref_idc() {
        // nal_ref_idc 0, type 1: a disposable B/P slice.
        assert!(!is_reference(&[0, 0, 1, 0x01, 0x88]));
        // nal_ref_idc 2, type 1.
        assert!(is_reference(&[0, 0, 1, 0x41, 0x88]));
        // IDR slice (always a reference), after an AUD and SEI.
        assert!(is_reference(&[
            0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x06, 0x05, 0, 0, 1, 0x65, 0x88
        ]));
        // Parameter sets alone carry no picture.
        assert!(!is_reference(&[0, 0, 1, 0x67, 0x64, 0, 0, 1, 0x68, 0xee]));
    }

    #[test]
    fn a_missing_file_is_reported_as_missing() {
        let seg = SegmentInput {
            path: "/nonexistent/livecut/seg9.ts".into(),
            uri: "seg9.ts".into(),
            sequence: 9,
            utc_start_us: 0,
            duration_us: 2_000_000,
            discontinuity: false,
        };
        let err = read(4, &seg).err().expect("missing");
        assert!(
            matches!(err, MediaError::SegmentMissing { clip: 4, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("seg9.ts"), "{err}");
    }
}
