//! The commands, end to end: where the bytes come from, the probes, the
//! rules, the rendering. Each returns what to print and the exit status;
//! only `main` prints.

use std::io::IsTerminal;
use std::path::Path;

use crate::cli::{
    CheckArgs, CheckFormat, Cli, CollectArgs, ColorChoice, CompletionsArgs, Format, LiveArgs, ProfileArgs,
    RulesArgs, Shell,
};
use crate::host::bundle::{self, Meta};
use crate::host::{Captures, live, write};
use crate::profile::{self, ProfileError, ProfileOptions};
use crate::report::{self, ErrorKind, ErrorReport, Report};
use crate::rules::{self, Question};
use crate::{exit_code, probes};

/// What a command produced.
#[derive(Debug, Default)]
pub struct Outcome {
    pub stdout: String,
    /// Notes for the user (not errors).
    pub stderr: Vec<String>,
    pub status: u8,
}

/// Why a command could not produce its output.
#[derive(Debug)]
pub struct Failure {
    pub kind: ErrorKind,
    pub message: String,
    pub status: u8,
}

impl Failure {
    fn new(kind: ErrorKind, message: impl std::fmt::Display) -> Failure {
        Failure { kind, message: message.to_string(), status: exit_code::BAD_INPUT }
    }
}

pub fn check(args: &CheckArgs) -> Result<Outcome, Failure> {
    if args.format == CheckFormat::Jamf {
        return Ok(check_for_extension_attribute(args));
    }
    run_check(args)
}

/// An extension attribute must always have a result: any failure, even a
/// bug, becomes an `unknown` result with an `error` object, and exit 0.
fn check_for_extension_attribute(args: &CheckArgs) -> Outcome {
    always_a_result(args.user.clone(), || run_check(args))
}

fn always_a_result(user: Option<String>, check: impl FnOnce() -> Result<Outcome, Failure>) -> Outcome {
    let failure = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(check)) {
        Ok(Ok(outcome)) => return outcome,
        Ok(Err(failure)) => failure,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Failure::new(ErrorKind::Internal, format!("internal error (please report it): {what}"))
        }
    };
    let document = ErrorReport::new(failure.kind, failure.message.clone(), user);
    Outcome {
        stdout: report::json::jamf(&document),
        stderr: vec![failure.message],
        status: exit_code::REPORT,
    }
}

fn run_check(args: &CheckArgs) -> Result<Outcome, Failure> {
    let (mut notes, mut not_saved) = (Vec::new(), false);
    let (captures, meta) = match &args.from {
        Some(dir) => {
            let bundle = bundle::load(dir).map_err(|e| Failure::new(ErrorKind::BadInput, e))?;
            (bundle.captures, bundle.meta)
        }
        None => {
            let (captures, meta) = capture_live(&live_options(&args.live, &mut notes)?);
            // A bundle that cannot be written costs the bundle, never the
            // report: an extension attribute that saves one runs again on a
            // Mac where the folder is no longer empty.
            if let Some(dir) = &args.save_bundle {
                match open_folder(dir).and_then(|folder| save(&folder, &captures, &meta)) {
                    Ok(note) => notes.push(note),
                    Err(failure) => {
                        notes
                            .push(format!("the report stands, but no bundle was saved: {}", failure.message));
                        not_saved = true;
                    }
                }
            }
            (captures, Some(meta))
        }
    };
    let probed = probes::probe_all(&captures);
    // The raw bytes are no longer needed: the report is built from the facts.
    drop(captures);
    let question = Question { user: args.user.clone() };
    let evaluation = rules::evaluate(&probed.facts, &question);
    let report = Report::new(&probed, &evaluation, &question, meta.as_ref());
    let stdout = match args.format {
        CheckFormat::Json => report::json::pretty(&report) + "\n",
        CheckFormat::Jamf => report::json::jamf(&report),
        CheckFormat::Table => report::table::render(&report, table_style(args.color)),
    };
    // An extension attribute's exit status is not its result: jamf always exits 0.
    let status = if args.format == CheckFormat::Jamf {
        exit_code::REPORT
    } else if not_saved {
        exit_code::BAD_INPUT
    } else if args.exit_code {
        exit_code::for_verdict(report.verdict)
    } else {
        exit_code::REPORT
    };
    Ok(Outcome { stdout, stderr: notes, status })
}

