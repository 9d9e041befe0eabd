//! The generation loop: draw, encode, hand packets to the segmenter.

use ffmpeg_next::codec::{self, encoder};
use ffmpeg_next::format::{Pixel, Sample, sample};
use ffmpeg_next::util::color;
use ffmpeg_next::{Error, Packet, Rational, frame};

use super::segmenter::Segmenter;
use super::{GeneratedSegment, RateControl, RecordingSpec, RecordingSummary, picture};
use crate::MediaError;
use crate::av::video_encoder::{self, Rate, VideoEncoderSettings, is_again};
use crate::av::{self, codec_context};
use crate::codec::{AudioCodec, VideoCodec};
use crate::error::Cause;

fn gen_error(what: &str, e: Error) -> MediaError {
    MediaError::Encoder {
        clip: None,
        cause: Cause::libav(format!("test recording: {what}"), e),
    }
}

/// The `x264-params` / `x265-params` of the recording: a keyframe exactly
/// every `gop_frames` frames, never anywhere else; closed GOPs (IDR) unless
/// `open_gop` (x264: recovery-point I frames, x265: CRA pictures).
fn encoder_params(spec: &RecordingSpec) -> String {
    let gop = spec.gop_frames;
    let open = u8::from(spec.open_gop);
    let mut params = match spec.video_codec {
        VideoCodec::H264 => format!(
            "keyint={gop}:min-keyint={gop}:scenecut=0:open-gop={open}:sps-id={id}",
            id = spec.sps_id
        ),
        VideoCodec::Hevc => {
            format!("keyint={gop}:min-keyint={gop}:scenecut=0:open-gop={open}:log-level=error")
        }
    };
    if spec.open_gop {
        // A fixed B-frame pattern, so that the frames right before every
        // keyframe are B-frames, which become its leading pictures; the
        // adaptive decision may end a GOP with a P frame instead.
        params.push_str(":b-adapt=0");
    }
    params
}

fn open_video(spec: &RecordingSpec, width: u32, height: u32) -> Result<encoder::Video, MediaError> {
    let settings = VideoEncoderSettings {
        codec: spec.video_codec,
        width,
        height,
        pixel: if spec.ten_bit {
            Pixel::YUV420P10LE
        } else {
            Pixel::YUV420P
        },
        time_base: Rational::new(spec.fps_den as i32, spec.fps_num as i32),
        frame_rate: Rational::new(spec.fps_num as i32, spec.fps_den as i32),
        sample_aspect_ratio: Rational::new(1, 1),
        color_range: color::Range::MPEG,
        color_primaries: color::Primaries::BT709,
        color_trc: color::TransferCharacteristic::BT709,
        color_space: color::Space::BT709,
        preset: spec.x264_preset.clone(),
        rate: match spec.rate {
            RateControl::Crf(crf) => Rate::Crf(crf),
            RateControl::Bitrate(bps) => Rate::Bitrate(bps),
        },
        profile: spec.ten_bit.then(|| "main10".to_string()),
        level: None,
        bframes: Some(spec.bframes),
        gop: spec.gop_frames,
        params: encoder_params(spec),
        // In-band parameter sets at every keyframe, as live encoders send
        // them in TS (libx265: repeat-headers).
        global_header: false,
        threads: 0,
    };
    let name = match spec.video_codec {
        VideoCodec::H264 => "opening libx264",
        VideoCodec::Hevc => "opening libx265",
    };
    video_encoder::open(&settings).map_err(|e| gen_error(name, e))
}

