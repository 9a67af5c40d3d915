//! The spool through its public API, on real directories.
#![cfg(feature = "daemon")]

use smpp::daemon::spool::{
    BadFile, Content, IncomingMessage, MessageIdIndex, Outcome, OutgoingMessage, ReportMessage,
    Spool, SpoolDir, SpoolError, SyncMode,
};
use smpp::datetime::DateTime;
use smpp::text::{Encoding, SplitMethod};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, SystemTime};

/// A unique directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "smpp-spool-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn at(h: u8, m: u8, s: u8) -> DateTime {
    DateTime::new(2024, 5, 1, h, m, s).unwrap()
}

/// Drops a file into `outgoing/` the way writers should: write elsewhere,
/// then rename in.
fn drop_file(spool: &Spool, name: &str, data: &[u8]) {
    let tmp = spool.dir(SpoolDir::Outgoing).join(".writing");
    fs::write(&tmp, data).unwrap();
    fs::rename(&tmp, spool.dir(SpoolDir::Outgoing).join(name)).unwrap();
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn open(tmp: &TempDir, owner: &str) -> Spool {
    Spool::open(tmp.0.join("spool"))
        .unwrap()
        .with_owner(owner)
        .unwrap()
}

#[test]
fn open_creates_directories() {
    let tmp = TempDir::new("open");
    let spool = open(&tmp, "a");
    for d in SpoolDir::ALL {
        assert!(spool.dir(d).is_dir(), "{}", d.name());
        assert!(listing(&spool.dir(d)).is_empty(), "probe file left behind");
    }
    // Opening again is fine.
    Spool::open(spool.root()).unwrap();
}

#[test]
fn open_refuses_unusable_directories() {
    let tmp = TempDir::new("unusable");
    let root = tmp.0.join("spool");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("sent"), "not a directory").unwrap();
    let e = Spool::open(&root).unwrap_err();
    assert!(matches!(e, SpoolError::NotADirectory { .. }));
    assert_eq!(
        e.to_string(),
        format!(
            "spool directory {} is not a directory",
            root.join("sent").display()
        )
    );

    let e = Spool::open("/proc/smpp-spool-test").unwrap_err();
    assert!(
        e.to_string().contains("/proc/smpp-spool-test"),
        "the error names the path: {e}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let root = tmp.0.join("readonly");
        fs::create_dir_all(root.join("incoming")).unwrap();
        let incoming = root.join("incoming");
        fs::set_permissions(&incoming, fs::Permissions::from_mode(0o555)).unwrap();
        // Root ignores permissions; only check where they apply.
        let probe = incoming.join("x");
        let enforced = fs::write(&probe, "").is_err();
        let _ = fs::remove_file(&probe);
        if enforced {
            let e = Spool::open(&root).unwrap_err();
            assert!(matches!(e, SpoolError::Unusable { .. }), "{e}");
            assert!(e.to_string().starts_with(&format!(
                "spool directory {} is not usable",
                incoming.display()
            )));
        }
        fs::set_permissions(&incoming, fs::Permissions::from_mode(0o755)).unwrap();
    }

    let e = Spool::open(tmp.0.join("ok"))
        .unwrap()
        .with_owner("no/slash")
        .unwrap_err();
    assert!(matches!(e, SpoolError::BadOwner { .. }));
}

#[test]
fn sendsms_file_round_trip() {
    // What smstools3's sendsms writes: "To: $DEST", an empty line, then the
    // text with `echo -n`.
    let tmp = TempDir::new("sendsms");
    let spool = open(&tmp, "a");
    let original = b"To: 491721234567\n\nHello from sendsms";
    drop_file(&spool, "send_AbC123", original);

    let found = spool.scan_outgoing().unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "send_AbC123");
    let mut claimed = spool.claim("send_AbC123").unwrap().unwrap();
    assert!(listing(&spool.dir(SpoolDir::Outgoing)).is_empty());
    assert_eq!(listing(&spool.dir(SpoolDir::Checked)), ["send_AbC123@@a"]);

    let msg = claimed.message().unwrap();
    assert_eq!(msg.to, "491721234567");
    let content = msg.content(false).unwrap();
    assert_eq!(
        content,
        Content::Text {
            text: "Hello from sendsms".to_owned(),
            encoding: Encoding::Gsm7
        }
    );
    let parts = content.split(SplitMethod::Udh8, 1).unwrap();
    assert_eq!(parts.len(), 1);
    claimed.record_part(0, "7B2A3F9C").unwrap();

    let name = spool
        .finish_sent(claimed, at(12, 0, 9), &["7B2A3F9C".to_owned()])
        .unwrap();
    assert_eq!(name, "send_AbC123");
    assert_eq!(
        fs::read(spool.dir(SpoolDir::Sent).join(&name)).unwrap(),
        b"To: 491721234567\nSent: 2024-05-01 12:00:09\nMessage_id: 7B2A3F9C\n\nHello from sendsms"
    );
    assert!(listing(&spool.dir(SpoolDir::Checked)).is_empty());
    assert!(listing(&spool.dir(SpoolDir::Sent)) == [name]);
}

