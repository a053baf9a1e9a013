//! The verdict, in Kleene logic over the conditions: R = AND of the
//! requires, B = bootstrap-token, K = bypass-key.

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{ConditionId, Role};
use super::tri;
use super::{Condition, Confidence};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    WillAppear,
    WillNotAppear,
    Suppressed,
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::WillAppear => "will-appear",
            Verdict::WillNotAppear => "will-not-appear",
            Verdict::Suppressed => "suppressed",
            Verdict::Unknown => "unknown",
        }
    }
}

/// The verdict and the conditions that decided it; for `unknown`, the
/// unknown conditions that could change it.
pub fn decide(conditions: &[Condition]) -> (Verdict, Vec<ConditionId>) {
    let met = |id: ConditionId| conditions.iter().find(|c| c.id == id).and_then(|c| c.met);
    let requires: Vec<&Condition> = conditions.iter().filter(|c| c.id.role() == Role::Requires).collect();
    let r = tri::and(requires.iter().map(|c| c.met));
    let b = met(ConditionId::BootstrapToken);
    let k = met(ConditionId::BypassKey);

    if r == Some(false) || b == Some(true) {
        let mut deciding: Vec<ConditionId> =
            requires.iter().filter(|c| c.met == Some(false)).map(|c| c.id).collect();
        if b == Some(true) {
            deciding.push(ConditionId::BootstrapToken);
        }
        return (Verdict::WillNotAppear, deciding);
    }
    if r == Some(true) && b == Some(false) {
        let all = conditions.iter().map(|c| c.id).collect();
        return match k {
            Some(true) => (Verdict::Suppressed, all),
            Some(false) => (Verdict::WillAppear, all),
            None => (Verdict::Unknown, vec![ConditionId::BypassKey]),
        };
    }
    // Neither R is false nor B is true, so no known condition rules the
    // dialog out and every unknown one could still change the outcome.
    let unknown = conditions.iter().filter(|c| c.met.is_none()).map(|c| c.id).collect();
    (Verdict::Unknown, unknown)
}

/// How sure the verdict is; `low` for `unknown`. `will-appear` and
/// `suppressed` need every deciding condition at once, so they are as sure
/// as the weakest of them. Each deciding condition of `will-not-appear`
/// rules the dialog out on its own, so that verdict is as sure as the
/// surest of them: an HFS+ Mac is no less surely without the dialog because
/// its admin's login is known only from `last`.
pub fn confidence(verdict: Verdict, deciding: &[ConditionId], conditions: &[Condition]) -> Confidence {
    let deciding = conditions.iter().filter(|c| deciding.contains(&c.id)).map(|c| c.confidence);
    let sure = match verdict {
        Verdict::Unknown => return Confidence::Low,
        Verdict::WillNotAppear => deciding.max(),
        Verdict::WillAppear | Verdict::Suppressed => deciding.min(),
    };
    sure.unwrap_or(Confidence::Low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tri::Tri;

    /// Conditions in catalog order with the given values, all high confidence.
    fn conditions(values: [Tri; 8]) -> Vec<Condition> {
        ConditionId::ALL
            .iter()
            .zip(values)
            .map(|(&id, met)| Condition {
                id,
                met,
                confidence: Confidence::High,
                detail: String::new(),
                sources: vec![],
                evidence: None,
            })
            .collect()
    }

    const T: Tri = Some(true);
    const F: Tri = Some(false);
    const U: Tri = None;

    #[test]
    fn all_requires_met_and_nothing_prevents_means_will_appear() {
        assert_eq!(decide(&conditions([T, T, T, T, T, T, F, F])).0, Verdict::WillAppear);
    }

    #[test]
    fn one_unmet_require_decides_even_with_unknowns() {
        let (v, deciding) = decide(&conditions([T, F, U, U, U, T, U, U]));
        assert_eq!(v, Verdict::WillNotAppear);
        assert_eq!(deciding, [ConditionId::Apfs]);
    }

    #[test]
    fn bootstrap_token_decides_whatever_the_requires() {
        let (v, deciding) = decide(&conditions([T, T, U, T, T, T, U, T]));
        assert_eq!(v, Verdict::WillNotAppear);
        assert_eq!(deciding, [ConditionId::BootstrapToken]);
    }

    #[test]
    fn bypass_key_suppresses_or_leaves_it_unknown() {
        assert_eq!(decide(&conditions([T, T, T, T, T, T, T, F])).0, Verdict::Suppressed);
        let (v, deciding) = decide(&conditions([T, T, T, T, T, T, U, F]));
        assert_eq!((v, deciding), (Verdict::Unknown, vec![ConditionId::BypassKey]));
    }

    #[test]
    fn unknown_names_the_conditions_that_could_change_it() {
        let (v, deciding) = decide(&conditions([T, T, U, U, T, T, F, F]));
        assert_eq!(v, Verdict::Unknown);
        assert_eq!(deciding, [ConditionId::DirectoryBound, ConditionId::MobileAccounts]);
        let (v, deciding) = decide(&conditions([T, T, T, T, T, T, F, U]));
        assert_eq!((v, deciding), (Verdict::Unknown, vec![ConditionId::BootstrapToken]));
    }

    #[test]
    fn confidence_is_the_weakest_deciding_condition() {
        let mut cs = conditions([T, T, T, T, T, T, F, F]);
        cs[4].confidence = Confidence::Medium;
        let (v, deciding) = decide(&cs);
        assert_eq!(confidence(v, &deciding, &cs), Confidence::Medium);
        // A low-confidence condition that did not decide does not weaken it.
        let mut cs = conditions([T, F, T, T, T, T, F, F]);
        cs[4].confidence = Confidence::Low;
        let (v, deciding) = decide(&cs);
        assert_eq!(confidence(v, &deciding, &cs), Confidence::High);
    }

    /// Two conditions that each rule the dialog out: the surer one says it.
    #[test]
    fn will_not_appear_is_as_sure_as_its_surest_reason() {
        let mut cs = conditions([T, F, T, T, F, T, F, F]);
        cs[4].confidence = Confidence::Medium;
        let (v, deciding) = decide(&cs);
        assert_eq!(deciding, [ConditionId::Apfs, ConditionId::SecuretokenAdmin]);
        assert_eq!(confidence(v, &deciding, &cs), Confidence::High);
        // Only the weak reason: the verdict is no surer than it.
        let mut cs = conditions([T, T, T, T, F, T, F, F]);
        cs[4].confidence = Confidence::Medium;
        let (v, deciding) = decide(&cs);
        assert_eq!(confidence(v, &deciding, &cs), Confidence::Medium);
    }
}
