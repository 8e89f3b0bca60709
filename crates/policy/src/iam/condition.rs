//! Which conditions narrow *who* can use a statement.
//!
//! An Allow to everyone (`Principal: "*"`) or to an account's root is excused by a condition only
//! if the condition constrains the caller: its organization, account, ARN, network origin, the
//! resource or account on whose behalf a service calls, a non-empty external ID, a pinned
//! web-identity subject. Conditions on the request (`aws:SecureTransport`, time, tags, MFA
//! presence, `aws:Referer`, which any client can set) leave the grant open to anyone who meets
//! them, which is anyone. The same table decides whether a conditional Deny to everyone
//! narrows a public Allow: `Deny s3:*` when `aws:SecureTransport` is false does not.
//!
//! The table is [`PRINCIPAL_KEYS`]; `tripline explain ROOT001` prints it.

use crate::model::Template;
use crate::parse::Node;

/// Condition keys that constrain who the caller is, with why (for `explain`).
pub(crate) const PRINCIPAL_KEYS: &[(&str, &str)] = &[
    ("aws:PrincipalOrgID", "the caller's AWS organization"),
    (
        "aws:PrincipalOrgPaths",
        "the caller's organizational unit path",
    ),
    ("aws:PrincipalAccount", "the caller's account"),
    ("aws:PrincipalArn", "the caller's role or user ARN"),
    ("aws:userid", "the caller's unique ID"),
    ("aws:username", "the caller's user name"),
    (
        "aws:SourceAccount",
        "the account of the resource a service acts for",
    ),
    ("aws:SourceArn", "the resource a service acts for"),
    (
        "aws:SourceOrgID",
        "the organization of the resource a service acts for",
    ),
    (
        "aws:SourceOrgPaths",
        "the OU path of the resource a service acts for",
    ),
    (
        "aws:SourceOwner",
        "the account a service acts for (legacy SNS/SES key)",
    ),
    (
        "aws:SourceVpce",
        "the VPC endpoint the request comes through",
    ),
    ("aws:SourceVpc", "the VPC the request comes from"),
    (
        "aws:VpceAccount",
        "the account owning the VPC endpoint the request comes through",
    ),
    (
        "aws:VpceOrgID",
        "the organization owning the VPC endpoint the request comes through",
    ),
    (
        "aws:VpceOrgPaths",
        "the OU path of the VPC endpoint's owner",
    ),
    ("aws:SourceVpcArn", "the VPC the request comes from"),
    ("aws:SourceIp", "the caller's IP range"),
    ("aws:VpcSourceIp", "the caller's IP range within a VPC"),
    (
        "sts:ExternalId",
        "a shared secret the third party must present (non-empty)",
    ),
    ("kms:CallerAccount", "the caller's account (KMS)"),
    (
        "s3:DataAccessPointAccount",
        "the account owning the access point (S3)",
    ),
    (
        "s3:DataAccessPointArn",
        "the access point, which has its own policy (S3)",
    ),
    ("<provider>:sub", "the web-identity subject (OIDC `sub`)"),
];

/// Keys that never narrow who, named in messages so a reader sees why a condition did not help.
pub(crate) const REQUEST_KEYS_NOTE: &str = "aws:SecureTransport, aws:Referer (any client sets it), \
    aws:MultiFactorAuthPresent, aws:CurrentTime, aws:RequestTag/*, aws:PrincipalTag/*, an empty \
    sts:ExternalId";

/// Whether `key` (case-insensitive) constrains the caller.
pub(crate) fn is_principal_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    PRINCIPAL_KEYS
        .iter()
        .any(|(k, _)| !k.starts_with('<') && k.eq_ignore_ascii_case(&lower))
        || is_oidc_subject(&lower)
}

/// `token.actions.githubusercontent.com:sub`, `accounts.google.com:sub`,
/// `cognito-identity.amazonaws.com:sub`, `<issuer>/id/<x>:sub`.
fn is_oidc_subject(lower: &str) -> bool {
    lower
        .rsplit_once(':')
        .is_some_and(|(provider, k)| k == "sub" && provider.contains('.'))
}

