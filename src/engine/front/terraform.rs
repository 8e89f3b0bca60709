//! The front end of a Terraform configuration: a `.tf` or `.tf.json` file is read with the
//! other files of its directory, as Terraform loads them, and with the local modules it calls.
//!
//! A directory is checked once, as one document, for all its files; each file takes what lands
//! in it. A call of a local module checks the module as the call instantiates it, and what that
//! reports beyond the module's own check lands at the call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::{DIRECTORY_CACHE_MAX, KnownFindings};
use crate::file_report::{Depends, NotFollowed, UnfollowedModule};
use crate::model::terraform_modules::{Composition, Stopped};
use crate::model::{Format, Template};
use crate::parse::{Limits, Node, Parsed, Value};
use crate::policy::RawFinding;
use crate::policy::coverage::RawEvidence;
use crate::source::{LineIndex, Span};
use crate::terraform_dir;

use super::{Evaluated, Unit};
use crate::engine::{Engine, File};

/// What the engine keeps of Terraform configurations across files: parsed files, directories'
/// findings and modules' findings with their defaults. Shared by the threads of a run.
#[derive(Default)]
pub(crate) struct State {
    /// Parsed `.tf` siblings, shared by the files of a directory.
    pub(crate) siblings: terraform_dir::SiblingCache,
    /// Policy findings of `.tf` configuration directories, computed once per directory.
    directories: Mutex<HashMap<PathBuf, Arc<DirectoryEntry>>>,
    /// What local modules report with their defaults, by directory (each call's own findings
    /// are what it reports beyond these).
    pub(super) module_defaults: Mutex<HashMap<PathBuf, ModuleDefaults>>,
    /// Directories' configuration listings, made once per run (see [`State::listing`]).
    listings: Mutex<HashMap<PathBuf, Arc<Vec<terraform_dir::Listed>>>>,
    /// Configurations' installed modules, read once per run (see [`State::installed`]).
    installed: Mutex<HashMap<PathBuf, Arc<terraform_dir::Installed>>>,
}

impl State {
    /// The configuration files of `dir` ([`terraform_dir::listing_dir`]), listed once per run:
    /// each file of a directory needs the listing, and listing per file made a directory of
    /// 4,000 files cost 16 million `stat`s. A run starts with [`State::forget_listings`].
    pub(in crate::engine) fn listing(
        &self,
        dir: &Path,
        max_file_size: u64,
    ) -> Arc<Vec<terraform_dir::Listed>> {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(map) = self.listings.lock()
            && let Some(listed) = map.get(dir)
        {
            return listed.clone();
        }
        let listed = Arc::new(terraform_dir::listing_dir(dir, max_file_size));
        if let Ok(mut map) = self.listings.lock() {
            if map.len() >= DIRECTORY_CACHE_MAX {
                map.clear();
            }
            // The first listing made wins: files checked at once on several threads must share
            // one `Arc`, or each compares its listing with the cached one, entry by entry (a
            // directory of 10,000 files: 10,000 comparisons of 10,000 entries).
            return map.entry(dir.to_path_buf()).or_insert(listed).clone();
        }
        listed
    }

    /// The modules `terraform init` installed for the configuration in `dir`, read once per
    /// run: each file of the configuration, and each of its module calls, asks.
    pub(in crate::engine) fn installed(&self, dir: &Path) -> Arc<terraform_dir::Installed> {
        if let Ok(map) = self.installed.lock()
            && let Some(found) = map.get(dir)
        {
            return found.clone();
        }
        let found = Arc::new(terraform_dir::Installed::of(dir));
        if let Ok(mut map) = self.installed.lock() {
            if map.len() >= DIRECTORY_CACHE_MAX {
                map.clear();
            }
            return map.entry(dir.to_path_buf()).or_insert(found).clone();
        }
        found
    }

    /// Forget listings and installed modules: files may have changed since the last run (an
    /// editor's save, a `terraform init`).
    pub(in crate::engine) fn forget_listings(&self) {
        if let Ok(mut map) = self.listings.lock() {
            map.clear();
        }
        if let Ok(mut map) = self.installed.lock() {
            map.clear();
        }
    }

