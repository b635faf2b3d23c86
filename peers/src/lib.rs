//! Shared helpers for the peer comparison: the bench inputs, a `HashMap<String, String>` carrier
//! (what the peers' own benchmarks use) and an allocation counter.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts every allocation made through it.
pub struct Counting;

/// Allocations so far.
pub static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(p, l, n) }
    }
}

/// Allocations made by one call of `f` (averaged over `n` calls).
pub fn allocs_per_op<R>(n: usize, mut f: impl FnMut() -> R) -> f64 {
    let before = ALLOCS.load(Ordering::Relaxed);
    for _ in 0..n {
        std::hint::black_box(f());
    }
    (ALLOCS.load(Ordering::Relaxed) - before) as f64 / n as f64
}

/// The bench inputs (`benches/inputs/`).
pub fn input(stem: &str) -> &'static str {
    match stem {
        "default" => include_str!("../../benches/inputs/default.txt"),
        "none" => include_str!("../../benches/inputs/none.txt"),
        "tracecontext" => include_str!("../../benches/inputs/tracecontext.txt"),
        "datadog" => include_str!("../../benches/inputs/datadog.txt"),
        "b3-single" => include_str!("../../benches/inputs/b3-single.txt"),
        "b3-multi" => include_str!("../../benches/inputs/b3-multi.txt"),
        "xray" => include_str!("../../benches/inputs/xray.txt"),
        "baggage" => include_str!("../../benches/inputs/baggage.txt"),
        _ => panic!("unknown input {stem}"),
    }
}

/// `(name, value)` pairs of an input.
pub fn pairs(stem: &str) -> Vec<(&'static str, &'static str)> {
    input(stem)
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim(), v.trim_matches([' ', '\t'])))
        .collect()
}

/// The same headers as a `HashMap<String, String>` with lowercase names.
pub fn hashmap(stem: &str) -> std::collections::HashMap<String, String> {
    pairs(stem)
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect()
}

/// datadog-opentelemetry's propagator, configured with `styles` (its defaults when `None`).
/// `tracing().init_local()` is its public way to get one; it also builds a tracer provider.
/// Remote configuration, telemetry and stats are off and no span is ever ended, so nothing is
/// exported while the benches run.
pub fn datadog_peer(
    styles: Option<Vec<datadog_opentelemetry::configuration::TracePropagationStyle>>,
) -> (
    opentelemetry_sdk::trace::SdkTracerProvider,
    Box<dyn opentelemetry::propagation::TextMapPropagator + Send + Sync>,
) {
    let mut b = datadog_opentelemetry::configuration::Config::builder();
    b.set_remote_config_enabled(false)
        .set_telemetry_enabled(false)
        .set_trace_stats_computation_enabled(false)
        .set_service("bench".to_string());
    if let Some(s) = styles {
        b.set_trace_propagation_style(s);
    }
    let (provider, propagator) = datadog_opentelemetry::tracing()
        .with_config(b.build())
        .init_local();
    (provider, Box::new(propagator))
}
