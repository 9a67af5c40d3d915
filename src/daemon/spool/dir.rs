//! The spool directory: opening it, finding and claiming outgoing files,
//! and writing every file the daemon produces durably.

use super::fsutil::{
    crc32, create_shared_dir, fsync_dir, move_by_link, rename_noreplace, sync_files,
    sync_filesystem, temp_prefix, write_temp, write_temp_unsynced, Moved, FILE_MODE,
};
use super::message::{
    copy_inserting, failed_headers, insert_headers, peek_priority_high, sent_headers,
    IncomingMessage, OutgoingMessage, ReportMessage, MAX_FILE_LEN,
};
use super::progress::{Entry, Outcome, Progress, ProgressLog};
use super::SpoolError;
use crate::datetime::DateTime;
use crate::runtime::sync::lock;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirEntryExt, FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

/// How much of a file the priority peek reads.
const PEEK_LEN: u64 = 4096;
/// How many bytes of whole small files one scan keeps for the claims.
const SCAN_KEEP_LEN: usize = 32 << 20;
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

    /// Where a file that ended so goes: `sent/` or `failed/`.
    pub fn of_result(outcome: Outcome) -> SpoolDir {
        match outcome {
            Outcome::Sent => SpoolDir::Sent,
            Outcome::Failed => SpoolDir::Failed,
        }
    }

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
    id: Identity,
    /// The ctime in nanoseconds, for [`Candidate::same_as`].
    ctime_ns: i128,
    /// The whole file, when the peek read all of it (small files, within
    /// [`SCAN_KEEP_LEN`] for the whole scan): a claim takes it from here
    /// instead of reading the file again.
    contents: Option<Arc<Vec<u8>>>,
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
struct Identity {
    ino: u64,
    len: u64,
    mtime_ns: i128,
}