pub fn collect(args: &CollectArgs) -> Result<Outcome, Failure> {
    let mut notes = Vec::new();
    let opts = live_options(&args.live, &mut notes)?;
    // Refused before any command runs.
    let folder = open_folder(&args.out)?;
    let (captures, meta) = capture_live(&opts);
    let stdout = save(&folder, &captures, &meta)? + "\n";
    Ok(Outcome { stdout, stderr: notes, status: exit_code::REPORT })
}

pub fn rules_catalog(args: &RulesArgs) -> Outcome {
    let stdout = match args.format {
        Format::Json => report::catalog::json() + "\n",
        Format::Table => report::catalog::table(table_width(terminal_width())),
    };
    Outcome { stdout, ..Outcome::default() }
}

/// Completions from the same clap definitions as the parser itself.
pub fn completions(args: &CompletionsArgs) -> Outcome {
    use clap::CommandFactory;
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    let mut bytes = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "st-preflight", &mut bytes);
    Outcome { stdout: String::from_utf8_lossy(&bytes).into_owned(), ..Outcome::default() }
}

/// The man page, from the same clap definitions.
pub fn man_page() -> Outcome {
    use clap::CommandFactory;
    let mut bytes = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut bytes).expect("rendering into memory cannot fail");
    Outcome { stdout: String::from_utf8_lossy(&bytes).into_owned(), ..Outcome::default() }
}

pub fn profile(args: &ProfileArgs) -> Result<Outcome, Failure> {
    let opts =
        ProfileOptions { identifier: args.identifier.clone(), organization: args.organization.clone() };
    let fail = |e: ProfileError| {
        let status = match e {
            ProfileError::InvalidIdentifier { .. } | ProfileError::InvalidOrganization { .. } => {
                exit_code::USAGE
            }
            _ => exit_code::BAD_INPUT,
        };
        Failure { kind: ErrorKind::BadInput, message: e.to_string(), status }
    };
    let bytes = profile::bypass_dialog_profile(&opts).map_err(fail)?;
    match &args.output {
        Some(path) => {
            profile::write_new(path, &bytes, args.force).map_err(fail)?;
            let note = format!(
                "wrote {}: install it as a device (computer-level) profile, only on Macs that will never use FileVault",
                path.display()
            );
            Ok(Outcome { stderr: vec![note], ..Outcome::default() })
        }
        None => Ok(Outcome { stdout: String::from_utf8_lossy(&bytes).into_owned(), ..Outcome::default() }),
    }
}

/// The live prober's options, once it is known that this is a Mac.
fn live_options(args: &LiveArgs, notes: &mut Vec<String>) -> Result<live::Options, Failure> {
    let opts =
        live::Options { system_root: args.system_root.clone(), timeout: args.timeout, ..Default::default() };
    if !opts.is_mac() {
        let sw_vers = opts.path("/usr/bin/sw_vers");
        return Err(Failure::new(
            ErrorKind::NotAMac,
            format!(
                "this is not a Mac ({} does not exist). Check a bundle captured on a Mac instead: \
             run `st-preflight collect --out DIR` there, then `st-preflight check --from DIR` here.",
                sw_vers.display()
            ),
        ));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        notes.push(
            "not running as root: some sources may fail or see less; run with sudo for a definite answer"
                .into(),
        );
    }
    Ok(opts)
}

fn capture_live(opts: &live::Options) -> (Captures, Meta) {
    let run = live::capture_all(opts);
    let meta = Meta {
        format: bundle::FORMAT.into(),
        version: bundle::VERSION,
        captured_at: Some(now_rfc3339()),
        tool_version: Some(env!("CARGO_PKG_VERSION").into()),
        sources: run.sources.iter().map(|(id, m)| (id.as_str().to_string(), m.clone())).collect(),
    };
    (run.captures, meta)
}

