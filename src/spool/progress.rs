//! What survives a crash: the progress journal of each claimed file, and the
//! index that ties message ids to the files they were sent from.
//!
//! # The progress journal
//!
//! Beside each claimed file `checked/NAME` lies `checked/.NAME.progress`, an
//! append-only list of records, one a line, each ending in a CRC-32 of the
//! line so that a torn or garbled line is recognised and skipped:
//!
//! ```text
//! owner host1-smppd 1c291ca3
//! part 0 7b2a3f9c 3e1b0a52
//! part 1 7b2a3fa0 b1c0f4d9
//! result sent NAME 5d8a21c0
//! ```
//!
//! - `owner ID`: the daemon instance that holds the file; the last one
//!   counts. The journal is created exclusively before the file is moved
//!   into `checked/`, so it is also the lock on the name: of several daemons
//!   only one can hold `NAME` at a time. It appears with this line already
//!   in it (written to a temporary file, then linked to its name), so a
//!   crash never leaves a journal without an owner that nobody would free.
//! - `part N ID`: part `N` (from 0) was accepted with message id `ID`. The
//!   line is fsynced before [`Journal::record_part`] returns (the relay
//!   writes a batch of records, then syncs their journals together), so a
//!   restart never sends an acknowledged part again. A later record for the same
//!   part replaces the earlier one.
//! - `result sent|failed NAME`: the name chosen in `sent/` or `failed/`,
//!   written before the result file so that finishing twice (after a crash
//!   in between) writes one result file, not two.
//!
//! Fields are escaped (`%XX` for spaces, `%` and anything but printable
//! ASCII). Lines after a torn last line are impossible: opening a journal
//! cuts a torn tail off before anything is appended.
//!
//! # The message id index
//!
//! [`MessageIdIndex`] remembers which file each message id came from, so a
//! delivery receipt can name its `Original_file:`. It lives under the spool
//! root in `.smppd/msgids/`, one append-only file per UTC day and daemon
//! instance (`YYYYMMDD.OWNER`), lines `ID NAME CRC` with the id in
//! [`normalize_id`] form. Every instance reads the others' files, so a
//! receipt that arrives on another instance's bind still finds its file.
//!
//! The bound: files older than `keep_days` days are deleted by
//! [`MessageIdIndex::prune`], and only those days are held in memory, about
//! 100 bytes per message id. With the default of 3 days and 10 messages a
//! second that is some 2.6 million ids, about 260 MB; lower `keep_days` for
//! more traffic. Entries are written without fsync (they survive a killed
//! process, and [`MessageIdIndex::sync`] makes them durable); a lost entry
//! only costs a report its `Original_file:` line.

use super::fsutil::{checked_line, escape, links_unsupported, records, temp_path, unescape};
use crate::datetime::DateTime;
use crate::receipt::normalize_id;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// How a file ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Moved to `sent/`.
    Sent,
    /// Moved to `failed/`.
    Failed,
}

impl Outcome {
    /// `sent` or `failed`, as in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Failed => "failed",
        }
    }
}

/// What a progress journal records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// The instance that holds the file; `None` if the owner line was lost.
    pub owner: Option<String>,
    /// Part index (from 0) to message id, for every accepted part.
    pub parts: BTreeMap<usize, String>,
    /// The result file's name, once one was chosen.
    pub result: Option<(Outcome, String)>,
}

impl Progress {
    /// Reads journal data: every complete line with a valid checksum counts,
    /// anything else is skipped. Also returns the length of the data up to
    /// its last line break.
    pub fn from_bytes(data: &[u8]) -> (Progress, usize) {
        let (lines, complete) = records(data);
        let mut p = Progress::default();
        for line in lines {
            let mut f = line.split(' ');
            match (f.next(), f.next(), f.next(), f.next()) {
                (Some("owner"), Some(o), None, None) => {
                    if let Some(o) = unescape(o) {
                        p.owner = Some(o);
                    }
                }
                (Some("part"), Some(n), Some(id), None) => {
                    if let (Ok(n), Some(id)) = (n.parse(), unescape(id)) {
                        p.parts.insert(n, id);
                    }
                }
                (Some("result"), Some(o), Some(name), None) => {
                    let outcome = match o {
                        "sent" => Outcome::Sent,
                        "failed" => Outcome::Failed,
                        _ => continue,
                    };
                    if let Some(name) = unescape(name) {
                        p.result = Some((outcome, name));
                    }
                }
                _ => {}
            }
        }
        (p, complete)
    }
}

