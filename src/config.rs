//! The daemon's configuration file, `/etc/smppd/smppd.toml` by default.
//!
//! The file is TOML, of which this reader takes the part a flat
//! configuration needs: `# comments`, `key = value` lines, the tables
//! `[smsc]` and `[outbind]`, and values that are strings (`"..."` with the
//! escapes `\"` `\\` `\n` `\t` `\r` `\uXXXX` `\UXXXXXXXX`, or `'literal'`),
//! decimal integers (`_` between digits allowed) or `true`/`false`.
//! Anything else (arrays, floats, dates, inline tables, dotted or quoted
//! keys, multi-line strings) is an error naming the line, as is every
//! unknown key or table, a key given twice, and a value of the wrong form.
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
//! | `instance` | host name, plus `-` and the config file's stem when read with [`Config::from_file`] | this daemon's owner id in the spool ([`crate::spool::Spool::with_owner`]); must stay the same across restarts and differ between daemons sharing a spool |
//! | `metrics_file` | none | write Prometheus textfile metrics here |
//! | `split` | `udh` | how long messages are sent: `udh`, `udh16`, `sar`, or `payload` (whole, in `message_payload`) |
//! | `latin1` | `false` | let text be sent as Latin-1 (`data_coding` 3) when GSM 7-bit does not hold it |
//! | `max_parts` | `10` | longest message in parts, 1 to 255; longer files fail |
//! | `scan_interval_ms` | `1000` | how often `outgoing/` is scanned, 10 to 60000 |
//! | `receipt_days` | `3` | how many days message ids are remembered to match receipts, 1 to 90 |
//! | `sync` | `filesystem` | how spool files are made durable: `filesystem` (one `syncfs` per batch: fastest; also flushes what other programs wrote to that filesystem) or `files` (an `fdatasync` per file, an `fsync` per directory; [`crate::spool::SyncMode`]) |
//!
//! `[smsc]` (required):
//!
//! | Key | Default | Meaning |
//! |---|---|---|
//! | `host` | required | SMSC host name or address |
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
//!
//! `[outbind]` (optional): `listen` (required in the table), the address to
//! accept an SMSC's outbind on, such as `"0.0.0.0:2776"`.
//!
//! Relative paths are taken as they are, relative to the working directory.

use crate::spool::{default_owner, message::is_valid_sender, valid_owner, SyncMode};
use crate::text::SplitMethod;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// `split`.
    pub split: SplitMethod,
    /// `latin1`.
    pub latin1: bool,
    /// `max_parts`.
    pub max_parts: usize,
    /// `scan_interval_ms`.
    pub scan_interval: Duration,
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
            .finish()
    }
}

/// The `[outbind]` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutbindConfig {
    /// `listen`.
    pub listen: SocketAddr,
}

