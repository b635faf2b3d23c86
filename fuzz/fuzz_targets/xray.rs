#![no_main]
//! x-amzn-trace-id: what parses re-encodes (always, whatever the origin) and parses to the same
//! 128-bit id, with a clean origin unchanged.
use libfuzzer_sys::fuzz_target;
use tracewire::format::{xray, Text};
use tracewire::wire::buf::ArrayBuf;

fuzz_target!(|data: &[u8]| {
    if let Ok(x) = xray::parse(data) {
        let _ = x.extra().count();
        if let (Some(t), Some(s)) = (x.trace_id_128(), x.parent) {
            let mut out = ArrayBuf::new();
            let r = xray::encode(t, s, x.sampling_priority(), x.origin.map(Text::plain), &mut out);
            let again = xray::parse(out.as_bytes()).expect("own output parses");
            assert_eq!(again.trace_id_128(), Some(t));
            assert_eq!(again.parent, Some(s));
            assert!(tracewire::wire::is_field_value(out.as_bytes()));
            if !r.origin_sanitized && !r.origin_dropped {
                assert_eq!(again.origin, x.origin.filter(|o| !o.is_empty()));
            }
        }
    }
});
