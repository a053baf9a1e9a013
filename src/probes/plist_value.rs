//! Reading property lists (XML or binary) from untrusted bytes, and the
//! small lookups the probes need on them.

use std::cell::Cell;
use std::marker::PhantomData;

use plist::{Dictionary, Value};
use serde::de::{
    self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor,
};

use super::ParseError;

/// Deeper than any plist a macOS command prints; deeper input is refused
/// while it is read, so nesting cannot exhaust the stack.
const MAX_DEPTH: usize = 64;
/// At most this many values (keys included) in one plist. A binary plist
/// can reference one object many times, so a few kilobytes could otherwise
/// expand into billions of values; 20,000 dscl records are about 460,000.
pub(crate) const MAX_VALUES: usize = 1_000_000;
/// At most this many bytes of strings and data in one plist, for the same
/// reason (a 1 MB string referenced a thousand times).
pub(crate) const MAX_CONTENT_BYTES: usize = 64 * 1024 * 1024;

/// Parses XML, binary or ASCII plist bytes, within the limits above.
pub fn parse(bytes: &[u8]) -> Result<Value, ParseError> {
    from_bytes::<Bounded>(bytes).map(|b| b.0)
}

/// An element of a plist whose root is an array (`dscl -plist -readall`).
pub trait FromElement: Sized {
    /// The complaint when the root is something else.
    const NOT_AN_ARRAY: &'static str;
    /// More elements than this are refused (and named in the complaint).
    const MAX_ELEMENTS: usize;
    /// What the elements are, for that complaint: "records".
    const ELEMENTS: &'static str;
    fn from_element(index: usize, element: Value) -> Result<Self, ParseError>;
}

/// Parses a plist whose root is an array, converting each element as soon
/// as it is read, so that the document never exists as one `Value` tree
/// (20,000 dscl records are 80 MB as a tree). The first element that does
/// not convert is the error, as if the whole tree had been read first.
pub fn parse_array<T: FromElement>(bytes: &[u8]) -> Result<Vec<T>, ParseError> {
    from_bytes::<Streamed<T>>(bytes)?.0
}

fn from_bytes<T: de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::whole("empty output where a property list was expected"));
    }
    // Not `Value::from_reader`: its builder follows every reference of a
    // binary plist and drops nested values recursively, so depth and size
    // are bounded here, while the values are built, for all three encodings
    // (this replaced a scan of XML text for `<dict>`/`<array>`, which missed
    // `<array >`, ASCII plists and binary ones).
    REFUSED.with(|r| r.take());
    plist::from_bytes::<T>(bytes).map_err(|e| match REFUSED.with(|r| r.take()) {
        Some(limit) => ParseError::whole(limit),
        None if e.is_eof() => ParseError::whole("the property list ends before it is complete (cut off?)"),
        None => ParseError::whole(format!("not a property list ({e})")),
    })
}

thread_local! {
    /// Which limit stopped the last parse on this thread, for a plain message
    /// (the plist crate wraps errors from the visitor in its own `Serde(..)`).
    static REFUSED: Cell<Option<String>> = const { Cell::new(None) };
}

fn refuse<E: de::Error>(why: String) -> E {
    let err = E::custom(&why);
    REFUSED.with(|r| r.set(Some(why)));
    err
}

/// A `Value` read through [`Node`], which enforces the limits.
struct Bounded(Value);

impl<'de> de::Deserialize<'de> for Bounded {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let budget = Budget { values: Cell::new(0), bytes: Cell::new(0) };
        // The plist crate's marker for "building a Value": dates and UIDs then
        // arrive as themselves rather than as strings and integers.
        d.deserialize_newtype_struct("PLIST-VALUE", Node { depth: 0, budget: &budget }).map(Bounded)
    }
}

struct Budget {
    values: Cell<usize>,
    bytes: Cell<usize>,
}

struct Streamed<T>(Result<Vec<T>, ParseError>);

impl<'de, T: FromElement> de::Deserialize<'de> for Streamed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let budget = Budget { values: Cell::new(0), bytes: Cell::new(0) };
        let node = Node { depth: 0, budget: &budget };
        d.deserialize_newtype_struct("PLIST-VALUE", Elements { node, element: PhantomData::<T> })
            .map(Streamed)
    }
}

