//! Freestanding no_std binary: if this links, the library pulls in neither `std` nor `alloc`.
//! It also serves the no-panic proof: every public entry point, every carrier and the
//! configuration parser are fed bytes the optimiser cannot see (`black_box`), under a `Config`
//! it cannot see either, and `.ci/run` checks that no panicking path of `core` survives in the
//! binary, built with overflow checks on. The features `deliberate-oob` and
//! `deliberate-overflow` add one reachable out-of-bounds index and one reachable overflow, so
//! that `.ci/run` can show that the check catches both.
#![no_std]
#![no_main]
// The code-size build uses only its own entry point.
#![cfg_attr(feature = "text-size", allow(dead_code))]

use core::hint::black_box;
use core::panic::PanicInfo;

use tracewire::carrier::{
    CarrierError, Extract, FnInjector, HeaderBlock, HeaderBlockWriter, Headers, Inject, StripSet,
};
use tracewire::config::{Behavior, Config, Style, StyleSet};
use tracewire::context::{SpanContext, Tags};
use tracewire::format::{
    b3, baggage, datadog, dd_member, dd_tags, traceparent, tracestate, xray, Tag, Text,
};
use tracewire::propagate::{self, BaggageOut, InjectBuffers, Slots};
use tracewire::transport::sqs::{JsonObject, JsonObjectWriter};
use tracewire::wire::buf::Writer;
use tracewire::wire::list::Fields;
use tracewire::wire::{dec, hex, pct};
use tracewire::{DecisionMaker, SamplingPriority, SpanId, TraceId};

/// The precompiled `core` refers to the unwinding personality even with `panic = "abort"`; it is
/// never called.
#[no_mangle]
pub extern "C" fn rust_eh_personality() {}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    // Reaching this is what the proof rules out; the symbol below makes it visible to `nm`.
    tracewire_panic_reached();
    loop {}
}

#[no_mangle]
#[inline(never)]
pub extern "C" fn tracewire_panic_reached() {
    black_box(());
}

static INPUT: [u8; 1024] = [b'a'; 1024];

/// Entry point of the code-size build (feature `text-size`): what a gateway links when it only
/// continues traces with the default configuration, extraction from a raw header block and
/// injection into a header block. `.ci/run` reports the `.text` of this build.
#[cfg(feature = "text-size")]
#[no_mangle]
pub extern "C" fn _start() -> ! {
    let data: &[u8] = black_box(&INPUT[..]);
    let cfg = Config::new();
    let block = HeaderBlock(data);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&block, &cfg, &mut slots);
    let child = ex
        .context
        .map(|c| c.child(SpanId::new(black_box(7)).unwrap_or(SpanId::MIN)));
    let mut out = [0u8; 4096];
    let mut w = HeaderBlockWriter::new(&mut out);
    let r = propagate::inject(child.as_ref(), ex.baggage_out(), &cfg, &mut w);
    black_box((r.is_ok(), w.written().len()));
    loop {}
}

/// Entry point (no C runtime).
#[cfg(not(feature = "text-size"))]
#[no_mangle]
pub extern "C" fn _start() -> ! {
    let data: &[u8] = black_box(&INPUT[..]);
    let n = black_box(data.len());
    let input = data.get(..n).unwrap_or(data);
    let cfg = config(input);
    let mut sum = 0usize;
    sum = sum.wrapping_add(propagation(input, &cfg));
    sum = sum.wrapping_add(carriers(input, &cfg));
    sum = sum.wrapping_add(formats(input));
    sum = sum.wrapping_add(wire(input));
    #[cfg(feature = "deliberate-oob")]
    {
        sum = sum.wrapping_add(usize::from(input[black_box(2048)]));
    }
    #[cfg(feature = "deliberate-overflow")]
    {
        sum = sum.wrapping_add(black_box(usize::MAX) + black_box(sum));
    }
    black_box(sum);
    loop {}
}

