//! The output's AAC track: a FIFO of planar samples in front of FFmpeg's
//! native AAC encoder, which takes exactly `frame_size` samples per frame.
//!
//! The encoder's position is the number of samples handed to it, so the
//! track is one continuous sample stream; every clip's runs align it to
//! their video span (`align_to`) at their start and end, which keeps audio
//! and video in sync across joins to the sample. A small reserve stays in
//! the FIFO so that a run which produced a few samples too many (resampler
//! rounding) can be cut back before they are encoded.
//!
//! The copy modes use the same encoder for the stretches of a copied AAC
//! track that hold a clip of another audio format (`copy::audio_reencode`);
//! the encoder hands its packets to a `PacketSink`.

use ffmpeg_next::codec::{self, encoder};
use ffmpeg_next::format::{Sample, sample};
use ffmpeg_next::{Error, Packet, Rational, frame};

use super::resample::Planar;
use crate::MediaError;
use crate::av::video_encoder::is_again;
use crate::av::{self, codec_context};
use crate::error::Cause;

/// Samples kept back in the FIFO for `align_to` to trim.
const RESERVE: usize = 256;
/// Bit rate per channel (128 kbit/s for stereo, as the recordings use).
const BIT_RATE_PER_CHANNEL: usize = 64_000;

/// Where the encoder's packets go: the re-encode modes' file (`Mp4Sink`),
/// or the copy modes' collector of a re-encoded stretch of a copied AAC
/// track (`copy::audio_reencode`).
pub(crate) trait PacketSink {
    /// Takes an encoded packet whose timestamps are in `tb`.
    fn write_audio(&mut self, packet: Packet, tb: Rational) -> Result<(), MediaError>;
}

fn encoder_error(cause: Cause) -> MediaError {
    MediaError::Encoder { clip: None, cause }
}

/// A planar-float frame holding `count` samples of `source` from `from`.
pub fn planar_frame(
    source: &Planar,
    from: usize,
    count: usize,
    rate: u32,
) -> Result<frame::Audio, Error> {
    let channels = source.planes.len();
    if from + count > source.len() || channels == 0 {
        return Err(Error::InvalidData);
    }
    let mut frame = av::frame::planar_float(channels, count, rate)?;
    for (ch, plane) in source.planes.iter().enumerate() {
        frame.plane_mut::<f32>(ch)[..count].copy_from_slice(&plane[from..from + count]);
    }
    Ok(frame)
}

pub struct AudioEncoder {
    encoder: encoder::Audio,
    rate: u32,
    frame_size: usize,
    fifo: Planar,
    /// Samples handed to the encoder so far (= pts of the next frame).
    sent: i64,
    /// Samples still to drop from future input because an alignment
    /// wanted to cut back more than the FIFO held.
    debt: u64,
}

impl AudioEncoder {
    pub fn open(rate: u32, channels: usize) -> Result<Self, MediaError> {
        let fail = |what: &str, e: Error| {
            encoder_error(Cause::libav(format!("{what} the AAC encoder"), e))
        };
        let codec =
            encoder::find(codec::Id::AAC).ok_or_else(|| fail("finding", Error::EncoderNotFound))?;
        let mut ctx = codec::context::Context::new_with_codec(codec)
            .encoder()
            .audio()
            .map_err(|e| fail("creating", e))?;
        ctx.set_rate(rate as i32);
        ctx.set_format(Sample::F32(sample::Type::Planar));
        ctx.set_bit_rate(BIT_RATE_PER_CHANNEL * channels);
        ctx.set_time_base(Rational::new(1, rate as i32));
        ctx.set_flags(codec::Flags::GLOBAL_HEADER);
        codec_context::set_default_layout(&mut ctx, channels as i32);
        let encoder = ctx.open().map_err(|e| fail("opening", e))?;
        let frame_size = (encoder.frame_size() as usize).max(1);
        Ok(AudioEncoder {
            encoder,
            rate,
            frame_size,
            fifo: Planar {
                planes: vec![Vec::new(); channels],
            },
            sent: 0,
            debt: 0,
        })
    }

    pub fn rate(&self) -> u32 {
        self.rate
    }

    pub fn channels(&self) -> usize {
        self.fifo.planes.len()
    }

