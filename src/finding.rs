//! What a check reports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::source::{Excerpt, Position, Span};

/// How bad a finding is. Ordered from least to most severe, so `>=` compares thresholds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ];

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

/// One finding in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Policy ID (`REG001`) or engine diagnostic ID (`PARSE001`).
    pub policy: &'static str,
    pub severity: Severity,
    /// The path as reported: relative to where the user pointed, with `/` separators.
    pub path: String,
    pub span: Span,
    pub start: Position,
    pub end: Position,
    pub message: String,
    /// Logical ID or Terraform address of the resource concerned, when there is one.
    pub resource: Option<String>,
    pub excerpt: Excerpt,
    /// Identifies the finding across edits that move lines (see [`crate::engine`]).
    pub fingerprint: String,
}

impl Finding {
    /// The order findings are reported in: by position, then policy, then message.
    pub fn sort_key(&self) -> (&str, Position, &str, &str) {
        (&self.path, self.start, self.policy, &self.message)
    }
}

/// FNV-1a, 64 bit: a stable hash for fingerprints (std's hashers may change between releases,
/// and fingerprints are stored in baselines).
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}
