//! The document tree both parsers produce: JSON-like values where every node knows its span.
//!
//! Strings borrow from the source text where the parser can (no escapes), so a template's tree
//! costs little more than the text itself.
//!
//! The tree is most of a large template's memory (a 51 MB template: 2 million entries), so its
//! parts are kept small: strings are [`Text`] and sequences and mappings [`List`]s, each 12
//! bytes aligned to 4 (see `text.rs`). A [`Value`] is 16 bytes, a [`Node`] 24 and an [`Entry`]
//! 44, where `std`'s `Cow` and `Vec` made them 40 and 72.

use std::borrow::Cow;

pub use thin_vec::ThinVec;

pub use super::list::List;
use crate::source::Span;

pub use super::text::Text;

/// The text of `t` with the lifetime of what it borrows from (`None` when it owns its text).
pub fn borrowed<'a>(t: &Text<'a>) -> Option<&'a str> {
    t.as_borrowed()
}

#[derive(Clone, Debug, PartialEq)]
/// A value in a parsed document, with the byte span of its text.
pub struct Node<'a> {
    /// Where the value is written (for a mapping or list, its whole extent).
    pub span: Span,
    /// The value.
    pub value: Value<'a>,
}

#[derive(Clone, Debug, PartialEq)]
/// A value: YAML, JSON and HCL all load into these.
pub enum Value<'a> {
    /// `null`, `~` or an empty YAML value.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// The number's source text: templates compare numbers rarely, and keeping the text avoids
    /// float rounding in messages.
    Number(Text<'a>),
    /// A string (YAML plain scalars that are not numbers, booleans or null included).
    String(Text<'a>),
    /// A sequence, in order.
    Seq(List<'a, Node<'a>>),
    /// A mapping, keys in document order.
    Map(List<'a, Entry<'a>>),
}

#[derive(Clone, Debug, PartialEq)]
/// One key of a mapping with its value.
pub struct Entry<'a> {
    /// The key.
    pub key: Text<'a>,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: Node<'a>,
}

impl<'a> Node<'a> {
    /// A node of `value` at `span`.
    pub fn new(span: Span, value: Value<'a>) -> Node<'a> {
        Node { span, value }
    }

    /// The entries of a mapping, or none.
    pub fn entries(&self) -> &[Entry<'a>] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node<'a>] {
        match &self.value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// Whether the node is a mapping.
    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Whether the node is a sequence.
    pub fn is_seq(&self) -> bool {
        matches!(self.value, Value::Seq(_))
    }

    /// The value under `key` in a mapping (exact, case-sensitive, as CloudFormation is).
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry of a mapping with this key.
    pub fn entry(&self, key: &str) -> Option<&Entry<'a>> {
        // Later duplicates win, as in most YAML loaders; duplicates themselves are reported by
        // the parser.
        self.entries().iter().rev().find(|e| e.key == key)
    }

    /// Follow a path of mapping keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node<'a>> {
        let mut node = self;
        for key in path {
            node = node.get(key)?;
        }
        Some(node)
    }

    /// The text of a string scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any scalar (strings, numbers, booleans), the way CloudFormation coerces
    /// scalars to strings.
    pub fn scalar_text(&self) -> Option<Cow<'_, str>> {
        match &self.value {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Number(n) => Some(Cow::Borrowed(n)),
            Value::Bool(true) => Some(Cow::Borrowed("true")),
            Value::Bool(false) => Some(Cow::Borrowed("false")),
            _ => None,
        }
    }

    /// A single-key mapping is how intrinsic functions are written in long form; returns the
    /// key and its argument.
    pub fn single_entry(&self) -> Option<&Entry<'a>> {
        match self.entries() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// A copy that owns all its strings, for trees parsed from a temporary buffer (policy
    /// documents embedded as JSON strings).
    pub fn into_owned(self) -> Node<'static> {
        let value = match self.value {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Number(n) => Value::Number(Text::owned(n.into_owned())),
            Value::String(s) => Value::String(Text::owned(s.into_owned())),
            Value::Seq(items) => Value::Seq(items.into_iter().map(Node::into_owned).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|e| Entry {
                        key: Text::owned(e.key.into_owned()),
                        key_span: e.key_span,
                        value: e.value.into_owned(),
                    })
                    .collect(),
            ),
        };
        Node {
            span: self.span,
            value,
        }
    }

    /// Give every node of the tree the same span: used for trees parsed out of an embedded
    /// string, whose inner offsets mean nothing in the file.
    /// Move every span of the tree (node and key spans) through `f`: a tree parsed from text
    /// embedded in a file is given the file's positions.
    pub fn remap(&mut self, f: &dyn Fn(Span) -> Span) {
        self.span = f(self.span);
        match &mut self.value {
            Value::Seq(items) => items.make_mut().iter_mut().for_each(|n| n.remap(f)),
            Value::Map(entries) => entries.make_mut().iter_mut().for_each(|e| {
                e.key_span = f(e.key_span);
                e.value.remap(f);
            }),
            _ => {}
        }
    }

    /// Move every span of the tree `by` bytes later (a tree parsed from a slice, placed where
    /// the slice is).
    pub fn shift(&mut self, by: u32) {
        let moved = |s: Span| Span {
            start: s.start + by,
            end: s.end + by,
        };
        self.span = moved(self.span);
        match &mut self.value {
            Value::Seq(items) => items.make_mut().iter_mut().for_each(|n| n.shift(by)),
            Value::Map(entries) => {
                for e in entries.make_mut() {
                    e.key_span = moved(e.key_span);
                    e.value.shift(by);
                }
            }
            _ => {}
        }
    }

    /// Move the node and everything under it to `span` (text generated from another place).
    pub fn respan(&mut self, span: Span) {
        self.span = span;
        match &mut self.value {
            Value::Seq(items) => items.make_mut().iter_mut().for_each(|n| n.respan(span)),
            Value::Map(entries) => entries.make_mut().iter_mut().for_each(|e| {
                e.key_span = span;
                e.value.respan(span);
            }),
            _ => {}
        }
    }

    /// Bytes of text in the tree: its keys and scalars (used for limits).
    pub fn text_bytes(&self) -> usize {
        match &self.value {
            Value::Seq(items) => items.iter().map(Node::text_bytes).sum(),
            Value::Map(entries) => entries
                .iter()
                .map(|e| e.key.len() + e.value.text_bytes())
                .sum(),
            Value::Number(s) | Value::String(s) => s.len(),
            Value::Null | Value::Bool(_) => 0,
        }
    }

    /// Number of nodes in the tree (used for limits and statistics).
    pub fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|e| e.value.size()).sum(),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_and_entries_stay_small() {
        // What the tree costs per value: a change that grows these grows every large
        // template's memory by as much (bench/scale's 51 MB template holds 2 million entries).
        // A `Text` and a `List` are 12 bytes each (their own tests).
        assert_eq!(std::mem::size_of::<Value<'_>>(), 16);
        assert_eq!(std::mem::size_of::<Node<'_>>(), 24);
        assert_eq!(std::mem::size_of::<Entry<'_>>(), 44);
    }
}