fn open_audio(
    codec: AudioCodec,
    sample_rate: u32,
    channels: u16,
    bit_rate: u64,
) -> Result<encoder::Audio, MediaError> {
    let (found, name) = match codec {
        AudioCodec::Aac => (encoder::find(codec::Id::AAC), "the AAC encoder"),
        AudioCodec::Mp3 => (encoder::find_by_name("libmp3lame"), "libmp3lame"),
    };
    let found =
        found.ok_or_else(|| gen_error(&format!("finding {name}"), Error::EncoderNotFound))?;
    let mut ctx = codec::context::Context::new_with_codec(found)
        .encoder()
        .audio()
        .map_err(|e| gen_error(&format!("creating {name}"), e))?;
    ctx.set_rate(sample_rate as i32);
    ctx.set_format(Sample::F32(sample::Type::Planar));
    ctx.set_bit_rate(bit_rate as usize);
    ctx.set_time_base(Rational::new(1, sample_rate as i32));
    codec_context::set_default_layout(&mut ctx, i32::from(channels));
    ctx.open()
        .map_err(|e| gen_error(&format!("opening {name}"), e))
}

/// An audio frame of `samples` samples starting at `first_sample`.
fn audio_frame(
    markers: &livecut_pattern::AudioMarkers,
    channels: u16,
    first_sample: u64,
    samples: usize,
) -> Result<frame::Audio, MediaError> {
    let mut frame = av::frame::planar_float(usize::from(channels), samples, markers.sample_rate)
        .map_err(|e| gen_error("allocating an audio frame", e))?;
    let values: Vec<f32> = (0..samples as u64)
        .map(|i| markers.sample(first_sample + i))
        .collect();
    for ch in 0..usize::from(channels) {
        frame.plane_mut::<f32>(ch)[..samples].copy_from_slice(&values);
    }
    frame.set_pts(Some(first_sample as i64));
    Ok(frame)
}

/// Sends `frame` (or EOF) and forwards every packet the encoder has ready.
fn pump(
    enc: &mut encoder::Encoder,
    frame: Option<&frame::Frame>,
    what: &str,
    sink: &mut dyn FnMut(Packet) -> Result<(), MediaError>,
) -> Result<(), MediaError> {
    match frame {
        Some(f) => enc.send_frame(f),
        None => enc.send_eof(),
    }
    .map_err(|e| gen_error(what, e))?;
    loop {
        let mut packet = Packet::empty();
        match enc.receive_packet(&mut packet) {
            Ok(()) => sink(packet)?,
            Err(Error::Eof) => return Ok(()),
            Err(e) if is_again(&e) => return Ok(()),
            Err(e) => return Err(gen_error(what, e)),
        }
    }
}

/// The video encoder of the current picture size and its picture.
struct VideoTrack {
    encoder: encoder::Video,
    /// The 8-bit picture the pattern is drawn into.
    picture: frame::Video,
    /// Its 10-bit copy for a Main 10 encoder.
    deep: Option<frame::Video>,
}

/// Copies an 8-bit YUV 4:2:0 picture into a 10-bit one: every sample `v`
/// becomes `v << 2`, the same level on the 10-bit scale.
fn widen(from: &frame::Video, to: &mut frame::Video) {
    for plane in 0..3 {
        let (width, height) = (
            from.plane_width(plane) as usize,
            from.plane_height(plane) as usize,
        );
        let (in_stride, out_stride) = (from.stride(plane), to.stride(plane));
        let input = from.data(plane);
        let output = to.data_mut(plane);
        for y in 0..height {
            let row = &input[y * in_stride..y * in_stride + width];
            let out = &mut output[y * out_stride..y * out_stride + 2 * width];
            for (v, o) in row.iter().zip(out.chunks_exact_mut(2)) {
                o.copy_from_slice(&(u16::from(*v) << 2).to_le_bytes());
            }
        }
    }
}

impl VideoTrack {
    fn open(spec: &RecordingSpec, width: u32, height: u32) -> Result<Self, MediaError> {
        Ok(VideoTrack {
            encoder: open_video(spec, width, height)?,
            picture: frame::Video::new(Pixel::YUV420P, width, height),
            deep: spec
                .ten_bit
                .then(|| frame::Video::new(Pixel::YUV420P10LE, width, height)),
        })
    }

    fn parameters(&self) -> codec::Parameters {
        codec::Parameters::from(&*self.encoder)
    }

