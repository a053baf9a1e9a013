//! The local accounts as the rules see them: who is an admin, who is a
//! mobile account, who holds a SecureToken and by what evidence.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::probes::Facts;
use crate::source::SourceId;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Account {
    pub name: String,
    pub uid: Option<i64>,
    pub generated_uid: Option<String>,
    pub real_name: Option<String>,
    /// Member of `admin`; `None` when the admin group is unknown.
    pub admin: Option<bool>,
    pub mobile: bool,
    /// The directory node a mobile account came from.
    pub directory_node: Option<String>,
    /// Holds a SecureToken; `None` when nothing can tell.
    pub securetoken: Option<bool>,
    /// What `securetoken` is based on: `crypto-users` or `local-users` (the marker).
    pub securetoken_evidence: Option<SourceId>,
    pub securetoken_marker: bool,
    /// Console logins in `last`; `None` when the history is unknown.
    pub console_logins: Option<u64>,
}

impl Account {
    /// A local administrator in the sense of the `securetoken-admin` rule.
    pub fn is_local_admin(&self) -> bool {
        self.admin == Some(true) && !self.mobile
    }
}

/// The people accounts of the local node (not root, `_` service accounts,
/// daemon or nobody), or `None` when the local records are unknown.
pub fn accounts(facts: &Facts) -> Option<Vec<Account>> {
    let users = facts.local_users.known()?;
    let admins: Option<HashSet<&str>> =
        facts.admin_group.known().map(|m| m.iter().map(String::as_str).collect());
    let holders: Option<HashSet<String>> = facts
        .crypto_users
        .known()
        .map(|users| users.iter().filter(|u| u.is_user()).map(|u| u.uuid.to_ascii_uppercase()).collect());
    let logins = facts.logins.known();
    let accounts = users
        .iter()
        .filter(|u| !u.is_system() && u.name != "daemon" && u.name != "nobody")
        .map(|u| {
            let marker = u.has_token_marker();
            let (securetoken, evidence) = match &holders {
                Some(holders) => {
                    let holds =
                        u.generated_uid.as_ref().is_some_and(|g| holders.contains(&g.to_ascii_uppercase()));
                    (Some(holds), Some(SourceId::CryptoUsers))
                }
                None if marker => (Some(true), Some(SourceId::LocalUsers)),
                None => (None, None),
            };
            Account {
                name: u.name.clone(),
                uid: u.uid,
                generated_uid: u.generated_uid.clone(),
                real_name: u.real_name.clone(),
                admin: admins.as_ref().map(|a| a.contains(u.name.as_str())),
                mobile: u.is_mobile(),
                directory_node: u.is_mobile().then(|| u.directory_node()).flatten(),
                securetoken,
                securetoken_evidence: evidence,
                securetoken_marker: marker,
                console_logins: logins.map(|l| l.console_logins(&u.name)),
            }
        })
        .collect();
    Some(accounts)
}
