//! What survives a crash: the progress log of the files a daemon holds.
//!
//! Each daemon instance keeps one append-only log under the spool root,
//! `.smppd/progress/OWNER.log`. Records are lines ending in a CRC-32 of the
//! line, so that a torn or garbled tail is recognised and cut off; a `done`
//! record is followed by a payload:
//!
//! ```text
//! claim KEY INO NAME 5d8a21c0
//! part KEY 0 7b2a3f9c 3e1b0a52
//! done KEY sent 187 0c7d11fe 1c291ca3
//! <187 bytes: the result file>
//! result KEY failed NAME.1 4711 b1c0f4d9
//! ```
//!
//! - `claim KEY INO NAME`: the file `NAME` is held as `checked/KEY`, inode
//!   `INO`. It starts a new life of `KEY`: earlier records of `KEY` no
//!   longer count. Written before the file is moved into `checked/`.
//! - `part KEY N ID`: part `N` (from 0) was accepted with message id `ID`.
//!   A later record for the same part replaces the earlier one.
//! - `done KEY sent|failed LEN CRC` + `LEN` bytes: the file's result, to be
//!   written over `checked/KEY` and moved to `sent/` or `failed/`. Durable
//!   before the file is overwritten, so a crash in the middle is finished
//!   from here.
//! - `result KEY sent|failed TARGET INO`: for a result written as a new file
//!   instead (too large to keep here, not writable in place, or with other
//!   hard links), the name chosen for it and the new file's inode, recorded
//!   before it is placed so that finishing twice writes one result file (a
//!   file of that name is this result only if it has that inode).
//!
//! Fields are escaped (`%XX` for spaces, `%` and anything but printable
//! ASCII). Reading stops at the first record that does not check out; what
//! follows is cut off before anything is appended.
//!
//! The log only grows while files are held: once it passes a size that
//! depends on what it still has to remember, it is rewritten with the
//! records of the files still held (`ProgressLog::compact`), to a
//! temporary file that is synced and renamed over it.
//!
//! Appending costs a `write`; `ProgressLog::sync` makes everything
//! appended so far durable, and callers that sync at the same time share one
//! `fdatasync` (group commit).

use super::durable::{ensure_dir, fsync_dir, retry_new_dir};
use super::records::{crc32, escape, unescape, verify_line};
use crate::runtime::sync::lock;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How a file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Moved to `sent/`.
    Sent,
    /// Moved to `failed/`.
    Failed,
}

impl Outcome {
    /// `sent` or `failed`, as in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "sent" => Some(Outcome::Sent),
            "failed" => Some(Outcome::Failed),
            _ => None,
        }
    }
}

/// What the progress log knows of one held file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Part index (from 0) to message id, for every accepted part.
    pub parts: BTreeMap<usize, String>,
    /// How it ends, once that was decided.
    pub result: Option<Outcome>,
}

/// One life of a key in `checked/`, as the log records it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    /// The inode the claim was made for (0: unknown).
    pub(crate) ino: u64,
    /// The file's name outside `checked/`.
    pub(crate) name: String,
    /// Accepted parts.
    pub(crate) parts: BTreeMap<usize, String>,
    /// The result to write in place, once decided.
    pub(crate) done: Option<(Outcome, Arc<Vec<u8>>)>,
    /// The name chosen for a result written as a new file, and that
    /// file's inode (a file of that name is this result only if it has it).
    pub(crate) result: Option<(Outcome, String, u64)>,
}

impl Entry {
    pub(crate) fn progress(&self) -> Progress {
        Progress {
            parts: self.parts.clone(),
            result: self
                .done
                .as_ref()
                .map(|(o, _)| *o)
                .or(self.result.as_ref().map(|(o, _, _)| *o)),
        }
    }
}

/// Appends `text CRC\n` to `buf`.
fn push_line(buf: &mut Vec<u8>, text: &str) {
    buf.extend_from_slice(text.as_bytes());
    buf.extend_from_slice(format!(" {:08x}\n", crc32(text.as_bytes())).as_bytes());
}

