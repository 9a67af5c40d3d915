//! `smppd` against an SMSC that misbehaves the way real ones do: smsc-sim
//! with a mix of receipt outcomes, submits it never answers, and
//! connections it drops without unbind.
//!
//! `SIM_FAULT_FILES` sets the number of files (default 10,000).
#![cfg(feature = "daemon")]

mod daemon_util;

use daemon_util::*;
use std::collections::{BTreeMap, BTreeSet};

/// Six standard deviations: a binomial count with n·p·(1-p) in the
/// hundreds falls outside `n·p ± 6σ` with probability about 2·10⁻⁹ (the
/// normal tail; the three checks together stay below 10⁻⁸).
const SIGMAS: f64 = 6.0;

/// 10,000 files, each asking for a receipt, through smsc-sim with
/// `--dlr-stat DELIVRD:80,UNDELIV:15,EXPIRED:5 --no-response-every 500
/// --close-every 3000`: smppd's response timers fire for the unanswered
/// submits and it sends them again; it reconnects after each dropped
/// connection and sends again what was in flight. Every file ends in sent/
/// or failed/, nothing stays in outgoing/ or checked/, every receipt in
/// report/ for a message id smppd recorded names its file (and receipts
/// for ids it never saw, see below, are few), every message id has its
/// receipt (receipts cut off by a dropped connection
/// come after the reconnect), and the outcomes match the mix within six
/// standard deviations.
#[test]
fn smppd_against_a_faulty_smsc_loses_nothing() {
    let n: usize = std::env::var("SIM_FAULT_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = TestDir::new("sim-faults");
    let sim = Sim::start(&[
        "--dlr-stat",
        "DELIVRD:80,UNDELIV:15,EXPIRED:5",
        "--no-response-every",
        "500",
        "--close-every",
        "3000",
    ]);
    let mut conf = Conf::new(&dir.spool(), sim.addr);
    conf.smsc = "window = 64\nresponse_timeout_secs = 1\n".into();
    let cfg = conf.write(&dir.join("smppd.toml"));
    let spool = dir.spool();
    let d = Daemon::start(&cfg, &dir.join("smppd.log"));
    d.wait_log("running", secs(10));
    let names = drop_many(&spool, "fault", n, |i| {
        format!("To: 4917{i:08}\nReport: yes\n\nFault test {i}\n").into_bytes()
    });
    let started = std::time::Instant::now();
    if !wait_for(secs(300), || {
        count(&spool, "sent") + count(&spool, "failed") >= n
    }) {
        panic!(
            "only {} sent and {} failed of {n}\n{}",
            count(&spool, "sent"),
            count(&spool, "failed"),
            d.log_tail(40)
        );
    }
    let drained = started.elapsed();
    let sent = list(&spool, "sent");
    let ids: BTreeMap<String, String> = sent
        .iter()
        .flat_map(|f| {
            SpoolFile::load(&spool, "sent", f)
                .all("Message_id")
                .into_iter()
                .map(|id| (id.to_string(), f.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    // Receipts follow their responses at the pace smppd writes them, some
    // twice: wait (bounded) until every message id has one, reading each
    // new report once, then check what came.
    let mut read = BTreeSet::new();
    let mut have = BTreeSet::new();
    wait_for(secs(120), || {
        for name in list(&spool, "report") {
            if read.insert(name.clone()) {
                have.insert(
                    SpoolFile::load(&spool, "report", &name)
                        .get("Message_id")
                        .to_string(),
                );
            }
        }
        ids.keys().all(|id| have.contains(id))
    });
    let log = std::fs::read_to_string(&d.log).unwrap();
    d.stop_clean();
    let totals = sim.stop();

    // Every file accounted for, once.
    let failed = list(&spool, "failed");
    let expected: BTreeSet<&String> = names.iter().collect();
    let mut seen = BTreeSet::new();
    for f in sent.iter().chain(&failed) {
        assert!(expected.contains(f), "unexpected file {f}");
        assert!(seen.insert(f), "{f} is in sent/ and failed/");
    }
    assert_eq!(seen.len(), n, "lost {} files", n - seen.len());
    assert!(list(&spool, "outgoing").is_empty());
    assert!(list(&spool, "checked").is_empty());

    // Every receipt for a message id smppd learned names its file. A
    // dropped connection with requests still unread makes the simulator's
    // kernel answer them with a reset, which can destroy responses already
    // sent: smppd sends those messages again, and the first copies'
    // receipts come without an Original_file (smppd never saw their ids).
    // Those are at most a window (64) per dropped connection.
    let reports = load_all(&spool, "report");
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut receipted = BTreeSet::new();
    let mut unknown = BTreeSet::new();
    for (name, r) in &reports {
        let id = r.get("Message_id");
        let originals = r.all("Original_file");
        match ids.get(id) {
            Some(file) => assert_eq!(
                originals,
                [file.as_str()],
                "report {name}: id {id} names {originals:?}"
            ),
            None => {
                assert!(originals.is_empty(), "report {name}: {originals:?}");
                unknown.insert(id.to_string());
            }
        }
        // A receipt in flight when the connection dropped comes again after
        // the reconnect: count each message once.
        if receipted.insert(id.to_string()) {
            *outcomes.entry(r.get("Status").to_string()).or_default() += 1;
        }
    }
    let missing: Vec<&String> = ids.keys().filter(|id| !receipted.contains(*id)).collect();
    let r = receipted.len() as f64;
    println!(
        "files={n} sent={} failed={} drained in {drained:.1?}; sim totals {totals:?}; submit_sm={} sessions={} \
         receipts={} distinct={} of unknown ids={} outcomes={outcomes:?}",
        sent.len(),
        failed.len(),
        totals.submit_sm,
        totals.sessions,
        reports.len(),
        receipted.len(),
        unknown.len()
    );
    // The faults happened and smppd saw them.
    assert!(log.contains("reconnecting"), "no dropped connection seen");
    assert!(totals.sessions >= 4, "{totals:?}");
    assert!(
        totals.submit_sm > n as u64,
        "no submit sent twice: {totals:?}"
    );
    // Every message has its receipt (those cut off by a dropped connection
    // came after the reconnect), and repeats are at most a window (256)
    // per dropped connection.
    assert!(
        missing.is_empty(),
        "{} messages without a receipt: {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let repeats = reports.len() - receipted.len();
    let drops = totals.sessions.saturating_sub(1) as usize;
    assert!(repeats <= drops * 256, "{repeats} repeated receipts");
    assert!(
        unknown.len() <= drops * 64,
        "{} receipts for ids smppd never learned: {:?}",
        unknown.len(),
        unknown.iter().take(10).collect::<Vec<_>>()
    );
    for (stat, p) in [("DELIVRD", 0.80), ("UNDELIV", 0.15), ("EXPIRED", 0.05)] {
        let got = outcomes.get(stat).copied().unwrap_or(0) as f64;
        let sigma = (r * p * (1.0 - p)).sqrt();
        assert!(
            (got - r * p).abs() <= SIGMAS * sigma,
            "{stat}: {got} of {r}, expected {:.0} ± {:.0}",
            r * p,
            SIGMAS * sigma
        );
    }
    assert_eq!(outcomes.values().sum::<u64>(), receipted.len() as u64);
}
