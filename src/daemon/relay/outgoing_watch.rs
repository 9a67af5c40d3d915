//! Noticing files in `outgoing/`, and deciding when one is complete enough
//! to claim.
//!
//! inotify reports what happens to the names in `outgoing/`. The watcher
//! thread reads those events into [`Watch`]'s marks and wakes the
//! submitter; the submitter also rescans every `scan_interval`, so a missed
//! event (or a filesystem without inotify, such as NFS) only delays a file.
//!
//! # The claim rule
//!
//! A name whose last event is a close-write (its writer wrote it in
//! `outgoing/` and closed it) or a moved-to (it was renamed in whole) is
//! *ready*: it is claimed at once. Any other file is claimed once it has
//! stayed unchanged (inode, size, modification and status change times to
//! the nanosecond) for `settle_ms`: one first seen by a scan (at start,
//! after the event queue overflowed, on SIGHUP, periodically), one created
//! or written and not closed yet (a writer at work, or a hard link, which
//! has no close). "Unchanged for `settle_ms`" is seen either by scans that
//! far apart, or from the file's status change time, which every write,
//! rename and `chmod` sets and nothing sets back. An empty file is never
//! claimed (`mktemp` makes one and `mv` fills it a moment later); one still
//! empty after `empty_grace_secs` is claimed to go to `failed/` as
//! `empty file`.
//!
//! A close-write event may be stale: smstools3's `sendsms` runs `mktemp`
//! in `outgoing/` (create, close: a close-write of an empty file), then
//! `mv` from another filesystem opens that placeholder, writes and closes
//! it. So a scan takes the event count before it reads the files, drains
//! the event queue after, and leaves for later every name that had an
//! event in between: the kernel queues an event when the write happens, so
//! a write that the read saw is in the queue by the time it is drained.

use super::Shared;
use crate::daemon::spool::Candidate;
use crate::runtime::sync::lock;
use inotify::{EventMask, Inotify, WatchMask};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};
use std::collections::{HashMap, HashSet};
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

const WAKE: Token = Token(0);
const INOTIFY: Token = Token(1);

/// How much older than the clock a file's status change time may read
/// for the same instant: the kernel stamps files from a clock that moves
/// once per tick (up to 10 ms).
const CTIME_SLACK: Duration = Duration::from_millis(20);

/// The events that say a name is ready: closed after writing, renamed in.
const READY: EventMask = EventMask::CLOSE_WRITE.union(EventMask::MOVED_TO);
/// The events that say a name changed and is not ready: created (by open,
/// `mktemp` or a hard link), written.
const CHANGED: EventMask = EventMask::CREATE.union(EventMask::MODIFY);

/// The last event for one name in `outgoing/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Mark {
    /// Its place in the sequence of all events read.
    seq: u64,
    /// Whether it was a close-write or a moved-to.
    ready: bool,
}

#[derive(Default)]
struct Marks {
    /// Events read so far (an overflow counts as one).
    seq: u64,
    names: HashMap<String, Mark>,
}

struct Queue {
    /// `None` once the watch is gone: rescans only.
    inotify: Option<Inotify>,
    buffer: Vec<u8>,
}

/// The inotify watch on `outgoing/` and what its events said.
pub(crate) struct Watch {
    /// Read by the watcher thread and by the submitter (see [`Watch::drain`]).
    queue: Mutex<Queue>,
    marks: Mutex<Marks>,
    /// Ends the watcher's wait at any instant: the eventfd stays readable
    /// until the poll sees it, so a wake-up sent before the wait is not
    /// lost.
    waker: Waker,
}