fn push_claim(buf: &mut Vec<u8>, key: &str, ino: u64, name: &str) {
    push_line(
        buf,
        &format!("claim {} {ino} {}", escape(key), escape(name)),
    );
}

fn push_part(buf: &mut Vec<u8>, key: &str, index: usize, id: &str) {
    push_line(buf, &format!("part {} {index} {}", escape(key), escape(id)));
}

fn push_done(buf: &mut Vec<u8>, key: &str, outcome: Outcome, data: &[u8]) {
    push_line(
        buf,
        &format!(
            "done {} {} {} {:08x}",
            escape(key),
            outcome.as_str(),
            data.len(),
            crc32(data)
        ),
    );
    buf.extend_from_slice(data);
}

fn push_result(buf: &mut Vec<u8>, key: &str, outcome: Outcome, target: &str, ino: u64) {
    push_line(
        buf,
        &format!(
            "result {} {} {} {ino}",
            escape(key),
            outcome.as_str(),
            escape(target)
        ),
    );
}

fn push_entry(buf: &mut Vec<u8>, key: &str, e: &Entry) {
    push_claim(buf, key, e.ino, &e.name);
    for (i, id) in &e.parts {
        push_part(buf, key, *i, id);
    }
    if let Some((o, data)) = &e.done {
        push_done(buf, key, *o, data);
    }
    if let Some((o, target, ino)) = &e.result {
        push_result(buf, key, *o, target, *ino);
    }
}

/// Reads log data: the state of every key, and the length of the prefix
/// made of whole, valid records (what follows is torn or garbled).
pub(crate) fn parse(data: &[u8]) -> (HashMap<String, Entry>, usize) {
    let mut map: HashMap<String, Entry> = HashMap::new();
    let mut pos = 0;
    while pos < data.len() {
        let Some(nl) = data[pos..].iter().position(|&b| b == b'\n') else {
            break;
        };
        let Some(text) = verify_line(&data[pos..pos + nl]) else {
            break;
        };
        let mut next = pos + nl + 1;
        let f: Vec<&str> = text.split(' ').collect();
        let applied = match f[..] {
            ["claim", key, ino, name] => (|| {
                let entry = Entry {
                    ino: ino.parse().ok()?,
                    name: unescape(name)?,
                    ..Entry::default()
                };
                map.insert(unescape(key)?, entry);
                Some(())
            })(),
            ["part", key, n, id] => (|| {
                let e = map.get_mut(&unescape(key)?)?;
                e.parts.insert(n.parse().ok()?, unescape(id)?);
                Some(())
            })(),
            ["done", key, outcome, len, crc] => {
                let (Ok(len), Ok(crc)) = (len.parse::<usize>(), u32::from_str_radix(crc, 16))
                else {
                    break;
                };
                let Some(payload) = data.get(next..next.saturating_add(len)) else {
                    break; // torn payload
                };
                if crc32(payload) != crc {
                    break;
                }
                next += len;
                (|| {
                    let e = map.get_mut(&unescape(key)?)?;
                    e.done = Some((Outcome::parse(outcome)?, Arc::new(payload.to_vec())));
                    Some(())
                })()
            }
            ["result", key, outcome, target, ino] => (|| {
                let e = map.get_mut(&unescape(key)?)?;
                e.result = Some((
                    Outcome::parse(outcome)?,
                    unescape(target)?,
                    ino.parse().ok()?,
                ));
                Some(())
            })(),
            _ => None,
        };
        if applied.is_none() {
            log::debug!("progress log: record at offset {pos} ignored: {text}");
        }
        pos = next;
    }
    (map, pos)
}

/// The smallest size at which the log is compacted.
const MIN_COMPACT_LEN: u64 = 4 << 20;

#[derive(Debug)]
struct LogState {
    file: Arc<File>,
    len: u64,
    /// Appends so far; [`ProgressLog::synced`] trails it.
    written: u64,
    /// Records held back, to be written with the next append or sync.
    pending: Vec<u8>,
    /// A write failed part-way: the file may end in a partial record, so
    /// the next append rewrites it whole first.
    broken: bool,
    /// The files held now, by key.
    live: HashMap<String, Entry>,
    /// What the log held when it was opened, for recovery.
    loaded: HashMap<String, Entry>,
    compact_at: u64,
}

