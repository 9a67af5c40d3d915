//! Certificates made at test time (never committed keys), and a log
//! capture for the in-process tests.
#![allow(dead_code, unreachable_pub)]

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// A directory of PEM files, removed on drop:
///
/// - `ca.pem`: the test CA; `other-ca.pem`: an unrelated CA.
/// - `server.pem`/`server.key`: for `localhost` and `127.0.0.1`, by the CA.
/// - `expired.pem`/`expired.key`: the same names, expired in 2021.
/// - `client.pem`/`client.key`: a client certificate by the CA.
/// - `other.key`: a key that belongs to no certificate here.
/// - `garbage.pem`: not PEM at all.
pub struct Pki {
    pub dir: PathBuf,
}

fn ca(name: &str) -> (CertificateParams, KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    (params, key, cert.pem())
}

fn leaf(issuer: &Issuer<'_, &KeyPair>, expired: bool, client: bool) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    params.distinguished_name.push(
        DnType::CommonName,
        if client { "test esme" } else { "localhost" },
    );
    if client {
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    }
    if expired {
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

impl Pki {
    pub fn new() -> Pki {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "smppd-tls-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (ca_params, ca_key, ca_pem) = ca("smppd test CA");
        let (_, _, other_pem) = ca("another CA");
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let (server, server_key) = leaf(&issuer, false, false);
        let (expired, expired_key) = leaf(&issuer, true, false);
        let (client, client_key) = leaf(&issuer, false, true);
        let other_key = KeyPair::generate().unwrap().serialize_pem();
        let files = [
            ("ca.pem", ca_pem),
            ("other-ca.pem", other_pem),
            ("server.pem", server),
            ("server.key", server_key),
            ("expired.pem", expired),
            ("expired.key", expired_key),
            ("client.pem", client),
            ("client.key", client_key),
            ("other.key", other_key),
            ("garbage.pem", "this is not a certificate\n".to_string()),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        Pki { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn arg(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Every log line of this test process, `LEVEL target: message`.
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Info
    }

    fn log(&self, r: &log::Record<'_>) {
        if self.enabled(r.metadata()) && r.target().starts_with("smpp") {
            let line = format!("{} {}: {}", r.level(), r.target(), r.args());
            LINES.lock().unwrap().push(line);
        }
    }

    fn flush(&self) {}
}

/// Starts capturing the library's log (once per process).
pub fn capture_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        static CAPTURE: Capture = Capture;
        log::set_logger(&CAPTURE).unwrap();
        log::set_max_level(log::LevelFilter::Info);
    });
}

/// Waits (at most `timeout`) for a log line containing every one of
/// `parts`; returns it, or panics with the lines seen.
pub fn wait_log(parts: &[&str], timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        {
            let lines = LINES.lock().unwrap();
            if let Some(l) = lines.iter().find(|l| parts.iter().all(|p| l.contains(p))) {
                return l.clone();
            }
            if Instant::now() >= deadline {
                panic!(
                    "no log line with {parts:?} within {timeout:?}; the log:\n{}",
                    lines.join("\n")
                );
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many log lines contain every one of `parts`.
pub fn count_log(parts: &[&str]) -> usize {
    LINES
        .lock()
        .unwrap()
        .iter()
        .filter(|l| parts.iter().all(|p| l.contains(p)))
        .count()
}

/// A path as a string.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
