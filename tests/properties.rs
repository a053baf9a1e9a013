//! Property tests (issue 5): no input makes a parser or the bundle loader
//! panic, and generated valid inputs parse to the facts they were generated
//! from. 64 cases per property by default (the file runs in a few seconds);
//! `PROPTEST_CASES=5000 cargo test --test properties` for a longer run.

use std::fs;
use std::path::Path;

use plist::{Dictionary, Value};
use proptest::prelude::*;
use proptest::test_runner::Config;
use st_preflight::host::bundle::{self, BundleError};
use st_preflight::host::{Output, snapshot};
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

/// A `bundle.json`, and whether this build may read it. Random bytes never
/// can (they would have to spell out `{"format":"st-preflight-bundle",
/// "version":…}`); a real one can up to [`bundle::VERSION`].
fn bundle_json() -> impl Strategy<Value = Option<(Vec<u8>, bool)>> {
    prop_oneof![
        2 => Just(None),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| Some((b, false))),
        2 => (0u64..4, prop::option::of("[ -~]{0,12}")).prop_map(|(version, at)| {
            let mut meta = serde_json::json!({"format": "st-preflight-bundle", "version": version});
            if let Some(at) = at {
                meta["captured_at"] = at.clone().into();
                meta["sources"] = serde_json::json!({"sw-vers": {"argv": [at], "duration_ms": 3, "truncated": true}});
            }
            Some((meta.to_string().into_bytes(), version <= bundle::VERSION))
        }),
    ]
}

