//! Demuxes the video packets of one segment, without decoding, with their
//! timestamps in 90 kHz ticks unwrapped onto a line of the segment's own;
//! `locate` moves them onto their run's line.

use ffmpeg_next::codec;
use ffmpeg_next::{Packet, media};

use crate::av::segment::{self, Reading};
use crate::av::ts_time_base;
use crate::bitstream::access_unit;
use crate::bitstream::parameter_sets::ParameterSets;
use crate::bitstream::{h264, hevc};
use crate::codec::VideoCodec;
use crate::error::Cause;
use crate::timeline::Unwrapper;
use crate::{MediaError, SegmentInput};

/// One video access unit.
pub struct VideoPacket {
    /// The packet, pts/dts set to `pts`/`dts` below.
    pub packet: Packet,
    pub pts: i64,
    /// Decoding can start here (IDR, CRA/BLA, H.264 recovery point).
    pub keyframe: bool,
    /// Some slice may be referenced by later frames.
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
fn is_reference(codec: VideoCodec, data: &[u8]) -> bool {
    h264::nals(data).any(|nal| match codec {
        VideoCodec::H264 => {
            matches!(h264::nal_type(nal), h264::NAL_SLICE | h264::NAL_IDR) && (nal[0] >> 5) & 3 != 0
        }
        VideoCodec::Hevc => {
            // Sub-layer non-reference pictures have the even slice types
            // below 16 (TRAIL_N, TSA_N, STSA_N, RADL_N, RASL_N, ...).
            let t = hevc::nal_type(nal);
            hevc::is_slice(t) && !(t < 16 && t.is_multiple_of(2))
        }
    })
}

/// Reads the video packets of `seg` (of clip `clip`, for messages).
pub fn read(clip: usize, seg: &SegmentInput) -> Result<SegmentVideo, MediaError> {
    let bad = |cause: Cause| MediaError::BadSegment {
        clip,
        uri: seg.uri.clone(),
        cause,
    };
    if let Err(e) = crate::fetch::ready(seg) {
        return Err(MediaError::SegmentMissing {
            clip,
            uri: seg.uri.clone(),
            source: e,
        });
    }
    let mut demuxer = segment::open_segment(seg, Reading::Parsed).map_err(bad)?;
    let mut video: Option<(usize, ffmpeg_next::Rational, codec::Parameters, VideoCodec)> = None;
    let mut packets = Vec::new();
    let mut parameter_sets: Option<ParameterSets> = None;
    let mut unwrapper = Unwrapper::default();
    let mut skipped = 0u32;
    loop {
        let mut packet = match demuxer.next_packet(&mut skipped) {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(cause) => return Err(bad(cause)),
        };
        // Streams can appear while reading (no stream probing), so the
        // video stream is chosen at its first packet.
        if video.is_none()
            && let Some(st) = demuxer.stream(packet.stream())
            && st.parameters().medium() == media::Type::Video
        {
            let par = st.parameters();
            let Some(codec) = VideoCodec::from_id(par.id()) else {
                return Err(MediaError::Unsupported {
                    clip: Some(clip),
                    what: format!(
                        "segment {}: video codec {:?} (H.264 and HEVC are implemented)",
                        seg.uri,
                        par.id()
                    ),
                });
            };
            video = Some((packet.stream(), st.time_base(), par, codec));
        }
        let Some((stream, time_base, _, codec)) = &video else {
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
        let codec = *codec;
        let data = packet.data().unwrap_or(&[]);
        let keyframe = access_unit::is_keyframe(codec, data);
        let reference = is_reference(codec, data);
        let sets = parameter_sets.get_or_insert_with(|| ParameterSets::new(codec));
        for nal in h264::nals(data) {
            // A clash is the cutter's problem, not the cover's; see above.
            let _ = sets.add(nal);
        }
        packets.push(VideoPacket {
            packet,
            pts,
            keyframe,
            reference,
        });
    }
    match (video, parameter_sets) {
        (Some((_, _, parameters, _)), Some(parameter_sets)) if !packets.is_empty() => {
            Ok(SegmentVideo {
                packets,
                parameters,
                parameter_sets,
            })
        }
        _ => Err(bad("contains no video".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_flag_follows_nal_ref_idc() {
        use VideoCodec::H264;
        // nal_ref_idc 0, type 1: a disposable B/P slice.
        assert!(!is_reference(H264, &[0, 0, 1, 0x01, 0x88]));
        // nal_ref_idc 2, type 1.
        assert!(is_reference(H264, &[0, 0, 1, 0x41, 0x88]));
        // IDR slice (always a reference), after an AUD and SEI.
        assert!(is_reference(
            H264,
            &[
                0, 0, 0, 1, 0x09, 0xf0, 0, 0, 1, 0x06, 0x05, 0, 0, 1, 0x65, 0x88
            ]
        ));
        // Parameter sets alone carry no picture.
        assert!(!is_reference(
            H264,
            &[0, 0, 1, 0x67, 0x64, 0, 0, 1, 0x68, 0xee]
        ));
    }

    #[test]
    fn hevc_sub_layer_non_reference_pictures_are_not_references() {
        use VideoCodec::Hevc;
        // TRAIL_N (0) and RASL_N (8) are not references; TRAIL_R (1) and a
        // CRA (21) are.
        assert!(!is_reference(Hevc, &[0, 0, 1, 0x00, 0x01, 0xaf]));
        assert!(!is_reference(Hevc, &[0, 0, 1, 0x10, 0x01, 0xaf]));
        assert!(is_reference(Hevc, &[0, 0, 1, 0x02, 0x01, 0xaf]));
        assert!(is_reference(Hevc, &[0, 0, 1, 0x2a, 0x01, 0xaf]));
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
            lookahead: false,
            init: None,
        };
        let err = read(4, &seg).err().expect("missing");
        assert!(
            matches!(err, MediaError::SegmentMissing { clip: 4, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("seg9.ts"), "{err}");
    }
}
