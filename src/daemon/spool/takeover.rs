//! Taking over the files of a dead instance (DESIGN §7): several
//! instances share a spool (on one host, or on several over a shared
//! filesystem), each holding the lock of its own progress log while it
//! runs. [`Spool::other_holders`] names the instances that hold files in
//! `checked/`; [`Spool::take_over`] takes the files of one whose lock is
//! free, under the rule of a restart: parts recorded as accepted are not
//! sent again, the others at least once.

use super::claim::ClaimedFile;
use super::durable::{fsync_dir, not_found, rename_noreplace, Moved};
use super::names::{claim_key, split_key, valid_owner};
use super::progress::ProgressLog;
use super::{io_error, Spool, SpoolDir, SpoolError};
use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

impl Spool {
    /// The other instances that hold files in `checked/` (by the owner in
    /// each name), each once, sorted: one listing of `checked/`.
    pub fn other_holders(&self) -> Result<Vec<String>, SpoolError> {
        let checked = self.dir(SpoolDir::Checked);
        let mut owners = BTreeSet::new();
        for entry in fs::read_dir(&checked).map_err(io_error("list", &checked))? {
            let entry = entry.map_err(io_error("list", &checked))?;
            let Ok(key) = entry.file_name().into_string() else {
                continue;
            };
            if key.starts_with('.') {
                continue;
            }
            if let Some((_, owner)) = split_key(&key) {
                if owner != self.owner {
                    owners.insert(owner.to_owned());
                }
            }
        }
        Ok(owners.into_iter().collect())
    }

    /// Takes over the files instance `owner` holds in `checked/`, if it is
    /// dead: if its lock (`.smppd/progress/OWNER.lock`) can be taken, no
    /// process holds it. `Ok(None)` when it is alive (or is this instance).
    ///
    /// Holding the dead instance's lock, this does what its own restart
    /// would: reads its progress log, finishes the files whose result was
    /// decided, and removes its temporary files. Each other file is then
    /// moved to this instance's name, `checked/NAME@@THIS`, its claim and
    /// the parts the dead instance had accepted recorded (and synced) in
    /// this instance's progress log first; the files are returned as
    /// [`Spool::recover_checked`] returns its own ([`ClaimedFile::parts_done`]
    /// says which parts not to send again). Then the lock is let go. A file
    /// whose name this instance holds already is left for a later call.
    pub fn take_over(&self, owner: &str) -> Result<Option<Vec<ClaimedFile>>, SpoolError> {
        if owner == self.owner || !valid_owner(owner) {
            return Ok(None);
        }
        let theirs = match ProgressLog::open(&self.root, owner) {
            Ok(log) => Arc::new(log),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(source) => {
                return Err(SpoolError::Io {
                    action: "open the progress log of",
                    path: self.root.join(ProgressLog::DIR).join(owner),
                    source,
                })
            }
        };
        let dead = Spool {
            root: self.root.clone(),
            owner: owner.to_owned(),
            seq: AtomicU64::new(0),
            sync: self.sync,
            filesystems: self
                .filesystems
                .iter()
                .filter_map(|f| f.try_clone().ok())
                .collect(),
            log: Mutex::new(Some(theirs.clone())),
            noreplace: AtomicBool::new(self.noreplace.load(Ordering::Relaxed)),
            recovered: AtomicBool::new(false),
        };
        let files = dead.recover_checked()?;
        let mine = self.log()?;
        let checked = self.dir(SpoolDir::Checked);
        let mut errors = Vec::new();
        // The files to move, with their inode and the key they get here.
        let mut todo = Vec::new();
        for file in files {
            let ino = match fs::symlink_metadata(&file.path) {
                Ok(m) => m.ino(),
                Err(e) if not_found(&e) => continue,
                Err(e) => {
                    errors.push(io_error("open", &file.path)(e));
                    continue;
                }
            };
            let key = claim_key(&file.name, &self.owner);
            if mine.holds(&key) || fs::symlink_metadata(checked.join(&key)).is_ok() {
                log::debug!("{}: held here already; the one of {owner} waits", file.name);
                continue;
            }
            todo.push((file, ino, key));
        }
        // Their claims and accepted parts recorded here, with one write and
        // one sync, before any is moved.
        let records: Vec<(&str, u64, &str)> = todo
            .iter()
            .map(|(f, ino, key)| (key.as_str(), *ino, f.name.as_str()))
            .collect();
        let recorded = mine.claim(&records).and_then(|fresh| {
            let parts: Vec<(&str, usize, &str)> = todo
                .iter()
                .zip(&fresh)
                .filter(|(_, new)| **new)
                .flat_map(|((f, _, key), _)| {
                    f.progress
                        .parts
                        .iter()
                        .map(move |(i, id)| (key.as_str(), *i, id.as_str()))
                })
                .collect();
            mine.parts(&parts)?;
            mine.sync().map(|()| fresh)
        });
        let fresh = match recorded {
            Ok(f) => f,
            Err(e) => {
                mine.forget(records.iter().map(|(k, _, _)| *k));
                return Err(io_error("write", mine.path())(e));
            }
        };
        drop(records);
        let mut out = Vec::new();
        for ((file, ino, key), new) in todo.into_iter().zip(fresh) {
            if !new {
                continue;
            }
            match rename_noreplace(&file.path, &checked.join(&key), &self.noreplace) {
                Ok(Moved::Done) => {
                    theirs.forget([file.key.as_str()]);
                    out.push(self.held(&mine, &key, &file.name, ino));
                }
                Ok(Moved::Exists) => mine.forget([key.as_str()]),
                Err(e) => {
                    mine.forget([key.as_str()]);
                    if !not_found(&e) {
                        errors.push(io_error("move", &file.path)(e));
                    }
                }
            }
        }
        // The files moved are this instance's now, whatever follows: a
        // failed sync leaves the moves to be undone by a power loss (then
        // taken over again), a failed compaction leaves records of files
        // the dead instance no longer has (which it ignores).
        if !out.is_empty() {
            if let Err(e) = fsync_dir(&checked) {
                errors.push(io_error("sync", &checked)(e));
            }
        }
        if let Err(e) = theirs.compact() {
            errors.push(io_error("compact", theirs.path())(e));
        }
        if out.is_empty() && !errors.is_empty() {
            return Err(errors.remove(0));
        }
        for e in errors {
            log::warn!("taking over the files of {owner}: {e}");
        }
        // The lock goes with the last reference to its log.
        drop(dead);
        drop(theirs);
        Ok(Some(out))
    }
}