    /// The parse of the `.tf` file at `path` that its directory's check made or will make,
    /// when `text` is that file's text.
    pub(in crate::engine) fn cached_parse(
        &self,
        path: &Path,
        text: &str,
        limits: &Limits,
    ) -> Option<Parsed<'static>> {
        terraform_dir::cached_parse(path, text, limits, &self.siblings)
    }
}

/// A module directory's listing and what its check with defaults reports.
type ModuleDefaults = (Vec<terraform_dir::Listed>, Arc<KnownFindings>);

/// A directory's listing and, once one of its files asked, its findings.
struct DirectoryEntry {
    listing: Arc<Vec<terraform_dir::Listed>>,
    findings: OnceLock<Arc<DirectoryFindings>>,
}

/// What a whole configuration directory reports, by file.
struct DirectoryFindings {
    /// By file name: what lands in the file, positioned in it.
    files: HashMap<String, FileFindings>,
    /// How the directory is read.
    dialect: Dialect,
    /// Not one configuration (a resource declared by two files): each file is checked alone.
    alone: bool,
}

/// What lands in one file of a directory checked as one configuration.
#[derive(Clone)]
struct FileFindings {
    /// The file's length, as parsed for the directory.
    len: u32,
    raws: Vec<RawFinding>,
    evidence: Vec<RawEvidence>,
    /// The file's module calls that composing left out.
    stopped: Vec<Stopped>,
}

/// Raw findings and evidence of a combined document, moved back into the files (name, offset,
/// length, in offset order) they land in: each found by binary search, so a directory of
/// thousands of files costs one pass over what it reports.
fn by_file(
    placed: &[(String, u32, u32)],
    texts: &[&str],
    raws: Vec<RawFinding>,
    evidence: Vec<RawEvidence>,
) -> Vec<FileFindings> {
    let file_of = |start: u32| {
        let i = placed.partition_point(|(_, base, _)| *base <= start);
        let (_, base, len) = placed.get(i.checked_sub(1)?)?;
        (start <= base + len).then_some(i - 1)
    };
    // Each file's line index, made when a related place first lands in it.
    let mut indexes: Vec<Option<LineIndex>> = placed.iter().map(|_| None).collect();
    let mut files: Vec<FileFindings> = placed
        .iter()
        .map(|(_, _, len)| FileFindings {
            len: *len,
            raws: Vec::new(),
            evidence: Vec::new(),
            stopped: Vec::new(),
        })
        .collect();
    for mut r in raws {
        let Some(i) = file_of(r.span.start) else {
            continue;
        };
        let (base, len) = (placed[i].1, placed[i].2);
        r.span = Span {
            start: r.span.start - base,
            end: (r.span.end - base).min(len),
        };
        r.fix = r
            .fix
            .take()
            .and_then(|f| f.moved_back(base, len))
            .map(Box::new);
        // Related places in the same file move with it; those in another file of the
        // directory are positioned there (by the file's name), and those in no file (a
        // module's composed text) are dropped.
        let mut elsewhere = Vec::new();
        r.related.retain_mut(|(span, message)| {
            let within = span.start >= base && span.end <= base + len;
            if within {
                *span = Span {
                    start: span.start - base,
                    end: span.end - base,
                };
            } else if let Some(j) = file_of(span.start) {
                elsewhere.push((j, *span, std::mem::take(message)));
            }
            within
        });
        for (j, span, message) in elsewhere {
            let (base, len) = (placed[j].1, placed[j].2);
            let span = Span {
                start: span.start - base,
                end: (span.end - base).min(len),
            };
            let index = indexes[j].get_or_insert_with(|| LineIndex::new(texts[j]));
            r.elsewhere.push(crate::finding::Related {
                path: Arc::from(placed[j].0.as_str()),
                span,
                start: index.position(texts[j], span.start as usize),
                end: index.position(texts[j], span.end as usize),
                message,
            });
        }
        files[i].raws.push(r);
    }
    for e in evidence {
        let Some(i) = file_of(e.span.start) else {
            continue;
        };
        if let Some(e) = e.moved_back(placed[i].1, placed[i].2) {
            files[i].evidence.push(e);
        }
    }
    files
}

