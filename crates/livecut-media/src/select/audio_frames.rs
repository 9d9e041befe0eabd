//! The audio frames of a recording as the reader and the index see them:
//! the formats a packet's frames carry (AAC from ADTS, MP3), the split of
//! a packet into whole frames and the time of each. The copy modes copy
//! these frames (`copy::audio` places them); every mode's index reads the
//! format from them.

use crate::bitstream::adts::{self, AdtsConfig};
use crate::bitstream::mpeg_audio::{self, Mp3Config};
use crate::codec::AudioCodec;
use crate::timeline::TICKS_PER_SECOND;

/// The format of copied audio frames, as their headers tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioConfig {
    Aac(AdtsConfig),
    Mp3(Mp3Config),
}

impl AudioConfig {
    pub fn sample_rate(&self) -> u32 {
        match self {
            AudioConfig::Aac(c) => c.sample_rate().unwrap_or(48_000),
            AudioConfig::Mp3(c) => c.sample_rate,
        }
    }

    pub fn channels(&self) -> u32 {
        match self {
            AudioConfig::Aac(c) if c.channel_config == 7 => 8,
            AudioConfig::Aac(c) => u32::from(c.channel_config),
            AudioConfig::Mp3(c) => u32::from(c.channels),
        }
    }

    pub fn samples_per_frame(&self) -> u32 {
        match self {
            AudioConfig::Aac(_) => adts::SAMPLES_PER_FRAME,
            AudioConfig::Mp3(c) => c.samples_per_frame(),
        }
    }

    /// In messages: "MP3 48000 Hz, 2 channels"; AAC other than LC names
    /// its object type ("AAC Main 48000 Hz, 2 channels").
    pub fn describe(&self) -> String {
        let codec = match self {
            AudioConfig::Aac(c) => match c.object_type {
                2 => "AAC".to_string(),
                1 => "AAC Main".to_string(),
                3 => "AAC SSR".to_string(),
                4 => "AAC LTP".to_string(),
                other => format!("AAC (object type {other})"),
            },
            AudioConfig::Mp3(_) => "MP3".to_string(),
        };
        format!(
            "{codec} {} Hz, {} channels",
            self.sample_rate(),
            self.channels()
        )
    }
}

/// One audio frame of a packet, ready to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CopiedFrame<'a> {
    pub config: AudioConfig,
    /// The sample's bytes: a raw AAC frame (ADTS header removed) or a whole
    /// MP3 frame.
    pub bytes: &'a [u8],
    /// AAC: raw data blocks in the ADTS frame (only 1 can be copied).
    pub blocks: u8,
    /// MP3: bytes of its main data that lie in the frames before it.
    pub reservoir_reach: usize,
    /// MP3: the frame's own main data area (reservoir for later frames).
    pub main_data_len: usize,
}

/// The start (90 kHz, on the packet's line) and duration of each of the
/// `frames` of a packet whose first frame starts at `pts`: they follow each
/// other without a gap, timed by their sample counts.
pub fn frame_times(pts: i64, frames: &[CopiedFrame<'_>]) -> Vec<(i64, i64)> {
    let mut samples_before = 0i64;
    frames
        .iter()
        .map(|f| {
            let rate = i64::from(f.config.sample_rate());
            let samples = i64::from(f.config.samples_per_frame());
            let offset = (samples_before * TICKS_PER_SECOND + rate / 2) / rate;
            samples_before += samples;
            (pts + offset, samples * TICKS_PER_SECOND / rate)
        })
        .collect()
}

/// The format of the first frame of an audio packet of `codec`.
pub fn first_config(codec: AudioCodec, data: &[u8]) -> Option<AudioConfig> {
    match codec {
        AudioCodec::Aac => adts::parse_frame(data).map(|f| AudioConfig::Aac(f.config)),
        AudioCodec::Mp3 => mpeg_audio::parse_frame(data).map(|f| AudioConfig::Mp3(f.config)),
    }
}

/// Splits an audio packet (one or more whole frames) of `codec` into its
/// frames. `None` if it is not clean ADTS or MP3 layer III.
pub fn split_frames(codec: AudioCodec, data: &[u8]) -> Option<Vec<CopiedFrame<'_>>> {
    match codec {
        AudioCodec::Aac => adts::split_frames(data).map(|frames| {
            frames
                .into_iter()
                .map(|(f, raw)| CopiedFrame {
                    config: AudioConfig::Aac(f.config),
                    bytes: raw,
                    blocks: f.blocks,
                    reservoir_reach: 0,
                    main_data_len: 0,
                })
                .collect()
        }),
        AudioCodec::Mp3 => {
            let frames = mpeg_audio::split_frames(data)?;
            frames
                .into_iter()
                .map(|(f, bytes)| {
                    Some(CopiedFrame {
                        config: AudioConfig::Mp3(f.config),
                        bytes,
                        blocks: 1,
                        reservoir_reach: mpeg_audio::reservoir_reach(&f, bytes)?,
                        main_data_len: f.main_data_len(),
                    })
                })
                .collect()
        }
    }
}
