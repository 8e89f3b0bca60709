//! Why a cache file can be trusted: it lives where no commit can plant it, nothing on its path
//! is a symbolic link, it is a regular file of bounded size, and it carries a tag that only
//! this user's tripline can compute.
//!
//! A pull request is also an attacker. A cache it could plant (committed into the tree) could
//! say "clean" for a template with findings, and links it could commit (`CACHEDIR.TAG` pointing
//! at `~/.bashrc`) would make tripline write outside the tree. So:
//! - every cache file ends with a SipHash-2-4 tag (128 bits) keyed by a per-user secret kept in
//!   the user's cache home (`$XDG_CACHE_HOME/tripline/key`, else `~/.cache/tripline/key`,
//!   created 0600 from the system's random source): a file this user's tripline did not write,
//!   or that changed since, fails the tag and is a miss. The tag is also the file's checksum;
//! - a symbolic link at or under the cache directory makes the run use no cache;
//! - reads are of regular files only, at most [`MAX_CACHE_FILE`] bytes;
//! - a cache directory that git tracks is never read or written.

use std::hash::Hasher;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use siphasher::sip128::{Hasher128, SipHasher24};

use super::codec::Sink;
use crate::output::AtomicFile;

/// The largest cache file read (one directory's reports).
pub(crate) const MAX_CACHE_FILE: u64 = 256 * 1024 * 1024;

/// Bytes of a cache file's tag.
pub(crate) const TAG_BYTES: usize = 16;

/// Why the result cache is not used in a run.
#[derive(Debug, thiserror::Error)]
pub enum CacheRefused {
    /// A symbolic link at or under the cache directory.
    #[error("{} is a symbolic link; tripline never follows one in its cache", .0.display())]
    Symlink(PathBuf),
    /// The cache directory is tracked by git: a commit could plant it.
    #[error("{} is tracked by git, so a commit could plant it", .0.display())]
    Tracked(PathBuf),
    /// No user cache home to keep the key in.
    #[error("no user cache home to keep the cache key in ($XDG_CACHE_HOME or $HOME)")]
    NoHome,
    /// The key cannot be read or made.
    #[error("cannot use the cache key {}: {source}", path.display())]
    Key {
        /// The key file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// The user's cache home for tripline: `$XDG_CACHE_HOME/tripline`, else
/// `$HOME/.cache/tripline` (`%LOCALAPPDATA%\tripline` on Windows).
pub fn user_cache_home() -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    if let Some(xdg) = std::env::var_os("XDG_CACHE_HOME").and_then(absolute) {
        return Some(xdg.join("tripline"));
    }
    if cfg!(windows)
        && let Some(local) = std::env::var_os("LOCALAPPDATA").and_then(absolute)
    {
        return Some(local.join("tripline"));
    }
    std::env::var_os("HOME")
        .and_then(absolute)
        .map(|h| h.join(".cache").join("tripline"))
}

/// The key that tags this user's cache files.
#[derive(Clone, Copy)]
pub(crate) struct Key([u8; 16]);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// The user's key, made on first use.
    pub(crate) fn load_or_create() -> Result<Key, CacheRefused> {
        let home = user_cache_home().ok_or(CacheRefused::NoHome)?;
        let path = home.join("key");
        let refused = |source| CacheRefused::Key {
            path: path.clone(),
            source,
        };
        create_private_dir(&home).map_err(refused)?;
        match read_regular(&path, TAG_BYTES as u64) {
            Ok(bytes) => return Key::from_bytes(&bytes).map_err(refused),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(refused(e)),
        }
        let mut secret = [0u8; 16];
        getrandom::fill(&mut secret).map_err(|e| refused(io::Error::other(e.to_string())))?;
        let mut file = tempfile::Builder::new()
            .prefix(".key")
            .tempfile_in(&home)
            .map_err(refused)?;
        io::Write::write_all(&mut file, &secret).map_err(refused)?;
        // Never over another run's key: whoever made it first, both use it.
        match file.persist_noclobber(&path) {
            Ok(_) => Ok(Key(secret)),
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                let bytes = read_regular(&path, TAG_BYTES as u64).map_err(refused)?;
                Key::from_bytes(&bytes).map_err(refused)
            }
            Err(e) => Err(refused(e.error)),
        }
    }

    fn from_bytes(bytes: &[u8]) -> io::Result<Key> {
        let secret: [u8; 16] = bytes
            .try_into()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not a 16-byte key"))?;
        Ok(Key(secret))
    }

    /// The tag of `body`.
    pub(crate) fn tag(&self, body: &[u8]) -> [u8; TAG_BYTES] {
        let mut h = SipHasher24::new_with_key(&self.0);
        h.write(body);
        h.finish128().as_bytes()
    }

    /// The body of a tagged file when its tag is this key's.
    pub(crate) fn verify<'b>(&self, bytes: &'b [u8]) -> Option<&'b [u8]> {
        let split = bytes.len().checked_sub(TAG_BYTES)?;
        let (body, tag) = bytes.split_at(split);
        // Both sides are public lengths; the tag compares in constant time all the same.
        let expected = self.tag(body);
        let differ = expected
            .iter()
            .zip(tag)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        (differ == 0).then_some(body)
    }
}

