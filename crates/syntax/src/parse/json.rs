//! A JSON loader that keeps spans.
//!
//! serde_json discards positions, and templates need them for every finding, so this is a small
//! recursive-descent parser over bytes. Recursion is bounded by [`Limits::max_depth`], strings
//! without escapes are borrowed from the input, and duplicate keys are reported.

use super::{Store, Text};

use super::{Entry, KeySet, Limits, Node, ParseError, ParseErrorKind, Parsed, Value};
use crate::source::Span;

/// Parse JSON text into a span-keeping tree (duplicate keys, depth and size within `limits`).
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Parsed<'a>, ParseError> {
    parse_into(text, Store::Heap, limits)
}

/// [`parse`], with the tree's lists and unescaped strings in `store`.
pub fn parse_into<'a>(
    text: &'a str,
    store: Store<'a>,
    limits: &Limits,
) -> Result<Parsed<'a>, ParseError> {
    let mut p = JsonParser {
        store,
        text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        limits: *limits,
        warnings: Vec::new(),
        nodes: store.scratch(text.len() / 64),
        entries: store.scratch(text.len() / 32),
    };
    // A UTF-8 byte order mark is tolerated, as CloudFormation does.
    if p.bytes.starts_with(b"\xEF\xBB\xBF") {
        p.pos = 3;
    }
    p.skip_ws();
    let root = p.value()?;
    p.skip_ws();
    if p.pos < p.bytes.len() {
        return Err(p.error("unexpected content after the end of the JSON document"));
    }
    Ok(Parsed {
        root,
        warnings: p.warnings,
    })
}

struct JsonParser<'a> {
    store: Store<'a>,
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    limits: Limits,
    warnings: Vec<ParseError>,
    /// The items of every open array, innermost last (see the YAML builder's `nodes`).
    nodes: Vec<Node<'a>>,
    /// The entries of every open object.
    entries: Vec<Entry<'a>>,
}

impl<'a> JsonParser<'a> {
    fn error(&self, message: &str) -> ParseError {
        let found = match self.bytes.get(self.pos) {
            None => "end of file".to_string(),
            Some(_) => {
                let c = self.text[self.pos..].chars().next().unwrap_or('?');
                format!("`{}`", c.escape_debug())
            }
        };
        ParseError::new(
            ParseErrorKind::Syntax,
            format!("invalid JSON: {message} (found {found})"),
            Span::empty(self.pos),
        )
    }

