//! The value of one expression, as far as the configuration alone tells it.

use hashbrown::HashMap;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

use crate::parse::hcl_expr::{self, Expr, Operator, Part, Step, Sub};
use crate::parse::{Limits, Node, Text, ThinVec, Value};
use crate::source::Span;
use crate::terraform::objects;
use crate::terraform_dir::TFVARS_KEY;

/// Terraform's built-in functions: a part of evaluation (they evaluate their arguments).
mod functions;

/// What an expression evaluates to.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ev<'a> {
    /// A value, as a tree: strings in it may still hold `${…}` parts the template's own
    /// evaluation reads (references to resources stay references).
    Known(Node<'a>),
    /// Known only after apply, or not from the configuration alone.
    Unknown,
    /// Terraform would fail to evaluate it (a missing attribute, an index out of range): what
    /// `try` and `can` test for.
    Error,
}

/// Deepest chain of locals and nested expressions followed.
const MAX_DEPTH: u8 = 24;
/// Most evaluation steps for one expression: a bound on locals that fan out.
const MAX_STEPS: u32 = 20_000;

/// One instance of a resource with `count` or `for_each`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Instance<'a> {
    /// `each.key` and `each.value`.
    pub each: Option<(Node<'a>, Node<'a>)>,
    /// `count.index`.
    pub index: Option<usize>,
}

/// The variables and locals of a configuration: what expressions read.
pub(crate) struct Scope<'s, 'a> {
    /// Each variable's value: its tfvars value, else its default; `None`: unknown.
    vars: HashMap<&'s str, Option<&'s Node<'a>>>,
    locals: HashMap<&'s str, &'s Node<'a>>,
    steps: Cell<u32>,
    /// Expressions parsed, by text: a local read by a hundred resources is parsed once.
    parsed: RefCell<HashMap<String, Rc<Option<Expr>>>>,
}

impl<'s, 'a> Scope<'s, 'a> {
    pub(crate) fn of(root: &'s Node<'a>) -> Scope<'s, 'a> {
        let tfvars = root.get(TFVARS_KEY);
        let mut vars = HashMap::new();
        for block in root.get("variable").map(objects).unwrap_or_default() {
            for e in block.entries() {
                let body = objects(&e.value).into_iter().next();
                let value = tfvars
                    .and_then(|v| v.get(&e.key))
                    .or_else(|| body.and_then(|b| b.get("default")));
                vars.insert(e.key.as_ref(), value);
            }
        }
        let mut locals = HashMap::new();
        for block in root.get("locals").map(objects).unwrap_or_default() {
            for e in block.entries() {
                locals.insert(e.key.as_ref(), &e.value);
            }
        }
        Scope {
            vars,
            locals,
            steps: Cell::new(0),
            parsed: RefCell::new(HashMap::new()),
        }
    }

    /// The expression `text`, parsed once per scope.
    fn parse(&self, text: &str) -> Rc<Option<Expr>> {
        if let Some(done) = self.parsed.borrow().get(text) {
            return done.clone();
        }
        let expr = Rc::new(hcl_expr::parse_expression(text, &Limits::default()));
        self.parsed
            .borrow_mut()
            .insert(text.to_string(), expr.clone());
        expr
    }

