//! Differential properties: the fast parsers of `traceparent`, the Datadog headers, B3 (single
//! and multi) and X-Ray against naive reference parsers written here with `String`, `split` and
//! `from_str_radix`: slow, allocation-happy and as close to the module documentation as the
//! language allows. Inputs are generated valid and then mutated into near-valid ones (one byte
//! replaced by an edge byte, dropped or doubled; fields swapped; case changed; whitespace
//! added), so both acceptance and rejection are compared, with the decoded values.
//!
//! `tests/props.rs` holds the same kind of references for tracestate, `x-datadog-tags` and
//! baggage.

use proptest::prelude::*;

use tracewire::format::b3::{self, B3MultiInput, SamplingState};
use tracewire::format::datadog::{self, DatadogInput};
use tracewire::format::{traceparent, xray};

// ---------- mutations ----------

/// Bytes that sit on the edges of the grammars.
const EDGE: &[u8] = b"0 9aAfFgG-_=;,:\t+.zZ\x00\x7f\xff1d?";

#[derive(Clone, Debug)]
enum Mutation {
    None,
    Replace(usize, u8),
    Drop(usize),
    Double(usize),
    Upper,
    Pad(&'static str, &'static str),
    /// Whitespace padding past every "longest value read" bound.
    LongPad,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => Just(Mutation::None),
        3 => (any::<usize>(), prop::sample::select(EDGE)).prop_map(|(i, b)| Mutation::Replace(i, b)),
        1 => any::<usize>().prop_map(Mutation::Drop),
        1 => any::<usize>().prop_map(Mutation::Double),
        1 => Just(Mutation::Upper),
        1 => Just(Mutation::LongPad),
        1 => prop::sample::select(vec![(" ", ""), ("", "\t"), (" \t", " "), ("", ",x"), ("-", "")])
            .prop_map(|(a, b)| Mutation::Pad(a, b)),
    ]
}

fn apply(s: &str, m: &Mutation) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    match *m {
        Mutation::None => {}
        Mutation::Replace(i, b) if !v.is_empty() => {
            let i = i % v.len();
            v[i] = b;
        }
        Mutation::Drop(i) if !v.is_empty() => {
            v.remove(i % v.len());
        }
        Mutation::Double(i) if !v.is_empty() => {
            let i = i % v.len();
            v.insert(i, v[i]);
        }
        Mutation::Upper => v.make_ascii_uppercase(),
        Mutation::Pad(a, b) => {
            v.splice(0..0, a.bytes());
            v.extend(b.bytes());
        }
        Mutation::LongPad => {
            v.splice(0..0, std::iter::repeat_n(b' ', 600));
        }
        _ => {}
    }
    v
}

fn trim_ows(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ' && b != b'\t');
    let end = s.iter().rposition(|&b| b != b' ' && b != b'\t');
    match (start, end) {
        (Some(a), Some(b)) => &s[a..=b],
        _ => &[],
    }
}

/// `s` as text when every byte is in `ok`.
fn text_of(s: &[u8], ok: impl Fn(char) -> bool) -> Option<String> {
    let t = String::from_utf8(s.to_vec()).ok()?;
    t.chars().all(ok).then_some(t)
}

fn lower_hex(c: char) -> bool {
    c.is_ascii_digit() || ('a'..='f').contains(&c)
}

// ---------- traceparent ----------