/// What is wrong with a configuration. `Display` names the line (where
/// there is one) and the key.
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
    /// A line that is not valid in the supported TOML subset.
    Syntax {
        /// The line number, from 1.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A table other than `[smsc]` and `[outbind]`.
    UnknownTable {
        /// The line number.
        line: usize,
        /// The table name.
        name: String,
    },
    /// A table given twice.
    DuplicateTable {
        /// The line number of the second one.
        line: usize,
        /// The table name.
        name: String,
    },
    /// A key this version does not know.
    UnknownKey {
        /// The line number.
        line: usize,
        /// The key, with its table: `smsc.hots`.
        key: String,
        /// The keys that table takes.
        known: &'static [&'static str],
    },
    /// A key given twice.
    DuplicateKey {
        /// The line number of the second one.
        line: usize,
        /// The key, with its table.
        key: String,
    },
    /// A value of the wrong type or out of range.
    BadValue {
        /// The line number.
        line: usize,
        /// The key, with its table.
        key: String,
        /// The form the value must have.
        expected: String,
        /// What was given.
        got: String,
    },
    /// A required key (or table) is missing.
    Missing {
        /// The key, with its table.
        key: &'static str,
        /// What it is for.
        what: &'static str,
    },
    /// Two keys that exclude each other.
    Conflict {
        /// The line number of the second one.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// `smsc.password_file` could not be read.
    PasswordFile {
        /// The line number.
        line: usize,
        /// The file.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
}

impl ConfigError {
    /// The line the error is on, if it is on one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Syntax { line, .. }
            | ConfigError::UnknownTable { line, .. }
            | ConfigError::DuplicateTable { line, .. }
            | ConfigError::UnknownKey { line, .. }
            | ConfigError::DuplicateKey { line, .. }
            | ConfigError::BadValue { line, .. }
            | ConfigError::Conflict { line, .. }
            | ConfigError::PasswordFile { line, .. } => Some(*line),
            ConfigError::Read { .. } | ConfigError::Missing { .. } => None,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, source } => {
                write!(f, "cannot read {}: {source}", path.display())
            }
            ConfigError::Syntax { line, message } => write!(f, "line {line}: {message}"),
            ConfigError::UnknownTable { line, name } => write!(
                f,
                "line {line}: unknown table [{name}] (the tables are [smsc] and [outbind])"
            ),
            ConfigError::DuplicateTable { line, name } => {
                write!(f, "line {line}: table [{name}] is given twice")
            }
            ConfigError::UnknownKey { line, key, known } => write!(
                f,
                "line {line}: unknown key {key} (known here: {})",
                known.join(", ")
            ),
            ConfigError::DuplicateKey { line, key } => {
                write!(f, "line {line}: {key} is given twice")
            }
            ConfigError::BadValue {
                line,
                key,
                expected,
                got,
            } => write!(f, "line {line}: {key} must be {expected}, not {got}"),
            ConfigError::Missing { key, what } => write!(f, "missing {key} ({what})"),
            ConfigError::Conflict { line, message } => write!(f, "line {line}: {message}"),
            ConfigError::PasswordFile { line, path, source } => write!(
                f,
                "line {line}: smsc.password_file: cannot read {}: {source}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } | ConfigError::PasswordFile { source, .. } => {
                Some(source)
            }
            _ => None,
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "spool",
    "instance",
    "metrics_file",
    "split",
    "latin1",
    "max_parts",
    "scan_interval_ms",
    "receipt_days",
    "sync",
];
const SMSC_KEYS: &[&str] = &[
    "host",
    "port",
    "system_id",
    "password",
    "password_file",
    "system_type",
    "bind",
    "sessions",
    "window",
    "throughput",
    "enquire_link_secs",
    "response_timeout_secs",
    "reconnect_min_ms",
    "reconnect_max_ms",
    "source_addr",
    "retries",
];
const OUTBIND_KEYS: &[&str] = &["listen"];

/// A value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
}

impl Value {
    /// How the value reads in an error message.
    fn describe(&self) -> String {
        match self {
            Value::Str(s) => format!("the string {s:?}"),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Top,
    Smsc,
    Outbind,
}

impl Table {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Table::Top => TOP_KEYS,
            Table::Smsc => SMSC_KEYS,
            Table::Outbind => OUTBIND_KEYS,
        }
    }

    fn qualify(self, key: &str) -> String {
        match self {
            Table::Top => key.to_owned(),
            Table::Smsc => format!("smsc.{key}"),
            Table::Outbind => format!("outbind.{key}"),
        }
    }
}

#[derive(Debug)]
struct Entry {
    table: Table,
    key: &'static str,
    value: Value,
    line: usize,
}

fn syntax(line: usize, message: impl Into<String>) -> ConfigError {
    ConfigError::Syntax {
        line,
        message: message.into(),
    }
}

/// Skips spaces and tabs; then the rest must be empty or a comment.
fn expect_end(rest: &str, line: usize, after: &str) -> Result<(), ConfigError> {
    let rest = rest.trim_start_matches([' ', '\t']);
    if rest.is_empty() || rest.starts_with('#') {
        Ok(())
    } else {
        Err(syntax(line, format!("unexpected {rest:?} after {after}")))
    }
}

fn parse_basic_string(s: &str, line: usize) -> Result<(String, &str), ConfigError> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &s[i + 1..])),
            '\\' => {
                let Some((_, e)) = chars.next() else {
                    break;
                };
                match e {
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'u' | 'U' => {
                        let n = if e == 'u' { 4 } else { 8 };
                        let hex: String = chars.by_ref().take(n).map(|(_, c)| c).collect();
                        let ch = (hex.len() == n)
                            .then(|| u32::from_str_radix(&hex, 16).ok())
                            .flatten()
                            .and_then(char::from_u32)
                            .ok_or_else(|| {
                                syntax(line, format!("bad escape \\{e}{hex} in a string"))
                            })?;
                        out.push(ch);
                    }
                    other => {
                        return Err(syntax(
                            line,
                            format!(
                                "unknown escape \\{other} in a string (use \\\\ for a backslash, or a 'literal string')"
                            ),
                        ))
                    }
                }
            }
            c if c.is_control() && c != '\t' => {
                return Err(syntax(line, "control character in a string"))
            }
            c => out.push(c),
        }
    }
    Err(syntax(line, "string without its closing \""))
}

