// LOG021: an OpenSearch or Elasticsearch domain that publishes no audit log to CloudWatch Logs.

use crate::model::{Resource, Template, Val};
use crate::parse::Node;
use crate::{Context, Policy};

pub struct Log021;

/// The log type that records who did what; error and slow logs are for operations.
const AUDIT: &str = "AUDIT_LOGS";

impl Policy for Log021 {
    fn id(&self) -> &'static str {
        "LOG021"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for r in t.resources_of(&[
            "AWS::OpenSearchService::Domain",
            "AWS::Elasticsearch::Domain",
            "aws_opensearch_domain",
            "aws_elasticsearch_domain",
        ]) {
            let Some(published) = published_types(t, r) else {
                continue;
            };
            if published.iter().any(|p| p == AUDIT) {
                continue;
            }
            let key = if t.is_cloudformation() {
                "LogPublishingOptions"
            } else {
                "log_publishing_options"
            };
            let mut message = format!(
                "search domain `{}` publishes no audit log to CloudWatch Logs, so who read or \
                 changed which index is not kept",
                r.id
            );
            let at = match r.prop(key) {
                Some(node) => node.span,
                None => {
                    message.push_str(&format!(" ({key} is not set)"));
                    r.anchor
                }
            };
            if fine_grained_access_off(t, r) {
                message
                    .push_str("; audit logs also need fine-grained access control, which is off");
            }
            cx.report(r, at, message);
        }
    }
}

/// The log types the domain publishes in every branch; `None` when that cannot be known.
fn published_types(t: &Template<'_>, r: &Resource<'_>) -> Option<Vec<String>> {
    if t.is_cloudformation() {
        cloudformation_types(t, r)
    } else {
        terraform_types(t, r)
    }
}

/// `LogPublishingOptions: {AUDIT_LOGS: {CloudWatchLogsLogGroupArn, Enabled}}`; with `Fn::If`,
/// the types every branch publishes.
fn cloudformation_types(t: &Template<'_>, r: &Resource<'_>) -> Option<Vec<String>> {
    let Some(options) = r.prop("LogPublishingOptions") else {
        return Some(Vec::new());
    };
    let mut common: Option<Vec<String>> = None;
    for branch in t.eval(options) {
        let types = match branch.val {
            Val::Map(map) => {
                let mut types = Vec::new();
                for entry in map.entries() {
                    if enabled(t, entry.value.get("Enabled"))? {
                        types.push(entry.key.to_ascii_uppercase());
                    }
                }
                types
            }
            Val::NoValue | Val::Null => Vec::new(),
            _ => return None,
        };
        common = Some(match common {
            None => types,
            Some(before) => before.into_iter().filter(|ty| types.contains(ty)).collect(),
        });
    }
    common
}

/// `log_publishing_options { log_type = "AUDIT_LOGS" cloudwatch_log_group_arn = … }`, one block
/// per type; `enabled` defaults to true.
fn terraform_types(t: &Template<'_>, r: &Resource<'_>) -> Option<Vec<String>> {
    if r.is_unknown("log_publishing_options") {
        return None;
    }
    let Some(options) = r.prop("log_publishing_options") else {
        return Some(Vec::new());
    };
    let mut out = Vec::new();
    for block in t.items(options) {
        let kinds = t.texts(block.get("log_type")?);
        let [(kind, _)] = kinds.as_slice() else {
            return None;
        };
        if enabled(t, block.get("enabled"))? {
            out.push(kind.to_ascii_uppercase());
        }
    }
    Some(out)
}

/// Whether an `Enabled` flag is on in every branch (absent counts as on); `None` when unknown.
fn enabled(t: &Template<'_>, flag: Option<&Node<'_>>) -> Option<bool> {
    let Some(flag) = flag else {
        return Some(true);
    };
    let mut on = true;
    for (value, _) in t.bools(flag) {
        on &= value?;
    }
    Some(on)
}

/// Whether fine-grained access control is known to be off (absent or false).
fn fine_grained_access_off(t: &Template<'_>, r: &Resource<'_>) -> bool {
    let (block, key) = if t.is_cloudformation() {
        ("AdvancedSecurityOptions", "Enabled")
    } else {
        ("advanced_security_options", "enabled")
    };
    let Some(options) = r.prop(block) else {
        return !r.is_unknown(block);
    };
    let items = t.items(options);
    let maps: Vec<&Node<'_>> = if items.is_empty() {
        t.maps(options)
    } else {
        items
    };
    maps.iter().all(|m| {
        m.get(key)
            .is_none_or(|f| t.bools(f).iter().all(|(b, _)| *b == Some(false)))
    })
}
