//! Findings: what the verdict means for this Mac and what to do about it.
//! FileVault does not decide the verdict, but it decides how bad it is.

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{ConditionId, FindingId};
use super::conditions::{BOOTSTRAP_SINCE, BYPASS_KEY_SINCE, DIALOG_SINCE, Os, bypass_setting, os_version};
use super::verdict::Verdict;
use super::{Evaluation, Question};
use crate::probes::Facts;
use crate::probes::fdesetup::FileVaultState;
use crate::source::SourceId;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub id: FindingId,
    pub severity: Severity,
    pub message: String,
    /// The accounts concerned, if any.
    pub accounts: Vec<String>,
    pub remedy: String,
}

/// The command that writes the suppression profile, named in remedies.
pub const PROFILE_COMMAND: &str =
    "st-preflight profile --bypass-dialog --output suppress-securetoken-dialog.mobileconfig";

const GRANT_TOKEN: &str = "a SecureToken administrator runs `sysadminctl -secureTokenOn USER -password - -adminUser ADMIN -adminPassword -`";

pub fn findings(facts: &Facts, eval: &Evaluation, question: &Question) -> Vec<Finding> {
    let mut out = Vec::new();
    let fv_on = eval.filevault.on;
    let met = |id: ConditionId| eval.condition(id).met;
    let os = os_version(facts);

    if let Some(f) = bypassed_mobile_accounts(facts, eval, question) {
        out.push(f);
    }

    if met(ConditionId::DirectoryBound) == Some(true) && met(ConditionId::MobileAccounts) == Some(false) {
        out.push(Finding {
            id: FindingId::NetworkAccounts,
            severity: Severity::Info,
            message: "Bound to a directory, but mobile accounts are not created at login: directory users log in as network accounts, which never see the dialog and can never hold a SecureToken (they cannot unlock FileVault).".into(),
            accounts: vec![],
            remedy: "Nothing to do if network accounts are intended. If users need FileVault, turn mobile accounts on (`dsconfigad -mobile enable`, or com.apple.cachedaccounts.CreateAtLogin in a MobileAccounts profile for LDAP) and plan their SecureTokens.".into(),
        });
    }

    if eval.verdict == Verdict::WillAppear {
        match fv_on {
            Some(false) => out.push(Finding {
                id: FindingId::SuppressOnSharedMacs,
                severity: Severity::Warning,
                message: {
                    let mut m = "The dialog will appear and FileVault is off. Users who click Bypass get an account without a SecureToken, which can never turn FileVault on or unlock it later.".to_string();
                    // Believed fdesetup, but suppressing on an encrypted Mac is the costly mistake.
                    if facts.boot_volume.known().and_then(|v| v.filevault) == Some(true) {
                        m.push_str(" But diskutil reports the boot volume as FileVault-encrypted: confirm with `fdesetup status` before suppressing the dialog here.");
                    }
                    m
                },
                accounts: vec![],
                remedy: format!(
                    "On shared lab Macs that will never use FileVault, suppress the dialog with a configuration profile setting com.apple.MCX cachedaccounts.askForSecureTokenAuthBypass = true (10.13.5+): `{PROFILE_COMMAND}`. Where FileVault will be used, give mobile accounts their token instead (bootstrap token on 10.15+)."
                ),
            }),
            Some(true) => out.push(Finding {
                id: FindingId::BypassConsequence,
                severity: Severity::Warning,
                message: "The dialog will appear and FileVault is on: a user who clicks Bypass will not be able to unlock this Mac at startup, and the dialog will not come back for that account.".into(),
                accounts: vec![],
                remedy: format!(
                    "Have users enter a SecureToken administrator's name and password instead of clicking Bypass, or grant tokens: escrow a bootstrap token (10.15+), or {GRANT_TOKEN}. Do not suppress the dialog on this Mac."
                ),
            }),
            None => {}
        }
    }

    if eval.verdict == Verdict::Suppressed && fv_on == Some(true) {
        out.push(Finding {
            id: FindingId::SuppressedOnFilevault,
            severity: Severity::Critical,
            message: "The bypass key suppresses the dialog, and FileVault is on: every new mobile account is created without a SecureToken, and cannot unlock this Mac at startup.".into(),
            accounts: vec![],
            remedy: format!(
                "Remove the bypass-key profile from FileVault Macs (scope it to Macs that never use FileVault). Give mobile accounts their token instead: escrow a bootstrap token (10.15+), or {GRANT_TOKEN}."
            ),
        });
    }

    if let Ok(Some(place)) = bypass_setting(facts) {
        if place == SourceId::McxLocal {
            out.push(Finding {
                id: FindingId::BypassKeyUnmanaged,
                severity: Severity::Warning,
                message: "The bypass key is set only in /Library/Preferences/com.apple.MCX.plist (defaults write). No source confirms that macOS honours it there, so the dialog may still appear.".into(),
                accounts: vec![],
                remedy: format!("Deploy the key in a device-level configuration profile instead: `{PROFILE_COMMAND}`."),
            });
        }
        if let Some(os) = os.filter(|os| os.version >= DIALOG_SINCE && os.version < BYPASS_KEY_SINCE) {
            let by_host = by_host(os);
            out.push(Finding {
                id: FindingId::BypassKeyIgnored,
                severity: Severity::Warning,
                message: format!(
                    "The bypass key is set, but macOS {}{by_host} ignores it: it is honoured from 10.13.5.",
                    os.version
                ),
                accounts: vec![],
                remedy: "Update macOS to 10.13.5 or later for the key to take effect.".into(),
            });
        }
    }

    if let Some(f) = marker_mismatch(eval) {
        out.push(f);
    }

    let catalina_or_later = os.filter(|os| os.version >= BOOTSTRAP_SINCE);
    let not_escrowed = facts.bootstrap.known().and_then(|b| b.escrowed) == Some(false);
    if let Some(os) = catalina_or_later
        && not_escrowed
        && met(ConditionId::DirectoryBound) == Some(true)
        && met(ConditionId::MobileAccounts) == Some(true)
    {
        out.push(Finding {
            id: FindingId::NoBootstrapToken,
            severity: Severity::Warning,
            message: format!(
                "No bootstrap token is escrowed to the MDM server on this macOS {}{}, so new mobile accounts depend on the dialog (or on Bypass) for their SecureToken.",
                os.version,
                by_host(os)
            ),
            accounts: vec![],
            remedy: "Escrow the bootstrap token: it needs an MDM that supports it and a Mac enrolled by Automated Device Enrollment (or supervised on 11+). From 10.15.4 it is escrowed at a SecureToken user's login; before that run `profiles install -type bootstraptoken`.".into(),
        });
    }

    if let Some(status) = facts.filevault.known().filter(|s| s.state.is_busy()) {
        let what = match status.state {
            FileVaultState::Encrypting => {
                format!("FileVault encryption is in progress{}", percent(status.percent))
            }
            FileVaultState::Decrypting => {
                format!("FileVault decryption is in progress{}", percent(status.percent))
            }
            FileVaultState::Pending => "FileVault will be enabled after the next restart".into(),
            _ => match &status.deferred_user {
                Some(user) => format!("FileVault enablement is deferred until {user} next logs in or out"),
                None => "FileVault enablement is deferred".into(),
            },
        };
        out.push(Finding {
            id: FindingId::FilevaultBusy,
            severity: Severity::Info,
            message: format!("{what}; counted as on, since the disk is still, or will soon be, encrypted."),
            accounts: status.deferred_user.iter().cloned().collect(),
            remedy: "Let it finish, then check again for a settled answer.".into(),
        });
    }

    out.sort_by_key(|f| std::cmp::Reverse(f.severity));
    out
}