/// The root of a [`parse_array`] document: an array is read element by
/// element; anything else is read (within the limits) and refused.
struct Elements<'a, T> {
    node: Node<'a>,
    element: PhantomData<T>,
}

impl<T: FromElement> Elements<'_, T> {
    fn not_an_array(_: Value) -> Result<Vec<T>, ParseError> {
        Err(ParseError::whole(T::NOT_AN_ARRAY))
    }
}

impl<'de, T: FromElement> Visitor<'de> for Elements<'_, T> {
    type Value = Result<Vec<T>, ParseError>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a property list")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        self.node.budget.take(0)?;
        let child = Node { depth: 1, ..self.node };
        let (mut items, mut failed, mut index) = (Vec::new(), None, 0);
        while let Some(element) = seq.next_element_seed(child)? {
            if failed.is_none() && index == T::MAX_ELEMENTS {
                return Err(refuse(format!("more than {} {}", T::MAX_ELEMENTS, T::ELEMENTS)));
            }
            if failed.is_none() {
                match T::from_element(index, element) {
                    Ok(item) => items.push(item),
                    Err(e) => failed = Some(e),
                }
            }
            index += 1;
        }
        Ok(failed.map_or(Ok(items), Err))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.node.visit_map(map).map(Self::not_an_array)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        self.node.visit_bool(v).map(Self::not_an_array)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.node.visit_i64(v).map(Self::not_an_array)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.node.visit_u64(v).map(Self::not_an_array)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        self.node.visit_f64(v).map(Self::not_an_array)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        self.node.visit_str(v).map(Self::not_an_array)
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        self.node.visit_string(v).map(Self::not_an_array)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        self.node.visit_bytes(v).map(Self::not_an_array)
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        self.node.visit_byte_buf(v).map(Self::not_an_array)
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Self::Value, A::Error> {
        self.node.visit_enum(data).map(Self::not_an_array)
    }
}

impl Budget {
    fn take<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        let values = self.values.get() + 1;
        let bytes = self.bytes.get().saturating_add(bytes);
        if values > MAX_VALUES {
            return Err(refuse(format!("property list holds more than {MAX_VALUES} values")));
        }
        if bytes > MAX_CONTENT_BYTES {
            return Err(refuse(format!("property list holds more than {MAX_CONTENT_BYTES} bytes of text")));
        }
        self.values.set(values);
        self.bytes.set(bytes);
        Ok(())
    }
}

