//! Decode and encode errors. A decode error names the field that was wrong
//! and maps to the `command_status` the peer must be answered with.

use super::status::CommandStatus;
use std::fmt;

/// A field of a PDU, as named in the spec. Decode errors carry one so that a
/// log line says exactly what was wrong, and so that the right status goes
/// back to the peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // the variants are the spec's field names
pub enum Field {
    CommandLength,
    SystemId,
    Password,
    SystemType,
    InterfaceVersion,
    AddrTon,
    AddrNpi,
    AddressRange,
    ServiceType,
    SourceAddrTon,
    SourceAddrNpi,
    SourceAddr,
    DestAddrTon,
    DestAddrNpi,
    DestinationAddr,
    EsmAddrTon,
    EsmAddrNpi,
    EsmAddr,
    NumberOfDests,
    DestFlag,
    DlName,
    EsmClass,
    ProtocolId,
    PriorityFlag,
    ScheduleDeliveryTime,
    ValidityPeriod,
    RegisteredDelivery,
    ReplaceIfPresentFlag,
    DataCoding,
    SmDefaultMsgId,
    SmLength,
    ShortMessage,
    MessageId,
    NoUnsuccess,
    ErrorStatusCode,
    FinalDate,
    MessageState,
    ErrorCode,
    /// The TLV part as a whole: a partial TLV header or a length that runs
    /// past the end of the PDU.
    TlvStream,
    /// One TLV, by tag: its length does not fit the tag's type.
    Tlv(u16),
    /// A TLV the PDU must carry (message_payload in data_sm).
    MissingTlv(u16),
}

impl Field {
    /// The spec's name of the field.
    pub fn name(self) -> &'static str {
        use Field::*;
        match self {
            CommandLength => "command_length",
            SystemId => "system_id",
            Password => "password",
            SystemType => "system_type",
            InterfaceVersion => "interface_version",
            AddrTon => "addr_ton",
            AddrNpi => "addr_npi",
            AddressRange => "address_range",
            ServiceType => "service_type",
            SourceAddrTon => "source_addr_ton",
            SourceAddrNpi => "source_addr_npi",
            SourceAddr => "source_addr",
            DestAddrTon => "dest_addr_ton",
            DestAddrNpi => "dest_addr_npi",
            DestinationAddr => "destination_addr",
            EsmAddrTon => "esme_addr_ton",
            EsmAddrNpi => "esme_addr_npi",
            EsmAddr => "esme_addr",
            NumberOfDests => "number_of_dests",
            DestFlag => "dest_flag",
            DlName => "dl_name",
            EsmClass => "esm_class",
            ProtocolId => "protocol_id",
            PriorityFlag => "priority_flag",
            ScheduleDeliveryTime => "schedule_delivery_time",
            ValidityPeriod => "validity_period",
            RegisteredDelivery => "registered_delivery",
            ReplaceIfPresentFlag => "replace_if_present_flag",
            DataCoding => "data_coding",
            SmDefaultMsgId => "sm_default_msg_id",
            SmLength => "sm_length",
            ShortMessage => "short_message",
            MessageId => "message_id",
            NoUnsuccess => "no_unsuccess",
            ErrorStatusCode => "error_status_code",
            FinalDate => "final_date",
            MessageState => "message_state",
            ErrorCode => "error_code",
            TlvStream => "TLV stream",
            Tlv(_) => "TLV",
            MissingTlv(_) => "mandatory TLV",
        }
    }

    /// The status that answers a request whose C-Octet string or value in
    /// this field was invalid (3.4 §5.1.3; 5.0 §4.7.6).
    pub fn status(self) -> CommandStatus {
        use Field::*;
        match self {
            CommandLength => CommandStatus::InvCmdLen,
            SystemId => CommandStatus::InvSysId,
            Password => CommandStatus::InvPaswd,
            SystemType => CommandStatus::InvSysTyp,
            AddressRange | InterfaceVersion | AddrTon | AddrNpi => CommandStatus::BindFail,
            ServiceType => CommandStatus::InvSerTyp,
            SourceAddrTon => CommandStatus::InvSrcTon,
            SourceAddrNpi => CommandStatus::InvSrcNpi,
            SourceAddr | EsmAddr | EsmAddrTon | EsmAddrNpi => CommandStatus::InvSrcAdr,
            DestAddrTon => CommandStatus::InvDstTon,
            DestAddrNpi => CommandStatus::InvDstNpi,
            DestinationAddr => CommandStatus::InvDstAdr,
            NumberOfDests => CommandStatus::InvNumDests,
            DestFlag => CommandStatus::InvDestFlag,
            DlName => CommandStatus::InvDlName,
            EsmClass => CommandStatus::InvEsmClass,
            PriorityFlag => CommandStatus::InvPrtFlg,
            ScheduleDeliveryTime => CommandStatus::InvSched,
            ValidityPeriod => CommandStatus::InvExpiry,
            RegisteredDelivery => CommandStatus::InvRegDlvFlg,
            ReplaceIfPresentFlag => CommandStatus::InvRepFlag,
            SmDefaultMsgId => CommandStatus::InvDftMsgId,
            SmLength | ShortMessage => CommandStatus::InvMsgLen,
            MessageId => CommandStatus::InvMsgId,
            ProtocolId | DataCoding | NoUnsuccess | ErrorStatusCode | FinalDate | MessageState
            | ErrorCode => CommandStatus::InvCmdLen,
            TlvStream => CommandStatus::InvOptParStream,
            Tlv(_) => CommandStatus::InvParLen,
            MissingTlv(_) => CommandStatus::MissingOptParam,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Tlv(tag) | Field::MissingTlv(tag) => write!(f, "{} 0x{tag:04X}", self.name()),
            _ => f.write_str(self.name()),
        }
    }
}

