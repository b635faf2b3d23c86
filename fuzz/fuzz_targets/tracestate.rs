#![no_main]
//! tracestate: any bytes, split into field lines at 0xff; reading is bounded, `dd()` finds what
//! the member walk finds, the output of `encode` reads back to the same members, and when
//! nothing has to be left out it is exactly the own member followed by the received members
//! without `dd` (whichever path `encode` took: the verbatim copy of a canonical line or the
//! member-by-member one).
use libfuzzer_sys::fuzz_target;
use tracewire::format::tracestate::{self, TraceState};
use tracewire::wire::buf::Writer;
use tracewire::wire::list::Fields;

fuzz_target!(|data: &[u8]| {
    let mut f = Fields::default();
    for line in data.split(|&b| b == 0xff) {
        f.push(line);
    }
    let ts = TraceState::new(&f);
    let n = ts.members().count();
    assert!(n <= tracestate::MAX_MEMBERS);
    let _ = ts.report();
    // The lookup's shortcuts (a canonical first member, the first MAX_MEMBERS items) find what
    // the full member walk finds.
    assert_eq!(ts.dd(), ts.members().find(|m| m.key == b"dd").map(|m| m.value));
    let _ = tracestate::is_valid_header(data);
    let mut buf = [0u8; tracestate::MAX_ENCODED_LEN];
    let mut w = Writer::new(&mut buf);
    let r = tracestate::encode(Some(b"dd=s:1"), b"dd", &ts, &mut w).expect("fits MAX_ENCODED_LEN");
    let out = w.written();
    assert!(out.len() <= tracestate::MAX_ENCODED_LEN);
    let lines = Fields::one(out);
    let again = TraceState::new(&lines);
    assert_eq!(again.members().count(), r.written);
    assert!(again.members().all(|m| tracestate::is_valid_key(m.key) && tracestate::is_valid_value(m.value)));
    let others: Vec<_> = ts.members().filter(|m| m.key != b"dd").collect();
    let len = others.iter().fold(6usize, |n, m| n + 1 + m.len());
    if others.len() < tracestate::MAX_MEMBERS && len <= tracestate::MAX_ENCODED_LEN {
        let mut want = b"dd=s:1".to_vec();
        for m in &others {
            want.push(b',');
            want.extend_from_slice(m.key);
            want.push(b'=');
            want.extend_from_slice(m.value);
        }
        assert_eq!(out, &want[..]);
    }
});
