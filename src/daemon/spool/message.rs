//! The spool's file formats: reading outgoing files, and writing result,
//! incoming and report files.
//!
//! # Outgoing files
//!
//! The smstools3 layout: header lines `Name: value`, one empty line, then the
//! body.
//!
//! ```text
//! To: 491721234567
//! Alphabet: UCS
//!
//! <body>
//! ```
//!
//! - Header names are case-sensitive. Unknown headers are kept, in order, in
//!   [`OutgoingMessage::headers`], and otherwise ignored. A known header
//!   given twice is an error. Values are trimmed of spaces and tabs; values
//!   of known headers are read without regard to case (`yes`, `YES`).
//! - Lines may end in `\n` or `\r\n`. A UTF-8 byte order mark before the
//!   first header is skipped. A file without the empty line is all headers
//!   with an empty body.
//! - A line in the header block that is not `Name: value` is an error (a
//!   forgotten empty line would otherwise swallow the text). So are header
//!   lines that are not UTF-8 or hold control characters.
//! - Files larger than [`MAX_FILE_LEN`] are refused.
//!
//! | Header | Values | Default |
//! |---|---|---|
//! | `To:` | 1 to 20 digits, optional leading `+` | required |
//! | `From:` | 1 to 20 digits with optional `+`, or 1 to 11 ASCII letters and digits | the configured sender |
//! | `Alphabet:` | see below | the body is UTF-8 text |
//! | `Report:` | `yes`/`no` (also `true`/`false`, `on`/`off`, `1`/`0`) | no |
//! | `Flash:` | as `Report:` | no |
//! | `Validity:` | minutes (`90`), or a number and a unit: `30m`, `12h`, `2d`, `1w` (also `30 min`, `3 hours`, `1 day`, `2 weeks`), at most 99 days | the SMSC's default |
//! | `Priority:` | `High` marks the file high priority; any other value is normal | normal |
//! | `Hex:` | as `Report:`: the body is hexadecimal (whitespace ignored) | no |
//!
//! What the body holds, by `Alphabet:` (names read without regard to case):
//!
//! | `Alphabet:` | Body | Sent as |
//! |---|---|---|
//! | absent, `UTF-8`, `UTF8` | UTF-8 text | the cheapest alphabet that holds it ([`text::choose`]) |
//! | `GSM` | UTF-8 text made only of GSM 03.38 characters | GSM 7-bit |
//! | `ISO`, `Latin`, `Latin1`, `Latin-1`, `ISO-8859-1` | Latin-1 bytes | the cheapest alphabet that holds the text |
//! | `UCS`, `UCS2`, `UCS-2`, `Unicode`, `Chinese` | UTF-16 big-endian bytes (smstools3's UCS-2), an optional `FE FF` mark first | UCS-2 |
//! | `binary` | raw bytes | 8-bit data (`data_coding` 0x04) |
//!
//! `Hex: yes` decodes the body first; the alphabet then applies to the
//! decoded bytes, and defaults to `binary`.
//!
//! One trailing line break (`\n` or `\r\n`, in UCS-2 a trailing U+000A or a
//! lone `0A` byte after an even number of bytes) is dropped from text bodies,
//! since writers such as `echo` add one that nobody means to send. Binary and
//! hex bodies are sent exactly.
//!
//! Differences from smstools3: its `ISO` is ISO-8859-15 (here Latin-1), its
//! `GSM` body is raw GSM bytes (here UTF-8 text restricted to the GSM
//! alphabet), its header names are not case-sensitive, and its numeric
//! `Validity:` is the GSM relative code (here minutes, as the contract says).
//!
//! # Result files
//!
//! A file that was sent is copied to `sent/` with `Sent:` and one
//! `Message_id:` line per part inserted at the end of the header block
//! ([`sent_file`]); one that failed goes to `failed/` with `Failed:` and
//! `Fail_reason:` ([`failed_file`]). The new lines use the file's line
//! ending; the body stays byte-exact. Values are written on one line: any
//! control character in them becomes a space.

use crate::datetime::DateTime;
use crate::text::{self, gsm7, Encoding, Part, SplitMethod, TextError};
use std::fmt;
use std::io::{self, Read, Write};
use std::time::Duration;

/// The largest outgoing file read, 1 MiB. A message of 255 UCS-2 parts as
/// hex is about 70 KiB.
pub const MAX_FILE_LEN: u64 = 1 << 20;

/// The longest `To:`/`From:` number, in digits.
const MAX_NUMBER_DIGITS: usize = 20;
/// The longest alphanumeric `From:`.
const MAX_ALPHANUMERIC: usize = 11;
/// The longest validity period an SMPP relative time can carry.
const MAX_VALIDITY_SECS: u64 = 100 * 86_400 - 1;
/// How much of a value an error message quotes.
const QUOTE_LEN: usize = 40;

/// The `Alphabet:` header: how the body is written and how it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// `GSM`: UTF-8 text that must fit GSM 03.38; sent as GSM 7-bit.
    Gsm,
    /// `ISO`: Latin-1 bytes; sent in the cheapest alphabet that holds them.
    Iso,
    /// `UCS2`: UTF-16BE bytes; sent as UCS-2.
    Ucs2,
    /// `UTF-8`: UTF-8 text; sent in the cheapest alphabet (the default).
    Utf8,
    /// `binary`: raw bytes, sent as 8-bit data.
    Binary,
}

