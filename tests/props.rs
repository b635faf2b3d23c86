//! Property tests: every format round-trips (`parse(encode(x)) == x`), encoding is canonical,
//! and naive, obviously-correct reference parsers written with `String`s agree with the fast
//! ones on generated valid and near-valid input.

use proptest::prelude::*;

use tracewire::carrier::Headers;
use tracewire::config::{Config, Style, StyleSet};
use tracewire::context::{SpanContext, Tags};
use tracewire::format::{
    b3, baggage, datadog, dd_member, dd_tags, traceparent, tracestate, xray, Tag, Text,
};
use tracewire::propagate::{self, BaggageOut};
use tracewire::wire::buf::Writer;
use tracewire::wire::list::Fields;
use tracewire::wire::{dec, pct};
use tracewire::{DecisionMaker, SamplingPriority, SpanId, TraceFlags, TraceId};

fn trace_id() -> impl Strategy<Value = TraceId> {
    prop_oneof![any::<u64>().prop_map(u128::from), any::<u128>()]
        .prop_filter_map("non-zero", TraceId::new)
}

fn span_id() -> impl Strategy<Value = SpanId> {
    any::<u64>().prop_filter_map("non-zero", SpanId::new)
}

fn fields_of(lines: &[String]) -> Fields<'_> {
    let mut f = Fields::default();
    for l in lines {
        f.push(l.as_bytes());
    }
    f
}

// ---------- naive references ----------

fn naive_ts_key(k: &str) -> bool {
    let mut c = k.chars();
    matches!(c.next(), Some('a'..='z' | '0'..='9'))
        && k.len() <= 256
        && c.all(|ch| matches!(ch, 'a'..='z' | '0'..='9' | '_' | '-' | '*' | '/' | '@'))
}

fn naive_ts_value(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 256
        && !v.ends_with(' ')
        && v.chars()
            .all(|c| (' '..='~').contains(&c) && c != ',' && c != '=')
}

/// The spec read literally: join lines with ',', split, trim SP/HTAB, skip empty, keep valid
/// members, first occurrence of a key, at most 32.
fn naive_tracestate(lines: &[String]) -> Vec<(String, String)> {
    let joined = lines.join(",");
    let mut out: Vec<(String, String)> = Vec::new();
    for (scanned, item) in joined.split(',').enumerate() {
        if scanned >= tracestate::MAX_SCAN || out.len() == 32 {
            break;
        }
        let item = item.trim_matches([' ', '\t']);
        if item.is_empty() {
            continue;
        }
        let Some((k, v)) = item.split_once('=') else {
            continue;
        };
        if naive_ts_key(k) && naive_ts_value(v) && !out.iter().any(|(x, _)| x == k) {
            out.push((k.to_string(), v.to_string()));
        }
    }
    out
}

fn naive_dd_tags(s: &str) -> Option<Vec<(String, String)>> {
    let items: Vec<&str> = s.split(',').collect();
    let n = items.len();
    let mut out = Vec::new();
    let ows: &[char] = &[' ', '\t'];
    for (i, item) in items.into_iter().enumerate() {
        // Each pair and its value are read trimmed of OWS.
        let item = item.trim_matches(ows);
        if item.is_empty() && i + 1 == n && i > 0 {
            break;
        }
        let (k, v) = item.split_once('=')?;
        let (k, v) = (k.trim_end_matches(ows), v.trim_matches(ows));
        let key_ok = !k.is_empty()
            && k.chars()
                .all(|c| ('!'..='~').contains(&c) && c != ',' && c != '=');
        let val_ok = !v.is_empty() && v.chars().all(|c| (' '..='~').contains(&c) && c != ',');
        if !key_ok || !val_ok {
            return None;
        }
        if let Some(short) = k.strip_prefix("_dd.p.") {
            out.push((short.to_string(), v.to_string()));
        }
    }
    Some(out)
}

