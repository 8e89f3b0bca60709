//! The result cache: a file's report is kept, and reused while the file and everything that
//! shaped its report stay the same — so re-checking an unchanged tree reads little more than
//! the directory listings.
//!
//! A report is reused when the entry for its path has the same **settings key** (the engine's:
//! its configs' text, the command-line flags, the Guard rules' text, and this build of
//! tripline) and either the same size and modification time (no read at all, as ruff does) or
//! the same content hash (the file was touched — a checkout, a copy — but holds the same
//! bytes). Only reports that depend on nothing but their file are kept (the engine says, see
//! [`Depends`]): a `.tf` file's report depends on its directory and the modules it calls, a
//! plan's on its configuration: a report that depends on its directory's configuration files
//! (a `.tf` file, a `*.tf.json` read alone, a plan with nothing beside it) is reused while
//! that directory's listing — names, sizes, modification times — is the same; one that
//! depends on other directories (a module call, a plan's `.tf` source) is always checked.
//!
//! Where: `$TRIPLINE_CACHE_DIR`, `--cache-dir`, else the user's cache home
//! (`$XDG_CACHE_HOME/tripline`, `~/.cache/tripline`): outside the checked tree by default, so
//! that a pull request cannot commit a cache. Whatever the place, a cache file is trusted only
//! when this user's tripline tagged it (see `trust`).
//!
//! Layout: `<cache dir>/<version>/<hash of the directory>`, one file per directory of checked
//! files, written whole and atomically (a temporary file renamed over the old one) but not
//! synced to disk: after a crash a file may not read back, which is a miss. Two runs writing
//! at once lose at most each other's new entries; a cache file that cannot be read or parsed
//! is treated as empty and replaced. Nothing is ever shared across versions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

mod codec;
mod org;
mod trust;

pub use trust::{CacheRefused, user_cache_home};

use codec::{Count, Reader, Sink, Writer};

use crate::engine::Engine;
use crate::file_report::{Depends, FileReport, Outcome, Skip, content_hash};
use crate::finding::{Edit, Finding, Severity, StableHasher, TextFix};
use crate::model::{DocumentKind, Format, KindBasis};
use crate::policy::coverage::EvidenceKind;
use crate::source::{Excerpt, Position, Span};

/// The in-tree cache directory of earlier versions: a walk never reads it as templates.
pub const IN_TREE_DIR: &str = ".tripline_cache";

/// Files modified less than this long ago are not trusted by modification time (see
/// [`Cache::check`]).
const RACY_NANOS: u128 = 2_000_000_000;

/// The first bytes of a cache file.
const MAGIC: &[u8] = b"tripline-cache\n";

/// Cache files' format; a change makes old files unreadable, which is a miss. 4: tagged;
/// 5: reports count the module calls not followed.
const FORMAT_VERSION: u32 = 11;

/// The result cache of a run.
#[derive(Debug)]
pub struct Cache {
    /// `<cache dir>/<version>`.
    root: PathBuf,
    /// What tags this user's cache files.
    key: trust::Key,
    /// The directories in use, by their path as walked.
    dirs: Mutex<HashMap<PathBuf, Arc<DirSlot>>>,
    /// The working directory, asked once: walked paths are relative to it, and
    /// `std::path::absolute` would ask the system for it for every directory.
    cwd: Option<PathBuf>,
    hits: AtomicUsize,
    misses: AtomicUsize,
    /// Whether this run has made the cache directory (writes make it once).
    prepared: std::sync::atomic::AtomicBool,
}

/// One directory of checked files: its absolute path (what names its cache file) and its
/// cache file, loaded by the first file that needs it (outside the map's lock: loading is
/// the slow part).
#[derive(Debug)]
pub(crate) struct DirSlot {
    absolute: PathBuf,
    cache: std::sync::OnceLock<Mutex<DirCache>>,
}

/// One directory's cache file, loaded.
#[derive(Debug, Default)]
struct DirCache {
    entries: HashMap<String, Entry>,
    dirty: bool,
    /// The signature of the directory's configuration listing, once asked.
    listing: Option<u64>,
}

