//! Properties of the PDU codec and the framer.
//!
//! - Every body the codec can represent survives encode then decode, and
//!   re-encoding a decoded PDU gives back the same octets.
//! - No input makes `Pdu::decode`, `frame_len` or `Framer` panic, and what
//!   decodes from hostile input re-encodes to something that decodes the same.
//! - A stream of PDUs cut at arbitrary points comes out of the framer as the
//!   same PDUs, and `frame_len` waits for the whole PDU but refuses an
//!   impossible `command_length` as soon as it can read it.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Union};
use smpp::pdu::{
    frame_len, Address, AlertNotification, Bind, BindResp, Body, COctet, CancelSm, CommandId,
    CommandStatus, DataSm, DestAddress, FrameError, Framer, MessageIdResp, Outbind, Pdu, QuerySm,
    QuerySmResp, ReplaceSm, ShortMessage, SubmitMulti, SubmitMultiResp, SubmitSm, TimeString, Tlv,
    TlvKind, TlvTag, TlvValue, Tlvs, UnsuccessSme, DEFAULT_MAX_PDU_LEN, HEADER_LEN,
};

// ---------------------------------------------------------------------------
// Strategies for valid values

/// Text for a C-Octet string: no NUL, at most `max` octets.
fn text(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(0x20u8..0x7F, 0..=max),
        vec(1u8..=255, 0..=max),
        // At the limit, where off-by-one errors live.
        vec(1u8..=255, max..=max),
    ]
}

fn cstr<const N: usize>() -> impl Strategy<Value = COctet<N>> {
    text(N - 1).prop_map(|t| COctet::new(&t).unwrap())
}

fn address<const N: usize>() -> impl Strategy<Value = Address<N>> {
    (any::<u8>(), any::<u8>(), cstr::<N>()).prop_map(|(ton, npi, addr)| Address { ton, npi, addr })
}

/// Empty, or `YYMMDDhhmmsstnn` and one of `+`, `-`, `R`.
fn time() -> impl Strategy<Value = TimeString> {
    prop_oneof![
        Just(TimeString::EMPTY),
        (vec(b'0'..=b'9', 15), select(vec![b'+', b'-', b'R'])).prop_map(|(mut t, p)| {
            t.push(p);
            TimeString::new(&t).unwrap()
        }),
    ]
}

fn short_message() -> impl Strategy<Value = ShortMessage> {
    prop_oneof![
        vec(any::<u8>(), 0..=ShortMessage::MAX),
        Just(vec![0x5A; ShortMessage::MAX]),
    ]
    .prop_map(|m| ShortMessage::new(&m).unwrap())
}

/// Every tag the codec names.
fn known_tags() -> Vec<u16> {
    (0..=u16::MAX)
        .filter(|&t| TlvTag::from(t).name().is_some())
        .collect()
}

/// A value of the shape `kind` calls for (long octet strings capped to keep
/// cases small).
fn tlv_value(kind: TlvKind) -> BoxedStrategy<TlvValue> {
    match kind {
        TlvKind::U8 => any::<u8>().prop_map(TlvValue::U8).boxed(),
        TlvKind::U16 => any::<u16>().prop_map(TlvValue::U16).boxed(),
        TlvKind::U32 => any::<u32>().prop_map(TlvValue::U32).boxed(),
        TlvKind::CStr { max } => text(usize::from(max) - 1).prop_map(TlvValue::CStr).boxed(),
        TlvKind::Octets { min, max } => {
            let max = usize::from(max).min(300);
            vec(any::<u8>(), usize::from(min)..=max)
                .prop_map(TlvValue::Octets)
                .boxed()
        }
    }
}

/// A TLV with a known tag (mostly) or any tag (mostly unknown ones), and a
/// value that fits the tag.
fn tlv() -> impl Strategy<Value = Tlv> {
    let tag = prop_oneof![3 => select(known_tags()), 1 => any::<u16>()];
    tag.prop_flat_map(|raw| {
        let tag = TlvTag::from(raw);
        tlv_value(tag.kind()).prop_map(move |value| Tlv { tag, value })
    })
}

