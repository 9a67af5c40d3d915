//! The SMPP 3.4 wire codec.
//!
//! A [`Pdu`] is a header (sequence number, status) and a [`Body`], one
//! variant per operation. Decoding takes one whole frame (see [`Framer`])
//! and is total: any input gives a `Pdu` or a [`DecodeError`] that names the
//! bad field and the status to answer with. Unknown command ids and TLV tags
//! are kept byte-exact. Encoding appends to a caller-owned `Vec<u8>`.
//!
//! ```
//! use smpp::pdu::{Address, Body, Pdu, ShortMessage, SubmitSm};
//!
//! let submit = SubmitSm {
//!     source: Address::new(5, 0, "Shop").unwrap(),
//!     dest: Address::new(1, 1, "447700900123").unwrap(),
//!     registered_delivery: 1,
//!     short_message: ShortMessage::new(b"Your order shipped").unwrap(),
//!     ..SubmitSm::default()
//! };
//! let mut wire = Vec::new();
//! Pdu::new(1, Body::SubmitSm(submit)).encode(&mut wire).unwrap();
//! let back = Pdu::decode(&wire).unwrap();
//! assert_eq!(back.sequence, 1);
//! ```
//!
//! Responses with a non-zero status are sent header-only (5.0 §3.2.1.3);
//! when one arrives with a body anyway, the body is ignored, as Wireshark
//! does.

mod ancillary;
mod bind;
mod command_id;
mod data_coding;
mod error;
mod fields;
mod frame;
mod message;
mod reader;
mod status;
mod tlv;
mod wire_enum;
mod writer;

pub use ancillary::{AlertNotification, CancelSm, QuerySm, QuerySmResp, ReplaceSm};
pub use bind::{Bind, BindResp, Outbind};
pub use command_id::CommandId;
pub use data_coding::DataCoding;
pub use error::{DecodeError, EncodeError, ErrorKind, Field};
pub use fields::{Address, COctet, FieldError, ShortMessage, TimeString};
pub use frame::{frame_len, FrameError, Framer, DEFAULT_MAX_PDU_LEN};
pub use message::{
    DataSm, DeliverSm, DestAddress, MessageIdResp, SubmitMulti, SubmitMultiResp, SubmitSm,
    UnsuccessSme, ESM_TYPE_MASK, ESM_TYPE_RECEIPT, ESM_UDHI,
};
pub use status::CommandStatus;
pub use tlv::{Tlv, TlvKind, TlvTag, TlvValue, Tlvs};

use reader::Reader;

/// Octets in the PDU header.
pub const HEADER_LEN: usize = 16;

/// The interface version this crate speaks.
pub const SMPP_VERSION_34: u8 = 0x34;

/// The four header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Length of the whole PDU.
    pub command_length: u32,
    /// The operation.
    pub command_id: CommandId,
    /// The outcome (responses only).
    pub status: CommandStatus,
    /// Matches a response to its request.
    pub sequence: u32,
}

impl Header {
    /// Reads the header from the first 16 octets, if there are 16.
    pub fn parse(buf: &[u8]) -> Option<Header> {
        let word = |i: usize| -> Option<u32> {
            let b = buf.get(i..i + 4)?;
            Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        };
        Some(Header {
            command_length: word(0)?,
            command_id: CommandId::from(word(4)?),
            status: CommandStatus::from(word(8)?),
            sequence: word(12)?,
        })
    }
}