    pub fn time_base(&self) -> Rational {
        Rational::new(1, self.rate as i32)
    }

    pub fn parameters(&self) -> codec::Parameters {
        codec::Parameters::from(&*self.encoder)
    }

    /// Output sample position of the next sample pushed.
    pub fn position(&self) -> i64 {
        self.sent + self.fifo.len() as i64 - self.debt as i64
    }

    /// Appends `count` samples of `chunk` from `from`.
    pub fn push(
        &mut self,
        chunk: &Planar,
        from: usize,
        count: usize,
        sink: &mut dyn PacketSink,
    ) -> Result<(), MediaError> {
        if chunk.planes.len() != self.channels() || from + count > chunk.len() {
            return Err(MediaError::Internal(format!(
                "audio chunk of {} channels x {} samples, asked for {from}+{count}",
                chunk.planes.len(),
                chunk.len()
            )));
        }
        let dropped = (self.debt.min(count as u64)) as usize;
        self.debt -= dropped as u64;
        for (fifo, plane) in self.fifo.planes.iter_mut().zip(&chunk.planes) {
            fifo.extend_from_slice(&plane[from + dropped..from + count]);
        }
        self.drain(RESERVE, sink)
    }

    pub fn silence(&mut self, count: u64, sink: &mut dyn PacketSink) -> Result<(), MediaError> {
        let dropped = self.debt.min(count);
        self.debt -= dropped;
        let count = (count - dropped) as usize;
        for fifo in &mut self.fifo.planes {
            fifo.resize(fifo.len() + count, 0.0);
        }
        self.drain(RESERVE, sink)
    }

    /// Pads with silence or cuts back so that the next sample lands at
    /// output sample `target`.
    pub fn align_to(&mut self, target: i64, sink: &mut dyn PacketSink) -> Result<(), MediaError> {
        let position = self.position();
        if target > position {
            return self.silence((target - position) as u64, sink);
        }
        let excess = (position - target) as u64;
        let from_fifo = excess.min(self.fifo.len() as u64) as usize;
        let keep = self.fifo.len() - from_fifo;
        for fifo in &mut self.fifo.planes {
            fifo.truncate(keep);
        }
        if excess > from_fifo as u64 {
            tracing::warn!(
                excess,
                "audio ran past its video span by more than the reserve; dropping ahead"
            );
            self.debt += excess - from_fifo as u64;
        }
        Ok(())
    }

    /// Encodes whole frames while more than `keep` samples would remain.
    fn drain(&mut self, keep: usize, sink: &mut dyn PacketSink) -> Result<(), MediaError> {
        while self.fifo.len() >= self.frame_size + keep {
            self.encode(self.frame_size, sink)?;
        }
        Ok(())
    }

    fn encode(&mut self, count: usize, sink: &mut dyn PacketSink) -> Result<(), MediaError> {
        let mut frame = planar_frame(&self.fifo, 0, count, self.rate)
            .map_err(|e| encoder_error(Cause::libav("allocating an audio frame", e)))?;
        frame.set_pts(Some(self.sent));
        for fifo in &mut self.fifo.planes {
            fifo.drain(..count);
        }
        self.sent += count as i64;
        self.encoder
            .send_frame(&frame)
            .map_err(|e| encoder_error(Cause::libav("the AAC encoder rejected a frame", e)))?;
        self.receive(sink)
    }

    fn receive(&mut self, sink: &mut dyn PacketSink) -> Result<(), MediaError> {
        loop {
            let mut packet = Packet::empty();
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => sink.write_audio(packet, self.time_base())?,
                Err(Error::Eof) => return Ok(()),
                Err(e) if is_again(&e) => return Ok(()),
                Err(e) => return Err(encoder_error(Cause::libav("the AAC encoder failed", e))),
            }
        }
    }

    /// Encodes what is left (a last, shorter frame) and flushes.
    pub fn finish(&mut self, sink: &mut dyn PacketSink) -> Result<(), MediaError> {
        self.drain(0, sink)?;
        if !self.fifo.is_empty() {
            self.encode(self.fifo.len(), sink)?;
        }
        self.encoder
            .send_eof()
            .map_err(|e| encoder_error(Cause::libav("flushing the AAC encoder", e)))?;
        self.receive(sink)
    }
}
