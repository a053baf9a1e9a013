//! Three-valued (Kleene) logic: `Some(true)` met, `Some(false)` not met,
//! `None` unknown. A false operand decides an AND whatever the unknowns,
//! which is how a missing source that cannot change the verdict leaves it
//! known.

pub type Tri = Option<bool>;

pub fn and(values: impl IntoIterator<Item = Tri>) -> Tri {
    let mut all_known = true;
    for v in values {
        match v {
            Some(false) => return Some(false),
            None => all_known = false,
            Some(true) => {}
        }
    }
    all_known.then_some(true)
}

pub fn or(values: impl IntoIterator<Item = Tri>) -> Tri {
    let mut all_known = true;
    for v in values {
        match v {
            Some(true) => return Some(true),
            None => all_known = false,
            Some(false) => {}
        }
    }
    if all_known { Some(false) } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Tri; 3] = [Some(true), Some(false), None];

    #[test]
    fn kleene_truth_tables() {
        for a in ALL {
            for b in ALL {
                let expected_and = match (a, b) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                };
                let expected_or = match (a, b) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                };
                assert_eq!(and([a, b]), expected_and, "{a:?} AND {b:?}");
                assert_eq!(or([a, b]), expected_or, "{a:?} OR {b:?}");
            }
        }
        assert_eq!(and([]), Some(true));
        assert_eq!(or([]), Some(false));
    }
}
