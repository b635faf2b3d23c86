//! The check language of `tests/conformance/FORMAT.md` §6, evaluated against an observation.
//!
//! The observation is a JSON object produced by a subject (see `tracewire_subject.rs`):
//! `span`, `context` (with `tracestate` as the kept string and `tracestate_fields` for the
//! decomposed dd/other-member view), `headers` (injected `[name, value]` pairs in order), `link`,
//! `w3c_view`, `parsed`, `output`, `valid`, and the lists `step`, `child`, `run`.
//!
//! Every path, transform and operator of FORMAT.md is implemented; anything else is an
//! evaluation error, which counts as a failed check (never as a pass).

use serde_json::{json, Map, Value};

/// A failed check.
#[derive(Debug, Clone)]
pub struct CheckFailure {
    /// The check, as written in the case.
    pub check: String,
    /// What the check wanted.
    pub expected: String,
    /// What was observed (or why it could not be evaluated).
    pub got: String,
}

type Res<T> = Result<T, String>;

/// Which tracestate key grammar the case's source harness uses (FORMAT.md §6.7).
#[derive(Clone, Copy, PartialEq)]
enum Grammar {
    SystemTests,
    W3c,
}

struct Ctx<'a> {
    obs: &'a Value,
    grammar: Grammar,
}

/// Evaluates every check of `case` against `obs`.
pub fn evaluate(case: &Value, obs: &Value) -> Vec<CheckFailure> {
    let grammar = if case["id"]
        .as_str()
        .is_some_and(|i| i.starts_with("w3c-tc-"))
    {
        Grammar::W3c
    } else {
        Grammar::SystemTests
    };
    let ctx = Ctx { obs, grammar };
    let mut out = Vec::new();
    for check in case["expect"].as_array().into_iter().flatten() {
        match eval_check(&ctx, check) {
            Ok(None) => {}
            Ok(Some((expected, got))) => out.push(CheckFailure {
                check: compact(check),
                expected,
                got,
            }),
            Err(e) => out.push(CheckFailure {
                check: compact(check),
                expected: "an evaluable check".into(),
                got: format!("error: {e}"),
            }),
        }
    }
    out
}

fn compact(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 300 {
        format!(
            "{}…",
            &s[..s
                .char_indices()
                .take_while(|(i, _)| *i < 300)
                .last()
                .map_or(0, |(i, _)| i)]
        )
    } else {
        s
    }
}

/// `Ok(None)` = the check holds; `Ok(Some((expected, got)))` = it fails.
fn eval_check(ctx: &Ctx<'_>, check: &Value) -> Res<Option<(String, String)>> {
    let a = check.as_array().ok_or("check is not a list")?;
    let path = a
        .first()
        .and_then(Value::as_str)
        .ok_or("check without path")?;
    let op = a
        .get(1)
        .and_then(Value::as_str)
        .ok_or("check without operator")?;
    let operand = a.get(2);
    if path == "*" {
        let subs = operand
            .and_then(Value::as_array)
            .ok_or("any_of/all_of without list")?;
        let mut fails = Vec::new();
        for s in subs {
            match eval_check(ctx, s)? {
                None if op == "any_of" => return Ok(None),
                None => {}
                Some((e, g)) => fails.push(format!("{} (expected {e}, got {g})", compact(s))),
            }
        }
        return match op {
            "any_of" => Ok(Some(("any of the sub-checks".into(), fails.join("; ")))),
            "all_of" if fails.is_empty() => Ok(None),
            "all_of" => Ok(Some(("all of the sub-checks".into(), fails.join("; ")))),
            _ => Err(format!("unknown combinator {op}")),
        };
    }
    let operand = match operand {
        Some(o) => Some(substitute(ctx, o)?),
        None => None,
    };
    // `child[*].` / `run[*].`: the check must hold for every element.
    if let Some((prefix, rest)) = split_star(path) {
        let list = ctx
            .obs
            .get(prefix)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if op == "distinct_count" {
            let mut vals = Vec::new();
            for item in &list {
                let sub = Ctx {
                    obs: item,
                    grammar: ctx.grammar,
                };
                if let Some(v) = resolve(&sub, rest)? {
                    if !vals.contains(&v) {
                        vals.push(v);
                    }
                }
            }
            let want = operand
                .as_ref()
                .and_then(Value::as_u64)
                .ok_or("distinct_count needs a number")?;
            return Ok(
                (vals.len() as u64 != want).then(|| (want.to_string(), vals.len().to_string()))
            );
        }
        if list.is_empty() {
            return Ok(Some((
                format!("{path} {op}"),
                format!("no {prefix} elements"),
            )));
        }
        for (i, item) in list.iter().enumerate() {
            let sub = Ctx {
                obs: item,
                grammar: ctx.grammar,
            };
            if let Some((e, g)) = apply(&sub, rest, op, operand.as_ref())? {
                return Ok(Some((e, format!("{prefix}[{i}]: {g}"))));
            }
        }
        return Ok(None);
    }
    apply(ctx, path, op, operand.as_ref())
}