#[test]
fn sendsms_unicode_file() {
    // sendsms with a non-GSM text: "Alphabet: UCS" and the text converted
    // to UCS-2BE.
    let mut file = b"To: 358401234567\nAlphabet: UCS\n\n".to_vec();
    let text = "\u{41F}\u{440}\u{438}\u{432}\u{435}\u{442} \u{1F600}";
    for u in text.encode_utf16() {
        file.extend_from_slice(&u.to_be_bytes());
    }
    let msg = OutgoingMessage::parse(&file).unwrap();
    assert_eq!(
        msg.content(true).unwrap(),
        Content::Text {
            text: text.to_owned(),
            encoding: Encoding::Ucs2
        }
    );
}

#[test]
fn result_files_keep_the_body_byte_exact() {
    let tmp = TempDir::new("exact");
    let spool = open(&tmp, "a");
    // CRLF headers, a BOM, binary body with CR, LF, NUL and an empty line.
    let mut original = b"\xEF\xBB\xBFTo: +1555\r\nAlphabet: binary\r\nX-Tag: q\r\n\r\n".to_vec();
    let body: Vec<u8> = (0..=255u8)
        .chain(b"\r\n\r\n\n\x00end".iter().copied())
        .collect();
    original.extend_from_slice(&body);
    drop_file(&spool, "bin", &original);
    let claimed = spool.claim("bin").unwrap().unwrap();
    let msg = claimed.message().unwrap();
    assert_eq!(msg.body, body);
    assert_eq!(msg.content(false).unwrap(), Content::Binary(body.clone()));
    let ids = ["1".to_owned(), "2".to_owned()];
    spool.finish_sent(claimed, at(1, 2, 3), &ids).unwrap();
    let sent = fs::read(spool.dir(SpoolDir::Sent).join("bin")).unwrap();
    let mut want =
        b"\xEF\xBB\xBFTo: +1555\r\nAlphabet: binary\r\nX-Tag: q\r\nSent: 2024-05-01 01:02:03\r\nMessage_id: 1\r\nMessage_id: 2\r\n\r\n"
            .to_vec();
    want.extend_from_slice(&body);
    assert_eq!(sent, want);
    // And it still parses, with the same body.
    assert_eq!(OutgoingMessage::parse(&sent).unwrap().body, body);
}

#[test]
fn bad_files_go_to_failed_with_a_reason() {
    let tmp = TempDir::new("bad");
    let spool = open(&tmp, "a");
    let garbage: Vec<u8> = (0..3000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let cases: [(&str, &[u8], &str); 4] = [
        ("nohdr", b"\nhello", "missing To: header"),
        (
            "letters",
            b"To: 12ab\n\nhi",
            "To: \"12ab\" is not a phone number (1 to 20 digits, optionally after a +)",
        ),
        (
            "hex",
            b"To: 1\nHex: yes\n\nxyz",
            "Hex: yes but the body is not hex ('x' at offset 0)",
        ),
        ("garbage", &garbage, ""),
    ];
    for (name, data, reason) in cases {
        drop_file(&spool, name, data);
        let claimed = spool.claim(name).unwrap().unwrap();
        let e = claimed.message().unwrap_err();
        assert!(matches!(e, SpoolError::BadFile(_)), "{name}: {e}");
        if !reason.is_empty() {
            assert_eq!(e.to_string(), reason);
        }
        let out = spool
            .finish_failed(claimed, at(0, 0, 1), &e.to_string())
            .unwrap();
        let failed = fs::read(spool.dir(SpoolDir::Failed).join(out)).unwrap();
        let text = String::from_utf8_lossy(&failed);
        assert!(text.contains("Failed: 2024-05-01 00:00:01"), "{name}");
        assert!(text.contains(&format!("Fail_reason: {e}")), "{name}");
        // The original with two lines added, nothing else changed.
        assert_eq!(
            failed,
            smpp::daemon::spool::message::failed_file(data, at(0, 0, 1), &e.to_string()),
            "{name}"
        );
    }
    assert!(listing(&spool.dir(SpoolDir::Checked)).is_empty());
}

#[test]
fn scan_order_and_ignored_files() {
    let tmp = TempDir::new("scan");
    let spool = open(&tmp, "a");
    let out = spool.dir(SpoolDir::Outgoing);
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let files: [(&str, &[u8], u64); 5] = [
        ("old", b"To: 1\n\nx", 10),
        ("new", b"To: 1\n\nx", 20),
        ("same-b", b"To: 1\n\nx", 15),
        ("same-a", b"To: 1\n\nx", 15),
        ("urgent", b"To: 1\nPriority: High\n\nx", 30),
    ];
    for (name, data, secs) in files {
        drop_file(&spool, name, data);
        let f = fs::File::options()
            .write(true)
            .open(out.join(name))
            .unwrap();
        f.set_modified(t0 + Duration::from_secs(secs)).unwrap();
    }
    for ignored in [
        ".hidden",
        "x.LOCK",
        "LOCKEDfile",
        "locked-beside",
        "locked-beside.LOCK",
    ] {
        fs::write(out.join(ignored), "To: 1\n\nx").unwrap();
    }
    fs::create_dir(out.join("a-directory")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(out.join("old"), out.join("a-symlink")).unwrap();

    let names: Vec<String> = spool
        .scan_outgoing()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["urgent", "old", "same-a", "same-b", "new"]);
    assert_eq!(spool.count_outgoing().unwrap(), 5);
}

#[test]
fn claim_race_has_one_winner() {
    let tmp = TempDir::new("race");
    let a = Arc::new(open(&tmp, "a"));
    let b = Arc::new(open(&tmp, "b"));
    const FILES: usize = 200;
    for i in 0..FILES {
        drop_file(&a, &format!("m{i}"), b"To: 1\n\nx");
    }
    let barrier = Arc::new(Barrier::new(4));
    let handles: Vec<_> = [a.clone(), b.clone(), a.clone(), b.clone()]
        .into_iter()
        .map(|spool| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                let mut won = Vec::new();
                for i in 0..FILES {
                    if let Some(c) = spool.claim(&format!("m{i}")).unwrap() {
                        won.push(c);
                    }
                }
                won
            })
        })
        .collect();
    let mut winners: BTreeMap<String, usize> = BTreeMap::new();
    for h in handles {
        for c in h.join().unwrap() {
            *winners.entry(c.name().to_owned()).or_default() += 1;
        }
    }
    assert_eq!(winners.len(), FILES);
    assert!(
        winners.values().all(|&n| n == 1),
        "a file was claimed twice"
    );
    assert!(listing(&a.dir(SpoolDir::Outgoing)).is_empty());
    let held = listing(&a.dir(SpoolDir::Checked));
    assert_eq!(held.len(), FILES);
    assert!(held
        .iter()
        .all(|k| k.ends_with("@@a") || k.ends_with("@@b")));
}

