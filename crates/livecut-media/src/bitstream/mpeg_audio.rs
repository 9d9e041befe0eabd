//! MPEG audio layer III (MP3) frame headers, as MPEG-TS carries them: one
//! PES payload holds one or more whole frames, each starting with a 4-byte
//! header that alone gives its length. Copying needs no more than that:
//! an MP4 `mp3` sample entry is described by the codec, the sample rate and
//! the channel count.
//!
//! A layer III frame's main data may begin in the frames before it (the
//! *bit reservoir*, `main_data_begin` bytes back). `reservoir_reach` tells
//! how far, so that a copier knows when a frame needs bytes it did not
//! copy. Such a frame can be made whole (`self_contained`: the same frame
//! at a higher bit rate, the missing bytes inside it) or, failing that,
//! silent (`mute`).

/// Bit rates of layer III in kbit/s by index (0 is "free format", 15 is
/// forbidden): MPEG-1, then MPEG-2 and 2.5.
const BITRATES_V1: [u32; 15] = [
    0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
];
const BITRATES_V2: [u32; 15] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

/// Sample rates by index, for MPEG-1; MPEG-2 halves them, MPEG-2.5
/// quarters them.
const SAMPLE_RATES_V1: [u32; 3] = [44_100, 48_000, 32_000];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    Mpeg1,
    Mpeg2,
    Mpeg25,
}

/// What every frame of one stream shares, and what an `mp3` sample entry
/// is made of. The bit rate, padding and stereo mode may change from frame
/// to frame and are not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mp3Config {
    pub version: Version,
    pub sample_rate: u32,
    /// 1 (mono) or 2 (stereo, joint stereo, dual channel).
    pub channels: u8,
}

impl Mp3Config {
    /// Samples per channel in one frame: 1152 for MPEG-1, 576 for MPEG-2
    /// and 2.5.
    pub fn samples_per_frame(&self) -> u32 {
        match self.version {
            Version::Mpeg1 => 1152,
            Version::Mpeg2 | Version::Mpeg25 => 576,
        }
    }

    /// Bytes of side information after the header (and its CRC).
    fn side_info_len(&self) -> usize {
        match (self.version, self.channels) {
            (Version::Mpeg1, 1) => 17,
            (Version::Mpeg1, _) => 32,
            (_, 1) => 9,
            (_, _) => 17,
        }
    }
}

/// One frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mp3Frame {
    pub config: Mp3Config,
    pub bitrate_kbps: u32,
    pub padding: bool,
    /// A 16-bit CRC follows the header.
    pub crc: bool,
    /// Whole frame length, header included.
    pub frame_len: usize,
}

impl Mp3Frame {
    /// Offset of the side information.
    fn side_info_at(&self) -> usize {
        if self.crc { 6 } else { 4 }
    }

    /// Bytes of the frame after its header, CRC and side information: the
    /// main data area, which later frames may use as their reservoir.
    pub fn main_data_len(&self) -> usize {
        self.frame_len
            .saturating_sub(self.side_info_at() + self.config.side_info_len())
    }
}

/// Parses the layer III header at the start of `data`. `None` for anything
/// else: no sync word, another layer, reserved or free-format values.
pub fn parse_frame(data: &[u8]) -> Option<Mp3Frame> {
    let h = data.get(..4)?;
    if h[0] != 0xFF || h[1] & 0xE0 != 0xE0 {
        return None;
    }
    let version = match (h[1] >> 3) & 3 {
        0 => Version::Mpeg25,
        2 => Version::Mpeg2,
        3 => Version::Mpeg1,
        _ => return None,
    };
    if (h[1] >> 1) & 3 != 1 {
        return None; // not layer III
    }
    let crc = h[1] & 1 == 0;
    let bitrate_index = usize::from(h[2] >> 4);
    let rate_index = usize::from((h[2] >> 2) & 3);
    let padding = (h[2] >> 1) & 1 == 1;
    let channels = if h[3] >> 6 == 3 { 1 } else { 2 };
    let bitrates = match version {
        Version::Mpeg1 => &BITRATES_V1,
        _ => &BITRATES_V2,
    };
    let bitrate_kbps = *bitrates.get(bitrate_index).filter(|&&b| b > 0)?;
    let sample_rate = SAMPLE_RATES_V1.get(rate_index)?
        / match version {
            Version::Mpeg1 => 1,
            Version::Mpeg2 => 2,
            Version::Mpeg25 => 4,
        };
    let frame_len = frame_len(version, bitrate_kbps, sample_rate, padding);
    Some(Mp3Frame {
        config: Mp3Config {
            version,
            sample_rate,
            channels,
        },
        bitrate_kbps,
        padding,
        crc,
        frame_len,
    })
}

