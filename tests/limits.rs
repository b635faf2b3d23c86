//! Limits as a contract: for every bound tracewire puts on what it reads, the work done on an
//! input at the bound and on one 1000× larger is the same, counted in instructions.
//!
//! Each case builds its input outside the measurement, then calls [`limits_probe`] once; the
//! test binary re-runs itself under `valgrind --tool=callgrind` with collection switched on only
//! inside that function, once at scale 1 and once at scale 1000, and compares the totals
//! (exact and repeatable, unlike time). A control case that sums the input's bytes shows the
//! measurement does see linear work. Without valgrind these tests are skipped with a printed
//! reason (`cargo test` on a machine without it still runs everything else); set
//! `TRACEWIRE_REQUIRE_VALGRIND=1` (as `.ci/test` does, after installing it) to make its absence
//! a failure.

use std::hint::black_box;
use std::process::Command;

use tracewire::config::{Config, Style, StyleSet};
use tracewire::format::{b3, baggage, datadog, dd_member, dd_tags, traceparent, tracestate, xray};
use tracewire::propagate;
use tracewire::wire::buf::Writer;
use tracewire::wire::list::{Fields, MAX_FIELDS};

const CHILD: &str = "TRACEWIRE_LIMITS_CASE";

/// The input of `case` at `scale` (field lines of one header, or headers for the extractor).
fn input(case: &str, scale: usize) -> Vec<String> {
    let repeat = |unit: &str, n: usize| unit.repeat(n);
    match case {
        // 32 valid members at scale 1; the scan stops at 32 members / 128 items.
        "tracestate_members" => vec![(0..32 * scale)
            .map(|i| format!("k{i}=v{i}"))
            .collect::<Vec<_>>()
            .join(",")],
        // One member just past the bytes read per line, then 1000× that.
        "tracestate_line" => vec![format!(
            "a={}",
            repeat("x", (tracestate::MAX_LINE_LEN + 1) * scale)
        )],
        // MAX_FIELDS lines, then 1000× as many (the extra ones are only counted).
        "tracestate_lines" => vec!["a=1,b=2".to_string(); MAX_FIELDS * scale],
        // 64 members (the item limit), then 64,000.
        "baggage_members" => vec![(0..64 * scale)
            .map(|i| format!("k{i}=v"))
            .collect::<Vec<_>>()
            .join(",")],
        "baggage_line" => vec![format!(
            "k={}",
            repeat("v", (baggage::MAX_LINE_LEN + 1) * scale)
        )],
        "baggage_lines" => vec!["a=1,b=2".to_string(); MAX_FIELDS * scale],
        // One byte over 512, then 1000× that.
        "x_datadog_tags" => vec![format!(
            "_dd.p.a={}",
            repeat("b", (dd_tags::MAX_LEN + 1) * scale)
        )],
        "dd_member" => vec![format!(
            "s:1;o:{}",
            repeat("r", (dd_member::MAX_LEN + 1) * scale)
        )],
        "traceparent" => vec![format!(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01{}",
            repeat(" ", (traceparent::MAX_INPUT_LEN + 1) * scale)
        )],
        "xray" => vec![format!(
            "Root=1-5759e988-bd862e3fe1be46a994272793;{}",
            repeat("x", (xray::MAX_INPUT_LEN + 1) * scale)
        )],
        "b3" => vec![format!(
            "{}80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
            repeat(" ", (b3::MAX_INPUT_LEN + 1) * scale)
        )],
        "datadog" => vec![format!(
            "{}1234",
            repeat(" ", (datadog::MAX_VALUE_SCAN + 1) * scale)
        )],
        // Every header the extractor reads, each past its bound, then 1000× that.
        "extract" => {
            let big = |unit: &str| repeat(unit, 40_000 * scale);
            vec![
                format!("traceparent:{}", big(" ")),
                format!("tracestate:dd=s:1,{}", big("k=v,")),
                format!("baggage:{}", big("k=v,")),
                format!("x-datadog-trace-id:{}", big(" ")),
                format!("x-datadog-parent-id:{}", big("9")),
                format!("x-datadog-sampling-priority:{}", big("0")),
                format!("x-datadog-origin:{}", big("o")),
                format!("x-datadog-tags:{}", big("_dd.p.a=b,")),
                format!("b3:{}", big(" ")),
                format!("x-b3-traceid:{}", big("a")),
                format!("x-b3-sampled:{}", big(" ")),
                format!("x-amzn-trace-id:{}", big("Self=1;")),
            ]
        }
        // Control: work proportional to the input.
        "control_linear" => vec![repeat("x", 1000 * scale)],
        other => panic!("unknown case {other}"),
    }
}