/// One `Operator: {key: values}` pair of a condition block.
#[derive(Debug)]
pub struct Clause {
    /// The operator without `ForAnyValue:`/`ForAllValues:` and `IfExists`.
    pub operator: String,
    /// `ForAllValues:` (true of an empty request value, so it never narrows who).
    pub for_all_values: bool,
    /// `...IfExists` (true when the key is absent, so it never narrows who).
    pub if_exists: bool,
    /// The condition key, lowercased (IAM keys are case-insensitive).
    pub key: String,
    /// Known values; `unknown` when some could not be known.
    pub values: Vec<String>,
    /// Whether some values could not be known.
    pub unknown: bool,
}

/// The clauses of a `Condition` block (all of which must hold).
pub fn clauses(t: &Template<'_>, condition: &Node<'_>) -> Vec<Clause> {
    let mut out = Vec::new();
    for block in t.maps(condition) {
        for op in block.entries() {
            let mut operator: &str = &op.key;
            let mut for_all_values = false;
            if let Some(rest) = strip_prefix_ci(operator, "ForAnyValue:") {
                operator = rest;
            } else if let Some(rest) = strip_prefix_ci(operator, "ForAllValues:") {
                operator = rest;
                for_all_values = true;
            }
            let if_exists = operator.len() > 8
                && operator[operator.len() - 8..].eq_ignore_ascii_case("IfExists");
            if if_exists {
                operator = &operator[..operator.len() - 8];
            }
            for m in t.maps(&op.value) {
                for k in m.entries() {
                    let (values, unknown) = t.texts_of_list(&k.value);
                    out.push(Clause {
                        operator: operator.to_string(),
                        for_all_values,
                        if_exists,
                        key: k.key.to_string(),
                        values: values.into_iter().map(|(v, _)| v.into_owned()).collect(),
                        unknown,
                    });
                }
            }
        }
    }
    out
}

fn strip_prefix_ci<'s>(s: &'s str, prefix: &str) -> Option<&'s str> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

const POSITIVE: &[&str] = &[
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "ArnEquals",
    "ArnLike",
    "IpAddress",
];
const NEGATIVE: &[&str] = &[
    "StringNotEquals",
    "StringNotEqualsIgnoreCase",
    "StringNotLike",
    "ArnNotEquals",
    "ArnNotLike",
    "NotIpAddress",
];

fn is_one_of(op: &str, list: &[&str]) -> bool {
    list.iter().any(|o| o.eq_ignore_ascii_case(op))
}

/// Whether the clause's values pin something: not empty, not only `*`, not an open network.
fn values_pin(c: &Clause) -> bool {
    if c.unknown {
        // `!Ref OrgId`: some specific value the template does not show.
        return true;
    }
    let key = c.key.to_ascii_lowercase();
    let open = |v: &str| {
        v.is_empty()
            || v.chars().all(|ch| ch == '*' || ch == '?')
            || v == "0.0.0.0/0"
            || v == "::/0"
            || wildcard_leaves_open(&key, v)
    };
    !c.values.is_empty() && !c.values.iter().all(|v| open(v))
}

/// Whether a pattern's wildcard opens what the key identifies: an account ID or organization
/// ID with a wildcard (`o-*`, `1234*`: IDs are fixed strings), an ARN whose account field has
/// one (`arn:aws:iam::*:role/x`, `arn:aws:iam::*`), which any account's principal matches.
fn wildcard_leaves_open(key: &str, value: &str) -> bool {
    let wild = |s: &str| s.contains(['*', '?']);
    match key {
        "aws:principalaccount"
        | "aws:sourceaccount"
        | "aws:vpceaccount"
        | "aws:sourceowner"
        | "kms:calleraccount"
        | "aws:principalorgid"
        | "aws:sourceorgid"
        | "aws:vpceorgid" => wild(value),
        "aws:principalarn" | "aws:sourcearn" => {
            let fields: Vec<&str> = value.splitn(6, ':').collect();
            // `arn:partition:service:region:account:resource`; fewer fields (`arn:aws:iam::*`)
            // end in a wildcard that covers the account.
            match fields.get(4) {
                Some(account) => wild(account) && !account.is_empty(),
                None => wild(value),
            }
        }
        _ => false,
    }
}

