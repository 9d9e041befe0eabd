use super::*;

fn onsets(markers: &AudioMarkers, samples: u64) -> Vec<u64> {
    let mut found = Vec::new();
    let mut previous = 0.0f32;
    let mut silent_run = u64::MAX / 2;
    for i in 0..samples {
        let v = markers.sample(i);
        if v != 0.0 && previous == 0.0 && silent_run > 1000 {
            found.push(i);
        }
        silent_run = if v == 0.0 { silent_run + 1 } else { 0 };
        previous = v;
    }
    found
}

#[test]
fn interval_is_the_rounded_frame_rate() {
    assert_eq!(marker_interval_frames(30, 1), 30);
    assert_eq!(marker_interval_frames(30000, 1001), 30);
    assert_eq!(marker_interval_frames(25, 1), 25);
    assert_eq!(marker_interval_frames(60000, 1001), 60);
    assert_eq!(marker_interval_frames(1, 2), 1);
    assert_eq!(marker_interval_frames(30, 0), 1);
    assert!(is_marker_frame(60, 30, 1));
    assert!(!is_marker_frame(61, 30, 1));
}

#[test]
fn bursts_start_on_marker_frames_at_30fps() {
    let m = AudioMarkers {
        sample_rate: 48_000,
        fps_num: 30,
        fps_den: 1,
        first_frame_number: 0,
    };
    assert_eq!(
        onsets(&m, 48_000 * 3 + 10),
        vec![0, 48_000, 96_000, 144_000]
    );
    // The burst is exactly 100 ms long and silent afterwards.
    assert_ne!(m.sample(48_000 + 4_799), 0.0);
    assert_eq!(m.sample(48_000 + 4_800), 0.0);
    assert_eq!(m.sample(47_999), 0.0);
}

#[test]
fn bursts_follow_frame_numbers_not_indices() {
    // The first frame is number 10, so the first marker is frame index 20
    // (number 30), presented at 20/30 s.
    let m = AudioMarkers {
        sample_rate: 48_000,
        fps_num: 30,
        fps_den: 1,
        first_frame_number: 10,
    };
    assert_eq!(onsets(&m, 48_000 * 2), vec![32_000, 80_000]);
    assert_eq!(m.sample(0), 0.0);
}

#[test]
fn ntsc_rate_rounds_onsets_up_to_the_next_sample() {
    let m = AudioMarkers {
        sample_rate: 44_100,
        fps_num: 30000,
        fps_den: 1001,
        first_frame_number: 0,
    };
    // Frame 30 is presented at 1.001 s = 44144.1 samples -> first sample 44145.
    assert_eq!(m.onset_sample(30), 44_145);
    assert_eq!(onsets(&m, 44_100 * 3), vec![0, 44_145, 88_289]);
}

#[test]
fn tone_is_a_1khz_sine_with_the_documented_amplitude() {
    let m = AudioMarkers {
        sample_rate: 48_000,
        fps_num: 30,
        fps_den: 1,
        first_frame_number: 0,
    };
    let peak = (0..4_800).map(|i| m.sample(i).abs()).fold(0.0f32, f32::max);
    assert!(
        (f64::from(peak) - MARKER_AMPLITUDE).abs() < 1e-3,
        "peak {peak}"
    );
    // The burst starts at its peak; half a period (24 samples at 48 kHz)
    // later it is at the negative peak.
    assert!((f64::from(m.sample(0)) - MARKER_AMPLITUDE).abs() < 1e-6);
    assert!((f64::from(m.sample(24)) + MARKER_AMPLITUDE).abs() < 1e-6);
    assert_eq!(audio_sample(24, 48_000, 30, 1, 0), m.sample(24));
}

#[test]
fn degenerate_rates_do_not_panic() {
    assert_eq!(audio_sample(100, 0, 30, 1, 0), 0.0);
    let _ = audio_sample(100, 48_000, 0, 1, 0);
    let _ = audio_sample(u64::MAX, 48_000, 30, 1, 0);
}
