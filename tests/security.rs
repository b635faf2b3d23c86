//! Regression tests for the defects an attacker's view of the write paths found: each test feeds
//! the exact input that got through and asserts what must hold instead. Every header any path
//! writes is checked to be a valid field value (visible ASCII, space, tab; no white space at an
//! edge), and every error to leave the carrier as it was.

use tracewire::carrier::{Extract, HeaderBlock, HeaderBlockWriter, Headers, Inject};
use tracewire::config::{Config, Style, StyleSet};
use tracewire::propagate::{self, BaggageOut, Status, StyleError};
use tracewire::transport::sqs::{JsonObject, JsonObjectWriter};
use tracewire::SpanId;

const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

fn span() -> SpanId {
    SpanId::new(0x2a).unwrap()
}

fn styles(s: &[Style]) -> Config {
    Config::new().with_styles(StyleSet::from_styles(s))
}

/// A valid field value, checked byte by byte here (independently of the library's own check).
fn field_value_ok(v: &[u8]) -> bool {
    !v.is_empty()
        && !matches!(v[0], b' ' | b'\t')
        && !matches!(v[v.len() - 1], b' ' | b'\t')
        && v.iter().all(|&b| (0x20..=0x7e).contains(&b) || b == b'\t')
}

/// Parses what a `HeaderBlockWriter` wrote back into lines, checking each one.
fn lines(block: &[u8]) -> Vec<(String, String)> {
    let text = std::str::from_utf8(block).expect("ASCII only");
    assert!(text.is_empty() || text.ends_with("\r\n"), "{text:?}");
    text.split_terminator("\r\n")
        .map(|l| {
            assert!(
                !l.contains('\r') && !l.contains('\n'),
                "bare CR/LF in {l:?}"
            );
            let (n, v) = l.split_once(": ").expect("name: value");
            assert!(field_value_ok(v.as_bytes()), "invalid value in {l:?}");
            (n.to_string(), v.to_string())
        })
        .collect()
}

fn get<'a>(h: &'a [(String, String)], name: &str) -> Option<&'a str> {
    h.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

fn forward_block<C: Extract + ?Sized>(c: &C, cfg: &Config) -> Vec<(String, String)> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = HeaderBlockWriter::new(&mut buf);
    propagate::forward(c, span(), cfg, &mut w).expect("room enough");
    lines(w.written())
}

fn inject_block<C: Extract + ?Sized>(c: &C, cfg: &Config) -> Vec<(String, String)> {
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(c, cfg, &mut slots);
    let child = ex.context.map(|c| c.child(span()));
    let bag = ex
        .baggage
        .as_ref()
        .map_or(BaggageOut::None, BaggageOut::Extracted);
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = HeaderBlockWriter::new(&mut buf);
    propagate::inject(child.as_ref(), bag, cfg, &mut w).expect("room enough");
    lines(w.written())
}

// 1. Forward mode copied values verbatim.

