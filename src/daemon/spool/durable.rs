//! Writing files durably: the spool's modes, temporary files written and
//! synced before they get their name, renames and links that never replace
//! a file, and the syncs (of files, directories, or the whole filesystem)
//! that make them last. Used by the spool, its progress log and message id
//! index, and the metrics writer.

use crossbeam_channel::Sender;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

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

/// How long a directory that another client of a shared filesystem
/// creates at the same instant may take to be seen here.
const SHARED_DIR_WAIT: Duration = Duration::from_secs(2);

/// Makes the directory `dir` with `create`, unless it is there; also
/// while another client of a shared filesystem makes it at the same
/// instant. Of two GlusterFS clients making one directory at once, one may
/// be told it exists (EEXIST) and then, for a moment, that it is not there,
/// or both told it exists with neither made: an answer that it exists, or
/// that a parent is missing, is tried again until the directory is seen
/// (for up to [`SHARED_DIR_WAIT`]).
pub(crate) fn make_dir_shared(
    dir: &Path,
    create: impl Fn(&Path) -> io::Result<()>,
) -> io::Result<()> {
    retry_shared(
        |e| {
            matches!(
                e.kind(),
                io::ErrorKind::AlreadyExists | io::ErrorKind::NotFound
            )
        },
        || if dir.is_dir() { Ok(()) } else { create(dir) },
    )
}

/// Runs `op` (a file made in a directory made a moment ago), again while
/// it fails with `ENOENT`, for up to [`SHARED_DIR_WAIT`]: a directory two
/// GlusterFS clients made at once can refuse files for a moment after it
/// is seen.
pub(crate) fn retry_new_dir<T>(op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    retry_shared(not_found, op)
}

/// Runs `op` again while it fails with an error `passing` calls a
/// shared filesystem's passing state, for up to [`SHARED_DIR_WAIT`]; each
/// process pauses its own 10-29 ms between tries, since clients that try
/// again in step would collide again.
fn retry_shared<T>(
    passing: impl Fn(&io::Error) -> bool,
    mut op: impl FnMut() -> io::Result<T>,
) -> io::Result<T> {
    let deadline = Instant::now() + SHARED_DIR_WAIT;
    let pause = Duration::from_millis(10 + u64::from(std::process::id() % 20));
    loop {
        match op() {
            Err(e) if passing(&e) && Instant::now() < deadline => std::thread::sleep(pause),
            other => return other,
        }
    }
}

/// `fs::create_dir_all` through [`make_dir_shared`].
pub(crate) fn ensure_dir(dir: &Path) -> io::Result<()> {
    make_dir_shared(dir, |d| fs::create_dir_all(d))
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
