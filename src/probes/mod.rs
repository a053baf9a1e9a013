//! Probes turn a source's bytes into typed facts. Each fact carries the
//! source it came from; a source that is missing, failed, timed out or cannot
//! be parsed becomes an unknown fact with the reason, never an error, so the
//! rest of the report still stands.

pub mod bootstrap;
pub mod crypto_users;
pub mod diskutil;
pub mod dscl;
pub mod dsconfigad;
pub mod fdesetup;
pub mod host_info;
pub mod last;
pub mod ldap;
pub mod mcx;
pub(crate) mod plist_value;
pub mod sw_vers;

use schemars::JsonSchema;
use serde::Serialize;

use crate::host::{Capture, Host, Output};
use crate::source::SourceId;

/// How a source fared, as the report's `sources` list shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourceStatus {
    Ok,
    Failed,
    Timeout,
    NotFound,
    Absent,
    Missing,
    Unparseable,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Ok => "ok",
            SourceStatus::Failed => "failed",
            SourceStatus::Timeout => "timeout",
            SourceStatus::NotFound => "not-found",
            SourceStatus::Absent => "absent",
            SourceStatus::Missing => "missing",
            SourceStatus::Unparseable => "unparseable",
        }
    }
}

/// One source's line in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceReport {
    pub id: SourceId,
    pub status: SourceStatus,
    pub detail: String,
}

/// Why a fact is not known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub status: SourceStatus,
    pub reason: String,
}

/// A fact and the source it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Fact<T> {
    pub source: SourceId,
    pub value: Result<T, Unknown>,
}

impl<T> Fact<T> {
    pub fn known(&self) -> Option<&T> {
        self.value.as_ref().ok()
    }

    /// "sw-vers: missing (not captured)": why this fact is not known.
    pub fn why_unknown(&self) -> Option<String> {
        self.value.as_ref().err().map(|u| format!("{}: {}", self.source, u.reason))
    }
}

/// A parser's complaint about a source's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The bytes are not in the expected form; `line` is 1-based when known.
    Unparseable { line: Option<usize>, reason: String },
    /// The command reported its own failure in its output (e.g. diskutil's
    /// error plist): the source failed, and this is the command's message.
    ToolError(String),
}

impl ParseError {
    pub fn at(line: usize, reason: impl Into<String>) -> Self {
        ParseError::Unparseable { line: Some(line), reason: reason.into() }
    }

    pub fn whole(reason: impl Into<String>) -> Self {
        ParseError::Unparseable { line: None, reason: reason.into() }
    }
}

/// Which exit statuses still carry a usable answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exits {
    /// Only 0 is success; anything else is `failed`.
    Zero,
    /// The command signals state through its status (fdesetup returns 1 and
    /// 2 for answers); its output decides, and the parser must recognise it.
    Any,
}

/// How to probe one source.
pub struct Spec<T> {
    pub source: SourceId,
    pub exits: Exits,
    pub parse: fn(&Output) -> Result<T, ParseError>,
    /// The fact when a file source's file does not exist (`None` for commands).
    pub when_absent: Option<fn() -> T>,
}

/// Runs one probe against the host: the single place where captures become
/// either facts or unknowns, so every source is judged by the same rules.
pub fn probe<T>(host: &dyn Host, spec: &Spec<T>) -> (Fact<T>, SourceReport) {
    let source = spec.source;
    let (value, status, detail) = match host.capture(source) {
        Capture::Missing => unknown(SourceStatus::Missing, "not captured".to_string()),
        Capture::NotFound => unknown(SourceStatus::NotFound, "the command does not exist on this Mac".into()),
        Capture::Unreadable(reason) => unknown(SourceStatus::Unparseable, reason.clone()),
        Capture::Failed(reason) => unknown(SourceStatus::Failed, reason.clone()),
        Capture::TimedOut(out) => unknown(
            SourceStatus::Timeout,
            format!("ran past its time limit (had printed {} bytes)", out.stdout.len()),
        ),
        Capture::Absent => match spec.when_absent {
            Some(make) => (Ok(make()), SourceStatus::Absent, "the file does not exist".to_string()),
            None => unknown(SourceStatus::Failed, "marked absent, but it is a command".into()),
        },
        Capture::Done(out) => {
            let (value, status, mut detail) = judge(spec, out);
            if out.truncated {
                detail = join(&detail, "output cut at the capture limit, facts may be incomplete");
            }
            (value, status, detail)
        }
    };
    let report = SourceReport { id: source, status, detail: detail.clone() };
    let value = value.map_err(|()| Unknown { status, reason: detail });
    (Fact { source, value }, report)
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() { b.to_string() } else { format!("{a}; {b}") }
}

