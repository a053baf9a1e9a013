//! `dscl`: the local account records and the members of the `admin` group.
//!
//! The `-plist` forms have no captured sample; they are built from dscl's
//! documented shape (each attribute a `dsAttrTypeStandard:<Attr>` key whose
//! value is an array of strings) and the real attribute values in the
//! samples. The text form of `-read /Groups/admin GroupMembership`, of which
//! real samples exist, is accepted too.

use serde::Serialize;

use super::{Exits, ParseError, Spec, plist_value, utf8};
use crate::host::Output;
use crate::source::SourceId;

mod records_xml;

pub const USERS_SPEC: Spec<Vec<LocalUser>> =
    Spec { source: SourceId::LocalUsers, exits: Exits::Zero, parse: parse_users, when_absent: None };

pub const ADMIN_SPEC: Spec<Vec<String>> =
    Spec { source: SourceId::AdminGroup, exits: Exits::Any, parse: parse_admin_group, when_absent: None };

const STD: &str = "dsAttrTypeStandard:";

/// More local records or admin members than this is not a Mac but an attack
/// on the report's memory (a record costs some 1 kB on the way to the JSON).
const MAX_RECORDS: usize = 100_000;

/// One record of the local directory node.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LocalUser {
    /// The short name (the first RecordName).
    pub name: String,
    /// The other RecordNames, which log in to the same account.
    pub aliases: Vec<String>,
    pub uid: Option<i64>,
    pub generated_uid: Option<String>,
    pub real_name: Option<String>,
    pub home: Option<String>,
    pub original_node: Option<String>,
    pub authentication_authority: Vec<String>,
}

impl LocalUser {
    /// A mobile account: a directory account cached on this Mac.
    pub fn is_mobile(&self) -> bool {
        self.authentication_authority.iter().any(|a| a.trim_start().starts_with(";LocalCachedUser;"))
    }

    /// The directory node a mobile account came from.
    pub fn directory_node(&self) -> Option<String> {
        self.original_node.clone().or_else(|| {
            self.authentication_authority.iter().find_map(|a| {
                let rest = a.trim_start().strip_prefix(";LocalCachedUser;")?;
                Some(rest.split(':').next()?.to_string())
            })
        })
    }

    /// The `;SecureToken;` marker: written when the account got a token, but
    /// not itself the token (scripts can write it too).
    pub fn has_token_marker(&self) -> bool {
        self.authentication_authority.iter().any(|a| a.split_whitespace().any(|v| v == ";SecureToken;"))
    }

    /// Whether `name` (as typed at the login window) names this record: its
    /// short name or an alias, in any case.
    pub fn answers_to(&self, name: &str) -> bool {
        std::iter::once(&self.name).chain(&self.aliases).any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Not a person: root and the `_` service accounts.
    pub fn is_system(&self) -> bool {
        self.name == "root" || self.name.starts_with('_')
    }
}

pub fn parse_users(out: &Output) -> Result<Vec<LocalUser>, ParseError> {
    // The XML dscl prints, quickly; anything else, or anything wrong with it,
    // goes to the general reader, which decides and explains.
    let fast = records_xml::read::<PartialUser>(&out.stdout, MAX_RECORDS)
        .and_then(|records| records.into_iter().map(PartialUser::into_user).collect());
    match fast {
        Some(users) => Ok(users),
        None => parse_users_generally(out),
    }
}

/// [`parse_users`] through the general plist reader alone (XML, binary or
/// ASCII), record by record: 20,000 records never exist as one plist tree.
/// Public for the fuzz target that compares the two readers.
#[doc(hidden)]
pub fn parse_users_generally(out: &Output) -> Result<Vec<LocalUser>, ParseError> {
    plist_value::parse_array(&out.stdout)
}

/// A [`LocalUser`] as it is read, before it is known to have a RecordName.
#[derive(Default)]
struct PartialUser {
    user: LocalUser,
    name: Option<String>,
}

impl PartialUser {
    fn into_user(self) -> Option<LocalUser> {
        Some(LocalUser { name: self.name?, ..self.user })
    }
}

impl records_xml::Record for PartialUser {
    fn wants(key: &str) -> bool {
        matches!(
            key.strip_prefix(STD),
            Some(
                "RecordName"
                    | "UniqueID"
                    | "GeneratedUID"
                    | "RealName"
                    | "NFSHomeDirectory"
                    | "OriginalNodeName"
                    | "AuthenticationAuthority"
            )
        )
    }

