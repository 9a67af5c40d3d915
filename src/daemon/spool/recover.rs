//! Taking back, at start, the files this owner held in `checked/` when it
//! stopped: [`Spool::recover_checked`] finishes those whose result was
//! decided and gives back the others; [`Spool::resume`] does it for one.

use super::claim::ClaimedFile;
use super::durable::{
    fsync_dir, not_found, remove_if_exists, rename_noreplace, temp_prefix, Moved,
};
use super::finish::Finish;
use super::names::{claim_key, split_key, valid_name};
use super::progress::{Entry, Outcome, Progress, ProgressLog};
use super::{io_error, stale_probe, Spool, SpoolDir, SpoolError};
use crate::datetime::DateTime;
use std::fs;
use std::os::unix::fs::{DirEntryExt, MetadataExt};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

impl Spool {
    /// A held file as the log knows it, or fresh if the log knows nothing
    /// of this life of `key` (the inode differs, or no record survived).
    pub(super) fn held(
        &self,
        log: &Arc<ProgressLog>,
        key: &str,
        name: &str,
        ino: u64,
    ) -> ClaimedFile {
        let entry = log
            .entry(key)
            .filter(|e| e.ino == ino)
            .unwrap_or_else(|| Entry {
                ino,
                name: name.to_owned(),
                ..Entry::default()
            });
        log.hold(key, entry.clone());
        ClaimedFile {
            name: entry.name.clone(),
            key: key.to_owned(),
            path: self.dir(SpoolDir::Checked).join(key),
            progress: entry.progress(),
            recovered: true,
            data: OnceLock::new(),
            pending: entry.done.clone(),
            placed: entry.result.clone(),
            log: log.clone(),
        }
    }

