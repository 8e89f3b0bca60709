//! The modules a Terraform configuration calls, composed into it at any depth
//! ([`terraform_modules::compose`]) and what they report placed back in the configuration.
//!
//! A finding whose value is written in the configuration (an argument of a call) stays there.
//! One inside a module lands on the root's call it descends from, naming the module's
//! resource by its address, unless the module's own check with its defaults reports the same
//! (a module of the repository reports that in its own files) or a comment in the module
//! suppresses it. A module `terraform init` installed is third-party code: everything it
//! reports lands on the call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::model::terraform_modules::{
    self, Composition, LoadedModule, ModuleInstance, ModuleLoader,
};
use crate::model::{Format, Template};
use crate::parse::Node;
use crate::policy::coverage::RawEvidence;
use crate::policy::{self, RawFinding};
use crate::source::Span;
use crate::suppress;
use crate::terraform_dir;

use super::{DIRECTORY_CACHE_MAX, KnownFindings};
use crate::engine::Engine;

/// Reads modules through the engine's per-run caches: local ones from their directory,
/// installed ones where the configuration's `.terraform/modules/modules.json` says.
struct Loader<'e> {
    engine: &'e Engine,
    /// The configuration's directory (whose `.terraform` records installed modules).
    root: &'e Path,
}

impl ModuleLoader for Loader<'_> {
    fn load(&self, dir: &Path, key: &str, source: &str) -> Option<LoadedModule> {
        let (module_dir, installed) = if terraform_dir::is_local_source(source) {
            (terraform_dir::clean_path(&dir.join(source)), false)
        } else {
            let installed = self.engine.terraform.installed(self.root);
            (installed.dir(key)?.to_path_buf(), true)
        };
        let files = self.engine.module_files(&module_dir)?;
        let (first, rest) = files.split_first()?;
        let (root, text, bases) = terraform_dir::combine(first.root.clone(), &first.text, rest);
        let files = std::iter::once((module_dir.join(&first.name), 0))
            .chain(
                rest.iter()
                    .zip(bases)
                    .map(|(s, base)| (module_dir.join(&s.name), base)),
            )
            .collect();
        Some(LoadedModule {
            root,
            text,
            files,
            dir: module_dir,
            installed,
        })
    }
}

impl Engine {
    /// Compose the configuration `root` (its text `text`, in `dir`) with the modules it
    /// calls: the instances, and the calls a bound stopped.
    pub(super) fn compose_modules(
        &self,
        root: &mut Node<'_>,
        text: &mut String,
        dir: &Path,
    ) -> Composition {
        let loader = Loader {
            engine: self,
            root: dir,
        };
        terraform_modules::compose(root, text, dir, &loader)
    }

    /// A module directory's files, when they are one configuration.
    pub(super) fn module_files(&self, dir: &Path) -> Option<Vec<Arc<terraform_dir::Sibling>>> {
        let listing = self.terraform.listing(dir, self.options.max_file_size);
        terraform_dir::configuration(&listing, &self.options.limits, &self.terraform.siblings)
    }