/// `(version, trace id, parent id, flags)`.
fn naive_traceparent(raw: &[u8]) -> Option<(u8, u128, u64, u8)> {
    if raw.len() > traceparent::MAX_INPUT_LEN {
        return None;
    }
    let t = trim_ows(raw);
    if t.len() < 55 {
        return None;
    }
    let head: Vec<&[u8]> = t[..55].split(|&b| b == b'-').collect();
    let [v, tid, pid, fl] = head.as_slice() else {
        return None;
    };
    let field = |s: &[u8], n: usize| text_of(s, lower_hex).filter(|x| x.len() == n);
    let version = u8::from_str_radix(&field(v, 2)?, 16).ok()?;
    let trace = u128::from_str_radix(&field(tid, 32)?, 16).ok()?;
    let parent = u64::from_str_radix(&field(pid, 16)?, 16).ok()?;
    let flags = u8::from_str_radix(&field(fl, 2)?, 16).ok()?;
    let rest = &t[55..];
    let ok = version != 0xff
        && trace != 0
        && parent != 0
        && if version == 0 {
            rest.is_empty()
        } else {
            rest.is_empty() || rest[0] == b'-'
        };
    ok.then_some((version, trace, parent, flags))
}

fn traceparent_input() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![Just(0u8), Just(1u8), Just(0xfe), Just(0xff), any::<u8>()],
        prop_oneof![
            Just(0u128),
            any::<u128>(),
            any::<u64>().prop_map(u128::from)
        ],
        prop_oneof![Just(0u64), any::<u64>()],
        any::<u8>(),
        prop_oneof![Just(""), Just("-what-the-future-holds"), Just("x")],
        mutation(),
    )
        .prop_map(|(v, t, p, f, tail, m)| {
            apply(&format!("{v:02x}-{t:032x}-{p:016x}-{f:02x}{tail}"), &m)
        })
}

// ---------- Datadog headers ----------

/// The first `,`-separated part, trimmed; a value with no `,` in its first
/// `MAX_VALUE_SCAN` bytes is those bytes plus one, untrimmed.
fn single(v: &[u8]) -> &[u8] {
    let cap = datadog::MAX_VALUE_SCAN;
    match v.iter().position(|&b| b == b',') {
        Some(i) if i < cap => trim_ows(&v[..i]),
        _ if v.len() > cap => &v[..=cap],
        _ => trim_ows(v),
    }
}

fn naive_u64(v: &[u8]) -> Option<u64> {
    text_of(v, |c| c.is_ascii_digit())
        .filter(|t| (1..=20).contains(&t.len()))?
        .parse()
        .ok()
}

fn naive_i32(v: &[u8]) -> Option<i32> {
    let t = String::from_utf8(v.to_vec()).ok()?;
    let digits = t.strip_prefix('-').unwrap_or(&t);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n: i128 = digits.trim_start_matches('0').parse().unwrap_or(0);
    i32::try_from(if t.starts_with('-') { -n } else { n }).ok()
}

/// `(trace id, parent, priority, priority invalid, origin)`, `Err(())` when rejected.
type DdView = (u64, Option<u64>, Option<i32>, bool, Option<Vec<u8>>);

fn naive_datadog(
    t: Option<&[u8]>,
    p: Option<&[u8]>,
    s: Option<&[u8]>,
    o: Option<&[u8]>,
) -> Result<Option<DdView>, ()> {
    let Some(t) = t else { return Ok(None) };
    let trace = naive_u64(single(t)).filter(|&v| v != 0).ok_or(())?;
    let parent = match p {
        None => None,
        Some(p) => Some(naive_u64(single(p)).ok_or(())?).filter(|&v| v != 0),
    };
    let (prio, invalid) = match s {
        None => (None, false),
        Some(s) => match naive_i32(single(s)) {
            Some(v) => (Some(v), false),
            None => (None, true),
        },
    };
    let origin = o.map(single).filter(|o| !o.is_empty()).map(<[u8]>::to_vec);
    Ok(Some((trace, parent, prio, invalid, origin)))
}

fn decimal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|v| v.to_string()),
        Just("0".to_string()),
        Just("18446744073709551616".to_string()),
        Just("00000000000000000001".to_string()),
        Just("-1".to_string()),
        Just("2147483648".to_string()),
        Just("-0000000000002".to_string()),
        any::<i32>().prop_map(|v| v.to_string()),
    ]
}

fn header(s: impl Strategy<Value = String>) -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::weighted(0.85, (s, mutation()).prop_map(|(s, m)| apply(&s, &m)))
}

