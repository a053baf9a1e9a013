//! `dsconfigad -show`: the Active Directory binding and whether mobile
//! accounts are created at login. Unbound Macs print nothing.

use schemars::JsonSchema;
use serde::Serialize;

use super::{Exits, ParseError, Spec, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<AdBinding> =
    Spec { source: SourceId::Dsconfigad, exits: Exits::Zero, parse, when_absent: None };

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct AdBinding {
    /// `Active Directory Domain`; `None` means not bound.
    pub domain: Option<String>,
    pub forest: Option<String>,
    pub computer_account: Option<String>,
    /// `Create mobile account at login = Enabled/Disabled`.
    pub create_mobile_account: Option<bool>,
}

impl AdBinding {
    pub fn is_bound(&self) -> bool {
        self.domain.is_some()
    }
}

/// `Key = value` lines; keys are indented under their section headings.
pub fn parse(out: &Output) -> Result<AdBinding, ParseError> {
    let text = utf8(&out.stdout)?;
    let mut binding = AdBinding::default();
    let mut saw_setting = false;
    for (n, line) in text.lines().enumerate() {
        let Some((key, value)) = line.split_once('=') else {
            let heading = line.trim();
            if heading.is_empty() || heading.starts_with("Advanced Options") {
                continue;
            }
            return Err(ParseError::at(n + 1, "expected `Setting = value`"));
        };
        saw_setting = true;
        let value = value.trim();
        let text = || (!value.is_empty() && value != "not set").then(|| value.to_string());
        match key.trim() {
            "Active Directory Domain" => binding.domain = text(),
            "Active Directory Forest" => binding.forest = text(),
            "Computer Account" => binding.computer_account = text(),
            "Create mobile account at login" => {
                binding.create_mobile_account = match value {
                    "Enabled" => Some(true),
                    "Disabled" => Some(false),
                    other => {
                        return Err(ParseError::at(
                            n + 1,
                            format!("mobile account setting {other:?} is neither Enabled nor Disabled"),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    if saw_setting && binding.domain.is_none() {
        return Err(ParseError::whole("settings printed but no `Active Directory Domain` line"));
    }
    Ok(binding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    #[test]
    fn bound_with_mobile_accounts_disabled() {
        let ad = parse(&out(&sample("dsconfigad-show__bound-ad-network-account.txt"))).unwrap();
        assert!(ad.is_bound());
        assert_eq!(ad.domain.as_deref(), Some("mydomain.local"));
        assert_eq!(ad.forest.as_deref(), Some("mydomain.local"));
        assert_eq!(ad.computer_account.as_deref(), Some("sp-mymachine$"));
        assert_eq!(ad.create_mobile_account, Some(false));
    }

    #[test]
    fn mobile_accounts_enabled() {
        let text = String::from_utf8(sample("dsconfigad-show__bound-ad-network-account.txt")).unwrap();
        let enabled = text.replace("at login = Disabled", "at login = Enabled");
        assert_eq!(parse(&out(enabled.as_bytes())).unwrap().create_mobile_account, Some(true));
    }

    #[test]
    fn empty_output_means_not_bound() {
        let ad = parse(&out(&sample("dsconfigad-show__not-bound-empty.txt"))).unwrap();
        assert!(!ad.is_bound());
        assert_eq!(ad.create_mobile_account, None);
    }

    #[test]
    fn garbage_is_unparseable() {
        assert!(parse(&out(b"\xff\xfe junk")).is_err());
        assert!(parse(&out(b"hello world\n")).is_err());
        assert!(parse(&out(b"Foo = bar\n")).is_err());
    }
}
