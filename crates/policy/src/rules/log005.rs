// LOG005: the bucket a CloudTrail trail delivers to has no server access logging.

use crate::support::buckets::{bucket_logs_access, trail_buckets, trails_delivering_to};
use crate::{Context, Policy};

pub struct Log005;

impl Policy for Log005 {
    fn id(&self) -> &'static str {
        "LOG005"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for bucket in trail_buckets(cx) {
            if bucket_logs_access(t, bucket) == Some(false) {
                cx.report_missing(
                    bucket,
                    format!(
                        "`{}` receives CloudTrail logs but has no server access logging, so \
                         reads and deletions of the audit trail leave no record",
                        bucket.id
                    ),
                );
                cx.relate_last(trails_delivering_to(t, bucket));
            }
        }
    }
}
