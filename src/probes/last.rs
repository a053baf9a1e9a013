//! `last`: login history. A `console` line is a login at the login window,
//! which before macOS 11 is how a local admin got its first SecureToken.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{Exits, ParseError, Spec, utf8};
use crate::host::Output;
use crate::source::SourceId;

pub const SPEC: Spec<LoginHistory> =
    Spec { source: SourceId::Last, exits: Exits::Zero, parse, when_absent: None };

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LoginHistory {
    /// Console logins per account name.
    pub console: BTreeMap<String, ConsoleLogins>,
    /// The `wtmp begins ...` trailer: how far back the history goes.
    pub since: Option<String>,
    /// False when the output was cut at the capture limit: `last` lists the
    /// newest first, so the oldest logins are the ones missing.
    pub complete: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConsoleLogins {
    pub count: u64,
    /// The newest login's date as `last` prints it (`last` lists newest first).
    pub latest: String,
}

impl LoginHistory {
    pub fn console_logins(&self, name: &str) -> u64 {
        self.console.get(name).map_or(0, |c| c.count)
    }
}

/// More accounts with console logins than this is not a Mac's history but
/// an attack on memory (60 MB of distinct names would be 700 MB of map).
const MAX_CONSOLE_ACCOUNTS: usize = 200_000;

/// `name  tty  date...` lines; names may be wide enough to shift the columns,
/// so fields are split on whitespace rather than read at fixed offsets.
pub fn parse(out: &Output) -> Result<LoginHistory, ParseError> {
    let text = utf8(&out.stdout)?;
    let mut history = LoginHistory { complete: !out.truncated, ..LoginHistory::default() };
    // Counted in a hash map (a lookup per console line), sorted once at the
    // end. Its keys are copies, not slices of `text`: comparing a key that
    // points anywhere into 36 MB of history was a cache miss per lookup.
    // The default hasher stays: the names come from the Mac, and a fixed
    // hash would let crafted names make every lookup collide.
    let mut console: HashMap<Box<str>, ConsoleLogins> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(since) = line.strip_prefix("wtmp begins") {
            history.since = Some(since.trim().to_string());
            continue;
        }
        let mut fields = fields(line);
        let (Some(name), Some(tty), Some(_date)) = (fields.next(), fields.next(), fields.next()) else {
            return Err(ParseError::at(n + 1, "expected `name tty date` columns"));
        };
        if tty == "console" {
            // Most lines repeat a name already seen: no allocation for those.
            if let Some(entry) = console.get_mut(name) {
                entry.count += 1;
                continue;
            }
            if console.len() == MAX_CONSOLE_ACCOUNTS {
                let why = format!("more than {MAX_CONSOLE_ACCOUNTS} accounts with console logins");
                return Err(ParseError::at(n + 1, why));
            }
            let date = self::fields(line).skip(2).take(4).collect::<Vec<_>>().join(" ");
            console.insert(name.into(), ConsoleLogins { count: 1, latest: cut(date, 40) });
        }
    }
    history.console = console.into_iter().map(|(name, logins)| (name.into_string(), logins)).collect();
    Ok(history)
}

/// The fields of `line` exactly as `str::split_whitespace` splits them, but
/// a byte at a time when the line is ASCII, as `last` prints it: decoding
/// characters made `split_whitespace` most of the time of a 500,000-line
/// history (the tty column is padded with some 20 spaces).
fn fields(line: &str) -> Fields<'_> {
    if line.is_ascii() { Fields::Ascii(line) } else { Fields::Unicode(line.split_whitespace()) }
}

/// The ASCII characters `char::is_whitespace` accepts, as a table.
static SPACE: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 6 {
        table[[b' ', b'\t', b'\n', 0x0b, 0x0c, b'\r'][i] as usize] = true;
        i += 1;
    }
    table
};

enum Fields<'a> {
    /// The rest of an ASCII line.
    Ascii(&'a str),
    Unicode(std::str::SplitWhitespace<'a>),
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        match self {
            Fields::Unicode(split) => split.next(),
            Fields::Ascii(rest) => {
                let bytes = rest.as_bytes();
                let start = bytes.iter().position(|&b| !SPACE[b as usize])?;
                let end =
                    bytes[start..].iter().position(|&b| SPACE[b as usize]).map_or(bytes.len(), |n| start + n);
                let field = &rest[start..end];
                *rest = &rest[end..];
                Some(field)
            }
        }
    }
}

