//! Terraform JSON into the model: `terraform show -json` plans and states, and `*.tf.json`
//! configuration.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{More, Parameter, Provider, Resource, Template};
use crate::parse::{Entry, Node, Text, ThinVec, Value};

/// The AWS provider's local name; resources of other providers are kept (a policy may still
/// want them) but only `aws` provider blocks carry regions.
const AWS: &str = "aws";

pub(super) fn load_plan<'a>(t: &mut Template<'a>) {
    let root = t.root;
    let mut seen: HashSet<String> = HashSet::new();

    // resource_changes first: they carry `after_unknown`, which tells an attribute that is
    // missing from one that is only known after apply.
    for change in root.get("resource_changes").map_or(&[][..], Node::items) {
        if change.get("mode").and_then(Node::as_str) == Some("data") {
            continue;
        }
        let Some(body) = change.get("change") else {
            continue;
        };
        let actions: Vec<&str> = body
            .get("actions")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::as_str)
            .collect();
        if actions == ["delete"] {
            continue;
        }
        let Some(after) = body.get("after").filter(|n| n.is_map()) else {
            continue;
        };
        if let Some(r) = plan_resource(change, Some(after), body.get("after_unknown")) {
            seen.insert(r.id.to_string());
            t.resources.push(r);
        }
    }

    // Then planned values (or a state's values), module by module, for what the changes did
    // not list.
    let module = root
        .at(&["planned_values", "root_module"])
        .or_else(|| root.at(&["values", "root_module"]));
    if let Some(module) = module {
        let mut stack = vec![module];
        while let Some(m) = stack.pop() {
            for res in m.get("resources").map_or(&[][..], Node::items) {
                if res.get("mode").and_then(Node::as_str) == Some("data") {
                    continue;
                }
                let Some(r) = plan_resource(res, res.get("values"), None) else {
                    continue;
                };
                if seen.insert(r.id.to_string()) {
                    t.resources.push(r);
                }
            }
            // Reverse so that child modules are visited in document order.
            stack.extend(
                m.get("child_modules")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .rev(),
            );
        }
    }

    if let Some(config) = root.get("configuration") {
        for e in config.get("provider_config").map_or(&[][..], Node::entries) {
            let name = e.value.get("name").and_then(Node::as_str).unwrap_or(&e.key);
            if name != AWS {
                continue;
            }
            t.providers.push(Provider {
                key: Cow::Borrowed(&e.key),
                node: &e.value,
                region: e.value.at(&["expressions", "region", "constant_value"]),
            });
        }
        if let Some(vars) = config.at(&["root_module", "variables"]) {
            for e in vars.entries() {
                t.parameters.push(Parameter {
                    name: &e.key,
                    node: &e.value,
                    default: e.value.get("default"),
                });
            }
        }
        // Which provider configuration each root-module resource uses.
        let keys: std::collections::HashMap<&str, &str> = config
            .at(&["root_module", "resources"])
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(|res| {
                Some((
                    res.get("address").and_then(Node::as_str)?,
                    res.get("provider_config_key").and_then(Node::as_str)?,
                ))
            })
            .collect();
        for r in t.resources.iter_mut() {
            if let Some(key) = keys.get(strip_index(&r.id)) {
                r.more.get_or_insert_default().provider = Some(Text::borrowed(key));
            }
        }
    }
}

/// `aws_s3_bucket.b["x"]` → `aws_s3_bucket.b`
fn strip_index(address: &str) -> &str {
    address.split_once('[').map_or(address, |(a, _)| a)
}

fn plan_resource<'a>(
    node: &'a Node<'a>,
    values: Option<&'a Node<'a>>,
    unknown: Option<&'a Node<'a>>,
) -> Option<Resource<'a>> {
    let address = node.entry("address")?;
    let id = address.value.as_str()?;
    let rtype = node.get("type").and_then(Node::as_str)?;
    Some(Resource {
        id: Text::borrowed(id),
        rtype,
        node,
        anchor: address.key_span.to(address.value.span),
        properties: values,
        more: More {
            unknown,
            ..More::default()
        }
        .boxed(),
        cloudformation: false,
    })
}

