//! `AVCodecParameters` fields without a safe accessor in `ffmpeg-next`:
//! reading a stream's description (`fields`, the codec's names, its
//! profile's name, the channel layout's description), writing the fields
//! the MP4 and MPEG-TS writers describe tracks with, and adding a stream
//! with a copy of parameters to an output.

use std::ffi::CStr;
use std::ptr;

use ffmpeg_next::codec::{self, Id};
use ffmpeg_next::util::color;
use ffmpeg_next::{Error, Rational, ffi, media};

/// A libav C string, or "" for null.
///
/// # Safety
/// `p` must be null or a valid NUL-terminated string that outlives the call.
pub(super) unsafe fn c_str(p: *const std::ffi::c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: non-null, and valid by the caller's promise.
        unsafe { CStr::from_ptr(p).to_string_lossy().into_owned() }
    }
}

/// The plain fields of codec parameters, as libav stores them (`format`
/// is a raw `AVPixelFormat` or `AVSampleFormat`, see `pixel`/`sample`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fields {
    pub medium: media::Type,
    pub id: Id,
    pub tag: u32,
    pub bit_rate: i64,
    pub format: i32,
    pub profile: i32,
    pub level: i32,
    pub width: i32,
    pub height: i32,
    pub sample_aspect_ratio: Rational,
    pub color_range: color::Range,
    pub color_primaries: color::Primaries,
    pub color_trc: color::TransferCharacteristic,
    pub color_space: color::Space,
    pub video_delay: i32,
    pub sample_rate: i32,
    /// Of the channel layout.
    pub channels: i32,
}

/// The fields of `par`.
pub fn fields(par: &codec::Parameters) -> Fields {
    // SAFETY: reading plain fields of valid codec parameters.
    let p = unsafe { &*par.as_ptr() };
    Fields {
        medium: media::Type::from(p.codec_type),
        id: Id::from(p.codec_id),
        tag: p.codec_tag,
        bit_rate: p.bit_rate,
        format: p.format,
        profile: p.profile,
        level: p.level,
        width: p.width,
        height: p.height,
        sample_aspect_ratio: Rational::from(p.sample_aspect_ratio),
        color_range: color::Range::from(p.color_range),
        color_primaries: color::Primaries::from(p.color_primaries),
        color_trc: color::TransferCharacteristic::from(p.color_trc),
        color_space: color::Space::from(p.color_space),
        video_delay: p.video_delay,
        sample_rate: p.sample_rate,
        channels: p.ch_layout.nb_channels,
    }
}

/// The short and long name of a codec (e.g. "h264", "H.264 / AVC /
/// MPEG-4 AVC / MPEG-4 part 10"); `None` if libavcodec has no descriptor.
pub fn codec_names(id: Id) -> Option<(String, String)> {
    // SAFETY: the descriptor table is static inside libavcodec; its
    // strings are static (or null).
    unsafe {
        let desc = ffi::avcodec_descriptor_get(id.into());
        if desc.is_null() {
            None
        } else {
            Some((c_str((*desc).name), c_str((*desc).long_name)))
        }
    }
}

/// The name of the profile of `par` (e.g. "High", "LC"); "" when the codec
/// has no name for it.
pub fn profile_name(par: &codec::Parameters) -> String {
    // SAFETY: reading two plain fields; the name is a static string of
    // libavcodec's tables (or null).
    unsafe {
        let p = &*par.as_ptr();
        c_str(ffi::avcodec_profile_name(p.codec_id, p.profile))
    }
}

/// libavutil's description of the channel layout of `par` (e.g.
/// "stereo"); `None` if it has none.
pub fn channel_layout_description(par: &codec::Parameters) -> Option<String> {
    let mut buf = [0 as std::ffi::c_char; 128];
    // SAFETY: the layout is valid; the buffer size is passed.
    let ret = unsafe {
        ffi::av_channel_layout_describe(&(*par.as_ptr()).ch_layout, buf.as_mut_ptr(), buf.len())
    };
    // SAFETY: on success the buffer holds a NUL-terminated string.
    (ret > 0).then(|| unsafe { c_str(buf.as_ptr()) })
}

