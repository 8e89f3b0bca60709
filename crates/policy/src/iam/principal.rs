//! Principals as IAM reads them, with unknown parts kept as what they are.
//!
//! `!Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"` is an account's root whatever the
//! partition and account turn out to be: the verdict "this is a root principal" depends only on
//! the known text around them. So principals are not evaluated to plain strings (where an
//! unknown part hides the whole value) but to *pieces*: literal text, and references that say
//! where the unknown part comes from (this account, a parameter, a Terraform expression). A
//! reference blocks a verdict only where the verdict depends on it.

use std::borrow::Cow;

use crate::model::{Template, intrinsic};
use crate::parse::{Node, Value};
use crate::source::Span;

/// Where an unknown part of a principal comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin<'n> {
    /// `AWS::AccountId`, or Terraform's `data.aws_caller_identity.<name>.account_id`, as written.
    ThisAccount(Cow<'n, str>),
    /// `AWS::Partition` (or another pseudo parameter that is not an account).
    Pseudo(&'n str),
    /// A CloudFormation parameter, by name (its default is only a default: the value is
    /// whatever the stack is given).
    Parameter(&'n str),
    /// A Terraform expression (`var.account_id`, `local.x`, `aws_iam_role.a.arn`).
    Expression(Cow<'n, str>),
    /// Anything else the template cannot tell (`Fn::GetAtt`, `Fn::ImportValue`...).
    Other,
}

/// One part of a principal value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'n> {
    /// Text known from the template.
    Text(Cow<'n, str>),
    /// A part evaluation cannot know, and where it comes from.
    Unknown(Origin<'n>),
}

/// One value a principal element may take, in pieces, and where it is written.
#[derive(Clone, Debug)]
pub struct Symbolic<'n> {
    /// The pieces, in order.
    pub pieces: Vec<Piece<'n>>,
    /// Where the principal is written.
    pub span: Span,
}

/// Bound on the alternatives one value may produce (`Fn::If` inside `Fn::If`...).
const MAX_ALTERNATIVES: usize = 16;
const MAX_DEPTH: u8 = 16;

/// The values a principal element (`AWS: x` or `AWS: [x, y]`) may take, item by item.
pub fn values<'a, 'n>(t: &Template<'a>, node: &'n Node<'n>) -> Vec<Symbolic<'n>>
where
    'a: 'n,
{
    let mut out = Vec::new();
    values_into(t, node, &mut out, 0);
    out
}

fn values_into<'a, 'n>(t: &Template<'a>, node: &'n Node<'n>, out: &mut Vec<Symbolic<'n>>, depth: u8)
where
    'a: 'n,
{
    if depth > MAX_DEPTH || out.len() > 4 * MAX_ALTERNATIVES {
        return;
    }
    match &node.value {
        Value::Seq(_) => {
            for item in t.items(node) {
                values_into(t, item, out, depth + 1);
            }
        }
        Value::Map(_) if t.is_cloudformation() => match intrinsic(node) {
            Some(("Fn::If", arg)) if arg.items().len() == 3 => {
                for branch in &arg.items()[1..] {
                    values_into(t, branch, out, depth + 1);
                }
            }
            _ => out.extend(alternatives(t, node, depth)),
        },
        _ => out.extend(alternatives(t, node, depth)),
    }
}

/// Every value `node` may take, in pieces.
fn alternatives<'a, 'n>(t: &Template<'a>, node: &'n Node<'n>, depth: u8) -> Vec<Symbolic<'n>>
where
    'a: 'n,
{
    let span = node.span;
    let one = |pieces| vec![Symbolic { pieces, span }];
    if depth > MAX_DEPTH {
        return one(vec![Piece::Unknown(Origin::Other)]);
    }
    match &node.value {
        Value::String(s) if t.format == crate::model::Format::TerraformConfig => {
            one(terraform_pieces(s))
        }
        Value::String(s) if crate::model::has_unknown(s) => one(marked_pieces(s)),
        Value::String(s) => one(vec![Piece::Text(Cow::Borrowed(s.as_ref()))]),
        Value::Number(n) => one(vec![Piece::Text(Cow::Borrowed(n.as_ref()))]),
        Value::Map(_) if t.is_cloudformation() => match intrinsic(node) {
            Some((func @ ("Ref" | "Fn::If" | "Fn::Sub" | "Fn::Join"), arg)) => {
                intrinsic_pieces(t, func, arg, span, depth)
            }
            // Other functions (FindInMap, Select, GetAtt, ImportValue...): what plain
            // evaluation can tell, else unknown.
            Some(_) => {
                let mut out: Vec<Symbolic<'n>> = t
                    .eval(node)
                    .into_iter()
                    .filter_map(|r| {
                        let text = r.val.known_text()?.to_string();
                        Some(Symbolic {
                            pieces: vec![Piece::Text(Cow::Owned(text))],
                            span: r.span,
                        })
                    })
                    .collect();
                if out.is_empty() {
                    out = one(vec![Piece::Unknown(Origin::Other)]);
                }
                out.truncate(MAX_ALTERNATIVES);
                out
            }
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn intrinsic_pieces<'a, 'n>(
    t: &Template<'a>,
    func: &'n str,
    arg: &'n Node<'n>,
    span: Span,
    depth: u8,
) -> Vec<Symbolic<'n>>
where
    'a: 'n,
{
    let one = |pieces| vec![Symbolic { pieces, span }];
    match func {
        "Ref" => match arg.as_str() {
            Some("AWS::NoValue") => Vec::new(),
            Some(name) => one(vec![Piece::Unknown(reference(t, name))]),
            None => one(vec![Piece::Unknown(Origin::Other)]),
        },
        "Fn::If" => {
            let branches = arg.items();
            if branches.len() != 3 {
                return one(vec![Piece::Unknown(Origin::Other)]);
            }
            let mut out = Vec::new();
            for b in &branches[1..] {
                out.extend(alternatives(t, b, depth + 1));
            }
            out.truncate(MAX_ALTERNATIVES);
            out
        }
        "Fn::Sub" => {
            let (template, vars) = crate::model::sub_arguments(arg);
            match template {
                Some(text) => one(sub_pieces(t, text, vars, depth)),
                None => one(vec![Piece::Unknown(Origin::Other)]),
            }
        }
        "Fn::Join" => {
            let parts = arg.items();
            let delim = parts.first().and_then(Node::as_str);
            let list = parts.get(1).filter(|l| l.is_seq());
            let (Some(delim), Some(list)) = (delim, list) else {
                return one(vec![Piece::Unknown(Origin::Other)]);
            };
            let mut pieces = Vec::new();
            for (i, item) in t.items(list).into_iter().enumerate() {
                if i > 0 && !delim.is_empty() {
                    pieces.push(Piece::Text(Cow::Borrowed(delim)));
                }
                pieces.extend(single(t, item, depth));
            }
            one(pieces)
        }
        _ => one(vec![Piece::Unknown(Origin::Other)]),
    }
}

/// The pieces of a value that must be one value (a `Fn::Join` item, a `Fn::Sub` variable):
/// unknown when it may be several.
fn single<'a, 'n>(t: &Template<'a>, node: &'n Node<'n>, depth: u8) -> Vec<Piece<'n>>
where
    'a: 'n,
{
    let mut alts = alternatives(t, node, depth + 1);
    if alts.len() == 1 {
        alts.pop().map(|s| s.pieces).unwrap_or_default()
    } else {
        vec![Piece::Unknown(Origin::Other)]
    }
}

/// What a `Ref` or `${Name}` names.
fn reference<'a, 'n>(t: &Template<'a>, name: &'n str) -> Origin<'n> {
    match name {
        "AWS::AccountId" => Origin::ThisAccount(Cow::Borrowed("AWS::AccountId")),
        _ if name.starts_with("AWS::") => Origin::Pseudo(name),
        _ if t.parameter(name).is_some() => Origin::Parameter(name),
        _ => Origin::Other,
    }
}

/// `Fn::Sub` text in pieces: `${Name}` from the variable map, parameters and pseudo
/// parameters as references, `${Res.Attr}` unknown, `${!Literal}` literal.
fn sub_pieces<'a, 'n>(
    t: &Template<'a>,
    template: &'n str,
    vars: Option<&'n Node<'n>>,
    depth: u8,
) -> Vec<Piece<'n>>
where
    'a: 'n,
{
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find("${") {
        if i > 0 {
            out.push(Piece::Text(Cow::Borrowed(&rest[..i])));
        }
        let after = &rest[i + 2..];
        let Some(close) = after.find('}') else {
            out.push(Piece::Text(Cow::Borrowed(&rest[i..])));
            return out;
        };
        let name = after[..close].trim();
        if let Some(literal) = name.strip_prefix('!') {
            out.push(Piece::Text(Cow::Owned(format!("${{{literal}}}"))));
        } else if let Some(v) = vars.and_then(|v| v.get(name)) {
            out.extend(single(t, v, depth));
        } else if name.contains('.') {
            out.push(Piece::Unknown(Origin::Other));
        } else {
            out.push(Piece::Unknown(reference(t, name)));
        }
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(Cow::Borrowed(rest)));
    }
    out
}

/// A string with [`crate::model::UNKNOWN_MARK`]s (a value evaluated elsewhere) in pieces.
fn marked_pieces(s: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    for (i, part) in s.split(crate::model::UNKNOWN_MARK).enumerate() {
        if i > 0 {
            out.push(Piece::Unknown(Origin::Other));
        }
        if !part.is_empty() {
            out.push(Piece::Text(Cow::Borrowed(part)));
        }
    }
    out
}

/// A Terraform JSON-syntax string in pieces: `${expr}` is an expression, `$${` an escape.
pub(crate) fn terraform_pieces(s: &str) -> Vec<Piece<'_>> {
    crate::model::terraform_segments(s)
        .into_iter()
        .map(|seg| match seg {
            crate::model::Segment::Text(t) => Piece::Text(t),
            crate::model::Segment::Expr(e) => {
                let e = e
                    .trim()
                    .trim_start_matches('~')
                    .trim_end_matches('~')
                    .trim();
                Piece::Unknown(terraform_origin(e))
            }
        })
        .collect()
}

fn terraform_origin(expr: &str) -> Origin<'static> {
    let parts: Vec<&str> = expr.split('.').collect();
    if parts.len() == 4
        && parts[0] == "data"
        && parts[1] == "aws_caller_identity"
        && parts[3] == "account_id"
    {
        return Origin::ThisAccount(Cow::Owned(expr.to_string()));
    }
    if expr.starts_with("data.aws_partition.") {
        return Origin::Pseudo("AWS::Partition");
    }
    Origin::Expression(Cow::Owned(expr.to_string()))
}

/// Whose root a root principal is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Account<'n> {
    /// A known 12-digit account ID.
    Id(String),
    /// The account the stack or configuration is deployed in.
    This,
    /// The account given by a parameter.
    Parameter(&'n str),
    /// The account given by a Terraform expression.
    Expression(String),
    /// Some account the template cannot name.
    Unknown,
}

impl std::fmt::Display for Account<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Account::Id(id) => write!(f, "account `{id}`"),
            Account::This => f.write_str("this account"),
            Account::Parameter(p) => write!(f, "the account from parameter `{p}`"),
            Account::Expression(e) => write!(f, "the account from `{e}`"),
            Account::Unknown => f.write_str("an account the template does not name"),
        }
    }
}

/// Whether a principal value is an account's root: `arn:<partition>:iam::<account>:root` or a
/// bare account ID (which IAM reads as that account's root), with unknown parts allowed where
/// they do not decide it.
pub(crate) fn root_account<'a, 'n>(t: &Template<'a>, value: &Symbolic<'n>) -> Option<Account<'n>> {
    match value.pieces.as_slice() {
        [Piece::Unknown(origin)] => return whole_reference_account(t, origin),
        [Piece::Text(s)] if is_account_id(s) => return Some(Account::Id(s.to_string())),
        _ => {}
    }
    // Split the value at `:` into ARN fields, each a run of pieces.
    let mut fields: Vec<Vec<Piece<'n>>> = vec![Vec::new()];
    for p in &value.pieces {
        match p {
            Piece::Text(s) => {
                let mut parts = s.split(':');
                if let Some(first) = parts.next()
                    && !first.is_empty()
                {
                    fields
                        .last_mut()
                        .expect("never empty")
                        .push(Piece::Text(Cow::Owned(first.to_string())));
                }
                for part in parts {
                    fields.push(Vec::new());
                    if !part.is_empty() {
                        fields
                            .last_mut()
                            .expect("never empty")
                            .push(Piece::Text(Cow::Owned(part.to_string())));
                    }
                }
            }
            Piece::Unknown(_) => fields.last_mut().expect("never empty").push(p.clone()),
        }
    }
    let text_is = |field: &[Piece<'_>], want: &str| matches!(field, [Piece::Text(s)] if s == want);
    if fields.len() != 6
        || !text_is(&fields[0], "arn")
        || !text_is(&fields[2], "iam")
        || !fields[3].is_empty()
        || !text_is(&fields[5], "root")
    {
        return None;
    }
    // The partition may be anything (`aws`, `aws-cn`, `${AWS::Partition}`).
    match fields[4].as_slice() {
        [Piece::Text(s)] if is_account_id(s) => Some(Account::Id(s.to_string())),
        [Piece::Unknown(origin)] => Some(match origin {
            Origin::ThisAccount(_) => Account::This,
            Origin::Parameter(p) => Account::Parameter(p),
            Origin::Expression(e) => Account::Expression(e.to_string()),
            _ => Account::Unknown,
        }),
        field if field.iter().any(|p| matches!(p, Piece::Unknown(_))) => Some(Account::Unknown),
        _ => None,
    }
}

/// A principal that is a reference and nothing else (`AWS: !Ref TrustedAccount`): an
/// account's root when the reference is an account ID.
fn whole_reference_account<'n>(t: &Template<'_>, origin: &Origin<'n>) -> Option<Account<'n>> {
    match origin {
        Origin::ThisAccount(_) => Some(Account::This),
        Origin::Parameter(name) => {
            parameter_is_account(t, name).then_some(Account::Parameter(name))
        }
        Origin::Expression(e) => {
            let last = e.rsplit('.').next().unwrap_or(e);
            // An organization's member account: `aws_organizations_account.x.id` is its
            // twelve-digit ID, which as a principal is that account's root.
            let member_account = e.starts_with("aws_organizations_account.") && last == "id";
            ((e.starts_with("var.") || e.starts_with("local.")) && names_an_account(last)
                || member_account)
                .then(|| Account::Expression(e.to_string()))
        }
        _ => None,
    }
}

/// Whether a parameter holds account IDs: its default is one, its allowed pattern is twelve
/// digits, or its name says so (`TrustedAccountId`, `AccountIds`) and not that it is an ARN,
/// a role or a name.
fn parameter_is_account(t: &Template<'_>, name: &str) -> bool {
    let Some(p) = t.parameter(name) else {
        return false;
    };
    let default_is_account = p.default.is_some_and(|d| {
        t.texts(d)
            .iter()
            .any(|(s, _)| s.split(',').all(|s| is_account_id(s.trim())))
    });
    let pattern_is_account = p
        .node
        .get("AllowedPattern")
        .and_then(Node::as_str)
        .is_some_and(|pat| pat.contains("{12}"));
    default_is_account || pattern_is_account || names_an_account(name)
}

fn names_an_account(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.contains("account")
        && ![
            "arn",
            "role",
            "user",
            "name",
            "alias",
            "email",
            "region",
            "type",
            "principal",
        ]
        .iter()
        .any(|w| lower.contains(w))
}

/// A twelve-digit AWS account ID.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The value as written, unknown parts shown as `${...}` (for messages).
pub fn display(value: &Symbolic<'_>) -> String {
    let mut out = String::new();
    for p in &value.pieces {
        match p {
            Piece::Text(s) => out.push_str(s),
            Piece::Unknown(Origin::ThisAccount(written)) => {
                out.push_str("${");
                out.push_str(written);
                out.push('}');
            }
            Piece::Unknown(Origin::Pseudo(p)) => {
                out.push_str("${");
                out.push_str(p);
                out.push('}');
            }
            Piece::Unknown(Origin::Parameter(p)) => {
                out.push_str("${");
                out.push_str(p);
                out.push('}');
            }
            Piece::Unknown(Origin::Expression(e)) => {
                out.push_str("${");
                out.push_str(e);
                out.push('}');
            }
            Piece::Unknown(Origin::Other) => out.push('…'),
        }
    }
    out
}

/// Whether the value is known text (no unknown pieces), and that text.
pub fn known(value: &Symbolic<'_>) -> Option<String> {
    let mut out = String::new();
    for p in &value.pieces {
        match p {
            Piece::Text(s) => out.push_str(s),
            Piece::Unknown(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Format;
    use crate::parse::{Limits, json, yaml};

    /// The accounts of the principal values at `Outputs.P` (`None` for a value that is no root).
    fn accounts(format: Format, text: &str, path: &[&str]) -> Vec<Option<String>> {
        let root = match format {
            Format::CloudFormation => yaml::parse(text, &Limits::default()).unwrap().root,
            _ => json::parse(text, &Limits::default()).unwrap().root,
        };
        let t = Template::new(format, &root);
        let node = root.at(path).unwrap();
        values(&t, node)
            .iter()
            .map(|v| root_account(&t, v).map(|a| a.to_string()))
            .collect()
    }

    #[test]
    fn roots_with_unknown_parts() {
        let text = r#"
Parameters:
  Peer: {Type: String}
  PeerArn: {Type: String}
  Pattern: {Type: String, AllowedPattern: '^\d{12}$'}
Resources: {}
Outputs:
  P:
    - !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"
    - !Sub "arn:aws:iam::${Peer}:root"
    - !Join ["", ["arn:", !Ref AWS::Partition, ":iam::", !Ref Peer, ":root"]]
    - !Ref AWS::AccountId
    - 123456789012
    - "123456789012"
    - arn:aws-cn:iam::123456789012:root
    - !Ref PeerArn
    - !Ref Pattern
    - !Sub "arn:aws:iam::${AWS::AccountId}:role/x"
    - !GetAtt Role.Arn
    - !Sub "${PeerArn}:root"
    - "*"
    - !If [C, !Ref AWS::AccountId, arn:aws:iam::123456789012:user/u]
"#;
        let got = accounts(Format::CloudFormation, text, &["Outputs", "P"]);
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            vec![
                s("this account"),
                s("the account from parameter `Peer`"),
                s("the account from parameter `Peer`"),
                s("this account"),
                s("account `123456789012`"),
                s("account `123456789012`"),
                s("account `123456789012`"),
                None,
                s("the account from parameter `Pattern`"),
                None,
                None,
                None,
                None,
                s("this account"),
                None,
            ]
        );
    }

    #[test]
    fn literal_roots_in_every_partition_and_what_is_not_a_root() {
        let text = "Resources: {}\nOutputs:\n  P: [arn:aws:iam::123456789012:root, '123456789012', arn:aws-us-gov:iam::123456789012:root, arn:aws:iam::123456789012:role/x, '*', arn:aws:iam::123456789012:user/a]\n";
        let got = accounts(Format::CloudFormation, text, &["Outputs", "P"]);
        let id = Some("account `123456789012`".to_string());
        assert_eq!(got, vec![id.clone(), id.clone(), id, None, None, None]);
    }

    #[test]
    fn terraform_expressions() {
        let text = r#"{"resource": {}, "locals": {"P": [
            "arn:aws:iam::${var.account_id}:root",
            "${data.aws_caller_identity.current.account_id}",
            "${var.trusted_account_id}",
            "${var.role_arn}",
            "arn:${data.aws_partition.current.partition}:iam::111122223333:root",
            "$${literal}:root"
        ]}}"#;
        let got = accounts(Format::TerraformConfig, text, &["locals", "P"]);
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            vec![
                s("the account from `var.account_id`"),
                s("this account"),
                s("the account from `var.trusted_account_id`"),
                None,
                s("account `111122223333`"),
                None,
            ]
        );
    }

    #[test]
    fn display_shows_unknown_parts_as_written() {
        let text = "Parameters: {Peer: {Type: String, Default: /}}\nResources: {}\nOutputs:\n  P: !Sub \"arn:aws:iam::${Peer}:root\"\n";
        let root = yaml::parse(text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::CloudFormation, &root);
        let v = values(&t, root.at(&["Outputs", "P"]).unwrap());
        assert_eq!(display(&v[0]), "arn:aws:iam::${Peer}:root");
        assert_eq!(known(&v[0]), None);
    }
}
