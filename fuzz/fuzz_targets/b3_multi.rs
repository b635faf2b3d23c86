#![no_main]
//! x-b3-* headers: five values split at 0xff.
use libfuzzer_sys::fuzz_target;
use tracewire::format::b3::{self, B3MultiInput};

fuzz_target!(|data: &[u8]| {
    let mut p = data.split(|&b| b == 0xff);
    let input = B3MultiInput {
        trace_id: p.next(),
        span_id: p.next(),
        sampled: p.next(),
        flags: p.next(),
        parent_span_id: p.next(),
    };
    if let Ok(Some(b)) = b3::parse_multi(&input) {
        if let Some((t, Some(s))) = b.ids {
            let mut out = b3::MultiOut::default();
            b3::encode_multi(t, s, b.sampling, &mut out);
            let mut again = B3MultiInput::default();
            out.for_each(|n, v| match n {
                "x-b3-traceid" => again.trace_id = Some(v),
                "x-b3-spanid" => again.span_id = Some(v),
                "x-b3-sampled" => again.sampled = Some(v),
                "x-b3-flags" => again.flags = Some(v),
                _ => {}
            });
            let e = b3::parse_multi(&again).unwrap().unwrap();
            assert_eq!(e.ids, b.ids);
            assert_eq!(e.sampling, b.sampling);
        }
    }
});