/// Whether a clause of an Allow restricts it to callers the condition names. `...IfExists` and
/// `ForAllValues:` hold when the key is absent, so they narrow nothing.
pub(crate) fn allow_clause_narrows(c: &Clause) -> bool {
    is_principal_key(&c.key)
        && is_one_of(&c.operator, POSITIVE)
        && !c.if_exists
        && !c.for_all_values
        && values_pin(c)
}

/// Whether an Allow's condition narrows who may use it (one narrowing clause suffices: the
/// clauses are ANDed).
pub(crate) fn allow_narrows(t: &Template<'_>, condition: Option<&Node<'_>>) -> bool {
    condition.is_some_and(|c| clauses(t, c).iter().any(allow_clause_narrows))
}

/// Keys that may stand beside the narrowing clauses of a Deny without weakening it in a way
/// that matters (exempting AWS services acting on the caller's behalf).
fn is_service_exemption(key: &str) -> bool {
    [
        "aws:PrincipalIsAWSService",
        "aws:ViaAWSService",
        "aws:CalledVia",
    ]
    .iter()
    .any(|k| k.eq_ignore_ascii_case(key))
}

/// Whether a conditional Deny to everyone denies every caller outside the ones it names. Its
/// clauses are ANDed, so every clause must be a negative constraint on who the caller is
/// (`StringNotEquals aws:SourceVpce ...`); one clause on the request (`aws:SecureTransport`)
/// lets every caller who meets the request condition through.
pub(crate) fn deny_narrows(t: &Template<'_>, condition: Option<&Node<'_>>) -> bool {
    let Some(condition) = condition else {
        return false;
    };
    let cs = clauses(t, condition);
    let narrowing =
        |c: &Clause| is_principal_key(&c.key) && is_one_of(&c.operator, NEGATIVE) && values_pin(c);
    cs.iter().any(narrowing)
        && cs
            .iter()
            .all(|c| narrowing(c) || is_service_exemption(&c.key))
}

