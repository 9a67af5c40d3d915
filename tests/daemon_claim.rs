//! How `smppd` claims files from `outgoing/` (DESIGN §4), through its
//! binary: smstools3's own `sendsms` script as the writer, files written
//! in place by hand, empty files, the settle time of a rescan, and a stop
//! at any instant after start.
//!
//! The `sendsms` tests need the script from Debian's `smstools` package,
//! unpacked into `.peers/smstools` by `scripts/install-peers`.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod daemon_util;

use daemon_util::*;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

/// The script as the Debian package ships it.
fn sendsms_original() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".peers/smstools/usr/share/doc/smstools/examples/scripts/sendsms");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/install-peers",
        path.display()
    );
    path
}

/// A copy of `sendsms` in `dir` with nothing changed but the spool path
/// (`/var/spool/sms` -> `spool`), made with sed.
fn sendsms_for(dir: &Path, spool: &Path) -> PathBuf {
    let script = dir.join("sendsms");
    let expr = format!("s|/var/spool/sms|{}|g", spool.display());
    let out = Command::new("sed")
        .arg(&expr)
        .arg(sendsms_original())
        .output()
        .expect("run sed");
    assert!(out.status.success(), "sed failed");
    fs::write(&script, &out.stdout).unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&format!("mktemp {}/outgoing/send_XXXXXX", spool.display())));
    assert!(text.contains("TMPFILE=`mktemp /tmp/smsd_XXXXXX`"));
    script
}

/// A directory that is removed at the end unless the test failed.
struct Scratch(PathBuf);