/// Blocks in Terraform's JSON syntax may be written as one object or as an array of objects.
pub fn objects<'n, 'a>(node: &'n Node<'a>) -> Vec<&'n Node<'a>> {
    match &node.value {
        Value::Map(_) => vec![node],
        Value::Seq(items) => items.iter().filter(|n| n.is_map()).collect(),
        _ => Vec::new(),
    }
}

/// The key of a configuration's root that holds the module instances composed into it
/// (`terraform_modules`; not a name Terraform allows).
pub(crate) const MODULES_KEY: &str = "\u{0}modules";
/// The key of a composed instance that holds its address prefix (`module.a.module.b.`).
pub(crate) const PREFIX_KEY: &str = "\u{0}prefix";

pub(super) fn load_config<'a>(t: &mut Template<'a>) {
    let root = t.root;
    load_resources(t, root, "");
    // The module instances composed into the configuration, under their addresses.
    let instances = root.get(MODULES_KEY);
    for instance in instances.map(Node::items).unwrap_or_default() {
        if let Some(prefix) = instance.get(PREFIX_KEY).and_then(Node::as_str) {
            load_resources(t, instance, prefix);
        }
    }
    for block in root.get("provider").map(objects).unwrap_or_default() {
        for e in block.entries() {
            if e.key != AWS {
                continue;
            }
            for body in objects(&e.value) {
                let key = match body.get("alias").and_then(Node::as_str) {
                    Some(alias) => Cow::Owned(format!("{AWS}.{alias}")),
                    None => Cow::Borrowed(AWS),
                };
                t.providers.push(Provider {
                    key,
                    node: body,
                    region: body.get("region"),
                });
            }
        }
    }
    // `terraform.tfvars` and `*.auto.tfvars` values (merged in by the directory loader) take
    // the place of defaults, as they do for `terraform plan`.
    let tfvars = root.get(crate::terraform_dir::TFVARS_KEY);
    for block in root.get("variable").map(objects).unwrap_or_default() {
        for e in block.entries() {
            for body in objects(&e.value) {
                t.parameters.push(Parameter {
                    name: &e.key,
                    node: body,
                    default: tfvars
                        .and_then(|v| v.get(&e.key))
                        .or_else(|| body.get("default")),
                });
            }
        }
    }
    for block in root.get("locals").map(objects).unwrap_or_default() {
        for e in block.entries() {
            t.locals.push((&e.key, &e.value));
        }
    }
}

/// The resources of `node`'s `resource` blocks, their addresses after `prefix`.
fn load_resources<'a>(t: &mut Template<'a>, node: &'a Node<'a>, prefix: &str) {
    for block in node.get("resource").map(objects).unwrap_or_default() {
        for by_type in block.entries() {
            for named in objects(&by_type.value) {
                for e in named.entries() {
                    for body in objects(&e.value) {
                        t.resources.push(Resource {
                            id: Text::owned(format!("{prefix}{}.{}", by_type.key, e.key)),
                            rtype: &by_type.key,
                            node: body,
                            anchor: e.key_span,
                            properties: Some(body),
                            more: More {
                                provider: body
                                    .get("provider")
                                    .and_then(Node::as_str)
                                    .map(Text::borrowed),
                                ..More::default()
                            }
                            .boxed(),
                            cloudformation: false,
                        });
                    }
                }
            }
        }
    }
}

/// The data source that renders IAM policy documents.
const POLICY_DOCUMENT_DATA: &str = "aws_iam_policy_document";

