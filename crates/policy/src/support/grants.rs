//! Reporting IAM grants of sensitive actions, and the shapes of full-admin policies.

use crate::Context;
use crate::model::refs::referrers;
use crate::model::{Resource, Template};
use crate::source::Span;

/// How a grant of sensitive actions is reported.
pub(crate) struct GrantCheck<'s> {
    /// The actions that matter, `service:Action`.
    pub actions: &'s [&'s str],
    /// Completes "allows ..." in the message.
    pub what: &'s str,
    /// Leave out statements that match only through `*`, `*:*` or `NotAction` (full-admin
    /// grants, which DET001 already reports), so one statement is not reported four times.
    pub skip_full_wildcards: bool,
    /// Only statements on every resource of the action (`*`, `arn:aws:iam::123:role/*`) count.
    pub all_resources_only: bool,
}

/// Report each statement of an identity policy (inline, standalone or AWS managed) that allows
/// some of `check.actions` on resources they can act on, and that no unconditional Deny takes
/// back, in the same policy or in any policy attached to the same principals. Service control
/// policies are not read: an SCP `Allow` grants nothing (it only leaves room for IAM to).
pub(crate) fn report_grants(cx: &mut Context<'_, '_>, check: &GrantCheck<'_>) {
    use crate::iam::{self, DocKind};
    let t = cx.template;
    for (di, doc) in cx.documents().iter().enumerate() {
        if doc.kind != DocKind::Identity {
            continue;
        }
        let r = &t.resources[doc.resource()];
        let statements = cx.statements(di);
        for st in statements {
            let full = |p: &str| p == "*" || p == "*:*";
            let granted: Vec<&str> = check
                .actions
                .iter()
                .copied()
                .filter(|a| st.allows(a) && st.resource_may_cover(a))
                .filter(|a| !check.all_resources_only || st.covers_all_resources_of(a))
                .filter(|a| {
                    !check.skip_full_wildcards
                        || (!st.not_action
                            && st
                                .actions
                                .values
                                .iter()
                                .any(|(p, _)| !full(p) && iam::action_matches(p, a)))
                })
                .filter(|a| !cx.denied_everywhere(di, a))
                .filter(|a| !cx.only_the_service_itself(di, a.split(':').next().unwrap_or(a)))
                .collect();
            let Some(first) = granted.first() else {
                continue;
            };
            let pattern = st
                .actions
                .values
                .iter()
                .find(|(p, _)| {
                    (!check.skip_full_wildcards || !full(p)) && iam::action_matches(p, first)
                })
                .filter(|_| !st.not_action);
            let how = match pattern {
                Some((p, _)) if !p.eq_ignore_ascii_case(first) => format!(" through `{p}`"),
                Some(_) => String::new(),
                None => " through NotAction".to_string(),
            };
            let span = match doc.managed() {
                Some(_) => doc.span,
                None => pattern.map_or(st.actions.span, |(_, s)| *s),
            };
            let sid = st
                .sid
                .as_ref()
                .filter(|s| !s.is_empty())
                .map(|s| format!(" (statement `{s}`)"))
                .unwrap_or_default();
            let whose = match doc.managed() {
                Some(name) => {
                    let holders: Vec<String> = cx
                        .attachments()
                        .holders(di)
                        .iter()
                        .filter(|&&h| h != doc.resource())
                        .map(|&h| format!("`{}`", t.resources[h].id))
                        .collect();
                    if holders.is_empty() {
                        format!("AWS managed policy `{name}` attached to `{}`", r.id)
                    } else {
                        format!(
                            "AWS managed policy `{name}` attached to {} by `{}`",
                            holders.join(", "),
                            r.id
                        )
                    }
                }
                None => format!("policy of `{}`{sid}", r.id),
            };
            // Whose permissions change: the principals the policy lands on, named in the
            // message (an annotation shows only the primary place) and related.
            let holders: Vec<usize> = cx
                .attachments()
                .holders(di)
                .iter()
                .copied()
                .filter(|&h| h != doc.resource())
                .collect();
            let lands = if doc.managed().is_some() || holders.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = holders
                    .iter()
                    .map(|&h| format!("`{}`", t.resources[h].id))
                    .collect();
                format!(" (lands on {})", names.join(", "))
            };
            let related = holders
                .iter()
                .map(|&h| {
                    let holder = &t.resources[h];
                    (
                        holder.anchor,
                        format!("the grant lands on `{}` ({})", holder.id, holder.rtype),
                    )
                })
                .collect();
            cx.report_related(
                r,
                span,
                format!(
                    "{whose} allows {}{how}: {}{lands}",
                    check.what,
                    granted.join(", ")
                ),
                related,
            );
        }
    }
}

/// ARN of AWS's managed full-administrator policy, in any partition.
pub(crate) fn is_admin_managed_policy(arn: &str) -> bool {
    // The partition is often `${AWS::Partition}`, unknown here but irrelevant.
    arn.starts_with("arn:") && arn.ends_with(":iam::aws:policy/AdministratorAccess")
}

/// Whether a statement grants everything on everything: `Allow` of `*` / `*:*` (or of all
/// but a `NotAction` list) on `Resource: "*"`.
pub(crate) fn grants_full_admin(st: &crate::iam::Statement<'_>) -> bool {
    use crate::iam::Effect;
    st.effect == Some(Effect::Allow)
        && st.all_resources()
        && if st.not_action {
            !st.actions.unknown && st.actions.present
        } else {
            st.actions
                .values
                .iter()
                .any(|(a, _)| a == "*" || a == "*:*")
        }
}

/// Whether a policy-owning resource is attached to IAM users: user inline policies, policies
/// with a `Users` list, and Terraform policies attached by `aws_iam_user_policy_attachment` or
/// `aws_iam_policy_attachment` with `users`.
pub(crate) fn attached_to_users(t: &Template<'_>, r: &Resource<'_>) -> bool {
    match r.rtype {
        "AWS::IAM::User" | "AWS::IAM::UserPolicy" | "aws_iam_user_policy" => true,
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            r.prop("Users").is_some_and(|u| !t.items(u).is_empty())
        }
        "aws_iam_policy" => {
            !referrers(t, r, &["arn", "name"], &["aws_iam_user_policy_attachment"]).is_empty()
                || referrers(t, r, &["arn", "name"], &["aws_iam_policy_attachment"])
                    .iter()
                    .any(|a| a.prop("users").is_some_and(|u| !t.items(u).is_empty()))
        }
        _ => false,
    }
}

/// The related places of a finding on a trust or resource policy statement: the condition that
/// was judged (`what` says how), and the resource the policy belongs to when the statement is
/// written elsewhere (an `aws_iam_policy_document` a role's `assume_role_policy` names).
pub(crate) fn statement_related(
    r: &Resource<'_>,
    at: Span,
    condition: Option<(Span, String)>,
) -> Vec<(Span, String)> {
    let mut related: Vec<(Span, String)> = condition.into_iter().collect();
    let inside = r.node.span.start <= at.start && at.end <= r.node.span.end;
    if !inside {
        related.push((
            r.anchor,
            format!("the policy applies to `{}` ({})", r.id, r.rtype),
        ));
    }
    related
}
