//! Property tests (issue 5): no input makes a parser or the bundle loader
//! panic, and generated valid inputs parse to the facts they were generated
//! from. 64 cases per property by default (the file runs in a few seconds);
//! `PROPTEST_CASES=5000 cargo test --test properties` for a longer run.

use std::fs;
use std::path::Path;

use plist::{Dictionary, Value};
use proptest::prelude::*;
use proptest::test_runner::Config;
use st_preflight::host::{Output, bundle};
use st_preflight::probes::fdesetup::FileVaultState;
use st_preflight::probes::sw_vers::Version;
use st_preflight::probes::{self, ParseError};
use st_preflight::report::{self, Report};
use st_preflight::rules::{self, Question};
use st_preflight::source::SourceId;

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64);
    Config { cases, ..Config::default() }
}

fn out(stdout: impl Into<Vec<u8>>) -> Output {
    Output { stdout: stdout.into(), ..Output::default() }
}

/// Runs every parser on the same bytes; each must return, whatever it returns.
fn every_parser(bytes: &[u8]) {
    let o = out(bytes);
    let _ = probes::sw_vers::parse(&o);
    let _ = probes::diskutil::parse(&o);
    let _ = probes::crypto_users::parse(&o);
    let _ = probes::fdesetup::parse(&o);
    let _ = probes::dsconfigad::parse(&o);
    let _ = probes::ldap::parse(&o);
    let _ = probes::last::parse(&o);
    let _ = probes::bootstrap::parse(&o);
    let _ = probes::mcx::parse(&o);
    let _ = probes::host_info::parse(&o);
    if let Ok(users) = probes::dscl::parse_users(&o) {
        for u in &users {
            let _ = (u.is_mobile(), u.directory_node(), u.has_token_marker(), u.is_system());
        }
    }
    let _ = probes::dscl::parse_admin_group(&o);
    let failed = Output { stdout: bytes.to_vec(), stderr: bytes.to_vec(), exit: 181, ..Output::default() };
    let _ = probes::dscl::parse_admin_group(&failed);
}

/// The real samples and fixture sources: the seeds that mutations start from.
fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for entry in fs::read_dir(root.join("tests/samples")).unwrap() {
        files.push(entry.unwrap().path());
    }
    for dir in ["lab-mac-ad-fv-off", "dep-skip-no-local-admin", "ldap-mobile-mcx", "garbage-sources"] {
        for entry in fs::read_dir(root.join("fixtures").join(dir)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    files.iter().filter_map(|f| fs::read(f).ok()).filter(|b| !b.is_empty()).collect()
}

/// Text made of the words and punctuation the parsers look for, so that
/// random input gets past the first line more often than random bytes do.
fn tokens() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(&b"\n"[..]),
        Just(&b"\t"[..]),
        Just(&b" "[..]),
        Just(&b":"[..]),
        Just(&b" = "[..]),
        Just(&b"<dict>"[..]),
        Just(&b"</dict>"[..]),
        Just(&b"<array>"[..]),
        Just(&b"</array>"[..]),
        Just(&b"<key>dsAttrTypeStandard:RecordName</key>"[..]),
        Just(&b"<string>"[..]),
        Just(&b"</string>"[..]),
        Just(&b"<true/>"[..]),
        Just(&b"<plist version=\"1.0\">"[..]),
        Just(&b"ProductVersion:\t"[..]),
        Just(&b"10.13.6"[..]),
        Just(&b"FileVault is On."[..]),
        Just(&b"Encryption in progress: Percent completed = "[..]),
        Just(&b"Deferred enablement appears to be active for user '"[..]),
        Just(&b"Active Directory Domain"[..]),
        Just(&b"Create mobile account at login"[..]),
        Just(&b"console"[..]),
        Just(&b"wtmp begins"[..]),
        Just(&b"Bootstrap Token escrowed to server: "[..]),
        Just(&b"YES"[..]),
        Just(&b"Cryptographic users for disk1s1 (1 found)"[..]),
        Just(&b"+-- "[..]),
        Just(&b"Type: Local Open Directory User"[..]),
        Just(&b"GroupMembership:"[..]),
        Just(&b";SecureToken;"[..]),
        Just(&b";LocalCachedUser;"[..]),
        Just(&b"\xc3\xa9"[..]),
        Just(&b"\xff"[..]),
        Just(&b"\0"[..]),
    ];
    prop::collection::vec(
        prop_oneof![token.prop_map(<[u8]>::to_vec), prop::collection::vec(any::<u8>(), 1..8)],
        0..200,
    )
    .prop_map(|parts| parts.concat())
}

