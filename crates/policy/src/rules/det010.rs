// DET010: a disabled EventBridge rule that would route detective-control findings or
// CloudTrail events to someone.

use crate::model::{Template, Val};
use crate::parse::{Limits, Node, json};
use crate::{Context, Policy};

pub struct Det010;

/// Event sources of detective controls.
const SOURCES: &[&str] = &[
    "aws.guardduty",
    "aws.securityhub",
    "aws.config",
    "aws.cloudtrail",
    "aws.access-analyzer",
    "aws.macie",
    "aws.inspector2",
    "aws.detective",
    "aws.signin",
];

/// Whether an event pattern (structure or JSON string) matches detective-control events.
fn watches_detective_sources(t: &Template<'_>, pattern: &Node<'_>) -> bool {
    let check = |n: &Node<'_>| -> bool {
        n.get("source").is_some_and(|s| {
            let (texts, _) = t.texts_of_list(s);
            texts.iter().any(|(v, _)| SOURCES.contains(&v.as_ref()))
        }) || n.at(&["detail", "eventSource"]).is_some()
    };
    t.eval(pattern).iter().any(|v| match &v.val {
        Val::Map(m) => check(m),
        Val::Str(s) => json::parse(s, &Limits::default()).is_ok_and(|p| check(&p.root)),
        _ => false,
    })
}

impl Policy for Det010 {
    fn id(&self) -> &'static str {
        "DET010"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&["AWS::Events::Rule", "aws_cloudwatch_event_rule"]) {
            let Some(pattern) = r.prop(if t.is_cloudformation() {
                "EventPattern"
            } else {
                "event_pattern"
            }) else {
                continue;
            };
            if !watches_detective_sources(t, pattern) {
                continue;
            }
            let disabled = if t.is_cloudformation() {
                r.prop("State")
                    .map(|s| t.texts(s))
                    .unwrap_or_default()
                    .into_iter()
                    .find(|(s, _)| s.eq_ignore_ascii_case("DISABLED"))
                    .map(|(_, span)| span)
            } else {
                r.prop("state")
                    .map(|s| t.texts(s))
                    .unwrap_or_default()
                    .into_iter()
                    .find(|(s, _)| s.eq_ignore_ascii_case("DISABLED"))
                    .map(|(_, span)| span)
                    .or_else(|| r.prop("is_enabled").and_then(|n| t.may_be_false(n)))
            };
            if let Some(span) = disabled {
                cx.report(
                    r,
                    span,
                    format!(
                        "rule `{}` routes detective-control events but is disabled, so nobody is alerted",
                        r.id
                    ),
                );
            }
        }
    }
}
