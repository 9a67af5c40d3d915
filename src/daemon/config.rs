//! The daemon's configuration file, `/etc/smppd/smppd.toml` by default.
//!
//! The file is TOML (the whole language: comments, inline tables such as
//! `smsc = { host = "10.0.0.1", system_id = "acme", password = "pw" }`,
//! dotted keys such as `smsc.port = 2776`, multi-line and literal strings),
//! read with the `toml` and `serde` crates. An unknown key or table is an
//! error, as is a value of the wrong type; both name the key, the line and
//! the column. TOML syntax errors, unknown keys and values of the wrong
//! type stop the reading at the first one; every other problem (a value
//! out of range, a missing key, two keys that exclude each other, an
//! unreadable `password_file`) is checked and all of them are reported
//! together ([`ConfigError::problems`]).
//!
//! ```toml
//! spool = "/var/spool/smppd"
//!
//! [smsc]
//! host = "smsc.example.net"
//! system_id = "acme"
//! password_file = "/etc/smppd/acme.password"
//! ```
//!
//! # Keys
//!
//! Top level:
//!
//! | Key | Default | Meaning |
//! |---|---|---|
//! | `spool` | `/var/spool/smppd` | the spool root |
//! | `instance` | host name, plus `-` and the config file's stem when read with [`Config::from_file`] | this daemon's owner id in the spool ([`crate::daemon::spool::Spool::with_owner`]); must stay the same across restarts and differ between daemons sharing a spool |
//! | `metrics_file` | none | write Prometheus textfile metrics here |
//! | `log_level` | `warn,smppd=info` | the log filter in `RUST_LOG` syntax (`info`, `debug`, `warn,smppd=info,smpp::runtime=debug`); `RUST_LOG` and `-v` override it; SIGHUP applies a change |
//! | `split` | `udh` | how long messages are sent: `udh`, `udh16`, `sar`, or `payload` (whole, in `message_payload`) |
//! | `latin1` | `false` | let text be sent as Latin-1 (`data_coding` 3) when GSM 7-bit does not hold it |
//! | `max_parts` | `10` | longest message in parts, 1 to 255; longer files fail |
//! | `scan_interval_ms` | `1000` | how often `outgoing/` is scanned (a rescan opens only files not seen complete before) and the files of dead instances sharing the spool are looked for, 10 to 60000 |
//! | `settle_ms` | `500` | how long a file first seen by a scan (not announced by a close-write or rename event) must stay unchanged before it is claimed, 0 to 60000 |
//! | `empty_grace_secs` | `60` | how long an empty file may wait for its writer before it goes to `failed/`, 1 to 86400 |
//! | `receipt_days` | `3` | how many days message ids are remembered to match receipts, 1 to 90 |
//! | `sync` | `filesystem` | how spool files are made durable: `filesystem` (one `syncfs` per batch: fastest; also flushes what other programs wrote to that filesystem) or `files` (an `fdatasync` per file, an `fsync` per directory; [`crate::daemon::spool::SyncMode`]) |
//!
//! `[smsc]` (required):
//!
//! | Key | Default | Meaning |
//! |---|---|---|
//! | `host` | required, unless `[outbind]` is set | SMSC host name or address; left out, no link is dialled and only the SMSC's outbinds are taken |
//! | `port` | `2775` | SMSC port |
//! | `system_id` | required | account, at most 15 characters |
//! | `password` | required, or `password_file` | at most 8 characters |
//! | `password_file` | | file holding the password; one trailing line break is dropped; not both |
//! | `system_type` | `""` | at most 12 characters |
//! | `bind` | `transceiver` | `transmitter`, `receiver` or `transceiver` |
//! | `sessions` | `1` | parallel binds, 1 to 64 |
//! | `window` | `64` | submits awaiting a response per bind, 1 to 10000 |
//! | `throughput` | `0` | messages per second over all binds, 0 = unlimited |
//! | `enquire_link_secs` | `30` | idle time before `enquire_link`, 0 = never |
//! | `response_timeout_secs` | `30` | how long to wait for a response, 1 to 3600 |
//! | `reconnect_min_ms` | `500` | first reconnect delay, 10 to 3600000 |
//! | `reconnect_max_ms` | `30000` | longest reconnect delay, at least `reconnect_min_ms` |
//! | `source_addr` | none | sender when a file has no `From:` (digits with optional `+`, or up to 11 letters and digits) |
//! | `retries` | `5` | how many times a transient failure is retried, 0 to 1000 |
//! | `tls` | `false` | speak SMPP over TLS (SMSCs usually serve it on port 3550) |
//! | `tls_ca_file` | the system's roots | PEM file of the CA certificates to trust |
//! | `tls_server_name` | `host` | the name the SMSC's certificate must carry |
//! | `tls_cert_file` | none | client certificate (PEM), for SMSCs that require one; with `[outbind]`, also the certificate its listener serves |
//! | `tls_key_file` | none | the client certificate's private key (PEM) |
//!
//! The `tls_*` keys need `tls = true`; their files are read when the
//! configuration is, so that an unreadable file, a file that holds no
//! certificate, or a key that does not match its certificate is an error
//! here, naming the key.
//!
//! `[outbind]` (optional): `listen` (required in the table), the address to
//! accept an SMSC's outbind on, such as `"0.0.0.0:2776"`. With `tls = true`
//! the listener serves TLS with `tls_cert_file` and `tls_key_file` (then
//! required): the SMSC connects, so it is the TLS client.
//!
//! Relative paths are taken as they are, relative to the working directory.
//!
//! This table is the reference: `systemd/smppd.toml.example` shows every
//! key with its default, and the tests check that the two and the parser
//! agree.

use crate::daemon::spool::{default_owner, message::is_valid_sender, valid_owner, SyncMode};
use crate::text::SplitMethod;
use serde::Deserialize;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

/// The default configuration file.
pub const DEFAULT_PATH: &str = "/etc/smppd/smppd.toml";

/// The daemon's configuration; see the [module docs](self) for every key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `spool`.
    pub spool: PathBuf,
    /// `instance`: the owner id in the spool.
    pub instance: String,
    /// `metrics_file`.
    pub metrics_file: Option<PathBuf>,
    /// `log_level`: the log filter.
    pub log_level: String,
    /// `split`.
    pub split: SplitMethod,
    /// `latin1`.
    pub latin1: bool,
    /// `max_parts`.
    pub max_parts: usize,
    /// `scan_interval_ms`.
    pub scan_interval: Duration,
    /// `settle_ms`.
    pub settle: Duration,
    /// `empty_grace_secs`.
    pub empty_grace: Duration,
    /// `receipt_days`.
    pub receipt_days: u32,
    /// `sync`.
    pub sync: SyncMode,
    /// `[smsc]`.
    pub smsc: SmscConfig,
    /// `[outbind]`.
    pub outbind: Option<OutbindConfig>,
}

/// How the daemon binds: the session's [`crate::session::BindMode`]; the
/// config values are its `Display` forms (`transmitter`, `receiver`,
/// `transceiver`).
pub use crate::session::BindMode;

