//! Delivery receipt text (SMPP 3.4 Appendix B) and message states.
//!
//! An MC reports the fate of a message with a `deliver_sm` whose
//! `esm_class & 0x3C == 0x04`; its `short_message` carries text shaped like
//!
//! ```text
//! id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD err:EEE text:....................
//! ```
//!
//! The template is informative, and real MCs bend it: long or hex ids, 12- or
//! 14-digit dates, keys in any case, fields missing or reordered.
//! [`Receipt::parse`] accepts all of that and needs only the `id`.
//! [`Receipt::to_text`] writes the template, for the MC side. When the PDU
//! carries the `receipted_message_id` and `message_state` TLVs, prefer them to
//! the text.
//!
//! To find the message a receipt belongs to, compare the receipt id with the
//! `message_id` of the `submit_sm_resp` through [`normalize_id`] (for a map
//! key) or [`ids_match`] (for MCs that change the id's form on the way).
//!
//! ```
//! use smpp::receipt::{ids_match, MessageState, Receipt};
//!
//! let r = Receipt::parse(
//!     "id:1A2B sub:001 dlvrd:001 submit date:2304151030 \
//!      done date:2304151031 stat:DELIVRD err:000 text:Hello",
//! )
//! .unwrap();
//! assert_eq!(r.stat, Some(MessageState::Delivered));
//! assert!(r.stat.is_some_and(|s| s.is_final()));
//! assert_eq!(r.text.as_deref(), Some("Hello"));
//! // The submit_sm_resp said "6699", the same number in decimal.
//! assert!(ids_match("6699", &r.id));
//! ```

use std::error::Error;
use std::fmt;
use std::fmt::Write as _;

use crate::datetime::{format_receipt_date, parse_receipt_date, DateTime};

/// The state of a short message at the MC: the `message_state` field of
/// `query_sm_resp` and the `message_state` TLV (0x0427), and the `stat:` word
/// of a receipt.
///
/// `Scheduled` and `Skipped` exist only from SMPP 5.0 on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum MessageState {
    /// 0 (5.0): waiting for its scheduled delivery time.
    Scheduled = 0,
    /// 1: in transit.
    Enroute = 1,
    /// 2: delivered to the destination.
    Delivered = 2,
    /// 3: the validity period passed before delivery.
    Expired = 3,
    /// 4: deleted (for example by `cancel_sm`).
    Deleted = 4,
    /// 5: cannot be delivered.
    Undeliverable = 5,
    /// 6: accepted, for example read on the subscriber's behalf by customer
    /// service.
    Accepted = 6,
    /// 7: the MC reports an invalid state.
    Unknown = 7,
    /// 8: rejected by the MC or the network.
    Rejected = 8,
    /// 9 (5.0): skipped (for example a broadcast area that was not served).
    Skipped = 9,
}

impl MessageState {
    /// The state with this wire value, `None` for values above 9.
    pub fn from_u8(v: u8) -> Option<MessageState> {
        Some(match v {
            0 => MessageState::Scheduled,
            1 => MessageState::Enroute,
            2 => MessageState::Delivered,
            3 => MessageState::Expired,
            4 => MessageState::Deleted,
            5 => MessageState::Undeliverable,
            6 => MessageState::Accepted,
            7 => MessageState::Unknown,
            8 => MessageState::Rejected,
            9 => MessageState::Skipped,
            _ => return None,
        })
    }

    /// The wire value.
    pub fn as_u8(self) -> u8 {
        self as u8
    }