impl DirCache {
    /// Whether an entry whose report depends on the directory's listing `listing` (none: it
    /// does not) still holds for a file in `dir`.
    fn holds(&mut self, listing: Option<u64>, dir: &Path, max_file_size: u64) -> bool {
        listing.is_none_or(|sig| sig == self.listing(dir, max_file_size))
    }

    /// The directory's `.tf` configuration files as listed — names, sizes, modification
    /// times — hashed.
    fn listing(&mut self, dir: &Path, max_file_size: u64) -> u64 {
        *self.listing.get_or_insert_with(|| {
            let mut h = StableHasher::new();
            for f in crate::terraform_dir::listing_dir(dir, max_file_size) {
                let mtime = f
                    .modified
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                h.part(&f.name);
                h.part(&format!("{} {mtime}", f.len));
            }
            h.finish()
        })
    }
}

#[derive(Clone, Debug)]
struct Entry {
    settings: u64,
    /// The report holds only while the directory's configuration listing has this signature.
    listing: Option<u64>,
    size: u64,
    /// Modification time in nanoseconds since the epoch (0: not trusted, never matches).
    mtime: u128,
    content: u64,
    /// The report, encoded ([`encode_report`]); decoded only when used.
    report: Vec<u8>,
}

impl Cache {
    /// A cache under `dir` (created on first write) for this version of tripline; refused
    /// when `dir` or a file of the cache in it is a symbolic link, when git tracks `dir`, or
    /// when the user's key cannot be had.
    pub fn open(dir: &Path) -> Result<Cache, CacheRefused> {
        let root = dir.join(env!("CARGO_PKG_VERSION"));
        if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(CacheRefused::Symlink(dir.to_path_buf()));
        }
        for inside in [
            root.clone(),
            dir.join("CACHEDIR.TAG"),
            dir.join(".gitignore"),
        ] {
            if let Some(link) = trust::symlink_below(dir, &inside) {
                return Err(CacheRefused::Symlink(link));
            }
        }
        if trust::tracked_by_git(dir) {
            return Err(CacheRefused::Tracked(dir.to_path_buf()));
        }
        Ok(Cache {
            key: trust::Key::load_or_create()?,
            root,
            dirs: Mutex::new(HashMap::new()),
            cwd: std::env::current_dir().ok(),
            hits: AtomicUsize::new(0),
            misses: AtomicUsize::new(0),
            prepared: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Reports taken from the cache, and files checked, so far.
    pub fn stats(&self) -> (usize, usize) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// The cached report of `path` (reported as `display`) when its entry is current by size
    /// and modification time: no read of the file.
    /// `slot` is the file's directory ([`Cache::slots`]).
    pub(crate) fn fresh(
        &self,
        engine: &Engine,
        slot: &DirSlot,
        path: &Path,
        display: &str,
    ) -> Option<FileReport> {
        let settings = engine.cache_key()?;
        let meta = std::fs::metadata(path).ok()?;
        let mtime = mtime_of(&meta);
        let mut dir = self.loaded(slot).lock().ok()?;
        let e = dir.entries.get(display)?;
        if e.settings != settings || e.size != meta.len() || e.mtime != mtime || mtime == 0 {
            return None;
        }
        let listing = e.listing;
        // The directory first: it is cheaper than decoding a report that would not hold.
        if !dir.holds(listing, &slot.absolute, engine.max_file_size()) {
            return None;
        }
        let e = dir.entries.get(display)?;
        let report = decode_report(&e.report, display, e.content)?;
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(report)
    }

    /// Check `path` through the cache: its report when the entry's content hash matches (the
    /// file was touched, not changed), else the engine's, kept for next time when it depends
    /// on nothing the cache cannot watch.
    pub(crate) fn check(
        &self,
        engine: &Engine,
        slot: Option<&DirSlot>,
        path: &Path,
        display: &str,
    ) -> FileReport {
        let Some(settings) = engine.cache_key() else {
            return engine.check_path(path, display);
        };
        let Ok(meta) = std::fs::metadata(path) else {
            return engine.check_path(path, display);
        };
        if !meta.is_file() || meta.len() > engine.max_file_size() {
            return engine.check_path(path, display);
        }
        let Ok(bytes) = std::fs::read(path) else {
            return engine.check_path(path, display);
        };
        let content = content_hash(&bytes);
        // A file written in the last seconds may be written again within the clock's
        // granularity with the same size: its entry is trusted by content only.
        let mtime = match std::time::SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(now) if now.as_nanos().saturating_sub(mtime_of(&meta)) > RACY_NANOS => {
                mtime_of(&meta)
            }
            _ => 0,
        };
        if let Some(slot) = slot
            && let Ok(mut dir) = self.loaded(slot).lock()
        {
            let reused = dir
                .entries
                .get(display)
                .filter(|e| {
                    e.settings == settings && e.content == content && e.size == bytes.len() as u64
                })
                .and_then(|e| decode_report(&e.report, display, e.content).map(|r| (e.listing, r)));
            if let Some((listing, report)) = reused
                && dir.holds(listing, &slot.absolute, engine.max_file_size())
                && let Some(e) = dir.entries.get_mut(display)
            {
                if e.mtime != mtime {
                    e.mtime = mtime;
                    dir.dirty = true;
                }
                self.hits.fetch_add(1, Ordering::Relaxed);
                return report;
            }
            // The path's entry, if any, did not hold and is replaced by this check's report
            // (or dropped, if that is not kept): dropped now, so that a large file's old report
            // is not held while the file is checked again (a 51 MB template's is 63 MB).
            if dir.entries.remove(display).is_some() {
                dir.dirty = true;
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let report = engine.check_bytes_at(display, &bytes, Some(path));
        // The text is not needed to keep the report: freed before the report is encoded.
        let size = bytes.len() as u64;
        drop(bytes);
        if let Some(slot) = slot
            && report.depends != Depends::OtherFiles
            && let Some(encoded) = encode_report(&report)
            && let Ok(mut dir) = self.loaded(slot).lock()
        {
            let listing = (report.depends == Depends::Directory)
                .then(|| dir.listing(&slot.absolute, engine.max_file_size()));
            dir.entries.insert(
                display.to_string(),
                Entry {
                    settings,
                    listing,
                    size,
                    mtime,
                    content,
                    report: encoded,
                },
            );
            dir.dirty = true;
        }
        report
    }

    /// Write the cache files that changed, and forget the directories not in `keep` (the
    /// directories of the next files to check): the walk is in path order, so a directory
    /// once left is rarely met again, and memory stays bounded by what is in use.
    pub(crate) fn flush(&self, keep: &dyn Fn(&Path) -> bool) {
        let Ok(mut dirs) = self.dirs.lock() else {
            return;
        };
        let mut left = Vec::new();
        for (walked, slot) in dirs.iter() {
            if let Some(cache) = slot.cache.get()
                && let Ok(mut cache) = cache.lock()
                && cache.dirty
            {
                // A cache that cannot be written is only a slower next run.
                let _ = self.write(&slot.absolute, &cache);
                cache.dirty = false;
            }
            if !keep(walked) {
                left.push(walked.clone());
            }
        }
        for dir in left {
            dirs.remove(&dir);
        }
    }

    fn write(&self, dir: &Path, cache: &DirCache) -> std::io::Result<()> {
        // The cache directory is made (and tagged) once per run, not once per file.
        if !self.prepared.load(Ordering::Relaxed) {
            std::fs::create_dir_all(&self.root)?;
            let top = self.root.parent().unwrap_or(&self.root);
            let tag = top.join("CACHEDIR.TAG");
            if std::fs::symlink_metadata(&tag).is_err() {
                // Backup tools skip tagged directories; git ignores everything in it. Written
                // by renaming a new file into place, which never follows a link there.
                let _ = crate::output::write_atomic_unsynced(
                    &tag,
                    b"Signature: 8a477f597d28d172789f06886806bc55\n# tripline's result cache\n",
                );
                let _ = crate::output::write_atomic_unsynced(&top.join(".gitignore"), b"*\n");
            }
            self.prepared.store(true, Ordering::Relaxed);
        }
        let mut w = Writer(trust::TaggedFile::create(&self.key, &self.file_for(dir))?);
        write_dir(&mut w, &crate::walk::display_path(dir), &cache.entries);
        w.0.finish()
    }

    fn file_for(&self, dir: &Path) -> PathBuf {
        let mut h = StableHasher::new();
        h.part(&crate::walk::display_path(dir));
        self.root.join(format!("{:016x}", h.finish()))
    }

    /// The directories of `paths` (in path order, so a directory's files come together):
    /// one lookup in the map of directories per directory, not per file, done before the
    /// files are checked in parallel.
    pub(crate) fn slots(&self, paths: &[Option<&Path>]) -> Vec<Option<Arc<DirSlot>>> {
        let Ok(mut dirs) = self.dirs.lock() else {
            return paths.iter().map(|_| None).collect();
        };
        let mut last: Option<(PathBuf, Arc<DirSlot>)> = None;
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            let Some(walked) = path.and_then(Cache::dir_key) else {
                out.push(None);
                continue;
            };
            if let Some((dir, slot)) = &last
                && *dir == walked
            {
                out.push(Some(slot.clone()));
                continue;
            }
            let slot = match dirs.get(&walked) {
                Some(slot) => Some(slot.clone()),
                None => self.absolute(&walked).map(|absolute| {
                    let slot = Arc::new(DirSlot {
                        absolute,
                        cache: std::sync::OnceLock::new(),
                    });
                    dirs.insert(walked.clone(), slot.clone());
                    slot
                }),
            };
            if let Some(slot) = &slot {
                last = Some((walked, slot.clone()));
            }
            out.push(slot);
        }
        out
    }

    /// `dir` made absolute as `std::path::absolute` does (which, given an absolute path,
    /// does not ask for the working directory).
    fn absolute(&self, dir: &Path) -> Option<PathBuf> {
        match &self.cwd {
            Some(cwd) if dir.is_relative() => std::path::absolute(cwd.join(dir)).ok(),
            _ => std::path::absolute(dir).ok(),
        }
    }

    /// The cache of a directory, read from its file by the first of its files to need it.
    fn loaded<'s>(&self, slot: &'s DirSlot) -> &'s Mutex<DirCache> {
        slot.cache.get_or_init(|| {
            // A file this user's tripline did not write (or that changed since) is a miss.
            let entries =
                trust::read_regular(&self.file_for(&slot.absolute), trust::MAX_CACHE_FILE)
                    .ok()
                    .and_then(|bytes| {
                        let body = self.key.verify(&bytes)?;
                        decode_dir(body, &crate::walk::display_path(&slot.absolute))
                    })
                    .unwrap_or_default();
            Mutex::new(DirCache {
                entries,
                ..DirCache::default()
            })
        })
    }

