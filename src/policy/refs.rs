//! Which resources of a template refer to which: built once per template, on first use, so that
//! policies asking "who refers to this bucket?" for every bucket stay linear in the size of the
//! template instead of walking every other resource each time.

use std::cell::OnceCell;
use std::collections::HashMap;

use crate::model::Template;
use crate::policy::rules::support::{LogBuckets, Names, mentions, scan_refs, tf_config_references};
use crate::policy::walk;

/// What each resource's properties refer to.
#[derive(Debug, Default)]
pub struct ReferenceIndex {
    /// CloudFormation: a logical ID named by `Ref`, `Fn::GetAtt` or `${}` in `Fn::Sub` → the
    /// resources (indexes into `Template::resources`) that name it.
    ids: HashMap<String, Vec<usize>>,
    /// Terraform: the names in each interpolation expression (including a plan's
    /// configuration) → the resources using them. `aws_s3_bucket.logs.id` names
    /// `aws_s3_bucket.logs`: every identifier and every `a.b` pair of identifiers is a key.
    expressions: HashMap<String, Vec<usize>>,
    /// Expressions kept whole for names with more than one `.` (rare), matched by scanning.
    whole: Vec<(String, usize)>,
    /// A known literal string, and the name inside an `arn:...:::name` ARN → the resources
    /// whose properties hold it. Built only when a question names a literal (a bucket with a
    /// known `BucketName`): it needs every value evaluated.
    literals: OnceCell<HashMap<String, Vec<usize>>>,
    /// The buckets that receive detective-control logs.
    log_buckets: OnceCell<LogBuckets>,
}

impl ReferenceIndex {
    pub fn build(t: &Template<'_>) -> ReferenceIndex {
        let cfn = t.is_cloudformation();
        let mut index = ReferenceIndex::default();
        for (i, r) in t.resources.iter().enumerate() {
            if let Some(props) = r.properties {
                scan_refs(props, cfn, &mut |s| {
                    if cfn {
                        index.ids.entry(s.to_string()).or_default().push(i);
                    } else {
                        index.expression(s, i);
                    }
                });
            }
            for s in tf_config_references(t, r) {
                index.expression(s, i);
            }
        }
        index
    }

    fn expression(&mut self, s: &str, i: usize) {
        // Identifiers as `mentions` sees them: runs of letters, digits, `_` and `-`.
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let mut tokens: Vec<(usize, usize)> = Vec::new();
        let mut start = None;
        for (at, c) in s.char_indices().chain(std::iter::once((s.len(), ' '))) {
            match (ident(c), start) {
                (true, None) => start = Some(at),
                (false, Some(from)) => {
                    tokens.push((from, at));
                    start = None;
                }
                _ => {}
            }
        }
        for (k, &(from, to)) in tokens.iter().enumerate() {
            self.expressions
                .entry(s[from..to].to_string())
                .or_default()
                .push(i);
            if let Some(&(next_from, next_to)) = tokens.get(k + 1)
                && next_from == to + 1
                && s.as_bytes()[to] == b'.'
            {
                self.expressions
                    .entry(s[from..next_to].to_string())
                    .or_default()
                    .push(i);
            }
        }
        if s.matches('.').count() >= 2 {
            self.whole.push((s.to_string(), i));
        }
    }

    /// The buckets that receive CloudTrail or Config logs.
    pub fn log_buckets(&self, t: &Template<'_>) -> &LogBuckets {
        self.log_buckets.get_or_init(|| LogBuckets::of(t))
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

    /// The resources (indexes into `Template::resources`, ascending) whose properties refer to
    /// what `names` describes.
    pub fn referring(&self, t: &Template<'_>, names: &Names) -> Vec<usize> {
        let mut out = Vec::new();
        for n in &names.ids {
            out.extend(self.ids.get(n).into_iter().flatten());
            if n.matches('.').count() < 2 {
                out.extend(self.expressions.get(n).into_iter().flatten());
            } else {
                out.extend(
                    self.whole
                        .iter()
                        .filter(|(s, _)| mentions(s, n))
                        .map(|(_, i)| *i),
                );
            }
        }
        if !names.literals.is_empty() {
            let literals = self.literals.get_or_init(|| ReferenceIndex::literals(t));
            for n in &names.literals {
                out.extend(literals.get(n).into_iter().flatten());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
