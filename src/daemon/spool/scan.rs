//! Finding the files waiting in `outgoing/`: the [`Candidate`]s a scan
//! returns, what identifies a file between the scan and the claim, and the
//! backlog counts.

use super::message::peek_priority_high;
use super::{io_error, Spool, SpoolDir, SpoolError};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{DirEntryExt, MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

/// How much of a file the priority peek reads.
const PEEK_LEN: u64 = 4096;

/// How many bytes of whole small files one scan keeps for the claims.
const SCAN_KEEP_LEN: usize = 32 << 20;

/// A file in `outgoing/` that may be claimed, from [`Spool::scan_outgoing`].
#[derive(Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The file name.
    pub name: String,
    /// Whether its headers say `Priority: High`.
    pub priority_high: bool,
    /// Its modification time.
    pub modified: SystemTime,
    /// Its size in bytes when scanned.
    pub len: u64,
    /// Its status change time (ctime) when scanned: any write, rename or
    /// change of owner or mode sets it, and nothing sets it back.
    pub changed: SystemTime,
    /// What the file was when scanned, for the claim.
    pub(super) id: Identity,
    /// The ctime in nanoseconds, for [`Candidate::same_as`].
    ctime_ns: i128,
    /// The whole file, when the peek read all of it (small files, within
    /// [`SCAN_KEEP_LEN`] for the whole scan): a claim takes it from here
    /// instead of reading the file again.
    pub(super) contents: Option<Arc<Vec<u8>>>,
}

impl fmt::Debug for Candidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The contents hold phone numbers and text: their size only.
        f.debug_struct("Candidate")
            .field("name", &self.name)
            .field("priority_high", &self.priority_high)
            .field("modified", &self.modified)
            .field("ino", &self.id.ino)
            .field("len", &self.len)
            .field("contents_len", &self.contents.as_ref().map(|c| c.len()))
            .finish()
    }
}

impl Candidate {
    /// Whether `other`, the same name seen by another scan, is the same
    /// file unchanged: inode, size, and modification and status change
    /// times to the nanosecond.
    pub fn same_as(&self, other: &Candidate) -> bool {
        self.name == other.name && self.id == other.id && self.ctime_ns == other.ctime_ns
    }
}

/// Which file a name held when it was looked at: inode, length and
/// modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Identity {
    pub(super) ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl Identity {
    pub(super) fn of(m: &fs::Metadata) -> Identity {
        Identity {
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        }
    }
}

/// Whether a file in `outgoing/` is left alone: hidden files, lock files,
/// and files with a lock file beside them.
fn ignored(name: &str, names: &HashSet<String>) -> bool {
    ignored_by(name, |n| names.contains(n))
}

/// [`ignored`], with `listed` saying whether a name is in the directory.
fn ignored_by(name: &str, listed: impl Fn(&str) -> bool) -> bool {
    name.starts_with('.')
        || name.ends_with(".LOCK")
        || name.starts_with("LOCKED")
        || listed(&format!("{name}.LOCK"))
}

