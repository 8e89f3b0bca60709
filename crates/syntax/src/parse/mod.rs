//! Loading YAML and JSON into a [`Node`] tree that keeps the byte span of every node.
//!
//! Both loaders enforce the same [`Limits`], so hostile input (alias bombs, deeply nested
//! documents) ends in a clear error rather than an exhausted machine.

pub mod hcl;
pub mod hcl_expr;
mod hcl_split;
pub mod json;
mod libyaml;
mod list;
mod node;
mod packed;
mod store;
mod text;
pub mod yaml;

pub use bumpalo::Bump;
pub use list::List;
pub use node::{Entry, Node, Text, ThinVec, Value, borrowed};
pub use store::Store;

use crate::source::Span;

/// Bounds on what a document may cost to load.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences accepted. Real templates stay below 40; the
    /// bound keeps recursive consumers of the tree well inside the stack.
    pub max_depth: usize,
    /// Most nodes that YAML aliases may add to a document in total (the "billion laughs"
    /// guard). Each alias use copies its anchored node, so this bounds memory too.
    pub max_alias_nodes: usize,
    /// Most text (keys and scalars, in bytes) that YAML aliases may add to a document in total:
    /// a few nodes can carry a megabyte each, so counting nodes alone lets a small file expand
    /// to gigabytes.
    pub max_alias_bytes: usize,
    /// Largest native-syntax (`.tf`) text parsed at once: a top-level block the scan cannot
    /// cut into statements, or one statement. hcl-edit's tree takes about 130 times its text in
    /// memory (measured on 100,000 attributes and on long traversal chains), so the general
    /// file-size bound does not bound memory for `.tf`; files are parsed a block at a time and
    /// large blocks a run of statements at a time, and this keeps any one parse near 2 GiB at
    /// worst. The same configuration as `.tf.json`, or as a plan, has no such cost.
    pub max_hcl_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 128,
            max_alias_nodes: 100_000,
            max_alias_bytes: 64 * 1024 * 1024,
            max_hcl_bytes: 16 * 1024 * 1024,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// What kind of problem a parse error is (each maps to a PARSE policy).
pub enum ParseErrorKind {
    /// Not well-formed YAML or JSON.
    Syntax,
    /// A mapping repeats a key; the document is still loaded (the last value wins).
    DuplicateKey,
    /// The document exceeds a [`Limits`] bound.
    Limit,
    /// A construct the target does not accept (a YAML merge key, `Resources` that is not a
    /// mapping); the document is still loaded and checked as far as it can be.
    Unsupported,
}

/// A problem found while loading a document, with the span it concerns.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What kind of problem it is.
    pub kind: ParseErrorKind,
    /// What is wrong, for people.
    pub message: String,
    /// Where it is.
    pub span: Span,
}

impl ParseError {
    /// An error of `kind` at `span`.
    pub fn new(kind: ParseErrorKind, message: impl Into<String>, span: Span) -> ParseError {
        ParseError {
            kind,
            message: message.into(),
            span,
        }
    }
}

/// A loaded document and the non-fatal problems met on the way.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The document's root.
    pub root: Node<'a>,
    /// Problems that did not stop the parse (reported as findings).
    pub warnings: Vec<ParseError>,
}

/// Tracks keys already seen in one mapping. Small mappings (nearly all) scan linearly; large ones
/// (a `Resources` section with hundreds of entries) switch to a hash table so that loading stays
/// linear.
#[derive(Default)]
pub(crate) struct KeySet {
    /// Each key as its index among the mapping's entries, with 32 bits of its hash: growing
    /// the table never reads the keys again (for a mapping of 800,000 keys, rehashing them
    /// meant a cache miss per key per doubling), and an entry is 8 bytes. Hashed with foldhash
    /// (randomly seeded per process), not `std`'s SipHash: hashing was a fifth of loading such
    /// a mapping.
    table: Option<(
        hashbrown::HashTable<(u32, u32)>,
        hashbrown::DefaultHashBuilder,
    )>,
}

