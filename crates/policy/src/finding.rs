//! What a check reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::source::{Excerpt, Position, Span};

/// How bad a finding is. Ordered from least to most severe, so `>=` compares thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; rarely a risk on its own.
    Low,
    /// A gap in the baseline that should be closed.
    Medium,
    /// A control is missing or can be turned off.
    High,
    /// The baseline is broken outright (e.g. anyone may assume the account root).
    Critical,
}

impl Severity {
    /// Every severity, highest first.
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

    /// The severity's position in [`Severity::ALL`] (0 for critical): the index of per-severity
    /// counts.
    pub fn index(self) -> usize {
        match self {
            Severity::Critical => 0,
            Severity::High => 1,
            Severity::Medium => 2,
            Severity::Low => 3,
        }
    }

    /// The severity's name as configs and reports spell it (`low` ... `critical`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Severity, String> {
        match s.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "unknown severity `{s}` (expected critical, high, medium or low)"
            )),
        }
    }
}

/// One replacement in a file's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// The bytes replaced (empty: an insertion).
    pub span: Span,
    /// What replaces them.
    pub text: String,
}

/// A fix written out in the file's syntax: what it does, and the edits that do it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextFix {
    /// For people (`Set `IsMultiRegionTrail` to true`).
    pub title: String,
    /// Non-overlapping edits of the file's text.
    pub edits: Vec<Edit>,
}

/// One finding in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Policy ID (`REG001`) or engine diagnostic ID (`PARSE001`).
    pub policy: &'static str,
    /// The policy's severity, or the one a config gave it.
    pub severity: Severity,
    /// The path as reported: relative to where the user pointed, with `/` separators. Shared
    /// by the findings of one file.
    pub path: std::sync::Arc<str>,
    /// Byte range of the offending text in the file.
    pub span: Span,
    /// Where the span starts (1-based line and column).
    pub start: Position,
    /// Where the span ends.
    pub end: Position,
    /// What is wrong, naming the resource and the value.
    pub message: String,
    /// Logical ID or Terraform address of the resource concerned, when there is one.
    pub resource: Option<String>,
    /// The lines around the span, for reports that show them.
    pub excerpt: Excerpt,
    /// Identifies the finding across edits that move lines and across better wording: the
    /// policy, the file, the resource, the property or statement as written, never the
    /// message (the engine computes it).
    pub fingerprint: String,
    /// The fingerprint as versions before it computed it (the message included): what
    /// baselines they wrote match by.
    pub legacy_fingerprint: String,
    /// A mechanical fix (`check --fix`, the language server's quick fix), when there is one
    /// (boxed: few findings have one, and inline it was 48 of a finding's 272 bytes; a
    /// template's 210,000 findings are held together once positioned).
    pub fix: Option<Box<TextFix>>,
    /// Other places that explain the finding (for a plan finding reported at its `.tf`
    /// source: the plan's value).
    pub related: Vec<Related>,
}

/// The message of the related place a plan's finding moved to its `.tf` source keeps first: the
/// plan's value. Merging orders such a finding with the plan's, whose check reported it.
pub const IN_THE_PLAN: &str = "in the plan";

/// A place related to a finding, in the same file or another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    /// The path as reported.
    pub path: std::sync::Arc<str>,
    /// Byte range in that file.
    pub span: Span,
    /// Where it starts.
    pub start: Position,
    /// Where it ends.
    pub end: Position,
    /// What the place is.
    pub message: String,
}

impl Finding {
    /// Whether the finding is about Terraform: its file is Terraform's, or its resource is a
    /// Terraform address (CloudFormation logical IDs are alphanumeric; addresses are
    /// `TYPE.NAME`, `data.TYPE.NAME` or `module.M…`). A plan's findings are Terraform's too.
    pub fn is_terraform(&self) -> bool {
        const SUFFIXES: &[&str] = &[
            ".tf",
            ".tf.json",
            ".tofu",
            ".tofu.json",
            ".tfvars",
            ".tfvars.json",
        ];
        if SUFFIXES.iter().any(|s| self.path.ends_with(s)) {
            return true;
        }
        let Some(resource) = self.resource.as_deref() else {
            return false;
        };
        let first = resource.split('.').next().unwrap_or("");
        resource.contains('.')
            && (first == "module"
                || first == "data"
                || (first.contains('_')
                    && first
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')))
    }

    /// The order findings are reported in: by position, then policy, then message.
    pub fn sort_key(&self) -> (&str, Position, &str, &str) {
        (&self.path, self.start, self.policy, &self.message)
    }
}

/// FNV-1a, 64 bit: a stable hash for fingerprints (std's hashers may change between releases,
/// and fingerprints are stored in baselines).
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h = StableHasher::new();
    for part in parts {
        h.part(part);
    }
    h.finish()
}

/// [`stable_hash`] fed piece by piece: the same value for the same parts, without building
/// them first.
#[derive(Clone, Copy, Debug)]
pub struct StableHasher(u64);

impl StableHasher {
    /// A hasher with the fixed seed.
    pub fn new() -> StableHasher {
        StableHasher(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    /// One part: its bytes, then a separator no UTF-8 text holds.
    pub fn part(&mut self, part: &str) {
        self.bytes(part.as_bytes());
        self.bytes(&[0xff]);
    }

    /// One part made of `text`'s words joined by single spaces (whitespace-normalized).
    pub fn words(&mut self, text: &str) {
        word_bytes(text, |b| self.bytes(b));
    }

    /// The hash of everything written.
    pub fn finish(self) -> u64 {
        self.0
    }
}

/// The bytes of [`StableHasher::words`]'s part, run by run.
fn word_bytes(text: &str, mut feed: impl FnMut(&[u8])) {
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            feed(b" ");
        }
        feed(word.as_bytes());
    }
    feed(&[0xff]);
}

/// What a [`StableHasher`] would be fed, written down, so that two inputs can be hashed side
/// by side ([`stable_hash_pair`]).
#[derive(Clone, Debug, Default)]
pub struct HashInput(Vec<u8>);

impl HashInput {
    /// An empty input with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> HashInput {
        HashInput(Vec::with_capacity(capacity))
    }

