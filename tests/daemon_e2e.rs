//! End-to-end tests of `smppd` through its binary: a spool, a config file,
//! and an SMSC (the `smsc-sim` binary, or the library's SMSC inside the
//! test where the simulator cannot do what the test needs).
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod daemon_util;

use daemon_util::*;
use smpp::pdu::{Address, DeliverSm, ShortMessage, ESM_UDHI};
use std::fs;
use std::path::Path;
use std::process::Command;

/// Starts smppd on a fresh config for `addr`; returns (config path, log).
fn config(dir: &TestDir, addr: std::net::SocketAddr, smsc_extra: &str) -> std::path::PathBuf {
    let mut c = Conf::new(&dir.spool(), addr);
    c.smsc = smsc_extra.to_owned();
    c.write(&dir.join("smppd.toml"))
}

fn daemon(dir: &TestDir, config: &Path) -> Daemon {
    Daemon::start(config, &dir.join("smppd.log"))
}

/// Waits (bounded) until `dir/name` exists in the spool.
fn wait_file(d: &Daemon, spool: &Path, dir: &str, name: &str, timeout: std::time::Duration) {
    let path = spool.join(dir).join(name);
    if !wait_for(timeout, || path.exists()) {
        panic!(
            "{dir}/{name} did not appear within {timeout:?}; spool: outgoing={:?} checked={:?} sent={:?} failed={:?}\n{}",
            list(spool, "outgoing"),
            list(spool, "checked"),
            list(spool, "sent"),
            list(spool, "failed"),
            d.log_tail(40)
        );
    }
}

/// A text that needs `n` GSM parts with an 8-bit UDH (153 characters
/// each), the last one partly filled.
fn long_text(parts: usize) -> String {
    let alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ";
    alphabet
        .chars()
        .cycle()
        .take(153 * (parts - 1) + 40)
        .collect()
}

/// The header block of an outgoing file (up to, not including, the empty
/// line) and its body.
fn split_file(data: &[u8]) -> (&[u8], &[u8]) {
    let i = find(data, b"\n\n").expect("an empty line");
    (&data[..i + 1], &data[i + 2..])
}

