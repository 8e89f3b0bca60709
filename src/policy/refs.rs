//! Which resources of a template refer to which: built once per template, on first use, so that
//! policies asking "who refers to this bucket?" for every bucket stay linear in the size of the
//! template instead of walking every other resource each time.

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::model::Template;
use crate::policy::rules::support::{Names, mentions, scan_refs, tf_config_references};
use crate::policy::walk;

/// What each resource's properties refer to.
#[derive(Debug, Default)]
pub struct ReferenceIndex {
    /// CloudFormation: a logical ID named by `Ref`, `Fn::GetAtt` or `${}` in `Fn::Sub` → the
    /// resources (indexes into `Template::resources`) that name it.
    ids: HashMap<String, Vec<usize>>,
    /// Terraform: each resource's interpolation expressions (matched as whole identifiers, as
    /// `aws_s3_bucket.logs.id` names `aws_s3_bucket.logs`), including a plan's configuration.
    expressions: Vec<Vec<String>>,
    /// A known literal string, and the name inside an `arn:...:::name` ARN → the resources
    /// whose properties hold it. Built only when a question names a literal (a bucket with a
    /// known `BucketName`): it needs every value evaluated.
    literals: OnceCell<HashMap<String, Vec<usize>>>,
}

impl ReferenceIndex {
    pub fn build(t: &Template<'_>) -> ReferenceIndex {
        let cfn = t.is_cloudformation();
        let mut index = ReferenceIndex {
            expressions: vec![Vec::new(); t.resources.len()],
            ..ReferenceIndex::default()
        };
        for (i, r) in t.resources.iter().enumerate() {
            if let Some(props) = r.properties {
                scan_refs(props, cfn, &mut |s| {
                    if cfn {
                        index.ids.entry(s.to_string()).or_default().push(i);
                    } else {
                        index.expressions[i].push(s.to_string());
                    }
                });
            }
            index.expressions[i].extend(tf_config_references(t, r).iter().map(|s| s.to_string()));
        }
        index
    }

    fn literals(t: &Template<'_>) -> HashMap<String, Vec<usize>> {
        let mut literals: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in t.resources.iter().enumerate() {
            let Some(props) = r.properties else { continue };
            walk::scalars(t, props, &mut |_, v| {
                let Some(text) = v.val.known_text() else {
                    return;
                };
                // `arn:aws:s3:::logs` names the bucket `logs`: every suffix after a `:::`.
                if let Some(rest) = text.strip_prefix("arn:") {
                    let mut from = 0;
                    while let Some(at) = rest[from..].find(":::") {
                        let name = &rest[from + at + 3..];
                        literals.entry(name.to_string()).or_default().push(i);
                        from += at + 1;
                    }
                }
                literals.entry(text.to_owned()).or_default().push(i);
            });
        }
        literals
    }

    /// Mark in `out` (indexed like `Template::resources`) the resources whose properties refer
    /// to what `names` describes.
    pub fn referring(&self, t: &Template<'_>, names: &Names, out: &mut [bool]) {
        let mut mark = |list: Option<&Vec<usize>>| {
            for &i in list.into_iter().flatten() {
                out[i] = true;
            }
        };
        for n in &names.ids {
            mark(self.ids.get(n));
        }
        if !names.literals.is_empty() {
            let literals = self.literals.get_or_init(|| ReferenceIndex::literals(t));
            for n in &names.literals {
                mark(literals.get(n));
            }
        }
        for (i, expressions) in self.expressions.iter().enumerate() {
            if !out[i]
                && expressions
                    .iter()
                    .any(|s| names.ids.iter().any(|n| mentions(s, n)))
            {
                out[i] = true;
            }
        }
    }
}
