//! The built-in policies, one file each (`<id>.rs` defining `pub struct <Id>`). A policy's docs
//! and metadata are in `policies/<ID>.toml`, its fixtures in `fixtures/<ID>/`; the list of
//! policies is generated from the TOML files, so there is no other place to register one.

// One module per policy, declared from `policies/*.toml` by build.rs (which fails the build
// when a TOML has no rule file or a rule file no TOML).
include!(concat!(env!("OUT_DIR"), "/rule_modules.rs"));

use super::Policy;

/// Every built-in policy, in ID order.
pub fn builtin() -> &'static [&'static dyn Policy] {
    static ALL: &[&dyn Policy] = include!(concat!(env!("OUT_DIR"), "/rule_list.rs"));
    ALL
}
