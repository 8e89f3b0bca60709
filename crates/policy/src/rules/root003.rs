// ROOT003: an organization baseline defines SCPs but none denies actions by the root user.

use crate::iam::{self, DocKind, Effect};
use crate::support::regions::SCP_TYPES;
use crate::{Context, Policy};

pub struct Root003;

impl Policy for Root003 {
    fn id(&self) -> &'static str {
        "ROOT003"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        // Whether *some* SCP of an organization denies root is a question about the whole
        // set; a standalone SCP document is one file of that set, so it is not asked there.
        if t.document_kind().is_some() {
            return;
        }
        let scps: Vec<_> = cx
            .documents()
            .iter()
            .filter(|d| {
                d.kind == DocKind::ServiceControl
                    && SCP_TYPES.contains(&t.resources[d.resource()].rtype)
            })
            .collect();
        let Some(first) = scps.first() else { return };
        let denies_root = scps.iter().any(|d| {
            iam::statements(t, d.root()).iter().any(|st| {
                st.effect == Some(Effect::Deny)
                    && st.condition.is_some_and(|c| {
                        t.maps(c).iter().any(|op| {
                            op.entries().iter().any(|e| {
                                t.maps(&e.value).iter().any(|m| {
                                    m.entries().iter().any(|k| {
                                        k.key.eq_ignore_ascii_case("aws:PrincipalArn")
                                            && t.texts_of_list(&k.value).0.iter().any(|(v, _)| {
                                                iam::action_matches(
                                                    v,
                                                    "arn:aws:iam::123456789012:root",
                                                )
                                            })
                                    })
                                })
                            })
                        })
                    })
            })
        });
        if !denies_root {
            let r = &t.resources[first.resource()];
            cx.report_missing(
                r,
                format!(
                    "this template defines service control policies but none denies actions \
                     by the root user (a Deny conditioned on `aws:PrincipalArn` \
                     `arn:aws:iam::*:root`); `{}` is the first of them",
                    r.id
                ),
            );
        }
    }
}
