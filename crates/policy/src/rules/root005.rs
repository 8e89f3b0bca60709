// ROOT005: full administrator access granted directly to an IAM user.

use crate::iam::DocKind;
use crate::model::lookup::partial_texts;
use crate::support::grants::{attached_to_users, grants_full_admin, is_admin_managed_policy};
use crate::{Context, Policy};

pub struct Root005;

impl Policy for Root005 {
    fn id(&self) -> &'static str {
        "ROOT005"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for (di, doc) in cx.documents().iter().enumerate() {
            let r = &t.resources[doc.resource()];
            if doc.kind != DocKind::Identity || doc.managed().is_some() || !attached_to_users(t, r)
            {
                continue;
            }
            for st in cx.statements(di) {
                if grants_full_admin(st) {
                    cx.report(
                        r,
                        st.actions.span,
                        format!(
                            "`{}` gives IAM users full administrator access (all actions on all \
                             resources) directly, with long-lived credentials",
                            r.id
                        ),
                    );
                }
            }
        }
        // The AWS managed AdministratorAccess policy attached to users.
        let targets: &[(&str, &str)] = &[
            ("AWS::IAM::User", "ManagedPolicyArns"),
            ("aws_iam_user_policy_attachment", "policy_arn"),
        ];
        for (rtype, key) in targets {
            for r in t.resources_of(std::slice::from_ref(rtype)) {
                let Some(node) = r.prop(key) else { continue };
                let arns = partial_texts(t, node);
                if let Some((_, span)) = arns.iter().find(|(a, _)| is_admin_managed_policy(a)) {
                    cx.report(
                        r,
                        *span,
                        format!(
                            "`{}` attaches AdministratorAccess directly to an IAM user",
                            r.id
                        ),
                    );
                }
            }
        }
    }
}
