//! Codec benchmark: decode and encode of a submit_sm with a 160-character
//! body and of a deliver_sm delivery receipt.
//!
//! Run with `cargo bench --bench codec`. Each case runs 15 batches of
//! 200,000 operations and prints the median, minimum and maximum time per
//! operation, so one noisy batch does not move the figure.

use smpp::pdu::{Address, Body, Pdu, ShortMessage, SubmitSm, Tlv, TlvTag, Tlvs};
use std::hint::black_box;
use std::time::Instant;

const BATCHES: usize = 15;
const PER_BATCH: u32 = 200_000;

fn measure(name: &str, mut op: impl FnMut()) {
    for _ in 0..PER_BATCH / 10 {
        op();
    }
    let mut ns: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..PER_BATCH {
                op();
            }
            start.elapsed().as_nanos() as f64 / f64::from(PER_BATCH)
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    println!(
        "{name:<28} median {:>7.1} ns/op  (min {:.1}, max {:.1})",
        ns[BATCHES / 2],
        ns[0],
        ns[BATCHES - 1]
    );
}

fn submit_160() -> Pdu {
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(4);
    Pdu::new(
        0x1234,
        Body::SubmitSm(SubmitSm {
            source: Address::new(5, 0, "SHOPNAME").unwrap(),
            dest: Address::new(1, 1, "447700900123").unwrap(),
            registered_delivery: 1,
            short_message: ShortMessage::new(&text.as_bytes()[..160]).unwrap(),
            ..SubmitSm::default()
        }),
    )
}

fn receipt() -> Pdu {
    let text = "id:4f2a9c01d2 sub:001 dlvrd:001 submit date:2511251200 \
                done date:2511251201 stat:DELIVRD err:000 text:The quick brown fox";
    let mut tlvs = Tlvs::new();
    tlvs.push(Tlv::cstr(TlvTag::ReceiptedMessageId, "4f2a9c01d2"));
    tlvs.push(Tlv::u8(TlvTag::MessageState, 2));
    Pdu::new(
        0x99,
        Body::DeliverSm(SubmitSm {
            source: Address::new(1, 1, "447700900123").unwrap(),
            dest: Address::new(5, 0, "SHOPNAME").unwrap(),
            esm_class: 0x04,
            short_message: ShortMessage::new(text.as_bytes()).unwrap(),
            tlvs,
            ..SubmitSm::default()
        }),
    )
}

fn main() {
    let mut out = Vec::with_capacity(512);
    for (name, pdu) in [
        ("submit_sm 160", submit_160()),
        ("deliver_sm receipt", receipt()),
    ] {
        let wire = pdu.to_bytes().unwrap();
        measure(&format!("decode {name}"), || {
            black_box(Pdu::decode(black_box(&wire)).unwrap());
        });
        measure(&format!("encode {name}"), || {
            out.clear();
            black_box(black_box(&pdu).encode(&mut out).unwrap());
        });
    }
}
