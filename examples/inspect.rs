//! The inspector: decodes a request's trace headers and shows what tracewire extracted and what
//! each style would inject for the next hop.
//!
//! ```text
//! cargo run --example inspect                        # a built-in sample request
//! cargo run --example inspect -- FILE                # headers from a file ("-" for stdin)
//! cargo run --example inspect -- --help              # every flag and the input formats
//! ```
//!
//! It reads what people paste: `name: value` lines, a raw HTTP request head (request line,
//! CRLF or LF, up to the blank line), `curl -v` output (`> name: value`), and curl arguments
//! (`-H 'name: value'`, `--header "name: value"`). A line it cannot read is reported, never
//! silently skipped.
use std::io::{Read as _, Write as _};

use serde_json::{json, Value};
use tracewire::carrier::Headers;
use tracewire::config::{Behavior, Config, Style, StyleSet};
use tracewire::context::SpanContext;
use tracewire::propagate::{self, Extracted, Status, StyleError};
use tracewire::wire::buf::Writer;
use tracewire::SpanId;

const SAMPLE: &str = "\
GET /orders HTTP/1.1
host: api.example.com
user-agent: curl/8.5.0
x-datadog-trace-id: 11803532876627986230
x-datadog-parent-id: 67667974448284343
x-datadog-sampling-priority: 2
x-datadog-origin: rum
x-datadog-tags: _dd.p.dm=-4,_dd.p.tid=4bf92f3577b34da6
traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
tracestate: dd=s:2;o:rum;p:00f067aa0ba902b7;t.dm:-4,rojo=00f067aa0ba902b7,congo=t61rcWkgMzE
baggage: user.id=amy,session.id=abc%20123,account.id=42;prop=1
";

const HELP: &str = "\
usage: inspect [FILE|-] [options]

Decodes the trace headers of one request and prints what tracewire extracted and what each
configured style would inject for the next hop. Without FILE, a built-in sample request.

input (FILE, or - for standard input), one header per line, in any of these forms:
  name: value                      plain header lines
  GET /path HTTP/1.1 ...           a raw HTTP/1.1 request head (request line skipped; the
                                   first blank line ends it; CRLF or LF)
  > name: value                    curl -v output (other curl -v lines are ignored)
  -H 'name: value'                 curl arguments (-H or --header, quoted or not, several
                                   on one line; a trailing \\ is a line continuation)
  Lines that fit none of these are listed as unread.

options:
  --style LIST        extract and inject styles, comma-separated (datadog, tracecontext, b3,
                      b3multi, xray, baggage, none; Datadog's aliases work)
  --behavior B        continue | restart | ignore (DD_TRACE_PROPAGATION_BEHAVIOR_EXTRACT)
  --extract-first     stop at the first valid style (DD_TRACE_PROPAGATION_EXTRACT_FIRST)
  --env               configuration from the DD_* / OTEL_PROPAGATORS environment variables
                      (--style and --behavior still override it)
  --span-id ID        the child span id for the next hop: decimal (42) or 0x hex (0x2a);
                      not 0. Default: an id derived from the trace, the same on every run.
  --json              one JSON object instead of text (see below)
  -h, --help          this text

--json fields: input.headers ([[name, value]]), input.unread ([{line, text}]), config
(extract, inject: lists of style names; behavior; extract_first), styles ([{style, status,
detail}]), continued_from (style or null), context (null, or trace_id: 32 hex digits,
parent_id: 16 hex digits or null, sampling_priority: number or null, decision_maker: number
or null (3 for _dd.p.dm=-3), origin, tags {key: value}, last_parent_id, propagation_error,
tracestate_other [\"key=value\"]), decision_only (number or null), links ([{reason, style,
trace_id, span_id, sampling_priority}]), baggage ({status, members: [{key, value,
properties}]}), child_span_id (16 hex digits), inject ({style: {headers, notes}}), notes.
Every id is a lowercase hex string; every count and priority is a number.
";

