//! A bounds-checked cursor over one PDU body. Every read either succeeds or
//! returns a [`DecodeError`] naming the field; nothing here can panic.

use super::error::{DecodeError, ErrorKind, Field};
use super::fields::{Address, COctet, ShortMessage, TimeString};

pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    command_id: u32,
    sequence: u32,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(body: &'a [u8], command_id: u32, sequence: u32) -> Self {
        Reader {
            buf: body,
            pos: 0,
            command_id,
            sequence,
        }
    }

    pub(crate) fn error(&self, field: Field, kind: ErrorKind) -> DecodeError {
        DecodeError {
            command_id: self.command_id,
            sequence: self.sequence,
            field,
            kind,
        }
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    #[inline]
    fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], DecodeError> {
        match self.buf.get(self.pos..self.pos + n) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(self.error(field, ErrorKind::Truncated)),
        }
    }

    #[inline]
    pub(crate) fn u8(&mut self, field: Field) -> Result<u8, DecodeError> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.error(field, ErrorKind::Truncated)),
        }
    }

    #[inline]
    pub(crate) fn u32(&mut self, field: Field) -> Result<u32, DecodeError> {
        let b = self.take(4, field)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// A C-Octet string of at most `N` octets, NUL included.
    #[inline]
    pub(crate) fn cstr<const N: usize>(&mut self, field: Field) -> Result<COctet<N>, DecodeError> {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        let window = &rest[..rest.len().min(N)];
        match window.iter().position(|&b| b == 0) {
            Some(len) => {
                self.pos += len + 1;
                COctet::from_unterminated(&window[..len])
                    .map_err(|_| self.error(field, ErrorKind::TooLong))
            }
            // No NUL in the first N octets: too long. No NUL before the end
            // of a shorter body: the PDU ends inside the field.
            None if rest.len() >= N => Err(self.error(field, ErrorKind::TooLong)),
            None => Err(self.error(field, ErrorKind::Truncated)),
        }
    }

    /// TON, NPI and address, with the given field names for errors.
    #[inline]
    pub(crate) fn address<const N: usize>(
        &mut self,
        fields: [Field; 3],
    ) -> Result<Address<N>, DecodeError> {
        Ok(Address {
            ton: self.u8(fields[0])?,
            npi: self.u8(fields[1])?,
            addr: self.cstr(fields[2])?,
        })
    }

    /// A time field: a lone NUL, or 16 characters and a NUL.
    #[inline]
    pub(crate) fn time(&mut self, field: Field) -> Result<TimeString, DecodeError> {
        let s = self.cstr::<17>(field)?;
        TimeString::new(s.as_bytes()).map_err(|_| self.error(field, ErrorKind::BadValue))
    }

    /// `sm_length` and `short_message`.
    #[inline]
    pub(crate) fn short_message(&mut self) -> Result<ShortMessage, DecodeError> {
        let len = usize::from(self.u8(Field::SmLength)?);
        if len > ShortMessage::MAX {
            return Err(self.error(Field::SmLength, ErrorKind::BadValue));
        }
        let bytes = self.take(len, Field::ShortMessage)?;
        ShortMessage::new(bytes).map_err(|_| self.error(Field::SmLength, ErrorKind::BadValue))
    }

    /// One TLV header and its value, bounded by the body.
    pub(crate) fn tlv(&mut self) -> Result<(u16, &'a [u8]), DecodeError> {
        let stream = |r: &Self| r.error(Field::TlvStream, ErrorKind::Truncated);
        let head = self.take(4, Field::TlvStream).map_err(|_| stream(self))?;
        let tag = u16::from_be_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
        let value = self.take(len, Field::TlvStream).map_err(|_| stream(self))?;
        Ok((tag, value))
    }

    /// Whatever is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        self.pos = self.buf.len();
        rest
    }
}
