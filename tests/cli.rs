//! The three binaries' command lines (DESIGN section 3): `--version`,
//! `--help` listing every flag, bad values refused with exit status 2 and
//! the flag named, and `smppd --check-config` listing every problem.
#![cfg(feature = "daemon")]

mod daemon_util;

mod cli_defs;

use clap::CommandFactory;
use cli_defs::{smpp_bench_cli, smppd_cli, smsc_sim_cli};
use daemon_util::{run_bounded, secs, TestDir, SMPPD, SMSC_SIM};
use std::fs;
use std::process::Command;

const SMPP_BENCH: &str = env!("CARGO_BIN_EXE_smpp-bench");

fn run(bin: &str, args: &[&str]) -> (i32, String, String) {
    let (status, out, err) = run_bounded(Command::new(bin).args(args), secs(20));
    (status.code().unwrap_or(-1), out, err)
}

/// Each binary with its name, its clap definition, and the flags DESIGN
/// section 3 promises.
fn binaries() -> [(
    &'static str,
    &'static str,
    clap::Command,
    &'static [&'static str],
); 3] {
    [
        (
            SMSC_SIM,
            "smsc-sim",
            smsc_sim_cli::Cli::command(),
            &[
                "--listen",
                "--account",
                "--dlr-delay-ms",
                "--dlr-stat",
                "--throttle-per-sec",
                "--reject-every",
                "--mo-every-ms",
                "--outbind",
                "--enquire-link-secs",
                "--inactivity-secs",
                "--max-sessions",
                "--max-pdu-len",
            ],
        ),
        (
            SMPP_BENCH,
            "smpp-bench",
            smpp_bench_cli::Cli::command(),
            &[
                "--connect",
                "--system-id",
                "--password",
                "--bind",
                "--sessions",
                "--window",
                "--count",
                "--rate",
                "--size",
            ],
        ),
        (
            SMPPD,
            "smppd",
            smppd_cli::Cli::command(),
            &["--config", "--demo", "--spool", "--check-config"],
        ),
    ]
}

/// Every flag given a valid value parses into its field (a value parser
/// whose type differs from the field's would panic here).
#[test]
fn every_flag_takes_a_valid_value() {
    use clap::Parser;
    let sim = smsc_sim_cli::Cli::try_parse_from([
        "smsc-sim",
        "--listen",
        "127.0.0.1:0",
        "--account",
        "a:b",
        "--account",
        "c:d",
        "--dlr-delay-ms",
        "5",
        "--dlr-stat",
        "UNDELIV",
        "--throttle-per-sec",
        "7",
        "--reject-every",
        "3",
        "--mo-every-ms",
        "100",
        "--outbind",
        "localhost:2776",
        "--enquire-link-secs",
        "0",
        "--inactivity-secs",
        "9",
        "--max-sessions",
        "2",
        "--max-pdu-len",
        "4096",
        "--workers",
        "1",
        "-vv",
    ])
    .unwrap();
    assert_eq!(sim.accounts.len(), 2);
    assert_eq!(
        (sim.max_pdu_len, sim.workers, sim.verbose),
        (4096, Some(1), 2)
    );
    let bench = smpp_bench_cli::Cli::try_parse_from([
        "smpp-bench",
        "--connect",
        "smsc.example:2775",
        "--system-id",
        "id",
        "--password",
        "pw",
        "--bind",
        "tx",
        "--sessions",
        "3",
        "--window",
        "8",
        "--count",
        "10",
        "--rate",
        "100",
        "--size",
        "300",
        "--timeout-secs",
        "5",
        "--hold-secs",
        "1",
        "--enquire-link-secs",
        "2",
        "--workers",
        "2",
        "-v",
    ])
    .unwrap();
    assert_eq!(bench.bind, smpp_bench_cli::Bind::Tx);
    assert_eq!(
        (
            bench.sessions,
            bench.window,
            bench.count,
            bench.size,
            bench.workers
        ),
        (3, 8, 10, 300, Some(2))
    );
    let d =
        smppd_cli::Cli::try_parse_from(["smppd", "--demo", "--spool", "/tmp/x", "-vvv"]).unwrap();
    assert!(d.demo && !d.check_config);
    assert_eq!(d.verbose, 3);
    let d =
        smppd_cli::Cli::try_parse_from(["smppd", "--check-config", "--config", "a.toml"]).unwrap();
    assert_eq!(d.config, std::path::Path::new("a.toml"));
    // A flag given twice: the last one counts, as before clap (scripts
    // append to a default command line).
    let sim = smsc_sim_cli::Cli::try_parse_from(["smsc-sim", "--workers", "1", "--workers", "3"])
        .unwrap();
    assert_eq!(sim.workers, Some(3));
    let d = smppd_cli::Cli::try_parse_from(["smppd", "--config", "a", "--config", "b"]).unwrap();
    assert_eq!(d.config, std::path::Path::new("b"));
    let d = smppd_cli::Cli::try_parse_from(["smppd", "-v", "--verbose", "-v"]).unwrap();
    assert_eq!(d.verbose, 3);
}

