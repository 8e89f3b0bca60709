//! A revision's tree, read through git into a scratch directory: what `check --new-since REF`
//! checks to know which findings were already there. Offline (the objects are local), and the
//! work tree, the index and the refs are never touched: only `rev-parse`, `ls-tree` and
//! `cat-file` run.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Why a revision's tree could not be read.
#[derive(Debug, thiserror::Error)]
pub enum GitTreeError {
    /// git could not be run.
    #[error("cannot run git: {0}")]
    NoGit(std::io::Error),
    /// The directory is not in a git repository.
    #[error("{0} is not in a git repository")]
    NotARepository(String),
    /// The revision does not name a commit here.
    #[error(
        "`{0}` is not a commit of this repository (in a shallow CI clone, fetch it: \
         `fetch-depth: 0` in actions/checkout, or `git fetch origin {0}`)"
    )]
    UnknownRevision(String),
    /// git failed.
    #[error("git {0} failed: {1}")]
    Failed(String, String),
    /// Writing the scratch tree failed.
    #[error("cannot write the tree of {0} to a scratch directory: {1}")]
    Write(String, std::io::Error),
}

/// A revision's files in a scratch directory, laid out as in the repository.
pub struct Tree {
    dir: tempfile::TempDir,
    /// The repository's top directory (absolute).
    pub top: PathBuf,
    /// How many files were written.
    pub files: usize,
}

impl Tree {
    /// The scratch directory, which stands for the repository's top directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

fn git(cwd: &Path, args: &[&str]) -> Result<std::process::Output, GitTreeError> {
    Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(GitTreeError::NoGit)
}

/// Read revision `rev` of the repository `cwd` is in: every regular file no larger than
/// `max_file_size` (links and submodules are left out, as the walk leaves them).
pub fn read(cwd: &Path, rev: &str, max_file_size: u64) -> Result<Tree, GitTreeError> {
    let top = git(cwd, &["rev-parse", "--show-toplevel"])?;
    if !top.status.success() {
        return Err(GitTreeError::NotARepository(cwd.display().to_string()));
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim_end_matches(['\n', '\r']));
    let spec = format!("{rev}^{{commit}}");
    let commit = git(
        &top,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )?;
    if !commit.status.success() {
        return Err(GitTreeError::UnknownRevision(rev.to_string()));
    }
    let commit = String::from_utf8_lossy(&commit.stdout).trim().to_string();
    let listing = git(&top, &["ls-tree", "-r", "-z", "--full-tree", "-l", &commit])?;
    if !listing.status.success() {
        return Err(GitTreeError::Failed(
            "ls-tree".into(),
            String::from_utf8_lossy(&listing.stderr).into_owned(),
        ));
    }
    let blobs = regular_blobs(&listing.stdout, max_file_size);
    let dir = tempfile::Builder::new()
        .prefix("tripline-new-since.")
        .tempdir()
        .map_err(|e| GitTreeError::Write(rev.to_string(), e))?;
    // The walk honours .gitignore files only in a repository: an empty `.git` makes the
    // scratch tree one, as the real tree is.
    std::fs::create_dir(dir.path().join(".git")).map_err(|e| GitTreeError::Write(rev.into(), e))?;
    write_blobs(&top, dir.path(), &blobs).map_err(|e| GitTreeError::Write(rev.to_string(), e))?;
    Ok(Tree {
        dir,
        top,
        files: blobs.len(),
    })
}

/// `(object id, path)` of the regular files of an `ls-tree -r -z -l` listing within the size
/// bound.
fn regular_blobs(listing: &[u8], max_file_size: u64) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for record in listing.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        // `<mode> SP <type> SP <object> SP+ <size> TAB <path>`
        let Some(tab) = record.iter().position(|b| *b == b'\t') else {
            continue;
        };
        let head = String::from_utf8_lossy(&record[..tab]);
        let fields: Vec<&str> = head.split_whitespace().collect();
        let [mode, "blob", object, size] = fields.as_slice() else {
            continue;
        };
        if !mode.starts_with("100") || size.parse::<u64>().map_or(true, |s| s > max_file_size) {
            continue;
        }
        let Some(path) = safe_path(&record[tab + 1..]) else {
            continue;
        };
        out.push((object.to_string(), path));
    }
    out
}

/// A repository path as a relative path of normal components (never `..` or absolute).
fn safe_path(bytes: &[u8]) -> Option<PathBuf> {
    #[cfg(unix)]
    let path = {
        use std::os::unix::ffi::OsStrExt;
        PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
    };
    #[cfg(not(unix))]
    let path = PathBuf::from(String::from_utf8(bytes.to_vec()).ok()?);
    path.components()
        .all(|c| matches!(c, std::path::Component::Normal(_)))
        .then_some(path)
}

/// Write each blob under `dir`, reading them all through one `git cat-file --batch`.
fn write_blobs(top: &Path, dir: &Path, blobs: &[(String, PathBuf)]) -> std::io::Result<()> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(top)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let ids: Vec<String> = blobs.iter().map(|(id, _)| id.clone()).collect();
    // Written from another thread: git answers as it reads, and both pipes have to move.
    let feeder = std::thread::spawn(move || -> std::io::Result<()> {
        for id in ids {
            writeln!(stdin, "{id}")?;
        }
        Ok(())
    });
    let mut out = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut header = String::new();
    for (_, path) in blobs {
        header.clear();
        out.read_line(&mut header)?;
        // `<object> blob <size>`
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("unexpected git output: {header}")))?;
        let mut content = vec![0; size];
        out.read_exact(&mut content)?;
        let mut newline = [0u8; 1];
        out.read_exact(&mut newline)?;
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, content)?;
    }
    feeder
        .join()
        .map_err(|_| std::io::Error::other("git cat-file input"))??;
    child.wait()?;
    Ok(())
}
