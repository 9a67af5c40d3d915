//! Small filesystem helpers shared by the spool, the progress journal and the
//! metrics writer: durable publication of a file, directory fsync, the line
//! checksum and the escaping used in journal lines.

use crossbeam_channel::Sender;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// The mode of the spool folders the daemon creates: group-writable so
/// that a group of writers can drop files, setgid so that every file in
/// them gets the folder's group.
pub(crate) const DIR_MODE: u32 = 0o2770;
/// The mode of the spool files the daemon writes.
pub(crate) const FILE_MODE: u32 = 0o640;
/// The mode of other files (such as the metrics file): the umask decides.
pub(crate) const DEFAULT_FILE_MODE: u32 = 0o666;

/// Creates the directory `path` (its parent must exist) with [`DIR_MODE`],
/// whatever the umask.
pub(crate) fn create_shared_dir(path: &Path) -> io::Result<()> {
    fs::DirBuilder::new().mode(DIR_MODE).create(path)?;
    // The umask takes bits away at creation (a service's 027 takes the
    // group's write bit): set them again.
    fs::set_permissions(path, fs::Permissions::from_mode(DIR_MODE))
}

/// A process-wide counter that keeps temporary names unique.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// Makes a directory's entries durable (the names created, renamed or
/// removed in it).
pub(crate) fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// A fresh hidden temporary name in `dir`: `.tmp-TAG+PID-SEQ`. Owner ids
/// cannot hold `+`, so [`temp_prefix`] of one owner never matches another's.
pub(crate) fn temp_path(dir: &Path, tag: &str) -> PathBuf {
    let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
    dir.join(format!("{}{}-{seq}", temp_prefix(tag), std::process::id()))
}

/// The start of every temporary name made with `tag`.
pub(crate) fn temp_prefix(tag: &str) -> String {
    format!(".tmp-{tag}+")
}

/// Creates a new temporary file in `dir` with `mode` (less the umask), lets
/// `fill` write it, and fsyncs it. On error the temporary file is removed.
pub(crate) fn write_temp(
    dir: &Path,
    tag: &str,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<PathBuf> {
    let (path, file) = create_temp(dir, tag, mode, fill)?;
    match file.sync_all() {
        Ok(()) => Ok(path),
        Err(e) => {
            let _ = fs::remove_file(&path);
            Err(e)
        }
    }
}

/// Creates a new temporary file in `dir` and lets `fill` write it, without
/// waiting for the disk: the caller syncs the returned handle (see
/// [`sync_files`]) before giving the file its name. On error the temporary
/// file is removed. Its mode is [`FILE_MODE`].
pub(crate) fn write_temp_unsynced(
    dir: &Path,
    tag: &str,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<(PathBuf, File)> {
    create_temp(dir, tag, FILE_MODE, fill)
}

fn create_temp(
    dir: &Path,
    tag: &str,
    mode: u32,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<(PathBuf, File)> {
    let path = temp_path(dir, tag);
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path)?;
        fill(&mut file)?;
        file.flush()?;
        Ok(file)
    })();
    match result {
        Ok(file) => Ok((path, file)),
        Err(e) => {
            let _ = fs::remove_file(&path);
            Err(e)
        }
    }
}

/// How many fsyncs [`sync_files`] runs at once.
const SYNC_THREADS: usize = 32;

/// A file to sync, its place in the batch, and where the result goes.
type SyncJob = (Arc<File>, usize, Sender<(usize, io::Result<()>)>);

/// The threads that run the fsyncs of [`sync_files`], started on first
/// use and kept (starting threads per batch would cost more than the
/// fsyncs on a fast disk). `None` if none could be started.
fn sync_pool() -> Option<&'static Sender<SyncJob>> {
    static POOL: OnceLock<Option<Sender<SyncJob>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (tx, rx) = crossbeam_channel::unbounded::<SyncJob>();
        let started = (0..SYNC_THREADS)
            .filter(|i| {
                let rx = rx.clone();
                std::thread::Builder::new()
                    .name(format!("smpp-sync-{i}"))
                    .spawn(move || {
                        for (file, i, reply) in rx {
                            let _ = reply.send((i, file.sync_data()));
                        }
                    })
                    .is_ok()
            })
            .count();
        (started > 0).then_some(tx)
    })
    .as_ref()
}

