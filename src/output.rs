//! Files the tool writes and reads whole: written atomically (a temporary file in the same
//! directory, renamed over the target when complete, so a killed run leaves the previous file
//! or none, never half of one), and read with a bound (so `--baseline /dev/zero` ends).

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Largest baseline or shard report read (far above any real one: 256 MiB).
pub(crate) const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// A file being written: nothing appears at `path` until [`AtomicFile::commit`]. A special
/// file that exists (a device, a FIFO, `/dev/stdout`) is written in place instead: a rename
/// would replace the device with a regular file (as root), or fail (a user cannot create files
/// in `/dev`).
pub struct AtomicFile {
    path: PathBuf,
    sink: Sink,
}

/// Where an [`AtomicFile`]'s bytes go.
enum Sink {
    /// A temporary file beside the target, renamed over it when complete.
    Temp(io::BufWriter<tempfile::NamedTempFile>),
    /// The special file itself.
    Special(io::BufWriter<std::fs::File>),
}

impl AtomicFile {
    /// Start writing `path`. Its directory must exist.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        if let Ok(meta) = std::fs::metadata(path)
            && !meta.is_file()
            && !meta.is_dir()
        {
            let special = std::fs::OpenOptions::new().write(true).open(path)?;
            return Ok(AtomicFile {
                path: path.to_path_buf(),
                sink: Sink::Special(io::BufWriter::new(special)),
            });
        }
        AtomicFile::renamed(path, true)
    }

    /// Start writing `path` as a new file renamed over it when complete, whatever is there: a
    /// link or special file is replaced, never followed or written (the result cache). The
    /// file is private to the user (0600) until it is put in place.
    pub(crate) fn create_renamed(path: &Path) -> io::Result<AtomicFile> {
        AtomicFile::renamed(path, false)
    }

    /// [`AtomicFile::create_renamed`]; `shared`: created as any new file is, by the user's
    /// umask (0644 under the usual 022), since reports and baselines are read by others and
    /// by later CI steps; otherwise private.
    fn renamed(path: &Path, shared: bool) -> io::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        if shared {
            use std::os::unix::fs::PermissionsExt;
            // The mode a new file is opened with; the kernel applies the umask to it.
            builder.permissions(std::fs::Permissions::from_mode(0o666));
        }
        #[cfg(not(unix))]
        let _ = shared;
        let file = builder.tempfile_in(dir)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            sink: Sink::Temp(io::BufWriter::new(file)),
        })
    }

    /// Flush, wait for the disk, and move the file into place.
    pub fn commit(self) -> io::Result<()> {
        self.finish(true)
    }

    /// Flush and move the file into place without waiting for the disk: for files whose loss
    /// in a crash costs only time (see [`write_atomic_unsynced`]).
    pub(crate) fn commit_unsynced(self) -> io::Result<()> {
        self.finish(false)
    }

    /// Flush and move the file into place, waiting for the disk (`fsync`) when `sync`.
    fn finish(self, sync: bool) -> io::Result<()> {
        let file = match self.sink {
            Sink::Special(mut special) => return special.flush(),
            Sink::Temp(file) => file.into_inner().map_err(|e| e.into_error())?,
        };
        if sync {
            file.as_file().sync_all()?;
        }
        file.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.sink {
            Sink::Special(special) => special.write(buf),
            Sink::Temp(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Special(special) => special.flush(),
            Sink::Temp(file) => file.flush(),
        }
    }
}

/// Replace the contents of the existing file `path` atomically, keeping what was set on it:
/// its permission bits, owner and group. Refused, with the reason as the error, when it cannot
/// be kept: a symbolic link (its target may be anywhere; it is not replaced by a copy), a
/// read-only file, a file with other hard links (a new file would no longer be shared), a file
/// whose owner cannot be kept.
pub fn replace_keeping(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            why.to_string(),
        ))
    };
    if meta.file_type().is_symlink() {
        return refuse("it is a symbolic link; check and fix its target instead");
    }
    if !meta.is_file() {
        return refuse("it is not a regular file");
    }
    if meta.permissions().readonly() {
        return refuse("it is read-only");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return refuse("it has other hard links, which a rewritten file would no longer share");
        }
    }
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.flush()?;
    let Sink::Temp(temp) = &f.sink else {
        return refuse("it is not a regular file");
    };
    let temp = temp.get_ref().as_file();
    temp.set_permissions(meta.permissions())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let made = temp.metadata()?;
        if (made.uid(), made.gid()) != (meta.uid(), meta.gid())
            && std::os::unix::fs::fchown(temp, Some(meta.uid()), Some(meta.gid())).is_err()
        {
            return refuse("it belongs to another user or group, which a rewritten file would not");
        }
    }
    f.commit()
}

