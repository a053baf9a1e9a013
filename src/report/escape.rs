//! Text from the Mac reaches the terminal only through here: control
//! characters, bidirectional overrides, line separators and invisible
//! characters are shown as `\u{..}` escapes, so an account name cannot move
//! the cursor, recolour the screen, reorder what the technician reads, or
//! pass for another name ("lad\u{200b}min" is not "ladmin"). The JSON keeps
//! the exact text (serde escapes it).

/// Longer text is cut for the table (the JSON keeps it whole): the table's
/// word wrapping is quadratic in the length of a word.
pub const TABLE_TEXT_LIMIT: usize = 4096;

pub fn for_terminal(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(TABLE_TEXT_LIMIT + 64));
    for (i, c) in text.chars().enumerate() {
        if i == TABLE_TEXT_LIMIT {
            let more = text.chars().count() - i;
            out.push_str(&format!("…({more} more characters; see --format json)"));
            break;
        }
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
        || matches!(
            c,
            // bidirectional marks, embeddings, overrides and isolates
            '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
            // line and paragraph separators
            | '\u{2028}' | '\u{2029}'
            // invisible characters (not the zero-width joiners U+200C and
            // U+200D: Persian names and emoji need them)
            | '\u{200b}' | '\u{2060}'..='\u{2064}' | '\u{206a}'..='\u{206f}' | '\u{feff}' | '\u{00ad}'
            // interlinear annotations and tag characters
            | '\u{fff9}'..='\u{fffb}' | '\u{e0000}'..='\u{e007f}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_and_bidi_are_escaped() {
        assert_eq!(for_terminal("ad\x1b[31mmin"), "ad\\u{1b}[31mmin");
        assert_eq!(for_terminal("a\u{202e}b\tc\u{85}"), "a\\u{202e}b\\u{9}c\\u{85}");
        assert_eq!(for_terminal("José Müller"), "José Müller");
        assert_eq!(for_terminal("lad\u{200b}min\u{2028}x\u{feff}"), "lad\\u{200b}min\\u{2028}x\\u{feff}");
    }

    #[test]
    fn very_long_text_is_cut_for_the_table() {
        let long = "é".repeat(TABLE_TEXT_LIMIT + 10);
        let shown = for_terminal(&long);
        assert!(shown.starts_with(&"é".repeat(TABLE_TEXT_LIMIT)));
        assert!(shown.ends_with("…(10 more characters; see --format json)"));
    }
}