#[test]
fn forward_never_writes_a_header_line_from_an_origin() {
    let incoming = [
        ("x-datadog-trace-id", "1234"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-origin", "rum\r\nx-evil: 1"),
    ];
    let out = forward_block(&incoming, &Config::new());
    assert!(out.iter().all(|(n, _)| n != "x-evil"), "{out:?}");
    assert_eq!(get(&out, "x-datadog-trace-id"), Some("1234"));
    assert_eq!(get(&out, "x-datadog-parent-id"), Some("42"));
}

#[test]
fn forward_from_an_sqs_object_with_raw_crlf() {
    let json = b"{\"x-datadog-trace-id\":\"1234\",\"x-datadog-parent-id\":\"5678\",\"x-datadog-origin\":\"rum\r\nx-evil: 1\"}";
    let out = forward_block(&JsonObject(json), &Config::new());
    assert!(out.iter().all(|(n, _)| n != "x-evil"), "{out:?}");
    assert_eq!(get(&out, "x-datadog-trace-id"), Some("1234"));
}

#[test]
fn forward_drops_a_bare_cr_from_a_raw_block() {
    let block = format!("traceparent: {TP}\r\ntracestate: congo=t61\rx-evil=1,rojo=1\r\nx-b3-traceid: 1\r\nx-b3-spanid: 2\r\nx-b3-flags: 1\rx\r\n\r\n");
    let cfg = styles(&[Style::TraceContext, Style::B3Multi]);
    let out = forward_block(&HeaderBlock(block.as_bytes()), &cfg);
    assert_eq!(get(&out, "tracestate"), Some("rojo=1"));
    assert_eq!(get(&out, "x-b3-traceid"), Some("0000000000000001"));
    assert!(!out.iter().any(|(_, v)| v.contains("x-evil")));
}

// 2. Forward output was unbounded and disagreed with extraction.

#[test]
fn forward_obeys_the_limits_inject_obeys() {
    let huge_ts = (0..5000)
        .map(|i| format!("k{i}={}", "a".repeat(200)))
        .collect::<Vec<_>>()
        .join(",");
    let flags = "1".repeat(1 << 20);
    let long_origin = "o".repeat(600);
    let incoming = [
        ("traceparent", TP),
        ("tracestate", huge_ts.as_str()),
        ("x-b3-traceid", "4bf92f3577b34da6a3ce929d0e0e4736"),
        ("x-b3-spanid", "00f067aa0ba902b7"),
        ("x-b3-flags", flags.as_str()),
        ("x-datadog-trace-id", "11803532876627986230"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-origin", long_origin.as_str()),
    ];
    let cfg = styles(&[Style::Datadog, Style::TraceContext, Style::B3Multi]);
    let out = forward_block(&incoming, &cfg);
    for (n, v) in &out {
        assert!(v.len() <= 4096, "{n} is {} bytes", v.len());
    }
    // The over-long x-b3-flags is no debug flag, for extraction as for forward: the B3 ids go
    // on, the flags value does not.
    assert!(get(&out, "x-b3-flags").is_none());
    assert_eq!(
        get(&out, "x-b3-traceid"),
        Some("4bf92f3577b34da6a3ce929d0e0e4736")
    );
    // An origin is never cut: too long to send, it is left out.
    assert!(get(&out, "x-datadog-origin").is_none());
}

#[test]
fn forward_joins_tracestate_lines_within_the_limit() {
    // Two lines of 250-byte members that join to about 5 KB: the spec's truncation applies.
    let member = |i: usize| format!("k{i}={}", "v".repeat(250));
    let a = (0..10).map(member).collect::<Vec<_>>().join(",");
    let b = (10..20).map(member).collect::<Vec<_>>().join(",");
    let incoming = [
        ("traceparent", TP),
        ("tracestate", a.as_str()),
        ("tracestate", b.as_str()),
    ];
    let out = forward_block(&incoming, &styles(&[Style::TraceContext]));
    let ts = get(&out, "tracestate").expect("written, within 4096 bytes, not dropped");
    assert!(ts.len() <= 4096);
    assert!(ts.starts_with("k0=") && ts.contains(",k10="), "{ts}");
}

#[test]
fn forward_and_extract_agree_on_tags() {
    let bad_tid = [
        ("x-datadog-trace-id", "1234"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-tags", "_dd.p.tid=ABCDEF0123456789,_dd.p.x=1"),
    ];
    let out = forward_block(&bad_tid, &Config::new());
    let tags = get(&out, "x-datadog-tags").unwrap_or("");
    assert!(
        !tags.contains("tid="),
        "a tid extraction rejects is not forwarded: {tags}"
    );
    let two_lines = [
        ("x-datadog-trace-id", "1234"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-tags", "_dd.p.dm=-4"),
        ("x-datadog-tags", "_dd.p.tid=4bf92f3577b34da6"),
    ];
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&two_lines, &Config::new(), &mut slots);
    assert_eq!(ex.context.unwrap().trace_id.high(), 0x4bf9_2f35_77b3_4da6);
    let out = forward_block(&two_lines, &Config::new());
    assert_eq!(
        get(&out, "x-datadog-tags"),
        Some("_dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6")
    );
}

// 3. A `dd=` tag that cannot be re-encoded dropped x-datadog-tags and the high half of the id.

#[test]
fn an_unwritable_dd_member_tag_keeps_the_128_bit_id() {
    for ts in ["dd=s:1;t.x:", "dd=s:1;t.a b:1"] {
        let incoming = [("traceparent", TP), ("tracestate", ts)];
        let out = inject_block(&incoming, &Config::new());
        let tags = get(&out, "x-datadog-tags").unwrap_or_default();
        assert!(tags.contains("_dd.p.tid=4bf92f3577b34da6"), "{ts}: {out:?}");
        assert_eq!(
            get(&out, "x-datadog-trace-id"),
            Some("11803532876627986230")
        );
        assert!(get(&out, "traceparent")
            .unwrap()
            .contains("4bf92f3577b34da6a3ce929d0e0e4736"));
    }
}

// 4. HeaderBlock read malformed lines as headers.

#[test]
fn header_block_follows_rfc_9112() {
    let folded = format!("x-note: hello\r\n traceparent: {TP}\r\n\r\n");
    let c = HeaderBlock(folded.as_bytes());
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&c, &Config::new(), &mut slots);
    assert!(
        ex.context.is_none(),
        "an obs-fold continuation is not a header"
    );
    let spaced = b"x-datadog-trace-id : 5\r\nx-datadog-parent-id: 6\r\n\r\n";
    let c = HeaderBlock(spaced);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&c, &Config::new(), &mut slots);
    assert!(
        ex.context.is_none(),
        "white space before the colon is no field name"
    );
    // A field line whose value continues on the next line is not read at all.
    let continued = format!("traceparent: {TP}\r\n\t-extra\r\n\r\n");
    let c = HeaderBlock(continued.as_bytes());
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&c, &Config::new(), &mut slots);
    assert!(ex.context.is_none());
    // Ordinary lines still read.
    let ok = format!("Host: a\r\ntraceparent: {TP}\r\n\r\n");
    let c = HeaderBlock(ok.as_bytes());
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&c, &Config::new(), &mut slots);
    assert!(ex.context.is_some());
}

