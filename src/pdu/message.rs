//! Message bodies: submit_sm and deliver_sm (one layout), data_sm,
//! submit_multi, and the responses that carry a message id.

use super::data_coding::DataCoding;
use super::error::{DecodeError, EncodeError, ErrorKind, Field};
use super::fields::{Address, COctet, ShortMessage, TimeString};
use super::reader::Reader;
use super::status::CommandStatus;
use super::tlv::{TlvTag, Tlvs};
use super::writer;

const SOURCE: [Field; 3] = [
    Field::SourceAddrTon,
    Field::SourceAddrNpi,
    Field::SourceAddr,
];
const DEST: [Field; 3] = [
    Field::DestAddrTon,
    Field::DestAddrNpi,
    Field::DestinationAddr,
];

/// `esm_class` bit: the user data starts with a User Data Header.
pub const ESM_UDHI: u8 = 0x40;
/// `esm_class` message-type mask.
pub const ESM_TYPE_MASK: u8 = 0x3C;
/// `esm_class` message type of an SMSC delivery receipt.
pub const ESM_TYPE_RECEIPT: u8 = 0x04;

/// `submit_sm` (3.4 §4.4) and `deliver_sm` (§4.6), which share one layout.
/// In a deliver_sm, `schedule_delivery_time`, `validity_period`,
/// `replace_if_present_flag` and `sm_default_msg_id` are unused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitSm {
    /// Service type ("" for the default).
    pub service_type: COctet<6>,
    /// Originator.
    pub source: Address<21>,
    /// Recipient.
    pub dest: Address<21>,
    /// Messaging mode, message type and GSM features (UDHI = 0x40).
    pub esm_class: u8,
    /// GSM protocol id.
    pub protocol_id: u8,
    /// Priority, 0 to 3.
    pub priority_flag: u8,
    /// When to deliver (empty: now).
    pub schedule_delivery_time: TimeString,
    /// When to give up (empty: the SMSC's default).
    pub validity_period: TimeString,
    /// Receipt request: 1 always, 2 on failure.
    pub registered_delivery: u8,
    /// Replace a pending message with the same addresses.
    pub replace_if_present_flag: u8,
    /// The alphabet of the user data (0 GSM, 3 Latin-1, 8 UCS-2, 4 binary).
    pub data_coding: DataCoding,
    /// Index of a canned message (0: none).
    pub sm_default_msg_id: u8,
    /// The user data (empty when it travels in `message_payload`).
    pub short_message: ShortMessage,
    /// Optional parameters.
    pub tlvs: Tlvs,
}

/// `deliver_sm` has the layout of `submit_sm`.
pub type DeliverSm = SubmitSm;

impl SubmitSm {
    /// The default value as a constant, for starting a decode in place.
    pub(crate) const EMPTY: SubmitSm = SubmitSm {
        service_type: COctet::EMPTY,
        source: Address::EMPTY,
        dest: Address::EMPTY,
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: TimeString::EMPTY,
        validity_period: TimeString::EMPTY,
        registered_delivery: 0,
        replace_if_present_flag: 0,
        data_coding: DataCoding::SmscDefault,
        sm_default_msg_id: 0,
        short_message: ShortMessage::EMPTY,
        tlvs: Tlvs::new(),
    };

    /// The user data: `short_message`, or `message_payload` when
    /// `short_message` is empty.
    pub fn payload(&self) -> &[u8] {
        match self.tlvs.message_payload() {
            Some(p) if self.short_message.is_empty() => p,
            _ => self.short_message.as_bytes(),
        }
    }

