//! Finding the files to check.
//!
//! We use the `ignore` crate's parallel walker (ripgrep's) rather than walkdir: it honours
//! `.gitignore`/`.ignore` files and hidden-file conventions the way developers expect, and walks
//! directories on several threads. The walk only collects paths; they are sorted before
//! checking so that output never depends on thread scheduling.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::{WalkBuilder, WalkState};

/// Extensions of files that may hold templates. Files named explicitly are checked whatever
/// their extension; detection is by content either way.
pub(crate) const TEMPLATE_EXTENSIONS: &[&str] = &[
    "yaml", "yml", "json", "template", "cfn", "tpl", "tf", "tofu",
];

/// A project-specific ignore file, read like `.gitignore`.
pub(crate) const IGNORE_FILE: &str = ".triplineignore";

#[derive(Clone, Debug)]
/// How paths are walked.
pub struct WalkOptions {
    /// `--include` globs: only matching files are checked.
    pub include: Vec<String>,
    /// `--exclude` globs: matching files and directories are skipped.
    pub exclude: Vec<String>,
    /// Walk hidden files and directories too.
    pub hidden: bool,
    /// Honour `.gitignore`, `.ignore` and `.triplineignore`.
    pub respect_ignore_files: bool,
    /// Follow symbolic links out of the tree (`--follow-links`).
    pub follow_links: bool,
    /// Walker threads (0: one per CPU).
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> WalkOptions {
        WalkOptions {
            include: Vec::new(),
            exclude: Vec::new(),
            hidden: false,
            respect_ignore_files: true,
            follow_links: false,
            threads: 0,
        }
    }
}

/// A file to check.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    /// The path as reported (`/` separators, no leading `./`).
    pub display: String,
    /// The path to read.
    pub path: PathBuf,
}

/// A path the walk could not enter (permissions, a symlink loop), or a link to a template it
/// did not follow.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct WalkError {
    /// The path as reported.
    pub display: String,
    /// Why it could not be entered; for a link, where it points.
    pub message: String,
    /// A symbolic link to a template, not followed without `--follow-links` (a skip to say,
    /// not an error).
    pub link: bool,
}

/// Whether the walk reads the file a link (the entry `e`) points to: with `--follow-links`, and
/// always for a Terraform configuration file (`.tf`, `.tofu`, `.tf.json`, `.tofu.json`), which
/// Terraform itself reads through a link as part of its module.
fn follows(opts: &WalkOptions, e: &ignore::DirEntry) -> bool {
    if !e.path_is_symlink() {
        return false;
    }
    if opts.follow_links {
        return true;
    }
    let Some(name) = e.file_name().to_str() else {
        return false;
    };
    (crate::parse::is_hcl_name(name) || crate::model::is_tf_json_name(name))
        && !tripline_model::terraform_dir::is_ignored_name(name)
}

/// A link to a template file that the walk does not follow, or follows to something that is
/// not a file: `None` when the entry is no such link.
fn unfollowed_link(e: &ignore::DirEntry, opts: &WalkOptions) -> Option<WalkError> {
    if !e.path_is_symlink() || !has_template_extension(e.path()) {
        return None;
    }
    if follows(opts, e) {
        // Followed to something that is not a file (a FIFO, a device, nothing): said, as an
        // unreadable path, rather than skipped in silence.
        let target = std::fs::metadata(e.path());
        return match target {
            Ok(m) if m.is_file() || m.is_dir() => None,
            _ => Some(WalkError {
                display: display_path(e.path()),
                message: "a link to something that is not a regular file (a pipe, a device, or \
                          nothing)"
                    .to_string(),
                link: false,
            }),
        };
    }
    let target = std::fs::read_link(e.path()).ok()?;
    // Links to directories are reported by the walker itself when followed; unfollowed, a
    // directory holds no template of this name.
    if e.path().is_dir() {
        return None;
    }
    Some(WalkError {
        display: display_path(e.path()),
        message: display_path(&target),
        link: true,
    })
}

