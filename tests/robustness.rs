//! Hostile and broken input: each bad file gives one clear finding with its position, the rest
//! of the tree is still checked, and nothing panics. Also: sharding and merging, and no network.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use tempfile::TempDir;

fn tripline() -> Command {
    Command::cargo_bin("tripline").unwrap()
}

fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    path
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

const GOOD: &str = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  T:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      IsLogging: false\n      S3BucketName: b\n      IsMultiRegionTrail: true\n      EnableLogFileValidation: true\n";

#[test]
fn malformed_inputs_each_give_one_clear_finding() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let full = std::fs::read_to_string(fixtures().join("DET001/fail.json")).unwrap();
    let truncated = &full[..full.len() / 2];
    write(d, "truncated.json", truncated.as_bytes());
    let truncated_line = truncated.trim_end().lines().count();
    write(d, "tabs.yaml", b"AWSTemplateFormatVersion: '2010-09-09'\nResources:\n\tBucket:\n\t\tType: AWS::S3::Bucket\n");
    let mut bomb = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..9 {
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            vec![format!("*a{}", i - 1); 10].join(", ")
        ));
    }
    bomb.push_str("Resources: {}\n");
    write(d, "alias-bomb.yaml", bomb.as_bytes());
    write(
        d,
        "depth-bomb.json",
        format!(
            "{{\"Resources\": {}{}}}",
            "[".repeat(200_000),
            "]".repeat(200_000)
        )
        .as_bytes(),
    );
    let mut latin1 = b"AWSTemplateFormatVersion: '2010-09-09'\nDescription: caf".to_vec();
    latin1.extend([0xE9, b'\n']);
    latin1.extend(b"Resources: {}\n");
    write(d, "latin1.yaml", &latin1);
    let mut nul = "AWSTemplateFormatVersion: '2010-09-09'\n"
        .repeat(300)
        .into_bytes();
    nul.extend(b"Resources:\n  X: {Type: \"AWS::S3::\0Bucket\"}\n");
    write(d, "nul-late.yaml", &nul);
    write(d, "dir.yaml/inner.yaml", GOOD.as_bytes());
    write(d, "ok.yaml", GOOD.as_bytes());
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(d, d.join("loop")).unwrap();
        let fifo = d.join("pipe.yaml");
        Std::new("mkfifo").arg(&fifo).status().unwrap();
    }

    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--format",
            "json",
            "--follow-links",
            "--select",
            "LOG001",
        ])
        .arg(d)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut got: Vec<String> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let name = path
                .rsplit_once(&*d.to_string_lossy())
                .map_or(path, |(_, n)| n);
            format!(
                "{} {} {}",
                name.trim_start_matches('/'),
                f["policy"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect();
    got.sort();
    let truncated = format!("truncated.json PARSE001 {truncated_line}");
    let mut expected = vec![
        // Where the expansion crosses the limit.
        "alias-bomb.yaml PARSE003 6",
        "depth-bomb.json PARSE003 1",
        "dir.yaml/inner.yaml LOG001 6",
        "latin1.yaml PARSE004 2",
        "nul-late.yaml PARSE001 302",
        "ok.yaml LOG001 6",
        "tabs.yaml PARSE001 3",
        // An unexpected end of file points at the end of the last line.
        &truncated,
    ];
    if cfg!(unix) {
        // The loop is reported where it closes; the FIFO is never read (walks skip it).
        expected.push("loop IO001 1");
    }
    expected.sort();
    assert_eq!(got, expected, "{doc:#}");
    for f in doc["findings"].as_array().unwrap() {
        assert!(f["line"].as_u64().unwrap() >= 1 && f["column"].as_u64().unwrap() >= 1);
        assert!(!f["message"].as_str().unwrap().is_empty());
    }
}

#[cfg(unix)]
#[test]
fn special_files_named_explicitly_are_reported_not_read() {
    let dir = TempDir::new().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    Std::new("mkfifo").arg(&fifo).status().unwrap();
    let out = tripline()
        .args(["check", "--no-config", "--format", "parseable"])
        .arg(&fifo)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("IO001 is not a regular file"));
}

