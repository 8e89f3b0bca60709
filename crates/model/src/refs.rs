//! Which resources of a template refer to which: built once per template, on first use, so that
//! policies asking "who refers to this bucket?" for every bucket stay linear in the size of the
//! template instead of walking every other resource each time.

use hashbrown::HashMap;
use std::cell::OnceCell;

use crate::lookup::{Lookup, lookup};
use crate::parse::{Node, Value};
use crate::walk;
use crate::{Resource, Template, Val};

/// Names mentioned by resources → the resources (indexes into `Template::resources`) that
/// mention them.
#[derive(Debug, Default)]
struct Table {
    /// CloudFormation: logical IDs named by `Ref`, `Fn::GetAtt` or `${}` in `Fn::Sub`.
    ids: HashMap<String, Vec<usize>>,
    /// Terraform: the names in interpolation expressions (including a plan's configuration).
    /// `aws_s3_bucket.logs.id` names `aws_s3_bucket.logs`: every identifier and every `a.b`
    /// pair of identifiers is a key.
    expressions: HashMap<String, Vec<usize>>,
    /// Expressions kept whole for names with more than one `.` (`module.m.aws_s3_bucket.b`),
    /// matched by [`mentions`] among the candidates `whole_by_identifier` gives.
    whole: Vec<(String, usize)>,
    /// Each identifier of the `whole` expressions → those holding it (indexes into `whole`,
    /// ascending). An expression that mentions a name holds every identifier of the name, so
    /// a name's candidates are the holders of its rarest identifier: scanning every
    /// expression for every name was quadratic in a configuration of many module instances.
    whole_by_identifier: HashMap<String, Vec<usize>>,
    /// Known literal strings, and the name inside an `arn:...:::name` ARN.
    literals: HashMap<String, Vec<usize>>,
}

impl Table {
    /// The references of `node` (unevaluated, where `Ref`s live), as resource `i`'s.
    fn references(&mut self, node: &Node<'_>, cfn: bool, i: usize) {
        scan_refs(node, cfn, &mut |s| {
            if cfn {
                note(&mut self.ids, s, i);
            } else {
                self.expression(s, i);
            }
        });
    }

    /// What the `local.x` values that `node` mentions refer to, as resource `i`'s (a
    /// `vpc_id = local.vpc_id` whose local is `try(aws_vpc.this[0].id, "")` refers to the VPC),
    /// following locals that mention other locals.
    fn through_locals(&mut self, t: &Template<'_>, node: &Node<'_>, i: usize) {
        /// Locals followed per resource, at most (chains in real modules are a few deep).
        const MAX_LOCALS: usize = 256;
        let mut pending: Vec<String> = Vec::new();
        scan_refs(node, false, &mut |s| pending.extend(local_names(s)));
        let mut seen = std::collections::HashSet::new();
        while let Some(name) = pending.pop() {
            if seen.len() >= MAX_LOCALS || !seen.insert(name.clone()) {
                continue;
            }
            if let Some(value) = t.local(&name) {
                scan_refs(value, false, &mut |s| {
                    self.expression(s, i);
                    pending.extend(local_names(s));
                });
            }
        }
    }

    /// The known strings under `node` (evaluated), as resource `i`'s.
    fn literals_under(&mut self, t: &Template<'_>, node: &Node<'_>, i: usize) {
        walk::scalars(t, node, &mut |_, v| {
            if let Some(text) = v.val.known_text() {
                self.literal(text, i);
            }
        });
    }

