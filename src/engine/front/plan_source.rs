//! Plan findings at their `.tf` source. A finding in a `terraform show -json` plan is moved
//! to the configuration line that produced it — the resource block, or the attribute inside
//! it — when the configuration is at hand: beside the plan, or under `--terraform-root`. The
//! plan's place stays with the finding as related information. The model's
//! [`crate::model::plan_source`] says which block and attribute a place in the plan is; this
//! module finds the files and moves the findings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::plan_source::{self, Origin};
use crate::parse::{Limits, Node, is_hcl_name};
use crate::policy::RawFinding;
use crate::source::Span;
use crate::suppress::Inline;
use crate::terraform_dir::{self, SiblingCache};

/// Where plans' configurations are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum TerraformRoot {
    /// Findings stay in the plan.
    Off,
    /// The configuration is the plan's own directory, when that directory is one `.tf`
    /// configuration.
    #[default]
    Beside,
    /// The root module is this directory (`--terraform-root`), for every plan.
    Dir(PathBuf),
}

/// One configuration file a plan finding was moved to.
pub(crate) struct SourceFile {
    /// The file as reported.
    pub display: String,
    pub file: Arc<terraform_dir::Sibling>,
    /// Its comment suppressions (HCL only), read on first use.
    comments: Option<Vec<Inline>>,
}

impl SourceFile {
    pub fn comments(&mut self) -> &[Inline] {
        let file = &self.file;
        self.comments.get_or_insert_with(|| {
            if is_hcl_name(&file.name) {
                crate::suppress::comments(&file.text, &file.root)
            } else {
                Vec::new()
            }
        })
    }
}

/// A plan finding placed in a configuration file.
pub(crate) struct Moved {
    /// The finding, its span now in the configuration file.
    pub raw: RawFinding,
    /// Index of the file in [`Placed::files`].
    pub file: usize,
    /// Where it was in the plan.
    pub plan_span: Span,
    /// The resource as the configuration names it (`aws_s3_bucket.logs`), for suppressions
    /// in the file that declares it.
    pub local_address: Option<String>,
    /// When the value is a module variable set by the module call: the attribute inside the
    /// module (file index, span) — the finding itself is then at the call's argument.
    pub through: Option<(usize, Span, String)>,
}

/// The plan findings that were moved, and the files they went to.
#[derive(Default)]
pub(crate) struct Placed {
    pub files: Vec<SourceFile>,
    pub moved: Vec<Moved>,
}

/// What the engine lends the move: parser limits, file size limit and its sibling cache.
pub(crate) struct Loader<'e> {
    pub limits: &'e Limits,
    pub max_file_size: u64,
    pub cache: &'e SiblingCache,
}

/// Where a plan's configuration is, as far as reporting its findings goes.
pub(crate) enum PlanRoot {
    /// Not looked for (`TerraformRoot::Off`, or no plan path to look beside).
    Unused,
    /// The plan's directory holds no `.tf` configuration.
    None,
    /// The plan's directory holds `.tf` files that are not one configuration (examples side by
    /// side): not the plan's source.
    NotOne,
    /// The root module's directory and the path it is reported under.
    Found(PathBuf, String),
}

/// Where the configuration of a plan reported as `display` and read from `origin` is.
pub(crate) fn root_for(
    setting: &TerraformRoot,
    display: &str,
    origin: Option<&Path>,
    loader: &Loader<'_>,
) -> PlanRoot {
    match setting {
        TerraformRoot::Off => PlanRoot::Unused,
        TerraformRoot::Dir(dir) => PlanRoot::Found(dir.clone(), crate::walk::display_path(dir)),
        TerraformRoot::Beside => {
            let Some(dir) = origin.and_then(Path::parent) else {
                return PlanRoot::Unused;
            };
            let listing = terraform_dir::listing_dir(dir, loader.max_file_size);
            if listing.is_empty() {
                return PlanRoot::None;
            }
            // Only a directory that is one configuration: several examples side by side
            // (`fail.tf`, `pass.tf` declaring the same resource) are not the plan's source.
            if terraform_dir::configuration(&listing, loader.limits, loader.cache).is_none() {
                return PlanRoot::NotOne;
            }
            let base = match display.rsplit_once('/') {
                Some((parent, _)) => parent.to_string(),
                None => ".".to_string(),
            };
            PlanRoot::Found(dir.to_path_buf(), base)
        }
    }
}

