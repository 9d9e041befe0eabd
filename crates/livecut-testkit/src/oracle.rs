//! Independent checks of media files through the `ffmpeg`/`ffprobe` command
//! line tools. Tests of the media engine must not grade its output with the
//! engine's own libav code paths, so everything here shells out.
//!
//! Frame numbers and audio markers follow `livecut_pattern`.

use std::fmt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Width and height every frame is scaled to before its number is read:
/// small (fast) and a real downscale, so the pattern's robustness is used.
const GRAY_WIDTH: u32 = 160;
const GRAY_HEIGHT: u32 = 90;

/// A tone sample above this is "loud".
const ONSET_THRESHOLD: f32 = 0.1;
/// An onset needs this much quiet before it.
const ONSET_GATE_S: f64 = 0.2;

#[derive(Debug)]
pub enum OracleError {
    /// The tool could not be started.
    Spawn {
        command: String,
        error: std::io::Error,
    },
    /// The tool exited unsuccessfully.
    Failed { command: String, stderr: String },
    /// The tool's output did not have the expected shape.
    Parse { command: String, detail: String },
}

impl fmt::Display for OracleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OracleError::Spawn { command, error } => write!(f, "cannot run `{command}`: {error}"),
            OracleError::Failed { command, stderr } => write!(f, "`{command}` failed: {stderr}"),
            OracleError::Parse { command, detail } => {
                write!(f, "unexpected output of `{command}`: {detail}")
            }
        }
    }
}

impl std::error::Error for OracleError {}

struct Output {
    stdout: Vec<u8>,
    stderr: String,
}

fn run(program: &str, args: &[&str]) -> Result<Output, OracleError> {
    let command = format!("{program} {}", args.join(" "));
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|error| OracleError::Spawn {
            command: command.clone(),
            error,
        })?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        return Err(OracleError::Failed { command, stderr });
    }
    Ok(Output {
        stdout: out.stdout,
        stderr,
    })
}

fn parse_error(program: &str, path: &Path, detail: impl Into<String>) -> OracleError {
    OracleError::Parse {
        command: format!("{program} {}", path.display()),
        detail: detail.into(),
    }
}

fn path_str(path: &Path) -> Result<&str, OracleError> {
    path.to_str()
        .ok_or_else(|| parse_error("ffmpeg", path, "path is not UTF-8"))
}

/// One decoded video frame.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameInfo {
    /// Presentation time in seconds on the file's timeline.
    pub pts_s: f64,
    /// The frame number drawn into the picture, if readable.
    pub number: Option<u32>,
}

/// Every frame of a file's first video stream, in presentation order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DecodedVideo {
    pub frames: Vec<FrameInfo>,
}

impl DecodedVideo {
    /// The frame numbers, `None` where unreadable.
    pub fn numbers(&self) -> Vec<Option<u32>> {
        self.frames.iter().map(|f| f.number).collect()
    }
}

fn json_f64(value: &Value) -> Option<f64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Presentation times of the decoded frames of stream `selector`.
fn frame_times(path: &Path, selector: &str) -> Result<Vec<(f64, Option<u64>)>, OracleError> {
    let p = path_str(path)?;
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            selector,
            "-show_entries",
            "frame=pts_time,best_effort_timestamp_time,nb_samples",
            "-of",
            "json",
            p,
        ],
    )?;
    let json: Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| parse_error("ffprobe", path, e.to_string()))?;
    let frames = json
        .get("frames")
        .and_then(Value::as_array)
        .ok_or_else(|| parse_error("ffprobe", path, "no frames array"))?;
    frames
        .iter()
        .map(|f| {
            let t = f
                .get("pts_time")
                .and_then(json_f64)
                .or_else(|| f.get("best_effort_timestamp_time").and_then(json_f64))
                .ok_or_else(|| parse_error("ffprobe", path, "frame without a timestamp"))?;
            Ok((t, f.get("nb_samples").and_then(Value::as_u64)))
        })
        .collect()
}

