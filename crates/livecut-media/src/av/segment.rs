//! Opening one recording segment, whatever its container, so that its
//! packets come out in the one shape the cutter reads: the shape of
//! MPEG-TS, with Annex B video that carries its parameter sets in front of
//! keyframes and AAC in ADTS frames.
//!
//! - MPEG-TS segments are read as they are.
//! - fMP4/CMAF fragments (`moof` + `mdat`) are read after their
//!   initialization section (`#EXT-X-MAP`), through an I/O context that
//!   chains the two files, so nothing is copied to a scratch file. Video
//!   samples lose their length fields and gain the sample entry's parameter
//!   sets (`bitstream::mp4_sample`); raw AAC frames gain an ADTS header
//!   from the AudioSpecificConfig. The stream's own extradata is then
//!   cleared, so no decoder takes the samples for length-prefixed ones.
//! - A self-contained MP4 segment (`ftyp` + `moov` + fragments, as MediaMTX
//!   writes each file) is read the same way without an init section.

use std::ffi::{CString, c_int, c_void};
use std::fs::File;
use std::ops::Deref;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::ptr;

use ffmpeg_next::codec::Id;
use ffmpeg_next::format::context::Input;
use ffmpeg_next::{Error, Packet, ffi};

use super::input::next_packet;
use super::params;
use crate::bitstream::adts::AdtsConfig;
use crate::bitstream::mp4_sample::NalFraming;
use crate::codec::VideoCodec;
use crate::error::Cause;
use crate::job::SegmentInput;

/// How a segment is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Through libav's parsers: each packet one access unit or audio
    /// frame, timestamps filled in.
    Parsed,
    /// MPEG-TS PES payloads as the muxer wrote them, without libav's
    /// parsers and timestamp filling. That halves demuxing time, and is
    /// exact when every PES holds one access unit with its own timestamps,
    /// as HLS recorders write them; the caller checks that (see
    /// `select::index`) and reads `Parsed` otherwise. fMP4 samples are
    /// whole access units either way.
    Unparsed,
    /// With stream probing, for the streams' picture and colour facts.
    Probed,
}

/// What a segment's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    MpegTs,
    /// ISO BMFF: the init section's `moov` describes the tracks.
    Mp4,
}

/// How one stream's packets are reshaped.
enum Repack {
    Keep,
    Video(NalFraming),
    Aac(AdtsConfig),
}

/// An opened segment. Derefs to its demuxer for the streams; read its
/// packets with [`SegmentDemuxer::next_packet`].
pub struct SegmentDemuxer {
    // Declared before `_io`: the demuxer is closed before the I/O context
    // it reads from is freed.
    input: Input,
    /// Held only to be freed after `input` (fMP4 after an init section).
    _io: Option<ChainIo>,
    repack: Vec<Repack>,
    /// Per stream: a video packet was read (the first one of the segment
    /// gets the parameter sets whatever its flags say).
    started: Vec<bool>,
    /// An MPEG-TS file whose length is not a whole number of 188-byte
    /// packets: it was cut off mid-write, so its last PES packet is partial.
    cut_short: bool,
}

impl Deref for SegmentDemuxer {
    type Target = Input;

    fn deref(&self) -> &Input {
        &self.input
    }
}

impl SegmentDemuxer {
    /// The file ends inside an MPEG-TS packet (a recorder killed mid-write, a
    /// partial copy): the last access unit of the segment is incomplete.
    pub fn cut_short(&self) -> bool {
        self.cut_short
    }

