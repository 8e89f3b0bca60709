// DET004: an IAM policy or SCP allows deleting or silencing any CloudWatch alarm or
// EventBridge rule, which includes those that alert on detective-control findings.

use crate::support::grants::{GrantCheck, report_grants};
use crate::{Context, Policy};

pub struct Det004;

const ACTIONS: &[&str] = &[
    "cloudwatch:DeleteAlarms",
    "cloudwatch:DisableAlarmActions",
    "events:DeleteRule",
    "events:DisableRule",
    "events:RemoveTargets",
];

impl Policy for Det004 {
    fn id(&self) -> &'static str {
        "DET004"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        report_grants(
            cx,
            &GrantCheck {
                actions: ACTIONS,
                what: "deleting or silencing every alarm and alerting rule",
                skip_full_wildcards: true,
                all_resources_only: true,
            },
        );
    }
}
