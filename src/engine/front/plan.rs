//! The front end of a Terraform plan or state (`terraform show -json`): one file is one unit,
//! and once evaluated, each finding whose configuration is at hand moves to the `.tf` line that
//! produced it, with the plan's place as a related location (see `plan_source`).

use std::path::Path;
use std::sync::Arc;

use crate::file_report::Depends;
use crate::finding::{Finding, stable_hash};
use crate::model::Template;
use crate::policy::{self, RawFinding};
use crate::source::LineIndex;

use super::plan_source::{self, PlanRoot};
use crate::engine::place::clamp_to_content;
use crate::engine::{Engine, Selection};

impl Engine {
    /// Take the plan findings among `raws` whose configuration is at hand out of `raws`,
    /// placed at their `.tf` source (see [`plan_source`]); and what the plan's report
    /// then depends on.
    pub(in crate::engine) fn place_at_source(
        &self,
        display: &str,
        origin: Option<&Path>,
        template: &Template<'_>,
        raws: &mut Vec<RawFinding>,
    ) -> (Depends, Option<plan_source::Placed>) {
        if raws.is_empty() {
            // Nothing to place: the configuration cannot change the report.
            return (Depends::File, None);
        }
        let loader = plan_source::Loader {
            limits: &self.options.limits,
            max_file_size: self.options.max_file_size,
            cache: &self.terraform.siblings,
        };
        match plan_source::root_for(&self.options.terraform_root, display, origin, &loader) {
            PlanRoot::Unused => (Depends::File, None),
            PlanRoot::None => (Depends::Directory, None),
            PlanRoot::NotOne => (Depends::OtherFiles, None),
            PlanRoot::Found(root, base) => {
                let placed = plan_source::place(template.root, &root, &base, &loader, raws);
                (
                    Depends::OtherFiles,
                    (!placed.moved.is_empty()).then_some(placed),
                )
            }
        }
    }

    /// The findings moved out of a plan (`plan_display`, `plan_text`), positioned in their
    /// `.tf` files, each with the plan's place as related information.
    pub(in crate::engine) fn place_moved(
        &self,
        selection: &Selection,
        plan_display: &str,
        plan_text: &str,
        placed: plan_source::Placed,
    ) -> Vec<Finding> {
        let plan_index = LineIndex::new(plan_text);
        let plan_path: Arc<str> = Arc::from(plan_display);
        // Each file's line index, made once, for the findings and the related places in it.
        let indexes: Vec<Option<LineIndex>> = placed
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                placed
                    .moved
                    .iter()
                    .any(|m| m.file == i || m.through.as_ref().is_some_and(|t| t.0 == i))
                    .then(|| LineIndex::new(&f.file.text))
            })
            .collect();
        let mut by_file: Vec<Vec<plan_source::Moved>> =
            placed.files.iter().map(|_| Vec::new()).collect();
        for m in placed.moved {
            let file = m.file;
            by_file[file].push(m);
        }
        let mut findings = Vec::new();
        for ((file, moved), index) in placed.files.iter().zip(by_file).zip(&indexes) {
            let Some(index) = index.as_ref().filter(|_| !moved.is_empty()) else {
                continue;
            };
            let text = file.file.text.as_str();
            let path: Arc<str> = Arc::from(file.display.as_str());
            let named = self.named(&path);
            for m in moved {
                let (mut raw, plan_span) = (m.raw, m.plan_span);
                if policy::meta(raw.policy).is_some_and(|m| !selection.enables(m)) {
                    continue;
                }
                clamp_to_content(text, &mut raw);
                let start = index.position(text, raw.span.start as usize);
                let end = index.position(text, raw.span.end as usize);
                let known = Some((index, start, end));
                let mut finding = self.finding_named(selection, &path, &named, text, known, raw);
                // The `.tf` file's own check may report the same text: the plan's finding
                // keeps a fingerprint of its own (baselines tell the two apart).
                finding.fingerprint = format!(
                    "{:016x}",
                    stable_hash(&[&finding.fingerprint, plan_display])
                );
                finding.legacy_fingerprint = format!(
                    "{:016x}",
                    stable_hash(&[&finding.legacy_fingerprint, plan_display])
                );
                finding.related.push(crate::finding::Related {
                    path: plan_path.clone(),
                    span: plan_span,
                    start: plan_index.position(plan_text, plan_span.start as usize),
                    end: plan_index.position(plan_text, plan_span.end as usize),
                    message: crate::finding::IN_THE_PLAN.to_string(),
                });
                if let Some((at, span, how)) = m.through
                    && let (Some(inner), Some(index)) = (placed.files.get(at), &indexes[at])
                {
                    let text = inner.file.text.as_str();
                    finding.related.push(crate::finding::Related {
                        path: Arc::from(inner.display.as_str()),
                        span,
                        start: index.position(text, span.start as usize),
                        end: index.position(text, span.end as usize),
                        message: how,
                    });
                }
                findings.push(finding);
            }
        }
        findings
    }
}
