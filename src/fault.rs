//! Faults inside tripline itself: a panic in a policy, a parser or Guard becomes an INTERNAL001
//! finding for that file (the other files and policies go on), and the panic hook stays quiet
//! about panics caught that way.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};

thread_local! {
    static CHECKING: Cell<bool> = const { Cell::new(false) };
}

/// Run `f`, catching a panic as a check does (quietly: the caller reports it).
pub(crate) fn catch_quietly<R>(f: impl FnOnce() -> R) -> std::thread::Result<R> {
    let before = CHECKING.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CHECKING.with(|c| c.set(before));
    result
}

/// Install a panic hook that stays quiet for panics caught while checking a file (they are
/// reported as INTERNAL001 findings) and defers to the previous hook otherwise.
pub fn quiet_panics_during_checks() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !CHECKING.with(Cell::get) {
            previous(info);
        }
    }));
}

/// Mark the current thread as checking a file (its panics are caught and reported) or not.
pub(crate) fn set_checking(on: bool) {
    CHECKING.with(|c| c.set(on));
}

/// What a caught panic said.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
