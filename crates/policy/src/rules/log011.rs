// LOG011: a Classic Load Balancer without access logs.

use crate::support::properties::{require_present, require_true};
use crate::{Context, Policy};

pub struct Log011;

const WHAT: &str = "does not write access logs, so requests through it leave no record";

impl Policy for Log011 {
    fn id(&self) -> &'static str {
        "LOG011"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::ElasticLoadBalancing::LoadBalancer", "aws_elb"]) {
            if t.is_cloudformation() {
                require_true(cx, r, &["AccessLoggingPolicy", "Enabled"], false, WHAT);
            } else {
                // `access_logs.enabled` defaults to true once the block is there.
                require_present(cx, r, &["access_logs"], WHAT);
                require_true(cx, r, &["access_logs", "enabled"], true, WHAT);
            }
        }
    }
}
