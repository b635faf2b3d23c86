#![no_main]
//! extract → inject → extract: the second extraction finds the same trace, the injected span as
//! parent, the same keep/drop decision; and injecting again is byte-identical (canonical).
use libfuzzer_sys::fuzz_target;
use tracewire::carrier::Headers;
use tracewire::config::{Config, Style, StyleSet};
use tracewire::propagate::{self, BaggageOut};
use tracewire::SpanId;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else { return };
    let style = Style::ALL[usize::from(sel) % 5];
    let cfg = Config::new().with_styles(StyleSet::EMPTY.with(style).with(Style::Baggage)).with_xray_128bit_roots(true);
    let headers: Vec<(&[u8], &[u8])> = rest
        .split(|&b| b == b'\n')
        .filter_map(|l| {
            let i = l.iter().position(|&b| b == b':')?;
            Some((&l[..i], &l[i + 1..]))
        })
        .collect();
    let mut slots = tracewire::propagate::Slots::new();
    let ex = propagate::extract(headers.as_slice(), &cfg, &mut slots);
    let Some(ctx) = ex.context else { return };
    let child = ctx.child(SpanId::new(0x1234).unwrap());
    let bag = ex.baggage.as_ref().map_or(BaggageOut::None, BaggageOut::Extracted);
    let mut out = Headers::<16, 16384>::new();
    propagate::inject(Some(&child), bag, &cfg, &mut out).expect("fits");
    let mut slots = tracewire::propagate::Slots::new();
    let ex2 = propagate::extract(&out, &cfg, &mut slots);
    let c2 = ex2.context.expect("own output extracts");
    // B3 and X-Ray keep only what their wire form holds.
    assert_eq!(c2.trace_id, child.trace_id, "{style:?}");
    assert_eq!(c2.span_id, child.span_id);
    if let (Some(a), Some(b)) = (c2.sampling_priority, child.sampling_priority) {
        assert_eq!(a.is_keep(), b.is_keep());
    }
    assert_eq!(ex2.baggage.map(|b| b.len()), ex.baggage.filter(|b| !b.is_empty()).map(|b| b.len()));
    let again = c2.child(SpanId::new(0x1234).unwrap());
    let bag2 = ex2.baggage.as_ref().map_or(BaggageOut::None, BaggageOut::Extracted);
    let mut out2 = Headers::<16, 16384>::new();
    propagate::inject(Some(&again), bag2, &cfg, &mut out2).unwrap();
    if style != Style::TraceContext && style != Style::Datadog {
        assert_eq!(out.iter().collect::<Vec<_>>(), out2.iter().collect::<Vec<_>>(), "canonical");
    }
});
