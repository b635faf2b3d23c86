//! The footprint probe: `size_of` the public result types, and the peak stack (the deepest
//! byte written below the caller's frame) of default-configuration extraction and of extraction
//! plus injection (`inject`, which stages its buffers on the stack, and `inject_with`, which
//! takes them from the caller) for every bench input and every single style.
//!
//! Stack painting: a frame of `PAINT` bytes filled with a pattern is pushed and popped, then the
//! measured call runs from the same depth; the lowest address whose byte changed is the deepest
//! the call went. Reading that dead stack memory is outside what safe Rust can say, hence the
//! `unsafe` below (this tool only; the library is `#![forbid(unsafe_code)]`).
//!
//! It also counts, under callgrind, the instructions of every operation issue 14 budgets (the
//! probe re-runs itself under `valgrind --tool=callgrind`, counting only inside [`measured`]).
//!
//! Two limits per figure: the lean-core **budget** (issue 14), reported, and enforced only with
//! `FOOTPRINT_ENFORCE=1` until the lean core lands; and a **ceiling**, the figure as last
//! measured (commit `86cc0ae`, or a later one where it improved) plus a small margin for toolchain noise, which CI enforces, so
//! that no change makes a figure worse unnoticed while the budgets are unmet. A change that makes
//! a figure better lowers its ceiling in the same commit.
//!
//! `cargo run --release --manifest-path .ci/footprint/Cargo.toml` prints the tables (valgrind
//! needed for the instruction table) and exits 1 when a figure is over its ceiling.
//! `FOOTPRINT_CEILING_PERCENT=50` scales every ceiling (CI uses it to check that the check
//! fails when it should).
use std::hint::black_box;

use tracewire::carrier::{FnInjector, Headers};
use tracewire::config::{Config, Style, StyleSet};
use tracewire::context::SpanContext;
use tracewire::propagate::{self, Extracted, InjectBuffers};
use tracewire::SpanId;

const PAINT: usize = 96 * 1024;

