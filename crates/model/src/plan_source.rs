//! Where a plan's text came from: the `.tf` block and attribute behind a place in a
//! `terraform show -json` plan.
//!
//! A plan holds the values Terraform will apply, so policies read it precisely, but nobody
//! edits a plan: a finding is only actionable at the configuration line that produced it. The
//! plan names each resource by address (`module.logs.aws_cloudtrail.this[0]`), and its
//! `configuration` section says which module call each module name is and where that call's
//! source lives. That is enough to find the block — `resource "aws_cloudtrail" "this"` in the
//! module's directory — and, following the same attribute path, the attribute inside it.
//! Values the configuration leaves to defaults or computes have no attribute of their own:
//! the finding then points at the block's label.

use std::path::{Path, PathBuf};

use crate::parse::{Node, Value};
use crate::source::Span;
use crate::terraform::objects;

/// One step of an attribute path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object key.
    Key(String),
    /// A list position.
    Index(usize),
}

/// A configuration block, as the plan names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// `resource "TYPE" "NAME"`.
    Resource {
        /// The resource type.
        rtype: String,
        /// The resource name.
        name: String,
    },
    /// `provider "NAME"` (with `alias`, when the plan's configuration key has one).
    Provider {
        /// The provider's local name.
        name: String,
        /// Its alias.
        alias: Option<String>,
    },
    /// `variable "NAME"`.
    Variable {
        /// The variable name.
        name: String,
    },
    /// `module "NAME"`: the call itself.
    ModuleCall {
        /// The call's name.
        name: String,
    },
}

/// What a place in a plan is in the configuration: a block of a module, and a path inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Module call names from the root module down (`["logs"]` for `module.logs.…`).
    pub modules: Vec<String>,
    /// The block.
    pub block: Block,
    /// The attribute path inside the block (empty: the block itself).
    pub path: Vec<Step>,
}

impl Origin {
    /// The block's address as the configuration writes it (`aws_cloudtrail.this`, as
    /// suppressions name resources), for resources.
    pub fn local_address(&self) -> Option<String> {
        match &self.block {
            Block::Resource { rtype, name } => Some(format!("{rtype}.{name}")),
            _ => None,
        }
    }
}

/// The configuration origin of the plan text at `offset`, when the plan says enough.
pub fn origin(plan: &Node<'_>, offset: u32) -> Option<Origin> {
    let steps = descend(plan, offset);
    let keys: Vec<Option<&str>> = steps
        .iter()
        .map(|(s, _)| match s {
            Step::Key(k) => Some(k.as_str()),
            Step::Index(_) => None,
        })
        .collect();
    match keys.first().copied().flatten()? {
        "resource_changes" => {
            let (_, change) = steps.get(1)?;
            let rest = match (keys.get(2), keys.get(3)) {
                (Some(Some("change")), Some(Some("after"))) => &steps[4..],
                _ => &[][..],
            };
            from_address(change, rest)
        }
        "planned_values" | "prior_state" | "values" => {
            // … root_module (child_modules[i])* resources[i] values …
            let at = keys.iter().position(|k| *k == Some("resources"))?;
            let (Step::Index(_), resource) = steps.get(at + 1)? else {
                return None;
            };
            let rest = match keys.get(at + 2) {
                Some(Some("values")) => &steps[at + 3..],
                _ => &[][..],
            };
            from_address(resource, rest)
        }
        "configuration" => from_configuration(&steps[1..]),
        _ => None,
    }
}

/// The path from `root` to the innermost node whose span holds `offset`, each step with the
/// node it reaches.
fn descend<'n, 'a>(root: &'n Node<'a>, offset: u32) -> Vec<(Step, &'n Node<'a>)> {
    let mut steps = Vec::new();
    let mut node = root;
    loop {
        let next = match &node.value {
            Value::Map(entries) => entries
                .iter()
                .find(|e| holds(e.value.span, offset) || holds(e.key_span, offset))
                .map(|e| (Step::Key(e.key.to_string()), &e.value)),
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .find(|(_, n)| holds(n.span, offset))
                .map(|(i, n)| (Step::Index(i), n)),
            _ => None,
        };
        let Some((step, child)) = next else {
            return steps;
        };
        steps.push((step, child));
        node = child;
    }
}

fn holds(span: Span, offset: u32) -> bool {
    span.start <= offset && (offset < span.end || span.start == span.end && offset == span.start)
}

/// A resource of `resource_changes` or of a module's `resources`, by its `address`.
fn from_address(resource: &Node<'_>, rest: &[(Step, &Node<'_>)]) -> Option<Origin> {
    if resource.get("mode").and_then(Node::as_str) == Some("data") {
        return None;
    }
    let address = resource.get("address").and_then(Node::as_str)?;
    let (modules, rtype, name) = parse_address(address)?;
    Some(Origin {
        modules,
        block: Block::Resource { rtype, name },
        path: rest.iter().map(|(s, _)| s.clone()).collect(),
    })
}

