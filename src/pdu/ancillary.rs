//! Ancillary bodies: query_sm, cancel_sm, replace_sm and their responses,
//! and alert_notification.

use super::error::{DecodeError, EncodeError, Field};
use super::fields::{Address, COctet, ShortMessage, TimeString};
use super::reader::Reader;
use super::tlv::Tlvs;
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
const ESME: [Field; 3] = [Field::EsmAddrTon, Field::EsmAddrNpi, Field::EsmAddr];

/// `query_sm` (3.4 §4.8): the state of a submitted message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuerySm {
    /// The SMSC's id of the message.
    pub message_id: COctet<65>,
    /// The originator given at submission.
    pub source: Address<21>,
    /// Optional parameters (none in 3.4).
    pub tlvs: Tlvs,
}

impl QuerySm {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(QuerySm {
            message_id: r.cstr(Field::MessageId)?,
            source: r.address(SOURCE)?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.message_id);
        writer::address(out, &self.source);
        self.tlvs.encode(out)
    }
}

/// `query_sm_resp`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuerySmResp {
    /// The id that was queried.
    pub message_id: COctet<65>,
    /// When the message reached a final state (empty if not yet).
    pub final_date: TimeString,
    /// The message state (see [`crate::receipt`]).
    pub message_state: u8,
    /// Network error code.
    pub error_code: u8,
    /// Optional parameters (none in 3.4).
    pub tlvs: Tlvs,
}

impl QuerySmResp {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(QuerySmResp {
            message_id: r.cstr(Field::MessageId)?,
            final_date: r.time(Field::FinalDate)?,
            message_state: r.u8(Field::MessageState)?,
            error_code: r.u8(Field::ErrorCode)?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.message_id);
        writer::time(out, &self.final_date);
        out.extend_from_slice(&[self.message_state, self.error_code]);
        self.tlvs.encode(out)
    }
}

/// `cancel_sm` (3.4 §4.9): cancel one pending message, or (empty
/// `message_id`) every pending message between the two addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CancelSm {
    /// Service type.
    pub service_type: COctet<6>,
    /// The message to cancel, or empty for all matching.
    pub message_id: COctet<65>,
    /// The originator.
    pub source: Address<21>,
    /// The recipient.
    pub dest: Address<21>,
    /// Optional parameters (none in 3.4).
    pub tlvs: Tlvs,
}

impl CancelSm {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CancelSm {
            service_type: r.cstr(Field::ServiceType)?,
            message_id: r.cstr(Field::MessageId)?,
            source: r.address(SOURCE)?,
            dest: r.address(DEST)?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.service_type);
        writer::cstr(out, &self.message_id);
        writer::address(out, &self.source);
        writer::address(out, &self.dest);
        self.tlvs.encode(out)
    }
}

/// `replace_sm` (3.4 §4.10): replace a pending message's text and times.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplaceSm {
    /// The message to replace.
    pub message_id: COctet<65>,
    /// Its originator.
    pub source: Address<21>,
    /// New schedule (empty: keep).
    pub schedule_delivery_time: TimeString,
    /// New validity (empty: keep).
    pub validity_period: TimeString,
    /// New receipt request.
    pub registered_delivery: u8,
    /// Canned message index.
    pub sm_default_msg_id: u8,
    /// New user data.
    pub short_message: ShortMessage,
    /// Optional parameters (5.0: message_payload).
    pub tlvs: Tlvs,
}

impl ReplaceSm {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ReplaceSm {
            message_id: r.cstr(Field::MessageId)?,
            source: r.address(SOURCE)?,
            schedule_delivery_time: r.time(Field::ScheduleDeliveryTime)?,
            validity_period: r.time(Field::ValidityPeriod)?,
            registered_delivery: r.u8(Field::RegisteredDelivery)?,
            sm_default_msg_id: r.u8(Field::SmDefaultMsgId)?,
            short_message: r.short_message()?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::cstr(out, &self.message_id);
        writer::address(out, &self.source);
        writer::time(out, &self.schedule_delivery_time);
        writer::time(out, &self.validity_period);
        out.extend_from_slice(&[self.registered_delivery, self.sm_default_msg_id]);
        writer::short_message(out, &self.short_message);
        self.tlvs.encode(out)
    }
}

/// `alert_notification` (3.4 §4.12): a mobile became reachable. It has no
/// response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertNotification {
    /// The mobile that became available.
    pub source: Address<65>,
    /// The ESME that asked to be told.
    pub esme: Address<65>,
    /// Optional parameters (`ms_availability_status`).
    pub tlvs: Tlvs,
}

impl AlertNotification {
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(AlertNotification {
            source: r.address(SOURCE)?,
            esme: r.address(ESME)?,
            tlvs: Tlvs::decode(r)?,
        })
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        writer::address(out, &self.source);
        writer::address(out, &self.esme);
        self.tlvs.encode(out)
    }
}
