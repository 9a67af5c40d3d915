//! Reading an outgoing file: its headers and body, checked, and the
//! [`Content`] to submit for it.

use super::alphabet::Alphabet;
use super::bad_file::BadFile;
use super::header::layout;
use super::{MAX_ALPHANUMERIC, MAX_FILE_LEN, MAX_NUMBER_DIGITS};
use crate::text::{self, gsm7, Encoding, Part, SplitMethod, TextError};
use std::time::Duration;

/// The longest validity period an SMPP relative time can carry.
const MAX_VALIDITY_SECS: u64 = 100 * 86_400 - 1;

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

/// Reads a `Validity:` value; see the [module docs](super).
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
    /// Parses and checks an outgoing file; see the [module docs](super).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::spool::message::failed_file;
    use crate::datetime::DateTime;

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
}
