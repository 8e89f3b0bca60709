// DET007: a CloudTrail or Config bucket that is deleted with its stack or can be destroyed
// with its contents.

use crate::model::lookup::retained;
use crate::support::buckets::{detective_buckets, trails_delivering_to};
use crate::{Context, Policy};

pub struct Det007;

impl Policy for Det007 {
    fn id(&self) -> &'static str {
        "DET007"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        for b in detective_buckets(cx) {
            if t.is_cloudformation() {
                if retained(t, b) == Some(false) {
                    let span = b.deletion_policy().map_or(b.anchor, |p| p.span);
                    cx.report(
                        b,
                        span,
                        format!(
                            "`{}` holds CloudTrail or Config logs but is deleted with its stack \
                             (no `DeletionPolicy: Retain`)",
                            b.id
                        ),
                    );
                    cx.relate_last(trails_delivering_to(t, b));
                }
                continue;
            }
            if let Some(fd) = b.prop("force_destroy")
                && let Some(span) = t
                    .bools(fd)
                    .into_iter()
                    .find(|(v, _)| *v == Some(true))
                    .map(|(_, s)| s)
            {
                cx.report(
                    b,
                    span,
                    format!(
                        "`{}` holds CloudTrail or Config logs but `force_destroy` lets Terraform \
                         delete it with every log in it",
                        b.id
                    ),
                );
                cx.relate_last(trails_delivering_to(t, b));
            }
        }
    }
}
