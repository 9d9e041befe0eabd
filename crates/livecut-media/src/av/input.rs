//! Opening and reading inputs.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;

use ffmpeg_next::format::context::Input;
use ffmpeg_next::{Error, Packet, ffi};

use super::params::c_str;

/// Opens `path` with the given demuxer (`None`: probe) and optionally runs
/// stream probing. Cutting skips probing: it decodes frames (slow on many
/// segments), and the cutter reads what it needs from the bitstream itself.
pub fn open(path: &Path, format: Option<&str>, probe_streams: bool) -> Result<Input, Error> {
    open_with_flags(path, format, probe_streams, 0)
}

pub(super) fn open_with_flags(
    path: &Path,
    format: Option<&str>,
    probe_streams: bool,
    flags: i32,
) -> Result<Input, Error> {
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::InvalidData)?;
    let c_format = format
        .map(CString::new)
        .transpose()
        .map_err(|_| Error::InvalidData)?;
    // SAFETY: pointers are valid C strings for the duration of the calls;
    // on failure avformat_open_input frees the context itself, and on
    // success ownership passes to `Input`, which closes it on drop.
    unsafe {
        let iformat = match &c_format {
            Some(name) => {
                let found = ffi::av_find_input_format(name.as_ptr());
                if found.is_null() {
                    return Err(Error::DemuxerNotFound);
                }
                found
            }
            None => ptr::null(),
        };
        let mut ctx = ffi::avformat_alloc_context();
        if ctx.is_null() {
            return Err(Error::Other {
                errno: libc::ENOMEM,
            });
        }
        (*ctx).flags |= flags;
        let ret = ffi::avformat_open_input(&mut ctx, c_path.as_ptr(), iformat, ptr::null_mut());
        if ret < 0 {
            return Err(Error::from(ret));
        }
        let input = Input::wrap(ctx);
        if probe_streams {
            let ret = ffi::avformat_find_stream_info(ctx, ptr::null_mut());
            if ret < 0 {
                return Err(Error::from(ret));
            }
        }
        Ok(input)
    }
}

/// Reads the next packet. `Ok(None)` at the end of the file. Damaged
/// packets the demuxer can resync past are skipped and counted in
/// `skipped`; any other error is returned (unlike `Input::packets`, which
/// would end the iteration silently).
pub fn next_packet(input: &mut Input, skipped: &mut u32) -> Result<Option<Packet>, Error> {
    loop {
        let mut packet = Packet::empty();
        match packet.read(input) {
            Ok(()) => return Ok(Some(packet)),
            Err(Error::Eof) => return Ok(None),
            Err(Error::InvalidData) if *skipped < 1000 => *skipped += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Container-level facts of an opened input.
#[derive(Debug, Clone, PartialEq)]
pub struct Container {
    /// The demuxer's short and long name (e.g. "mov,mp4,m4a,3gp,3g2,mj2").
    pub format_name: String,
    pub format_long_name: String,
    /// In `AV_TIME_BASE` units; `AV_NOPTS_VALUE` when unknown.
    pub duration: i64,
    pub start_time: i64,
    pub bit_rate: i64,
}

/// The container facts of `input`.
pub fn container(input: &Input) -> Container {
    // SAFETY: the context and its demuxer stay valid while `input` lives;
    // the demuxer's names are static strings (or null).
    unsafe {
        let ctx = &*input.as_ptr();
        let (format_name, format_long_name) = match ctx.iformat.as_ref() {
            Some(f) => (c_str(f.name), c_str(f.long_name)),
            None => (String::new(), String::new()),
        };
        Container {
            format_name,
            format_long_name,
            duration: ctx.duration,
            start_time: ctx.start_time,
            bit_rate: ctx.bit_rate,
        }
    }
}

/// The metadata value of `key` of a stream (e.g. "language"), read as
/// (lossy) UTF-8.
pub fn stream_tag(stream: &ffmpeg_next::format::stream::Stream<'_>, key: &CStr) -> Option<String> {
    // SAFETY: the stream and its dictionary stay valid while `stream`
    // lives; the key is NUL-terminated; an entry's value is a C string.
    unsafe {
        let entry = ffi::av_dict_get((*stream.as_ptr()).metadata, key.as_ptr(), ptr::null(), 0);
        (!entry.is_null()).then(|| c_str((*entry).value))
    }
}