fn naive_baggage(lines: &[String]) -> Option<Vec<(String, String)>> {
    let joined = lines.join(",");
    let items: Vec<&str> = joined.split(',').collect();
    let n = items.len();
    let mut out = Vec::new();
    let mut bytes = 0;
    let token = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
    };
    for (i, item) in items.into_iter().enumerate() {
        if item.trim_matches([' ', '\t']).is_empty() && i + 1 == n {
            break;
        }
        let kv = item.split(';').next().unwrap();
        let (k, v) = kv.split_once('=')?;
        let (k, v) = (k.trim_matches([' ', '\t']), v.trim_matches([' ', '\t']));
        if !token(k)
            || v.is_empty()
            || !v
                .chars()
                .all(|c| (' '..='~').contains(&c) && c != ',' && c != ';')
        {
            return None;
        }
        for p in item.split(';').skip(1) {
            let (pk, pv) = match p.split_once('=') {
                Some((a, b)) => (a, Some(b)),
                None => (p, None),
            };
            if !token(pk.trim_matches([' ', '\t'])) {
                return None;
            }
            if let Some(pv) = pv {
                let pv = pv.trim_matches([' ', '\t']);
                if pv.is_empty()
                    || !pv
                        .chars()
                        .all(|c| (' '..='~').contains(&c) && c != ',' && c != ';')
                {
                    return None;
                }
            }
        }
        let props = item
            .split_once(';')
            .map_or(0, |(_, p)| 1 + p.trim_matches([' ', '\t']).len());
        let need = k.len() + 1 + v.len() + props + usize::from(!out.is_empty());
        if out.len() >= 64 || bytes + need > 8192 {
            break;
        }
        bytes += need;
        out.push((k.to_string(), v.to_string()));
    }
    Some(out)
}

// ---------- generators of near-valid input ----------

fn ts_item() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ("[a-z0-9][a-z0-9_*/@-]{0,6}", "[ -+--<>-~]{0,6}[!-+--<>-~]").prop_map(|(k, v)| format!("{k}={v}")),
        1 => Just(String::new()),
        1 => Just(" \t ".to_string()),
        1 => "[A-Za-z@ ]{1,4}=[a-z]{1,3}",
        1 => "[a-z]{1,3}=[a-z =]{0,4}",
        1 => "[a-z]{1,3}",
        1 => ("[ \t]{0,2}", "[a-z]{1,3}", "[ \t]{0,2}").prop_map(|(a, k, b)| format!("{a}{k}=1{b}")),
    ]
}

fn ts_lines() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop::collection::vec(ts_item(), 0..14).prop_map(|v| v.join(",")),
        1..4,
    )
}

