//! The rules on situations the fixtures do not cover, each built from the
//! lab fixture (10.13.6, APFS, AD with mobile accounts, ladmin holding a
//! token, FileVault off: the dialog will appear) with one or two sources
//! changed. Every expectation follows from docs/rules.md.

use std::path::Path;

use st_preflight::host::{Capture, Captures, Output, bundle};
use st_preflight::probes;
use st_preflight::rules::{
    self, ConditionId, Confidence, Evaluation, FindingId, Question, Severity, Verdict,
};
use st_preflight::source::SourceId;

struct Mac {
    captures: Captures,
    user: Option<String>,
}

impl Mac {
    fn lab() -> Mac {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lab-mac-ad-fv-off");
        Mac { captures: bundle::load(&dir).unwrap().captures, user: None }
    }

    fn set(mut self, source: SourceId, capture: Capture) -> Mac {
        self.captures.insert(source, capture);
        self
    }

    fn prints(self, source: SourceId, stdout: &str) -> Mac {
        self.set(source, Capture::Done(Output { stdout: stdout.as_bytes().to_vec(), ..Output::default() }))
    }

    /// Replaces `from` with `to` in a source's output.
    fn edit(self, source: SourceId, from: &str, to: &str) -> Mac {
        use st_preflight::host::Host;
        let Capture::Done(out) = self.captures.capture(source).clone() else {
            panic!("{source} not captured")
        };
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains(from), "{source} has no {from:?}");
        let text = text.replace(from, to);
        self.prints(source, &text)
    }

    fn check(&self) -> Evaluation {
        let probed = probes::probe_all(&self.captures);
        rules::evaluate(&probed.facts, &Question { user: self.user.clone() })
    }
}

fn plist_dict(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n{body}\n</dict>\n</plist>\n"
    )
}

const BYPASS_TRUE: &str = "<key>cachedaccounts.askForSecureTokenAuthBypass</key><true/>";
const BYPASS_FALSE: &str = "<key>cachedaccounts.askForSecureTokenAuthBypass</key><false/>";

fn finding(eval: &Evaluation, id: FindingId) -> Option<&rules::Finding> {
    eval.findings.iter().find(|f| f.id == id)
}

/// 10.13.4 ignores the bypass key: a preference file that cannot be read
/// cannot change the verdict, so it must not make it unknown.
#[test]
fn on_10_13_4_an_unreadable_mcx_file_does_not_matter() {
    let on_10_13_4 = || Mac::lab().edit(SourceId::SwVers, "10.13.6", "10.13.4");
    for mac in [
        on_10_13_4().set(SourceId::McxLocal, Capture::Missing),
        on_10_13_4().prints(SourceId::McxManaged, "not a plist"),
    ] {
        let eval = mac.check();
        let c = eval.condition(ConditionId::BypassKey);
        assert_eq!((c.met, c.confidence), (Some(false), Confidence::High), "{}", c.detail);
        assert!(c.detail.contains("ignores the bypass key"), "{}", c.detail);
        assert_eq!(eval.verdict, Verdict::WillAppear);
    }
    // From 10.13.5 on it could say true: the verdict cannot be told.
    let eval = Mac::lab().set(SourceId::McxLocal, Capture::Missing).check();
    assert_eq!(eval.condition(ConditionId::BypassKey).met, None);
    assert_eq!(eval.verdict, Verdict::Unknown);
}

#[test]
fn the_base_mac_shows_the_dialog() {
    let eval = Mac::lab().check();
    assert_eq!((eval.verdict, eval.confidence), (Verdict::WillAppear, Confidence::High));
}

#[test]
fn without_crypto_users_the_marker_decides_with_medium_confidence() {
    let eval = Mac::lab().set(SourceId::CryptoUsers, Capture::Missing).check();
    let c = eval.condition(ConditionId::SecuretokenAdmin);
    assert_eq!(
        (c.met, c.confidence, c.evidence),
        (Some(true), Confidence::Medium, Some(SourceId::LocalUsers))
    );
    assert_eq!((eval.verdict, eval.confidence), (Verdict::WillAppear, Confidence::Medium));
}

#[test]
fn without_crypto_users_marker_or_login_history_the_verdict_is_unknown() {
    let eval = Mac::lab()
        .set(SourceId::CryptoUsers, Capture::Missing)
        .edit(SourceId::LocalUsers, "<string>;SecureToken;</string>", "")
        .set(SourceId::Last, Capture::TimedOut(Output::default()))
        .check();
    assert_eq!(eval.condition(ConditionId::SecuretokenAdmin).met, None);
    assert_eq!(
        (eval.verdict, eval.deciding.as_slice()),
        (Verdict::Unknown, &[ConditionId::SecuretokenAdmin][..])
    );
}