    fn encode(
        &mut self,
        index: u64,
        number: u32,
        sink: &mut dyn FnMut(Packet) -> Result<(), MediaError>,
    ) -> Result<(), MediaError> {
        picture::draw(&mut self.picture, index, number);
        let frame = match self.deep.as_mut() {
            Some(deep) => {
                widen(&self.picture, deep);
                deep
            }
            None => &mut self.picture,
        };
        frame.set_pts(Some(index as i64));
        pump(&mut self.encoder, Some(frame), "encoding video", sink)
    }

    fn flush(
        &mut self,
        sink: &mut dyn FnMut(Packet) -> Result<(), MediaError>,
    ) -> Result<(), MediaError> {
        pump(&mut self.encoder, None, "flushing video", sink)
    }
}

pub(super) fn run(
    spec: &RecordingSpec,
    on_segment: &mut dyn FnMut(&GeneratedSegment),
) -> Result<RecordingSummary, MediaError> {
    let mut video = match spec.video {
        true => Some(VideoTrack::open(spec, spec.width, spec.height)?),
        false => None,
    };
    let mut audio = match spec.audio {
        Some(a) => Some((
            open_audio(spec.audio_codec, a.sample_rate, a.channels, a.bit_rate)?,
            a,
        )),
        None => None,
    };
    let video_params = video
        .as_ref()
        .map(|v| (v.parameters(), v.encoder.time_base()));
    let audio_params = audio.as_ref().map(|(enc, a)| {
        (
            codec::Parameters::from(&**enc),
            Rational::new(1, a.sample_rate as i32),
        )
    });
    let mut segmenter = Segmenter::new(spec, video_params, audio_params, on_segment);

    let mut size_changes = spec.size_changes.iter().peekable();
    let mut next_sample: u64 = 0;
    for index in 0..spec.total_frames {
        if let Some(track) = video.as_mut() {
            if let Some(change) = size_changes.next_if(|c| c.at_frame == index) {
                // A live encoder restarting at a new size: the old one is
                // drained (its frames all lie before this segment boundary),
                // the new one starts with an IDR frame and new in-band
                // parameter sets; the timestamps just continue.
                track.flush(&mut |p| segmenter.video(p))?;
                *track = VideoTrack::open(spec, change.width, change.height)?;
                segmenter.set_video_parameters(track.parameters());
            }
            let number = spec.first_frame_number + index as u32;
            track.encode(index, number, &mut |p| segmenter.video(p))?;
        }

        if let Some((enc, a)) = audio.as_mut() {
            let markers = marker_schedule(spec, a.sample_rate);
            let frame_size = (enc.frame_size() as usize).max(1);
            let until = markers.onset_sample(index + 1);
            while next_sample + frame_size as u64 <= until {
                let f = audio_frame(&markers, a.channels, next_sample, frame_size)?;
                pump(enc, Some(&f), "encoding audio", &mut |p| segmenter.audio(p))?;
                next_sample += frame_size as u64;
            }
        }
    }
    if let Some((enc, a)) = audio.as_mut() {
        let markers = marker_schedule(spec, a.sample_rate);
        let end = markers.onset_sample(spec.total_frames);
        let frame_size = (enc.frame_size() as usize).max(1);
        while next_sample < end {
            let n = frame_size.min((end - next_sample) as usize);
            let f = audio_frame(&markers, a.channels, next_sample, n)?;
            pump(enc, Some(&f), "encoding audio", &mut |p| segmenter.audio(p))?;
            next_sample += n as u64;
        }
        pump(enc, None, "flushing audio", &mut |p| segmenter.audio(p))?;
    }
    if let Some(track) = video.as_mut() {
        track.flush(&mut |p| segmenter.video(p))?;
    }
    segmenter.finish()
}

fn marker_schedule(spec: &RecordingSpec, sample_rate: u32) -> livecut_pattern::AudioMarkers {
    livecut_pattern::AudioMarkers {
        sample_rate,
        fps_num: spec.fps_num,
        fps_den: spec.fps_den,
        first_frame_number: spec.first_frame_number,
    }
}
