//! Small helpers several policies share.

use crate::model::{Resolved, Resource, Template, Val};
use crate::parse::{Node, Value};
use crate::policy::Context;
use crate::source::Span;

/// Whether `s` has the shape of an AWS Region code (`us-east-1`, `eu-central-2`,
/// `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return false;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// The Region fields of every ARN in a string (`arn:aws:sns:eu-west-1:123:topic`), skipping
/// global ARNs (empty region) and unknown parts.
pub fn arn_regions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("arn:") {
        let candidate = &rest[i..];
        let mut fields = candidate.splitn(5, ':');
        let (_arn, partition, _service, region) =
            (fields.next(), fields.next(), fields.next(), fields.next());
        if let (Some(partition), Some(region)) = (partition, region)
            && partition.starts_with("aws")
            && !crate::model::has_unknown(region)
            && is_region(region)
        {
            out.push(region);
        }
        rest = &rest[i + 4..];
    }
    out
}

/// A boolean property check with a default: returns the span to report when the property is
/// known to be `want`'s opposite in some branch, or absent while the default is wrong.
pub enum BoolState {
    /// Set to the wrong value (in some branch): report at this span.
    Wrong(Span),
    /// Not set, and the default is the wrong value.
    MissingWrong,
    Fine,
}

pub fn bool_property(
    t: &Template<'_>,
    r: &Resource<'_>,
    key: &str,
    want: bool,
    default: bool,
) -> BoolState {
    match r.prop(key) {
        Some(node) => match t.bools(node).into_iter().find(|(b, _)| *b == Some(!want)) {
            Some((_, span)) => BoolState::Wrong(span),
            None => BoolState::Fine,
        },
        None if r.is_unknown(key) => BoolState::Fine,
        None if default != want => BoolState::MissingWrong,
        None => BoolState::Fine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-4",
            "il-central-1",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "us-east",
            "useast-1",
            "US-EAST-1",
            "us-east-123",
            "global",
            "eu--1",
            "x-y-1-2-3",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }

    #[test]
    fn endpoints_and_zones() {
        assert_eq!(
            endpoint_regions("https://sqs.eu-west-2.amazonaws.com/1/q"),
            ["eu-west-2"]
        );
        assert_eq!(
            endpoint_regions("s3-us-west-1.amazonaws.com"),
            ["us-west-1"]
        );
        assert_eq!(
            endpoint_regions("x.s3.dualstack.ap-south-1.amazonaws.com"),
            ["ap-south-1"]
        );
        assert_eq!(
            endpoint_regions("sts.amazonaws.com and docs.aws.amazon.com"),
            Vec::<&str>::new()
        );
        assert_eq!(az_region("us-west-2a"), Some("us-west-2"));
        assert_eq!(az_region("us-west-2-lax-1a"), Some("us-west-2"));
        assert_eq!(az_region("use1-az1"), None);
        assert_eq!(az_region("us-west-2"), None);
    }

    #[test]
    fn arn_region_fields() {
        assert_eq!(
            arn_regions("arn:aws:sns:eu-west-1:123456789012:t"),
            ["eu-west-1"]
        );
        assert_eq!(arn_regions("arn:aws:s3:::bucket/*"), Vec::<&str>::new());
        assert_eq!(
            arn_regions(
                "a arn:aws:lambda:us-west-2:1:function:f and arn:aws-cn:sqs:cn-north-1:1:q"
            ),
            ["us-west-2", "cn-north-1"]
        );
    }
}

/// The outcome of following a property path through a resource.
#[derive(Debug)]
pub enum Lookup<'n> {
    /// A value at the end of the path (one per `Fn::If` branch or list item).
    Found(Resolved<'n>),
    /// The path stops here: the next key is absent under the node with this span (the
    /// resource's anchor when a top-level property is absent).
    Missing(Span),
    /// Something along the path cannot be known.
    Unknown,
}

