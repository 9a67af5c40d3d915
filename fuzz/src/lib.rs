//! Checks shared by the fuzz targets.

use smpp::pdu::{frame_len, Pdu, DEFAULT_MAX_PDU_LEN};

/// Decodes one whole frame. A decode error must keep the header (so the
/// peer can be answered); a decoded PDU must re-encode to a frame that
/// decodes to the same value and then encodes to the same octets.
pub fn decode_and_round_trip(frame: &[u8]) {
    let pdu = match Pdu::decode(frame) {
        Ok(pdu) => pdu,
        Err(e) => {
            if frame.len() >= 16 {
                assert_eq!(e.command_id.to_be_bytes(), frame[4..8]);
                assert_eq!(e.sequence.to_be_bytes(), frame[12..16]);
            }
            return;
        }
    };
    assert!(frame.len() >= 16);
    let wire = match pdu.to_bytes() {
        Ok(wire) => wire,
        Err(e) => panic!("decoded {pdu:?} but cannot encode it: {e}"),
    };
    assert_eq!(wire[4..16], frame[4..16], "the header changed");
    assert_eq!(
        frame_len(&wire, DEFAULT_MAX_PDU_LEN.max(wire.len())),
        Ok(Some(wire.len()))
    );
    let again = Pdu::decode(&wire).expect("a re-encoded PDU decodes");
    assert_eq!(again, pdu);
    assert_eq!(again.to_bytes().unwrap(), wire, "encoding is not stable");
}

/// Splits a framer input into its control part and the stream: the low
/// four bits of the first octet count the chunk-size octets that follow
/// (0: the whole stream in one push), bits 4-5 pick the PDU size limit.
pub fn framer_input(data: &[u8]) -> (usize, &[u8], &[u8]) {
    let Some((&control, rest)) = data.split_first() else {
        return (DEFAULT_MAX_PDU_LEN, &[], &[]);
    };
    let max = [DEFAULT_MAX_PDU_LEN, 16, 64, 1024][usize::from(control >> 4) & 3];
    let k = usize::from(control & 0x0F).min(rest.len());
    let (sizes, stream) = rest.split_at(k);
    (max, sizes, stream)
}
