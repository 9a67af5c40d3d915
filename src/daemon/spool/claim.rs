//! Claiming files: [`Spool::claim`] and its batch forms move
//! `outgoing/NAME` to `checked/NAME@@OWNER`, and the [`ClaimedFile`] they
//! return is what the daemon holds until it finishes the file.

use super::durable::{fsync_dir, not_found, rename_noreplace, Moved};
use super::message::{OutgoingMessage, MAX_FILE_LEN};
use super::names::{claim_key, valid_name};
use super::progress::{Outcome, Progress, ProgressLog};
use super::scan::{Candidate, Identity};
use super::{io_error, Spool, SpoolDir, SpoolError};
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// A file this daemon holds, as `checked/NAME@@OWNER`.
///
/// Finish it with [`Spool::finish_sent`] or [`Spool::finish_failed`]. If
/// the process dies first, the file stays in `checked/`, and
/// [`Spool::recover_checked`] gives it back on the next start with the
/// parts recorded so far.
#[derive(Debug)]
pub struct ClaimedFile {
    pub(super) name: String,
    pub(super) key: String,
    pub(super) path: PathBuf,
    pub(super) progress: Progress,
    pub(super) recovered: bool,
    /// The contents, once read: the file in `checked/` does not change
    /// until its result is written over it.
    /// Shared with the scan that read it, if it did.
    pub(super) data: OnceLock<Arc<Vec<u8>>>,
    /// A result decided before a crash, to be written in place again.
    pub(super) pending: Option<(Outcome, Arc<Vec<u8>>)>,
    /// The name chosen before a crash for a result written as a new file.
    pub(super) placed: Option<(Outcome, String, u64)>,
    pub(super) log: Arc<ProgressLog>,
}

impl ClaimedFile {
    /// The file name (the same in `outgoing/` and usually in `sent/` or
    /// `failed/`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's path in `checked/`: `checked/NAME@@OWNER`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether it came from [`Spool::recover_checked`] rather than a claim.
    pub fn recovered(&self) -> bool {
        self.recovered
    }

    /// The file's contents. Errors with [`SpoolError::BadFile`] if it is
    /// larger than [`MAX_FILE_LEN`].
    pub fn read(&self) -> Result<Vec<u8>, SpoolError> {
        self.contents().map(<[u8]>::to_vec)
    }

    /// The contents, read once and kept.
    pub(super) fn contents(&self) -> Result<&[u8], SpoolError> {
        if let Some(d) = self.data.get() {
            return Ok(d);
        }
        let d = Arc::new(self.read_disk()?);
        Ok(self.data.get_or_init(|| d))
    }

    fn read_disk(&self) -> Result<Vec<u8>, SpoolError> {
        let io_err = |source| SpoolError::Io {
            action: "read",
            path: self.path.clone(),
            source,
        };
        let file = File::open(&self.path).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        if len > MAX_FILE_LEN {
            return Err(SpoolError::BadFile(super::BadFile::TooLarge { len }));
        }
        let mut data = Vec::with_capacity(len as usize);
        file.take(MAX_FILE_LEN + 1)
            .read_to_end(&mut data)
            .map_err(io_err)?;
        if data.len() as u64 > MAX_FILE_LEN {
            return Err(SpoolError::BadFile(super::BadFile::TooLarge {
                len: data.len() as u64,
            }));
        }
        Ok(data)
    }

    /// Reads and parses the file. [`SpoolError::BadFile`] means it belongs
    /// in `failed/`, with the error as the reason.
    pub fn message(&self) -> Result<OutgoingMessage, SpoolError> {
        OutgoingMessage::parse(self.contents()?).map_err(SpoolError::BadFile)
    }

    /// The parts already accepted: index (from 0) to message id.
    pub fn parts_done(&self) -> &BTreeMap<usize, String> {
        &self.progress.parts
    }

    /// Everything the progress log holds of this file.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    pub(super) fn log_error(&self, source: io::Error) -> SpoolError {
        SpoolError::Io {
            action: "write the progress log",
            path: self.log.path().to_owned(),
            source,
        }
    }

    /// [`ClaimedFile::record_part`] without waiting for the disk: durable
    /// once [`Spool::sync_progress`] returns (or a finish).
    pub(crate) fn record_part_unsynced(
        &mut self,
        index: usize,
        message_id: &str,
    ) -> Result<(), SpoolError> {
        self.log
            .parts(&[(&self.key, index, message_id)])
            .map_err(|e| self.log_error(e))?;
        self.progress.parts.insert(index, message_id.to_owned());
        Ok(())
    }

    /// Records, durably, that part `index` (from 0) was accepted as
    /// `message_id`. Call it as each `submit_sm_resp` arrives.
    pub fn record_part(&mut self, index: usize, message_id: &str) -> Result<(), SpoolError> {
        self.record_part_unsynced(index, message_id)?;
        self.log.sync().map_err(|e| self.log_error(e))
    }
}

impl Spool {
    /// Claims `outgoing/NAME` by moving it to `checked/NAME@@OWNER`.
    ///
    /// `Ok(None)` when someone else got there first (the file is gone from
    /// `outgoing/`), or this daemon holds a file of that name already (the
    /// new one then waits in `outgoing/` until that one is finished). Of
    /// several daemons claiming one file, exactly one gets `Some`: the
    /// rename moves it away from under the others.
    ///
    /// How: a `claim` record in the progress log, the rename, and an fsync
    /// of `checked/`.
    pub fn claim(&self, name: &str) -> Result<Option<ClaimedFile>, SpoolError> {
        let (mut claimed, mut errors) = self.claim_many([name]);
        if let Some(e) = errors.pop() {
            return Err(e);
        }
        Ok(claimed.pop())
    }