    /// The seven-letter `stat:` word of a receipt.
    ///
    /// The 3.4 words are `ENROUTE`, `DELIVRD`, `EXPIRED`, `DELETED`,
    /// `UNDELIV`, `ACCEPTD`, `UNKNOWN` and `REJECTD`. No source defines words
    /// for the two 5.0 states; this crate writes `SCHEDUL` and `SKIPPED`.
    pub fn stat_text(self) -> &'static str {
        match self {
            MessageState::Scheduled => "SCHEDUL",
            MessageState::Enroute => "ENROUTE",
            MessageState::Delivered => "DELIVRD",
            MessageState::Expired => "EXPIRED",
            MessageState::Deleted => "DELETED",
            MessageState::Undeliverable => "UNDELIV",
            MessageState::Accepted => "ACCEPTD",
            MessageState::Unknown => "UNKNOWN",
            MessageState::Rejected => "REJECTD",
            MessageState::Skipped => "SKIPPED",
        }
    }

    /// Reads a `stat:` word, ignoring case and surrounding whitespace.
    ///
    /// Besides the words of [`MessageState::stat_text`] it accepts the
    /// spellings seen from real MCs: `DELIVERED`, `UNDELIVERABLE`,
    /// `UNDELIVERED`, `ACCEPTED`, `REJECTED`, `SCHEDULED`, `ACKED` (as
    /// `Accepted`) and `BUFFRED`, `BUFFERD`, `BUFFERED` (as `Enroute`).
    /// Anything else is `None`.
    pub fn from_stat(s: &str) -> Option<MessageState> {
        const WORDS: &[(&str, MessageState)] = &[
            ("DELIVRD", MessageState::Delivered),
            ("DELIVERED", MessageState::Delivered),
            ("EXPIRED", MessageState::Expired),
            ("DELETED", MessageState::Deleted),
            ("UNDELIV", MessageState::Undeliverable),
            ("UNDELIVERABLE", MessageState::Undeliverable),
            ("UNDELIVERED", MessageState::Undeliverable),
            ("ACCEPTD", MessageState::Accepted),
            ("ACCEPTED", MessageState::Accepted),
            ("ACKED", MessageState::Accepted),
            ("UNKNOWN", MessageState::Unknown),
            ("REJECTD", MessageState::Rejected),
            ("REJECTED", MessageState::Rejected),
            ("ENROUTE", MessageState::Enroute),
            ("BUFFRED", MessageState::Enroute),
            ("BUFFERD", MessageState::Enroute),
            ("BUFFERED", MessageState::Enroute),
            ("SCHEDUL", MessageState::Scheduled),
            ("SCHEDULED", MessageState::Scheduled),
            ("SKIPPED", MessageState::Skipped),
        ];
        let s = s.trim();
        WORDS
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(s))
            .map(|&(_, st)| st)
    }

    /// Whether the SMPP 5.0 state table calls this state final (no later
    /// state will follow): every state except `Scheduled`, `Enroute` and
    /// `Unknown` (which the table marks "n/a").
    ///
    /// Kannel differs on two points: it treats `ACCEPTD` as an intermediate
    /// ("buffered") report and `UNKNOWN` as a failure. Apply that policy on
    /// top of this method if an MC needs it.
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            MessageState::Scheduled | MessageState::Enroute | MessageState::Unknown
        )
    }
}

/// Why receipt text could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReceiptError {
    /// There is no `id:` key, or its value is empty.
    MissingId,
}

impl fmt::Display for ReceiptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiptError::MissingId => f.write_str("delivery receipt text has no id"),
        }
    }
}

impl Error for ReceiptError {}

/// The fields of a delivery receipt's text.
///
/// Every field but `id` is optional because MCs omit them. Dates are as the
/// MC wrote them, usually in its local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// `id:` as received (trimmed); compare it through [`normalize_id`] or
    /// [`ids_match`].
    pub id: String,
    /// `sub:`, the number of messages submitted.
    pub sub: Option<u32>,
    /// `dlvrd:`, the number delivered.
    pub dlvrd: Option<u32>,
    /// `submit date:`.
    pub submit_date: Option<DateTime>,
    /// `done date:`.
    pub done_date: Option<DateTime>,
    /// `stat:` read with [`MessageState::from_stat`]; `None` if absent or not
    /// a known word.
    pub stat: Option<MessageState>,
    /// `stat:` exactly as received, empty if absent.
    pub stat_text: String,
    /// `err:` as received (`"000"`, `"0"`, `"0x0B"`, …).
    pub err: Option<String>,
    /// `text:`: everything after the key, verbatim.
    pub text: Option<String>,
}

/// The keys the parser knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Id,
    Sub,
    Dlvrd,
    SubmitDate,
    DoneDate,
    Stat,
    Err,
    Text,
    Other,
}

fn is_sep(c: char) -> bool {
    c.is_whitespace() || c == '\0'
}

/// If `s` starts with a key (a word followed by `:`, or `submit date:` /
/// `done date:` with any whitespace between the words), returns the key and
/// the text after its colon.
fn key_at(s: &str) -> Option<(Key, &str)> {
    let end = s.find(|c: char| c == ':' || is_sep(c)).unwrap_or(s.len());
    let (word, rest) = s.split_at(end);
    if word.is_empty() {
        return None;
    }
    if let Some(after) = rest.strip_prefix(':') {
        let key = [
            ("id", Key::Id),
            ("sub", Key::Sub),
            ("dlvrd", Key::Dlvrd),
            ("submit_date", Key::SubmitDate),
            ("submitdate", Key::SubmitDate),
            ("done_date", Key::DoneDate),
            ("donedate", Key::DoneDate),
            ("stat", Key::Stat),
            ("err", Key::Err),
            ("text", Key::Text),
        ]
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(word))
        .map_or(Key::Other, |&(_, key)| key);
        return Some((key, after));
    }
    let key = if word.eq_ignore_ascii_case("submit") {
        Key::SubmitDate
    } else if word.eq_ignore_ascii_case("done") {
        Key::DoneDate
    } else {
        return None;
    };
    let rest = rest.trim_start_matches(is_sep);
    let date = rest.get(..5)?;
    date.eq_ignore_ascii_case("date:")
        .then(|| (key, rest.get(5..).unwrap_or("")))
}

