//! Writes a seed corpus for the fuzz targets: one encoding of every PDU
//! type (`decode`), and streams of them with a few chunkings (`framer`).
//!
//! Usage: seed_corpus DECODE_DIR FRAMER_DIR

use smpp::pdu::{
    Address, AlertNotification, Bind, BindResp, Body, COctet, CancelSm, CommandStatus, DataSm,
    DestAddress, MessageIdResp, Outbind, Pdu, QuerySm, QuerySmResp, ReplaceSm, ShortMessage,
    SubmitMulti, SubmitMultiResp, SubmitSm, TimeString, Tlv, TlvTag, Tlvs, UnsuccessSme,
};
use std::path::PathBuf;

fn c<const N: usize>(text: &str) -> COctet<N> {
    COctet::new(text.as_bytes()).unwrap()
}

fn addr<const N: usize>(ton: u8, npi: u8, text: &str) -> Address<N> {
    Address::new(ton, npi, text).unwrap()
}

fn time(text: &str) -> TimeString {
    TimeString::new(text.as_bytes()).unwrap()
}

fn tlvs(list: Vec<Tlv>) -> Tlvs {
    list.into_iter().collect()
}

fn pdus() -> Vec<Pdu> {
    let bind = Bind {
        system_id: c("SMPP3TEST"),
        password: c("secret08"),
        system_type: c("SUBMIT1"),
        interface_version: 0x34,
        addr_ton: 1,
        addr_npi: 1,
        address_range: c("^44.*"),
    };
    let submit = SubmitSm {
        service_type: c("CMT"),
        source: addr(5, 0, "Shop"),
        dest: addr(1, 1, "447700900123"),
        schedule_delivery_time: time("230101120000000+"),
        validity_period: time("000001000000000R"),
        registered_delivery: 1,
        short_message: ShortMessage::new(b"Hello").unwrap(),
        tlvs: tlvs(vec![
            Tlv::u16(TlvTag::SarMsgRefNum, 0x1234),
            Tlv::u8(TlvTag::SarTotalSegments, 2),
            Tlv::u8(TlvTag::SarSegmentSeqnum, 1),
            Tlv::octets(TlvTag::Unknown(0x1401), [0xAB, 0xCD]),
        ]),
        ..SubmitSm::default()
    };
    let receipt = SubmitSm {
        esm_class: 0x04,
        tlvs: tlvs(vec![
            Tlv::cstr(TlvTag::ReceiptedMessageId, "abc123"),
            Tlv::u8(TlvTag::MessageState, 2),
            Tlv::octets(TlvTag::NetworkErrorCode, [3, 0, 1]),
        ]),
        ..submit.clone()
    };
    let id = MessageIdResp {
        message_id: c("abc123"),
        tlvs: tlvs(vec![Tlv::cstr(TlvTag::AdditionalStatusInfoText, "ok")]),
    };
    let p = |sequence, body| Pdu::new(sequence, body);
    vec![
        Pdu {
            sequence: 1,
            status: CommandStatus::InvCmdId,
            body: Body::GenericNack,
        },
        p(1, Body::BindReceiver(bind.clone())),
        p(2, Body::BindTransmitter(bind.clone())),
        p(3, Body::BindTransceiver(bind)),
        p(1, Body::BindReceiverResp(BindResp::new(c("smsc01")))),
        p(2, Body::BindTransmitterResp(BindResp::new(c("smsc01")))),
        p(3, Body::BindTransceiverResp(BindResp::new(c("smsc01")))),
        p(
            4,
            Body::Outbind(Outbind {
                system_id: c("smsc01"),
                password: c("hunter2"),
            }),
        ),
        p(5, Body::Unbind),
        p(5, Body::UnbindResp),
        p(6, Body::SubmitSm(submit.clone())),
        p(6, Body::SubmitSmResp(id.clone())),
        Pdu {
            sequence: 6,
            status: CommandStatus::SubmitFail,
            body: Body::SubmitSmResp(MessageIdResp::default()),
        },
        p(
            7,
            Body::SubmitMulti(SubmitMulti {
                service_type: c(""),
                source: addr(1, 1, "447700900001"),
                dests: vec![
                    DestAddress::Sme(addr(1, 1, "447700900123")),
                    DestAddress::DistributionList(c("friends")),
                ],
                esm_class: 0,
                protocol_id: 0,
                priority_flag: 0,
                schedule_delivery_time: TimeString::EMPTY,
                validity_period: TimeString::EMPTY,
                registered_delivery: 0,
                replace_if_present_flag: 0,
                data_coding: smpp::pdu::DataCoding::Latin1,
                sm_default_msg_id: 0,
                short_message: ShortMessage::new(b"Hi all").unwrap(),
                tlvs: Tlvs::new(),
            }),
        ),
        p(
            7,
            Body::SubmitMultiResp(SubmitMultiResp {
                message_id: c("m-42"),
                unsuccess: vec![UnsuccessSme {
                    dest: addr(1, 1, "447700900124"),
                    error_status: CommandStatus::InvDstAdr,
                }],
                tlvs: Tlvs::new(),
            }),
        ),
        p(8, Body::DeliverSm(receipt)),
        p(8, Body::DeliverSmResp(MessageIdResp::default())),
        p(
            9,
            Body::DataSm(DataSm {
                service_type: c("WAP"),
                source: addr(1, 1, "447700900001"),
                dest: addr(1, 1, "447700900123"),
                data_coding: smpp::pdu::DataCoding::OctetUnspecified,
                tlvs: tlvs(vec![
                    Tlv::octets(TlvTag::MessagePayload, *b"payload"),
                    Tlv::u16(TlvTag::DestinationPort, 2948),
                ]),
                ..DataSm::default()
            }),
        ),
        p(9, Body::DataSmResp(id)),
        p(
            10,
            Body::QuerySm(QuerySm {
                message_id: c("abc123"),
                source: addr(1, 1, "447700900001"),
                tlvs: Tlvs::new(),
            }),
        ),
        p(
            10,
            Body::QuerySmResp(QuerySmResp {
                message_id: c("abc123"),
                final_date: time("230101120100000+"),
                message_state: 2,
                error_code: 0,
                tlvs: Tlvs::new(),
            }),
        ),
        p(
            11,
            Body::CancelSm(CancelSm {
                service_type: c(""),
                message_id: c("abc123"),
                source: addr(1, 1, "447700900001"),
                dest: addr(1, 1, "447700900123"),
                tlvs: Tlvs::new(),
            }),
        ),
        p(11, Body::CancelSmResp),
        p(
            12,
            Body::ReplaceSm(ReplaceSm {
                message_id: c("abc123"),
                source: addr(1, 1, "447700900001"),
                schedule_delivery_time: TimeString::EMPTY,
                validity_period: time("230102120000004+"),
                registered_delivery: 1,
                sm_default_msg_id: 0,
                short_message: ShortMessage::new(b"New text").unwrap(),
                tlvs: Tlvs::new(),
            }),
        ),
        p(12, Body::ReplaceSmResp),
        p(13, Body::EnquireLink),
        p(13, Body::EnquireLinkResp),
        p(
            14,
            Body::AlertNotification(AlertNotification {
                source: addr(1, 1, "447700900123"),
                esme: addr(5, 0, "Shop"),
                tlvs: tlvs(vec![Tlv::u8(TlvTag::MsAvailabilityStatus, 1)]),
            }),
        ),
        p(
            15,
            Body::Unknown {
                command_id: 0x0001_0201,
                body: vec![1, 2, 3, 4, 5],
            },
        ),
    ]
}

