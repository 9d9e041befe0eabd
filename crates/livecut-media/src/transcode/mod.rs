//! The decoding, encoding, scaling and resampling pieces that both kinds of
//! modes use: the copy modes for their boundary parts (scaling a picture
//! of another size) and for a clip whose audio has another format, the
//! re-encode modes for everything. They sit on `av` (libav) and on
//! `select` (the packets they are fed); no mode is below them.
//!
//! * `audio_encoder`: FFmpeg's AAC encoder, fed planar samples, writing
//!   to any `PacketSink`.
//! * `audio_lane`: a run's audio decoder and the lane that lays decoded
//!   audio on exactly a span of output samples.
//! * `resample`: libswresample to the encoder's rate, layout and format.
//! * `scale`: libswscale to the output picture, fitted and padded.
//! * `span`: placing decoded chunks on a span (cut to the sample, holes
//!   filled with silence).

pub(crate) mod audio_encoder;
pub(crate) mod audio_lane;
pub(crate) mod resample;
pub(crate) mod scale;
pub(crate) mod span;
