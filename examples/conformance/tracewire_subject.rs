//! Runs one conformance case through tracewire and returns the observation the engine checks.
//!
//! Everything a case checks about headers and the extracted context comes from the library. What
//! a tracer would add around a pure codec lives here, in the harness: fresh span and trace ids, the
//! local sampling decision when none was extracted (keep, mechanism 0, as FORMAT.md §7 says; with
//! `sample_rate` a rule decision, mechanism 3), baggage edits (`ops`), span tags derived from the
//! context (`_dd.p.*`, `_dd.parent_id`, `_dd.propagation_error`, `baggage.*`), and link
//! serialisation.

use serde_json::{json, Map, Value};

use tracewire::carrier::Headers;
use tracewire::config::{Behavior, Config, Limits, Style, StyleSet};
use tracewire::context::{LastParent, SpanContext, Tags};
use tracewire::format::baggage::{self, TagKeys};
use tracewire::format::{b3, tracestate, Text};
use tracewire::propagate::{self, BaggageOut, Extracted, SpanLink, Status, StyleError};
use tracewire::wire::buf::Writer;
use tracewire::wire::list::Fields;
use tracewire::{DecisionMaker, SamplingPriority, SpanId, TraceId};

/// Harness settings that are not propagator configuration.
struct Harness {
    gen128: bool,
    sample_rate: Option<f64>,
    rng: u64,
}

impl Harness {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic per case, never zero.
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1
    }

    fn span_id(&mut self) -> SpanId {
        SpanId::new(self.next() & 0x7fff_ffff_ffff_ffff).unwrap_or(SpanId::new(1).unwrap())
    }

    fn trace_id(&mut self) -> TraceId {
        let low = self.next() & 0x7fff_ffff_ffff_ffff;
        let high = if self.gen128 {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x6900_0000, |d| d.as_secs());
            (secs & 0xffff_ffff) << 32
        } else {
            0
        };
        TraceId::from_halves(high, low).unwrap()
    }

    /// The tracer's own decision for a trace that arrived without one.
    fn decide(&self, trace: TraceId) -> (SamplingPriority, DecisionMaker) {
        match self.sample_rate {
            None => (SamplingPriority::AUTO_KEEP, DecisionMaker(0)),
            Some(rate) => {
                let keep = (trace.low().wrapping_mul(1_111_111_111_111_111_111) as f64)
                    < rate * u64::MAX as f64;
                let p = if keep {
                    SamplingPriority::USER_KEEP
                } else {
                    SamplingPriority::USER_REJECT
                };
                (p, DecisionMaker(3))
            }
        }
    }
}

fn style_list(v: Option<&Value>) -> Result<StyleSet, String> {
    let mut set = StyleSet::EMPTY;
    for s in v.and_then(Value::as_array).into_iter().flatten() {
        let name = s.as_str().ok_or("style name is not a string")?;
        set = set.with(Style::parse(name).ok_or_else(|| format!("unknown style {name:?}"))?);
    }
    Ok(set)
}

fn config_of(case: &Value) -> Result<(Config, Harness), String> {
    let c = &case["config"];
    let mut cfg = Config::new()
        .with_extract(style_list(c.get("extract"))?)
        .with_inject(style_list(c.get("inject"))?)
        .with_extract_first(c["extract_first"].as_bool().unwrap_or(false));
    if let Some(b) = c["behavior_extract"].as_str() {
        cfg = cfg.with_behavior(Behavior::parse(b).ok_or_else(|| format!("bad behavior {b}"))?);
    }
    if let Some(n) = c["datadog_tags_max_length"].as_u64() {
        cfg = cfg.with_limits(Limits {
            x_datadog_tags_max_len: n as usize,
            ..Limits::DEFAULT
        });
    }
    if let Some(k) = c["baggage_tag_keys"].as_str() {
        cfg.set_baggage_tag_keys(k)
            .map_err(|_| "baggage_tag_keys too long".to_string())?;
    }
    let id = case["id"].as_str().unwrap_or("");
    let seed = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let harness = Harness {
        gen128: c["trace_id_128bit_generation"].as_bool().unwrap_or(true),
        sample_rate: c["sample_rate"].as_f64(),
        rng: seed | 1,
    };
    Ok((cfg, harness))
}

/// Owned request headers: `(name, value)` bytes.
type OwnedHeaders = Vec<(Vec<u8>, Vec<u8>)>;