    /// The value of the expression `text` (what a `${…}` holds), written at `site`.
    pub(crate) fn expression(&self, text: &str, site: Span, inst: &Instance<'a>) -> Ev<'a> {
        self.steps.set(0);
        match &*self.parse(text) {
            Some(expr) => self.eval(expr, site, inst, 0),
            None => Ev::Unknown,
        }
    }

    /// The value of a node of the tree: a string holding `${…}` is evaluated.
    pub(crate) fn node(
        &self,
        node: &Node<'a>,
        site: Span,
        inst: &Instance<'a>,
        depth: u8,
    ) -> Ev<'a> {
        let Value::String(s) = &node.value else {
            return Ev::Known(node.clone());
        };
        if !s.contains("${") && !s.contains("%{") {
            return Ev::Known(node.clone());
        }
        let segments = crate::terraform_segments(s);
        if let [crate::Segment::Expr(e)] = segments.as_slice() {
            return match &*self.parse(e) {
                Some(expr) => self.eval(expr, node.span, inst, depth + 1),
                None => Ev::Unknown,
            };
        }
        let mut text = String::new();
        for seg in segments {
            match seg {
                crate::Segment::Text(t) => text.push_str(&t),
                crate::Segment::Expr(e) => {
                    let value = match &*self.parse(e) {
                        Some(x) => self.eval(x, site, inst, depth + 1),
                        None => Ev::Unknown,
                    };
                    match scalar(&value) {
                        Some(t) => text.push_str(&t),
                        None => {
                            return if value == Ev::Error {
                                Ev::Error
                            } else {
                                Ev::Unknown
                            };
                        }
                    }
                }
            }
        }
        Ev::Known(string(site, text))
    }

