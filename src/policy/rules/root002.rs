//! ROOT002: a Lambda permission that lets anyone, or a whole account, invoke the function.

use crate::model::Val;
use crate::policy::iam;
use crate::policy::{Context, Policy};

pub struct Root002;

impl Policy for Root002 {
    fn id(&self) -> &'static str {
        "ROOT002"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        let cfn = t.is_cloudformation();
        for r in t.resources_of(&["AWS::Lambda::Permission", "aws_lambda_permission"]) {
            let k = |c: &'static str, tf: &'static str| if cfn { c } else { tf };
            // A source or organization condition narrows the grant.
            if ["SourceArn", "SourceAccount", "PrincipalOrgID"]
                .iter()
                .zip(["source_arn", "source_account", "principal_org_id"])
                .any(|(c, tf)| r.prop(k(c, tf)).is_some() || r.is_unknown(tf))
            {
                continue;
            }
            // Function URLs without auth are public by design; that is a decision, not drift.
            if r.prop(k("FunctionUrlAuthType", "function_url_auth_type"))
                .is_some_and(|n| t.texts(n).iter().any(|(s, _)| s == "NONE"))
                || r.prop(k("InvokedViaFunctionUrl", "invoked_via_function_url"))
                    .is_some_and(|n| t.bools(n).iter().all(|(b, _)| *b == Some(true)))
            {
                continue;
            }
            let Some(principal) = r.prop(k("Principal", "principal")) else {
                continue;
            };
            for v in t.eval(principal) {
                let Val::Str(p) = &v.val else { continue };
                let what = if p == "*" {
                    "anyone (`*`)".to_string()
                } else if iam::is_root_principal(p) {
                    format!("every principal of account `{p}`")
                } else {
                    continue;
                };
                cx.report(
                    r,
                    v.span,
                    format!(
                        "permission `{}` lets {what} invoke the function, with no source ARN, \
                         source account or organization condition",
                        r.id
                    ),
                );
            }
        }
    }
}
