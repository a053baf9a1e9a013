//! Each condition of the decision, from the facts. A condition is unknown
//! only when the facts it needs are; its detail then says which source
//! failed and why.

use super::accounts::Account;
use super::catalog::ConditionId;
use super::tri::{self, Tri};
use super::{Condition, Confidence, Question};
use crate::probes::Facts;
use crate::probes::sw_vers::Version;
use crate::source::SourceId;

/// The dialog first appeared in this release.
pub const DIALOG_SINCE: Version = Version::new(10, 13, 4);
/// The bypass key is honoured from this release.
pub const BYPASS_KEY_SINCE: Version = Version::new(10, 13, 5);
/// The first release without a first-hand report of the dialog.
const BIG_SUR: Version = Version::new(11, 0, 0);
/// The bootstrap token exists from this release.
pub const BOOTSTRAP_SINCE: Version = Version::new(10, 15, 0);

pub fn evaluate(facts: &Facts, accounts: Option<&[Account]>, question: &Question) -> Vec<Condition> {
    let os = os_version(facts);
    vec![
        macos_version(facts, os),
        apfs(facts),
        directory_bound(facts),
        mobile_accounts(facts),
        securetoken_admin(facts, accounts),
        new_account(facts, question),
        bypass_key(facts, os),
        bootstrap_token(facts, os),
    ]
}

fn condition(
    id: ConditionId,
    met: Tri,
    confidence: Confidence,
    detail: String,
    sources: &[SourceId],
) -> Condition {
    Condition { id, met, confidence, detail, sources: sources.to_vec(), evidence: None }
}

fn unknown(id: ConditionId, detail: String, sources: &[SourceId]) -> Condition {
    condition(id, None, Confidence::Low, detail, sources)
}

/// The macOS version, from sw_vers or, failing that, the host snapshot.
#[derive(Clone, Copy)]
pub struct Os {
    pub version: Version,
    pub confidence: Confidence,
    pub from_host: bool,
}

/// The one place the rules read the macOS version, for the conditions and
/// the findings alike.
pub fn os_version(facts: &Facts) -> Option<Os> {
    if let Some(os) = facts.os.known() {
        return Some(Os { version: os.version, confidence: Confidence::High, from_host: false });
    }
    let host = facts.host.known()?;
    // sysinfo names macOS by its kernel ("Darwin"); a hand-made snapshot may say "macOS".
    let is_mac = host.os_name.as_deref().is_some_and(|n| {
        let n = n.to_ascii_lowercase();
        n.contains("mac") || n == "darwin"
    });
    let version = Version::parse(host.os_version.as_deref()?)?;
    is_mac.then_some(Os { version, confidence: Confidence::Low, from_host: true })
}

fn macos_version(facts: &Facts, os: Option<Os>) -> Condition {
    let id = ConditionId::MacosVersion;
    let Some(os) = os else {
        let why = facts.os.why_unknown().unwrap_or_default();
        return unknown(id, why, &[SourceId::SwVers]);
    };
    let met = os.version >= DIALOG_SINCE;
    let build =
        facts.os.known().and_then(|o| o.build.as_deref()).map(|b| format!(" ({b})")).unwrap_or_default();
    let mut detail = if met {
        format!("macOS {}{build}: the dialog exists from 10.13.4", os.version)
    } else {
        format!("macOS {}{build} is older than 10.13.4, which added the dialog", os.version)
    };
    let mut sources = vec![SourceId::SwVers];
    if os.from_host {
        detail.push_str(&format!(
            "; from the host snapshot, as {}",
            facts.os.why_unknown().unwrap_or_default()
        ));
        sources.push(SourceId::Host);
    }
    // No first-hand report of the dialog after 2021 was found; that it still
    // appears on 11+ is what the unchanged payload and logic imply.
    let confidence =
        if met && os.version >= BIG_SUR { os.confidence.min(Confidence::Medium) } else { os.confidence };
    if met && os.version >= BIG_SUR {
        detail
            .push_str(" (for 11 and later, by the unchanged MobileAccounts payload, not by a recent report)");
    }
    let mut c = condition(id, Some(met), confidence, detail, &sources);
    c.evidence = Some(if os.from_host { SourceId::Host } else { SourceId::SwVers });
    c
}