/// `bundle::load`'s rule: a folder is refused exactly when its bundle.json
/// is there but this build cannot read it, or when it has neither a
/// bundle.json nor a file of any source. Any file counts (empty, a
/// directory, a FIFO, a symlink or a marker makes its source captured, if
/// only as unreadable), so `files` is the number of files generated.
fn check_load_rule(
    loaded: &Result<bundle::Bundle, BundleError>,
    meta: &Option<(Vec<u8>, bool)>,
    files: usize,
) -> Result<(), TestCaseError> {
    match (meta, loaded) {
        (Some((_, true)), Ok(_)) => {}
        (None, Ok(_)) if files > 0 => {}
        (
            Some((_, false)),
            Err(
                BundleError::BadMeta { .. }
                | BundleError::WrongFormat { .. }
                | BundleError::FutureVersion { .. },
            ),
        ) => {}
        (None, Err(BundleError::NotABundle(_))) if files == 0 => {}
        (meta, loaded) => {
            let meta = meta.as_ref().map(|(b, usable)| (String::from_utf8_lossy(b), usable));
            prop_assert!(false, "bundle.json {:?}, {} files: {:?}", meta, files, loaded);
        }
    }
    Ok(())
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
        if let Some((meta, _)) = &meta {
            fs::write(dir.path().join("bundle.json"), meta).unwrap();
        }
        let loaded = bundle::load(dir.path());
        check_load_rule(&loaded, &meta, files.len())?;
        // The same bundle.json alone in a folder (rare among the generated
        // folders): readable or not, it decides.
        let bare = tempfile::tempdir().unwrap();
        if let Some((meta, _)) = &meta {
            fs::write(bare.path().join("bundle.json"), meta).unwrap();
        }
        check_load_rule(&bundle::load(bare.path()), &meta, 0)?;
        if let Ok(loaded) = loaded {
            let probed = probes::probe_all(&loaded.captures);
            prop_assert_eq!(probed.sources.len(), SourceId::ALL.len());
            let question = Question { user };
            let eval = rules::evaluate(&probed.facts, &question);
            let report = Report::new(&probed, &eval, &question, loaded.meta.as_ref());
            let json = report::json::pretty(&report);
            prop_assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
            let _ = report::table::render(&report, report::table::Style { color: false, width: Some(100) });
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

// ---------------------------------------------------------------- diskutil

#[derive(Debug, Clone)]
struct GenVolume {
    apfs: bool,
    filevault: Option<bool>,
    encrypted: Option<bool>,
    device: String,
    name: String,
}

/// The boot volume as `diskutil info` describes it. HFS+ has no FileVault
/// of its own to report (the real plist has neither key); it is generated
/// anyway for the plist, whose parser reads the keys whatever the type.
fn gen_volume(name: BoxedStrategy<String>) -> impl Strategy<Value = GenVolume> {
    (
        any::<bool>(),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        "disk[0-9]s[0-9]{1,2}",
        name,
    )
        .prop_map(|(apfs, filevault, encrypted, device, name)| GenVolume {
            apfs,
            filevault,
            encrypted,
            device,
            name,
        })
}

impl GenVolume {
    fn filesystem(&self) -> &'static str {
        if self.apfs { "apfs" } else { "hfs" }
    }

    /// `File System Personality` / `FilesystemName`, and the user-visible name.
    fn names(&self) -> (&'static str, &'static str) {
        if self.apfs { ("APFS", "APFS") } else { ("Journaled HFS+", "Mac OS Extended (Journaled)") }
    }

    /// `diskutil info -plist /`, with the keys of the real samples around
    /// the three the parser reads.
    fn plist(&self, size: u64, writable: bool) -> Value {
        let mut d = Dictionary::new();
        if self.apfs {
            d.insert("APFSContainerReference".into(), "disk1".into());
            let mut store = Dictionary::new();
            store.insert("APFSPhysicalStore".into(), "disk0s2".into());
            d.insert("APFSPhysicalStores".into(), Value::Array(vec![Value::Dictionary(store)]));
        }
        d.insert("Bootable".into(), true.into());
        d.insert("BusProtocol".into(), "PCI".into());
        d.insert("DeviceIdentifier".into(), self.device.clone().into());
        d.insert("DeviceNode".into(), format!("/dev/{}", self.device).into());
        if let Some(e) = self.encrypted {
            d.insert("Encryption".into(), e.into());
        }
        if let Some(f) = self.filevault {
            d.insert("FileVault".into(), f.into());
        }
        let (name, visible) = self.names();
        d.insert("FilesystemName".into(), name.into());
        d.insert("FilesystemType".into(), self.filesystem().into());
        d.insert("FilesystemUserVisibleName".into(), visible.into());
        d.insert("Internal".into(), true.into());
        d.insert("MountPoint".into(), "/".into());
        d.insert("SMARTDeviceSpecificKeysMayVaryNotGuaranteed".into(), Value::Dictionary(Dictionary::new()));
        d.insert("Size".into(), size.into());
        d.insert("VolumeName".into(), self.name.clone().into());
        d.insert("Writable".into(), writable.into());
        Value::Dictionary(d)
    }

    /// `diskutil info /`: labels padded to the value column (col 29 in the
    /// older HFS+ layout, 30 in the APFS one), blank lines between groups,
    /// and FileVault/Encrypted in the APFS or Core Storage section at the end.
    fn text(&self, snapshot: bool, read_only: bool, media: &str) -> String {
        let width = if self.apfs { 27 } else { 26 };
        let line = |k: &str, v: &str| format!("   {:<width$}{v}\n", format!("{k}:"));
        let yes_no = |b: bool| if b { "Yes" } else { "No" };
        let (personality, visible) = self.names();
        let mut t = String::new();
        t += &line("Device Identifier", &self.device);
        t += &line("Device Node", &format!("/dev/{}", self.device));
        t += &line("Whole", "No");
        t += "\n";
        t += &line("Volume Name", &self.name);
        t += &line("Mounted", "Yes");
        t += &line("Mount Point", "/");
        t += "\n";
        t += &line("File System Personality", personality);
        t += &line("Type (Bundle)", self.filesystem());
        t += &line("Name (User Visible)", visible);
        t += &line("Owners", "Enabled");
        t += "\n";
        t += &line("Media Type", media);
        t += &line("Volume UUID", "9DF43E36-F2BF-47E6-B0CE-43F99820D3C6");
        t += &line("Disk Size", "2.1 TB (2121207386112 Bytes) (exactly 4142983176 512-Byte-Units)");
        t += "\n";
        if self.apfs {
            let ro = if read_only { "Yes (read-only mount flag set)" } else { "No" };
            t += &line("Volume Read-Only", ro);
        } else {
            t += &line("Read-Only Volume", yes_no(read_only));
        }
        t += "\n";
        t += &line("Solid State", "Yes");
        if self.apfs {
            let kind = if snapshot { "APFS Volume Snapshot" } else { "APFS Volume" };
            t += &format!("\n   This disk is an {kind}.  APFS Information:\n");
            t += &line("APFS Container", "disk3");
            t += &line("APFS Physical Store", "disk0s2");
            t += &line("Fusion Drive", "No");
            if let Some(e) = self.encrypted {
                t += &line("Encrypted", yes_no(e));
            }
            if let Some(f) = self.filevault {
                t += &line("FileVault", yes_no(f));
            }
            t += &line("Sealed", if snapshot { "Broken" } else { "No" });
            t += &line("Locked", "No");
        } else if let Some(e) = self.encrypted {
            t += "\n   This disk is a Core Storage Logical Volume (LV).  Core Storage Information:\n";
            t += &line("LV UUID", "05F5DF37-4C54-4810-82CE-9BF556A85116");
            t += &line("Fusion Drive", "No");
            t += &line("Encrypted", yes_no(e));
        }
        t
    }
}

proptest! {
    #![proptest_config(config())]

    /// The plist form, XML as diskutil prints it or binary: FileVault and
    /// Encryption are read when present (HFS+ prints neither) and `None` when not.
    #[test]
    fn diskutil_plists_parse_to_their_volume(
        v in gen_volume(xml_name().boxed()),
        size in any::<u64>(),
        writable in any::<bool>(),
        as_binary in any::<bool>(),
    ) {
        let mut bytes = Vec::new();
        if as_binary {
            v.plist(size, writable).to_writer_binary(&mut bytes).unwrap();
        } else {
            v.plist(size, writable).to_writer_xml(&mut bytes).unwrap();
        }
        let vol = probes::diskutil::parse(&out(bytes)).unwrap();
        prop_assert_eq!(vol.filesystem.as_str(), v.filesystem());
        prop_assert_eq!(vol.is_apfs(), v.apfs);
        prop_assert_eq!(vol.filevault, v.filevault);
        prop_assert_eq!(vol.encrypted, v.encrypted);
    }

    /// diskutil's error plist (`Error` true, on stdout, exit status 1) is the
    /// tool's own failure, with its message.
    #[test]
    fn diskutil_error_plists_are_the_tools_failure(
        message in prop::option::of("Could not find disk: /Volumes/[A-Za-z0-9 ._-]{1,16}"),
        as_binary in any::<bool>(),
    ) {
        let mut d = Dictionary::new();
        d.insert("Error".into(), true.into());
        if let Some(m) = &message {
            d.insert("ErrorMessage".into(), m.clone().into());
        }
        d.insert("ExitCode".into(), 1.into());
        let mut bytes = Vec::new();
        if as_binary {
            Value::Dictionary(d).to_writer_binary(&mut bytes).unwrap();
        } else {
            Value::Dictionary(d).to_writer_xml(&mut bytes).unwrap();
        }
        let want = format!("diskutil: {}", message.as_deref().unwrap_or("diskutil reported an error"));
        let failed = Output { exit: 1, ..out(bytes) };
        prop_assert_eq!(probes::diskutil::parse(&failed), Err(ParseError::ToolError(want)));
    }

    /// The text form of `diskutil info /`, as a technician pastes it (CRLF
    /// too); the volume name is free text and may hold a colon.
    #[test]
    fn diskutil_text_parses_to_its_volume(
        v in gen_volume("\\PC{1,24}".boxed()),
        snapshot in any::<bool>(),
        read_only in any::<bool>(),
        media in prop::sample::select(&["Generic", "Genérico"][..]),
        crlf in any::<bool>(),
    ) {
        // The HFS+ layout has no FileVault line.
        let v = GenVolume { filevault: v.filevault.filter(|_| v.apfs), ..v };
        let text = v.text(snapshot, read_only, media);
        let text = if crlf { text.replace('\n', "\r\n") } else { text };
        let vol = probes::diskutil::parse(&out(text.clone())).unwrap();
        prop_assert_eq!(vol.filesystem.as_str(), v.filesystem(), "{}", text);
        prop_assert_eq!(vol.filevault, v.filevault, "{}", text);
        prop_assert_eq!(vol.encrypted, v.encrypted, "{}", text);
    }
}

// ---------------------------------------------------------------- ldap

/// A server name as `dscl localhost -list /LDAPv3` lists it: a host name
/// (one label or dotted, any case, `_` allowed) or an IPv4/IPv6 address.
fn ldap_server() -> impl Strategy<Value = String> {
    prop_oneof![
        domain(),
        "[A-Za-z0-9][A-Za-z0-9_-]{0,14}(\\.[A-Za-z0-9][A-Za-z0-9-]{0,9}){0,3}",
        any::<[u8; 4]>().prop_map(|a| std::net::Ipv4Addr::from(a).to_string()),
        any::<[u16; 8]>().prop_map(|a| std::net::Ipv6Addr::from(a).to_string()),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// One server per line, in order; no servers is no output at all.
    #[test]
    fn ldap_lists_parse_to_their_servers(
        servers in prop::collection::vec(ldap_server(), 0..12),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = servers.join(eol);
        if final_newline && !servers.is_empty() {
            text.push_str(eol);
        }
        let parsed = probes::ldap::parse(&out(text.clone())).unwrap();
        prop_assert_eq!(parsed, servers, "{:?}", text);
    }
}

// ---------------------------------------------------------------- mcx

/// A boolean setting as a preference file holds it, and the boolean it
/// means: a real boolean, or what `defaults write` leaves without `-bool`
/// (`-int`, or a string in any case: true/yes/1, false/no/0).
fn mcx_boolean() -> impl Strategy<Value = (Value, bool)> {
    prop_oneof![
        any::<bool>().prop_map(|b| (Value::Boolean(b), b)),
        (any::<bool>(), prop::sample::select(&[0usize, 1, 2][..]), 0..3u8).prop_map(|(b, word, case)| {
            let word = if b { ["true", "yes", "1"][word] } else { ["false", "no", "0"][word] };
            let word = match case {
                0 => word.to_string(),
                1 => word.to_ascii_uppercase(),
                _ => word[..1].to_ascii_uppercase() + &word[1..],
            };
            (Value::String(word), b)
        }),
        prop_oneof![0i64..=1, any::<i64>()].prop_map(|n| (Value::Integer(n.into()), n != 0)),
    ]
}

/// Values a key may hold that are not a boolean in any of those forms.
fn not_a_boolean() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-1e6f64..1e6).prop_map(Value::Real),
        (0u64..4_000_000_000).prop_map(|s| {
            Value::Date((std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(s)).into())
        }),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::Data),
        Just(Value::Array(vec![true.into()])),
        "[a-zA-Z]{2,8}"
            .prop_filter("not a boolean word", |s| {
                !["true", "yes", "false", "no"].contains(&s.to_ascii_lowercase().as_str())
            })
            .prop_map(Value::String),
        // A nested setting without its `value`.
        Just(Value::Dictionary(Dictionary::new())),
    ]
}

