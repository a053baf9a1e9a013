//! The suppression profile: a device-level configuration profile
//! (`.mobileconfig`) that sets `com.apple.MCX`
//! `cachedaccounts.askForSecureTokenAuthBypass` = true, so macOS (10.13.5+)
//! skips the "SecureToken administrator" dialog at a directory user's first
//! mobile-account login, and a way to write it to a file without clobbering
//! one by accident.
//!
//! The payload uses Apple's simple MobileAccounts form (inner PayloadType
//! `com.apple.MCX`, the key at the top level of the payload dict), the form of
//! Apple's own example (`tests/samples/mobileconfig__com.apple.MCX-mobileaccounts-apple-doc-example.mobileconfig`).
//! Once installed, macOS writes the payload's settings as flat keys into
//! `/Library/Managed Preferences/com.apple.MCX.plist`, the file
//! [`crate::probes::mcx`] reads.
//!
//! The output is deterministic: the payload UUIDs are name-based (RFC 4122
//! version 5) UUIDs of the identifier, so the same options always give the
//! same bytes, and re-running the command never makes a "new" profile.
//!
//! Suppressing the dialog is only right on shared Macs that will never use
//! FileVault: accounts created that way get no SecureToken (an automatic
//! Bypass), so on a FileVault Mac they cannot unlock the disk at startup.
//! The profile's own description says so.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use plist::{Dictionary, Value};
use uuid::Uuid;

use crate::probes::mcx::BYPASS_KEY;

/// The identifier used when none is given.
pub const DEFAULT_IDENTIFIER: &str = "st-preflight.suppress-securetoken-dialog";

/// The namespace of every UUID this module makes:
/// `uuid5(NAMESPACE_URL, "urn:st-preflight:mobileconfig")`, checked by a test.
/// The profile's UUID is `uuid5(UUID_NAMESPACE, identifier)`, the payload's
/// `uuid5(UUID_NAMESPACE, identifier + ".mcx")`.
pub const UUID_NAMESPACE: Uuid = Uuid::from_u128(0xe2e8df99_7c5b_5112_a9a2_aa6fb0fd853a);

/// The name [`UUID_NAMESPACE`] is derived from (in `Uuid::NAMESPACE_URL`).
pub const UUID_NAMESPACE_NAME: &str = "urn:st-preflight:mobileconfig";

/// Appended to the profile's identifier for the payload's identifier.
pub const PAYLOAD_SUFFIX: &str = ".mcx";

const PROFILE_DISPLAY_NAME: &str = "Suppress the SecureToken administrator dialog (Macs without FileVault)";

const PROFILE_DESCRIPTION: &str = "Sets com.apple.MCX cachedaccounts.askForSecureTokenAuthBypass = true \
(macOS 10.13.5 and later), so a directory user's first mobile-account login skips the \
\"SecureToken administrator\" dialog. The mobile account is then created without a SecureToken \
(an automatic Bypass). Use it only on shared Macs that will never use FileVault. Do NOT install it \
on a Mac that uses or will use FileVault: those mobile accounts could not unlock the disk at \
startup. There, give mobile accounts their SecureToken instead (on macOS 10.15 and later, escrow a \
bootstrap token with your MDM). Install as a device (System) profile.";

const PAYLOAD_DISPLAY_NAME: &str = "Mobile Accounts: skip the SecureToken dialog";

/// What the generated profile is called and who it is from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileOptions {
    /// The profile's PayloadIdentifier, reverse-DNS style
    /// (`com.example.lab.suppress-securetoken-dialog`). It also names the
    /// payload (`<identifier>.mcx`) and determines both UUIDs.
    pub identifier: String,
    /// PayloadOrganization, written only when given.
    pub organization: Option<String>,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions { identifier: DEFAULT_IDENTIFIER.to_string(), organization: None }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error(
        "invalid profile identifier {identifier:?}: {reason} \
         (use a reverse-DNS name such as com.example.suppress-securetoken-dialog: \
         letters, digits, '.', '-' and '_')"
    )]
    InvalidIdentifier { identifier: String, reason: String },
    #[error("invalid organization {organization:?}: {reason}")]
    InvalidOrganization { organization: String, reason: String },
    #[error("{} already exists{}; pass --force to replace it", path.display(), if *symlink { " (a symbolic link)" } else { "" })]
    Exists { path: PathBuf, symlink: bool },
    #[error("cannot write {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
}

