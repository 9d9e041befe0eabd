//! Codec parameter fields without a safe setter in `ffmpeg-next`.

use std::ffi::CStr;
use std::ptr;

use ffmpeg_next::ffi;

/// Replaces the extradata of `par` with a padded copy of `data`.
///
/// # Safety
/// `par` must point to valid, writable codec parameters.
pub unsafe fn set_extradata(par: *mut ffi::AVCodecParameters, data: &[u8]) -> bool {
    unsafe {
        ffi::av_freep(ptr::addr_of_mut!((*par).extradata).cast());
        (*par).extradata_size = 0;
        let Ok(size) = i32::try_from(data.len()) else {
            return false;
        };
        let buf =
            ffi::av_mallocz(data.len() + ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize) as *mut u8;
        if buf.is_null() {
            return false;
        }
        ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
        (*par).extradata = buf;
        (*par).extradata_size = size;
        true
    }
}

/// Copy of an encoder context's extradata.
///
/// # Safety
/// `ctx` must point to a valid, opened codec context.
pub unsafe fn context_extradata(ctx: *const ffi::AVCodecContext) -> Vec<u8> {
    unsafe {
        let size = usize::try_from((*ctx).extradata_size).unwrap_or(0);
        if (*ctx).extradata.is_null() || size == 0 {
            return Vec::new();
        }
        std::slice::from_raw_parts((*ctx).extradata, size).to_vec()
    }
}

/// Sets the default channel layout for `channels` on codec parameters.
///
/// # Safety
/// `par` must point to valid, writable codec parameters.
pub unsafe fn set_default_layout(par: *mut ffi::AVCodecParameters, channels: i32) {
    unsafe {
        ffi::av_channel_layout_uninit(&mut (*par).ch_layout);
        ffi::av_channel_layout_default(&mut (*par).ch_layout, channels);
        #[allow(deprecated)]
        {
            (*par).channels = channels;
            (*par).channel_layout = (*par).ch_layout.u.mask;
        }
    }
}

/// A libav C string, or "" for null.
///
/// # Safety
/// `p` must be null or a valid NUL-terminated string that outlives the call.
pub unsafe fn c_str(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        unsafe { CStr::from_ptr(p).to_string_lossy().into_owned() }
    }
}

/// Adds a stream with a copy of `par` and the given time base to an output
/// that has not written its header yet; returns the stream index.
pub fn add_stream(
    output: &mut ffmpeg_next::format::context::Output,
    par: &ffmpeg_next::codec::Parameters,
    time_base: ffmpeg_next::Rational,
) -> Result<usize, ffmpeg_next::Error> {
    // SAFETY: the stream is owned by the output context; the parameter copy
    // allocates its own buffers.
    unsafe {
        let stream = ffi::avformat_new_stream(output.as_mut_ptr(), ptr::null());
        if stream.is_null() {
            return Err(ffmpeg_next::Error::Other {
                errno: libc::ENOMEM,
            });
        }
        let ret = ffi::avcodec_parameters_copy((*stream).codecpar, par.as_ptr());
        if ret < 0 {
            return Err(ffmpeg_next::Error::from(ret));
        }
        (*(*stream).codecpar).codec_tag = 0;
        (*stream).time_base = time_base.into();
        Ok(usize::try_from((*stream).index).unwrap_or(0))
    }
}