fn split_star(path: &str) -> Option<(&str, &str)> {
    let (prefix, rest) = path.split_once("[*].")?;
    (!prefix.contains('.')).then_some((prefix, rest))
}

fn apply(
    ctx: &Ctx<'_>,
    path: &str,
    op: &str,
    operand: Option<&Value>,
) -> Res<Option<(String, String)>> {
    // FORMAT.md §6.7: a check on the injected traceparent/tracestate implies they parse.
    let base = path.split('|').next().unwrap_or("");
    let base_no_prefix = strip_index_prefix(base).1;
    if base_no_prefix.starts_with("traceparent") && op != "parseable" {
        if let Some(f) = check_parseable(ctx, path, "traceparent")? {
            return Ok(Some(f));
        }
    }
    if base_no_prefix.starts_with("tracestate") && op != "parseable" {
        if let Some(f) = check_parseable(ctx, path, "tracestate")? {
            return Ok(Some(f));
        }
    }
    let value = resolve(ctx, path)?;
    let show = |v: &Option<Value>| v.as_ref().map_or("absent".to_string(), compact);
    let fail = |expected: String, v: &Option<Value>| Ok(Some((expected, show(v))));
    let operand_s = operand.map(compact).unwrap_or_default();
    let holds = match op {
        "eq" => match (&value, operand) {
            (Some(v), Some(o)) => json_eq(v, o),
            _ => false,
        },
        "ne" => match (&value, operand) {
            (Some(v), Some(o)) => !json_eq(v, o),
            (None, _) => true,
            _ => false,
        },
        "in" => {
            let list = operand.and_then(Value::as_array).ok_or("in needs a list")?;
            match &value {
                Some(v) => list.iter().any(|o| json_eq(v, o)),
                None => list.iter().any(Value::is_null),
            }
        }
        "not_in" => {
            let list = operand
                .and_then(Value::as_array)
                .ok_or("not_in needs a list")?;
            value
                .as_ref()
                .is_none_or(|v| !list.iter().any(|o| json_eq(v, o)))
        }
        "present" => value.is_some(),
        "absent" => value.is_none(),
        "absent_or_zero" => value.as_ref().is_none_or(is_zero_id),
        "nonzero" => value.as_ref().is_some_and(|v| !is_zero_id(v)),
        "contains" => str_op(&value, operand, |s, o| s.contains(o))?,
        "not_contains" => value.is_none() || !str_op(&value, operand, |s, o| s.contains(o))?,
        "startswith" => str_op(&value, operand, |s, o| s.starts_with(o))?,
        "endswith" => str_op(&value, operand, |s, o| s.ends_with(o))?,
        "has_item" => list_of(&value)
            .is_some_and(|l| l.iter().any(|i| operand.is_some_and(|o| json_eq(i, o)))),
        "lacks_item" => list_of(&value)
            .is_none_or(|l| !l.iter().any(|i| operand.is_some_and(|o| json_eq(i, o)))),
        "has_item_startswith" => {
            let p = operand.and_then(Value::as_str).ok_or("needs a string")?;
            list_of(&value).is_some_and(|l| {
                l.iter()
                    .any(|i| i.as_str().is_some_and(|s| s.starts_with(p)))
            })
        }
        "no_item_startswith" => {
            let p = operand.and_then(Value::as_str).ok_or("needs a string")?;
            list_of(&value).is_none_or(|l| {
                !l.iter()
                    .any(|i| i.as_str().is_some_and(|s| s.starts_with(p)))
            })
        }
        "item_eq" | "item_startswith" => {
            let o = operand
                .and_then(Value::as_array)
                .ok_or("needs [index, value]")?;
            let idx = o.first().and_then(Value::as_i64).ok_or("index")?;
            let want = o.get(1).ok_or("value")?;
            let item = list_of(&value).and_then(|l| index(&l, idx).cloned());
            match item {
                Some(i) if op == "item_eq" => json_eq(&i, want),
                Some(i) => i
                    .as_str()
                    .zip(want.as_str())
                    .is_some_and(|(s, p)| s.starts_with(p)),
                None => false,
            }
        }
        "first_item_startswith_eq" => {
            let o = operand
                .and_then(Value::as_array)
                .ok_or("needs [prefix, value]")?;
            let p = o.first().and_then(Value::as_str).ok_or("prefix")?;
            let want = o.get(1).ok_or("value")?;
            list_of(&value)
                .and_then(|l| {
                    l.iter()
                        .find(|i| i.as_str().is_some_and(|s| s.starts_with(p)))
                        .cloned()
                })
                .is_some_and(|i| json_eq(&i, want))
        }
        "set_eq" => {
            let want = operand
                .and_then(Value::as_array)
                .ok_or("set_eq needs a list")?;
            list_of(&value).is_some_and(|l| multiset_eq(&l, want))
        }
        "index_before" => {
            let o = operand.and_then(Value::as_array).ok_or("needs [a, b]")?;
            let (a, b) = (
                o.first().and_then(Value::as_str).ok_or("a")?,
                o.get(1).and_then(Value::as_str).ok_or("b")?,
            );
            value
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(|s| match (s.find(a), s.find(b)) {
                    (Some(i), Some(j)) => i < j,
                    _ => false,
                })
        }
        "int_lt" | "int_le" | "int_ge" => {
            let want = operand.and_then(as_int).ok_or("needs a number")?;
            match value.as_ref().and_then(as_int) {
                Some(v) => match op {
                    "int_lt" => v < want,
                    "int_le" => v <= want,
                    _ => v >= want,
                },
                None => false,
            }
        }
        "bits_set" => {
            let mask = operand.and_then(as_int).ok_or("needs a mask")?;
            value
                .as_ref()
                .and_then(as_int)
                .is_some_and(|v| v & mask == mask)
        }
        "distinct_count" => {
            let want = operand.and_then(Value::as_u64).ok_or("needs a number")?;
            let l = list_of(&value).unwrap_or_default();
            let mut d: Vec<&Value> = Vec::new();
            for i in &l {
                if !d.contains(&i) {
                    d.push(i);
                }
            }
            d.len() as u64 == want
        }
        "has_pair" => {
            let o = operand
                .and_then(Value::as_array)
                .ok_or("needs [key, value]")?;
            list_of(&value).is_some_and(|l| {
                l.iter().any(|p| {
                    p.as_array()
                        .is_some_and(|p| p.first() == o.first() && p.get(1) == o.get(1))
                })
            })
        }
        "lacks_key" => {
            let k = operand.ok_or("needs a key")?;
            list_of(&value).is_none_or(|l| {
                !l.iter()
                    .any(|p| p.as_array().and_then(|p| p.first()) == Some(k))
            })
        }
        "subset_of_tags" => {
            let raw = operand.and_then(Value::as_str).ok_or("needs a string")?;
            let allowed = tags_of(raw);
            match &value {
                Some(Value::String(s)) => tags_of(s).iter().all(|p| allowed.contains(p)),
                Some(Value::Array(l)) => l.iter().all(|p| {
                    let k = p.get(0).and_then(Value::as_str).unwrap_or_default();
                    let v = p.get(1).and_then(Value::as_str).unwrap_or_default();
                    allowed.contains(&(k.to_string(), v.to_string()))
                }),
                _ => false,
            }
        }
        "dd_tid_generated" => value.as_ref().and_then(Value::as_str).is_some_and(|s| {
            s.len() == 16
                && s.bytes().all(|b| b.is_ascii_hexdigit())
                && s != "0000000000000000"
                && s.ends_with("00000000")
                && u64::from_str_radix(&s[..8], 16).is_ok_and(|v| v > 0x640c_fd8c)
        }),
        "mirrors_x_datadog_tags" => mirrors(ctx)?,
        "parseable" => {
            let which = if base_no_prefix.starts_with("tracestate") {
                "tracestate"
            } else {
                "traceparent"
            };
            return check_parseable(ctx, path, which);
        }
        "wellformed" => value
            .as_ref()
            .and_then(Value::as_str)
            .is_some_and(wellformed),
        "w3c_valid" => value.as_ref().and_then(Value::as_str).is_some_and(|s| {
            wellformed(s)
                && s.len() == 55
                && s.starts_with("00-")
                && s.bytes()
                    .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }),
        other => return Err(format!("unknown operator {other}")),
    };
    if holds {
        Ok(None)
    } else {
        fail(format!("{op} {operand_s}").trim().to_string(), &value)
    }
}