/// The module calls composing left out, moved into the files (as [`by_file`] lays
/// them out) whose calls they descend from.
fn stopped_by_file(
    placed: &[(String, u32, u32)],
    stopped: Vec<Stopped>,
    files: &mut [FileFindings],
) {
    for mut s in stopped {
        let i = placed.partition_point(|(_, base, _)| *base <= s.label.start);
        let Some((_, base, len)) = i.checked_sub(1).and_then(|i| placed.get(i)) else {
            continue;
        };
        if s.label.end > base + len {
            continue;
        }
        s.label = Span {
            start: s.label.start - base,
            end: s.label.end - base,
        };
        files[i - 1].stopped.push(s);
    }
}

/// What a `.tf` file's directory check gives the file.
enum FromDirectory {
    /// What lands in the file, positioned in it.
    Raws(FileFindings, Dialect),
    /// The directory is not one configuration: check the file alone.
    Alone,
}

/// Policy documents written as text (a heredoc, a quoted string) that are not JSON: AWS
/// rejects them (`MalformedPolicyDocument`), and their statements go unchecked, so each is a
/// PARSE001 at the JSON error. Text with an interpolation (`${...}`, `%{...}`) is JSON only
/// once Terraform renders it: unknown here, never reported.
pub(super) fn unreadable_policies(root: &Node<'_>, text: &str) -> Vec<RawFinding> {
    let mut out = Vec::new();
    unreadable_under(root, text, 0, &mut out);
    out
}

fn unreadable_under(node: &Node<'_>, text: &str, depth: usize, out: &mut Vec<RawFinding>) {
    if depth > 64 {
        return;
    }
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .for_each(|e| unreadable_under(&e.value, text, depth + 1, out)),
        Value::Seq(items) => items
            .iter()
            .for_each(|n| unreadable_under(n, text, depth + 1, out)),
        Value::String(s) => {
            let body = s.trim_start();
            if !body.starts_with('{')
                || !body.contains("\"Statement\"")
                || s.contains("${")
                || s.contains("%{")
            {
                return;
            }
            let Err(e) = crate::parse::json::parse(s, &Limits::default()) else {
                return;
            };
            out.push(RawFinding {
                elsewhere: Default::default(),
                policy: "PARSE001",
                span: error_in_heredoc(node.span, text, s, e.span).unwrap_or(node.span),
                message: format!(
                    "this policy document is not valid JSON ({}): AWS rejects it as \
                     MalformedPolicyDocument, and its statements could not be checked",
                    e.message
                )
                .into(),
                resource: None,
                fix: None,
                related: Default::default(),
            });
        }
        _ => {}
    }
}

/// Where a JSON error at `at` in the body of the heredoc at `span` is in the file, when the
/// heredoc's raw body is the string (a `<<EOF` heredoc; `<<-` strips indentation).
fn error_in_heredoc(span: Span, text: &str, body: &str, at: Span) -> Option<Span> {
    let source = text.get(span.start as usize..span.end as usize)?;
    let start = source.find('\n')? + 1;
    let raw = source.get(start..)?;
    raw.starts_with(body.trim_end_matches('\n')).then(|| {
        let offset = span.start + start as u32;
        Span {
            start: offset + at.start,
            end: offset + at.end,
        }
    })
}

/// Which tool's reading of a directory applies. Terraform reads `.tf` and `.tf.json` files and
/// ignores `.tofu`; OpenTofu reads both, a `x.tofu` replacing `x.tf`. A directory with `.tofu`
/// files is written for OpenTofu and is read as OpenTofu reads it; without them both tools read
/// the same files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    /// No `.tofu` files: Terraform and OpenTofu alike.
    Either,
    /// `.tofu` files: OpenTofu's reading.
    OpenTofu,
}