/// Makes the data of every file durable (`fdatasync`), many at a time:
/// fsyncs that run together share the filesystem's journal commits and the
/// device's cache flushes, so a batch costs little more than one. Returns
/// one result per file, in order.
pub(crate) fn sync_files(files: &[Arc<File>]) -> Vec<io::Result<()>> {
    let pool = if files.len() > 1 { sync_pool() } else { None };
    let Some(pool) = pool else {
        return files.iter().map(|f| f.sync_data()).collect();
    };
    let mut results: Vec<Option<io::Result<()>>> = files.iter().map(|_| None).collect();
    let (tx, rx) = crossbeam_channel::bounded(files.len());
    for (i, f) in files.iter().enumerate() {
        if let Err(e) = pool.send((f.clone(), i, tx.clone())) {
            let (f, i, _) = e.into_inner();
            results[i] = Some(f.sync_data());
        }
    }
    drop(tx);
    // Ends once every job has answered (or been dropped).
    for (i, r) in rx {
        results[i] = Some(r);
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(io::Error::other("the fsync did not run"))))
        .collect()
}

/// Makes everything written to the filesystem that holds `fd` durable
/// (`syncfs(2)`): data and metadata of every file, with one flush of the
/// device's cache however many files were written.
pub(crate) fn sync_filesystem(fd: &File) -> io::Result<()> {
    rustix::fs::syncfs(fd).map_err(io::Error::from)
}

/// What [`rename_noreplace`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moved {
    /// `src` now has the name `dst`.
    Done,
    /// `dst` exists; nothing was done.
    Exists,
}