struct Args {
    input: Option<String>,
    style: Option<String>,
    behavior: Option<String>,
    extract_first: bool,
    env: bool,
    json: bool,
    span_id: Option<SpanId>,
}

fn parse_span_id(v: &str) -> Result<SpanId, String> {
    let n = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse(),
    }
    .map_err(|_| format!("--span-id {v:?}: not a decimal or 0x hex 64-bit number"))?;
    SpanId::new(n).ok_or_else(|| format!("--span-id {v:?}: a span id cannot be 0"))
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        input: None,
        style: None,
        behavior: None,
        extract_first: false,
        env: false,
        json: false,
        span_id: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--style" => a.style = Some(it.next().ok_or("--style needs a value")?),
            "--behavior" => a.behavior = Some(it.next().ok_or("--behavior needs a value")?),
            "--extract-first" => a.extract_first = true,
            "--env" => a.env = true,
            "--json" => a.json = true,
            "--span-id" => {
                a.span_id = Some(parse_span_id(&it.next().ok_or("--span-id needs a value")?)?)
            }
            "-h" | "--help" => {
                emit(HELP);
                std::process::exit(0);
            }
            "-" => a.input = Some(arg),
            _ if arg.starts_with('-') => {
                return Err(format!("unknown option {arg:?} (see --help)"));
            }
            _ if a.input.is_none() => a.input = Some(arg),
            _ => return Err(format!("one input file only; {arg:?} is a second one")),
        }
    }
    Ok(a)
}

/// The headers read from the input, and the lines that could not be read.
struct Input {
    headers: Vec<(String, String)>,
    unread: Vec<(usize, String)>,
}

/// `-H 'a: b' --header "c: d"` on one line: the quoted or bare arguments after each flag.
fn curl_args(line: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = line.trim().trim_start_matches("curl").trim();
    if !(rest.starts_with("-H") || rest.starts_with("--header")) {
        return None;
    }
    while !rest.is_empty() {
        let after = if let Some(r) = rest.strip_prefix("--header") {
            r
        } else if let Some(r) = rest.strip_prefix("-H") {
            r
        } else {
            // Another curl argument: skip one word.
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            rest = rest[end..].trim_start();
            continue;
        };
        let after = after.trim_start();
        let (value, tail) = match after.chars().next() {
            Some(q @ ('\'' | '"')) => {
                let body = &after[1..];
                let end = body.find(q)?;
                (&body[..end], &body[end + 1..])
            }
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        out.push(value.to_string());
        rest = tail.trim_start();
    }
    Some(out)
}

fn read_input(text: &str) -> Input {
    let mut inp = Input {
        headers: Vec::new(),
        unread: Vec::new(),
    };
    let mut push = |h: &str, n: usize, unread: &mut Vec<(usize, String)>| match h.split_once(':') {
        Some((name, value))
            if !name.is_empty() && !name.contains(char::is_whitespace) && name.is_ascii() =>
        {
            inp.headers.push((
                name.to_string(),
                value.trim_matches([' ', '\t']).to_string(),
            ));
        }
        _ => unread.push((n, h.to_string())),
    };
    let mut unread = Vec::new();
    let mut seen_header = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let line = line.strip_suffix('\\').unwrap_or(line).trim_end();
        if line.trim().is_empty() {
            // A blank line ends a raw request head; before any header it is just spacing.
            if seen_header {
                break;
            }
            continue;
        }
        // curl -v: `> name: value` is a request header, other `>`, `<`, `*`, `{`, `}` lines are
        // curl's own.
        if let Some(h) = line.strip_prefix("> ") {
            if h.contains(':') && !h.contains(" HTTP/") {
                push(h, n, &mut unread);
                seen_header = true;
            }
            continue;
        }
        if matches!(line.chars().next(), Some('<' | '*' | '{' | '}' | '>')) {
            continue;
        }
        if let Some(args) = curl_args(line) {
            for a in args {
                push(&a, n, &mut unread);
            }
            continue;
        }
        // A request line (`GET /path HTTP/1.1`) before the headers.
        if !seen_header && line.contains(" HTTP/") && !line.contains(':') {
            continue;
        }
        if !seen_header
            && line
                .split_whitespace()
                .next()
                .is_some_and(|w| w.contains("HTTP/"))
        {
            continue;
        }
        push(line.trim_start(), n, &mut unread);
        seen_header = true;
    }
    inp.unread = unread;
    inp
}

