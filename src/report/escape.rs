//! Text from input (logical IDs, file names, template lines) made safe for a terminal or a CI
//! log: control characters would let a hostile template move the cursor, retitle the window,
//! hide text (ANSI/OSC escapes), or forge CI commands on a line of their own (a newline in a
//! file name followed by `::error`). They are shown visibly instead: `\x1b`, `\n`, `\u{202e}`.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` must not reach a terminal raw. Tabs stay (they are layout); newlines are
/// decided by the caller.
fn is_unsafe(c: char) -> bool {
    let u = c as u32;
    (u < 0x20 && c != '\t')
        || u == 0x7F
        // C1 controls: U+009B is an 8-bit CSI on some terminals.
        || (0x80..=0x9F).contains(&u)
        // Bidirectional overrides and isolates (reordering what a reviewer sees).
        || (0x202A..=0x202E).contains(&u)
        || (0x2066..=0x2069).contains(&u)
}

fn escape_char(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if (c as u32) < 0x100 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
}

/// One line of text: every control character, newlines included, shown escaped.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            escape_char(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Several lines (an excerpt): line breaks kept, every other control character escaped. Also
/// maps byte offsets of `s` to offsets in the result, so labels still point at the right text.
pub fn lines_with_map(s: &str) -> (Cow<'_, str>, Option<Vec<usize>>) {
    let unsafe_here = |c: char| is_unsafe(c) && c != '\n' && c != '\r';
    if !s.chars().any(unsafe_here) {
        return (Cow::Borrowed(s), None);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut map = Vec::with_capacity(s.len() + 1);
    for c in s.chars() {
        let at = out.len();
        if unsafe_here(c) {
            escape_char(&mut out, c);
        } else {
            out.push(c);
        }
        map.extend(std::iter::repeat_n(at, c.len_utf8()));
    }
    map.push(out.len());
    (Cow::Owned(out), Some(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_sent() {
        assert_eq!(line("plain `Id`"), "plain `Id`");
        assert_eq!(line("a\u{1b}[31mred"), "a\\x1b[31mred");
        assert_eq!(line("x\n::error::forged"), "x\\n::error::forged");
        assert_eq!(line("\u{9b}2J"), "\\x9b2J");
        assert_eq!(line("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(line("tab\tkept"), "tab\tkept");
        let (text, map) = lines_with_map("a\u{1b}b\nc");
        assert_eq!(text, "a\\x1bb\nc");
        let map = map.unwrap();
        assert_eq!(map[2], 5, "`b` moved past the escape");
        assert_eq!(map[4], 7);
    }
}
