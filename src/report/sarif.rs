//! SARIF 2.1.0, for code-scanning services (GitHub, Azure DevOps, GitLab). Every catalogued rule
//! is described in `tool.driver.rules`; each result has a precise region, the offending snippet
//! and a `partialFingerprints` entry that survives line moves. Nothing time-dependent is written,
//! so the output is reproducible.

use std::collections::BinaryHeap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::file_report::FileReport;
use crate::finding::{Finding, Severity};
use crate::policy::{self, PolicyMeta};
use crate::shard::Shard;

pub(crate) const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The fingerprint key: versioned, so a change of fingerprint scheme is a new key. `v2` leaves
/// the message out (a better message keeps the alert); `v1`, the scheme before it, is given
/// too, so that alerts code scanning tracked by it stay the same alerts.
pub(crate) const FINGERPRINT_KEY: &str = "tripline/v2";
const LEGACY_FINGERPRINT_KEY: &str = "tripline/v1";

/// GitHub code scanning's documented limits for one SARIF upload
/// (docs.github.com, "SARIF support for code scanning"): a run with more results is rejected,
/// and at most 20 tags of a rule are kept. tripline writes one run, one location and one
/// logical location per result.
pub(crate) const MAX_RESULTS: usize = 25_000;
const MAX_TAGS: usize = 20;

/// The base every artifact URI is relative to, as GitHub and other consumers expect.
pub(crate) const SRCROOT: &str = "%SRCROOT%";

/// Where SARIF artifact URIs are relative to, and where rules' help pages are.
#[derive(Clone, Debug, Default)]
pub struct SarifOptions {
    /// The repository root (`%SRCROOT%`), absolute; paths under it are written relative to it,
    /// others as `file://` URIs. `None`: paths as reported, without a base.
    pub root: Option<PathBuf>,
    /// The working directory reported paths are relative to (absolute).
    pub cwd: PathBuf,
    /// A rule's help page: `{id}` is replaced by the policy ID (`helpUri`); none when unset.
    pub docs_url: Option<String>,
}

impl SarifOptions {
    /// `root` (`--root`, relative to the working directory), else the nearest directory at or
    /// above the working directory holding `.git`, else the working directory.
    pub fn discover(root: Option<&Path>, docs_url: Option<String>) -> SarifOptions {
        let cwd = std::env::current_dir().unwrap_or_default();
        let root = match root {
            Some(r) => crate::config::normalize(&cwd.join(r)),
            None => cwd
                .ancestors()
                .find(|d| d.join(".git").exists())
                .unwrap_or(&cwd)
                .to_path_buf(),
        };
        SarifOptions {
            root: Some(root),
            cwd,
            docs_url,
        }
    }

    /// The `artifactLocation` of a reported path.
    pub(crate) fn artifact(&self, path: &str) -> Value {
        let Some(root) = &self.root else {
            return json!({"uri": uri(path)});
        };
        let absolute = crate::config::normalize(&self.cwd.join(path));
        match absolute.strip_prefix(root) {
            Ok(relative) => {
                let relative: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                json!({"uri": uri(&relative.join("/")), "uriBaseId": SRCROOT})
            }
            Err(_) => json!({"uri": file_uri(&absolute)}),
        }
    }
}

/// A `file://` URI for an absolute path.
fn file_uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = if text.starts_with('/') {
        text
    } else {
        format!("/{text}")
    };
    format!("file://{}", uri(&text))
}

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

fn rule(m: &PolicyMeta, docs_url: Option<&str>) -> Value {
    let mut fix = m.remediation.to_string();
    if !m.terraform_help.is_empty() {
        fix.push_str(&format!(
            "\n\nIn Terraform: {}",
            super::catalog::lowercase_first(m.terraform_help)
        ));
    }
    let mut help_md = format!("{}\n\n**Fix:** {fix}", m.rationale);
    if !m.example.is_empty() {
        help_md.push_str("\n\n");
        help_md.push_str(m.example);
    }
    let mut tags = vec!["security".to_string(), m.family.as_str().to_string()];
    tags.extend(m.fsbp.iter().map(|c| format!("fsbp:{c}")));
    tags.extend(m.cis.iter().map(|c| format!("cis:{c}")));
    tags.extend(m.control_tower.iter().map(|c| format!("control-tower:{c}")));
    tags.truncate(MAX_TAGS);
    let mut rule = json!({
        "id": m.id,
        "name": m.title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
            .map(|w| { let mut c = w.chars(); c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default() })
            .collect::<String>(),
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": m.rationale},
        "help": {"text": format!("{}\n\nFix: {fix}", m.rationale), "markdown": help_md},
        "defaultConfiguration": {"level": level(m.severity)},
        "properties": {
            "tags": tags,
            "precision": "high",
            "security-severity": security_severity(m.severity),
        },
    });
    if let Some(url) = docs_url {
        rule["helpUri"] = json!(url.replace("{id}", m.id));
    }
    rule
}