// 5. Non-ASCII origin bytes were injected.

#[test]
fn non_ascii_origins_are_sanitised_on_every_path() {
    let incoming: [(&[u8], &[u8]); 3] = [
        (b"x-datadog-trace-id", b"1234"),
        (b"x-datadog-parent-id", b"5678"),
        (b"x-datadog-origin", b"rum\xff"),
    ];
    let cfg = styles(&[Style::Datadog, Style::TraceContext, Style::XRay]);
    let out = inject_block(&incoming[..], &cfg);
    assert_eq!(get(&out, "x-datadog-origin"), Some("rum_"));
    assert!(get(&out, "tracestate").unwrap().contains("o:rum_"));
    assert!(get(&out, "x-amzn-trace-id")
        .unwrap()
        .ends_with("_dd.origin=rum_"));
    let out = forward_block(&incoming[..], &cfg);
    assert_eq!(get(&out, "x-datadog-origin"), Some("rum_"));
    // The SQS writer then holds valid UTF-8.
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&incoming[..], &cfg, &mut slots);
    let child = ex.context.unwrap().child(span());
    let mut buf = [0u8; 1024];
    let mut w = JsonObjectWriter::new(&mut buf);
    propagate::inject(Some(&child), BaggageOut::None, &cfg, &mut w).unwrap();
    assert!(std::str::from_utf8(w.finish().unwrap()).is_ok());
}

// 6. All-or-nothing broke.