/// Decodes the first video stream with the ffmpeg CLI and reads the frame
/// number of every frame (after scaling to 160x90).
pub fn decode_video_numbers(path: &Path) -> Result<DecodedVideo, OracleError> {
    let times = frame_times(path, "v:0")?;
    let p = path_str(path)?;
    let scale = format!("scale={GRAY_WIDTH}:{GRAY_HEIGHT}:flags=area");
    let out = run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            p,
            "-map",
            "0:v:0",
            "-fps_mode",
            "passthrough",
            "-vf",
            &scale,
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ],
    )?;
    let frame_len = (GRAY_WIDTH * GRAY_HEIGHT) as usize;
    if out.stdout.len() % frame_len != 0 || out.stdout.len() / frame_len != times.len() {
        return Err(parse_error(
            "ffmpeg",
            path,
            format!(
                "{} bytes of gray frames for {} frames reported by ffprobe",
                out.stdout.len(),
                times.len()
            ),
        ));
    }
    let frames = out
        .stdout
        .chunks(frame_len)
        .zip(times)
        .map(|(gray, (pts_s, _))| FrameInfo {
            pts_s,
            number: livecut_pattern::read_frame_number(gray, GRAY_WIDTH, GRAY_HEIGHT),
        })
        .collect();
    Ok(DecodedVideo { frames })
}

/// MD5 of every decoded frame of the first video stream at native size, in
/// presentation order (`ffmpeg -f framemd5`).
pub fn frame_md5s(path: &Path) -> Result<Vec<String>, OracleError> {
    let p = path_str(path)?;
    let out = run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            p,
            "-map",
            "0:v:0",
            "-fps_mode",
            "passthrough",
            "-f",
            "framemd5",
            "-",
        ],
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            l.rsplit(',')
                .next()
                .map(|s| s.trim().to_string())
                .ok_or_else(|| parse_error("ffmpeg", path, format!("bad framemd5 line {l}")))
        })
        .collect()
}

/// Every line `ffmpeg -v error -i path -f null -` prints; empty for a file
/// that decodes cleanly.
pub fn decode_errors(path: &Path) -> Result<Vec<String>, OracleError> {
    let p = path_str(path)?;
    let out = run("ffmpeg", &["-v", "error", "-i", p, "-f", "null", "-"])?;
    Ok(out
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect())
}

/// Holes in the first audio track as a player that plays the track straight meets them: each
/// (position in seconds, length in seconds) where a packet lasts longer than the track's usual
/// frame. In an MP4 a gap between two samples' timestamps is a sample stretched over it, so
/// the decoded samples run short of the timeline there. The last packet is not counted.
pub fn audio_holes(path: &Path) -> Result<Vec<(f64, f64)>, OracleError> {
    let p = path_str(path)?;
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "a:0",
            "-show_entries",
            "packet=pts_time,duration_time",
            "-of",
            "csv=p=0",
            p,
        ],
    )?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let packets: Vec<(f64, f64)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split(',');
            Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?))
        })
        .collect();
    let mut durations: Vec<f64> = packets.iter().map(|p| p.1).collect();
    durations.sort_by(f64::total_cmp);
    let Some(usual) = durations.get(durations.len() / 2).copied() else {
        return Ok(Vec::new());
    };
    Ok(packets
        .iter()
        .take(packets.len().saturating_sub(1))
        .filter(|(_, d)| *d > usual * 1.01)
        .map(|(pts, d)| (pts + usual, d - usual))
        .collect())
}

/// Start times (seconds, on the file's timeline) of the marker tone bursts
/// of the first audio stream: the first loud sample after at least 200 ms
/// of quiet.
pub fn audio_marker_onsets(path: &Path) -> Result<Vec<f64>, OracleError> {
    let frames = frame_times(path, "a:0")?;
    let json = ffprobe_json(path)?;
    let sample_rate = json
        .get("streams")
        .and_then(Value::as_array)
        .and_then(|s| {
            s.iter()
                .find(|s| s.get("codec_type").and_then(Value::as_str) == Some("audio"))
        })
        .and_then(|s| s.get("sample_rate"))
        .and_then(json_f64)
        .filter(|&r| r > 0.0)
        .ok_or_else(|| parse_error("ffprobe", path, "no audio sample rate"))?;
    let p = path_str(path)?;
    let out = run(
        "ffmpeg",
        &[
            "-v", "error", "-i", p, "-map", "0:a:0", "-ac", "1", "-f", "f32le", "-",
        ],
    )?;
    let samples: Vec<f32> = out
        .stdout
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let declared: u64 = frames.iter().map(|(_, n)| n.unwrap_or(0)).sum();
    if declared != samples.len() as u64 {
        return Err(parse_error(
            "ffmpeg",
            path,
            format!(
                "{} samples decoded, ffprobe reports {declared}",
                samples.len()
            ),
        ));
    }
    let gate = (ONSET_GATE_S * sample_rate) as u64;
    let mut onsets = Vec::new();
    let mut quiet_run: u64 = 0;
    let mut index = 0usize;
    for (start_s, count) in frames {
        let count = count.unwrap_or(0) as usize;
        for k in 0..count {
            let v = samples.get(index + k).copied().unwrap_or(0.0).abs();
            if v > ONSET_THRESHOLD {
                if quiet_run >= gate {
                    onsets.push(start_s + k as f64 / sample_rate);
                }
                quiet_run = 0;
            } else {
                quiet_run += 1;
            }
        }
        index += count;
    }
    Ok(onsets)
}

