//! The lists of a tree (a sequence's items, a mapping's entries).
//!
//! A large template's tree is mostly lists: bench/scale's 51 MB template has 1.4 million. Each
//! list on the heap is an allocation of its own, with a header and the allocator's size-class
//! rounding (about 22 bytes a list under mimalloc). Given an arena (`Store::Arena`), a parse
//! puts every list and every string it had to unescape into it instead: no header, no rounding,
//! one allocation per arena chunk, and the whole tree freed at once. Trees built or changed
//! after parsing (Terraform's evaluation, `Fn::ForEach` expansion, merged YAML mappings in a
//! heap parse) own their lists; a borrowed list becomes owned, as a shallow copy, the first
//! time it is changed ([`List::make_mut`]).

use std::fmt;
use std::ops::Deref;

use thin_vec::ThinVec;

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

    /// A list of `items` in an arena (see `Store`).
    pub(crate) fn in_arena(items: &'a [T]) -> List<'a, T> {
        List(Repr::Borrowed(items))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_two_words() {
        assert_eq!(std::mem::size_of::<List<'_, [u64; 4]>>(), 16);
    }

    #[test]
    fn a_borrowed_list_is_copied_when_changed_and_what_it_borrows_is_untouched() {
        let items = [1, 2];
        let list = List::in_arena(&items);
        assert!(list.is_borrowed());
        let mut changed = list.clone();
        changed.make_mut().push(3);
        assert!(!changed.is_borrowed());
        assert_eq!(*changed, [1, 2, 3]);
        assert_eq!(*list, [1, 2]);
        assert_eq!(items, [1, 2]);
    }
}
