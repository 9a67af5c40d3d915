//! Value parsers shared by the binaries' command lines: each error says
//! what the value must be; clap names the flag and exits with status 2.

#![allow(dead_code)] // each binary uses a different subset

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// `HOST:PORT`: an IP address and port, or a host name and port (resolved
/// when it is used).
pub(crate) fn host_port(s: &str) -> Result<String, String> {
    if s.parse::<SocketAddr>().is_ok() {
        return Ok(s.to_owned());
    }
    let expected = "expected HOST:PORT, such as 127.0.0.1:2775 or smsc.example.net:2775";
    let (host, port) = s.rsplit_once(':').ok_or(expected)?;
    let host_ok = !host.is_empty()
        && !host.contains(':')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if !host_ok || port.parse::<u16>().is_err() {
        return Err(expected.to_owned());
    }
    Ok(s.to_owned())
}

/// An integer in `range`.
pub(crate) fn in_range<T>(s: &str, range: RangeInclusive<T>) -> Result<T, String>
where
    T: FromStr + PartialOrd + std::fmt::Display,
{
    let expected = format!(
        "expected an integer from {} to {}",
        range.start(),
        range.end()
    );
    match s.parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(expected),
    }
}

/// A string of at most `max` bytes without NUL (an SMPP C-Octet String
/// field of `max + 1` octets).
pub(crate) fn short_string(s: &str, max: usize) -> Result<String, String> {
    if s.len() <= max && !s.contains('\0') {
        Ok(s.to_owned())
    } else {
        Err(format!("at most {max} characters"))
    }
}
