//! The spool: smstools3-compatible message files in six directories.
//!
//! ```text
//! SPOOL/
//!   outgoing/   writers drop files here (write elsewhere or as a dot-file, then rename in)
//!   checked/    files a daemon has claimed, as NAME@@OWNER
//!   sent/       accepted: the file plus Sent: and Message_id: headers
//!   failed/     rejected for good: the file plus Failed: and Fail_reason:
//!   incoming/   mobile-originated messages
//!   report/     delivery receipts
//!   .smppd/     daemon state: progress/OWNER.log, msgids/ (the message id index)
//! ```
//!
//! - [`message`]: the file formats: [`OutgoingMessage`] read from
//!   `outgoing/`, and the files the daemon writes.
//! - [`Spool`] (here): opening the spool ([`Spool::open`]), its owner id,
//!   its directories ([`SpoolDir`]) and how it syncs ([`SyncMode`]). Its
//!   other methods live beside what they work on:
//!   - `names`: usable file names and owner ids, the `NAME@@OWNER` key in
//!     `checked/`, the `NAME.N` names of results;
//!   - `scan`: [`Spool::scan_outgoing`] and its [`Candidate`]s, and the
//!     backlog counts;
//!   - `claim`: [`Spool::claim`] / [`Spool::claim_many`] and the
//!     [`ClaimedFile`] they give;
//!   - `recover`: [`Spool::recover_checked`] and [`Spool::resume`];
//!   - `finish`: [`Spool::finish_sent`] / [`Spool::finish_failed`] /
//!     [`Spool::finish_many`], and [`Spool::write_incoming`] /
//!     [`Spool::write_report`].
//! - [`progress`]: the progress log of the files a daemon holds: claims,
//!   accepted parts and decided results.
//! - [`msgid_index`]: the [`MessageIdIndex`] that ties receipts to files.
//! - `durable`: writing files so they last: temporary files synced before
//!   they get their name, renames and links that never replace a file, and
//!   the syncs of files, directories and filesystems.
//! - `records`: the checksummed, escaped record lines of the progress log
//!   and the message id index.
//!
//! # How a file travels
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use smpp::datetime::DateTime;
//! use smpp::daemon::spool::Spool;
//! use std::time::SystemTime;
//! # let root = std::env::temp_dir().join(format!("smpp-doc-spool-{}", std::process::id()));
//!
//! let spool = Spool::open(&root)?.with_owner("doc-example")?;
//! std::fs::write(root.join("outgoing/hello"), "To: 491721234567\n\nHello")?;
//!
//! for resumed in spool.recover_checked()? {
//!     // Send the parts not in resumed.parts_done(), then finish it.
//! #   let _ = resumed;
//! }
//! for candidate in spool.scan_outgoing()? {
//!     let Some(mut claimed) = spool.claim(&candidate.name)? else {
//!         continue; // another daemon took it
//!     };
//!     let message = claimed.message()?; // a BadFile error belongs in failed/
//!     let parts = message.content(false)?.split(smpp::text::SplitMethod::Udh8, 1)?;
//!     let mut ids = Vec::new();
//!     for (i, _part) in parts.iter().enumerate() {
//!         let id = format!("id{i}"); // from submit_sm_resp
//!         claimed.record_part(i, &id)?;
//!         ids.push(id);
//!     }
//!     let now = DateTime::from_system_time(SystemTime::now());
//!     let name = spool.finish_sent(claimed, now, &ids)?;
//!     assert!(root.join("sent").join(name).exists());
//! }
//! # std::fs::remove_dir_all(&root)?;
//! # Ok(())
//! # }
//! ```
//!
//! # Guarantees
//!
//! - Nothing is written where a reader looks before it is durable, and no
//!   file is ever replaced: result names get a `.1`, `.2`, ... suffix when
//!   taken. Files written from nothing (`incoming/`, `report/`) are written
//!   as hidden files in their directory, synced, given their name, and the
//!   directory synced.
//! - A claim is atomic: the file is renamed from `outgoing/NAME` to
//!   `checked/NAME@@OWNER`, so of several daemons exactly one gets it. The
//!   owner in the name says whose it is after a crash; the progress log
//!   (`.smppd/progress/OWNER.log`) says what was done with it.
//! - A result is decided once: it is recorded, whole, in the progress log
//!   and the log synced before the file in `checked/` is overwritten with
//!   it; then the file is synced and renamed into `sent/` or `failed/`, and
//!   that synced. The inode travels from `outgoing/` to `sent/`: nothing is
//!   created or deleted per file. A file too large to keep in the log (over
//!   [`MAX_FILE_LEN`]), or that the daemon may not write, gets its result
//!   as a new hidden file in the result directory instead (synced, linked
//!   into place under a name recorded first).
//! - After a crash at any instant, [`Spool::recover_checked`] finishes the
//!   files whose result was decided, and gives back every other file this
//!   instance held, with the parts whose `submit_sm_resp` was recorded.
//! - [`Spool::claim_many`] and [`Spool::finish_many`] do for a batch what
//!   [`Spool::claim`] and [`Spool::finish_sent`] do for one file, in the
//!   same order of durable steps, paying each sync once for the batch: one
//!   write and one `fdatasync` of the progress log, and (by default,
//!   [`SyncMode::Filesystem`]) one `syncfs` for the files and one for the
//!   renames.
//!
//! # Several daemons on one spool
//!
//! Each instance needs its own owner id ([`Spool::with_owner`]), kept across
//! restarts: recovery takes back only the files held under that id. The
//! progress log is locked (`flock`), so a second process with the same id
//! fails to start. Files held by an instance that dies are taken over by
//! another ([`Spool::take_over`], in `takeover.rs`), which finds it dead by
//! taking its lock (GlusterFS frees a dead client's `flock` within
//! milliseconds); one that comes back finds nothing of its own left. A
//! claim renames to a name of the claimer's own, so that a filesystem
//! where two clients renaming one file to one name can both succeed
//! (GlusterFS) still lets only one claim it. A file put into `checked/` by
//! hand is adopted by the next daemon to start (unless its name holds `@@`
//! followed by an owner id).
//!
//! Over NFS (v3 or later), renames are atomic and `link(2)` fails on an
//! existing name, which is what claims and results rely on (`renameat2`
//! with `RENAME_NOREPLACE` is used where the filesystem has it); a rename
//! retried by the client after a lost reply can still report an error for
//! a rename that happened, which shows up as a claim that fails with an
//! I/O error and a file found by recovery.

