// DET009: the log group CloudTrail delivers to is deleted with its stack.

use crate::model::Val;
use crate::model::lookup::retained;
use crate::model::refs::referrers;
use crate::{Context, Policy};

pub struct Det009;

impl Policy for Det009 {
    fn id(&self) -> &'static str {
        "DET009"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for g in t.resources_of(&["AWS::Logs::LogGroup", "aws_cloudwatch_log_group"]) {
            if referrers(
                t,
                g,
                &["LogGroupName", "name"],
                &["AWS::CloudTrail::Trail", "aws_cloudtrail"],
            )
            .is_empty()
            {
                continue;
            }
            if t.is_cloudformation() {
                if retained(t, g) == Some(false) {
                    let span = g.deletion_policy().map_or(g.anchor, |p| p.span);
                    cx.report(
                        g,
                        span,
                        format!(
                            "log group `{}` receives CloudTrail events but is deleted with its \
                             stack (no `DeletionPolicy: Retain`)",
                            g.id
                        ),
                    );
                }
                continue;
            }
            // Terraform deletes log groups on destroy unless `skip_destroy = true`.
            let skip = g.prop("skip_destroy").map(|n| t.eval(n));
            let kept = skip
                .as_ref()
                .is_some_and(|vals| vals.iter().all(|v| v.val.as_bool() == Some(true)));
            let unknown = skip
                .as_ref()
                .is_some_and(|vals| vals.iter().any(|v| v.val == Val::Unknown));
            if !kept && !unknown && !g.is_unknown("skip_destroy") {
                cx.report_missing(
                    g,
                    format!(
                        "log group `{}` receives CloudTrail events but is deleted on destroy \
                         (`skip_destroy` is not true)",
                        g.id
                    ),
                );
            }
        }
    }
}
