//! CDK apps: a directory with `cdk.json` synthesizes its templates into a cloud assembly (the
//! `output` key, `cdk.out` by default) that `cdk deploy` deploys. The assembly is usually
//! git-ignored, so a walk that respects ignore files would check nothing of the app: the
//! walk adds the stack templates its `manifest.json` lists (nested assemblies of Stages
//! included), and says which app it found, or that it was never synthesized.

use std::path::{Path, PathBuf};

/// The most of `cdk.json` or `manifest.json` read (real ones are kilobytes).
const MAX_JSON: u64 = 4 * 1024 * 1024;
/// Deepest nesting of assemblies (Stages within Stages) followed.
const MAX_NESTING: usize = 8;

/// A CDK app found in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct App {
    /// The app's directory (where `cdk.json` is).
    pub dir: PathBuf,
    /// Its cloud assembly directory.
    pub output: PathBuf,
    /// The stack templates the assembly's manifest lists, in manifest order; empty when the
    /// app was not synthesized.
    pub stacks: Vec<PathBuf>,
    /// Whether the assembly has a manifest.
    pub synthesized: bool,
}

/// Whether `dir` is a cloud assembly: the CDK writes a `manifest.json` and a `cdk.out` version
/// file into it. Templates there are generated, never to be edited.
pub(crate) fn is_cloud_assembly(dir: &Path) -> bool {
    dir.join("manifest.json").is_file() && dir.join("cdk.out").is_file()
}

/// The app whose `cdk.json` is at `path`, or `None` when it is not one (no `app` key).
pub(crate) fn app(path: &Path) -> Option<App> {
    let config: serde_json::Value =
        serde_json::from_str(&crate::output::read_regular_text(path, MAX_JSON)?).ok()?;
    config.get("app")?;
    let dir = path.parent()?.to_path_buf();
    let output = config
        .get("output")
        .and_then(|o| o.as_str())
        .unwrap_or("cdk.out");
    // The assembly stays inside the app: a planted `output` must not point elsewhere.
    if Path::new(output).is_absolute() || output.split(['/', '\\']).any(|p| p == "..") {
        return None;
    }
    let output = dir.join(output);
    let mut stacks = Vec::new();
    let synthesized = manifest_stacks(&output, &mut stacks, 0);
    Some(App {
        dir,
        output,
        stacks,
        synthesized,
    })
}

/// Add the stack templates of the assembly in `dir` (and of its nested assemblies) to `out`;
/// whether it has a manifest.
fn manifest_stacks(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> bool {
    let Some(text) = crate::output::read_regular_text(&dir.join("manifest.json"), MAX_JSON) else {
        return false;
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    let artifacts = manifest.get("artifacts").and_then(|a| a.as_object());
    for artifact in artifacts.into_iter().flat_map(|a| a.values()) {
        let properties = artifact.get("properties");
        let property = |key: &str| properties.and_then(|p| p.get(key)).and_then(|v| v.as_str());
        match artifact.get("type").and_then(|t| t.as_str()) {
            Some("aws:cloudformation:stack") => {
                if let Some(file) = property("templateFile").filter(|f| inside(f)) {
                    out.push(dir.join(file));
                }
            }
            Some("cdk:cloud-assembly") if depth < MAX_NESTING => {
                if let Some(nested) = property("directoryName").filter(|f| inside(f)) {
                    manifest_stacks(&dir.join(nested), out, depth + 1);
                }
            }
            _ => {}
        }
    }
    true
}

/// Whether a path a manifest names stays inside its assembly.
fn inside(path: &str) -> bool {
    !Path::new(path).is_absolute() && !path.split(['/', '\\']).any(|p| p == "..")
}

/// What the run says of an app: how many stacks it checks, or how to synthesize them.
pub(crate) fn note(app: &App, display: &dyn Fn(&Path) -> String) -> String {
    if !app.synthesized {
        return format!(
            "CDK app {} has not been synthesized (no {}): run `cdk synth` there so that tripline \
             checks the templates it deploys",
            display(&app.dir.join("cdk.json")),
            display(&app.output.join("manifest.json"))
        );
    }
    format!(
        "CDK app {}: {} stack template{} in {} checked",
        display(&app.dir.join("cdk.json")),
        app.stacks.len(),
        if app.stacks.len() == 1 { "" } else { "s" },
        display(&app.output)
    )
}
