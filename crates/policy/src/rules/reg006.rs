// REG006: an SCP meant to restrict Regions that does not deny requests by
// `aws:RequestedRegion`.

use crate::iam::{DocKind, Effect};
use crate::support::regions::{SCP_TYPES, requested_region_conditions, scp_mentions_regions};
use crate::{Context, Policy};

pub struct Reg006;

impl Policy for Reg006 {
    fn id(&self) -> &'static str {
        "REG006"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        if cx.settings.allowed_regions.is_none() {
            return;
        }
        let t = cx.template;
        for (di, doc) in cx.documents().iter().enumerate() {
            let r = &t.resources[doc.resource()];
            if doc.kind != DocKind::ServiceControl || !SCP_TYPES.contains(&r.rtype) {
                continue;
            }
            let statements = cx.statements(di);
            let mentions_condition = statements
                .iter()
                .any(|st| !requested_region_conditions(t, st).is_empty());
            let sid_mentions = statements.iter().any(|st| {
                st.sid
                    .as_ref()
                    .is_some_and(|s| s.to_ascii_lowercase().contains("region"))
            });
            if !(mentions_condition || sid_mentions || scp_mentions_regions(t, r)) {
                continue;
            }
            let denies = statements.iter().any(|st| {
                st.effect == Some(Effect::Deny)
                    && requested_region_conditions(t, st)
                        .iter()
                        .any(|c| c.operator.to_ascii_lowercase().starts_with("stringnot"))
            });
            if !denies {
                cx.report(
                    r,
                    doc.span,
                    format!(
                        "SCP `{}` is about Regions but has no Deny statement with a \
                         `StringNotEquals`/`StringNotLike` condition on `aws:RequestedRegion`, \
                         so it restricts no Region (SCPs only limit through denies)",
                        r.id
                    ),
                );
            }
        }
    }
}
