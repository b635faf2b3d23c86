//! The written-bytes oracle, shared by the `oracle` fuzz target and the `written_bytes` property
//! test: for any header list and any configuration, everything `inject` and `forward` write
//!
//! - has a known lowercase name and a valid field value (visible ASCII, space, tab; no white
//!   space at an edge), within the documented limit of its header;
//! - re-extracts, style by style, to the same trace id (all 128 bits), span id, sampling
//!   decision, origin and `_dd.p.*` tags, as far as each style can carry them;
//!
//! and that an error leaves the carrier as it was, and that the direct path (the encoders writing
//! straight into an in-place carrier) writes exactly what the staged path (every header staged,
//! then `prepare` and `set`) writes, and fails exactly when it fails. Input: a selector byte for the extract
//! styles, one for the inject styles and behaviour, one for the carrier size, then `name:value`
//! lines separated by `\n`.

use tracewire::carrier::{CarrierError, HeaderBlockWriter, Headers, Inject};
use tracewire::config::{Behavior, Config, Limits, Style, StyleSet};
use tracewire::context::SpanContext;
use tracewire::format::{baggage, datadog, tracestate, xray};
use tracewire::propagate::{self, BaggageOut, Extracted};
use tracewire::transport::sqs::JsonObjectWriter;
use tracewire::wire::name;
use tracewire::SpanId;

const STYLES: [Style; 6] = [
    Style::Datadog,
    Style::TraceContext,
    Style::B3Single,
    Style::B3Multi,
    Style::XRay,
    Style::Baggage,
];

fn set_of(bits: u8) -> StyleSet {
    let mut s = StyleSet::EMPTY;
    // Rotate the order so that every style comes first for some selector.
    let first = usize::from(bits >> 6);
    for i in 0..STYLES.len() {
        let k = (i + first) % STYLES.len();
        if bits & (1 << k) != 0 {
            s = s.with(STYLES[k]);
        }
    }
    s
}

/// A valid field value, checked byte by byte here, independently of the library.
fn field_value_ok(v: &[u8]) -> bool {
    !v.is_empty()
        && !matches!(v[0], b' ' | b'\t')
        && !matches!(v[v.len() - 1], b' ' | b'\t')
        && v.iter().all(|&b| (0x20..=0x7e).contains(&b) || b == b'\t')
}

/// The longest value each header may have.
fn limit(n: &str, cfg: &Config) -> usize {
    match n {
        name::TRACEPARENT => 55,
        name::TRACESTATE => tracestate::MAX_ENCODED_LEN,
        name::X_DATADOG_TAGS => cfg.x_datadog_tags_max_len(),
        name::X_DATADOG_ORIGIN => datadog::ORIGIN_MAX_LEN,
        name::X_DATADOG_TRACE_ID | name::X_DATADOG_PARENT_ID => 20,
        name::X_DATADOG_SAMPLING_PRIORITY => 11,
        name::B3 => 68,
        name::X_B3_TRACEID => 32,
        name::X_B3_SPANID => 16,
        name::X_B3_SAMPLED | name::X_B3_FLAGS => 1,
        name::X_AMZN_TRACE_ID => xray::MAX_LEN,
        name::BAGGAGE => Limits::BAGGAGE_BYTES_MAX,
        other => panic!("unknown header written: {other}"),
    }
}

fn check_written(out: &Headers<16, 16384>, cfg: &Config) {
    let mut names: Vec<&str> = Vec::new();
    for (n, v) in out.iter() {
        assert!(name::ALL.contains(&n), "unknown name {n}");
        assert!(!names.contains(&n), "{n} written twice");
        names.push(n);
        assert!(
            field_value_ok(v),
            "{n}: invalid value {:?}",
            String::from_utf8_lossy(v)
        );
        assert!(v.len() <= limit(n, cfg), "{n}: {} bytes", v.len());
    }
}

/// An origin every style carries unchanged.
fn clean_origin(o: &[u8]) -> bool {
    !o.is_empty()
        && o.len() <= 64
        && o.iter()
            .all(|&b| (0x21..=0x7e).contains(&b) && !b",;~=".contains(&b))
}