    /// An SMSC delivery receipt (`esm_class` message type 0x04).
    pub fn is_receipt(&self) -> bool {
        self.esm_class & ESM_TYPE_MASK == ESM_TYPE_RECEIPT
    }

    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let mut b = SubmitSm::default();
        b.decode_into(r)?;
        Ok(b)
    }

    /// Decodes into `self` (a default value) field by field, in wire order.
    /// On error `self` is left partly written and must be discarded.
    #[inline]
    pub(crate) fn decode_into(&mut self, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        r.cstr_into(&mut self.service_type, Field::ServiceType)?;
        r.address_into(&mut self.source, SOURCE)?;
        r.address_into(&mut self.dest, DEST)?;
        [self.esm_class, self.protocol_id, self.priority_flag] =
            r.u8s([Field::EsmClass, Field::ProtocolId, Field::PriorityFlag])?;
        r.time_into(
            &mut self.schedule_delivery_time,
            Field::ScheduleDeliveryTime,
        )?;
        r.time_into(&mut self.validity_period, Field::ValidityPeriod)?;
        let (sm_length, data_coding);
        [
            self.registered_delivery,
            self.replace_if_present_flag,
            data_coding,
            self.sm_default_msg_id,
            sm_length,
        ] = r.u8s([
            Field::RegisteredDelivery,
            Field::ReplaceIfPresentFlag,
            Field::DataCoding,
            Field::SmDefaultMsgId,
            Field::SmLength,
        ])?;
        self.data_coding = data_coding.into();
        r.short_message_into(&mut self.short_message, sm_length)?;
        self.tlvs.decode_into(r)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.service_type);
        writer::address(out, &self.source);
        writer::address(out, &self.dest);
        out.extend_from_slice(&[self.esm_class, self.protocol_id, self.priority_flag]);
        writer::time(out, &self.schedule_delivery_time);
        writer::time(out, &self.validity_period);
        out.extend_from_slice(&[
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding.into(),
            self.sm_default_msg_id,
        ]);
        writer::short_message(out, &self.short_message);
        self.tlvs.encode(out)
    }

    pub(crate) fn wire_len(&self) -> usize {
        self.service_type.wire_len()
            + 4
            + self.source.addr.wire_len()
            + self.dest.addr.wire_len()
            + 3
            + 34
            + 5
            + self.short_message.len()
            + self.tlvs.wire_len()
    }
}

/// `submit_sm_resp`, `deliver_sm_resp` and `data_sm_resp`: the message id
/// (empty in deliver_sm_resp) and, in 5.0, diagnostic TLVs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageIdResp {
    /// The SMSC's id for the message.
    pub message_id: COctet<65>,
    /// Optional parameters.
    pub tlvs: Tlvs,
}

impl MessageIdResp {
    /// A response carrying `message_id`.
    pub fn new(message_id: COctet<65>) -> Self {
        MessageIdResp {
            message_id,
            tlvs: Tlvs::new(),
        }
    }

    #[inline(always)]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        // deliver_sm_resp bodies are sometimes empty even on success.
        if r.is_empty() {
            return Ok(Self::default());
        }
        Ok(MessageIdResp {
            message_id: r.cstr(Field::MessageId)?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.message_id);
        self.tlvs.encode(out)
    }
}

/// `data_sm` (3.4 §4.7): addresses of up to 64 characters, user data in
/// the mandatory `message_payload` TLV.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataSm {
    /// Service type.
    pub service_type: COctet<6>,
    /// Originator.
    pub source: Address<65>,
    /// Recipient.
    pub dest: Address<65>,
    /// As in submit_sm.
    pub esm_class: u8,
    /// As in submit_sm.
    pub registered_delivery: u8,
    /// As in submit_sm.
    pub data_coding: DataCoding,
    /// Optional parameters; `message_payload` is required.
    pub tlvs: Tlvs,
}

impl DataSm {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let data_sm = DataSm {
            service_type: r.cstr(Field::ServiceType)?,
            source: r.address(SOURCE)?,
            dest: r.address(DEST)?,
            esm_class: r.u8(Field::EsmClass)?,
            registered_delivery: r.u8(Field::RegisteredDelivery)?,
            data_coding: r.u8(Field::DataCoding)?.into(),
            tlvs: Tlvs::decode(r)?,
        };
        if data_sm.tlvs.message_payload().is_none() {
            let tag = u16::from(TlvTag::MessagePayload);
            return Err(r.error(Field::MissingTlv(tag), ErrorKind::Missing));
        }
        Ok(data_sm)
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.service_type);
        writer::address(out, &self.source);
        writer::address(out, &self.dest);
        out.extend_from_slice(&[
            self.esm_class,
            self.registered_delivery,
            self.data_coding.into(),
        ]);
        self.tlvs.encode(out)
    }
}

/// One destination of a `submit_multi`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestAddress {
    /// `dest_flag` 1: an SME address.
    Sme(Address<21>),
    /// `dest_flag` 2: a distribution list held by the SMSC.
    DistributionList(COctet<21>),
}

