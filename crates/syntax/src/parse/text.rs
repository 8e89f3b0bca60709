//! [`Text`]: the keys and scalars of a tree, borrowed from the source where they need no
//! unescaping, owned otherwise; 12 bytes, aligned to 4.
//!
//! Why not `Cow<str>` (24 bytes) or `beef`'s lean `Cow` (16, aligned to 8): the tree is most of
//! a large template's memory (bench/scale's 51 MB template: 2 million entries), and every
//! value and key holds a `Text`. At 12 bytes and 4-byte alignment, with [`super::List`] the
//! same, a `Value` takes 16 bytes, a `Node` 24 and an `Entry` 44, where they took 24, 32 and
//! 56. An owned text is a `Box<str>` (its capacity is its length): owned texts are few
//! (unescaped strings, values computed by Terraform's evaluation) and never grow.

use std::borrow::{Borrow, Cow};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Deref;

use super::packed::PackedPtr;

/// The bit of `Text::len` that marks an owned text.
const OWNED: u32 = 1 << 31;

/// A key or scalar of a tree: a `&'a str`, or an owned string. Reads as a `str`.
pub struct Text<'a> {
    raw: Raw,
    _borrows: PhantomData<&'a str>,
}

/// A text's pointer and length, which frees an owned text's bytes when dropped. Apart from
/// [`Text`] so that the drop does not involve `'a`: a `Text<'a>` may be dropped after what it
/// borrows from, as a `&'a str` may (a template's statements are kept in a cell that they
/// borrow from).
struct Raw {
    ptr: PackedPtr<u8>,
    /// The length in bytes, with [`OWNED`] set when the text owns its bytes.
    len: u32,
}

// SAFETY: a `Text` is a `&str` or a `Box<str>`, both `Send` and `Sync`.
unsafe impl Send for Raw {}
// SAFETY: as above.
unsafe impl Sync for Raw {}

impl<'a> Text<'a> {
    /// `text`, borrowed. Texts are bounded by the file-size limit (at most 2 GiB - 1 bytes).
    pub fn borrowed(text: &'a str) -> Text<'a> {
        Text {
            raw: Raw {
                ptr: PackedPtr::new(text.as_ptr()),
                len: length(text),
            },
            _borrows: PhantomData,
        }
    }

    /// `text`, owned (its spare capacity is given back).
    pub fn owned(text: String) -> Text<'a> {
        let len = length(&text) | OWNED;
        let boxed: *mut str = Box::into_raw(text.into_boxed_str());
        Text {
            raw: Raw {
                ptr: PackedPtr::new(boxed.cast::<u8>()),
                len,
            },
            _borrows: PhantomData,
        }
    }

    /// Whether the text is borrowed from the source.
    pub fn is_borrowed(&self) -> bool {
        self.raw.len & OWNED == 0
    }

    /// Whether the text owns its bytes.
    pub fn is_owned(&self) -> bool {
        !self.is_borrowed()
    }

    /// The text, as a `str`.
    pub fn as_str(&self) -> &str {
        self.raw.as_str()
    }

    /// The borrowed text with the lifetime of the source, or `None` when the text is owned.
    pub fn as_borrowed(&self) -> Option<&'a str> {
        // SAFETY: a borrowed text's bytes live for `'a`.
        self.is_borrowed().then(|| unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                self.raw.ptr.get(),
                self.raw.len as usize,
            ))
        })
    }

    /// The text as a `String` (an owned text's bytes are moved, not copied).
    pub fn into_owned(self) -> String {
        if self.is_borrowed() {
            return self.as_str().to_string();
        }
        let this = std::mem::ManuallyDrop::new(self);
        // SAFETY: an owned text's bytes are a `Box<str>` of this length, and `this` is never
        // dropped, so the box is taken once.
        unsafe { this.raw.take_box() }.into_string()
    }
}

