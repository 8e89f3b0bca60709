//! The command line's arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::finding::Severity;
use crate::shard::Shard;

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum OutputFormat {
    Human,
    Json,
    Sarif,
    Junit,
    Github,
    Parseable,
    /// Counts by severity and policy and the most severe findings (for `$GITHUB_STEP_SUMMARY`
    /// or a pull request comment).
    Markdown,
}

impl From<OutputFormat> for crate::report::Format {
    fn from(f: OutputFormat) -> crate::report::Format {
        use crate::report::Format;
        match f {
            OutputFormat::Human => Format::Human,
            OutputFormat::Json => Format::Json,
            OutputFormat::Sarif => Format::Sarif,
            OutputFormat::Junit => Format::Junit,
            OutputFormat::Github => Format::Github,
            OutputFormat::Parseable => Format::Parseable,
            OutputFormat::Markdown => Format::Markdown,
        }
    }
}

/// `--var NAME=VALUE`.
fn var_value(arg: &str) -> Result<(String, String), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}`: expected NAME=VALUE"))?;
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid {
        return Err(format!("`{name}` is not a variable name"));
    }
    Ok((name.to_string(), value.to_string()))
}

/// `--also-report FORMAT=FILE`.
fn also_report(arg: &str) -> Result<(OutputFormat, PathBuf), String> {
    let (format, file) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}`: expected FORMAT=FILE, e.g. github=annotations.txt"))?;
    let format = OutputFormat::from_str(format, true)?;
    if file.is_empty() {
        return Err(format!("`{arg}`: no file after `=`"));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to color. `--color always|never` decides; under `auto`, the conventions in
    /// order: `NO_COLOR` (set and not empty) turns colour off (no-color.org); `FORCE_COLOR`
    /// (set, not empty, not `0` or `false`) turns it on even when not writing to a terminal
    /// (force-color.org), as `CLICOLOR_FORCE` (set and not `0`) does; `CLICOLOR=0` turns it
    /// off; else a terminal is coloured.
    pub(super) fn enabled(self, to_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => auto_color(to_terminal, &|k| std::env::var(k).ok()),
        }
    }
}

/// [`ColorChoice::Auto`] under an environment read through `var`.
pub(super) fn auto_color(to_terminal: bool, var: &dyn Fn(&str) -> Option<String>) -> bool {
    let set = |k: &str| var(k).filter(|v| !v.is_empty());
    if set("NO_COLOR").is_some() {
        return false;
    }
    if set("FORCE_COLOR").is_some_and(|v| v != "0" && !v.eq_ignore_ascii_case("false")) {
        return true;
    }
    if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
        return true;
    }
    if set("CLICOLOR").is_some_and(|v| v == "0") {
        return false;
    }
    to_terminal
}