/// Move the findings among `raws` whose plan place has a configuration block under `root`
/// (reported under `base`) to that block; the rest stay in `raws`.
pub(crate) fn place(
    plan: &Node<'_>,
    root: &Path,
    base: &str,
    loader: &Loader<'_>,
    raws: &mut Vec<RawFinding>,
) -> Placed {
    let mut placed = Placed::default();
    // Module path → indices of its files in `placed.files`.
    let mut modules: HashMap<Vec<String>, Vec<usize>> = HashMap::new();
    let mut keep = Vec::with_capacity(raws.len());
    for raw in raws.drain(..) {
        let Some(origin) = plan_source::origin(plan, raw.span.start) else {
            keep.push(raw);
            continue;
        };
        let Some((file, found)) =
            locate(plan, root, base, loader, &mut modules, &mut placed, &origin)
        else {
            keep.push(raw);
            continue;
        };
        // `is_multi_region_trail = var.multi` inside a module: the value the plan has is the
        // caller's `multi = false`, which is where to change it.
        let call = found.variable.as_ref().and_then(|variable| {
            let (name, parent) = origin.modules.split_last()?;
            let call = Origin {
                modules: parent.to_vec(),
                block: plan_source::Block::ModuleCall { name: name.clone() },
                path: vec![plan_source::Step::Key(variable.clone())],
            };
            let (at, argument) =
                locate(plan, root, base, loader, &mut modules, &mut placed, &call)?;
            argument.complete.then(|| {
                (
                    at,
                    argument.span,
                    format!("through `var.{variable}` of module `{name}`"),
                )
            })
        });
        let moved = match call {
            Some((at, span, how)) => Moved {
                plan_span: raw.span,
                raw: RawFinding { span, ..raw },
                file: at,
                local_address: origin.local_address(),
                through: Some((file, found.span, how)),
            },
            None => Moved {
                plan_span: raw.span,
                raw: RawFinding {
                    span: found.span,
                    ..raw
                },
                file,
                local_address: origin.local_address(),
                through: None,
            },
        };
        placed.moved.push(moved);
    }
    *raws = keep;
    placed
}

/// The file (index in `placed.files`) and place of `origin`, loading its module's files on
/// first use.
fn locate(
    plan: &Node<'_>,
    root: &Path,
    base: &str,
    loader: &Loader<'_>,
    modules: &mut HashMap<Vec<String>, Vec<usize>>,
    placed: &mut Placed,
    origin: &Origin,
) -> Option<(usize, plan_source::Found)> {
    let files = modules
        .entry(origin.modules.clone())
        .or_insert_with(|| load_module(plan, root, base, origin, loader, &mut placed.files));
    files.iter().find_map(|&i| {
        plan_source::find(&placed.files[i].file.root, origin).map(|found| (i, found))
    })
}

/// The configuration files of `origin`'s module, added to `files`; their indices.
fn load_module(
    plan: &Node<'_>,
    root: &Path,
    base: &str,
    origin: &Origin,
    loader: &Loader<'_>,
    files: &mut Vec<SourceFile>,
) -> Vec<usize> {
    let Some(dir) = plan_source::module_dir(plan, root, &origin.modules) else {
        return Vec::new();
    };
    let relative = dir
        .strip_prefix(root)
        .map(crate::walk::display_path)
        .unwrap_or_else(|_| crate::walk::display_path(&dir));
    let listing = terraform_dir::listing_dir(&dir, loader.max_file_size);
    let mut indices = Vec::new();
    for file in terraform_dir::load(&listing, loader.limits, loader.cache) {
        if file.tfvars {
            continue;
        }
        let display = if dir.is_absolute() && dir.strip_prefix(root).is_err() {
            normalize(&format!("{relative}/{}", file.name))
        } else {
            normalize(&format!("{base}/{relative}/{}", file.name))
        };
        indices.push(files.len());
        files.push(SourceFile {
            display,
            file,
            comments: None,
        });
    }
    indices
}

/// `a/./b/../c` → `a/c`, keeping leading `..` (paths as reported are relative).
pub(crate) fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn reported_paths_are_normalized_lexically() {
        assert_eq!(
            normalize("./plans/./modules/trail/main.tf"),
            "plans/modules/trail/main.tf"
        );
        assert_eq!(
            normalize("infra/env/../modules/x/main.tf"),
            "infra/modules/x/main.tf"
        );
        assert_eq!(normalize("../x/./y.tf"), "../x/y.tf");
        assert_eq!(normalize("a/../../b.tf"), "../b.tf");
        assert_eq!(normalize("/r/./m/../main.tf"), "/r/main.tf");
    }
}
