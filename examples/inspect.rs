//! The inspector: decodes a request's trace headers and prints what tracewire extracted and what
//! each style would inject for the next hop.
//!
//! ```text
//! cargo run --example inspect                       # a built-in sample request
//! cargo run --example inspect -- FILE               # `name: value` lines ("-" for stdin)
//! cargo run --example inspect -- FILE --style b3,tracecontext --behavior restart
//! cargo run --example inspect -- FILE --env          # configuration from DD_*/OTEL_* variables
//! cargo run --example inspect -- FILE --json         # one JSON object
//! cargo run --example inspect -- FILE --span-id 42   # fix the child span id
//! ```
use std::fmt::Write as _;
use std::io::Read as _;

use tracewire::carrier::Headers;
use tracewire::config::{Behavior, Config, Style, StyleSet};
use tracewire::context::SpanContext;
use tracewire::propagate::{self, BaggageOut, Extracted, Status};
use tracewire::wire::buf::Writer;
use tracewire::SpanId;

const SAMPLE: &str = "\
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

/// One inject style's result: style name, headers, note.
type StyleOutput = (String, Vec<(String, String)>, String);

struct Args {
    input: Option<String>,
    style: Option<String>,
    behavior: Option<String>,
    env: bool,
    json: bool,
    span_id: Option<u64>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        input: None,
        style: None,
        behavior: None,
        env: false,
        json: false,
        span_id: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--style" => a.style = Some(it.next().ok_or("--style needs a value")?),
            "--behavior" => a.behavior = Some(it.next().ok_or("--behavior needs a value")?),
            "--env" => a.env = true,
            "--json" => a.json = true,
            "--span-id" => {
                let v = it.next().ok_or("--span-id needs a value")?;
                a.span_id = Some(v.parse().map_err(|_| format!("bad --span-id {v}"))?);
            }
            "-h" | "--help" => {
                println!("usage: inspect [FILE|-] [--style LIST] [--behavior continue|restart|ignore] [--env] [--json] [--span-id N]");
                std::process::exit(0);
            }
            _ if a.input.is_none() => a.input = Some(arg),
            _ => return Err(format!("unexpected argument {arg}")),
        }
    }
    Ok(a)
}

fn read_headers(input: &Option<String>) -> Result<Vec<(String, String)>, String> {
    let text = match input.as_deref() {
        None => SAMPLE.to_string(),
        Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| e.to_string())?;
            s
        }
        Some(path) => std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?,
    };
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| {
            (
                n.trim().to_string(),
                v.trim_matches([' ', '\t']).to_string(),
            )
        })
        .collect())
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
        for issue in report.issues() {
            notes.push(format!("config: {}: {:?}", issue.var, issue.kind));
        }
        cfg
    } else {
        Config::new()
    };
    if let Some(list) = &args.style {
        let mut set = StyleSet::EMPTY;
        for tok in list.split(',') {
            match Style::parse(tok) {
                Some(s) => set = set.with(s),
                None => return Err(format!("unknown style {tok:?}")),
            }
        }
        cfg = cfg.with_styles(set);
    }
    if let Some(b) = &args.behavior {
        cfg = cfg.with_behavior(Behavior::parse(b).ok_or(format!("unknown behavior {b:?}"))?);
    }
    Ok((cfg, notes))
}

