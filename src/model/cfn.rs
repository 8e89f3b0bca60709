//! CloudFormation (and SAM) templates into the model.

use std::borrow::Cow;

use super::{Parameter, Resource, Template};
use crate::parse::Node;

pub(super) fn load<'a>(t: &mut Template<'a>) {
    let root = t.root;
    t.metadata = root.get("Metadata");
    if let Some(params) = root.get("Parameters") {
        for e in params.entries() {
            t.parameters.push(Parameter {
                name: &e.key,
                node: &e.value,
                default: e.value.get("Default"),
            });
        }
    }
    let Some(resources) = root.get("Resources") else {
        return;
    };
    for e in resources.entries() {
        let node = &e.value;
        // Entries without a string Type (language-extension `Fn::ForEach` blocks, broken
        // resources) are not resources we can check.
        let Some(rtype) = node.get("Type").and_then(Node::as_str) else {
            continue;
        };
        t.resources.push(Resource {
            id: Cow::Borrowed(&e.key),
            rtype,
            node,
            anchor: e.key_span,
            properties: node.get("Properties"),
            unknown: None,
            metadata: node.get("Metadata"),
            deletion_policy: node.get("DeletionPolicy"),
            condition: node.get("Condition").and_then(Node::as_str),
            provider: None,
        });
    }
}
