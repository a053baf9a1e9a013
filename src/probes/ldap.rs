//! `dscl localhost -list /LDAPv3`: the LDAP servers this Mac is bound to,
//! one per line; nothing when there are none.
//!
//! No captured sample of this output was found; the one-name-per-line form
//! is what public tools that read it (CalendarServer's odsetup) expect.

use super::{Exits, ParseError, Spec, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<Vec<String>> =
    Spec { source: SourceId::LdapNodes, exits: Exits::Zero, parse, when_absent: None };

/// A Mac is bound to a handful of servers; 60 MB of one-letter lines took
/// 3.9 GB as strings.
const MAX_SERVERS: usize = 1_000;

pub fn parse(out: &Output) -> Result<Vec<String>, ParseError> {
    let text = utf8(&out.stdout)?;
    let mut servers = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let name = line.trim();
        if name.is_empty() {
            continue;
        }
        // A server name is a host name or address; anything else means the
        // output is not what we think it is, and must not count as a binding.
        let plausible =
            name.len() <= 255 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b));
        if !plausible {
            return Err(ParseError::at(n + 1, "not an LDAP server name"));
        }
        if servers.len() == MAX_SERVERS {
            return Err(ParseError::at(n + 1, format!("more than {MAX_SERVERS} LDAP servers")));
        }
        servers.push(name.to_string());
    }
    Ok(servers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::out;

    #[test]
    fn one_server_per_line() {
        assert_eq!(parse(&out(b"ldap.example.com\n10.0.0.5\n")).unwrap(), ["ldap.example.com", "10.0.0.5"]);
        assert!(parse(&out(b"")).unwrap().is_empty());
    }

    /// Found writing tests/hostile.rs: 60 MB of one-letter lines took 3.9 GB.
    #[test]
    fn more_than_a_thousand_servers_is_refused() {
        assert_eq!(parse(&out("a\n".repeat(MAX_SERVERS).as_bytes())).unwrap().len(), MAX_SERVERS);
        let err = parse(&out("a\n".repeat(MAX_SERVERS + 1).as_bytes())).unwrap_err();
        assert_eq!(err, ParseError::at(MAX_SERVERS + 1, "more than 1000 LDAP servers"));
    }

    #[test]
    fn junk_is_not_a_binding() {
        assert!(parse(&out(b"\x00\x01binary")).is_err());
        assert!(parse(&out(b"list: Invalid Path\n")).is_err());
    }
}