fn text(t: tracewire::format::Text<'_>) -> String {
    String::from_utf8_lossy(&t.bytes().collect::<Vec<u8>>()).into_owned()
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn describe_context(c: &SpanContext<'_>) -> Vec<(String, String)> {
    let mut f = vec![
        (
            "trace_id".into(),
            format!("{} (low 64 bits: {})", c.trace_id, c.trace_id.low()),
        ),
        (
            "parent_id".into(),
            c.span_id
                .map_or("none".into(), |s| format!("{s} ({})", s.get())),
        ),
        (
            "sampling_priority".into(),
            c.sampling_priority
                .map_or("none".into(), |p| p.0.to_string()),
        ),
    ];
    if let Some(dm) = c.decision_maker {
        f.push(("_dd.p.dm".into(), format!("-{}", dm.0)));
    }
    if let Some(o) = c.origin {
        f.push(("origin".into(), text(o)));
    }
    for t in c.tags.iter() {
        f.push((format!("_dd.p.{}", lossy(t.key)), text(t.value)));
    }
    if let Some(lp) = c.last_parent_id {
        let mut b = [0u8; 256];
        let mut w = Writer::new(&mut b);
        let _ = lp.write(&mut w);
        f.push(("_dd.parent_id".into(), lossy(w.written())));
    }
    if let Some(e) = c.propagation_error {
        let v = e
            .value
            .map(|v| format!(" {}", lossy(v)))
            .unwrap_or_default();
        f.push((
            "_dd.propagation_error".into(),
            format!("{}{v}", e.error.as_str()),
        ));
    }
    if let Some(ts) = &c.tracestate {
        let members: Vec<String> = ts
            .others()
            .map(|m| format!("{}={}", lossy(m.key), lossy(m.value)))
            .collect();
        f.push(("tracestate (other vendors)".into(), members.join(",")));
    }
    f
}

fn status(s: Status) -> String {
    match s {
        Status::Skipped => "skipped (extract-first)".into(),
        Status::Absent => "absent".into(),
        Status::Valid => "valid".into(),
        Status::ValidIgnoring(e) => format!("valid, ignoring {e:?}"),
        Status::DecisionOnly => "sampling decision only".into(),
        Status::Invalid(e) => format!("invalid: {e:?}"),
    }
}

fn child_span_id(args: &Args, ex: &Extracted<'_>) -> SpanId {
    if let Some(id) = args.span_id.and_then(SpanId::new) {
        return id;
    }
    // Demo only: a reproducible id derived from the trace (a tracer would use its RNG).
    let seed = ex.context.map_or(0x9e37_79b9_7f4a_7c15, |c| {
        c.trace_id.low() ^ 0x9e37_79b9_7f4a_7c15
    });
    let mut x = seed;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    SpanId::new(x).unwrap_or(SpanId::new(1).expect("non-zero"))
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("inspect: {e}");
            std::process::exit(2);
        }
    };
    let headers = read_headers(&args.input).unwrap_or_else(|e| {
        eprintln!("inspect: {e}");
        std::process::exit(2)
    });
    let (cfg, notes) = config(&args).unwrap_or_else(|e| {
        eprintln!("inspect: {e}");
        std::process::exit(2)
    });
    let carrier: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let ex = propagate::extract(carrier.as_slice(), &cfg);

    let span = child_span_id(&args, &ex);
    let child = ex.context.map(|c| c.child(span));
    let baggage = ex
        .baggage
        .as_ref()
        .map_or(BaggageOut::None, BaggageOut::Extracted);

    // What each configured style writes, one at a time, then all together.
    let mut per_style: Vec<StyleOutput> = Vec::new();
    let mut styles: Vec<Style> = cfg.inject.as_slice().to_vec();
    if styles.is_empty() {
        styles.push(Style::None);
    }
    for style in styles {
        let one = cfg.clone().with_inject(StyleSet::EMPTY.with(style));
        let mut out = Headers::<16, 16384>::new();
        let r = propagate::inject(child.as_ref(), baggage, &one, &mut out);
        let hs = out.iter().map(|(n, v)| (n.to_string(), lossy(v))).collect();
        let note = match r {
            Ok(rep) => {
                let mut s = String::new();
                if let Some(e) = rep.tags_error {
                    let _ = write!(s, "x-datadog-tags left out: {}", e.as_str());
                }
                if rep.baggage_dropped > 0 {
                    let _ = write!(s, "{} baggage member(s) left out", rep.baggage_dropped);
                }
                s
            }
            Err(e) => e.to_string(),
        };
        per_style.push((style.name().to_string(), hs, note));
    }

    let ctx_fields = ex.context.map(|c| describe_context(&c)).unwrap_or_default();
    let links: Vec<String> = ex
        .links
        .iter()
        .map(|l| {
            format!(
                "{} from {} ({}): trace {} span {}",
                l.reason.as_str(),
                l.style.name(),
                l.flags()
                    .map_or("no decision".into(), |f| format!("flags {f}")),
                l.trace_id,
                l.span_id.map_or("none".into(), |s| s.to_string())
            )
        })
        .collect();
    let mut bag: Vec<(String, String, String)> = Vec::new();
    if let Some(b) = &ex.baggage {
        for m in b.members() {
            let mut buf = vec![0u8; m.value.len() * 3 + 3];
            let mut w = Writer::new(&mut buf);
            let v = if m.decode_value(&mut w).is_ok() {
                lossy(w.written())
            } else {
                lossy(m.value)
            };
            bag.push((lossy(m.key), v, lossy(m.properties)));
        }
    }
    let report: Vec<(String, String)> = ex
        .report
        .entries()
        .iter()
        .map(|(s, st)| (s.name().to_string(), status(*st)))
        .collect();

    if args.json {
        let mut o = String::from("{");
        let _ = write!(
            o,
            "\"config\":{{\"extract\":{},\"inject\":{},\"behavior\":{}}},",
            json_str(&cfg.extract.to_string()),
            json_str(&cfg.inject.to_string()),
            json_str(cfg.behavior.name())
        );
        let _ = write!(
            o,
            "\"continued_from\":{},",
            ex.style.map_or("null".into(), |s| json_str(s.name()))
        );
        o.push_str("\"context\":{");
        o.push_str(
            &ctx_fields
                .iter()
                .map(|(k, v)| format!("{}:{}", json_str(k), json_str(v)))
                .collect::<Vec<_>>()
                .join(","),
        );
        o.push_str("},\"links\":[");
        o.push_str(
            &links
                .iter()
                .map(|l| json_str(l))
                .collect::<Vec<_>>()
                .join(","),
        );
        o.push_str("],\"baggage\":[");
        o.push_str(
            &bag.iter()
                .map(|(k, v, p)| {
                    format!(
                        "{{\"key\":{},\"value\":{},\"properties\":{}}}",
                        json_str(k),
                        json_str(v),
                        json_str(p)
                    )
                })
                .collect::<Vec<_>>()
                .join(","),
        );
        o.push_str("],\"report\":{");
        o.push_str(
            &report
                .iter()
                .map(|(k, v)| format!("{}:{}", json_str(k), json_str(v)))
                .collect::<Vec<_>>()
                .join(","),
        );
        let _ = write!(
            o,
            "}},\"child_span_id\":{},\"inject\":{{",
            json_str(&span.get().to_string())
        );
        o.push_str(
            &per_style
                .iter()
                .map(|(s, hs, note)| {
                    format!(
                        "{}:{{\"headers\":[{}],\"note\":{}}}",
                        json_str(s),
                        hs.iter()
                            .map(|(n, v)| format!("[{},{}]", json_str(n), json_str(v)))
                            .collect::<Vec<_>>()
                            .join(","),
                        json_str(note)
                    )
                })
                .collect::<Vec<_>>()
                .join(","),
        );
        o.push_str("},\"notes\":[");
        o.push_str(
            &notes
                .iter()
                .map(|n| json_str(n))
                .collect::<Vec<_>>()
                .join(","),
        );
        o.push_str("]}");
        println!("{o}");
        return;
    }

    println!(
        "configuration: extract {} / inject {} / behavior {}",
        cfg.extract,
        cfg.inject,
        cfg.behavior.name()
    );
    for n in &notes {
        println!("  {n}");
    }
    println!("\nstyles tried:");
    for (s, st) in &report {
        println!("  {s:<13} {st}");
    }
    match ex.style {
        Some(s) if ex.context.is_some() => println!("\ncontinuing the trace from {s}:"),
        Some(s) => println!(
            "\nnew trace (behavior {}), linked to the {s} context",
            cfg.behavior.name()
        ),
        None => println!("\nno trace context: a new trace starts here"),
    }
    for (k, v) in &ctx_fields {
        println!("  {k:<28} {v}");
    }
    if let Some(p) = ex.decision_only {
        println!("  sampling decision without ids: {}", p.0);
    }
    if !links.is_empty() {
        println!("\nspan links:");
        for l in &links {
            println!("  {l}");
        }
    }
    match &ex.report.baggage {
        Some(Err(e)) => println!("\nbaggage rejected: {e:?}"),
        _ if !bag.is_empty() => {
            println!("\nbaggage:");
            for (k, v, p) in &bag {
                let p = if p.is_empty() {
                    String::new()
                } else {
                    format!("  ;{p}")
                };
                println!("  {k} = {v:?}{p}");
            }
        }
        _ => {}
    }
    println!("\nnext hop (child span {} = {}):", span, span.get());
    for (s, hs, note) in &per_style {
        println!("  [{s}]");
        if hs.is_empty() {
            println!("    (nothing)");
        }
        for (n, v) in hs {
            println!("    {n}: {v}");
        }
        if !note.is_empty() {
            println!("    note: {note}");
        }
    }
}
