//! The user data header (UDH) and its concatenation information elements.
//!
//! A UDH sits at the start of the user data (`short_message` or
//! `message_payload`) when `esm_class` has the UDHI bit (0x40) set. Its first
//! octet, UDHL, counts the header octets that follow; then come information
//! elements, each IEI · IEDL · data. Concatenation uses IEI 0x00 (8-bit
//! reference, `05 00 03 RR TT NN`) or IEI 0x08 (16-bit reference,
//! `06 08 04 RH RL TT NN`).
//!
//! ```
//! use smpp::text::udh::{self, Concat};
//!
//! let c = Concat { reference: 0x42, total: 3, seqnum: 2 };
//! let mut user_data = udh::concat_header(&c, false);
//! assert_eq!(user_data, [0x05, 0x00, 0x03, 0x42, 0x03, 0x02]);
//! user_data.extend_from_slice(b"hi");
//!
//! let (parsed, rest) = udh::parse_concat(&user_data).unwrap();
//! assert_eq!(parsed, c);
//! assert_eq!(rest, b"hi");
//! ```

/// IEI of the concatenation element with an 8-bit reference.
pub const IEI_CONCAT_8: u8 = 0x00;
/// IEI of the concatenation element with a 16-bit reference.
pub const IEI_CONCAT_16: u8 = 0x08;

/// One part's place in a concatenated message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concat {
    /// The reference shared by every part of one message. Only the low
    /// octet travels in the 8-bit form.
    pub reference: u16,
    /// The number of parts, 1..=255.
    pub total: u8,
    /// This part's number, 1..=`total`.
    pub seqnum: u8,
}

/// Splits user data into the UDH's information elements (without UDHL) and
/// the data after the header. `None` if `user_data` is empty or UDHL points
/// past its end.
pub fn strip(user_data: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&udhl, rest) = user_data.split_first()?;
    let udhl = usize::from(udhl);
    if udhl > rest.len() {
        return None;
    }
    Some(rest.split_at(udhl))
}

/// Finds the concatenation element in user data that starts with a UDH, and
/// returns it with the data after the header.
///
/// Both IEI 0x00 and 0x08 are recognised anywhere among the elements; if
/// several are present the last one counts (3GPP TS 23.040 §9.2.3.24). `None`
/// if there is no concatenation element, or the header is malformed: UDHL or
/// an element runs past its end, a concatenation element has the wrong
/// length, `total` is 0, or `seqnum` is 0 or above `total`.
pub fn parse_concat(user_data: &[u8]) -> Option<(Concat, &[u8])> {
    let (mut ies, data) = strip(user_data)?;
    let mut found = None;
    while let [iei, iedl, rest @ ..] = ies {
        let len = usize::from(*iedl);
        if len > rest.len() {
            return None;
        }
        let (value, next) = rest.split_at(len);
        match (*iei, value) {
            (IEI_CONCAT_8, &[reference, total, seqnum]) => {
                found = Some(Concat {
                    reference: u16::from(reference),
                    total,
                    seqnum,
                });
            }
            (IEI_CONCAT_16, &[hi, lo, total, seqnum]) => {
                found = Some(Concat {
                    reference: u16::from_be_bytes([hi, lo]),
                    total,
                    seqnum,
                });
            }
            (IEI_CONCAT_8 | IEI_CONCAT_16, _) => return None,
            _ => {}
        }
        ies = next;
    }
    if !ies.is_empty() {
        return None; // a lone IEI with no IEDL
    }
    let c = found?;
    (c.total != 0 && c.seqnum != 0 && c.seqnum <= c.total).then_some((c, data))
}

