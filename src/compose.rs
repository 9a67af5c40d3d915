//! Composing submit_sm PDUs from a message: addresses from plain numbers,
//! the cheapest alphabet, long text split into parts, and the options a
//! spool file or an application asks for. (The module is named for its
//! entry point, [`compose`]; it holds that function and what it takes.)
//!
//! ```
//! use smpp::compose::{compose, Content, Options};
//!
//! let parts = compose("+447700900123", Some("Shop"), &Content::Text("x".repeat(200)), &Options::default(), 7)
//!     .unwrap();
//! assert_eq!(parts.len(), 2);
//! assert_eq!(parts[0].dest.addr.as_bytes(), b"447700900123");
//! assert_eq!(parts[0].source.ton, 5); // alphanumeric sender
//! ```

use crate::datetime::SmppTime;
use crate::pdu::{Address, DataCoding, ShortMessage, SubmitSm, TimeString, Tlv, TlvTag, ESM_UDHI};
use crate::text::{self, Encoding, SplitMethod, TextError};
use std::fmt;
use std::time::Duration;

/// What to send.
#[derive(Clone, Debug)]
pub enum Content {
    /// Text, sent in the cheapest alphabet that holds it.
    Text(String),
    /// Text in a given alphabet (GSM, Latin-1 or UCS-2).
    TextAs(String, Encoding),
    /// Octets sent as 8-bit data.
    Binary(Vec<u8>),
}

/// How to send it.
#[derive(Clone, Debug)]
pub struct Options {
    /// How parts of a long message are tied together (default UDH with an
    /// 8-bit reference).
    pub split: SplitMethod,
    /// Use Latin-1 (`data_coding` 3) for text GSM cannot hold but Latin-1
    /// can (default false: UCS-2, which every handset shows).
    pub allow_latin1: bool,
    /// Ask for a delivery receipt (`registered_delivery` 1).
    pub report: bool,
    /// A class 0 ("flash") message.
    pub flash: bool,
    /// Validity period, relative (at most 99 days).
    pub validity: Option<Duration>,
    /// `priority_flag` 1.
    pub priority: bool,
    /// Most parts a message may have (default 255).
    pub max_parts: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            split: SplitMethod::Udh8,
            allow_latin1: false,
            report: false,
            flash: false,
            validity: None,
            priority: false,
            max_parts: 255,
        }
    }
}

/// Why a message cannot be composed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ComposeError {
    /// The destination is not a phone number.
    BadDestination(String),
    /// The sender is neither digits nor up to 11 alphanumerics.
    BadSender(String),
    /// The text cannot be encoded, or has too many parts.
    Text(TextError),
    /// More parts than allowed.
    TooManyParts(usize),
    /// The validity period is longer than SMPP can say (99 days).
    Validity(Duration),
}

impl fmt::Display for ComposeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ComposeError::BadDestination(d) => write!(f, "{d:?} is not a phone number"),
            ComposeError::BadSender(s) => {
                write!(
                    f,
                    "sender {s:?} is neither digits nor up to 11 letters and digits"
                )
            }
            ComposeError::Text(e) => write!(f, "{e}"),
            ComposeError::TooManyParts(n) => write!(f, "the message needs {n} parts, too many"),
            ComposeError::Validity(d) => write!(f, "validity {d:?} is longer than 99 days"),
        }
    }
}

impl std::error::Error for ComposeError {}

/// A destination: digits with an optional leading `+`, 1 to 20 digits.
/// International format (TON 1, NPI 1).
pub fn destination(number: &str) -> Result<Address<21>, ComposeError> {
    let digits = number.trim().strip_prefix('+').unwrap_or(number.trim());
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ComposeError::BadDestination(number.to_string()));
    }
    Address::new(1, 1, digits).map_err(|_| ComposeError::BadDestination(number.to_string()))
}

/// A sender: digits (TON 1, NPI 1) or up to 11 alphanumerics (TON 5,
/// NPI 0).
pub fn sender(from: &str) -> Result<Address<21>, ComposeError> {
    let from = from.trim();
    let digits = from.strip_prefix('+').unwrap_or(from);
    if !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit()) {
        return Address::new(1, 1, digits).map_err(|_| ComposeError::BadSender(from.into()));
    }
    let alnum = |b: u8| b.is_ascii_alphanumeric() || b == b' ' || b == b'-' || b == b'.';
    if !from.is_empty() && from.len() <= 11 && from.bytes().all(alnum) {
        return Address::new(5, 0, from).map_err(|_| ComposeError::BadSender(from.into()));
    }
    Err(ComposeError::BadSender(from.to_string()))
}

/// `data_coding` for a class 0 (flash) message in this alphabet.
fn flash_coding(enc: Encoding) -> DataCoding {
    // GSM 03.38 coding group 0001: message class 0 in the alphabet's bits.
    DataCoding::from(match enc {
        Encoding::Gsm7 => 0x10,
        Encoding::Ucs2 => 0x18,
        Encoding::Latin1 | Encoding::Binary => 0x14,
    })
}