fn fields(lines: &[String]) -> Fields<'_> {
    let mut f = Fields::default();
    for l in lines {
        f.push(l.as_bytes());
    }
    f
}

/// The only function whose instructions are counted. `fields` and `headers` are `lines` as a
/// carrier would hand them over, built before the measurement.
#[inline(never)]
fn limits_probe(
    case: &str,
    lines: &[String],
    fields: Fields<'_>,
    headers: &[(&str, &str)],
) -> usize {
    let first = lines.first().map_or(&b""[..], |l| l.as_bytes());
    match case {
        "tracestate_members" | "tracestate_line" | "tracestate_lines" => {
            let ts = tracestate::TraceState::new(&fields);
            let mut buf = [0u8; 8192];
            let mut w = Writer::new(&mut buf);
            let _ = tracestate::encode(Some(b"dd=s:1"), b"dd", &ts, &mut w);
            ts.members().count() + usize::from(ts.dd().is_some()) + w.len()
        }
        "baggage_members" | "baggage_line" | "baggage_lines" => {
            match baggage::parse(&fields, baggage::Limits::DEFAULT) {
                Ok(b) => b.members().count(),
                Err(_) => 0,
            }
        }
        "x_datadog_tags" => usize::from(dd_tags::parse(&fields, 512).is_ok()),
        "dd_member" => {
            let m = dd_member::parse(first);
            m.tags().count() + usize::from(m.sampling_priority().is_some())
        }
        "traceparent" => usize::from(traceparent::parse(first).is_ok()),
        "xray" => usize::from(xray::parse(first).is_ok()),
        "b3" => {
            let multi = b3::B3MultiInput {
                trace_id: Some(first),
                span_id: Some(first),
                sampled: Some(first),
                flags: Some(first),
                parent_span_id: None,
            };
            usize::from(b3::parse_single(first).is_ok())
                + usize::from(b3::parse_multi(&multi).is_ok())
        }
        "datadog" => {
            let input = datadog::DatadogInput {
                trace_id: Some(first),
                parent_id: Some(first),
                sampling_priority: Some(first),
                origin: Some(first),
            };
            usize::from(datadog::parse(&input).is_ok())
        }
        "extract" => {
            let all = Config::new().with_styles(StyleSet::from_styles(&Style::ALL));
            let mut slots = propagate::Slots::new();
            let ex = propagate::extract(headers, &all, &mut slots);
            usize::from(ex.context.is_some()) + ex.baggage.map_or(0, |b| b.len())
        }
        _ => first.iter().map(|&b| usize::from(b)).sum(),
    }
}