fn parse_integer(token: &str, line: usize) -> Result<i64, ConfigError> {
    let bad = || {
        syntax(
            line,
            format!("{token:?} is not a value (a \"string\", a decimal integer, true or false)"),
        )
    };
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'_')
    {
        return Err(bad());
    }
    token
        .replace('_', "")
        .parse()
        .map_err(|_| syntax(line, format!("integer {token} is too large")))
}

fn parse_value(s: &str, line: usize) -> Result<Value, ConfigError> {
    let s = s.trim_start_matches([' ', '\t']);
    if s.starts_with("\"\"\"") || s.starts_with("'''") {
        return Err(syntax(line, "multi-line strings are not supported"));
    }
    if let Some(rest) = s.strip_prefix('"') {
        let (v, rest) = parse_basic_string(rest, line)?;
        expect_end(rest, line, "the string")?;
        return Ok(Value::Str(v));
    }
    if let Some(rest) = s.strip_prefix('\'') {
        let end = rest
            .find('\'')
            .ok_or_else(|| syntax(line, "string without its closing '"))?;
        let v = &rest[..end];
        if v.chars().any(|c| c.is_control() && c != '\t') {
            return Err(syntax(line, "control character in a string"));
        }
        expect_end(&rest[end + 1..], line, "the string")?;
        return Ok(Value::Str(v.to_owned()));
    }
    if s.starts_with('[') {
        return Err(syntax(line, "arrays are not supported"));
    }
    if s.starts_with('{') {
        return Err(syntax(line, "inline tables are not supported"));
    }
    let end = s.find([' ', '\t', '#']).unwrap_or(s.len());
    let (token, rest) = s.split_at(end);
    expect_end(rest, line, "the value")?;
    match token {
        "" => Err(syntax(line, "missing value after =")),
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        t => parse_integer(t, line).map(Value::Int),
    }
}

/// The entries of a document, and whether it has an `[outbind]` table.
fn parse_document(text: &str) -> Result<(Vec<Entry>, bool), ConfigError> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut entries: Vec<Entry> = Vec::new();
    let mut table = Table::Top;
    let mut seen_tables: Vec<Table> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let l = raw.trim_matches([' ', '\t']);
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if l.starts_with("[[") {
            return Err(syntax(line, "arrays of tables are not supported"));
        }
        if let Some(rest) = l.strip_prefix('[') {
            let close = rest
                .find(']')
                .ok_or_else(|| syntax(line, "table header without its closing ]"))?;
            let name = rest[..close].trim_matches([' ', '\t']);
            expect_end(&rest[close + 1..], line, "the table header")?;
            table = match name {
                "smsc" => Table::Smsc,
                "outbind" => Table::Outbind,
                _ => {
                    return Err(ConfigError::UnknownTable {
                        line,
                        name: name.to_owned(),
                    })
                }
            };
            if seen_tables.contains(&table) {
                return Err(ConfigError::DuplicateTable {
                    line,
                    name: name.to_owned(),
                });
            }
            seen_tables.push(table);
            continue;
        }
        let (key, value) = l
            .split_once('=')
            .ok_or_else(|| syntax(line, "expected key = value, or a [table]"))?;
        let key = key.trim_matches([' ', '\t']);
        if key.starts_with(['"', '\'']) {
            return Err(syntax(line, "quoted keys are not supported"));
        }
        if key.contains('.') {
            return Err(syntax(
                line,
                format!("dotted key {key} is not supported; put the key under its [table]"),
            ));
        }
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(syntax(line, format!("{key:?} is not a valid key")));
        }
        let Some(&known) = table.keys().iter().find(|&&k| k == key) else {
            return Err(ConfigError::UnknownKey {
                line,
                key: table.qualify(key),
                known: table.keys(),
            });
        };
        let value = parse_value(value, line)?;
        if entries.iter().any(|e| e.table == table && e.key == known) {
            return Err(ConfigError::DuplicateKey {
                line,
                key: table.qualify(key),
            });
        }
        entries.push(Entry {
            table,
            key: known,
            value,
            line,
        });
    }
    Ok((entries, seen_tables.contains(&Table::Outbind)))
}