// ---------- B3 ----------

/// `(trace, span, sampling, parent)` of the single header; `Ok(None)` ids for a decision only.
type B3View = (
    Option<(u128, Option<u64>)>,
    Option<SamplingState>,
    Option<u64>,
);

/// A B3 header's value: the single-valued rule (first `,`-separated part, trimmed), then at most
/// `MAX_INPUT_LEN` bytes.
fn b3_value(v: &[u8]) -> Option<&[u8]> {
    let v = single(v);
    (v.len() <= b3::MAX_INPUT_LEN).then_some(v)
}

fn any_hex(v: &[u8], max: usize) -> Option<u128> {
    let v = b3_value(v)?;
    let t = text_of(v, |c| c.is_ascii_hexdigit())?;
    if t.is_empty() || t.len() > max {
        return None;
    }
    u128::from_str_radix(&t, 16).ok()
}

/// Hex digits of either case, nothing else (no trimming).
fn strict_hex(v: &[u8]) -> Option<u128> {
    let t = text_of(v, |c| c.is_ascii_hexdigit()).filter(|t| !t.is_empty())?;
    u128::from_str_radix(&t, 16).ok()
}

fn sampling(v: &[u8]) -> Option<SamplingState> {
    match v {
        b"0" => Some(SamplingState::Deny),
        b"1" => Some(SamplingState::Accept),
        b"d" => Some(SamplingState::Debug),
        _ => None,
    }
}

fn naive_b3_single(raw: &[u8]) -> Result<B3View, ()> {
    let t = b3_value(raw).ok_or(())?;
    if t.len() > b3::SINGLE_MAX_LEN {
        return Err(());
    }
    let parts: Vec<&[u8]> = t.split(|&b| b == b'-').collect();
    if parts.len() == 1 {
        return sampling(parts[0]).map(|s| (None, Some(s), None)).ok_or(());
    }
    if parts.len() > 4 {
        return Err(());
    }
    let trace = any_hex(parts[0], 32).filter(|&v| v != 0).ok_or(())?;
    let span = any_hex(parts[1], 16).ok_or(())? as u64;
    // Any other sampling value keeps the ids with the decision deferred (§12 #46).
    let samp = parts.get(2).and_then(|s| sampling(s));
    let parent = match parts.get(3) {
        None => None,
        Some(p) => Some(any_hex(p, 16).ok_or(())? as u64).filter(|&v| v != 0),
    };
    Ok((Some((trace, Some(span).filter(|&s| s != 0))), samp, parent))
}

fn fast_b3(r: Result<b3::B3, b3::B3Error>) -> Result<B3View, ()> {
    r.map(|b| {
        (
            b.ids.map(|(t, s)| (t.get(), s.map(tracewire::SpanId::get))),
            b.sampling,
            b.parent.map(tracewire::SpanId::get),
        )
    })
    .map_err(|_| ())
}

fn naive_b3_multi(
    t: Option<&[u8]>,
    s: Option<&[u8]>,
    sampled: Option<&[u8]>,
    flags: Option<&[u8]>,
) -> Result<Option<B3View>, ()> {
    let (mut samp, bad) = match sampled.map(b3_value) {
        None => (None, false),
        Some(Some(b"0")) => (Some(SamplingState::Deny), false),
        Some(Some(b"1")) => (Some(SamplingState::Accept), false),
        Some(_) => (None, true),
    };
    if flags.and_then(b3_value) == Some(b"1") {
        samp = Some(SamplingState::Debug);
    }
    // Without a trace id, a sampling header alone is a decision without ids (§12 #29).
    let Some(t) = t else {
        return match (samp, bad) {
            (Some(x), _) => Ok(Some((None, Some(x), None))),
            (None, true) => Err(()),
            (None, false) => Ok(None),
        };
    };
    let trace = any_hex(t, 32).filter(|&v| v != 0).ok_or(())?;
    let span = match s {
        None => None,
        Some(s) => Some(any_hex(s, 16).ok_or(())? as u64).filter(|&v| v != 0),
    };
    // Any other sampling value keeps the ids with the decision deferred (§12 #46).
    Ok(Some((Some((trace, span)), samp, None)))
}

