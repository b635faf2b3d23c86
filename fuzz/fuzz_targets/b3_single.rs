#![no_main]
//! b3 single header: what parses with ids re-encodes and parses to the same ids and state.
use libfuzzer_sys::fuzz_target;
use tracewire::format::b3;
use tracewire::wire::buf::ArrayBuf;

fuzz_target!(|data: &[u8]| {
    if let Ok(b) = b3::parse_single(data) {
        if let Some((t, Some(s))) = b.ids {
            let mut out = ArrayBuf::new();
            b3::encode_single(t, s, b.sampling, &mut out);
            let again = b3::parse_single(out.as_bytes()).expect("own output parses");
            assert_eq!(again.ids, b.ids);
            assert_eq!(again.sampling, b.sampling);
        }
    }
});