/// Follow `path` from a resource's properties. Mappings are entered by key; lists (Terraform
/// blocks, CloudFormation property lists) are entered item by item; intrinsics are evaluated
/// along the way.
pub fn lookup<'a>(t: &Template<'a>, r: &Resource<'a>, path: &[&str]) -> Vec<Lookup<'a>> {
    let Some(props) = r.properties else {
        return vec![Lookup::Missing(r.anchor)];
    };
    if let Some(first) = path.first()
        && r.is_unknown(first)
    {
        return vec![Lookup::Unknown];
    }
    let mut out = Vec::new();
    // SAM Globals supply top-level properties the resource does not set.
    let start = match (path.first(), r.defaults) {
        (Some(first), Some(defaults))
            if props.get(first).is_none() && defaults.get(first).is_some() =>
        {
            defaults
        }
        _ => props,
    };
    follow(t, start, path, r.anchor, &mut out, 0);
    out
}

fn follow<'a>(
    t: &Template<'a>,
    node: &'a Node<'a>,
    path: &[&str],
    missing_at: Span,
    out: &mut Vec<Lookup<'a>>,
    depth: usize,
) {
    if depth > 32 {
        out.push(Lookup::Unknown);
        return;
    }
    let Some((key, rest)) = path.split_first() else {
        for r in t.eval(node) {
            match r.val {
                Val::Unknown => out.push(Lookup::Unknown),
                Val::NoValue => out.push(Lookup::Missing(missing_at)),
                _ => out.push(Lookup::Found(r)),
            }
        }
        return;
    };
    for r in t.eval(node) {
        match r.val {
            Val::Map(m) => match m.entry(key) {
                Some(e) if !matches!(e.value.value, Value::Null) => {
                    follow(t, &e.value, rest, e.key_span, out, depth + 1)
                }
                _ => out.push(Lookup::Missing(missing_at)),
            },
            Val::Seq(s) => {
                let items = t.items(s);
                if items.is_empty() {
                    out.push(Lookup::Missing(missing_at));
                }
                for item in items {
                    follow(t, item, path, missing_at, out, depth + 1);
                }
            }
            Val::NoValue | Val::Null => out.push(Lookup::Missing(missing_at)),
            _ => out.push(Lookup::Unknown),
        }
    }
}

/// A path that must end in `true` (or be absent with a `true` default). Reports each known
/// `false` at its span, and absence (when the default is `false`) at the nearest existing
/// parent. `what` completes "`<id>` ..." in the message.
pub fn require_true(
    cx: &mut Context<'_, '_>,
    r: &Resource<'_>,
    path: &[&str],
    default: bool,
    what: &str,
) {
    let t = cx.template;
    let hits = lookup(t, r, path);
    let key = path.join(".");
    for hit in hits {
        match hit {
            Lookup::Found(v) if v.val.as_bool() == Some(false) => {
                cx.report(r, v.span, format!("`{}` {what} ({key} is false)", r.id));
            }
            Lookup::Missing(span) if !default => {
                cx.report(r, span, format!("`{}` {what} ({key} is not set)", r.id));
            }
            _ => {}
        }
    }
}

/// A path that must be present (any known non-empty value). Reports absence at the nearest
/// existing parent.
pub fn require_present(cx: &mut Context<'_, '_>, r: &Resource<'_>, path: &[&str], what: &str) {
    let t = cx.template;
    let key = path.join(".");
    let hits = lookup(t, r, path);
    // Several branches: report once per missing location.
    let mut reported = Vec::new();
    for hit in hits {
        if let Lookup::Missing(span) = hit
            && !reported.contains(&span)
        {
            reported.push(span);
            cx.report(r, span, format!("`{}` {what} ({key} is not set)", r.id));
        }
        if let Lookup::Found(v) = &hit {
            let empty = match v.val {
                Val::Seq(s) => t.items(s).is_empty(),
                Val::Map(m) => m.entries().is_empty(),
                _ => v.val.known_text() == Some(""),
            };
            if empty {
                cx.report(r, v.span, format!("`{}` {what} ({key} is empty)", r.id));
            }
        }
    }
}

