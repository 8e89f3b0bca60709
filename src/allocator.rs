//! Memory the check gives back to the system: how long mimalloc (the binary's allocator) keeps
//! what is freed, and giving a large file's memory back as soon as it is freed.
//!
//! Why this is not a wrapping allocator that maps large blocks on its own (tried: it returned
//! a freed large block at once and grew one with `mremap`, and the 51 MB template peaked 28
//! MiB lower): any `GlobalAlloc` of our own around mimalloc, even one that passed every call
//! through, made hcl-edit's parse of a 42 MB `.tf` file take 18% more CPU (its parser
//! allocates and frees small error values at a very high rate), where mimalloc's own
//! `GlobalAlloc` does not. Giving freed memory back for large files only costs them 2-6%.

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

/// While armed, memory freed goes back to the OS at once, whatever [`keep_freed_memory`]
/// said; when dropped, this thread's heap gives back what it holds unused. The engine arms
/// one for the check of a large file: a file's check frees large things and then grows again
/// (the parser's stacks after the parse; a template's IAM statements, dropped before the
/// policies that do not read them add their findings), and memory mimalloc kept is not
/// reused for what comes next (other size classes). bench/scale's 51 MB template peaked at
/// 305 MB without it, 253 with it.
///
/// Armed guards are counted: the delay is set when the first is armed and put back when the
/// last is dropped (two large files checked at once). Other threads that free memory
/// meanwhile return theirs too. Harmless when mimalloc is not the global allocator (it then
/// holds nothing to return).
#[derive(Default)]
pub struct ReturnFreed {
    armed: bool,
}

/// How many [`ReturnFreed`] are armed, and the delay to put back when none is.
static ARMED: std::sync::Mutex<(usize, std::ffi::c_long)> = std::sync::Mutex::new((0, -1));

impl ReturnFreed {
    /// From now until this is dropped, memory freed goes back to the system at once.
    pub fn arm(&mut self) {
        if self.armed {
            return;
        }
        self.armed = true;
        let mut armed = ARMED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if armed.0 == 0 {
            // SAFETY: options are plain integers, read thread-safely.
            unsafe {
                armed.1 = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
                libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
            }
        }
        armed.0 += 1;
    }
}

impl Drop for ReturnFreed {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        // SAFETY: `mi_collect` only frees what this thread's heap no longer uses.
        unsafe { libmimalloc_sys::mi_collect(true) };
        let mut armed = ARMED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        armed.0 -= 1;
        if armed.0 == 0 {
            // SAFETY: options are plain integers, read thread-safely.
            unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, armed.1) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delay() -> std::ffi::c_long {
        // SAFETY: reads a plain integer option.
        unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }
    }

    #[test]
    fn the_delay_is_put_back_when_the_last_of_overlapping_guards_is_dropped() {
        keep_freed_memory(-1);
        let mut first = ReturnFreed::default();
        let mut second = ReturnFreed::default();
        let unarmed = ReturnFreed::default();
        assert_eq!(delay(), -1);
        first.arm();
        assert_eq!(delay(), 0);
        second.arm();
        second.arm();
        drop(first);
        assert_eq!(delay(), 0, "one guard is still armed");
        drop(unarmed);
        drop(second);
        assert_eq!(delay(), -1);
    }
}