/// The `[smsc]` table. `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmscConfig {
    /// `host`.
    pub host: String,
    /// `port`.
    pub port: u16,
    /// `system_id`.
    pub system_id: String,
    /// `password`, or the contents of `password_file`.
    pub password: String,
    /// `system_type`.
    pub system_type: String,
    /// `bind`.
    pub bind: BindMode,
    /// `sessions`.
    pub sessions: u32,
    /// `window`.
    pub window: u32,
    /// `throughput`: messages per second, 0 = unlimited.
    pub throughput: u32,
    /// `enquire_link_secs`; `None` for 0 (never).
    pub enquire_link: Option<Duration>,
    /// `response_timeout_secs`.
    pub response_timeout: Duration,
    /// `reconnect_min_ms`.
    pub reconnect_min: Duration,
    /// `reconnect_max_ms`.
    pub reconnect_max: Duration,
    /// `source_addr`.
    pub source_addr: Option<String>,
    /// `retries`.
    pub retries: u32,
    /// `tls`.
    pub tls: bool,
    /// `tls_ca_file`; `None`: the system's roots.
    pub tls_ca_file: Option<PathBuf>,
    /// `tls_server_name`; `None`: `host`.
    pub tls_server_name: Option<String>,
    /// `tls_cert_file`: a client certificate.
    pub tls_cert_file: Option<PathBuf>,
    /// `tls_key_file`: the client certificate's key.
    pub tls_key_file: Option<PathBuf>,
}

impl fmt::Debug for SmscConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmscConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("system_id", &self.system_id)
            .field("password", &"<hidden>")
            .field("system_type", &self.system_type)
            .field("bind", &self.bind)
            .field("sessions", &self.sessions)
            .field("window", &self.window)
            .field("throughput", &self.throughput)
            .field("enquire_link", &self.enquire_link)
            .field("response_timeout", &self.response_timeout)
            .field("reconnect_min", &self.reconnect_min)
            .field("reconnect_max", &self.reconnect_max)
            .field("source_addr", &self.source_addr)
            .field("retries", &self.retries)
            .field("tls", &self.tls)
            .field("tls_ca_file", &self.tls_ca_file)
            .field("tls_server_name", &self.tls_server_name)
            .field("tls_cert_file", &self.tls_cert_file)
            .field("tls_key_file", &self.tls_key_file)
            .finish()
    }
}

/// The `[outbind]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutbindConfig {
    /// `listen`.
    pub listen: SocketAddr,
}

/// One thing wrong in a configuration: where it is and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The line, from 1, when the problem is at a place in the text.
    pub line: Option<usize>,
    /// The column, from 1 (in characters), with `line`.
    pub column: Option<usize>,
    /// What is wrong, naming the key (`smsc.port must be ...`).
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line}, column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// What is wrong with a configuration. `Display` names the line, the column
/// and the key; an [`Invalid`](ConfigError::Invalid) configuration shows
/// every problem, one per line.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The text is not TOML, or has a key this version does not know, or a
    /// value of the wrong type: reading stopped there.
    Parse(Problem),
    /// The text is TOML of the right shape, but values are wrong or
    /// missing: every one of them.
    Invalid(Vec<Problem>),
}

impl ConfigError {
    /// Every problem found (empty for [`Read`](ConfigError::Read)).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Parse(p) => std::slice::from_ref(p),
            ConfigError::Invalid(ps) => ps,
        }
    }

    /// The line of the first problem, if it is on one.
    pub fn line(&self) -> Option<usize> {
        self.problems().first().and_then(|p| p.line)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            ConfigError::Parse(p) => p.fmt(f),
            ConfigError::Invalid(ps) => {
                for (i, p) in ps.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    p.fmt(f)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The file as written: every key optional, each with the place it was
/// given at, so that a wrong value can be pointed at.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    spool: Option<Spanned<String>>,
    instance: Option<Spanned<String>>,
    metrics_file: Option<Spanned<String>>,
    log_level: Option<Spanned<String>>,
    split: Option<Spanned<String>>,
    latin1: Option<Spanned<bool>>,
    max_parts: Option<Spanned<i64>>,
    scan_interval_ms: Option<Spanned<i64>>,
    settle_ms: Option<Spanned<i64>>,
    empty_grace_secs: Option<Spanned<i64>>,
    receipt_days: Option<Spanned<i64>>,
    sync: Option<Spanned<String>>,
    smsc: Option<Spanned<RawSmsc>>,
    outbind: Option<Spanned<RawOutbind>>,
}

/// The `[smsc]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmsc {
    host: Option<Spanned<String>>,
    port: Option<Spanned<i64>>,
    system_id: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    system_type: Option<Spanned<String>>,
    bind: Option<Spanned<String>>,
    sessions: Option<Spanned<i64>>,
    window: Option<Spanned<i64>>,
    throughput: Option<Spanned<i64>>,
    enquire_link_secs: Option<Spanned<i64>>,
    response_timeout_secs: Option<Spanned<i64>>,
    reconnect_min_ms: Option<Spanned<i64>>,
    reconnect_max_ms: Option<Spanned<i64>>,
    source_addr: Option<Spanned<String>>,
    retries: Option<Spanned<i64>>,
    tls: Option<Spanned<bool>>,
    tls_ca_file: Option<Spanned<String>>,
    tls_server_name: Option<Spanned<String>>,
    tls_cert_file: Option<Spanned<String>>,
    tls_key_file: Option<Spanned<String>>,
}

/// The `[outbind]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutbind {
    listen: Option<Spanned<String>>,
}

/// Line and column (from 1, the column in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// The key (with its `[table]`, if any) written at or before `offset` on
/// its line, for messages from the TOML reader that point at a value or a
/// key without naming it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = text.get(start..end)?;
    let at = offset - start;
    // The `=` after the key: the last one before the offset (the offset
    // is in a value), or else the first one after it (it is on the key).
    let eq = line
        .get(..at)
        .and_then(|l| l.rfind('='))
        .or_else(|| line.get(at..).and_then(|l| l.find('=')).map(|i| at + i))?;
    let key_start = line[..eq].rfind(['{', ',']).map_or(0, |i| i + 1);
    let key = line[key_start..eq].trim().replace(['"', '\''], "");
    if key.is_empty() || key.starts_with('#') || key.starts_with('[') {
        return None;
    }
    // The table: the last `[header]` line above.
    let table = text[..start].lines().rev().find_map(|l| {
        let l = l.trim();
        let name = l.strip_prefix('[')?.split(']').next()?;
        (!l.starts_with("[[")).then(|| name.trim().replace(['"', '\''], ""))
    });
    Some(match table {
        Some(t) => format!("{t}.{key}"),
        None => key,
    })
}