fn strip_index_prefix(path: &str) -> (Option<(&str, usize)>, &str) {
    for p in ["run", "child", "step"] {
        if let Some(rest) = path.strip_prefix(p).and_then(|r| r.strip_prefix('[')) {
            if let Some((i, rest)) = rest.split_once("].") {
                if let Ok(i) = i.parse() {
                    return (Some((p, i)), rest);
                }
            }
        }
    }
    (None, path)
}

fn is_zero_id(v: &Value) -> bool {
    match v {
        Value::String(s) => s.bytes().all(|b| b == b'0') && !s.is_empty(),
        Value::Number(n) => n.as_u64() == Some(0),
        _ => false,
    }
}

fn as_int(v: &Value) -> Option<i128> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `eq` with the FORMAT.md rule that `null` inside an object means "absent or null".
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().all(|k| match (x.get(k), y.get(k)) {
                (None | Some(Value::Null), None | Some(Value::Null)) => true,
                (Some(p), Some(q)) => json_eq(p, q),
                _ => false,
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Number(x), Value::Number(y)) => {
            as_int(a).zip(as_int(b)).map_or(x == y, |(p, q)| p == q)
        }
        _ => a == b,
    }
}

fn multiset_eq(a: &[Value], b: &[Value]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        if let Some(i) = (0..b.len()).find(|&i| !used[i] && json_eq(x, &b[i])) {
            used[i] = true;
            true
        } else {
            false
        }
    })
}

