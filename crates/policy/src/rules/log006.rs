// LOG006: the bucket a CloudTrail trail delivers to does not block public access.

use crate::support::buckets::{bucket_public_access_gaps, trail_buckets, trails_delivering_to};
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
                cx.report_missing(
                    bucket,
                    format!(
                        "`{}` receives CloudTrail logs but does not block public access \
                         (not enabled: {})",
                        bucket.id,
                        gaps.join(", ")
                    ),
                );
                cx.relate_last(trails_delivering_to(t, bucket));
            }
        }
    }
}
