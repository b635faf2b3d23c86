#![no_main]
//! The written-bytes oracle (`tests/oracle/mod.rs`, shared with the `written_bytes` property
//! test): whatever comes in, under any multi-style configuration, what `inject` and `forward`
//! write is valid, bounded, all or nothing, and re-extracts to the same context in every style.
use libfuzzer_sys::fuzz_target;

#[path = "../../tests/oracle/mod.rs"]
mod oracle;

fuzz_target!(|data: &[u8]| oracle::check(data));
