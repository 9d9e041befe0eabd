//! ADTS (the framing of AAC in MPEG-TS) -> raw AAC frames plus the
//! AudioSpecificConfig an MP4 `esds` needs.

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