#[test]
fn a_50_megabyte_template_is_checked_and_an_oversized_one_reported() {
    let dir = TempDir::new().unwrap();
    let mut text =
        String::from("{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {\n");
    let mut i = 0;
    while text.len() < 50 * 1024 * 1024 {
        text.push_str(&format!(
            "  \"Q{i}\": {{\"Type\": \"AWS::SQS::Queue\", \"Properties\": {{\"QueueName\": \"queue-{i}\", \"Tags\": [{{\"Key\": \"team\", \"Value\": \"platform\"}}]}}}},\n"
        ));
        i += 1;
    }
    text.push_str("  \"T\": {\"Type\": \"AWS::CloudTrail::Trail\", \"Properties\": {\"IsLogging\": false, \"S3BucketName\": \"b\"}}\n}}\n");
    let big = write(dir.path(), "big.json", text.as_bytes());
    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--format",
            "parseable",
            "--select",
            "LOG001",
        ])
        .arg(&big)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(&format!(":{}:", i + 2)),
        "the trail's line: {stdout}"
    );
    let out = tripline()
        .args([
            "check",
            "--no-config",
            "--format",
            "parseable",
            "--max-file-size",
            "1000000",
        ])
        .arg(&big)
        .output()
        .unwrap();
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("IO001 file is")
    );
}

#[test]
fn shards_merge_into_the_single_run_report() {
    for format in ["json", "sarif"] {
        let run = |extra: &[&str]| {
            tripline()
                .args(["check", "--format", format])
                .args(extra)
                .arg(fixtures())
                .output()
                .unwrap()
                .stdout
        };
        let whole = run(&[]);
        let dir = TempDir::new().unwrap();
        let mut parts = Vec::new();
        for k in 1..=3 {
            let part = run(&["--shard", &format!("{k}/3")]);
            assert!(
                part.len() < whole.len(),
                "a shard holds part of the findings"
            );
            parts.push(write(dir.path(), &format!("{k}.{format}"), &part));
        }
        let merged = tripline().arg("merge").args(&parts).output().unwrap();
        // The fixtures fail, so the merged report fails the build as the single run does.
        assert_eq!(merged.status.code(), Some(1));
        assert!(
            merged.stdout == whole,
            "merged {format} differs from the single run"
        );
        // --fail-on and --exit-zero work as they do for `check`.
        let at = |fail_on: &str| {
            let check = tripline()
                .args(["check", "--format", format, "--fail-on", fail_on])
                .arg(fixtures())
                .output()
                .unwrap()
                .status
                .code();
            let merge = tripline()
                .args(["merge", "--fail-on", fail_on])
                .args(&parts)
                .output()
                .unwrap()
                .status
                .code();
            assert_eq!(merge, check, "merge --fail-on {fail_on} ({format})");
        };
        for s in ["low", "medium", "high", "critical"] {
            at(s);
        }
        tripline()
            .args(["merge", "--exit-zero"])
            .args(&parts)
            .assert()
            .code(0);
    }
    // A report that is neither kind is an error naming the file.
    let dir = TempDir::new().unwrap();
    let bogus = write(dir.path(), "bogus.json", b"[1, 2]");
    tripline()
        .arg("merge")
        .arg(&bogus)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("merge takes reports of one kind"));
    tripline()
        .args(["check", "--shard", "4/3"])
        .arg(fixtures())
        .assert()
        .code(2);
}

