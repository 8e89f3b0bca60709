//! HCL expressions (through `hcl-edit`, which keeps byte spans) turned into the same [`Node`]
//! tree as YAML and JSON, in the shape Terraform's JSON syntax gives the same value, so that
//! everything that reads `*.tf.json` reads them unchanged:
//!
//! - literals stay literals; strings without interpolation stay strings;
//! - templates (`"arn:aws:iam::${var.account_id}:root"`) become their text, interpolations
//!   included, which evaluation reads as unknown parts;
//! - `jsonencode(x)` becomes `x`, with `x`'s own positions (a policy written as an HCL object
//!   is read as the document it encodes);
//! - anything else (references, calls, conditionals, `for`) becomes `"${expr}"`: unknown.
//!
//! Spans are byte offsets into the text given, which the caller shifts to where that text is.
//!
//! A whole `.tf` file ([`file`]) becomes the document its `.tf.json` twin would be: top-level
//! blocks grouped by kind and labels (`resource.TYPE.NAME`, `variable.NAME`, `provider.NAME`
//! as a list, `locals` as a list), nested blocks as lists of their bodies, and `dynamic "x"`
//! blocks as an `x` block whose body is the `content` (the block may be there: it is never
//! "missing", and what it holds is as unknown as the iterator).

use super::{List, Text, ThinVec};

use hcl_edit::expr::{Expression, ObjectKey};
use hcl_edit::structure::{Block, Body, Structure};

use super::{Entry, Limits, Node, ParseError, ParseErrorKind, Parsed, Value};
use crate::source::Span;

/// Top-level block kinds whose bodies are keyed by their labels (as Terraform's JSON syntax
/// nests them); how many labels each takes.
const LABELLED: &[(&str, usize)] = &[
    ("resource", 2),
    ("data", 2),
    ("ephemeral", 2),
    ("module", 1),
    ("variable", 1),
    ("output", 1),
    ("provider", 1),
    ("check", 1),
];

/// Parse a `.tf` file into the tree of its JSON-syntax equivalent.
pub fn file(text: &str, limits: &Limits) -> Result<Parsed<'static>, ParseError> {
    file_cut(text, limits, Cut::default())
}

/// [`file`], its parts cut where `cut` says.
fn file_cut(text: &str, limits: &Limits, cut: Cut) -> Result<Parsed<'static>, ParseError> {
    if let Some(at) = too_deep(text, limits.max_depth) {
        return Err(ParseError::new(
            ParseErrorKind::Limit,
            format!("nested deeper than {} levels", limits.max_depth),
            Span::empty(at),
        ));
    }
    let mut tree = Tree {
        cut,
        ..Tree::default()
    };
    // Block by block when the text is a sequence of blocks (hcl_split): hcl-edit's tree of a
    // block is dropped before the next is parsed.
    let whole_text = 0..text.len();
    let pieces = super::hcl_split::blocks(text).unwrap_or_else(|| Vec::from([whole_text]));
    for range in pieces {
        let piece = Piece {
            text: &text[range.clone()],
            offset: range.start,
        };
        piece.parse_into(&mut tree, limits.max_hcl_bytes)?;
    }
    let Tree {
        root,
        warnings,
        renamed,
        ..
    } = tree;
    let mut root = Node::new(Span::new(0, text.len()), Value::Map(root.into()));
    if !renamed.is_empty() {
        restore_keys(&mut root, &renamed);
    }
    Ok(Parsed { root, warnings })
}

/// What the pieces of a file make, as they are added.
#[derive(Default)]
struct Tree {
    /// Where the file's parts are cut.
    cut: Cut,
    root: ThinVec<Entry<'static>>,
    warnings: Vec<ParseError>,
    /// Repeated object keys renamed to parse a piece, at their offsets in the whole text.
    renamed: Vec<(usize, String)>,
    /// The two-label blocks declared so far (`resource`, type, name): a repeat is reported,
    /// found here in constant time (a search of the type's entries was quadratic in them).
    declared: std::collections::HashSet<(String, String, String)>,
}

/// Part of a `.tf` text parsed on its own: the whole text, or one top-level block of it.
struct Piece<'t> {
    text: &'t str,
    /// Where it starts in the whole text: every span made from it is moved by this much.
    offset: usize,
}

