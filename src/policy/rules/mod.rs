//! The built-in policies, one file each. A policy's docs and metadata are in `policies/<ID>.toml`,
//! its fixtures in `fixtures/<ID>/`.

mod det001;
mod det002;
mod det003;
mod det004;
mod det005;
mod det006;
mod det007;
mod det008;
mod det009;
mod det010;
mod det011;
mod log001;
mod log002;
mod log003;
mod log004;
mod log005;
mod log006;
mod log007;
mod log008;
mod log009;
mod log010;
mod log011;
mod log012;
mod log013;
mod log014;
mod log015;
mod log016;
mod log017;
mod log018;
mod log019;
mod log020;
mod reg001;
mod reg002;
mod reg003;
mod reg004;
mod reg005;
mod reg006;
mod reg007;
mod reg008;
mod root001;
mod root002;
mod root003;
mod root004;
mod root005;
mod root006;
mod root007;
mod root008;
mod root009;
mod root010;
pub(crate) mod support;

use super::Policy;

/// Every built-in policy, in ID order.
pub fn builtin() -> &'static [&'static dyn Policy] {
    static ALL: &[&dyn Policy] = &[
        &det001::Det001,
        &det002::Det002,
        &det003::Det003,
        &det004::Det004,
        &det005::Det005,
        &det006::Det006,
        &det007::Det007,
        &det008::Det008,
        &det009::Det009,
        &det010::Det010,
        &det011::Det011,
        &log001::Log001,
        &log002::Log002,
        &log003::Log003,
        &log004::Log004,
        &log005::Log005,
        &log006::Log006,
        &log007::Log007,
        &log008::Log008,
        &log009::Log009,
        &log010::Log010,
        &log011::Log011,
        &log012::Log012,
        &log013::Log013,
        &log014::Log014,
        &log015::Log015,
        &log016::Log016,
        &log017::Log017,
        &log018::Log018,
        &log019::Log019,
        &log020::Log020,
        &reg001::Reg001,
        &reg002::Reg002,
        &reg003::Reg003,
        &reg004::Reg004,
        &reg005::Reg005,
        &reg006::Reg006,
        &reg007::Reg007,
        &reg008::Reg008,
        &root001::Root001,
        &root002::Root002,
        &root003::Root003,
        &root004::Root004,
        &root005::Root005,
        &root006::Root006,
        &root007::Root007,
        &root008::Root008,
        &root009::Root009,
        &root010::Root010,
    ];
    ALL
}
