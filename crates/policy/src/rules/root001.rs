// ROOT001: a trust or resource policy grants the account root principal, or everyone, without
// a condition that narrows who can use it.

use crate::iam::{self, DocKind, condition, principal};
use crate::source::Span;
use crate::support::grants::statement_related;
use crate::{Context, Policy};

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
            let r = &t.resources[doc.resource()];
            let what = if doc.kind == DocKind::Trust {
                "trust policy"
            } else {
                "resource policy"
            };
            let statements = cx.statements(di);
            for st in statements {
                if st.effect != Some(iam::Effect::Allow)
                    || condition::allow_narrows(t, st.condition)
                {
                    continue;
                }
                // "Allow everyone, then deny everyone unless <condition on who>" (private API
                // Gateway endpoints, VPC-endpoint-only buckets) is a narrowed grant in effect.
                if statements.iter().any(|d| narrows(t, d, st)) {
                    continue;
                }
                // A condition that does not narrow who (`aws:SecureTransport`, `aws:Referer`)
                // is named, so the reader sees why it did not count.
                let clauses = condition::explain_clauses(t, st.condition);
                let without = if clauses.is_empty() {
                    "without a condition".to_string()
                } else {
                    format!(
                        "with only conditions that do not narrow who can use it: {}",
                        clauses.join(", ")
                    )
                };
                let p = st.principal();
                let judged = st.condition.filter(|_| !clauses.is_empty()).map(|c| {
                    (
                        c.span,
                        "the condition, which does not narrow who can use the grant".to_string(),
                    )
                });
                let related = |at: Span| statement_related(r, at, judged.clone());
                if st.not_principal {
                    cx.report_related(
                        r,
                        p.span,
                        format!(
                            "{what} of `{}` allows everyone except the listed principals \
                             (Allow with NotPrincipal) {without}",
                            r.id
                        ),
                        related(p.span),
                    );
                    continue;
                }
                if p.is_anyone() {
                    cx.report_related(
                        r,
                        p.span,
                        format!("{what} of `{}` grants any principal (`*`) {without}", r.id),
                        related(p.span),
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
                let mut seen = Vec::new();
                for value in &p.aws_values {
                    let Some(account) = principal::root_account(t, value) else {
                        continue;
                    };
                    if seen.contains(&value.span) {
                        continue;
                    }
                    seen.push(value.span);
                    let message = match (principal::known(value), &account) {
                        (Some(text), principal::Account::Id(_)) => format!(
                            "trust policy of `{}` lets the root principal `{text}` (any \
                             principal of that account) assume the role {without}",
                            r.id
                        ),
                        _ => format!(
                            "trust policy of `{}` lets the root principal of {account} (`{}`), \
                             that is any principal of that account, assume the role {without}",
                            r.id,
                            principal::display(value)
                        ),
                    };
                    cx.report_related(r, value.span, message, related(value.span));
                }
            }
        }
    }
}

/// Whether `deny` is a Deny for everyone, conditioned only on who the caller is, over actions
/// that include all of `allow`'s: it narrows `allow` to the callers the condition admits.
fn narrows(
    t: &crate::model::Template<'_>,
    deny: &iam::Statement<'_>,
    allow: &iam::Statement<'_>,
) -> bool {
    deny.effect == Some(iam::Effect::Deny)
        && deny.principal().is_anyone()
        && condition::deny_narrows(t, deny.condition)
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
