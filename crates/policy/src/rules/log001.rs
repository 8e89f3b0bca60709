// LOG001: a CloudTrail trail that is not logging, not multi-Region, or not validating its
// log files.

use crate::support::properties::{BoolState, add_true, bool_property, set_true};
use crate::{Context, Policy};

pub struct Log001;

/// (CloudFormation property, Terraform attribute, wanted value, default, what is wrong).
const CHECKS: &[(&str, &str, bool, bool, &str)] = &[
    ("IsLogging", "enable_logging", true, true, "is not logging"),
    (
        "IsMultiRegionTrail",
        "is_multi_region_trail",
        true,
        false,
        "is not multi-Region, so activity in other Regions goes unrecorded",
    ),
    (
        "EnableLogFileValidation",
        "enable_log_file_validation",
        true,
        false,
        "does not validate its log files, so tampering with delivered logs goes unnoticed",
    ),
];

impl Policy for Log001 {
    fn id(&self) -> &'static str {
        "LOG001"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::CloudTrail::Trail", "aws_cloudtrail"]) {
            for (cfn, tf, want, tf_default, problem) in CHECKS {
                let (key, default) = if t.is_cloudformation() {
                    // IsLogging is required in CloudFormation; a trail without it is not one
                    // that logs.
                    (
                        *cfn,
                        if *cfn == "IsLogging" {
                            false
                        } else {
                            *tf_default
                        },
                    )
                } else {
                    (*tf, *tf_default)
                };
                match bool_property(t, r, key, *want, default) {
                    BoolState::Wrong(span) => cx.report_fixable(
                        r,
                        span,
                        format!("trail `{}` {problem} ({key} is {})", r.id, !want),
                        set_true(r, span, key),
                    ),
                    BoolState::MissingWrong => cx.report_fixable(
                        r,
                        r.anchor,
                        format!(
                            "trail `{}` {problem} ({key} is not set and defaults to {default})",
                            r.id
                        ),
                        add_true(r, key),
                    ),
                    BoolState::Fine => {}
                }
            }
        }
    }
}
