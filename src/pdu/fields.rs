//! Bounded field types: C-Octet strings, addresses, SMPP time strings and
//! the short_message octets. Each one enforces its spec limit when it is
//! built, so a value that exists always fits on the wire.
//!
//! They hold their bytes inline (no allocation), which keeps decoding a
//! submit_sm free of heap traffic.

use std::fmt;

/// Why a value does not fit a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldError {
    /// Longer than the field's maximum (which excludes the NUL).
    TooLong {
        /// The longest text the field holds.
        max: usize,
        /// The length that was given.
        len: usize,
    },
    /// A C-Octet string cannot hold a NUL octet.
    Nul,
    /// Not an SMPP time (`YYMMDDhhmmsstnnp`, 16 characters, or empty).
    Time,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldError::TooLong { max, len } => {
                write!(f, "{len} octets do not fit a field of at most {max}")
            }
            FieldError::Nul => f.write_str("a C-Octet string cannot contain a NUL octet"),
            FieldError::Time => f.write_str("not an SMPP time (YYMMDDhhmmsstnnp or empty)"),
        }
    }
}

impl std::error::Error for FieldError {}

/// A C-Octet string of at most `N` octets on the wire, NUL included (the
/// spec's "Var. max N"): at most `N - 1` characters of text.
#[derive(Clone, Copy)]
pub struct COctet<const N: usize> {
    len: u8,
    buf: [u8; N],
}

impl<const N: usize> COctet<N> {
    /// The most text octets this field holds.
    pub const MAX: usize = N - 1;

    /// The empty string (a lone NUL on the wire).
    pub const EMPTY: Self = COctet {
        len: 0,
        buf: [0; N],
    };

    /// A field holding `bytes`, which must be at most `N - 1` octets and
    /// contain no NUL.
    pub fn new(bytes: &[u8]) -> Result<Self, FieldError> {
        if bytes.contains(&0) {
            return Err(FieldError::Nul);
        }
        Self::from_unterminated(bytes)
    }

    /// As [`COctet::new`], for bytes already known to hold no NUL.
    #[inline]
    pub(crate) fn from_unterminated(bytes: &[u8]) -> Result<Self, FieldError> {
        if bytes.len() > Self::MAX {
            return Err(FieldError::TooLong {
                max: Self::MAX,
                len: bytes.len(),
            });
        }
        let mut buf = [0; N];
        buf[..bytes.len()].copy_from_slice(bytes);
        Ok(COctet {
            len: bytes.len() as u8,
            buf,
        })
    }

    /// The text, without the NUL.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// The text as UTF-8, if it is (SMPP strings are ASCII in practice).
    pub fn to_str(&self) -> Option<&str> {
        std::str::from_utf8(self.as_bytes()).ok()
    }

    /// The text with invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }

    /// The length of the text, without the NUL.
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// A lone NUL on the wire.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Octets on the wire, NUL included.
    #[inline]
    pub(crate) fn wire_len(&self) -> usize {
        self.len() + 1
    }

    /// Reads a C-Octet string from the start of `src` into `self` and
    /// returns the octets it took, NUL included. `Err(true)`: no NUL in the
    /// first `N` octets; `Err(false)`: `src` ends before a NUL. On error
    /// `self` holds unspecified text.
    ///
    /// With `N` or more octets left, the whole window is copied at once (a
    /// fixed-size copy) and the octets past the NUL are ignored: only
    /// `buf[..len]` is ever read.
    #[inline]
    pub(crate) fn read_wire(&mut self, src: &[u8]) -> Result<usize, bool> {
        if let Some(window) = src.first_chunk::<N>() {
            let len = find_nul(window).ok_or(true)?;
            self.buf = *window;
            self.len = len as u8;
            Ok(len + 1)
        } else {
            self.read_wire_short(src)
        }
    }