type Judged<T> = (Result<T, ()>, SourceStatus, String);

fn unknown<T>(status: SourceStatus, reason: String) -> Judged<T> {
    (Err(()), status, reason)
}

fn judge<T>(spec: &Spec<T>, out: &Output) -> Judged<T> {
    // Output stopped at the capture limit ends inside a line: the parser sees
    // the whole lines only, rather than refusing the source for its last one.
    let whole_lines;
    let out = if out.truncated {
        // Not even one whole line: nothing to read, and an empty output
        // would read as an answer ("not bound").
        let Some(end) = memchr::memrchr(b'\n', &out.stdout) else {
            return unknown(
                SourceStatus::Unparseable,
                "cut at the capture limit inside its first line".into(),
            );
        };
        whole_lines = Output { stdout: out.stdout[..=end].to_vec(), stderr: out.stderr.clone(), ..*out };
        &whole_lines
    } else {
        out
    };
    let parsed = (spec.parse)(out);
    // A command stopped at the output cap was killed by us: its status says nothing.
    let failed = out.exit != 0 && !out.truncated;
    if failed && spec.exits == Exits::Zero {
        // A failing command's own message (diskutil's error plist) beats its stderr.
        let why = match parsed {
            Err(ParseError::ToolError(msg)) => msg,
            _ => failure_detail(out),
        };
        return unknown(SourceStatus::Failed, why);
    }
    match parsed {
        Ok(value) => (Ok(value), SourceStatus::Ok, String::new()),
        Err(ParseError::ToolError(msg)) => unknown(SourceStatus::Failed, msg),
        // Output this command does not print when it answers, with a failing
        // status: the command failed, and its stderr says why.
        Err(ParseError::Unparseable { .. }) if failed => unknown(SourceStatus::Failed, failure_detail(out)),
        Err(ParseError::Unparseable { line, reason }) => {
            let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
            let mut detail = format!("{at}{reason}");
            // A tool may say so on stdout and still exit 0.
            if asks_for_root(&out.stdout) {
                detail.push_str(&format!(" ({})", crate::host::ROOT_HINT));
            }
            unknown(SourceStatus::Unparseable, detail)
        }
    }
}

/// "exited with status 1: <first lines of stderr>", with a hint for the
/// usual cause of failure when st-preflight is not run as root.
fn failure_detail(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr.trim();
    let mut detail = format!("exited with status {}", out.exit);
    if !stderr.is_empty() {
        let short: String = stderr.chars().take(300).collect();
        detail.push_str(": ");
        detail.push_str(&short);
    }
    if asks_for_root(&out.stderr) {
        detail.push_str(&format!(" ({})", crate::host::ROOT_HINT));
    }
    detail
}

/// Whether a command's message is the usual way macOS tools say they were
/// not run as root ("Permission denied", "Operation not permitted",
/// "must be run as root", "this command requires root privileges").
/// Only the start is read: such a message is short and comes first, and a
/// source may be 64 MiB of something else.
fn asks_for_root(message: &[u8]) -> bool {
    let lower = message[..message.len().min(4096)].to_ascii_lowercase();
    ["permission", "not permitted", "must be run as root", "requires root", "root privileges"]
        .iter()
        .any(|phrase| memchr::memmem::find(&lower, phrase.as_bytes()).is_some())
}

/// Text of a source, or why it is not text.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        ParseError::at(line, "not UTF-8 text")
    })
}

/// Everything the probes found out.
#[derive(Clone, Debug)]
pub struct Facts {
    pub os: Fact<sw_vers::OsVersion>,
    pub boot_volume: Fact<diskutil::BootVolume>,
    pub crypto_users: Fact<Vec<crypto_users::CryptoUser>>,
    pub filevault: Fact<fdesetup::FileVaultStatus>,
    pub active_directory: Fact<dsconfigad::AdBinding>,
    pub ldap_servers: Fact<Vec<String>>,
    pub local_users: Fact<Vec<dscl::LocalUser>>,
    pub admin_group: Fact<Vec<String>>,
    pub logins: Fact<last::LoginHistory>,
    pub bootstrap: Fact<bootstrap::BootstrapToken>,
    pub mcx_managed: Fact<mcx::McxPrefs>,
    pub mcx_local: Fact<mcx::McxPrefs>,
    pub host: Fact<host_info::HostInfo>,
}

/// The facts and how each source fared.
#[derive(Clone, Debug)]
pub struct Probed {
    pub facts: Facts,
    pub sources: Vec<SourceReport>,
    /// Sources from which password data was removed.
    pub redacted: Vec<SourceId>,
}