/// A tag key as the `dd=` member writes it.
fn member_key(k: &[u8]) -> Vec<u8> {
    k.iter()
        .map(|&b| {
            if (0x21..=0x7e).contains(&b) && !b",;:=".contains(&b) {
                b
            } else {
                b'_'
            }
        })
        .collect()
}

/// A tag value as the `dd=` member writes it, read back (`~` decodes to `=`).
fn member_value(v: &[u8]) -> Vec<u8> {
    v.iter()
        .map(|&b| {
            if (0x20..=0x7e).contains(&b) && !b",;~".contains(&b) {
                b
            } else {
                b'_'
            }
        })
        .collect()
}

fn tags_of(c: &SpanContext<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    c.tags
        .iter()
        .map(|t| (t.key.to_vec(), t.value.bytes().collect()))
        .collect()
}

/// `got` (re-extracted from what was written in `style`) against `want` (what was written).
fn same_context(style: Style, want: &SpanContext<'_>, got: &SpanContext<'_>, tags_ok: bool) {
    let trace_bits_carried = match style {
        // The high half travels in `_dd.p.tid`, which an unwritable tags header loses (reported).
        Style::Datadog if !tags_ok => want.trace_id.low() == got.trace_id.low(),
        _ => want.trace_id == got.trace_id,
    };
    assert!(
        trace_bits_carried,
        "{style}: trace id {:?} -> {:?}",
        want.trace_id, got.trace_id
    );
    assert_eq!(want.span_id, got.span_id, "{style}: span id");
    if let Some(p) = want.sampling_priority {
        let g = got.sampling_priority.map(|g| g.0);
        match style {
            Style::Datadog => assert_eq!(g, Some(p.0), "{style}: priority"),
            // The flag and `s:` are reconciled: `s` survives when it agrees with the flag.
            Style::TraceContext => assert_eq!(g.map(|g| g > 0), Some(p.is_keep()), "{style}"),
            Style::B3Single | Style::B3Multi => {
                let m = |v: i32| v.clamp(0, 2);
                assert_eq!(g.map(m), Some(m(p.0)), "{style}: priority");
            }
            Style::XRay => assert_eq!(g.map(|g| g > 0), Some(p.is_keep()), "{style}"),
            _ => {}
        }
    }
    if let Some(o) = want.origin.map(|o| o.bytes().collect::<Vec<u8>>()) {
        if clean_origin(&o) && matches!(style, Style::Datadog | Style::TraceContext | Style::XRay) {
            let g = got.origin.map(|g| g.bytes().collect::<Vec<u8>>());
            assert_eq!(g.as_deref(), Some(&o[..]), "{style}: origin");
        }
    }
    match style {
        Style::Datadog if tags_ok => {
            assert_eq!(tags_of(got), tags_of(want), "{style}: tags");
            assert_eq!(got.decision_maker, want.decision_maker, "{style}: dm");
        }
        Style::TraceContext => {
            // The `dd=` member is capped at 256 bytes: tags may be left out; those written are
            // the sent ones, sanitised as the member's grammar requires.
            let w: Vec<_> = tags_of(want)
                .into_iter()
                .map(|(k, v)| (member_key(&k), member_value(&v)))
                .collect();
            for t in tags_of(got) {
                assert!(w.contains(&t), "{style}: tag {t:?} was not sent ({w:?})");
            }
        }
        _ => {}
    }
}

/// A carrier seen only through `set` / `reserve` / `prepare`: injection into it is staged.
struct Staged<'a, I: ?Sized>(&'a mut I);

