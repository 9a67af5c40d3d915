//! The GSM 03.38 (3GPP TS 23.038) 7-bit default alphabet and its extension
//! table.
//!
//! Two representations of the same septets are in use:
//!
//! - **Unpacked**: one septet per octet, high bit clear. This is what SMPP
//!   `short_message` normally carries with `data_coding` 0x00, and what
//!   [`encode`] and [`decode`] produce and read.
//! - **Packed**: septets laid end to end, least significant bit first, eight
//!   septets in seven octets. This is the air-interface form. Some SMSCs want
//!   it on the SMPP link too; use [`pack`] and [`unpack`] for those links.
//!
//! Extension characters (`^ { } \ [ ~ ] | €` and form feed) are the escape
//! septet 0x1B followed by a code, so they cost two septets each
//! ([`septet_len`] counts them that way).
//!
//! The only lossy mapping: `ç` (U+00E7) and `Ç` (U+00C7) both encode to 0x09,
//! which decodes as `Ç`, the glyph printed in GSM 03.38.
//!
//! ```
//! use smpp::text::gsm7;
//!
//! let septets = gsm7::encode("a{b").unwrap();
//! assert_eq!(septets, [0x61, 0x1B, 0x28, 0x62]);
//! assert_eq!(gsm7::septet_len("a{b"), Some(4));
//! assert_eq!(gsm7::decode(&septets), "a{b");
//!
//! let packed = gsm7::pack(&septets);
//! assert_eq!(gsm7::unpack(&packed, septets.len()), septets);
//! ```

use super::{Encoding, TextError};

/// The escape septet that introduces an extension-table character.
pub const ESCAPE: u8 = 0x1B;

/// The default alphabet, indexed by septet value.
///
/// Slot 0x1B is the escape and never decoded through this table; the
/// encoder tables skip it.
const DECODE: [char; 128] = [
    // 0x00
    '@', '\u{A3}', '$', '\u{A5}', '\u{E8}', '\u{E9}', '\u{F9}', '\u{EC}', //
    '\u{F2}', '\u{C7}', '\n', '\u{D8}', '\u{F8}', '\r', '\u{C5}', '\u{E5}', //
    // 0x10: Δ _ Φ Γ Λ Ω Π Ψ Σ Θ Ξ ESC Æ æ ß É
    '\u{394}', '_', '\u{3A6}', '\u{393}', '\u{39B}', '\u{3A9}', '\u{3A0}', '\u{3A8}', //
    '\u{3A3}', '\u{398}', '\u{39E}', '\u{A0}', '\u{C6}', '\u{E6}', '\u{DF}', '\u{C9}', //
    // 0x20: 0x24 is ¤, not $
    ' ', '!', '"', '#', '\u{A4}', '%', '&', '\'', //
    '(', ')', '*', '+', ',', '-', '.', '/', //
    // 0x30
    '0', '1', '2', '3', '4', '5', '6', '7', //
    '8', '9', ':', ';', '<', '=', '>', '?', //
    // 0x40: 0x40 is ¡, not @
    '\u{A1}', 'A', 'B', 'C', 'D', 'E', 'F', 'G', //
    'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', //
    // 0x50: ... Ä Ö Ñ Ü §
    'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', //
    'X', 'Y', 'Z', '\u{C4}', '\u{D6}', '\u{D1}', '\u{DC}', '\u{A7}', //
    // 0x60: 0x60 is ¿
    '\u{BF}', 'a', 'b', 'c', 'd', 'e', 'f', 'g', //
    'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', //
    // 0x70: ... ä ö ñ ü à
    'p', 'q', 'r', 's', 't', 'u', 'v', 'w', //
    'x', 'y', 'z', '\u{E4}', '\u{F6}', '\u{F1}', '\u{FC}', '\u{E0}', //
];

