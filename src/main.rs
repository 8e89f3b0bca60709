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
/// never). By default it returns it after 10 ms, and with transparent huge pages every later
/// reuse faults the memory in again, 2 MiB zeroed at a time: that zeroing was 40% of checking
/// one 50,000-resource template. A check is a short-lived process whose memory peaks once, so
/// it keeps what it freed; the language server lives long and gives memory back when idle.
fn keep_freed_memory(delay_ms: i32) {
    // SAFETY: `mi_option_set` only stores the value (an option index and a plain integer),
    // and mimalloc reads options thread-safely; it is called before any other thread exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, delay_ms.into()) }
}

fn main() -> ExitCode {
    let cli = Cli::from_env();
    keep_freed_memory(if cli.is_language_server() { 1000 } else { -1 });
    cli.run()
}
