#![no_main]
//! x-b3-* headers: five values split at 0xff; what parses with ids re-encodes, header by header,
//! and parses to the same ids and decision.
use libfuzzer_sys::fuzz_target;
use tracewire::format::b3::{self, B3MultiInput};
use tracewire::wire::buf::Writer;

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
            let (mut tb, mut sb) = ([0u8; b3::TRACE_ID_MAX_LEN], [0u8; b3::SPAN_ID_LEN]);
            let (mut tw, mut sw) = (Writer::new(&mut tb), Writer::new(&mut sb));
            b3::encode_trace_id(t, &mut tw).unwrap();
            b3::encode_span_id(s, &mut sw).unwrap();
            let mut again = B3MultiInput {
                trace_id: Some(tw.written()),
                span_id: Some(sw.written()),
                ..B3MultiInput::default()
            };
            match b.sampling.map(b3::sampling_header) {
                None => {}
                Some(("x-b3-sampled", v)) => again.sampled = Some(v),
                Some(("x-b3-flags", v)) => again.flags = Some(v),
                Some((n, _)) => panic!("not a sampling header: {n}"),
            }
            let e = b3::parse_multi(&again).unwrap().unwrap();
            assert_eq!(e.ids, b.ids);
            assert_eq!(e.sampling, b.sampling);
        }
    }
});