/// `text` cut to at most `max` bytes, at a character boundary (a byte
/// offset inside a UTF-8 sequence would panic `String::truncate`).
fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let end = (0..=max).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    /// Output cut at the capture limit lacks the oldest logins.
    #[test]
    fn a_cut_history_says_it_is_incomplete() {
        let line = b"ladmin console Mon Mar  9 08:55\n";
        assert!(parse(&out(line)).unwrap().complete);
        let cut = Output { stdout: line.to_vec(), truncated: true, ..Output::default() };
        assert!(!parse(&cut).unwrap().complete);
    }

    #[test]
    fn real_line_variants() {
        let h = parse(&out(&sample("last__macos-line-variants-px-tests.txt"))).unwrap();
        // Only the wide `_mbsetupuser` line is a console login; johan used ttys.
        assert_eq!(h.console_logins("_mbsetupuser"), 1);
        assert_eq!(h.console["_mbsetupuser"].latest, "Mon Jan 18 20:31");
        assert_eq!(h.console_logins("johan"), 0);
        assert_eq!(h.console_logins("reboot"), 0);
        assert_eq!(h.since.as_deref(), Some("Thu Oct  1 22:54"));
    }

    #[test]
    fn counts_console_logins_newest_first() {
        let text = b"ladmin    console                   Tue Jun  5 08:01   still logged in\n\
ladmin    console                   Mon Jun  4 09:12 - 17:30  (08:18)\n\n\
wtmp begins Fri Jun  1 10:00 \n";
        let h = parse(&out(text)).unwrap();
        assert_eq!(h.console_logins("ladmin"), 2);
        assert_eq!(h.console["ladmin"].latest, "Tue Jun 5 08:01");
    }

    /// Fuzz crash (tests/regressions/last/): a date longer than 40 bytes with
    /// a multi-byte character across byte 40 panicked `String::truncate`.
    #[test]
    fn long_non_ascii_date_is_cut_at_a_char_boundary() {
        let line = format!("ladmin console {}é rest\n", "x".repeat(39));
        let h = parse(&out(line.as_bytes())).unwrap();
        assert_eq!(h.console["ladmin"].latest, "x".repeat(39));
        assert_eq!(cut("ééé".into(), 3), "é");
    }

    #[test]
    fn fields_split_like_split_whitespace() {
        for line in [
            "",
            "   ",
            "a",
            " ladmin    console                   Mon Mar  9 08:55 - 17:31  (08:36) ",
            "a\tb\x0bc\x0cd\re\nf",
            "a\x1fb \x00c",
            "jos\u{e9}\u{a0}x\u{3000}y console  z",
            "\u{85}a b\u{2028}",
        ] {
            assert_eq!(
                fields(line).collect::<Vec<_>>(),
                line.split_whitespace().collect::<Vec<_>>(),
                "{line:?}"
            );
        }
        for c in '\0'..='\u{7f}' {
            let line = format!("a{c}b {c} c");
            assert_eq!(
                fields(&line).collect::<Vec<_>>(),
                line.split_whitespace().collect::<Vec<_>>(),
                "{c:?}"
            );
        }
    }

    /// Found writing tests/hostile.rs: distinct console names are kept in a
    /// map, so 60 MB of them would have taken some 700 MB.
    #[test]
    fn more_console_accounts_than_a_mac_has_is_refused() {
        let lines: String = (0..=MAX_CONSOLE_ACCOUNTS).map(|i| format!("u{i} console x\n")).collect();
        let err = parse(&out(lines.as_bytes())).unwrap_err();
        assert_eq!(
            err,
            ParseError::at(MAX_CONSOLE_ACCOUNTS + 1, "more than 200000 accounts with console logins")
        );
        // The same names over and over are just many logins.
        let repeated = "ladmin console Mon Mar 9 08:55\n".repeat(MAX_CONSOLE_ACCOUNTS + 1);
        assert_eq!(parse(&out(repeated.as_bytes())).unwrap().console_logins("ladmin"), 200_001);
    }

    #[test]
    fn garbage_is_unparseable() {
        assert!(parse(&out(b"\xc3\x28 broken")).is_err());
        assert!(parse(&out(b"justoneword\n")).is_err());
    }
}
