//! Evaluating property values as far as a template alone allows.
//!
//! A value may be plain, or an intrinsic function (`Ref`, `Fn::Sub`, `Fn::If`, ...), or a
//! Terraform interpolation (`"${var.region}"`). Evaluation returns every value the node may take
//! — both branches of an `Fn::If`, a parameter's default — and says `Unknown` where the template
//! cannot tell (an import, a resource attribute, a parameter without default). Policies report
//! only what is known to be wrong, so `Unknown` never becomes a finding by accident.
//!
//! Strings that are only partly known (`arn:aws:s3:::${Bucket}/*`) keep their known text with
//! [`UNKNOWN_MARK`] in place of each unknown part, so that a policy can still read the region
//! field of an ARN whose resource name comes from a parameter.

use std::borrow::Cow;

use super::{Format, Template};
use crate::parse::{Node, Value};
use crate::source::Span;

/// Stands for an unknown part of a partly known string.
pub const UNKNOWN_MARK: char = '\u{FFFC}';

/// Whether `s` holds an [`UNKNOWN_MARK`]. Faster than `str::contains` with the (non-ASCII)
/// mark, which builds a substring searcher on every call: this runs on every value policies
/// look at. The mark's UTF-8 encoding starts with 0xEF, which ASCII text never holds.
pub fn has_unknown(s: &str) -> bool {
    memchr::memchr(0xEF, s.as_bytes()).is_some() && s.contains(UNKNOWN_MARK)
}

/// Deepest chain of references followed (parameter defaults that are themselves intrinsics,
/// nested `Fn::If`); beyond it a value is unknown.
const MAX_EVAL_DEPTH: u8 = 24;

#[derive(Clone, Debug, PartialEq)]
/// A value after intrinsic functions were evaluated as far as the template allows.
pub enum Val<'n> {
    /// A string, possibly with [`UNKNOWN_MARK`]s in it.
    Str(Cow<'n, str>),
    /// A boolean.
    Bool(bool),
    /// A number, as written.
    Number(Cow<'n, str>),
    /// `null`.
    Null,
    /// A list; its items are evaluated on demand.
    Seq(&'n Node<'n>),
    /// A mapping that is not an intrinsic function.
    Map(&'n Node<'n>),
    /// Cannot be known from the template.
    Unknown,
    /// `Ref: AWS::NoValue`: the property is removed.
    NoValue,
}

/// One possible value of a node and the span to report it at.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved<'n> {
    /// The value.
    pub val: Val<'n>,
    /// Where it came from (the literal, or the intrinsic that produced it).
    pub span: Span,
}

impl<'n> Val<'n> {
    /// The text of a scalar, possibly containing [`UNKNOWN_MARK`].
    pub fn text(&self) -> Option<&str> {
        match self {
            Val::Str(s) | Val::Number(s) => Some(s),
            Val::Bool(true) => Some("true"),
            Val::Bool(false) => Some("false"),
            _ => None,
        }
    }

    /// The text of a scalar that is entirely known.
    pub fn known_text(&self) -> Option<&str> {
        self.text().filter(|t| !has_unknown(t))
    }

    /// A boolean, accepting the strings CloudFormation and Terraform accept for one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Val::Bool(b) => Some(*b),
            Val::Str(s) if s.eq_ignore_ascii_case("true") => Some(true),
            Val::Str(s) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }

    /// The value as a number (numbers and numeric strings).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Val::Number(s) | Val::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Whether the value is known (not the result of something evaluation cannot see).
    pub fn is_known(&self) -> bool {
        match self {
            Val::Unknown => false,
            Val::Str(s) => !has_unknown(s),
            _ => true,
        }
    }
}

/// The function name and argument of a long-form intrinsic (`{"Fn::If": [...]}`), including
/// unknown short-form tags kept as `!Name`.
pub fn intrinsic<'n>(node: &'n Node<'n>) -> Option<(&'n str, &'n Node<'n>)> {
    let e = node.single_entry()?;
    let k: &str = &e.key;
    (k == "Ref" || k.starts_with("Fn::") || k.starts_with('!')).then_some((k, &e.value))
}

fn is_no_value(node: &Node<'_>) -> bool {
    matches!(intrinsic(node), Some(("Ref", arg)) if arg.as_str() == Some("AWS::NoValue"))
}

impl<'a> Template<'a> {
    /// Every value `node` may take.
    pub fn eval<'n>(&self, node: &'n Node<'n>) -> Vec<Resolved<'n>>
    where
        'a: 'n,
    {
        let mut out = Vec::with_capacity(1);
        self.eval_into(node, node.span, &mut out, 0);
        out
    }