    /// Place what the `instances` of a composed configuration report (`raws` and `evidence`
    /// past `own_end`, the end of the configuration's own text) in the configuration (see the
    /// module documentation).
    pub(in crate::engine) fn place_module_findings(
        &self,
        instances: &[ModuleInstance],
        own_end: u32,
        at: ModuleText<'_>,
        raws: &mut Vec<RawFinding>,
        evidence: &mut [RawEvidence],
    ) {
        if instances.is_empty() {
            return;
        }
        let of = |span: Span| {
            instances
                .iter()
                .find(|i| span.start >= i.range.0 && span.start <= i.range.1)
        };
        // The instance a resource belongs to: the longest prefix of its address (a prefix ends
        // at a `.`). The prefixes are worked out once: for each finding, against each instance,
        // they were most of checking a configuration of hundreds of module calls.
        let mut by_prefix: HashMap<String, &ModuleInstance> = HashMap::new();
        for instance in instances {
            by_prefix.insert(instance.prefix(), instance);
        }
        let owner = |resource: &str| {
            resource
                .match_indices('.')
                .rev()
                .find_map(|(at, _)| by_prefix.get(&resource[..=at]).copied())
        };
        // What the module's own check reports, kept for the coverage evidence of the instance:
        // the same resource drifts the same way here.
        let mut known: Vec<RawFinding> = Vec::new();
        let mut comments: HashMap<PathBuf, Vec<suppress::Inline>> = HashMap::new();
        raws.retain_mut(|raw| {
            if let Some(instance) = raw.resource.as_deref().and_then(owner)
                && self.suppressed_in_module(instance, raw, &mut comments)
            {
                return false;
            }
            if raw.span.start < own_end {
                // A value the root passes to a module: the other end is the module's resource.
                if let Some(instance) = raw.resource.as_deref().and_then(owner)
                    && let Some(anchor) = at.anchor_of(raw.resource.as_deref())
                    && let Some(mut place) = at.module_place(instance, anchor)
                {
                    place.message =
                        format!("the resource, in module `{}`", instance.path.join("."));
                    raw.elsewhere.push(place);
                }
                return true;
            }
            // Engine diagnostics (a policy's panic) are the module's own check's to report.
            if policy::meta(raw.policy).is_none() {
                return false;
            }
            let Some(instance) = of(raw.span) else {
                return false;
            };
            if self.module_defaults_report(instance, raw) {
                known.push(raw.clone());
                return false;
            }
            if let Some(place) = at.module_place(instance, raw.span) {
                raw.elsewhere.push(place);
            }
            raw.span = instance.label;
            raw.fix = None;
            true
        });
        // By resource, in the order reported: each instance's evidence asks for its resource's.
        let mut known_of: HashMap<&str, Vec<&RawFinding>> = HashMap::new();
        for raw in &known {
            if let Some(resource) = raw.resource.as_deref() {
                known_of.entry(resource).or_default().push(raw);
            }
        }
        for e in evidence.iter_mut() {
            let label = |span: Span| of(span).map_or(span, |i| i.label);
            if e.span.start >= own_end {
                e.span = label(e.span);
                let policies =
                    policy::coverage::objective(e.objective).map_or(&[][..], |o| o.policies);
                for raw in known_of
                    .get(e.resource.as_str())
                    .into_iter()
                    .flatten()
                    .filter(|r| policies.contains(&r.policy))
                {
                    e.unmet
                        .push((e.span, format!("{}: {}", raw.policy, raw.message)));
                }
            }
            for (span, _) in &mut e.unmet {
                if span.start >= own_end {
                    *span = label(*span);
                }
            }
        }
    }

    /// Whether a comment in the module of `instance` suppresses what `raw` says of one of its
    /// resources: the module's suppressions hold for every call.
    fn suppressed_in_module(
        &self,
        instance: &ModuleInstance,
        raw: &RawFinding,
        comments: &mut HashMap<PathBuf, Vec<suppress::Inline>>,
    ) -> bool {
        let own = instance.prefix();
        let resource = raw
            .resource
            .as_deref()
            .map(|r| r.strip_prefix(&own).unwrap_or(r));
        // The module's comments, read once per directory for all it reports.
        let comments = comments.entry(instance.dir.clone()).or_insert_with(|| {
            self.module_files(&instance.dir)
                .unwrap_or_default()
                .iter()
                .filter(|f| crate::parse::is_hcl_name(&f.name))
                .flat_map(|f| suppress::comments(&f.text, &f.root))
                .collect()
        });
        suppress::covers(comments, raw.policy, resource, u32::MAX)
    }

    /// Whether the module of the root's call that `instance` descends from reports `raw` in
    /// its own check with its defaults (a module of the repository reports it in its files; an
    /// installed module never does).
    fn module_defaults_report(&self, instance: &ModuleInstance, raw: &RawFinding) -> bool {
        if instance.top_installed {
            return false;
        }
        let top = format!("module.{}.", instance.path[0]);
        let relative = |s: &str| s.replace(&format!("`{top}"), "`");
        self.module_defaults(&instance.top_dir)
            .is_some_and(|known| {
                known.contains(&(
                    raw.policy,
                    raw.resource
                        .as_deref()
                        .map(|r| r.strip_prefix(&top).unwrap_or(r).into()),
                    relative(&raw.message).into(),
                ))
            })
    }

