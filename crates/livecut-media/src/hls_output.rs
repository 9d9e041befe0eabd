//! HLS VOD output: a finished MP4 remuxed, without re-encoding, into MPEG-TS segments and a
//! playlist, for outputs whose MediaURL ends in `.m3u8`. libavformat's `hls` muxer cuts at
//! keyframes and converts the `avcC` (with every parameter set) and raw AAC to Annex B and ADTS.

use std::path::{Path, PathBuf};

use ffmpeg_next::{Dictionary, Rational, codec, encoder, format, media};

use crate::MediaError;
use crate::av::params;
use crate::error::Cause;

/// What `remux_to_hls` wrote, all inside one folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HlsOutput {
    pub playlist: PathBuf,
    /// In playlist order; each named `<segment_prefix>NNNNN.ts`.
    pub segments: Vec<PathBuf>,
}

/// Remuxes `mp4` into `dir/playlist_name` plus `dir/<segment_prefix>NNNNN.ts` segments of about
/// `target_seconds` each (cut at the next keyframe). The playlist names its segments relative to
/// itself, so the folder can be published anywhere as a unit.
pub fn remux_to_hls(
    mp4: &Path,
    dir: &Path,
    playlist_name: &str,
    segment_prefix: &str,
    target_seconds: u32,
) -> Result<HlsOutput, MediaError> {
    crate::av::init()?;
    let playlist = dir.join(playlist_name);
    let failed = |cause: Cause| MediaError::Output {
        path: playlist.clone(),
        cause,
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(Cause::io("cannot create the folder", e)))?;
    let mut input = format::input(&mp4)
        .map_err(|e| failed(Cause::libav(format!("cannot reopen {}", mp4.display()), e)))?;
    let mut output = format::output_as(&playlist, "hls")
        .map_err(|e| failed(Cause::libav("cannot start the HLS muxer", e)))?;
    let mut mapping: Vec<Option<(usize, Rational)>> = vec![None; input.nb_streams() as usize];
    for (index, stream) in input.streams().enumerate() {
        let medium = stream.parameters().medium();
        if medium != media::Type::Video && medium != media::Type::Audio {
            continue;
        }
        let mut out = output
            .add_stream(encoder::find(codec::Id::None))
            .map_err(|e| failed(Cause::libav("cannot add a stream", e)))?;
        out.set_parameters(stream.parameters());
        // MP4 tags (avc1, mp4a) mean nothing to MPEG-TS and would make the muxer refuse the
        // stream.
        params::set_tag(&mut out.parameters(), 0);
        mapping[index] = Some((out.index(), stream.time_base()));
    }
    let segment_pattern = dir.join(format!("{segment_prefix}%05d.ts"));
    let mut options = Dictionary::new();
    options.set("hls_time", &target_seconds.max(1).to_string());
    options.set("hls_playlist_type", "vod");
    options.set("hls_list_size", "0");
    options.set("hls_segment_filename", &segment_pattern.to_string_lossy());
    output
        .write_header_with(options)
        .map_err(|e| failed(Cause::libav("cannot write the HLS header", e)))?;
    for (stream, mut packet) in input.packets() {
        let Some((out_index, in_base)) = mapping[stream.index()] else {
            continue;
        };
        let out_base = output
            .stream(out_index)
            .map(|s| s.time_base())
            .ok_or_else(|| failed("an output stream vanished".into()))?;
        packet.rescale_ts(in_base, out_base);
        packet.set_position(-1);
        packet.set_stream(out_index);
        packet
            .write_interleaved(&mut output)
            .map_err(|e| failed(Cause::libav("cannot write a segment", e)))?;
    }
    output
        .write_trailer()
        .map_err(|e| failed(Cause::libav("cannot finish the playlist", e)))?;
    let text = std::fs::read_to_string(&playlist)
        .map_err(|e| failed(Cause::io("cannot read back the playlist", e)))?;
    let segments = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| dir.join(l))
        .collect();
    Ok(HlsOutput { playlist, segments })
}