/// `submit_multi` (3.4 §4.5): one message, 1 to 255 destinations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubmitMulti {
    /// Service type.
    pub service_type: COctet<6>,
    /// Originator.
    pub source: Address<21>,
    /// The destinations, 1 to 255.
    pub dests: Vec<DestAddress>,
    /// As in submit_sm.
    pub esm_class: u8,
    /// As in submit_sm.
    pub protocol_id: u8,
    /// As in submit_sm.
    pub priority_flag: u8,
    /// As in submit_sm.
    pub schedule_delivery_time: TimeString,
    /// As in submit_sm.
    pub validity_period: TimeString,
    /// As in submit_sm.
    pub registered_delivery: u8,
    /// As in submit_sm.
    pub replace_if_present_flag: u8,
    /// As in submit_sm.
    pub data_coding: DataCoding,
    /// As in submit_sm.
    pub sm_default_msg_id: u8,
    /// As in submit_sm.
    pub short_message: ShortMessage,
    /// Optional parameters.
    pub tlvs: Tlvs,
}

impl SubmitMulti {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let service_type = r.cstr(Field::ServiceType)?;
        let source = r.address(SOURCE)?;
        let count = r.u8(Field::NumberOfDests)?;
        if count == 0 {
            return Err(r.error(Field::NumberOfDests, ErrorKind::BadValue));
        }
        let mut dests = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            dests.push(match r.u8(Field::DestFlag)? {
                1 => DestAddress::Sme(r.address(DEST)?),
                2 => DestAddress::DistributionList(r.cstr(Field::DlName)?),
                _ => return Err(r.error(Field::DestFlag, ErrorKind::BadValue)),
            });
        }
        Ok(SubmitMulti {
            service_type,
            source,
            dests,
            esm_class: r.u8(Field::EsmClass)?,
            protocol_id: r.u8(Field::ProtocolId)?,
            priority_flag: r.u8(Field::PriorityFlag)?,
            schedule_delivery_time: r.time(Field::ScheduleDeliveryTime)?,
            validity_period: r.time(Field::ValidityPeriod)?,
            registered_delivery: r.u8(Field::RegisteredDelivery)?,
            replace_if_present_flag: r.u8(Field::ReplaceIfPresentFlag)?,
            data_coding: r.u8(Field::DataCoding)?.into(),
            sm_default_msg_id: r.u8(Field::SmDefaultMsgId)?,
            short_message: r.short_message()?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if !(1..=255).contains(&self.dests.len()) {
            return Err(EncodeError::DestinationCount(self.dests.len()));
        }
        writer::cstr(out, &self.service_type);
        writer::address(out, &self.source);
        out.push(self.dests.len() as u8);
        for dest in &self.dests {
            match dest {
                DestAddress::Sme(a) => {
                    out.push(1);
                    writer::address(out, a);
                }
                DestAddress::DistributionList(name) => {
                    out.push(2);
                    writer::cstr(out, name);
                }
            }
        }
        out.extend_from_slice(&[self.esm_class, self.protocol_id, self.priority_flag]);
        writer::time(out, &self.schedule_delivery_time);
        writer::time(out, &self.validity_period);
        out.extend_from_slice(&[
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding.into(),
            self.sm_default_msg_id,
        ]);
        writer::short_message(out, &self.short_message);
        self.tlvs.encode(out)
    }
}

/// A destination of a `submit_multi` that the SMSC refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsuccessSme {
    /// The destination.
    pub dest: Address<21>,
    /// Why it was refused.
    pub error_status: CommandStatus,
}

/// `submit_multi_resp`: the message id and the destinations that failed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitMultiResp {
    /// The SMSC's id for the message.
    pub message_id: COctet<65>,
    /// Destinations the SMSC refused (at most 255).
    pub unsuccess: Vec<UnsuccessSme>,
    /// Optional parameters.
    pub tlvs: Tlvs,
}

impl SubmitMultiResp {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let message_id = r.cstr(Field::MessageId)?;
        let count = r.u8(Field::NoUnsuccess)?;
        let mut unsuccess = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let dest = r.address(DEST)?;
            let error_status = CommandStatus::from(r.u32(Field::ErrorStatusCode)?);
            unsuccess.push(UnsuccessSme { dest, error_status });
        }
        Ok(SubmitMultiResp {
            message_id,
            unsuccess,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.unsuccess.len() > 255 {
            return Err(EncodeError::UnsuccessCount(self.unsuccess.len()));
        }
        writer::cstr(out, &self.message_id);
        out.push(self.unsuccess.len() as u8);
        for u in &self.unsuccess {
            writer::address(out, &u.dest);
            out.extend_from_slice(&u32::from(u.error_status).to_be_bytes());
        }
        self.tlvs.encode(out)
    }
}
