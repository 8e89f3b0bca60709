use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{LoadedModule, ModuleLoader, NotComposed, compose};
use crate::parse::{Limits, hcl};
use crate::{Format, Template};

/// Modules kept in memory by directory (`./name` sources resolve against the caller's).
struct Memory(HashMap<PathBuf, &'static str>);

impl ModuleLoader for Memory {
    fn load(&self, dir: &Path, _key: &str, source: &str) -> Option<LoadedModule> {
        let dir = dir.join(source.trim_start_matches("./"));
        let text = self.0.get(&dir)?;
        Some(LoadedModule {
            root: hcl::file(text, &Limits::default()).ok()?.root,
            text: text.to_string(),
            files: vec![(dir.join("main.tf"), 0)],
            dir,
            installed: false,
        })
    }
}

impl Memory {
    /// The modules `(directory under /r, main.tf)`.
    fn of(modules: &[(&str, &'static str)]) -> Memory {
        Memory(
            modules
                .iter()
                .map(|(d, t)| (Path::new("/r").join(d), *t))
                .collect(),
        )
    }
}

fn composed(root: &str, modules: &[(&str, &'static str)]) -> (String, Vec<(String, String)>) {
    let mut tree = hcl::file(root, &Limits::default()).unwrap().root;
    crate::fold_expressions(&mut tree);
    let mut text = root.to_string();
    let loader = Memory::of(modules);
    let instances = compose(&mut tree, &mut text, Path::new("/r"), &loader).instances;
    let paths: Vec<String> = instances.iter().map(|i| i.prefix()).collect();
    let t = Template::new(Format::TerraformConfig, &tree);
    let mut props = Vec::new();
    for r in &t.resources {
        for key in ["s3_bucket_name", "is_multi_region_trail", "bucket"] {
            if let Some(node) = r.prop(key) {
                let shown: Vec<String> = t
                    .eval(node)
                    .into_iter()
                    .map(|v| {
                        let at = &text[v.span.start as usize..v.span.end as usize];
                        let value = match v.val.text() {
                            Some(s) if v.val.is_known() => s.to_string(),
                            _ => match node.as_str() {
                                Some(expr) => expr.to_string(),
                                None => "?".to_string(),
                            },
                        };
                        format!("{value} @ {at}")
                    })
                    .collect();
                props.push((format!("{}.{key}", r.id), shown.join(" | ")));
            }
        }
    }
    (paths.join(" "), props)
}

#[test]
fn values_flow_through_three_levels_and_land_where_they_are_written() {
    let root = "module \"a\" {\n  source = \"./a\"\n  multi  = false\n}\n";
    let (paths, props) = composed(
        root,
        &[
            (
                "a",
                "variable \"multi\" {}\nmodule \"b\" {\n  source = \"./b\"\n  multi = var.multi\n}\n",
            ),
            (
                "a/b",
                "variable \"multi\" { default = true }\nlocals { on = var.multi }\nmodule \"c\" {\n  source = \"./c\"\n  multi = local.on\n}\n",
            ),
            (
                "a/b/c",
                "variable \"multi\" { default = true }\nresource \"aws_cloudtrail\" \"t\" {\n  is_multi_region_trail = var.multi\n}\n",
            ),
        ],
    );
    assert_eq!(
        paths,
        "module.a.module.b.module.c. module.a.module.b. module.a."
    );
    assert_eq!(
        props,
        [(
            "module.a.module.b.module.c.aws_cloudtrail.t.is_multi_region_trail".to_string(),
            // The root's `multi = false`: where the value is written.
            "false @ false".to_string()
        )]
    );
}

#[test]
fn a_trail_links_to_the_bucket_a_sibling_module_outputs() {
    let root = "module \"logs\" {\n  source = \"./logs\"\n}\nmodule \"trail\" {\n  source = \"./trail\"\n  bucket = module.logs.bucket_id\n}\nresource \"aws_s3_bucket\" \"this\" {\n  bucket = \"root\"\n}\n";
    let (_, props) = composed(
        root,
        &[
            (
                "logs",
                "resource \"aws_s3_bucket\" \"this\" {\n  bucket = \"logs-${var.env}\"\n}\nvariable \"env\" { default = \"prod\" }\noutput \"bucket_id\" {\n  value = aws_s3_bucket.this.id\n}\n",
            ),
            (
                "trail",
                "variable \"bucket\" {}\nresource \"aws_cloudtrail\" \"this\" {\n  s3_bucket_name = \"${var.bucket}\"\n  is_multi_region_trail = true\n}\n",
            ),
        ],
    );
    assert_eq!(
        props,
        [
            (
                "aws_s3_bucket.this.bucket".to_string(),
                "root @ \"root\"".to_string()
            ),
            (
                "module.logs.aws_s3_bucket.this.bucket".to_string(),
                "logs-prod @ \"logs-${var.env}\"".to_string()
            ),
            (
                "module.trail.aws_cloudtrail.this.s3_bucket_name".to_string(),
                "${module.logs.aws_s3_bucket.this.id} @ aws_s3_bucket.this.id".to_string()
            ),
            (
                "module.trail.aws_cloudtrail.this.is_multi_region_trail".to_string(),
                "true @ true".to_string()
            ),
        ]
    );
}

#[test]
fn a_module_that_calls_itself_is_followed_once_and_missing_ones_not_at_all() {
    let root = "module \"loop\" {\n  source = \"./loop\"\n}\nmodule \"gone\" {\n  source = \"./gone\"\n}\n";
    let (paths, _) = composed(
        root,
        &[(
            "loop",
            "module \"again\" {\n  source = \"./\"\n}\nresource \"aws_s3_bucket\" \"b\" {}\n",
        )],
    );
    assert_eq!(paths, "module.loop.");
}

#[test]
fn a_call_that_uses_another_calls_outputs_follows_it_wherever_it_is_written() {
    let root = "module \"flow\" {\n  source = \"./flow\"\n  vpc_id = module.vpc.vpc_id\n}\nmodule \"vpc\" {\n  source = \"./vpc\"\n}\n";
    let (paths, props) = composed(
        root,
        &[
            (
                "vpc",
                "resource \"aws_vpc\" \"this\" {\n  count = var.on ? 1 : 0\n}\nvariable \"on\" { default = true }\noutput \"vpc_id\" {\n  value = try(aws_vpc.this[0].id, null)\n}\n",
            ),
            (
                "flow",
                "variable \"vpc_id\" {}\nresource \"aws_flow_log\" \"this\" {\n  bucket = \"${var.vpc_id}\"\n}\n",
            ),
        ],
    );
    assert_eq!(paths, "module.vpc. module.flow.");
    assert_eq!(
        props,
        [(
            "module.flow.aws_flow_log.this.bucket".to_string(),
            "${try(module.vpc.aws_vpc.this[0].id, null)} @ try(aws_vpc.this[0].id, null)"
                .to_string()
        )]
    );
}

#[test]
fn an_indexed_call_of_a_counted_module_is_its_one_instance() {
    assert_eq!(
        super::rewrite::without_module_indexes(
            "${module.b[0].this.id}-${x[1]}-${module.c[\"k\"].o}"
        ),
        "${module.b.this.id}-${x[1]}-${module.c.o}"
    );
    let root = "module \"bucket\" {\n  count  = 1\n  source = \"./bucket\"\n}\nmodule \"trail\" {\n  source = \"./trail\"\n  bucket = module.bucket[0].this.id\n}\n";
    let (_, props) = composed(
        root,
        &[
            (
                "bucket",
                "resource \"aws_s3_bucket\" \"b\" {}\noutput \"this\" {\n  value = aws_s3_bucket.b\n}\n",
            ),
            (
                "trail",
                "variable \"bucket\" {}\nresource \"aws_cloudtrail\" \"t\" {\n  s3_bucket_name = var.bucket\n}\n",
            ),
        ],
    );
    assert_eq!(
        props,
        [(
            "module.trail.aws_cloudtrail.t.s3_bucket_name".to_string(),
            "${(module.bucket.aws_s3_bucket.b).id} @ module.bucket[0].this.id".to_string()
        )]
    );
}

#[test]
fn locals_that_double_at_every_step_stay_bounded() {
    // Thirty locals each using the one before twice: 2^30 copies of the first if written out.
    let mut module = String::from("locals {\n  l0 = \"x\"\n");
    for i in 1..30 {
        module.push_str(&format!(
            "  l{i} = \"${{local.l{}}}${{local.l{}}}-\"\n",
            i - 1,
            i - 1
        ));
    }
    module.push_str(
        "}\nresource \"aws_s3_bucket\" \"b\" {\n  bucket = \"${local.l29}-${local.l29}\"\n}\n",
    );
    let module: &'static str = Box::leak(module.into_boxed_str());
    let (_, props) = composed("module \"m\" {\n  source = \"./m\"\n}\n", &[("m", module)]);
    assert_eq!(props.len(), 1);
    assert!(props[0].1.len() < 1024 * 1024, "{}", props[0].1.len());
}

#[test]
fn traversals_are_the_identifiers_joined_by_dots_that_no_attribute_access_precedes() {
    let seen = |expr: &str| {
        let mut found = Vec::new();
        let out = super::rewrite::rewrite_traversals(expr, &mut |t| {
            found.push(t.to_string());
            t.starts_with("var.").then(|| format!("<{t}>"))
        });
        (out, found)
    };
    let (out, found) = seen("merge(var.tags, { Name = \"${var.name}-x\" })[0].a-b");
    assert_eq!(
        out,
        "merge(<var.tags>, { Name = \"${<var.name>}-x\" })[0].a-b"
    );
    assert_eq!(found, ["merge", "var.tags", "Name", "var.name"]);
    // After a `.` or inside an identifier nothing starts; a digit cannot start one; a dot
    // not followed by an identifier ends one; text that is not ASCII is copied as it is.
    let (out, found) = seen("x.y[1].z + 9var.a + var.b. + «var.c» + _v.w1");
    assert_eq!(out, "x.y[1].z + 9var.a + <var.b>. + «<var.c>» + _v.w1");
    assert_eq!(found, ["x.y", "var.b", "var.c", "_v.w1"]);
    assert_eq!(seen(""), (String::new(), Vec::new()));
}

/// The calls not composed: path from the root, the root call's name as written, why.
fn stopped(root: &str, modules: &[(&str, &'static str)]) -> Vec<(String, String, NotComposed)> {
    let mut tree = hcl::file(root, &Limits::default()).unwrap().root;
    let mut text = root.to_string();
    let composition = compose(&mut tree, &mut text, Path::new("/r"), &Memory::of(modules));
    composition
        .stopped
        .into_iter()
        .map(|s| {
            let label = root[s.label.start as usize..s.label.end as usize].to_string();
            (s.path.join("."), label, s.why)
        })
        .collect()
}

#[test]
fn calls_not_composed_are_listed_with_why_but_the_roots_registry_calls_are_not() {
    // A module that calls itself: followed once, its call back listed. A local module that is
    // not there, and a registry module a module calls that is not installed, are listed; the
    // root's own registry call is the caller's to say.
    let root = "module \"loop\" {\n  source = \"./loop\"\n}\nmodule \"gone\" {\n  source = \"./gone\"\n}\n\
                module \"vpc\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n";
    let looping = "module \"again\" {\n  source = \"./\"\n}\nmodule \"remote\" {\n  source = \
                   \"cloudposse/label/null\"\n}\nresource \"aws_s3_bucket\" \"b\" {}\n";
    let found = |name: &str, label: &str, why| (name.to_string(), label.to_string(), why);
    assert_eq!(
        stopped(root, &[("loop", looping)]),
        [
            found("loop.again", "\"loop\"", NotComposed::Cycle),
            found("loop.remote", "\"loop\"", NotComposed::Missing),
            found("gone", "\"gone\"", NotComposed::Missing),
        ]
    );
    assert!(!NotComposed::Missing.is_bound() && NotComposed::Cycle.is_bound());
    // A chain of ten modules: eight levels of calls are composed, the ninth is listed.
    let mut chain: Vec<(String, &'static str)> = Vec::new();
    for level in 0..10 {
        let text = format!(
            "module \"m\" {{\n  source = \"./next\"\n}}\nresource \"aws_s3_bucket\" \"b{level}\" {{}}\n"
        );
        let dir = std::iter::repeat_n("next", level + 1)
            .collect::<Vec<_>>()
            .join("/");
        chain.push((dir, Box::leak(text.into_boxed_str())));
    }
    let modules: Vec<(&str, &'static str)> = chain.iter().map(|(d, t)| (d.as_str(), *t)).collect();
    let root = "module \"top\" {\n  source = \"./next\"\n}\n";
    let found = stopped(root, &modules);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].0, format!("top{}", ".m".repeat(8)));
    assert_eq!(found[0].1, "\"top\"");
    assert_eq!(found[0].2, NotComposed::Depth);
    assert!(
        NotComposed::Depth
            .describe()
            .contains("8 module calls deep")
    );
}