    /// The directory of `path` as walked, which keys the directories in use.
    pub(crate) fn dir_key(path: &Path) -> Option<PathBuf> {
        let parent = path.parent()?;
        Some(if parent.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            parent.to_path_buf()
        })
    }
}

fn mtime_of(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos())
}

/// A report as the cache keeps it (the file's path is the entry's key).
fn encode_report(r: &FileReport) -> Option<Vec<u8>> {
    // Sized first, then written: a buffer grown by doubling while a large report is encoded
    // holds up to twice its size, and twice again while it moves.
    let mut count = Writer(Count::default());
    write_report(&mut count, r)?;
    let mut w = Writer(Vec::with_capacity(count.0.0));
    write_report(&mut w, r)?;
    Some(w.0)
}

/// The fields of a report, in the order [`decode_report`] reads them; `None` when it names
/// what the cache does not keep (an outcome not cached, a related place in another directory).
fn write_report<S: Sink>(w: &mut Writer<S>, r: &FileReport) -> Option<()> {
    w.str(&outcome_code(r.outcome)?);
    w.u64(r.bytes);
    w.usize(r.suppressed);
    w.usize(r.used_rules.len());
    for (a, b) in &r.used_rules {
        w.usize(*a);
        w.usize(*b);
    }
    w.usize(r.seen_rules.len());
    for a in &r.seen_rules {
        w.usize(*a);
    }
    w.usize(r.unfollowed_modules.len());
    for m in &r.unfollowed_modules {
        w.str(&m.name);
        w.str(&m.source);
        w.usize(m.line as usize);
        w.u8(match m.why {
            crate::file_report::NotFollowed::NotOnDisk => 0,
            crate::file_report::NotFollowed::PastBound => 1,
        });
    }
    w.usize(r.notes.len());
    for n in &r.notes {
        w.str(n);
    }
    w.usize(r.evidence.len());
    for e in &r.evidence {
        w.str(e.objective);
        w.u8(match e.kind {
            EvidenceKind::Establishes => 0,
            EvidenceKind::Applies => 1,
            EvidenceKind::Shape => 2,
        });
        w.str(&e.resource);
        w.str(&e.rtype);
        w.str(e.describe);
        w.u32(e.start.line);
        w.u32(e.start.column);
        w.usize(e.unmet.len());
        for (at, message) in &e.unmet {
            w.u32(at.line);
            w.u32(at.column);
            w.str(message);
        }
        org::encode(w, e.org.as_deref());
    }
    w.usize(r.findings.len());
    for f in &r.findings {
        // A related place in another file is kept when that file is in the same directory
        // (a Terraform configuration's, whose files the entry depends on), by its name.
        let siblings: Vec<Option<&str>> = f
            .related
            .iter()
            .map(|r| {
                if r.path == f.path {
                    Some(None)
                } else {
                    sibling_name(&f.path, &r.path)
                }
            })
            .collect::<Option<_>>()?;
        w.str(f.policy);
        w.u8(f.severity.index() as u8);
        for v in [
            f.span.start,
            f.span.end,
            f.start.line,
            f.start.column,
            f.end.line,
            f.end.column,
        ] {
            w.u32(v);
        }
        w.str(&f.message);
        w.opt_str(f.resource.as_deref());
        w.u32(f.excerpt.first_line);
        w.u32(f.excerpt.offset);
        w.u32(f.excerpt.first_column);
        w.str(&f.excerpt.text);
        w.str(&f.fingerprint);
        w.str(&f.legacy_fingerprint);
        w.usize(f.related.len());
        for (r, sibling) in f.related.iter().zip(siblings) {
            w.opt_str(sibling);
            for v in [
                r.span.start,
                r.span.end,
                r.start.line,
                r.start.column,
                r.end.line,
                r.end.column,
            ] {
                w.u32(v);
            }
            w.str(&r.message);
        }
        match &f.fix {
            Some(fix) => {
                w.u8(1);
                w.str(&fix.title);
                w.usize(fix.edits.len());
                for e in &fix.edits {
                    w.u32(e.span.start);
                    w.u32(e.span.end);
                    w.str(&e.text);
                }
            }
            None => w.u8(0),
        }
    }
    Some(())
}

