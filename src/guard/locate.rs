//! Guard's paths (`/Resources/Trail/Properties/IsMultiRegionTrail`) mapped onto tripline's
//! located tree.
//!
//! Guard joins keys with `/` and escapes nothing, so a logical ID or key that holds a `/`
//! (`Trail/One`) spans several segments: at each mapping the longest run of segments that is a
//! key wins. Where Guard's tree and tripline's differ at an intrinsic function (a short-form tag
//! read one way by one parser and another way by the other), the function is stepped over.

use crate::parse::{Node, Value};
use crate::source::Span;

/// Where a path lands.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Located {
    /// The node's own text for a scalar; the key that introduces a mapping or sequence (so a
    /// finding points at `Properties:` rather than at the block below it).
    pub span: Span,
    /// The whole path was found (otherwise `span` is the deepest node that was).
    pub exact: bool,
}

pub(crate) fn locate(root: &Node<'_>, path: &str) -> Located {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut node = root;
    let mut key_span: Option<Span> = None;
    let mut i = 0;
    'walk: while i < segments.len() {
        match &node.value {
            Value::Map(entries) => {
                // Longest run of segments first.
                for j in (i + 1..=segments.len()).rev() {
                    if let Some(entry) = entries
                        .iter()
                        .rev()
                        .find(|e| joined_is(&segments[i..j], &e.key))
                    {
                        key_span = Some(entry.key_span);
                        node = &entry.value;
                        i = j;
                        continue 'walk;
                    }
                }
                match entries.as_slice() {
                    [only] if is_intrinsic(&only.key) => {
                        node = &only.value;
                        continue 'walk;
                    }
                    _ => break,
                }
            }
            Value::Seq(items) => match segments[i].parse::<usize>().ok().and_then(|k| items.get(k))
            {
                Some(item) => {
                    key_span = None;
                    node = item;
                    i += 1;
                }
                None => break,
            },
            _ => break,
        }
    }
    let exact = i == segments.len();
    let span = match (&node.value, key_span) {
        (Value::Map(_) | Value::Seq(_), Some(k)) => k,
        (Value::Map(_) | Value::Seq(_), None) => Span::empty(node.span.start as usize),
        _ => node.span,
    };
    // The document root: the top of the file.
    let span = if segments.is_empty() || (i == 0 && std::ptr::eq(node, root)) {
        Span::empty(0)
    } else {
        span
    };
    Located { span, exact }
}

/// Whether `segments` joined with `/` equal `key`, without building the joined string.
fn joined_is(segments: &[&str], key: &str) -> bool {
    let mut rest = key;
    for (n, s) in segments.iter().enumerate() {
        if n > 0 {
            match rest.strip_prefix('/') {
                Some(r) => rest = r,
                None => return false,
            }
        }
        match rest.strip_prefix(s) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

fn is_intrinsic(key: &str) -> bool {
    key == "Ref" || key == "Condition" || key.starts_with("Fn::")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    fn at(text: &str, path: &str) -> (String, bool) {
        let doc = yaml::parse(text, &Default::default()).unwrap();
        let l = locate(&doc.root, path);
        (
            text[l.span.start as usize..l.span.end as usize].to_string(),
            l.exact,
        )
    }

    #[test]
    fn keys_with_slashes_take_the_longest_match() {
        let t = "Resources:\n  Trail:\n    Type: X\n  Trail/One:\n    Properties:\n      IsMultiRegionTrail: false\n";
        assert_eq!(
            at(t, "/Resources/Trail/One/Properties/IsMultiRegionTrail"),
            ("false".into(), true)
        );
        assert_eq!(at(t, "/Resources/Trail/Type"), ("X".into(), true));
    }

    #[test]
    fn containers_point_at_their_key_and_missing_parts_at_the_deepest_found() {
        let t = "Resources:\n  B:\n    Properties:\n      Tags:\n        - Key: a\n";
        assert_eq!(
            at(t, "/Resources/B/Properties"),
            ("Properties".into(), true)
        );
        assert_eq!(
            at(t, "/Resources/B/Properties/Nope"),
            ("Properties".into(), false)
        );
        assert_eq!(
            at(t, "/Resources/B/Properties/Tags/0/Key"),
            ("a".into(), true)
        );
        assert_eq!(at(t, ""), ("".into(), true));
    }

    #[test]
    fn intrinsic_functions_are_stepped_over() {
        let t = "Resources:\n  B:\n    Properties:\n      Name: !If [c, {Deep: 1}, x]\n";
        // Guard may see the function's operand where tripline sees the function.
        let (text, exact) = at(t, "/Resources/B/Properties/Name/1/Deep");
        assert_eq!((text.as_str(), exact), ("1", true));
    }
}