/// The known texts at the end of a path, with list values flattened; `None` when some value
/// cannot be known. The span is where the path stops when nothing is there.
pub fn lookup_texts(
    t: &Template<'_>,
    r: &Resource<'_>,
    path: &[&str],
) -> (Option<Vec<String>>, Span) {
    let mut texts = Vec::new();
    let mut anchor = r.anchor;
    for hit in lookup(t, r, path) {
        match hit {
            Lookup::Found(v) => match v.val {
                Val::Seq(s) => {
                    let (items, unknown) = t.texts_of_list(s);
                    if unknown {
                        return (None, anchor);
                    }
                    texts.extend(items.into_iter().map(|(s, _)| s.to_string()));
                }
                ref other => match other.known_text() {
                    Some(s) => texts.push(s.to_string()),
                    None => return (None, anchor),
                },
            },
            Lookup::Unknown => return (None, anchor),
            Lookup::Missing(span) => anchor = span,
        }
    }
    (Some(texts), anchor)
}

/// How other resources of the same template can name a resource.
#[derive(Debug, Default)]
pub struct Names {
    /// Logical ID (CloudFormation) or address without index and module prefix (Terraform).
    pub ids: Vec<String>,
    /// Literal physical names (`BucketName: logs`, `bucket = "logs"`), when known.
    pub literals: Vec<String>,
}

/// The names of `r`; `name_keys` are the properties that hold its physical name.
pub fn reference_names(t: &Template<'_>, r: &Resource<'_>, name_keys: &[&str]) -> Names {
    let mut names = Names::default();
    if t.is_terraform() {
        // Plans and states name instances `aws_s3_bucket.x[0]` (in modules `module.m.aws_...`);
        // expressions name the resource `aws_s3_bucket.x`.
        let base = r.id.split('[').next().unwrap_or(&r.id);
        let base = match base.rfind("module.") {
            Some(i) => base[i..].splitn(3, '.').nth(2).unwrap_or(base),
            None => base,
        };
        names.ids.push(base.to_string());
    } else {
        names.ids.push(r.id.to_string());
    }
    for key in name_keys {
        if let Some(n) = r.prop(key) {
            for (s, _) in t.texts(n) {
                if !s.is_empty() && !crate::model::has_unknown(&s) {
                    names.literals.push(s.to_string());
                }
            }
        }
    }
    names
}

/// Whether `s` names `name` as a whole identifier (not as part of a longer one).
pub(crate) fn mentions(s: &str, name: &str) -> bool {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = s[from..].find(name) {
        let start = from + i;
        let end = start + name.len();
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        let before_ok = start == 0 || !ident(bytes[start - 1]);
        let after_ok = end == bytes.len() || !ident(bytes[end]);
        if before_ok && after_ok {
            return true;
        }
        from = start + 1;
    }
    false
}

/// Calls `f` with each name a node refers to: CloudFormation `Ref` targets, `Fn::GetAtt`
/// resources and `Fn::Sub` variables; Terraform interpolation expressions.
pub(crate) fn scan_refs(node: &Node<'_>, cfn: bool, f: &mut dyn FnMut(&str)) {
    match &node.value {
        Value::String(s) if !cfn => {
            let mut rest = s.as_ref();
            while let Some(i) = rest.find("${") {
                let expr = &rest[i + 2..];
                let end = expr.find('}').unwrap_or(expr.len());
                f(&expr[..end]);
                rest = &expr[end..];
            }
        }
        Value::Seq(items) => items.iter().for_each(|n| scan_refs(n, cfn, f)),
        Value::Map(entries) => {
            if cfn && let [e] = entries.as_slice() {
                match e.key.as_ref() {
                    "Ref" => {
                        if let Some(s) = e.value.as_str() {
                            f(s);
                        }
                        return;
                    }
                    "Fn::GetAtt" => {
                        match (&e.value.value, e.value.items().first()) {
                            (Value::String(s), _) => f(s.split('.').next().unwrap_or(s)),
                            (_, Some(first)) => {
                                if let Some(s) = first.as_str() {
                                    f(s);
                                }
                            }
                            _ => {}
                        }
                        return;
                    }
                    "Fn::Sub" => {
                        let template = match &e.value.value {
                            Value::String(s) => Some(s.as_ref()),
                            _ => e.value.items().first().and_then(Node::as_str),
                        };
                        if let Some(t) = template {
                            let mut rest = t;
                            while let Some(i) = rest.find("${") {
                                let expr = &rest[i + 2..];
                                let end = expr.find('}').unwrap_or(expr.len());
                                let name = &expr[..end];
                                f(name.split('.').next().unwrap_or(name));
                                rest = &expr[end..];
                            }
                        }
                        if let Some(vars) = e.value.items().get(1) {
                            scan_refs(vars, cfn, f);
                        }
                        return;
                    }
                    _ => {}
                }
            }
            entries.iter().for_each(|e| scan_refs(&e.value, cfn, f));
        }
        _ => {}
    }
}