    pub(crate) fn eval(&self, expr: &Expr, site: Span, inst: &Instance<'a>, depth: u8) -> Ev<'a> {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if depth > MAX_DEPTH || steps > MAX_STEPS {
            return Ev::Unknown;
        }
        match expr {
            Expr::Literal(n) => Ev::Known(respan(n.clone(), site)),
            Expr::Template(parts) => self.template(parts, site, inst, depth),
            Expr::Tuple(items) => Ev::Known(Node::new(
                site,
                Value::Seq(
                    items
                        .iter()
                        .map(|i| self.item(i, site, inst, depth))
                        .collect(),
                ),
            )),
            Expr::Object(entries) => self.object(entries, site, inst, depth),
            Expr::Variable(_) => Ev::Unknown,
            Expr::Traversal(root, steps) => self.traversal(root, steps, site, inst, depth),
            Expr::Call {
                name,
                args,
                expand_final,
            } => functions::call(self, name, args, *expand_final, site, inst, depth),
            Expr::Conditional(cond, yes, no) => self.conditional(cond, yes, no, site, inst, depth),
            Expr::Not(e) => match self.eval(e, site, inst, depth + 1) {
                Ev::Error => Ev::Error,
                v => truth(&v).map_or(Ev::Unknown, |b| Ev::Known(boolean(site, !b))),
            },
            Expr::Binary(op, a, b) => self.binary(*op, a, b, site, inst, depth),
            Expr::Opaque => Ev::Unknown,
        }
    }

    /// An item of a list or value of an object: unknown, it keeps its text as a `${…}`, as
    /// the template would hold it, so that references in it still link resources.
    pub(crate) fn item(&self, sub: &Sub, site: Span, inst: &Instance<'a>, depth: u8) -> Node<'a> {
        match self.eval(&sub.expr, site, inst, depth + 1) {
            Ev::Known(n) => n,
            _ => string(site, format!("${{{}}}", sub.text)),
        }
    }

    /// A string template: known parts become text; an unknown part keeps its `${…}`, so that
    /// the string stays partly known (`arn:aws:iam::${var.account}:root`).
    fn template(&self, parts: &[Part], site: Span, inst: &Instance<'a>, depth: u8) -> Ev<'a> {
        let mut text = String::new();
        for part in parts {
            match part {
                Part::Text(t) => text.push_str(&super::escape(t)),
                Part::Interpolation(sub) => {
                    let v = self.eval(&sub.expr, site, inst, depth + 1);
                    match scalar(&v) {
                        Some(t) => text.push_str(&super::escape(&t)),
                        None if v == Ev::Error => return Ev::Error,
                        None => {
                            text.push_str("${");
                            text.push_str(&sub.text);
                            text.push('}');
                        }
                    }
                }
                Part::Directive => return Ev::Unknown,
            }
        }
        Ev::Known(string(site, text))
    }

    /// `cond ? a : b`. A condition on variables chooses between two configurations a caller
    /// may want (its default is not the only value it takes), and evaluation reads both
    /// branches, as it reads both of an `Fn::If`: folded only where both agree, or where the
    /// condition does not depend on anything a caller sets (`count.index`, `each.key`).
    fn conditional(
        &self,
        cond: &Expr,
        yes: &Expr,
        no: &Expr,
        site: Span,
        inst: &Instance<'a>,
        depth: u8,
    ) -> Ev<'a> {
        let (a, b) = (
            self.eval(yes, site, inst, depth + 1),
            self.eval(no, site, inst, depth + 1),
        );
        if let (Ev::Known(x), Ev::Known(y)) = (&a, &b)
            && equal(x, y)
        {
            return a;
        }
        let empty = Scope {
            vars: HashMap::new(),
            locals: HashMap::new(),
            steps: Cell::new(0),
            parsed: RefCell::new(HashMap::new()),
        };
        match truth(&empty.eval(cond, site, inst, depth + 1)) {
            Some(true) => a,
            Some(false) => b,
            None => Ev::Unknown,
        }
    }

    fn object(
        &self,
        entries: &[(Expr, Sub)],
        site: Span,
        inst: &Instance<'a>,
        depth: u8,
    ) -> Ev<'a> {
        let mut out = ThinVec::with_capacity(entries.len());
        for (key, value) in entries {
            let key = self.eval(key, site, inst, depth + 1);
            let Some(key) = scalar(&key) else {
                return Ev::Unknown;
            };
            out.retain(|e: &crate::parse::Entry<'a>| e.key != key);
            out.push(crate::parse::Entry {
                key: Text::owned(key),
                key_span: site,
                value: self.item(value, site, inst, depth),
            });
        }
        Ev::Known(Node::new(site, Value::Map(out.into())))
    }

    fn traversal(
        &self,
        root: &Expr,
        steps: &[Step],
        site: Span,
        inst: &Instance<'a>,
        depth: u8,
    ) -> Ev<'a> {
        let (value, rest) = match (root, steps.first()) {
            (Expr::Variable(v), Some(Step::Attr(name))) => {
                // The attributes of a `var` or `local` mapping are followed where the mapping
                // is written, and only what they reach is copied: a `local.m.k1` copied all of
                // a mapping of 100,000 keys to read one.
                if let Some(found) = self.written(v, name).filter(|n| n.is_map()) {
                    let (reached, rest) = attributes(found, &steps[1..]);
                    let value = self.node(reached, site, inst, depth + 1);
                    return self.steps_on(value, rest, site, inst, depth);
                }
                (self.named(v, name, site, inst, depth), &steps[1..])
            }
            (Expr::Variable(_), _) => return Ev::Unknown,
            _ => (self.eval(root, site, inst, depth + 1), steps),
        };
        self.steps_on(value, rest, site, inst, depth)
    }

    /// `var.x`, `local.x`, `each.key`/`each.value`, `count.index`; anything else (resources,
    /// data sources, modules, `path`, `terraform`) is unknown here.
    fn named(&self, root: &str, name: &str, site: Span, inst: &Instance<'a>, depth: u8) -> Ev<'a> {
        let resolve = |n: &Node<'a>| self.node(n, site, inst, depth + 1);
        match root {
            "var" => match self.vars.get(name) {
                Some(Some(n)) => resolve(n),
                Some(None) => Ev::Unknown,
                None => Ev::Error,
            },
            "local" => self.locals.get(name).map_or(Ev::Unknown, |n| resolve(n)),
            "each" => match (&inst.each, name) {
                (Some((k, _)), "key") => Ev::Known(k.clone()),
                (Some((_, v)), "value") => resolve(v),
                _ => Ev::Unknown,
            },
            "count" if name == "index" => inst
                .index
                .map_or(Ev::Unknown, |i| Ev::Known(number(site, i))),
            _ => Ev::Unknown,
        }
    }

    /// The node of `var.name` or `local.name` as written (unevaluated).
    fn written(&self, root: &str, name: &str) -> Option<&'s Node<'a>> {
        match root {
            "var" => self.vars.get(name).copied().flatten(),
            "local" => self.locals.get(name).copied(),
            _ => None,
        }
    }

    fn steps_on(
        &self,
        mut value: Ev<'a>,
        steps: &[Step],
        site: Span,
        inst: &Instance<'a>,
        depth: u8,
    ) -> Ev<'a> {
        for (at, step) in steps.iter().enumerate() {
            let Ev::Known(node) = value else {
                return value;
            };
            value = match step {
                Step::Attr(name) => attr(&node, name),
                Step::Index(e) => match self.eval(e, site, inst, depth + 1) {
                    Ev::Known(k) => index(&node, &k),
                    other => other,
                },
                Step::Splat => {
                    let items: ThinVec<Node<'a>> = match &node.value {
                        Value::Seq(items) => items.iter().cloned().collect(),
                        Value::Null => ThinVec::new(),
                        _ => thin_vec::thin_vec![node.clone()],
                    };
                    let mut out = ThinVec::with_capacity(items.len());
                    for item in items {
                        match self.steps_on(Ev::Known(item), &steps[at + 1..], site, inst, depth) {
                            Ev::Known(n) => out.push(n),
                            other => return other,
                        }
                    }
                    return Ev::Known(Node::new(site, Value::Seq(out.into())));
                }
            };
            // A value read from the tree may itself be an expression (a local's map holding
            // `${var.x}`).
            if let Ev::Known(n) = &value {
                value = self.node(n, site, inst, depth + 1);
            }
        }
        value
    }