#[test]
fn same_name_waits_and_never_overwrites() {
    let tmp = TempDir::new("samename");
    let spool = open(&tmp, "a");
    drop_file(&spool, "msg", b"To: 1\n\nfirst");
    let first = spool.claim("msg").unwrap().unwrap();
    // A second file of the same name arrives while the first is in flight.
    drop_file(&spool, "msg", b"To: 2\n\nsecond");
    assert!(spool.claim("msg").unwrap().is_none());
    assert_eq!(listing(&spool.dir(SpoolDir::Outgoing)), ["msg"]);
    assert_eq!(
        spool
            .finish_sent(first, at(0, 0, 0), &["a".to_owned()])
            .unwrap(),
        "msg"
    );
    let second = spool.claim("msg").unwrap().unwrap();
    assert_eq!(second.message().unwrap().to, "2");
    assert_eq!(
        spool
            .finish_sent(second, at(0, 0, 1), &["b".to_owned()])
            .unwrap(),
        "msg.1"
    );
    assert_eq!(listing(&spool.dir(SpoolDir::Sent)), ["msg", "msg.1"]);
    // Gone from outgoing: not found, not an error.
    assert!(spool.claim("msg").unwrap().is_none());
    assert!(matches!(
        spool.claim("../etc"),
        Err(SpoolError::BadName { .. })
    ));
}

#[test]
fn recovery_adopts_a_file_left_in_checked() {
    let tmp = TempDir::new("adopt");
    let spool = open(&tmp, "a");
    let checked = spool.dir(SpoolDir::Checked);
    fs::write(checked.join("m"), "To: 1\n\nby hand").unwrap();
    // Held by another daemon: left alone.
    fs::write(checked.join("n@@b"), "To: 1\n\ntheirs").unwrap();
    let mut back = spool.recover_checked().unwrap();
    assert_eq!(back.len(), 1);
    let first = back.pop().unwrap();
    assert!(first.recovered());
    assert_eq!(first.name(), "m");
    assert_eq!(first.message().unwrap().to, "1");
    assert_eq!(listing(&checked), ["m@@a", "n@@b"]);
    // A new file of the same name waits until the adopted one is finished.
    drop_file(&spool, "m", b"To: 2\n\nnew");
    assert!(spool.claim("m").unwrap().is_none());
    spool.finish_sent(first, at(0, 0, 0), &[]).unwrap();
    let second = spool.claim("m").unwrap().unwrap();
    assert!(!second.recovered());
    assert_eq!(second.message().unwrap().to, "2");
}

#[test]
fn long_file_names() {
    let tmp = TempDir::new("longname");
    let name = "n".repeat(250);
    for round in 0..2 {
        let spool = open(&tmp, "a");
        drop_file(&spool, &name, b"To: 1\n\nx");
        let mut c = spool.claim(&name).unwrap().unwrap();
        assert!(c.path().file_name().unwrap().len() <= 255);
        c.record_part(0, "id").unwrap();
        drop(c);
        drop(spool); // the process dies
        let spool = open(&tmp, "a");
        let mut back = spool.recover_checked().unwrap();
        assert_eq!(back.len(), 1, "the long name is found again");
        let c = back.pop().unwrap();
        assert_eq!(c.name(), name, "with its whole name");
        assert_eq!(c.parts_done().len(), 1);
        let out = spool.finish_sent(c, at(0, 0, 0), &["id".into()]).unwrap();
        assert!(out.len() <= 255);
        assert_eq!(out.ends_with(".1"), round == 1);
        assert!(listing(&spool.dir(SpoolDir::Checked)).is_empty());
    }
}

