//! ROOT001: a trust or resource policy grants the account root principal, or everyone, without
//! conditions.

use crate::policy::iam::{self, DocKind};
use crate::policy::{Context, Policy};

pub struct Root001;

impl Policy for Root001 {
    fn id(&self) -> &'static str {
        "ROOT001"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for (di, doc) in cx.documents().iter().enumerate() {
            if !matches!(doc.kind, DocKind::Trust | DocKind::Resource) {
                continue;
            }
            let r = &t.resources[doc.resource];
            let what = if doc.kind == DocKind::Trust {
                "trust policy"
            } else {
                "resource policy"
            };
            let statements = cx.statements(di);
            for st in statements {
                if st.effect != Some(iam::Effect::Allow) || st.has_condition() {
                    continue;
                }
                // "Allow everyone, then deny everyone unless <condition>" (private API Gateway
                // endpoints, VPC-endpoint-only buckets) is a conditional grant in effect.
                if statements.iter().any(|d| narrows(d, st)) {
                    continue;
                }
                let p = &st.principal;
                if st.not_principal {
                    cx.report(
                        r,
                        p.span,
                        format!(
                            "{what} of `{}` allows everyone except the listed principals \
                             (Allow with NotPrincipal) without a condition",
                            r.id
                        ),
                    );
                    continue;
                }
                if p.is_anyone() {
                    cx.report(
                        r,
                        p.span,
                        format!(
                            "{what} of `{}` grants any principal (`*`) without a condition",
                            r.id
                        ),
                    );
                    continue;
                }
                // Only trust policies: an account's root in a key or bucket policy is how access
                // is delegated to that account's IAM (AWS's default key policy does exactly
                // that), but a role that trusts an account's root lets every principal there
                // assume it.
                if doc.kind != DocKind::Trust {
                    continue;
                }
                for (principal, span) in &p.aws.values {
                    if iam::is_root_principal(principal) {
                        cx.report(
                            r,
                            *span,
                            format!(
                                "trust policy of `{}` lets the root principal `{principal}` (any \
                                 principal of that account) assume the role without a condition",
                                r.id
                            ),
                        );
                    }
                }
            }
        }
    }
}

/// Whether `deny` is a conditional Deny for everyone over actions that include all of `allow`'s,
/// which narrows `allow` to the principals meeting the condition.
fn narrows(deny: &iam::Statement<'_>, allow: &iam::Statement<'_>) -> bool {
    deny.effect == Some(iam::Effect::Deny)
        && deny.has_condition()
        && deny.principal.is_anyone()
        && !deny.not_action
        && !allow.not_action
        && !allow.actions.values.is_empty()
        && allow.actions.values.iter().all(|(a, _)| {
            deny.actions
                .values
                .iter()
                .any(|(d, _)| iam::action_matches(d, a))
        })
}
