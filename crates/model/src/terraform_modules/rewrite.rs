//! An instance's expressions rewritten into the terms of the configuration it joins.

use hashbrown::{HashMap, HashSet};
use std::cell::RefCell;
use std::rc::Rc;

use crate::parse::{Node, Value};
use crate::terraform::objects;
use crate::{Segment, terraform_segments};

/// Stands for a module variable that has neither argument nor default: unknown.
const UNSET: &str = "${(unset)}";
/// Deepest chain of locals followed.
const MAX_LOCALS_DEPTH: usize = 16;
/// Deepest nesting rewritten.
const MAX_DEPTH: usize = 64;
/// Longest expression a rewrite writes: values are written into the expressions that use them,
/// so locals that each use the one before twice would double at every step. Longer is unknown.
const MAX_EXPRESSION: usize = 256 * 1024;
/// Most text the rewrites of one instance write in all.
const MAX_WRITTEN: usize = 16 * 1024 * 1024;

pub(super) struct Rewriter<'s, 'a> {
    prefix: &'s str,
    /// The call's arguments.
    args: HashMap<String, Node<'a>>,
    /// The module's variables' defaults (`None`: no default).
    defaults: HashMap<String, Option<Node<'a>>>,
    /// The module's locals, as written.
    locals: HashMap<String, Node<'a>>,
    /// The module's own resources (`TYPE.NAME`).
    resources: HashSet<String>,
    /// Locals already rewritten.
    rewritten: RefCell<HashMap<String, Node<'a>>>,
    /// Text written so far (see [`MAX_WRITTEN`]).
    written: std::cell::Cell<usize>,
    /// Variables' values as expression text, by name.
    var_texts: RefCell<HashMap<String, Rc<str>>>,
    /// Locals' values as expression text, rewritten, by name.
    local_texts: RefCell<HashMap<String, Rc<str>>>,
}

impl<'s, 'a> Rewriter<'s, 'a> {
    pub(super) fn new(tree: &Node<'a>, call: &Node<'a>, prefix: &'s str) -> Rewriter<'s, 'a> {
        let args = call
            .entries()
            .iter()
            .filter(|e| !super::META_ARGUMENTS.contains(&e.key.as_ref()))
            .map(|e| (e.key.to_string(), e.value.clone()))
            .collect();
        let mut defaults = HashMap::new();
        for block in tree.get("variable").map(objects).unwrap_or_default() {
            for e in block.entries() {
                let default = objects(&e.value)
                    .first()
                    .and_then(|b| b.get("default"))
                    .cloned();
                defaults.insert(e.key.to_string(), default);
            }
        }
        let mut locals = HashMap::new();
        for block in tree.get("locals").map(objects).unwrap_or_default() {
            for e in block.entries() {
                locals.insert(e.key.to_string(), e.value.clone());
            }
        }
        let mut resources = HashSet::new();
        for block in tree.get("resource").map(objects).unwrap_or_default() {
            for by_type in block.entries() {
                for named in objects(&by_type.value) {
                    for e in named.entries() {
                        resources.insert(format!("{}.{}", by_type.key, e.key));
                    }
                }
            }
        }
        Rewriter {
            prefix,
            args,
            defaults,
            locals,
            resources,
            rewritten: RefCell::new(HashMap::new()),
            written: std::cell::Cell::new(0),
            var_texts: RefCell::default(),
            local_texts: RefCell::default(),
        }
    }

    /// The instance's resources, module calls and outputs rewritten.
    pub(super) fn apply_to(&self, mut tree: Node<'a>) -> Node<'a> {
        if let Value::Map(entries) = &mut tree.value {
            for e in entries.make_mut().iter_mut() {
                if matches!(e.key.as_ref(), "resource" | "module" | "output") {
                    self.node(&mut e.value, 0, 0);
                }
            }
        }
        tree
    }

    fn node(&self, node: &mut Node<'a>, depth: usize, locals: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match &mut node.value {
            Value::String(s) if s.contains("${") => {
                let segments = terraform_segments(s);
                if let [Segment::Expr(e)] = segments.as_slice()
                    && let Some(whole) = self.whole(e, locals)
                {
                    *node = whole;
                    return;
                }
                let text = rebuild(&segments, s.len(), &|e, out| {
                    self.expression(e, locals, out)
                });
                let written = self.written.get() + text.len();
                self.written.set(written);
                if text.len() > MAX_EXPRESSION || written > MAX_WRITTEN {
                    *node = unset();
                    return;
                }
                *s = text.into();
            }
            Value::Seq(items) => items
                .make_mut()
                .iter_mut()
                .for_each(|i| self.node(i, depth + 1, locals)),
            Value::Map(entries) => entries
                .make_mut()
                .iter_mut()
                .for_each(|e| self.node(&mut e.value, depth + 1, locals)),
            _ => {}
        }
    }