impl Alphabet {
    /// Reads an `Alphabet:` value, ignoring case; `None` if unknown. See the
    /// [module docs](self) for the names.
    pub fn parse(value: &str) -> Option<Alphabet> {
        const NAMES: [(&str, Alphabet); 14] = [
            ("GSM", Alphabet::Gsm),
            ("ISO", Alphabet::Iso),
            ("Latin", Alphabet::Iso),
            ("Latin1", Alphabet::Iso),
            ("Latin-1", Alphabet::Iso),
            ("ISO-8859-1", Alphabet::Iso),
            ("UCS", Alphabet::Ucs2),
            ("UCS2", Alphabet::Ucs2),
            ("UCS-2", Alphabet::Ucs2),
            ("Unicode", Alphabet::Ucs2),
            ("Chinese", Alphabet::Ucs2),
            ("UTF-8", Alphabet::Utf8),
            ("UTF8", Alphabet::Utf8),
            ("binary", Alphabet::Binary),
        ];
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(value))
            .map(|&(_, a)| a)
    }

    /// The canonical header value: `GSM`, `ISO`, `UCS2`, `UTF-8` or
    /// `binary`.
    pub fn as_str(self) -> &'static str {
        match self {
            Alphabet::Gsm => "GSM",
            Alphabet::Iso => "ISO",
            Alphabet::Ucs2 => "UCS2",
            Alphabet::Utf8 => "UTF-8",
            Alphabet::Binary => "binary",
        }
    }

    /// The `Alphabet:` value an incoming file gets for data received in
    /// `enc`: `GSM`, `ISO`, `UCS2` or `binary`.
    pub fn of_encoding(enc: Encoding) -> Alphabet {
        match enc {
            Encoding::Gsm7 => Alphabet::Gsm,
            Encoding::Latin1 => Alphabet::Iso,
            Encoding::Ucs2 => Alphabet::Ucs2,
            Encoding::Binary => Alphabet::Binary,
        }
    }
}

impl fmt::Display for Alphabet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

/// An outgoing file, parsed and checked. [`OutgoingMessage::parse`] has
/// already checked that the body fits the alphabet, so
/// [`OutgoingMessage::content`] fails only if the fields were changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// `To:`: digits, with an optional leading `+`.
    pub to: String,
    /// `From:`: digits with an optional `+`, or up to 11 letters and digits.
    pub from: Option<String>,
    /// `Alphabet:`.
    pub alphabet: Option<Alphabet>,
    /// `Report: yes`: ask for a delivery receipt.
    pub report: bool,
    /// `Flash: yes`: a class 0 message.
    pub flash: bool,
    /// `Validity:`.
    pub validity: Option<Duration>,
    /// `Priority: High`.
    pub priority_high: bool,
    /// `Hex: yes`: the body is hexadecimal.
    pub hex: bool,
    /// The body, exactly as in the file.
    pub body: Vec<u8>,
    /// Every header line, known and unknown, in file order: (name, value).
    pub headers: Vec<(String, String)>,
}

/// What to submit for a message: text with the encoding chosen for it, or
/// binary data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// Text, to encode as `encoding` (never `Binary`).
    Text {
        /// The text.
        text: String,
        /// The encoding to send it in.
        encoding: Encoding,
    },
    /// 8-bit data (`data_coding` 0x04).
    Binary(Vec<u8>),
}

impl Content {
    /// The encoding the parts are sent in; gives `data_coding`.
    pub fn encoding(&self) -> Encoding {
        match self {
            Content::Text { encoding, .. } => *encoding,
            Content::Binary(_) => Encoding::Binary,
        }
    }

    /// Encodes and splits into parts; see [`text::split()`].
    pub fn split(&self, method: SplitMethod, reference: u16) -> Result<Vec<Part>, TextError> {
        match self {
            Content::Text { text, encoding } => text::split(text, *encoding, method, reference),
            Content::Binary(data) => text::split_bytes(data, method, reference),
        }
    }
}

