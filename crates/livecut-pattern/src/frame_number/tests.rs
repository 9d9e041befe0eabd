use super::*;

/// A picture with texture everywhere, so the reader cannot pass by luck on a
/// blank background.
fn textured(width: u32, height: u32, seed: u32) -> Vec<u8> {
    (0..height)
        .flat_map(|y| (0..width).map(move |x| ((x * 7 + y * 3 + seed * 5) % 251) as u8))
        .collect()
}

fn box_downscale(src: &[u8], width: u32, height: u32, factor: u32) -> (Vec<u8>, u32, u32) {
    let (w, h) = (width / factor, height / factor);
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0u32;
            for dy in 0..factor {
                for dx in 0..factor {
                    sum += u32::from(src[((y * factor + dy) * width + x * factor + dx) as usize]);
                }
            }
            out.push((sum / (factor * factor)) as u8);
        }
    }
    (out, w, h)
}

/// Deterministic uniform noise in [-amplitude, amplitude].
fn add_noise(pixels: &mut [u8], amplitude: i32, seed: u64) {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    for p in pixels.iter_mut() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = ((state >> 33) % (2 * amplitude as u64 + 1)) as i32 - amplitude;
        *p = (i32::from(*p) + r).clamp(0, 255) as u8;
    }
}

fn sample_numbers() -> Vec<u32> {
    let mut numbers: Vec<u32> = (0..300).collect();
    numbers.extend([
        1 << 12,
        65_535,
        65_536,
        1_000_000,
        MAX_FRAME_NUMBER - 1,
        MAX_FRAME_NUMBER,
    ]);
    numbers.extend((0..200).map(|i| (i * 83_887) % MAX_FRAME_NUMBER));
    numbers
}

#[test]
fn round_trip_at_native_size() {
    for &(w, h) in &[(320u32, 180u32), (640, 360), (333, 97)] {
        for n in sample_numbers() {
            let mut pic = textured(w, h, n);
            draw_frame_number(&mut pic, w as usize, w, h, n);
            assert_eq!(read_frame_number(&pic, w, h), Some(n), "{w}x{h} n={n}");
        }
    }
}

#[test]
fn round_trip_at_1080p() {
    let (w, h) = (1920u32, 1080u32);
    for n in [0, 1, 29, 30, 17_999, MAX_FRAME_NUMBER] {
        let mut pic = textured(w, h, n);
        draw_frame_number(&mut pic, w as usize, w, h, n);
        assert_eq!(read_frame_number(&pic, w, h), Some(n), "n={n}");
    }
}

#[test]
fn round_trip_with_padded_stride() {
    let (w, h, stride) = (320u32, 180u32, 384usize);
    let mut plane = vec![128u8; stride * h as usize];
    draw_frame_number(&mut plane, stride, w, h, 123_456);
    let packed: Vec<u8> = plane
        .chunks(stride)
        .flat_map(|row| row[..w as usize].iter().copied())
        .collect();
    assert_eq!(read_frame_number(&packed, w, h), Some(123_456));
}

#[test]
fn survives_box_downscale_by_two_and_four() {
    for n in sample_numbers() {
        let (w, h) = (320, 180);
        let mut pic = textured(w, h, n);
        draw_frame_number(&mut pic, w as usize, w, h, n);
        for factor in [2, 4] {
            let (small, sw, sh) = box_downscale(&pic, w, h, factor);
            assert_eq!(
                read_frame_number(&small, sw, sh),
                Some(n),
                "n={n} /{factor}"
            );
        }
    }
}

#[test]
fn survives_noise_after_downscale() {
    for (i, n) in sample_numbers().into_iter().enumerate() {
        let (w, h) = (640, 360);
        let mut pic = textured(w, h, n);
        draw_frame_number(&mut pic, w as usize, w, h, n);
        add_noise(&mut pic, 40, i as u64);
        let (mut small, sw, sh) = box_downscale(&pic, w, h, 4);
        add_noise(&mut small, 20, i as u64 + 7);
        assert_eq!(read_frame_number(&small, sw, sh), Some(n), "n={n}");
    }
}

#[test]
fn survives_non_uniform_scaling() {
    // 640x360 squeezed to 160x180: only the width is reduced.
    let (w, h) = (640u32, 360u32);
    let mut pic = textured(w, h, 9);
    draw_frame_number(&mut pic, w as usize, w, h, 77_777);
    let squeezed: Vec<u8> = (0..h / 2)
        .flat_map(|y| {
            let pic = &pic;
            (0..w / 4).map(move |x| {
                let base = (y * 2 * w + x * 4) as usize;
                let sum: u32 = (0..4).map(|dx| u32::from(pic[base + dx])).sum();
                (sum / 4) as u8
            })
        })
        .collect();
    assert_eq!(read_frame_number(&squeezed, w / 4, h / 2), Some(77_777));
}

#[test]
fn rejects_pictures_without_a_pattern() {
    let (w, h) = (320u32, 180u32);
    assert_eq!(read_frame_number(&vec![0u8; (w * h) as usize], w, h), None);
    assert_eq!(
        read_frame_number(&vec![255u8; (w * h) as usize], w, h),
        None
    );
    assert_eq!(
        read_frame_number(&vec![128u8; (w * h) as usize], w, h),
        None
    );
    assert_eq!(read_frame_number(&textured(w, h, 3), w, h), None);
}

#[test]
fn rejects_a_flipped_cell() {
    let (w, h) = (320u32, 180u32);
    let mut pic = textured(w, h, 1);
    draw_frame_number(&mut pic, w as usize, w, h, 4242);
    // Invert the last data cell (index 23): the CRC must catch it.
    let (x0, x1, y0, y1) = cell_bounds(23, w, h);
    for y in y0..y1 {
        for x in x0..x1 {
            let p = &mut pic[(y * w + x) as usize];
            *p = if *p == WHITE { BLACK } else { WHITE };
        }
    }
    assert_eq!(read_frame_number(&pic, w, h), None);
}

#[test]
fn rejects_short_or_tiny_buffers() {
    assert_eq!(read_frame_number(&[0u8; 10], 320, 180), None);
    assert_eq!(read_frame_number(&[0u8; 16], 4, 4), None);
}

#[test]
fn numbers_above_24_bits_are_masked() {
    let (w, h) = (320u32, 180u32);
    let mut pic = vec![0u8; (w * h) as usize];
    draw_frame_number(&mut pic, w as usize, w, h, MAX_FRAME_NUMBER + 6);
    assert_eq!(read_frame_number(&pic, w, h), Some(5));
}
