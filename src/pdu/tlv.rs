//! Optional parameters (TLVs): tag, length, value.
//!
//! Known tags are typed: [`TlvTag`] names them and [`TlvTag::kind`] says
//! what their value holds, which decoding checks (a `message_state` of two
//! octets is ESME_RINVPARLEN). Unknown tags are kept byte-exact as
//! [`TlvValue::Octets`], so a PDU relayed through this crate loses nothing.

use super::error::{DecodeError, EncodeError, ErrorKind, Field};
use super::fields::find_nul;
use super::reader::Reader;
use super::wire_enum::wire_enum;

wire_enum! {
    /// A TLV tag (3.4 §5.3.2, plus 5.0's `congestion_state`).
    pub enum TlvTag(u16) {
        /// Target sub-unit of the destination.
        DestAddrSubunit = 0x0005 => "dest_addr_subunit",
        /// Network type of the destination.
        DestNetworkType = 0x0006 => "dest_network_type",
        /// Bearer type of the destination.
        DestBearerType = 0x0007 => "dest_bearer_type",
        /// Telematics id of the destination.
        DestTelematicsId = 0x0008 => "dest_telematics_id",
        /// Sub-unit of the source.
        SourceAddrSubunit = 0x000D => "source_addr_subunit",
        /// Network type of the source.
        SourceNetworkType = 0x000E => "source_network_type",
        /// Bearer type of the source.
        SourceBearerType = 0x000F => "source_bearer_type",
        /// Telematics id of the source (1 or 2 octets: sources disagree).
        SourceTelematicsId = 0x0010 => "source_telematics_id",
        /// Seconds the SMSC should keep the message.
        QosTimeToLive = 0x0017 => "qos_time_to_live",
        /// WDP or WCMP payload.
        PayloadType = 0x0019 => "payload_type",
        /// Free-text diagnostic attached to a response.
        AdditionalStatusInfoText = 0x001D => "additional_status_info_text",
        /// The SMSC message id a receipt refers to.
        ReceiptedMessageId = 0x001E => "receipted_message_id",
        /// Message-waiting indication.
        MsMsgWaitFacilities = 0x0030 => "ms_msg_wait_facilities",
        /// Privacy level.
        PrivacyIndicator = 0x0201 => "privacy_indicator",
        /// Subaddress of the source.
        SourceSubaddress = 0x0202 => "source_subaddress",
        /// Subaddress of the destination.
        DestSubaddress = 0x0203 => "dest_subaddress",
        /// Reference assigned by the ESME.
        UserMessageReference = 0x0204 => "user_message_reference",
        /// Application response code.
        UserResponseCode = 0x0205 => "user_response_code",
        /// Application port at the source.
        SourcePort = 0x020A => "source_port",
        /// Application port at the destination.
        DestinationPort = 0x020B => "destination_port",
        /// Concatenation reference, the same in every segment.
        SarMsgRefNum = 0x020C => "sar_msg_ref_num",
        /// Language of the message.
        LanguageIndicator = 0x020D => "language_indicator",
        /// Number of segments.
        SarTotalSegments = 0x020E => "sar_total_segments",
        /// Segment number, from 1.
        SarSegmentSeqnum = 0x020F => "sar_segment_seqnum",
        /// The SMPP version the SMSC supports (in bind responses).
        ScInterfaceVersion = 0x0210 => "sc_interface_version",
        /// Presentation of the callback number.
        CallbackNumPresInd = 0x0302 => "callback_num_pres_ind",
        /// Alphanumeric tag of the callback number.
        CallbackNumAtag = 0x0303 => "callback_num_atag",
        /// Messages waiting in the mailbox.
        NumberOfMessages = 0x0304 => "number_of_messages",
        /// Callback number.
        CallbackNum = 0x0381 => "callback_num",
        /// Delivery-pending flag result.
        DpfResult = 0x0420 => "dpf_result",
        /// Ask for a delivery-pending flag.
        SetDpf = 0x0421 => "set_dpf",
        /// Availability of the mobile.
        MsAvailabilityStatus = 0x0422 => "ms_availability_status",
        /// Network type and error code.
        NetworkErrorCode = 0x0423 => "network_error_code",
        /// User data longer than short_message allows.
        MessagePayload = 0x0424 => "message_payload",
        /// Why delivery failed.
        DeliveryFailureReason = 0x0425 => "delivery_failure_reason",
        /// More messages follow.
        MoreMessagesToSend = 0x0426 => "more_messages_to_send",
        /// Message state (in receipts).
        MessageState = 0x0427 => "message_state",
        /// 5.0: how loaded the peer is, 0 to 100.
        CongestionState = 0x0428 => "congestion_state",
        /// USSD operation.
        UssdServiceOp = 0x0501 => "ussd_service_op",
        /// Display time.
        DisplayTime = 0x1201 => "display_time",
        /// TDMA alert signal.
        SmsSignal = 0x1203 => "sms_signal",
        /// Validity on the mobile.
        MsValidity = 0x1204 => "ms_validity",
        /// Alert the handset on delivery.
        AlertOnMessageDelivery = 0x130C => "alert_on_message_delivery",
        /// ITS reply type.
        ItsReplyType = 0x1380 => "its_reply_type",
        /// ITS session information.
        ItsSessionInfo = 0x1383 => "its_session_info",
    }
    other:
    /// A tag this crate does not know: its value is kept byte-exact.
    Unknown
}

