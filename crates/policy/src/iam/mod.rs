//! IAM policy semantics shared by every policy that reads IAM documents: where documents live in
//! CloudFormation and Terraform, how statements, actions and principals are read, and how IAM
//! matches actions (case-insensitive wildcards, `NotAction`, explicit denies).

pub mod attach;
pub mod condition;
pub mod managed;
pub mod principal;

use crate::model::{Template, Val};
use crate::parse::{Limits, Node, Text, Value, json};
use crate::source::Span;

/// What a document governs (the model's [`crate::model::DocumentKind`]).
pub use crate::model::DocumentKind as DocKind;

/// An IAM document found in a template.
#[derive(Debug)]
pub struct PolicyDocument<'a> {
    /// Index of the owning resource in [`Template::resources`] (32 bits: a template's 140,000
    /// documents take 32 bytes each instead of 40). Read with [`PolicyDocument::resource`].
    resource: u32,
    /// What the document governs (identity, trust, resource, SCP).
    pub kind: DocKind,
    /// The property holding the document (for an attached AWS managed policy: the ARN that
    /// attaches it).
    pub span: Span,
    /// The document (with the name of the AWS managed policy it is, when it was attached by
    /// ARN or name: kept with the parsed document, as only such are, so that a template's
    /// 140,000 documents take 40 bytes each instead of 56).
    root: DocRoot<'a>,
}

/// A resource index as a document keeps it.
fn index32(index: usize) -> u32 {
    u32::try_from(index).expect("fewer than 4 billion resources (files are bounded far below)")
}

#[derive(Debug)]
enum DocRoot<'a> {
    /// Written as structure in the template.
    Tree(&'a Node<'a>),
    /// Written as a JSON string (Terraform `jsonencode` output, CloudFormation string
    /// properties, AWS managed policies); parsed, with every node given the string's span,
    /// and the managed policy's name.
    Parsed(Box<(Node<'static>, Option<&'static str>)>),
}

impl<'a> PolicyDocument<'a> {
    /// The document's root node (`Statement` lives under it).
    pub fn root(&self) -> &Node<'_> {
        match &self.root {
            DocRoot::Tree(n) => n,
            DocRoot::Parsed(parsed) => &parsed.0,
        }
    }

    /// Index of the owning resource in [`Template::resources`].
    pub fn resource(&self) -> usize {
        self.resource as usize
    }

    /// The AWS managed policy this document is, when it was attached by ARN or name.
    pub fn managed(&self) -> Option<&'static str> {
        match &self.root {
            DocRoot::Tree(_) => None,
            DocRoot::Parsed(parsed) => parsed.1,
        }
    }
}

