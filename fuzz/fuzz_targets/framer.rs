//! The framer fed a stream in arbitrary chunks: it never panics, never
//! hands out more than it was given, and each frame it hands out is one
//! whole PDU, which decodes (or fails) without panicking and round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smpp::pdu::{frame_len, Framer};
use smpp_fuzz::{decode_and_round_trip, framer_input};

fuzz_target!(|data: &[u8]| {
    let (max, sizes, stream) = framer_input(data);
    let mut framer = Framer::new(max);
    let mut sizes = sizes.iter().map(|&s| usize::from(s) + 1).cycle();
    let (mut pushed, mut consumed) = (0usize, 0usize);
    let mut failed = false;
    let mut rest = stream;
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(rest.len()).min(rest.len());
        framer.push(&rest[..n]);
        rest = &rest[n..];
        pushed += n;
        loop {
            match framer.next_frame() {
                Ok(Some(frame)) => {
                    assert!(!failed, "a frame after a framing error");
                    consumed += frame.len();
                    assert!(consumed <= pushed, "consumed more than was pushed");
                    assert!((16..=max).contains(&frame.len()));
                    assert_eq!(frame_len(frame, max), Ok(Some(frame.len())));
                    let frame = frame.to_vec();
                    decode_and_round_trip(&frame);
                }
                Ok(None) => break,
                Err(e) => {
                    assert!(!(16..=max).contains(&(e.command_length as usize)));
                    failed = true;
                    break;
                }
            }
        }
        if !failed {
            assert_eq!(framer.buffered(), pushed - consumed);
        }
    }
    // The frames are the stream's prefix, back to back.
    assert!(consumed <= stream.len());
    if failed {
        assert!(framer.next_frame().is_err(), "a framing error is sticky");
    } else {
        framer.shrink();
        assert_eq!(framer.buffered(), stream.len() - consumed);
    }
});