fn headers_of(case: &Value, key: &str) -> Result<OwnedHeaders, String> {
    let mut out = Vec::new();
    for (i, h) in case[key].as_array().into_iter().flatten().enumerate() {
        let name = h[0].as_str().ok_or("header name")?.as_bytes().to_vec();
        let mut value = h[1].as_str().ok_or("header value")?.as_bytes().to_vec();
        if i == 0 || case.get("input_header_bytes_hex").is_some() {
            if let Some(hex) = case["input_header_bytes_hex"].as_str() {
                if case[key].as_array().map_or(0, Vec::len) == 1 {
                    value = decode_hex(hex)?;
                }
            }
        }
        out.push((name, value));
    }
    Ok(out)
}

fn decode_hex(s: &str) -> Result<Vec<u8>, String> {
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(s.get(i..i + 2).ok_or("odd hex")?, 16).map_err(|e| e.to_string())
        })
        .collect()
}

fn text(t: Text<'_>) -> String {
    String::from_utf8_lossy(&t.bytes().collect::<Vec<u8>>()).into_owned()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn last_parent(lp: LastParent<'_>) -> String {
    let mut b = [0u8; 512];
    let mut w = Writer::new(&mut b);
    let _ = lp.write(&mut w);
    lossy(w.written())
}

fn fields_string(f: &Fields<'_>) -> String {
    f.as_slice()
        .iter()
        .map(|p| lossy(p))
        .collect::<Vec<_>>()
        .join(",")
}

fn tracestate_string(ts: &tracestate::TraceState<'_>) -> String {
    fields_string(ts.fields())
}

/// Owned baggage items (decoded), in order, last occurrence of a key winning.
type Items = Vec<(String, String)>;

fn baggage_items(b: &baggage::Baggage<'_>) -> (Items, Map<String, Value>) {
    let mut items: Items = Vec::new();
    let mut meta = Map::new();
    for m in b.members() {
        let mut buf = vec![0u8; m.value.len() * 3 + 8];
        let mut w = Writer::new(&mut buf);
        let v = if m.decode_value(&mut w).is_ok() {
            lossy(w.written())
        } else {
            lossy(m.value)
        };
        // Keys are compared and shown decoded (§12 #48).
        let k = decode(m.key);
        items.retain(|(key, _)| *key != k);
        items.push((k.clone(), v));
        meta.insert(k, Value::String(lossy(m.properties)));
    }
    (items, meta)
}

fn items_map(items: &Items) -> Value {
    Value::Object(
        items
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The local span the harness creates around the extracted context.
struct Span<'a> {
    ctx: SpanContext<'a>,
    parent: Option<SpanId>,
    local_dm: Option<DecisionMaker>,
}

fn make_span<'a>(
    ex: &Extracted<'a>,
    h: &mut Harness,
    reuse_ids: bool,
    child_id: Option<SpanId>,
) -> Span<'a> {
    let id = child_id.unwrap_or_else(|| h.span_id());
    match ex.context {
        Some(c) => {
            let mut ctx = if reuse_ids { c } else { c.child(id) };
            let mut local_dm = None;
            if ctx.sampling_priority.is_none() {
                let (p, dm) = h.decide(ctx.trace_id);
                ctx.sampling_priority = Some(p);
                if ctx.decision_maker.is_none() {
                    ctx.decision_maker = Some(dm);
                    local_dm = Some(dm);
                }
            }
            Span {
                ctx,
                parent: c.span_id,
                local_dm,
            }
        }
        None => {
            let trace = h.trace_id();
            let mut ctx = SpanContext::new(trace, Some(id));
            let (p, dm) = match ex.decision_only {
                Some(p) => (p, DecisionMaker(0)),
                None => h.decide(trace),
            };
            ctx.sampling_priority = Some(p);
            ctx.decision_maker = Some(dm);
            Span {
                ctx,
                parent: None,
                local_dm: Some(dm),
            }
        }
    }
}