/// What was wrong with a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The PDU ends before the field does: the body is shorter than its
    /// mandatory fields. Answered with ESME_RINVCMDLEN.
    Truncated,
    /// A C-Octet string longer than its maximum, or with no NUL before the
    /// maximum.
    TooLong,
    /// A length that does not fit the field (a time that is not 0 or 16
    /// characters, a TLV whose length does not fit its type).
    BadLength,
    /// A value outside the field's range or format.
    BadValue,
    /// A mandatory TLV is missing.
    Missing,
}

/// A PDU whose frame was complete but whose body could not be decoded.
///
/// It keeps the header, so the caller can answer the request with its own
/// `*_resp` (or a `generic_nack`) echoing the sequence number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DecodeError {
    /// The header's command_id, as read.
    pub command_id: u32,
    /// The header's sequence_number, as read.
    pub sequence: u32,
    /// The field that was wrong.
    pub field: Field,
    /// What was wrong with it.
    pub kind: ErrorKind,
}

impl DecodeError {
    /// The status to answer the PDU with.
    pub fn status(&self) -> CommandStatus {
        match (self.kind, self.field) {
            // sm_length promises more octets than the PDU holds: the
            // message length is what is wrong.
            (ErrorKind::Truncated, Field::ShortMessage) => CommandStatus::InvMsgLen,
            (ErrorKind::Truncated, f) if f != Field::TlvStream => CommandStatus::InvCmdLen,
            _ => self.field.status(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ErrorKind::Truncated => "runs past the end of the PDU",
            ErrorKind::TooLong => "is too long or not NUL-terminated",
            ErrorKind::BadLength => "has an invalid length",
            ErrorKind::BadValue => "has an invalid value",
            ErrorKind::Missing => "is missing",
        };
        write!(
            f,
            "{} (sequence {}): {} {what}; answer {}",
            super::CommandId::from(self.command_id),
            self.sequence,
            self.field,
            self.status()
        )
    }
}

impl std::error::Error for DecodeError {}

/// A PDU value that cannot be put on the wire as it stands: the type system
/// bounds most fields, these are the ones held in growable containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EncodeError {
    /// `submit_multi` needs 1 to 255 destinations.
    DestinationCount(usize),
    /// `submit_multi_resp` lists at most 255 failed destinations.
    UnsuccessCount(usize),
    /// A TLV value longer than its tag allows (at most 65535 octets).
    TlvLength {
        /// The TLV's tag.
        tag: u16,
        /// The value's length.
        len: usize,
    },
    /// A TLV value whose type does not match its tag (an integer for a
    /// string tag, say).
    TlvType {
        /// The TLV's tag.
        tag: u16,
    },
    /// The encoded PDU would be longer than `u32::MAX` octets.
    TooLong,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::DestinationCount(n) => {
                write!(f, "submit_multi needs 1 to 255 destinations, not {n}")
            }
            EncodeError::UnsuccessCount(n) => {
                write!(f, "submit_multi_resp lists at most 255 failures, not {n}")
            }
            EncodeError::TlvLength { tag, len } => {
                write!(f, "TLV 0x{tag:04X}: a value of {len} octets does not fit")
            }
            EncodeError::TlvType { tag } => {
                write!(
                    f,
                    "TLV 0x{tag:04X}: the value's type does not match the tag"
                )
            }
            EncodeError::TooLong => f.write_str("the PDU would exceed 4 GiB"),
        }
    }
}

impl std::error::Error for EncodeError {}
