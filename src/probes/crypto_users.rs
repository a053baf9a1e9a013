//! `diskutil apfs listCryptoUsers -plist /`: who holds a SecureToken on the
//! boot volume. This is the volume's own view, so it is authoritative.
//!
//! No raw capture of the `-plist` form was found; its keys (`Users`,
//! `APFSCryptoUserUUID`, `APFSCryptoUserType`, `VolumeOwner`) are the ones
//! public parsers of it read. The text form, of which real samples exist,
//! is accepted too.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Exits, ParseError, Spec, plist_value, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<Vec<CryptoUser>> =
    Spec { source: SourceId::CryptoUsers, exits: Exits::Zero, parse, when_absent: None };

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CryptoUser {
    /// The account's GeneratedUID for a user; a fixed UUID for recovery keys.
    pub uuid: String,
    /// `LocalOpenDirectory`, `PersonalRecovery`, `MDMRecovery`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Apple silicon only.
    pub volume_owner: Option<bool>,
}

impl CryptoUser {
    /// A user account (as opposed to a recovery key or the bootstrap token).
    pub fn is_user(&self) -> bool {
        self.kind == "LocalOpenDirectory"
    }
}

pub fn parse(out: &Output) -> Result<Vec<CryptoUser>, ParseError> {
    if plist_value::looks_like_plist(&out.stdout) {
        parse_plist(&out.stdout)
    } else {
        parse_text(&out.stdout)
    }
}

/// A volume has a handful of crypto users; 60 MB of `+-- x` lines took
/// 2.6 GB as structs.
const MAX_USERS: usize = 100_000;

fn too_many() -> ParseError {
    ParseError::whole(format!("more than {MAX_USERS} crypto users"))
}

fn parse_plist(bytes: &[u8]) -> Result<Vec<CryptoUser>, ParseError> {
    let dict = super::diskutil::answer(bytes)?;
    let users =
        dict.get("Users").and_then(|v| v.as_array()).ok_or_else(|| ParseError::whole("no Users array"))?;
    if users.len() > MAX_USERS {
        return Err(too_many());
    }
    users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let user = user
                .as_dictionary()
                .ok_or_else(|| ParseError::whole(format!("Users[{i}] is not a dictionary")))?;
            let text = |key: &str| user.get(key).and_then(|v| v.as_string()).map(str::to_owned);
            Ok(CryptoUser {
                uuid: text("APFSCryptoUserUUID")
                    .ok_or_else(|| ParseError::whole(format!("Users[{i}] has no APFSCryptoUserUUID")))?,
                kind: text("APFSCryptoUserType").unwrap_or_default(),
                volume_owner: user.get("VolumeOwner").and_then(plist_value::as_bool),
            })
        })
        .collect()
}

/// The text form: a `Cryptographic user(s) for diskN (N found)` header, then
/// `+-- <UUID>` entries with `Type:` and (Apple silicon) `Volume Owner:`.
fn parse_text(bytes: &[u8]) -> Result<Vec<CryptoUser>, ParseError> {
    let text = utf8(bytes)?;
    let mut lines = text.lines().enumerate();
    let header = lines.by_ref().find(|(_, l)| !l.trim().is_empty());
    match header {
        Some((_, l)) if l.starts_with("No cryptographic users") => return Ok(Vec::new()),
        Some((_, l)) if l.starts_with("Cryptographic user") => {}
        Some((n, _)) => return Err(ParseError::at(n + 1, "expected a `Cryptographic users for ...` header")),
        None => return Err(ParseError::whole("empty output")),
    }
    let mut users: Vec<CryptoUser> = Vec::new();
    for (n, line) in lines {
        let body = line.trim_start_matches(['|', ' ']).trim_end();
        if let Some(uuid) = body.strip_prefix("+-- ") {
            if users.len() == MAX_USERS {
                return Err(too_many());
            }
            users.push(CryptoUser { uuid: uuid.trim().to_string(), kind: String::new(), volume_owner: None });
        } else if let Some((key, value)) = body.split_once(':') {
            let user =
                users.last_mut().ok_or_else(|| ParseError::at(n + 1, "attribute before any `+--` entry"))?;
            match key.trim() {
                "Type" => user.kind = text_type(value.trim()),
                "Volume Owner" => user.volume_owner = Some(value.trim() == "Yes"),
                _ => {}
            }
        }
    }
    Ok(users)
}