/// The body of a PDU: one variant per operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Body {
    /// `generic_nack`.
    GenericNack,
    /// `bind_receiver`.
    BindReceiver(Bind),
    /// `bind_receiver_resp`.
    BindReceiverResp(BindResp),
    /// `bind_transmitter`.
    BindTransmitter(Bind),
    /// `bind_transmitter_resp`.
    BindTransmitterResp(BindResp),
    /// `bind_transceiver`.
    BindTransceiver(Bind),
    /// `bind_transceiver_resp`.
    BindTransceiverResp(BindResp),
    /// `outbind`.
    Outbind(Outbind),
    /// `unbind`.
    Unbind,
    /// `unbind_resp`.
    UnbindResp,
    /// `submit_sm`.
    SubmitSm(SubmitSm),
    /// `submit_sm_resp`.
    SubmitSmResp(MessageIdResp),
    /// `submit_multi`.
    SubmitMulti(SubmitMulti),
    /// `submit_multi_resp`.
    SubmitMultiResp(SubmitMultiResp),
    /// `deliver_sm`.
    DeliverSm(DeliverSm),
    /// `deliver_sm_resp`.
    DeliverSmResp(MessageIdResp),
    /// `data_sm`.
    DataSm(DataSm),
    /// `data_sm_resp`.
    DataSmResp(MessageIdResp),
    /// `query_sm`.
    QuerySm(QuerySm),
    /// `query_sm_resp`.
    QuerySmResp(QuerySmResp),
    /// `cancel_sm`.
    CancelSm(CancelSm),
    /// `cancel_sm_resp`.
    CancelSmResp,
    /// `replace_sm`.
    ReplaceSm(ReplaceSm),
    /// `replace_sm_resp`.
    ReplaceSmResp,
    /// `enquire_link`.
    EnquireLink,
    /// `enquire_link_resp`.
    EnquireLinkResp,
    /// `alert_notification`.
    AlertNotification(AlertNotification),
    /// A command id this crate does not know, with its body as received.
    Unknown {
        /// The raw command id.
        command_id: u32,
        /// The raw body.
        body: Vec<u8>,
    },
}

impl Body {
    /// The command id this body goes out with.
    pub fn command_id(&self) -> CommandId {
        use CommandId as C;
        match self {
            Body::GenericNack => C::GenericNack,
            Body::BindReceiver(_) => C::BindReceiver,
            Body::BindReceiverResp(_) => C::BindReceiverResp,
            Body::BindTransmitter(_) => C::BindTransmitter,
            Body::BindTransmitterResp(_) => C::BindTransmitterResp,
            Body::BindTransceiver(_) => C::BindTransceiver,
            Body::BindTransceiverResp(_) => C::BindTransceiverResp,
            Body::Outbind(_) => C::Outbind,
            Body::Unbind => C::Unbind,
            Body::UnbindResp => C::UnbindResp,
            Body::SubmitSm(_) => C::SubmitSm,
            Body::SubmitSmResp(_) => C::SubmitSmResp,
            Body::SubmitMulti(_) => C::SubmitMulti,
            Body::SubmitMultiResp(_) => C::SubmitMultiResp,
            Body::DeliverSm(_) => C::DeliverSm,
            Body::DeliverSmResp(_) => C::DeliverSmResp,
            Body::DataSm(_) => C::DataSm,
            Body::DataSmResp(_) => C::DataSmResp,
            Body::QuerySm(_) => C::QuerySm,
            Body::QuerySmResp(_) => C::QuerySmResp,
            Body::CancelSm(_) => C::CancelSm,
            Body::CancelSmResp => C::CancelSmResp,
            Body::ReplaceSm(_) => C::ReplaceSm,
            Body::ReplaceSmResp => C::ReplaceSmResp,
            Body::EnquireLink => C::EnquireLink,
            Body::EnquireLinkResp => C::EnquireLinkResp,
            Body::AlertNotification(_) => C::AlertNotification,
            Body::Unknown { command_id, .. } => C::from(*command_id),
        }
    }

    /// The body of a response to `request` that carries no data: what an
    /// error response holds, and what the header-only responses always hold.
    /// `None` for ids that have no response (or are responses).
    pub fn empty_response(request: CommandId) -> Option<Body> {
        Self::empty(request.response()?)
    }

