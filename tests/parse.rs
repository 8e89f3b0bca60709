//! The loaders on real and hostile input: short-form tags, positions, bombs, duplicates,
//! encodings, empty, binary and huge files.

use tripline::engine::{Engine, EngineOptions, Selection};
use tripline::file_report::{Outcome, Skip};
use tripline::parse::{Limits, Node, ParseErrorKind, Value, json, yaml};
use tripline::policy::PolicySettings;
use tripline::source::LineIndex;

fn engine() -> Engine {
    Engine::new(
        PolicySettings::default(),
        Selection::default(),
        EngineOptions::default(),
    )
}

fn text_of<'t>(text: &'t str, node: &Node<'_>) -> &'t str {
    &text[node.span.start as usize..node.span.end as usize]
}

#[test]
fn every_short_form_tag_maps_to_its_long_form() {
    let cases = [
        ("!Ref X", "Ref"),
        ("!Sub 'a-${X}'", "Fn::Sub"),
        ("!GetAtt A.B", "Fn::GetAtt"),
        ("!If [C, 1, 2]", "Fn::If"),
        ("!Join [',', [a, b]]", "Fn::Join"),
        ("!Select [0, [a]]", "Fn::Select"),
        ("!Split [',', 'a,b']", "Fn::Split"),
        ("!FindInMap [M, a, b]", "Fn::FindInMap"),
        ("!Base64 abc", "Fn::Base64"),
        ("!Cidr [10.0.0.0/16, 4, 8]", "Fn::Cidr"),
        ("!ImportValue Shared", "Fn::ImportValue"),
        ("!GetAZs ''", "Fn::GetAZs"),
        ("!Equals [a, b]", "Fn::Equals"),
        ("!And [!Condition A, !Condition B]", "Fn::And"),
        ("!Or [!Condition A, !Condition B]", "Fn::Or"),
        ("!Not [!Condition A]", "Fn::Not"),
        ("!Condition A", "Condition"),
        (
            "!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}",
            "Fn::Transform",
        ),
    ];
    for (src, long) in cases {
        let text = format!("v: {src}\n");
        let root = yaml::parse(&text, &Limits::default()).unwrap().root;
        let v = root.get("v").unwrap();
        let entry = v
            .single_entry()
            .unwrap_or_else(|| panic!("{src}: not a one-key map"));
        assert_eq!(entry.key, long, "{src}");
        // The function's key points at the tag, the node covers tag and argument.
        assert!(
            text_of(&text, v).starts_with(src.split_whitespace().next().unwrap()),
            "{src}"
        );
        assert_eq!(
            &text[entry.key_span.start as usize..entry.key_span.end as usize],
            src.split_whitespace().next().unwrap()
        );
    }
    let root = yaml::parse(
        "v: !GetAtt Db.Endpoint.Port\nw: !GetAtt [Db, Arn]\n",
        &Limits::default(),
    )
    .unwrap()
    .root;
    let args = |k: &str| -> Vec<String> {
        root.at(&[k, "Fn::GetAtt"])
            .unwrap()
            .items()
            .iter()
            .map(|n| n.as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(args("v"), ["Db", "Endpoint.Port"]);
    assert_eq!(args("w"), ["Db", "Arn"]);
}

#[test]
fn unknown_tags_are_kept_as_opaque_functions() {
    let root = yaml::parse("v: !Rain::Embed file.txt\n", &Limits::default())
        .unwrap()
        .root;
    assert_eq!(
        root.get("v").unwrap().single_entry().unwrap().key,
        "!Rain::Embed"
    );
}

#[test]
fn yaml_positions_are_exact() {
    let text = "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Properties:\n      BucketName: \"naïve-名前\"\n      Tags: [{Key: a, Value: b}]\n";
    let root = yaml::parse(text, &Limits::default()).unwrap().root;
    let index = LineIndex::new(text);
    let name = root
        .at(&["Resources", "Bucket", "Properties", "BucketName"])
        .unwrap();
    assert_eq!(text_of(text, name), "\"naïve-名前\"");
    let pos = index.position(text, name.span.start as usize);
    assert_eq!((pos.line, pos.column), (5, 19));
    let tags = root
        .at(&["Resources", "Bucket", "Properties", "Tags"])
        .unwrap();
    assert_eq!(text_of(text, tags), "[{Key: a, Value: b}]");
    let key = root.at(&["Resources"]).unwrap().entry("Bucket").unwrap();
    assert_eq!(index.position(text, key.key_span.start as usize).line, 2);
    // A block mapping spans from its first key to the end of its last value.
    let props = root.at(&["Resources", "Bucket", "Properties"]).unwrap();
    assert!(text_of(text, props).starts_with("BucketName"));
    assert!(text_of(text, props).ends_with("Value: b}]"));
}

#[test]
fn json_positions_are_exact() {
    let text = "{\n  \"Resources\": {\n    \"B\": {\"Type\": \"AWS::S3::Bucket\", \"Properties\": {\"BucketName\": \"x\\u00e9\"}}\n  }\n}\n";
    let root = json::parse(text, &Limits::default()).unwrap().root;
    let index = LineIndex::new(text);
    let name = root
        .at(&["Resources", "B", "Properties", "BucketName"])
        .unwrap();
    assert_eq!(name.as_str(), Some("xé"));
    assert_eq!(text_of(text, name), "\"x\\u00e9\"");
    let pos = index.position(text, name.span.start as usize);
    assert_eq!((pos.line, pos.column), (3, 67));
}

#[test]
fn alias_bombs_are_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        text.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    let err = yaml::parse(&text, &Limits::default()).unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::Limit);
    assert!(err.message.contains("alias"));
    // Moderate alias use is fine.
    let ok = "base: &b {Key: a, Value: b}\nTags: [*b, *b]\n";
    let root = yaml::parse(ok, &Limits::default()).unwrap().root;
    assert_eq!(root.get("Tags").unwrap().items().len(), 2);
}