    /// What the module in `dir` reports with its variables' defaults (composed with the
    /// modules it calls), every policy some file may enable; computed once per directory.
    fn module_defaults(&self, dir: &Path) -> Option<Arc<KnownFindings>> {
        let listing = self.terraform.listing(dir, self.options.max_file_size);
        if let Ok(cache) = self.terraform.module_defaults.lock()
            && let Some((listed, known)) = cache.get(dir)
            && listed.as_slice() == listing.as_slice()
        {
            return Some(known.clone());
        }
        let files = self.module_files(dir)?;
        let (first, rest) = files.split_first()?;
        let (mut root, mut text, _) = terraform_dir::combine(first.root.clone(), &first.text, rest);
        crate::model::fold_expressions(&mut root);
        crate::model::inline_policy_documents(&mut root);
        self.compose_modules(&mut root, &mut text, dir);
        let mut template = Template::new(Format::TerraformConfig, &root);
        template.source = Some(&text);
        let known: Arc<KnownFindings> = Arc::new(
            self.run_policies(&template, &|m| self.may_enable(m))
                .into_iter()
                .map(|r| (r.policy, r.resource, r.message))
                .collect(),
        );
        if let Ok(mut cache) = self.terraform.module_defaults.lock() {
            if cache.len() >= DIRECTORY_CACHE_MAX {
                cache.clear();
            }
            cache.insert(dir.to_path_buf(), (listing.to_vec(), known.clone()));
        }
        Some(known)
    }
}

/// The composed text of a configuration and the directory its checked file is in: where a
/// finding in a module's text is in the module's file, for a related place.
pub(in crate::engine) struct ModuleText<'t> {
    pub text: &'t str,
    pub dir: Option<&'t Path>,
    pub template: &'t Template<'t>,
    /// Each module file's line index (by where it starts in `text`), made when a finding first
    /// lands in it: a module with many findings is indexed once, not once per finding.
    pub indexes: std::cell::RefCell<HashMap<u32, crate::source::LineIndex>>,
}

impl ModuleText<'_> {
    /// Where a resource of the composed configuration is named.
    fn anchor_of(&self, resource: Option<&str>) -> Option<Span> {
        self.template.resource(resource?).map(|r| r.anchor)
    }

    /// The place in the module's own file of a span of its composed text, as a related place
    /// whose path is relative to the checked file's directory.
    fn module_place(
        &self,
        instance: &ModuleInstance,
        span: Span,
    ) -> Option<crate::finding::Related> {
        let i = instance
            .files
            .partition_point(|(_, base)| *base <= span.start);
        let (path, base) = instance.files.get(i.checked_sub(1)?)?;
        let end = instance
            .files
            .get(i)
            .map_or(instance.range.1, |(_, next)| next.saturating_sub(1));
        let file = self.text.get(*base as usize..end as usize)?;
        let relative = relative_to(self.dir?, path)?;
        let local = Span {
            start: span.start - base,
            end: (span.end - base).min(file.len() as u32),
        };
        let mut indexes = self.indexes.borrow_mut();
        let index = indexes
            .entry(*base)
            .or_insert_with(|| crate::source::LineIndex::new(file));
        Some(crate::finding::Related {
            path: std::sync::Arc::from(relative.as_str()),
            span: local,
            start: index.position(file, local.start as usize),
            end: index.position(file, local.end as usize),
            message: format!("in module `{}`", instance.path.join(".")),
        })
    }
}

/// `path` relative to `dir` with `/` separators (`../../modules/x/main.tf`): a module's
/// directory is the calling directory joined with its source, cleaned, so the two share a
/// prefix; `None` when they share none (an absolute path against a relative one).
fn relative_to(dir: &Path, path: &Path) -> Option<String> {
    let dir = terraform_dir::clean_path(dir);
    let path = terraform_dir::clean_path(path);
    if dir.is_absolute() != path.is_absolute() {
        return None;
    }
    let (d, p): (Vec<_>, Vec<_>) = (dir.components().collect(), path.components().collect());
    let common = d.iter().zip(&p).take_while(|(a, b)| a == b).count();
    // Above the common part, `dir` must hold names to step out of, not `..` itself.
    if d[common..]
        .iter()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    let parts: Vec<String> = std::iter::repeat_n("..".to_string(), d.len() - common)
        .chain(
            p[common..]
                .iter()
                .map(|c| c.as_os_str().to_string_lossy().into_owned()),
        )
        .collect();
    Some(parts.join("/"))
}
