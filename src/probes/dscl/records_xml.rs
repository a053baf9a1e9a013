//! A fast reader for the one XML shape `dscl -plist . -readall` prints: an
//! array of dictionaries whose values are arrays of strings.
//!
//! The general plist reader (quick-xml, then serde, then a `Value` per
//! record) spent some 130 ms on 20,000 records (19 MB); this reads them in
//! about 20 ms. It is a fast path, not a second parser to trust: it accepts
//! only that shape, written as CFPropertyList writes it, and declines
//! (returns `None`) anything else, so that the general reader decides:
//! binary plists, comments, CDATA, processing instructions, another
//! prologue, other value types, unknown entities, carriage returns and
//! control characters in text, the general reader's limits reached, or a
//! record that would not convert. When it accepts, it gives the records the
//! general reader gives: a unit property test and the `dscl_users` fuzz
//! target compare the two.
//!
//! No sample of `dscl -plist` output was found; the prologue accepted is the
//! one CFPropertyList writes, byte for byte as in the real `diskutil -plist`
//! samples, and the body is CFPropertyList's (whitespace between elements is
//! not significant, so indentation does not matter).

use std::borrow::Cow;

use crate::probes::plist_value::{MAX_CONTENT_BYTES, MAX_VALUES};

/// A record being built attribute by attribute (by either reader).
pub(super) trait Record: Default {
    /// Whether the record keeps this attribute; others are read and dropped.
    fn wants(key: &str) -> bool;
    /// The attribute's strings; a later value of the same key replaces it,
    /// as a dictionary insert does.
    fn set(&mut self, key: &str, values: Vec<String>);
}

/// The records of `xml`, or `None` when the general reader must decide.
pub(super) fn read<R: Record>(xml: &[u8], max_records: usize) -> Option<Vec<R>> {
    let mut r = Reader { s: std::str::from_utf8(xml).ok()?, pos: 0, values: 0, bytes: 0 };
    r.prologue()?;
    r.skip_ws();
    let mut records = Vec::new();
    // CFPropertyList writes an empty array or dictionary as `<array/>`.
    if !r.open("<array/>") {
        r.open("<array>").then_some(())?;
        loop {
            r.skip_ws();
            if r.eat("</array>") {
                break;
            }
            if records.len() == max_records {
                return None;
            }
            if r.open("<dict/>") {
                records.push(R::default());
            } else {
                r.open("<dict>").then_some(())?;
                records.push(r.record()?);
            }
        }
    }
    r.count_ok()?;
    r.skip_ws();
    r.eat("</plist>").then_some(())?;
    r.skip_ws();
    (r.pos == r.s.len()).then_some(records)
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
    /// What the general reader's budget would have counted so far: every
    /// array, dictionary, key and string is a value; keys and strings add
    /// their length in bytes.
    values: usize,
    bytes: usize,
}