/// `data "aws_iam_policy_document" "x"` blocks rendered as the documents they produce
/// (`statement` → `Statement`, `actions` → `Action`, `principals { type, identifiers }` →
/// `Principal: {type: identifiers}`, `condition { test, variable, values }` →
/// `Condition: {test: {variable: values}}`, effect `Allow` unless said), with the positions of
/// the block's own text; then every `${data.aws_iam_policy_document.x.json}` in the document is
/// replaced by the rendered document, so that a role's `assume_role_policy` or a bucket's
/// `policy` is read as the policy it is.
pub fn inline_policy_documents(root: &mut Node<'_>) {
    let mut rendered: Vec<(String, Node<'_>)> = Vec::new();
    for data in root.get("data").map(objects).unwrap_or_default() {
        for by_type in data
            .entries()
            .iter()
            .filter(|e| e.key == POLICY_DOCUMENT_DATA)
        {
            for named in objects(&by_type.value) {
                for e in named.entries() {
                    for body in objects(&e.value) {
                        rendered.push((e.key.to_string(), render_document(body)));
                    }
                }
            }
        }
    }
    if rendered.is_empty() {
        return;
    }
    replace_references(root, &rendered, 0);
}

fn replace_references<'a>(node: &mut Node<'a>, rendered: &[(String, Node<'a>)], depth: usize) {
    if depth > 64 {
        return;
    }
    match &mut node.value {
        Value::String(s) => {
            let Some(name) = document_reference(s) else {
                return;
            };
            if let Some((_, doc)) = rendered.iter().rev().find(|(n, _)| n == name) {
                *node = doc.clone();
            }
        }
        Value::Seq(items) => items
            .make_mut()
            .iter_mut()
            .for_each(|n| replace_references(n, rendered, depth + 1)),
        Value::Map(entries) => {
            for e in entries.make_mut().iter_mut().filter(|e| e.key != "data") {
                replace_references(&mut e.value, rendered, depth + 1);
            }
        }
        _ => {}
    }
}

/// `x` of `${data.aws_iam_policy_document.x.json}` (or `.minified_json`).
fn document_reference(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("${")?.strip_suffix('}')?.trim();
    let rest = inner
        .strip_prefix("data.")?
        .strip_prefix(POLICY_DOCUMENT_DATA)?;
    let rest = rest.strip_prefix('.')?;
    let name = rest
        .strip_suffix(".json")
        .or_else(|| rest.strip_suffix(".minified_json"))?;
    // `x[0]` or `x["k"]` of a counted data source: the same document.
    let name = name.split_once('[').map_or(name, |(n, _)| n);
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        .then_some(name)
}

fn entry<'a>(key: &'static str, key_span: crate::source::Span, value: Node<'a>) -> Entry<'a> {
    Entry {
        key: Text::borrowed(key),
        key_span,
        value,
    }
}

/// The document a `data "aws_iam_policy_document"` body renders.
fn render_document<'a>(body: &Node<'a>) -> Node<'a> {
    let mut doc = ThinVec::new();
    let version = body.entry("version");
    doc.push(match version {
        Some(v) => entry("Version", v.key_span, v.value.clone()),
        None => entry(
            "Version",
            body.span,
            Node::new(body.span, Value::String(Text::borrowed("2012-10-17"))),
        ),
    });
    let statements: ThinVec<Node<'a>> = body
        .get("statement")
        .map(objects)
        .unwrap_or_default()
        .into_iter()
        .map(render_statement)
        .collect();
    let key_span = body.entry("statement").map_or(body.span, |e| e.key_span);
    doc.push(entry(
        "Statement",
        key_span,
        Node::new(key_span, Value::Seq(statements.into())),
    ));
    Node::new(body.span, Value::Map(doc.into()))
}

fn render_statement<'a>(st: &Node<'a>) -> Node<'a> {
    let mut out = ThinVec::new();
    let renamed = [
        ("sid", "Sid"),
        ("effect", "Effect"),
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ];
    for (from, to) in renamed {
        if let Some(e) = st.entry(from) {
            out.push(entry(to, e.key_span, e.value.clone()));
        }
    }
    if st.entry("effect").is_none() {
        out.push(entry(
            "Effect",
            st.span,
            Node::new(st.span, Value::String(Text::borrowed("Allow"))),
        ));
    }
    for (from, to) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        if let Some(e) = st.entry(from) {
            out.push(entry(to, e.key_span, render_principals(&e.value)));
        }
    }
    if let Some(e) = st.entry("condition") {
        out.push(entry("Condition", e.key_span, render_conditions(&e.value)));
    }
    Node::new(st.span, Value::Map(out.into()))
}

