//! AWS managed policies, as far as tripline's policies need them.
//!
//! `ManagedPolicyArns: [arn:aws:iam::aws:policy/PowerUserAccess]` is as real a grant as an
//! inline document. The table (`policies/aws-managed/managed-policies.json`) is derived by
//! `policies/aws-managed/generate.py` from a snapshot of AWS's published documents: for each
//! policy, its unconditional statements over the services the DET and ROOT families look at.
//! Attached managed policies are read as documents through the same IAM model as inline ones.

use std::sync::OnceLock;

use serde::Deserialize;

const TABLE: &str = include_str!("../../policies/aws-managed/managed-policies.json");

#[derive(Deserialize)]
struct Table {
    snapshot: String,
    policies: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    name: String,
    document: serde_json::Value,
}

struct Loaded {
    snapshot: String,
    /// Sorted by name: (name, document as JSON text).
    policies: Vec<(String, String)>,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let table: Table = serde_json::from_str(TABLE)
            .expect("the embedded managed-policy table is valid (tested)");
        let mut policies: Vec<(String, String)> = table
            .policies
            .into_iter()
            .map(|e| (e.name, e.document.to_string()))
            .collect();
        policies.sort();
        Loaded {
            snapshot: table.snapshot,
            policies,
        }
    })
}

/// The date of the newest policy version in the table's snapshot (for `explain`).
pub(crate) fn snapshot_date() -> &'static str {
    &loaded().snapshot
}

/// How many AWS managed policies the table knows to grant something tripline asks about.
pub fn count() -> usize {
    loaded().policies.len()
}

/// The (compacted) document of an AWS managed policy by name, as JSON text; `None` for a
/// policy that grants nothing tripline asks about, or that the snapshot does not have.
pub fn document(name: &str) -> Option<(&'static str, &'static str)> {
    let all = &loaded().policies;
    all.binary_search_by(|(n, _)| n.as_str().cmp(name))
        .ok()
        .map(|i| (all[i].0.as_str(), all[i].1.as_str()))
}

/// The name of the AWS managed policy an ARN names (`arn:aws:iam::aws:policy/service-role/X`
/// → `X`), whatever the partition; `None` for customer-managed policies.
pub(crate) fn name_of_arn(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":iam::aws:policy/")?;
    let name = rest.rsplit('/').next()?;
    (!name.is_empty() && !crate::model::has_unknown(name)).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_loads_and_knows_the_policies_that_matter() {
        assert!(count() > 100);
        assert!(snapshot_date().starts_with("20"));
        for name in [
            "AdministratorAccess",
            "PowerUserAccess",
            "AWSCloudTrail_FullAccess",
            "CloudWatchEventsFullAccess",
            "IAMFullAccess",
        ] {
            assert!(document(name).is_some(), "{name} missing from the table");
        }
        // Read-only policies grant nothing tripline asks about.
        assert!(document("ReadOnlyAccess").is_none());
        assert!(document("AmazonS3ReadOnlyAccess").is_none());
    }

    #[test]
    fn arns_name_managed_policies_in_any_partition() {
        assert_eq!(
            name_of_arn("arn:aws:iam::aws:policy/PowerUserAccess"),
            Some("PowerUserAccess")
        );
        assert_eq!(
            name_of_arn("arn:aws-us-gov:iam::aws:policy/service-role/AWSConfigRole"),
            Some("AWSConfigRole")
        );
        let partial = format!(
            "arn:{}:iam::aws:policy/IAMFullAccess",
            crate::model::UNKNOWN_MARK
        );
        assert_eq!(name_of_arn(&partial), Some("IAMFullAccess"));
        assert_eq!(name_of_arn("arn:aws:iam::123456789012:policy/Mine"), None);
    }
}
