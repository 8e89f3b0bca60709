//! The top-level blocks of a `.tf` text, found without parsing it.
//!
//! hcl-edit keeps every token's decoration and span: its tree of a file takes about 130 times
//! the text (a traversal step is ~100 bytes), so a machine-written file of many blocks peaked at
//! hundreds of MiB. Blocks at the top level are independent, so each is parsed on its own and
//! its tree dropped before the next: memory follows the largest block, not the file.
//!
//! The scan knows just enough HCL to find where a block ends: strings (escapes, `${ }` and
//! `%{ }` sequences, which may hold strings and braces), heredocs, the three comment forms and
//! brace nesting. Anything else at the top level (an attribute, a stray token, text it cannot
//! follow) makes it give up, and the file is parsed whole, as before.

use std::ops::Range;

/// The byte ranges of the top-level blocks and attributes of `text` (with the comments and
/// blank space before each), covering the whole text in order; `None` when the text is not a
/// plain sequence of them.
pub(crate) fn blocks(text: &str) -> Option<Vec<Range<usize>>> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    // Top-level attributes (a `.tfvars` file's): a name given twice is an error of a whole
    // parse, so the text is then parsed whole.
    let mut attributes = std::collections::HashSet::new();
    loop {
        at = skip_space_and_comments(b, at)?;
        if at >= b.len() {
            break;
        }
        // `type "label" label {`, or `name = value`
        if !is_ident_start(b[at]) {
            return None;
        }
        let name = at..ident_end(b, at);
        at = skip_inline_space(b, name.end);
        at = if b.get(at) == Some(&b'=') && b.get(at + 1) != Some(&b'=') {
            if !attributes.insert(&b[name]) {
                return None;
            }
            expression_end(b, at + 1, Ends::Line)?
        } else {
            braces_end(b, block_open(b, at)? + 1)?
        };
        // What follows a block starts on a line of its own (else the file is parsed whole,
        // and hcl-edit says what is wrong).
        let next = skip_space_and_comments(b, at)?;
        if next < b.len() && !b[at..next].contains(&b'\n') {
            return None;
        }
        out.push(start..at);
        start = at;
    }
    match out.last_mut() {
        Some(last) => last.end = b.len(),
        None => return None,
    }
    Some(out)
}

/// A large block's body cut into runs of whole statements, each parsed on its own: one block
/// of 100,000 attributes was a tree of 100 MiB in hcl-edit, parsed at once.
pub(crate) struct BodyRuns {
    /// Just past the block's opening `{`: the header is the text before.
    pub(crate) open: usize,
    /// The block's closing `}`.
    pub(crate) close: usize,
    /// The runs, covering `open..close` in order, each of whole statements (with the space
    /// and comments before them) and about `run_bytes` long.
    pub(crate) runs: Vec<Range<usize>>,
    /// How many statements the body has.
    pub(crate) statements: usize,
}

/// The runs of statements of the one block `block` holds (with the comments and space before
/// and after it); `None` when the scan cannot follow the body (the block is then parsed
/// whole).
pub(crate) fn body_runs(block: &str, run_bytes: usize) -> Option<BodyRuns> {
    let b = block.as_bytes();
    let mut at = skip_space_and_comments(b, 0)?;
    if !is_ident_start(*b.get(at)?) {
        return None;
    }
    at = block_open(b, ident_end(b, at))?;
    let open = at + 1;
    let close = braces_end(b, open)? - 1;
    let (mut runs, mut run_start) = (Vec::new(), open);
    let mut statements = 0;
    at = open;
    loop {
        let previous_end = at;
        at = skip_space_and_comments(b, at)?;
        if at >= close {
            break;
        }
        if !is_ident_start(b[at]) {
            return None;
        }
        at = skip_inline_space(b, ident_end(b, at));
        at = if b.get(at) == Some(&b'=') && b.get(at + 1) != Some(&b'=') {
            expression_end(b, at + 1, Ends::Line)?
        } else {
            braces_end(b, block_open(b, at)? + 1)?
        };
        // A statement ends its line (or the body).
        let next = skip_space_and_comments(b, at)?;
        if next < close && !b[at..next].contains(&b'\n') {
            return None;
        }
        statements += 1;
        // A statement of a run's size or more is a run of its own (its object or tuple may
        // then be cut, see `constructor_runs`).
        if at - previous_end >= run_bytes && previous_end > run_start {
            runs.push(run_start..previous_end);
            run_start = previous_end;
        }
        if at - run_start >= run_bytes {
            runs.push(run_start..at);
            run_start = at;
        }
    }
    if run_start < close || runs.is_empty() {
        runs.push(run_start..close);
    }
    Some(BodyRuns {
        open,
        close,
        runs,
        statements,
    })
}

