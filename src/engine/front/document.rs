//! The front end of a standalone IAM policy document (an SCP, an RCP, an identity or a resource
//! policy in a file of its own). Its statements have no principal to say which kind it is: the
//! config's `[[documents]]` may say it, else the kind is assumed from the document.

use crate::model::{DocumentKind, Format, KindBasis, Template};
use crate::policy::coverage::RawEvidence;
use crate::policy::organization::{Control, Reach, Role, Target};

use crate::engine::Engine;

impl Engine {
    /// The format of a standalone document whose kind was assumed, when the config's
    /// `[[documents]]` says what the file at `relative` is; `None` to keep `format`.
    pub(in crate::engine) fn configured_document(
        &self,
        format: Format,
        relative: &str,
    ) -> Option<Format> {
        let Format::PolicyDocument { basis, .. } = format else {
            return None;
        };
        if basis != KindBasis::Assumed {
            return None;
        }
        let (_, kind, _) = self
            .documents
            .iter()
            .find(|(g, _, _)| g.is_match(relative))?;
        Some(Format::PolicyDocument {
            kind: *kind,
            basis: KindBasis::Config,
        })
    }
}

impl Engine {
    /// Where the config attaches a standalone SCP or RCP (`[[documents]] targets`), as the
    /// organization's shape: such a document has no attachment in code.
    pub(in crate::engine) fn document_reach(
        &self,
        format: Format,
        relative: &str,
        template: &Template<'_>,
    ) -> Option<RawEvidence> {
        let Format::PolicyDocument { kind, .. } = format else {
            return None;
        };
        let control = match kind {
            DocumentKind::ServiceControl => Control::Service,
            DocumentKind::ResourceControl => Control::Resource,
            _ => return None,
        };
        let (_, _, targets) = self
            .documents
            .iter()
            .find(|(g, _, t)| !t.is_empty() && g.is_match(relative))?;
        let r = template.resources.first()?;
        let reach = Reach {
            control,
            targets: targets.iter().cloned().map(Target::Literal).collect(),
            unknown_targets: false,
            allows: Vec::new(),
            allow_list: false,
            full_access: false,
        };
        Some(RawEvidence::shape(r, Role::Policy(reach)))
    }
}
