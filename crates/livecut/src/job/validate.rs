//! Every rule a SubmitLiveEditingJob must pass before anything is stored. Each failure names the
//! parameter (down to `Clips[2].EndTime`) and says what is wrong.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::location::{self, ObjectLocation};
use super::request::{
    ClipSpec, DamagedPolicy, JobRequest, Mode, OutputEcho, OutputTarget, StreamKey,
};
use crate::clock::parse_clip_time;
use crate::code::ErrorCode;
use crate::settings::Limits;

pub const MAX_USER_DATA_BYTES: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    /// `ErrorCode::MissingParameter` or `ErrorCode::InvalidParameter`.
    pub code: ErrorCode,
    pub parameter: String,
    pub message: String,
}

/// `ErrorCode::MissingParameter`, in the words IMS uses; the API layer reuses it for non-job parameters.
pub fn missing(parameter: impl Into<String>) -> ValidationError {
    let parameter = parameter.into();
    ValidationError {
        code: ErrorCode::MissingParameter,
        message: format!(
            "The input parameter {parameter} that is mandatory for processing this request is not supplied."
        ),
        parameter,
    }
}

/// `ErrorCode::InvalidParameter` naming the parameter and what is wrong with it.
pub fn invalid(parameter: impl Into<String>, why: impl std::fmt::Display) -> ValidationError {
    let parameter = parameter.into();
    ValidationError {
        code: ErrorCode::InvalidParameter,
        message: format!("The specified parameter {parameter} is not valid: {why}."),
        parameter,
    }
}

/// Parses a parameter that carries a JSON object; absent or blank gives None.
fn json_object(
    params: &BTreeMap<String, String>,
    name: &str,
) -> Result<Option<Map<String, Value>>, ValidationError> {
    let Some(raw) = params.get(name).filter(|s| !s.trim().is_empty()) else {
        return Ok(None);
    };
    match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => Ok(Some(m)),
        Ok(_) => Err(invalid(name, "it must be a JSON object")),
        Err(e) => Err(invalid(name, format!("it is not valid JSON ({e})"))),
    }
}

/// A string field inside a JSON object; present but not a string is an error, blank is absent.
fn string_field(
    obj: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<String>, ValidationError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(invalid(param, "it must be a string")),
    }
}

/// A positive integer field; JSON numbers and numeric strings are both accepted because SDK users
/// build these objects by hand in every language.
fn uint_field(
    obj: &Map<String, Value>,
    key: &str,
    param: &str,
) -> Result<Option<u32>, ValidationError> {
    let n = match obj.get(key) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if n > 0 && n <= i64::from(u32::MAX) => Ok(Some(n as u32)),
        Some(_) => Err(invalid(param, "it must be a positive integer")),
        None => Err(invalid(param, "it must be an integer")),
    }
}

pub fn validate(
    params: &BTreeMap<String, String>,
    limits: &Limits,
) -> Result<JobRequest, ValidationError> {
    let live_stream = live_stream_config(params)?;
    let clips_raw = params
        .get("Clips")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| missing("Clips"))?
        .clone();
    let clips = clips(&clips_raw, live_stream.as_ref(), limits)?;
    let (mode, produce_width, produce_height, on_damaged) = media_produce_config(params)?;
    let target = match params.get("OutputMediaTarget").map(|s| s.trim()) {
        None | Some("" | "oss-object") => OutputTarget::OssObject,
        Some("vod-media") => OutputTarget::VodMedia,
        Some(other) => {
            return Err(invalid(
                "OutputMediaTarget",
                format!("{other:?} is not one of oss-object, vod-media"),
            ));
        }
    };
    let (output_echo, output, media_url) = output_media_config(params, target)?;
    let width = produce_width.or(output_echo.width);
    let height = produce_height.or(output_echo.height);
    check_dimensions(mode, width, height, output_echo.bitrate, limits)?;
    let (user_data, notify_address) = user_data(params)?;
    let project_id = params
        .get("ProjectId")
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    Ok(JobRequest {
        clips_raw,
        clips,
        live_stream,
        mode,
        on_damaged,
        width,
        height,
        bitrate_kbps: output_echo.bitrate,
        target,
        output_echo,
        output,
        media_url,
        user_data,
        notify_address,
        project_id,
    })
}

fn live_stream_config(
    params: &BTreeMap<String, String>,
) -> Result<Option<StreamKey>, ValidationError> {
    let Some(obj) = json_object(params, "LiveStreamConfig")? else {
        return Ok(None);
    };
    let field = |k: &str| {
        let p = format!("LiveStreamConfig.{k}");
        let v = string_field(&obj, k, &p)?.ok_or_else(|| missing(p.clone()))?;
        stream_part(v, &p)
    };
    Ok(Some(StreamKey {
        app_name: field("AppName")?,
        domain_name: field("DomainName")?,
        stream_name: field("StreamName")?,
    }))
}

