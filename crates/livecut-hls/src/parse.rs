//! Reading a media playlist line by line.

use crate::error::HlsError;
use crate::playlist::{MapSection, MediaPlaylist, PlaylistType, Segment};
use crate::values;

/// Tags that only appear in master (multivariant) playlists.
const MASTER_TAGS: [&str; 5] = [
    "EXT-X-STREAM-INF",
    "EXT-X-I-FRAME-STREAM-INF",
    "EXT-X-MEDIA",
    "EXT-X-SESSION-DATA",
    "EXT-X-SESSION-KEY",
];

/// Parses the text of a media playlist.
///
/// Tolerated: a UTF-8 BOM, CRLF line endings, blank lines, comments, unknown tags
/// (LL-HLS parts, `EXT-X-INDEPENDENT-SEGMENTS`, vendor tags), and an unfinished last entry
/// (`#EXTINF` whose URI line is not written yet) in a playlist that is still growing.
/// fMP4 segments get the `#EXT-X-MAP` in force where they are listed (a later `#EXT-X-MAP`,
/// usually after a discontinuity, replaces it for the segments after it).
/// Refused with the line number: master playlists, encryption, malformed values, a URI without `#EXTINF`, anything after `#EXT-X-ENDLIST`.
pub fn parse_media_playlist(text: &str) -> Result<MediaPlaylist, HlsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty());
    match lines.next() {
        Some((_, "#EXTM3U")) => {}
        _ => return Err(HlsError::NotAPlaylist),
    }
    let mut state = State::default();
    for (line_no, line) in lines {
        if let Some(tag) = line.strip_prefix('#') {
            if tag.starts_with("EXT") {
                state.tag(line_no, tag)?;
            }
        } else {
            state.uri(line_no, line)?;
        }
    }
    state.finish()
}

/// Attaches the line and tag name to a value error.
fn tag_value<T>(line: usize, name: &str, parsed: Result<T, String>) -> Result<T, HlsError> {
    parsed.map_err(|message| HlsError::malformed(line, format!("#{name}: {message}")))
}

#[derive(Default)]
struct Pending {
    /// Duration and the line it was written on.
    extinf: Option<(i64, usize)>,
    program_date_time_us: Option<i64>,
    discontinuity: bool,
    gap: bool,
    byte_range: Option<(u64, Option<u64>)>,
}

#[derive(Default)]
struct State {
    target_duration_s: Option<u64>,
    media_sequence: u64,
    discontinuity_sequence: u64,
    playlist_type: Option<PlaylistType>,
    ended_on_line: Option<usize>,
    segments: Vec<Segment>,
    pending: Pending,
    /// The latest `#EXT-X-MAP`: it applies to every segment after it.
    map: Option<MapSection>,
}

impl State {
    fn segments_started(&self) -> bool {
        !self.segments.is_empty() || self.pending.extinf.is_some()
    }

    fn refuse_after_end(&self, line: usize, what: &str) -> Result<(), HlsError> {
        match self.ended_on_line {
            Some(end) => Err(HlsError::malformed(
                line,
                format!("{what} after #EXT-X-ENDLIST on line {end}"),
            )),
            None => Ok(()),
        }
    }

