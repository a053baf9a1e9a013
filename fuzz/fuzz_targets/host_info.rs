//! `probes::host_info::parse` on arbitrary stdout: must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use st_preflight::host::Output;

fuzz_target!(|data: &[u8]| {
    let out = Output { stdout: data.to_vec(), ..Output::default() };
    let _ = st_preflight::probes::host_info::parse(&out);
});
