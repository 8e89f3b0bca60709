//! YAML loading on top of libyaml's event stream (see [`super::libyaml`]).
//!
//! We build the tree ourselves rather than use a ready-made loader because we need four things
//! none of them gives together: the span of every node, CloudFormation's short-form tags turned
//! into their long forms, duplicate keys reported rather than dropped, and hard bounds on alias
//! expansion and nesting depth.

use super::{Store, Text};
use std::collections::HashMap;

use super::libyaml::{EventParser, RawEvent, ScalarStyle};
use super::{Entry, KeySet, Limits, Node, ParseError, ParseErrorKind, Parsed, Value};
use crate::source::Span;

/// CloudFormation short-form tags and the long-form key each stands for.
const INTRINSIC_TAGS: &[(&str, &str)] = &[
    ("Ref", "Ref"),
    ("Condition", "Condition"),
    ("Sub", "Fn::Sub"),
    ("GetAtt", "Fn::GetAtt"),
    ("If", "Fn::If"),
    ("Join", "Fn::Join"),
    ("Select", "Fn::Select"),
    ("Split", "Fn::Split"),
    ("FindInMap", "Fn::FindInMap"),
    ("Base64", "Fn::Base64"),
    ("Cidr", "Fn::Cidr"),
    ("ImportValue", "Fn::ImportValue"),
    ("GetAZs", "Fn::GetAZs"),
    ("Equals", "Fn::Equals"),
    ("And", "Fn::And"),
    ("Or", "Fn::Or"),
    ("Not", "Fn::Not"),
    ("Transform", "Fn::Transform"),
    ("Length", "Fn::Length"),
    ("ToJsonString", "Fn::ToJsonString"),
    ("ForEach", "Fn::ForEach"),
];

/// The YAML core schema's tag prefix (`!!str` is `tag:yaml.org,2002:str`).
const CORE_PREFIX: &str = "tag:yaml.org,2002:";

/// The long-form key for a short-form tag suffix, if it is one CloudFormation defines.
pub(crate) fn intrinsic_for_tag(suffix: &str) -> Option<&'static str> {
    INTRINSIC_TAGS
        .iter()
        .find(|(short, _)| *short == suffix)
        .map(|(_, long)| *long)
}

enum Frame<'a> {
    Seq {
        start: usize,
        anchor: Option<String>,
        tag: Option<String>,
        /// Where its items begin in [`Builder::nodes`].
        first: usize,
    },
    Map {
        start: usize,
        anchor: Option<String>,
        tag: Option<String>,
        /// Where its entries begin in [`Builder::entries`].
        first: usize,
        key: Option<(Text<'a>, Span)>,
        keys: KeySet,
    },
}

struct Builder<'a> {
    store: Store<'a>,
    text: &'a str,
    limits: Limits,
    stack: Vec<Frame<'a>>,
    /// The items of every open sequence, innermost last; a closing sequence takes its own off
    /// the end. Children gathered here and moved once into a collection of exactly their number
    /// leave no unused capacity in the tree (most of a large template's memory), where pushing
    /// into each collection and shrinking it after does: mimalloc shrinks a block in place when
    /// it would keep at least half of it.
    nodes: Vec<Node<'a>>,
    /// The entries of every open mapping, the same way.
    entries: Vec<Entry<'a>>,
    anchors: HashMap<String, Node<'a>>,
    alias_nodes: usize,
    alias_bytes: usize,
    root: Option<Node<'a>>,
    warnings: Vec<ParseError>,
}

/// Load the first document of a YAML stream.
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Parsed<'a>, ParseError> {
    parse_into(text, Store::Heap, limits)
}

