//! The binary's memory allocator: mimalloc for everything but large blocks, which are mapped
//! from the operating system on their own (Linux).
//!
//! Why large blocks go around mimalloc: the binary keeps the memory mimalloc frees (see
//! `keep_freed_memory` in `main.rs`: returning it made every reuse fault it in again), and a
//! large block freed is rarely reused. A 51 MB template's check frees the parser's scratch
//! stacks (16 MiB), the findings vector's buffers at each doubling (12, 6, 3... MiB) and more
//! such blocks; kept, they were 28 MiB of its 332 MiB peak. Mapped on their own, a freed block
//! goes back to the system at once, and a growing one is moved by the kernel (`mremap`) instead
//! of copied, so its old and new buffers are never resident together. Blocks this large are
//! few (none in a check of one small template), so the system calls cost nothing measurable:
//! bench/scale's shapes and ../shared/corpus took the same time, the 51 MB template peaked at
//! 304 MiB instead of 332.

use std::alloc::{GlobalAlloc, Layout};

/// mimalloc's `mi_option_purge_delay` (its index in `mi_option_t`, mimalloc v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed memory before returning it to the OS (milliseconds; -1:
/// never). By default it returns it soon, and every later reuse faults the memory in again,
/// zeroed: with transparent huge pages, that zeroing was 40% of checking one 50,000-resource
/// template; with base pages it is still 2-6% of checking large inputs (bench/scale's 51 MB
/// template and 4x `.tf` directory).
pub fn keep_freed_memory(delay_ms: i32) {
    // SAFETY: `mi_option_set` only stores the value (an option index and a plain integer),
    // and mimalloc reads options thread-safely.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay_ms.into()) }
}

/// Gives the memory freed while it is armed back to the OS, whatever [`keep_freed_memory`]
/// said, when it is dropped. For one large drop followed by more growth: a template's IAM
/// statements (36 MiB of bench/scale's 51 MB template) are dropped before the policies that
/// do not read them add their findings, and the memory mimalloc kept was not reused for those
/// (other size classes): that check peaked at 273 MiB, and 253 with this.
///
/// Declare it before what is to be dropped (locals drop in reverse order), arm it just before
/// the drop. Other threads that free memory meanwhile return theirs too. Its drop walks this
/// thread's heap: for large inputs only. Harmless when mimalloc is not the global allocator
/// (it then holds nothing to return).
#[derive(Default)]
pub struct ReturnFreed {
    /// The purge delay to put back, once armed.
    kept: Option<std::ffi::c_long>,
}

impl ReturnFreed {
    /// From now until this is dropped, memory freed goes back to the system at once.
    pub fn arm(&mut self) {
        if self.kept.is_none() {
            // SAFETY: options are plain integers, read thread-safely.
            unsafe {
                self.kept = Some(libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY));
                libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
            }
        }
    }
}

impl Drop for ReturnFreed {
    fn drop(&mut self) {
        if let Some(kept) = self.kept {
            // SAFETY: `mi_collect` only frees what this thread's heap no longer uses; options
            // are plain integers, read thread-safely.
            unsafe {
                libmimalloc_sys::mi_collect(true);
                libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, kept);
            }
        }
    }
}

/// Blocks of at least this many bytes are mapped on their own. Measured on bench/scale's
/// large shapes: 256 KiB and 1 MiB gave the same peaks, 4 MiB kept 10 MiB more of the 51 MB
/// template's; below 1 MiB, more of a many-file check's blocks would pay a system call.
pub const MAPPED_FROM: usize = 1 << 20;

/// mimalloc, with blocks of [`MAPPED_FROM`] bytes and more mapped on their own (Linux; other
/// systems use mimalloc for everything).
pub struct Allocator;

/// Whether a block of `size` bytes aligned to `align` is mapped on its own. A layout's size
/// and alignment decide it, so a block is freed by whoever allocated it.
fn mapped(size: usize, align: usize) -> bool {
    cfg!(target_os = "linux") && size >= MAPPED_FROM && align <= PAGE
}