/// One finding as a SARIF result.
fn result(f: &Finding, options: &SarifOptions) -> Value {
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
            "artifactLocation": options.artifact(&f.path),
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
        "partialFingerprints": {
            FINGERPRINT_KEY: f.fingerprint,
            LEGACY_FINGERPRINT_KEY: f.legacy_fingerprint,
        },
        "properties": {"severity": f.severity.as_str()},
    });
    if let Some(i) = policy::catalog_index(f.policy) {
        result["ruleIndex"] = json!(i);
    }
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, r)| {
                json!({
                    "id": i,
                    "physicalLocation": {
                        "artifactLocation": options.artifact(&r.path),
                        "region": {
                            "startLine": r.start.line,
                            "startColumn": r.start.column,
                            "endLine": r.end.line,
                            "endColumn": r.end.column.max(r.start.column + u32::from(r.end == r.start)),
                        },
                    },
                    "message": {"text": r.message},
                })
            })
            .collect();
        result["relatedLocations"] = json!(related);
    }
    result
}

/// The SARIF log with `results` as the run's results; a shard's run records which shard it is
/// in the run's property bag.
fn log_with(
    results: Value,
    shard: Option<Shard>,
    options: &SarifOptions,
    cut: Option<&Cut>,
    modules_not_followed: (usize, usize),
) -> Value {
    let mut driver = json!({
        "name": "tripline",
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "version": env!("CARGO_PKG_VERSION"),
        "rules": policy::catalog()
            .into_iter()
            .map(|m| rule(m, options.docs_url.as_deref()))
            .collect::<Vec<_>>(),
    });
    let home = env!("CARGO_PKG_REPOSITORY");
    if !home.is_empty() {
        driver["informationUri"] = json!(home);
    }
    let mut log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    if options.root.is_some() {
        // Where %SRCROOT% is, is the consumer's to say (GitHub: the checkout); the description
        // keeps the log the same on every machine.
        log["runs"][0]["originalUriBaseIds"] = json!({
            SRCROOT: {"description": {"text": "The repository root (the git root, or --root)."}},
        });
    }
    let mut properties = serde_json::Map::new();
    if let Some(shard) = shard {
        properties.insert("shard".into(), json!(shard));
    }
    if let Some(cut) = cut {
        properties.insert("omittedResults".into(), cut.to_json());
    }
    if let Some(modules) = modules_property(modules_not_followed) {
        properties.insert("modulesNotFollowed".into(), modules);
    }
    if !properties.is_empty() {
        log["runs"][0]["properties"] = Value::Object(properties);
    }
    log
}

/// Results left out to stay within [`MAX_RESULTS`], by severity.
#[derive(Debug, Default)]
struct Cut {
    total: usize,
    by_severity: [usize; 4],
}

impl Cut {
    fn to_json(&self) -> Value {
        let mut by = serde_json::Map::new();
        for (s, n) in Severity::ALL.iter().zip(self.by_severity) {
            if n > 0 {
                by.insert(s.as_str().into(), json!(n));
            }
        }
        json!({"count": self.total, "bySeverity": by, "limit": MAX_RESULTS})
    }
}

