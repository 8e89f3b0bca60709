// REG007: an SCP's Region deny lists exceptions that contradict the allow-list.

use crate::iam::{self, DocKind, Effect};
use crate::support::regions::{SCP_TYPES, requested_region_conditions};
use crate::{Context, Policy};

pub struct Reg007;

impl Policy for Reg007 {
    fn id(&self) -> &'static str {
        "REG007"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let Some(allowed) = cx.settings.allowed_regions.clone() else {
            return;
        };
        let t = cx.template;
        for (di, doc) in cx.documents().iter().enumerate() {
            let r = &t.resources[doc.resource()];
            if doc.kind != DocKind::ServiceControl || !SCP_TYPES.contains(&r.rtype) {
                continue;
            }
            for st in cx.statements(di) {
                if st.effect != Some(Effect::Deny) {
                    continue;
                }
                for c in requested_region_conditions(t, st) {
                    if !c.operator.to_ascii_lowercase().starts_with("stringnot")
                        || c.regions.is_empty()
                    {
                        continue;
                    }
                    let exempt_outside: Vec<&str> = c
                        .regions
                        .iter()
                        .filter(|g| !g.contains('*') && !cx.settings.region_allowed(g))
                        .map(String::as_str)
                        .collect();
                    let denied_allowed: Vec<&str> = allowed
                        .iter()
                        .filter(|a| !c.regions.iter().any(|g| iam::action_matches(g, a)))
                        .map(String::as_str)
                        .collect();
                    if !exempt_outside.is_empty() {
                        cx.report(
                            r,
                            c.span,
                            format!(
                                "SCP `{}` exempts {} from its Region deny, outside the allowed \
                                 Regions ({})",
                                r.id,
                                exempt_outside.join(", "),
                                allowed.join(", ")
                            ),
                        );
                    }
                    if !denied_allowed.is_empty() {
                        cx.report(
                            r,
                            c.span,
                            format!(
                                "SCP `{}` denies the allowed Region{} {}, which its exception \
                                 list leaves out",
                                r.id,
                                if denied_allowed.len() == 1 { "" } else { "s" },
                                denied_allowed.join(", ")
                            ),
                        );
                    }
                }
            }
        }
    }
}
