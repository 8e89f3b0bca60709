//! Helpers several policies share, by subject.

pub mod authored;
pub mod buckets;
pub mod cluster_audit;
pub mod grants;
pub mod properties;
pub mod regions;
