//! A pointer kept in four-byte-aligned storage, so that the tree's strings and lists take 12
//! bytes instead of 16: a pointer alone would align them (and `Value`, `Node`, `Entry`) to 8.

/// A pointer stored as two 32-bit words. Reading it back is an unaligned read; nothing
/// borrows it in place.
pub(crate) struct PackedPtr<T>([u32; 2], std::marker::PhantomData<*const T>);

// Copied whatever `T` is (a derive would ask `T: Copy`).
impl<T> Clone for PackedPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for PackedPtr<T> {}

impl<T> PackedPtr<T> {
    /// `ptr`, packed.
    pub(crate) fn new(ptr: *const T) -> PackedPtr<T> {
        let mut words = [0u32; 2];
        // SAFETY: `words` is 8 bytes, a pointer's size on the 64-bit targets this crate
        // builds for (checked below); the write is unaligned on purpose.
        unsafe { words.as_mut_ptr().cast::<*const T>().write_unaligned(ptr) };
        PackedPtr(words, std::marker::PhantomData)
    }

    /// The pointer.
    pub(crate) fn get(self) -> *const T {
        // SAFETY: the words hold a pointer written by `new`.
        unsafe { self.0.as_ptr().cast::<*const T>().read_unaligned() }
    }
}

// The packing assumes 8-byte pointers.
const _: () = assert!(std::mem::size_of::<*const u8>() == 8);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_pointer_is_two_words_aligned_to_four_and_reads_back() {
        assert_eq!(std::mem::size_of::<PackedPtr<u64>>(), 8);
        assert_eq!(std::mem::align_of::<PackedPtr<u64>>(), 4);
        let x = 7u64;
        assert_eq!(PackedPtr::new(&x).get(), &x as *const u64);
    }
}