/// `runs[0].properties.modulesNotFollowed`: how many module calls were not followed (`count`,
/// of which `pastBounds` past a bound of composing modules), and how to follow them; `None`
/// when every call was.
fn modules_property((count, past): (usize, usize)) -> Option<Value> {
    let summary = super::Summary {
        modules_not_followed: count,
        modules_past_bounds: past,
        ..super::Summary::default()
    };
    let message = super::modules_not_followed(&summary)?;
    let mut property = json!({"count": count, "message": message});
    if past > 0 {
        property["pastBounds"] = json!(past);
    }
    Some(property)
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

/// Writes the log at the end: results are kept rendered, at most [`MAX_RESULTS`] of
/// them. Past the limit the lowest-severity results go first (the latest in path order among
/// equals), so what GitHub shows is the most severe; what was left out is counted in the run's
/// properties and said on standard error.
pub(crate) struct SarifReporter {
    shard: Option<Shard>,
    options: SarifOptions,
    /// (severity rank, sequence, result text): the heap's top is the first to leave.
    kept: BinaryHeap<Kept>,
    seen: usize,
    cut: Cut,
}

/// A kept result, ordered so that the greatest is the one to drop first: lowest severity,
/// then latest.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Kept {
    rank: std::cmp::Reverse<Severity>,
    seq: usize,
    text: String,
}

impl SarifReporter {
    pub(crate) fn new(shard: Option<Shard>, options: SarifOptions) -> SarifReporter {
        SarifReporter {
            shard,
            options,
            kept: BinaryHeap::new(),
            seen: 0,
            cut: Cut::default(),
        }
    }
}

impl super::Reporter for SarifReporter {
    fn file(&mut self, _out: &mut dyn Write, report: &FileReport) -> io::Result<()> {
        for f in &report.findings {
            let rank = std::cmp::Reverse(f.severity);
            let seq = self.seen;
            self.seen += 1;
            // When the report is full, a result that would be the first dropped (no more
            // severe than any kept, and later) is counted as cut without being rendered.
            if self.kept.len() >= MAX_RESULTS
                && self
                    .kept
                    .peek()
                    .is_some_and(|top| (rank, seq) > (top.rank, top.seq))
            {
                self.cut.total += 1;
                self.cut.by_severity[f.severity.index()] += 1;
                continue;
            }
            let text = serde_json::to_string_pretty(&result(f, &self.options))
                .map_err(io::Error::other)?;
            self.kept.push(Kept { rank, seq, text });
            if self.kept.len() > MAX_RESULTS
                && let Some(dropped) = self.kept.pop()
            {
                self.cut.total += 1;
                self.cut.by_severity[dropped.rank.0.index()] += 1;
            }
        }
        Ok(())
    }

    fn finish(&mut self, out: &mut dyn Write, summary: &super::Summary) -> io::Result<()> {
        let modules = (summary.modules_not_followed, summary.modules_past_bounds);
        let cut = (self.cut.total > 0).then_some(&self.cut);
        if let Some(cut) = cut {
            let by: Vec<String> = Severity::ALL
                .iter()
                .zip(cut.by_severity)
                .filter(|(_, n)| *n > 0)
                .map(|(s, n)| format!("{n} {s}"))
                .collect();
            eprintln!(
                "warning: {} results, but GitHub code scanning accepts at most {MAX_RESULTS} per run: \
                 the SARIF report keeps the {MAX_RESULTS} most severe and leaves out {} ({}); \
                 the other formats have them all",
                self.seen,
                cut.total,
                by.join(", ")
            );
        }
        let mut kept = std::mem::take(&mut self.kept).into_vec();
        kept.sort_unstable_by_key(|k| k.seq);
        let mut results = super::StreamedArray::new(&log_with(
            super::marker(),
            self.shard,
            &self.options,
            cut,
            modules,
        ));
        for k in &kept {
            results.item_text(out, &k.text)?;
        }
        results.finish(
            out,
            &log_with(super::marker(), self.shard, &self.options, cut, modules),
            &log_with(json!([]), self.shard, &self.options, cut, modules),
        )
    }
}

/// Percent-decode a SARIF artifact URI back to the path it was made from (for ordering).
fn decode(uri: &str) -> String {
    String::from_utf8_lossy(&crate::source::percent_decode(uri)).into_owned()
}