/// Checks audio/video sync through the markers. Every onset must lie within
/// one AAC frame (1024 samples) of an instant where a burst may start:
/// * the presentation time of a marker frame;
/// * the start of a run of consecutive frame numbers (a join, or the start
///   of the file) whose first frame falls inside a burst, because the audio
///   then legitimately starts mid-tone;
/// * the end of a run (the instant its next frame would be shown) when that
///   next frame would be a marker, because whole AAC frames are copied and
///   the last one may reach half a frame past the video.
///
/// Conversely every marker frame that is at least 200 ms after a run start
/// and 150 ms before the end must have an onset. Returns a description of
/// every offender.
pub fn check_av_sync(
    video: &DecodedVideo,
    onsets: &[f64],
    fps: f64,
    sample_rate: u32,
) -> Result<(), String> {
    let interval = fps.round().max(1.0) as u32;
    let frame_s = 1.0 / fps.max(1e-9);
    let tolerance = 1024.0 / f64::from(sample_rate.max(1)) + 1e-6;
    let burst_frames = ((livecut_pattern::MARKER_BURST_MS as f64 / 1000.0) * fps).ceil() as u32;
    let numbered: Vec<(f64, u32)> = video
        .frames
        .iter()
        .filter_map(|f| Some((f.pts_s, f.number?)))
        .collect();
    let mut run_starts = Vec::new();
    let mut allowed = Vec::new();
    for (i, &(pts, number)) in numbered.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| numbered[p].1);
        let next = numbered.get(i + 1).map(|f| f.1);
        let run_start = previous.is_none_or(|p| p.checked_add(1) != Some(number));
        let run_end = next.is_none_or(|n| number.checked_add(1) != Some(n));
        if number % interval == 0 {
            allowed.push(pts);
        }
        if run_start {
            run_starts.push(pts);
            if number % interval < burst_frames {
                allowed.push(pts);
            }
        }
        if run_end && (number + 1) % interval == 0 {
            allowed.push(pts + frame_s);
        }
    }
    let mut problems = Vec::new();
    for &onset in onsets {
        if !allowed.iter().any(|&t| (t - onset).abs() <= tolerance) {
            let nearest = numbered
                .iter()
                .min_by(|a, b| (a.0 - onset).abs().total_cmp(&(b.0 - onset).abs()));
            problems.push(format!(
                "onset at {onset:.4} s matches no marker frame (nearest frame {nearest:?})"
            ));
        }
    }
    let end = numbered.last().map_or(0.0, |f| f.0);
    for &(pts, number) in &numbered {
        let last_run_start = run_starts
            .iter()
            .copied()
            .filter(|&s| s <= pts)
            .fold(f64::NEG_INFINITY, f64::max);
        if number % interval != 0 || pts < last_run_start + ONSET_GATE_S || pts > end - 0.15 {
            continue;
        }
        if !onsets.iter().any(|&o| (o - pts).abs() <= tolerance) {
            problems.push(format!(
                "marker frame {number} at {pts:.4} s has no audio onset"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// How many video packets of an MPEG-TS segment are leading pictures: coded
/// after the segment's first picture (its keyframe) but shown before it.
pub fn leading_pictures(segment: &Path) -> Result<u32, OracleError> {
    let p = path_str(segment)?;
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "packet=pts",
            "-of",
            "csv=p=0",
            p,
        ],
    )?;
    let text = String::from_utf8_lossy(&out.stdout);
    let pts: Vec<i64> = text
        .lines()
        .filter_map(|l| l.trim().trim_end_matches(',').parse().ok())
        .collect();
    let Some(&key) = pts.first() else {
        return Err(parse_error("ffprobe", segment, "no video packets"));
    };
    Ok(pts.iter().filter(|&&p| p < key).count() as u32)
}

/// `ffprobe -show_format -show_streams -of json`.
pub fn ffprobe_json(path: &Path) -> Result<Value, OracleError> {
    let p = path_str(path)?;
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_format",
            "-show_streams",
            "-of",
            "json",
            p,
        ],
    )?;
    serde_json::from_slice(&out.stdout).map_err(|e| parse_error("ffprobe", path, e.to_string()))
}