/// The report again, or `None` when the bytes are not a report or name what this build does
/// not know (a Guard rule since removed): a miss.
fn decode_report(bytes: &[u8], display: &str, content: u64) -> Option<FileReport> {
    let mut r = Reader { bytes };
    let outcome = outcome_of(r.str()?)?;
    let size = r.u64()?;
    let suppressed = r.usize()?;
    let mut used_rules = Vec::new();
    for _ in 0..r.usize()? {
        used_rules.push((r.usize()?, r.usize()?));
    }
    let mut seen_rules = Vec::new();
    for _ in 0..r.usize()? {
        seen_rules.push(r.usize()?);
    }
    let mut unfollowed_modules = Vec::new();
    for _ in 0..r.usize()? {
        unfollowed_modules.push(crate::file_report::UnfollowedModule {
            name: r.str()?.to_string(),
            source: r.str()?.to_string(),
            line: u32::try_from(r.usize()?).ok()?,
            why: match r.u8()? {
                0 => crate::file_report::NotFollowed::NotOnDisk,
                1 => crate::file_report::NotFollowed::PastBound,
                _ => return None,
            },
        });
    }
    let mut notes = Vec::new();
    for _ in 0..r.usize()? {
        notes.push(r.str()?.to_string());
    }
    let mut evidence = Vec::new();
    for _ in 0..r.usize()? {
        evidence.push(decode_evidence(&mut r)?);
    }
    let path: Arc<str> = Arc::from(display);
    let count = r.usize()?;
    let mut findings = Vec::with_capacity(count.min(bytes.len()));
    for _ in 0..count {
        findings.push(decode_finding(&mut r, &path)?);
    }
    Some(
        FileReport {
            path: display.to_string(),
            outcome,
            findings,
            bytes: size,
            suppressed,
            used_rules,
            seen_rules,
            notes,
            unfollowed_modules,
            depends: Depends::File,
            evidence,
            fixes_from: None,
        }
        .with_fixes_from(content),
    )
}

