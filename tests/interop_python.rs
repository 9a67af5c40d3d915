//! Interoperability with smpplib (PyPI) as a client of smsc-sim: a long
//! message split by smpplib into concatenated parts, and their receipts.
//!
//! Needs `scripts/install-peers`; fails (never skips) without it.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod support;

use std::collections::BTreeSet;
use support::{assert_totals, python, run_client, Member, SmscSim};

#[test]
fn smpplib_long_message_against_smsc_sim() {
    let sim = SmscSim::start(&[]);
    let mut cmd = python("python_client.py");
    cmd.arg(&sim.addr);
    let out = run_client("python_client.py", cmd);

    assert_eq!(out.u64("bind_status"), 0, "{out}");
    assert_eq!(out.str("bind_system_id"), "smsc-sim");
    // make_parts: GSM default alphabet, UDHI set, 153-octet parts.
    let parts = out.u64("parts");
    assert!(parts >= 2, "the text should need several parts: {out}");
    assert_eq!(out.u64("esm_class"), 0x40, "{out}");
    assert_eq!(out.u64("data_coding"), 0, "{out}");

    let statuses: Vec<_> = out["submit_status"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_u64())
        .collect();
    assert_eq!(statuses, vec![0; parts as usize], "{out}");
    let ids: BTreeSet<_> = out["message_ids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(ids.len() as u64, parts, "one distinct id per part: {out}");

    let receipts = out["receipts"].as_array().map_or(&[][..], Vec::as_slice);
    assert_eq!(receipts.len() as u64, parts, "{out}");
    let mut receipted = BTreeSet::new();
    for r in receipts {
        assert_eq!(r.u64("esm_class"), 0x04, "{r}");
        assert_eq!(r.u64("message_state"), 2, "{r}");
        let id = r.str("receipted_message_id");
        let text = r.str("short_message");
        assert!(text.starts_with(&format!("id:{id} ")), "{text:?}");
        assert!(text.contains(" stat:DELIVRD "), "{text:?}");
        receipted.insert(id);
    }
    assert_eq!(receipted, ids, "every part's id comes back in a receipt");

    let enquire = &out["enquire_link_resp"];
    assert_eq!(enquire.str("command"), "enquire_link_resp");
    assert_eq!(enquire.u64("status"), 0);
    assert_eq!(enquire["sequence_matches"].as_bool(), Some(true));
    let unbind = &out["unbind_resp"];
    assert_eq!(unbind.str("command"), "unbind_resp");
    assert_eq!(unbind.u64("status"), 0);

    let totals = sim.stop();
    assert_totals(
        &totals,
        &[
            ("sessions", 1),
            ("submit_sm", parts),
            ("receipts", parts),
            ("errors", 0),
        ],
    );
}

/// smpplib against smsc-sim's message store: query_sm, replace_sm and
/// cancel_sm (the last two declared in the peer script the way smpplib
/// declares its own commands), with the spec's statuses for a final
/// message (ESME_RCANCELFAIL 0x11, ESME_RREPLACEFAIL 0x13) and an unknown
/// one (ESME_RQUERYFAIL 0x67).
#[test]
fn smpplib_query_replace_cancel_against_smsc_sim() {
    let sim = SmscSim::start(&["--dlr-delay-ms", "60000"]);
    let mut cmd = python("python_store_client.py");
    cmd.arg(&sim.addr);
    let out = run_client("python_store_client.py", cmd);
    assert_eq!(out.u64("bind_status"), 0, "{out}");
    assert_eq!(out.u64("bind_tx_status"), 0, "{out}");
    support::check_store_steps(&out);
    let totals = sim.stop();
    assert_totals(
        &totals,
        &[
            ("sessions", 2),
            ("queries", 4),
            ("cancels", 2),
            ("replaces", 2),
            ("receipts", 0),
        ],
    );
}
