//! The buckets detective controls log to (CloudTrail, Config), and how they are protected.

use crate::Context;
use crate::model::lookup::{Lookup, has_property, lookup};
use crate::model::refs::referrers;
use crate::model::{Resource, Template};
use crate::source::Span;

/// CloudTrail trail resource types.
pub(crate) const TRAIL_TYPES: &[&str] = &["AWS::CloudTrail::Trail", "aws_cloudtrail"];

/// S3 bucket resource types.
pub(crate) const BUCKET_TYPES: &[&str] = &["AWS::S3::Bucket", "aws_s3_bucket"];

/// The properties holding a bucket's physical name.
pub(crate) const BUCKET_NAME_KEYS: &[&str] = &["BucketName", "bucket"];

/// The buckets of this template that a CloudTrail trail delivers to.
pub(crate) fn trail_buckets<'t, 'a>(cx: &Context<'t, 'a>) -> Vec<&'t Resource<'a>> {
    let t = cx.template;
    cx.log_buckets()
        .trail
        .iter()
        .map(|&i| &t.resources[i])
        .collect()
}

/// The trails of the template that deliver to `bucket`, as related places ("the trail
/// `OrgTrail` delivers here").
pub(crate) fn trails_delivering_to(t: &Template<'_>, bucket: &Resource<'_>) -> Vec<(Span, String)> {
    referrers(
        t,
        bucket,
        BUCKET_NAME_KEYS,
        &["AWS::CloudTrail::Trail", "aws_cloudtrail"],
    )
    .into_iter()
    .map(|trail| {
        (
            trail.anchor,
            format!("the trail `{}` delivers its logs here", trail.id),
        )
    })
    .collect()
}

/// Whether a bucket has server access logging: CloudFormation `LoggingConfiguration`; Terraform
/// a `logging` block or an `aws_s3_bucket_logging` resource for it. `None` when unknown.
pub(crate) fn bucket_logs_access(t: &Template<'_>, bucket: &Resource<'_>) -> Option<bool> {
    if t.is_cloudformation() {
        return has_property(t, bucket, &["LoggingConfiguration"]);
    }
    if has_property(t, bucket, &["logging"]) != Some(false) {
        return has_property(t, bucket, &["logging"]);
    }
    Some(!referrers(t, bucket, BUCKET_NAME_KEYS, &["aws_s3_bucket_logging"]).is_empty())
}

const BLOCK_CFN: &[&str] = &[
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
];

const BLOCK_TF: &[&str] = &[
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// The public-access-block settings of a bucket that are not known to be on, or `None` when the
/// bucket's setting cannot be known. An account-wide block in the template covers every bucket.
pub(crate) fn bucket_public_access_gaps(
    t: &Template<'_>,
    bucket: &Resource<'_>,
) -> Option<Vec<&'static str>> {
    let all_on = |r: &Resource<'_>, keys: &'static [&'static str]| -> Option<Vec<&'static str>> {
        let mut gaps = Vec::new();
        for key in keys {
            let path: &[&str] = if t.is_cloudformation() {
                &["PublicAccessBlockConfiguration", key]
            } else {
                std::slice::from_ref(key)
            };
            let mut on = true;
            for hit in lookup(t, r, path) {
                match hit {
                    Lookup::Found(v) if v.val.as_bool() == Some(true) => {}
                    Lookup::Found(v) if !v.val.is_known() => return None,
                    Lookup::Unknown => return None,
                    _ => on = false,
                }
            }
            if !on {
                gaps.push(*key);
            }
        }
        Some(gaps)
    };
    if t.is_cloudformation() {
        return all_on(bucket, BLOCK_CFN);
    }
    if t.resources_of(&["aws_s3_account_public_access_block"])
        .any(|a| all_on(a, BLOCK_TF).is_some_and(|g| g.is_empty()))
    {
        return Some(Vec::new());
    }
    let blocks = referrers(
        t,
        bucket,
        BUCKET_NAME_KEYS,
        &["aws_s3_bucket_public_access_block"],
    );
    if blocks.is_empty() {
        return Some(BLOCK_TF.to_vec());
    }
    let mut best: Option<Vec<&'static str>> = None;
    for b in blocks {
        match all_on(b, BLOCK_TF) {
            None => return None,
            Some(g) if best.as_ref().is_none_or(|b| g.len() < b.len()) => best = Some(g),
            _ => {}
        }
    }
    best
}

/// Buckets of the template that receive CloudTrail logs or AWS Config history.
pub(crate) fn detective_buckets<'t, 'a>(cx: &Context<'t, 'a>) -> Vec<&'t Resource<'a>> {
    let t = cx.template;
    cx.log_buckets()
        .detective
        .iter()
        .map(|&i| &t.resources[i])
        .collect()
}

/// Which buckets receive CloudTrail logs, and which CloudTrail or Config logs (indexes into
/// `Template::resources`), worked out once per template: several policies ask.
#[derive(Debug, Default)]
pub(crate) struct LogBuckets {
    /// Buckets that receive CloudTrail logs (indexes into `Template::resources`).
    pub trail: Vec<usize>,
    /// Buckets that receive CloudTrail or Config logs.
    pub detective: Vec<usize>,
}

impl LogBuckets {
    /// Work out the log buckets of `t`.
    pub fn of(t: &Template<'_>) -> LogBuckets {
        let mut out = LogBuckets::default();
        for (i, b) in t.resources.iter().enumerate() {
            if !BUCKET_TYPES.contains(&b.rtype) {
                continue;
            }
            let from = referrers(t, b, BUCKET_NAME_KEYS, DETECTIVE_SOURCES);
            if from.iter().any(|r| TRAIL_TYPES.contains(&r.rtype)) {
                out.trail.push(i);
            }
            if !from.is_empty() {
                out.detective.push(i);
            }
        }
        out
    }
}

/// Resources that deliver detective-control logs to a bucket.
const DETECTIVE_SOURCES: &[&str] = &[
    "AWS::CloudTrail::Trail",
    "aws_cloudtrail",
    "AWS::Config::DeliveryChannel",
    "aws_config_delivery_channel",
];
