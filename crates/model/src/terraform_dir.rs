//! A Terraform configuration is a directory, not a file: Terraform loads every `.tf` and
//! `.tf.json` file of a directory together (resources in one file, variables in another, a
//! policy document in a third), and `terraform.tfvars` / `*.auto.tfvars` set the variables.
//!
//! tripline still reports file by file (a finding belongs to the file holding the offending
//! text), so checking `main.tf` loads its siblings as context: their trees are merged into one
//! document after the file's own, at byte offsets past the file's end. Every policy then sees
//! the whole configuration, and the engine keeps only the findings that land inside the file
//! itself; each sibling reports its own when it is checked.
//!
//! A directory holding only `.tf.json` files keeps the per-file reading tripline has always
//! had: collections of JSON examples are not one configuration as often as `.tf` directories
//! are.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::parse::{self, Entry, Limits, Node, Text, ThinVec, Value, is_hcl_name};
use crate::source::Span;

/// The key under which the combined document holds `*.tfvars` values: a NUL never occurs in a
/// checked text, so no real key collides with it.
pub(crate) const TFVARS_KEY: &str = "\u{0}tfvars";

/// `override.tf`, `*_override.tf` (and `.tf.json`): Terraform merges their blocks into the
/// blocks of the same address instead of adding new ones.
pub(crate) fn is_override_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .strip_suffix(".tf.json")
        .or_else(|| lower.strip_suffix(".tf"))
        .or_else(|| lower.strip_suffix(".tofu"));
    stem.is_some_and(|s| s == "override" || s.ends_with("_override"))
}

/// Files Terraform and OpenTofu leave out of a module although their names end in `.tf`:
/// hidden files (`.x_override.tf`), editor backups (`main.tf~`) and Emacs autosaves
/// (`#main.tf#`); Terraform's `IsIgnoredFile`, which OpenTofu keeps.
pub fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.') || name.ends_with('~') || (name.starts_with('#') && name.ends_with('#'))
}

/// `.tofu` and `.tofu.json`: files only OpenTofu reads (Terraform ignores them).
pub fn is_tofu_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tofu") || lower.ends_with(".tofu.json")
}

/// `terraform.tfvars`, `*.auto.tfvars` and their `.json` forms: the variable files Terraform
/// reads by itself.
pub fn is_tfvars_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "terraform.tfvars"
        || lower.ends_with(".auto.tfvars")
        || lower == "terraform.tfvars.json"
        || lower.ends_with(".auto.tfvars.json")
}

/// One other file of the directory, parsed, with positions relative to its own start.
#[derive(Debug)]
pub struct Sibling {
    /// The file name.
    pub name: String,
    /// The file's text.
    pub text: String,
    /// Its parsed tree (owning its strings, so the cache can keep it).
    pub root: Node<'static>,
    /// Whether it is a `*.tfvars` file (variable values, not configuration).
    pub tfvars: bool,
    /// Non-fatal problems met parsing it (repeated keys).
    pub warnings: Vec<parse::ParseError>,
}

/// Parsed siblings by path, reused while their size and modification time stay the same: each
/// file of a directory needs all the others.
#[derive(Default)]
pub struct SiblingCache {
    entries: Mutex<HashMap<PathBuf, Cached>>,
}

/// A parsed sibling with the size and modification time it was read at.
type Cached = (u64, Option<SystemTime>, Arc<Sibling>);

/// Bound on cached siblings: the walk checks a directory's files together, so a few
/// directories' worth is all that is ever reused.
const CACHE_MAX: usize = 2048;

impl SiblingCache {
    fn get_or_load(
        &self,
        path: &Path,
        meta: &std::fs::Metadata,
        load: impl FnOnce() -> Option<Sibling>,
    ) -> Option<Arc<Sibling>> {
        let modified = meta.modified().ok();
        if let Ok(map) = self.entries.lock()
            && let Some((len, time, s)) = map.get(path)
            && *len == meta.len()
            && *time == modified
        {
            return Some(s.clone());
        }
        let loaded = Arc::new(load()?);
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= CACHE_MAX {
                map.clear();
            }
            map.insert(path.to_path_buf(), (meta.len(), modified, loaded.clone()));
        }
        Some(loaded)
    }
}

