//! Instruction counts (iai-callgrind, under valgrind) for the same operations as
//! `benches/codec.rs`: stable on a noisy machine. Needs `iai-callgrind-runner` 0.16.1
//! (`cargo install iai-callgrind-runner --version 0.16.1`).

use std::hint::black_box;

use iai_callgrind::{library_benchmark, library_benchmark_group, main};
use tracewire::carrier::Headers;
use tracewire::config::Config;
use tracewire::context::SpanContext;
use tracewire::format::traceparent;
use tracewire::propagate::{self, BaggageOut, InjectBuffers};
use tracewire::SpanId;

mod common;

type Prepared = (Vec<(&'static str, &'static str)>, Config);

/// The input and its configuration, leaked so that freeing them is not part of the measurement
/// (only the call under test is counted).
fn prepare(stem: &str) -> &'static Prepared {
    Box::leak(Box::new((
        common::headers(common::input(stem)),
        common::config(stem),
    )))
}

#[library_benchmark]
#[bench::default(prepare("default"))]
#[bench::none(prepare("none"))]
#[bench::tracecontext(prepare("tracecontext"))]
#[bench::datadog(prepare("datadog"))]
#[bench::b3_single(prepare("b3-single"))]
#[bench::b3_multi(prepare("b3-multi"))]
#[bench::xray(prepare("xray"))]
#[bench::baggage(prepare("baggage"))]
fn extract(p: &'static Prepared) -> bool {
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(black_box(p.0.as_slice()), &p.1, &mut slots);
    black_box(ex.context.is_some() || ex.baggage.is_some())
}

/// Everything injection needs, built before the measurement: the extracted child context, reused
/// encode buffers and an empty carrier.
struct InjectSetup {
    _headers: Vec<(&'static str, &'static str)>,
    config: Config,
    ctx: Option<SpanContext<'static>>,
    baggage: BaggageOut<'static>,
    bufs: Box<InjectBuffers>,
    out: Box<Headers<16, 16384>>,
}

fn inject_setup(stem: &str) -> &'static mut InjectSetup {
    let headers: &'static [(&'static str, &'static str)] =
        Box::leak(common::headers(common::input(stem)).into_boxed_slice());
    let config = common::config(stem);
    let slots = Box::leak(Box::new(propagate::Slots::new()));
    let ex = Box::leak(Box::new(propagate::extract(headers, &config, slots)));
    Box::leak(Box::new(InjectSetup {
        _headers: Vec::new(),
        ctx: ex.context.map(|c| c.child(SpanId::new(0x2a).unwrap())),
        baggage: ex
            .baggage
            .as_ref()
            .map_or(BaggageOut::None, BaggageOut::Extracted),
        config,
        bufs: Box::new(InjectBuffers::new()),
        out: Box::new(Headers::new()),
    }))
}

#[library_benchmark]
#[bench::default(inject_setup("default"))]
#[bench::tracecontext(inject_setup("tracecontext"))]
#[bench::datadog(inject_setup("datadog"))]
#[bench::b3_single(inject_setup("b3-single"))]
#[bench::b3_multi(inject_setup("b3-multi"))]
#[bench::xray(inject_setup("xray"))]
#[bench::baggage(inject_setup("baggage"))]
fn inject(s: &'static mut InjectSetup) -> usize {
    let r = propagate::inject_with(
        &mut s.bufs,
        black_box(s.ctx.as_ref()),
        s.baggage,
        &s.config,
        s.out.as_mut(),
    );
    black_box(r.map_or(0, |r| r.headers))
}

#[library_benchmark]
fn traceparent_parse() -> bool {
    black_box(
        traceparent::parse(black_box(
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ))
        .is_ok(),
    )
}

#[library_benchmark]
#[bench::default(prepare("default"))]
fn forward(p: &'static Prepared) -> usize {
    let mut out = Headers::<16, 2048>::new();
    black_box(
        propagate::forward(
            black_box(p.0.as_slice()),
            SpanId::new(0x2a).unwrap(),
            &p.1,
            &mut out,
        )
        .map_or(0, |r| r.headers),
    )
}

library_benchmark_group!(name = codec; benchmarks = extract, inject, traceparent_parse, forward);
main!(library_benchmark_groups = codec);
