#![no_main]
//! traceparent: parse any bytes; what parses re-encodes to a value that parses to the same thing.
use libfuzzer_sys::fuzz_target;
use tracewire::format::traceparent;
use tracewire::SpanId;

fuzz_target!(|data: &[u8]| {
    if let Ok(tp) = traceparent::parse(data) {
        let again = traceparent::parse(&tp.to_bytes()).expect("own output parses");
        assert_eq!(again.trace_id, tp.trace_id);
        assert_eq!(again.parent_id, tp.parent_id);
        assert_eq!(again.flags, tp.flags);
        let rw = traceparent::rewrite_parent(data, SpanId::new(42).unwrap()).unwrap();
        assert_eq!(rw.trace_id, tp.trace_id);
        // Into a writer: the same bytes after what it held, or nothing when it has no room.
        let mut buf = [0u8; traceparent::LEN + 1];
        let mut w = tracewire::wire::buf::Writer::new(&mut buf);
        w.push(b",").unwrap();
        rw.encode(&mut w).unwrap();
        assert_eq!(&w.written()[1..], &rw.to_bytes()[..]);
        assert!(rw.encode(&mut w).is_err());
        assert_eq!(w.len(), traceparent::LEN + 1);
    }
});
