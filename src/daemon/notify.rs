//! The systemd notification protocol (`sd_notify(3)`), with the standard
//! library only.
//!
//! Under a `Type=notify` unit, systemd sets `NOTIFY_SOCKET` to a Unix
//! datagram socket: a path, or an abstract name written with a leading `@`.
//! Each notification is one datagram of `KEY=VALUE` lines. Without
//! `NOTIFY_SOCKET` every function here does nothing and returns `Ok(false)`.
//!
//! ```no_run
//! use smpp::daemon::notify;
//!
//! // Once bound:
//! notify::ready().ok();
//! notify::status("bound to smsc.example.net, 0 files waiting").ok();
//! if let Some(interval) = notify::watchdog_interval() {
//!     // Call notify::watchdog() every interval / 2.
//! #   let _ = interval;
//! }
//! // On SIGTERM:
//! notify::stopping().ok();
//! ```
//!
//! Not covered: file descriptor passing (`FDSTORE=1`), `vsock:` addresses,
//! and `RELOADING=1` (it needs a monotonic timestamp the standard library
//! does not expose).

use std::env;
use std::io;
use std::time::Duration;

/// A connection to a notification socket.
#[derive(Debug)]
pub struct Notifier {
    #[cfg(unix)]
    socket: std::os::unix::net::UnixDatagram,
    #[cfg(unix)]
    addr: std::os::unix::net::SocketAddr,
}

#[cfg(unix)]
impl Notifier {
    /// A notifier for the socket `NOTIFY_SOCKET` names; `Ok(None)` when it
    /// is unset or empty.
    pub fn from_env() -> io::Result<Option<Notifier>> {
        match env::var_os("NOTIFY_SOCKET") {
            Some(v) if !v.is_empty() => Notifier::new(&v.to_string_lossy()).map(Some),
            _ => Ok(None),
        }
    }

    /// A notifier for `target`: a socket path, or `@name` for an abstract
    /// socket (Linux only).
    pub fn new(target: &str) -> io::Result<Notifier> {
        use std::os::unix::net::{SocketAddr, UnixDatagram};
        let addr = if let Some(name) = target.strip_prefix('@') {
            abstract_addr(name.as_bytes())?
        } else if target.starts_with('/') {
            SocketAddr::from_pathname(target)?
        } else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                format!("NOTIFY_SOCKET {target:?} is neither a path nor an @abstract name"),
            ));
        };
        Ok(Notifier {
            socket: UnixDatagram::unbound()?,
            addr,
        })
    }

    /// Sends `state`, one or more `KEY=VALUE` lines, as one datagram.
    pub fn notify(&self, state: &str) -> io::Result<()> {
        let sent = self.socket.send_to_addr(state.as_bytes(), &self.addr)?;
        if sent != state.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                "notification datagram was truncated",
            ));
        }
        Ok(())
    }
}

#[cfg(target_os = "linux")]
fn abstract_addr(name: &[u8]) -> io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    std::os::unix::net::SocketAddr::from_abstract_name(name)
}

#[cfg(all(unix, not(target_os = "linux")))]
fn abstract_addr(_name: &[u8]) -> io::Result<std::os::unix::net::SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract sockets exist only on Linux",
    ))
}

#[cfg(not(unix))]
impl Notifier {
    /// Always `Ok(None)`: there is no systemd here.
    pub fn from_env() -> io::Result<Option<Notifier>> {
        Ok(None)
    }

    /// Unsupported on this platform.
    pub fn new(_target: &str) -> io::Result<Notifier> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "systemd notification needs Unix sockets",
        ))
    }

    /// Unsupported on this platform.
    pub fn notify(&self, _state: &str) -> io::Result<()> {
        Ok(())
    }
}

/// Sends `state` to `NOTIFY_SOCKET`: `Ok(true)` if sent, `Ok(false)` if the
/// variable is unset.
pub fn notify(state: &str) -> io::Result<bool> {
    match Notifier::from_env()? {
        Some(n) => n.notify(state).map(|()| true),
        None => Ok(false),
    }
}

/// `READY=1`: start-up is finished.
pub fn ready() -> io::Result<bool> {
    notify("READY=1")
}

/// `STATUS=...`: a one-line status for `systemctl status`. Line breaks in
/// `text` become spaces.
pub fn status(text: &str) -> io::Result<bool> {
    notify(&status_message(text))
}

/// `WATCHDOG=1`: the service is alive.
pub fn watchdog() -> io::Result<bool> {
    notify("WATCHDOG=1")
}

/// `STOPPING=1`: shutdown has begun.
pub fn stopping() -> io::Result<bool> {
    notify("STOPPING=1")
}

/// Whether stderr is connected to the journal (`JOURNAL_STREAM` names its
/// device and inode), so log lines need no timestamp of their own.
#[cfg(unix)]
pub fn stderr_is_journal() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let Some(value) = env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(fd) = io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    journal_stream_matches(&value.to_string_lossy(), meta.dev(), meta.ino())
}

