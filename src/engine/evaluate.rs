//! The evaluation stage: run the policies (built-in, then users' Guard rules) on an assembled
//! template, and find the resources that establish control objectives. A panic in one policy
//! costs only that policy's findings.

use std::cell::OnceCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::model::Template;
use crate::policy::coverage::RawEvidence;
use crate::policy::{self, Context, RawFinding};
use crate::source::Span;

use super::front::Evaluated;
use super::{Engine, File};

/// Whether a policy reads IAM statements: one that does declares a resource type holding
/// policy documents (`tests/architecture.rs` checks it of every built-in policy).
pub(super) fn reads_statements(meta: &policy::PolicyMeta) -> bool {
    meta.resource_types
        .iter()
        .any(|t| policy::iam::holds_documents(t))
}

impl Engine {
    /// Add the unit's findings to `raws` (the file's own so far) and return its evidence:
    /// evaluated now, with what the front end `found` assembling it, or taken from where the
    /// unit was `evaluated` with the rest of its directory. The directory ran every policy some
    /// file may enable; this file's selection decides, as if only its policies had run.
    pub(super) fn evaluate_unit(
        &self,
        file: &File<'_, '_>,
        template: &Template<'_>,
        evaluated: Option<Evaluated>,
        found: Vec<RawFinding>,
        raws: &mut Vec<RawFinding>,
    ) -> Vec<RawEvidence> {
        let enabled = |m: &policy::PolicyMeta| file.selection.enables(m);
        if let Some(done) = evaluated {
            raws.extend(
                done.raws
                    .into_iter()
                    .filter(|r| policy::meta(r.policy).is_none_or(enabled)),
            );
            return done.evidence;
        }
        let (now, evidence) = self.check_template(template, &enabled);
        // Moved, not copied, when nothing came before (a huge template's findings were held
        // twice for a moment).
        if raws.is_empty() {
            *raws = now;
        } else {
            raws.extend(now);
        }
        raws.extend(found);
        evidence
    }

    /// Run the policies `enabled` selects on a template; a panic in one costs only its findings.
    pub(super) fn run_policies(
        &self,
        template: &Template<'_>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> Vec<RawFinding> {
        let shared = policy::Shared::default();
        let statements = OnceCell::new();
        let all = |m: &policy::PolicyMeta, _: bool| enabled(m);
        let mut raws =
            self.builtin_policies_after(Vec::new(), template, &all, &shared, &statements);
        self.guard_rules(template, enabled, &mut raws);
        raws
    }

    /// [`Engine::run_policies`], and the resources that establish control objectives or make
    /// them apply, found with the analyses the policies computed. The policies that read IAM
    /// statements run first, with the evidence (which reads them too); the statements are then
    /// dropped before the other policies add their findings: on a template of many roles they
    /// were a sixth of the peak. Findings are sorted later, so the order changes no output; a
    /// policy of the second group that reads statements reads them afresh.
    pub(super) fn check_template(
        &self,
        template: &Template<'_>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> (Vec<RawFinding>, Vec<RawEvidence>) {
        let shared = policy::Shared::default();
        let (mut raws, evidence) = {
            let statements = OnceCell::new();
            let first = |m: &policy::PolicyMeta, reads: bool| reads && enabled(m);
            let raws =
                self.builtin_policies_after(Vec::new(), template, &first, &shared, &statements);
            let cx = Context::new(template, &self.settings, &shared, &statements, "COV001");
            let evidence = catch_unwind(AssertUnwindSafe(|| policy::coverage::evidence(&cx)))
                .unwrap_or_default();
            (raws, evidence)
        };
        let statements = OnceCell::new();
        let rest = |m: &policy::PolicyMeta, reads: bool| !reads && enabled(m);
        raws = self.builtin_policies_after(raws, template, &rest, &shared, &statements);
        self.guard_rules(template, enabled, &mut raws);
        (raws, evidence)
    }

    /// The built-in policies `enabled` selects on a template (by their metadata and whether
    /// they read IAM statements), sharing `shared` and `statements`, their findings after
    /// `earlier`.
    fn builtin_policies_after<'t, 'a>(
        &'t self,
        earlier: Vec<RawFinding>,
        template: &'t Template<'a>,
        enabled: &dyn Fn(&policy::PolicyMeta, bool) -> bool,
        shared: &'t policy::Shared<'a>,
        statements: &'t OnceCell<Vec<Vec<policy::iam::Statement<'t>>>>,
    ) -> Vec<RawFinding> {
        let mut raws = earlier;
        for (p, _, _) in self.policies.iter().filter(|(_, m, r)| enabled(m, *r)) {
            let before = raws.len();
            let mut cx = Context::new(template, &self.settings, shared, statements, p.id())
                .continuing(std::mem::take(&mut raws));
            // A panic in one policy costs that policy's findings for this file only: the
            // other policies' findings are kept and the panic becomes an INTERNAL001.
            let outcome = catch_unwind(AssertUnwindSafe(|| p.check(&mut cx)));
            raws = cx.into_findings();
            match outcome {
                Ok(()) => {}
                Err(payload) => {
                    raws.truncate(before);
                    let what = crate::fault::panic_message(payload.as_ref());
                    raws.push(RawFinding {
                        elsewhere: Default::default(),
                        policy: "INTERNAL001",
                        span: Span::empty(0),
                        message: format!(
                            "internal error in policy {} while checking this file ({what}); \
                             its findings for this file are missing, the other policies' are \
                             complete",
                            p.id()
                        )
                        .into(),
                        resource: None,
                        fix: None,
                        related: Default::default(),
                    });
                }
            }
        }
        raws
    }

    /// Users' Guard rules, after the built-in policies; a panic in Guard costs only its
    /// findings.
    fn guard_rules(
        &self,
        template: &Template<'_>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
        raws: &mut Vec<RawFinding>,
    ) {
        let Some(guard) = &self.guard else {
            return;
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| guard.check(template, enabled)));
        match outcome {
            Ok(found) => raws.extend(found),
            Err(payload) => raws.push(RawFinding {
                elsewhere: Default::default(),
                policy: "INTERNAL001",
                span: Span::empty(0),
                message: format!(
                    "internal error in Guard while checking this file ({}); the Guard rules' \
                     findings for this file are missing, the built-in policies' are complete",
                    crate::fault::panic_message(payload.as_ref())
                )
                .into(),
                resource: None,
                fix: None,
                related: Default::default(),
            }),
        }
    }
}
