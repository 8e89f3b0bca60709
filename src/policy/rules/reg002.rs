//! REG002: an endpoint URL or host name in a Region outside the allow-list.

use super::support::{authored_strings, endpoint_regions};
use crate::policy::{Context, Policy};

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
            authored_strings(t, r, &mut |key, text, span| {
                // Regional service principals (`guardduty.ap-east-1.amazonaws.com` in a bucket
                // policy) accept deliveries from that Region; they call nothing there.
                if key == Some("Service") {
                    return;
                }
                for region in endpoint_regions(text) {
                    hits.push((span, region.to_string()));
                }
            });
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