/// Collects the problems of one document, with positions from its text.
struct Checker<'a> {
    text: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn at(&mut self, span: Range<usize>, message: String) {
        let (line, column) = line_column(self.text, span.start);
        self.problems.push(Problem {
            line: Some(line),
            column: Some(column),
            message,
        });
    }

    fn missing(&mut self, key: &str, what: &str) {
        self.problems.push(Problem {
            line: None,
            column: None,
            message: format!("missing {key} ({what})"),
        });
    }

    /// `key must be EXPECTED, not GOT` at the value.
    fn bad<T>(&mut self, v: &Spanned<T>, key: &str, expected: &str, got: String) {
        self.at(v.span(), format!("{key} must be {expected}, not {got}"));
    }

    /// An integer in `min..=max`.
    fn int(&mut self, v: &Option<Spanned<i64>>, key: &str, min: i64, max: i64) -> Option<i64> {
        let v = v.as_ref()?;
        let i = *v.get_ref();
        if (min..=max).contains(&i) {
            Some(i)
        } else {
            self.bad(
                v,
                key,
                &format!("an integer from {min} to {max}"),
                i.to_string(),
            );
            None
        }
    }

    /// A string of at most `max` characters, without NUL.
    fn short_string(
        &mut self,
        v: &Option<Spanned<String>>,
        key: &str,
        min: usize,
        max: usize,
    ) -> Option<String> {
        let v = v.as_ref()?;
        let s = v.get_ref();
        if (min..=max).contains(&s.len()) && !s.contains('\0') {
            Some(s.clone())
        } else {
            let expected = if min == 0 {
                format!("a string of at most {max} characters")
            } else {
                format!("a string of {min} to {max} characters")
            };
            self.bad(v, key, &expected, format!("{s:?}"));
            None
        }
    }

    fn path(&mut self, v: &Option<Spanned<String>>, key: &str) -> Option<PathBuf> {
        let v = v.as_ref()?;
        if v.get_ref().is_empty() {
            self.bad(v, key, "a non-empty path", "\"\"".to_owned());
            None
        } else {
            Some(PathBuf::from(v.get_ref()))
        }
    }

    fn choice<T: Copy>(
        &mut self,
        v: &Option<Spanned<String>>,
        key: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let v = v.as_ref()?;
        let found = choices.iter().find(|(n, _)| n == v.get_ref());
        if found.is_none() {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            let expected = format!("one of \"{}\"", names.join("\", \""));
            self.bad(v, key, &expected, format!("{:?}", v.get_ref()));
        }
        found.map(|&(_, t)| t)
    }

    /// A string that `valid` accepts.
    fn checked(
        &mut self,
        v: &Option<Spanned<String>>,
        key: &str,
        valid: impl Fn(&str) -> bool,
        expected: &str,
    ) -> Option<String> {
        let v = v.as_ref()?;
        if valid(v.get_ref()) {
            Some(v.get_ref().clone())
        } else {
            self.bad(v, key, expected, format!("{:?}", v.get_ref()));
            None
        }
    }
}

fn read_password_file(path: &Path) -> io::Result<String> {
    let data = std::fs::read(path)?;
    let mut s = String::from_utf8(data)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))?;
    if s.ends_with('\n') {
        s.pop();
        if s.ends_with('\r') {
            s.pop();
        }
    }
    Ok(s)
}

impl Config {
    /// Reads and checks a configuration file. The default `instance` is the
    /// host name, a `-`, and the file's stem (`host1-smppd` for
    /// `/etc/smppd/smppd.toml`), so that template instances on one host
    /// differ.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Config, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let stem: String = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut instance = default_owner();
        if !stem.is_empty() {
            instance = format!("{instance}-{stem}");
        }
        instance.truncate(64);
        Self::parse_with_instance(&text, instance)
    }

    /// Parses and checks configuration text. The default `instance` is the
    /// host name. A `password_file` is read.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        Self::parse_with_instance(text, default_owner())
    }

    fn parse_with_instance(text: &str, default_instance: String) -> Result<Config, ConfigError> {
        // A byte order mark is allowed (some editors write one).
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let (line, column) = match e.span() {
                Some(span) => {
                    let (l, c) = line_column(text, span.start);
                    (Some(l), Some(c))
                }
                None => (None, None),
            };
            let mut message = e
                .message()
                .trim_end()
                .replace("unknown field", "unknown key")
                .replace("expected i64", "expected an integer");
            if let Some(span) = e.span() {
                match key_at(text, span.start) {
                    // Name the key with its table.
                    Some(key) if message.starts_with("unknown key") => {
                        if let Some((_, rest)) = message.split_once(", ") {
                            message = format!("unknown key `{key}`, {rest}");
                        }
                    }
                    Some(key) => message = format!("{key}: {message}"),
                    // A table header: name it.
                    None if message == "duplicate key" => {
                        let name = text.get(span).unwrap_or_default();
                        message = format!("duplicate table `{name}`");
                    }
                    _ => {}
                }
            }
            ConfigError::Parse(Problem {
                line,
                column,
                message,
            })
        })?;
        let mut c = Config {
            spool: PathBuf::from("/var/spool/smppd"),
            instance: default_instance,
            metrics_file: None,
            log_level: crate::daemon::logging::DEFAULT_FILTER.to_owned(),
            split: SplitMethod::Udh8,
            latin1: false,
            max_parts: 10,
            scan_interval: Duration::from_millis(1000),
            settle: Duration::from_millis(500),
            empty_grace: Duration::from_secs(60),
            receipt_days: 3,
            sync: SyncMode::Filesystem,
            smsc: SmscConfig {
                host: String::new(),
                port: 2775,
                system_id: String::new(),
                password: String::new(),
                system_type: String::new(),
                bind: BindMode::Transceiver,
                sessions: 1,
                window: 64,
                throughput: 0,
                enquire_link: Some(Duration::from_secs(30)),
                response_timeout: Duration::from_secs(30),
                reconnect_min: Duration::from_millis(500),
                reconnect_max: Duration::from_millis(30_000),
                source_addr: None,
                retries: 5,
                tls: false,
                tls_ca_file: None,
                tls_server_name: None,
                tls_cert_file: None,
                tls_key_file: None,
            },
            outbind: None,
        };
        let mut ck = Checker {
            text,
            problems: Vec::new(),
        };
        if let Some(p) = ck.path(&raw.spool, "spool") {
            c.spool = p;
        }
        if let Some(s) = ck.checked(
            &raw.instance,
            "instance",
            valid_owner,
            "1 to 64 ASCII letters, digits, '.', '_' or '-', not starting with '.'",
        ) {
            c.instance = s;
        }
        c.metrics_file = ck.path(&raw.metrics_file, "metrics_file");
        if let Some(s) = ck.checked(
            &raw.log_level,
            "log_level",
            crate::daemon::logging::valid_filter,
            "a log filter: comma-separated LEVEL, TARGET or TARGET=LEVEL, a level being off, error, warn, info, debug or trace",
        ) {
            c.log_level = s;
        }
        if let Some(split) = ck.choice(
            &raw.split,
            "split",
            &[
                ("udh", SplitMethod::Udh8),
                ("udh16", SplitMethod::Udh16),
                ("sar", SplitMethod::Sar),
                ("payload", SplitMethod::Payload),
            ],
        ) {
            c.split = split;
        }
        if let Some(b) = &raw.latin1 {
            c.latin1 = *b.get_ref();
        }
        // The range checks make the conversions below exact.
        if let Some(n) = ck.int(&raw.max_parts, "max_parts", 1, 255) {
            c.max_parts = n as usize;
        }
        if let Some(n) = ck.int(&raw.scan_interval_ms, "scan_interval_ms", 10, 60_000) {
            c.scan_interval = Duration::from_millis(n as u64);
        }
        if let Some(n) = ck.int(&raw.settle_ms, "settle_ms", 0, 60_000) {
            c.settle = Duration::from_millis(n as u64);
        }
        if let Some(n) = ck.int(&raw.empty_grace_secs, "empty_grace_secs", 1, 86_400) {
            c.empty_grace = Duration::from_secs(n as u64);
        }
        if let Some(n) = ck.int(&raw.receipt_days, "receipt_days", 1, 90) {
            c.receipt_days = n as u32;
        }
        if let Some(sync) = ck.choice(
            &raw.sync,
            "sync",
            &[
                ("filesystem", SyncMode::Filesystem),
                ("files", SyncMode::Files),
            ],
        ) {
            c.sync = sync;
        }
        match &raw.smsc {
            Some(smsc) => {
                let outbind = raw
                    .outbind
                    .as_ref()
                    .is_some_and(|o| o.get_ref().listen.is_some());
                check_smsc(&mut ck, smsc.get_ref(), &mut c.smsc, outbind)
            }
            None => ck.missing(
                "[smsc]",
                "the table saying which SMSC to bind to: host, system_id, password",
            ),
        }
        if let Some(outbind) = &raw.outbind {
            match &outbind.get_ref().listen {
                Some(listen) => match listen.get_ref().parse::<SocketAddr>() {
                    Ok(listen) => c.outbind = Some(OutbindConfig { listen }),
                    Err(_) => ck.bad(
                        listen,
                        "outbind.listen",
                        "an IP address and port, such as \"0.0.0.0:2776\"",
                        format!("{:?}", listen.get_ref()),
                    ),
                },
                None => ck.at(
                    outbind.span(),
                    "missing outbind.listen (the address to accept outbinds on; remove [outbind] to not accept them)"
                        .to_owned(),
                ),
            }
        }
        if let Some(smsc) = &raw.smsc {
            if ck.problems.is_empty() {
                check_tls(&mut ck, smsc.get_ref(), &c);
            }
        }
        if ck.problems.is_empty() {
            Ok(c)
        } else {
            // In file order; those without a place (missing keys) last.
            ck.problems
                .sort_by_key(|p| (p.line.is_none(), p.line, p.column));
            Err(ConfigError::Invalid(ck.problems))
        }
    }
}

