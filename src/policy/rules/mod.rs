//! The built-in policies, one file each. A policy's docs and metadata are in `policies/<ID>.toml`.

mod det001;
mod log001;
mod reg001;
mod root001;
pub(crate) mod support;

use super::Policy;

/// Every built-in policy, in ID order.
pub fn builtin() -> &'static [&'static dyn Policy] {
    static ALL: &[&dyn Policy] = &[
        &det001::Det001,
        &log001::Log001,
        &reg001::Reg001,
        &root001::Root001,
    ];
    ALL
}