/// [`parse`], with the tree's lists and unescaped strings in `store`.
pub fn parse_into<'a>(
    text: &'a str,
    store: Store<'a>,
    limits: &Limits,
) -> Result<Parsed<'a>, ParseError> {
    let mut parser = EventParser::new(text);
    let mut b = Builder {
        store,
        text,
        limits: *limits,
        stack: Vec::new(),
        nodes: store.scratch(text.len() / 64),
        entries: store.scratch(text.len() / 32),
        anchors: HashMap::new(),
        alias_nodes: 0,
        alias_bytes: 0,
        root: None,
        warnings: Vec::new(),
    };
    let mut documents = 0;
    while let Some(next) = parser.next() {
        let (event, start, end) = next.map_err(|e| {
            ParseError::new(
                ParseErrorKind::Syntax,
                format!("invalid YAML: {}", e.message),
                Span::empty(e.offset.min(text.len())),
            )
        })?;
        let span = Span::new(start.min(text.len()), end.min(text.len()));
        match event {
            RawEvent::StreamStart | RawEvent::DocumentEnd => {}
            RawEvent::StreamEnd => break,
            RawEvent::DocumentStart => {
                documents += 1;
                // A template is one document; later ones are not part of it.
                if documents > 1 {
                    break;
                }
            }
            RawEvent::Alias { anchor } => {
                let node = b.anchors.get(anchor).cloned().ok_or_else(|| {
                    ParseError::new(
                        ParseErrorKind::Syntax,
                        format!("alias `*{anchor}` refers to an unknown anchor"),
                        span,
                    )
                })?;
                b.alias_nodes += node.size();
                if b.alias_nodes > b.limits.max_alias_nodes {
                    return Err(ParseError::new(
                        ParseErrorKind::Limit,
                        format!(
                            "YAML aliases expand to more than {} nodes; refusing to load \
                             (an alias bomb?)",
                            b.limits.max_alias_nodes
                        ),
                        span,
                    ));
                }
                b.alias_bytes = b.alias_bytes.saturating_add(node.text_bytes());
                if b.alias_bytes > b.limits.max_alias_bytes {
                    return Err(ParseError::new(
                        ParseErrorKind::Limit,
                        format!(
                            "YAML aliases expand to more than {} MiB of text; refusing to load \
                             (an alias bomb?)",
                            b.limits.max_alias_bytes / (1024 * 1024)
                        ),
                        span,
                    ));
                }
                b.push(node)?;
            }
            RawEvent::Scalar {
                anchor,
                tag,
                value,
                style,
            } => {
                let value = b.borrow_or_own(value, style, span);
                let node = b.scalar(value, style, tag, span)?;
                if let Some(anchor) = anchor {
                    b.anchors.insert(anchor.to_string(), node.clone());
                }
                b.push(node)?;
            }
            RawEvent::SequenceStart { anchor, tag } => {
                b.open(Frame::Seq {
                    start: span.start as usize,
                    anchor: anchor.map(str::to_string),
                    tag: tag.map(str::to_string),
                    first: b.nodes.len(),
                })?;
            }
            RawEvent::MappingStart { anchor, tag } => {
                b.open(Frame::Map {
                    start: span.start as usize,
                    anchor: anchor.map(str::to_string),
                    tag: tag.map(str::to_string),
                    first: b.entries.len(),
                    key: None,
                    keys: KeySet::default(),
                })?;
            }
            RawEvent::SequenceEnd | RawEvent::MappingEnd => b.close(span)?,
        }
    }
    let root = b
        .root
        .unwrap_or_else(|| Node::new(Span::empty(0), Value::Null));
    Ok(Parsed {
        root,
        warnings: b.warnings,
    })
}

/// How a tag reads.
enum TagKind<'t> {
    /// `!!str` and friends.
    Core(&'t str),
    /// `!Name`: a local tag, CloudFormation's short forms among them.
    Local(&'t str),
    /// A global or verbatim tag; templates do not use them.
    Other,
}

fn tag_kind(tag: &str) -> TagKind<'_> {
    if let Some(suffix) = tag.strip_prefix(CORE_PREFIX) {
        TagKind::Core(suffix)
    } else if let Some(suffix) = tag.strip_prefix('!').filter(|s| !s.is_empty()) {
        TagKind::Local(suffix)
    } else {
        TagKind::Other
    }
}