    fn expression(&mut self, s: &str, i: usize) {
        // Identifiers as `mentions` sees them: runs of letters, digits, `_` and `-`.
        let ident = is_identifier;
        let mut tokens: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (at, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
            match (ident(c), start) {
                (true, None) => start = Some(at),
                (false, Some(from)) => {
                    tokens.push((from, at));
                    start = None;
                }
                _ => {}
            }
        }
        for (k, &(from, to)) in tokens.iter().enumerate() {
            note(&mut self.expressions, &s[from..to], i);
            // `a.b` pairs that start a traversal: `module.m.aws_s3_bucket.x` names the
            // module's bucket, not a root `aws_s3_bucket.x`.
            if let Some(&(next_from, next_to)) = tokens.get(k + 1)
                && next_from == to + 1
                && s.as_bytes()[to] == b'.'
                && (from == 0 || s.as_bytes()[from - 1] != b'.')
            {
                note(&mut self.expressions, &s[from..next_to], i);
            }
        }
        if s.matches('.').count() >= 2 {
            let at = self.whole.len();
            self.whole.push((s.to_string(), i));
            for &(from, to) in &tokens {
                note(&mut self.whole_by_identifier, &s[from..to], at);
            }
        }
    }

    fn literal(&mut self, text: &str, i: usize) {
        for name in literal_names(text) {
            note(&mut self.literals, name, i);
        }
    }

    /// The known strings under `node` (evaluated), as resource `i`'s of type `rtype`: keyed by
    /// type and name, so that asking which resources of some types hold a name costs what they
    /// are, not every holder of the name (40,000 buckets that share a `BucketName` each hold
    /// it).
    fn typed_literals_under(&mut self, t: &Template<'_>, node: &Node<'_>, i: usize, rtype: &str) {
        walk::scalars(t, node, &mut |_, v| {
            if let Some(text) = v.val.known_text() {
                for name in literal_names(text) {
                    self.literals
                        .entry(typed_key(rtype, name))
                        .or_default()
                        .push(i);
                }
            }
        });
    }

    /// Add the resources that mention `names` by reference to `out`.
    fn by_reference(&self, names: &Names, out: &mut Vec<usize>) {
        for n in &names.ids {
            out.extend(self.ids.get(n).into_iter().flatten());
            if n.matches('.').count() < 2 {
                out.extend(self.expressions.get(n).into_iter().flatten());
            } else {
                let naming = |(s, i): &(String, usize)| mentions(s, n).then_some(*i);
                match self.whole_candidates(n) {
                    Some(at) => out.extend(at.iter().filter_map(|&w| naming(&self.whole[w]))),
                    None => out.extend(self.whole.iter().filter_map(naming)),
                }
            }
        }
    }

    /// The `whole` expressions that may mention `name`: the holders of its rarest identifier
    /// (none when one of its identifiers is in no expression); `None` for a name without
    /// identifiers, which only a scan of all of them can answer.
    fn whole_candidates(&self, name: &str) -> Option<&[usize]> {
        let mut rarest: Option<&[usize]> = None;
        for identifier in name
            .split(|c: char| !is_identifier(c))
            .filter(|s| !s.is_empty())
        {
            let holders = self
                .whole_by_identifier
                .get(identifier)
                .map_or(&[][..], Vec::as_slice);
            if rarest.is_none_or(|r| holders.len() < r.len()) {
                rarest = Some(holders);
            }
        }
        rarest
    }

    /// Add the resources that hold one of `names`' literal names to `out`.
    fn by_literal(&self, names: &Names, out: &mut Vec<usize>) {
        for n in &names.literals {
            out.extend(self.literals.get(n).into_iter().flatten());
        }
    }

    /// [`Table::by_literal`] in a table of typed literals, for resources of `types`.
    fn by_typed_literal(&self, names: &Names, types: &[&str], out: &mut Vec<usize>) {
        for n in &names.literals {
            for ty in types {
                out.extend(self.literals.get(&typed_key(ty, n)).into_iter().flatten());
            }
        }
    }
}

/// Record that resource `i` mentions `name`. Once per resource: a traversal of 2,000 `.a` steps
/// mentions `a` 2,000 times, and 500 of them made a list of a million entries (the lists are
/// sorted and deduplicated where they are read, so nothing else changes). The key is allocated
/// only for a name not seen before.
fn note(table: &mut HashMap<String, Vec<usize>>, name: &str, i: usize) {
    match table.get_mut(name) {
        Some(list) if list.last() == Some(&i) => {}
        Some(list) => list.push(i),
        None => {
            table.insert(name.to_string(), vec![i]);
        }
    }
}

