//! Our encodings, read by an independent decoder: Wireshark's SMPP dissector.
//!
//! Every PDU type the codec produces is encoded, written as the payload of a
//! TCP segment to port 2775 in its own capture (`text2pcap`), and dissected
//! by `tshark`. Each one must dissect as SMPP with the expected header and
//! key fields, with no malformed-packet mark and no error-level expert info.
//!
//! Needs the Debian package `tshark` (which brings `text2pcap`). When it is
//! missing the test fails rather than passing silently.

use smpp::pdu::{
    Address, AlertNotification, Bind, BindResp, Body, COctet, CancelSm, CommandId, CommandStatus,
    DataSm, DeliverSm, DestAddress, MessageIdResp, Outbind, Pdu, QuerySm, QuerySmResp, ReplaceSm,
    ShortMessage, SubmitMulti, SubmitMultiResp, SubmitSm, TimeString, Tlv, TlvTag, Tlvs,
    UnsuccessSme,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

/// Expert info severities (Wireshark's `PI_WARN` and `PI_ERROR`).
const SEVERITY_WARN: u32 = 0x0060_0000;
const SEVERITY_ERROR: u32 = 0x0080_0000;

/// Fields read for every PDU.
const COMMON_FIELDS: &[&str] = &[
    "frame.protocols",
    "_ws.malformed",
    "_ws.expert.severity",
    "_ws.expert.message",
    "smpp.command_length",
    "smpp.command_id",
    "smpp.command_status",
    "smpp.sequence_number",
];

/// One PDU and what the dissector must show for it, field by field, as
/// `tshark -T fields` prints the values (repeated fields joined by `|`).
struct Case {
    name: &'static str,
    pdu: Pdu,
    expect: Vec<(&'static str, String)>,
    /// Wireshark dissects only the command ids it has names for; a vendor
    /// id is left as raw TCP data, which must then be the whole PDU.
    vendor_id: bool,
}

fn case(name: &'static str, pdu: Pdu, expect: &[(&'static str, &str)]) -> Case {
    Case {
        name,
        pdu,
        expect: expect.iter().map(|&(f, v)| (f, v.to_string())).collect(),
        vendor_id: false,
    }
}

/// A 5.0 query_broadcast_sm: a command id this crate does not know but
/// Wireshark does, so the dissector checks that an unknown body is passed
/// through untouched.
fn query_broadcast_sm_body() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"bc-1\0"); // message_id
    body.extend_from_slice(b"\x01\x01447700900001\0"); // source_addr_ton, _npi, source_addr
    body.extend_from_slice(b"\x02\x04\x00\x02\x00\x07"); // user_message_reference
    body
}

fn c<const N: usize>(text: &str) -> COctet<N> {
    COctet::new(text.as_bytes()).unwrap()
}

fn addr<const N: usize>(ton: u8, npi: u8, text: &str) -> Address<N> {
    Address::new(ton, npi, text).unwrap()
}

fn time(text: &str) -> TimeString {
    TimeString::new(text.as_bytes()).unwrap()
}

fn sm(octets: &[u8]) -> ShortMessage {
    ShortMessage::new(octets).unwrap()
}

fn tlvs(list: Vec<Tlv>) -> Tlvs {
    list.into_iter().collect()
}

fn error(sequence: u32, status: CommandStatus, body: Body) -> Pdu {
    Pdu {
        sequence,
        status,
        body,
    }
}

/// One TLV of every tag the codec knows, with a value of the size the
/// spec gives it.
fn every_known_tlv() -> Vec<Tlv> {
    use TlvTag as T;
    vec![
        Tlv::u8(T::DestAddrSubunit, 1),
        Tlv::u8(T::DestNetworkType, 1),
        Tlv::u8(T::DestBearerType, 1),
        Tlv::u16(T::DestTelematicsId, 0x0000),
        Tlv::u8(T::SourceAddrSubunit, 1),
        Tlv::u8(T::SourceNetworkType, 1),
        Tlv::u8(T::SourceBearerType, 1),
        Tlv::octets(T::SourceTelematicsId, [0x00]),
        Tlv::u32(T::QosTimeToLive, 3600),
        Tlv::u8(T::PayloadType, 0),
        Tlv::cstr(T::AdditionalStatusInfoText, "all fine"),
        Tlv::cstr(T::ReceiptedMessageId, "abc123"),
        Tlv::u8(T::MsMsgWaitFacilities, 0x80),
        Tlv::u8(T::PrivacyIndicator, 0),
        Tlv::octets(T::SourceSubaddress, [0xA0, 0x01, 0x02, 0x03]),
        Tlv::octets(T::DestSubaddress, [0xA0, 0x04, 0x05]),
        Tlv::u16(T::UserMessageReference, 7),
        Tlv::u8(T::UserResponseCode, 1),
        Tlv::u16(T::SourcePort, 9200),
        Tlv::u16(T::DestinationPort, 2948),
        Tlv::u16(T::SarMsgRefNum, 0x1234),
        Tlv::u8(T::LanguageIndicator, 1),
        Tlv::u8(T::SarTotalSegments, 2),
        Tlv::u8(T::SarSegmentSeqnum, 1),
        Tlv::u8(T::ScInterfaceVersion, 0x34),
        Tlv::u8(T::CallbackNumPresInd, 0x01),
        Tlv::octets(T::CallbackNumAtag, *b"\x00Shop"),
        Tlv::u8(T::NumberOfMessages, 3),
        Tlv::octets(T::CallbackNum, *b"\x01\x01\x01447700900123"),
        Tlv::u8(T::DpfResult, 0),
        Tlv::u8(T::SetDpf, 1),
        Tlv::u8(T::MsAvailabilityStatus, 0),
        Tlv::octets(T::NetworkErrorCode, [0x03, 0x00, 0x01]),
        Tlv::octets(T::MessagePayload, *b"payload"),
        Tlv::u8(T::DeliveryFailureReason, 0),
        Tlv::u8(T::MoreMessagesToSend, 0),
        Tlv::u8(T::MessageState, 2),
        Tlv::u8(T::CongestionState, 50),
        Tlv::u8(T::UssdServiceOp, 2),
        Tlv::u8(T::DisplayTime, 1),
        Tlv::u16(T::SmsSignal, 1),
        Tlv::octets(T::MsValidity, [0x00]),
        Tlv::octets(T::AlertOnMessageDelivery, []),
        Tlv::u8(T::ItsReplyType, 0),
        Tlv::octets(T::ItsSessionInfo, [0x01, 0x00]),
    ]
}

