//! Loading YAML and JSON into a [`Node`] tree that keeps the byte span of every node.
//!
//! Both loaders enforce the same [`Limits`], so hostile input (alias bombs, deeply nested
//! documents) ends in a clear error rather than an exhausted machine.

pub mod hcl;
pub mod json;
mod libyaml;
mod node;
pub mod yaml;

pub use node::{Entry, Node, Value};

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
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 128,
            max_alias_nodes: 100_000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    pub kind: ParseErrorKind,
    pub message: String,
    pub span: Span,
}

impl ParseError {
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
    pub root: Node<'a>,
    pub warnings: Vec<ParseError>,
}

/// Tracks keys already seen in one mapping. Small mappings (nearly all) scan linearly; large ones
/// (a `Resources` section with hundreds of entries) switch to a hash set so that loading stays
/// linear.
#[derive(Default)]
pub(crate) struct KeySet {
    set: Option<std::collections::HashSet<String>>,
}

const KEYSET_LINEAR_MAX: usize = 16;

impl KeySet {
    /// Returns true when `key` was already present in `entries`.
    pub(crate) fn seen_before(&mut self, entries: &[Entry<'_>], key: &str) -> bool {
        if let Some(set) = &mut self.set {
            return !set.insert(key.to_string());
        }
        let dup = entries.iter().any(|e| e.key == key);
        if entries.len() >= KEYSET_LINEAR_MAX {
            let mut set: std::collections::HashSet<String> =
                entries.iter().map(|e| e.key.to_string()).collect();
            set.insert(key.to_string());
            self.set = Some(set);
        }
        dup
    }
}