    /// The next packet, reshaped as MPEG-TS carries it. `Ok(None)` at the
    /// end; damaged MPEG-TS packets the demuxer resyncs past are skipped
    /// and counted in `skipped` (see `input::next_packet`).
    pub fn next_packet(&mut self, skipped: &mut u32) -> Result<Option<Packet>, Cause> {
        let Some(packet) = next_packet(&mut self.input, skipped)
            .map_err(|e| Cause::libav("demuxing failed", e))?
        else {
            return Ok(None);
        };
        let stream = packet.stream();
        let data = packet.data().unwrap_or(&[]);
        let reshaped = match self.repack.get(stream) {
            None | Some(Repack::Keep) => return Ok(Some(packet)),
            Some(Repack::Video(framing)) => {
                let first = !self.started[stream];
                self.started[stream] = true;
                framing
                    .annexb(data, first || packet.is_key())
                    .ok_or_else(|| {
                        Cause::Found(format!(
                            "the video sample at dts {:?} is damaged: a NAL unit's length runs \
                             past its end",
                            packet.dts()
                        ))
                    })?
            }
            Some(Repack::Aac(config)) => {
                let header = config.header(data.len()).ok_or_else(|| {
                    Cause::Found(format!(
                        "the AAC frame at pts {:?} is too long for ADTS ({} bytes)",
                        packet.pts(),
                        data.len()
                    ))
                })?;
                [&header[..], data].concat()
            }
        };
        let mut out = Packet::copy(&reshaped);
        out.set_stream(stream);
        out.set_pts(packet.pts());
        out.set_dts(packet.dts());
        out.set_duration(packet.duration());
        out.set_position(packet.position());
        out.set_flags(packet.flags());
        Ok(Some(out))
    }
}

/// Opens `seg` (its init section first, when it has one).
pub fn open_segment(seg: &SegmentInput, how: Reading) -> Result<SegmentDemuxer, Cause> {
    let layout = match &seg.init {
        Some(_) => Layout::Mp4,
        None => sniff(&seg.path)?,
    };
    let flags = match how {
        Reading::Unparsed => ffi::AVFMT_FLAG_NOPARSE | ffi::AVFMT_FLAG_NOFILLIN,
        Reading::Parsed | Reading::Probed => 0,
    };
    let probe = how == Reading::Probed;
    let (input, io) = match (layout, &seg.init) {
        (Layout::MpegTs, _) => (
            super::input::open_with_flags(&seg.path, Some("mpegts"), probe, flags)
                .map_err(|e| Cause::libav("cannot be opened as MPEG-TS", e))?,
            None,
        ),
        (Layout::Mp4, None) => (
            super::input::open_with_flags(&seg.path, Some("mp4"), probe, flags)
                .map_err(|e| Cause::libav("cannot be opened as MP4", e))?,
            None,
        ),
        (Layout::Mp4, Some(init)) => {
            let chain = Chain::open(&[&init.path, &seg.path]).map_err(|e| {
                Cause::io(
                    format!(
                        "cannot be read with its initialization section {}",
                        init.uri
                    ),
                    e,
                )
            })?;
            let io = ChainIo::new(chain).map_err(|e| Cause::libav("cannot be read as fMP4", e))?;
            let input = open_custom(&io, &seg.path, probe, flags).map_err(|e| {
                Cause::libav(
                    format!(
                        "cannot be opened as fMP4 fragments of initialization section {}",
                        init.uri
                    ),
                    e,
                )
            })?;
            (input, Some(io))
        }
    };
    let cut_short = layout == Layout::MpegTs
        && std::fs::metadata(&seg.path).is_ok_and(|m| m.len() % TS_PACKET_BYTES != 0);
    let mut demuxer = SegmentDemuxer {
        repack: Vec::new(),
        started: Vec::new(),
        cut_short,
        input,
        _io: io,
    };
    if layout == Layout::Mp4 {
        demuxer.repack = repacks(&demuxer.input)?;
        demuxer.started = vec![false; demuxer.repack.len()];
    }
    Ok(demuxer)
}

/// The size of an MPEG-TS packet: a whole recording is a multiple of it.
const TS_PACKET_BYTES: u64 = 188;

