//! The syntax layer of tripline: source text and positions ([`source`]), span-keeping trees for
//! YAML, JSON and HCL with format sniffing ([`parse`]), and the `*`/`?` wildcard matcher shared by
//! IAM and suppressions ([`wildcard`]). Nothing here knows what a template is.

#![deny(missing_docs)]

pub mod parse;
pub mod source;
pub mod wildcard;
