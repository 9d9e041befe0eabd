//! A validated SubmitLiveEditingJob, as persisted with the job (JSON in `jobs.request`). Only
//! `validate::validate` builds one, so holding a `JobRequest` means every rule was checked.

use serde::{Deserialize, Serialize};

use super::location::ObjectLocation;

/// What a job does when a segment inside a clip turns out truncated or damaged (its video stops
/// before the recording says it ends, or has a hole): `MediaProduceConfig.OnDamagedRecording`.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DamagedPolicy {
    /// Succeed with what could be read; the lost spans are in the clip's `MissingRanges` and
    /// `Notes` (as gaps of the recording are).
    #[default]
    Report,
    /// Fail the job (`InvalidParameter.ResourceContentBad`), naming the clip and the span; no
    /// output is published.
    Fail,
}

impl DamagedPolicy {
    pub fn parse(s: &str) -> Option<DamagedPolicy> {
        match s {
            "Report" => Some(DamagedPolicy::Report),
            "Fail" => Some(DamagedPolicy::Fail),
            _ => None,
        }
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    AccurateFast,
    Accurate,
    Rough,
    RoughFast,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::AccurateFast => "AccurateFast",
            Mode::Accurate => "Accurate",
            Mode::Rough => "Rough",
            Mode::RoughFast => "RoughFast",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        [
            Mode::AccurateFast,
            Mode::Accurate,
            Mode::Rough,
            Mode::RoughFast,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }

    /// The media engine's name for this mode.
    pub fn cut_mode(self) -> livecut_media::CutMode {
        use livecut_media::CutMode;
        match self {
            Mode::AccurateFast => CutMode::AccurateFast,
            Mode::Accurate => CutMode::Accurate,
            Mode::Rough => CutMode::Rough,
            Mode::RoughFast => CutMode::RoughFast,
        }
    }

    /// Modes that re-encode every frame, and so may scale or set a bit rate.
    pub fn reencodes(self) -> bool {
        matches!(self, Mode::Accurate | Mode::Rough)
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StreamKey {
    pub domain_name: String,
    pub app_name: String,
    pub stream_name: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ClipSpec {
    /// UTC microseconds, inclusive.
    pub start_us: i64,
    /// UTC microseconds, exclusive.
    pub end_us: i64,
    pub stream: StreamKey,
    pub cover_time_us: Option<i64>,
    pub cover_url: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputTarget {
    OssObject,
    VodMedia,
}

impl OutputTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            OutputTarget::OssObject => "oss-object",
            OutputTarget::VodMedia => "vod-media",
        }
    }
}

/// OutputMediaConfig as GetLiveEditingJob echoes it (an object there, with integer sizes).
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq, Eq)]
pub struct OutputEcho {
    pub media_url: Option<String>,
    pub storage_location: Option<String>,
    pub file_name: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bitrate: Option<u32>,
    pub vod_template_group_id: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct JobRequest {
    /// The Clips parameter exactly as submitted; GetLiveEditingJob returns it as a string.
    pub clips_raw: String,
    pub clips: Vec<ClipSpec>,
    pub live_stream: Option<StreamKey>,
    pub mode: Mode,
    /// Jobs stored before the policy existed report, as they did.
    #[serde(default)]
    pub on_damaged: DamagedPolicy,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bitrate_kbps: Option<u32>,
    pub target: OutputTarget,
    pub output_echo: OutputEcho,
    pub output: ObjectLocation,
    /// The URL reported as MediaURL.
    pub media_url: String,
    /// UserData exactly as submitted ("" when absent).
    pub user_data: String,
    pub notify_address: Option<String>,
    pub project_id: Option<String>,
}