/// `ceiling` scaled by `FOOTPRINT_CEILING_PERCENT` (100 when unset).
fn ceiling_of<T: TryFrom<u128> + Into<u128> + Copy>(ceiling: T) -> T {
    let pct: u128 = std::env::var("FOOTPRINT_CEILING_PERCENT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(100);
    T::try_from(ceiling.into() * pct / 100).unwrap_or(ceiling)
}
const PATTERN: u8 = 0xa5;

/// Fills a frame of `PAINT` bytes with the pattern; returns its lowest address.
#[inline(never)]
fn paint() -> usize {
    let mut buf = [PATTERN; PAINT];
    black_box(&mut buf);
    buf.as_ptr() as usize
}

/// The deepest stack byte `f` wrote, in bytes below the caller's frame.
#[inline(never)]
fn peak(f: &dyn Fn()) -> usize {
    let marker = 0u8;
    let top = black_box(&marker) as *const u8 as usize;
    let low = paint();
    f();
    (low..top)
        .find(|&a| {
            // SAFETY: `low..top` is this thread's own stack between the painted frame's lowest
            // byte and this frame; it is mapped and nothing else writes it concurrently. The
            // bytes are read as plain `u8`s after the calls that wrote them returned.
            unsafe { std::ptr::read_volatile(a as *const u8) != PATTERN }
        })
        .map_or(0, |a| top - a)
}

fn headers(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn main() {
    if let Ok(i) = std::env::var("FOOTPRINT_CHILD") {
        return run_counted(i.parse().expect("child index"));
    }
    let enforce = std::env::var_os("FOOTPRINT_ENFORCE").is_some();
    let mut over = Vec::new();
    let mut over_ceiling = Vec::new();
    println!("sizes (bytes)                   now  budget  ceiling");
    for (name, size, budget, ceiling) in [
        (
            "SpanContext",
            std::mem::size_of::<SpanContext<'static>>(),
            Some(128),
            272,
        ),
        (
            "Extracted",
            std::mem::size_of::<Extracted<'static>>(),
            Some(384),
            704,
        ),
        (
            // Staging for carriers that only take whole values (and the proxy entry points that
            // inject into the carrier they extracted from); an `InPlace` carrier never uses it.
            "InjectBuffers",
            std::mem::size_of::<InjectBuffers>(),
            Some(1024),
            13_645,
        ),
        ("Config", std::mem::size_of::<Config>(), None, 312),
    ] {
        let b = budget.map_or("-".to_string(), |b: usize| b.to_string());
        let flag = budget.filter(|&b| size > b).map_or("", |_| "  OVER");
        let ceiling = ceiling_of(ceiling as u64) as usize;
        let above = if size > ceiling {
            "  ABOVE CEILING"
        } else {
            ""
        };
        println!("  {name:<26} {size:>6} {b:>7} {ceiling:>8}{flag}{above}");
        if !flag.is_empty() {
            over.push(name.to_string());
        }
        if !above.is_empty() {
            over_ceiling.push(name.to_string());
        }
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../benches/inputs");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("bench inputs")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let child = SpanId::new(0x2a).unwrap();
    println!(
        "\npeak stack (bytes below the caller)        extract   +inject  +inject_with  budget"
    );
    // Run on a thread with a known, ample stack so painting never reaches its end.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let mut over = Vec::new();
            let mut deepest = [0usize; 3];
            let (mut within, mut pairs) = (0usize, 0usize);
            let mut bufs = Box::new(InjectBuffers::new());
            let bufs_ptr: *mut InjectBuffers = &mut *bufs;
            for path in &files {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(path).unwrap();
                let hs = headers(&text);
                let carrier: Vec<(&str, &str)> =
                    hs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                let mut configs = vec![("default".to_string(), Config::new())];
                for s in [
                    Style::Datadog,
                    Style::TraceContext,
                    Style::B3Single,
                    Style::B3Multi,
                    Style::XRay,
                    Style::Baggage,
                ] {
                    configs.push((
                        s.name().to_string(),
                        Config::new()
                            .with_styles(StyleSet::EMPTY.with(s))
                            .with_xray_128bit_roots(true),
                    ));
                }
                for (cname, cfg) in &configs {
                    let extract_only = peak(&|| {
                        black_box(propagate::extract(black_box(carrier.as_slice()), cfg));
                    });
                    let with_inject = peak(&|| {
                        let ex = propagate::extract(black_box(carrier.as_slice()), cfg);
                        let c = ex.context.map(|c| c.child(child));
                        let mut out = Headers::<16, 16384>::new();
                        black_box(
                            propagate::inject(c.as_ref(), ex.baggage_out(), cfg, &mut out).is_ok(),
                        );
                        black_box(&out);
                    });
                    let with_inject_with = peak(&|| {
                        let ex = propagate::extract(black_box(carrier.as_slice()), cfg);
                        let c = ex.context.map(|c| c.child(child));
                        let mut out = Headers::<16, 16384>::new();
                        // SAFETY: `bufs` outlives every call and nothing else uses it meanwhile.
                        let b = unsafe { &mut *bufs_ptr };
                        black_box(
                            propagate::inject_with(b, c.as_ref(), ex.baggage_out(), cfg, &mut out)
                                .is_ok(),
                        );
                        black_box(&out);
                    });
                    // The carrier (Headers, 16 KiB) lives in the measured frame too: subtract it.
                    let carrier_size = std::mem::size_of::<Headers<16, 16384>>();
                    let inj = with_inject.saturating_sub(carrier_size);
                    let inj_with = with_inject_with.saturating_sub(carrier_size);
                    for (d, v) in deepest.iter_mut().zip([extract_only, inj, inj_with]) {
                        *d = (*d).max(v);
                    }
                    let worst = inj.max(inj_with);
                    within += usize::from(worst <= 2048);
                    pairs += 1;
                    let flag = if worst > 2048 { "  OVER" } else { "" };
                    if !flag.is_empty() {
                        over.push(format!("{stem}/{cname}"));
                    }
                    println!(
                        "  {:<40} {extract_only:>7} {inj:>9} {inj_with:>13} {:>7}{flag}",
                        format!("{stem} / {cname}"),
                        2048
                    );
                }
            }
            // A carrier that takes whole values (`FnInjector`): `inject` stages its headers,
            // in 1 KiB when they fit (they do for every bench input).
            let text = std::fs::read_to_string(format!("{dir}/default.txt")).unwrap();
            let hs = headers(&text);
            let carrier: Vec<(&str, &str)> =
                hs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let cfg = Config::new();
            let staged = peak(&|| {
                let ex = propagate::extract(black_box(carrier.as_slice()), &cfg);
                let c = ex.context.map(|c| c.child(child));
                let mut bytes = 0usize;
                let mut inj = FnInjector(|_n: &'static str, v: &[u8]| {
                    bytes += v.len();
                    Ok(())
                });
                black_box(propagate::inject(c.as_ref(), ex.baggage_out(), &cfg, &mut inj).is_ok());
                black_box(bytes);
            });
            (over, deepest, within, pairs, staged)
        })
        .unwrap()
        .join()
        .map(|(o, deepest, within, pairs, staged)| {
            let ceiling = ceiling_of(STAGED_CEILING as u64) as usize;
            let above = if staged > ceiling {
                "  ABOVE CEILING"
            } else {
                ""
            };
            println!(
                "\nextract + inject into a carrier that takes whole values (FnInjector), \
                 default.txt: {staged} B (ceiling {ceiling}){above}"
            );
            if !above.is_empty() {
                over_ceiling.push("stack, staged inject".to_string());
            }
            over.extend(o);
            println!(
                "\npairs within 2 KiB (extract + either entry point): {within} of {pairs}, floor \
                 {MIN_PAIRS_WITHIN}"
            );
            if within < MIN_PAIRS_WITHIN {
                over_ceiling.push(format!(
                    "pairs within 2 KiB ({within} < {MIN_PAIRS_WITHIN})"
                ));
            }
            println!("\ndeepest over every input and style, against its ceiling:");
            for ((what, d), ceiling) in ["extract", "+inject", "+inject_with"]
                .iter()
                .zip(deepest)
                .zip(STACK_CEILINGS)
            {
                let ceiling = ceiling_of(ceiling as u64) as usize;
                let above = if d > ceiling { "  ABOVE CEILING" } else { "" };
                println!("  {what:<14} {d:>7} {ceiling:>8}{above}");
                if !above.is_empty() {
                    over_ceiling.push(format!("stack {what}"));
                }
            }
        })
        .unwrap();
    instructions(&mut over, &mut over_ceiling);
    println!(
        "\nover budget: {}",
        if over.is_empty() {
            "none".to_string()
        } else {
            over.len().to_string()
        }
    );
    println!(
        "above ceiling: {}",
        if over_ceiling.is_empty() {
            "none".to_string()
        } else {
            over_ceiling.join(", ")
        }
    );
    if !over_ceiling.is_empty() || (enforce && !over.is_empty()) {
        std::process::exit(1);
    }
}

