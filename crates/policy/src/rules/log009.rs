// LOG009: an S3 bucket without server access logging.

use std::collections::HashSet;

use crate::model::refs::PathReferences;
use crate::model::{Resource, Template};
use crate::support::buckets::{BUCKET_NAME_KEYS, BUCKET_TYPES, bucket_logs_access, trail_buckets};
use crate::{Context, Policy};

pub struct Log009;

/// Where buckets deliver their access logs, indexed once per template. A log bucket logging
/// to itself would loop, and AWS advises against it, so log destinations are not reported.
fn log_destinations(t: &Template<'_>) -> [PathReferences; 3] {
    [
        PathReferences::of(
            t,
            &["AWS::S3::Bucket"],
            &["LoggingConfiguration", "DestinationBucketName"],
        ),
        PathReferences::of(t, &["aws_s3_bucket"], &["logging", "target_bucket"]),
        PathReferences::of(t, &["aws_s3_bucket_logging"], &["target_bucket"]),
    ]
}

/// Whether other buckets deliver their access logs to `bucket`.
fn is_log_destination(
    t: &Template<'_>,
    destinations: &[PathReferences],
    bucket: &Resource<'_>,
) -> bool {
    if let Some(acl) = bucket.prop("AccessControl")
        && t.texts(acl).iter().any(|(s, _)| s == "LogDeliveryWrite")
    {
        return true;
    }
    destinations
        .iter()
        .any(|d| d.refer_to(t, bucket, BUCKET_NAME_KEYS))
}

impl Policy for Log009 {
    fn id(&self) -> &'static str {
        "LOG009"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        // CloudTrail buckets are LOG005's, with a stronger message.
        let trail: HashSet<&str> = trail_buckets(cx)
            .into_iter()
            .map(|b| b.id.as_ref())
            .collect();
        let mut destinations = None;
        for bucket in t.resources_of(BUCKET_TYPES) {
            if trail.contains(bucket.id.as_ref())
                || bucket_logs_access(t, bucket) != Some(false)
                || is_log_destination(
                    t,
                    destinations.get_or_insert_with(|| log_destinations(t)),
                    bucket,
                )
            {
                continue;
            }
            cx.report_missing(
                bucket,
                format!(
                    "bucket `{}` has no server access logging, so requests to it leave no record",
                    bucket.id
                ),
            );
        }
    }
}