#[test]
fn version_prints_name_and_version() {
    for (bin, name, _, _) in binaries() {
        for flag in ["--version", "-V"] {
            let (code, out, err) = run(bin, &[flag]);
            assert_eq!(code, 0, "{name} {flag}: {err}");
            assert_eq!(out, format!("{name} {}\n", env!("CARGO_PKG_VERSION")));
        }
    }
}

#[test]
fn help_lists_every_flag() {
    for (bin, name, cmd, contract) in binaries() {
        let (code, out, err) = run(bin, &["--help"]);
        assert_eq!(code, 0, "{name} --help: {err}");
        assert!(out.contains(&format!("Usage: {name} ")), "{name}: {out}");
        let mut flags: Vec<String> = cmd
            .get_arguments()
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        flags.extend(["--help", "--version", "-v", "--verbose"].map(String::from));
        flags.extend(contract.iter().map(|f| f.to_string()));
        for flag in flags {
            assert!(
                out.lines().any(|l| l
                    .split([' ', ','])
                    .any(|w| w.trim_end_matches("...") == flag)),
                "{name} --help lacks {flag}:\n{out}"
            );
        }
    }
}

/// Bad values, out-of-range ones included: exit status 2, and the message
/// names the flag.
#[test]
fn bad_values_exit_2_naming_the_flag() {
    let cases: &[(&str, &[&str], &str)] = &[
        (SMSC_SIM, &["--listen", "bogus"], "--listen"),
        (SMSC_SIM, &["--listen", "127.0.0.1:99999"], "--listen"),
        (SMSC_SIM, &["--account", "nopassword"], "--account"),
        (SMSC_SIM, &["--account", "a:123456789"], "--account"),
        (SMSC_SIM, &["--dlr-stat", "SOMETIMES"], "--dlr-stat"),
        (SMSC_SIM, &["--max-pdu-len", "8"], "--max-pdu-len"),
        (SMSC_SIM, &["--dlr-delay-ms=-1"], "--dlr-delay-ms"),
        (SMSC_SIM, &["--outbind", "nowhere"], "--outbind"),
        (SMSC_SIM, &["--workers", "0"], "--workers"),
        (SMSC_SIM, &["--bogus"], "--bogus"),
        (SMPP_BENCH, &["--size", "0"], "--size"),
        (SMPP_BENCH, &["--size", "65536"], "--size"),
        (SMPP_BENCH, &["--sessions", "0"], "--sessions"),
        (SMPP_BENCH, &["--window", "0"], "--window"),
        (SMPP_BENCH, &["--bind", "rx"], "--bind"),
        (SMPP_BENCH, &["--connect", "host"], "--connect"),
        (
            SMPP_BENCH,
            &["--system-id", "sixteen_chars_id"],
            "--system-id",
        ),
        (SMPP_BENCH, &["--password", "ninechars"], "--password"),
        (SMPP_BENCH, &["--rate", "fast"], "--rate"),
        (SMPP_BENCH, &["--timeout-secs", "0"], "--timeout-secs"),
        (SMPPD, &["--spool", "/x"], "--demo"),
        (SMPPD, &["--check-config=yes"], "--check-config"),
        (SMPPD, &["--check-config", "--demo"], "--demo"),
        (SMPPD, &["--config"], "--config"),
        (SMPPD, &["positional"], "positional"),
    ];
    for (bin, args, flag) in cases {
        let (code, out, err) = run(bin, args);
        assert_eq!(code, 2, "{bin} {args:?}: {out}{err}");
        assert!(
            err.contains(flag),
            "{bin} {args:?}: {flag} not named: {err}"
        );
    }
}

#[test]
fn missing_config_is_named_once_with_a_hint() {
    let dir = TestDir::new("cli-missing");
    let path = dir.join("absent.toml");
    let path_s = path.to_str().unwrap();
    for args in [
        &["--config", path_s][..],
        &["--check-config", "--config", path_s],
    ] {
        let (code, _, err) = run(SMPPD, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.matches(path_s).count(), 1, "{err}");
        assert!(err.contains("No such file"), "{err}");
        assert!(err.contains("hint:") && err.contains("--demo"), "{err}");
        assert!(err.contains("smppd.toml.example"), "{err}");
    }
}