/// One of the two keys: a boolean, flat as in the managed file or nested
/// under `value`, or a value that is not one (`None`: unparseable).
fn mcx_setting() -> impl Strategy<Value = (Value, Option<bool>)> {
    prop_oneof![
        3 => mcx_boolean().prop_map(|(v, b)| (v, Some(b))),
        2 => mcx_boolean().prop_map(|(v, b)| {
            (Value::Dictionary(Dictionary::from_iter([("value".to_string(), v)])), Some(b))
        }),
        1 => not_a_boolean().prop_map(|v| (v, None)),
    ]
}

/// Other com.apple.MCX keys (mobile accounts, FileVault), whatever they hold.
fn other_mcx_key() -> impl Strategy<Value = (&'static str, Value)> {
    (
        prop::sample::select(
            &[
                "dontAllowFDEDisable",
                "com.apple.cachedaccounts.WarnOnCreate",
                "cachedaccounts.WarnOnCreate.allowNever",
                "cachedaccounts.create.encrypt",
                "cachedaccounts.create.location",
                "cachedaccounts.expiry.delete.disusedSeconds",
                "DisableGuestAccount",
            ][..],
        ),
        prop_oneof![mcx_boolean().prop_map(|(v, _)| v), not_a_boolean()],
    )
}

proptest! {
    #![proptest_config(config())]

    /// com.apple.MCX, XML or binary (what CFPreferences writes): each of the
    /// two keys reads as the boolean it holds, is `None` when absent, and a
    /// value that is no boolean makes the file unparseable, never `false`.
    #[test]
    fn mcx_plists_parse_to_their_settings(
        bypass in prop::option::of(mcx_setting()),
        create in prop::option::of(mcx_setting()),
        others in prop::collection::vec(other_mcx_key(), 0..6),
        bypass_first in any::<bool>(),
        as_binary in any::<bool>(),
    ) {
        let mut d = Dictionary::new();
        for (k, v) in &others {
            d.insert(k.to_string(), v.clone());
        }
        let mut keys = [(probes::mcx::BYPASS_KEY, &bypass), (probes::mcx::CREATE_AT_LOGIN_KEY, &create)];
        if !bypass_first {
            keys.reverse();
        }
        for (k, setting) in keys {
            if let Some((v, _)) = setting {
                d.insert(k.to_string(), v.clone());
            }
        }
        let mut bytes = Vec::new();
        if as_binary {
            Value::Dictionary(d).to_writer_binary(&mut bytes).unwrap();
        } else {
            Value::Dictionary(d).to_writer_xml(&mut bytes).unwrap();
        }
        let parsed = probes::mcx::parse(&out(bytes));
        let bad: Vec<&str> = keys.iter().filter(|(_, s)| matches!(s, Some((_, None)))).map(|(k, _)| *k).collect();
        if bad.is_empty() {
            let want = probes::mcx::McxPrefs {
                bypass: bypass.as_ref().and_then(|(_, b)| *b),
                create_at_login: create.as_ref().and_then(|(_, b)| *b),
            };
            prop_assert_eq!(parsed, Ok(want));
        } else {
            match parsed {
                Err(ParseError::Unparseable { reason, .. }) => {
                    prop_assert!(bad.iter().any(|k| reason.contains(k)), "{}", reason)
                }
                other => prop_assert!(false, "{:?} with {:?} not booleans", other, bad),
            }
        }
    }
}