/// Where the header block of a file ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layout {
    /// Where the first header line starts (3 after a UTF-8 BOM, else 0).
    start: usize,
    /// Where the empty line starts, if there is one within the data.
    separator: Option<usize>,
    /// Where the body starts (the data's length without a separator).
    body: usize,
    /// Whether the first line ends in `\r\n`.
    crlf: bool,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn layout(data: &[u8]) -> Layout {
    let start = if data.starts_with(BOM) { BOM.len() } else { 0 };
    let mut crlf = false;
    let mut pos = start;
    let mut first = true;
    while let Some(nl) = data[pos..].iter().position(|&b| b == b'\n') {
        let end = pos + nl;
        let line = &data[pos..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if first {
            crlf = end > pos && data[end - 1] == b'\r';
            first = false;
        }
        if line.is_empty() {
            return Layout {
                start,
                separator: Some(pos),
                body: end + 1,
                crlf,
            };
        }
        pos = end + 1;
    }
    Layout {
        start,
        separator: None,
        body: data.len(),
        crlf,
    }
}

fn yes_no(name: &'static str, value: &str) -> Result<bool, BadFile> {
    const YES: [&str; 4] = ["yes", "true", "on", "1"];
    const NO: [&str; 4] = ["no", "false", "off", "0"];
    if YES.iter().any(|y| y.eq_ignore_ascii_case(value)) {
        Ok(true)
    } else if NO.iter().any(|n| n.eq_ignore_ascii_case(value)) {
        Ok(false)
    } else {
        Err(BadFile::BadYesNo {
            name,
            value: value.to_owned(),
        })
    }
}

/// Whether `s` is 1 to 20 digits with an optional leading `+`.
fn is_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (1..=MAX_NUMBER_DIGITS).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is a valid sender: a number, or 1 to 11 ASCII letters and
/// digits.
pub fn is_valid_sender(s: &str) -> bool {
    is_number(s)
        || ((1..=MAX_ALPHANUMERIC).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Reads a `Validity:` value; see the [module docs](self).
pub fn parse_validity(value: &str) -> Option<Duration> {
    let value = value.trim();
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = value.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let unit = unit.trim_start();
    let units: [(&[&str], u64); 4] = [
        (&["", "m", "min", "mins", "minute", "minutes"], 60),
        (&["h", "hour", "hours"], 3600),
        (&["d", "day", "days"], 86_400),
        (&["w", "week", "weeks"], 604_800),
    ];
    let scale = units
        .iter()
        .find(|(names, _)| names.iter().any(|n| n.eq_ignore_ascii_case(unit)))?
        .1;
    let secs = number.checked_mul(scale)?;
    (1..=MAX_VALIDITY_SECS)
        .contains(&secs)
        .then(|| Duration::from_secs(secs))
}

fn decode_hex(body: &[u8]) -> Result<Vec<u8>, BadFile> {
    let mut out = Vec::with_capacity(body.len() / 2);
    let mut high: Option<u8> = None;
    for (i, &b) in body.iter().enumerate() {
        if b.is_ascii_whitespace() {
            continue;
        }
        let v = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => {
                let shown = if b.is_ascii_graphic() {
                    format!("{:?}", char::from(b))
                } else {
                    format!("byte 0x{b:02X}")
                };
                return Err(BadFile::BadHex {
                    reason: format!("{shown} at offset {i}"),
                });
            }
        };
        match high.take() {
            None => high = Some(v),
            Some(h) => out.push(h << 4 | v),
        }
    }
    if high.is_some() {
        return Err(BadFile::BadHex {
            reason: "an odd number of hex digits".to_owned(),
        });
    }
    Ok(out)
}

/// Drops one trailing `\n` or `\r\n`.
fn strip_newline(text: &mut String) {
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
}

fn utf8_text(data: &[u8], alphabet: Option<Alphabet>) -> Result<String, BadFile> {
    match std::str::from_utf8(data) {
        Ok(s) => {
            let mut s = s.to_owned();
            strip_newline(&mut s);
            Ok(s)
        }
        Err(e) => Err(BadFile::BodyNotUtf8 {
            alphabet,
            offset: e.valid_up_to(),
        }),
    }
}

fn ucs2_text(data: &[u8]) -> Result<String, BadFile> {
    let mut data = data.strip_prefix(b"\xFE\xFF").unwrap_or(data);
    // A writer that encodes the text and then prints "\n" leaves one 0A byte.
    if data.len() % 2 == 1 {
        match data.split_last() {
            Some((&b'\n', rest)) => data = rest,
            _ => {
                return Err(BadFile::BodyNotUcs2 {
                    reason: format!("an odd number of bytes, {}", data.len()),
                })
            }
        }
    }
    let units = data
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]));
    let mut text = String::with_capacity(data.len() / 2);
    for (i, r) in char::decode_utf16(units).enumerate() {
        match r {
            Ok(c) => text.push(c),
            Err(e) => {
                return Err(BadFile::BodyNotUcs2 {
                    reason: format!(
                        "unpaired surrogate 0x{:04X} near offset {}",
                        e.unpaired_surrogate(),
                        2 * i
                    ),
                })
            }
        }
    }
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