    /// [`COctet::read_wire`] near the end of a body.
    #[cold]
    #[inline(never)]
    fn read_wire_short(&mut self, src: &[u8]) -> Result<usize, bool> {
        let len = find_nul(src).ok_or(false)?;
        let text = &src[..len];
        self.buf[..len].copy_from_slice(text);
        self.len = len as u8;
        Ok(len + 1)
    }
}

/// The index of the first NUL in `bytes`, eight octets at a time.
#[inline(always)]
pub(crate) fn find_nul(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The lowest set bit of `(x - ONES) & !x & HIGHS` is the high bit of
    // the first zero octet (bits above it can be false positives).
    let zero_at = |word: &[u8; 8]| {
        let x = u64::from_le_bytes(*word);
        let z = x.wrapping_sub(ONES) & !x & HIGHS;
        (z != 0).then(|| (z.trailing_zeros() / 8) as usize)
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        if let Ok(word) = <&[u8; 8]>::try_from(chunk) {
            if let Some(i) = zero_at(word) {
                return Some(at + i);
            }
        }
        at += 8;
    }
    let tail = chunks.remainder();
    if tail.is_empty() {
        return None;
    }
    // The last eight octets, overlapping octets already known to be
    // non-zero, when there are eight.
    if let Some(word) = bytes.last_chunk::<8>() {
        return zero_at(word).map(|i| bytes.len() - 8 + i);
    }
    tail.iter().position(|&b| b == 0).map(|i| at + i)
}

impl<const N: usize> Default for COctet<N> {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl<const N: usize> PartialEq for COctet<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl<const N: usize> Eq for COctet<N> {}

impl<const N: usize> std::hash::Hash for COctet<N> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl<const N: usize> fmt::Debug for COctet<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_string_lossy(), f)
    }
}

impl<const N: usize> fmt::Display for COctet<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy())
    }
}

impl<const N: usize> TryFrom<&str> for COctet<N> {
    type Error = FieldError;
    fn try_from(s: &str) -> Result<Self, FieldError> {
        Self::new(s.as_bytes())
    }
}

impl<const N: usize> TryFrom<&[u8]> for COctet<N> {
    type Error = FieldError;
    fn try_from(s: &[u8]) -> Result<Self, FieldError> {
        Self::new(s)
    }
}

/// An SMPP time field (`schedule_delivery_time`, `validity_period`,
/// `final_date`): empty, or 16 characters `YYMMDDhhmmsstnnp` where `p` is
/// `+` or `-` (absolute) or `R` (relative). Only the shape is checked here;
/// [`crate::datetime`] gives the value's meaning.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TimeString(COctet<17>);

impl TimeString {
    /// The empty time (a lone NUL: "immediately", "the default").
    pub const EMPTY: Self = TimeString(COctet::EMPTY);

    /// A time string, checked for shape.
    pub fn new(bytes: &[u8]) -> Result<Self, FieldError> {
        if !Self::is_valid(bytes) {
            return Err(FieldError::Time);
        }
        COctet::from_unterminated(bytes).map(TimeString)
    }

    /// Empty, or 12 digits, a digit (tenths), two digits (quarter hours)
    /// and `+`, `-` or `R`.
    #[inline]
    pub fn is_valid(bytes: &[u8]) -> bool {
        /// All eight octets are ASCII digits: with `x = b ^ b'0'`, a digit
        /// is an `x` below 10, which is when neither `x` nor `x + 0x76`
        /// (computed on the low seven bits, so nothing carries) has its
        /// high bit set.
        fn digits(word: &[u8; 8]) -> bool {
            const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
            const HIGHS: u64 = 0x8080_8080_8080_8080;
            let x = u64::from_le_bytes(*word) ^ 0x3030_3030_3030_3030;
            (((x & LOW7) + 0x7676_7676_7676_7676) | x) & HIGHS == 0
        }
        match bytes.first_chunk::<16>() {
            // Octets 0..8 and 7..15: the 15 digits; then the sign.
            Some(time) if bytes.len() == 16 => {
                let (head, tail) = (time.first_chunk::<8>(), time[7..].first_chunk::<8>());
                matches!((head, tail), (Some(h), Some(t)) if digits(h) && digits(t))
                    && matches!(time[15], b'+' | b'-' | b'R')
            }
            _ => bytes.is_empty(),
        }
    }