fn apfs(facts: &Facts) -> Condition {
    let id = ConditionId::Apfs;
    if let Some(vol) = facts.boot_volume.known() {
        let detail = if vol.is_apfs() {
            "the boot volume is APFS".to_string()
        } else {
            format!("the boot volume is {}, not APFS: the dialog only appears on APFS", vol.filesystem)
        };
        let mut c = condition(id, Some(vol.is_apfs()), Confidence::High, detail, &[SourceId::DiskutilInfo]);
        c.evidence = Some(SourceId::DiskutilInfo);
        return c;
    }
    let why = facts.boot_volume.why_unknown().unwrap_or_default();
    match facts.host.known().and_then(|h| h.root_filesystem.as_deref()) {
        Some(fs) => {
            let is_apfs = fs.eq_ignore_ascii_case("apfs");
            let detail = format!("the host snapshot says / is {fs}; {why}");
            let mut c = condition(
                id,
                Some(is_apfs),
                Confidence::Low,
                detail,
                &[SourceId::DiskutilInfo, SourceId::Host],
            );
            c.evidence = Some(SourceId::Host);
            c
        }
        None => unknown(id, why, &[SourceId::DiskutilInfo]),
    }
}

fn directory_bound(facts: &Facts) -> Condition {
    let id = ConditionId::DirectoryBound;
    let sources = [SourceId::Dsconfigad, SourceId::LdapNodes];
    let ad = facts.active_directory.known();
    let ldap = facts.ldap_servers.known();
    let met = tri::or([ad.map(|a| a.is_bound()), ldap.map(|l| !l.is_empty())]);
    let mut parts = Vec::new();
    match ad {
        Some(a) => match &a.domain {
            Some(domain) => parts.push(format!("bound to Active Directory domain {domain}")),
            None => parts.push("not bound to Active Directory".to_string()),
        },
        None => parts.push(facts.active_directory.why_unknown().unwrap_or_default()),
    }
    match ldap {
        Some(servers) if !servers.is_empty() => parts.push(format!("bound to LDAP {}", servers.join(", "))),
        Some(_) => parts.push("no LDAP server".to_string()),
        None => parts.push(facts.ldap_servers.why_unknown().unwrap_or_default()),
    }
    let mut c = condition(id, met, Confidence::High, parts.join("; "), &sources);
    c.evidence = match (ad.is_some_and(|a| a.is_bound()), ldap.is_some_and(|l| !l.is_empty())) {
        (true, _) => Some(SourceId::Dsconfigad),
        (false, true) => Some(SourceId::LdapNodes),
        _ => None,
    };
    if met.is_none() {
        c.confidence = Confidence::Low;
    }
    c
}