/// An attribute whose value is an object or tuple constructor (`m = { … }`, `l = [ … ]`), its
/// items cut into runs: hcl-edit looks for a repeated key in an object by comparing it with
/// every key before, so one object of 100,000 keys took 21 s to parse (and its tree 130 times
/// the text).
pub(crate) struct ConstructorRuns {
    /// The attribute's name.
    pub(crate) name: Range<usize>,
    /// The constructor's opening `{` or `[`, and its closing `}` or `]`.
    pub(crate) open: usize,
    pub(crate) close: usize,
    /// Whether it is an object (else a tuple).
    pub(crate) object: bool,
    /// The runs, covering `open + 1..close` in order, each of whole items (with the space,
    /// comments and separators around them), about `run_bytes` long.
    pub(crate) runs: Vec<Range<usize>>,
    /// How many items the constructor has.
    pub(crate) items: usize,
}

/// The runs of items of the constructor that the one attribute `statement` holds (with space
/// and comments around it); `None` when it holds something else or the scan cannot follow it.
pub(crate) fn constructor_runs(statement: &str, run_bytes: usize) -> Option<ConstructorRuns> {
    let b = statement.as_bytes();
    let start = skip_space_and_comments(b, 0)?;
    if !is_ident_start(*b.get(start)?) {
        return None;
    }
    let name = start..ident_end(b, start);
    let mut at = skip_inline_space(b, name.end);
    if b.get(at) != Some(&b'=') || b.get(at + 1) == Some(&b'=') {
        return None;
    }
    at = skip_inline_space(b, at + 1);
    let object = match b.get(at)? {
        b'{' => true,
        b'[' => false,
        _ => return None,
    };
    let open = at;
    let (mut runs, mut run_start) = (Vec::new(), open + 1);
    let mut items = 0;
    at = open + 1;
    let close = loop {
        // Separators: line ends and commas (a tuple's items may be on one line or many).
        at = skip_space_and_comments(b, at)?;
        match b.get(at)? {
            b'}' if object => break at,
            b']' if !object => break at,
            b',' => {
                at += 1;
                continue;
            }
            _ => {}
        }
        // A run ends before an item, after the separator of the one before (HCL accepts a
        // trailing comma).
        if at - run_start >= run_bytes {
            runs.push(run_start..at);
            run_start = at;
        }
        at = if object {
            object_item_end(b, at)?
        } else {
            expression_end(b, at, Ends::Comma)?
        };
        items += 1;
    };
    // Nothing but space and comments after the constructor.
    if skip_space_and_comments(b, close + 1)? != b.len() {
        return None;
    }
    runs.push(run_start..close);
    Some(ConstructorRuns {
        name,
        open,
        close,
        object,
        runs,
        items,
    })
}

/// Where an object item (`key = value` or `key: value`) starting at `at` ends.
fn object_item_end(b: &[u8], mut at: usize) -> Option<usize> {
    at = match b[at] {
        b'"' => string_end(b, at + 1)?,
        b'(' => expression_end(b, at + 1, Ends::Comma)? + 1,
        c if is_ident_start(c) => ident_end(b, at),
        _ => return None,
    };
    at = skip_inline_space(b, at);
    if !matches!(b.get(at), Some(b'=' | b':')) || b.get(at + 1) == Some(&b'=') {
        return None;
    }
    expression_end(b, at + 1, Ends::LineOrComma)
}

/// What ends an expression, besides the close of the brackets around it.
#[derive(Clone, Copy, PartialEq)]
enum Ends {
    /// A line end: an attribute's value.
    Line,
    /// A comma: a tuple's item, or an object key in parentheses.
    Comma,
    /// Either: an object's item.
    LineOrComma,
}

