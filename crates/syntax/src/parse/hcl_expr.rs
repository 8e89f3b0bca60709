//! One HCL expression as the small tree that evaluation reads: the parts of Terraform's
//! expression language whose value can be known before apply (literals, references, indexes,
//! splats, function calls, conditionals, comparisons, templates). `for` expressions and the
//! rest are [`Expr::Opaque`]: their value is unknown.
//!
//! hcl-edit's own tree stays inside the syntax layer: the model evaluates this one.

use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::Element;

use super::{Limits, Node};

/// An HCL expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// `null`, a boolean, a number or a string without interpolation, as a tree node (its
    /// spans are offsets into the expression's text).
    Literal(Node<'static>),
    /// A string with interpolations: literal text and expressions, in order.
    Template(Vec<Part>),
    /// `[a, b]`.
    Tuple(Vec<Sub>),
    /// `{k = v}`; an identifier key is a string literal.
    Object(Vec<(Expr, Sub)>),
    /// A root name: `var`, `local`, `each`, `count`, `module`, a resource type, `data`.
    Variable(String),
    /// `expr.a[0][*].b`.
    Traversal(Box<Expr>, Vec<Step>),
    /// `name(args...)`; `expand_final` for `f(list...)`.
    Call {
        /// The function's name (provider functions keep their `provider::` namespace).
        name: String,
        /// The arguments.
        args: Vec<Sub>,
        /// Whether the last argument is expanded (`...`).
        expand_final: bool,
    },
    /// `cond ? a : b`.
    Conditional(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `!a`.
    Not(Box<Expr>),
    /// `a op b`.
    Binary(Operator, Box<Expr>, Box<Expr>),
    /// Anything evaluation does not model (`for` expressions, negation, directives).
    Opaque,
}

/// An expression inside another, with its text: what stands for it where its value is unknown.
#[derive(Clone, Debug, PartialEq)]
pub struct Sub {
    /// The expression.
    pub expr: Expr,
    /// Its text, as written.
    pub text: String,
}

/// A part of a string template.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Literal text.
    Text(String),
    /// `${expr}`.
    Interpolation(Sub),
    /// `%{if}`/`%{for}`: unknown to evaluation.
    Directive,
}

/// One traversal step.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// `.name`.
    Attr(String),
    /// `[expr]` or `.0`.
    Index(Expr),
    /// `[*]` or `.*`.
    Splat,
}

/// A binary operator evaluation models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `==`
    Eq,
    /// `!=`
    NotEq,
    /// `&&`
    And,
    /// `||`
    Or,
    /// `<`, `<=`, `>`, `>=`, arithmetic: evaluated as unknown.
    Other,
}

/// Parse the text of one expression (what `${…}` holds), `None` when it is not one.
pub fn parse_expression(text: &str, limits: &Limits) -> Option<Expr> {
    let expr = super::hcl::expression_syntax(text, limits).ok()?;
    Some(lower(text, &expr))
}

