//! Terraform JSON into the model: `terraform show -json` plans and states, and `*.tf.json`
//! configuration.

use std::borrow::Cow;
use std::collections::HashSet;

use super::{Parameter, Provider, Resource, Template};
use crate::parse::{Node, Value};

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
                r.provider = Some(Cow::Borrowed(key));
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
        id: Cow::Borrowed(id),
        rtype,
        node,
        anchor: address.key_span.to(address.value.span),
        properties: values,
        unknown,
        metadata: None,
        deletion_policy: None,
        condition: None,
        provider: None,
        defaults: None,
    })
}

/// Blocks in Terraform's JSON syntax may be written as one object or as an array of objects.
fn objects<'n, 'a>(node: &'n Node<'a>) -> Vec<&'n Node<'a>> {
    match &node.value {
        Value::Map(_) => vec![node],
        Value::Seq(items) => items.iter().filter(|n| n.is_map()).collect(),
        _ => Vec::new(),
    }
}

pub(super) fn load_config<'a>(t: &mut Template<'a>) {
    let root = t.root;
    for block in root.get("resource").map(objects).unwrap_or_default() {
        for by_type in block.entries() {
            for named in objects(&by_type.value) {
                for e in named.entries() {
                    for body in objects(&e.value) {
                        t.resources.push(Resource {
                            id: Cow::Owned(format!("{}.{}", by_type.key, e.key)),
                            rtype: &by_type.key,
                            node: body,
                            anchor: e.key_span,
                            properties: Some(body),
                            unknown: None,
                            metadata: None,
                            deletion_policy: None,
                            condition: None,
                            provider: body
                                .get("provider")
                                .and_then(Node::as_str)
                                .map(Cow::Borrowed),
                            defaults: None,
                        });
                    }
                }
            }
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
    for block in root.get("variable").map(objects).unwrap_or_default() {
        for e in block.entries() {
            t.parameters.push(Parameter {
                name: &e.key,
                node: &e.value,
                default: e.value.get("default"),
            });
        }
    }
}
