//! The result cache with the real binary on real files: output is byte-identical with and
//! without it; a report is reused only while the file, its config, its directory's
//! configuration and the build are the same; a corrupt or concurrently written cache is only
//! a slower run.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use tempfile::TempDir;

fn tripline() -> Command {
    let mut cmd = Command::cargo_bin("tripline").unwrap();
    cmd.env_remove("RUST_LOG").env_remove("TRIPLINE_CACHE_DIR");
    cmd
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A copy of the fixtures (with their config) in a fresh directory, the working directory of
/// the runs, so that the cache lands in it.
fn fixtures_copy() -> TempDir {
    let dir = TempDir::new().unwrap();
    copy_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
        dir.path(),
    );
    dir
}

/// How many files a warm run checks again: each configuration file that calls modules (its
/// findings depend on the modules' files), each template with a local nested stack, and the
/// plan whose findings move to its `.tf` source (fixtures/plan-source/beside).
fn always_checked(dir: &Path) -> usize {
    fn calls(dir: &Path, n: &mut usize) {
        for e in fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() && !name.starts_with('.') {
                calls(&path, n);
            } else if name.ends_with(".tf") || name.ends_with(".tf.json") {
                let text = fs::read_to_string(&path).unwrap();
                if text.lines().any(|l| l.starts_with("module \"")) || text.contains("\"module\"") {
                    *n += 1;
                }
            } else if name.ends_with(".yaml") {
                // A template with a local nested stack depends on the child's file.
                if fs::read_to_string(&path)
                    .unwrap()
                    .contains("TemplateURL: ./")
                {
                    *n += 1;
                }
            }
        }
    }
    let mut n = 1;
    calls(dir, &mut n);
    n
}

/// `check --verbose ARGS .` in `dir`: the report and (reused, checked) from the cache line.
fn check(dir: &Path, args: &[&str]) -> (Vec<u8>, Option<(usize, usize)>) {
    check_with(tripline(), dir, args)
}

/// The user's cache home of the runs in `dir` (where the cache and its key are by default):
/// inside the test's directory, hidden from the walk.
fn user_cache(dir: &Path) -> PathBuf {
    dir.join(".user-cache")
}

/// The cache directory of the runs in `dir`.
fn cache_dir(dir: &Path) -> PathBuf {
    user_cache(dir).join("tripline")
}

fn check_with(mut cmd: Command, dir: &Path, args: &[&str]) -> (Vec<u8>, Option<(usize, usize)>) {
    let out = cmd
        .current_dir(dir)
        .env("XDG_CACHE_HOME", user_cache(dir))
        .args(["check", "--verbose"])
        .args(args)
        .arg(".")
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{out:?}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stats = stderr.lines().find_map(|l| {
        let rest = l.strip_prefix("cache: ")?;
        let (reused, rest) = rest.split_once(" reports reused, ")?;
        let checked = rest.strip_suffix(" files checked")?;
        Some((reused.parse().unwrap(), checked.parse().unwrap()))
    });
    (out.stdout, stats)
}

#[test]
fn cached_output_is_byte_identical_in_every_format() {
    let dir = fixtures_copy();
    for format in ["json", "sarif", "human", "junit", "github", "parseable"] {
        let args = ["--format", format];
        let (cold, _) = check(dir.path(), &[&args[..], &["--no-cache"]].concat());
        let (first, _) = check(dir.path(), &args);
        let (warm, stats) = check(dir.path(), &args);
        assert!(first == cold, "{format}: first cached run differs");
        assert!(
            warm == cold,
            "{format}: warm run differs from an uncached one"
        );
        let (reused, checked) = stats.unwrap();
        // Only what depends on other directories is checked again: the module calls (local
        // and installed) and the plan whose findings move to its `.tf` source.
        assert_eq!(checked, always_checked(dir.path()), "{format}");
        assert!(checked >= 3, "{format}: {checked}");
        assert!(reused > 500, "{format}: {reused}");
    }
    assert!(cache_dir(dir.path()).join("CACHEDIR.TAG").is_file());
    assert_eq!(
        fs::read_to_string(cache_dir(dir.path()).join(".gitignore")).unwrap(),
        "*\n"
    );
    // Nothing in the checked tree.
    assert!(!dir.path().join(".tripline_cache").exists());
}