/// Resources of `types` that refer to `target` in any property, in template order. Answered
/// from the template's reference index (built once, on first use), so asking for every
/// resource's referrers stays linear in the size of the template.
pub fn referrers<'t, 'a>(
    t: &'t Template<'a>,
    target: &Resource<'a>,
    name_keys: &[&str],
    types: &'t [&'t str],
) -> Vec<&'t Resource<'a>> {
    let names = reference_names(t, target, name_keys);
    t.references()
        .referring(t, &names)
        .into_iter()
        .map(|i| &t.resources[i])
        .filter(|r| types.contains(&r.rtype))
        .collect()
}

/// The unevaluated nodes at a property path (through lists), where `Ref`s to resources live.
pub(crate) fn raw_path_nodes<'n>(r: &Resource<'n>, path: &[&str]) -> Vec<&'n Node<'n>> {
    let Some(mut nodes) = r.properties.map(|p| vec![p]) else {
        return Vec::new();
    };
    for key in path {
        let mut next = Vec::new();
        for n in nodes {
            match &n.value {
                Value::Seq(items) => next.extend(items.iter().filter_map(|i| i.get(key))),
                _ => next.extend(n.get(key)),
            }
        }
        nodes = next;
    }
    nodes
}

/// The expression references of a plan resource, from the plan's `configuration` section
/// (planned values hold only known values; references to other resources live there).
pub fn tf_config_references<'a>(t: &Template<'a>, r: &Resource<'a>) -> Vec<&'a str> {
    let mut out = Vec::new();
    for res in t.plan_config(r) {
        collect_references(res.get("expressions"), &mut out);
    }
    out
}

fn collect_references<'a>(node: Option<&'a Node<'a>>, out: &mut Vec<&'a str>) {
    let Some(node) = node else { return };
    match &node.value {
        Value::Map(entries) => {
            for e in entries {
                if e.key == "references" {
                    out.extend(e.value.items().iter().filter_map(Node::as_str));
                } else {
                    collect_references(Some(&e.value), out);
                }
            }
        }
        Value::Seq(items) => items.iter().for_each(|n| collect_references(Some(n), out)),
        _ => {}
    }
}

pub const TRAIL_TYPES: &[&str] = &["AWS::CloudTrail::Trail", "aws_cloudtrail"];
pub const BUCKET_TYPES: &[&str] = &["AWS::S3::Bucket", "aws_s3_bucket"];
pub const BUCKET_NAME_KEYS: &[&str] = &["BucketName", "bucket"];

/// Whether a property (or Terraform block) is present with a known, non-empty value in every
/// branch: `Some(true)`; absent in some branch: `Some(false)`; unknown: `None`.
pub fn has_property(t: &Template<'_>, r: &Resource<'_>, path: &[&str]) -> Option<bool> {
    let mut any_unknown = false;
    for hit in lookup(t, r, path) {
        match hit {
            Lookup::Missing(_) => return Some(false),
            Lookup::Unknown => any_unknown = true,
            Lookup::Found(_) => {}
        }
    }
    if any_unknown { None } else { Some(true) }
}

/// The buckets of this template that a CloudTrail trail delivers to.
pub fn trail_buckets<'t, 'a>(t: &'t Template<'a>) -> Vec<&'t Resource<'a>> {
    t.references()
        .log_buckets(t)
        .trail
        .iter()
        .map(|&i| &t.resources[i])
        .collect()
}