/// Reads typed values out of one entry, with errors that name its key.
struct Field<'a> {
    entry: &'a Entry,
}

impl Field<'_> {
    fn bad(&self, expected: impl Into<String>) -> ConfigError {
        ConfigError::BadValue {
            line: self.entry.line,
            key: self.entry.table.qualify(self.entry.key),
            expected: expected.into(),
            got: self.entry.value.describe(),
        }
    }

    fn string(&self) -> Result<&str, ConfigError> {
        match &self.entry.value {
            Value::Str(s) => Ok(s),
            _ => Err(self.bad("a string")),
        }
    }

    /// A string of at most `max` bytes.
    fn short_string(&self, max: usize) -> Result<String, ConfigError> {
        match &self.entry.value {
            Value::Str(s) if s.len() <= max && !s.contains('\0') => Ok(s.clone()),
            _ => Err(self.bad(format!("a string of at most {max} characters"))),
        }
    }

    fn boolean(&self) -> Result<bool, ConfigError> {
        match self.entry.value {
            Value::Bool(b) => Ok(b),
            _ => Err(self.bad("true or false")),
        }
    }

    fn int(&self, min: i64, max: i64) -> Result<i64, ConfigError> {
        match self.entry.value {
            Value::Int(i) if (min..=max).contains(&i) => Ok(i),
            _ => Err(self.bad(format!("an integer from {min} to {max}"))),
        }
    }

    fn u32(&self, min: u32, max: u32) -> Result<u32, ConfigError> {
        // The range check makes the conversion exact.
        self.int(i64::from(min), i64::from(max)).map(|i| i as u32)
    }

    fn choice<T: Copy>(&self, choices: &[(&str, T)]) -> Result<T, ConfigError> {
        let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
        let expected = format!("one of \"{}\"", names.join("\", \""));
        let s = match &self.entry.value {
            Value::Str(s) => s,
            _ => return Err(self.bad(expected)),
        };
        choices
            .iter()
            .find(|(n, _)| n == s)
            .map(|&(_, v)| v)
            .ok_or_else(|| self.bad(expected))
    }

    fn path(&self) -> Result<PathBuf, ConfigError> {
        match &self.entry.value {
            Value::Str(s) if !s.is_empty() => Ok(PathBuf::from(s)),
            _ => Err(self.bad("a non-empty path string")),
        }
    }
}

