//! `GetMediaInfo`: a registered output, described from the real file (ffprobe-style fields, every
//! number as a string, as the IMS SDK models expect).

use livecut_media::{MediaProbe, StreamKind, StreamProbe};
use serde_json::{Value, json};

use super::error::ApiError;
use super::rpc::RpcRequest;
use super::{AppState, Caller};
use crate::clock::format_api_time;
use crate::db::media::{self, MediaRow};
use crate::job::location;

pub async fn handle(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<Value, ApiError> {
    let row = find(state, req, caller).await?;
    Ok(json!({ "MediaInfo": media_info(&row, true, true) }))
}

/// The caller's asset named by `MediaId` or `InputURL` (another account's answers as one that
/// does not exist).
pub(super) async fn find(
    state: &AppState,
    req: &RpcRequest,
    caller: &Caller,
) -> Result<MediaRow, ApiError> {
    if let Some(media_id) = req.param("MediaId") {
        media::get(&state.db, media_id).await
    } else if let Some(url) = req.param("InputURL") {
        let loc =
            location::parse_url(url).map_err(|e| ApiError::invalid("InputURL", &e.to_string()))?;
        media::find_by_location(&state.db, &caller.account, &loc.bucket, &loc.key).await
    } else {
        return Err(ApiError::missing("MediaId"));
    }
    .map_err(|e| ApiError::internal("reading the media asset", &e))?
    .filter(|media| media.account == caller.account)
    .ok_or_else(|| ApiError::not_found("media"))
}

/// GetMediaInfo's `MediaInfo`: with `files`, the file read back from its probe, and with
/// `streams` its stream lists too (ListMediaBasicInfos shows a file's basic info only, and only
/// when asked, so it neither decodes a probe nor builds lists it does not send).
pub(super) fn media_info(row: &MediaRow, files: bool, streams: bool) -> Value {
    let mut info = json!({
        "MediaId": row.media_id,
        "MediaBasicInfo": {
            "MediaId": row.media_id,
            "InputURL": row.input_url,
            "MediaType": "video",
            "BusinessType": row.library.business_type,
            "Source": "oss",
            "Title": row.title,
            "Description": row.library.description,
            "Category": row.library.category,
            "MediaTags": row.library.media_tags,
            "CoverURL": row.cover_url,
            "UserData": row.user_data,
            "Snapshots": "[]",
            "SpriteImages": "",
            "Status": row.status,
            "CreateTime": format_api_time(row.created_at),
            "ModifiedTime": format_api_time(row.modified_at),
            "DeletedTime": "",
            "Biz": "ICE",
            "UploadSource": "general",
            "ReferenceId": row.library.reference_id,
            "CateName": "",
            "CateId": row.library.cate_id,
        },
        "FileInfoList": [],
    });
    if files && let Ok(probe) = serde_json::from_str::<MediaProbe>(&row.probe) {
        info["FileInfoList"] = json!([file_info(row, &probe, streams)]);
    }
    info
}

fn file_info(row: &MediaRow, p: &MediaProbe, streams: bool) -> Value {
    let video = p.streams.iter().find(|s| s.kind == StreamKind::Video);
    let name = row.object_key.rsplit('/').next().unwrap_or_default();
    let mut file = json!({
        "FileBasicInfo": {
            "FileName": name,
            "FileStatus": "Normal",
            "FileType": "source_file",
            "FileSize": row.file_size.to_string(),
            "FileUrl": row.input_url,
            "Region": "local",
            "FormatName": p.format_name,
            "Duration": format!("{:.6}", p.duration_s),
            "Bitrate": kbps(Some(p.bit_rate)),
            "Width": opt(video.and_then(|v| v.width)),
            "Height": opt(video.and_then(|v| v.height)),
            "CreateTime": format_api_time(row.created_at),
            "ModifiedTime": format_api_time(row.modified_at),
        },
    });
    if streams {
        file["VideoStreamInfoList"] = p
            .streams
            .iter()
            .filter(|s| s.kind == StreamKind::Video)
            .map(video_info)
            .collect();
        file["AudioStreamInfoList"] = p
            .streams
            .iter()
            .filter(|s| s.kind == StreamKind::Audio)
            .map(audio_info)
            .collect();
        file["SubtitleStreamInfoList"] = json!([]);
    }
    file
}

/// IMS reports bit rates in kbit/s with two decimals.
fn kbps(bits_per_second: Option<i64>) -> String {
    bits_per_second
        .map(|b| format!("{:.2}", b as f64 / 1000.0))
        .unwrap_or_default()
}

/// An absent probe value is an empty string, as ffprobe-derived IMS fields are.
fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn seconds(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.6}")).unwrap_or_default()
}

/// Frame rates as IMS shows them: a decimal such as "30.0" or "29.97".
fn fps(v: Option<f64>) -> String {
    v.map(|v| {
        let r = (v * 1000.0).round() / 1000.0;
        if r.fract() == 0.0 {
            format!("{r:.1}")
        } else {
            format!("{r}")
        }
    })
    .unwrap_or_default()
}

fn video_info(s: &StreamProbe) -> Value {
    json!({
        "Index": s.index.to_string(),
        "CodecName": s.codec_name,
        "CodecLongName": s.codec_long_name,
        "Profile": s.profile,
        "CodecTimeBase": s.codec_time_base,
        "CodecTagString": s.codec_tag_string,
        "CodecTag": s.codec_tag,
        "Width": opt(s.width),
        "Height": opt(s.height),
        "HasBFrames": opt(s.has_b_frames),
        "Sar": opt(s.sar.as_ref()),
        "Dar": opt(s.dar.as_ref()),
        "PixFmt": opt(s.pix_fmt.as_ref()),
        "Level": opt(s.level),
        "Fps": fps(s.r_frame_rate_value),
        "AvgFPS": fps(s.avg_frame_rate_value),
        "Timebase": s.time_base,
        "StartTime": seconds(s.start_time_s),
        "Duration": seconds(s.duration_s),
        "Bitrate": kbps(s.bit_rate),
        "NumFrames": opt(s.nb_frames),
        "Nb_frames": opt(s.nb_frames),
        "Lang": s.language.clone().unwrap_or_else(|| "und".to_string()),
        "Rotate": "0",
    })
}

fn audio_info(s: &StreamProbe) -> Value {
    json!({
        "Index": s.index.to_string(),
        "CodecName": s.codec_name,
        "CodecLongName": s.codec_long_name,
        "CodecTimeBase": s.codec_time_base,
        "CodecTagString": s.codec_tag_string,
        "CodecTag": s.codec_tag,
        "SampleFmt": opt(s.sample_fmt.as_ref()),
        "SampleRate": opt(s.sample_rate),
        "Channels": opt(s.channels),
        "ChannelLayout": opt(s.channel_layout.as_ref()),
        "Timebase": s.time_base,
        "StartTime": seconds(s.start_time_s),
        "Duration": seconds(s.duration_s),
        "Bitrate": kbps(s.bit_rate),
        "Fps": "0",
        "NumFrames": opt(s.nb_frames),
        "Lang": s.language.clone().unwrap_or_else(|| "und".to_string()),
        "Profile": s.profile,
    })
}