    fn skip_ws(&mut self) {
        while let Some(&b) = self.bytes.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn value(&mut self) -> Result<Node<'a>, ParseError> {
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => {
                let start = self.pos;
                let s = self.string()?;
                Ok(Node::new(Span::new(start, self.pos), Value::String(s)))
            }
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value<'a>) -> Result<Node<'a>, ParseError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            let start = self.pos;
            self.pos += word.len();
            Ok(Node::new(Span::new(start, self.pos), value))
        } else {
            Err(self.error("expected a value"))
        }
    }

    fn number(&mut self) -> Result<Node<'a>, ParseError> {
        let start = self.pos;
        if self.bytes[self.pos] == b'-' {
            self.pos += 1;
        }
        let int_start = self.pos;
        self.digits();
        if self.pos == int_start {
            return Err(self.error("expected digits in number"));
        }
        if self.bytes[int_start] == b'0' && self.pos - int_start > 1 {
            self.pos = int_start + 1;
            return Err(self.error("numbers may not have leading zeros"));
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            let frac = self.pos;
            self.digits();
            if self.pos == frac {
                return Err(self.error("expected digits after the decimal point"));
            }
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let exp = self.pos;
            self.digits();
            if self.pos == exp {
                return Err(self.error("expected digits in the exponent"));
            }
        }
        Ok(Node::new(
            Span::new(start, self.pos),
            Value::Number(Text::borrowed(&self.text[start..self.pos])),
        ))
    }

    fn digits(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(ParseError::new(
                ParseErrorKind::Limit,
                format!("nesting deeper than {} levels", self.limits.max_depth),
                Span::empty(self.pos),
            ));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Node<'a>, ParseError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let first = self.entries.len();
        let mut keys = KeySet::default();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                if self.bytes.get(self.pos) != Some(&b'"') {
                    return Err(self.error("expected a string key"));
                }
                let key_start = self.pos;
                let key = self.string()?;
                let key_span = Span::new(key_start, self.pos);
                self.skip_ws();
                if self.bytes.get(self.pos) != Some(&b':') {
                    return Err(self.error("expected `:` after the key"));
                }
                self.pos += 1;
                self.skip_ws();
                let value = self.value()?;
                if keys.seen_before(&self.entries[first..], &key) {
                    self.warnings.push(ParseError::new(
                        ParseErrorKind::DuplicateKey,
                        format!(
                            "duplicate key `{key}`: the later value silently replaces the earlier one"
                        ),
                        key_span,
                    ));
                }
                self.entries.push(Entry {
                    key,
                    key_span,
                    value,
                });
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b'}') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `}`")),
                }
            }
        }
        self.depth -= 1;
        // As in the YAML builder: gathered on a shared stack and moved into a collection of
        // exactly their number, so the tree holds no unused capacity.
        let entries = self.store.list(self.entries.drain(first..));
        Ok(Node::new(Span::new(start, self.pos), Value::Map(entries)))
    }

    fn array(&mut self) -> Result<Node<'a>, ParseError> {
        let start = self.pos;
        self.enter()?;
        self.pos += 1;
        let first = self.nodes.len();
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                let item = self.value()?;
                self.nodes.push(item);
                self.skip_ws();
                match self.bytes.get(self.pos) {
                    Some(b',') => self.pos += 1,
                    Some(b']') => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(self.error("expected `,` or `]`")),
                }
            }
        }
        self.depth -= 1;
        let items = self.store.list(self.nodes.drain(first..));
        Ok(Node::new(Span::new(start, self.pos), Value::Seq(items)))
    }

    /// A string literal; `self.pos` is at the opening quote.
    fn string(&mut self) -> Result<Text<'a>, ParseError> {
        self.pos += 1;
        let start = self.pos;
        // Fast path: no escapes, borrow.
        match memchr::memchr3(b'"', b'\\', b'\n', &self.bytes[self.pos..]) {
            None => {
                self.pos = self.bytes.len();
                return Err(self.error("unterminated string"));
            }
            Some(i) => {
                let at = self.pos + i;
                // Whatever ends the run, the text before it must hold no control character.
                if let Some(bad) = self.bytes[self.pos..at].iter().position(|&b| b < 0x20) {
                    self.pos += bad;
                    return Err(self.error("control character in string"));
                }
                match self.bytes[at] {
                    b'"' => {
                        self.pos = at + 1;
                        return Ok(Text::borrowed(&self.text[start..at]));
                    }
                    b'\n' => {
                        self.pos = at;
                        return Err(self.error("unterminated string (line break inside)"));
                    }
                    // A backslash: decode from here on.
                    _ => self.pos = at,
                }
            }
        }
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        loop {
            let Some(&b) = self.bytes.get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(self.store.text(out));
                }
                b'\\' => {
                    self.pos += 1;
                    let Some(&e) = self.bytes.get(self.pos) else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.pos += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("invalid escape"));
                        }
                    }
                }
                0..=0x1F => return Err(self.error("control character in string")),
                _ => {
                    // Copy the run up to the next quote or backslash at once.
                    let run = memchr::memchr2(b'"', b'\\', &self.bytes[self.pos..])
                        .unwrap_or(self.bytes.len() - self.pos);
                    let chunk = &self.text[self.pos..self.pos + run];
                    if let Some(bad) = chunk.bytes().position(|b| b < 0x20) {
                        self.pos += bad;
                        return Err(self.error("control character in string"));
                    }
                    out.push_str(chunk);
                    self.pos += run;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        // `from_str_radix` alone would take a sign (`\\u+041`): check the digits first.
        let Some(hex) = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        else {
            return Err(self.error("expected four hex digits after \\u"));
        };
        let v = u32::from_str_radix(hex, 16)
            .map_err(|_| self.error("expected four hex digits after \\u"))?;
        self.pos += 4;
        Ok(v)
    }

    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) {
            if !self.bytes[self.pos..].starts_with(b"\\u") {
                return Err(self.error("unpaired surrogate in \\u escape"));
            }
            self.pos += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("invalid low surrogate in \\u escape"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid \\u escape"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Node<'_>, ParseError> {
        parse(text, &Limits::default()).map(|p| p.root)
    }

    #[test]
    fn spans_cover_values_and_keys() {
        let text = r#"{"a": [1, "x"], "b": {"c": null}}"#;
        let root = load(text).unwrap();
        let a = root.entry("a").unwrap();
        assert_eq!(
            &text[a.key_span.start as usize..a.key_span.end as usize],
            "\"a\""
        );
        assert_eq!(
            &text[a.value.span.start as usize..a.value.span.end as usize],
            "[1, \"x\"]"
        );
        let c = root.at(&["b", "c"]).unwrap();
        assert_eq!(&text[c.span.start as usize..c.span.end as usize], "null");
    }

    #[test]
    fn escapes_are_decoded() {
        let root = load(r#"["a\"b\\c\u00e9\ud83d\ude00\n"]"#).unwrap();
        assert_eq!(root.items()[0].as_str(), Some("a\"b\\cé😀\n"));
    }

    #[test]
    fn errors_name_the_position() {
        let err = load("{\"a\": 1,}").unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Syntax);
        assert_eq!(err.span.start, 8);
        assert!(load("[01]").is_err());
        assert!(load("[1] x").is_err());
        assert!(load("\"\\ud800\"").is_err());
        // Found by fuzzing: a sign is not a hex digit.
        assert!(load("\"\\u+041\"").is_err());
        assert!(load("\"\\u-041\"").is_err());
        assert!(load("").is_err());
    }

    #[test]
    fn control_characters_in_strings_are_errors_wherever_they_are() {
        // Found by fuzzing: a control character before an escape slipped through the fast path.
        for text in [
            "[\"a\u{15}b\"]",
            "[\"a\u{15}\\\"b\"]",
            "[\"x\\n\u{1}\"]",
            "[\"a\tb\"]",
        ] {
            let err = load(text).unwrap_err();
            assert!(
                err.message.contains("control character"),
                "{text:?}: {}",
                err.message
            );
            assert_eq!(
                err.span.start as usize,
                text.find(|c: char| c < ' ').unwrap()
            );
        }
    }

    #[test]
    fn duplicate_keys_are_warnings() {
        let p = parse(r#"{"a": 1, "a": 2}"#, &Limits::default()).unwrap();
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].kind, ParseErrorKind::DuplicateKey);
        assert_eq!(p.root.get("a").unwrap().scalar_text().unwrap(), "2");
    }

    #[test]
    fn depth_is_bounded() {
        let deep = "[".repeat(10_000);
        let err = load(&deep).unwrap_err();
        assert_eq!(err.kind, ParseErrorKind::Limit);
    }
}