impl Receipt {
    /// A receipt with this id and state and no other fields; `stat_text` is
    /// the state's canonical word.
    pub fn new(id: impl Into<String>, stat: MessageState) -> Receipt {
        Receipt {
            id: id.into(),
            sub: None,
            dlvrd: None,
            submit_date: None,
            done_date: None,
            stat: Some(stat),
            stat_text: stat.stat_text().to_owned(),
            err: None,
            text: None,
        }
    }

    /// Reads receipt text leniently.
    ///
    /// - Leading and trailing whitespace and NULs of the whole text are
    ///   dropped (so trailing spaces of `text:` are lost).
    /// - Keys are matched in any case and order, with any whitespace between
    ///   fields. `submit date:` and `done date:` may also be spelled
    ///   `submit_date:` and `done_date:`. Unknown keys and words without a
    ///   colon are skipped. When a key repeats, the first one counts.
    /// - A value is the run of non-whitespace after the colon. If the colon is
    ///   followed by whitespace and then something that is not a key, that
    ///   word is the value (`id: 12345`).
    /// - `text:` ends the scan: everything after its colon, spaces and colons
    ///   included, is the text.
    /// - Values that do not parse (a date that is not 10, 12 or 14 digits, a
    ///   `sub:` that is not a number) leave the field `None`; so do empty
    ///   values, except for `text:`, which gives `Some("")`.
    ///
    /// # Errors
    ///
    /// [`ReceiptError::MissingId`] when there is no non-empty `id:`.
    pub fn parse(text: &str) -> Result<Receipt, ReceiptError> {
        let mut id: Option<&str> = None;
        let mut sub = None;
        let mut dlvrd = None;
        let mut submit_date = None;
        let mut done_date = None;
        let mut stat: Option<&str> = None;
        let mut err = None;
        let mut body = None;
        let mut seen: Vec<Key> = Vec::new();

        let mut rest = text.trim_matches(is_sep);
        loop {
            rest = rest.trim_start_matches(is_sep);
            if rest.is_empty() {
                break;
            }
            let Some((key, after)) = key_at(rest) else {
                // A word that is not a key: skip it.
                let end = rest.find(is_sep).unwrap_or(rest.len());
                rest = &rest[end..];
                continue;
            };
            if key == Key::Text {
                body = Some(after);
                break;
            }
            let value;
            (value, rest) = match after.strip_prefix(is_sep) {
                None => split_word(after),
                Some(_) => {
                    let next = after.trim_start_matches(is_sep);
                    if key_at(next).is_some() {
                        ("", next)
                    } else {
                        split_word(next)
                    }
                }
            };
            if value.is_empty() || key == Key::Other || seen.contains(&key) {
                continue;
            }
            seen.push(key);
            match key {
                Key::Id => id = Some(value),
                Key::Sub => sub = value.parse().ok(),
                Key::Dlvrd => dlvrd = value.parse().ok(),
                Key::SubmitDate => submit_date = parse_receipt_date(value),
                Key::DoneDate => done_date = parse_receipt_date(value),
                Key::Stat => stat = Some(value),
                Key::Err => err = Some(value.to_owned()),
                Key::Text | Key::Other => {}
            }
        }

        let id = id.ok_or(ReceiptError::MissingId)?;
        Ok(Receipt {
            id: id.to_owned(),
            sub,
            dlvrd,
            submit_date,
            done_date,
            stat: stat.and_then(MessageState::from_stat),
            stat_text: stat.unwrap_or("").to_owned(),
            err,
            text: body.map(str::to_owned),
        })
    }

    /// Writes the 3.4 Appendix B template:
    ///
    /// ```text
    /// id:{id} sub:{sub:03} dlvrd:{dlvrd:03} submit date:{YYMMDDhhmm} done date:{YYMMDDhhmm} stat:{STAT} err:{err} text:{text}
    /// ```
    ///
    /// Fields that are `None` (or empty, for `stat` and `err`) are left out.
    /// `stat:` is `stat_text` if it is not empty, else the word of `stat`.
    /// `err` is written as given; use `"000"` for the usual form. Dates lose
    /// their century and seconds; `text` is cut to its first 20 characters.
    ///
    /// [`Receipt::parse`] gives the receipt back when the id, `stat_text`
    /// and `err` are non-empty words without whitespace, dates have zero
    /// seconds and years from 1938 to 2037, and the text has at most 20
    /// characters and does not end in whitespace.
    pub fn to_text(&self) -> String {
        let mut out = format!("id:{}", self.id);
        // Writing to a String cannot fail.
        if let Some(n) = self.sub {
            let _ = write!(out, " sub:{n:03}");
        }
        if let Some(n) = self.dlvrd {
            let _ = write!(out, " dlvrd:{n:03}");
        }
        if let Some(d) = &self.submit_date {
            let _ = write!(out, " submit date:{}", format_receipt_date(d));
        }
        if let Some(d) = &self.done_date {
            let _ = write!(out, " done date:{}", format_receipt_date(d));
        }
        let stat = match (self.stat_text.as_str(), self.stat) {
            ("", Some(s)) => s.stat_text(),
            (t, _) => t,
        };
        if !stat.is_empty() {
            let _ = write!(out, " stat:{stat}");
        }
        if let Some(e) = self.err.as_deref().filter(|e| !e.is_empty()) {
            let _ = write!(out, " err:{e}");
        }
        if let Some(t) = &self.text {
            out.push_str(" text:");
            out.extend(t.chars().take(20));
        }
        out
    }
}

