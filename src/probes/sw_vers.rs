//! `sw_vers`: the macOS version and build.

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

use super::{Exits, ParseError, Spec, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<OsVersion> =
    Spec { source: SourceId::SwVers, exits: Exits::Zero, parse, when_absent: None };

/// A macOS version; `10.13` means 10.13.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version { major, minor, patch }
    }

    /// Parses `10.13`, `10.13.6` or `14.0`; anything else is `None`.
    pub fn parse(text: &str) -> Option<Version> {
        let mut parts = text.trim().split('.');
        let mut next = |required: bool| -> Option<u32> {
            match parts.next() {
                Some(p) if !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()) => {
                    p.parse().ok()
                }
                None if !required => Some(0),
                _ => None,
            }
        };
        let version = Version { major: next(true)?, minor: next(false)?, patch: next(false)? };
        parts.next().is_none().then_some(version)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// Serialised as `"10.13.6"`: three numbers, always.
impl JsonSchema for Version {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9]+$" })
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct OsVersion {
    pub product_name: Option<String>,
    pub version: Version,
    pub build: Option<String>,
    /// The Rapid Security Response suffix, e.g. `(a)`.
    pub extra: Option<String>,
}

/// Reads `Key:<tab(s)>value` lines: one tab up to 10.15, two from 11.
/// A lone version line (`sw_vers -productVersion`) is accepted too.
pub fn parse(out: &Output) -> Result<OsVersion, ParseError> {
    let text = utf8(&out.stdout)?;
    let mut version = None;
    let (mut product_name, mut build, mut extra) = (None, None, None);
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let Some((key, value)) = line.split_once(':') else {
            if let (Some(v), None) = (Version::parse(line), version) {
                version = Some(v);
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            return Err(ParseError::at(line_no, "expected `Key:<tab>value`"));
        };
        let value = value.trim();
        match key.trim() {
            "ProductName" => product_name = Some(value.to_string()),
            "ProductVersion" => {
                let v = Version::parse(value).ok_or_else(|| {
                    ParseError::at(line_no, format!("ProductVersion {value:?} is not a version"))
                })?;
                version = Some(v);
            }
            "BuildVersion" => build = Some(value.to_string()),
            "ProductVersionExtra" => extra = Some(value.to_string()),
            _ => {}
        }
    }
    let version = version.ok_or_else(|| ParseError::whole("no ProductVersion line"))?;
    Ok(OsVersion { product_name, version, build, extra })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    fn parse_sample(name: &str) -> OsVersion {
        parse(&out(&sample(name))).unwrap()
    }

    #[test]
    fn old_one_tab_layout() {
        let os = parse_sample("sw_vers__mac-os-x-10.14.1.txt");
        assert_eq!(os.version, Version::new(10, 14, 1));
        assert_eq!(os.product_name.as_deref(), Some("Mac OS X"));
        assert_eq!(os.build.as_deref(), Some("18B75"));
        let catalina = parse_sample("sw_vers__mac-os-x-10.15.3-catalina.txt");
        assert_eq!(catalina.version, Version::new(10, 15, 3));
        assert_eq!(catalina.build.as_deref(), Some("19D76"));
    }

    #[test]
    fn new_two_tab_layout() {
        let ventura = parse_sample("sw_vers__macos-13-ventura.txt");
        assert_eq!(ventura.version, Version::new(13, 7, 8));
        assert_eq!(ventura.product_name.as_deref(), Some("macOS"));
        assert_eq!(ventura.build.as_deref(), Some("22H730"));
        assert_eq!(parse_sample("sw_vers__macos-14.0-sonoma.txt").version, Version::new(14, 0, 0));
    }

    #[test]
    fn bare_version_line() {
        assert_eq!(parse_sample("sw_vers-productVersion__10.13.6.txt").version, Version::new(10, 13, 6));
        assert_eq!(parse_sample("sw_vers-productVersion__10.11.3.txt").version, Version::new(10, 11, 3));
    }

    #[test]
    fn two_part_version_means_patch_zero() {
        let os =
            parse(&out(b"ProductName:\tMac OS X\nProductVersion:\t10.13\nBuildVersion:\t17A365\n")).unwrap();
        assert_eq!(os.version, Version::new(10, 13, 0));
        assert!(Version::new(10, 13, 0) < Version::new(10, 13, 4));
    }

    #[test]
    fn rapid_security_response_suffix() {
        let text = b"ProductName:\t\tmacOS\nProductVersion:\t\t13.4.1\nProductVersionExtra:\t(a)\nBuildVersion:\t\t22F770820d\n";
        let os = parse(&out(text)).unwrap();
        assert_eq!(os.extra.as_deref(), Some("(a)"));
        assert_eq!(os.version, Version::new(13, 4, 1));
    }

    #[test]
    fn garbage_is_unparseable_with_the_line() {
        let err = parse(&out(b"ProductName:\tmacOS\nProductVersion:\tbanana\n")).unwrap_err();
        assert_eq!(err, ParseError::at(2, "ProductVersion \"banana\" is not a version"));
        assert!(parse(&out(b"\xff\xfe")).is_err());
        assert!(parse(&out(b"")).is_err());
    }
}
