// LOG002: a CloudTrail trail whose logs are not encrypted with a KMS key.

use crate::support::properties::require_present;
use crate::{Context, Policy};

pub struct Log002;

impl Policy for Log002 {
    fn id(&self) -> &'static str {
        "LOG002"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::CloudTrail::Trail", "aws_cloudtrail"]) {
            let key = if t.is_cloudformation() {
                "KMSKeyId"
            } else {
                "kms_key_id"
            };
            require_present(
                cx,
                r,
                &[key],
                "does not encrypt its log files with a KMS key",
            );
        }
    }
}
