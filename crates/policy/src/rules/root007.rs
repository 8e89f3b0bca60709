// ROOT007: a role trusts a web-identity (OIDC) provider without limiting which identities of it
// may assume the role.

use crate::iam::{DocKind, Effect};
use crate::support::grants::statement_related;
use crate::{Context, Policy};

pub struct Root007;

/// GitHub's OIDC issuer: any repository on GitHub can obtain a token for it, so the `sub`
/// claim (repository and ref) must be pinned.
const GITHUB: &str = "token.actions.githubusercontent.com";

impl Policy for Root007 {
    fn id(&self) -> &'static str {
        "ROOT007"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for (di, doc) in cx.documents().iter().enumerate() {
            if doc.kind != DocKind::Trust {
                continue;
            }
            let r = &t.resources[doc.resource()];
            for st in cx.statements(di) {
                if st.effect != Some(Effect::Allow) || !st.allows("sts:AssumeRoleWithWebIdentity") {
                    continue;
                }
                let Some((provider, span)) = st.principal().federated.values.first() else {
                    continue;
                };
                let github = provider.contains(GITHUB);
                // Condition operators, keys and values: `<issuer>:sub`, `<issuer>:aud`.
                let mut keys: Vec<(String, String, Vec<String>)> = Vec::new();
                if let Some(cond) = st.condition {
                    for op in t.maps(cond) {
                        for e in op.entries() {
                            for m in t.maps(&e.value) {
                                for k in m.entries() {
                                    let (vals, _) = t.texts_of_list(&k.value);
                                    keys.push((
                                        e.key.to_ascii_lowercase(),
                                        k.key.to_ascii_lowercase(),
                                        vals.into_iter().map(|(v, _)| v.to_string()).collect(),
                                    ));
                                }
                            }
                        }
                    }
                }
                let sub: Vec<(&str, &String)> = keys
                    .iter()
                    .filter(|(_, k, _)| k.ends_with(":sub"))
                    .flat_map(|(op, _, v)| v.iter().map(move |v| (op.as_str(), v)))
                    .collect();
                let aud = keys
                    .iter()
                    .any(|(_, k, _)| k.ends_with(":aud") || k.ends_with(":amr"));
                let problem = if github && sub.is_empty() {
                    Some("without a condition on the `sub` claim, so a workflow in any GitHub repository can assume it".to_string())
                } else if github {
                    github_sub_problem(&sub)
                } else if sub.is_empty() && !aud {
                    Some(format!(
                        "from `{provider}` without a condition on the token's `sub` or `aud` claim"
                    ))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    let judged = st
                        .condition
                        .map(|c| (c.span, "the condition on the token's claims".to_string()));
                    cx.report_related(
                        r,
                        *span,
                        format!("role `{}` trusts web identities {problem}", r.id),
                        statement_related(r, *span, judged),
                    );
                }
            }
        }
    }
}

/// What is wrong with the `sub` values a role trusts GitHub tokens with (operator, value):
/// a pattern must pin `repo:<owner>/<repo>`'s owner, or repositories of other owners get in.
/// An exact value (`StringEquals`) is compared as written: `*` then matches no token at all.
fn github_sub_problem(sub: &[(&str, &String)]) -> Option<String> {
    let patterns = sub
        .iter()
        .filter(|(op, _)| op.contains("like"))
        .map(|(_, v)| v.as_str());
    for value in patterns {
        if value == "*" || value.starts_with("repo:*") {
            return Some(format!(
                "with a `sub` pattern `{value}` that matches every repository"
            ));
        }
        let Some(rest) = value.strip_prefix("repo:") else {
            // GitHub's subject always names the repository (`repo:<owner>/<repo>:…`) unless
            // the organization customized it; a pattern that starts with a wildcard matches
            // any.
            if value.starts_with(['*', '?']) {
                return Some(format!(
                    "with a `sub` pattern `{value}` that names no repository, so workflows of any \
                     repository can assume it"
                ));
            }
            continue;
        };
        let owner = rest.split('/').next().unwrap_or(rest);
        if !rest.contains('/') || owner.contains(['*', '?']) {
            return Some(format!(
                "with a `sub` pattern `{value}` that does not pin the repository's owner, so \
                 repositories of other owners (`repo:{}…/…`) can assume it",
                owner.trim_end_matches(['*', '?'])
            ));
        }
    }
    None
}