/// The names a literal string gives: itself, and for `arn:aws:s3:::logs` the bucket `logs`
/// (every suffix after a `:::`).
fn literal_names(text: &str) -> Vec<&str> {
    let mut out = vec![text];
    if let Some(rest) = text.strip_prefix("arn:") {
        let mut from = 0;
        while let Some(at) = rest[from..].find(":::") {
            out.push(&rest[from + at + 3..]);
            from += at + 1;
        }
    }
    out
}

/// The key of a typed literal: the resource type and the name, with a separator neither holds.
fn typed_key(rtype: &str, name: &str) -> String {
    format!("{rtype}\u{1f}{name}")
}

/// The `x` of each `local.x` in an expression.
fn local_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find("local.") {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + "local.".len()..];
        let len = after
            .find(|c: char| !is_identifier(c))
            .unwrap_or(after.len());
        if !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.') && len > 0 {
            out.push(after[..len].to_string());
        }
        rest = &after[len..];
    }
    out
}

fn sorted(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v.dedup();
    v
}

/// What each resource's properties refer to.
#[derive(Debug, Default)]
pub struct ReferenceIndex {
    /// References; literals are in `literals`.
    table: Table,
    /// Literal names, built only when a question names one (a bucket with a known
    /// `BucketName`): it needs every value evaluated.
    literals: OnceCell<Table>,
}

impl ReferenceIndex {
    /// Index the references of every resource of `t` (literal names are indexed on first use).
    pub fn build(t: &Template<'_>) -> ReferenceIndex {
        let cfn = t.is_cloudformation();
        let mut table = Table::default();
        for (i, r) in t.resources.iter().enumerate() {
            if let Some(props) = r.properties {
                table.references(props, cfn, i);
                if !cfn && !t.locals.is_empty() {
                    table.through_locals(t, props, i);
                }
            }
            for s in tf_config_references(t, r) {
                table.expression(s, i);
            }
        }
        ReferenceIndex {
            table,
            ..ReferenceIndex::default()
        }
    }

    /// The resources of `types` (indexes into `Template::resources`, ascending) whose
    /// properties refer to what `names` describes.
    pub(crate) fn referring(&self, t: &Template<'_>, names: &Names, types: &[&str]) -> Vec<usize> {
        let mut out = Vec::new();
        self.table.by_reference(names, &mut out);
        out.retain(|&i| types.contains(&t.resources[i].rtype));
        if !names.literals.is_empty() {
            let literals = self.literals.get_or_init(|| {
                let mut table = Table::default();
                for (i, r) in t.resources.iter().enumerate() {
                    if let Some(props) = r.properties {
                        table.typed_literals_under(t, props, i, r.rtype);
                    }
                }
                table
            });
            literals.by_typed_literal(names, types, &mut out);
        }
        sorted(out)
    }
}

/// What the values at one property path of some resources refer to (`LoggingConfiguration.
/// DestinationBucketName` of every bucket), indexed once: "does any of them refer to this
/// bucket?" is then a lookup.
#[derive(Debug, Default)]
pub struct PathReferences {
    table: Table,
}

impl PathReferences {
    /// Index the values at `path` of the resources of `types`.
    pub fn of(t: &Template<'_>, types: &[&str], path: &[&str]) -> PathReferences {
        let cfn = t.is_cloudformation();
        let mut table = Table::default();
        for (i, r) in t.resources.iter().enumerate() {
            if !types.contains(&r.rtype) {
                continue;
            }
            for hit in lookup(t, r, path) {
                if let Lookup::Found(v) = hit {
                    match v.val {
                        Val::Map(n) | Val::Seq(n) => {
                            table.references(n, cfn, i);
                            table.literals_under(t, n, i);
                        }
                        _ => {
                            if let Some(s) = v.val.known_text() {
                                table.literal(s, i);
                            }
                        }
                    }
                }
            }
            for n in raw_path_nodes(r, path) {
                table.references(n, cfn, i);
                table.literals_under(t, n, i);
            }
            if t.format == crate::Format::TerraformPlan {
                for s in tf_config_references(t, r) {
                    table.expression(s, i);
                }
            }
        }
        PathReferences { table }
    }