fn str_op(v: &Option<Value>, operand: Option<&Value>, f: impl Fn(&str, &str) -> bool) -> Res<bool> {
    let o = operand
        .and_then(Value::as_str)
        .ok_or("needs a string operand")?;
    Ok(match v {
        Some(Value::String(s)) => f(s, o),
        Some(Value::Array(l)) => l.iter().any(|i| i.as_str().is_some_and(|s| f(s, o))),
        _ => false,
    })
}

fn list_of(v: &Option<Value>) -> Option<Vec<Value>> {
    match v {
        Some(Value::Array(l)) => Some(l.clone()),
        Some(Value::Object(m)) => Some(m.keys().map(|k| json!(k)).collect()),
        _ => None,
    }
}

fn index(l: &[Value], i: i64) -> Option<&Value> {
    let idx = if i < 0 { l.len() as i64 + i } else { i };
    usize::try_from(idx).ok().and_then(|i| l.get(i))
}

fn tags_of(raw: &str) -> Vec<(String, String)> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

fn wellformed(s: &str) -> bool {
    let f: Vec<&str> = s.split('-').collect();
    f.len() == 4
        && f[0].len() == 2
        && f[1].len() == 32
        && f[2].len() == 16
        && f[3].len() == 2
        && u128::from_str_radix(f[1], 16).is_ok_and(|v| v != 0)
        && u64::from_str_radix(f[2], 16).is_ok_and(|v| v != 0)
}

// ---------- templates ----------