impl Piece<'_> {
    fn span(&self, s: Span) -> Span {
        Span::new(s.start as usize + self.offset, s.end as usize + self.offset)
    }

    /// Parse the piece and add what it declares to `root`; repeated object keys renamed to
    /// parse it are added to `renamed` (at their offsets in the whole text).
    /// Text over `max_whole` is parsed in runs of statements or not at all.
    fn parse_into(&self, tree: &mut Tree, max_whole: usize) -> Result<(), ParseError> {
        let cut = tree.cut;
        if self.text.len() > cut.over {
            if let Some(runs) = super::hcl_split::body_runs(self.text, cut.run)
                && self.parse_runs(&runs, tree, max_whole)
            {
                return Ok(());
            }
            // A top-level attribute (a `.tfvars` file's) holding a large object or tuple.
            if let Some(mut entry) = large_constructor(self.text, 0, max_whole, cut.run) {
                entry.key_span = self.span(entry.key_span);
                self.shift(&mut entry.value);
                tree.root.push(entry);
                return Ok(());
            }
        }
        if self.text.len() > max_whole {
            return Err(ParseError::new(
                ParseErrorKind::Limit,
                format!(
                    "a native-syntax Terraform block or statement of {} MiB is over the {} MiB \
                     parsed at once (parsing takes about 130 times the text in memory); check \
                     its configuration as a plan (`terraform show -json`) or as `.tf.json`, or \
                     split it",
                    self.text.len() / (1024 * 1024),
                    max_whole / (1024 * 1024)
                ),
                Span::empty(self.offset + self.text.len() - self.text.trim_start().len()),
            ));
        }
        let (body, patched) = parse_patched(
            self.text,
            self.offset,
            &mut tree.warnings,
            &mut tree.renamed,
        )?;
        let text = patched.as_deref().unwrap_or(self.text);
        let whole = Span::new(0, text.len());
        for structure in body.iter() {
            match structure {
                // Top-level attributes are not Terraform; kept so that nothing is lost.
                Structure::Attribute(a) => {
                    let mut entry = attribute(text, a, whole);
                    entry.key_span = self.span(entry.key_span);
                    self.shift(&mut entry.value);
                    tree.root.push(entry);
                }
                Structure::Block(block) => top_level(text, block, self, tree),
            }
        }
        Ok(())
    }

    /// A piece of one large block, parsed a run of statements at a time: its header with an
    /// empty body, then each run as a body of its own, whose entries are moved to their place.
    /// `false` (and nothing added) when any part does not parse: the block is then parsed
    /// whole, which reports what is wrong as a parse of the whole block does.
    fn parse_runs(
        &self,
        runs: &super::hcl_split::BodyRuns,
        tree: &mut Tree,
        max_whole: usize,
    ) -> bool {
        let header = format!("{}}}", &self.text[..runs.open]);
        let Ok(parsed) = hcl_edit::parser::parse_body(&header) else {
            return false;
        };
        let (Some(Structure::Block(block)), 1) = (parsed.iter().next(), parsed.len()) else {
            return false;
        };
        // What the runs add to the file's warnings and renamed keys is taken back if one fails.
        let (warned, renamed) = (tree.warnings.len(), tree.renamed.len());
        // One entry per statement at most (nested blocks of a type share one): a list grown
        // by doubling held up to twice the entries of a block of 600,000 attributes.
        let mut entries = ThinVec::with_capacity(runs.statements);
        // Where each attribute's name is: one repeated across runs is an error of a whole
        // parse (hcl-edit reports a repeat within a run), so the block is then parsed whole.
        let mut names: Vec<Span> = Vec::with_capacity(runs.statements);
        for run in &runs.runs {
            let run_text = &self.text[run.clone()];
            if run.len() > tree.cut.over
                && let Some(entry) = large_constructor(run_text, run.start, max_whole, tree.cut.run)
            {
                names.push(entry.key_span);
                entries.push(entry);
                continue;
            }
            if run.len() > max_whole {
                return self.undo(tree, warned, renamed);
            }
            let offset = self.offset + run.start;
            let parsed = parse_patched(run_text, offset, &mut tree.warnings, &mut tree.renamed);
            let Ok((body, patched)) = parsed else {
                return self.undo(tree, warned, renamed);
            };
            let text = patched.as_deref().unwrap_or(run_text);
            let whole = Span::new(0, text.len());
            for a in body.iter().filter_map(|s| s.as_attribute()) {
                let at = span_or(&a.key, whole);
                names.push(Span::new(
                    at.start as usize + run.start,
                    at.end as usize + run.start,
                ));
            }
            add_body_entries(text, &body, whole, run.start, &mut entries);
        }
        if repeats(self.text, &mut names) {
            return self.undo(tree, warned, renamed);
        }
        entries.shrink_to_fit();
        let start = span_or(block, Span::new(0, header.len())).start as usize;
        let body = Node::new(Span::new(start, runs.close + 1), Value::Map(entries.into()));
        place(&header, block, body, self, tree);
        true
    }

    /// Take back what runs of the piece added to the file's warnings and renamed keys (the
    /// piece is then parsed whole); `false`.
    fn undo(&self, tree: &mut Tree, warned: usize, renamed: usize) -> bool {
        tree.warnings.truncate(warned);
        tree.renamed.truncate(renamed);
        false
    }

    /// Move a tree made from the piece to its place in the whole text.
    fn shift(&self, node: &mut Node<'static>) {
        if self.offset == 0 {
            return;
        }
        node.span = self.span(node.span);
        match &mut node.value {
            Value::Seq(items) => items.make_mut().iter_mut().for_each(|n| self.shift(n)),
            Value::Map(entries) => {
                for e in entries.make_mut() {
                    e.key_span = self.span(e.key_span);
                    self.shift(&mut e.value);
                }
            }
            _ => {}
        }
    }
}

/// Where a `.tf` text is cut to be parsed a part at a time.
#[derive(Clone, Copy, Debug)]
struct Cut {
    /// Blocks, objects and tuples longer than this are parsed a run of statements or items at
    /// a time ([`Piece::parse_runs`], [`large_constructor`]): hcl-edit's tree of one block of
    /// 100,000 attributes (2 MB) was 100 MiB, and its parse of an object is quadratic in keys.
    over: usize,
    /// About how much text each run holds.
    run: usize,
}

impl Default for Cut {
    fn default() -> Cut {
        Cut {
            over: 256 * 1024,
            run: 16 * 1024,
        }
    }
}