/// One daemon instance's progress log; see the [module docs](self).
#[derive(Debug)]
pub(crate) struct ProgressLog {
    /// `OWNER.lock`, locked (`flock`) while this log is open.
    _lock: File,
    dir: PathBuf,
    path: PathBuf,
    state: Mutex<LogState>,
    /// Serialises syncs, so that callers arriving during one share the next.
    sync_gate: Mutex<()>,
    /// The count of appends known durable.
    synced: AtomicU64,
}

impl ProgressLog {
    /// The directory under the spool root that holds the logs.
    pub(crate) const DIR: &'static str = ".smppd/progress";

    /// Opens (creating it if needed) the log of `owner` under `spool_root`,
    /// reads it, and cuts off a torn tail.
    pub(crate) fn open(spool_root: &Path, owner: &str) -> io::Result<ProgressLog> {
        let dir = spool_root.join(Self::DIR);
        ensure_dir(&dir)?;
        let path = dir.join(format!("{owner}.log"));
        // The lock is on a file of its own: the log itself is replaced by
        // each compaction.
        let lock_file = retry_new_dir(|| {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(dir.join(format!("{owner}.lock")))
        })?;
        rustix::fs::flock(&lock_file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(
            |e| {
                if e == rustix::io::Errno::WOULDBLOCK {
                    io::Error::new(
                        io::ErrorKind::WouldBlock,
                        format!("another process holds it: is a second daemon running with the instance id {owner}?"),
                    )
                } else {
                    e.into()
                }
            },
        )?;
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        let (loaded, valid) = parse(&data);
        if valid < data.len() {
            log::warn!(
                "progress log {}: {} bytes after offset {valid} are torn or garbled; cut off",
                path.display(),
                data.len() - valid
            );
            file.set_len(valid as u64)?;
            file.sync_all()?;
        }
        Ok(ProgressLog {
            _lock: lock_file,
            dir,
            path,
            state: Mutex::new(LogState {
                file: Arc::new(file),
                len: valid as u64,
                written: 0,
                pending: Vec::new(),
                broken: false,
                live: HashMap::new(),
                loaded,
                compact_at: MIN_COMPACT_LEN.max(4 * valid as u64),
            }),
            sync_gate: Mutex::new(()),
            synced: AtomicU64::new(0),
        })
    }

    /// Appends records built by `build` (which sees the files held), after
    /// any records held back by [`ProgressLog::parts`], with one `write`;
    /// then lets `apply` update the files held. With `hold_back`, the
    /// records wait in memory for the next append or sync instead.
    /// Compacts when the log has grown enough.
    fn append<T>(
        &self,
        hold_back: bool,
        build: impl FnOnce(&mut Vec<u8>, &HashMap<String, Entry>) -> T,
        apply: impl FnOnce(&mut HashMap<String, Entry>, &T),
    ) -> io::Result<T> {
        let mut st = lock(&self.state);
        let st = &mut *st;
        if st.broken {
            self.compact_locked(st)?;
        }
        let before = st.pending.len();
        let built = build(&mut st.pending, &st.live);
        if st.pending.len() > before {
            st.written += 1;
        }
        if !hold_back {
            if let Err(e) = Self::write_pending(st) {
                // This append did not happen; older held-back records wait.
                st.pending.truncate(before);
                return Err(e);
            }
        }
        apply(&mut st.live, &built);
        if st.len >= st.compact_at {
            if let Err(e) = self.compact_locked(st) {
                log::warn!("cannot compact {}: {e}", self.path.display());
            }
        }
        Ok(built)
    }

    /// Writes the records held back, with one `write`.
    fn write_pending(st: &mut LogState) -> io::Result<()> {
        if st.pending.is_empty() {
            return Ok(());
        }
        if let Err(e) = (&*st.file).write_all(&st.pending) {
            // Cut a partial record off, so the next one starts cleanly; the
            // records stay held back for the next try. If the cut fails
            // too, the next append rewrites the log.
            if st.file.set_len(st.len).is_err() {
                st.broken = true;
            }
            return Err(e);
        }
        st.len += st.pending.len() as u64;
        st.pending.clear();
        Ok(())
    }

    /// Records claims, `(key, inode, name)`, of keys not held already;
    /// says which were recorded (one flag per item, in order).
    pub(crate) fn claim(&self, items: &[(&str, u64, &str)]) -> io::Result<Vec<bool>> {
        self.append(
            false,
            |buf, live| {
                let mut fresh = Vec::with_capacity(items.len());
                for (i, (key, ino, name)) in items.iter().enumerate() {
                    let new =
                        !live.contains_key(*key) && !items[..i].iter().any(|(k, _, _)| k == key);
                    if new {
                        push_claim(buf, key, *ino, name);
                    }
                    fresh.push(new);
                }
                fresh
            },
            |live, fresh: &Vec<bool>| {
                for ((key, ino, name), new) in items.iter().zip(fresh) {
                    if *new {
                        let entry = Entry {
                            ino: *ino,
                            name: (*name).to_owned(),
                            ..Entry::default()
                        };
                        live.insert((*key).to_owned(), entry);
                    }
                }
            },
        )
    }

    /// Records a new life of a held key with the inode found after its
    /// rename (the scan saw another file under that name): what was
    /// recorded of it before no longer counts.
    pub(crate) fn restart(&self, key: &str, ino: u64, name: &str) -> io::Result<()> {
        self.append(
            false,
            |buf, _| push_claim(buf, key, ino, name),
            |live, ()| {
                let entry = Entry {
                    ino,
                    name: name.to_owned(),
                    ..Entry::default()
                };
                live.insert(key.to_owned(), entry);
            },
        )
    }

    /// Records accepted parts: `(key, index, message id)`. The records are
    /// held back in memory until the next [`ProgressLog::sync`] (or another
    /// append), so that a batch of parts costs one `write`.
    pub(crate) fn parts(&self, items: &[(&str, usize, &str)]) -> io::Result<()> {
        self.append(
            true,
            |buf, _| {
                for (key, i, id) in items {
                    push_part(buf, key, *i, id);
                }
            },
            |live, ()| {
                for (key, i, id) in items {
                    if let Some(e) = live.get_mut(*key) {
                        e.parts.insert(*i, (*id).to_owned());
                    }
                }
            },
        )
    }

    /// Records results to be written in place: `(key, outcome, contents)`.
    pub(crate) fn done(&self, items: &[(&str, Outcome, Arc<Vec<u8>>)]) -> io::Result<()> {
        self.append(
            false,
            |buf, _| {
                for (key, outcome, data) in items {
                    push_done(buf, key, *outcome, data);
                }
            },
            |live, ()| {
                for (key, outcome, data) in items {
                    if let Some(e) = live.get_mut(*key) {
                        e.done = Some((*outcome, data.clone()));
                    }
                }
            },
        )
    }

    /// Records the name chosen for a result written as a new file.
    pub(crate) fn result(
        &self,
        key: &str,
        outcome: Outcome,
        target: &str,
        ino: u64,
    ) -> io::Result<()> {
        self.append(
            false,
            |buf, _| push_result(buf, key, outcome, target, ino),
            |live, ()| {
                if let Some(e) = live.get_mut(key) {
                    e.result = Some((outcome, target.to_owned(), ino));
                }
            },
        )
    }

    /// Holds `key` again with what recovery found, without writing (the
    /// next [`ProgressLog::compact`] writes it).
    pub(crate) fn hold(&self, key: &str, entry: Entry) {
        lock(&self.state).live.insert(key.to_owned(), entry);
    }

    /// Forgets files that have left `checked/` (nothing is written: the next
    /// compaction leaves them out).
    pub(crate) fn forget<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        let mut st = lock(&self.state);
        for k in keys {
            st.live.remove(k);
        }
    }