fn hex_id(max_digits: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<u64>().prop_map(|v| format!("{v:016x}")),
        any::<u128>().prop_map(|v| format!("{v:032x}")),
        any::<u64>().prop_map(|v| format!("{v:x}")),
        Just("0".repeat(16)),
        Just("0".repeat(32)),
    ]
    .prop_map(move |s| {
        if s.len() > max_digits && max_digits == 16 {
            s[..16].to_string()
        } else {
            s
        }
    })
}

// ---------- X-Ray ----------

/// `(root (epoch, id), parent, sampled, origin, t0)`.
type XRayView = (
    Option<(u32, u128)>,
    Option<u64>,
    Option<bool>,
    Option<Vec<u8>>,
    Option<u64>,
);

fn naive_xray(raw: &[u8]) -> Result<XRayView, ()> {
    if raw.len() > xray::MAX_INPUT_LEN {
        return Err(());
    }
    let mut root = None;
    let mut parent = None;
    let mut sampled = None;
    let mut origin: Option<Vec<u8>> = None;
    let mut t0 = None;
    let (mut seen_root, mut seen_parent, mut seen_sampled) = (false, false, false);
    for field in raw.split(|&b| b == b';') {
        let Some(eq) = field.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (k, v) = (trim_ows(&field[..eq]), trim_ows(&field[eq + 1..]));
        if k.is_empty() {
            continue;
        }
        match k {
            b"Root" if !seen_root => {
                seen_root = true;
                let parts: Vec<&[u8]> = v.split(|&b| b == b'-').collect();
                let [b"1", epoch, id] = parts.as_slice() else {
                    return Err(());
                };
                if epoch.len() != 8 || id.len() != 24 {
                    return Err(());
                }
                let e = strict_hex(epoch).ok_or(())? as u32;
                let i = strict_hex(id).ok_or(())?;
                root = Some((e, i));
            }
            b"Parent" if !seen_parent => {
                seen_parent = true;
                if v.len() != 16 {
                    return Err(());
                }
                parent = Some(strict_hex(v).ok_or(())? as u64).filter(|&p| p != 0);
            }
            b"Sampled" if !seen_sampled => {
                seen_sampled = true;
                sampled = match v {
                    b"1" => Some(true),
                    b"0" => Some(false),
                    _ => None,
                };
            }
            b"_dd.origin" if origin.is_none() && !v.is_empty() => origin = Some(v.to_vec()),
            // Like `_dd.origin`, the first usable `t0` counts.
            b"t0" if t0.is_none() => t0 = naive_u64(v),
            _ => {}
        }
    }
    Ok((root, parent, sampled, origin, t0))
}