impl<'a> Builder<'a> {
    fn open(&mut self, frame: Frame<'a>) -> Result<(), ParseError> {
        if self.stack.len() >= self.limits.max_depth {
            let start = match &frame {
                Frame::Seq { start, .. } | Frame::Map { start, .. } => *start,
            };
            return Err(ParseError::new(
                ParseErrorKind::Limit,
                format!("nesting deeper than {} levels", self.limits.max_depth),
                Span::empty(start),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Scalars that appear verbatim in the source (no escapes, no folding) borrow from it.
    fn borrow_or_own(&self, value: &str, style: ScalarStyle, span: Span) -> Text<'a> {
        let (s, e) = (span.start as usize, span.end as usize);
        let inner = match style {
            ScalarStyle::Plain => self.text.get(s..e),
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted if e >= s + 2 => {
                self.text.get(s + 1..e - 1)
            }
            _ => None,
        };
        match inner {
            Some(src) if src == value => Text::borrowed(src),
            _ => self.store.copy(value),
        }
    }

    /// YAML 1.1 merge keys (`<<: *base`, `<<: [*a, *b]`): the merged mappings' entries are
    /// added where the mapping does not set the key itself (earlier sources win), as PyYAML,
    /// `aws cloudformation package` and `sam build` do. CloudFormation itself does not support
    /// hash merges, so each one is also reported (PARSE005): the template deploys only through
    /// a tool that expands it.
    fn expand_merges(&mut self, entries: Vec<Entry<'a>>) -> Vec<Entry<'a>> {
        let mut own = Vec::with_capacity(entries.len());
        let mut sources = Vec::new();
        for e in entries {
            if e.key == "<<" {
                self.warnings.push(ParseError::new(
                    ParseErrorKind::Unsupported,
                    "YAML merge key `<<`: CloudFormation does not support hash merges and rejects \
                     the template unless a tool (`aws cloudformation package`, `sam build`) \
                     expands it first; it was expanded to check the result",
                    e.key_span,
                ));
                match e.value.value {
                    Value::Map(_) => sources.push(e.value),
                    Value::Seq(items) => sources.extend(items.into_iter().filter(|n| n.is_map())),
                    _ => {}
                }
            } else {
                own.push(e);
            }
        }
        for source in sources {
            if let Value::Map(merged) = source.value {
                for m in merged {
                    if !own.iter().any(|e| e.key == m.key) {
                        own.push(m);
                    }
                }
            }
        }
        own
    }

    fn close(&mut self, end_event: Span) -> Result<(), ParseError> {
        let frame = self
            .stack
            .pop()
            .expect("the parser balances collection start and end events");
        // Flow collections end at their closing bracket; block ones at their last child, since
        // the parser places their end event at the next token.
        let closes_flow = matches!(
            self.text.as_bytes().get(end_event.start as usize),
            Some(b']' | b'}')
        ) && !end_event.is_empty();
        let (start, anchor, tag, value, last_end) = match frame {
            Frame::Seq {
                start,
                anchor,
                tag,
                first,
            } => {
                // Stored from an exact-size iterator: allocated once, at its length.
                let items = self.store.list(self.nodes.drain(first..));
                let last = items.last().map(|n| n.span.end);
                (start, anchor, tag, Value::Seq(items), last)
            }
            Frame::Map {
                start,
                anchor,
                tag,
                first,
                ..
            } => {
                let last = self.entries.last().filter(|_| self.entries.len() > first);
                let last = last.map(|e| e.value.span.end);
                let entries = if self.entries[first..].iter().any(|e| e.key == "<<") {
                    let written = self.entries.drain(first..).collect();
                    let merged = self.expand_merges(written);
                    self.store.list(merged.into_iter())
                } else {
                    self.store.list(self.entries.drain(first..))
                };
                (start, anchor, tag, Value::Map(entries), last)
            }
        };
        let end = if closes_flow {
            end_event.end as usize
        } else {
            last_end.map_or(start, |e| e as usize)
        };
        let span = Span::new(start, end);
        let node = self.tagged(Node::new(span, value), tag.as_deref(), span)?;
        if let Some(anchor) = anchor {
            self.anchors.insert(anchor, node.clone());
        }
        self.push(node)
    }

    fn push(&mut self, node: Node<'a>) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
                Ok(())
            }
            Some(Frame::Seq { .. }) => {
                self.nodes.push(node);
                Ok(())
            }
            Some(Frame::Map {
                first, key, keys, ..
            }) => match key.take() {
                None => {
                    let text = match node.value {
                        Value::String(s) => s,
                        Value::Number(n) => n,
                        Value::Bool(b) => Text::borrowed(if b { "true" } else { "false" }),
                        Value::Null => Text::borrowed(""),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(ParseError::new(
                                ParseErrorKind::Syntax,
                                "complex (collection) mapping keys are not supported in templates",
                                node.span,
                            ));
                        }
                    };
                    *key = Some((text, node.span));
                    Ok(())
                }
                Some((k, key_span)) => {
                    if keys.seen_before(&self.entries[*first..], &k) {
                        self.warnings.push(ParseError::new(
                            ParseErrorKind::DuplicateKey,
                            format!("duplicate key `{k}`: the later value silently replaces the earlier one"),
                            key_span,
                        ));
                    }
                    self.entries.push(Entry {
                        key: k,
                        key_span,
                        value: node,
                    });
                    Ok(())
                }
            },
        }
    }

    fn scalar(
        &mut self,
        value: Text<'a>,
        style: ScalarStyle,
        tag: Option<&str>,
        span: Span,
    ) -> Result<Node<'a>, ParseError> {
        let plain = style == ScalarStyle::Plain;
        let v = match tag.map(tag_kind) {
            Some(TagKind::Core(suffix)) => core_schema_value(suffix, value, span)?,
            None if plain => plain_scalar(value),
            _ => Value::String(value),
        };
        let node = Node::new(span, v);
        self.tagged(node, tag, span)
    }

