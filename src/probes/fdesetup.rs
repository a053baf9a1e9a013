//! `fdesetup status`: FileVault on, off, or on its way.
//!
//! fdesetup signals state through its exit status too (1 off, 2 busy), so
//! every status is accepted and the text decides. The deferred-enablement
//! line (`Deferred enablement appears to be active for user 'name'.`) has no
//! captured sample; its wording is the one public scripts match on.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Exits, ParseError, Spec, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<FileVaultStatus> =
    Spec { source: SourceId::FdesetupStatus, exits: Exits::Any, parse, when_absent: None };

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FileVaultState {
    On,
    Off,
    Encrypting,
    Decrypting,
    /// Off, but will be enabled after the next restart.
    Pending,
    /// Off, and will be enabled when the named user next logs out or in.
    Deferred,
}

impl FileVaultState {
    /// The disk is encrypted, or is about to be: an account without a
    /// SecureToken cannot (or soon cannot) unlock it at startup.
    pub fn protects_disk(self) -> bool {
        !matches!(self, FileVaultState::Off)
    }

    /// Encryption or decryption in progress, or enablement still to come.
    pub fn is_busy(self) -> bool {
        !matches!(self, FileVaultState::On | FileVaultState::Off)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
pub struct FileVaultStatus {
    pub state: FileVaultState,
    /// Percent completed of encryption or decryption.
    pub percent: Option<f64>,
    /// The user a deferred enablement waits for.
    pub deferred_user: Option<String>,
}

pub fn parse(out: &Output) -> Result<FileVaultStatus, ParseError> {
    let text = utf8(&out.stdout)?;
    let mut headline = None;
    let mut status = FileVaultStatus { state: FileVaultState::Off, percent: None, deferred_user: None };
    let mut progress = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "FileVault is On." {
            headline = Some(FileVaultState::On);
        } else if line == "FileVault is Off." {
            headline = Some(FileVaultState::Off);
        } else if line.starts_with("FileVault is Off, but will be enabled after the next restart") {
            headline = Some(FileVaultState::Pending);
        } else if let Some(rest) = line.strip_prefix("Encryption in progress:") {
            progress = Some(FileVaultState::Encrypting);
            status.percent = percent(rest);
        } else if let Some(rest) = line.strip_prefix("Decryption in progress:") {
            progress = Some(FileVaultState::Decrypting);
            status.percent = percent(rest);
        } else if let Some(rest) = line.strip_prefix("Deferred enablement appears to be active") {
            progress = Some(FileVaultState::Deferred);
            status.deferred_user = quoted(rest);
        } else if n == 0 {
            return Err(ParseError::at(1, "not an `fdesetup status` line"));
        }
    }
    status.state =
        progress.or(headline).ok_or_else(|| ParseError::whole("no `FileVault is On.`/`Off.` line"))?;
    Ok(status)
}

/// ` Percent completed = 12.50` (capitalisation varies between releases).
fn percent(rest: &str) -> Option<f64> {
    rest.rsplit('=').next()?.trim().parse().ok().filter(|p: &f64| p.is_finite())
}

/// ` for user 'alex'.` or ` for user "david".`
fn quoted(rest: &str) -> Option<String> {
    let start = rest.find(['\'', '"'])?;
    let quote = rest[start..].chars().next()?;
    let inner = &rest[start + 1..];
    inner.find(quote).map(|end| inner[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    fn state(name: &str) -> FileVaultStatus {
        parse(&out(&sample(name))).unwrap()
    }

    #[test]
    fn on_and_off() {
        assert_eq!(state("fdesetup-status__on.txt").state, FileVaultState::On);
        assert_eq!(state("fdesetup-status__off.txt").state, FileVaultState::Off);
    }

    #[test]
    fn pending_after_restart() {
        let s = state("fdesetup-status__off-enabled-after-restart.txt");
        assert_eq!(s.state, FileVaultState::Pending);
        assert!(s.state.protects_disk() && s.state.is_busy());
    }

    #[test]
    fn encryption_in_progress() {
        let s = state("fdesetup-status__on-encryption-in-progress.txt");
        assert_eq!((s.state, s.percent), (FileVaultState::Encrypting, Some(12.5)));
    }

    #[test]
    fn decryption_line_alone() {
        let s = state("fdesetup-status__decryption-in-progress-line-only.txt");
        assert_eq!((s.state, s.percent), (FileVaultState::Decrypting, Some(37.0)));
    }

    #[test]
    fn deferred_enablement() {
        let s =
            parse(&out(b"FileVault is Off.\nDeferred enablement appears to be active for user 'alex'.\n"))
                .unwrap();
        assert_eq!((s.state, s.deferred_user.as_deref()), (FileVaultState::Deferred, Some("alex")));
    }

    #[test]
    fn other_output_is_unparseable() {
        assert!(parse(&out(&sample("fdesetup-isactive__true.txt"))).is_err());
        assert!(parse(&out(b"")).is_err());
        assert!(parse(&out(b"\x80\x81")).is_err());
    }
}
