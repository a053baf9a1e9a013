//! The JSON Schema of the report (`docs/report.schema.json`), generated
//! from the report types so that it cannot drift from them; a test fails
//! when the committed file no longer matches.

use serde_json::Value;

use super::Document;

/// The schema as pretty JSON, ending with a newline.
pub fn json() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(Document)).expect("the schema is JSON");
    require_every_property(&mut schema);
    schema["$id"] = "https://st-preflight.invalid/report.schema.json".into();
    schema["title"] = "st-preflight report (schema_version 1)".into();
    serde_json::to_string_pretty(&schema).expect("the schema always serialises") + "\n"
}

/// The report writes every key, null or not, so that a script can tell "no
/// value" from "old version"; schemars leaves `Option` fields optional.
fn require_every_property(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get("properties") {
                let names: Vec<Value> = properties.keys().cloned().map(Value::String).collect();
                map.insert("required".into(), Value::Array(names));
            }
            map.values_mut().for_each(require_every_property);
        }
        Value::Array(items) => items.iter_mut().for_each(require_every_property),
        _ => {}
    }
}
