//! ROOT010: an identity policy of a role, group or permission set grants full administrator
//! access.

use super::support::{attached_to_users, grants_full_admin};
use crate::policy::iam::DocKind;
use crate::policy::{Context, Policy};

pub struct Root010;

impl Policy for Root010 {
    fn id(&self) -> &'static str {
        "ROOT010"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for (di, doc) in cx.documents().iter().enumerate() {
            let r = &t.resources[doc.resource];
            // Users are ROOT005's, with a stronger message; SCPs allow-lists are not grants.
            if doc.kind != DocKind::Identity || attached_to_users(t, r) {
                continue;
            }
            for st in cx.statements(di) {
                if grants_full_admin(st) {
                    let how = if st.not_action {
                        "all actions but a NotAction list"
                    } else {
                        "all actions"
                    };
                    cx.report(
                        r,
                        st.actions.span,
                        format!(
                            "policy of `{}` grants {how} on all resources (full administrator)",
                            r.id
                        ),
                    );
                }
            }
        }
    }
}