#[test]
fn a_changed_file_config_or_directory_is_checked_again() {
    let dir = fixtures_copy();
    let root = dir.path();
    let (before, _) = check(root, &["--format", "parseable"]);
    let before = String::from_utf8(before).unwrap();

    // The file: same size, other content.
    let template = root.join("LOG001/fail.yaml");
    let text = fs::read_to_string(&template).unwrap();
    let old = "IsMultiRegionTrail: !If [IsProd, true, false]";
    assert!(text.contains(old));
    fs::write(
        &template,
        text.replace(old, "IsMultiRegionTrail: !If [IsProd, true, true ]"),
    )
    .unwrap();
    let (after, stats) = check(root, &["--format", "parseable"]);
    let after = String::from_utf8(after).unwrap();
    assert_eq!(
        stats.unwrap().1,
        1 + always_checked(root),
        "the file, besides those that always are"
    );
    assert!(before.contains("is not multi-Region"));
    let multi = |s: &str| {
        s.lines()
            .filter(|l| l.starts_with("LOG001/fail.yaml") && l.contains("multi-Region"))
            .count()
    };
    assert!(multi(&after) < multi(&before), "{after}");
    let (uncached, _) = check(root, &["--format", "parseable", "--no-cache"]);
    assert_eq!(after, String::from_utf8(uncached).unwrap());

    // The config: every file of its scope is checked again.
    let config = root.join("tripline.toml");
    let mut toml = fs::read_to_string(&config).unwrap();
    toml.push_str("\n# changed\n");
    fs::write(&config, toml).unwrap();
    let (_, stats) = check(root, &["--format", "parseable"]);
    assert_eq!(stats.unwrap().0, 0);

    // A flag is part of the settings too.
    let (_, stats) = check(root, &["--format", "parseable", "--ignore", "LOG009"]);
    assert_eq!(stats.unwrap().0, 0);

    // A `.tf` file's directory: a new sibling file changes what the file's check sees.
    let tf = root.join("LOG001/tf/fail");
    let (_, stats) = check(&tf, &["--no-config", "--format", "parseable"]);
    assert_eq!(stats.unwrap(), (0, 1));
    let (_, stats) = check(&tf, &["--no-config", "--format", "parseable"]);
    assert_eq!(stats.unwrap(), (1, 0));
    fs::write(tf.join("extra.tf"), "locals {\n  x = 1\n}\n").unwrap();
    let (_, stats) = check(&tf, &["--no-config", "--format", "parseable"]);
    assert_eq!(stats.unwrap(), (0, 2));
}

#[test]
fn another_build_never_reuses_the_cache() {
    let dir = fixtures_copy();
    let root = dir.path().join("LOG009");
    let (first, _) = check(&root, &["--no-config", "--format", "json"]);
    // Another build: the same program at another place and time (a different executable).
    let bin_dir = TempDir::new().unwrap();
    let copy: PathBuf = bin_dir.path().join("tripline");
    fs::copy(assert_cmd::cargo::cargo_bin("tripline"), &copy).unwrap();
    let (other, stats) = check_with(
        Command::new(&copy),
        &root,
        &["--no-config", "--format", "json"],
    );
    assert_eq!(stats.unwrap().0, 0, "a different build checks everything");
    assert_eq!(first, other);
    // Entries of another version live in another directory and are never read.
    let versions: Vec<String> = fs::read_dir(cache_dir(&root))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "CACHEDIR.TAG" && n != ".gitignore" && n != "key")
        .collect();
    assert_eq!(versions, [env!("CARGO_PKG_VERSION")]);
}

#[test]
fn a_corrupt_or_concurrently_written_cache_is_only_a_slower_run() {
    let dir = fixtures_copy();
    let root = dir.path();
    let (cold, _) = check(root, &["--format", "json", "--no-cache"]);
    let (_, _) = check(root, &["--format", "json"]);
    let version = cache_dir(root).join(env!("CARGO_PKG_VERSION"));
    let mut corrupted = 0;
    for (i, entry) in fs::read_dir(&version).unwrap().enumerate() {
        let path = entry.unwrap().path();
        match i % 3 {
            0 => fs::write(&path, b"{ not json").unwrap(),
            1 => fs::write(&path, b"").unwrap(),
            _ => {
                // Valid JSON of the wrong shape.
                fs::write(
                    &path,
                    br#"{"format": 1, "dir": "elsewhere", "entries": {}}"#,
                )
                .unwrap()
            }
        }
        corrupted += 1;
    }
    assert!(corrupted > 10);
    let (out, stats) = check(root, &["--format", "json"]);
    assert!(out == cold, "a corrupt cache changed the report");
    assert_eq!(stats.unwrap().0, 0);
    // Rewritten: the next run reuses again.
    let (out, stats) = check(root, &["--format", "json"]);
    assert!(out == cold);
    assert!(stats.unwrap().0 > 500);

    // Four runs at once on a fresh cache: every report is the uncached one.
    fs::remove_dir_all(cache_dir(root)).unwrap();
    let children: Vec<std::process::Child> = (0..4)
        .map(|_| {
            std::process::Command::new(assert_cmd::cargo::cargo_bin("tripline"))
                .current_dir(root)
                .env("XDG_CACHE_HOME", user_cache(root))
                .args(["check", "--format", "json", "."])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.stdout == cold, "a concurrent run's report differs");
    }
    let (out, _) = check(root, &["--format", "json"]);
    assert!(out == cold);
}

