// DET011: a CloudWatch alarm whose actions are disabled.

use crate::{Context, Policy};

pub struct Det011;

impl Policy for Det011 {
    fn id(&self) -> &'static str {
        "DET011"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&[
            "AWS::CloudWatch::Alarm",
            "AWS::CloudWatch::CompositeAlarm",
            "aws_cloudwatch_metric_alarm",
            "aws_cloudwatch_composite_alarm",
        ]) {
            let key = if t.is_cloudformation() {
                "ActionsEnabled"
            } else {
                "actions_enabled"
            };
            if let Some(span) = r.prop(key).and_then(|n| t.may_be_false(n)) {
                cx.report(
                    r,
                    span,
                    format!("alarm `{}` has its actions disabled, so it changes state without alerting anyone", r.id),
                );
            }
        }
    }
}
