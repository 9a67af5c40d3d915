//! ISO-8859-1 (Latin-1), SMPP `data_coding` 0x03: one octet per character,
//! U+0000..=U+00FF.
//!
//! ```
//! use smpp::text::latin1;
//!
//! assert_eq!(latin1::encode("caf\u{E9}").unwrap(), b"caf\xE9");
//! assert_eq!(latin1::decode(b"caf\xE9"), "caf\u{E9}");
//! assert!(latin1::encode("\u{20AC}").is_err());
//! ```

use super::{Encoding, TextError};

/// Encodes `text` as Latin-1. The error names the first character above
/// U+00FF and its byte offset in `text`.
pub fn encode(text: &str) -> Result<Vec<u8>, TextError> {
    encode_as(text, Encoding::Latin1)
}

/// [`encode`], reporting `encoding` in the error (8-bit binary text is
/// encoded the same way).
pub(super) fn encode_as(text: &str, encoding: Encoding) -> Result<Vec<u8>, TextError> {
    let mut out = Vec::with_capacity(text.len());
    for (offset, ch) in text.char_indices() {
        match u8::try_from(ch) {
            Ok(b) => out.push(b),
            Err(_) => {
                return Err(TextError::Unencodable {
                    ch,
                    offset,
                    encoding,
                })
            }
        }
    }
    Ok(out)
}

/// Decodes Latin-1. Never fails: every octet is a character.
pub fn decode(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let text = decode(&all);
        assert_eq!(text.chars().count(), 256);
        assert_eq!(text.chars().nth(0xE9), Some('\u{E9}'));
        assert_eq!(encode(&text), Ok(all));
    }

    #[test]
    fn above_ff_is_an_error() {
        assert_eq!(
            encode("\u{FF}\u{100}"),
            Err(TextError::Unencodable {
                ch: '\u{100}',
                offset: 2,
                encoding: Encoding::Latin1
            })
        );
    }
}
