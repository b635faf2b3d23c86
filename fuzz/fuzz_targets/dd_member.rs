#![no_main]
//! dd= member: parse anything; the backward `p:` lookup finds what the full parse finds;
//! re-encoding what was read stays within 256 bytes and reads back.
use libfuzzer_sys::fuzz_target;
use tracewire::format::dd_member;
use tracewire::wire::buf::Writer;
use tracewire::SamplingPriority;

fuzz_target!(|data: &[u8]| {
    let m = dd_member::parse(data);
    assert_eq!(dd_member::last_parent_id(data), m.last_parent_id());
    let _ = m.unknown().count();
    let p = m.sampling_priority();
    let parent = m.last_parent_id().unwrap_or(b"0000000000000001");
    let mut buf = [0u8; dd_member::MAX_LEN];
    let mut out = Writer::new(&mut buf);
    dd_member::encode(p.map(SamplingPriority), m.origin(), parent, m.decision_maker(), m.tags(), &mut out)
        .expect("MAX_LEN holds every member");
    assert!(out.len() <= dd_member::MAX_LEN);
    if let Some(raw) = out.written().strip_prefix(b"dd=") {
        let again = dd_member::parse(raw);
        assert_eq!(again.sampling_priority(), p);
    }
    let _ = dd_member::reconcile(data.first().is_some_and(|b| b & 1 == 1), p, m.decision_maker());
});