    fn binary(
        &self,
        op: Operator,
        a: &Expr,
        b: &Expr,
        site: Span,
        inst: &Instance<'a>,
        depth: u8,
    ) -> Ev<'a> {
        let (x, y) = (
            self.eval(a, site, inst, depth + 1),
            self.eval(b, site, inst, depth + 1),
        );
        if x == Ev::Error || y == Ev::Error {
            return Ev::Error;
        }
        let result = match op {
            Operator::And => match (truth(&x), truth(&y)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Operator::Or => match (truth(&x), truth(&y)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Operator::Eq | Operator::NotEq => match (&x, &y) {
                (Ev::Known(p), Ev::Known(q)) => same(p, q).map(|s| s == (op == Operator::Eq)),
                _ => None,
            },
            Operator::Other => None,
        };
        result.map_or(Ev::Unknown, |b| Ev::Known(boolean(site, b)))
    }
}

/// Whether two values are the same, wherever they were written.
fn equal(a: &Node<'_>, b: &Node<'_>) -> bool {
    match (&a.value, &b.value) {
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|(p, q)| p.key == q.key && equal(&p.value, &q.value))
        }
        (x, y) => x == y,
    }
}

/// `node.name`: an object's attribute; anything else fails as Terraform fails.
/// Follow the attribute steps that name an entry of a mapping from `node`: what they reach and
/// the steps left. The value of `node` with the steps is the value of what is reached with the
/// rest: [`attr`] takes an entry of a mapping as it is, and the value of a mapping passed on
/// between steps is the mapping itself.
fn attributes<'n, 'a, 'x>(
    mut node: &'n Node<'a>,
    mut steps: &'x [Step],
) -> (&'n Node<'a>, &'x [Step]) {
    while let [Step::Attr(name), rest @ ..] = steps
        && let Some(child) = node.is_map().then(|| node.get(name)).flatten()
    {
        node = child;
        steps = rest;
    }
    (node, steps)
}