/// `configuration.…`: provider configurations, and module by module (`module_calls.X.module`)
/// resources, variables and the calls themselves. Attribute paths there run through
/// `expressions` and `constant_value`, which the configuration's text does not have.
fn from_configuration(steps: &[(Step, &Node<'_>)]) -> Option<Origin> {
    let key = |i: usize| match steps.get(i) {
        Some((Step::Key(k), _)) => Some(k.as_str()),
        _ => None,
    };
    if key(0)? == "provider_config" {
        let (_, provider) = steps.get(1)?;
        let configured = key(1)?;
        let name = provider
            .get("name")
            .and_then(Node::as_str)
            .unwrap_or(configured);
        let alias = provider
            .get("alias")
            .and_then(Node::as_str)
            .map(str::to_string);
        // `module.x:aws` is a provider configured inside module `x`.
        let modules = match configured.split_once(':') {
            Some((module, _)) => parse_modules(module)?,
            None => Vec::new(),
        };
        return Some(Origin {
            modules,
            block: Block::Provider {
                name: name.to_string(),
                alias,
            },
            path: expression_path(steps.get(2..).unwrap_or(&[])),
        });
    }
    if key(0)? != "root_module" {
        return None;
    }
    let mut modules = Vec::new();
    let mut i = 1;
    while key(i) == Some("module_calls") {
        let name = key(i + 1)?.to_string();
        if key(i + 2) == Some("module") {
            modules.push(name);
            i += 3;
        } else {
            return Some(Origin {
                modules,
                block: Block::ModuleCall { name },
                path: expression_path(steps.get(i + 2..).unwrap_or(&[])),
            });
        }
    }
    match key(i)? {
        "resources" => {
            let (Step::Index(_), resource) = steps.get(i + 1)? else {
                return None;
            };
            if resource.get("mode").and_then(Node::as_str) == Some("data") {
                return None;
            }
            Some(Origin {
                modules,
                block: Block::Resource {
                    rtype: resource.get("type").and_then(Node::as_str)?.to_string(),
                    name: resource.get("name").and_then(Node::as_str)?.to_string(),
                },
                path: expression_path(steps.get(i + 2..).unwrap_or(&[])),
            })
        }
        "variables" => Some(Origin {
            modules,
            block: Block::Variable {
                name: key(i + 1)?.to_string(),
            },
            path: steps
                .get(i + 2..)
                .unwrap_or(&[])
                .iter()
                .map(|(s, _)| s.clone())
                .collect(),
        }),
        _ => None,
    }
}

/// `expressions.a[0].b.constant_value` → `a[0].b`.
fn expression_path(steps: &[(Step, &Node<'_>)]) -> Vec<Step> {
    let Some((Step::Key(first), _)) = steps.first() else {
        return Vec::new();
    };
    if first != "expressions" {
        return Vec::new();
    }
    steps[1..]
        .iter()
        .map(|(s, _)| s.clone())
        .take_while(|s| !matches!(s, Step::Key(k) if k == "constant_value" || k == "references"))
        .collect()
}

/// `module.a["k"].module.b[0].aws_s3_bucket.x[1]` → (`[a, b]`, `aws_s3_bucket`, `x`). Data
/// resources (`data.…`) have no configuration finding of their own: `None`.
pub fn parse_address(address: &str) -> Option<(Vec<String>, String, String)> {
    let parts = split_address(address)?;
    let mut modules = Vec::new();
    let mut i = 0;
    while parts.get(i).map(String::as_str) == Some("module") {
        modules.push(parts.get(i + 1)?.clone());
        i += 2;
    }
    match &parts[i..] {
        [rtype, name] if rtype != "data" => Some((modules, rtype.clone(), name.clone())),
        _ => None,
    }
}

/// `module.a.module.b` → `[a, b]`.
fn parse_modules(address: &str) -> Option<Vec<String>> {
    let parts = split_address(address)?;
    let mut modules = Vec::new();
    for pair in parts.chunks(2) {
        match pair {
            [m, name] if m == "module" => modules.push(name.clone()),
            _ => return None,
        }
    }
    Some(modules)
}

/// An address's dot-separated names, instance keys (`[0]`, `["a.b"]`) dropped.
fn split_address(address: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = address.chars();
    while let Some(c) = chars.next() {
        match c {
            '.' => parts.push(std::mem::take(&mut current)),
            '[' => {
                // Skip the key, which may be a quoted string holding `.` or `]`.
                let mut quoted = false;
                let mut escaped = false;
                loop {
                    let k = chars.next()?;
                    match k {
                        _ if escaped => escaped = false,
                        '\\' if quoted => escaped = true,
                        '"' => quoted = !quoted,
                        ']' if !quoted => break,
                        _ => {}
                    }
                }
            }
            _ => current.push(c),
        }
    }
    parts.push(current);
    (!parts.iter().any(String::is_empty)).then_some(parts)
}

/// The directory holding the configuration of the module `modules` names (the root module for
/// none), below `root`: from `.terraform/modules/modules.json` when `terraform init` wrote it
/// (remote sources included), else through the plan's local `source = "./…"` paths.
pub fn module_dir(plan: &Node<'_>, root: &Path, modules: &[String]) -> Option<PathBuf> {
    if modules.is_empty() {
        return Some(root.to_path_buf());
    }
    if let Some(dir) = crate::terraform_dir::Installed::of(root)
        .dir(&modules.join("."))
        .map(Path::to_path_buf)
    {
        return Some(dir);
    }
    let mut dir = root.to_path_buf();
    let mut config = plan.at(&["configuration", "root_module"])?;
    for name in modules {
        let call = config.get("module_calls")?.get(name)?;
        let source = call.get("source").and_then(Node::as_str)?;
        if !crate::terraform_dir::is_local_source(source) {
            return None;
        }
        dir = dir.join(source);
        config = call.get("module")?;
    }
    Some(dir)
}

/// Where an origin is in a configuration file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// The attribute the path reaches, as far as the file spells it out, else the block's
    /// label.
    pub span: Span,
    /// Whether the whole path was found (not just the block or part of the way).
    pub complete: bool,
    /// The variable the attribute's value is, when it is exactly one (`var.multi`): inside a
    /// module, the value then comes from the module call's argument of that name.
    pub variable: Option<String>,
}

/// Where `origin` is in one configuration file's tree; `None` when the file does not hold the
/// block.
pub fn find(root: &Node<'_>, origin: &Origin) -> Option<Found> {
    let (label, body) = block(root, &origin.block)?;
    let mut node = body;
    let mut span = label;
    let mut reached = 0;
    for step in &origin.path {
        let next = match (step, &node.value) {
            (Step::Key(k), Value::Map(_)) => node.get(k),
            // A nested block written once (`.tf.json`) where the plan has a list of one.
            (Step::Key(k), Value::Seq(items)) => items.first().and_then(|n| n.get(k)),
            (Step::Index(i), Value::Seq(items)) => items.get(*i),
            (Step::Index(0), Value::Map(_)) => Some(node),
            _ => None,
        };
        let Some(next) = next else {
            break;
        };
        node = next;
        span = next.span;
        reached += 1;
    }
    let complete = reached == origin.path.len();
    let variable = (complete && reached > 0)
        .then(|| {
            node.as_str()
                .and_then(crate::terraform_dir::single_variable)
        })
        .flatten()
        .map(str::to_string);
    Some(Found {
        span,
        complete,
        variable,
    })
}

/// The label span and body of a block in a configuration file's tree.
fn block<'n, 'a>(root: &'n Node<'a>, block: &Block) -> Option<(Span, &'n Node<'a>)> {
    let named = |kind: &str, name: &str| -> Vec<(Span, &'n Node<'a>)> {
        let mut found = Vec::new();
        for group in root.get(kind).map(objects).unwrap_or_default() {
            for e in group.entries().iter().filter(|e| e.key == name) {
                for body in objects(&e.value) {
                    found.push((e.key_span, body));
                }
            }
        }
        found
    };
    match block {
        Block::Resource { rtype, name } => {
            for group in root.get("resource").map(objects).unwrap_or_default() {
                for by_type in group.entries().iter().filter(|e| e.key == rtype.as_str()) {
                    for named in objects(&by_type.value) {
                        for e in named.entries().iter().filter(|e| e.key == name.as_str()) {
                            if let Some(body) = objects(&e.value).first() {
                                return Some((e.key_span, body));
                            }
                        }
                    }
                }
            }
            None
        }
        Block::Provider { name, alias } => named("provider", name)
            .into_iter()
            .find(|(_, body)| body.get("alias").and_then(Node::as_str) == alias.as_deref()),
        Block::Variable { name } => named("variable", name).into_iter().next(),
        Block::ModuleCall { name } => named("module", name).into_iter().next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_split_into_modules_type_and_name() {
        assert_eq!(
            parse_address(r#"module.a["x.y]"].module.b[0].aws_s3_bucket.logs["k"]"#),
            Some((
                vec!["a".to_string(), "b".to_string()],
                "aws_s3_bucket".to_string(),
                "logs".to_string()
            ))
        );
        assert_eq!(
            parse_address("aws_iam_role.r"),
            Some((Vec::new(), "aws_iam_role".to_string(), "r".to_string()))
        );
        assert_eq!(parse_address("data.aws_iam_policy_document.d"), None);
        assert_eq!(parse_address("module.a"), None);
        assert_eq!(parse_address("aws_s3_bucket.b[\"open"), None);
    }
}