fn keep<T>(sources: &mut Vec<SourceReport>, (fact, report): (Fact<T>, SourceReport)) -> Fact<T> {
    sources.push(report);
    fact
}

/// Runs every probe.
pub fn probe_all(host: &dyn Host) -> Probed {
    let mut sources = Vec::with_capacity(SourceId::ALL.len());
    let s = &mut sources;
    let facts = Facts {
        os: keep(s, probe(host, &sw_vers::SPEC)),
        boot_volume: keep(s, probe(host, &diskutil::SPEC)),
        crypto_users: keep(s, probe(host, &crypto_users::SPEC)),
        filevault: keep(s, probe(host, &fdesetup::SPEC)),
        active_directory: keep(s, probe(host, &dsconfigad::SPEC)),
        ldap_servers: keep(s, probe(host, &ldap::SPEC)),
        local_users: keep(s, probe(host, &dscl::USERS_SPEC)),
        admin_group: keep(s, probe(host, &dscl::ADMIN_SPEC)),
        logins: keep(s, probe(host, &last::SPEC)),
        bootstrap: keep(s, probe(host, &bootstrap::SPEC)),
        mcx_managed: keep(s, probe(host, &mcx::MANAGED_SPEC)),
        mcx_local: keep(s, probe(host, &mcx::LOCAL_SPEC)),
        host: keep(s, probe(host, &host_info::SPEC)),
    };
    for id in host.redacted() {
        if let Some(report) = sources.iter_mut().find(|r| r.id == id) {
            report.detail = join(&report.detail, "password hash data was found and removed before parsing");
        }
    }
    Probed { facts, sources, redacted: host.redacted() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(stdout: &[u8]) -> Output {
        Output { stdout: stdout.to_vec(), truncated: true, exit: 137, ..Output::default() }
    }

    /// Not being root is named, whichever stream says so and however it is worded.
    #[test]
    fn a_tool_asking_for_root_gets_the_root_hint() {
        let failed = Output {
            stderr: b"profiles: this command requires root privileges\n".to_vec(),
            exit: 1,
            ..Output::default()
        };
        let (_, status, detail) = judge(&bootstrap::SPEC, &failed);
        assert_eq!(status, SourceStatus::Failed);
        assert!(detail.ends_with(&format!("({})", crate::host::ROOT_HINT)), "{detail}");

        let said_on_stdout =
            Output { stdout: b"This command requires root privileges.\n".to_vec(), ..Output::default() };
        let (_, status, detail) = judge(&bootstrap::SPEC, &said_on_stdout);
        assert_eq!(status, SourceStatus::Unparseable);
        assert!(detail.ends_with(&format!("({})", crate::host::ROOT_HINT)), "{detail}");

        let other = Output { stderr: b"dscl: node not found\n".to_vec(), exit: 1, ..Output::default() };
        assert!(!judge(&bootstrap::SPEC, &other).2.contains("root"));
    }

    /// The capture limit stops a command inside a line: the whole lines
    /// before it are read, and the kill's status is not a failure.
    #[test]
    fn cut_output_is_read_up_to_its_last_whole_line() {
        let cut = cut(b"ladmin    console   Mon Mar  9 08:55 - 17:31  (08:36)\nladmin    cons");
        let (history, status, detail) = judge(&last::SPEC, &cut);
        assert_eq!(history.unwrap().console_logins("ladmin"), 1);
        assert_eq!((status, detail.as_str()), (SourceStatus::Ok, ""));
        // The same bytes, not cut, are refused for their last line.
        let whole = Output { truncated: false, exit: 0, ..cut };
        assert_eq!(judge(&last::SPEC, &whole).1, SourceStatus::Unparseable);
    }

    /// Not one whole line: an empty output would be an answer (for
    /// dsconfigad, "not bound"), so the source is unparseable instead.
    #[test]
    fn output_cut_inside_its_first_line_is_unparseable() {
        let (ad, status, detail) = judge(&dsconfigad::SPEC, &cut(b"Active Directory Forest = corp"));
        assert!(ad.is_err());
        assert_eq!(
            (status, detail.as_str()),
            (SourceStatus::Unparseable, "cut at the capture limit inside its first line")
        );
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use std::path::PathBuf;

    use crate::host::Output;

    /// The bytes of a real sample from `tests/samples/` (a byte-exact copy of the reference samples).
    pub fn sample(name: &str) -> Vec<u8> {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/samples").join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn out(stdout: &[u8]) -> Output {
        Output { stdout: stdout.to_vec(), ..Output::default() }
    }
}