#[test]
fn recovery_resumes_with_recorded_parts() {
    let tmp = TempDir::new("recover");
    let spool = open(&tmp, "a");
    drop_file(&spool, "long", b"To: 1\n\nthree parts");
    drop_file(&spool, "theirs", b"To: 1\n\nx");
    let mut c = spool.claim("long").unwrap().unwrap();
    c.record_part(0, "id-0").unwrap();
    c.record_part(1, "id 1").unwrap();
    // The process dies while writing the third record.
    drop(c);
    drop(spool);
    let log = tmp.0.join("spool/.smppd/progress/a.log");
    fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(b"part long@@a 2 id-2 0000")
        .unwrap();
    // Another daemon holds a file too.
    let other = open(&tmp, "b");
    let theirs = other.claim("theirs").unwrap().unwrap();
    // Leftovers of a crash: a temporary file.
    let restarted = open(&tmp, "a");
    fs::write(restarted.dir(SpoolDir::Sent).join(".tmp-a+1-1"), "partial").unwrap();

    let mut resumed = restarted.recover_checked().unwrap();
    assert_eq!(resumed.len(), 1);
    let mut long = resumed.pop().unwrap();
    assert!(long.recovered());
    assert_eq!(long.name(), "long");
    assert_eq!(
        long.parts_done()
            .iter()
            .map(|(i, id)| (*i, id.as_str()))
            .collect::<Vec<_>>(),
        [(0, "id-0"), (1, "id 1")]
    );
    // The torn record was cut off, so the next one reads back.
    long.record_part(2, "id-2").unwrap();
    assert!(!fs::read(&log).unwrap().windows(4).any(|w| w == b"0000"));
    assert_eq!(restarted.progress("long").unwrap().parts.len(), 3);
    assert!(listing(&restarted.dir(SpoolDir::Sent)).is_empty());
    assert_eq!(
        listing(&restarted.dir(SpoolDir::Checked)),
        ["long@@a", "theirs@@b"]
    );

    // resume() gives a held file back only to its owner.
    assert!(restarted.resume("theirs").unwrap().is_none());
    assert!(restarted.resume("absent").unwrap().is_none());
    assert_eq!(
        restarted
            .resume("long")
            .unwrap()
            .unwrap()
            .parts_done()
            .len(),
        3
    );

    // The other daemon's file is untouched and it can still finish it.
    other.finish_sent(theirs, at(0, 0, 0), &[]).unwrap();
    restarted
        .finish_sent(
            long,
            at(0, 0, 0),
            &["id-0".into(), "id 1".into(), "id-2".into()],
        )
        .unwrap();
    let sent = fs::read_to_string(restarted.dir(SpoolDir::Sent).join("long")).unwrap();
    assert!(sent.contains("Message_id: id 1\nMessage_id: id-2\n\nthree parts"));
    assert!(listing(&restarted.dir(SpoolDir::Checked)).is_empty());
}

#[test]
fn a_second_process_with_the_same_owner_is_refused() {
    let tmp = TempDir::new("twice-owner");
    let first = open(&tmp, "a");
    first.open_progress_log().unwrap();
    let e = open(&tmp, "a").open_progress_log().unwrap_err();
    assert!(e.to_string().contains("instance id a"), "{e}");
    drop(first);
    open(&tmp, "a").open_progress_log().unwrap();
}

/// Replaces `sent/` with a plain file, so that a finish fails at its last
/// step (the rename), as a crash there would leave it; gives `sent/` back.
struct SentBlocked(PathBuf);

impl SentBlocked {
    fn new(spool: &Spool) -> SentBlocked {
        let sent = spool.dir(SpoolDir::Sent);
        fs::rename(&sent, sent.with_extension("away")).unwrap();
        fs::write(&sent, "not a directory").unwrap();
        SentBlocked(sent)
    }
}

impl Drop for SentBlocked {
    fn drop(&mut self) {
        fs::remove_file(&self.0).unwrap();
        fs::rename(self.0.with_extension("away"), &self.0).unwrap();
    }
}

#[test]
fn a_result_decided_before_a_crash_is_finished_by_recovery() {
    for sync in [SyncMode::Filesystem, SyncMode::Files] {
        let tmp = TempDir::new("decided");
        let spool = open(&tmp, "a").with_sync(sync);
        drop_file(&spool, "m", b"To: 1\n\nx");
        drop_file(&spool, "f", b"To: 1\n\ny");
        let m = spool.claim("m").unwrap().unwrap();
        let f = spool.claim("f").unwrap().unwrap();
        let blocked = SentBlocked::new(&spool);
        assert!(spool.finish_sent(m, at(1, 2, 3), &["x".into()]).is_err());
        drop(blocked);
        // The result is written over the file in checked/ already.
        let checked = spool.dir(SpoolDir::Checked);
        let want = "To: 1\nSent: 2024-05-01 01:02:03\nMessage_id: x\n\nx";
        assert_eq!(fs::read_to_string(checked.join("m@@a")).unwrap(), want);
        assert_eq!(spool.progress("m").unwrap().result, Some(Outcome::Sent));
        // The failed one goes through.
        spool.finish_failed(f, at(0, 0, 0), "bad").unwrap();
        drop(spool);

        let restarted = open(&tmp, "a").with_sync(sync);
        assert!(restarted.recover_checked().unwrap().is_empty());
        assert_eq!(listing(&restarted.dir(SpoolDir::Sent)), ["m"]);
        assert_eq!(
            fs::read_to_string(restarted.dir(SpoolDir::Sent).join("m")).unwrap(),
            want,
            "the result as it was decided, not read again"
        );
        assert_eq!(listing(&restarted.dir(SpoolDir::Failed)), ["f"]);
        assert!(listing(&checked).is_empty());
    }
}

