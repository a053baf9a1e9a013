//! The command line, and nothing else: clap types stay here and in `main`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit status:
  0   a report was produced, whatever the verdict
  2   usage error
  3   the input cannot be used (no such bundle, not a bundle, refused version)
With --exit-code, the verdict instead:
  0   will-not-appear
  10  will-appear
  11  suppressed
  12  unknown";

/// Will macOS stop a directory user's first login with the "SecureToken
/// administrator" dialog? st-preflight checks the conditions and says why.
#[derive(Debug, Parser)]
#[command(name = "st-preflight", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decide whether the dialog will appear, and why.
    #[command(after_help = EXIT_CODES)]
    Check(CheckArgs),
    /// List every condition and finding: what it means, the macOS versions,
    /// its sources and confidence.
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Read a captured bundle (a folder of <source>.out files) instead of this Mac.
    #[arg(long, value_name = "DIR")]
    pub from: PathBuf,

    /// The directory account about to log in (default: the next directory
    /// user who has never logged in here).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Exit with the verdict's code (0, 10, 11, 12) instead of 0.
    #[arg(long)]
    pub exit_code: bool,

    /// When to colour the table; `auto` colours a terminal unless NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for a technician.
    Table,
    /// The report as JSON (docs/report-json.md).
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
