//! Fault tests of `smppd` through its binary: SIGKILL at random instants,
//! an SMSC that dies mid-window, and two daemons on one spool.
//!
//! `sigkill_at_random_instants_loses_nothing` reads `CRASH_FILES`,
//! `CRASH_KILLS` and `CRASH_SEED` from the environment (defaults 2,000, 8
//! and a fixed seed); `scripts/crash-test` runs it with 10,000 and 20.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod daemon_util;

use daemon_util::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Every 10th file needs two parts (a 200-character GSM text), the others
/// one. Returns the file and its number of parts.
fn message(i: usize) -> (Vec<u8>, u64) {
    if i % 10 == 9 {
        let text: String = "0123456789 abcdefghijklmnopqrstuvwxyz"
            .chars()
            .cycle()
            .take(200)
            .collect();
        (format!("To: 4917{i:08}\n\n{text}").into_bytes(), 2)
    } else {
        (format!("To: 4917{i:08}\n\nMessage {i}\n").into_bytes(), 1)
    }
}

fn drop_messages(spool: &Path, prefix: &str, n: usize) -> (Vec<String>, u64) {
    let parts: u64 = (0..n).map(|i| message(i).1).sum();
    let names = drop_many(spool, prefix, n, |i| message(i).0);
    (names, parts)
}