#[test]
fn depth_bombs_are_refused_without_overflowing_the_stack() {
    let yaml_deep = format!("{}x{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = yaml::parse(&yaml_deep, &Limits::default()).unwrap_err();
    assert_eq!(err.kind, ParseErrorKind::Limit);
    let block_deep: String = (0..5000)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    assert_eq!(
        yaml::parse(&block_deep, &Limits::default())
            .unwrap_err()
            .kind,
        ParseErrorKind::Limit
    );
    let json_deep = format!("{}1{}", "[".repeat(1_000_000), "]".repeat(1_000_000));
    assert_eq!(
        json::parse(&json_deep, &Limits::default())
            .unwrap_err()
            .kind,
        ParseErrorKind::Limit
    );
}

#[test]
fn duplicate_keys_are_reported_with_their_position() {
    let text = "Resources:\n  A: {Type: AWS::S3::Bucket}\n  A: {Type: AWS::SQS::Queue}\n";
    let parsed = yaml::parse(text, &Limits::default()).unwrap();
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].kind, ParseErrorKind::DuplicateKey);
    assert_eq!(
        LineIndex::new(text)
            .position(text, parsed.warnings[0].span.start as usize)
            .line,
        3
    );
    let report = engine().check_bytes("t.yaml", text.as_bytes());
    let dups: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.policy == "PARSE002")
        .collect();
    assert_eq!(dups.len(), 1);
    assert_eq!(dups[0].start.line, 3);
}

#[test]
fn yaml_syntax_errors_name_the_position() {
    let text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: AWS::S3::Bucket\n   Bad: indentation\n";
    let report = engine().check_bytes("t.yaml", text.as_bytes());
    assert_eq!(report.outcome, Outcome::Failed);
    assert_eq!(report.findings[0].policy, "PARSE001");
    assert_eq!(report.findings[0].start.line, 5);
}

#[test]
fn invalid_utf8_is_a_finding_at_the_bad_byte() {
    let mut bytes = b"AWSTemplateFormatVersion: '2010-09-09'\nDescription: caf".to_vec();
    bytes.push(0xE9); // Latin-1 'é'
    bytes.extend_from_slice(b"\nResources: {}\n");
    let report = engine().check_bytes("latin1.yaml", &bytes);
    assert_eq!(report.outcome, Outcome::Failed);
    let f = &report.findings[0];
    assert_eq!(f.policy, "PARSE004");
    assert_eq!((f.start.line, f.start.column), (2, 17));
    assert!(f.message.contains("0xE9"));
}

#[test]
fn empty_and_binary_files_are_skipped() {
    let e = engine();
    assert_eq!(
        e.check_bytes("empty.yaml", b"").outcome,
        Outcome::Skipped(Skip::NotTemplate)
    );
    assert_eq!(
        e.check_bytes("blank.yaml", b"\n\n   \n").outcome,
        Outcome::Skipped(Skip::NotTemplate)
    );
    let mut binary = b"Resources\x00\x01\x02".to_vec();
    binary.extend(std::iter::repeat_n(0xFFu8, 1000));
    assert_eq!(
        e.check_bytes("x.json", &binary).outcome,
        Outcome::Skipped(Skip::Binary)
    );
    // An empty template-shaped document is a template with nothing to check.
    let r = e.check_bytes(
        "t.yaml",
        b"AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n",
    );
    assert!(matches!(r.outcome, Outcome::Checked(_)));
    assert!(r.findings.is_empty());
}