/// One piece of coverage evidence, as [`encode_report`] wrote it.
fn decode_evidence(r: &mut Reader<'_>) -> Option<crate::file_report::Evidence> {
    // Names this build does not know (an objective since removed) make a miss.
    let id = r.str()?;
    let kind = match r.u8()? {
        0 => EvidenceKind::Establishes,
        1 => EvidenceKind::Applies,
        2 => EvidenceKind::Shape,
        _ => return None,
    };
    // The organization's shape belongs to no objective.
    let objective = match kind {
        EvidenceKind::Shape if id.is_empty() => None,
        _ => Some(crate::policy::coverage::objective(id)?),
    };
    let resource = r.str()?.to_string();
    let rtype = r.str()?.to_string();
    let describe = r.str()?;
    let describe = match (kind, objective) {
        (EvidenceKind::Establishes, Some(objective)) => {
            objective
                .evidence
                .iter()
                .find(|spec| spec.describe == describe)?
                .describe
        }
        _ => "",
    };
    let start = Position {
        line: r.u32()?,
        column: r.u32()?,
    };
    let mut unmet = Vec::new();
    for _ in 0..r.usize()? {
        let at = Position {
            line: r.u32()?,
            column: r.u32()?,
        };
        unmet.push((at, r.str()?.to_string()));
    }
    let org = org::decode(r)?;
    Some(crate::file_report::Evidence {
        objective: objective.map_or("", |o| o.id),
        org,
        kind,
        resource,
        rtype,
        describe,
        start,
        unmet,
    })
}

