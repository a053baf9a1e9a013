//! Whole-bundle evaluation: captures → probes → rules → report (JSON and
//! table), with no file system in between. The input layout is described in
//! `tests/support/bundle_input.rs`, which the regression replay shares.
#![no_main]

#[path = "../../tests/support/bundle_input.rs"]
mod bundle_input;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| bundle_input::check(data));