/// Parse `text` (at `offset` in the whole file) as a body. Terraform accepts an object
/// constructor that repeats a key (the last one wins); hcl-edit refuses it. Each repeated key
/// is renamed in a copy of the text (same length, so every offset stays) until the text parses,
/// then given its name back in the tree, where the last one wins too; each is reported as a
/// duplicate key. Returns the body and the renamed copy, if one was made.
fn parse_patched(
    text: &str,
    offset: usize,
    warnings: &mut Vec<ParseError>,
    renamed: &mut Vec<(usize, String)>,
) -> Result<(Body, Option<String>), ParseError> {
    let at_offset = |s: Span| Span::new(s.start as usize + offset, s.end as usize + offset);
    let mut patched: Option<String> = None;
    loop {
        let source = patched.as_deref().unwrap_or(text);
        let e = match hcl_edit::parser::parse_body(source) {
            Ok(body) => return Ok((body, patched)),
            Err(e) => e,
        };
        // The parser's offset may fall inside a multi-byte character of invalid input.
        let at =
            crate::source::floor_char_boundary(source, e.location().offset().min(source.len()));
        let key_len = source[at..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(source.len() - at);
        if e.message().contains("redefined object key")
            && key_len > 0
            && renamed.len() < MAX_RENAMED_KEYS
        {
            let key = source[at..at + key_len].to_string();
            let mut copy = source.to_string();
            copy.replace_range(at..at + key_len, &placeholder(renamed.len(), key_len));
            warnings.push(ParseError::new(
                ParseErrorKind::DuplicateKey,
                format!("duplicate key `{key}` in an object: the last value is used"),
                at_offset(Span::new(at, at + key_len)),
            ));
            renamed.push((at + offset, key));
            patched = Some(copy);
            continue;
        }
        return Err(ParseError::new(
            ParseErrorKind::Syntax,
            format!("HCL: {}", e.message()),
            at_offset(Span::empty(at)),
        ));
    }
}

/// Whether two of the `names` (spans of `text`) are the same text.
fn repeats(text: &str, names: &mut [Span]) -> bool {
    let name = |s: &Span| &text[s.start as usize..s.end as usize];
    names.sort_unstable_by(|a, b| name(a).cmp(name(b)));
    names.windows(2).any(|w| name(&w[0]) == name(&w[1]))
}

/// An attribute holding an object or tuple constructor, its items parsed a run at a time
/// ([`super::hcl_split::constructor_runs`]), with spans moved `shift` bytes later. `None` when
/// the statement is something else, a run is over `max_whole` or does not parse, or an object
/// key repeats across runs: the statement is then parsed whole, which reports what is wrong (or
/// is over the bound).
fn large_constructor(
    text: &str,
    shift: usize,
    max_whole: usize,
    run_bytes: usize,
) -> Option<Entry<'static>> {
    let parts = super::hcl_split::constructor_runs(text, run_bytes)?;
    if parts.runs.iter().any(|r| r.len() > max_whole) {
        return None;
    }
    let (open, close) = if parts.object { ('{', '}') } else { ('[', ']') };
    let (mut entries, mut items) = if parts.object {
        (ThinVec::with_capacity(parts.items), ThinVec::new())
    } else {
        (ThinVec::new(), ThinVec::with_capacity(parts.items))
    };
    for run in &parts.runs {
        // The run's items in a constructor of their own: its text starts at `source[1]`.
        let source = format!("{open}{}\n{close}", &text[run.clone()]);
        let expr = hcl_edit::parser::parse_expr(&source).ok()?;
        let mut node = convert(&source, &expr);
        node.shift((shift + run.start - 1) as u32);
        match node.value {
            Value::Map(more) if parts.object => entries.extend(more),
            Value::Seq(more) if !parts.object => items.extend(more),
            _ => return None,
        }
    }
    // A key repeated within a run fails its parse; across runs, it is found here.
    let mut order: Vec<u32> = (0..entries.len() as u32).collect();
    let key = |i: &u32| &*entries[*i as usize].key;
    order.sort_unstable_by(|a, b| key(a).cmp(key(b)));
    if order.windows(2).any(|w| key(&w[0]) == key(&w[1])) {
        return None;
    }
    let value = if parts.object {
        Value::Map(entries.into())
    } else {
        Value::Seq(items.into())
    };
    let at = |start: usize, end: usize| Span::new(shift + start, shift + end);
    Some(Entry {
        key: Text::owned(text[parts.name.clone()].to_string()),
        key_span: at(parts.name.start, parts.name.end),
        value: Node::new(at(parts.open, parts.close + 1), value),
    })
}

/// The `index`th name given to a repeated key of `len` bytes while parsing: distinct from the
/// others (several repeats in one object must not repeat each other) and unlike a real key
/// (`_` and digits).
fn placeholder(index: usize, len: usize) -> String {
    const ONE: &[u8] = b"_ZQXJKVWYUPFGBHMDLCNRSTOIEA";
    if len == 1 {
        return char::from(ONE[index % ONE.len()]).to_string();
    }
    let digits = format!("{index:0width$}", width = len - 1);
    let digits = &digits[digits.len() - (len - 1)..];
    format!("_{digits}")
}

/// Repeated object keys renamed to parse a file, at most (each costs a parse).
const MAX_RENAMED_KEYS: usize = 64;

fn restore_keys(node: &mut Node<'static>, renamed: &[(usize, String)]) {
    match &mut node.value {
        Value::Seq(items) => items
            .make_mut()
            .iter_mut()
            .for_each(|n| restore_keys(n, renamed)),
        Value::Map(entries) => {
            for e in entries.make_mut() {
                if let Some((_, key)) = renamed
                    .iter()
                    .find(|(at, _)| *at == e.key_span.start as usize)
                {
                    e.key = Text::owned(key.clone());
                }
                restore_keys(&mut e.value, renamed);
            }
        }
        _ => {}
    }
}

