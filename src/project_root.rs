//! The project's root: what baselines and fingerprints name files relative to, so that a
//! baseline written at the root holds when tripline runs in a subdirectory (and the other way
//! round). Reports keep paths as the user pointed at them; only these two are root-relative.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use crate::config::{Config, normalize};

use crate::walk::{display_path, path_of_display};

/// The root and the directory the run started in, both absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRoot {
    root: PathBuf,
    cwd: PathBuf,
}

impl ProjectRoot {
    /// The root for a run started in `cwd`: the nearest directory at or above it with a `.git`
    /// (a repository or a worktree), else the directory of `config` (`--config`), else of the
    /// config that governs `cwd` (found as `check` finds it, with its stops), else `cwd`.
    pub fn discover(cwd: &Path, config: Option<&Path>) -> ProjectRoot {
        let cwd = normalize(cwd);
        let root = cwd
            .ancestors()
            .find(|d| d.join(".git").exists())
            .map(Path::to_path_buf)
            .or_else(|| {
                config
                    .and_then(Path::parent)
                    .map(|d| normalize(&cwd.join(d)))
            })
            .or_else(|| Config::discover(&cwd)?.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| cwd.clone());
        ProjectRoot { root, cwd }
    }

    /// The root for a run in the current directory (`None` when it cannot be known).
    pub fn of_current_dir(config: Option<&Path>) -> Option<std::sync::Arc<ProjectRoot>> {
        let cwd = std::env::current_dir().ok()?;
        Some(std::sync::Arc::new(ProjectRoot::discover(&cwd, config)))
    }

    /// A root given outright (a revision's tree read into a scratch directory), the run
    /// started in `cwd` below it.
    pub fn new(root: &Path, cwd: &Path) -> ProjectRoot {
        ProjectRoot {
            root: normalize(root),
            cwd: normalize(cwd),
        }
    }

    /// The root directory.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// A reported path (relative to the run's directory, or absolute) relative to the root, as
    /// reports write paths; the path unchanged when it is outside the root.
    pub fn relative<'d>(&self, display: &'d str) -> Cow<'d, str> {
        let path = path_of_display(display);
        if self.cwd == self.root
            && path.is_relative()
            && path.components().all(|c| matches!(c, Component::Normal(_)))
        {
            return Cow::Borrowed(display);
        }
        let absolute = normalize(&self.cwd.join(&path));
        match absolute.strip_prefix(&self.root) {
            Ok(rest) => Cow::Owned(display_path(rest)),
            Err(_) => Cow::Borrowed(display),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_root_from_any_directory() {
        let at_root = ProjectRoot {
            root: PathBuf::from("/repo"),
            cwd: PathBuf::from("/repo"),
        };
        let below = ProjectRoot {
            root: PathBuf::from("/repo"),
            cwd: PathBuf::from("/repo/infra"),
        };
        assert_eq!(at_root.relative("infra/main.tf"), "infra/main.tf");
        assert_eq!(below.relative("main.tf"), "infra/main.tf");
        assert_eq!(below.relative("../stacks/a.yaml"), "stacks/a.yaml");
        assert_eq!(below.relative("/repo/infra/main.tf"), "infra/main.tf");
        assert_eq!(below.relative("/elsewhere/x.yaml"), "/elsewhere/x.yaml");
        assert_eq!(at_root.relative("./a/../b.yaml"), "b.yaml");
    }
}
