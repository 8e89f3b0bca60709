//! `--shard K/N`: which files a shard checks, and whether a set of shard reports is one whole
//! run that `tripline merge` may combine.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Shard `index` of `count` (1-based), as given to `--shard K/N` and recorded in the shard's
/// JSON and SARIF reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    /// 1-based index of this shard.
    pub index: u64,
    /// How many shards there are.
    pub count: u64,
}

impl Shard {
    /// Parse `K/N` with 1 <= K <= N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let (k, n) = s.split_once('/').ok_or("expected K/N, e.g. 2/4")?;
        let index: u64 = k.trim().parse().map_err(|_| "K must be a number")?;
        let count: u64 = n.trim().parse().map_err(|_| "N must be a number")?;
        let shard = Shard { index, count };
        shard.validate()?;
        Ok(shard)
    }

    fn validate(self) -> Result<(), String> {
        if self.count == 0 || self.index == 0 || self.index > self.count {
            return Err(format!("shard {self}: need 1 <= K <= N"));
        }
        Ok(())
    }

    /// Whether the file reported as `path` belongs to this shard. The partition depends on the
    /// path alone, so every shard of a pipeline agrees on it without talking to the others.
    pub fn contains(self, path: &str) -> bool {
        crate::finding::stable_hash(&[path]) % self.count == self.index - 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// What `merge` knows of one report: its name (for messages), the tool version that wrote it,
/// and its shard (`None`: an unsharded run, a whole run on its own).
#[derive(Clone, Debug)]
pub(crate) struct ReportOrigin {
    /// The report, for messages.
    pub name: String,
    /// The tripline version that wrote it.
    pub version: String,
    /// The shard it says it is, if any.
    pub shard: Option<Shard>,
}

/// Check that `reports` are the shards of one run, each once: one tool version, one N, every K
/// from 1 to N present exactly once. Any other set would double or lose findings in silence.
pub(crate) fn validate_set(reports: &[ReportOrigin]) -> Result<(), String> {
    let Some(first) = reports.first() else {
        return Err("no reports to merge".into());
    };
    if let Some(other) = reports.iter().find(|r| r.version != first.version) {
        return Err(format!(
            "{} was written by tripline {} and {} by tripline {}: shards of one run come from one \
             version",
            first.name, first.version, other.name, other.version
        ));
    }
    if let Some(whole) = reports.iter().find(|r| r.shard.is_none()) {
        if reports.len() == 1 {
            return Ok(());
        }
        return Err(format!(
            "{} is the report of an unsharded run (no `shard` recorded): merge takes the reports \
             of `check --shard K/N` runs, or one unsharded report",
            whole.name
        ));
    }
    let count = first.shard.expect("checked above").count;
    let mut seen: Vec<Option<&ReportOrigin>> = vec![None; count as usize];
    for r in reports {
        let shard = r.shard.expect("checked above");
        shard.validate().map_err(|e| format!("{}: {e}", r.name))?;
        if shard.count != count {
            return Err(format!(
                "{} is shard {shard} and {} is shard {}: shards of one run share N",
                r.name,
                first.name,
                first.shard.expect("checked above")
            ));
        }
        let slot = &mut seen[(shard.index - 1) as usize];
        if let Some(earlier) = slot {
            return Err(format!(
                "{} and {} are both shard {shard}: each shard is merged once",
                earlier.name, r.name
            ));
        }
        *slot = Some(r);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_none())
        .map(|(i, _)| format!("{}/{count}", i + 1))
        .collect();
    if !missing.is_empty() {
        let plural = if missing.len() == 1 { "" } else { "s" };
        return Err(format!(
            "shard{plural} {} missing: the merged report would lack their findings",
            missing.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(name: &str, version: &str, shard: Option<(u64, u64)>) -> ReportOrigin {
        ReportOrigin {
            name: name.into(),
            version: version.into(),
            shard: shard.map(|(index, count)| Shard { index, count }),
        }
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, count: 4 }));
        assert!(Shard::parse("0/4").is_err());
        assert!(Shard::parse("5/4").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("1").is_err());
    }

    #[test]
    fn every_path_is_in_exactly_one_shard() {
        for path in ["a.yaml", "infra/b.json", "c/d/e.tf.json", ""] {
            let n = 7;
            let holders = (1..=n)
                .filter(|&index| Shard { index, count: n }.contains(path))
                .count();
            assert_eq!(holders, 1, "{path}");
        }
    }

    #[test]
    fn a_complete_set_is_accepted_in_any_order() {
        let set = [
            origin("3", "1.0", Some((3, 3))),
            origin("1", "1.0", Some((1, 3))),
            origin("2", "1.0", Some((2, 3))),
        ];
        assert_eq!(validate_set(&set), Ok(()));
        assert_eq!(validate_set(&[origin("all", "1.0", None)]), Ok(()));
    }

    #[test]
    fn incomplete_or_mixed_sets_are_refused_with_the_reason() {
        let err = |set: &[ReportOrigin]| validate_set(set).unwrap_err();
        assert!(
            err(&[
                origin("a", "1.0", Some((1, 4))),
                origin("b", "1.0", Some((3, 4)))
            ])
            .contains("shards 2/4, 4/4 missing")
        );
        assert!(
            err(&[
                origin("a", "1.0", Some((1, 2))),
                origin("b", "1.0", Some((1, 2)))
            ])
            .contains("a and b are both shard 1/2")
        );
        assert!(
            err(&[
                origin("a", "1.0", Some((1, 2))),
                origin("b", "1.0", Some((2, 3)))
            ])
            .contains("share N")
        );
        assert!(
            err(&[
                origin("a", "1.0", Some((1, 2))),
                origin("b", "1.1", Some((2, 2)))
            ])
            .contains("one version")
        );
        assert!(
            err(&[origin("a", "1.0", None), origin("b", "1.0", None)]).contains("unsharded run")
        );
    }
}