/// What a tag's value holds on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlvKind {
    /// One octet.
    U8,
    /// Two octets, big-endian.
    U16,
    /// Four octets, big-endian.
    U32,
    /// A C-Octet string of at most `max` octets, NUL included.
    CStr {
        /// The maximum on the wire, NUL included.
        max: u16,
    },
    /// Raw octets, `min..=max` of them.
    Octets {
        /// Fewest octets.
        min: u16,
        /// Most octets.
        max: u16,
    },
}

impl TlvTag {
    /// The shape of this tag's value (3.4 §5.3.2; 5.0 §4.8.4 where 3.4 is
    /// silent). Unknown tags take any octets.
    pub fn kind(self) -> TlvKind {
        use TlvKind::*;
        use TlvTag::*;
        match self {
            DestAddrSubunit
            | DestNetworkType
            | DestBearerType
            | SourceAddrSubunit
            | SourceNetworkType
            | SourceBearerType
            | PayloadType
            | MsMsgWaitFacilities
            | PrivacyIndicator
            | UserResponseCode
            | LanguageIndicator
            | SarTotalSegments
            | SarSegmentSeqnum
            | ScInterfaceVersion
            | CallbackNumPresInd
            | NumberOfMessages
            | DpfResult
            | SetDpf
            | MsAvailabilityStatus
            | DeliveryFailureReason
            | MoreMessagesToSend
            | MessageState
            | CongestionState
            | UssdServiceOp
            | DisplayTime
            | ItsReplyType => U8,
            DestTelematicsId | UserMessageReference | SourcePort | DestinationPort
            | SarMsgRefNum | SmsSignal => U16,
            QosTimeToLive => U32,
            AdditionalStatusInfoText => CStr { max: 256 },
            ReceiptedMessageId => CStr { max: 65 },
            SourceTelematicsId => Octets { min: 1, max: 2 },
            SourceSubaddress | DestSubaddress => Octets { min: 2, max: 23 },
            CallbackNumAtag => Octets { min: 0, max: 65 },
            CallbackNum => Octets { min: 4, max: 19 },
            NetworkErrorCode => Octets { min: 3, max: 3 },
            MsValidity => Octets { min: 1, max: 4 },
            AlertOnMessageDelivery => Octets { min: 0, max: 1 },
            ItsSessionInfo => Octets { min: 2, max: 2 },
            MessagePayload | Unknown(_) => Octets {
                min: 0,
                max: u16::MAX,
            },
        }
    }
}

/// A TLV's value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum TlvValue {
    /// A one-octet integer.
    U8(u8),
    /// A two-octet integer.
    U16(u16),
    /// A four-octet integer.
    U32(u32),
    /// A C-Octet string's text, without the NUL.
    CStr(Vec<u8>),
    /// Raw octets.
    Octets(Vec<u8>),
}

impl std::fmt::Debug for TlvValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TlvValue::U8(v) => write!(f, "{v}"),
            TlvValue::U16(v) => write!(f, "{v}"),
            TlvValue::U32(v) => write!(f, "{v}"),
            TlvValue::CStr(v) => write!(f, "{:?}", String::from_utf8_lossy(v)),
            TlvValue::Octets(v) => write!(f, "{} octets", v.len()),
        }
    }
}

/// One optional parameter.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tlv {
    /// The tag.
    pub tag: TlvTag,
    /// The value; its variant must match `tag.kind()` to be encoded.
    pub value: TlvValue,
}

impl Tlv {
    /// A one-octet TLV.
    pub fn u8(tag: TlvTag, value: u8) -> Tlv {
        Tlv {
            tag,
            value: TlvValue::U8(value),
        }
    }

    /// A two-octet TLV.
    pub fn u16(tag: TlvTag, value: u16) -> Tlv {
        Tlv {
            tag,
            value: TlvValue::U16(value),
        }
    }