/// One configuration file of a directory as listed: name, path, size, modification time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// The file name.
    pub name: String,
    /// Its path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub len: u64,
    /// Its modification time, when the file system says (part of the cache key).
    pub modified: Option<SystemTime>,
}

/// The configuration files of `path`'s directory (`path` itself included), in name order, when
/// the directory is a `.tf` configuration (holds a `.tf` or `.tofu` file); empty otherwise.
/// Regular files, through a link as Terraform follows one (never a device or FIFO), at most
/// `max_file_size` bytes each.
pub fn listing(path: &Path, max_file_size: u64) -> Vec<Listed> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    listing_dir(dir, max_file_size)
}

/// The configuration files of the directory `dir`, as [`listing`] gives them.
pub fn listing_dir(dir: &Path, max_file_size: u64) -> Vec<Listed> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<Listed> = read
        .filter_map(Result::ok)
        .filter_map(|e| Some((e.file_name().into_string().ok()?, e.path())))
        .filter(|(n, _)| !is_ignored_name(n))
        .filter(|(n, _)| is_hcl_name(n) || crate::is_tf_json_name(n) || is_tfvars_name(n))
        .filter_map(|(name, path)| {
            // Through a link, as Terraform reads a module's files: only what it points to
            // decides (a regular file, not a device or FIFO).
            let meta = std::fs::metadata(&path).ok()?;
            (meta.is_file() && meta.len() <= max_file_size).then(|| Listed {
                name,
                len: meta.len(),
                modified: meta.modified().ok(),
                path,
            })
        })
        .collect();
    if !files.iter().any(|f| is_hcl_name(&f.name)) {
        return Vec::new();
    }
    // OpenTofu reads `x.tofu` instead of `x.tf` (and `x.tofu.json` instead of `x.tf.json`)
    // when both exist (that is how a module keeps one file for each tool): the `.tf` one is
    // not part of the configuration. A directory with `.tofu` files is read as OpenTofu reads
    // it; without them, both tools read the same files.
    let tofu: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = &f.name;
            n.strip_suffix(".tofu")
                .map(|stem| format!("{stem}.tf"))
                .or_else(|| {
                    n.strip_suffix(".tofu.json")
                        .map(|stem| format!("{stem}.tf.json"))
                })
        })
        .collect();
    files.retain(|f| !tofu.contains(&f.name));
    // Override files last, as Terraform applies them after every other file.
    files.sort_by(|a, b| {
        (is_override_name(&a.name), &a.name).cmp(&(is_override_name(&b.name), &b.name))
    });
    files
}

/// `.` and `..` resolved as written, the way Terraform joins a module's source to its caller's
/// directory (Go's `filepath.Join` cleans lexically): `examples/a/../../` is `` (the current
/// directory), so a module called from many places is one directory, read and parsed once.
/// A leading `..` that has nothing to undo is kept; at the root there is nothing above.
pub fn clean_path(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(".."),
            },
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The listed files, parsed (through the cache); unreadable or unparsable ones left out.
pub fn load(files: &[Listed], limits: &Limits, cache: &SiblingCache) -> Vec<Arc<Sibling>> {
    let mut out = Vec::new();
    for f in files {
        let (name, p) = (&f.name, &f.path);
        let Ok(meta) = std::fs::metadata(p) else {
            continue;
        };
        let loaded = cache.get_or_load(p, &meta, || {
            let text = decoded(std::fs::read(p).ok()?)?;
            let tfvars = is_tfvars_name(name);
            let (root, warnings) = parse_owned(name, &text, limits)?;
            Some(Sibling {
                name: name.clone(),
                text,
                root,
                tfvars,
                warnings,
            })
        });
        out.extend(loaded);
    }
    out
}