fn open_folder(dir: &Path) -> Result<write::Folder, Failure> {
    write::Folder::open(dir).map_err(|e| Failure::new(ErrorKind::CannotWrite, e))
}

fn save(folder: &write::Folder, captures: &Captures, meta: &Meta) -> Result<String, Failure> {
    let written = folder.write(captures, meta).map_err(|e| Failure::new(ErrorKind::CannotWrite, e))?;
    let dir = folder.path();
    let mut message = format!(
        "Bundle written to {} ({} files, {} bytes; it names this Mac's accounts, so it is readable by its owner only).\n\
         Check it anywhere with: st-preflight check --from {}",
        dir.display(),
        written.files,
        written.bytes,
        dir.display()
    );
    if let Some(note) = report::redaction_note(&crate::host::Host::redacted(captures)) {
        message.push('\n');
        message.push_str(&note);
    }
    Ok(message)
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn table_style(choice: ColorChoice) -> report::table::Style {
    let terminal = std::io::stdout().is_terminal();
    let color = wants_color(choice, terminal, std::env::var_os("NO_COLOR").as_deref());
    report::table::Style { color, width: table_width(terminal_width()) }
}

/// The width of the terminal stdout is, when it is one.
fn terminal_width() -> Option<u16> {
    if std::io::stdout().is_terminal() { comfy_table::Table::new().width() } else { None }
}

/// Colour on a terminal (or always, when asked), and never while `NO_COLOR`
/// is set to something (<https://no-color.org>: an empty value does not
/// count). `NO_COLOR` beats `--color always`: an admin who sets it for a
/// whole fleet's scripts means it, and the table's renderer drops colours
/// (not bold) under it anyway, so half-coloured output is all "always" could give.
fn wants_color(choice: ColorChoice, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    let no_color = no_color.is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => !no_color,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    }
}

/// On a terminal the table fits it; in a pipe or file it is 100 columns,
/// so that saved output is the same everywhere. A terminal that reports no
/// usable width (0 columns over some serial consoles) gets 100 too, rather
/// than a table one character wide.
fn table_width(terminal_width: Option<u16>) -> Option<u16> {
    match terminal_width {
        Some(width) if width >= MIN_TABLE_WIDTH => None,
        _ => Some(100),
    }
}

const MIN_TABLE_WIDTH: u16 = 40;

#[cfg(test)]
mod tests {
    use std::ffi::OsStr;

    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color_unless_asked() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(wants_color(ColorChoice::Auto, true, None));
        assert!(wants_color(ColorChoice::Auto, true, empty));
        assert!(!wants_color(ColorChoice::Auto, true, set));
        assert!(!wants_color(ColorChoice::Auto, false, None));
        assert!(wants_color(ColorChoice::Always, false, None));
        assert!(!wants_color(ColorChoice::Always, true, set));
        assert!(!wants_color(ColorChoice::Never, true, None));
    }

    /// A bug must not leave an extension attribute empty: a panic becomes
    /// an `unknown` result with an internal error, and exit 0.
    #[test]
    fn a_panic_in_the_check_still_gives_the_extension_attribute_a_result() {
        let outcome = always_a_result(Some("jdoe".into()), || panic!("a bug"));
        assert_eq!(outcome.status, exit_code::REPORT);
        let json = outcome.stdout.strip_prefix("<result>").and_then(|s| s.strip_suffix("</result>")).unwrap();
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(v["verdict"], "unknown");
        assert_eq!(v["error"]["kind"], "internal");
        assert_eq!(v["user"], "jdoe");
        assert!(v["error"]["message"].as_str().unwrap().contains("a bug"), "{v}");
    }

    #[test]
    fn a_terminal_too_narrow_to_tell_gets_the_fixed_width() {
        assert_eq!(table_width(None), Some(100));
        assert_eq!(table_width(Some(0)), Some(100));
        assert_eq!(table_width(Some(MIN_TABLE_WIDTH - 1)), Some(100));
        assert_eq!(table_width(Some(120)), None);
    }
}