/// The extension table: the code that follows [`ESCAPE`], and its character.
const EXTENSION: [(u8, char); 10] = [
    (0x0A, '\u{0C}'), // form feed
    (0x14, '^'),
    (0x28, '{'),
    (0x29, '}'),
    (0x2F, '\\'),
    (0x3C, '['),
    (0x3D, '~'),
    (0x3E, ']'),
    (0x40, '|'),
    (0x65, '\u{20AC}'), // €
];

/// Encoder table entry: `0x00..=0x7F` is a base code, `EXT | code` an
/// extension code, and `NONE` means "not in the alphabet". No extension code
/// is 0x7F, so `EXT | code` never equals `NONE`.
const NONE: u8 = 0xFF;
const EXT: u8 = 0x80;

/// Septet codes for U+0000..=U+007F, built from [`DECODE`] and [`EXTENSION`].
const ASCII: [u8; 128] = build_ascii();

/// Number of characters above U+007F that have a code (base or extension),
/// plus one for `ç`, which shares 0x09 with `Ç`.
const WIDE_LEN: usize = count_wide();

/// Characters above U+007F and their codes, sorted by code point for a
/// binary search.
const WIDE: [(char, u8); WIDE_LEN] = build_wide();

const fn build_ascii() -> [u8; 128] {
    let mut table = [NONE; 128];
    let mut code = 0;
    while code < 128 {
        let c = DECODE[code] as u32;
        if code != ESCAPE as usize && c < 128 {
            table[c as usize] = code as u8;
        }
        code += 1;
    }
    let mut i = 0;
    while i < EXTENSION.len() {
        let (code, c) = EXTENSION[i];
        if (c as u32) < 128 {
            table[c as usize] = EXT | code;
        }
        i += 1;
    }
    table
}

const fn count_wide() -> usize {
    let mut n = 1; // ç
    let mut code = 0;
    while code < 128 {
        if code != ESCAPE as usize && DECODE[code] as u32 >= 128 {
            n += 1;
        }
        code += 1;
    }
    let mut i = 0;
    while i < EXTENSION.len() {
        if EXTENSION[i].1 as u32 >= 128 {
            n += 1;
        }
        i += 1;
    }
    n
}

const fn build_wide() -> [(char, u8); WIDE_LEN] {
    let mut table = [('\0', NONE); WIDE_LEN];
    let mut n = 0;
    table[n] = ('\u{E7}', 0x09); // ç encodes like Ç
    n += 1;
    let mut code = 0;
    while code < 128 {
        if code != ESCAPE as usize && DECODE[code] as u32 >= 128 {
            table[n] = (DECODE[code], code as u8);
            n += 1;
        }
        code += 1;
    }
    let mut i = 0;
    while i < EXTENSION.len() {
        let (code, c) = EXTENSION[i];
        if c as u32 >= 128 {
            table[n] = (c, EXT | code);
            n += 1;
        }
        i += 1;
    }
    // Insertion sort by code point.
    let mut i = 1;
    while i < WIDE_LEN {
        let mut j = i;
        while j > 0 && (table[j - 1].0 as u32) > (table[j].0 as u32) {
            let t = table[j - 1];
            table[j - 1] = table[j];
            table[j] = t;
            j -= 1;
        }
        i += 1;
    }
    table
}

/// The encoder table entry for `c`: a base code, `EXT | code`, or `NONE`.
#[inline]
fn lookup(c: char) -> u8 {
    let cp = c as u32;
    if cp < 128 {
        ASCII[cp as usize]
    } else {
        match WIDE.binary_search_by_key(&cp, |&(w, _)| w as u32) {
            Ok(i) => WIDE[i].1,
            Err(_) => NONE,
        }
    }
}

/// The extension character for the code that follows an escape, if any.
#[inline]
fn extension_char(code: u8) -> Option<char> {
    match code {
        0x0A => Some('\u{0C}'),
        0x14 => Some('^'),
        0x28 => Some('{'),
        0x29 => Some('}'),
        0x2F => Some('\\'),
        0x3C => Some('['),
        0x3D => Some('~'),
        0x3E => Some(']'),
        0x40 => Some('|'),
        0x65 => Some('\u{20AC}'),
        _ => None,
    }
}

