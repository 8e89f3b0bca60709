// LOG012: an Application or Network Load Balancer without access logs.

use crate::model::Val;
use crate::support::properties::require_true;
use crate::{Context, Policy};

pub struct Log012;

const WHAT: &str = "does not write access logs, so requests through it leave no record";

impl Policy for Log012 {
    fn id(&self) -> &'static str {
        "LOG012"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&[
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "aws_lb",
            "aws_alb",
        ]) {
            // Gateway Load Balancers have no access logs.
            let type_key = if t.is_cloudformation() {
                "Type"
            } else {
                "load_balancer_type"
            };
            if r.prop(type_key)
                .is_some_and(|n| t.texts(n).iter().any(|(s, _)| s == "gateway"))
            {
                continue;
            }
            if t.is_terraform() {
                require_true(cx, r, &["access_logs", "enabled"], false, WHAT);
                continue;
            }
            // LoadBalancerAttributes: [{Key: access_logs.s3.enabled, Value: "true"}]
            let mut state: Option<(bool, crate::source::Span)> = None;
            let mut unknown = false;
            if let Some(attrs) = r.prop("LoadBalancerAttributes") {
                for item in t.items(attrs) {
                    let key = item.get("Key").map(|k| t.texts(k)).unwrap_or_default();
                    if !key.iter().any(|(k, _)| k == "access_logs.s3.enabled") {
                        if key.is_empty() {
                            unknown = true;
                        }
                        continue;
                    }
                    for hit in attribute_value(t, item) {
                        match hit {
                            Some((b, span)) => state = Some((b, span)),
                            None => unknown = true,
                        }
                    }
                }
            }
            match state {
                Some((true, _)) => {}
                Some((false, span)) => cx.report(
                    r,
                    span,
                    format!("`{}` {WHAT} (access_logs.s3.enabled is false)", r.id),
                ),
                None if unknown => {}
                None => cx.report_missing(
                    r,
                    format!("`{}` {WHAT} (access_logs.s3.enabled is not set)", r.id),
                ),
            }
        }
    }
}

/// The boolean `Value` of a `{Key, Value}` attribute item, per branch; `None` where unknown.
fn attribute_value(
    t: &crate::model::Template<'_>,
    item: &crate::parse::Node<'_>,
) -> Vec<Option<(bool, crate::source::Span)>> {
    match item.get("Value") {
        None => vec![Some((false, item.span))],
        Some(v) => t
            .eval(v)
            .into_iter()
            .map(|r| match r.val {
                Val::Unknown => None,
                ref other => other.as_bool().map(|b| (b, r.span)),
            })
            .collect(),
    }
}