    /// Claims several files as [`Spool::claim`] claims one, paying for the
    /// batch one write to the progress log and one fsync of `checked/`.
    /// Returns the files claimed (those another daemon got first, or whose
    /// name this daemon holds already, are left out) and an error for each
    /// that could not be.
    pub fn claim_many<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> (Vec<ClaimedFile>, Vec<SpoolError>) {
        self.claim_batch(names.into_iter().map(|n| (n, None)))
    }

    /// Claims files found by [`Spool::scan_outgoing`], as
    /// [`Spool::claim_many`] claims names, without looking at each file
    /// again: the scan's inode number goes into the claim record, and a
    /// small file's contents, read whole by the scan, are not read again.
    /// (Writers must not change a file once it is in `outgoing/`.)
    pub fn claim_found(&self, found: &[Candidate]) -> (Vec<ClaimedFile>, Vec<SpoolError>) {
        self.claim_batch(
            found
                .iter()
                .map(|c| (c.name.as_str(), Some((c.id, c.contents.clone())))),
        )
    }

    #[allow(clippy::type_complexity)]
    fn claim_batch<'a>(
        &self,
        files: impl IntoIterator<Item = (&'a str, Option<(Identity, Option<Arc<Vec<u8>>>)>)>,
    ) -> (Vec<ClaimedFile>, Vec<SpoolError>) {
        let mut errors = Vec::new();
        let log = match self.log() {
            Ok(l) => l,
            Err(e) => return (Vec::new(), vec![e]),
        };
        let outgoing = self.dir(SpoolDir::Outgoing);
        let checked = self.dir(SpoolDir::Checked);
        let careful = !self.recovered.load(Ordering::Acquire);
        let mut keys = HashSet::new();
        let mut todo: Vec<(&str, String, Identity, Option<Arc<Vec<u8>>>)> = Vec::new();
        for (name, known) in files {
            if !valid_name(name) {
                errors.push(SpoolError::BadName {
                    name: name.to_owned(),
                });
                continue;
            }
            let key = claim_key(name, &self.owner);
            if log.holds(&key) || !keys.insert(key.clone()) {
                continue;
            }
            let (id, contents) = match known {
                Some(k) => k,
                None => {
                    let src = outgoing.join(name);
                    match fs::symlink_metadata(&src) {
                        Ok(m) if m.is_file() => (Identity::of(&m), None),
                        Ok(_) => continue,
                        Err(e) if not_found(&e) => continue,
                        Err(e) => {
                            errors.push(io_error("open", &src)(e));
                            continue;
                        }
                    }
                }
            };
            if careful && fs::symlink_metadata(checked.join(&key)).is_ok() {
                log::warn!("{name}: checked/{key} is left from before; recovery takes it first");
                continue;
            }
            todo.push((name, key, id, contents));
        }
        if todo.is_empty() {
            return (Vec::new(), errors);
        }
        let records: Vec<(&str, u64, &str)> = todo
            .iter()
            .map(|(name, key, id, _)| (key.as_str(), id.ino, *name))
            .collect();
        // The claims durable before the renames: after a power loss, a file
        // found in checked/ is never taken for an earlier life of its name
        // (an inode number can be used again).
        let fresh = match log.claim(&records).and_then(|f| log.sync().map(|()| f)) {
            Ok(f) => f,
            Err(source) => {
                errors.push(SpoolError::Io {
                    action: "write the progress log",
                    path: log.path().to_owned(),
                    source,
                });
                log.forget(records.iter().map(|(k, _, _)| *k));
                return (Vec::new(), errors);
            }
        };
        drop(records);
        // Held meanwhile by another thread's claim: that one goes on.
        let todo = todo
            .into_iter()
            .zip(fresh)
            .filter_map(|(t, f)| f.then_some(t));
        let mut out = Vec::new();
        for (name, key, id, mut contents) in todo {
            let src = outgoing.join(name);
            let dst = checked.join(&key);
            match rename_noreplace(&src, &dst, &self.noreplace) {
                Ok(Moved::Done) => {
                    log::debug!("claimed {name}");
                    // Another file may have taken the name since it was
                    // looked at (a writer dropping the same name again):
                    // then what was read of it and its claim record are
                    // not this file's.
                    let now = fs::symlink_metadata(&dst).map(|m| Identity::of(&m));
                    if now.as_ref().ok() != Some(&id) {
                        contents = None;
                        let ino = now.map_or(0, |i| i.ino);
                        if let Err(e) = log.restart(&key, ino, name) {
                            errors.push(io_error("write", log.path())(e));
                        }
                    }
                    let data = OnceLock::new();
                    if let Some(c) = contents {
                        let _ = data.set(c);
                    }
                    out.push(ClaimedFile {
                        name: name.to_owned(),
                        key,
                        path: dst,
                        progress: Progress::default(),
                        recovered: false,
                        data,
                        pending: None,
                        placed: None,
                        log: log.clone(),
                    });
                }
                Ok(Moved::Exists) => {
                    log::warn!("{name}: checked/{key} exists already; it waits");
                    log.forget([key.as_str()]);
                }
                Err(e) => {
                    log.forget([key.as_str()]);
                    if !not_found(&e) {
                        errors.push(io_error("move", &src)(e));
                    }
                }
            }
        }
        if !out.is_empty() {
            if let Err(e) = fsync_dir(&checked) {
                // The claims stand: until checked/ is synced they may be
                // undone by a power loss, and the files sent again.
                errors.push(io_error("sync", &checked)(e));
            }
        }
        (out, errors)
    }
}
