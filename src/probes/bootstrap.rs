//! `profiles status -type bootstraptoken`: whether the MDM server holds this
//! Mac's bootstrap token (10.15+).

use schemars::JsonSchema;
use serde::Serialize;

use super::{Exits, ParseError, Spec, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<BootstrapToken> =
    Spec { source: SourceId::BootstrapToken, exits: Exits::Zero, parse, when_absent: None };

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct BootstrapToken {
    pub supported: Option<bool>,
    pub escrowed: Option<bool>,
}

/// `profiles: Bootstrap Token supported on server: YES` and
/// `... escrowed to server: NO` (a FileWave note reports "escrowed on
/// server"; both are read).
pub fn parse(out: &Output) -> Result<BootstrapToken, ParseError> {
    let text = utf8(&out.stdout)?;
    let mut token = BootstrapToken::default();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let body = line.strip_prefix("profiles:").unwrap_or(line).trim();
        let Some((key, value)) = body.rsplit_once(':') else {
            return Err(ParseError::at(n + 1, "expected `Bootstrap Token ...: YES/NO`"));
        };
        let value = match value.trim() {
            "YES" => true,
            "NO" => false,
            other => return Err(ParseError::at(n + 1, format!("{other:?} is neither YES nor NO"))),
        };
        match key.trim() {
            "Bootstrap Token supported on server" => token.supported = Some(value),
            "Bootstrap Token escrowed to server" | "Bootstrap Token escrowed on server" => {
                token.escrowed = Some(value)
            }
            _ => return Err(ParseError::at(n + 1, "not a bootstrap token status line")),
        }
    }
    if token.escrowed.is_none() {
        return Err(ParseError::whole("no `Bootstrap Token escrowed to server` line"));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    #[test]
    fn escrowed_and_not() {
        let yes = parse(&out(&sample("profiles-status-bootstraptoken__supported-escrowed.txt"))).unwrap();
        assert_eq!((yes.supported, yes.escrowed), (Some(true), Some(true)));
        let no = parse(&out(&sample("profiles-status-bootstraptoken__supported-not-escrowed.txt"))).unwrap();
        assert_eq!((no.supported, no.escrowed), (Some(true), Some(false)));
    }

    #[test]
    fn other_profiles_output_is_unparseable() {
        assert!(parse(&out(&sample("profiles-status-enrollment__dep-yes-user-approved.txt"))).is_err());
        assert!(parse(&out(b"")).is_err());
    }
}
