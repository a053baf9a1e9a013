//! The report: one value built from the facts and the evaluation, rendered
//! as a table for a technician or as JSON for MDM scripts. The JSON wire
//! types live here and are documented field by field in
//! `docs/report-json.md`; renaming or removing a field needs a new
//! `schema_version`.

pub mod catalog;
pub mod escape;
pub mod json;
pub mod schema;
pub mod summary;
pub mod table;

use schemars::JsonSchema;
use serde::Serialize;

use crate::host::bundle::Meta;
use crate::probes::{Probed, SourceStatus};
use crate::probes::{bootstrap, crypto_users, diskutil, dsconfigad, host_info, sw_vers};
use crate::rules::{
    Account, ConditionId, Confidence, Evaluation, FileVault, FindingId, Question, Role, Severity, Verdict,
};
use crate::source::SourceId;

pub const SCHEMA_VERSION: u32 = 1;

/// What the table and `collect` say when password data was removed; `None`
/// when nothing was.
pub fn redaction_note(sources: &[SourceId]) -> Option<String> {
    let ids: Vec<&str> = sources.iter().map(|s| s.as_str()).collect();
    (!ids.is_empty()).then(|| {
        format!(
            "Password data (ShadowHashData) was found in {} and removed before anything was parsed, shown or written.",
            summary::join(&ids)
        )
    })
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Report {
    /// `1` for this layout: a rename or removal of a field makes it `2`.
    #[schemars(extend("const" = 1))]
    pub schema_version: u32,
    pub tool: Tool,
    pub verdict: Verdict,
    pub confidence: Confidence,
    /// One sentence a technician can read out.
    pub summary: String,
    /// `--user NAME`, or null for "the next directory user".
    pub user: Option<String>,
    /// The conditions that decided the verdict (for `unknown`, those that could change it).
    pub deciding: Vec<ConditionId>,
    pub conditions: Vec<ConditionReport>,
    pub findings: Vec<FindingReport>,
    pub facts: FactsReport,
    pub sources: Vec<SourceLine>,
    /// Sources from which password data (ShadowHashData) was removed.
    pub redacted: Vec<SourceId>,
    /// Where the bundle came from, when it says.
    pub bundle: Option<BundleInfo>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    pub fn this() -> Tool {
        Tool { name: env!("CARGO_PKG_NAME"), version: env!("CARGO_PKG_VERSION") }
    }
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ConditionReport {
    pub id: ConditionId,
    pub role: Role,
    pub met: Option<bool>,
    pub confidence: Confidence,
    pub detail: String,
    pub sources: Vec<SourceId>,
    pub evidence: Option<SourceId>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FindingReport {
    pub id: FindingId,
    pub severity: Severity,
    pub message: String,
    pub accounts: Vec<String>,
    pub remedy: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct SourceLine {
    pub id: SourceId,
    pub status: SourceStatus,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct BundleInfo {
    pub captured_at: Option<String>,
    pub tool_version: Option<String>,
}

/// The parsed facts; a group is null when its source could not answer
/// (the `sources` list says why).
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct FactsReport {
    pub macos: Option<sw_vers::OsVersion>,
    pub boot_volume: Option<diskutil::BootVolume>,
    pub filevault: FileVault,
    pub active_directory: Option<dsconfigad::AdBinding>,
    pub ldap_servers: Option<Vec<String>>,
    pub accounts: Option<Vec<Account>>,
    pub crypto_users: Option<Vec<crypto_users::CryptoUser>>,
    pub bootstrap_token: Option<bootstrap::BootstrapToken>,
    pub bypass_key: BypassKeyFacts,
    /// `com.apple.cachedaccounts.CreateAtLogin` in managed MCX.
    pub create_at_login: Option<bool>,
    pub host: Option<host_info::HostInfo>,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct BypassKeyFacts {
    /// The key's value in the managed file (null: not set, or file unreadable).
    pub managed: Option<bool>,
    /// The key's value in the unmanaged file.
    pub local: Option<bool>,
    /// The file whose setting is in effect: `mcx-managed`, `mcx-local`, or null.
    pub found_in: Option<SourceId>,
}

/// What `--format jamf` reports when no report could be made, so that an
/// extension attribute always has a result.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ErrorReport {
    /// `1` for this layout: a rename or removal of a field makes it `2`.
    #[schemars(extend("const" = 1))]
    pub schema_version: u32,
    pub tool: Tool,
    /// Always `unknown`.
    pub verdict: Verdict,
    /// Always `low`.
    pub confidence: Confidence,
    pub summary: String,
    pub user: Option<String>,
    pub error: ReportError,
}

#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct ReportError {
    pub kind: ErrorKind,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The bundle cannot be used (no such folder, not a bundle, refused version).
    BadInput,
    /// Live probing on a machine that is not a Mac.
    NotAMac,
    /// A bundle folder that cannot be written (`collect`). No longer produced
    /// in a report: `check --save-bundle` keeps its report when it cannot write.
    CannotWrite,
    /// A bug in st-preflight.
    Internal,
}

impl ErrorReport {
    pub fn new(kind: ErrorKind, message: String, user: Option<String>) -> ErrorReport {
        ErrorReport {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            verdict: Verdict::Unknown,
            confidence: Confidence::Low,
            summary: format!("No report: {message}"),
            user,
            error: ReportError { kind, message },
        }
    }
}

/// Either document `check` can print; the JSON Schema describes both.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[allow(clippy::large_enum_variant)]
pub enum Document {
    Report(Report),
    Error(ErrorReport),
}

impl Report {
    pub fn new(probed: &Probed, eval: &Evaluation, question: &Question, meta: Option<&Meta>) -> Report {
        let f = &probed.facts;
        let bypass_found_in = crate::rules::conditions::bypass_setting(f).ok().flatten();
        let facts = FactsReport {
            macos: f.os.known().cloned(),
            boot_volume: f.boot_volume.known().cloned(),
            filevault: eval.filevault.clone(),
            active_directory: f.active_directory.known().cloned(),
            ldap_servers: f.ldap_servers.known().cloned(),
            accounts: eval.accounts.clone(),
            crypto_users: f.crypto_users.known().cloned(),
            bootstrap_token: f.bootstrap.known().cloned(),
            bypass_key: BypassKeyFacts {
                managed: f.mcx_managed.known().and_then(|m| m.bypass),
                local: f.mcx_local.known().and_then(|m| m.bypass),
                found_in: bypass_found_in,
            },
            create_at_login: f.mcx_managed.known().and_then(|m| m.create_at_login),
            host: f.host.known().cloned(),
        };
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            verdict: eval.verdict,
            confidence: eval.confidence,
            summary: summary::sentence(eval, question, &probed.sources),
            user: question.user.clone(),
            deciding: eval.deciding.clone(),
            conditions: eval
                .conditions
                .iter()
                .map(|c| ConditionReport {
                    id: c.id,
                    role: c.id.role(),
                    met: c.met,
                    confidence: c.confidence,
                    detail: c.detail.clone(),
                    sources: c.sources.clone(),
                    evidence: c.evidence,
                })
                .collect(),
            findings: eval
                .findings
                .iter()
                .map(|x| FindingReport {
                    id: x.id,
                    severity: x.severity,
                    message: x.message.clone(),
                    accounts: x.accounts.clone(),
                    remedy: x.remedy.clone(),
                })
                .collect(),
            facts,
            sources: probed
                .sources
                .iter()
                .map(|s| SourceLine { id: s.id, status: s.status, detail: s.detail.clone() })
                .collect(),
            redacted: probed.redacted.clone(),
            bundle: meta.map(|m| BundleInfo {
                captured_at: m.captured_at.clone(),
                tool_version: m.tool_version.clone(),
            }),
        }
    }
}
