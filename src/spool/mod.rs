//! The spool: smstools3-compatible message files in six directories.
//!
//! ```text
//! SPOOL/
//!   outgoing/   writers drop files here (write elsewhere or as a dot-file, then rename in)
//!   checked/    files a daemon has claimed, each with its journal .NAME.progress
//!   sent/       accepted: the file plus Sent: and Message_id: headers
//!   failed/     rejected for good: the file plus Failed: and Fail_reason:
//!   incoming/   mobile-originated messages
//!   report/     delivery receipts
//!   .smppd/     daemon state (the message id index)
//! ```
//!
//! - [`message`]: the file formats: [`OutgoingMessage`] read from
//!   `outgoing/`, and the files the daemon writes.
//! - [`Spool`]: opening the spool, [`Spool::scan_outgoing`],
//!   [`Spool::claim`], [`Spool::finish_sent`] / [`Spool::finish_failed`],
//!   [`Spool::write_incoming`] / [`Spool::write_report`], and
//!   [`Spool::recover_checked`].
//! - [`progress`]: the per-file journal of accepted parts, and the
//!   [`MessageIdIndex`] that ties receipts to files.
//!
//! # How a file travels
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use smpp::datetime::DateTime;
//! use smpp::spool::Spool;
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
//! - Every file the daemon writes is written as a hidden file in the target
//!   directory, fsynced, given its name, and the directory fsynced. No file
//!   is ever replaced: result names get a `.1`, `.2`, ... suffix when taken.
//! - A claim is atomic: the journal `checked/.NAME.progress` is created
//!   first, exclusively (linked into place from a temporary file that
//!   already holds the owner line, which fails if the name exists, as
//!   `O_EXCL` would), so of several daemons exactly one holds a name, and
//!   only then is the file renamed into `checked/`.
//! - A file leaves `checked/` only after its result file is durable. After a
//!   crash at any instant, [`Spool::recover_checked`] gives back every file
//!   this instance held, with the parts whose `submit_sm_resp` was
//!   recorded.
//! - [`Spool::claim_many`] and [`Spool::finish_many`] do for a batch what
//!   [`Spool::claim`] and [`Spool::finish_sent`] do for one file, in the
//!   same order of durable steps, but each step's fsyncs for the whole batch
//!   run together (concurrent fsyncs share the filesystem's journal commits
//!   and the disk's cache flushes) and each directory is synced once per
//!   batch. A relay recording many parts a second uses these.
//!
//! # Several daemons on one spool
//!
//! Each instance needs its own owner id ([`Spool::with_owner`]), kept across
//! restarts: recovery takes back only the files journaled under that id.
//! Files held by an instance that never comes back stay in `checked/` (and
//! their journals keep new files of the same names waiting in `outgoing/`);
//! start any daemon once with that owner id to finish them.
//!
//! Over NFS (v3 or later), the `O_EXCL` create and `link(2)` used here are
//! atomic; a rename retried by the client after a lost reply can still
//! report an error for a rename that happened, which shows up as a claim
//! that fails with an I/O error and a file found by recovery.

use std::fmt;
use std::io;
use std::path::PathBuf;

mod dir;
mod fsutil;
pub mod message;
pub mod progress;

pub use dir::{default_owner, valid_owner, Candidate, ClaimedFile, Finish, Spool, SpoolDir};
pub use message::{
    Alphabet, BadFile, Content, IncomingMessage, OutgoingMessage, ReportMessage, MAX_FILE_LEN,
};
pub use progress::{Journal, MessageIdIndex, Outcome, Progress};

pub(crate) use fsutil::{replace_file, sync_files};

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
