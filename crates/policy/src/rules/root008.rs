// ROOT008: the AWS managed AdministratorAccess policy attached to a role or group.

use crate::model::lookup::partial_texts;
use crate::support::grants::is_admin_managed_policy;
use crate::{Context, Policy};

pub struct Root008;

const TARGETS: &[(&str, &str)] = &[
    ("AWS::IAM::Role", "ManagedPolicyArns"),
    ("AWS::IAM::Group", "ManagedPolicyArns"),
    ("AWS::SSO::PermissionSet", "ManagedPolicies"),
    ("AWS::Serverless::Function", "Policies"),
    ("aws_iam_role", "managed_policy_arns"),
    ("aws_iam_role_policy_attachment", "policy_arn"),
    ("aws_iam_group_policy_attachment", "policy_arn"),
    ("aws_iam_policy_attachment", "policy_arn"),
    (
        "aws_ssoadmin_managed_policy_attachment",
        "managed_policy_arn",
    ),
];

impl Policy for Root008 {
    fn id(&self) -> &'static str {
        "ROOT008"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for (rtype, key) in TARGETS {
            for r in t.resources_of(std::slice::from_ref(rtype)) {
                let Some(node) = r.prop(key) else { continue };
                let arns = partial_texts(t, node);
                // SAM also accepts the bare managed policy name.
                let hit = arns.iter().find(|(a, _)| {
                    is_admin_managed_policy(a)
                        || (r.rtype == "AWS::Serverless::Function" && a == "AdministratorAccess")
                });
                if let Some((_, span)) = hit {
                    cx.report(
                        r,
                        *span,
                        format!(
                            "`{}` is given AdministratorAccess: every action on every resource, \
                             including turning off the detective controls",
                            r.id
                        ),
                    );
                }
            }
        }
    }
}
