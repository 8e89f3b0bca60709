//! The `tripline` binary: the allocator, then the command line ([`tripline::cli`]).

use std::process::ExitCode;

use tripline::cli::Cli;

// mimalloc instead of the system allocator: parsing and Guard's evaluation allocate and free
// small values at a high rate; glibc's malloc/free were ~40% of a Guard run's profile, and a
// Guard run takes ~45% less CPU with mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its index in `mi_option_t`, mimalloc v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long mimalloc keeps freed memory before returning it to the OS (milliseconds; -1:
/// never). A check returns it after mimalloc's default 10 ms: memory freed by one stage (the
/// IAM statements, a parser's scratch stacks) is of other size classes than what the next
/// stage allocates, so kept, it is mostly not reused and only raises the peak. Measured
/// against never returning it (fifth session): the 51 MB template 333 -> 299 MiB for 1.68 ->
/// 1.76 s CPU, 170,000 `.tf` resources 301 -> 244 MiB for 1.68 -> 1.73 s, a directory of 40
/// `.tf` configurations 123 -> 96 MiB for 0.65 -> 0.72 s, 2,000 real templates 22 -> 20 MiB
/// in the same time. (Never returning it was chosen when transparent huge pages made each
/// fault zero 2 MiB; `base_pages` turns them off.) The language server lives long and gives
/// memory back after a second.
fn return_freed_memory_after(delay_ms: i32) {
    // SAFETY: `mi_option_set` only stores the value (an option index and a plain integer),
    // and mimalloc reads options thread-safely; it is called before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay_ms.into()) }
}

/// Fault memory in base pages, not transparent huge pages (Linux). mimalloc reserves a 1 GiB
/// arena and commits it eagerly, so with huge pages every first touch zeroes 2 MiB, touched or
/// not: a check of ../shared/corpus peaked at 55 MiB instead of 24, of 40,000 `.tf` resources
/// at 133 instead of 118, of one small file at 15 instead of 13, in the same CPU time. Only the
/// largest templates pay, in more (smaller) page faults: about 10% of the wall time of a 14 MB
/// template (0.64 -> 0.72 s), where huge pages also stalled a 51 MB template's check by up to a
/// second of system time, compacting memory to find them.
fn base_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE only sets a flag of this process's memory map.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    base_pages();
    let cli = Cli::from_env();
    return_freed_memory_after(if cli.is_language_server() { 1000 } else { 10 });
    cli.run()
}