impl Dialect {
    fn of<'n>(mut names: impl Iterator<Item = &'n str>) -> Dialect {
        if names.any(terraform_dir::is_tofu_name) {
            Dialect::OpenTofu
        } else {
            Dialect::Either
        }
    }

    /// What `--verbose` says of the reading.
    fn note(self) -> Option<String> {
        (self == Dialect::OpenTofu).then(|| {
            "the directory has `.tofu` files, so it is read as OpenTofu reads it: `x.tofu` \
             replaces `x.tf` (Terraform would ignore the `.tofu` files); hidden files, `~` \
             backups and `#...#` autosaves are not part of it"
                .to_string()
        })
    }
}

/// The module calls of a configuration whose modules are not on disk (neither local nor
/// `installed` by `terraform init`): name, source, where the name is.
pub(super) fn not_on_disk(
    root: &Node<'_>,
    installed: &terraform_dir::Installed,
) -> Vec<(String, String, Span)> {
    let installed: Vec<&str> = terraform_dir::installed_module_calls(root, installed)
        .iter()
        .map(|c| c.name)
        .collect();
    terraform_dir::remote_module_calls(root)
        .into_iter()
        .filter(|(name, _, _)| !installed.contains(&name.as_str()))
        .collect()
}

/// The notes and calls not followed of a file's report.
type Said<'r> = (&'r mut Vec<String>, &'r mut Vec<UnfollowedModule>);

/// Say in a report (`said`) the module calls of the file (its text `text`) whose modules are
/// not on disk (name, source, where the name is): each a `--verbose` note and a call not
/// followed.
pub(in crate::engine) fn say_not_on_disk(
    (notes, unfollowed): Said<'_>,
    text: &str,
    calls: Vec<(String, String, Span)>,
) {
    // Lines are counted only for a file that has such calls (most have none).
    let mut lines = None;
    for (name, source, span) in calls {
        let line = lines
            .get_or_insert_with(|| LineIndex::new(text))
            .position(text, span.start as usize)
            .line;
        let call = UnfollowedModule {
            name,
            source,
            line,
            why: NotFollowed::NotOnDisk,
        };
        notes.push(call.message());
        unfollowed.push(call);
    }
}

/// Say in a report (`said`) the module calls of the file (its text `text`) that composing it
/// left out (a bound, or a module not there): each a `--verbose` note saying why and a call not
/// followed.
pub(in crate::engine) fn say_not_composed(
    (notes, unfollowed): Said<'_>,
    text: &str,
    stopped: Vec<Stopped>,
) {
    let mut lines = None;
    for stopped in stopped {
        let line = lines
            .get_or_insert_with(|| LineIndex::new(text))
            .position(text, stopped.label.start as usize)
            .line;
        let name = stopped.path.join(".");
        let under = if stopped.path.len() == 1 {
            format!("line {line}")
        } else {
            format!("under the call on line {line}")
        };
        notes.push(format!(
            "module `{name}` (from `{}`, {under}) was not composed, since {}: its resources are \
             not checked as this configuration calls it",
            stopped.source,
            stopped.why.describe()
        ));
        unfollowed.push(UnfollowedModule {
            name,
            source: stopped.source,
            line,
            why: if stopped.why.is_bound() {
                NotFollowed::PastBound
            } else {
                NotFollowed::NotOnDisk
            },
        });
    }
}