/// Where an expression starting at `at` ends: at what `ends` says, or the close of the
/// brackets around it, each outside brackets, strings, heredocs and comments.
fn expression_end(b: &[u8], mut at: usize, ends: Ends) -> Option<usize> {
    let mut depth = 0usize;
    loop {
        match *b.get(at)? {
            b'\n' if depth == 0 && ends != Ends::Comma => return Some(at),
            b',' if depth == 0 && ends != Ends::Line => return Some(at),
            b'}' | b')' | b']' if depth == 0 => return Some(at),
            b'{' | b'(' | b'[' => {
                depth += 1;
                at += 1;
            }
            b'}' | b')' | b']' => {
                depth -= 1;
                at += 1;
            }
            b'"' => at = string_end(b, at + 1)?,
            b'#' => at = line_end(b, at),
            b'/' if b.get(at + 1) == Some(&b'/') => at = line_end(b, at),
            b'/' if b.get(at + 1) == Some(&b'*') => at = find(b, at + 2, b"*/")? + 2,
            b'<' if b.get(at + 1) == Some(&b'<') => at = heredoc_end(b, at + 2).unwrap_or(at + 2),
            _ => at += 1,
        }
    }
}

/// The `{` that opens a block whose labels start at `at`.
fn block_open(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        at = skip_inline_space(b, at);
        match b.get(at)? {
            b'"' => at = string_end(b, at + 1)?,
            c if is_ident_start(*c) => at = ident_end(b, at),
            b'{' => return Some(at),
            _ => return None,
        }
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn ident_end(b: &[u8], mut at: usize) -> usize {
    while at < b.len() && (b[at].is_ascii_alphanumeric() || matches!(b[at], b'_' | b'-')) {
        at += 1;
    }
    at
}

fn skip_inline_space(b: &[u8], mut at: usize) -> usize {
    while at < b.len() && matches!(b[at], b' ' | b'\t') {
        at += 1;
    }
    at
}

/// Past whitespace and comments (`None`: an unclosed `/*`).
fn skip_space_and_comments(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        match b.get(at) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => at += 1,
            Some(b'#') => at = line_end(b, at),
            Some(b'/') if b.get(at + 1) == Some(&b'/') => at = line_end(b, at),
            Some(b'/') if b.get(at + 1) == Some(&b'*') => {
                let close = find(b, at + 2, b"*/")?;
                at = close + 2;
            }
            _ => return Some(at),
        }
    }
}

