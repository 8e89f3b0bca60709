//! Regressions of the bad-input and fault findings (each test fails before its fix): encodings,
//! line endings, structure CloudFormation rejects, and where findings on long lines are shown.
//! Real files on disk, the real binary.

use std::fs;
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

#[test]
fn a_run_that_checked_no_template_says_so() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "package.json", b"{\"name\": \"x\"}");
    let out = tripline()
        .args(["check", "--no-config"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the exit code stays as documented"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no templates were checked"), "{err}");
}

#[test]
fn outputs_are_whole_or_absent_and_never_an_input() {
    let dir = TempDir::new().unwrap();
    let t = write(dir.path(), "t.yaml", TRAIL.as_bytes());
    // -o naming the template is refused, and the template is untouched.
    let out = tripline()
        .args(["check", "--no-config", "-o"])
        .arg(&t)
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to overwrite"));
    assert_eq!(std::fs::read_to_string(&t).unwrap(), TRAIL);
    // The same file for the report and the baseline is refused.
    let same = dir.path().join("x.json");
    let out = tripline()
        .args(["check", "--no-config", "-o"])
        .arg(&same)
        .arg("--write-baseline")
        .arg(&same)
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!same.exists());
    // A missing output directory is an error before the run.
    let out = tripline()
        .args(["check", "--no-config", "-o"])
        .arg(dir.path().join("missing/report.json"))
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // A written report and baseline leave no temporary file behind.
    let report = dir.path().join("out/report.json");
    std::fs::create_dir_all(report.parent().unwrap()).unwrap();
    let baseline = dir.path().join("out/baseline.json");
    tripline()
        .args(["check", "--no-config", "--format", "json", "-o"])
        .arg(&report)
        .arg("--write-baseline")
        .arg(&baseline)
        .arg(&t)
        .assert()
        .code(0);
    let names: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert!(v["summary"]["findings"].as_u64().unwrap() >= 1);
}

#[test]
fn standard_input_and_baselines_are_read_with_a_bound() {
    let dir = TempDir::new().unwrap();
    // Standard input over --max-file-size: one IO001 finding, not an endless read.
    let big = format!("{TRAIL}# {}\n", "x".repeat(4096));
    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--format",
            "parseable",
            "--max-file-size",
            "1024",
            "-",
        ])
        .write_stdin(big)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("IO001") && text.contains("1024-byte limit"),
        "{text}"
    );
    // A baseline that is not a regular file of bounded size ends in an error.
    if Path::new("/dev/zero").exists() {
        let t = write(dir.path(), "t.yaml", TRAIL.as_bytes());
        let out = tripline()
            .args(["check", "--no-config", "--baseline", "/dev/zero"])
            .arg(&t)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
    }
}

#[test]
fn control_characters_from_input_are_shown_escaped() {
    let dir = TempDir::new().unwrap();
    let json = "{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {\"Trail\\u001b]0;pwned\\u0007\\u001b[2J\": {\"Type\": \"AWS::CloudTrail::Trail\", \"Properties\": {\"IsLogging\": false, \"S3BucketName\": \"b\", \"IsMultiRegionTrail\": true, \"EnableLogFileValidation\": true}}}}";
    let name = if cfg!(unix) {
        "a\n::error file=x::forged.json"
    } else {
        "a.json"
    };
    write(dir.path(), name, json.as_bytes());
    for format in ["human", "parseable", "github", "junit"] {
        let out = tripline()
            .args([
                "check",
                "--no-config",
                "--verbose",
                "--select",
                "LOG001",
                "--format",
                format,
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        let all = [out.stdout, out.stderr].concat();
        assert!(!all.contains(&0x1b), "{format}: raw ESC in output");
        assert!(!all.contains(&0x07), "{format}: raw BEL in output");
        let text = String::from_utf8(all).unwrap();
        assert!(
            !text.lines().any(|l| l.starts_with("::error file=x")),
            "{format}: forged workflow command:\n{text}"
        );
        assert!(
            text.contains("\\x1b"),
            "{format}: escape not shown:\n{text}"
        );
    }
}

#[cfg(unix)]
#[test]
fn files_whose_names_only_look_alike_are_all_checked() {
    let dir = TempDir::new().unwrap();
    let failing = TRAIL;
    let passing = TRAIL.replace("IsLogging: false", "IsLogging: true");
    write(dir.path(), "a/b.yaml", passing.as_bytes());
    write(dir.path(), "a\\b.yaml", failing.as_bytes());
    let (code, found) = positions(&[], dir.path());
    assert_eq!(code, 1, "the failing look-alike is not dropped: {found:?}");
    assert_eq!(found, vec!["a\\b.yaml:6:18 LOG001"]);
    // A file named `legacy\evil.yaml` is not under `legacy/`.
    write(
        dir.path(),
        "tripline.toml",
        b"[[overrides]]\npaths = [\"legacy/**\"]\nignore = [\"LOG\"]\n",
    );
    write(dir.path(), "legacy\\evil.yaml", failing.as_bytes());
    let out = tripline()
        .args(["check", "--format", "parseable", "--select", "LOG001"])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("legacy\\evil.yaml:6:18"), "{text}");
    // Names that are not UTF-8 stay distinct.
    use std::os::unix::ffi::OsStrExt;
    let odd = std::ffi::OsStr::from_bytes(b"odd\xFF.yaml");
    std::fs::write(dir.path().join(odd), failing).unwrap();
    let (_, found) = positions(&[], dir.path());
    assert!(
        found.iter().any(|l| l.starts_with("odd\\xFF.yaml:6:18")),
        "{found:?}"
    );
}

#[cfg(unix)]
#[test]
fn file_links_are_followed_only_when_asked() {
    let outside = TempDir::new().unwrap();
    let secret = write(outside.path(), "credentials.yaml", TRAIL.as_bytes());
    let dir = TempDir::new().unwrap();
    std::os::unix::fs::symlink(&secret, dir.path().join("link.yaml")).unwrap();
    let (_, found) = positions(&[], dir.path());
    assert!(
        found.is_empty(),
        "a link out of the tree was read: {found:?}"
    );
    let (_, found) = positions(&["--follow-links", "--select", "LOG001"], dir.path());
    assert_eq!(found, vec!["link.yaml:6:18 LOG001"]);
    // Named on the command line, the link is read as given.
    let (_, found) = positions(&[], &dir.path().join("link.yaml"));
    assert_eq!(found, vec!["link.yaml:6:18 LOG001"]);
}

#[test]
fn region_lists_are_validated() {
    let dir = TempDir::new().unwrap();
    let t = write(dir.path(), "t.yaml", TRAIL.as_bytes());
    for (value, expect) in [
        ("us-esat-1", "did you mean `us-east-1`"),
        ("", "empty entry"),
        ("ap-southeast-9", "--allow-unknown-regions"),
    ] {
        let out = tripline()
            .args(["check", "--no-config", "--allowed-regions", value])
            .arg(&t)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{value}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(expect), "{value}: {err}");
    }
    tripline()
        .args([
            "check",
            "--no-config",
            "--allow-unknown-regions",
            "--allowed-regions",
            "ap-southeast-9",
        ])
        .arg(&t)
        .assert()
        .code(1);
    write(
        dir.path(),
        "tripline.toml",
        b"allowed_regions = [\"eu-wset-1\"]\n",
    );
    let out = tripline().arg("check").arg(&t).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("tripline.toml") && err.contains("eu-west-1"),
        "{err}"
    );
}