/// A real sample with a few random edits (replace, insert, delete, cut).
fn mutated_seed() -> impl Strategy<Value = Vec<u8>> {
    let seeds = seeds();
    (0..seeds.len(), prop::collection::vec((any::<usize>(), any::<u8>(), 0..4u8), 0..8)).prop_map(
        move |(i, edits)| {
            let mut b = seeds[i].clone();
            for (at, byte, kind) in edits {
                if b.is_empty() {
                    break;
                }
                let at = at % b.len();
                match kind {
                    0 => b[at] = byte,
                    1 => b.insert(at, byte),
                    2 => {
                        b.remove(at);
                    }
                    _ => b.truncate(at),
                }
            }
            b
        },
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic_a_parser(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        every_parser(&bytes);
    }

    #[test]
    fn token_soup_never_panics_a_parser(bytes in tokens()) {
        every_parser(&bytes);
    }

    #[test]
    fn mutated_samples_never_panic_a_parser(bytes in mutated_seed()) {
        every_parser(&bytes);
    }
}

// ---------------------------------------------------------------- the loader

/// What one source's files in a generated bundle hold.
#[derive(Debug, Clone)]
enum FileKind {
    Bytes(Vec<u8>),
    Empty,
    Dir,
    Symlink,
    Fifo,
}

fn file_kind() -> impl Strategy<Value = FileKind> {
    prop_oneof![
        6 => prop_oneof![prop::collection::vec(any::<u8>(), 0..512), tokens(), mutated_seed()].prop_map(FileKind::Bytes),
        1 => Just(FileKind::Empty),
        1 => Just(FileKind::Dir),
        1 => Just(FileKind::Symlink),
        1 => Just(FileKind::Fifo),
    ]
}

const EXTS: [&str; 6] = ["out", "err", "exit", "timeout", "notfound", "absent"];

fn bundle_json() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        2 => Just(None),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(Some),
        2 => (0u64..4, prop::option::of("[ -~]{0,12}")).prop_map(|(version, at)| {
            let mut meta = serde_json::json!({"format": "st-preflight-bundle", "version": version});
            if let Some(at) = at {
                meta["captured_at"] = at.clone().into();
                meta["sources"] = serde_json::json!({"sw-vers": {"argv": [at], "duration_ms": 3, "truncated": true}});
            }
            Some(meta.to_string().into_bytes())
        }),
    ]
}

proptest! {
    #![proptest_config(Config { cases: config().cases / 2 + 1, ..config() })]

    /// Arbitrary files in a bundle folder: the loader returns a bundle or an
    /// error, and whatever it returns, the whole check runs to a report.
    #[test]
    fn arbitrary_bundles_never_panic_the_loader_or_the_check(
        files in prop::collection::vec((0..SourceId::ALL.len(), 0..EXTS.len(), file_kind()), 0..24),
        meta in bundle_json(),
        user in prop::option::of("\\PC{0,12}"),
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (source, ext, kind) in &files {
            let path = dir.path().join(format!("{}.{}", SourceId::ALL[*source].as_str(), EXTS[*ext]));
            if path.exists() {
                continue;
            }
            match kind {
                FileKind::Bytes(b) => fs::write(&path, b).unwrap(),
                FileKind::Empty => fs::write(&path, b"").unwrap(),
                FileKind::Dir => fs::create_dir(&path).unwrap(),
                FileKind::Symlink => std::os::unix::fs::symlink("/etc/passwd", &path).unwrap(),
                FileKind::Fifo => {
                    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
                    prop_assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
                }
            }
        }
        if let Some(meta) = &meta {
            fs::write(dir.path().join("bundle.json"), meta).unwrap();
        }
        if let Ok(loaded) = bundle::load(dir.path()) {
            let probed = probes::probe_all(&loaded.captures);
            prop_assert_eq!(probed.sources.len(), SourceId::ALL.len());
            let question = Question { user };
            let eval = rules::evaluate(&probed.facts, &question);
            let report = Report::new(&probed, &eval, &question, loaded.meta.as_ref());
            let json = report::json::pretty(&report);
            prop_assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
            let _ = report::table::render(&report, report::table::Style { color: false, width: Some(100) });
        } else {
            // Only a folder with no source and no usable bundle.json is refused.
        }
    }
}

