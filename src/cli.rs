//! The command line, and nothing else: clap types stay here and in `main`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXIT_CODES: &str = "\
Exit status:
  0   a report was produced (or a bundle written), whatever the verdict
  1   the output could not be written to stdout
  2   usage error
  3   the input cannot be used (no such bundle, not a bundle, refused
      version, not a Mac), or the bundle folder cannot be written (with
      check --save-bundle the report is printed all the same)
With --exit-code, the verdict instead:
  0   will-not-appear
  10  will-appear
  11  suppressed
  12  unknown";

/// Predicts macOS's SecureToken administrator dialog for directory mobile accounts.
///
/// Will macOS stop a directory user's first login with the "SecureToken
/// administrator" dialog? st-preflight checks the conditions (live on this
/// Mac, or from a captured bundle) and says why, as a table or as JSON.
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
    /// Capture this Mac's raw state into a bundle that `check --from` replays anywhere.
    Collect(CollectArgs),
    /// List every condition and finding: what it means, the macOS versions,
    /// its sources and confidence.
    Rules(RulesArgs),
    /// Write a device-level configuration profile that suppresses the dialog
    /// (for shared Macs that will never use FileVault).
    Profile(ProfileArgs),
    /// Print a shell completion script (e.g. `st-preflight completions zsh > _st-preflight`).
    Completions(CompletionsArgs),
    /// Print the man page in roff (e.g. `st-preflight man > st-preflight.1`).
    Man,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The profile that sets com.apple.MCX cachedaccounts.askForSecureTokenAuthBypass
    /// to true (the only profile st-preflight writes).
    #[arg(long, required = true)]
    pub bypass_dialog: bool,

    /// PayloadIdentifier (reverse DNS); the payload UUIDs are derived from
    /// it, so the same identifier always gives the same file.
    #[arg(long, value_name = "ID", default_value = crate::profile::DEFAULT_IDENTIFIER)]
    pub identifier: String,

    /// PayloadOrganization.
    #[arg(long, value_name = "NAME")]
    pub organization: Option<String>,

    /// Write to FILE instead of standard output; an existing FILE is refused.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Replace FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// How to probe this Mac live.
#[derive(Debug, Args)]
pub struct LiveArgs {
    /// Time limit for each command, in seconds; a command past it is killed
    /// and its source reported as `timeout`.
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = parse_seconds)]
    pub timeout: Duration,

    /// Prefix every command and file path with DIR. For tests, and for
    /// probing a mounted offline disk; not for everyday use.
    #[arg(long, value_name = "DIR")]
    pub system_root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The folder to create (or an empty one); it must not hold anything.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    #[command(flatten)]
    pub live: LiveArgs,
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 3600.0) {
        return Err("the time limit must be more than 0 and at most 3600 seconds".into());
    }
    Ok(Duration::from_secs_f64(secs))
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Read a captured bundle (a folder of <source>.out files) instead of
    /// probing this Mac.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["system_root", "save_bundle", "timeout"])]
    pub from: Option<PathBuf>,

    /// Also write what was probed into a new bundle folder DIR.
    #[arg(long, value_name = "DIR")]
    pub save_bundle: Option<PathBuf>,

    #[command(flatten)]
    pub live: LiveArgs,

    /// The directory account about to log in (default: the next directory
    /// user who has never logged in here).
    #[arg(long, value_name = "NAME")]
    pub user: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Table)]
    pub format: CheckFormat,

    /// Exit with the verdict's code (0, 10, 11, 12) instead of 0.
    #[arg(long)]
    pub exit_code: bool,

    /// When to colour the table: `auto` on a terminal, `always` also in a pipe;
    /// never while NO_COLOR is set (to anything but an empty value).
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
pub enum CheckFormat {
    /// A table for a technician.
    Table,
    /// The report as JSON (docs/report-json.md).
    Json,
    /// `<result>` + one-line JSON + `</result>`, for a Jamf extension
    /// attribute; always a result and exit 0, even when the check fails.
    Jamf,
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
