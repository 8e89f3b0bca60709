// DET006: Security Hub controls disabled in the template.

use crate::model::Val;
use crate::{Context, Policy};

pub struct Det006;

impl Policy for Det006 {
    fn id(&self) -> &'static str {
        "DET006"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::SecurityHub::Standard"]) {
            let Some(disabled) = r.prop("DisabledStandardsControls") else {
                continue;
            };
            for item in t.items(disabled) {
                let arn = item
                    .get("StandardsControlArn")
                    .and_then(|a| t.texts(a).into_iter().next())
                    .map(|(s, _)| s.rsplit('/').next().unwrap_or(&s).to_string())
                    .unwrap_or_else(|| "a control".to_string());
                cx.report(
                    r,
                    item.span,
                    format!("`{}` disables Security Hub control {arn}, so its findings are never raised", r.id),
                );
            }
        }
        for r in t.resources_of(&["aws_securityhub_standards_control"]) {
            let Some(status) = r.prop("control_status") else {
                continue;
            };
            for v in t.eval(status) {
                if let Val::Str(s) = &v.val
                    && s.eq_ignore_ascii_case("DISABLED")
                {
                    cx.report(
                        r,
                        v.span,
                        format!("`{}` disables a Security Hub control, so its findings are never raised", r.id),
                    );
                }
            }
        }
    }
}