fn tlvs() -> impl Strategy<Value = Tlvs> {
    vec(tlv(), 0..5).prop_map(|v| v.into_iter().collect())
}

fn bind() -> impl Strategy<Value = Bind> {
    (
        cstr::<16>(),
        cstr::<9>(),
        cstr::<13>(),
        any::<[u8; 3]>(),
        cstr::<41>(),
    )
        .prop_map(
            |(system_id, password, system_type, [iv, ton, npi], address_range)| Bind {
                system_id,
                password,
                system_type,
                interface_version: iv,
                addr_ton: ton,
                addr_npi: npi,
                address_range,
            },
        )
}

fn bind_resp() -> impl Strategy<Value = BindResp> {
    (cstr::<16>(), tlvs()).prop_map(|(system_id, tlvs)| BindResp { system_id, tlvs })
}

fn message_id_resp() -> impl Strategy<Value = MessageIdResp> {
    (cstr::<65>(), tlvs()).prop_map(|(message_id, tlvs)| MessageIdResp { message_id, tlvs })
}

fn submit_sm() -> impl Strategy<Value = SubmitSm> {
    (
        (cstr::<6>(), address::<21>(), address::<21>()),
        any::<[u8; 7]>(),
        (time(), time()),
        short_message(),
        tlvs(),
    )
        .prop_map(
            |((service_type, source, dest), u8s, (schedule, validity), short_message, tlvs)| {
                SubmitSm {
                    service_type,
                    source,
                    dest,
                    esm_class: u8s[0],
                    protocol_id: u8s[1],
                    priority_flag: u8s[2],
                    schedule_delivery_time: schedule,
                    validity_period: validity,
                    registered_delivery: u8s[3],
                    replace_if_present_flag: u8s[4],
                    data_coding: u8s[5].into(),
                    sm_default_msg_id: u8s[6],
                    short_message,
                    tlvs,
                }
            },
        )
}

fn dest_address() -> impl Strategy<Value = DestAddress> {
    prop_oneof![
        address::<21>().prop_map(DestAddress::Sme),
        cstr::<21>().prop_map(DestAddress::DistributionList),
    ]
}

fn submit_multi() -> impl Strategy<Value = SubmitMulti> {
    (
        (cstr::<6>(), address::<21>()),
        prop_oneof![9 => vec(dest_address(), 1..8), 1 => vec(dest_address(), 200..=255)],
        any::<[u8; 7]>(),
        (time(), time()),
        short_message(),
        tlvs(),
    )
        .prop_map(
            |((service_type, source), dests, u8s, (schedule, validity), short_message, tlvs)| {
                SubmitMulti {
                    service_type,
                    source,
                    dests,
                    esm_class: u8s[0],
                    protocol_id: u8s[1],
                    priority_flag: u8s[2],
                    schedule_delivery_time: schedule,
                    validity_period: validity,
                    registered_delivery: u8s[3],
                    replace_if_present_flag: u8s[4],
                    data_coding: u8s[5].into(),
                    sm_default_msg_id: u8s[6],
                    short_message,
                    tlvs,
                }
            },
        )
}

fn submit_multi_resp() -> impl Strategy<Value = SubmitMultiResp> {
    let unsuccess = (address::<21>(), any::<u32>()).prop_map(|(dest, status)| UnsuccessSme {
        dest,
        error_status: CommandStatus::from(status),
    });
    (cstr::<65>(), vec(unsuccess, 0..6), tlvs()).prop_map(|(message_id, unsuccess, tlvs)| {
        SubmitMultiResp {
            message_id,
            unsuccess,
            tlvs,
        }
    })
}