    /// A four-octet TLV.
    pub fn u32(tag: TlvTag, value: u32) -> Tlv {
        Tlv {
            tag,
            value: TlvValue::U32(value),
        }
    }

    /// A C-Octet string TLV (pass the text without the NUL).
    pub fn cstr(tag: TlvTag, text: impl Into<Vec<u8>>) -> Tlv {
        Tlv {
            tag,
            value: TlvValue::CStr(text.into()),
        }
    }

    /// An octet-string TLV.
    pub fn octets(tag: TlvTag, value: impl Into<Vec<u8>>) -> Tlv {
        Tlv {
            tag,
            value: TlvValue::Octets(value.into()),
        }
    }

    /// The value as an integer, whichever width it has.
    pub fn as_int(&self) -> Option<u32> {
        match self.value {
            TlvValue::U8(v) => Some(v.into()),
            TlvValue::U16(v) => Some(v.into()),
            TlvValue::U32(v) => Some(v),
            _ => None,
        }
    }

    /// The value as octets (a string's text without its NUL).
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match &self.value {
            TlvValue::CStr(v) | TlvValue::Octets(v) => Some(v),
            _ => None,
        }
    }

    fn value_len(&self) -> usize {
        match &self.value {
            TlvValue::U8(_) => 1,
            TlvValue::U16(_) => 2,
            TlvValue::U32(_) => 4,
            TlvValue::CStr(v) => v.len() + 1,
            TlvValue::Octets(v) => v.len(),
        }
    }

    /// Octets on the wire.
    pub(crate) fn wire_len(&self) -> usize {
        4 + self.value_len()
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let tag = u16::from(self.tag);
        let len = self.value_len();
        let fits = match (self.tag.kind(), &self.value) {
            (TlvKind::U8, TlvValue::U8(_))
            | (TlvKind::U16, TlvValue::U16(_))
            | (TlvKind::U32, TlvValue::U32(_)) => true,
            (TlvKind::CStr { max }, TlvValue::CStr(v)) => {
                if v.contains(&0) {
                    return Err(EncodeError::TlvType { tag });
                }
                len <= usize::from(max)
            }
            (TlvKind::Octets { min, max }, TlvValue::Octets(v)) => {
                (usize::from(min)..=usize::from(max)).contains(&v.len())
            }
            _ => return Err(EncodeError::TlvType { tag }),
        };
        if !fits {
            return Err(EncodeError::TlvLength { tag, len });
        }
        out.extend_from_slice(&tag.to_be_bytes());
        out.extend_from_slice(&(len as u16).to_be_bytes());
        match &self.value {
            TlvValue::U8(v) => out.push(*v),
            TlvValue::U16(v) => out.extend_from_slice(&v.to_be_bytes()),
            TlvValue::U32(v) => out.extend_from_slice(&v.to_be_bytes()),
            TlvValue::CStr(v) => {
                out.extend_from_slice(v);
                out.push(0);
            }
            TlvValue::Octets(v) => out.extend_from_slice(v),
        }
        Ok(())
    }

    /// Decodes the next TLV, header and value.
    #[inline(always)]
    fn decode_next(r: &mut Reader<'_>) -> Result<Tlv, DecodeError> {
        let (tag, value) = r.tlv()?;
        Tlv::decode(r, tag, value)
    }

    /// Decodes one TLV whose header and value were already bounded.
    #[inline(always)]
    fn decode(r: &mut Reader<'_>, tag: u16, value: &[u8]) -> Result<Tlv, DecodeError> {
        let tag = TlvTag::from(tag);
        let bad = |r: &Reader<'_>| r.error(Field::Tlv(u16::from(tag)), ErrorKind::BadLength);
        let value = match (tag.kind(), value) {
            (TlvKind::U8, [a]) => TlvValue::U8(*a),
            (TlvKind::U16, [a, b]) => TlvValue::U16(u16::from_be_bytes([*a, *b])),
            (TlvKind::U32, [a, b, c, d]) => TlvValue::U32(u32::from_be_bytes([*a, *b, *c, *d])),
            (TlvKind::CStr { max }, v) if !v.is_empty() && v.len() <= usize::from(max) => {
                // Lenient: a peer that forgets the NUL still gets its text
                // through; anything after a NUL is padding.
                let end = find_nul(v).unwrap_or(v.len());
                // The text must leave room for its NUL within the maximum.
                if end >= usize::from(max) {
                    return Err(bad(r));
                }
                TlvValue::CStr(v[..end].to_vec())
            }
            (TlvKind::Octets { min, max }, v)
                if (usize::from(min)..=usize::from(max)).contains(&v.len()) =>
            {
                TlvValue::Octets(v.to_vec())
            }
            _ => return Err(bad(r)),
        };
        Ok(Tlv { tag, value })
    }
}

