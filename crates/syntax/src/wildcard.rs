//! `*` and `?` wildcards, as IAM matches actions and as suppressions match resource names.

/// Whether `text` matches `pattern` (`*` any run, `?` any one byte), optionally without regard
/// to ASCII case. Iterative with single-star backtracking: linear in practice, no recursion, so
/// hostile patterns cannot exhaust the stack.
pub fn matches(pattern: &[u8], text: &[u8], ignore_case: bool) -> bool {
    let same = |a: u8, b: u8| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut t) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || same(pattern[p], text[t])) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn wildcards_and_case() {
        assert!(matches(b"aws_s3_bucket.*", b"aws_s3_bucket.logs", false));
        assert!(matches(b"Log?Bucket", b"LogsBucket", false));
        assert!(!matches(b"logsbucket", b"LogsBucket", false));
        assert!(matches(b"logsbucket", b"LogsBucket", true));
        assert!(matches(b"*", b"", false));
        assert!(!matches(b"a*b", b"acd", false));
        let hostile = "*a".repeat(64);
        assert!(matches(
            hostile.as_bytes(),
            "a".repeat(200).as_bytes(),
            false
        ));
    }
}