/// Checks that `identifier` is non-empty, made of `[A-Za-z0-9._-]` only, and
/// has no empty dot-separated part (no leading, trailing or doubled dot).
pub fn validate_identifier(identifier: &str) -> Result<(), ProfileError> {
    let invalid =
        |reason: String| Err(ProfileError::InvalidIdentifier { identifier: identifier.to_string(), reason });
    if identifier.is_empty() {
        return invalid("it is empty".to_string());
    }
    if let Some(c) = identifier.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')))
    {
        return invalid(format!("{c:?} is not allowed"));
    }
    if identifier.split('.').any(str::is_empty) {
        return invalid("it has an empty part (a leading, trailing or doubled '.')".to_string());
    }
    Ok(())
}

/// Checks that an organization name is not blank and has no control
/// characters (XML 1.0 cannot carry most of them, and a line break has no
/// place in a name).
pub fn validate_organization(organization: &str) -> Result<(), ProfileError> {
    let invalid = |reason: String| {
        Err(ProfileError::InvalidOrganization { organization: organization.to_string(), reason })
    };
    if organization.trim().is_empty() {
        return invalid("it is blank (leave the organization out instead)".to_string());
    }
    if let Some(c) = organization.chars().find(|c| c.is_control()) {
        return invalid(format!("control character {c:?} is not allowed"));
    }
    Ok(())
}

/// The profile's PayloadUUID: `uuid5(UUID_NAMESPACE, identifier)`, uppercase.
pub fn profile_uuid(identifier: &str) -> String {
    name_uuid(identifier)
}

/// The payload's PayloadUUID: `uuid5(UUID_NAMESPACE, identifier + ".mcx")`, uppercase.
pub fn payload_uuid(identifier: &str) -> String {
    name_uuid(&format!("{identifier}{PAYLOAD_SUFFIX}"))
}

fn name_uuid(name: &str) -> String {
    let uuid = Uuid::new_v5(&UUID_NAMESPACE, name.as_bytes());
    uuid.hyphenated().encode_upper(&mut Uuid::encode_buffer()).to_string()
}

/// The suppression profile as XML plist bytes (keys sorted, tab-indented,
/// ending in a newline), after validating the identifier and the organization.
pub fn bypass_dialog_profile(opts: &ProfileOptions) -> Result<Vec<u8>, ProfileError> {
    validate_identifier(&opts.identifier)?;
    if let Some(org) = &opts.organization {
        validate_organization(org)?;
    }
    let id = opts.identifier.as_str();

    let mut payload = Dictionary::new();
    payload.insert(BYPASS_KEY.to_string(), Value::Boolean(true));
    payload.insert("PayloadDisplayName".to_string(), PAYLOAD_DISPLAY_NAME.into());
    payload.insert("PayloadIdentifier".to_string(), format!("{id}{PAYLOAD_SUFFIX}").into());
    payload.insert("PayloadType".to_string(), "com.apple.MCX".into());
    payload.insert("PayloadUUID".to_string(), payload_uuid(id).into());
    payload.insert("PayloadVersion".to_string(), Value::Integer(1.into()));
    payload.sort_keys();

    let mut profile = Dictionary::new();
    profile.insert("PayloadContent".to_string(), Value::Array(vec![Value::Dictionary(payload)]));
    profile.insert("PayloadDescription".to_string(), PROFILE_DESCRIPTION.into());
    profile.insert("PayloadDisplayName".to_string(), PROFILE_DISPLAY_NAME.into());
    profile.insert("PayloadIdentifier".to_string(), id.into());
    if let Some(org) = &opts.organization {
        profile.insert("PayloadOrganization".to_string(), org.as_str().into());
    }
    profile.insert("PayloadRemovalDisallowed".to_string(), Value::Boolean(false));
    profile.insert("PayloadScope".to_string(), "System".into());
    profile.insert("PayloadType".to_string(), "Configuration".into());
    profile.insert("PayloadUUID".to_string(), profile_uuid(id).into());
    profile.insert("PayloadVersion".to_string(), Value::Integer(1.into()));
    profile.sort_keys();

    let mut bytes = Vec::new();
    Value::Dictionary(profile).to_writer_xml(&mut bytes).expect("writing a plist into memory cannot fail");
    if bytes.last() != Some(&b'\n') {
        bytes.push(b'\n');
    }
    Ok(bytes)
}

