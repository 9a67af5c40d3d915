//! The spool directory: opening it, finding and claiming outgoing files,
//! and writing every file the daemon produces durably.

use super::fsutil::{crc32, fsync_dir, publish, temp_prefix, write_temp};
use super::message::{
    copy_inserting, failed_headers, peek_priority_high, sent_headers, IncomingMessage,
    OutgoingMessage, ReportMessage, MAX_FILE_LEN,
};
use super::progress::{Journal, Outcome, Progress};
use super::SpoolError;
use crate::datetime::DateTime;
use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

/// How much of a file the priority peek reads.
const PEEK_LEN: u64 = 4096;
/// How many `NAME.N` suffixes are tried for a result file, and how many
/// names for an incoming or report file, before giving up.
const MAX_NAME_TRIES: u32 = 1000;
/// The longest owner id.
const MAX_OWNER_LEN: usize = 64;

/// The six subdirectories of a spool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpoolDir {
    /// `outgoing/`: files waiting to be sent.
    Outgoing,
    /// `checked/`: files claimed by a daemon, being sent.
    Checked,
    /// `sent/`: files accepted by the SMSC.
    Sent,
    /// `failed/`: files rejected for good.
    Failed,
    /// `incoming/`: mobile-originated messages.
    Incoming,
    /// `report/`: delivery receipts.
    Report,
}

impl SpoolDir {
    /// All six, in the order above.
    pub const ALL: [SpoolDir; 6] = [
        SpoolDir::Outgoing,
        SpoolDir::Checked,
        SpoolDir::Sent,
        SpoolDir::Failed,
        SpoolDir::Incoming,
        SpoolDir::Report,
    ];

    /// The directory's name under the spool root.
    pub fn name(self) -> &'static str {
        match self {
            SpoolDir::Outgoing => "outgoing",
            SpoolDir::Checked => "checked",
            SpoolDir::Sent => "sent",
            SpoolDir::Failed => "failed",
            SpoolDir::Incoming => "incoming",
            SpoolDir::Report => "report",
        }
    }
}

/// A file in `outgoing/` that may be claimed, from [`Spool::scan_outgoing`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The file name.
    pub name: String,
    /// Whether its headers say `Priority: High`.
    pub priority_high: bool,
    /// Its modification time.
    pub modified: SystemTime,
}

/// A file this daemon holds in `checked/`, with its progress journal.
///
/// Finish it with [`Spool::finish_sent`] or [`Spool::finish_failed`]. If
/// the process dies first, the file and its journal stay in `checked/`, and
/// [`Spool::recover_checked`] gives them back on the next start.
#[derive(Debug)]
pub struct ClaimedFile {
    name: String,
    path: PathBuf,
    journal: Journal,
    recovered: bool,
}

impl ClaimedFile {
    /// The file name (the same in `outgoing/`, `checked/` and usually in
    /// `sent/` or `failed/`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's path in `checked/`.
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
        OutgoingMessage::parse(&self.read()?).map_err(SpoolError::BadFile)
    }

    /// The parts already accepted: index (from 0) to message id.
    pub fn parts_done(&self) -> &BTreeMap<usize, String> {
        &self.journal.progress().parts
    }

    /// Everything the journal holds.
    pub fn progress(&self) -> &Progress {
        self.journal.progress()
    }

    /// Records, durably, that part `index` (from 0) was accepted as
    /// `message_id`. Call it as each `submit_sm_resp` arrives.
    pub fn record_part(&mut self, index: usize, message_id: &str) -> Result<(), SpoolError> {
        self.journal
            .record_part(index, message_id)
            .map_err(|source| SpoolError::Io {
                action: "write the progress journal",
                path: self.journal.path().to_owned(),
                source,
            })
    }
}

/// A spool directory; see the [module docs](super).
///
/// All methods take `&self`, so one `Spool` can be shared between threads.
#[derive(Debug)]
pub struct Spool {
    root: PathBuf,
    owner: String,
    seq: AtomicU64,
}

fn io_error<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> SpoolError + 'a {
    move |source| SpoolError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Whether `name` may be used as a file name in the spool.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}

/// Whether a file in `outgoing/` is left alone: hidden files, lock files,
/// and files with a lock file beside them.
fn ignored(name: &str, names: &HashSet<String>) -> bool {
    name.starts_with('.')
        || name.ends_with(".LOCK")
        || name.starts_with("LOCKED")
        || names.contains(&format!("{name}.LOCK"))
}