impl<I: Inject + ?Sized> Inject for Staged<'_, I> {
    fn set(&mut self, name: &'static str, value: &[u8]) -> Result<(), CarrierError> {
        self.0.set(name, value)
    }
    fn reserve(&mut self, headers: usize, bytes: usize) -> Result<(), CarrierError> {
        self.0.reserve(headers, bytes)
    }
    fn prepare(&mut self, headers: &[(&'static str, &[u8])]) -> Result<(), CarrierError> {
        self.0.prepare(headers)
    }
}

/// The direct and the staged path agree on `inject` and `forward` into carriers of `room`
/// bytes: the same result, the same bytes.
fn direct_equals_staged(
    child: Option<&SpanContext<'_>>,
    bag: BaggageOut<'_>,
    headers: &[(&[u8], &[u8])],
    span: SpanId,
    cfg: &Config,
    room: usize,
) {
    // Headers: fresh, and holding a stale trace header and an unrelated one.
    let mut fresh = Headers::<16, 4096>::new();
    let mut stale = Headers::<16, 4096>::new();
    stale.set("x-request-id", b"abc").unwrap();
    stale.set("traceparent", &[b'x'; 55]).unwrap();
    for start in [&mut fresh, &mut stale] {
        let cap = room.min(4096);
        let mut a = start.clone();
        let mut b = start.clone();
        // The arena's room is cut to `room` by filling the rest with one header.
        let pad = 4096usize.saturating_sub(a.iter().map(|(_, v)| v.len()).sum::<usize>() + cap);
        if pad > 0 {
            a.set("x-pad", &vec![b'p'; pad]).unwrap();
            b.set("x-pad", &vec![b'p'; pad]).unwrap();
        }
        let ra = propagate::inject(child, bag, cfg, &mut a);
        let rb = propagate::inject(child, bag, cfg, &mut Staged(&mut b));
        assert_eq!(
            ra.is_ok(),
            rb.is_ok(),
            "inject into Headers, room {room}: {ra:?} / {rb:?}"
        );
        assert_eq!(ra.ok(), rb.ok(), "inject reports");
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            b.iter().collect::<Vec<_>>(),
            "inject bytes"
        );
        let mut a = start.clone();
        let mut b = start.clone();
        if pad > 0 {
            a.set("x-pad", &vec![b'p'; pad]).unwrap();
            b.set("x-pad", &vec![b'p'; pad]).unwrap();
        }
        let ra = propagate::forward(headers, span, cfg, &mut a);
        let rb = propagate::forward(headers, span, cfg, &mut Staged(&mut b));
        assert_eq!(ra.ok(), rb.ok(), "forward into Headers, room {room}");
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            b.iter().collect::<Vec<_>>(),
            "forward bytes"
        );
    }
    // A header block and a JSON object of `room` bytes.
    let (mut x, mut y) = (vec![0u8; room], vec![0u8; room]);
    let (mut a, mut b) = (
        HeaderBlockWriter::new(&mut x),
        HeaderBlockWriter::new(&mut y),
    );
    let ra = propagate::inject(child, bag, cfg, &mut a);
    let rb = propagate::inject(child, bag, cfg, &mut Staged(&mut b));
    assert_eq!(ra.ok(), rb.ok(), "inject into a header block of {room}");
    assert_eq!(a.written(), b.written(), "header block bytes");
    let (mut x, mut y) = (vec![0u8; room], vec![0u8; room]);
    let (mut a, mut b) = (JsonObjectWriter::new(&mut x), JsonObjectWriter::new(&mut y));
    let ra = propagate::forward(headers, span, cfg, &mut a);
    let rb = propagate::forward(headers, span, cfg, &mut Staged(&mut b));
    assert_eq!(ra.ok(), rb.ok(), "forward into a JSON object of {room}");
    assert_eq!(a.finish(), b.finish(), "JSON bytes");
}

fn only(style: Style) -> Config {
    Config::new()
        .with_styles(StyleSet::EMPTY.with(style))
        .with_xray_128bit_roots(true)
}

fn parse_lines(rest: &[u8]) -> Vec<(&[u8], &[u8])> {
    rest.split(|&b| b == b'\n')
        .filter_map(|l| {
            let i = l.iter().position(|&b| b == b':')?;
            Some((&l[..i], &l[i + 1..]))
        })
        .collect()
}

