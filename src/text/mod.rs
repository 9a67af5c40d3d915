//! Message text: character encodings, splitting long messages, and putting
//! them back together.
//!
//! # Sending
//!
//! 1. [`choose`] the cheapest [`Encoding`] that holds the text: GSM 7-bit,
//!    then (if the link accepts it) Latin-1, then UCS-2.
//! 2. [`split`](split()) the text into [`Part`]s that each fit one SMS, tied together
//!    by a user data header or the SAR TLVs ([`SplitMethod`]). A short text
//!    is one part with neither.
//! 3. Submit each part: [`Part::data`] as `short_message`, the UDHI bit 0x40
//!    in `esm_class` when [`Part::udhi`] is set, the SAR TLVs from
//!    [`Part::sar`], and [`Encoding::data_coding`] as `data_coding`.
//!
//! ```
//! use smpp::text::{self, Encoding, SplitMethod};
//!
//! let body = "Your code is 1234 \u{2013} valid for 5 minutes";
//! let enc = text::choose(body, false);
//! assert_eq!(enc, Encoding::Ucs2); // the en dash is not in GSM 03.38
//! let parts = text::split(body, enc, SplitMethod::Udh8, 7).unwrap();
//! assert_eq!(parts.len(), 1);
//! assert_eq!(enc.data_coding(), 0x08);
//! ```
//!
//! # Receiving
//!
//! Map `data_coding` with [`Encoding::from_data_coding`]. If UDHI is set,
//! [`udh::parse_concat`] gives the part's numbering and the data after the
//! header (or use [`udh::strip`] for other headers); feed parts to a
//! [`Reassembler`], then [`decode`] the joined data.
//!
//! ```
//! use smpp::text::{self, udh, Encoding, Pushed, Reassembler};
//! use std::time::{Duration, Instant};
//!
//! let parts = text::split(&"ab".repeat(100), Encoding::Gsm7, text::SplitMethod::Udh8, 9).unwrap();
//! let mut r = Reassembler::new(Duration::from_secs(120), 100);
//! let now = Instant::now();
//! let mut message = None;
//! for part in &parts {
//!     let (c, data) = udh::parse_concat(&part.data).unwrap();
//!     if let Pushed::Complete(all) = r.push(now, c.reference, c.total, c.seqnum, data.to_vec()) {
//!         message = Some(text::decode(&all.concat(), Encoding::Gsm7));
//!     }
//! }
//! assert_eq!(message.unwrap(), "ab".repeat(100));
//! ```
//!
//! # Pieces
//!
//! - [`gsm7`]: the GSM 03.38 alphabet, unpacked and packed septets.
//! - [`latin1`], [`ucs2`]: the other two text encodings.
//! - [`split`](mod@split): segment sizes and part construction.
//! - [`udh`]: the concatenation information elements.
//! - [`reassemble`]: collecting parts, with expiry and a bound on memory.
//!
//! Not covered: national language shift tables (UDH IEIs 0x24/0x25), and
//! `data_coding` values for other character sets (JIS, Cyrillic, Hebrew, …),
//! which map to [`Encoding::Binary`].

use std::fmt;

pub mod gsm7;
pub mod latin1;
pub mod reassemble;
pub mod split;
pub mod ucs2;
pub mod udh;

pub use reassemble::{Pushed, Reassembler};
pub use split::{split, split_bytes, Part, Sar, SplitMethod};

/// How message text is turned into octets; selected by `data_coding`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// GSM 03.38 7-bit default alphabet, one septet per octet
    /// (`data_coding` 0x00).
    Gsm7,
    /// ISO-8859-1 (`data_coding` 0x03).
    Latin1,
    /// UCS-2 / UTF-16BE (`data_coding` 0x08).
    Ucs2,
    /// 8-bit binary data (`data_coding` 0x04). Decoded as Latin-1 for
    /// display, so no octet is lost.
    Binary,
}

