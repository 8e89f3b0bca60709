//! The lists of a tree (a sequence's items, a mapping's entries), and where a parse puts them.
//!
//! A large template's tree is mostly lists: bench/scale's 51 MB template has 1.4 million. Each
//! list on the heap is an allocation of its own, with a header and the allocator's size-class
//! rounding (about 22 bytes a list under mimalloc). Given an arena ([`Store::Arena`]), a parse
//! puts every list and every string it had to unescape into it instead: no header, no rounding,
//! one allocation per arena chunk, and the whole tree freed at once. Trees built or changed
//! after parsing (Terraform's evaluation, `Fn::ForEach` expansion, merged YAML mappings in a
//! heap parse) own their lists; a borrowed list becomes owned, as a shallow copy, the first
//! time it is changed ([`List::make_mut`]).

use std::fmt;
use std::ops::Deref;

use bumpalo::Bump;
use thin_vec::ThinVec;

use super::node::{Entry, Node, Text};

/// A list of a tree: borrowed from the arena its document was parsed into, or owned. Reads as
/// a slice. Two words, as a `&[T]` is.
pub struct List<'a, T>(Repr<'a, T>);

enum Repr<'a, T> {
    /// In the arena the document was parsed into.
    Borrowed(&'a [T]),
    /// Built or changed after parsing.
    Owned(ThinVec<T>),
}

impl<'a, T> List<'a, T> {
    /// An empty list (allocates nothing).
    pub fn new() -> List<'a, T> {
        List(Repr::Borrowed(&[]))
    }

    /// The items.
    pub fn as_slice(&self) -> &[T] {
        self
    }

    /// Whether the list lives in an arena (it is copied the first time it is changed).
    pub fn is_borrowed(&self) -> bool {
        matches!(self.0, Repr::Borrowed(_))
    }
}

impl<T: Clone> List<'_, T> {
    /// The list to change: a borrowed list is copied first (its items are cloned: for a tree
    /// from an arena, each a copy of a few words).
    pub fn make_mut(&mut self) -> &mut ThinVec<T> {
        if let Repr::Borrowed(items) = self.0 {
            self.0 = Repr::Owned(items.iter().cloned().collect());
        }
        match &mut self.0 {
            Repr::Owned(items) => items,
            Repr::Borrowed(_) => unreachable!("made owned above"),
        }
    }

    /// The items, owned.
    pub fn into_thin_vec(self) -> ThinVec<T> {
        match self.0 {
            Repr::Borrowed(items) => items.iter().cloned().collect(),
            Repr::Owned(items) => items,
        }
    }
}

impl<T> Deref for List<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.0 {
            Repr::Borrowed(items) => items,
            Repr::Owned(items) => items,
        }
    }
}

impl<T> Default for List<'_, T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T: Clone> Clone for List<'_, T> {
    /// A borrowed list's copy borrows the same items (a YAML alias of a large anchor costs two
    /// words); an owned list is cloned.
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Borrowed(items) => List(Repr::Borrowed(items)),
            Repr::Owned(items) => List(Repr::Owned(items.clone())),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for List<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for List<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl<T> From<ThinVec<T>> for List<'_, T> {
    fn from(items: ThinVec<T>) -> Self {
        List(Repr::Owned(items))
    }
}

impl<T> From<Vec<T>> for List<'_, T> {
    fn from(items: Vec<T>) -> Self {
        List(Repr::Owned(ThinVec::from(items)))
    }
}

impl<T> FromIterator<T> for List<'_, T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List(Repr::Owned(iter.into_iter().collect()))
    }
}

impl<'l, T> IntoIterator for &'l List<'_, T> {
    type Item = &'l T;
    type IntoIter = std::slice::Iter<'l, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T: Clone> IntoIterator for List<'_, T> {
    type Item = T;
    type IntoIter = thin_vec::IntoIter<T>;
    /// The items by value (a borrowed list's are cloned).
    fn into_iter(self) -> Self::IntoIter {
        self.into_thin_vec().into_iter()
    }
}

