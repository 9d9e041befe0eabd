//! The synthetic picture: the frame-number grid on top, and below it a
//! moving gradient, a moving box and light noise, so that motion estimation
//! and residual coding do real work as with camera content.

use ffmpeg_next::frame;

/// Cheap per-pixel hash -> noise in [-3, 3].
fn noise(x: u32, y: u32, n: u32) -> i32 {
    let mut h =
        x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77) ^ n.wrapping_mul(0xC2B2_AE3D);
    h ^= h >> 15;
    h = h.wrapping_mul(0x2C1B_3C6D);
    h ^= h >> 12;
    (h % 7) as i32 - 3
}

/// Fills a YUV 4:2:0 frame for frame index `index` carrying `number`.
pub fn draw(frame: &mut frame::Video, index: u64, number: u32) {
    let (width, height) = (frame.width(), frame.height());
    let n = index as u32;
    let band = livecut_pattern::pattern_height(height);
    let box_size = (height / 6).max(2);
    let box_x = (n.wrapping_mul(4)) % width.max(1);
    let box_y = band + (n.wrapping_mul(2)) % (height - band).max(1);

    let stride = frame.stride(0);
    let luma = frame.data_mut(0);
    for y in band..height {
        let row = &mut luma[y as usize * stride..y as usize * stride + width as usize];
        for (x, px) in row.iter_mut().enumerate() {
            let x = x as u32;
            let in_box = x.wrapping_sub(box_x) < box_size && y.wrapping_sub(box_y) < box_size;
            let base = if in_box {
                220
            } else {
                // A diagonal sawtooth gradient scrolling one step per frame.
                40 + ((x + y * 2 + n * 3) % 160) as i32
            };
            *px = (base + noise(x, y, n)).clamp(16, 235) as u8;
        }
    }
    livecut_pattern::draw_frame_number(luma, stride, width, height, number);

    for plane in 1..3 {
        let (pw, ph) = (frame.plane_width(plane), frame.plane_height(plane));
        let stride = frame.stride(plane);
        let data = frame.data_mut(plane);
        for y in 0..ph {
            let row = &mut data[y as usize * stride..y as usize * stride + pw as usize];
            for (x, px) in row.iter_mut().enumerate() {
                let v = if plane == 1 {
                    (x as u32 + n) % 64
                } else {
                    (y + n / 2) % 64
                };
                *px = (96 + v) as u8;
            }
        }
    }
}
