//! Builds the large bundle of issue 5: a copy of a fixture whose
//! `local-users` holds `users` records (as `dscl -plist . -readall /Users`
//! prints them) and whose `last` holds `last_lines` lines. Shared by
//! `benches/check.rs` and `tests/hostile.rs` (through `#[path]`).

use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Copies every regular file of `from` into `to` (created if need be).
pub fn copy_bundle(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

fn attr(out: &mut String, name: &str, values: &[&str]) {
    let _ = write!(out, "\t\t<key>dsAttrTypeStandard:{name}</key>\n\t\t<array>\n");
    for v in values {
        let _ = writeln!(out, "\t\t\t<string>{v}</string>");
    }
    out.push_str("\t\t</array>\n");
}

/// The name of generated user `i`: every tenth is a local account, the rest
/// are Active Directory mobile accounts.
pub fn user_name(i: usize) -> String {
    if i.is_multiple_of(10) { format!("local{i:05}") } else { format!("ad.user{i:05}") }
}

/// `fixtures/lab-mac-ad-fv-off` with `users` extra local records and a
/// `last` of `last_lines` lines.
pub fn write_large_bundle(fixture: &Path, dir: &Path, users: usize, last_lines: usize) {
    copy_bundle(fixture, dir);
    let mut xml = String::with_capacity(users * 1100);
    xml.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n",
        "<plist version=\"1.0\">\n<array>\n"
    ));
    // The fixture's own admin, so the verdict stays will-appear.
    xml.push_str("\t<dict>\n");
    attr(
        &mut xml,
        "AuthenticationAuthority",
        &[
            ";ShadowHash;HASHLIST:&lt;SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2&gt;",
            ";SecureToken;",
        ],
    );
    attr(&mut xml, "GeneratedUID", &["5C3B8A2E-7F41-4D09-9B6A-1E2D3C4B5A69"]);
    attr(&mut xml, "NFSHomeDirectory", &["/Users/ladmin"]);
    attr(&mut xml, "RealName", &["Local Admin"]);
    attr(&mut xml, "RecordName", &["ladmin"]);
    attr(&mut xml, "UniqueID", &["501"]);
    xml.push_str("\t</dict>\n");
    for i in 0..users {
        let name = user_name(i);
        let guid = format!("{:08X}-1111-4222-8333-{:012X}", i, i * 7919);
        let uid = (1_000_000 + i).to_string();
        let home = format!("/Users/{name}");
        let real = format!("Generated User {i}");
        xml.push_str("\t<dict>\n");
        if i.is_multiple_of(10) {
            attr(
                &mut xml,
                "AuthenticationAuthority",
                &[
                    ";ShadowHash;HASHLIST:&lt;SALTED-SHA512-PBKDF2,SRP-RFC5054-4096-SHA512-PBKDF2&gt;",
                    ";SecureToken;",
                ],
            );
        } else {
            let cached = format!(";LocalCachedUser;/Active Directory/MYDOMAIN/mydomain.local:{name}:{guid}");
            let kerberos = format!(";Kerberosv5;;{name}@MYDOMAIN.LOCAL;MYDOMAIN.LOCAL;");
            attr(&mut xml, "AuthenticationAuthority", &[&cached, &kerberos]);
            attr(&mut xml, "OriginalNodeName", &["/Active Directory/MYDOMAIN/mydomain.local"]);
        }
        attr(&mut xml, "GeneratedUID", &[&guid]);
        attr(&mut xml, "NFSHomeDirectory", &[&home]);
        attr(&mut xml, "RealName", &[&real]);
        attr(&mut xml, "RecordName", &[&name]);
        attr(&mut xml, "UniqueID", &[&uid]);
        xml.push_str("\t</dict>\n");
    }
    xml.push_str("</array>\n</plist>\n");
    fs::write(dir.join("local-users.out"), xml).unwrap();

    let mut last = BufWriter::new(fs::File::create(dir.join("last.out")).unwrap());
    let days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    for n in 0..last_lines {
        let who = if n.is_multiple_of(50) { "ladmin".to_string() } else { user_name(n % users.max(1)) };
        let tty = if n.is_multiple_of(3) { "console".to_string() } else { format!("ttys{:03}", n % 8) };
        let day = days[n % 7];
        let _ = writeln!(
            last,
            "{who:<9} {tty:<25} {day} Mar {:>2} {:02}:{:02} - {:02}:{:02}  (00:{:02})",
            1 + n % 28,
            n % 24,
            n % 60,
            (n + 1) % 24,
            (n + 7) % 60,
            n % 60
        );
    }
    writeln!(last, "\nwtmp begins Sun Mar  1 08:00 ").unwrap();
    last.flush().unwrap();
}
