//! Defence in depth against password data. The argv never ask for it, but
//! should a source's output still hold a `ShadowHashData` attribute (a
//! password hash), it is removed here, before anything is parsed, shown or
//! written to a bundle.

use plist::Value;

use super::Output;
use crate::probes::plist_value;

const NEEDLE: &[u8] = b"ShadowHashData";

/// Removes password data from stdout and stderr; true when anything was removed.
pub fn output(out: &mut Output) -> bool {
    let a = bytes(&mut out.stdout);
    let b = bytes(&mut out.stderr);
    a || b
}

fn bytes(data: &mut Vec<u8>) -> bool {
    if !contains(data, NEEDLE) {
        return false;
    }
    *data = if plist_value::looks_like_plist(data) {
        // The same bounded reader the probes use: password data is no way
        // around the depth and size limits.
        match plist_value::parse(data) {
            Ok(mut value) => {
                strip(&mut value);
                let mut clean = Vec::new();
                // Written back as XML, the form the live prober asks for.
                match value.to_writer_xml(&mut clean) {
                    Ok(()) if !contains(&clean, NEEDLE) => clean,
                    _ => Vec::new(),
                }
            }
            // A plist that cannot be parsed cannot be cleaned safely: withhold it.
            Err(_) => Vec::new(),
        }
    } else {
        text(data)
    };
    true
}

/// Drops every dict entry whose key names ShadowHashData, at any depth.
fn strip(value: &mut Value) {
    match value {
        Value::Dictionary(dict) => {
            let doomed: Vec<String> = dict.keys().filter(|k| k.contains("ShadowHashData")).cloned().collect();
            for key in doomed {
                dict.remove(&key);
            }
            for (_, v) in dict.iter_mut() {
                strip(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

/// `dscl . -read` text: the attribute line and its indented continuation
/// lines (the hex dump) go.
fn text(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut skipping = false;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if contains(line, NEEDLE) {
            skipping = true;
            continue;
        }
        if skipping && line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            continue;
        }
        skipping = false;
        out.extend_from_slice(line);
    }
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plist_attribute_is_removed_and_the_rest_kept() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><array><dict>
<key>dsAttrTypeStandard:RecordName</key><array><string>ladmin</string></array>
<key>dsAttrTypeNative:ShadowHashData</key><array><string>62706c69 73743030</string></array>
</dict></array></plist>"#;
        let mut out = Output { stdout: xml.to_vec(), ..Output::default() };
        assert!(output(&mut out));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains("ShadowHash") && !text.contains("62706c69"), "{text}");
        assert!(text.contains("ladmin"));
    }

    #[test]
    fn text_attribute_and_its_hex_lines_are_removed() {
        let mut data = b"RecordName: ladmin\ndsAttrTypeNative:ShadowHashData:\n 62706c69 73743030 d1010203\n 04050607\nUniqueID: 501\n".to_vec();
        assert!(bytes(&mut data));
        assert_eq!(data, b"RecordName: ladmin\nUniqueID: 501\n");
    }

    #[test]
    fn a_broken_plist_with_password_data_is_withheld() {
        let mut data =
            b"<plist><array><dict><key>dsAttrTypeNative:ShadowHashData</key><array><string>6270".to_vec();
        assert!(bytes(&mut data));
        assert!(data.is_empty());
    }

    #[test]
    fn clean_output_is_untouched() {
        let mut out = Output { stdout: b"FileVault is On.\n".to_vec(), ..Output::default() };
        assert!(!output(&mut out));
        assert_eq!(out.stdout, b"FileVault is On.\n");
    }
}