/// Replaces the extradata of `par` with a padded copy of `data`; `Err`
/// (ENOMEM) if it cannot be allocated, leaving none.
pub fn set_extradata(par: &mut codec::Parameters, data: &[u8]) -> Result<(), Error> {
    let out_of_memory = Error::Other {
        errno: libc::ENOMEM,
    };
    // SAFETY: `par` is valid and writable; the old buffer is libav's own
    // (freed and nulled), and the new one is allocated with the padding
    // libav requires before the copy of `data` goes into it.
    unsafe {
        let par = par.as_mut_ptr();
        ffi::av_freep(ptr::addr_of_mut!((*par).extradata).cast());
        (*par).extradata_size = 0;
        let Ok(size) = i32::try_from(data.len()) else {
            return Err(out_of_memory);
        };
        let buf =
            ffi::av_mallocz(data.len() + ffi::AV_INPUT_BUFFER_PADDING_SIZE as usize) as *mut u8;
        if buf.is_null() {
            return Err(out_of_memory);
        }
        ptr::copy_nonoverlapping(data.as_ptr(), buf, data.len());
        (*par).extradata = buf;
        (*par).extradata_size = size;
    }
    Ok(())
}

/// A copy of the extradata of `par` (an fMP4 track's `avcC`/`hvcC` record
/// or AudioSpecificConfig).
pub fn extradata(par: &codec::Parameters) -> Vec<u8> {
    // SAFETY: libav keeps `extradata_size` bytes at `extradata` (or null).
    unsafe {
        let p = &*par.as_ptr();
        let size = usize::try_from(p.extradata_size).unwrap_or(0);
        if p.extradata.is_null() || size == 0 {
            return Vec::new();
        }
        std::slice::from_raw_parts(p.extradata, size).to_vec()
    }
}

/// Sets the default channel layout for `channels` (and the deprecated
/// channel fields that older readers look at).
pub fn set_default_layout(par: &mut codec::Parameters, channels: i32) {
    // SAFETY: `par` is valid and writable, so its layout is one libav
    // initialised and its fields may be written.
    unsafe {
        let par = par.as_mut_ptr();
        #[allow(deprecated)]
        write_default_layout(
            &mut (*par).ch_layout,
            &mut (*par).channels,
            &mut (*par).channel_layout,
            channels,
        );
    }
}

/// Replaces `layout` with the default layout for `channels` (releasing the
/// old one first) and sets the deprecated `channels` / `channel_layout`
/// twins to match, in whichever struct holds the three
/// (`AVCodecParameters`, `AVCodecContext`).
///
/// # Safety
/// The three are fields of one valid struct the caller may write, and
/// `layout` was initialised by libav (so uninit may free what it owns).
pub(super) unsafe fn write_default_layout(
    layout: &mut ffi::AVChannelLayout,
    old_channels: &mut i32,
    old_mask: &mut u64,
    channels: i32,
) {
    // SAFETY: `layout` is a libav-initialised layout (the caller's promise).
    unsafe {
        ffi::av_channel_layout_uninit(layout);
        ffi::av_channel_layout_default(layout, channels);
        *old_mask = layout.u.mask;
    }
    *old_channels = channels;
}

/// Sets the codec tag (the fourcc a container writes; 0 lets the muxer
/// choose).
pub fn set_tag(par: &mut codec::Parameters, tag: u32) {
    // SAFETY: plain field write on valid codec parameters.
    unsafe { (*par.as_mut_ptr()).codec_tag = tag };
}

/// Sets the sample rate of audio parameters.
pub fn set_sample_rate(par: &mut codec::Parameters, rate: i32) {
    // SAFETY: plain field write on valid codec parameters.
    unsafe { (*par.as_mut_ptr()).sample_rate = rate };
}

/// Sets the samples per frame of audio parameters.
pub fn set_frame_size(par: &mut codec::Parameters, samples: i32) {
    // SAFETY: plain field write on valid codec parameters.
    unsafe { (*par.as_mut_ptr()).frame_size = samples };
}

/// Sets the codec profile (e.g. AAC object type - 1).
pub fn set_profile(par: &mut codec::Parameters, profile: i32) {
    // SAFETY: plain field write on valid codec parameters.
    unsafe { (*par.as_mut_ptr()).profile = profile };
}

/// Sets the number of frames of reordering delay (`has_b_frames`).
pub fn set_video_delay(par: &mut codec::Parameters, frames: i32) {
    // SAFETY: plain field write on valid codec parameters.
    unsafe { (*par.as_mut_ptr()).video_delay = frames };
}

