//! The man pages and shell completions in `doc/` are generated from the
//! binaries' clap definitions in `bin/cli/` (the ones `--help` is made
//! from), never edited by hand. This test fails when a committed file
//! differs from what the definitions give now; to write them anew:
//!
//! ```text
//! SMPPD_WRITE_DOCS=1 cargo test --test cli_docs
//! ```
#![cfg(feature = "daemon")]

mod cli_defs;

use clap::CommandFactory;
use clap_complete::Shell;
use cli_defs::{smpp_bench_cli, smppd_cli, smsc_sim_cli};
use std::path::{Path, PathBuf};

/// Every generated file: its path under the repository and its contents.
fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let commands = [
        (smsc_sim_cli::Cli::command(), "1"),
        (smpp_bench_cli::Cli::command(), "1"),
        (smppd_cli::Cli::command(), "8"),
    ];
    let mut files = Vec::new();
    for (cmd, section) in commands {
        let name = cmd.get_name().to_owned();
        let mut page = Vec::new();
        clap_mangen::Man::new(cmd.clone())
            .section(section)
            .manual("smppd")
            .source(format!("smppd {}", env!("CARGO_PKG_VERSION")))
            .render(&mut page)
            .unwrap();
        files.push((PathBuf::from(format!("doc/man/{name}.{section}")), page));
        for (shell, path) in [
            (Shell::Bash, format!("doc/completions/bash/{name}")),
            (Shell::Zsh, format!("doc/completions/zsh/_{name}")),
            (Shell::Fish, format!("doc/completions/fish/{name}.fish")),
        ] {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), &name, &mut script);
            files.push((PathBuf::from(path), script));
        }
    }
    files
}

#[test]
fn generated_docs_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let write = std::env::var_os("SMPPD_WRITE_DOCS").is_some();
    let mut stale = Vec::new();
    for (path, contents) in generated() {
        let full = root.join(&path);
        if std::fs::read(&full).ok().as_deref() == Some(&contents[..]) {
            continue;
        }
        if write {
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(&full, &contents).unwrap();
        } else {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {}; run `SMPPD_WRITE_DOCS=1 cargo test --test cli_docs` and commit the result",
        stale.join(", ")
    );
}

/// The man pages carry every flag, and the version.
#[test]
fn man_pages_name_every_flag() {
    for (path, contents) in generated() {
        let Some(name) = path.to_str().unwrap().strip_prefix("doc/man/") else {
            continue;
        };
        let text = String::from_utf8(contents).unwrap();
        let cmd = match name {
            "smsc-sim.1" => smsc_sim_cli::Cli::command(),
            "smpp-bench.1" => smpp_bench_cli::Cli::command(),
            "smppd.8" => smppd_cli::Cli::command(),
            other => panic!("unexpected page {other}"),
        };
        for arg in cmd.get_arguments() {
            if let Some(long) = arg.get_long() {
                // roff escapes the dashes: \-\-listen
                let flag = format!("\\-\\-{}", long.replace('-', "\\-"));
                assert!(text.contains(&flag), "{name} lacks --{long}");
            }
        }
        assert!(
            text.contains(env!("CARGO_PKG_VERSION")),
            "{name}: no version"
        );
    }
}