/// One finding of the file reported as `path`, as [`encode_report`] wrote it.
fn decode_finding(r: &mut Reader<'_>, path: &Arc<str>) -> Option<Finding> {
    let id = r.str()?;
    let policy = crate::policy::meta(id).map(|m| m.id).filter(|m| *m == id)?;
    let severity = *Severity::ALL.get(usize::from(r.u8()?))?;
    let [start, end, sl, sc, el, ec] = [r.u32()?, r.u32()?, r.u32()?, r.u32()?, r.u32()?, r.u32()?];
    let message = r.str()?.to_string();
    let resource = r.opt_str()?.map(str::to_string);
    let excerpt = Excerpt {
        first_line: r.u32()?,
        offset: r.u32()?,
        first_column: r.u32()?,
        text: r.str()?.to_string(),
    };
    let fingerprint = r.str()?.to_string();
    let legacy_fingerprint = r.str()?.to_string();
    let mut related = Vec::new();
    for _ in 0..r.usize()? {
        let at = match r.opt_str()? {
            None => path.clone(),
            Some(name) => match path.rfind('/') {
                Some(i) => Arc::from(format!("{}/{name}", &path[..i])),
                None => Arc::from(name),
            },
        };
        let [start, end, sl, sc, el, ec] = [(); 6].map(|_| r.u32());
        related.push(crate::finding::Related {
            path: at,
            span: Span {
                start: start?,
                end: end?,
            },
            start: Position {
                line: sl?,
                column: sc?,
            },
            end: Position {
                line: el?,
                column: ec?,
            },
            message: r.str()?.to_string(),
        });
    }
    let fix = match r.u8()? {
        0 => None,
        1 => {
            let title = r.str()?.to_string();
            let mut edits = Vec::new();
            for _ in 0..r.usize()? {
                let span = Span {
                    start: r.u32()?,
                    end: r.u32()?,
                };
                edits.push(Edit {
                    span,
                    text: r.str()?.to_string(),
                });
            }
            Some(TextFix { title, edits })
        }
        _ => return None,
    };
    Some(Finding {
        policy,
        severity,
        path: path.clone(),
        span: Span { start, end },
        start: Position {
            line: sl,
            column: sc,
        },
        end: Position {
            line: el,
            column: ec,
        },
        message,
        resource,
        excerpt,
        fingerprint,
        legacy_fingerprint,
        fix: fix.map(Box::new),
        related,
    })
}

