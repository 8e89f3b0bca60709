// LOG016: an RDS database or Aurora cluster that exports no logs to CloudWatch Logs.

use crate::support::properties::require_present;
use crate::{Context, Policy};

pub struct Log016;

impl Policy for Log016 {
    fn id(&self) -> &'static str {
        "LOG016"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&[
            "AWS::RDS::DBInstance",
            "AWS::RDS::DBCluster",
            "aws_db_instance",
            "aws_rds_cluster",
        ]) {
            // Instances of an Aurora cluster export through the cluster.
            if r.rtype == "AWS::RDS::DBInstance" && r.prop("DBClusterIdentifier").is_some() {
                continue;
            }
            let key = if t.is_cloudformation() {
                "EnableCloudwatchLogsExports"
            } else {
                "enabled_cloudwatch_logs_exports"
            };
            require_present(
                cx,
                r,
                &[key],
                "exports no database logs to CloudWatch Logs, so logins and errors are not kept",
            );
        }
    }
}
