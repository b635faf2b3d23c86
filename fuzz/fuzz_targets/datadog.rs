#![no_main]
//! x-datadog-* headers: four values split at 0xff; what parses re-encodes and parses again.
use libfuzzer_sys::fuzz_target;
use tracewire::format::datadog::{self, DatadogInput, DatadogOut};
use tracewire::format::Text;
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
        let mut out = DatadogOut::default();
        let t = TraceId::new(u128::from(d.trace_id_low.get())).unwrap();
        let s = d.parent_id.unwrap_or(SpanId::new(1).unwrap());
        datadog::encode(t, s, d.sampling_priority, d.origin.map(Text::plain), &mut out);
        let mut again = DatadogInput::default();
        out.for_each(|n, v| match n {
            "x-datadog-trace-id" => again.trace_id = Some(v),
            "x-datadog-parent-id" => again.parent_id = Some(v),
            "x-datadog-sampling-priority" => again.sampling_priority = Some(v),
            _ => {}
        });
        let e = datadog::parse(&again).unwrap().unwrap();
        assert_eq!(e.trace_id_low, d.trace_id_low);
        assert_eq!(e.sampling_priority, d.sampling_priority);
    }
});
