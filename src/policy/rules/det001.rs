//! DET001: an IAM policy or SCP allows disabling CloudTrail, Config, GuardDuty or Security Hub.

use crate::policy::iam::{self, DocKind};
use crate::policy::{Context, Policy};

pub struct Det001;

/// The actions that turn off or blind the core detective controls.
pub const DETECTIVE_ACTIONS: &[&str] = &[
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
];

impl Policy for Det001 {
    fn id(&self) -> &'static str {
        "DET001"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for doc in cx.documents() {
            if !matches!(doc.kind, DocKind::Identity | DocKind::ServiceControl) {
                continue;
            }
            let r = &t.resources[doc.resource];
            let statements = iam::statements(t, doc.root());
            for st in &statements {
                let granted: Vec<&str> = DETECTIVE_ACTIONS
                    .iter()
                    .copied()
                    .filter(|a| st.allows(a))
                    .filter(|a| !statements.iter().any(|d| d.denies_everywhere(a)))
                    .collect();
                let Some(first) = granted.first() else {
                    continue;
                };
                let how = match st.matching_pattern(first) {
                    Some(p) if !p.eq_ignore_ascii_case(first) => format!(" through `{p}`"),
                    Some(_) => String::new(),
                    None => " through NotAction".to_string(),
                };
                let sid = st
                    .sid
                    .as_ref()
                    .map(|s| format!(" (statement `{s}`)"))
                    .unwrap_or_default();
                cx.report(
                    r,
                    st.action_span(first),
                    format!(
                        "policy of `{}`{sid} allows disabling detective controls{how}: {}",
                        r.id,
                        granted.join(", ")
                    ),
                );
            }
        }
    }
}
