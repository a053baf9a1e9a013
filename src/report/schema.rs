//! The JSON Schema of the report (`docs/report.schema.json`), generated
//! from the report types so that it cannot drift from them; a test fails
//! when the committed file no longer matches.

use super::Document;

/// The schema as pretty JSON, ending with a newline.
pub fn json() -> String {
    let mut schema = schemars::schema_for!(Document);
    schema.insert("$id".into(), "https://st-preflight.invalid/report.schema.json".into());
    schema.insert("title".into(), "st-preflight report (schema_version 1)".into());
    serde_json::to_string_pretty(&schema).expect("the schema always serialises") + "\n"
}