/// How `explain` prints.
#[derive(Clone, Copy, ValueEnum)]
pub enum ExplainFormatArg {
    /// For a terminal.
    Text,
    /// Markdown.
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

#[derive(Args)]
pub(super) struct CheckArgs {
    /// Files or directories to check; `-` reads one template from standard input.
    pub(super) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(super) format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// Also write the report in FORMAT to FILE, from the same run (repeatable), e.g.
    /// `--also-report github=annotations.txt`; each file appears only once it is complete.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = also_report)]
    pub(super) also_report: Vec<(OutputFormat, PathBuf)>,
    /// Lowest severity that makes the exit code 1 [default: low, or the config's fail_on].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub(super) fail_on: Option<SeverityArg>,
    /// Worker threads (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N")]
    pub(super) threads: Option<usize>,
    /// Only check files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(super) include: Vec<String>,
    /// Skip files and directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(super) exclude: Vec<String>,
    /// Comma-separated Regions infrastructure may run in; turns the region policies on.
    #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
    pub(super) allowed_regions: Option<Vec<String>>,
    /// Only run these policies: IDs, ID prefixes or families, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(super) select: Vec<String>,
    /// Do not run these policies: IDs, ID prefixes or families, comma-separated.
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(super) ignore: Vec<String>,
    /// Use this config file instead of searching for tripline.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(super) config: Option<PathBuf>,
    /// Do not read any config file.
    #[arg(long)]
    pub(super) no_config: bool,
    /// Name to report for the template read from standard input.
    #[arg(long, value_name = "NAME")]
    pub(super) stdin_filename: Option<String>,
    /// Also check hidden files and directories.
    #[arg(long)]
    pub(super) hidden: bool,
    /// Do not honour .gitignore, .ignore and .triplineignore files.
    #[arg(long)]
    pub(super) no_ignore: bool,
    /// Accept Regions in --allowed-regions that tripline does not know yet.
    #[arg(long)]
    pub(super) allow_unknown_regions: bool,
    /// Follow symbolic links to directories and files (loops are detected and reported);
    /// without it, links met in the walk are not read (a file named on the command line is).
    #[arg(long)]
    pub(super) follow_links: bool,
    /// Largest file loaded, in bytes (at most 4 GiB - 1); larger ones are reported as IO001.
    #[arg(long, value_name = "BYTES", default_value_t = 100 * 1024 * 1024)]
    pub(super) max_file_size: u64,
    /// A Terraform variable file (`.tfvars`, or `.tfvars.json`) applied to every configuration
    /// checked, after its own `terraform.tfvars` and `*.auto.tfvars`, as `terraform plan
    /// -var-file` applies it (repeatable; later files win). Environment variables are never
    /// read: the result must not depend on the machine.
    #[arg(long, value_name = "FILE")]
    pub(super) var_file: Vec<PathBuf>,
    /// A Terraform variable value, `NAME=VALUE`, applied after every variable file
    /// (repeatable; later ones win). A value starting with `[` or `{` is an HCL expression.
    #[arg(long, value_name = "NAME=VALUE", value_parser = var_value)]
    pub(super) var: Vec<(String, String)>,
    /// The Terraform root module of the plans checked: their findings are reported at the
    /// `.tf` line that produced them (the plan's place as related information). Without it, a
    /// plan's own directory is used when it is one `.tf` configuration.
    #[arg(long, value_name = "DIR")]
    pub(super) terraform_root: Option<PathBuf>,
    /// Load and recognize templates without running policies (for measuring parse cost).
    #[arg(long, hide = true)]
    pub(super) parse_only: bool,
    /// Check every file, neither reusing nor keeping results in the result cache.
    #[arg(long)]
    pub(super) no_cache: bool,
    /// Where the result cache is kept (default: $TRIPLINE_CACHE_DIR, else the user's cache
    /// home, `$XDG_CACHE_HOME/tripline` or `~/.cache/tripline`).
    #[arg(long, value_name = "DIR")]
    pub(super) cache_dir: Option<PathBuf>,
    /// When to color human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub(super) color: ColorChoice,
    /// Print what was checked and skipped to standard error.
    #[arg(short, long)]
    pub(super) verbose: bool,
    /// Print only findings (no summary line).
    #[arg(short, long)]
    pub(super) quiet: bool,
    /// Report only findings that are not in this baseline file (and count fixed ones).
    #[arg(long, value_name = "FILE")]
    pub(super) baseline: Option<PathBuf>,
    /// Record the current findings as the accepted baseline in this file.
    #[arg(long, value_name = "FILE")]
    pub(super) write_baseline: Option<PathBuf>,
    /// Report only findings that are new since git revision REF (in CI, the pull request's
    /// base): REF's tree is checked too, read through git without touching the work tree.
    #[arg(long, value_name = "REF", conflicts_with_all = ["baseline", "write_baseline"])]
    pub(super) new_since: Option<String>,
    /// Report suppressions that give no reason (SUPP002).
    #[arg(long)]
    pub(super) require_suppression_reason: bool,
    /// Exit 0 even when there are findings (errors still exit 2).
    #[arg(long)]
    pub(super) exit_zero: bool,
    /// Guard rule file, or directory of `.guard`/`.ruleset` files, to run beside the built-in
    /// policies (repeatable; added to the config's `rules`).
    #[arg(long, value_name = "PATH")]
    pub(super) rules: Vec<PathBuf>,
    /// Check only shard K of N (1-based), chosen by a stable hash of each path, to spread a
    /// large tree over CI jobs; combine the shards' reports with `tripline merge`.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub(super) shard: Option<Shard>,
    /// Repository root SARIF paths are relative to (`%SRCROOT%`); default: the git root above
    /// the working directory, else the working directory.
    #[arg(long, value_name = "DIR")]
    pub(super) root: Option<PathBuf>,
    /// Apply the fixes policies offer (a `false` that must be `true`, a missing boolean
    /// property), keeping comments and formatting; then report what remains.
    #[arg(long, conflicts_with = "diff")]
    pub(super) fix: bool,
    /// Print the fixes as a unified diff instead of applying them (exit 1 when there are some).
    #[arg(long)]
    pub(super) diff: bool,
    /// Help page of each policy in SARIF (`helpUri`), `{id}` replaced by the policy ID, e.g.
    /// `https://wiki.example.com/tripline/{id}`.
    #[arg(long, value_name = "URL")]
    pub(super) docs_url: Option<String>,
    /// Also report each control objective nothing in the tree establishes, as a COV001
    /// finding at the config's `[coverage]` (see `tripline coverage`).
    #[arg(long)]
    pub(super) coverage: bool,
}

#[derive(Args)]
pub(super) struct CoverageArgs {
    /// Files or directories that make up the tree (default: the current directory).
    pub(super) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub(super) format: CoverageFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: Option<PathBuf>,
    /// List the control objectives (ID, family, title) and exit.
    #[arg(long)]
    pub(super) list: bool,
    /// Only assess these objectives: IDs, ID prefixes or families, comma-separated
    /// (replaces the config's `[coverage] select`).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(super) select: Vec<String>,
    /// Do not assess these objectives (added to the config's `[coverage] ignore`).
    #[arg(long, value_name = "IDS", value_delimiter = ',')]
    pub(super) ignore: Vec<String>,
    /// A Terraform variable file applied to every configuration, as for `check` (repeatable).
    #[arg(long, value_name = "FILE")]
    pub(super) var_file: Vec<PathBuf>,
    /// A Terraform variable value, `NAME=VALUE`, as for `check` (repeatable).
    #[arg(long, value_name = "NAME=VALUE", value_parser = var_value)]
    pub(super) var: Vec<(String, String)>,
    /// Comma-separated Regions infrastructure may run in (turns the region policies on, whose
    /// findings on a region-restricting SCP are drift).
    #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
    pub(super) allowed_regions: Option<Vec<String>>,
    /// Accept Regions in --allowed-regions that tripline does not know yet.
    #[arg(long)]
    pub(super) allow_unknown_regions: bool,
    /// Use this config file instead of searching for tripline.toml.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    pub(super) config: Option<PathBuf>,
    /// Do not read any config file.
    #[arg(long)]
    pub(super) no_config: bool,
    /// Only look at files matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(super) include: Vec<String>,
    /// Skip files and directories matching this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub(super) exclude: Vec<String>,
    /// Also read hidden files and directories.
    #[arg(long)]
    pub(super) hidden: bool,
    /// Do not honour .gitignore, .ignore and .triplineignore files.
    #[arg(long)]
    pub(super) no_ignore: bool,
    /// Follow symbolic links.
    #[arg(long)]
    pub(super) follow_links: bool,
    /// Worker threads (default: one per CPU).
    #[arg(short = 'j', long, value_name = "N")]
    pub(super) threads: Option<usize>,
    /// Neither reuse nor keep results in the result cache.
    #[arg(long)]
    pub(super) no_cache: bool,
    /// Where the result cache is kept.
    #[arg(long, value_name = "DIR")]
    pub(super) cache_dir: Option<PathBuf>,
    /// Repository root SARIF paths are relative to (default: the git root).
    #[arg(long, value_name = "DIR")]
    pub(super) root: Option<PathBuf>,
    /// When to color human output.
    #[arg(long, value_enum, default_value = "auto")]
    pub(super) color: ColorChoice,
    /// Exit 0 even when objectives are violated or missing (errors still exit 2).
    #[arg(long)]
    pub(super) exit_zero: bool,
    /// Organize the report by this framework's controls, assessing only the objectives that
    /// map to it.
    #[arg(long, value_enum, value_name = "FRAMEWORK")]
    pub(super) framework: Option<FrameworkArg>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum FrameworkArg {
    /// AWS Foundational Security Best Practices.
    Fsbp,
    /// CIS AWS Foundations Benchmark v3.0.
    #[value(name = "cis-3.0")]
    Cis3,
    /// CIS AWS Foundations Benchmark v5.0.
    #[value(name = "cis-5.0")]
    Cis5,
    /// AWS Control Tower controls.
    ControlTower,
}

impl FrameworkArg {
    pub(super) fn framework(self) -> crate::coverage::Framework {
        use crate::coverage::Framework as F;
        match self {
            FrameworkArg::Fsbp => F::Fsbp,
            FrameworkArg::Cis3 => F::Cis3,
            FrameworkArg::Cis5 => F::Cis5,
            FrameworkArg::ControlTower => F::ControlTower,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum CoverageFormat {
    Human,
    Json,
    /// A table per family with status and evidence (for a pull request or an auditor).
    Markdown,
    Sarif,
}

#[derive(Args)]
pub(super) struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub(super) format: RulesFormat,
    /// Also list the rules of these Guard rule files or directories (repeatable).
    #[arg(long, value_name = "PATH")]
    pub(super) rules: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum RulesFormat {
    Table,
    Json,
    /// The policy reference as Markdown (what `docs/policies.md` holds).
    Markdown,
}

#[cfg(test)]
mod tests {
    use super::auto_color;

    /// The colour conventions under `--color auto`, in their order.
    #[test]
    fn colour_follows_the_environment_conventions() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(auto_color(true, &env(&[])));
        assert!(!auto_color(false, &env(&[])));
        assert!(!auto_color(true, &env(&[("NO_COLOR", "1")])));
        assert!(
            auto_color(true, &env(&[("NO_COLOR", "")])),
            "empty is unset"
        );
        assert!(!auto_color(
            true,
            &env(&[("NO_COLOR", "1"), ("FORCE_COLOR", "1")])
        ));
        assert!(auto_color(false, &env(&[("FORCE_COLOR", "1")])));
        assert!(!auto_color(false, &env(&[("FORCE_COLOR", "0")])));
        assert!(auto_color(false, &env(&[("CLICOLOR_FORCE", "1")])));
        assert!(!auto_color(false, &env(&[("CLICOLOR_FORCE", "0")])));
        assert!(!auto_color(true, &env(&[("CLICOLOR", "0")])));
    }
}