    /// The 16 characters, or nothing.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// No time given.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn inner(&self) -> &COctet<17> {
        &self.0
    }

    /// The text, unchecked: the decoder checks the shape once, in place.
    pub(crate) fn inner_mut(&mut self) -> &mut COctet<17> {
        &mut self.0
    }
}

impl fmt::Debug for TimeString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl TryFrom<&str> for TimeString {
    type Error = FieldError;
    fn try_from(s: &str) -> Result<Self, FieldError> {
        Self::new(s.as_bytes())
    }
}

/// The `short_message` octets: at most 254 (SMPP 3.4), preceded on the wire
/// by `sm_length`.
#[derive(Clone)]
pub struct ShortMessage {
    len: u8,
    buf: [u8; ShortMessage::MAX],
}

impl Default for ShortMessage {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl PartialEq for ShortMessage {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for ShortMessage {}

impl ShortMessage {
    /// SMPP 3.4's limit.
    pub const MAX: usize = 254;

    /// No short message (user data in `message_payload`, or none).
    pub const EMPTY: Self = ShortMessage {
        len: 0,
        buf: [0; ShortMessage::MAX],
    };

    /// The given octets, at most 254.
    pub fn new(bytes: &[u8]) -> Result<Self, FieldError> {
        if bytes.len() > Self::MAX {
            return Err(FieldError::TooLong {
                max: Self::MAX,
                len: bytes.len(),
            });
        }
        let mut sm = Self::EMPTY;
        sm.set(bytes);
        Ok(sm)
    }

    /// Replaces the octets with `bytes`, which the caller has bounded to
    /// at most [`ShortMessage::MAX`].
    #[inline]
    pub(crate) fn set(&mut self, bytes: &[u8]) {
        let len = bytes.len().min(Self::MAX);
        self.buf[..len].copy_from_slice(&bytes[..len]);
        self.len = len as u8;
    }

    /// The octets.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..usize::from(self.len)]
    }

    /// `sm_length`.
    #[inline]
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// `sm_length` is 0.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for ShortMessage {
    /// Message text is personal data: only its length is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShortMessage({} octets)", self.len())
    }
}

impl TryFrom<&[u8]> for ShortMessage {
    type Error = FieldError;
    fn try_from(s: &[u8]) -> Result<Self, FieldError> {
        Self::new(s)
    }
}

/// An SME address: type of number, numbering plan, and the digits (or
/// alphanumeric sender) in a C-Octet string of at most `N` octets.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Address<const N: usize> {
    /// Type of number (0 unknown, 1 international, 5 alphanumeric, ...).
    pub ton: u8,
    /// Numbering plan indicator (0 unknown, 1 ISDN/E.164, ...).
    pub npi: u8,
    /// The address itself.
    pub addr: COctet<N>,
}

impl<const N: usize> Address<N> {
    /// TON 0, NPI 0, no text.
    pub(crate) const EMPTY: Self = Address {
        ton: 0,
        npi: 0,
        addr: COctet::EMPTY,
    };

    /// An address with the given TON, NPI and text.
    pub fn new(ton: u8, npi: u8, addr: &str) -> Result<Self, FieldError> {
        Ok(Address {
            ton,
            npi,
            addr: COctet::try_from(addr)?,
        })
    }
}

impl<const N: usize> fmt::Debug for Address<N> {
    /// Phone numbers are personal data: only TON and NPI are shown, unless
    /// the `trace` log level is on.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if log::log_enabled!(log::Level::Trace) {
            write!(f, "{}/{}:{:?}", self.ton, self.npi, self.addr)
        } else {
            write!(f, "{}/{}:<{} digits>", self.ton, self.npi, self.addr.len())
        }
    }
}
