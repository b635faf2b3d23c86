//! The footprint probe's second binary: peak stack, on `default.txt`, of extract + `inject` into
//! a carrier that takes whole values (staged), and of `forward` into an `InPlace` carrier and
//! into a whole-value one. A binary of its own so that linking these paths does not change how
//! the main probe's extract + inject pairs are compiled (a 16-byte shift was seen when they
//! shared one). Fails (exit 1) when a figure is above its ceiling.

#[path = "../paint.rs"]
mod paint;

use paint::{ceiling_of, headers, peak};
use std::hint::black_box;
use tracewire::carrier::{FnInjector, Headers};
use tracewire::config::Config;
use tracewire::propagate;
use tracewire::SpanId;

/// Ceilings: the figures measured when `inject` and `forward` first staged in 1 KiB
/// (`SMALL_STAGE_LEN`), plus about 10%. At `3989e13`, with the 13,645-byte `InjectBuffers` on
/// the stack, this binary measured 18,335 B for the staged inject and 17,631 / 17,591 B for
/// forward (an `InPlace` carrier paid for the buffers too). Lowered when the context came to
/// borrow the caller's `Slots` (4,551 / 2,559 / 4,551 B, plus about 10%).
const CEILINGS: [usize; 3] = [5_010, 2_820, 5_010];

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../benches/inputs/default.txt"
    );
    let text = std::fs::read_to_string(path).expect("bench input");
    let child = SpanId::new(0x2a).unwrap();
    let figures = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let hs = headers(&text);
            let carrier: Vec<(&str, &str)> =
                hs.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let cfg = Config::new();
            let staged = peak(&|| {
                let mut slots = propagate::Slots::new();
                let ex = propagate::extract(black_box(carrier.as_slice()), &cfg, &mut slots);
                let c = ex.context.map(|c| c.child(child));
                let mut bytes = 0usize;
                let mut inj = FnInjector(|_n: &'static str, v: &[u8]| {
                    bytes += v.len();
                    Ok(())
                });
                black_box(propagate::inject(c.as_ref(), ex.baggage_out(), &cfg, &mut inj).is_ok());
                black_box(bytes);
            });
            // The carrier is owned outside the measured frame (as a request's header map is),
            // so no figure depends on where the compiler places it.
            let mut boxed = Box::new(Headers::<16, 4096>::new());
            let out_ptr: *mut Headers<16, 4096> = &mut *boxed;
            let fwd_in_place = peak(&|| {
                // SAFETY: `boxed` outlives this call, which runs on this thread alone; nothing
                // else uses it meanwhile.
                let out = unsafe { &mut *out_ptr };
                out.clear();
                let r = propagate::forward(black_box(carrier.as_slice()), child, &cfg, out);
                black_box(r.is_ok());
            });
            let fwd_staged = peak(&|| {
                let mut bytes = 0usize;
                let mut inj = FnInjector(|_n: &'static str, v: &[u8]| {
                    bytes += v.len();
                    Ok(())
                });
                let r = propagate::forward(black_box(carrier.as_slice()), child, &cfg, &mut inj);
                black_box((r.is_ok(), bytes));
            });
            [staged, fwd_in_place, fwd_staged]
        })
        .unwrap()
        .join()
        .unwrap();
    println!(
        "peak stack on default.txt (bytes below the caller)                      now  ceiling"
    );
    let mut above = Vec::new();
    for ((what, d), ceiling) in [
        "extract + inject into a whole-value carrier (FnInjector, staged)",
        "forward into an InPlace carrier (Headers)",
        "forward into a whole-value carrier (FnInjector, staged)",
    ]
    .iter()
    .zip(figures)
    .zip(CEILINGS)
    {
        let ceiling = ceiling_of(ceiling as u64) as usize;
        let flag = if d > ceiling { "  ABOVE CEILING" } else { "" };
        println!("  {what:<68} {d:>6} {ceiling:>8}{flag}");
        if !flag.is_empty() {
            above.push(*what);
        }
    }
    println!(
        "above ceiling: {}",
        if above.is_empty() {
            "none".to_string()
        } else {
            above.join(", ")
        }
    );
    if !above.is_empty() {
        std::process::exit(1);
    }
}
