//! The JSON rendering of the report.

use super::Report;

pub fn pretty(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("the report always serialises")
}

/// One line, for MDM extension attributes.
pub fn compact(report: &Report) -> String {
    serde_json::to_string(report).expect("the report always serialises")
}