#[test]
fn json_writer_is_all_or_nothing() {
    let origin = "\u{1}".repeat(100);
    let incoming = [
        ("traceparent", TP),
        ("x-datadog-trace-id", "11803532876627986230"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-origin", origin.as_str()),
    ];
    let cfg = styles(&[Style::Datadog, Style::TraceContext]);
    for size in (0..700).step_by(7) {
        let mut buf = vec![0u8; size];
        let mut w = JsonObjectWriter::new(&mut buf);
        let r = propagate::forward(&incoming, span(), &cfg, &mut w);
        let json = w.finish();
        if r.is_err() {
            assert!(
                json.is_none() || json == Some(&b"{}"[..]),
                "size {size}: partial object {:?}",
                json.map(String::from_utf8_lossy)
            );
        } else {
            let text = std::str::from_utf8(json.unwrap()).unwrap();
            assert!(
                !text.contains("\\u00"),
                "no control byte is forwarded: {text}"
            );
        }
    }
}

#[test]
fn header_map_is_all_or_nothing() {
    let incoming = [
        ("traceparent", TP),
        ("x-datadog-trace-id", "1234"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-origin", "rum\0"),
        ("b3", "1-2-1"),
    ];
    let cfg = styles(&[Style::Datadog, Style::TraceContext, Style::B3Single]);
    let mut map = http::HeaderMap::new();
    let r = propagate::forward(&incoming, span(), &cfg, &mut map);
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(map.get("x-datadog-origin").unwrap(), "rum_");
}

#[test]
fn fixed_carriers_are_all_or_nothing() {
    let incoming = [("traceparent", TP), ("baggage", "k=v")];
    let cfg = styles(&[Style::TraceContext, Style::Baggage]);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&incoming, &cfg, &mut slots);
    let child = ex.context.unwrap().child(span());
    let bag = BaggageOut::Extracted(ex.baggage.as_ref().unwrap());
    // Room for two headers, but the traceparent value does not fit in 40 bytes.
    let mut v: heapless::Vec<(&'static str, heapless::Vec<u8, 40>), 4> = heapless::Vec::new();
    assert!(propagate::inject(Some(&child), bag, &cfg, &mut v).is_err());
    assert!(v.is_empty(), "nothing set: {v:?}");
    let mut a: arrayvec::ArrayVec<(&'static str, arrayvec::ArrayVec<u8, 40>), 4> =
        arrayvec::ArrayVec::new();
    assert!(propagate::inject(Some(&child), bag, &cfg, &mut a).is_err());
    assert!(a.is_empty());
    // A Headers list whose arena can hold the new values only once the old ones are replaced
    // (traceparent 55 bytes, tracestate `dd=s:1;p:000000000000002a` 26, baggage 3).
    let mut h = Headers::<4, 100>::new();
    h.set("traceparent", &[b'x'; 55]).unwrap();
    propagate::inject(Some(&child), bag, &cfg, &mut h).expect("replacing frees the old bytes");
    assert_eq!(h.len(), 3);
    let mut h = Headers::<4, 80>::new();
    h.set("traceparent", &[b'x'; 55]).unwrap();
    assert!(propagate::inject(Some(&child), bag, &cfg, &mut h).is_err());
    assert_eq!(
        h.iter().collect::<Vec<_>>(),
        [("traceparent", &[b'x'; 55][..])]
    );
}

// 7. An origin with a space or a control byte dropped the X-Ray header.

#[test]
fn xray_keeps_its_header_whatever_the_origin() {
    let incoming = [
        ("x-datadog-trace-id", "1234"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-origin", "synthetics browser"),
    ];
    let cfg = styles(&[Style::Datadog, Style::XRay]);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&incoming, &cfg, &mut slots);
    let child = ex.context.unwrap().child(span());
    let mut h = Headers::<8, 1024>::new();
    let r = propagate::inject(Some(&child), BaggageOut::None, &cfg, &mut h).unwrap();
    let xray = std::str::from_utf8(h.get("x-amzn-trace-id").expect("kept")).unwrap();
    assert!(xray.ends_with(";_dd.origin=synthetics_browser"), "{xray}");
    assert!(r.origin_sanitized);
}

// 8. White space at value edges was written.

#[test]
fn value_edges_are_trimmed_before_storing() {
    let incoming = [
        ("traceparent", TP),
        ("x-datadog-trace-id", "11803532876627986230"),
        ("x-datadog-parent-id", "5678"),
        ("x-datadog-tags", "_dd.p.x=v ,"),
    ];
    let out = inject_block(&incoming, &Config::new());
    let tags = get(&out, "x-datadog-tags").unwrap();
    assert!(tags.ends_with("_dd.p.x=v"), "{tags}");
    let ts = get(&out, "tracestate").unwrap();
    assert!(ts.contains(";t.x:v") && !ts.contains("t.x:v "), "{ts}");

    let incoming = [("traceparent", TP), ("tracestate", "dd=s:1;o: evil")];
    let out = inject_block(&incoming, &Config::new());
    assert_eq!(get(&out, "x-datadog-origin"), Some("evil"));
}

// 9. Single-valued headers folded with commas.

#[test]
fn one_rule_for_single_valued_headers() {
    let cfg = styles(&[Style::B3Single]);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&[("b3", "1-2-1,3-4-0")], &cfg, &mut slots);
    let c = ex.context.expect("the first value is read");
    assert_eq!((c.trace_id.get(), c.span_id.map(SpanId::get)), (1, Some(2)));

    let cfg = styles(&[Style::B3Multi]);
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(
        &[("x-b3-traceid", "1,3"), ("x-b3-spanid", "2")],
        &cfg,
        &mut slots,
    );
    assert_eq!(ex.context.expect("first value").trace_id.get(), 1);

    let cfg = styles(&[Style::TraceContext]);
    let folded = format!("01-{}-01-x,{TP}", &TP[3..52]);
    let c = [("traceparent", folded.as_str())];
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&c, &cfg, &mut slots);
    assert!(ex.context.is_none());
    assert_eq!(
        ex.report.status(Style::TraceContext),
        Some(Status::Invalid(StyleError::DuplicateTraceparent))
    );
}

#[test]
fn a_failed_set_leaves_headers_as_they_were() {
    let mut h = Headers::<2, 8>::new();
    h.set("a", b"1234").unwrap();
    assert!(h.prepare(&[("b", b"12345")]).is_err());
    assert!(
        h.prepare(&[("a", b"12345678")]).is_ok(),
        "a replaced value frees its bytes"
    );
    assert!(
        h.prepare(&[("b", b"1"), ("c", b"2")]).is_err(),
        "one slot left"
    );
}

// Found while writing the behaviour reference: a 128-bit trace id whose low 64 bits are zero
// went out as `x-datadog-trace-id: 0`, which every Datadog tracer rejects.

#[test]
fn a_zero_low_half_writes_no_datadog_headers() {
    let incoming = [(
        "traceparent",
        "00-4bf92f3577b34da60000000000000000-00f067aa0ba902b7-01",
    )];
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&incoming, &Config::new(), &mut slots);
    let child = ex.context.expect("a valid traceparent").child(span());
    let mut h = Headers::<16, 1024>::new();
    let r = propagate::inject(Some(&child), BaggageOut::None, &Config::new(), &mut h).unwrap();
    assert!(r.datadog_unrepresentable);
    assert!(h.iter().all(|(n, _)| !n.starts_with("x-datadog-")), "{h:?}");
    assert!(
        h.get("traceparent").is_some(),
        "the other styles still go out"
    );
}

