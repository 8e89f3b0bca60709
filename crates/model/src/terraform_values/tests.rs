use super::fold_expressions;
use crate::parse::{Limits, Node, hcl};
use crate::{Format, Template, UNKNOWN_MARK, Val};

/// The values of `attr` of every resource whose id starts with `prefix`, after folding, as
/// evaluation reads them (`?` for unknown parts).
fn values(text: &str, prefix: &str, attr: &str) -> Vec<(String, Vec<String>)> {
    let mut root = hcl::file(text, &Limits::default()).unwrap().root;
    fold_expressions(&mut root);
    let t = Template::new(Format::TerraformConfig, &root);
    t.resources
        .iter()
        .filter(|r| r.id.starts_with(prefix))
        .map(|r| {
            let node = r.prop(attr).expect("the attribute");
            (r.id.to_string(), show(&t, node))
        })
        .collect()
}

fn show(t: &Template<'_>, node: &Node<'_>) -> Vec<String> {
    t.eval(node)
        .into_iter()
        .map(|r| match r.val {
            Val::Unknown => "?".to_string(),
            Val::Seq(s) => {
                let items: Vec<String> = t.items(s).iter().flat_map(|i| show(t, i)).collect();
                format!("[{}]", items.join(","))
            }
            Val::Map(_) => "{map}".to_string(),
            v => v.text().unwrap_or("null").replace(UNKNOWN_MARK, "?"),
        })
        .collect()
}

fn one(text: &str, attr: &str) -> Vec<String> {
    let v = values(text, "aws_x.r", attr);
    assert_eq!(v.len(), 1, "{v:?}");
    v.into_iter().next().unwrap().1
}

const SCOPE: &str = r#"
variable "settings" {
  default = { multi_region = false, name = "trail" }
}
variable "regions" { default = ["eu-west-1", "eu-west-2", "eu-west-1"] }
variable "empty" { default = {} }
variable "unset" {}
locals {
  tags   = { team = "sec" }
  first  = var.regions[0]
  nested = { inner = { on = var.settings.multi_region } }
}
"#;

fn with_scope(body: &str) -> String {
    format!("{SCOPE}\nresource \"aws_x\" \"r\" {{\n{body}\n}}\n")
}

#[test]
fn indexes_attributes_and_functions_are_evaluated_where_known() {
    let cases: &[(&str, &str)] = &[
        ("a = var.settings.multi_region", "false"),
        ("a = var.regions[1]", "eu-west-2"),
        ("a = local.first", "eu-west-1"),
        ("a = local.nested.inner.on", "false"),
        ("a = lookup(var.settings, \"name\", \"x\")", "trail"),
        ("a = lookup(var.empty, \"name\", \"dflt\")", "dflt"),
        ("a = try(var.empty.multi_region, true)", "true"),
        ("a = try(var.unset.multi_region, true)", "?"),
        ("a = coalesce(\"\", var.settings.name)", "trail"),
        ("a = one([\"only\"])", "only"),
        ("a = element(var.regions, 4)", "eu-west-2"),
        ("a = length(toset(var.regions))", "2"),
        ("a = contains(var.regions, \"eu-west-2\")", "true"),
        (
            "a = var.settings.multi_region ? \"same\" : \"same\"",
            "same",
        ),
        ("a = !var.settings.multi_region && true", "true"),
        (
            "a = \"arn:aws:s3:::${lookup(var.settings, \"name\")}-${var.unset}\"",
            "arn:aws:s3:::trail-?",
        ),
        ("a = upper(join(\"-\", [\"a\", \"b\"]))", "A-B"),
        ("a = tostring(var.settings.multi_region)", "false"),
        ("a = aws_s3_bucket.b.id", "?"),
        ("a = one(aws_iam_role.r[*].id)", "?"),
        ("a = [for r in var.regions : r]", "?"),
    ];
    for (body, want) in cases {
        assert_eq!(one(&with_scope(body), "a"), [*want], "{body}");
    }
    // A condition on what a caller sets chooses between two configurations: both are read.
    assert_eq!(
        one(
            &with_scope("a = var.settings.name == \"trail\" ? \"yes\" : \"no\""),
            "a"
        ),
        ["yes", "no"]
    );
}

