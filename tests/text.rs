//! Properties of the text module through its public API.

use proptest::prelude::*;
use smpp::text::{
    self, choose, decode, encode, gsm7, split, split_bytes, udh, Encoding, Part, Pushed,
    Reassembler, SplitMethod,
};
use std::time::{Duration, Instant};

/// Every character with a GSM code, extension table included.
const GSM_ALPHABET: &str = concat!(
    "@\u{A3}$\u{A5}\u{E8}\u{E9}\u{F9}\u{EC}\u{F2}\u{C7}\n\u{D8}\u{F8}\r\u{C5}\u{E5}",
    "\u{394}_\u{3A6}\u{393}\u{39B}\u{3A9}\u{3A0}\u{3A8}\u{3A3}\u{398}\u{39E}\u{C6}\u{E6}\u{DF}\u{C9}",
    " !\"#\u{A4}%&'()*+,-./0123456789:;<=>?",
    "\u{A1}ABCDEFGHIJKLMNOPQRSTUVWXYZ\u{C4}\u{D6}\u{D1}\u{DC}\u{A7}",
    "\u{BF}abcdefghijklmnopqrstuvwxyz\u{E4}\u{F6}\u{F1}\u{FC}\u{E0}",
    "\u{C}^{}\\[~]|\u{20AC}",
);

#[test]
fn whole_gsm_alphabet_round_trips() {
    assert_eq!(GSM_ALPHABET.chars().count(), 127 + 10);
    assert_eq!(choose(GSM_ALPHABET, true), Encoding::Gsm7);
    let septets = encode(GSM_ALPHABET, Encoding::Gsm7).unwrap();
    assert_eq!(septets.len(), 127 + 2 * 10);
    assert_eq!(gsm7::septet_len(GSM_ALPHABET), Some(septets.len()));
    // Every base code but the escape appears, in order.
    assert_eq!(
        septets[..127],
        (0u8..128).filter(|&c| c != 0x1B).collect::<Vec<_>>()[..]
    );
    assert_eq!(decode(&septets, Encoding::Gsm7), GSM_ALPHABET);
    let packed = gsm7::pack(&septets);
    assert_eq!(packed.len(), (septets.len() * 7).div_ceil(8));
    assert_eq!(gsm7::unpack(&packed, septets.len()), septets);
}

#[test]
fn emoji_in_ucs2() {
    let s = "Hi \u{1F600}\u{1F1EC}\u{1F1E7}!";
    assert_eq!(choose(s, true), Encoding::Ucs2);
    let bytes = encode(s, Encoding::Ucs2).unwrap();
    assert_eq!(bytes.len(), 2 * (3 + 2 + 4 + 1));
    assert_eq!(bytes[6..10], [0xD8, 0x3D, 0xDE, 0x00]);
    assert_eq!(decode(&bytes, Encoding::Ucs2), s);
}

#[test]
fn gsm_part_sizes_on_the_air() {
    // 6 UDH octets + 1 fill bit + 153 septets pack into exactly 140 octets.
    let parts = split(&"z".repeat(400), Encoding::Gsm7, SplitMethod::Udh8, 1).unwrap();
    let (_, septets) = udh::parse_concat(&parts[0].data).unwrap();
    let air = 6 + gsm7::pack_with_offset(septets, gsm7::fill_bits(6)).len();
    assert_eq!(air, 140);
    let parts = split(&"z".repeat(400), Encoding::Gsm7, SplitMethod::Udh16, 1).unwrap();
    let (_, septets) = udh::parse_concat(&parts[0].data).unwrap();
    assert_eq!(
        7 + gsm7::pack_with_offset(septets, gsm7::fill_bits(7)).len(),
        140
    );
}

/// Strings that are often all-GSM, with some extension characters, some
/// Latin-1 and some astral characters mixed in.
fn mixed_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z {}\\[\\]~|^\u{20AC}\u{E7}\u{C7}@\u{394}]{0,500}",
        "[a-z\u{E9}\u{FF}`]{0,400}",
        "[a-z\u{416}\u{1F600}\u{1F44D}]{0,300}",
    ]
}

fn method() -> impl Strategy<Value = SplitMethod> {
    prop_oneof![
        Just(SplitMethod::Udh8),
        Just(SplitMethod::Udh16),
        Just(SplitMethod::Sar),
        Just(SplitMethod::Payload),
    ]
}

/// The user data of a part without its UDH.
fn body(part: &Part) -> &[u8] {
    if part.udhi {
        udh::parse_concat(&part.data).map(|(_, d)| d).unwrap_or(&[])
    } else {
        &part.data
    }
}

fn limits(enc: Encoding) -> (usize, usize, usize) {
    match enc {
        Encoding::Gsm7 => (160, 153, 152),
        Encoding::Ucs2 => (140, 134, 132),
        _ => (140, 134, 133),
    }
}