/// A decoded 8-bit gray picture, rows packed without padding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayPicture {
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// Decodes a still image (a JPEG cover) to 8-bit gray at its own size with
/// the ffmpeg CLI; the size comes from ffprobe.
pub fn decode_image_gray(path: &Path) -> Result<GrayPicture, OracleError> {
    let json = ffprobe_json(path)?;
    let stream = json
        .get("streams")
        .and_then(Value::as_array)
        .and_then(|s| {
            s.iter()
                .find(|s| s.get("codec_type").and_then(Value::as_str) == Some("video"))
        })
        .ok_or_else(|| parse_error("ffprobe", path, "no picture stream"))?;
    let side = |key: &str| {
        stream
            .get(key)
            .and_then(Value::as_u64)
            .and_then(|v| u32::try_from(v).ok())
            .filter(|&v| v > 0)
            .ok_or_else(|| parse_error("ffprobe", path, format!("no {key}")))
    };
    let (width, height) = (side("width")?, side("height")?);
    let p = path_str(path)?;
    let out = run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-i",
            p,
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ],
    )?;
    if out.stdout.len() != width as usize * height as usize {
        return Err(parse_error(
            "ffmpeg",
            path,
            format!(
                "{} gray bytes for a {width}x{height} picture",
                out.stdout.len()
            ),
        ));
    }
    Ok(GrayPicture {
        width,
        height,
        pixels: out.stdout,
    })
}

/// The frame number a JPEG (a cover image) shows, read from the whole
/// picture; `None` if it carries no readable pattern.
pub fn read_jpeg_number(path: &Path) -> Result<Option<u32>, OracleError> {
    let picture = decode_image_gray(path)?;
    Ok(livecut_pattern::read_frame_number(
        &picture.pixels,
        picture.width,
        picture.height,
    ))
}