/// Every PDU type we send, as in the fixtures, plus some with many TLVs.
fn cases() -> Vec<Case> {
    let bind = Bind {
        system_id: c("SMPP3TEST"),
        password: c("secret08"),
        system_type: c("SUBMIT1"),
        interface_version: 0x34,
        addr_ton: 1,
        addr_npi: 1,
        address_range: c("^44.*"),
    };
    let bind_fields: &[(&str, &str)] = &[
        ("smpp.system_id", "SMPP3TEST"),
        ("smpp.password", "secret08"),
        ("smpp.system_type", "SUBMIT1"),
        ("smpp.address_range", "^44.*"),
    ];
    let bind_resp = BindResp::new(c("smsc01"));
    let submit = SubmitSm {
        service_type: c("CMT"),
        source: addr(5, 0, "Shop"),
        dest: addr(1, 1, "447700900123"),
        priority_flag: 1,
        validity_period: time("000001000000000R"),
        registered_delivery: 1,
        short_message: sm(b"Hello"),
        tlvs: tlvs(vec![Tlv::u16(TlvTag::UserMessageReference, 0x42)]),
        ..SubmitSm::default()
    };
    let receipt = DeliverSm {
        source: addr(1, 1, "447700900123"),
        dest: addr(5, 0, "Shop"),
        esm_class: 0x04,
        short_message: sm(b"id:abc123 sub:001 dlvrd:001 submit date:2301011200 \
                            done date:2301011201 stat:DELIVRD err:000 text:Hello"),
        tlvs: tlvs(vec![
            Tlv::cstr(TlvTag::ReceiptedMessageId, "abc123"),
            Tlv::u8(TlvTag::MessageState, 2),
        ]),
        ..DeliverSm::default()
    };
    let data_sm = DataSm {
        service_type: c("WAP"),
        source: addr(1, 1, "447700900001"),
        dest: addr(1, 1, "447700900123"),
        registered_delivery: 1,
        data_coding: smpp::pdu::DataCoding::OctetUnspecified,
        tlvs: tlvs(vec![
            Tlv::octets(TlvTag::MessagePayload, [0x00, 0x01, 0x02, 0xFE, 0xFF, 0x80]),
            Tlv::u16(TlvTag::DestinationPort, 2948),
        ]),
        ..DataSm::default()
    };
    let multi = SubmitMulti {
        service_type: c(""),
        source: addr(1, 1, "447700900001"),
        dests: vec![
            DestAddress::Sme(addr(1, 1, "447700900123")),
            DestAddress::DistributionList(c("friends")),
            DestAddress::Sme(addr(1, 1, "447700900124")),
        ],
        esm_class: 0,
        protocol_id: 0,
        priority_flag: 0,
        schedule_delivery_time: time("230101120000000+"),
        validity_period: TimeString::EMPTY,
        registered_delivery: 0,
        replace_if_present_flag: 0,
        data_coding: smpp::pdu::DataCoding::Latin1,
        sm_default_msg_id: 0,
        short_message: sm(b"Hi all"),
        tlvs: Tlvs::new(),
    };
    let multi_resp = SubmitMultiResp {
        message_id: c("m-42"),
        unsuccess: vec![
            UnsuccessSme {
                dest: addr(1, 1, "447700900124"),
                error_status: CommandStatus::InvDstAdr,
            },
            UnsuccessSme {
                dest: addr(0, 0, "bad"),
                error_status: CommandStatus::SubmitFail,
            },
        ],
        tlvs: Tlvs::new(),
    };
    let resp_tlvs = tlvs(vec![
        Tlv::cstr(TlvTag::AdditionalStatusInfoText, "queued"),
        Tlv::u8(TlvTag::DeliveryFailureReason, 3),
        Tlv::u8(TlvTag::DpfResult, 1),
        Tlv::octets(TlvTag::NetworkErrorCode, [0x03, 0x00, 0x22]),
        Tlv::u8(TlvTag::CongestionState, 10),
    ]);
    let segment = SubmitSm {
        source: addr(5, 0, "Shop"),
        dest: addr(1, 1, "447700900123"),
        data_coding: smpp::pdu::DataCoding::Ucs2,
        short_message: sm(&[0x00, 0x48, 0x00, 0x69]),
        tlvs: tlvs(vec![
            Tlv::u16(TlvTag::SarMsgRefNum, 0x1234),
            Tlv::u8(TlvTag::SarTotalSegments, 2),
            Tlv::u8(TlvTag::SarSegmentSeqnum, 1),
            Tlv::u16(TlvTag::SourcePort, 9200),
            Tlv::u16(TlvTag::DestinationPort, 2948),
            Tlv::u8(TlvTag::LanguageIndicator, 1),
            Tlv::u32(TlvTag::QosTimeToLive, 3600),
            Tlv::u8(TlvTag::MoreMessagesToSend, 1),
            Tlv::octets(TlvTag::CallbackNum, *b"\x01\x01\x01447700900001"),
            Tlv::u8(TlvTag::CallbackNumPresInd, 0x01),
            Tlv::octets(TlvTag::CallbackNumAtag, *b"\x00Shop"),
            Tlv::u8(TlvTag::PrivacyIndicator, 1),
            Tlv::u8(TlvTag::DestAddrSubunit, 1),
            Tlv::u8(TlvTag::DestNetworkType, 1),
            Tlv::u8(TlvTag::DestBearerType, 1),
            Tlv::u16(TlvTag::UserMessageReference, 9),
        ]),
        ..SubmitSm::default()
    };
    let failed_receipt = DeliverSm {
        source: addr(1, 1, "447700900123"),
        dest: addr(5, 0, "Shop"),
        esm_class: 0x04,
        tlvs: tlvs(vec![
            Tlv::cstr(TlvTag::ReceiptedMessageId, "abc124"),
            Tlv::u8(TlvTag::MessageState, 5),
            Tlv::octets(TlvTag::NetworkErrorCode, [0x03, 0x00, 0x01]),
            Tlv::u8(TlvTag::DeliveryFailureReason, 1),
            Tlv::octets(TlvTag::MessagePayload, *b"id:abc124 stat:UNDELIV"),
            Tlv::u8(TlvTag::UssdServiceOp, 0),
        ]),
        ..DeliverSm::default()
    };
    let every_tlv = DataSm {
        source: addr(1, 1, "447700900001"),
        dest: addr(1, 1, "447700900123"),
        tlvs: tlvs(every_known_tlv()),
        ..DataSm::default()
    };
    let unknown_tlvs = SubmitSm {
        source: addr(0, 0, "Shop"),
        dest: addr(1, 1, "447700900123"),
        short_message: sm(b"Hi"),
        tlvs: tlvs(vec![
            Tlv::octets(TlvTag::Unknown(0x1401), [0xAB, 0xCD, 0xEF]),
            Tlv::octets(TlvTag::Unknown(0x8081), []),
            Tlv::octets(TlvTag::Unknown(0xFFFF), [0, 0]),
        ]),
        ..SubmitSm::default()
    };

    vec![
        case(
            "generic_nack",
            error(10, CommandStatus::InvCmdId, Body::GenericNack),
            &[],
        ),
        case(
            "bind_receiver",
            Pdu::new(2, Body::BindReceiver(bind.clone())),
            bind_fields,
        ),
        case(
            "bind_transmitter",
            Pdu::new(1, Body::BindTransmitter(bind.clone())),
            bind_fields,
        ),
        case(
            "bind_transceiver",
            Pdu::new(3, Body::BindTransceiver(bind)),
            bind_fields,
        ),
        case(
            "bind_transmitter spec example",
            Pdu::new(
                1,
                Body::BindTransmitter(Bind {
                    system_id: c("SMPP3TEST"),
                    password: c("secret08"),
                    system_type: c("SUBMIT1"),
                    interface_version: 0x50,
                    addr_ton: 1,
                    addr_npi: 1,
                    address_range: c(""),
                }),
            ),
            &[
                ("smpp.system_id", "SMPP3TEST"),
                ("smpp.command_length", "47"),
            ],
        ),
        case(
            "bind_receiver_resp",
            Pdu::new(2, Body::BindReceiverResp(bind_resp.clone())),
            &[
                ("smpp.system_id", "smsc01"),
                ("smpp.SC_interface_version", "52"),
            ],
        ),
        case(
            "bind_transmitter_resp",
            Pdu::new(1, Body::BindTransmitterResp(bind_resp.clone())),
            &[
                ("smpp.system_id", "smsc01"),
                ("smpp.SC_interface_version", "52"),
            ],
        ),
        case(
            "bind_transceiver_resp",
            Pdu::new(3, Body::BindTransceiverResp(bind_resp)),
            &[
                ("smpp.system_id", "smsc01"),
                ("smpp.SC_interface_version", "52"),
            ],
        ),
        case(
            "bind_transmitter_resp error",
            Pdu::error_response(CommandId::BindTransmitter, 4, CommandStatus::InvPaswd),
            &[("smpp.command_length", "16")],
        ),
        case(
            "outbind",
            Pdu::new(
                5,
                Body::Outbind(Outbind {
                    system_id: c("smsc01"),
                    password: c("hunter2"),
                }),
            ),
            &[("smpp.system_id", "smsc01"), ("smpp.password", "hunter2")],
        ),
        case("unbind", Pdu::new(6, Body::Unbind), &[]),
        case("unbind_resp", Pdu::new(6, Body::UnbindResp), &[]),
        case(
            "submit_sm",
            Pdu::new(11, Body::SubmitSm(submit.clone())),
            &[
                ("smpp.service_type", "CMT"),
                ("smpp.source_addr", "Shop"),
                ("smpp.destination_addr", "447700900123"),
                ("smpp.sm_length", "5"),
                ("smpp.user_message_reference", "0x0042"),
            ],
        ),
        case(
            "submit_sm_resp",
            Pdu::new(11, Body::SubmitSmResp(MessageIdResp::new(c("abc123")))),
            &[("smpp.message_id", "abc123")],
        ),
        case(
            "submit_sm_resp error",
            Pdu::error_response(CommandId::SubmitSm, 12, CommandStatus::SubmitFail),
            &[
                ("smpp.command_length", "16"),
                ("smpp.command_status", "0x00000045"),
            ],
        ),
        case(
            "submit_multi",
            Pdu::new(13, Body::SubmitMulti(multi)),
            &[
                ("smpp.source_addr", "447700900001"),
                ("smpp.destination_addr", "447700900123|447700900124"),
                ("smpp.dl_name", "friends"),
                ("smpp.sm_length", "6"),
            ],
        ),
        case(
            "submit_multi_resp",
            Pdu::new(13, Body::SubmitMultiResp(multi_resp)),
            &[
                ("smpp.message_id", "m-42"),
                ("smpp.destination_addr", "447700900124|bad"),
                ("smpp.error_status_code", "0x0000000b|0x00000045"),
            ],
        ),
        case(
            "deliver_sm receipt",
            Pdu::new(16, Body::DeliverSm(receipt)),
            &[
                ("smpp.source_addr", "447700900123"),
                ("smpp.destination_addr", "Shop"),
                ("smpp.sm_length", "103"),
                ("smpp.receipted_message_id", "abc123"),
                ("smpp.message_state", "2"),
            ],
        ),
        case(
            "deliver_sm_resp",
            Pdu::new(16, Body::DeliverSmResp(MessageIdResp::default())),
            &[("smpp.command_length", "17")],
        ),
        case(
            "data_sm",
            Pdu::new(17, Body::DataSm(data_sm)),
            &[
                ("smpp.service_type", "WAP"),
                ("smpp.destination_addr", "447700900123"),
                ("smpp.message_payload", "000102feff80"),
                ("smpp.destination_port", "0x0b84"),
            ],
        ),
        case(
            "data_sm_resp",
            Pdu::new(17, Body::DataSmResp(MessageIdResp::new(c("d-1")))),
            &[("smpp.message_id", "d-1")],
        ),
        case(
            "query_sm",
            Pdu::new(
                18,
                Body::QuerySm(QuerySm {
                    message_id: c("abc123"),
                    source: addr(1, 1, "447700900001"),
                    tlvs: Tlvs::new(),
                }),
            ),
            &[
                ("smpp.message_id", "abc123"),
                ("smpp.source_addr", "447700900001"),
            ],
        ),
        case(
            "query_sm_resp",
            Pdu::new(
                18,
                Body::QuerySmResp(QuerySmResp {
                    message_id: c("abc123"),
                    final_date: time("230101120100000+"),
                    message_state: 2,
                    error_code: 0,
                    tlvs: Tlvs::new(),
                }),
            ),
            &[("smpp.message_id", "abc123"), ("smpp.message_state", "2")],
        ),
        case(
            "cancel_sm",
            Pdu::new(
                19,
                Body::CancelSm(CancelSm {
                    service_type: c(""),
                    message_id: c("abc123"),
                    source: addr(1, 1, "447700900001"),
                    dest: addr(1, 1, "447700900123"),
                    tlvs: Tlvs::new(),
                }),
            ),
            &[
                ("smpp.message_id", "abc123"),
                ("smpp.destination_addr", "447700900123"),
            ],
        ),
        case("cancel_sm_resp", Pdu::new(19, Body::CancelSmResp), &[]),
        case(
            "replace_sm",
            Pdu::new(
                20,
                Body::ReplaceSm(ReplaceSm {
                    message_id: c("abc123"),
                    source: addr(1, 1, "447700900001"),
                    schedule_delivery_time: TimeString::EMPTY,
                    validity_period: time("230102120000004+"),
                    registered_delivery: 1,
                    sm_default_msg_id: 0,
                    short_message: sm(b"New text"),
                    tlvs: Tlvs::new(),
                }),
            ),
            &[("smpp.message_id", "abc123"), ("smpp.sm_length", "8")],
        ),
        case("replace_sm_resp", Pdu::new(20, Body::ReplaceSmResp), &[]),
        case("enquire_link", Pdu::new(7, Body::EnquireLink), &[]),
        case("enquire_link_resp", Pdu::new(7, Body::EnquireLinkResp), &[]),
        case(
            "alert_notification",
            Pdu::new(
                21,
                Body::AlertNotification(AlertNotification {
                    source: addr(1, 1, "447700900123"),
                    esme: addr(5, 0, "Shop"),
                    tlvs: tlvs(vec![Tlv::u8(TlvTag::MsAvailabilityStatus, 1)]),
                }),
            ),
            &[
                ("smpp.source_addr", "447700900123"),
                ("smpp.esme_addr", "Shop"),
                ("smpp.ms_availability_status", "1"),
            ],
        ),
        Case {
            vendor_id: true,
            ..case(
                "unknown vendor command_id",
                Pdu::new(
                    22,
                    Body::Unknown {
                        command_id: 0x0001_0201,
                        body: vec![1, 2, 3, 4, 5],
                    },
                ),
                &[],
            )
        },
        case(
            "unknown command_id (5.0 query_broadcast_sm)",
            Pdu::new(
                22,
                Body::Unknown {
                    command_id: 0x0000_0112,
                    body: query_broadcast_sm_body(),
                },
            ),
            &[
                ("smpp.message_id", "bc-1"),
                ("smpp.source_addr", "447700900001"),
                ("smpp.user_message_reference", "0x0007"),
            ],
        ),
        case(
            "submit_sm with unknown TLVs",
            Pdu::new(23, Body::SubmitSm(unknown_tlvs)),
            &[("smpp.opt_param_tag", "0x1401|0x8081|0xffff")],
        ),
        case(
            "submit_sm segment with many TLVs",
            Pdu::new(24, Body::SubmitSm(segment)),
            &[
                ("smpp.sar_msg_ref_num", "4660"),
                ("smpp.sar_segment_seqnum", "1"),
                ("smpp.source_port", "0x23f0"),
                ("smpp.destination_port", "0x0b84"),
                ("smpp.qos_time_to_live", "3600"),
            ],
        ),
        case(
            "deliver_sm failed receipt with many TLVs",
            Pdu::new(25, Body::DeliverSm(failed_receipt)),
            &[
                ("smpp.receipted_message_id", "abc124"),
                ("smpp.message_state", "5"),
                ("smpp.network_error.code", "0x0001"),
            ],
        ),
        case(
            "submit_sm_resp with response TLVs",
            Pdu::new(
                26,
                Body::SubmitSmResp(MessageIdResp {
                    message_id: c("abc125"),
                    tlvs: resp_tlvs.clone(),
                }),
            ),
            &[
                ("smpp.message_id", "abc125"),
                ("smpp.additional_status_info_text", "queued"),
                ("smpp.congestion_state", "10"),
            ],
        ),
        case(
            "data_sm_resp with response TLVs",
            Pdu::new(
                27,
                Body::DataSmResp(MessageIdResp {
                    message_id: c("d-2"),
                    tlvs: resp_tlvs,
                }),
            ),
            &[("smpp.additional_status_info_text", "queued")],
        ),
        case(
            "data_sm with every known TLV",
            Pdu::new(28, Body::DataSm(every_tlv)),
            &[
                ("smpp.receipted_message_id", "abc123"),
                ("smpp.message_payload", "7061796c6f6164"),
                ("smpp.ussd_service_op", "2"),
            ],
        ),
        case(
            "submit_sm at the size limits",
            Pdu::new(
                0x7FFF_FFFF,
                Body::SubmitSm(SubmitSm {
                    service_type: c("ABCDE"),
                    source: addr(1, 1, &"1".repeat(20)),
                    dest: addr(1, 1, &"2".repeat(20)),
                    short_message: sm(&[b'x'; ShortMessage::MAX]),
                    ..submit
                }),
            ),
            &[("smpp.sm_length", "254"), ("smpp.service_type", "ABCDE")],
        ),
    ]
}