fn config(args: &Args) -> Result<(Config, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut cfg = if args.env {
        let vars: Vec<(String, String)> = tracewire::config::vars::ALL
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
            .collect();
        let (cfg, report) =
            Config::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()));
        notes.extend(report.issues().map(|i| format!("configuration: {i}")));
        cfg
    } else {
        Config::new()
    };
    if let Some(list) = &args.style {
        let mut set = StyleSet::EMPTY;
        for tok in list.split(',') {
            match Style::parse(tok) {
                Some(s) => set = set.with(s),
                None => return Err(format!("--style: unknown style {:?}", tok.trim())),
            }
        }
        cfg = cfg.with_styles(set);
    }
    if let Some(b) = &args.behavior {
        let behavior = Behavior::parse(b).ok_or(format!(
            "--behavior: {b:?} is not continue, restart or ignore"
        ))?;
        cfg = cfg.with_behavior(behavior);
    }
    if args.extract_first {
        cfg = cfg.with_extract_first(true);
    }
    Ok((cfg, notes))
}

fn text(t: tracewire::format::Text<'_>) -> String {
    String::from_utf8_lossy(&t.bytes().collect::<Vec<u8>>()).into_owned()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn hex16(s: SpanId) -> String {
    format!("{:016x}", s.get())
}

/// A style's status as a sentence, with what the inspector can add about a malformed value.
fn status_text(style: Style, st: Status, headers: &[(String, String)]) -> (String, String) {
    let detail = match st {
        Status::Invalid(StyleError::Traceparent(_)) => headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("traceparent"))
            .map(|(_, v)| {
                if v.starts_with("00-") && v.len() != 55 {
                    format!("version 00 needs 55 characters, got {}", v.len())
                } else {
                    format!("value {v:?}")
                }
            })
            .unwrap_or_default(),
        _ => String::new(),
    };
    let _ = style;
    (st.to_string(), detail)
}

fn context_json(c: &SpanContext<'_>) -> Value {
    let mut last_parent = None;
    if let Some(lp) = c.last_parent_id {
        let mut b = [0u8; 256];
        let mut w = Writer::new(&mut b);
        let _ = lp.write(&mut w);
        last_parent = Some(lossy(w.written()));
    }
    let tags: serde_json::Map<String, Value> = c
        .tags
        .iter()
        .map(|t| (format!("_dd.p.{}", lossy(t.key)), json!(text(t.value))))
        .collect();
    json!({
        "trace_id": format!("{:032x}", c.trace_id.get()),
        "parent_id": c.span_id.map(hex16),
        "sampling_priority": c.sampling_priority.map(|p| p.0),
        "decision_maker": c.decision_maker.map(|d| d.0),
        "origin": c.origin.map(text),
        "tags": tags,
        "last_parent_id": last_parent,
        "propagation_error": c.propagation_error_tag().map(|e| match e.value {
            Some(v) => format!("{} {}", e.error.as_str(), lossy(v)),
            None => e.error.as_str().to_string(),
        }),
        "tracestate_other": c.tracestate.map(|ts| ts.others()
            .map(|m| format!("{}={}", lossy(m.key), lossy(m.value)))
            .collect::<Vec<_>>()),
    })
}

fn child_span_id(args: &Args, ex: &Extracted<'_>) -> SpanId {
    if let Some(id) = args.span_id {
        return id;
    }
    // Demo only: a reproducible id derived from the trace (a tracer would use its RNG).
    let mut x = ex.context.map_or(0x9e37_79b9_7f4a_7c15, |c| {
        c.trace_id.low() ^ 0x9e37_79b9_7f4a_7c15
    });
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    SpanId::new(x).unwrap_or(SpanId::MIN)
}