proptest! {
    #[test]
    fn chosen_encoding_round_trips(s in mixed_text(), latin1 in any::<bool>()) {
        let enc = choose(&s, latin1);
        let bytes = encode(&s, enc).unwrap();
        // 'ç' is the one lossy GSM mapping: it arrives as 'Ç'.
        let expect = if enc == Encoding::Gsm7 { s.replace('\u{E7}', "\u{C7}") } else { s.clone() };
        prop_assert_eq!(decode(&bytes, enc), expect);
        if enc == Encoding::Gsm7 {
            prop_assert_eq!(gsm7::septet_len(&s), Some(bytes.len()));
        }
        if !latin1 {
            prop_assert_ne!(enc, Encoding::Latin1);
        }
    }

    #[test]
    fn split_preserves_data_within_limits(
        s in mixed_text(), latin1 in any::<bool>(), method in method(), reference in any::<u16>()
    ) {
        let enc = choose(&s, latin1);
        let whole = encode(&s, enc).unwrap();
        let parts = split(&s, enc, method, reference).unwrap();
        let joined: Vec<u8> = parts.iter().flat_map(|p| body(p).to_vec()).collect();
        prop_assert_eq!(&joined, &whole);

        let (single, per8, per16) = limits(enc);
        if method == SplitMethod::Payload || whole.len() <= single {
            prop_assert_eq!(parts.len(), 1);
            prop_assert!(!parts[0].udhi && parts[0].sar.is_none());
            prop_assert_eq!(&parts[0].data, &whole);
            return Ok(());
        }
        prop_assert!(parts.len() >= 2);
        let max = if method == SplitMethod::Udh16 { per16 } else { per8 };
        let total = parts.len();
        for (i, p) in parts.iter().enumerate() {
            let data = body(p);
            prop_assert!(data.len() <= max && !data.is_empty());
            let seqnum = i + 1;
            match method {
                SplitMethod::Sar => {
                    let sar = p.sar.unwrap();
                    prop_assert!(!p.udhi);
                    prop_assert_eq!((sar.reference, usize::from(sar.total), usize::from(sar.seqnum)), (reference, total, seqnum));
                }
                _ => {
                    let (c, _) = udh::parse_concat(&p.data).unwrap();
                    let expect_ref = if method == SplitMethod::Udh8 { reference & 0xFF } else { reference };
                    prop_assert!(p.udhi && p.sar.is_none());
                    prop_assert_eq!((c.reference, usize::from(c.total), usize::from(c.seqnum)), (expect_ref, total, seqnum));
                    prop_assert_eq!(p.data.len() - data.len(), if method == SplitMethod::Udh8 { 6 } else { 7 });
                }
            }
            // No pair cut in two: each part decodes on its own to a prefix
            // of what is left.
            match enc {
                Encoding::Gsm7 => prop_assert_ne!(data.last(), Some(&gsm7::ESCAPE)),
                Encoding::Ucs2 => {
                    prop_assert!(data.len() % 2 == 0);
                    prop_assert!(!(0xD8..=0xDB).contains(&data[data.len() - 2]));
                    prop_assert!(!(0xDC..=0xDF).contains(&data[0]));
                }
                _ => {}
            }
            let clean = !decode(data, enc).contains(char::REPLACEMENT_CHARACTER);
            prop_assert!(clean || s.contains(char::REPLACEMENT_CHARACTER));
        }
        // Greedy: a part is short only by the pair that did not fit.
        for w in parts.windows(2) {
            prop_assert!(body(&w[0]).len() + 3 >= max);
        }
    }

    #[test]
    fn binary_split_sizes(data in prop::collection::vec(any::<u8>(), 0..2000), method in method()) {
        let parts = split_bytes(&data, method, 3).unwrap();
        let joined: Vec<u8> = parts.iter().flat_map(|p| body(p).to_vec()).collect();
        prop_assert_eq!(&joined, &data);
        let expected = match method {
            SplitMethod::Payload => 1,
            _ if data.len() <= 140 => 1,
            SplitMethod::Udh16 => data.len().div_ceil(133),
            _ => data.len().div_ceil(134),
        };
        prop_assert_eq!(parts.len(), expected);
    }

    #[test]
    fn packing_round_trips(septets in prop::collection::vec(0u8..128, 0..400), fill in 0u8..7) {
        let packed = gsm7::pack_with_offset(&septets, fill);
        prop_assert_eq!(packed.len(), (usize::from(fill) + 7 * septets.len()).div_ceil(8));
        prop_assert_eq!(gsm7::unpack_with_offset(&packed, fill, septets.len()), septets);
    }

    #[test]
    fn hostile_input_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..600), n in any::<usize>(), fill in any::<u8>()) {
        for enc in [Encoding::Gsm7, Encoding::Latin1, Encoding::Ucs2, Encoding::Binary] {
            let _ = decode(&bytes, enc);
        }
        let _ = udh::parse_concat(&bytes);
        let _ = udh::strip(&bytes);
        prop_assert!(gsm7::unpack_with_offset(&bytes, fill, n).len() <= bytes.len() * 8 / 7);
        let _ = gsm7::pack_with_offset(&bytes, fill);
        let _ = Encoding::from_data_coding(bytes.first().copied().unwrap_or(0));
    }

    #[test]
    fn reassembly_in_any_order(
        s in "[a-z\u{1F600}]{200,900}",
        order in any::<u64>(),
    ) {
        let parts = split(&s, Encoding::Ucs2, SplitMethod::Udh16, 0xBEEF).unwrap();
        let mut indices: Vec<usize> = (0..parts.len()).collect();
        // Deterministic shuffle from the drawn seed.
        let mut seed = order | 1;
        for i in (1..indices.len()).rev() {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            indices.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let mut r = Reassembler::new(Duration::from_secs(30), 4);
        let t0 = Instant::now();
        let mut done = None;
        for (n, &i) in indices.iter().enumerate() {
            let (c, data) = udh::parse_concat(&parts[i].data).unwrap();
            let pushed = r.push(t0 + Duration::from_millis(n as u64), ("a", "b", c.reference), c.total, c.seqnum, data.to_vec());
            if n + 1 < indices.len() {
                prop_assert_eq!(pushed, Pushed::Pending);
            } else if let Pushed::Complete(all) = pushed {
                done = Some(text::decode(&all.concat(), Encoding::Ucs2));
            }
        }
        prop_assert_eq!(done, Some(s));
        prop_assert!(r.is_empty());
    }
}
