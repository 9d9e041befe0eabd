//! ADTS (the framing of AAC in MPEG-TS) -> raw AAC frames plus the
//! AudioSpecificConfig an MP4 `esds` needs, and back: fMP4 recordings carry
//! raw frames and one AudioSpecificConfig, which become ADTS frames so the
//! rest of the crate reads one shape of AAC.

use super::bits::BitReader;

const SAMPLE_RATES: [u32; 13] = [
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
    7_350,
];

/// Samples per AAC frame (raw data block) for the AAC-LC family.
pub const SAMPLES_PER_FRAME: u32 = 1024;

/// The stream-level part of an ADTS header: equal for every frame of a
/// stream, and what decides the AudioSpecificConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsConfig {
    /// MPEG-4 audio object type (2 = AAC-LC).
    pub object_type: u8,
    pub sample_rate_index: u8,
    pub channel_config: u8,
}

impl AdtsConfig {
    pub fn sample_rate(&self) -> Option<u32> {
        SAMPLE_RATES
            .get(usize::from(self.sample_rate_index))
            .copied()
    }

    /// The ADTS form of an MP4 AudioSpecificConfig. HE-AAC (SBR, PS) is
    /// given as its AAC-LC core, which ADTS signals implicitly. `None` for
    /// what ADTS cannot express: object types beyond 4, a rate outside the
    /// table, a channel layout given by a program config element.
    pub fn from_audio_specific_config(asc: &[u8]) -> Option<AdtsConfig> {
        let mut r = BitReader::new(asc);
        let object_type = |r: &mut BitReader<'_>| -> Option<u32> {
            match r.bits(5)? {
                31 => Some(32 + r.bits(6)?),
                t => Some(t),
            }
        };
        let rate_index = |r: &mut BitReader<'_>| -> Option<u8> {
            match r.bits(4)? {
                15 => {
                    let rate = r.bits(24)?;
                    SAMPLE_RATES
                        .iter()
                        .position(|&known| known == rate)
                        .and_then(|i| u8::try_from(i).ok())
                }
                i => u8::try_from(i).ok(),
            }
        };
        let mut kind = object_type(&mut r)?;
        let mut sample_rate_index = rate_index(&mut r)?;
        let channel_config = u8::try_from(r.bits(4)?).ok()?;
        if kind == 5 || kind == 29 {
            // Explicit SBR: the extension rate, then the core's object type.
            let _extension_rate = rate_index(&mut r)?;
            kind = object_type(&mut r)?;
        }
        if !(1..=4).contains(&kind)
            || channel_config == 0
            || usize::from(sample_rate_index) >= SAMPLE_RATES.len()
        {
            return None;
        }
        sample_rate_index &= 0x0f;
        Some(AdtsConfig {
            object_type: u8::try_from(kind).ok()?,
            sample_rate_index,
            channel_config,
        })
    }

    /// AAC-LC at `sample_rate` with `channels`: what a decoder assumes of a track whose sample
    /// entry carries no AudioSpecificConfig (an MP4 written before its encoder's first frame).
    /// `None` for a rate outside the table or a channel count ADTS cannot say.
    pub fn lc(sample_rate: u32, channels: u32) -> Option<AdtsConfig> {
        let index = SAMPLE_RATES.iter().position(|&r| r == sample_rate)?;
        let channel_config = match channels {
            1..=6 => channels,
            8 => 7,
            _ => return None,
        };
        Some(AdtsConfig {
            object_type: 2,
            sample_rate_index: u8::try_from(index).ok()?,
            channel_config: u8::try_from(channel_config).ok()?,
        })
    }

    /// The 7-byte ADTS header (no CRC, one raw data block) of a frame
    /// whose raw payload is `payload_len` bytes; `None` if the frame would
    /// not fit ADTS's 13-bit length.
    pub fn header(&self, payload_len: usize) -> Option<[u8; 7]> {
        let len = payload_len + 7;
        if len >= 1 << 13 {
            return None;
        }
        Some([
            0xFF,
            0xF1,
            ((self.object_type - 1) & 3) << 6
                | (self.sample_rate_index & 0x0f) << 2
                | (self.channel_config >> 2) & 1,
            (self.channel_config & 3) << 6 | ((len >> 11) & 3) as u8,
            ((len >> 3) & 0xFF) as u8,
            ((len & 7) << 5) as u8 | 0x1F,
            0xFC,
        ])
    }

    /// The 2-byte AudioSpecificConfig (GASpecificConfig with all flags 0).
    pub fn audio_specific_config(&self) -> [u8; 2] {
        let bits: u16 = (u16::from(self.object_type & 0x1f) << 11)
            | (u16::from(self.sample_rate_index & 0x0f) << 7)
            | (u16::from(self.channel_config & 0x0f) << 3);
        bits.to_be_bytes()
    }
}

/// One ADTS frame found in a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdtsFrame {
    pub config: AdtsConfig,
    /// Header length (7, or 9 with CRC).
    pub header_len: usize,
    /// Whole frame length including the header.
    pub frame_len: usize,
    /// Raw data blocks in the frame (each 1024 samples).
    pub blocks: u8,
}