fn bag_item() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => ("[A-Za-z0-9.!#$&*+_-]{1,8}", "[ \t]{0,2}", "[A-Za-z0-9%=/:@-]{1,8}", prop::option::of("[a-z]{1,4}(=[a-z0-9]{1,3})?"))
            .prop_map(|(k, ws, v, p)| match p {
                Some(p) => format!("{k}{ws}={ws}{v}{ws};{ws}{p}"),
                None => format!("{k}{ws}={ws}{v}"),
            }),
        1 => Just(String::new()),
        1 => "[a-z]{1,4}",
        1 => "=[a-z]{1,3}",
        1 => "[a-z]{1,3}=",
        1 => "[a-z]{1,3}=[a-z]{1,3};",
        1 => "[a-z]{1,3}=[a-z \"\\\\]{1,4}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn traceparent_round_trips(t in trace_id(), s in span_id(), f in any::<u8>()) {
        let tp = traceparent::Traceparent { version: 0, trace_id: t, parent_id: s, flags: TraceFlags(f) };
        prop_assert_eq!(traceparent::parse(&tp.to_bytes()), Ok(tp));
    }

    #[test]
    fn traceparent_never_panics_and_rejects_mutations(t in trace_id(), s in span_id(), pos in 0usize..55, b in any::<u8>()) {
        let tp = traceparent::Traceparent { version: 0, trace_id: t, parent_id: s, flags: TraceFlags(1) };
        let mut buf = tp.to_bytes();
        let orig = buf[pos];
        buf[pos] = b;
        let r = traceparent::parse(&buf);
        let hex_ok = b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
        let dash = matches!(pos, 2 | 35 | 52);
        if b != orig && (dash || !hex_ok) {
            prop_assert!(r.is_err(), "{:?}", String::from_utf8_lossy(&buf));
        }
    }

    #[test]
    fn tracestate_agrees_with_naive_reference(lines in ts_lines()) {
        let f = fields_of(&lines);
        let ts = tracestate::TraceState::new(&f);
        let fast: Vec<(String, String)> = ts.members().map(|m| (String::from_utf8_lossy(m.key).into(), String::from_utf8_lossy(m.value).into())).collect();
        prop_assert_eq!(fast, naive_tracestate(&lines));
    }

    #[test]
    fn tracestate_encoding_is_canonical(lines in ts_lines()) {
        let fields = fields_of(&lines);
        let ts = tracestate::TraceState::new(&fields);
        let mut b = vec![0u8; 8192];
        let mut w = Writer::new(&mut b);
        tracestate::encode(Some(b"dd=s:1"), b"dd", &ts, &mut w).unwrap();
        let out = w.written().to_vec();
        // Re-reading the output and writing it again gives the same bytes.
        let lines = Fields::one(&out);
        let again = tracestate::TraceState::new(&lines);
        let mut b2 = vec![0u8; 8192];
        let mut w2 = Writer::new(&mut b2);
        tracestate::encode(None, b"", &again, &mut w2).unwrap();
        prop_assert_eq!(w2.written(), &out[..]);
        prop_assert!(tracestate::is_valid_header(&out) || out.len() > 512 || out.split(|&c| c == b',').count() > 32);
    }

    #[test]
    fn decimal_round_trips(v in any::<u64>(), p in any::<i32>()) {
        let mut b = [0u8; 20];
        prop_assert_eq!(dec::parse_u64(dec::format_u64(v, &mut b)), Some(v));
        let mut c = [0u8; 11];
        prop_assert_eq!(dec::parse_i32(dec::format_i32(p, &mut c)), Some(p));
    }

    #[test]
    fn dd_tags_agree_with_naive_reference(s in "(_dd\\.p\\.[a-z]{1,4}|[a-z]{1,3}|)(=[ -+--~]{0,5})?(,(_dd\\.p\\.[a-z]{1,4}|[a-z]{1,3})=[ -+--~]{0,5}){0,4},?") {
        let lines = Fields::one(s.as_bytes());
        let fast = dd_tags::parse(&lines, 512).ok().map(|t| {
            t.iter().map(|t| (String::from_utf8_lossy(t.key).into_owned(), String::from_utf8_lossy(t.value.raw()).into_owned())).collect::<Vec<_>>()
        });
        prop_assert_eq!(fast, naive_dd_tags(&s));
    }

    #[test]
    fn dd_tags_round_trip(high in any::<u64>(), dm in prop::option::of(any::<u8>()), tags in prop::collection::vec(("[a-z][a-z.]{0,6}", "[!-+--~][ -+--~]{0,10}"), 0..5)) {
        let it = tags.iter().map(|(k, v)| Tag { key: k.as_bytes(), value: Text::plain(v.as_bytes()) });
        let mut b = [0u8; 512];
        let mut w = Writer::new(&mut b);
        if dd_tags::encode(dm.map(DecisionMaker), high, it, 512, &mut w).is_ok() {
            let out = w.written().to_vec();
            let lines = Fields::one(&out);
            let t = dd_tags::parse(&lines, 512).unwrap();
            prop_assert_eq!(t.dm(), dm.map(|d| Ok(DecisionMaker(d))));
            if high != 0 {
                prop_assert_eq!(t.tid(), dd_tags::Tid::Valid(high));
            }
            let others: Vec<(String, String)> = t.iter().filter(|t| t.key != b"dm" && t.key != b"tid").map(|t| (String::from_utf8_lossy(t.key).into(), String::from_utf8_lossy(t.value.raw()).into())).collect();
            let want: Vec<(String, String)> = tags.iter().filter(|(k, _)| k != "dm" && k != "tid").cloned().collect();
            prop_assert_eq!(others, want);
        }
    }

    #[test]
    fn dd_member_round_trips(p in prop::option::of(-3i32..4), origin in prop::option::of("[a-z=]{1,12}"), parent in span_id(), dm in prop::option::of(0u8..20), tags in prop::collection::vec(("[a-z][a-z.]{0,5}", "[a-zA-Z0-9=+/]{1,10}"), 0..4)) {
        let mut buf = [0u8; dd_member::MAX_LEN];
        let mut out = Writer::new(&mut buf);
        let it = tags.iter().map(|(k, v)| Tag { key: k.as_bytes(), value: Text::plain(v.as_bytes()) });
        let rep = dd_member::encode(p.map(SamplingPriority), origin.as_deref().map(|o| Text::plain(o.as_bytes())), &parent.to_hex(), dm.map(DecisionMaker), it, &mut out).unwrap();
        prop_assert!(out.len() <= dd_member::MAX_LEN);
        let raw = out.written().strip_prefix(b"dd=").unwrap();
        let m = dd_member::parse(raw);
        prop_assert_eq!(m.sampling_priority(), p);
        prop_assert_eq!(m.last_parent_id(), Some(&parent.to_hex()[..]));
        if !rep.origin_dropped {
            prop_assert_eq!(m.origin().map(|o| o.bytes().collect::<Vec<u8>>()), origin.map(String::into_bytes));
        }
        if rep.tags_dropped == 0 {
            prop_assert_eq!(m.decision_maker(), dm.map(DecisionMaker));
            let got: Vec<(Vec<u8>, Vec<u8>)> = m.tags().filter(|t| t.key != b"dm").map(|t| (t.key.to_vec(), t.value.bytes().collect())).collect();
            let want: Vec<(Vec<u8>, Vec<u8>)> = tags.iter().filter(|(k, _)| k != "dm" && k != "tid").map(|(k, v)| (k.clone().into_bytes(), v.clone().into_bytes())).collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn b3_round_trips(t in trace_id(), s in span_id(), st in prop::option::of(prop_oneof![Just(b3::SamplingState::Deny), Just(b3::SamplingState::Accept), Just(b3::SamplingState::Debug)])) {
        let mut buf = [0u8; b3::SINGLE_MAX_LEN];
        let mut out = Writer::new(&mut buf);
        b3::encode_single(t, s, st, &mut out).unwrap();
        let b = b3::parse_single(out.written()).unwrap();
        prop_assert_eq!((b.ids, b.sampling), (Some((t, Some(s))), st));
        let (mut tb, mut sb) = ([0u8; b3::TRACE_ID_MAX_LEN], [0u8; b3::SPAN_ID_LEN]);
        let (mut tw, mut sw) = (Writer::new(&mut tb), Writer::new(&mut sb));
        b3::encode_trace_id(t, &mut tw).unwrap();
        b3::encode_span_id(s, &mut sw).unwrap();
        let mut input = b3::B3MultiInput { trace_id: Some(tw.written()), span_id: Some(sw.written()), ..Default::default() };
        match st.map(b3::sampling_header) {
            Some(("x-b3-sampled", v)) => input.sampled = Some(v),
            Some(("x-b3-flags", v)) => input.flags = Some(v),
            Some((n, _)) => prop_assert!(false, "not a sampling header: {}", n),
            None => {}
        }
        let b = b3::parse_multi(&input).unwrap().unwrap();
        prop_assert_eq!((b.ids, b.sampling), (Some((t, Some(s))), st));
    }

    #[test]
    fn xray_round_trips(t in trace_id(), s in span_id(), p in prop::option::of(-1i32..3)) {
        let mut buf = [0u8; xray::MAX_LEN];
        let mut out = Writer::new(&mut buf);
        xray::encode(t, s, p.map(SamplingPriority), None, &mut out).unwrap();
        let x = xray::parse(out.written()).unwrap();
        prop_assert_eq!(x.trace_id_128(), Some(t));
        prop_assert_eq!(x.parent, Some(s));
        prop_assert_eq!(x.sampling_priority().map(|p| p.is_keep()), p.map(|p| p > 0));
        if t.high() == 0 {
            prop_assert_eq!(x.trace_id(), Some(t));
        }
    }

    #[test]
    fn baggage_round_trips(items in prop::collection::vec(("[A-Za-z0-9._-]{1,8}", "\\PC{0,12}"), 1..20)) {
        let mut b = vec![0u8; 16384];
        let mut w = Writer::new(&mut b);
        let r = baggage::encode(items.iter().map(|(k, v)| (k.as_bytes(), v.as_bytes())), baggage::Limits::DEFAULT, &mut w).unwrap();
        let items: Vec<(String, String)> = items.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        prop_assert_eq!(r.written, items.len());
        let out = w.written().to_vec();
        let lines = Fields::one(&out);
        let parsed = baggage::parse(&lines, baggage::Limits::DEFAULT).unwrap();
        let got: Vec<(String, String)> = parsed.members().map(|m| {
            let mut vb = vec![0u8; m.value.len() * 3 + 4];
            let mut vw = Writer::new(&mut vb);
            m.decode_value(&mut vw).unwrap();
            (String::from_utf8_lossy(m.key).into_owned(), String::from_utf8(vw.written().to_vec()).unwrap())
        }).collect();
        prop_assert_eq!(got, items);
    }

    #[test]
    fn baggage_agrees_with_naive_reference(lines in prop::collection::vec(prop::collection::vec(bag_item(), 1..8).prop_map(|v| v.join(",")), 1..3)) {
        let fields = fields_of(&lines);
        let fast = baggage::parse(&fields, baggage::Limits::DEFAULT).ok().map(|b| {
            b.members().map(|m| (String::from_utf8_lossy(m.key).into_owned(), String::from_utf8_lossy(m.value).into_owned())).collect::<Vec<_>>()
        });
        prop_assert_eq!(fast, naive_baggage(&lines));
    }

    #[test]
    fn percent_coding_round_trips(s in "\\PC{0,40}") {
        let safe = pct::SafeSet::alnum_and(b"-._~");
        let mut b = vec![0u8; 512];
        let mut w = Writer::new(&mut b);
        pct::encode(s.as_bytes(), &safe, &mut w).unwrap();
        let enc = w.written().to_vec();
        let mut d = vec![0u8; 512];
        let mut dw = Writer::new(&mut d);
        pct::decode(&enc, &mut dw).unwrap();
        prop_assert_eq!(dw.written(), s.as_bytes());
    }

    #[test]
    fn datadog_decimal_headers_round_trip(t in trace_id(), s in span_id(), p in prop::option::of(-2i32..3)) {
        let (mut tb, mut pb, mut sb) = ([0u8; datadog::ID_MAX_LEN], [0u8; datadog::ID_MAX_LEN], [0u8; datadog::PRIORITY_MAX_LEN]);
        let (mut tw, mut pw, mut sw) = (Writer::new(&mut tb), Writer::new(&mut pb), Writer::new(&mut sb));
        datadog::encode_trace_id(t, &mut tw).unwrap();
        datadog::encode_parent_id(s, &mut pw).unwrap();
        let input = datadog::DatadogInput {
            trace_id: Some(tw.written()),
            parent_id: Some(pw.written()),
            sampling_priority: p.map(|p| {
                datadog::encode_priority(SamplingPriority(p), &mut sw).unwrap();
                sw.written()
            }),
            origin: None,
        };
        if t.low() != 0 {
            let d = datadog::parse(&input).unwrap().unwrap();
            prop_assert_eq!(d.trace_id_low.get(), t.low());
            prop_assert_eq!(d.parent_id, Some(s));
            prop_assert_eq!(d.sampling_priority, p.map(SamplingPriority));
        }
    }

    /// 128-bit ids survive Datadog → W3C → Datadog unchanged, with the decision and origin.
    #[test]
    fn ids_survive_datadog_w3c_datadog(t in trace_id().prop_filter("low half set", |t| t.low() != 0), s in span_id(), p in -1i32..3) {
        let dd = Config::new().with_styles(StyleSet::EMPTY.with(Style::Datadog));
        let w3c = Config::new().with_styles(StyleSet::EMPTY.with(Style::TraceContext));
        let mut ctx = SpanContext::new(t, Some(s));
        ctx.sampling_priority = Some(SamplingPriority(p));
        ctx.origin = Some(Text::plain(b"rum"));
        ctx.tags = Tags::None;
        let mut h1 = Headers::<16, 4096>::new();
        propagate::inject(Some(&ctx), BaggageOut::None, &dd, &mut h1).unwrap();
        let mut slots = propagate::Slots::new();
        let e1 = propagate::extract(&h1, &dd, &mut slots);
        let c1 = e1.context.unwrap();
        let mut h2 = Headers::<16, 4096>::new();
        propagate::inject(Some(&c1), BaggageOut::None, &w3c, &mut h2).unwrap();
        let mut slots = propagate::Slots::new();
        let e2 = propagate::extract(&h2, &w3c, &mut slots);
        let c2 = e2.context.unwrap();
        let mut h3 = Headers::<16, 4096>::new();
        propagate::inject(Some(&c2), BaggageOut::None, &dd, &mut h3).unwrap();
        let mut slots = propagate::Slots::new();
        let c3 = propagate::extract(&h3, &dd, &mut slots).context.unwrap();
        prop_assert_eq!(c3.trace_id, t);
        prop_assert_eq!(c3.span_id, Some(s));
        prop_assert_eq!(c2.sampling_priority.map(|x| x.is_keep()), Some(p > 0));
        prop_assert!(c3.origin.is_some_and(|o| o.eq_bytes(b"rum")));
        // Datadog → Datadog keeps the exact priority.
        prop_assert_eq!(c1.sampling_priority, Some(SamplingPriority(p)));
    }
}
