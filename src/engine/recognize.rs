//! The recognition stage: parse the text and say what it is (a CloudFormation or SAM
//! template, a Terraform configuration, plan or state, a standalone policy document), or that
//! it is none of these. The parser's warnings (a repeated key) become the file's first findings.

use crate::model::{Format, detect};
use crate::parse::{ParseError, ParseErrorKind, Parsed, is_hcl_name, load};
use crate::policy::RawFinding;

use super::{Engine, File};

/// What the text is.
pub(super) enum Recognized<'a> {
    /// A template of this format, with the findings its parse raised.
    Template(Parsed<'a>, Format, Vec<RawFinding>),
    /// Well-formed, but not a template.
    NotTemplate,
    /// Not well-formed: the parse error.
    Failed(RawFinding),
}

impl Engine {
    /// Parse `file` and recognize its format.
    pub(super) fn recognize<'a>(&self, file: &File<'a, '_>) -> Recognized<'a> {
        // A `.tf` file's directory parses it too: share that parse (through the sibling cache)
        // rather than parse it twice.
        let cached = match file.origin {
            Some(path) if is_hcl_name(file.name) && !self.options.parse_only => self
                .terraform
                .cached_parse(path, file.text, &self.options.limits),
            _ => None,
        };
        let loaded = match cached {
            Some(parsed) => Ok(parsed),
            None => load(file.text, file.name, &self.options.limits),
        };
        let parsed = match loaded {
            Ok(p) => p,
            Err(e) => return Recognized::Failed(parse_error_finding(&e)),
        };
        let Some(mut format) = detect(&parsed.root, file.name) else {
            return Recognized::NotTemplate;
        };
        if let Some(kind) = self.configured_document(format, file.relative) {
            format = kind;
        }
        let warnings = parsed.warnings.iter().map(parse_error_finding).collect();
        Recognized::Template(parsed, format, warnings)
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
        elsewhere: Vec::new(),
        policy,
        span: e.span,
        message: e.message.clone(),
        resource: None,
        fix: None,
        related: Vec::new(),
    }
}