/// Whether an owner id is usable in file names: 1 to 64 of `A-Z a-z 0-9 . _ -`,
/// not starting with a dot.
pub fn valid_owner(owner: &str) -> bool {
    (1..=MAX_OWNER_LEN).contains(&owner.len())
        && !owner.starts_with('.')
        && owner
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// This machine's host name made fit for an owner id, or `localhost`.
pub fn default_owner() -> String {
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let cleaned: String = host
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(MAX_OWNER_LEN)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "localhost".to_owned()
    } else {
        cleaned
    }
}

/// The longest file name most filesystems take, in bytes.
const MAX_NAME_LEN: usize = 255;

/// The first bytes of `name`, at most `max`, cut at a character boundary.
fn truncated(name: &str, max: usize) -> &str {
    let mut end = name.len().min(max);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// The journal's name for `checked/NAME`: `.NAME.progress`, or for a name
/// too long for that, `.PREFIX~CRC.progress` (CRC-32 of the whole name).
fn journal_name(name: &str) -> String {
    let plain = format!(".{name}.progress");
    if plain.len() <= MAX_NAME_LEN {
        plain
    } else {
        format!(
            ".{}~{:08x}.progress",
            truncated(name, 200),
            crc32(name.as_bytes())
        )
    }
}

/// The `n`th name for a result file: `NAME`, `NAME.1`, ...; the name is
/// shortened if the suffix would make it too long.
fn result_name(name: &str, n: u32) -> String {
    if n == 0 {
        return name.to_owned();
    }
    let suffix = format!(".{n}");
    format!("{}{suffix}", truncated(name, MAX_NAME_LEN - suffix.len()))
}

fn not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if !not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

impl Spool {
    /// Opens the spool at `root`: creates the root and the six directories
    /// if missing, and checks that each one is a directory this process can
    /// create and remove files in (by doing so with a hidden probe file).
    /// The owner id is [`default_owner`]; see [`Spool::with_owner`].
    pub fn open(root: impl Into<PathBuf>) -> Result<Spool, SpoolError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(io_error("create", &root))?;
        let spool = Spool {
            root,
            owner: default_owner(),
            seq: AtomicU64::new(0),
        };
        for d in SpoolDir::ALL {
            let path = spool.dir(d);
            match fs::metadata(&path) {
                Ok(m) if !m.is_dir() => return Err(SpoolError::NotADirectory { path }),
                Ok(_) => {}
                Err(e) if not_found(&e) => match fs::create_dir(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io_error("create", &path)(e)),
                },
                Err(e) => return Err(io_error("open", &path)(e)),
            }
            spool.probe(&path)?;
        }
        Ok(spool)
    }

    fn probe(&self, dir: &Path) -> Result<(), SpoolError> {
        let unusable = |source| SpoolError::Unusable {
            path: dir.to_owned(),
            source,
        };
        let temp = write_temp(dir, "probe", |f| f.write_all(b"probe")).map_err(unusable)?;
        fs::remove_file(&temp).map_err(unusable)
    }

    /// Sets the id this daemon instance writes into the journals of the
    /// files it claims. Recovery takes back only files with this id, so
    /// daemons that share a spool must each have their own, and a restarted
    /// daemon must keep its id. Errors unless [`valid_owner`].
    pub fn with_owner(mut self, owner: &str) -> Result<Spool, SpoolError> {
        if !valid_owner(owner) {
            return Err(SpoolError::BadOwner {
                owner: owner.to_owned(),
            });
        }
        owner.clone_into(&mut self.owner);
        Ok(self)
    }

    /// The spool root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The owner id.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// The path of one of the six directories.
    pub fn dir(&self, d: SpoolDir) -> PathBuf {
        self.root.join(d.name())
    }

    fn journal_path(&self, name: &str) -> PathBuf {
        self.dir(SpoolDir::Checked).join(journal_name(name))
    }

    /// The files in `outgoing/` that may be claimed, `Priority: High` first,
    /// then oldest first (modification time, then name).
    ///
    /// Skipped: hidden files, `*.LOCK`, names starting with `LOCKED`, files
    /// with a `NAME.LOCK` beside them, anything that is not a regular file,
    /// and names that are not UTF-8 (logged at debug level; rename them).
    /// The priority is read from at most the first 4 KiB of each file, so a
    /// scan opens every waiting file: its cost grows with the backlog.
    pub fn scan_outgoing(&self) -> Result<Vec<Candidate>, SpoolError> {
        let dir = self.dir(SpoolDir::Outgoing);
        let mut names = HashSet::new();
        for entry in fs::read_dir(&dir).map_err(io_error("list", &dir))? {
            let entry = entry.map_err(io_error("list", &dir))?;
            match entry.file_name().into_string() {
                Ok(n) => {
                    names.insert(n);
                }
                Err(n) => log::debug!("skipping outgoing file with a non-UTF-8 name {n:?}"),
            }
        }
        let mut out = Vec::new();
        for name in &names {
            if ignored(name, &names) {
                continue;
            }
            let path = dir.join(name);
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue; // gone since the listing
            };
            if !meta.is_file() {
                continue;
            }
            let mut head = Vec::new();
            let priority_high = match File::open(&path) {
                Ok(f) => {
                    f.take(PEEK_LEN).read_to_end(&mut head).is_ok() && peek_priority_high(&head)
                }
                Err(_) => false,
            };
            out.push(Candidate {
                name: name.clone(),
                priority_high,
                modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
        out.sort_by(|a, b| {
            b.priority_high
                .cmp(&a.priority_high)
                .then(a.modified.cmp(&b.modified))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }

    /// Claims `outgoing/NAME` by moving it to `checked/NAME`.
    ///
    /// `Ok(None)` when someone else got there first: the file is gone from
    /// `outgoing/`, or another claim of the same name is in progress or in
    /// flight (the new file then waits in `outgoing/` until that one is
    /// finished). Of several daemons claiming one file, exactly one gets
    /// `Some`.
    ///
    /// If `checked/NAME` exists without a journal (put there by hand), that
    /// file is returned instead, marked [`ClaimedFile::recovered`], and
    /// `outgoing/NAME` waits for the next claim.
    ///
    /// How: the journal `checked/.NAME.progress` is created with `O_EXCL`
    /// (the lock on the name, holding this daemon's owner id), the file is
    /// renamed into `checked/`, and `checked/` is fsynced.
    pub fn claim(&self, name: &str) -> Result<Option<ClaimedFile>, SpoolError> {
        if !valid_name(name) {
            return Err(SpoolError::BadName {
                name: name.to_owned(),
            });
        }
        let src = self.dir(SpoolDir::Outgoing).join(name);
        match fs::symlink_metadata(&src) {
            Ok(m) if m.is_file() => {}
            Ok(_) => return Ok(None),
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(io_error("open", &src)(e)),
        }
        let checked = self.dir(SpoolDir::Checked);
        let jpath = self.journal_path(name);
        let Some(journal) =
            Journal::create_new(&jpath, &self.owner).map_err(io_error("create", &jpath))?
        else {
            return Ok(None);
        };
        let dst = checked.join(name);
        let give_up = |journal: Journal| {
            drop(journal);
            remove_if_exists(&jpath).map_err(io_error("remove", &jpath))
        };
        if fs::symlink_metadata(&dst).is_ok() {
            // A file put in checked/ by hand, without a journal. Holding the
            // name's journal now, take that one; outgoing/NAME waits.
            fsync_dir(&checked).map_err(io_error("sync", &checked))?;
            log::warn!("{name}: adopted the file of that name in checked/ (it had no journal)");
            return Ok(Some(ClaimedFile {
                name: name.to_owned(),
                path: dst,
                journal,
                recovered: true,
            }));
        }
        if let Err(e) = fs::rename(&src, &dst) {
            give_up(journal)?;
            return if not_found(&e) {
                Ok(None)
            } else {
                Err(io_error("move", &src)(e))
            };
        }
        fsync_dir(&checked).map_err(io_error("sync", &checked))?;
        log::debug!("claimed {name}");
        Ok(Some(ClaimedFile {
            name: name.to_owned(),
            path: dst,
            journal,
            recovered: false,
        }))
    }

    /// The files this daemon (by owner id) held in `checked/` when it
    /// stopped, to be resumed: [`ClaimedFile::parts_done`] says which parts
    /// not to send again. Call it once at startup, before claiming.
    ///
    /// Also adopts files in `checked/` that have no journal (put there by
    /// hand), removes this owner's journals whose file is gone (a crash
    /// between steps of a claim or a finish) and this owner's leftover
    /// temporary files. Files held by other owners are left alone.
    pub fn recover_checked(&self) -> Result<Vec<ClaimedFile>, SpoolError> {
        let checked = self.dir(SpoolDir::Checked);
        let temp_prefix = temp_prefix(&self.owner);
        for d in SpoolDir::ALL {
            let dir = self.dir(d);
            for entry in fs::read_dir(&dir).map_err(io_error("list", &dir))? {
                let entry = entry.map_err(io_error("list", &dir))?;
                let name = entry.file_name();
                if name.to_string_lossy().starts_with(&temp_prefix) {
                    remove_if_exists(&entry.path()).map_err(io_error("remove", &entry.path()))?;
                }
            }
        }
        let mut files = Vec::new();
        let mut journals = Vec::new();
        for entry in fs::read_dir(&checked).map_err(io_error("list", &checked))? {
            let entry = entry.map_err(io_error("list", &checked))?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if name.starts_with('.') && name.ends_with(".progress") {
                journals.push(name);
            } else if !name.starts_with('.')
                && entry.file_type().map(|t| t.is_file()).unwrap_or(false)
            {
                files.push(name);
            }
        }
        files.sort();
        let mut out = Vec::new();
        for name in &files {
            let jpath = self.journal_path(name);
            let journal = match Journal::open(&jpath) {
                Ok(j) => {
                    match j.progress().owner.as_deref() {
                        Some(o) if o == self.owner => {}
                        Some(o) => {
                            log::debug!("{name}: held by {o}, left alone");
                            continue;
                        }
                        None => {
                            let mut j = j;
                            j.record_owner(&self.owner)
                                .map_err(io_error("write", &jpath))?;
                            log::warn!("{name}: adopted (its journal named no owner)");
                            out.push(self.recovered(name, j));
                            continue;
                        }
                    }
                    j
                }
                Err(e) if not_found(&e) => {
                    match Journal::create_new(&jpath, &self.owner)
                        .map_err(io_error("create", &jpath))?
                    {
                        Some(j) => {
                            log::warn!("{name}: adopted (it had no journal)");
                            j
                        }
                        None => continue,
                    }
                }
                Err(e) => return Err(io_error("open", &jpath)(e)),
            };
            out.push(self.recovered(name, journal));
        }
        let present: HashSet<String> = files.iter().map(|f| journal_name(f)).collect();
        for j in journals {
            if present.contains(&j) {
                continue;
            }
            let jpath = checked.join(&j);
            let ours = Journal::load(&jpath)
                .map(|p| p.owner.as_deref() == Some(self.owner.as_str()))
                .unwrap_or(false);
            if ours {
                remove_if_exists(&jpath).map_err(io_error("remove", &jpath))?;
            }
        }
        fsync_dir(&checked).map_err(io_error("sync", &checked))?;
        Ok(out)
    }

    fn recovered(&self, name: &str, journal: Journal) -> ClaimedFile {
        ClaimedFile {
            name: name.to_owned(),
            path: self.dir(SpoolDir::Checked).join(name),
            journal,
            recovered: true,
        }
    }

    /// Takes back `checked/NAME` if this owner holds it: after a finish
    /// that failed part-way (the file stays in `checked/`), or to pick up one
    /// file that [`Spool::recover_checked`] would return. `Ok(None)` if the
    /// file is not there or another owner holds it.
    pub fn resume(&self, name: &str) -> Result<Option<ClaimedFile>, SpoolError> {
        if !valid_name(name) {
            return Err(SpoolError::BadName {
                name: name.to_owned(),
            });
        }
        let path = self.dir(SpoolDir::Checked).join(name);
        if fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let jpath = self.journal_path(name);
        let journal = match Journal::open(&jpath) {
            Ok(j) => j,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(io_error("open", &jpath)(e)),
        };
        if journal.progress().owner.as_deref() != Some(self.owner.as_str()) {
            return Ok(None);
        }
        Ok(Some(self.recovered(name, journal)))
    }

    /// The progress journal of `checked/NAME`, read without taking it.
    pub fn progress(&self, name: &str) -> Result<Progress, SpoolError> {
        let jpath = self.journal_path(name);
        Journal::load(&jpath).map_err(io_error("read", &jpath))
    }

    /// Moves a claimed file to `sent/` with `Sent:` and one `Message_id:`
    /// per part inserted at the end of its header block. Returns the name in
    /// `sent/`: `NAME`, or `NAME.1`, `NAME.2`, ... when a file of that name
    /// is already there (the same name sent twice); nothing is overwritten.
    ///
    /// Durable in this order: the result is written to a hidden file in
    /// `sent/`, fsynced, linked into place, `sent/` fsynced; then
    /// `checked/NAME` is removed and `checked/` fsynced; then the journal is
    /// removed. Calling it again after a crash part-way does not write a
    /// second result file.
    ///
    /// On an error the file stays in `checked/` with its journal; take it
    /// back with [`Spool::resume`] to try again.
    pub fn finish_sent(
        &self,
        claimed: ClaimedFile,
        sent: DateTime,
        message_ids: &[String],
    ) -> Result<String, SpoolError> {
        let headers = sent_headers(sent, message_ids);
        self.finish(claimed, Outcome::Sent, &headers)
    }

    /// Moves a claimed file to `failed/` with `Failed:` and `Fail_reason:`,
    /// as [`Spool::finish_sent`] does for `sent/`.
    pub fn finish_failed(
        &self,
        claimed: ClaimedFile,
        failed: DateTime,
        reason: &str,
    ) -> Result<String, SpoolError> {
        let headers = failed_headers(failed, reason);
        self.finish(claimed, Outcome::Failed, &headers)
    }

    fn finish(
        &self,
        mut claimed: ClaimedFile,
        outcome: Outcome,
        headers: &[(&'static str, String)],
    ) -> Result<String, SpoolError> {
        let dir = self.dir(match outcome {
            Outcome::Sent => SpoolDir::Sent,
            Outcome::Failed => SpoolDir::Failed,
        });
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let jpath = claimed.journal.path().to_owned();
        let mut done = None;
        if let Some((o, target)) = &claimed.journal.progress().result {
            // Only the holder of the name's journal creates sent/NAME.N, so
            // an existing target is this file's, from before a crash.
            if *o == outcome && fs::symlink_metadata(dir.join(target)).is_ok() {
                done = Some(target.clone());
            }
        }
        let target = match done {
            Some(t) => t,
            None => {
                let mut src = File::open(&claimed.path).map_err(io_error("open", &claimed.path))?;
                let temp = write_temp(&dir, &self.owner, |f| {
                    let mut w = io::BufWriter::new(f);
                    copy_inserting(&mut src, &mut w, &headers)?;
                    w.flush()
                })
                .map_err(io_error("write", &dir))?;
                let placed = self.place_result(&mut claimed, &dir, outcome, &temp);
                if placed.is_err() {
                    let _ = fs::remove_file(&temp);
                }
                placed?
            }
        };
        fsync_dir(&dir).map_err(io_error("sync", &dir))?;
        let checked = self.dir(SpoolDir::Checked);
        remove_if_exists(&claimed.path).map_err(io_error("remove", &claimed.path))?;
        fsync_dir(&checked).map_err(io_error("sync", &checked))?;
        drop(claimed);
        remove_if_exists(&jpath).map_err(io_error("remove", &jpath))?;
        log::debug!("finished {target} in {}", outcome.as_str());
        Ok(target)
    }

    /// Links `temp` into `dir` under the first free name of `NAME`,
    /// `NAME.1`, ..., recording each choice in the journal first.
    fn place_result(
        &self,
        claimed: &mut ClaimedFile,
        dir: &Path,
        outcome: Outcome,
        temp: &Path,
    ) -> Result<String, SpoolError> {
        for n in 0..MAX_NAME_TRIES {
            let target = result_name(&claimed.name, n);
            let path = dir.join(&target);
            if fs::symlink_metadata(&path).is_ok() {
                continue;
            }
            claimed
                .journal
                .record_result(outcome, &target)
                .map_err(io_error("write", claimed.journal.path()))?;
            if publish(temp, &path).map_err(io_error("write", &path))? {
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
        let temp = write_temp(&dir, &self.owner, |f| f.write_all(data))
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
            match publish(&temp, &path) {
                Ok(true) => {
                    fsync_dir(&dir).map_err(io_error("sync", &dir))?;
                    return Ok(name);
                }
                Ok(false) => continue,
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

    #[test]
    fn long_names() {
        assert_eq!(journal_name("abc"), ".abc.progress");
        let long = "\u{E9}".repeat(120); // 240 bytes
        let j = journal_name(&long);
        assert!(j.len() <= MAX_NAME_LEN && j.ends_with(".progress"));
        assert_ne!(j, journal_name(&"\u{E9}".repeat(121)));
        assert_eq!(result_name("abc", 0), "abc");
        assert_eq!(result_name("abc", 12), "abc.12");
        let r = result_name(&long, 3);
        assert!(r.len() <= MAX_NAME_LEN && r.ends_with(".3"));
    }

    #[test]
    fn owners_and_names() {
        assert!(valid_owner("host-1.example_a"));
        assert!(!valid_owner(""));
        assert!(!valid_owner(".x"));
        assert!(!valid_owner("a b"));
        assert!(!valid_owner(&"a".repeat(65)));
        assert!(valid_owner(&default_owner()));
        assert!(valid_name("msg 1"));
        assert!(!valid_name("../x"));
        assert!(!valid_name(".."));
        assert!(!valid_name(""));
    }
}