/// A data_sm always carries message_payload.
fn data_sm() -> impl Strategy<Value = DataSm> {
    (
        (cstr::<6>(), address::<65>(), address::<65>()),
        any::<[u8; 3]>(),
        tlvs(),
        vec(any::<u8>(), 0..300),
    )
        .prop_map(|((service_type, source, dest), u8s, mut tlvs, payload)| {
            if tlvs.message_payload().is_none() {
                tlvs.push(Tlv::octets(TlvTag::MessagePayload, payload));
            }
            DataSm {
                service_type,
                source,
                dest,
                esm_class: u8s[0],
                registered_delivery: u8s[1],
                data_coding: u8s[2].into(),
                tlvs,
            }
        })
}

fn query_sm() -> impl Strategy<Value = QuerySm> {
    (cstr::<65>(), address::<21>(), tlvs()).prop_map(|(message_id, source, tlvs)| QuerySm {
        message_id,
        source,
        tlvs,
    })
}

fn query_sm_resp() -> impl Strategy<Value = QuerySmResp> {
    (cstr::<65>(), time(), any::<[u8; 2]>(), tlvs()).prop_map(
        |(message_id, final_date, [state, error], tlvs)| QuerySmResp {
            message_id,
            final_date,
            message_state: state,
            error_code: error,
            tlvs,
        },
    )
}

fn cancel_sm() -> impl Strategy<Value = CancelSm> {
    (
        cstr::<6>(),
        cstr::<65>(),
        address::<21>(),
        address::<21>(),
        tlvs(),
    )
        .prop_map(|(service_type, message_id, source, dest, tlvs)| CancelSm {
            service_type,
            message_id,
            source,
            dest,
            tlvs,
        })
}

fn replace_sm() -> impl Strategy<Value = ReplaceSm> {
    (
        (cstr::<65>(), address::<21>()),
        (time(), time()),
        any::<[u8; 2]>(),
        short_message(),
        tlvs(),
    )
        .prop_map(
            |((message_id, source), (schedule, validity), [reg, dflt], short_message, tlvs)| {
                ReplaceSm {
                    message_id,
                    source,
                    schedule_delivery_time: schedule,
                    validity_period: validity,
                    registered_delivery: reg,
                    sm_default_msg_id: dflt,
                    short_message,
                    tlvs,
                }
            },
        )
}

fn alert_notification() -> impl Strategy<Value = AlertNotification> {
    (address::<65>(), address::<65>(), tlvs()).prop_map(|(source, esme, tlvs)| AlertNotification {
        source,
        esme,
        tlvs,
    })
}

/// A command id the codec does not know, with any body.
fn unknown() -> impl Strategy<Value = Body> {
    let id = any::<u32>().prop_filter("a known command id", |&id| {
        matches!(CommandId::from(id), CommandId::Unknown(_))
    });
    (id, vec(any::<u8>(), 0..64)).prop_map(|(command_id, body)| Body::Unknown { command_id, body })
}