fn link_json(l: &SpanLink<'_>, serialized_flags: bool) -> Value {
    let t = l.trace_id;
    let mut o = Map::new();
    o.insert("trace_id".into(), json!(t.low().to_string()));
    o.insert(
        "trace_id_high".into(),
        if t.high() == 0 {
            Value::Null
        } else {
            json!(t.high().to_string())
        },
    );
    o.insert(
        "span_id".into(),
        json!(l.span_id.map_or(0, SpanId::get).to_string()),
    );
    o.insert(
        "flags".into(),
        match l.flags() {
            Some(f) if serialized_flags => json!(u64::from(f) | (1u64 << 31)),
            Some(f) => json!(f),
            None => Value::Null,
        },
    );
    o.insert(
        "tracestate".into(),
        l.tracestate()
            .map_or(Value::Null, |ts| json!(tracestate_string(ts))),
    );
    o.insert(
        "attributes".into(),
        json!({"reason": l.reason.as_str(), "context_headers": l.style.name()}),
    );
    Value::Object(o)
}

fn span_json(
    span: &Span<'_>,
    ex: &Extracted<'_>,
    cfg: &Config,
    baggage: Option<&Items>,
    inject_tags_error: Option<&str>,
) -> Value {
    let c = &span.ctx;
    let mut meta = Map::new();
    if let Some(dm) = c.decision_maker {
        meta.insert("_dd.p.dm".into(), json!(format!("-{}", dm.0)));
    }
    if c.trace_id.high() != 0 {
        meta.insert(
            "_dd.p.tid".into(),
            json!(lossy(&tracewire::wire::hex::encode_u64(c.trace_id.high()))),
        );
    }
    for t in c.tags.iter() {
        meta.insert(format!("_dd.p.{}", lossy(t.key)), json!(text(t.value)));
    }
    if let Some(lp) = ex.context.and_then(|x| x.last_parent_id) {
        meta.insert("_dd.parent_id".into(), json!(last_parent(lp)));
    }
    if let Some(e) = c.propagation_error_tag() {
        let v = e
            .value
            .map(|v| format!(" {}", lossy(v)))
            .unwrap_or_default();
        meta.insert(
            "_dd.propagation_error".into(),
            json!(format!("{}{v}", e.error.as_str())),
        );
    } else if let Some(e) = inject_tags_error {
        meta.insert("_dd.propagation_error".into(), json!(e));
    }
    if let Some(Status::Invalid(StyleError::Traceparent(e))) = ex.report.status(Style::TraceContext)
    {
        meta.insert("_dd.w3c_extraction_error".into(), json!(e.as_str()));
    }
    if let (Some(items), Some(Ok(()))) = (baggage, ex.report.baggage) {
        let keys = TagKeys::parse(cfg.baggage_tag_keys().as_bytes());
        for (k, v) in items {
            if keys.matches(k.as_bytes()) {
                meta.insert(format!("baggage.{k}"), json!(v));
            }
        }
    }
    let mut o = Map::new();
    o.insert("trace_id".into(), json!(c.trace_id.low().to_string()));
    o.insert("trace_id_hex32".into(), json!(c.trace_id.to_string()));
    o.insert(
        "span_id".into(),
        json!(c.span_id.map_or(0, SpanId::get).to_string()),
    );
    o.insert(
        "parent_id".into(),
        json!(span.parent.map_or(0, SpanId::get).to_string()),
    );
    if let Some(p) = c.sampling_priority {
        o.insert("sampling_priority".into(), json!(p.0));
    }
    if let Some(orig) = c.origin {
        o.insert("origin".into(), json!(text(orig)));
    }
    o.insert("meta".into(), Value::Object(meta));
    o.insert(
        "links".into(),
        Value::Array(ex.links.iter().map(|l| link_json(&l, true)).collect()),
    );
    if let Some(items) = baggage {
        o.insert("baggage".into(), items_map(items));
    }
    let _ = span.local_dm;
    Value::Object(o)
}

