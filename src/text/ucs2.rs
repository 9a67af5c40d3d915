//! UCS-2, SMPP `data_coding` 0x08: big-endian 16-bit units.
//!
//! Strictly UCS-2 stops at U+FFFF; like handsets and SMSCs in practice, this
//! module reads and writes UTF-16BE, so characters above U+FFFF (most emoji)
//! travel as surrogate pairs and cost two units.
//!
//! ```
//! use smpp::text::ucs2;
//!
//! let bytes = ucs2::encode("A\u{1F600}");
//! assert_eq!(bytes, [0x00, 0x41, 0xD8, 0x3D, 0xDE, 0x00]);
//! assert_eq!(ucs2::decode(&bytes), "A\u{1F600}");
//! ```

/// Encodes `text` as UTF-16BE. Never fails.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len().saturating_mul(2));
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out
}

/// The number of 16-bit units `text` takes (two for characters above
/// U+FFFF).
pub fn unit_len(text: &str) -> usize {
    text.chars().map(char::len_utf16).sum()
}

/// Decodes UTF-16BE. Never fails: an unpaired surrogate, and an odd octet at
/// the end, each decode as U+FFFD.
pub fn decode(bytes: &[u8]) -> String {
    let pairs = bytes.chunks_exact(2);
    let odd = !pairs.remainder().is_empty();
    let units = pairs.map(|p| u16::from_be_bytes([p[0], p[1]]));
    let mut out: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if odd {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bmp_and_surrogates() {
        assert_eq!(encode("\u{20AC}"), [0x20, 0xAC]);
        assert_eq!(encode("\u{1F44D}"), [0xD8, 0x3D, 0xDC, 0x4D]);
        assert_eq!(decode(&[0xD8, 0x3D, 0xDC, 0x4D]), "\u{1F44D}");
        assert_eq!(unit_len("a\u{1F44D}\u{E9}"), 4);
        assert_eq!(encode(""), Vec::<u8>::new());
    }

    #[test]
    fn lossy_decode() {
        // Lone high surrogate, lone low surrogate, odd trailing octet.
        assert_eq!(decode(&[0xD8, 0x3D, 0x00, 0x41]), "\u{FFFD}A");
        assert_eq!(decode(&[0xDC, 0x4D]), "\u{FFFD}");
        assert_eq!(decode(&[0x00, 0x41, 0x00]), "A\u{FFFD}");
        assert_eq!(decode(&[0xD8, 0x3D]), "\u{FFFD}");
    }
}
