//! The byte encoding of cache files: little-endian integers and length-prefixed strings,
//! written and read field by field (a directory's entries are read at every run, so this is
//! on the hot path of a cached run; JSON took a quarter of it).
//!
//! A [`Writer`] puts its bytes in a [`Sink`]: a buffer, a counter (to size a buffer exactly
//! before filling it) or a cache file being written (`trust::TaggedFile`), so that a large
//! directory's file is never a second copy in memory of what its entries already hold.

/// Where a [`Writer`]'s bytes go.
pub(super) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// Counts the bytes an encoding takes, writing none.
#[derive(Debug, Default)]
pub(super) struct Count(pub(super) usize);

impl Sink for Count {
    fn put(&mut self, bytes: &[u8]) {
        self.0 += bytes.len();
    }
}

/// Writes the fields of a cache file into `S`.
pub(super) struct Writer<S>(pub(super) S);

impl<S: Sink> Writer<S> {
    pub(super) fn u8(&mut self, v: u8) {
        self.0.put(&[v]);
    }
    pub(super) fn u32(&mut self, v: u32) {
        self.0.put(&v.to_le_bytes());
    }
    pub(super) fn u64(&mut self, v: u64) {
        self.0.put(&v.to_le_bytes());
    }
    pub(super) fn usize(&mut self, v: usize) {
        self.u64(v as u64);
    }
    pub(super) fn bytes(&mut self, b: &[u8]) {
        self.usize(b.len());
        self.0.put(b);
    }
    pub(super) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }
    pub(super) fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.u8(1);
                self.str(s);
            }
            None => self.u8(0),
        }
    }
}

/// Reads what [`Writer`] wrote; every read fails (`None`) past the end, so a truncated or
/// corrupt file is a miss, never a panic.
pub(super) struct Reader<'b> {
    pub(super) bytes: &'b [u8],
}

impl<'b> Reader<'b> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        if n > self.bytes.len() {
            return None;
        }
        let (head, rest) = self.bytes.split_at(n);
        self.bytes = rest;
        Some(head)
    }
    pub(super) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub(super) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    pub(super) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    pub(super) fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }
    pub(super) fn bytes(&mut self) -> Option<&'b [u8]> {
        let n = self.usize()?;
        self.take(n)
    }
    pub(super) fn str(&mut self) -> Option<&'b str> {
        std::str::from_utf8(self.bytes()?).ok()
    }
    pub(super) fn opt_str(&mut self) -> Option<Option<&'b str>> {
        match self.u8()? {
            0 => Some(None),
            1 => Some(Some(self.str()?)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_is_the_length_of_what_is_written() {
        fn fields<S: Sink>(w: &mut Writer<S>) {
            w.u8(1);
            w.u32(2);
            w.usize(3);
            w.str("four");
            w.opt_str(None);
            w.opt_str(Some("six"));
        }
        let mut count = Writer(Count::default());
        fields(&mut count);
        let mut buffer = Writer(Vec::new());
        fields(&mut buffer);
        assert_eq!(count.0.0, buffer.0.len());
        let mut r = Reader { bytes: &buffer.0 };
        assert_eq!(r.u8(), Some(1));
        assert_eq!(r.u32(), Some(2));
        assert_eq!(r.usize(), Some(3));
        assert_eq!(r.str(), Some("four"));
        assert_eq!(r.opt_str(), Some(None));
        assert_eq!(r.opt_str(), Some(Some("six")));
        assert_eq!(r.u8(), None);
    }
}
