// LOG023: a DocumentDB cluster that keeps no audit log in CloudWatch Logs.

use crate::support::cluster_audit::{AuditSetting, check_audit_logs};
use crate::{Context, Policy};

pub struct Log023;

const DOCUMENTDB: AuditSetting = AuditSetting {
    noun: "DocumentDB cluster",
    cluster_types: &["AWS::DocDB::DBCluster", "aws_docdb_cluster"],
    exports: (
        "EnableCloudwatchLogsExports",
        "enabled_cloudwatch_logs_exports",
    ),
    group_types: &[
        "AWS::DocDB::DBClusterParameterGroup",
        "aws_docdb_cluster_parameter_group",
    ],
    parameter: "audit_logs",
    off: &["disabled", "none"],
    loses: "authentication, user management and schema changes are not kept",
};

impl Policy for Log023 {
    fn id(&self) -> &'static str {
        "LOG023"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        check_audit_logs(cx, &DOCUMENTDB);
    }
}