impl Raw {
    /// The text.
    fn as_str(&self) -> &str {
        // SAFETY: `ptr` and the length came from a `str` that lives as long as `self` (the
        // borrowed one for the text's `'a`, the owned one until `self` drops it).
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(
                self.ptr.get(),
                (self.len & !OWNED) as usize,
            ))
        }
    }

    /// The owned text's box.
    ///
    /// # Safety
    /// The text is owned, and is not used (or dropped) afterwards.
    unsafe fn take_box(&self) -> Box<str> {
        let bytes = std::ptr::slice_from_raw_parts_mut(
            self.ptr.get().cast_mut(),
            (self.len & !OWNED) as usize,
        );
        // SAFETY: the caller's contract; `bytes` is the `Box<str>` `owned` made.
        unsafe { Box::from_raw(bytes as *mut str) }
    }
}

/// The length of `text` as a [`Text`] keeps it.
fn length(text: &str) -> u32 {
    u32::try_from(text.len())
        .ok()
        .filter(|&len| len & OWNED == 0)
        .expect("a text of at most 2 GiB - 1 bytes (files are bounded far below)")
}

impl Drop for Raw {
    fn drop(&mut self) {
        if self.len & OWNED != 0 {
            // SAFETY: the text is owned and is being dropped.
            drop(unsafe { self.take_box() });
        }
    }
}

impl Clone for Text<'_> {
    /// A borrowed text's copy borrows the same bytes; an owned text is copied.
    fn clone(&self) -> Self {
        if self.is_borrowed() {
            Text {
                raw: Raw {
                    ptr: self.raw.ptr,
                    len: self.raw.len,
                },
                _borrows: PhantomData,
            }
        } else {
            Text::owned(self.as_str().to_string())
        }
    }
}

impl Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl Default for Text<'_> {
    fn default() -> Self {
        Text::borrowed("")
    }
}

impl<'a> From<&'a str> for Text<'a> {
    fn from(text: &'a str) -> Self {
        Text::borrowed(text)
    }
}

impl From<String> for Text<'_> {
    fn from(text: String) -> Self {
        Text::owned(text)
    }
}

impl<'a> From<Cow<'a, str>> for Text<'a> {
    fn from(text: Cow<'a, str>) -> Self {
        match text {
            Cow::Borrowed(text) => Text::borrowed(text),
            Cow::Owned(text) => Text::owned(text),
        }
    }
}

impl fmt::Debug for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text<'_> {}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text<'_> {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text<'_>> for str {
    fn eq(&self, other: &Text<'_>) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text<'_>> for &str {
    fn eq(&self, other: &Text<'_>) -> bool {
        *self == other.as_str()
    }
}

impl Hash for Text<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialOrd for Text<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_twelve_bytes_aligned_to_four() {
        assert_eq!(std::mem::size_of::<Text<'_>>(), 12);
        assert_eq!(std::mem::align_of::<Text<'_>>(), 4);
    }

    #[test]
    fn borrowed_and_owned_texts_read_compare_clone_and_give_up_their_bytes() {
        let source = String::from("Statement");
        let borrowed = Text::borrowed(&source[..4]);
        let owned = Text::owned(String::from("Stat"));
        assert!(borrowed.is_borrowed() && owned.is_owned());
        assert_eq!(borrowed, owned);
        assert_eq!(&*borrowed, "Stat");
        assert_eq!(borrowed.as_borrowed(), Some("Stat"));
        assert_eq!(owned.as_borrowed(), None);
        let copy = owned.clone();
        assert!(copy.is_owned());
        assert_ne!(copy.as_ptr(), owned.as_ptr());
        assert_eq!(borrowed.clone().as_ptr(), source.as_ptr());
        assert_eq!(owned.into_owned(), "Stat");
        assert_eq!(borrowed.into_owned(), "Stat");
        assert_eq!(copy, "Stat");
        assert_eq!(Text::owned(String::new()), "");
        assert_eq!(Text::default(), "");
    }
}