/// A configuration the optimiser cannot see: from opaque environment-style strings, then every
/// field overwritten with opaque values.
#[inline(never)]
fn config(input: &[u8]) -> Config {
    let text = core::str::from_utf8(input.get(..64).unwrap_or(input)).unwrap_or("datadog");
    let (mut cfg, report) = Config::from_lookup(|_| Some(black_box(text)));
    black_box(report.total());
    let _ = cfg.set_baggage_tag_keys(text);
    black_box(cfg.baggage_tag_keys());
    black_box(Style::parse(text));
    black_box(Behavior::parse(text));
    let styles = StyleSet::from_styles(&Style::ALL);
    black_box(styles.without_baggage());
    cfg = cfg
        .with_extract(black_box(styles))
        .with_inject(black_box(styles))
        .with_behavior(black_box(Behavior::Continue))
        .with_extract_first(black_box(false))
        .with_xray_128bit_roots(black_box(false));
    black_box(cfg)
}

/// Extraction under every behaviour, injection and forward mode, over a header block and a
/// slice of pairs.
#[inline(never)]
fn propagation(input: &[u8], cfg: &Config) -> usize {
    let mut sum = 0usize;
    let block = HeaderBlock(input);
    let pairs: [(&[u8], &[u8]); 2] = [(input, input), (b"traceparent", input)];
    let seven = SpanId::new(black_box(7)).unwrap_or(SpanId::MIN);
    let mut bufs = InjectBuffers::new();
    for behavior in [Behavior::Continue, Behavior::Restart, Behavior::Ignore] {
        let c = black_box(
            cfg.clone()
                .with_behavior(behavior)
                .with_extract_first(black_box(true)),
        );
        let mut slots = propagate::Slots::new();
        let ex = propagate::extract(&block, &c, &mut slots);
        sum = sum.wrapping_add(ex.links.len());
        let mut slots = propagate::Slots::new();
        let ex = propagate::extract(&pairs, cfg, &mut slots);
        // The propagation error's value is read from the tags when asked.
        if let Some(t) = ex.context.and_then(|c| c.propagation_error_tag()) {
            sum = sum.wrapping_add(t.value.map_or(0, <[u8]>::len));
        }
        let child = ex.context.map(|c| c.child(seven));
        let bag = ex
            .baggage
            .as_ref()
            .map_or(BaggageOut::None, BaggageOut::Extracted);
        let mut out = [0u8; 16384];
        let mut w = HeaderBlockWriter::new(&mut out);
        let r = propagate::inject_with(&mut bufs, child.as_ref(), bag, &c, &mut w);
        sum = sum.wrapping_add(r.map_or(0, |r| r.headers));
        sum = sum.wrapping_add(w.written().len());
    }
    let mut slots = Slots::collect(&block);
    slots.offer(b"baggage", input);
    let ex = propagate::extract_slots(&slots, cfg);
    let items = [("k", "v")];
    let mut h = Headers::<16, 4096>::new();
    let r = propagate::inject(ex.context.as_ref(), BaggageOut::Pairs(&items), cfg, &mut h);
    sum = sum.wrapping_add(r.map_or(0, |r| r.headers));
    let mut out = [0u8; 8192];
    let mut w = HeaderBlockWriter::new(&mut out);
    sum = sum.wrapping_add(propagate::forward(&block, seven, cfg, &mut w).map_or(0, |r| r.headers));
    let mut h = Headers::<16, 8192>::new();
    let r = propagate::forward_with(&mut bufs, &pairs, seven, cfg, &mut h);
    sum = sum.wrapping_add(r.map_or(0, |r| r.rewritten));
    // The proxy entry points: strip, continue and forward in place, a raw block rewritten.
    let strip = StripSet::for_config(cfg).without(black_box("b3"));
    let r = propagate::continue_in_place(&mut bufs, &mut h, cfg, strip, |ex| {
        ex.context.and_then(|c| c.span_id).unwrap_or(seven)
    });
    sum = sum.wrapping_add(r.map_or(0, |r| r.inject.headers));
    let r = propagate::forward_in_place(&mut bufs, &mut h, seven, cfg, strip);
    sum = sum.wrapping_add(r.map_or(0, |r| r.headers));
    let mut out = [0u8; 8192];
    let r = propagate::continue_block(input, &mut out, cfg, strip, |_| seven);
    sum = sum.wrapping_add(r.map_or(0, |(n, _)| n));
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&pairs, cfg, &mut slots);
    let r = propagate::inject_replacing(
        &mut bufs,
        ex.context.as_ref(),
        BaggageOut::None,
        cfg,
        strip,
        &mut h,
    );
    sum = sum.wrapping_add(r.map_or(0, |r| r.headers));
    sum
}

