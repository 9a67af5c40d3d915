//! Splitting a long message into parts that each fit one SMS.
//!
//! One SMS carries 140 octets of user data: 160 GSM septets, 140 octets of
//! Latin-1 or binary, or 70 UCS-2 units. A longer message is sent as parts,
//! tied together either by a user data header in each part
//! ([`SplitMethod::Udh8`], [`SplitMethod::Udh16`]) or by the SMPP SAR TLVs
//! ([`SplitMethod::Sar`]); or it is handed over whole in `message_payload`
//! ([`SplitMethod::Payload`]) for an SMSC that splits by itself.
//!
//! | Encoding | One SMS | Per part, `Udh8` and `Sar` | Per part, `Udh16` |
//! |---|---|---|---|
//! | GSM 7-bit | 160 septets | 153 septets | 152 septets |
//! | Latin-1, binary | 140 octets | 134 octets | 133 octets |
//! | UCS-2 | 70 units | 67 units | 66 units |
//!
//! `Sar` parts use the `Udh8` sizes because the SMSC turns the TLVs into an
//! 8-bit-reference header on the air interface.
//!
//! A GSM escape pair and a UTF-16 surrogate pair are never split across
//! parts, so a part may be one septet or unit short of the limit.
//!
//! GSM data is unpacked, one septet per octet, as SMPP `short_message` usually
//! carries it; with a UDH, the header's raw octets come first. A part with a
//! 6-octet header is then 6 + 153 = 159 octets on the SMPP link, and the SMSC
//! packs it into 140 octets on the air (6 header octets, one fill bit, 153
//! septets). For a link that wants packed data, repack with
//! [`gsm7::pack_with_offset`](super::gsm7::pack_with_offset).
//!
//! To send the parts: put [`Part::data`] in `short_message`
//! (`message_payload` for `Payload`), set the UDHI bit 0x40 in `esm_class`
//! when [`Part::udhi`] is set, add the `sar_msg_ref_num`,
//! `sar_total_segments` and `sar_segment_seqnum` TLVs from [`Part::sar`], and
//! set `data_coding` from [`Encoding::data_coding`].
//!
//! ```
//! use smpp::text::{split, Encoding, SplitMethod};
//!
//! let text = "x".repeat(200);
//! let parts = split(&text, Encoding::Gsm7, SplitMethod::Udh8, 0x12).unwrap();
//! assert_eq!(parts.len(), 2);
//! assert!(parts[0].udhi);
//! assert_eq!(&parts[0].data[..6], [0x05, 0x00, 0x03, 0x12, 0x02, 0x01]);
//! assert_eq!(parts[0].data.len(), 6 + 153);
//! assert_eq!(parts[1].data.len(), 6 + 47);
//! ```

use super::udh::{write_concat_header, Concat};
use super::{encode, Encoding, TextError};

/// How the parts of a long message are tied together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SplitMethod {
    /// A UDH with the 8-bit-reference concatenation element (IEI 0x00,
    /// 6 octets) in each part. The reference's low octet is used.
    Udh8,
    /// A UDH with the 16-bit-reference concatenation element (IEI 0x08,
    /// 7 octets) in each part.
    Udh16,
    /// The SMPP `sar_*` TLVs, no UDH.
    Sar,
    /// No splitting: one part with all the data, for `message_payload`.
    Payload,
}

/// The values of the three SAR TLVs for one part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sar {
    /// `sar_msg_ref_num` (0x020C): the same in every part.
    pub reference: u16,
    /// `sar_total_segments` (0x020E): the number of parts.
    pub total: u8,
    /// `sar_segment_seqnum` (0x020F): this part's number, from 1.
    pub seqnum: u8,
}

/// One part of a message, ready to submit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The encoded user data, starting with the UDH when `udhi` is set.
    pub data: Vec<u8>,
    /// Whether `data` starts with a UDH (set `esm_class` bit 0x40).
    pub udhi: bool,
    /// The SAR TLV values, for [`SplitMethod::Sar`] parts of a long message.
    pub sar: Option<Sar>,
}

/// The largest `message_payload`: its TLV length is 16 bits.
pub const MAX_PAYLOAD: usize = 0xFFFF;

/// The most parts a concatenated message can have.
pub const MAX_PARTS: usize = 255;

/// Encodes `text` with `enc` and splits it; see the [module docs](self).
///
/// A text that fits one SMS is one part with no UDH and no SAR. Errors: a
/// character `enc` cannot hold, more than 255 parts, or for `Payload` more
/// than 65535 octets.
pub fn split(
    text: &str,
    enc: Encoding,
    method: SplitMethod,
    reference: u16,
) -> Result<Vec<Part>, TextError> {
    split_encoded(&encode(text, enc)?, enc, method, reference)
}