/// One value at `depth` (the number of enclosing arrays and dictionaries).
#[derive(Clone, Copy)]
struct Node<'a> {
    depth: usize,
    budget: &'a Budget,
}

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.depth > MAX_DEPTH {
            return Err(refuse(format!("property list nested deeper than {MAX_DEPTH} levels")));
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a property list value")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Boolean(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Integer(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Integer(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Real(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.visit_string(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.budget.take(v.len())?;
        Ok(Value::String(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        self.visit_byte_buf(v.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Value, E> {
        self.budget.take(v.len())?;
        Ok(Value::Data(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.budget.take(0)?;
        let child = Node { depth: self.depth + 1, ..self };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element_seed(child)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.budget.take(0)?;
        let child = Node { depth: self.depth + 1, ..self };
        let mut dict = Dictionary::new();
        while let Some(key) = map.next_key::<String>()? {
            self.budget.take(key.len())?;
            let value = map.next_value_seed(child)?;
            dict.insert(key, value);
        }
        Ok(Value::Dictionary(dict))
    }

    /// Dates and UIDs, as the plist crate presents them to a `Value`.
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        self.budget.take(0)?;
        let (name, variant) = data.variant::<String>()?;
        match name.as_str() {
            "PLIST-DATE" => Ok(Value::Date(variant.newtype_variant()?)),
            "PLIST-UID" => Ok(Value::Uid(variant.newtype_variant()?)),
            other => Err(de::Error::unknown_variant(other, &["PLIST-DATE", "PLIST-UID"])),
        }
    }
}

/// Whether bytes are a plist (XML or binary) rather than a command's text form.
pub fn looks_like_plist(bytes: &[u8]) -> bool {
    let start = bytes.trim_ascii_start();
    start.starts_with(b"<") || start.starts_with(b"bplist")
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

/// [`strings`] of a value already taken out of its dictionary.
pub fn into_strings(value: Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.into_iter().filter_map(Value::into_string).collect(),
        Value::String(s) => vec![s],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused() {
        let mut xml = String::from("<plist><array>");
        for _ in 0..10_000 {
            xml.push_str("<array>");
        }
        let err = parse(xml.as_bytes()).unwrap_err();
        assert!(matches!(err, ParseError::Unparseable { .. }), "{err:?}");
    }

    /// A binary plist from encoded objects whose references are 4 bytes.
    fn bplist(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut out = b"bplist00".to_vec();
        let mut offsets = Vec::new();
        for o in objects {
            offsets.push(out.len() as u32);
            out.extend_from_slice(o);
        }
        let table = out.len() as u64;
        offsets.iter().for_each(|o| out.extend_from_slice(&o.to_be_bytes()));
        out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 4, 4]);
        out.extend_from_slice(&(objects.len() as u64).to_be_bytes());
        out.extend_from_slice(&0u64.to_be_bytes());
        out.extend_from_slice(&table.to_be_bytes());
        out
    }

    fn array(refs: &[u32]) -> Vec<u8> {
        let mut o = vec![0xAF, 0x12];
        o.extend_from_slice(&(refs.len() as u32).to_be_bytes());
        refs.iter().for_each(|r| o.extend_from_slice(&r.to_be_bytes()));
        o
    }

    /// Found while writing tests/hostile.rs: a 100,000-deep binary plist
    /// (the XML depth scan skipped binary input) overflowed the stack when
    /// the nested `Value` was dropped, aborting the process.
    #[test]
    fn deep_binary_plist_is_refused() {
        let n = 100_000u32;
        let objects: Vec<_> = (0..n).map(|i| if i + 1 < n { array(&[i + 1]) } else { array(&[]) }).collect();
        let err = parse(&bplist(&objects)).unwrap_err();
        assert_eq!(err, ParseError::whole("property list nested deeper than 64 levels"));
    }

    /// Found with the above: 12 kB of binary plist whose arrays reference one
    /// another 1,000 times a level expanded to 10^9 values and exhausted memory.
    #[test]
    fn shared_references_cannot_expand_without_bound() {
        let objects = [array(&[1; 1000]), array(&[2; 1000]), array(&[3; 1000]), array(&[])];
        let err = parse(&bplist(&objects)).unwrap_err();
        assert_eq!(err, ParseError::whole(format!("property list holds more than {MAX_VALUES} values")));
    }

    /// `<array >` (a space before `>`) is an array too; the XML scan does not
    /// see it, the bounded reader does.
    #[test]
    fn deep_nesting_the_scan_misses_is_refused_too() {
        let xml = format!("<plist>{}{}</plist>", "<array >".repeat(10_000), "</array>".repeat(10_000));
        assert!(parse(xml.as_bytes()).is_err());
        let ascii = format!("{}{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(ascii.as_bytes()).is_err());
    }

    #[test]
    fn dates_uids_and_all_scalars_survive_the_bounded_reader() {
        let mut dict = Dictionary::new();
        dict.insert("d".into(), Value::Date(std::time::SystemTime::UNIX_EPOCH.into()));
        dict.insert("u".into(), Value::Uid(plist::Uid::new(7)));
        dict.insert("i".into(), Value::Integer((-3).into()));
        dict.insert("r".into(), Value::Real(1.5));
        dict.insert("b".into(), Value::Data(vec![0, 1, 2]));
        dict.insert("s".into(), Value::String("x".into()));
        dict.insert("a".into(), Value::Array(vec![true.into(), Value::Dictionary(Dictionary::new())]));
        let value = Value::Dictionary(dict);
        let mut binary = Vec::new();
        value.to_writer_binary(&mut binary).unwrap();
        assert_eq!(parse(&binary).unwrap(), value);
        let mut xml = Vec::new();
        let without_uid = {
            let mut d = value.as_dictionary().unwrap().clone();
            d.remove("u");
            Value::Dictionary(d)
        };
        without_uid.to_writer_xml(&mut xml).unwrap();
        assert_eq!(parse(&xml).unwrap(), without_uid);
    }

    #[test]
    fn defaults_write_strings_read_as_booleans() {
        assert_eq!(as_bool(&Value::String("true".into())), Some(true));
        assert_eq!(as_bool(&Value::String("NO".into())), Some(false));
        assert_eq!(as_bool(&Value::Integer(1.into())), Some(true));
        assert_eq!(as_bool(&Value::String("maybe".into())), None);
    }
}
