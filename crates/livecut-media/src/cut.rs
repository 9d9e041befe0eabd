//! `cut`: time ranges of HLS recordings -> one MP4, in any of the four
//! modes. This is the one place that tells the modes apart: it checks the
//! job, then hands it to the copy modes (`copy`: RoughFast, AccurateFast)
//! or the re-encode modes (`reencode`: Rough, Accurate), each for jobs with
//! video or audio-only jobs. Both kinds select their frames through the
//! same `select` layer.

use crate::{CutJob, CutMode, CutReport, MediaError, Progress, copy, geometry, reencode, select};

/// Cuts `job.clips` out of their recordings and joins them into
/// `job.output`. `progress` receives 0.0..=1.0, by processed duration.
pub fn cut(job: &CutJob, progress: &mut dyn FnMut(Progress)) -> Result<CutReport, MediaError> {
    crate::av::init()?;
    validate(job)?;
    check_options(job)?;
    let audio_only = select::first_clip_is_audio_only(job);
    match (job.mode, audio_only) {
        (CutMode::Rough | CutMode::Accurate, true) => reencode::cut_audio_only(job, progress),
        (CutMode::Rough | CutMode::Accurate, false) => reencode::cut(job, progress),
        (CutMode::RoughFast | CutMode::AccurateFast, true) => copy::cut_audio_only(job, progress),
        (CutMode::RoughFast | CutMode::AccurateFast, false) => copy::cut(job, progress),
    }
}

fn validate(job: &CutJob) -> Result<(), MediaError> {
    if job.clips.is_empty() {
        return Err(MediaError::InvalidJob("the job has no clips".into()));
    }
    for clip in &job.clips {
        if clip.end_utc_us <= clip.start_utc_us {
            return Err(MediaError::InvalidJob(format!(
                "clip {}: end {} is not after start {}",
                clip.index, clip.end_utc_us, clip.start_utc_us
            )));
        }
        if clip.segments.is_empty() {
            return Err(MediaError::NoContent {
                clip: clip.index,
                start_utc_us: clip.start_utc_us,
                end_utc_us: clip.end_utc_us,
                cause: "no recorded segment overlaps the range".into(),
            });
        }
    }
    Ok(())
}

/// Checks the output options of any job before a segment is read: valid
/// for the re-encoding modes, absent for the copying ones (which keep the
/// source's picture and bit stream, so an option would be silently lost).
fn check_options(job: &CutJob) -> Result<(), MediaError> {
    let reencodes = matches!(job.mode, CutMode::Rough | CutMode::Accurate);
    let given = job.output_width.is_some()
        || job.output_height.is_some()
        || job.video_bitrate_kbps.is_some();
    if given && !reencodes {
        return Err(MediaError::InvalidJob(format!(
            "an output size or bit rate needs mode Accurate or Rough; {:?} copies the source",
            job.mode
        )));
    }
    geometry::VIDEO
        .check_request(job.output_width, job.output_height)
        .map_err(MediaError::InvalidJob)?;
    reencode::check_bitrate(job.video_bitrate_kbps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_requests_are_invalid_jobs() {
        for (w, h) in [
            (Some(0), None),
            (Some(641), None),
            (None, Some(geometry::VIDEO.max + 2)),
            (Some(8), Some(8)),
        ] {
            let job = CutJob {
                mode: CutMode::Accurate,
                clips: Vec::new(),
                output: "/nonexistent/out.mp4".into(),
                output_width: w,
                output_height: h,
                video_bitrate_kbps: None,
            };
            let err = check_options(&job).expect_err("refused");
            assert!(matches!(err, MediaError::InvalidJob(_)), "{err}");
        }
    }
}
