//! `tripline.toml`: project settings, found by walking up from the checked path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::finding::Severity;

/// File names searched for, in order, in each directory.
pub const CONFIG_FILES: &[&str] = &["tripline.toml", ".tripline.toml"];

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Regions infrastructure may run in. Unset turns the region family off.
    pub allowed_regions: Option<Vec<String>>,
    /// Lowest severity that makes `check` exit 1.
    pub fail_on: Option<Severity>,
    /// Globs of files to check (default: all template-like files).
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs of files and directories to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Policy IDs, ID prefixes or family names to run (default: all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Policy IDs, ID prefixes or family names not to run.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Severity overrides by policy ID.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid config {path}:\n{message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        for id in config.severity.keys() {
            if crate::policy::meta(id).is_none() {
                return Err(ConfigError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("[severity]: unknown policy `{id}`"),
                });
            }
        }
        Ok(config)
    }

    /// The nearest config file at or above `start`.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let start = if start.is_file() || !start.exists() {
            start.parent()?.to_path_buf()
        } else {
            start.to_path_buf()
        };
        let start = std::path::absolute(&start).unwrap_or(start);
        for dir in start.ancestors() {
            for name in CONFIG_FILES {
                let candidate = dir.join(name);
                if candidate.is_file() {
                    return Some(candidate);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_name_the_key_and_file() {
        let err = Config::parse("allowed_region = []\n", Path::new("x/tripline.toml")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("x/tripline.toml"), "{text}");
        assert!(text.contains("allowed_region"), "{text}");
    }

    #[test]
    fn parses_all_keys() {
        let c = Config::parse(
            "allowed_regions = [\"us-east-1\"]\nfail_on = \"high\"\nselect = [\"LOG\"]\n\
             ignore = [\"LOG001\"]\n[severity]\nREG001 = \"critical\"\n",
            Path::new("t.toml"),
        )
        .unwrap();
        assert_eq!(c.allowed_regions.unwrap(), ["us-east-1"]);
        assert_eq!(c.fail_on, Some(Severity::High));
        assert_eq!(c.severity["REG001"], Severity::Critical);
    }
}
