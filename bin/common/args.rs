//! A small command-line parser shared by the binaries: `--flag value`,
//! `--flag=value`, repeatable flags, and `-v` counting. Errors exit with
//! status 2 and name the flag.

#![allow(dead_code)] // each binary uses a different subset

use std::collections::HashMap;
use std::str::FromStr;

/// Parsed arguments.
pub(crate) struct Args {
    values: HashMap<String, Vec<String>>,
    /// How many `-v` were given.
    pub(crate) verbose: usize,
    /// Program name, for messages.
    prog: &'static str,
}

/// Exits with status 2 after printing `message`.
pub(crate) fn usage_error(prog: &str, message: &str) -> ! {
    eprintln!("{prog}: {message}");
    eprintln!("{prog}: try --help");
    std::process::exit(2);
}

impl Args {
    /// Parses `std::env::args()`. `flags` lists flags that take a value,
    /// `switches` those that do not. `--help` prints `help` and exits 0.
    pub(crate) fn parse(prog: &'static str, help: &str, flags: &[&str], switches: &[&str]) -> Args {
        let mut values: HashMap<String, Vec<String>> = HashMap::new();
        let mut verbose = 0;
        let mut it = std::env::args().skip(1);
        while let Some(arg) = it.next() {
            if arg == "--help" || arg == "-h" {
                print!("{help}");
                std::process::exit(0);
            }
            if arg.starts_with("-v") && arg[1..].chars().all(|c| c == 'v') {
                verbose += arg.len() - 1;
                continue;
            }
            if arg == "--verbose" {
                verbose += 1;
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (arg.clone(), None),
            };
            if switches.contains(&name.as_str()) {
                if inline.is_some() {
                    usage_error(prog, &format!("{name} takes no value"));
                }
                values.entry(name).or_default().push(String::new());
            } else if flags.contains(&name.as_str()) {
                let value = match inline {
                    Some(v) => v,
                    None => it
                        .next()
                        .unwrap_or_else(|| usage_error(prog, &format!("{name} needs a value"))),
                };
                values.entry(name).or_default().push(value);
            } else {
                usage_error(prog, &format!("unknown argument {arg:?}"));
            }
        }
        Args {
            values,
            verbose,
            prog,
        }
    }

    /// The switch was given.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The last value of a flag.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.last())
            .map(String::as_str)
    }

    /// Every value of a repeatable flag.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.values.get(name).cloned().unwrap_or_default()
    }

    /// A flag's value parsed, or the default; a bad value exits 2.
    pub(crate) fn parsed<T: FromStr>(&self, name: &str, default: T) -> T {
        match self.get(name) {
            None => default,
            Some(v) => v.parse().unwrap_or_else(|_| {
                usage_error(self.prog, &format!("{name}: invalid value {v:?}"))
            }),
        }
    }

    /// Sets up logging: `RUST_LOG` if set, else `-v` (info), `-vv`
    /// (debug), `-vvv` (trace); warnings otherwise. Under journald
    /// (`JOURNAL_STREAM` set) lines carry no timestamp.
    pub(crate) fn init_logging(&self) {
        let level = match self.verbose {
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        };
        let mut builder =
            env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level));
        if std::env::var_os("JOURNAL_STREAM").is_some() {
            builder.format_timestamp(None);
        }
        builder.init();
    }
}
