//! Small helpers several policies share.

use crate::model::{Resource, Template, UNKNOWN_MARK};
use crate::source::Span;

/// Whether `s` has the shape of an AWS Region code (`us-east-1`, `eu-central-2`,
/// `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`).
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 || parts.len() > 4 {
        return false;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    first.len() == 2
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// The Region fields of every ARN in a string (`arn:aws:sns:eu-west-1:123:topic`), skipping
/// global ARNs (empty region) and unknown parts.
pub fn arn_regions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("arn:") {
        let candidate = &rest[i..];
        let mut fields = candidate.splitn(5, ':');
        let (_arn, partition, _service, region) =
            (fields.next(), fields.next(), fields.next(), fields.next());
        if let (Some(partition), Some(region)) = (partition, region)
            && partition.starts_with("aws")
            && !region.contains(UNKNOWN_MARK)
            && is_region(region)
        {
            out.push(region);
        }
        rest = &rest[i + 4..];
    }
    out
}

/// A boolean property check with a default: returns the span to report when the property is
/// known to be `want`'s opposite in some branch, or absent while the default is wrong.
pub enum BoolState {
    /// Set to the wrong value (in some branch): report at this span.
    Wrong(Span),
    /// Not set, and the default is the wrong value.
    MissingWrong,
    Fine,
}

pub fn bool_property(
    t: &Template<'_>,
    r: &Resource<'_>,
    key: &str,
    want: bool,
    default: bool,
) -> BoolState {
    match r.prop(key) {
        Some(node) => match t.bools(node).into_iter().find(|(b, _)| *b == Some(!want)) {
            Some((_, span)) => BoolState::Wrong(span),
            None => BoolState::Fine,
        },
        None if r.is_unknown(key) => BoolState::Fine,
        None if default != want => BoolState::MissingWrong,
        None => BoolState::Fine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_codes() {
        for r in [
            "us-east-1",
            "eu-central-2",
            "us-gov-west-1",
            "cn-north-1",
            "ap-southeast-4",
            "il-central-1",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in [
            "us-east",
            "useast-1",
            "US-EAST-1",
            "us-east-123",
            "global",
            "eu--1",
            "x-y-1-2-3",
        ] {
            assert!(!is_region(r), "{r}");
        }
    }

    #[test]
    fn arn_region_fields() {
        assert_eq!(
            arn_regions("arn:aws:sns:eu-west-1:123456789012:t"),
            ["eu-west-1"]
        );
        assert_eq!(arn_regions("arn:aws:s3:::bucket/*"), Vec::<&str>::new());
        assert_eq!(
            arn_regions(
                "a arn:aws:lambda:us-west-2:1:function:f and arn:aws-cn:sqs:cn-north-1:1:q"
            ),
            ["us-west-2", "cn-north-1"]
        );
    }
}
