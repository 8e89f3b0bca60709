// DET005: a GuardDuty detector that is disabled.

use crate::support::properties::require_true;
use crate::{Context, Policy};

pub struct Det005;

impl Policy for Det005 {
    fn id(&self) -> &'static str {
        "DET005"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::GuardDuty::Detector", "aws_guardduty_detector"]) {
            // `Enable` is required in CloudFormation; Terraform's `enable` defaults to true.
            let (key, default) = if t.is_cloudformation() {
                ("Enable", false)
            } else {
                ("enable", true)
            };
            require_true(
                cx,
                r,
                &[key],
                default,
                "is a GuardDuty detector that is switched off, so no threat is detected",
            );
        }
    }
}