fn lower(source: &str, expr: &Expression) -> Expr {
    match expr {
        Expression::Null(_)
        | Expression::Bool(_)
        | Expression::Number(_)
        | Expression::String(_) => Expr::Literal(super::hcl::convert(source, expr)),
        Expression::Array(items) => Expr::Tuple(items.iter().map(|e| sub(source, e)).collect()),
        Expression::Object(object) => Expr::Object(
            object
                .iter()
                .map(|(key, value)| {
                    let key = match key {
                        ObjectKey::Ident(ident) => Expr::Literal(Node::new(
                            crate::source::Span::empty(0),
                            super::Value::String(ident.value().as_str().to_string().into()),
                        )),
                        ObjectKey::Expression(e) => lower(source, e),
                    };
                    (key, sub(source, value.expr()))
                })
                .collect(),
        ),
        Expression::StringTemplate(t) => template(source, t.iter()),
        Expression::HeredocTemplate(h) => template(source, h.template.iter()),
        Expression::Parenthesis(p) => lower(source, p.inner()),
        Expression::Variable(v) => Expr::Variable(v.value().as_str().to_string()),
        Expression::Conditional(c) => Expr::Conditional(
            Box::new(lower(source, &c.cond_expr)),
            Box::new(lower(source, &c.true_expr)),
            Box::new(lower(source, &c.false_expr)),
        ),
        Expression::FuncCall(call) => {
            let mut name: Vec<&str> = call
                .name
                .namespace
                .iter()
                .map(|n| n.value().as_str())
                .collect();
            name.push(call.name.name.value().as_str());
            Expr::Call {
                name: name.join("::"),
                args: call.args.iter().map(|a| sub(source, a)).collect(),
                expand_final: call.args.expand_final(),
            }
        }
        Expression::Traversal(t) => Expr::Traversal(
            Box::new(lower(source, &t.expr)),
            t.operators
                .iter()
                .map(|op| match op.value() {
                    TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                        Step::Splat
                    }
                    TraversalOperator::GetAttr(ident) => Step::Attr(ident.value().to_string()),
                    TraversalOperator::Index(e) => Step::Index(lower(source, e)),
                    TraversalOperator::LegacyIndex(i) => Step::Index(Expr::Literal(Node::new(
                        crate::source::Span::empty(0),
                        super::Value::Number(i.value().to_string().into()),
                    ))),
                })
                .collect(),
        ),
        Expression::UnaryOp(op) => match op.operator.value() {
            UnaryOperator::Not => Expr::Not(Box::new(lower(source, &op.expr))),
            UnaryOperator::Neg => Expr::Opaque,
        },
        Expression::BinaryOp(op) => {
            let operator = match op.operator.value() {
                BinaryOperator::Eq => Operator::Eq,
                BinaryOperator::NotEq => Operator::NotEq,
                BinaryOperator::And => Operator::And,
                BinaryOperator::Or => Operator::Or,
                _ => Operator::Other,
            };
            Expr::Binary(
                operator,
                Box::new(lower(source, &op.lhs_expr)),
                Box::new(lower(source, &op.rhs_expr)),
            )
        }
        Expression::ForExpr(_) => Expr::Opaque,
    }
}

fn sub(source: &str, expr: &Expression) -> Sub {
    let span = super::hcl::span_of(expr, crate::source::Span::empty(0));
    Sub {
        expr: lower(source, expr),
        text: source
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

fn template<'t>(source: &str, elements: impl Iterator<Item = &'t Element>) -> Expr {
    Expr::Template(
        elements
            .map(|e| match e {
                Element::Literal(text) => Part::Text(text.value().to_string()),
                Element::Interpolation(i) => Part::Interpolation(sub(source, &i.expr)),
                Element::Directive(_) => Part::Directive,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Expr {
        parse_expression(text, &Limits::default()).expect("an expression")
    }

    #[test]
    fn the_idioms_of_real_modules_parse_into_their_parts() {
        let Expr::Call { name, args, .. } = parse("one(aws_iam_role.recorder[*].id)") else {
            panic!("a call");
        };
        assert_eq!(name, "one");
        assert_eq!(args[0].text, "aws_iam_role.recorder[*].id");
        assert_eq!(
            args[0].expr,
            Expr::Traversal(
                Box::new(Expr::Variable("aws_iam_role".into())),
                vec![
                    Step::Attr("recorder".into()),
                    Step::Splat,
                    Step::Attr("id".into())
                ]
            )
        );
        assert!(matches!(parse("var.on ? 1 : 0"), Expr::Conditional(..)));
        assert!(matches!(
            parse("var.a == \"x\" && !var.b"),
            Expr::Binary(Operator::And, ..)
        ));
        let Expr::Template(parts) = parse("\"arn:${var.p}:x\"") else {
            panic!("a template");
        };
        assert_eq!(parts.len(), 3);
        assert_eq!(parse("[for x in var.l : x]"), Expr::Opaque);
        assert!(parse_expression("(", &Limits::default()).is_none());
    }
}