fn context_json(
    ex: &Extracted<'_>,
    baggage: Option<(&Items, &Map<String, Value>)>,
    xray_t0: Option<String>,
) -> Value {
    let mut o = Map::new();
    o.insert("extracted".into(), json!(ex.context.is_some()));
    o.insert(
        "links".into(),
        Value::Array(ex.links.iter().map(|l| link_json(&l, false)).collect()),
    );
    if let Some((items, meta)) = baggage {
        o.insert("baggage".into(), items_map(items));
        o.insert("baggage_metadata".into(), Value::Object(meta.clone()));
    }
    if let Some(t0) = xray_t0 {
        o.insert("end_to_end_start_ns".into(), json!(t0));
    }
    let Some(c) = ex.context else {
        return Value::Object(o);
    };
    o.insert("trace_id_hex32".into(), json!(c.trace_id.to_string()));
    o.insert(
        "span_id".into(),
        json!(c.span_id.map_or(0, SpanId::get).to_string()),
    );
    if let Some(p) = c.sampling_priority {
        o.insert("sampling_priority".into(), json!(p.0));
    }
    if let Some(dm) = c.decision_maker {
        o.insert("sampling_mechanism".into(), json!(dm.0));
    }
    if let Some(orig) = c.origin {
        o.insert("origin".into(), json!(text(orig)));
    }
    let mut tags = Map::new();
    let mut ptags = Vec::new();
    if let Some(dm) = c.decision_maker {
        tags.insert("_dd.p.dm".into(), json!(format!("-{}", dm.0)));
        ptags.push(json!(["_dd.p.dm", format!("-{}", dm.0)]));
    }
    // dd-trace-rs and -cpp keep `_dd.p.tid` as a trace tag only when it came from x-datadog-tags.
    if c.trace_id.high() != 0 && matches!(c.tags, Tags::Header(_)) {
        let tid = lossy(&tracewire::wire::hex::encode_u64(c.trace_id.high()));
        tags.insert("_dd.p.tid".into(), json!(tid.clone()));
        ptags.push(json!(["_dd.p.tid", tid]));
    }
    if let Some(lp) = c.last_parent_id {
        tags.insert("_dd.parent_id".into(), json!(last_parent(lp)));
    }
    for t in c.tags.iter() {
        let k = format!("_dd.p.{}", lossy(t.key));
        tags.insert(k.clone(), json!(text(t.value)));
        ptags.push(json!([k, text(t.value)]));
    }
    if let Some(e) = c.propagation_error_tag() {
        let v = e
            .value
            .map(|v| format!(" {}", lossy(v)))
            .unwrap_or_default();
        tags.insert(
            "_dd.propagation_error".into(),
            json!(format!("{}{v}", e.error.as_str())),
        );
    }
    o.insert("tags".into(), Value::Object(tags));
    o.insert("propagated_tags".into(), Value::Array(ptags));
    if let Some(lp) = c.last_parent_id {
        o.insert("last_parent_id".into(), json!(last_parent(lp)));
    }
    if let Some(ts) = &c.tracestate {
        o.insert("tracestate".into(), json!(tracestate_string(ts)));
        let mut f = Map::new();
        if let Some(dd) = ts.dd() {
            let m = tracewire::format::dd_member::parse(dd);
            if let Some(s) = m.sampling_priority() {
                f.insert("dd_sampling_priority".into(), json!(s));
            }
            if let Some(orig) = m.origin() {
                f.insert("dd_origin".into(), json!(text(orig)));
            }
            let dd_tags: Map<String, Value> = m
                .tags()
                .map(|t| (format!("t.{}", lossy(t.key)), json!(text(t.value))))
                .collect();
            f.insert("dd_tags".into(), Value::Object(dd_tags));
        }
        let others: Vec<Value> = ts
            .others()
            .map(|m| json!([lossy(m.key), lossy(m.value)]))
            .collect();
        if !others.is_empty() {
            let s = ts
                .others()
                .map(|m| format!("{}={}", lossy(m.key), lossy(m.value)))
                .collect::<Vec<_>>()
                .join(",");
            f.insert("other_members_string".into(), json!(s));
        }
        f.insert("other_members".into(), Value::Array(others));
        o.insert("tracestate_fields".into(), Value::Object(f));
    }
    Value::Object(o)
}

fn headers_json(h: &Headers<16, 16384>) -> Value {
    Value::Array(h.iter().map(|(n, v)| json!([n, lossy(v)])).collect())
}

/// Baggage state through `ops`.
fn apply_ops(
    ops: &[Value],
    ctx: &mut SpanContext<'_>,
    items: &mut Items,
    steps: &mut Vec<Value>,
) -> Result<(), String> {
    for op in ops {
        let a = op.as_array().ok_or("op is not a list")?;
        match a.first().and_then(Value::as_str) {
            Some("set_baggage") => {
                let k = a
                    .get(1)
                    .and_then(Value::as_str)
                    .ok_or("set_baggage key")?
                    .to_string();
                let v = a
                    .get(2)
                    .and_then(Value::as_str)
                    .ok_or("set_baggage value")?
                    .to_string();
                items.retain(|(key, _)| *key != k);
                items.push((k, v));
            }
            Some("remove_baggage") => {
                let k = a
                    .get(1)
                    .and_then(Value::as_str)
                    .ok_or("remove_baggage key")?;
                items.retain(|(key, _)| key != k);
            }
            Some("remove_all_baggage") => items.clear(),
            Some("manual_keep") => {
                ctx.sampling_priority = Some(SamplingPriority::USER_KEEP);
                ctx.decision_maker = Some(DecisionMaker(4));
            }
            Some("checkpoint") => steps.push(json!({"span": {"baggage": items_map(items)}})),
            other => return Err(format!("unknown op {other:?}")),
        }
    }
    Ok(())
}