// ---------------------------------------------------------------- sw_vers

fn version() -> impl Strategy<Value = (u32, u32, Option<u32>)> {
    (10u32..=26, 0u32..=20, prop::option::of(0u32..=12))
}

fn build() -> impl Strategy<Value = String> {
    "[0-9]{2}[A-H][0-9]{1,4}[a-z]?"
}

fn version_text((major, minor, patch): (u32, u32, Option<u32>)) -> String {
    match patch {
        Some(p) => format!("{major}.{minor}.{p}"),
        None => format!("{major}.{minor}"),
    }
}

proptest! {
    #![proptest_config(config())]

    /// One tab up to 10.15 (`ProductName:\tMac OS X`), two from 11
    /// (`ProductName:\t\tmacOS`), with `ProductVersionExtra` on RSR builds.
    #[test]
    fn sw_vers_layouts_parse_to_their_version(
        v in version(),
        build in build(),
        two_tabs in any::<bool>(),
        extra in prop::option::of("\\([a-z]\\)"),
        final_newline in any::<bool>(),
    ) {
        let (name, tab) = if two_tabs { ("macOS", "\t\t") } else { ("Mac OS X", "\t") };
        let mut text = format!("ProductName:{tab}{name}\nProductVersion:{tab}{}\n", version_text(v));
        if let Some(extra) = &extra {
            text.push_str(&format!("ProductVersionExtra:\t{extra}\n"));
        }
        text.push_str(&format!("BuildVersion:{tab}{build}"));
        if final_newline {
            text.push('\n');
        }
        let os = probes::sw_vers::parse(&out(text)).unwrap();
        prop_assert_eq!(os.version, Version::new(v.0, v.1, v.2.unwrap_or(0)));
        prop_assert_eq!(os.product_name.as_deref(), Some(name));
        prop_assert_eq!(os.build.as_deref(), Some(build.as_str()));
        prop_assert_eq!(os.extra, extra);
    }

    #[test]
    fn a_bare_product_version_line_parses(v in version(), spaces in "[ \t]{0,2}") {
        let os = probes::sw_vers::parse(&out(format!("{spaces}{}{spaces}\n", version_text(v)))).unwrap();
        prop_assert_eq!(os.version, Version::new(v.0, v.1, v.2.unwrap_or(0)));
        prop_assert_eq!(Version::parse(&version_text(v)), Some(os.version));
    }

    #[test]
    fn versions_order_like_numbers(a in version(), b in version()) {
        let (va, vb) = (Version::parse(&version_text(a)).unwrap(), Version::parse(&version_text(b)).unwrap());
        let key = |(x, y, z): (u32, u32, Option<u32>)| (x, y, z.unwrap_or(0));
        prop_assert_eq!(va.cmp(&vb), key(a).cmp(&key(b)));
    }
}

// ---------------------------------------------------------------- fdesetup

#[derive(Debug, Clone)]
enum Fv {
    On,
    Off,
    Pending,
    Encrypting(u32, bool),
    Decrypting(u32, bool),
    Deferred(String, char),
}