impl Config {
    /// The TLS client settings for the `[smsc]` link, when `tls = true`.
    #[cfg(feature = "tls")]
    pub fn tls_client(&self) -> Result<Option<crate::tls::TlsConnector>, crate::tls::TlsError> {
        let smsc = &self.smsc;
        if !smsc.tls {
            return Ok(None);
        }
        let connector = crate::tls::TlsClientOptions {
            ca_file: smsc.tls_ca_file.clone(),
            insecure: false,
            server_name: smsc.tls_server_name.clone(),
            cert_file: smsc.tls_cert_file.clone(),
            key_file: smsc.tls_key_file.clone(),
        }
        .connector()?;
        // A host that is no valid TLS name is found now, not at each dial.
        connector.name_for(&format!("{}:{}", smsc.host, smsc.port))?;
        Ok(Some(connector))
    }

    /// The TLS server settings for the `[outbind]` listener, when `tls = true`:
    /// the SMSC dials, so this side serves `tls_cert_file`.
    #[cfg(feature = "tls")]
    pub fn tls_outbind(&self) -> Result<Option<crate::tls::TlsAcceptor>, crate::tls::TlsError> {
        let smsc = &self.smsc;
        match (
            &self.outbind,
            smsc.tls,
            &smsc.tls_cert_file,
            &smsc.tls_key_file,
        ) {
            (Some(_), true, Some(cert), Some(key)) => crate::tls::TlsServerOptions::new(cert, key)
                .acceptor()
                .map(Some),
            _ => Ok(None),
        }
    }

    /// Checks that the user running this can write every place the daemon
    /// writes: the spool root and its folders (or, where they do not exist
    /// yet, the folder they will be created in) and the directory of
    /// `metrics_file`. One sentence per problem; empty when all is well.
    pub fn check_writable(&self) -> Vec<String> {
        let mut problems = Vec::new();
        // The daemon creates the spool and its folders when missing, but
        // not the metrics file's directory.
        let mut dirs = Vec::new();
        match writable_dir(&self.spool, true) {
            Ok(()) => {
                for dir in crate::daemon::spool::SpoolDir::ALL {
                    dirs.push(("spool folder", self.spool.join(dir.name()), true));
                }
            }
            Err(e) => problems.push(format!("spool {}: {e}", self.spool.display())),
        }
        if let Some(metrics) = &self.metrics_file {
            let parent = match metrics.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                _ => PathBuf::from("."),
            };
            dirs.push(("metrics_file's directory", parent, false));
        }
        for (what, dir, created) in dirs {
            if let Err(e) = writable_dir(&dir, created) {
                problems.push(format!("{what} {}: {e}", dir.display()));
            }
        }
        problems
    }
}