#[derive(Debug, Default)]
/// What a walk found.
pub struct Discovered {
    /// Files to check, sorted by path.
    pub files: Vec<Candidate>,
    /// Paths that could not be entered (reported as IO001).
    pub errors: Vec<WalkError>,
    /// What the walk says of the tree (the CDK apps it found, see [`crate::cdk`]).
    pub notes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
/// A glob that does not parse.
pub enum GlobError {
    #[error("invalid glob `{glob}`: {source}")]
    /// An `--include`/`--exclude` glob or a config glob is invalid.
    Invalid {
        /// The glob as written.
        glob: String,
        #[source]
        /// Why.
        source: globset::Error,
    },
}

/// A compiled list of globs. A glob without `/` matches a file or directory name at any depth
/// (as in `.gitignore`); one with `/` matches the path relative to the walked root.
#[derive(Clone, Debug)]
pub struct Globs {
    set: GlobSet,
    empty: bool,
}

impl Globs {
    /// Compile `patterns` (a pattern without `/` matches a name at any depth).
    pub fn new(patterns: &[String]) -> Result<Globs, GlobError> {
        let mut b = GlobSetBuilder::new();
        for p in patterns {
            let trimmed = p.trim_start_matches("./");
            let anchored = if trimmed.contains('/') {
                trimmed.trim_end_matches('/').to_string()
            } else {
                format!("**/{trimmed}")
            };
            for glob in [anchored.clone(), format!("{anchored}/**")] {
                b.add(Glob::new(&glob).map_err(|source| GlobError::Invalid {
                    glob: p.clone(),
                    source,
                })?);
            }
        }
        Ok(Globs {
            set: b.build().map_err(|source| GlobError::Invalid {
                glob: patterns.join(", "),
                source,
            })?,
            empty: patterns.is_empty(),
        })
    }