/// Whether a bucket has server access logging: CloudFormation `LoggingConfiguration`; Terraform
/// a `logging` block or an `aws_s3_bucket_logging` resource for it. `None` when unknown.
pub fn bucket_logs_access(t: &Template<'_>, bucket: &Resource<'_>) -> Option<bool> {
    if t.is_cloudformation() {
        return has_property(t, bucket, &["LoggingConfiguration"]);
    }
    if has_property(t, bucket, &["logging"]) != Some(false) {
        return has_property(t, bucket, &["logging"]);
    }
    Some(!referrers(t, bucket, BUCKET_NAME_KEYS, &["aws_s3_bucket_logging"]).is_empty())
}

const BLOCK_CFN: &[&str] = &[
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
];
const BLOCK_TF: &[&str] = &[
    "block_public_acls",
    "block_public_policy",
    "ignore_public_acls",
    "restrict_public_buckets",
];

/// The public-access-block settings of a bucket that are not known to be on, or `None` when the
/// bucket's setting cannot be known. An account-wide block in the template covers every bucket.
pub fn bucket_public_access_gaps(
    t: &Template<'_>,
    bucket: &Resource<'_>,
) -> Option<Vec<&'static str>> {
    let all_on = |r: &Resource<'_>, keys: &'static [&'static str]| -> Option<Vec<&'static str>> {
        let mut gaps = Vec::new();
        for key in keys {
            let path: &[&str] = if t.is_cloudformation() {
                &["PublicAccessBlockConfiguration", key]
            } else {
                std::slice::from_ref(key)
            };
            let mut on = true;
            for hit in lookup(t, r, path) {
                match hit {
                    Lookup::Found(v) if v.val.as_bool() == Some(true) => {}
                    Lookup::Found(v) if !v.val.is_known() => return None,
                    Lookup::Unknown => return None,
                    _ => on = false,
                }
            }
            if !on {
                gaps.push(*key);
            }
        }
        Some(gaps)
    };
    if t.is_cloudformation() {
        return all_on(bucket, BLOCK_CFN);
    }
    if t.resources_of(&["aws_s3_account_public_access_block"])
        .any(|a| all_on(a, BLOCK_TF).is_some_and(|g| g.is_empty()))
    {
        return Some(Vec::new());
    }
    let blocks = referrers(
        t,
        bucket,
        BUCKET_NAME_KEYS,
        &["aws_s3_bucket_public_access_block"],
    );
    if blocks.is_empty() {
        return Some(BLOCK_TF.to_vec());
    }
    let mut best: Option<Vec<&'static str>> = None;
    for b in blocks {
        match all_on(b, BLOCK_TF) {
            None => return None,
            Some(g) if best.as_ref().is_none_or(|b| g.len() < b.len()) => best = Some(g),
            _ => {}
        }
    }
    best
}

/// How a grant of sensitive actions is reported.
pub struct GrantCheck<'s> {
    /// The actions that matter, `service:Action`.
    pub actions: &'s [&'s str],
    /// Completes "allows ..." in the message.
    pub what: &'s str,
    /// Leave out statements that match only through `*`, `*:*` or `NotAction` (full-admin
    /// grants, which DET001 already reports), so one statement is not reported four times.
    pub skip_full_wildcards: bool,
    /// Only statements on every resource of the action (`*`, `arn:aws:iam::123:role/*`) count.
    pub all_resources_only: bool,
}