#[test]
fn no_cache_writes_nothing_and_cache_dir_says_where() {
    let dir = fixtures_copy();
    let root = dir.path().join("REG001");
    let (_, stats) = check(&root, &["--no-config", "--no-cache"]);
    assert_eq!(stats, None);
    assert!(!root.join(".tripline_cache").exists());
    assert!(!cache_dir(&root).exists());
    let elsewhere = TempDir::new().unwrap();
    let cache = elsewhere.path().join("c");
    let cache_arg = cache.to_str().unwrap();
    check(&root, &["--no-config", "--cache-dir", cache_arg]);
    assert!(cache.join(env!("CARGO_PKG_VERSION")).is_dir());
    assert!(!root.join(".tripline_cache").exists());
    let (_, stats) = check_with(
        {
            let mut c = tripline();
            c.env("TRIPLINE_CACHE_DIR", &cache);
            c
        },
        &root,
        &["--no-config"],
    );
    assert_eq!(
        stats.unwrap().1,
        0,
        "the environment's cache directory is used"
    );
    // A walk with --hidden does not check the cache's own files.
    let hidden = [
        "--no-config",
        "--hidden",
        "--format",
        "json",
        "--cache-dir",
        ".tripline_cache",
    ];
    let (out, _) = check(&root, &hidden);
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(
        !doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"].as_str().unwrap().contains(".tripline_cache"))
    );
    let (again, _) = check(&root, &hidden);
    assert_eq!(out, again);
}

