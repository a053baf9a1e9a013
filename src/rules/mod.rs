//! The rules engine: pure functions from facts to conditions, a verdict and
//! findings. No I/O happens here. `docs/rules.md` explains every condition
//! and finding with its sources and confidence, and
//! `../shared/reference/domain-rules.md` is what they follow.

pub mod accounts;
pub mod catalog;
pub mod conditions;
pub mod findings;
pub mod tri;
pub mod verdict;

use schemars::JsonSchema;
use serde::Serialize;

use crate::probes::Facts;
use crate::probes::fdesetup::FileVaultState;
use crate::source::SourceId;
pub use accounts::Account;
pub use catalog::{ConditionId, FindingId, Role};
pub use findings::{Finding, Severity};
use tri::Tri;
pub use verdict::Verdict;

/// How far a conclusion can be trusted; ordered so that `min` is the weakest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// One condition of the decision, three-valued.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub id: ConditionId,
    pub met: Tri,
    pub confidence: Confidence,
    /// What was found, in a sentence, or why it is unknown.
    pub detail: String,
    /// The sources consulted.
    pub sources: Vec<SourceId>,
    /// The source whose evidence decided, where several could.
    pub evidence: Option<SourceId>,
}

/// What the check is asked about.
#[derive(Clone, Debug, Default)]
pub struct Question {
    /// `--user NAME`: the directory account that is about to log in.
    pub user: Option<String>,
}

/// FileVault as the findings judge it: fdesetup first (it knows about
/// encryption in progress and pending enablement), diskutil's flag when
/// fdesetup did not answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, JsonSchema)]
pub struct FileVault {
    /// The disk is encrypted, or will be: a token-less account cannot unlock it.
    pub on: Tri,
    pub state: Option<FileVaultState>,
    /// Percent completed of encryption or decryption, when fdesetup printed it.
    pub percent: Option<f64>,
    /// The user a deferred enablement waits for.
    pub deferred_user: Option<String>,
    pub source: Option<SourceId>,
    /// Where the sources disagree, which one was believed and why.
    pub note: Option<String>,
}

/// Everything the rules concluded.
#[derive(Clone, Debug)]
pub struct Evaluation {
    pub verdict: Verdict,
    pub confidence: Confidence,
    /// The conditions that decided the verdict (for `unknown`: the unknown
    /// conditions that could change it).
    pub deciding: Vec<ConditionId>,
    pub conditions: Vec<Condition>,
    pub findings: Vec<Finding>,
    pub accounts: Option<Vec<Account>>,
    pub filevault: FileVault,
}

impl Evaluation {
    pub fn condition(&self, id: ConditionId) -> &Condition {
        self.conditions.iter().find(|c| c.id == id).expect("every condition is evaluated")
    }
}

/// Runs the rules.
pub fn evaluate(facts: &Facts, question: &Question) -> Evaluation {
    let accounts = accounts::accounts(facts);
    let conditions = conditions::evaluate(facts, accounts.as_deref(), question);
    let (verdict, deciding) = verdict::decide(&conditions);
    let confidence = verdict::confidence(verdict, &deciding, &conditions);
    let filevault = filevault(facts);
    let mut evaluation =
        Evaluation { verdict, confidence, deciding, conditions, findings: Vec::new(), accounts, filevault };
    evaluation.findings = findings::findings(facts, &evaluation, question);
    evaluation
}

fn filevault(facts: &Facts) -> FileVault {
    let from_diskutil = facts.boot_volume.known().and_then(|v| v.filevault);
    match (facts.filevault.known(), from_diskutil) {
        (Some(status), disk) => {
            let on = status.state.protects_disk();
            // diskutil reports the volume's current encryption; fdesetup also
            // knows what is scheduled, so a "pending" Mac disagrees legitimately.
            let note = disk.filter(|&d| d != on && !status.state.is_busy()).map(|d| {
                format!(
                    "diskutil says FileVault is {}, fdesetup says {}; believed fdesetup, which reports FileVault's own state",
                    on_off(d),
                    on_off(on)
                )
            });
            FileVault {
                on: Some(on),
                state: Some(status.state),
                percent: status.percent,
                deferred_user: status.deferred_user.clone(),
                source: Some(SourceId::FdesetupStatus),
                note,
            }
        }
        (None, Some(disk)) => FileVault {
            on: Some(disk),
            source: Some(SourceId::DiskutilInfo),
            note: Some("fdesetup did not answer; judged by diskutil's FileVault flag".into()),
            ..FileVault::default()
        },
        (None, None) => FileVault::default(),
    }
}

fn on_off(on: bool) -> &'static str {
    if on { "on" } else { "off" }
}