impl Scratch {
    fn new(parent: &Path, tag: &str) -> Scratch {
        let path = parent.join(format!("smppd-claim-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("test files kept in {}", self.0.display());
        } else {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

const WRITERS: usize = 4;
const PER_WRITER: usize = 50;

/// 200 messages through `sendsms` from 4 writers at once, into a spool
/// under `spool_parent`; every one in `sent/` with its own number, none in
/// `failed/`.
fn sendsms_run(spool_parent: &Path, tag: &str, same_filesystem: bool) {
    let scratch = Scratch::new(spool_parent, tag);
    let spool = scratch.0.join("spool");
    let tmp_dev = fs::metadata("/tmp").unwrap().dev();
    let spool_dev = fs::metadata(&scratch.0).unwrap().dev();
    assert_eq!(
        tmp_dev == spool_dev,
        same_filesystem,
        "{} and /tmp (where sendsms writes its temp file) must {}be on one filesystem",
        scratch.0.display(),
        if same_filesystem { "" } else { "not " }
    );
    let sim = Sim::start(&[]);
    let mut conf = Conf::new(&spool, sim.addr);
    conf.smsc = "window = 16\n".into();
    let cfg = conf.write(&scratch.0.join("smppd.toml"));
    let log = scratch.0.join("smppd.log");
    let d = Daemon::start(&cfg, &log);
    // The daemon creates the spool's folders; files dropped before it
    // watches outgoing/ are found by its first scan.
    let outgoing = spool.join("outgoing");
    wait_until(secs(20), "outgoing/ created", || outgoing.is_dir());
    let script = sendsms_for(&scratch.0, &spool);

    let number = |w: usize, i: usize| format!("4917{:02}{:06}", w, i);
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let mut cmd = Command::new("bash");
            cmd.arg(&script);
            for i in 0..PER_WRITER {
                cmd.arg(number(w, i));
            }
            cmd.arg(format!("hello from writer {w}"));
            cmd.stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped());
            Proc::new("sendsms", cmd.spawn().expect("run sendsms"))
        })
        .collect();
    for mut w in writers {
        let status = w
            .wait_timeout(secs(120))
            .expect("sendsms did not finish within 120 s");
        assert!(status.success(), "sendsms exited with {status}");
    }
    let total = WRITERS * PER_WRITER;
    let done = wait_for(secs(60), || {
        count(&spool, "sent") + count(&spool, "failed") >= total
            && count(&spool, "outgoing") == 0
            && count(&spool, "checked") == 0
    });
    let failed = load_all(&spool, "failed");
    assert!(
        failed.is_empty(),
        "{} files in failed/, for example {:?}\n{}",
        failed.len(),
        failed.iter().next(),
        d.log_tail(20)
    );
    assert!(
        done,
        "not all sent: sent={} outgoing={:?} checked={:?}\n{}",
        count(&spool, "sent"),
        list(&spool, "outgoing"),
        list(&spool, "checked"),
        d.log_tail(20)
    );
    let sent = load_all(&spool, "sent");
    let mut numbers: BTreeMap<String, String> = BTreeMap::new();
    for (name, file) in &sent {
        assert!(name.starts_with("send_"), "unexpected {name} in sent/");
        let to = file.get("To").to_owned();
        let w: usize = to[4..6].parse().unwrap();
        assert_eq!(
            file.body,
            format!("hello from writer {w}").as_bytes(),
            "{name}: body"
        );
        if let Some(other) = numbers.insert(to.clone(), name.clone()) {
            panic!("{to} sent twice: {other} and {name}");
        }
    }
    let want: BTreeMap<String, ()> = (0..WRITERS)
        .flat_map(|w| (0..PER_WRITER).map(move |i| (number(w, i), ())))
        .collect();
    let got: BTreeMap<String, ()> = numbers.keys().map(|k| (k.clone(), ())).collect();
    assert_eq!(got, want, "the numbers in sent/");
    d.stop_clean();
    let totals = sim.stop();
    assert_eq!(totals.submit_sm, total as u64, "submits the SMSC saw");
}

#[test]
fn sendsms_on_the_temp_files_filesystem() {
    sendsms_run(Path::new("/tmp"), "samefs", true);
}

#[test]
fn sendsms_on_another_filesystem() {
    sendsms_run(Path::new("/dev/shm"), "otherfs", false);
}

/// A spool whose daemon is running and watching `outgoing/`, with
/// `settle_ms` and `empty_grace_secs` as given.
struct Running {
    _dir: TestDir,
    spool: PathBuf,
    daemon: Daemon,
    sim: Sim,
}

/// Drops `name` by rename and waits until it is in `sent/`; `false` if it
/// was not within `timeout`.
fn sent_within(spool: &Path, name: &str, timeout: Duration) -> bool {
    drop_file(spool, name, b"To: 491720000000\n\nwarm-up");
    let path = spool.join("sent").join(name);
    wait_for(timeout, || path.exists())
}

/// Starts smsc-sim and smppd, then makes sure the daemon watches
/// `outgoing/`: with a long `settle_ms`, a file renamed in is sent well
/// before its settle time only through the watch's moved-to event (a file
/// renamed in before the watch began waits for the settle time instead; a
/// fresh one is tried then).
fn running(tag: &str, settle_ms: u64, top: &str) -> Running {
    assert!(settle_ms >= 30_000, "the warm-up needs a long settle time");
    let dir = TestDir::new(tag);
    let sim = Sim::start(&[]);
    let spool = dir.spool();
    let mut conf = Conf::new(&spool, sim.addr);
    conf.top = format!("settle_ms = {settle_ms}\n{top}");
    let cfg = conf.write(&dir.join("smppd.toml"));
    let daemon = Daemon::start(&cfg, &dir.join("smppd.log"));
    let outgoing = spool.join("outgoing");
    wait_until(secs(20), "outgoing/ created", || outgoing.is_dir());
    let watched = (0..6).any(|i| sent_within(&spool, &format!("warm-up-{i}"), secs(5)));
    assert!(
        watched,
        "no file renamed into outgoing/ was sent within 5 s\n{}",
        daemon.log_tail(30)
    );
    Running {
        _dir: dir,
        spool,
        daemon,
        sim,
    }
}

/// A file renamed into `outgoing/` is claimed at once, not after the
/// settle time.
#[test]
fn renamed_files_are_claimed_at_once() {
    let r = running("renamed", 60_000, "");
    for i in 0..20 {
        let name = format!("renamed-{i}");
        let started = Instant::now();
        assert!(
            sent_within(&r.spool, &name, secs(20)),
            "{name} not sent within 20 s (settle_ms is 60000)\n{}",
            r.daemon.log_tail(20)
        );
        // Far below the settle time: it was claimed on its event.
        assert!(started.elapsed() < secs(30));
    }
    assert_eq!(count(&r.spool, "failed"), 0);
    r.daemon.stop_clean();
    r.sim.stop();
}

/// A file written in `outgoing/` by hand, slowly, without a rename, is
/// claimed only once its writer closes it, whole.
#[test]
fn a_slow_writer_in_place_is_waited_for() {
    let r = running("slow", 60_000, "");
    let path = r.spool.join("outgoing").join("slow");
    let mut file = fs::File::create(&path).unwrap();
    file.write_all(b"To: 491721234567\n\n").unwrap();
    let mut body = String::new();
    for i in 0..8 {
        let piece = format!("piece {i}; ");
        file.write_all(piece.as_bytes()).unwrap();
        body.push_str(&piece);
        // The writer pauses with the file open: the daemon must not take it.
        std::thread::sleep(ms(250));
        assert!(
            path.exists(),
            "claimed while its writer still had it open, after {} pieces\n{}",
            i + 1,
            r.daemon.log_tail(20)
        );
    }
    drop(file);
    let sent = r.spool.join("sent").join("slow");
    assert!(
        wait_for(secs(20), || sent.exists()),
        "not sent within 20 s of its close (settle_ms is 60000)\n{}",
        r.daemon.log_tail(20)
    );
    assert_eq!(
        SpoolFile::load(&r.spool, "sent", "slow").body,
        body.as_bytes()
    );
    assert_eq!(count(&r.spool, "failed"), 0);
    r.daemon.stop_clean();
    r.sim.stop();
}

/// The status change time of `path`.
fn ctime(path: &Path) -> SystemTime {
    let m = fs::metadata(path).unwrap();
    SystemTime::UNIX_EPOCH + Duration::new(m.ctime() as u64, m.ctime_nsec() as u32)
}

/// An empty file is never claimed; still empty after `empty_grace_secs`,
/// it goes to `failed/` as `empty file`. An empty file filled in place in
/// time (as `mv` from another filesystem fills `mktemp`'s placeholder) is
/// sent with what it was filled with.
#[test]
fn empty_files_wait_for_their_grace_then_fail() {
    let r = running("empty", 60_000, "empty_grace_secs = 2\n");
    let out = r.spool.join("outgoing");
    fs::File::create(out.join("empty")).unwrap();
    let created = ctime(&out.join("empty"));
    fs::File::create(out.join("filled")).unwrap();
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(out.join("filled"))
            .unwrap();
        f.write_all(b"To: 491727654321\n\nfilled in place").unwrap();
    }
    let sent = r.spool.join("sent").join("filled");
    assert!(
        wait_for(secs(20), || sent.exists()),
        "the filled file was not sent within 20 s\n{}",
        r.daemon.log_tail(20)
    );
    assert_eq!(
        SpoolFile::load(&r.spool, "sent", "filled").body,
        b"filled in place"
    );
    let failed = r.spool.join("failed").join("empty");
    let grace_over = created + secs(2) - ms(50);
    wait_until(secs(30), "failed/empty", || {
        if SystemTime::now() < grace_over {
            assert!(
                out.join("empty").exists(),
                "an empty file was claimed before its grace was over"
            );
        }
        failed.exists()
    });
    assert!(
        SystemTime::now() >= grace_over,
        "an empty file went to failed/ before its grace was over"
    );
    let f = SpoolFile::load(&r.spool, "failed", "empty");
    assert_eq!(f.get("Fail_reason"), "empty file");
    assert!(f.body.is_empty());
    r.daemon.stop_clean();
    r.sim.stop();
}