/// Found by the `baggage` fuzz target: a byte limit set above the 8,192-byte ceiling let
/// extraction accept a member that injection (held to the ceiling) then dropped. Every path now
/// reads by the same limit, so what extraction accepts is re-sent whole, and forward agrees.
#[test]
fn baggage_over_the_ceiling_is_read_as_the_ceiling() {
    let mut config = styles(&[Style::Baggage]);
    config.limits.baggage_max_bytes = 10_000;
    for value_len in 8_180..8_200 {
        let header = format!("k={}", "v".repeat(value_len));
        let incoming = [("baggage", header.as_str())];
        let mut slots = propagate::Slots::new();
        let ex = propagate::extract(&incoming, &config, &mut slots);
        let mut out = Headers::<4, 16384>::new();
        let r = propagate::inject(None, ex.baggage_out(), &config, &mut out).unwrap();
        assert_eq!(
            r.baggage_dropped, 0,
            "{value_len}: accepted, then dropped on inject"
        );
        let accepted = ex.baggage.as_ref().map_or(0, |b| b.len());
        let written = out.get("baggage").map_or(0, |v| v.len());
        assert_eq!(accepted > 0, written > 0, "{value_len}");
        assert!(written <= 8_192, "{value_len}");
        let mut fwd = Headers::<4, 16384>::new();
        let f = propagate::forward(&incoming, span(), &config, &mut fwd).unwrap();
        assert_eq!(f.inject.baggage_dropped, 0, "{value_len}: forward");
        assert_eq!(
            fwd.get("baggage").is_some(),
            accepted > 0,
            "{value_len}: forward"
        );
    }
}

