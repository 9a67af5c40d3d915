//! Writing what the daemon produces: the result of a claimed file, moved
//! into `sent/` or `failed/` ([`Spool::finish_sent`], [`Spool::finish_failed`],
//! [`Spool::finish_many`]), and new files in `incoming/` and `report/`.

use super::claim::ClaimedFile;
use super::durable::{
    fsync_dir, move_by_link, remove_if_exists, sync_files, sync_filesystem, write_temp,
    write_temp_unsynced, Moved, FILE_MODE,
};
use super::message::{
    copy_inserting, failed_headers, insert_headers, sent_headers, IncomingMessage, ReportMessage,
};
use super::names::{result_name, MAX_NAME_TRIES};
use super::progress::{Outcome, ProgressLog};
use super::{io_error, Spool, SpoolDir, SpoolError, SyncMode};
use crate::datetime::DateTime;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How a claimed file ends, for [`Spool::finish_many`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// To `sent/`, with `Sent:` and one `Message_id:` per part.
    Sent {
        /// The `Sent:` time.
        at: DateTime,
        /// The SMSC's id of each part, in order.
        message_ids: Vec<String>,
    },
    /// To `failed/`, with `Failed:` and `Fail_reason:`.
    Failed {
        /// The `Failed:` time.
        at: DateTime,
        /// The `Fail_reason:`.
        reason: String,
    },
}

/// Where one file of [`Spool::finish_many`] is on its way.
enum Step {
    /// To be written over `checked/KEY` (logged already or not),
    /// then renamed.
    InPlace {
        data: Arc<Vec<u8>>,
        file: Arc<File>,
        logged: bool,
        /// The file's length before: longer than the result, it is cut.
        old_len: u64,
        /// It has another name already: linked into the result directory
        /// before a crash.
        linked: bool,
    },
    /// Written to a hidden file in the result directory, its name
    /// recorded (not synced yet).
    Copy {
        temp: PathBuf,
        file: Arc<File>,
        target: String,
        ino: u64,
    },
    /// The result file is in place: `checked/KEY` is left to remove.
    Placed(String),
    /// Done.
    Moved(String),
    Failed(SpoolError),
}

impl Spool {
    /// Moves a claimed file to `sent/` with `Sent:` and one `Message_id:`
    /// per part inserted at the end of its header block. Returns the name in
    /// `sent/`: `NAME`, or `NAME.1`, `NAME.2`, ... when a file of that name
    /// is already there (the same name sent twice); nothing is overwritten.
    ///
    /// Durable in this order: the result is recorded in the progress log,
    /// which is synced; it is written over the file in `checked/`, which is
    /// synced; the file is renamed into `sent/`, and that synced. A crash
    /// at any point is finished by [`Spool::recover_checked`] with the
    /// recorded result. A file too large to keep in the log, or that this
    /// process may not write, gets its result as a new file instead:
    /// written hidden in `sent/`, synced, linked into place (its name
    /// recorded first), synced; then the file in `checked/` is removed.
    ///
    /// On an error the file stays in `checked/`; take it back with
    /// [`Spool::resume`] to try again.
    pub fn finish_sent(
        &self,
        claimed: ClaimedFile,
        sent: DateTime,
        message_ids: &[String],
    ) -> Result<String, SpoolError> {
        let finish = Finish::Sent {
            at: sent,
            message_ids: message_ids.to_vec(),
        };
        self.finish_one(claimed, finish)
    }

    /// Moves a claimed file to `failed/` with `Failed:` and `Fail_reason:`,
    /// as [`Spool::finish_sent`] does for `sent/`.
    pub fn finish_failed(
        &self,
        claimed: ClaimedFile,
        failed: DateTime,
        reason: &str,
    ) -> Result<String, SpoolError> {
        let finish = Finish::Failed {
            at: failed,
            reason: reason.to_owned(),
        };
        self.finish_one(claimed, finish)
    }