/// Opens and peeks at each of `names` in `dir` for [`Spool::scan_outgoing`]:
/// regular files only, the first [`PEEK_LEN`] bytes for the priority, and
/// whole small files kept while within `keep` bytes in all.
fn peek_files(dir: &Path, names: &[&String], keep: usize) -> Vec<Candidate> {
    let mut out = Vec::with_capacity(names.len());
    let mut kept = 0;
    // Not following a symbolic link, not waiting on a FIFO.
    let flags = (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits();
    for name in names {
        let path = dir.join(name);
        let Ok(file) = OpenOptions::new()
            .read(true)
            .custom_flags(flags as i32)
            .open(&path)
        else {
            continue; // gone since the listing, a link, unreadable
        };
        let Ok(meta) = file.metadata() else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        // As much as the size says (one read for a small file), up to the
        // peek length.
        let want = meta.len().min(PEEK_LEN) as usize;
        let mut head = vec![0; want];
        let mut got = 0;
        while got < want {
            match (&file).read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        head.truncate(got);
        let priority_high = peek_priority_high(&head);
        let whole = (got as u64) < PEEK_LEN && got as u64 == meta.len();
        let contents = (whole && kept + head.len() <= keep).then(|| {
            kept += head.len();
            Arc::new(head)
        });
        let ctime_ns = i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec());
        let changed = u64::try_from(ctime_ns).map_or(SystemTime::UNIX_EPOCH, |ns| {
            SystemTime::UNIX_EPOCH + std::time::Duration::from_nanos(ns)
        });
        out.push(Candidate {
            name: (*name).clone(),
            priority_high,
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            len: meta.len(),
            changed,
            id: Identity::of(&meta),
            ctime_ns,
            contents,
        });
    }
    out
}

impl Spool {
    /// How many files in `outgoing/` wait to be claimed, by the rules of
    /// [`Spool::scan_outgoing`], from the directory listing alone (no file
    /// is opened): the spool backlog, cheap enough to ask every few seconds.
    pub fn count_outgoing(&self) -> Result<usize, SpoolError> {
        let dir = self.dir(SpoolDir::Outgoing);
        let mut names = HashSet::new();
        for entry in fs::read_dir(&dir).map_err(io_error("list", &dir))? {
            let entry = entry.map_err(io_error("list", &dir))?;
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            if let Ok(n) = entry.file_name().into_string() {
                names.insert(n);
            }
        }
        Ok(names.iter().filter(|n| !ignored(n, &names)).count())
    }

    /// The files waiting in `outgoing/` (counted as [`Spool::count_outgoing`]
    /// does) and the modification time of the oldest, for the backlog
    /// gauges: one `stat` per file.
    pub fn outgoing_backlog(&self) -> Result<(usize, Option<SystemTime>), SpoolError> {
        let dir = self.dir(SpoolDir::Outgoing);
        let mut files = Vec::new();
        for entry in fs::read_dir(&dir).map_err(io_error("list", &dir))? {
            let entry = entry.map_err(io_error("list", &dir))?;
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            if let Ok(n) = entry.file_name().into_string() {
                let modified = entry.metadata().and_then(|m| m.modified()).ok();
                files.push((n, modified));
            }
        }
        let names: HashSet<String> = files.iter().map(|(n, _)| n.clone()).collect();
        let waiting = files.iter().filter(|(n, _)| !ignored(n, &names));
        let (count, oldest) = waiting.fold((0, None::<SystemTime>), |(count, oldest), (_, m)| {
            let oldest = match (oldest, *m) {
                (Some(o), Some(m)) => Some(o.min(m)),
                (o, m) => o.or(m),
            };
            (count + 1, oldest)
        });
        Ok((count, oldest))
    }

    /// The files in `outgoing/` that may be claimed, `Priority: High` first,
    /// then oldest first (modification time, then name).
    ///
    /// Skipped: hidden files, `*.LOCK`, names starting with `LOCKED`, files
    /// with a `NAME.LOCK` beside them, anything that is not a regular file,
    /// and names that are not UTF-8 (logged at debug level; rename them).
    /// The priority is read from at most the first 4 KiB of each file, so a
    /// scan opens every waiting file: its cost grows with the backlog
    /// ([`Spool::scan_outgoing_known`] opens only the new ones).
    ///
    /// Whether a file is complete is not judged here: a writer may still be
    /// writing one (or it may be empty). Each candidate's size and status
    /// change time ([`Candidate::len`], [`Candidate::changed`],
    /// [`Candidate::same_as`]) are for the caller's rule (`smppd`'s: the
    /// README's "The daemon").
    pub fn scan_outgoing(&self) -> Result<Vec<Candidate>, SpoolError> {
        self.scan_outgoing_known(&HashMap::new())
    }

    /// [`Spool::scan_outgoing`], taking from `known` (candidates of an
    /// earlier scan, by name) each file whose name still has the inode it
    /// had then (as the directory listing says), without opening it again:
    /// a rescan of a large `outgoing/` costs one listing and a look at the
    /// files that are new. Pass only files that were complete when scanned
    /// (writers must not change a file once it is complete).
    pub fn scan_outgoing_known(
        &self,
        known: &HashMap<String, Candidate>,
    ) -> Result<Vec<Candidate>, SpoolError> {
        let dir = self.dir(SpoolDir::Outgoing);
        let mut names = HashMap::new();
        for entry in fs::read_dir(&dir).map_err(io_error("list", &dir))? {
            let entry = entry.map_err(io_error("list", &dir))?;
            let ino = entry.ino();
            match entry.file_name().into_string() {
                Ok(n) => {
                    names.insert(n, ino);
                }
                Err(n) => log::debug!("skipping outgoing file with a non-UTF-8 name {n:?}"),
            }
        }
        let mut out = Vec::new();
        let mut waiting: Vec<&String> = Vec::new();
        let mut kept = 0;
        for (name, ino) in &names {
            if ignored_by(name, |n| names.contains_key(n)) {
                continue;
            }
            match known.get(name) {
                Some(c) if c.id.ino == *ino => {
                    kept += c.contents.as_ref().map_or(0, |d| d.len());
                    out.push(c.clone());
                }
                _ => waiting.push(name),
            }
        }
        out.extend(peek_files(
            &dir,
            &waiting,
            SCAN_KEEP_LEN.saturating_sub(kept),
        ));
        out.sort_by(|a, b| {
            b.priority_high
                .cmp(&a.priority_high)
                .then(a.modified.cmp(&b.modified))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_rules() {
        let names: HashSet<String> = ["a", "a.LOCK", "b", ".c", "LOCKEDd", "e.LOCK"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let kept: Vec<&str> = ["a", "a.LOCK", "b", ".c", "LOCKEDd", "e.LOCK"]
            .into_iter()
            .filter(|n| !ignored(n, &names))
            .collect();
        assert_eq!(kept, ["b"]);
    }
}