    /// The value an expression that is exactly `var.x` or `local.x` stands for.
    fn whole(&self, expr: &str, locals: usize) -> Option<Node<'a>> {
        let e = expr.trim();
        let ident = |s: &str| !s.is_empty() && s.chars().all(is_ident);
        if let Some(name) = e.strip_prefix("var.").filter(|n| ident(n)) {
            return Some(self.var(name));
        }
        if let Some(name) = e.strip_prefix("local.").filter(|n| ident(n)) {
            return Some(self.local(name, locals));
        }
        None
    }

    fn var(&self, name: &str) -> Node<'a> {
        match (self.args.get(name), self.defaults.get(name)) {
            (Some(arg), _) => arg.clone(),
            (None, Some(Some(default))) => default.clone(),
            _ => unset(),
        }
    }

    fn local(&self, name: &str, depth: usize) -> Node<'a> {
        if let Some(done) = self.rewritten.borrow().get(name) {
            return done.clone();
        }
        let Some(raw) = self.locals.get(name) else {
            return unset();
        };
        if depth >= MAX_LOCALS_DEPTH {
            return unset();
        }
        let mut value = raw.clone();
        self.node(&mut value, 0, depth + 1);
        self.rewritten
            .borrow_mut()
            .insert(name.to_string(), value.clone());
        value
    }

    /// An expression's text in the configuration's terms, written at the end of `out`.
    fn expression(&self, expr: &str, locals: usize, out: &mut String) {
        let mut address = String::new();
        rewrite_traversals_into(expr, out, &mut |traversal| {
            let mut parts = traversal.splitn(3, '.');
            let (root, name) = (parts.next()?, parts.next()?);
            let value = match root {
                "var" => self.var_text(name),
                "local" => self.local_text(name, locals),
                _ => {
                    address.clear();
                    address.push_str(root);
                    address.push('.');
                    address.push_str(name);
                    return self
                        .resources
                        .contains(address.as_str())
                        .then(|| format!("{}{traversal}", self.prefix));
                }
            };
            let mut replaced = String::with_capacity(value.len() + traversal.len() + 2);
            replaced.push('(');
            replaced.push_str(&value);
            replaced.push(')');
            if let Some(rest) = parts.next() {
                replaced.push('.');
                replaced.push_str(rest);
            }
            Some(replaced)
        })
    }

    /// A variable's value as expression text (written into each expression that uses it).
    fn var_text(&self, name: &str) -> Rc<str> {
        if let Some(text) = self.var_texts.borrow().get(name) {
            return text.clone();
        }
        let text: Rc<str> = match (self.args.get(name), self.defaults.get(name)) {
            (Some(arg), _) => text_of(arg),
            (None, Some(Some(default))) => text_of(default),
            _ => text_of(&unset()),
        }
        .into();
        self.var_texts
            .borrow_mut()
            .insert(name.to_string(), text.clone());
        text
    }

    /// A local's value as expression text, rewritten.
    fn local_text(&self, name: &str, depth: usize) -> Rc<str> {
        if let Some(text) = self.local_texts.borrow().get(name) {
            return text.clone();
        }
        let text: Rc<str> = text_of(&self.local(name, depth)).into();
        // Kept only once the local's rewrite is (a local met too deep is unknown there only).
        if self.rewritten.borrow().contains_key(name) {
            self.local_texts
                .borrow_mut()
                .insert(name.to_string(), text.clone());
        }
        text
    }
}

/// References to module calls' outputs (`module.c.out`) replaced by the outputs' values.
pub(super) fn module_outputs<'a>(node: &mut Node<'a>, outputs: &HashMap<String, Node<'a>>) {
    if outputs.is_empty() {
        return;
    }
    outputs_in(node, outputs, 0);
}

fn outputs_in<'a>(node: &mut Node<'a>, outputs: &HashMap<String, Node<'a>>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    let output = |traversal: &str| -> Option<(Node<'a>, String)> {
        let mut parts = traversal.splitn(4, '.');
        if parts.next()? != "module" {
            return None;
        }
        let (call, name) = (parts.next()?, parts.next()?);
        let value = outputs.get(call)?.get(name)?.clone();
        Some((
            value,
            parts.next().map(|r| format!(".{r}")).unwrap_or_default(),
        ))
    };
    match &mut node.value {
        Value::String(s) if s.contains("module.") && s.contains("${") => {
            // `module.x[0].out`: the call's instances are one instance here.
            let unindexed = without_module_indexes(s);
            let segments = terraform_segments(&unindexed);
            if let [Segment::Expr(e)] = segments.as_slice()
                && let Some((value, rest)) = output(e.trim())
                && rest.is_empty()
            {
                *node = value;
                return;
            }
            let text = rebuild(&segments, s.len(), &|e, out| {
                rewrite_traversals_into(e, out, &mut |t| {
                    output(t).map(|(v, rest)| format!("({}){rest}", text_of(&v)))
                })
            });
            *s = text.into();
        }
        Value::Seq(items) => items
            .make_mut()
            .iter_mut()
            .for_each(|i| outputs_in(i, outputs, depth + 1)),
        Value::Map(entries) => entries
            .make_mut()
            .iter_mut()
            .for_each(|e| outputs_in(&mut e.value, outputs, depth + 1)),
        _ => {}
    }
}