#[test]
fn lists_keep_what_is_known_and_unknown_items_stay_unknown() {
    let v = one(
        &with_scope("a = concat([\"cloudtrail:StopLogging\"], var.unset, toset(var.regions))"),
        "a",
    );
    assert_eq!(v, ["[cloudtrail:StopLogging,?,eu-west-1,eu-west-2]"]);
    let v = one(
        &with_scope("a = keys(merge(local.tags, { owner = \"x\" }, null))"),
        "a",
    );
    assert_eq!(v, ["[owner,team]"]);
    let v = one(&with_scope("a = var.regions[*]"), "a");
    assert_eq!(v, ["[eu-west-1,eu-west-2,eu-west-1]"]);
}

#[test]
fn for_each_and_count_expand_into_their_instances() {
    let text = format!(
        "{SCOPE}\n{}",
        r#"
variable "trails" {
  default = {
    org  = { multi = true }
    test = { multi = false }
  }
}
resource "aws_x" "r" {
  for_each = var.trails
  a        = each.value.multi
  b        = each.key
}
resource "aws_x" "c" {
  count = length(var.regions)
  a     = count.index == 0 ? "first" : var.regions[count.index]
}
resource "aws_x" "u" {
  for_each = var.unset
  a        = each.value
}
"#
    );
    assert_eq!(
        values(&text, "aws_x.r", "a"),
        [
            ("aws_x.r[\"org\"]".to_string(), vec!["true".to_string()]),
            ("aws_x.r[\"test\"]".to_string(), vec!["false".to_string()]),
        ]
    );
    let counted: Vec<String> = values(&text, "aws_x.c", "a")
        .into_iter()
        .map(|(id, v)| format!("{id}={}", v.join("|")))
        .collect();
    assert_eq!(
        counted,
        [
            "aws_x.c[0]=first",
            "aws_x.c[1]=eu-west-2",
            "aws_x.c[2]=eu-west-1"
        ]
    );
    assert_eq!(
        values(&text, "aws_x.u", "a"),
        [("aws_x.u".to_string(), vec!["?".to_string()])]
    );
    // A reference to the resource names its instances.
    let mut root = hcl::file(&text, &Limits::default()).unwrap().root;
    fold_expressions(&mut root);
    let t = Template::new(Format::TerraformConfig, &root);
    assert_eq!(
        t.resource("aws_x.r").map(|r| r.id.to_string()),
        Some("aws_x.r[\"org\"]".to_string())
    );
}

#[test]
fn tfvars_values_take_the_place_of_defaults() {
    let mut root = hcl::file(
        &with_scope("a = lookup(var.settings, \"multi_region\", true)"),
        &Limits::default(),
    )
    .unwrap()
    .root;
    let tfvars = hcl::file("settings = { multi_region = true }", &Limits::default())
        .unwrap()
        .root;
    if let crate::parse::Value::Map(entries) = &mut root.value {
        entries.make_mut().push(crate::parse::Entry {
            key: crate::terraform_dir::TFVARS_KEY.into(),
            key_span: tfvars.span,
            value: tfvars,
        });
    }
    fold_expressions(&mut root);
    let t = Template::new(Format::TerraformConfig, &root);
    let r = t.resource("aws_x.r").unwrap();
    assert_eq!(show(&t, r.prop("a").unwrap()), ["true"]);
}

#[test]
fn lists_that_double_at_every_step_stay_bounded() {
    let mut text = String::from("locals {\n  l0 = [\"a\", \"b\"]\n");
    for i in 1..40 {
        text.push_str(&format!(
            "  l{i} = concat(local.l{}, local.l{})\n",
            i - 1,
            i - 1
        ));
    }
    text.push_str("}\nresource \"aws_x\" \"r\" {\n  a = length(local.l39)\n}\n");
    let started = std::time::Instant::now();
    assert_eq!(one(&text, "a"), ["?"]);
    // Bounded by steps and items, not by 2^40: well under a second even unoptimized.
    assert!(started.elapsed().as_secs() < 5);
}
