//! The spool directory: opening it, finding and claiming outgoing files,
//! and writing every file the daemon produces durably.

use super::fsutil::{
    crc32, fsync_dir, publish, sync_files, temp_prefix, write_temp, write_temp_unsynced,
};
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
use std::sync::{Arc, OnceLock};
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
    /// The contents, once read: the file in `checked/` does not change.
    data: OnceLock<Vec<u8>>,
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
        self.contents().map(<[u8]>::to_vec)
    }

    /// The contents, read once and kept.
    fn contents(&self) -> Result<&[u8], SpoolError> {
        if let Some(d) = self.data.get() {
            return Ok(d);
        }
        let d = self.read_disk()?;
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
        &self.journal.progress().parts
    }

    /// [`ClaimedFile::record_part`] without waiting for the disk: durable
    /// once the journal is synced ([`ClaimedFile::sync_handle`], or a
    /// finish).
    pub(crate) fn record_part_unsynced(
        &mut self,
        index: usize,
        message_id: &str,
    ) -> Result<(), SpoolError> {
        self.journal
            .record_part_unsynced(index, message_id)
            .map_err(|source| SpoolError::Io {
                action: "write the progress journal",
                path: self.journal.path().to_owned(),
                source,
            })
    }

    /// The journal's file, to sync its records (`sync_data`).
    pub(crate) fn sync_handle(&self) -> Arc<File> {
        self.journal.sync_handle()
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

/// The temporary-file tag of the probe in [`Spool::open`].
const PROBE_TAG: &str = "probe";

/// Whether `name` is a probe file of [`Spool::open`] left by a process that
/// is gone (killed while probing): `.tmp-probe+PID-N` with no `/proc/PID`.
fn stale_probe(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(&temp_prefix(PROBE_TAG)) else {
        return false;
    };
    let Some(pid) = rest
        .split_once('-')
        .and_then(|(p, _)| p.parse::<u32>().ok())
    else {
        return false;
    };
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
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
        let temp = write_temp(dir, PROBE_TAG, |f| f.write_all(b"probe")).map_err(unusable)?;
        // Gone already: removed as debris by a recovery that took this
        // process for a dead one (another host's, on a shared spool).
        remove_if_exists(&temp).map_err(unusable)
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
    /// How: the journal `checked/.NAME.progress` is created exclusively
    /// (the lock on the name, holding this daemon's owner id) and fsynced,
    /// the file is renamed into `checked/`, and `checked/` is fsynced.
    pub fn claim(&self, name: &str) -> Result<Option<ClaimedFile>, SpoolError> {
        let Some((name, journal, adopt)) = self.lock_name(name)? else {
            return Ok(None);
        };
        if let Err(e) = journal.sync() {
            let jpath = journal.path().to_owned();
            drop(journal);
            let _ = remove_if_exists(&jpath);
            return Err(io_error("sync", &jpath)(e));
        }
        let Some(claimed) = self.move_in(name, journal, adopt)? else {
            return Ok(None);
        };
        let checked = self.dir(SpoolDir::Checked);
        fsync_dir(&checked).map_err(io_error("sync", &checked))?;
        Ok(Some(claimed))
    }

    /// Claims several files as [`Spool::claim`] claims one, paying the
    /// fsyncs once for the batch: every journal is written, then all are
    /// synced together, then the files are renamed and `checked/` is synced
    /// once. Returns the files claimed (those another daemon got first are
    /// left out) and an error for each that could not be.
    pub fn claim_many<'a>(
        &self,
        names: impl IntoIterator<Item = &'a str>,
    ) -> (Vec<ClaimedFile>, Vec<SpoolError>) {
        let mut errors = Vec::new();
        let mut held = Vec::new();
        for name in names {
            match self.lock_name(name) {
                Ok(Some(h)) => held.push(h),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        let files: Vec<Arc<File>> = held.iter().map(|(_, j, _)| j.sync_handle()).collect();
        let synced = sync_files(&files);
        let mut out = Vec::new();
        for ((name, journal, adopt), r) in held.into_iter().zip(synced) {
            let jpath = journal.path().to_owned();
            if let Err(e) = r {
                drop(journal);
                let _ = remove_if_exists(&jpath);
                errors.push(io_error("sync", &jpath)(e));
                continue;
            }
            match self.move_in(name, journal, adopt) {
                Ok(Some(c)) => out.push(c),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
        if !out.is_empty() {
            let checked = self.dir(SpoolDir::Checked);
            if let Err(e) = fsync_dir(&checked) {
                // The claims stand: until checked/ is synced they may be
                // undone by a power loss, and the files sent again.
                errors.push(io_error("sync", &checked)(e));
            }
        }
        (out, errors)
    }

    /// The first step of a claim: the name's journal, created exclusively
    /// (not synced). `Ok(None)` if the file is gone or the name is held. The flag says that `checked/NAME` exists already (put there by
    /// hand) and is to be adopted instead of `outgoing/NAME`.
    #[allow(clippy::type_complexity)]
    fn lock_name<'a>(&self, name: &'a str) -> Result<Option<(&'a str, Journal, bool)>, SpoolError> {
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
        let jpath = self.journal_path(name);
        let Some(journal) = Journal::create_new_unsynced(&jpath, &self.owner)
            .map_err(io_error("create", &jpath))?
        else {
            return Ok(None);
        };
        let dst = self.dir(SpoolDir::Checked).join(name);
        let adopt = fs::symlink_metadata(&dst).is_ok();
        Ok(Some((name, journal, adopt)))
    }

    /// The second step of a claim: renames `outgoing/NAME` into `checked/`
    /// under the journal taken by [`Spool::lock_name`] (which must be
    /// synced by now), or adopts the file already there.
    fn move_in(
        &self,
        name: &str,
        journal: Journal,
        adopt: bool,
    ) -> Result<Option<ClaimedFile>, SpoolError> {
        let src = self.dir(SpoolDir::Outgoing).join(name);
        let dst = self.dir(SpoolDir::Checked).join(name);
        let jpath = journal.path().to_owned();
        if adopt {
            // A file put in checked/ by hand, without a journal. Holding the
            // name's journal now, take that one; outgoing/NAME waits.
            log::warn!("{name}: adopted the file of that name in checked/ (it had no journal)");
            return Ok(Some(ClaimedFile {
                name: name.to_owned(),
                path: dst,
                journal,
                recovered: true,
                data: OnceLock::new(),
            }));
        }
        if let Err(e) = fs::rename(&src, &dst) {
            drop(journal);
            remove_if_exists(&jpath).map_err(io_error("remove", &jpath))?;
            return if not_found(&e) {
                Ok(None)
            } else {
                Err(io_error("move", &src)(e))
            };
        }
        log::debug!("claimed {name}");
        Ok(Some(ClaimedFile {
            name: name.to_owned(),
            path: dst,
            journal,
            recovered: false,
            data: OnceLock::new(),
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
                let name = name.to_string_lossy();
                if name.starts_with(&temp_prefix) || stale_probe(&name) {
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
            data: OnceLock::new(),
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

    /// Finishes several claimed files as [`Spool::finish_sent`] and
    /// [`Spool::finish_failed`] finish one, in the same order of durable
    /// steps, paying each kind of fsync once for the batch: every result
    /// file is written and its name recorded in its journal, then all of
    /// them and their journals are synced together, linked into place, and
    /// `sent/` and `failed/` synced once each; then the files leave
    /// `checked/`, which is synced once; then the journals are removed.
    ///
    /// Returns, for each file in order, its name in `checked/` and its name
    /// in `sent/` or `failed/`, or the error that left it in `checked/`.
    pub fn finish_many(
        &self,
        files: Vec<(ClaimedFile, Finish)>,
    ) -> Vec<(String, Result<String, SpoolError>)> {
        enum Step {
            /// The result file is in place (now or before a crash).
            Placed(String),
            /// Written and its name recorded, neither synced yet.
            Written {
                temp: PathBuf,
                file: Arc<File>,
                target: String,
            },
            Failed(SpoolError),
        }
        struct Item {
            claimed: ClaimedFile,
            outcome: Outcome,
            dir: PathBuf,
            step: Step,
        }
        let mut items: Vec<Item> = files
            .into_iter()
            .map(|(mut claimed, finish)| {
                let (outcome, headers) = match &finish {
                    Finish::Sent { at, message_ids } => {
                        (Outcome::Sent, sent_headers(*at, message_ids))
                    }
                    Finish::Failed { at, reason } => (Outcome::Failed, failed_headers(*at, reason)),
                };
                let dir = self.dir(match outcome {
                    Outcome::Sent => SpoolDir::Sent,
                    Outcome::Failed => SpoolDir::Failed,
                });
                let step = match self.write_result(&mut claimed, outcome, &dir, &headers) {
                    Ok(step) => match step {
                        Ok(target) => Step::Placed(target),
                        Err((temp, file, target)) => Step::Written {
                            temp,
                            file: Arc::new(file),
                            target,
                        },
                    },
                    Err(e) => Step::Failed(e),
                };
                Item {
                    claimed,
                    outcome,
                    dir,
                    step,
                }
            })
            .collect();

        // The result files and the journals that name them, synced at once.
        let mut to_sync: Vec<Arc<File>> = Vec::new();
        for item in &items {
            if let Step::Written { file, .. } = &item.step {
                to_sync.push(file.clone());
                to_sync.push(item.claimed.journal.sync_handle());
            }
        }
        let mut synced = sync_files(&to_sync).into_iter();
        drop(to_sync);
        for item in &mut items {
            let step = std::mem::replace(&mut item.step, Step::Placed(String::new()));
            item.step = match step {
                Step::Written { temp, file, target } => {
                    let file_ok = synced.next().unwrap_or(Ok(()));
                    let journal_ok = synced.next().unwrap_or(Ok(()));
                    drop(file);
                    let placed = match (file_ok, journal_ok) {
                        (Err(e), _) => Err(io_error("sync", &temp)(e)),
                        (_, Err(e)) => Err(io_error("sync", item.claimed.journal.path())(e)),
                        (Ok(()), Ok(())) => {
                            let path = item.dir.join(&target);
                            match publish(&temp, &path) {
                                Ok(true) => Ok(target),
                                // Taken since it was chosen: the next free
                                // name, each choice recorded first.
                                Ok(false) => self.place_result(
                                    &mut item.claimed,
                                    &item.dir,
                                    item.outcome,
                                    &temp,
                                ),
                                Err(e) => Err(io_error("write", &path)(e)),
                            }
                        }
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
        }

        // The result directories, then checked/.
        let mut dirs: Vec<&Path> = Vec::new();
        for item in &items {
            if matches!(item.step, Step::Placed(_)) && !dirs.contains(&item.dir.as_path()) {
                dirs.push(&item.dir);
            }
        }
        let dir_errors: Vec<(PathBuf, io::Error)> = dirs
            .into_iter()
            .filter_map(|d| fsync_dir(d).err().map(|e| (d.to_owned(), e)))
            .collect();
        let checked = self.dir(SpoolDir::Checked);
        let mut removed = false;
        for item in &mut items {
            if !matches!(item.step, Step::Placed(_)) {
                continue;
            }
            if let Some((d, e)) = dir_errors.iter().find(|(d, _)| *d == item.dir) {
                let e = io::Error::new(e.kind(), e.to_string());
                item.step = Step::Failed(io_error("sync", d)(e));
                continue;
            }
            match remove_if_exists(&item.claimed.path) {
                Ok(()) => removed = true,
                Err(e) => item.step = Step::Failed(io_error("remove", &item.claimed.path)(e)),
            }
        }
        let checked_error = if removed {
            fsync_dir(&checked).err()
        } else {
            None
        };

        items
            .into_iter()
            .map(|item| {
                let name = item.claimed.name.clone();
                let result = match item.step {
                    Step::Placed(target) => match &checked_error {
                        // Out of checked/ but maybe not durably: keep the
                        // journal, so that a finish after a crash finds the
                        // result in place (recovery removes it otherwise).
                        Some(e) => {
                            log::warn!("cannot sync {}: {e}", checked.display());
                            Ok(target)
                        }
                        None => {
                            let jpath = item.claimed.journal.path().to_owned();
                            drop(item.claimed);
                            match remove_if_exists(&jpath) {
                                Ok(()) => {
                                    log::debug!("finished {target} in {}", item.outcome.as_str());
                                    Ok(target)
                                }
                                Err(e) => Err(io_error("remove", &jpath)(e)),
                            }
                        }
                    },
                    Step::Failed(e) => Err(e),
                    Step::Written { .. } => unreachable!("every written file was placed or failed"),
                };
                (name, result)
            })
            .collect()
    }

    /// Writes the result file for `claimed` to a hidden file in `dir`
    /// (unsynced) and records, unsynced, the name it is to get: `Err` holds
    /// (temporary path, its file, name). `Ok(name)` if a crash came after
    /// the result was placed, so there is nothing to write.
    #[allow(clippy::type_complexity)]
    fn write_result(
        &self,
        claimed: &mut ClaimedFile,
        outcome: Outcome,
        dir: &Path,
        headers: &[(&'static str, String)],
    ) -> Result<Result<String, (PathBuf, File, String)>, SpoolError> {
        if let Some((o, target)) = &claimed.journal.progress().result {
            // Only the holder of the name's journal creates sent/NAME.N, so
            // an existing target is this file's, from before a crash.
            if *o == outcome && fs::symlink_metadata(dir.join(target)).is_ok() {
                return Ok(Ok(target.clone()));
            }
        }
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        let copy = |mut src: &mut dyn Read, f: &mut File| {
            let mut w = io::BufWriter::new(f);
            copy_inserting(&mut src, &mut w, &headers)?;
            w.flush()
        };
        // The contents as read for sending, or (a file too large to send,
        // say) straight from checked/.
        let (temp, file) = match claimed.data.get() {
            Some(data) => write_temp_unsynced(dir, &self.owner, |f| copy(&mut &data[..], f)),
            None => {
                let mut src = File::open(&claimed.path).map_err(io_error("open", &claimed.path))?;
                write_temp_unsynced(dir, &self.owner, |f| copy(&mut src, f))
            }
        }
        .map_err(io_error("write", dir))?;
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
        if let Err(e) = claimed.journal.record_result_unsynced(outcome, &target) {
            let _ = fs::remove_file(&temp);
            return Err(io_error("write", claimed.journal.path())(e));
        }
        Ok(Err((temp, file, target)))
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