const KEYSET_LINEAR_MAX: usize = 16;

/// A table hash from the 32 bits kept: hashbrown takes the bucket from the low bits and a
/// tag from the top seven.
fn widened(hash: u32) -> u64 {
    u64::from(hash) << 32 | u64::from(hash)
}

impl KeySet {
    /// Returns true when `key` is the key of one of `entries` (the mapping's entries so far,
    /// which it will be pushed after).
    pub(crate) fn seen_before(&mut self, entries: &[Entry<'_>], key: &Text<'_>) -> bool {
        use std::hash::BuildHasher;
        if let Some((table, state)) = &mut self.table {
            let hash = state.hash_one(&**key) as u32;
            let found = table.entry(
                widened(hash),
                |&(i, h)| h == hash && entries[i as usize].key == *key,
                |&(_, h)| widened(h),
            );
            return match found {
                hashbrown::hash_table::Entry::Occupied(_) => true,
                hashbrown::hash_table::Entry::Vacant(slot) => {
                    slot.insert((entries.len() as u32, hash));
                    false
                }
            };
        }
        let dup = entries.iter().any(|e| e.key == *key);
        if entries.len() >= KEYSET_LINEAR_MAX {
            let state = hashbrown::DefaultHashBuilder::default();
            let mut table = hashbrown::HashTable::with_capacity(entries.len() * 2);
            for (i, k) in entries.iter().map(|e| &e.key).chain([key]).enumerate() {
                let hash = state.hash_one(&**k) as u32;
                let first = table.find(widened(hash), |&(at, h): &(u32, u32)| {
                    h == hash && entries[at as usize].key == *k
                });
                if first.is_none() {
                    table.insert_unique(widened(hash), (i as u32, hash), |&(_, h)| widened(h));
                }
            }
            self.table = Some((table, state));
        }
        dup
    }
}

/// Whether a file name is Terraform native syntax (`.tf`, or OpenTofu's `.tofu`).
pub fn is_hcl_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tf") || lower.ends_with(".tofu")
}

/// Whether text starts like a JSON object or array (after a byte-order mark and whitespace):
/// what decides JSON over YAML, and that a document has no comments.
pub fn looks_like_json(text: &str) -> bool {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = body.bytes().find(|b| !b.is_ascii_whitespace());
    matches!(first, Some(b'{' | b'['))
}

/// Load text as JSON or YAML. JSON is tried first when the text starts like a JSON object or
/// array (our JSON loader is faster and its errors are clearer); a file that is not JSON after
/// all falls back to YAML unless its name says `.json`.
pub fn load<'a>(text: &'a str, name: &str, limits: &Limits) -> Result<Parsed<'a>, ParseError> {
    load_into(text, name, Store::Heap, limits)
}

/// [`load`] into `store`. Native-syntax (`.tf`) trees are always on the heap: Terraform's
/// evaluation changes them in place.
pub fn load_into<'a>(
    text: &'a str,
    name: &str,
    store: Store<'a>,
    limits: &Limits,
) -> Result<Parsed<'a>, ParseError> {
    if is_hcl_name(name) {
        return hcl::file(text, limits);
    }
    if looks_like_json(text) {
        match json::parse_into(text, store, limits) {
            Ok(p) => return Ok(p),
            Err(e) if name.to_ascii_lowercase().ends_with(".json") => return Err(e),
            Err(e) => {
                return yaml::parse_into(text, store, limits).map_err(|_| e);
            }
        }
    }
    yaml::parse_into(text, store, limits)
}