/// `--check-config` lists every problem of the file, each with the file,
/// line and column; a syntax error alone stops the reading.
#[test]
fn check_config_lists_every_error() {
    let dir = TestDir::new("cli-check");
    let path = dir.join("many.toml");
    fs::write(
        &path,
        "# several mistakes at once\nmax_parts = 0\nsplit = \"words\"\n\n[smsc]\nhost = \"h\"\nport = 70000\nsystem_id = \"acme\"\npassword = \"123456789\"\nbind = \"both\"\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let (code, out, err) = run(SMPPD, &["--check-config", "--config", p]);
    assert_eq!(code, 2, "{out}{err}");
    let want = [
        format!("smppd: {p}: line 2, column 13: max_parts must be an integer from 1 to 255, not 0"),
        format!("smppd: {p}: line 3, column 9: split must be one of \"udh\", \"udh16\", \"sar\", \"payload\", not \"words\""),
        format!("smppd: {p}: line 7, column 8: smsc.port must be an integer from 1 to 65535, not 70000"),
        format!("smppd: {p}: line 9, column 12: smsc.password must be a password of at most 8 characters (SMPP 3.4), not 9 characters"),
        format!("smppd: {p}: line 10, column 8: smsc.bind must be one of \"transmitter\", \"receiver\", \"transceiver\", not \"both\""),
    ];
    assert_eq!(err.lines().collect::<Vec<_>>(), want);

    fs::write(&path, "[smsc]\nhost = \"h\"\nport = 1\nport = 2\n").unwrap();
    let (code, _, err) = run(SMPPD, &["--check-config", "--config", p]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        format!("smppd: {p}: line 4, column 1: smsc.port: duplicate key")
    );
}

/// `--check-config` checks that the spool and the metrics file's directory
/// can be written, by the user running it.
#[test]
fn check_config_checks_writable_paths() {
    let dir = TestDir::new("cli-writable");
    let path = dir.join("w.toml");
    let p = path.to_str().unwrap();
    let write = |spool: &str, metrics: &str| {
        fs::write(
            &path,
            format!("spool = {spool:?}\nmetrics_file = {metrics:?}\n[smsc]\nhost = \"h\"\nsystem_id = \"s\"\npassword = \"p\"\n"),
        )
        .unwrap();
    };
    let spool = dir.join("spool");
    let metrics = dir.join("metrics");
    fs::create_dir(&metrics).unwrap();
    let metrics_file = metrics.join("smppd.prom");
    write(spool.to_str().unwrap(), metrics_file.to_str().unwrap());
    let (code, out, err) = run(SMPPD, &["--check-config", "--config", p]);
    assert_eq!((code, err.as_str()), (0, ""), "{out}");
    assert_eq!(out, format!("{p}: configuration is valid\n"));

    // A spool that is a file; a metrics directory that does not exist.
    fs::write(&spool, "").unwrap();
    write(
        spool.to_str().unwrap(),
        dir.join("nodir/smppd.prom").to_str().unwrap(),
    );
    let (code, _, err) = run(SMPPD, &["--check-config", "--config", p]);
    assert_eq!(code, 2);
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            format!("smppd: {p}: spool {}: not a directory", spool.display()),
            format!(
                "smppd: {p}: metrics_file's directory {}: does not exist",
                dir.join("nodir").display()
            ),
        ]
    );
    fs::remove_file(&spool).unwrap();

    // As another user (root may write anywhere): nobody cannot write the
    // root-owned test directory.
    if is_root() {
        fs::set_permissions(
            &dir.path,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        write(spool.to_str().unwrap(), metrics_file.to_str().unwrap());
        let (code, out, err) = run(
            "setpriv",
            &[
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                SMPPD,
                "--check-config",
                "--config",
                p,
            ],
        );
        if err.contains("Permission denied") && err.contains(SMPPD) {
            // The build directory is not open to nobody: nothing to learn.
            return;
        }
        assert_eq!(code, 2, "{out}{err}");
        assert!(
            err.contains(&format!(
                "spool {}: does not exist, and cannot be created in {}: not writable by this user",
                spool.display(),
                dir.path.display()
            )),
            "{err}"
        );
        assert!(
            err.contains(&format!(
                "metrics_file's directory {}: not writable by this user",
                metrics.display()
            )),
            "{err}"
        );
    }
}

fn is_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
}