impl OutgoingMessage {
    /// Parses and checks an outgoing file; see the [module docs](self).
    pub fn parse(data: &[u8]) -> Result<OutgoingMessage, BadFile> {
        if data.is_empty() {
            return Err(BadFile::Empty);
        }
        if data.len() as u64 > MAX_FILE_LEN {
            return Err(BadFile::TooLarge {
                len: data.len() as u64,
            });
        }
        let layout = layout(data);
        let block = &data[layout.start..layout.separator.unwrap_or(data.len())];
        let mut msg = OutgoingMessage {
            to: String::new(),
            from: None,
            alphabet: None,
            report: false,
            flash: false,
            validity: None,
            priority_high: false,
            hex: false,
            body: data[layout.body..].to_vec(),
            headers: Vec::new(),
        };
        let mut seen: Vec<&'static str> = Vec::new();
        let mut near_to = None;
        for (i, raw) in block.split(|&b| b == b'\n').enumerate() {
            let line_no = i + 1;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.is_empty() {
                // Only the end of a block without a separator: a trailing "\n".
                continue;
            }
            let line =
                std::str::from_utf8(raw).map_err(|_| BadFile::HeaderNotUtf8 { line: line_no })?;
            if line.chars().any(|c| c.is_control() && c != '\t') {
                return Err(BadFile::HeaderControl { line: line_no });
            }
            let (name, value) = match line.split_once(':') {
                Some((n, v)) if !n.is_empty() && !n.contains(char::is_whitespace) => {
                    (n, v.trim_matches([' ', '\t']))
                }
                _ => {
                    return Err(BadFile::NotAHeader {
                        line: line_no,
                        text: line.to_owned(),
                    })
                }
            };
            msg.headers.push((name.to_owned(), value.to_owned()));
            const KNOWN: [&str; 8] = [
                "To", "From", "Alphabet", "Report", "Flash", "Validity", "Priority", "Hex",
            ];
            let Some(&known) = KNOWN.iter().find(|&&k| k == name) else {
                if name.eq_ignore_ascii_case("To") && near_to.is_none() {
                    near_to = Some(format!("{name}:"));
                }
                continue;
            };
            if seen.contains(&known) {
                return Err(BadFile::Duplicate {
                    name: known,
                    line: line_no,
                });
            }
            seen.push(known);
            match known {
                "To" => {
                    if !is_number(value) {
                        return Err(BadFile::BadTo {
                            value: value.to_owned(),
                        });
                    }
                    msg.to = value.to_owned();
                }
                "From" => {
                    if !is_valid_sender(value) {
                        return Err(BadFile::BadFrom {
                            value: value.to_owned(),
                        });
                    }
                    msg.from = Some(value.to_owned());
                }
                "Alphabet" => {
                    msg.alphabet =
                        Some(Alphabet::parse(value).ok_or_else(|| BadFile::BadAlphabet {
                            value: value.to_owned(),
                        })?);
                }
                "Report" => msg.report = yes_no("Report", value)?,
                "Flash" => msg.flash = yes_no("Flash", value)?,
                "Hex" => msg.hex = yes_no("Hex", value)?,
                "Validity" => {
                    msg.validity =
                        Some(parse_validity(value).ok_or_else(|| BadFile::BadValidity {
                            value: value.to_owned(),
                        })?);
                }
                _ => msg.priority_high = value.eq_ignore_ascii_case("high"),
            }
        }
        if !seen.contains(&"To") {
            return Err(BadFile::MissingTo { near: near_to });
        }
        // Check the body now, so that a bad one fails before anything is sent.
        msg.content(false)?;
        Ok(msg)
    }

    /// The value of the first header named `name` (case-sensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// What to submit: the body decoded as its alphabet says, with the
    /// encoding to send it in. `allow_latin1` lets the default choice use
    /// Latin-1 (`data_coding` 0x03) when GSM 7-bit does not hold the text.
    pub fn content(&self, allow_latin1: bool) -> Result<Content, BadFile> {
        let decoded;
        let data: &[u8] = if self.hex {
            decoded = decode_hex(&self.body)?;
            &decoded
        } else {
            &self.body
        };
        let alphabet = match self.alphabet {
            None if self.hex => Alphabet::Binary,
            None => Alphabet::Utf8,
            Some(a) => a,
        };
        let cheapest = |text: String| {
            let encoding = text::choose(&text, allow_latin1);
            Content::Text { text, encoding }
        };
        match alphabet {
            Alphabet::Binary => Ok(Content::Binary(data.to_vec())),
            Alphabet::Utf8 => Ok(cheapest(utf8_text(data, self.alphabet)?)),
            Alphabet::Iso => {
                let mut text = text::decode(data, Encoding::Latin1);
                strip_newline(&mut text);
                Ok(cheapest(text))
            }
            Alphabet::Ucs2 => Ok(Content::Text {
                text: ucs2_text(data)?,
                encoding: Encoding::Ucs2,
            }),
            Alphabet::Gsm => {
                let text = utf8_text(data, self.alphabet)?;
                if let Some((offset, ch)) =
                    text.char_indices().find(|&(_, c)| !gsm7::is_encodable(c))
                {
                    return Err(BadFile::BodyNotGsm { ch, offset });
                }
                Ok(Content::Text {
                    text,
                    encoding: Encoding::Gsm7,
                })
            }
        }
    }
}

/// Whether the header block of `head` (the start of a file) says
/// `Priority: High`. Reads only up to the empty line.
pub fn peek_priority_high(head: &[u8]) -> bool {
    let layout = layout(head);
    let block = &head[layout.start..layout.separator.unwrap_or(head.len())];
    block.split(|&b| b == b'\n').any(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        line.strip_prefix(b"Priority:")
            .is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"high"))
    })
}

/// A header value on one line: control characters become spaces, and the
/// ends are trimmed.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn header_lines(headers: &[(&str, &str)], crlf: bool) -> Vec<u8> {
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let mut out = Vec::new();
    for (name, value) in headers {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(clean(value).as_bytes());
        out.extend_from_slice(eol);
    }
    out
}