/// Why each clause of a condition that narrows nothing does not, for messages:
/// `` `aws:SecureTransport` (a property of the request, not of the caller) ``.
pub(crate) fn explain_clauses(t: &Template<'_>, condition: Option<&Node<'_>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in condition.map(|c| clauses(t, c)).unwrap_or_default() {
        let why = if !is_principal_key(&c.key) {
            "a property of the request, not of the caller"
        } else if c.for_all_values {
            "`ForAllValues:` also holds when the key is absent"
        } else if c.if_exists {
            "`...IfExists` also holds when the key is absent"
        } else if !is_one_of(&c.operator, POSITIVE) {
            "a negative or non-matching operator in an Allow admits everyone else"
        } else {
            "its values admit anyone"
        };
        let text = format!("`{}` ({why})", c.key);
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Format, Template};
    use crate::parse::{Limits, yaml};

    fn with_condition(condition: &str, f: impl FnOnce(&Template<'_>, &Node<'_>)) {
        let text = format!("Resources: {{}}\nCondition: {condition}\n");
        let root = yaml::parse(&text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::CloudFormation, &root);
        f(&t, root.get("Condition").unwrap());
    }

    fn allow_narrows_text(condition: &str) -> bool {
        let mut out = false;
        with_condition(condition, |t, c| out = allow_narrows(t, Some(c)));
        out
    }

    fn deny_narrows_text(condition: &str) -> bool {
        let mut out = false;
        with_condition(condition, |t, c| out = deny_narrows(t, Some(c)));
        out
    }

    #[test]
    fn every_principal_key_narrows_an_allow() {
        for (key, _) in PRINCIPAL_KEYS {
            let key = if key.starts_with('<') {
                "token.actions.githubusercontent.com:sub"
            } else {
                key
            };
            let op = if key.ends_with("SourceIp") {
                "IpAddress"
            } else {
                "StringEquals"
            };
            let value = if key.ends_with("SourceIp") {
                "203.0.113.0/24"
            } else {
                "x-1"
            };
            let condition = format!("{{{op}: {{\"{key}\": \"{value}\"}}}}");
            assert!(allow_narrows_text(&condition), "{key} should narrow");
            // Case does not matter in condition keys.
            let lower = format!("{{{op}: {{\"{}\": \"{value}\"}}}}", key.to_lowercase());
            assert!(
                allow_narrows_text(&lower),
                "{key} (lower case) should narrow"
            );
        }
    }

    #[test]
    fn request_conditions_and_weak_forms_do_not_narrow() {
        for condition in [
            "{Bool: {aws:SecureTransport: 'true'}}",
            "{StringLike: {aws:Referer: 'https://example.com/*'}}",
            "{Bool: {aws:MultiFactorAuthPresent: 'false'}}",
            "{Bool: {aws:MultiFactorAuthPresent: 'true'}}",
            "{DateGreaterThan: {aws:CurrentTime: '2020-01-01T00:00:00Z'}}",
            "{StringEquals: {aws:RequestTag/team: ops}}",
            "{StringEquals: {aws:PrincipalTag/team: ops}}",
            "{StringEquals: {sts:ExternalId: ''}}",
            "{StringEqualsIfExists: {aws:PrincipalOrgID: o-a1b2c3d4e5}}",
            "{StringLike: {aws:PrincipalOrgID: o-*}}",
            "{ArnLike: {aws:PrincipalArn: 'arn:aws:iam::*'}}",
            "{ArnLike: {aws:PrincipalArn: 'arn:aws:iam::*:role/admin'}}",
            "{StringLike: {aws:SourceAccount: '1234*'}}",
            "{ForAllValues:StringEquals: {aws:PrincipalOrgID: o-a1b2c3d4e5}}",
            "{StringNotEquals: {aws:PrincipalOrgID: o-a1b2c3d4e5}}",
            "{StringLike: {aws:PrincipalArn: '*'}}",
            "{IpAddress: {aws:SourceIp: 0.0.0.0/0}}",
            "{StringLike: {token.actions.githubusercontent.com:aud: sts.amazonaws.com}}",
            "{Null: {aws:PrincipalOrgID: 'false'}}",
        ] {
            assert!(
                !allow_narrows_text(condition),
                "{condition} should not narrow"
            );
        }
    }

    #[test]
    fn unknown_values_of_a_principal_key_still_narrow() {
        let text = "Parameters: {Org: {Type: String}}\nResources: {}\nCondition: {StringEquals: {aws:PrincipalOrgID: !Ref Org}}\n";
        let root = yaml::parse(text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::CloudFormation, &root);
        assert!(allow_narrows(&t, root.get("Condition")));
    }

    #[test]
    fn a_deny_narrows_only_when_every_clause_is_about_who() {
        assert!(deny_narrows_text(
            "{StringNotEquals: {aws:SourceVpce: vpce-1a2b3c4d}}"
        ));
        assert!(deny_narrows_text(
            "{StringNotEqualsIfExists: {aws:PrincipalOrgID: o-a1b2c3d4e5}, Bool: {aws:PrincipalIsAWSService: 'false'}}"
        ));
        assert!(deny_narrows_text(
            "{NotIpAddress: {aws:SourceIp: 203.0.113.0/24}}"
        ));
        // Deny s3:* when not TLS: everyone on TLS is still allowed.
        assert!(!deny_narrows_text("{Bool: {aws:SecureTransport: 'false'}}"));
        // A request clause beside the who clause weakens the deny.
        assert!(!deny_narrows_text(
            "{StringNotEquals: {aws:SourceVpce: vpce-1a2b3c4d}, Bool: {aws:SecureTransport: 'false'}}"
        ));
        // The positive form in a Deny denies the named callers, it admits no one.
        assert!(!deny_narrows_text(
            "{StringEquals: {aws:SourceVpce: vpce-1a2b3c4d}}"
        ));
    }

    #[test]
    fn explanations_say_why_a_clause_does_not_narrow() {
        with_condition(
            "{ForAllValues:StringEquals: {aws:PrincipalOrgID: o-1}, Bool: {aws:SecureTransport: 'true'}}",
            |t, c| {
                let why = explain_clauses(t, Some(c));
                assert_eq!(why.len(), 2);
                assert!(why[0].contains("ForAllValues"), "{why:?}");
                assert!(why[1].contains("request"), "{why:?}");
            },
        );
    }
}
