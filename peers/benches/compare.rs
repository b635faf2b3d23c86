//! tracewire against the OpenTelemetry Rust propagators on identical inputs, in one criterion
//! run, with allocations per operation counted, then a ratio table.
//!
//! `cargo bench -p tracewire-peers --bench compare` (add `-- --quick` for a shorter run).
//! Peers use their usual `HashMap<String, String>` carrier; tracewire reads the same headers as a
//! borrowed `&[(&str, &str)]` and writes into a reused fixed-capacity `Headers`.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::Criterion;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use tracewire::carrier::Headers;
use tracewire::config::{Config, Style, StyleSet};
use tracewire::propagate::{self, BaggageOut, InjectBuffers};
use tracewire::SpanId;
use tracewire_peers::{allocs_per_op, datadog_peer, hashmap, pairs, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Row {
    op: String,
    peer: &'static str,
    tw_allocs: f64,
    peer_allocs: f64,
}

fn tw_config(styles: &[Style]) -> Config {
    Config::new()
        .with_styles(StyleSet::from_styles(styles))
        .with_xray_128bit_roots(true)
}

fn compare(
    c: &mut Criterion,
    rows: &mut Vec<Row>,
    op: &str,
    stem: &str,
    styles: &[Style],
    peer_name: &'static str,
    peer: &dyn TextMapPropagator,
) {
    compare_with(c, rows, op, stem, tw_config(styles), peer_name, peer, None);
}

/// Extract and inject on both sides; the peer injects `peer_cx`, or what it extracted.
#[allow(clippy::too_many_arguments)]
fn compare_with(
    c: &mut Criterion,
    rows: &mut Vec<Row>,
    op: &str,
    stem: &str,
    cfg: Config,
    peer_name: &'static str,
    peer: &dyn TextMapPropagator,
    peer_cx: Option<opentelemetry::Context>,
) {
    let tw_headers = pairs(stem);
    let peer_headers: HashMap<String, String> = hashmap(stem);

    // extract
    let id = format!("{op}/extract");
    c.bench_function(&format!("{id}/tracewire"), |b| {
        b.iter(|| {
            let mut slots = propagate::Slots::new();
            propagate::extract(black_box(tw_headers.as_slice()), &cfg, &mut slots)
                .context
                .is_some()
        })
    });
    c.bench_function(&format!("{id}/{peer_name}"), |b| {
        b.iter(|| peer.extract(black_box(&peer_headers)))
    });
    rows.push(Row {
        op: id,
        peer: peer_name,
        tw_allocs: allocs_per_op(1000, || {
            let mut slots = propagate::Slots::new();
            propagate::extract(tw_headers.as_slice(), &cfg, &mut slots)
                .context
                .is_some()
        }),
        peer_allocs: allocs_per_op(1000, || peer.extract(&peer_headers)),
    });

    // inject the extracted context (tracewire: the child span, as a tracer would)
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(tw_headers.as_slice(), &cfg, &mut slots);
    let child = ex.context.map(|c| c.child(SpanId::new(0x2a).unwrap()));
    let bag = ex
        .baggage
        .as_ref()
        .map_or(BaggageOut::None, BaggageOut::Extracted);
    let mut bufs = Box::new(InjectBuffers::new());
    let mut out = Box::new(Headers::<16, 16384>::new());
    let peer_cx = peer_cx.unwrap_or_else(|| peer.extract(&peer_headers));
    let id = format!("{op}/inject");
    c.bench_function(&format!("{id}/tracewire"), |b| {
        b.iter(|| {
            out.clear();
            propagate::inject_with(
                &mut bufs,
                black_box(child.as_ref()),
                bag,
                &cfg,
                out.as_mut(),
            )
            .map(|r| r.headers)
        })
    });
    c.bench_function(&format!("{id}/{peer_name}"), |b| {
        b.iter(|| {
            let mut m: HashMap<String, String> = HashMap::new();
            peer.inject_context(black_box(&peer_cx), &mut m);
            m
        })
    });
    rows.push(Row {
        op: id,
        peer: peer_name,
        tw_allocs: allocs_per_op(1000, || {
            out.clear();
            propagate::inject_with(&mut bufs, child.as_ref(), bag, &cfg, out.as_mut())
                .map(|r| r.headers)
        }),
        peer_allocs: allocs_per_op(1000, || {
            let mut m: HashMap<String, String> = HashMap::new();
            peer.inject_context(&peer_cx, &mut m);
            m
        }),
    });
}

/// tracewire against datadog-opentelemetry. Datadog injects what its span processor registered
/// for the trace, so its side injects a real child span started (never ended) under the
/// extracted parent.
fn compare_datadog(
    c: &mut Criterion,
    rows: &mut Vec<Row>,
    op: &str,
    stem: &str,
    cfg: Config,
    styles: Option<Vec<datadog_opentelemetry::configuration::TracePropagationStyle>>,
) {
    use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
    let (provider, peer) = datadog_peer(styles);
    let parent = peer.extract(&hashmap(stem));
    assert!(
        parent.span().span_context().is_valid(),
        "{stem}: datadog-opentelemetry found no context"
    );
    let span = provider
        .tracer("tracewire-bench")
        .start_with_context("child", &parent);
    let cx = parent.with_span(span);
    compare_with(
        c,
        rows,
        op,
        stem,
        cfg,
        "datadog-otel",
        peer.as_ref(),
        Some(cx),
    );
}

/// Where criterion writes its results and the ratio table reads them back: set explicitly, so
/// that both agree whatever `CARGO_TARGET_DIR` or `CRITERION_HOME` say.
fn criterion_dir() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) => std::path::PathBuf::from(t).join("criterion"),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"),
    }
}

