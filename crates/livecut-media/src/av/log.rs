//! Routes libav's log lines to `tracing` instead of stderr. The service runs
//! jobs in child processes whose stderr is not a log; a decoder complaining
//! about a damaged segment belongs next to the job's other log lines.

use std::ffi::{CStr, c_char, c_int, c_void};

use ffmpeg_next::ffi;

/// Lines below this severity (more verbose) are dropped inside libav.
const LEVEL: c_int = ffi::AV_LOG_WARNING;

unsafe extern "C" fn forward(
    avcl: *mut c_void,
    level: c_int,
    fmt: *const c_char,
    args: *mut ffi::__va_list_tag,
) {
    if level > LEVEL {
        return;
    }
    let mut buf = [0 as c_char; 1024];
    let mut print_prefix: c_int = 1;
    // SAFETY: libav hands us a valid format string and argument list; the
    // buffer length is passed along so the formatter cannot overrun it.
    let line = unsafe {
        ffi::av_log_format_line2(
            avcl,
            level,
            fmt,
            args,
            buf.as_mut_ptr(),
            buf.len() as c_int,
            &mut print_prefix,
        );
        CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
    };
    let line = line.trim_end();
    if line.is_empty() {
        return;
    }
    if level <= ffi::AV_LOG_ERROR {
        tracing::error!(target: "libav", "{line}");
    } else {
        tracing::warn!(target: "libav", "{line}");
    }
}

pub(crate) fn install() {
    // SAFETY: both calls only store global settings inside libavutil.
    unsafe {
        ffi::av_log_set_level(LEVEL);
        ffi::av_log_set_callback(Some(forward));
    }
}