/// Any body of any variant.
fn body() -> impl Strategy<Value = Body> {
    let arms: Vec<BoxedStrategy<Body>> = vec![
        Just(Body::GenericNack).boxed(),
        bind().prop_map(Body::BindReceiver).boxed(),
        bind().prop_map(Body::BindTransmitter).boxed(),
        bind().prop_map(Body::BindTransceiver).boxed(),
        bind_resp().prop_map(Body::BindReceiverResp).boxed(),
        bind_resp().prop_map(Body::BindTransmitterResp).boxed(),
        bind_resp().prop_map(Body::BindTransceiverResp).boxed(),
        (cstr::<16>(), cstr::<9>())
            .prop_map(|(system_id, password)| {
                Body::Outbind(Outbind {
                    system_id,
                    password,
                })
            })
            .boxed(),
        Just(Body::Unbind).boxed(),
        Just(Body::UnbindResp).boxed(),
        submit_sm().prop_map(Body::SubmitSm).boxed(),
        message_id_resp().prop_map(Body::SubmitSmResp).boxed(),
        submit_multi().prop_map(Body::SubmitMulti).boxed(),
        submit_multi_resp().prop_map(Body::SubmitMultiResp).boxed(),
        submit_sm().prop_map(Body::DeliverSm).boxed(),
        message_id_resp().prop_map(Body::DeliverSmResp).boxed(),
        data_sm().prop_map(Body::DataSm).boxed(),
        message_id_resp().prop_map(Body::DataSmResp).boxed(),
        query_sm().prop_map(Body::QuerySm).boxed(),
        query_sm_resp().prop_map(Body::QuerySmResp).boxed(),
        cancel_sm().prop_map(Body::CancelSm).boxed(),
        Just(Body::CancelSmResp).boxed(),
        replace_sm().prop_map(Body::ReplaceSm).boxed(),
        Just(Body::ReplaceSmResp).boxed(),
        Just(Body::EnquireLink).boxed(),
        Just(Body::EnquireLinkResp).boxed(),
        alert_notification()
            .prop_map(Body::AlertNotification)
            .boxed(),
        unknown().boxed(),
    ];
    Union::new(arms)
}

/// The body an error response carries: the variant's empty value. `None`
/// for bodies that are not known responses (requests and unknown ids keep
/// their body whatever the status).
fn error_body(body: &Body) -> Option<Body> {
    Some(match body {
        Body::GenericNack => Body::GenericNack,
        Body::BindReceiverResp(_) => Body::BindReceiverResp(BindResp::default()),
        Body::BindTransmitterResp(_) => Body::BindTransmitterResp(BindResp::default()),
        Body::BindTransceiverResp(_) => Body::BindTransceiverResp(BindResp::default()),
        Body::UnbindResp => Body::UnbindResp,
        Body::SubmitSmResp(_) => Body::SubmitSmResp(MessageIdResp::default()),
        Body::SubmitMultiResp(_) => Body::SubmitMultiResp(SubmitMultiResp::default()),
        Body::DeliverSmResp(_) => Body::DeliverSmResp(MessageIdResp::default()),
        Body::DataSmResp(_) => Body::DataSmResp(MessageIdResp::default()),
        Body::QuerySmResp(_) => Body::QuerySmResp(QuerySmResp::default()),
        Body::CancelSmResp => Body::CancelSmResp,
        Body::ReplaceSmResp => Body::ReplaceSmResp,
        Body::EnquireLinkResp => Body::EnquireLinkResp,
        _ => return None,
    })
}

fn status() -> impl Strategy<Value = CommandStatus> {
    prop_oneof![
        3 => Just(CommandStatus::Ok),
        1 => (1u32..0x110).prop_map(CommandStatus::from),
        1 => any::<u32>().prop_map(CommandStatus::from),
    ]
}

/// Any valid PDU: error responses only with their empty body.
fn pdu() -> impl Strategy<Value = Pdu> {
    (any::<u32>(), status(), body()).prop_map(|(sequence, status, body)| {
        let body = match error_body(&body) {
            Some(empty) if !status.is_ok() => empty,
            _ => body,
        };
        Pdu {
            sequence,
            status,
            body,
        }
    })
}

// ---------------------------------------------------------------------------
// Strategies for hostile input

/// Command ids the codec knows, and a few it does not.
fn any_command_id() -> impl Strategy<Value = u32> {
    let known: Vec<u32> = [
        0x8000_0000u32,
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        8,
        9,
        0x0B,
        0x15,
        0x21,
        0x102,
        0x103,
    ]
    .iter()
    .flat_map(|&id| [id, id | 0x8000_0000])
    .collect();
    prop_oneof![4 => select(known), 1 => any::<u32>()]
}

/// A frame with a correct command_length, a plausible header and any body.
fn patched_frame() -> impl Strategy<Value = Vec<u8>> {
    (
        any_command_id(),
        prop_oneof![3 => Just(0u32), 1 => any::<u32>()],
        any::<u32>(),
        vec(any::<u8>(), 0..400),
    )
        .prop_map(|(id, status, sequence, body)| with_header(id, status, sequence, &body))
}

