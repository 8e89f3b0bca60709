// DET001: an IAM policy or SCP allows disabling CloudTrail, Config, GuardDuty or Security Hub.

use crate::support::grants::{GrantCheck, report_grants};
use crate::{Context, Policy};

pub struct Det001;

/// The actions that turn off or blind the core detective controls.
pub(crate) const DETECTIVE_ACTIONS: &[&str] = &[
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "cloudtrail:UpdateTrail",
    "config:StopConfigurationRecorder",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "guardduty:DeleteDetector",
    "guardduty:UpdateDetector",
    "guardduty:DisassociateFromMasterAccount",
    "securityhub:DisableSecurityHub",
    // Added after reviewing the Service Authorization Reference (kept last so that existing
    // findings keep their position and message).
    "guardduty:DisassociateFromAdministratorAccount",
    "config:DeleteServiceLinkedConfigurationRecorder",
    "securityhub:DisableSecurityHubV2",
];

impl Policy for Det001 {
    fn id(&self) -> &'static str {
        "DET001"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        report_grants(
            cx,
            &GrantCheck {
                actions: DETECTIVE_ACTIONS,
                what: "disabling detective controls",
                skip_full_wildcards: false,
                all_resources_only: false,
            },
        );
    }
}
