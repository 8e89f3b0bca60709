//! The AWS Regions tripline knows, for validating allow-lists: a typo (`us-esat-1`) in an
//! allow-list would otherwise turn every finding of the Region family on for a Region that
//! does not exist, or an empty entry into nothing at all. A Region newer than this list is
//! accepted with `--allow-unknown-regions` (or `allow_unknown_regions = true`).

/// Regions of every partition (aws, aws-cn, aws-us-gov, the isolated ones, the European
/// sovereign cloud), as of late 2026.
pub(crate) const KNOWN: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-central-1",
    "ca-west-1",
    "cn-north-1",
    "cn-northwest-1",
    "eu-central-1",
    "eu-central-2",
    "eu-isoe-west-1",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eusc-de-east-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-gov-east-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-iso-west-1",
    "us-isob-east-1",
    "us-isof-east-1",
    "us-isof-south-1",
    "us-west-1",
    "us-west-2",
];

/// Check an allow-list: every entry a known Region (or, with `allow_unknown`, at least shaped
/// like one), none empty. The error names the entry and the nearest known Region.
pub fn validate(list: &[String], allow_unknown: bool) -> Result<(), String> {
    if list.is_empty() {
        return Err(
            "the Region allow-list is empty: name at least one Region, or leave it unset \
                    to turn the Region policies off"
                .into(),
        );
    }
    for r in list {
        let r = r.trim();
        if r.is_empty() {
            return Err("the Region allow-list has an empty entry".into());
        }
        if KNOWN.contains(&r) {
            continue;
        }
        let shaped = crate::support::regions::is_region(r);
        if allow_unknown && shaped {
            continue;
        }
        let nearest = KNOWN
            .iter()
            .min_by_key(|k| distance(k, r))
            .filter(|k| distance(k, r) <= 3)
            .map(|k| format!(" (did you mean `{k}`?)"))
            .unwrap_or_default();
        let escape = if shaped {
            "; for a Region newer than tripline, pass --allow-unknown-regions or set \
             allow_unknown_regions = true"
        } else {
            ""
        };
        return Err(format!("unknown Region `{r}`{nearest}{escape}"));
    }
    Ok(())
}

/// Levenshtein distance (short strings only).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn typos_and_empty_entries_are_refused() {
        assert!(validate(&list(&["us-east-1", "eu-west-1"]), false).is_ok());
        let e = validate(&list(&["us-esat-1"]), false).unwrap_err();
        assert!(e.contains("did you mean `us-east-1`"), "{e}");
        assert!(validate(&list(&[""]), false).is_err());
        assert!(validate(&list(&[]), false).is_err());
        // A new Region is accepted when asked, a malformed name never.
        assert!(validate(&list(&["ap-southeast-9"]), false).is_err());
        assert!(validate(&list(&["ap-southeast-9"]), true).is_ok());
        assert!(validate(&list(&["europe"]), true).is_err());
    }
}