/// Report each statement of an identity policy (inline, standalone or AWS managed) that allows
/// some of `check.actions` on resources they can act on, and that no unconditional Deny takes
/// back, in the same policy or in any policy attached to the same principals. Service control
/// policies are not read: an SCP `Allow` grants nothing (it only leaves room for IAM to).
pub fn report_grants(cx: &mut Context<'_, '_>, check: &GrantCheck<'_>) {
    use crate::policy::iam::{self, DocKind};
    let t = cx.template;
    for (di, doc) in cx.documents().iter().enumerate() {
        if doc.kind != DocKind::Identity {
            continue;
        }
        let r = &t.resources[doc.resource];
        let statements = cx.statements(di);
        for st in statements {
            let full = |p: &str| p == "*" || p == "*:*";
            let granted: Vec<&str> = check
                .actions
                .iter()
                .copied()
                .filter(|a| st.allows(a) && st.resource_may_cover(a))
                .filter(|a| !check.all_resources_only || st.covers_all_resources_of(a))
                .filter(|a| {
                    !check.skip_full_wildcards
                        || (!st.not_action
                            && st
                                .actions
                                .values
                                .iter()
                                .any(|(p, _)| !full(p) && iam::action_matches(p, a)))
                })
                .filter(|a| !cx.denied_everywhere(di, a))
                .filter(|a| !cx.only_the_service_itself(di, a.split(':').next().unwrap_or(a)))
                .collect();
            let Some(first) = granted.first() else {
                continue;
            };
            let pattern = st
                .actions
                .values
                .iter()
                .find(|(p, _)| {
                    (!check.skip_full_wildcards || !full(p)) && iam::action_matches(p, first)
                })
                .filter(|_| !st.not_action);
            let how = match pattern {
                Some((p, _)) if !p.eq_ignore_ascii_case(first) => format!(" through `{p}`"),
                Some(_) => String::new(),
                None => " through NotAction".to_string(),
            };
            let span = match doc.managed {
                Some(_) => doc.span,
                None => pattern.map_or(st.actions.span, |(_, s)| *s),
            };
            let sid = st
                .sid
                .as_ref()
                .map(|s| format!(" (statement `{s}`)"))
                .unwrap_or_default();
            let whose = match doc.managed {
                Some(name) => {
                    let holders: Vec<String> = cx
                        .attachments()
                        .holders(di)
                        .iter()
                        .filter(|&&h| h != doc.resource)
                        .map(|&h| format!("`{}`", t.resources[h].id))
                        .collect();
                    if holders.is_empty() {
                        format!("AWS managed policy `{name}` attached to `{}`", r.id)
                    } else {
                        format!(
                            "AWS managed policy `{name}` attached to {} by `{}`",
                            holders.join(", "),
                            r.id
                        )
                    }
                }
                None => format!("policy of `{}`{sid}", r.id),
            };
            cx.report(
                r,
                span,
                format!("{whose} allows {}{how}: {}", check.what, granted.join(", ")),
            );
        }
    }
}

/// Buckets of the template that receive CloudTrail logs or AWS Config history.
pub fn detective_buckets<'t, 'a>(t: &'t Template<'a>) -> Vec<&'t Resource<'a>> {
    t.references()
        .log_buckets(t)
        .detective
        .iter()
        .map(|&i| &t.resources[i])
        .collect()
}

/// Which buckets receive CloudTrail logs, and which CloudTrail or Config logs (indexes into
/// `Template::resources`), worked out once per template: several policies ask.
#[derive(Debug, Default)]
pub struct LogBuckets {
    pub trail: Vec<usize>,
    pub detective: Vec<usize>,
}

impl LogBuckets {
    pub fn of(t: &Template<'_>) -> LogBuckets {
        let mut out = LogBuckets::default();
        for (i, b) in t.resources.iter().enumerate() {
            if !BUCKET_TYPES.contains(&b.rtype) {
                continue;
            }
            let from = referrers(t, b, BUCKET_NAME_KEYS, DETECTIVE_SOURCES);
            if from.iter().any(|r| TRAIL_TYPES.contains(&r.rtype)) {
                out.trail.push(i);
            }
            if !from.is_empty() {
                out.detective.push(i);
            }
        }
        out
    }
}

/// Resources that deliver detective-control logs to a bucket.
const DETECTIVE_SOURCES: &[&str] = &[
    "AWS::CloudTrail::Trail",
    "aws_cloudtrail",
    "AWS::Config::DeliveryChannel",
    "aws_config_delivery_channel",
];

/// Whether a CloudFormation resource is kept when its stack is deleted or it is replaced.
pub fn retained(t: &Template<'_>, r: &Resource<'_>) -> Option<bool> {
    let Some(policy) = r.deletion_policy else {
        return Some(false);
    };
    let texts = t.texts(policy);
    if texts.is_empty() {
        return None;
    }
    Some(
        texts
            .iter()
            .all(|(s, _)| s == "Retain" || s == "RetainExceptOnCreate"),
    )
}

