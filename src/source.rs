//! The sources st-preflight reads: one id per macOS command or file, with the
//! exact argv or path the live prober uses. The ids are the bundle's file
//! names, so they are part of the bundle format and never change.

use schemars::JsonSchema;
use serde::Serialize;

/// Where a source's bytes come from on a Mac.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A command run with this exact argv (absolute path first), never through a shell.
    Command(&'static [&'static str]),
    /// A file read as is; a missing file is data (`absent`), not an error.
    File(&'static str),
    /// A JSON snapshot st-preflight writes itself about the machine it runs on.
    Snapshot,
}

/// One source of evidence, named by its bundle id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SourceId {
    SwVers,
    DiskutilInfo,
    CryptoUsers,
    FdesetupStatus,
    Dsconfigad,
    LdapNodes,
    LocalUsers,
    AdminGroup,
    Last,
    BootstrapToken,
    McxManaged,
    McxLocal,
    Host,
}

impl SourceId {
    /// Every source, in the order reports list them.
    pub const ALL: [SourceId; 13] = [
        SourceId::SwVers,
        SourceId::DiskutilInfo,
        SourceId::CryptoUsers,
        SourceId::FdesetupStatus,
        SourceId::Dsconfigad,
        SourceId::LdapNodes,
        SourceId::LocalUsers,
        SourceId::AdminGroup,
        SourceId::Last,
        SourceId::BootstrapToken,
        SourceId::McxManaged,
        SourceId::McxLocal,
        SourceId::Host,
    ];

    /// The id as it appears in bundle file names, reports and docs.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceId::SwVers => "sw-vers",
            SourceId::DiskutilInfo => "diskutil-info",
            SourceId::CryptoUsers => "crypto-users",
            SourceId::FdesetupStatus => "fdesetup-status",
            SourceId::Dsconfigad => "dsconfigad",
            SourceId::LdapNodes => "ldap-nodes",
            SourceId::LocalUsers => "local-users",
            SourceId::AdminGroup => "admin-group",
            SourceId::Last => "last",
            SourceId::BootstrapToken => "bootstrap-token",
            SourceId::McxManaged => "mcx-managed",
            SourceId::McxLocal => "mcx-local",
            SourceId::Host => "host",
        }
    }

    /// What the live prober runs or reads. The argv are fixed so that a bundle
    /// from any Mac replays the same way. The attribute list of `local-users`
    /// is explicit so that password data (`ShadowHashData`) is never asked for.
    pub fn origin(self) -> Origin {
        match self {
            SourceId::SwVers => Origin::Command(&["/usr/bin/sw_vers"]),
            SourceId::DiskutilInfo => Origin::Command(&["/usr/sbin/diskutil", "info", "-plist", "/"]),
            SourceId::CryptoUsers => {
                Origin::Command(&["/usr/sbin/diskutil", "apfs", "listCryptoUsers", "-plist", "/"])
            }
            SourceId::FdesetupStatus => Origin::Command(&["/usr/bin/fdesetup", "status"]),
            SourceId::Dsconfigad => Origin::Command(&["/usr/sbin/dsconfigad", "-show"]),
            SourceId::LdapNodes => Origin::Command(&["/usr/bin/dscl", "localhost", "-list", "/LDAPv3"]),
            SourceId::LocalUsers => Origin::Command(&[
                "/usr/bin/dscl",
                "-plist",
                ".",
                "-readall",
                "/Users",
                "RecordName",
                "UniqueID",
                "GeneratedUID",
                "AuthenticationAuthority",
                "OriginalNodeName",
                "NFSHomeDirectory",
                "RealName",
            ]),
            SourceId::AdminGroup => Origin::Command(&[
                "/usr/bin/dscl",
                "-plist",
                ".",
                "-read",
                "/Groups/admin",
                "GroupMembership",
            ]),
            SourceId::Last => Origin::Command(&["/usr/bin/last"]),
            SourceId::BootstrapToken => {
                Origin::Command(&["/usr/bin/profiles", "status", "-type", "bootstraptoken"])
            }
            SourceId::McxManaged => Origin::File("/Library/Managed Preferences/com.apple.MCX.plist"),
            SourceId::McxLocal => Origin::File("/Library/Preferences/com.apple.MCX.plist"),
            SourceId::Host => Origin::Snapshot,
        }
    }

    /// The source with this bundle id, if there is one.
    pub fn from_id(id: &str) -> Option<SourceId> {
        SourceId::ALL.into_iter().find(|s| s.as_str() == id)
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        for s in SourceId::ALL {
            assert_eq!(SourceId::from_id(s.as_str()), Some(s));
        }
        let mut ids: Vec<_> = SourceId::ALL.iter().map(|s| s.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), SourceId::ALL.len());
    }

    #[test]
    fn commands_use_absolute_paths_and_never_ask_for_password_data() {
        for s in SourceId::ALL {
            if let Origin::Command(argv) = s.origin() {
                assert!(argv[0].starts_with('/'), "{s}: {argv:?}");
                assert!(!argv.iter().any(|a| a.contains("ShadowHash")), "{s}");
            }
        }
    }
}
