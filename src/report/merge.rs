//! `tripline merge`: the reports of a sharded run, one per shard, made into the report a single
//! run would have written. All JSON or all SARIF; the shards must be of one run (same count,
//! each once, same version).

use std::path::{Path, PathBuf};

use super::{json, sarif};
use crate::finding::Severity;
use crate::shard::{self, ReportOrigin};

/// Why reports cannot be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// A report could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The report.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A report is not what tripline writes.
    #[error("{}: {message}", path.display())]
    Invalid {
        /// The report.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// JSON and SARIF reports mixed, or reports of another tool.
    #[error("merge takes reports of one kind: all `--format json` or all `--format sarif`")]
    Mixed,
    /// The reports are not the shards of one run.
    #[error("{0}")]
    Shards(String),
}

/// A merged report: its bytes, and the severity of each finding in it (for the exit status).
#[derive(Debug)]
pub struct Merged {
    /// The report, in the format of its parts.
    pub bytes: Vec<u8>,
    /// One entry per finding.
    pub severities: Vec<Severity>,
}

/// Read and merge the reports at `paths`.
pub fn merge_files(paths: &[PathBuf]) -> Result<Merged, MergeError> {
    let invalid = |p: &Path, message: String| MergeError::Invalid {
        path: p.to_path_buf(),
        message,
    };
    let mut values = Vec::new();
    for p in paths {
        let text = crate::output::read_text_bounded(p, crate::output::MAX_REPORT_BYTES).map_err(
            |source| MergeError::Read {
                path: p.clone(),
                source,
            },
        )?;
        let v: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| invalid(p, format!("not a JSON report: {e}")))?;
        values.push((p, v));
    }
    let is_sarif = |v: &serde_json::Value| v.get("runs").is_some();
    let mut bytes = Vec::new();
    let severities: Vec<Severity>;
    if values.iter().all(|(_, v)| is_sarif(v)) {
        // One run per tripline report: anything else is not a shard of one run.
        for (p, v) in &values {
            let runs = v["runs"].as_array().map_or(0, Vec::len);
            if runs != 1 || !v["runs"][0].is_object() {
                return Err(invalid(
                    p,
                    format!("a tripline SARIF report has exactly one run, this one has {runs}"),
                ));
            }
        }
        let mut origins = Vec::new();
        for (p, v) in &values {
            origins.push(ReportOrigin {
                name: p.display().to_string(),
                version: v["runs"][0]["tool"]["driver"]["version"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_string(),
                shard: sarif::shard_of(v).map_err(|e| invalid(p, e))?,
            });
        }
        shard::validate_set(&origins).map_err(MergeError::Shards)?;
        let merged = sarif::merge(values.into_iter().map(|(_, v)| v).collect())
            .expect("at least one report");
        severities = sarif::severities(&merged).collect();
        sarif::write_value(&mut bytes, &merged).expect("writing to memory");
    } else if values
        .iter()
        .all(|(_, v)| v.get("schema_version").is_some())
    {
        let mut docs: Vec<json::Document> = Vec::new();
        let mut origins = Vec::new();
        for (p, v) in values {
            let doc: json::Document = serde_json::from_value(v)
                .map_err(|e| invalid(p, format!("not a tripline JSON report: {e}")))?;
            origins.push(ReportOrigin {
                name: p.display().to_string(),
                version: doc.tool.version.clone(),
                shard: doc.shard,
            });
            docs.push(doc);
        }
        shard::validate_set(&origins).map_err(MergeError::Shards)?;
        let merged = json::merge(docs);
        severities = merged.findings.iter().map(|f| f.severity).collect();
        json::write_document(&mut bytes, &merged).expect("writing to memory");
    } else {
        return Err(MergeError::Mixed);
    }
    Ok(Merged { bytes, severities })
}