/// The listed files, parsed, when they are one configuration (at least one file that is not
/// `*.tfvars`, no resource declared twice); `None` otherwise.
pub fn configuration(
    files: &[Listed],
    limits: &Limits,
    cache: &SiblingCache,
) -> Option<Vec<Arc<Sibling>>> {
    let loaded = load(files, limits, cache);
    let roots: Vec<(&str, &Node<'_>)> = loaded
        .iter()
        .filter(|f| !f.tfvars)
        .map(|f| (f.name.as_str(), &f.root))
        .collect();
    (!roots.is_empty() && is_one_configuration(&roots)).then_some(loaded)
}

/// A file's text as Terraform reads it: UTF-8 without a byte-order mark, or UTF-16 decoded
/// (the engine decodes a file it checks the same way, so positions agree).
fn decoded(bytes: Vec<u8>) -> Option<String> {
    if let Some((text, _)) = parse::decode_utf16(&bytes) {
        return text.ok();
    }
    let text = String::from_utf8(bytes).ok()?;
    Some(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// A configuration file's tree, owned (JSON trees borrow their text), and its warnings.
fn parse_owned(
    name: &str,
    text: &str,
    limits: &Limits,
) -> Option<(Node<'static>, Vec<parse::ParseError>)> {
    if name.to_ascii_lowercase().ends_with(".json") {
        parse::json::parse(text, limits)
            .ok()
            .map(|p| (p.root.into_owned(), p.warnings))
    } else {
        parse::hcl::file(text, limits)
            .ok()
            .map(|p| (p.root, p.warnings))
    }
}

/// The parse of the `.tf` file at `path` through the cache, when `text` is what the file holds:
/// its directory's check parses it too, so each file is parsed once, not twice.
pub fn cached_parse(
    path: &Path,
    text: &str,
    limits: &Limits,
    cache: &SiblingCache,
) -> Option<parse::Parsed<'static>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() != text.len() as u64 {
        return None;
    }
    let listed = Listed {
        name: path.file_name()?.to_str()?.to_string(),
        path: path.to_path_buf(),
        len: meta.len(),
        modified: meta.modified().ok(),
    };
    let sibling = load(std::slice::from_ref(&listed), limits, cache).pop()?;
    (sibling.text == text).then(|| parse::Parsed {
        root: sibling.root.clone(),
        warnings: sibling.warnings.clone(),
    })
}

/// The file's own tree with its siblings' merged after it, and the text the combined spans
/// index into (the file's text, then each sibling's at its offset). A top-level block kind
/// present in several files becomes a list of their objects, which Terraform's JSON syntax
/// allows for every block kind.
pub fn combine<'a>(
    own: Node<'a>,
    own_text: &str,
    siblings: &[Arc<Sibling>],
) -> (Node<'a>, String, Vec<u32>) {
    let mut bases = Vec::with_capacity(siblings.len());
    let mut text = String::with_capacity(
        own_text.len() + siblings.iter().map(|s| s.text.len() + 1).sum::<usize>(),
    );
    text.push_str(own_text);
    let whole = own.span;
    let mut groups: Vec<Group<'a>> = Vec::new();
    let add = |entries: ThinVec<Entry<'a>>, groups: &mut Vec<Group<'a>>| {
        for e in entries {
            // JSON syntax may already write a block kind as a list of objects.
            let values = match e.value.value {
                Value::Seq(items) => items.into_thin_vec(),
                value => thin_vec::thin_vec![Node::new(e.value.span, value)],
            };
            match groups.iter_mut().find(|g| g.0 == e.key) {
                Some(g) => g.2.extend(values),
                None => groups.push((e.key, e.key_span, values)),
            }
        }
    };
    match own.value {
        Value::Map(entries) => add(entries.into_thin_vec(), &mut groups),
        _ => {
            return (
                Node::new(whole, Value::Map(ThinVec::new().into())),
                text,
                bases,
            );
        }
    }
    let mut tfvars_files: Vec<(u8, &str, ThinVec<Entry<'a>>)> = Vec::new();
    let mut overrides: Vec<ThinVec<Entry<'a>>> = Vec::new();
    for s in siblings {
        text.push('\n');
        let base = text.len() as u32;
        bases.push(base);
        text.push_str(&s.text);
        let mut root = s.root.clone();
        root.shift(base);
        let Value::Map(entries) = root.value else {
            continue;
        };
        let entries = entries.into_thin_vec();
        if s.tfvars {
            tfvars_files.push((tfvars_rank(&s.name), &s.name, entries));
        } else if is_override_name(&s.name) {
            overrides.push(entries);
        } else {
            add(entries, &mut groups);
        }
    }
    let tfvars = merge_tfvars(tfvars_files);
    for entries in overrides {
        let rest = apply_override(&mut groups, entries);
        add(rest, &mut groups);
    }
    let mut groups: ThinVec<Entry<'a>> = groups
        .into_iter()
        .map(|(key, key_span, mut values)| {
            // A kind found in one file only keeps its own shape.
            let value = if values.len() == 1 {
                values.pop().expect("one value")
            } else {
                let span = values.first().map_or(key_span, |v| v.span);
                Node::new(span, Value::Seq(values.into()))
            };
            Entry {
                key,
                key_span,
                value,
            }
        })
        .collect();
    if !tfvars.is_empty() {
        groups.push(Entry {
            key: Text::borrowed(TFVARS_KEY),
            key_span: Span::empty(whole.end as usize),
            value: Node::new(Span::empty(whole.end as usize), Value::Map(tfvars.into())),
        });
    }
    (Node::new(whole, Value::Map(groups.into())), text, bases)
}

/// Variable values given on the command line, as Terraform takes `-var-file` and `-var`: each
/// `--var-file` (display name and text; `.json` files as JSON), then each `--var NAME=VALUE`,
/// later ones winning, and all of them after the directory's own variable files. A value that
/// starts with `[` or `{` is an HCL expression, any other is a string. A file or value that
/// does not parse is an error naming it.
pub fn command_line_values(
    files: &[(String, String)],
    vars: &[(String, String)],
    limits: &Limits,
) -> Result<Vec<Arc<Sibling>>, String> {
    let mut out = Vec::new();
    let quoted = |v: &str| {
        let escaped = v
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
            .replace("${", "$${")
            .replace("%{", "%%{");
        format!("\"{escaped}\"")
    };
    let inputs = files
        .iter()
        .map(|(name, text)| (name.clone(), text.clone()))
        .chain(vars.iter().map(|(name, value)| {
            let value = if value.starts_with(['[', '{']) {
                value.clone()
            } else {
                quoted(value)
            };
            (format!("--var {name}"), format!("{name} = {value}\n"))
        }));
    for (i, (shown, text)) in inputs.enumerate() {
        let parsed = if shown.to_ascii_lowercase().ends_with(".json") {
            parse::json::parse(&text, limits).map(|p| (p.root.into_owned(), p.warnings))
        } else {
            parse::hcl::file(&text, limits).map(|p| (p.root, p.warnings))
        };
        let (root, warnings) = parsed.map_err(|e| {
            let at = (e.span.start as usize).min(text.len());
            let line = text[..at].matches('\n').count() + 1;
            format!("{shown}:{line}: {}", e.message)
        })?;
        out.push(Arc::new(Sibling {
            // A NUL never occurs in a file name: no file of a directory sorts among these.
            name: format!("\0{i:04} {shown}"),
            text,
            root,
            tfvars: true,
            warnings,
        }));
    }
    Ok(out)
}

/// Where a variable file comes in Terraform's order: `terraform.tfvars`, then
/// `terraform.tfvars.json`, then the `*.auto.tfvars(.json)` files in lexical order; a later
/// file's value wins.
fn tfvars_rank(name: &str) -> u8 {
    if name.starts_with('\0') {
        // Given on the command line ([`command_line_values`]): after every file, in order.
        return 3;
    }
    match name.to_ascii_lowercase().as_str() {
        "terraform.tfvars" => 0,
        "terraform.tfvars.json" => 1,
        _ => 2,
    }
}

/// The variables the files set, in Terraform's order (see [`tfvars_rank`]), the last value of
/// each kept where the variable first appeared: linear in the number of values.
fn merge_tfvars<'a>(mut files: Vec<(u8, &str, ThinVec<Entry<'a>>)>) -> ThinVec<Entry<'a>> {
    files.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut merged: ThinVec<Entry<'a>> = ThinVec::new();
    let mut at: HashMap<Text<'a>, usize> = HashMap::new();
    for (_, _, entries) in files {
        for e in entries {
            match at.get(&e.key) {
                Some(&i) => merged[i] = e,
                None => {
                    at.insert(e.key.clone(), merged.len());
                    merged.push(e);
                }
            }
        }
    }
    merged
}

