//! Where a parse puts the lists and unescaped strings of the tree it builds: each list its own
//! heap allocation, or all of them in one arena (see `list.rs` for why).

use bumpalo::Bump;

use super::list::List;
use super::node::{Entry, Node, Text, Value};

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
            Store::Heap => List::from(items.collect::<thin_vec::ThinVec<T>>()),
            Store::Arena(arena) => {
                let items: &'a [T] = arena.alloc_slice_fill_iter(items);
                // The arena never drops what it holds: an owned string or list in it would
                // leak. Every string of an arena parse goes through `text` or `copy`.
                debug_assert!(items.iter().all(|i| !i.holds_heap()));
                List::in_arena(items)
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
    /// largest open collection at once (a template's `Resources`: 280,000 entries of 44 bytes
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
        Node::new(Span::empty(0), Value::String(Text::borrowed(s)))
    }

    #[test]
    fn an_arena_store_borrows_its_lists_and_strings_and_a_heap_store_owns_them() {
        let arena = Bump::new();
        let store = Store::Arena(&arena);
        let list = store.list([scalar("a"), scalar("b")].into_iter());
        assert!(list.is_borrowed());
        assert_eq!(list[1], scalar("b"));
        assert!(store.text("x".to_string()).is_borrowed());
        assert!(store.copy("x").is_borrowed());
        assert!(!Store::Heap.list([scalar("a")].into_iter()).is_borrowed());
        assert!(Store::Heap.text("x".to_string()).is_owned());
        assert!(Store::Heap.copy("x").is_owned());
    }
}