    /// The empty body of a known response id.
    fn empty(id: CommandId) -> Option<Body> {
        use CommandId as C;
        Some(match id {
            C::GenericNack => Body::GenericNack,
            C::BindReceiverResp => Body::BindReceiverResp(BindResp::default()),
            C::BindTransmitterResp => Body::BindTransmitterResp(BindResp::default()),
            C::BindTransceiverResp => Body::BindTransceiverResp(BindResp::default()),
            C::UnbindResp => Body::UnbindResp,
            C::SubmitSmResp => Body::SubmitSmResp(MessageIdResp::default()),
            C::SubmitMultiResp => Body::SubmitMultiResp(SubmitMultiResp::default()),
            C::DeliverSmResp => Body::DeliverSmResp(MessageIdResp::default()),
            C::DataSmResp => Body::DataSmResp(MessageIdResp::default()),
            C::QuerySmResp => Body::QuerySmResp(QuerySmResp::default()),
            C::CancelSmResp => Body::CancelSmResp,
            C::ReplaceSmResp => Body::ReplaceSmResp,
            C::EnquireLinkResp => Body::EnquireLinkResp,
            _ => return None,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Body::GenericNack
            | Body::Unbind
            | Body::UnbindResp
            | Body::CancelSmResp
            | Body::ReplaceSmResp
            | Body::EnquireLink
            | Body::EnquireLinkResp => Ok(()),
            Body::BindReceiver(b) | Body::BindTransmitter(b) | Body::BindTransceiver(b) => {
                b.encode(out);
                Ok(())
            }
            Body::BindReceiverResp(b)
            | Body::BindTransmitterResp(b)
            | Body::BindTransceiverResp(b) => b.encode(out),
            Body::Outbind(b) => {
                b.encode(out);
                Ok(())
            }
            Body::SubmitSm(b) | Body::DeliverSm(b) => {
                out.reserve(b.wire_len());
                b.encode(out)
            }
            Body::SubmitSmResp(b) | Body::DeliverSmResp(b) | Body::DataSmResp(b) => b.encode(out),
            Body::SubmitMulti(b) => b.encode(out),
            Body::SubmitMultiResp(b) => b.encode(out),
            Body::DataSm(b) => b.encode(out),
            Body::QuerySm(b) => b.encode(out),
            Body::QuerySmResp(b) => b.encode(out),
            Body::CancelSm(b) => b.encode(out),
            Body::ReplaceSm(b) => b.encode(out),
            Body::AlertNotification(b) => b.encode(out),
            Body::Unknown { body, .. } => {
                out.extend_from_slice(body);
                Ok(())
            }
        }
    }
}

/// One PDU: header fields and body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu {
    /// The sequence number (1..=0x7FFFFFFF; a response echoes its request's).
    pub sequence: u32,
    /// The status: 0 in requests.
    pub status: CommandStatus,
    /// The operation and its fields.
    pub body: Body,
}

impl Pdu {
    /// A PDU with status 0.
    pub fn new(sequence: u32, body: Body) -> Pdu {
        Pdu {
            sequence,
            status: CommandStatus::Ok,
            body,
        }
    }

    /// A body-less response to `request` with the given status: what a
    /// refused request gets. `generic_nack` for ids that have no response of
    /// their own (unknown ids, or a response that needs a nack).
    pub fn error_response(request: CommandId, sequence: u32, status: CommandStatus) -> Pdu {
        let body = Body::empty_response(request).unwrap_or(Body::GenericNack);
        Pdu {
            sequence,
            status,
            body,
        }
    }

    /// The command id.
    pub fn command_id(&self) -> CommandId {
        self.body.command_id()
    }

    /// Whether the body goes on the wire: a known response with a non-zero
    /// status goes header-only.
    fn sends_body(&self) -> bool {
        !(self.status != CommandStatus::Ok
            && self.command_id().is_response()
            && !matches!(self.body, Body::Unknown { .. }))
    }

    /// Decodes one whole PDU, header included (`frame.len()` must equal
    /// its `command_length`, as [`Framer`] guarantees).
    pub fn decode(frame: &[u8]) -> Result<Pdu, DecodeError> {
        let mut pdu = Pdu::new(0, Body::GenericNack);
        Pdu::decode_into(frame, &mut pdu).map(|()| pdu)
    }

