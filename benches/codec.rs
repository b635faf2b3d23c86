//! Wall-time benchmarks (criterion): extract and inject per format on its bench input, the
//! default configuration on `default.txt`, the no-trace-headers case, traceparent alone and the
//! proxy forward mode. Throughput is the size of the request's header block.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;

use tracewire::carrier::Headers;
use tracewire::format::traceparent;
use tracewire::propagate::{self, BaggageOut, InjectBuffers};
use tracewire::SpanId;

mod common;

fn benches(c: &mut Criterion) {
    let child = SpanId::new(0x2a).unwrap();
    let mut g = c.benchmark_group("extract");
    for (stem, text) in common::INPUTS {
        let h = common::headers(text);
        let cfg = common::config(stem);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(stem), &h, |b, h| {
            b.iter(|| {
                let mut slots = propagate::Slots::new();
                propagate::extract(black_box(h.as_slice()), &cfg, &mut slots)
                    .context
                    .is_some()
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("inject");
    for (stem, text) in common::INPUTS {
        let h = common::headers(text);
        let cfg = common::config(stem);
        let mut slots = propagate::Slots::new();
        let ex = propagate::extract(h.as_slice(), &cfg, &mut slots);
        let ctx = ex.context.map(|c| c.child(child));
        let bag = ex
            .baggage
            .as_ref()
            .map_or(BaggageOut::None, BaggageOut::Extracted);
        let mut bufs = Box::new(InjectBuffers::new());
        let mut out = Box::new(Headers::<16, 16384>::new());
        g.bench_function(BenchmarkId::from_parameter(stem), |b| {
            b.iter(|| {
                out.clear();
                propagate::inject_with(&mut bufs, black_box(ctx.as_ref()), bag, &cfg, out.as_mut())
                    .map(|r| r.headers)
            })
        });
    }
    g.finish();

    let tp = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    c.bench_function("traceparent/parse", |b| {
        b.iter(|| traceparent::parse(black_box(tp)).is_ok())
    });

    let h = common::headers(common::input("default"));
    let cfg = common::config("default");
    let mut out = Box::new(Headers::<16, 16384>::new());
    c.bench_function("forward/default", |b| {
        b.iter(|| {
            out.clear();
            propagate::forward(black_box(h.as_slice()), child, &cfg, out.as_mut())
                .map(|r| r.headers)
        })
    });
}

criterion_group!(codec, benches);
criterion_main!(codec);