/// Write `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// Write `bytes` to `path` atomically, but without waiting for the disk (no `fsync`): for
/// files whose loss in a crash costs only time. The result cache is one (a cache file that
/// does not read back whole is a miss): an `fsync` per cache file made filling the cache of a
/// tree of 31,000 directories take 27 s instead of 8. What is at `path` (a link, a special
/// file) is replaced, never followed.
pub(crate) fn write_atomic_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create_renamed(path)?;
    f.write_all(bytes)?;
    f.commit_unsynced()
}

/// Read at most `limit` bytes of `reader`; more is an error that says so.
pub(crate) fn read_bounded(reader: impl Read, limit: u64, what: &str) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{what} is larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

/// Read a whole text file of at most `limit` bytes.
pub(crate) fn read_text_bounded(path: &Path, limit: u64) -> io::Result<String> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    let bytes = read_bounded(file, limit, "the file")?;
    String::from_utf8(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

/// The text of a regular file (never a FIFO, which would block, nor a device), at most
/// `limit` bytes; `None` when it is not one, is larger, or is not UTF-8.
pub(crate) fn read_regular_text(path: &Path, limit: u64) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > limit {
        return None;
    }
    read_text_bounded(path, limit).ok()
}

/// Whether two paths name the same file (or would, once created): compared by canonical path
/// where they exist, else by their absolute form.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    let norm = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            // Not there yet: its directory may be, under another spelling.
            let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            match (abs.parent(), abs.file_name()) {
                (Some(dir), Some(name)) => std::fs::canonicalize(dir)
                    .map(|d| d.join(name))
                    .unwrap_or(abs.clone()),
                _ => abs,
            }
        })
    };
    norm(a) == norm(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_appears_before_commit_and_a_dropped_write_leaves_the_old_file() {
        let dir = tempfile::TempDir::new().unwrap();
        let target = dir.path().join("report.json");
        std::fs::write(&target, "old").unwrap();
        {
            let mut f = AtomicFile::create(&target).unwrap();
            f.write_all(b"half").unwrap();
            // dropped without commit: a killed run
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file is left behind");
    }

    #[test]
    fn bounded_reads_stop() {
        let zeros = std::io::repeat(0);
        let err = read_bounded(zeros, 1024, "standard input").unwrap_err();
        assert!(err.to_string().contains("larger than 1024"));
        assert_eq!(read_bounded(&b"abc"[..], 3, "x").unwrap(), b"abc");
    }
}

/// An output that would destroy an input or another output, or that cannot be written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RefusedOutput(String);

/// Refuse, before any work, outputs that would destroy an input or each other, and outputs
/// whose directory does not exist. `outputs` are (flag, path) pairs; `inputs` the paths to
/// check (`-` is standard input); `baseline` the baseline being read, which a report must not
/// overwrite.
pub fn refuse_clobbering(
    outputs: &[(&str, &Path)],
    inputs: &[PathBuf],
    baseline: Option<&Path>,
) -> Result<(), RefusedOutput> {
    for (flag, out) in outputs {
        let dir = match out.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(RefusedOutput(format!(
                "{flag} {}: directory {} does not exist",
                out.display(),
                dir.display()
            )));
        }
        if out.is_dir() {
            return Err(RefusedOutput(format!(
                "{flag} {}: is a directory",
                out.display()
            )));
        }
        for input in inputs {
            if input.as_os_str() != "-" && input.is_file() && same_file(input, out) {
                return Err(RefusedOutput(format!(
                    "{flag} {} is one of the files to check; refusing to overwrite it",
                    out.display()
                )));
            }
        }
        if let Some(b) = baseline
            && *flag == "-o/--output"
            && same_file(b, out)
        {
            return Err(RefusedOutput(format!(
                "{flag} {} is the baseline being read; refusing to overwrite it with a report",
                out.display()
            )));
        }
    }
    if let [(_, a), (_, b)] = outputs
        && same_file(a, b)
    {
        return Err(RefusedOutput(format!(
            "-o/--output and --write-baseline both name {}; give them different files",
            a.display()
        )));
    }
    Ok(())
}