fn with_header(id: u32, status: u32, sequence: u32, body: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(HEADER_LEN + body.len());
    frame.extend_from_slice(&((HEADER_LEN + body.len()) as u32).to_be_bytes());
    frame.extend_from_slice(&id.to_be_bytes());
    frame.extend_from_slice(&status.to_be_bytes());
    frame.extend_from_slice(&sequence.to_be_bytes());
    frame.extend_from_slice(body);
    frame
}

/// A valid encoding with a few of its body octets changed, some octets cut
/// or inserted, and the length patched to match.
fn mutated_frame() -> impl Strategy<Value = Vec<u8>> {
    (
        pdu(),
        vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        prop_oneof![3 => Just(None), 1 => any::<prop::sample::Index>().prop_map(Some)],
        prop_oneof![3 => Just(Vec::new()), 1 => vec(any::<u8>(), 1..4)],
    )
        .prop_map(|(pdu, changes, cut, extra)| {
            let wire = pdu.to_bytes().unwrap();
            let mut body = wire[HEADER_LEN..].to_vec();
            if !body.is_empty() {
                for (at, octet) in changes {
                    let at = at.index(body.len());
                    body[at] = octet;
                }
            }
            if let Some(cut) = cut {
                body.truncate(cut.index(body.len() + 1));
            }
            body.extend_from_slice(&extra);
            let word = |i: usize| u32::from_be_bytes(wire[i..i + 4].try_into().unwrap());
            with_header(word(4), word(8), word(12), &body)
        })
}

/// What a decoded PDU must satisfy: it re-encodes, to a frame that decodes
/// to the same value and whose header is the one that was read.
fn check_reencodes(frame: &[u8], pdu: &Pdu) -> Result<(), TestCaseError> {
    let wire = match pdu.to_bytes() {
        Ok(wire) => wire,
        Err(e) => {
            return Err(TestCaseError::fail(format!(
                "decoded {pdu:?} from {} but cannot encode it: {e}",
                hex(frame)
            )))
        }
    };
    prop_assert_eq!(&wire[4..16], &frame[4..16], "header of {}", hex(frame));
    let again = Pdu::decode(&wire);
    prop_assert_eq!(again.as_ref(), Ok(pdu), "from {}", hex(frame));
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Cut points: chunk sizes that cover `len` octets, many of them 1.
fn chunking(len: usize) -> impl Strategy<Value = Vec<usize>> {
    vec(
        prop_oneof![2 => Just(1usize), 2 => 1usize..8, 1 => 1usize..200],
        len.max(1),
    )
}

/// Pushes `stream` into a framer in chunks of the given sizes, taking every
/// frame as soon as it is complete.
fn frame_all(stream: &[u8], sizes: &[usize], max: usize) -> (Vec<Vec<u8>>, Option<usize>) {
    let mut framer = Framer::new(max);
    let mut frames = Vec::new();
    let mut rest = stream;
    let mut sizes = sizes.iter().cycle();
    let mut error_at = None;
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).min(rest.len());
        framer.push(&rest[..n]);
        rest = &rest[n..];
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => frames.push(frame.to_vec()),
                Ok(None) => break,
                Err(_) => {
                    error_at.get_or_insert(stream.len() - rest.len());
                    break;
                }
            }
        }
    }
    (frames, error_at)
}

