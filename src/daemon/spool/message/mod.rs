//! The spool's file formats: reading outgoing files, and writing result,
//! incoming and report files.
//!
//! The formats live in one file each: `outgoing` reads an outgoing file
//! ([`OutgoingMessage`], [`Content`]), `alphabet` its [`Alphabet`], and
//! `bad_file` says why one cannot be sent ([`BadFile`]); `result_file`
//! writes the `sent/` and `failed/` files; `received` writes `incoming/`
//! and `report/` files ([`IncomingMessage`], [`ReportMessage`]); `header`
//! finds the end of a header block and writes header lines for the others.
//! The limits shared by the reader and its errors are here.
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
//! | absent, `UTF-8`, `UTF8` | UTF-8 text | the cheapest alphabet that holds it ([`text::choose`](crate::text::choose)) |
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

mod alphabet;
mod bad_file;
mod header;
mod outgoing;
mod received;
mod result_file;

pub use alphabet::Alphabet;
pub use bad_file::BadFile;
pub use outgoing::{is_valid_sender, parse_validity, peek_priority_high, Content, OutgoingMessage};
pub use received::{IncomingMessage, ReportMessage};
pub(crate) use result_file::copy_inserting;
pub use result_file::{failed_file, failed_headers, insert_headers, sent_file, sent_headers};

/// The largest outgoing file read, 1 MiB. A message of 255 UCS-2 parts as
/// hex is about 70 KiB.
pub const MAX_FILE_LEN: u64 = 1 << 20;

/// The longest `To:`/`From:` number, in digits.
const MAX_NUMBER_DIGITS: usize = 20;

/// The longest alphanumeric `From:`.
const MAX_ALPHANUMERIC: usize = 11;