/// Splits `s` at its first whitespace or NUL.
fn split_word(s: &str) -> (&str, &str) {
    s.split_at(s.find(is_sep).unwrap_or(s.len()))
}

/// The form in which to compare and store message ids.
///
/// The rule: trim whitespace and NULs from both ends, lowercase ASCII letters,
/// and if what is left is all decimal digits, strip leading zeros (keeping a
/// single `0`). So `" 000123\0"` becomes `"123"`, `"7B2A3F9C"` becomes
/// `"7b2a3f9c"`, and `"00AB"` stays `"00ab"` (hex is not stripped: use
/// [`ids_match`] for that).
pub fn normalize_id(id: &str) -> String {
    let id = id.trim_matches(is_sep).to_ascii_lowercase();
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        let stripped = id.trim_start_matches('0');
        if stripped.is_empty() {
            "0".to_owned()
        } else {
            stripped.to_owned()
        }
    } else {
        id
    }
}

/// Whether a receipt id names the message a `submit_sm_resp` returned.
///
/// Both ids are first put through [`normalize_id`]; an empty id matches
/// nothing. Equal normalized forms match. Otherwise the ids are compared as
/// numbers only when the form of each one is unambiguous:
///
/// - one id is hex with at least one letter (`a`-`f`) and the other is all
///   decimal digits: the hex value must equal the decimal one (`"1A2B"` and
///   `"6699"`), because some MCs return hex in `submit_sm_resp` and decimal in
///   the receipt, or the reverse;
/// - both are hex with a letter: their values must be equal (`"0a1b"` and
///   `"A1B"`).
///
/// Two all-digit ids are compared only as decimal numbers, never as hex
/// against decimal: in a run of decimal ids, `"10"` and `"16"` are different
/// messages, and reading one as hex would join them. The cost is that a hex
/// id without letters (`"6699"` for 0x6699) is not matched to its decimal
/// form (`"26265"`). Values that do not fit a `u128` are compared only as
/// strings.
///
/// The letter rule can still pair the wrong messages when an MC mixes forms
/// and uses hex ids made only of digits. Look a receipt up by its exact
/// [`normalize_id`] form first and fall back to this function only for MCs
/// known to convert.
pub fn ids_match(submit_id: &str, receipt_id: &str) -> bool {
    let a = normalize_id(submit_id);
    let b = normalize_id(receipt_id);
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let form = |s: &str| {
        if s.bytes().all(|c| c.is_ascii_digit()) {
            Some(10)
        } else if s.bytes().all(|c| c.is_ascii_hexdigit()) {
            Some(16)
        } else {
            None
        }
    };
    let value = |s: &str, radix| u128::from_str_radix(s, radix).ok();
    match (form(&a), form(&b)) {
        (Some(ra), Some(rb)) if ra == 16 || rb == 16 => {
            matches!((value(&a, ra), value(&b, rb)), (Some(x), Some(y)) if x == y)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8) -> Option<DateTime> {
        Some(DateTime::new(y, mo, d, h, mi, s).unwrap())
    }

    #[test]
    fn message_state_values() {
        for v in 0..=9 {
            let s = MessageState::from_u8(v).unwrap();
            assert_eq!(s.as_u8(), v);
            assert_eq!(MessageState::from_stat(s.stat_text()), Some(s));
        }
        assert_eq!(MessageState::from_u8(10), None);
        assert_eq!(MessageState::Delivered.stat_text(), "DELIVRD");
        assert_eq!(MessageState::Undeliverable.stat_text(), "UNDELIV");
        assert_eq!(MessageState::Undeliverable.as_u8(), 5);
        assert!(MessageState::Delivered.is_final());
        assert!(MessageState::Accepted.is_final());
        assert!(!MessageState::Enroute.is_final());
        assert!(!MessageState::Unknown.is_final());
    }

    #[test]
    fn stat_spellings_from_the_wild() {
        let cases = [
            ("delivrd", Some(MessageState::Delivered)),
            (" Delivered ", Some(MessageState::Delivered)),
            ("UNDELIVERABLE", Some(MessageState::Undeliverable)),
            ("ACKED", Some(MessageState::Accepted)),
            ("BUFFRED", Some(MessageState::Enroute)),
            ("bufferd", Some(MessageState::Enroute)),
            ("REJECTED", Some(MessageState::Rejected)),
            ("DELETED", Some(MessageState::Deleted)),
            ("FAILED", None),
            ("", None),
            ("DELIVRDX", None),
        ];
        for (word, want) in cases {
            assert_eq!(MessageState::from_stat(word), want, "{word:?}");
        }
    }

    #[test]
    fn canonical_template() {
        let r = Receipt::parse(
            "id:0123456789 sub:001 dlvrd:001 submit date:2304151030 done date:2304151031 \
             stat:DELIVRD err:000 text:Hello world, this i",
        )
        .unwrap();
        assert_eq!(
            r,
            Receipt {
                id: "0123456789".into(),
                sub: Some(1),
                dlvrd: Some(1),
                submit_date: date(2023, 4, 15, 10, 30, 0),
                done_date: date(2023, 4, 15, 10, 31, 0),
                stat: Some(MessageState::Delivered),
                stat_text: "DELIVRD".into(),
                err: Some("000".into()),
                text: Some("Hello world, this i".into()),
            }
        );
    }

    #[test]
    fn hex_and_long_ids() {
        let r = Receipt::parse("id:7B2A3F9C sub:001 dlvrd:000 stat:EXPIRED err:000").unwrap();
        assert_eq!(r.id, "7B2A3F9C");
        assert_eq!(r.stat, Some(MessageState::Expired));
        let r = Receipt::parse(
            "id:c0a80a2b-0000-4f3e-9b1d-3a5e7f9c0d11 sub:001 dlvrd:001 \
             submit date:2304151030 done date:2304151031 stat:DELIVRD err:000 text:",
        )
        .unwrap();
        assert_eq!(r.id, "c0a80a2b-0000-4f3e-9b1d-3a5e7f9c0d11");
        assert_eq!(r.text.as_deref(), Some(""));
    }

    #[test]
    fn twelve_and_fourteen_digit_dates() {
        let r = Receipt::parse(
            "id:42 sub:001 dlvrd:001 submit date:230415103012 done date:230415103159 \
             stat:DELIVRD err:000",
        )
        .unwrap();
        assert_eq!(r.submit_date, date(2023, 4, 15, 10, 30, 12));
        assert_eq!(r.done_date, date(2023, 4, 15, 10, 31, 59));
        let r = Receipt::parse(
            "id:42 submit date:20230415103012 done date:20230416000001 stat:DELIVRD",
        )
        .unwrap();
        assert_eq!(r.submit_date, date(2023, 4, 15, 10, 30, 12));
        assert_eq!(r.done_date, date(2023, 4, 16, 0, 0, 1));
    }

    #[test]
    fn uppercase_keys_and_capital_text() {
        let r = Receipt::parse(
            "ID:99 SUB:001 DLVRD:001 SUBMIT DATE:2304151030 DONE DATE:2304151031 \
             STAT:DELIVRD ERR:000 TEXT:HI THERE",
        )
        .unwrap();
        assert_eq!(r.id, "99");
        assert_eq!(r.sub, Some(1));
        assert_eq!(r.submit_date, date(2023, 4, 15, 10, 30, 0));
        assert_eq!(r.err.as_deref(), Some("000"));
        assert_eq!(r.text.as_deref(), Some("HI THERE"));
        let r = Receipt::parse("Id:99 Stat:DELIVRD Text:Your code").unwrap();
        assert_eq!(r.id, "99");
        assert_eq!(r.text.as_deref(), Some("Your code"));
    }

    #[test]
    fn missing_optional_fields() {
        // No sub, dlvrd or text; err as a single digit.
        let r = Receipt::parse(
            "id:123456 submit date:2304151030 done date:2304151031 stat:DELIVRD err:0",
        )
        .unwrap();
        assert_eq!(r.sub, None);
        assert_eq!(r.dlvrd, None);
        assert_eq!(r.text, None);
        assert_eq!(r.err.as_deref(), Some("0"));
        assert_eq!(r.done_date, date(2023, 4, 15, 10, 31, 0));
        // Only an id.
        let r = Receipt::parse("id:5").unwrap();
        assert_eq!(
            r,
            Receipt {
                stat: None,
                stat_text: String::new(),
                ..Receipt::new("5", MessageState::Unknown)
            }
        );
    }

    #[test]
    fn trailing_whitespace_and_nuls() {
        let r = Receipt::parse("id:77 stat:DELIVRD err:000 text:ok \r\n\0\0").unwrap();
        assert_eq!(r.text.as_deref(), Some("ok"));
        let r = Receipt::parse("\0 id:77\0stat:DELIVRD err:000\0").unwrap();
        assert_eq!(r.id, "77");
        assert_eq!(r.stat, Some(MessageState::Delivered));
        assert_eq!(r.err.as_deref(), Some("000"));
    }

    #[test]
    fn reordered_fields_and_underscore_dates() {
        // Field order as some gateways write it, with sub and dlvrd after stat.
        let r = Receipt::parse(
            "id:abc123 submit date:2304151030 done date:2304151031 stat:DELIVRD sub:001 \
             dlvrd:001 err:000 text:",
        )
        .unwrap();
        assert_eq!(r.dlvrd, Some(1));
        assert_eq!(r.stat, Some(MessageState::Delivered));
        let r = Receipt::parse(
            "stat:REJECTD err:0x0B id:9 submit_date:2304151030 done_date:2304151031",
        )
        .unwrap();
        assert_eq!(r.id, "9");
        assert_eq!(r.err.as_deref(), Some("0x0B"));
        assert_eq!(r.stat, Some(MessageState::Rejected));
        assert_eq!(r.submit_date, date(2023, 4, 15, 10, 30, 0));
        assert_eq!(r.done_date, date(2023, 4, 15, 10, 31, 0));
    }

    #[test]
    fn multiple_spaces_and_space_after_colon() {
        let r = Receipt::parse(
            "id: 12345   sub:001  dlvrd:001 submit  date:2304151030 done\tdate: 2304151031 \
             stat: UNDELIV err:001",
        )
        .unwrap();
        assert_eq!(r.id, "12345");
        assert_eq!(r.submit_date, date(2023, 4, 15, 10, 30, 0));
        assert_eq!(r.done_date, date(2023, 4, 15, 10, 31, 0));
        assert_eq!(r.stat, Some(MessageState::Undeliverable));
        assert_eq!(r.stat_text, "UNDELIV");
        assert_eq!(r.err.as_deref(), Some("001"));
        assert!(r.stat.is_some_and(MessageState::is_final));
    }

    #[test]
    fn lowercase_stat_keeps_the_received_word() {
        let r = Receipt::parse("id:1 sub:001 dlvrd:001 stat:delivrd err:000").unwrap();
        assert_eq!(r.stat, Some(MessageState::Delivered));
        assert_eq!(r.stat_text, "delivrd");
        let r = Receipt::parse("id:1 stat:FAILED").unwrap();
        assert_eq!(r.stat, None);
        assert_eq!(r.stat_text, "FAILED");
    }

    #[test]
    fn text_is_verbatim_and_ends_the_scan() {
        let r = Receipt::parse("id:1 stat:DELIVRD text:Code: 12  stat:EXPIRED id:2").unwrap();
        assert_eq!(r.id, "1");
        assert_eq!(r.stat, Some(MessageState::Delivered));
        assert_eq!(r.text.as_deref(), Some("Code: 12  stat:EXPIRED id:2"));
    }

    #[test]
    fn unknown_keys_junk_and_repeats() {
        let r = Receipt::parse(
            "DLR id:31 mcc:234 mnc:15 stat:DELIVRD stat:EXPIRED sub:abc dlvrd:1 \
             submit date:2302301030 err: text:x",
        )
        .unwrap();
        assert_eq!(r.id, "31");
        assert_eq!(r.stat, Some(MessageState::Delivered));
        assert_eq!(r.sub, None);
        assert_eq!(r.dlvrd, Some(1));
        assert_eq!(r.submit_date, None, "30 February");
        assert_eq!(r.err, None);
        assert_eq!(r.text.as_deref(), Some("x"));
    }

    #[test]
    fn missing_id_is_an_error() {
        for text in [
            "",
            " \0",
            "sub:001 dlvrd:001 stat:DELIVRD err:000 text:id:5",
            "id: sub:001 stat:DELIVRD",
            "identifier:5 stat:DELIVRD",
        ] {
            assert_eq!(
                Receipt::parse(text),
                Err(ReceiptError::MissingId),
                "{text:?}"
            );
        }
        assert_eq!(
            ReceiptError::MissingId.to_string(),
            "delivery receipt text has no id"
        );
    }

    #[test]
    fn to_text_writes_the_template() {
        let r = Receipt {
            id: "0123456789".into(),
            sub: Some(1),
            dlvrd: Some(0),
            submit_date: date(2023, 4, 15, 10, 30, 59),
            done_date: date(2023, 4, 15, 11, 0, 0),
            stat: Some(MessageState::Undeliverable),
            stat_text: String::new(),
            err: Some("001".into()),
            text: Some("This text is longer than twenty characters".into()),
        };
        assert_eq!(
            r.to_text(),
            "id:0123456789 sub:001 dlvrd:000 submit date:2304151030 done date:2304151100 \
             stat:UNDELIV err:001 text:This text is longer "
        );
        assert_eq!(
            Receipt::new("x", MessageState::Delivered).to_text(),
            "id:x stat:DELIVRD"
        );
    }

    #[test]
    fn normalize_id_rule() {
        assert_eq!(normalize_id(" 000123\0"), "123");
        assert_eq!(normalize_id("0000"), "0");
        assert_eq!(normalize_id("7B2A3F9C"), "7b2a3f9c");
        assert_eq!(normalize_id("00AB"), "00ab");
        assert_eq!(normalize_id("Msg-01"), "msg-01");
        assert_eq!(normalize_id("\0\0"), "");
    }

    #[test]
    fn ids_match_rule() {
        let yes = [
            ("1A2B", "6699"),
            ("6699", "1a2b"),
            ("0001234", "1234"),
            (" 00ABC\0", "abc"),
            ("0a1b", "A1B"),
            ("ff", "255"),
            ("0", "000"),
            ("Msg-01", "msg-01"),
        ];
        for (a, b) in yes {
            assert!(ids_match(a, b), "{a:?} {b:?}");
        }
        let no = [
            ("10", "16"),
            ("6699", "26265"),
            ("abc", "abd"),
            ("1a2b", "6698"),
            ("1a2g", "6699"),
            ("", ""),
            ("\0", "0"),
            // Over u128: only the strings are compared.
            (
                "ffffffffffffffffffffffffffffffffff",
                "340282366920938463463374607431768211455",
            ),
        ];
        for (a, b) in no {
            assert!(!ids_match(a, b), "{a:?} {b:?}");
        }
        let big = "123456789012345678901234567890123456789012345";
        assert!(ids_match(big, &format!("00{big}")));
        assert!(ids_match(
            "ffffffffffffffffffffffffffffffff",
            "340282366920938463463374607431768211455"
        ));
    }

    fn state() -> impl Strategy<Value = MessageState> {
        (0u8..10).prop_map(|v| MessageState::from_u8(v).unwrap_or(MessageState::Unknown))
    }

    fn receipt() -> impl Strategy<Value = Receipt> {
        let day = (0i64..36_524).prop_map(|d| {
            let secs = DateTime::new(1938, 1, 1, 0, 0, 0).map_or(0, |t| t.to_unix());
            DateTime {
                second: 0,
                ..DateTime::from_unix(secs + d * 86_400 + d % 1440 * 60)
            }
        });
        (
            "[0-9A-Za-z-]{1,64}",
            proptest::option::of(0u32..2000),
            proptest::option::of(any::<u32>()),
            proptest::option::of(day.clone()),
            proptest::option::of(day),
            proptest::option::of(state()),
            proptest::option::of("[0-9A-Za-z]{1,8}"),
            proptest::option::of("([ -~]{0,19}[!-~])?"),
        )
            .prop_map(
                |(id, sub, dlvrd, submit_date, done_date, stat, err, text)| Receipt {
                    id,
                    sub,
                    dlvrd,
                    submit_date,
                    done_date,
                    stat,
                    stat_text: stat.map_or("", MessageState::stat_text).to_owned(),
                    err,
                    text,
                },
            )
    }

    proptest! {
        #[test]
        fn round_trip(r in receipt()) {
            prop_assert_eq!(Receipt::parse(&r.to_text()), Ok(r));
        }

        #[test]
        fn parse_never_panics(s in "\\PC*", tail in "[ :a-zA-Z\0]{0,20}") {
            let _ = Receipt::parse(&s);
            let _ = Receipt::parse(&format!("{s}{tail}"));
        }

        #[test]
        fn ids_match_is_symmetric(a in "[0-9a-fA-F]{1,6}", b in "[0-9a-fA-F]{1,6}") {
            prop_assert_eq!(ids_match(&a, &b), ids_match(&b, &a));
        }

        #[test]
        fn hex_with_letter_matches_its_decimal(n in 0u64..u64::MAX) {
            let hex = format!("{n:X}");
            prop_assume!(hex.bytes().any(|c| c.is_ascii_alphabetic()));
            prop_assert!(ids_match(&hex, &n.to_string()));
            let padded = format!("00{}", hex);
            prop_assert!(ids_match(&padded, &n.to_string()));
        }
    }
}

/// Builds the deliver_sm an SMSC sends as the receipt for `submit`: the
/// addresses swapped, `esm_class` 0x04, the Appendix B text in
/// `short_message`, and the `receipted_message_id` and `message_state`
/// TLVs.
///
/// The `text:` field shows a person how the message began: see
/// [`receipt_text_head`].
pub fn receipt_deliver_sm(
    submit: &crate::pdu::SubmitSm,
    message_id: &str,
    state: MessageState,
    submitted: DateTime,
    done: DateTime,
) -> crate::pdu::DeliverSm {
    use crate::pdu::{DeliverSm, ShortMessage, ESM_TYPE_RECEIPT};
    let head = receipt_text_head(submit.payload(), submit.esm_class, submit.data_coding);
    let mut text = receipt_text(message_id, state, submitted, done, &head);
    text.truncate(ShortMessage::MAX);
    DeliverSm {
        source: submit.dest,
        dest: submit.source,
        esm_class: ESM_TYPE_RECEIPT,
        short_message: ShortMessage::new(&text).unwrap_or_default(),
        tlvs: receipt_tlvs(message_id, state),
        ..DeliverSm::default()
    }
}

/// The first 20 characters of a message's user data as a receipt's `text:`
/// field shows them: read in the message's alphabet (`data_coding`), a UDH
/// skipped (`esm_class` UDHI), written one octet each (Latin-1), with `?`
/// for characters Latin-1 lacks and for control characters.
pub fn receipt_text_head(user_data: &[u8], esm_class: u8, data_coding: impl Into<u8>) -> Vec<u8> {
    use crate::pdu::ESM_UDHI;
    use crate::text::{decode, udh, Encoding};
    let mut user_data = user_data;
    if esm_class & ESM_UDHI != 0 {
        user_data = udh::strip(user_data).map_or(&[][..], |(_, rest)| rest);
    }
    decode(user_data, Encoding::from_data_coding(data_coding))
        .chars()
        .take(20)
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b) if b >= 0x20 && b != 0x7F && !(0x80..0xA0).contains(&b) => b,
            _ => b'?',
        })
        .collect()
}