/// The longest DomainName, AppName or StreamName.
const MAX_STREAM_PART: usize = 255;

/// A DomainName, AppName or StreamName: it names folders of recordings and appears in logs and
/// playlists, so it holds no path separator, no control character and is not `.` or `..`.
pub fn stream_part(value: String, parameter: &str) -> Result<String, ValidationError> {
    let why = if value.chars().count() > MAX_STREAM_PART {
        format!("it is longer than {MAX_STREAM_PART} characters")
    } else if value == "." || value == ".." {
        format!("{value:?} is not a name")
    } else if value.contains(['/', '\\']) {
        "it must not contain / or \\".to_string()
    } else if value.chars().any(char::is_control) {
        "it must not contain control characters (newlines, NUL)".to_string()
    } else {
        return Ok(value);
    };
    Err(invalid(parameter, why))
}

fn clips(
    raw: &str,
    default_stream: Option<&StreamKey>,
    limits: &Limits,
) -> Result<Vec<ClipSpec>, ValidationError> {
    let items = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Array(items)) => items,
        Ok(_) => return Err(invalid("Clips", "it must be a JSON array of clip objects")),
        Err(e) => return Err(invalid("Clips", format!("it is not valid JSON ({e})"))),
    };
    if items.is_empty() {
        return Err(invalid("Clips", "it must hold at least one clip"));
    }
    if items.len() > limits.max_clips {
        return Err(invalid(
            "Clips",
            format!(
                "it holds {} clips, more than the limit of {}",
                items.len(),
                limits.max_clips
            ),
        ));
    }
    let mut out = Vec::with_capacity(items.len());
    let mut total_us: i64 = 0;
    for (i, item) in items.iter().enumerate() {
        let clip = one_clip(i, item, default_stream, limits)?;
        total_us = total_us.saturating_add(clip.end_us - clip.start_us);
        out.push(clip);
    }
    let max_total_us = (limits.max_total_seconds as i64).saturating_mul(1_000_000);
    if total_us > max_total_us {
        return Err(invalid(
            "Clips",
            format!(
                "the clips add up to {:.3} s, more than the limit of {} s",
                total_us as f64 / 1e6,
                limits.max_total_seconds
            ),
        ));
    }
    // IMS mixes streams only within one application of one domain.
    if let Some(first) = out.first().map(|c| c.stream.clone()) {
        for (i, c) in out.iter().enumerate().skip(1) {
            if c.stream.app_name != first.app_name {
                return Err(invalid(
                    format!("Clips[{i}].AppName"),
                    format!(
                        "all clips of a job must come from one application, but {:?} differs from {:?}",
                        c.stream.app_name, first.app_name
                    ),
                ));
            }
            if c.stream.domain_name != first.domain_name {
                return Err(invalid(
                    format!("Clips[{i}].DomainName"),
                    format!(
                        "all clips of a job must come from one domain, but {:?} differs from {:?}",
                        c.stream.domain_name, first.domain_name
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn one_clip(
    i: usize,
    item: &Value,
    default_stream: Option<&StreamKey>,
    limits: &Limits,
) -> Result<ClipSpec, ValidationError> {
    let p = |k: &str| format!("Clips[{i}].{k}");
    let Value::Object(obj) = item else {
        return Err(invalid(
            format!("Clips[{i}]"),
            "each clip must be a JSON object",
        ));
    };
    let time = |k: &str| -> Result<i64, ValidationError> {
        let raw = string_field(obj, k, &p(k))?.ok_or_else(|| missing(p(k)))?;
        parse_clip_time(&raw).map_err(|e| invalid(p(k), format!("{raw:?} {e}")))
    };
    let start_us = time("StartTime")?;
    let end_us = time("EndTime")?;
    if end_us <= start_us {
        return Err(invalid(p("EndTime"), "it must be later than StartTime"));
    }
    let max_clip_us = (limits.max_clip_seconds as i64).saturating_mul(1_000_000);
    if end_us - start_us > max_clip_us {
        return Err(invalid(
            p("EndTime"),
            format!(
                "the clip lasts {:.3} s, more than the limit of {} s",
                (end_us - start_us) as f64 / 1e6,
                limits.max_clip_seconds
            ),
        ));
    }
    // Each stream field falls back to LiveStreamConfig on its own, as IMS documents.
    let stream_field = |k: &str, default: Option<&String>| -> Result<String, ValidationError> {
        match string_field(obj, k, &p(k))? {
            Some(v) => stream_part(v, &p(k)),
            None => default.cloned().ok_or_else(|| {
                invalid(
                    p(k),
                    format!(
                        "the clip names no {k} and there is no LiveStreamConfig to take it from"
                    ),
                )
            }),
        }
    };
    let stream = StreamKey {
        app_name: stream_field("AppName", default_stream.map(|s| &s.app_name))?,
        domain_name: stream_field("DomainName", default_stream.map(|s| &s.domain_name))?,
        stream_name: stream_field("StreamName", default_stream.map(|s| &s.stream_name))?,
    };
    let cover_time_us = match string_field(obj, "CoverTime", &p("CoverTime"))? {
        None => None,
        Some(raw) => {
            let t = parse_clip_time(&raw)
                .map_err(|e| invalid(p("CoverTime"), format!("{raw:?} {e}")))?;
            if t < start_us || t >= end_us {
                return Err(invalid(
                    p("CoverTime"),
                    "it must lie inside the clip, at or after StartTime and before EndTime",
                ));
            }
            Some(t)
        }
    };
    let cover_url = match string_field(obj, "CoverUrl", &p("CoverUrl"))? {
        None => None,
        Some(u) => {
            let l = location::parse_url(&u).map_err(|e| invalid(p("CoverUrl"), e))?;
            if !has_extension(&l.key, &["jpg", "jpeg"]) {
                return Err(invalid(
                    p("CoverUrl"),
                    "the cover is a JPEG, so the name must end in .jpg or .jpeg",
                ));
            }
            Some(u)
        }
    };
    Ok(ClipSpec {
        start_us,
        end_us,
        stream,
        cover_time_us,
        cover_url,
    })
}

fn media_produce_config(
    params: &BTreeMap<String, String>,
) -> Result<(Mode, Option<u32>, Option<u32>, DamagedPolicy), ValidationError> {
    let Some(obj) = json_object(params, "MediaProduceConfig")? else {
        return Ok((Mode::AccurateFast, None, None, DamagedPolicy::Report));
    };
    let mode = match string_field(&obj, "Mode", "MediaProduceConfig.Mode")? {
        None => Mode::AccurateFast,
        Some(m) => Mode::parse(&m).ok_or_else(|| {
            invalid(
                "MediaProduceConfig.Mode",
                format!("{m:?} is not one of AccurateFast, Accurate, Rough, RoughFast"),
            )
        })?,
    };
    let width = uint_field(&obj, "Width", "MediaProduceConfig.Width")?;
    let height = uint_field(&obj, "Height", "MediaProduceConfig.Height")?;
    let p = "MediaProduceConfig.OnDamagedRecording";
    let on_damaged = match string_field(&obj, "OnDamagedRecording", p)? {
        None => DamagedPolicy::Report,
        Some(v) => DamagedPolicy::parse(&v)
            .ok_or_else(|| invalid(p, format!("{v:?} is not one of Report, Fail")))?,
    };
    Ok((mode, width, height, on_damaged))
}

/// The smallest output width or height an encoder takes.
const MIN_DIMENSION: u32 = 32;
/// Output video bit rates accepted, in kbit/s (IMS's unit).
const BITRATE_KBPS: std::ops::RangeInclusive<u32> = 50..=100_000;
/// The longest part of an object name between slashes (a file name on a folder bucket; the
/// whole name's limit is `location`'s).
const MAX_NAME_BYTES: usize = 255;

fn check_dimensions(
    mode: Mode,
    width: Option<u32>,
    height: Option<u32>,
    bitrate: Option<u32>,
    limits: &Limits,
) -> Result<(), ValidationError> {
    for (name, value) in [("Width", width), ("Height", height)] {
        let Some(v) = value else { continue };
        if !mode.reencodes() {
            return Err(invalid(
                name,
                format!(
                    "a custom size needs Mode Accurate or Rough; {} keeps the source resolution",
                    mode.as_str()
                ),
            ));
        }
        if v % 2 != 0 {
            return Err(invalid(name, format!("{v} is odd; it must be even")));
        }
        if v < MIN_DIMENSION {
            return Err(invalid(
                name,
                format!("{v} is below the minimum of {MIN_DIMENSION}"),
            ));
        }
        if v > limits.max_dimension {
            return Err(invalid(
                name,
                format!("{v} is above the limit of {}", limits.max_dimension),
            ));
        }
    }
    if let Some(b) = bitrate
        && !BITRATE_KBPS.contains(&b)
    {
        return Err(invalid(
            "OutputMediaConfig.Bitrate",
            format!(
                "{b} kbit/s is outside {}-{} kbit/s",
                BITRATE_KBPS.start(),
                BITRATE_KBPS.end()
            ),
        ));
    }
    if bitrate.is_some() && !mode.reencodes() {
        return Err(invalid(
            "OutputMediaConfig.Bitrate",
            format!(
                "a bit rate needs Mode Accurate or Rough; {} copies the source bit stream",
                mode.as_str()
            ),
        ));
    }
    Ok(())
}

fn has_extension(key: &str, exts: &[&str]) -> bool {
    key.rsplit_once('.')
        .is_some_and(|(_, e)| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

fn output_media_config(
    params: &BTreeMap<String, String>,
    target: OutputTarget,
) -> Result<(OutputEcho, ObjectLocation, String), ValidationError> {
    let obj =
        json_object(params, "OutputMediaConfig")?.ok_or_else(|| missing("OutputMediaConfig"))?;
    let echo = OutputEcho {
        media_url: string_field(&obj, "MediaURL", "OutputMediaConfig.MediaURL")?,
        storage_location: string_field(
            &obj,
            "StorageLocation",
            "OutputMediaConfig.StorageLocation",
        )?,
        file_name: string_field(&obj, "FileName", "OutputMediaConfig.FileName")?,
        width: uint_field(&obj, "Width", "OutputMediaConfig.Width")?,
        height: uint_field(&obj, "Height", "OutputMediaConfig.Height")?,
        bitrate: uint_field(&obj, "Bitrate", "OutputMediaConfig.Bitrate")?,
        vod_template_group_id: string_field(
            &obj,
            "VodTemplateGroupId",
            "OutputMediaConfig.VodTemplateGroupId",
        )?,
    };
    let (location, media_url) = match target {
        OutputTarget::OssObject => {
            let url = echo
                .media_url
                .clone()
                .ok_or_else(|| missing("OutputMediaConfig.MediaURL"))?;
            let l =
                location::parse_url(&url).map_err(|e| invalid("OutputMediaConfig.MediaURL", e))?;
            (l, url)
        }
        OutputTarget::VodMedia => {
            let storage = echo
                .storage_location
                .clone()
                .ok_or_else(|| missing("OutputMediaConfig.StorageLocation"))?;
            let file = echo
                .file_name
                .clone()
                .ok_or_else(|| missing("OutputMediaConfig.FileName"))?;
            let l = location::parse_storage_location(&storage, &file).map_err(|e| match e {
                location::LocationError::BadBucket(_) => {
                    invalid("OutputMediaConfig.StorageLocation", e)
                }
                _ => invalid("OutputMediaConfig.FileName", e),
            })?;
            let url = format!("https://{}/{}", storage.trim_end_matches('/'), l.key);
            (l, url)
        }
    };
    let param = match target {
        OutputTarget::OssObject => "OutputMediaConfig.MediaURL",
        OutputTarget::VodMedia => "OutputMediaConfig.FileName",
    };
    if let Some(long) = location
        .key
        .split('/')
        .find(|part| part.len() > MAX_NAME_BYTES)
    {
        return Err(invalid(
            param,
            format!(
                "a part of the object name is {} bytes long, more than {MAX_NAME_BYTES} (a \
                 file name in a folder bucket)",
                long.len()
            ),
        ));
    }
    if !has_extension(&location.key, &["mp4", "m3u8"]) {
        return Err(invalid(
            param,
            "the name must end in .mp4 (an MP4 file) or .m3u8 (an HLS playlist with its segments)",
        ));
    }
    Ok((echo, location, media_url))
}

fn user_data(
    params: &BTreeMap<String, String>,
) -> Result<(String, Option<String>), ValidationError> {
    let Some(raw) = params.get("UserData").filter(|s| !s.trim().is_empty()) else {
        return Ok((String::new(), None));
    };
    if raw.len() > MAX_USER_DATA_BYTES {
        return Err(invalid(
            "UserData",
            format!(
                "it is {} bytes long, more than {MAX_USER_DATA_BYTES}",
                raw.len()
            ),
        ));
    }
    let obj = match serde_json::from_str::<Value>(raw) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return Err(invalid("UserData", "it must be a JSON object")),
        Err(e) => return Err(invalid("UserData", format!("it is not valid JSON ({e})"))),
    };
    let notify = string_field(&obj, "NotifyAddress", "UserData.NotifyAddress")?;
    if let Some(n) = &notify {
        let is_url = (n.starts_with("http://") || n.starts_with("https://"))
            && url::Url::parse(n).is_ok_and(|u| u.host().is_some());
        if !is_url && !n.starts_with("ice-callback-") {
            return Err(invalid(
                "UserData.NotifyAddress",
                "it must be an http(s) URL or an MNS queue name starting with ice-callback-",
            ));
        }
    }
    Ok((raw.clone(), notify))
}

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;