    /// Whether there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// Whether the relative path `relative` matches a pattern.
    pub(crate) fn is_match(&self, relative: &str) -> bool {
        self.set.is_match(relative)
    }
}

/// The path as reported: `/` separators, without a leading `./`. Lossless and one-to-one: on
/// Unix a `\` is a character of a file name (kept, so `a\b.yaml` is not `a/b.yaml`), bytes
/// that are not UTF-8 are written `\xNN` instead of being replaced, and a `\` that comes
/// before an `x`, another `\` or such a byte is written `\\` (so the name `\xFF` is not the
/// byte 0xFF): two paths never look the same, and [`path_of_display`] gives the path back.
pub(crate) fn display_path(path: &Path) -> String {
    let s = lossless(path);
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    if s.is_empty() {
        ".".to_string()
    } else {
        s.to_string()
    }
}

#[cfg(unix)]
fn lossless(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        if valid.contains('\\') {
            escape_backslashes(valid, !chunk.invalid().is_empty(), &mut out);
        } else {
            // Nearly every name: nothing to escape.
            out.push_str(valid);
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Append `valid` to `out`, doubling each `\` that comes before an `x`, another `\` or (at
/// its end, when `before_byte`) a byte that is not UTF-8.
#[cfg(unix)]
fn escape_backslashes(valid: &str, before_byte: bool, out: &mut String) {
    let mut chars = valid.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c == '\\' {
            // What follows: the next character, else the chunk's first invalid byte.
            let ambiguous = match chars.peek() {
                Some((_, next)) => matches!(next, 'x' | '\\'),
                None => before_byte,
            };
            out.push_str(if ambiguous { "\\\\" } else { "\\" });
        } else {
            out.push_str(&valid[at..at + c.len_utf8()]);
        }
    }
}

/// The path a display path ([`display_path`]) names: its escapes read back.
#[cfg(unix)]
pub(crate) fn path_of_display(display: &str) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    let bytes = display.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], bytes.get(i + 1), hex) {
            (b'\\', Some(b'\\'), _) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x'), Some(byte)) => {
                out.push(byte);
                i += 4;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// The path a display path ([`display_path`]) names.
#[cfg(not(unix))]
pub(crate) fn path_of_display(display: &str) -> PathBuf {
    PathBuf::from(display)
}

#[cfg(not(unix))]
fn lossless(path: &Path) -> String {
    // Windows: `\` is the separator.
    path.to_string_lossy().replace('\\', "/")
}

/// The files to check for a named file that sets values for the rest of its Terraform
/// configuration (`terraform.tfvars`, `*.auto.tfvars(.json)`, `variables.tf`): the
/// configuration's `.tf` and `.tf.json` files, where those values land. A pre-commit run that
/// stages only `terraform.tfvars` (turning multi-Region off) must see what it does. `None` for
/// any other file, or when the directory holds no configuration.
fn configuration_of(path: &Path) -> Option<Vec<Candidate>> {
    let name = path.file_name()?.to_str()?;
    let sets_values = tripline_model::terraform_dir::is_tfvars_name(name)
        || name.eq_ignore_ascii_case("variables.tf")
        || name.eq_ignore_ascii_case("variables.tofu");
    if !sets_values {
        return None;
    }
    let files: Vec<Candidate> = tripline_model::terraform_dir::listing(path, u64::MAX)
        .into_iter()
        .filter(|f| !tripline_model::terraform_dir::is_tfvars_name(&f.name))
        .map(|f| Candidate {
            display: display_path(&f.path),
            path: f.path,
        })
        .collect();
    (!files.is_empty()).then_some(files)
}

/// A walked path relative to its root, as config globs see it: separators are `/` only where
/// the platform's separator is something else.
fn relative_to(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    let s = lossless(rel);
    s.trim_start_matches('/').to_string()
}

fn has_template_extension(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        TEMPLATE_EXTENSIONS
            .iter()
            .any(|t| t.eq_ignore_ascii_case(e))
    })
}

/// Decides whether the walk keeps a path (as walked) that is a directory (`true`) or a file.
pub(crate) type PathFilter = Arc<dyn Fn(&Path, bool) -> bool + Send + Sync>;

/// Collect the files under `roots`, sorted and without duplicates.
pub fn discover(roots: &[PathBuf], opts: &WalkOptions) -> Result<Discovered, GlobError> {
    discover_filtered(roots, opts, None)
}

/// [`discover`], also asking `filter` about every directory and file below the roots (the
/// roots themselves, and files named explicitly, are always kept). This is how each config's
/// `include`/`exclude` apply to the subtree it governs.
pub(crate) fn discover_filtered(
    roots: &[PathBuf],
    opts: &WalkOptions,
    filter: Option<PathFilter>,
) -> Result<Discovered, GlobError> {
    let include = Globs::new(&opts.include)?;
    let exclude = Globs::new(&opts.exclude)?;
    let found = Mutex::new(Discovered::default());
    for root in roots {
        // A file named explicitly is always a candidate, whatever its extension; a variable
        // file stands for its configuration.
        if !root.is_dir() {
            let mut found = found.lock().unwrap();
            match configuration_of(root) {
                Some(files) => found.files.extend(files),
                None => found.files.push(Candidate {
                    display: display_path(root),
                    path: root.clone(),
                }),
            }
            continue;
        }
        let root_path = root.clone();
        let relative = move |p: &Path| -> String { relative_to(&root_path, p) };
        let mut builder = walk_builder(root, opts, &exclude, filter.clone());
        builder.threads(opts.threads);
        builder.build_parallel().run(|| {
            let found = &found;
            let include = &include;
            let relative = relative.clone();
            Box::new(move |entry| {
                match entry {
                    Ok(e) => {
                        // A link to a file is followed only with --follow-links, like links to
                        // directories: it may point outside the tree (`~/.aws/credentials`).
                        let is_file = e.file_type().is_some_and(|t| t.is_file())
                            || (follows(opts, &e) && e.path().is_file());
                        let included = include.is_empty() || include.is_match(&relative(e.path()));
                        if is_file && has_template_extension(e.path()) && included {
                            found.lock().unwrap().files.push(Candidate {
                                display: display_path(e.path()),
                                path: e.path().to_path_buf(),
                            });
                        } else if let Some(link) = unfollowed_link(&e, opts).filter(|_| included) {
                            found.lock().unwrap().errors.push(link);
                        }
                    }
                    Err(err) => {
                        let display = error_path(&err)
                            .map(|p| display_path(&p))
                            .unwrap_or_else(|| display_path(Path::new(".")));
                        found.lock().unwrap().errors.push(WalkError {
                            display,
                            message: error_message(&err),
                            link: false,
                        });
                    }
                }
                WalkState::Continue
            })
        });
    }
    let mut found = found.into_inner().unwrap();
    let apps: Vec<PathBuf> = found
        .files
        .iter()
        .filter(|c| is_cdk_json(&c.path))
        .map(|c| c.path.clone())
        .collect();
    let admits = |p: &Path| admitted(roots, &exclude, filter.as_ref(), p);
    for (note, stack) in cdk_stacks(apps, &admits) {
        found.notes.extend(note);
        found.files.extend(stack);
    }
    found.files.sort();
    // The same file reached twice (a root named twice, nested roots, `main.tf` beside the
    // `terraform.tfvars` that stands for it) is checked once: display paths are one-to-one
    // (without a leading `./`), so files whose names only look alike stay different files.
    let mut seen = std::collections::HashSet::new();
    found.files.retain(|c| seen.insert(c.display.clone()));
    found.errors.sort();
    found.errors.dedup();
    Ok(found)
}

/// Whether a file is a CDK app's `cdk.json`.
fn is_cdk_json(path: &Path) -> bool {
    path.file_name() == Some(std::ffi::OsStr::new("cdk.json"))
}

/// The notes and stack templates of the CDK apps whose `cdk.json` files the walk met (in
/// path order), the templates `admits` lets through: the cloud assembly is usually
/// git-ignored, and what `cdk deploy` deploys must not go unchecked for that.
fn cdk_stacks(
    mut apps: Vec<PathBuf>,
    admits: &dyn Fn(&Path) -> bool,
) -> Vec<(Option<String>, Option<Candidate>)> {
    apps.sort();
    let mut out = Vec::new();
    for cdk_json in apps {
        let Some(app) = crate::cdk::app(&cdk_json) else {
            continue;
        };
        out.push((Some(crate::cdk::note(&app, &|p| display_path(p))), None));
        for stack in app.stacks {
            if stack.is_file() && admits(&stack) {
                out.push((
                    None,
                    Some(Candidate {
                        display: display_path(&stack),
                        path: stack,
                    }),
                ));
            }
        }
    }
    out
}

/// Whether the walk would admit `path` (below one of `roots`), ignore files aside: the
/// `--exclude` globs and the configs' filter.
fn admitted(roots: &[PathBuf], exclude: &Globs, filter: Option<&PathFilter>, path: &Path) -> bool {
    let root = roots.iter().find(|r| path.starts_with(r));
    let excluded =
        root.is_some_and(|r| !exclude.is_empty() && exclude.is_match(&relative_to(r, path)));
    !excluded && filter.is_none_or(|f| f(path, false))
}

/// A walker of `root` with the options' hidden-file, ignore-file and link handling, leaving
/// out what `exclude` or `filter` excludes below the root.
fn walk_builder(
    root: &Path,
    opts: &WalkOptions,
    exclude: &Globs,
    filter: Option<PathFilter>,
) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(!opts.hidden)
        .git_ignore(opts.respect_ignore_files)
        .git_global(opts.respect_ignore_files)
        .git_exclude(opts.respect_ignore_files)
        .ignore(opts.respect_ignore_files)
        .parents(opts.respect_ignore_files)
        .require_git(false)
        .follow_links(opts.follow_links);
    if opts.respect_ignore_files {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    let exclude = exclude.clone();
    let root = root.to_path_buf();
    builder.filter_entry(move |e| {
        if e.depth() == 0 {
            return true;
        }
        if !exclude.is_empty() && exclude.is_match(&relative_to(&root, e.path())) {
            return false;
        }
        let is_dir = e.file_type().is_some_and(|t| t.is_dir());
        filter.as_ref().is_none_or(|f| f(e.path(), is_dir))
    });
    builder
}

/// What [`walk_in_order`] finds, in path order.
#[derive(Debug)]
pub(crate) enum Walked {
    /// A file to check.
    File(Candidate),
    /// A path that could not be entered.
    Error(WalkError),
}

/// Walk one directory `root` in path order, one entry at a time (sequentially: a directory's
/// entries are sorted before they are walked), handing each file and walk error to `sink`
/// until it returns `false`. Nothing is collected, so memory does not grow with the number
/// of files. The order is the order of the display paths, as [`discover`] sorts them: a
/// directory's name sorts as if followed by `/`, so `x.yaml` comes before `x/a.yaml`.
pub(crate) fn walk_in_order(
    root: &Path,
    opts: &WalkOptions,
    filter: Option<PathFilter>,
    sink: &mut dyn FnMut(Walked) -> bool,
) -> Result<Vec<String>, GlobError> {
    let include = Globs::new(&opts.include)?;
    let exclude = Globs::new(&opts.exclude)?;
    let relative = |p: &Path| -> String { relative_to(root, p) };
    let mut builder = walk_builder(root, opts, &exclude, filter.clone());
    builder.sort_by_file_path(path_order);
    // CDK apps met, and the synthesized templates already walked (an assembly that is not
    // ignored): kept small, so that memory does not grow with the tree.
    let mut apps = Vec::new();
    let mut templates = std::collections::HashSet::new();
    for entry in builder.build() {
        let found = match entry {
            Ok(e) => {
                // As in `discover_filtered`: links to files only with --follow-links.
                let is_file = e.file_type().is_some_and(|t| t.is_file())
                    || (follows(opts, &e) && e.path().is_file());
                let included = include.is_empty() || include.is_match(&relative(e.path()));
                if !included {
                    continue;
                }
                if !(is_file && has_template_extension(e.path())) {
                    match unfollowed_link(&e, opts) {
                        Some(link) => Walked::Error(link),
                        None => continue,
                    }
                } else {
                    if is_cdk_json(e.path()) {
                        apps.push(e.path().to_path_buf());
                    } else if e.path().to_string_lossy().ends_with(".template.json") {
                        templates.insert(e.path().to_path_buf());
                    }
                    Walked::File(Candidate {
                        display: display_path(e.path()),
                        path: e.into_path(),
                    })
                }
            }
            Err(err) => Walked::Error(WalkError {
                display: error_path(&err)
                    .map(|p| display_path(&p))
                    .unwrap_or_else(|| display_path(Path::new("."))),
                message: error_message(&err),
                link: false,
            }),
        };
        if !sink(found) {
            return Ok(Vec::new());
        }
    }
    let roots = [root.to_path_buf()];
    let admits = |p: &Path| admitted(&roots, &exclude, filter.as_ref(), p);
    let mut notes = Vec::new();
    for (note, stack) in cdk_stacks(apps, &admits) {
        notes.extend(note);
        if let Some(stack) = stack.filter(|s| !templates.contains(&s.path))
            && !sink(Walked::File(stack))
        {
            break;
        }
    }
    Ok(notes)
}

/// The order of two entries of one directory that makes a depth-first walk list display
/// paths in sorted order: by name, except that a directory's name compares as if followed by
/// `/` (`x/a.yaml` sorts after `x.yaml` and `x-1.yaml`, whose next byte is below `/`). Only
/// then is the file system asked which of them is a directory.
fn path_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    // The names' bytes (UTF-8 on Unix, where valid): ordered as their display strings are.
    // Entries of one directory are `<dir>/<name>`: the name is what follows the last
    // separator (found from the end; `Path::file_name` parses every component, which was 9%
    // of a cached run over 200,000 files).
    fn name(p: &Path) -> &[u8] {
        let bytes = p.as_os_str().as_encoded_bytes();
        let start = bytes
            .iter()
            .rposition(|&b| std::path::is_separator(char::from(b)))
            .map_or(0, |i| i + 1);
        &bytes[start..]
    }
    let (an, bn) = (name(a), name(b));
    let below_slash = |long: &[u8], short: &[u8]| {
        long.len() > short.len() && long.starts_with(short) && long[short.len()] < b'/'
    };
    if below_slash(bn, an) && a.is_dir() {
        return std::cmp::Ordering::Greater;
    }
    if below_slash(an, bn) && b.is_dir() {
        return std::cmp::Ordering::Less;
    }
    an.cmp(bn)
}

fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        _ => None,
    }
}

fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => error_message(err),
        ignore::Error::Loop { ancestor, .. } => format!(
            "symbolic link loop back to {}; not followed",
            display_path(ancestor)
        ),
        other => other.to_string(),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn display_paths_are_one_to_one_and_read_back() {
        let names: [&[u8]; 9] = [
            b"a\\b.yaml",
            b"odd\xFF.yaml",
            b"odd\\xFF.yaml",
            b"odd\\\\xFF.yaml",
            b"a\\\xFF",
            b"a\\",
            b"\\\\",
            b"x\\x\\y",
            b"plain/dir/t.yaml",
        ];
        let shown: Vec<String> = names
            .iter()
            .map(|n| display_path(Path::new(std::ffi::OsStr::from_bytes(n))))
            .collect();
        for (name, display) in names.iter().zip(&shown) {
            assert_eq!(
                path_of_display(display).as_os_str().as_bytes(),
                *name,
                "{display}"
            );
        }
        let mut distinct = shown.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), names.len(), "{shown:?}");
        // Names without an escape to hide are shown as they are.
        assert_eq!(shown[0], "a\\b.yaml");
        assert_eq!(shown[1], "odd\\xFF.yaml");
        assert_eq!(shown[2], "odd\\\\xFF.yaml");
    }
}
