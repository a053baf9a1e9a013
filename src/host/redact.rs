//! Defence in depth against password data. The argv never ask for it, but
//! should a source's output still hold a `ShadowHashData` attribute (a
//! password hash), it is removed here, before anything is parsed, shown or
//! written to a bundle.

use plist::Value;

use super::Output;
use crate::probes::plist_value;

const NEEDLE: &[u8] = b"ShadowHashData";
/// The same name in UTF-16, as a binary plist may store a string.
const NEEDLE_UTF16BE: &[u8] = b"\0S\0h\0a\0d\0o\0w\0H\0a\0s\0h\0D\0a\0t\0a";

/// Removes password data from stdout and stderr; true when anything was removed.
pub fn output(out: &mut Output) -> bool {
    let a = bytes(&mut out.stdout);
    let b = bytes(&mut out.stderr);
    a || b
}

fn bytes(data: &mut Vec<u8>) -> bool {
    // Stored as UTF-16 (a binary plist may), the name is still the name.
    let plain = contains(data, NEEDLE) || contains(data, NEEDLE_UTF16BE);
    let plist = plist_value::looks_like_plist(data);
    // In XML the name can hide from a byte search: spelled with character
    // references (`Shadow&#72;ashData`), split by a comment, or in CDATA.
    // Such a plist is read to look at its keys; dscl writes none of these.
    let disguised = plist && [&b"&#"[..], b"<!--", b"<![CDATA["].iter().any(|hint| contains(data, hint));
    if !plain && !disguised {
        return false;
    }
    if !plist {
        *data = text(data);
        return true;
    }
    // The same bounded reader the probes use: password data is no way
    // around the depth and size limits.
    match plist_value::parse(data) {
        Ok(mut value) => {
            let dropped = strip(&mut value);
            if !dropped && !plain {
                return false;
            }
            let mut clean = Vec::new();
            // Written back as XML, the form the live prober asks for. The name
            // in the bytes but in no key read (hidden in CDATA, say): what it
            // guards cannot be told apart, so nothing is kept.
            *data = match value.to_writer_xml(&mut clean) {
                Ok(()) if dropped && !contains(&clean, NEEDLE) => clean,
                _ => Vec::new(),
            };
        }
        // A plist that cannot be parsed cannot be cleaned safely: withhold it.
        Err(_) if plain => *data = Vec::new(),
        // Nothing says it holds password data; the probe will report it unparseable.
        Err(_) => return false,
    }
    true
}

/// Drops every dict entry whose key names ShadowHashData, at any depth;
/// true when one was dropped.
fn strip(value: &mut Value) -> bool {
    match value {
        Value::Dictionary(dict) => {
            let doomed: Vec<String> = dict.keys().filter(|k| k.contains("ShadowHashData")).cloned().collect();
            let mut dropped = !doomed.is_empty();
            for key in doomed {
                dict.remove(&key);
            }
            for (_, v) in dict.iter_mut() {
                dropped |= strip(v);
            }
            dropped
        }
        Value::Array(items) => items.iter_mut().fold(false, |dropped, v| strip(v) | dropped),
        _ => false,
    }
}

/// `dscl . -read` text: the attribute line and its indented continuation
/// lines (the hex dump) go.
fn text(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut skipping = false;
    for line in data.split_inclusive(|&b| b == b'\n') {
        if contains(line, NEEDLE) || contains(line, NEEDLE_UTF16BE) {
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

    /// A key spelled with character references, or stored as UTF-16 in a
    /// binary plist, is the same key once read: it goes too.
    #[test]
    fn a_disguised_attribute_name_is_removed_too() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><array><dict>
<key>dsAttrTypeStandard:RecordName</key><array><string>ladmin</string></array>
<key>dsAttrTypeNative:Shadow&#72;ashData</key><array><string>62706c69 73743030</string></array>
</dict></array></plist>"#;
        let mut data = xml.to_vec();
        assert!(bytes(&mut data));
        let text = String::from_utf8(data).unwrap();
        assert!(!text.contains("62706c69") && text.contains("ladmin"), "{text}");

        let mut record = plist::Dictionary::new();
        record.insert("dsAttrTypeNative:ShadowHashData\u{e9}".into(), Value::String("62706c69".into()));
        let mut binary = Vec::new();
        Value::Array(vec![Value::Dictionary(record)]).to_writer_binary(&mut binary).unwrap();
        assert!(contains(&binary, NEEDLE_UTF16BE), "a non-ASCII key is stored as UTF-16");
        assert!(bytes(&mut binary));
        assert!(!String::from_utf8_lossy(&binary).contains("62706c69"));
    }

    /// A comment can split the name in XML; CDATA can wrap it where the
    /// reader does not see it (the whole output is then withheld); a binary
    /// plist with the UTF-16 name that cannot be read is withheld like any other.
    #[test]
    fn comments_cdata_and_broken_utf16_plists_do_not_hide_the_name() {
        for key in ["Shadow<!-- x -->HashData", "<![CDATA[dsAttrTypeNative:ShadowHashData]]>"] {
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><plist version=\"1.0\"><dict><key>{key}</key><string>62706c69</string><key>RecordName</key><string>ladmin</string></dict></plist>"
            );
            let mut data = xml.into_bytes();
            assert!(bytes(&mut data), "{key}");
            let text = String::from_utf8(data).unwrap();
            assert!(!text.contains("62706c69"), "{key}: {text}");
        }
        let mut record = plist::Dictionary::new();
        record.insert("ShadowHashData\u{e9}".into(), Value::String("62706c69".into()));
        let mut binary = Vec::new();
        Value::Dictionary(record).to_writer_binary(&mut binary).unwrap();
        binary.truncate(binary.len() - 8); // cut: the trailer is gone
        assert!(bytes(&mut binary));
        assert!(binary.is_empty());
    }

    /// Character references are legal anywhere in XML: without the name
    /// behind them, the plist is left as it is.
    #[test]
    fn character_references_alone_change_nothing() {
        let xml = b"<plist version=\"1.0\"><array><string>Jos&#233;</string></array></plist>".to_vec();
        let mut data = xml.clone();
        assert!(!bytes(&mut data));
        assert_eq!(data, xml);
    }

    #[test]
    fn clean_output_is_untouched() {
        let mut out = Output { stdout: b"FileVault is On.\n".to_vec(), ..Output::default() };
        assert!(!output(&mut out));
        assert_eq!(out.stdout, b"FileVault is On.\n");
    }
}