/// MPEG-TS or ISO BMFF, from the first box header. Fragments without their
/// `moov` cannot be read alone, and say so.
fn sniff(path: &Path) -> Result<Layout, Cause> {
    let mut head = [0u8; 8];
    let read = File::open(path)
        .and_then(|f| f.read_at(&mut head, 0))
        .map_err(|e| Cause::io("cannot be read", e))?;
    Ok(match head.get(4..8).filter(|_| read == 8) {
        Some(b"ftyp" | b"moov") => Layout::Mp4,
        Some(b"styp" | b"moof" | b"sidx") => {
            return Err(Cause::Found(
                "holds fMP4 fragments, but the playlist names no initialization section \
                 (#EXT-X-MAP) to read them with"
                    .into(),
            ));
        }
        _ => Layout::MpegTs,
    })
}

/// For every stream of an MP4 input, how its packets are reshaped; the
/// records taken over are removed from the streams (see the module doc).
fn repacks(input: &Input) -> Result<Vec<Repack>, Cause> {
    let mut out = Vec::new();
    for index in 0..input.streams().count() {
        let Some(stream) = input.stream(index) else {
            out.push(Repack::Keep);
            continue;
        };
        // The stream's own codec parameters (not a copy): clearing their
        // extradata below changes what every reader of the stream sees.
        let mut par = stream.parameters();
        let record = params::extradata(&par);
        let repack = match par.id() {
            Id::H264 | Id::HEVC => {
                let codec = if par.id() == Id::H264 {
                    VideoCodec::H264
                } else {
                    VideoCodec::Hevc
                };
                let framing = NalFraming::from_record(codec, &record).ok_or_else(|| {
                    Cause::Found(format!(
                        "its {} sample entry has no readable {} record",
                        codec.name(),
                        if codec == VideoCodec::H264 {
                            "avcC"
                        } else {
                            "hvcC"
                        }
                    ))
                })?;
                Repack::Video(framing)
            }
            // A sample entry without an AudioSpecificConfig (written before the encoder's
            // first frame) means AAC-LC at the track's rate and channels, as decoders take it.
            Id::AAC if record.is_empty() => {
                let f = params::fields(&par);
                let lc = u32::try_from(f.sample_rate)
                    .ok()
                    .zip(u32::try_from(f.channels).ok())
                    .and_then(|(rate, channels)| AdtsConfig::lc(rate, channels));
                Repack::Aac(lc.ok_or_else(|| {
                    Cause::Found(format!(
                        "its AAC track has no AudioSpecificConfig, and {} Hz with {} channels \
                         is not one ADTS can carry",
                        f.sample_rate, f.channels
                    ))
                })?)
            }
            Id::AAC => Repack::Aac(AdtsConfig::from_audio_specific_config(&record).ok_or_else(
                || {
                    Cause::Found(format!(
                        "its AAC configuration ({}) is not one livecut can copy (AAC-LC, \
                         HE-AAC at a standard rate with 1 to 7 channels)",
                        record
                            .iter()
                            .map(|b| format!("{b:02x}"))
                            .collect::<String>()
                    ))
                },
            )?),
            _ => Repack::Keep,
        };
        if !matches!(repack, Repack::Keep) {
            params::set_extradata(&mut par, &[])
                .map_err(|e| Cause::libav("cannot clear the sample entry's record", e))?;
        }
        out.push(repack);
    }
    Ok(out)
}

/// Several files read as one, through libav's custom I/O.
struct Chain {
    files: Vec<File>,
    /// Where each file starts in the chain.
    starts: Vec<u64>,
    total: u64,
    pos: u64,
}