impl Identity {
    fn of(m: &fs::Metadata) -> Identity {
        Identity {
            ino: m.ino(),
            len: m.len(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        }
    }
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

/// How the spool makes what it writes durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// One `syncfs(2)` for each batch of files: every file written, every
    /// rename, one flush of the disk's cache. The fastest by far; it also
    /// flushes whatever else was written to that filesystem, so give the
    /// spool a filesystem of its own when other programs write a lot there.
    #[default]
    Filesystem,
    /// An `fdatasync` for each file (many at once) and an `fsync` for each
    /// directory touched: costs one device flush per file, and touches
    /// nothing but the spool's own files.
    Files,
}

/// A file this daemon holds, as `checked/NAME@@OWNER`.
///
/// Finish it with [`Spool::finish_sent`] or [`Spool::finish_failed`]. If
/// the process dies first, the file stays in `checked/`, and
/// [`Spool::recover_checked`] gives it back on the next start with the
/// parts recorded so far.
#[derive(Debug)]
pub struct ClaimedFile {
    name: String,
    key: String,
    path: PathBuf,
    progress: Progress,
    recovered: bool,
    /// The contents, once read: the file in `checked/` does not change
    /// until its result is written over it.
    /// Shared with the scan that read it, if it did.
    data: OnceLock<Arc<Vec<u8>>>,
    /// A result decided before a crash, to be written in place again.
    pending: Option<(Outcome, Arc<Vec<u8>>)>,
    /// The name chosen before a crash for a result written as a new file.
    placed: Option<(Outcome, String, u64)>,
    log: Arc<ProgressLog>,
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
    fn contents(&self) -> Result<&[u8], SpoolError> {
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

    fn log_error(&self, source: io::Error) -> SpoolError {
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

/// A spool directory; see the [module docs](super).
///
/// All methods take `&self`, so one `Spool` can be shared between threads.
#[derive(Debug)]
pub struct Spool {
    root: PathBuf,
    owner: String,
    seq: AtomicU64,
    sync: SyncMode,
    /// One directory of the spool on each filesystem it spans (usually
    /// one), for `syncfs`.
    filesystems: Vec<File>,
    /// This owner's progress log, opened (and locked) on first use.
    log: Mutex<Option<Arc<ProgressLog>>>,
    /// Whether `renameat2(RENAME_NOREPLACE)` works here.
    noreplace: AtomicBool,
    /// Whether [`Spool::recover_checked`] has run: until then a claim
    /// checks that its name in `checked/` is free.
    recovered: AtomicBool,
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

/// The separator between a file's name and its owner in `checked/`.
const OWNER_SEP: &str = "@@";

/// The name under which `owner` holds `name` in `checked/`: `NAME@@OWNER`,
/// or for a name too long for that, `PREFIX~CRC@@OWNER` (CRC-32 of the
/// whole name; the progress log keeps the whole name).
fn claim_key(name: &str, owner: &str) -> String {
    let plain = format!("{name}{OWNER_SEP}{owner}");
    if plain.len() <= MAX_NAME_LEN {
        return plain;
    }
    let room = MAX_NAME_LEN - OWNER_SEP.len() - owner.len() - 9;
    format!(
        "{}~{:08x}{OWNER_SEP}{owner}",
        truncated(name, room),
        crc32(name.as_bytes())
    )
}

/// The name and owner of a key in `checked/`; `None` for a name without an
/// owner (put there by hand).
fn split_key(key: &str) -> Option<(&str, &str)> {
    let (name, owner) = key.rsplit_once(OWNER_SEP)?;
    (!name.is_empty() && valid_owner(owner)).then_some((name, owner))
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
    /// Opens the spool at `root`: creates the root and the six directories
    /// if missing (mode 2770, whatever the umask: a group of writers may
    /// drop files, and every file gets the folder's group), and checks that each one is a directory this process can
    /// create and remove files in (by doing so with a hidden probe file).
    /// The owner id is [`default_owner`]; see [`Spool::with_owner`].
    pub fn open(root: impl Into<PathBuf>) -> Result<Spool, SpoolError> {
        let root = root.into();
        if fs::symlink_metadata(&root).is_err() {
            if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                fs::create_dir_all(parent).map_err(io_error("create", parent))?;
            }
            match create_shared_dir(&root) {
                Err(e) if e.kind() != io::ErrorKind::AlreadyExists => {
                    return Err(io_error("create", &root)(e))
                }
                _ => {}
            }
        }
        let root_dir = File::open(&root).map_err(io_error("open", &root))?;
        let mut spool = Spool {
            root,
            owner: default_owner(),
            seq: AtomicU64::new(0),
            sync: SyncMode::default(),
            filesystems: vec![root_dir],
            log: Mutex::new(None),
            noreplace: AtomicBool::new(true),
            recovered: AtomicBool::new(false),
        };
        for d in SpoolDir::ALL {
            let path = spool.dir(d);
            match fs::metadata(&path) {
                Ok(m) if !m.is_dir() => return Err(SpoolError::NotADirectory { path }),
                Ok(_) => {}
                Err(e) if not_found(&e) => match create_shared_dir(&path) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(io_error("create", &path)(e)),
                },
                Err(e) => return Err(io_error("open", &path)(e)),
            }
            spool.probe(&path)?;
            let dir = File::open(&path).map_err(io_error("open", &path))?;
            let dev = dir.metadata().map_err(io_error("open", &path))?.dev();
            let known = spool
                .filesystems
                .iter()
                .any(|f| f.metadata().is_ok_and(|m| m.dev() == dev));
            if !known {
                spool.filesystems.push(dir);
            }
        }
        Ok(spool)
    }

    fn probe(&self, dir: &Path) -> Result<(), SpoolError> {
        let unusable = |source| SpoolError::Unusable {
            path: dir.to_owned(),
            source,
        };
        let temp =
            write_temp(dir, PROBE_TAG, FILE_MODE, |f| f.write_all(b"probe")).map_err(unusable)?;
        // Gone already: removed as debris by a recovery that took this
        // process for a dead one (another host's, on a shared spool).
        remove_if_exists(&temp).map_err(unusable)
    }

    /// Sets the id of this daemon instance: it holds files as
    /// `checked/NAME@@OWNER` and keeps its progress log in
    /// `.smppd/progress/OWNER.log`. Recovery takes back only files with
    /// this id, so daemons that share a spool must each have their own, and
    /// a restarted daemon must keep its id. Errors unless [`valid_owner`].
    pub fn with_owner(mut self, owner: &str) -> Result<Spool, SpoolError> {
        if !valid_owner(owner) {
            return Err(SpoolError::BadOwner {
                owner: owner.to_owned(),
            });
        }
        owner.clone_into(&mut self.owner);
        *lock(&self.log) = None;
        Ok(self)
    }

    /// Sets how files are made durable (default [`SyncMode::Filesystem`]).
    pub fn with_sync(mut self, sync: SyncMode) -> Spool {
        self.sync = sync;
        self
    }

    /// The progress log, opened and locked on first use: of two processes
    /// with one owner id on a spool, the second gets an error here.
    fn log(&self) -> Result<Arc<ProgressLog>, SpoolError> {
        let mut slot = lock(&self.log);
        if let Some(log) = &*slot {
            return Ok(log.clone());
        }
        let path = self.root.join(ProgressLog::DIR);
        let log = Arc::new(
            ProgressLog::open(&self.root, &self.owner).map_err(|source| SpoolError::Io {
                action: "open the progress log in",
                path,
                source,
            })?,
        );
        *slot = Some(log.clone());
        Ok(log)
    }

    /// Opens and locks this owner's progress log now (it is otherwise
    /// opened on first use), so that a second process with the same owner
    /// id on this spool fails here rather than later.
    pub fn open_progress_log(&self) -> Result<(), SpoolError> {
        self.log().map(drop)
    }

    /// Makes the parts recorded so far durable (one `fdatasync` of the
    /// progress log, shared by callers that sync at the same time).
    pub fn sync_progress(&self) -> Result<(), SpoolError> {
        let log = self.log()?;
        log.sync().map_err(|source| SpoolError::Io {
            action: "sync",
            path: log.path().to_owned(),
            source,
        })
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
    /// scan opens every waiting file: its cost grows with the backlog.
    ///
    /// Whether a file is complete is not judged here: a writer may still be
    /// writing one (or it may be empty). Each candidate's size and status
    /// change time ([`Candidate::len`], [`Candidate::changed`],
    /// [`Candidate::same_as`]) are for the caller's rule (`smppd`'s: the
    /// README's "The daemon").
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
        let waiting: Vec<&String> = names.iter().filter(|n| !ignored(n, &names)).collect();
        let mut out = peek_files(&dir, &waiting, SCAN_KEEP_LEN);
        out.sort_by(|a, b| {
            b.priority_high
                .cmp(&a.priority_high)
                .then(a.modified.cmp(&b.modified))
                .then_with(|| a.name.cmp(&b.name))
        });
        Ok(out)
    }

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

    /// A held file as the log knows it, or fresh if the log knows nothing
    /// of this life of `key` (the inode differs, or no record survived).
    fn held(&self, log: &Arc<ProgressLog>, key: &str, name: &str, ino: u64) -> ClaimedFile {
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
        assert_eq!(claim_key("abc", "host"), "abc@@host");
        assert_eq!(split_key("abc@@host"), Some(("abc", "host")));
        assert_eq!(split_key("a@@b@@host"), Some(("a@@b", "host")));
        assert_eq!(split_key("abc"), None);
        assert_eq!(split_key("@@host"), None);
        let long = "\u{E9}".repeat(120); // 240 bytes
        let k = claim_key(&long, "host");
        assert!(k.len() <= MAX_NAME_LEN && k.ends_with("@@host"));
        assert_eq!(split_key(&k).map(|(_, o)| o), Some("host"));
        assert_ne!(k, claim_key(&"\u{E9}".repeat(121), "host"));
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
