//! The checksummed text records of the progress log and the message id
//! index: one line per record, `TEXT CRC`, with fields escaped so that a
//! record never holds a space or a line break of its own.

/// The CRC-32 lookup table (reflected polynomial 0xEDB88320).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, the zlib one) of `data`.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// A checksummed record line: `TEXT CRC\n`, the CRC as 8 hex digits.
pub(crate) fn checked_line(text: &str) -> String {
    format!("{text} {:08x}\n", crc32(text.as_bytes()))
}

/// The text of a record line (without its `\n`) if its checksum holds.
pub(crate) fn verify_line(line: &[u8]) -> Option<&str> {
    let line = std::str::from_utf8(line).ok()?;
    let (text, crc) = line.rsplit_once(' ')?;
    if crc.len() != 8 {
        return None;
    }
    let crc = u32::from_str_radix(crc, 16).ok()?;
    (crc32(text.as_bytes()) == crc).then_some(text)
}

/// The complete, checksum-valid record lines of `data`, and the length of
/// the prefix that ends with the last `\n` (what follows is a torn write).
pub(crate) fn records(data: &[u8]) -> (Vec<&str>, usize) {
    let complete = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let lines = data[..complete]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(verify_line)
        .collect();
    (lines, complete)
}

/// Escapes a field for a space-separated record: bytes other than printable
/// ASCII, and space and `%`, become `%XX`.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`escape`]; `None` for a malformed escape or bytes that
/// are not UTF-8.
pub(crate) fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn record_lines() {
        let mut data = checked_line("part 0 abc").into_bytes();
        data.extend_from_slice(checked_line("part 1 d%20e").as_bytes());
        data.extend_from_slice(b"part 2 zz 1234");
        let (lines, len) = records(&data);
        assert_eq!(lines, ["part 0 abc", "part 1 d%20e"]);
        assert_eq!(&data[len..], b"part 2 zz 1234");
        // A flipped byte fails the checksum.
        let mut bad = checked_line("part 0 abc").into_bytes();
        bad[5] = b'9';
        assert_eq!(records(&bad).0, Vec::<&str>::new());
    }

    #[test]
    fn escape_round_trip() {
        for s in ["", "abc", "a b%c", "line\nbreak", "caf\u{E9}", "%%"] {
            let e = escape(s);
            assert!(!e.contains(' ') && !e.contains('\n'));
            assert_eq!(unescape(&e).as_deref(), Some(s));
        }
        assert_eq!(unescape("%4"), None);
        assert_eq!(unescape("%zz"), None);
        assert_eq!(unescape("%FF"), None);
    }
}
