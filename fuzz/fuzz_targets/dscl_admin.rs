//! `probes::dscl::parse_admin_group`: the bytes as stdout of a successful
//! run, and as stderr of a failed one (the parser reads both).
#![no_main]

use libfuzzer_sys::fuzz_target;
use st_preflight::host::Output;
use st_preflight::probes::dscl;

fuzz_target!(|data: &[u8]| {
    let _ = dscl::parse_admin_group(&Output { stdout: data.to_vec(), ..Output::default() });
    let _ = dscl::parse_admin_group(&Output { stderr: data.to_vec(), exit: 181, ..Output::default() });
});
