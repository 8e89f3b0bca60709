// REG008: an Availability Zone in a Region outside the allow-list.

use crate::support::regions::az_region;
use crate::{Context, Policy};

pub struct Reg008;

const AZ_KEYS: &[&str] = &[
    "AvailabilityZone",
    "AvailabilityZones",
    "availability_zone",
    "availability_zones",
];

impl Policy for Reg008 {
    fn id(&self) -> &'static str {
        "REG008"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let Some(allowed) = cx.settings.allowed_regions.clone() else {
            return;
        };
        let t = cx.template;
        for r in &t.resources {
            let mut hits = Vec::new();
            for a in cx.authored(r) {
                if a.key.is_some_and(|k| AZ_KEYS.contains(&k))
                    && let Some(region) = az_region(&a.text)
                {
                    hits.push((a.span, a.text.to_string(), region.to_string()));
                }
            }
            for (span, az, region) in hits {
                if !cx.settings.region_allowed(&region) {
                    cx.report(
                        r,
                        span,
                        format!(
                            "`{}` is placed in Availability Zone `{az}` of Region `{region}`, \
                             outside the allowed Regions ({})",
                            r.id,
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
    }
}
