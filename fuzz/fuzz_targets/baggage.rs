#![no_main]
//! baggage: field lines split at 0xff; the first byte scales the limits. Work stays bounded,
//! members decode, and re-encoding what was read gives baggage that reads back.
use libfuzzer_sys::fuzz_target;
use tracewire::format::baggage::{self, Limits};
use tracewire::wire::buf::Writer;
use tracewire::wire::list::Fields;

fuzz_target!(|data: &[u8]| {
    let Some((&k, rest)) = data.split_first() else { return };
    let limits = Limits { max_items: usize::from(k % 80), max_bytes: usize::from(k) * 40 };
    let mut f = Fields::default();
    for line in rest.split(|&b| b == 0xff) {
        f.push(line);
    }
    if let Ok(b) = baggage::parse(f, limits) {
        assert!(b.len() <= limits.max_items);
        let mut dec = [0u8; 3 * 8192];
        for m in b.members() {
            let mut w = Writer::new(&mut dec);
            m.decode_key(&mut w).unwrap();
            m.decode_value(&mut w).unwrap();
            let _ = m.properties().count();
        }
        // Room for the largest byte limit this target sets (255 * 40), not just the library's
        // 8,192-byte ceiling: `encode_raw` is checked against the limits it is given.
        let mut out = [0u8; 255 * 40];
        let mut w = Writer::new(&mut out);
        let dropped = baggage::encode_raw(&b, limits, &mut w);
        assert_eq!(dropped, 0, "what was accepted under the limits re-encodes under them");
        let written = w.written();
        let again = baggage::parse(Fields::one(written), limits).expect("own output parses");
        assert_eq!(again.len(), b.len());
    }
});