fn fv() -> impl Strategy<Value = Fv> {
    prop_oneof![
        Just(Fv::On),
        Just(Fv::Off),
        Just(Fv::Pending),
        (0u32..=10_000, any::<bool>()).prop_map(|(p, h)| Fv::Encrypting(p, h)),
        (0u32..=10_000, any::<bool>()).prop_map(|(p, h)| Fv::Decrypting(p, h)),
        ("[a-z][a-z0-9._-]{0,15}", prop_oneof![Just('\''), Just('"')]).prop_map(|(u, q)| Fv::Deferred(u, q)),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn fdesetup_lines_parse_to_their_state(fv in fv(), crlf in any::<bool>()) {
        // Hundredths of a percent, printed as fdesetup does (`12.50`, or `37`).
        let pct = |p: u32| if p.is_multiple_of(100) { format!("{}", p / 100) } else { format!("{}.{:02}", p / 100, p % 100) };
        let (text, state, percent, user) = match &fv {
            Fv::On => ("FileVault is On.\n".to_string(), FileVaultState::On, None, None),
            Fv::Off => ("FileVault is Off.\n".to_string(), FileVaultState::Off, None, None),
            Fv::Pending => (
                "FileVault is Off, but will be enabled after the next restart.\n".to_string(),
                FileVaultState::Pending, None, None,
            ),
            Fv::Encrypting(p, headline) => (
                format!("{}Encryption in progress: Percent completed = {}\n", if *headline { "FileVault is On.\n" } else { "" }, pct(*p)),
                FileVaultState::Encrypting, Some(*p as f64 / 100.0), None,
            ),
            Fv::Decrypting(p, headline) => (
                format!("{}Decryption in progress: Percent completed = {}\n", if *headline { "FileVault is On.\n" } else { "" }, pct(*p)),
                FileVaultState::Decrypting, Some(*p as f64 / 100.0), None,
            ),
            Fv::Deferred(u, q) => (
                format!("FileVault is Off.\nDeferred enablement appears to be active for user {q}{u}{q}.\n"),
                FileVaultState::Deferred, None, Some(u.clone()),
            ),
        };
        let text = if crlf { text.replace('\n', "\r\n") } else { text };
        let status = probes::fdesetup::parse(&out(text.clone())).unwrap();
        prop_assert_eq!(status.state, state, "{:?}", text);
        match (status.percent, percent) {
            (Some(got), Some(want)) => prop_assert!((got - want).abs() < 1e-9, "{} vs {}", got, want),
            (got, want) => prop_assert_eq!(got, want),
        }
        prop_assert_eq!(status.deferred_user, user);
        // fdesetup answers through its exit status too: 1 for off, 2 when busy.
        let with_status = Output { exit: 1, ..out(text) };
        prop_assert_eq!(probes::fdesetup::parse(&with_status).unwrap().state, state);
    }
}

// ---------------------------------------------------------------- dsconfigad

fn domain() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6}){1,2}"
}

proptest! {
    #![proptest_config(config())]

    /// `dsconfigad -show` as a bound Mac prints it: aligned `Key = value`
    /// lines under `Advanced Options - ...` headings, with unrelated settings.
    #[test]
    fn dsconfigad_blocks_parse_to_their_binding(
        dom in domain(),
        forest in prop::option::of(domain()),
        computer in prop::option::of("[a-z0-9-]{1,15}\\$"),
        mobile in prop::option::of(any::<bool>()),
        others in prop::collection::vec(("[A-Z][a-z]{2,9}( [a-z]{2,9}){0,3}", "[A-Za-z0-9 ,./$]{0,30}"), 0..8),
        width in 31usize..40,
    ) {
        let line = |k: &str, v: &str| format!("{k:<width$} = {v}\n");
        let mut text = String::new();
        text.push_str(&line("Active Directory Forest", forest.as_deref().unwrap_or("not set")));
        text.push_str(&line("Active Directory Domain", &dom));
        text.push_str(&line("Computer Account", computer.as_deref().unwrap_or("not set")));
        text.push_str("\nAdvanced Options - User Experience\n");
        if let Some(m) = mobile {
            text.push_str(&line("  Create mobile account at login", if m { "Enabled" } else { "Disabled" }));
        }
        for (k, v) in &others {
            text.push_str(&line(&format!("  {k}"), v));
        }
        text.push_str("\nAdvanced Options - Administrative\n");
        text.push_str(&line("  Allowed admin groups", "domain admins,enterprise admins"));
        let ad = probes::dsconfigad::parse(&out(text.clone())).unwrap();
        prop_assert!(ad.is_bound());
        prop_assert_eq!(ad.domain.as_deref(), Some(dom.as_str()), "{}", text);
        prop_assert_eq!(ad.forest, forest);
        prop_assert_eq!(ad.computer_account, computer);
        prop_assert_eq!(ad.create_mobile_account, mobile);
    }
}

// ---------------------------------------------------------------- dscl

#[derive(Debug, Clone)]
enum Auth {
    Mobile { node: String, guid: String },
    Shadow,
    Kerberos,
    Marker,
}

#[derive(Debug, Clone)]
struct GenUser {
    names: Vec<String>,
    uid: Option<i64>,
    guid: Option<String>,
    original_node: Option<String>,
    authority: Vec<Auth>,
}

fn guid() -> impl Strategy<Value = String> {
    "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}"
}

fn node() -> impl Strategy<Value = String> {
    prop_oneof!["/Active Directory/[A-Z]{1,8}/[a-z]{1,8}\\.[a-z]{2,4}", "/LDAPv3/[a-z]{1,10}\\.[a-z]{2,4}"]
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        (node(), guid()).prop_map(|(node, guid)| Auth::Mobile { node, guid }),
        Just(Auth::Shadow),
        Just(Auth::Kerberos),
        Just(Auth::Marker),
    ]
}