fn substitute(ctx: &Ctx<'_>, v: &Value) -> Res<Value> {
    match v {
        Value::String(s) if s.contains("{{") => {
            let t = s.trim();
            if t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1 {
                let inner = &t[2..t.len() - 2];
                return resolve(ctx, inner)?.ok_or_else(|| format!("template {inner} is absent"));
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(i) = rest.find("{{") {
                out.push_str(&rest[..i]);
                let j = rest[i..].find("}}").ok_or("unclosed template")? + i;
                let inner = &rest[i + 2..j];
                let val =
                    resolve(ctx, inner)?.ok_or_else(|| format!("template {inner} is absent"))?;
                match val {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                }
                rest = &rest[j + 2..];
            }
            out.push_str(rest);
            Ok(Value::String(out))
        }
        Value::Array(l) => Ok(Value::Array(
            l.iter().map(|x| substitute(ctx, x)).collect::<Res<_>>()?,
        )),
        Value::Object(m) => Ok(Value::Object(
            m.iter()
                .map(|(k, x)| Ok((k.clone(), substitute(ctx, x)?)))
                .collect::<Res<_>>()?,
        )),
        other => Ok(other.clone()),
    }
}

// ---------- paths ----------

/// Resolves `path|transforms…` to a value (`None` = absent).
fn resolve(ctx: &Ctx<'_>, full: &str) -> Res<Option<Value>> {
    let mut parts = full.split('|');
    let path = parts.next().unwrap_or("");
    let mut v = resolve_path(ctx, path)?;
    // The keys of absent baggage are the empty list (FORMAT.md §6): `absent` still sees it
    // absent, `|keys` sees no keys.
    if v.is_none() && path.ends_with(".baggage") && full[path.len()..].starts_with("|keys") {
        v = Some(json!({}));
    }
    for t in parts {
        v = match v {
            None => return Ok(None),
            Some(x) => transform(&x, t)?,
        };
    }
    Ok(v)
}

fn resolve_path(ctx: &Ctx<'_>, path: &str) -> Res<Option<Value>> {
    let (prefix, rest) = strip_index_prefix(path);
    if let Some((list, i)) = prefix {
        let item = ctx
            .obs
            .get(list)
            .and_then(Value::as_array)
            .and_then(|l| l.get(i));
        return match item {
            None => Ok(None),
            Some(obs) => resolve_path(
                &Ctx {
                    obs,
                    grammar: ctx.grammar,
                },
                rest,
            ),
        };
    }
    let obs = ctx.obs;
    let headers = || {
        obs.get("headers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let header_pairs = || -> Vec<(String, String)> {
        headers()
            .iter()
            .filter_map(|h| {
                Some((
                    h.get(0)?.as_str()?.to_ascii_lowercase(),
                    h.get(1)?.as_str()?.to_string(),
                ))
            })
            .collect()
    };
    if let Some(name) = path.strip_prefix("header:") {
        let name = name.to_ascii_lowercase();
        return Ok(header_pairs()
            .into_iter()
            .rfind(|(n, _)| *n == name)
            .map(|(_, v)| json!(v)));
    }
    if let Some(name) = path.strip_prefix("header_count:") {
        let name = name.to_ascii_lowercase();
        return Ok(Some(json!(header_pairs()
            .iter()
            .filter(|(n, _)| *n == name)
            .count())));
    }
    match path {
        "header_names" => {
            return Ok(Some(json!(header_pairs()
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>())))
        }
        "headers" => {
            let mut m = Map::new();
            for (n, v) in header_pairs() {
                m.insert(n, json!(v));
            }
            return Ok(Some(Value::Object(m)));
        }
        "output" | "valid" => return Ok(obs.get(path).cloned()),
        _ => {}
    }
    if path == "traceparent" || path.starts_with("traceparent.") {
        let tp = header_pairs()
            .into_iter()
            .rfind(|(n, _)| n == "traceparent")
            .map(|(_, v)| v);
        let Some(tp) = tp else { return Ok(None) };
        if path == "traceparent" {
            return Ok(Some(json!(tp)));
        }
        let f: Vec<&str> = tp.split('-').collect();
        if f.len() != 4 {
            return Ok(None);
        }
        let i = match &path["traceparent.".len()..] {
            "version" => 0,
            "trace_id" => 1,
            "parent_id" => 2,
            "flags" => 3,
            other => return Err(format!("unknown traceparent field {other}")),
        };
        return Ok(Some(json!(f[i])));
    }
    if path == "tracestate" || path.starts_with("tracestate:") || path == "tracestate.string" {
        let Some(members) = injected_tracestate(obs, ctx.grammar)? else {
            return Ok(None);
        };
        if let Some(key) = path.strip_prefix("tracestate:") {
            return Ok(members
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| json!(v)));
        }
        if path == "tracestate.string" {
            return Ok(Some(json!(members
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(","))));
        }
        return Ok(Some(json!(members
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>())));
    }
    let (root, rest) = match path.split_once(['.', ':']) {
        Some((r, _)) => (r, &path[r.len()..]),
        None => (path, ""),
    };
    if !matches!(root, "span" | "context" | "link" | "w3c_view" | "parsed") {
        return Err(format!("unknown path {path}"));
    }
    let Some(mut cur) = obs.get(root).cloned() else {
        return Ok(None);
    };
    let mut rest = rest;
    // context.tracestate.<field> reads the decomposed view.
    if root == "context" {
        if let Some(f) = rest.strip_prefix(".tracestate.") {
            return Ok(cur.get("tracestate_fields").and_then(|t| t.get(f)).cloned());
        }
    }
    loop {
        if rest.is_empty() {
            return Ok(Some(cur));
        }
        if let Some(key) = rest.strip_prefix(':') {
            // `null` inside an observed object is absent (FORMAT.md §6.2).
            return Ok(cur.get(key).filter(|v| !v.is_null()).cloned());
        }
        if let Some(r) = rest.strip_prefix('[') {
            let (i, r) = r.split_once(']').ok_or("unclosed [")?;
            let i: usize = i.parse().map_err(|_| format!("bad index {i}"))?;
            let next = cur.as_array().and_then(|l| l.get(i)).cloned();
            match next {
                Some(n) => cur = n,
                None => return Ok(None),
            }
            rest = r;
            continue;
        }
        let r = rest
            .strip_prefix('.')
            .ok_or_else(|| format!("bad path {path}"))?;
        let end = r.find(['.', ':', '[']).unwrap_or(r.len());
        let field = &r[..end];
        // `null` inside an observed object is absent (FORMAT.md §6.2).
        let next = cur.get(field).filter(|v| !v.is_null()).cloned();
        match next {
            Some(n) => cur = n,
            None => {
                // Collections that count absence as empty (FORMAT.md §6.2).
                let tail = &r[end..];
                if tail.is_empty() && matches!(field, "links" | "attributes") {
                    return Ok(Some(if field == "links" {
                        json!([])
                    } else {
                        json!({})
                    }));
                }
                return Ok(None);
            }
        }
        rest = &r[end..];
    }
}

/// The injected tracestate parsed as both harnesses do (FORMAT.md §6.7): `Ok(None)` when none
/// was injected, `Err` when it does not parse.
fn injected_tracestate(obs: &Value, g: Grammar) -> Res<Option<Vec<(String, String)>>> {
    let values: Vec<String> = obs
        .get("headers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|h| {
            h.get(0)
                .and_then(Value::as_str)
                .is_some_and(|n| n.eq_ignore_ascii_case("tracestate"))
        })
        .filter_map(|h| h.get(1).and_then(Value::as_str).map(str::to_string))
        .collect();
    if values.is_empty() {
        return Ok(None);
    }
    let mut members: Vec<(String, String)> = Vec::new();
    for v in &values {
        for item in v.split(',') {
            let item = item.trim_matches([' ', '\t']);
            if item.is_empty() {
                continue;
            }
            let (k, val) = item
                .split_once('=')
                .ok_or_else(|| format!("tracestate item {item:?} is not key=value"))?;
            if !valid_ts_key(k, g) || !valid_ts_value(val) {
                return Err(format!("tracestate member {item:?} does not parse"));
            }
            if !members.iter().any(|(mk, _)| mk == k) {
                members.push((k.to_string(), val.to_string()));
            }
        }
    }
    Ok(Some(members))
}

