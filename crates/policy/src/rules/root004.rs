// ROOT004: a long-lived IAM access key created in a template without a way to rotate it.

use crate::{Context, Policy};

pub struct Root004;

impl Policy for Root004 {
    fn id(&self) -> &'static str {
        "ROOT004"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::IAM::AccessKey", "aws_iam_access_key"]) {
            let cfn = t.is_cloudformation();
            let status = r.prop(if cfn { "Status" } else { "status" });
            if status.is_some_and(|s| t.texts(s).iter().all(|(v, _)| v == "Inactive")) {
                continue;
            }
            let user = r
                .prop(if cfn { "UserName" } else { "user" })
                .and_then(|u| t.texts(u).into_iter().next())
                .map(|(s, _)| s.to_string());
            if user
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case("root"))
            {
                cx.report_missing(
                    r,
                    format!("`{}` creates an access key for a user named `root`", r.id),
                );
                continue;
            }
            // CloudFormation rotates a key when its `Serial` is incremented; Terraform has no
            // rotation for `aws_iam_access_key` at all.
            if cfn && r.prop("Serial").is_some() {
                continue;
            }
            let who = user.map(|u| format!(" for `{u}`")).unwrap_or_default();
            cx.report_missing(
                r,
                format!(
                    "`{}` creates a long-lived access key{who} with no rotation{}",
                    r.id,
                    if cfn { " (no `Serial`)" } else { "" }
                ),
            );
        }
    }
}
