// REG004: a StackSet deploys stack instances to a Region outside the allow-list.

use crate::model::lookup::lookup_texts;
use crate::{Context, Policy};

pub struct Reg004;

impl Policy for Reg004 {
    fn id(&self) -> &'static str {
        "REG004"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let Some(allowed) = cx.settings.allowed_regions.clone() else {
            return;
        };
        let t = cx.template;
        let targets: &[(&str, &[&str])] = &[
            (
                "AWS::CloudFormation::StackSet",
                &["StackInstancesGroup", "Regions"],
            ),
            ("aws_cloudformation_stack_set_instance", &["region"]),
            (
                "aws_cloudformation_stack_set_instance",
                &["stack_set_instance_region"],
            ),
            ("aws_cloudformation_stack_instances", &["regions"]),
        ];
        for (rtype, path) in targets {
            for r in t.resources_of(std::slice::from_ref(rtype)) {
                let (Some(regions), _) = lookup_texts(t, r, path) else {
                    continue;
                };
                let outside: Vec<&String> = regions
                    .iter()
                    .filter(|g| !cx.settings.region_allowed(g))
                    .collect();
                if outside.is_empty() {
                    continue;
                }
                let span = r
                    .properties
                    .and_then(|p| p.get(path[0]))
                    .map_or(r.anchor, |n| n.span);
                let names: Vec<&str> = outside.iter().map(|s| s.as_str()).collect();
                cx.report(
                    r,
                    span,
                    format!(
                        "`{}` deploys stack instances to {}, outside the allowed Regions ({})",
                        r.id,
                        names.join(", "),
                        allowed.join(", ")
                    ),
                );
            }
        }
    }
}
