//! The `Alphabet:` header: how a body is written in the file and how it is
//! sent.

use crate::text::Encoding;
use std::fmt;

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
    /// [module docs](super) for the names.
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