/// First and last (inclusive) frame numbers of a recording presented in
/// `[start_utc_us, end_utc_us)`, where frame index i is presented at
/// `rec_start_utc_us + i * 1e6 * fps_den / fps_num` and carries the number
/// `first_number + i`. Exact rational arithmetic; the recording's length is
/// not known here, so the caller clamps.
pub fn expected_frames(
    start_utc_us: i64,
    end_utc_us: i64,
    rec_start_utc_us: i64,
    fps_num: u32,
    fps_den: u32,
    first_number: u32,
) -> (u32, u32) {
    // First index i with i * 1e6 * den >= (t - rec_start) * num.
    let first_index_at_or_after = |t: i64| -> i128 {
        let num = (i128::from(t) - i128::from(rec_start_utc_us)) * i128::from(fps_num);
        let den = 1_000_000 * i128::from(fps_den.max(1));
        if num <= 0 { 0 } else { (num + den - 1) / den }
    };
    let first = first_index_at_or_after(start_utc_us);
    let last = first_index_at_or_after(end_utc_us) - 1;
    let to_number =
        |i: i128| u32::try_from(i.max(0) + i128::from(first_number)).unwrap_or(u32::MAX);
    (to_number(first), to_number(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_795_514_400_000_000;

    #[test]
    fn read_jpeg_number_reads_a_jpeg_made_by_the_cli() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (w, h) = (160u32, 90u32);
        let raw = dir.path().join("picture.gray");
        let jpeg = dir.path().join("picture.jpg");
        let size = format!("{w}x{h}");
        let encode = |gray: &[u8]| {
            std::fs::write(&raw, gray).expect("raw written");
            let args = [
                "-v",
                "error",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "gray",
                "-s",
                &size,
                "-i",
                path_str(&raw).expect("utf-8"),
                "-frames:v",
                "1",
                "-y",
                path_str(&jpeg).expect("utf-8"),
            ];
            run("ffmpeg", &args).expect("ffmpeg encodes the JPEG");
        };

        let mut gray = vec![livecut_pattern::BLACK; (w * h) as usize];
        livecut_pattern::draw_frame_number(&mut gray, w as usize, w, h, 12_345);
        encode(&gray);
        let picture = decode_image_gray(&jpeg).expect("decodes");
        assert_eq!((picture.width, picture.height), (w, h));
        assert_eq!(read_jpeg_number(&jpeg).expect("reads"), Some(12_345));

        // A flat picture carries no number.
        encode(&vec![128u8; (w * h) as usize]);
        assert_eq!(read_jpeg_number(&jpeg).expect("reads"), None);
        assert!(read_jpeg_number(&dir.path().join("missing.jpg")).is_err());
    }

    #[test]
    fn expected_frames_at_30_fps() {
        // [1.0 s, 2.0 s) -> frames 30..=59.
        assert_eq!(
            expected_frames(T0 + 1_000_000, T0 + 2_000_000, T0, 30, 1, 0),
            (30, 59)
        );
        // 1.01 s is after frame 30 (1.0 s), before frame 31 (1.0333 s).
        assert_eq!(
            expected_frames(T0 + 1_010_000, T0 + 1_040_000, T0, 30, 1, 0),
            (31, 31)
        );
        // Frame 1 is at 33333.33 us: a start at 33333 us includes it, 33334 does not.
        assert_eq!(
            expected_frames(T0 + 33_333, T0 + 100_000, T0, 30, 1, 0).0,
            1
        );
        assert_eq!(
            expected_frames(T0 + 33_334, T0 + 100_000, T0, 30, 1, 0).0,
            2
        );
        // Numbers are offset by the first number; a start before the
        // recording clamps to its first frame.
        assert_eq!(
            expected_frames(T0 - 5_000_000, T0 + 1_000_000, T0, 30, 1, 100),
            (100, 129)
        );
    }

    #[test]
    fn expected_frames_at_ntsc_rate() {
        // 30000/1001: frame 30 is at 1.001 s.
        assert_eq!(
            expected_frames(T0 + 1_000_000, T0 + 1_001_000, T0, 30000, 1001, 0),
            (30, 29)
        );
        assert_eq!(
            expected_frames(T0 + 1_000_000, T0 + 1_001_001, T0, 30000, 1001, 0),
            (30, 30)
        );
    }

    fn video(frames: &[(f64, u32)]) -> DecodedVideo {
        DecodedVideo {
            frames: frames
                .iter()
                .map(|&(pts_s, n)| FrameInfo {
                    pts_s,
                    number: Some(n),
                })
                .collect(),
        }
    }

    #[test]
    fn sync_check_accepts_aligned_markers_and_reports_offenders() {
        let frames: Vec<(f64, u32)> = (0..90).map(|i| (f64::from(i) / 30.0, i)).collect();
        let v = video(&frames);
        assert_eq!(check_av_sync(&v, &[1.0, 2.0], 30.0, 48_000), Ok(()));
        assert_eq!(check_av_sync(&v, &[1.01, 2.0], 30.0, 48_000), Ok(()));
        let late = check_av_sync(&v, &[1.05, 2.0], 30.0, 48_000).expect_err("50 ms late");
        assert!(late.contains("1.0500"), "{late}");
        let missing = check_av_sync(&v, &[1.0], 30.0, 48_000).expect_err("marker 60 silent");
        assert!(missing.contains("marker frame 60"), "{missing}");
    }

    #[test]
    fn sync_check_allows_the_next_marker_right_after_a_run_end() {
        // Frames 0..=29: the burst of frame 30 may leak in at 1.0 s.
        let frames: Vec<(f64, u32)> = (0..30).map(|i| (f64::from(i) / 30.0, i)).collect();
        let v = video(&frames);
        assert_eq!(check_av_sync(&v, &[0.995], 30.0, 48_000), Ok(()));
        // Not so for a run ending elsewhere.
        let frames: Vec<(f64, u32)> = (0..31).map(|i| (f64::from(i) / 30.0, i)).collect();
        let v = video(&frames);
        assert!(check_av_sync(&v, &[1.0 + 1.0 / 30.0], 30.0, 48_000).is_err());
    }

    #[test]
    fn sync_check_allows_mid_burst_audio_at_a_join() {
        // Frames 0..30 then a join to 302..: 302 is 2 frames into a burst.
        let mut frames: Vec<(f64, u32)> = (0..30).map(|i| (f64::from(i) / 30.0, i)).collect();
        frames.extend((0..60).map(|i| (1.0 + f64::from(i) / 30.0, 302 + i)));
        let v = video(&frames);
        // Onset at the join (1.0 s) and at frame 330 (1.0 + 28/30 s).
        assert_eq!(
            check_av_sync(&v, &[1.0, 1.0 + 28.0 / 30.0], 30.0, 48_000),
            Ok(())
        );
    }
}
