//! Instruction counts of tracewire and the peer propagators, in one run, on identical inputs.
//!
//! `cargo bench -p tracewire-peers --bench instructions` (needs `valgrind`).
//!
//! The bench re-runs itself under `valgrind --tool=callgrind` once per (case, operation, side),
//! with collection switched on only inside [`measured`]: every operation is first called once
//! outside the measurement (so lazily initialised statics of either side are not counted), then
//! once inside it. Dropping what the operation returned (the peers' `Context` and `HashMap`) is
//! part of the measured call, as it is of every request. Counts are exact and repeatable for a
//! given binary; the table printed at the end is what BENCHMARKS.md quotes.
//!
//! `TRACEWIRE_INSN_PROFILE=0:inject cargo bench -p tracewire-peers --bench instructions` prints
//! instead where one tracewire operation's instructions go, function by function.

use std::collections::HashMap;
use std::hint::black_box;
use std::process::Command;

use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use tracewire::carrier::Headers;
use tracewire::config::{Config, Style, StyleSet};
use tracewire::propagate::{self, BaggageOut, InjectBuffers};
use tracewire::SpanId;
use tracewire_peers::{datadog_peer, hashmap, pairs};

/// `(operation label, input stem, peer label)`.
const CASES: [(&str, &str, &str); 10] = [
    (
        "default (datadog,tracecontext,baggage)",
        "default",
        "datadog-otel",
    ),
    ("no trace headers (default config)", "none", "datadog-otel"),
    ("datadog", "datadog", "datadog-otel"),
    ("tracecontext (dd)", "tracecontext", "datadog-otel"),
    ("tracecontext", "tracecontext", "otel-sdk"),
    ("tracecontext+baggage", "default", "otel-sdk"),
    ("baggage", "baggage", "otel-sdk"),
    ("b3-single", "b3-single", "otel-zipkin"),
    ("b3-multi", "b3-multi", "otel-zipkin"),
    ("xray", "xray", "otel-aws"),
];

/// The only function whose instructions are counted.
#[inline(never)]
fn measured(f: &mut dyn FnMut()) {
    f();
}

fn run(f: &mut dyn FnMut()) {
    f(); // warm-up, not counted
    measured(f);
}

fn tw_config(case: usize) -> Config {
    let one = |s: &[Style]| {
        Config::new()
            .with_styles(StyleSet::from_styles(s))
            .with_xray_128bit_roots(true)
    };
    match case {
        0 | 1 => Config::new(),
        2 => one(&[Style::Datadog]),
        3 | 4 => one(&[Style::TraceContext]),
        5 => one(&[Style::TraceContext, Style::Baggage]),
        6 => one(&[Style::Baggage]),
        7 => one(&[Style::B3Single]),
        8 => one(&[Style::B3Multi]),
        _ => one(&[Style::XRay]),
    }
}

fn tracewire_side(case: usize, op: &str) {
    if op == "parse" {
        let v = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        return run(&mut || {
            black_box(tracewire::format::traceparent::parse(black_box(v)).is_ok());
        });
    }
    if op == "empty" {
        // The fixed cost of a default-config extraction: a carrier with no header at all.
        let none: [(&str, &str); 0] = [];
        let cfg = Config::new();
        return run(&mut || {
            let mut slots = propagate::Slots::new();
            let ex = propagate::extract(black_box(&none[..]), &cfg, &mut slots);
            black_box(ex.context.is_some() || ex.baggage.is_some());
        });
    }
    let (_, stem, _) = CASES[case];
    let headers = pairs(stem);
    let cfg = tw_config(case);
    match op {
        "extract" => run(&mut || {
            let mut slots = propagate::Slots::new();
            let ex = propagate::extract(black_box(headers.as_slice()), &cfg, &mut slots);
            black_box(ex.context.is_some() || ex.baggage.is_some());
        }),
        _ => {
            let mut slots = propagate::Slots::new();
            let ex = propagate::extract(headers.as_slice(), &cfg, &mut slots);
            let child = ex.context.map(|c| c.child(SpanId::new(0x2a).unwrap()));
            let bag = ex
                .baggage
                .as_ref()
                .map_or(BaggageOut::None, BaggageOut::Extracted);
            let mut bufs = Box::new(InjectBuffers::new());
            let mut out = Box::new(Headers::<16, 16384>::new());
            run(&mut || {
                out.clear();
                let r = propagate::inject_with(
                    &mut bufs,
                    black_box(child.as_ref()),
                    bag,
                    &cfg,
                    out.as_mut(),
                );
                black_box(r.map_or(0, |r| r.headers));
            });
        }
    }
}

