//! The binaries' logger: `env_logger` behind a filter that the daemon's
//! `log_level` key sets and SIGHUP changes while it runs.
//!
//! A binary calls [`init`] once, first thing, with its `-v` count. The
//! filter is then, in this order: `RUST_LOG` if set; else `-v` (info),
//! `-vv` (debug), `-vvv` (trace); else [`DEFAULT_FILTER`], until the
//! configuration's `log_level` is applied with [`set_filter`] once the
//! configuration is read (and again on every reload). `RUST_LOG` and `-v` are the
//! operator's word for this run: the configuration does not override them.
//!
//! Under journald (`JOURNAL_STREAM` names stderr, see
//! [`crate::daemon::notify::stderr_is_journal`]) lines carry no timestamp and start
//! with their syslog priority (`<3>` error to `<7>` debug), which journald
//! reads as the entry's priority.
//!
//! A library user who brings a logger of their own never calls this.

use std::sync::{OnceLock, RwLock};

/// Warnings, and the operator's lines (target `smppd`: binds, link losses,
/// summaries) at info.
pub const DEFAULT_FILTER: &str = "warn,smppd=info";

/// The installed logger.
struct Reloadable {
    /// The `env_logger` that formats and filters, replaced whole on a new
    /// filter, and the filter's text.
    inner: RwLock<(env_logger::Logger, String)>,
    /// `JOURNAL_STREAM` names stderr.
    journal: bool,
    /// `RUST_LOG` or `-v` chose the filter: [`set_filter`] leaves it.
    pinned: bool,
}

static LOGGER: OnceLock<Reloadable> = OnceLock::new();

impl log::Log for Reloadable {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        read(&self.inner).0.enabled(metadata)
    }

    fn log(&self, record: &log::Record<'_>) {
        read(&self.inner).0.log(record);
    }

    fn flush(&self) {
        read(&self.inner).0.flush();
    }
}

type Inner = (env_logger::Logger, String);

fn read(lock: &RwLock<Inner>) -> std::sync::RwLockReadGuard<'_, Inner> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Installs the logger (see the module docs for which filter it starts
/// with). A second call, or a logger installed by someone else, leaves the
/// first in place.
pub fn init(verbose: u8) {
    let from_env = std::env::var("RUST_LOG").ok().filter(|s| !s.is_empty());
    let pinned = from_env.is_some() || verbose > 0;
    let spec = from_env.unwrap_or_else(|| {
        match verbose {
            0 => DEFAULT_FILTER,
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
        .to_owned()
    });
    let journal = crate::daemon::notify::stderr_is_journal();
    let logger = build(&spec, journal);
    let max = logger.filter();
    let installed = LOGGER.get_or_init(|| Reloadable {
        inner: RwLock::new((logger, spec)),
        journal,
        pinned,
    });
    if log::set_logger(installed).is_ok() {
        log::set_max_level(max);
    }
}

/// What [`set_filter`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterChange {
    /// The new filter is in force.
    Applied {
        /// The filter before.
        from: String,
        /// The filter now.
        to: String,
    },
    /// The filter was already this one.
    Unchanged,
    /// `RUST_LOG` or `-v` chose the filter for this run; it stays.
    Pinned,
    /// No logger of this module is installed (a library user's own, or
    /// none).
    NotInstalled,
}

/// Replaces the filter (`RUST_LOG` syntax) unless `RUST_LOG` or `-v`
/// chose it. Check the text first with
/// [`valid_filter`]: directives `env_logger` cannot read are dropped.
pub fn set_filter(to: &str) -> FilterChange {
    let Some(installed) = LOGGER.get() else {
        return FilterChange::NotInstalled;
    };
    if installed.pinned {
        return FilterChange::Pinned;
    }
    let mut inner = installed
        .inner
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if inner.1 == to {
        return FilterChange::Unchanged;
    }
    let logger = build(to, installed.journal);
    log::set_max_level(logger.filter());
    let from = std::mem::replace(&mut *inner, (logger, to.to_owned())).1;
    FilterChange::Applied {
        from,
        to: to.to_owned(),
    }
}

/// Whether `spec` is a filter in `RUST_LOG` syntax: comma-separated
/// directives, each `LEVEL`, `TARGET` or `TARGET=LEVEL`, a level being
/// `off`, `error`, `warn`, `info`, `debug` or `trace` (any case), a target
/// a Rust module path. (`env_logger`'s `/regex` suffix is not accepted.)
pub fn valid_filter(spec: &str) -> bool {
    let level = |s: &str| {
        ["off", "error", "warn", "info", "debug", "trace"]
            .iter()
            .any(|l| l.eq_ignore_ascii_case(s))
    };
    let target = |s: &str| {
        !s.is_empty()
            && s.split("::").all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    !spec.trim().is_empty()
        && spec.split(',').all(|d| {
            let d = d.trim();
            match d.split_once('=') {
                Some((t, l)) => target(t.trim()) && level(l.trim()),
                None => level(d) || target(d),
            }
        })
}

fn build(spec: &str, journal: bool) -> env_logger::Logger {
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(spec);
    if journal {
        builder.format(|buf, record| {
            use std::io::Write as _;
            let priority = match record.level() {
                log::Level::Error => 3,
                log::Level::Warn => 4,
                log::Level::Info => 6,
                log::Level::Debug | log::Level::Trace => 7,
            };
            if record.target() == "smppd" {
                writeln!(buf, "<{priority}>{}", record.args())
            } else {
                writeln!(buf, "<{priority}>{}: {}", record.target(), record.args())
            }
        });
    }
    builder.build()
}

#[cfg(test)]
mod tests {
    use super::valid_filter;

    #[test]
    fn filters_in_rust_log_syntax() {
        for good in [
            "info",
            "DEBUG",
            "warn,smppd=info",
            "smpp::runtime=trace, smppd=debug",
            "smpp",
            "off",
        ] {
            assert!(valid_filter(good), "{good}");
        }
        for bad in ["", " ", "smppd=loud", "a b", "smpp::=info", "info,"] {
            assert!(!valid_filter(bad), "{bad:?}");
        }
    }
}