/// For a resource of a Terraform plan: the top-level attributes written in its configuration
/// (the plan's `configuration` section). Planned values also hold attributes the provider
/// computes (`arn`, `*_domain_name`, a per-resource `region` copied from the provider), which
/// no one pinned in the template. `None` when the configuration is not in the plan, or for
/// other formats.
pub fn tf_configured_keys<'a>(t: &Template<'a>, r: &Resource<'a>) -> Option<Vec<&'a str>> {
    let res = *t.plan_config(r).first()?;
    Some(
        res.get("expressions")
            .map_or(&[][..], Node::entries)
            .iter()
            .map(|e| e.key.as_ref())
            .collect(),
    )
}

/// A string value written in a resource: intrinsics evaluated; in Terraform plans, only
/// configured attributes, never Terraform's computed `arn`/`id`.
#[derive(Clone, Debug)]
pub struct Authored<'a> {
    /// The nearest mapping key above it.
    pub key: Option<&'a str>,
    pub text: std::borrow::Cow<'a, str>,
    pub span: Span,
}

/// The strings authored in each resource (indexed like `Template::resources`): computed once
/// per template for the policies that scan every string (the region family).
pub fn all_authored<'a>(t: &Template<'a>) -> Vec<Vec<Authored<'a>>> {
    t.resources
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            let Some(props) = r.properties else {
                return out;
            };
            let mut push = |key: Option<&'a str>, v: &crate::model::Resolved<'a>| {
                if let Val::Str(s) = &v.val {
                    out.push(Authored {
                        key,
                        text: s.clone(),
                        span: v.span,
                    });
                }
            };
            if t.is_terraform() {
                let configured = tf_configured_keys(t, r);
                for e in props.entries() {
                    if matches!(e.key.as_ref(), "arn" | "id")
                        || configured
                            .as_ref()
                            .is_some_and(|c| !c.contains(&e.key.as_ref()))
                    {
                        continue;
                    }
                    let top: &'a str = &e.key;
                    super::super::walk::scalars(t, &e.value, &mut |key, v| {
                        push(key.or(Some(top)), v)
                    });
                }
            } else {
                super::super::walk::scalars(t, props, &mut |key, v| push(key, v));
            }
            out
        })
        .collect()
}

/// The Regions named by endpoint host names in a string (`sqs.eu-west-2.amazonaws.com`,
/// `s3-us-west-1.amazonaws.com`, `*.amazonaws.com.cn`).
pub fn endpoint_regions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(".amazonaws.com") {
        let end = from + i;
        let mut start = end;
        while start > 0
            && (bytes[start - 1].is_ascii_alphanumeric() || matches!(bytes[start - 1], b'.' | b'-'))
        {
            start -= 1;
        }
        for label in text[start..end].split('.') {
            let label = label.strip_prefix("s3-").unwrap_or(label);
            if is_region(label) {
                out.push(label);
            }
        }
        from = end + 1;
    }
    out
}

/// The Region of an Availability Zone name (`us-west-2a` → `us-west-2`; local zones such as
/// `us-west-2-lax-1a` too).
pub fn az_region(az: &str) -> Option<&str> {
    let trimmed = az.trim_end_matches(|c: char| c.is_ascii_lowercase());
    if trimmed.len() == az.len() || trimmed.is_empty() {
        return None;
    }
    if is_region(trimmed) {
        return Some(trimmed);
    }
    // Local and Wavelength zones: region, then more labels.
    let parts: Vec<&str> = trimmed.split('-').collect();
    (3..parts.len()).rev().find_map(|n| {
        let candidate_len: usize = parts[..n].iter().map(|p| p.len()).sum::<usize>() + n - 1;
        let candidate = &trimmed[..candidate_len];
        is_region(candidate).then_some(candidate)
    })
}

pub const SCP_TYPES: &[&str] = &[
    "AWS::Organizations::Policy",
    "aws_organizations_policy",
    crate::model::DOCUMENT_TYPE,
];

