//! [`BadFile`]: why an outgoing file cannot be sent, worded for its
//! `Fail_reason:` line.

use super::alphabet::Alphabet;
use super::{MAX_ALPHANUMERIC, MAX_FILE_LEN, MAX_NUMBER_DIGITS};
use std::fmt;

/// How much of a value an error message quotes.
const QUOTE_LEN: usize = 40;

/// Why an outgoing file cannot be sent. `Display` gives one sentence fit for
/// a `Fail_reason:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadFile {
    /// The file is empty (still so after `empty_grace_secs`: its writer
    /// never filled it).
    Empty,
    /// The file is larger than [`MAX_FILE_LEN`].
    TooLarge {
        /// Its size in bytes.
        len: u64,
    },
    /// A header line is not UTF-8.
    HeaderNotUtf8 {
        /// The line number, from 1.
        line: usize,
    },
    /// A header line holds a control character other than tab.
    HeaderControl {
        /// The line number, from 1.
        line: usize,
    },
    /// A line in the header block is not `Name: value`.
    NotAHeader {
        /// The line number, from 1.
        line: usize,
        /// The start of the line.
        text: String,
    },
    /// A known header appears twice.
    Duplicate {
        /// The header name.
        name: &'static str,
        /// The line of the second one.
        line: usize,
    },
    /// There is no `To:` header.
    MissingTo {
        /// A header that differs from `To` only in case, if there is one.
        near: Option<String>,
    },
    /// `To:` is not a phone number.
    BadTo {
        /// The value.
        value: String,
    },
    /// `From:` is neither a number nor a short alphanumeric sender.
    BadFrom {
        /// The value.
        value: String,
    },
    /// `Alphabet:` names no known alphabet.
    BadAlphabet {
        /// The value.
        value: String,
    },
    /// A yes/no header has another value.
    BadYesNo {
        /// The header name.
        name: &'static str,
        /// The value.
        value: String,
    },
    /// `Validity:` is not a duration, is zero, or is longer than 99 days.
    BadValidity {
        /// The value.
        value: String,
    },
    /// `Hex: yes` and the body is not hexadecimal.
    BadHex {
        /// What is wrong with it.
        reason: String,
    },
    /// The body should be UTF-8 text and is not.
    BodyNotUtf8 {
        /// The body's alphabet (`None`: not given).
        alphabet: Option<Alphabet>,
        /// The offset in the body of the first bad byte.
        offset: usize,
    },
    /// `Alphabet: GSM` and the text has a character GSM 03.38 lacks.
    BodyNotGsm {
        /// The character.
        ch: char,
        /// Its byte offset in the body.
        offset: usize,
    },
    /// `Alphabet: UCS2` and the body is not UTF-16BE.
    BodyNotUcs2 {
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for BadFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadFile::Empty => f.write_str("empty file"),
            BadFile::TooLarge { len } => write!(
                f,
                "the file is {len} bytes, more than the {MAX_FILE_LEN} an outgoing file may have"
            ),
            BadFile::HeaderNotUtf8 { line } => {
                write!(f, "header line {line} is not UTF-8 text")
            }
            BadFile::HeaderControl { line } => {
                write!(f, "header line {line} contains a control character")
            }
            BadFile::NotAHeader { line, text } => write!(
                f,
                "line {line} ({:?}) is not a \"Name: value\" header and no empty line comes before it",
                quote(text)
            ),
            BadFile::Duplicate { name, line } => {
                write!(f, "{name}: is given twice (again on line {line})")
            }
            BadFile::MissingTo { near: None } => f.write_str("missing To: header"),
            BadFile::MissingTo { near: Some(near) } => write!(
                f,
                "missing To: header (the file has {near:?}, but header names are case-sensitive)"
            ),
            BadFile::BadTo { value } => write!(
                f,
                "To: {:?} is not a phone number (1 to {MAX_NUMBER_DIGITS} digits, optionally after a +)",
                quote(value)
            ),
            BadFile::BadFrom { value } => write!(
                f,
                "From: {:?} is neither a phone number nor 1 to {MAX_ALPHANUMERIC} ASCII letters and digits",
                quote(value)
            ),
            BadFile::BadAlphabet { value } => write!(
                f,
                "Alphabet: {:?} is not one of GSM, ISO, UCS2, UTF-8, binary",
                quote(value)
            ),
            BadFile::BadYesNo { name, value } => {
                write!(f, "{name}: {:?} is neither yes nor no", quote(value))
            }
            BadFile::BadValidity { value } => write!(
                f,
                "Validity: {:?} is not a period from 1 minute to 99 days (minutes, or a number with m, h, d or w)",
                quote(value)
            ),
            BadFile::BadHex { reason } => {
                write!(f, "Hex: yes but the body is not hex ({reason})")
            }
            BadFile::BodyNotUtf8 {
                alphabet: None,
                offset,
            } => write!(
                f,
                "the body is not UTF-8 text (bad byte at offset {offset}); give an Alphabet: header for other data"
            ),
            BadFile::BodyNotUtf8 {
                alphabet: Some(a),
                offset,
            } => write!(
                f,
                "Alphabet: {a} but the body is not UTF-8 text (bad byte at offset {offset})"
            ),
            BadFile::BodyNotGsm { ch, offset } => write!(
                f,
                "Alphabet: GSM but the body has {ch:?} (U+{:04X}) at offset {offset}, which GSM 03.38 lacks",
                u32::from(*ch)
            ),
            BadFile::BodyNotUcs2 { reason } => {
                write!(f, "Alphabet: UCS2 but the body is not UTF-16BE ({reason})")
            }
        }
    }
}

impl std::error::Error for BadFile {}

/// The start of `s`, at most [`QUOTE_LEN`] characters, for error messages.
fn quote(s: &str) -> String {
    let mut out: String = s.chars().take(QUOTE_LEN).collect();
    if s.chars().nth(QUOTE_LEN).is_some() {
        out.push('\u{2026}');
    }
    out
}
