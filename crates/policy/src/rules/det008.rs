// DET008: the bucket policy of a CloudTrail or Config bucket lets everyone, or a whole account,
// delete logs or weaken the bucket.

use crate::iam::{self, DocKind};
use crate::model::refs::referrers;
use crate::support::buckets::{BUCKET_NAME_KEYS, detective_buckets};
use crate::{Context, Policy};

pub struct Det008;

const DESTRUCTIVE: &[&str] = &[
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutLifecycleConfiguration",
    "s3:PutBucketVersioning",
];

impl Policy for Det008 {
    fn id(&self) -> &'static str {
        "DET008"
    }

    fn check(&self, cx: &mut Context<'_, '_>) {
        let t = cx.template;
        let buckets = detective_buckets(cx);
        if buckets.is_empty() {
            return;
        }
        let policy_types = &[
            "AWS::S3::BucketPolicy",
            "aws_s3_bucket_policy",
            "aws_s3_bucket",
        ];
        // The bucket each policy resource is for, the first of `buckets` that is it or that it
        // names: asked once per bucket, not once per policy and bucket (quadratic in both).
        let mut bucket_of: std::collections::HashMap<usize, &crate::model::Resource<'_>> =
            std::collections::HashMap::new();
        for b in &buckets {
            bucket_of.entry(t.index_of(b)).or_insert(b);
            for r in referrers(t, b, BUCKET_NAME_KEYS, policy_types) {
                bucket_of.entry(t.index_of(r)).or_insert(b);
            }
        }
        for (di, doc) in cx.documents().iter().enumerate() {
            if doc.kind != DocKind::Resource {
                continue;
            }
            let owner = &t.resources[doc.resource()];
            if !policy_types.contains(&owner.rtype) {
                continue;
            }
            let Some(&bucket) = bucket_of.get(&doc.resource()) else {
                continue;
            };
            for st in cx.statements(di) {
                if st.effect != Some(iam::Effect::Allow)
                    || iam::condition::allow_narrows(t, st.condition)
                {
                    continue;
                }
                let broad = st.not_principal
                    || st.principal().is_anyone()
                    || st
                        .principal()
                        .aws_values
                        .iter()
                        .any(|v| iam::principal::root_account(t, v).is_some());
                if !broad {
                    continue;
                }
                let granted: Vec<&str> = DESTRUCTIVE
                    .iter()
                    .copied()
                    .filter(|a| st.allows(a))
                    .collect();
                if let Some(first) = granted.first() {
                    cx.report(
                        owner,
                        st.action_span(first),
                        format!(
                            "bucket policy of `{}` lets everyone or a whole account {} on `{}`, \
                             which holds CloudTrail or Config logs",
                            owner.id,
                            granted.join(", "),
                            bucket.id
                        ),
                    );
                }
            }
        }
    }
}