/// `principals { type = "AWS" identifiers = [...] }` blocks as `{"AWS": [...]}`; blocks of one
/// type are merged, as the data source does; `type = "*"` with `identifiers = ["*"]` is
/// `"*"`.
fn render_principals<'a>(blocks: &Node<'a>) -> Node<'a> {
    let mut by_type: ThinVec<Entry<'a>> = ThinVec::new();
    for b in objects(blocks) {
        let Some(t) = b.entry("type") else {
            continue;
        };
        let key = t.value.as_str().unwrap_or("${unknown}").to_string();
        let identifiers = b
            .get("identifiers")
            .cloned()
            .unwrap_or_else(|| Node::new(b.span, Value::Seq(ThinVec::new().into())));
        if key == "*" {
            let all = identifiers.items().iter().all(|i| i.as_str() == Some("*"));
            if all {
                return Node::new(b.span, Value::String(Text::borrowed("*")));
            }
        }
        match by_type.iter_mut().find(|e| e.key == key) {
            Some(existing) => {
                let mut items = match std::mem::replace(&mut existing.value.value, Value::Null) {
                    Value::Seq(items) => items.into_thin_vec(),
                    other => thin_vec::thin_vec![Node::new(existing.value.span, other)],
                };
                match identifiers.value {
                    Value::Seq(more) => items.extend(more),
                    other => items.push(Node::new(identifiers.span, other)),
                }
                existing.value.value = Value::Seq(items.into());
            }
            None => by_type.push(Entry {
                key: Text::owned(key),
                key_span: t.value.span,
                value: identifiers,
            }),
        }
    }
    Node::new(blocks.span, Value::Map(by_type.into()))
}

/// `condition { test variable values }` blocks as `{test: {variable: values}}`.
fn render_conditions<'a>(blocks: &Node<'a>) -> Node<'a> {
    let mut by_test: ThinVec<Entry<'a>> = ThinVec::new();
    for b in objects(blocks) {
        let (Some(test), Some(variable)) = (b.entry("test"), b.get("variable")) else {
            continue;
        };
        let test_key = test.value.as_str().unwrap_or("${unknown}").to_string();
        let clause = Entry {
            key: Text::owned(variable.as_str().unwrap_or("${unknown}").to_string()),
            key_span: variable.span,
            value: b
                .get("values")
                .cloned()
                .unwrap_or_else(|| Node::new(b.span, Value::Seq(ThinVec::new().into()))),
        };
        match by_test.iter_mut().find(|e| e.key == test_key) {
            Some(existing) => {
                if let Value::Map(clauses) = &mut existing.value.value {
                    clauses.make_mut().push(clause);
                }
            }
            None => by_test.push(Entry {
                key: Text::owned(test_key),
                key_span: test.value.span,
                value: Node::new(b.span, Value::Map(thin_vec::thin_vec![clause].into())),
            }),
        }
    }
    Node::new(blocks.span, Value::Map(by_test.into()))
}

/// Whether every value `count` or `for_each` may take creates no instance (`count = 0`,
/// `count = var.enabled ? 1 : 0` with both branches 0, `for_each = {}`): such a resource is
/// never created, and nothing about it can drift. A value that is unknown may create one.
pub(super) fn never_created(t: &Template<'_>, r: &Resource<'_>) -> bool {
    let zero = |node: &Node<'_>, is_zero: &dyn Fn(&crate::Val<'_>) -> bool| {
        let values = t.eval(node);
        !values.is_empty() && values.iter().all(|v| is_zero(&v.val))
    };
    use crate::Val;
    if let Some(count) = r.node.get("count") {
        return zero(count, &|v| match v {
            Val::Number(n) => n.trim().parse::<f64>().is_ok_and(|n| n == 0.0),
            Val::Str(s) => s.trim() == "0",
            _ => false,
        });
    }
    if let Some(each) = r.node.get("for_each") {
        return zero(each, &|v| match v {
            Val::Seq(n) | Val::Map(n) => n.items().is_empty() && n.entries().is_empty(),
            _ => false,
        });
    }
    false
}