    fn tag(&mut self, line: usize, tag: &str) -> Result<(), HlsError> {
        let (name, value) = tag.split_once(':').unwrap_or((tag, ""));
        if MASTER_TAGS.contains(&name) {
            return Err(HlsError::MasterPlaylist {
                line,
                tag: format!("#{name}"),
            });
        }
        match name {
            "EXTINF" => {
                self.refuse_after_end(line, "#EXTINF")?;
                if let Some((_, previous)) = self.pending.extinf {
                    return Err(HlsError::malformed(
                        line,
                        format!(
                            "#EXTINF follows the #EXTINF on line {previous} without a URI between them"
                        ),
                    ));
                }
                // The title after the comma is free text and not needed.
                let duration = value.split_once(',').map_or(value, |(d, _)| d);
                self.pending.extinf = Some((
                    tag_value(line, name, values::seconds_to_us(duration))?,
                    line,
                ));
            }
            "EXT-X-TARGETDURATION" => {
                let us = tag_value(line, name, values::seconds_to_us(value))?;
                // The tag is an integer by spec; round a decimal one up, as players do.
                let whole = us / 1_000_000 + i64::from(us % 1_000_000 != 0);
                self.target_duration_s = Some(whole.unsigned_abs());
            }
            "EXT-X-MEDIA-SEQUENCE" => {
                if self.segments_started() {
                    return Err(HlsError::malformed(
                        line,
                        "#EXT-X-MEDIA-SEQUENCE after the first segment",
                    ));
                }
                self.media_sequence = tag_value(line, name, values::integer(value))?;
            }
            "EXT-X-DISCONTINUITY-SEQUENCE" => {
                self.discontinuity_sequence = tag_value(line, name, values::integer(value))?;
            }
            "EXT-X-PLAYLIST-TYPE" => {
                self.playlist_type = Some(match value.trim() {
                    "EVENT" => PlaylistType::Event,
                    "VOD" => PlaylistType::Vod,
                    other => {
                        return Err(HlsError::malformed(
                            line,
                            format!("#EXT-X-PLAYLIST-TYPE {other:?} is neither EVENT nor VOD"),
                        ));
                    }
                });
            }
            "EXT-X-ENDLIST" => self.ended_on_line = Some(line),
            "EXT-X-PROGRAM-DATE-TIME" => {
                self.pending.program_date_time_us =
                    Some(tag_value(line, name, values::date_time_to_us(value))?);
            }
            "EXT-X-DISCONTINUITY" => self.pending.discontinuity = true,
            "EXT-X-GAP" => self.pending.gap = true,
            "EXT-X-BYTERANGE" => {
                self.pending.byte_range = Some(tag_value(line, name, values::byte_range(value))?);
            }
            "EXT-X-KEY" => match values::attribute(value, "METHOD") {
                Some("NONE") => {}
                Some(method) => {
                    return Err(HlsError::NotSupported {
                        line,
                        what: format!("encrypted segments (#EXT-X-KEY METHOD={method})"),
                    });
                }
                None => return Err(HlsError::malformed(line, "#EXT-X-KEY without METHOD")),
            },
            "EXT-X-MAP" => {
                self.refuse_after_end(line, "#EXT-X-MAP")?;
                let Some(uri) = values::attribute(value, "URI").filter(|u| !u.trim().is_empty())
                else {
                    return Err(HlsError::malformed(line, "#EXT-X-MAP without a URI"));
                };
                let byte_range = values::attribute(value, "BYTERANGE")
                    .map(|r| tag_value(line, name, values::byte_range(r)))
                    .transpose()?;
                self.map = Some(MapSection {
                    uri: uri.trim().to_owned(),
                    byte_range,
                });
            }
            // Everything else (EXT-X-VERSION, LL-HLS parts and hints, vendor tags) says
            // nothing about which media plays when.
            _ => {}
        }
        Ok(())
    }

    fn uri(&mut self, line: usize, uri: &str) -> Result<(), HlsError> {
        self.refuse_after_end(line, "a segment URI")?;
        let pending = std::mem::take(&mut self.pending);
        let Some((duration_us, _)) = pending.extinf else {
            return Err(HlsError::malformed(
                line,
                format!("URI {uri:?} has no #EXTINF before it"),
            ));
        };
        let sequence = u64::try_from(self.segments.len())
            .ok()
            .and_then(|index| self.media_sequence.checked_add(index))
            .ok_or_else(|| HlsError::malformed(line, "media sequence number overflows"))?;
        self.segments.push(Segment {
            uri: uri.to_owned(),
            sequence,
            duration_us,
            program_date_time_us: pending.program_date_time_us,
            discontinuity: pending.discontinuity,
            gap: pending.gap,
            byte_range: pending.byte_range,
            map: self.map.clone(),
        });
        Ok(())
    }

    fn finish(self) -> Result<MediaPlaylist, HlsError> {
        // A trailing #EXTINF without its URI is the recorder mid-write; the segment will
        // appear when the playlist is read again, so it is dropped rather than refused.
        Ok(MediaPlaylist {
            target_duration_s: self.target_duration_s.ok_or(HlsError::MissingTag {
                tag: "#EXT-X-TARGETDURATION",
            })?,
            media_sequence: self.media_sequence,
            discontinuity_sequence: self.discontinuity_sequence,
            playlist_type: self.playlist_type,
            ended: self.ended_on_line.is_some(),
            segments: self.segments,
        })
    }
}

#[cfg(test)]
mod tests;