fn read_password_file(path: &Path, line: usize) -> Result<String, ConfigError> {
    let err = |source| ConfigError::PasswordFile {
        line,
        path: path.to_owned(),
        source,
    };
    let data = std::fs::read(path).map_err(err)?;
    let mut s = String::from_utf8(data)
        .map_err(|_| err(io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text")))?;
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
        let (entries, outbind_table) = parse_document(text)?;
        let mut c = Config {
            spool: PathBuf::from("/var/spool/smppd"),
            instance: default_instance,
            metrics_file: None,
            split: SplitMethod::Udh8,
            latin1: false,
            max_parts: 10,
            scan_interval: Duration::from_millis(1000),
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
            },
            outbind: None,
        };
        let mut host = false;
        let mut system_id = false;
        let mut password_line: Option<(usize, &'static str)> = None;
        let mut reconnect_max_line = None;
        let mut listen = None;
        for e in &entries {
            let f = Field { entry: e };
            match (e.table, e.key) {
                (Table::Top, "spool") => c.spool = f.path()?,
                (Table::Top, "instance") => {
                    let s = f.string()?;
                    if !valid_owner(s) {
                        return Err(f.bad(
                            "1 to 64 ASCII letters, digits, '.', '_' or '-', not starting with '.'",
                        ));
                    }
                    c.instance = s.to_owned();
                }
                (Table::Top, "metrics_file") => c.metrics_file = Some(f.path()?),
                (Table::Top, "split") => {
                    c.split = f.choice(&[
                        ("udh", SplitMethod::Udh8),
                        ("udh16", SplitMethod::Udh16),
                        ("sar", SplitMethod::Sar),
                        ("payload", SplitMethod::Payload),
                    ])?;
                }
                (Table::Top, "latin1") => c.latin1 = f.boolean()?,
                (Table::Top, "max_parts") => c.max_parts = f.int(1, 255)? as usize,
                (Table::Top, "scan_interval_ms") => {
                    c.scan_interval = Duration::from_millis(f.int(10, 60_000)? as u64);
                }
                (Table::Top, "receipt_days") => c.receipt_days = f.u32(1, 90)?,
                (Table::Top, "sync") => {
                    c.sync = f.choice(&[
                        ("filesystem", SyncMode::Filesystem),
                        ("files", SyncMode::Files),
                    ])?;
                }
                (Table::Smsc, "host") => {
                    let s = f.string()?;
                    if s.is_empty() || s.contains(char::is_whitespace) {
                        return Err(f.bad("a host name or IP address"));
                    }
                    c.smsc.host = s.to_owned();
                    host = true;
                }
                (Table::Smsc, "port") => c.smsc.port = f.int(1, 65_535)? as u16,
                (Table::Smsc, "system_id") => {
                    c.smsc.system_id = f.short_string(15)?;
                    if c.smsc.system_id.is_empty() {
                        return Err(f.bad("a string of 1 to 15 characters"));
                    }
                    system_id = true;
                }
                (Table::Smsc, key @ ("password" | "password_file")) => {
                    if let Some((line, other)) = password_line {
                        return Err(ConfigError::Conflict {
                            line: e.line,
                            message: format!(
                                "smsc.{key}: smsc.{other} is already given on line {line}; give only one of them"
                            ),
                        });
                    }
                    password_line = Some((e.line, key));
                    let password = if key == "password" {
                        f.string()?.to_owned()
                    } else {
                        read_password_file(&f.path()?, e.line)?
                    };
                    if password.len() > 8 || password.contains('\0') {
                        return Err(ConfigError::BadValue {
                            line: e.line,
                            key: format!("smsc.{key}"),
                            expected: "a password of at most 8 characters (SMPP 3.4)".to_owned(),
                            got: format!("{} characters", password.chars().count()),
                        });
                    }
                    c.smsc.password = password;
                }
                (Table::Smsc, "system_type") => c.smsc.system_type = f.short_string(12)?,
                (Table::Smsc, "bind") => {
                    c.smsc.bind = f.choice(&[
                        ("transmitter", BindMode::Transmitter),
                        ("receiver", BindMode::Receiver),
                        ("transceiver", BindMode::Transceiver),
                    ])?;
                }
                (Table::Smsc, "sessions") => c.smsc.sessions = f.u32(1, 64)?,
                (Table::Smsc, "window") => c.smsc.window = f.u32(1, 10_000)?,
                (Table::Smsc, "throughput") => c.smsc.throughput = f.u32(0, 1_000_000)?,
                (Table::Smsc, "enquire_link_secs") => {
                    let s = f.int(0, 86_400)? as u64;
                    c.smsc.enquire_link = (s > 0).then(|| Duration::from_secs(s));
                }
                (Table::Smsc, "response_timeout_secs") => {
                    c.smsc.response_timeout = Duration::from_secs(f.int(1, 3600)? as u64);
                }
                (Table::Smsc, "reconnect_min_ms") => {
                    c.smsc.reconnect_min = Duration::from_millis(f.int(10, 3_600_000)? as u64);
                }
                (Table::Smsc, "reconnect_max_ms") => {
                    c.smsc.reconnect_max = Duration::from_millis(f.int(10, 3_600_000)? as u64);
                    reconnect_max_line = Some(e.line);
                }
                (Table::Smsc, "source_addr") => {
                    let s = f.string()?;
                    if !is_valid_sender(s) {
                        return Err(f.bad(
                            "a phone number (digits, optional leading +) or 1 to 11 ASCII letters and digits",
                        ));
                    }
                    c.smsc.source_addr = Some(s.to_owned());
                }
                (Table::Smsc, "retries") => c.smsc.retries = f.u32(0, 1000)?,
                (Table::Outbind, "listen") => {
                    let s = f.string()?;
                    listen =
                        Some(s.parse::<SocketAddr>().map_err(|_| {
                            f.bad("an IP address and port, such as \"0.0.0.0:2776\"")
                        })?);
                }
                // parse_document only lets known keys through.
                _ => {}
            }
        }
        if c.smsc.reconnect_max < c.smsc.reconnect_min {
            let line = reconnect_max_line.unwrap_or(0);
            return Err(ConfigError::BadValue {
                line,
                key: "smsc.reconnect_max_ms".to_owned(),
                expected: format!(
                    "at least smsc.reconnect_min_ms ({})",
                    c.smsc.reconnect_min.as_millis()
                ),
                got: c.smsc.reconnect_max.as_millis().to_string(),
            });
        }
        if !host {
            return Err(ConfigError::Missing {
                key: "smsc.host",
                what: "the SMSC's host name or IP address, in the [smsc] table",
            });
        }
        if !system_id {
            return Err(ConfigError::Missing {
                key: "smsc.system_id",
                what: "the account to bind as, in the [smsc] table",
            });
        }
        if password_line.is_none() {
            return Err(ConfigError::Missing {
                key: "smsc.password",
                what: "the account's password, or smsc.password_file naming a file that holds it",
            });
        }
        if outbind_table {
            c.outbind = Some(OutbindConfig {
                listen: listen.ok_or(ConfigError::Missing {
                    key: "outbind.listen",
                    what: "the address to accept outbinds on; remove [outbind] to not accept them",
                })?,
            });
        }
        Ok(c)
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

    #[test]
    fn unknown_keys_and_tables() {
        assert_eq!(
            err("[smsc]\nhots = \"x\"\n"),
            format!(
                "line 2: unknown key smsc.hots (known here: {})",
                SMSC_KEYS.join(", ")
            )
        );
        assert!(err("spol = \"/x\"\n").starts_with("line 1: unknown key spol (known here: spool,"));
        assert_eq!(
            err("[smpp]\n"),
            "line 1: unknown table [smpp] (the tables are [smsc] and [outbind])"
        );
        assert_eq!(
            err("[outbind]\naddress = \"x\"\n"),
            "line 2: unknown key outbind.address (known here: listen)"
        );
        assert_eq!(
            err(&format!("{MINIMAL}[smsc]\n")),
            "line 5: table [smsc] is given twice"
        );
        assert_eq!(
            err(&format!("{MINIMAL}port = 1\nport = 2\n")),
            "line 6: smsc.port is given twice"
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        assert_eq!(
            err("[smsc]\nport = 70000\n"),
            "line 2: smsc.port must be an integer from 1 to 65535, not 70000"
        );
        assert_eq!(
            err("[smsc]\nport = \"2775\"\n"),
            "line 2: smsc.port must be an integer from 1 to 65535, not the string \"2775\""
        );
        assert_eq!(
            err("[smsc]\nbind = \"tx\"\n"),
            "line 2: smsc.bind must be one of \"transmitter\", \"receiver\", \"transceiver\", not the string \"tx\""
        );
        assert_eq!(
            err("latin1 = 1\n"),
            "line 1: latin1 must be true or false, not 1"
        );
        assert_eq!(
            err("[smsc]\nsystem_id = \"a_very_long_system_id\"\n"),
            "line 2: smsc.system_id must be a string of at most 15 characters, not the string \"a_very_long_system_id\""
        );
        assert_eq!(
            err("[smsc]\npassword = \"123456789\"\n"),
            "line 2: smsc.password must be a password of at most 8 characters (SMPP 3.4), not 9 characters"
        );
        assert_eq!(
            err("[outbind]\nlisten = \"localhost\"\n"),
            "line 2: outbind.listen must be an IP address and port, such as \"0.0.0.0:2776\", not the string \"localhost\""
        );
        assert_eq!(
            err("[smsc]\nsource_addr = \"Too Long Name\"\n"),
            "line 2: smsc.source_addr must be a phone number (digits, optional leading +) or 1 to 11 ASCII letters and digits, not the string \"Too Long Name\""
        );
        assert_eq!(
            err(&format!(
                "{MINIMAL}reconnect_min_ms = 1000\nreconnect_max_ms = 999\n"
            )),
            "line 6: smsc.reconnect_max_ms must be at least smsc.reconnect_min_ms (1000), not 999"
        );
        assert_eq!(
            err("instance = \"a/b\"\n"),
            "line 1: instance must be 1 to 64 ASCII letters, digits, '.', '_' or '-', not starting with '.', not the string \"a/b\""
        );
    }

    #[test]
    fn missing_keys() {
        assert_eq!(
            err(""),
            "missing smsc.host (the SMSC's host name or IP address, in the [smsc] table)"
        );
        assert_eq!(
            err("[smsc]\nhost = \"h\"\npassword = \"p\"\n"),
            "missing smsc.system_id (the account to bind as, in the [smsc] table)"
        );
        assert!(
            err("[smsc]\nhost = \"h\"\nsystem_id = \"s\"\n").starts_with("missing smsc.password (")
        );
        assert!(err(&format!("{MINIMAL}[outbind]\n")).starts_with("missing outbind.listen ("));
    }

    #[test]
    fn syntax_errors() {
        let cases = [
            ("just words\n", "line 1: expected key = value, or a [table]"),
            ("spool = \n", "line 1: missing value after ="),
            ("spool = \"/x\n", "line 1: string without its closing \""),
            ("spool = '/x\n", "line 1: string without its closing '"),
            ("spool = \"a\\qb\"\n", "line 1: unknown escape \\q in a string (use \\\\ for a backslash, or a 'literal string')"),
            ("spool = \"/x\" extra\n", "line 1: unexpected \"extra\" after the string"),
            ("max_parts = 1.5\n", "line 1: \"1.5\" is not a value (a \"string\", a decimal integer, true or false)"),
            ("max_parts = 99999999999999999999\n", "line 1: integer 99999999999999999999 is too large"),
            ("max_parts = [1]\n", "line 1: arrays are not supported"),
            ("max_parts = {a = 1}\n", "line 1: inline tables are not supported"),
            ("smsc.host = \"x\"\n", "line 1: dotted key smsc.host is not supported; put the key under its [table]"),
            ("\"spool\" = \"x\"\n", "line 1: quoted keys are not supported"),
            ("[[smsc]]\n", "line 1: arrays of tables are not supported"),
            ("[smsc\n", "line 1: table header without its closing ]"),
            ("[smsc] x\n", "line 1: unexpected \"x\" after the table header"),
            ("spool = \"\"\"x\"\"\"\n", "line 1: multi-line strings are not supported"),
            ("max_parts = 1__0\n", "line 1: \"1__0\" is not a value (a \"string\", a decimal integer, true or false)"),
        ];
        for (text, want) in cases {
            assert_eq!(err(text), want, "{text:?}");
        }
        assert_eq!(
            Config::parse("[smsc]\nport = 0\n").unwrap_err().line(),
            Some(2)
        );
    }

    #[test]
    fn escapes() {
        let c = Config::parse(&format!(
            "{MINIMAL}system_type = \"a\\tb\\u00e9\\U0001F600\"\n"
        ))
        .unwrap();
        assert_eq!(c.smsc.system_type, "a\tb\u{E9}\u{1F600}");
        assert!(err("spool = \"\\uZZZZ\"\n").starts_with("line 1: bad escape \\uZZZZ"));
        assert!(err("spool = \"\\uD800\"\n").starts_with("line 1: bad escape"));
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
        let both = format!("{text}password = \"x\"\n");
        assert_eq!(
            err(&both),
            "line 5: smsc.password: smsc.password_file is already given on line 4; give only one of them"
        );
        let missing = format!("{base}password_file = \"{}/nope\"\n", dir.display());
        assert!(err(&missing).starts_with("line 4: smsc.password_file: cannot read "));
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
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn example_file_parses() {
        let text = include_str!("../systemd/smppd.toml.example");
        // The example leaves its optional sections commented out.
        let c = Config::parse(text).unwrap();
        assert_eq!(c.smsc.system_id, "smppclient1");
        // Uncommenting every "#key = value" line still gives a valid file
        // (all but one of the two password keys).
        let uncommented: String = text
            .lines()
            .map(|l| match l.strip_prefix('#') {
                Some(rest)
                    if rest.contains(" = ")
                        && !rest.starts_with(' ')
                        && !rest.starts_with("password_file") =>
                {
                    rest.to_owned()
                }
                Some(rest) if rest.starts_with("[outbind]") => rest.to_owned(),
                _ => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = Config::parse(&uncommented).unwrap();
        assert!(c.metrics_file.is_some());
        assert!(c.outbind.is_some());
    }
}