/// A `Deny` statement conditioned on `aws:RequestedRegion`: the condition operator and the
/// Region values it lists (known ones only), with the span of the values.
pub struct RegionDeny {
    pub operator: String,
    pub regions: Vec<String>,
    pub span: Span,
}

/// The `aws:RequestedRegion` conditions of a statement.
pub fn requested_region_conditions(
    t: &Template<'_>,
    st: &crate::policy::iam::Statement<'_>,
) -> Vec<RegionDeny> {
    let mut out = Vec::new();
    let Some(cond) = st.condition else { return out };
    for op in t.maps(cond) {
        for e in op.entries() {
            for m in t.maps(&e.value) {
                for k in m.entries() {
                    if !k.key.eq_ignore_ascii_case("aws:RequestedRegion") {
                        continue;
                    }
                    let (values, _) = t.texts_of_list(&k.value);
                    out.push(RegionDeny {
                        operator: e.key.to_string(),
                        regions: values.into_iter().map(|(s, _)| s.to_string()).collect(),
                        span: k.value.span,
                    });
                }
            }
        }
    }
    out
}

/// Whether an SCP's name, description or statement IDs say it is about Regions.
pub fn scp_mentions_regions(t: &Template<'_>, r: &Resource<'_>) -> bool {
    ["Name", "Description", "name", "description"]
        .iter()
        .any(|k| {
            r.prop(k).is_some_and(|n| {
                t.texts(n)
                    .iter()
                    .any(|(s, _)| s.to_ascii_lowercase().contains("region"))
            })
        })
}

/// ARN of AWS's managed full-administrator policy, in any partition.
pub fn is_admin_managed_policy(arn: &str) -> bool {
    // The partition is often `${AWS::Partition}`, unknown here but irrelevant.
    arn.starts_with("arn:") && arn.ends_with(":iam::aws:policy/AdministratorAccess")
}

/// The texts of a list-or-scalar property, partly known ones included (with
/// [`UNKNOWN_MARK`]s), for matching on their known parts.
pub fn partial_texts<'n>(t: &Template<'_>, node: &'n Node<'n>) -> Vec<(String, Span)> {
    let mut out = Vec::new();
    for r in t.eval(node) {
        match r.val {
            Val::Seq(seq) => {
                for item in t.items(seq) {
                    for ir in t.eval(item) {
                        if let Some(s) = ir.val.text() {
                            out.push((s.to_string(), ir.span));
                        }
                    }
                }
            }
            ref v => {
                if let Some(s) = v.text() {
                    out.push((s.to_string(), r.span));
                }
            }
        }
    }
    out
}

/// Whether a statement grants everything on everything: `Allow` of `*` / `*:*` (or of all
/// but a `NotAction` list) on `Resource: "*"`.
pub fn grants_full_admin(st: &crate::policy::iam::Statement<'_>) -> bool {
    use crate::policy::iam::Effect;
    st.effect == Some(Effect::Allow)
        && st.all_resources()
        && if st.not_action {
            !st.actions.unknown && st.actions.present
        } else {
            st.actions
                .values
                .iter()
                .any(|(a, _)| a == "*" || a == "*:*")
        }
}

/// Whether a policy-owning resource is attached to IAM users: user inline policies, policies
/// with a `Users` list, and Terraform policies attached by `aws_iam_user_policy_attachment` or
/// `aws_iam_policy_attachment` with `users`.
pub fn attached_to_users(t: &Template<'_>, r: &Resource<'_>) -> bool {
    match r.rtype {
        "AWS::IAM::User" | "AWS::IAM::UserPolicy" | "aws_iam_user_policy" => true,
        "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
            r.prop("Users").is_some_and(|u| !t.items(u).is_empty())
        }
        "aws_iam_policy" => {
            !referrers(t, r, &["arn", "name"], &["aws_iam_user_policy_attachment"]).is_empty()
                || referrers(t, r, &["arn", "name"], &["aws_iam_policy_attachment"])
                    .iter()
                    .any(|a| a.prop("users").is_some_and(|u| !t.items(u).is_empty()))
        }
        _ => false,
    }
}
