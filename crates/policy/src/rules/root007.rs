// ROOT007: a role trusts a web-identity (OIDC) provider without limiting which identities of it
// may assume the role.

use crate::iam::{DocKind, Effect};
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
            let r = &t.resources[doc.resource];
            for st in cx.statements(di) {
                if st.effect != Some(Effect::Allow) || !st.allows("sts:AssumeRoleWithWebIdentity") {
                    continue;
                }
                let Some((provider, span)) = st.principal().federated.values.first() else {
                    continue;
                };
                let github = provider.contains(GITHUB);
                // Condition keys and values: `<issuer>:sub`, `<issuer>:aud`.
                let mut keys: Vec<(String, Vec<String>)> = Vec::new();
                if let Some(cond) = st.condition {
                    for op in t.maps(cond) {
                        for e in op.entries() {
                            for m in t.maps(&e.value) {
                                for k in m.entries() {
                                    let (vals, _) = t.texts_of_list(&k.value);
                                    keys.push((
                                        k.key.to_ascii_lowercase(),
                                        vals.into_iter().map(|(v, _)| v.to_string()).collect(),
                                    ));
                                }
                            }
                        }
                    }
                }
                let sub: Vec<&String> = keys
                    .iter()
                    .filter(|(k, _)| k.ends_with(":sub"))
                    .flat_map(|(_, v)| v)
                    .collect();
                let aud = keys
                    .iter()
                    .any(|(k, _)| k.ends_with(":aud") || k.ends_with(":amr"));
                let problem = if github && sub.is_empty() {
                    Some("without a condition on the `sub` claim, so a workflow in any GitHub repository can assume it".to_string())
                } else if github
                    && sub
                        .iter()
                        .any(|s| s.as_str() == "*" || s.starts_with("repo:*"))
                {
                    Some("with a `sub` condition that matches every repository".to_string())
                } else if !github && sub.is_empty() && !aud {
                    Some(format!(
                        "from `{provider}` without a condition on the token's `sub` or `aud` claim"
                    ))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    cx.report(
                        r,
                        *span,
                        format!("role `{}` trusts web identities {problem}", r.id),
                    );
                }
            }
        }
    }
}
