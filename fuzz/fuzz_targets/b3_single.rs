#![no_main]
//! b3 single header: what parses with ids re-encodes and parses to the same ids and state.
use libfuzzer_sys::fuzz_target;
use tracewire::format::b3;
use tracewire::wire::buf::Writer;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = b3::parse_single(data) {
        if let Some((t, Some(s))) = b.ids {
            let mut buf = [0u8; b3::SINGLE_MAX_LEN];
            let mut out = Writer::new(&mut buf);
            b3::encode_single(t, s, b.sampling, &mut out).expect("SINGLE_MAX_LEN holds it");
            let again = b3::parse_single(out.written()).expect("own output parses");
            assert_eq!(again.ids, b.ids);
            assert_eq!(again.sampling, b.sampling);
        }
    }
});