/// The byte offset where nesting first goes deeper than `max` (brackets, braces, parentheses
/// outside strings and comments are not told apart here: a conservative bound that keeps
/// hcl-edit's recursive parser well inside the stack).
fn too_deep(text: &str, max: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn span_or(item: &impl hcl_edit::Span, fallback: Span) -> Span {
    item.span().map_or(fallback, |r| Span::new(r.start, r.end))
}

/// The entry for `key` in `entries`, added (at `key_span`, with a value spanning `span`) if
/// missing.
fn slot<'e>(
    entries: &'e mut ThinVec<Entry<'static>>,
    key: &str,
    key_span: Span,
    empty: Value<'static>,
) -> &'e mut Node<'static> {
    let at = match entries.iter().position(|e| e.key == key) {
        Some(i) => i,
        None => {
            entries.push(Entry {
                key: Text::owned(key.to_string()),
                key_span,
                value: Node::new(key_span, empty),
            });
            entries.len() - 1
        }
    };
    &mut entries[at].value
}

fn map_entries<'n>(node: &'n mut Node<'static>) -> &'n mut ThinVec<Entry<'static>> {
    if !node.is_map() {
        node.value = Value::Map(List::new());
    }
    match &mut node.value {
        Value::Map(entries) => entries.make_mut(),
        _ => unreachable!("made a map above"),
    }
}

fn seq_items<'n>(node: &'n mut Node<'static>) -> &'n mut ThinVec<Node<'static>> {
    if !node.is_seq() {
        node.value = Value::Seq(List::new());
    }
    match &mut node.value {
        Value::Seq(items) => items.make_mut(),
        _ => unreachable!("made a list above"),
    }
}

/// A top-level block of `piece` (whose possibly patched text is `text`), added to `root`.
fn top_level(text: &str, block: &Block, piece: &Piece<'_>, tree: &mut Tree) {
    let local = span_or(block, Span::new(0, text.len()));
    let body = Node::new(
        local,
        Value::Map(body_entries(text, &block.body, local).into()),
    );
    place(text, block, body, piece, tree);
}

/// A top-level block of `piece` (whose possibly patched text is `text`), with its `body` made,
/// added to `root` under its kind and labels.
fn place(text: &str, block: &Block, mut body: Node<'static>, piece: &Piece<'_>, tree: &mut Tree) {
    let (root, warnings) = (&mut tree.root, &mut tree.warnings);
    let local = span_or(block, Span::new(0, text.len()));
    let kind = block.ident.as_str();
    let kind_span = piece.span(span_or(&block.ident, local));
    piece.shift(&mut body);
    let labels: Vec<(&str, Span)> = block
        .labels
        .iter()
        .map(|l| {
            let s = match l {
                hcl_edit::structure::BlockLabel::Ident(i) => span_or(i, local),
                hcl_edit::structure::BlockLabel::String(s) => span_or(s, local),
            };
            (l.as_str(), piece.span(s))
        })
        .collect();
    let wanted = LABELLED.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n);
    let group = slot(root, kind, kind_span, Value::Map(List::new()));
    match (wanted, labels.as_slice()) {
        (Some(2), [(first, first_span), (name, name_span)]) => {
            let by_type = slot(
                map_entries(group),
                first,
                *first_span,
                Value::Map(List::new()),
            );
            let entries = map_entries(by_type);
            let key = (kind.to_string(), first.to_string(), name.to_string());
            if !tree.declared.insert(key) {
                warnings.push(ParseError::new(
                    ParseErrorKind::DuplicateKey,
                    format!("{kind} \"{first}\" \"{name}\" is declared twice"),
                    *name_span,
                ));
            }
            entries.push(Entry {
                key: Text::owned(name.to_string()),
                key_span: *name_span,
                value: body,
            });
        }
        (Some(1), [(name, name_span)]) if kind == "provider" => {
            // Several configurations of one provider (aliases): a list, as in JSON syntax.
            let list = slot(
                map_entries(group),
                name,
                *name_span,
                Value::Seq(List::new()),
            );
            seq_items(list).push(body);
        }
        (Some(1), [(name, name_span)]) => {
            map_entries(group).push(Entry {
                key: Text::owned(name.to_string()),
                key_span: *name_span,
                value: body,
            });
        }
        (Some(n), _) => warnings.push(ParseError::new(
            ParseErrorKind::Syntax,
            format!(
                "a `{kind}` block takes {n} label{}, this one has {}",
                if n == 1 { "" } else { "s" },
                labels.len()
            ),
            kind_span,
        )),
        // `locals`, `terraform`, `moved`, `import`...: a list of bodies.
        (None, _) => seq_items(group).push(body),
    }
}

/// The entries of a block body: attributes, then nested blocks grouped by type as lists.
fn body_entries(text: &str, body: &Body, span: Span) -> ThinVec<Entry<'static>> {
    // At most one entry per structure (nested blocks of a type share one): allocated once,
    // where pushing into a doubling Vec left up to as much again unused in every body of a
    // large configuration (40,000 resources: 46 MiB for 29 MiB of entries).
    let mut entries: ThinVec<Entry<'static>> = ThinVec::with_capacity(body.len());
    add_body_entries(text, body, span, 0, &mut entries);
    entries.shrink_to_fit();
    entries
}

