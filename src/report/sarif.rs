//! SARIF 2.1.0, for code-scanning services (GitHub, Azure DevOps, GitLab). Every catalogued rule
//! is described in `tool.driver.rules`; each result has a precise region, the offending snippet
//! and a `partialFingerprints` entry that survives line moves. Nothing time-dependent is written,
//! so the output is reproducible.

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::engine::FileReport;
use crate::finding::{Finding, Severity};
use crate::policy::{self, PolicyMeta};
use crate::shard::Shard;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The fingerprint key: versioned, so a change of fingerprint scheme is a new key.
pub(crate) const FINGERPRINT_KEY: &str = "tripline/v1";

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub's `security-severity` scale (0–10).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// A relative URI reference for a path: `/`-separated, unreserved characters kept, the rest
/// percent-encoded.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn rule(m: &PolicyMeta) -> Value {
    let mut help_md = format!("{}\n\n**Fix:** {}", m.rationale, m.remediation);
    if !m.example.is_empty() {
        help_md.push_str("\n\n");
        help_md.push_str(m.example);
    }
    let mut tags = vec!["security".to_string(), m.family.as_str().to_string()];
    tags.extend(m.fsbp.iter().map(|c| format!("fsbp:{c}")));
    tags.extend(m.cis.iter().map(|c| format!("cis:{c}")));
    tags.extend(m.control_tower.iter().map(|c| format!("control-tower:{c}")));
    json!({
        "id": m.id,
        "name": m.title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
            .map(|w| { let mut c = w.chars(); c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default() })
            .collect::<String>(),
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": m.rationale},
        "help": {"text": format!("{}\n\nFix: {}", m.rationale, m.remediation), "markdown": help_md},
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {
            "tags": tags,
            "precision": "high",
            "security-severity": security_severity(m.severity),
        },
    })
}

/// One finding as a SARIF result.
fn result(f: &Finding) -> Value {
    let mut region = json!({
        "startLine": f.start.line,
        "startColumn": f.start.column,
        "endLine": f.end.line,
        "endColumn": f.end.column.max(f.start.column + u32::from(f.end == f.start)),
    });
    let snippet = f.excerpt.lines(f.start.line, f.end.line.max(f.start.line));
    if !snippet.is_empty() {
        region["snippet"] = json!({"text": snippet});
    }
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(&f.path)},
            "region": region,
        },
    });
    if let Some(r) = &f.resource {
        location["logicalLocations"] = json!([{"name": r, "kind": "resource"}]);
    }
    let mut result = json!({
        "ruleId": f.policy,
        "level": level(f.severity),
        "message": {"text": f.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {"severity": f.severity.as_str()},
    });
    if let Some(i) = policy::catalog_index(f.policy) {
        result["ruleIndex"] = json!(i);
    }
    result
}

/// The SARIF log with `results` as the run's results; a shard's run records which shard it is
/// in the run's property bag.
fn log_with(results: Value, shard: Option<Shard>) -> Value {
    let mut log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tripline",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "version": env!("CARGO_PKG_VERSION"),
                "rules": policy::catalog().into_iter().map(rule).collect::<Vec<_>>(),
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    if let Some(shard) = shard {
        log["runs"][0]["properties"] = json!({"shard": shard});
    }
    log
}

/// The shard a SARIF report records (`runs[0].properties.shard`), if any.
pub(crate) fn shard_of(doc: &Value) -> Result<Option<Shard>, String> {
    match doc["runs"][0]
        .get("properties")
        .and_then(|p| p.get("shard"))
    {
        None => Ok(None),
        Some(v) => serde_json::from_value(v.clone())
            .map(Some)
            .map_err(|e| format!("`runs[0].properties.shard` is not a shard: {e}")),
    }
}

/// Streams the log: results as files are checked.
pub(crate) struct SarifReporter {
    shard: Option<Shard>,
    results: super::StreamedArray,
}

impl SarifReporter {
    pub fn new(shard: Option<Shard>) -> SarifReporter {
        SarifReporter {
            shard,
            results: super::StreamedArray::new(&log_with(super::marker(), shard)),
        }
    }
}

impl super::Reporter for SarifReporter {
    fn file(&mut self, out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            self.results.item(out, &result(f))?;
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, _summary: &super::Summary) -> io::Result<()> {
        self.results.finish(
            out,
            &log_with(super::marker(), self.shard),
            &log_with(json!([]), self.shard),
        )
    }
}

/// Percent-decode a SARIF artifact URI back to the path it was made from (for ordering).
fn decode(uri: &str) -> String {
    String::from_utf8_lossy(&crate::source::percent_decode(uri)).into_owned()
}

fn result_key(r: &Value) -> (String, u64, u64, String, String) {
    let loc = &r["locations"][0]["physicalLocation"];
    (
        decode(loc["artifactLocation"]["uri"].as_str().unwrap_or("")),
        loc["region"]["startLine"].as_u64().unwrap_or(0),
        loc["region"]["startColumn"].as_u64().unwrap_or(0),
        r["ruleId"].as_str().unwrap_or("").to_string(),
        r["message"]["text"].as_str().unwrap_or("").to_string(),
    )
}

/// Combine the SARIF reports of shards into the report of one run over all of them.
pub fn merge(docs: Vec<Value>) -> Option<Value> {
    let mut iter = docs.into_iter();
    let mut base = iter.next()?;
    let mut results: Vec<Value> = base["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for d in iter {
        if let Some(r) = d["runs"][0]["results"].as_array() {
            results.extend(r.iter().cloned());
        }
    }
    // As in a single run: config files' results after the templates'.
    results.sort_by_cached_key(|r| {
        let key = result_key(r);
        (super::is_config_path(&key.0), key)
    });
    base["runs"][0]["results"] = Value::Array(results);
    // The merged report is the whole run, not a shard.
    if let Some(run) = base["runs"][0].as_object_mut()
        && let Some(props) = run.get_mut("properties").and_then(Value::as_object_mut)
    {
        props.remove("shard");
        if props.is_empty() {
            run.remove("properties");
        }
    }
    Some(base)
}

/// The severities of a SARIF report's results, read from the `severity` property tripline
/// writes (a result without it counts by its level: error is high, warning medium, else low).
pub fn severities(doc: &Value) -> impl Iterator<Item = Severity> + '_ {
    doc["runs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|run| run["results"].as_array())
        .flatten()
        .map(|r| {
            r["properties"]["severity"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(match r["level"].as_str() {
                    Some("error") => Severity::High,
                    Some("warning") => Severity::Medium,
                    _ => Severity::Low,
                })
        })
}

pub(crate) fn write_value(out: &mut dyn Write, doc: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    writeln!(out)
}
