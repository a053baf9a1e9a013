//! Text from the Mac reaches the terminal only through here: control
//! characters and bidirectional overrides are shown as `\u{..}` escapes, so
//! an account name cannot move the cursor, recolour the screen or reorder
//! what the technician reads. The JSON keeps the exact text (serde escapes it).

pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if needs_escape(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_and_bidi_are_escaped() {
        assert_eq!(for_terminal("ad\x1b[31mmin"), "ad\\u{1b}[31mmin");
        assert_eq!(for_terminal("a\u{202e}b\tc\u{85}"), "a\\u{202e}b\\u{9}c\\u{85}");
        assert_eq!(for_terminal("José Müller"), "José Müller");
    }
}
