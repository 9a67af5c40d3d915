//! A bounds-checked cursor over one PDU body. Every read either succeeds or
//! returns a [`DecodeError`] naming the field; nothing here can panic.
//!
//! The `*_into` reads write straight into the field of the value being
//! built, so a large body is never assembled on the stack and then moved.

use super::error::{DecodeError, ErrorKind, Field};
use super::fields::{Address, COctet, ShortMessage, TimeString};

pub(crate) struct Reader<'a> {
    /// What is left of the body.
    rest: &'a [u8],
    command_id: u32,
    sequence: u32,
}

impl<'a> Reader<'a> {
    #[inline]
    pub(crate) fn new(body: &'a [u8], command_id: u32, sequence: u32) -> Self {
        Reader {
            rest: body,
            command_id,
            sequence,
        }
    }

    #[cold]
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
        self.rest.is_empty()
    }

    #[inline]
    fn take(&mut self, n: usize, field: Field) -> Result<&'a [u8], DecodeError> {
        if n <= self.rest.len() {
            let (bytes, rest) = self.rest.split_at(n);
            self.rest = rest;
            Ok(bytes)
        } else {
            Err(self.error(field, ErrorKind::Truncated))
        }
    }

    #[inline]
    pub(crate) fn u8(&mut self, field: Field) -> Result<u8, DecodeError> {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                Ok(b)
            }
            None => Err(self.error(field, ErrorKind::Truncated)),
        }
    }

    /// `K` one-octet fields in a row, with one bounds check; a short body
    /// is blamed on the first field it does not reach.
    #[inline]
    pub(crate) fn u8s<const K: usize>(
        &mut self,
        fields: [Field; K],
    ) -> Result<[u8; K], DecodeError> {
        match self.rest.split_first_chunk::<K>() {
            Some((&bytes, rest)) => {
                self.rest = rest;
                Ok(bytes)
            }
            None => {
                let missing = fields.get(self.rest.len()).copied();
                Err(self.error(
                    missing.unwrap_or(Field::CommandLength),
                    ErrorKind::Truncated,
                ))
            }
        }
    }

    #[inline]
    pub(crate) fn u32(&mut self, field: Field) -> Result<u32, DecodeError> {
        match self.rest.split_first_chunk::<4>() {
            Some((&bytes, rest)) => {
                self.rest = rest;
                Ok(u32::from_be_bytes(bytes))
            }
            None => Err(self.error(field, ErrorKind::Truncated)),
        }
    }

    /// A C-Octet string of at most `N` octets, NUL included, into `dst`.
    #[inline]
    pub(crate) fn cstr_into<const N: usize>(
        &mut self,
        dst: &mut COctet<N>,
        field: Field,
    ) -> Result<(), DecodeError> {
        match dst.read_wire(self.rest) {
            Ok(taken) => {
                self.rest = &self.rest[taken..];
                Ok(())
            }
            // No NUL in the first N octets: too long. No NUL before the end
            // of a shorter body: the PDU ends inside the field.
            Err(true) => Err(self.error(field, ErrorKind::TooLong)),
            Err(false) => Err(self.error(field, ErrorKind::Truncated)),
        }
    }

    /// A C-Octet string of at most `N` octets, NUL included.
    #[inline]
    pub(crate) fn cstr<const N: usize>(&mut self, field: Field) -> Result<COctet<N>, DecodeError> {
        let mut s = COctet::EMPTY;
        self.cstr_into(&mut s, field)?;
        Ok(s)
    }

    /// TON, NPI and address into `dst`, with the given field names for
    /// errors.
    #[inline]
    pub(crate) fn address_into<const N: usize>(
        &mut self,
        dst: &mut Address<N>,
        fields: [Field; 3],
    ) -> Result<(), DecodeError> {
        [dst.ton, dst.npi] = self.u8s([fields[0], fields[1]])?;
        self.cstr_into(&mut dst.addr, fields[2])
    }

    /// TON, NPI and address, with the given field names for errors.
    #[inline]
    pub(crate) fn address<const N: usize>(
        &mut self,
        fields: [Field; 3],
    ) -> Result<Address<N>, DecodeError> {
        let mut a = Address::default();
        self.address_into(&mut a, fields)?;
        Ok(a)
    }

    /// A time field into `dst`: a lone NUL, or 16 characters and a NUL.
    #[inline(always)]
    pub(crate) fn time_into(
        &mut self,
        dst: &mut TimeString,
        field: Field,
    ) -> Result<(), DecodeError> {
        let text = dst.inner_mut();
        self.cstr_into(text, field)?;
        if text.is_empty() {
            Ok(())
        } else {
            self.check_time(text, field)
        }
    }

    /// The shape check of a time that is not empty.
    #[inline(never)]
    fn check_time(&self, text: &COctet<17>, field: Field) -> Result<(), DecodeError> {
        if TimeString::is_valid(text.as_bytes()) {
            Ok(())
        } else {
            Err(self.error(field, ErrorKind::BadValue))
        }
    }

    /// A time field: a lone NUL, or 16 characters and a NUL.
    #[inline]
    pub(crate) fn time(&mut self, field: Field) -> Result<TimeString, DecodeError> {
        let mut t = TimeString::EMPTY;
        self.time_into(&mut t, field)?;
        Ok(t)
    }

    /// `short_message` into `dst`, given `sm_length` (already read).
    #[inline]
    pub(crate) fn short_message_into(
        &mut self,
        dst: &mut ShortMessage,
        sm_length: u8,
    ) -> Result<(), DecodeError> {
        let len = usize::from(sm_length);
        if len > ShortMessage::MAX {
            return Err(self.error(Field::SmLength, ErrorKind::BadValue));
        }
        let bytes = self.take(len, Field::ShortMessage)?;
        dst.set(bytes);
        Ok(())
    }

    /// `sm_length` and `short_message`.
    #[inline]
    pub(crate) fn short_message(&mut self) -> Result<ShortMessage, DecodeError> {
        let len = self.u8(Field::SmLength)?;
        let mut sm = ShortMessage::EMPTY;
        self.short_message_into(&mut sm, len)?;
        Ok(sm)
    }

    /// One TLV header and its value, bounded by the body.
    #[inline]
    pub(crate) fn tlv(&mut self) -> Result<(u16, &'a [u8]), DecodeError> {
        let Some((&[t0, t1, l0, l1], rest)) = self.rest.split_first_chunk::<4>() else {
            return Err(self.error(Field::TlvStream, ErrorKind::Truncated));
        };
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if len > rest.len() {
            return Err(self.error(Field::TlvStream, ErrorKind::Truncated));
        }
        let (value, rest) = rest.split_at(len);
        self.rest = rest;
        Ok((u16::from_be_bytes([t0, t1]), value))
    }

    /// Whatever is left.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }
}