/// A directory's cache file: magic, format, the directory, then its entries.
fn write_dir<S: Sink>(w: &mut Writer<S>, dir: &str, entries: &HashMap<String, Entry>) {
    w.0.put(MAGIC);
    w.u32(FORMAT_VERSION);
    w.str(dir);
    // In path order: the same cache, the same bytes.
    let mut keys: Vec<&String> = entries.keys().collect();
    keys.sort();
    w.usize(keys.len());
    for k in keys {
        let e = &entries[k];
        w.str(k);
        w.u64(e.settings);
        match e.listing {
            Some(sig) => {
                w.u8(1);
                w.u64(sig);
            }
            None => w.u8(0),
        }
        w.u64(e.size);
        w.u64(e.mtime as u64);
        w.u64((e.mtime >> 64) as u64);
        w.u64(e.content);
        w.bytes(&e.report);
    }
}

/// The entries of a cache file's body, as [`write_dir`] wrote it.
fn decode_dir(bytes: &[u8], dir: &str) -> Option<HashMap<String, Entry>> {
    let mut r = Reader { bytes };
    if r.take(MAGIC.len())? != MAGIC || r.u32()? != FORMAT_VERSION || r.str()? != dir {
        return None;
    }
    let count = r.usize()?;
    let mut entries = HashMap::with_capacity(count.min(bytes.len()));
    for _ in 0..count {
        let key = r.str()?.to_string();
        let settings = r.u64()?;
        let listing = match r.u8()? {
            0 => None,
            1 => Some(r.u64()?),
            _ => return None,
        };
        let size = r.u64()?;
        let mtime = u128::from(r.u64()?) | (u128::from(r.u64()?) << 64);
        let content = r.u64()?;
        let report = r.bytes()?.to_vec();
        entries.insert(
            key,
            Entry {
                settings,
                listing,
                size,
                mtime,
                content,
                report,
            },
        );
    }
    r.bytes.is_empty().then_some(entries)
}

const KINDS: [DocumentKind; 5] = [
    DocumentKind::Identity,
    DocumentKind::Trust,
    DocumentKind::Resource,
    DocumentKind::ServiceControl,
    DocumentKind::ResourceControl,
];
const BASES: [KindBasis; 3] = [KindBasis::Content, KindBasis::Config, KindBasis::Assumed];