    /// Whether a resource other than `target` refers to `target` at the path.
    pub fn refer_to(
        &self,
        t: &Template<'_>,
        target: &crate::Resource<'_>,
        name_keys: &[&str],
    ) -> bool {
        let names = crate::refs::reference_names(t, target, name_keys);
        let mut out = Vec::new();
        self.table.by_reference(&names, &mut out);
        self.table.by_literal(&names, &mut out);
        let own = t.index_of(target);
        out.iter().any(|&i| i != own)
    }
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
        // A plan's module resources are named by their module's own expressions without
        // the module's address; a composed configuration's are referred to with it
        // (`module.a.aws_s3_bucket.this`, see `terraform_modules`).
        let base = match base.rfind("module.") {
            Some(i) if t.format != crate::Format::TerraformConfig => {
                base[i..].splitn(3, '.').nth(2).unwrap_or(base)
            }
            _ => base,
        };
        names.ids.push(base.to_string());
    } else {
        names.ids.push(r.id.to_string());
    }
    for key in name_keys {
        if let Some(n) = r.prop(key) {
            for (s, _) in t.texts(n) {
                if !s.is_empty() && !crate::has_unknown(&s) {
                    names.literals.push(s.to_string());
                }
            }
        }
    }
    names
}

/// The references an expression's text makes (`one(aws_iam_role.r[*].id)` →
/// `aws_iam_role.r.id`): each run of identifiers joined by `.`, its index and splat steps left
/// out; not function names, not the text of string literals, not attributes of something else
/// (`f(x).a`).
pub fn expression_references(expr: &str) -> Vec<String> {
    let ident = is_identifier;
    let mut out = Vec::new();
    let mut chars = expr.char_indices().peekable();
    let mut current: Option<String> = None;
    let mut quoted = false;
    let mut brackets = 0usize;
    let mut prev = ' ';
    while let Some((_, c)) = chars.next() {
        if quoted {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => quoted = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            // `x[0]`, `x[*]`, `x["k"]`: the index is not part of the name.
            '[' if current.is_some() => brackets += 1,
            ']' if brackets > 0 => brackets -= 1,
            _ if brackets > 0 => {}
            '.' if current.is_some() => current.as_mut().expect("current").push('.'),
            c if ident(c) => match &mut current {
                Some(name) => name.push(c),
                // Inside a number, or an attribute of a call or index (`f(x).a`): not a
                // reference.
                None if ident(prev) || c.is_ascii_digit() || matches!(prev, '.' | ']' | ')') => {}
                None => current = Some(c.to_string()),
            },
            '(' => {
                // A function's name.
                current = None;
            }
            _ => {
                if let Some(name) = current.take() {
                    out.push(name.trim_end_matches('.').replace("..", "."));
                }
            }
        }
        if brackets == 0 && !quoted {
            prev = c;
        }
    }
    if let Some(name) = current {
        out.push(name.trim_end_matches('.').replace("..", "."));
    }
    out
}

/// The resource address a reference starts with: `aws_iam_role.r` of `aws_iam_role.r.arn`,
/// `module.a.aws_iam_role.r` of `module.a.aws_iam_role.r.arn` (a composed configuration's
/// module resource); `None` for variables, locals, data sources and the like.
pub fn resource_address(reference: &str) -> Option<String> {
    let parts: Vec<&str> = reference.split('.').collect();
    let mut at = 0;
    while parts.get(at) == Some(&"module") && parts.len() > at + 3 {
        at += 2;
    }
    let ty = parts.get(at)?;
    parts.get(at + 1)?;
    if matches!(
        *ty,
        "var" | "local" | "data" | "each" | "count" | "path" | "terraform" | "self" | "module"
    ) {
        return None;
    }
    Some(parts[..at + 2].join("."))
}