struct Owned {
    tags: Vec<(String, String)>,
    tracestate: Option<String>,
}

fn local_context<'a>(
    ic: &'a Value,
    h: &mut Harness,
    owned: &'a Owned,
) -> Result<SpanContext<'a>, String> {
    if ic["new_root"].as_bool() == Some(true) {
        let trace = h.trace_id();
        let mut ctx = SpanContext::new(trace, Some(h.span_id()));
        let (p, dm) = h.decide(trace);
        ctx.sampling_priority = Some(p);
        ctx.decision_maker = Some(dm);
        return Ok(ctx);
    }
    let hex = ic["trace_id_hex32"]
        .as_str()
        .ok_or("input_context.trace_id_hex32")?;
    let trace = tracewire::wire::hex::decode_u128(hex.as_bytes())
        .and_then(TraceId::new)
        .ok_or("bad trace id")?;
    let span = ic["span_id"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
        .and_then(SpanId::new);
    let mut ctx = SpanContext::new(trace, span);
    ctx.sampling_priority = ic["sampling_priority"]
        .as_i64()
        .map(|p| SamplingPriority(p as i32));
    ctx.decision_maker = ic["sampling_mechanism"]
        .as_u64()
        .map(|m| DecisionMaker(m as u8));
    if let Some(o) = ic["origin"].as_str() {
        ctx.origin = Some(Text::plain(o.as_bytes()));
    }
    // A `_dd.p.dm` tag is the decision maker injection writes; it wins over
    // `sampling_mechanism`, as Datadog's tracers propagate the tag, not the mechanism.
    if let Some(dm) = owned
        .tags
        .iter()
        .rfind(|(k, _)| k == "_dd.p.dm")
        .and_then(|(_, v)| DecisionMaker::parse(v.as_bytes()))
    {
        ctx.decision_maker = Some(dm);
    }
    if !owned.tags.is_empty() {
        ctx.tags = Tags::Pairs(leak_pairs(&owned.tags));
    }
    if let Some(ts) = &owned.tracestate {
        let lines: &'a Fields<'a> = Box::leak(Box::new(Fields::one(ts.as_bytes())));
        ctx.tracestate = Some(tracestate::TraceState::new(lines));
    }
    Ok(ctx)
}

/// The harness holds a handful of owned strings per case; leaking them keeps lifetimes simple
/// in this test-only code.
fn leak_pairs(v: &[(String, String)]) -> &'static [(&'static str, &'static str)] {
    let pairs: Vec<(&'static str, &'static str)> = v
        .iter()
        .map(|(k, v)| {
            (
                &*Box::leak(k.clone().into_boxed_str()),
                &*Box::leak(v.clone().into_boxed_str()),
            )
        })
        .collect();
    Box::leak(pairs.into_boxed_slice())
}

fn inject_into(
    ctx: Option<&SpanContext<'_>>,
    bag: BaggageOut<'_>,
    cfg: &Config,
) -> Result<(Headers<16, 16384>, propagate::InjectReport), String> {
    let mut out = Headers::<16, 16384>::new();
    let r = propagate::inject(ctx, bag, cfg, &mut out).map_err(|e| e.to_string())?;
    Ok((out, r))
}