fn outcome_code(o: Outcome) -> Option<String> {
    Some(match o {
        Outcome::Checked(Format::CloudFormation) => "cloudformation".into(),
        Outcome::Checked(Format::Sam) => "sam".into(),
        Outcome::Checked(Format::TerraformPlan) => "plan".into(),
        Outcome::Checked(Format::TerraformState) => "state".into(),
        Outcome::Checked(Format::TerraformConfig) => "terraform-config".into(),
        Outcome::Config => return None,
        Outcome::Checked(Format::PolicyDocument { kind, basis }) => format!(
            "document {} {}",
            KINDS.iter().position(|k| *k == kind)?,
            BASES.iter().position(|b| *b == basis)?
        ),
        Outcome::Skipped(Skip::Binary) => "binary".into(),
        Outcome::Skipped(Skip::NotTemplate) => "not-template".into(),
        Outcome::Skipped(Skip::OtherTool) => "other-tool".into(),
        Outcome::Skipped(Skip::Link) => "link".into(),
        Outcome::Failed => "failed".into(),
    })
}

fn outcome_of(code: &str) -> Option<Outcome> {
    Some(match code {
        "cloudformation" => Outcome::Checked(Format::CloudFormation),
        "sam" => Outcome::Checked(Format::Sam),
        "plan" => Outcome::Checked(Format::TerraformPlan),
        "state" => Outcome::Checked(Format::TerraformState),
        "terraform-config" => Outcome::Checked(Format::TerraformConfig),
        "binary" => Outcome::Skipped(Skip::Binary),
        "not-template" => Outcome::Skipped(Skip::NotTemplate),
        "other-tool" => Outcome::Skipped(Skip::OtherTool),
        "link" => Outcome::Skipped(Skip::Link),
        "failed" => Outcome::Failed,
        _ => {
            let mut parts = code.strip_prefix("document ")?.split(' ');
            let kind = *KINDS.get(parts.next()?.parse::<usize>().ok()?)?;
            let basis = *BASES.get(parts.next()?.parse::<usize>().ok()?)?;
            Outcome::Checked(Format::PolicyDocument { kind, basis })
        }
    })
}

/// The name of `related`'s file when it is in the directory of `path`'s (`None` otherwise:
/// such a place is not kept).
fn sibling_name<'p>(path: &str, related: &'p str) -> Option<Option<&'p str>> {
    let dir = |p: &str| p.rfind('/').map(|i| p[..i].to_string());
    let name = related.rsplit('/').next()?;
    (dir(path) == dir(related)).then_some(Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cached_outcome_reads_back_as_itself() {
        let mut outcomes = vec![
            Outcome::Checked(Format::CloudFormation),
            Outcome::Checked(Format::Sam),
            Outcome::Checked(Format::TerraformPlan),
            Outcome::Checked(Format::TerraformState),
            Outcome::Checked(Format::TerraformConfig),
            Outcome::Skipped(Skip::Binary),
            Outcome::Skipped(Skip::NotTemplate),
            Outcome::Skipped(Skip::OtherTool),
            Outcome::Skipped(Skip::Link),
            Outcome::Failed,
        ];
        for kind in KINDS {
            for basis in BASES {
                outcomes.push(Outcome::Checked(Format::PolicyDocument { kind, basis }));
            }
        }
        for o in outcomes {
            assert_eq!(outcome_of(&outcome_code(o).unwrap()), Some(o));
        }
        assert_eq!(outcome_code(Outcome::Config), None);
        assert_ne!(content_hash(b"abcdefgh1"), content_hash(b"abcdefgh2"));
        assert_ne!(content_hash(b""), content_hash(b"\0"));
    }
}

/// For the fuzzer (`fuzz/fuzz_targets/cache.rs`, built with `--cfg fuzzing`): decode `bytes` as
/// a cache file's body and each of its reports, as a run would after the tag held; returns
/// how many reports decoded. Never panics, whatever the bytes.
#[cfg(fuzzing)]
pub fn fuzz_decode(bytes: &[u8]) -> usize {
    // The directory the file names, so that real cache files (the seeds) decode past it.
    let mut header = Reader { bytes };
    let dir = header
        .take(MAGIC.len())
        .and_then(|_| header.u32())
        .and_then(|_| header.str());
    let Some(entries) = dir.and_then(|dir| decode_dir(bytes, dir)) else {
        return 0;
    };
    entries
        .iter()
        .filter_map(|(path, e)| decode_report(&e.report, path, e.content))
        .count()
}
