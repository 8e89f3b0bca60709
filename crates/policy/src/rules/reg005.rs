// REG005: a backup plan copies recovery points to a vault in a Region outside the allow-list.

use crate::model::lookup::{Lookup, lookup};
use crate::support::regions::arn_regions;
use crate::{Context, Policy};

pub struct Reg005;

impl Policy for Reg005 {
    fn id(&self) -> &'static str {
        "REG005"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let Some(allowed) = cx.settings.allowed_regions.clone() else {
            return;
        };
        let t = cx.template;
        for r in t.resources_of(&["AWS::Backup::BackupPlan", "aws_backup_plan"]) {
            let path: &[&str] = if t.is_cloudformation() {
                &[
                    "BackupPlan",
                    "BackupPlanRule",
                    "CopyActions",
                    "DestinationBackupVaultArn",
                ]
            } else {
                &["rule", "copy_action", "destination_vault_arn"]
            };
            for hit in lookup(t, r, path) {
                let Lookup::Found(v) = hit else { continue };
                let Some(text) = v.val.text() else { continue };
                for region in arn_regions(text) {
                    if !cx.settings.region_allowed(region) {
                        cx.report(
                            r,
                            v.span,
                            format!(
                                "backup plan `{}` copies backups to a vault in Region `{region}`, \
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
}
