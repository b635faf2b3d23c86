#![no_main]
//! x-amzn-trace-id: what parses re-encodes (always, whatever the origin) and parses to the same
//! 128-bit id, with a clean origin unchanged; a writer without room gets nothing.
use libfuzzer_sys::fuzz_target;
use tracewire::format::{xray, Text};
use tracewire::wire::buf::Writer;

fuzz_target!(|data: &[u8]| {
    if let Ok(x) = xray::parse(data) {
        let _ = x.extra().count();
        if let (Some(t), Some(s)) = (x.trace_id_128(), x.parent) {
            let mut buf = [0u8; xray::MAX_LEN];
            let mut out = Writer::new(&mut buf);
            let r = xray::encode(t, s, x.sampling_priority(), x.origin.map(Text::plain), &mut out)
                .expect("MAX_LEN holds every value");
            let again = xray::parse(out.written()).expect("own output parses");
            assert_eq!(again.trace_id_128(), Some(t));
            assert_eq!(again.parent, Some(s));
            assert!(tracewire::wire::is_field_value(out.written()));
            if !r.origin_sanitized && !r.origin_dropped {
                assert_eq!(again.origin, x.origin.filter(|o| !o.is_empty()));
            }
            let len = out.len();
            let mut short = [0u8; xray::MAX_LEN];
            let mut w = Writer::new(&mut short[..len - 1]);
            assert!(xray::encode(t, s, x.sampling_priority(), x.origin.map(Text::plain), &mut w).is_err());
            assert!(w.is_empty());
        }
    }
});