/// Merge order: the file whose check reported the result (for a plan finding moved to its
/// `.tf` source, the plan: its first related location, "in the plan"), then path, position,
/// rule, message.
fn result_key(r: &Value) -> (String, String, u64, u64, String, String) {
    let loc = &r["locations"][0]["physicalLocation"];
    let uri = |loc: &Value| decode(loc["artifactLocation"]["uri"].as_str().unwrap_or(""));
    let first = &r["relatedLocations"][0];
    let checked = match first["physicalLocation"].as_object() {
        Some(_) if first["message"]["text"] == crate::finding::IN_THE_PLAN => {
            uri(&first["physicalLocation"])
        }
        _ => uri(loc),
    };
    (
        checked,
        uri(loc),
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
    let rest: Vec<Value> = iter.collect();
    let mut results: Vec<Value> = base["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for d in &rest {
        if let Some(r) = d["runs"][0]["results"].as_array() {
            results.extend(r.iter().cloned());
        }
    }
    // As in a single run: config files' results after the templates'.
    results.sort_by_cached_key(|r| {
        let key = result_key(r);
        (super::is_config_path(&key.0), key)
    });
    // The shards' own omissions, and what the merged run must leave out to stay in the limit
    // (the least severe, latest first, as in a single run).
    let mut cut = Cut::default();
    let mut modules = (0, 0);
    for d in std::iter::once(&base).chain(rest.iter()) {
        let counted = &d["runs"][0]["properties"]["modulesNotFollowed"];
        modules.0 += counted["count"].as_u64().unwrap_or(0) as usize;
        modules.1 += counted["pastBounds"].as_u64().unwrap_or(0) as usize;
        let omitted = &d["runs"][0]["properties"]["omittedResults"];
        cut.total += omitted["count"].as_u64().unwrap_or(0) as usize;
        for (i, s) in Severity::ALL.iter().enumerate() {
            cut.by_severity[i] += omitted["bySeverity"][s.as_str()].as_u64().unwrap_or(0) as usize;
        }
    }
    if results.len() > MAX_RESULTS {
        let mut order: Vec<usize> = (0..results.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(result_severity(&results[i])), i));
        let mut keep = vec![false; results.len()];
        for &i in &order[..MAX_RESULTS] {
            keep[i] = true;
        }
        for &i in &order[MAX_RESULTS..] {
            let s = result_severity(&results[i]);
            cut.total += 1;
            cut.by_severity[s.index()] += 1;
        }
        let mut i = 0;
        results.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        eprintln!(
            "warning: the merged SARIF report keeps the {MAX_RESULTS} most severe results \
             (GitHub code scanning's limit per run) and leaves out {}",
            cut.total
        );
    }
    base["runs"][0]["results"] = Value::Array(results);
    // The merged report is the whole run, not a shard.
    if let Some(run) = base["runs"][0].as_object_mut() {
        let props = run
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a property bag is an object");
        props.remove("shard");
        props.remove("omittedResults");
        props.remove("modulesNotFollowed");
        if cut.total > 0 {
            props.insert("omittedResults".into(), cut.to_json());
        }
        if let Some(p) = modules_property(modules) {
            props.insert("modulesNotFollowed".into(), p);
        }
        if props.is_empty() {
            run.remove("properties");
        }
    }
    Some(base)
}

/// A result's severity: the `severity` property tripline writes, else by its level.
fn result_severity(r: &Value) -> Severity {
    r["properties"]["severity"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(match r["level"].as_str() {
            Some("error") => Severity::High,
            Some("warning") => Severity::Medium,
            _ => Severity::Low,
        })
}

/// The severities of a SARIF report's findings: each result's (the `severity` property
/// tripline writes; else by its level: error is high, warning medium, else low), and those the
/// report counts as left out to stay within GitHub's limit.
pub fn severities(doc: &Value) -> impl Iterator<Item = Severity> + '_ {
    let runs = doc["runs"].as_array().into_iter().flatten();
    let results = runs
        .clone()
        .filter_map(|run| run["results"].as_array())
        .flatten()
        .map(result_severity);
    let omitted = runs.flat_map(|run| {
        Severity::ALL.iter().flat_map(move |s| {
            let n = run["properties"]["omittedResults"]["bySeverity"][s.as_str()]
                .as_u64()
                .unwrap_or(0);
            std::iter::repeat_n(*s, n as usize)
        })
    });
    results.chain(omitted)
}

pub(crate) fn write_value(out: &mut dyn Write, doc: &Value) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, doc)?;
    writeln!(out)
}
