//! The service's log sink. Values from requests reach log lines (stream names, messages that
//! quote a parameter): a value with a newline would forge a line of its own, a NUL or carriage
//! return would garble a terminal or a log shipper, and one long value would write a line of
//! hundreds of kilobytes. tracing's formatter writes each event with one `write`, so this writer
//! sees whole lines: it escapes every control character but the final newline and cuts a line
//! at `MAX_LINE` bytes.

use std::io::{self, Write};

/// The longest line written; the rest of a longer one is replaced by a count.
pub const MAX_LINE: usize = 16 * 1024;

/// `tracing_subscriber::fmt().with_writer(SafeLines)`.
#[derive(Clone, Copy, Default)]
pub struct SafeLines;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for SafeLines {
    type Writer = SafeWriter;

    fn make_writer(&'a self) -> SafeWriter {
        SafeWriter
    }
}

pub struct SafeWriter;

impl Write for SafeWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stderr().lock().write_all(&safe_line(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// `event` as one safe line.
pub fn safe_line(event: &[u8]) -> Vec<u8> {
    let body = event.strip_suffix(b"\n").unwrap_or(event);
    let mut out = Vec::with_capacity(body.len().min(MAX_LINE) + 32);
    for (i, &b) in body.iter().enumerate() {
        // Cut only at the start of a character, so the line stays UTF-8.
        if out.len() >= MAX_LINE && (b & 0xc0) != 0x80 {
            out.extend_from_slice(format!(" …[{} more bytes cut]", body.len() - i).as_bytes());
            break;
        }
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            // ESC stays: the formatter's own colours use it, and it escapes ANSI in values.
            b'\t' | 0x1b => out.push(b),
            c if c < 0x20 || c == 0x7f => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
            c => out.push(c),
        }
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_cannot_forge_a_line_or_hide_in_control_characters() {
        let event = b"INFO request refused: stream \"a\nINFO admin logged in\r\0\" done\n";
        let line = safe_line(event);
        assert_eq!(
            String::from_utf8(line).unwrap(),
            "INFO request refused: stream \"a\\nINFO admin logged in\\r\\x00\" done\n"
        );
        assert_eq!(safe_line(b"no newline"), b"no newline\n");
    }

    #[test]
    fn long_lines_are_cut() {
        let event = format!("INFO {}\n", "x".repeat(400 * 1024));
        let line = String::from_utf8(safe_line(event.as_bytes())).unwrap();
        assert!(line.len() < MAX_LINE + 64, "{}", line.len());
        assert!(
            line.ends_with("more bytes cut]\n"),
            "{}",
            &line[line.len() - 40..]
        );
        assert_eq!(line.matches('\n').count(), 1);
    }
}