/// `s` with the index of each module call reference dropped: `module.x[0].out` →
/// `module.x.out` (a call with `count` or `for_each` is composed as one instance).
pub(super) fn without_module_indexes(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains("module.") || !s.contains('[') {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("module.") {
        let starts = rest[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_ident(c) && c != '.');
        out.push_str(&rest[..at + "module.".len()]);
        rest = &rest[at + "module.".len()..];
        if !starts {
            continue;
        }
        let name = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        out.push_str(&rest[..name]);
        rest = &rest[name..];
        if let Some(index) = rest.strip_prefix('[')
            && let Some(close) = index.find(']')
        {
            rest = &index[close + 1..];
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

fn unset<'a>() -> Node<'a> {
    Node::new(crate::source::Span::empty(0), Value::String(UNSET.into()))
}

fn is_ident(c: char) -> bool {
    c.is_ascii() && is_ident_byte(c as u8)
}

/// A string of the tree rebuilt from its segments (written in about `len` bytes), each
/// expression rewritten into the string by `rewrite`.
fn rebuild(segments: &[Segment<'_>], len: usize, rewrite: &dyn Fn(&str, &mut String)) -> String {
    let mut out = String::with_capacity(len);
    for seg in segments {
        match seg {
            Segment::Text(t) => out.push_str(&crate::terraform_values::escape(t)),
            Segment::Expr(e) => {
                out.push_str("${");
                rewrite(e, &mut out);
                out.push('}');
            }
        }
    }
    out
}

/// `expr` with each traversal (`a.b.c`: identifiers joined by `.`, not the attribute of
/// something else) replaced where `f` says.
pub(super) fn rewrite_traversals(expr: &str, f: &mut dyn FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(expr.len());
    rewrite_traversals_into(expr, &mut out, f);
    out
}

/// [`rewrite_traversals`], written at the end of `out`.
fn rewrite_traversals_into(
    expr: &str,
    out: &mut String,
    f: &mut dyn FnMut(&str) -> Option<String>,
) {
    // Identifiers are ASCII: the scan goes byte by byte, and text between the traversals
    // replaced is copied in runs.
    let bytes = expr.as_bytes();
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        let starts = starts_identifier(bytes[i])
            && (i == 0 || !(is_ident_byte(bytes[i - 1]) || bytes[i - 1] == b'.'));
        if !starts {
            i += 1;
            continue;
        }
        let mut end = i;
        loop {
            while end < bytes.len() && is_ident_byte(bytes[end]) {
                end += 1;
            }
            match bytes.get(end..end + 2) {
                Some([b'.', next]) if starts_identifier(*next) => end += 1,
                _ => break,
            }
        }
        if let Some(replaced) = f(&expr[i..end]) {
            out.push_str(&expr[copied..i]);
            out.push_str(&replaced);
            copied = end;
        }
        i = end;
    }
    out.push_str(&expr[copied..]);
}

fn starts_identifier(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// A value as HCL expression text (its positions are lost: what it makes wrong lands at the
/// expression that uses it).
pub(super) fn text_of(node: &Node<'_>) -> String {
    match &node.value {
        Value::String(s) => {
            let segments = terraform_segments(s);
            if let [Segment::Expr(e)] = segments.as_slice() {
                return e.trim().to_string();
            }
            let mut out = String::from("\"");
            for seg in &segments {
                match seg {
                    Segment::Text(t) => {
                        for c in crate::terraform_values::escape(t).chars() {
                            match c {
                                '"' => out.push_str("\\\""),
                                '\\' => out.push_str("\\\\"),
                                '\n' => out.push_str("\\n"),
                                c => out.push(c),
                            }
                        }
                    }
                    Segment::Expr(e) => {
                        out.push_str("${");
                        out.push_str(e);
                        out.push('}');
                    }
                }
            }
            out.push('"');
            out
        }
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        Value::Seq(items) => format!(
            "[{}]",
            items.iter().map(text_of).collect::<Vec<_>>().join(", ")
        ),
        Value::Map(entries) => format!(
            "{{{}}}",
            entries
                .iter()
                .map(|e| format!("{} = {}", text_of_key(&e.key), text_of(&e.value)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn text_of_key(key: &str) -> String {
    format!("\"{}\"", key.replace('\\', "\\\\").replace('"', "\\\""))
}
