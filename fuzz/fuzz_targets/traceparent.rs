#![no_main]
//! traceparent: parse any bytes; what parses re-encodes to a value that parses to the same thing.
use libfuzzer_sys::fuzz_target;
use tracewire::format::traceparent;
use tracewire::SpanId;

fuzz_target!(|data: &[u8]| {
    if let Ok(tp) = traceparent::parse(data) {
        let mut b = [0u8; traceparent::LEN];
        let again = traceparent::parse(tp.encode(&mut b)).expect("own output parses");
        assert_eq!(again.trace_id, tp.trace_id);
        assert_eq!(again.parent_id, tp.parent_id);
        assert_eq!(again.flags, tp.flags);
        let mut r = [0u8; traceparent::LEN];
        let rw = traceparent::rewrite_parent(data, SpanId::new(42).unwrap(), &mut r).unwrap();
        assert_eq!(rw.trace_id, tp.trace_id);
    }
});