impl Watch {
    /// Watches `dir`; returns the watch and the poll for [`watcher`].
    pub(crate) fn new(dir: &Path) -> io::Result<(Watch, Poll)> {
        let inotify = Inotify::init()?;
        let mask = WatchMask::MOVED_TO
            | WatchMask::CLOSE_WRITE
            | WatchMask::CREATE
            | WatchMask::MODIFY
            | WatchMask::ATTRIB
            | WatchMask::ONLYDIR;
        inotify.watches().add(dir, mask)?;
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKE)?;
        poll.registry().register(
            &mut SourceFd(&inotify.as_raw_fd()),
            INOTIFY,
            Interest::READABLE,
        )?;
        let watch = Watch {
            queue: Mutex::new(Queue {
                inotify: Some(inotify),
                buffer: vec![0; 64 << 10],
            }),
            marks: Mutex::new(Marks::default()),
            waker,
        };
        Ok((watch, poll))
    }

    /// Ends [`watcher`]'s wait (it then looks at the stop flag).
    pub(crate) fn wake(&self) {
        if let Err(e) = self.waker.wake() {
            log::warn!("cannot wake the spool watcher: {e}");
        }
    }

    /// Reads every event queued, without waiting, into the marks. Whether
    /// there were any.
    pub(crate) fn drain(&self) -> bool {
        let mut queue = lock(&self.queue);
        let Queue { inotify, buffer } = &mut *queue;
        let mut any = false;
        loop {
            let Some(ino) = inotify.as_mut() else {
                return any;
            };
            let events = match ino.read_events(buffer) {
                Ok(events) => events,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return any,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("inotify: {e}: relying on rescans of outgoing/");
                    *inotify = None;
                    lock(&self.marks).forget_all();
                    return true;
                }
            };
            let mut marks = lock(&self.marks);
            let mut gone = false;
            for event in events {
                any = true;
                if event.mask.contains(EventMask::Q_OVERFLOW) {
                    log::debug!("inotify queue overflowed: files settle before they are claimed");
                    marks.forget_all();
                } else if event.mask.contains(EventMask::IGNORED) {
                    gone = true;
                } else if let Some(name) = event.name.and_then(|n| n.to_str()) {
                    if !event.mask.contains(EventMask::ISDIR) && !name.starts_with('.') {
                        marks.note(name, event.mask);
                    }
                }
            }
            if gone {
                log::warn!(
                    "outgoing/ is no longer watched (removed or unmounted): relying on rescans"
                );
                marks.forget_all();
                *inotify = None;
            }
        }
    }

    /// The number of events read so far.
    fn seq(&self) -> u64 {
        lock(&self.marks).seq
    }
}

impl Marks {
    fn note(&mut self, name: &str, mask: EventMask) {
        let ready = mask.intersects(READY);
        // An attribute change alone (chmod, touch) says nothing about the
        // contents.
        if !ready && !mask.intersects(CHANGED) {
            return;
        }
        self.seq += 1;
        let mark = Mark {
            seq: self.seq,
            ready,
        };
        match self.names.get_mut(name) {
            Some(m) => *m = mark,
            None => {
                self.names.insert(name.to_owned(), mark);
            }
        }
    }

    /// Events were lost (or the watch is gone): no mark can be trusted.
    fn forget_all(&mut self) {
        self.seq += 1;
        self.names.clear();
    }
}

/// The watcher thread: waits for events or the stop, reads the events into
/// the marks, and wakes the submitter. Returns when the relay stops
/// ([`Watch::wake`] ends the wait at any instant) or the watch is gone.
pub(crate) fn watcher(shared: &Shared, mut poll: Poll) {
    let Some(watch) = &shared.watch else {
        return;
    };
    let mut events = Events::with_capacity(4);
    loop {
        if shared.stopping() {
            return;
        }
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            log::warn!("cannot wait for inotify events ({e}): relying on rescans");
            return;
        }
        if shared.stopping() {
            return;
        }
        if watch.drain() {
            shared.wake();
        }
        if lock(&watch.queue).inotify.is_none() {
            return;
        }
    }
}

/// What one scan decided.
pub(crate) struct Selected {
    /// The files to claim now, in the scan's order.
    pub(crate) claim: Vec<Candidate>,
    /// When a file left waiting may be claimable: scan again then.
    pub(crate) next_check: Option<Instant>,
}

/// The claim rule, as the submitter applies it scan after scan.
pub(crate) struct ClaimRule {
    settle: Duration,
    empty_grace: Duration,
    /// Files waiting to settle (or, empty, for their grace): how each was
    /// when first seen so, and since when.
    seen: HashMap<String, (Candidate, Instant)>,
    /// The files the last scan found complete (picked to be claimed): the
    /// next scan takes those still there from here instead of reading
    /// them again.
    complete: HashMap<String, Candidate>,
}

/// A mark of the events read before a scan looked at the files.
pub(crate) struct Before(Option<u64>);

impl ClaimRule {
    pub(crate) fn new(settle: Duration, empty_grace: Duration) -> ClaimRule {
        ClaimRule {
            settle,
            empty_grace,
            seen: HashMap::new(),
            complete: HashMap::new(),
        }
    }

    /// The files the last scan found complete, by name, for
    /// [`Spool::scan_outgoing_known`](crate::daemon::spool::Spool::scan_outgoing_known).
    pub(crate) fn complete(&self) -> &HashMap<String, Candidate> {
        &self.complete
    }

    /// To call before a scan reads the files: drains the events queued so
    /// far, and notes how many there were.
    pub(crate) fn before_scan(watch: Option<&Watch>) -> Before {
        Before(watch.map(|w| {
            w.drain();
            w.seq()
        }))
    }