/// Copies `src` to `dst`, inserting `headers` at the end of the header
/// block: just before the empty line, or at the end of a file that has none
/// (after a line break if the last line lacks one). Only the first
/// [`MAX_FILE_LEN`] bytes are searched for the empty line; the rest is
/// copied as it is.
pub(crate) fn copy_inserting(
    src: &mut impl Read,
    dst: &mut impl Write,
    headers: &[(&str, &str)],
) -> io::Result<()> {
    let mut head = Vec::new();
    src.by_ref().take(MAX_FILE_LEN).read_to_end(&mut head)?;
    let l = layout(&head);
    let lines = header_lines(headers, l.crlf);
    if let Some(at) = l.separator {
        dst.write_all(&head[..at])?;
        dst.write_all(&lines)?;
        dst.write_all(&head[at..])?;
        io::copy(src, dst)?;
        return Ok(());
    }
    dst.write_all(&head)?;
    // Nothing but a byte order mark: the headers follow it directly.
    let mut last = head.get(l.start..).and_then(<[u8]>::last).copied();
    let mut buf = [0u8; 8192];
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        dst.write_all(&buf[..n])?;
        last = Some(buf[n - 1]);
    }
    if last.is_some_and(|b| b != b'\n') {
        dst.write_all(if l.crlf { b"\r\n" } else { b"\n" })?;
    }
    dst.write_all(&lines)
}

/// `original` with `headers` inserted at the end of its header block: just
/// before the empty line, or at the end of a file that has none (after a
/// line break if the last line lacks one). The new lines use the file's
/// line ending; the body is unchanged.
pub fn insert_headers(original: &[u8], headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(original.len() + 64 * headers.len());
    let mut src = original;
    // Reading a slice and writing a Vec cannot fail.
    let _ = copy_inserting(&mut src, &mut out, headers);
    out
}

/// The headers a sent file gets: `Sent:` and one `Message_id:` per part.
pub fn sent_headers(sent: DateTime, message_ids: &[String]) -> Vec<(&'static str, String)> {
    let mut h = vec![("Sent", sent.to_string())];
    h.extend(message_ids.iter().map(|id| ("Message_id", id.clone())));
    h
}

/// The headers a failed file gets: `Failed:` and `Fail_reason:`.
pub fn failed_headers(failed: DateTime, reason: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Failed", failed.to_string()),
        ("Fail_reason", reason.to_owned()),
    ]
}

fn borrow<'a>(h: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    h.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

/// The `sent/` file for `original`: `Sent:` and the message ids inserted at
/// the end of the header block.
pub fn sent_file(original: &[u8], sent: DateTime, message_ids: &[String]) -> Vec<u8> {
    insert_headers(original, &borrow(&sent_headers(sent, message_ids)))
}

/// The `failed/` file for `original`: `Failed:` and `Fail_reason:` inserted
/// at the end of the header block.
pub fn failed_file(original: &[u8], failed: DateTime, reason: &str) -> Vec<u8> {
    insert_headers(original, &borrow(&failed_headers(failed, reason)))
}

/// A mobile-originated message, as written to `incoming/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingMessage {
    /// The sender (`source_addr`).
    pub from: String,
    /// The recipient (`destination_addr`).
    pub to: String,
    /// When the message arrived.
    pub received: DateTime,
    /// The encoding of `data` (from `data_coding`).
    pub encoding: Encoding,
    /// The user data without any UDH; parts already joined.
    pub data: Vec<u8>,
}

impl IncomingMessage {
    /// The file: `From:`, `To:`, `Received:`, `Alphabet:` (`GSM`, `ISO`,
    /// `UCS2` or `binary`, naming how it arrived), an empty line, and the
    /// body: the text as UTF-8, or for `binary` the data as received.
    pub fn to_file(&self) -> Vec<u8> {
        let alphabet = Alphabet::of_encoding(self.encoding);
        let received = self.received.to_string();
        let mut out = header_lines(
            &[
                ("From", &self.from),
                ("To", &self.to),
                ("Received", &received),
                ("Alphabet", alphabet.as_str()),
            ],
            false,
        );
        out.push(b'\n');
        match self.encoding {
            Encoding::Binary => out.extend_from_slice(&self.data),
            enc => out.extend_from_slice(text::decode(&self.data, enc).as_bytes()),
        }
        out
    }
}

/// A delivery receipt, as written to `report/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportMessage {
    /// The receipt's sender (`source_addr`: the phone the message went to).
    pub from: String,
    /// The receipt's recipient (`destination_addr`: the original sender).
    pub to: String,
    /// When the receipt arrived.
    pub received: DateTime,
    /// The id of the message it reports on.
    pub message_id: String,
    /// The state word: `DELIVRD`, `UNDELIV`, `EXPIRED`, ...
    pub status: String,
    /// The error code as received (`000`); the line is left out if `None`.
    pub error: Option<String>,
    /// The receipt's done date; the line is left out if `None`.
    pub done_date: Option<DateTime>,
    /// The spool file the message was sent from, when known.
    pub original_file: Option<String>,
    /// The receipt text as received.
    pub text: String,
}