// ---------------------------------------------------------------- host

const HOST_FIELDS: [&str; 6] =
    ["host_name", "os_name", "os_version", "kernel_version", "cpu_arch", "root_filesystem"];

/// A field of the snapshot: absent (`None`), `null`, or a string.
fn host_field() -> impl Strategy<Value = Option<Option<String>>> {
    prop::option::of(prop::option::of(prop_oneof![
        "[a-z][a-z0-9-]{0,14}",
        prop::sample::select(&["macOS", "Darwin", "arm64", "x86_64", "apfs", "hfs", "10.13.6", "17.7.0"][..])
            .prop_map(str::to_string),
        any::<String>(),
    ]))
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(|b| json!(b)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<String>().prop_map(|s| json!(s)),
        prop::collection::vec(any::<i32>(), 0..3).prop_map(|v| json!(v)),
        any::<String>().prop_map(|s| json!({ "k": s })),
    ]
}

fn host_info(fields: &[Option<Option<String>>]) -> probes::host_info::HostInfo {
    let f = |i: usize| fields[i].clone().flatten();
    probes::host_info::HostInfo {
        host_name: f(0),
        os_name: f(1),
        os_version: f(2),
        kernel_version: f(3),
        cpu_arch: f(4),
        root_filesystem: f(5),
    }
}