use crate::runtime::sync::lock;
use durable::{
    create_shared_dir, make_dir_shared, not_found, remove_if_exists, retry_new_dir, temp_prefix,
    write_temp, FILE_MODE,
};
use progress::ProgressLog;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex};

mod claim;
mod durable;
mod finish;
pub mod message;
pub mod msgid_index;
mod names;
pub mod progress;
mod records;
mod recover;
mod scan;
mod takeover;

pub use claim::ClaimedFile;
pub use finish::Finish;
pub use message::{
    Alphabet, BadFile, Content, IncomingMessage, OutgoingMessage, ReportMessage, MAX_FILE_LEN,
};
pub use msgid_index::MessageIdIndex;
pub use names::{default_owner, valid_owner};
pub use progress::{Outcome, Progress};
pub use scan::Candidate;

pub(crate) use durable::{ensure_dir, replace_file};

/// Why a spool operation failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum SpoolError {
    /// A filesystem operation failed.
    Io {
        /// What was being done: `create`, `read`, `move`, `sync`, ...
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// A spool directory exists but is not a directory.
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// A spool directory in which this process cannot create and remove a
    /// file.
    Unusable {
        /// The directory.
        path: PathBuf,
        /// What the probe got.
        source: io::Error,
    },
    /// An owner id that is not fit for file names.
    BadOwner {
        /// The id.
        owner: String,
    },
    /// A file name with a `/` or NUL, or empty, `.` or `..`.
    BadName {
        /// The name.
        name: String,
    },
    /// No free name was found for a result or incoming file.
    NoFreeName {
        /// The directory.
        dir: PathBuf,
        /// The name tried, without suffix.
        name: String,
    },
    /// The outgoing file cannot be sent; it belongs in `failed/` with this
    /// as its `Fail_reason:`.
    BadFile(BadFile),
}

impl fmt::Display for SpoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpoolError::Io {
                action,
                path,
                source,
            } => write!(f, "cannot {action} {}: {source}", path.display()),
            SpoolError::NotADirectory { path } => {
                write!(f, "spool directory {} is not a directory", path.display())
            }
            SpoolError::Unusable { path, source } => write!(
                f,
                "spool directory {} is not usable (cannot create and remove a file in it): {source}",
                path.display()
            ),
            SpoolError::BadOwner { owner } => write!(
                f,
                "owner id {owner:?} must be 1 to 64 ASCII letters, digits, '.', '_' or '-', not starting with '.'"
            ),
            SpoolError::BadName { name } => write!(f, "{name:?} is not a usable file name"),
            SpoolError::NoFreeName { dir, name } => write!(
                f,
                "no free name for {name} in {} after 1000 tries",
                dir.display()
            ),
            SpoolError::BadFile(b) => b.fmt(f),
        }
    }
}

impl std::error::Error for SpoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpoolError::Io { source, .. } | SpoolError::Unusable { source, .. } => Some(source),
            SpoolError::BadFile(b) => Some(b),
            _ => None,
        }
    }
}

impl From<BadFile> for SpoolError {
    fn from(b: BadFile) -> Self {
        SpoolError::BadFile(b)
    }
}

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

/// A spool directory; see the [module docs](self).
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

/// The [`SpoolError::Io`] for `action` on `path`.
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
                ensure_dir(parent).map_err(io_error("create", parent))?;
            }
            make_dir_shared(&root, create_shared_dir).map_err(io_error("create", &root))?;
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
                // Maybe made by another daemon at this instant.
                Err(e) if not_found(&e) => {
                    make_dir_shared(&path, create_shared_dir).map_err(io_error("create", &path))?
                }
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
            retry_new_dir(|| write_temp(dir, PROBE_TAG, FILE_MODE, |f| f.write_all(b"probe")))
                .map_err(unusable)?;
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
}