    fn finish_one(&self, claimed: ClaimedFile, finish: Finish) -> Result<String, SpoolError> {
        let mut results = self.finish_many(vec![(claimed, finish)]);
        match results.pop() {
            Some((_, r)) => r,
            None => Err(SpoolError::Io {
                action: "finish",
                path: self.dir(SpoolDir::Checked),
                source: io::Error::other("no result"),
            }),
        }
    }

    /// Makes the files written and renamed so far durable: one `syncfs`, or
    /// an `fdatasync` of each of `files` and an `fsync` of each of `dirs`.
    fn sync_batch(&self, files: &[Arc<File>], dirs: &[PathBuf]) -> Result<(), SpoolError> {
        match self.sync {
            SyncMode::Filesystem => {
                for fs in &self.filesystems {
                    sync_filesystem(fs).map_err(io_error("sync", &self.root))?;
                }
                Ok(())
            }
            SyncMode::Files => {
                for r in sync_files(files) {
                    r.map_err(io_error("sync", &self.root))?;
                }
                for d in dirs {
                    fsync_dir(d).map_err(io_error("sync", d))?;
                }
                Ok(())
            }
        }
    }

    /// Finishes several claimed files as [`Spool::finish_sent`] and
    /// [`Spool::finish_failed`] finish one, in the same order of durable
    /// steps, paying each kind of sync once for the batch: the results are
    /// recorded with one write to the progress log and one `fdatasync`;
    /// written over their files; synced together; renamed into `sent/` or
    /// `failed/`; synced together.
    ///
    /// Returns, for each file in order, its name and its name in `sent/` or
    /// `failed/`, or the error that left it in `checked/`.
    pub fn finish_many(
        &self,
        files: Vec<(ClaimedFile, Finish)>,
    ) -> Vec<(String, Result<String, SpoolError>)> {
        struct Item {
            claimed: ClaimedFile,
            outcome: Outcome,
            dir: PathBuf,
            step: Step,
        }
        if files.is_empty() {
            return Vec::new();
        }
        let log = files[0].0.log.clone();
        let mut items: Vec<Item> = files
            .into_iter()
            .map(|(claimed, finish)| {
                let (outcome, headers) = match (&claimed.pending, &finish) {
                    (Some((o, _)), _) => (*o, Vec::new()),
                    (None, Finish::Sent { at, message_ids }) => {
                        (Outcome::Sent, sent_headers(*at, message_ids))
                    }
                    (None, Finish::Failed { at, reason }) => {
                        (Outcome::Failed, failed_headers(*at, reason))
                    }
                };
                let dir = self.dir(SpoolDir::of_result(outcome));
                let step = self
                    .prepare_result(&claimed, outcome, &dir, &headers)
                    .unwrap_or_else(Step::Failed);
                Item {
                    claimed,
                    outcome,
                    dir,
                    step,
                }
            })
            .collect();

        // 1. The results to write in place, recorded with one write; and
        // the log (with the names chosen for copies) synced.
        let to_log: Vec<(&str, Outcome, Arc<Vec<u8>>)> = items
            .iter()
            .filter_map(|i| match &i.step {
                Step::InPlace {
                    data,
                    logged: false,
                    ..
                } => Some((i.claimed.key.as_str(), i.outcome, data.clone())),
                _ => None,
            })
            .collect();
        let logged = log
            .done(&to_log)
            .and_then(|()| log.sync())
            .map_err(|e| (e.kind(), e.to_string()));
        drop(to_log);
        // A step that fails for the whole batch leaves every file not yet
        // placed in checked/, with its copy (if any) removed.
        let fail_unplaced = |items: &mut Vec<Item>, error: &dyn Fn() -> SpoolError| {
            for item in items.iter_mut() {
                if let Step::Copy { temp, .. } = &item.step {
                    let _ = fs::remove_file(temp);
                }
                if matches!(item.step, Step::InPlace { .. } | Step::Copy { .. }) {
                    item.step = Step::Failed(error());
                }
            }
        };
        if let Err((kind, msg)) = logged {
            fail_unplaced(&mut items, &|| {
                io_error("write", log.path())(io::Error::new(kind, msg.clone()))
            });
        }

        // 2. Written over the files in checked/, then everything synced.
        let mut handles = Vec::new();
        for item in &mut items {
            if let Step::InPlace {
                data,
                file,
                old_len,
                ..
            } = &item.step
            {
                // The file must end up exactly its result, also if it was
                // longer (written over before a crash, or changed by its
                // writer after the scan, which writers must not do). Only
                // then is it cut: a truncate makes ext4 start writing the
                // file back at close.
                let len = data.len() as u64;
                let written = file.write_all_at(data, 0).and_then(|()| {
                    if *old_len > len {
                        file.set_len(len)?;
                    }
                    Ok(())
                });
                match written {
                    Ok(()) => handles.push(file.clone()),
                    Err(e) => item.step = Step::Failed(io_error("write", &item.claimed.path)(e)),
                }
            } else if let Step::Copy { file, .. } = &item.step {
                handles.push(file.clone());
            }
        }
        if !handles.is_empty() {
            if let Err(e) = self.sync_batch(&handles, &[]) {
                let msg = e.to_string();
                fail_unplaced(&mut items, &|| {
                    io_error("sync", &self.root)(io::Error::other(msg.clone()))
                });
            }
        }
        drop(handles);

        // 3. Into place.
        let checked = self.dir(SpoolDir::Checked);
        let mut dirs: Vec<PathBuf> = Vec::new();
        for item in &mut items {
            let step = std::mem::replace(&mut item.step, Step::Moved(String::new()));
            item.step = match step {
                Step::InPlace { linked, .. } => {
                    match self.move_result(&item.claimed, &item.dir, linked) {
                        Ok(target) => Step::Moved(target),
                        Err(e) => Step::Failed(e),
                    }
                }
                Step::Copy {
                    temp, target, ino, ..
                } => {
                    let path = item.dir.join(&target);
                    let placed = match move_by_link(&temp, &path, &self.noreplace) {
                        Ok(Moved::Done) => Ok(target),
                        // Taken since it was chosen: the next free name,
                        // each choice recorded first.
                        Ok(Moved::Exists) => self.place_result(
                            &log,
                            &item.claimed,
                            &item.dir,
                            item.outcome,
                            &temp,
                            ino,
                        ),
                        Err(e) => Err(io_error("write", &path)(e)),
                    };
                    match placed {
                        Ok(t) => Step::Placed(t),
                        Err(e) => {
                            let _ = fs::remove_file(&temp);
                            Step::Failed(e)
                        }
                    }
                }
                other => other,
            };
            if let Step::Placed(_) = &item.step {
                item.step = match remove_if_exists(&item.claimed.path) {
                    Ok(()) => match std::mem::replace(&mut item.step, Step::Moved(String::new())) {
                        Step::Placed(t) => Step::Moved(t),
                        other => other,
                    },
                    Err(e) => Step::Failed(io_error("remove", &item.claimed.path)(e)),
                };
            }
            if matches!(item.step, Step::Moved(_)) && !dirs.contains(&item.dir) {
                dirs.push(item.dir.clone());
            }
        }
        let moved = !dirs.is_empty();
        dirs.push(checked);
        let dir_error = if moved {
            self.sync_batch(&[], &dirs).err()
        } else {
            None
        };
        if let Some(e) = &dir_error {
            // Out of checked/ but maybe not durably: the log keeps them, so
            // that a restart after a power loss finishes them again.
            log::warn!("{e}");
        }
        let done: Vec<&str> = if dir_error.is_none() {
            items
                .iter()
                .filter(|i| matches!(i.step, Step::Moved(_)))
                .map(|i| i.claimed.key.as_str())
                .collect()
        } else {
            Vec::new()
        };
        log.forget(done);

        items
            .into_iter()
            .map(|item| {
                let result = match item.step {
                    Step::Moved(target) => {
                        log::debug!("finished {target} in {}", item.outcome.as_str());
                        Ok(target)
                    }
                    Step::Failed(e) => Err(e),
                    _ => unreachable!("every file was moved or failed"),
                };
                (item.claimed.name, result)
            })
            .collect()
    }

