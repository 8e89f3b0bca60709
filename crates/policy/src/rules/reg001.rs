// REG001: a resource pins a Region outside the allow-list.

use std::collections::HashSet;

use crate::support::regions::{arn_regions, is_region};
use crate::{Context, Policy};

pub struct Reg001;

/// Property names that hold a Region code.
const REGION_KEYS: &[&str] = &["Region", "region"];

/// Places other region policies own, with messages of their own: (resource type, key).
const OWNED: &[(&str, &str)] = &[
    ("AWS::DynamoDB::GlobalTable", "Region"),
    ("aws_cloudformation_stack_set_instance", "region"),
    ("AWS::Backup::BackupPlan", "DestinationBackupVaultArn"),
    ("aws_backup_plan", "destination_vault_arn"),
];

impl Policy for Reg001 {
    fn id(&self) -> &'static str {
        "REG001"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let Some(allowed) = cx.settings.allowed_regions.clone() else {
            return;
        };
        let t = cx.template;
        let allowed_list = allowed.join(", ");

        // Terraform provider blocks: the Region everything in them deploys to.
        let mut provider_regions: HashSet<String> = HashSet::new();
        for p in &t.providers {
            let Some(node) = p.region else { continue };
            for (region, span) in t.texts(node) {
                provider_regions.insert(region.to_string());
                if is_region(&region) && !cx.settings.region_allowed(&region) {
                    cx.report_at(
                        span,
                        format!(
                            "provider `{}` deploys to Region `{region}`, outside the allowed \
                             Regions ({allowed_list})",
                            p.key
                        ),
                    );
                }
            }
        }

        for r in &t.resources {
            let mut hits = Vec::new();
            for a in cx.authored(r) {
                let (key, text, span) = (a.key, a.text.as_ref(), a.span);
                if key.is_some_and(|k| OWNED.contains(&(r.rtype, k))) {
                    continue;
                }
                if key.is_some_and(|k| REGION_KEYS.contains(&k)) && is_region(text) {
                    // A resource-level region equal to its provider's is reported at the provider.
                    if !provider_regions.contains(text) {
                        hits.push((span, text.to_string(), "is set to"));
                    }
                    continue;
                }
                for region in arn_regions(text) {
                    hits.push((span, region.to_string(), "names an ARN in"));
                }
            }
            for (span, region, how) in hits {
                if !cx.settings.region_allowed(&region) {
                    cx.report(
                        r,
                        span,
                        format!(
                            "`{}` {how} Region `{region}`, outside the allowed Regions ({allowed_list})",
                            r.id
                        ),
                    );
                }
            }
        }
    }
}
