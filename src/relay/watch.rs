//! Noticing new files in `outgoing/` at once: inotify wakes the submitter
//! on every file renamed or written into it. The submitter also rescans
//! every `scan_interval`, so a missed event (or a filesystem without
//! inotify, such as NFS) only delays a file.

use super::Shared;
use crate::spool::SpoolDir;
use inotify::{Inotify, WatchMask};

/// The watcher thread. Returns when the relay stops (the stop touches a
/// dot-file in `outgoing/` to wake it).
pub(crate) fn watcher(shared: &Shared) {
    let dir = shared.spool.dir(SpoolDir::Outgoing);
    let mut inotify = match Inotify::init() {
        Ok(i) => i,
        Err(e) => {
            log::warn!("inotify unavailable ({e}): relying on rescans");
            return;
        }
    };
    let mask = WatchMask::MOVED_TO | WatchMask::CLOSE_WRITE | WatchMask::ATTRIB;
    if let Err(e) = inotify.watches().add(&dir, mask) {
        log::warn!("cannot watch {} ({e}): relying on rescans", dir.display());
        return;
    }
    let mut buffer = [0u8; 4096];
    loop {
        match inotify.read_events_blocking(&mut buffer) {
            Ok(events) => {
                if events.count() > 0 {
                    shared.wake();
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                log::warn!("inotify: {e}: relying on rescans");
                return;
            }
        }
        if shared.stopping() {
            return;
        }
    }
}

/// Wakes the watcher so it sees the stop flag.
pub(crate) fn poke(shared: &Shared) {
    let path = shared
        .spool
        .dir(SpoolDir::Outgoing)
        .join(format!(".smppd-stop-{}", std::process::id()));
    if std::fs::write(&path, b"").is_ok() {
        let _ = std::fs::remove_file(&path);
    }
}