    fn set(&mut self, key: &str, values: Vec<String>) {
        let (user, attr) = (&mut self.user, key.strip_prefix(STD));
        if attr == Some("AuthenticationAuthority") {
            user.authentication_authority = values;
            return;
        }
        // The others hold one value, RecordName some aliases too: the first
        // string counts.
        let mut values = values.into_iter();
        let first = values.next();
        match attr {
            Some("RecordName") => {
                self.name = first;
                user.aliases = values.collect();
            }
            Some("UniqueID") => user.uid = first.and_then(|u| u.trim().parse().ok()),
            Some("GeneratedUID") => user.generated_uid = first,
            Some("RealName") => user.real_name = first,
            Some("NFSHomeDirectory") => user.home = first,
            Some("OriginalNodeName") => user.original_node = first,
            _ => {}
        }
    }
}

impl plist_value::FromElement for LocalUser {
    const NOT_AN_ARRAY: &'static str = "expected an array of records";
    const MAX_ELEMENTS: usize = MAX_RECORDS;
    const ELEMENTS: &'static str = "records";

    fn from_element(i: usize, record: plist::Value) -> Result<Self, ParseError> {
        use records_xml::Record as _;
        let dict = record
            .into_dictionary()
            .ok_or_else(|| ParseError::whole(format!("record {i} is not a dictionary")))?;
        let mut read = PartialUser::default();
        for (key, value) in dict {
            if PartialUser::wants(&key) {
                read.set(&key, plist_value::into_strings(value));
            }
        }
        read.into_user().ok_or_else(|| ParseError::whole(format!("record {i} has no RecordName")))
    }
}

/// Members of `admin`, from the plist dict or the `GroupMembership: a b`
/// text form. dscl reports an empty group by refusing the key.
pub fn parse_admin_group(out: &Output) -> Result<Vec<String>, ParseError> {
    // dscl's refusal is a line of its own, never inside a plist: a member
    // whose name holds those words is data, and must not empty the group.
    let refused =
        |b: &[u8]| String::from_utf8_lossy(b).lines().any(|l| l.trim() == "No such key: GroupMembership");
    if refused(&out.stderr) || (!plist_value::looks_like_plist(&out.stdout) && refused(&out.stdout)) {
        return Ok(Vec::new());
    }
    if out.exit != 0 {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let why = if stderr.trim().is_empty() { String::new() } else { format!(": {}", stderr.trim()) };
        return Err(ParseError::ToolError(format!("exited with status {}{why}", out.exit)));
    }
    if plist_value::looks_like_plist(&out.stdout) {
        let value = plist_value::parse(&out.stdout)?;
        let dict = value.as_dictionary().ok_or_else(|| ParseError::whole("expected a dictionary"))?;
        return at_most(plist_value::strings(dict, &format!("{STD}GroupMembership")).into_iter());
    }
    let text = utf8(&out.stdout)?;
    let members = text
        .trim_start()
        .strip_prefix("GroupMembership:")
        .ok_or_else(|| ParseError::at(1, "expected `GroupMembership:` or a property list"))?;
    at_most(members.split_whitespace().map(str::to_owned))
}

/// The members, unless there are more than [`MAX_RECORDS`]: 60 MB of
/// one-letter names took 1.7 GB as strings.
fn at_most(members: impl Iterator<Item = String>) -> Result<Vec<String>, ParseError> {
    let mut list = Vec::new();
    for member in members {
        if list.len() == MAX_RECORDS {
            return Err(ParseError::whole(format!("more than {MAX_RECORDS} members")));
        }
        list.push(member);
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::test_support::{out, sample};

    /// `;`-separated AuthenticationAuthority values as in the real samples.
    fn authority(sample_name: &str) -> Vec<String> {
        let text = String::from_utf8(sample(sample_name)).unwrap();
        let values = text.trim_start_matches("AuthenticationAuthority:");
        values.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn marker_and_mobile_detection_on_real_values() {
        let local = LocalUser {
            name: "unlock".into(),
            authentication_authority: authority(
                "dscl-read-AuthenticationAuthority__local-securetoken-disableduser-stig.txt",
            ),
            ..LocalUser::default()
        };
        assert!(local.has_token_marker() && !local.is_mobile());

        let mobile = LocalUser {
            name: "theaccount".into(),
            // The sample's value holds a space ("Active Directory"): keep the line whole.
            authentication_authority: vec![
                String::from_utf8(sample("dscl-read-AuthenticationAuthority__mobile-account-redacted.txt"))
                    .unwrap()
                    .lines()
                    .nth(1)
                    .unwrap()
                    .to_string(),
            ],
            ..LocalUser::default()
        };
        assert!(mobile.is_mobile() && !mobile.has_token_marker());
        assert_eq!(mobile.directory_node().as_deref(), Some("/Active Directory/DOMAIN/CORP_DOMAIN"));

        let network = LocalUser {
            name: "kyle".into(),
            authentication_authority: authority(
                "dscl-read-AuthenticationAuthority__network-ad-account-via-search-node.txt",
            ),
            ..LocalUser::default()
        };
        assert!(!network.is_mobile() && !network.has_token_marker());
    }

    #[test]
    fn readall_plist() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><array>
<dict>
<key>dsAttrTypeStandard:AuthenticationAuthority</key><array><string>;ShadowHash;HASHLIST:&lt;SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2&gt;</string><string>;SecureToken;</string></array>
<key>dsAttrTypeStandard:GeneratedUID</key><array><string>1E0F4A5C-7D10-4D8E-9E8C-2B4F7C3A9D11</string></array>
<key>dsAttrTypeStandard:RecordName</key><array><string>ladmin</string><string>Local Admin</string></array>
<key>dsAttrTypeStandard:UniqueID</key><array><string>501</string></array>
</dict>
<dict>
<key>dsAttrTypeStandard:AuthenticationAuthority</key><array><string>;LocalCachedUser;/Active Directory/TEST/test.com:testuser:9A1F2D0C-3B4E-4F5A-8C6D-7E8F9A0B1C2D</string></array>
<key>dsAttrTypeStandard:OriginalNodeName</key><array><string>/Active Directory/TEST/test.com</string></array>
<key>dsAttrTypeStandard:RecordName</key><array><string>testuser</string></array>
<key>dsAttrTypeStandard:UniqueID</key><array><string>1824503151</string></array>
</dict>
</array></plist>"#;
        let users = parse_users(&out(xml)).unwrap();
        assert_eq!(users[0].name, "ladmin");
        assert_eq!(users[0].aliases, ["Local Admin"]);
        assert!(
            users[0].answers_to("LOCAL ADMIN")
                && users[0].answers_to("ladmin")
                && !users[0].answers_to("local")
        );
        assert_eq!(users[0].uid, Some(501));
        assert!(users[0].has_token_marker() && !users[0].is_mobile());
        assert!(users[1].is_mobile());
        assert_eq!(users[1].directory_node().as_deref(), Some("/Active Directory/TEST/test.com"));
    }

    #[test]
    fn admin_group_text_samples() {
        let members =
            parse_admin_group(&out(&sample("dscl-read-Groups-admin-GroupMembership__with-mbsetupuser.txt")))
                .unwrap();
        assert_eq!(members, ["root", "dutov", "_mbsetupuser"]);
        let members =
            parse_admin_group(&out(&sample("dscl-read-Groups-admin-GroupMembership__root-plus-user.txt")))
                .unwrap();
        assert_eq!(members, ["root", "leaduvigneau"]);
    }

    #[test]
    fn admin_group_refused_key_means_empty() {
        let refused =
            Output { exit: 181, ..out(&sample("dscl-read-Groups-GroupMembership__no-such-key.txt")) };
        assert!(parse_admin_group(&refused).unwrap().is_empty());
    }

    /// Found writing tests/hostile.rs: a member named after dscl's refusal
    /// message emptied the admin group (any `contains` matched), so a Mac
    /// with a SecureToken admin read as having none: will-not-appear.
    #[test]
    fn a_member_named_like_the_refusal_does_not_empty_the_group() {
        let xml = b"<plist version=\"1.0\"><dict><key>dsAttrTypeStandard:GroupMembership</key><array><string>root</string><string>ladmin</string><string>No such key: GroupMembership</string></array></dict></plist>";
        assert_eq!(parse_admin_group(&out(xml)).unwrap(), ["root", "ladmin", "No such key: GroupMembership"]);
        let text = b"GroupMembership: root ladmin No such key: GroupMembership\n";
        assert_eq!(parse_admin_group(&out(text)).unwrap().len(), 6);
        // The real refusal still reads as an empty group, on either stream.
        let on_stderr =
            Output { exit: 181, stderr: b"No such key: GroupMembership\n".to_vec(), ..Output::default() };
        assert!(parse_admin_group(&on_stderr).unwrap().is_empty());
    }

    /// Found writing tests/hostile.rs: 60 MB of one-letter members took
    /// 1.7 GB; records are capped the same way (each becomes an account).
    #[test]
    fn more_members_or_records_than_a_mac_has_are_refused() {
        let text = format!("GroupMembership:{}\n", " a".repeat(MAX_RECORDS + 1));
        assert_eq!(
            parse_admin_group(&out(text.as_bytes())).unwrap_err(),
            ParseError::whole("more than 100000 members")
        );
        let record = "<dict><key>dsAttrTypeStandard:RecordName</key><string>a</string></dict>";
        let xml = format!("<plist><array>{}</array></plist>", record.repeat(MAX_RECORDS + 1));
        assert_eq!(
            parse_users(&out(xml.as_bytes())).unwrap_err(),
            ParseError::whole("more than 100000 records")
        );
        let xml = format!("<plist><array>{}</array></plist>", record.repeat(MAX_RECORDS));
        assert_eq!(parse_users(&out(xml.as_bytes())).unwrap().len(), MAX_RECORDS);
    }

    #[test]
    fn admin_group_plist_and_failure() {
        let xml = b"<plist version=\"1.0\"><dict><key>dsAttrTypeStandard:GroupMembership</key><array><string>root</string><string>ladmin</string></array></dict></plist>";
        assert_eq!(parse_admin_group(&out(xml)).unwrap(), ["root", "ladmin"]);
        let failed =
            Output { exit: 56, stderr: sample("dscl-read__error-record-not-found.txt"), ..Output::default() };
        assert!(
            matches!(parse_admin_group(&failed), Err(ParseError::ToolError(m)) if m.contains("eDSRecordNotFound"))
        );
    }

    mod readers_agree {
        use plist::{Dictionary, Value};
        use proptest::prelude::*;

        use super::*;

        const ATTRS: [&str; 8] = [
            "RecordName",
            "UniqueID",
            "GeneratedUID",
            "RealName",
            "NFSHomeDirectory",
            "OriginalNodeName",
            "AuthenticationAuthority",
            "PrimaryGroupID",
        ];

        /// Strings the fast reader must accept: printable, with the
        /// characters XML escapes.
        fn plain() -> impl Strategy<Value = String> {
            "[ -~\t\nà-ÿ\u{4e00}-\u{4e20}]{0,12}"
        }

        /// One attribute value as dscl prints it (an array) or a lone string.
        fn value(text: BoxedStrategy<String>) -> impl Strategy<Value = Value> {
            prop_oneof![
                4 => prop::collection::vec(text.clone(), 0..4)
                    .prop_map(|v| Value::Array(v.into_iter().map(Value::String).collect())),
                1 => text.prop_map(Value::String),
            ]
        }

        fn key() -> impl Strategy<Value = String> {
            prop_oneof![
                4 => prop::sample::select(&ATTRS[..]).prop_map(|a| format!("{STD}{a}")),
                1 => plain(),
            ]
        }

        fn records(text: BoxedStrategy<String>) -> impl Strategy<Value = Vec<u8>> {
            let record = prop::collection::vec((key(), value(text)), 0..8);
            prop::collection::vec(record, 0..6).prop_map(|records| {
                let array = records
                    .into_iter()
                    .map(|attrs| Value::Dictionary(attrs.into_iter().collect::<Dictionary>()))
                    .collect();
                let mut xml = Vec::new();
                Value::Array(array).to_writer_xml(&mut xml).unwrap();
                xml
            })
        }

        /// An edit that breaks the shape in the ways that matter.
        fn edit() -> impl Strategy<Value = (prop::sample::Index, usize, &'static str)> {
            let insert = prop::sample::select(
                &[
                    "",
                    "<",
                    ">",
                    "&",
                    ";",
                    "&amp;",
                    "&#0;",
                    "&#x41;",
                    "&bogus;",
                    "\r",
                    "\u{1b}",
                    "<string>",
                    "</string>",
                    "<array>",
                    "</array>",
                    "<dict>",
                    "</dict>",
                    "<key>",
                    "<!-- c -->",
                    "<integer>1</integer>",
                    "<string/>",
                    " ",
                    "\u{ff}",
                ][..],
            );
            (any::<prop::sample::Index>(), 0usize..4, insert)
        }

        fn compare(xml: &[u8]) -> Result<(), TestCaseError> {
            let out = Output { stdout: xml.to_vec(), ..Output::default() };
            prop_assert_eq!(
                parse_users(&out),
                parse_users_generally(&out),
                "{}",
                String::from_utf8_lossy(xml)
            );
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256),
                ..ProptestConfig::default()
            })]

            /// What CFPropertyList-style XML holds, the fast reader reads,
            /// and reads as the general reader does.
            #[test]
            fn on_plain_records(xml in records(plain().boxed())) {
                prop_assert!(records_xml::read::<PartialUser>(&xml, MAX_RECORDS).is_some());
                compare(&xml)?;
            }

            /// Any strings (control characters, `\r`): it may decline, but
            /// never reads differently.
            #[test]
            fn on_any_strings(xml in records(any::<String>().boxed())) {
                compare(&xml)?;
            }

            /// Edited documents: whatever it accepts reads as the general
            /// reader reads it, and what it does not accept the general reader
            /// decides.
            #[test]
            fn on_edited_records(xml in records(plain().boxed()), edits in prop::collection::vec(edit(), 1..4)) {
                let mut xml = xml;
                for (at, delete, insert) in edits {
                    let at = at.index(xml.len() + 1);
                    let end = (at + delete).min(xml.len());
                    xml.splice(at..end, insert.bytes());
                }
                compare(&xml)?;
            }
        }
    }
}
