//! The stable ids of conditions and findings, and what each one means. The
//! ids are part of the JSON report and are documented in `docs/rules.md`;
//! `st-preflight rules` prints this catalog.

use schemars::JsonSchema;
use serde::Serialize;

/// Whether a condition must hold for the dialog, or stops it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Requires,
    Prevents,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ConditionId {
    MacosVersion,
    Apfs,
    DirectoryBound,
    MobileAccounts,
    SecuretokenAdmin,
    NewAccount,
    BypassKey,
    BootstrapToken,
}

/// A catalog entry for a condition.
pub struct ConditionInfo {
    pub id: ConditionId,
    pub role: Role,
    pub title: &'static str,
    /// Half-sentences for the summary.
    pub when_met: &'static str,
    pub when_not_met: &'static str,
    pub meaning: &'static str,
    pub versions: &'static str,
    pub sources: &'static str,
    pub confidence: &'static str,
}

impl ConditionId {
    pub const ALL: [ConditionId; 8] = [
        ConditionId::MacosVersion,
        ConditionId::Apfs,
        ConditionId::DirectoryBound,
        ConditionId::MobileAccounts,
        ConditionId::SecuretokenAdmin,
        ConditionId::NewAccount,
        ConditionId::BypassKey,
        ConditionId::BootstrapToken,
    ];

    pub fn as_str(self) -> &'static str {
        self.info().id_str()
    }

    pub fn role(self) -> Role {
        self.info().role
    }

    pub fn info(self) -> &'static ConditionInfo {
        CONDITIONS.iter().find(|c| c.id == self).expect("every condition has a catalog entry")
    }
}

impl ConditionInfo {
    fn id_str(&self) -> &'static str {
        match self.id {
            ConditionId::MacosVersion => "macos-version",
            ConditionId::Apfs => "apfs",
            ConditionId::DirectoryBound => "directory-bound",
            ConditionId::MobileAccounts => "mobile-accounts",
            ConditionId::SecuretokenAdmin => "securetoken-admin",
            ConditionId::NewAccount => "new-account",
            ConditionId::BypassKey => "bypass-key",
            ConditionId::BootstrapToken => "bootstrap-token",
        }
    }
}

