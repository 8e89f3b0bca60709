// LOG022: a Neptune cluster that keeps no audit log in CloudWatch Logs.

use crate::support::cluster_audit::{AuditSetting, check_audit_logs};
use crate::{Context, Policy};

pub struct Log022;

const NEPTUNE: AuditSetting = AuditSetting {
    noun: "Neptune cluster",
    cluster_types: &["AWS::Neptune::DBCluster", "aws_neptune_cluster"],
    exports: (
        "EnableCloudwatchLogsExports",
        "enable_cloudwatch_logs_exports",
    ),
    group_types: &[
        "AWS::Neptune::DBClusterParameterGroup",
        "aws_neptune_cluster_parameter_group",
    ],
    parameter: "neptune_enable_audit_log",
    off: &["0", "false"],
    loses: "who connected and which queries they ran is not kept",
};

impl Policy for Log022 {
    fn id(&self) -> &'static str {
        "LOG022"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        check_audit_logs(cx, &NEPTUNE);
    }
}