impl Chain {
    fn open(paths: &[&Path]) -> std::io::Result<Chain> {
        let mut files = Vec::with_capacity(paths.len());
        let mut starts = Vec::with_capacity(paths.len());
        let mut total = 0u64;
        for p in paths {
            let f = File::open(p)?;
            starts.push(total);
            total += f.metadata()?.len();
            files.push(f);
        }
        Ok(Chain {
            files,
            starts,
            total,
            pos: 0,
        })
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos < self.total {
            let k = self.starts.partition_point(|&s| s <= self.pos) - 1;
            let end = self.starts.get(k + 1).copied().unwrap_or(self.total);
            let offset = self.pos - self.starts[k];
            let want = usize::try_from(end - self.pos)
                .unwrap_or(usize::MAX)
                .min(buf.len());
            let n = self.files[k].read_at(&mut buf[..want], offset)?;
            if n == 0 {
                // The file shrank since it was opened: go on with the next.
                self.pos = end;
                continue;
            }
            self.pos += n as u64;
            return Ok(n);
        }
        Ok(0)
    }

    fn seek(&mut self, offset: i64, whence: c_int) -> i64 {
        let whence = whence & !(ffi::AVSEEK_FORCE as c_int);
        let total = i64::try_from(self.total).unwrap_or(i64::MAX);
        let pos = i64::try_from(self.pos).unwrap_or(i64::MAX);
        let target = match whence {
            w if w == ffi::AVSEEK_SIZE as c_int => return total,
            libc::SEEK_SET => Some(offset),
            libc::SEEK_CUR => pos.checked_add(offset),
            libc::SEEK_END => total.checked_add(offset),
            _ => None,
        };
        match target.and_then(|t| u64::try_from(t).ok()) {
            Some(t) => {
                self.pos = t;
                i64::try_from(t).unwrap_or(i64::MAX)
            }
            None => i64::from(ffi::AVERROR(libc::EINVAL)),
        }
    }
}

/// libav's read callback over a `Chain`.
unsafe extern "C" fn chain_read(opaque: *mut c_void, buf: *mut u8, size: c_int) -> c_int {
    let Ok(len) = usize::try_from(size) else {
        return ffi::AVERROR(libc::EINVAL);
    };
    // SAFETY: `opaque` is the `Chain` this context was made with (see
    // `ChainIo::new`), alive until the context is freed, and libav calls
    // back from the one thread reading this input; `buf` holds `size`
    // writable bytes.
    let (chain, out) = unsafe {
        (
            &mut *opaque.cast::<Chain>(),
            std::slice::from_raw_parts_mut(buf, len),
        )
    };
    match chain.read(out) {
        Ok(0) => ffi::AVERROR_EOF,
        Ok(n) => c_int::try_from(n).unwrap_or(size),
        Err(e) => ffi::AVERROR(e.raw_os_error().unwrap_or(libc::EIO)),
    }
}

/// libav's seek callback over a `Chain`.
unsafe extern "C" fn chain_seek(opaque: *mut c_void, offset: i64, whence: c_int) -> i64 {
    // SAFETY: as in `chain_read`.
    let chain = unsafe { &mut *opaque.cast::<Chain>() };
    chain.seek(offset, whence)
}

/// An `AVIOContext` reading a `Chain`; frees both on drop.
struct ChainIo {
    ctx: *mut ffi::AVIOContext,
}

const IO_BUFFER: usize = 64 * 1024;

impl ChainIo {
    fn new(chain: Chain) -> Result<ChainIo, Error> {
        let opaque = Box::into_raw(Box::new(chain));
        // SAFETY: the buffer is libav's own allocation, handed to the
        // context (which may replace it; `drop` frees whichever it holds);
        // `opaque` stays valid until `drop` takes it back. On failure both
        // are released here.
        unsafe {
            let buffer = ffi::av_malloc(IO_BUFFER).cast::<u8>();
            if buffer.is_null() {
                drop(Box::from_raw(opaque));
                return Err(Error::Other {
                    errno: libc::ENOMEM,
                });
            }
            let ctx = ffi::avio_alloc_context(
                buffer,
                IO_BUFFER as c_int,
                0,
                opaque.cast(),
                Some(chain_read),
                None,
                Some(chain_seek),
            );
            if ctx.is_null() {
                ffi::av_free(buffer.cast());
                drop(Box::from_raw(opaque));
                return Err(Error::Other {
                    errno: libc::ENOMEM,
                });
            }
            Ok(ChainIo { ctx })
        }
    }
}