/// A receipt's Appendix B text (`id:.. sub:001 dlvrd:.. submit date:..
/// done date:.. stat:.. err:.. text:HEAD`); `err` is `000` for a
/// delivered message, `001` otherwise.
pub fn receipt_text(
    message_id: &str,
    state: MessageState,
    submitted: DateTime,
    done: DateTime,
    head: &[u8],
) -> Vec<u8> {
    let delivered = u32::from(state == MessageState::Delivered);
    let receipt = Receipt {
        id: message_id.to_owned(),
        sub: Some(1),
        dlvrd: Some(delivered),
        submit_date: Some(submitted),
        done_date: Some(done),
        stat: Some(state),
        stat_text: state.stat_text().to_owned(),
        err: Some(if delivered == 1 { "000" } else { "001" }.to_owned()),
        text: None,
    };
    let mut text = receipt.to_text().into_bytes();
    text.extend_from_slice(b" text:");
    text.extend_from_slice(head);
    text
}

/// The TLVs a 3.4 receipt carries: `receipted_message_id` and
/// `message_state`.
pub fn receipt_tlvs(message_id: &str, state: MessageState) -> crate::pdu::Tlvs {
    use crate::pdu::{Tlv, TlvTag, Tlvs};
    let mut tlvs = Tlvs::new();
    tlvs.push(Tlv::cstr(
        TlvTag::ReceiptedMessageId,
        message_id.as_bytes().to_vec(),
    ));
    tlvs.push(Tlv::u8(TlvTag::MessageState, state.as_u8()));
    tlvs
}