fn mobile_accounts(facts: &Facts) -> Condition {
    let id = ConditionId::MobileAccounts;
    let sources = [SourceId::Dsconfigad, SourceId::McxManaged];
    let ad = facts.active_directory.known();
    let ad_mobile: Tri = ad.and_then(|a| if a.is_bound() { a.create_mobile_account } else { Some(false) });
    let mcx: Tri = facts.mcx_managed.known().map(|m| m.create_at_login == Some(true));
    let met = tri::or([ad_mobile, mcx]);
    let mut parts = Vec::new();
    match (ad, ad_mobile) {
        (Some(a), Some(on)) if a.is_bound() => parts.push(format!(
            "dsconfigad: Create mobile account at login = {}",
            if on { "Enabled" } else { "Disabled" }
        )),
        (Some(_), Some(_)) => parts.push("not bound to Active Directory".to_string()),
        (Some(_), None) => {
            parts.push("dsconfigad: bound, but no `Create mobile account at login` line".to_string())
        }
        (None, _) => parts.push(facts.active_directory.why_unknown().unwrap_or_default()),
    }
    match mcx {
        Some(true) => {
            parts.push("managed com.apple.MCX sets com.apple.cachedaccounts.CreateAtLogin".to_string())
        }
        Some(false) => parts.push("no managed CreateAtLogin".to_string()),
        None => parts.push(facts.mcx_managed.why_unknown().unwrap_or_default()),
    }
    let ldap_bound = facts.ldap_servers.known().is_some_and(|l| !l.is_empty());
    let (confidence, evidence) = match (ad_mobile, mcx) {
        (Some(true), _) => (Confidence::High, Some(SourceId::Dsconfigad)),
        (_, Some(true)) => (Confidence::Medium, Some(SourceId::McxManaged)),
        // An LDAP directory can also deliver CreateAtLogin as directory MCX,
        // which no source here can see.
        (Some(false), Some(false)) if ldap_bound => {
            parts.push("directory-delivered MCX, if the LDAP server sends any, is not visible here".into());
            (Confidence::Medium, None)
        }
        (Some(false), Some(false)) => (Confidence::High, None),
        _ => (Confidence::Low, None),
    };
    let mut c = condition(id, met, confidence, parts.join("; "), &sources);
    c.evidence = evidence;
    c
}

fn securetoken_admin(facts: &Facts, accounts: Option<&[Account]>) -> Condition {
    let id = ConditionId::SecuretokenAdmin;
    let base = [SourceId::LocalUsers, SourceId::AdminGroup, SourceId::CryptoUsers];
    let admins: Option<Vec<&Account>> = match (accounts, facts.admin_group.known()) {
        (Some(accounts), Some(_)) => Some(accounts.iter().filter(|a| a.is_local_admin()).collect()),
        _ => None,
    };
    let admins_unknown = || {
        [&facts.local_users.why_unknown(), &facts.admin_group.why_unknown()]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("; ")
    };
    let names = |list: &[&Account]| list.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");

    if let Some(crypto) = facts.crypto_users.known() {
        let user_count = crypto.iter().filter(|u| u.is_user()).count();
        let (met, detail) = if user_count == 0 {
            (
                Some(false),
                "no account holds a SecureToken on this volume (crypto-users lists no user)".to_string(),
            )
        } else if let Some(admins) = &admins {
            let holders: Vec<&Account> =
                admins.iter().copied().filter(|a| a.securetoken == Some(true)).collect();
            if holders.is_empty() {
                let who = if admins.is_empty() {
                    "there is no local administrator".to_string()
                } else {
                    format!("local administrators {} hold none", names(admins))
                };
                (Some(false), format!("{user_count} SecureToken holder(s) on the volume, but {who}"))
            } else {
                (Some(true), format!("{} holds a SecureToken (crypto-users)", names(&holders)))
            }
        } else {
            (
                None,
                format!(
                    "{user_count} SecureToken holder(s), but the local administrators are unknown: {}",
                    admins_unknown()
                ),
            )
        };
        let confidence = if met.is_some() { Confidence::High } else { Confidence::Low };
        let mut c = condition(id, met, confidence, detail, &base);
        c.evidence = met.map(|_| SourceId::CryptoUsers);
        return c;
    }

    let crypto_why = facts.crypto_users.why_unknown().unwrap_or_default();
    let Some(admins) = admins else {
        return unknown(id, format!("{}; {crypto_why}", admins_unknown()), &base);
    };
    if admins.is_empty() {
        let mut c =
            condition(id, Some(false), Confidence::Medium, "there is no local administrator".into(), &base);
        c.evidence = Some(SourceId::AdminGroup);
        return c;
    }
    let marked: Vec<&Account> = admins.iter().copied().filter(|a| a.securetoken_marker).collect();
    if !marked.is_empty() {
        let detail = format!("{} carries the ;SecureToken; marker ({crypto_why})", names(&marked));
        let mut c = condition(id, Some(true), Confidence::Medium, detail, &base);
        c.evidence = Some(SourceId::LocalUsers);
        return c;
    }
    let with_last = [SourceId::LocalUsers, SourceId::AdminGroup, SourceId::CryptoUsers, SourceId::Last];
    let Some(history) = facts.logins.known() else {
        let detail = format!(
            "no local administrator carries the ;SecureToken; marker, and neither tells: {crypto_why}; {}",
            facts.logins.why_unknown().unwrap_or_default()
        );
        return unknown(id, detail, &with_last);
    };
    let logged_in: Vec<&Account> =
        admins.iter().copied().filter(|a| a.console_logins.unwrap_or(0) > 0).collect();
    if logged_in.is_empty() && !history.complete {
        // The oldest logins are the ones cut off: the first may be among them.
        let detail = format!(
            "no local administrator ({}) carries the marker or has logged in at the console in the part of `last` that was captured (cut at the capture limit; {crypto_why})",
            names(&admins)
        );
        return unknown(id, detail, &with_last);
    }
    let (met, detail) = if logged_in.is_empty() {
        (
            false,
            format!(
                "no local administrator ({}) carries the marker or has logged in at the console ({crypto_why})",
                names(&admins)
            ),
        )
    } else {
        (
            true,
            format!(
                "{} has logged in at the console, which gave it a SecureToken ({crypto_why})",
                names(&logged_in)
            ),
        )
    };
    let mut c = condition(id, Some(met), Confidence::Medium, detail, &with_last);
    c.evidence = Some(SourceId::Last);
    c
}