/// Renames `src` to `dst` unless `dst` exists, atomically where the
/// filesystem can (`renameat2` with `RENAME_NOREPLACE`). Elsewhere (NFS,
/// some FUSE filesystems; `noreplace` is then cleared so later calls skip
/// the attempt) it checks for `dst` and renames, which is only exclusive
/// if no other process creates `dst`: use it for names of this process's
/// own, and [`move_by_link`] for names others may take too.
pub(crate) fn rename_noreplace(
    src: &Path,
    dst: &Path,
    noreplace: &AtomicBool,
) -> io::Result<Moved> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    use rustix::io::Errno;
    if noreplace.load(Ordering::Relaxed) {
        match renameat_with(CWD, src, CWD, dst, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(Moved::Done),
            Err(Errno::EXIST) => return Ok(Moved::Exists),
            Err(Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP) => {
                log::debug!(
                    "renameat2(RENAME_NOREPLACE) unsupported here; checking, then renaming"
                );
                noreplace.store(false, Ordering::Relaxed);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if fs::symlink_metadata(dst).is_ok() {
        return Ok(Moved::Exists);
    }
    fs::rename(src, dst)?;
    Ok(Moved::Done)
}

/// Gives the file `src` (a name of this process's own) the name `dst`,
/// which others may take too, and removes `src`: `link(2)`, which fails on
/// an existing `dst` (also on NFS), then `unlink` of `src`.
///
/// A `dst` that is `src` already (linked before a crash, `src` not yet
/// removed) counts as done. Unlike a rename between directories, neither
/// call takes the filesystem-wide rename lock, so this runs beside the
/// claims' renames. Where hard links are unsupported: [`rename_noreplace`].
pub(crate) fn move_by_link(src: &Path, dst: &Path, noreplace: &AtomicBool) -> io::Result<Moved> {
    use std::os::unix::fs::MetadataExt;
    match fs::hard_link(src, dst) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let same = match (fs::symlink_metadata(src), fs::symlink_metadata(dst)) {
                (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
                _ => false,
            };
            if !same {
                return Ok(Moved::Exists);
            }
        }
        Err(e) if links_unsupported(&e) => return rename_noreplace(src, dst, noreplace),
        Err(e) => return Err(e),
    }
    fs::remove_file(src)?;
    Ok(Moved::Done)
}

/// Whether a `link(2)` error means the filesystem has no hard links (some
/// FUSE and FAT-like filesystems), rather than a real failure.
pub(crate) fn links_unsupported(e: &io::Error) -> bool {
    // EPERM: "the filesystem does not support the creation of hard links";
    // EOPNOTSUPP and ENOSYS from some network and FUSE filesystems.
    matches!(
        e.kind(),
        io::ErrorKind::PermissionDenied | io::ErrorKind::Unsupported
    ) || matches!(e.raw_os_error(), Some(1 | 38 | 95))
}

/// Replaces `target` with `contents` atomically and durably: a hidden
/// temporary file in the same directory, fsync, rename, directory fsync.
pub(crate) fn replace_file(target: &Path, contents: &[u8]) -> io::Result<()> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name: String = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(32)
        .collect();
    let temp = write_temp(dir, &name, DEFAULT_FILE_MODE, |f| f.write_all(contents))?;
    if let Err(e) = fs::rename(&temp, target) {
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    fsync_dir(dir)
}

/// The CRC-32 lookup table (reflected polynomial 0xEDB88320).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// CRC-32 (IEEE 802.3, the zlib one) of `data`.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

/// A checksummed record line: `TEXT CRC\n`, the CRC as 8 hex digits.
pub(crate) fn checked_line(text: &str) -> String {
    format!("{text} {:08x}\n", crc32(text.as_bytes()))
}

/// The text of a record line (without its `\n`) if its checksum holds.
pub(crate) fn verify_line(line: &[u8]) -> Option<&str> {
    let line = std::str::from_utf8(line).ok()?;
    let (text, crc) = line.rsplit_once(' ')?;
    if crc.len() != 8 {
        return None;
    }
    let crc = u32::from_str_radix(crc, 16).ok()?;
    (crc32(text.as_bytes()) == crc).then_some(text)
}

/// The complete, checksum-valid record lines of `data`, and the length of
/// the prefix that ends with the last `\n` (what follows is a torn write).
pub(crate) fn records(data: &[u8]) -> (Vec<&str>, usize) {
    let complete = data.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let lines = data[..complete]
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .filter_map(verify_line)
        .collect();
    (lines, complete)
}

/// Escapes a field for a space-separated record: bytes other than printable
/// ASCII, and space and `%`, become `%XX`.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The inverse of [`escape`]; `None` for a malformed escape or bytes that
/// are not UTF-8.
pub(crate) fn unescape(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether an error says the file is not there.
pub(crate) fn not_found(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::NotFound
}

/// Removes `path`; a file already gone is no error.
pub(crate) fn remove_if_exists(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if !not_found(&e) => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn record_lines() {
        let mut data = checked_line("part 0 abc").into_bytes();
        data.extend_from_slice(checked_line("part 1 d%20e").as_bytes());
        data.extend_from_slice(b"part 2 zz 1234");
        let (lines, len) = records(&data);
        assert_eq!(lines, ["part 0 abc", "part 1 d%20e"]);
        assert_eq!(&data[len..], b"part 2 zz 1234");
        // A flipped byte fails the checksum.
        let mut bad = checked_line("part 0 abc").into_bytes();
        bad[5] = b'9';
        assert_eq!(records(&bad).0, Vec::<&str>::new());
    }

    #[test]
    fn escape_round_trip() {
        for s in ["", "abc", "a b%c", "line\nbreak", "caf\u{E9}", "%%"] {
            let e = escape(s);
            assert!(!e.contains(' ') && !e.contains('\n'));
            assert_eq!(unescape(&e).as_deref(), Some(s));
        }
        assert_eq!(unescape("%4"), None);
        assert_eq!(unescape("%zz"), None);
        assert_eq!(unescape("%FF"), None);
    }
}
