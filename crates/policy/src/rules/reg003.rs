// REG003: a DynamoDB global table replica in a Region outside the allow-list.

use crate::model::lookup::{Lookup, lookup};
use crate::{Context, Policy};

pub struct Reg003;

impl Policy for Reg003 {
    fn id(&self) -> &'static str {
        "REG003"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let Some(allowed) = cx.settings.allowed_regions.clone() else {
            return;
        };
        let t = cx.template;
        for r in t.resources_of(&["AWS::DynamoDB::GlobalTable", "aws_dynamodb_table"]) {
            let path: &[&str] = if t.is_cloudformation() {
                &["Replicas", "Region"]
            } else {
                &["replica", "region_name"]
            };
            for hit in lookup(t, r, path) {
                let Lookup::Found(v) = hit else { continue };
                let Some(region) = v.val.known_text() else {
                    continue;
                };
                if !cx.settings.region_allowed(region) {
                    cx.report(
                        r,
                        v.span,
                        format!(
                            "table `{}` replicates its data to Region `{region}`, outside the \
                             allowed Regions ({})",
                            r.id,
                            allowed.join(", ")
                        ),
                    );
                }
            }
        }
    }
}