/// Ceilings of the deepest stack over every input and style (extract, + `inject`, +
/// `inject_with`): the figures measured at `3989e13` (3,159 / 2,847 / 2,847 B: the `dd=` lookup
/// no longer walks the tracestate items when the member comes first) plus about 10%.
const STACK_CEILINGS: [usize; 3] = [3_475, 3_130, 3_130];

/// Ceiling of the peak stack of extract + `inject` into a carrier that takes whole values
/// (`FnInjector`) on `default.txt`: 4,791 B when it was first staged in 1 KiB
/// (`SMALL_STAGE_LEN`; 17,991 B with the 13,645-byte `InjectBuffers` before), plus about 10%.
const STAGED_CEILING: usize = 5_270;

/// Fewest pairs whose extract + inject (either entry point) must stay within 2 KiB: the count
/// measured at `65603ad` (a style whose headers did not arrive no longer pushes its reader's
/// frame). The deepest pairs have a ceiling above; this keeps the others from creeping up.
const MIN_PAIRS_WITHIN: usize = 43;

/// The budgeted operations: (label, bench input, styles (`None`: the default configuration),
/// operation, budget, ceiling). Ceilings are the counts this probe measured at `3989e13`
/// (BENCHMARKS.md) plus about 4%, lowered at `65603ad` for the rows it improved.
const COUNTED: [(&str, &str, Option<Style>, &str, u64, u64); 9] = [
    ("traceparent parse", "", None, "parse", 300, 310),
    (
        "default extract (default.txt)",
        "default",
        None,
        "extract",
        2_500,
        5_410,
    ),
    (
        "default inject (default.txt)",
        "default",
        None,
        "inject",
        1_500,
        4_560,
    ),
    (
        "tracecontext extract",
        "tracecontext",
        Some(Style::TraceContext),
        "extract",
        1_300,
        2_310,
    ),
    (
        "no trace headers (none.txt)",
        "none",
        None,
        "extract",
        350,
        620,
    ),
    (
        "b3-single extract",
        "b3-single",
        Some(Style::B3Single),
        "extract",
        600,
        950,
    ),
    (
        "b3-multi extract",
        "b3-multi",
        Some(Style::B3Multi),
        "extract",
        1_000,
        1_005,
    ),
    (
        "xray extract",
        "xray",
        Some(Style::XRay),
        "extract",
        1_100,
        990,
    ),
    (
        "baggage extract",
        "baggage",
        Some(Style::Baggage),
        "extract",
        900,
        1_780,
    ),
];