/// Every name in `dir`, dot-files included.
fn all_entries(spool: &Path, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(spool.join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Checks that every one of `names` is in sent/ or failed/ exactly once,
/// and that outgoing/ and checked/ are empty. Returns (sent, failed).
fn check_accounted(spool: &Path, names: &[String]) -> (usize, usize) {
    let sent = list(spool, "sent");
    let failed = list(spool, "failed");
    let expected: BTreeSet<&String> = names.iter().collect();
    let mut seen = BTreeSet::new();
    for n in sent.iter().chain(failed.iter()) {
        assert!(expected.contains(n), "unexpected file {n} (a second copy?)");
        assert!(seen.insert(n), "{n} is in sent/ and failed/");
    }
    let lost: Vec<_> = expected.difference(&seen).collect();
    assert!(
        lost.is_empty(),
        "lost {} files: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
    assert_eq!(all_entries(spool, "outgoing"), Vec::<String>::new());
    assert_eq!(all_entries(spool, "checked"), Vec::<String>::new());
    (sent.len(), failed.len())
}

/// Waits (bounded) until sent/ and failed/ hold `n` files together.
fn wait_all(d: &Daemon, spool: &Path, n: usize, timeout: std::time::Duration) {
    if !wait_for(timeout, || {
        count(spool, "sent") + count(spool, "failed") >= n
    }) {
        panic!(
            "only {} sent and {} failed of {n} after {timeout:?}; checked/ has {}\n{}",
            count(spool, "sent"),
            count(spool, "failed"),
            count(spool, "checked"),
            d.log_tail(40)
        );
    }
}

/// smppd is killed with SIGKILL at random instants while files flow and
/// started again each time. Every file ends in sent/ or failed/, and the
/// submits the SMSC got twice number at most window x sessions per kill.
#[test]
fn sigkill_at_random_instants_loses_nothing() {
    let n = env_or("CRASH_FILES", 2000) as usize;
    let kills = env_or("CRASH_KILLS", 8) as usize;
    let seed = env_or("CRASH_SEED", 0x5EED_2024);
    const WINDOW: u64 = 32;
    const SESSIONS: u64 = 2;
    let dir = TestDir::new("sigkill");
    let sim = Sim::start(&[]);
    let mut conf = Conf::new(&dir.spool(), sim.addr);
    conf.smsc = format!("window = {WINDOW}\nsessions = {SESSIONS}\n");
    let cfg = conf.write(&dir.join("smppd.toml"));
    let spool = dir.spool();
    let log = dir.join("smppd.log");
    let (names, parts) = drop_messages(&spool, "crash", n);
    let mut rng = Rng::new(seed);
    // Kill when this many files are done, plus a random delay: spread over
    // the run whatever the daemon's speed.
    let mut targets: Vec<usize> = (0..kills)
        .map(|_| rng.range(0, n as u64 * 9 / 10) as usize)
        .collect();
    targets.sort_unstable();
    println!(
        "seed {seed:#x}: {n} files ({parts} parts), {kills} kills at about {targets:?} files done"
    );
    for (k, &target) in targets.iter().enumerate() {
        let d = Daemon::start(&cfg, &log);
        let extra = ms(rng.range(0, 30));
        wait_until(
            secs(60),
            &format!("{target} files done before kill {k}"),
            || count(&spool, "sent") + count(&spool, "failed") >= target,
        );
        std::thread::sleep(extra);
        d.kill9();
    }
    let d = Daemon::start(&cfg, &log);
    wait_all(&d, &spool, n, secs(60));
    d.stop_clean();
    let (sent, failed) = check_accounted(&spool, &names);
    let t = sim.stop();
    let duplicates = t.submit_sm.saturating_sub(parts);
    let bound = WINDOW * SESSIONS * kills as u64;
    println!(
        "files={n} kills={kills} sent={sent} failed={failed} parts={parts} submit_sm={} duplicates={duplicates} bound={bound} ({:.1} per kill)",
        t.submit_sm,
        duplicates as f64 / kills.max(1) as f64
    );
    assert!(t.submit_sm >= parts, "fewer submits than parts: {t:?}");
    assert_eq!(failed, 0, "nothing should fail here");
    assert!(
        duplicates <= bound,
        "{duplicates} duplicate submits, more than window x sessions x kills = {bound}"
    );
}

/// The SMSC is killed mid-window and started again on the same port:
/// nothing is lost, and every file ends in sent/.
#[test]
fn smsc_restart_mid_window_loses_nothing() {
    const N: usize = 1000;
    let dir = TestDir::new("smsc-restart");
    let sim = Sim::start(&[]);
    let addr = sim.addr;
    let mut conf = Conf::new(&dir.spool(), addr);
    conf.smsc = "window = 64\n".into();
    let cfg = conf.write(&dir.join("smppd.toml"));
    let spool = dir.spool();
    let d = Daemon::start(&cfg, &dir.join("smppd.log"));
    d.wait_log("running", secs(10));
    let (names, parts) = drop_messages(&spool, "restart", N);
    wait_until(secs(30), "a tenth of the files sent", || {
        count(&spool, "sent") >= N / 10
    });
    sim.kill9();
    let at_kill = count(&spool, "sent");
    std::thread::sleep(ms(300));
    let sim = Sim::start_on(addr, &[]);
    wait_all(&d, &spool, N, secs(60));
    let log = fs::read_to_string(&d.log).unwrap();
    d.stop_clean();
    assert!(
        log.contains("reconnecting"),
        "the daemon never noticed the SMSC die"
    );
    let (sent, failed) = check_accounted(&spool, &names);
    let t = sim.stop();
    println!(
        "sent before the SMSC died: {at_kill}; then sent={sent} failed={failed}; the new SMSC got {} submits for the remaining parts",
        t.submit_sm
    );
    assert_eq!(sent, N, "everything ends in sent/");
    assert!(t.submit_sm > 0 && t.submit_sm <= parts, "{t:?}");
}

/// Two daemons with different instance ids on one spool: each file is
/// sent by exactly one of them, once.
#[test]
fn two_daemons_on_one_spool_send_each_file_once() {
    const N: usize = 2000;
    let dir = TestDir::new("two");
    let sim = Sim::start(&[]);
    let mut a = Conf::new(&dir.spool(), sim.addr);
    a.instance = "daemon-a".into();
    let mut b = a.clone();
    b.instance = "daemon-b".into();
    let cfg_a = a.write(&dir.join("a.toml"));
    let cfg_b = b.write(&dir.join("b.toml"));
    let spool = dir.spool();
    let da = Daemon::start(&cfg_a, &dir.join("a.log"));
    let db = Daemon::start(&cfg_b, &dir.join("b.log"));
    da.wait_log("running", secs(10));
    db.wait_log("running", secs(10));
    let (names, parts) = drop_messages(&spool, "shared", N);
    wait_all(&da, &spool, N, secs(60));
    da.stop_clean();
    db.stop_clean();
    let (sent, failed) = check_accounted(&spool, &names);
    assert_eq!((sent, failed), (N, 0));
    let sent_by = |log: &str| {
        fs::read_to_string(dir.join(log))
            .unwrap()
            .lines()
            .filter(|l| l.contains(": sent ("))
            .count()
    };
    let (by_a, by_b) = (sent_by("a.log"), sent_by("b.log"));
    let t = sim.stop();
    println!(
        "daemon-a sent {by_a}, daemon-b sent {by_b}; parts {parts}, submit_sm {}",
        t.submit_sm
    );
    assert_eq!(by_a + by_b, N);
    assert_eq!(t.submit_sm, parts, "parts submitted = parts needed");
}