#[test]
fn huge_single_line_json_is_checked_with_bounded_excerpts() {
    let mut text = String::from("{\"AWSTemplateFormatVersion\":\"2010-09-09\",\"Resources\":{");
    for i in 0..20_000 {
        text.push_str(&format!(
            "\"T{i}\":{{\"Type\":\"AWS::CloudTrail::Trail\",\"Properties\":{{\"IsLogging\":true,\"IsMultiRegionTrail\":true,\"EnableLogFileValidation\":{}}}}},",
            if i == 19_999 { "false" } else { "true" }
        ));
    }
    text.pop();
    text.push_str("}}");
    assert!(text.len() > 2_000_000);
    let report = engine().check_bytes("big.json", text.as_bytes());
    assert!(matches!(report.outcome, Outcome::Checked(_)));
    let f: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.policy == "LOG001")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].start.line, 1);
    assert!(f[0].start.column > 2_000_000);
    assert!(f[0].excerpt.text.len() <= 1_000);
}

#[test]
fn core_schema_scalars() {
    let root = yaml::parse(
        "a: true\nb: 'true'\nc: 012345678901\nd: 2010-09-09\ne: ~\nf: !!str 42\ng: 1.5e3\n",
        &Limits::default(),
    )
    .unwrap()
    .root;
    assert_eq!(root.get("a").unwrap().value, Value::Bool(true));
    assert!(matches!(root.get("b").unwrap().value, Value::String(_)));
    assert_eq!(
        root.get("c").unwrap().scalar_text().unwrap(),
        "012345678901"
    );
    assert_eq!(root.get("d").unwrap().as_str(), Some("2010-09-09"));
    assert_eq!(root.get("e").unwrap().value, Value::Null);
    assert_eq!(root.get("f").unwrap().as_str(), Some("42"));
    assert!(matches!(root.get("g").unwrap().value, Value::Number(_)));
}

#[test]
fn many_findings_on_one_huge_non_ascii_line_stay_fast() {
    // Non-ASCII text defeats the byte-column shortcut; positions must still be linear.
    let mut text = String::from(
        "{\"AWSTemplateFormatVersion\":\"2010-09-09\",\"Description\":\"é\",\"Resources\":{",
    );
    for i in 0..20_000 {
        text.push_str(&format!(
            "\"T{i}\":{{\"Type\":\"AWS::CloudTrail::Trail\",\"Properties\":{{\"IsLogging\":false}}}},"
        ));
    }
    text.pop();
    text.push_str("}}");
    let report = engine().check_bytes("big.json", text.as_bytes());
    let last = report
        .findings
        .iter()
        .filter(|f| f.policy == "LOG001" && f.message.contains("T19999`"))
        .find(|f| f.message.contains("not logging"))
        .unwrap();
    let at = text.find("\"T19999\"").unwrap();
    // Every character before it is one byte except 'é'.
    assert!(last.start.column as usize > at - 1);
    assert_eq!(last.start.line, 1);
}

/// A file past the size from which a tree is parsed into an arena (1 MiB) reports what the
/// same template below it does: every failing fixture, padded at its end with a comment (YAML)
/// or blank space (JSON) that changes nothing in its tree, gives the same findings at the same
/// places — `Fn::ForEach` loops (which copy the lists they change), short forms, nested stacks
/// and StackSets included.
#[test]
fn a_template_parsed_into_an_arena_reports_what_it_does_on_the_heap() {
    let mut checked = 0;
    for dir in std::fs::read_dir("fixtures").unwrap() {
        let dir = dir.unwrap().path();
        let Ok(files) = std::fs::read_dir(&dir) else {
            continue;
        };
        for file in files {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            let json = name.ends_with(".json");
            if !name.starts_with("fail") || !(json || name.ends_with(".yaml")) {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let pad = if json {
                " ".repeat(1 << 20)
            } else {
                format!("\n#{}\n", "x".repeat(1 << 20))
            };
            let padded = format!("{text}{pad}");
            let seen = |text: &str| {
                let report = engine().check_bytes(&name, text.as_bytes());
                let findings: Vec<_> = report
                    .findings
                    .iter()
                    .map(|f| {
                        (
                            f.policy,
                            f.start,
                            f.end,
                            f.message.clone(),
                            f.fingerprint.clone(),
                        )
                    })
                    .collect();
                (format!("{:?}", report.outcome), findings)
            };
            let (small, large) = (seen(&text), seen(&padded));
            assert_eq!(small, large, "{}", path.display());
            checked += usize::from(!small.1.is_empty());
        }
    }
    assert!(checked > 40, "only {checked} fixtures with findings");
}
