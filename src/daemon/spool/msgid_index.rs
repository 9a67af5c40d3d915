//! The message id index: which spool file each message id came from, so
//! that a delivery receipt can name its `Original_file:`.
//!
//! [`MessageIdIndex`] lives under the spool root in `.smppd/msgids/`, one
//! append-only file per UTC day and daemon instance (`YYYYMMDD.OWNER`),
//! lines `ID NAME CRC` with the id in [`normalize_id`] form. Every instance
//! reads the others' files, so a receipt that arrives on another instance's
//! bind still finds its file.
//!
//! The bound: files older than `keep_days` days are deleted by
//! [`MessageIdIndex::prune`], and only those days are held in memory, about
//! 100 bytes per message id. With the default of 3 days and 10 messages a
//! second that is some 2.6 million ids, about 260 MB; lower `keep_days` for
//! more traffic. Entries are written without fsync (they survive a killed
//! process, and [`MessageIdIndex::sync`] makes them durable); a lost entry
//! only costs a report its `Original_file:` line.

use super::durable::ensure_dir;
use super::records::{checked_line, escape, records, unescape};
use crate::datetime::DateTime;
use crate::receipt::normalize_id;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

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
    /// Lines for `current`, written by [`MessageIdIndex::flush`].
    pending: Vec<u8>,
}

/// Held-back lines are written once they reach this size.
const FLUSH_LEN: usize = 64 << 10;

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
        ensure_dir(&dir)?;
        let mut index = MessageIdIndex {
            dir,
            owner: owner.to_owned(),
            keep_days: keep_days.max(1),
            map: HashMap::new(),
            offsets: HashMap::new(),
            current: None,
            pending: Vec::new(),
        };
        index.prune(now)?;
        index.refresh()?;
        Ok(index)
    }

    fn cutoff(&self, today: i64) -> i64 {
        today - i64::from(self.keep_days) + 1
    }

    /// Remembers that `message_id` was sent from `file_name`. The line for
    /// the index file is held back until [`MessageIdIndex::flush`] (or
    /// 64 KiB of them): call it after a batch.
    pub fn insert(&mut self, message_id: &str, file_name: &str, now: SystemTime) -> io::Result<()> {
        let id = normalize_id(message_id);
        if id.is_empty() {
            return Ok(());
        }
        let today = day_of(now);
        if self.current.as_ref().map(|(d, _)| *d) != Some(today) {
            self.flush()?;
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
        self.pending.extend_from_slice(line.as_bytes());
        self.map.insert(id, (today, file_name.to_owned()));
        if self.pending.len() >= FLUSH_LEN {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the lines held back by [`MessageIdIndex::insert`], with one
    /// `write` (not synced: they survive a killed process; see
    /// [`MessageIdIndex::sync`]).
    pub fn flush(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        if let Some((_, file)) = &mut self.current {
            file.write_all(&self.pending)?;
        }
        self.pending.clear();
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
        self.flush()?;
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

impl Drop for MessageIdIndex {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            log::warn!("message id index: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_names() {
        let day = day_of_name("20240301.host").unwrap();
        assert_eq!(day_name(day, "host"), "20240301.host");
        assert_eq!(day_of_name("20240230.host"), None);
        assert_eq!(day_of_name("2024030.host"), None);
        assert_eq!(day_of_name("20240301"), None);
    }
}