    /// Apply a node's tag: CloudFormation short forms become single-key mappings such as
    /// `{"Fn::GetAtt": [a, b]}`; unknown local tags (`!Rain::Embed`) keep their name as the
    /// key so that evaluators treat them as opaque functions.
    fn tagged(
        &mut self,
        node: Node<'a>,
        tag: Option<&str>,
        span: Span,
    ) -> Result<Node<'a>, ParseError> {
        // Core-schema tags were applied to the scalar; global tags (`!<tag:...>`, %TAG
        // handles) are not used by templates, so the value is kept as written.
        let Some(TagKind::Local(suffix)) = tag.map(tag_kind) else {
            return Ok(node);
        };
        // The node's span starts at its tag (libyaml includes node properties).
        let tag_len = 1 + suffix.len();
        let key_span = Span::new(span.start as usize, span.start as usize + tag_len);
        let (key, arg) = match intrinsic_for_tag(suffix) {
            Some("Fn::GetAtt") => ("Fn::GetAtt", split_getatt(node, self.store)),
            Some(long) => (long, node),
            None => {
                let entry = Entry {
                    key: self.store.text(format!("!{suffix}")),
                    key_span,
                    value: node,
                };
                return Ok(Node::new(
                    span,
                    Value::Map(self.store.list([entry].into_iter())),
                ));
            }
        };
        let entry = Entry {
            key: Text::borrowed(key),
            key_span,
            value: arg,
        };
        Ok(Node::new(
            span,
            Value::Map(self.store.list([entry].into_iter())),
        ))
    }
}