/// Whether stderr is connected to the journal; never off Unix.
#[cfg(not(unix))]
pub fn stderr_is_journal() -> bool {
    false
}

/// Whether a `JOURNAL_STREAM` value (`DEVICE:INODE`, decimal) names the file
/// with this device and inode number.
pub fn journal_stream_matches(value: &str, dev: u64, ino: u64) -> bool {
    value
        .trim()
        .split_once(':')
        .and_then(|(d, i)| Some((d.parse::<u64>().ok()?, i.parse::<u64>().ok()?)))
        == Some((dev, ino))
}

/// The `STATUS=` datagram for `text`.
pub fn status_message(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    format!("STATUS={one_line}")
}

/// The watchdog timeout systemd expects pings within (`WatchdogSec=`), from
/// `WATCHDOG_USEC`; `None` if unset, zero or unreadable, or if
/// `WATCHDOG_PID` is set to another process. Ping at half this interval.
pub fn watchdog_interval() -> Option<Duration> {
    let usec = env::var("WATCHDOG_USEC").ok();
    let pid = env::var("WATCHDOG_PID").ok();
    watchdog_interval_from(usec.as_deref(), pid.as_deref(), std::process::id())
}

/// [`watchdog_interval`] from given values of `WATCHDOG_USEC` and
/// `WATCHDOG_PID`, for process `our_pid`.
pub fn watchdog_interval_from(
    usec: Option<&str>,
    pid: Option<&str>,
    our_pid: u32,
) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok()? != our_pid {
            return None;
        }
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::net::UnixDatagram;

    fn recv(sock: &UnixDatagram) -> String {
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut buf = [0u8; 512];
        let n = sock.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn datagrams_reach_a_path_socket() {
        let dir = env::temp_dir().join(format!("smpp-notify-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.sock");
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::new(path.to_str().unwrap()).unwrap();
        n.notify("READY=1").unwrap();
        assert_eq!(recv(&sock), "READY=1");
        n.notify(&status_message("2 binds\nup")).unwrap();
        assert_eq!(recv(&sock), "STATUS=2 binds up");
        n.notify("WATCHDOG=1").unwrap();
        assert_eq!(recv(&sock), "WATCHDOG=1");
        n.notify("STOPPING=1").unwrap();
        assert_eq!(recv(&sock), "STOPPING=1");
        drop(sock);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn datagrams_reach_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        use std::os::unix::net::SocketAddr;
        let name = format!("smpp-notify-test-{}", std::process::id());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let sock = UnixDatagram::bind_addr(&addr).unwrap();
        let n = Notifier::new(&format!("@{name}")).unwrap();
        n.notify("READY=1\nSTATUS=ok").unwrap();
        assert_eq!(recv(&sock), "READY=1\nSTATUS=ok");
    }

    #[test]
    fn bad_targets() {
        assert_eq!(
            Notifier::new("relative/path").unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
        assert!(Notifier::new("vsock:2:1234").is_err());
        // A path nobody listens on: creating works, sending fails.
        let n = Notifier::new("/nonexistent/smpp-notify.sock").unwrap();
        assert!(n.notify("READY=1").is_err());
    }

    #[test]
    fn unset_socket_is_a_no_op() {
        // Only checkable when the tests do not themselves run under systemd.
        if env::var_os("NOTIFY_SOCKET").is_none() {
            assert!(!ready().unwrap());
            assert!(!status("x").unwrap());
            assert!(!watchdog().unwrap());
            assert!(!stopping().unwrap());
        }
    }

    #[test]
    fn journal_stream_values() {
        assert!(journal_stream_matches("8:12345", 8, 12345));
        assert!(!journal_stream_matches("8:12345", 8, 1));
        assert!(!journal_stream_matches("8", 8, 12345));
        assert!(!journal_stream_matches("x:y", 0, 0));
        if env::var_os("JOURNAL_STREAM").is_none() {
            assert!(!stderr_is_journal());
        }
    }

    #[test]
    fn watchdog_values() {
        let d = Some(Duration::from_secs(30));
        assert_eq!(watchdog_interval_from(Some("30000000"), None, 7), d);
        assert_eq!(watchdog_interval_from(Some("30000000"), Some("7"), 7), d);
        assert_eq!(watchdog_interval_from(Some("30000000"), Some("8"), 7), None);
        assert_eq!(watchdog_interval_from(Some("30000000"), Some("x"), 7), None);
        assert_eq!(watchdog_interval_from(Some("0"), None, 7), None);
        assert_eq!(watchdog_interval_from(Some("abc"), None, 7), None);
        assert_eq!(watchdog_interval_from(None, Some("7"), 7), None);
    }
}
