//! tripline: an offline linter that checks CloudFormation and Terraform templates against a
//! security baseline (region restriction, root-user usage, logging, detective-control
//! protection).
//!
//! The library is layered: [`parse`] loads YAML/JSON into span-keeping trees, [`model`]
//! recognizes templates and normalizes their resources, [`policy`] holds the baseline checks,
//! [`engine`] runs them on one file, [`walk`] finds files, [`report`] writes results. The
//! `tripline` binary is a thin command line over [`run`].

#![deny(missing_docs)]

pub mod allocator;
pub mod baseline;
pub mod cache;
mod cdk;
pub mod cli;
pub mod config;
pub mod coverage;
pub mod engine;
pub mod fault;
pub mod file_report;
pub mod fix;
pub mod git_tree;
pub mod guard;
pub mod guardrails;
pub mod lsp;
pub mod output;
pub mod printer;
pub mod project;
pub mod project_root;
pub mod report;
pub mod run;
pub mod shard;
mod suppress;
pub mod suppress_foreign;
pub mod walk;

pub use tripline_model as model;
pub use tripline_model::terraform_dir;
pub use tripline_policy as policy;
pub use tripline_policy::finding;
pub use tripline_syntax::{parse, source, wildcard};
