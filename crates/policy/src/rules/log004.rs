// LOG004: a CloudTrail trail that does not deliver to CloudWatch Logs.

use crate::model::lookup::has_property;
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
            let (group, role) = if t.is_cloudformation() {
                ("CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn")
            } else {
                ("cloud_watch_logs_group_arn", "cloud_watch_logs_role_arn")
            };
            require_present(
                cx,
                r,
                &[group],
                "does not send its events to CloudWatch Logs, so no metric filter or alarm can watch them",
            );
            // CloudTrail delivers to the log group only through a role it assumes: a group
            // without one receives nothing (the CloudTrail documentation says both are needed).
            if has_property(t, r, &[group]) == Some(true) {
                require_present(
                    cx,
                    r,
                    &[role],
                    "names a CloudWatch Logs group but no role for CloudTrail to deliver with, so the group receives nothing",
                );
            }
        }
    }
}
