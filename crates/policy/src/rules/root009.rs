// ROOT009: an identity policy allows IAM actions that escalate to administrator.

use crate::support::grants::{GrantCheck, report_grants};
use crate::{Context, Policy};

pub struct Root009;

/// Actions that let a principal give itself (or a role it controls) more permissions.
const ESCALATION: &[&str] = &[
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    "iam:AttachUserPolicy",
    "iam:AttachRolePolicy",
    "iam:AttachGroupPolicy",
    "iam:PutUserPolicy",
    "iam:PutRolePolicy",
    "iam:PutGroupPolicy",
    "iam:AddUserToGroup",
    "iam:UpdateAssumeRolePolicy",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:PassRole",
    // Assuming roles on every resource: any role whose trust policy trusts the account (as
    // `arn:aws:iam::ACCOUNT:root` does) can be taken on, administrators' included.
    "sts:AssumeRole",
];

impl Policy for Root009 {
    fn id(&self) -> &'static str {
        "ROOT009"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        report_grants(
            cx,
            &GrantCheck {
                actions: ESCALATION,
                what: "privilege escalation on all resources",
                skip_full_wildcards: true,
                all_resources_only: true,
            },
        );
    }
}