/// The submit_sm PDUs that carry `content` from `from` (or no sender) to
/// `to`. `reference` ties the parts of a long message together.
pub fn compose(
    to: &str,
    from: Option<&str>,
    content: &Content,
    options: &Options,
    reference: u16,
) -> Result<Vec<SubmitSm>, ComposeError> {
    let dest = destination(to)?;
    let source = from.map(sender).transpose()?.unwrap_or_default();
    let validity = match options.validity {
        None => TimeString::EMPTY,
        Some(d) => {
            let t = SmppTime::relative_from_duration(d).ok_or(ComposeError::Validity(d))?;
            TimeString::new(&t.format()).map_err(|_| ComposeError::Validity(d))?
        }
    };
    let (parts, encoding) = match content {
        Content::Text(s) => {
            let enc = text::choose(s, options.allow_latin1);
            (text::split(s, enc, options.split, reference), enc)
        }
        Content::TextAs(s, enc) => (text::split(s, *enc, options.split, reference), *enc),
        Content::Binary(b) => (
            text::split_bytes(b, options.split, reference),
            Encoding::Binary,
        ),
    };
    let parts = parts.map_err(ComposeError::Text)?;
    if parts.len() > options.max_parts.max(1) {
        return Err(ComposeError::TooManyParts(parts.len()));
    }
    let data_coding = if options.flash {
        flash_coding(encoding)
    } else {
        DataCoding::from(encoding.data_coding())
    };
    parts
        .into_iter()
        .map(|part| {
            let mut sm = SubmitSm {
                source,
                dest,
                esm_class: if part.udhi { ESM_UDHI } else { 0 },
                priority_flag: u8::from(options.priority),
                validity_period: validity,
                registered_delivery: u8::from(options.report),
                data_coding,
                ..SubmitSm::default()
            };
            if options.split == SplitMethod::Payload || part.data.len() > ShortMessage::MAX {
                sm.tlvs.push(Tlv::octets(TlvTag::MessagePayload, part.data));
            } else {
                sm.short_message =
                    ShortMessage::new(&part.data).map_err(|_| ComposeError::TooManyParts(1))?;
            }
            if let Some(sar) = part.sar {
                sm.tlvs.push(Tlv::u16(TlvTag::SarMsgRefNum, sar.reference));
                sm.tlvs.push(Tlv::u8(TlvTag::SarTotalSegments, sar.total));
                sm.tlvs.push(Tlv::u8(TlvTag::SarSegmentSeqnum, sar.seqnum));
            }
            Ok(sm)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(
            destination("+4917212345").unwrap().addr.as_bytes(),
            b"4917212345"
        );
        assert!(destination("12ab").is_err());
        assert!(destination("").is_err());
        assert!(destination(&"1".repeat(21)).is_err());
        let s = sender("MyShop").unwrap();
        assert_eq!((s.ton, s.npi), (5, 0));
        let s = sender("4912345").unwrap();
        assert_eq!((s.ton, s.npi), (1, 1));
        assert!(sender("WayTooLongSender").is_err());
        assert!(sender("bad!").is_err());
    }

    #[test]
    fn one_part_gsm_with_options() {
        let opts = Options {
            report: true,
            flash: true,
            priority: true,
            validity: Some(Duration::from_secs(3600)),
            ..Options::default()
        };
        let parts = compose(
            "491721234567",
            None,
            &Content::Text("hello".into()),
            &opts,
            1,
        )
        .unwrap();
        assert_eq!(parts.len(), 1);
        let p = &parts[0];
        assert_eq!(p.short_message.as_bytes(), b"hello");
        assert_eq!(u8::from(p.data_coding), 0x10);
        assert_eq!(p.registered_delivery, 1);
        assert_eq!(p.priority_flag, 1);
        assert_eq!(p.validity_period.as_bytes(), b"000000010000000R");
        assert_eq!(p.esm_class, 0);
    }

    #[test]
    fn long_ucs2_splits_with_udh() {
        let text = "é€😀".repeat(30); // needs UCS-2 (emoji), 120 units
        let parts = compose("1", None, &Content::Text(text), &Options::default(), 9).unwrap();
        assert_eq!(parts.len(), 2);
        assert!(parts
            .iter()
            .all(|p| p.data_coding == DataCoding::Ucs2 && p.esm_class == ESM_UDHI));
        assert_eq!(&parts[1].short_message.as_bytes()[..6], [5, 0, 3, 9, 2, 2]);
    }

    #[test]
    fn sar_and_payload() {
        let text = "a".repeat(300);
        let sar = Options {
            split: SplitMethod::Sar,
            ..Options::default()
        };
        let parts = compose("1", None, &Content::Text(text.clone()), &sar, 0x1234).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].tlvs.sar(), Some((0x1234, 2, 2)));
        let payload = Options {
            split: SplitMethod::Payload,
            ..Options::default()
        };
        let parts = compose("1", None, &Content::Text(text), &payload, 0).unwrap();
        assert_eq!(parts.len(), 1);
        assert!(parts[0].short_message.is_empty());
        assert_eq!(parts[0].tlvs.message_payload().map(<[u8]>::len), Some(300));
    }

    #[test]
    fn limits() {
        let few = Options {
            max_parts: 2,
            ..Options::default()
        };
        let err = compose("1", None, &Content::Text("a".repeat(500)), &few, 0).unwrap_err();
        assert_eq!(err, ComposeError::TooManyParts(4));
        let long = Options {
            validity: Some(Duration::from_secs(200 * 86_400)),
            ..Options::default()
        };
        assert!(matches!(
            compose("1", None, &Content::Text("a".into()), &long, 0),
            Err(ComposeError::Validity(_))
        ));
        let bin = compose(
            "1",
            None,
            &Content::Binary(vec![0; 10]),
            &Options::default(),
            0,
        )
        .unwrap();
        assert_eq!(bin[0].data_coding, DataCoding::OctetUnspecified);
    }
}
