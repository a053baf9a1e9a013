//! The `com.apple.MCX` preference files: the key that suppresses the dialog
//! and the one that turns on mobile accounts for LDAP binds.
//!
//! No sample of the installed managed file exists; macOS flattens a
//! profile's payload into top-level keys (tools that audit it read
//! `params['key']`), which is the shape read. A key whose value is a dict
//! holding `value` is read too: that is how the per-user
//! `/Library/Managed Preferences/<user>/complete.plist` stores each key (under
//! `com.apple.MCX`), should a Mac write the computer-level file that way.

use plist::Value;
use serde::Serialize;

use super::{Exits, ParseError, Spec, plist_value};
use crate::host::Output;
use crate::source::SourceId;

pub const BYPASS_KEY: &str = "cachedaccounts.askForSecureTokenAuthBypass";
pub const CREATE_AT_LOGIN_KEY: &str = "com.apple.cachedaccounts.CreateAtLogin";

pub const MANAGED_SPEC: Spec<McxPrefs> =
    Spec { source: SourceId::McxManaged, exits: Exits::Zero, parse, when_absent: Some(McxPrefs::default) };
pub const LOCAL_SPEC: Spec<McxPrefs> =
    Spec { source: SourceId::McxLocal, exits: Exits::Zero, parse, when_absent: Some(McxPrefs::default) };

/// The keys st-preflight reads; `None` when the key is not set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct McxPrefs {
    pub bypass: Option<bool>,
    pub create_at_login: Option<bool>,
}

pub fn parse(out: &Output) -> Result<McxPrefs, ParseError> {
    let value = plist_value::parse(&out.stdout)?;
    let dict =
        value.as_dictionary().ok_or_else(|| ParseError::whole("expected a dictionary of preferences"))?;
    let read = |key: &str| -> Result<Option<bool>, ParseError> {
        let Some(v) = dict.get(key) else { return Ok(None) };
        let v = match v {
            Value::Dictionary(d) => d.get("value").unwrap_or(v),
            _ => v,
        };
        plist_value::as_bool(v)
            .map(Some)
            .ok_or_else(|| ParseError::whole(format!("{key} is set but is not a boolean")))
    };
    Ok(McxPrefs { bypass: read(BYPASS_KEY)?, create_at_login: read(CREATE_AT_LOGIN_KEY)? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::out;

    #[test]
    fn flat_managed_keys() {
        let xml = b"<plist version=\"1.0\"><dict><key>cachedaccounts.askForSecureTokenAuthBypass</key><true/>\
<key>com.apple.cachedaccounts.CreateAtLogin</key><false/><key>dontAllowFDEDisable</key><true/></dict></plist>";
        assert_eq!(parse(&out(xml)).unwrap(), McxPrefs { bypass: Some(true), create_at_login: Some(false) });
    }

    #[test]
    fn unrelated_keys_only() {
        let xml = b"<plist version=\"1.0\"><dict><key>DisableGuestAccount</key><true/></dict></plist>";
        assert_eq!(parse(&out(xml)).unwrap(), McxPrefs::default());
    }

    #[test]
    fn defaults_write_string_and_nested_value() {
        let xml = b"<plist version=\"1.0\"><dict><key>cachedaccounts.askForSecureTokenAuthBypass</key><string>true</string>\
<key>com.apple.cachedaccounts.CreateAtLogin</key><dict><key>value</key><true/></dict></dict></plist>";
        assert_eq!(parse(&out(xml)).unwrap(), McxPrefs { bypass: Some(true), create_at_login: Some(true) });
    }

    #[test]
    fn a_key_that_is_not_a_boolean_is_unparseable() {
        let xml = b"<plist version=\"1.0\"><dict><key>cachedaccounts.askForSecureTokenAuthBypass</key><date>2020-01-01T00:00:00Z</date></dict></plist>";
        assert!(parse(&out(xml)).is_err());
        assert!(parse(&out(b"<plist><dict><key>x")).is_err());
    }
}