fn valid_ts_value(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 256
        && b.iter()
            .all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && b.last().is_some_and(|&c| c != b' ')
}

fn valid_ts_key(k: &str, g: Grammar) -> bool {
    let ok_rest = |c: u8, at: bool| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || b"_-*/".contains(&c) || (at && c == b'@')
    };
    let b = k.as_bytes();
    match g {
        Grammar::W3c => {
            !b.is_empty()
                && b.len() <= 256
                && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
                && b[1..].iter().all(|&c| ok_rest(c, true))
        }
        Grammar::SystemTests => {
            if let Some((tenant, system)) = k.split_once('@') {
                let t = tenant.as_bytes();
                let s = system.as_bytes();
                !t.is_empty()
                    && t.len() <= 241
                    && (t[0].is_ascii_lowercase() || t[0].is_ascii_digit())
                    && t[1..].iter().all(|&c| ok_rest(c, false))
                    && !s.is_empty()
                    && s.len() <= 14
                    && s[0].is_ascii_lowercase()
                    && s[1..].iter().all(|&c| ok_rest(c, false))
            } else {
                !b.is_empty()
                    && b.len() <= 256
                    && b[0].is_ascii_lowercase()
                    && b[1..].iter().all(|&c| ok_rest(c, false))
            }
        }
    }
}

fn check_parseable(ctx: &Ctx<'_>, path: &str, which: &str) -> Res<Option<(String, String)>> {
    let (prefix, _) = strip_index_prefix(path.split('|').next().unwrap_or(""));
    let owned;
    let obs = match prefix {
        Some((list, i)) => match ctx
            .obs
            .get(list)
            .and_then(Value::as_array)
            .and_then(|l| l.get(i))
        {
            Some(o) => {
                owned = o.clone();
                &owned
            }
            None => {
                return Ok(Some((
                    format!("{which} parseable"),
                    format!("no {list}[{i}]"),
                )))
            }
        },
        None => ctx.obs,
    };
    if which == "traceparent" {
        let tp: Vec<String> = obs
            .get("headers")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|h| {
                h.get(0)
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case("traceparent"))
            })
            .filter_map(|h| h.get(1).and_then(Value::as_str).map(str::to_string))
            .collect();
        return Ok(match tp.last() {
            None => Some((
                "traceparent parseable".into(),
                "no traceparent injected".into(),
            )),
            Some(v) if v.split('-').count() != 4 => {
                Some(("traceparent parseable".into(), v.clone()))
            }
            Some(_) => None,
        });
    }
    Ok(match injected_tracestate(obs, ctx.grammar) {
        Ok(_) => None,
        Err(e) => Some(("tracestate parseable".into(), e)),
    })
}