fn main() {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [decode_dir, framer_dir] = &args[..] else {
        eprintln!("usage: seed_corpus DECODE_DIR FRAMER_DIR");
        std::process::exit(2);
    };
    std::fs::create_dir_all(decode_dir).unwrap();
    std::fs::create_dir_all(framer_dir).unwrap();
    let mut stream = Vec::new();
    for (i, pdu) in pdus().iter().enumerate() {
        let wire = pdu.to_bytes().unwrap();
        std::fs::write(decode_dir.join(format!("seed-{i:02}")), &wire).unwrap();
        // One PDU in one push, and in 1-octet pushes.
        let mut whole = vec![0x00];
        whole.extend_from_slice(&wire);
        std::fs::write(framer_dir.join(format!("seed-{i:02}")), &whole).unwrap();
        let mut bytewise = vec![0x01, 0x00];
        bytewise.extend_from_slice(&wire);
        std::fs::write(framer_dir.join(format!("seed-{i:02}-1")), &bytewise).unwrap();
        stream.extend_from_slice(&wire);
    }
    // All of them back to back, in pushes of 1, 8 and 33 octets.
    let mut all = vec![0x03, 0x00, 0x07, 0x20];
    all.extend_from_slice(&stream);
    std::fs::write(framer_dir.join("seed-stream"), &all).unwrap();
    println!(
        "wrote seeds to {} and {}",
        decode_dir.display(),
        framer_dir.display()
    );
}
