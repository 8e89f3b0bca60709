// LOG003: a CloudTrail trail that leaves out global service events (IAM, STS, CloudFront).

use crate::support::properties::require_true;
use crate::{Context, Policy};

pub struct Log003;

impl Policy for Log003 {
    fn id(&self) -> &'static str {
        "LOG003"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::CloudTrail::Trail", "aws_cloudtrail"]) {
            let key = if t.is_cloudformation() {
                "IncludeGlobalServiceEvents"
            } else {
                "include_global_service_events"
            };
            require_true(
                cx,
                r,
                &[key],
                true,
                "does not record global service events, so IAM and STS activity goes unrecorded",
            );
        }
    }
}