#[test]
fn read_only_files_are_finished_too() {
    let tmp = TempDir::new("readonly");
    let spool = open(&tmp, "a");
    drop_file(&spool, "ro", b"To: 1\n\nread only");
    let c = spool.claim("ro").unwrap().unwrap();
    let mut perm = fs::metadata(c.path()).unwrap().permissions();
    perm.set_readonly(true);
    fs::set_permissions(c.path(), perm).unwrap();
    // Without write access the result is a new file (root writes anyway,
    // in place).
    let name = spool.finish_sent(c, at(0, 0, 0), &["i".into()]).unwrap();
    assert_eq!(name, "ro");
    assert_eq!(
        fs::read_to_string(spool.dir(SpoolDir::Sent).join("ro")).unwrap(),
        "To: 1\nSent: 2024-05-01 00:00:00\nMessage_id: i\n\nread only"
    );
    assert!(listing(&spool.dir(SpoolDir::Checked)).is_empty());
    assert!(listing(&spool.dir(SpoolDir::Sent))
        .iter()
        .all(|n| !n.starts_with('.')));
}

#[test]
fn large_files() {
    let tmp = TempDir::new("large");
    let spool = open(&tmp, "a");
    // 2 MiB without an empty line: refused, and the failed file is the
    // original with the headers appended.
    let mut big = b"To: 1\nX: ".to_vec();
    big.resize(2 << 20, b'y');
    drop_file(&spool, "big", &big);
    let c = spool.claim("big").unwrap().unwrap();
    let e = c.message().unwrap_err();
    assert!(matches!(e, SpoolError::BadFile(BadFile::TooLarge { .. })));
    spool.finish_failed(c, at(0, 0, 0), &e.to_string()).unwrap();
    let failed = fs::read(spool.dir(SpoolDir::Failed).join("big")).unwrap();
    assert_eq!(&failed[..big.len()], &big[..]);
    assert!(
        failed[big.len()..].starts_with(b"\nFailed: 2024-05-01 00:00:00\nFail_reason: the file is")
    );

    // 2 MiB with an empty line: inserted before it, body untouched.
    let mut big = b"To: 1\n\n".to_vec();
    big.resize(2 << 20, b'z');
    drop_file(&spool, "big2", &big);
    let c = spool.claim("big2").unwrap().unwrap();
    spool.finish_failed(c, at(0, 0, 0), "too large").unwrap();
    let failed = fs::read(spool.dir(SpoolDir::Failed).join("big2")).unwrap();
    let head = b"To: 1\nFailed: 2024-05-01 00:00:00\nFail_reason: too large\n\n";
    assert_eq!(&failed[..head.len()], head);
    assert_eq!(&failed[head.len()..], &big[7..]);
}

#[test]
fn incoming_and_report_files_get_unique_names() {
    let tmp = TempDir::new("incoming");
    let spool = open(&tmp, "a");
    let mut names = Vec::new();
    for i in 0..50u8 {
        let name = spool
            .write_incoming(&IncomingMessage {
                from: "4917".into(),
                to: "12345".into(),
                received: at(9, 8, 7),
                encoding: Encoding::Gsm7,
                data: vec![b'h', b'i', b'0' + i % 10],
            })
            .unwrap();
        names.push(name);
    }
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 50);
    assert!(names[0].starts_with(&format!("20240501-090807-{}-", std::process::id())));
    assert_eq!(
        fs::read_to_string(spool.dir(SpoolDir::Incoming).join(&names[3])).unwrap(),
        "From: 4917\nTo: 12345\nReceived: 2024-05-01 09:08:07\nAlphabet: GSM\n\nhi3"
    );
    assert_eq!(listing(&spool.dir(SpoolDir::Incoming)).len(), 50);

    let report = ReportMessage {
        from: "4917".into(),
        to: "ACME".into(),
        received: at(9, 8, 7),
        message_id: "7B2A".into(),
        status: "DELIVRD".into(),
        error: Some("000".into()),
        done_date: Some(at(9, 8, 0)),
        original_file: Some("send_AbC123".into()),
        text: "id:7B2A sub:001 dlvrd:001 submit date:2405010908 done date:2405010908 stat:DELIVRD err:000 text:Hello".into(),
    };
    let name = spool.write_report(&report).unwrap();
    let text = fs::read_to_string(spool.dir(SpoolDir::Report).join(name)).unwrap();
    assert!(text.starts_with("From: 4917\nTo: ACME\nReceived: 2024-05-01 09:08:07\nMessage_id: 7B2A\nStatus: DELIVRD\nError: 000\nDone_date: 2024-05-01 09:08:00\nOriginal_file: send_AbC123\n\nid:7B2A"));
}