fn xray_input() -> impl Strategy<Value = Vec<u8>> {
    let root = (
        any::<u32>(),
        prop_oneof![any::<u64>().prop_map(u128::from), any::<u128>()],
    )
        .prop_map(|(e, id)| format!("Root=1-{e:08x}-{:024x}", id & ((1u128 << 96) - 1)));
    let fields = prop::collection::vec(
        prop_oneof![
            root,
            any::<u64>().prop_map(|p| format!("Parent={p:016x}")),
            prop::sample::select(vec!["Sampled=1", "Sampled=0", "Sampled=?", "Sampled=x"])
                .prop_map(String::from),
            Just("Self=1-67891234-12456789abcdef012345678".to_string()),
            Just("_dd.origin=synthetics".to_string()),
            any::<u32>().prop_map(|t| format!("t0={t}")),
            Just("Lineage=a87bd80c:1|68fd508a:5".to_string()),
            Just(String::new()),
            Just(" Parent = 00f067aa0ba902b7 ".to_string()),
        ],
        0..6,
    );
    (fields, mutation()).prop_map(|(f, m)| apply(&f.join(";"), &m))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn traceparent_agrees_with_reference(v in traceparent_input()) {
        let fast = traceparent::parse(&v)
            .ok()
            .map(|t| (t.version, t.trace_id.get(), t.parent_id.get(), t.flags.0));
        prop_assert_eq!(fast, naive_traceparent(&v), "{:?}", String::from_utf8_lossy(&v));
    }

    #[test]
    fn datadog_headers_agree_with_reference(
        t in header(decimal()),
        p in header(decimal()),
        s in header(prop_oneof![decimal(), Just("2,1".to_string()), Just(" -1 ".to_string())]),
        o in header(prop::sample::select(vec!["rum", "synthetics-browser", "", " a b ", "x,y"]).prop_map(String::from)),
    ) {
        let input = DatadogInput {
            trace_id: t.as_deref(),
            parent_id: p.as_deref(),
            sampling_priority: s.as_deref(),
            origin: o.as_deref(),
        };
        let fast = datadog::parse(&input).map_err(|_| ()).map(|d| {
            d.map(|d| {
                (
                    d.trace_id_low.get(),
                    d.parent_id.map(tracewire::SpanId::get),
                    d.sampling_priority.map(|p| p.0),
                    d.priority_invalid,
                    d.origin.map(<[u8]>::to_vec),
                )
            })
        });
        let naive = naive_datadog(t.as_deref(), p.as_deref(), s.as_deref(), o.as_deref());
        prop_assert_eq!(fast, naive);
    }

    #[test]
    fn b3_single_agrees_with_reference(
        t in hex_id(32),
        s in hex_id(16),
        samp in prop::option::of(prop::sample::select(vec!["0", "1", "d", "true", "2"])),
        parent in prop::option::of(hex_id(16)),
        lone in prop::option::weighted(0.1, prop::sample::select(vec!["0", "1", "d", "x"])),
        m in mutation(),
    ) {
        let text = match lone {
            Some(l) => l.to_string(),
            None => {
                let mut t = format!("{t}-{s}");
                if let Some(x) = samp {
                    t.push('-');
                    t.push_str(x);
                    if let Some(p) = &parent {
                        t.push('-');
                        t.push_str(p);
                    }
                }
                t
            }
        };
        let v = apply(&text, &m);
        prop_assert_eq!(fast_b3(b3::parse_single(&v)), naive_b3_single(&v), "{:?}", String::from_utf8_lossy(&v));
    }

    #[test]
    fn b3_multi_agrees_with_reference(
        t in header(hex_id(32)),
        s in header(hex_id(16)),
        sampled in header(prop::sample::select(vec!["0", "1", "d", "true", " 1 "]).prop_map(String::from)),
        flags in header(prop::sample::select(vec!["1", "0", " 1"]).prop_map(String::from)),
    ) {
        let input = B3MultiInput {
            trace_id: t.as_deref(),
            span_id: s.as_deref(),
            sampled: sampled.as_deref(),
            flags: flags.as_deref(),
            parent_span_id: None,
        };
        let fast = match b3::parse_multi(&input) {
            Ok(None) => Ok(None),
            Ok(Some(b)) => fast_b3(Ok(b)).map(Some),
            Err(_) => Err(()),
        };
        let naive = naive_b3_multi(t.as_deref(), s.as_deref(), sampled.as_deref(), flags.as_deref());
        prop_assert_eq!(fast, naive);
    }

    #[test]
    fn xray_agrees_with_reference(v in xray_input()) {
        let fast = xray::parse(&v).map_err(|_| ()).map(|x| {
            (
                x.root.map(|r| (r.epoch, r.id)),
                x.parent.map(tracewire::SpanId::get),
                x.sampled,
                x.origin.map(<[u8]>::to_vec),
                x.t0_ms,
            )
        });
        prop_assert_eq!(fast, naive_xray(&v), "{:?}", String::from_utf8_lossy(&v));
    }
}
