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
use std::marker::PhantomData;
use std::ops::Deref;

use thin_vec::ThinVec;

use super::packed::PackedPtr;

/// `List::len` of an owned list (whose length is its `ThinVec`'s).
const OWNED: u32 = u32::MAX;

/// A list of a tree: borrowed from the arena its document was parsed into, or owned. Reads as
/// a slice. 12 bytes aligned to 4 (see `text.rs` for why): a borrowed list is a pointer to its
/// first item and a length; an owned one a pointer to a boxed `ThinVec` (one more allocation
/// of a word, for lists built after parsing only), so that [`List::make_mut`] can lend it.
pub struct List<'a, T> {
    ptr: PackedPtr<T>,
    /// The number of items of a borrowed list, or [`OWNED`].
    len: u32,
    _holds: PhantomData<(&'a [T], Box<ThinVec<T>>)>,
}

// SAFETY: a `List` is a `&[T]` or a `Box<ThinVec<T>>`: sending it sends the one or the other.
unsafe impl<T: Send + Sync> Send for List<'_, T> {}
// SAFETY: as above; shared, it lends `&[T]` only.
unsafe impl<T: Sync> Sync for List<'_, T> {}

impl<'a, T> List<'a, T> {
    /// An empty list (allocates nothing).
    pub fn new() -> List<'a, T> {
        List::in_arena(&[])
    }

    /// The items.
    pub fn as_slice(&self) -> &[T] {
        self
    }

    /// A list of `items` in an arena (see `Store`).
    pub(crate) fn in_arena(items: &'a [T]) -> List<'a, T> {
        let len = u32::try_from(items.len())
            .ok()
            .filter(|&len| len != OWNED)
            .expect("a list of fewer than 4 billion items (files are bounded far below)");
        List {
            ptr: PackedPtr::new(items.as_ptr()),
            len,
            _holds: PhantomData,
        }
    }

    /// Whether the list lives in an arena (it is copied the first time it is changed).
    pub fn is_borrowed(&self) -> bool {
        self.len != OWNED
    }

    /// An owned list of `items`.
    fn owned(items: ThinVec<T>) -> List<'a, T> {
        List {
            ptr: PackedPtr::new(Box::into_raw(Box::new(items)).cast::<T>()),
            len: OWNED,
            _holds: PhantomData,
        }
    }

    /// An owned list's `ThinVec`.
    fn boxed(&self) -> *mut ThinVec<T> {
        debug_assert!(!self.is_borrowed());
        self.ptr.get().cast::<ThinVec<T>>().cast_mut()
    }
}

impl<T: Clone> List<'_, T> {
    /// The list to change: a borrowed list is copied first (its items are cloned: for a tree
    /// from an arena, each a copy of a few words).
    pub fn make_mut(&mut self) -> &mut ThinVec<T> {
        if self.is_borrowed() {
            *self = List::owned(self.iter().cloned().collect());
        }
        // SAFETY: an owned list's box lives as long as the list, and `&mut self` makes this
        // the only reference to it.
        unsafe { &mut *self.boxed() }
    }

    /// The items, owned.
    pub fn into_thin_vec(self) -> ThinVec<T> {
        if self.is_borrowed() {
            return self.iter().cloned().collect();
        }
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: the box is taken once: `this` is never dropped.
        *unsafe { Box::from_raw(this.boxed()) }
    }
}

impl<T> Deref for List<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        if self.is_borrowed() {
            // SAFETY: a borrowed list's items live for `'a`, beyond `&self`.
            unsafe { std::slice::from_raw_parts(self.ptr.get(), self.len as usize) }
        } else {
            // SAFETY: an owned list's box lives as long as the list.
            unsafe { &*self.boxed() }
        }
    }
}

impl<T> Drop for List<'_, T> {
    fn drop(&mut self) {
        if !self.is_borrowed() {
            // SAFETY: the list owns the box and is being dropped.
            drop(unsafe { Box::from_raw(self.boxed()) });
        }
    }
}

impl<T> Default for List<'_, T> {
    fn default() -> Self {
        List::new()
    }
}

impl<T: Clone> Clone for List<'_, T> {
    /// A borrowed list's copy borrows the same items (a YAML alias of a large anchor costs
    /// 12 bytes); an owned list is cloned.
    fn clone(&self) -> Self {
        if self.is_borrowed() {
            List {
                ptr: self.ptr,
                len: self.len,
                _holds: PhantomData,
            }
        } else {
            // SAFETY: an owned list's box lives as long as the list.
            List::owned(unsafe { &*self.boxed() }.clone())
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
        List::owned(items)
    }
}

impl<T> From<Vec<T>> for List<'_, T> {
    fn from(items: Vec<T>) -> Self {
        List::owned(ThinVec::from(items))
    }
}

impl<T> FromIterator<T> for List<'_, T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List::owned(iter.into_iter().collect())
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
    fn a_list_is_twelve_bytes_aligned_to_four() {
        assert_eq!(std::mem::size_of::<List<'_, [u64; 4]>>(), 12);
        assert_eq!(std::mem::align_of::<List<'_, [u64; 4]>>(), 4);
    }

    #[test]
    fn owned_lists_clone_change_and_give_up_their_items() {
        let mut list: List<'_, String> = vec![String::from("a")].into();
        assert!(!list.is_borrowed());
        let copy = list.clone();
        list.make_mut().push(String::from("b"));
        assert_eq!(*list, ["a", "b"]);
        assert_eq!(*copy, ["a"]);
        assert_eq!(list.into_thin_vec().len(), 2);
        assert!(List::<'_, String>::new().is_empty());
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