impl Drop for ChainIo {
    fn drop(&mut self) {
        // SAFETY: the demuxer that read through this context was closed
        // first (field order of `SegmentDemuxer`, or the failed open freed
        // it); the context and its current buffer are libav's, the opaque
        // pointer is the box made in `new`.
        unsafe {
            let opaque = (*self.ctx).opaque.cast::<Chain>();
            ffi::av_freep(ptr::addr_of_mut!((*self.ctx).buffer).cast());
            ffi::avio_context_free(&mut self.ctx);
            if !opaque.is_null() {
                drop(Box::from_raw(opaque));
            }
        }
    }
}

/// Opens the MP4 demuxer on `io` (`name` only names the input in libav's
/// messages).
fn open_custom(io: &ChainIo, name: &Path, probe: bool, flags: i32) -> Result<Input, Error> {
    let c_name = CString::new(name.as_os_str().as_bytes()).map_err(|_| Error::InvalidData)?;
    // SAFETY: the format context gets our I/O context with the custom-I/O
    // flag, so libav never closes it; on failure avformat_open_input frees
    // the format context itself, on success `Input` owns it and closes it
    // on drop, before `io` is freed (see `SegmentDemuxer`).
    unsafe {
        let iformat = ffi::av_find_input_format(c"mp4".as_ptr());
        if iformat.is_null() {
            return Err(Error::DemuxerNotFound);
        }
        let mut ctx = ffi::avformat_alloc_context();
        if ctx.is_null() {
            return Err(Error::Other {
                errno: libc::ENOMEM,
            });
        }
        (*ctx).pb = io.ctx;
        (*ctx).flags |= ffi::AVFMT_FLAG_CUSTOM_IO | flags;
        let ret = ffi::avformat_open_input(&mut ctx, c_name.as_ptr(), iformat, ptr::null_mut());
        if ret < 0 {
            return Err(Error::from(ret));
        }
        let input = Input::wrap(ctx);
        if probe {
            let ret = ffi::avformat_find_stream_info(ctx, ptr::null_mut());
            if ret < 0 {
                return Err(Error::from(ret));
            }
        }
        Ok(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_reads_and_seeks_across_its_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, b"init").expect("write");
        std::fs::write(&b, b"-fragment").expect("write");
        let mut chain = Chain::open(&[&a, &b]).expect("open");
        let mut all = Vec::new();
        let mut buf = [0u8; 3];
        loop {
            let n = chain.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        assert_eq!(all, b"init-fragment");
        assert_eq!(chain.seek(0, ffi::AVSEEK_SIZE as c_int), 13);
        assert_eq!(chain.seek(-4, libc::SEEK_END), 9);
        let n = chain.read(&mut buf).expect("read");
        assert_eq!(&buf[..n], b"men");
        assert_eq!(chain.seek(2, libc::SEEK_SET), 2);
        assert_eq!(chain.seek(3, libc::SEEK_CUR), 5);
        let n = chain.read(&mut buf).expect("read");
        assert_eq!(&buf[..n], b"fra");
        assert!(chain.seek(-1, libc::SEEK_SET) < 0);
    }

    #[test]
    fn fragments_without_their_init_section_are_refused_clearly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let seg = dir.path().join("seg.m4s");
        std::fs::write(&seg, b"\0\0\0\x18stypmsdh\0\0\0\0msdhmsix").expect("write");
        let why = sniff(&seg).expect_err("refused").to_string();
        assert!(why.contains("#EXT-X-MAP"), "{why}");
        let ts = dir.path().join("seg.ts");
        std::fs::write(&ts, [0x47u8; 188]).expect("write");
        assert_eq!(sniff(&ts).ok(), Some(Layout::MpegTs));
    }
}