/// The length of a layer III frame.
fn frame_len(version: Version, bitrate_kbps: u32, sample_rate: u32, padding: bool) -> usize {
    // Samples / 8 bytes per bit of rate per sample.
    let per_bit = match version {
        Version::Mpeg1 => 144,
        _ => 72,
    };
    (per_bit * bitrate_kbps * 1000 / sample_rate) as usize + usize::from(padding)
}

/// The largest `main_data_begin`: 9 bits in MPEG-1, 8 in MPEG-2 and 2.5.
pub fn max_reach(version: Version) -> usize {
    match version {
        Version::Mpeg1 => 511,
        _ => 255,
    }
}

/// Splits a PES payload of whole frames into `(frame, bytes)` pairs, the
/// bytes including the header (an MP4 `mp3` sample is the whole frame).
/// `None` if the payload is not clean layer III frames.
pub fn split_frames(mut data: &[u8]) -> Option<Vec<(Mp3Frame, &[u8])>> {
    let mut frames = Vec::new();
    while !data.is_empty() {
        let frame = parse_frame(data)?;
        let whole = data.get(..frame.frame_len)?;
        frames.push((frame, whole));
        data = &data[frame.frame_len..];
    }
    Some(frames)
}

/// How many bytes before the frame its main data begins
/// (`main_data_begin`): they lie in the main data areas of the frames
/// before it. `None` if the frame is too short to hold its side info.
pub fn reservoir_reach(frame: &Mp3Frame, bytes: &[u8]) -> Option<usize> {
    let at = frame.side_info_at();
    let side = bytes.get(at..at + frame.config.side_info_len())?;
    Some(match frame.config.version {
        // 9 bits.
        Version::Mpeg1 => (usize::from(side[0]) << 1) | usize::from(side[1] >> 7),
        // 8 bits.
        _ => usize::from(side[0]),
    })
}

/// Sets the frame's `main_data_begin` to `reach`; `false` (and nothing
/// changed) if it does not fit the field or the frame is too short.
pub fn set_reservoir_reach(frame: &Mp3Frame, bytes: &mut [u8], reach: usize) -> bool {
    let at = frame.side_info_at();
    if reach > max_reach(frame.config.version) || bytes.len() < at + 2 {
        return false;
    }
    match frame.config.version {
        Version::Mpeg1 => {
            bytes[at] = (reach >> 1) as u8;
            bytes[at + 1] = (bytes[at + 1] & 0x7F) | (((reach & 1) as u8) << 7);
        }
        _ => bytes[at] = reach as u8,
    }
    update_crc(frame, bytes);
    true
}

/// The frame `bytes` made independent of the frames before it:
/// `reservoir` (its `main_data_begin` bytes, the end of the main data
/// before it) moves into its own main data area, which therefore grows:
/// the frame is rewritten at the smallest bit rate (same version, rate and
/// channels) that holds it, `main_data_begin` 0. Returns the new frame and
/// the filler bytes left at the end of its main data area (frames after it
/// that reach back into this frame must reach that much further; see
/// `set_reservoir_reach`). `None` if no bit rate is large enough.
pub fn self_contained(
    frame: &Mp3Frame,
    bytes: &[u8],
    reservoir: &[u8],
) -> Option<(Vec<u8>, usize)> {
    let head = frame.side_info_at() + frame.config.side_info_len();
    if bytes.len() < head || bytes.len() < 4 {
        return None;
    }
    let needed = bytes.len() + reservoir.len();
    let bitrates = match frame.config.version {
        Version::Mpeg1 => &BITRATES_V1,
        _ => &BITRATES_V2,
    };
    let (index, padding, len) = (1..bitrates.len())
        .flat_map(|i| [(i, false), (i, true)])
        .map(|(i, padding)| {
            let len = frame_len(
                frame.config.version,
                bitrates[i],
                frame.config.sample_rate,
                padding,
            );
            (i, padding, len)
        })
        .find(|&(_, _, len)| len >= needed)?;
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(&bytes[..head]);
    // Bit rate index and padding bit; sample rate and private bit kept.
    out[2] = ((index as u8) << 4) | (bytes[2] & 0x0D) | (u8::from(padding) << 1);
    out.extend_from_slice(reservoir);
    out.extend_from_slice(&bytes[head..]);
    out.resize(len, 0);
    let rewritten = parse_frame(&out)?;
    if !set_reservoir_reach(&rewritten, &mut out, 0) {
        return None;
    }
    Some((out, len - needed))
}