/// How many TLVs [`Tlvs`] holds without allocating: a delivery receipt's
/// `receipted_message_id` and `message_state`.
const INLINE: usize = 2;

/// What an unused inline slot holds.
const VACANT: Tlv = Tlv {
    tag: TlvTag::Unknown(0),
    value: TlvValue::U8(0),
};

/// The storage of [`Tlvs`].
enum Store {
    /// `slots[..len]` are the TLVs; the rest are [`VACANT`]. A TLV is
    /// written into its slot where it stays.
    Inline { len: u8, slots: [Tlv; INLINE] },
    /// Spilled at the third TLV.
    Heap(Vec<Tlv>),
}

impl Clone for Store {
    /// Clones the TLVs there are: the vacant slots are not visited (a
    /// submit cloned from a template usually has none).
    fn clone(&self) -> Store {
        match self {
            Store::Inline { len, slots } => {
                let mut copy = [VACANT; INLINE];
                let used = slots.get(..usize::from(*len)).unwrap_or_default();
                for (to, from) in copy.iter_mut().zip(used) {
                    *to = from.clone();
                }
                Store::Inline {
                    len: *len,
                    slots: copy,
                }
            }
            Store::Heap(tlvs) => Store::Heap(tlvs.clone()),
        }
    }
}

/// The TLVs of one PDU, in wire order. Duplicates are kept (`callback_num`
/// may repeat); the getters return the first. Decoding a PDU with up to
/// two TLVs allocates no list.
#[derive(Clone)]
pub struct Tlvs(Store);

impl Tlvs {
    /// No TLVs (allocates nothing).
    pub const fn new() -> Tlvs {
        Tlvs(Store::Inline {
            len: 0,
            slots: [VACANT; INLINE],
        })
    }

    #[inline]
    fn as_slice(&self) -> &[Tlv] {
        match &self.0 {
            Store::Inline { len, slots } => slots.get(..usize::from(*len)).unwrap_or_default(),
            Store::Heap(tlvs) => tlvs,
        }
    }

    #[inline]
    fn as_mut_slice(&mut self) -> &mut [Tlv] {
        match &mut self.0 {
            Store::Inline { len, slots } => slots.get_mut(..usize::from(*len)).unwrap_or_default(),
            Store::Heap(tlvs) => tlvs,
        }
    }

    /// Appends a TLV.
    #[inline]
    pub fn push(&mut self, tlv: Tlv) {
        match &mut self.0 {
            Store::Inline { len, slots } => match slots.get_mut(usize::from(*len)) {
                Some(slot) => {
                    *slot = tlv;
                    *len += 1;
                }
                None => self.spill(tlv),
            },
            Store::Heap(tlvs) => tlvs.push(tlv),
        }
    }