/// Writes `bytes` to `path`.
///
/// Without `force`, the file must not exist: it is created with
/// `create_new` (no race between the check and the write), which also
/// refuses an existing symbolic link, dangling or not, so a link is never
/// followed. A partly written file is removed on error.
///
/// With `force`, the bytes go to a new temporary file in the same directory,
/// which is then renamed over `path`: readers see the old file or the whole
/// new one, and a symbolic link at `path` is replaced, not written through.
pub fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<(), ProfileError> {
    let io_err = |source| ProfileError::Io { path: path.to_path_buf(), source };
    if force {
        return replace(path, bytes).map_err(io_err);
    }
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let symlink = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            return Err(ProfileError::Exists { path: path.to_path_buf(), symlink });
        }
        Err(e) => return Err(io_err(e)),
    };
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        drop(file);
        let _ = fs::remove_file(path);
        return Err(io_err(e));
    }
    Ok(())
}

/// Write to a fresh temporary file beside `path`, then rename it over `path`.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (tmp, mut file) = loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{}.{n}.tmp", std::process::id()));
        let tmp = dir.join(tmp_name);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let result = write_and_rename(&mut file, bytes, &tmp, path);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn write_and_rename(file: &mut File, bytes: &[u8], tmp: &Path, path: &Path) -> io::Result<()> {
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_is_the_documented_v5_uuid() {
        assert_eq!(UUID_NAMESPACE, Uuid::new_v5(&Uuid::NAMESPACE_URL, UUID_NAMESPACE_NAME.as_bytes()));
    }

    #[test]
    fn uuids_are_known_answers() {
        // Computed independently: Python's uuid.uuid5(uuid.uuid5(NAMESPACE_URL,
        // "urn:st-preflight:mobileconfig"), name), uppercased.
        assert_eq!(profile_uuid(DEFAULT_IDENTIFIER), "E90C7207-B9B3-5B42-AEE2-A3852AC1AC9A");
        assert_eq!(payload_uuid(DEFAULT_IDENTIFIER), "31FF269A-9F1A-5E09-8CFB-A881F2F6B9D1");
    }

    #[test]
    fn uuids_are_deterministic_distinct_and_uppercase_v5() {
        let id = "com.example.lab";
        assert_eq!(profile_uuid(id), profile_uuid(id));
        assert_eq!(payload_uuid(id), payload_uuid(id));
        assert_ne!(profile_uuid(id), payload_uuid(id));
        assert_ne!(profile_uuid(id), profile_uuid("com.example.lab2"));
        for u in [profile_uuid(id), payload_uuid(id)] {
            assert_eq!(u, u.to_uppercase());
            let parsed = Uuid::parse_str(&u).expect("a valid UUID");
            assert_eq!(parsed.get_version_num(), 5);
            assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        }
    }

    #[test]
    fn same_options_same_bytes() {
        let opts = ProfileOptions { identifier: "com.example.x".into(), organization: Some("Ex".into()) };
        assert_eq!(bypass_dialog_profile(&opts).unwrap(), bypass_dialog_profile(&opts).unwrap());
    }

    #[test]
    fn organizations() {
        assert!(validate_organization("Example School & Co. <IT>").is_ok());
        for (org, why) in [("", "blank"), ("  ", "blank"), ("A\nB", "'\\n'"), ("A\u{1}B", "'\\u{1}'")] {
            let msg = validate_organization(org).expect_err(org).to_string();
            assert!(msg.contains(why), "{org:?}: {msg}");
            let opts =
                ProfileOptions { identifier: DEFAULT_IDENTIFIER.into(), organization: Some(org.into()) };
            assert!(bypass_dialog_profile(&opts).is_err());
        }
    }

    #[test]
    fn valid_identifiers() {
        for id in [DEFAULT_IDENTIFIER, "com.example.lab-macs.suppress_dialog", "A1", "x"] {
            assert!(validate_identifier(id).is_ok(), "{id}");
        }
    }

    #[test]
    fn invalid_identifiers() {
        for (id, why) in [
            ("", "empty"),
            ("com example", "' '"),
            ("com/example", "'/'"),
            ("com.exämple", "'ä'"),
            ("com.example\n", "'\\n'"),
            (".com.example", "empty part"),
            ("com.example.", "empty part"),
            ("com..example", "empty part"),
            ("<string>", "'<'"),
        ] {
            let err = validate_identifier(id).expect_err(id);
            let msg = err.to_string();
            assert!(msg.contains(why), "{id:?}: {msg}");
            assert!(msg.starts_with("invalid profile identifier"), "{msg}");
            assert!(
                bypass_dialog_profile(&ProfileOptions { identifier: id.into(), organization: None }).is_err()
            );
        }
    }
}
