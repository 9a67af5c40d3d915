//! `data_coding`: the alphabet or character set of a message's user data
//! (SMPP 3.4 §5.2.19).

use super::wire_enum::wire_enum;

wire_enum! {
    /// The `data_coding` field of submit_sm, data_sm, deliver_sm and
    /// submit_multi. The named values are SMPP 3.4's table; any other
    /// octet (a GSM 03.38 coding group with a message class, such as 0x10
    /// for a flash message in the default alphabet, or a reserved value)
    /// is kept as it was read in `Unknown`, so the wire octet is always the
    /// one given. `text::Encoding::from_data_coding` reads either kind as
    /// an alphabet (from the octet: the text layer does not use this one).
    pub enum DataCoding(u8) {
        /// The SMSC's default alphabet (GSM 03.38 7-bit, for most SMSCs).
        SmscDefault = 0x00 => "SMSC default alphabet",
        /// IA5 (CCITT T.50) / ASCII.
        Ia5 = 0x01 => "IA5 (CCITT T.50)/ASCII (ANSI X3.4)",
        /// Octet unspecified (8-bit binary), the value 0x02.
        OctetUnspecified2 = 0x02 => "Octet unspecified (8-bit binary)",
        /// Latin 1 (ISO-8859-1).
        Latin1 = 0x03 => "Latin 1 (ISO-8859-1)",
        /// Octet unspecified (8-bit binary), the value 0x04.
        OctetUnspecified = 0x04 => "Octet unspecified (8-bit binary)",
        /// JIS (X 0208-1990).
        Jis = 0x05 => "JIS (X 0208-1990)",
        /// Cyrillic (ISO-8859-5).
        Cyrillic = 0x06 => "Cyrillic (ISO-8859-5)",
        /// Latin/Hebrew (ISO-8859-8).
        LatinHebrew = 0x07 => "Latin/Hebrew (ISO-8859-8)",
        /// UCS2 (ISO/IEC-10646).
        Ucs2 = 0x08 => "UCS2 (ISO/IEC-10646)",
        /// Pictogram encoding.
        Pictogram = 0x09 => "Pictogram Encoding",
        /// ISO-2022-JP (music codes).
        Iso2022Jp = 0x0A => "ISO-2022-JP (Music Codes)",
        /// Extended Kanji JIS (X 0212-1990).
        ExtendedKanjiJis = 0x0D => "Extended Kanji JIS(X 0212-1990)",
        /// KS C 5601.
        KsC5601 = 0x0E => "KS C 5601",
    }
    other:
    /// Any other value, kept as read.
    Unknown
}

// By hand: `wire_enum!` declares the enum, so no variant can carry
// `#[default]`.
#[allow(clippy::derivable_impls)]
impl Default for DataCoding {
    fn default() -> Self {
        DataCoding::SmscDefault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_octet_round_trips() {
        for octet in 0..=u8::MAX {
            let coding = DataCoding::from(octet);
            assert_eq!(u8::from(coding), octet);
            assert_eq!(
                coding.name().is_some(),
                !matches!(coding, DataCoding::Unknown(_))
            );
        }
        assert_eq!(DataCoding::from(0x08), DataCoding::Ucs2);
        assert_eq!(DataCoding::from(0x10), DataCoding::Unknown(0x10));
        assert_eq!(DataCoding::default(), DataCoding::from(0));
    }
}
