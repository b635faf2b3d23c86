//! tracewire's OpenTelemetry propagator (feature `opentelemetry`), tested against
//! opentelemetry_sdk's own propagators.

use std::collections::HashMap;

use opentelemetry::baggage::BaggageExt;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracewire::config::{Config, Style, StyleSet};
use tracewire::otel::TracewirePropagator;

/// The bench input's headers as the `HashMap<String, String>` OpenTelemetry carriers use.
fn hashmap(stem: &str) -> HashMap<String, String> {
    let text = std::fs::read_to_string(format!(
        "{}/../benches/inputs/{stem}.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect()
}

#[test]
fn extracts_default_headers_and_keeps_datadog_state_through_the_context() {
    let p = TracewirePropagator::new(Config::new());
    let cx = p.extract(&hashmap("default"));
    let span = cx.span();
    let sc = span.span_context();
    assert_eq!(
        format!("{:032x}", sc.trace_id()),
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
    assert_eq!(format!("{:016x}", sc.span_id()), "00f067aa0ba902b7");
    assert!(sc.is_sampled() && sc.is_remote());
    assert_eq!(
        cx.baggage().get("user.id").map(|v| v.to_string()),
        Some("amy".into())
    );

    let mut out: HashMap<String, String> = HashMap::new();
    p.inject_context(&cx, &mut out);
    assert_eq!(
        out.get("x-datadog-trace-id").map(String::as_str),
        Some("11803532876627986230")
    );
    // The exact priority, origin and tags travelled in the OpenTelemetry TraceState (dd= member).
    assert_eq!(
        out.get("x-datadog-sampling-priority").map(String::as_str),
        Some("2")
    );
    assert_eq!(out.get("x-datadog-origin").map(String::as_str), Some("rum"));
    assert_eq!(
        out.get("x-datadog-tags").map(String::as_str),
        Some("_dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6")
    );
    assert!(out
        .get("tracestate")
        .is_some_and(|t| t.starts_with("dd=s:2;o:rum;")
            && t.ends_with(",rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")));
    assert!(out
        .get("baggage")
        .is_some_and(|b| b.contains("user.id=amy")));

    // opentelemetry_sdk reads what tracewire wrote.
    let sdk_cx = TraceContextPropagator::new().extract(&out);
    assert_eq!(sdk_cx.span().span_context().trace_id(), sc.trace_id());
    assert!(sdk_cx.span().span_context().is_sampled());
}

#[test]
fn continues_an_sdk_context_in_datadog_and_b3() {
    let sdk_cx = TraceContextPropagator::new().extract(&hashmap("tracecontext"));
    let p = TracewirePropagator::new(
        Config::new().with_styles(StyleSet::from_styles(&[Style::Datadog, Style::B3Single])),
    );
    let mut out: HashMap<String, String> = HashMap::new();
    p.inject_context(&sdk_cx, &mut out);
    assert_eq!(
        out.get("x-datadog-trace-id").map(String::as_str),
        Some("11803532876627986230")
    );
    assert_eq!(
        out.get("x-datadog-parent-id").map(String::as_str),
        Some("67667974448284343")
    );
    assert_eq!(
        out.get("b3").map(String::as_str).map(|b| &b[..32]),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert!(p.fields().any(|f| f == "x-datadog-tags"));
}

#[test]
fn nothing_valid_gives_an_empty_context() {
    let p = TracewirePropagator::new(Config::new());
    let mut h = HashMap::new();
    h.insert("traceparent".to_string(), "garbage".to_string());
    let cx = p.extract(&h);
    assert!(!cx.span().span_context().is_valid());
    let mut out: HashMap<String, String> = HashMap::new();
    p.inject_context(&cx, &mut out);
    assert!(out.is_empty());
}
