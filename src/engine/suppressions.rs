//! The suppression stage: a finding is dropped by an inline suppression (a resource's
//! `Metadata`, a YAML or HCL comment) or by a `[[suppress]]` rule of the config. The
//! mechanisms are in [`crate::suppress`]; this stage applies them to one file's findings, and to
//! the plan findings moved to their `.tf` source, and records which config rules were used or
//! could have been (only those can be called stale).

use crate::model::{Format, Template};
use crate::parse::{Node, is_hcl_name, looks_like_json};
use crate::policy::{self, RawFinding};
use crate::source::Span;
use crate::suppress::{self, Inline};
use crate::suppress_foreign::Scanner;

use super::front::plan_source::Placed;
use super::{Engine, File};

/// What the suppression stage removed and which config rules it saw.
pub(super) struct Suppressed {
    /// Findings removed.
    pub count: usize,
    /// `[[suppress]]` patterns that suppressed something: (rule, pattern).
    pub used_rules: Vec<(usize, usize)>,
    /// `[[suppress]]` rules that applied to the file or one of its resources.
    pub seen_rules: Vec<usize>,
}

/// The comment suppressions of a file: HCL comments, YAML comments of a CloudFormation
/// template (JSON has none); with them, the skips of the other scanners a config honours.
pub(super) fn comments(
    file: &File<'_, '_>,
    format: Format,
    root: &Node<'_>,
    honor: &[Scanner],
) -> Vec<Inline> {
    type Blocks = fn(&Node<'_>) -> Vec<(Span, Option<String>)>;
    let comment_start: fn(&str) -> Option<usize>;
    let blocks: Blocks;
    let mut own = if is_hcl_name(file.name) {
        comment_start = suppress::hcl_comment_start;
        blocks = suppress::hcl_blocks;
        suppress::comments(file.text, root)
    } else if matches!(format, Format::CloudFormation | Format::Sam) && !looks_like_json(file.text)
    {
        comment_start = suppress::yaml_comment_start;
        blocks = suppress::yaml_blocks;
        suppress::yaml_comments(file.text, root)
    } else {
        return Vec::new();
    };
    // The blocks (a string per resource) only when another scanner's comments are honoured.
    if !honor.is_empty() {
        let today = crate::suppress_foreign::today();
        own.extend(crate::suppress_foreign::comments(
            file.text,
            &blocks(root),
            comment_start,
            honor,
            today,
        ));
    }
    own
}

impl Engine {
    /// Drop the findings of `file` (its `raws`, and the plan findings `placed` in `.tf` files)
    /// that its inline suppressions (`template`'s metadata and the file's `comments`) or the
    /// config's rules cover. `own_end`: where the file ends in the template's text.
    pub(super) fn suppress(
        &self,
        file: &File<'_, '_>,
        template: &Template<'_>,
        own_end: u32,
        comments: Vec<Inline>,
        raws: &mut Vec<RawFinding>,
        placed: Option<&mut Placed>,
    ) -> Suppressed {
        let enabled = |m: &policy::PolicyMeta| file.selection.enables(m);
        let mut inline = suppress::inline(template);
        if self.honor.contains(&Scanner::Checkov) {
            inline.extend(crate::suppress_foreign::metadata(template));
        }
        inline.extend(comments);
        let mut count = suppress::apply_inline(&inline, raws, &enabled, self.require_reason);
        let before = raws.len();
        let mut used = Vec::new();
        raws.retain(|raw| !self.rules_suppress(&[file.relative], raw, &mut used));
        if let Some(placed) = placed {
            count += self.suppress_moved(file, placed, &mut used);
        }
        used.sort_unstable();
        used.dedup();
        let seen_rules = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| {
                rule.applies(file.relative, None)
                    || template
                        .resources
                        .iter()
                        .filter(|r| r.anchor.start <= own_end)
                        .any(|r| rule.applies(file.relative, Some(&r.id)))
            })
            .map(|(i, _)| i)
            .collect();
        count += before - raws.len();
        Suppressed {
            count,
            used_rules: used,
            seen_rules,
        }
    }

    /// Drop the plan findings moved to `.tf` files that a comment there, or a config rule for
    /// the plan or the `.tf` file, covers; how many.
    fn suppress_moved(
        &self,
        file: &File<'_, '_>,
        placed: &mut Placed,
        used: &mut Vec<(usize, usize)>,
    ) -> usize {
        let before = placed.moved.len();
        let files = &mut placed.files;
        placed.moved.retain(|m| {
            let (policy, local) = (m.raw.policy, m.local_address.as_deref());
            // Comments where the finding is, and for a value set by a module call, also where
            // the module declares the resource.
            let (declared, at) = match &m.through {
                Some((inner, span, _)) => {
                    let inner = &mut files[*inner];
                    let by_declaration =
                        suppress::covers(inner.comments(), policy, local, span.start);
                    (by_declaration, None)
                }
                None => (false, local),
            };
            let file_at = &mut files[m.file];
            let source = self.relative(&file_at.display);
            !(declared
                || suppress::covers(file_at.comments(), policy, at, m.raw.span.start)
                || self.rules_suppress(&[file.relative, &source], &m.raw, used))
        });
        before - placed.moved.len()
    }

    /// Whether a `[[suppress]]` rule of the config covers `raw` in a file seen under any of
    /// `relatives`; records the patterns used.
    fn rules_suppress(
        &self,
        relatives: &[&str],
        raw: &RawFinding,
        used: &mut Vec<(usize, usize)>,
    ) -> bool {
        let mut hit = false;
        for (i, rule) in self.rules.iter().enumerate() {
            if !relatives
                .iter()
                .any(|r| rule.applies(r, raw.resource.as_deref()))
            {
                continue;
            }
            for (j, (pattern, _)) in rule.patterns.iter().enumerate() {
                if suppress::pattern_covers(pattern, raw.policy) {
                    used.push((i, j));
                    hit = true;
                }
            }
        }
        hit
    }
}