#[test]
fn message_id_index() {
    let tmp = TempDir::new("msgids");
    let root = tmp.0.join("spool");
    let day = Duration::from_secs(86_400);
    let now = SystemTime::UNIX_EPOCH + 19_000 * day + Duration::from_secs(3600);

    let mut a = MessageIdIndex::open(&root, "a", 3, now).unwrap();
    a.insert("000123", "file-one", now).unwrap();
    a.insert("7B2A3F9C", "file two", now).unwrap();
    assert_eq!(a.get("123"), Some("file-one"));
    assert_eq!(a.get(" 7b2a3f9c\0"), Some("file two"));
    a.sync().unwrap();

    // Another instance sees a's ids, and a sees the other's on a miss.
    let mut b = MessageIdIndex::open(&root, "b", 3, now).unwrap();
    assert_eq!(b.lookup("123").unwrap().as_deref(), Some("file-one"));
    b.insert("999", "from-b", now).unwrap();
    // Held back until the batch is flushed.
    assert_eq!(a.lookup("999").unwrap(), None);
    b.flush().unwrap();
    assert_eq!(a.get("999"), None);
    assert_eq!(a.lookup("999").unwrap().as_deref(), Some("from-b"));
    assert_eq!(a.lookup("nope").unwrap(), None);

    // A torn line at the end of a's file is ignored, and a restart keeps
    // going after it.
    drop(a);
    let dir = root.join(MessageIdIndex::DIR);
    let a_file = listing(&dir)
        .into_iter()
        .find(|n| n.ends_with(".a"))
        .unwrap();
    fs::OpenOptions::new()
        .append(true)
        .open(dir.join(&a_file))
        .unwrap()
        .write_all(b"555 torn-li")
        .unwrap();
    let mut a = MessageIdIndex::open(&root, "a", 3, now).unwrap();
    assert_eq!(a.get("555"), None);
    assert_eq!(a.get("123"), Some("file-one"));
    a.insert("556", "after-torn", now).unwrap();
    a.flush().unwrap();
    let mut again = MessageIdIndex::open(&root, "c", 3, now).unwrap();
    assert_eq!(again.lookup("556").unwrap().as_deref(), Some("after-torn"));

    // Three days later the first day's ids are forgotten and its files gone.
    let later = now + 3 * day;
    a.prune(later).unwrap();
    assert_eq!(a.get("123"), None);
    assert!(a.is_empty());
    assert!(listing(&dir).is_empty());
    a.insert("1", "new-day", later).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(listing(&dir).len(), 1);
}

/// The worker for `kill_9_at_any_instant`: runs only when started by it.
#[test]
fn crash_worker() {
    let Some(root) = std::env::var_os("SMPP_SPOOL_CRASH_WORKER") else {
        return;
    };
    let spool = Spool::open(PathBuf::from(root))
        .unwrap()
        .with_owner("crash")
        .unwrap();
    let finish = |mut c: smpp::daemon::spool::ClaimedFile| {
        for i in 0..3 {
            if !c.parts_done().contains_key(&i) {
                c.record_part(i, &format!("{}-p{i}", c.name())).unwrap();
            }
        }
        let ids: Vec<String> = c.parts_done().values().cloned().collect();
        spool.finish_sent(c, at(0, 0, 0), &ids).unwrap();
    };
    for c in spool.recover_checked().unwrap() {
        finish(c);
    }
    loop {
        let found = spool.scan_outgoing().unwrap();
        if found.is_empty() {
            std::thread::sleep(Duration::from_secs(60));
        }
        for f in found {
            if let Some(c) = spool.claim(&f.name).unwrap() {
                finish(c);
            }
        }
    }
}

/// Kills a worker process with SIGKILL at random moments; after each kill
/// every file is in exactly one place (`outgoing/`, `checked/` as
/// `NAME@@OWNER`, or `sent/`; or, killed in the middle of moving it to
/// `sent/`, the same file in both), and in the end each was sent once, with
/// each part's id recorded once.
#[test]
fn kill_9_at_any_instant() {
    let tmp = TempDir::new("kill9");
    let root = tmp.0.join("spool");
    let spool = Spool::open(&root).unwrap();
    const FILES: usize = 150;
    let names: Vec<String> = (0..FILES).map(|i| format!("f{i:03}")).collect();
    for n in &names {
        drop_file(&spool, n, b"To: 1\n\nx");
    }
    let exe = std::env::current_exe().unwrap();
    let mut seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
        | 1;
    let place_of = |n: &str| -> Vec<&str> {
        [
            ("outgoing", n.to_owned()),
            ("checked", format!("{n}@@crash")),
            ("sent", n.to_owned()),
        ]
        .into_iter()
        .filter(|(d, f)| root.join(d).join(f).exists())
        .map(|(d, _)| d)
        .collect()
    };
    for _round in 0..15 {
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", "crash_worker", "--nocapture", "--test-threads=1"])
            .env("SMPP_SPOOL_CRASH_WORKER", &root)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        std::thread::sleep(Duration::from_millis(20 + u64::from(seed % 80)));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        for n in &names {
            match place_of(n)[..] {
                ["outgoing"] | ["checked"] | ["sent"] => {}
                // Killed between the link into sent/ and the unlink from
                // checked/: one file under two names, which recovery
                // finishes.
                ["checked", "sent"] => {
                    let a = fs::metadata(root.join("checked").join(format!("{n}@@crash")));
                    let b = fs::metadata(root.join("sent").join(n));
                    assert_eq!(a.unwrap().ino(), b.unwrap().ino(), "{n}");
                }
                ref other => panic!("{n} is in {other:?}"),
            }
        }
    }
    // Let a last worker finish everything, in this process.
    let spool = Spool::open(&root).unwrap().with_owner("crash").unwrap();
    for mut c in spool.recover_checked().unwrap() {
        for i in 0..3 {
            if !c.parts_done().contains_key(&i) {
                c.record_part(i, &format!("{}-p{i}", c.name())).unwrap();
            }
        }
        let ids: Vec<String> = c.parts_done().values().cloned().collect();
        spool.finish_sent(c, at(0, 0, 0), &ids).unwrap();
    }
    for f in spool.scan_outgoing().unwrap() {
        let mut c = spool.claim(&f.name).unwrap().unwrap();
        for i in 0..3 {
            c.record_part(i, &format!("{}-p{i}", c.name())).unwrap();
        }
        let ids: Vec<String> = c.parts_done().values().cloned().collect();
        spool.finish_sent(c, at(0, 0, 0), &ids).unwrap();
    }
    assert_eq!(listing(&root.join("sent")), names, "each file sent once");
    assert!(listing(&root.join("checked")).is_empty());
    for n in &names {
        let text = fs::read_to_string(root.join("sent").join(n)).unwrap();
        let want = format!(
            "To: 1\nSent: 2024-05-01 00:00:00\nMessage_id: {n}-p0\nMessage_id: {n}-p1\nMessage_id: {n}-p2\n\nx"
        );
        assert_eq!(text, want);
    }
}

