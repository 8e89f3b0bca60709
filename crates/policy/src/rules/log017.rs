// LOG017: an EKS cluster without full control-plane logging.

use crate::model::lookup::lookup_texts;
use crate::{Context, Policy};

pub struct Log017;

const TYPES: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

impl Policy for Log017 {
    fn id(&self) -> &'static str {
        "LOG017"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::EKS::Cluster", "aws_eks_cluster"]) {
            let path: &[&str] = if t.is_cloudformation() {
                &["Logging", "ClusterLogging", "EnabledTypes", "Type"]
            } else {
                &["enabled_cluster_log_types"]
            };
            let (Some(enabled), anchor) = lookup_texts(t, r, path) else {
                continue;
            };
            let missing: Vec<&str> = TYPES
                .iter()
                .copied()
                .filter(|ty| !enabled.iter().any(|e| e.eq_ignore_ascii_case(ty)))
                .collect();
            if !missing.is_empty() {
                cx.report(
                    r,
                    anchor,
                    format!(
                        "EKS cluster `{}` does not log these control-plane components: {}",
                        r.id,
                        missing.join(", ")
                    ),
                );
            }
        }
    }
}
