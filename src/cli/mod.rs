//! The `tripline` command line: clap's definitions (`args`) and each subcommand's body, over
//! the library. The binary only sets up the allocator and calls [`Cli::run`].
//!
//! Exit codes (stable): 0 no findings at or above `--fail-on`; 1 findings at or above it;
//! 2 usage, configuration or internal error.

mod args;
mod check;
mod commands;
mod coverage;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::run::ExitStatus;
use args::{CheckArgs, CoverageArgs, RulesArgs, SeverityArg};

/// The `tripline` command line.
#[derive(Parser)]
#[command(
    name = "tripline",
    version,
    about = "Check CloudFormation and Terraform templates against a security baseline, offline.",
    after_help = "Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 usage or internal error.",
    // A later option wins over an earlier one (`--fail-on medium ... --fail-on low`): the
    // pre-commit hook's `args` then change its defaults.
    args_override_self = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check templates under the given paths (default: the current directory).
    Check(Box<CheckArgs>),
    /// Say which control objectives of the baseline the tree establishes, violates or misses
    /// (exit 1 when some applicable objective is violated or missing).
    Coverage(Box<CoverageArgs>),
    /// List the policies.
    Rules(RulesArgs),
    /// Print a policy's documentation (a Guard rule's: its text).
    Explain {
        /// Policy ID, e.g. LOG001 or GUARD/cloudtrail/trail_multi_region.
        id: String,
        /// Guard rule files or directories to look the ID up in (repeatable).
        #[arg(long, value_name = "PATH")]
        rules: Vec<PathBuf>,
        /// `text` for a terminal (wrapped, code indented), or `markdown`.
        #[arg(long, value_enum, default_value = "text")]
        format: args::ExplainFormatArg,
    },
    /// Run Guard rule unit tests (the YAML test files `cfn-guard test` reads), with
    /// `cfn-guard test`'s report and exit codes (0 all pass, 7 a test failed, 1 or 5 an error).
    TestRules {
        /// The rule file to test.
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "dir",
            required_unless_present = "dir"
        )]
        rules_file: Option<PathBuf>,
        /// The test file or directory of test files for --rules-file.
        #[arg(long, value_name = "PATH", requires = "rules_file")]
        test_data: Option<PathBuf>,
        /// A directory of rule files with their tests (`x.guard` and `tests/x_tests.yaml`).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Print every rule's result, not only the failures.
        #[arg(short, long)]
        verbose: bool,
    },
    /// Run the language server on standard input and output (for editors).
    Lsp,
    /// Combine the JSON or SARIF reports of `check --shard` runs into one report, identical to
    /// the report of a single run over all shards.
    Merge {
        /// The shard reports (all JSON or all SARIF).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Write the merged report to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Lowest severity that makes the exit code 1, as for `check`.
        #[arg(long, value_enum, value_name = "SEVERITY", default_value = "low")]
        fail_on: SeverityArg,
        /// Exit 0 even when the merged report has findings (errors still exit 2).
        #[arg(long)]
        exit_zero: bool,
    },
    /// Write a commented starter tripline.toml.
    Init {
        /// Where to write it.
        #[arg(default_value = "tripline.toml")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
}

impl Cli {
    /// The command line of this process (clap exits with its usage message when it is wrong).
    pub fn from_env() -> Cli {
        Cli::parse()
    }

    /// Whether the command runs the language server (a long-lived process).
    pub fn is_language_server(&self) -> bool {
        matches!(self.command, Command::Lsp)
    }

    /// Run the command; an error is printed and exits 2.
    pub fn run(self) -> ExitCode {
        match self.command.run() {
            Ok(code) => ExitCode::from(code),
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::from(ExitStatus::Error as u8)
            }
        }
    }
}

impl Command {
    fn run(self) -> Result<u8, String> {
        match self {
            Command::Check(args) => check::check(*args),
            Command::Coverage(args) => coverage::coverage(*args),
            Command::Rules(args) => commands::rules(args),
            Command::Explain { id, rules, format } => commands::explain(&id, &rules, format),
            Command::TestRules {
                rules_file,
                test_data,
                dir,
                verbose,
            } => crate::guard::test_rules(
                rules_file.as_deref(),
                test_data.as_deref(),
                dir.as_deref(),
                verbose,
            )
            .map(|code| u8::try_from(code).unwrap_or(ExitStatus::Error as u8)),
            Command::Init { path, force } => commands::init(&path, force),
            Command::Merge {
                reports,
                output,
                fail_on,
                exit_zero,
            } => commands::merge(&reports, output.as_deref(), fail_on.into(), exit_zero),
            // `exit` without `shutdown` ends with status 1, as the protocol says.
            Command::Lsp => match crate::lsp::serve_stdio() {
                Ok(()) => Ok(ExitStatus::Clean as u8),
                Err(crate::lsp::LspError::ExitWithoutShutdown) => Ok(1),
                Err(e) => Err(e.to_string()),
            },
        }
    }
}