    /// [`Pdu::decode`] into `out`, which is overwritten whole (after an
    /// error it holds some PDU, not the one decoded). The PDU is built
    /// where `out` is: a caller that keeps PDUs in place (the back of a
    /// queue, say) never moves one (a submit_sm's is 500 bytes).
    pub fn decode_into(frame: &[u8], out: &mut Pdu) -> Result<(), DecodeError> {
        let (header, mut r) = Pdu::checked_header(frame)?;
        // submit_sm and deliver_sm, the bulk of the traffic, start as a
        // constant empty PDU and are filled in place.
        match header.command_id {
            CommandId::SubmitSm => *out = Pdu::EMPTY_SUBMIT,
            CommandId::DeliverSm => *out = Pdu::EMPTY_DELIVER,
            id => return Pdu::decode_other(id, header.sequence, header.status, &mut r, out),
        }
        out.sequence = header.sequence;
        out.status = header.status;
        match &mut out.body {
            Body::SubmitSm(b) | Body::DeliverSm(b) => b.decode_into(&mut r),
            _ => Ok(()),
        }
    }

    const EMPTY_SUBMIT: Pdu = Pdu {
        sequence: 0,
        status: CommandStatus::Ok,
        body: Body::SubmitSm(SubmitSm::EMPTY),
    };

    const EMPTY_DELIVER: Pdu = Pdu {
        sequence: 0,
        status: CommandStatus::Ok,
        body: Body::DeliverSm(SubmitSm::EMPTY),
    };

    /// The header of a whole frame, checked against its length, and a
    /// reader of the body.
    fn checked_header(frame: &[u8]) -> Result<(Header, Reader<'_>), DecodeError> {
        let header = Header::parse(frame).ok_or(DecodeError {
            command_id: 0,
            sequence: 0,
            field: Field::CommandLength,
            kind: ErrorKind::Truncated,
        })?;
        let raw_id = u32::from(header.command_id);
        if header.command_length as usize != frame.len() {
            return Err(DecodeError {
                command_id: raw_id,
                sequence: header.sequence,
                field: Field::CommandLength,
                kind: ErrorKind::BadLength,
            });
        }
        let r = Reader::new(&frame[HEADER_LEN..], raw_id, header.sequence);
        Ok((header, r))
    }