/// Appends a UDH holding only the concatenation element to `out`: 6 octets
/// with an 8-bit reference (the low octet of `c.reference`), 7 with a 16-bit
/// one.
pub fn write_concat_header(out: &mut Vec<u8>, c: &Concat, sixteen_bit: bool) {
    if sixteen_bit {
        let [hi, lo] = c.reference.to_be_bytes();
        out.extend_from_slice(&[0x06, IEI_CONCAT_16, 0x04, hi, lo, c.total, c.seqnum]);
    } else {
        let [_, lo] = c.reference.to_be_bytes();
        out.extend_from_slice(&[0x05, IEI_CONCAT_8, 0x03, lo, c.total, c.seqnum]);
    }
}

/// A UDH holding only the concatenation element; see
/// [`write_concat_header`].
pub fn concat_header(c: &Concat, sixteen_bit: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(7);
    write_concat_header(&mut out, c, sixteen_bit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Concat = Concat {
        reference: 0xABCD,
        total: 4,
        seqnum: 3,
    };

    #[test]
    fn headers() {
        assert_eq!(
            concat_header(&C, false),
            [0x05, 0x00, 0x03, 0xCD, 0x04, 0x03]
        );
        assert_eq!(
            concat_header(&C, true),
            [0x06, 0x08, 0x04, 0xAB, 0xCD, 0x04, 0x03]
        );
    }

    #[test]
    fn parse_both_forms() {
        let mut ud = concat_header(&C, true);
        ud.push(0x41);
        assert_eq!(parse_concat(&ud), Some((C, &[0x41][..])));
        let ud = concat_header(&C, false);
        let expect = Concat {
            reference: 0xCD,
            ..C
        };
        assert_eq!(parse_concat(&ud), Some((expect, &[][..])));
    }

    #[test]
    fn concat_among_other_elements() {
        // Port addressing (0x05, 4 octets) first, then 8-bit concat.
        let ud = [
            0x0B, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0, 0x00, 0x03, 0x07, 0x02, 0x01, 0xEE,
        ];
        let (c, rest) = parse_concat(&ud).unwrap();
        assert_eq!(
            c,
            Concat {
                reference: 7,
                total: 2,
                seqnum: 1
            }
        );
        assert_eq!(rest, [0xEE]);
    }

    #[test]
    fn last_concat_element_wins() {
        let ud = [
            0x0C, 0x00, 0x03, 0x01, 0x02, 0x01, 0x08, 0x04, 0x01, 0x02, 0x03, 0x03,
        ];
        // UDHL 0x0C but only 11 header octets: malformed.
        assert_eq!(parse_concat(&ud), None);
        let ud = &[
            0x0B, 0x00, 0x03, 0x01, 0x02, 0x01, 0x08, 0x04, 0x01, 0x02, 0x03, 0x03,
        ];
        assert_eq!(
            parse_concat(ud).map(|(c, _)| c),
            Some(Concat {
                reference: 0x0102,
                total: 3,
                seqnum: 3
            })
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            &[][..],
            &[0x05, 0x00, 0x03, 0x01, 0x02], // UDHL past the end
            &[0x05, 0x00, 0x03, 0x01, 0x00, 0x00], // total 0
            &[0x05, 0x00, 0x03, 0x01, 0x02, 0x00], // seqnum 0
            &[0x05, 0x00, 0x03, 0x01, 0x02, 0x03], // seqnum > total
            &[0x04, 0x00, 0x02, 0x01, 0x02], // wrong IEDL
            &[0x03, 0x05, 0x04, 0x00],       // element past UDHL
            &[0x06, 0x00, 0x03, 0x01, 0x02, 0x01, 0x24], // lone IEI
            &[0x03, 0x24, 0x01, 0x01],       // no concat element
            &[0x00],                         // empty UDH
        ] {
            assert_eq!(parse_concat(bad), None, "{bad:02X?}");
        }
    }

    #[test]
    fn strip_header() {
        assert_eq!(strip(&[0x01, 0xAA, 0xBB]), Some((&[0xAA][..], &[0xBB][..])));
        assert_eq!(strip(&[0x00]), Some((&[][..], &[][..])));
        assert_eq!(strip(&[0x02, 0xAA]), None);
        assert_eq!(strip(&[]), None);
    }
}