#[test]
fn a_console_login_is_the_last_resort_evidence() {
    let eval = Mac::lab()
        .set(SourceId::CryptoUsers, Capture::Missing)
        .edit(SourceId::LocalUsers, "<string>;SecureToken;</string>", "")
        .check();
    let c = eval.condition(ConditionId::SecuretokenAdmin);
    assert_eq!((c.met, c.evidence), (Some(true), Some(SourceId::Last)));
}

#[test]
fn the_key_set_only_with_defaults_write_suppresses_with_low_confidence_and_a_warning() {
    let eval = Mac::lab().prints(SourceId::McxLocal, &plist_dict(BYPASS_TRUE)).check();
    let c = eval.condition(ConditionId::BypassKey);
    assert_eq!((c.met, c.confidence, c.evidence), (Some(true), Confidence::Low, Some(SourceId::McxLocal)));
    assert_eq!((eval.verdict, eval.confidence), (Verdict::Suppressed, Confidence::Low));
    assert!(finding(&eval, FindingId::BypassKeyUnmanaged).is_some());
}

#[test]
fn a_profile_saying_false_wins_over_defaults_write() {
    let eval = Mac::lab()
        .prints(SourceId::McxManaged, &plist_dict(BYPASS_FALSE))
        .prints(SourceId::McxLocal, &plist_dict(BYPASS_TRUE))
        .check();
    assert_eq!(eval.condition(ConditionId::BypassKey).met, Some(false));
    assert_eq!(eval.verdict, Verdict::WillAppear);
    assert!(finding(&eval, FindingId::BypassKeyUnmanaged).is_none());
}

#[test]
fn an_unreadable_managed_file_leaves_the_key_unknown() {
    let eval = Mac::lab()
        .set(SourceId::McxManaged, Capture::Failed("permission denied".into()))
        .prints(SourceId::McxLocal, &plist_dict(BYPASS_TRUE))
        .check();
    assert_eq!(eval.condition(ConditionId::BypassKey).met, None);
    assert_eq!((eval.verdict, eval.deciding.as_slice()), (Verdict::Unknown, &[ConditionId::BypassKey][..]));
}

#[test]
fn a_marker_without_a_crypto_user_is_reported() {
    let eval = Mac::lab().prints(SourceId::CryptoUsers, &plist_dict("<key>Users</key><array/>")).check();
    assert_eq!(eval.condition(ConditionId::SecuretokenAdmin).met, Some(false), "crypto-users is believed");
    assert_eq!(eval.verdict, Verdict::WillNotAppear);
    let f = finding(&eval, FindingId::SecuretokenMarkerMismatch).unwrap();
    assert_eq!(f.accounts, ["ladmin"]);
}

fn catalina(escrowed: &str) -> Mac {
    Mac::lab()
        .prints(SourceId::SwVers, "ProductName:\tMac OS X\nProductVersion:\t10.15.7\nBuildVersion:\t19H2\n")
        .prints(
            SourceId::BootstrapToken,
            &format!(
                "profiles: Bootstrap Token supported on server: YES\nprofiles: Bootstrap Token escrowed to server: {escrowed}\n"
            ),
        )
}

#[test]
fn catalina_without_an_escrowed_bootstrap_token_shows_the_dialog_and_says_why() {
    let eval = catalina("NO").check();
    assert_eq!(eval.condition(ConditionId::BootstrapToken).met, Some(false));
    assert_eq!(eval.verdict, Verdict::WillAppear);
    assert!(finding(&eval, FindingId::NoBootstrapToken).is_some());
    assert!(finding(&catalina("YES").check(), FindingId::NoBootstrapToken).is_none());
}

#[test]
fn a_missing_bootstrap_source_matters_only_from_10_15() {
    let eval = catalina("NO").set(SourceId::BootstrapToken, Capture::Missing).check();
    assert_eq!(
        (eval.verdict, eval.deciding.as_slice()),
        (Verdict::Unknown, &[ConditionId::BootstrapToken][..])
    );
    let eval = Mac::lab().set(SourceId::BootstrapToken, Capture::NotFound).check();
    assert_eq!(eval.verdict, Verdict::WillAppear);
}

