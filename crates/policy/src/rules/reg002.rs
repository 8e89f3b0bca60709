// REG002: an endpoint URL or host name in a Region outside the allow-list.

use crate::support::regions::endpoint_regions;
use crate::{Context, Policy};

pub struct Reg002;

impl Policy for Reg002 {
    fn id(&self) -> &'static str {
        "REG002"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let Some(allowed) = cx.settings.allowed_regions.clone() else {
            return;
        };
        let t = cx.template;
        for r in &t.resources {
            let mut hits = Vec::new();
            for a in cx.authored(r) {
                // Regional service principals (`guardduty.ap-east-1.amazonaws.com` in a bucket
                // policy) accept deliveries from that Region; they call nothing there.
                if a.key == Some("Service") {
                    continue;
                }
                for region in endpoint_regions(&a.text) {
                    hits.push((a.span, region.to_string()));
                }
            }
            hits.dedup();
            for (span, region) in hits {
                if !cx.settings.region_allowed(&region) {
                    cx.report(
                        r,
                        span,
                        format!(
                            "`{}` calls an endpoint in Region `{region}`, outside the allowed \
                             Regions ({})",
                            r.id,
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
    }
}