/// Where a version finding says its version came from, when not sw_vers.
fn by_host(os: Os) -> &'static str {
    if os.from_host { " (by the host snapshot: sw_vers did not answer)" } else { "" }
}

fn percent(p: Option<f64>) -> String {
    p.map(|p| format!(" ({p}% done)")).unwrap_or_default()
}

fn bypassed_mobile_accounts(facts: &Facts, eval: &Evaluation, question: &Question) -> Option<Finding> {
    // Off APFS there are no SecureTokens to lack.
    if eval.condition(ConditionId::Apfs).met == Some(false) {
        return None;
    }
    let accounts = eval.accounts.as_ref()?;
    let by_crypto = facts.crypto_users.known().is_some();
    let mut names: Vec<String> = accounts
        .iter()
        .filter(|a| a.mobile)
        .filter(|a| if by_crypto { a.securetoken == Some(false) } else { !a.securetoken_marker })
        .map(|a| a.name.clone())
        .collect();
    if names.is_empty() {
        return None;
    }
    let records = facts.local_users.known();
    let asked = question
        .user
        .as_ref()
        .and_then(|u| records?.iter().find(|r| r.answers_to(u)))
        .and_then(|r| names.iter().position(|n| *n == r.name));
    if let Some(i) = asked {
        let name = names.remove(i);
        names.insert(0, name);
    }
    let one = names.len() == 1;
    let who = match (asked, names.len()) {
        (Some(_), 1) => format!("{}'s mobile account holds", names[0]),
        (Some(_), n) => format!("{}'s mobile account, and {} other(s), hold", names[0], n - 1),
        (None, 1) => format!("The mobile account {} holds", names[0]),
        (None, n) => format!("{n} mobile accounts hold"),
    };
    let evidence = if by_crypto {
        String::new()
    } else {
        format!(
            " (judged by the absence of the ;SecureToken; marker only: {})",
            facts.crypto_users.why_unknown().unwrap_or_default()
        )
    };
    let (they, them) = if one { ("it", "it") } else { ("they", "them") };
    let (severity, consequence) = match eval.filevault.on {
        Some(true) => {
            (Severity::Critical, format!("FileVault is on, so {they} cannot unlock this Mac at startup"))
        }
        Some(false) => (
            Severity::Warning,
            format!("FileVault is off, and {they} can neither turn it on nor unlock the disk once it is on"),
        ),
        None => (
            Severity::Warning,
            format!("If FileVault is on, {they} cannot unlock the disk at startup (FileVault state unknown)"),
        ),
    };
    Some(Finding {
        id: FindingId::BypassedMobileAccounts,
        severity,
        message: format!(
            "{who} no SecureToken{evidence}. {consequence}. The dialog will not come back for {them}."
        ),
        accounts: names,
        remedy: format!(
            "Grant each a SecureToken: {GRANT_TOKEN}; on macOS 11+ with a bootstrap token escrowed, the account gets one at its next login."
        ),
    })
}

fn marker_mismatch(eval: &Evaluation) -> Option<Finding> {
    let accounts = eval.accounts.as_ref()?;
    let names: Vec<String> = accounts
        .iter()
        .filter(|a| a.securetoken_evidence == Some(SourceId::CryptoUsers))
        .filter(|a| a.securetoken != Some(a.securetoken_marker))
        .map(|a| a.name.clone())
        .collect();
    if names.is_empty() {
        return None;
    }
    Some(Finding {
        id: FindingId::SecuretokenMarkerMismatch,
        severity: Severity::Warning,
        message: format!(
            "For {}, the ;SecureToken; marker in AuthenticationAuthority disagrees with the volume's crypto users. The marker is not the token (scripts can write it); st-preflight believed crypto-users.",
            names.join(", ")
        ),
        accounts: names,
        remedy: "Check with `sysadminctl -secureTokenStatus USER` and `diskutil apfs listCryptoUsers /`; grant the token where it is missing.".into(),
    })
}