    /// The first step of finishing one file: its result computed and the
    /// file opened to be written over; or (too large to keep in the log,
    /// not writable by this process) the result written to a hidden file in
    /// `dir`, its name recorded in the log (not synced yet).
    fn prepare_result(
        &self,
        claimed: &ClaimedFile,
        outcome: Outcome,
        dir: &Path,
        headers: &[(&'static str, String)],
    ) -> Result<Step, SpoolError> {
        let open_rw = || -> io::Result<(File, u64, bool)> {
            let file = OpenOptions::new().write(true).open(&claimed.path)?;
            let meta = file.metadata()?;
            Ok((file, meta.len(), meta.nlink() > 1))
        };
        if let Some((_, data)) = &claimed.pending {
            let (file, old_len, linked) = open_rw().map_err(io_error("open", &claimed.path))?;
            return Ok(Step::InPlace {
                data: data.clone(),
                file: Arc::new(file),
                logged: true,
                old_len,
                linked,
            });
        }
        if let Some((o, target, ino)) = &claimed.placed {
            // Written as a new file and linked under this name before a
            // crash: the file of that name is this result if it has the
            // inode recorded.
            if *o == outcome
                && fs::symlink_metadata(dir.join(target)).is_ok_and(|m| m.ino() == *ino)
            {
                return Ok(Step::Placed(target.clone()));
            }
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        match claimed.contents() {
            Ok(original) => match open_rw() {
                // A file with other hard links keeps its contents: its
                // result is a new file.
                Ok((_, _, true)) => {}
                Ok((file, old_len, false)) => {
                    return Ok(Step::InPlace {
                        data: Arc::new(insert_headers(original, &headers)),
                        file: Arc::new(file),
                        logged: false,
                        old_len,
                        linked: false,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {}
                Err(e) => return Err(io_error("open", &claimed.path)(e)),
            },
            // Too large to keep: copied below.
            Err(SpoolError::BadFile(_)) => {}
            Err(e) => return Err(e),
        }
        let copy = |mut src: &mut dyn Read, f: &mut File| {
            let mut w = io::BufWriter::new(f);
            copy_inserting(&mut src, &mut w, &headers)?;
            w.flush()
        };
        let (temp, file) = match claimed.data.get() {
            Some(data) => write_temp_unsynced(dir, &self.owner, |f| copy(&mut &data[..], f)),
            None => {
                let mut src = File::open(&claimed.path).map_err(io_error("open", &claimed.path))?;
                write_temp_unsynced(dir, &self.owner, |f| copy(&mut src, f))
            }
        }
        .map_err(io_error("write", dir))?;
        let ino = match file.metadata() {
            Ok(m) => m.ino(),
            Err(e) => {
                let _ = fs::remove_file(&temp);
                return Err(io_error("write", dir)(e));
            }
        };
        let Some(target) = (0..MAX_NAME_TRIES)
            .map(|n| result_name(&claimed.name, n))
            .find(|t| fs::symlink_metadata(dir.join(t)).is_err())
        else {
            let _ = fs::remove_file(&temp);
            return Err(SpoolError::NoFreeName {
                dir: dir.to_owned(),
                name: claimed.name.clone(),
            });
        };
        if let Err(e) = claimed.log.result(&claimed.key, outcome, &target, ino) {
            let _ = fs::remove_file(&temp);
            return Err(claimed.log_error(e));
        }
        Ok(Step::Copy {
            temp,
            file: Arc::new(file),
            target,
            ino,
        })
    }

    /// Renames a file whose result was written over it into `dir`, under
    /// the first free name of `NAME`, `NAME.1`, ...
    fn move_result(
        &self,
        claimed: &ClaimedFile,
        dir: &Path,
        linked: bool,
    ) -> Result<String, SpoolError> {
        if linked {
            // Linked into place before a crash (the unlink from checked/
            // did not happen): find that name, so as not to give the file
            // a second one.
            if let Ok(me) = fs::symlink_metadata(&claimed.path) {
                for n in 0..MAX_NAME_TRIES {
                    let target = result_name(&claimed.name, n);
                    match fs::symlink_metadata(dir.join(&target)) {
                        Ok(m) if m.ino() == me.ino() && m.dev() == me.dev() => {
                            remove_if_exists(&claimed.path)
                                .map_err(io_error("remove", &claimed.path))?;
                            return Ok(target);
                        }
                        // Names before it may have been removed since:
                        // all are looked at (this is rare: a crash).
                        _ => continue,
                    }
                }
            }
        }
        for n in 0..MAX_NAME_TRIES {
            let target = result_name(&claimed.name, n);
            let path = dir.join(&target);
            match move_by_link(&claimed.path, &path, &self.noreplace) {
                Ok(Moved::Done) => return Ok(target),
                Ok(Moved::Exists) => continue,
                Err(e) => return Err(io_error("move", &claimed.path)(e)),
            }
        }
        Err(SpoolError::NoFreeName {
            dir: dir.to_owned(),
            name: claimed.name.clone(),
        })
    }

    /// Links `temp` into `dir` under the first free name of `NAME`,
    /// `NAME.1`, ..., recording each choice in the log first.
    fn place_result(
        &self,
        log: &ProgressLog,
        claimed: &ClaimedFile,
        dir: &Path,
        outcome: Outcome,
        temp: &Path,
        ino: u64,
    ) -> Result<String, SpoolError> {
        for n in 0..MAX_NAME_TRIES {
            let target = result_name(&claimed.name, n);
            let path = dir.join(&target);
            if fs::symlink_metadata(&path).is_ok() {
                continue;
            }
            log.result(&claimed.key, outcome, &target, ino)
                .and_then(|()| log.sync())
                .map_err(|e| claimed.log_error(e))?;
            let moved = move_by_link(temp, &path, &self.noreplace);
            if moved.map_err(io_error("write", &path))? == Moved::Done {
                return Ok(target);
            }
        }
        Err(SpoolError::NoFreeName {
            dir: dir.to_owned(),
            name: claimed.name.clone(),
        })
    }

    /// Writes an MO message to `incoming/` durably; returns its name.
    /// Names are `YYYYMMDD-HHMMSS-PID-N` from the received time, the process
    /// id and a counter; an existing file is never replaced.
    pub fn write_incoming(&self, msg: &IncomingMessage) -> Result<String, SpoolError> {
        self.write_new(SpoolDir::Incoming, msg.received, &msg.to_file())
    }

    /// Writes a delivery receipt to `report/` durably; returns its name,
    /// formed as for [`Spool::write_incoming`].
    pub fn write_report(&self, report: &ReportMessage) -> Result<String, SpoolError> {
        self.write_new(SpoolDir::Report, report.received, &report.to_file())
    }

    fn write_new(&self, d: SpoolDir, time: DateTime, data: &[u8]) -> Result<String, SpoolError> {
        let dir = self.dir(d);
        let temp = write_temp(&dir, &self.owner, FILE_MODE, |f| f.write_all(data))
            .map_err(io_error("write", &dir))?;
        let stamp = format!(
            "{:04}{:02}{:02}-{:02}{:02}{:02}-{}",
            time.year,
            time.month,
            time.day,
            time.hour,
            time.minute,
            time.second,
            std::process::id()
        );
        for _ in 0..MAX_NAME_TRIES {
            let n = self.seq.fetch_add(1, Ordering::Relaxed);
            let name = format!("{stamp}-{n}");
            let path = dir.join(&name);
            match move_by_link(&temp, &path, &self.noreplace) {
                Ok(Moved::Done) => {
                    fsync_dir(&dir).map_err(io_error("sync", &dir))?;
                    return Ok(name);
                }
                Ok(Moved::Exists) => continue,
                Err(e) => {
                    let _ = fs::remove_file(&temp);
                    return Err(io_error("write", &path)(e));
                }
            }
        }
        let _ = fs::remove_file(&temp);
        Err(SpoolError::NoFreeName { dir, name: stamp })
    }
}