#[test]
fn encryption_in_progress_counts_as_filevault_on() {
    let eval = Mac::lab()
        .prints(
            SourceId::FdesetupStatus,
            "FileVault is On.\nEncryption in progress: Percent completed = 12.50\n",
        )
        .check();
    assert_eq!(eval.filevault.on, Some(true));
    assert_eq!(eval.filevault.percent, Some(12.5));
    assert!(finding(&eval, FindingId::FilevaultBusy).is_some());
    assert!(finding(&eval, FindingId::BypassConsequence).is_some());
    assert!(finding(&eval, FindingId::SuppressOnSharedMacs).is_none());
}

#[test]
fn contradicting_filevault_sources_say_which_was_believed() {
    let eval = Mac::lab()
        .edit(SourceId::DiskutilInfo, "<key>FileVault</key>\n\t<false/>", "<key>FileVault</key>\n\t<true/>")
        .check();
    assert_eq!(eval.filevault.on, Some(false));
    assert!(eval.filevault.note.as_deref().unwrap().contains("believed fdesetup"));
}

#[test]
fn the_host_snapshot_corroborates_only_when_diskutil_cannot_answer() {
    let eval = Mac::lab().set(SourceId::DiskutilInfo, Capture::Failed("diskutil: timed out".into())).check();
    let c = eval.condition(ConditionId::Apfs);
    assert_eq!((c.met, c.confidence, c.evidence), (Some(true), Confidence::Low, Some(SourceId::Host)));
    assert_eq!((eval.verdict, eval.confidence), (Verdict::WillAppear, Confidence::Low));
    // An answering diskutil is never overridden by the snapshot.
    let eval = Mac::lab().edit(SourceId::Host, "\"apfs\"", "\"hfs\"").check();
    assert_eq!(eval.condition(ConditionId::Apfs).met, Some(true));
}

#[test]
fn an_ldap_bind_without_managed_create_at_login_is_not_certain() {
    let eval =
        Mac::lab().prints(SourceId::Dsconfigad, "").prints(SourceId::LdapNodes, "ldap.example.com\n").check();
    let c = eval.condition(ConditionId::MobileAccounts);
    assert_eq!((c.met, c.confidence), (Some(false), Confidence::Medium));
    assert_eq!((eval.verdict, eval.confidence), (Verdict::WillNotAppear, Confidence::Medium));
    assert!(finding(&eval, FindingId::NetworkAccounts).is_some());
}

#[test]
fn on_macos_11_and_later_the_dialog_itself_is_medium_confidence() {
    let eval = Mac::lab()
        .prints(SourceId::SwVers, "ProductName:\t\tmacOS\nProductVersion:\t\t14.0\nBuildVersion:\t\t23A344\n")
        .prints(
            SourceId::BootstrapToken,
            "profiles: Bootstrap Token supported on server: NO\nprofiles: Bootstrap Token escrowed to server: NO\n",
        )
        .check();
    assert_eq!(eval.condition(ConditionId::MacosVersion).confidence, Confidence::Medium);
    assert_eq!((eval.verdict, eval.confidence), (Verdict::WillAppear, Confidence::Medium));
}

#[test]
fn suppressing_the_dialog_on_a_filevault_mac_is_critical() {
    let eval = Mac::lab()
        .prints(SourceId::McxManaged, &plist_dict(BYPASS_TRUE))
        .prints(SourceId::FdesetupStatus, "FileVault is On.\n")
        .check();
    assert_eq!(eval.verdict, Verdict::Suppressed);
    assert_eq!(finding(&eval, FindingId::SuppressedOnFilevault).unwrap().severity, Severity::Critical);
}

#[test]
fn an_existing_local_record_means_no_dialog_for_that_user() {
    let mut mac = Mac::lab();
    mac.user = Some("LADMIN".into());
    let eval = mac.check();
    assert_eq!(eval.condition(ConditionId::NewAccount).met, Some(false), "names match case-insensitively");
    assert_eq!(eval.verdict, Verdict::WillNotAppear);
    mac.user = Some("newperson".into());
    assert_eq!(mac.check().verdict, Verdict::WillAppear);
}

/// Any RecordName logs in to its record: a second name is an existing
/// account too, and the findings about that account put it first.
#[test]
fn a_record_is_found_by_any_of_its_names() {
    let lab = Mac::lab().edit(
        SourceId::LocalUsers,
        "<string>ladmin</string>\n",
        "<string>ladmin</string>\n\t\t\t<string>Local Admin</string>\n",
    );
    let mut mac = lab;
    mac.user = Some("local admin".into());
    let eval = mac.check();
    let c = eval.condition(ConditionId::NewAccount);
    assert_eq!(c.met, Some(false));
    assert!(c.detail.contains("a name of the local record ladmin"), "{}", c.detail);
    assert_eq!(eval.verdict, Verdict::WillNotAppear);
}

