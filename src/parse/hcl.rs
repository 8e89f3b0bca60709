//! HCL expressions (through `hcl-edit`, which keeps byte spans) turned into the same [`Node`]
//! tree as YAML and JSON, in the shape Terraform's JSON syntax gives the same value, so that
//! everything that reads `*.tf.json` reads them unchanged:
//!
//! - literals stay literals; strings without interpolation stay strings;
//! - templates (`"arn:aws:iam::${var.account_id}:root"`) become their text, interpolations
//!   included, which evaluation reads as unknown parts;
//! - `jsonencode(x)` becomes `x`, with `x`'s own positions (a policy written as an HCL object
//!   is read as the document it encodes);
//! - anything else (references, calls, conditionals, `for`) becomes `"${expr}"`: unknown.
//!
//! Spans are byte offsets into the text given, which the caller shifts to where that text is.

use std::borrow::Cow;

use hcl_edit::expr::{Expression, ObjectKey};

use super::{Entry, Limits, Node, Value};
use crate::source::Span;

/// An expression that could not be parsed: the message and the byte offset in the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HclError {
    pub message: String,
    pub offset: usize,
}

/// Parse one HCL expression into a tree.
pub fn expression(text: &str, limits: &Limits) -> Result<Node<'static>, HclError> {
    // hcl-edit recurses on nesting: refuse what would go deeper than the other loaders allow
    // before it gets there.
    let depth = text
        .bytes()
        .scan(0i64, |d, b| {
            match b {
                b'{' | b'[' | b'(' => *d += 1,
                b'}' | b']' | b')' => *d -= 1,
                _ => {}
            }
            Some(*d)
        })
        .max()
        .unwrap_or(0);
    if depth > limits.max_depth as i64 {
        return Err(HclError {
            message: format!("expression nested deeper than {}", limits.max_depth),
            offset: 0,
        });
    }
    let expr = hcl_edit::parser::parse_expr(text).map_err(|e| HclError {
        message: e.message().to_string(),
        offset: e.location().offset(),
    })?;
    Ok(convert(text, &expr))
}

fn span_of(expr: &impl hcl_edit::Span, fallback: Span) -> Span {
    expr.span().map_or(fallback, |r| Span::new(r.start, r.end))
}

/// The text of `expr` in `source`.
fn source_of(source: &str, span: Span) -> &str {
    source
        .get(span.start as usize..span.end as usize)
        .unwrap_or_default()
}

fn convert(source: &str, expr: &Expression) -> Node<'static> {
    let whole = Span::new(0, source.len());
    let span = span_of(expr, whole);
    let value = match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => Value::Number(Cow::Owned(n.value().to_string())),
        Expression::String(s) => Value::String(Cow::Owned(s.value().to_string())),
        Expression::Array(items) => Value::Seq(items.iter().map(|e| convert(source, e)).collect()),
        Expression::Object(object) => Value::Map(
            object
                .iter()
                .map(|(key, value)| {
                    let key_span = span_of(key, span);
                    let key_text = match key {
                        ObjectKey::Ident(ident) => ident.value().as_str().to_string(),
                        ObjectKey::Expression(Expression::String(s)) => s.value().to_string(),
                        ObjectKey::Expression(e) => template_text(source, e, key_span),
                    };
                    Entry {
                        key: Cow::Owned(key_text),
                        key_span,
                        value: convert(source, value.expr()),
                    }
                })
                .collect(),
        ),
        Expression::StringTemplate(_) => {
            // The text between the quotes, interpolations kept: `arn:${var.p}:iam::...`.
            let text = source_of(source, span);
            let inner = text
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .unwrap_or(text);
            Value::String(Cow::Owned(unescape_template(inner)))
        }
        Expression::HeredocTemplate(h) => Value::String(Cow::Owned(h.template.to_string())),
        Expression::Parenthesis(p) => return convert(source, p.inner()),
        Expression::FuncCall(call)
            if call.name.namespace.is_empty()
                && call.name.name.value().as_str() == "jsonencode"
                && call.args.iter().count() == 1 =>
        {
            let arg = call.args.iter().next().expect("one argument");
            return convert(source, arg);
        }
        other => Value::String(Cow::Owned(format!(
            "${{{}}}",
            source_of(source, span_of(other, span)).trim()
        ))),
    };
    Node::new(span, value)
}

/// A key or value that is an expression, as Terraform JSON would spell it.
fn template_text(source: &str, expr: &Expression, span: Span) -> String {
    match expr {
        Expression::Variable(v) => v.value().as_str().to_string(),
        _ => format!("${{{}}}", source_of(source, span).trim()),
    }
}

/// HCL string escapes (`\"`, `\\`, `\n`, `\t`, `\r`, `\uXXXX`) resolved; interpolations kept.
fn unescape_template(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Node<'static> {
        expression(text, &Limits::default()).unwrap()
    }

    #[test]
    fn jsonencode_objects_become_the_documents_they_encode() {
        let text = r#"jsonencode({
  Version = "2012-10-17"
  Statement = [{
    Effect    = "Allow"
    Principal = { AWS = "arn:aws:iam::${var.account_id}:root" }
    Action    = ["sts:AssumeRole"]
    Condition = local.condition
  }]
})"#;
        let root = parse(text);
        assert_eq!(
            root.get("Version").and_then(Node::as_str),
            Some("2012-10-17")
        );
        let st = &root.get("Statement").unwrap().items()[0];
        let principal = st.at(&["Principal", "AWS"]).unwrap();
        assert_eq!(
            principal.as_str(),
            Some("arn:aws:iam::${var.account_id}:root")
        );
        // Positions are those of the text inside the call.
        let at = principal.span.start as usize;
        assert!(text[at..].starts_with("\"arn:aws:iam::"), "{}", &text[at..]);
        assert_eq!(
            st.get("Condition").and_then(Node::as_str),
            Some("${local.condition}")
        );
        assert_eq!(st.get("Effect").and_then(Node::as_str), Some("Allow"));
    }

    #[test]
    fn literals_calls_and_errors() {
        assert_eq!(parse("true").value, Value::Bool(true));
        assert_eq!(parse("12").value, Value::Number(Cow::Borrowed("12")));
        assert_eq!(parse("null").value, Value::Null);
        assert_eq!(parse("merge(a, b)").as_str(), Some("${merge(a, b)}"));
        assert_eq!(parse("\"a\\\"b\"").as_str(), Some("a\"b"));
        let err = expression("{ a = ", &Limits::default()).unwrap_err();
        assert!(err.offset <= 6, "{err:?}");
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(expression(&deep, &Limits::default()).is_err());
    }
}
