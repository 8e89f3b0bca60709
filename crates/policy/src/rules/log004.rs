// LOG004: a CloudTrail trail that does not deliver to CloudWatch Logs.

use crate::support::properties::require_present;
use crate::{Context, Policy};

pub struct Log004;

impl Policy for Log004 {
    fn id(&self) -> &'static str {
        "LOG004"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::CloudTrail::Trail", "aws_cloudtrail"]) {
            let key = if t.is_cloudformation() {
                "CloudWatchLogsLogGroupArn"
            } else {
                "cloud_watch_logs_group_arn"
            };
            require_present(
                cx,
                r,
                &[key],
                "does not send its events to CloudWatch Logs, so no metric filter or alarm can watch them",
            );
        }
    }
}