/// Runs a program, failing the test with a hint when it is not installed.
fn run(program: &str, args: &[&str]) -> std::process::Output {
    match Command::new(program).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "`{program}` is not installed. This test needs Wireshark's tshark and text2pcap \
             (Debian package `tshark`); run the repository's test script, which installs it."
        ),
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

/// The PDU as a text2pcap hex dump: offsets, 16 octets a line.
fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, line) in bytes.chunks(16).enumerate() {
        write!(out, "{:06x} ", i * 16).unwrap();
        for b in line {
            write!(out, " {b:02x}").unwrap();
        }
        out.push('\n');
    }
    out
}

fn scratch_dir() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("smpp-tshark-{}-{nanos:x}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Turns the hex dump in `txt` into a capture (`pcap`) of TCP segments
/// between `ports` (`SRC,DST`; port 2775 is read as SMPP) and returns
/// tshark's values of `fields`, one line per packet, tab-separated.
fn capture_fields(txt: &Path, pcap: &Path, ports: &str, fields: &[&str]) -> Result<String, String> {
    let out = run(
        "text2pcap",
        &[
            "-q",
            "-T",
            ports,
            txt.to_str().unwrap(),
            pcap.to_str().unwrap(),
        ],
    );
    if !out.status.success() {
        return Err(format!(
            "text2pcap failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut args = vec![
        "-Q",
        "-n",
        "-r",
        pcap.to_str().unwrap(),
        "-d",
        "tcp.port==2775,smpp",
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=|",
    ];
    for f in fields {
        args.extend(["-e", f]);
    }
    let out = run("tshark", &args);
    if !out.status.success() {
        return Err(format!(
            "tshark failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Dissects one PDU; returns field values, or why it could not.
fn dissect(
    dir: &Path,
    index: usize,
    wire: &[u8],
    fields: &[&str],
) -> Result<BTreeMap<String, String>, String> {
    let txt = dir.join(format!("{index:02}.txt"));
    let pcap = dir.join(format!("{index:02}.pcapng"));
    std::fs::write(&txt, hexdump(wire)).unwrap();
    let stdout = capture_fields(&txt, &pcap, "40000,2775", fields)?;
    let lines: Vec<&str> = stdout.lines().collect();
    if lines.len() != 1 {
        return Err(format!("expected one packet, tshark printed {lines:?}"));
    }
    let values: Vec<&str> = lines[0].split('\t').collect();
    if values.len() != fields.len() {
        return Err(format!("unexpected tshark line {:?}", lines[0]));
    }
    Ok(fields
        .iter()
        .zip(values)
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect())
}

/// Checks one case; returns the problems found, and any warnings.
fn check(dir: &Path, index: usize, case: &Case) -> (Vec<String>, Vec<String>) {
    let wire = case.pdu.to_bytes().unwrap();
    let mut fields: Vec<&str> = COMMON_FIELDS.to_vec();
    fields.extend(case.expect.iter().map(|(f, _)| *f));
    if case.vendor_id {
        fields.push("data.len");
    }
    let got = match dissect(dir, index, &wire, &fields) {
        Ok(got) => got,
        Err(e) => return (vec![e], vec![]),
    };
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let protocols = &got["frame.protocols"];
    if case.vendor_id {
        // Not SMPP to Wireshark: the payload must be exactly our PDU.
        if !protocols.ends_with(":tcp:data") {
            problems.push(format!("expected raw TCP data (protocols {protocols})"));
        }
        if got["data.len"] != wire.len().to_string() {
            problems.push(format!("data.len is {:?}", got["data.len"]));
        }
        return (problems, warnings);
    }
    if !protocols.split(':').any(|p| p == "smpp") {
        problems.push(format!("not dissected as SMPP (protocols {protocols})"));
    }
    if !got["_ws.malformed"].is_empty() {
        problems.push("Wireshark marks it malformed".to_string());
    }
    let severities = got["_ws.expert.severity"].split('|');
    let messages = got["_ws.expert.message"].split('|');
    for (severity, message) in severities.zip(messages) {
        let Ok(severity) = severity.parse::<u32>() else {
            continue;
        };
        if severity >= SEVERITY_ERROR {
            problems.push(format!("expert error: {message}"));
        } else if severity >= SEVERITY_WARN {
            warnings.push(format!("expert warning: {message}"));
        }
    }
    let header = [
        ("smpp.command_length", wire.len().to_string()),
        (
            "smpp.command_id",
            format!("0x{:08x}", u32::from(case.pdu.command_id())),
        ),
        ("smpp.sequence_number", case.pdu.sequence.to_string()),
    ];
    for (field, want) in header.iter().chain(&case.expect) {
        let have = &got[*field];
        if have != want {
            problems.push(format!("{field} is {have:?}, expected {want:?}"));
        }
    }
    // The status is shown for responses (Wireshark hides it in requests).
    if case.pdu.command_id().is_response() {
        let want = format!("0x{:08x}", u32::from(case.pdu.status));
        let have = &got["smpp.command_status"];
        if *have != want {
            problems.push(format!(
                "smpp.command_status is {have:?}, expected {want:?}"
            ));
        }
    }
    (problems, warnings)
}

/// Checks every case (on two workers: each case is two short process
/// runs); returns the problems found, one paragraph per problem, naming the
/// PDU and giving its octets.
fn run_cases(cases: &[Case], dir: &Path) -> String {
    let mut results: Vec<(usize, Vec<String>, Vec<String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                s.spawn(move || {
                    (w..cases.len())
                        .step_by(2)
                        .map(|i| {
                            let (problems, warnings) = check(dir, i, &cases[i]);
                            (i, problems, warnings)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    results.sort_by_key(|r| r.0);
    assert_eq!(results.len(), cases.len());
    let mut report = String::new();
    for (i, problems, warnings) in &results {
        let case = &cases[*i];
        let hex: String = case
            .pdu
            .to_bytes()
            .unwrap()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        for w in warnings {
            eprintln!("{}: {w} ({hex})", case.name);
        }
        for p in problems {
            writeln!(report, "{}: {p}\n    {hex}", case.name).unwrap();
        }
    }
    report
}

/// Fails the test, with the way to fix it, when a tool is missing.
fn require_tools() {
    for (program, version_flag) in [("text2pcap", "-v"), ("tshark", "--version")] {
        let out = run(program, &[version_flag]);
        assert!(out.status.success(), "`{program} {version_flag}` failed");
    }
}

fn assert_dissected_cleanly(cases: &[Case]) {
    require_tools();
    let dir = scratch_dir();
    let report = run_cases(cases, &dir);
    assert!(
        report.is_empty(),
        "Wireshark disagrees with our encodings (captures in {}):\n{report}",
        dir.display()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wireshark_dissects_every_pdu_we_encode() {
    assert_dissected_cleanly(&cases());
}

/// A data_sm carrying `tlv` between two others, so that a dissector that
/// reads `tlv` at the wrong size loses the TLVs after it.
fn data_sm_with(sequence: u32, tlv: Tlv) -> Pdu {
    Pdu::new(
        sequence,
        Body::DataSm(DataSm {
            source: addr(1, 1, "447700900001"),
            dest: addr(1, 1, "447700900123"),
            tlvs: tlvs(vec![
                Tlv::octets(TlvTag::MessagePayload, *b"Hi"),
                tlv,
                Tlv::u16(TlvTag::UserMessageReference, 7),
            ]),
            ..DataSm::default()
        }),
    )
}

fn sized_case(name: &'static str, sequence: u32, tlv: Tlv) -> Case {
    case(
        name,
        data_sm_with(sequence, tlv),
        &[
            ("smpp.message_payload", "4869"),
            ("smpp.user_message_reference", "0x0007"),
        ],
    )
}

#[test]
fn wireshark_reads_tlvs_at_their_size_limits() {
    use TlvTag as T;
    assert_dissected_cleanly(&[
        sized_case(
            "additional_status_info_text empty",
            1,
            Tlv::cstr(T::AdditionalStatusInfoText, ""),
        ),
        sized_case(
            "additional_status_info_text of 255 characters",
            2,
            Tlv::cstr(T::AdditionalStatusInfoText, "i".repeat(255)),
        ),
        sized_case(
            "receipted_message_id of 64 characters",
            3,
            Tlv::cstr(T::ReceiptedMessageId, "r".repeat(64)),
        ),
        sized_case(
            "source_subaddress of 23 octets",
            4,
            Tlv::octets(T::SourceSubaddress, [0xA0; 23]),
        ),
        sized_case(
            "callback_num of 19 octets",
            5,
            Tlv::octets(T::CallbackNum, *b"\x01\x01\x010123456789012345"),
        ),
        sized_case(
            "callback_num_atag empty",
            6,
            Tlv::octets(T::CallbackNumAtag, []),
        ),
        sized_case(
            "alert_on_message_delivery with a 5.0 value",
            7,
            Tlv::octets(T::AlertOnMessageDelivery, [2]),
        ),
        sized_case("unknown TLV, empty", 8, Tlv::octets(T::Unknown(0x1400), [])),
        sized_case(
            "unknown TLV, 1000 octets",
            9,
            Tlv::octets(T::Unknown(0x3FFF), vec![0x55; 1000]),
        ),
    ]);
}

/// TLV sizes the codec accepts and produces that Wireshark 4.0 reads at a
/// fixed single octet, without skipping the rest of the value: the TLVs
/// after them are misread and the PDU is marked malformed.
/// `source_telematics_id`: sources disagree on 1 or 2 octets; `ms_validity`:
/// 5.0 adds a 4-octet form.
#[test]
#[ignore = "Wireshark reads source_telematics_id and ms_validity as one octet; \
            the codec also produces 2- and 4-octet values"]
fn wireshark_reads_tlvs_at_their_other_spec_sizes() {
    use TlvTag as T;
    assert_dissected_cleanly(&[
        sized_case(
            "source_telematics_id of 2 octets",
            1,
            Tlv::octets(T::SourceTelematicsId, [0x00, 0x01]),
        ),
        sized_case(
            "ms_validity of 4 octets",
            2,
            Tlv::octets(T::MsValidity, [0x04, 0x09, 0x00, 0x05]),
        ),
    ]);
}

#[cfg(feature = "daemon")]
mod support;

/// What smsc-sim sends, off the wire (the binary needs the `daemon`
/// feature).
#[cfg(feature = "daemon")]
mod smsc_sim_wire {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// What came back on each connection.
    type Streams = Arc<Mutex<Vec<Arc<Mutex<Vec<u8>>>>>>;

    /// Records what an SMSC sends: a TCP relay on a free loopback port to
    /// `upstream`, keeping every octet that comes back, one buffer per
    /// connection.
    struct Recorder {
        addr: String,
        streams: Streams,
    }

    impl Recorder {
        fn start(upstream: &str) -> Recorder {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap().to_string();
            let streams: Streams = Arc::default();
            let upstream = upstream.to_string();
            let all = streams.clone();
            std::thread::spawn(move || {
                for client in listener.incoming() {
                    let Ok(client) = client else { return };
                    let Ok(server) = TcpStream::connect(&upstream) else {
                        return;
                    };
                    let seen = Arc::new(Mutex::new(Vec::new()));
                    all.lock().unwrap().push(seen.clone());
                    let (mut from_client, mut to_server) =
                        (client.try_clone().unwrap(), server.try_clone().unwrap());
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from_client, &mut to_server);
                        let _ = to_server.shutdown(Shutdown::Write);
                    });
                    let (mut from_server, mut to_client) = (server, client);
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 4096];
                        loop {
                            match from_server.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    seen.lock().unwrap().extend_from_slice(&buf[..n]);
                                    if to_client.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = to_client.shutdown(Shutdown::Write);
                    });
                }
            });
            Recorder { addr, streams }
        }

        /// Every PDU recorded so far, connection by connection.
        fn pdus(&self) -> Vec<Vec<Vec<u8>>> {
            self.streams
                .lock()
                .unwrap()
                .iter()
                .map(|s| split_pdus(&s.lock().unwrap()))
                .collect()
        }

        /// Whether some connection carried a PDU with this command id.
        fn saw(&self, id: CommandId) -> bool {
            self.pdus()
                .iter()
                .flatten()
                .any(|p| p[4..8] == u32::from(id).to_be_bytes())
        }
    }

    /// A byte stream cut into whole PDUs at their command_length.
    fn split_pdus(stream: &[u8]) -> Vec<Vec<u8>> {
        let mut pdus = Vec::new();
        let mut rest = stream;
        while rest.len() >= 16 {
            let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
            if len < 16 || len > rest.len() {
                break;
            }
            pdus.push(rest[..len].to_vec());
            rest = &rest[len..];
        }
        pdus
    }

    /// Dissects PDUs as consecutive segments of one TCP stream, one per
    /// packet, in one capture; the fields of each, in order.
    fn dissect_stream(
        dir: &Path,
        name: &str,
        pdus: &[Vec<u8>],
        fields: &[&str],
    ) -> Vec<BTreeMap<String, String>> {
        let txt = dir.join(format!("{name}.txt"));
        let pcap = dir.join(format!("{name}.pcapng"));
        let dump: String = pdus.iter().map(|p| hexdump(p)).collect();
        std::fs::write(&txt, dump).unwrap();
        capture_fields(&txt, &pcap, "2775,40000", fields)
            .unwrap_or_else(|e| panic!("{e}"))
            .lines()
            .map(|line| {
                fields
                    .iter()
                    .zip(line.split('\t'))
                    .map(|(f, v)| (f.to_string(), v.to_string()))
                    .collect()
            })
            .collect()
    }

    fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while !done() {
            assert!(
                std::time::Instant::now() < deadline,
                "waited too long for {what}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every PDU smsc-sim sends in a session that uses every operation (binds
    /// of all three kinds and a refused one, submit_sm accepted and refused,
    /// data_sm, submit_multi with unsuccess_smes, query_sm pending, final and
    /// unknown, replace_sm and cancel_sm that succeed and fail, receipts by
    /// deliver_sm and data_sm, a loopback MO, enquire_link both ways, an
    /// unknown command, unbind both ways) and its outbind, recorded off the
    /// wire and read by Wireshark: each one SMPP, with the length and command
    /// id of its header, no malformed mark, no error-level expert info.
    #[test]
    fn wireshark_reads_everything_smsc_sim_sends() {
        use smpp::runtime::{Esme, EsmeConfig, EsmeEvent, Runtime};
        use smpp::session::BindMode;
        require_tools();
        let outbind_listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let outbind_addr = outbind_listener.local_addr().unwrap().to_string();
        let sim = super::support::SmscSim::start(&[
            "--dlr-delay-ms",
            "200",
            "--loopback",
            "--reject-dest",
            "4479",
            "--enquire-link-secs",
            "1",
            "--outbind",
            &outbind_addr,
        ]);
        let (mut outbind_conn, _) = outbind_listener.accept().unwrap();
        outbind_conn
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let mut outbind = vec![0u8; 4];
        outbind_conn.read_exact(&mut outbind).unwrap();
        let len = u32::from_be_bytes([outbind[0], outbind[1], outbind[2], outbind[3]]) as usize;
        outbind.resize(len, 0);
        outbind_conn.read_exact(&mut outbind[4..]).unwrap();
        drop(outbind_conn);

        let rec = Recorder::start(&sim.addr);
        let rt = Runtime::new().unwrap();
        let connect = |mode: BindMode, password: &str| {
            let mut config = EsmeConfig::new(&rec.addr, "smppclient1", password);
            config.mode = mode;
            config.auto_ack = true;
            config.reconnect = None;
            config.connect_timeout = Duration::from_secs(15);
            // The transceiver probes the SMSC; the others stay quiet, so the
            // SMSC probes them.
            config.session.enquire_link_interval =
                (mode == BindMode::Transceiver).then(|| Duration::from_millis(300));
            Esme::connect(&rt, config)
        };
        assert!(connect(BindMode::Transceiver, "wrong").is_err());
        let rx = connect(BindMode::Receiver, "password").unwrap();
        let tx = connect(BindMode::Transmitter, "password").unwrap();
        let e = connect(BindMode::Transceiver, "password").unwrap();

        let source: Address<21> = addr(1, 1, "447000000001");
        let submit = |dest: &str, registered: u8| {
            e.submit(SubmitSm {
                source,
                dest: addr(1, 1, dest),
                registered_delivery: registered,
                short_message: sm(b"seen by wireshark"),
                ..SubmitSm::default()
            })
        };
        let id_of = |pdu: Pdu| match pdu.body {
            Body::SubmitSmResp(r) => r.message_id,
            other => panic!("{other:?}"),
        };
        let pending = id_of(submit("447700900001", 1).unwrap());
        let query = |id: COctet<65>| {
            e.query_sm(QuerySm {
                message_id: id,
                source,
                ..QuerySm::default()
            })
        };
        query(pending).unwrap();
        e.replace_sm(ReplaceSm {
            message_id: pending,
            source,
            short_message: sm(b"replaced"),
            ..ReplaceSm::default()
        })
        .unwrap();
        let cancel = CancelSm {
            message_id: pending,
            source,
            ..CancelSm::default()
        };
        e.cancel_sm(cancel.clone()).unwrap();
        query(pending).unwrap();
        assert!(e.cancel_sm(cancel).is_err());
        assert!(query(c("ffffff00")).is_err());
        assert!(submit("447912345678", 1).is_err());
        submit("447700900123", 1).unwrap(); // loopback MO, then a receipt
        e.data_sm(DataSm {
            source: addr(1, 1, "447000000001"),
            dest: addr(1, 1, "447700900002"),
            registered_delivery: 1,
            tlvs: tlvs(vec![Tlv::octets(TlvTag::MessagePayload, b"data".to_vec())]),
            ..DataSm::default()
        })
        .unwrap();
        e.submit_multi(SubmitMulti {
            service_type: c(""),
            source,
            dests: vec![
                DestAddress::Sme(addr(1, 1, "447700900003")),
                DestAddress::Sme(addr(1, 1, "447900000001")),
                DestAddress::DistributionList(c("friends")),
            ],
            esm_class: 0,
            protocol_id: 0,
            priority_flag: 0,
            schedule_delivery_time: TimeString::default(),
            validity_period: TimeString::default(),
            registered_delivery: 1,
            replace_if_present_flag: 0,
            data_coding: smpp::pdu::DataCoding::SmscDefault,
            sm_default_msg_id: 0,
            short_message: sm(b"multi"),
            tlvs: Tlvs::new(),
        })
        .unwrap();
        // An unknown command id (our ESME will not send one: raw octets) gets
        // generic_nack.
        let mut raw = TcpStream::connect(&rec.addr).unwrap();
        let bind = Pdu::new(
            1,
            Body::BindTransmitter(Bind {
                system_id: c("smppclient1"),
                password: c("password"),
                interface_version: 0x34,
                ..Bind::default()
            }),
        );
        raw.write_all(&bind.to_bytes().unwrap()).unwrap();
        raw.write_all(&[0, 0, 0, 16, 0, 0, 0, 0x99, 0, 0, 0, 0, 0, 0, 0, 2])
            .unwrap();
        wait_until("generic_nack", || rec.saw(CommandId::GenericNack));
        drop(raw);
        // Three receipts (submit, loopback submit, data_sm), one per
        // submit_multi destination accepted, and the MO.
        let mut deliveries = 0;
        while deliveries < 5 {
            match e.events().recv_timeout(Duration::from_secs(15)) {
                Ok(EsmeEvent::Delivery(_)) => deliveries += 1,
                Ok(_) => {}
                Err(_) => panic!("{deliveries} deliveries of 5"),
            }
        }
        wait_until("enquire_link both ways", || {
            rec.saw(CommandId::EnquireLink) && rec.saw(CommandId::EnquireLinkResp)
        });
        tx.unbind();
        rx.unbind();
        // The transceiver is still bound when smsc-sim stops: it unbinds it.
        sim.stop();
        wait_until("smsc-sim's unbind", || rec.saw(CommandId::Unbind));
        e.unbind();

        let mut streams = rec.pdus();
        streams.push(vec![outbind]);
        let must_see = [
            CommandId::GenericNack,
            CommandId::Outbind,
            CommandId::BindReceiverResp,
            CommandId::BindTransmitterResp,
            CommandId::BindTransceiverResp,
            CommandId::SubmitSmResp,
            CommandId::DeliverSm,
            CommandId::DataSm,
            CommandId::DataSmResp,
            CommandId::SubmitMultiResp,
            CommandId::QuerySmResp,
            CommandId::CancelSmResp,
            CommandId::ReplaceSmResp,
            CommandId::EnquireLink,
            CommandId::EnquireLinkResp,
            CommandId::Unbind,
            CommandId::UnbindResp,
        ];
        for id in must_see {
            let wire = u32::from(id).to_be_bytes();
            assert!(
                streams.iter().flatten().any(|p| p[4..8] == wire),
                "smsc-sim sent no {id}"
            );
        }
        let dir = scratch_dir();
        let mut report = String::new();
        let mut count = 0;
        for (i, pdus) in streams.iter().enumerate() {
            let got = dissect_stream(&dir, &format!("stream{i}"), pdus, COMMON_FIELDS);
            assert_eq!(got.len(), pdus.len(), "one line per PDU");
            for (pdu, g) in pdus.iter().zip(&got) {
                count += 1;
                let hex: String = pdu.iter().map(|b| format!("{b:02X}")).collect();
                let id = u32::from_be_bytes([pdu[4], pdu[5], pdu[6], pdu[7]]);
                let mut problems = Vec::new();
                if !g["frame.protocols"].split(':').any(|p| p == "smpp") {
                    problems.push(format!("not SMPP ({})", g["frame.protocols"]));
                }
                if !g["_ws.malformed"].is_empty() {
                    problems.push("marked malformed".to_string());
                }
                for s in g["_ws.expert.severity"].split('|') {
                    if s.parse::<u32>().is_ok_and(|s| s >= SEVERITY_ERROR) {
                        problems.push(format!("expert error: {}", g["_ws.expert.message"]));
                    }
                }
                if g["smpp.command_length"] != pdu.len().to_string() {
                    problems.push(format!("command_length {}", g["smpp.command_length"]));
                }
                if g["smpp.command_id"] != format!("0x{id:08x}") {
                    problems.push(format!("command_id {}", g["smpp.command_id"]));
                }
                for p in problems {
                    writeln!(report, "0x{id:08x}: {p}\n    {hex}").unwrap();
                }
            }
        }
        assert!(count >= must_see.len());
        assert!(
            report.is_empty(),
            "Wireshark disagrees with smsc-sim ({count} PDUs, captures in {}):\n{report}",
            dir.display()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