/// One extract → span → (ops) → inject pass. Returns the observation object.
fn roundtrip(
    case: &Value,
    headers: &[(Vec<u8>, Vec<u8>)],
    cfg: &Config,
    h: &mut Harness,
    inject: bool,
) -> Result<Value, String> {
    let carrier: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_slice(), v.as_slice()))
        .collect();
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(carrier.as_slice(), cfg, &mut slots);
    let ic = &case["input_context"];
    let child_id = ic["child_span_id"]
        .as_str()
        .and_then(|s| s.parse::<u64>().ok())
        .and_then(SpanId::new);
    let reuse = ic["reuse_extracted_ids"].as_bool() == Some(true);
    let mut span = make_span(&ex, h, reuse, child_id);
    let (mut items, meta) = match &ex.baggage {
        Some(b) => {
            let (i, m) = baggage_items(b);
            (i, Some(m))
        }
        None => (Vec::new(), None),
    };
    let ops = ic["ops"].as_array().cloned().unwrap_or_default();
    let mut steps = Vec::new();
    apply_ops(&ops, &mut span.ctx, &mut items, &mut steps)?;
    let mut obs = Map::new();
    let mut tags_error = None;
    if inject {
        let bag = if ops.is_empty() {
            ex.baggage
                .as_ref()
                .map_or(BaggageOut::None, BaggageOut::Extracted)
        } else {
            BaggageOut::Pairs(leak_pairs(&items))
        };
        let (out, rep) = inject_into(Some(&span.ctx), bag, cfg)?;
        tags_error = rep.tags_error.map(|e| e.as_str());
        obs.insert("headers".into(), headers_json(&out));
    }
    let have_bag = ex.baggage.is_some() || !items.is_empty();
    obs.insert(
        "span".into(),
        span_json(&span, &ex, cfg, have_bag.then_some(&items), tags_error),
    );
    obs.insert(
        "context".into(),
        context_json(&ex, meta.as_ref().map(|m| (&items, m)), None),
    );
    if let Some(c) = ex.context {
        obs.insert(
            "w3c_view".into(),
            json!({
                "trace_id": c.trace_id.to_string(),
                "trace_state": w3c_tracestate(&c, cfg),
                "trace_flags": format!("{:02x}", u8::from(c.is_sampled())),
            }),
        );
    }
    obs.insert("step".into(), Value::Array(steps));
    Ok(Value::Object(obs))
}

