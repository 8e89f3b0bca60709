//! The `tripline` binary: the allocator, then the command line ([`tripline::cli`]).

use std::process::ExitCode;

use tripline::cli::Cli;

// mimalloc instead of the system allocator: parsing and Guard's evaluation allocate and free
// small values at a high rate; glibc's malloc/free were ~40% of a Guard run's profile, and a
// Guard run takes ~45% less CPU with mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    // A check is a short-lived process whose memory peaks once: it keeps what it frees (but
    // see `tripline::allocator::ReturnFreed`); the language server lives long and gives
    // memory back when idle.
    tripline::allocator::keep_freed_memory(if cli.is_language_server() { 1000 } else { -1 });
    cli.run()
}
