//! Source text and positions.
//!
//! Every node the parsers build carries a [`Span`] of byte offsets into the file's text. Lines and
//! columns are derived on demand from a [`LineIndex`], because most nodes are never reported and
//! computing positions eagerly would cost a second pass over every template.

/// A half-open range of byte offsets into a source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// Start byte offset.
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

impl Span {
    /// The bytes `start..end`.
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }

    /// An empty span at `at`.
    pub fn empty(at: usize) -> Span {
        Span::new(at, at)
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers nothing.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A line and column, both 1-based. The column counts Unicode scalar values, which is what people
/// and most editors mean by "column"; the LSP layer converts to UTF-16 itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

/// Byte offsets of line starts, for turning offsets into positions.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<u32>,
    /// Whether the text is all ASCII, where columns are byte differences. Counting characters
    /// instead would make positions on a multi-megabyte single-line file quadratic.
    ascii: bool,
}

impl LineIndex {
    /// Index the line starts of `text`.
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        // Allocated once, at most a start per `\n` or `\r` (counting them is one fast pass):
        // an estimate that fell short doubled the list, a third of it unused.
        let breaks = memchr::memchr2_iter(b'\n', b'\r', bytes).count();
        let mut starts = Vec::with_capacity(breaks + 1);
        starts.push(0);
        // Line breaks as YAML reads them: LF, CRLF, and a CR alone (old Mac files), which
        // would otherwise put a whole file on line 1.
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                continue;
            }
            starts.push(i as u32 + 1);
        }
        LineIndex {
            starts,
            ascii: text.is_ascii(),
        }
    }

    /// How many lines the text has.
    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Byte offset where 0-based line `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.starts
            .get(line)
            .copied()
            .unwrap_or(*self.starts.last().unwrap_or(&0)) as usize
    }

    /// The text of 0-based line `line`, without its line break.
    pub fn line_text<'t>(&self, text: &'t str, line: usize) -> &'t str {
        let start = self.line_start(line);
        let end = if line + 1 < self.starts.len() {
            self.starts[line + 1] as usize
        } else {
            text.len()
        };
        text[start.min(text.len())..end.min(text.len())].trim_end_matches(['\n', '\r'])
    }

    /// The 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&(offset as u32)) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// 1-based position of a byte offset. Offsets inside a multi-byte character count as that
    /// character.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let column = if self.ascii {
            offset - start + 1
        } else {
            count_chars(&text.as_bytes()[start..offset]) + 1
        };
        Position {
            line: line as u32 + 1,
            column: column as u32,
        }
    }
}

/// Positions of offsets visited mostly in increasing order: each step counts characters from
/// the previous offset on the same line, so many findings on one huge non-ASCII line stay
/// linear.
pub struct PositionCursor<'i> {
    index: &'i LineIndex,
    last: Option<(usize, Position)>,
}

impl<'i> PositionCursor<'i> {
    /// A cursor over `index`, starting at the top.
    pub fn new(index: &'i LineIndex) -> PositionCursor<'i> {
        PositionCursor { index, last: None }
    }

    /// The position of `offset` in `text` (fastest when offsets come in increasing order).
    pub fn position(&mut self, text: &str, offset: usize) -> Position {
        let offset = offset.min(text.len());
        let pos = match self.last {
            Some((prev, p))
                if !self.index.ascii
                    && offset >= prev
                    && self.index.line_of(offset) + 1 == p.line as usize =>
            {
                Position {
                    line: p.line,
                    column: p.column + count_chars(&text.as_bytes()[prev..offset]) as u32,
                }
            }
            _ => self.index.position(text, offset),
        };
        self.last = Some((offset, pos));
        pos
    }
}

/// Number of characters in a UTF-8 byte slice (counts non-continuation bytes).
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// A few lines of source around a finding, kept with the finding so that reports can show the
/// offending snippet after the file itself has been dropped (findings outlive their sources when
/// thousands of files are checked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Excerpt {
    /// 1-based number of the first line in `text`.
    pub first_line: u32,
    /// Byte offset in the file where `text` starts.
    pub offset: u32,
    /// 1-based column (in characters) of `text`'s first character on its line: 1 unless a
    /// very long line was cut to a window around the finding.
    pub first_column: u32,
    /// The lines, as written (control characters are escaped when printed).
    pub text: String,
}

/// Longest excerpt we keep; a finding on a huge node shows its first lines only.
const EXCERPT_MAX_LINES: usize = 8;
/// Longest line we keep in an excerpt, so a minified one-line JSON file does not make every
/// finding carry megabytes.
const EXCERPT_MAX_LINE_BYTES: usize = 400;

impl Excerpt {
    /// The lines of `span`, with one line of context before and after.
    pub fn around(text: &str, index: &LineIndex, span: Span) -> Excerpt {
        Excerpt::around_at(text, index, span, None)
    }

    /// [`Excerpt::around`], given the span start's position when the caller knows it (so a
    /// window cut from a huge line is numbered without counting the line's characters again:
    /// many findings on one line stay linear).
    pub fn around_at(
        text: &str,
        index: &LineIndex,
        span: Span,
        start_at: Option<Position>,
    ) -> Excerpt {
        let span_first = index.line_of(span.start as usize);
        let span_last = index
            .line_of(span.end.saturating_sub(1).max(span.start) as usize)
            .min(span_first + EXCERPT_MAX_LINES - 1);
        let first = span_first.saturating_sub(1);
        let last = (span_last + 1).min(index.line_count() - 1);
        let start = index.line_start(first);
        let mut end = if last + 1 < index.line_count() {
            index.line_start(last + 1)
        } else {
            text.len()
        };
        end = end.min(text.len()).max(start);
        let mut start = start;
        let mut first_line = first as u32 + 1;
        let mut first_column = 1;
        if end - start > EXCERPT_MAX_LINE_BYTES * (last - first + 1) {
            // A very long line: keep a window around the span start instead of the whole line,
            // numbered as where the window starts (its line, and its column on that line).
            let from = (span.start as usize).saturating_sub(EXCERPT_MAX_LINE_BYTES / 2);
            start = floor_char_boundary(text, from.max(start));
            end = floor_char_boundary(text, (start + EXCERPT_MAX_LINE_BYTES).min(end));
            let line = index.line_of(start);
            first_line = line as u32 + 1;
            first_column = match start_at {
                // The window starts on the span's line: step back from the span's column.
                Some(p) if index.line_of(span.start as usize) == line => {
                    let between = text
                        .get(start..span.start as usize)
                        .map_or(0, |s| s.chars().count()) as u32;
                    p.column.saturating_sub(between).max(1)
                }
                _ => index.position(text, start).column,
            };
        }
        // A lone CR is a line break (as YAML reads it); renderers that only know LF get an LF
        // in its place (same length, so offsets stay right).
        let raw = text[start..end].trim_end_matches(['\n', '\r']);
        let text = if raw.contains('\r') {
            let bytes = raw.as_bytes();
            let mapped: Vec<u8> = bytes
                .iter()
                .enumerate()
                .map(|(i, &b)| {
                    if b == b'\r' && bytes.get(i + 1) != Some(&b'\n') {
                        b'\n'
                    } else {
                        b
                    }
                })
                .collect();
            String::from_utf8(mapped).unwrap_or_else(|_| raw.to_string())
        } else {
            raw.to_string()
        };
        Excerpt {
            first_line,
            offset: start as u32,
            first_column,
            text,
        }
    }

    /// The excerpt's lines `from..=to` (1-based file line numbers), joined by newlines
    /// (borrowed when that is one line, as most findings' are).
    pub fn lines(&self, from: u32, to: u32) -> std::borrow::Cow<'_, str> {
        let mut picked = split_lines(&self.text)
            .enumerate()
            .filter(|(i, _)| {
                let n = self.first_line + *i as u32;
                n >= from && n <= to
            })
            .map(|(_, l)| l);
        let Some(first) = picked.next() else {
            return std::borrow::Cow::Borrowed("");
        };
        let Some(second) = picked.next() else {
            return std::borrow::Cow::Borrowed(first);
        };
        let mut joined = format!("{first}\n{second}");
        for line in picked {
            joined.push('\n');
            joined.push_str(line);
        }
        std::borrow::Cow::Owned(joined)
    }
}

/// Lines split at LF, CRLF or a lone CR, without their breaks.
pub(crate) fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        match s.find(['\n', '\r']) {
            Some(i) => {
                let skip = if s[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&s[i + skip..]);
                Some(&s[..i])
            }
            None => {
                rest = None;
                Some(s)
            }
        }
    })
}

/// The largest char boundary of `text` at or before `at`.
pub fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Decode `%XX` escapes (of URIs: SARIF artifact locations, LSP document URIs); anything else,
/// including a `%` not followed by two hex digits, is kept as it is.
pub fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let text = "ab\nçd: x\n\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), Position { line: 1, column: 1 });
        assert_eq!(index.position(text, 3), Position { line: 2, column: 1 });
        // 'd' follows a two-byte 'ç'
        assert_eq!(index.position(text, 5), Position { line: 2, column: 2 });
        assert_eq!(index.position(text, 11), Position { line: 4, column: 1 });
    }

    #[test]
    fn excerpt_keeps_the_lines_of_the_span() {
        let text = "a: 1\nb: 2\nc: 3\n";
        let index = LineIndex::new(text);
        let ex = Excerpt::around(text, &index, Span::new(5, 9));
        assert_eq!(ex.first_line, 1);
        assert_eq!(ex.text, "a: 1\nb: 2\nc: 3");
        assert_eq!(ex.offset, 0);
        assert_eq!(ex.lines(2, 2), "b: 2");
    }

    #[test]
    fn excerpt_of_a_huge_line_is_bounded() {
        let text = format!("{{\"a\": \"{}\", \"b\": 1}}", "x".repeat(100_000));
        let index = LineIndex::new(&text);
        let at = text.find("\"b\"").unwrap();
        let ex = Excerpt::around(&text, &index, Span::new(at, at + 3));
        assert!(ex.text.len() <= EXCERPT_MAX_LINE_BYTES);
        assert!(ex.text.contains("\"b\""));
    }
}