/// `dir` is a directory this user may create files in, or (`created`: the
/// daemon creates it) does not exist and its nearest existing ancestor is
/// one.
fn writable_dir(dir: &Path, created: bool) -> Result<(), String> {
    use rustix::fs::{access, Access};
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err("not a directory".to_owned()),
        Ok(_) => access(dir, Access::WRITE_OK | Access::EXEC_OK)
            .map_err(|e| format!("not writable by this user ({})", io::Error::from(e))),
        Err(e) if e.kind() == io::ErrorKind::NotFound && !created => {
            Err("does not exist".to_owned())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut ancestor = dir.parent();
            while let Some(a) = ancestor {
                let a = if a.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    a
                };
                if a.exists() {
                    return writable_dir(a, false).map_err(|e| {
                        format!(
                            "does not exist, and cannot be created in {}: {e}",
                            a.display()
                        )
                    });
                }
                ancestor = a.parent();
            }
            Err("does not exist".to_owned())
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Checks the `[smsc]` table into `s`, adding every problem to `ck`.
/// `outbind`: an `[outbind]` table with a `listen` is there, so `host` may be left out
/// (an SMSC that only outbinds; `host` stays empty).
fn check_smsc(ck: &mut Checker<'_>, raw: &RawSmsc, s: &mut SmscConfig, outbind: bool) {
    match ck.checked(
        &raw.host,
        "smsc.host",
        |h| !h.is_empty() && !h.contains(char::is_whitespace),
        "a host name or IP address",
    ) {
        Some(host) => s.host = host,
        None if raw.host.is_none() && !outbind => ck.missing(
            "smsc.host",
            "the SMSC's host name or IP address, in the [smsc] table",
        ),
        None => {}
    }
    if let Some(n) = ck.int(&raw.port, "smsc.port", 1, 65_535) {
        s.port = n as u16;
    }
    match ck.short_string(&raw.system_id, "smsc.system_id", 1, 15) {
        Some(id) => s.system_id = id,
        None if raw.system_id.is_none() => ck.missing(
            "smsc.system_id",
            "the account to bind as, in the [smsc] table",
        ),
        None => {}
    }
    match (&raw.password, &raw.password_file) {
        (Some(_), Some(file)) => ck.at(
            file.span(),
            "smsc.password_file: smsc.password is given too; give only one of them".to_owned(),
        ),
        (None, None) => ck.missing(
            "smsc.password",
            "the account's password, or smsc.password_file naming a file that holds it",
        ),
        (Some(pw), None) => check_password(ck, pw, "smsc.password", pw.get_ref().clone(), s),
        (None, Some(file)) => {
            if let Some(path) = ck.path(&raw.password_file, "smsc.password_file") {
                match read_password_file(&path) {
                    Ok(pw) => check_password(ck, file, "smsc.password_file", pw, s),
                    Err(e) => ck.at(
                        file.span(),
                        format!("smsc.password_file: cannot read {}: {e}", path.display()),
                    ),
                }
            }
        }
    }
    if let Some(t) = ck.short_string(&raw.system_type, "smsc.system_type", 0, 12) {
        s.system_type = t;
    }
    if let Some(bind) = ck.choice(
        &raw.bind,
        "smsc.bind",
        &[
            ("transmitter", BindMode::Transmitter),
            ("receiver", BindMode::Receiver),
            ("transceiver", BindMode::Transceiver),
        ],
    ) {
        s.bind = bind;
    }
    if let Some(n) = ck.int(&raw.sessions, "smsc.sessions", 1, 64) {
        s.sessions = n as u32;
    }
    if let Some(n) = ck.int(&raw.window, "smsc.window", 1, 10_000) {
        s.window = n as u32;
    }
    if let Some(n) = ck.int(&raw.throughput, "smsc.throughput", 0, 1_000_000) {
        s.throughput = n as u32;
    }
    if let Some(n) = ck.int(&raw.enquire_link_secs, "smsc.enquire_link_secs", 0, 86_400) {
        s.enquire_link = (n > 0).then(|| Duration::from_secs(n as u64));
    }
    if let Some(n) = ck.int(
        &raw.response_timeout_secs,
        "smsc.response_timeout_secs",
        1,
        3600,
    ) {
        s.response_timeout = Duration::from_secs(n as u64);
    }
    let min = ck.int(
        &raw.reconnect_min_ms,
        "smsc.reconnect_min_ms",
        10,
        3_600_000,
    );
    if let Some(n) = min {
        s.reconnect_min = Duration::from_millis(n as u64);
    }
    let max = ck.int(
        &raw.reconnect_max_ms,
        "smsc.reconnect_max_ms",
        10,
        3_600_000,
    );
    if let Some(n) = max {
        s.reconnect_max = Duration::from_millis(n as u64);
    }
    if s.reconnect_max < s.reconnect_min {
        // Point at whichever of the two was written (the maximum if both).
        let at = raw
            .reconnect_max_ms
            .as_ref()
            .or(raw.reconnect_min_ms.as_ref());
        if let Some(at) = at {
            ck.bad(
                at,
                "smsc.reconnect_max_ms",
                &format!(
                    "at least smsc.reconnect_min_ms ({})",
                    s.reconnect_min.as_millis()
                ),
                s.reconnect_max.as_millis().to_string(),
            );
        }
    }
    s.source_addr = ck.checked(
        &raw.source_addr,
        "smsc.source_addr",
        is_valid_sender,
        "a phone number (digits, optional leading +) or 1 to 11 ASCII letters and digits",
    );
    if let Some(n) = ck.int(&raw.retries, "smsc.retries", 0, 1000) {
        s.retries = n as u32;
    }
    if let Some(b) = &raw.tls {
        s.tls = *b.get_ref();
    }
    s.tls_ca_file = ck.path(&raw.tls_ca_file, "smsc.tls_ca_file");
    s.tls_server_name = ck.checked(
        &raw.tls_server_name,
        "smsc.tls_server_name",
        |h| !h.is_empty() && !h.contains(char::is_whitespace),
        "a host name or IP address",
    );
    s.tls_cert_file = ck.path(&raw.tls_cert_file, "smsc.tls_cert_file");
    s.tls_key_file = ck.path(&raw.tls_key_file, "smsc.tls_key_file");
}

/// The `tls_*` keys: they need `tls = true`, and their files must make a
/// working TLS setting (read now, so that a bad file stops the start).
/// Checked once the rest is valid.
fn check_tls(ck: &mut Checker<'_>, raw: &RawSmsc, c: &Config) {
    let s = &c.smsc;
    let files = [
        ("tls_ca_file", &raw.tls_ca_file),
        ("tls_server_name", &raw.tls_server_name),
        ("tls_cert_file", &raw.tls_cert_file),
        ("tls_key_file", &raw.tls_key_file),
    ];
    if !s.tls {
        for (key, v) in files {
            if let Some(v) = v {
                ck.at(
                    v.span(),
                    format!("smsc.{key} has no effect without smsc.tls = true"),
                );
            }
        }
        return;
    }
    if c.outbind.is_some() && (s.tls_cert_file.is_none() || s.tls_key_file.is_none()) {
        ck.missing(
            "smsc.tls_cert_file",
            "with tls = true the [outbind] listener serves TLS: give smsc.tls_cert_file and smsc.tls_key_file",
        );
        return;
    }
    #[cfg(feature = "tls")]
    {
        use crate::tls::TlsError;
        let key_of = |e: &TlsError| -> &'static str {
            match e {
                TlsError::Pem { path, .. } if s.tls_ca_file.as_ref() == Some(path) => "tls_ca_file",
                TlsError::Pem { path, .. } if s.tls_cert_file.as_ref() == Some(path) => {
                    "tls_cert_file"
                }
                TlsError::NoRoots(_) => "tls",
                TlsError::ServerName(_) if s.tls_server_name.is_some() => "tls_server_name",
                TlsError::ServerName(_) => "tls",
                _ => "tls_key_file",
            }
        };
        let result = c.tls_client().and_then(|_| c.tls_outbind());
        if let Err(e) = result {
            let key = key_of(&e);
            let message = format!("smsc.{key}: {e}");
            let span = match key {
                "tls_ca_file" => raw.tls_ca_file.as_ref().map(Spanned::span),
                "tls_server_name" => raw.tls_server_name.as_ref().map(Spanned::span),
                "tls_cert_file" => raw.tls_cert_file.as_ref().map(Spanned::span),
                "tls_key_file" => raw.tls_key_file.as_ref().map(Spanned::span),
                _ => raw.tls.as_ref().map(Spanned::span),
            };
            match span {
                Some(span) => ck.at(span, message),
                None => ck.problems.push(Problem {
                    line: None,
                    column: None,
                    message,
                }),
            }
        }
    }
    #[cfg(not(feature = "tls"))]
    if let Some(v) = &raw.tls {
        ck.at(
            v.span(),
            "smsc.tls: this smppd is built without TLS (cargo feature `tls`)".to_owned(),
        );
    }
}

