//! The one-sentence summary: the verdict in words a technician can read
//! out, with the conditions that decided it.

use crate::probes::{SourceReport, SourceStatus};
use crate::rules::{ConditionId, Evaluation, Question, Verdict};

pub fn sentence(eval: &Evaluation, question: &Question, sources: &[SourceReport]) -> String {
    let who = match &question.user {
        Some(user) => format!("{user} logs in"),
        None => "a directory user logs in here".to_string(),
    };
    let phrases = |ids: &[ConditionId], met: bool| -> String {
        let parts: Vec<&str> = ids
            .iter()
            .filter(|id| eval.condition(**id).met == Some(met))
            .map(|id| if met { id.info().when_met } else { id.info().when_not_met })
            .collect();
        join(&parts)
    };
    match eval.verdict {
        Verdict::WillAppear => format!(
            "The SecureToken dialog will appear the first time {who}: a Bypass creates a mobile account that cannot unlock FileVault."
        ),
        Verdict::Suppressed => format!(
            "The SecureToken dialog is suppressed by the bypass key: the first time {who}, the mobile account is created without a SecureToken."
        ),
        Verdict::WillNotAppear => {
            let prevents: Vec<ConditionId> =
                eval.deciding.iter().copied().filter(|id| *id == ConditionId::BootstrapToken).collect();
            let requires: Vec<ConditionId> =
                eval.deciding.iter().copied().filter(|id| *id != ConditionId::BootstrapToken).collect();
            let reasons = [phrases(&requires, false), phrases(&prevents, true)]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("; and ");
            format!("The SecureToken dialog will not appear when {who}: {reasons}.")
        }
        Verdict::Unknown => {
            let ids: Vec<&str> = eval.deciding.iter().map(|id| id.as_str()).collect();
            let mut culprits: Vec<String> = Vec::new();
            for id in &eval.deciding {
                for source in &eval.condition(*id).sources {
                    let Some(s) = sources.iter().find(|s| s.id == *source) else { continue };
                    let what = match s.status {
                        SourceStatus::Ok | SourceStatus::Absent => continue,
                        SourceStatus::Missing => format!("{} was not captured", s.id),
                        SourceStatus::Timeout => format!("{} timed out", s.id),
                        SourceStatus::NotFound => format!("{} does not exist", s.id),
                        SourceStatus::Failed => format!("{} failed", s.id),
                        SourceStatus::Unparseable => format!("{} could not be read", s.id),
                    };
                    if !culprits.contains(&what) {
                        culprits.push(what);
                    }
                }
            }
            let culprits: Vec<&str> = culprits.iter().map(String::as_str).collect();
            let because =
                if culprits.is_empty() { String::new() } else { format!(", because {}", join(&culprits)) };
            let verb = if ids.len() == 1 { "is" } else { "are" };
            format!(
                "Cannot tell whether the SecureToken dialog will appear: {} {verb} unknown{because}; capture again (as root) to decide.",
                join(&ids)
            )
        }
    }
}

/// "a", "a and b", "a, b and c".
pub(crate) fn join(parts: &[&str]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}
