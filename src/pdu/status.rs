//! `command_status`: the outcome a response carries (SMPP 3.4 §5.1.3).

use super::wire_enum::wire_enum;

wire_enum! {
    /// The `command_status` header field. `Display` prints the form the spool
    /// writes into `Fail_reason:`, for example `ESME_RINVDSTADR (0x0000000B)`.
    pub enum CommandStatus(u32) {
        /// Success.
        Ok = 0x00 => "ESME_ROK",
        /// short_message or message_payload length is invalid.
        InvMsgLen = 0x01 => "ESME_RINVMSGLEN",
        /// command_length is invalid.
        InvCmdLen = 0x02 => "ESME_RINVCMDLEN",
        /// Unknown or unsupported command_id.
        InvCmdId = 0x03 => "ESME_RINVCMDID",
        /// PDU not allowed in the current bind state.
        InvBndSts = 0x04 => "ESME_RINVBNDSTS",
        /// The session is already bound.
        AlyBnd = 0x05 => "ESME_RALYBND",
        /// Invalid priority_flag.
        InvPrtFlg = 0x06 => "ESME_RINVPRTFLG",
        /// Invalid registered_delivery.
        InvRegDlvFlg = 0x07 => "ESME_RINVREGDLVFLG",
        /// System error: all or part of the SMSC is unavailable.
        SysErr = 0x08 => "ESME_RSYSERR",
        /// Invalid source address.
        InvSrcAdr = 0x0A => "ESME_RINVSRCADR",
        /// Invalid destination address.
        InvDstAdr = 0x0B => "ESME_RINVDSTADR",
        /// Invalid message_id.
        InvMsgId = 0x0C => "ESME_RINVMSGID",
        /// Bind failed.
        BindFail = 0x0D => "ESME_RBINDFAIL",
        /// Invalid password.
        InvPaswd = 0x0E => "ESME_RINVPASWD",
        /// Invalid system_id.
        InvSysId = 0x0F => "ESME_RINVSYSID",
        /// cancel_sm failed.
        CancelFail = 0x11 => "ESME_RCANCELFAIL",
        /// replace_sm failed.
        ReplaceFail = 0x13 => "ESME_RREPLACEFAIL",
        /// Message queue full.
        MsgQFul = 0x14 => "ESME_RMSGQFUL",
        /// Invalid service_type.
        InvSerTyp = 0x15 => "ESME_RINVSERTYP",
        /// Invalid number_of_dests.
        InvNumDests = 0x33 => "ESME_RINVNUMDESTS",
        /// Invalid distribution list name.
        InvDlName = 0x34 => "ESME_RINVDLNAME",
        /// Invalid dest_flag.
        InvDestFlag = 0x40 => "ESME_RINVDESTFLAG",
        /// Invalid submit-with-replace request.
        InvSubRep = 0x42 => "ESME_RINVSUBREP",
        /// Invalid esm_class.
        InvEsmClass = 0x43 => "ESME_RINVESMCLASS",
        /// Cannot submit to a distribution list.
        CntSubDl = 0x44 => "ESME_RCNTSUBDL",
        /// submit_sm, submit_multi or data_sm failed.
        SubmitFail = 0x45 => "ESME_RSUBMITFAIL",
        /// Invalid source TON.
        InvSrcTon = 0x48 => "ESME_RINVSRCTON",
        /// Invalid source NPI.
        InvSrcNpi = 0x49 => "ESME_RINVSRCNPI",
        /// Invalid destination TON.
        InvDstTon = 0x50 => "ESME_RINVDSTTON",
        /// Invalid destination NPI.
        InvDstNpi = 0x51 => "ESME_RINVDSTNPI",
        /// Invalid system_type.
        InvSysTyp = 0x53 => "ESME_RINVSYSTYP",
        /// Invalid replace_if_present_flag.
        InvRepFlag = 0x54 => "ESME_RINVREPFLAG",
        /// Invalid number of messages.
        InvNumMsgs = 0x55 => "ESME_RINVNUMMSGS",
        /// Throttled: the sender exceeded its allowed rate.
        Throttled = 0x58 => "ESME_RTHROTTLED",
        /// Invalid schedule_delivery_time.
        InvSched = 0x61 => "ESME_RINVSCHED",
        /// Invalid validity_period.
        InvExpiry = 0x62 => "ESME_RINVEXPIRY",
        /// Invalid or unknown predefined message.
        InvDftMsgId = 0x63 => "ESME_RINVDFTMSGID",
        /// The receiving ESME has a temporary application error.
        RxTAppn = 0x64 => "ESME_RX_T_APPN",
        /// The receiving ESME has a permanent application error.
        RxPAppn = 0x65 => "ESME_RX_P_APPN",
        /// The receiving ESME rejects this message.
        RxRAppn = 0x66 => "ESME_RX_R_APPN",
        /// query_sm failed.
        QueryFail = 0x67 => "ESME_RQUERYFAIL",
        /// Error in the optional part of the PDU body (TLV stream).
        InvOptParStream = 0xC0 => "ESME_RINVOPTPARSTREAM",
        /// A TLV is not allowed here.
        OptParNotAllwd = 0xC1 => "ESME_ROPTPARNOTALLWD",
        /// Invalid TLV length.
        InvParLen = 0xC2 => "ESME_RINVPARLEN",
        /// A required TLV is missing.
        MissingOptParam = 0xC3 => "ESME_RMISSINGOPTPARAM",
        /// Invalid TLV value.
        InvOptParamVal = 0xC4 => "ESME_RINVOPTPARAMVAL",
        /// Delivery failed (transaction mode).
        DeliveryFailure = 0xFE => "ESME_RDELIVERYFAILURE",
        /// Unknown error.
        UnknownErr = 0xFF => "ESME_RUNKNOWNERR",
        /// 5.0: not authorised for this service_type.
        SerTypUnauth = 0x100 => "ESME_RSERTYPUNAUTH",
        /// 5.0: barred from this operation.
        Prohibited = 0x101 => "ESME_RPROHIBITED",
        /// 5.0: service_type unavailable.
        SerTypUnavail = 0x102 => "ESME_RSERTYPUNAVAIL",
        /// 5.0: service_type denied.
        SerTypDenied = 0x103 => "ESME_RSERTYPDENIED",
        /// 5.0: invalid data_coding.
        InvDcs = 0x104 => "ESME_RINVDCS",
    }
    other:
    /// A reserved or vendor-specific status, kept exactly.
    Other
}

impl CommandStatus {
    /// Success?
    #[inline]
    pub fn is_ok(self) -> bool {
        self == CommandStatus::Ok
    }

    /// In the vendor range 0x400..=0x4FF.
    pub fn is_vendor(self) -> bool {
        (0x400..=0x4FF).contains(&u32::from(self))
    }

    /// Worth sending the same request again later: the SMSC was busy or
    /// failing, not the message wrong (the statuses Kannel re-queues:
    /// ESME_RSYSERR, ESME_RMSGQFUL, ESME_RTHROTTLED, ESME_RX_T_APPN).
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            CommandStatus::SysErr
                | CommandStatus::MsgQFul
                | CommandStatus::Throttled
                | CommandStatus::RxTAppn
        )
    }
}

impl std::fmt::Display for CommandStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = u32::from(*self);
        match self.name() {
            Some(name) => write!(f, "{name} (0x{value:08X})"),
            None if self.is_vendor() => write!(f, "vendor status (0x{value:08X})"),
            None => write!(f, "unknown status (0x{value:08X})"),
        }
    }
}