fn estimate_ns(id: &str) -> Option<f64> {
    let dir = criterion_dir()
        .join(id.replace('/', "_"))
        .join("new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir).ok()?).ok()?;
    v["median"]["point_estimate"].as_f64()
}

// opentelemetry-zipkin marks its whole crate deprecated (exporter moved to OTLP); its B3
// propagator is still what OpenTelemetry Rust users run, so it is the B3 peer.
#[allow(deprecated)]
fn main() {
    let mut c = Criterion::default()
        .output_directory(&criterion_dir())
        .configure_from_args()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    let mut rows = Vec::new();
    let tc = TraceContextPropagator::new();
    let bg = BaggagePropagator::new();
    let composite = TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]);
    let b3s = opentelemetry_zipkin::Propagator::with_encoding(
        opentelemetry_zipkin::B3Encoding::SingleHeader,
    );
    let b3m = opentelemetry_zipkin::Propagator::with_encoding(
        opentelemetry_zipkin::B3Encoding::MultipleHeader,
    );
    let xray = opentelemetry_aws::trace::XrayPropagator::default();
    {
        use datadog_opentelemetry::configuration::TracePropagationStyle as S;
        compare_datadog(
            &mut c,
            &mut rows,
            "default (datadog,tracecontext,baggage)",
            "default",
            Config::new(),
            None,
        );
        compare_datadog(
            &mut c,
            &mut rows,
            "datadog",
            "datadog",
            tw_config(&[Style::Datadog]),
            Some(vec![S::Datadog]),
        );
        compare_datadog(
            &mut c,
            &mut rows,
            "tracecontext (dd)",
            "tracecontext",
            tw_config(&[Style::TraceContext]),
            Some(vec![S::TraceContext]),
        );
    }
    compare(
        &mut c,
        &mut rows,
        "tracecontext",
        "tracecontext",
        &[Style::TraceContext],
        "otel-sdk",
        &tc,
    );
    compare(
        &mut c,
        &mut rows,
        "tracecontext+baggage",
        "default",
        &[Style::TraceContext, Style::Baggage],
        "otel-sdk",
        &composite,
    );
    compare(
        &mut c,
        &mut rows,
        "baggage",
        "baggage",
        &[Style::Baggage],
        "otel-sdk",
        &bg,
    );
    compare(
        &mut c,
        &mut rows,
        "b3-single",
        "b3-single",
        &[Style::B3Single],
        "otel-zipkin",
        &b3s,
    );
    compare(
        &mut c,
        &mut rows,
        "b3-multi",
        "b3-multi",
        &[Style::B3Multi],
        "otel-zipkin",
        &b3m,
    );
    compare(
        &mut c,
        &mut rows,
        "xray",
        "xray",
        &[Style::XRay],
        "otel-aws",
        &xray,
    );
    c.final_summary();

    println!("\n| operation | peer | tracewire ns | peer ns | speed-up | tracewire allocs | peer allocs |");
    println!("|---|---|--:|--:|--:|--:|--:|");
    for r in &rows {
        let tw = estimate_ns(&format!("{}/tracewire", r.op));
        let pe = estimate_ns(&format!("{}/{}", r.op, r.peer));
        let f = |x: Option<f64>| x.map_or("?".to_string(), |v| format!("{v:.0}"));
        let ratio = match (tw, pe) {
            (Some(a), Some(b)) if a > 0.0 => format!("{:.1}×", b / a),
            _ => "?".into(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.1} |",
            r.op,
            r.peer,
            f(tw),
            f(pe),
            ratio,
            r.tw_allocs,
            r.peer_allocs
        );
    }
}
