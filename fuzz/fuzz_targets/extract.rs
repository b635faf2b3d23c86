#![no_main]
//! The whole extractor over an arbitrary header list (`name:value` lines), under a
//! configuration picked by the first byte, then injection of what came out.
use libfuzzer_sys::fuzz_target;
use tracewire::carrier::Headers;
use tracewire::config::{Behavior, Config, Style, StyleSet};
use tracewire::propagate::{self, BaggageOut};
use tracewire::SpanId;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let mut styles = StyleSet::EMPTY;
    for (i, s) in Style::ALL.iter().enumerate() {
        if sel & (1 << i) != 0 {
            styles = styles.with(*s);
        }
    }
    let behavior = [Behavior::Continue, Behavior::Restart, Behavior::Ignore][usize::from(sel >> 6) % 3];
    let cfg = Config::new().with_styles(styles).with_behavior(behavior).with_extract_first(sel & 0x80 != 0);
    let headers: Vec<(&[u8], &[u8])> = rest
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let i = l.iter().position(|&b| b == b':')?;
            Some((&l[..i], &l[i + 1..]))
        })
        .collect();
    let mut slots = tracewire::propagate::Slots::new();
    let ex = propagate::extract(headers.as_slice(), &cfg, &mut slots);
    assert!(ex.links.len() <= 6);
    if behavior == Behavior::Ignore {
        assert!(ex.context.is_none() && ex.baggage.is_none());
    }
    let child = ex.context.map(|c| c.child(SpanId::new(7).unwrap()));
    let bag = ex.baggage.as_ref().map_or(BaggageOut::None, BaggageOut::Extracted);
    let mut out = Headers::<16, 16384>::new();
    let _ = propagate::inject(child.as_ref(), bag, &cfg, &mut out);
});
