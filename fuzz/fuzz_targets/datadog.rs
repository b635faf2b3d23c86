#![no_main]
//! x-datadog-* headers: four values split at 0xff; what parses re-encodes, header by header, and
//! parses again; an origin is written whole or not at all.
use libfuzzer_sys::fuzz_target;
use tracewire::format::datadog::{self, DatadogInput, EncodedOrigin};
use tracewire::format::Text;
use tracewire::wire::buf::Writer;
use tracewire::{SpanId, TraceId};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.split(|&b| b == 0xff);
    let input = DatadogInput {
        trace_id: parts.next(),
        parent_id: parts.next(),
        sampling_priority: parts.next(),
        origin: parts.next(),
    };
    if let Ok(Some(d)) = datadog::parse(&input) {
        let t = TraceId::new(u128::from(d.trace_id_low.get())).unwrap();
        let s = d.parent_id.unwrap_or(SpanId::new(1).unwrap());
        let (mut tb, mut pb, mut sb) = ([0u8; datadog::ID_MAX_LEN], [0u8; datadog::ID_MAX_LEN], [0u8; datadog::PRIORITY_MAX_LEN]);
        let (mut tw, mut pw, mut sw) = (Writer::new(&mut tb), Writer::new(&mut pb), Writer::new(&mut sb));
        datadog::encode_trace_id(t, &mut tw).unwrap();
        datadog::encode_parent_id(s, &mut pw).unwrap();
        let again = DatadogInput {
            trace_id: Some(tw.written()),
            parent_id: Some(pw.written()),
            sampling_priority: d.sampling_priority.map(|p| {
                datadog::encode_priority(p, &mut sw).unwrap();
                sw.written()
            }),
            origin: None,
        };
        let e = datadog::parse(&again).unwrap().unwrap();
        assert_eq!(e.trace_id_low, d.trace_id_low);
        assert_eq!(e.sampling_priority, d.sampling_priority);
        if let Some(o) = d.origin {
            // Room for less than the longest origin: whole or nothing.
            let mut ob = [0u8; 64];
            let mut ow = Writer::new(&mut ob);
            match datadog::encode_origin(Text::plain(o), &mut ow) {
                EncodedOrigin::Written { .. } => {
                    assert!(!ow.is_empty() && tracewire::wire::is_field_value(ow.written()))
                }
                EncodedOrigin::Absent | EncodedOrigin::Dropped => assert!(ow.is_empty()),
            }
        }
    }
});