/// A top-level key of a combined configuration: (key, key span, the values of that key in
/// each file).
type Group<'a> = (Text<'a>, Span, ThinVec<Node<'a>>);

/// Merge an override file's `resource` and `data` blocks into the blocks they override, as
/// Terraform does; the override file's other entries are returned, to be added as they are.
fn apply_override<'a>(groups: &mut [Group<'a>], entries: ThinVec<Entry<'a>>) -> ThinVec<Entry<'a>> {
    let mut rest = ThinVec::new();
    for e in entries {
        if e.key != "resource" && e.key != "data" {
            rest.push(e);
            continue;
        }
        let kind = e.key.clone();
        let Some(group) = groups.iter_mut().find(|g| g.0 == kind) else {
            rest.push(e);
            continue;
        };
        let mut unmatched = Vec::new();
        for by_type in objects_owned(e.value) {
            let Value::Map(types) = by_type.value else {
                continue;
            };
            for t in types {
                for named in objects_owned(t.value) {
                    let Value::Map(names) = named.value else {
                        continue;
                    };
                    for n in names {
                        match find_body(&mut group.2, &t.key, &n.key) {
                            Some(target) => merge_body(target, n.value),
                            None => unmatched.push((t.key.clone(), t.key_span, n)),
                        }
                    }
                }
            }
        }
        // An override of a block that does not exist (Terraform rejects it): kept visible
        // as a block of its own.
        for (rtype, type_span, n) in unmatched {
            let span = n.value.span;
            group.2.push(Node::new(
                span,
                Value::Map(
                    thin_vec::thin_vec![Entry {
                        key: rtype,
                        key_span: type_span,
                        value: Node::new(span, Value::Map(thin_vec::thin_vec![n].into())),
                    }]
                    .into(),
                ),
            ));
        }
    }
    rest
}