fn attr<'a>(node: &Node<'a>, name: &str) -> Ev<'a> {
    match &node.value {
        Value::Map(_) => node.get(name).map_or(Ev::Error, |n| Ev::Known(n.clone())),
        Value::String(s) if s.contains("${") => Ev::Unknown,
        _ => Ev::Error,
    }
}

/// `node[key]`.
fn index<'a>(node: &Node<'a>, key: &Node<'a>) -> Ev<'a> {
    let Some(k) = key.scalar_text() else {
        return Ev::Error;
    };
    if k.contains("${") {
        return Ev::Unknown;
    }
    match &node.value {
        Value::Seq(items) => match k.parse::<usize>().ok() {
            // An unknown part before it (`concat(var.unknown, ["x"])[1]`) leaves its place
            // unknown.
            Some(i)
                if items
                    .iter()
                    .take(i + 1)
                    .any(|n| matches!(&n.value, Value::String(s) if s.contains("${"))) =>
            {
                Ev::Unknown
            }
            Some(i) => items.get(i).map_or(Ev::Error, |n| Ev::Known(n.clone())),
            None => Ev::Error,
        },
        Value::Map(_) => node.get(&k).map_or(Ev::Error, |n| Ev::Known(n.clone())),
        Value::String(s) if s.contains("${") => Ev::Unknown,
        _ => Ev::Error,
    }
}

/// The text of a known scalar (numbers and booleans as Terraform converts them to strings).
pub(crate) fn scalar(v: &Ev<'_>) -> Option<String> {
    match v {
        Ev::Known(n) => match &n.value {
            Value::String(s) if s.contains("${") || s.contains("%{") => None,
            Value::String(_) | Value::Number(_) | Value::Bool(_) => {
                n.scalar_text().map(Cow::into_owned)
            }
            _ => None,
        },
        _ => None,
    }
}

/// A known boolean (Terraform converts `"true"`/`"false"`).
pub(crate) fn truth(v: &Ev<'_>) -> Option<bool> {
    match scalar(v)?.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Whether two known values are equal; `None` when a part is unknown.
fn same(a: &Node<'_>, b: &Node<'_>) -> Option<bool> {
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => Some(true),
        (Value::Null, _) | (_, Value::Null) => Some(false),
        (Value::Number(x), Value::Number(y)) => {
            Some(x.parse::<f64>().ok()? == y.parse::<f64>().ok()?)
        }
        (Value::String(x), Value::String(y)) => {
            (!x.contains("${") && !y.contains("${")).then(|| x == y)
        }
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        // Different types are never equal in Terraform (`1 == "1"` is false).
        (Value::String(s), _) | (_, Value::String(s)) if s.contains("${") => None,
        (Value::Seq(_) | Value::Map(_), _) | (_, Value::Seq(_) | Value::Map(_)) => None,
        _ => Some(false),
    }
}

/// A literal of the expression's own text, placed at the site it is evaluated for.
fn respan<'a>(mut node: Node<'a>, site: Span) -> Node<'a> {
    node.span = site;
    match &mut node.value {
        Value::Seq(items) => {
            for i in items.make_mut().iter_mut() {
                *i = respan(std::mem::replace(i, Node::new(site, Value::Null)), site);
            }
        }
        Value::Map(entries) => {
            for e in entries.make_mut().iter_mut() {
                e.key_span = site;
                e.value = respan(
                    std::mem::replace(&mut e.value, Node::new(site, Value::Null)),
                    site,
                );
            }
        }
        _ => {}
    }
    node
}

pub(crate) fn string<'a>(site: Span, text: String) -> Node<'a> {
    Node::new(site, Value::String(Text::owned(text)))
}

pub(crate) fn boolean<'a>(site: Span, b: bool) -> Node<'a> {
    Node::new(site, Value::Bool(b))
}

pub(crate) fn number<'a>(site: Span, n: usize) -> Node<'a> {
    Node::new(site, Value::Number(Text::owned(n.to_string())))
}