/// Add the entries of a block body to `entries`, moved `shift` bytes later (a run of a large
/// block's statements, parsed on its own): a nested block joins the list of its type that an
/// earlier run began.
fn add_body_entries(
    text: &str,
    body: &Body,
    span: Span,
    shift: usize,
    entries: &mut ThinVec<Entry<'static>>,
) {
    let moved = |s: Span| Span::new(s.start as usize + shift, s.end as usize + shift);
    for structure in body.iter() {
        match structure {
            Structure::Attribute(a) => {
                let mut entry = attribute(text, a, span);
                if shift > 0 {
                    entry.key_span = moved(entry.key_span);
                    entry.value.shift(shift as u32);
                }
                entries.push(entry);
            }
            Structure::Block(block) => {
                let block_span = span_or(block, span);
                let (name, name_span, inner) = if block.ident.as_str() == "dynamic" {
                    let Some(label) = block.labels.first() else {
                        continue;
                    };
                    let label_span = match label {
                        hcl_edit::structure::BlockLabel::Ident(i) => span_or(i, block_span),
                        hcl_edit::structure::BlockLabel::String(s) => span_or(s, block_span),
                    };
                    // The generated block's body is `content`; without one, an empty body.
                    let content = block.body.get_blocks("content").next();
                    let entries = content
                        .map(|c| body_entries(text, &c.body, span_or(c, block_span)))
                        .unwrap_or_default();
                    (label.as_str(), label_span, entries)
                } else {
                    let ident_span = span_or(&block.ident, block_span);
                    (
                        block.ident.as_str(),
                        ident_span,
                        body_entries(text, &block.body, block_span),
                    )
                };
                let mut node = Node::new(block_span, Value::Map(inner.into()));
                if shift > 0 {
                    node.shift(shift as u32);
                }
                let list = slot(entries, name, moved(name_span), Value::Seq(List::new()));
                list.span = list.span.to(moved(block_span));
                seq_items(list).push(node);
            }
        }
    }
}

fn attribute(text: &str, a: &hcl_edit::structure::Attribute, fallback: Span) -> Entry<'static> {
    let key_span = span_or(&a.key, fallback);
    Entry {
        key: Text::owned(a.key.as_str().to_string()),
        key_span,
        value: convert(text, &a.value),
    }
}

/// An expression that could not be parsed: the message and the byte offset in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HclError {
    /// What is wrong.
    pub message: String,
    /// Byte offset of the error in the text.
    pub offset: usize,
}

/// Parse one HCL expression into a tree.
pub fn expression(text: &str, limits: &Limits) -> Result<Node<'static>, HclError> {
    expression_syntax(text, limits).map(|expr| convert(text, &expr))
}

pub(super) fn expression_syntax(text: &str, limits: &Limits) -> Result<Expression, HclError> {
    // hcl-edit recurses on nesting: refuse what would go deeper than the other loaders allow
    // before it gets there.
    let depth = text
        .bytes()
        .scan(0i64, |d, b| {
            match b {
                b'{' | b'[' | b'(' => *d += 1,
                b'}' | b']' | b')' => *d -= 1,
                _ => {}
            }
            Some(*d)
        })
        .max()
        .unwrap_or(0);
    if depth > limits.max_depth as i64 {
        return Err(HclError {
            message: format!("expression nested deeper than {}", limits.max_depth),
            offset: 0,
        });
    }
    hcl_edit::parser::parse_expr(text).map_err(|e| HclError {
        message: e.message().to_string(),
        offset: crate::source::floor_char_boundary(text, e.location().offset().min(text.len())),
    })
}

/// The two branches of `cond ? a : b` (each as a tree of its own text), or `None` for any other
/// expression.
pub fn conditional_branches(text: &str) -> Option<[Node<'static>; 2]> {
    let expr = expression_syntax(text, &Limits::default()).ok()?;
    let mut expr = &expr;
    while let Expression::Parenthesis(p) = expr {
        expr = p.inner();
    }
    match expr {
        Expression::Conditional(c) => {
            Some([convert(text, &c.true_expr), convert(text, &c.false_expr)])
        }
        _ => None,
    }
}

pub(super) fn span_of(expr: &impl hcl_edit::Span, fallback: Span) -> Span {
    expr.span().map_or(fallback, |r| Span::new(r.start, r.end))
}

/// The text of `expr` in `source`.
fn source_of(source: &str, span: Span) -> &str {
    source
        .get(span.start as usize..span.end as usize)
        .unwrap_or_default()
}

pub(super) fn convert(source: &str, expr: &Expression) -> Node<'static> {
    let whole = Span::new(0, source.len());
    let span = span_of(expr, whole);
    let value = match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => Value::Number(Text::owned(n.value().to_string())),
        // A string without interpolations: a `${` in it was written `$${` (an escape), and the
        // JSON syntax this tree follows spells it that way too.
        Expression::String(s) => Value::String(Text::owned(escape_sequences(s.value()))),
        Expression::Array(items) => Value::Seq(items.iter().map(|e| convert(source, e)).collect()),
        Expression::Object(object) => Value::Map(
            object
                .iter()
                .map(|(key, value)| {
                    let key_span = span_of(key, span);
                    let key_text = match key {
                        ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                        ObjectKey::Expression(e) => template_text(source, e, key_span),
                    };
                    Entry {
                        key: Text::owned(key_text),
                        key_span,
                        value: convert(source, value.expr()),
                    }
                })
                .collect(),
        ),
        Expression::StringTemplate(_) => {
            // The text between the quotes, interpolations kept: `arn:${var.p}:iam::...`.
            let text = source_of(source, span);
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text);
            Value::String(Text::owned(unescape_template(inner)))
        }
        Expression::HeredocTemplate(h) => {
            if let Some(document) = heredoc_policy(source, span) {
                return document;
            }
            Value::String(Text::owned(h.template.to_string()))
        }
        Expression::Parenthesis(p) => return convert(source, p.inner()),
        Expression::FuncCall(call)
            if call.name.namespace.is_empty()
                && call.name.name.value().as_str() == "jsonencode"
                && call.args.iter().count() == 1 =>
        {
            let arg = call.args.iter().next().expect("one argument");
            return convert(source, arg);
        }
        other => Value::String(Text::owned(format!(
            "${{{}}}",
            source_of(source, span_of(other, span)).trim()
        ))),
    };
    Node::new(span, value)
}