/// Every carrier, read and written.
#[inline(never)]
fn carriers(input: &[u8], cfg: &Config) -> usize {
    let mut sum = 0usize;
    let seven = SpanId::new(black_box(7)).unwrap_or(SpanId::MIN);
    let name = black_box("x-datadog-origin");
    // Headers: every method with opaque values.
    let mut h = Headers::<4, 256>::new();
    let _ = h.set(name, input);
    let _ = h.set("b3", input.get(..black_box(10)).unwrap_or(input));
    let _ = h.reserve(black_box(3), black_box(100));
    tracewire::carrier::Remove::remove_header(&mut h, black_box("b3"));
    let _ = h.prepare(&[(name, input), ("b3", input)]);
    sum = sum.wrapping_add(h.get(name).map_or(0, <[u8]>::len));
    sum = sum.wrapping_add(h.get_index(black_box(1)).map_or(0, |(_, v)| v.len()));
    sum = sum.wrapping_add(n(h.iter()));
    h.remove(black_box("b3"));
    h.for_each_header(|n, v| sum = sum.wrapping_add(n.len() ^ v.len()));
    h.clear();
    // A closure carrier.
    let mut f = FnInjector(|n: &'static str, v: &[u8]| -> Result<(), CarrierError> {
        black_box((n, v));
        Ok(())
    });
    let block = HeaderBlock(input);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&block, cfg, &mut slots);
    let child = ex.context.map(|c| c.child(seven));
    let _ = propagate::inject(child.as_ref(), BaggageOut::None, cfg, &mut f);
    // SQS: the JSON object, read and written.
    let json = JsonObject(input);
    json.for_each_header(|n, v| sum = sum.wrapping_add(n.len() ^ v.len()));
    let mut buf = [0u8; 2048];
    let mut w = JsonObjectWriter::new(&mut buf);
    let _ = propagate::forward(&json, seven, cfg, &mut w);
    sum = sum.wrapping_add(w.finish().map_or(0, <[u8]>::len));
    // heapless and arrayvec.
    let hv: heapless::Vec<(&[u8], &[u8]), 4> =
        heapless::Vec::from_slice(&[(input, input)]).unwrap_or_default();
    let mut ho: heapless::Vec<(&'static str, heapless::Vec<u8, 64>), 8> = heapless::Vec::new();
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&hv, cfg, &mut slots);
    let child = ex.context.map(|c| c.child(seven));
    let _ = propagate::inject(child.as_ref(), BaggageOut::None, cfg, &mut ho);
    StripSet::ALL.strip(&mut ho);
    let mut av: arrayvec::ArrayVec<(&[u8], &[u8]), 4> = arrayvec::ArrayVec::new();
    let _ = av.try_push((input, input));
    let mut ao: arrayvec::ArrayVec<(&'static str, arrayvec::ArrayVec<u8, 64>), 8> =
        arrayvec::ArrayVec::new();
    let _ = propagate::forward(&av, seven, cfg, &mut ao);
    StripSet::TRACE_CONTEXT.strip(&mut ao);
    sum.wrapping_add(ho.len()).wrapping_add(ao.len())
}

/// Counts without `Iterator::count`, whose counter carries an overflow check of its own.
fn n<I: Iterator>(it: I) -> usize {
    it.fold(0usize, |n, _| n.wrapping_add(1))
}