/// `check --verbose ARGS FILES` in `dir` with the user cache home `home`: exit code, stdout,
/// stderr.
fn run_in(dir: &Path, home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = tripline()
        .current_dir(dir)
        .env("XDG_CACHE_HOME", home)
        .args(["check", "--verbose", "--no-config"])
        .args(args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn fixture(name: &str) -> String {
    fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures")
            .join(name),
    )
    .unwrap()
}

#[test]
fn planted_links_in_the_cache_never_make_tripline_write_outside_it() {
    let dir = TempDir::new().unwrap();
    let (tree, outside) = (dir.path().join("tree"), dir.path().join("outside"));
    fs::create_dir_all(tree.join(".tripline_cache")).unwrap();
    fs::create_dir_all(outside.join("elsewhere")).unwrap();
    fs::write(tree.join("trail.yaml"), fixture("LOG001/fail.yaml")).unwrap();
    let victim = outside.join("victim");
    fs::write(&victim, "precious\n").unwrap();
    let cache = tree.join(".tripline_cache");
    let link =
        |target: &Path, at: &str| std::os::unix::fs::symlink(target, cache.join(at)).unwrap();
    let home = dir.path().join("home");
    for plant in ["CACHEDIR.TAG", ".gitignore", env!("CARGO_PKG_VERSION")] {
        for p in ["CACHEDIR.TAG", ".gitignore", env!("CARGO_PKG_VERSION")] {
            let _ = fs::remove_file(cache.join(p));
        }
        match plant {
            "CACHEDIR.TAG" => link(&victim, plant),
            // Dangling: a write would create its target.
            ".gitignore" => link(&outside.join("created"), plant),
            _ => link(&outside.join("elsewhere"), plant),
        }
        let (code, _, stderr) = run_in(&tree, &home, &["--cache-dir", ".tripline_cache", "."]);
        assert_eq!(code, Some(1), "{plant}: {stderr}");
        assert!(
            stderr.contains("without the result cache") && stderr.contains("symbolic link"),
            "{plant}: {stderr}"
        );
        assert_eq!(
            fs::read_to_string(&victim).unwrap(),
            "precious\n",
            "{plant}"
        );
        assert!(!outside.join("created").exists(), "{plant}");
        assert_eq!(
            fs::read_dir(outside.join("elsewhere")).unwrap().count(),
            0,
            "{plant}"
        );
    }
    // The cache directory itself a link: refused too.
    fs::remove_dir_all(&cache).unwrap();
    std::os::unix::fs::symlink(outside.join("elsewhere"), &cache).unwrap();
    let (_, _, stderr) = run_in(&tree, &home, &["--cache-dir", ".tripline_cache", "."]);
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!(fs::read_dir(outside.join("elsewhere")).unwrap().count(), 0);
}

#[test]
fn a_cache_file_is_read_only_when_regular_and_bounded() {
    let dir = TempDir::new().unwrap();
    let (tree, home) = (dir.path().join("tree"), dir.path().join("home"));
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("trail.yaml"), fixture("LOG001/fail.yaml")).unwrap();
    let (_, cold, _) = run_in(&tree, &home, &["--format", "json", "."]);
    let version = home.join("tripline").join(env!("CARGO_PKG_VERSION"));
    let files: Vec<PathBuf> = fs::read_dir(&version)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    // `/dev/zero` read 10 GB in 15 s.
    fs::remove_file(&files[0]).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &files[0]).unwrap();
    let started = std::time::Instant::now();
    let (code, out, stderr) = run_in(&tree, &home, &["--format", "json", "."]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(out, cold);
    assert!(
        stderr.contains("cache: 0 reports reused, 1 files checked"),
        "{stderr}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // Replaced by a regular file, which the next run reuses.
    assert!(fs::symlink_metadata(&files[0]).unwrap().is_file());
    let (_, again, stderr) = run_in(&tree, &home, &["--format", "json", "."]);
    assert_eq!(again, cold);
    assert!(stderr.contains("cache: 1 reports reused"), "{stderr}");
}

#[test]
fn an_entry_another_user_wrote_is_never_trusted() {
    // An attacker who can put files in the cache directory (a committed cache, a shared CI
    // cache) writes an entry that says "clean" for a template that has findings: the clean
    // template's report, for a file of the same size and modification time.
    let dir = TempDir::new().unwrap();
    let tree = dir.path().join("tree");
    fs::create_dir_all(&tree).unwrap();
    let cache = dir.path().join("shared-cache");
    let cache_arg = cache.to_str().unwrap();
    let clean =
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
            .to_string();
    let bad = fixture("LOG001/fail.yaml");
    let size = clean.len().max(bad.len()) + 1;
    let padded = |s: &str| format!("{s}{}", "#".repeat(size - s.len()));
    let template = tree.join("trail.yaml");
    let when = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let write = |text: &str| {
        fs::write(&template, text).unwrap();
        fs::File::options()
            .write(true)
            .open(&template)
            .unwrap()
            .set_modified(when)
            .unwrap();
    };
    let (attacker, victim) = (dir.path().join("attacker"), dir.path().join("victim"));
    write(&padded(&clean));
    let (code, _, _) = run_in(&tree, &attacker, &["--cache-dir", cache_arg, "."]);
    assert_eq!(code, Some(0));
    write(&padded(&bad));
    // With the attacker's own key the forged entry is served: this is the attack.
    let (code, _, stderr) = run_in(&tree, &attacker, &["--cache-dir", cache_arg, "."]);
    assert_eq!(code, Some(0), "{stderr}");
    // Any other user's tripline does not trust it.
    let (code, out, stderr) = run_in(&tree, &victim, &["--cache-dir", cache_arg, "."]);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(out.contains("LOG001"), "{out}");
    assert!(stderr.contains("cache: 0 reports reused"), "{stderr}");
}

#[test]
fn a_cache_directory_git_tracks_is_never_read() {
    let dir = TempDir::new().unwrap();
    let (tree, home) = (dir.path().join("tree"), dir.path().join("home"));
    fs::create_dir_all(&tree).unwrap();
    fs::write(tree.join("trail.yaml"), fixture("LOG001/fail.yaml")).unwrap();
    // A first run fills an in-tree cache, which a commit then carries.
    let (_, cold, _) = run_in(
        &tree,
        &home,
        &["--cache-dir", "committed", "--format", "json", "."],
    );
    fs::remove_file(tree.join("committed/.gitignore")).unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&tree)
            .output()
            .unwrap()
            .status
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "planted"]);
    let (code, out, stderr) = run_in(
        &tree,
        &home,
        &["--cache-dir", "committed", "--format", "json", "."],
    );
    assert_eq!(code, Some(1));
    assert_eq!(out, cold);
    assert!(stderr.contains("tracked by git"), "{stderr}");
    assert!(!stderr.contains("reports reused"), "{stderr}");
}