fn new_account(facts: &Facts, question: &Question) -> Condition {
    let id = ConditionId::NewAccount;
    let Some(user) = &question.user else {
        let detail = "assumed: the next directory user who has never logged in on this Mac (pass --user NAME to check one account)";
        return condition(id, Some(true), Confidence::High, detail.into(), &[]);
    };
    let Some(users) = facts.local_users.known() else {
        let detail = format!(
            "cannot tell whether {user} already has a local record: {}",
            facts.local_users.why_unknown().unwrap_or_default()
        );
        return unknown(id, detail, &[SourceId::LocalUsers]);
    };
    // Any RecordName logs in to the record, so any of them means it exists.
    let existing = users.iter().find(|u| u.answers_to(user));
    let who = match existing {
        Some(u) if !u.name.eq_ignore_ascii_case(user) => {
            format!("{user} (a name of the local record {})", u.name)
        }
        _ => user.clone(),
    };
    let (met, detail) = match existing {
        Some(u) if u.is_mobile() => {
            (false, format!("{who} already has a mobile account here; the dialog does not come back for it"))
        }
        Some(_) => {
            (false, format!("{who} already has a local record here; its account is not being created"))
        }
        None => (true, format!("{who} has no local record yet: the next login creates the mobile account")),
    };
    let mut c = condition(id, Some(met), Confidence::High, detail, &[SourceId::LocalUsers]);
    c.evidence = Some(SourceId::LocalUsers);
    c
}

/// Where the bypass key is set, if it is: the managed file wins when it says
/// anything, since a profile's setting is the documented one.
pub fn bypass_setting(facts: &Facts) -> Result<Option<SourceId>, String> {
    let managed = facts.mcx_managed.known().map(|m| m.bypass);
    let local = facts.mcx_local.known().map(|m| m.bypass);
    match (managed, local) {
        (Some(Some(true)), _) => Ok(Some(SourceId::McxManaged)),
        (Some(Some(false)), _) => Ok(None),
        // The managed file could say false and win; unreadable, it cannot be ruled out.
        (None, _) => Err(facts.mcx_managed.why_unknown().unwrap_or_default()),
        (Some(None), Some(Some(true))) => Ok(Some(SourceId::McxLocal)),
        (Some(None), Some(_)) => Ok(None),
        (Some(None), None) => Err(facts.mcx_local.why_unknown().unwrap_or_default()),
    }
}