/// Parses the ADTS header at the start of `data`.
pub fn parse_frame(data: &[u8]) -> Option<AdtsFrame> {
    if data.len() < 7 || data[0] != 0xFF || data[1] & 0xF0 != 0xF0 {
        return None;
    }
    let protection_absent = data[1] & 1 == 1;
    let profile = (data[2] >> 6) & 3;
    let sample_rate_index = (data[2] >> 2) & 0x0f;
    let channel_config = ((data[2] & 1) << 2) | (data[3] >> 6);
    let frame_len =
        (usize::from(data[3] & 3) << 11) | (usize::from(data[4]) << 3) | usize::from(data[5] >> 5);
    let blocks = (data[6] & 3) + 1;
    let header_len = if protection_absent { 7 } else { 9 };
    if frame_len < header_len || usize::from(sample_rate_index) >= SAMPLE_RATES.len() {
        return None;
    }
    Some(AdtsFrame {
        config: AdtsConfig {
            object_type: profile + 1,
            sample_rate_index,
            channel_config,
        },
        header_len,
        frame_len,
        blocks,
    })
}

/// Splits a packet holding one or more ADTS frames into
/// `(frame, raw payload)` pairs. `None` if the packet is not clean ADTS.
pub fn split_frames(mut data: &[u8]) -> Option<Vec<(AdtsFrame, &[u8])>> {
    let mut frames = Vec::new();
    while !data.is_empty() {
        let frame = parse_frame(data)?;
        let whole = data.get(..frame.frame_len)?;
        frames.push((frame, &whole[frame.header_len..]));
        data = &data[frame.frame_len..];
    }
    Some(frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ADTS header for AAC-LC, 48 kHz, stereo, no CRC, `len` bytes total.
    fn header(len: usize) -> [u8; 7] {
        [
            0xFF,
            0xF1,
            (1 << 6) | (3 << 2),
            (2 << 6) | ((len >> 11) & 3) as u8,
            ((len >> 3) & 0xFF) as u8,
            (((len & 7) << 5) as u8) | 0x1F,
            0xFC,
        ]
    }

    #[test]
    fn parses_an_aac_lc_header() {
        let mut data = header(10).to_vec();
        data.extend_from_slice(&[1, 2, 3]);
        let frame = parse_frame(&data).expect("ADTS");
        assert_eq!(frame.config.object_type, 2);
        assert_eq!(frame.config.sample_rate(), Some(48_000));
        assert_eq!(frame.config.channel_config, 2);
        assert_eq!(
            (frame.header_len, frame.frame_len, frame.blocks),
            (7, 10, 1)
        );
        // AAC-LC 48 kHz stereo: the well-known 0x1190.
        assert_eq!(frame.config.audio_specific_config(), [0x11, 0x90]);
    }

    #[test]
    fn an_audio_specific_config_becomes_the_adts_header() {
        let lc = AdtsConfig::from_audio_specific_config(&[0x11, 0x90]).expect("AAC-LC");
        assert_eq!(lc.header(3), Some(header(10)));
        let mut frame = lc.header(3).expect("fits").to_vec();
        frame.extend_from_slice(&[1, 2, 3]);
        assert_eq!(parse_frame(&frame).map(|f| f.config), Some(lc));
        // HE-AAC v1 at 24/48 kHz mono (explicit SBR): its AAC-LC core.
        let he = AdtsConfig::from_audio_specific_config(&[0x2B, 0x09, 0x88]).expect("HE-AAC");
        assert_eq!(
            (he.object_type, he.sample_rate(), he.channel_config),
            (2, Some(24_000), 1)
        );
        // 44.1 kHz given as an explicit rate.
        let explicit = AdtsConfig::from_audio_specific_config(&[0x17, 0x80, 0x56, 0x22, 0x10])
            .expect("explicit rate");
        assert_eq!(explicit.sample_rate(), Some(44_100));
        assert_eq!(AdtsConfig::lc(48_000, 2), Some(lc));
        assert_eq!(AdtsConfig::lc(44_100, 8).map(|c| c.channel_config), Some(7));
        assert_eq!(AdtsConfig::lc(44_000, 2), None);
        assert_eq!(AdtsConfig::lc(48_000, 7), None);
        // Not expressible: a program config element, AAC-ELD, nothing at all.
        assert_eq!(AdtsConfig::from_audio_specific_config(&[0x11, 0x80]), None);
        assert_eq!(
            AdtsConfig::from_audio_specific_config(&[0xF8, 0xE6, 0x20]),
            None
        );
        assert_eq!(AdtsConfig::from_audio_specific_config(&[]), None);
        assert_eq!(lc.header(8185), None);
    }

    #[test]
    fn splits_concatenated_frames() {
        let mut data = header(9).to_vec();
        data.extend_from_slice(&[0xAA, 0xBB]);
        data.extend_from_slice(&header(8));
        data.push(0xCC);
        let frames = split_frames(&data).expect("two frames");
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[0].1, &[0xAA, 0xBB]);
        assert_eq!(frames[1].1, &[0xCC]);
    }

    #[test]
    fn rejects_garbage_and_truncation() {
        assert_eq!(parse_frame(&[0x00; 9]), None);
        assert_eq!(parse_frame(&[0xFF, 0xF1]), None);
        let mut data = header(20).to_vec();
        data.push(1);
        assert_eq!(split_frames(&data), None);
        assert_eq!(split_frames(&[]), Some(vec![]));
    }
}