/// The text form's type names, mapped to the plist form's.
fn text_type(name: &str) -> String {
    match name {
        "Local Open Directory User" => "LocalOpenDirectory",
        "Personal Recovery User" => "PersonalRecovery",
        "MDM Bootstrap Token External Key" => "MDMRecovery",
        "Institutional Recovery User" => "InstitutionalRecovery",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    #[test]
    fn no_users_text() {
        assert_eq!(parse(&out(&sample("diskutil-apfs-listCryptoUsers__none.txt"))).unwrap(), vec![]);
    }

    #[test]
    fn catalina_text_with_recovery_and_bootstrap_entries() {
        let users =
            parse(&out(&sample("diskutil-apfs-listUsers__catalina-four-users-prk-bootstrap.txt"))).unwrap();
        let kinds: Vec<_> = users.iter().map(|u| u.kind.as_str()).collect();
        assert_eq!(kinds, ["LocalOpenDirectory", "PersonalRecovery", "LocalOpenDirectory", "MDMRecovery"]);
        assert_eq!(users[0].uuid, "FB756838-XXXX-XXXX-XXXX-40FB5E7D5D3F");
        assert_eq!(users[3].uuid, "2457711A-XXXX-XXXX-XXXX-F48A571D5036");
        assert_eq!(users.iter().filter(|u| u.is_user()).count(), 2);
    }

    #[test]
    fn apple_silicon_volume_owner_lines() {
        let users =
            parse(&out(&sample("diskutil-apfs-listUsers__applesilicon-volume-owner-lines.txt"))).unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].uuid, "2DB09770-999B-43FB-99AF-2B878E4FE971");
        assert_eq!(users[0].volume_owner, Some(true));
        assert_eq!(users[1].kind, "PersonalRecovery");
    }

    #[test]
    fn plist_form() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>Users</key><array>
<dict><key>APFSCryptoUserType</key><string>LocalOpenDirectory</string><key>APFSCryptoUserUUID</key><string>2DB09770-999B-43FB-99AF-2B878E4FE971</string><key>VolumeOwner</key><true/></dict>
<dict><key>APFSCryptoUserType</key><string>PersonalRecovery</string><key>APFSCryptoUserUUID</key><string>EBC6C064-0000-11AA-AA11-00306543ECAC</string></dict>
</array></dict></plist>"#;
        let users = parse(&out(xml)).unwrap();
        assert_eq!(users.len(), 2);
        assert!(users[0].is_user() && users[0].volume_owner == Some(true));
        assert!(!users[1].is_user());
    }

    #[test]
    fn binary_plist_form() {
        let mut user = plist::Dictionary::new();
        user.insert("APFSCryptoUserType".into(), "LocalOpenDirectory".into());
        user.insert("APFSCryptoUserUUID".into(), "AAAA".into());
        let mut root = plist::Dictionary::new();
        root.insert("Users".into(), plist::Value::Array(vec![user.into()]));
        let mut bytes = Vec::new();
        plist::Value::Dictionary(root).to_writer_binary(&mut bytes).unwrap();
        assert_eq!(parse(&out(&bytes)).unwrap()[0].uuid, "AAAA");
    }

    /// Found writing tests/hostile.rs: 60 MB of `+-- x` lines took 2.6 GB.
    #[test]
    fn more_crypto_users_than_any_volume_has_is_refused() {
        let text = format!("Cryptographic users for disk1s1 (1 found)\n{}", "+-- x\n".repeat(MAX_USERS + 1));
        assert_eq!(parse(&out(text.as_bytes())).unwrap_err(), too_many());
        let user = "<dict><key>APFSCryptoUserUUID</key><string>x</string></dict>";
        let xml = format!(
            "<plist><dict><key>Users</key><array>{}</array></dict></plist>",
            user.repeat(MAX_USERS + 1)
        );
        assert_eq!(parse(&out(xml.as_bytes())).unwrap_err(), too_many());
    }

    #[test]
    fn garbage_is_unparseable() {
        assert!(matches!(parse(&out(b"hello\n")), Err(ParseError::Unparseable { .. })));
        assert!(matches!(parse(&out(b"<plist><dict><key>Users</key>")), Err(ParseError::Unparseable { .. })));
    }
}
