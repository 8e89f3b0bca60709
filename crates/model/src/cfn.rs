//! CloudFormation (and SAM) templates into the model.

use super::{More, Parameter, Resource, Template};
use crate::parse::{Node, Text};

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
    // Sized once: a doubling Vec of a huge template's resources copies and touches twice the
    // memory it keeps.
    t.resources.reserve_exact(resources.entries().len());
    for e in resources.entries() {
        let node = &e.value;
        // Entries without a string Type (language-extension `Fn::ForEach` blocks, broken
        // resources) are not resources we can check.
        let Some(rtype) = node.get("Type").and_then(Node::as_str) else {
            continue;
        };
        t.resources.push(Resource {
            id: Text::borrowed(&e.key),
            rtype,
            node,
            anchor: e.key_span,
            properties: node.get("Properties"),
            more: More {
                defaults: sam_globals(root, rtype),
                ..More::default()
            }
            .boxed(),
            cloudformation: true,
        });
    }
}

/// The SAM `Globals` section that applies to a resource type.
fn sam_globals<'a>(root: &'a Node<'a>, rtype: &str) -> Option<&'a Node<'a>> {
    let section = match rtype {
        "AWS::Serverless::Function" => "Function",
        "AWS::Serverless::Api" => "Api",
        "AWS::Serverless::HttpApi" => "HttpApi",
        "AWS::Serverless::SimpleTable" => "SimpleTable",
        "AWS::Serverless::StateMachine" => "StateMachine",
        "AWS::Serverless::LayerVersion" => "LayerVersion",
        _ => return None,
    };
    root.at(&["Globals", section])
}
