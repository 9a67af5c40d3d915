//! `Pdu::decode` on arbitrary bytes, as given and with `command_length`
//! patched to match, so that every body parser is reached. What decodes
//! must re-encode and decode to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smpp::pdu::{frame_len, Pdu, DEFAULT_MAX_PDU_LEN};
use smpp_fuzz::decode_and_round_trip;

fuzz_target!(|data: &[u8]| {
    // As given: the length rarely matches, which must be an error.
    if let Ok(pdu) = Pdu::decode(data) {
        assert_eq!(data[..4], (data.len() as u32).to_be_bytes());
        let _ = pdu.to_bytes();
    }
    let _ = frame_len(data, DEFAULT_MAX_PDU_LEN);
    if data.len() >= 4 {
        let mut frame = data.to_vec();
        frame[..4].copy_from_slice(&(data.len() as u32).to_be_bytes());
        decode_and_round_trip(&frame);
    }
});
