//! Framing: finding PDU boundaries in a TCP byte stream.
//!
//! A PDU starts with its `command_length`. The framer checks
//! `16 <= command_length <= max_pdu_len` as soon as the first four octets are
//! in, before any body is waited for, so a hostile length cannot make the
//! reader buffer megabytes. Too few bytes is not an error: it is
//! `Ok(None)`, "need more".

use super::HEADER_LEN;
use std::fmt;

/// The largest PDU accepted by default: 64 KiB, Wireshark's plausibility
/// limit, which leaves room for a full `message_payload`.
pub const DEFAULT_MAX_PDU_LEN: usize = 64 * 1024;

/// The stream cannot be framed: the `command_length` is impossible. The
/// stream is out of step from here on; answer generic_nack
/// ESME_RINVCMDLEN and close the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameError {
    /// The length that was read.
    pub command_length: u32,
    /// The largest length allowed.
    pub max_pdu_len: usize,
    /// The PDU's sequence number, when its whole header had arrived.
    pub sequence: Option<u32>,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "command_length {} is outside 16..={}",
            self.command_length, self.max_pdu_len
        )
    }
}

impl std::error::Error for FrameError {}

/// The length of the first PDU in `buf` if all of it is there, `Ok(None)`
/// if more bytes are needed, or an error if its `command_length` is
/// impossible.
#[inline]
pub fn frame_len(buf: &[u8], max_pdu_len: usize) -> Result<Option<usize>, FrameError> {
    let Some(head) = buf.get(..4) else {
        return Ok(None);
    };
    let command_length = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
    let len = command_length as usize;
    if len < HEADER_LEN || len > max_pdu_len {
        let sequence = buf
            .get(12..16)
            .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
        return Err(FrameError {
            command_length,
            max_pdu_len,
            sequence,
        });
    }
    Ok((buf.len() >= len).then_some(len))
}

/// Accumulates bytes from a stream and hands out whole PDUs.
///
/// ```
/// use smpp::pdu::{Framer, Pdu, Body};
///
/// let mut framer = Framer::new(smpp::pdu::DEFAULT_MAX_PDU_LEN);
/// let bytes = Pdu::new(7, Body::EnquireLink).to_bytes().unwrap();
/// framer.push(&bytes[..5]); // one PDU over two reads
/// assert!(framer.next_frame().unwrap().is_none());
/// framer.push(&bytes[5..]);
/// let frame = framer.next_frame().unwrap().unwrap();
/// assert_eq!(Pdu::decode(frame).unwrap().sequence, 7);
/// ```
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    start: usize,
    max_pdu_len: usize,
    failed: Option<FrameError>,
}

impl Framer {
    /// A framer that refuses PDUs longer than `max_pdu_len` octets.
    pub fn new(max_pdu_len: usize) -> Framer {
        Framer {
            buf: Vec::new(),
            start: 0,
            max_pdu_len,
            failed: None,
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        if self.start > 0 && (self.start == self.buf.len() || self.start >= self.buf.len() / 2) {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next whole PDU (header included), `Ok(None)` until one is
    /// complete, or the framing error, again on every later call.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let pending = &self.buf[self.start..];
        match frame_len(pending, self.max_pdu_len) {
            Ok(Some(len)) => {
                let begin = self.start;
                self.start += len;
                Ok(Some(&self.buf[begin..begin + len]))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    /// The next whole PDU of `input` (bytes just read), taken from `input`
    /// itself when no earlier bytes are pending, so the common case copies
    /// nothing; only a PDU split across reads is put together in the
    /// framer's buffer, from the bytes it lacks. `input` is advanced past
    /// what was used; call until `Ok(None)` (then all of `input` has been
    /// taken) or an error (as [`Framer::next_frame`]: again on every later
    /// call). The frames are those [`Framer::push`] then
    /// [`Framer::next_frame`] would give.
    ///
    /// ```
    /// use smpp::pdu::{Framer, Pdu, Body};
    ///
    /// let mut framer = Framer::new(smpp::pdu::DEFAULT_MAX_PDU_LEN);
    /// let bytes = Pdu::new(7, Body::EnquireLink).to_bytes().unwrap();
    /// let mut input = &bytes[..5];
    /// assert!(framer.next_frame_in(&mut input).unwrap().is_none());
    /// let mut input = &bytes[5..];
    /// let frame = framer.next_frame_in(&mut input).unwrap().unwrap();
    /// assert_eq!(Pdu::decode(frame).unwrap().sequence, 7);
    /// ```
    pub fn next_frame_in<'s, 'i: 's>(
        &'s mut self,
        input: &mut &'i [u8],
    ) -> Result<Option<&'s [u8]>, FrameError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        // A PDU begun in an earlier read: copy only what it lacks (first
        // the rest of its header, then the rest of its body).
        while self.buffered() > 0 && !input.is_empty() {
            let pending = &self.buf[self.start..];
            let want = if pending.len() < HEADER_LEN {
                HEADER_LEN - pending.len()
            } else {
                match frame_len(pending, self.max_pdu_len) {
                    Ok(None) => {
                        let len =
                            u32::from_be_bytes([pending[0], pending[1], pending[2], pending[3]]);
                        len as usize - pending.len()
                    }
                    // Whole, or impossible: next_frame says which.
                    Ok(Some(_)) | Err(_) => break,
                }
            };
            let (head, rest) = input.split_at(want.min(input.len()));
            self.push(head);
            *input = rest;
        }
        if self.buffered() > 0 {
            return self.next_frame();
        }
        match frame_len(input, self.max_pdu_len) {
            Ok(Some(len)) => {
                let (frame, rest) = input.split_at(len);
                *input = rest;
                Ok(Some(frame))
            }
            Ok(None) => {
                self.push(input);
                *input = &[];
                Ok(None)
            }
            Err(e) => {
                self.failed = Some(e);
                Err(e)
            }
        }
    }

    /// Bytes received and not yet handed out.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Frees the buffer's memory when nothing is pending (an idle session
    /// then holds no buffer at all).
    pub fn shrink(&mut self) {
        if self.buffered() == 0 {
            self.buf = Vec::new();
            self.start = 0;
        }
    }
}