impl Engine {
    /// The unit a Terraform file belongs to: its directory's findings when the directory was
    /// checked as one configuration, else the file with its siblings merged after it (an
    /// editor's buffer, a file named alone), with what its local module calls report.
    pub(super) fn assemble_terraform<'a>(&self, file: &File<'_, '_>, root: Node<'a>) -> Unit<'a> {
        // A module call's findings land in the file that calls it.
        let calls = file.origin.and_then(Path::parent).is_some_and(|_| {
            root.get("module")
                .is_some_and(|m| !crate::model::block_objects(m).is_empty())
        });
        let depends = if calls {
            Depends::OtherFiles
        } else {
            Depends::Directory
        };
        let from_directory = file
            .origin
            .and_then(|path| self.directory_raws(path, file.name, file.text));
        if let Some(FromDirectory::Raws(file, dialect)) = from_directory {
            return Unit {
                root,
                text: None,
                evaluated: Some(Evaluated {
                    raws: file.raws,
                    evidence: file.evidence,
                }),
                found: Vec::new(),
                found_evidence: Vec::new(),
                depends,
                notes: dialect.note().into_iter().collect(),
                modules: Vec::new(),
                modules_from: 0,
                stopped: file.stopped,
            };
        }
        let siblings = match file.origin {
            // Known not to be one configuration: the file alone.
            _ if matches!(from_directory, Some(FromDirectory::Alone)) => Vec::new(),
            Some(path) => self.siblings(path),
            None => Vec::new(),
        };
        let mut roots: Vec<(&str, &Node<'_>)> = vec![(file.name, &root)];
        roots.extend(siblings.iter().map(|s| (s.name.as_str(), &s.root)));
        let one = terraform_dir::is_one_configuration(&roots);
        let names = siblings.iter().map(|s| s.name.as_str());
        let dialect = Dialect::of(names.chain(std::iter::once(file.name)));
        // Not one configuration: the file alone, with the command line's values only.
        let mut merged = if one { siblings } else { Vec::new() };
        merged.extend(self.options.command_line_values.iter().cloned());
        let (mut root, mut text) = if merged.is_empty() {
            (root, None)
        } else {
            let (root, all, _) = terraform_dir::combine(root, file.text, &merged);
            (root, Some(all))
        };
        crate::model::fold_expressions(&mut root);
        crate::model::inline_policy_documents(&mut root);
        let mut composition = Composition::default();
        let mut modules_from = 0;
        if let Some(dir) = file.origin.and_then(Path::parent)
            && root.get("module").is_some()
        {
            let mut all = text.take().unwrap_or_else(|| file.text.to_string());
            modules_from = all.len() as u32;
            composition = self.compose_modules(&mut root, &mut all, dir);
            text = Some(all);
        }
        // The siblings' calls are said in their own reports.
        let own_end = file.text.len() as u32;
        composition.stopped.retain(|s| s.label.end <= own_end);
        Unit {
            root,
            text,
            evaluated: None,
            found: Vec::new(),
            found_evidence: Vec::new(),
            depends,
            notes: dialect.note().into_iter().collect(),
            modules: composition.instances,
            modules_from,
            stopped: composition.stopped,
        }
    }

    /// The configuration files of `path`'s directory (see [`State::listing`]).
    pub(in crate::engine) fn listing_of(&self, path: &Path) -> Arc<Vec<terraform_dir::Listed>> {
        let dir = path.parent().unwrap_or(Path::new("."));
        self.terraform.listing(dir, self.options.max_file_size)
    }

    /// The other configuration files of `path`'s directory, parsed, in name order.
    fn siblings(&self, path: &Path) -> Vec<Arc<terraform_dir::Sibling>> {
        let own = path.file_name().and_then(|n| n.to_str());
        let others: Vec<terraform_dir::Listed> = self
            .listing_of(path)
            .iter()
            .filter(|f| Some(f.name.as_str()) != own)
            .cloned()
            .collect();
        terraform_dir::load(&others, &self.options.limits, &self.terraform.siblings)
    }

    /// The policy findings of a `.tf` configuration directory that land in the file `path`
    /// (whose text is `text`), positioned in that file. The directory is checked once, as one
    /// document, for all its files; `None` when the directory is not a multi-file `.tf`
    /// configuration, or when `text` is not the file on disk (an editor's buffer).
    fn directory_raws(&self, path: &Path, name: &str, text: &str) -> Option<FromDirectory> {
        let listing = self.listing_of(path);
        if listing.len() < 2 {
            return None;
        }
        let own = listing
            .binary_search_by(|f| f.name.as_str().cmp(name))
            .ok()
            .or_else(|| {
                listing.iter().position(|f| {
                    f.name == name || Some(std::ffi::OsStr::new(&f.name)) == path.file_name()
                })
            })?;
        if listing[own].len != text.len() as u64 {
            return None;
        }
        let dir = path.parent()?.to_path_buf();
        let entry = self.directory_entry(&dir, &listing)?;
        // The first file of the directory to get here checks it; the others wait for it.
        let findings = entry
            .findings
            .get_or_init(|| Arc::new(self.check_directory(&dir, &listing)));
        if findings.alone {
            return Some(FromDirectory::Alone);
        }
        let file = findings.files.get(&listing[own].name)?;
        // The file as parsed for the directory must be the text checked now.
        if file.len as usize != text.len() {
            return None;
        }
        Some(FromDirectory::Raws(file.clone(), findings.dialect))
    }

    /// The directory's entry of the per-run cache, made afresh when its listing changed.
    fn directory_entry(
        &self,
        dir: &Path,
        listing: &Arc<Vec<terraform_dir::Listed>>,
    ) -> Option<Arc<DirectoryEntry>> {
        let mut map = self.terraform.directories.lock().ok()?;
        if map.len() >= DIRECTORY_CACHE_MAX {
            map.clear();
        }
        // The listing is made once per run: the same `Arc` for every file of the directory,
        // so that a directory of thousands of files is not compared thousands of times.
        let fresh = map
            .get(dir)
            .is_some_and(|e| Arc::ptr_eq(&e.listing, listing) || e.listing == *listing);
        if !fresh {
            map.insert(
                dir.to_path_buf(),
                Arc::new(DirectoryEntry {
                    listing: listing.clone(),
                    findings: std::sync::OnceLock::new(),
                }),
            );
        }
        map.get(dir).cloned()
    }

    /// Check the configuration of `dir` (its files `listing`) as one document, with the
    /// modules it calls; what lands in each file, positioned in it.
    fn check_directory(&self, dir: &Path, listing: &[terraform_dir::Listed]) -> DirectoryFindings {
        let dialect = Dialect::of(listing.iter().map(|f| f.name.as_str()));
        let files = terraform_dir::load(listing, &self.options.limits, &self.terraform.siblings);
        let roots: Vec<(&str, &crate::parse::Node<'_>)> =
            files.iter().map(|f| (f.name.as_str(), &f.root)).collect();
        if !terraform_dir::is_one_configuration(&roots) {
            return DirectoryFindings {
                alone: true,
                dialect,
                files: HashMap::new(),
            };
        }
        let Some((first, rest)) = files.split_first() else {
            return DirectoryFindings {
                alone: false,
                dialect,
                files: HashMap::new(),
            };
        };
        // The directory's files, then the command line's variable values.
        let rest: Vec<Arc<terraform_dir::Sibling>> = rest
            .iter()
            .chain(&self.options.command_line_values)
            .cloned()
            .collect();
        let (mut root, mut all, bases) =
            terraform_dir::combine(first.root.clone(), &first.text, &rest);
        crate::model::fold_expressions(&mut root);
        crate::model::inline_policy_documents(&mut root);
        let own_end = all.len() as u32;
        let Composition { instances, stopped } = self.compose_modules(&mut root, &mut all, dir);
        let mut template = Template::new(Format::TerraformConfig, &root);
        template.source = Some(&all);
        let (mut raws, mut evidence) = self.check_template(&template, &|m| self.may_enable(m));
        let at = super::modules::ModuleText {
            text: &all,
            dir: Some(dir),
            template: &template,
            indexes: Default::default(),
        };
        self.place_module_findings(&instances, own_end, at, &mut raws, &mut evidence);
        let mut placed = vec![(first.name.clone(), 0u32, first.text.len() as u32)];
        let mut texts = vec![first.text.as_str()];
        for (s, base) in rest.iter().zip(bases) {
            placed.push((s.name.clone(), base, s.text.len() as u32));
            texts.push(s.text.as_str());
        }
        let mut files = by_file(&placed, &texts, raws, evidence);
        stopped_by_file(&placed, stopped, &mut files);
        DirectoryFindings {
            files: placed
                .into_iter()
                .map(|(name, _, _)| name)
                .zip(files)
                .collect(),
            dialect,
            alone: false,
        }
    }
}