/// Runs `case` at `scale` under callgrind; the instructions executed inside [`limits_probe`].
fn instructions(case: &str, scale: usize) -> u64 {
    let exe = std::env::current_exe().expect("test binary path");
    let out = std::env::temp_dir().join(format!(
        "tracewire-limits-{}-{case}-{scale}.out",
        std::process::id()
    ));
    let run = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--collect-atstart=no")
        .arg("--toggle-collect=*limits_probe*")
        .arg(&exe)
        .args(["--exact", "limits_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, format!("{case}:{scale}"))
        .output()
        .unwrap_or_else(|e| {
            panic!("valgrind could not be started ({e}); it is needed to count instructions")
        });
    assert!(
        run.status.success(),
        "{case} x{scale} under valgrind: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("callgrind output");
    let _ = std::fs::remove_file(&out);
    let total = text
        .lines()
        .find_map(|l| l.strip_prefix("summary:").or(l.strip_prefix("totals:")))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("a total in the callgrind output");
    assert!(
        total > 0,
        "{case}: nothing was counted (toggle pattern did not match)"
    );
    total
}

/// True when valgrind runs; otherwise says why the measurement is skipped, or fails when
/// `TRACEWIRE_REQUIRE_VALGRIND` asks for it.
fn valgrind_available(case: &str) -> bool {
    let ok = Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("TRACEWIRE_REQUIRE_VALGRIND").is_none(),
            "valgrind is required (TRACEWIRE_REQUIRE_VALGRIND is set) but cannot be run"
        );
        eprintln!("{case}: skipped, valgrind is not installed (it counts the instructions)");
    }
    ok
}

/// Work at scale 1 and 1000 (`None`: skipped, no valgrind).
fn measure(case: &str) -> Option<(u64, u64)> {
    if !valgrind_available(case) {
        return None;
    }
    let (small, large) = (instructions(case, 1), instructions(case, 1000));
    eprintln!("{case}: {small} instructions at scale 1, {large} at scale 1000");
    Some((small, large))
}

fn assert_flat(case: &str) {
    let Some((small, large)) = measure(case) else {
        return;
    };
    assert!(
        large <= small + small / 2 + 500,
        "{case}: work grew with the input ({small} → {large} instructions)"
    );
}

/// The child side: does nothing unless run by [`instructions`].
#[test]
fn limits_child() {
    let Ok(job) = std::env::var(CHILD) else {
        return;
    };
    let (case, scale) = job.split_once(':').expect("case:scale");
    let lines = input(case, scale.parse().expect("scale"));
    let headers: Vec<(&str, &str)> = lines.iter().filter_map(|l| l.split_once(':')).collect();
    black_box(limits_probe(
        black_box(case),
        black_box(&lines),
        fields(&lines),
        &headers,
    ));
}

#[test]
fn control_linear_work_is_seen() {
    let Some((small, large)) = measure("control_linear") else {
        return;
    };
    assert!(
        large > small * 500,
        "the measurement missed linear work ({small} → {large})"
    );
}

#[test]
fn tracestate_member_limit() {
    assert_flat("tracestate_members");
}

#[test]
fn tracestate_line_length_limit() {
    assert_flat("tracestate_line");
}

#[test]
fn tracestate_field_line_limit() {
    assert_flat("tracestate_lines");
}

#[test]
fn baggage_item_limit() {
    assert_flat("baggage_members");
}

#[test]
fn baggage_line_length_limit() {
    assert_flat("baggage_line");
}

#[test]
fn baggage_field_line_limit() {
    assert_flat("baggage_lines");
}

#[test]
fn x_datadog_tags_length_limit() {
    assert_flat("x_datadog_tags");
}

#[test]
fn dd_member_length_limit() {
    assert_flat("dd_member");
}

#[test]
fn traceparent_length_limit() {
    assert_flat("traceparent");
}

#[test]
fn xray_length_limit() {
    assert_flat("xray");
}

#[test]
fn b3_length_limit() {
    assert_flat("b3");
}

#[test]
fn datadog_value_scan_limit() {
    assert_flat("datadog");
}

#[test]
fn whole_extractor_on_oversized_headers() {
    assert_flat("extract");
}

/// What the line caps do, not only what they cost: the members before the cut are read, the
/// cut is reported, and nothing after it is taken for a member.
#[test]
fn oversized_lines_are_cut_between_members() {
    let huge = format!("a=1,b=2,c={}", "x".repeat(tracestate::MAX_LINE_LEN));
    let lines = Fields::one(huge.as_bytes());
    let ts = tracestate::TraceState::new(&lines);
    let keys: Vec<&[u8]> = ts.members().map(|m| m.key).collect();
    assert_eq!(keys, [&b"a"[..], b"b"]);
    assert!(ts.report().truncated);

    let huge = format!("a=1,b=2,c={}", "x".repeat(baggage::MAX_LINE_LEN));
    let lines = Fields::one(huge.as_bytes());
    let b = baggage::parse(&lines, baggage::Limits::DEFAULT).unwrap();
    let keys: Vec<&[u8]> = b.members().map(|m| m.key).collect();
    assert_eq!(keys, [&b"a"[..], b"b"]);
    assert!(b.truncated());

    // Within the caps nothing changes.
    let ok = format!("a=1,b={}", "x".repeat(200));
    assert!(
        !tracestate::TraceState::new(&Fields::one(ok.as_bytes()))
            .report()
            .truncated
    );
}