/// Parameters naming only `id` and its medium.
pub fn bare(medium: media::Type, id: Id) -> codec::Parameters {
    let mut par = codec::Parameters::new();
    par.set_medium(medium);
    par.set_id(id);
    par
}

/// Adds a stream with a copy of `par` and the given time base to an output
/// that has not written its header yet; returns the stream index.
pub fn add_stream(
    output: &mut ffmpeg_next::format::context::Output,
    par: &codec::Parameters,
    time_base: Rational,
) -> Result<usize, Error> {
    // SAFETY: the stream is owned by the output context; the parameter copy
    // allocates its own buffers.
    unsafe {
        let stream = ffi::avformat_new_stream(output.as_mut_ptr(), ptr::null());
        if stream.is_null() {
            return Err(Error::Other {
                errno: libc::ENOMEM,
            });
        }
        let ret = ffi::avcodec_parameters_copy((*stream).codecpar, par.as_ptr());
        if ret < 0 {
            return Err(Error::from(ret));
        }
        (*(*stream).codecpar).codec_tag = 0;
        (*stream).time_base = time_base.into();
        Ok(usize::try_from((*stream).index).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extradata_is_replaced_not_appended() {
        let mut par = bare(media::Type::Video, Id::H264);
        assert!(extradata(&par).is_empty());
        set_extradata(&mut par, &[0, 0, 0, 1, 0x67]).expect("set");
        set_extradata(&mut par, &[0, 0, 1]).expect("set again");
        assert_eq!(extradata(&par), [0, 0, 1]);
        set_extradata(&mut par, &[]).expect("emptied");
        assert!(extradata(&par).is_empty());
    }

    #[test]
    fn written_fields_read_back() {
        let mut par = bare(media::Type::Audio, Id::AAC);
        set_sample_rate(&mut par, 44_100);
        set_frame_size(&mut par, 1024);
        set_profile(&mut par, 1);
        set_default_layout(&mut par, 2);
        set_tag(&mut par, 0x6134_706d);
        let f = fields(&par);
        assert_eq!((f.medium, f.id), (media::Type::Audio, Id::AAC));
        assert_eq!((f.sample_rate, f.channels, f.profile), (44_100, 2, 1));
        assert_eq!(f.tag, 0x6134_706d);
        assert_eq!(profile_name(&par), "LC");
        assert_eq!(channel_layout_description(&par).as_deref(), Some("stereo"));
        let mut video = bare(media::Type::Video, Id::H264);
        set_video_delay(&mut video, 2);
        assert_eq!(fields(&video).video_delay, 2);
        assert_eq!(fields(&video).format, -1);
    }

    #[test]
    fn writes_through_a_stream_reach_the_output() {
        crate::av::init().expect("libav");
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.mp4");
        let mut output = ffmpeg_next::format::output_as(&path, "mp4").expect("output");
        let mut par = bare(media::Type::Video, Id::H264);
        set_tag(&mut par, 0x3163_7661);
        let index = add_stream(&mut output, &par, Rational::new(1, 90_000)).expect("added");
        let stored = |output: &ffmpeg_next::format::context::Output| {
            fields(&output.stream(index).expect("stream").parameters())
        };
        // The copy's tag is cleared for the muxer to choose.
        assert_eq!(stored(&output).tag, 0);
        let mut st = output.stream_mut(index).expect("stream");
        let mut stream_par = st.parameters();
        set_tag(&mut stream_par, 0x3163_7668);
        set_video_delay(&mut stream_par, 1);
        set_extradata(&mut stream_par, &[1, 2, 3]).expect("set");
        st.set_rate(Rational::new(30, 1));
        let f = stored(&output);
        assert_eq!((f.tag, f.video_delay), (0x3163_7668, 1));
        assert_eq!(
            extradata(&output.stream(index).expect("stream").parameters()),
            [1, 2, 3]
        );
    }

    #[test]
    fn codecs_have_names() {
        let (name, long) = codec_names(Id::H264).expect("h264");
        assert_eq!(name, "h264");
        assert!(long.contains("H.264"), "{long}");
        assert_eq!(codec_names(Id::None), None);
        assert_eq!(profile_name(&bare(media::Type::Video, Id::None)), "");
    }
}
