// LOG018: a WAF web ACL without logging.

use crate::model::refs::referrers;
use crate::{Context, Policy};

pub struct Log018;

impl Policy for Log018 {
    fn id(&self) -> &'static str {
        "LOG018"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for acl in t.resources_of(&["AWS::WAFv2::WebACL", "aws_wafv2_web_acl"]) {
            let configs = referrers(
                t,
                acl,
                &[],
                &[
                    "AWS::WAFv2::LoggingConfiguration",
                    "aws_wafv2_web_acl_logging_configuration",
                ],
            );
            if configs.is_empty() {
                cx.report_missing(
                    acl,
                    format!(
                        "web ACL `{}` has no logging configuration in this template, so blocked \
                         and allowed requests go unrecorded",
                        acl.id
                    ),
                );
            }
        }
    }
}
