// LOG010: a VPC without flow logs.

use crate::model::refs::referrers;
use crate::{Context, Policy};

pub struct Log010;

impl Policy for Log010 {
    fn id(&self) -> &'static str {
        "LOG010"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for vpc in t.resources_of(&["AWS::EC2::VPC", "aws_vpc"]) {
            if referrers(t, vpc, &[], &["AWS::EC2::FlowLog", "aws_flow_log"]).is_empty() {
                cx.report_missing(
                    vpc,
                    format!(
                        "VPC `{}` has no flow log in this template, so its network traffic \
                         cannot be investigated",
                        vpc.id
                    ),
                );
            }
        }
    }
}