/// Turns a frame into a silent one of the same length: its side
/// information becomes all zeros (no main data begins before it, and every
/// granule codes nothing), so it decodes without the reservoir bytes it
/// referenced. Its main data area is left as it was, so the frames after
/// it still find their reservoir there. Returns `false` (and changes
/// nothing) if `bytes` is too short.
pub fn mute(frame: &Mp3Frame, bytes: &mut [u8]) -> bool {
    let at = frame.side_info_at();
    let Some(side) = bytes.get_mut(at..at + frame.config.side_info_len()) else {
        return false;
    };
    side.fill(0);
    update_crc(frame, bytes);
    true
}

/// The CRC-16 of MPEG audio: polynomial 0x8005, initial value 0xFFFF,
/// most significant bit first.
fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x8005
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// Writes the CRC of a protected frame again after its header or side
/// information changed: for layer III it covers the header's last two
/// bytes and the side information.
fn update_crc(frame: &Mp3Frame, bytes: &mut [u8]) {
    let end = 6 + frame.config.side_info_len();
    if !frame.crc || bytes.len() < end {
        return;
    }
    let covered = [&bytes[2..4], &bytes[6..end]].concat();
    bytes[4..6].copy_from_slice(&crc16(&covered).to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header: MPEG-1 layer III, no CRC, 128 kbit/s, 48 kHz, stereo.
    const V1_128_48_STEREO: [u8; 4] = [0xFF, 0xFB, 0x94, 0x00];

    fn frame(header: [u8; 4]) -> Vec<u8> {
        let len = parse_frame(&header).expect("header").frame_len;
        let mut data = header.to_vec();
        data.resize(len, 0x55);
        data
    }

    #[test]
    fn parses_mpeg1_layer3() {
        let f = parse_frame(&V1_128_48_STEREO).expect("MP3");
        assert_eq!(f.config.version, Version::Mpeg1);
        assert_eq!((f.config.sample_rate, f.config.channels), (48_000, 2));
        assert_eq!(f.config.samples_per_frame(), 1152);
        assert_eq!((f.bitrate_kbps, f.padding, f.crc), (128, false, false));
        // 144 * 128000 / 48000.
        assert_eq!(f.frame_len, 384);
        assert_eq!(f.main_data_len(), 384 - 4 - 32);
        // Padded, 44.1 kHz: 144 * 128000 / 44100 = 417, plus one.
        let f = parse_frame(&[0xFF, 0xFB, 0x92, 0x00]).expect("MP3");
        assert_eq!(
            (f.config.sample_rate, f.frame_len, f.padding),
            (44_100, 418, true)
        );
    }

    #[test]
    fn parses_mpeg2_and_25_mono_with_crc() {
        // MPEG-2 layer III with CRC, 64 kbit/s (index 8), 24 kHz, mono.
        let f = parse_frame(&[0xFF, 0xF2, 0x84, 0xC0]).expect("MP3");
        assert_eq!(f.config.version, Version::Mpeg2);
        assert_eq!((f.config.sample_rate, f.config.channels), (24_000, 1));
        assert_eq!(f.config.samples_per_frame(), 576);
        assert!(f.crc);
        assert_eq!(f.frame_len, 72 * 64_000 / 24_000);
        assert_eq!(f.main_data_len(), f.frame_len - 6 - 9);
        // MPEG-2.5, 8 kHz (index 2), 8 kbit/s (index 1).
        let f = parse_frame(&[0xFF, 0xE3, 0x18, 0x00]).expect("MP3");
        assert_eq!(
            (f.config.version, f.config.sample_rate),
            (Version::Mpeg25, 8_000)
        );
        assert_eq!(f.frame_len, 72);
    }

    #[test]
    fn rejects_other_layers_and_reserved_values() {
        assert_eq!(parse_frame(&[0xFF, 0xFD, 0x94, 0x00]), None, "layer II");
        assert_eq!(parse_frame(&[0xFF, 0xF1, 0x50, 0x80]), None, "ADTS");
        assert_eq!(parse_frame(&[0xFF, 0xEB, 0x94, 0x00]), None, "version 01");
        assert_eq!(parse_frame(&[0xFF, 0xFB, 0x04, 0x00]), None, "free format");
        assert_eq!(parse_frame(&[0xFF, 0xFB, 0xF4, 0x00]), None, "bit rate 15");
        assert_eq!(parse_frame(&[0xFF, 0xFB, 0x9C, 0x00]), None, "rate 3");
        assert_eq!(parse_frame(&[0xFF, 0xFB]), None, "truncated");
    }

    #[test]
    fn splits_whole_frames_and_refuses_truncation() {
        let one = frame(V1_128_48_STEREO);
        let data = [one.clone(), one.clone()].concat();
        let frames = split_frames(&data).expect("two frames");
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1].1, &one[..]);
        assert_eq!(split_frames(&data[..500]), None);
        assert_eq!(split_frames(&[]), Some(vec![]));
    }

    #[test]
    fn reads_and_clears_the_reservoir_reach() {
        let mut data = frame(V1_128_48_STEREO);
        // main_data_begin = 300 = 0b1_0010_1100: 9 bits.
        data[4] = 0x96;
        data[5] = 0x7F;
        let f = parse_frame(&data).expect("MP3");
        assert_eq!(reservoir_reach(&f, &data), Some(300));
        assert!(mute(&f, &mut data));
        assert_eq!(reservoir_reach(&f, &data), Some(0));
        assert!(data[4..36].iter().all(|&b| b == 0));
        assert_eq!(data[36], 0x55, "main data untouched");
        // MPEG-2: 8 bits.
        let mut data = frame([0xFF, 0xF3, 0x84, 0xC0]);
        data[4] = 200;
        let f = parse_frame(&data).expect("MP3");
        assert_eq!(reservoir_reach(&f, &data), Some(200));
        assert!(!mute(&f, &mut data[..8]));
    }

    #[test]
    fn a_frame_takes_its_reservoir_in_at_a_higher_bit_rate() {
        let mut data = frame(V1_128_48_STEREO);
        // main_data_begin = 100.
        data[4] = 50;
        data[5] = 0x00;
        for (i, b) in data.iter_mut().enumerate().skip(36) {
            *b = i as u8;
        }
        let f = parse_frame(&data).expect("MP3");
        let reservoir = [0xAB; 100];
        let (whole, filler) = self_contained(&f, &data, &reservoir).expect("fits");
        let w = parse_frame(&whole).expect("still MP3");
        // 484 bytes needed: 160 kbit/s gives 480, 160 padded 481, 192 576.
        assert_eq!((w.bitrate_kbps, w.padding, w.frame_len), (192, false, 576));
        assert_eq!(filler, 576 - 484);
        assert_eq!(w.config, f.config);
        assert_eq!(reservoir_reach(&w, &whole), Some(0));
        assert_eq!(&whole[36..136], &reservoir[..]);
        assert_eq!(&whole[136..484], &data[36..]);
        assert!(whole[484..].iter().all(|&b| b == 0));
        // The rest of the side info is the frame's own.
        assert_eq!(whole[5] & 0x7F, data[5] & 0x7F);
        assert_eq!(&whole[6..36], &data[6..36]);
        // Too much for 320 kbit/s (960 bytes).
        assert_eq!(self_contained(&f, &data, &[0; 600]), None);
    }

    #[test]
    fn crc_is_mpeg_audio_crc16_and_kept_up_to_date() {
        // The check value of CRC-16 with polynomial 0x8005, initial 0xFFFF,
        // no reflection (CRC-16/CMS).
        assert_eq!(crc16(b"123456789"), 0xAEE7);
        // MPEG-2 mono with CRC: side info at 6..15.
        let mut data = frame([0xFF, 0xF2, 0x84, 0xC0]);
        data[6] = 200;
        let f = parse_frame(&data).expect("MP3");
        assert!(set_reservoir_reach(&f, &mut data, 100));
        assert_eq!(reservoir_reach(&f, &data), Some(100));
        let stored = u16::from_be_bytes([data[4], data[5]]);
        assert_eq!(stored, crc16(&[&data[2..4], &data[6..15]].concat()));
        assert!(mute(&f, &mut data));
        let stored = u16::from_be_bytes([data[4], data[5]]);
        assert_eq!(stored, crc16(&[&data[2..4], &[0u8; 9][..]].concat()));
    }

    #[test]
    fn reservoir_reach_is_written_back() {
        let mut data = frame(V1_128_48_STEREO);
        data[5] = 0x7F;
        let f = parse_frame(&data).expect("MP3");
        assert!(set_reservoir_reach(&f, &mut data, 301));
        assert_eq!(reservoir_reach(&f, &data), Some(301));
        assert_eq!(data[5] & 0x7F, 0x7F, "private bits kept");
        assert!(!set_reservoir_reach(&f, &mut data, 512));
        let mut data = frame([0xFF, 0xF3, 0x84, 0xC0]);
        let f = parse_frame(&data).expect("MP3");
        assert!(set_reservoir_reach(&f, &mut data, 255));
        assert!(!set_reservoir_reach(&f, &mut data, 256));
    }
}
