#![no_main]
//! Configuration strings: values for every variable, split at 0xff.
use libfuzzer_sys::fuzz_target;
use tracewire::config::{vars, Config};

fuzz_target!(|data: &[u8]| {
    let values: Vec<Option<&str>> = data
        .split(|&b| b == 0xff)
        .map(|v| core::str::from_utf8(v).ok())
        .chain(core::iter::repeat(None))
        .take(vars::ALL.len())
        .collect();
    let (cfg, report) = Config::from_lookup(|k| vars::ALL.iter().position(|v| *v == k).and_then(|i| values[i]));
    assert!(cfg.x_datadog_tags_max_len() <= 512);
    assert!(cfg.limits.baggage_max_bytes <= 8192);
    let _ = report.issues().count();
});