#[test]
fn a_result_written_in_place_is_exactly_the_result() {
    let tmp = TempDir::new("exact");
    let spool = open(&tmp, "a");
    drop_file(&spool, "m", b"To: 1\n\nhello");
    let found = spool.scan_outgoing().unwrap();
    let (mut claimed, errors) = spool.claim_found(&found);
    assert!(errors.is_empty());
    let c = claimed.pop().unwrap();
    // The writer appends after the scan read the file (it must not): what
    // was sent is what the result holds, and nothing after it.
    fs::OpenOptions::new()
        .append(true)
        .open(c.path())
        .unwrap()
        .write_all(&[b'x'; 500])
        .unwrap();
    assert_eq!(c.message().unwrap().to, "1");
    spool.finish_sent(c, at(0, 0, 0), &["i".into()]).unwrap();
    assert_eq!(
        fs::read_to_string(spool.dir(SpoolDir::Sent).join("m")).unwrap(),
        "To: 1\nSent: 2024-05-01 00:00:00\nMessage_id: i\n\nhello"
    );
}

#[test]
fn a_large_backlog_is_scanned_whole_and_in_order() {
    let tmp = TempDir::new("backlog");
    let spool = open(&tmp, "a");
    let out = spool.dir(SpoolDir::Outgoing);
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    const FILES: u64 = 2500;
    for i in 0..FILES {
        let name = format!("m{i:05}");
        let data = if i % 1000 == 999 {
            "To: 1\nPriority: High\n\nx"
        } else {
            "To: 1\n\nx"
        };
        fs::write(out.join(&name), data).unwrap();
        // Newest first by name, so that the order is by time, not name.
        fs::File::options()
            .write(true)
            .open(out.join(&name))
            .unwrap()
            .set_modified(t0 + Duration::from_secs(FILES - i))
            .unwrap();
    }
    let found = spool.scan_outgoing().unwrap();
    assert_eq!(found.len() as u64, FILES);
    let names: Vec<&str> = found.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names[..3], ["m01999", "m00999", "m02499"]);
    assert_eq!(names[3], "m02498");
    assert_eq!(*names.last().unwrap(), "m00000");
    assert_eq!(spool.count_outgoing().unwrap() as u64, FILES);
}

/// CRC-32 (the zlib one), as the progress log's records carry it.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Appends a record to a progress log as the daemon writes them (`TEXT
/// CRC`), to make the state a crash at some step leaves.
fn append_record(log: &Path, text: &str, payload: &[u8]) {
    let mut f = fs::OpenOptions::new().append(true).open(log).unwrap();
    writeln!(f, "{text} {:08x}", crc32(text.as_bytes())).unwrap();
    f.write_all(payload).unwrap();
}

#[test]
fn the_same_owner_stays_locked_after_compaction() {
    let tmp = TempDir::new("lock-compact");
    let a = open(&tmp, "x");
    a.recover_checked().unwrap(); // compacts: the log file is replaced
    assert!(open(&tmp, "x").open_progress_log().is_err());
}

#[test]
fn a_name_reused_after_the_scan_is_claimed_as_the_new_file() {
    let tmp = TempDir::new("stale");
    let a = open(&tmp, "a");
    let b = open(&tmp, "b");
    drop_file(&a, "m", b"To: 1\n\nFIRST");
    let found = a.scan_outgoing().unwrap();
    // Another daemon claims and finishes it; the writer reuses the name.
    let c = b.claim("m").unwrap().unwrap();
    b.finish_sent(c, at(0, 0, 0), &["id-b".into()]).unwrap();
    drop_file(&a, "m", b"To: 2\n\nSECOND");
    let (mut got, errors) = a.claim_found(&found);
    assert!(errors.is_empty());
    let c = got.pop().unwrap();
    assert_eq!(
        c.message().unwrap().to,
        "2",
        "not the scan's stale contents"
    );
    a.finish_sent(c, at(0, 0, 0), &["id-a".into()]).unwrap();
    let sent = a.dir(SpoolDir::Sent);
    let all: Vec<String> = listing(&sent)
        .iter()
        .map(|n| fs::read_to_string(sent.join(n)).unwrap())
        .collect();
    assert!(
        all[0].contains("FIRST") && all[1].contains("SECOND"),
        "{all:?}"
    );
}

