//! Frame number <-> luma cell grid.
//!
//! Layout: the upper half of the picture is split into `GRID_COLS` x
//! `GRID_ROWS` cells (row-major). Cells 0..24 hold the frame number, most
//! significant bit first; cells 24..32 hold a CRC-8 of those three bytes. A
//! set bit is a white cell, a clear bit a black one. The CRC starts from a
//! non-zero value so that an all-black or all-white picture is rejected.

/// Columns of the cell grid.
pub const GRID_COLS: u32 = 8;
/// Rows of the cell grid.
pub const GRID_ROWS: u32 = 4;
/// Luma of a clear bit (video range black).
pub const BLACK: u8 = 16;
/// Luma of a set bit (video range white).
pub const WHITE: u8 = 235;

const NUMBER_BITS: u32 = 24;
const CRC_BITS: u32 = 8;
/// Largest number the pattern can carry.
pub const MAX_FRAME_NUMBER: u32 = (1 << NUMBER_BITS) - 1;

const CRC_INIT: u8 = 0xA5;
const CRC_POLY: u8 = 0x07;

/// A cell whose mean luma falls between these is neither black nor white;
/// such a picture is not a pattern (or is damaged beyond trust).
const AMBIGUOUS_LOW: u32 = 80;
const AMBIGUOUS_HIGH: u32 = 176;

/// Height in rows of the band that carries the pattern; the generator is
/// free to draw anything below it.
pub fn pattern_height(height: u32) -> u32 {
    height / 2
}

fn crc8(bytes: &[u8]) -> u8 {
    let mut crc = CRC_INIT;
    for &b in bytes {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ CRC_POLY
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The 32 bits of the grid for `n`, cell 0 first.
fn code_word(n: u32) -> u32 {
    let n = n & MAX_FRAME_NUMBER;
    let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
    (n << CRC_BITS) | u32::from(crc8(&bytes))
}

/// Pixel bounds `[x0, x1) x [y0, y1)` of cell `index` in a picture of the
/// given size. Integer division spreads rounding over the cells.
fn cell_bounds(index: u32, width: u32, height: u32) -> (u32, u32, u32, u32) {
    let band = pattern_height(height);
    let (col, row) = (index % GRID_COLS, index / GRID_COLS);
    let x0 = col * width / GRID_COLS;
    let x1 = (col + 1) * width / GRID_COLS;
    let y0 = row * band / GRID_ROWS;
    let y1 = (row + 1) * band / GRID_ROWS;
    (x0, x1, y0, y1)
}

/// Draws `n` (masked to 24 bits) into the upper half of a luma plane.
///
/// `y_plane` holds `height` rows of `stride` bytes; rows shorter than the
/// picture are ignored rather than panicking, so a bad stride only yields an
/// unreadable picture.
pub fn draw_frame_number(y_plane: &mut [u8], stride: usize, width: u32, height: u32, n: u32) {
    let word = code_word(n);
    let total = GRID_COLS * GRID_ROWS;
    for index in 0..total {
        let bit = (word >> (total - 1 - index)) & 1;
        let value = if bit == 1 { WHITE } else { BLACK };
        let (x0, x1, y0, y1) = cell_bounds(index, width, height);
        for y in y0..y1 {
            let start = y as usize * stride + x0 as usize;
            let end = y as usize * stride + x1 as usize;
            if let Some(row) = y_plane.get_mut(start..end) {
                row.fill(value);
            }
        }
    }
}

/// Mean luma of the central part of a cell. The cell edges are skipped
/// because scaling and lossy coding smear them into the neighbours.
fn cell_mean(gray: &[u8], width: u32, bounds: (u32, u32, u32, u32)) -> Option<u32> {
    let (x0, x1, y0, y1) = bounds;
    let inset = |a: u32, b: u32| {
        let len = b.saturating_sub(a);
        if len >= 4 {
            (a + len / 4, b - len / 4)
        } else {
            let mid = a + len / 2;
            (mid, mid + 1)
        }
    };
    let (sx0, sx1) = inset(x0, x1);
    let (sy0, sy1) = inset(y0, y1);
    let mut sum: u64 = 0;
    let mut count: u64 = 0;
    for y in sy0..sy1 {
        let row_start = y as usize * width as usize;
        let row = gray.get(row_start + sx0 as usize..row_start + sx1 as usize)?;
        sum += row.iter().map(|&v| u64::from(v)).sum::<u64>();
        count += row.len() as u64;
    }
    if count == 0 {
        return None;
    }
    u32::try_from(sum / count).ok()
}

/// Reads the frame number from a tightly packed 8-bit gray picture of any
/// size (full or video range). Returns `None` when the picture is too small,
/// a cell is neither clearly black nor clearly white, or the CRC fails.
pub fn read_frame_number(gray: &[u8], width: u32, height: u32) -> Option<u32> {
    if width < GRID_COLS || pattern_height(height) < GRID_ROWS {
        return None;
    }
    if gray.len() < width as usize * height as usize {
        return None;
    }
    let total = GRID_COLS * GRID_ROWS;
    let mut word: u32 = 0;
    for index in 0..total {
        let mean = cell_mean(gray, width, cell_bounds(index, width, height))?;
        if mean > AMBIGUOUS_LOW && mean < AMBIGUOUS_HIGH {
            return None;
        }
        word = (word << 1) | u32::from(mean >= 128);
    }
    let n = word >> CRC_BITS;
    if code_word(n) == word { Some(n) } else { None }
}

#[cfg(test)]
mod tests;
