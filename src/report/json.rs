//! The JSON renderings of the report.

use serde::Serialize;

pub fn pretty(document: &impl Serialize) -> String {
    serde_json::to_string_pretty(document).expect("the report always serialises")
}

/// One line, for scripts.
pub fn compact(document: &impl Serialize) -> String {
    serde_json::to_string(document).expect("the report always serialises")
}

/// A Jamf extension attribute's value: exactly `<result>`, the compact
/// JSON, `</result>`, and nothing else. `</` inside the JSON (a name from the
/// Mac holding `</result>`) is written `<\/`, which is the same JSON and
/// cannot end the element early.
pub fn jamf(document: &impl Serialize) -> String {
    format!("<result>{}</result>", compact(document).replace("</", "<\\/"))
}