/// Splits 8-bit binary data (140 octets per SMS, 134 or 133 per part); see
/// [`split`].
pub fn split_bytes(
    data: &[u8],
    method: SplitMethod,
    reference: u16,
) -> Result<Vec<Part>, TextError> {
    split_encoded(data, Encoding::Binary, method, reference)
}

/// Limits in octets of encoded data: (one SMS, per part with an 8-bit UDH or
/// SAR, per part with a 16-bit UDH).
fn limits(enc: Encoding) -> (usize, usize, usize) {
    match enc {
        Encoding::Gsm7 => (160, 153, 152),
        Encoding::Latin1 | Encoding::Binary => (140, 134, 133),
        Encoding::Ucs2 => (140, 134, 132),
    }
}

fn split_encoded(
    data: &[u8],
    enc: Encoding,
    method: SplitMethod,
    reference: u16,
) -> Result<Vec<Part>, TextError> {
    let whole = |data: &[u8]| Part {
        data: data.to_vec(),
        udhi: false,
        sar: None,
    };
    let (single, per_part_8, per_part_16) = limits(enc);
    let per_part = match method {
        SplitMethod::Payload if data.len() > MAX_PAYLOAD => {
            return Err(TextError::TooLong {
                len: data.len(),
                max: MAX_PAYLOAD,
            })
        }
        SplitMethod::Payload => return Ok(vec![whole(data)]),
        _ if data.len() <= single => return Ok(vec![whole(data)]),
        SplitMethod::Udh8 | SplitMethod::Sar => per_part_8,
        SplitMethod::Udh16 => per_part_16,
    };
    let chunks = chunks(data, enc, per_part);
    let total = u8::try_from(chunks.len()).map_err(|_| TextError::TooManyParts {
        parts: chunks.len(),
    })?;
    let parts = (1..=total)
        .zip(chunks)
        .map(|(seqnum, chunk)| match method {
            SplitMethod::Sar => Part {
                data: chunk.to_vec(),
                udhi: false,
                sar: Some(Sar {
                    reference,
                    total,
                    seqnum,
                }),
            },
            _ => {
                let sixteen_bit = method == SplitMethod::Udh16;
                let mut data = Vec::with_capacity(7 + chunk.len());
                let c = Concat {
                    reference,
                    total,
                    seqnum,
                };
                write_concat_header(&mut data, &c, sixteen_bit);
                data.extend_from_slice(chunk);
                Part {
                    data,
                    udhi: true,
                    sar: None,
                }
            }
        })
        .collect();
    Ok(parts)
}

/// The octets of the smallest unit that may not be split at `data[pos]`: an
/// escape pair for GSM, a unit or a surrogate pair for UCS-2, else one octet.
fn token_len(data: &[u8], pos: usize, enc: Encoding) -> usize {
    let rest = data.get(pos..).unwrap_or_default();
    match (enc, rest) {
        (Encoding::Gsm7, [super::gsm7::ESCAPE, _, ..]) => 2,
        (Encoding::Ucs2, [0xD8..=0xDB, _, 0xDC..=0xDF, _, ..]) => 4,
        (Encoding::Ucs2, [_, _, ..]) => 2,
        _ => 1,
    }
}