#[allow(deprecated)] // opentelemetry-zipkin: see compare.rs
fn peer_side(case: usize, op: &str) {
    use datadog_opentelemetry::configuration::TracePropagationStyle as S;
    use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
    let (_, stem, _) = CASES[case];
    let map: HashMap<String, String> = hashmap(stem);
    let mut provider = None;
    let peer: Box<dyn TextMapPropagator> = match case {
        0..=3 => {
            let styles = match case {
                2 => Some(vec![S::Datadog]),
                3 => Some(vec![S::TraceContext]),
                _ => None,
            };
            let (p, prop) = datadog_peer(styles);
            provider = Some(p);
            prop
        }
        4 => Box::new(TraceContextPropagator::new()),
        5 => Box::new(TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ])),
        6 => Box::new(BaggagePropagator::new()),
        7 => Box::new(opentelemetry_zipkin::Propagator::with_encoding(
            opentelemetry_zipkin::B3Encoding::SingleHeader,
        )),
        8 => Box::new(opentelemetry_zipkin::Propagator::with_encoding(
            opentelemetry_zipkin::B3Encoding::MultipleHeader,
        )),
        _ => Box::new(opentelemetry_aws::trace::XrayPropagator::default()),
    };
    match op {
        "extract" => run(&mut || {
            black_box(peer.extract(black_box(&map)));
        }),
        _ => {
            let parent = peer.extract(&map);
            // datadog-opentelemetry injects what its span processor registered: a started
            // child span, as in compare.rs.
            let cx = match &provider {
                Some(p) => {
                    let span = p
                        .tracer("tracewire-bench")
                        .start_with_context("child", &parent);
                    parent.with_span(span)
                }
                None => parent,
            };
            run(&mut || {
                let mut m: HashMap<String, String> = HashMap::new();
                peer.inject_context(black_box(&cx), &mut m);
                black_box(m);
            });
        }
    }
}

/// Runs one (case, op, side) of this bench under callgrind, counting only inside [`measured`];
/// returns the callgrind output file, or `None` (said on stderr) when the run failed.
fn callgrind(case: usize, op: &str, side: &str) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let out = std::env::temp_dir().join(format!(
        "tracewire-insn-{}-{case}-{op}-{side}.out",
        std::process::id()
    ));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--collect-atstart=no")
        .arg("--toggle-collect=*instructions::measured*")
        .arg(exe)
        .env("TRACEWIRE_INSN_CHILD", format!("{case}:{op}:{side}"))
        .output()
        .ok()?;
    if !status.status.success() {
        eprintln!(
            "{case} {op} {side}: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        return None;
    }
    Some(out)
}

