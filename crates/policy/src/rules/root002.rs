// ROOT002: a Lambda permission that lets anyone, or a whole account, invoke the function.

use crate::iam::principal;
use crate::{Context, Policy};

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
            if [
                "SourceArn",
                "SourceAccount",
                "PrincipalOrgID",
                "EventSourceToken",
            ]
            .iter()
            .zip([
                "source_arn",
                "source_account",
                "principal_org_id",
                "event_source_token",
            ])
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
            let Some(node) = r.prop(k("Principal", "principal")) else {
                continue;
            };
            let function = invoked_function(t, r, cfn);
            let function = function.as_ref();
            // An account ID may be written unquoted (a YAML or JSON number), and may come from
            // a parameter or `AWS::AccountId`: it is that account's root all the same.
            for value in principal::values(t, node) {
                let what = match (principal::known(&value), principal::root_account(t, &value)) {
                    (Some(text), _) if text == "*" => "anyone (`*`)".to_string(),
                    // A service acts for whichever account configures it: without a source,
                    // a bucket or topic of any account may invoke the function (the Lambda
                    // documentation warns of this).
                    (Some(text), _) if text.ends_with(".amazonaws.com") => {
                        format!("`{text}` acting for any account")
                    }
                    (Some(text), Some(_)) => format!("every principal of account `{text}`"),
                    (None, Some(account)) => format!(
                        "every principal of {account} (`{}`)",
                        principal::display(&value)
                    ),
                    _ => continue,
                };
                cx.report_related(
                    r,
                    value.span,
                    format!(
                        "permission `{}` lets {what} invoke {}, with no source ARN, source \
                         account or organization condition",
                        r.id,
                        function.map_or("the function".to_string(), |(_, name)| name.clone())
                    ),
                    function
                        .iter()
                        .map(|(span, name)| (*span, format!("{name} is invoked")))
                        .collect(),
                );
            }
        }
    }
}

/// The function of this template a permission lets be invoked (`FunctionName: !Ref Fn`,
/// `function_name = aws_lambda_function.f.function_name`): where it is and its name.
fn invoked_function(
    t: &crate::model::Template<'_>,
    r: &crate::model::Resource<'_>,
    cfn: bool,
) -> Option<(crate::source::Span, String)> {
    let node = r.prop(if cfn { "FunctionName" } else { "function_name" })?;
    let mut found = None;
    crate::model::refs::scan_refs(node, cfn, &mut |name| {
        if found.is_none() {
            found = crate::iam::attach::resolve_reference(t, name, cfn);
        }
    });
    let f = &t.resources[found?];
    f.rtype
        .to_ascii_lowercase()
        .contains("function")
        .then(|| (f.anchor, format!("function `{}`", f.id)))
}