#[test]
fn never_touches_the_network() {
    // Runs the binary in a network namespace without interfaces, where the machine allows it.
    let available = Std::new("unshare")
        .args(["-n", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        eprintln!("skipped: this machine cannot create a network namespace (unshare -n)");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_tripline");
    let normal = Std::new(bin)
        .args(["check", "--format", "json"])
        .arg(fixtures())
        .output()
        .unwrap();
    let isolated = Std::new("unshare")
        .args(["-n", bin, "check", "--format", "json"])
        .arg(fixtures())
        .output()
        .unwrap();
    assert_eq!(isolated.status.code(), normal.status.code());
    assert!(
        isolated.stdout == normal.stdout,
        "output differs without a network"
    );
}

#[test]
fn streamed_reports_across_many_windows_are_whole_and_deterministic() {
    // More files than one window (tripline::run::WINDOW) so that reports leave in several batches.
    let dir = TempDir::new().unwrap();
    let n = tripline::run::WINDOW * 2 + 37;
    for i in 0..n {
        let body = if i % 3 == 0 {
            "Resources:\n  B:\n    Type: AWS::S3::Bucket\n"
        } else {
            "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n"
        };
        write(
            dir.path(),
            &format!("d{}/t{i:05}.yaml", i % 7),
            body.as_bytes(),
        );
    }
    for format in ["json", "sarif", "junit"] {
        let run = |threads: &str| {
            let out = tripline()
                .args(["check", "--no-config", "--format", format, "-j", threads])
                .arg(dir.path())
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1));
            out.stdout
        };
        let one = run("1");
        assert!(one == run("4"), "{format} differs between 1 and 4 threads");
        if format == "junit" {
            let text = String::from_utf8(one).unwrap();
            assert_eq!(text.matches("<testsuite ").count(), n);
            continue;
        }
        // The streamed document is exactly what serde writes for it, and complete.
        let value: serde_json::Value = serde_json::from_slice(&one).unwrap();
        let mut again = serde_json::to_vec_pretty(&value).unwrap();
        again.push(b'\n');
        assert!(again == one, "{format} is not serde's rendering of itself");
        let count = match format {
            "json" => value["findings"].as_array().unwrap().len(),
            _ => value["runs"][0]["results"].as_array().unwrap().len(),
        };
        assert_eq!(count, n.div_ceil(3), "one finding (LOG009) per bucket");
    }
}

/// One directory is walked in order and checked as it is walked (memory does not grow with
/// the number of files); several roots are collected and sorted. Both give the same report,
/// in display-path order — also where a directory's name is a prefix of a sibling's
/// (`x/…` after `x.yaml` and `x-1.yaml`, whose next byte sorts below `/`).
#[test]
fn a_walked_directory_reports_in_the_order_of_a_sorted_collection() {
    let dir = TempDir::new().unwrap();
    let root = dir.path().join("t");
    let bucket = b"Resources:\n  B:\n    Type: AWS::S3::Bucket\n";
    for name in [
        "x.yaml",
        "x-1.yaml",
        "x/a.yaml",
        "x/b/c.yaml",
        "x0.yaml",
        "a b.yaml",
        "A.yaml",
        "é.yaml",
        "y/z.json",
        "x.d/q.yaml",
    ] {
        write(&root, name, bucket);
    }
    write(
        &root,
        "y/z.json",
        b"{\"Resources\": {\"B\": {\"Type\": \"AWS::S3::Bucket\"}}}",
    );
    let run = |roots: &[&str]| {
        let out = tripline()
            .current_dir(dir.path())
            .args([
                "check",
                "--no-config",
                "--no-cache",
                "--format",
                "parseable",
            ])
            .args(roots)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let walked = run(&["t"]);
    let mut top: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| format!("t/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    top.sort();
    top.reverse();
    let top: Vec<&str> = top.iter().map(String::as_str).collect();
    let collected = run(&top);
    assert_eq!(walked, collected);
    let files: Vec<&str> = walked
        .lines()
        .map(|l| l.split(':').next().unwrap())
        .collect::<Vec<_>>();
    let mut sorted = files.clone();
    sorted.sort();
    assert_eq!(files, sorted);
    let mut unique = files.clone();
    unique.dedup();
    assert_eq!(
        unique,
        [
            "t/A.yaml",
            "t/a b.yaml",
            "t/x-1.yaml",
            "t/x.d/q.yaml",
            "t/x.yaml",
            "t/x/a.yaml",
            "t/x/b/c.yaml",
            "t/x0.yaml",
            "t/y/z.json",
            "t/é.yaml",
        ]
    );
}