/// The instruction count of one (case, op, side).
fn count(case: usize, op: &str, side: &str) -> Option<u64> {
    let out = callgrind(case, op, side)?;
    let text = std::fs::read_to_string(&out).ok()?;
    let _ = std::fs::remove_file(&out);
    text.lines()
        .find_map(|l| l.strip_prefix("summary:").or(l.strip_prefix("totals:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
}

/// Where one tracewire operation's instructions go: `TRACEWIRE_INSN_PROFILE=<case>:<op>` (case
/// as an index into [`CASES`], op `extract` or `inject`; `parse` and `empty` take any case) runs
/// it under callgrind and prints `callgrind_annotate`'s inclusive per-function counts.
fn profile(job: &str) {
    let mut it = job.split(':');
    let case: usize = it.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    let op = it.next().unwrap_or("extract");
    let out = callgrind(case, op, "tracewire").expect("valgrind run");
    let annotated = Command::new("callgrind_annotate")
        .args(["--inclusive=yes", "--threshold=99"])
        .arg(&out)
        .output()
        .expect("callgrind_annotate");
    let _ = std::fs::remove_file(&out);
    print!("{}", String::from_utf8_lossy(&annotated.stdout));
}

/// The lean-core budget for a row (issue 14), and the instruction count an untuned safe-Rust
/// prototype of the same grammar checks measured for it (the "floor"), where there is one.
fn budget(label: &str, op: &str) -> (Option<u64>, Option<u64>) {
    match (label, op) {
        ("default (datadog,tracecontext,baggage)", "extract") => (Some(2_500), Some(3_574)),
        ("default (datadog,tracecontext,baggage)", "inject") => (Some(1_500), Some(2_296)),
        ("tracecontext (dd)" | "tracecontext", "extract") => (Some(1_300), Some(1_739)),
        ("no trace headers (default config)", "extract") => (Some(350), Some(478)),
        ("traceparent parse alone", _) => (Some(300), None),
        ("b3-single", "extract") => (Some(600), None),
        ("b3-multi", "extract") => (Some(1_000), None),
        ("xray", "extract") => (Some(1_100), None),
        ("baggage", "extract") => (Some(900), None),
        _ => (None, None),
    }
}

/// The budget, floor and verdict cells of a row.
fn budget_cells(label: &str, op: &str, tw: Option<u64>) -> String {
    let (b, floor) = budget(label, op);
    let f = |x: Option<u64>| x.map_or("—".to_string(), |v| v.to_string());
    let met = match (tw, b) {
        (Some(t), Some(b)) if t <= b => "yes".to_string(),
        (Some(t), Some(b)) => format!("no ({:.2}×)", t as f64 / b as f64),
        _ => "—".to_string(),
    };
    format!("{} | {} | {met}", f(b), f(floor))
}

fn main() {
    if let Ok(job) = std::env::var("TRACEWIRE_INSN_CHILD") {
        let mut it = job.split(':');
        let case: usize = it.next().unwrap().parse().unwrap();
        let op = it.next().unwrap();
        match it.next().unwrap() {
            "tracewire" => tracewire_side(case, op),
            _ => peer_side(case, op),
        }
        return;
    }
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `--list`: nothing to run
    }
    if let Ok(job) = std::env::var("TRACEWIRE_INSN_PROFILE") {
        return profile(&job);
    }
    println!(
        "| operation | peer | tracewire instructions | peer instructions | ratio | budget | floor prototype | within budget |"
    );
    println!("|---|---|--:|--:|--:|--:|--:|---|");
    let parse = count(usize::MAX, "parse", "tracewire");
    println!(
        "| traceparent parse alone | — | {} | — | — | {} |",
        parse.map_or("?".to_string(), |v| v.to_string()),
        budget_cells("traceparent parse alone", "parse", parse)
    );
    let empty = count(usize::MAX, "empty", "tracewire");
    println!(
        "| empty carrier (default config)/extract | — | {} | — | — | — | — | — |",
        empty.map_or("?".to_string(), |v| v.to_string()),
    );
    let mut none = None;
    for (case, (label, _, peer)) in CASES.iter().enumerate() {
        for op in ["extract", "inject"] {
            if case == 1 && op == "inject" {
                continue; // nothing extracted, nothing to inject
            }
            let tw = count(case, op, "tracewire");
            if case == 1 {
                none = tw;
            }
            let pe = count(case, op, "peer");
            let f = |x: Option<u64>| x.map_or("?".to_string(), |v| v.to_string());
            let ratio = match (tw, pe) {
                (Some(a), Some(b)) if a > 0 => format!("{:.1}×", b as f64 / a as f64),
                _ => "?".into(),
            };
            println!(
                "| {label}/{op} | {peer} | {} | {} | {ratio} | {} |",
                f(tw),
                f(pe),
                budget_cells(label, op, tw)
            );
        }
    }
    if let (Some(n), Some(e)) = (none, empty) {
        println!(
            "\nno trace headers: {n} instructions = {e} fixed (an empty carrier) + {} scanning the \
             15 ordinary headers of none.txt",
            n.saturating_sub(e)
        );
    }
}