    /// What is known of `key`: the file held now, else what the log held
    /// when opened.
    pub(crate) fn entry(&self, key: &str) -> Option<Entry> {
        let st = lock(&self.state);
        st.live.get(key).or_else(|| st.loaded.get(key)).cloned()
    }

    /// Whether `key` is held now.
    pub(crate) fn holds(&self, key: &str) -> bool {
        lock(&self.state).live.contains_key(key)
    }

    /// Makes every record appended so far durable. Concurrent callers share
    /// one `fdatasync`.
    pub(crate) fn sync(&self) -> io::Result<()> {
        let target = lock(&self.state).written;
        if self.synced.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        let _gate = lock(&self.sync_gate);
        if self.synced.load(Ordering::Acquire) >= target {
            return Ok(());
        }
        let (file, upto) = {
            let mut st = lock(&self.state);
            if st.broken {
                self.compact_locked(&mut st)?;
            }
            Self::write_pending(&mut st)?;
            (st.file.clone(), st.written)
        };
        if let Err(e) = file.sync_data() {
            // After a failed fdatasync the kernel may have dropped the
            // pages it could not write, and a second fdatasync would say
            // nothing of them: everything held is written again, to a new
            // file, and synced; only that counts.
            log::error!("cannot sync {}: {e}; rewriting it", self.path.display());
            self.compact()?;
        }
        self.synced.fetch_max(upto, Ordering::AcqRel);
        Ok(())
    }