impl<'a> Reader<'a> {
    fn rest(&self) -> &'a [u8] {
        &self.s.as_bytes()[self.pos..]
    }

    fn eat(&mut self, literal: &str) -> bool {
        let found = self.rest().starts_with(literal.as_bytes());
        if found {
            self.pos += literal.len();
        }
        found
    }

    fn skip_ws(&mut self) {
        let n = self.rest().iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
        self.pos += n;
    }

    /// `tag`, counted as one value (an array or a dictionary) when present.
    fn open(&mut self, tag: &str) -> bool {
        let found = self.eat(tag);
        if found {
            self.values += 1;
        }
        found
    }

    fn count(&mut self, bytes: usize) -> Option<()> {
        self.values += 1;
        self.bytes = self.bytes.saturating_add(bytes);
        self.count_ok()
    }

    /// Within the general reader's limits, which it must be left to report.
    fn count_ok(&self) -> Option<()> {
        (self.values <= MAX_VALUES && self.bytes <= MAX_CONTENT_BYTES).then_some(())
    }

    /// The XML declaration and DOCTYPE that CFPropertyList writes, each
    /// optional and exactly so, and the `<plist>` element.
    fn prologue(&mut self) -> Option<()> {
        self.eat("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        self.skip_ws();
        self.eat(concat!(
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" ",
            "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">"
        ));
        self.skip_ws();
        (self.eat("<plist version=\"1.0\">") || self.eat("<plist>")).then_some(())
    }

    /// The rest of a record after its `<dict>`, through `</dict>`.
    fn record<R: Record>(&mut self) -> Option<R> {
        let mut record = R::default();
        loop {
            self.skip_ws();
            if self.eat("</dict>") {
                return Some(record);
            }
            let key = self.element("<key>", "</key>")?;
            let wanted = R::wants(&key);
            self.skip_ws();
            if self.open("<array/>") {
                if wanted {
                    record.set(&key, Vec::new());
                }
            } else if self.open("<array>") {
                let mut values = Vec::new();
                loop {
                    self.skip_ws();
                    if self.eat("</array>") {
                        break;
                    }
                    let value = self.element("<string>", "</string>")?;
                    if wanted {
                        values.push(value.into_owned());
                    }
                }
                if wanted {
                    record.set(&key, values);
                }
            } else {
                // dscl always prints an array; a lone string is read as one.
                let value = self.element("<string>", "</string>")?;
                if wanted {
                    record.set(&key, vec![value.into_owned()]);
                }
            }
        }
    }

    /// `<open>text</close>`, counted as one value with its length.
    fn element(&mut self, open: &str, close: &str) -> Option<Cow<'a, str>> {
        self.eat(open).then_some(())?;
        let text = self.text()?;
        self.eat(close).then_some(())?;
        self.count(text.len())?;
        Some(text)
    }

    /// Character data up to the next `<`, its references resolved.
    fn text(&mut self) -> Option<Cow<'a, str>> {
        let len = memchr::memchr(b'<', self.rest())?;
        let raw = &self.s[self.pos..self.pos + len];
        self.pos += len;
        let mut has_ref = false;
        for &b in raw.as_bytes() {
            match b {
                b'&' => has_ref = true,
                b'\t' | b'\n' => {}
                // XML reads "\r\n" as "\n"; whether a reader does is its own
                // business: the general reader decides.
                0..0x20 | 0x7f => return None,
                _ => {}
            }
        }
        if has_ref { unescape(raw).map(Cow::Owned) } else { Some(Cow::Borrowed(raw)) }
    }
}