impl Auth {
    fn text(&self, name: &str) -> String {
        match self {
            Auth::Mobile { node, guid } => format!(";LocalCachedUser;{node}:{name}:{guid}"),
            Auth::Shadow => {
                ";ShadowHash;HASHLIST:<SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2>".into()
            }
            Auth::Kerberos => {
                format!(";Kerberosv5;;{name}@LKDC:SHA1.20BABA05A6B1A86A8C5758;LKDC:SHA1.20BABA05;")
            }
            Auth::Marker => ";SecureToken;".into(),
        }
    }
}

/// Names for an XML plist: printable, and without surrounding whitespace.
fn xml_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,19}",
        "[a-zà-ÿ][a-zà-ÿ ._<>&'\"]{0,10}[a-zà-ÿ]",
        "[\u{4e00}-\u{4e80}]{1,6}"
    ]
}

fn gen_user(name: BoxedStrategy<String>) -> impl Strategy<Value = GenUser> {
    (
        prop::collection::vec(name, 1..3),
        prop::option::of(-2i64..=4_294_967_295),
        prop::option::of(guid()),
        prop::option::of(node()),
        prop::collection::vec(auth(), 0..4),
    )
        .prop_map(|(names, uid, guid, original_node, authority)| GenUser {
            names,
            uid,
            guid,
            original_node,
            authority,
        })
}

fn users_plist(users: &[GenUser]) -> Value {
    let strings = |v: Vec<String>| Value::Array(v.into_iter().map(Value::String).collect());
    Value::Array(
        users
            .iter()
            .map(|u| {
                let mut d = Dictionary::new();
                let key = |a: &str| format!("dsAttrTypeStandard:{a}");
                d.insert(key("RecordName"), strings(u.names.clone()));
                if let Some(uid) = u.uid {
                    d.insert(key("UniqueID"), strings(vec![uid.to_string()]));
                }
                if let Some(g) = &u.guid {
                    d.insert(key("GeneratedUID"), strings(vec![g.clone()]));
                }
                if let Some(n) = &u.original_node {
                    d.insert(key("OriginalNodeName"), strings(vec![n.clone()]));
                }
                if !u.authority.is_empty() {
                    d.insert(
                        key("AuthenticationAuthority"),
                        strings(u.authority.iter().map(|a| a.text(&u.names[0])).collect()),
                    );
                }
                Value::Dictionary(d)
            })
            .collect(),
    )
}