/// An open progress journal; see the [module docs](self).
#[derive(Debug)]
pub struct Journal {
    /// Shared so that a batch of journals can be synced outside the lock
    /// that guards their records ([`Journal::sync_handle`]).
    file: Arc<File>,
    path: PathBuf,
    len: u64,
    progress: Progress,
}

impl Journal {
    /// Creates a journal that must not exist yet (exclusively, as `O_EXCL`
    /// would), owned by `owner`, and fsyncs it. `Ok(None)` if the file exists. The caller
    /// fsyncs the directory.
    pub fn create_new(path: &Path, owner: &str) -> io::Result<Option<Journal>> {
        let Some(j) = Self::create_new_unsynced(path, owner)? else {
            return Ok(None);
        };
        if let Err(e) = j.sync() {
            drop(j);
            let _ = fs::remove_file(path);
            return Err(e);
        }
        Ok(Some(j))
    }

    /// [`Journal::create_new`] without the fsync: the owner line is durable
    /// once [`Journal::sync`] returns.
    ///
    /// The journal appears with its owner line already in it: the line is
    /// written to a temporary file (named for `owner`, so that recovery
    /// removes a leftover) which is then linked to `path`, and linking fails
    /// if `path` exists, as `O_EXCL` would. A journal created empty by a
    /// process killed before its first write would hold the name with no
    /// owner, and nothing would free it.
    pub(crate) fn create_new_unsynced(path: &Path, owner: &str) -> io::Result<Option<Journal>> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let tag: String = owner
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .take(64)
            .collect();
        let line = checked_line(&format!("owner {}", escape(owner)));
        let temp = temp_path(dir, &tag);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(&temp)?;
        if let Err(e) = file.write_all(line.as_bytes()) {
            let _ = fs::remove_file(&temp);
            return Err(e);
        }
        let linked = fs::hard_link(&temp, path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
            Err(e) if links_unsupported(&e) => return Self::create_in_place(path, owner),
            Err(e) => return Err(e),
        }
        Ok(Some(Journal {
            file: Arc::new(file),
            path: path.to_owned(),
            len: line.len() as u64,
            progress: Progress {
                owner: Some(owner.to_owned()),
                ..Progress::default()
            },
        }))
    }

    /// Where hard links are unsupported: `O_EXCL`, then the owner line.
    fn create_in_place(path: &Path, owner: &str) -> io::Result<Option<Journal>> {
        let file = match OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut j = Journal {
            file: Arc::new(file),
            path: path.to_owned(),
            len: 0,
            progress: Progress::default(),
        };
        if let Err(e) = j.append_unsynced(&format!("owner {}", escape(owner))) {
            let _ = fs::remove_file(path);
            return Err(e);
        }
        j.progress.owner = Some(owner.to_owned());
        Ok(Some(j))
    }

    /// Opens an existing journal for appending, cutting off a torn last
    /// line.
    pub fn open(path: &Path) -> io::Result<Journal> {
        let mut file = OpenOptions::new().read(true).append(true).open(path)?;
        let mut data = Vec::new();
        file.read_to_end(&mut data)?;
        let (progress, complete) = Progress::from_bytes(&data);
        if complete < data.len() {
            file.set_len(complete as u64)?;
            file.sync_all()?;
        }
        Ok(Journal {
            file: Arc::new(file),
            path: path.to_owned(),
            len: complete as u64,
            progress,
        })
    }

    /// Reads a journal without opening it for writing.
    pub fn load(path: &Path) -> io::Result<Progress> {
        Ok(Progress::from_bytes(&fs::read(path)?).0)
    }

    /// What the journal holds.
    pub fn progress(&self) -> &Progress {
        &self.progress
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records, durably, that part `index` (from 0) was accepted as
    /// `message_id`.
    pub fn record_part(&mut self, index: usize, message_id: &str) -> io::Result<()> {
        self.append(&format!("part {index} {}", escape(message_id)))?;
        self.progress.parts.insert(index, message_id.to_owned());
        Ok(())
    }

    /// [`Journal::record_part`] without the fsync: durable once
    /// [`Journal::sync`] (or a sync of [`Journal::sync_handle`]) returns.
    pub(crate) fn record_part_unsynced(
        &mut self,
        index: usize,
        message_id: &str,
    ) -> io::Result<()> {
        self.append_unsynced(&format!("part {index} {}", escape(message_id)))?;
        self.progress.parts.insert(index, message_id.to_owned());
        Ok(())
    }

    /// Records, durably, the name chosen for the result file.
    pub fn record_result(&mut self, outcome: Outcome, name: &str) -> io::Result<()> {
        self.append(&format!("result {} {}", outcome.as_str(), escape(name)))?;
        self.progress.result = Some((outcome, name.to_owned()));
        Ok(())
    }

    /// [`Journal::record_result`] without the fsync.
    pub(crate) fn record_result_unsynced(
        &mut self,
        outcome: Outcome,
        name: &str,
    ) -> io::Result<()> {
        self.append_unsynced(&format!("result {} {}", outcome.as_str(), escape(name)))?;
        self.progress.result = Some((outcome, name.to_owned()));
        Ok(())
    }

    /// Makes every record written so far durable.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// The journal's file, to sync it (`sync_data`) where the journal
    /// itself is out of reach.
    pub(crate) fn sync_handle(&self) -> Arc<File> {
        self.file.clone()
    }

    /// Records, durably, that `owner` now holds the file.
    pub fn record_owner(&mut self, owner: &str) -> io::Result<()> {
        self.append(&format!("owner {}", escape(owner)))?;
        self.progress.owner = Some(owner.to_owned());
        Ok(())
    }

    fn append(&mut self, text: &str) -> io::Result<()> {
        let line = checked_line(text);
        let r = (&*self.file)
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_data());
        match r {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                // Cut a partial line off, so the next record starts cleanly.
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }

    fn append_unsynced(&mut self, text: &str) -> io::Result<()> {
        let line = checked_line(text);
        match (&*self.file).write_all(line.as_bytes()) {
            Ok(()) => {
                self.len += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }
}

/// The UTC day number (days since 1970-01-01) of a time.
fn day_of(t: SystemTime) -> i64 {
    DateTime::from_system_time(t).to_unix().div_euclid(86_400)
}

/// The day number of an index file name `YYYYMMDD.OWNER`.
fn day_of_name(name: &str) -> Option<i64> {
    let (date, _) = name.split_once('.')?;
    if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let dt = DateTime::new(
        date[..4].parse().ok()?,
        date[4..6].parse().ok()?,
        date[6..].parse().ok()?,
        0,
        0,
        0,
    )?;
    Some(dt.to_unix().div_euclid(86_400))
}

fn day_name(day: i64, owner: &str) -> String {
    let d = DateTime::from_unix(day * 86_400);
    format!("{:04}{:02}{:02}.{owner}", d.year, d.month, d.day)
}

/// Message id to spool file name, kept across restarts; see the
/// [module docs](self).
#[derive(Debug)]
pub struct MessageIdIndex {
    dir: PathBuf,
    owner: String,
    keep_days: u32,
    map: HashMap<String, (i64, String)>,
    /// How far each index file has been read, by file name.
    offsets: HashMap<String, u64>,
    current: Option<(i64, File)>,
}

impl MessageIdIndex {
    /// The directory under the spool root that holds the index.
    pub const DIR: &'static str = ".smppd/msgids";

    /// Opens (creating it if needed) the index under `spool_root`, for the
    /// instance `owner`, keeping `keep_days` days (at least 1), and loads
    /// every file of those days.
    pub fn open(
        spool_root: &Path,
        owner: &str,
        keep_days: u32,
        now: SystemTime,
    ) -> io::Result<MessageIdIndex> {
        let dir = spool_root.join(Self::DIR);
        fs::create_dir_all(&dir)?;
        let mut index = MessageIdIndex {
            dir,
            owner: owner.to_owned(),
            keep_days: keep_days.max(1),
            map: HashMap::new(),
            offsets: HashMap::new(),
            current: None,
        };
        index.prune(now)?;
        index.refresh()?;
        Ok(index)
    }

    fn cutoff(&self, today: i64) -> i64 {
        today - i64::from(self.keep_days) + 1
    }

    /// Remembers that `message_id` was sent from `file_name`.
    pub fn insert(&mut self, message_id: &str, file_name: &str, now: SystemTime) -> io::Result<()> {
        let id = normalize_id(message_id);
        if id.is_empty() {
            return Ok(());
        }
        let today = day_of(now);
        if self.current.as_ref().map(|(d, _)| *d) != Some(today) {
            self.prune(now)?;
            let name = day_name(today, &self.owner);
            let path = self.dir.join(&name);
            let mut file = OpenOptions::new()
                .read(true)
                .append(true)
                .create(true)
                .open(&path)?;
            // A torn line left by a crash must not swallow the next one.
            let len = file.metadata()?.len();
            if len > 0 {
                let mut last = [0u8; 1];
                file.seek(SeekFrom::Start(len - 1))?;
                file.read_exact(&mut last)?;
                if last[0] != b'\n' {
                    file.write_all(b"\n")?;
                }
            }
            self.current = Some((today, file));
        }
        let line = checked_line(&format!("{} {}", escape(&id), escape(file_name)));
        if let Some((_, file)) = &mut self.current {
            file.write_all(line.as_bytes())?;
        }
        self.map.insert(id, (today, file_name.to_owned()));
        Ok(())
    }

    /// The file `message_id` was sent from, from memory only.
    pub fn get(&self, message_id: &str) -> Option<&str> {
        self.map
            .get(&normalize_id(message_id))
            .map(|(_, n)| n.as_str())
    }

    /// The file `message_id` was sent from; on a miss, first reads what
    /// other instances have appended since the last look.
    pub fn lookup(&mut self, message_id: &str) -> io::Result<Option<String>> {
        if let Some(n) = self.get(message_id) {
            return Ok(Some(n.to_owned()));
        }
        self.refresh()?;
        Ok(self.get(message_id).map(str::to_owned))
    }

    /// Reads every index file's new complete lines.
    pub fn refresh(&mut self) -> io::Result<()> {
        let mut files: Vec<(i64, String)> = Vec::new();
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if let Some(day) = day_of_name(&name) {
                files.push((day, name));
            }
        }
        files.sort();
        for (day, name) in files {
            let offset = self.offsets.get(&name).copied().unwrap_or(0);
            let mut file = match File::open(self.dir.join(&name)) {
                Ok(f) => f,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            };
            if file.metadata()?.len() <= offset {
                continue;
            }
            file.seek(SeekFrom::Start(offset))?;
            let mut data = Vec::new();
            file.read_to_end(&mut data)?;
            let (lines, complete) = records(&data);
            for line in lines {
                if let Some((id, file_name)) = line.split_once(' ') {
                    if let (Some(id), Some(file_name)) = (unescape(id), unescape(file_name)) {
                        self.map.insert(id, (day, file_name));
                    }
                }
            }
            self.offsets.insert(name, offset + complete as u64);
        }
        Ok(())
    }

    /// Forgets ids older than `keep_days` and deletes their files (every
    /// instance's).
    pub fn prune(&mut self, now: SystemTime) -> io::Result<()> {
        let cutoff = self.cutoff(day_of(now));
        for entry in fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if day_of_name(&name).is_some_and(|d| d < cutoff) {
                match fs::remove_file(entry.path()) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
                self.offsets.remove(&name);
            }
        }
        self.map.retain(|_, (d, _)| *d >= cutoff);
        if self.current.as_ref().is_some_and(|(d, _)| *d < cutoff) {
            self.current = None;
        }
        Ok(())
    }

    /// Makes the entries written so far durable.
    pub fn sync(&mut self) -> io::Result<()> {
        match &self.current {
            Some((_, f)) => f.sync_data(),
            None => Ok(()),
        }
    }

    /// How many ids are held in memory.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no id is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spool::fsutil::checked_line;

    #[test]
    fn progress_lines() {
        let mut data = checked_line("owner a").into_bytes();
        data.extend(checked_line("part 0 x%20y").bytes());
        data.extend(checked_line("part 2 z").bytes());
        data.extend(checked_line("part 0 w").bytes());
        data.extend(checked_line("bogus record").bytes());
        data.extend(checked_line("result failed f.1").bytes());
        data.extend(b"part 3 torn");
        let (p, complete) = Progress::from_bytes(&data);
        assert_eq!(p.owner.as_deref(), Some("a"));
        assert_eq!(p.parts.len(), 2);
        assert_eq!(p.parts[&0], "w");
        assert_eq!(p.parts[&2], "z");
        assert_eq!(p.result, Some((Outcome::Failed, "f.1".to_owned())));
        assert_eq!(complete, data.len() - b"part 3 torn".len());
    }

    #[test]
    fn day_names() {
        let day = day_of_name("20240301.host").unwrap();
        assert_eq!(day_name(day, "host"), "20240301.host");
        assert_eq!(day_of_name("20240230.host"), None);
        assert_eq!(day_of_name("2024030.host"), None);
        assert_eq!(day_of_name("20240301"), None);
    }
}