#[test]
fn a_copied_result_is_trusted_only_with_its_inode() {
    let tmp = TempDir::new("placed");
    let root = tmp.0.join("spool");
    let spool = open(&tmp, "a");
    let mut big = b"To: 1\n\n".to_vec();
    big.resize(2 << 20, b'Q'); // too large for the log: a new result file
    drop_file(&spool, "m", &big);
    drop_file(&spool, "n", &big);
    drop(spool.claim("m").unwrap().unwrap());
    drop(spool.claim("n").unwrap().unwrap());
    drop(spool);
    let log = root.join(".smppd/progress/a.log");
    // m: killed after its name was recorded, before the link; meanwhile
    // another daemon's file took the name.
    fs::write(root.join("failed/m"), "To: 9\n\nsomeone else's").unwrap();
    append_record(&log, "result m@@a failed m 1", b"");
    // n: killed after the link, before checked/ was cleared.
    fs::write(root.join("failed/n"), "the result").unwrap();
    let ino = fs::metadata(root.join("failed/n")).unwrap().ino();
    append_record(&log, &format!("result n@@a failed n {ino}"), b"");

    let spool = open(&tmp, "a");
    let mut back = spool.recover_checked().unwrap();
    // n is finished as decided; m comes back to be finished again.
    assert_eq!(back.len(), 1);
    let m = back.pop().unwrap();
    assert_eq!(m.name(), "m");
    let name = spool.finish_failed(m, at(0, 0, 0), "too large").unwrap();
    assert_eq!(name, "m.1");
    assert_eq!(listing(&root.join("failed")), ["m", "m.1", "n"]);
    assert_eq!(
        fs::read_to_string(root.join("failed/m")).unwrap(),
        "To: 9\n\nsomeone else's"
    );
    assert!(listing(&root.join("sent")).is_empty());
    assert!(listing(&root.join("checked")).is_empty());
}

#[test]
fn a_file_linked_before_a_crash_keeps_its_one_name() {
    let tmp = TempDir::new("relink");
    let root = tmp.0.join("spool");
    let spool = open(&tmp, "a");
    drop_file(&spool, "m", b"To: 1\n\nhello");
    let c = spool.claim("m").unwrap().unwrap();
    let path = c.path().to_owned();
    drop(c);
    drop(spool);
    // Killed after the result was written in place and linked as sent/m.2
    // (sent/m and sent/m.1 were taken then; m.1 has gone since), before
    // the unlink.
    let result = b"To: 1\nSent: x\nMessage_id: i\n\nhello";
    fs::write(&path, result).unwrap();
    fs::write(root.join("sent/m"), "another file").unwrap();
    fs::hard_link(&path, root.join("sent/m.2")).unwrap();
    let log = root.join(".smppd/progress/a.log");
    let crc = crc32(result);
    append_record(
        &log,
        &format!("done m@@a sent {} {crc:08x}", result.len()),
        result,
    );
    let spool = open(&tmp, "a");
    assert!(spool.recover_checked().unwrap().is_empty());
    assert_eq!(listing(&root.join("sent")), ["m", "m.2"]);
    assert!(listing(&root.join("checked")).is_empty());
}

#[test]
fn a_live_instance_takes_over_the_files_of_a_dead_one() {
    let tmp = TempDir::new("takeover");
    let b = open(&tmp, "b");
    for name in ["one", "two", "three"] {
        drop_file(&b, name, b"To: 491721234567\n\nhi");
    }
    let (mut claimed, errors) = b.claim_many(["one", "two", "three"]);
    assert!(errors.is_empty(), "{errors:?}");
    claimed[0].record_part(0, "id-one").unwrap();
    let three = claimed.pop().unwrap();
    b.finish_sent(three, at(0, 0, 0), &["id-three".into()])
        .unwrap();

    let a = open(&tmp, "a");
    a.open_progress_log().unwrap();
    assert_eq!(a.other_holders().unwrap(), ["b"]);
    assert!(a.take_over("b").unwrap().is_none(), "b is alive");
    assert!(a.take_over("a").unwrap().is_none(), "not itself");

    // b dies: its lock is free.
    drop(claimed);
    drop(b);
    let mut files = a.take_over("b").unwrap().expect("b is dead");
    files.sort_by(|x, y| x.name().cmp(y.name()));
    let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
    assert_eq!(names, ["one", "two"]);
    assert_eq!(
        files[0].parts_done().get(&0).map(String::as_str),
        Some("id-one")
    );
    assert!(files[1].parts_done().is_empty());
    assert_eq!(listing(&a.dir(SpoolDir::Checked)), ["one@@a", "two@@a"]);
    assert!(a.other_holders().unwrap().is_empty());
    assert_eq!(a.take_over("b").unwrap().map(|f| f.len()), Some(0));

    // What was carried over is durable: a restart of a resumes both, with
    // the part b had accepted; b, back, finds nothing of its own.
    drop(files);
    drop(a);
    let b = open(&tmp, "b");
    assert!(b.recover_checked().unwrap().is_empty());
    let a = open(&tmp, "a");
    let mut again = a.recover_checked().unwrap();
    again.sort_by(|x, y| x.name().cmp(y.name()));
    assert_eq!(again.len(), 2);
    assert_eq!(
        again[0].parts_done().get(&0).map(String::as_str),
        Some("id-one")
    );
    for f in again {
        a.finish_sent(f, at(0, 0, 1), &["id".into()]).unwrap();
    }
    assert_eq!(listing(&a.dir(SpoolDir::Sent)), ["one", "three", "two"]);
}