/// Writes to standard output; a closed pipe (`inspect | head`) ends the program quietly.
fn emit(s: &str) {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(s.as_bytes())
        .and_then(|_| out.flush())
        .is_err()
    {
        std::process::exit(0);
    }
}

fn fail(e: String) -> ! {
    eprintln!("inspect: {e}");
    std::process::exit(2)
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| fail(e));
    let text = match args.input.as_deref() {
        None => SAMPLE.to_string(),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .unwrap_or_else(|e| fail(format!("standard input: {e}")));
            s
        }
        Some(path) => {
            std::fs::read_to_string(path).unwrap_or_else(|e| fail(format!("{path}: {e}")))
        }
    };
    let input = read_input(&text);
    let (cfg, mut notes) = config(&args).unwrap_or_else(|e| fail(e));
    for (n, l) in &input.unread {
        notes.push(format!("line {n} was not read (not a header line): {l:?}"));
    }
    let carrier: Vec<(&str, &str)> = input
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut slots = propagate::Slots::new();
    let ex = propagate::extract(carrier.as_slice(), &cfg, &mut slots);
    let span = child_span_id(&args, &ex);
    let child = ex.context.map(|c| c.child(span));

    // What each configured style writes, one at a time.
    let mut inject = serde_json::Map::new();
    let mut styles: Vec<Style> = cfg.inject.as_slice().to_vec();
    if styles.is_empty() {
        styles.push(Style::None);
    }
    for style in styles {
        let one = cfg.clone().with_inject(StyleSet::EMPTY.with(style));
        let mut out = Headers::<16, 16384>::new();
        let mut style_notes = Vec::new();
        match propagate::inject(child.as_ref(), ex.baggage_out(), &one, &mut out) {
            Ok(rep) => {
                if let Some(e) = rep.tags_error {
                    style_notes.push(format!("x-datadog-tags left out: {}", e.as_str()));
                }
                if rep.baggage_dropped > 0 {
                    style_notes.push(format!(
                        "{} baggage member(s) left out",
                        rep.baggage_dropped
                    ));
                }
                if rep.origin_sanitized {
                    style_notes.push("the origin was sanitised".into());
                }
                if rep.origin_dropped {
                    style_notes.push("the origin was too long and left out".into());
                }
            }
            Err(e) => style_notes.push(e.to_string()),
        }
        let hs: Vec<Value> = out.iter().map(|(n, v)| json!([n, lossy(v)])).collect();
        inject.insert(
            style.name().into(),
            json!({"headers": hs, "notes": style_notes}),
        );
    }

    let styles_json: Vec<Value> = ex
        .report
        .entries()
        .iter()
        .map(|(s, st)| {
            let (status, detail) = status_text(*s, *st, &input.headers);
            json!({"style": s.name(), "status": status, "detail": detail})
        })
        .collect();
    let links: Vec<Value> = ex
        .links
        .iter()
        .map(|l| {
            json!({
                "reason": l.reason.as_str(),
                "style": l.style.name(),
                "trace_id": format!("{:032x}", l.trace_id.get()),
                "span_id": l.span_id.map(hex16),
                "sampling_priority": l.sampling_priority.map(|p| p.0),
            })
        })
        .collect();
    let bag_members: Vec<Value> = ex.baggage.as_ref().map_or(Vec::new(), |b| {
        b.members()
            .map(|m| {
                let dec = |raw: &[u8],
                               f: &dyn Fn(
                        &mut Writer<'_>,
                    )
                        -> Result<(), tracewire::BufferTooSmall>| {
                        let mut buf = vec![0u8; raw.len() * 3 + 3];
                        let mut w = Writer::new(&mut buf);
                        if f(&mut w).is_ok() {
                            lossy(w.written())
                        } else {
                            lossy(raw)
                        }
                    };
                json!({
                    "key": dec(m.key, &|w| m.decode_key(w)),
                    "value": dec(m.value, &|w| m.decode_value(w)),
                    "properties": lossy(m.properties),
                })
            })
            .collect()
    });
    let bag_status = match &ex.report.baggage {
        None => "absent".to_string(),
        Some(Ok(())) => "ok".to_string(),
        Some(Err(e)) => format!("rejected: {e}"),
    };
    let doc = json!({
        "input": {
            "headers": input.headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
            "unread": input.unread.iter().map(|(n, t)| json!({"line": n, "text": t})).collect::<Vec<_>>(),
        },
        "config": {
            "extract": cfg.extract.as_slice().iter().map(|s| s.name()).collect::<Vec<_>>(),
            "inject": cfg.inject.as_slice().iter().map(|s| s.name()).collect::<Vec<_>>(),
            "behavior": cfg.behavior.name(),
            "extract_first": cfg.extract_first,
        },
        "styles": styles_json,
        "continued_from": if ex.context.is_some() { ex.style.map(|s| s.name()) } else { None },
        "context": ex.context.map(|c| context_json(&c)),
        "decision_only": ex.decision_only.map(|p| p.0),
        "links": links,
        "baggage": {"status": bag_status, "members": bag_members},
        "child_span_id": hex16(span),
        "inject": inject,
        "notes": notes,
    });
    if args.json {
        emit(&format!("{doc}\n"));
        return;
    }
    emit(&render(&doc, &cfg, &ex));
}