    /// [`Pdu::decode_into`] of the other bodies. Each arm builds its PDU in
    /// `out`: a `Body` built first and then moved would be copied whole
    /// (the size of the largest body) whatever its variant.
    #[inline(never)]
    fn decode_other(
        id: CommandId,
        sequence: u32,
        status: CommandStatus,
        r: &mut Reader<'_>,
        out: &mut Pdu,
    ) -> Result<(), DecodeError> {
        use CommandId as C;
        macro_rules! pdu {
            ($body:expr) => {{
                *out = Pdu {
                    sequence,
                    status,
                    body: $body,
                };
                Ok(())
            }};
        }
        // A known response with a non-zero status is header-only: its body,
        // if any, is ignored (see Body::empty).
        let header_only = !status.is_ok() && id.is_response();
        match id {
            C::GenericNack => pdu!(Body::GenericNack),
            C::BindReceiver => pdu!(Body::BindReceiver(Bind::decode(r)?)),
            C::BindTransmitter => pdu!(Body::BindTransmitter(Bind::decode(r)?)),
            C::BindTransceiver => pdu!(Body::BindTransceiver(Bind::decode(r)?)),
            C::BindReceiverResp if header_only => pdu!(Body::BindReceiverResp(BindResp::default())),
            C::BindReceiverResp => pdu!(Body::BindReceiverResp(BindResp::decode(r)?)),
            C::BindTransmitterResp if header_only => {
                pdu!(Body::BindTransmitterResp(BindResp::default()))
            }
            C::BindTransmitterResp => pdu!(Body::BindTransmitterResp(BindResp::decode(r)?)),
            C::BindTransceiverResp if header_only => {
                pdu!(Body::BindTransceiverResp(BindResp::default()))
            }
            C::BindTransceiverResp => pdu!(Body::BindTransceiverResp(BindResp::decode(r)?)),
            C::Outbind => pdu!(Body::Outbind(Outbind::decode(r)?)),
            C::Unbind => pdu!(Body::Unbind),
            C::UnbindResp => pdu!(Body::UnbindResp),
            // Decoded in place by Pdu::decode_into; here for completeness.
            C::SubmitSm => pdu!(Body::SubmitSm(SubmitSm::decode(r)?)),
            C::DeliverSm => pdu!(Body::DeliverSm(SubmitSm::decode(r)?)),
            C::SubmitSmResp if header_only => pdu!(Body::SubmitSmResp(MessageIdResp::default())),
            C::SubmitSmResp => pdu!(Body::SubmitSmResp(MessageIdResp::decode(r)?)),
            C::SubmitMulti => pdu!(Body::SubmitMulti(SubmitMulti::decode(r)?)),
            C::SubmitMultiResp if header_only => {
                pdu!(Body::SubmitMultiResp(SubmitMultiResp::default()))
            }
            C::SubmitMultiResp => pdu!(Body::SubmitMultiResp(SubmitMultiResp::decode(r)?)),
            C::DeliverSmResp if header_only => pdu!(Body::DeliverSmResp(MessageIdResp::default())),
            C::DeliverSmResp => pdu!(Body::DeliverSmResp(MessageIdResp::decode(r)?)),
            C::DataSm => pdu!(Body::DataSm(DataSm::decode(r)?)),
            C::DataSmResp if header_only => pdu!(Body::DataSmResp(MessageIdResp::default())),
            C::DataSmResp => pdu!(Body::DataSmResp(MessageIdResp::decode(r)?)),
            C::QuerySm => pdu!(Body::QuerySm(QuerySm::decode(r)?)),
            C::QuerySmResp if header_only => pdu!(Body::QuerySmResp(QuerySmResp::default())),
            C::QuerySmResp => pdu!(Body::QuerySmResp(QuerySmResp::decode(r)?)),
            C::CancelSm => pdu!(Body::CancelSm(CancelSm::decode(r)?)),
            C::CancelSmResp => pdu!(Body::CancelSmResp),
            C::ReplaceSm => pdu!(Body::ReplaceSm(ReplaceSm::decode(r)?)),
            C::ReplaceSmResp => pdu!(Body::ReplaceSmResp),
            C::EnquireLink => pdu!(Body::EnquireLink),
            C::EnquireLinkResp => pdu!(Body::EnquireLinkResp),
            C::AlertNotification => pdu!(Body::AlertNotification(AlertNotification::decode(r)?)),
            C::Unknown(command_id) => pdu!(Body::Unknown {
                command_id,
                body: r.rest().to_vec(),
            }),
        }
    }

    /// Appends the encoded PDU to `out`; returns its length.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<usize, EncodeError> {
        let body = self.sends_body().then_some(&self.body);
        encode_parts(self.command_id(), self.status, self.sequence, body, out)
    }

    /// Appends a request (status 0) with this sequence number and body,
    /// as `Pdu::new(sequence, body).encode(out)` would, without moving the
    /// body into a PDU first. A response with status 0 is written the
    /// same way.
    pub fn encode_request(
        sequence: u32,
        body: &Body,
        out: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        encode_parts(
            body.command_id(),
            CommandStatus::Ok,
            sequence,
            Some(body),
            out,
        )
    }

    /// The encoded PDU in a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode(&mut out)?;
        Ok(out)
    }
}

/// Appends the header and, if given, the body; the length goes in last.
/// On error `out` is as it was.
fn encode_parts(
    command_id: CommandId,
    status: CommandStatus,
    sequence: u32,
    body: Option<&Body>,
    out: &mut Vec<u8>,
) -> Result<usize, EncodeError> {
    let start = out.len();
    // The header in one piece (its length is filled in last).
    let mut header = [0; HEADER_LEN];
    header[4..8].copy_from_slice(&u32::from(command_id).to_be_bytes());
    header[8..12].copy_from_slice(&u32::from(status).to_be_bytes());
    header[12..16].copy_from_slice(&sequence.to_be_bytes());
    out.extend_from_slice(&header);
    if let Some(body) = body {
        if let Err(e) = body.encode(out) {
            out.truncate(start);
            return Err(e);
        }
    }
    let len = out.len() - start;
    let Ok(len32) = u32::try_from(len) else {
        out.truncate(start);
        return Err(EncodeError::TooLong);
    };
    out[start..start + 4].copy_from_slice(&len32.to_be_bytes());
    Ok(len)
}
