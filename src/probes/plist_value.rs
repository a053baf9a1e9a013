//! Reading property lists (XML or binary) from untrusted bytes, and the
//! small lookups the probes need on them.

use plist::{Dictionary, Value};

use super::ParseError;

/// Deeper than any plist a macOS command prints; deeper input is refused
/// before it reaches the parser, so nesting cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// Parses XML or binary plist bytes.
pub fn parse(bytes: &[u8]) -> Result<Value, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::whole("empty output where a property list was expected"));
    }
    if !bytes.starts_with(b"bplist") {
        check_xml_depth(bytes)?;
    }
    Value::from_reader(std::io::Cursor::new(bytes))
        .map_err(|e| ParseError::whole(format!("not a property list: {e}")))
}

/// Counts `<dict>`/`<array>` nesting without parsing; self-closing forms
/// (`<dict/>`) do not nest.
fn check_xml_depth(bytes: &[u8]) -> Result<(), ParseError> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'<' => {
                let rest = &bytes[i + 1..];
                if rest.starts_with(b"dict>") || rest.starts_with(b"array>") {
                    depth += 1;
                    if depth > MAX_DEPTH {
                        return Err(ParseError::at(
                            line,
                            format!("property list nested deeper than {MAX_DEPTH} levels"),
                        ));
                    }
                } else if rest.starts_with(b"/dict>") || rest.starts_with(b"/array>") {
                    depth = depth.saturating_sub(1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// A boolean in the forms preference files hold it: a real boolean, or what
/// `defaults write` without `-bool` leaves behind (an integer or a string),
/// which CFPreferences also reads as a boolean.
pub fn as_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Boolean(b) => Some(*b),
        Value::Integer(i) => i.as_signed().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The strings of a `dsAttrTypeStandard:<attr>` key: dscl prints every
/// attribute as an array of strings, but a lone string is accepted too.
pub fn strings(dict: &Dictionary, key: &str) -> Vec<String> {
    match dict.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_string().map(str::to_owned)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let mut xml = String::from("<plist><array>");
        for _ in 0..10_000 {
            xml.push_str("<array>");
        }
        let err = parse(xml.as_bytes()).unwrap_err();
        assert!(matches!(err, ParseError::Unparseable { .. }), "{err:?}");
    }

    #[test]
    fn defaults_write_strings_read_as_booleans() {
        assert_eq!(as_bool(&Value::String("true".into())), Some(true));
        assert_eq!(as_bool(&Value::String("NO".into())), Some(false));
        assert_eq!(as_bool(&Value::Integer(1.into())), Some(true));
        assert_eq!(as_bool(&Value::String("maybe".into())), None);
    }
}