/// A cache file written as it is encoded, its tag computed on the way and appended when it is
/// finished: a directory's file is never assembled in memory (a 51 MB template's report is
/// 63 MB encoded, and a second copy of it was a third of the check's peak). Nothing is at
/// `path` until [`TaggedFile::finish`]; then the file is whole or the write failed.
pub(crate) struct TaggedFile {
    file: AtomicFile,
    hasher: SipHasher24,
    /// The first write that failed: later bytes are not written, and finishing fails.
    error: Option<io::Error>,
}

impl TaggedFile {
    /// Start writing `path`, tagged with `key`, as a new file renamed over it when finished.
    pub(crate) fn create(key: &Key, path: &Path) -> io::Result<TaggedFile> {
        Ok(TaggedFile {
            file: AtomicFile::create_renamed(path)?,
            hasher: SipHasher24::new_with_key(&key.0),
            error: None,
        })
    }

    /// Append the tag and put the file in place (not synced: a cache file lost in a crash is
    /// a miss).
    pub(crate) fn finish(mut self) -> io::Result<()> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let tag = self.hasher.finish128().as_bytes();
        self.file.write_all(&tag)?;
        self.file.commit_unsynced()
    }
}

impl Sink for TaggedFile {
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        // SipHash is a stream: the tag of bytes written in pieces is the tag of the whole.
        self.hasher.write(bytes);
        if let Err(e) = self.file.write_all(bytes) {
            self.error = Some(e);
        }
    }
}

/// A directory only its owner may enter (the key is in it).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A regular file's bytes, at most `limit` of them. A symbolic link, a FIFO, a device or a
/// directory is refused without being opened (opening a FIFO blocks), and the file opened must
/// be the one looked at.
pub(crate) fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a symbolic link, pipe, device or directory)",
        ));
    }
    if meta.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ));
    }
    let file = std::fs::File::open(path)?;
    if !same_file(&meta, &file.metadata()?) {
        return Err(io::Error::other("replaced while it was opened"));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    a.len() == b.len() && b.is_file()
}

/// Whether `path` or one of its ancestors below `top` is a symbolic link (`top` itself is the
/// user's to choose and is not looked at). `path` need not exist yet.
pub(crate) fn symlink_below(top: &Path, path: &Path) -> Option<PathBuf> {
    let rest = path.strip_prefix(top).ok()?;
    let mut at = top.to_path_buf();
    for part in rest.components() {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => return Some(at),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Whether git tracks anything at or under `dir` (a cache a commit could plant). Asked only when
/// `dir` is inside a git work tree; without git, the tags still keep planted files out.
pub(crate) fn tracked_by_git(dir: &Path) -> bool {
    let Ok(absolute) = std::path::absolute(dir) else {
        return false;
    };
    if !absolute.ancestors().any(|a| a.join(".git").exists()) {
        return false;
    }
    let existing = absolute
        .ancestors()
        .find(|a| a.is_dir())
        .unwrap_or(&absolute);
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(existing)
        .args(["ls-files", "-z", "--"])
        .arg(&absolute)
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    matches!(out, Ok(o) if o.status.success() && !o.stdout.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `body` written through a [`TaggedFile`] and read back whole.
    fn tagged(key: &Key, pieces: &[&[u8]]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        let mut file = TaggedFile::create(key, &path).unwrap();
        for p in pieces {
            file.put(p);
        }
        file.finish().unwrap();
        read_regular(&path, MAX_CACHE_FILE).unwrap()
    }

    #[test]
    fn a_file_tagged_in_pieces_carries_the_tag_of_its_whole_body() {
        let key = Key([7; 16]);
        let body: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let pieces: Vec<&[u8]> = body.chunks(13).collect();
        let written = tagged(&key, &pieces);
        assert_eq!(&written[..body.len()], &body[..]);
        assert_eq!(&written[body.len()..], &key.tag(&body)[..]);
        assert_eq!(key.verify(&written), Some(&body[..]));
    }

    #[test]
    fn a_tag_holds_for_its_body_and_key_only() {
        let key = Key([7; 16]);
        let signed = tagged(&key, &[b"rep", b"ort"]);
        assert_eq!(key.verify(&signed), Some(&b"report"[..]));
        let mut changed = signed.clone();
        changed[0] ^= 1;
        assert_eq!(key.verify(&changed), None);
        assert_eq!(Key([8; 16]).verify(&signed), None);
        assert_eq!(key.verify(b"short"), None);
    }
}