    /// Rewrites the log with the records of the files held now, durably.
    pub(crate) fn compact(&self) -> io::Result<()> {
        let mut st = lock(&self.state);
        self.compact_locked(&mut st)
    }

    fn compact_locked(&self, st: &mut LogState) -> io::Result<()> {
        let mut buf = Vec::new();
        let mut keys: Vec<&String> = st.live.keys().collect();
        keys.sort();
        for key in keys {
            push_entry(&mut buf, key, &st.live[key]);
        }
        let temp = self.dir.join(format!(
            ".{}.tmp",
            self.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .truncate(false)
            .open(&temp)?;
        file.set_len(0)?;
        file.write_all(&buf)?;
        file.sync_all()?;
        fs::rename(&temp, &self.path)?;
        fsync_dir(&self.dir)?;
        st.file = Arc::new(file);
        st.len = buf.len() as u64;
        // What was held back is in the files held, written above.
        st.pending.clear();
        st.broken = false;
        st.compact_at = MIN_COMPACT_LEN.max(4 * st.len);
        st.loaded = HashMap::new();
        self.synced.fetch_max(st.written, Ordering::AcqRel);
        log::debug!(
            "progress log compacted: {} files held, {} bytes",
            st.live.len(),
            st.len
        );
        Ok(())
    }

    /// The log's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProgressLog {
    fn drop(&mut self) {
        // Records held back are written, not synced: as durable as any
        // unsynced record.
        let mut st = lock(&self.state);
        if let Err(e) = Self::write_pending(&mut st) {
            log::warn!("cannot write {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_a_torn_tail_is_cut() {
        let mut data = Vec::new();
        push_claim(&mut data, "a@@x", 7, "a");
        push_part(&mut data, "a@@x", 0, "id 0");
        push_part(&mut data, "a@@x", 2, "z");
        push_part(&mut data, "a@@x", 0, "w");
        push_line(&mut data, "bogus record");
        push_claim(&mut data, "b@@x", 8, "b");
        push_done(&mut data, "b@@x", Outcome::Failed, b"To: 1\n\nx\n");
        push_claim(&mut data, "c@@x", 9, "c");
        push_result(&mut data, "c@@x", Outcome::Sent, "c.1", 77);
        let whole = data.len();
        push_done(&mut data, "c@@x", Outcome::Sent, b"0123456789");
        data.truncate(data.len() - 3); // the payload is torn
        let (map, valid) = parse(&data);
        assert_eq!(valid, whole);
        let a = &map["a@@x"];
        assert_eq!((a.ino, a.name.as_str()), (7, "a"));
        assert_eq!(a.parts.len(), 2);
        assert_eq!(a.parts[&0], "w");
        let b = &map["b@@x"];
        let (o, d) = b.done.as_ref().unwrap();
        assert_eq!((*o, d.as_slice()), (Outcome::Failed, &b"To: 1\n\nx\n"[..]));
        assert_eq!(b.progress().result, Some(Outcome::Failed));
        assert_eq!(
            map["c@@x"].result,
            Some((Outcome::Sent, "c.1".to_owned(), 77))
        );
        assert!(map["c@@x"].done.is_none());
    }

    #[test]
    fn a_new_claim_forgets_the_old_life() {
        let mut data = Vec::new();
        push_claim(&mut data, "k", 1, "k");
        push_part(&mut data, "k", 0, "old");
        push_done(&mut data, "k", Outcome::Sent, b"old");
        push_claim(&mut data, "k", 2, "k");
        let (map, _) = parse(&data);
        assert_eq!(map["k"].ino, 2);
        assert!(map["k"].parts.is_empty() && map["k"].done.is_none());
    }

    #[test]
    fn a_garbled_record_ends_the_log() {
        let mut data = Vec::new();
        push_claim(&mut data, "k", 1, "k");
        let keep = data.len();
        push_part(&mut data, "k", 0, "x");
        data[keep + 2] ^= 1;
        push_part(&mut data, "k", 1, "y");
        let (map, valid) = parse(&data);
        assert_eq!(valid, keep);
        assert!(map["k"].parts.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever is on disk, reading it neither panics nor reads past
        /// the data.
        #[test]
        fn any_bytes_parse(data in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let (_, valid) = parse(&data);
            proptest::prop_assert!(valid <= data.len());
        }

        /// A log cut anywhere (a crash while appending) reads back as the
        /// records that are whole before the cut, and as nothing after.
        #[test]
        fn a_log_cut_anywhere_reads_its_whole_records(
            ops in proptest::collection::vec((0u8..4, 0u8..3, 0usize..3, "[a-z %]{0,8}"), 1..30),
            cut in 0usize..5000,
        ) {
            let mut data = Vec::new();
            let mut ends = Vec::new();
            for (op, key, n, text) in &ops {
                let key = format!("k{key}");
                match op {
                    0 => push_claim(&mut data, &key, *n as u64, text),
                    1 => push_part(&mut data, &key, *n, text),
                    2 => push_done(&mut data, &key, Outcome::Sent, text.as_bytes()),
                    _ => push_result(&mut data, &key, Outcome::Failed, text, *n as u64),
                }
                ends.push(data.len());
            }
            let cut = cut.min(data.len());
            let (map, valid) = parse(&data[..cut]);
            let whole = ends.iter().copied().filter(|&e| e <= cut).max().unwrap_or(0);
            proptest::prop_assert_eq!(valid, whole);
            let (again, _) = parse(&data[..whole]);
            proptest::prop_assert_eq!(map.len(), again.len());
        }
    }

    #[test]
    fn compaction_keeps_only_held_files() {
        let dir = std::env::temp_dir().join(format!("smpp-progress-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let log = ProgressLog::open(&dir, "me").unwrap();
        log.claim(&[("a", 1, "a"), ("b", 2, "b")]).unwrap();
        log.parts(&[("a", 0, "id-a"), ("b", 0, "id-b")]).unwrap();
        log.done(&[("b", Outcome::Sent, Arc::new(b"result".to_vec()))])
            .unwrap();
        log.sync().unwrap();
        log.forget(["a"]);
        log.compact().unwrap();
        log.parts(&[("b", 1, "id-b1")]).unwrap();
        drop(log);
        let again = ProgressLog::open(&dir, "me").unwrap();
        assert!(again.entry("a").is_none());
        let b = again.entry("b").unwrap();
        assert_eq!(b.parts.len(), 2);
        assert_eq!(b.done.unwrap().1.as_slice(), b"result");
        fs::remove_dir_all(&dir).unwrap();
    }
}