/// Cuts `data` greedily into chunks of at most `limit` octets, never inside a
/// token. `limit` is at least 4, the longest token.
fn chunks(data: &[u8], enc: Encoding, limit: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(data.len() / limit + 1);
    let mut rest = data;
    while !rest.is_empty() {
        let mut cut = 0;
        while cut < rest.len() {
            let next = cut + token_len(rest, cut, enc);
            if next > limit {
                break;
            }
            cut = next;
        }
        let (chunk, tail) = rest.split_at(cut.max(1).min(rest.len()));
        out.push(chunk);
        rest = tail;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payloads(parts: &[Part]) -> Vec<&[u8]> {
        parts
            .iter()
            .map(|p| match p.data.first() {
                Some(&udhl) if p.udhi => &p.data[1 + usize::from(udhl)..],
                _ => &p.data[..],
            })
            .collect()
    }

    fn lens(parts: &[Part]) -> Vec<usize> {
        payloads(parts).iter().map(|p| p.len()).collect()
    }

    #[test]
    fn gsm_160_is_one_part_161_is_two() {
        let parts = split(&"a".repeat(160), Encoding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(
            parts,
            [Part {
                data: vec![0x61; 160],
                udhi: false,
                sar: None
            }]
        );
        let parts = split(&"a".repeat(161), Encoding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [153, 8]);
        assert_eq!(parts[1].data[..6], [0x05, 0x00, 0x03, 0x01, 0x02, 0x02]);
    }

    #[test]
    fn gsm_two_and_three_full_parts() {
        let parts = split(&"a".repeat(306), Encoding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [153, 153]);
        let parts = split(&"a".repeat(307), Encoding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [153, 153, 1]);
        let parts = split(&"a".repeat(307), Encoding::Gsm7, SplitMethod::Udh16, 1).unwrap();
        assert_eq!(lens(&parts), [152, 152, 3]);
    }

    #[test]
    fn escape_pair_not_split() {
        // 152 plain septets, then '{' would occupy septets 153 and 154.
        let text = format!("{}{{{}", "a".repeat(152), "b".repeat(20));
        let parts = split(&text, Encoding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [152, 22]);
        assert_eq!(payloads(&parts)[1][..2], [0x1B, 0x28]);
        // 151 plain septets: the pair fits exactly.
        let text = format!("{}{{{}", "a".repeat(151), "b".repeat(20));
        let parts = split(&text, Encoding::Gsm7, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [153, 20]);
    }

    #[test]
    fn ucs2_70_and_71() {
        let parts = split(&"\u{416}".repeat(70), Encoding::Ucs2, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [140]);
        assert!(!parts[0].udhi);
        let parts = split(&"\u{416}".repeat(71), Encoding::Ucs2, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [134, 8]);
        let parts = split(&"\u{416}".repeat(71), Encoding::Ucs2, SplitMethod::Udh16, 1).unwrap();
        assert_eq!(lens(&parts), [132, 10]);
    }

    #[test]
    fn surrogate_pair_not_split() {
        // 66 units, then an emoji in units 67 and 68.
        let text = format!("{}\u{1F600}{}", "a".repeat(66), "b".repeat(10));
        let parts = split(&text, Encoding::Ucs2, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [132, 24]);
        assert_eq!(payloads(&parts)[1][..4], [0xD8, 0x3D, 0xDE, 0x00]);
        // 65 units: the pair ends at unit 67.
        let text = format!("{}\u{1F600}{}", "a".repeat(65), "b".repeat(10));
        let parts = split(&text, Encoding::Ucs2, SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [134, 20]);
    }

    #[test]
    fn binary_140_and_141() {
        let parts = split_bytes(&[0xAA; 140], SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [140]);
        let parts = split_bytes(&[0xAA; 141], SplitMethod::Udh8, 1).unwrap();
        assert_eq!(lens(&parts), [134, 7]);
        let parts = split_bytes(&[0xAA; 141], SplitMethod::Udh16, 0x0102).unwrap();
        assert_eq!(lens(&parts), [133, 8]);
        assert_eq!(
            parts[0].data[..7],
            [0x06, 0x08, 0x04, 0x01, 0x02, 0x02, 0x01]
        );
    }

    #[test]
    fn sar_parts() {
        let parts = split(&"a".repeat(161), Encoding::Latin1, SplitMethod::Sar, 0x1234).unwrap();
        assert_eq!(lens(&parts), [134, 27]);
        for (i, p) in parts.iter().enumerate() {
            assert!(!p.udhi);
            assert_eq!(
                p.sar,
                Some(Sar {
                    reference: 0x1234,
                    total: 2,
                    seqnum: i as u8 + 1
                })
            );
        }
        // A short text gets no SAR.
        let parts = split("hi", Encoding::Latin1, SplitMethod::Sar, 0x1234).unwrap();
        assert_eq!(parts[0].sar, None);
    }

    #[test]
    fn payload_is_one_part() {
        let parts = split(&"a".repeat(1000), Encoding::Gsm7, SplitMethod::Payload, 1).unwrap();
        assert_eq!(
            parts,
            [Part {
                data: vec![0x61; 1000],
                udhi: false,
                sar: None
            }]
        );
        assert_eq!(
            split_bytes(&vec![0; 0x10000], SplitMethod::Payload, 1),
            Err(TextError::TooLong {
                len: 0x10000,
                max: 0xFFFF
            })
        );
    }

    #[test]
    fn part_count_limit() {
        assert_eq!(
            split_bytes(&vec![0; 134 * 255], SplitMethod::Udh8, 1).map(|p| p.len()),
            Ok(255)
        );
        assert_eq!(
            split_bytes(&vec![0; 134 * 255 + 1], SplitMethod::Udh8, 1),
            Err(TextError::TooManyParts { parts: 256 })
        );
    }

    #[test]
    fn empty_text_is_one_empty_part() {
        let parts = split("", Encoding::Ucs2, SplitMethod::Udh16, 1).unwrap();
        assert_eq!(
            parts,
            [Part {
                data: vec![],
                udhi: false,
                sar: None
            }]
        );
    }

    #[test]
    fn unencodable_text() {
        assert!(matches!(
            split("\u{1F600}", Encoding::Gsm7, SplitMethod::Udh8, 1),
            Err(TextError::Unencodable {
                ch: '\u{1F600}',
                offset: 0,
                ..
            })
        ));
    }
}