#[test]
fn sent_files_get_sent_and_one_message_id_per_part() {
    let dir = TestDir::new("sent");
    let sim = Sim::start(&[]);
    let cfg = config(&dir, sim.addr, "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    let one = b"To: +491721234567\nX-Custom: kept\n\nHello, world!\n".to_vec();
    let long = format!("To: 491721234567\n\n{}", long_text(3)).into_bytes();
    drop_file(&spool, "one", &one);
    drop_file(&spool, "long", &long);
    wait_file(&d, &spool, "sent", "one", secs(15));
    wait_file(&d, &spool, "sent", "long", secs(15));

    for (name, original, parts) in [("one", &one, 1), ("long", &long, 3)] {
        let sent = read(&spool, "sent", name);
        let (head, body) = split_file(original);
        let (sent_head, sent_body) = split_file(&sent);
        assert_eq!(sent_body, body, "{name}: the body changed");
        assert!(
            sent_head.starts_with(head),
            "{name}: the original headers are not kept in front"
        );
        let added = String::from_utf8(sent_head[head.len()..].to_vec()).unwrap();
        let lines: Vec<&str> = added.lines().collect();
        assert_eq!(lines.len(), 1 + parts, "{name}: added {added:?}");
        let stamp = lines[0].strip_prefix("Sent: ").expect("Sent: first");
        assert_eq!(stamp.len(), "YYYY-MM-DD HH:MM:SS".len(), "{stamp}");
        let ids: Vec<u64> = lines[1..]
            .iter()
            .map(|l| {
                let id = l.strip_prefix("Message_id: ").expect("Message_id:");
                u64::from_str_radix(id, 16).expect("smsc-sim ids are hex")
            })
            .collect();
        assert!(
            ids.windows(2).all(|w| w[0] < w[1]),
            "{name}: ids not in part order: {ids:?}"
        );
    }
    // A file shows in sent/ a moment before it leaves checked/.
    wait_until(secs(5), "checked/ empty", || {
        list(&spool, "checked").is_empty()
    });
    assert!(list(&spool, "outgoing").is_empty());
    d.stop_clean();
    let totals = sim.stop();
    assert_eq!(totals.submit_sm, 4, "{totals:?}");
}

#[test]
fn rejected_files_go_to_failed_with_the_status() {
    let dir = TestDir::new("reject");
    let sim = Sim::start(&["--reject-every", "1"]);
    let cfg = config(&dir, sim.addr, "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    let data = b"To: 491721234567\n\nNo way\n";
    drop_file(&spool, "nope", data);
    wait_file(&d, &spool, "failed", "nope", secs(15));
    let f = SpoolFile::load(&spool, "failed", "nope");
    assert_eq!(f.get("Fail_reason"), "ESME_RSUBMITFAIL (0x00000045)");
    assert_eq!(f.get("Failed").len(), 19);
    assert_eq!(f.get("To"), "491721234567");
    assert_eq!(f.body, b"No way\n");
    assert!(list(&spool, "sent").is_empty());
    d.stop_clean();
    assert_eq!(sim.stop().submit_sm, 1, "a permanent error is not retried");
}

#[test]
fn receipts_go_to_report_with_the_original_file() {
    let dir = TestDir::new("report");
    let sim = Sim::start(&["--dlr-delay-ms", "50"]);
    let cfg = config(&dir, sim.addr, "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    drop_file(
        &spool,
        "wants-receipt",
        b"To: 491721234567\nReport: yes\n\nHi\n",
    );
    wait_file(&d, &spool, "sent", "wants-receipt", secs(15));
    let id = SpoolFile::load(&spool, "sent", "wants-receipt")
        .get("Message_id")
        .to_owned();
    wait_until(secs(10), "a file in report/", || {
        count(&spool, "report") == 1
    });
    let name = &list(&spool, "report")[0];
    let r = SpoolFile::load(&spool, "report", name);
    assert_eq!(r.get("Original_file"), "wants-receipt");
    assert_eq!(r.get("Message_id"), id);
    assert_eq!(r.get("Status"), "DELIVRD");
    assert_eq!(r.get("From"), "491721234567");
    assert!(r.get("Received").len() == 19);
    assert!(r.get("Done_date").len() == 19);
    let text = String::from_utf8(r.body.clone()).unwrap();
    assert!(text.starts_with(&format!("id:{id} ")), "{text}");
    d.stop_clean();
    let t = sim.stop();
    assert_eq!((t.submit_sm, t.receipts), (1, 1), "{t:?}");
}

/// The receipt arrives only after smppd was restarted: the message id
/// index on disk still names the file. smsc-sim sends a delayed receipt on
/// the session that submitted, which is gone after the restart, so the
/// library's SMSC holds the receipt here and the test sends it.
#[test]
fn original_file_is_kept_across_a_restart() {
    let dir = TestDir::new("report-restart");
    let smsc = LibSmsc::start();
    let cfg = config(&dir, smsc.addr(), "");
    let spool = dir.spool();
    let d = daemon(&dir, &cfg);
    drop_file(
        &spool,
        "before-restart",
        b"To: 491720000001\nReport: yes\n\nLater\n",
    );
    wait_file(&d, &spool, "sent", "before-restart", secs(15));
    d.stop_clean();
    let receipts: Vec<DeliverSm> = std::mem::take(&mut *smsc.rec.receipts.lock().unwrap());
    assert_eq!(receipts.len(), 1);

    let d = daemon(&dir, &cfg);
    let session = smsc.receiver_session();
    smsc.smsc.deliver(session, receipts[0].clone()).unwrap();
    wait_until(secs(10), "a file in report/", || {
        count(&spool, "report") == 1
    });
    let r = SpoolFile::load(&spool, "report", &list(&spool, "report")[0]);
    assert_eq!(r.get("Original_file"), "before-restart");
    assert_eq!(
        r.get("Message_id"),
        SpoolFile::load(&spool, "sent", "before-restart").get("Message_id")
    );
    d.stop_clean();
}

#[test]
fn mo_messages_go_to_incoming() {
    let dir = TestDir::new("mo");
    let sim = Sim::start(&["--mo-every-ms", "100"]);
    let cfg = config(&dir, sim.addr, "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    wait_until(secs(10), "two files in incoming/", || {
        count(&spool, "incoming") >= 2
    });
    d.stop_clean();
    let files = load_all(&spool, "incoming");
    for (name, f) in &files {
        assert_eq!(f.get("From"), "447700900999", "{name}");
        assert_eq!(f.get("To"), "12345", "{name}");
        assert_eq!(f.get("Received").len(), 19, "{name}");
        assert_eq!(f.get("Alphabet"), "GSM", "{name}");
        let body = String::from_utf8(f.body.clone()).unwrap();
        assert!(
            body.starts_with("MO message ") && body.ends_with(" from smsc-sim"),
            "{name}: {body:?}"
        );
    }
    let t = sim.stop();
    assert!(t.deliver_sm as usize >= files.len(), "{t:?}");
}

/// smsc-sim sends only single-part MO messages: the library's SMSC sends
/// the two parts of one, with a UDH, and a single one in between.
#[test]
fn multipart_mo_is_joined() {
    let dir = TestDir::new("mo-parts");
    let smsc = LibSmsc::start();
    let cfg = config(&dir, smsc.addr(), "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    let session = smsc.receiver_session();
    let part = |seq: u8, text: &str| {
        let mut sm = vec![0x05, 0x00, 0x03, 0x2A, 0x02, seq];
        sm.extend_from_slice(text.as_bytes());
        DeliverSm {
            source: Address::new(1, 1, "491729876543").unwrap(),
            dest: Address::new(1, 1, "4444").unwrap(),
            esm_class: ESM_UDHI,
            short_message: ShortMessage::new(&sm).unwrap(),
            ..DeliverSm::default()
        }
    };
    let single = DeliverSm {
        source: Address::new(1, 1, "491720000009").unwrap(),
        dest: Address::new(1, 1, "4444").unwrap(),
        short_message: ShortMessage::new(b"Just one").unwrap(),
        ..DeliverSm::default()
    };
    // The second part first: reassembly goes by sequence number.
    smsc.smsc
        .deliver(session, part(2, "and the second."))
        .unwrap();
    smsc.smsc.deliver(session, single).unwrap();
    smsc.smsc
        .deliver(session, part(1, "The first part, "))
        .unwrap();
    wait_until(secs(10), "two files in incoming/", || {
        count(&spool, "incoming") >= 2
    });
    std::thread::sleep(ms(200));
    let files = load_all(&spool, "incoming");
    assert_eq!(files.len(), 2, "{files:?}");
    let joined: Vec<_> = files
        .values()
        .filter(|f| f.get("From") == "491729876543")
        .collect();
    assert_eq!(joined.len(), 1, "{files:?}");
    assert_eq!(joined[0].get("To"), "4444");
    assert_eq!(
        String::from_utf8_lossy(&joined[0].body),
        "The first part, and the second."
    );
    let single: Vec<_> = files
        .values()
        .filter(|f| f.get("From") == "491720000009")
        .collect();
    assert_eq!(single[0].body, b"Just one");
    d.stop_clean();
}

/// Files as smstools3's `sendsms` writes them: `To:`, for text outside
/// ISO-8859-15 `Alphabet: UCS` and a UCS-2BE body (`iconv -t UNICODEBIG`),
/// an empty line, the text without a trailing line break (`echo -n`).
/// sendsms creates its file in outgoing/ and appends to it; the contract
/// asks writers to rename a finished file in, which is what this does.
#[test]
fn smstools3_sendsms_files() {
    let dir = TestDir::new("sendsms");
    let smsc = LibSmsc::start();
    let cfg = config(&dir, smsc.addr(), "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    drop_file(
        &spool,
        "send_plain",
        b"To: 491721111111\n\nHello from sendsms",
    );
    let text = "\u{41F}\u{440}\u{438}\u{432}\u{435}\u{442} \u{43C}\u{438}\u{440}";
    let ucs2: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    let mut file = b"To: 491722222222\nAlphabet: UCS\n\n".to_vec();
    file.extend_from_slice(&ucs2);
    drop_file(&spool, "send_ucs", &file);
    wait_file(&d, &spool, "sent", "send_plain", secs(15));
    wait_file(&d, &spool, "sent", "send_ucs", secs(15));
    assert_eq!(SpoolFile::load(&spool, "sent", "send_ucs").body, ucs2);
    let submits = smsc.submits();
    assert_eq!(submits.len(), 2);
    let by_dest = |n: &str| {
        submits
            .iter()
            .find(|(_, sm)| sm.dest.addr.to_string() == n)
            .unwrap_or_else(|| panic!("no submit to {n}"))
            .1
            .clone()
    };
    let plain = by_dest("491721111111");
    assert_eq!(plain.data_coding, smpp::pdu::DataCoding::SmscDefault);
    assert_eq!(plain.short_message.as_bytes(), b"Hello from sendsms");
    let ucs = by_dest("491722222222");
    assert_eq!(ucs.data_coding, smpp::pdu::DataCoding::Ucs2);
    assert_eq!(ucs.short_message.as_bytes(), ucs2.as_slice());
    d.stop_clean();
}

#[test]
fn bad_files_go_to_failed_with_a_reason() {
    let dir = TestDir::new("bad");
    let sim = Sim::start(&[]);
    let cfg = config(&dir, sim.addr, "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    drop_file(&spool, "no-to", b"From: 12345\n\nWhere to?\n");
    drop_file(&spool, "bad-number", b"To: 12ab\n\nHello\n");
    let mut garbage = vec![0u8, 0xFF, 0xFE, 0x01, b'\n', 0x80, 0x00, b':', 0xC3];
    let mut rng = Rng::new(7);
    garbage.extend((0..300).map(|_| rng.next_u64() as u8));
    drop_file(&spool, "garbage", &garbage);
    for name in ["no-to", "bad-number", "garbage"] {
        wait_file(&d, &spool, "failed", name, secs(15));
    }
    let reason = |name: &str| {
        let data = read(&spool, "failed", name);
        let at = find(&data, b"Fail_reason: ").expect("Fail_reason:") + 13;
        let end = data[at..].iter().position(|&b| b == b'\n').unwrap() + at;
        let failed = find(&data, b"Failed: ").is_some();
        assert!(failed, "{name}: no Failed: line");
        String::from_utf8(data[at..end].to_vec()).unwrap()
    };
    assert_eq!(reason("no-to"), "missing To: header");
    assert_eq!(
        reason("bad-number"),
        "To: \"12ab\" is not a phone number (1 to 20 digits, optionally after a +)"
    );
    let g = reason("garbage");
    assert!(
        g.split(' ').count() >= 4 && g.is_ascii(),
        "not a sentence: {g:?}"
    );
    // The garbage itself is kept.
    let kept = read(&spool, "failed", "garbage");
    assert!(
        find(&kept, &garbage[20..]).is_some(),
        "the garbage body is not kept"
    );
    assert!(list(&spool, "sent").is_empty());
    d.stop_clean();
    assert_eq!(sim.stop().submit_sm, 0);
}

#[test]
fn ignored_names_stay_in_outgoing() {
    let dir = TestDir::new("ignored");
    let sim = Sim::start(&[]);
    let cfg = config(&dir, sim.addr, "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    let msg = b"To: 491721234567\n\nx\n";
    let out = spool.join("outgoing");
    fs::create_dir_all(&out).unwrap();
    for name in [".hidden", "file.LOCK", "LOCKEDfile", "held.LOCK", "held"] {
        fs::write(out.join(name), msg).unwrap();
    }
    drop_file(&spool, "go", msg);
    wait_file(&d, &spool, "sent", "go", secs(15));
    // A few scans later they are all still there.
    std::thread::sleep(ms(400));
    let mut left: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [".hidden", "LOCKEDfile", "file.LOCK", "held", "held.LOCK"]
    );
    // Without its lock, `held` goes.
    fs::remove_file(out.join("held.LOCK")).unwrap();
    wait_file(&d, &spool, "sent", "held", secs(10));
    d.stop_clean();
    assert_eq!(sim.stop().submit_sm, 2);
}

fn smppd(args: &[&str]) -> (i32, String, String) {
    let (status, out, err) = run_bounded(Command::new(SMPPD).args(args), secs(10));
    (status.code().unwrap_or(-1), out, err)
}

#[test]
fn check_config_and_bad_flags() {
    let dir = TestDir::new("check");
    let good = Conf::new(&dir.spool(), "127.0.0.1:2775".parse().unwrap());
    let good_path = good.write(&dir.join("good.toml"));
    let (code, out, err) = smppd(&["--check-config", "--config", good_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");

    let mut bad = good.clone();
    bad.smsc = "hots = \"x\"\n".into();
    let bad_path = bad.write(&dir.join("bad.toml"));
    let (code, _, err) = smppd(&["--check-config", "--config", bad_path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("smsc.hots"), "the bad key is not named: {err}");

    let mut bad = good.clone();
    bad.top = "spoool = \"/x\"\n".into();
    let bad_path = bad.write(&dir.join("bad2.toml"));
    let (code, _, err) = smppd(&["--check-config", "--config", bad_path.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("spoool"), "the bad key is not named: {err}");

    let missing = dir.join("missing.toml");
    let (code, _, err) = smppd(&["--check-config", "--config", missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.toml"), "{err}");

    for args in [
        &["--bogus"][..],
        &["--config"][..],
        &["--check-config=yes"][..],
        &["--spool", "/x"][..],
        &["positional"][..],
    ] {
        let (code, _, err) = smppd(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.is_empty(), "{args:?}: no message");
    }
    let (code, out, _) = smppd(&["--help"]);
    assert_eq!(code, 0);
    for flag in ["--config", "--check-config", "--demo", "--spool", "-v"] {
        assert!(out.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn demo_sends_a_file_and_gets_its_receipt() {
    let dir = TestDir::new("demo");
    let spool = dir.join("demo-spool");
    let d = Daemon::start_args(
        &["--demo", "--spool", spool.to_str().unwrap()],
        &dir.join("smppd.log"),
    );
    wait_file(&d, &spool, "sent", "demo-hello", secs(10));
    wait_until(secs(10), "the demo's receipt", || {
        load_all(&spool, "report")
            .values()
            .any(|r| r.all("Original_file") == ["demo-hello"])
    });
    let mut proc = d.proc;
    proc.signal("INT");
    let status = proc.wait_timeout(secs(15)).expect("--demo exits on SIGINT");
    assert_eq!(status.code(), Some(0));
}

/// 2,000 files flowing, SIGTERM part-way: exit 0, and after a restart every
/// file is in sent/, once, and nothing is left in checked/.
#[test]
fn sigterm_under_load_loses_nothing() {
    const N: usize = 2000;
    let dir = TestDir::new("sigterm");
    let sim = Sim::start(&[]);
    let cfg = config(&dir, sim.addr, "window = 64\n");
    let spool = dir.spool();
    let d = daemon(&dir, &cfg);
    d.wait_log("running", secs(10));
    let names = drop_many(&spool, "load", N, |i| {
        format!("To: 4917{i:08}\n\nLoad {i}\n").into_bytes()
    });
    wait_until(secs(30), "some files sent", || {
        count(&spool, "sent") >= N / 4
    });
    let t = std::time::Instant::now();
    let status = d.stop();
    println!("stop took {:?}", t.elapsed());
    assert!(
        status.success(),
        "exit status after SIGTERM: {}\n{}",
        describe(status),
        log_tail(&dir.join("smppd.log"), 30)
    );
    let at_stop = count(&spool, "sent");
    println!("sent before SIGTERM took effect: {at_stop} of {N}");
    assert!(at_stop < N, "SIGTERM came too late to test anything");

    let d = daemon(&dir, &cfg);
    wait_until(secs(40), "every file in sent/", || {
        count(&spool, "sent") >= N
    });
    d.stop_clean();
    assert_eq!(list(&spool, "sent"), names);
    assert!(list(&spool, "failed").is_empty());
    assert!(list(&spool, "outgoing").is_empty());
    let checked: Vec<_> = fs::read_dir(spool.join("checked")).unwrap().collect();
    assert!(checked.is_empty(), "left in checked/: {checked:?}");
    let t = sim.stop();
    assert_eq!(
        t.submit_sm as usize, N,
        "a graceful stop sends nothing twice"
    );
}

/// Receipts sent right after the submit_sm_resp (smsc-sim
/// --dlr-delay-ms 0) still name their file: the receipt can reach the
/// daemon before the response is recorded.
#[test]
fn immediate_receipts_name_the_original_file() {
    const N: usize = 50;
    let dir = TestDir::new("report-now");
    let sim = Sim::start(&["--dlr-delay-ms", "0"]);
    let cfg = config(&dir, sim.addr, "");
    let d = daemon(&dir, &cfg);
    let spool = dir.spool();
    d.wait_log("running", secs(10));
    let names = drop_many(&spool, "now", N, |i| {
        format!("To: 4917{i:08}\nReport: yes\n\nQuick {i}\n").into_bytes()
    });
    wait_until(secs(20), "every receipt in report/", || {
        count(&spool, "report") >= N
    });
    d.stop_clean();
    let mut originals: Vec<String> = load_all(&spool, "report")
        .values()
        .map(|r| {
            r.all("Original_file")
                .first()
                .map(|s| s.to_string())
                .unwrap_or_default()
        })
        .collect();
    originals.sort();
    let missing = originals.iter().filter(|o| o.is_empty()).count();
    assert_eq!(
        missing, 0,
        "{missing} of {N} receipts have no Original_file:"
    );
    assert_eq!(originals, names);
    sim.stop();
}

/// `[outbind]`: the daemon listens; a second SMSC connects, sends outbind,
/// and delivers MO messages on the receiver session the daemon binds; they
/// land in incoming/ like the main link's (which binds as a transmitter
/// here, so nothing arrives through it).
#[test]
fn outbind_session_delivers_to_incoming() {
    let dir = TestDir::new("outbind");
    let main = Sim::start(&[]);
    let listen = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut c = Conf::new(&dir.spool(), main.addr);
    c.smsc = "bind = \"transmitter\"\n".to_owned();
    let mut text = c.text();
    text.push_str(&format!("\n[outbind]\nlisten = \"{listen}\"\n"));
    let cfg = dir.join("smppd.toml");
    std::fs::write(&cfg, text).unwrap();
    let d = daemon(&dir, &cfg);
    d.wait_log("running", secs(10));
    let target = listen.to_string();
    let outbinder = Sim::start(&["--outbind", &target, "--mo-every-ms", "100"]);
    let spool = dir.spool();
    wait_until(secs(10), "an MO message via the outbind session", || {
        count(&spool, "incoming") >= 1
    });
    d.stop_clean();
    let t = outbinder.stop();
    assert!(t.deliver_sm >= 1, "{t:?}");
    assert_eq!(main.stop().deliver_sm, 0);
}