/// Whether `c` is in the default alphabet or the extension table.
#[inline]
pub fn is_encodable(c: char) -> bool {
    lookup(c) != NONE
}

/// The number of septets `text` takes, counting extension characters as two;
/// `None` if some character has no GSM code.
pub fn septet_len(text: &str) -> Option<usize> {
    let mut n = 0;
    for c in text.chars() {
        match lookup(c) {
            NONE => return None,
            code if code & EXT != 0 => n += 2,
            _ => n += 1,
        }
    }
    Some(n)
}

/// Encodes `text` as unpacked septets, one per octet.
///
/// Extension characters become [`ESCAPE`] followed by their code. The error
/// names the first character with no GSM code and its byte offset in `text`.
pub fn encode(text: &str) -> Result<Vec<u8>, TextError> {
    let mut out = Vec::with_capacity(text.len());
    for (offset, ch) in text.char_indices() {
        match lookup(ch) {
            NONE => {
                return Err(TextError::Unencodable {
                    ch,
                    offset,
                    encoding: Encoding::Gsm7,
                })
            }
            code if code & EXT != 0 => {
                out.push(ESCAPE);
                out.push(code & !EXT);
            }
            code => out.push(code),
        }
    }
    Ok(out)
}

/// Decodes unpacked septets, one per octet.
///
/// Never fails: an escape followed by an unknown code (the pair), an escape
/// at the very end, and any octet with the high bit set each decode as `?`.
pub fn decode(septets: &[u8]) -> String {
    let mut out = String::with_capacity(septets.len());
    let mut iter = septets.iter();
    while let Some(&s) = iter.next() {
        let c = if s == ESCAPE {
            iter.next().and_then(|&e| extension_char(e)).unwrap_or('?')
        } else {
            DECODE.get(usize::from(s)).copied().unwrap_or('?')
        };
        out.push(c);
    }
    out
}

/// The number of fill bits that follow a user data header of `udh_octets`
/// octets (UDHL included), so that the first septet starts on a septet
/// boundary: 1 for the 6-octet concatenation header, 0 for the 7-octet one.
pub fn fill_bits(udh_octets: usize) -> u8 {
    // (7 - bits % 7) % 7, where bits = 8 * udh_octets; 8 ≡ 1 (mod 7).
    ((7 - udh_octets % 7) % 7) as u8
}

/// Packs septets into octets, least significant bit first (eight septets in
/// seven octets). Only the low seven bits of each input octet are used.
///
/// When the septet count is 8n - 1, the last octet carries seven spare zero
/// bits; the receiver must know the septet count (TP-UDL, or `sm_length` on
/// the SMPP link) to tell them from a trailing `@`.
pub fn pack(septets: &[u8]) -> Vec<u8> {
    pack_with_offset(septets, 0)
}

/// Packs septets after `fill_bits` zero bits.
///
/// Use this for the septets that follow a user data header: the header is
/// whole octets, and GSM starts the first septet on the next septet boundary,
/// so [`fill_bits`]`(udh_len)` zero bits sit between them. The returned octets
/// are the ones to append after the header; the fill bits are the low bits
/// of the first one. Values of 7 or more are allowed and simply add more
/// leading zero bits.
pub fn pack_with_offset(septets: &[u8], fill_bits: u8) -> Vec<u8> {
    let offset = usize::from(fill_bits);
    let bits = offset + 7 * septets.len();
    let mut out = vec![0u8; bits.div_ceil(8)];
    let mut pos = offset;
    for &s in septets {
        let word = u16::from(s & 0x7F) << (pos % 8);
        let byte = pos / 8;
        if let Some(o) = out.get_mut(byte) {
            *o |= word as u8;
        }
        if let Some(o) = out.get_mut(byte + 1) {
            *o |= (word >> 8) as u8;
        }
        pos += 7;
    }
    out
}