fn line_end(b: &[u8], at: usize) -> usize {
    b[at..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |i| at + i)
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

/// Past the `"` that closes a string whose content starts at `at`.
fn string_end(b: &[u8], mut at: usize) -> Option<usize> {
    loop {
        match *b.get(at)? {
            b'"' => return Some(at + 1),
            b'\\' => at += 2,
            b'\n' => return None,
            // `$${` and `%%{` are the literal text, not a sequence.
            b'$' | b'%' if b.get(at + 1) == Some(&b[at]) && b.get(at + 2) == Some(&b'{') => at += 3,
            b'$' | b'%' if b.get(at + 1) == Some(&b'{') => at = braces_end(b, at + 2)?,
            _ => at += 1,
        }
    }
}

/// Past the `}` that closes a brace opened just before `at`, through expressions: nested
/// braces, strings, heredocs and comments.
fn braces_end(b: &[u8], mut at: usize) -> Option<usize> {
    let mut depth = 1usize;
    loop {
        match *b.get(at)? {
            b'{' => {
                depth += 1;
                at += 1;
            }
            b'}' => {
                depth -= 1;
                at += 1;
                if depth == 0 {
                    return Some(at);
                }
            }
            b'"' => at = string_end(b, at + 1)?,
            b'#' => at = line_end(b, at),
            b'/' if matches!(b.get(at + 1), Some(b'/' | b'*')) => {
                at = skip_space_and_comments(b, at)?
            }
            b'<' if b.get(at + 1) == Some(&b'<') => at = heredoc_end(b, at + 2).unwrap_or(at + 2),
            _ => at += 1,
        }
    }
}

/// Past the closing marker line of a heredoc whose `<<` ends just before `at` (`None`: not a
/// heredoc, such as a shift in an expression, which HCL does not have but a scan must not
/// misread).
fn heredoc_end(b: &[u8], mut at: usize) -> Option<usize> {
    if b.get(at) == Some(&b'-') {
        at += 1;
    }
    let marker_start = at;
    let marker_end = ident_end(b, at);
    if marker_end == marker_start || !is_ident_start(b[marker_start]) {
        return None;
    }
    let marker = &b[marker_start..marker_end];
    let mut line = line_end(b, marker_end);
    if b[marker_end..line]
        .iter()
        .any(|c| !matches!(c, b' ' | b'\t' | b'\r'))
    {
        return None;
    }
    // Each following line: the heredoc ends at one that is the marker alone (indented for
    // `<<-`, and in practice for `<<` too, which Terraform also accepts).
    loop {
        let start = line + 1;
        if start > b.len() {
            return None;
        }
        let end = line_end(b, start);
        let content = trim(&b[start..end]);
        if content == marker {
            return Some(end);
        }
        line = end;
    }
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &s[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(text: &str) -> Vec<&str> {
        blocks(text)
            .unwrap()
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn blocks_end_where_their_brace_closes() {
        let text = "# a\nresource \"a\" \"b\" {\n  x = \"}\"\n  y = \"${f(\"}\")}\"\n  z = {a = {}}\n} # end\n\nlocals {\n  h = <<-EOT\n    }\n    EOT\n  /* } */ k = 1 // }\n}\n";
        let got = pieces(text);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].starts_with("# a\nresource"));
        assert!(got[0].ends_with("}"));
        assert!(got[1].starts_with(" # end\n\nlocals {"));
        assert_eq!(got.concat(), text);
    }

    #[test]
    fn escapes_and_literal_sequences_do_not_open_anything() {
        let text = "a {\n  x = \"$${not} \\\" %%{also}\"\n}\nb {\n}\n";
        assert_eq!(pieces(text).len(), 2);
    }

    fn runs(block: &str, run_bytes: usize) -> Vec<&str> {
        let parts = body_runs(block, run_bytes).unwrap();
        assert_eq!(&block[parts.close..parts.close + 1], "}");
        assert_eq!(parts.runs.first().unwrap().start, parts.open);
        assert_eq!(parts.runs.last().unwrap().end, parts.close);
        parts.runs.iter().map(|r| &block[r.clone()]).collect()
    }

    #[test]
    fn a_body_is_cut_between_statements_only() {
        let block = "# c\nresource \"a\" \"b\" {\n  x = [\n    1,\n  ]\n  y = \"}\" # }\n  h = <<EOT\n}\nEOT\n  n {\n    z = (1 +\n 2)\n  }\n  /* } */ w = {a = 1}\n}\n";
        // Every statement in a run of its own.
        let got = runs(block, 1);
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(got[0], "\n  x = [\n    1,\n  ]");
        // A comment after an attribute stays with it.
        assert_eq!(got[1], "\n  y = \"}\" # }");
        assert!(got[4].ends_with("w = {a = 1}"), "{got:?}");
        assert_eq!(got[5], "\n");
        // Runs of several statements.
        assert_eq!(runs(block, 1000).concat(), got.concat());
        assert_eq!(runs("a { x = 1 }", 1), vec![" x = 1 "]);
        assert_eq!(runs("a {}", 1), vec![""]);
    }

    #[test]
    fn a_body_the_scan_cannot_follow_is_not_cut() {
        assert!(body_runs("a {\n  1 = 2\n}\n", 1).is_none());
        assert!(body_runs("a {\n  n { } m { }\n}\n", 1).is_none());
        assert!(body_runs("a {\n  \"x\" = 1\n}\n", 1).is_none());
        assert!(body_runs("a {\n  x = \"unclosed\n}\n", 1).is_none());
        assert!(body_runs("a {\n  x = 1\n", 1).is_none());
    }

    #[test]
    fn attributes_at_the_top_are_pieces_when_their_names_differ() {
        assert_eq!(pieces("x = 1\ny = {\n  a = 1\n}\nb {\n}\n").len(), 3);
        assert_eq!(blocks("x = 1\nx = 2\n"), None);
    }

    #[test]
    fn anything_else_at_the_top_gives_up() {
        assert_eq!(blocks("a {\n"), None);
        assert_eq!(blocks("a \"unclosed {\n}\n"), None);
        assert_eq!(blocks(""), None);
        assert_eq!(blocks("a {\n} b {\n}\n"), None);
    }
}