/// The tracestate an OpenTelemetry API sees for an extracted context: what tracewire would send
/// for it in W3C form.
fn w3c_tracestate(c: &SpanContext<'_>, cfg: &Config) -> String {
    let one = cfg
        .clone()
        .with_inject(StyleSet::EMPTY.with(Style::TraceContext));
    match inject_into(Some(c), BaggageOut::None, &one) {
        Ok((h, _)) => h.get("tracestate").map(lossy).unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Runs a case; `Err` means the case could not be run (it counts as failed).
pub fn run(case: &Value) -> Result<Value, String> {
    let (cfg, mut h) = config_of(case)?;
    let kind = case["kind"].as_str().ok_or("case has no kind")?;
    match kind {
        "extract" => roundtrip(
            case,
            &headers_of(case, "input_headers")?,
            &cfg,
            &mut h,
            false,
        ),
        "roundtrip" => roundtrip(
            case,
            &headers_of(case, "input_headers")?,
            &cfg,
            &mut h,
            true,
        ),
        "multi" => {
            let mut runs = Vec::new();
            for r in case["runs"].as_array().ok_or("multi without runs")? {
                runs.push(roundtrip(
                    r,
                    &headers_of(r, "input_headers")?,
                    &cfg,
                    &mut h,
                    true,
                )?);
            }
            Ok(json!({ "run": runs }))
        }
        "fanout" => {
            let headers = headers_of(case, "input_headers")?;
            let carrier: Vec<(&[u8], &[u8])> = headers
                .iter()
                .map(|(n, v)| (n.as_slice(), v.as_slice()))
                .collect();
            let mut slots = propagate::Slots::new();
            let ex = propagate::extract(carrier.as_slice(), &cfg, &mut slots);
            let n = case["children"].as_u64().unwrap_or(3);
            let mut children = Vec::new();
            for _ in 0..n {
                let span = make_span(&ex, &mut h, false, None);
                let bag = ex
                    .baggage
                    .as_ref()
                    .map_or(BaggageOut::None, BaggageOut::Extracted);
                let (out, _) = inject_into(Some(&span.ctx), bag, &cfg)?;
                children.push(json!({ "headers": headers_json(&out) }));
            }
            Ok(json!({ "child": children }))
        }
        "inject" | "context" => {
            let ic = &case["input_context"];
            let owned = Owned {
                tags: ic["tags"]
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                            .collect()
                    })
                    .unwrap_or_default(),
                tracestate: ic["tracestate"].as_str().map(str::to_string),
            };
            let mut ctx = local_context(ic, &mut h, &owned)?;
            let mut items: Items = ic["baggage"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p[0].as_str()?.to_string(), p[1].as_str()?.to_string())))
                .collect();
            let mut steps = Vec::new();
            apply_ops(
                ic["ops"].as_array().map_or(&[][..], Vec::as_slice),
                &mut ctx,
                &mut items,
                &mut steps,
            )?;
            let (out, rep) = inject_into(Some(&ctx), BaggageOut::Pairs(leak_pairs(&items)), &cfg)?;
            let mut slots = propagate::Slots::new();
            let ex = propagate::extract(&[] as &[(&str, &str)], &cfg, &mut slots);
            let span = Span {
                ctx,
                parent: None,
                local_dm: None,
            };
            Ok(json!({
                "headers": if kind == "inject" { headers_json(&out) } else { Value::Array(vec![]) },
                "span": span_json(&span, &ex, &cfg, Some(&items), rep.tags_error.map(|e| e.as_str())),
                "step": steps,
            }))
        }
        "extract_as_link" => {
            let headers = headers_of(case, "input_headers")?;
            let carrier: Vec<(&[u8], &[u8])> = headers
                .iter()
                .map(|(n, v)| (n.as_slice(), v.as_slice()))
                .collect();
            let mut slots = propagate::Slots::new();
            let ex = propagate::extract(carrier.as_slice(), &cfg, &mut slots);
            let mut none_slots = tracewire::propagate::Slots::new();
            let mut root = make_span(
                &propagate::extract(&[] as &[(&str, &str)], &cfg, &mut none_slots),
                &mut h,
                false,
                None,
            );
            // The linking root span adopts the linked context's sampling decision.
            if let Some(c) = ex.context.filter(|c| c.sampling_priority.is_some()) {
                root.ctx.sampling_priority = c.sampling_priority;
                root.ctx.decision_maker = c.decision_maker.or(Some(DecisionMaker(0)));
            }
            let mut slots = propagate::Slots::new();
            let empty = propagate::extract(&[] as &[(&str, &str)], &cfg, &mut slots);
            let link = ex.context.map(|c| {
                let l = SpanLink::new(
                    &c,
                    ex.style.unwrap_or(Style::Datadog),
                    propagate::LinkReason::TerminatedContext,
                );
                let mut v = link_json(&l, true);
                let attrs = case["input_context"]["link_attributes"].clone();
                v["attributes"] = if attrs.is_null() { json!({}) } else { attrs };
                if ex.style != Some(Style::TraceContext) {
                    v["tracestate"] = Value::Null;
                }
                v
            });
            Ok(json!({ "span": span_json(&root, &empty, &cfg, None, None), "link": link }))
        }
        "parse" => parse_case(case),
        "validate" => validate_case(case),
        "serialize" => serialize_case(case),
        other => Err(format!("unknown kind {other}")),
    }
}

/// `serialize`: W3C baggage entries (`{"key", "value", "properties": [{"key", "value"}]}`) written
/// as one `baggage` value: key and value by `baggage::encode`, each property as `;key[=value]`
/// with its value percent-encoded like a member value.
fn serialize_case(case: &Value) -> Result<Value, String> {
    let entries = case["input_context"]["entries"]
        .as_array()
        .ok_or("input_context.entries")?;
    let mut out = String::new();
    for e in entries {
        let k = e["key"].as_str().ok_or("entry key")?;
        let v = e["value"].as_str().ok_or("entry value")?;
        let mut buf = vec![0u8; (k.len() + v.len()) * 3 + 8];
        let mut w = Writer::new(&mut buf);
        let r = baggage::encode(
            std::iter::once((k.as_bytes(), v.as_bytes())),
            baggage::Limits::default(),
            &mut w,
        )
        .map_err(|e| e.to_string())?;
        if r.written == 0 {
            continue;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&lossy(w.written()));
        for p in e["properties"].as_array().into_iter().flatten() {
            out.push(';');
            out.push_str(p["key"].as_str().ok_or("property key")?);
            if let Some(pv) = p["value"].as_str() {
                let mut pb = vec![0u8; pv.len() * 3 + 1];
                let mut pw = Writer::new(&mut pb);
                let safe = tracewire::wire::pct::SafeSet::alnum_and(b"!#$&'()*+-./:<>?@[]^_`{|}~");
                tracewire::wire::pct::encode(pv.as_bytes(), &safe, &mut pw)
                    .map_err(|e| e.to_string())?;
                out.push('=');
                out.push_str(&lossy(pw.written()));
            }
        }
    }
    Ok(json!({ "output": out }))
}