/// The text form of the JSON document.
fn render(doc: &Value, cfg: &Config, ex: &Extracted<'_>) -> String {
    use std::fmt::Write as _;
    let s = |v: &Value| match v {
        Value::String(x) => x.clone(),
        Value::Null => "none".into(),
        other => other.to_string(),
    };
    let mut o = String::new();
    let _ = writeln!(o, "input headers:");
    for h in doc["input"]["headers"].as_array().into_iter().flatten() {
        let _ = writeln!(o, "  {}: {}", s(&h[0]), s(&h[1]));
    }
    let _ = writeln!(
        o,
        "\nconfiguration: extract {} / inject {} / behavior {}{}",
        cfg.extract,
        cfg.inject,
        cfg.behavior.name(),
        if cfg.extract_first {
            " / extract-first"
        } else {
            ""
        }
    );
    let _ = writeln!(o, "\nstyles tried:");
    for st in doc["styles"].as_array().into_iter().flatten() {
        let detail = s(&st["detail"]);
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(" ({detail})")
        };
        let _ = writeln!(
            o,
            "  {:<13} {}{}",
            s(&st["style"]),
            s(&st["status"]),
            detail
        );
    }
    match (ex.style, ex.context.is_some()) {
        (Some(st), true) => {
            let _ = writeln!(o, "\ncontinuing the trace from {st}:");
        }
        (Some(st), false) => {
            let _ = writeln!(
                o,
                "\na new trace starts (behavior {}), linked to the {st} context",
                cfg.behavior.name()
            );
        }
        (None, _) => {
            let _ = writeln!(o, "\nno trace context: a new trace starts here");
        }
    }
    if let Some(c) = doc["context"].as_object() {
        let order = [
            "trace_id",
            "parent_id",
            "sampling_priority",
            "decision_maker",
            "origin",
            "tags",
            "last_parent_id",
            "propagation_error",
            "tracestate_other",
        ];
        for (k, v) in order.iter().filter_map(|k| Some((*k, c.get(*k)?))) {
            match v {
                Value::Object(m) if m.is_empty() => {}
                Value::Object(m) => {
                    for (tk, tv) in m {
                        let _ = writeln!(o, "  {:<20} {}", tk, s(tv));
                    }
                }
                Value::Array(l) => {
                    let _ = writeln!(
                        o,
                        "  {:<20} {}",
                        k,
                        l.iter().map(s).collect::<Vec<_>>().join(",")
                    );
                }
                Value::Null => {}
                _ => {
                    let _ = writeln!(o, "  {:<20} {}", k, s(v));
                }
            }
        }
    }
    if let Some(p) = doc["decision_only"].as_i64() {
        let _ = writeln!(o, "  sampling decision without ids: {p}");
    }
    let links = doc["links"].as_array().cloned().unwrap_or_default();
    if !links.is_empty() {
        let _ = writeln!(o, "\nspan links:");
        for l in &links {
            let _ = writeln!(
                o,
                "  {} from {}: trace {} span {} priority {}",
                s(&l["reason"]),
                s(&l["style"]),
                s(&l["trace_id"]),
                s(&l["span_id"]),
                s(&l["sampling_priority"])
            );
        }
    }
    let bag = &doc["baggage"];
    match s(&bag["status"]).as_str() {
        "absent" => {}
        "ok" => {
            let _ = writeln!(o, "\nbaggage:");
            for m in bag["members"].as_array().into_iter().flatten() {
                let props = s(&m["properties"]);
                let props = if props.is_empty() {
                    String::new()
                } else {
                    format!("  ;{props}")
                };
                let _ = writeln!(o, "  {} = {:?}{}", s(&m["key"]), s(&m["value"]), props);
            }
        }
        other => {
            let _ = writeln!(o, "\nbaggage {other}");
        }
    }
    let _ = writeln!(o, "\nnext hop (child span {}):", s(&doc["child_span_id"]));
    let mut order: Vec<&str> = cfg.inject.as_slice().iter().map(|s| s.name()).collect();
    if order.is_empty() {
        order.push(Style::None.name());
    }
    for (style, v) in order
        .iter()
        .filter_map(|k| Some((*k, doc["inject"].get(*k)?)))
    {
        let _ = writeln!(o, "  [{style}]");
        let hs = v["headers"].as_array().cloned().unwrap_or_default();
        if hs.is_empty() {
            let _ = writeln!(o, "    (nothing)");
        }
        for h in &hs {
            let _ = writeln!(o, "    {}: {}", s(&h[0]), s(&h[1]));
        }
        for n in v["notes"].as_array().into_iter().flatten() {
            let _ = writeln!(o, "    note: {}", s(n));
        }
    }
    let notes = doc["notes"].as_array().cloned().unwrap_or_default();
    if !notes.is_empty() {
        let _ = writeln!(o, "\nnotes:");
        for n in &notes {
            let _ = writeln!(o, "  {}", s(n));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_people_paste() {
        let curl_v = "*   Trying 127.0.0.1:8080...\n> GET / HTTP/1.1\n> Host: x\n> traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\n>\n< HTTP/1.1 200 OK\n";
        let i = read_input(curl_v);
        assert_eq!(i.headers.len(), 2, "{:?}", i.headers);
        assert!(i.unread.is_empty());
        let args =
            "curl -H 'traceparent: 00-x' --header \"b3: 1-2\" -s http://x \\\n  -H 'baggage: a=1'";
        let i = read_input(args);
        let names: Vec<&str> = i.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["traceparent", "b3", "baggage"]);
        let raw = "GET /x HTTP/1.1\r\nHost: a\r\nb3: 1-2-1\r\n\r\nbody: not a header\r\n";
        let i = read_input(raw);
        assert_eq!(
            i.headers,
            [("Host".into(), "a".into()), ("b3".into(), "1-2-1".into())]
        );
        let junk = "traceparent: 00-x\nthis is not a header\n";
        let i = read_input(junk);
        assert_eq!(i.unread, [(2, "this is not a header".to_string())]);
    }

    #[test]
    fn span_ids_are_decimal_or_hex_and_never_zero() {
        assert_eq!(parse_span_id("42").map(|s| s.get()), Ok(42));
        assert_eq!(parse_span_id("0x2a").map(|s| s.get()), Ok(42));
        assert!(parse_span_id("0").is_err() && parse_span_id("0x0").is_err());
        assert!(parse_span_id("z").is_err());
    }
}
