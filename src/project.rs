//! Which settings govern which file.
//!
//! Each file is checked under the nearest `tripline.toml` (or `.tripline.toml`) at or above its
//! directory, as ruff and editorconfig-style tools do, so a monorepo can keep one config at the
//! top and give a team's subtree its own. Configs do not inherit from each other: the nearest
//! one is the whole story for its files, which keeps "why did this file get that setting?"
//! answerable by opening one file. `--config FILE` makes one config govern everything and
//! `--no-config` none. Command-line flags are layered over whichever config applies.
//!
//! A config's `include`/`exclude` globs (like its overrides and suppressions) are relative to the
//! config's own directory, whichever path the run was started from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use crate::config::{Config, ConfigError};
use crate::engine::{Engine, EngineError, Flags};
use crate::finding::Severity;
use crate::walk::{GlobError, Globs, display_path};

/// Where configs come from.
#[derive(Clone, Debug)]
pub enum ConfigChoice {
    /// The nearest config above each file.
    Discover,
    /// This config for every file.
    File(PathBuf),
    /// No config at all.
    Nothing,
}

#[derive(Debug, thiserror::Error)]
/// Why a config cannot govern its files.
pub enum ProjectError {
    #[error(transparent)]
    /// It cannot be read or is invalid.
    Config(#[from] ConfigError),
    #[error(transparent)]
    /// A Guard rule file it names cannot be used.
    Guard(#[from] crate::guard::GuardError),
    #[error("invalid config {}: {source}", path.display())]
    /// A glob in it does not parse.
    Glob {
        /// The config.
        path: PathBuf,
        #[source]
        /// Why.
        source: GlobError,
    },
}

/// The settings for the files one config governs (or for files under no config).
pub struct Scope {
    /// The config as read; `config.source` is `None` when no file applies.
    pub config: Config,
    /// The engine checking the scope's files.
    pub engine: Engine,
    /// Lowest severity that fails the run for these files.
    pub fail_on: Severity,
    include: Globs,
    exclude: Globs,
    /// The config's directory, absolute and normalized.
    base: Option<PathBuf>,
}

impl Scope {
    fn new(config: Config, flags: &Flags) -> Result<Scope, ProjectError> {
        let path = || {
            config
                .source
                .as_ref()
                .map(|s| s.path.clone())
                .unwrap_or_default()
        };
        let glob_error = |source| ProjectError::Glob {
            path: path(),
            source,
        };
        let engine = Engine::layered(&config, flags).map_err(|e| match e {
            EngineError::Glob(e) => glob_error(e),
            EngineError::Guard(e) => ProjectError::Guard(e),
        })?;
        let include = Globs::new(&config.include).map_err(glob_error)?;
        let exclude = Globs::new(&config.exclude).map_err(glob_error)?;
        let base = config.source.as_ref().map(|s| normalize(&s.dir()));
        Ok(Scope {
            fail_on: flags.fail_on.or(config.fail_on).unwrap_or(Severity::Low),
            config,
            engine,
            include,
            exclude,
            base,
        })
    }

    /// The config file, if one applies.
    pub fn config_path(&self) -> Option<&Path> {
        self.config.source.as_ref().map(|s| s.path.as_path())
    }

    /// Whether the config has `include` or `exclude` globs.
    pub(crate) fn has_globs(&self) -> bool {
        !(self.include.is_empty() && self.exclude.is_empty())
    }

    /// Whether the config's `include`/`exclude` let the walk keep `path` (absolute and
    /// normalized; `display` is the path as reported, used for a config elsewhere in the tree).
    /// Directories are only subject to `exclude`, so that `include = ["stacks/**"]` still lets
    /// the walk descend to `stacks/`.
    pub fn admits(&self, path: &Path, display: &str, is_dir: bool) -> bool {
        if !self.has_globs() {
            return true;
        }
        let relative = match self.base.as_deref().map(|b| path.strip_prefix(b)) {
            Some(Ok(rel)) => display_path(rel),
            _ => display.to_string(),
        };
        if self.exclude.is_match(&relative) {
            return false;
        }
        is_dir || self.include.is_empty() || self.include.is_match(&relative)
    }
}

#[derive(Default)]
struct State {
    scopes: Vec<Arc<Scope>>,
    /// Config file (or none) → index in `scopes`.
    by_config: HashMap<Option<PathBuf>, usize>,
    /// The same, by directory as the caller gave it, by its bytes: asked once per walked
    /// file, and hashing bytes is several times cheaper than hashing a path's components
    /// (two spellings of one directory only cost a second search, which finds it known).
    by_given: HashMap<std::ffi::OsString, usize>,
    /// Which config governs each directory, found once per directory.
    discovery: crate::config::Discovery,
    errors: Vec<ProjectError>,
}

/// Resolves and caches the scope of every directory a run touches. Shared by the walker's
/// threads.
pub struct Project {
    choice: ConfigChoice,
    flags: Flags,
    cwd: PathBuf,
    state: RwLock<State>,
}

impl Project {
    /// Configs chosen by `choice`, with the command line's `flags` over each.
    pub fn new(choice: ConfigChoice, flags: Flags) -> Project {
        Project {
            choice,
            flags,
            cwd: std::env::current_dir().unwrap_or_default(),
            state: RwLock::new(State::default()),
        }
    }

    /// A path made absolute against the working directory, with `.` and `..` resolved
    /// lexically (not through symbolic links, so that it stays comparable with walked paths).
    pub(crate) fn absolute(&self, path: &Path) -> PathBuf {
        normalize(&self.cwd.join(path))
    }

    /// The scope of the files directly in `dir` (any path; need not exist, as for standard
    /// input's `--stdin-filename`). A config that cannot be loaded is remembered as an error
    /// (see [`Project::take_errors`]) and its files fall back to the settings of no config.
    pub(crate) fn scope_for_dir(&self, dir: &Path) -> (usize, Arc<Scope>) {
        // Walked paths repeat their directory for every file: look it up as given first, under
        // a read lock that the walker's threads share.
        {
            let state = self.state.read().unwrap_or_else(|e| e.into_inner());
            if let Some(&i) = state.by_given.get(dir.as_os_str()) {
                return (i, state.scopes[i].clone());
            }
        }
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&i) = state.by_given.get(dir.as_os_str()) {
            return (i, state.scopes[i].clone());
        }
        let given = dir.as_os_str().to_os_string();
        let dir = self.absolute(dir);
        let config_path = match &self.choice {
            ConfigChoice::Discover => state.discovery.nearest(&dir).map(|c| c.to_path_buf()),
            ConfigChoice::File(p) => Some(p.clone()),
            ConfigChoice::Nothing => None,
        };
        let i = match state.by_config.get(&config_path) {
            Some(&i) => i,
            None => {
                let scope = match self.load(config_path.as_deref()) {
                    Ok(scope) => scope,
                    Err(e) => {
                        state.errors.push(e);
                        Scope::new(Config::default(), &self.flags)
                            .expect("the default configuration is valid")
                    }
                };
                state.scopes.push(Arc::new(scope));
                let i = state.scopes.len() - 1;
                state.by_config.insert(config_path, i);
                i
            }
        };
        state.by_given.insert(given, i);
        (i, state.scopes[i].clone())
    }

    /// The help page template of the config governing `path` (or the working directory).
    pub fn docs_url(&self, path: Option<&Path>) -> Option<String> {
        let (_, scope) = match path {
            Some(p) => self.scope_for_file(p),
            None => self.scope_for_dir(Path::new(".")),
        };
        scope.config.docs_url.clone()
    }

    /// The scope of one file.
    pub(crate) fn scope_for_file(&self, path: &Path) -> (usize, Arc<Scope>) {
        let parent = path.parent().unwrap_or(Path::new(""));
        self.scope_for_dir(parent)
    }

    fn load(&self, path: Option<&Path>) -> Result<Scope, ProjectError> {
        let config = match path {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        Scope::new(config, &self.flags)
    }

    /// Every scope resolved so far, by index.
    pub fn scopes(&self) -> Vec<Arc<Scope>> {
        self.state
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .scopes
            .clone()
    }

    /// Configs that could not be loaded, first seen first.
    pub(crate) fn take_errors(&self) -> Vec<ProjectError> {
        std::mem::take(&mut self.state.write().unwrap_or_else(|e| e.into_inner()).errors)
    }
}

use crate::config::normalize;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_lexically() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(normalize(Path::new("/../a")), PathBuf::from("/a"));
    }