    /// The files this daemon (by owner id) held in `checked/` when it
    /// stopped, to be resumed: [`ClaimedFile::parts_done`] says which parts
    /// not to send again. Call it once at startup, before claiming.
    ///
    /// Files whose result was decided before the crash are finished here
    /// (their result is in the progress log) and not returned. Also adopts
    /// files in `checked/` without an owner (put there by hand; renamed to
    /// `NAME@@OWNER`), removes a name left in `outgoing/` for a file it holds
    /// (a power loss can leave both), removes this owner's leftover
    /// temporary files, and compacts the progress log. Files held by other
    /// owners are left alone.
    pub fn recover_checked(&self) -> Result<Vec<ClaimedFile>, SpoolError> {
        let log = self.log()?;
        let checked = self.dir(SpoolDir::Checked);
        let outgoing = self.dir(SpoolDir::Outgoing);
        let temp_prefix = temp_prefix(&self.owner);
        for d in SpoolDir::ALL {
            let dir = self.dir(d);
            for entry in fs::read_dir(&dir).map_err(io_error("list", &dir))? {
                let entry = entry.map_err(io_error("list", &dir))?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(&temp_prefix) || stale_probe(&name) {
                    remove_if_exists(&entry.path()).map_err(io_error("remove", &entry.path()))?;
                }
            }
        }
        let mut mine = Vec::new();
        let mut by_hand = Vec::new();
        for entry in fs::read_dir(&checked).map_err(io_error("list", &checked))? {
            let entry = entry.map_err(io_error("list", &checked))?;
            let Ok(key) = entry.file_name().into_string() else {
                continue;
            };
            if key.starts_with('.') || !entry.file_type().map(|t| t.is_file()).unwrap_or(false) {
                continue;
            }
            match split_key(&key) {
                Some((_, owner)) if owner == self.owner => mine.push((key, entry.ino())),
                Some((_, owner)) => log::debug!("{key}: held by {owner}, left alone"),
                None => by_hand.push((key, entry.ino())),
            }
        }
        mine.sort();
        by_hand.sort();
        let mut out = Vec::new();
        let mut finish = Vec::new();
        for (key, ino) in mine {
            let name = split_key(&key).map_or(key.as_str(), |(n, _)| n);
            let claimed = self.held(&log, &key, name, ino);
            // A power loss after the rename of a claim may bring the old
            // name back too: the same file, twice.
            let twin = outgoing.join(claimed.name());
            if fs::symlink_metadata(&twin).is_ok_and(|m| m.ino() == ino) {
                log::warn!(
                    "{}: also found in outgoing/; that name removed",
                    claimed.name()
                );
                remove_if_exists(&twin).map_err(io_error("remove", &twin))?;
            }
            // Decided before the crash: written in place, or written as a
            // new file and linked into place (it has the inode recorded).
            let decided = match (&claimed.pending, &claimed.placed) {
                (Some((outcome, _)), _) => Some(*outcome),
                (None, Some((outcome, target, ino))) => {
                    let dir = self.dir(SpoolDir::of_result(*outcome));
                    fs::symlink_metadata(dir.join(target))
                        .is_ok_and(|m| m.ino() == *ino)
                        .then_some(*outcome)
                }
                (None, None) => None,
            };
            match decided {
                Some(outcome) => {
                    // The result was decided: finish it as it was decided.
                    let how = match outcome {
                        Outcome::Sent => Finish::Sent {
                            at: DateTime::from_system_time(SystemTime::now()),
                            message_ids: Vec::new(),
                        },
                        Outcome::Failed => Finish::Failed {
                            at: DateTime::from_system_time(SystemTime::now()),
                            reason: String::new(),
                        },
                    };
                    finish.push((claimed, how));
                }
                None => out.push(claimed),
            }
        }
        for (name, ino) in by_hand {
            let key = claim_key(&name, &self.owner);
            if log.holds(&key) || fs::symlink_metadata(checked.join(&key)).is_ok() {
                log::warn!("{name}: put in checked/ by hand, but {key} is held; left alone");
                continue;
            }
            let fresh = log
                .claim(&[(&key, ino, &name)])
                .map_err(io_error("write", log.path()))?;
            if fresh != [true] {
                continue;
            }
            let src = checked.join(&name);
            match rename_noreplace(&src, &checked.join(&key), &self.noreplace) {
                Ok(Moved::Done) => {
                    log::warn!("{name}: adopted (put in checked/ by hand)");
                    out.push(self.held(&log, &key, &name, ino));
                }
                Ok(Moved::Exists) => log.forget([key.as_str()]),
                Err(e) if not_found(&e) => log.forget([key.as_str()]),
                Err(e) => return Err(io_error("move", &src)(e)),
            }
        }
        log.compact().map_err(io_error("compact", log.path()))?;
        fsync_dir(&checked).map_err(io_error("sync", &checked))?;
        self.recovered.store(true, Ordering::Release);
        for (name, result) in self.finish_many(finish) {
            match result {
                Ok(target) => {
                    log::info!("{name}: finished as decided before the restart ({target})")
                }
                Err(e) => log::error!("{name}: cannot finish: {e} (it stays in checked/)"),
            }
        }
        Ok(out)
    }

    /// Takes back `checked/NAME@@OWNER`, held by this owner: after a finish
    /// that failed part-way (the file stays in `checked/`), or to pick up
    /// one file that [`Spool::recover_checked`] would return. `Ok(None)` if
    /// this owner holds no file of that name.
    pub fn resume(&self, name: &str) -> Result<Option<ClaimedFile>, SpoolError> {
        if !valid_name(name) {
            return Err(SpoolError::BadName {
                name: name.to_owned(),
            });
        }
        let log = self.log()?;
        let key = claim_key(name, &self.owner);
        let path = self.dir(SpoolDir::Checked).join(&key);
        let ino = match fs::symlink_metadata(&path) {
            Ok(m) => m.ino(),
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(io_error("open", &path)(e)),
        };
        Ok(Some(self.held(&log, &key, name, ino)))
    }

    /// What the progress log holds of the file `NAME` this owner holds,
    /// read without taking it (empty if nothing).
    pub fn progress(&self, name: &str) -> Result<Progress, SpoolError> {
        let log = self.log()?;
        Ok(log
            .entry(&claim_key(name, &self.owner))
            .map(|e| e.progress())
            .unwrap_or_default())
    }
}