/// Where documents sit: resource type, property path, kind. A path element `[]` means "each item
/// of this list".
const LOCATIONS: &[(&str, &[&str], DocKind)] = &[
    // CloudFormation
    ("AWS::IAM::Policy", &["PolicyDocument"], DocKind::Identity),
    (
        "AWS::IAM::ManagedPolicy",
        &["PolicyDocument"],
        DocKind::Identity,
    ),
    (
        "AWS::IAM::RolePolicy",
        &["PolicyDocument"],
        DocKind::Identity,
    ),
    (
        "AWS::IAM::UserPolicy",
        &["PolicyDocument"],
        DocKind::Identity,
    ),
    (
        "AWS::IAM::GroupPolicy",
        &["PolicyDocument"],
        DocKind::Identity,
    ),
    (
        "AWS::IAM::Role",
        &["AssumeRolePolicyDocument"],
        DocKind::Trust,
    ),
    (
        "AWS::IAM::Role",
        &["Policies", "[]", "PolicyDocument"],
        DocKind::Identity,
    ),
    (
        "AWS::IAM::User",
        &["Policies", "[]", "PolicyDocument"],
        DocKind::Identity,
    ),
    (
        "AWS::IAM::Group",
        &["Policies", "[]", "PolicyDocument"],
        DocKind::Identity,
    ),
    (
        "AWS::SSO::PermissionSet",
        &["InlinePolicy"],
        DocKind::Identity,
    ),
    (
        "AWS::Organizations::Policy",
        &["Content"],
        DocKind::ServiceControl,
    ),
    (
        "AWS::Serverless::Function",
        &["Policies"],
        DocKind::Identity,
    ),
    (
        "AWS::Serverless::Function",
        &["Policies", "[]"],
        DocKind::Identity,
    ),
    ("AWS::KMS::Key", &["KeyPolicy"], DocKind::Resource),
    (
        "AWS::S3::BucketPolicy",
        &["PolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::SQS::QueuePolicy",
        &["PolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::SNS::TopicPolicy",
        &["PolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::SecretsManager::ResourcePolicy",
        &["ResourcePolicy"],
        DocKind::Resource,
    ),
    (
        "AWS::ECR::Repository",
        &["RepositoryPolicyText"],
        DocKind::Resource,
    ),
    (
        "AWS::OpenSearchService::Domain",
        &["AccessPolicies"],
        DocKind::Resource,
    ),
    (
        "AWS::Elasticsearch::Domain",
        &["AccessPolicies"],
        DocKind::Resource,
    ),
    ("AWS::ApiGateway::RestApi", &["Policy"], DocKind::Resource),
    (
        "AWS::EFS::FileSystem",
        &["FileSystemPolicy"],
        DocKind::Resource,
    ),
    (
        "AWS::Backup::BackupVault",
        &["AccessPolicy"],
        DocKind::Resource,
    ),
    (
        "AWS::Logs::ResourcePolicy",
        &["PolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::Events::EventBusPolicy",
        &["Statement"],
        DocKind::Resource,
    ),
    ("AWS::Events::EventBus", &["Policy"], DocKind::Resource),
    ("AWS::S3::AccessPoint", &["Policy"], DocKind::Resource),
    (
        "AWS::S3ObjectLambda::AccessPointPolicy",
        &["PolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::S3Express::BucketPolicy",
        &["PolicyDocument"],
        DocKind::Resource,
    ),
    ("AWS::KMS::ReplicaKey", &["KeyPolicy"], DocKind::Resource),
    (
        "AWS::ECR::RegistryPolicy",
        &["PolicyText"],
        DocKind::Resource,
    ),
    (
        "AWS::ECR::PublicRepository",
        &["RepositoryPolicyText"],
        DocKind::Resource,
    ),
    (
        "AWS::CodeArtifact::Domain",
        &["PermissionsPolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::CodeArtifact::Repository",
        &["PermissionsPolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::Kinesis::ResourcePolicy",
        &["ResourcePolicy"],
        DocKind::Resource,
    ),
    (
        "AWS::DynamoDB::Table",
        &["ResourcePolicy", "PolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::DynamoDB::GlobalTable",
        &["Replicas", "[]", "ResourcePolicy", "PolicyDocument"],
        DocKind::Resource,
    ),
    (
        "AWS::VpcLattice::AuthPolicy",
        &["Policy"],
        DocKind::Resource,
    ),
    (
        "AWS::VpcLattice::ResourcePolicy",
        &["Policy"],
        DocKind::Resource,
    ),
    ("AWS::MediaStore::Container", &["Policy"], DocKind::Resource),
    (
        "AWS::Logs::Destination",
        &["DestinationPolicy"],
        DocKind::Resource,
    ),
    (
        "AWS::CloudTrail::ResourcePolicy",
        &["ResourcePolicy"],
        DocKind::Resource,
    ),
    ("AWS::IoT::Policy", &["PolicyDocument"], DocKind::Identity),
    // Terraform (aws provider)
    ("aws_iam_policy", &["policy"], DocKind::Identity),
    ("aws_iam_role_policy", &["policy"], DocKind::Identity),
    ("aws_iam_user_policy", &["policy"], DocKind::Identity),
    ("aws_iam_group_policy", &["policy"], DocKind::Identity),
    ("aws_iam_role", &["assume_role_policy"], DocKind::Trust),
    (
        "aws_iam_role",
        &["inline_policy", "[]", "policy"],
        DocKind::Identity,
    ),
    (
        "aws_ssoadmin_permission_set_inline_policy",
        &["inline_policy"],
        DocKind::Identity,
    ),
    (
        "aws_organizations_policy",
        &["content"],
        DocKind::ServiceControl,
    ),
    ("aws_kms_key", &["policy"], DocKind::Resource),
    ("aws_kms_key_policy", &["policy"], DocKind::Resource),
    ("aws_s3_bucket_policy", &["policy"], DocKind::Resource),
    ("aws_s3_bucket", &["policy"], DocKind::Resource),
    ("aws_sqs_queue_policy", &["policy"], DocKind::Resource),
    ("aws_sqs_queue", &["policy"], DocKind::Resource),
    ("aws_sns_topic_policy", &["policy"], DocKind::Resource),
    ("aws_sns_topic", &["policy"], DocKind::Resource),
    (
        "aws_secretsmanager_secret_policy",
        &["policy"],
        DocKind::Resource,
    ),
    ("aws_secretsmanager_secret", &["policy"], DocKind::Resource),
    ("aws_ecr_repository_policy", &["policy"], DocKind::Resource),
    (
        "aws_opensearch_domain_policy",
        &["access_policies"],
        DocKind::Resource,
    ),
    (
        "aws_opensearch_domain",
        &["access_policies"],
        DocKind::Resource,
    ),
    (
        "aws_elasticsearch_domain",
        &["access_policies"],
        DocKind::Resource,
    ),
    (
        "aws_elasticsearch_domain_policy",
        &["access_policies"],
        DocKind::Resource,
    ),
    ("aws_api_gateway_rest_api", &["policy"], DocKind::Resource),
    (
        "aws_api_gateway_rest_api_policy",
        &["policy"],
        DocKind::Resource,
    ),
    ("aws_efs_file_system_policy", &["policy"], DocKind::Resource),
    ("aws_backup_vault_policy", &["policy"], DocKind::Resource),
    (
        "aws_cloudwatch_log_resource_policy",
        &["policy_document"],
        DocKind::Resource,
    ),
    ("aws_glacier_vault", &["access_policy"], DocKind::Resource),
    // More resource policies (reviewed against the CloudFormation resource reference and the
    // aws provider): each can grant everyone or another account.
    ("aws_s3_access_point", &["policy"], DocKind::Resource),
    (
        "aws_s3control_access_point_policy",
        &["policy"],
        DocKind::Resource,
    ),
    ("aws_kms_replica_key", &["policy"], DocKind::Resource),
    ("aws_ecr_registry_policy", &["policy"], DocKind::Resource),
    (
        "aws_ecrpublic_repository_policy",
        &["policy"],
        DocKind::Resource,
    ),
    (
        "aws_codeartifact_domain_permissions_policy",
        &["policy_document"],
        DocKind::Resource,
    ),
    (
        "aws_codeartifact_repository_permissions_policy",
        &["policy_document"],
        DocKind::Resource,
    ),
    (
        "aws_kinesis_resource_policy",
        &["policy"],
        DocKind::Resource,
    ),
    (
        "aws_dynamodb_resource_policy",
        &["policy"],
        DocKind::Resource,
    ),
    (
        "aws_cloudwatch_event_bus_policy",
        &["policy"],
        DocKind::Resource,
    ),
    ("aws_vpclattice_auth_policy", &["policy"], DocKind::Resource),
    (
        "aws_vpclattice_resource_policy",
        &["policy"],
        DocKind::Resource,
    ),
    (
        "aws_media_store_container_policy",
        &["policy"],
        DocKind::Resource,
    ),
    ("aws_glue_resource_policy", &["policy"], DocKind::Resource),
    (
        "aws_cloudwatch_log_destination_policy",
        &["access_policy"],
        DocKind::Resource,
    ),
    (
        "aws_networkfirewall_resource_policy",
        &["policy"],
        DocKind::Resource,
    ),
    (
        "aws_schemas_registry_policy",
        &["policy"],
        DocKind::Resource,
    ),
    ("aws_iot_policy", &["policy"], DocKind::Identity),
];

/// Whether resources of type `rtype` hold policy documents (inline, or by attaching a managed
/// policy): what a policy that reads statements declares among its resource types.
pub fn holds_documents(rtype: &str) -> bool {
    LOCATIONS.iter().any(|(t, _, _)| *t == rtype)
        || MANAGED_ATTACHMENTS.iter().any(|(t, _)| *t == rtype)
}

/// Every IAM document in the template.
pub fn documents<'a>(t: &Template<'a>) -> Vec<PolicyDocument<'a>> {
    let mut out = Vec::new();
    if let Some(kind) = t.document_kind() {
        // A standalone document: its root is the document.
        out.push(PolicyDocument {
            resource: 0,
            kind,
            span: t.root.get("Statement").map_or(t.root.span, |s| s.span),
            root: DocRoot::Tree(t.root),
        });
        return out;
    }
    // Most resources hold no policy document: their type is looked up once instead of being
    // compared with every location's (most of the work of a template of many resources).
    let holders: std::collections::HashSet<&str> = LOCATIONS
        .iter()
        .map(|(rtype, _, _)| *rtype)
        .chain(MANAGED_ATTACHMENTS.iter().map(|(rtype, _)| *rtype))
        .collect();
    for (index, r) in t.resources.iter().enumerate() {
        let Some(props) = r.properties else { continue };
        if !holders.contains(r.rtype) {
            continue;
        }
        for (rtype, path, kind) in LOCATIONS {
            if *rtype != r.rtype {
                continue;
            }
            let kind = match kind {
                DocKind::ServiceControl => match organization_policy_kind(t, r.properties) {
                    Some(k) => k,
                    None => continue,
                },
                k => *k,
            };
            let mut nodes = vec![props];
            for step in path.iter() {
                let mut next = Vec::new();
                for n in nodes {
                    if *step == "[]" {
                        next.extend(t.items(n));
                    } else if let Some(child) = n.get(step) {
                        next.push(child);
                    }
                }
                nodes = next;
            }
            for node in nodes {
                collect_document(t, index, kind, node, &mut out);
            }
        }
        for (rtype, key) in MANAGED_ATTACHMENTS {
            if *rtype == r.rtype
                && let Some(node) = r.prop(key)
            {
                collect_managed(t, index, node, &mut out);
            }
        }
    }
    out.shrink_to_fit();
    out
}

/// Where AWS managed policies are attached by ARN (or, for SAM and permission sets, by name).
pub(crate) const MANAGED_ATTACHMENTS: &[(&str, &str)] = &[
    ("AWS::IAM::Role", "ManagedPolicyArns"),
    ("AWS::IAM::User", "ManagedPolicyArns"),
    ("AWS::IAM::Group", "ManagedPolicyArns"),
    ("AWS::SSO::PermissionSet", "ManagedPolicies"),
    ("AWS::Serverless::Function", "Policies"),
    ("aws_iam_role", "managed_policy_arns"),
    ("aws_iam_role_policy_attachment", "policy_arn"),
    ("aws_iam_user_policy_attachment", "policy_arn"),
    ("aws_iam_group_policy_attachment", "policy_arn"),
    ("aws_iam_policy_attachment", "policy_arn"),
    (
        "aws_ssoadmin_managed_policy_attachment",
        "managed_policy_arn",
    ),
];

/// The AWS managed policies a property attaches, as documents at the ARN that names each.
fn collect_managed<'a>(
    t: &Template<'a>,
    resource: usize,
    node: &'a Node<'a>,
    out: &mut Vec<PolicyDocument<'a>>,
) {
    let by_name = matches!(
        t.resources[resource].rtype,
        "AWS::Serverless::Function" | "AWS::SSO::PermissionSet"
    );
    for (text, span) in crate::model::lookup::partial_texts(t, node) {
        let name = match managed::name_of_arn(&text) {
            Some(n) => n,
            None if by_name && !text.contains(':') && !crate::model::has_unknown(&text) => &text,
            None => continue,
        };
        let Some((name, json_text)) = managed::document(name) else {
            continue;
        };
        if let Some(parsed) = parse_embedded(json_text, span) {
            out.push(PolicyDocument {
                resource: index32(resource),
                kind: DocKind::Identity,
                span,
                root: DocRoot::Parsed(Box::new((parsed, Some(name)))),
            });
        }
    }
}

/// `AWS::Organizations::Policy` and `aws_organizations_policy` hold several policy types; the
/// IAM-like ones are service control policies (the default type) and resource control
/// policies. Tag, backup and AI opt-out policies are not IAM documents (`None`), and neither is
/// a policy whose type cannot be known.
fn organization_policy_kind(t: &Template<'_>, props: Option<&Node<'_>>) -> Option<DocKind> {
    let props = props?;
    let Some(type_node) = props.get("Type").or_else(|| props.get("type")) else {
        return Some(DocKind::ServiceControl);
    };
    let texts = t.texts(type_node);
    let is = |name: &str| texts.iter().any(|(s, _)| s.eq_ignore_ascii_case(name));
    if is("SERVICE_CONTROL_POLICY") {
        Some(DocKind::ServiceControl)
    } else if is("RESOURCE_CONTROL_POLICY") {
        Some(DocKind::ResourceControl)
    } else {
        None
    }
}

fn collect_document<'a>(
    t: &Template<'a>,
    resource: usize,
    kind: DocKind,
    node: &'a Node<'a>,
    out: &mut Vec<PolicyDocument<'a>>,
) {
    let document = |root| PolicyDocument {
        resource: index32(resource),
        kind,
        span: node.span,
        root,
    };
    let parsed = |n: Node<'static>| document(DocRoot::Parsed(Box::new((n, None))));
    if t.format == crate::model::Format::TerraformConfig
        && let Value::String(raw) = &node.value
    {
        // Terraform JSON syntax: a policy string is JSON with `${...}` interpolations inside
        // its strings. Parsed as written, they stay in the document's values, where the IAM
        // model reads them as expressions (`arn:aws:iam::${var.account_id}:root` is still a
        // root principal); evaluating first would turn them into anonymous unknowns. Or it is
        // `${jsonencode({...})}`, whose HCL expression is the document, with positions inside
        // the string.
        let found = if raw.trim_start().starts_with('{') {
            parse_embedded(raw, node.span)
        } else {
            parse_interpolated_document(t, raw, node.span)
        };
        if let Some(n) = found {
            out.push(parsed(n));
            return;
        }
    }
    for r in t.eval(node) {
        match r.val {
            Val::Map(m) if m.get("Statement").is_some() => out.push(document(DocRoot::Tree(m))),
            Val::Str(s) if s.trim_start().starts_with('{') => {
                out.extend(parse_embedded(&s, node.span).map(parsed));
            }
            _ => {}
        }
    }
}

/// A Terraform string that is one interpolation of an expression encoding a policy
/// (`${jsonencode({...})}`), parsed into a document whose positions are those in the file when
/// the file's text is known (else the string's).
fn parse_interpolated_document(t: &Template<'_>, raw: &str, span: Span) -> Option<Node<'static>> {
    // One interpolation and nothing else, not `${a}-${b}`.
    let segments = crate::model::terraform_segments(raw.trim());
    let [crate::model::Segment::Expr(inner)] = segments.as_slice() else {
        return None;
    };
    let inner = *inner;
    let offset_in_raw = raw.find("${")? + 2;
    let mut root = crate::parse::hcl::expression(inner, &Limits::default()).ok()?;
    root.get("Statement")?;
    match t.source.and_then(|s| string_offsets(s, span, raw)) {
        Some(map) => root.remap(&|s: Span| {
            let at = |i: u32| {
                let i = (i as usize + offset_in_raw).min(map.len() - 1);
                map[i]
            };
            Span {
                start: at(s.start),
                end: at(s.end),
            }
        }),
        None => root.respan(span),
    }
    Some(root)
}

/// Where in `source` each byte of a string value written at `span` is: `map[i]` is the file
/// offset of the value's byte `i` (one past the end at `map[value.len()]`). Handles values
/// written plain and JSON/YAML double-quoted strings with escapes; `None` when the written
/// form cannot be matched to the value.
fn string_offsets(source: &str, span: Span, value: &str) -> Option<Vec<u32>> {
    let written = source.get(span.start as usize..span.end as usize)?;
    let base = span.start as usize;
    if written == value {
        return Some((0..=value.len()).map(|i| (base + i) as u32).collect());
    }
    let inner = written.strip_prefix('"')?.strip_suffix('"')?;
    let mut map = Vec::with_capacity(value.len() + 1);
    let mut decoded = String::with_capacity(value.len());
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let at = (base + 1 + i) as u32;
        let (ch, len) = if bytes[i] == b'\\' {
            let next = *bytes.get(i + 1)?;
            match next {
                b'"' => ('"', 2),
                b'\\' => ('\\', 2),
                b'/' => ('/', 2),
                b'n' => ('\n', 2),
                b't' => ('\t', 2),
                b'r' => ('\r', 2),
                b'b' => ('\u{8}', 2),
                b'f' => ('\u{c}', 2),
                b'u' => {
                    let hex = inner.get(i + 2..i + 6)?;
                    (char::from_u32(u32::from_str_radix(hex, 16).ok()?)?, 6)
                }
                _ => return None,
            }
        } else {
            let ch = inner[i..].chars().next()?;
            (ch, ch.len_utf8())
        };
        for _ in 0..ch.len_utf8() {
            map.push(at);
        }
        decoded.push(ch);
        i += len;
    }
    map.push((base + 1 + inner.len()) as u32);
    (decoded == value).then_some(map)
}

/// Parse a policy written as a JSON string. Unknown parts (interpolations) inside JSON strings
/// stay as [`UNKNOWN_MARK`]; a document whose structure depends on them is skipped.
fn parse_embedded(text: &str, span: Span) -> Option<Node<'static>> {
    let parsed = json::parse(text, &Limits::default()).ok()?;
    let mut root = parsed.root.into_owned();
    root.get("Statement")?;
    root.respan(span);
    Some(root)
}

/// What `tripline explain` adds for the policies that read IAM documents: the table of
/// condition keys that narrow who can use a grant, and the AWS managed-policy snapshot.
pub fn explain_notes(id: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let id = id.to_ascii_uppercase();
    if matches!(id.as_str(), "ROOT001" | "DET008") {
        out.push_str(
            "\nConditions that narrow who can use a grant\n\nAn Allow to everyone or to an \
             account's root is excused only by a condition on one of these keys, with \
             StringEquals/StringLike/ArnEquals/ArnLike/IpAddress (not ...IfExists, not \
             ForAllValues:, which hold when the key is absent) and values that pin something \
             (not `*`, not 0.0.0.0/0, not an empty external ID). A Deny to everyone narrows an \
             Allow only if every clause of its condition is the negative form on such a key.\n\n",
        );
        for (key, what) in condition::PRINCIPAL_KEYS {
            let _ = writeln!(out, "  {key:<28} {what}");
        }
        let _ = writeln!(
            out,
            "\nThese do not narrow who: {}.",
            condition::REQUEST_KEYS_NOTE
        );
    }
    if matches!(
        id.as_str(),
        "DET001" | "DET002" | "DET003" | "DET004" | "ROOT009"
    ) {
        let _ = writeln!(
            out,
            "\nAWS managed policies\n\nAttached AWS managed policies (ManagedPolicyArns, \
             policy_arn...) are read like inline ones, from a table of {} policies derived \
             from AWS's published documents as of {} (policies/aws-managed/).",
            managed::count(),
            managed::snapshot_date()
        );
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// A statement's `Effect`.
pub enum Effect {
    /// `Allow`.
    Allow,
    /// `Deny`.
    Deny,
}

/// A list-valued policy element (`Action`, `Resource`, principal lists), with its known values
/// and whether some values could not be known.
#[derive(Clone, Debug, Default)]
pub struct Elements<'n> {
    /// The known values with their spans (a boxed slice of 12-byte texts: a template's
    /// statements are kept for its whole check, and most elements hold one value).
    pub values: Box<[(Text<'n>, Span)]>,
    /// Whether some values could not be known (a parameter, an expression).
    pub unknown: bool,
    /// Whether the element is written at all.
    pub present: bool,
    /// The element's own span (its value in the document).
    pub span: Span,
}

impl<'n> Elements<'n> {
    fn read<'a>(t: &Template<'a>, node: Option<&'n Node<'n>>) -> Elements<'n>
    where
        'a: 'n,
    {
        let Some(node) = node else {
            return Elements::default();
        };
        let (values, unknown) = t.texts_of_list(node);
        Elements {
            values: values
                .into_iter()
                .map(|(v, s)| (Text::from(v), s))
                .collect(),
            unknown,
            present: true,
            span: node.span,
        }
    }

    /// Whether some value is or contains a `*` wildcard.
    pub(crate) fn contains_wildcard(&self) -> bool {
        self.values.iter().any(|(v, _)| v == "*")
    }
}

/// The `Principal` element.
#[derive(Clone, Debug, Default)]
pub struct Principal<'n> {
    /// `Principal: "*"` (everyone).
    pub everyone: bool,
    /// `AWS` principals (accounts, roles, users, root).
    pub aws: Elements<'n>,
    /// The `AWS` values in pieces, unknown parts kept (see [`principal`]).
    pub aws_values: Box<[principal::Symbolic<'n>]>,
    /// `Service` principals.
    pub service: Elements<'n>,
    /// `Federated` principals.
    pub federated: Elements<'n>,
    /// Span of the whole principal.
    pub span: Span,
    /// Whether the statement has a principal at all.
    pub present: bool,
}

/// The principal of a statement without one (what [`Statement::principal`] gives then).
static NO_PRINCIPAL: std::sync::LazyLock<Principal<'static>> =
    std::sync::LazyLock::new(Principal::default);

impl Principal<'_> {
    /// `"*"` or `{"AWS": "*"}`: any principal at all.
    pub(crate) fn is_anyone(&self) -> bool {
        self.everyone || self.aws.contains_wildcard()
    }
}

/// One statement of a document.
#[derive(Clone, Debug)]
pub struct Statement<'n> {
    /// The statement's node.
    pub node: &'n Node<'n>,
    /// The `Sid`, if any.
    pub sid: Option<Text<'n>>,
    /// `None` when the effect cannot be known.
    pub effect: Option<Effect>,
    /// `Action`, or `NotAction` when `not_action` is set.
    pub actions: Elements<'n>,
    /// The actions were given as `NotAction`.
    pub not_action: bool,
    /// `Resource`, or `NotResource` when `not_resource` is set.
    pub resources: Elements<'n>,
    /// Whether `resources` are a `NotResource` list.
    pub not_resource: bool,
    /// The `Resource` values with partly known ones (unknown parts as [`crate::model::UNKNOWN_MARK`]).
    pub resource_texts: Box<[(Box<str>, Span)]>,
    /// Some `Resource` value cannot be known at all (`!GetAtt Trail.Arn`).
    pub resource_unknown: bool,
    /// `Principal`, or `NotPrincipal` when `not_principal` is set; none when neither is
    /// written (boxed: half of a statement's size, and identity policies, most statements,
    /// have none). Read it with [`Statement::principal`].
    pub principal: Option<Box<Principal<'n>>>,
    /// Whether `principal` is a `NotPrincipal`.
    pub not_principal: bool,
    /// The `Condition` block, if any.
    pub condition: Option<&'n Node<'n>>,
}

impl<'n> Statement<'n> {
    /// The `Principal` (or `NotPrincipal`) element; an absent one when neither is written.
    pub fn principal(&self) -> &Principal<'n> {
        self.principal.as_deref().unwrap_or(&NO_PRINCIPAL)
    }

    /// Whether the statement allows `action` (for the resources it names). Unknown values never
    /// count as a match, so unknowns do not turn into findings.
    pub fn allows(&self, action: &str) -> bool {
        self.effect == Some(Effect::Allow) && self.covers(action)
    }

    /// Whether the statement's action element selects `action` (Action matches, or NotAction
    /// does not exclude it).
    pub fn covers(&self, action: &str) -> bool {
        if !self.actions.present {
            return false;
        }
        let matched = self
            .actions
            .values
            .iter()
            .any(|(p, _)| action_matches(p, action));
        if self.not_action {
            // With unknown entries in NotAction we cannot tell what is excluded.
            !matched && !self.actions.unknown
        } else {
            matched
        }
    }

    /// The span of the action pattern that selects `action`, or of the whole element.
    pub(crate) fn action_span(&self, action: &str) -> Span {
        if !self.not_action
            && let Some((_, span)) = self
                .actions
                .values
                .iter()
                .find(|(p, _)| action_matches(p, action))
        {
            return *span;
        }
        self.actions.span
    }

    /// An unconditional deny of `action` on every resource: nothing else in the same policy can
    /// grant it back.
    pub(crate) fn denies_everywhere(&self, action: &str) -> bool {
        self.effect == Some(Effect::Deny)
            && self.condition.is_none()
            && !self.not_resource
            && (!self.resources.present || self.resources.contains_wildcard())
            && self.covers(action)
    }

    /// Whether the statement applies to all resources (`Resource: "*"`).
    pub(crate) fn all_resources(&self) -> bool {
        !self.not_resource && self.resources.contains_wildcard()
    }

    /// Whether the statement's resources may include a resource of `action`'s service: an
    /// Allow of `*` on `arn:aws:logs:*:*:*` grants no `cloudtrail:` action. Unknown resources
    /// (`!GetAtt Trail.Arn`) and `NotResource` may cover anything.
    pub(crate) fn resource_may_cover(&self, action: &str) -> bool {
        if self.not_resource || !self.resources.present || self.resource_unknown {
            return true;
        }
        let service = action.split(':').next().unwrap_or(action);
        self.resource_texts
            .iter()
            .any(|(r, _)| resource_may_be_of(r, service))
    }

    /// Whether the statement's resources include every resource `action` can act on: `*`, or
    /// an ARN pattern open in account, Region and name (`arn:aws:iam::123456789012:role/*` is
    /// every role of the account, as broad as `*` for `iam:PassRole`).
    pub(crate) fn covers_all_resources_of(&self, action: &str) -> bool {
        if self.not_resource {
            return false;
        }
        let service = action.split(':').next().unwrap_or(action);
        self.resource_texts
            .iter()
            .any(|(r, _)| resource_is_all_of(r, service))
    }
}

/// Whether an ARN pattern may name a resource of `service` (`*`, `arn:aws:cloudtrail:...`,
/// `arn:*:*:...`, or one whose service field is unknown).
fn resource_may_be_of(pattern: &str, service: &str) -> bool {
    if pattern == "*" || crate::model::has_unknown(pattern) && !pattern.starts_with("arn:") {
        return true;
    }
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    match fields.as_slice() {
        [arn, _, svc, ..] if arn.eq_ignore_ascii_case("arn") => {
            crate::model::has_unknown(svc) || glob_match(svc.as_bytes(), service.as_bytes())
        }
        // Not an ARN (`arn:*`, a bare wildcard pattern): let the pattern decide.
        _ => pattern.contains('*'),
    }
}

/// Whether an ARN pattern names every resource of `service` in some account.
fn resource_is_all_of(pattern: &str, service: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let fields: Vec<&str> = pattern.splitn(6, ':').collect();
    let [arn, _partition, svc, region, account, resource] = fields.as_slice() else {
        return false;
    };
    let open = |f: &str| f.is_empty() || f == "*" || crate::model::has_unknown(f);
    let account_ok = open(account) || account.bytes().all(|b| b.is_ascii_digit());
    let resource_ok = *resource == "*"
        || resource
            .strip_suffix("/*")
            .is_some_and(|kind| !kind.is_empty() && !kind.contains(['/', '*', '?']));
    arn.eq_ignore_ascii_case("arn")
        && (crate::model::has_unknown(svc) || glob_match(svc.as_bytes(), service.as_bytes()))
        && open(region)
        && account_ok
        && resource_ok
}

/// The statements of a document, across `Fn::If` branches.
pub fn statements<'a, 'n>(t: &Template<'a>, doc: &'n Node<'n>) -> Vec<Statement<'n>>
where
    'a: 'n,
{
    let Some(stmts) = doc.get("Statement") else {
        return Vec::new();
    };
    // A single statement may be written as a mapping instead of a list.
    let items: Vec<&Node<'_>> = if stmts.is_seq() {
        t.items(stmts)
    } else {
        vec![stmts]
    };
    let nodes: Vec<&Node<'_>> = items.into_iter().flat_map(|item| t.maps(item)).collect();
    // Allocated at the count: most documents hold one statement, where a growing Vec keeps
    // room for four, and a template's statements are kept for its whole check (a
    // 50,000-resource template's took 29% of its heap at its peak). Shrinking them after
    // moved each into fresh memory: 3% of checking 140,000 documents.
    let mut out = Vec::with_capacity(nodes.len());
    out.extend(nodes.into_iter().map(|node| statement(t, node)));
    out
}

fn statement<'a, 'n>(t: &Template<'a>, node: &'n Node<'n>) -> Statement<'n>
where
    'a: 'n,
{
    let effect = node.get("Effect").and_then(|e| {
        let texts = t.texts(e);
        match texts.as_slice() {
            [(s, _)] if s.eq_ignore_ascii_case("allow") => Some(Effect::Allow),
            [(s, _)] if s.eq_ignore_ascii_case("deny") => Some(Effect::Deny),
            _ => None,
        }
    });
    let (actions, not_action) = match (node.get("Action"), node.get("NotAction")) {
        (Some(a), _) => (Elements::read(t, Some(a)), false),
        (None, Some(na)) => (Elements::read(t, Some(na)), true),
        (None, None) => (Elements::default(), false),
    };
    let (resources, not_resource) = match (node.get("Resource"), node.get("NotResource")) {
        (Some(r), _) => (Elements::read(t, Some(r)), false),
        (None, Some(nr)) => (Elements::read(t, Some(nr)), true),
        (None, None) => (Elements::default(), false),
    };
    let (resource_texts, resource_unknown) = match node.get("Resource") {
        Some(r) => {
            let texts = crate::model::lookup::partial_texts(t, r);
            let whole_unknown = texts
                .iter()
                .any(|(s, _)| s.chars().all(|c| c == crate::model::UNKNOWN_MARK));
            (
                texts.into_iter().map(|(s, at)| (s.into(), at)).collect(),
                whole_unknown || resources.unknown && resources.values.is_empty(),
            )
        }
        None => (Box::default(), false),
    };
    let (principal, not_principal) = match (node.get("Principal"), node.get("NotPrincipal")) {
        (Some(p), _) => (Some(Box::new(read_principal(t, p))), false),
        (None, Some(np)) => (Some(Box::new(read_principal(t, np))), true),
        (None, None) => (None, false),
    };
    Statement {
        node,
        sid: node
            .get("Sid")
            .and_then(|s| t.texts(s).into_iter().next())
            .map(|(s, _)| Text::from(s)),
        effect,
        actions,
        not_action,
        resources,
        not_resource,
        resource_texts,
        resource_unknown,
        principal,
        not_principal,
        condition: node.get("Condition"),
    }
}

fn read_principal<'a, 'n>(t: &Template<'a>, node: &'n Node<'n>) -> Principal<'n>
where
    'a: 'n,
{
    let mut p = Principal {
        span: node.span,
        present: true,
        ..Principal::default()
    };
    for r in t.eval(node) {
        match r.val {
            Val::Str(s) if s == "*" => p.everyone = true,
            Val::Map(m) => {
                for e in m.entries() {
                    let el = Elements::read(t, Some(&e.value));
                    if e.key == "AWS" {
                        append(&mut p.aws_values, principal::values(t, &e.value));
                    }
                    let slot = match e.key.as_ref() {
                        "AWS" => &mut p.aws,
                        "Service" => &mut p.service,
                        "Federated" => &mut p.federated,
                        _ => continue,
                    };
                    append(&mut slot.values, el.values);
                    slot.unknown |= el.unknown;
                    slot.present = true;
                    slot.span = el.span;
                }
            }
            _ => {}
        }
    }
    p
}

/// `more` after what `into` holds, at their exact length (a principal is mostly one value,
/// kept with the statement for the whole check): moved when `into` is empty.
fn append<T>(into: &mut Box<[T]>, more: impl Into<Box<[T]>>) {
    let more = more.into();
    if into.is_empty() {
        *into = more;
    } else if !more.is_empty() {
        let mut all = std::mem::take(into).into_vec();
        all.extend(more);
        *into = all.into_boxed_slice();
    }
}

/// IAM action matching: case-insensitive, `*` matches any run of characters and `?` any one.
pub(crate) fn action_matches(pattern: &str, action: &str) -> bool {
    // An unknown part matches nothing; asked second, because most patterns fail at their
    // first bytes (another service).
    glob_match(pattern.as_bytes(), action.as_bytes()) && !crate::model::has_unknown(pattern)
}

/// IAM compares actions and service prefixes without regard to case.
fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    crate::wildcard::matches(pattern, text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_wildcards_match_like_iam() {
        assert!(action_matches("*", "cloudtrail:StopLogging"));
        assert!(action_matches("*:*", "cloudtrail:StopLogging"));
        assert!(action_matches("cloudtrail:*", "cloudtrail:StopLogging"));
        assert!(action_matches("CloudTrail:stop*", "cloudtrail:StopLogging"));
        assert!(action_matches(
            "cloudtrail:Stop?ogging",
            "cloudtrail:StopLogging"
        ));
        assert!(action_matches("*:Delete*", "guardduty:DeleteDetector"));
        assert!(!action_matches(
            "cloudtrail:Start*",
            "cloudtrail:StopLogging"
        ));
        assert!(!action_matches(
            "cloudtrail:StopLoggingX",
            "cloudtrail:StopLogging"
        ));
        assert!(!action_matches("s3:*", "cloudtrail:StopLogging"));
        assert!(!action_matches("", "cloudtrail:StopLogging"));
        assert!(action_matches("c*t*l:*g", "cloudtrail:StopLogging"));
    }

    use crate::model::{Format, Template};
    use crate::parse::yaml;

    fn with_statements(text: &str, f: impl FnOnce(&Template<'_>, Vec<Statement<'_>>)) {
        let root = yaml::parse(text, &Limits::default()).unwrap().root;
        let t = Template::new(Format::CloudFormation, &root);
        let docs = documents(&t);
        assert_eq!(docs.len(), 1, "one document expected");
        let stmts = statements(&t, docs[0].root());
        f(&t, stmts);
    }

    #[test]
    fn statements_across_if_branches_and_single_statement_form() {
        let text = r#"
Conditions: {C: !Equals [a, a]}
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - !If
            - C
            - {Effect: Allow, Action: "cloudtrail:*", Resource: "*"}
            - {Effect: Allow, Action: "s3:GetObject", Resource: "*"}
          - !Ref AWS::NoValue
"#;
        with_statements(text, |_, st| {
            assert_eq!(st.len(), 2);
            assert!(st[0].allows("cloudtrail:StopLogging"));
            assert!(!st[1].allows("cloudtrail:StopLogging"));
        });
        let single = "Resources:
  P:
    Type: AWS::IAM::Policy
    Properties:
      PolicyDocument:
        Statement: {Effect: Allow, Action: [iam:PassRole], Resource: '*'}
";
        with_statements(single, |_, st| {
            assert_eq!(st.len(), 1);
            assert!(st[0].allows("IAM:passrole"));
            assert!(st[0].all_resources());
        });
    }

    #[test]
    fn not_action_and_unknown_values() {
        let text = r#"
Parameters: {Act: {Type: String}}
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, NotAction: ["iam:*"], Resource: "*"}
          - {Effect: Allow, NotAction: [!Ref Act], Resource: "*"}
          - {Effect: Allow, Action: [!Ref Act], Resource: "*"}
          - {Effect: !Ref Act, Action: "*", Resource: "*"}
"#;
        with_statements(text, |_, st| {
            assert!(st[0].allows("cloudtrail:StopLogging"));
            assert!(!st[0].allows("iam:CreateUser"));
            // Unknown NotAction entries: cannot tell what is excluded, so nothing is claimed.
            assert!(!st[1].allows("cloudtrail:StopLogging"));
            assert!(!st[2].allows("cloudtrail:StopLogging"));
            assert_eq!(st[3].effect, None);
            assert!(!st[3].allows("cloudtrail:StopLogging"));
        });
    }

    #[test]
    fn unconditional_denies_take_actions_back() {
        let text = r#"
Resources:
  P:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Deny, Action: "cloudtrail:Stop*", Resource: "*"}
          - {Effect: Deny, Action: "cloudtrail:DeleteTrail", Resource: "arn:aws:cloudtrail:*:*:trail/x"}
          - {Effect: Deny, Action: "cloudtrail:UpdateTrail", Resource: "*", Condition: {Bool: {aws:MultiFactorAuthPresent: "false"}}}
"#;
        with_statements(text, |_, st| {
            assert!(st[0].denies_everywhere("cloudtrail:StopLogging"));
            assert!(!st[1].denies_everywhere("cloudtrail:DeleteTrail"));
            assert!(!st[2].denies_everywhere("cloudtrail:UpdateTrail"));
        });
    }

    #[test]
    fn principals_and_embedded_json_documents() {
        let text = r#"
Resources:
  R:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "*"], "Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'
"#;
        with_statements(text, |_, st| {
            let p = st[0].principal();
            assert!(p.is_anyone());
            assert_eq!(p.aws.values.len(), 2);
            assert_eq!(p.service.values[0].0, "ec2.amazonaws.com");
        });
    }

    #[test]
    fn resources_scope_what_an_allow_grants() {
        let m = crate::model::UNKNOWN_MARK;
        assert!(resource_may_be_of("*", "cloudtrail"));
        assert!(resource_may_be_of(
            "arn:aws:cloudtrail:*:*:trail/x",
            "cloudtrail"
        ));
        assert!(resource_may_be_of("arn:*:*:*:*:*", "cloudtrail"));
        assert!(resource_may_be_of("arn:aws:cloud*:*:*:*", "cloudtrail"));
        assert!(!resource_may_be_of("arn:aws:logs:*:*:*", "cloudtrail"));
        assert!(!resource_may_be_of(
            "arn:aws:iam::123456789012:role/admin",
            "cloudtrail"
        ));
        assert!(resource_may_be_of(
            &format!("arn:{m}:cloudtrail:{m}:{m}:trail/x"),
            "cloudtrail"
        ));
        assert!(resource_may_be_of(&m.to_string(), "cloudtrail"));

        assert!(resource_is_all_of("*", "iam"));
        assert!(resource_is_all_of(
            "arn:aws:iam::123456789012:role/*",
            "iam"
        ));
        assert!(resource_is_all_of(
            &format!("arn:{m}:iam::{m}:role/*"),
            "iam"
        ));
        assert!(resource_is_all_of("arn:aws:iam::*:*", "iam"));
        assert!(!resource_is_all_of(
            "arn:aws:iam::123456789012:role/service-role/*",
            "iam"
        ));
        assert!(!resource_is_all_of(
            "arn:aws:iam::123456789012:role/app-*",
            "iam"
        ));
        assert!(!resource_is_all_of("arn:aws:s3:::bucket/*", "iam"));
        assert!(resource_is_all_of(
            "arn:aws:events:*:123456789012:rule/*",
            "events"
        ));
    }
}
