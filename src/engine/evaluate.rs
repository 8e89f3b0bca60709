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
        self.policies_with(template, enabled, &shared, &statements)
    }

    /// [`Engine::run_policies`], and the resources that establish control objectives or make
    /// them apply, found with the analyses the policies computed (the IAM documents and their
    /// statements are read once). A panic in finding evidence costs the file's evidence only.
    pub(super) fn check_template(
        &self,
        template: &Template<'_>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
    ) -> (Vec<RawFinding>, Vec<RawEvidence>) {
        let shared = policy::Shared::default();
        let statements = OnceCell::new();
        let raws = self.policies_with(template, enabled, &shared, &statements);
        let cx = Context::new(template, &self.settings, &shared, &statements, "COV001");
        let evidence =
            catch_unwind(AssertUnwindSafe(|| policy::coverage::evidence(&cx))).unwrap_or_default();
        (raws, evidence)
    }

    /// The policies `enabled` selects on a template, sharing `shared` and `statements`.
    fn policies_with<'t, 'a>(
        &'t self,
        template: &'t Template<'a>,
        enabled: &dyn Fn(&policy::PolicyMeta) -> bool,
        shared: &'t policy::Shared<'a>,
        statements: &'t OnceCell<Vec<Vec<policy::iam::Statement<'t>>>>,
    ) -> Vec<RawFinding> {
        let mut raws = Vec::new();
        for (p, _) in self.policies.iter().filter(|(_, m)| enabled(m)) {
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
                        ),
                        resource: None,
                        fix: None,
                        related: Default::default(),
                    });
                }
            }
        }
        if let Some(guard) = &self.guard {
            // Users' Guard rules after the built-in policies; a panic in Guard costs only its findings.
            let outcome = catch_unwind(AssertUnwindSafe(|| guard.check(template, enabled)));
            match outcome {
                Ok(found) => raws.extend(found),
                Err(payload) => raws.push(RawFinding {
                    elsewhere: Default::default(),
                    policy: "INTERNAL001",
                    span: Span::empty(0),
                    message: format!(
                        "internal error in Guard while checking this file ({}); the Guard \
                         rules' findings for this file are missing, the built-in policies' are \
                         complete",
                        crate::fault::panic_message(payload.as_ref())
                    ),
                    resource: None,
                    fix: None,
                    related: Default::default(),
                }),
            }
        }
        raws
    }
}
