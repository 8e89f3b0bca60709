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
        let recorders: Vec<_> = t
            .resources_of(&[
                "AWS::Config::ConfigurationRecorder",
                "aws_config_configuration_recorder",
            ])
            .collect();
        // Global resource types are recorded once, by one Region's recorder: AWS Config
        // advises against recording them in every Region (each would record the same items).
        // When a recorder of the template records them, the others need not.
        // (A recorder of selected types records no global ones, whatever it says.)
        // `all_supported` is true when unset, `include_global_resource_types` false.
        let is_true = |r: &crate::model::Resource<'_>, key: &str, default: bool| {
            let hits = lookup(t, r, &[group, key]);
            !hits.is_empty()
                && hits.iter().all(|hit| match hit {
                    Lookup::Found(v) => v.val.as_bool() == Some(true),
                    Lookup::Missing(_) => default,
                    Lookup::Unknown => false,
                })
        };
        let recorded_once = recorders.len() > 1
            && recorders
                .iter()
                .any(|r| is_true(r, all, true) && is_true(r, global, false));
        for r in recorders {
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
                if key == global && recorded_once {
                    continue;
                }
                let hits = lookup(t, r, &[group, key]);
                // Switched on in some branch (`!If [IsHomeRegion, true, false]`, `home ? true :
                // false`): the condition records global types in one Region, as AWS advises.
                if key == global
                    && hits
                        .iter()
                        .any(|h| matches!(h, Lookup::Found(v) if v.val.as_bool() == Some(true)))
                {
                    continue;
                }
                for hit in hits {
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
