//! The recognition stage: parse the text and say what it is (a CloudFormation or SAM
//! template, a Terraform configuration, plan or state, a standalone policy document), or that
//! it is none of these. The parser's warnings (a repeated key) become the file's first findings.

use crate::model::{Format, detect};
use crate::parse::{Bump, Node, ParseError, ParseErrorKind, is_hcl_name, load_into};
use crate::policy::RawFinding;

use super::{Engine, File};

/// What the text is.
pub(super) enum Recognized<'a> {
    /// A template's tree, its format, and the findings its parse raised.
    Template(Node<'a>, Format, Vec<RawFinding>),
    /// Well-formed, but not a template.
    NotTemplate,
    /// Another tool's template language, which does not load as YAML or JSON until that tool
    /// renders it: what it is.
    OtherTool(String),
    /// Not well-formed: the parse error.
    Failed(RawFinding),
}

impl Engine {
    /// Parse `file` and recognize its format.
    pub(super) fn recognize<'a>(&self, file: &File<'a, '_>) -> Recognized<'a> {
        // A `.tf` file's directory parses it too: share that parse (through the sibling cache)
        // rather than parse it twice. A file alone in its directory has no directory check to
        // share with: parsed directly, it is not kept a second time (tree and text) in the cache
        // for the rest of the run.
        let cached = match file.origin {
            Some(path)
                if is_hcl_name(file.name)
                    && !self.options.parse_only
                    && self.listing_of(path).len() > 1 =>
            {
                self.terraform
                    .cached_parse(path, file.text, &self.options.limits)
            }
            _ => None,
        };
        let loaded = match cached {
            Some(parsed) => Ok(parsed),
            None => load_into(file.text, file.name, file.store, &self.options.limits),
        };
        let parsed = match loaded {
            Ok(p) => p,
            Err(e) => {
                return match other_tool(file.text, file.origin) {
                    Some(what) => Recognized::OtherTool(what),
                    None => Recognized::Failed(parse_error_finding(&e)),
                };
            }
        };
        let Some(mut format) = detect(&parsed.root, file.name) else {
            return Recognized::NotTemplate;
        };
        if let Some(kind) = self.configured_document(format, file.relative) {
            format = kind;
        }
        let warnings = parsed.warnings.iter().map(parse_error_finding).collect();
        Recognized::Template(parsed.root, format, warnings)
    }
}

/// Files smaller than this keep their tree on the heap: their memory does not matter, and a
/// check of 20,000 small templates took 10% more CPU with an arena each (its chunk allocated
/// and freed per file).
const ARENA_FROM: usize = 1 << 20;

/// The arena a file's tree is parsed into, if any: a large file's, and not Terraform's (its
/// trees are evaluated in place, which would copy every list of a tree in the arena). Sized
/// for the tree at once, 2.5 times the text: bench/scale's 51 MB template takes about 2 times
/// since entries are 44 bytes (2.45 when they were 56; pages of the reservation never
/// touched cost nothing); reserved at 3 times, its peak under mimalloc was 10 MiB higher
/// (342 against 332 MiB), not lower.
pub(super) fn arena_for(name: &str, text: &str) -> Option<Bump> {
    is_large_tree(name, text).then(|| Bump::with_capacity(text.len() * 5 / 2))
}

/// Whether a file is a large document whose tree is parsed once and read, not evaluated in
/// place: a template, plan or policy document of [`ARENA_FROM`] bytes or more that is not
/// Terraform's (`.tf`, `.tf.json`).
pub(super) fn is_large_tree(name: &str, text: &str) -> bool {
    text.len() >= ARENA_FROM && !is_hcl_name(name) && !crate::model::is_tf_json_name(name)
}

/// What another tool's template a file that does not load is, from its directives: a Helm
/// chart's template (`{{ }}` in a chart's `templates/`), a Terraform `templatefile` source
/// (`%{ if }`, `%{ for }`), a Jinja template (`{% %}`), or a Go or Jinja template (`{{ }}`).
/// Such a file is rendered by its tool before anything deploys it; its syntax error is not one.
fn other_tool(text: &str, origin: Option<&std::path::Path>) -> Option<String> {
    let has = |s: &str| memchr::memmem::find(text.as_bytes(), s.as_bytes()).is_some();
    let directive = |open: &str| {
        text.match_indices(open).any(|(i, _)| {
            let after = text[i + open.len()..].trim_start_matches(['-', '~']);
            after.starts_with([' ', '\t', '.', '$']) || after.starts_with(char::is_alphabetic)
        })
    };
    let in_chart = origin.is_some_and(|p| {
        p.ancestors().skip(1).take(8).any(|d| {
            d.file_name().is_some_and(|n| n == "templates")
                && d.parent().is_some_and(|c| c.join("Chart.yaml").is_file())
        })
    });
    if directive("{{") && has("}}") && in_chart {
        Some("a Helm chart template (`{{ }}` directives), rendered by Helm".to_string())
    } else if directive("%{")
        && (has("%{ if")
            || has("%{ for")
            || has("%{if")
            || has("%{for")
            || has("%{ end")
            || has("%{~"))
    {
        Some("a Terraform template (`%{ }` directives), rendered by templatefile()".to_string())
    } else if directive("{%") && has("%}") {
        Some("a Jinja template (`{% %}` statements)".to_string())
    } else if directive("{{") && has("}}") {
        Some("a Go or Jinja template (`{{ }}` placeholders), rendered by its tool".to_string())
    } else {
        None
    }
}

fn parse_error_finding(e: &ParseError) -> RawFinding {
    let policy = match e.kind {
        ParseErrorKind::Syntax => "PARSE001",
        ParseErrorKind::DuplicateKey => "PARSE002",
        ParseErrorKind::Limit => "PARSE003",
        ParseErrorKind::Unsupported => "PARSE005",
    };
    RawFinding {
        elsewhere: Default::default(),
        policy,
        span: e.span,
        message: e.message.clone().into(),
        resource: None,
        fix: None,
        related: Default::default(),
    }
}