/// `inject` into a carrier that takes whole values stages in 1 KiB first and falls back to the
/// full staging area (on the heap: these tests run with the `std` feature; without it the
/// fallback is `Full`, a unit test of `propagate::inject` checks both) only when the headers do
/// not fit: both give exactly what the direct
/// injection into an `InPlace` carrier gives, and the fallback is never taken for a carrier's
/// own refusal (which leaves the carrier as it was).
#[test]
fn staged_injection_small_area_then_the_full_one() {
    use tracewire::carrier::{CarrierError, FnInjector};
    use tracewire::propagate::SMALL_STAGE_LEN;
    let incoming = [
        ("traceparent", TP),
        (
            "tracestate",
            "dd=s:2;o:rum;t.usr.id:x,rojo=00f067aa0ba902b7",
        ),
        ("x-datadog-tags", "_dd.p.dm=-4,_dd.p.usr.id=x"),
    ];
    let cfg = Config::new();
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(&incoming, &cfg, &mut slots);
    let ctx = ex.context.map(|c| c.child(span()));
    let big = "v".repeat(3 * SMALL_STAGE_LEN);
    for value in ["small", big.as_str()] {
        let items = [("k", value)];
        // Reference: the direct injection.
        let mut direct = Headers::<16, 16384>::new();
        let rd =
            propagate::inject(ctx.as_ref(), BaggageOut::Pairs(&items), &cfg, &mut direct).unwrap();
        let want: Vec<(String, Vec<u8>)> = direct
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect();
        assert!(want
            .iter()
            .any(|(n, v)| n == "baggage" && v.len() > value.len()));
        // Staged (FnInjector takes whole values only).
        let mut got: Vec<(String, Vec<u8>)> = Vec::new();
        let mut inj = FnInjector(|n: &'static str, v: &[u8]| {
            got.push((n.to_string(), v.to_vec()));
            Ok(())
        });
        let rs =
            propagate::inject(ctx.as_ref(), BaggageOut::Pairs(&items), &cfg, &mut inj).unwrap();
        assert_eq!(got, want, "baggage of {} bytes", value.len());
        assert_eq!(
            (rs.headers, rs.baggage_dropped),
            (rd.headers, rd.baggage_dropped)
        );
    }
    // A carrier that refuses everything: its error, once, nothing set, no second try.
    let mut calls = 0;
    let mut refusing = FnInjector(|_n: &'static str, _v: &[u8]| {
        calls += 1;
        Err(CarrierError::InvalidValue)
    });
    let r = propagate::inject(ctx.as_ref(), BaggageOut::None, &cfg, &mut refusing);
    assert!(r.is_err());
    assert_eq!(calls, 1, "the first set fails and injection stops there");
}