    /// Moves full inline slots to the heap, then appends `tlv`.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, tlv: Tlv) {
        let mut tlvs = Vec::with_capacity(4 * INLINE);
        if let Store::Inline { len, slots } = &mut self.0 {
            let len = usize::from(*len);
            tlvs.extend(
                slots
                    .iter_mut()
                    .take(len)
                    .map(|t| std::mem::replace(t, VACANT)),
            );
        }
        tlvs.push(tlv);
        self.0 = Store::Heap(tlvs);
    }

    /// Replaces the first TLV with this tag, or appends it.
    pub fn set(&mut self, tlv: Tlv) {
        match self.as_mut_slice().iter_mut().find(|t| t.tag == tlv.tag) {
            Some(slot) => *slot = tlv,
            None => self.push(tlv),
        }
    }

    /// Removes every TLV with this tag, returning the first.
    pub fn remove(&mut self, tag: TlvTag) -> Option<Tlv> {
        let first = self.as_slice().iter().position(|t| t.tag == tag)?;
        match &mut self.0 {
            Store::Inline { len, slots } => {
                let end = usize::from(*len);
                let tlv = std::mem::replace(&mut slots[first], VACANT);
                // Slide the keepers down over the freed slots; the slots from
                // `kept` to `i` are vacant throughout.
                let mut kept = first;
                for i in first + 1..end {
                    if slots[i].tag == tag {
                        slots[i] = VACANT;
                    } else {
                        slots.swap(kept, i);
                        kept += 1;
                    }
                }
                *len = kept as u8;
                Some(tlv)
            }
            Store::Heap(tlvs) => {
                let tlv = tlvs.remove(first);
                tlvs.retain(|t| t.tag != tag);
                Some(tlv)
            }
        }
    }

    /// The first TLV with this tag.
    pub fn get(&self, tag: TlvTag) -> Option<&Tlv> {
        self.as_slice().iter().find(|t| t.tag == tag)
    }

    /// The first TLV with this tag, as an integer.
    pub fn int(&self, tag: TlvTag) -> Option<u32> {
        self.get(tag)?.as_int()
    }

    /// The first TLV with this tag, as octets.
    pub fn bytes(&self, tag: TlvTag) -> Option<&[u8]> {
        self.get(tag)?.as_bytes()
    }

    /// All TLVs, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Tlv> {
        self.as_slice().iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// None at all.
    pub fn is_empty(&self) -> bool {
        self.as_slice().is_empty()
    }

    /// `message_payload`, the user data when `short_message` is empty.
    pub fn message_payload(&self) -> Option<&[u8]> {
        self.bytes(TlvTag::MessagePayload)
    }

    /// `receipted_message_id`, the SMSC id a receipt refers to.
    pub fn receipted_message_id(&self) -> Option<&[u8]> {
        self.bytes(TlvTag::ReceiptedMessageId)
    }

    /// `message_state` (2 delivered, 5 undeliverable, ...).
    pub fn message_state(&self) -> Option<u8> {
        self.int(TlvTag::MessageState).map(|v| v as u8)
    }

    /// `network_error_code`: network type and error code.
    pub fn network_error_code(&self) -> Option<(u8, u16)> {
        match self.bytes(TlvTag::NetworkErrorCode)? {
            [kind, hi, lo] => Some((*kind, u16::from_be_bytes([*hi, *lo]))),
            _ => None,
        }
    }

    /// The SAR triple: (`sar_msg_ref_num`, `sar_total_segments`,
    /// `sar_segment_seqnum`), when all three are present.
    pub fn sar(&self) -> Option<(u16, u8, u8)> {
        Some((
            self.int(TlvTag::SarMsgRefNum)? as u16,
            self.int(TlvTag::SarTotalSegments)? as u8,
            self.int(TlvTag::SarSegmentSeqnum)? as u8,
        ))
    }

    /// `sc_interface_version` from a bind response.
    pub fn sc_interface_version(&self) -> Option<u8> {
        self.int(TlvTag::ScInterfaceVersion).map(|v| v as u8)
    }

    /// 5.0 `congestion_state`, 0 (idle) to 100 (congested).
    pub fn congestion_state(&self) -> Option<u8> {
        self.int(TlvTag::CongestionState).map(|v| v as u8)
    }

    pub(crate) fn wire_len(&self) -> usize {
        self.iter().map(Tlv::wire_len).sum()
    }

    pub(crate) fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.iter().try_for_each(|t| t.encode(out))
    }

    /// Decodes the rest of the reader's body as TLVs.
    #[inline]
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Tlvs, DecodeError> {
        let mut tlvs = Tlvs::new();
        tlvs.decode_into(r)?;
        Ok(tlvs)
    }

    /// Decodes the rest of the reader's body as TLVs, appending them to
    /// `self` (empty, when a body is decoded). Each TLV is built straight
    /// into its slot.
    #[inline]
    pub(crate) fn decode_into(&mut self, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        if let Store::Inline { len, slots } = &mut self.0 {
            while !r.is_empty() {
                let Some(slot) = slots.get_mut(usize::from(*len)) else {
                    break;
                };
                *slot = Tlv::decode_next(r)?;
                *len += 1;
            }
        }
        if !r.is_empty() {
            self.decode_rest(r)?;
        }
        Ok(())
    }

    /// The TLVs past the inline ones.
    #[inline(never)]
    fn decode_rest(&mut self, r: &mut Reader<'_>) -> Result<(), DecodeError> {
        while !r.is_empty() {
            self.push(Tlv::decode_next(r)?);
        }
        Ok(())
    }
}

impl Default for Tlvs {
    fn default() -> Tlvs {
        Tlvs::new()
    }
}

impl PartialEq for Tlvs {
    fn eq(&self, other: &Tlvs) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Tlvs {}

impl std::hash::Hash for Tlvs {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

impl std::fmt::Debug for Tlvs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Tlvs").field(&self.as_slice()).finish()
    }
}

impl<'a> IntoIterator for &'a Tlvs {
    type Item = &'a Tlv;
    type IntoIter = std::slice::Iter<'a, Tlv>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl FromIterator<Tlv> for Tlvs {
    fn from_iter<I: IntoIterator<Item = Tlv>>(iter: I) -> Tlvs {
        let mut tlvs = Tlvs::new();
        iter.into_iter().for_each(|t| tlvs.push(t));
        tlvs
    }
}