/// The `type.name` addresses of the resources a file declares.
pub(crate) fn resource_addresses(root: &Node<'_>) -> Vec<String> {
    let objects = crate::block_objects;
    let mut out = Vec::new();
    for block in root.get("resource").map(objects).unwrap_or_default() {
        for by_type in block.entries() {
            for named in objects(&by_type.value) {
                for e in named.entries() {
                    out.push(format!("{}.{}", by_type.key, e.key));
                }
            }
        }
    }
    out
}

/// Whether files can be one Terraform configuration: no resource address is declared by two
/// of them (override files aside). Terraform rejects such a directory; what holds one is a
/// collection of separate examples (a test suite's `positive1.tf`, `negative1.tf`...), whose
/// files are then checked one by one.
pub fn is_one_configuration(files: &[(&str, &Node<'_>)]) -> bool {
    let mut seen = std::collections::HashSet::new();
    for (name, root) in files {
        if is_override_name(name) {
            continue;
        }
        let mut own: Vec<String> = resource_addresses(root);
        own.sort();
        own.dedup();
        for a in own {
            if !seen.insert(a) {
                return false;
            }
        }
    }
    true
}

/// A block kind written as one object or a list of objects, as owned nodes.
fn objects_owned(node: Node<'_>) -> ThinVec<Node<'_>> {
    match node.value {
        Value::Seq(items) => items.into_iter().filter(|n| n.is_map()).collect(),
        value => thin_vec::thin_vec![Node::new(node.span, value)],
    }
}

/// The body of block `rtype.name` among a kind's per-file objects.
fn find_body<'n, 'a>(
    values: &'n mut [Node<'a>],
    rtype: &str,
    name: &str,
) -> Option<&'n mut Node<'a>> {
    for v in values.iter_mut() {
        let Value::Map(types) = &mut v.value else {
            continue;
        };
        for t in types.make_mut().iter_mut().filter(|t| t.key == rtype) {
            let candidates: Vec<&mut Node<'a>> = if t.value.is_seq() {
                match &mut t.value.value {
                    Value::Seq(items) => items.make_mut().iter_mut().collect(),
                    _ => Vec::new(),
                }
            } else {
                vec![&mut t.value]
            };
            for c in candidates {
                if let Value::Map(names) = &mut c.value
                    && let Some(e) = names.make_mut().iter_mut().find(|e| e.key == name)
                {
                    if e.value.is_seq() && !e.value.items().is_empty() {
                        if let Value::Seq(bodies) = &mut e.value.value {
                            return bodies.make_mut().first_mut();
                        }
                        return None;
                    }
                    return Some(&mut e.value);
                }
            }
        }
    }
    None
}

/// Terraform's override merge: each attribute or nested block type of the override replaces
/// the original's.
fn merge_body<'a>(target: &mut Node<'a>, with: Node<'a>) {
    let Value::Map(entries) = with.value else {
        return;
    };
    if !target.is_map() {
        return;
    }
    let Value::Map(existing) = &mut target.value else {
        return;
    };
    let existing = existing.make_mut();
    for e in entries {
        match existing.iter_mut().find(|x| x.key == e.key) {
            Some(x) => *x = e,
            None => existing.push(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_cleaned_as_terraform_joins_them() {
        let c = |p: &str| clean_path(Path::new(p));
        assert_eq!(c("examples/a/../../"), PathBuf::new());
        assert_eq!(c("examples/a/../../modules/x"), PathBuf::from("modules/x"));
        assert_eq!(c("./a/./b"), PathBuf::from("a/b"));
        assert_eq!(c("../x"), PathBuf::from("../x"));
        assert_eq!(c("a/../../x"), PathBuf::from("../x"));
        assert_eq!(c("/a/./b/../c"), PathBuf::from("/a/c"));
        assert_eq!(c("/../a"), PathBuf::from("/a"));
    }

    #[test]
    fn override_files_merge_into_the_blocks_they_override() {
        let limits = Limits::default();
        let main = "resource \"aws_cloudtrail\" \"t\" {\n  name = \"t\"\n  is_multi_region_trail = false\n}\n";
        let over = "resource \"aws_cloudtrail\" \"t\" {\n  is_multi_region_trail = true\n}\n";
        let sibling = Arc::new(Sibling {
            name: "override.tf".into(),
            text: over.into(),
            root: parse::hcl::file(over, &limits).unwrap().root,
            tfvars: false,
            warnings: Vec::new(),
        });
        let own = parse::hcl::file(main, &limits).unwrap().root;
        let (root, _, _) = combine(own, main, &[sibling]);
        let body = root.at(&["resource", "aws_cloudtrail", "t"]).unwrap();
        assert_eq!(body.get("name").and_then(Node::as_str), Some("t"));
        assert_eq!(
            body.get("is_multi_region_trail").map(|n| &n.value),
            Some(&Value::Bool(true))
        );
        assert!(is_override_name("override.tf") && is_override_name("dev_override.tf.json"));
        assert!(!is_override_name("overrides.tf"));
    }

    #[test]
    fn siblings_merge_after_the_file_and_keep_their_positions() {
        let own_text = "resource \"aws_s3_bucket\" \"a\" {}\n";
        let other = "variable \"region\" {\n  default = \"eu-west-1\"\n}\nresource \"aws_s3_bucket\" \"b\" {}\n";
        let limits = Limits::default();
        let own = parse::hcl::file(own_text, &limits).unwrap().root;
        let sibling = Arc::new(Sibling {
            name: "other.tf".into(),
            text: other.into(),
            root: parse::hcl::file(other, &limits).unwrap().root,
            tfvars: false,
            warnings: Vec::new(),
        });
        let vars = Arc::new(Sibling {
            name: "terraform.tfvars".into(),
            text: "region = \"us-east-1\"\n".into(),
            root: parse::hcl::file("region = \"us-east-1\"\n", &limits)
                .unwrap()
                .root,
            tfvars: true,
            warnings: Vec::new(),
        });
        let (root, text, bases) = combine(own, own_text, &[sibling, vars]);
        assert_eq!(bases[0] as usize, own_text.len() + 1);
        let resources = root.get("resource").unwrap().items();
        assert_eq!(resources.len(), 2, "one object per file");
        let b = resources[1].at(&["aws_s3_bucket", "b"]).unwrap();
        assert!(b.span.start as usize > own_text.len());
        assert!(text[b.span.start as usize..].starts_with("resource \"aws_s3_bucket\" \"b\""));
        let default = root.at(&["variable", "region", "default"]).unwrap();
        assert_eq!(
            &text[default.span.start as usize..default.span.end as usize],
            "\"eu-west-1\""
        );
        assert_eq!(
            root.at(&[TFVARS_KEY, "region"]).and_then(Node::as_str),
            Some("us-east-1")
        );
    }
}

/// Meta-arguments of a `module` block: Terraform's, not the module's variables.
pub(crate) const MODULE_META_ARGUMENTS: [&str; 6] = [
    "source",
    "version",
    "providers",
    "count",
    "for_each",
    "depends_on",
];

/// A call of a module on disk (`source = "./modules/trail"`) in a configuration.
#[derive(Debug)]
pub struct ModuleCall<'n, 'a> {
    /// The call's name (`module "audit"`).
    pub name: &'n str,
    /// The name's span, where findings about the call without a place of their own go.
    pub label: Span,
    /// The module's directory.
    pub dir: PathBuf,
    /// The arguments that set the module's variables.
    pub arguments: Vec<&'n Entry<'a>>,
}

/// Whether a module `source` is a directory on disk (`./…`, `../…`), as Terraform tells
/// local paths from registry and remote addresses.
pub fn is_local_source(source: &str) -> bool {
    source.starts_with("./") || source.starts_with("../")
}

/// Every `module` block of a configuration with a `source`: its name entry, body and source.
fn module_blocks<'n, 'a>(root: &'n Node<'a>) -> Vec<(&'n Entry<'a>, &'n Node<'a>, &'n str)> {
    let mut blocks = Vec::new();
    for group in root
        .get("module")
        .map(crate::block_objects)
        .unwrap_or_default()
    {
        for e in group.entries() {
            for body in crate::block_objects(&e.value) {
                if let Some(source) = body.get("source").and_then(Node::as_str) {
                    blocks.push((e, body, source));
                }
            }
        }
    }
    blocks
}

/// `x` when `expr` is exactly one variable: `var.x` as written in `.tf`, `${var.x}` as the
/// tree (and `.tf.json`) holds it, or `"${var.x}"` as quoted JSON text.
pub fn single_variable(expr: &str) -> Option<&str> {
    let s = expr.trim();
    let s = s
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s);
    let s = s
        .strip_prefix("${")
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(s)
        .trim();
    let name = s.strip_prefix("var.")?;
    (!name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
    .then_some(name)
}

/// The calls of modules from elsewhere (registry, Git, HTTP) in a configuration file: name,
/// source and where the name is.
pub fn remote_module_calls(root: &Node<'_>) -> Vec<(String, String, Span)> {
    module_blocks(root)
        .into_iter()
        .filter(|(_, _, source)| !is_local_source(source))
        .map(|(e, _, source)| (e.key.to_string(), source.to_string(), e.key_span))
        .collect()
}

/// The calls of modules from elsewhere that `terraform init` installed (see [`Installed`]),
/// with their installed directory.
pub fn installed_module_calls<'n, 'a>(
    root: &'n Node<'a>,
    installed: &Installed,
) -> Vec<ModuleCall<'n, 'a>> {
    if installed.dirs.is_empty() {
        return Vec::new();
    }
    module_blocks(root)
        .into_iter()
        .filter(|(_, _, source)| !is_local_source(source))
        .filter_map(|(e, body, _)| {
            Some(ModuleCall {
                name: &e.key,
                label: e.key_span,
                dir: installed.dir(&e.key)?.to_path_buf(),
                arguments: body
                    .entries()
                    .iter()
                    .filter(|a| !MODULE_META_ARGUMENTS.contains(&a.key.as_ref()))
                    .collect(),
            })
        })
        .collect()
}

/// Where `terraform init` installed the modules of the configuration in one directory, as
/// `.terraform/modules/modules.json` records it (`Key` `a.b`, `Dir`): read once per directory.
#[derive(Debug, Default)]
pub struct Installed {
    /// (key, directory), for the directories inside the configuration's `.terraform` only: a
    /// planted record must not point tripline anywhere else on the machine.
    dirs: Vec<(String, PathBuf)>,
}

impl Installed {
    /// The installed modules of the configuration in `root` (none without `.terraform`).
    pub fn of(root: &Path) -> Installed {
        let Some(text) = read_modules_json(&root.join(".terraform/modules/modules.json")) else {
            return Installed::default();
        };
        let Ok(doc) = crate::parse::json::parse(&text, &crate::parse::Limits::default()) else {
            return Installed::default();
        };
        let Ok(terraform) = std::fs::canonicalize(root.join(".terraform")) else {
            return Installed::default();
        };
        let modules = doc.root.get("Modules").map(Node::items).unwrap_or_default();
        let dirs = modules
            .iter()
            .filter_map(|m| {
                let key = m.get("Key").and_then(Node::as_str)?;
                let dir = root.join(m.get("Dir").and_then(Node::as_str)?);
                let real = std::fs::canonicalize(&dir).ok()?;
                (!key.is_empty() && real.starts_with(&terraform) && real.is_dir())
                    .then(|| (key.to_string(), dir))
            })
            .collect();
        Installed { dirs }
    }

    /// The directory of the module call with key `key` (`a.b` for a nested call).
    pub fn dir(&self, key: &str) -> Option<&Path> {
        self.dirs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, d)| d.as_path())
    }
}

/// The most of `modules.json` read: Terraform writes a line per module call, so a real one is
/// kilobytes.
const MAX_MODULES_JSON: u64 = 16 * 1024 * 1024;

/// The text of a `modules.json`: a regular file only (a FIFO would block the read forever, a
/// link to `/dev/zero` never end it), read to at most [`MAX_MODULES_JSON`] bytes.
fn read_modules_json(path: &Path) -> Option<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > MAX_MODULES_JSON {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_MODULES_JSON + 1)
        .read_to_string(&mut text)
        .ok()?;
    (text.len() as u64 <= MAX_MODULES_JSON).then_some(text)
}

#[cfg(test)]
mod module_tests {
    #[test]
    fn single_variables_in_every_spelling() {
        use super::single_variable;
        assert_eq!(single_variable("var.multi"), Some("multi"));
        assert_eq!(single_variable(" ${ var.multi } "), Some("multi"));
        assert_eq!(single_variable("\"${var.multi}\""), Some("multi"));
        assert_eq!(single_variable("var.a.b"), None);
        assert_eq!(single_variable("local.x"), None);
        assert_eq!(single_variable("${var.x}-suffix"), None);
        assert_eq!(single_variable("var."), None);
    }
}