/// The alignment a mapping always has (pages are at least this large).
const PAGE: usize = 4096;

// SAFETY: every block is allocated, resized and freed by the same party, chosen by
// `mapped(size, align)` of its layout: mimalloc's blocks by mimalloc, mapped blocks by
// mmap/mremap/munmap (page-aligned, which satisfies any alignment up to `PAGE`).
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if mapped(layout.size(), layout.align()) {
            os::map(layout.size())
        } else {
            // SAFETY: the caller's contract (a layout of non-zero size) is passed on.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if mapped(layout.size(), layout.align()) {
            // A fresh anonymous mapping reads as zeros.
            os::map(layout.size())
        } else {
            // SAFETY: as in `alloc`.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if mapped(layout.size(), layout.align()) {
            // SAFETY: `ptr` was mapped with this size (its layout says so).
            unsafe { os::unmap(ptr, layout.size()) }
        } else {
            // SAFETY: `ptr` came from mimalloc with this layout.
            unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let (was, will) = (
            mapped(layout.size(), layout.align()),
            mapped(new_size, layout.align()),
        );
        match (was, will) {
            // SAFETY: `ptr` was mapped with the old size.
            (true, true) => unsafe { os::remap(ptr, layout.size(), new_size) },
            // SAFETY: `ptr` came from mimalloc with this layout; the new size is mimalloc's.
            (false, false) => unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) },
            // SAFETY: `ptr` holds `layout.size()` bytes; the caller guarantees `new_size` is
            // a valid size for the alignment.
            _ => unsafe { move_between(self, ptr, layout, new_size) },
        }
    }
}

/// A block moved between mimalloc and a mapping of its own (it crossed [`MAPPED_FROM`]).
///
/// # Safety
/// `ptr` is a block of `allocator` with `layout`, and `new_size` rounded up to the alignment
/// does not overflow `isize`.
unsafe fn move_between(
    allocator: &Allocator,
    ptr: *mut u8,
    layout: Layout,
    new_size: usize,
) -> *mut u8 {
    // SAFETY: the caller guarantees the size is valid for the alignment.
    let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
    // SAFETY: `new_layout` has a non-zero size (it is on the other side of `MAPPED_FROM`
    // from a non-zero one, or at least `MAPPED_FROM`).
    let new = unsafe { allocator.alloc(new_layout) };
    if !new.is_null() {
        // SAFETY: both blocks hold at least the smaller size and do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            allocator.dealloc(ptr, layout);
        }
    }
    new
}

#[cfg(target_os = "linux")]
mod os {
    //! Anonymous private mappings, sized in whole pages.

    use std::ptr::null_mut;

    /// `size` rounded up to whole pages (the kernel would round it so; rounding here keeps
    /// the lengths given to mmap, mremap and munmap the same).
    fn pages(size: usize) -> usize {
        size.div_ceil(super::PAGE) * super::PAGE
    }

