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
//! `cargo run --release --manifest-path .ci/footprint/Cargo.toml` prints the table; with
//! `FOOTPRINT_ENFORCE=1` it exits 1 when a figure is over its budget.
use std::hint::black_box;

use tracewire::carrier::Headers;
use tracewire::config::{Config, Style, StyleSet};
use tracewire::context::SpanContext;
use tracewire::propagate::{self, Extracted, InjectBuffers};
use tracewire::SpanId;

const PAINT: usize = 96 * 1024;
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
    let enforce = std::env::var_os("FOOTPRINT_ENFORCE").is_some();
    let mut over = Vec::new();
    println!("sizes (bytes)                   now  budget");
    for (name, size, budget) in [
        (
            "SpanContext",
            std::mem::size_of::<SpanContext<'static>>(),
            Some(128),
        ),
        (
            "Extracted",
            std::mem::size_of::<Extracted<'static>>(),
            Some(384),
        ),
        (
            "InjectBuffers",
            std::mem::size_of::<InjectBuffers>(),
            Some(1024),
        ),
        ("Config", std::mem::size_of::<Config>(), None),
    ] {
        let b = budget.map_or("-".to_string(), |b: usize| b.to_string());
        let flag = budget.filter(|&b| size > b).map_or("", |_| "  OVER");
        println!("  {name:<26} {size:>6} {b:>7}{flag}");
        if !flag.is_empty() {
            over.push(name.to_string());
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
                    let worst = inj.max(inj_with);
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
            over
        })
        .unwrap()
        .join()
        .map(|o| over.extend(o))
        .unwrap();
    println!(
        "\nover budget: {}",
        if over.is_empty() {
            "none".to_string()
        } else {
            over.len().to_string()
        }
    );
    if enforce && !over.is_empty() {
        std::process::exit(1);
    }
}