/// The only function whose instructions are counted.
#[inline(never)]
fn measured(f: &mut dyn FnMut()) {
    f();
}

/// The child side: runs operation `i` of [`COUNTED`] once to warm up, then once measured.
fn run_counted(i: usize) {
    let (_, stem, style, op, _, _) = COUNTED[i];
    let cfg = match style {
        None => Config::new(),
        Some(s) => Config::new()
            .with_styles(StyleSet::EMPTY.with(s))
            .with_xray_128bit_roots(true),
    };
    let run = |f: &mut dyn FnMut()| {
        f();
        measured(f);
    };
    if op == "parse" {
        let v = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        return run(&mut || {
            black_box(tracewire::format::traceparent::parse(black_box(v)).is_ok());
        });
    }
    let path = format!(
        "{}/../../benches/inputs/{stem}.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let hs = headers(&std::fs::read_to_string(path).expect("bench input"));
    let carrier: Vec<(&str, &str)> = hs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    if op == "extract" {
        return run(&mut || {
            let ex = propagate::extract(black_box(carrier.as_slice()), &cfg);
            black_box(ex.context.is_some() || ex.baggage.is_some());
        });
    }
    let ex = propagate::extract(carrier.as_slice(), &cfg);
    let child = ex.context.map(|c| c.child(SpanId::new(0x2a).unwrap()));
    let mut bufs = Box::new(InjectBuffers::new());
    let mut out = Box::new(Headers::<16, 16384>::new());
    run(&mut || {
        out.clear();
        let r = propagate::inject_with(
            &mut bufs,
            black_box(child.as_ref()),
            ex.baggage_out(),
            &cfg,
            out.as_mut(),
        );
        black_box(r.map_or(0, |r| r.headers));
    });
}

/// Counts every operation of [`COUNTED`] under callgrind and prints them against budget and
/// ceiling. Without valgrind it says so and counts nothing (CI installs valgrind first).
fn instructions(over: &mut Vec<String>, over_ceiling: &mut Vec<String>) {
    println!("\ninstructions (callgrind)                   now  budget  ceiling");
    let exe = std::env::current_exe().expect("own path");
    for (i, (label, _, _, _, budget, ceiling)) in COUNTED.iter().enumerate() {
        let out = std::env::temp_dir().join(format!("footprint-{}-{i}.out", std::process::id()));
        let ran = std::process::Command::new("valgrind")
            .arg("--tool=callgrind")
            .arg(format!("--callgrind-out-file={}", out.display()))
            .arg("--collect-atstart=no")
            .arg("--toggle-collect=*tracewire_footprint::measured*")
            .arg(&exe)
            .env("FOOTPRINT_CHILD", i.to_string())
            .output();
        let Ok(ran) = ran else {
            println!("  valgrind not found: instructions not counted");
            over_ceiling.push("instructions (no valgrind)".to_string());
            return;
        };
        let n: Option<u64> = std::fs::read_to_string(&out).ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("summary:").or(l.strip_prefix("totals:")))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        });
        let _ = std::fs::remove_file(&out);
        // Zero means the toggle matched nothing (a renamed or inlined `measured`), not a free
        // operation: that fails too.
        let Some(n) = n.filter(|&n| ran.status.success() && n > 0) else {
            println!(
                "  {label:<36} failed: {}",
                String::from_utf8_lossy(&ran.stderr)
            );
            over_ceiling.push(label.to_string());
            continue;
        };
        let ceiling = ceiling_of(*ceiling);
        let flag = if n > *budget { "  OVER" } else { "" };
        let above = if n > ceiling { "  ABOVE CEILING" } else { "" };
        println!("  {label:<36} {n:>7} {budget:>7} {ceiling:>8}{flag}{above}");
        if !flag.is_empty() {
            over.push(label.to_string());
        }
        if !above.is_empty() {
            over_ceiling.push(label.to_string());
        }
    }
}