/// `!GetAtt Res.Attr` is the string form of `[Res, Attr]`; the attribute may itself contain
/// dots (`Endpoint.Address`), so split at the first dot only.
fn split_getatt<'a>(node: Node<'a>, store: Store<'a>) -> Node<'a> {
    let Value::String(s) = &node.value else {
        return node;
    };
    let Some(dot) = s.find('.') else { return node };
    let span = node.span;
    let (res, attr) = match super::node::borrowed(s) {
        Some(b) => (Text::borrowed(&b[..dot]), Text::borrowed(&b[dot + 1..])),
        None => (store.copy(&s[..dot]), store.copy(&s[dot + 1..])),
    };
    let items = [
        Node::new(span, Value::String(res)),
        Node::new(span, Value::String(attr)),
    ];
    Node::new(span, Value::Seq(store.list(items.into_iter())))
}

/// Resolve an untagged plain scalar by the YAML 1.2 core schema.
fn plain_scalar(text: Text<'_>) -> Value<'_> {
    match text.as_ref() {
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        t if looks_numeric(t) => Value::Number(text),
        _ => Value::String(text),
    }
}

fn core_schema_value<'a>(
    suffix: &str,
    text: Text<'a>,
    span: Span,
) -> Result<Value<'a>, ParseError> {
    Ok(match suffix {
        "str" | "binary" | "timestamp" => Value::String(text),
        "null" => Value::Null,
        "bool" => match text.as_ref() {
            "true" | "True" | "TRUE" => Value::Bool(true),
            "false" | "False" | "FALSE" => Value::Bool(false),
            _ => {
                return Err(ParseError::new(
                    ParseErrorKind::Syntax,
                    format!("`{text}` is not a valid !!bool"),
                    span,
                ));
            }
        },
        "int" | "float" => {
            if looks_numeric(&text) {
                Value::Number(text)
            } else {
                return Err(ParseError::new(
                    ParseErrorKind::Syntax,
                    format!("`{text}` is not a valid !!{suffix}"),
                    span,
                ));
            }
        }
        _ => plain_scalar(text),
    })
}

/// The core schema's int and float forms (decimal, 0o, 0x, exponents, .inf, .nan).
fn looks_numeric(t: &str) -> bool {
    let b = t.as_bytes();
    if b.is_empty() {
        return false;
    }
    if let Some(rest) = t.strip_prefix("0x") {
        return !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_hexdigit());
    }
    if let Some(rest) = t.strip_prefix("0o") {
        return !rest.is_empty() && rest.bytes().all(|c| (b'0'..=b'7').contains(&c));
    }
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    if matches!(body, ".inf" | ".Inf" | ".INF") || matches!(t, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mut digits = 0;
    let mut dots = 0;
    for c in mantissa.bytes() {
        match c {
            b'0'..=b'9' => digits += 1,
            b'.' => dots += 1,
            _ => return false,
        }
    }
    if digits == 0 || dots > 1 {
        return false;
    }
    match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Node<'_> {
        parse(text, &Limits::default()).unwrap().root
    }

    #[test]
    fn numbers_follow_the_core_schema() {
        for n in [
            "1",
            "-2",
            "3.5",
            "1e3",
            "0x1F",
            "0o17",
            ".inf",
            "-.inf",
            ".nan",
            "012345678901",
        ] {
            assert!(looks_numeric(n), "{n}");
        }
        for s in ["2010-09-09", "1.2.3", "e3", "-", "0x", "abc", "1_000"] {
            assert!(!looks_numeric(s), "{s}");
        }
    }

    #[test]
    fn getatt_splits_at_first_dot() {
        let root = load("a: !GetAtt Db.Endpoint.Address\n");
        let arg = root.get("a").unwrap().get("Fn::GetAtt").unwrap();
        let parts: Vec<_> = arg.items().iter().map(|n| n.as_str().unwrap()).collect();
        assert_eq!(parts, ["Db", "Endpoint.Address"]);
    }
}