pub static CONDITIONS: [ConditionInfo; 8] = [
    ConditionInfo {
        id: ConditionId::MacosVersion,
        role: Role::Requires,
        title: "macOS 10.13.4 or later",
        when_met: "macOS is 10.13.4 or later",
        when_not_met: "this macOS predates 10.13.4, which added the dialog",
        meaning: "The dialog was added in macOS 10.13.4.",
        versions: "10.13.4+",
        sources: "sw-vers (host as low-confidence corroboration when sw_vers did not answer)",
        confidence: "high up to 10.15 (openradar 38485212: first seen in 10.13.4 beta 4); medium from 11, where no first-hand report was found",
    },
    ConditionInfo {
        id: ConditionId::Apfs,
        role: Role::Requires,
        title: "Boot volume is APFS",
        when_met: "the boot volume is APFS",
        when_not_met: "the boot volume is not APFS",
        meaning: "Apple: \"This dialog only appears on APFS volumes.\" No dialog on HFS+ or CoreStorage.",
        versions: "10.13.4+",
        sources: "diskutil-info FilesystemType (host root_filesystem as low-confidence corroboration)",
        confidence: "high (Apple MobileAccounts payload documentation)",
    },
    ConditionInfo {
        id: ConditionId::DirectoryBound,
        role: Role::Requires,
        title: "Bound to a directory",
        when_met: "the Mac is bound to a directory",
        when_not_met: "the Mac is not bound to Active Directory or LDAP",
        meaning: "Bound to Active Directory (dsconfigad shows a domain) or to an LDAP server (ldap-nodes lists one). Mobile accounts only exist for directory users.",
        versions: "all",
        sources: "dsconfigad, ldap-nodes",
        confidence: "high",
    },
    ConditionInfo {
        id: ConditionId::MobileAccounts,
        role: Role::Requires,
        title: "Mobile accounts created at login",
        when_met: "mobile accounts are created at login",
        when_not_met: "directory users log in as network accounts, which never see the dialog",
        meaning: "dsconfigad `Create mobile account at login = Enabled`, or `com.apple.cachedaccounts.CreateAtLogin` true in managed com.apple.MCX (how LDAP binds turn mobile accounts on). Network accounts never see the dialog and can never hold a SecureToken.",
        versions: "all",
        sources: "dsconfigad, mcx-managed",
        confidence: "high for dsconfigad; medium for the MCX key, and for \"not met\" on an LDAP bind (directory-delivered MCX is not visible)",
    },
    ConditionInfo {
        id: ConditionId::SecuretokenAdmin,
        role: Role::Requires,
        title: "A local admin holds a SecureToken",
        when_met: "a local administrator holds a SecureToken",
        when_not_met: "no local administrator holds a SecureToken, so there is nobody to ask",
        meaning: "A local admin (member of admin, local record, not a mobile account, not root or _name) holds a SecureToken. The dialog asks for such an admin; with none there is nobody to authorise. Evidence in order: crypto-users (authoritative), the ;SecureToken; marker, a console login in last (a local admin that has logged in at least once).",
        versions: "10.13.4+",
        sources: "local-users, admin-group, then crypto-users, else the marker, else last",
        confidence: "high by crypto-users; medium by the marker or by last",
    },
    ConditionInfo {
        id: ConditionId::NewAccount,
        role: Role::Requires,
        title: "The account is new on this Mac",
        when_met: "the account logging in has no local record yet",
        when_not_met: "the account already exists on this Mac, so its mobile account is not being created",
        meaning: "The dialog is part of mobile-account creation at the first login. Without --user, assumed met (the next directory user who has never logged in here). With --user NAME: not met when a local record NAME exists.",
        versions: "10.13.4+",
        sources: "local-users (with --user)",
        confidence: "high",
    },
    ConditionInfo {
        id: ConditionId::BypassKey,
        role: Role::Prevents,
        title: "Bypass key suppresses the dialog",
        when_met: "the bypass key suppresses the dialog",
        when_not_met: "the bypass key is not in effect",
        meaning: "`cachedaccounts.askForSecureTokenAuthBypass` true in com.apple.MCX: the dialog is skipped and the account is created without a SecureToken (an automatic Bypass). Honoured from 10.13.5. Read from the managed file first; the unmanaged file (`defaults write`) is not documented to work.",
        versions: "10.13.5+",
        sources: "mcx-managed, mcx-local, sw-vers",
        confidence: "high in a profile (mcx-managed); low in mcx-local only",
    },
    ConditionInfo {
        id: ConditionId::BootstrapToken,
        role: Role::Prevents,
        title: "Bootstrap token escrowed",
        when_met: "a bootstrap token grants new mobile accounts their SecureToken silently",
        when_not_met: "no bootstrap token is escrowed to the MDM server",
        meaning: "On 10.15+, with the bootstrap token escrowed to MDM, a mobile account gets its SecureToken silently at login, so the dialog has no reason to appear. Before 10.15 there is no bootstrap token.",
        versions: "10.15+",
        sources: "bootstrap-token, sw-vers",
        confidence: "medium (the silent grant is documented; that the dialog never shows then is inferred)",
    },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FindingId {
    BypassedMobileAccounts,
    NetworkAccounts,
    SuppressOnSharedMacs,
    BypassConsequence,
    BypassKeyUnmanaged,
    BypassKeyIgnored,
    SecuretokenMarkerMismatch,
    NoBootstrapToken,
    FilevaultBusy,
    SuppressedOnFilevault,
}

pub struct FindingInfo {
    pub id: FindingId,
    pub id_str: &'static str,
    pub meaning: &'static str,
    pub severity: &'static str,
    /// The macOS versions where it can be reported.
    pub versions: &'static str,
    pub sources: &'static str,
    pub confidence: &'static str,
}

impl FindingId {
    pub fn as_str(self) -> &'static str {
        self.info().id_str
    }

    pub fn info(self) -> &'static FindingInfo {
        FINDINGS.iter().find(|f| f.id == self).expect("every finding has a catalog entry")
    }
}