fn parse_case(case: &Value) -> Result<Value, String> {
    let headers = headers_of(case, "input_headers")?;
    let features: Vec<&str> = case["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if features.contains(&"baggage") {
        let mut f = Fields::default();
        for (n, v) in &headers {
            if n.eq_ignore_ascii_case(b"baggage") {
                f.push(v);
            }
        }
        return match baggage::parse(&f, baggage::Limits::default()) {
            Err(_) => Ok(json!({ "parsed": { "entries": [] } })),
            Ok(b) => {
                let entries: Vec<Value> = b
                    .members()
                    .map(|m| {
                        let mut buf = vec![0u8; m.value.len() * 3 + 8];
                        let mut w = Writer::new(&mut buf);
                        let v = if m.decode_value(&mut w).is_ok() {
                            lossy(w.written())
                        } else {
                            lossy(m.value)
                        };
                        let props: Vec<Value> = m
                            .properties()
                            .map(|(k, v)| json!({"key": lossy(k), "value": v.map(decode)}))
                            .collect();
                        json!({"key": decode(m.key), "value": v, "properties": props})
                    })
                    .collect();
                Ok(json!({ "parsed": { "entries": entries } }))
            }
        };
    }
    // B3: the single header if present, else the multi headers.
    let get = |name: &[u8]| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    };
    let parsed = match get(b"b3") {
        Some(v) => b3::parse_single(v).map(Some),
        None => b3::parse_multi(&b3::B3MultiInput {
            trace_id: get(b"x-b3-traceid"),
            span_id: get(b"x-b3-spanid"),
            sampled: get(b"x-b3-sampled"),
            flags: get(b"x-b3-flags"),
            parent_span_id: get(b"x-b3-parentspanid"),
        }),
    };
    let single = get(b"b3");
    let written = |i: usize, multi: &[u8]| -> Option<String> {
        match single {
            Some(v) => v.split(|&b| b == b'-').nth(i).map(lossy),
            None => get(multi).map(lossy),
        }
    };
    let mut o = Map::new();
    if let Ok(Some(b)) = parsed {
        if let Some((_, s)) = b.ids {
            o.insert("trace_id".into(), json!(written(0, b"x-b3-traceid")));
            if s.is_some() {
                o.insert("span_id".into(), json!(written(1, b"x-b3-spanid")));
            }
        }
        if b.parent.is_some() {
            o.insert(
                "parent_span_id".into(),
                json!(written(3, b"x-b3-parentspanid")),
            );
        }
        let state = match b.sampling {
            None => "defer",
            Some(b3::SamplingState::Deny) => "deny",
            Some(b3::SamplingState::Accept) => "accept",
            Some(b3::SamplingState::Debug) => "debug",
        };
        o.insert("sampling_state".into(), json!(state));
    }
    Ok(json!({ "parsed": o }))
}

fn decode(v: &[u8]) -> String {
    let mut buf = vec![0u8; v.len() * 3 + 8];
    let mut w = Writer::new(&mut buf);
    match tracewire::wire::pct::decode(v, &mut w) {
        Ok(_) => lossy(w.written()),
        Err(_) => lossy(v),
    }
}

fn validate_case(case: &Value) -> Result<Value, String> {
    let input = &case["input"];
    if let Some(m) = input["tracestate_member"].as_array() {
        let k = m.first().and_then(Value::as_str).ok_or("member key")?;
        let v = m.get(1).and_then(Value::as_str).ok_or("member value")?;
        return Ok(
            json!({ "valid": tracestate::is_valid_key(k.as_bytes()) && tracestate::is_valid_value(v.as_bytes()) }),
        );
    }
    if let Some(h) = input["tracestate_header"].as_str() {
        let lines = Fields::one(h.as_bytes());
        let ts = tracestate::TraceState::new(&lines);
        let members: Vec<Value> = ts
            .members()
            .map(|m| json!([lossy(m.key), lossy(m.value)]))
            .collect();
        return Ok(
            json!({ "valid": tracestate::is_valid_header(h.as_bytes()), "parsed": { "members": members } }),
        );
    }
    Err("validate case without input".into())
}