fn check_users(users: &[GenUser], parsed: &[probes::dscl::LocalUser]) -> Result<(), TestCaseError> {
    prop_assert_eq!(parsed.len(), users.len());
    for (g, p) in users.iter().zip(parsed) {
        prop_assert_eq!(&p.name, &g.names[0]);
        prop_assert_eq!(&p.aliases[..], &g.names[1..]);
        prop_assert_eq!(p.uid, g.uid);
        prop_assert_eq!(&p.generated_uid, &g.guid);
        prop_assert_eq!(&p.original_node, &g.original_node);
        let mobile = g.authority.iter().find_map(|a| match a {
            Auth::Mobile { node, .. } => Some(node.clone()),
            _ => None,
        });
        prop_assert_eq!(p.is_mobile(), mobile.is_some());
        prop_assert_eq!(p.has_token_marker(), g.authority.iter().any(|a| matches!(a, Auth::Marker)));
        if p.is_mobile() {
            prop_assert_eq!(p.directory_node(), g.original_node.clone().or(mobile));
        }
        prop_assert_eq!(p.is_system(), g.names[0] == "root" || g.names[0].starts_with('_'));
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn dscl_xml_plists_parse_to_their_records(users in prop::collection::vec(gen_user(xml_name().boxed()), 0..12)) {
        let mut bytes = Vec::new();
        users_plist(&users).to_writer_xml(&mut bytes).unwrap();
        let parsed = probes::dscl::parse_users(&out(bytes)).unwrap();
        check_users(&users, &parsed)?;
    }

    /// Binary plists hold any string, control characters and NULs included.
    #[test]
    fn dscl_binary_plists_parse_to_their_records(users in prop::collection::vec(gen_user(any::<String>().prop_filter("a name", |s| !s.is_empty()).boxed()), 0..12)) {
        let mut bytes = Vec::new();
        users_plist(&users).to_writer_binary(&mut bytes).unwrap();
        let parsed = probes::dscl::parse_users(&out(bytes)).unwrap();
        check_users(&users, &parsed)?;
    }

    #[test]
    fn admin_group_parses_in_both_forms(members in prop::collection::vec("[a-z_][a-z0-9._-]{0,15}", 0..10)) {
        let text = format!("GroupMembership: {}\n", members.join(" "));
        prop_assert_eq!(probes::dscl::parse_admin_group(&out(text)).unwrap(), members.clone());
        let mut d = Dictionary::new();
        d.insert(
            "dsAttrTypeStandard:GroupMembership".into(),
            Value::Array(members.iter().cloned().map(Value::String).collect()),
        );
        let mut bytes = Vec::new();
        Value::Dictionary(d).to_writer_xml(&mut bytes).unwrap();
        prop_assert_eq!(probes::dscl::parse_admin_group(&out(bytes)).unwrap(), members);
    }
}

// ---------------------------------------------------------------- last

#[derive(Debug, Clone)]
struct Login {
    name: String,
    tty: String,
    day: &'static str,
    month: &'static str,
    date: u32,
    time: (u32, u32),
    tail: &'static str,
}

fn login() -> impl Strategy<Value = Login> {
    (
        prop_oneof!["[a-z][a-z0-9]{0,7}", "[a-z_][a-z0-9._]{8,15}", Just("ladmin".to_string())],
        prop_oneof![3 => Just("console".to_string()), 2 => "ttys00[0-9]", 1 => Just("~".to_string())],
        prop::sample::select(&["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][..]),
        prop::sample::select(&["Jan", "Feb", "Mar", "Oct", "Dec"][..]),
        1u32..=31,
        (0u32..24, 0u32..60),
        prop::sample::select(
            &["   still logged in", " - 17:30  (08:18)", " - crash (27+07:11)", " ", ""][..],
        ),
    )
        .prop_map(|(name, tty, day, month, date, time, tail)| Login {
            name,
            tty,
            day,
            month,
            date,
            time,
            tail,
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn last_lines_count_console_logins_and_keep_the_newest(
        logins in prop::collection::vec(login(), 0..40),
        trailer in prop::option::of((1u32..=28, 0u32..24)),
    ) {
        let mut text = String::new();
        for l in &logins {
            text.push_str(&format!(
                "{:<9} {:<25} {} {} {:>2} {:02}:{:02}{}\n",
                l.name, l.tty, l.day, l.month, l.date, l.time.0, l.time.1, l.tail
            ));
        }
        if let Some((d, h)) = trailer {
            text.push_str(&format!("\nwtmp begins Thu Oct {d:>2} {h:02}:54 \n"));
        }
        let history = probes::last::parse(&out(text.clone())).unwrap();
        let mut expected = std::collections::BTreeMap::<String, (u64, String)>::new();
        for l in logins.iter().filter(|l| l.tty == "console") {
            let e = expected.entry(l.name.clone()).or_insert_with(|| {
                (0, format!("{} {} {} {:02}:{:02}", l.day, l.month, l.date, l.time.0, l.time.1))
            });
            e.0 += 1;
        }
        prop_assert_eq!(history.console.len(), expected.len(), "{}", text);
        for (name, (count, latest)) in &expected {
            prop_assert_eq!(history.console_logins(name), *count);
            prop_assert_eq!(&history.console[name].latest, latest);
        }
        prop_assert_eq!(history.since, trailer.map(|(d, h)| format!("Thu Oct {d:>2} {h:02}:54")));
    }
}

// ---------------------------------------------------------------- crypto users

#[derive(Debug, Clone)]
struct GenCrypto {
    uuid: String,
    kind: (&'static str, &'static str),
    owner: Option<bool>,
}

fn crypto_user() -> impl Strategy<Value = GenCrypto> {
    (
        guid(),
        prop::sample::select(
            &[
                ("LocalOpenDirectory", "Local Open Directory User"),
                ("PersonalRecovery", "Personal Recovery User"),
                ("MDMRecovery", "MDM Bootstrap Token External Key"),
                ("InstitutionalRecovery", "Institutional Recovery User"),
            ][..],
        ),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(uuid, kind, owner)| GenCrypto { uuid, kind, owner })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn crypto_user_plists_parse_to_their_users(users in prop::collection::vec(crypto_user(), 0..8), as_binary in any::<bool>()) {
        let list = users
            .iter()
            .map(|u| {
                let mut d = Dictionary::new();
                d.insert("APFSCryptoUserType".into(), u.kind.0.into());
                d.insert("APFSCryptoUserUUID".into(), u.uuid.clone().into());
                if let Some(o) = u.owner {
                    d.insert("VolumeOwner".into(), o.into());
                }
                Value::Dictionary(d)
            })
            .collect();
        let mut root = Dictionary::new();
        root.insert("Users".into(), Value::Array(list));
        let mut bytes = Vec::new();
        if as_binary {
            Value::Dictionary(root).to_writer_binary(&mut bytes).unwrap();
        } else {
            Value::Dictionary(root).to_writer_xml(&mut bytes).unwrap();
        }
        let parsed = probes::crypto_users::parse(&out(bytes)).unwrap();
        prop_assert_eq!(parsed.len(), users.len());
        for (g, p) in users.iter().zip(&parsed) {
            prop_assert_eq!(&p.uuid, &g.uuid);
            prop_assert_eq!(p.kind.as_str(), g.kind.0);
            prop_assert_eq!(p.volume_owner, g.owner);
            prop_assert_eq!(p.is_user(), g.kind.0 == "LocalOpenDirectory");
        }
    }

    /// The text form of `diskutil apfs listCryptoUsers` (real samples' layout).
    #[test]
    fn crypto_user_text_parses_to_its_users(users in prop::collection::vec(crypto_user(), 1..8), disk in "disk[0-9]s[0-9]") {
        let mut text = format!("Cryptographic users for {disk} ({} found)\n|\n", users.len());
        for (i, u) in users.iter().enumerate() {
            let bar = if i + 1 < users.len() { "|" } else { " " };
            text.push_str(&format!("+-- {}\n{bar}   Type: {}\n", u.uuid, u.kind.1));
            if let Some(o) = u.owner {
                text.push_str(&format!("{bar}   Volume Owner: {}\n", if o { "Yes" } else { "No" }));
            }
            if i + 1 < users.len() {
                text.push_str("|\n");
            }
        }
        let parsed = probes::crypto_users::parse(&out(text.clone())).unwrap();
        prop_assert_eq!(parsed.len(), users.len(), "{}", text);
        for (g, p) in users.iter().zip(&parsed) {
            prop_assert_eq!(&p.uuid, &g.uuid);
            prop_assert_eq!(p.kind.as_str(), g.kind.0);
            prop_assert_eq!(p.volume_owner, g.owner);
        }
    }
}

// ---------------------------------------------------------------- bootstrap

proptest! {
    #![proptest_config(config())]

    #[test]
    fn bootstrap_lines_parse_to_their_answers(
        supported in prop::option::of(any::<bool>()),
        escrowed in any::<bool>(),
        prefix in any::<bool>(),
        on_server in any::<bool>(),
        supported_last in any::<bool>(),
    ) {
        let yes = |b: bool| if b { "YES" } else { "NO" };
        let p = if prefix { "profiles: " } else { "" };
        let escrow_line = format!("{p}Bootstrap Token escrowed {} server: {}\n", if on_server { "on" } else { "to" }, yes(escrowed));
        let support_line = supported.map(|s| format!("{p}Bootstrap Token supported on server: {}\n", yes(s))).unwrap_or_default();
        let text = if supported_last { escrow_line + &support_line } else { support_line + &escrow_line };
        let token = probes::bootstrap::parse(&out(text)).unwrap();
        prop_assert_eq!(token.supported, supported);
        prop_assert_eq!(token.escrowed, Some(escrowed));
    }

    /// Only the two known lines are a bootstrap token answer: any other
    /// `key: YES` line makes the output unparseable rather than guessed at.
    #[test]
    fn other_yes_no_lines_are_not_guessed_at(key in "[A-Za-z ]{1,30}", escrowed in any::<bool>()) {
        prop_assume!(!key.trim().starts_with("Bootstrap Token"));
        let text = format!("profiles: {key}: YES\nprofiles: Bootstrap Token escrowed to server: {}\n", if escrowed { "YES" } else { "NO" });
        let parsed = probes::bootstrap::parse(&out(text));
        prop_assert!(matches!(parsed, Err(ParseError::Unparseable { .. })), "{:?}", parsed);
    }
}