/// Resolves `&lt;` and the other four predefined entities and numeric
/// character references; anything else (which the general reader would drop
/// or refuse) declines.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut parts = raw.split('&');
    out.push_str(parts.next()?);
    for part in parts {
        let (name, after) = part.split_once(';')?;
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let number = name.strip_prefix('#')?;
                let (digits, radix) = match number.strip_prefix('x') {
                    Some(hex) => (hex, 16),
                    None => (number, 10),
                };
                if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
                    return None;
                }
                let code = u32::from_str_radix(digits, radix).ok()?;
                if code == 0 {
                    return None;
                }
                char::from_u32(code)?
            }
        };
        out.push(c);
        out.push_str(after);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every attribute, as `(key, values)`, in the order read.
    #[derive(Debug, Default, PartialEq)]
    struct AllAttributes(Vec<(String, Vec<String>)>);

    impl Record for AllAttributes {
        fn wants(_: &str) -> bool {
            true
        }
        fn set(&mut self, key: &str, values: Vec<String>) {
            self.0.push((key.to_string(), values));
        }
    }

    fn read_all(xml: &str) -> Option<Vec<AllAttributes>> {
        read(xml.as_bytes(), 10)
    }

    const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">\n";

    #[test]
    fn reads_the_shape_dscl_prints() {
        let xml = format!(
            "{HEAD}<array>\n\t<dict>\n\t\t<key>dsAttrTypeStandard:RecordName</key>\n\t\t<array>\n\t\t\t<string>ladmin</string>\n\t\t\t<string>Local &amp; Admin &#x263A;&#65;</string>\n\t\t</array>\n\t\t<key>k</key>\n\t\t<string></string>\n\t</dict>\n\t<dict>\n\t</dict>\n</array>\n</plist>\n"
        );
        let records = read_all(&xml).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(
            records[0].0,
            [
                (
                    "dsAttrTypeStandard:RecordName".to_string(),
                    vec!["ladmin".into(), "Local & Admin ☺A".into()]
                ),
                ("k".to_string(), vec![String::new()]),
            ]
        );
        assert!(records[1].0.is_empty());
    }

    /// The prologue as a real `diskutil info -plist` prints it.
    #[test]
    fn reads_the_prologue_cfpropertylist_writes() {
        let sample =
            crate::probes::test_support::sample("diskutil-info-plist__hfsplus-external-usb-hdd.plist");
        let sample = String::from_utf8(sample).unwrap();
        let open = "<plist version=\"1.0\">";
        let prologue = &sample[..sample.find(open).unwrap() + open.len()];
        let xml = format!("{prologue}\n<array>\n\t<dict>\n\t</dict>\n</array>\n</plist>\n");
        assert_eq!(read_all(&xml).map(|r| r.len()), Some(1));
    }

    #[test]
    fn declines_what_it_does_not_know() {
        let wrap = |body: &str| format!("{HEAD}<array><dict>{body}</dict></array></plist>");
        for body in [
            "<key>k</key><integer>1</integer>",
            "<key>k</key><array><string>a</string><integer>1</integer></array>",
            "<key>k</key><array><array></array></array>",
            "<!-- note --><key>k</key><string>a</string>",
            "<key>k</key><string><![CDATA[a]]></string>",
            "<key>k</key><string>a&nbsp;b</string>",
            "<key>k</key><string>a&#0;b</string>",
            "<key>k</key><string>a&#xD800;b</string>",
            "<key>k</key><string>a&#x;b</string>",
            "<key>k</key><string>a&#+1;b</string>",
            "<key>k</key><string>a&amp b</string>",
            "<key>k</key><string>a\r\nb</string>",
            "<key>k</key><string>a\u{1b}[31mb</string>",
            "<key>k</key><string/>",
            "<key>k</key>",
            "<key>k</key><string>a</strin>",
            "text<key>k</key><string>a</string>",
        ] {
            assert!(read_all(&wrap(body)).is_none(), "accepted {body:?}");
        }
        for doc in [
            " <?xml version=\"1.0\" encoding=\"UTF-8\"?><plist><array></array></plist>",
            "<?xml version=\"1.0\"?><plist><array></array></plist>",
            "<!DOCTYPE plist [<!ENTITY x \"y\">]><plist><array></array></plist>",
            // Found by the property test: the general reader refuses this
            // DOCTYPE, which a scan to its `>` had accepted.
            "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//E& \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\"><plist version=\"1.0\"><array/></plist>",
            "<plist version=\"1.0\"><array></array></plist>trailing",
            "<plist version=\"1.0\"><array></array>",
            "<plist version=\"1.0\"><dict></dict></plist>",
            "<array></array>",
            "bplist00",
        ] {
            assert!(read_all(doc).is_none(), "accepted {doc:?}");
        }
        assert!(
            read(b"<plist>\xff<array></array></plist>", 10).map(|v: Vec<AllAttributes>| v.len()).is_none()
        );
    }

    #[test]
    fn declines_past_the_record_limit() {
        let doc = |n: usize| format!("<plist><array>{}</array></plist>", "<dict></dict>".repeat(n));
        assert_eq!(read_all(&doc(10)).map(|r| r.len()), Some(10));
        assert!(read_all(&doc(11)).is_none());
    }
}
