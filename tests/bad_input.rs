//! Regressions of the bad-input and fault findings (each test fails before its fix): encodings,
//! line endings, structure CloudFormation rejects, and where findings on long lines are shown.
//! Real files on disk, the real binary.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

fn tripline() -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.env_remove("NO_COLOR").env("TERM", "dumb");
    cmd
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path
}

const TRAIL: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      S3BucketName: b\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n";

/// `path:line:col POLICY` of each finding, from the parseable format.
fn positions(args: &[&str], path: &Path) -> (i32, Vec<String>) {
    let out = tripline()
        .args(["check", "--no-config", "--format", "parseable"])
        .args(if args.is_empty() {
            &["--select", "LOG001,PARSE"][..]
        } else {
            args
        })
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines = text
        .lines()
        .map(|l| {
            let (loc, rest) = l.split_once(": ").unwrap();
            let policy = rest.split_whitespace().nth(1).unwrap();
            let loc = loc.rsplit_once('/').map_or(loc, |(_, f)| f);
            format!("{loc} {policy}")
        })
        .collect();
    (out.status.code().unwrap(), lines)
}

#[test]
fn a_utf8_byte_order_mark_moves_no_position_and_no_fingerprint() {
    let dir = TempDir::new().unwrap();
    let plain = write(dir.path(), "plain.yaml", TRAIL.as_bytes());
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(TRAIL.as_bytes());
    let bom = write(dir.path(), "bom/plain.yaml", &with_bom);
    let (_, a) = positions(&[], &plain);
    let (_, b) = positions(&[], &bom);
    assert_eq!(a, vec!["plain.yaml:6:18 LOG001"]);
    assert_eq!(a, b);
    let fingerprint = |p: &Path| {
        let out = tripline()
            .args(["check", "--no-config", "--format", "json"])
            .current_dir(p.parent().unwrap())
            .arg("plain.yaml")
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fingerprint(&plain), fingerprint(&bom));
}

#[test]
fn cr_only_line_endings_are_line_breaks() {
    let dir = TempDir::new().unwrap();
    let cr = write(dir.path(), "cr.yaml", TRAIL.replace('\n', "\r").as_bytes());
    let crlf = write(
        dir.path(),
        "crlf.yaml",
        TRAIL.replace('\n', "\r\n").as_bytes(),
    );
    assert_eq!(positions(&[], &cr).1, vec!["cr.yaml:6:18 LOG001"]);
    assert_eq!(positions(&[], &crlf).1, vec!["crlf.yaml:6:18 LOG001"]);
    // The human excerpt shows the line, not the whole file as one line.
    let out = tripline()
        .args(["check", "--no-config"])
        .arg(&cr)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("[") && text.contains("cr.yaml:6:18]"),
        "{text}"
    );
    assert!(text.contains(" 6 │       IsLogging: false"), "{text}");
}

#[test]
fn reader_errors_point_at_the_offending_character() {
    let dir = TempDir::new().unwrap();
    let text = TRAIL.replace("S3BucketName: b", "S3BucketName: \"b\u{7}\"");
    let f = write(dir.path(), "ctl.yaml", text.as_bytes());
    let (code, found) = positions(&[], &f);
    assert_eq!(code, 1);
    assert_eq!(found, vec!["ctl.yaml:7:23 PARSE001"]);
}

#[test]
fn utf16_templates_are_decoded_checked_and_reported() {
    let dir = TempDir::new().unwrap();
    let units: Vec<u16> = TRAIL.encode_utf16().collect();
    let mut le = vec![0xFF, 0xFE];
    le.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    let be: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    let le = write(dir.path(), "le.yaml", &le);
    let be = write(dir.path(), "be.yaml", &be);
    for (f, name) in [(&le, "le.yaml"), (&be, "be.yaml")] {
        let (code, found) = positions(&[], f);
        assert_eq!(code, 1);
        assert_eq!(
            found,
            vec![
                format!("{name}:1:1 PARSE004"),
                format!("{name}:6:18 LOG001")
            ]
        );
    }
    // Found by the walk too, not skipped as binary.
    let (_, found) = positions(&[], dir.path());
    assert_eq!(found.len(), 4, "{found:?}");
}

#[test]
fn resources_that_are_not_a_mapping_are_reported() {
    let dir = TempDir::new().unwrap();
    let list = write(
        dir.path(),
        "list.yaml",
        b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  - Trail:\n      Type: AWS::CloudTrail::Trail\n",
    );
    let scalar = write(
        dir.path(),
        "scalar.json",
        b"{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": \"none\"}",
    );
    assert_eq!(
        positions(&[], &list),
        (1, vec!["list.yaml:2:1 PARSE005".into()])
    );
    assert_eq!(
        positions(&[], &scalar),
        (1, vec!["scalar.json:1:44 PARSE005".into()])
    );
}

#[test]
fn a_resource_built_from_a_merge_key_is_checked() {
    let dir = TempDir::new().unwrap();
    let text = "AWSTemplateFormatVersion: '2010-09-09'\nx-base: &base\n  IsLogging: false\n  IsMultiRegionTrail: true\n  EnableLogFileValidation: true\nResources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      <<: *base\n      S3BucketName: b\n";
    let f = write(dir.path(), "merge.yaml", text.as_bytes());
    let (_, found) = positions(&["--select", "LOG001,PARSE"], &f);
    assert_eq!(
        found,
        vec!["merge.yaml:3:14 LOG001", "merge.yaml:10:7 PARSE005"]
    );
}

#[test]
fn findings_on_long_lines_are_shown_at_their_real_position() {
    let dir = TempDir::new().unwrap();
    let tags: String = (0..300)
        .map(|i| format!("\"Tag{i}\": \"{}\", ", "v".repeat(20)))
        .collect();
    let text = format!(
        "{{\n\"AWSTemplateFormatVersion\": \"2010-09-09\",\n\"Resources\": {{\n\"Trail\": {{\"Type\": \"AWS::CloudTrail::Trail\", \"Metadata\": {{{}}}, \"Properties\": {{\"IsLogging\": false, \"S3BucketName\": \"b\", \"IsMultiRegionTrail\": true, \"EnableLogFileValidation\": true}}}}\n}}}}\n",
        tags.trim_end_matches(", ")
    );
    let f = write(dir.path(), "long.json", text.as_bytes());
    let (_, found) = positions(&[], &f);
    assert_eq!(found.len(), 1);
    let loc = found[0].split_whitespace().next().unwrap().to_string();
    let out = tripline()
        .args(["check", "--no-config"])
        .arg(&f)
        .output()
        .unwrap();
    let human = String::from_utf8(out.stdout).unwrap();
    assert!(human.contains(&format!("{loc}]")), "{loc} not in:\n{human}");
    assert!(human.contains("\n 4 │"), "gutter shows line 4:\n{human}");
}
