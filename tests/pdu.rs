//! Properties of the PDU codec through its public API: round trips of
//! submit_sm and deliver_sm, totality over hostile bytes, the errors that
//! name a short body's field, and the TLV list against a plain `Vec`.

use proptest::prelude::*;
use smpp::pdu::{
    Address, Body, COctet, CommandStatus, DecodeError, ErrorKind, Field, Pdu, ShortMessage,
    SubmitSm, TimeString, Tlv, TlvTag, Tlvs,
};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::char::range('0', 'z'), 0..=max)
        .prop_map(|v| v.into_iter().collect())
}

fn time() -> impl Strategy<Value = TimeString> {
    prop_oneof![
        Just(TimeString::EMPTY),
        (
            0u64..1_000_000_000_000_000,
            prop::sample::select(vec!['+', '-', 'R'])
        )
            .prop_map(
                |(digits, p)| TimeString::new(format!("{digits:015}{p}").as_bytes()).unwrap()
            ),
    ]
}

fn tlv() -> impl Strategy<Value = Tlv> {
    prop_oneof![
        any::<u8>().prop_map(|v| Tlv::u8(TlvTag::MessageState, v)),
        any::<u8>().prop_map(|v| Tlv::u8(TlvTag::SarTotalSegments, v)),
        any::<u16>().prop_map(|v| Tlv::u16(TlvTag::SarMsgRefNum, v)),
        any::<u32>().prop_map(|v| Tlv::u32(TlvTag::QosTimeToLive, v)),
        text(64).prop_map(|t| Tlv::cstr(TlvTag::ReceiptedMessageId, t)),
        proptest::collection::vec(any::<u8>(), 3..=3)
            .prop_map(|v| Tlv::octets(TlvTag::NetworkErrorCode, v)),
        proptest::collection::vec(any::<u8>(), 0..300)
            .prop_map(|v| Tlv::octets(TlvTag::MessagePayload, v)),
        (
            0x1400u16..0x1500,
            proptest::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(|(tag, v)| Tlv::octets(TlvTag::from(tag), v)),
    ]
}

fn submit_sm() -> impl Strategy<Value = SubmitSm> {
    (
        (text(5), any::<(u8, u8, u8, u8)>(), text(20), text(20)),
        (any::<[u8; 7]>(), time(), time()),
        proptest::collection::vec(any::<u8>(), 0..=ShortMessage::MAX),
        proptest::collection::vec(tlv(), 0..6),
    )
        .prop_map(
            |((st, (t1, n1, t2, n2), src, dst), (f, sched, valid), sm, tlvs)| SubmitSm {
                service_type: COctet::new(st.as_bytes()).unwrap(),
                source: Address::new(t1, n1, &src).unwrap(),
                dest: Address::new(t2, n2, &dst).unwrap(),
                esm_class: f[0],
                protocol_id: f[1],
                priority_flag: f[2],
                schedule_delivery_time: sched,
                validity_period: valid,
                registered_delivery: f[3],
                replace_if_present_flag: f[4],
                data_coding: f[5].into(),
                sm_default_msg_id: f[6],
                short_message: ShortMessage::new(&sm).unwrap(),
                tlvs: tlvs.into_iter().collect(),
            },
        )
}

fn hash(t: &Tlvs) -> u64 {
    let mut h = DefaultHasher::new();
    t.hash(&mut h);
    h.finish()
}

/// A TLV list edit, applied both to `Tlvs` and to a `Vec` model.
#[derive(Clone, Debug)]
enum Edit {
    Push(Tlv),
    Set(Tlv),
    Remove(TlvTag),
}

fn edit() -> impl Strategy<Value = Edit> {
    let tag = prop::sample::select(vec![
        TlvTag::MessageState,
        TlvTag::SarTotalSegments,
        TlvTag::ReceiptedMessageId,
    ]);
    let small = (tag.clone(), any::<u8>()).prop_map(|(t, v)| Tlv::u8(t, v));
    prop_oneof![
        3 => small.clone().prop_map(Edit::Push),
        1 => small.prop_map(Edit::Set),
        1 => tag.prop_map(Edit::Remove),
    ]
}

proptest! {
    #[test]
    fn submit_and_deliver_round_trip(sm in submit_sm(), seq in 1u32..0x7FFF_FFFF, deliver: bool) {
        let body = if deliver { Body::DeliverSm(sm) } else { Body::SubmitSm(sm) };
        let pdu = Pdu::new(seq, body);
        let wire = pdu.to_bytes().unwrap();
        prop_assert_eq!(Pdu::decode(&wire).unwrap(), pdu);
    }

    #[test]
    fn decode_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Pdu::decode(&bytes);
        // With a consistent command_length and a known command id.
        for id in [4u32, 5, 0x103, 0x80000004] {
            let mut framed = bytes.clone();
            framed.splice(0..0, [0u8; 16]);
            let len = framed.len() as u32;
            framed[..4].copy_from_slice(&len.to_be_bytes());
            framed[4..8].copy_from_slice(&id.to_be_bytes());
            if let Err(e) = Pdu::decode(&framed) {
                prop_assert_eq!(e.command_id, id);
            }
        }
    }

    #[test]
    fn mutated_submit_sm_decodes_or_errs(
        sm in submit_sm(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut wire = Pdu::new(1, Body::SubmitSm(sm)).to_bytes().unwrap();
        for (at, byte) in flips {
            let i = 16 + at.index(wire.len() - 16);
            wire[i] = byte;
        }
        wire.truncate(16 + cut.index(wire.len() - 15));
        let len = wire.len() as u32;
        wire[..4].copy_from_slice(&len.to_be_bytes());
        if let Ok(pdu) = Pdu::decode(&wire) {
            // Whatever decodes encodes again.
            prop_assert!(pdu.to_bytes().is_ok());
        }
    }

    #[test]
    fn tlvs_behave_like_a_vec(edits in proptest::collection::vec(edit(), 0..12)) {
        let mut tlvs = Tlvs::new();
        let mut model: Vec<Tlv> = Vec::new();
        for e in edits {
            match e {
                Edit::Push(t) => {
                    tlvs.push(t.clone());
                    model.push(t);
                }
                Edit::Set(t) => {
                    tlvs.set(t.clone());
                    match model.iter_mut().find(|m| m.tag == t.tag) {
                        Some(slot) => *slot = t,
                        None => model.push(t),
                    }
                }
                Edit::Remove(tag) => {
                    let first = model.iter().position(|m| m.tag == tag).map(|i| model.remove(i));
                    model.retain(|m| m.tag != tag);
                    prop_assert_eq!(tlvs.remove(tag), first);
                }
            }
            prop_assert_eq!(tlvs.iter().cloned().collect::<Vec<_>>(), model.clone());
            prop_assert_eq!(tlvs.len(), model.len());
            prop_assert_eq!(tlvs.is_empty(), model.is_empty());
            prop_assert_eq!(tlvs.get(TlvTag::MessageState), model.iter().find(|m| m.tag == TlvTag::MessageState));
            let rebuilt: Tlvs = model.iter().cloned().collect();
            prop_assert_eq!(&rebuilt, &tlvs);
            prop_assert_eq!(hash(&rebuilt), hash(&tlvs));
            prop_assert_eq!(format!("{tlvs:?}"), format!("Tlvs({model:?})"));
        }
    }

    #[test]
    fn time_shape(bytes in proptest::collection::vec(
        prop_oneof![8 => b'0'..=b'9', 1 => Just(b'+'), 1 => Just(b'R'), 1 => any::<u8>()],
        0..18,
    )) {
        let naive = bytes.is_empty()
            || (bytes.len() == 16
                && bytes[..15].iter().all(u8::is_ascii_digit)
                && matches!(bytes[15], b'+' | b'-' | b'R'));
        prop_assert_eq!(TimeString::is_valid(&bytes), naive);
    }
}

/// A submit_sm whose body is cut short names the first field it does not
/// reach, with ESME_RINVCMDLEN (ESME_RINVMSGLEN inside short_message).
#[test]
fn truncated_submit_sm_names_the_field() {
    let sm = SubmitSm {
        service_type: COctet::new(b"CMT").unwrap(),
        source: Address::new(5, 0, "SHOP").unwrap(),
        dest: Address::new(1, 1, "447700900123").unwrap(),
        schedule_delivery_time: TimeString::new(b"251125120000000+").unwrap(),
        short_message: ShortMessage::new(b"hello").unwrap(),
        ..SubmitSm::default()
    };
    let wire = Pdu::new(7, Body::SubmitSm(sm)).to_bytes().unwrap();
    let cut = |n: usize| {
        let mut w = wire[..16 + n].to_vec();
        let len = w.len() as u32;
        w[..4].copy_from_slice(&len.to_be_bytes());
        Pdu::decode(&w).unwrap_err()
    };
    let expect = |n: usize, field: Field| {
        let e = cut(n);
        assert_eq!(
            (e.field, e.kind, e.sequence, e.command_id),
            (field, ErrorKind::Truncated, 7, 4),
            "cut at {n}"
        );
        // A short_message cut short is a message length error; every other
        // cut is a command length error.
        let status = if field == Field::ShortMessage {
            CommandStatus::InvMsgLen
        } else {
            CommandStatus::InvCmdLen
        };
        assert_eq!(e.status(), status, "cut at {n}");
    };
    // service_type "CMT\0" is octets 0..4, source 4..11, dest 11..26,
    // esm_class.. 26..29, schedule 29..46, validity 46, then 5 octets, then
    // the text.
    expect(0, Field::ServiceType);
    expect(3, Field::ServiceType);
    expect(4, Field::SourceAddrTon);
    expect(5, Field::SourceAddrNpi);
    expect(6, Field::SourceAddr);
    expect(11, Field::DestAddrTon);
    expect(13, Field::DestinationAddr);
    expect(26, Field::EsmClass);
    expect(27, Field::ProtocolId);
    expect(28, Field::PriorityFlag);
    expect(29, Field::ScheduleDeliveryTime);
    expect(45, Field::ScheduleDeliveryTime);
    expect(46, Field::ValidityPeriod);
    expect(47, Field::RegisteredDelivery);
    expect(48, Field::ReplaceIfPresentFlag);
    expect(49, Field::DataCoding);
    expect(50, Field::SmDefaultMsgId);
    expect(51, Field::SmLength);
    expect(52, Field::ShortMessage);
    expect(56, Field::ShortMessage);
    assert!(Pdu::decode(&{
        let mut w = wire.clone();
        w.truncate(16 + 57);
        w
    })
    .is_ok());
}

#[test]
fn bad_fields_of_a_submit_sm() {
    let sm = SubmitSm {
        dest: Address::new(1, 1, "447700900123").unwrap(),
        ..SubmitSm::default()
    };
    let wire = Pdu::new(9, Body::SubmitSm(sm)).to_bytes().unwrap();
    let decode_with = |edit: &dyn Fn(&mut Vec<u8>)| -> DecodeError {
        let mut w = wire.clone();
        edit(&mut w);
        let len = w.len() as u32;
        w[..4].copy_from_slice(&len.to_be_bytes());
        Pdu::decode(&w).unwrap_err()
    };
    // The body: service_type 16, source 17..20, dest 20..35, flags 35..38,
    // times 38 and 39, 40..44, sm_length 44.
    let long_dest = decode_with(&|w| w.splice(22..22, [b'9'; 9]).for_each(drop));
    assert_eq!(
        (long_dest.field, long_dest.kind),
        (Field::DestinationAddr, ErrorKind::TooLong)
    );
    for time in [
        &b"25112512000000X+"[..],
        b"2511251200000+",
        b"251125120000000*",
    ] {
        let bad_time = decode_with(&|w| w.splice(38..38, time.iter().copied()).for_each(drop));
        assert_eq!(
            (bad_time.field, bad_time.kind),
            (Field::ScheduleDeliveryTime, ErrorKind::BadValue),
        );
    }
    let bad_len = decode_with(&|w| w[44] = 255);
    assert_eq!(
        (bad_len.field, bad_len.kind),
        (Field::SmLength, ErrorKind::BadValue)
    );
    let bad_tlv = decode_with(&|w| w.extend([0x04, 0x27, 0, 2, 0, 2]));
    assert_eq!(
        (bad_tlv.field, bad_tlv.kind),
        (Field::Tlv(0x0427), ErrorKind::BadLength)
    );
    let short_tlv = decode_with(&|w| w.extend([0x04, 0x27, 0]));
    assert_eq!(
        (short_tlv.field, short_tlv.kind),
        (Field::TlvStream, ErrorKind::Truncated)
    );
}

/// A receipt's two TLVs, and more than two (past the inline ones).
#[test]
fn receipt_tlvs() {
    for extra in 0..4u8 {
        let mut tlvs = Tlvs::new();
        tlvs.push(Tlv::cstr(TlvTag::ReceiptedMessageId, "4f2a9c01d2"));
        tlvs.push(Tlv::u8(TlvTag::MessageState, 2));
        for i in 0..extra {
            tlvs.push(Tlv::octets(TlvTag::NetworkErrorCode, vec![3, 0, i]));
        }
        let pdu = Pdu::new(
            0x99,
            Body::DeliverSm(SubmitSm {
                esm_class: 0x04,
                short_message: ShortMessage::new(b"id:4f2a9c01d2 stat:DELIVRD").unwrap(),
                tlvs,
                ..SubmitSm::default()
            }),
        );
        let back = Pdu::decode(&pdu.to_bytes().unwrap()).unwrap();
        assert_eq!(back, pdu);
        let Body::DeliverSm(d) = &back.body else {
            panic!("not a deliver_sm: {back:?}");
        };
        assert!(d.is_receipt());
        assert_eq!(d.tlvs.len(), 2 + usize::from(extra));
        assert_eq!(d.tlvs.receipted_message_id(), Some(&b"4f2a9c01d2"[..]));
        assert_eq!(d.tlvs.message_state(), Some(2));
        assert_eq!(d.tlvs.network_error_code(), (extra > 0).then_some((3, 0)));
    }
}