#[test]
fn the_asked_mobile_account_leads_the_bypassed_finding_under_any_of_its_names() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bypassed-mobile-user");
    let mac = Mac { captures: bundle::load(&dir).unwrap().captures, user: Some("MYDOMAIN\\jdoe".into()) };
    // jdoe's record, with the domain-qualified name as a second RecordName.
    let mut mac = mac.edit(
        SourceId::LocalUsers,
        "<string>jdoe</string>\n",
        "<string>jdoe</string>\n\t\t\t<string>MYDOMAIN\\jdoe</string>\n",
    );
    let eval = mac.check();
    assert_eq!(eval.condition(ConditionId::NewAccount).met, Some(false));
    let f = finding(&eval, FindingId::BypassedMobileAccounts).unwrap();
    assert!(f.message.starts_with("jdoe's mobile account"), "{}", f.message);
    mac.user = Some("someone-else".into());
    let f = finding(&mac.check(), FindingId::BypassedMobileAccounts).map(|f| f.message.clone()).unwrap();
    assert!(!f.starts_with("jdoe's"), "{f}");
}

/// The findings read the macOS version where the conditions do: sw_vers,
/// or the host snapshot when sw_vers did not answer.
#[test]
fn version_findings_fall_back_on_the_host_snapshot_like_the_conditions() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bypass-key-10.13.4");
    let answered = Mac { captures: bundle::load(&dir).unwrap().captures, user: None };
    let f = finding(&answered.check(), FindingId::BypassKeyIgnored).unwrap().message.clone();
    assert!(f.contains("macOS 10.13.4 ignores it"), "{f}");

    // What sysinfo writes on a Mac: the kernel's name.
    let host = r#"{"host_name":"m","os_name":"Darwin","os_version":"10.13.4","kernel_version":"17.5.0","cpu_arch":"x86_64","root_filesystem":"apfs"}"#;
    let eval = Mac { captures: bundle::load(&dir).unwrap().captures, user: None }
        .set(SourceId::SwVers, Capture::Missing)
        .prints(SourceId::Host, host)
        .check();
    let c = eval.condition(ConditionId::BypassKey);
    assert_eq!(c.met, Some(false), "{}", c.detail);
    let f = finding(&eval, FindingId::BypassKeyIgnored).unwrap();
    assert!(f.message.contains("10.13.4 (by the host snapshot"), "{}", f.message);

    let f = finding(&catalina("NO").check(), FindingId::NoBootstrapToken).unwrap().message.clone();
    assert!(f.contains("on this macOS 10.15.7,"), "{f}");
    let host = host.replace("10.13.4", "10.15.7");
    let eval = catalina("NO").set(SourceId::SwVers, Capture::Missing).prints(SourceId::Host, &host).check();
    let f = finding(&eval, FindingId::NoBootstrapToken).unwrap();
    assert!(f.message.contains("10.15.7 (by the host snapshot"), "{}", f.message);
}

/// `last` cut at the capture limit keeps the newest logins: an admin's
/// console login in it still counts, but finding none proves nothing, since
/// the first login may be among the cut-off oldest ones.
#[test]
fn a_login_history_cut_at_the_capture_limit_can_only_say_yes() {
    let cut = |text: &str| {
        Capture::Done(Output { stdout: text.as_bytes().to_vec(), truncated: true, ..Output::default() })
    };
    let without_token_evidence = || {
        Mac::lab().set(SourceId::CryptoUsers, Capture::Missing).edit(
            SourceId::LocalUsers,
            "<string>;SecureToken;</string>",
            "",
        )
    };
    // Newest first; the last line was cut mid-way by the limit.
    let eval = without_token_evidence()
        .set(SourceId::Last, cut("jdoe      ttys000   Mon Mar  9 08:55 - 17:31  (08:36)\nladmin    cons"))
        .check();
    let c = eval.condition(ConditionId::SecuretokenAdmin);
    assert_eq!(c.met, None, "{}", c.detail);
    assert!(c.detail.contains("part of `last` that was captured"), "{}", c.detail);
    assert_eq!(eval.verdict, Verdict::Unknown);

    let eval = without_token_evidence()
        .set(SourceId::Last, cut("ladmin    console   Mon Mar  9 08:55 - 17:31  (08:36)\nladmin    cons"))
        .check();
    let c = eval.condition(ConditionId::SecuretokenAdmin);
    assert_eq!((c.met, c.evidence), (Some(true), Some(SourceId::Last)), "{}", c.detail);
    assert_eq!(eval.verdict, Verdict::WillAppear);
}