/// Where a parse puts the lists and unescaped strings of the tree it builds.
#[derive(Clone, Copy, Default)]
pub enum Store<'a> {
    /// Each list its own allocation: trees that are changed after parsing (Terraform's) or
    /// kept beyond their file's check.
    #[default]
    Heap,
    /// In an arena that outlives the tree: the tree owns nothing, and dropping it is free.
    Arena(&'a Bump),
}

impl<'a> Store<'a> {
    /// A list of exactly `items`.
    pub(crate) fn list<T: Held>(self, items: impl ExactSizeIterator<Item = T>) -> List<'a, T> {
        match self {
            Store::Heap => List(Repr::Owned(items.collect())),
            Store::Arena(arena) => {
                let items: &'a [T] = arena.alloc_slice_fill_iter(items);
                // The arena never drops what it holds: an owned string or list in it would
                // leak. Every string of an arena parse goes through `text`.
                debug_assert!(items.iter().all(|i| !i.holds_heap()));
                List(Repr::Borrowed(items))
            }
        }
    }

    /// `text` as the tree keeps it: moved as is onto the heap, copied into the arena.
    pub(crate) fn text(self, text: String) -> Text<'a> {
        match self {
            Store::Heap => Text::owned(text),
            Store::Arena(arena) => Text::borrowed(arena.alloc_str(&text)),
        }
    }

    /// A parser's scratch stack of the items of its open collections, with room for `items`
    /// when the tree goes to an arena (a large file). The stack holds every item of the
    /// largest open collection at once (a template's `Resources`: 280,000 entries of 56 bytes
    /// in bench/scale's 51 MB template); grown by doubling, the buffers it left behind were
    /// 22 MiB of a parse's 234 MiB peak. Reserved at once, the pages it never fills are never
    /// touched.
    pub(crate) fn scratch<T>(self, items: usize) -> Vec<T> {
        match self {
            Store::Heap => Vec::new(),
            Store::Arena(_) => Vec::with_capacity(items),
        }
    }

    /// A copy of `text` as the tree keeps it.
    pub(crate) fn copy(self, text: &str) -> Text<'a> {
        match self {
            Store::Heap => Text::owned(text.to_string()),
            Store::Arena(arena) => Text::borrowed(arena.alloc_str(text)),
        }
    }
}

/// What the arena may hold: items whose own parts are borrowed (checked in debug builds).
pub(crate) trait Held {
    /// Whether the item itself owns heap memory (not looking into its lists' items, which
    /// were checked when their list was stored).
    fn holds_heap(&self) -> bool;
}

impl Held for Node<'_> {
    fn holds_heap(&self) -> bool {
        use super::node::Value;
        match &self.value {
            Value::String(s) | Value::Number(s) => s.is_owned(),
            Value::Seq(items) => !items.is_borrowed(),
            Value::Map(entries) => !entries.is_borrowed(),
            Value::Null | Value::Bool(_) => false,
        }
    }
}

impl Held for Entry<'_> {
    fn holds_heap(&self) -> bool {
        self.key.is_owned() || self.value.holds_heap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn scalar(s: &str) -> Node<'_> {
        Node::new(
            Span::empty(0),
            super::super::Value::String(Text::borrowed(s)),
        )
    }

    #[test]
    fn a_list_is_two_words() {
        assert_eq!(std::mem::size_of::<List<'_, Node<'_>>>(), 16);
    }

    #[test]
    fn a_borrowed_list_is_copied_when_changed_and_its_arena_is_untouched() {
        let arena = Bump::new();
        let store = Store::Arena(&arena);
        let list = store.list([scalar("a"), scalar("b")].into_iter());
        assert!(list.is_borrowed());
        let mut changed = list.clone();
        changed.make_mut().push(scalar("c"));
        assert!(!changed.is_borrowed());
        assert_eq!(changed.len(), 3);
        assert_eq!(list.len(), 2);
        assert_eq!(list[1], scalar("b"));
    }

    #[test]
    fn a_heap_store_owns_its_lists_and_strings() {
        let list = Store::Heap.list([scalar("a")].into_iter());
        assert!(!list.is_borrowed());
        assert!(Store::Heap.text("x".to_string()).is_owned());
        let arena = Bump::new();
        assert!(Store::Arena(&arena).text("x".to_string()).is_borrowed());
    }
}