/// At most 8 characters (SMPP 3.4), without NUL.
fn check_password<T>(
    ck: &mut Checker<'_>,
    at: &Spanned<T>,
    key: &str,
    password: String,
    s: &mut SmscConfig,
) {
    if password.len() > 8 || password.contains('\0') {
        ck.bad(
            at,
            key,
            "a password of at most 8 characters (SMPP 3.4)",
            format!("{} characters", password.chars().count()),
        );
    } else {
        s.password = password;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "[smsc]\nhost = \"smsc.example\"\nsystem_id = \"acme\"\npassword = \"pw\"\n";

    fn err(text: &str) -> String {
        Config::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn defaults() {
        let c = Config::parse(MINIMAL).unwrap();
        assert_eq!(c.spool, Path::new("/var/spool/smppd"));
        assert_eq!(c.split, SplitMethod::Udh8);
        assert!(!c.latin1);
        assert_eq!(c.max_parts, 10);
        assert_eq!(c.scan_interval, Duration::from_secs(1));
        assert_eq!(c.settle, Duration::from_millis(500));
        assert_eq!(c.empty_grace, Duration::from_secs(60));
        assert_eq!(c.receipt_days, 3);
        assert_eq!(c.sync, SyncMode::Filesystem);
        assert_eq!(c.metrics_file, None);
        assert_eq!(c.instance, default_owner());
        let s = &c.smsc;
        assert_eq!(
            (s.host.as_str(), s.port, s.system_id.as_str()),
            ("smsc.example", 2775, "acme")
        );
        assert_eq!(s.password, "pw");
        assert_eq!(s.system_type, "");
        assert_eq!(s.bind, BindMode::Transceiver);
        assert_eq!(
            (s.sessions, s.window, s.throughput, s.retries),
            (1, 64, 0, 5)
        );
        assert_eq!(s.enquire_link, Some(Duration::from_secs(30)));
        assert_eq!(s.response_timeout, Duration::from_secs(30));
        assert_eq!(s.reconnect_min, Duration::from_millis(500));
        assert_eq!(s.reconnect_max, Duration::from_secs(30));
        assert_eq!(s.source_addr, None);
        assert_eq!(c.outbind, None);
        assert!(!format!("{c:?}").contains("pw\""));
    }

    #[test]
    fn every_key() {
        let text = r##"
# comment
spool = "/srv/spool"   # trailing comment
instance = "node-1"
metrics_file = '/var/lib/smppd/metrics.prom'
split = "sar"
latin1 = true
max_parts = 1_0
scan_interval_ms = 250
settle_ms = 0
empty_grace_secs = 5
receipt_days = 7
sync = "files"

[ smsc ]
host = "10.0.0.1"
port = 2776
system_id = "acme"
password = "p\"#\\w"
system_type = "VMA"
bind = "transmitter"
sessions = 4
window = 10
throughput = 100
enquire_link_secs = 0
response_timeout_secs = 5
reconnect_min_ms = 100
reconnect_max_ms = 100
source_addr = "ACME"
retries = 0

[outbind]
listen = "127.0.0.1:2777"
"##;
        let c = Config::parse(text).unwrap();
        assert_eq!(c.spool, Path::new("/srv/spool"));
        assert_eq!(c.instance, "node-1");
        assert_eq!(
            c.metrics_file.as_deref(),
            Some(Path::new("/var/lib/smppd/metrics.prom"))
        );
        assert_eq!(c.split, SplitMethod::Sar);
        assert!(c.latin1);
        assert_eq!(c.max_parts, 10);
        assert_eq!(c.scan_interval, Duration::from_millis(250));
        assert_eq!(c.settle, Duration::ZERO);
        assert_eq!(c.empty_grace, Duration::from_secs(5));
        assert_eq!(c.receipt_days, 7);
        assert_eq!(c.sync, SyncMode::Files);
        assert_eq!(c.smsc.port, 2776);
        assert_eq!(c.smsc.password, "p\"#\\w");
        assert_eq!(c.smsc.system_type, "VMA");
        assert_eq!(c.smsc.bind, BindMode::Transmitter);
        assert_eq!(c.smsc.enquire_link, None);
        assert_eq!(c.smsc.source_addr.as_deref(), Some("ACME"));
        assert_eq!(
            c.outbind.unwrap().listen,
            "127.0.0.1:2777".parse::<SocketAddr>().unwrap()
        );
    }

    /// The whole TOML language: inline tables, dotted keys, multi-line and
    /// literal strings, escapes, comments everywhere.
    #[test]
    fn full_toml() {
        let text = r#"
spool = """/srv/\
           spool"""            # a line-ending backslash joins lines
smsc = { host = "10.0.0.1", system_id = "acme", password = 'p"w' }
smsc.port = 2776
"#;
        // TOML forbids adding to an inline table: an error, with its place.
        let e = err(text);
        assert_eq!(
            e,
            "line 5, column 1: smsc.port: cannot extend value of type inline table with a dotted key"
        );
        let text = r#"
spool = """/srv/\
           spool"""
smsc.host = "10.0.0.1"
smsc.system_id = "acme"
smsc.password = 'p"w'
smsc.system_type = "a\tb\u00e9\U0001F600"
outbind = { listen = "127.0.0.1:2777" }
"#;
        let c = Config::parse(text).unwrap();
        assert_eq!(c.spool, Path::new("/srv/spool"));
        assert_eq!(c.smsc.host, "10.0.0.1");
        assert_eq!(c.smsc.password, "p\"w");
        assert_eq!(c.smsc.system_type, "a\tb\u{E9}\u{1F600}");
        assert_eq!(c.outbind.unwrap().listen.port(), 2777);
        let c = Config::parse(
            "smsc = { host = \"h\", system_id = \"s\", password = \"p\", port = 1 }\n",
        )
        .unwrap();
        assert_eq!(c.smsc.port, 1);
    }

    #[test]
    fn unknown_keys_and_tables() {
        assert_eq!(
            err("[smsc]\nhots = \"x\"\n"),
            "line 2, column 1: unknown key `smsc.hots`, expected one of `host`, `port`, `system_id`, \
             `password`, `password_file`, `system_type`, `bind`, `sessions`, `window`, \
             `throughput`, `enquire_link_secs`, `response_timeout_secs`, `reconnect_min_ms`, \
             `reconnect_max_ms`, `source_addr`, `retries`, `tls`, `tls_ca_file`, \
             `tls_server_name`, `tls_cert_file`, `tls_key_file`"
        );
        assert!(err("spol = \"/x\"\n")
            .starts_with("line 1, column 1: unknown key `spol`, expected one of `spool`,"));
        assert!(err("[smpp]\n").starts_with("line 1, column 2: unknown key `smpp`,"));
        assert_eq!(
            err("[outbind]\naddress = \"x\"\n"),
            "line 2, column 1: unknown key `outbind.address`, expected `listen`"
        );
        assert_eq!(
            err(&format!("{MINIMAL}port = 1\nport = 2\n")),
            "line 6, column 1: smsc.port: duplicate key"
        );
    }

    #[test]
    fn wrong_types_name_the_key() {
        assert_eq!(
            err("[smsc]\nport = \"2775\"\n"),
            "line 2, column 8: smsc.port: invalid type: string \"2775\", expected an integer"
        );
        assert_eq!(
            err("latin1 = 1\n"),
            "line 1, column 10: latin1: invalid type: integer `1`, expected a boolean"
        );
        assert_eq!(
            err("max_parts = 1.5\n"),
            "line 1, column 13: max_parts: invalid type: floating point `1.5`, expected an integer"
        );
        assert!(err("smsc = 1\n").starts_with("line 1, column 8: smsc: invalid type: integer"));
    }

    #[test]
    fn bad_values_name_the_key() {
        let one = |text: &str| {
            let e = Config::parse(&format!("{MINIMAL}{text}")).unwrap_err();
            assert_eq!(e.problems().len(), 1, "{e}");
            e.to_string()
        };
        assert_eq!(
            one("port = 70000\n"),
            "line 5, column 8: smsc.port must be an integer from 1 to 65535, not 70000"
        );
        assert_eq!(
            one("bind = \"tx\"\n"),
            "line 5, column 8: smsc.bind must be one of \"transmitter\", \"receiver\", \"transceiver\", not \"tx\""
        );
        assert_eq!(
            one("system_type = \"a_very_long_type\"\n"),
            "line 5, column 15: smsc.system_type must be a string of at most 12 characters, not \"a_very_long_type\""
        );
        assert_eq!(
            err("[smsc]\nhost = \"h\"\nsystem_id = \"a_very_long_system_id\"\npassword = \"p\"\n"),
            "line 3, column 13: smsc.system_id must be a string of 1 to 15 characters, not \"a_very_long_system_id\""
        );
        assert_eq!(
            err("[smsc]\nhost = \"h\"\nsystem_id = \"s\"\npassword = \"123456789\"\n"),
            "line 4, column 12: smsc.password must be a password of at most 8 characters (SMPP 3.4), not 9 characters"
        );
        assert_eq!(
            one("source_addr = \"Too Long Name\"\n"),
            "line 5, column 15: smsc.source_addr must be a phone number (digits, optional leading +) or 1 to 11 ASCII letters and digits, not \"Too Long Name\""
        );
        assert_eq!(
            one("reconnect_min_ms = 1000\nreconnect_max_ms = 999\n"),
            "line 6, column 20: smsc.reconnect_max_ms must be at least smsc.reconnect_min_ms (1000), not 999"
        );
        assert_eq!(
            err(&format!("log_level = \"smppd=loud\"\n{MINIMAL}")),
            "line 1, column 13: log_level must be a log filter: comma-separated LEVEL, TARGET or TARGET=LEVEL, a level being off, error, warn, info, debug or trace, not \"smppd=loud\""
        );
        assert_eq!(
            err(&format!("instance = \"a/b\"\n{MINIMAL}")),
            "line 1, column 12: instance must be 1 to 64 ASCII letters, digits, '.', '_' or '-', not starting with '.', not \"a/b\""
        );
        assert_eq!(
            err(&format!("{MINIMAL}[outbind]\nlisten = \"localhost\"\n")),
            "line 6, column 10: outbind.listen must be an IP address and port, such as \"0.0.0.0:2776\", not \"localhost\""
        );
        assert_eq!(
            err(&format!("spool = \"\"\n{MINIMAL}")),
            "line 1, column 9: spool must be a non-empty path, not \"\""
        );
        assert_eq!(
            Config::parse(&format!("{MINIMAL}port = 0\n"))
                .unwrap_err()
                .line(),
            Some(5)
        );
    }

    /// Every problem past the TOML reader is reported, in file order, the
    /// missing keys last.
    #[test]
    fn every_problem_is_listed() {
        let text = "max_parts = 0\nsync = \"never\"\n\n[smsc]\nport = 0\nbind = \"tx\"\nwindow = 0\n\n[outbind]\n";
        let e = Config::parse(text).unwrap_err();
        let lines: Vec<String> = e.problems().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "line 1, column 13: max_parts must be an integer from 1 to 255, not 0",
                "line 2, column 8: sync must be one of \"filesystem\", \"files\", not \"never\"",
                "line 5, column 8: smsc.port must be an integer from 1 to 65535, not 0",
                "line 6, column 8: smsc.bind must be one of \"transmitter\", \"receiver\", \"transceiver\", not \"tx\"",
                "line 7, column 10: smsc.window must be an integer from 1 to 10000, not 0",
                "line 9, column 1: missing outbind.listen (the address to accept outbinds on; remove [outbind] to not accept them)",
                "missing smsc.host (the SMSC's host name or IP address, in the [smsc] table)",
                "missing smsc.system_id (the account to bind as, in the [smsc] table)",
                "missing smsc.password (the account's password, or smsc.password_file naming a file that holds it)",
            ]
        );
        assert_eq!(e.to_string(), lines.join("\n"));
    }

    #[test]
    fn missing_keys() {
        assert_eq!(
            err(""),
            "missing [smsc] (the table saying which SMSC to bind to: host, system_id, password)"
        );
        assert_eq!(
            err("[smsc]\nhost = \"h\"\npassword = \"p\"\n"),
            "missing smsc.system_id (the account to bind as, in the [smsc] table)"
        );
        assert!(
            err("[smsc]\nhost = \"h\"\nsystem_id = \"s\"\n").starts_with("missing smsc.password (")
        );
    }

    #[test]
    fn host_may_be_left_out_with_outbind() {
        let c = Config::parse(
            "[smsc]\nsystem_id = \"s\"\npassword = \"p\"\n[outbind]\nlisten = \"127.0.0.1:2776\"\n",
        )
        .unwrap();
        assert_eq!(c.smsc.host, "");
        assert_eq!(
            c.outbind.map(|o| o.listen.to_string()).as_deref(),
            Some("127.0.0.1:2776")
        );
    }

    #[test]
    fn syntax_errors() {
        let cases = [
            ("just words\n", "line 1, column 6: key with no value"),
            ("spool = \n", "line 1, column 9: spool: "),
            ("spool = \"/x\n", "line 1, column 12: spool: "),
            ("[smsc\n", "line 1, column "),
            (
                "max_parts = 1__0\n",
                "line 1, column 14: max_parts: `_` may only go between digits",
            ),
            (
                "[smsc]\n[smsc]\n",
                "line 2, column 2: duplicate table `smsc`",
            ),
        ];
        for (text, want) in cases {
            let e = Config::parse(text).unwrap_err();
            assert!(matches!(e, ConfigError::Parse(_)), "{text:?}: {e:?}");
            assert!(e.to_string().starts_with(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn password_file() {
        let dir = std::env::temp_dir().join(format!("smpp-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pw = dir.join("pw");
        std::fs::write(&pw, "s3cret\r\n").unwrap();
        let base = "[smsc]\nhost = \"h\"\nsystem_id = \"s\"\n";
        let text = format!("{base}password_file = {:?}\n", pw.display().to_string());
        assert_eq!(Config::parse(&text).unwrap().smsc.password, "s3cret");
        let both = format!(
            "{base}password = \"x\"\npassword_file = {:?}\n",
            pw.display().to_string()
        );
        assert_eq!(
            err(&both),
            "line 5, column 17: smsc.password_file: smsc.password is given too; give only one of them"
        );
        let missing = format!("{base}password_file = \"{}/nope\"\n", dir.display());
        assert!(
            err(&missing).starts_with("line 4, column 17: smsc.password_file: cannot read "),
            "{}",
            err(&missing)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn from_file_instance_and_errors() {
        let dir = std::env::temp_dir().join(format!("smpp-config-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("acct1.toml");
        std::fs::write(&path, format!("\u{FEFF}{MINIMAL}")).unwrap();
        let c = Config::from_file(&path).unwrap();
        assert_eq!(c.instance, format!("{}-acct1", default_owner()));
        let e = Config::from_file(dir.join("absent.toml")).unwrap_err();
        assert!(e.to_string().starts_with("cannot read "), "{e}");
        assert_eq!(e.line(), None);
        assert!(e.problems().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The keys the parser takes, read from its own message for an
    /// unknown key (so that no list is kept twice).
    fn parser_keys(table: &str) -> Vec<String> {
        let text = if table.is_empty() {
            "no_such_key = 1\n".to_owned()
        } else {
            format!("[{table}]\nno_such_key = 1\n")
        };
        let e = err(&text);
        let list = e.split("expected ").nth(1).unwrap();
        list.split('`')
            .skip(1)
            .step_by(2)
            .filter(|k| !["smsc", "outbind"].contains(k))
            .map(|k| {
                if table.is_empty() {
                    k.to_owned()
                } else {
                    format!("{table}.{k}")
                }
            })
            .collect()
    }

    /// The module docs' key tables, the example file and the parser name
    /// the same keys, and the example's commented values are the defaults.
    #[test]
    fn docs_example_and_parser_agree() {
        let mut parser: Vec<String> = ["", "smsc", "outbind"]
            .iter()
            .flat_map(|t| parser_keys(t))
            .collect();
        parser.sort();
        // The docs: "| `key` | default | meaning |" rows, by table.
        let source = include_str!("config.rs");
        let mut table = "";
        let mut docs = Vec::new();
        for line in source.lines().take_while(|l| l.starts_with("//!")) {
            if line.starts_with("//! `[smsc]`") {
                table = "smsc.";
            } else if line.starts_with("//! `[outbind]`") {
                docs.push("outbind.listen".to_owned());
            } else if let Some(row) = line.strip_prefix("//! | `") {
                docs.push(format!("{table}{}", row.split('`').next().unwrap()));
            }
        }
        docs.sort();
        assert_eq!(
            docs, parser,
            "the module docs' tables and the parser differ"
        );
        // The example: "key = value" or "#key = value" lines.
        let example = include_str!("../../systemd/smppd.toml.example");
        let mut table = "";
        let mut keys = Vec::new();
        for line in example.lines() {
            let line = line.strip_prefix('#').unwrap_or(line);
            if let Some(name) = line.strip_prefix('[') {
                table = if name.starts_with("smsc") {
                    "smsc."
                } else {
                    "outbind."
                };
            } else if let Some((key, _)) = line.split_once(" = ") {
                if !key.contains(' ') {
                    keys.push(format!("{table}{key}"));
                }
            }
        }
        keys.sort();
        assert_eq!(keys, parser, "the example and the parser differ");
    }

    /// The README's complete example, with comments and an inline table,
    /// parses (its password file made for the test).
    #[test]
    fn readme_example_parses() {
        let readme = include_str!("../../README.md");
        let block = readme
            .split("```toml\n")
            .skip(1)
            .map(|b| b.split("```").next().unwrap())
            .find(|b| b.contains("[smsc]"))
            .expect("the README shows a configuration");
        let dir = std::env::temp_dir().join(format!("smpp-config-readme-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pw = dir.join("acme.password");
        std::fs::write(&pw, "s3cret\n").unwrap();
        let text = block.replace("/etc/smppd/acme.password", pw.to_str().unwrap());
        let c = Config::parse(&text).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(c.instance, "gw1-acme");
        assert_eq!(c.max_parts, 6);
        assert_eq!(c.smsc.password, "s3cret");
        assert_eq!(
            (c.smsc.sessions, c.smsc.window, c.smsc.throughput),
            (2, 32, 50)
        );
        assert_eq!(c.outbind.unwrap().listen.port(), 2776);
    }

    #[test]
    fn check_writable() {
        let dir = std::env::temp_dir().join(format!("smpp-config-rw-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("spool")).unwrap();
        let mut c = Config::parse(MINIMAL).unwrap();
        c.spool = dir.join("spool");
        c.metrics_file = Some(dir.join("metrics/smppd.prom"));
        // The spool's folders do not exist yet: the daemon creates them;
        // but not the metrics file's directory.
        assert_eq!(
            c.check_writable(),
            [format!(
                "metrics_file's directory {}: does not exist",
                dir.join("metrics").display()
            )]
        );
        std::fs::create_dir(dir.join("metrics")).unwrap();
        assert_eq!(c.check_writable(), Vec::<String>::new());
        std::fs::write(dir.join("spool/sent"), "").unwrap();
        let problems = c.check_writable();
        assert_eq!(
            problems,
            [format!(
                "spool folder {}: not a directory",
                dir.join("spool/sent").display()
            )]
        );
        c.metrics_file = Some(dir.join("spool/sent/smppd.prom"));
        assert_eq!(c.check_writable().len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn tls_keys() {
        let c = Config::parse(MINIMAL).unwrap();
        assert!(!c.smsc.tls && c.smsc.tls_ca_file.is_none());
        let e = err(&format!("{MINIMAL}tls_ca_file = \"/etc/ca.pem\"\n"));
        assert_eq!(
            e,
            "line 5, column 15: smsc.tls_ca_file has no effect without smsc.tls = true"
        );
        let e = err(&format!(
            "{MINIMAL}tls = true\n\n[outbind]\nlisten = \"127.0.0.1:2776\"\n"
        ));
        assert!(e.starts_with("missing smsc.tls_cert_file"), "{e}");
        let e = err(&format!(
            "{MINIMAL}tls = true\ntls_ca_file = \"/nonexistent/ca.pem\"\n"
        ));
        #[cfg(feature = "tls")]
        assert!(
            e.starts_with(
                "line 6, column 15: smsc.tls_ca_file: /nonexistent/ca.pem: no usable PEM"
            ),
            "{e}"
        );
        #[cfg(not(feature = "tls"))]
        assert!(
            e.contains("smsc.tls: this smppd is built without TLS"),
            "{e}"
        );
        let e = err(&format!("{MINIMAL}tls = \"yes\"\n"));
        assert!(e.contains("tls"), "{e}");
    }

    #[test]
    fn example_file_parses() {
        let text = include_str!("../../systemd/smppd.toml.example");
        // The example leaves its optional settings commented out.
        let c = Config::parse(text).unwrap();
        assert_eq!(c.smsc.system_id, "smppclient1");
        // Uncommenting every "#key = value" line still gives a valid file
        // (all but one of the two password keys), and the values shown
        // for the settings left out are the defaults.
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest)
                    if rest.contains(" = ")
                        && !rest.starts_with(' ')
                        && !rest.starts_with("password_file")
                        && !rest.starts_with("tls_") =>
                {
                    rest.to_owned()
                }
                Some(rest) if rest.starts_with("[outbind]") => rest.to_owned(),
                _ => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let full = Config::parse(&uncommented).unwrap();
        assert!(full.metrics_file.is_some());
        assert!(full.outbind.is_some());
        let defaults = Config {
            instance: full.instance.clone(),
            metrics_file: full.metrics_file.clone(),
            outbind: full.outbind.clone(),
            smsc: SmscConfig {
                source_addr: full.smsc.source_addr.clone(),
                ..c.smsc.clone()
            },
            ..c.clone()
        };
        assert_eq!(full, defaults);
    }
}
