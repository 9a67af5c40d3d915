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
//! - [`Spool`]: opening the spool, [`Spool::scan_outgoing`],
//!   [`Spool::claim`], [`Spool::finish_sent`] / [`Spool::finish_failed`],
//!   [`Spool::write_incoming`] / [`Spool::write_report`], and
//!   [`Spool::recover_checked`].
//! - [`progress`]: the progress log of the files a daemon holds: claims,
//!   accepted parts and decided results.
//! - [`msgid_index`]: the [`MessageIdIndex`] that ties receipts to files.
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
//! fails to start. Files held by an instance that never comes back stay in
//! `checked/` as `NAME@@OWNER`; start any daemon once with that owner id to
//! finish them. A file put into `checked/` by hand is adopted by the next
//! daemon to start (unless its name holds `@@` followed by an owner id).
//!
//! Over NFS (v3 or later), renames are atomic and `link(2)` fails on an
//! existing name, which is what claims and results rely on (`renameat2`
//! with `RENAME_NOREPLACE` is used where the filesystem has it); a rename
//! retried by the client after a lost reply can still report an error for
//! a rename that happened, which shows up as a claim that fails with an
//! I/O error and a file found by recovery.

use std::fmt;
use std::io;
use std::path::PathBuf;

mod dir;
mod fsutil;
pub mod message;
pub mod msgid_index;
pub mod progress;

pub use dir::{
    default_owner, valid_owner, Candidate, ClaimedFile, Finish, Spool, SpoolDir, SyncMode,
};
pub use message::{
    Alphabet, BadFile, Content, IncomingMessage, OutgoingMessage, ReportMessage, MAX_FILE_LEN,
};
pub use msgid_index::MessageIdIndex;
pub use progress::{Outcome, Progress};

pub(crate) use fsutil::replace_file;

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