/// Whether `c` is part of an identifier as references are read: a letter, digit, `_` or `-`
/// (Terraform's identifiers, and CloudFormation's logical IDs).
fn is_identifier(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Whether `s` names `name` as a whole identifier (not as part of a longer one).
pub(crate) fn mentions(s: &str, name: &str) -> bool {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = s[from..].find(name) {
        let start = from + i;
        let end = start + name.len();
        let ident = |b: u8| is_identifier(char::from(b));
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
pub fn scan_refs(node: &Node<'_>, cfn: bool, f: &mut dyn FnMut(&str)) {
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
    referrers_named(t, &reference_names(t, target, name_keys), types)
}

/// Resources of `types` that refer to any of `names` ([`reference_names`] of a resource, or
/// part of them: a caller asking many resources that share a literal name asks it once).
pub fn referrers_named<'t, 'a>(
    t: &'t Template<'a>,
    names: &Names,
    types: &'t [&'t str],
) -> Vec<&'t Resource<'a>> {
    t.references()
        .referring(t, names, types)
        .into_iter()
        .map(|i| &t.resources[i])
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
pub(crate) fn tf_config_references<'a>(t: &Template<'a>, r: &Resource<'a>) -> Vec<&'a str> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Format;
    use crate::parse::{Limits, json, yaml};
    use crate::refs::referrers;

    fn ids(found: Vec<&crate::Resource<'_>>) -> Vec<String> {
        found.iter().map(|r| r.id.to_string()).collect()
    }

    #[test]
    fn cloudformation_references_by_ref_getatt_sub_and_literal_names() {
        let text = r#"
Resources:
  Logs: {Type: AWS::S3::Bucket, Properties: {BucketName: central-logs}}
  Other: {Type: AWS::S3::Bucket}
  ByRef: {Type: AWS::CloudTrail::Trail, Properties: {S3BucketName: !Ref Logs}}
  ByAtt: {Type: AWS::CloudTrail::Trail, Properties: {X: !GetAtt Logs.Arn}}
  BySub: {Type: AWS::CloudTrail::Trail, Properties: {X: !Sub "${Logs.Arn}/*"}}
  ByName: {Type: AWS::CloudTrail::Trail, Properties: {S3BucketName: central-logs}}
  ByArn: {Type: AWS::SQS::Queue, Properties: {X: "arn:aws:s3:::central-logs"}}
  Unrelated: {Type: AWS::CloudTrail::Trail, Properties: {S3BucketName: !Ref Other2}}
"#;
        let root = yaml::parse(text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::CloudFormation, &root);
        let logs = &t.resources[0];
        let trails = &["AWS::CloudTrail::Trail"][..];
        assert_eq!(
            ids(referrers(&t, logs, &["BucketName"], trails)),
            ["ByRef", "ByAtt", "BySub", "ByName"]
        );
        assert_eq!(
            ids(referrers(&t, logs, &["BucketName"], &["AWS::SQS::Queue"])),
            ["ByArn"]
        );
        assert!(referrers(&t, &t.resources[1], &["BucketName"], trails).is_empty());
    }

    #[test]
    fn terraform_expressions_name_whole_identifiers() {
        let text = r#"{"resource": {
  "aws_s3_bucket": {"logs": {"bucket": "logs"}, "logs_old": {"bucket": "old"}},
  "aws_cloudtrail": {
    "a": {"s3_bucket_name": "${aws_s3_bucket.logs.id}"},
    "b": {"s3_bucket_name": "${aws_s3_bucket.logs_old.id}"},
    "c": {"s3_bucket_name": "${module.m.aws_s3_bucket.logs.id}"}
  }}}"#;
        let root = json::parse(text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::TerraformConfig, &root);
        let logs = t
            .resources
            .iter()
            .find(|r| r.id == "aws_s3_bucket.logs")
            .unwrap();
        let found = ids(referrers(&t, logs, &["bucket"], &["aws_cloudtrail"]));
        // `module.m.aws_s3_bucket.logs` is a module instance's bucket (a composed
        // configuration's), not the root's.
        assert_eq!(found, ["aws_cloudtrail.a"]);
    }

    /// A name of more than one `.` is matched among the expressions holding its rarest
    /// identifier: the same expressions a scan of all of them finds, whatever the name holds
    /// (an index, a key with a dot, an identifier no expression has, no identifier at all).
    #[test]
    fn names_of_many_dots_match_what_a_scan_matches() {
        let expressions = [
            "module.m.aws_s3_bucket.logs.id",
            "module.m[\"a.b\"].aws_s3_bucket.logs",
            "x.module.m.aws_s3_bucket.logs_old.arn",
            "concat(module.n.aws_s3_bucket.logs.id, module.m.out.v)",
            "a..b.c",
            "module.m.aws_s3_bucket.logs-x.id",
        ];
        let mut table = Table::default();
        for (i, e) in expressions.iter().enumerate() {
            table.expression(e, i);
        }
        let names = [
            "module.m.aws_s3_bucket.logs",
            "module.m[\"a.b\"].aws_s3_bucket.logs",
            "module.n.aws_s3_bucket.logs",
            "module.m.out.v",
            "module.zzz.aws_s3_bucket.logs",
            "..",
            "a..b",
        ];
        for name in names {
            let scanned: Vec<usize> = table
                .whole
                .iter()
                .filter(|(s, _)| mentions(s, name))
                .map(|(_, i)| *i)
                .collect();
            let mut found = Vec::new();
            let asked = Names {
                ids: vec![name.to_string()],
                ..Names::default()
            };
            table.by_reference(&asked, &mut found);
            assert_eq!(found, scanned, "{name}");
        }
    }

    #[test]
    fn references_of_expressions_leave_functions_literals_and_indexes_out() {
        use super::expression_references as refs;
        assert_eq!(refs("one(aws_iam_role.r[*].id)"), ["aws_iam_role.r.id"]);
        assert_eq!(refs("aws_iam_role.r[0].arn"), ["aws_iam_role.r.arn"]);
        assert_eq!(
            refs("try(aws_s3_bucket.b[\"x.y\"].id, var.name, \"a.b\")"),
            ["aws_s3_bucket.b.id", "var.name"]
        );
        assert_eq!(refs("coalesce(local.x, 3)"), ["local.x"]);
        assert_eq!(refs("element(var.l, 0).name"), ["var.l"]);
        assert_eq!(refs("aws_kms_key.k.arn"), ["aws_kms_key.k.arn"]);
    }

    #[test]
    fn path_references_ignore_the_resource_itself() {
        let text = r#"
Resources:
  Logs:
    Type: AWS::S3::Bucket
    Properties: {LoggingConfiguration: {DestinationBucketName: !Ref Logs}}
  Data:
    Type: AWS::S3::Bucket
    Properties: {LoggingConfiguration: {DestinationBucketName: !Ref Sink}}
  Sink: {Type: AWS::S3::Bucket}
"#;
        let root = yaml::parse(text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::CloudFormation, &root);
        let index = PathReferences::of(
            &t,
            &["AWS::S3::Bucket"],
            &["LoggingConfiguration", "DestinationBucketName"],
        );
        assert!(
            !index.refer_to(&t, &t.resources[0], &["BucketName"]),
            "itself only"
        );
        assert!(!index.refer_to(&t, &t.resources[1], &["BucketName"]));
        assert!(index.refer_to(&t, &t.resources[2], &["BucketName"]));
    }
}