/// Runs the oracle on one input.
pub fn check(data: &[u8]) {
    let [ext, inj, size, rest @ ..] = data else {
        return;
    };
    let behavior =
        [Behavior::Continue, Behavior::Restart, Behavior::Continue][usize::from(*size >> 6) % 3];
    let cfg = Config::new()
        .with_extract(set_of(*ext))
        .with_inject(set_of(*inj))
        .with_behavior(behavior)
        .with_extract_first(size & 0x20 != 0)
        .with_xray_128bit_roots(true);
    let headers = parse_lines(rest);
    let mut slots = propagate::Slots::new();
    let ex: Extracted<'_> = propagate::extract(headers.as_slice(), &cfg, &mut slots);
    let span = SpanId::new(0x1234_5678_9abc_def0).unwrap();
    let child = ex.context.map(|c| c.child(span));
    let bag = ex
        .baggage
        .as_ref()
        .map_or(BaggageOut::None, BaggageOut::Extracted);

    // inject: valid, bounded, and each style carries the context back.
    let mut out = Headers::<16, 16384>::new();
    let report = propagate::inject(child.as_ref(), bag, &cfg, &mut out).expect("room enough");
    assert_eq!(report.refused, 0, "an encoder produced an invalid value");
    // Whatever extraction accepts, injection writes: an extracted context never loses its
    // `x-datadog-tags` (and with it the high half of the trace id) on the way out.
    assert_eq!(
        report.tags_error, None,
        "x-datadog-tags of an extracted context"
    );
    check_written(&out, &cfg);
    if let Some(c) = &child {
        for &style in cfg.inject.as_slice() {
            if style == Style::Baggage {
                continue;
            }
            if style == Style::Datadog && c.trace_id.low() == 0 {
                // `x-datadog-trace-id` cannot carry it: nothing Datadog is written, and said so.
                assert!(report.datadog_unrepresentable);
                assert!(
                    out.iter().all(|(n, _)| !n.starts_with("x-datadog-")),
                    "{out:?}"
                );
                continue;
            }
            let mut slots = propagate::Slots::new();
            let back = propagate::extract(&out, &only(style), &mut slots);
            let got = back
                .context
                .unwrap_or_else(|| panic!("{style}: no context in {out:?}"));
            same_context(style, c, &got, report.tags_error.is_none());
        }
    }
    if cfg.inject.contains(Style::Baggage) {
        let mut slots = propagate::Slots::new();
        let back = propagate::extract(&out, &only(Style::Baggage), &mut slots);
        let n = ex.baggage.as_ref().map_or(0, baggage::Baggage::len);
        let got = back.baggage.as_ref().map_or(0, baggage::Baggage::len);
        assert_eq!(got + report.baggage_dropped, n, "baggage members");
    }

    // The same into a carrier of the selected size: all or nothing.
    let mut buf = vec![0u8; usize::from(*size) * 8];
    let mut w = HeaderBlockWriter::new(&mut buf);
    if propagate::inject(child.as_ref(), bag, &cfg, &mut w).is_err() {
        assert!(w.written().is_empty(), "partial write");
    }
    direct_equals_staged(
        child.as_ref(),
        bag,
        &headers,
        span,
        &cfg,
        usize::from(*size) * 8,
    );

    // forward: valid, bounded, and each rewritten style keeps its own incoming context.
    let mut fwd = Headers::<16, 16384>::new();
    let r = propagate::forward(headers.as_slice(), span, &cfg, &mut fwd).expect("room enough");
    assert_eq!(r.inject.refused, 0);
    assert_eq!(r.inject.tags_error, None, "forwarded x-datadog-tags");
    check_written(&fwd, &cfg);
    for &style in cfg.inject.as_slice() {
        if matches!(style, Style::Baggage | Style::XRay) {
            continue;
        }
        let mut slots = propagate::Slots::new();
        let src = propagate::extract(
            headers.as_slice(),
            &only(style).with_limits(cfg.limits),
            &mut slots,
        );
        let Some(mut want) = src.context else {
            continue;
        };
        want.span_id = Some(span);
        let mut slots = propagate::Slots::new();
        let back = propagate::extract(&fwd, &only(style), &mut slots);
        let got = back
            .context
            .unwrap_or_else(|| panic!("{style}: forwarded nothing back from {fwd:?}"));
        same_context(style, &want, &got, r.inject.tags_error.is_none());
    }
    let mut buf = vec![0u8; usize::from(*size) * 8];
    let mut w = HeaderBlockWriter::new(&mut buf);
    if propagate::forward(headers.as_slice(), span, &cfg, &mut w).is_err() {
        assert!(w.written().is_empty(), "partial forward");
    }
}