    /// Every boolean `node` may be, `None` where unknown.
    pub fn bools(&self, node: &Node<'_>) -> Vec<(Option<bool>, Span)> {
        self.eval(node)
            .into_iter()
            .filter(|r| r.val != Val::NoValue)
            .map(|r| (r.val.as_bool(), r.span))
            .collect()
    }

    /// Whether `node` may evaluate to `false` (a known false in some branch).
    pub fn may_be_false(&self, node: &Node<'_>) -> Option<Span> {
        self.bools(node)
            .into_iter()
            .find(|(b, _)| *b == Some(false))
            .map(|(_, s)| s)
    }

    /// The items of a list-valued node, across `Fn::If` branches at the list and item level,
    /// without `AWS::NoValue` items. Terraform blocks written as a single object count as a
    /// one-item list.
    pub fn items<'n>(&self, node: &'n Node<'n>) -> Vec<&'n Node<'n>>
    where
        'a: 'n,
    {
        let mut out = Vec::new();
        self.items_into(node, &mut out, 0);
        out
    }

    fn items_into<'n>(&self, node: &'n Node<'n>, out: &mut Vec<&'n Node<'n>>, depth: u8)
    where
        'a: 'n,
    {
        if depth > MAX_EVAL_DEPTH {
            return;
        }
        match &node.value {
            Value::Seq(items) => {
                for item in items {
                    self.push_item(item, out, depth + 1);
                }
            }
            Value::Map(_) if self.is_terraform() => out.push(node),
            Value::Map(_) => match intrinsic(node) {
                Some(("Fn::If", arg)) => {
                    for branch in arg.items().iter().skip(1).take(2) {
                        self.items_into(branch, out, depth + 1);
                    }
                }
                Some(("Ref", arg)) => {
                    if let Some(default) = arg
                        .as_str()
                        .and_then(|name| self.parameter(name))
                        .and_then(|p| p.default)
                    {
                        self.items_into(default, out, depth + 1);
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }

    fn push_item<'n>(&self, item: &'n Node<'n>, out: &mut Vec<&'n Node<'n>>, depth: u8)
    where
        'a: 'n,
    {
        if self.is_cloudformation() {
            if is_no_value(item) {
                return;
            }
            if let Some(("Fn::If", arg)) = intrinsic(item) {
                for branch in arg.items().iter().skip(1).take(2) {
                    if depth <= MAX_EVAL_DEPTH {
                        self.push_item(branch, out, depth + 1);
                    }
                }
                return;
            }
        }
        out.push(item);
    }

    /// The mappings a node may be (resolving `Fn::If` and parameter defaults).
    pub fn maps<'n>(&self, node: &'n Node<'n>) -> Vec<&'n Node<'n>>
    where
        'a: 'n,
    {
        self.eval(node)
            .into_iter()
            .filter_map(|r| match r.val {
                Val::Map(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    /// The texts a node may be; unknown values are left out.
    pub fn texts<'n>(&self, node: &'n Node<'n>) -> Vec<(Cow<'n, str>, Span)>
    where
        'a: 'n,
    {
        self.eval(node)
            .into_iter()
            .filter_map(|r| match r.val {
                Val::Str(s) | Val::Number(s) => Some((s, r.span)),
                Val::Bool(b) => Some((Cow::Borrowed(if b { "true" } else { "false" }), r.span)),
                _ => None,
            })
            .collect()
    }

    /// Like [`Template::texts`] for list-or-scalar values (IAM `Action: x` or `Action: [x, y]`).
    pub fn texts_of_list<'n>(&self, node: &'n Node<'n>) -> (Vec<(Cow<'n, str>, Span)>, bool)
    where
        'a: 'n,
    {
        let mut texts = Vec::new();
        let mut unknown = false;
        for r in self.eval(node) {
            match r.val {
                Val::Seq(seq) => {
                    for item in self.items(seq) {
                        for ir in self.eval(item) {
                            match ir.val {
                                Val::Str(s) if !has_unknown(&s) => texts.push((s, ir.span)),
                                Val::NoValue => {}
                                _ => unknown = true,
                            }
                        }
                    }
                }
                Val::Str(s) if !has_unknown(&s) => texts.push((s, r.span)),
                Val::NoValue => {}
                _ => unknown = true,
            }
        }
        // Kept with the statements they belong to (see `iam::statements`): no spare room.
        texts.shrink_to_fit();
        (texts, unknown)
    }

    fn eval_into<'n>(&self, node: &'n Node<'n>, site: Span, out: &mut Vec<Resolved<'n>>, depth: u8)
    where
        'a: 'n,
    {
        let push = |out: &mut Vec<Resolved<'n>>, val| out.push(Resolved { val, span: site });
        if depth > MAX_EVAL_DEPTH {
            return push(out, Val::Unknown);
        }
        match &node.value {
            Value::String(s) => match self.format {
                Format::TerraformConfig => self.terraform_string(s, site, out, depth),
                _ => push(out, Val::Str(Cow::Borrowed(s))),
            },
            Value::Number(n) => push(out, Val::Number(Cow::Borrowed(n))),
            Value::Bool(b) => push(out, Val::Bool(*b)),
            Value::Null => push(out, Val::Null),
            Value::Seq(_) => push(out, Val::Seq(node)),
            Value::Map(_) => {
                let Some((func, arg)) = intrinsic(node).filter(|_| self.is_cloudformation()) else {
                    return push(out, Val::Map(node));
                };
                self.eval_intrinsic(func, arg, site, out, depth)
            }
        }
    }

    fn eval_intrinsic<'n>(
        &self,
        func: &str,
        arg: &'n Node<'n>,
        site: Span,
        out: &mut Vec<Resolved<'n>>,
        depth: u8,
    ) where
        'a: 'n,
    {
        let push = |out: &mut Vec<Resolved<'n>>, val| out.push(Resolved { val, span: site });
        match func {
            "Ref" => match arg.as_str() {
                Some("AWS::NoValue") => push(out, Val::NoValue),
                Some(name) => match self.parameter(name).and_then(|p| p.default) {
                    // The site stays the `Ref`: that is where the value enters the resource.
                    Some(default) => self.eval_into(default, site, out, depth + 1),
                    None => push(out, Val::Unknown),
                },
                None => push(out, Val::Unknown),
            },
            "Fn::If" => {
                let branches = arg.items();
                if branches.len() != 3 {
                    return push(out, Val::Unknown);
                }
                for branch in &branches[1..] {
                    self.eval_into(branch, branch.span, out, depth + 1);
                }
            }
            "Fn::Sub" => {
                let (template, vars) = sub_arguments(arg);
                match template {
                    Some(t) => {
                        let s = self.substitute(t, vars, depth);
                        push(out, Val::Str(Cow::Owned(s)))
                    }
                    None => push(out, Val::Unknown),
                }
            }
            "Fn::Join" => {
                let parts = arg.items();
                let delim = parts.first().and_then(Node::as_str);
                let list = parts.get(1).filter(|l| l.is_seq());
                match (delim, list) {
                    (Some(delim), Some(list)) => {
                        let mut s = String::new();
                        for (i, item) in self.items(list).into_iter().enumerate() {
                            if i > 0 {
                                s.push_str(delim);
                            }
                            s.push_str(&self.single_text(item, depth));
                        }
                        push(out, Val::Str(Cow::Owned(s)))
                    }
                    _ => push(out, Val::Unknown),
                }
            }
            "Fn::Select" => {
                let parts = arg.items();
                let index = parts
                    .first()
                    .map(|i| self.single_text(i, depth))
                    .and_then(|t| t.parse::<usize>().ok());
                match (index, parts.get(1)) {
                    (Some(i), Some(list)) if list.is_seq() => match self.items(list).get(i) {
                        Some(item) => self.eval_into(item, site, out, depth + 1),
                        None => push(out, Val::Unknown),
                    },
                    _ => push(out, Val::Unknown),
                }
            }
            "Fn::FindInMap" => {
                let parts = arg.items();
                let keys: Vec<String> = parts
                    .iter()
                    .take(3)
                    .map(|k| self.single_text(k, depth))
                    .collect();
                let found = (keys.len() == 3 && keys.iter().all(|k| !has_unknown(k)))
                    .then(|| {
                        self.root.at(&[
                            "Mappings",
                            keys[0].as_str(),
                            keys[1].as_str(),
                            keys[2].as_str(),
                        ])
                    })
                    .flatten();
                match found {
                    Some(value) => self.eval_into(value, site, out, depth + 1),
                    // The optional fourth element is a DefaultValue (language extensions).
                    None => match parts.get(3).and_then(|d| d.get("DefaultValue")) {
                        Some(d) => self.eval_into(d, site, out, depth + 1),
                        None => push(out, Val::Unknown),
                    },
                }
            }
            "Fn::ToJsonString" => self.eval_into(arg, site, out, depth + 1),
            // Language extensions: the length of a list the template knows.
            "Fn::Length" => {
                let mut lengths = Vec::new();
                for r in self.eval(arg) {
                    lengths.push(match r.val {
                        Val::Seq(list) => Some(self.items(list).len()),
                        // A `CommaDelimitedList` parameter's default.
                        Val::Str(s) if !has_unknown(&s) => Some(s.split(',').count()),
                        _ => None,
                    });
                }
                for n in lengths {
                    match n {
                        Some(n) => push(out, Val::Number(Cow::Owned(n.to_string()))),
                        None => push(out, Val::Unknown),
                    }
                }
            }
            _ => push(out, Val::Unknown),
        }
    }

    /// The single known text of a node, or [`UNKNOWN_MARK`] when it is unknown or ambiguous.
    fn single_text(&self, node: &Node<'_>, depth: u8) -> String {
        let mut out = Vec::new();
        self.eval_into(node, node.span, &mut out, depth + 1);
        match out.as_slice() {
            [one] => match one.val.text() {
                Some(t) => t.to_string(),
                None => UNKNOWN_MARK.to_string(),
            },
            _ => UNKNOWN_MARK.to_string(),
        }
    }

    /// `Fn::Sub` substitution: `${Name}` from the variable map or parameter defaults,
    /// `${Res.Attr}` and pseudo parameters unknown, `${!Literal}` kept literally.
    fn substitute(&self, template: &str, vars: Option<&Node<'_>>, depth: u8) -> String {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(i) = rest.find("${") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[i..]);
                return out;
            };
            let name = after[..close].trim();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.and_then(|v| v.get(name)) {
                out.push_str(&self.single_text(v, depth));
            } else if name.contains('.') {
                out.push(UNKNOWN_MARK);
            } else if let Some(default) = self.parameter(name).and_then(|p| p.default) {
                out.push_str(&self.single_text(default, depth));
            } else {
                out.push(UNKNOWN_MARK);
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

/// The template string and the variable map of an `Fn::Sub` argument (`"text"` or
/// `["text", {vars}]`); `None` for what is not written that way.
pub fn sub_arguments<'n>(arg: &'n Node<'n>) -> (Option<&'n str>, Option<&'n Node<'n>>) {
    match &arg.value {
        Value::String(s) => (Some(s.as_ref()), None),
        Value::Seq(items) if !items.is_empty() => {
            (items[0].as_str(), items.get(1).filter(|v| v.is_map()))
        }
        _ => (None, None),
    }
}

/// One part of a Terraform JSON-syntax string: literal text (escapes `$${`, `%%{` resolved), or
/// the expression inside a `${...}` interpolation or `%{...}` directive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'s> {
    /// Literal text.
    Text(Cow<'s, str>),
    /// The text between the braces, as written.
    Expr(&'s str),
}

/// Split a Terraform string into literal text and expressions. Braces nest; quoted strings
/// inside an expression (`${jsonencode({a = "}"})}`) do not close it; an unterminated
/// expression runs to the end.
pub fn terraform_segments<'s>(s: &'s str) -> Vec<Segment<'s>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut text = String::new();
    let mut literal_from = 0;
    let mut borrowed = true;
    let mut i = 0;
    let flush =
        |out: &mut Vec<Segment<'s>>, text: &mut String, borrowed: bool, from: usize, to: usize| {
            if borrowed {
                if to > from {
                    out.push(Segment::Text(Cow::Borrowed(&s[from..to])));
                }
            } else if !text.is_empty() {
                out.push(Segment::Text(Cow::Owned(std::mem::take(text))));
            }
        };
    while i < bytes.len() {
        let c = bytes[i];
        if (c == b'$' || c == b'%')
            && bytes.get(i + 1) == Some(&c)
            && bytes.get(i + 2) == Some(&b'{')
        {
            // An escape: the literal text can no longer be borrowed whole.
            if borrowed {
                text.push_str(&s[literal_from..i]);
                borrowed = false;
            }
            text.push(c as char);
            text.push('{');
            i += 3;
        } else if (c == b'$' || c == b'%') && bytes.get(i + 1) == Some(&b'{') {
            flush(&mut out, &mut text, borrowed, literal_from, i);
            let (mut level, mut in_string, mut j) = (0usize, false, i + 1);
            let mut end = bytes.len();
            while j < bytes.len() {
                match (in_string, bytes[j]) {
                    (true, b'\\') => j += 1,
                    (true, b'"') => in_string = false,
                    (false, b'"') => in_string = true,
                    (false, b'{') => level += 1,
                    (false, b'}') => {
                        level -= 1;
                        if level == 0 {
                            end = j;
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            out.push(Segment::Expr(&s[(i + 2).min(end)..end]));
            i = end + 1;
            literal_from = i.min(s.len());
            borrowed = true;
        } else {
            let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
            if !borrowed {
                text.push_str(&s[i..i + ch_len]);
            }
            i += ch_len;
        }
    }
    flush(
        &mut out,
        &mut text,
        borrowed,
        literal_from,
        s.len().max(literal_from),
    );
    out
}

impl<'a> Template<'a> {
    /// A Terraform string: `${...}` interpolations of `var.x` (its default, or its tfvars
    /// value) and `local.x` resolve; `cond ? a : b` takes both values as `Fn::If` does; any
    /// other expression is unknown. `$${` and `%%{` are escapes for the literal text.
    fn terraform_string<'n>(&self, s: &'n str, site: Span, out: &mut Vec<Resolved<'n>>, depth: u8)
    where
        'a: 'n,
    {
        if !s.contains("${") && !s.contains("%{") {
            return out.push(Resolved {
                val: Val::Str(Cow::Borrowed(s)),
                span: site,
            });
        }
        let segments = terraform_segments(s);
        if let [Segment::Expr(expr)] = segments.as_slice() {
            return self.terraform_expr(expr, site, out, depth);
        }
        let mut text = String::with_capacity(s.len());
        for seg in segments {
            match seg {
                Segment::Text(t) => text.push_str(&t),
                Segment::Expr(e) => match self.terraform_reference(e) {
                    Some(node) => text.push_str(&self.single_text(node, depth)),
                    None => text.push(UNKNOWN_MARK),
                },
            }
        }
        out.push(Resolved {
            val: Val::Str(Cow::Owned(text)),
            span: site,
        });
    }

    /// The node a `var.x` or `local.x` expression stands for.
    fn terraform_reference(&self, expr: &str) -> Option<&'a Node<'a>> {
        let expr = expr.trim();
        let ident = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        };
        if let Some(name) = expr.strip_prefix("var.").filter(|n| ident(n)) {
            return self.parameter(name).and_then(|p| p.default);
        }
        if let Some(name) = expr.strip_prefix("local.").filter(|n| ident(n)) {
            return self.local(name);
        }
        None
    }

    fn terraform_expr<'n>(&self, expr: &str, site: Span, out: &mut Vec<Resolved<'n>>, depth: u8)
    where
        'a: 'n,
    {
        if depth > MAX_EVAL_DEPTH {
            return out.push(Resolved {
                val: Val::Unknown,
                span: site,
            });
        }
        if let Some(node) = self.terraform_reference(expr) {
            return self.eval_into(node, site, out, depth + 1);
        }
        if expr.contains('?')
            && let Some(branches) = crate::parse::hcl::conditional_branches(expr)
        {
            for branch in branches {
                self.eval_owned(branch, site, out, depth + 1);
            }
            return;
        }
        out.push(Resolved {
            val: Val::Unknown,
            span: site,
        });
    }

    /// A value parsed from an expression's text (a conditional's branch): scalars are kept,
    /// references resolved, anything else is unknown.
    fn eval_owned<'n>(
        &self,
        node: Node<'static>,
        site: Span,
        out: &mut Vec<Resolved<'n>>,
        depth: u8,
    ) where
        'a: 'n,
    {
        let val = match node.value {
            Value::String(s) => {
                let segments = terraform_segments(&s);
                match segments.as_slice() {
                    [Segment::Expr(e)] => return self.terraform_expr(e, site, out, depth),
                    _ if s.contains("${") || s.contains("%{") => Val::Unknown,
                    _ => Val::Str(Cow::Owned(s.into_owned())),
                }
            }
            Value::Bool(b) => Val::Bool(b),
            Value::Number(n) => Val::Number(Cow::Owned(n.into_owned())),
            Value::Null => Val::Null,
            _ => Val::Unknown,
        };
        out.push(Resolved { val, span: site });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};

    fn first_text(t: &Template<'_>, path: &[&str]) -> Vec<String> {
        let node = t.root.at(path).unwrap();
        t.eval(node)
            .into_iter()
            .map(|r| match r.val {
                Val::Unknown => "?".to_string(),
                v => v.text().unwrap_or("<structure>").replace(UNKNOWN_MARK, "?"),
            })
            .collect()
    }

    #[test]
    fn intrinsics_resolve_as_far_as_the_template_allows() {
        let text = r#"
Parameters:
  Region: {Type: String, Default: eu-west-1}
  Name: {Type: String}
Mappings:
  M: {prod: {Region: ap-south-1}}
Resources: {}
Outputs:
  a: !Ref Region
  b: !Ref Name
  c: !Sub "arn:aws:s3:${Region}:${AWS::AccountId}:${Name}"
  d: !If [Cond, us-east-1, !Ref Region]
  e: !Join ["-", [a, !Ref Region, !GetAtt X.Y]]
  f: !FindInMap [M, prod, Region]
  g: !Select [1, [x, y, z]]
  h: !Sub ["${A}-${!Lit}", {A: !Ref Region}]
  i: !ImportValue Shared
  j: !Length [a, b, !Ref Region]
"#;
        let root = yaml::parse(text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::CloudFormation, &root);
        assert_eq!(first_text(&t, &["Outputs", "a"]), ["eu-west-1"]);
        assert_eq!(first_text(&t, &["Outputs", "b"]), ["?"]);
        assert_eq!(
            first_text(&t, &["Outputs", "c"]),
            ["arn:aws:s3:eu-west-1:?:?"]
        );
        assert_eq!(
            first_text(&t, &["Outputs", "d"]),
            ["us-east-1", "eu-west-1"]
        );
        assert_eq!(first_text(&t, &["Outputs", "e"]), ["a-eu-west-1-?"]);
        assert_eq!(first_text(&t, &["Outputs", "f"]), ["ap-south-1"]);
        assert_eq!(first_text(&t, &["Outputs", "g"]), ["y"]);
        assert_eq!(first_text(&t, &["Outputs", "h"]), ["eu-west-1-${Lit}"]);
        assert_eq!(first_text(&t, &["Outputs", "i"]), ["?"]);
        assert_eq!(first_text(&t, &["Outputs", "j"]), ["3"]);
    }

    fn terraform_values(hcl: &str, attr: &str) -> Vec<String> {
        let root = crate::parse::hcl::file(hcl, &Limits::default())
            .unwrap()
            .root;
        let t = Template::new(Format::TerraformConfig, &root);
        first_text(&t, &["resource", "aws_s3_bucket", "b", attr])
    }

    #[test]
    fn terraform_interpolations_resolve_variables_locals_and_conditionals() {
        let hcl = r#"
variable "r" {}
variable "name" { default = "logs" }
variable "on" { default = true }
locals {
  prefix = "corp"
  chained = local.prefix
}
resource "aws_s3_bucket" "b" {
  unknown = var.r
  partly = "arn:aws:s3:::${var.r}/*"
  escaped = "$${literal}"
  defaulted = var.name
  joined = "arn:aws:s3:::${local.prefix}-${var.name}/*"
  local = local.chained
  both = var.on ? "a" : var.name
  nested = (var.on ? "x" : (false ? "y" : "z"))
  call = upper(var.name)
}
"#;
        let v = |attr: &str| terraform_values(hcl, attr);
        assert_eq!(v("unknown"), ["?"]);
        assert_eq!(v("partly"), ["arn:aws:s3:::?/*"]);
        assert_eq!(v("escaped"), ["${literal}"]);
        assert_eq!(v("defaulted"), ["logs"]);
        assert_eq!(v("joined"), ["arn:aws:s3:::corp-logs/*"]);
        assert_eq!(v("local"), ["corp"]);
        assert_eq!(v("both"), ["a", "logs"]);
        assert_eq!(v("nested"), ["x", "y", "z"]);
        assert_eq!(v("call"), ["?"]);
        assert_eq!(
            terraform_segments("a${x}b$${y}${jsonencode({k = \"}\"})}"),
            vec![
                Segment::Text(Cow::Borrowed("a")),
                Segment::Expr("x"),
                Segment::Text(Cow::Owned("b${y}".into())),
                Segment::Expr("jsonencode({k = \"}\"})"),
            ]
        );
        assert_eq!(terraform_segments("${open"), vec![Segment::Expr("open")]);
        // A `$` or `%` that starts nothing is text; text around them may be any UTF-8.
        assert_eq!(
            terraform_segments("é$x%y€${a}ü%%{b}$"),
            vec![
                Segment::Text(Cow::Borrowed("é$x%y€")),
                Segment::Expr("a"),
                Segment::Text(Cow::Owned("ü%{b}$".into())),
            ]
        );
    }
}
