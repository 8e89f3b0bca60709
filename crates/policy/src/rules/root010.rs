// ROOT010: an identity policy of a role, group or permission set grants full administrator
// access (or, through `NotAction`, everything but a few services).

use crate::iam::DocKind;
use crate::support::grants::{attached_to_users, grants_full_admin};
use crate::{Context, Policy};

pub struct Root010;

/// Actions a full administrator has; an unconditional Deny of any of them, in the policy or in
/// another policy of the same principals, means the grant is less than full administrator
/// (`Deny NotAction: s3:*` after `Allow *` leaves S3 only).
const ADMIN_PROBES: &[&str] = &[
    "iam:CreateUser",
    "iam:AttachRolePolicy",
    "iam:PutRolePolicy",
    "ec2:RunInstances",
    "s3:DeleteBucket",
    "cloudtrail:StopLogging",
    "organizations:LeaveOrganization",
];

impl Policy for Root010 {
    fn id(&self) -> &'static str {
        "ROOT010"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for (di, doc) in cx.documents().iter().enumerate() {
            let r = &t.resources[doc.resource()];
            // Users are ROOT005's, with a stronger message; SCP allow-lists are not grants;
            // the AWS managed AdministratorAccess is ROOT008's.
            if doc.kind != DocKind::Identity || doc.managed().is_some() || attached_to_users(t, r) {
                continue;
            }
            for st in cx.statements(di) {
                if !grants_full_admin(st) {
                    continue;
                }
                let denied: Vec<&str> = ADMIN_PROBES
                    .iter()
                    .copied()
                    .filter(|a| !st.allows(a) || cx.denied_everywhere(di, a))
                    .collect();
                if st.not_action {
                    // Everything but the listed actions: power-user access, reported as that.
                    let excluded: Vec<String> = st
                        .actions
                        .values
                        .iter()
                        .map(|(a, _)| format!("`{a}`"))
                        .collect();
                    if denied.len() == ADMIN_PROBES.len() {
                        continue;
                    }
                    cx.report(
                        r,
                        st.actions.span,
                        format!(
                            "policy of `{}` grants every action except {} on all resources \
                             (power-user access: all but the listed services)",
                            r.id,
                            excluded.join(", ")
                        ),
                    );
                    continue;
                }
                if !denied.is_empty() {
                    continue;
                }
                cx.report(
                    r,
                    st.actions.span,
                    format!(
                        "policy of `{}` grants all actions on all resources (full administrator)",
                        r.id
                    ),
                );
            }
        }
    }
}