    /// Picks the files of a scan that may be claimed now. Drains the
    /// events that arrived while the scan read the files (waking the
    /// submitter through `wake` if there were any, to look at those names
    /// again).
    pub(crate) fn select(
        &mut self,
        watch: Option<&Watch>,
        before: Before,
        candidates: Vec<Candidate>,
        wake: impl FnOnce(),
    ) -> Selected {
        if watch.is_some_and(Watch::drain) {
            wake();
        }
        let now = Instant::now();
        let wall = SystemTime::now();
        let mut seen = HashMap::new();
        let mut claim = Vec::with_capacity(candidates.len());
        let mut next_check: Option<Instant> = None;
        let mut later = |at: Instant| {
            next_check = Some(next_check.map_or(at, |n| n.min(at)));
        };
        let mut marks = watch.map(|w| lock(&w.marks));
        let before = before.0.unwrap_or(0);
        if let Some(m) = marks.as_mut().filter(|m| !m.names.is_empty()) {
            // Marks of names gone from outgoing/ (claimed, removed) go; a
            // file picked now but not claimed yet (no room) keeps its own,
            // and a newer event its mark.
            let listed: HashSet<&str> = candidates.iter().map(|c| c.name.as_str()).collect();
            m.names
                .retain(|name, m| m.seq > before || listed.contains(name.as_str()));
        }
        for c in candidates {
            let mark = marks.as_ref().and_then(|m| m.names.get(&c.name)).copied();
            if mark.is_some_and(|m| m.seq > before) {
                // Changed while the scan read it: what was read may be
                // incomplete. The event woke the submitter.
                continue;
            }
            let ready = mark.is_some_and(|m| m.ready);
            if ready && c.len > 0 {
                claim.push(c);
                continue;
            }
            let wait = if c.len == 0 {
                self.empty_grace
            } else {
                self.settle
            };
            let unchanged = self.unchanged_for(&c, wait, now, wall, &mut seen);
            if unchanged < wait {
                later(now + (wait - unchanged));
                continue;
            }
            if c.len == 0 {
                log::info!(
                    "{}: still empty after {}s: to failed/",
                    c.name,
                    self.empty_grace.as_secs()
                );
            }
            claim.push(c);
        }
        drop(marks);
        self.seen = seen;
        self.complete = claim.iter().map(|c| (c.name.clone(), c.clone())).collect();
        Selected { claim, next_check }
    }