/// Each parser and encoder on its own.
#[inline(never)]
fn formats(input: &[u8]) -> usize {
    let mut sum = 0usize;
    let seven = SpanId::new(black_box(7)).unwrap_or(SpanId::MIN);
    let trace = TraceId::new(black_box(9)).unwrap_or(TraceId::MIN);
    let prio = Some(SamplingPriority(black_box(2)));
    let origin = Some(Text::tilde_escaped(input));
    if let Ok(t) = traceparent::parse(input) {
        let mut b = [0u8; traceparent::LEN];
        let mut w = Writer::new(&mut b);
        sum = sum.wrapping_add(usize::from(t.encode(&mut w).is_ok()));
        sum = sum.wrapping_add(usize::from(t.to_bytes()[54]));
    }
    sum = sum.wrapping_add(
        traceparent::rewrite_parent(input, seven).map_or(0, |t| usize::from(t.flags.0)),
    );
    // tracestate
    let lines = Fields::one(input);
    let ts = tracestate::TraceState::new(&lines);
    sum = sum.wrapping_add(n(ts.members()));
    sum = sum.wrapping_add(n(ts.others()));
    sum = sum.wrapping_add(ts.get(input).map_or(0, <[u8]>::len));
    sum = sum.wrapping_add(ts.report().members);
    sum = sum.wrapping_add(usize::from(tracestate::is_valid_header(input)));
    let mut tsb = [0u8; tracestate::MAX_ENCODED_LEN];
    let mut tsw = Writer::new(&mut tsb);
    sum = sum.wrapping_add(
        tracestate::encode(Some(input), b"dd", &ts, &mut tsw).map_or(0, |r| r.written),
    );
    // dd member
    let m = dd_member::parse(ts.dd().unwrap_or(input));
    let mut mb = [0u8; dd_member::MAX_LEN];
    let mut mw = Writer::new(&mut mb);
    let r = dd_member::encode(
        prio,
        m.origin(),
        input,
        m.decision_maker(),
        m.tags(),
        &mut mw,
    )
    .unwrap_or_default();
    sum = sum.wrapping_add(mw.len()).wrapping_add(r.tags_dropped);
    sum = sum.wrapping_add(n(m.unknown()));
    let (p, dm) = dd_member::reconcile(black_box(true), m.sampling_priority(), m.decision_maker());
    sum = sum
        .wrapping_add(p.0 as usize)
        .wrapping_add(dm.map_or(0, |d| usize::from(d.0)));
    // x-datadog-tags
    if let Ok(t) = dd_tags::parse(&Fields::one(input), black_box(512)) {
        let mut tb = [0u8; 512];
        let mut tw = Writer::new(&mut tb);
        sum = sum.wrapping_add(dd_tags::encode(None, 1, t.iter(), 512, &mut tw).unwrap_or(0));
        sum = sum.wrapping_add(t.get(input).map_or(0, <[u8]>::len));
        sum = sum.wrapping_add(matches!(t.tid(), dd_tags::Tid::Valid(_)) as usize);
        sum = sum.wrapping_add(t.dm().is_some() as usize);
        let mut ew = Writer::new(&mut tb);
        let _ = dd_tags::write_error_tag(
            dd_tags::PropagationError::MalformedTid,
            Some(input),
            &mut ew,
        );
    }
    let tags = [Tag {
        key: input,
        value: Text::plain(input),
    }];
    let mut tb = [0u8; 512];
    let mut tw = Writer::new(&mut tb);
    let _ = dd_tags::encode(
        Some(DecisionMaker(black_box(4))),
        black_box(3),
        tags.into_iter(),
        black_box(512),
        &mut tw,
    );
    // Datadog headers
    let dd = datadog::DatadogInput {
        trace_id: Some(input),
        parent_id: Some(input),
        sampling_priority: Some(input),
        origin: Some(input),
    };
    sum = sum.wrapping_add(
        datadog::parse(&dd).map_or(0, |d| d.map_or(0, |d| d.trace_id_low.get() as usize)),
    );
    let mut db = [0u8; datadog::ORIGIN_MAX_LEN];
    let mut dw = Writer::new(&mut db);
    sum = sum.wrapping_add(usize::from(
        datadog::encode_trace_id(trace, &mut dw).is_ok(),
    ));
    sum = sum.wrapping_add(usize::from(
        datadog::encode_parent_id(seven, &mut dw).is_ok(),
    ));
    if let Some(p) = prio {
        sum = sum.wrapping_add(usize::from(datadog::encode_priority(p, &mut dw).is_ok()));
    }
    if let Some(o) = origin {
        let written = matches!(
            datadog::encode_origin(o, &mut dw),
            datadog::EncodedOrigin::Written { .. }
        );
        sum = sum.wrapping_add(usize::from(written));
    }
    sum = sum.wrapping_add(dw.len());
    // B3
    sum = sum.wrapping_add(b3::parse_single(input).map_or(0, |b| b.ids.is_some() as usize));
    let multi = b3::B3MultiInput {
        trace_id: Some(input),
        span_id: Some(input),
        sampled: Some(input),
        flags: Some(input),
        parent_span_id: Some(input),
    };
    sum = sum.wrapping_add(
        b3::parse_multi(&multi).map_or(0, |b| b.map_or(0, |b| b.ids.is_some() as usize)),
    );
    let state = Some(b3::SamplingState::from_priority(SamplingPriority(
        black_box(1),
    )));
    let mut sb = [0u8; b3::SINGLE_MAX_LEN + b3::TRACE_ID_MAX_LEN + b3::SPAN_ID_LEN];
    let mut bw = Writer::new(&mut sb);
    sum = sum.wrapping_add(usize::from(
        b3::encode_single(trace, seven, state, &mut bw).is_ok(),
    ));
    sum = sum.wrapping_add(usize::from(b3::encode_trace_id(trace, &mut bw).is_ok()));
    sum = sum.wrapping_add(usize::from(b3::encode_span_id(seven, &mut bw).is_ok()));
    if let Some(st) = state {
        let (n, v) = b3::sampling_header(st);
        sum = sum.wrapping_add(n.len() ^ v.len());
    }
    sum = sum.wrapping_add(bw.len());
    // X-Ray
    if let Ok(x) = xray::parse(input) {
        sum = sum.wrapping_add(n(x.extra()));
        sum = sum.wrapping_add(x.trace_id_128().map_or(0, |t| t.low() as usize));
    }
    let mut xb = [0u8; xray::MAX_LEN];
    let mut xw = Writer::new(&mut xb);
    let r = xray::encode(trace, seven, prio, origin, &mut xw).unwrap_or_default();
    sum = sum
        .wrapping_add(xw.len())
        .wrapping_add(r.origin_sanitized as usize);
    // Baggage
    if let Ok(b) = baggage::parse(&Fields::one(input), baggage::Limits::DEFAULT) {
        let mut bb = [0u8; 8192];
        let mut bw = Writer::new(&mut bb);
        for m in b.members() {
            let _ = m.decode_value(&mut bw);
            let _ = m.decode_key(&mut bw);
            sum = sum.wrapping_add(n(m.properties()));
        }
        sum = sum.wrapping_add(b.get(input).is_some() as usize);
        let mut rb = [0u8; 8192];
        let mut rw = Writer::new(&mut rb);
        sum = sum.wrapping_add(
            baggage::encode_raw(&b, baggage::Limits::DEFAULT, &mut rw).unwrap_or(usize::MAX),
        );
    }
    let mut eb = [0u8; 8192];
    let mut ew = Writer::new(&mut eb);
    let items = [(input, input)];
    sum = sum.wrapping_add(
        baggage::encode(items.into_iter(), baggage::Limits::DEFAULT, &mut ew)
            .map_or(0, |r| r.written),
    );
    let keys = baggage::TagKeys::parse(input);
    sum = sum.wrapping_add(keys.matches(input) as usize);
    // A context built by hand, injected.
    let mut ctx = SpanContext::new(trace, Some(seven));
    ctx.origin = origin;
    let pairs = [("_dd.p.k", "v")];
    ctx.tags = Tags::Pairs(&pairs);
    let mut h = Headers::<16, 8192>::new();
    let _ = propagate::inject(
        Some(&ctx),
        BaggageOut::None,
        &black_box(Config::new()),
        &mut h,
    );
    sum
}

/// The byte-level helpers.
#[inline(never)]
fn wire(input: &[u8]) -> usize {
    let mut sum = 0usize;
    sum = sum.wrapping_add(dec::parse_u64(input).unwrap_or(0) as usize);
    sum = sum.wrapping_add(dec::parse_i32(input).unwrap_or(0) as usize);
    sum = sum.wrapping_add(hex::decode(input).unwrap_or(0) as usize);
    sum = sum.wrapping_add(hex::decode_any_case(input).unwrap_or(0) as usize);
    let mut b = [0u8; 2048];
    let mut w = Writer::new(&mut b);
    let safe = pct::SafeSet::alnum_and(b"-_");
    let _ = pct::encode(input, &safe, &mut w);
    sum = sum.wrapping_add(pct::encoded_len(input, &safe));
    let mut w = Writer::new(&mut b);
    let _ = pct::decode(input, &mut w);
    sum = sum.wrapping_add(usize::from(tracewire::wire::is_field_value(input)));
    sum.wrapping_add(tracewire::wire::list::single_value(input).len())
}
