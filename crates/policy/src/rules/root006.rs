// ROOT006: IAM policies attached directly to users rather than through groups or roles.

use crate::{Context, Policy};

pub struct Root006;

impl Policy for Root006 {
    fn id(&self) -> &'static str {
        "ROOT006"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in &t.resources {
            let (span, how) = match r.rtype {
                "AWS::IAM::User" => {
                    let keys = ["Policies", "ManagedPolicyArns"];
                    let Some(n) = keys
                        .iter()
                        .filter_map(|k| r.prop(k))
                        .find(|n| !t.items(n).is_empty())
                    else {
                        continue;
                    };
                    (n.span, "has policies attached directly")
                }
                "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                    let Some(u) = r.prop("Users").filter(|u| !t.items(u).is_empty()) else {
                        continue;
                    };
                    (u.span, "is attached directly to IAM users")
                }
                "AWS::IAM::UserPolicy"
                | "aws_iam_user_policy"
                | "aws_iam_user_policy_attachment" => {
                    (r.anchor, "attaches a policy directly to an IAM user")
                }
                "aws_iam_policy_attachment" => {
                    let Some(u) = r.prop("users").filter(|u| !t.items(u).is_empty()) else {
                        continue;
                    };
                    (u.span, "attaches a policy directly to IAM users")
                }
                _ => continue,
            };
            cx.report(
                r,
                span,
                format!(
                    "`{}` {how}; grant users permissions through groups (or use roles) so that \
                     access is reviewed in one place",
                    r.id
                ),
            );
        }
    }
}
