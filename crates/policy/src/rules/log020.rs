// LOG020: a CloudWatch log group not encrypted with a customer-managed KMS key.

use crate::support::properties::require_present;
use crate::{Context, Policy};

pub struct Log020;

impl Policy for Log020 {
    fn id(&self) -> &'static str {
        "LOG020"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::Logs::LogGroup", "aws_cloudwatch_log_group"]) {
            let key = if t.is_cloudformation() {
                "KmsKeyId"
            } else {
                "kms_key_id"
            };
            require_present(
                cx,
                r,
                &[key],
                "is not encrypted with a KMS key you control, so anyone who can read the log group reads the logs",
            );
        }
    }
}