impl Encoding {
    /// The `data_coding` value to send: 0x00, 0x03, 0x08 or 0x04.
    pub fn data_coding(self) -> u8 {
        match self {
            Encoding::Gsm7 => 0x00,
            Encoding::Latin1 => 0x03,
            Encoding::Ucs2 => 0x08,
            Encoding::Binary => 0x04,
        }
    }

    /// The encoding of a received `data_coding` value.
    ///
    /// | `data_coding` | Encoding |
    /// |---|---|
    /// | 0x00 (SMSC default), 0x01 (IA5; several stacks send GSM with it) | `Gsm7` |
    /// | 0x03 | `Latin1` |
    /// | 0x08 | `Ucs2` |
    /// | 0x02, 0x04 | `Binary` |
    /// | 0xC0–0xDF (message waiting, default alphabet) | `Gsm7` |
    /// | 0xE0–0xEF (message waiting, UCS-2) | `Ucs2` |
    /// | 0xF0–0xFF (message class) | bit 2 set: `Binary`, else `Gsm7` |
    /// | anything else (other character sets, reserved) | `Binary` |
    ///
    /// Unsupported character sets come out as `Binary` so their octets are
    /// kept as they are rather than decoded as the wrong text.
    pub fn from_data_coding(data_coding: impl Into<u8>) -> Encoding {
        let data_coding = data_coding.into();
        match data_coding {
            0x00 | 0x01 | 0xC0..=0xDF => Encoding::Gsm7,
            0x03 => Encoding::Latin1,
            0x08 | 0xE0..=0xEF => Encoding::Ucs2,
            0xF0..=0xFF if data_coding & 0x04 == 0 => Encoding::Gsm7,
            _ => Encoding::Binary,
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Gsm7 => "GSM 7-bit",
            Encoding::Latin1 => "Latin-1",
            Encoding::Ucs2 => "UCS-2",
            Encoding::Binary => "8-bit binary",
        })
    }
}

/// Why a text could not be encoded or split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextError {
    /// A character the encoding cannot represent; the first one in the text.
    Unencodable {
        /// The character.
        ch: char,
        /// Its byte offset in the text.
        offset: usize,
        /// The encoding that was asked for.
        encoding: Encoding,
    },
    /// The message would need more than 255 parts.
    TooManyParts {
        /// How many it would need.
        parts: usize,
    },
    /// The data does not fit `message_payload`.
    TooLong {
        /// The data's length in octets.
        len: usize,
        /// The largest length allowed.
        max: usize,
    },
}

impl fmt::Display for TextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            TextError::Unencodable {
                ch,
                offset,
                encoding,
            } => write!(
                f,
                "character {ch:?} (U+{:04X}) at byte {offset} cannot be encoded as {encoding}",
                u32::from(ch)
            ),
            TextError::TooManyParts { parts } => {
                write!(f, "message needs {parts} parts, more than 255")
            }
            TextError::TooLong { len, max } => {
                write!(f, "message is {len} octets, more than {max}")
            }
        }
    }
}

impl std::error::Error for TextError {}

/// The cheapest encoding that holds `text` exactly.
///
/// GSM 7-bit if every character is in the default alphabet or the extension
/// table (`ç` counts; it arrives as `Ç`); otherwise Latin-1 if
/// `allow_latin1` and every character is at most U+00FF; otherwise UCS-2.
/// Many handsets render Latin-1 poorly, hence the switch.
pub fn choose(text: &str, allow_latin1: bool) -> Encoding {
    if text.chars().all(gsm7::is_encodable) {
        Encoding::Gsm7
    } else if allow_latin1 && text.chars().all(|c| c <= '\u{FF}') {
        Encoding::Latin1
    } else {
        Encoding::Ucs2
    }
}

/// Encodes `text`. GSM 7-bit gives unpacked septets; `Binary` encodes like
/// Latin-1, the inverse of [`decode`]. UCS-2 never fails.
pub fn encode(text: &str, enc: Encoding) -> Result<Vec<u8>, TextError> {
    match enc {
        Encoding::Gsm7 => gsm7::encode(text),
        Encoding::Latin1 => latin1::encode(text),
        Encoding::Binary => latin1::encode_as(text, Encoding::Binary),
        Encoding::Ucs2 => Ok(ucs2::encode(text)),
    }
}