    /// A zeroed mapping of `size` bytes, or null.
    pub(super) fn map(size: usize) -> *mut u8 {
        // SAFETY: a new anonymous private mapping touches no existing memory.
        let p = unsafe {
            libc::mmap(
                null_mut(),
                pages(size),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            null_mut()
        } else {
            p.cast()
        }
    }

    /// Give a mapping back to the system.
    ///
    /// # Safety
    /// `ptr` was returned by [`map`] or [`remap`] for `size` bytes and is not used again.
    pub(super) unsafe fn unmap(ptr: *mut u8, size: usize) {
        // SAFETY: the caller's contract. Unmapping a mapping we made cannot fail.
        unsafe { libc::munmap(ptr.cast(), pages(size)) };
    }

    /// The mapping at `ptr` resized to `new_size` bytes, moved by the kernel when it cannot
    /// grow in place (its pages are moved, not copied), or null (the old one is then intact).
    ///
    /// # Safety
    /// `ptr` was returned by [`map`] or [`remap`] for `size` bytes.
    pub(super) unsafe fn remap(ptr: *mut u8, size: usize, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract; MREMAP_MAYMOVE keeps the contents.
        let p = unsafe {
            libc::mremap(
                ptr.cast(),
                pages(size),
                pages(new_size),
                libc::MREMAP_MAYMOVE,
            )
        };
        if p == libc::MAP_FAILED {
            null_mut()
        } else {
            p.cast()
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    //! Never used: `mapped` is false on other systems.

    pub(super) fn map(_: usize) -> *mut u8 {
        unreachable!("blocks are mapped on their own on Linux only")
    }

    pub(super) unsafe fn unmap(_: *mut u8, _: usize) {
        unreachable!("blocks are mapped on their own on Linux only")
    }

    pub(super) unsafe fn remap(_: *mut u8, _: usize, _: usize) -> *mut u8 {
        unreachable!("blocks are mapped on their own on Linux only")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block of `size` bytes from the allocator, filled with a pattern of its offsets.
    fn filled(size: usize) -> (*mut u8, Layout) {
        let layout = Layout::from_size_align(size, 8).unwrap();
        // SAFETY: a layout of non-zero size.
        let p = unsafe { Allocator.alloc(layout) };
        assert!(!p.is_null());
        for i in 0..size {
            // SAFETY: within the block.
            unsafe { p.add(i).write(i as u8) };
        }
        (p, layout)
    }

    /// Whether the first `len` bytes at `p` still hold the pattern of [`filled`].
    fn holds_pattern(p: *mut u8, len: usize) -> bool {
        // SAFETY: the caller's block holds at least `len` bytes.
        (0..len).all(|i| unsafe { p.add(i).read() } == i as u8)
    }

    #[test]
    fn a_block_keeps_its_bytes_across_every_resize_over_and_under_the_threshold() {
        // Small in mimalloc, grown past the threshold (copied into a mapping), grown again
        // (remapped), shrunk within mappings, shrunk back under (copied into mimalloc).
        let (mut p, mut layout) = filled(1000);
        let mut kept = 1000;
        for size in [
            3 * MAPPED_FROM,
            9 * MAPPED_FROM + 5,
            2 * MAPPED_FROM,
            MAPPED_FROM / 2,
            700,
        ] {
            // SAFETY: `p` is a block of `layout`; the size is valid for alignment 8.
            p = unsafe { Allocator.realloc(p, layout, size) };
            assert!(!p.is_null(), "resized to {size}");
            kept = kept.min(size);
            assert!(holds_pattern(p, kept), "bytes lost resizing to {size}");
            layout = Layout::from_size_align(size, 8).unwrap();
            for i in kept..size {
                // SAFETY: within the resized block.
                unsafe { p.add(i).write(i as u8) };
            }
            kept = size;
        }
        // SAFETY: `p` is a block of `layout`.
        unsafe { Allocator.dealloc(p, layout) };
    }

    #[test]
    fn a_zeroed_block_reads_as_zeros_on_either_side_of_the_threshold() {
        for size in [64, MAPPED_FROM - 1, MAPPED_FROM, 3 * MAPPED_FROM + 1] {
            let layout = Layout::from_size_align(size, 16).unwrap();
            // SAFETY: a layout of non-zero size.
            let p = unsafe { Allocator.alloc_zeroed(layout) };
            assert!(!p.is_null());
            assert_eq!(p as usize % 16, 0);
            // SAFETY: within the block.
            assert!(
                (0..size)
                    .step_by(4093)
                    .all(|i| unsafe { p.add(i).read() } == 0)
            );
            // SAFETY: `p` is a block of `layout`.
            unsafe { Allocator.dealloc(p, layout) };
        }
    }

    #[test]
    fn alignments_beyond_a_page_stay_with_mimalloc() {
        assert!(!mapped(4 * MAPPED_FROM, 2 * PAGE));
        let layout = Layout::from_size_align(4 * MAPPED_FROM, 2 * PAGE).unwrap();
        // SAFETY: a layout of non-zero size.
        let p = unsafe { Allocator.alloc(layout) };
        assert_eq!(p as usize % (2 * PAGE), 0);
        // SAFETY: `p` is a block of `layout`.
        unsafe { Allocator.dealloc(p, layout) };
    }
}
