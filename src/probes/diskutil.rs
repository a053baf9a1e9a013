//! `diskutil info -plist /`: the boot volume's file system and FileVault.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Exits, ParseError, Spec, plist_value, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<BootVolume> =
    Spec { source: SourceId::DiskutilInfo, exits: Exits::Zero, parse, when_absent: None };

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BootVolume {
    /// `FilesystemType` as diskutil prints it: `apfs`, `hfs`, ...
    pub filesystem: String,
    pub filevault: Option<bool>,
    pub encrypted: Option<bool>,
}

impl BootVolume {
    pub fn is_apfs(&self) -> bool {
        self.filesystem.eq_ignore_ascii_case("apfs")
    }
}

/// Reads the plist form (what the live prober runs). The text form of
/// `diskutil info /` is accepted too, since technicians paste it by hand.
pub fn parse(out: &Output) -> Result<BootVolume, ParseError> {
    if plist_value::looks_like_plist(&out.stdout) {
        parse_plist(&out.stdout)
    } else {
        parse_text(&out.stdout)
    }
}

/// A diskutil `-plist` answer, or the command's own error plist
/// (`Error` true, `ErrorMessage`) as the tool's failure.
pub(crate) fn answer(bytes: &[u8]) -> Result<plist::Dictionary, ParseError> {
    let value = plist_value::parse(bytes)?;
    let plist::Value::Dictionary(dict) = value else {
        return Err(ParseError::whole("expected a dictionary"));
    };
    if dict.get("Error").and_then(plist_value::as_bool) == Some(true) {
        let msg =
            dict.get("ErrorMessage").and_then(|v| v.as_string()).unwrap_or("diskutil reported an error");
        return Err(ParseError::ToolError(format!("diskutil: {msg}")));
    }
    Ok(dict)
}

fn parse_plist(bytes: &[u8]) -> Result<BootVolume, ParseError> {
    let dict = answer(bytes)?;
    let filesystem = dict
        .get("FilesystemType")
        .and_then(|v| v.as_string())
        .ok_or_else(|| ParseError::whole("no FilesystemType key"))?;
    Ok(BootVolume {
        filesystem: filesystem.to_ascii_lowercase(),
        filevault: dict.get("FileVault").and_then(plist_value::as_bool),
        encrypted: dict.get("Encryption").and_then(plist_value::as_bool),
    })
}

/// `   Type (Bundle):             apfs` / `   FileVault:                 Yes`
fn parse_text(bytes: &[u8]) -> Result<BootVolume, ParseError> {
    let text = utf8(bytes)?;
    let (mut filesystem, mut filevault, mut encrypted) = (None, None, None);
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        let yes_no = || match value.split_whitespace().next() {
            Some("Yes") => Some(true),
            Some("No") => Some(false),
            _ => None,
        };
        match key.trim() {
            "Type (Bundle)" => filesystem = Some(value.to_ascii_lowercase()),
            "FileVault" => filevault = yes_no(),
            "Encrypted" => encrypted = yes_no(),
            _ => {}
        }
    }
    let filesystem =
        filesystem.ok_or_else(|| ParseError::whole("no `Type (Bundle):` line and not a property list"))?;
    Ok(BootVolume { filesystem, filevault, encrypted })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    fn parse_sample(name: &str) -> Result<BootVolume, ParseError> {
        parse(&out(&sample(name)))
    }

    #[test]
    fn apfs_plist_with_filevault() {
        for name in [
            "diskutil-info-plist__apfs-catalina-data-volume-filevault.plist",
            "diskutil-info-plist__apfs-catalina-system-volume-filevault.plist",
        ] {
            let vol = parse_sample(name).unwrap();
            assert!(vol.is_apfs());
            assert_eq!((vol.filevault, vol.encrypted), (Some(true), Some(true)), "{name}");
        }
    }

    #[test]
    fn hfs_plus_plist() {
        let vol = parse_sample("diskutil-info-plist__hfsplus-external-usb-hdd.plist").unwrap();
        assert_eq!(vol.filesystem, "hfs");
        assert!(!vol.is_apfs());
    }

    #[test]
    fn error_plist_is_the_tools_own_failure() {
        let err = parse_sample("diskutil-info-plist__error-could-not-find-disk.plist").unwrap_err();
        assert_eq!(err, ParseError::ToolError("diskutil: Could not find disk: /Volumes/SMB".into()));
    }

    #[test]
    fn text_form() {
        let on = parse_sample("diskutil-info__apfs-applesilicon-data-volume-filevault-on.txt").unwrap();
        assert_eq!((on.filesystem.as_str(), on.filevault), ("apfs", Some(true)));
        let off = parse_sample("diskutil-info__apfs-fusion-sealed-snapshot-root-filevault-off.txt").unwrap();
        assert_eq!((off.filevault, off.encrypted), (Some(false), Some(false)));
        let fusion = parse_sample("diskutil-info__apfs-fusion-data-volume-filevault-off.txt").unwrap();
        assert_eq!(fusion.filevault, Some(false));
        let cs = parse_sample("diskutil-info__hfsplus-corestorage-encrypted.txt").unwrap();
        assert_eq!((cs.filesystem.as_str(), cs.encrypted, cs.filevault), ("hfs", Some(true), None));
        let plain = parse_sample("diskutil-info__hfsplus-corestorage-unencrypted.txt").unwrap();
        assert_eq!((plain.filesystem.as_str(), plain.encrypted), ("hfs", Some(false)));
    }

    #[test]
    fn a_fragment_without_the_type_line_is_unparseable() {
        let err = parse_sample("diskutil-info__fragment-bigsur-snapshot-apfs-section-filevault-yes.txt")
            .unwrap_err();
        assert!(matches!(err, ParseError::Unparseable { .. }));
    }

    #[test]
    fn truncated_plist_is_unparseable() {
        let bytes = sample("diskutil-info-plist__apfs-catalina-data-volume-filevault.plist");
        assert!(matches!(parse(&out(&bytes[..200])), Err(ParseError::Unparseable { .. })));
    }
}