#[cfg(test)]
mod pdu_tests {
    use super::*;
    use crate::pdu::{Address, ShortMessage, SubmitSm};

    #[test]
    fn receipt_pdu_swaps_addresses_and_carries_tlvs() {
        let submit = SubmitSm {
            source: Address::new(5, 0, "Shop").unwrap(),
            dest: Address::new(1, 1, "447700900123").unwrap(),
            registered_delivery: 1,
            short_message: ShortMessage::new(b"Your parcel is on its way home").unwrap(),
            ..SubmitSm::default()
        };
        let t = DateTime::new(2026, 11, 25, 12, 0, 0).unwrap();
        let d = receipt_deliver_sm(&submit, "1a2b", MessageState::Delivered, t, t);
        assert_eq!(d.source, submit.dest);
        assert_eq!(d.dest, submit.source);
        assert!(d.is_receipt());
        assert_eq!(d.tlvs.receipted_message_id(), Some(&b"1a2b"[..]));
        assert_eq!(d.tlvs.message_state(), Some(2));
        let text = std::str::from_utf8(d.short_message.as_bytes()).unwrap();
        assert_eq!(
            text,
            "id:1a2b sub:001 dlvrd:001 submit date:2611251200 done date:2611251200 \
             stat:DELIVRD err:000 text:Your parcel is on it"
        );
        let parsed = Receipt::parse(text).unwrap();
        assert_eq!(parsed.stat, Some(MessageState::Delivered));
    }
}