proptest! {
    #![proptest_config(config())]

    /// The `host` JSON, pretty as st-preflight writes it or compact as in
    /// the fixtures: absent and `null` fields are `None`, unknown keys (a
    /// newer writer's) are ignored.
    #[test]
    fn host_json_parses_to_its_snapshot(
        fields in prop::collection::vec(host_field(), 6),
        extra in prop::collection::vec(("[a-z_]{1,16}", json_value()), 0..3),
        pretty in any::<bool>(),
    ) {
        let mut map = serde_json::Map::new();
        for (name, field) in HOST_FIELDS.iter().zip(&fields) {
            if let Some(value) = field {
                map.insert(name.to_string(), value.clone().into());
            }
        }
        for (k, v) in &extra {
            if !HOST_FIELDS.contains(&k.as_str()) {
                map.insert(k.clone(), v.clone());
            }
        }
        let json = serde_json::Value::Object(map);
        let text = if pretty { serde_json::to_string_pretty(&json).unwrap() + "\n" } else { json.to_string() };
        let want = host_info(&fields);
        prop_assert_eq!(probes::host_info::parse(&out(text.clone())), Ok(want.clone()), "{}", text);
        prop_assert_eq!(probes::host_info::parse(&out(snapshot::to_json(&want))), Ok(want));
    }

    /// A field that is there but not a string (nor `null`) is not the host
    /// JSON: the snapshot is refused rather than read as unknown.
    #[test]
    fn a_host_field_that_is_not_a_string_is_refused(
        fields in prop::collection::vec(host_field(), 6),
        wrong in 0..HOST_FIELDS.len(),
        value in json_value().prop_filter("not a string or null", |v| !v.is_string() && !v.is_null()),
    ) {
        let mut map = serde_json::Map::new();
        for (name, field) in HOST_FIELDS.iter().zip(&fields) {
            if let Some(value) = field {
                map.insert(name.to_string(), value.clone().into());
            }
        }
        map.insert(HOST_FIELDS[wrong].to_string(), value);
        let parsed = probes::host_info::parse(&out(serde_json::Value::Object(map).to_string()));
        prop_assert!(matches!(parsed, Err(ParseError::Unparseable { .. })), "{:?}", parsed);
    }
}