    #[test]
    fn nearest_config_governs_and_is_loaded_once() {
        let dir = tempfile::TempDir::new().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("team/stacks")).unwrap();
        std::fs::create_dir_all(root.join("other")).unwrap();
        std::fs::write(root.join("tripline.toml"), "fail_on = \"high\"\n").unwrap();
        std::fs::write(
            root.join("team/tripline.toml"),
            "exclude = [\"stacks/old\"]\n",
        )
        .unwrap();
        let project = Project::new(ConfigChoice::Discover, Flags::default());
        let (top, top_scope) = project.scope_for_dir(&root.join("other"));
        let (team, team_scope) = project.scope_for_dir(&root.join("team/stacks"));
        assert_ne!(top, team);
        assert_eq!(top_scope.fail_on, Severity::High);
        assert_eq!(team_scope.fail_on, Severity::Low, "configs do not inherit");
        assert_eq!(
            project.scope_for_dir(&root.join("team/./stacks/..")).0,
            team
        );
        assert_eq!(project.scope_for_dir(root).0, top);
        assert_eq!(project.scopes().len(), 2);
        let old = project.absolute(&root.join("team/stacks/old"));
        assert!(!team_scope.admits(&old, "", true));
        assert!(team_scope.admits(&project.absolute(&root.join("team/stacks/new")), "", true));
        assert!(project.take_errors().is_empty());
    }

    #[test]
    fn a_broken_config_is_an_error_once() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("tripline.toml"), "colour = 1\n").unwrap();
        let project = Project::new(ConfigChoice::Discover, Flags::default());
        project.scope_for_dir(dir.path());
        project.scope_for_dir(&dir.path().join("sub"));
        let errors = project.take_errors();
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("colour"), "{}", errors[0]);
    }

    #[test]
    fn an_explicit_config_or_none_governs_everything() {
        let dir = tempfile::TempDir::new().unwrap();
        std::fs::write(dir.path().join("tripline.toml"), "fail_on = \"high\"\n").unwrap();
        let none = Project::new(ConfigChoice::Nothing, Flags::default());
        assert!(none.scope_for_dir(dir.path()).1.config_path().is_none());
        let elsewhere = dir.path().join("elsewhere.toml");
        std::fs::write(&elsewhere, "fail_on = \"medium\"\n").unwrap();
        let fixed = Project::new(ConfigChoice::File(elsewhere.clone()), Flags::default());
        let (_, scope) = fixed.scope_for_dir(dir.path());
        assert_eq!(scope.config_path(), Some(elsewhere.as_path()));
        assert_eq!(scope.fail_on, Severity::Medium);
    }
}