/// A file first seen by a scan (here, at start) is claimed only once it
/// has stayed unchanged for `settle_ms`.
#[test]
fn files_found_by_a_scan_settle_first() {
    let dir = TestDir::new("settle");
    let sim = Sim::start(&[]);
    let spool = dir.spool();
    let out = spool.join("outgoing");
    fs::create_dir_all(&out).unwrap();
    let path = out.join("early");
    fs::write(
        &path,
        b"To: 491721111111\n\nwritten before the daemon started",
    )
    .unwrap();
    let changed = ctime(&path);
    let mut conf = Conf::new(&spool, sim.addr);
    conf.top = "settle_ms = 1500\n".into();
    let cfg = conf.write(&dir.join("smppd.toml"));
    let d = Daemon::start(&cfg, &dir.join("smppd.log"));
    let settled = changed + ms(1500) - ms(30);
    let sent = spool.join("sent").join("early");
    wait_until(secs(30), "sent/early", || {
        if SystemTime::now() < settled {
            assert!(path.exists(), "claimed before it had settled");
        }
        sent.exists()
    });
    assert!(SystemTime::now() >= settled, "sent before it had settled");
    d.stop_clean();
    sim.stop();
}

/// The spool folders the daemon creates are 2770 (group-writable, setgid),
/// the files it writes 0640.
#[test]
fn spool_folders_are_group_writable_and_files_0640() {
    let dir = TestDir::new("modes");
    let sim = Sim::start(&["--mo-every-ms", "100"]);
    let spool = dir.join("new/spool");
    let cfg = Conf::new(&spool, sim.addr).write(&dir.join("smppd.toml"));
    let d = Daemon::start(&cfg, &dir.join("smppd.log"));
    wait_until(secs(20), "a file in incoming/", || {
        count(&spool, "incoming") >= 1
    });
    d.stop_clean();
    sim.stop();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&spool), 0o2770, "the spool root");
    for d in [
        "outgoing", "checked", "sent", "failed", "incoming", "report",
    ] {
        assert_eq!(mode(&spool.join(d)), 0o2770, "{d}/");
    }
    for name in list(&spool, "incoming") {
        assert_eq!(
            mode(&spool.join("incoming").join(&name)),
            0o640,
            "incoming/{name}"
        );
    }
}