/// UTF-16 text, by its byte-order mark or, without one, by the zero high bytes of ASCII text
/// in its first code units: the decoded text (or the index of the first unpaired surrogate)
/// and the encoding's name. `None` for anything else.
pub fn decode_utf16(bytes: &[u8]) -> Option<(Result<String, usize>, &'static str)> {
    let (body, little, name) = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        // FF FE 00 00 is UTF-32 LE, which is not handled here.
        if rest.starts_with(&[0, 0]) {
            return None;
        }
        (rest, true, "UTF-16 LE (with byte-order mark)")
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (rest, false, "UTF-16 BE (with byte-order mark)")
    } else {
        let units: Vec<&[u8]> = bytes.chunks_exact(2).take(64).collect();
        if units.len() < 2 || !bytes.len().is_multiple_of(2) {
            return None;
        }
        let ascii_le = units.iter().all(|u| u[1] == 0 && u[0] != 0 && u[0] < 0x80);
        let ascii_be = units.iter().all(|u| u[0] == 0 && u[1] != 0 && u[1] < 0x80);
        match (ascii_le, ascii_be) {
            (true, _) => (bytes, true, "UTF-16 LE"),
            (_, true) => (bytes, false, "UTF-16 BE"),
            _ => return None,
        }
    };
    let units = body.chunks_exact(2).map(|u| {
        if little {
            u16::from_le_bytes([u[0], u[1]])
        } else {
            u16::from_be_bytes([u[0], u[1]])
        }
    });
    let mut out = String::with_capacity(body.len() / 2);
    for (i, c) in char::decode_utf16(units).enumerate() {
        match c {
            Ok(c) => out.push(c),
            Err(_) => return Some((Err(i), name)),
        }
    }
    Some((Ok(out), name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    /// A tree parsed into an arena is the tree parsed onto the heap, escapes, short forms,
    /// merge keys and aliases included; only where its lists live differs.
    #[test]
    fn a_tree_in_an_arena_is_the_tree_on_the_heap() {
        let yaml = "base: &b {A: 1, \"B\\u0041\": 'it''s'}\nuse: {<<: *b, C: !GetAtt \"R\\u0041.Arn\"}\n\
                    again: *b\nl: [!Sub x, !Rain::Embed y, \"\\t\", {k: ~}]\n";
        let json = r#"{"a": ["x\n", {"k\u0041": 1.5e3}], "b": {}, "c": [], "d": null}"#;
        for (text, name) in [(yaml, "t.yaml"), (json, "t.json")] {
            let arena = Bump::new();
            let heap = load(text, name, &Limits::default()).unwrap();
            let in_arena = load_into(text, name, Store::Arena(&arena), &Limits::default()).unwrap();
            assert_eq!(heap.root, in_arena.root, "{name}");
            assert_eq!(heap.warnings, in_arena.warnings, "{name}");
            assert!(!in_arena.root.entries().is_empty());
            assert!(matches!(&in_arena.root.value, Value::Map(l) if l.is_borrowed()));
        }
    }

    /// Whatever the mapping's size (below, at and past where the table takes over) and
    /// wherever a key repeats (an early key again after the switch, a repeat of a repeat), a
    /// key is reported seen exactly when an earlier entry has it.
    #[test]
    fn keys_are_seen_before_exactly_when_an_earlier_entry_has_them() {
        let orders: Vec<Vec<usize>> = vec![
            (0..60).collect(),
            (0..16).chain([3]).chain(16..40).collect(),
            (0..15).chain([0]).chain(15..40).collect(),
            (0..30).chain([2, 29, 2, 17]).chain(30..35).collect(),
            (0..40).map(|i| i % 7).collect(),
        ];
        for order in orders {
            let mut entries: Vec<Entry<'_>> = Vec::new();
            let mut keys = KeySet::default();
            for (at, k) in order.iter().enumerate() {
                let key: Text<'_> = Text::owned(format!("K{k}"));
                let expected = order[..at].contains(k);
                assert_eq!(
                    keys.seen_before(&entries, &key),
                    expected,
                    "{order:?} at {at}"
                );
                entries.push(Entry {
                    key,
                    key_span: Span::empty(0),
                    value: Node::new(Span::empty(0), Value::Null),
                });
            }
        }
    }
}