/// A literal string's `${` and `%{` as JSON syntax spells them (`$${`, `%%{`); one copy of the
/// text, however many there are.
fn escape_sequences(s: &str) -> String {
    if !s.contains("${") && !s.contains("%{") {
        return s.to_string();
    }
    s.replace("${", "$${").replace("%{", "%%{")
}

/// A heredoc whose body is a JSON policy document (`policy = <<EOF {"Statement": ...} EOF`, the
/// most common way to write one before `jsonencode`), parsed where it is written, so that a
/// finding points at the principal or action inside it. The raw body is parsed, not the
/// de-indented text of `<<-`: JSON does not mind the indentation, and offsets stay exact.
fn heredoc_policy(source: &str, span: Span) -> Option<Node<'static>> {
    let text = source_of(source, span);
    let body_start = text.find('\n')? + 1;
    let body_end = text.rfind('\n')?;
    let body = text.get(body_start..body_end)?;
    if !body.trim_start().starts_with('{') || !body.contains("Statement") {
        return None;
    }
    let parsed = super::json::parse(body, &Limits::default()).ok()?;
    parsed.root.get("Statement")?;
    let mut root = parsed.root.into_owned();
    root.shift(span.start + body_start as u32);
    Some(root)
}

/// A key or value that is an expression, as Terraform JSON would spell it.
fn template_text(source: &str, expr: &Expression, span: Span) -> String {
    match expr {
        Expression::Variable(v) => v.value().as_str().to_string(),
        _ => format!("${{{}}}", source_of(source, span).trim()),
    }
}