pub static FINDINGS: [FindingInfo; 10] = [
    FindingInfo {
        id: FindingId::BypassedMobileAccounts,
        id_str: "bypassed-mobile-accounts",
        meaning: "Existing mobile accounts hold no SecureToken (Bypass was clicked, or no SecureToken admin existed when they were created). The dialog never comes back for them.",
        severity: "critical with FileVault on (they cannot unlock the disk at startup); warning with it off (they cannot turn FileVault on); not reported off APFS",
        versions: "10.13.4+ on APFS (SecureTokens exist only on APFS)",
        sources: "local-users (mobile accounts), crypto-users or else the ;SecureToken; marker; fdesetup-status / diskutil-info for the severity",
        confidence: "high from crypto-users; medium from the marker alone (the message says so)",
    },
    FindingInfo {
        id: FindingId::NetworkAccounts,
        id_str: "network-accounts",
        meaning: "Bound, but mobile accounts are off: users are network accounts that never see the dialog and can never hold a SecureToken.",
        severity: "info",
        versions: "all",
        sources: "dsconfigad, ldap-nodes, mcx-managed (as for directory-bound and mobile-accounts)",
        confidence: "that of the two conditions",
    },
    FindingInfo {
        id: FindingId::SuppressOnSharedMacs,
        id_str: "suppress-on-shared-macs",
        meaning: "The dialog will appear and FileVault is off: on shared lab Macs that will never use FileVault, suppress it with the bypass key in a profile (`st-preflight profile --bypass-dialog` writes one).",
        severity: "warning",
        versions: "10.13.5+ for the remedy (the key is ignored on 10.13.4)",
        sources: "the verdict, fdesetup-status (or diskutil-info)",
        confidence: "that of the verdict",
    },
    FindingInfo {
        id: FindingId::BypassConsequence,
        id_str: "bypass-consequence",
        meaning: "The dialog will appear and FileVault is on: a user who clicks Bypass will not be able to unlock this Mac at startup.",
        severity: "warning",
        versions: "10.13.4+",
        sources: "the verdict, fdesetup-status (or diskutil-info)",
        confidence: "that of the verdict",
    },
    FindingInfo {
        id: FindingId::BypassKeyUnmanaged,
        id_str: "bypass-key-unmanaged",
        meaning: "The bypass key is set only with `defaults write` (/Library/Preferences), which no source confirms macOS honours; deploy it in a configuration profile (`st-preflight profile --bypass-dialog` writes one).",
        severity: "warning",
        versions: "10.13.5+",
        sources: "mcx-managed, mcx-local",
        confidence: "low: no source confirms the unmanaged file is read",
    },
    FindingInfo {
        id: FindingId::BypassKeyIgnored,
        id_str: "bypass-key-ignored",
        meaning: "The bypass key is set, but macOS 10.13.4 ignores it (honoured from 10.13.5).",
        severity: "warning",
        versions: "10.13.4.x only",
        sources: "mcx-managed, mcx-local, sw-vers (or the host snapshot)",
        confidence: "high",
    },
    FindingInfo {
        id: FindingId::SecuretokenMarkerMismatch,
        id_str: "securetoken-marker-mismatch",
        meaning: "The ;SecureToken; marker in AuthenticationAuthority and the volume's crypto users disagree for an account. The marker is not the token; crypto-users is believed.",
        severity: "warning",
        versions: "10.13+ on APFS",
        sources: "local-users (AuthenticationAuthority), crypto-users",
        confidence: "high: crypto-users is the volume's own list",
    },
    FindingInfo {
        id: FindingId::NoBootstrapToken,
        id_str: "no-bootstrap-token",
        meaning: "macOS 10.15+, bound with mobile accounts, and no bootstrap token escrowed: mobile accounts depend on the dialog (or on Bypass) for their SecureToken.",
        severity: "warning",
        versions: "10.15+",
        sources: "bootstrap-token, sw-vers (or the host snapshot), dsconfigad / ldap-nodes / mcx-managed",
        confidence: "medium (the bootstrap token rule is medium)",
    },
    FindingInfo {
        id: FindingId::FilevaultBusy,
        id_str: "filevault-busy",
        meaning: "FileVault encryption or decryption is in progress, or enablement is pending or deferred.",
        severity: "info",
        versions: "all",
        sources: "fdesetup-status",
        confidence: "high",
    },
    FindingInfo {
        id: FindingId::SuppressedOnFilevault,
        id_str: "suppressed-on-filevault",
        meaning: "The bypass key suppresses the dialog on a Mac with FileVault on: every new mobile account is created without a SecureToken and cannot unlock the disk at startup.",
        severity: "critical",
        versions: "10.13.5+",
        sources: "the verdict, fdesetup-status (or diskutil-info)",
        confidence: "that of the verdict",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut ids: Vec<&str> = ConditionId::ALL.iter().map(|c| c.as_str()).collect();
        ids.extend(FINDINGS.iter().map(|f| f.id_str));
        for id in &ids {
            assert!(id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()), "{id}");
        }
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count);
    }

    #[test]
    fn serde_names_match_catalog_ids() {
        for c in ConditionId::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for f in &FINDINGS {
            assert_eq!(serde_json::to_value(f.id).unwrap(), f.id_str);
        }
    }

    #[test]
    fn every_condition_and_finding_has_a_catalog_entry() {
        for c in ConditionId::ALL {
            assert_eq!(c.info().id, c);
        }
        assert_eq!(CONDITIONS.iter().filter(|c| c.role == Role::Requires).count(), 6);
    }
}