/// SIGTERM 0 to 5 ms after exec: smppd exits promptly (it used to hang for
/// good when the stop came before the spool watcher began to wait), also
/// with files arriving.
#[test]
fn sigterm_right_after_start_exits_promptly() {
    let dir = TestDir::new("early-term");
    let sim = Sim::start(&[]);
    let spool = dir.spool();
    let cfg = Conf::new(&spool, sim.addr).write(&dir.join("smppd.toml"));
    fs::create_dir_all(spool.join("outgoing")).unwrap();
    for round in 0..20u64 {
        let busy = round % 2 == 1;
        let writer = busy.then(|| {
            let spool = spool.clone();
            std::thread::spawn(move || {
                for i in 0..100 {
                    drop_file(
                        &spool,
                        &format!("r{round}-{i}"),
                        b"To: 491720000000\n\nload",
                    );
                }
            })
        });
        let mut d = Daemon::start(&cfg, &dir.join("smppd.log"));
        std::thread::sleep(Duration::from_micros(round % 6 * 1000));
        d.proc.signal("TERM");
        let status = d.proc.wait_timeout(secs(15));
        if let Some(w) = writer {
            w.join().unwrap();
        }
        let Some(status) = status else {
            panic!(
                "round {round}: smppd did not exit within 15 s of a SIGTERM {} ms after exec\n{}",
                round % 6,
                d.log_tail(30)
            );
        };
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.success() || status.signal() == Some(15),
            "round {round}: {status}\n{}",
            d.log_tail(30)
        );
    }
    sim.stop();
}
