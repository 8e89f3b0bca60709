// LOG013: a CloudFront distribution without access logging.

use crate::support::properties::require_present;
use crate::{Context, Policy};

pub struct Log013;

impl Policy for Log013 {
    fn id(&self) -> &'static str {
        "LOG013"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&[
            "AWS::CloudFront::Distribution",
            "aws_cloudfront_distribution",
        ]) {
            let path: &[&str] = if t.is_cloudformation() {
                &["DistributionConfig", "Logging"]
            } else {
                &["logging_config"]
            };
            require_present(
                cx,
                r,
                path,
                "does not write access logs, so requests to the distribution leave no record",
            );
        }
    }
}