fn bypass_key(facts: &Facts, os: Option<Os>) -> Condition {
    let id = ConditionId::BypassKey;
    let sources = [SourceId::McxManaged, SourceId::McxLocal, SourceId::SwVers];
    let setting = match (bypass_setting(facts), os) {
        (Ok(setting), _) => setting,
        // This macOS ignores the key whatever it says: not knowing it changes nothing.
        (Err(why), Some(os)) if os.version < BYPASS_KEY_SINCE => {
            let detail = format!(
                "macOS {} ignores the bypass key (honoured from 10.13.5), so whether it is set does not matter ({why})",
                os.version
            );
            return condition(id, Some(false), os.confidence, detail, &sources);
        }
        (Err(why), _) => {
            return unknown(id, format!("cannot tell whether the bypass key is set: {why}"), &sources);
        }
    };
    let Some(found_in) = setting else {
        let explicitly_false = facts.mcx_managed.known().and_then(|m| m.bypass) == Some(false);
        let detail = if explicitly_false {
            "a configuration profile sets cachedaccounts.askForSecureTokenAuthBypass to false".to_string()
        } else {
            "cachedaccounts.askForSecureTokenAuthBypass is not set in com.apple.MCX".to_string()
        };
        return condition(id, Some(false), Confidence::High, detail, &sources);
    };
    let (place, key_confidence) = match found_in {
        SourceId::McxManaged => ("a configuration profile (managed com.apple.MCX)", Confidence::High),
        _ => (
            "/Library/Preferences/com.apple.MCX.plist only (defaults write; not documented to work)",
            Confidence::Low,
        ),
    };
    let mut c = match os {
        None => unknown(
            id,
            format!(
                "the bypass key is set in {place}, but the macOS version is unknown: {}",
                facts.os.why_unknown().unwrap_or_default()
            ),
            &sources,
        ),
        Some(os) if os.version >= BYPASS_KEY_SINCE => condition(
            id,
            Some(true),
            key_confidence.min(os.confidence),
            format!("the bypass key is set in {place}; macOS {} honours it", os.version),
            &sources,
        ),
        Some(os) => condition(
            id,
            Some(false),
            os.confidence,
            format!(
                "the bypass key is set in {place}, but macOS {} ignores it (honoured from 10.13.5)",
                os.version
            ),
            &sources,
        ),
    };
    c.evidence = Some(found_in);
    c
}

fn bootstrap_token(facts: &Facts, os: Option<Os>) -> Condition {
    let id = ConditionId::BootstrapToken;
    let sources = [SourceId::BootstrapToken, SourceId::SwVers];
    if let Some(os) = os.filter(|os| os.version < BOOTSTRAP_SINCE) {
        let detail = format!("macOS {} predates the bootstrap token (10.15)", os.version);
        return condition(id, Some(false), os.confidence, detail, &sources);
    }
    let escrowed = facts.bootstrap.known().and_then(|b| b.escrowed);
    let mut c = match (escrowed, os) {
        (Some(false), _) => condition(
            id,
            Some(false),
            Confidence::High,
            "no bootstrap token is escrowed to the MDM server".into(),
            &sources,
        ),
        (Some(true), Some(os)) => condition(
            id,
            Some(true),
            Confidence::Medium.min(os.confidence),
            format!(
                "the bootstrap token is escrowed and macOS {} uses it to give mobile accounts a SecureToken at login",
                os.version
            ),
            &sources,
        ),
        (Some(true), None) => unknown(
            id,
            format!(
                "a bootstrap token is escrowed, but the macOS version is unknown: {}",
                facts.os.why_unknown().unwrap_or_default()
            ),
            &sources,
        ),
        (None, _) => {
            unknown(id, facts.bootstrap.why_unknown().unwrap_or_else(|| "no escrow status".into()), &sources)
        }
    };
    if c.met.is_some() {
        c.evidence = Some(SourceId::BootstrapToken);
    }
    c
}