/// HCL string escapes (`\"`, `\\`, `\n`, `\t`, `\r`, `\uXXXX`) resolved; interpolations kept.
fn unescape_template(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Native syntax over its size bound is a limit error (PARSE003), not a parse that may
    /// take gigabytes.
    #[test]
    fn native_syntax_over_its_bound_is_a_limit_unless_it_parses_a_statement_at_a_time() {
        let limits = Limits {
            max_hcl_bytes: 2 * 1024 * 1024,
            ..Limits::default()
        };
        // 3 MB of statements: parsed in runs, each far below the bound.
        let body: String = (0..300_000).map(|i| format!("  a{i} = \"b\"\n")).collect();
        let text = format!("locals {{\n{body}}}\n");
        let parsed = file(&text, &limits).unwrap();
        let locals = parsed.root.get("locals").unwrap();
        assert_eq!(locals.items()[0].entries().len(), 300_000);
        // One list over the bound: its items are parsed a run at a time.
        let small = "locals {\n  a = 1\n}\n";
        let items = "\"b\",".repeat(600_000);
        let text = format!("{small}locals {{\n  a = [{items}]\n}}\n");
        let parsed = file(&text, &limits).unwrap();
        let list = parsed.root.get("locals").unwrap().items()[1]
            .get("a")
            .unwrap();
        assert_eq!(list.items().len(), 600_000);
        // One statement over the bound that is not a list or object, in a later block: a
        // limit, where the block starts.
        let text = format!("{small}locals {{\n  a = length([{items}])\n}}\n");
        let e = file(&text, &limits).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Limit);
        assert!(
            e.message.contains("over the 2 MiB parsed at once"),
            "{}",
            e.message
        );
        assert_eq!(e.span.start as usize, small.len());
        assert!(file(small, &limits).is_ok());
    }

    #[test]
    fn several_repeated_keys_in_one_object_each_take_the_last_value() {
        let text = "locals {\n  tags = {\n    a = 1\n    a = 2\n    b = 3\n    b = 4\n    b = 5\n    long = 6\n    long = 7\n  }\n}\n";
        let parsed = file(text, &Limits::default()).unwrap();
        fn find<'n>(node: &'n Node<'static>, key: &str) -> Option<&'n Node<'static>> {
            match &node.value {
                Value::Map(entries) => entries.iter().find_map(|e| {
                    if e.key == key {
                        Some(&e.value)
                    } else {
                        find(&e.value, key)
                    }
                }),
                Value::Seq(items) => items.iter().find_map(|n| find(n, key)),
                _ => None,
            }
        }
        let tags = find(&parsed.root, "tags").unwrap();
        let keys: Vec<&str> = tags.entries().iter().map(|e| e.key.as_ref()).collect();
        assert_eq!(keys, ["a", "a", "b", "b", "b", "long", "long"]);
        let value = |k: &str| {
            tags.get(k)
                .and_then(|n| n.scalar_text())
                .unwrap()
                .into_owned()
        };
        assert_eq!(
            (value("a"), value("b"), value("long")),
            ("2".into(), "5".into(), "7".into())
        );
        assert_eq!(parsed.warnings.len(), 4);
        assert!(
            parsed
                .warnings
                .iter()
                .all(|w| w.kind == ParseErrorKind::DuplicateKey),
            "{:?}",
            parsed.warnings
        );
        let lines: Vec<usize> = parsed
            .warnings
            .iter()
            .map(|w| text[..w.span.start as usize].lines().count())
            .collect();
        assert_eq!(lines, [4, 6, 7, 9]);
        for (i, len) in [(0, 1), (1, 1), (30, 1), (3, 4), (12345, 3)] {
            let p = placeholder(i, len);
            assert_eq!(p.len(), len, "{p}");
        }
        assert_ne!(placeholder(0, 1), placeholder(1, 1));
        assert_ne!(placeholder(1, 3), placeholder(2, 3));
    }

    /// A block of every kind of statement, long enough to be parsed in runs, after a small
    /// block (so that its piece starts past the file's start).
    fn large_block() -> String {
        let mut text =
            String::from("locals {\n  a = 1\n}\n\n# the trail\nresource \"t\" \"x\" {\n");
        let mut i = 0;
        while text.len() <= 2 * Cut::default().over {
            let statement = match i % 6 {
                0 => format!("  tag_{i} = \"v{i}\" # }}\n"),
                1 => format!("  ingress {{\n    port = {i}\n    cidrs = [\"0.0.0.0/0\",\n    ]\n  }}\n"),
                2 => format!("  doc_{i} = <<EOT\n{{\"a\": \"}}\"}}\nEOT\n"),
                3 => "  dynamic \"setting\" {\n    for_each = var.s\n    content {\n      v = setting.value\n    }\n  }\n".to_string(),
                // A repeated object key (renamed to parse, reported) now and then.
                4 if i % 600 == 4 => format!("  obj_{i} = {{\n    k = 1\n    k = 2\n  }}\n"),
                4 => format!("  obj_{i} = {{ k = (1 +\n 2) }}\n"),
                _ => format!("  /* }} */ e_{i} = var.x ? \"a\" : \"b\"\n"),
            };
            text.push_str(&statement);
            i += 1;
        }
        text.push_str("  last = false\n}\n");
        text
    }

    /// `text` parsed whole, as every file was before blocks and constructors were cut in runs.
    fn parsed_whole(text: &str) -> (Node<'static>, Vec<ParseError>) {
        let mut tree = Tree::default();
        let piece = Piece { text, offset: 0 };
        let (body, patched) =
            parse_patched(text, 0, &mut tree.warnings, &mut tree.renamed).expect("the text parses");
        let parsed = patched.as_deref().unwrap_or(text);
        for structure in body.iter() {
            match structure {
                Structure::Block(block) => top_level(parsed, block, &piece, &mut tree),
                Structure::Attribute(a) => {
                    let whole = Span::new(0, parsed.len());
                    tree.root.push(attribute(parsed, a, whole));
                }
            }
        }
        let mut whole = Node::new(Span::new(0, text.len()), Value::Map(tree.root.into()));
        restore_keys(&mut whole, &tree.renamed);
        (whole, tree.warnings)
    }

    #[test]
    fn a_large_block_parsed_in_runs_is_the_block_parsed_whole() {
        let text = large_block();
        // The block is cut in runs (else this would compare a whole parse with itself).
        let pieces = super::super::hcl_split::blocks(&text).unwrap();
        let runs = super::super::hcl_split::body_runs(&text[pieces[1].clone()], Cut::default().run);
        assert!(runs.is_some_and(|r| r.runs.len() > 10));
        let in_runs = file(&text, &Limits::default()).unwrap();
        let (whole, warnings) = parsed_whole(&text);
        assert_eq!(in_runs.root, whole);
        assert_eq!(in_runs.warnings, warnings);
        assert!(in_runs.warnings.len() >= 2, "{:?}", in_runs.warnings);
        let ingress = in_runs.root.at(&["resource", "t", "x", "ingress"]).unwrap();
        assert!(ingress.items().len() > 1000);
    }

    /// An object of every kind of item and a tuple, each long enough to be parsed in runs.
    fn large_constructors(indent: &str) -> String {
        let mut object = String::from("{\n");
        let mut tuple = String::from("[");
        for i in 0..12_000 {
            let item = match i % 6 {
                0 => format!("k{i} = \"v{i}\" # }}"),
                1 => format!("\"quoted {i}\": {{\n  a = [1,\n 2]\n}},"),
                2 => format!("h{i} = <<EOT\n}}\nEOT"),
                3 => format!("(var.k{i}) = \"${{var.v}}-{i}\""),
                4 => format!("/* }} */ n{i} = {{ x = 1, y = \"]\" }}"),
                _ => format!("e{i} = var.x ? \"a\" : \"b\","),
            };
            object.push_str(&format!("{indent}  {item}\n"));
            tuple.push_str(&format!(
                "\"t{i}\", {{ a = {i} }},{}",
                if i % 7 == 0 { "\n" } else { " " }
            ));
        }
        object.push_str(indent);
        object.push('}');
        tuple.push(']');
        format!("{indent}m = {object}\n{indent}l = {tuple}\n")
    }

    #[test]
    fn large_objects_and_tuples_parsed_in_runs_are_the_constructors_parsed_whole() {
        // In a block, and at the top as in a `.tfvars` file.
        for text in [
            format!("locals {{\n  a = 1\n{}}}\n", large_constructors("  ")),
            format!("a = 1\n{}", large_constructors("")),
        ] {
            let statement = text
                .lines()
                .skip(1)
                .take_while(|l| !l.contains(" l = "))
                .count();
            assert!(statement > 10_000);
            let in_runs = file(&text, &Limits::default()).unwrap();
            let (whole, warnings) = parsed_whole(&text);
            assert_eq!(in_runs.root, whole);
            assert_eq!(in_runs.warnings, warnings);
        }
        // Both are cut, and parse in runs (else this would compare a whole parse with itself).
        let text = format!("a = 1\n{}", large_constructors(""));
        let at = text.find("\nl = ").unwrap();
        for statement in [&text[6..at], &text[at + 1..]] {
            let runs =
                super::super::hcl_split::constructor_runs(statement, Cut::default().run).unwrap();
            assert!(runs.runs.len() > 10);
            assert!(large_constructor(statement, 0, usize::MAX, Cut::default().run).is_some());
        }
    }

    /// Every `.tf` file under `dir`.
    fn tf_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                tf_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "tf") {
                out.push(path);
            }
        }
    }

    #[test]
    fn every_tf_fixture_parses_the_same_cut_at_every_statement_and_item() {
        // The cutting at its finest: every block, object and tuple, at every statement and
        // item. The repository's fixtures hold every construct the policies are tested on.
        let finest = Cut { over: 0, run: 1 };
        let mut files = Vec::new();
        tf_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"),
            &mut files,
        );
        assert!(files.len() > 100, "{}", files.len());
        let limits = Limits::default();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            match (file(&text, &limits), file_cut(&text, &limits, finest)) {
                (Ok(whole), Ok(cut)) => {
                    assert_eq!(whole.root, cut.root, "{}", path.display());
                    assert_eq!(whole.warnings, cut.warnings, "{}", path.display());
                }
                (Err(whole), Err(cut)) => assert_eq!(whole, cut, "{}", path.display()),
                (whole, cut) => panic!("{}: {whole:?} but cut {cut:?}", path.display()),
            }
        }
    }

    #[test]
    fn an_object_key_repeated_across_runs_is_reported_as_a_whole_parse_reports_it() {
        // Long values, few keys: the whole parse this falls back to is quadratic in them.
        let value = "v".repeat(40);
        let items: String = (0..7_000)
            .map(|i| format!("    k{i} = \"{value}\"\n"))
            .collect();
        assert!(items.len() > Cut::default().over);
        let text = format!("locals {{\n  m = {{\n{items}    k0 = \"last\"\n  }}\n}}\n");
        let parsed = file(&text, &Limits::default()).unwrap();
        let (whole, warnings) = parsed_whole(&text);
        assert_eq!(parsed.root, whole);
        assert_eq!(parsed.warnings, warnings);
        assert_eq!(parsed.warnings[0].kind, ParseErrorKind::DuplicateKey);
        let m = parsed.root.get("locals").unwrap().items()[0]
            .get("m")
            .unwrap();
        assert_eq!(m.get("k0").and_then(Node::as_str), Some("last"));
    }

    #[test]
    fn an_attribute_repeated_across_runs_is_reported_as_a_whole_parse_reports_it() {
        let mut text = large_block();
        let at = text.len() - "  last = false\n}\n".len();
        text.insert_str(at, "  tag_0 = \"again\"\n");
        let err = file(&text, &Limits::default()).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Syntax);
        assert!(
            err.message.contains("redefined attribute"),
            "{}",
            err.message
        );
        assert_eq!(err.span.start as usize, at + "  ".len());
    }

    #[test]
    fn a_large_block_whose_run_does_not_parse_is_reported_as_a_whole_parse_reports_it() {
        let mut text = large_block();
        let at = text.len() - "  last = false\n}\n".len();
        text.insert_str(at, "  broken = = 1\n");
        let err = file(&text, &Limits::default()).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Syntax);
        assert_eq!(err.span.start as usize, at + "  broken = ".len());
    }

    fn parse(text: &str) -> Node<'static> {
        expression(text, &Limits::default()).unwrap()
    }

    #[test]
    fn jsonencode_objects_become_the_documents_they_encode() {
        let text = r#"jsonencode({
  Version = "2012-10-17"
  Statement = [{
    Effect    = "Allow"
    Principal = { AWS = "arn:aws:iam::${var.account_id}:root" }
    Action    = ["sts:AssumeRole"]
    Condition = local.condition
  }]
})"#;
        let root = parse(text);
        assert_eq!(
            root.get("Version").and_then(Node::as_str),
            Some("2012-10-17")
        );
        let st = &root.get("Statement").unwrap().items()[0];
        let principal = st.at(&["Principal", "AWS"]).unwrap();
        assert_eq!(
            principal.as_str(),
            Some("arn:aws:iam::${var.account_id}:root")
        );
        // Positions are those of the text inside the call.
        let at = principal.span.start as usize;
        assert!(text[at..].starts_with("\"arn:aws:iam::"), "{}", &text[at..]);
        assert_eq!(
            st.get("Condition").and_then(Node::as_str),
            Some("${local.condition}")
        );
        assert_eq!(st.get("Effect").and_then(Node::as_str), Some("Allow"));
    }

    #[test]
    fn literals_calls_and_errors() {
        assert_eq!(parse("true").value, Value::Bool(true));
        assert_eq!(parse("12").value, Value::Number(Text::borrowed("12")));
        assert_eq!(parse("null").value, Value::Null);
        assert_eq!(parse("merge(a, b)").as_str(), Some("${merge(a, b)}"));
        assert_eq!(parse("\"a\\\"b\"").as_str(), Some("a\"b"));
        let err = expression("{ a = ", &Limits::default()).unwrap_err();
        assert!(err.offset <= 6, "{err:?}");
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(expression(&deep, &Limits::default()).is_err());
    }
}
