//! The `host` source: a JSON snapshot st-preflight writes about the machine
//! it runs on. Context for the report, and corroboration when a macOS source
//! could not answer; never a replacement for one that did.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Exits, ParseError, Spec};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<HostInfo> =
    Spec { source: SourceId::Host, exits: Exits::Zero, parse, when_absent: None };

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostInfo {
    #[serde(default)]
    pub host_name: Option<String>,
    #[serde(default)]
    pub os_name: Option<String>,
    #[serde(default)]
    pub os_version: Option<String>,
    #[serde(default)]
    pub kernel_version: Option<String>,
    /// `arm64` is Apple silicon (SecureToken holders are volume owners).
    #[serde(default)]
    pub cpu_arch: Option<String>,
    /// The file system of the volume mounted at `/`, e.g. `apfs`.
    #[serde(default)]
    pub root_filesystem: Option<String>,
}

pub fn parse(out: &Output) -> Result<HostInfo, ParseError> {
    serde_json::from_slice(&out.stdout)
        .map_err(|e| ParseError::at(e.line(), format!("not the host JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::out;

    #[test]
    fn reads_the_snapshot() {
        let json = br#"{"host_name":"lab-01","os_name":"macOS","os_version":"10.13.6","kernel_version":"17.7.0","cpu_arch":"x86_64","root_filesystem":"apfs","extra":1}"#;
        let info = parse(&out(json)).unwrap();
        assert_eq!(info.cpu_arch.as_deref(), Some("x86_64"));
        assert_eq!(info.root_filesystem.as_deref(), Some("apfs"));
        assert!(parse(&out(b"{nope")).is_err());
    }
}