/// Decodes received octets. Never fails: GSM 7-bit expects unpacked septets
/// and shows unknown escapes as `?`; UCS-2 shows unpaired surrogates as
/// U+FFFD; `Binary` decodes as Latin-1.
pub fn decode(bytes: &[u8], enc: Encoding) -> String {
    match enc {
        Encoding::Gsm7 => gsm7::decode(bytes),
        Encoding::Latin1 | Encoding::Binary => latin1::decode(bytes),
        Encoding::Ucs2 => ucs2::decode(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_coding_round_trip() {
        for enc in [
            Encoding::Gsm7,
            Encoding::Latin1,
            Encoding::Ucs2,
            Encoding::Binary,
        ] {
            assert_eq!(Encoding::from_data_coding(enc.data_coding()), enc);
        }
    }

    #[test]
    fn from_data_coding_table() {
        let cases = [
            (0x00, Encoding::Gsm7),
            (0x01, Encoding::Gsm7),
            (0x02, Encoding::Binary),
            (0x03, Encoding::Latin1),
            (0x04, Encoding::Binary),
            (0x05, Encoding::Binary),
            (0x06, Encoding::Binary),
            (0x08, Encoding::Ucs2),
            (0x0E, Encoding::Binary),
            (0xBF, Encoding::Binary),
            (0xC0, Encoding::Gsm7),
            (0xDF, Encoding::Gsm7),
            (0xE0, Encoding::Ucs2),
            (0xEF, Encoding::Ucs2),
            (0xF0, Encoding::Gsm7),
            (0xF3, Encoding::Gsm7),
            (0xF4, Encoding::Binary),
            (0xF7, Encoding::Binary),
            (0xFB, Encoding::Gsm7),
            (0xFF, Encoding::Binary),
        ];
        for (dc, enc) in cases {
            assert_eq!(Encoding::from_data_coding(dc), enc, "data_coding {dc:#04X}");
        }
    }

    #[test]
    fn choose_cases() {
        assert_eq!(choose("", false), Encoding::Gsm7);
        assert_eq!(choose("Hello {world} \u{20AC}5", false), Encoding::Gsm7);
        assert_eq!(choose("gar\u{E7}on", false), Encoding::Gsm7);
        assert_eq!(choose("caf\u{E9} \u{C0} la carte", true), Encoding::Latin1);
        assert_eq!(choose("\u{C0}", true), Encoding::Latin1);
        assert_eq!(choose("\u{C0}", false), Encoding::Ucs2);
        assert_eq!(choose("back`tick", true), Encoding::Latin1);
        assert_eq!(choose("\u{20AC}\u{C0}", true), Encoding::Ucs2);
        assert_eq!(choose("\u{41F}\u{440}\u{438}", true), Encoding::Ucs2);
        assert_eq!(choose("ok \u{1F44D}", true), Encoding::Ucs2);
    }

    #[test]
    fn binary_decodes_as_latin1() {
        assert_eq!(decode(&[0x41, 0xE9, 0x00], Encoding::Binary), "A\u{E9}\0");
        assert_eq!(encode("A\u{E9}", Encoding::Binary), Ok(vec![0x41, 0xE9]));
        assert_eq!(
            encode("\u{100}", Encoding::Binary),
            Err(TextError::Unencodable {
                ch: '\u{100}',
                offset: 0,
                encoding: Encoding::Binary
            })
        );
    }

    #[test]
    fn error_display() {
        let e = gsm7::encode("ab\u{E2}").unwrap_err();
        assert_eq!(
            e.to_string(),
            "character '\u{E2}' (U+00E2) at byte 2 cannot be encoded as GSM 7-bit"
        );
        assert_eq!(
            TextError::TooManyParts { parts: 300 }.to_string(),
            "message needs 300 parts, more than 255"
        );
    }
}
