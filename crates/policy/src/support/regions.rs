//! How Regions appear in templates: Region codes, the Region field of ARNs, endpoint host
//! names, Availability Zones, and SCP conditions on `aws:RequestedRegion`.

use crate::model::{Resource, Template};
use crate::source::Span;

/// Whether `s` has the shape of an AWS Region code (`us-east-1`, `eu-central-2`,
/// `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`).
pub(crate) fn is_region(s: &str) -> bool {
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
pub(crate) fn arn_regions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("arn:") {
        let candidate = &rest[i..];
        let mut fields = candidate.splitn(5, ':');
        let (_arn, partition, _service, region) =
            (fields.next(), fields.next(), fields.next(), fields.next());
        if let (Some(partition), Some(region)) = (partition, region)
            && partition.starts_with("aws")
            && !crate::model::has_unknown(region)
            && is_region(region)
        {
            out.push(region);
        }
        rest = &rest[i + 4..];
    }
    out
}

/// The Regions named by endpoint host names in a string (`sqs.eu-west-2.amazonaws.com`,
/// `s3-us-west-1.amazonaws.com`, `*.amazonaws.com.cn`).
pub(crate) fn endpoint_regions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find(".amazonaws.com") {
        let end = from + i;
        let mut start = end;
        while start > 0
            && (bytes[start - 1].is_ascii_alphanumeric() || matches!(bytes[start - 1], b'.' | b'-'))
        {
            start -= 1;
        }
        for label in text[start..end].split('.') {
            let label = label.strip_prefix("s3-").unwrap_or(label);
            if is_region(label) {
                out.push(label);
            }
        }
        from = end + 1;
    }
    out
}

/// The Region of an Availability Zone name (`us-west-2a` → `us-west-2`; local zones such as
/// `us-west-2-lax-1a` too).
pub(crate) fn az_region(az: &str) -> Option<&str> {
    let trimmed = az.trim_end_matches(|c: char| c.is_ascii_lowercase());
    if trimmed.len() == az.len() || trimmed.is_empty() {
        return None;
    }
    if is_region(trimmed) {
        return Some(trimmed);
    }
    // Local and Wavelength zones: region, then more labels.
    let parts: Vec<&str> = trimmed.split('-').collect();
    (3..parts.len()).rev().find_map(|n| {
        let candidate_len: usize = parts[..n].iter().map(|p| p.len()).sum::<usize>() + n - 1;
        let candidate = &trimmed[..candidate_len];
        is_region(candidate).then_some(candidate)
    })
}

/// Service control policy resource types.
pub(crate) const SCP_TYPES: &[&str] = &[
    "AWS::Organizations::Policy",
    "aws_organizations_policy",
    crate::model::DOCUMENT_TYPE,
];

/// A `Deny` statement conditioned on `aws:RequestedRegion`: the condition operator and the
/// Region values it lists (known ones only), with the span of the values.
pub(crate) struct RegionDeny {
    /// The condition operator (`StringNotEquals`, ...).
    pub operator: String,
    /// The Regions it lists (known values only).
    pub regions: Vec<String>,
    /// Span of the values.
    pub span: Span,
}

/// The `aws:RequestedRegion` conditions of a statement.
pub(crate) fn requested_region_conditions(
    t: &Template<'_>,
    st: &crate::iam::Statement<'_>,
) -> Vec<RegionDeny> {
    let mut out = Vec::new();
    let Some(cond) = st.condition else { return out };
    for op in t.maps(cond) {
        for e in op.entries() {
            for m in t.maps(&e.value) {
                for k in m.entries() {
                    if !k.key.eq_ignore_ascii_case("aws:RequestedRegion") {
                        continue;
                    }
                    let (values, _) = t.texts_of_list(&k.value);
                    out.push(RegionDeny {
                        operator: e.key.to_string(),
                        // An empty string is no Region (`allowed_regions = [""]`): it exempts
                        // nothing and names nothing.
                        regions: values
                            .into_iter()
                            .map(|(s, _)| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect(),
                        span: k.value.span,
                    });
                }
            }
        }
    }
    out
}

/// Whether an SCP's name, description or statement IDs say it is about Regions.
pub(crate) fn scp_mentions_regions(t: &Template<'_>, r: &Resource<'_>) -> bool {
    ["Name", "Description", "name", "description"]
        .iter()
        .any(|k| {
            r.prop(k).is_some_and(|n| {
                t.texts(n)
                    .iter()
                    .any(|(s, _)| s.to_ascii_lowercase().contains("region"))
            })
        })
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
    fn endpoints_and_zones() {
        assert_eq!(
            endpoint_regions("https://sqs.eu-west-2.amazonaws.com/1/q"),
            ["eu-west-2"]
        );
        assert_eq!(
            endpoint_regions("s3-us-west-1.amazonaws.com"),
            ["us-west-1"]
        );
        assert_eq!(
            endpoint_regions("x.s3.dualstack.ap-south-1.amazonaws.com"),
            ["ap-south-1"]
        );
        assert_eq!(
            endpoint_regions("sts.amazonaws.com and docs.aws.amazon.com"),
            Vec::<&str>::new()
        );
        assert_eq!(az_region("us-west-2a"), Some("us-west-2"));
        assert_eq!(az_region("us-west-2-lax-1a"), Some("us-west-2"));
        assert_eq!(az_region("use1-az1"), None);
        assert_eq!(az_region("us-west-2"), None);
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