impl ReportMessage {
    /// The file: `From:`, `To:`, `Received:`, `Message_id:`, `Status:`,
    /// `Error:`, `Done_date:`, `Original_file:` (each of the last three only
    /// when known), an empty line, and the receipt text.
    pub fn to_file(&self) -> Vec<u8> {
        let received = self.received.to_string();
        let done = self.done_date.map(|d| d.to_string());
        let mut h: Vec<(&str, &str)> = vec![
            ("From", &self.from),
            ("To", &self.to),
            ("Received", &received),
            ("Message_id", &self.message_id),
            ("Status", &self.status),
        ];
        if let Some(e) = &self.error {
            h.push(("Error", e));
        }
        if let Some(d) = &done {
            h.push(("Done_date", d));
        }
        if let Some(o) = &self.original_file {
            h.push(("Original_file", o));
        }
        let mut out = header_lines(&h, false);
        out.push(b'\n');
        out.extend_from_slice(self.text.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<OutgoingMessage, BadFile> {
        OutgoingMessage::parse(s)
    }

    fn text_of(m: &OutgoingMessage, latin1: bool) -> (String, Encoding) {
        match m.content(latin1).unwrap() {
            Content::Text { text, encoding } => (text, encoding),
            Content::Binary(_) => panic!("binary"),
        }
    }

    #[test]
    fn minimal_file() {
        let m = parse(b"To: 491721234567\n\nHello").unwrap();
        assert_eq!(m.to, "491721234567");
        assert_eq!(m.body, b"Hello");
        assert_eq!(m.headers, [("To".to_owned(), "491721234567".to_owned())]);
        assert_eq!(text_of(&m, false), ("Hello".to_owned(), Encoding::Gsm7));
        assert!(!m.report && !m.flash && !m.priority_high && !m.hex);
    }

    #[test]
    fn all_known_headers() {
        let m = parse(
            b"To: +4917\nFrom: ACME\nAlphabet: utf-8\nReport: yes\nFlash: NO\n\
              Validity: 2d\nPriority: High\nX-Custom: kept: too\n\nbody",
        )
        .unwrap();
        assert_eq!(m.to, "+4917");
        assert_eq!(m.from.as_deref(), Some("ACME"));
        assert_eq!(m.alphabet, Some(Alphabet::Utf8));
        assert!(m.report && !m.flash && m.priority_high);
        assert_eq!(m.validity, Some(Duration::from_secs(2 * 86_400)));
        assert_eq!(m.header("X-Custom"), Some("kept: too"));
        assert_eq!(m.headers.len(), 8);
    }

    #[test]
    fn validity_forms() {
        let cases = [
            ("90", 90 * 60),
            ("30m", 1800),
            ("30 min", 1800),
            ("1h", 3600),
            ("3 hours", 3 * 3600),
            ("2d", 2 * 86_400),
            ("1 day", 86_400),
            ("1w", 604_800),
            ("14 Weeks", 14 * 604_800),
        ];
        for (v, secs) in cases {
            assert_eq!(parse_validity(v), Some(Duration::from_secs(secs)), "{v}");
        }
        for v in [
            "",
            "0",
            "h",
            "1y",
            "-5",
            "15w",
            "99999999999999999999",
            "1.5h",
        ] {
            assert_eq!(parse_validity(v), None, "{v}");
        }
        let e = parse(b"To: 1\nValidity: soon\n\nx").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Validity: \"soon\" is not a period from 1 minute to 99 days (minutes, or a number with m, h, d or w)"
        );
    }

    #[test]
    fn to_errors() {
        assert_eq!(
            parse(b"\nhi").unwrap_err().to_string(),
            "missing To: header"
        );
        assert_eq!(
            parse(b"to: 123\n\nhi").unwrap_err().to_string(),
            "missing To: header (the file has \"to:\", but header names are case-sensitive)"
        );
        assert_eq!(
            parse(b"To: 12ab\n\nhi").unwrap_err().to_string(),
            "To: \"12ab\" is not a phone number (1 to 20 digits, optionally after a +)"
        );
        for bad in ["", "+", "++1", "1 2", &"1".repeat(21)] {
            let f = format!("To: {bad}\n\nx");
            assert!(
                matches!(parse(f.as_bytes()), Err(BadFile::BadTo { .. })),
                "{bad}"
            );
        }
        assert!(parse(format!("To: +{}\n\nx", "9".repeat(20)).as_bytes()).is_ok());
        assert_eq!(
            parse(b"To: 1\nTo: 2\n\nx").unwrap_err(),
            BadFile::Duplicate {
                name: "To",
                line: 2
            }
        );
    }

    #[test]
    fn from_values() {
        for ok in ["+123", "123", "ACME", "Shop24", "ABCDEFGHIJK"] {
            let f = format!("To: 1\nFrom: {ok}\n\nx");
            assert!(parse(f.as_bytes()).is_ok(), "{ok}");
        }
        for bad in ["ABCDEFGHIJKL", "A B", "caf\u{E9}", "a-b", ""] {
            let f = format!("To: 1\nFrom: {bad}\n\nx");
            assert!(
                matches!(parse(f.as_bytes()), Err(BadFile::BadFrom { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn header_block_errors() {
        assert_eq!(
            parse(b"To: 1\nHello there\n").unwrap_err(),
            BadFile::NotAHeader {
                line: 2,
                text: "Hello there".to_owned()
            }
        );
        assert_eq!(
            parse(b"To: 1\n: x\n\n").unwrap_err(),
            BadFile::NotAHeader {
                line: 2,
                text: ": x".to_owned()
            }
        );
        assert_eq!(
            parse(b"To: 1\nX\xFF: y\n\n").unwrap_err(),
            BadFile::HeaderNotUtf8 { line: 2 }
        );
        assert_eq!(
            parse(b"To: 1\x00\n\n").unwrap_err(),
            BadFile::HeaderControl { line: 1 }
        );
        assert_eq!(
            parse(b"To: 1\nReport: maybe\n\n").unwrap_err().to_string(),
            "Report: \"maybe\" is neither yes nor no"
        );
        assert_eq!(
            parse(b"To: 1\nAlphabet: EBCDIC\n\n")
                .unwrap_err()
                .to_string(),
            "Alphabet: \"EBCDIC\" is not one of GSM, ISO, UCS2, UTF-8, binary"
        );
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let f = format!("To: {}\n\n", "x".repeat(500));
        let msg = parse(f.as_bytes()).unwrap_err().to_string();
        assert!(msg.len() < 150, "{msg}");
        assert!(msg.contains('\u{2026}'));
    }

    #[test]
    fn crlf_bom_and_no_separator() {
        let m = parse(b"\xEF\xBB\xBFTo: 1\r\nReport: yes\r\n\r\nline1\r\nline2\r\n").unwrap();
        assert_eq!(m.to, "1");
        assert!(m.report);
        assert_eq!(m.body, b"line1\r\nline2\r\n");
        assert_eq!(text_of(&m, false).0, "line1\r\nline2");

        let m = parse(b"To: 1\nFlash: yes").unwrap();
        assert!(m.flash);
        assert!(m.body.is_empty());
        let m = parse(b"To: 1\n").unwrap();
        assert!(m.body.is_empty());
    }

    #[test]
    fn alphabets() {
        // Default: cheapest.
        let m = parse("To: 1\n\nna\u{EF}ve".as_bytes()).unwrap();
        assert_eq!(text_of(&m, false).1, Encoding::Ucs2);
        assert_eq!(text_of(&m, true).1, Encoding::Latin1);
        // ISO: Latin-1 bytes.
        let m = parse(b"To: 1\nAlphabet: ISO\n\ncaf\xE9\n").unwrap();
        assert_eq!(text_of(&m, false), ("caf\u{E9}".to_owned(), Encoding::Gsm7));
        // UCS2 as smstools3's sendsms writes it, with and without a stray 0A.
        for alpha in ["UCS", "UCS2", "UCS-2", "ucs2"] {
            let mut f = format!("To: 1\nAlphabet: {alpha}\n\n").into_bytes();
            f.extend_from_slice(&[0x04, 0x1F, 0x00, 0x21]);
            let m = parse(&f).unwrap();
            assert_eq!(text_of(&m, false), ("\u{41F}!".to_owned(), Encoding::Ucs2));
            f.push(b'\n');
            assert_eq!(text_of(&parse(&f).unwrap(), false).0, "\u{41F}!");
        }
        let e = parse(b"To: 1\nAlphabet: UCS2\n\n\x00A\x00").unwrap_err();
        assert_eq!(
            e.to_string(),
            "Alphabet: UCS2 but the body is not UTF-16BE (an odd number of bytes, 3)"
        );
        assert!(matches!(
            parse(b"To: 1\nAlphabet: UCS2\n\n\xD8\x00\x00A"),
            Err(BadFile::BodyNotUcs2 { .. })
        ));
        // GSM.
        let m = parse("To: 1\nAlphabet: GSM\n\n\u{20AC}5 {ok}".as_bytes()).unwrap();
        assert_eq!(text_of(&m, true).1, Encoding::Gsm7);
        assert_eq!(
            parse("To: 1\nAlphabet: GSM\n\nna\u{EF}ve".as_bytes())
                .unwrap_err()
                .to_string(),
            "Alphabet: GSM but the body has '\u{EF}' (U+00EF) at offset 2, which GSM 03.38 lacks"
        );
        // Binary.
        let m = parse(b"To: 1\nAlphabet: binary\n\n\x00\xFF\n").unwrap();
        assert_eq!(
            m.content(false).unwrap(),
            Content::Binary(vec![0, 0xFF, b'\n'])
        );
    }

    #[test]
    fn body_not_utf8() {
        assert_eq!(
            parse(b"To: 1\n\nab\xFFcd").unwrap_err().to_string(),
            "the body is not UTF-8 text (bad byte at offset 2); give an Alphabet: header for other data"
        );
        assert_eq!(
            parse(b"To: 1\nAlphabet: UTF-8\n\n\xC3").unwrap_err(),
            BadFile::BodyNotUtf8 {
                alphabet: Some(Alphabet::Utf8),
                offset: 0
            }
        );
    }

    #[test]
    fn hex_bodies() {
        let m = parse(b"To: 1\nHex: yes\n\n0A ff\n00\n").unwrap();
        assert_eq!(
            m.content(false).unwrap(),
            Content::Binary(vec![0x0A, 0xFF, 0])
        );
        let m = parse(b"To: 1\nHex: yes\nAlphabet: UCS2\n\n041F0021").unwrap();
        assert_eq!(text_of(&m, false).0, "\u{41F}!");
        assert_eq!(
            parse(b"To: 1\nHex: yes\n\n0g").unwrap_err().to_string(),
            "Hex: yes but the body is not hex ('g' at offset 1)"
        );
        assert_eq!(
            parse(b"To: 1\nHex: yes\n\nabc").unwrap_err().to_string(),
            "Hex: yes but the body is not hex (an odd number of hex digits)"
        );
        assert_eq!(
            parse(b"To: 1\nHex: yes\n\n\xFF").unwrap_err().to_string(),
            "Hex: yes but the body is not hex (byte 0xFF at offset 0)"
        );
    }

    #[test]
    fn too_large() {
        let mut f = b"To: 1\n\n".to_vec();
        f.resize(MAX_FILE_LEN as usize + 1, b'a');
        assert!(matches!(parse(&f), Err(BadFile::TooLarge { .. })));
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for len in 0..400 {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    // Bias towards bytes that matter to the parser.
                    match seed % 8 {
                        0 => b'\n',
                        1 => b':',
                        2 => b'\r',
                        _ => (seed >> 8) as u8,
                    }
                })
                .collect();
            let _ = parse(&data);
            let _ = peek_priority_high(&data);
            let out = failed_file(&data, DateTime::UNIX_EPOCH, "x");
            assert!(out.len() > data.len());
        }
    }

    #[test]
    fn priority_peek() {
        assert!(peek_priority_high(b"To: 1\nPriority: HIGH\n\nx"));
        assert!(peek_priority_high(b"To: 1\r\nPriority: high"));
        assert!(!peek_priority_high(b"To: 1\n\nPriority: High\n"));
        assert!(!peek_priority_high(b"To: 1\npriority: High\n\n"));
        assert!(!peek_priority_high(b"To: 1\nPriority: Normal\n\n"));
    }

    #[test]
    fn inserting_headers() {
        let dt = DateTime::new(2024, 5, 1, 12, 0, 9).unwrap();
        let ids = ["a1".to_owned(), "b2".to_owned()];
        assert_eq!(
            sent_file(b"To: 1\nX: y\n\nbody\n\nmore", dt, &ids),
            b"To: 1\nX: y\nSent: 2024-05-01 12:00:09\nMessage_id: a1\nMessage_id: b2\n\nbody\n\nmore"
        );
        assert_eq!(
            failed_file(b"To: 1\r\n\r\nbody", dt, "bad\nreason"),
            b"To: 1\r\nFailed: 2024-05-01 12:00:09\r\nFail_reason: bad reason\r\n\r\nbody"
        );
        // No separator; last line with and without a newline.
        assert_eq!(
            failed_file(b"To: 1", dt, "r"),
            b"To: 1\nFailed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        assert_eq!(
            failed_file(b"To: 1\n", dt, "r"),
            b"To: 1\nFailed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        assert_eq!(
            failed_file(b"\xEF\xBB\xBF", dt, "r"),
            b"\xEF\xBB\xBFFailed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        // Empty header block, BOM kept.
        assert_eq!(
            failed_file(b"\xEF\xBB\xBF\nbody", dt, "r"),
            b"\xEF\xBB\xBFFailed: 2024-05-01 12:00:09\nFail_reason: r\n\nbody"
        );
        assert_eq!(
            failed_file(b"", dt, "r"),
            b"Failed: 2024-05-01 12:00:09\nFail_reason: r\n"
        );
        // The result parses, with the new headers in place.
        let out = sent_file(b"To: 1\n\nhi", dt, &ids);
        let m = OutgoingMessage::parse(&out).unwrap();
        assert_eq!(m.header("Sent"), Some("2024-05-01 12:00:09"));
        assert_eq!(m.body, b"hi");
    }

    #[test]
    fn incoming_and_report_files() {
        let dt = DateTime::new(2024, 5, 1, 12, 0, 9).unwrap();
        let m = IncomingMessage {
            from: "4917".to_owned(),
            to: "1234\n".to_owned(),
            received: dt,
            encoding: Encoding::Ucs2,
            data: vec![0x04, 0x1F],
        };
        assert_eq!(
            m.to_file(),
            "From: 4917\nTo: 1234\nReceived: 2024-05-01 12:00:09\nAlphabet: UCS2\n\n\u{41F}"
                .as_bytes()
        );
        let r = ReportMessage {
            from: "4917".to_owned(),
            to: "ACME".to_owned(),
            received: dt,
            message_id: "abc".to_owned(),
            status: "DELIVRD".to_owned(),
            error: Some("000".to_owned()),
            done_date: Some(dt),
            original_file: Some("msg1".to_owned()),
            text: "id:abc stat:DELIVRD".to_owned(),
        };
        assert_eq!(
            String::from_utf8(r.to_file()).unwrap(),
            "From: 4917\nTo: ACME\nReceived: 2024-05-01 12:00:09\nMessage_id: abc\n\
             Status: DELIVRD\nError: 000\nDone_date: 2024-05-01 12:00:09\n\
             Original_file: msg1\n\nid:abc stat:DELIVRD"
        );
    }
}
