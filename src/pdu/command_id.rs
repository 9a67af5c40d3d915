//! `command_id`: which operation a PDU carries (SMPP 3.4 §5.1.2.1).

use super::wire_enum::wire_enum;

wire_enum! {
    /// The `command_id` header field. A response's id is its request's id
    /// with bit 31 set. Ids the crate does not know are kept in `Unknown`.
    pub enum CommandId(u32) {
        /// A response that has no matching request: the peer could not
        /// handle a PDU at all.
        GenericNack = 0x8000_0000 => "generic_nack",
        /// Bind as a receiver (the SMSC may send deliver_sm).
        BindReceiver = 0x0000_0001 => "bind_receiver",
        /// Answer to `bind_receiver`.
        BindReceiverResp = 0x8000_0001 => "bind_receiver_resp",
        /// Bind as a transmitter (the ESME may submit).
        BindTransmitter = 0x0000_0002 => "bind_transmitter",
        /// Answer to `bind_transmitter`.
        BindTransmitterResp = 0x8000_0002 => "bind_transmitter_resp",
        /// Ask for the state of a submitted message.
        QuerySm = 0x0000_0003 => "query_sm",
        /// Answer to `query_sm`.
        QuerySmResp = 0x8000_0003 => "query_sm_resp",
        /// Submit one short message.
        SubmitSm = 0x0000_0004 => "submit_sm",
        /// Answer to `submit_sm`, carrying the SMSC's message id.
        SubmitSmResp = 0x8000_0004 => "submit_sm_resp",
        /// A mobile-originated message or a delivery receipt, from the SMSC.
        DeliverSm = 0x0000_0005 => "deliver_sm",
        /// Answer to `deliver_sm`.
        DeliverSmResp = 0x8000_0005 => "deliver_sm_resp",
        /// End the session.
        Unbind = 0x0000_0006 => "unbind",
        /// Answer to `unbind`.
        UnbindResp = 0x8000_0006 => "unbind_resp",
        /// Replace a message that is still pending.
        ReplaceSm = 0x0000_0007 => "replace_sm",
        /// Answer to `replace_sm`.
        ReplaceSmResp = 0x8000_0007 => "replace_sm_resp",
        /// Cancel a message that is still pending.
        CancelSm = 0x0000_0008 => "cancel_sm",
        /// Answer to `cancel_sm`.
        CancelSmResp = 0x8000_0008 => "cancel_sm_resp",
        /// Bind as a transceiver (both directions).
        BindTransceiver = 0x0000_0009 => "bind_transceiver",
        /// Answer to `bind_transceiver`.
        BindTransceiverResp = 0x8000_0009 => "bind_transceiver_resp",
        /// The SMSC asks a listening ESME to bind as a receiver.
        Outbind = 0x0000_000B => "outbind",
        /// Link check.
        EnquireLink = 0x0000_0015 => "enquire_link",
        /// Answer to `enquire_link`.
        EnquireLinkResp = 0x8000_0015 => "enquire_link_resp",
        /// Submit one message to several destinations.
        SubmitMulti = 0x0000_0021 => "submit_multi",
        /// Answer to `submit_multi`, with the destinations that failed.
        SubmitMultiResp = 0x8000_0021 => "submit_multi_resp",
        /// The SMSC tells the ESME that a mobile became available. No response.
        AlertNotification = 0x0000_0102 => "alert_notification",
        /// Message transfer in either direction, user data in TLVs.
        DataSm = 0x0000_0103 => "data_sm",
        /// Answer to `data_sm`.
        DataSmResp = 0x8000_0103 => "data_sm_resp",
    }
    other:
    /// A command id this crate does not know (vendor or 5.0 broadcast
    /// operations): kept exactly, answered with generic_nack ESME_RINVCMDID.
    Unknown
}

impl CommandId {
    /// Bit 31 set: this PDU answers a request.
    #[inline]
    pub fn is_response(self) -> bool {
        u32::from(self) & 0x8000_0000 != 0
    }

    /// The id of the response to this request (`generic_nack` has none, and
    /// neither have `outbind` and `alert_notification`, which are answered by
    /// other means or not at all).
    pub fn response(self) -> Option<CommandId> {
        match self {
            CommandId::Outbind | CommandId::AlertNotification => None,
            id if id.is_response() => None,
            id => Some(CommandId::from(u32::from(id) | 0x8000_0000)),
        }
    }
}

impl std::fmt::Display for CommandId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "command_id 0x{:08X}", u32::from(*self)),
        }
    }
}
