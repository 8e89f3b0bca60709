// LOG019: a CloudWatch log group that keeps its logs for less than a year.

use crate::{Context, Policy};

pub struct Log019;

/// Minimum retention in days (AWS Foundational Security Best Practices CloudWatch.16).
const MIN_DAYS: f64 = 365.0;

impl Policy for Log019 {
    fn id(&self) -> &'static str {
        "LOG019"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::Logs::LogGroup", "aws_cloudwatch_log_group"]) {
            let key = if t.is_cloudformation() {
                "RetentionInDays"
            } else {
                "retention_in_days"
            };
            // Unset means "never expire", which keeps the evidence.
            let Some(node) = r.prop(key) else { continue };
            for v in t.eval(node) {
                let Some(days) = v.val.as_number() else {
                    continue;
                };
                // Terraform's 0 also means "never expire".
                if days > 0.0 && days < MIN_DAYS {
                    cx.report(
                        r,
                        v.span,
                        format!(
                            "log group `{}` keeps logs for {days} days, less than the {MIN_DAYS} \
                             days an investigation may need to look back",
                            r.id
                        ),
                    );
                }
            }
        }
    }
}