    /// [`StableHasher::part`].
    pub fn part(&mut self, part: &str) {
        self.0.extend_from_slice(part.as_bytes());
        self.0.push(0xff);
    }

    /// [`StableHasher::words`].
    pub fn words(&mut self, text: &str) {
        word_bytes(text, |b| self.0.extend_from_slice(b));
    }
}

/// The [`StableHasher`] values of two inputs, hashed together: each byte's multiply waits for
/// the one before, so two independent inputs interleaved take little longer than one (a file
/// of many findings hashes two fingerprints for each).
pub fn stable_hash_pair(a: &HashInput, b: &HashInput) -> (u64, u64) {
    let (mut ha, mut hb) = (StableHasher::new(), StableHasher::new());
    let both = a.0.len().min(b.0.len());
    for (&x, &y) in a.0[..both].iter().zip(&b.0[..both]) {
        ha.bytes(&[x]);
        hb.bytes(&[y]);
    }
    ha.bytes(&a.0[both..]);
    hb.bytes(&b.0[both..]);
    (ha.finish(), hb.finish())
}

impl Default for StableHasher {
    fn default() -> StableHasher {
        StableHasher::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_stay_small() {
        // A check holds every positioned finding of a file until its report is made: the last
        // step of bench/scale's 51 MB template's peak is its 210,000 findings.
        assert_eq!(std::mem::size_of::<Finding>(), 232);
    }

    /// Fingerprints in baselines depend on these values: hashing piece by piece must give what
    /// hashing the joined, whitespace-normalized parts gives.
    #[test]
    fn hashing_words_equals_hashing_the_normalized_text() {
        let text = "  Type:   AWS::S3::Bucket\n\t  Properties: {}  ";
        let normalized = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut h = StableHasher::new();
        h.part("LOG009");
        h.words(text);
        h.part("");
        assert_eq!(h.finish(), stable_hash(&["LOG009", &normalized, ""]));
        // Pinned: FNV-1a 64 over `a` and the 0xff separator. A change here breaks every baseline.
        assert_eq!(stable_hash(&["a"]), 0x089b_c907_b544_c769);
        assert_ne!(stable_hash(&["ab", "c"]), stable_hash(&["a", "bc"]));
    }

    /// Hashing two written-down inputs side by side gives what hashing each alone gives.
    #[test]
    fn hashing_a_pair_equals_hashing_each() {
        let parts: [&[&str]; 4] = [&[], &["a"], &["LOG009", "x/y.yaml", ""], &["é", "  a  b\n"]];
        for a in parts {
            for b in parts {
                let (mut ia, mut ib) = (HashInput::default(), HashInput::with_capacity(8));
                let (mut ha, mut hb) = (StableHasher::new(), StableHasher::new());
                for p in a {
                    ia.part(p);
                    ha.part(p);
                }
                for p in b {
                    ib.words(p);
                    hb.words(p);
                }
                assert_eq!(stable_hash_pair(&ia, &ib), (ha.finish(), hb.finish()));
                assert_eq!(stable_hash_pair(&ib, &ia), (hb.finish(), ha.finish()));
            }
        }
    }

    fn finding(path: &str, resource: Option<&str>) -> Finding {
        let at = Position { line: 1, column: 1 };
        Finding {
            policy: "LOG009",
            severity: Severity::Low,
            path: path.into(),
            span: Span { start: 0, end: 0 },
            start: at,
            end: at,
            message: String::new(),
            resource: resource.map(str::to_string),
            excerpt: Excerpt::default(),
            fingerprint: String::new(),
            legacy_fingerprint: String::new(),
            fix: None,
            related: Vec::new(),
        }
    }

    /// Help is written for the finding's format: known by the file, or for a plan's JSON by the
    /// resource's address.
    #[test]
    fn terraform_findings_are_known_by_file_or_address() {
        assert!(finding("main.tf", None).is_terraform());
        assert!(finding("stack/main.tofu", None).is_terraform());
        assert!(finding("plan.json", Some("aws_s3_bucket.logs")).is_terraform());
        assert!(finding("plan.json", Some("module.a.aws_s3_bucket.logs[\"x\"]")).is_terraform());
        assert!(finding("plan.json", Some("data.aws_iam_policy_document.p")).is_terraform());
        assert!(!finding("template.yaml", Some("LogsBucket")).is_terraform());
        assert!(!finding("template.json", Some("Stack/Logs.Bucket")).is_terraform());
        assert!(!finding("template.yaml", None).is_terraform());
    }
}