/// Unpacks `septet_count` septets from packed octets (the inverse of
/// [`pack`]), one septet per output octet.
///
/// If `packed` holds fewer than `septet_count` whole septets, only those it
/// holds are returned.
pub fn unpack(packed: &[u8], septet_count: usize) -> Vec<u8> {
    unpack_with_offset(packed, 0, septet_count)
}

/// Unpacks `septet_count` septets that start after `fill_bits` bits (the
/// inverse of [`pack_with_offset`]). `packed` is the data after the user
/// data header.
///
/// If `packed` holds fewer than `septet_count` whole septets, only those it
/// holds are returned.
pub fn unpack_with_offset(packed: &[u8], fill_bits: u8, septet_count: usize) -> Vec<u8> {
    let offset = usize::from(fill_bits);
    let available = packed.len().saturating_mul(8).saturating_sub(offset) / 7;
    let count = septet_count.min(available);
    let mut out = Vec::with_capacity(count);
    let mut pos = offset;
    for _ in 0..count {
        let byte = pos / 8;
        let lo = packed.get(byte).copied().unwrap_or(0);
        let hi = packed.get(byte + 1).copied().unwrap_or(0);
        let word = u16::from_le_bytes([lo, hi]);
        out.push(((word >> (pos % 8)) & 0x7F) as u8);
        pos += 7;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every base code round-trips, except the escape.
    #[test]
    fn every_base_code_round_trips() {
        for code in 0u8..128 {
            if code == ESCAPE {
                continue;
            }
            let c = DECODE[usize::from(code)];
            let s = c.to_string();
            assert_eq!(encode(&s), Ok(vec![code]), "char {c:?}");
            assert_eq!(decode(&[code]), s);
            assert_eq!(septet_len(&s), Some(1));
        }
    }

    #[test]
    fn every_extension_code_round_trips() {
        for (code, c) in EXTENSION {
            let s = c.to_string();
            assert_eq!(encode(&s), Ok(vec![ESCAPE, code]), "char {c:?}");
            assert_eq!(decode(&[ESCAPE, code]), s);
            assert_eq!(septet_len(&s), Some(2));
            assert_eq!(extension_char(code), Some(c));
        }
        // And the decoder's match knows no more codes than the table.
        let known = (0u8..=255).filter(|&e| extension_char(e).is_some()).count();
        assert_eq!(known, EXTENSION.len());
    }

    #[test]
    fn table_spot_checks() {
        // The easily confused entries from the reference.
        assert_eq!(
            encode("@$_\u{A4}\u{A1}\u{A7}\u{BF}"),
            Ok(vec![0x00, 0x02, 0x11, 0x24, 0x40, 0x5F, 0x60])
        );
        assert_eq!(decode(&[0x09]), "\u{C7}");
        assert_eq!(encode("\u{E7}\u{C7}"), Ok(vec![0x09, 0x09]));
        assert_eq!(encode("\u{20AC}"), Ok(vec![0x1B, 0x65]));
        assert_eq!(encode("\u{394}\u{3A9}"), Ok(vec![0x10, 0x15]));
        assert_eq!(encode("\n\r\u{0C}"), Ok(vec![0x0A, 0x0D, 0x1B, 0x0A]));
    }

    #[test]
    fn unencodable_names_char_and_offset() {
        assert_eq!(
            encode("ab`c"),
            Err(TextError::Unencodable {
                ch: '`',
                offset: 2,
                encoding: Encoding::Gsm7
            })
        );
        // Byte offset, not char index: "é" is two bytes.
        assert_eq!(
            encode("\u{E9}\u{E2}"),
            Err(TextError::Unencodable {
                ch: '\u{E2}',
                offset: 2,
                encoding: Encoding::Gsm7
            })
        );
        assert_eq!(septet_len("a\u{1F600}"), None);
        assert!(
            !is_encodable('\u{A0}'),
            "the escape slot must not be encodable"
        );
        assert!(!is_encodable('\0'));
    }

    #[test]
    fn lossy_decode() {
        assert_eq!(decode(&[0x41, ESCAPE, 0x41, 0x42]), "A?B");
        assert_eq!(decode(&[0x41, ESCAPE]), "A?");
        assert_eq!(decode(&[ESCAPE, ESCAPE, 0x41]), "?A");
        assert_eq!(decode(&[0x80, 0xFF, 0x41]), "??A");
        assert_eq!(decode(&[]), "");
    }

    #[test]
    fn known_packed_vectors() {
        let hello = encode("hellohello").unwrap();
        assert_eq!(
            pack(&hello),
            [0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37]
        );
        assert_eq!(
            pack(&encode("Hello").unwrap()),
            [0xC8, 0x32, 0x9B, 0xFD, 0x06]
        );
        // Eight septets fill seven octets exactly.
        assert_eq!(pack(&[0x7F; 8]), [0xFF; 7]);
        assert_eq!(pack(&[]), Vec::<u8>::new());
        assert_eq!(
            unpack(&[0xE8, 0x32, 0x9B, 0xFD, 0x46, 0x97, 0xD9, 0xEC, 0x37], 10),
            hello
        );
    }

    #[test]
    fn packed_with_fill_bit() {
        // One fill bit after a 6-octet UDH: 'h' (0x68) shifted left by one.
        assert_eq!(fill_bits(6), 1);
        assert_eq!(fill_bits(7), 0);
        assert_eq!(fill_bits(0), 0);
        assert_eq!(fill_bits(1), 6);
        assert_eq!(pack_with_offset(&[0x68], 1), [0xD0]);
        assert_eq!(pack_with_offset(&[0x7F, 0x7F], 1), [0xFE, 0x7F]);
        assert_eq!(unpack_with_offset(&[0xFE, 0x7F], 1, 2), [0x7F, 0x7F]);
    }

    /// Bit-by-bit reference packer, independent of the word arithmetic.
    fn pack_reference(septets: &[u8], offset: usize) -> Vec<u8> {
        let mut bits = vec![false; offset];
        for &s in septets {
            bits.extend((0..7).map(|i| s >> i & 1 == 1));
        }
        bits.chunks(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |acc, (i, &b)| acc | (u8::from(b) << i))
            })
            .collect()
    }

    #[test]
    fn pack_round_trips_0_to_200() {
        for len in 0..=200usize {
            let septets: Vec<u8> = (0..len).map(|i| ((i * 37 + 11) % 128) as u8).collect();
            for offset in 0..=6u8 {
                let packed = pack_with_offset(&septets, offset);
                assert_eq!(
                    packed,
                    pack_reference(&septets, usize::from(offset)),
                    "len {len} offset {offset}"
                );
                assert_eq!((usize::from(offset) + 7 * len).div_ceil(8), packed.len());
                assert_eq!(
                    unpack_with_offset(&packed, offset, len),
                    septets,
                    "len {len} offset {offset}"
                );
            }
        }
    }

    #[test]
    fn unpack_is_bounded_by_input() {
        assert_eq!(unpack(&[], 10), Vec::<u8>::new());
        assert_eq!(unpack(&[0xFF], usize::MAX), [0x7F]);
        // 7 octets hold 8 septets, not 9.
        assert_eq!(unpack(&[0xFF; 7], 9).len(), 8);
        assert_eq!(unpack_with_offset(&[0xFF; 7], 6, 9).len(), 7);
        assert_eq!(unpack_with_offset(&[0xFF], 255, 3), Vec::<u8>::new());
    }

    #[test]
    fn pack_ignores_high_bit() {
        assert_eq!(pack(&[0xFF]), [0x7F]);
    }
}
