// LOG007: an AWS Config recorder that does not record all resource types, including global
// ones (IAM).

use crate::model::lookup::{Lookup, lookup};
use crate::{Context, Policy};

pub struct Log007;

impl Policy for Log007 {
    fn id(&self) -> &'static str {
        "LOG007"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        let cfn = t.is_cloudformation();
        for r in t.resources_of(&[
            "AWS::Config::ConfigurationRecorder",
            "aws_config_configuration_recorder",
        ]) {
            let (group, all, global) = if cfn {
                (
                    "RecordingGroup",
                    "AllSupported",
                    "IncludeGlobalResourceTypes",
                )
            } else {
                (
                    "recording_group",
                    "all_supported",
                    "include_global_resource_types",
                )
            };
            // (property, default when unset, what is wrong when false)
            for (key, default, problem) in [
                (
                    all,
                    true,
                    "records only selected resource types, so changes to the others go unrecorded",
                ),
                (
                    global,
                    false,
                    "does not record global resource types (IAM users, roles, policies)",
                ),
            ] {
                for hit in lookup(t, r, &[group, key]) {
                    match hit {
                        Lookup::Found(v) if v.val.as_bool() == Some(false) => cx.report(
                            r,
                            v.span,
                            format!(
                                "Config recorder `{}` {problem} ({group}.{key} is false)",
                                r.id
                            ),
                        ),
                        Lookup::Missing(span) if !default => cx.report(
                            r,
                            span,
                            format!(
                                "Config recorder `{}` {problem} ({group}.{key} is not set and \
                                 defaults to false)",
                                r.id
                            ),
                        ),
                        _ => {}
                    }
                }
            }
        }
    }
}
