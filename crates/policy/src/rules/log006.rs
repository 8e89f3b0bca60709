// LOG006: the bucket a CloudTrail trail delivers to does not block public access.

use crate::model::refs::referrers;
use crate::model::{Resource, Template};
use crate::support::buckets::{
    BUCKET_NAME_KEYS, bucket_public_access_gaps, trail_buckets, trails_delivering_to,
};
use crate::{Context, Policy};

pub struct Log006;

impl Policy for Log006 {
    fn id(&self) -> &'static str {
        "LOG006"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for bucket in trail_buckets(cx) {
            let Some(gaps) = bucket_public_access_gaps(t, bucket) else {
                continue;
            };
            if !gaps.is_empty() {
                let message = if declares_a_block(t, bucket) {
                    format!(
                        "`{}` receives CloudTrail logs but does not block public access \
                         (not enabled: {})",
                        bucket.id,
                        gaps.join(", ")
                    )
                } else {
                    // S3 has blocked public access on new buckets by default since April
                    // 2023: the bucket is not public today, but nothing here keeps it so.
                    format!(
                        "`{}` receives CloudTrail logs but declares no public access block, so \
                         nothing keeps public access blocked (S3's default since April 2023) \
                         against a later change (not declared: {})",
                        bucket.id,
                        gaps.join(", ")
                    )
                };
                cx.report_missing(bucket, message);
                cx.relate_last(trails_delivering_to(t, bucket));
            }
        }
    }
}

/// Whether the template declares a public access block for the bucket at all (its
/// `PublicAccessBlockConfiguration`; a Terraform `aws_s3_bucket_public_access_block` for it or
/// for the account).
fn declares_a_block(t: &Template<'_>, bucket: &Resource<'_>) -> bool {
    if t.is_cloudformation() {
        return bucket.prop("PublicAccessBlockConfiguration").is_some();
    }
    t.resources_of(&["aws_s3_account_public_access_block"])
        .next()
        .is_some()
        || !referrers(
            t,
            bucket,
            BUCKET_NAME_KEYS,
            &["aws_s3_bucket_public_access_block"],
        )
        .is_empty()
}
