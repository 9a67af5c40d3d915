//! The units in systemd/: `systemd-analyze verify` accepts them, and the
//! hardening of smppd.service scores an exposure level of at most 2.0.
//!
//! The units name /usr/bin/smppd; the copies checked here name the binary
//! this build made, so that verify finds an executable.
// These run the binaries, which need the `daemon` feature.
#![cfg(feature = "daemon")]

mod daemon_util;

use daemon_util::{run_bounded, secs, SMPPD};
use std::fs;
use std::path::PathBuf;
use std::process::Command;
const UNITS: &[&str] = &["smppd.service", "smppd@.service"];

fn systemd_analyze() -> &'static str {
    let found = Command::new("systemd-analyze")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "systemd-analyze is missing: install systemd (apt-get install systemd) to check the units"
    );
    "systemd-analyze"
}

/// The units copied to a fresh directory with the built binary's path.
struct Units(PathBuf);

impl Units {
    fn new(tag: &str) -> Units {
        let dir = std::env::temp_dir().join(format!("smppd-units-{tag}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("systemd");
        for unit in UNITS {
            let text = fs::read_to_string(src.join(unit)).unwrap();
            assert!(
                text.contains("/usr/bin/smppd"),
                "{unit} does not run /usr/bin/smppd"
            );
            fs::write(dir.join(unit), text.replace("/usr/bin/smppd", SMPPD)).unwrap();
        }
        Units(dir)
    }
}

impl Drop for Units {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn units_pass_systemd_analyze_verify() {
    let tool = systemd_analyze();
    let units = Units::new("verify");
    // A template is verified through an instance of it.
    fs::copy(
        units.0.join("smppd@.service"),
        units.0.join("smppd@acme.service"),
    )
    .unwrap();
    for unit in ["smppd.service", "smppd@.service", "smppd@acme.service"] {
        let (status, stdout, stderr) = run_bounded(
            Command::new(tool)
                .arg("verify")
                .arg(format!("./{unit}"))
                .current_dir(&units.0),
            secs(60),
        );
        assert!(
            status.success() && stdout.trim().is_empty() && stderr.trim().is_empty(),
            "systemd-analyze verify {unit}: {status}\n{stdout}{stderr}"
        );
    }
}

/// Parses "→ Overall exposure level for smppd.service: 1.2 OK 🙂".
fn exposure(output: &str) -> Option<f64> {
    let line = output
        .lines()
        .find(|l| l.contains("Overall exposure level"))?;
    let after = line
        .split_once("):")
        .map(|(_, r)| r)
        .or_else(|| line.split_once(".service:").map(|(_, r)| r))?;
    after.split_whitespace().next()?.parse().ok()
}

#[test]
fn smppd_service_exposure_is_at_most_2() {
    let tool = systemd_analyze();
    let units = Units::new("security");
    let (status, text, stderr) = run_bounded(
        Command::new(tool)
            .args(["security", "--offline=yes", "--no-pager", "./smppd.service"])
            .current_dir(&units.0),
        secs(60),
    );
    let level = exposure(&text)
        .unwrap_or_else(|| panic!("no exposure level in the output ({status}):\n{text}{stderr}"));
    println!("smppd.service: overall exposure level {level}");
    assert!(level <= 2.0, "exposure level {level} is above 2.0:\n{text}");
}

#[test]
fn exposure_line_parses() {
    assert_eq!(
        exposure("x\n→ Overall exposure level for smppd.service: 1.2 OK :-)\n"),
        Some(1.2)
    );
    assert_eq!(exposure("nothing"), None);
}
