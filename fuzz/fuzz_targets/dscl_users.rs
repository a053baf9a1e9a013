//! `probes::dscl::parse_users` on arbitrary stdout: must return, never panic,
//! and read exactly as the general plist reader alone does (the fast XML
//! reader may only decline, never read differently).
#![no_main]

use libfuzzer_sys::fuzz_target;
use st_preflight::host::Output;
use st_preflight::probes::dscl;

fuzz_target!(|data: &[u8]| {
    let out = Output { stdout: data.to_vec(), ..Output::default() };
    let parsed = dscl::parse_users(&out);
    assert_eq!(parsed, dscl::parse_users_generally(&out), "the two readers disagree");
    if let Ok(users) = parsed {
        // The accessors the rules call on every record.
        for u in &users {
            let _ = (u.is_mobile(), u.directory_node(), u.has_token_marker(), u.is_system());
        }
    }
});
