//! The front end of a standalone IAM policy document (an SCP, an RCP, an identity or a resource
//! policy in a file of its own). Its statements have no principal to say which kind it is: the
//! config's `[[documents]]` may say it, else the kind is assumed from the document.

use crate::model::{Format, KindBasis};

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
        let (_, kind) = self.documents.iter().find(|(g, _)| g.is_match(relative))?;
        Some(Format::PolicyDocument {
            kind: *kind,
            basis: KindBasis::Config,
        })
    }
}