/// As [`frame_all`], with [`Framer::next_frame_in`] (frames taken from each
/// chunk in place): the error also reports what it said.
fn frame_all_in(
    stream: &[u8],
    sizes: &[usize],
    max: usize,
) -> (Vec<Vec<u8>>, Option<(usize, FrameError)>) {
    let mut framer = Framer::new(max);
    let mut frames = Vec::new();
    let mut rest = stream;
    let mut sizes = sizes.iter().cycle();
    let mut error = None;
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).min(rest.len());
        let mut input = &rest[..n];
        rest = &rest[n..];
        loop {
            match framer.next_frame_in(&mut input) {
                Ok(Some(frame)) => frames.push(frame.to_vec()),
                Ok(None) => {
                    assert!(input.is_empty(), "Ok(None) takes the whole input");
                    break;
                }
                Err(e) => {
                    error.get_or_insert((stream.len() - rest.len(), e));
                    break;
                }
            }
        }
    }
    (frames, error)
}

/// The error [`Framer::push`] then [`Framer::next_frame`] give, if any.
fn frame_error(stream: &[u8], sizes: &[usize], max: usize) -> Option<FrameError> {
    let mut framer = Framer::new(max);
    let mut rest = stream;
    let mut sizes = sizes.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap()).min(rest.len());
        framer.push(&rest[..n]);
        rest = &rest[n..];
        loop {
            match framer.next_frame() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => return Some(e),
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn encode_then_decode_gives_the_same_pdu(pdu in pdu()) {
        let wire = pdu.to_bytes().unwrap();
        prop_assert_eq!(
            u32::from_be_bytes(wire[..4].try_into().unwrap()) as usize,
            wire.len()
        );
        prop_assert_eq!(&wire[4..8], &u32::from(pdu.command_id()).to_be_bytes());
        prop_assert_eq!(&wire[8..12], &u32::from(pdu.status).to_be_bytes());
        prop_assert_eq!(&wire[12..16], &pdu.sequence.to_be_bytes());
        if !pdu.status.is_ok() && error_body(&pdu.body).is_some() {
            prop_assert_eq!(wire.len(), HEADER_LEN, "an error response is header-only");
        }
        let back = Pdu::decode(&wire);
        prop_assert_eq!(back.as_ref(), Ok(&pdu));
        // And the decoded value encodes to the very same octets.
        let mut again = vec![0xEE; 3];
        let n = back.unwrap().encode(&mut again).unwrap();
        prop_assert_eq!(n, wire.len());
        prop_assert_eq!(&again[..3], &[0xEE; 3], "encode appends");
        prop_assert_eq!(&again[3..], &wire[..]);
    }

    #[test]
    fn decoding_into_a_used_pdu_gives_what_decode_gives(
        frame in prop_oneof![pdu().prop_map(|p| p.to_bytes().unwrap()), mutated_frame()],
        used in pdu(),
    ) {
        let mut out = used;
        let into = Pdu::decode_into(&frame, &mut out);
        match Pdu::decode(&frame) {
            Ok(pdu) => {
                prop_assert_eq!(into, Ok(()));
                prop_assert_eq!(out, pdu);
            }
            Err(e) => prop_assert_eq!(into, Err(e)),
        }
    }

    #[test]
    fn a_clone_is_equal_and_encodes_the_same(pdu in pdu()) {
        let copy = pdu.clone();
        prop_assert_eq!(&copy, &pdu);
        prop_assert_eq!(copy.to_bytes().unwrap(), pdu.to_bytes().unwrap());
    }

    #[test]
    fn decode_never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..200)) {
        if let Ok(pdu) = Pdu::decode(&bytes) {
            check_reencodes(&bytes, &pdu)?;
        }
    }

    #[test]
    fn decoded_hostile_frames_reencode(frame in patched_frame()) {
        if let Ok(pdu) = Pdu::decode(&frame) {
            check_reencodes(&frame, &pdu)?;
        }
    }

    #[test]
    fn decoded_mutated_frames_reencode(frame in mutated_frame()) {
        match Pdu::decode(&frame) {
            Ok(pdu) => check_reencodes(&frame, &pdu)?,
            Err(e) => {
                // The error keeps the header for the answer.
                prop_assert_eq!(&e.command_id.to_be_bytes()[..], &frame[4..8]);
                prop_assert_eq!(&e.sequence.to_be_bytes()[..], &frame[12..16]);
            }
        }
    }

    #[test]
    fn frame_len_never_panics(bytes in vec(any::<u8>(), 0..64), max in 0usize..100_000) {
        match frame_len(&bytes, max) {
            Ok(Some(n)) => {
                prop_assert!((HEADER_LEN..=max).contains(&n));
                prop_assert!(n <= bytes.len());
                prop_assert_eq!(n as u32, u32::from_be_bytes(bytes[..4].try_into().unwrap()));
            }
            Ok(None) => {
                if bytes.len() >= 4 {
                    let len = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
                    prop_assert!(len > bytes.len());
                }
            }
            Err(e) => {
                let len = e.command_length as usize;
                prop_assert!(!(HEADER_LEN..=max).contains(&len));
                prop_assert_eq!(e.max_pdu_len, max);
                prop_assert_eq!(e.sequence.is_some(), bytes.len() >= 16);
            }
        }
    }

    #[test]
    fn framer_never_panics_on_arbitrary_chunks(
        bytes in vec(any::<u8>(), 0..600),
        sizes in chunking(64),
        max in prop_oneof![Just(DEFAULT_MAX_PDU_LEN), 0usize..300],
    ) {
        let (frames, error_at) = frame_all(&bytes, &sizes, max);
        let consumed: usize = frames.iter().map(Vec::len).sum();
        prop_assert!(consumed <= bytes.len());
        // The frames are the input's prefix, in order.
        prop_assert_eq!(&frames.concat()[..], &bytes[..consumed]);
        for frame in &frames {
            prop_assert!((HEADER_LEN..=max).contains(&frame.len()));
            let _ = Pdu::decode(frame);
        }
        if let Some(at) = error_at {
            // The error came once the bad length was in, after the last frame.
            prop_assert!(at >= consumed + 4);
        }
    }

    #[test]
    fn framing_in_place_gives_what_buffering_gives(
        pdus in vec(pdu(), 0..5),
        tail in vec(any::<u8>(), 0..40),
        sizes in chunking(32),
        max in prop_oneof![Just(DEFAULT_MAX_PDU_LEN), 0usize..300],
    ) {
        let mut stream = Vec::new();
        for pdu in &pdus {
            pdu.encode(&mut stream).unwrap();
        }
        stream.extend_from_slice(&tail);
        let (frames, error_at) = frame_all(&stream, &sizes, max);
        let (frames_in, error_in) = frame_all_in(&stream, &sizes, max);
        prop_assert_eq!(&frames_in, &frames);
        prop_assert_eq!(error_in.map(|(at, _)| at), error_at);
        prop_assert_eq!(error_in.map(|(_, e)| e), frame_error(&stream, &sizes, max));
    }

    #[test]
    fn framer_splits_a_stream_back_into_its_pdus(
        pdus in vec(pdu(), 1..6),
        sizes in chunking(32),
    ) {
        let mut stream = Vec::new();
        for pdu in &pdus {
            pdu.encode(&mut stream).unwrap();
        }
        let (frames, error_at) = frame_all(&stream, &sizes, DEFAULT_MAX_PDU_LEN);
        prop_assert_eq!(error_at, None);
        prop_assert_eq!(frames.len(), pdus.len());
        for (frame, pdu) in frames.iter().zip(&pdus) {
            prop_assert_eq!(&Pdu::decode(frame).unwrap(), pdu);
        }
    }

    #[test]
    fn framer_hands_out_one_byte_at_a_time_the_same(pdus in vec(pdu(), 1..4)) {
        let mut stream = Vec::new();
        for pdu in &pdus {
            pdu.encode(&mut stream).unwrap();
        }
        let mut framer = Framer::new(DEFAULT_MAX_PDU_LEN);
        let mut decoded = Vec::new();
        for &octet in &stream {
            framer.push(&[octet]);
            if let Some(frame) = framer.next_frame().unwrap() {
                decoded.push(Pdu::decode(frame).unwrap());
            }
            framer.shrink();
        }
        prop_assert_eq!(framer.buffered(), 0);
        prop_assert_eq!(decoded, pdus);
    }

    #[test]
    fn frame_len_waits_for_the_whole_pdu(pdu in pdu(), next in vec(any::<u8>(), 0..20)) {
        let wire = pdu.to_bytes().unwrap();
        for end in 0..wire.len() {
            prop_assert_eq!(frame_len(&wire[..end], DEFAULT_MAX_PDU_LEN), Ok(None), "prefix {}", end);
        }
        prop_assert_eq!(frame_len(&wire, DEFAULT_MAX_PDU_LEN), Ok(Some(wire.len())));
        // Octets of the next PDU do not change the answer.
        let mut more = wire.clone();
        more.extend_from_slice(&next);
        prop_assert_eq!(frame_len(&more, DEFAULT_MAX_PDU_LEN), Ok(Some(wire.len())));
        // A limit one short refuses it, from the fourth octet on.
        let err = frame_len(&wire[..4], wire.len() - 1).unwrap_err();
        prop_assert_eq!(err.command_length as usize, wire.len());
        prop_assert_eq!(err.sequence, None);
    }

    #[test]
    fn frame_len_refuses_impossible_lengths_before_the_body(
        len in prop_oneof![0u32..16, (DEFAULT_MAX_PDU_LEN as u32 + 1)..=u32::MAX],
        rest in vec(any::<u8>(), 0..12),
    ) {
        let mut buf = len.to_be_bytes().to_vec();
        buf.extend_from_slice(&rest);
        let err = frame_len(&buf, DEFAULT_MAX_PDU_LEN).unwrap_err();
        prop_assert_eq!(err.command_length, len);
        prop_assert_eq!(err.max_pdu_len, DEFAULT_MAX_PDU_LEN);
        prop_assert_eq!(err.sequence, None, "no sequence before 16 octets");
        // Nor can fewer than four octets be judged.
        for end in 0..4 {
            prop_assert_eq!(frame_len(&buf[..end], DEFAULT_MAX_PDU_LEN), Ok(None));
        }
        // A framer fails on it, and stays failed.
        let mut framer = Framer::new(DEFAULT_MAX_PDU_LEN);
        framer.push(&buf);
        prop_assert_eq!(framer.next_frame().unwrap_err().command_length, len);
        framer.push(&Pdu::new(1, Body::EnquireLink).to_bytes().unwrap());
        prop_assert!(framer.next_frame().is_err());
    }
}

#[test]
fn frame_len_reports_the_sequence_once_the_header_is_in() {
    let mut buf = 8u32.to_be_bytes().to_vec();
    buf.extend_from_slice(&[0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0x12, 0x34]);
    let err = frame_len(&buf, DEFAULT_MAX_PDU_LEN).unwrap_err();
    assert_eq!(err.command_length, 8);
    assert_eq!(err.sequence, Some(0x1234));
    let err = frame_len(&buf[..15], DEFAULT_MAX_PDU_LEN).unwrap_err();
    assert_eq!(err.sequence, None);
    // The limit is inclusive.
    let wire = Pdu::new(1, Body::EnquireLink).to_bytes().unwrap();
    assert_eq!(frame_len(&wire, 16), Ok(Some(16)));
    assert!(frame_len(&wire, 15).is_err());
}

#[test]
fn tlv_strategy_covers_every_known_tag() {
    // known_tags() is derived from the codec's own table; make sure it is
    // not accidentally empty or short (the 3.4 set has 44 tags, plus 5.0's
    // congestion_state).
    let tags = known_tags();
    assert_eq!(tags.len(), 45);
    assert!(tags.contains(&0x0424) && tags.contains(&0x0427) && tags.contains(&0x1383));
}