#[test]
fn thread_counts_are_capped() {
    let dir = TempDir::new().unwrap();
    let t = write(dir.path(), "t.yaml", TRAIL.as_bytes());
    let out = tripline()
        .args(["check", "--no-config", "--threads", "2000"])
        .arg(&t)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().contains("capped at"));
}

#[test]
fn config_discovery_stops_at_the_repository_root() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "tripline.toml", b"ignore = [\"logging\"]\n");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    let t = write(&repo, "stacks/t.yaml", TRAIL.as_bytes());
    let out = tripline()
        .args(["check", "--format", "parseable", "--select", "LOG001"])
        .arg(&t)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("LOG001"),
        "a config above the repository turned checks off: {text}"
    );
    // Inside the repository, the nearest config governs as before.
    write(&repo, "tripline.toml", b"ignore = [\"logging\"]\n");
    let out = tripline()
        .args(["check", "--format", "parseable"])
        .arg(&t)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn merge_refuses_reports_that_are_not_one_run() {
    let dir = TempDir::new().unwrap();
    let empty = write(
        dir.path(),
        "a.sarif",
        b"{\"version\": \"2.1.0\", \"runs\": []}",
    );
    let out = tripline().arg("merge").arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "no panic (101)");
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("exactly one run")
    );
}

#[test]
fn the_language_server_refuses_a_huge_message_without_aborting() {
    let out = tripline()
        .arg("lsp")
        .write_stdin("Content-Length: 1000000000000\r\n\r\n")
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(
        code.is_some() && code != Some(101) && code != Some(134),
        "{code:?}"
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("over the"), "{err}");
}

/// Shard reports record K/N, and `merge` takes only a whole set: before, the same shard twice
/// doubled its findings and a missing shard lost them, both with exit 0 or 1.
#[test]
fn merge_takes_only_a_whole_set_of_shards() {
    let dir = TempDir::new().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for format in ["json", "sarif"] {
        let shard = |spec: &str| {
            let out = tripline()
                .args(["check", "--format", format, "--shard", spec])
                .arg(&fixtures)
                .output()
                .unwrap();
            let name = format!("{}.{format}", spec.replace('/', "-of-"));
            write(dir.path(), &name, &out.stdout)
        };
        let (a, b, c) = (shard("1/3"), shard("2/3"), shard("3/3"));
        let other_n = shard("2/2");
        let refused = |reports: &[&PathBuf], expected: &str| {
            let out = tripline().arg("merge").args(reports).output().unwrap();
            let stderr = String::from_utf8(out.stderr).unwrap();
            assert_eq!(out.status.code(), Some(2), "{format} {reports:?}: {stderr}");
            assert!(stderr.contains(expected), "{format}: {stderr}");
        };
        refused(&[&a, &b, &b, &c], "are both shard 2/3");
        refused(&[&a, &c], "shard 2/3 missing");
        refused(&[&a, &b, &other_n], "share N");
        // The whole set merges, in any order, into a report that records no shard.
        let out = tripline().arg("merge").args([&c, &a, &b]).output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let merged: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(merged.get("shard").is_none());
        assert!(merged["runs"][0].get("properties").is_none());
        let recorded: serde_json::Value = serde_json::from_slice(&fs::read(&b).unwrap()).unwrap();
        let shard = if format == "json" {
            &recorded["shard"]
        } else {
            &recorded["runs"][0]["properties"]["shard"]
        };
        assert_eq!(shard, &serde_json::json!({"index": 2, "count": 3}));
        // A report of another version is not a shard of this run.
        let text = fs::read_to_string(&c).unwrap().replacen(
            concat!("\"version\": \"", env!("CARGO_PKG_VERSION"), "\""),
            "\"version\": \"0.0.1-other\"",
            1,
        );
        let older = write(dir.path(), &format!("older.{format}"), text.as_bytes());
        refused(&[&a, &b, &older], "one version");
    }
}
