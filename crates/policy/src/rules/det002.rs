// DET002: an IAM policy or SCP allows disabling IAM Access Analyzer, Macie or Detective.

use crate::support::grants::{GrantCheck, report_grants};
use crate::{Context, Policy};

pub struct Det002;

const ACTIONS: &[&str] = &[
    "access-analyzer:DeleteAnalyzer",
    "access-analyzer:CreateArchiveRule",
    "access-analyzer:UpdateArchiveRule",
    "macie2:DisableMacie",
    "macie2:DisableOrganizationAdminAccount",
    "macie2:DisassociateFromAdministratorAccount",
    "macie2:UpdateMacieSession",
    "detective:DeleteGraph",
    "detective:DisassociateMembership",
    "detective:DisableOrganizationAdminAccount",
    // Added after reviewing the Service Authorization Reference (kept last so that existing
    // findings keep their position and message).
    "access-analyzer:UpdateAnalyzer",
    "macie2:UpdateOrganizationConfiguration",
    "detective:UpdateDatasourcePackages",
];

impl Policy for Det002 {
    fn id(&self) -> &'static str {
        "DET002"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        report_grants(
            cx,
            &GrantCheck {
                actions: ACTIONS,
                what: "disabling IAM Access Analyzer, Macie or Detective",
                skip_full_wildcards: true,
                all_resources_only: false,
            },
        );
    }
}