    /// How long `c` is known to have stayed as it is now: since its status
    /// change time, or (if that says less than `wait`: the clock may have
    /// been set back) since a scan first saw it so, whichever is longer.
    /// Files that wait are remembered in `seen`.
    fn unchanged_for(
        &self,
        c: &Candidate,
        wait: Duration,
        now: Instant,
        wall: SystemTime,
        seen: &mut HashMap<String, (Candidate, Instant)>,
    ) -> Duration {
        let by_ctime = wall
            .duration_since(c.changed)
            .map_or(Duration::ZERO, |d| d.saturating_sub(CTIME_SLACK));
        if by_ctime >= wait {
            return by_ctime;
        }
        let since = match self.seen.get(&c.name) {
            Some((earlier, since)) if earlier.same_as(c) => *since,
            _ => now,
        };
        seen.insert(c.name.clone(), (c.clone(), since));
        now.duration_since(since).max(by_ctime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::spool::{Spool, SpoolDir};
    use std::fs::{self, OpenOptions};
    use std::io::Write;
    use std::path::PathBuf;

    /// A spool in a fresh temporary directory, removed on drop.
    struct TempSpool {
        root: PathBuf,
        spool: Spool,
    }

    impl TempSpool {
        fn new(tag: &str) -> TempSpool {
            let root =
                std::env::temp_dir().join(format!("smpp-watch-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            let spool = Spool::open(&root).unwrap();
            TempSpool { root, spool }
        }

        fn outgoing(&self) -> PathBuf {
            self.spool.dir(SpoolDir::Outgoing)
        }
    }

    impl Drop for TempSpool {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    /// One scan as the submitter runs it: events drained, files read,
    /// events drained again; `between` runs after the files were read.
    fn scan(
        rule: &mut ClaimRule,
        watch: Option<&Watch>,
        spool: &Spool,
        between: impl FnOnce(),
    ) -> (Vec<String>, Option<Instant>, bool) {
        let before = ClaimRule::before_scan(watch);
        let candidates = spool.scan_outgoing().unwrap();
        between();
        let mut woken = false;
        let s = rule.select(watch, before, candidates, || woken = true);
        let names = s.claim.into_iter().map(|c| c.name).collect();
        (names, s.next_check, woken)
    }

    const LONG: Duration = Duration::from_secs(3600);

    #[test]
    fn a_stale_close_write_does_not_claim_a_file_being_written() {
        let t = TempSpool::new("stale");
        let (watch, _poll) = Watch::new(&t.outgoing()).unwrap();
        let mut rule = ClaimRule::new(LONG, LONG);
        let path = t.outgoing().join("send_x");
        // mktemp: created and closed empty (a close-write).
        fs::File::create(&path).unwrap();
        let (claimed, next, _) = scan(&mut rule, Some(&watch), &t.spool, || {});
        assert!(claimed.is_empty(), "an empty file was claimed");
        assert!(next.is_some(), "an empty file waits for its grace");
        // mv from another filesystem opens the placeholder and writes part
        // of the message, while the scan reads it: the close-write of
        // mktemp is the last event the scan saw before reading.
        let mut writer = OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        let (claimed, _, woken) = scan(&mut rule, Some(&watch), &t.spool, || {
            writer.write_all(b"To: 4917").unwrap();
        });
        assert!(
            claimed.is_empty(),
            "claimed while being written: {claimed:?}"
        );
        assert!(woken, "the events drained by the scan wake the submitter");
        // Written, not closed: it waits (settle_ms is an hour).
        writer.write_all(b"21234567\n\nhello").unwrap();
        let (claimed, _, _) = scan(&mut rule, Some(&watch), &t.spool, || {});
        assert!(claimed.is_empty(), "claimed before its writer closed it");
        // Closed: claimed at once.
        drop(writer);
        let (claimed, _, _) = scan(&mut rule, Some(&watch), &t.spool, || {});
        assert_eq!(claimed, ["send_x"]);
    }

    #[test]
    fn renamed_files_are_ready_at_once() {
        let t = TempSpool::new("renamed");
        let (watch, _poll) = Watch::new(&t.outgoing()).unwrap();
        let mut rule = ClaimRule::new(LONG, LONG);
        let temp = t.root.join("temp");
        fs::write(&temp, b"To: 491721234567\n\nhi").unwrap();
        fs::rename(&temp, t.outgoing().join("a")).unwrap();
        // Also over an empty placeholder, as mv on one filesystem does.
        fs::File::create(t.outgoing().join("b")).unwrap();
        fs::write(&temp, b"To: 491721234567\n\nhi").unwrap();
        fs::rename(&temp, t.outgoing().join("b")).unwrap();
        let (mut claimed, _, _) = scan(&mut rule, Some(&watch), &t.spool, || {});
        claimed.sort();
        assert_eq!(claimed, ["a", "b"]);
    }

    #[test]
    fn files_without_events_settle() {
        let t = TempSpool::new("settle");
        fs::write(t.outgoing().join("old"), b"To: 491721234567\n\nhi").unwrap();
        // No watch (as on NFS, or files from before the start): fresh
        // files wait for settle_ms...
        let mut rule = ClaimRule::new(LONG, LONG);
        let (claimed, next, _) = scan(&mut rule, None, &t.spool, || {});
        assert!(claimed.is_empty());
        let next = next.expect("a time to look again");
        assert!(next > Instant::now() + LONG - Duration::from_secs(60));
        // ...and are claimed once they have been unchanged that long (here
        // no time at all).
        let mut rule = ClaimRule::new(Duration::ZERO, LONG);
        let (claimed, next, _) = scan(&mut rule, None, &t.spool, || {});
        assert_eq!(claimed, ["old"]);
        assert_eq!(next, None);
        // A watched file created and written but not closed settles too
        // (a hard link has no close).
        let (watch, _poll) = Watch::new(&t.outgoing()).unwrap();
        let mut rule = ClaimRule::new(LONG, LONG);
        fs::hard_link(t.outgoing().join("old"), t.outgoing().join("linked")).unwrap();
        fs::remove_file(t.outgoing().join("old")).unwrap();
        let (claimed, next, _) = scan(&mut rule, Some(&watch), &t.spool, || {});
        assert!(claimed.is_empty());
        assert!(next.is_some());
    }

    #[test]
    fn empty_files_are_claimed_after_their_grace() {
        let t = TempSpool::new("empty");
        let (watch, _poll) = Watch::new(&t.outgoing()).unwrap();
        fs::File::create(t.outgoing().join("empty")).unwrap();
        let mut rule = ClaimRule::new(Duration::ZERO, LONG);
        let (claimed, next, _) = scan(&mut rule, Some(&watch), &t.spool, || {});
        assert!(
            claimed.is_empty(),
            "an empty file is never claimed as a message"
        );
        assert!(next.is_some());
        let mut rule = ClaimRule::new(Duration::ZERO, Duration::ZERO);
        let (claimed, _, _) = scan(&mut rule, Some(&watch), &t.spool, || {});
        assert_eq!(claimed, ["empty"]);
    }

    #[test]
    fn a_wake_before_the_wait_ends_it() {
        let t = TempSpool::new("wake");
        let (watch, mut poll) = Watch::new(&t.outgoing()).unwrap();
        watch.wake();
        let mut events = Events::with_capacity(4);
        poll.poll(&mut events, Some(Duration::from_secs(30)))
            .unwrap();
        assert!(events.iter().any(|e| e.token() == WAKE));
    }
}