fn mirrors(ctx: &Ctx<'_>) -> Res<bool> {
    let tags = resolve_path(ctx, "header:x-datadog-tags")?
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let dd = resolve_path(ctx, "tracestate:dd")?.and_then(|v| v.as_str().map(str::to_string));
    let items: Vec<String> = dd
        .as_deref()
        .map(|d| d.split(';').map(str::to_string).collect())
        .unwrap_or_default();
    if tags.is_empty() {
        return Ok(!items.iter().any(|i| i.starts_with("t:")));
    }
    if dd.is_none() {
        return Ok(false);
    }
    Ok(tags_of(&tags).iter().all(|(k, v)| {
        let Some(short) = k.strip_prefix("_dd.p.") else {
            return false;
        };
        let want = format!("t.{short}:{}", v.replace('=', ":"));
        items.contains(&want)
            || (k == "_dd.p.tid" && !items.iter().any(|i| i.starts_with("t.tid:")))
    }))
}

// ---------- transforms ----------

fn py_slice_bounds(len: i64, a: Option<i64>, b: Option<i64>) -> (usize, usize) {
    let norm = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
    let s = a.map_or(0, norm);
    let e = b.map_or(len, norm);
    (s as usize, e.max(s) as usize)
}

fn transform(v: &Value, t: &str) -> Res<Option<Value>> {
    let (name, arg) = t.split_once(':').map_or((t, None), |(n, a)| (n, Some(a)));
    let s = || {
        v.as_str()
            .ok_or_else(|| format!("{name} needs a string, got {}", compact(v)))
    };
    Ok(Some(match name {
        "split" => json!(s()?
            .split(arg.ok_or("split needs a separator")?)
            .collect::<Vec<_>>()),
        "item" => {
            let i: i64 = arg
                .ok_or("item needs an index")?
                .parse()
                .map_err(|_| "bad item index")?;
            let l = v.as_array().ok_or("item needs a list")?;
            return index(l, i)
                .cloned()
                .map(Some)
                .ok_or_else(|| format!("item {i} out of range ({} items)", l.len()));
        }
        "slice" => {
            let a = arg.ok_or("slice needs bounds")?;
            let (x, y) = a.split_once(':').ok_or("slice needs a:b")?;
            let p = |z: &str| {
                if z.is_empty() {
                    Ok(None)
                } else {
                    z.parse::<i64>()
                        .map(Some)
                        .map_err(|_| format!("bad slice bound {z}"))
                }
            };
            let chars: Vec<char> = s()?.chars().collect();
            let (i, j) = py_slice_bounds(chars.len() as i64, p(x)?, p(y)?);
            json!(chars[i..j].iter().collect::<String>())
        }
        "len" => json!(match v {
            Value::String(x) => x.chars().count(),
            Value::Array(l) => l.len(),
            Value::Object(m) => m.len(),
            _ => return Err("len needs a string, list or map".into()),
        }),
        "utf8len" => json!(s()?.len()),
        "int" => match v {
            Value::Number(_) => v.clone(),
            _ => json!(s()?
                .trim()
                .parse::<i128>()
                .map_err(|_| format!("not an integer: {}", compact(v)))?
                .to_string()
                .parse::<serde_json::Number>()
                .map_err(|e| e.to_string())?),
        },
        "hexint" => {
            let x =
                u128::from_str_radix(s()?, 16).map_err(|_| format!("not hex: {}", compact(v)))?;
            json!(x
                .to_string()
                .parse::<serde_json::Number>()
                .map_err(|e| e.to_string())?)
        }
        "hex16" | "hex32" => {
            let n: u128 = match v {
                Value::Number(n) => n.as_u64().map(u128::from).ok_or("negative")?,
                Value::String(x) => x.parse().map_err(|_| format!("not decimal: {x}"))?,
                _ => return Err(format!("{name} needs a number")),
            };
            json!(if name == "hex16" {
                format!("{n:016x}")
            } else {
                format!("{n:032x}")
            })
        }
        "keys" => json!(v
            .as_object()
            .ok_or("keys needs a map")?
            .keys()
            .collect::<Vec<_>>()),
        "member" => {
            let key = arg.ok_or("member needs a key")?;
            let want = format!("{key}=");
            match s()?
                .split(',')
                .map(|i| i.trim_matches([' ', '\t']))
                .find(|i| i.starts_with(&want))
            {
                Some(m) => json!(&m[want.len()..]),
                None => return Ok(None),
            }
        }
        "tags" => json!(tags_of(s()?)
            .into_iter()
            .map(|(k, v)| json!([k, v]))
            .collect::<Vec<_>>()),
        "ot_fields" => {
            let mut m = Map::new();
            for part in s()?.split(';') {
                if let Some((k, x)) = part.split_once(':') {
                    m.insert(k.to_string(), json!(x));
                }
            }
            Value::Object(m)
        }
        other => return Err(format!("unknown transform {other}")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs() -> Value {
        json!({
            "span": {"trace_id": "123", "parent_id": "0", "meta": {"_dd.p.dm": "-4", "_dd.p.tid": "640cfd8d00000000"}, "sampling_priority": 2},
            "headers": [["traceparent", "00-0000000000000000000000000000007b-00000000000001c8-01"], ["tracestate", "dd=s:2;t.dm:-4, foo=1"], ["x-datadog-tags", "_dd.p.dm=-4"]],
            "child": [{"headers": [["traceparent", "00-0000000000000000000000000000007b-0000000000000001-01"]]}, {"headers": [["traceparent", "00-0000000000000000000000000000007b-0000000000000002-01"]]}],
        })
    }

    fn check(c: Value) -> Vec<CheckFailure> {
        evaluate(&json!({"id": "t", "expect": [c]}), &obs())
    }

    #[test]
    fn operators_hold_and_fail() {
        assert!(check(json!(["span.trace_id", "eq", "123"])).is_empty());
        assert_eq!(check(json!(["span.trace_id", "eq", "124"])).len(), 1);
        assert!(check(json!(["span.meta:_dd.p.dm", "in", ["-4", "-0"]])).is_empty());
        assert!(check(json!(["span.origin", "absent"])).is_empty());
        assert!(
            check(json!(["span.origin", "ne", "x"])).is_empty(),
            "ne passes on absent"
        );
        assert_eq!(
            check(json!(["span.origin", "eq", "x"])).len(),
            1,
            "eq fails on absent"
        );
        assert!(check(json!(["span.parent_id", "absent_or_zero"])).is_empty());
        assert!(check(json!(["span.meta:_dd.p.tid", "dd_tid_generated"])).is_empty());
        assert!(check(json!(["header:traceparent", "w3c_valid"])).is_empty());
        assert!(check(json!(["tracestate:foo", "eq", "1"])).is_empty());
        assert!(check(json!(["tracestate", "mirrors_x_datadog_tags"])).is_empty());
        assert!(
            check(json!(["span.links", "eq", []])).is_empty(),
            "absent links count as empty"
        );
    }

    #[test]
    fn transforms_and_templates() {
        assert!(check(json!([
            "header:traceparent|split:-|item:1|slice:-16:|hexint",
            "eq",
            "{{span.trace_id|int}}"
        ]))
        .is_empty());
        assert!(check(json!([
            "header:tracestate",
            "contains",
            "t.dm:{{span.meta:_dd.p.dm}}"
        ]))
        .is_empty());
        assert!(check(json!(["span.trace_id|hex16", "eq", "000000000000007b"])).is_empty());
        assert!(check(json!([
            "header:x-datadog-tags|tags",
            "has_pair",
            ["_dd.p.dm", "-4"]
        ]))
        .is_empty());
        assert_eq!(
            check(json!(["header:traceparent|split:-|item:9", "eq", "x"])).len(),
            1,
            "out of range fails"
        );
    }

    #[test]
    fn star_paths_and_combinators() {
        assert!(check(json!([
            "child[*].traceparent.parent_id",
            "distinct_count",
            2
        ]))
        .is_empty());
        assert!(check(json!([
            "child[*].traceparent.trace_id",
            "eq",
            "0000000000000000000000000000007b"
        ]))
        .is_empty());
        assert!(check(json!([
            "*",
            "any_of",
            [["span.trace_id", "eq", "1"], ["span.trace_id", "eq", "123"]]
        ]))
        .is_empty());
        assert_eq!(
            check(json!([
                "*",
                "all_of",
                [["span.trace_id", "eq", "1"], ["span.trace_id", "eq", "123"]]
            ]))
            .len(),
            1
        );
    }

    #[test]
    fn unknown_things_fail() {
        assert_eq!(check(json!(["span.trace_id", "frobnicate"])).len(), 1);
        assert_eq!(check(json!(["nowhere.x", "absent"])).len(), 1);
        assert_eq!(check(json!(["span.trace_id|bogus", "eq", 1])).len(), 1);
    }

    #[test]
    fn unparseable_tracestate_fails_implied_check() {
        let o = json!({"headers": [["tracestate", "Bad Key=1"]]});
        let f = evaluate(
            &json!({"id": "t", "expect": [["tracestate:x", "absent"]]}),
            &o,
        );
        assert_eq!(f.len(), 1);
    }
}
